/*
 * ami_sim_dataset.c -- parsers for the real smart-meter datasets that drive
 * replayed households (London LCL, Ausgrid solar home, UCI 1-minute house),
 * and the filling of their gaps.
 *
 * The input is outside data: every line is parsed within its own bounds,
 * every number is range-checked, the grid the file describes is bounded by
 * ami_sim_parse_limits before anything is allocated, and every error names
 * the 1-based line it was found on.
 *
 * Two passes over the text: the first learns the household ids and the time
 * span, the second fills a households x slots grid. Parsing twice costs less
 * than keeping every row, and the grid is then one allocation.
 */
#include "ami_sim_load_internal.h"

#include <stdbool.h>
#include <string.h>

#include "ami/ami_caltime.h"

#define MISSING INT32_MIN
/* 30 kWh in a half hour (60 kW mean) is past any home, and small enough
 * that the whole slot's energy in one minute still fits int32 mW. */
#define MAX_MWH 30000000
#define MAX_W   1000000 /* 1 MW mean power: keeps mW within int32 */

/* One parsed data line. */
typedef struct row {
  const char *id; /* borrows the input; NULL: the format has one household */
  size_t id_len;
  int64_t t_ms;
  int32_t a, b;
  bool a_missing, b_missing;
} row;

/* What differs between formats: the header, the line syntax, the units. */
typedef struct format {
  ami_sim_dataset_kind kind;
  const char *header;     /* prefix that marks line 1 as the header */
  const char *default_id; /* id of the one household of id-less formats */
  uint32_t slot_ms;
  int32_t utc_offset_min;
  ami_sim_dst dst;
  double lat, lon;
  int (*parse)(const struct format *f, const char *p, size_t n, row *r);
} format;

/* ---------------------------------------------------------------------- */
/* Field scanners: each works on [p, end) and advances *pp.                */

static void skip_spaces(const char **pp, const char *end) {
  while (*pp < end && (**pp == ' ' || **pp == '\t'))
    (*pp)++;
}

/* Exactly `n` decimal digits into *v. */
static int digits(const char **pp, const char *end, int n, int32_t *v) {
  int32_t x = 0;
  for (int i = 0; i < n; i++) {
    if (*pp >= end || **pp < '0' || **pp > '9')
      return AMI_E_SYNTAX;
    x = x * 10 + (**pp - '0');
    (*pp)++;
  }
  *v = x;
  return AMI_OK;
}

/* 1..max_n decimal digits into *v. */
static int digits_var(const char **pp, const char *end, int max_n, int32_t *v) {
  int32_t x = 0;
  int n = 0;
  while (*pp < end && **pp >= '0' && **pp <= '9') {
    if (++n > max_n)
      return AMI_E_SYNTAX;
    x = x * 10 + (**pp - '0');
    (*pp)++;
  }
  *v = x;
  return n == 0 ? AMI_E_SYNTAX : AMI_OK;
}

static int expect(const char **pp, const char *end, char c) {
  if (*pp >= end || **pp != c)
    return AMI_E_SYNTAX;
  (*pp)++;
  return AMI_OK;
}

/* A calendar date and clock time to Unix ms, treating them as local time
 * `utc_offset_min` east of UTC. Years 1970..9999. */
static int civil_to_ms(int32_t y, int32_t mo, int32_t d, int32_t hh, int32_t mi,
                       int32_t ss, int32_t utc_offset_min, int64_t *t_ms) {
  if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
      d > (int32_t)ami_days_in_month(y, (unsigned)mo) || hh > 23 || mi > 59 ||
      ss > 59)
    return AMI_E_RANGE;
  int64_t days = ami_days_from_civil(y, (unsigned)mo, (unsigned)d);
  int64_t s =
      days * 86400 + hh * 3600 + mi * 60 + ss - (int64_t)utc_offset_min * 60;
  *t_ms = s * 1000;
  return AMI_OK;
}

