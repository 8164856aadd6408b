/*
 * cosem_hooks.c -- class BEHAVIOUR beyond storage, for the few classes
 * that need it now (the descriptions themselves are in cosem_classes.c):
 * Association LN (object_list, access rights and the association's
 * identity computed from the model), SAP Assignment, Clock (time = the
 * request's now + an offset), Register / Extended / Demand Register
 * (reset, next_period), Disconnect Control (a stored state machine) and
 * Security Setup (security_activate). Profile Generic lives in
 * cosem_profile.c.
 *
 * A hook returns AMI_E_NOT_FOUND for anything it leaves to the generic
 * code (stored values, defaults).
 */
#include "cosem_internal.h"

#include <string.h>

#include "ami/ami_axdr.h"
#include "ami/ami_cosem_time.h"
#include "ami/ami_selective.h"

/* ---- Association LN (class 15), Blue Book §4.4.3 --------------------------
 */

/* One object_list_element: { class_id, version, logical_name,
 * access_rights { attribute_access array, method_access array } }, with
 * access_selectors null-data except Profile Generic's buffer, which
 * offers selectors 1 (range) and 2 (entry). */
static void put_object_list_element(ami_wr *w, const ami_cosem_object *o,
                                    const ami__cosem_entry *e) {
  const ami_cosem_class_desc *c = o->cls;
  uint8_t ln[6];
  ami_obis_to_bytes(&o->ln, ln);
  ami_axdr_put_struct(w, 4);
  ami_axdr_put_u16(w, c->class_id);
  ami_axdr_put_u8(w, c->version);
  ami_axdr_put_octets(w, ln, 6);
  ami_axdr_put_struct(w, 2);
  ami_axdr_put_array(w, c->nattrs);
  for (uint8_t i = 0; i < c->nattrs; i++) {
    unsigned idx = c->attrs[i].index;
    uint8_t mode = AMI_COSEM_ACC_NONE;
    if (!e) /* read-only view of the association's own object */
      mode = c->attrs[i].access == AMI_COSEM_ACC_WRITE ? AMI_COSEM_ACC_NONE
                                                       : AMI_COSEM_ACC_READ;
    else if (idx <= AMI__COSEM_MAX_ATTRS)
      mode = e->attr[idx - 1];
    ami_axdr_put_struct(w, 3);
    ami_axdr_put_i8(w, (int8_t)idx);
    ami_axdr_put_enum(w, mode);
    if (c->class_id == 7 && idx == 2) {
      ami_axdr_put_array(w, 2);
      ami_axdr_put_i8(w, AMI_SELECTIVE_RANGE);
      ami_axdr_put_i8(w, AMI_SELECTIVE_ENTRY);
    } else {
      ami_axdr_put_null(w);
    }
  }
  ami_axdr_put_array(w, c->nmethods);
  for (uint8_t i = 0; i < c->nmethods; i++) {
    unsigned idx = c->methods[i].index;
    uint8_t mode = e && idx <= AMI__COSEM_MAX_METHODS ? e->meth[idx - 1]
                                                      : AMI_COSEM_MACC_NONE;
    ami_axdr_put_struct(w, 2);
    ami_axdr_put_i8(w, (int8_t)idx);
    ami_axdr_put_enum(w, mode);
  }
}

/* The object_list of an association: every object in it, and the
 * association itself as 0.0.40.0.0.255 ("current association") when it is
 * not listed under that name. */
static void put_object_list(ami_wr *w, const ami_cosem_assoc *a) {
  static const ami_obis current = {0, 0, 40, 0, 0, 255};
  bool add_current = !ami_obis_eq(&a->obj->ln, &current);
  ami_axdr_put_array(w, a->n + (add_current ? 1 : 0));
  if (add_current) {
    ami_cosem_object cur = *a->obj;
    cur.ln = current;
    const ami__cosem_entry *e = NULL;
    for (size_t i = 0; i < a->n; i++)
      if (a->entries[i].obj == a->obj)
        e = &a->entries[i];
    put_object_list_element(w, &cur, e);
  }
  for (size_t i = 0; i < a->n; i++)
    put_object_list_element(w, a->entries[i].obj, &a->entries[i]);
}

/* application_context_name / authentication_mechanism_name as the
 * structure form of the OID 2.16.756.5.8.<arc>.<id> (joint-iso-ccitt,
 * country, country-name, identified-organization, DLMS-UA, arc, id). */
static void put_dlms_oid(ami_wr *w, uint8_t arc, uint8_t id) {
  ami_axdr_put_struct(w, 7);
  ami_axdr_put_u8(w, 2);
  ami_axdr_put_u8(w, 16);
  ami_axdr_put_u16(w, 756);
  ami_axdr_put_u8(w, 5);
  ami_axdr_put_u8(w, 8);
  ami_axdr_put_u8(w, arc);
  ami_axdr_put_u8(w, id);
}

