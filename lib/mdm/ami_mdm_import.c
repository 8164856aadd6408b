/*
 * ami_mdm_import.c -- CSV and AEMO NEM12 interval-data parsers
 * (ami_mdm_import.h). Whole-buffer, line by line, into the caller's
 * staging arrays; no allocation; every field bounds-checked; on error the
 * counts are reset so nothing is half applied.
 */
#include "ami/ami_mdm_import.h"

#include <string.h>

#include "ami/ami_caltime.h"
#include "ami/ami_err.h"

#define MAX_FIELDS 300 /* 2 + 288 + 5 for a 5-minute NEM12 300 record */

/* ---------------------------------------------------------------------- */
/* Lines and fields */

typedef struct line {
  const uint8_t *p; /* start of the line */
  size_t len;       /* without the line end */
  uint32_t no;      /* 1-based */
  bool terminated;  /* a '\n' followed */
  size_t nf;
  ami_span f[MAX_FIELDS];
} line;

typedef struct parser {
  const uint8_t *buf;
  size_t len, pos;
  uint32_t line_no;
  ami_mdm_import_out *out;
  line ln;
} parser;

/* Next line into P->ln (strips "\r\n" / "\n"); false at end of input. */
static bool next_line(parser *P) {
  if (P->pos >= P->len)
    return false;
  const uint8_t *s = P->buf + P->pos;
  size_t left = P->len - P->pos;
  const uint8_t *nl = memchr(s, '\n', left);
  size_t n = nl ? (size_t)(nl - s) : left;
  P->pos += nl ? n + 1 : n;
  P->ln.terminated = nl != NULL;
  if (n > 0 && s[n - 1] == '\r')
    n--;
  P->ln.p = s;
  P->ln.len = n;
  P->ln.no = ++P->line_no;
  P->ln.nf = 0;
  return true;
}

/* Records an error at field fi (0-based, or the line start when fi is
 * out of range) and returns `code`; any error on an unterminated last line
 * becomes AMI_E_TRUNCATED (more input may complete it). */
static int fail(parser *P, int code, size_t fi, const char *what) {
  ami_mdm_import_error *e = &P->out->err;
  e->line = P->ln.no;
  e->field = fi < P->ln.nf ? (uint32_t)fi + 1 : 0;
  e->column = fi < P->ln.nf ? (uint32_t)(P->ln.f[fi].p - P->ln.p) + 1 : 1;
  e->what = what;
  if (code != AMI_E_BUFFER_FULL && !P->ln.terminated && P->pos >= P->len)
    code = AMI_E_TRUNCATED;
  return code;
}

/* Splits the line at commas. Fields are trimmed of spaces and of one pair
 * of surrounding double quotes. */
static int split(parser *P) {
  line *L = &P->ln;
  size_t start = 0;
  for (size_t i = 0; i <= L->len; i++) {
    if (i < L->len && L->p[i] != ',')
      continue;
    if (L->nf == MAX_FIELDS)
      return fail(P, AMI_E_SYNTAX, MAX_FIELDS - 1, "too many fields");
    const uint8_t *a = L->p + start;
    size_t n = i - start;
    while (n && (*a == ' ' || *a == '\t'))
      a++, n--;
    while (n && (a[n - 1] == ' ' || a[n - 1] == '\t'))
      n--;
    if (n >= 2 && a[0] == '"' && a[n - 1] == '"')
      a++, n -= 2;
    L->f[L->nf++] = ami_span_make(a, n);
    start = i + 1;
  }
  return AMI_OK;
}

static bool span_is(ami_span s, const char *lit) {
  size_t n = strlen(lit);
  return s.len == n && memcmp(s.p, lit, n) == 0;
}

static bool span_ieq(ami_span s, const char *lit) {
  size_t n = strlen(lit);
  if (s.len != n)
    return false;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = s.p[i];
    if (c >= 'a' && c <= 'z')
      c = (uint8_t)(c - 32);
    if (c != (uint8_t)lit[i])
      return false;
  }
  return true;
}

static bool is_digit(uint8_t c) {
  return c >= '0' && c <= '9';
}

/* Exactly n digits at p -> *v. */
static bool digits(const uint8_t *p, size_t n, int64_t *v) {
  int64_t x = 0;
  for (size_t i = 0; i < n; i++) {
    if (!is_digit(p[i]))
      return false;
    x = x * 10 + (p[i] - '0');
  }
  *v = x;
  return true;
}