/* `YYYY-MM-DD HH:MM:SS` with optional `.000...` (zero) fractional seconds,
 * as the LCL and Ausgrid files write timestamps. */
static int iso_time(const char **pp, const char *end, int32_t off, int64_t *t) {
  int32_t y, mo, d, hh, mi, ss;
  int rc;
  if ((rc = digits(pp, end, 4, &y)) || (rc = expect(pp, end, '-')) ||
      (rc = digits(pp, end, 2, &mo)) || (rc = expect(pp, end, '-')) ||
      (rc = digits(pp, end, 2, &d)) || (rc = expect(pp, end, ' ')) ||
      (rc = digits(pp, end, 2, &hh)) || (rc = expect(pp, end, ':')) ||
      (rc = digits(pp, end, 2, &mi)) || (rc = expect(pp, end, ':')) ||
      (rc = digits(pp, end, 2, &ss)))
    return rc;
  if (*pp < end && **pp == '.') {
    (*pp)++;
    int n = 0;
    for (; *pp < end && **pp == '0'; (*pp)++)
      n++;
    if (n == 0)
      return AMI_E_SYNTAX;
  }
  return civil_to_ms(y, mo, d, hh, mi, ss, off, t);
}

/* A decimal number (optional sign, digits, fraction, exponent) scaled by
 * 10^scale and rounded half away from zero to an integer in
 * [-limit, limit]. Exact for every input: digits are accumulated as an
 * integer mantissa (18 significant digits kept, far beyond any meter's
 * resolution); rounding looks at the first dropped digit. */
static int decimal(const char **pp, const char *end, int scale, int64_t limit,
                   int64_t *out) {
  bool neg = false;
  if (*pp < end && (**pp == '-' || **pp == '+'))
    neg = *(*pp)++ == '-';
  uint64_t m = 0;
  int sig = 0, exp10 = 0;
  bool any = false, dot = false;
  for (; *pp < end; (*pp)++) {
    char c = **pp;
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    if (c < '0' || c > '9')
      break;
    any = true;
    if (sig < 18) {
      if (m != 0 || c != '0')
        sig++;
      m = m * 10 + (uint64_t)(c - '0');
      if (dot)
        exp10--;
    } else if (!dot && exp10 < 1000) {
      exp10++; /* digits past the 18th only scale (and cannot round) */
    }
  }
  if (!any)
    return AMI_E_SYNTAX;
  if (*pp < end && (**pp == 'e' || **pp == 'E')) {
    (*pp)++;
    bool eneg = false;
    if (*pp < end && (**pp == '-' || **pp == '+'))
      eneg = *(*pp)++ == '-';
    int32_t e;
    int rc = digits_var(pp, end, 4, &e);
    if (rc)
      return rc;
    exp10 += eneg ? -e : e;
  }
  exp10 += scale;
  if (m == 0) {
    *out = 0;
    return AMI_OK;
  }
  /* m has at most 18 digits, so m < 10^18 and m * 10 cannot overflow. */
  while (exp10 > 0) {
    if (m > (uint64_t)limit)
      return AMI_E_RANGE;
    m *= 10;
    exp10--;
  }
  int digit = 0; /* the first digit dropped, for rounding */
  while (exp10 < 0 && m != 0) {
    digit = (int)(m % 10);
    m /= 10;
    exp10++;
  }
  if (digit >= 5)
    m++;
  if (m > (uint64_t)limit)
    return AMI_E_RANGE;
  *out = neg ? -(int64_t)m : (int64_t)m;
  return AMI_OK;
}

/* A value field of an energy column: blank (missing), `Null`/`?`
 * (missing), or a non-negative kWh number rounded to mWh. */
