/*
 * ami_meter_tou.c -- local time and time-of-use for the meter core: the
 * Clock's time zone and daylight-saving rule (Blue Book class 8, IEC
 * 62056-6-2 §4.5.8), the Activity Calendar (class 20: seasons, week
 * profiles, day profiles with script selectors), the Special Days Table
 * (class 11) and the Single Action Schedule's execution times (class 22),
 * each encoded to and decoded from the COSEM attribute values so that what
 * a client SETs is exactly what the meter runs.
 *
 * Local time is handled as "local seconds since 1970" (the civil fields of
 * local time read as if they were UTC), which makes calendar arithmetic
 * plain integer arithmetic with ami_caltime.h.
 */
#include <string.h>

#include "ami/ami_axdr.h"
#include "ami/ami_caltime.h"
#include "ami_meter_internal.h"

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* ---- Clock: time zone and DST ---------------------------------------------
 */

static int64_t stored_int(const ami_cosem_object *o, unsigned attr,
                          int64_t dflt) {
  ami_span v;
  ami_axdr_value x;
  ami_axdr_dec d;
  if (ami_cosem_get_attr(o, attr, &v) != AMI_OK)
    return dflt;
  ami_axdr_dec_init(&d, v.p, v.len);
  if (ami_axdr_next(&d, &x) != AMI_OK)
    return dflt;
  switch (x.tag) {
  case AMI_AXDR_LONG:
  case AMI_AXDR_INTEGER:
  case AMI_AXDR_DOUBLE_LONG:
    return x.v.i;
  case AMI_AXDR_BOOLEAN:
    return x.v.b;
  case AMI_AXDR_UNSIGNED:
  case AMI_AXDR_LONG_UNSIGNED:
  case AMI_AXDR_ENUM:
    return (int64_t)x.v.u;
  default:
    return dflt;
  }
}

static bool stored_datetime(const ami_cosem_object *o, unsigned attr,
                            ami_cosem_datetime *dt) {
  ami_span v;
  ami_axdr_dec d;
  if (ami_cosem_get_attr(o, attr, &v) != AMI_OK)
    return false;
  ami_axdr_dec_init(&d, v.p, v.len);
  return ami_axdr_get_datetime(&d, dt) == AMI_OK;
}

/* The Clock's time_zone attribute holds the Blue Book deviation (UTC -
 * local standard time, minutes): CET is -60. */
void ami__meter_clock_sync(ami_meter *m) {
  if (!m->clock_dirty)
    return;
  m->clock_dirty = false;
  int64_t tz = stored_int(m->clock, 3, -m->tz_min);
  if (tz >= -720 && tz <= 720)
    m->tz_min = (int16_t)-tz;
  int64_t dev = stored_int(m->clock, 7, m->dst_dev_min);
  if (dev >= -120 && dev <= 120)
    m->dst_dev_min = (int8_t)dev;
  m->dst_enabled = stored_int(m->clock, 8, m->dst_enabled) != 0;
  ami_cosem_datetime dt;
  if (stored_datetime(m->clock, 5, &dt))
    m->dst_begin = dt;
  if (stored_datetime(m->clock, 6, &dt))
    m->dst_end = dt;
}

/* The day (1..31) a wildcarded date names in year y, month mo: day 0xFE
 * (last) or 0xFD (second last) of the month, or with a day of week: the
 * first such weekday on or after `day` (1 when unspecified), or the last
 * such weekday of the month when day is 0xFE. Blue Book §4.1.6.1. */
static unsigned resolve_day(int32_t y, unsigned mo, uint8_t day, uint8_t dow) {
  unsigned dim = ami_days_in_month(y, mo);
  if (!dim)
    return 0;
  bool has_dow = dow >= 1 && dow <= 7;
  if (day == AMI_COSEM_DAY_LAST || day == AMI_COSEM_DAY_2ND_LAST) {
    unsigned d = day == AMI_COSEM_DAY_LAST ? dim : dim - 1;
    if (has_dow)
      while (ami_weekday_from_days(ami_days_from_civil(y, mo, d)) != dow)
        d--;
    return d;
  }
  unsigned d = day >= 1 && day <= 31 ? day : 1;
  if (d > dim)
    d = dim;
  if (has_dow)
    while (d < dim &&
           ami_weekday_from_days(ami_days_from_civil(y, mo, d)) != dow)
      d++;
  return d;
}