/* A decimal "[-+]ddd[.ddd]" (at most 15 integer and 9 fraction digits)
 * times `scale`, rounded half away from zero. */
static bool parse_decimal(ami_span s, int64_t scale, int64_t *out) {
  size_t i = 0;
  bool neg = false;
  if (i < s.len && (s.p[i] == '-' || s.p[i] == '+'))
    neg = s.p[i++] == '-';
  int64_t ip = 0, fp = 0, fscale = 1;
  size_t nd = 0, nf = 0;
  while (i < s.len && is_digit(s.p[i])) {
    if (++nd > 15)
      return false;
    ip = ip * 10 + (s.p[i++] - '0');
  }
  if (i < s.len && s.p[i] == '.') {
    i++;
    while (i < s.len && is_digit(s.p[i])) {
      if (++nf > 9)
        return false;
      fp = fp * 10 + (s.p[i++] - '0');
      fscale *= 10;
    }
  }
  if (i != s.len || nd + nf == 0 || scale <= 0 ||
      (ip != 0 && scale > INT64_MAX / 2 / ip))
    return false;
  /* fp * scale / fscale, with fp < 1e9 and scale < 2^63/1e9 checked. */
  if (fp != 0 && scale > INT64_MAX / fscale)
    return false;
  int64_t frac = (fp * scale + fscale / 2) / fscale;
  if (ip * scale > INT64_MAX / 2 - frac)
    return false;
  int64_t v = ip * scale + frac;
  *out = neg ? -v : v;
  return true;
}

/* Days since the epoch of "YYYYMMDD". */
static bool parse_yyyymmdd(const uint8_t *p, int64_t *days) {
  int64_t y, m, d;
  if (!digits(p, 4, &y) || !digits(p + 4, 2, &m) || !digits(p + 6, 2, &d))
    return false;
  if (m < 1 || m > 12 || d < 1 ||
      d > ami_days_in_month((int32_t)y, (unsigned)m))
    return false;
  *days = ami_days_from_civil((int32_t)y, (unsigned)m, (unsigned)d);
  return true;
}

/* Seconds of "hhmmss" / "hhmm" (n = 6 or 4). */
static bool parse_hms(const uint8_t *p, size_t n, int64_t *secs) {
  int64_t h, mi, s = 0;
  if (!digits(p, 2, &h) || !digits(p + 2, 2, &mi) ||
      (n == 6 && !digits(p + 4, 2, &s)))
    return false;
  if (h > 23 || mi > 59 || s > 59)
    return false;
  *secs = h * 3600 + mi * 60 + s;
  return true;
}

/* NEM12 quality method "A", "V", "E15", "S53", "F14", "N": letter and an
 * optional two-digit method flag (V never has one). */
static bool parse_quality(ami_span s, uint8_t *q, uint8_t *method, bool *var) {
  if (s.len != 1 && s.len != 3)
    return false;
  *var = false;
  switch (s.p[0]) {
  case 'A':
    *q = AMI_MDM_Q_ACTUAL;
    break;
  case 'E':
    *q = AMI_MDM_Q_ESTIMATED;
    break;
  case 'S':
  case 'F':
    *q = AMI_MDM_Q_SUBSTITUTED;
    break;
  case 'N':
    *q = AMI_MDM_Q_MISSING;
    break;
  case 'V':
    if (s.len != 1)
      return false;
    *var = true;
    *q = AMI_MDM_Q_ACTUAL;
    break;
  default:
    return false;
  }
  int64_t m = 0;
  if (s.len == 3 && !digits(s.p + 1, 2, &m))
    return false;
  *method = (uint8_t)m;
  return true;
}

static void reset(ami_mdm_import_out *out) {
  out->n_series = out->n_rows = out->n_reads = 0;
}

/* Starts a parse of buf[0..len): staging emptied, no error yet. */
static void parser_init(parser *P, const uint8_t *buf, size_t len,
                        ami_mdm_import_out *out) {
  P->ln.nf = 0;
  P->ln.no = 0;
  P->ln.len = 0;
  P->ln.p = buf;
  P->ln.terminated = true;
  P->buf = buf;
  P->len = len;
  P->pos = 0;
  P->line_no = 0;
  P->out = out;
  reset(out);
  memset(&out->err, 0, sizeof out->err);
}

