/*
 * ami_meter_limiter.c -- the Limiter (COSEM class 71, IEC 62056-6-2
 * §4.5.9): over/under threshold timing with minimum durations, the
 * emergency profile, the actions, and the binding that lets a DLMS client
 * read and configure it (see ami_meter_limiter.h for the semantics).
 */
#include "ami/ami_meter_limiter.h"

#include <string.h>

#include "ami/ami_axdr.h"
#include "ami/ami_cosem_time.h"
#include "ami/ami_meter_events.h"
#include "meter_ctl_internal.h"

static void report(const ami_meter_limiter *l, uint16_t code, uint64_t now) {
  if (l->on_event)
    l->on_event(l->user, code, now);
}

void ami_meter_limiter_init(ami_meter_limiter *l, ami_meter_ctl_event_fn fn,
                            void *user) {
  memset(l, 0, sizeof *l);
  l->mon_class = 3;
  l->mon_ln = ami_obis_make(1, 0, 1, 7, 0, 255);
  l->mon_attr = 2;
  l->threshold_tag = AMI_AXDR_DOUBLE_LONG_UNSIGNED;
  l->action_over.ln = ami_obis_make(0, 0, 10, 0, 106, 255);
  l->action_over.selector = 1;
  l->action_under.ln = ami_obis_make(0, 0, 10, 0, 106, 255);
  l->action_under.selector = 2;
  l->on_event = fn;
  l->user = user;
}

/* Is the emergency profile in force at now_ms? Blue Book class 71: active
 * from emergency_activation_time for emergency_duration seconds, when the
 * profile's id is one of emergency_profile_group_id_list. */
static bool emergency_now(const ami_meter_limiter *l, uint64_t now_ms) {
  if (!l->emergency_set)
    return false;
  bool member = false;
  for (uint8_t i = 0; i < l->ngroups; i++)
    member = member || l->group_ids[i] == l->emergency_id;
  if (!member)
    return false;
  int64_t now = (int64_t)now_ms;
  int64_t start = ami__meter_sat_mul(l->emergency_start_s, 1000);
  int64_t end =
      ami__meter_sat_add(start, (int64_t)l->emergency_duration_s * 1000);
  return now >= start && now < end; /* [start, end) */
}

/* Re-derive emergency_profile_active and, when it flips, threshold_active. */
static void recompute(ami_meter_limiter *l, uint64_t now_ms, bool force) {
  bool em = emergency_now(l, now_ms);
  if (em == l->emergency_active && !force)
    return;
  l->emergency_active = em;
  int64_t t = em ? l->threshold_emergency : l->threshold_normal;
  if (t != l->threshold_active) {
    l->threshold_active = t;
    report(l, AMI_EV_LIMITER_CHANGED, now_ms);
  }
}

void ami_meter_limiter_set_thresholds(ami_meter_limiter *l, int64_t normal,
                                      int64_t emergency, uint64_t now_ms) {
  bool changed =
      normal != l->threshold_normal || emergency != l->threshold_emergency;
  l->threshold_normal = normal;
  l->threshold_emergency = emergency;
  int64_t before = l->threshold_active;
  recompute(l, now_ms, true);
  if (changed && before == l->threshold_active)
    report(l, AMI_EV_LIMITER_CHANGED, now_ms); /* a configured one moved */
}

void ami_meter_limiter_set_active(ami_meter_limiter *l, int64_t active,
                                  uint64_t now_ms) {
  if (active == l->threshold_active)
    return;
  l->threshold_active = active;
  report(l, AMI_EV_LIMITER_CHANGED, now_ms);
}

