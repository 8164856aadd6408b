/*
 * meter_config.c -- reading the `ami meter` configuration file (see
 * meter_config.h). Every value is checked for type and range; every error
 * names its JSON path ("tariff.days[1].switches[0].at: expected HH:MM").
 */
#include "meter_config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_caltime.h"
#include "ami/ami_hex.h"

#include <stdarg.h>

/* A JSON path into `out` (truncated silently: paths are only for
 * messages). */
__attribute__((format(printf, 3, 4))) static void jpath(char *out, size_t cap,
                                                        const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out, cap, fmt, ap);
  va_end(ap);
}

typedef struct ctx {
  char *err;
  size_t cap;
  bool failed;
} ctx;

static int fail(ctx *x, const char *path, const char *what) {
  if (!x->failed)
    snprintf(x->err, x->cap, "%s: %s", path, what);
  x->failed = true;
  return -1;
}

/* Check that every key of `o` is in the NULL-terminated list. */
static int known_keys(ctx *x, const char *path, json_t *o,
                      const char *const *keys) {
  const char *k;
  json_t *v;
  json_object_foreach(o, k, v) {
    (void)v;
    bool ok = false;
    for (size_t i = 0; keys[i]; i++)
      ok = ok || !strcmp(k, keys[i]);
    if (!ok) {
      char p[MCONF_MAX_PATH];
      jpath(p, sizeof p, "%s.%s", path, k);
      return fail(x, p, "unknown key");
    }
  }
  return 0;
}

static json_t *obj(ctx *x, json_t *parent, const char *path, const char *key,
                   char *sub, size_t scap) {
  json_t *v = json_object_get(parent, key);
  jpath(sub, scap, "%s.%s", path, key);
  if (v && !json_is_object(v)) {
    fail(x, sub, "expected an object");
    return NULL;
  }
  return v;
}

static int get_str(ctx *x, json_t *o, const char *path, const char *key,
                   char *out, size_t cap) {
  json_t *v = json_object_get(o, key);
  if (!v)
    return 0;
  char p[MCONF_MAX_PATH];
  jpath(p, sizeof p, "%s.%s", path, key);
  if (!json_is_string(v))
    return fail(x, p, "expected a string");
  if (json_string_length(v) >= cap)
    return fail(x, p, "too long");
  memcpy(out, json_string_value(v), json_string_length(v) + 1);
  return 0;
}

static int get_int(ctx *x, json_t *o, const char *path, const char *key,
                   int64_t min, int64_t max, int64_t *out) {
  json_t *v = json_object_get(o, key);
  if (!v)
    return 0;
  char p[MCONF_MAX_PATH];
  jpath(p, sizeof p, "%s.%s", path, key);
  if (!json_is_integer(v))
    return fail(x, p, "expected an integer");
  json_int_t i = json_integer_value(v);
  if (i < min || i > max) {
    char m[96];
    snprintf(m, sizeof m, "out of range %lld..%lld", (long long)min,
             (long long)max);
    return fail(x, p, m);
  }
  *out = i;
  return 0;
}

static int get_bool(ctx *x, json_t *o, const char *path, const char *key,
                    bool *out) {
  json_t *v = json_object_get(o, key);
  if (!v)
    return 0;
  char p[MCONF_MAX_PATH];
  jpath(p, sizeof p, "%s.%s", path, key);
  if (!json_is_boolean(v))
    return fail(x, p, "expected true or false");
  *out = json_is_true(v);
  return 0;
}

static int get_hex(ctx *x, json_t *o, const char *path, const char *key,
                   uint8_t *out, size_t n, bool *have) {
  char s[2 * 65 + 1];
  s[0] = '\0';
  if (get_str(x, o, path, key, s, sizeof s))
    return -1;
  if (!s[0])
    return 0;
  char p[MCONF_MAX_PATH];
  jpath(p, sizeof p, "%s.%s", path, key);
  if (ami_hex_decode(s, strlen(s), out, n, NULL) != (long)n) {
    char m[64];
    snprintf(m, sizeof m, "expected %zu bytes in hex", n);
    return fail(x, p, m);
  }
  if (have)
    *have = true;
  return 0;
}

/* ---- sections ----------------------------------------------------------- */