static int energy_field(const char **pp, const char *end, int scale,
                        int64_t limit, int32_t *v, bool *missing) {
  skip_spaces(pp, end);
  *missing = false;
  if (*pp >= end || **pp == ',') {
    *missing = true;
    return AMI_OK;
  }
  if (**pp == '?') {
    (*pp)++;
    *missing = true;
    return AMI_OK;
  }
  if (end - *pp >= 4 && memcmp(*pp, "Null", 4) == 0) {
    *pp += 4;
    *missing = true;
    skip_spaces(pp, end);
    return AMI_OK;
  }
  int64_t x;
  int rc = decimal(pp, end, scale, limit, &x);
  if (rc)
    return rc;
  if (x < 0)
    return AMI_E_RANGE; /* consumption and gross generation are >= 0 */
  *v = (int32_t)x;
  skip_spaces(pp, end);
  return AMI_OK;
}

/* ---------------------------------------------------------------------- */
/* The three line formats.                                                 */

/* LCL: `MAC000002,2013-01-01 00:00:00, 0.219 ` */
static int parse_lcl(const format *f, const char *p, size_t n, row *r) {
  const char *end = p + n, *q = p;
  while (q < end && *q != ',')
    q++;
  r->id = p;
  r->id_len = (size_t)(q - p);
  if (r->id_len == 0 || r->id_len > AMI__SIM_ID_MAX || q == end)
    return AMI_E_SYNTAX;
  for (const char *c = p; c < q; c++)
    if (*c <= ' ' || *c > '~' || *c == '"')
      return AMI_E_SYNTAX;
  q++;
  int rc = iso_time(&q, end, f->utc_offset_min, &r->t_ms);
  if (rc)
    return rc;
  if ((rc = expect(&q, end, ',')) != AMI_OK)
    return rc;
  rc = energy_field(&q, end, 6, MAX_MWH, &r->a, &r->a_missing);
  if (rc)
    return rc;
  r->b_missing = true;
  return q == end ? AMI_OK : AMI_E_SYNTAX;
}

/* Ausgrid: `2011-07-01 00:00:00,0.392,0.0` */
static int parse_ausgrid(const format *f, const char *p, size_t n, row *r) {
  const char *end = p + n, *q = p;
  r->id = NULL;
  int rc = iso_time(&q, end, f->utc_offset_min, &r->t_ms);
  if (rc || (rc = expect(&q, end, ',')) ||
      (rc = energy_field(&q, end, 6, MAX_MWH, &r->a, &r->a_missing)) ||
      (rc = expect(&q, end, ',')) ||
      (rc = energy_field(&q, end, 6, MAX_MWH, &r->b, &r->b_missing)))
    return rc;
  return q == end ? AMI_OK : AMI_E_SYNTAX;
}

/* UCI re-cut: `0,1/1/07,0:00:00,2.58,0.136,241.97,10.6,0,0,0.0`; only the
 * date, time, active and reactive power (kW) are used; the rest of the line
 * is not interpreted. Two-digit years are 20yy. */
static int parse_uci(const format *f, const char *p, size_t n, row *r) {
  const char *end = p + n, *q = p;
  int32_t idx, d, mo, y, hh, mi, ss;
  r->id = NULL;
  int rc;
  if ((rc = digits_var(&q, end, 9, &idx)) || (rc = expect(&q, end, ',')) ||
      (rc = digits_var(&q, end, 2, &d)) || (rc = expect(&q, end, '/')) ||
      (rc = digits_var(&q, end, 2, &mo)) || (rc = expect(&q, end, '/')))
    return rc;
  const char *ys = q;
  if ((rc = digits_var(&q, end, 4, &y)))
    return rc;
  if (q - ys == 2)
    y += 2000;
  else if (q - ys != 4)
    return AMI_E_SYNTAX;
  if ((rc = expect(&q, end, ',')) || (rc = digits_var(&q, end, 2, &hh)) ||
      (rc = expect(&q, end, ':')) || (rc = digits(&q, end, 2, &mi)) ||
      (rc = expect(&q, end, ':')) || (rc = digits(&q, end, 2, &ss)) ||
      (rc = civil_to_ms(y, mo, d, hh, mi, ss, f->utc_offset_min, &r->t_ms)) ||
      (rc = expect(&q, end, ',')) ||
      (rc = energy_field(&q, end, 3, MAX_W, &r->a, &r->a_missing)) ||
      (rc = expect(&q, end, ',')) ||
      (rc = energy_field(&q, end, 3, MAX_W, &r->b, &r->b_missing)))
    return rc;
  if (q != end && *q != ',')
    return AMI_E_SYNTAX;
  if (r->a_missing != r->b_missing)
    r->a_missing = r->b_missing = true; /* half a reading is no reading */
  return AMI_OK;
}

