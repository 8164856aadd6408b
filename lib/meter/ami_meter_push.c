/*
 * ami_meter_push.c -- Push Setup (class_id 40, IEC 62056-6-2 §4.4.8, DLMS
 * UA Blue Book "Push setup") behaviour over an ami_cosem model: building
 * the DATA-NOTIFICATION body from push_object_list, the pulled schedule
 * (randomisation, communication windows, retries), alarms through the
 * alarm register and filter, and the last gasp. Semantics and
 * simplifications are documented in include/ami/ami_meter_push.h.
 *
 * Per managed setup, a tiny state machine:
 *
 *   idle --trigger--> pending(due) --next() at due--> in flight
 *     ^                  ^                               |
 *     |                  +---- done(not delivered), -----+
 *     |                        retries left: due += repetition_delay
 *     +------------- done(delivered) / retries exhausted
 */
#include "ami/ami_meter_push.h"

#include <string.h>

#include "ami/ami_axdr.h"
#include "ami/ami_cosem_time.h"

enum { ST_IDLE, ST_PENDING, ST_FLIGHT };

typedef struct push_slot {
  ami_cosem_object *obj;
  uint8_t state;
  bool requested; /* the push method ran: schedule at the next call */
  uint64_t due;   /* ST_PENDING: when it may go */
  uint32_t tries; /* failed attempts of the current push */
} push_slot;

struct ami_meter_push {
  const ami_allocator *alloc;
  ami_cosem_model *m;
  ami_meter_push_cfg cfg;
  push_slot slots[AMI_METER_PUSH_MAX_SETUPS];
  size_t n;
  ami_cosem_object *alarm_reg, *alarm_filter;
  push_slot *alarm_slot;
  ami_cosem_object *last_gasp;
};

int ami_meter_push_new(const ami_allocator *alloc, ami_cosem_model *m,
                       const ami_meter_push_cfg *cfg, ami_meter_push **out) {
  if (out == NULL || m == NULL)
    return AMI_E_INVAL;
  *out = NULL;
  ami_meter_push *p = ami_malloc(alloc, sizeof *p);
  if (p == NULL)
    return AMI_E_NOMEM;
  memset(p, 0, sizeof *p);
  p->alloc = alloc;
  p->m = m;
  if (cfg)
    p->cfg = *cfg;
  *out = p;
  return AMI_OK;
}

void ami_meter_push_free(ami_meter_push *p) {
  if (p != NULL)
    ami_free(p->alloc, p);
}

static push_slot *slot_of(ami_meter_push *p, const ami_cosem_object *o) {
  for (size_t i = 0; o != NULL && i < p->n; i++)
    if (p->slots[i].obj == o)
      return &p->slots[i];
  return NULL;
}

/* ---- reading a setup's stored attributes --------------------------------
 */

/* An unsigned attribute (unsigned / long-unsigned / double-long-unsigned)
 * as stored; 0 when never set or not a number. */
static uint32_t attr_uint(const ami_cosem_object *o, unsigned attr) {
  ami_span v;
  if (ami_cosem_get_attr(o, attr, &v) != AMI_OK)
    return 0;
  ami_axdr_dec d;
  ami_axdr_value x;
  ami_axdr_dec_init(&d, v.p, v.len);
  if (ami_axdr_next(&d, &x) != AMI_OK)
    return 0;
  switch (x.tag) {
  case AMI_AXDR_UNSIGNED:
  case AMI_AXDR_LONG_UNSIGNED:
  case AMI_AXDR_DOUBLE_LONG_UNSIGNED:
    return (uint32_t)x.v.u;
  default:
    return 0;
  }
}

static void attr_set_u32(ami_cosem_object *o, uint32_t v) {
  uint8_t b[5];
  ami_wr w;
  ami_wr_init(&w, b, sizeof b);
  ami_axdr_put_u32(&w, v);
  (void)ami_cosem_set_attr(o, 2, ami_span_make(b, w.len));
}

/* communication_window (attribute 4): the earliest instant >= now (in ms)
 * at which a push may go. Empty or never set: now. A window whose
 * date-times are not fully specified counts as always open (see the
 * header). No window ahead at all: AMI_METER_PUSH_NEVER. */
