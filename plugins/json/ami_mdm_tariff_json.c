/*
 * ami_mdm_tariff_json.c -- the tariff loader: JSON (jansson) -> the
 * fixed-size ami_mdm_tariff, with strict validation and errors that name
 * the JSON path. The schema (tariffs/README.md has examples):
 *
 *   name          string, required
 *   currency      "EUR" (3 capital letters), required
 *   timezone      { dst: "none"|"EU"|"US"|"AU", std_offset_min: int,
 *                   dst_save_min: int (default 60 with DST) }, required
 *   periods       ["peak", "offpeak", ...] TOU period names (default "all")
 *   seasons       [{ name, from: "MM-DD", to: "MM-DD" (inclusive; may wrap
 *                    the new year),
 *                    days: { weekday: [slot...], weekend: [slot...]
 *                            (default weekday), holiday: [slot...]
 *                            (default weekend) },
 *                    prices: { <period>: micro/kWh } (energy type "tou") }]
 *                 slot = { from: "HH:MM", to: "HH:MM" (24:00 allowed),
 *                          period: <period> }; the slots of a day cover
 *                 00:00-24:00 exactly. Default: one all-year season.
 *   holidays      ["YYYY-MM-DD", ...] local dates (day type "holiday")
 *   energy        { type: "flat", price } | { type: "tou" } |
 *                 { type: "tiered", tiers: [{ up_to_kwh, price }, ...,
 *                   { price }] } (last tier unbounded), required
 *   demand        [{ interval_min: 15|30, price_per_kw, period (optional) }]
 *   net_metering  { netting: "interval"|"day"|"billing_period",
 *                   export_price }
 *   daily_charge  micro per day
 *   taxes         [{ name, rate_ppm, applies_to: ["energy", "demand",
 *                   "fixed", "export"] }]
 *
 * Every price is an integer in MICRO-units of the currency (0.2543 EUR =
 * 254300); decimals are rejected so no value is ever rounded on load.
 */
#include "ami/ami_mdm_tariff_json.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_caltime.h"
#include "ami/ami_err.h"

#define PATH_MAX_LEN 128

typedef struct ctx {
  ami_mdm_tariff *t;
  char *err;
  size_t err_cap;
} ctx;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int
fail(ctx *c, int rc, const char *path, const char *fmt, ...) {
  if (c->err != NULL && c->err_cap > 0) {
    int n = snprintf(c->err, c->err_cap, "%s: ", path[0] ? path : "(root)");
    if (n >= 0 && (size_t)n < c->err_cap) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(c->err + n, c->err_cap - (size_t)n, fmt, ap);
      va_end(ap);
    }
  }
  return rc;
}

/* out = a + b + c, truncated to PATH_MAX_LEN - 1 bytes (a path only ever
 * appears in a message, where a cut-off tail is harmless). */
static void path_cat(char *out, const char *a, const char *b, const char *c) {
  const char *parts[3] = {a, b, c};
  size_t n = 0;
  for (unsigned i = 0; i < 3; i++)
    for (const char *p = parts[i]; *p != '\0' && n + 1 < PATH_MAX_LEN; p++)
      out[n++] = *p;
  out[n] = '\0';
}

/* "base.key" (or "key" at the root). */
static void path_key(char *out, const char *base, const char *key) {
  path_cat(out, base, base[0] ? "." : "", key);
}

/* "base[i]". */
static void path_idx(char *out, const char *base, size_t i) {
  char idx[32];
  snprintf(idx, sizeof idx, "[%zu]", i);
  path_cat(out, base, idx, "");
}

/* Every key of `obj` must be in the NULL-terminated `allowed` list. */
static int check_keys(ctx *c, json_t *obj, const char *path,
                      const char *const *allowed) {
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    bool ok = false;
    for (size_t i = 0; allowed[i] != NULL && !ok; i++)
      ok = strcmp(key, allowed[i]) == 0;
    if (!ok)
      return fail(c, AMI_E_BAD_VALUE, path, "unknown key \"%s\"", key);
  }
  return AMI_OK;
}

static int want_object(ctx *c, json_t *v, const char *path) {
  return json_is_object(v)
             ? AMI_OK
             : fail(c, AMI_E_BAD_VALUE, path, "must be an object");
}

static int want_array(ctx *c, json_t *v, const char *path) {
  return json_is_array(v) ? AMI_OK
                          : fail(c, AMI_E_BAD_VALUE, path, "must be an array");
}

