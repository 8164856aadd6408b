/*
 * ami_meter_supply.c -- one tick of supply control: limiter and
 * prepayment actions routed into the disconnector's local triggers
 * (transitions g and h of IEC 62056-6-2 class 70). See
 * ami_meter_supply.h for the rules.
 */
#include "ami/ami_meter_supply.h"

bool ami_meter_supply_tick(ami_meter_disconnect *dc, ami_meter_limiter *lim,
                           ami_meter_prepay *pp, uint64_t now_ms,
                           const ami_meter_supply_inputs *in) {
  unsigned la =
      lim ? ami_meter_limiter_step(lim, now_ms, in->monitored_milli) : 0;
  unsigned pa = pp ? ami_meter_prepay_step(pp, now_ms, &in->prepay) : 0;
  bool lim_ok = !lim || ami_meter_limiter_supply_ok(lim);
  bool pp_ok = !pp || ami_meter_prepay_supply_ok(pp);
  ami_meter_disconnect_inputs di;
  di.local_disconnect = (la & AMI_METER_LIMITER_ACT_OVER) ||
                        (pa & AMI_METER_PREPAY_ACT_DISCONNECT);
  di.local_reconnect = ((la & AMI_METER_LIMITER_ACT_UNDER) && pp_ok) ||
                       ((pa & AMI_METER_PREPAY_ACT_RECONNECT) && lim_ok);
  di.button = in->button;
  ami_meter_disconnect_step(dc, now_ms, &di);
  return ami_meter_disconnect_connected(dc);
}