static uint64_t window_start(const ami_cosem_object *o, uint64_t now) {
  ami_span v;
  if (ami_cosem_get_attr(o, 4, &v) != AMI_OK)
    return now;
  ami_axdr_dec d;
  uint32_t n = 0;
  ami_axdr_dec_init(&d, v.p, v.len);
  if (ami_axdr_get_array(&d, &n) != AMI_OK || n == 0)
    return now;
  uint64_t best = AMI_METER_PUSH_NEVER;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t k = 0;
    ami_cosem_datetime a, b;
    if (ami_axdr_get_struct(&d, &k) != AMI_OK || k != 2 ||
        ami_axdr_get_datetime(&d, &a) != AMI_OK ||
        ami_axdr_get_datetime(&d, &b) != AMI_OK)
      return now; /* stored values were type-checked; be lenient */
    int64_t s, e;
    uint8_t h;
    if (ami_cosem_datetime_to_utc(&a, AMI_COSEM_DEV_STANDARD, &s, &h) !=
            AMI_OK ||
        ami_cosem_datetime_to_utc(&b, AMI_COSEM_DEV_STANDARD, &e, &h) != AMI_OK)
      return now; /* wildcards: open */
    if (s < 0 || e < s)
      continue;
    uint64_t sm = (uint64_t)s * 1000u, em = (uint64_t)e * 1000u;
    uint64_t cand = now < sm ? sm : (now <= em ? now : AMI_METER_PUSH_NEVER);
    if (cand < best)
      best = cand;
  }
  return best;
}

int ami_meter_push_destination(const ami_cosem_object *setup,
                               uint8_t *transport, ami_span *destination,
                               uint8_t *message) {
  ami_span v;
  int rc = ami_cosem_get_attr(setup, 3, &v);
  if (rc != AMI_OK)
    return rc;
  ami_axdr_dec d;
  uint32_t n = 0;
  ami_axdr_dec_init(&d, v.p, v.len);
  rc = ami_axdr_get_struct(&d, &n);
  if (rc == AMI_OK && n != 3)
    rc = AMI_E_INCONSISTENT;
  if (rc == AMI_OK)
    rc = ami_axdr_get_enum(&d, transport);
  if (rc == AMI_OK)
    rc = ami_axdr_get_octets(&d, destination);
  if (rc == AMI_OK)
    rc = ami_axdr_get_enum(&d, message);
  return rc;
}

/* ---- the body -------------------------------------------------------------
 */

/* Keep only the data_index-th (from 1) element of the container value
 * written at out->p[mark..len): moved down to mark. A value that is not an
 * array or structure, or has fewer elements, becomes null-data. */
static void pick_element(ami_wr *out, size_t mark, uint16_t index) {
  ami_axdr_dec d;
  ami_axdr_value v;
  ami_axdr_dec_init(&d, out->p + mark, out->len - mark);
  bool ok = ami_axdr_next(&d, &v) == AMI_OK &&
            (v.tag == AMI_AXDR_ARRAY || v.tag == AMI_AXDR_STRUCTURE) &&
            !(v.flags & AMI_AXDR_F_COMPACT) && index <= v.count;
  for (uint32_t i = 1; ok && i < index; i++)
    ok = ami_axdr_skip(&d) == AMI_OK;
  size_t start = ami_axdr_pos(&d);
  ok = ok && ami_axdr_skip(&d) == AMI_OK;
  size_t end = ami_axdr_pos(&d);
  if (!ok) {
    out->len = mark;
    ami_axdr_put_null(out);
    return;
  }
  memmove(out->p + mark, out->p + mark + start, end - start);
  out->len = mark + (end - start);
}

/* One value of the body: see "THE BODY" in the header. */
static int put_item(ami_cosem_model *m, uint16_t cls, ami_obis ln, int8_t attr,
                    uint16_t data_index, uint64_t now, ami_wr *out) {
  ami_cosem_object *o = ami_cosem_find(m, cls, ln);
  const ami_cosem_class_desc *c = ami_cosem_class_find(cls);
  if (o == NULL || c == NULL || attr < 0) {
    ami_axdr_put_null(out);
    return out->err;
  }
  size_t mark = out->len;
  uint8_t dar = 0;
  int rc = AMI_OK;
  if (attr == 0) { /* the whole object: every attribute */
    ami_axdr_put_struct(out, c->nattrs);
    for (uint8_t i = 0; rc == AMI_OK && i < c->nattrs; i++) {
      rc = ami_cosem_read(o, c->attrs[i].index, now, out, &dar);
      if (rc == AMI_OK && dar != AMI_COSEM_DAR_SUCCESS)
        ami_axdr_put_null(out);
    }
    if (rc != AMI_OK || out->err != AMI_OK)
      return rc != AMI_OK ? rc : out->err;
    return AMI_OK;
  }
  rc = ami_cosem_read(o, (unsigned)attr, now, out, &dar);
  if (rc != AMI_OK)
    return rc;
  if (dar != AMI_COSEM_DAR_SUCCESS) {
    ami_axdr_put_null(out);
    return out->err;
  }
  if (data_index > 0 && out->err == AMI_OK)
    pick_element(out, mark, data_index);
  return out->err;
}