static bool out_ok(const ami_mdm_import_out *out) {
  return out && (out->series || !out->series_cap) &&
         (out->rows || !out->rows_cap) && (out->reads || !out->reads_cap);
}

/* ---------------------------------------------------------------------- */
/* CSV */

void ami_mdm_csv_opts_default(ami_mdm_csv_opts *o) {
  memset(o, 0, sizeof *o);
  o->interval_s = 1800;
  o->scale = 1000000;
  o->unit = AMI_MDM_UNIT_WH;
  o->header = AMI_MDM_CSV_HEADER_AUTO;
}

void ami_mdm_csv_opts_lcl(ami_mdm_csv_opts *o) {
  ami_mdm_csv_opts_default(o);
  o->ts_is_start = true;
  o->header = AMI_MDM_CSV_HEADER;
}

/* ISO 8601 "YYYY-MM-DD[T ]hh:mm[:ss[.fff]][Z|+hh:mm|-hhmm]" -> UTC. */
static bool parse_iso(ami_span s, const ami_mdm_tz *tz, int64_t *t) {
  const uint8_t *p = s.p;
  size_t n = s.len, i;
  int64_t y, mo, d, h, mi, sec = 0;
  if (n < 16 || !digits(p, 4, &y) || p[4] != '-' || !digits(p + 5, 2, &mo) ||
      p[7] != '-' || !digits(p + 8, 2, &d) || (p[10] != 'T' && p[10] != ' ') ||
      !digits(p + 11, 2, &h) || p[13] != ':' || !digits(p + 14, 2, &mi))
    return false;
  i = 16;
  if (i < n && p[i] == ':') {
    if (i + 3 > n || !digits(p + i + 1, 2, &sec))
      return false;
    i += 3;
    if (i < n && p[i] == '.') {
      size_t k = ++i;
      while (i < n && is_digit(p[i]))
        i++;
      if (i == k)
        return false;
    }
  }
  if (mo < 1 || mo > 12 || d < 1 ||
      d > ami_days_in_month((int32_t)y, (unsigned)mo) || h > 23 || mi > 59 ||
      sec > 59)
    return false;
  int64_t local =
      ami_days_from_civil((int32_t)y, (unsigned)mo, (unsigned)d) * 86400 +
      h * 3600 + mi * 60 + sec;
  if (i == n) {
    *t = ami_mdm_tz_to_utc(tz, local);
    return true;
  }
  if (p[i] == 'Z' && i + 1 == n) {
    *t = local;
    return true;
  }
  if (p[i] != '+' && p[i] != '-')
    return false;
  int sign = p[i] == '-' ? -1 : 1;
  int64_t oh, om;
  i++;
  if (n - i == 5 && p[i + 2] == ':') {
    if (!digits(p + i, 2, &oh) || !digits(p + i + 3, 2, &om))
      return false;
  } else if (n - i == 4 || n - i == 2) {
    om = 0;
    if (!digits(p + i, 2, &oh) || (n - i == 4 && !digits(p + i + 2, 2, &om)))
      return false;
  } else {
    return false;
  }
  if (oh > 14 || om > 59)
    return false;
  *t = local - sign * (oh * 3600 + om * 60);
  return true;
}

/* Index of the series named `id`, adding it when new; -1 when full. */
static long csv_series(parser *P, const ami_mdm_csv_opts *o, ami_span id,
                       size_t *last) {
  ami_mdm_import_out *out = P->out;
  if (*last < out->n_series && ami_span_eq(out->series[*last].id, id))
    return (long)*last;
  for (size_t k = 0; k < out->n_series; k++)
    if (ami_span_eq(out->series[k].id, id))
      return (long)(*last = k);
  if (out->n_series == out->series_cap)
    return -1;
  ami_mdm_import_series *s = &out->series[out->n_series];
  memset(s, 0, sizeof *s);
  s->id = id;
  s->unit = o->unit;
  s->interval_s = o->interval_s;
  *last = out->n_series;
  return (long)out->n_series++;
}

static bool has_digit(ami_span s) {
  for (size_t i = 0; i < s.len; i++)
    if (is_digit(s.p[i]))
      return true;
  return false;
}

