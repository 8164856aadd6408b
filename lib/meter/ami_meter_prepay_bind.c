/*
 * ami_meter_prepay_bind.c -- the COSEM face of ami_meter_prepay: Account
 * (class 111), two Credits (112), two Charges (113) and a Token gateway
 * (115) added to an ami_cosem_model, answering GET from the state machine
 * and routing SET and ACTION into it (IEC 62056-6-2 payment metering
 * classes; attribute lists as described in lib/cosem/cosem_classes.c).
 * Attributes the state machine does not use stay in the model's storage.
 */
#include "ami/ami_meter_prepay.h"

#include <string.h>

#include "ami/ami_axdr.h"
#include "ami/ami_cosem_time.h"
#include "meter_ctl_internal.h"

enum { O_ACCOUNT, O_TOKEN, O_EMERGENCY, O_ENERGY, O_STANDING, O_GATEWAY };

ami_meter_prepay_names ami_meter_prepay_default_names(void) {
  ami_meter_prepay_names n;
  n.account = ami_obis_make(0, 0, 19, 0, 0, 255);
  n.token_credit = ami_obis_make(0, 0, 19, 10, 0, 255);
  n.emergency_credit = ami_obis_make(0, 0, 19, 10, 1, 255);
  n.energy_charge = ami_obis_make(0, 0, 19, 20, 0, 255);
  n.standing_charge = ami_obis_make(0, 0, 19, 20, 1, 255);
  n.token_gateway = ami_obis_make(0, 0, 19, 40, 0, 255);
  return n;
}

/* Amounts are double-long in COSEM: saturate rather than wrap. */
static void put_money(ami_wr *w, int64_t v) {
  ami_axdr_put_i32(w, v > INT32_MAX   ? INT32_MAX
                      : v < INT32_MIN ? INT32_MIN
                                      : (int32_t)v);
}

static void put_obj_ln(ami_wr *w, const ami_cosem_object *o) {
  uint8_t b[6];
  ami_obis ln = ami_cosem_object_ln(o);
  ami_obis_to_bytes(&ln, b);
  ami_axdr_put_octets(w, b, 6);
}

static void put_time(ami_wr *w, bool set, uint64_t ms) {
  ami_cosem_datetime dt = ami_cosem_datetime_unspecified();
  if (set && ami_cosem_datetime_from_utc(
                 (int64_t)(ms / 1000u), (uint8_t)(ms % 1000u / 10u), 0,
                 AMI_COSEM_DEV_STANDARD, 0, &dt) != AMI_OK)
    dt = ami_cosem_datetime_unspecified();
  ami_axdr_put_datetime_octets(w, &dt);
}

static int which(const ami_meter_prepay *p, const ami_cosem_object *o) {
  for (int i = 0; i < 6; i++)
    if (p->objs[i] == o)
      return i;
  return -1;
}

/* ---- Account (class 111) --------------------------------------------------
 */

/* current_credit_status bits (Blue Book class 111): 0 in credit, 1 low
 * credit, 2 next credit enabled, 3 next credit selectable, 4 next credit
 * selected, 5 selectable credit in use, 6 out of credit. Bit 0 is the
 * first (most significant) bit of the bit-string. */
static uint8_t credit_status_bits(const ami_meter_prepay *p) {
  int64_t avail = ami_meter_prepay_available(p);
  uint8_t b = 0;
  if (avail > 0)
    b |= 0x80;
  if (p->low_warned)
    b |= 0x40;
  if (p->emergency_preset > 0)
    b |= 0x20;
  if (p->emergency_preset > 0 && !p->emergency_in_use &&
      p->emergency_left > 0 && p->token_credit <= p->emergency_threshold)
    b |= 0x10;
  if (p->emergency_in_use)
    b |= 0x0C;
  if (avail <= 0)
    b |= 0x02;
  return b;
}

static int64_t debt(const ami_meter_prepay *p) {
  int64_t d = p->token_credit < 0 ? ami__meter_sat_sub(0, p->token_credit) : 0;
  if (p->emergency_in_use)
    d = ami__meter_sat_add(d, p->emergency_preset - p->emergency_left);
  return d;
}