int ami_meter_push_build(ami_cosem_model *m, ami_cosem_object *setup,
                         uint64_t now_ms, ami_wr *out) {
  size_t mark = out->len;
  ami_span v;
  ami_axdr_dec d;
  uint32_t n = 0;
  int rc = ami_cosem_get_attr(setup, 2, &v);
  if (rc == AMI_E_NOT_FOUND) { /* never set: an empty list */
    ami_axdr_put_struct(out, 0);
    if (out->err != AMI_OK)
      out->len = mark;
    return out->err;
  }
  ami_axdr_dec_init(&d, v.p, v.len);
  if (rc == AMI_OK)
    rc = ami_axdr_get_array(&d, &n);
  if (rc == AMI_OK)
    ami_axdr_put_struct(out, n);
  /* Each entry: capture_object_definition { class_id, logical_name,
   * attribute_index, data_index } (the same type as a profile's). */
  for (uint32_t i = 0; rc == AMI_OK && i < n; i++) {
    uint32_t k = 0;
    uint16_t cls = 0, di = 0;
    int8_t attr = 0;
    ami_span lnb;
    rc = ami_axdr_get_struct(&d, &k);
    if (rc == AMI_OK && k != 4)
      rc = AMI_E_INCONSISTENT;
    if (rc == AMI_OK)
      rc = ami_axdr_get_u16(&d, &cls);
    if (rc == AMI_OK)
      rc = ami_axdr_get_octets(&d, &lnb);
    if (rc == AMI_OK && lnb.len != 6)
      rc = AMI_E_INCONSISTENT;
    if (rc == AMI_OK)
      rc = ami_axdr_get_i8(&d, &attr);
    if (rc == AMI_OK)
      rc = ami_axdr_get_u16(&d, &di);
    if (rc == AMI_OK) {
      ami_obis ln = ami_obis_from_bytes(lnb.p);
      rc = put_item(m, cls, ln, attr, di, now_ms, out);
    }
  }
  if (rc == AMI_OK)
    rc = out->err;
  if (rc != AMI_OK)
    out->len = mark;
  return rc;
}

/* ---- scheduling -----------------------------------------------------------
 */

/* A uniformly random delay of 0 .. interval_s seconds, in ms. */
static int random_delay(const ami_meter_push *p, uint32_t interval_s,
                        uint64_t *ms) {
  *ms = 0;
  const ami_crypto *c = p->cfg.crypto;
  if (interval_s == 0 || c == NULL || c->random == NULL)
    return AMI_OK;
  uint8_t r[8];
  int rc = c->random(c->user_data, r, sizeof r);
  if (rc != AMI_OK)
    return rc;
  uint64_t x = 0;
  for (int i = 0; i < 8; i++)
    x = x << 8 | r[i];
  /* 64 random bits reduced modulo ~2^26: the bias is below 2^-37. */
  *ms = x % ((uint64_t)interval_s * 1000u + 1u);
  return AMI_OK;
}

static int schedule(ami_meter_push *p, push_slot *s, uint64_t now) {
  if (s->state != ST_IDLE)
    return AMI_OK; /* one push at a time per setup */
  uint64_t delay;
  int rc = random_delay(p, attr_uint(s->obj, 5), &delay);
  if (rc != AMI_OK)
    return rc;
  s->state = ST_PENDING;
  s->tries = 0;
  s->due = now + delay;
  return AMI_OK;
}

int ami_meter_push_trigger(ami_meter_push *p, ami_cosem_object *setup,
                           uint64_t now_ms) {
  push_slot *s = slot_of(p, setup);
  if (s == NULL)
    return AMI_E_INVAL;
  return schedule(p, s, now_ms);
}