static int identity(ctx *x, meter_conf *c, json_t *o, const char *p) {
  static const char *const keys[] = {"logical_device_name", "serial",
                                     "manufacturer", "system_title", NULL};
  if (known_keys(x, p, o, keys) ||
      get_str(x, o, p, "logical_device_name", c->logical_device_name,
              sizeof c->logical_device_name) ||
      get_str(x, o, p, "serial", c->serial, sizeof c->serial) ||
      get_str(x, o, p, "manufacturer", c->manufacturer,
              sizeof c->manufacturer) ||
      get_hex(x, o, p, "system_title", c->system_title, 8, NULL))
    return -1;
  return 0;
}

static int network(ctx *x, meter_conf *c, json_t *o, const char *p) {
  static const char *const keys[] = {"listen", "framing", NULL};
  char framing[16] = "";
  if (known_keys(x, p, o, keys) ||
      get_str(x, o, p, "listen", c->listen, sizeof c->listen) ||
      get_str(x, o, p, "framing", framing, sizeof framing))
    return -1;
  if (framing[0] && strcmp(framing, "wrapper") && strcmp(framing, "hdlc"))
    return fail(x, "network.framing", "expected \"wrapper\" or \"hdlc\"");
  if (framing[0])
    c->hdlc = !strcmp(framing, "hdlc");
  return 0;
}

static int security(ctx *x, meter_conf *c, json_t *o, const char *p) {
  static const char *const keys[] = {"lls_password", "ek", "ak", NULL};
  if (known_keys(x, p, o, keys) ||
      get_str(x, o, p, "lls_password", c->lls_password,
              sizeof c->lls_password) ||
      get_hex(x, o, p, "ek", c->ek, 16, NULL) ||
      get_hex(x, o, p, "ak", c->ak, 16, NULL))
    return -1;
  return 0;
}

static int clock_(ctx *x, meter_conf *c, json_t *o, const char *p) {
  static const char *const keys[] = {"tz_offset_min", "dst",
                                     "dst_deviation_min", NULL};
  int64_t tz = c->meter.tz_offset_min, dev = c->meter.dst_deviation_min;
  if (known_keys(x, p, o, keys) ||
      get_int(x, o, p, "tz_offset_min", -720, 840, &tz) ||
      get_int(x, o, p, "dst_deviation_min", 0, 120, &dev) ||
      get_bool(x, o, p, "dst", &c->meter.dst_enabled))
    return -1;
  c->meter.tz_offset_min = (int16_t)tz;
  c->meter.dst_deviation_min = (int8_t)dev;
  return 0;
}

/* "HH:MM" */
static int hhmm(ctx *x, json_t *v, const char *p, uint8_t *h, uint8_t *m) {
  unsigned hh, mm;
  char tail;
  if (!json_is_string(v) ||
      sscanf(json_string_value(v), "%2u:%2u%c", &hh, &mm, &tail) != 2 ||
      hh > 23 || mm > 59)
    return fail(x, p, "expected HH:MM");
  *h = (uint8_t)hh;
  *m = (uint8_t)mm;
  return 0;
}

static int pname(ctx *x, json_t *v, const char *p, ami_meter_pname *out) {
  if (!json_is_string(v) || json_string_length(v) == 0 ||
      json_string_length(v) > AMI_METER_MAX_PNAME)
    return fail(x, p, "expected a name of 1..8 characters");
  *out = ami_meter_pname_make(json_string_value(v));
  return 0;
}

static int tariff_days(ctx *x, meter_conf *c, json_t *a) {
  if (!json_is_array(a) || json_array_size(a) == 0 ||
      json_array_size(a) > AMI_METER_MAX_DAYS)
    return fail(x, "tariff.days", "expected an array of 1..8 day profiles");
  size_t i;
  json_t *d;
  json_array_foreach(a, i, d) {
    char p[MCONF_MAX_PATH];
    jpath(p, sizeof p, "tariff.days[%zu]", i);
    static const char *const keys[] = {"id", "switches", NULL};
    ami_meter_day_profile *dp = &c->calendar.days[i];
    int64_t id = 0;
    if (!json_is_object(d))
      return fail(x, p, "expected an object");
    if (known_keys(x, p, d, keys) || get_int(x, d, p, "id", 0, 255, &id))
      return -1;
    dp->day_id = (uint8_t)id;
    json_t *sw = json_object_get(d, "switches");
    if (!json_is_array(sw) || json_array_size(sw) == 0 ||
        json_array_size(sw) > AMI_METER_MAX_SWITCHES) {
      char q[MCONF_MAX_PATH];
      jpath(q, sizeof q, "%s.switches", p);
      return fail(x, q, "expected an array of 1..12 switches");
    }
    size_t k;
    json_t *s;
    json_array_foreach(sw, k, s) {
      char q[MCONF_MAX_PATH];
      jpath(q, sizeof q, "%s.switches[%zu]", p, k);
      static const char *const skeys[] = {"at", "rate", NULL};
      int64_t rate = 1;
      if (!json_is_object(s))
        return fail(x, q, "expected an object");
      char r[MCONF_MAX_PATH];
      jpath(r, sizeof r, "%s.at", q);
      if (known_keys(x, q, s, skeys) ||
          hhmm(x, json_object_get(s, "at"), r, &dp->sw[k].hour,
               &dp->sw[k].minute) ||
          get_int(x, s, q, "rate", 1, AMI_METER_RATES, &rate))
        return -1;
      dp->sw[k].rate = (uint8_t)rate;
    }
    dp->nswitches = (uint8_t)json_array_size(sw);
  }
  c->calendar.ndays = (uint8_t)json_array_size(a);
  return 0;
}