static int csv_line(parser *P, const ami_mdm_csv_opts *o, size_t *last) {
  line *L = &P->ln;
  if (L->nf < 3 || L->nf > 4)
    return fail(P, AMI_E_SYNTAX, L->nf > 4 ? 4 : L->nf,
                "expected id,timestamp,value[,quality]");
  if (L->f[0].len == 0)
    return fail(P, AMI_E_SYNTAX, 0, "empty id");
  int64_t t;
  if (!parse_iso(L->f[1], o->tz, &t))
    return fail(P, AMI_E_SYNTAX, 1, "bad ISO 8601 timestamp");
  ami_mdm_import_row row;
  memset(&row, 0, sizeof row);
  row.r.t = o->ts_is_start ? t + o->interval_s : t;
  row.r.v.quality = AMI_MDM_Q_ACTUAL;
  if (L->f[2].len == 0 || span_ieq(L->f[2], "NULL"))
    row.r.v.quality = AMI_MDM_Q_MISSING;
  else if (!parse_decimal(L->f[2], o->scale, &row.r.v.value))
    return fail(P, AMI_E_SYNTAX, 2, "bad decimal value");
  if (L->nf == 4 && L->f[3].len) {
    bool var;
    uint8_t q;
    if (!parse_quality(L->f[3], &q, &row.r.v.method, &var) || var)
      return fail(P, AMI_E_SYNTAX, 3, "bad quality");
    if (row.r.v.quality != AMI_MDM_Q_MISSING)
      row.r.v.quality = q;
  }
  long s = csv_series(P, o, L->f[0], last);
  if (s < 0)
    return fail(P, AMI_E_BUFFER_FULL, 0, "series capacity");
  if (P->out->n_rows == P->out->rows_cap)
    return fail(P, AMI_E_BUFFER_FULL, 0, "row capacity");
  row.series = (uint32_t)s;
  P->out->rows[P->out->n_rows++] = row;
  return AMI_OK;
}

int ami_mdm_import_csv(const ami_mdm_csv_opts *o, const uint8_t *buf,
                       size_t len, ami_mdm_import_out *out) {
  if (!o || !out_ok(out) || (len && !buf) || o->scale <= 0 ||
      o->interval_s == 0 || o->interval_s > 86400)
    return AMI_E_INVAL;
  parser local;
  parser *p = &local;
  parser_init(p, buf, len, out);
  size_t last = 0;
  while (next_line(p)) {
    if (p->ln.len == 0)
      continue;
    int rc = split(p);
    if (rc == AMI_OK && p->ln.no == 1 && o->header != AMI_MDM_CSV_NO_HEADER &&
        (o->header == AMI_MDM_CSV_HEADER || p->ln.nf < 2 ||
         !has_digit(p->ln.f[1])))
      continue;
    if (rc == AMI_OK)
      rc = csv_line(p, o, &last);
    if (rc != AMI_OK) {
      reset(out);
      return rc;
    }
  }
  return AMI_OK;
}

/* ---------------------------------------------------------------------- */
/* NEM12 */

void ami_mdm_nem12_opts_default(ami_mdm_nem12_opts *o) {
  o->utc_offset_s = 36000;
  o->lenient = false;
}

/* NEM12 UOM (MDFF Appendix: units of measure) -> unit and scale to
 * milli-units. */
