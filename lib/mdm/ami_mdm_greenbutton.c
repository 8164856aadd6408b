/*
 * ami_mdm_greenbutton.c -- the Green Button (NAESB REQ.21 ESPI) export: an
 * Atom feed (RFC 4287) whose entries carry UsagePoint, LocalTimeParameters,
 * MeterReading, ReadingType and IntervalBlock resources in the espi
 * namespace. Written into a capped ami_dynbuf; no I/O, no clock.
 *
 * Element order inside each resource follows the xs:sequence of the ESPI
 * usage schema (espi-usage.xsd, version 3.3): e.g. IntervalReading is
 * cost?, ReadingQuality*, timePeriod?, value?.
 */
#include "ami/ami_mdm_greenbutton.h"

#include <string.h>

#include "ami/ami_caltime.h"
#include "ami/ami_err.h"

#define ESPI_NS   "http://naesb.org/espi"
#define INT48_MAX 140737488355328LL /* ESPI Int48 bounds (inclusive) */

/* The output with a sticky error: after the first failure every append is
 * a no-op and the first error is returned at the end. */
typedef struct xw {
  ami_dynbuf *b;
  int rc;
} xw;

static void put(xw *w, const char *s, size_t n) {
  if (w->rc == AMI_OK)
    w->rc = ami_dynbuf_append(w->b, s, n);
}

static void puts_(xw *w, const char *s) {
  put(w, s, strlen(s));
}