static int tariff_weeks(ctx *x, meter_conf *c, json_t *a) {
  if (!json_is_array(a) || json_array_size(a) == 0 ||
      json_array_size(a) > AMI_METER_MAX_WEEKS)
    return fail(x, "tariff.weeks", "expected an array of 1..8 week profiles");
  size_t i;
  json_t *w;
  json_array_foreach(a, i, w) {
    char p[MCONF_MAX_PATH], q[MCONF_MAX_PATH];
    jpath(p, sizeof p, "tariff.weeks[%zu]", i);
    static const char *const keys[] = {"name", "days", NULL};
    if (!json_is_object(w))
      return fail(x, p, "expected an object");
    jpath(q, sizeof q, "%s.name", p);
    if (known_keys(x, p, w, keys) ||
        pname(x, json_object_get(w, "name"), q, &c->calendar.weeks[i].name))
      return -1;
    json_t *d = json_object_get(w, "days");
    jpath(q, sizeof q, "%s.days", p);
    if (!json_is_array(d) || json_array_size(d) != 7)
      return fail(x, q, "expected 7 day ids, Monday first");
    for (size_t k = 0; k < 7; k++) {
      json_t *v = json_array_get(d, k);
      if (!json_is_integer(v) || json_integer_value(v) < 0 ||
          json_integer_value(v) > 255)
        return fail(x, q, "expected day ids 0..255");
      c->calendar.weeks[i].day_id[k] = (uint8_t)json_integer_value(v);
    }
  }
  c->calendar.nweeks = (uint8_t)json_array_size(a);
  return 0;
}

static int tariff_seasons(ctx *x, meter_conf *c, json_t *a) {
  if (!json_is_array(a) || json_array_size(a) == 0 ||
      json_array_size(a) > AMI_METER_MAX_SEASONS)
    return fail(x, "tariff.seasons", "expected an array of 1..8 seasons");
  size_t i;
  json_t *s;
  json_array_foreach(a, i, s) {
    char p[MCONF_MAX_PATH], q[MCONF_MAX_PATH];
    jpath(p, sizeof p, "tariff.seasons[%zu]", i);
    static const char *const keys[] = {"name", "start", "week", NULL};
    ami_meter_season *se = &c->calendar.seasons[i];
    if (!json_is_object(s))
      return fail(x, p, "expected an object");
    if (known_keys(x, p, s, keys))
      return -1;
    jpath(q, sizeof q, "%s.name", p);
    if (pname(x, json_object_get(s, "name"), q, &se->name))
      return -1;
    jpath(q, sizeof q, "%s.week", p);
    if (pname(x, json_object_get(s, "week"), q, &se->week_name))
      return -1;
    jpath(q, sizeof q, "%s.start", p);
    json_t *st = json_object_get(s, "start");
    unsigned mo, d;
    char tail;
    if (!json_is_string(st) ||
        sscanf(json_string_value(st), "%2u-%2u%c", &mo, &d, &tail) != 2 ||
        mo < 1 || mo > 12 || d < 1 || d > 31)
      return fail(x, q, "expected MM-DD");
    se->month = (uint8_t)mo;
    se->day = (uint8_t)d;
  }
  c->calendar.nseasons = (uint8_t)json_array_size(a);
  return 0;
}