static int account_read(ami_meter_prepay *p, unsigned attr, ami_wr *out) {
  switch (attr) {
  case 2:
    ami_axdr_put_struct(out, 2);
    ami_axdr_put_enum(out, p->payment_mode);
    ami_axdr_put_enum(out, p->account_status);
    return out->err;
  case 3:
    ami_axdr_put_u8(out, p->emergency_in_use ? 1 : 0);
    return out->err;
  case 4: {
    uint8_t b = credit_status_bits(p);
    ami_axdr_put_bitstring(out, &b, 8);
    return out->err;
  }
  case 5:
    put_money(out, ami_meter_prepay_available(p));
    return out->err;
  case 6:
  case 8:
    put_money(out, debt(p));
    return out->err;
  case 9:
    ami_axdr_put_array(out, 2);
    put_obj_ln(out, p->objs[O_TOKEN]);
    put_obj_ln(out, p->objs[O_EMERGENCY]);
    return out->err;
  case 10:
    ami_axdr_put_array(out, 2);
    put_obj_ln(out, p->objs[O_ENERGY]);
    put_obj_ln(out, p->objs[O_STANDING]);
    return out->err;
  case 15: /* currency { name, scale, unit: 2 = monetary } */
    ami_axdr_put_struct(out, 3);
    ami_axdr_put_utf8(out, p->currency, strlen(p->currency));
    ami_axdr_put_i8(out, p->currency_scale);
    ami_axdr_put_enum(out, 2);
    return out->err;
  case 16:
    put_money(out, p->low_credit_threshold);
    return out->err;
  case 17:
    put_money(out, p->next_credit_available_threshold);
    return out->err;
  default:
    return AMI_E_NOT_FOUND;
  }
}

static int account_write(ami_meter_prepay *p, unsigned attr, ami_axdr_dec *d,
                         uint8_t *dar) {
  int32_t v;
  uint32_t n;
  switch (attr) {
  case 15: {
    ami_span name;
    int8_t scale;
    uint8_t unit;
    if (ami_axdr_get_struct(d, &n) != AMI_OK || n != 3 ||
        ami_axdr_get_string(d, AMI_AXDR_UTF8_STRING, &name) != AMI_OK ||
        name.len > 3 || ami_axdr_get_i8(d, &scale) != AMI_OK ||
        ami_axdr_get_enum(d, &unit) != AMI_OK) {
      *dar = AMI_COSEM_DAR_OTHER_REASON;
      return AMI_OK;
    }
    memset(p->currency, 0, sizeof p->currency);
    if (name.len)
      memcpy(p->currency, name.p, name.len);
    p->currency_scale = scale;
    return AMI_OK;
  }
  case 16:
  case 17:
    if (ami_axdr_get_i32(d, &v) != AMI_OK) {
      *dar = AMI_COSEM_DAR_OTHER_REASON;
      return AMI_OK;
    }
    if (attr == 16)
      p->low_credit_threshold = v;
    else
      p->next_credit_available_threshold = v;
    return AMI_OK;
  default:
    return AMI_E_NOT_FOUND;
  }
}

/* ---- Credit (class 112) -------------------------------------------------- */

/* credit_status: 0 enabled, 1 selectable, 2 selected/invoked, 3 in use,
 * 4 exhausted (Blue Book class 112). */
static uint8_t credit_status(const ami_meter_prepay *p, bool emergency) {
  if (!emergency)
    return p->token_credit > 0 ? 3 : 4;
  if (p->emergency_in_use)
    return p->emergency_left > 0 ? 3 : 4;
  return credit_status_bits(p) & 0x10 ? 1 : 0;
}

static int credit_read(ami_meter_prepay *p, bool em, unsigned attr,
                       ami_wr *out) {
  switch (attr) {
  case 2:
    put_money(out, em ? p->emergency_left : p->token_credit);
    return out->err;
  case 3: /* credit_type: 0 token credit, 2 emergency credit */
    ami_axdr_put_enum(out, em ? 2 : 0);
    return out->err;
  case 8:
    ami_axdr_put_enum(out, credit_status(p, em));
    return out->err;
  case 9:
    if (!em)
      return AMI_E_NOT_FOUND;
    put_money(out, p->emergency_preset);
    return out->err;
  case 10:
    if (!em)
      return AMI_E_NOT_FOUND;
    put_money(out, p->emergency_threshold);
    return out->err;
  default:
    return AMI_E_NOT_FOUND;
  }
}

