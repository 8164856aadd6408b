/*
 * decode_data.c -- COSEM Data (A-XDR) to JSON for `ami decode`.
 *
 * Each value becomes {"type": <Blue Book type name>, "value": ...} or, for
 * containers, {"type": ..., "items": [...]}. Annotations are added where the
 * meaning is evident from the bytes alone:
 *   obis      a 6-byte octet-string, written 1-0:1.8.0*255
 *   datetime  a 12-byte octet-string that is a valid COSEM date-time
 *   text      an octet-string of printable ASCII
 *   scaled    a number followed, in the same structure, by a scaler_unit
 *             structure {integer scaler, enum unit}: "230.8 V"
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_axdr.h"
#include "ami/ami_cosem_time.h"
#include "ami/ami_obis.h"
#include "ami/ami_units.h"
#include "ami_cli.h"
#include "decode_int.h"

static bool printable(ami_span s) {
  if (s.len < 2)
    return false;
  for (size_t i = 0; i < s.len; i++)
    if (s.p[i] < 0x20 || s.p[i] > 0x7E)
      return false;
  return true;
}

/* A JSON string for bytes that should be text; hex when not valid UTF-8. */
static json_t *text_or_hex(ami_span s) {
  json_t *j = json_stringn((const char *)s.p, s.len);
  return j ? j : ami_cli_hex(s.p, s.len);
}

static json_t *datetime_text(const ami_cosem_datetime *dt) {
  char buf[64];
  ami_cosem_datetime_format(dt, AMI_COSEM_DEV_STANDARD, buf, sizeof buf);
  return json_string(buf);
}

static json_t *date_text(const ami_cosem_date *d) {
  char buf[48];
  char y[8] = "????", m[4] = "??", dd[4] = "??";
  if (d->year != AMI_COSEM_YEAR_UNSPEC)
    snprintf(y, sizeof y, "%04u", d->year);
  if (d->month <= 12)
    snprintf(m, sizeof m, "%02u", d->month);
  else if (d->month == AMI_COSEM_MONTH_DST_END)
    snprintf(m, sizeof m, "DE");
  else if (d->month == AMI_COSEM_MONTH_DST_BEGIN)
    snprintf(m, sizeof m, "DB");
  if (d->day <= 31)
    snprintf(dd, sizeof dd, "%02u", d->day);
  else if (d->day == AMI_COSEM_DAY_LAST)
    snprintf(dd, sizeof dd, "L");
  else if (d->day == AMI_COSEM_DAY_2ND_LAST)
    snprintf(dd, sizeof dd, "L2");
  snprintf(buf, sizeof buf, "%s-%s-%s", y, m, dd);
  return json_string(buf);
}

static json_t *time_text(const ami_cosem_time *t) {
  char buf[32], h[4] = "??", mi[4] = "??", s[4] = "??", hu[4] = "";
  if (t->hour <= 23)
    snprintf(h, sizeof h, "%02u", t->hour);
  if (t->minute <= 59)
    snprintf(mi, sizeof mi, "%02u", t->minute);
  if (t->second <= 59)
    snprintf(s, sizeof s, "%02u", t->second);
  if (t->hundredths <= 99)
    snprintf(hu, sizeof hu, "%02u", t->hundredths);
  snprintf(buf, sizeof buf, "%s:%s:%s%s%s", h, mi, s, hu[0] ? "." : "", hu);
  return json_string(buf);
}

static void annotate_octets(json_t *o, ami_span s) {
  if (s.len == 6) {
    ami_obis obis = ami_obis_from_bytes(s.p);
    char buf[AMI_OBIS_TEXT_MAX];
    ami_obis_format(&obis, buf, sizeof buf);
    ami_cli_set(o, "obis", json_string(buf));
  } else if (s.len == 12) {
    ami_cosem_datetime dt;
    ami_cosem_datetime_decode(s.p, &dt);
    if (ami_cosem_datetime_validate(&dt) == AMI_OK)
      ami_cli_set(o, "datetime", datetime_text(&dt));
  }
  if (printable(s))
    ami_cli_set(o, "text", text_or_hex(s));
}

