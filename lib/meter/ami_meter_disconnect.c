/*
 * ami_meter_disconnect.c -- the Disconnect control state machine (COSEM
 * class 70, IEC 62056-6-2 §4.5.8) driven by one table of transitions and
 * one bit mask per control mode, and its binding to a COSEM object.
 *
 * The table is the Blue Book's state diagram (transitions a..h) and its
 * control_mode list; the letters and modes were checked against two
 * independent public descriptions (the Gurux ControlMode enumeration and
 * the MetCom MCS301 manual's table 44 "Disconnect control status and
 * transitions"), which agree with each other.
 */
#include "ami/ami_meter_disconnect.h"

#include <stddef.h>

#include "ami/ami_axdr.h"
#include "ami/ami_meter_events.h"

/* One transition of the diagram. */
typedef struct transition {
  char letter;
  ami_meter_disc_trigger trigger;
  uint8_t from, to;
  uint16_t event;
} transition;

#define DIS AMI_METER_DISC_DISCONNECTED
#define CON AMI_METER_DISC_CONNECTED
#define RDY AMI_METER_DISC_READY

/* IEC 62056-6-2 §4.5.8, class 70 state diagram. */
static const transition transitions[] = {
    {'a', AMI_METER_DISC_REMOTE_RECONNECT, DIS, CON, AMI_EV_REMOTE_CONNECT},
    {'b', AMI_METER_DISC_REMOTE_DISCONNECT, CON, DIS, AMI_EV_REMOTE_DISCONNECT},
    {'c', AMI_METER_DISC_REMOTE_DISCONNECT, RDY, DIS, AMI_EV_REMOTE_DISCONNECT},
    {'d', AMI_METER_DISC_REMOTE_RECONNECT, DIS, RDY, AMI_EV_REMOTE_CONNECT},
    {'e', AMI_METER_DISC_MANUAL_RECONNECT, RDY, CON, AMI_EV_MANUAL_CONNECT},
    {'f', AMI_METER_DISC_MANUAL_DISCONNECT, CON, RDY, AMI_EV_MANUAL_DISCONNECT},
    {'g', AMI_METER_DISC_LOCAL_DISCONNECT, CON, RDY, AMI_EV_LOCAL_DISCONNECT},
    {'h', AMI_METER_DISC_LOCAL_RECONNECT, RDY, CON, AMI_EV_LOCAL_CONNECT},
};

#define T(l) (1u << ((l) - 'a'))

/* control_mode -> enabled transitions (IEC 62056-6-2 §4.5.8, attribute 4). */
static const uint8_t mode_mask[7] = {
    0,                                                            /* 0: none */
    T('b') | T('c') | T('f') | T('g') | T('d') | T('e'),          /* 1 */
    T('b') | T('c') | T('f') | T('g') | T('a') | T('e'),          /* 2 */
    T('b') | T('c') | T('g') | T('d') | T('e'),                   /* 3 */
    T('b') | T('c') | T('g') | T('a') | T('e'),                   /* 4 */
    T('b') | T('c') | T('f') | T('g') | T('d') | T('e') | T('h'), /* 5 */
    T('b') | T('c') | T('g') | T('d') | T('e') | T('h'),          /* 6 */
};

/* The enabled transition for (mode, state, trigger), or NULL. */
static const transition *find(uint8_t mode, uint8_t state,
                              ami_meter_disc_trigger t) {
  if (mode > 6)
    return NULL;
  for (size_t i = 0; i < sizeof transitions / sizeof transitions[0]; i++) {
    const transition *x = &transitions[i];
    if (x->trigger == t && x->from == state && (mode_mask[mode] & T(x->letter)))
      return x;
  }
  return NULL;
}

int ami_meter_disconnect_next(uint8_t mode, uint8_t state,
                              ami_meter_disc_trigger t) {
  const transition *x = find(mode, state, t);
  return x ? x->to : -1;
}

/* Keep the bound object's stored attributes 2..4 equal to the state, so
 * plain GETs and ami_cosem_disconnect_state read the truth. */
static void mirror(const ami_meter_disconnect *d) {
  if (!d->obj)
    return;
  uint8_t b[2];
  b[0] = AMI_AXDR_BOOLEAN;
  b[1] = d->output_state ? 1 : 0;
  (void)ami_cosem_set_attr(d->obj, 2, ami_span_make(b, 2));
  b[0] = AMI_AXDR_ENUM;
  b[1] = d->control_state;
  (void)ami_cosem_set_attr(d->obj, 3, ami_span_make(b, 2));
  b[1] = d->control_mode;
  (void)ami_cosem_set_attr(d->obj, 4, ami_span_make(b, 2));
}

static void enter(ami_meter_disconnect *d, uint8_t state, uint16_t event,
                  uint64_t now_ms) {
  d->control_state = state;
  d->output_state = state == CON;
  mirror(d);
  if (d->on_event)
    d->on_event(d->user, event, now_ms);
}

void ami_meter_disconnect_init(ami_meter_disconnect *d, uint8_t control_mode,
                               ami_meter_ctl_event_fn on_event, void *user) {
  d->control_mode = control_mode <= 6 ? control_mode : 0;
  d->control_state = CON;
  d->output_state = true;
  d->on_event = on_event;
  d->user = user;
  d->obj = NULL;
}