static int credit_write(ami_meter_prepay *p, bool em, unsigned attr,
                        ami_axdr_dec *d, uint8_t *dar) {
  int32_t v;
  if (!em || (attr != 9 && attr != 10))
    return AMI_E_NOT_FOUND;
  if (ami_axdr_get_i32(d, &v) != AMI_OK || v < 0) {
    *dar = AMI_COSEM_DAR_OTHER_REASON;
    return AMI_OK;
  }
  if (attr == 10) {
    p->emergency_threshold = v;
  } else {
    p->emergency_preset = v;
    if (!p->emergency_in_use || p->emergency_left > v)
      p->emergency_left = v; /* never more left than the preset */
  }
  return AMI_OK;
}

/* update_amount (1) adds to the token credit (a remote top-up);
 * set_amount_to_value (2) sets it; invoke_credit (3) takes the emergency
 * credit into use. */
static int credit_invoke(ami_meter_prepay *p, bool em, unsigned method,
                         ami_axdr_dec *d, uint64_t now, uint8_t *result) {
  int32_t v;
  uint8_t e;
  switch (method) {
  case 1:
  case 2:
    if (em || ami_axdr_get_i32(d, &v) != AMI_OK) {
      *result = AMI_COSEM_DAR_OTHER_REASON;
      return AMI_OK;
    }
    ami_meter_prepay_add_credit(
        p, method == 1 ? v : ami__meter_sat_sub(v, p->token_credit), now);
    return AMI_OK;
  case 3:
    (void)ami_axdr_get_enum(d, &e);
    if (!em || ami_meter_prepay_invoke_emergency(p, now) != AMI_OK)
      *result = AMI_COSEM_DAR_OTHER_REASON;
    return AMI_OK;
  default:
    return AMI_E_NOT_FOUND;
  }
}

/* ---- Charge (class 113) -------------------------------------------------- */

/* unit_charge { { commodity_scale, price_scale }, commodity { class_id,
 * logical_name, attribute_index }, charge_table array { index, price } }:
 * the energy charge names 1-0:1.8.0.255 attribute 2 of a Register. */
static void put_unit_charge(ami_wr *w, const ami_meter_charge *c) {
  ami_axdr_put_struct(w, 3);
  ami_axdr_put_struct(w, 2);
  ami_axdr_put_i8(w, c->commodity_scale);
  ami_axdr_put_i8(w, c->price_scale);
  ami_axdr_put_struct(w, 3);
  bool energy = c->charge_type == 0;
  ami_axdr_put_u16(w, energy ? 3 : 0);
  uint8_t ln[6] = {0};
  if (energy) {
    static const uint8_t e[6] = {1, 0, 1, 8, 0, 255};
    memcpy(ln, e, 6);
  }
  ami_axdr_put_octets(w, ln, 6);
  ami_axdr_put_i8(w, energy ? 2 : 0);
  ami_axdr_put_array(w, c->ntable);
  for (uint8_t i = 0; i < c->ntable; i++) {
    ami_axdr_put_struct(w, 2);
    ami_axdr_put_octets(w, &c->table[i].rate, c->table[i].rate ? 1 : 0);
    ami_axdr_put_i16(w, c->table[i].per_unit);
  }
}

/* Parse a unit_charge (already type-checked by the model) into `c`'s
 * scaling and table; false when a value is outside what is supported
 * (scales, more than AMI_METER_CHARGE_MAX_RATES entries, an index longer
 * than one byte). */