int ami_meter_limiter_set_emergency(ami_meter_limiter *l, uint16_t id,
                                    int64_t start_utc_s, uint32_t duration_s,
                                    const uint16_t *groups, uint8_t ngroups,
                                    uint64_t now_ms) {
  if (ngroups > AMI_METER_LIMITER_MAX_GROUPS)
    return AMI_E_LIMIT;
  l->emergency_id = id;
  l->emergency_set = true;
  l->emergency_start_s = start_utc_s;
  l->emergency_duration_s = duration_s;
  if (ngroups)
    memcpy(l->group_ids, groups, ngroups * sizeof *groups);
  l->ngroups = ngroups;
  recompute(l, now_ms, false);
  return AMI_OK;
}

/* value_milli (milli-units) > threshold (units x 10^scaler), exactly, with
 * saturation instead of overflow. */
static bool over(int64_t value_milli, int64_t threshold, int8_t scaler) {
  int e = scaler + 3;
  bool neg_e = e < 0;
  int n = neg_e ? -e : e;
  /* Scale the side that needs multiplying by 10^n. */
  int64_t x = neg_e ? value_milli : threshold;
  for (int i = 0; i < n; i++) {
    if (x > INT64_MAX / 10) {
      x = INT64_MAX;
      break;
    }
    if (x < INT64_MIN / 10) {
      x = INT64_MIN;
      break;
    }
    x *= 10;
  }
  return neg_e ? x > threshold : value_milli > x;
}

static bool has_script(const ami_meter_script_ref *s) {
  static const ami_obis zero = {0, 0, 0, 0, 0, 0};
  return !ami_obis_eq(&s->ln, &zero);
}

/* IEC 62056-6-2 §4.5.9: the over action after min_over_threshold_duration
 * above, the under action after min_under_threshold_duration below (only
 * after an over action). */
unsigned ami_meter_limiter_step(ami_meter_limiter *l, uint64_t now_ms,
                                int64_t value_milli) {
  recompute(l, now_ms, false);
  bool above = over(value_milli, l->threshold_active, l->threshold_scaler);
  if (!l->started || above != l->above) {
    l->started = true;
    l->above = above;
    l->since_ms = now_ms;
    l->fired = false;
  }
  uint64_t elapsed = now_ms - l->since_ms;
  unsigned acts = 0;
  if (l->fired)
    return 0;
  if (above && elapsed >= (uint64_t)l->min_over_s * 1000u) {
    l->fired = true;
    l->tripped = true;
    report(l, AMI_EV_LIMITER_EXCEEDED, now_ms);
    if (has_script(&l->action_over))
      acts |= AMI_METER_LIMITER_ACT_OVER;
  } else if (!above && l->tripped &&
             elapsed >= (uint64_t)l->min_under_s * 1000u) {
    l->fired = true;
    l->tripped = false;
    report(l, AMI_EV_LIMITER_OK, now_ms);
    if (has_script(&l->action_under))
      acts |= AMI_METER_LIMITER_ACT_UNDER;
  }
  return acts;
}

/* ---- binding ------------------------------------------------------------- */

static void put_ln(ami_wr *w, const ami_obis *ln) {
  uint8_t b[6];
  ami_obis_to_bytes(ln, b);
  ami_axdr_put_octets(w, b, 6);
}

static void put_threshold(ami_wr *w, const ami_meter_limiter *l, int64_t v) {
  ami_axdr_value x = ami_axdr_v_int(l->threshold_tag, v);
  ami_axdr_put_value(w, &x);
}

static void put_script(ami_wr *w, const ami_meter_script_ref *s) {
  ami_axdr_put_struct(w, 2);
  put_ln(w, &s->ln);
  ami_axdr_put_u16(w, s->selector);
}