static int assoc_get(const ami__cosem_ctx *c, ami_cosem_object *o,
                     unsigned attr, const ami_apdu_selection *sel, ami_wr *out,
                     uint8_t *dar) {
  (void)dar;
  const ami_cosem_assoc *a = o->assoc;
  if (!a || (sel && sel->present))
    return AMI_E_NOT_FOUND;
  bool current = c && c->assoc == a;
  ami_span stored;
  if (attr != 2 && attr != 8 && ami_cosem_get_attr(o, attr, &stored) == AMI_OK)
    return AMI_E_NOT_FOUND; /* the application set it: answer that */
  switch (attr) {
  case 2:
    put_object_list(out, a);
    return out->err;
  case 3: /* associated_partners_id { client_SAP integer, server_SAP } */
    ami_axdr_put_struct(out, 2);
    ami_axdr_put_i8(out, (int8_t)a->client);
    ami_axdr_put_u16(out, current ? c->info->logical_device : 1);
    return out->err;
  case 4: /* 1 = LN referencing, 3 = LN with ciphering */
    put_dlms_oid(out, 1, current && c->info->ciphered ? 3 : 1);
    return out->err;
  case 6:
    put_dlms_oid(out, 2, a->mechanism);
    return out->err;
  case 8: /* association_status: 0 non-associated, 2 associated */
    ami_axdr_put_enum(out, current ? 2 : 0);
    return out->err;
  default:
    return AMI_E_NOT_FOUND;
  }
}

/* ---- SAP Assignment (class 17) ------------------------------------------- */

static int sap_get(const ami__cosem_ctx *c, ami_cosem_object *o, unsigned attr,
                   const ami_apdu_selection *sel, ami_wr *out, uint8_t *dar) {
  (void)c;
  (void)dar;
  if (attr != 2 || (sel && sel->present))
    return AMI_E_NOT_FOUND;
  const ami_cosem_model *m = o->model;
  ami_axdr_put_array(out, m->nldevs);
  for (size_t i = 0; i < m->nldevs; i++) {
    ami_axdr_put_struct(out, 2);
    ami_axdr_put_u16(out, m->ldevs[i].sap);
    ami_axdr_put_octets(out, m->ldevs[i].name, m->ldevs[i].name_len);
  }
  return out->err;
}

/* ---- Clock (class 8) ----------------------------------------------------- */

/* A small stored integer attribute (time_zone, status), or `dflt`. */
static int64_t stored_int(const ami_cosem_object *o, unsigned attr,
                          int64_t dflt) {
  ami_span v;
  if (ami_cosem_get_attr(o, attr, &v) != AMI_OK)
    return dflt;
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, v.p, v.len);
  ami_axdr_value x;
  if (ami_axdr_next(&d, &x) != AMI_OK)
    return dflt;
  switch (x.tag) {
  case AMI_AXDR_LONG:
  case AMI_AXDR_INTEGER:
  case AMI_AXDR_DOUBLE_LONG:
    return x.v.i;
  case AMI_AXDR_UNSIGNED:
  case AMI_AXDR_LONG_UNSIGNED:
  case AMI_AXDR_ENUM:
  case AMI_AXDR_BOOLEAN:
    return x.tag == AMI_AXDR_BOOLEAN ? x.v.b : (int64_t)x.v.u;
  default:
    return dflt;
  }
}

/* Clock time_zone (attribute 3) is the deviation in minutes with the sign
 * of the date-time deviation field (Blue Book: UTC - local); unspecified
 * (0x8000) counts as 0. */
static int clock_tz(const ami_cosem_object *o) {
  int64_t tz = stored_int(o, 3, 0);
  return tz < -720 || tz > 720 ? 0 : (int)tz;
}

static int clock_get(const ami__cosem_ctx *c, ami_cosem_object *o,
                     unsigned attr, const ami_apdu_selection *sel, ami_wr *out,
                     uint8_t *dar) {
  if (attr != 2 || (sel && sel->present))
    return AMI_E_NOT_FOUND;
  int64_t ms = (int64_t)c->now_ms + o->clock_offset_ms;
  int64_t sec = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  uint8_t hund = (uint8_t)((ms - sec * 1000) / 10);
  ami_cosem_datetime dt;
  int rc = ami_cosem_datetime_from_utc(sec, hund, -clock_tz(o),
                                       AMI_COSEM_DEV_STANDARD,
                                       (uint8_t)stored_int(o, 4, 0), &dt);
  if (rc != AMI_OK) {
    *dar = AMI_COSEM_DAR_HARDWARE_FAULT;
    return AMI_OK;
  }
  ami_axdr_put_datetime_octets(out, &dt);
  return out->err;
}