int64_t ami__meter_resolve_local(const ami_cosem_datetime *dt, int32_t year) {
  int32_t y = dt->date.year == AMI_COSEM_YEAR_UNSPEC ? year : dt->date.year;
  unsigned mo =
      dt->date.month >= 1 && dt->date.month <= 12 ? dt->date.month : 1;
  unsigned d = resolve_day(y, mo, dt->date.day, dt->date.day_of_week);
  unsigned h = dt->time.hour <= 23 ? dt->time.hour : 0;
  unsigned mi = dt->time.minute <= 59 ? dt->time.minute : 0;
  unsigned s = dt->time.second <= 59 ? dt->time.second : 0;
  return ami_days_from_civil(y, mo, d ? d : 1) * 86400 + h * 3600 + mi * 60 + s;
}

/* DST begins at daylight_savings_begin read as local standard time and
 * ends at daylight_savings_end read as local daylight time (the EU rule:
 * 02:00 CET and 03:00 CEST, both 01:00 UTC). Southern-hemisphere rules
 * (begin after end in the year) are handled by inverting the interval. */
bool ami__meter_dst_active(const ami_meter *m, uint64_t dev_ms) {
  if (!m->dst_enabled || m->dst_dev_min == 0)
    return false;
  int64_t t = floor_div((int64_t)dev_ms, 1000);
  int64_t std_local = t + m->tz_min * 60;
  int32_t y;
  unsigned mo, d;
  ami_civil_from_days(floor_div(std_local, 86400), &y, &mo, &d);
  int64_t b = ami__meter_resolve_local(&m->dst_begin, y) - m->tz_min * 60;
  int64_t e = ami__meter_resolve_local(&m->dst_end, y) -
              (m->tz_min + m->dst_dev_min) * 60;
  return b < e ? (t >= b && t < e) : (t >= b || t < e);
}

int64_t ami__meter_local_s(const ami_meter *m, uint64_t dev_ms) {
  int64_t t = floor_div((int64_t)dev_ms, 1000);
  int off = m->tz_min + (ami__meter_dst_active(m, dev_ms) ? m->dst_dev_min : 0);
  return t + off * 60;
}

int ami_meter_local_offset(const ami_meter *m, uint64_t dev_ms, bool *dst) {
  bool a = ami__meter_dst_active(m, dev_ms);
  if (dst)
    *dst = a;
  return m->tz_min + (a ? m->dst_dev_min : 0);
}

void ami__meter_put_datetime(const ami_meter *m, ami_wr *w, uint64_t dev_ms) {
  bool dst = ami__meter_dst_active(m, dev_ms);
  int off = m->tz_min + (dst ? m->dst_dev_min : 0);
  ami_cosem_datetime dt;
  int64_t s = floor_div((int64_t)dev_ms, 1000);
  uint8_t hund = (uint8_t)(((int64_t)dev_ms - s * 1000) / 10);
  if (ami_cosem_datetime_from_utc(s, hund, off, AMI_COSEM_DEV_STANDARD,
                                  dst ? AMI_COSEM_STATUS_DST_ACTIVE : 0,
                                  &dt) != AMI_OK)
    dt = ami_cosem_datetime_unspecified();
  ami_axdr_put_datetime_octets(w, &dt);
}

/* ---- the tariff lookup ----------------------------------------------------
 */

static const ami_meter_day_profile *find_day(const ami_meter_calendar *c,
                                             uint8_t id) {
  for (uint8_t i = 0; i < c->ndays; i++)
    if (c->days[i].day_id == id)
      return &c->days[i];
  return NULL;
}

/* The day_id of a local date: a special day first (Blue Book class 11
 * overrides the week profile), else the season in force (the latest
 * season start on or before the date, wrapping to the latest of the year
 * before), its week profile and the weekday. */
static bool day_id_of(const ami_meter *m, int64_t days, uint8_t *id) {
  int32_t y;
  unsigned mo, d;
  ami_civil_from_days(days, &y, &mo, &d);
  for (size_t i = 0; i < m->nspecial; i++) {
    const ami_meter_special_day *s = &m->special[i];
    if ((s->year == 0xFFFF || s->year == y) && s->month == mo && s->day == d) {
      *id = s->day_id;
      return true;
    }
  }
  const ami_meter_calendar *c = &m->active;
  const ami_meter_season *best = NULL, *latest = NULL;
  unsigned key = mo * 32 + d;
  for (uint8_t i = 0; i < c->nseasons; i++) {
    const ami_meter_season *s = &c->seasons[i];
    unsigned k = s->month * 32u + s->day;
    if (k <= key && (!best || k > best->month * 32u + best->day))
      best = s;
    if (!latest || k > latest->month * 32u + latest->day)
      latest = s;
  }
  if (!best)
    best = latest;
  if (!best)
    return false;
  for (uint8_t i = 0; i < c->nweeks; i++)
    if (c->weeks[i].name.len == best->week_name.len &&
        memcmp(c->weeks[i].name.b, best->week_name.b, best->week_name.len) ==
            0) {
      *id = c->weeks[i].day_id[ami_weekday_from_days(days) - 1];
      return true;
    }
  return false;
}