static json_t *bits_text(ami_span s, uint32_t nbits) {
  char *b = malloc((size_t)nbits + 1);
  if (!b)
    return json_null();
  for (uint32_t i = 0; i < nbits; i++)
    b[i] = (s.p[i / 8] >> (7 - i % 8)) & 1 ? '1' : '0';
  b[nbits] = '\0';
  json_t *j = json_string(b);
  free(b);
  return j;
}

/* One scalar item (everything but containers) as JSON. */
static json_t *scalar_json(const ami_axdr_value *v) {
  json_t *o = json_object();
  const char *name = ami_axdr_type_name(v->tag);
  ami_cli_set(o, "type", json_string(name ? name : "unknown"));
  switch (v->tag) {
  case AMI_AXDR_NULL:
  case AMI_AXDR_DONT_CARE:
    ami_cli_set(o, "value", json_null());
    break;
  case AMI_AXDR_BOOLEAN:
    ami_cli_set(o, "value", json_boolean(v->v.b));
    break;
  case AMI_AXDR_INTEGER:
  case AMI_AXDR_LONG:
  case AMI_AXDR_DOUBLE_LONG:
  case AMI_AXDR_LONG64:
  case AMI_AXDR_DELTA_INTEGER:
  case AMI_AXDR_DELTA_LONG:
  case AMI_AXDR_DELTA_DOUBLE_LONG:
    ami_cli_set(o, "value", json_integer((json_int_t)v->v.i));
    break;
  case AMI_AXDR_FLOAT32:
  case AMI_AXDR_FLOAT64: {
    double f = ami_axdr_value_f64(v);
    if (isfinite(f)) {
      ami_cli_set(o, "value", json_real(f));
    } else {
      ami_cli_set(o, "value",
                  json_string(isnan(f) ? "NaN"
                              : f > 0  ? "Infinity"
                                       : "-Infinity"));
    }
    break;
  }
  case AMI_AXDR_OCTET_STRING:
    ami_cli_set(o, "value", ami_cli_hex(v->v.s.p, v->v.s.len));
    annotate_octets(o, v->v.s);
    break;
  case AMI_AXDR_VISIBLE_STRING:
  case AMI_AXDR_UTF8_STRING:
    ami_cli_set(o, "value", text_or_hex(v->v.s));
    break;
  case AMI_AXDR_BIT_STRING:
    ami_cli_set(o, "value", bits_text(v->v.s, v->count));
    break;
  case AMI_AXDR_DATE_TIME:
    ami_cli_set(o, "value", datetime_text(&v->v.dt));
    break;
  case AMI_AXDR_DATE:
    ami_cli_set(o, "value", date_text(&v->v.date));
    break;
  case AMI_AXDR_TIME:
    ami_cli_set(o, "value", time_text(&v->v.time));
    break;
  default: /* every unsigned type, enum, bcd */
    if (v->v.u > (uint64_t)INT64_MAX) {
      char buf[32];
      snprintf(buf, sizeof buf, "%" PRIu64, v->v.u);
      ami_cli_set(o, "value", json_string(buf));
    } else {
      ami_cli_set(o, "value", json_integer((json_int_t)v->v.u));
    }
  }
  return o;
}

static bool is_int_type(const char *t) {
  static const char *const ints[] = {
      "integer",  "long",          "double-long",          "long64",
      "unsigned", "long-unsigned", "double-long-unsigned", "long64-unsigned",
      NULL};
  for (int i = 0; ints[i]; i++)
    if (strcmp(t, ints[i]) == 0)
      return true;
  return false;
}

static const char *type_of(json_t *n) {
  json_t *t = json_object_get(n, "type");
  return json_is_string(t) ? json_string_value(t) : "";
}

