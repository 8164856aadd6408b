/*
 * mdm_vee_int.h -- helpers shared by the VEE validation and estimation
 * sources (lib/mdm/ami_mdm_vee.c, ami_mdm_est.c). Not a public header.
 */
#ifndef MDM_VEE_INT_H
#define MDM_VEE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "ami/ami_mdm_vee.h"

/* The event codes VEE reacts to: the numbers of ami_meter_events.h (IDIS
 * event lists), repeated here because scripts/check-layers.sh keeps
 * lib/mdm from including meter-layer headers. test_mdm_vee feeds events
 * spelled with the AMI_EV_* names, so a drift fails its tests. */
enum {
  MDM_EV_POWER_DOWN = 1,
  MDM_EV_POWER_UP = 2,
  MDM_EV_CLOCK_ADJUSTED_OLD = 4,
  MDM_EV_CLOCK_ADJUSTED_NEW = 5,
  MDM_EV_TERMINAL_COVER_OPENED = 40,
  MDM_EV_MAGNETIC_FIELD = 42,
  MDM_EV_METER_COVER_OPENED = 44,
  MDM_EV_MANUAL_DISCONNECT = 60,
  MDM_EV_MANUAL_CONNECT = 61,
  MDM_EV_REMOTE_DISCONNECT = 62,
  MDM_EV_REMOTE_CONNECT = 63,
  MDM_EV_LOCAL_DISCONNECT = 64,
  MDM_EV_LOCAL_CONNECT = 69
};

/* Interval length of the input's channel, 0 if the input is unusable. */
uint32_t ami__vee_interval(const ami_mdm_vee_input *in);

/* Index (*i, possibly outside [0, n)) of the interval that STARTS at
 * instant s; false when s is off the grid. */
bool ami__vee_index_starting(const ami_mdm_vee_input *in, int64_t s,
                             int64_t *i);

/* Index of the interval boundary nearest to register read time t (the
 * read is the register at the END of interval *i), when it lies within
 * tol_s of it. */
bool ami__vee_read_index(const ami_mdm_vee_input *in, int64_t t, uint32_t tol_s,
                         int64_t *i);

/* Final value ending at t from history (true when present and good). */
bool ami__vee_history_at(const ami_mdm_vee_input *in, int64_t t, int64_t *v);

/* A value is usable as a basis for estimation and comparisons: actual,
 * substituted or edited (never MISSING, FAILED or an estimate). */
static inline bool ami__vee_good(const ami_mdm_interval *iv) {
  return iv->quality == AMI_MDM_Q_ACTUAL ||
         iv->quality == AMI_MDM_Q_SUBSTITUTED ||
         iv->quality == AMI_MDM_Q_EDITED;
}

#endif /* MDM_VEE_INT_H */