/* obj[key] as an integer in [lo, hi]; absent -> *out = dflt unless
 * required. */
static int get_int(ctx *c, json_t *obj, const char *key, const char *path,
                   bool required, int64_t lo, int64_t hi, int64_t dflt,
                   int64_t *out) {
  char p[PATH_MAX_LEN];
  path_key(p, path, key);
  json_t *v = json_object_get(obj, key);
  if (v == NULL) {
    if (required)
      return fail(c, AMI_E_BAD_VALUE, p, "required");
    *out = dflt;
    return AMI_OK;
  }
  if (!json_is_integer(v))
    return fail(c, AMI_E_BAD_VALUE, p,
                "must be an integer (prices in micro-units)");
  json_int_t x = json_integer_value(v);
  if (x < 0 && lo == 0)
    return fail(c, AMI_E_BAD_VALUE, p, "must not be negative");
  if (x < lo)
    return fail(c, AMI_E_BAD_VALUE, p, "below minimum %lld", (long long)lo);
  if (x > hi)
    return fail(c, AMI_E_BAD_VALUE, p, "above maximum %lld", (long long)hi);
  *out = (int64_t)x;
  return AMI_OK;
}

/* obj[key] as a string copied into out[cap]. */
static int get_str(ctx *c, json_t *obj, const char *key, const char *path,
                   bool required, char *out, size_t cap, bool *present) {
  char p[PATH_MAX_LEN];
  path_key(p, path, key);
  json_t *v = json_object_get(obj, key);
  if (present != NULL)
    *present = v != NULL;
  if (v == NULL)
    return required ? fail(c, AMI_E_BAD_VALUE, p, "required") : AMI_OK;
  if (!json_is_string(v))
    return fail(c, AMI_E_BAD_VALUE, p, "must be a string");
  size_t n = json_string_length(v);
  if (n == 0 || n >= cap || strlen(json_string_value(v)) != n)
    return fail(c, AMI_E_BAD_VALUE, p, "must be 1..%zu bytes without NUL",
                cap - 1);
  memcpy(out, json_string_value(v), n + 1);
  return AMI_OK;
}

static int period_index(ctx *c, const char *name, const char *path,
                        unsigned *out) {
  for (unsigned i = 0; i < c->t->n_periods; i++)
    if (strcmp(c->t->period_name[i], name) == 0) {
      *out = i;
      return AMI_OK;
    }
  return fail(c, AMI_E_BAD_VALUE, path, "unknown period \"%s\"", name);
}

/* "HH:MM" -> minutes (00:00 .. 24:00). */
static int parse_hhmm(ctx *c, json_t *v, const char *path, unsigned *out) {
  const char *s = json_string_value(v);
  unsigned h, m;
  char tail;
  if (s == NULL || strlen(s) != 5 ||
      sscanf(s, "%2u:%2u%c", &h, &m, &tail) != 2 || m > 59 || h > 24 ||
      (h == 24 && m != 0))
    return fail(c, AMI_E_BAD_VALUE, path, "must be a time \"HH:MM\"");
  *out = h * 60 + m;
  return AMI_OK;
}

/* "MM-DD" -> month*100+day (any valid date of a leap year). */
static int parse_mmdd(ctx *c, json_t *v, const char *path, uint16_t *out) {
  const char *s = json_string_value(v);
  unsigned m, d;
  char tail;
  if (s == NULL || strlen(s) != 5 ||
      sscanf(s, "%2u-%2u%c", &m, &d, &tail) != 2 || m < 1 || m > 12 || d < 1 ||
      d > ami_days_in_month(2000, m))
    return fail(c, AMI_E_BAD_VALUE, path, "must be a date \"MM-DD\"");
  *out = (uint16_t)(m * 100 + d);
  return AMI_OK;
}

typedef struct slot {
  unsigned from, to, period;
  size_t index; /* position in the JSON array, for messages */
} slot;

static int slot_cmp(const void *a, const void *b) {
  const slot *x = a, *y = b;
  return (x->from > y->from) - (x->from < y->from);
}