/* ---------------------------------------------------------------------- */
/* Household ids: an open-addressing hash table over the ids array, so that
 * hostile input with many interleaved ids stays linear.                    */

typedef struct idtab {
  const ami_allocator *alloc;
  char (*ids)[AMI__SIM_ID_MAX + 1];
  uint32_t n, cap_ids;
  int32_t *slots; /* index into ids, -1 empty */
  uint32_t mask;
} idtab;

static uint32_t id_hash(const char *p, size_t n) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < n; i++)
    h = (h ^ (uint8_t)p[i]) * 16777619u;
  return h;
}

static void idtab_free(idtab *t) {
  ami_free(t->alloc, t->slots);
  ami_free(t->alloc, t->ids);
}

static int idtab_rehash(idtab *t, uint32_t nslots) {
  int32_t *s = ami_malloc(t->alloc, (size_t)nslots * sizeof *s);
  if (!s)
    return AMI_E_NOMEM;
  for (uint32_t i = 0; i < nslots; i++)
    s[i] = -1;
  for (uint32_t k = 0; k < t->n; k++) {
    uint32_t h = id_hash(t->ids[k], strlen(t->ids[k])) & (nslots - 1);
    while (s[h] >= 0)
      h = (h + 1) & (nslots - 1);
    s[h] = (int32_t)k;
  }
  ami_free(t->alloc, t->slots);
  t->slots = s;
  t->mask = nslots - 1;
  return AMI_OK;
}

/* Finds id, adding it when `add` (bounded by max). *index = -1 if absent. */
static int idtab_get(idtab *t, const char *p, size_t n, bool add, uint32_t max,
                     int32_t *index) {
  *index = -1;
  if (t->slots) {
    uint32_t h = id_hash(p, n) & t->mask;
    for (; t->slots[h] >= 0; h = (h + 1) & t->mask) {
      const char *s = t->ids[t->slots[h]];
      if (strlen(s) == n && memcmp(s, p, n) == 0) {
        *index = t->slots[h];
        return AMI_OK;
      }
    }
  }
  if (!add)
    return AMI_OK;
  if (t->n >= max)
    return AMI_E_LIMIT;
  if (t->n == t->cap_ids) {
    uint32_t nc = t->cap_ids ? t->cap_ids * 2 : 16;
    void *ni = ami_realloc(t->alloc, t->ids, (size_t)nc * sizeof *t->ids);
    if (!ni)
      return AMI_E_NOMEM;
    t->ids = ni;
    t->cap_ids = nc;
  }
  memcpy(t->ids[t->n], p, n);
  t->ids[t->n][n] = '\0';
  t->n++;
  if (!t->slots || t->n * 2 > t->mask + 1) {
    int rc = idtab_rehash(t, t->slots ? (t->mask + 1) * 2 : 32);
    if (rc)
      return rc;
  } else {
    uint32_t h = id_hash(p, n) & t->mask;
    while (t->slots[h] >= 0)
      h = (h + 1) & t->mask;
    t->slots[h] = (int32_t)(t->n - 1);
  }
  *index = (int32_t)(t->n - 1);
  return AMI_OK;
}

/* ---------------------------------------------------------------------- */
/* Gap filling                                                             */