static int lim_read(void *ud, ami_cosem_object *obj, unsigned attr,
                    const ami_apdu_selection *sel, uint64_t now_ms, ami_wr *out,
                    uint8_t *dar) {
  ami_meter_limiter *l = ud;
  (void)obj;
  (void)dar;
  if (sel && sel->present)
    return AMI_E_NOT_FOUND;
  recompute(l, now_ms, false);
  switch (attr) {
  case 2:
    ami_axdr_put_struct(out, 3);
    ami_axdr_put_u16(out, l->mon_class);
    put_ln(out, &l->mon_ln);
    ami_axdr_put_i8(out, l->mon_attr);
    break;
  case 3:
    put_threshold(out, l, l->threshold_active);
    break;
  case 4:
    put_threshold(out, l, l->threshold_normal);
    break;
  case 5:
    put_threshold(out, l, l->threshold_emergency);
    break;
  case 6:
    ami_axdr_put_u32(out, l->min_over_s);
    break;
  case 7:
    ami_axdr_put_u32(out, l->min_under_s);
    break;
  case 8: {
    ami_axdr_put_struct(out, 3);
    ami_axdr_put_u16(out, l->emergency_id);
    ami_cosem_datetime dt = ami_cosem_datetime_unspecified();
    if (l->emergency_set &&
        ami_cosem_datetime_from_utc(l->emergency_start_s, 0, 0,
                                    AMI_COSEM_DEV_STANDARD, 0, &dt) != AMI_OK)
      dt = ami_cosem_datetime_unspecified();
    ami_axdr_put_datetime_octets(out, &dt);
    ami_axdr_put_u32(out, l->emergency_duration_s);
    break;
  }
  case 9:
    ami_axdr_put_array(out, l->ngroups);
    for (uint8_t i = 0; i < l->ngroups; i++)
      ami_axdr_put_u16(out, l->group_ids[i]);
    break;
  case 10:
    ami_axdr_put_bool(out, l->emergency_active);
    break;
  case 11:
    ami_axdr_put_struct(out, 2);
    put_script(out, &l->action_over);
    put_script(out, &l->action_under);
    break;
  default:
    return AMI_E_NOT_FOUND;
  }
  return out->err;
}

/* Any integer Data (the threshold CHOICE); its tag is kept for reading. */
static bool get_integer(ami_axdr_dec *d, int64_t *v, uint8_t *tag) {
  ami_axdr_value x;
  if (ami_axdr_next(d, &x) != AMI_OK)
    return false;
  switch (x.tag) {
  case AMI_AXDR_INTEGER:
  case AMI_AXDR_LONG:
  case AMI_AXDR_DOUBLE_LONG:
  case AMI_AXDR_LONG64:
    *v = x.v.i;
    break;
  case AMI_AXDR_UNSIGNED:
  case AMI_AXDR_LONG_UNSIGNED:
  case AMI_AXDR_DOUBLE_LONG_UNSIGNED:
    *v = (int64_t)x.v.u;
    break;
  default:
    return false;
  }
  *tag = x.tag;
  return true;
}

static bool get_ln(ami_axdr_dec *d, ami_obis *ln) {
  ami_span s;
  if (ami_axdr_get_octets(d, &s) != AMI_OK || s.len != 6)
    return false;
  *ln = ami_obis_make(s.p[0], s.p[1], s.p[2], s.p[3], s.p[4], s.p[5]);
  return true;
}

static bool get_script(ami_axdr_dec *d, ami_meter_script_ref *s) {
  uint32_t n;
  return ami_axdr_get_struct(d, &n) == AMI_OK && n == 2 && get_ln(d, &s->ln) &&
         ami_axdr_get_u16(d, &s->selector) == AMI_OK;
}

/* emergency_profile { id, activation_time, duration }: an all-wildcard
 * time removes the activation; another time must name one instant. */
static bool write_emergency(ami_meter_limiter *l, ami_axdr_dec *d,
                            uint64_t now) {
  uint32_t n, dur;
  uint16_t id;
  ami_cosem_datetime dt;
  if (ami_axdr_get_struct(d, &n) != AMI_OK || n != 3 ||
      ami_axdr_get_u16(d, &id) != AMI_OK ||
      ami_axdr_get_datetime(d, &dt) != AMI_OK ||
      ami_axdr_get_u32(d, &dur) != AMI_OK)
    return false;
  int64_t sec = 0;
  uint8_t hund;
  bool set = dt.date.year != AMI_COSEM_YEAR_UNSPEC;
  if (set && ami_cosem_datetime_to_utc(&dt, AMI_COSEM_DEV_STANDARD, &sec,
                                       &hund) != AMI_OK)
    return false;
  l->emergency_id = id;
  l->emergency_set = set;
  l->emergency_start_s = sec;
  l->emergency_duration_s = dur;
  recompute(l, now, false);
  return true;
}