static bool nem12_uom(ami_span u, ami_mdm_unit *unit, int64_t *scale) {
  static const struct {
    const char *name;
    ami_mdm_unit unit;
    int64_t scale;
  } t[] = {
      {"WH", AMI_MDM_UNIT_WH, 1000},
      {"KWH", AMI_MDM_UNIT_WH, 1000000},
      {"MWH", AMI_MDM_UNIT_WH, 1000000000},
      {"VARH", AMI_MDM_UNIT_VARH, 1000},
      {"KVARH", AMI_MDM_UNIT_VARH, 1000000},
      {"MVARH", AMI_MDM_UNIT_VARH, 1000000000},
      {"VAH", AMI_MDM_UNIT_VAH, 1000},
      {"KVAH", AMI_MDM_UNIT_VAH, 1000000},
      {"MVAH", AMI_MDM_UNIT_VAH, 1000000000},
      {"W", AMI_MDM_UNIT_W, 1000},
      {"KW", AMI_MDM_UNIT_W, 1000000},
      {"MW", AMI_MDM_UNIT_W, 1000000000},
      {"V", AMI_MDM_UNIT_V, 1000},
      {"KV", AMI_MDM_UNIT_V, 1000000},
      {"A", AMI_MDM_UNIT_A, 1000},
      {"KA", AMI_MDM_UNIT_A, 1000000},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (span_ieq(u, t[i].name)) {
      *unit = t[i].unit;
      *scale = t[i].scale;
      return true;
    }
  return false;
}

typedef struct nem12 {
  const ami_mdm_nem12_opts *o;
  bool seen_100, seen_900, have_200;
  uint32_t series;       /* index of the current 200's series */
  uint32_t interval_min; /* of the current 200 */
  int64_t scale;         /* of the current 200 */
  /* A 300 of quality V waiting for its 400 records. */
  bool pending_v;
  size_t v_first_row; /* its first row in out->rows */
  uint32_t v_next;    /* next interval number a 400 must start at */
  uint32_t v_count;   /* intervals in the day */
} nem12;

static int nem12_100(parser *P, nem12 *N) {
  line *L = &P->ln;
  if (N->seen_100 || P->out->n_series)
    return fail(P, AMI_E_INCONSISTENT, 0, "100 header not first");
  if (L->nf < 5)
    return fail(P, AMI_E_SYNTAX, L->nf, "100: expected 5 fields");
  if (span_is(L->f[1], "NEM13"))
    return fail(P, AMI_E_UNSUPPORTED, 1, "NEM13 is not supported");
  if (!span_is(L->f[1], "NEM12"))
    return fail(P, AMI_E_SYNTAX, 1, "100: VersionHeader must be NEM12");
  int64_t d, s;
  if (L->f[2].len != 12 || !parse_yyyymmdd(L->f[2].p, &d) ||
      !parse_hms(L->f[2].p + 8, 4, &s))
    return fail(P, AMI_E_SYNTAX, 2, "100: DateTime must be CCYYMMDDhhmm");
  N->seen_100 = true;
  return AMI_OK;
}

static int nem12_200(parser *P, nem12 *N) {
  line *L = &P->ln;
  if (L->nf < 9 || L->nf > 10)
    return fail(P, AMI_E_SYNTAX, L->nf < 9 ? L->nf : 10,
                "200: expected 9 or 10 fields");
  if (L->f[1].len == 0 || L->f[1].len > 10)
    return fail(P, AMI_E_SYNTAX, 1, "200: NMI must be 1..10 characters");
  ami_mdm_unit unit;
  int64_t scale, iv;
  if (!nem12_uom(L->f[7], &unit, &scale))
    return fail(P, AMI_E_UNSUPPORTED, 7, "200: unknown UOM");
  if (L->f[8].len == 0 || L->f[8].len > 2 ||
      !digits(L->f[8].p, L->f[8].len, &iv))
    return fail(P, AMI_E_SYNTAX, 8, "200: IntervalLength not a number");
  if (iv != 5 && iv != 15 && iv != 30)
    return fail(P, AMI_E_RANGE, 8, "200: IntervalLength must be 5, 15 or 30");
  /* A 200 repeating an earlier one (same NMI, suffix, meter, unit and
   * interval) continues that series: distributors split a year into
   * blocks that way (the AusNet sample repeats one 200 four times). */
  ami_mdm_import_series *s = NULL;
  for (size_t k = 0; k < P->out->n_series && !s; k++) {
    ami_mdm_import_series *x = &P->out->series[k];
    if (ami_span_eq(x->id, L->f[1]) && ami_span_eq(x->suffix, L->f[4]) &&
        ami_span_eq(x->serial, L->f[6]) && ami_span_eq(x->uom, L->f[7]) &&
        x->interval_s == (uint32_t)iv * 60)
      s = x;
  }
  if (!s) {
    if (P->out->n_series == P->out->series_cap)
      return fail(P, AMI_E_BUFFER_FULL, 0, "series capacity");
    s = &P->out->series[P->out->n_series++];
    s->id = L->f[1];
    s->suffix = L->f[4];
    s->serial = L->f[6];
    s->uom = L->f[7];
    s->unit = unit;
    s->interval_s = (uint32_t)iv * 60;
  }
  N->series = (uint32_t)(s - P->out->series);
  N->have_200 = true;
  N->interval_min = (uint32_t)iv;
  N->scale = scale;
  return AMI_OK;
}

static int nem12_300(parser *P, nem12 *N) {
  line *L = &P->ln;
  if (!N->have_200)
    return fail(P, AMI_E_INCONSISTENT, 0, "300 before any 200");
  size_t nv = 1440 / N->interval_min, q = 2 + nv;
  if (L->nf < q + 1 || L->nf > q + 5)
    return fail(P, AMI_E_SYNTAX, L->nf < q + 1 ? L->nf : q + 5,
                "300: wrong number of interval values");
  int64_t day;
  if (L->f[1].len != 8 || !parse_yyyymmdd(L->f[1].p, &day))
    return fail(P, AMI_E_SYNTAX, 1, "300: IntervalDate must be CCYYMMDD");
  uint8_t quality, method;
  bool var;
  if (!parse_quality(L->f[q], &quality, &method, &var))
    return fail(P, AMI_E_SYNTAX, q, "300: bad QualityMethod");
  int64_t reason = 0;
  if (L->nf > q + 1 && L->f[q + 1].len &&
      (L->f[q + 1].len > 3 || !digits(L->f[q + 1].p, L->f[q + 1].len, &reason)))
    return fail(P, AMI_E_SYNTAX, q + 1, "300: bad ReasonCode");
  int64_t d, s;
  if (L->nf > q + 3 && L->f[q + 3].len &&
      (L->f[q + 3].len != 14 || !parse_yyyymmdd(L->f[q + 3].p, &d) ||
       !parse_hms(L->f[q + 3].p + 8, 6, &s)))
    return fail(P, AMI_E_SYNTAX, q + 3, "300: bad UpdateDateTime");
  if (P->out->rows_cap - P->out->n_rows < nv)
    return fail(P, AMI_E_BUFFER_FULL, 0, "row capacity");
  int64_t start = day * 86400 - N->o->utc_offset_s;
  size_t first = P->out->n_rows;
  for (size_t k = 0; k < nv; k++) {
    ami_mdm_import_row *r = &P->out->rows[first + k];
    memset(r, 0, sizeof *r);
    if (!parse_decimal(L->f[2 + k], N->scale, &r->r.v.value))
      return fail(P, AMI_E_SYNTAX, 2 + k, "300: bad interval value");
    r->series = N->series;
    r->reason = (uint16_t)reason;
    r->r.t = start + (int64_t)(k + 1) * N->interval_min * 60;
    r->r.v.quality = quality;
    r->r.v.method = method;
  }
  P->out->n_rows += nv;
  N->pending_v = var;
  N->v_first_row = first;
  N->v_next = 1;
  N->v_count = (uint32_t)nv;
  return AMI_OK;
}

/* 400: StartInterval,EndInterval,QualityMethod,ReasonCode,ReasonDescription
 * -- must follow a 300 of quality V and cover its day in order. */
static int nem12_400(parser *P, nem12 *N) {
  line *L = &P->ln;
  if (!N->pending_v)
    return fail(P, AMI_E_INCONSISTENT, 0, "400 without a 300 of quality V");
  if (L->nf < 4 || L->nf > 6)
    return fail(P, AMI_E_SYNTAX, L->nf < 4 ? L->nf : 6,
                "400: expected 4 to 6 fields");
  int64_t a, b, reason = 0;
  if (L->f[1].len == 0 || L->f[1].len > 3 ||
      !digits(L->f[1].p, L->f[1].len, &a))
    return fail(P, AMI_E_SYNTAX, 1, "400: bad StartInterval");
  if (L->f[2].len == 0 || L->f[2].len > 3 ||
      !digits(L->f[2].p, L->f[2].len, &b))
    return fail(P, AMI_E_SYNTAX, 2, "400: bad EndInterval");
  if (a != N->v_next || b < a || b > N->v_count)
    return fail(P, AMI_E_INCONSISTENT, 1,
                "400: interval range not contiguous within the day");
  uint8_t q, m;
  bool var;
  if (!parse_quality(L->f[3], &q, &m, &var) || var)
    return fail(P, AMI_E_SYNTAX, 3, "400: bad QualityMethod");
  if (L->nf > 4 && L->f[4].len &&
      (L->f[4].len > 3 || !digits(L->f[4].p, L->f[4].len, &reason)))
    return fail(P, AMI_E_SYNTAX, 4, "400: bad ReasonCode");
  for (int64_t k = a; k <= b; k++) {
    ami_mdm_import_row *r = &P->out->rows[N->v_first_row + (size_t)k - 1];
    r->r.v.quality = q;
    r->r.v.method = m;
    r->reason = (uint16_t)reason;
  }
  N->v_next = (uint32_t)b + 1;
  if (N->v_next > N->v_count)
    N->pending_v = false;
  return AMI_OK;
}

/* 500: TransCode,RetServiceOrder,ReadDateTime,IndexRead -- an IndexRead
 * with its time becomes a register read of the current series. */
static int nem12_500(parser *P, nem12 *N) {
  line *L = &P->ln;
  if (!N->have_200)
    return fail(P, AMI_E_INCONSISTENT, 0, "500 before any 200");
  if (L->nf < 2 || L->nf > 5)
    return fail(P, AMI_E_SYNTAX, L->nf < 2 ? L->nf : 5,
                "500: expected 2 to 5 fields");
  int64_t d = 0, s = 0, v;
  bool have_t = L->nf > 3 && L->f[3].len;
  if (have_t && (L->f[3].len != 14 || !parse_yyyymmdd(L->f[3].p, &d) ||
                 !parse_hms(L->f[3].p + 8, 6, &s)))
    return fail(P, AMI_E_SYNTAX, 3, "500: bad ReadDateTime");
  if (L->nf > 4 && L->f[4].len) {
    if (!parse_decimal(L->f[4], N->scale, &v))
      return fail(P, AMI_E_SYNTAX, 4, "500: bad IndexRead");
    if (!have_t)
      return fail(P, AMI_E_INCONSISTENT, 4, "500: IndexRead without time");
    if (P->out->n_reads == P->out->reads_cap)
      return fail(P, AMI_E_BUFFER_FULL, 0, "register read capacity");
    ami_mdm_register_read *r = &P->out->reads[P->out->n_reads++];
    r->channel_id = N->series;
    r->t = d * 86400 + s - N->o->utc_offset_s;
    r->value = v;
    r->quality = AMI_MDM_Q_ACTUAL;
  }
  return AMI_OK;
}

static int nem12_record(parser *P, nem12 *N) {
  line *L = &P->ln;
  ami_span rt = L->f[0];
  if (N->seen_900)
    return fail(P, AMI_E_TRAILING, 0, "record after the 900 end record");
  if (N->pending_v && !span_is(rt, "400"))
    return fail(P, AMI_E_INCONSISTENT, 0,
                "300 of quality V not covered by its 400 records");
  if (!N->seen_100 && !N->o->lenient && !span_is(rt, "100"))
    return fail(P, AMI_E_INCONSISTENT, 0, "file must start with a 100");
  if (span_is(rt, "100"))
    return nem12_100(P, N);
  if (span_is(rt, "200"))
    return nem12_200(P, N);
  if (span_is(rt, "300"))
    return nem12_300(P, N);
  if (span_is(rt, "400"))
    return nem12_400(P, N);
  if (span_is(rt, "500"))
    return nem12_500(P, N);
  if (span_is(rt, "900")) {
    if (L->nf != 1)
      return fail(P, AMI_E_SYNTAX, 1, "900: no fields expected");
    N->seen_900 = true;
    return AMI_OK;
  }
  return fail(P, AMI_E_SYNTAX, 0, "unknown RecordIndicator");
}

int ami_mdm_import_nem12(const ami_mdm_nem12_opts *o, const uint8_t *buf,
                         size_t len, ami_mdm_import_out *out) {
  if (!o || !out_ok(out) || (len && !buf))
    return AMI_E_INVAL;
  parser P;
  parser_init(&P, buf, len, out);
  nem12 N;
  memset(&N, 0, sizeof N);
  N.o = o;
  int rc = AMI_OK;
  while (rc == AMI_OK && next_line(&P)) {
    if (P.ln.len == 0) {
      if (!o->lenient && !N.seen_900)
        rc = fail(&P, AMI_E_SYNTAX, 0, "blank line");
      continue;
    }
    rc = split(&P);
    if (rc == AMI_OK)
      rc = nem12_record(&P, &N);
  }
  if (rc == AMI_OK && N.pending_v) {
    P.ln.nf = 0;
    rc = fail(&P, AMI_E_TRUNCATED, 0, "input ends inside a 400 block");
  }
  if (rc == AMI_OK && !N.seen_900 && !o->lenient) {
    P.ln.nf = 0;
    rc = fail(&P, AMI_E_TRUNCATED, 0, "no 900 end record");
  }
  if (rc != AMI_OK)
    reset(out);
  return rc;
}
