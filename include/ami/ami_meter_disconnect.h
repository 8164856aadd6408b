/*
 * ami_meter_disconnect.h -- the supply disconnector of a meter: the
 * Disconnect control state machine (COSEM interface class 70, IEC
 * 62056-6-2 §4.5.8 / DLMS UA Blue Book "Disconnect control") and its
 * binding to a COSEM object 0-0:96.3.10.255.
 *
 * A pure state machine: the caller owns the struct, passes the time to
 * every call and reads the "supply connected" output
 * (ami_meter_disconnect_connected) to drive the relay. Nothing here
 * allocates, reads a clock or does I/O.
 *
 * STATES (control_state): 0 disconnected, 1 connected, 2
 * ready_for_reconnection; output_state is true only in "connected".
 * TRANSITIONS (Blue Book, class 70):
 *   a remote_reconnect   disconnected -> connected
 *   b remote_disconnect  connected -> disconnected
 *   c remote_disconnect  ready_for_reconnection -> disconnected
 *   d remote_reconnect   disconnected -> ready_for_reconnection
 *   e manual_reconnect   ready_for_reconnection -> connected
 *   f manual_disconnect  connected -> ready_for_reconnection
 *   g local_disconnect   connected -> ready_for_reconnection
 *   h local_reconnect    ready_for_reconnection -> connected
 * CONTROL MODES (which transitions are enabled):
 *   0 none: always connected       4 b c g   a e
 *   1 b c f g   d e                5 b c f g d e h
 *   2 b c f g   a e                6 b c g   d e h
 *   3 b c g     d e
 * "remote" = the DLMS methods, "manual" = the customer's push button,
 * "local" = the meter's own functions (the limiter, prepayment).
 *
 * EVENTS (ami_meter_events.h, disconnector control log 0-0:99.98.2) on
 * every transition: b, c -> 62; a, d -> 63; e -> 61; f -> 60; g -> 64;
 * h -> 69.
 */
#ifndef AMI_METER_DISCONNECT_H
#define AMI_METER_DISCONNECT_H

#include <stdbool.h>
#include <stdint.h>

#include "ami/ami_cosem.h"
#include "ami/ami_obis.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How the supply-control modules report events: `code` from
 * ami_meter_events.h, at time now_ms. `user` is the caller's. The meter
 * core points this at its event logger (ami_meter_log_event). */
typedef void (*ami_meter_ctl_event_fn)(void *user, uint16_t code,
                                       uint64_t now_ms);

enum {
  AMI_METER_DISC_DISCONNECTED = 0,
  AMI_METER_DISC_CONNECTED = 1,
  AMI_METER_DISC_READY = 2 /* ready_for_reconnection */
};

typedef enum ami_meter_disc_trigger {
  AMI_METER_DISC_REMOTE_DISCONNECT, /* method 1 */
  AMI_METER_DISC_REMOTE_RECONNECT,  /* method 2 */
  AMI_METER_DISC_MANUAL_DISCONNECT, /* push button while connected */
  AMI_METER_DISC_MANUAL_RECONNECT,  /* push button while ready */
  AMI_METER_DISC_LOCAL_DISCONNECT,  /* limiter over threshold, no credit */
  AMI_METER_DISC_LOCAL_RECONNECT    /* limiter back under, credit again */
} ami_meter_disc_trigger;

/* The state. Fields are readable; change them only through the functions
 * (they keep the bound COSEM object in step). */
typedef struct ami_meter_disconnect {
  uint8_t control_mode;            /* 0..6 */
  uint8_t control_state;           /* AMI_METER_DISC_* */
  bool output_state;               /* true = supply connected */
  ami_meter_ctl_event_fn on_event; /* may be NULL */
  void *user;                      /* borrowed, passed to on_event */
  ami_cosem_object *obj; /* bound object (borrowed from its model), or NULL */
} ami_meter_disconnect;

/* Start in `control_mode` (0..6; others are taken as 0), connected. */
void ami_meter_disconnect_init(ami_meter_disconnect *d, uint8_t control_mode,
                               ami_meter_ctl_event_fn on_event, void *user);

/* The Blue Book table as a pure function: the state a trigger leads to
 * from `state` in `mode`, or -1 when the mode does not enable it or the
 * state has no such transition. */
int ami_meter_disconnect_next(uint8_t mode, uint8_t state,
                              ami_meter_disc_trigger t);

/* Apply one trigger at now_ms. Returns true when a transition happened
 * (the event is reported), false when the table has none. */
bool ami_meter_disconnect_trigger(ami_meter_disconnect *d,
                                  ami_meter_disc_trigger t, uint64_t now_ms);

/* Change the control mode (0..6, else AMI_E_RANGE). Mode 0 forces the
 * connected state ("always connected"), reported as event 63. */
int ami_meter_disconnect_set_mode(ami_meter_disconnect *d, uint8_t mode,
                                  uint64_t now_ms);

/* What the meter feeds in once per tick. All are edges ("happened since
 * the previous step"), so holding one true repeats nothing. */
typedef struct ami_meter_disconnect_inputs {
  bool local_disconnect; /* a local function asks for disconnection (g) */
  bool local_reconnect;  /* a local function allows reconnection (h) */
  bool button;           /* the customer pressed the push button: e when
                            ready, f when connected */
} ami_meter_disconnect_inputs;

/* One tick: local_disconnect first, then local_reconnect, then the
 * button. `in` may be NULL (nothing happened). */
void ami_meter_disconnect_step(ami_meter_disconnect *d, uint64_t now_ms,
                               const ami_meter_disconnect_inputs *in);

/* The "supply connected" output (drive the relay from it). */
static inline bool
ami_meter_disconnect_connected(const ami_meter_disconnect *d) {
  return d->output_state;
}

/* BINDING. Add a Disconnect control object (class 70) named `ln` (use
 * 0-0:96.3.10.255) to `m` and attach `d` to it: GETs of attributes 2..4
 * answer from `d`, and the model's stored copy is kept in step (so
 * ami_cosem_disconnect_state stays right), a SET of control_mode goes through
 * ami_meter_disconnect_set_mode (values over 6: other-reason), and the
 * methods remote_disconnect / remote_reconnect run the table (a trigger
 * the mode does not enable answers other-reason 250; one with no
 * transition from the current state -- already disconnected -- succeeds
 * and changes nothing). `d` is borrowed and must outlive the model.
 * Errors of ami_cosem_add_object. *out (may be NULL) receives the object.
 * Add it to associations afterwards (ami_cosem_assoc_add_object*). */
int ami_meter_disconnect_bind(ami_meter_disconnect *d, ami_cosem_model *m,
                              ami_obis ln, ami_cosem_object **out);

#ifdef __cplusplus
}
#endif
#endif /* AMI_METER_DISCONNECT_H */