/* One day schedule: slots that tile 00:00-24:00 with no overlap or gap. */
static int parse_day(ctx *c, json_t *arr, const char *path,
                     ami_mdm_day_schedule *ds) {
  static const char *const keys[] = {"from", "to", "period", NULL};
  int rc = want_array(c, arr, path);
  if (rc != AMI_OK)
    return rc;
  size_t n = json_array_size(arr);
  if (n == 0)
    return fail(c, AMI_E_BAD_VALUE, path, "no periods");
  if (n > AMI_MDM_TARIFF_MAX_SEGMENTS)
    return fail(c, AMI_E_LIMIT, path, "more than %d periods",
                AMI_MDM_TARIFF_MAX_SEGMENTS);
  slot sl[AMI_MDM_TARIFF_MAX_SEGMENTS];
  for (size_t i = 0; i < n; i++) {
    char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
    json_t *e = json_array_get(arr, i);
    path_idx(p, path, i);
    if ((rc = want_object(c, e, p)) != AMI_OK ||
        (rc = check_keys(c, e, p, keys)) != AMI_OK)
      return rc;
    path_key(q, p, "from");
    if ((rc = parse_hhmm(c, json_object_get(e, "from"), q, &sl[i].from)) !=
        AMI_OK)
      return rc;
    path_key(q, p, "to");
    if ((rc = parse_hhmm(c, json_object_get(e, "to"), q, &sl[i].to)) != AMI_OK)
      return rc;
    if (sl[i].to <= sl[i].from)
      return fail(c, AMI_E_BAD_VALUE, p, "\"to\" must be after \"from\"");
    char name[AMI_MDM_TARIFF_NAME_MAX];
    path_key(q, p, "period");
    if ((rc = get_str(c, e, "period", p, true, name, sizeof name, NULL)) !=
            AMI_OK ||
        (rc = period_index(c, name, q, &sl[i].period)) != AMI_OK)
      return rc;
    sl[i].index = i;
  }
  qsort(sl, n, sizeof sl[0], slot_cmp);
  unsigned at = 0;
  for (size_t i = 0; i < n; i++) {
    char p[PATH_MAX_LEN];
    if (sl[i].from < at) {
      /* name the later-listed of the two overlapping slots */
      size_t who = i > 0 && sl[i - 1].index > sl[i].index ? sl[i - 1].index
                                                          : sl[i].index;
      path_idx(p, path, who);
      return fail(c, AMI_E_BAD_VALUE, p, "periods overlap");
    }
    if (sl[i].from > at)
      return fail(c, AMI_E_BAD_VALUE, path, "gap from %02u:%02u to %02u:%02u",
                  at / 60, at % 60, sl[i].from / 60, sl[i].from % 60);
    ds->seg[i].start_min = (uint16_t)sl[i].from;
    ds->seg[i].period = (uint8_t)sl[i].period;
    at = sl[i].to;
  }
  if (at != 1440)
    return fail(c, AMI_E_BAD_VALUE, path, "gap from %02u:%02u to 24:00",
                at / 60, at % 60);
  ds->n = (uint8_t)n;
  return AMI_OK;
}

static int parse_days(ctx *c, json_t *days, const char *path,
                      ami_mdm_season *s) {
  static const char *const keys[] = {"weekday", "weekend", "holiday", NULL};
  static const char *const names[] = {"weekday", "weekend", "holiday"};
  int rc;
  if ((rc = want_object(c, days, path)) != AMI_OK ||
      (rc = check_keys(c, days, path, keys)) != AMI_OK)
    return rc;
  for (unsigned k = 0; k < AMI_MDM_DAY_TYPES; k++) {
    char p[PATH_MAX_LEN];
    path_key(p, path, names[k]);
    json_t *v = json_object_get(days, names[k]);
    if (v == NULL) {
      if (k == 0)
        return fail(c, AMI_E_BAD_VALUE, p, "required");
      s->day[k] = s->day[k - 1]; /* weekend = weekday, holiday = weekend */
      continue;
    }
    if ((rc = parse_day(c, v, p, &s->day[k])) != AMI_OK)
      return rc;
  }
  return AMI_OK;
}