/* Fills the missing slots of one series (a household's consumption or
 * generation, `stride`-spaced flags shared with its sibling): gaps of at
 * most `interp_max` slots between two measured slots are interpolated
 * linearly; longer or open-ended gaps take the household's mean for the same
 * time of the week (`week` slots per week, `phase0` = slot 0's position in
 * the week), or its overall mean when that time of the week was never
 * measured. `acc` is scratch of 2 * week int64. */
static void fill_series(int32_t *v, uint8_t *flag, uint32_t n,
                        uint32_t interp_max, uint32_t week, uint32_t phase0,
                        int64_t *acc) {
  int64_t *sum = acc, *cnt = acc + week, all = 0, alln = 0;
  memset(acc, 0, 2 * (size_t)week * sizeof *acc);
  for (uint32_t i = 0; i < n; i++)
    if (v[i] != MISSING) {
      uint32_t w = (uint32_t)(((uint64_t)i + phase0) % week);
      sum[w] += v[i];
      cnt[w]++;
      all += v[i];
      alln++;
    }
  for (uint32_t i = 0; i < n;) {
    if (v[i] != MISSING) {
      i++;
      continue;
    }
    uint32_t j = i;
    while (j < n && v[j] == MISSING)
      j++;
    if (alln == 0) {
      for (uint32_t k = i; k < j; k++) {
        v[k] = 0;
        flag[k] = AMI_SIM_SLOT_NO_DATA;
      }
    } else if (i > 0 && j < n && j - i <= interp_max) {
      int64_t a = v[i - 1], b = v[j], span = (int64_t)(j - i) + 1;
      for (uint32_t k = i; k < j; k++) {
        int64_t x = (int64_t)(k - i) + 1;
        v[k] =
            (int32_t)(a + ami__sim_floordiv((b - a) * x * 2 + span, 2 * span));
        flag[k] = AMI_SIM_SLOT_INTERPOLATED;
      }
    } else {
      for (uint32_t k = i; k < j; k++) {
        uint32_t w = (uint32_t)(((uint64_t)k + phase0) % week);
        int64_t s = cnt[w] ? sum[w] : all, c = cnt[w] ? cnt[w] : alln;
        v[k] = (int32_t)((2 * s + c) / (2 * c));
        flag[k] = AMI_SIM_SLOT_SUBSTITUTED;
      }
    }
    i = j;
  }
}

/* Fills every household's gaps (see fill_series). A slot is flagged by its
 * consumption; a missing generation value on a slot whose consumption was
 * measured is filled the same way but keeps the consumption's flag unless
 * worse. */
static int fill_gaps(ami_sim_dataset *ds) {
  uint32_t week = (uint32_t)(7ull * 86400000 / ds->slot_ms);
  uint32_t interp_max = (uint32_t)(7200000u / ds->slot_ms); /* 2 hours */
  int64_t wk0 = ami__sim_floordiv(ds->start_ms, ds->slot_ms);
  /* 1970-01-01 was a Thursday: shift so phase 0 is Monday 00:00 UTC. */
  uint32_t phase0 = (uint32_t)ami__sim_floormod(
      wk0 + 3 * (int64_t)(86400000 / ds->slot_ms), week);
  int64_t *acc = ami_malloc(ds->alloc, 2 * (size_t)week * sizeof *acc);
  uint8_t *gflag = ds->b ? ami_malloc(ds->alloc, ds->slots) : NULL;
  if (!acc || (ds->b && !gflag)) {
    ami_free(ds->alloc, acc);
    ami_free(ds->alloc, gflag);
    return AMI_E_NOMEM;
  }
  for (uint32_t h = 0; h < ds->households; h++) {
    size_t base = (size_t)h * ds->slots;
    uint8_t *fl = ds->flags + base;
    memset(fl, AMI_SIM_SLOT_MEASURED, ds->slots);
    fill_series(ds->a + base, fl, ds->slots, interp_max, week, phase0, acc);
    if (ds->b) {
      memset(gflag, AMI_SIM_SLOT_MEASURED, ds->slots);
      fill_series(ds->b + base, gflag, ds->slots, interp_max, week, phase0,
                  acc);
      for (uint32_t k = 0; k < ds->slots; k++)
        if (gflag[k] > fl[k])
          fl[k] = gflag[k];
    }
  }
  ami_free(ds->alloc, acc);
  ami_free(ds->alloc, gflag);
  return AMI_OK;
}