bool ami_meter_disconnect_trigger(ami_meter_disconnect *d,
                                  ami_meter_disc_trigger t, uint64_t now_ms) {
  const transition *x = find(d->control_mode, d->control_state, t);
  if (!x)
    return false;
  enter(d, x->to, x->event, now_ms);
  return true;
}

int ami_meter_disconnect_set_mode(ami_meter_disconnect *d, uint8_t mode,
                                  uint64_t now_ms) {
  if (mode > 6)
    return AMI_E_RANGE;
  d->control_mode = mode;
  if (mode == 0 && d->control_state != CON)
    enter(d, CON, AMI_EV_REMOTE_CONNECT, now_ms); /* mirrors too */
  else
    mirror(d);
  return AMI_OK;
}

void ami_meter_disconnect_step(ami_meter_disconnect *d, uint64_t now_ms,
                               const ami_meter_disconnect_inputs *in) {
  if (!in)
    return;
  if (in->local_disconnect)
    (void)ami_meter_disconnect_trigger(d, AMI_METER_DISC_LOCAL_DISCONNECT,
                                       now_ms);
  if (in->local_reconnect)
    (void)ami_meter_disconnect_trigger(d, AMI_METER_DISC_LOCAL_RECONNECT,
                                       now_ms);
  if (in->button)
    (void)ami_meter_disconnect_trigger(d,
                                       d->control_state == RDY
                                           ? AMI_METER_DISC_MANUAL_RECONNECT
                                           : AMI_METER_DISC_MANUAL_DISCONNECT,
                                       now_ms);
}

/* ---- binding ------------------------------------------------------------- */

/* GET of attributes 2..4 answers from the state itself (the stored copy
 * is for ami_cosem_disconnect_state and could lag only if storing it ran
 * out of memory). */
static int disc_read(void *ud, ami_cosem_object *obj, unsigned attr,
                     const ami_apdu_selection *sel, uint64_t now_ms,
                     ami_wr *out, uint8_t *dar) {
  const ami_meter_disconnect *d = ud;
  (void)obj;
  (void)now_ms;
  (void)dar;
  if (sel && sel->present)
    return AMI_E_NOT_FOUND;
  if (attr == 2)
    ami_axdr_put_bool(out, d->output_state);
  else if (attr == 3)
    ami_axdr_put_enum(out, d->control_state);
  else if (attr == 4)
    ami_axdr_put_enum(out, d->control_mode);
  else
    return AMI_E_NOT_FOUND;
  return out->err;
}

/* SET control_mode (attribute 4): an enum 0..6. The other attributes are
 * read-only in the class and never reach here. */
static int disc_write(void *ud, ami_cosem_object *obj, unsigned attr,
                      ami_span value, uint8_t *dar) {
  ami_meter_disconnect *d = ud;
  if (attr != 4)
    return AMI_E_NOT_FOUND;
  ami_axdr_dec dec;
  ami_axdr_dec_init(&dec, value.p, value.len);
  uint8_t mode;
  if (ami_axdr_get_enum(&dec, &mode) != AMI_OK || mode > 6) {
    *dar = AMI_COSEM_DAR_OTHER_REASON;
    return AMI_OK;
  }
  return ami_meter_disconnect_set_mode(d, mode,
                                       ami_cosem_object_request_now(obj));
}

/* remote_disconnect (1) / remote_reconnect (2), Blue Book class 70: the
 * parameter (integer 0) carries nothing. Refused in mode 0 where remote
 * control is not enabled; otherwise a transition happens if the table has
 * one from the current state, and succeeds silently if not. */
static int disc_invoke(void *ud, ami_cosem_object *obj, unsigned method,
                       ami_span params, ami_wr *ret, bool *has_return,
                       uint8_t *result) {
  ami_meter_disconnect *d = ud;
  (void)params;
  (void)ret;
  (void)has_return;
  if (method != 1 && method != 2)
    return AMI_E_NOT_FOUND;
  if (d->control_mode == 0) {
    *result = AMI_COSEM_DAR_OTHER_REASON;
    return AMI_OK;
  }
  (void)ami_meter_disconnect_trigger(d,
                                     method == 1
                                         ? AMI_METER_DISC_REMOTE_DISCONNECT
                                         : AMI_METER_DISC_REMOTE_RECONNECT,
                                     ami_cosem_object_request_now(obj));
  return AMI_OK;
}

int ami_meter_disconnect_bind(ami_meter_disconnect *d, ami_cosem_model *m,
                              ami_obis ln, ami_cosem_object **out) {
  ami_cosem_object *o;
  int rc = ami_cosem_add_object(m, 70, ln, &o);
  if (rc != AMI_OK)
    return rc;
  ami_cosem_callbacks cb = {disc_read, disc_write, disc_invoke, d};
  ami_cosem_object_set_callbacks(o, &cb);
  d->obj = o;
  mirror(d);
  if (out)
    *out = o;
  return AMI_OK;
}