/* If `n` is a scaler_unit structure {integer, enum}, return true with its
 * parts. */
static bool scaler_unit(json_t *n, int8_t *scaler, uint8_t *unit) {
  json_t *items = json_object_get(n, "items");
  if (strcmp(type_of(n), "structure") != 0 || json_array_size(items) != 2)
    return false;
  json_t *s = json_array_get(items, 0), *u = json_array_get(items, 1);
  if (strcmp(type_of(s), "integer") != 0 || strcmp(type_of(u), "enum") != 0)
    return false;
  *scaler = (int8_t)json_integer_value(json_object_get(s, "value"));
  *unit = (uint8_t)json_integer_value(json_object_get(u, "value"));
  return true;
}

void dec_annotate_scaled(json_t *value, int8_t scaler, uint8_t unit) {
  json_t *jv = json_object_get(value, "value");
  if (!is_int_type(type_of(value)) || !json_is_integer(jv))
    return;
  char num[64], buf[96];
  ami_units_apply_scaler((int64_t)json_integer_value(jv), scaler, num,
                         sizeof num);
  const char *sym = ami_units_symbol(unit);
  snprintf(buf, sizeof buf, "%s%s%s", num, sym && *sym ? " " : "",
           sym ? sym : "");
  ami_cli_set(value, "scaled", json_string(buf));
}

/* A structure's number followed by a scaler_unit structure: annotate. */
static void annotate_structure(json_t *items) {
  for (size_t i = 0; i + 1 < json_array_size(items); i++) {
    int8_t scaler;
    uint8_t unit;
    if (scaler_unit(json_array_get(items, i + 1), &scaler, &unit))
      dec_annotate_scaled(json_array_get(items, i), scaler, unit);
  }
}

/* Builds the JSON of the next complete value from the decoder. The
 * recursion is bounded by the decoder's own depth limit. */
static json_t *value_json(ami_axdr_dec *d, int *err) {
  ami_axdr_value v;
  int rc = ami_axdr_next(d, &v);
  if (rc != AMI_OK) {
    *err = rc == AMI_AXDR_END ? AMI_E_TRUNCATED : rc;
    return NULL;
  }
  if (v.tag != AMI_AXDR_ARRAY && v.tag != AMI_AXDR_STRUCTURE &&
      v.tag != AMI_AXDR_COMPACT_ARRAY)
    return scalar_json(&v);
  json_t *o = json_object();
  ami_cli_set(o, "type", json_string(ami_axdr_type_name(v.tag)));
  json_t *items = json_array();
  for (uint32_t i = 0; i < v.count; i++) {
    json_t *child = value_json(d, err);
    if (!child) {
      ami_cli_set(o, "items", items);
      json_decref(o);
      return NULL;
    }
    json_array_append_new(items, child);
  }
  if (v.tag == AMI_AXDR_STRUCTURE)
    annotate_structure(items);
  ami_cli_set(o, "items", items);
  return o;
}

json_t *dec_data_json(ami_span in, size_t *used, int *err) {
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, in.p, in.len);
  *err = AMI_OK;
  json_t *j = value_json(&d, err);
  if (used)
    *used = j ? ami_axdr_pos(&d) : 0;
  return j;
}

json_t *dec_data_json_all(ami_span in, int *err) {
  size_t used = 0;
  json_t *j = dec_data_json(in, &used, err);
  if (j == NULL) {
    json_t *o = json_object();
    ami_cli_set(o, "raw", ami_cli_hex(in.p, in.len));
    ami_cli_set(o, "error", json_string(ami_strerror(*err)));
    return o;
  }
  if (used < in.len) {
    /* Report, don't fail: one real server sends bytes after a value. */
    ami_cli_set(j, "note",
                ami_cli_trailing(in.p + used, in.len - used, "the value"));
  }
  return j;
}