/* ---------------------------------------------------------------------- */
/* The two-pass driver                                                     */

/* Calls fn on every line of the text except a header on line 1 and blank
 * lines; stops at the first error, reporting its line. */
typedef int (*line_fn)(void *ctx, const row *r);

static int each_line(const format *f, const uint8_t *bytes, size_t len,
                     line_fn fn, void *ctx, uint64_t *line_out) {
  const char *p = (const char *)bytes, *end = p + len;
  uint64_t line = 0;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    const char *next = nl ? nl + 1 : end;
    line++;
    if (le > p && le[-1] == '\r')
      le--;
    size_t n = (size_t)(le - p);
    size_t hl = strlen(f->header);
    if (n == 0 || (line == 1 && n >= hl && memcmp(p, f->header, hl) == 0)) {
      p = next;
      continue;
    }
    row r;
    int rc = f->parse(f, p, n, &r);
    if (rc == AMI_OK)
      rc = fn(ctx, &r);
    if (rc) {
      *line_out = line;
      return rc;
    }
    p = next;
  }
  return AMI_OK;
}

typedef struct pass_ctx {
  const format *f;
  idtab ids;
  const ami_sim_parse_limits *lim;
  int64_t tmin, tmax;
  uint64_t rows;
  ami_sim_dataset *ds;
} pass_ctx;

static int pass1(void *vc, const row *r) {
  pass_ctx *c = vc;
  if (ami__sim_floormod(r->t_ms, c->f->slot_ms) != 0)
    return AMI_E_INCONSISTENT; /* not on a slot boundary */
  int32_t idx;
  int rc = idtab_get(&c->ids, r->id ? r->id : c->f->default_id,
                     r->id ? r->id_len : strlen(c->f->default_id), true,
                     c->lim->max_households, &idx);
  if (rc)
    return rc;
  if (c->rows == 0 || r->t_ms < c->tmin)
    c->tmin = r->t_ms;
  if (c->rows == 0 || r->t_ms > c->tmax)
    c->tmax = r->t_ms;
  c->rows++;
  return AMI_OK;
}

static int pass2(void *vc, const row *r) {
  pass_ctx *c = vc;
  ami_sim_dataset *ds = c->ds;
  int32_t idx;
  idtab_get(&c->ids, r->id ? r->id : c->f->default_id,
            r->id ? r->id_len : strlen(c->f->default_id), false, 0, &idx);
  if (idx < 0)
    return AMI_E_INCONSISTENT; /* the text changed between passes */
  size_t k = (size_t)idx * ds->slots +
             (size_t)((r->t_ms - ds->start_ms) / (int64_t)ds->slot_ms);
  /* A repeated row: the same household and slot already has a value (or
   * was already seen missing, recorded in flags). */
  if (ds->flags[k])
    return AMI_E_INCONSISTENT;
  ds->flags[k] = 1;
  ds->a[k] = r->a_missing ? MISSING : r->a;
  if (ds->b)
    ds->b[k] = r->b_missing ? MISSING : r->b;
  return AMI_OK;
}

void ami_sim_dataset_free(ami_sim_dataset *ds) {
  if (!ds)
    return;
  const ami_allocator *a = ds->alloc;
  ami_free(a, ds->a);
  ami_free(a, ds->b);
  ami_free(a, ds->flags);
  ami_free(a, ds->ids);
  ami_free(a, ds);
}