/* The push method (class 40 method 1). The model does not pass the time
 * to method callbacks, so the request is scheduled at the next
 * ami_meter_push_next (expiry reports it due at once). */
static int setup_invoke(void *ud, ami_cosem_object *obj, unsigned method,
                        ami_span params, ami_wr *ret, bool *has_return,
                        uint8_t *result) {
  ami_meter_push *p = ud;
  (void)params;
  (void)ret;
  *has_return = false;
  if (method != 1)
    return AMI_E_NOT_FOUND;
  push_slot *s = slot_of(p, obj);
  if (s == NULL)
    return AMI_E_NOT_FOUND;
  s->requested = true;
  *result = AMI_COSEM_DAR_SUCCESS;
  return AMI_OK;
}

uint64_t ami_meter_push_expiry(const ami_meter_push *p) {
  uint64_t best = AMI_METER_PUSH_NEVER;
  for (size_t i = 0; i < p->n; i++) {
    const push_slot *s = &p->slots[i];
    if (s->requested && s->state == ST_IDLE)
      return 0;
    if (s->state == ST_PENDING) {
      uint64_t w = window_start(s->obj, s->due);
      if (w < best)
        best = w;
    }
  }
  return best;
}

int ami_meter_push_next(ami_meter_push *p, uint64_t now_ms, ami_wr *out,
                        ami_cosem_object **setup) {
  *setup = NULL;
  for (size_t i = 0; i < p->n; i++) {
    push_slot *s = &p->slots[i];
    if (s->requested) {
      s->requested = false;
      int rc = schedule(p, s, now_ms);
      if (rc != AMI_OK)
        return rc;
    }
  }
  for (size_t i = 0; i < p->n; i++) {
    push_slot *s = &p->slots[i];
    if (s->state != ST_PENDING)
      continue;
    uint64_t w = window_start(s->obj, s->due);
    if (w == AMI_METER_PUSH_NEVER) {
      s->state = ST_IDLE; /* no window ahead: the push is dropped */
      continue;
    }
    if (w > now_ms)
      continue;
    int rc = ami_meter_push_build(p->m, s->obj, now_ms, out);
    if (rc != AMI_OK)
      return rc;
    s->state = ST_FLIGHT;
    *setup = s->obj;
    return AMI_OK;
  }
  return AMI_E_AGAIN;
}

int ami_meter_push_done(ami_meter_push *p, ami_cosem_object *setup,
                        bool delivered, uint64_t now_ms) {
  push_slot *s = slot_of(p, setup);
  if (s == NULL || s->state != ST_FLIGHT)
    return AMI_E_INVAL;
  if (delivered || s->tries >= attr_uint(setup, 6)) {
    s->state = ST_IDLE;
    s->tries = 0;
    return AMI_OK;
  }
  s->tries++;
  s->state = ST_PENDING;
  s->due = now_ms + (uint64_t)attr_uint(setup, 7) * 1000u;
  return AMI_OK;
}

/* ---- setups, alarms, last gasp --------------------------------------------
 */

int ami_meter_push_add_setup(ami_meter_push *p, ami_obis ln,
                             ami_cosem_object **obj) {
  ami_cosem_object *o = ami_cosem_find(p->m, 40, ln);
  push_slot *s = slot_of(p, o);
  if (s == NULL) {
    if (p->n >= AMI_METER_PUSH_MAX_SETUPS)
      return AMI_E_LIMIT;
    if (o == NULL) {
      int rc = ami_cosem_add_object(p->m, 40, ln, &o);
      if (rc != AMI_OK)
        return rc;
    }
    s = &p->slots[p->n++];
    memset(s, 0, sizeof *s);
    s->obj = o;
    ami_cosem_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.invoke = setup_invoke;
    cb.user_data = p;
    ami_cosem_object_set_callbacks(o, &cb);
  }
  if (obj)
    *obj = o;
  return AMI_OK;
}

int ami_meter_push_set_list(ami_cosem_object *setup,
                            const ami_meter_push_item *items, size_t n) {
  if (n > 0 && items == NULL)
    return AMI_E_INVAL;
  uint8_t buf[1024];
  ami_wr w;
  ami_wr_init(&w, buf, sizeof buf);
  ami_axdr_put_array(&w, n);
  for (size_t i = 0; i < n; i++) {
    uint8_t lnb[6];
    ami_obis_to_bytes(&items[i].ln, lnb);
    ami_axdr_put_struct(&w, 4);
    ami_axdr_put_u16(&w, items[i].class_id);
    ami_axdr_put_octets(&w, lnb, 6);
    ami_axdr_put_i8(&w, items[i].attr);
    ami_axdr_put_u16(&w, items[i].data_index);
  }
  if (w.err != AMI_OK)
    return AMI_E_LIMIT;
  return ami_cosem_set_attr(setup, 2, ami_span_make(buf, w.len));
}