static int tariff_special(ctx *x, meter_conf *c, json_t *a) {
  if (!json_is_array(a) || json_array_size(a) > AMI_METER_MAX_SPECIAL)
    return fail(x, "tariff.special_days", "expected an array of up to 32");
  size_t i;
  json_t *s;
  json_array_foreach(a, i, s) {
    char p[MCONF_MAX_PATH], q[MCONF_MAX_PATH];
    jpath(p, sizeof p, "tariff.special_days[%zu]", i);
    static const char *const keys[] = {"date", "day", NULL};
    int64_t day = 0;
    if (!json_is_object(s))
      return fail(x, p, "expected an object");
    if (known_keys(x, p, s, keys) || get_int(x, s, p, "day", 0, 255, &day))
      return -1;
    jpath(q, sizeof q, "%s.date", p);
    json_t *dt = json_object_get(s, "date");
    unsigned y = 0xFFFF, mo, d;
    char tail;
    const char *t = json_is_string(dt) ? json_string_value(dt) : "";
    bool every = !strncmp(t, "*-", 2);
    int n = every ? sscanf(t + 2, "%2u-%2u%c", &mo, &d, &tail)
                  : sscanf(t, "%4u-%2u-%2u%c", &y, &mo, &d, &tail);
    if (n != (every ? 2 : 3) || mo < 1 || mo > 12 || d < 1 || d > 31)
      return fail(x, q, "expected YYYY-MM-DD or *-MM-DD (every year)");
    c->special[i] = (ami_meter_special_day){
        (uint16_t)(i + 1), (uint16_t)y, (uint8_t)mo, (uint8_t)d, (uint8_t)day};
  }
  c->meter.special_days = c->special;
  c->meter.nspecial_days = json_array_size(a);
  return 0;
}

static int tariff(ctx *x, meter_conf *c, json_t *o, const char *p) {
  static const char *const keys[] = {"name",    "days",         "weeks",
                                     "seasons", "special_days", NULL};
  char name[AMI_METER_MAX_NAME + 1] = "TARIFF";
  if (known_keys(x, p, o, keys) || get_str(x, o, p, "name", name, sizeof name))
    return -1;
  memcpy(c->calendar.name, name, strlen(name));
  c->calendar.name_len = (uint8_t)strlen(name);
  if (tariff_days(x, c, json_object_get(o, "days")) ||
      tariff_weeks(x, c, json_object_get(o, "weeks")) ||
      tariff_seasons(x, c, json_object_get(o, "seasons")))
    return -1;
  json_t *sd = json_object_get(o, "special_days");
  if (sd && tariff_special(x, c, sd))
    return -1;
  c->have_calendar = true;
  c->meter.calendar = &c->calendar;
  return 0;
}

static int recording(ctx *x, meter_conf *c, json_t *o, const char *p) {
  static const char *const keys[] = {
      "lp1_period_s",  "lp2_period_s", "demand_period_s",
      "demand_window", "billing_day",  "billing_hour",
      "lp1_rows",      "event_rows",   NULL};
  int64_t lp1 = c->meter.lp1_period_s, lp2 = c->meter.lp2_period_s;
  int64_t dp = c->meter.demand_period_s, dw = c->meter.demand_periods;
  int64_t bd = c->meter.billing_day, bh = c->meter.billing_hour;
  int64_t rows = c->meter.lp1_rows, ev = c->meter.event_rows;
  if (known_keys(x, p, o, keys) ||
      get_int(x, o, p, "lp1_period_s", 60, 86400, &lp1) ||
      get_int(x, o, p, "lp2_period_s", 60, 86400, &lp2) ||
      get_int(x, o, p, "demand_period_s", 60, 86400, &dp) ||
      get_int(x, o, p, "demand_window", 1, 60, &dw) ||
      get_int(x, o, p, "billing_day", 1, 28, &bd) ||
      get_int(x, o, p, "billing_hour", 0, 23, &bh) ||
      get_int(x, o, p, "lp1_rows", 1, 1000000, &rows) ||
      get_int(x, o, p, "event_rows", 1, 100000, &ev))
    return -1;
  c->meter.lp1_period_s = (uint32_t)lp1;
  c->meter.lp2_period_s = (uint32_t)lp2;
  c->meter.demand_period_s = (uint32_t)dp;
  c->meter.demand_periods = (uint16_t)dw;
  c->meter.billing_day = (uint8_t)bd;
  c->meter.billing_hour = (uint8_t)bh;
  c->meter.lp1_rows = (uint32_t)rows;
  c->meter.event_rows = (uint32_t)ev;
  return 0;
}