/* Parses with format f: pass 1 (ids, span), limits, allocation, pass 2
 * (values), gap filling. */
static int parse(const format *f, const uint8_t *bytes, size_t len,
                 const ami_allocator *alloc, const ami_sim_parse_limits *lim_in,
                 ami_sim_dataset **out, uint64_t *err_line) {
  uint64_t dummy;
  if (!err_line)
    err_line = &dummy;
  *err_line = 0;
  if (!out || (!bytes && len))
    return AMI_E_INVAL;
  *out = NULL;
  ami_sim_parse_limits lim = {100000, 0, (uint64_t)1 << 24};
  lim.max_slots = (uint32_t)(3653ull * 86400000 / f->slot_ms);
  if (lim_in) {
    if (lim_in->max_households)
      lim.max_households = lim_in->max_households;
    if (lim_in->max_slots)
      lim.max_slots = lim_in->max_slots;
    if (lim_in->max_cells)
      lim.max_cells = lim_in->max_cells;
  }
  pass_ctx c;
  memset(&c, 0, sizeof c);
  c.f = f;
  c.lim = &lim;
  c.ids.alloc = alloc;
  int rc = each_line(f, bytes, len, pass1, &c, err_line);
  if (rc == AMI_OK && c.rows == 0)
    rc = AMI_E_NOT_FOUND;
  uint64_t slots = 0;
  if (rc == AMI_OK) {
    slots = (uint64_t)((c.tmax - c.tmin) / (int64_t)f->slot_ms) + 1;
    if (slots > lim.max_slots || slots * c.ids.n > lim.max_cells)
      rc = AMI_E_LIMIT;
  }
  ami_sim_dataset *ds = NULL;
  if (rc == AMI_OK) {
    ds = ami_malloc(alloc, sizeof *ds);
    if (!ds)
      rc = AMI_E_NOMEM;
  }
  if (rc == AMI_OK) {
    memset(ds, 0, sizeof *ds);
    ds->alloc = alloc;
    ds->kind = f->kind;
    ds->households = c.ids.n;
    ds->slots = (uint32_t)slots;
    ds->slot_ms = f->slot_ms;
    ds->start_ms = c.tmin;
    ds->utc_offset_min = f->utc_offset_min;
    ds->dst = f->dst;
    ds->latitude_deg = f->lat;
    ds->longitude_deg = f->lon;
    size_t cells = (size_t)slots * c.ids.n;
    ds->a = ami_malloc(alloc, cells * sizeof *ds->a);
    if (f->kind != AMI_SIM_DS_LCL)
      ds->b = ami_malloc(alloc, cells * sizeof *ds->b);
    ds->flags = ami_malloc(alloc, cells);
    if (!ds->a || (f->kind != AMI_SIM_DS_LCL && !ds->b) || !ds->flags)
      rc = AMI_E_NOMEM;
    else {
      memset(ds->flags, 0, cells);
      c.ds = ds;
      rc = each_line(f, bytes, len, pass2, &c, err_line);
    }
  }
  if (rc == AMI_OK) {
    for (size_t k = 0; k < (size_t)slots * c.ids.n; k++) {
      if (!ds->flags[k]) {
        ds->a[k] = MISSING;
        if (ds->b)
          ds->b[k] = MISSING;
      }
    }
    rc = fill_gaps(ds);
    if (rc == AMI_OK) {
      ds->ids = c.ids.ids; /* the dataset takes the id array */
      c.ids.ids = NULL;
    }
  }
  idtab_free(&c.ids);
  if (rc) {
    ami_sim_dataset_free(ds);
    return rc;
  }
  *out = ds;
  return AMI_OK;
}