/* The switch with the latest start at or before `tod` seconds into the
 * day (switches need not be listed in order); -1 if none. */
static int latest_switch(const ami_meter_day_profile *p, int64_t tod) {
  int best = -1;
  int64_t bt = -1;
  for (uint8_t i = 0; p && i < p->nswitches; i++) {
    int64_t t = p->sw[i].hour * 3600 + p->sw[i].minute * 60;
    if (t <= tod && t >= bt) {
      best = i;
      bt = t;
    }
  }
  return best;
}

static const ami_meter_day_profile *profile_of(const ami_meter *m,
                                               int64_t days) {
  uint8_t id;
  return day_id_of(m, days, &id) ? find_day(&m->active, id) : NULL;
}

/* The script selector in force at local time loc (Blue Book class 20: a
 * day's actions run at their start times; what the last one selected
 * stays in force): the day's latest switch at or before the time of day,
 * or before its first switch the previous day's last. Selectors outside
 * 1..4, and no calendar at all, count as rate 1. */
unsigned ami__meter_rate_at(const ami_meter *m, int64_t loc) {
  int64_t days = floor_div(loc, 86400);
  int64_t tod = loc - days * 86400;
  const ami_meter_day_profile *p = profile_of(m, days);
  int i = latest_switch(p, tod);
  if (i < 0) {
    p = profile_of(m, days - 1);
    i = latest_switch(p, 86399);
  }
  if (i < 0)
    return 1;
  unsigned rate = p->sw[i].rate;
  return rate >= 1 && rate <= AMI_METER_RATES ? rate : 1;
}

int ami__meter_calendar_check(const ami_meter_calendar *c) {
  if (c->nseasons > AMI_METER_MAX_SEASONS || c->nweeks > AMI_METER_MAX_WEEKS ||
      c->ndays > AMI_METER_MAX_DAYS || c->name_len > AMI_METER_MAX_NAME)
    return AMI_E_INVAL;
  for (uint8_t i = 0; i < c->ndays; i++) {
    const ami_meter_day_profile *p = &c->days[i];
    if (p->nswitches > AMI_METER_MAX_SWITCHES)
      return AMI_E_INVAL;
    for (uint8_t k = 0; k < p->nswitches; k++)
      if (p->sw[k].hour > 23 || p->sw[k].minute > 59)
        return AMI_E_INVAL;
  }
  for (uint8_t i = 0; i < c->nweeks; i++)
    if (c->weeks[i].name.len > AMI_METER_MAX_PNAME)
      return AMI_E_INVAL;
  for (uint8_t i = 0; i < c->nseasons; i++)
    if (c->seasons[i].name.len > AMI_METER_MAX_PNAME ||
        c->seasons[i].week_name.len > AMI_METER_MAX_PNAME ||
        c->seasons[i].month < 1 || c->seasons[i].month > 12 ||
        c->seasons[i].day < 1 || c->seasons[i].day > 31)
      return AMI_E_INVAL;
  return AMI_OK;
}

/* ---- Activity Calendar attributes (class 20) -------------------------------
 */

static const uint8_t script_ln[6] = {0, 0, 10, 0, 100, 255};