static int clock_set(const ami__cosem_ctx *c, ami_cosem_object *o,
                     unsigned attr, ami_span value, uint8_t *dar) {
  if (attr != 2)
    return AMI_E_NOT_FOUND;
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, value.p, value.len);
  ami_cosem_datetime dt;
  int64_t sec;
  uint8_t hund;
  if (ami_axdr_get_datetime(&d, &dt) != AMI_OK ||
      ami_cosem_datetime_to_utc(&dt, AMI_COSEM_DEV_STANDARD, &sec, &hund) !=
          AMI_OK) {
    *dar = AMI_COSEM_DAR_OTHER_REASON; /* wildcards or impossible fields */
    return AMI_OK;
  }
  o->clock_offset_ms = sec * 1000 + hund * 10 - (int64_t)c->now_ms;
  return AMI_OK;
}

/* Round the clock to the nearest multiple of `step_s` seconds. */
static void clock_round(const ami__cosem_ctx *c, ami_cosem_object *o,
                        int64_t step_s) {
  int64_t ms = (int64_t)c->now_ms + o->clock_offset_ms;
  int64_t step = step_s * 1000;
  int64_t r = ((ms + step / 2) / step) * step;
  o->clock_offset_ms += r - ms;
}

static int clock_action(const ami__cosem_ctx *c, ami_cosem_object *o,
                        unsigned method, ami_span params, ami_wr *ret,
                        bool *has_return, uint8_t *result) {
  (void)ret;
  (void)has_return;
  switch (method) {
  case 1: /* adjust_to_quarter */
    clock_round(c, o, 900);
    return AMI_OK;
  case 3: /* adjust_to_minute */
    clock_round(c, o, 60);
    return AMI_OK;
  case 6: { /* shift_time: long, seconds, -900..900 */
    ami_axdr_dec d;
    ami_axdr_dec_init(&d, params.p, params.len);
    int16_t s;
    if (ami_axdr_get_i16(&d, &s) != AMI_OK || s < -900 || s > 900) {
      *result = AMI_COSEM_DAR_OTHER_REASON;
      return AMI_OK;
    }
    o->clock_offset_ms += (int64_t)s * 1000;
    return AMI_OK;
  }
  default:
    return AMI_E_NOT_FOUND;
  }
}

void ami_cosem_clock_set_offset(ami_cosem_object *clock, int64_t offset_ms) {
  clock->clock_offset_ms = offset_ms;
}

int64_t ami_cosem_clock_offset(const ami_cosem_object *clock) {
  return clock->clock_offset_ms;
}

/* ---- Register family (classes 3, 4, 5) ------------------------------------
 */

/* Store the zero of the stored value's type (a number becomes 0, a string
 * empty, anything else null-data) -- the Blue Book reset sets the value to
 * its default. */
static int zero_value(ami_cosem_object *o, unsigned attr) {
  ami_span v;
  uint8_t buf[16];
  ami_wr w;
  ami_wr_init(&w, buf, sizeof buf);
  uint8_t tag = ami_cosem_get_attr(o, attr, &v) == AMI_OK && v.len ? v.p[0] : 0;
  int n = ami_axdr_fixed_size(tag);
  if (tag == AMI_AXDR_OCTET_STRING || tag == AMI_AXDR_VISIBLE_STRING ||
      tag == AMI_AXDR_UTF8_STRING) {
    ami_axdr_put_string(&w, tag, buf, 0);
  } else if (n > 0 && tag != AMI_AXDR_DATE_TIME && tag != AMI_AXDR_DATE &&
             tag != AMI_AXDR_TIME) {
    static const uint8_t zeros[8] = {0};
    ami_wr_u8(&w, tag);
    ami_wr_bytes(&w, zeros, (size_t)n);
  } else {
    ami_axdr_put_null(&w);
  }
  return ami__cosem_store(o, attr, ami_span_make(buf, w.len));
}

/* Store now as a date-time octet-string (capture_time and the like). */
static int store_now(const ami__cosem_ctx *c, ami_cosem_object *o,
                     unsigned attr) {
  ami_cosem_datetime dt;
  int rc = ami_cosem_datetime_from_utc((int64_t)(c->now_ms / 1000),
                                       (uint8_t)(c->now_ms % 1000 / 10), 0,
                                       AMI_COSEM_DEV_STANDARD, 0, &dt);
  if (rc != AMI_OK)
    return rc;
  uint8_t buf[14];
  ami_wr w;
  ami_wr_init(&w, buf, sizeof buf);
  ami_axdr_put_datetime_octets(&w, &dt);
  return ami__cosem_store(o, attr, ami_span_make(buf, w.len));
}