int ami_sim_dataset_parse_lcl(const uint8_t *bytes, size_t len,
                              const ami_allocator *alloc,
                              const ami_sim_parse_limits *limits,
                              ami_sim_dataset **out, uint64_t *err_line) {
  static const format f = {AMI_SIM_DS_LCL,  "LCLid,", "",
                           AMI_SIM_SLOT_MS, 0,        AMI_SIM_DST_NONE,
                           51.5074,         -0.1278,  parse_lcl};
  return parse(&f, bytes, len, alloc, limits, out, err_line);
}

int ami_sim_dataset_parse_ausgrid(const uint8_t *bytes, size_t len,
                                  int32_t utc_offset_min, ami_sim_dst dst,
                                  const ami_allocator *alloc,
                                  const ami_sim_parse_limits *limits,
                                  ami_sim_dataset **out, uint64_t *err_line) {
  if (utc_offset_min < -16 * 60 || utc_offset_min > 16 * 60 ||
      (unsigned)dst > AMI_SIM_DST_EU)
    return AMI_E_RANGE;
  format f = {AMI_SIM_DS_AUSGRID, ",GC,GG", "ausgrid", AMI_SIM_SLOT_MS,
              utc_offset_min,     dst,      -33.87,    151.21,
              parse_ausgrid};
  return parse(&f, bytes, len, alloc, limits, out, err_line);
}

int ami_sim_dataset_parse_uci(const uint8_t *bytes, size_t len,
                              int32_t utc_offset_min,
                              const ami_allocator *alloc,
                              const ami_sim_parse_limits *limits,
                              ami_sim_dataset **out, uint64_t *err_line) {
  if (utc_offset_min < -16 * 60 || utc_offset_min > 16 * 60)
    return AMI_E_RANGE;
  format f = {AMI_SIM_DS_UCI,   "index,", "uci", AMI_SIM_BIN_MS, utc_offset_min,
              AMI_SIM_DST_NONE, 48.778,   2.290, parse_uci};
  return parse(&f, bytes, len, alloc, limits, out, err_line);
}

/* ---------------------------------------------------------------------- */
/* Accessors                                                               */

ami_sim_dataset_kind ami_sim_dataset_kind_of(const ami_sim_dataset *ds) {
  return ds->kind;
}

uint32_t ami_sim_dataset_households(const ami_sim_dataset *ds) {
  return ds->households;
}

uint32_t ami_sim_dataset_slots(const ami_sim_dataset *ds) {
  return ds->slots;
}

uint32_t ami_sim_dataset_slot_ms(const ami_sim_dataset *ds) {
  return ds->slot_ms;
}

int64_t ami_sim_dataset_start_ms(const ami_sim_dataset *ds) {
  return ds->start_ms;
}

const char *ami_sim_dataset_id(const ami_sim_dataset *ds, uint32_t h) {
  return h < ds->households ? ds->ids[h] : NULL;
}

int ami_sim_dataset_find(const ami_sim_dataset *ds, const char *id,
                         uint32_t *household) {
  for (uint32_t h = 0; h < ds->households; h++)
    if (strcmp(ds->ids[h], id) == 0) {
      *household = h;
      return AMI_OK;
    }
  return AMI_E_NOT_FOUND;
}

int ami_sim_dataset_value(const ami_sim_dataset *ds, uint32_t household,
                          uint32_t slot, int32_t *a, int32_t *b,
                          uint8_t *flag) {
  if (household >= ds->households || slot >= ds->slots)
    return AMI_E_RANGE;
  size_t k = (size_t)household * ds->slots + slot;
  if (a)
    *a = ds->a[k];
  if (b)
    *b = ds->b ? ds->b[k] : 0;
  if (flag)
    *flag = ds->flags[k];
  return AMI_OK;
}

void ami_sim_dataset_flag_counts(const ami_sim_dataset *ds,
                                 uint64_t counts[4]) {
  memset(counts, 0, 4 * sizeof *counts);
  for (size_t k = 0; k < (size_t)ds->households * ds->slots; k++)
    counts[ds->flags[k] & 3]++;
}
