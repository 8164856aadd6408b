/*
 * ami_meter_supply.h -- one tick of a meter's supply control: the limiter
 * and prepayment state machines feed the disconnector, and the result is
 * the relay command. This is the glue the meter core calls once per tick
 * (e.g. every second, after the metrology readout); each module can also
 * be stepped by hand (see their headers).
 *
 * Order and rules of one tick:
 *   1. limiter step on the monitored value -> over / under actions;
 *   2. prepayment step on the energy increment, tariff rate and local
 *      time -> disconnect / reconnect actions;
 *   3. the disconnector gets local_disconnect when either asks for it,
 *      local_reconnect only when one asks AND the other's own "supply
 *      connected" output agrees (no reconnection into a tripped limiter or
 *      an exhausted account), and the push button;
 *   4. the relay output is ami_meter_disconnect_connected.
 */
#ifndef AMI_METER_SUPPLY_H
#define AMI_METER_SUPPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "ami/ami_meter_disconnect.h"
#include "ami/ami_meter_limiter.h"
#include "ami/ami_meter_prepay.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ami_meter_supply_inputs {
  int64_t monitored_milli;        /* the limiter's monitored value (e.g. active
                                     import power in mW) */
  ami_meter_prepay_inputs prepay; /* energy increment, rate, local time */
  bool button;                    /* the push button was pressed */
} ami_meter_supply_inputs;

/* One tick at now_ms. `lim` and `pp` may be NULL (meter without a limiter
 * or without prepayment); all are borrowed. Returns the relay command
 * (true = supply connected). */
bool ami_meter_supply_tick(ami_meter_disconnect *dc, ami_meter_limiter *lim,
                           ami_meter_prepay *pp, uint64_t now_ms,
                           const ami_meter_supply_inputs *in);

#ifdef __cplusplus
}
#endif
#endif /* AMI_METER_SUPPLY_H */