void ami__meter_put_calendar(ami_wr *w, const ami_meter_calendar *c,
                             unsigned which) {
  switch (which) {
  case 0:
    ami_axdr_put_octets(w, c->name, c->name_len);
    return;
  case 1: /* season_profile: { name, season_start, week_name } */
    ami_axdr_put_array(w, c->nseasons);
    for (uint8_t i = 0; i < c->nseasons; i++) {
      const ami_meter_season *s = &c->seasons[i];
      ami_cosem_datetime dt = ami_cosem_datetime_unspecified();
      dt.date.month = s->month;
      dt.date.day = s->day;
      dt.time.hour = dt.time.minute = dt.time.second = dt.time.hundredths = 0;
      ami_axdr_put_struct(w, 3);
      ami_axdr_put_octets(w, s->name.b, s->name.len);
      ami_axdr_put_datetime_octets(w, &dt);
      ami_axdr_put_octets(w, s->week_name.b, s->week_name.len);
    }
    return;
  case 2: /* week_profile_table: { name, monday .. sunday } */
    ami_axdr_put_array(w, c->nweeks);
    for (uint8_t i = 0; i < c->nweeks; i++) {
      ami_axdr_put_struct(w, 8);
      ami_axdr_put_octets(w, c->weeks[i].name.b, c->weeks[i].name.len);
      for (int k = 0; k < 7; k++)
        ami_axdr_put_u8(w, c->weeks[i].day_id[k]);
    }
    return;
  default: /* day_profile_table: { day_id, array { start_time, script, sel } }
            */
    ami_axdr_put_array(w, c->ndays);
    for (uint8_t i = 0; i < c->ndays; i++) {
      const ami_meter_day_profile *p = &c->days[i];
      ami_axdr_put_struct(w, 2);
      ami_axdr_put_u8(w, p->day_id);
      ami_axdr_put_array(w, p->nswitches);
      for (uint8_t k = 0; k < p->nswitches; k++) {
        ami_cosem_time t = {p->sw[k].hour, p->sw[k].minute, 0, 0};
        uint8_t tb[4];
        ami_cosem_time_encode(&t, tb);
        ami_axdr_put_struct(w, 3);
        ami_axdr_put_octets(w, tb, 4);
        ami_axdr_put_octets(w, script_ln, 6);
        ami_axdr_put_u16(w, p->sw[k].rate);
      }
    }
    return;
  }
}

/* A season or week profile name: names are compared whole, so one longer
 * than the meter keeps is refused rather than cut (two names could merge). */
static int get_pname(ami_axdr_dec *d, ami_meter_pname *out) {
  ami_span s;
  int rc = ami_axdr_get_octets(d, &s);
  if (rc != AMI_OK)
    return rc;
  if (s.len > AMI_METER_MAX_PNAME)
    return AMI_E_LIMIT;
  out->len = (uint8_t)s.len;
  memcpy(out->b, s.p, s.len);
  return AMI_OK;
}

ami_meter_pname ami_meter_pname_make(const char *s) {
  ami_meter_pname n;
  memset(&n, 0, sizeof n);
  while (s && s[n.len] && n.len < AMI_METER_MAX_PNAME) {
    n.b[n.len] = (uint8_t)s[n.len];
    n.len++;
  }
  return n;
}

static int dec_seasons(ami_axdr_dec *d, ami_meter_calendar *c) {
  uint32_t n, f;
  int rc = ami_axdr_get_array(d, &n);
  if (rc != AMI_OK)
    return rc;
  if (n > AMI_METER_MAX_SEASONS)
    return AMI_E_LIMIT;
  c->nseasons = (uint8_t)n;
  for (uint32_t i = 0; i < n; i++) {
    ami_meter_season *s = &c->seasons[i];
    ami_cosem_datetime dt;
    if ((rc = ami_axdr_get_struct(d, &f)) != AMI_OK)
      return rc;
    if (f != 3)
      return AMI_E_INCONSISTENT;
    if ((rc = get_pname(d, &s->name)) != AMI_OK ||
        (rc = ami_axdr_get_datetime(d, &dt)) != AMI_OK ||
        (rc = get_pname(d, &s->week_name)) != AMI_OK)
      return rc;
    if (dt.date.month < 1 || dt.date.month > 12 || dt.date.day < 1 ||
        dt.date.day > 31)
      return AMI_E_BAD_VALUE;
    s->month = dt.date.month;
    s->day = dt.date.day;
  }
  return AMI_OK;
}

static int dec_weeks(ami_axdr_dec *d, ami_meter_calendar *c) {
  uint32_t n, f;
  int rc = ami_axdr_get_array(d, &n);
  if (rc != AMI_OK)
    return rc;
  if (n > AMI_METER_MAX_WEEKS)
    return AMI_E_LIMIT;
  c->nweeks = (uint8_t)n;
  for (uint32_t i = 0; i < n; i++) {
    if ((rc = ami_axdr_get_struct(d, &f)) != AMI_OK)
      return rc;
    if (f != 8)
      return AMI_E_INCONSISTENT;
    if ((rc = get_pname(d, &c->weeks[i].name)) != AMI_OK)
      return rc;
    for (int k = 0; k < 7; k++)
      if ((rc = ami_axdr_get_u8(d, &c->weeks[i].day_id[k])) != AMI_OK)
        return rc;
  }
  return AMI_OK;
}