static bool write_groups(ami_meter_limiter *l, ami_axdr_dec *d, uint64_t now) {
  uint32_t n;
  uint16_t ids[AMI_METER_LIMITER_MAX_GROUPS];
  if (ami_axdr_get_array(d, &n) != AMI_OK || n > AMI_METER_LIMITER_MAX_GROUPS)
    return false;
  for (uint32_t i = 0; i < n; i++)
    if (ami_axdr_get_u16(d, &ids[i]) != AMI_OK)
      return false;
  memcpy(l->group_ids, ids, sizeof ids);
  l->ngroups = (uint8_t)n;
  recompute(l, now, false);
  return true;
}

static int lim_write(void *ud, ami_cosem_object *obj, unsigned attr,
                     ami_span value, uint8_t *dar) {
  ami_meter_limiter *l = ud;
  uint64_t now = ami_cosem_object_request_now(obj);
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, value.p, value.len);
  bool ok = false;
  int64_t v;
  uint8_t tag;
  uint32_t n;
  switch (attr) {
  case 2: {
    uint16_t cls;
    ami_obis ln;
    int8_t a;
    ok = ami_axdr_get_struct(&d, &n) == AMI_OK && n == 3 &&
         ami_axdr_get_u16(&d, &cls) == AMI_OK && get_ln(&d, &ln) &&
         ami_axdr_get_i8(&d, &a) == AMI_OK;
    if (ok) {
      l->mon_class = cls;
      l->mon_ln = ln;
      l->mon_attr = a;
    }
    break;
  }
  case 3:
  case 4:
  case 5:
    if (!get_integer(&d, &v, &tag)) {
      *dar = AMI_COSEM_DAR_TYPE_UNMATCHED;
      return AMI_OK;
    }
    ok = true;
    l->threshold_tag = tag;
    if (attr == 3)
      ami_meter_limiter_set_active(l, v, now);
    else
      ami_meter_limiter_set_thresholds(l, attr == 4 ? v : l->threshold_normal,
                                       attr == 5 ? v : l->threshold_emergency,
                                       now);
    break;
  case 6:
  case 7: {
    uint32_t s;
    ok = ami_axdr_get_u32(&d, &s) == AMI_OK;
    if (ok && attr == 6)
      l->min_over_s = s;
    else if (ok)
      l->min_under_s = s;
    break;
  }
  case 8:
    ok = write_emergency(l, &d, now);
    break;
  case 9:
    ok = write_groups(l, &d, now);
    break;
  case 11: {
    ami_meter_script_ref o, u;
    ok = ami_axdr_get_struct(&d, &n) == AMI_OK && n == 2 &&
         get_script(&d, &o) && get_script(&d, &u);
    if (ok) {
      l->action_over = o;
      l->action_under = u;
    }
    break;
  }
  default:
    return AMI_E_NOT_FOUND;
  }
  if (!ok)
    *dar = AMI_COSEM_DAR_OTHER_REASON;
  return AMI_OK;
}

int ami_meter_limiter_bind(ami_meter_limiter *l, ami_cosem_model *m,
                           ami_obis ln, ami_cosem_object **out) {
  ami_cosem_object *o;
  int rc = ami_cosem_add_object(m, 71, ln, &o);
  if (rc != AMI_OK)
    return rc;
  ami_cosem_callbacks cb = {lim_read, lim_write, NULL, l};
  ami_cosem_object_set_callbacks(o, &cb);
  l->obj = o;
  if (out)
    *out = o;
  return AMI_OK;
}