static bool get_unit_charge(ami_span v, ami_meter_charge *c) {
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, v.p, v.len);
  uint32_t n, k;
  int8_t cs, ps;
  uint16_t cls;
  ami_span ln;
  int8_t attr;
  if (ami_axdr_get_struct(&d, &n) != AMI_OK ||
      ami_axdr_get_struct(&d, &n) != AMI_OK ||
      ami_axdr_get_i8(&d, &cs) != AMI_OK ||
      ami_axdr_get_i8(&d, &ps) != AMI_OK ||
      ami_axdr_get_struct(&d, &n) != AMI_OK ||
      ami_axdr_get_u16(&d, &cls) != AMI_OK ||
      ami_axdr_get_octets(&d, &ln) != AMI_OK ||
      ami_axdr_get_i8(&d, &attr) != AMI_OK ||
      ami_axdr_get_array(&d, &k) != AMI_OK)
    return false;
  if (cs < -3 || cs > 6 || ps < -6 || ps > 6 || k > AMI_METER_CHARGE_MAX_RATES)
    return false;
  ami_meter_charge t = *c;
  t.commodity_scale = cs;
  t.price_scale = ps;
  t.ntable = (uint8_t)k;
  for (uint32_t i = 0; i < k; i++) {
    ami_span idx;
    if (ami_axdr_get_struct(&d, &n) != AMI_OK ||
        ami_axdr_get_octets(&d, &idx) != AMI_OK || idx.len > 1 ||
        ami_axdr_get_i16(&d, &t.table[i].per_unit) != AMI_OK)
      return false;
    t.table[i].rate = idx.len ? idx.p[0] : 0;
  }
  if (t.ntable != c->ntable || t.commodity_scale != c->commodity_scale ||
      t.price_scale != c->price_scale)
    t.residue = 0; /* a residue of another price means nothing now */
  *c = t;
  return true;
}

static int charge_read(ami_meter_charge *c, unsigned attr, ami_wr *out) {
  switch (attr) {
  case 2:
    put_money(out, c->total_paid);
    return out->err;
  case 3:
    ami_axdr_put_enum(out, c->charge_type);
    return out->err;
  case 5:
    put_unit_charge(out, c);
    return out->err;
  case 8:
    ami_axdr_put_u32(out, c->period_s);
    return out->err;
  case 10:
    put_time(out, c->last_collection_ms != 0, c->last_collection_ms);
    return out->err;
  case 11:
    put_money(out, c->last_amount);
    return out->err;
  default:
    return AMI_E_NOT_FOUND;
  }
}

static int charge_write(ami_meter_charge *c, unsigned attr, ami_axdr_dec *d,
                        uint8_t *dar) {
  uint32_t v;
  if (attr != 8)
    return AMI_E_NOT_FOUND; /* the passive unit charge is simply stored */
  if (ami_axdr_get_u32(d, &v) != AMI_OK || v == 0)
    *dar = AMI_COSEM_DAR_OTHER_REASON;
  else
    c->period_s = v;
  return AMI_OK;
}

/* update_unit_charge (1) stores the passive unit charge;
 * activate_passive_unit_charge (2) makes it the active one. */
static int charge_invoke(ami_meter_charge *c, ami_cosem_object *o,
                         unsigned method, ami_span params, uint8_t *result) {
  ami_span passive;
  switch (method) {
  case 1: {
    ami_meter_charge probe = *c;
    if (!get_unit_charge(params, &probe)) {
      *result = AMI_COSEM_DAR_OTHER_REASON;
      return AMI_OK;
    }
    return ami_cosem_set_attr(o, 6, params);
  }
  case 2:
    if (ami_cosem_get_attr(o, 6, &passive) != AMI_OK ||
        !get_unit_charge(passive, c))
      *result = AMI_COSEM_DAR_OTHER_REASON;
    return AMI_OK;
  default:
    return AMI_E_NOT_FOUND;
  }
}

/* ---- Token gateway (class 115) ------------------------------------------- */

static int gateway_read(ami_meter_prepay *p, unsigned attr, ami_wr *out) {
  static const uint8_t zero = 0;
  switch (attr) {
  case 2:
    ami_axdr_put_octets(out, p->last_token, p->last_token_len);
    return out->err;
  case 3:
    put_time(out, p->last_token_len > 0, p->last_token_ms);
    return out->err;
  case 6: /* token_status { status_code, data_value } */
    ami_axdr_put_struct(out, 2);
    ami_axdr_put_enum(out, p->last_token_status);
    ami_axdr_put_bitstring(out, &zero, 0);
    return out->err;
  default:
    return AMI_E_NOT_FOUND;
  }
}