static int dec_days(ami_axdr_dec *d, ami_meter_calendar *c) {
  uint32_t n, f, k;
  int rc = ami_axdr_get_array(d, &n);
  if (rc != AMI_OK)
    return rc;
  if (n > AMI_METER_MAX_DAYS)
    return AMI_E_LIMIT;
  c->ndays = (uint8_t)n;
  for (uint32_t i = 0; i < n; i++) {
    ami_meter_day_profile *p = &c->days[i];
    if ((rc = ami_axdr_get_struct(d, &f)) != AMI_OK)
      return rc;
    if (f != 2)
      return AMI_E_INCONSISTENT;
    if ((rc = ami_axdr_get_u8(d, &p->day_id)) != AMI_OK ||
        (rc = ami_axdr_get_array(d, &k)) != AMI_OK)
      return rc;
    if (k > AMI_METER_MAX_SWITCHES)
      return AMI_E_LIMIT;
    p->nswitches = (uint8_t)k;
    for (uint32_t j = 0; j < k; j++) {
      ami_cosem_time t;
      ami_span ln;
      uint16_t sel;
      if ((rc = ami_axdr_get_struct(d, &f)) != AMI_OK)
        return rc;
      if (f != 3)
        return AMI_E_INCONSISTENT;
      if ((rc = ami_axdr_get_time(d, &t)) != AMI_OK ||
          (rc = ami_axdr_get_octets(d, &ln)) != AMI_OK ||
          (rc = ami_axdr_get_u16(d, &sel)) != AMI_OK)
        return rc;
      if (t.hour > 23 || t.minute > 59)
        return AMI_E_BAD_VALUE;
      p->sw[j].hour = t.hour;
      p->sw[j].minute = t.minute;
      p->sw[j].rate = sel > 255 ? 0 : (uint8_t)sel;
    }
  }
  return AMI_OK;
}

int ami__meter_get_passive(const ami_meter *m, ami_meter_calendar *out) {
  memset(out, 0, sizeof *out);
  for (unsigned a = 6; a <= 9; a++) {
    ami_span v;
    ami_axdr_dec d;
    int rc = ami_cosem_get_attr(m->calendar, a, &v);
    if (rc == AMI_E_NOT_FOUND)
      continue; /* default: empty */
    if (rc != AMI_OK)
      return rc;
    ami_axdr_dec_init(&d, v.p, v.len);
    if (a == 6) {
      ami_span s;
      rc = ami_axdr_get_octets(&d, &s);
      if (rc == AMI_OK) {
        out->name_len =
            (uint8_t)(s.len > AMI_METER_MAX_NAME ? AMI_METER_MAX_NAME : s.len);
        memcpy(out->name, s.p, out->name_len);
      }
    } else if (a == 7) {
      rc = dec_seasons(&d, out);
    } else if (a == 8) {
      rc = dec_weeks(&d, out);
    } else {
      rc = dec_days(&d, out);
    }
    if (rc != AMI_OK)
      return rc;
  }
  return AMI_OK;
}

/* ---- Special Days Table (class 11) ----------------------------------------
 */

void ami__meter_put_special(ami_wr *w, const ami_meter_special_day *s,
                            size_t n) {
  ami_axdr_put_array(w, n);
  for (size_t i = 0; i < n; i++) {
    ami_cosem_date dt = {s[i].year, s[i].month, s[i].day, AMI_COSEM_UNSPEC};
    uint8_t b[5];
    ami_cosem_date_encode(&dt, b);
    ami_axdr_put_struct(w, 3);
    ami_axdr_put_u16(w, s[i].index);
    ami_axdr_put_octets(w, b, 5);
    ami_axdr_put_u8(w, s[i].day_id);
  }
}

/* Decode the stored entries (type-checked by the model on SET); entries
 * with a wildcard month or day are kept but never match. */