static int metrology(ctx *x, meter_conf *c, json_t *o, const char *p) {
  static const char *const keys[] = {"phases",       "nominal_voltage_v",
                                     "imax_a",       "sample_rate_hz",
                                     "frequency_hz", NULL};
  int64_t ph = c->phases, v = c->nominal_mv / 1000, im = c->imax_ma / 1000;
  int64_t sr = c->sample_rate, f = c->frequency_mhz / 1000;
  if (known_keys(x, p, o, keys) || get_int(x, o, p, "phases", 1, 3, &ph) ||
      get_int(x, o, p, "nominal_voltage_v", 50, 500, &v) ||
      get_int(x, o, p, "imax_a", 1, 1000, &im) ||
      get_int(x, o, p, "sample_rate_hz", 2000, 16000, &sr) ||
      get_int(x, o, p, "frequency_hz", 45, 65, &f))
    return -1;
  if (ph == 2)
    return fail(x, "metrology.phases", "expected 1 or 3");
  c->phases = (uint8_t)ph;
  c->meter.phases = (uint8_t)ph;
  c->nominal_mv = (uint32_t)v * 1000u;
  c->imax_ma = (uint32_t)im * 1000u;
  c->sample_rate = (uint32_t)sr;
  c->frequency_mhz = (uint32_t)f * 1000u;
  return 0;
}

/* "2026-01-01T00:00:00Z" (UTC) */
static int utc_time(ctx *x, json_t *v, const char *p, int64_t *ms) {
  unsigned y, mo, d, h = 0, mi = 0, s = 0;
  if (!json_is_string(v) ||
      sscanf(json_string_value(v), "%4u-%2u-%2uT%2u:%2u:%2uZ", &y, &mo, &d, &h,
             &mi, &s) != 6 ||
      mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59)
    return fail(x, p, "expected YYYY-MM-DDTHH:MM:SSZ (UTC)");
  *ms = (ami_days_from_civil((int32_t)y, mo, d) * 86400 + h * 3600 + mi * 60 +
         s) *
        1000;
  return 0;
}

static int simulation(ctx *x, meter_conf *c, json_t *o, const char *p) {
  static const char *const keys[] = {"start", "speed", "seed", "load", NULL};
  if (known_keys(x, p, o, keys))
    return -1;
  json_t *st = json_object_get(o, "start");
  if (st && utc_time(x, st, "simulation.start", &c->start_utc_ms))
    return -1;
  json_t *sp = json_object_get(o, "speed");
  if (sp) {
    if (!json_is_number(sp) || json_number_value(sp) <= 0 ||
        json_number_value(sp) > 1e6)
      return fail(x, "simulation.speed",
                  "expected a number > 0 (simulated seconds per second)");
    c->speed = json_number_value(sp);
  }
  int64_t seed = (int64_t)c->seed;
  if (get_int(x, o, p, "seed", 0, INT64_MAX, &seed))
    return -1;
  c->seed = (uint64_t)seed;
  char sub[MCONF_MAX_PATH];
  json_t *l = obj(x, o, p, "load", sub, sizeof sub);
  if (x->failed)
    return -1;
  if (l) {
    static const char *const lkeys[] = {"model", "dataset", "household",
                                        "watts", NULL};
    int64_t w = c->load_watts;
    if (known_keys(x, sub, l, lkeys) ||
        get_str(x, l, sub, "model", c->load_model, sizeof c->load_model) ||
        get_str(x, l, sub, "dataset", c->load_dataset,
                sizeof c->load_dataset) ||
        get_str(x, l, sub, "household", c->load_household,
                sizeof c->load_household) ||
        get_int(x, l, sub, "watts", 0, 1000000, &w))
      return -1;
    c->load_watts = (uint32_t)w;
    if (strcmp(c->load_model, "appliances") &&
        strcmp(c->load_model, "london") && strcmp(c->load_model, "solar") &&
        strcmp(c->load_model, "constant"))
      return fail(x, "simulation.load.model",
                  "expected appliances, london, solar or constant");
  }
  return 0;
}

static int firmware(ctx *x, meter_conf *c, json_t *o, const char *p) {
  static const char *const keys[] = {"public_key", "target", "identifier",
                                     NULL};
  if (known_keys(x, p, o, keys) ||
      get_hex(x, o, p, "public_key", c->fw_pubkey, 65, &c->have_fw_key) ||
      get_str(x, o, p, "target", c->fw_target, sizeof c->fw_target) ||
      get_str(x, o, p, "identifier", c->fw_identifier, sizeof c->fw_identifier))
    return -1;
  if (c->have_fw_key && c->fw_pubkey[0] != 0x04)
    return fail(x, "firmware.public_key",
                "expected an uncompressed P-256 point (04 || X || Y)");
  return 0;
}