static int parse_season(ctx *c, json_t *e, const char *p, ami_mdm_season *s,
                        bool tou) {
  static const char *const keys[] = {"name", "from",   "to",
                                     "days", "prices", NULL};
  char q[PATH_MAX_LEN];
  int rc;
  if ((rc = want_object(c, e, p)) != AMI_OK ||
      (rc = check_keys(c, e, p, keys)) != AMI_OK ||
      (rc = get_str(c, e, "name", p, true, s->name, sizeof s->name, NULL)) !=
          AMI_OK)
    return rc;
  path_key(q, p, "from");
  if ((rc = parse_mmdd(c, json_object_get(e, "from"), q, &s->from_md)) !=
      AMI_OK)
    return rc;
  path_key(q, p, "to");
  if ((rc = parse_mmdd(c, json_object_get(e, "to"), q, &s->to_md)) != AMI_OK)
    return rc;
  path_key(q, p, "days");
  if ((rc = parse_days(c, json_object_get(e, "days"), q, s)) != AMI_OK)
    return rc;
  json_t *prices = json_object_get(e, "prices");
  path_key(q, p, "prices");
  if (prices == NULL)
    return tou ? fail(c, AMI_E_BAD_VALUE, q, "required for TOU energy")
               : AMI_OK;
  if ((rc = want_object(c, prices, q)) != AMI_OK)
    return rc;
  const char *key;
  json_t *v;
  json_object_foreach(prices, key, v) {
    char r[PATH_MAX_LEN];
    unsigned pi = 0;
    path_key(r, q, key);
    if ((rc = period_index(c, key, r, &pi)) != AMI_OK)
      return rc;
    (void)v;
  }
  for (unsigned i = 0; i < c->t->n_periods; i++)
    if ((rc = get_int(c, prices, c->t->period_name[i], q, tou, 0, INT32_MAX, 0,
                      &s->price[i])) != AMI_OK)
      return rc;
  return AMI_OK;
}

/* Seasons must cover each date of a leap year exactly once. */
static int check_season_cover(ctx *c) {
  const ami_mdm_tariff *t = c->t;
  for (unsigned m = 1; m <= 12; m++)
    for (unsigned d = 1; d <= ami_days_in_month(2000, m); d++) {
      uint16_t md = (uint16_t)(m * 100 + d);
      int first = -1;
      for (unsigned s = 0; s < t->n_seasons; s++) {
        uint16_t f = t->season[s].from_md, to = t->season[s].to_md;
        bool in = f <= to ? (md >= f && md <= to) : (md >= f || md <= to);
        if (!in)
          continue;
        if (first >= 0) {
          char p[PATH_MAX_LEN];
          path_idx(p, "seasons", s);
          return fail(c, AMI_E_BAD_VALUE, p,
                      "overlaps seasons[%d] on %02u-%02u", first, m, d);
        }
        first = (int)s;
      }
      if (first < 0)
        return fail(c, AMI_E_BAD_VALUE, "seasons", "%02u-%02u is in no season",
                    m, d);
    }
  return AMI_OK;
}