void ami__meter_special_sync(ami_meter *m) {
  if (!m->special_dirty)
    return;
  m->special_dirty = false;
  ami_span v;
  ami_axdr_dec d;
  uint32_t n, f;
  m->nspecial = 0;
  if (ami_cosem_get_attr(m->special_obj, 2, &v) != AMI_OK)
    return;
  ami_axdr_dec_init(&d, v.p, v.len);
  if (ami_axdr_get_array(&d, &n) != AMI_OK)
    return;
  for (uint32_t i = 0; i < n && m->nspecial < AMI_METER_MAX_SPECIAL; i++) {
    ami_meter_special_day *s = &m->special[m->nspecial];
    ami_cosem_date dt;
    if (ami_axdr_get_struct(&d, &f) != AMI_OK || f != 3 ||
        ami_axdr_get_u16(&d, &s->index) != AMI_OK ||
        ami_axdr_get_date(&d, &dt) != AMI_OK ||
        ami_axdr_get_u8(&d, &s->day_id) != AMI_OK)
      return;
    s->year = dt.year;
    s->month = dt.month;
    s->day = dt.day;
    m->nspecial++;
  }
}

/* ---- Single Action Schedule (class 22) ------------------------------------
 */

void ami__meter_schedule_sync(ami_meter *m) {
  if (!m->sched_dirty)
    return;
  m->sched_dirty = false;
  ami_span v;
  ami_axdr_dec d;
  uint32_t n, f;
  m->nexec = 0;
  if (ami_cosem_get_attr(m->schedule, 4, &v) != AMI_OK)
    return;
  ami_axdr_dec_init(&d, v.p, v.len);
  if (ami_axdr_get_array(&d, &n) != AMI_OK)
    return;
  for (uint32_t i = 0; i < n && m->nexec < AMI__METER_MAX_EXEC; i++) {
    ami__meter_exec *e = &m->exec[m->nexec];
    if (ami_axdr_get_struct(&d, &f) != AMI_OK || f != 2 ||
        ami_axdr_get_time(&d, &e->time) != AMI_OK ||
        ami_axdr_get_date(&d, &e->date) != AMI_OK)
      return;
    m->nexec++;
  }
}

static bool field_ok(unsigned spec, unsigned v) {
  return spec == AMI_COSEM_UNSPEC || spec == v;
}

/* Blue Book class 22: execution_time entries are local time and date with
 * wildcards; the script runs when local time passes one. Boundaries are
 * whole minutes, so the seconds must be 0 or unspecified. */
bool ami__meter_schedule_due(const ami_meter *m, int64_t loc) {
  int64_t days = floor_div(loc, 86400);
  int64_t tod = loc - days * 86400;
  int32_t y;
  unsigned mo, d;
  ami_civil_from_days(days, &y, &mo, &d);
  unsigned dim = ami_days_in_month(y, mo);
  unsigned dow = ami_weekday_from_days(days);
  for (size_t i = 0; i < m->nexec; i++) {
    const ami__meter_exec *e = &m->exec[i];
    if (!field_ok(e->time.hour, (unsigned)(tod / 3600)) ||
        !field_ok(e->time.minute, (unsigned)(tod / 60 % 60)) ||
        !field_ok(e->time.second, 0))
      continue;
    if (e->date.year != AMI_COSEM_YEAR_UNSPEC && e->date.year != y)
      continue;
    if (!field_ok(e->date.month, mo) || !field_ok(e->date.day_of_week, dow))
      continue;
    uint8_t dd = e->date.day;
    if (dd == AMI_COSEM_DAY_LAST       ? d != dim
        : dd == AMI_COSEM_DAY_2ND_LAST ? d + 1 != dim
                                       : !field_ok(dd, d))
      continue;
    return true;
  }
  return false;
}

/* activate_passive_calendar_time (attribute 10): armed when its date and
 * time are fully specified; with a deviation it names a UTC instant,
 * without one a local time. */
bool ami__meter_activation_due(const ami_meter *m, uint64_t dev_ms) {
  ami_cosem_datetime dt;
  if (!stored_datetime(m->calendar, 10, &dt))
    return false;
  if (dt.date.year == AMI_COSEM_YEAR_UNSPEC || dt.date.month > 12 ||
      dt.date.day > 31 || dt.time.hour > 23 || dt.time.minute > 59)
    return false;
  int64_t sec;
  uint8_t hund;
  if (dt.deviation != AMI_COSEM_DEVIATION_UNSPEC) {
    if (ami_cosem_datetime_to_utc(&dt, AMI_COSEM_DEV_STANDARD, &sec, &hund) !=
        AMI_OK)
      return false;
    return (int64_t)(dev_ms / 1000) >= sec;
  }
  return ami__meter_local_s(m, dev_ms) >=
         ami__meter_resolve_local(&dt, dt.date.year);
}