static int control(ctx *x, meter_conf *c, json_t *o, const char *p) {
  static const char *const keys[] = {
      "disconnect_mode",        "limiter_threshold_w",
      "credit_cents",           "price_micro_per_kwh",
      "standing_micro_per_day", "token_key",
      "push_destination",       NULL};
  int64_t mode = c->disconnect_mode;
  if (known_keys(x, p, o, keys) ||
      get_int(x, o, p, "disconnect_mode", 0, 6, &mode) ||
      get_int(x, o, p, "limiter_threshold_w", 0, 10000000,
              &c->limiter_threshold_w) ||
      get_int(x, o, p, "credit_cents", -1, INT64_MAX / 4, &c->credit_cents) ||
      get_int(x, o, p, "price_micro_per_kwh", 0, 100000000,
              &c->price_micro_per_kwh) ||
      get_int(x, o, p, "standing_micro_per_day", 0, 100000000,
              &c->standing_micro_per_day) ||
      get_hex(x, o, p, "token_key", c->token_key, 16, &c->have_token_key) ||
      get_str(x, o, p, "push_destination", c->push_destination,
              sizeof c->push_destination))
    return -1;
  c->disconnect_mode = (uint8_t)mode;
  return 0;
}

/* ---- API ---------------------------------------------------------------- */

void meter_conf_defaults(meter_conf *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->logical_device_name, sizeof c->logical_device_name, "%s",
           "OAM0000000000001");
  snprintf(c->serial, sizeof c->serial, "%s", "OPENAMI-EMU-0001");
  snprintf(c->manufacturer, sizeof c->manufacturer, "%s", "OAM");
  memcpy(c->system_title, "OAM\0\0\0\0\1", 8);
  snprintf(c->listen, sizeof c->listen, "%s", "127.0.0.1:4059");
  snprintf(c->lls_password, sizeof c->lls_password, "%s", "12345678");
  for (int i = 0; i < 16; i++) { /* the DLMS UA Green Book example keys */
    c->ek[i] = (uint8_t)i;
    c->ak[i] = (uint8_t)(0xD0 + i);
  }
  c->meter.tz_offset_min = 60;
  c->meter.dst_enabled = true;
  c->meter.dst_deviation_min = 60;
  c->meter.phases = 3;
  c->phases = 3;
  c->nominal_mv = 230000;
  c->imax_ma = 60000;
  c->sample_rate = 4000;
  c->frequency_mhz = 50000;
  snprintf(c->load_model, sizeof c->load_model, "%s", "appliances");
  c->load_watts = 1000;
  c->seed = 1;
  c->speed = 1.0;
  snprintf(c->fw_target, sizeof c->fw_target, "%s", "OPENAMI-METER-1");
  snprintf(c->fw_identifier, sizeof c->fw_identifier, "%s", "OAM-FW-1.0.0");
  c->credit_cents = -1;
  c->disconnect_mode = 2;
}

int meter_conf_load(meter_conf *c, const char *path, char *err, size_t cap) {
  ctx x = {err, cap, false};
  json_error_t je;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  if (!root) {
    snprintf(err, cap, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    return -1;
  }
  int rc = 0;
  if (!json_is_object(root)) {
    rc = fail(&x, "$", "expected an object");
    goto out;
  }
  static const char *const keys[] = {
      "identity",  "network",    "security", "clock",   "tariff",  "recording",
      "metrology", "simulation", "firmware", "control", "comment", NULL};
  if ((rc = known_keys(&x, "$", root, keys)) != 0)
    goto out;
  static const struct {
    const char *key;
    int (*fn)(ctx *, meter_conf *, json_t *, const char *);
  } sections[] = {{"identity", identity},   {"network", network},
                  {"security", security},   {"clock", clock_},
                  {"tariff", tariff},       {"recording", recording},
                  {"metrology", metrology}, {"simulation", simulation},
                  {"firmware", firmware},   {"control", control}};
  for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
    char sub[MCONF_MAX_PATH];
    json_t *o = obj(&x, root, "$", sections[i].key, sub, sizeof sub);
    if (x.failed) {
      rc = -1;
      goto out;
    }
    if (o && (rc = sections[i].fn(&x, c, o, sections[i].key)) != 0)
      goto out;
  }
out:
  json_decref(root);
  return rc;
}