/* enter (1): a token; rejected tokens answer other-reason. */
static int gateway_invoke(ami_meter_prepay *p, unsigned method, ami_axdr_dec *d,
                          uint64_t now, uint8_t *result) {
  ami_span tok;
  if (method != 1)
    return AMI_E_NOT_FOUND;
  if (ami_axdr_get_octets(d, &tok) != AMI_OK) {
    *result = AMI_COSEM_DAR_OTHER_REASON;
    return AMI_OK;
  }
  int rc = ami_meter_prepay_enter_token(p, tok.p, tok.len, now, NULL);
  if (rc != AMI_OK)
    *result = AMI_COSEM_DAR_OTHER_REASON;
  return AMI_OK;
}

/* ---- callbacks ----------------------------------------------------------- */

static int pp_read(void *ud, ami_cosem_object *obj, unsigned attr,
                   const ami_apdu_selection *sel, uint64_t now_ms, ami_wr *out,
                   uint8_t *dar) {
  ami_meter_prepay *p = ud;
  (void)now_ms;
  (void)dar;
  if (sel && sel->present)
    return AMI_E_NOT_FOUND;
  switch (which(p, obj)) {
  case O_ACCOUNT:
    return account_read(p, attr, out);
  case O_TOKEN:
  case O_EMERGENCY:
    return credit_read(p, which(p, obj) == O_EMERGENCY, attr, out);
  case O_ENERGY:
    return charge_read(&p->energy, attr, out);
  case O_STANDING:
    return charge_read(&p->standing, attr, out);
  case O_GATEWAY:
    return gateway_read(p, attr, out);
  default:
    return AMI_E_NOT_FOUND;
  }
}

static int pp_write(void *ud, ami_cosem_object *obj, unsigned attr,
                    ami_span value, uint8_t *dar) {
  ami_meter_prepay *p = ud;
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, value.p, value.len);
  switch (which(p, obj)) {
  case O_ACCOUNT:
    return account_write(p, attr, &d, dar);
  case O_TOKEN:
  case O_EMERGENCY:
    return credit_write(p, which(p, obj) == O_EMERGENCY, attr, &d, dar);
  case O_ENERGY:
    return charge_write(&p->energy, attr, &d, dar);
  case O_STANDING:
    return charge_write(&p->standing, attr, &d, dar);
  default:
    return AMI_E_NOT_FOUND;
  }
}

static int pp_invoke(void *ud, ami_cosem_object *obj, unsigned method,
                     ami_span params, ami_wr *ret, bool *has_return,
                     uint8_t *result) {
  ami_meter_prepay *p = ud;
  (void)ret;
  (void)has_return;
  uint64_t now = ami_cosem_object_request_now(obj);
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, params.p, params.len);
  switch (which(p, obj)) {
  case O_ACCOUNT:
    if (method == 1)
      ami_meter_prepay_activate(p, now);
    else if (method == 2)
      ami_meter_prepay_close(p, now);
    else if (method == 3)
      ami_meter_prepay_reset(p);
    else
      return AMI_E_NOT_FOUND;
    return AMI_OK;
  case O_TOKEN:
  case O_EMERGENCY:
    return credit_invoke(p, which(p, obj) == O_EMERGENCY, method, &d, now,
                         result);
  case O_ENERGY:
    return charge_invoke(&p->energy, obj, method, params, result);
  case O_STANDING:
    return charge_invoke(&p->standing, obj, method, params, result);
  case O_GATEWAY:
    return gateway_invoke(p, method, &d, now, result);
  default:
    return AMI_E_NOT_FOUND;
  }
}

int ami_meter_prepay_bind(ami_meter_prepay *p, ami_cosem_model *m,
                          const ami_meter_prepay_names *names,
                          ami_cosem_object *objs[6]) {
  ami_meter_prepay_names dn = ami_meter_prepay_default_names();
  const ami_meter_prepay_names *n = names ? names : &dn;
  const ami_obis lns[6] = {n->account,          n->token_credit,
                           n->emergency_credit, n->energy_charge,
                           n->standing_charge,  n->token_gateway};
  static const uint16_t classes[6] = {111, 112, 112, 113, 113, 115};
  ami_cosem_callbacks cb = {pp_read, pp_write, pp_invoke, p};
  for (int i = 0; i < 6; i++) {
    int rc = ami_cosem_add_object(m, classes[i], lns[i], &p->objs[i]);
    if (rc != AMI_OK)
      return rc;
    ami_cosem_object_set_callbacks(p->objs[i], &cb);
    if (objs)
      objs[i] = p->objs[i];
  }
  return AMI_OK;
}