/* Find a class 1 object, or create it holding double-long-unsigned 0. */
static int bit_field(ami_cosem_model *m, ami_obis ln, ami_cosem_object **out) {
  *out = ami_cosem_find(m, 1, ln);
  if (*out != NULL)
    return AMI_OK;
  int rc = ami_cosem_add_object(m, 1, ln, out);
  if (rc == AMI_OK)
    attr_set_u32(*out, 0);
  return rc;
}

int ami_meter_push_bind_alarms(ami_meter_push *p, ami_obis reg_ln,
                               ami_obis filter_ln, ami_cosem_object *alarm,
                               ami_cosem_object *last_gasp,
                               ami_cosem_object **reg,
                               ami_cosem_object **filter) {
  push_slot *s = slot_of(p, alarm);
  if (s == NULL || (last_gasp != NULL && slot_of(p, last_gasp) == NULL))
    return AMI_E_INVAL;
  ami_cosem_object *r, *f;
  int rc = bit_field(p->m, reg_ln, &r);
  if (rc == AMI_OK)
    rc = bit_field(p->m, filter_ln, &f);
  if (rc != AMI_OK)
    return rc;
  p->alarm_reg = r;
  p->alarm_filter = f;
  p->alarm_slot = s;
  p->last_gasp = last_gasp;
  if (reg)
    *reg = r;
  if (filter)
    *filter = f;
  return AMI_OK;
}

/* The value of a class 1 bit field, read as a GET would (so a value the
 * application serves through a read callback counts). */
static uint32_t read_bits(ami_cosem_object *o, uint64_t now) {
  uint8_t b[16];
  ami_wr w;
  uint8_t dar = 0;
  ami_wr_init(&w, b, sizeof b);
  if (ami_cosem_read(o, 2, now, &w, &dar) != AMI_OK ||
      dar != AMI_COSEM_DAR_SUCCESS)
    return 0;
  ami_axdr_dec d;
  uint32_t v = 0;
  ami_axdr_dec_init(&d, b, w.len);
  return ami_axdr_get_u32(&d, &v) == AMI_OK ? v : 0;
}

int ami_meter_push_alarm(ami_meter_push *p, uint32_t bits, uint64_t now_ms,
                         bool *pushed) {
  if (pushed)
    *pushed = false;
  if (p->alarm_reg == NULL)
    return AMI_E_STATE;
  uint32_t enabled = bits & read_bits(p->alarm_filter, now_ms);
  if (enabled == 0)
    return AMI_OK;
  attr_set_u32(p->alarm_reg, read_bits(p->alarm_reg, now_ms) | enabled);
  int rc = schedule(p, p->alarm_slot, now_ms);
  if (rc == AMI_OK && pushed)
    *pushed = true;
  return rc;
}

int ami_meter_push_last_gasp(ami_meter_push *p, uint64_t now_ms, ami_wr *out) {
  if (p->alarm_reg == NULL && p->last_gasp == NULL)
    return AMI_E_STATE;
  for (size_t i = 0; i < p->n; i++) {
    p->slots[i].state = ST_IDLE;
    p->slots[i].requested = false;
    p->slots[i].tries = 0;
  }
  if (p->alarm_reg != NULL && p->cfg.last_gasp_bits != 0)
    attr_set_u32(p->alarm_reg,
                 read_bits(p->alarm_reg, now_ms) | p->cfg.last_gasp_bits);
  if (p->last_gasp != NULL)
    return ami_meter_push_build(p->m, p->last_gasp, now_ms, out);
  size_t mark = out->len;
  uint8_t dar = 0;
  int rc = ami_cosem_read(p->alarm_reg, 2, now_ms, out, &dar);
  if (rc == AMI_OK && dar != AMI_COSEM_DAR_SUCCESS)
    ami_axdr_put_u32(out, 0);
  if (rc == AMI_OK)
    rc = out->err;
  if (rc != AMI_OK)
    out->len = mark;
  return rc;
}