static int parse_periods_seasons(ctx *c, json_t *root, bool tou) {
  ami_mdm_tariff *t = c->t;
  json_t *periods = json_object_get(root, "periods");
  int rc;
  if (periods != NULL) {
    if ((rc = want_array(c, periods, "periods")) != AMI_OK)
      return rc;
    size_t n = json_array_size(periods);
    if (n == 0 || n > AMI_MDM_TARIFF_MAX_PERIODS)
      return fail(c, n ? AMI_E_LIMIT : AMI_E_BAD_VALUE, "periods",
                  "must have 1..%d names", AMI_MDM_TARIFF_MAX_PERIODS);
    for (size_t i = 0; i < n; i++) {
      char p[PATH_MAX_LEN];
      path_idx(p, "periods", i);
      json_t *v = json_array_get(periods, i);
      if (!json_is_string(v) || json_string_length(v) == 0 ||
          json_string_length(v) >= AMI_MDM_TARIFF_NAME_MAX)
        return fail(c, AMI_E_BAD_VALUE, p, "must be a short name");
      for (size_t j = 0; j < i; j++)
        if (strcmp(t->period_name[j], json_string_value(v)) == 0)
          return fail(c, AMI_E_BAD_VALUE, p, "duplicate period name");
      memcpy(t->period_name[i], json_string_value(v),
             json_string_length(v) + 1);
    }
    t->n_periods = (uint8_t)n;
  }
  json_t *seasons = json_object_get(root, "seasons");
  if (seasons == NULL) {
    if (tou || t->n_periods > 1)
      return fail(c, AMI_E_BAD_VALUE, "seasons", "required with TOU periods");
    return AMI_OK; /* keep the default all-year season of init_flat */
  }
  if ((rc = want_array(c, seasons, "seasons")) != AMI_OK)
    return rc;
  size_t n = json_array_size(seasons);
  if (n == 0 || n > AMI_MDM_TARIFF_MAX_SEASONS)
    return fail(c, n ? AMI_E_LIMIT : AMI_E_BAD_VALUE, "seasons",
                "must have 1..%d seasons", AMI_MDM_TARIFF_MAX_SEASONS);
  memset(t->season, 0, sizeof t->season);
  for (size_t i = 0; i < n; i++) {
    char p[PATH_MAX_LEN];
    path_idx(p, "seasons", i);
    if ((rc = parse_season(c, json_array_get(seasons, i), p, &t->season[i],
                           tou)) != AMI_OK)
      return rc;
    for (size_t j = 0; j < i; j++)
      if (strcmp(t->season[j].name, t->season[i].name) == 0)
        return fail(c, AMI_E_BAD_VALUE, p, "duplicate season name");
  }
  t->n_seasons = (uint8_t)n;
  return check_season_cover(c);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int parse_holidays(ctx *c, json_t *root) {
  json_t *h = json_object_get(root, "holidays");
  if (h == NULL)
    return AMI_OK;
  int rc = want_array(c, h, "holidays");
  if (rc != AMI_OK)
    return rc;
  size_t n = json_array_size(h);
  if (n > AMI_MDM_TARIFF_MAX_HOLIDAYS)
    return fail(c, AMI_E_LIMIT, "holidays", "more than %d dates",
                AMI_MDM_TARIFF_MAX_HOLIDAYS);
  for (size_t i = 0; i < n; i++) {
    char p[PATH_MAX_LEN];
    path_idx(p, "holidays", i);
    const char *s = json_string_value(json_array_get(h, i));
    int y;
    unsigned m, d;
    char tail;
    if (s == NULL || strlen(s) != 10 ||
        sscanf(s, "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 ||
        d < 1 || d > ami_days_in_month(y, m))
      return fail(c, AMI_E_BAD_VALUE, p, "must be a date \"YYYY-MM-DD\"");
    c->t->holiday[i] = ami_days_from_civil(y, m, d);
    for (size_t j = 0; j < i; j++)
      if (c->t->holiday[j] == c->t->holiday[i])
        return fail(c, AMI_E_BAD_VALUE, p, "duplicate date");
  }
  qsort(c->t->holiday, n, sizeof c->t->holiday[0], cmp_i64);
  c->t->n_holidays = (uint16_t)n;
  return AMI_OK;
}

static int parse_tiers(ctx *c, json_t *tiers) {
  static const char *const keys[] = {"up_to_kwh", "price", NULL};
  const char *path = "energy.tiers";
  int rc = want_array(c, tiers, path);
  if (rc != AMI_OK)
    return rc;
  size_t n = json_array_size(tiers);
  if (n == 0 || n > AMI_MDM_TARIFF_MAX_TIERS)
    return fail(c, n ? AMI_E_LIMIT : AMI_E_BAD_VALUE, path,
                "must have 1..%d tiers", AMI_MDM_TARIFF_MAX_TIERS);
  for (size_t i = 0; i < n; i++) {
    char p[PATH_MAX_LEN];
    json_t *e = json_array_get(tiers, i);
    path_idx(p, path, i);
    bool last = i + 1 == n;
    int64_t kwh;
    if ((rc = want_object(c, e, p)) != AMI_OK ||
        (rc = check_keys(c, e, p, keys)) != AMI_OK ||
        (rc = get_int(c, e, "price", p, true, 0, INT32_MAX, 0,
                      &c->t->tier[i].price)) != AMI_OK ||
        (rc = get_int(c, e, "up_to_kwh", p, !last, 1, 1000000000, 0, &kwh)) !=
            AMI_OK)
      return rc;
    if (last && json_object_get(e, "up_to_kwh") != NULL)
      return fail(c, AMI_E_BAD_VALUE, p,
                  "the last tier has no \"up_to_kwh\" (it is unbounded)");
    c->t->tier[i].up_to_mwh = last ? AMI_MDM_TIER_UNLIMITED : kwh * 1000000;
    if (i > 0 && c->t->tier[i].up_to_mwh <= c->t->tier[i - 1].up_to_mwh)
      return fail(c, AMI_E_BAD_VALUE, p, "tier bounds must increase");
  }
  c->t->n_tiers = (uint8_t)n;
  return AMI_OK;
}

static int parse_energy(ctx *c, json_t *root, bool *tou) {
  static const char *const keys[] = {"type", "price", "tiers", NULL};
  json_t *e = json_object_get(root, "energy");
  char type[16];
  int rc;
  if (e == NULL)
    return fail(c, AMI_E_BAD_VALUE, "energy", "required");
  if ((rc = want_object(c, e, "energy")) != AMI_OK ||
      (rc = check_keys(c, e, "energy", keys)) != AMI_OK ||
      (rc = get_str(c, e, "type", "energy", true, type, sizeof type, NULL)) !=
          AMI_OK)
    return rc;
  *tou = false;
  if (strcmp(type, "flat") == 0) {
    c->t->energy_kind = AMI_MDM_ENERGY_FLAT;
    return get_int(c, e, "price", "energy", true, 0, INT32_MAX, 0,
                   &c->t->flat_price);
  }
  if (json_object_get(e, "price") != NULL)
    return fail(c, AMI_E_BAD_VALUE, "energy.price", "only for type \"flat\"");
  if (strcmp(type, "tou") == 0) {
    c->t->energy_kind = AMI_MDM_ENERGY_TOU;
    *tou = true;
    return json_object_get(e, "tiers") == NULL
               ? AMI_OK
               : fail(c, AMI_E_BAD_VALUE, "energy.tiers",
                      "only for type \"tiered\"");
  }
  if (strcmp(type, "tiered") == 0) {
    c->t->energy_kind = AMI_MDM_ENERGY_TIERED;
    json_t *tiers = json_object_get(e, "tiers");
    return tiers == NULL ? fail(c, AMI_E_BAD_VALUE, "energy.tiers", "required")
                         : parse_tiers(c, tiers);
  }
  return fail(c, AMI_E_BAD_VALUE, "energy.type",
              "must be \"flat\", \"tou\" or \"tiered\"");
}

static int parse_demand(ctx *c, json_t *root) {
  static const char *const keys[] = {"interval_min", "price_per_kw", "period",
                                     NULL};
  json_t *d = json_object_get(root, "demand");
  if (d == NULL)
    return AMI_OK;
  int rc = want_array(c, d, "demand");
  if (rc != AMI_OK)
    return rc;
  size_t n = json_array_size(d);
  if (n > AMI_MDM_TARIFF_MAX_DEMAND)
    return fail(c, AMI_E_LIMIT, "demand", "more than %d demand charges",
                AMI_MDM_TARIFF_MAX_DEMAND);
  for (size_t i = 0; i < n; i++) {
    char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
    json_t *e = json_array_get(d, i);
    ami_mdm_demand_charge *dc = &c->t->demand[i];
    int64_t minutes;
    path_idx(p, "demand", i);
    if ((rc = want_object(c, e, p)) != AMI_OK ||
        (rc = check_keys(c, e, p, keys)) != AMI_OK ||
        (rc = get_int(c, e, "interval_min", p, true, 1, 60, 0, &minutes)) !=
            AMI_OK ||
        (rc = get_int(c, e, "price_per_kw", p, true, 0, INT32_MAX, 0,
                      &dc->price)) != AMI_OK)
      return rc;
    path_key(q, p, "interval_min");
    if (minutes != 15 && minutes != 30)
      return fail(c, AMI_E_BAD_VALUE, q, "must be 15 or 30");
    dc->interval_s = (uint32_t)minutes * 60;
    dc->period = -1;
    char name[AMI_MDM_TARIFF_NAME_MAX];
    bool present;
    if ((rc = get_str(c, e, "period", p, false, name, sizeof name, &present)) !=
        AMI_OK)
      return rc;
    if (present) {
      unsigned pi = 0;
      path_key(q, p, "period");
      if ((rc = period_index(c, name, q, &pi)) != AMI_OK)
        return rc;
      dc->period = (int16_t)pi;
    }
  }
  c->t->n_demand = (uint8_t)n;
  return AMI_OK;
}

static int parse_net(ctx *c, json_t *root) {
  static const char *const keys[] = {"netting", "export_price", NULL};
  static const char *const modes[] = {"interval", "day", "billing_period"};
  json_t *nm = json_object_get(root, "net_metering");
  if (nm == NULL)
    return AMI_OK;
  char mode[20];
  int rc;
  if ((rc = want_object(c, nm, "net_metering")) != AMI_OK ||
      (rc = check_keys(c, nm, "net_metering", keys)) != AMI_OK ||
      (rc = get_str(c, nm, "netting", "net_metering", true, mode, sizeof mode,
                    NULL)) != AMI_OK ||
      (rc = get_int(c, nm, "export_price", "net_metering", true, 0, INT32_MAX,
                    0, &c->t->export_price)) != AMI_OK)
    return rc;
  for (unsigned i = 0; i < 3; i++)
    if (strcmp(mode, modes[i]) == 0) {
      c->t->netting = (uint8_t)(AMI_MDM_NET_INTERVAL + i);
      return AMI_OK;
    }
  return fail(c, AMI_E_BAD_VALUE, "net_metering.netting",
              "must be \"interval\", \"day\" or \"billing_period\"");
}

static int parse_taxes(ctx *c, json_t *root) {
  static const char *const keys[] = {"name", "rate_ppm", "applies_to", NULL};
  static const char *const cats[] = {"energy", "demand", "fixed", "export"};
  json_t *tx = json_object_get(root, "taxes");
  if (tx == NULL)
    return AMI_OK;
  int rc = want_array(c, tx, "taxes");
  if (rc != AMI_OK)
    return rc;
  size_t n = json_array_size(tx);
  if (n > AMI_MDM_TARIFF_MAX_TAXES)
    return fail(c, AMI_E_LIMIT, "taxes", "more than %d taxes",
                AMI_MDM_TARIFF_MAX_TAXES);
  for (size_t i = 0; i < n; i++) {
    char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
    json_t *e = json_array_get(tx, i);
    ami_mdm_tax *x = &c->t->tax[i];
    int64_t ppm;
    path_idx(p, "taxes", i);
    if ((rc = want_object(c, e, p)) != AMI_OK ||
        (rc = check_keys(c, e, p, keys)) != AMI_OK ||
        (rc = get_str(c, e, "name", p, true, x->name, sizeof x->name, NULL)) !=
            AMI_OK ||
        (rc = get_int(c, e, "rate_ppm", p, true, 0, 1000000, 0, &ppm)) !=
            AMI_OK)
      return rc;
    x->rate_ppm = (uint32_t)ppm;
    json_t *ap = json_object_get(e, "applies_to");
    path_key(q, p, "applies_to");
    if (ap == NULL)
      return fail(c, AMI_E_BAD_VALUE, q, "required");
    if ((rc = want_array(c, ap, q)) != AMI_OK)
      return rc;
    if (json_array_size(ap) == 0)
      return fail(c, AMI_E_BAD_VALUE, q, "must name at least one category");
    for (size_t j = 0; j < json_array_size(ap); j++) {
      char r[PATH_MAX_LEN];
      const char *s = json_string_value(json_array_get(ap, j));
      unsigned k = 0;
      while (k < 4 && (s == NULL || strcmp(s, cats[k]) != 0))
        k++;
      path_idx(r, q, j);
      if (k == 4)
        return fail(c, AMI_E_BAD_VALUE, r,
                    "must be \"energy\", \"demand\", \"fixed\" or \"export\"");
      x->applies |= (uint8_t)(1u << k);
    }
  }
  c->t->n_taxes = (uint8_t)n;
  return AMI_OK;
}

static int parse_tz(ctx *c, json_t *root) {
  static const char *const keys[] = {"dst", "std_offset_min", "dst_save_min",
                                     NULL};
  static const char *const rules[] = {"none", "EU", "US", "AU"};
  json_t *tz = json_object_get(root, "timezone");
  char rule[8];
  int64_t off, save;
  int rc;
  if (tz == NULL)
    return fail(c, AMI_E_BAD_VALUE, "timezone", "required");
  if ((rc = want_object(c, tz, "timezone")) != AMI_OK ||
      (rc = check_keys(c, tz, "timezone", keys)) != AMI_OK ||
      (rc = get_str(c, tz, "dst", "timezone", true, rule, sizeof rule, NULL)) !=
          AMI_OK ||
      (rc = get_int(c, tz, "std_offset_min", "timezone", true, -12 * 60,
                    14 * 60, 0, &off)) != AMI_OK)
    return rc;
  unsigned k = 0;
  while (k < 4 && strcmp(rule, rules[k]) != 0)
    k++;
  if (k == 4)
    return fail(c, AMI_E_BAD_VALUE, "timezone.dst",
                "must be \"none\", \"EU\", \"US\" or \"AU\"");
  if ((rc = get_int(c, tz, "dst_save_min", "timezone", false, 0, 120,
                    k == 0 ? 0 : 60, &save)) != AMI_OK)
    return rc;
  /* "none", "EU", "US", "AU" are FIXED, EU, US, AU_SOUTH in that order. A
   * rule with no saving is FIXED: ami_mdm_tz reads dst_save_s 0 as the
   * default hour. */
  static const ami_mdm_tz_kind kinds[] = {AMI_MDM_TZ_FIXED, AMI_MDM_TZ_EU,
                                          AMI_MDM_TZ_US, AMI_MDM_TZ_AU_SOUTH};
  c->t->tz = (ami_mdm_tz){.kind = save == 0 ? AMI_MDM_TZ_FIXED : kinds[k],
                          .std_offset_s = (int32_t)off * 60,
                          .dst_save_s = (int32_t)save * 60};
  return AMI_OK;
}

static int parse_root(ctx *c, json_t *root) {
  static const char *const keys[] = {"name",         "currency", "timezone",
                                     "periods",      "seasons",  "holidays",
                                     "energy",       "demand",   "net_metering",
                                     "daily_charge", "taxes",    NULL};
  ami_mdm_tariff *t = c->t;
  bool tou = false;
  int rc;
  ami_mdm_tariff_init_flat(t, NULL, 0);
  if ((rc = want_object(c, root, "")) != AMI_OK ||
      (rc = check_keys(c, root, "", keys)) != AMI_OK ||
      (rc = get_str(c, root, "name", "", true, t->name, sizeof t->name,
                    NULL)) != AMI_OK ||
      (rc = get_str(c, root, "currency", "", true, t->currency,
                    sizeof t->currency, NULL)) != AMI_OK)
    return rc;
  for (unsigned i = 0; i < 3; i++)
    if (t->currency[i] < 'A' || t->currency[i] > 'Z')
      return fail(c, AMI_E_BAD_VALUE, "currency",
                  "must be an ISO 4217 code like \"EUR\"");
  if ((rc = parse_tz(c, root)) != AMI_OK ||
      (rc = parse_energy(c, root, &tou)) != AMI_OK ||
      (rc = parse_periods_seasons(c, root, tou)) != AMI_OK ||
      (rc = parse_holidays(c, root)) != AMI_OK ||
      (rc = parse_demand(c, root)) != AMI_OK ||
      (rc = parse_net(c, root)) != AMI_OK ||
      (rc = parse_taxes(c, root)) != AMI_OK ||
      (rc = get_int(c, root, "daily_charge", "", false, 0, INT32_MAX, 0,
                    &t->daily_charge)) != AMI_OK)
    return rc;
  if (ami_mdm_tariff_check(t) != AMI_OK)
    return fail(c, AMI_E_BAD_VALUE, "", "tariff failed its structural check");
  return AMI_OK;
}

int ami_mdm_tariff_json_loads(const char *text, size_t len, ami_mdm_tariff *out,
                              char *err, size_t err_cap) {
  ctx c = {out, err, err_cap};
  if (err != NULL && err_cap > 0)
    err[0] = '\0';
  if (text == NULL || out == NULL)
    return AMI_E_INVAL;
  json_error_t je;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (root == NULL)
    return fail(&c, AMI_E_SYNTAX, "json", "line %d column %d: %s", je.line,
                je.column, je.text);
  int rc = parse_root(&c, root);
  json_decref(root);
  return rc;
}

int ami_mdm_tariff_json_load_file(const char *path, ami_mdm_tariff *out,
                                  char *err, size_t err_cap) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    if (err != NULL && err_cap > 0)
      snprintf(err, err_cap, "%s: cannot open", path);
    return AMI_E_IO;
  }
  enum { MAX_FILE = 1 << 20 };
  char *buf = malloc(MAX_FILE);
  if (buf == NULL) {
    fclose(f);
    return AMI_E_NOMEM;
  }
  size_t n = fread(buf, 1, MAX_FILE, f);
  bool more = !feof(f);
  fclose(f);
  int rc;
  if (more) {
    if (err != NULL && err_cap > 0)
      snprintf(err, err_cap, "%s: larger than %d bytes", path, MAX_FILE);
    rc = AMI_E_LIMIT;
  } else {
    rc = ami_mdm_tariff_json_loads(buf, n, out, err, err_cap);
  }
  free(buf);
  return rc;
}