static int register_action(const ami__cosem_ctx *c, ami_cosem_object *o,
                           unsigned method, ami_span params, ami_wr *ret,
                           bool *has_return, uint8_t *result) {
  (void)params;
  (void)ret;
  (void)has_return;
  (void)result;
  uint16_t cls = o->cls->class_id;
  int rc;
  if (method == 1) { /* reset */
    rc = zero_value(o, 2);
    if (rc == AMI_OK && cls == 5)
      rc = zero_value(o, 3);
    if (rc == AMI_OK && cls == 4)
      rc = store_now(c, o, 5);
    if (rc == AMI_OK && cls == 5)
      rc = store_now(c, o, 6);
    return rc;
  }
  if (method == 2 && cls == 5) { /* next_period: current -> last */
    ami_span cur;
    if (ami_cosem_get_attr(o, 2, &cur) == AMI_OK) {
      rc = ami__cosem_store(o, 3, cur);
      if (rc != AMI_OK)
        return rc;
    }
    rc = zero_value(o, 2);
    if (rc == AMI_OK)
      rc = store_now(c, o, 6);
    if (rc == AMI_OK)
      rc = store_now(c, o, 7);
    return rc;
  }
  return AMI_E_NOT_FOUND;
}

/* ---- Disconnect Control (class 70) ----------------------------------------
 */

static int store_small(ami_cosem_object *o, unsigned attr, uint8_t tag,
                       uint8_t v) {
  uint8_t b[2] = {tag, v};
  return ami__cosem_store(o, attr, ami_span_make(b, 2));
}

/* remote_disconnect: output off, control_state disconnected (0);
 * remote_reconnect: output on, control_state connected (1) -- the bare
 * default of a model without a meter behind it. The full state machine
 * of the control modes (IEC 62056-6-2 §4.5.8, transitions a..h per
 * control_mode) is lib/meter's: ami_meter_disconnect_bind attaches it
 * through object callbacks, which take precedence over this hook, and
 * keeps attributes 2..4 stored so ami_cosem_disconnect_state stays
 * right. */
static int disconnect_action(const ami__cosem_ctx *c, ami_cosem_object *o,
                             unsigned method, ami_span params, ami_wr *ret,
                             bool *has_return, uint8_t *result) {
  (void)c;
  (void)params;
  (void)ret;
  (void)has_return;
  (void)result;
  if (method != 1 && method != 2)
    return AMI_E_NOT_FOUND;
  bool on = method == 2;
  int rc = store_small(o, 2, AMI_AXDR_BOOLEAN, on ? 1 : 0);
  if (rc == AMI_OK)
    rc = store_small(o, 3, AMI_AXDR_ENUM, on ? 1 : 0);
  return rc;
}

int ami_cosem_disconnect_state(const ami_cosem_object *obj, bool *output,
                               uint8_t *control) {
  if (obj->cls->class_id != 70)
    return AMI_E_INVAL;
  *output = stored_int(obj, 2, 0) != 0;
  *control = (uint8_t)stored_int(obj, 3, 0);
  return AMI_OK;
}

/* ---- Security Setup (class 64) --------------------------------------------
 */

/* security_activate without an application callback raises the stored
 * policy (the engine reads it from ami_server_assoc_info). key_transfer
 * and the certificate methods have no default: keys belong to the
 * application, so they answer object-unavailable unless its callback
 * handles them. */
static int security_action(const ami__cosem_ctx *c, ami_cosem_object *o,
                           unsigned method, ami_span params, ami_wr *ret,
                           bool *has_return, uint8_t *result) {
  (void)c;
  (void)ret;
  (void)has_return;
  if (method != 1 || !params.len)
    return AMI_E_NOT_FOUND;
  int64_t now = stored_int(o, 2, 0);
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, params.p, params.len);
  uint8_t p;
  if (ami_axdr_get_enum(&d, &p) != AMI_OK || p < now) {
    *result = AMI_COSEM_DAR_OTHER_REASON; /* the policy never decreases */
    return AMI_OK;
  }
  return ami__cosem_store(o, 2, params);
}

/* ---- the hook table ------------------------------------------------------ */

static const ami__cosem_hooks hooks[] = {
    {3, NULL, NULL, register_action},
    {4, NULL, NULL, register_action},
    {5, NULL, NULL, register_action},
    {7, ami__cosem_profile_get, ami__cosem_profile_set,
     ami__cosem_profile_action},
    {8, clock_get, clock_set, clock_action},
    {15, assoc_get, NULL, NULL},
    {17, sap_get, NULL, NULL},
    {64, NULL, NULL, security_action},
    {70, NULL, NULL, disconnect_action},
};

const ami__cosem_hooks *ami__cosem_hooks_find(uint16_t class_id) {
  for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++)
    if (hooks[i].class_id == class_id)
      return &hooks[i];
  return NULL;
}
