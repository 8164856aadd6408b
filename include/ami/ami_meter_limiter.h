/*
 * ami_meter_limiter.h -- the load limiter of a meter: COSEM interface
 * class 71 "Limiter" (IEC 62056-6-2 §4.5.9) as a pure state machine, and
 * its binding to a COSEM object 0-0:17.0.0.255.
 *
 * The limiter watches one value (monitored_value, e.g. the instantaneous
 * active import power 1-0:1.7.0.255 attribute 2). When it stays OVER
 * threshold_active for at least min_over_threshold_duration seconds, the
 * action_over_threshold runs (here: a local disconnection request, event
 * 65); when, after that, it stays UNDER for min_under_threshold_duration
 * seconds, action_under_threshold runs (a local reconnection request,
 * event 66). "Over" is strictly greater than the threshold; "under" is
 * less than or equal. Durations are met at exactly the configured number
 * of seconds (elapsed >= duration). Each action runs once per excursion:
 * a new excursion starts whenever the value crosses the threshold.
 *
 * threshold_active is threshold_emergency while an emergency profile is
 * active, threshold_normal otherwise (or what a client SET directly, until
 * the next switch). An emergency profile { id, activation_time, duration }
 * is active from activation_time for `duration` seconds when its id is in
 * emergency_profile_group_id_list. Every change of threshold_active
 * reports event 67.
 *
 * UNITS. A threshold is in the monitored value's COSEM unit times
 * 10^threshold_scaler (the scaler of the monitored register; 0 with a
 * register in W means thresholds in W). The value fed to step is in
 * milli-units of the same physical unit (mW for power, mA for current), as
 * ami_metro_readout.h delivers them.
 */
#ifndef AMI_METER_LIMITER_H
#define AMI_METER_LIMITER_H

#include <stdbool.h>
#include <stdint.h>

#include "ami/ami_cosem.h"
#include "ami/ami_meter_disconnect.h"
#include "ami/ami_obis.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMI_METER_LIMITER_MAX_GROUPS 8

/* A script reference { script_logical_name, script_selector }. A zero
 * logical name means "no action". */
typedef struct ami_meter_script_ref {
  ami_obis ln;
  uint16_t selector;
} ami_meter_script_ref;

/* Bits returned by ami_meter_limiter_step. */
enum {
  AMI_METER_LIMITER_ACT_OVER = 1u, /* run action_over_threshold now */
  AMI_METER_LIMITER_ACT_UNDER = 2u /* run action_under_threshold now */
};

typedef struct ami_meter_limiter {
  /* ---- configuration (the COSEM attributes; set before use or by SET) */
  uint16_t mon_class; /* monitored_value { class_id, logical_name, attr } */
  ami_obis mon_ln;
  int8_t mon_attr;
  int8_t threshold_scaler;
  uint8_t threshold_tag; /* A-XDR tag thresholds are shown with */
  int64_t threshold_normal;
  int64_t threshold_emergency;
  uint32_t min_over_s;  /* min_over_threshold_duration, seconds */
  uint32_t min_under_s; /* min_under_threshold_duration, seconds */
  uint16_t emergency_id;
  bool emergency_set;        /* an activation time is configured */
  int64_t emergency_start_s; /* UTC seconds */
  uint32_t emergency_duration_s;
  uint16_t group_ids[AMI_METER_LIMITER_MAX_GROUPS];
  uint8_t ngroups;
  ami_meter_script_ref action_over, action_under;
  /* ---- state (read only) */
  int64_t threshold_active;
  bool emergency_active;
  bool tripped;      /* action_over ran and action_under has not yet */
  bool above;        /* last value was over threshold_active */
  bool fired;        /* this excursion's action already ran */
  bool started;      /* a first value was seen */
  uint64_t since_ms; /* start of the current excursion */
  ami_meter_ctl_event_fn on_event; /* may be NULL */
  void *user;
  ami_cosem_object *obj; /* bound object or NULL */
} ami_meter_limiter;

/* Defaults: monitored value 1-0:1.7.0.255 attribute 2 of class 3,
 * thresholds 0 with tag double-long-unsigned and scaler 0 (so set them),
 * durations 0, no emergency profile, actions over -> 0-0:10.0.106.255
 * selector 1 and under -> selector 2 (the disconnector script table). */
void ami_meter_limiter_init(ami_meter_limiter *l, ami_meter_ctl_event_fn fn,
                            void *user);

/* Set thresholds (COSEM units) and recompute threshold_active at now_ms. */
void ami_meter_limiter_set_thresholds(ami_meter_limiter *l, int64_t normal,
                                      int64_t emergency, uint64_t now_ms);
/* Set threshold_active directly (a client's SET of attribute 3). */
void ami_meter_limiter_set_active(ami_meter_limiter *l, int64_t active,
                                  uint64_t now_ms);
/* Configure the emergency profile and its group list (ids copied, at
 * most AMI_METER_LIMITER_MAX_GROUPS, else AMI_E_LIMIT). */
int ami_meter_limiter_set_emergency(ami_meter_limiter *l, uint16_t id,
                                    int64_t start_utc_s, uint32_t duration_s,
                                    const uint16_t *groups, uint8_t ngroups,
                                    uint64_t now_ms);

/* One tick: `value_milli` is the monitored value now (milli-units, see
 * above). Returns AMI_METER_LIMITER_ACT_* bits for the actions to run
 * now (an action whose script reference is empty is not reported, though
 * its event is). The meter core turns ACT_OVER into a local disconnect
 * and ACT_UNDER into a local reconnect of ami_meter_disconnect. */
unsigned ami_meter_limiter_step(ami_meter_limiter *l, uint64_t now_ms,
                                int64_t value_milli);

/* The limiter's "supply connected" output: false from action_over until
 * action_under. */
static inline bool ami_meter_limiter_supply_ok(const ami_meter_limiter *l) {
  return !l->tripped;
}

/* BINDING. Add a Limiter object (class 71) named `ln` (0-0:17.0.0.255)
 * to `m`, answering from and writing into `l`: monitored_value,
 * thresholds (any integer type; others type-unmatched), durations,
 * emergency_profile (activation_time a date-time without wildcards, its
 * deviation taken as UTC - local minutes per the Blue Book), group id
 * list, emergency_profile_active, actions. `l` is borrowed and must
 * outlive the model. Errors of ami_cosem_add_object. */
int ami_meter_limiter_bind(ami_meter_limiter *l, ami_cosem_model *m,
                           ami_obis ln, ami_cosem_object **out);

#ifdef __cplusplus
}
#endif
#endif /* AMI_METER_LIMITER_H */