static void put_int(xw *w, int64_t v) {
  char tmp[24];
  size_t n = sizeof tmp;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    tmp[--n] = (char)('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0)
    tmp[--n] = '-';
  put(w, tmp + n, sizeof tmp - n);
}

static void put_uint(xw *w, uint64_t v) {
  char tmp[24];
  size_t n = sizeof tmp;
  do {
    tmp[--n] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  put(w, tmp + n, sizeof tmp - n);
}

static void put_hex_case(xw *w, uint64_t v, unsigned digits, const char *hx) {
  char tmp[16];
  for (unsigned i = 0; i < digits; i++)
    tmp[digits - 1 - i] = hx[(v >> (4 * i)) & 15];
  put(w, tmp, digits);
}

/* Upper case, as ESPI writes hexBinary (DstRuleType). */
static void put_hex(xw *w, uint64_t v, unsigned digits) {
  put_hex_case(w, v, digits, "0123456789ABCDEF");
}

/* Lower case, as RFC 9562 §4 asks of UUIDs. */
static void put_hex_lc(xw *w, uint64_t v, unsigned digits) {
  put_hex_case(w, v, digits, "0123456789abcdef");
}

/* Validate UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF) and
 * the XML 1.0 Char production (no C0 controls but TAB, LF, CR). */
static bool text_ok(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p != 0) {
    unsigned c = *p;
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
        return false;
      p++;
      continue;
    }
    unsigned n, cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (unsigned i = 1; i <= n; i++) {
      if ((p[i] & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
      return false;
    p += n + 1;
  }
  return true;
}

/* Escaped character data (also safe inside attribute values). */
static void put_text(xw *w, const char *s) {
  const char *run = s;
  for (; *s != '\0'; s++) {
    const char *rep = NULL;
    switch (*s) {
    case '&':
      rep = "&amp;";
      break;
    case '<':
      rep = "&lt;";
      break;
    case '>':
      rep = "&gt;";
      break;
    case '"':
      rep = "&quot;";
      break;
    case '\'':
      rep = "&apos;";
      break;
    default:
      break;
    }
    if (rep != NULL) {
      put(w, run, (size_t)(s - run));
      puts_(w, rep);
      run = s + 1;
    }
  }
  put(w, run, (size_t)(s - run));
}

/* RFC 3339 UTC timestamp for Atom <updated>/<published>. */
static void put_time(xw *w, int64_t t) {
  int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
  int64_t sec = t - days * 86400;
  int32_t y;
  unsigned m, d;
  ami_civil_from_days(days, &y, &m, &d);
  char s[21];
  unsigned v[6] = {(unsigned)y,
                   m,
                   d,
                   (unsigned)(sec / 3600),
                   (unsigned)(sec / 60 % 60),
                   (unsigned)(sec % 60)};
  static const char sep[6] = {'-', '-', 'T', ':', ':', 'Z'};
  size_t k = 0;
  for (unsigned i = 0; i < 6; i++) {
    unsigned digits = i == 0 ? 4 : 2;
    for (unsigned j = digits; j-- > 0;) {
      unsigned p10 = 1;
      for (unsigned q = 0; q < j; q++)
        p10 *= 10;
      s[k++] = (char)('0' + v[i] / p10 % 10);
    }
    s[k++] = sep[i];
  }
  put(w, s, k);
}

/* A deterministic urn:uuid of a resource: FNV-1a 64 over (kind, customer,
 * usage point, meter reading, index) from two bases, laid out as an RFC 9562
 * version 8 (custom) UUID. */
static void put_uuid(xw *w, unsigned kind, uint64_t cust, uint64_t up,
                     uint64_t mr, uint64_t index) {
  uint64_t in[5] = {kind, cust, up, mr, index};
  uint64_t h[2] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
  for (unsigned k = 0; k < 2; k++)
    for (unsigned i = 0; i < 5; i++)
      for (unsigned j = 0; j < 8; j++) {
        h[k] ^= (in[i] >> (8 * j)) & 0xFF;
        h[k] *= 0x100000001b3ULL;
      }
  uint64_t hi = (h[0] & ~0xF000ULL) | 0x8000ULL;       /* version 8 */
  uint64_t lo = (h[1] & ~(3ULL << 62)) | (2ULL << 62); /* RFC variant */
  puts_(w, "urn:uuid:");
  put_hex_lc(w, hi >> 32, 8);
  puts_(w, "-");
  put_hex_lc(w, (hi >> 16) & 0xFFFF, 4);
  puts_(w, "-");
  put_hex_lc(w, hi & 0xFFFF, 4);
  puts_(w, "-");
  put_hex_lc(w, lo >> 48, 4);
  puts_(w, "-");
  put_hex_lc(w, lo & 0xFFFFFFFFFFFFULL, 12);
}

/* <name>value</name> for integers. */
static void el_int(xw *w, const char *name, int64_t v) {
  puts_(w, "<");
  puts_(w, name);
  puts_(w, ">");
  put_int(w, v);
  puts_(w, "</");
  puts_(w, name);
  puts_(w, ">");
}

/* ---------------------------------------------------------------------- */
/* ESPI code tables */

/* UnitSymbolKind and MeasurementKind of our units (ESPI usage.xsd). */
static void unit_codes(uint8_t unit, unsigned *uom, unsigned *kind) {
  static const struct {
    unsigned uom, kind;
  } t[] = {
      [AMI_MDM_UNIT_WH] = {72, 12},   /* Wh, energy */
      [AMI_MDM_UNIT_VARH] = {73, 12}, /* VArh, energy */
      [AMI_MDM_UNIT_VAH] = {71, 12},  /* VAh, energy */
      [AMI_MDM_UNIT_W] = {38, 37},    /* W, power */
      [AMI_MDM_UNIT_V] = {29, 54},    /* V, voltage */
      [AMI_MDM_UNIT_A] = {5, 4},      /* A, current */
      [AMI_MDM_UNIT_M3] = {42, 58},   /* m3, volume */
  };
  unsigned u = unit < sizeof t / sizeof t[0] ? unit : AMI_MDM_UNIT_WH;
  *uom = t[u].uom;
  *kind = t[u].kind;
}

static int quality_code(uint8_t q) {
  switch (q) {
  case AMI_MDM_Q_ACTUAL:
    return 0; /* valid */
  case AMI_MDM_Q_ESTIMATED:
  case AMI_MDM_Q_SUBSTITUTED:
    return 8; /* estimated */
  case AMI_MDM_Q_EDITED:
    return 7; /* manually edited */
  case AMI_MDM_Q_VALIDATION_FAILED:
    return 10; /* questionable */
  default:
    return -1; /* missing: no reading */
  }
}

/* ESPI DstRuleType: month << 28 | operator << 25 | day-of-month << 20 |
 * day-of-week << 17 | hour << 12 | seconds. Times are the local wall-clock
 * time in force just before the change (as in the ESPI sample's North
 * American rule 360E2000 = second Sunday of March 02:00). */
static uint32_t dst_rule(unsigned month, unsigned op, int32_t local_s) {
  local_s = ((local_s % 86400) + 86400) % 86400;
  return (uint32_t)month << 28 | (uint32_t)op << 25 | 7u << 17 |
         (uint32_t)(local_s / 3600) << 12 | (uint32_t)(local_s % 3600);
}

void ami_mdm_greenbutton_dst_rules(const ami_mdm_tz *tz, uint32_t *start,
                                   uint32_t *end) {
  /* operators: 2 first, 3 second, 7 last occurrence of the weekday */
  switch (tz->kind) {
  case AMI_MDM_TZ_EU: /* 01:00 UTC both ways */
    *start = dst_rule(3, 7, 3600 + tz->std_offset_s);
    *end = dst_rule(10, 7, 3600 + tz->std_offset_s + ami_mdm_tz_dst_save(tz));
    break;
  case AMI_MDM_TZ_US:
    *start = dst_rule(3, 3, 7200);
    *end = dst_rule(11, 2, 7200);
    break;
  case AMI_MDM_TZ_AU_SOUTH:
    *start = dst_rule(10, 2, 7200);
    *end = dst_rule(4, 2, 10800);
    break;
  case AMI_MDM_TZ_FIXED:
  case AMI_MDM_TZ_CUSTOM: /* a callback has no ESPI form: none published */
  default:
    *start = *end = 0xFFFFFFFFu;
    break;
  }
}

/* ---------------------------------------------------------------------- */
/* Entries */

enum { R_FEED, R_UP, R_LTP, R_MR, R_RT, R_IB };

typedef struct ctx {
  xw w;
  const ami_mdm_gb_export *x;
  uint64_t up, mr; /* usage point (meter) and meter reading (channel) ids */
} ctx;

/* href path prefix of the usage point. */
static void put_up_path(ctx *c) {
  puts_(&c->w, "/espi/1_1/resource/RetailCustomer/");
  put_uint(&c->w, c->x->customer_id);
  puts_(&c->w, "/UsagePoint/");
  put_uint(&c->w, c->up);
}

static void link_open(xw *w, const char *rel) {
  puts_(w, "<link rel=\"");
  puts_(w, rel);
  puts_(w, "\" href=\"");
}

/* <entry><id/><link self/><link up/>..., then the caller's links; ends
 * with <title> and opens <content>. */
static void entry_open(ctx *c, unsigned kind, uint64_t index) {
  xw *w = &c->w;
  puts_(w, "<entry><id>");
  put_uuid(w, kind, c->x->customer_id, c->up, c->mr, index);
  puts_(w, "</id>");
}

static void entry_close(ctx *c, const char *title, const char *res) {
  xw *w = &c->w;
  puts_(w, "<title>");
  if (title != NULL)
    put_text(w, title);
  puts_(w, "</title><content><");
  puts_(w, res);
  puts_(w, " xmlns=\"" ESPI_NS "\">");
}

static void entry_end(ctx *c, const char *res) {
  xw *w = &c->w;
  puts_(w, "</");
  puts_(w, res);
  puts_(w, "></content><published>");
  put_time(w, c->x->updated);
  puts_(w, "</published><updated>");
  put_time(w, c->x->updated);
  puts_(w, "</updated></entry>\n");
}

static void write_usage_point(ctx *c) {
  xw *w = &c->w;
  entry_open(c, R_UP, c->up);
  link_open(w, "self");
  put_up_path(c);
  puts_(w, "\"/>");
  link_open(w, "up");
  puts_(w, "/espi/1_1/resource/RetailCustomer/");
  put_uint(w, c->x->customer_id);
  puts_(w, "/UsagePoint\"/>");
  link_open(w, "related");
  put_up_path(c);
  puts_(w, "/MeterReading\"/>");
  link_open(w, "related");
  puts_(w, "/espi/1_1/resource/LocalTimeParameters/1\"/>");
  entry_close(c, c->x->usage_point_title, "UsagePoint");
  puts_(w, "<ServiceCategory>");
  el_int(w, "kind", c->x->service);
  puts_(w, "</ServiceCategory>");
  entry_end(c, "UsagePoint");
}

static void write_local_time(ctx *c) {
  xw *w = &c->w;
  uint32_t start, end;
  ami_mdm_greenbutton_dst_rules(c->x->tz, &start, &end);
  entry_open(c, R_LTP, 1);
  link_open(w, "self");
  puts_(w, "/espi/1_1/resource/LocalTimeParameters/1\"/>");
  link_open(w, "up");
  puts_(w, "/espi/1_1/resource/LocalTimeParameters\"/>");
  entry_close(c, "Local time", "LocalTimeParameters");
  puts_(w, "<dstEndRule>");
  put_hex(w, end, 8);
  puts_(w, "</dstEndRule>");
  el_int(w, "dstOffset", ami_mdm_tz_dst_save(c->x->tz));
  puts_(w, "<dstStartRule>");
  put_hex(w, start, 8);
  puts_(w, "</dstStartRule>");
  el_int(w, "tzOffset", c->x->tz->std_offset_s);
  entry_end(c, "LocalTimeParameters");
}

static void write_meter_reading(ctx *c) {
  xw *w = &c->w;
  entry_open(c, R_MR, c->mr);
  link_open(w, "self");
  put_up_path(c);
  puts_(w, "/MeterReading/");
  put_uint(w, c->mr);
  puts_(w, "\"/>");
  link_open(w, "up");
  put_up_path(c);
  puts_(w, "/MeterReading\"/>");
  link_open(w, "related");
  put_up_path(c);
  puts_(w, "/MeterReading/");
  put_uint(w, c->mr);
  puts_(w, "/IntervalBlock\"/>");
  link_open(w, "related");
  puts_(w, "/espi/1_1/resource/ReadingType/");
  put_uint(w, c->mr);
  puts_(w, "\"/>");
  entry_close(c, c->x->reading_title, "MeterReading");
  entry_end(c, "MeterReading");
}

static void write_reading_type(ctx *c) {
  xw *w = &c->w;
  const ami_mdm_channel_info *ch = c->x->channel;
  static const unsigned commodity[] = {1, 7, 9}; /* electricity secondary
                                                    metered, gas, water */
  static const unsigned flow[] = {1, 19, 4};     /* forward, reverse, net */
  unsigned uom, kind;
  unit_codes(ch->unit, &uom, &kind);
  entry_open(c, R_RT, c->mr);
  link_open(w, "self");
  puts_(w, "/espi/1_1/resource/ReadingType/");
  put_uint(w, c->mr);
  puts_(w, "\"/>");
  link_open(w, "up");
  puts_(w, "/espi/1_1/resource/ReadingType\"/>");
  entry_close(c, "Type of meter reading data", "ReadingType");
  /* deltaData or cumulative (AccumulationKind 4 / 3) */
  el_int(w, "accumulationBehaviour", ch->kind == AMI_MDM_CUMULATIVE ? 3 : 4);
  el_int(w, "commodity", commodity[c->x->service]);
  if (c->x->currency != 0)
    el_int(w, "currency", c->x->currency);
  el_int(w, "dataQualifier", 12); /* normal */
  el_int(w, "flowDirection", flow[ch->direction <= 2 ? ch->direction : 0]);
  el_int(w, "intervalLength", ch->interval_s);
  el_int(w, "kind", kind);
  el_int(w, "powerOfTenMultiplier", -3); /* values are milli-units */
  el_int(w, "timeAttribute", 0);
  el_int(w, "uom", uom);
  entry_end(c, "ReadingType");
}

static void write_reading(ctx *c, int64_t t0, const ami_mdm_interval *v) {
  xw *w = &c->w;
  int q = quality_code(v->quality);
  if (q < 0)
    return;
  if (v->value > INT48_MAX || v->value < -INT48_MAX) {
    if (w->rc == AMI_OK)
      w->rc = AMI_E_RANGE;
    return;
  }
  puts_(w, "<IntervalReading><ReadingQuality>");
  el_int(w, "quality", q);
  puts_(w, "</ReadingQuality><timePeriod>");
  el_int(w, "duration", c->x->channel->interval_s);
  el_int(w, "start", t0);
  puts_(w, "</timePeriod>");
  el_int(w, "value", v->value);
  puts_(w, "</IntervalReading>");
}

/* One IntervalBlock entry for values [i0, i1). */
static void write_block(ctx *c, size_t i0, size_t i1, uint64_t index) {
  xw *w = &c->w;
  const ami_mdm_gb_export *x = c->x;
  int64_t step = x->channel->interval_s;
  int64_t t0 = x->start + (int64_t)i0 * step;
  entry_open(c, R_IB, index);
  link_open(w, "self");
  put_up_path(c);
  puts_(w, "/MeterReading/");
  put_uint(w, c->mr);
  puts_(w, "/IntervalBlock/");
  put_uint(w, index);
  puts_(w, "\"/>");
  link_open(w, "up");
  put_up_path(c);
  puts_(w, "/MeterReading/");
  put_uint(w, c->mr);
  puts_(w, "/IntervalBlock\"/>");
  entry_close(c, NULL, "IntervalBlock");
  puts_(w, "<interval>");
  el_int(w, "duration", (int64_t)(i1 - i0) * step);
  el_int(w, "start", t0);
  puts_(w, "</interval>");
  for (size_t i = i0; i < i1 && w->rc == AMI_OK; i++)
    write_reading(c, x->start + (int64_t)i * step, &x->values[i]);
  entry_end(c, "IntervalBlock");
}

/* Index one past the last value of the block that starts at value i0. */
static size_t block_end(const ami_mdm_gb_export *x, size_t i0) {
  int64_t step = x->channel->interval_s;
  int64_t t0 = x->start + (int64_t)i0 * step;
  int64_t t1;
  if (x->block_s == 0)
    t1 = ami_mdm_tz_day_start(x->tz, ami_mdm_tz_local_day(x->tz, t0) + 1);
  else
    t1 = t0 + x->block_s;
  int64_t k = (t1 - t0 + step - 1) / step; /* >= 1 */
  return (size_t)k > x->n - i0 ? x->n : i0 + (size_t)k;
}

static int check_args(const ami_mdm_gb_export *x) {
  if (x == NULL || x->channel == NULL || x->tz == NULL ||
      (x->values == NULL && x->n > 0) || x->service > AMI_MDM_GB_WATER)
    return AMI_E_INVAL;
  uint32_t s = x->channel->interval_s;
  if (s < 60 || s > 86400 || 86400 % s != 0 ||
      (x->block_s != 0 && x->block_s % s != 0) || x->start % (int64_t)s != 0 ||
      x->n > (size_t)(INT64_MAX / 2 / 86400))
    return AMI_E_INVAL;
  const char *texts[3] = {x->feed_title, x->usage_point_title,
                          x->reading_title};
  for (unsigned i = 0; i < 3; i++)
    if (texts[i] != NULL && !text_ok(texts[i]))
      return AMI_E_BAD_VALUE;
  return AMI_OK;
}

int ami_mdm_greenbutton_write(ami_dynbuf *out, const ami_mdm_gb_export *x) {
  int rc = check_args(x);
  if (rc != AMI_OK || out == NULL)
    return rc != AMI_OK ? rc : AMI_E_INVAL;
  ctx c = {{out, AMI_OK}, x, x->channel->meter_id, x->channel->channel_id};
  xw *w = &c.w;
  puts_(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<id>");
  put_uuid(w, R_FEED, x->customer_id, c.up, c.mr, 0);
  puts_(w, "</id><title>");
  put_text(w, x->feed_title != NULL ? x->feed_title : "Green Button Data");
  puts_(w, "</title><updated>");
  put_time(w, x->updated);
  puts_(w, "</updated>");
  link_open(w, "self");
  puts_(w, "/espi/1_1/resource/Batch/RetailCustomer/");
  put_uint(w, x->customer_id);
  puts_(w, "/UsagePoint\"/>\n");
  write_usage_point(&c);
  write_local_time(&c);
  write_meter_reading(&c);
  write_reading_type(&c);
  uint64_t index = 1;
  for (size_t i = 0; i < x->n && w->rc == AMI_OK; index++) {
    size_t e = block_end(x, i);
    write_block(&c, i, e, index);
    i = e;
  }
  puts_(w, "</feed>\n");
  return w->rc;
}
