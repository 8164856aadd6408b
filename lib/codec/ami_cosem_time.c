/*
 * ami_cosem_time.c -- COSEM date, time and date-time: raw encodings,
 * validation, UTC conversion and ISO-8601 text (IEC 62056-6-2 §4.1.6.1).
 * The deviation sign convention is explained in ami_cosem_time.h.
 */
#include "ami/ami_cosem_time.h"

#include "ami/ami_caltime.h"
#include "ami/ami_err.h"

/* ---- raw encodings ------------------------------------------------------- */

void ami_cosem_date_decode(const uint8_t in[5], ami_cosem_date *out) {
  out->year = (uint16_t)((in[0] << 8) | in[1]);
  out->month = in[2];
  out->day = in[3];
  out->day_of_week = in[4];
}

void ami_cosem_date_encode(const ami_cosem_date *d, uint8_t out[5]) {
  out[0] = (uint8_t)(d->year >> 8);
  out[1] = (uint8_t)d->year;
  out[2] = d->month;
  out[3] = d->day;
  out[4] = d->day_of_week;
}

void ami_cosem_time_decode(const uint8_t in[4], ami_cosem_time *out) {
  out->hour = in[0];
  out->minute = in[1];
  out->second = in[2];
  out->hundredths = in[3];
}

void ami_cosem_time_encode(const ami_cosem_time *t, uint8_t out[4]) {
  out[0] = t->hour;
  out[1] = t->minute;
  out[2] = t->second;
  out[3] = t->hundredths;
}

void ami_cosem_datetime_decode(const uint8_t in[12], ami_cosem_datetime *out) {
  ami_cosem_date_decode(in, &out->date);
  ami_cosem_time_decode(in + 5, &out->time);
  /* Two's complement big-endian; converted without implementation-defined
   * casts of out-of-range unsigned values. */
  unsigned raw = ((unsigned)in[9] << 8) | in[10];
  out->deviation = (int16_t)(raw >= 0x8000u ? (int)raw - 0x10000 : (int)raw);
  out->status = in[11];
}

void ami_cosem_datetime_encode(const ami_cosem_datetime *dt, uint8_t out[12]) {
  ami_cosem_date_encode(&dt->date, out);
  ami_cosem_time_encode(&dt->time, out + 5);
  uint16_t raw = (uint16_t)dt->deviation;
  out[9] = (uint8_t)(raw >> 8);
  out[10] = (uint8_t)raw;
  out[11] = dt->status;
}

ami_cosem_datetime ami_cosem_datetime_unspecified(void) {
  ami_cosem_datetime dt;
  dt.date.year = AMI_COSEM_YEAR_UNSPEC;
  dt.date.month = AMI_COSEM_UNSPEC;
  dt.date.day = AMI_COSEM_UNSPEC;
  dt.date.day_of_week = AMI_COSEM_UNSPEC;
  dt.time.hour = AMI_COSEM_UNSPEC;
  dt.time.minute = AMI_COSEM_UNSPEC;
  dt.time.second = AMI_COSEM_UNSPEC;
  dt.time.hundredths = AMI_COSEM_UNSPEC;
  dt.deviation = AMI_COSEM_DEVIATION_UNSPEC;
  dt.status = AMI_COSEM_STATUS_UNSPEC;
  return dt;
}

/* ---- validation ---------------------------------------------------------- */

/* A field is valid when it lies in [lo, hi] or is the wildcard 0xFF. */
static bool in_range_or_unspec(uint8_t v, unsigned lo, unsigned hi) {
  return v == AMI_COSEM_UNSPEC || (v >= lo && v <= hi);
}

int ami_cosem_date_validate(const ami_cosem_date *d) {
  bool month_special = d->month == AMI_COSEM_MONTH_DST_END ||
                       d->month == AMI_COSEM_MONTH_DST_BEGIN;
  if (!month_special && !in_range_or_unspec(d->month, 1, 12))
    return AMI_E_BAD_VALUE;
  bool day_special =
      d->day == AMI_COSEM_DAY_2ND_LAST || d->day == AMI_COSEM_DAY_LAST;
  if (!day_special && !in_range_or_unspec(d->day, 1, 31))
    return AMI_E_BAD_VALUE;
  if (!in_range_or_unspec(d->day_of_week, 1, 7))
    return AMI_E_BAD_VALUE;
  if (d->day >= 1 && d->day <= 31 && d->month >= 1 && d->month <= 12) {
    /* With the year unknown, 29 February is possible (some leap year). */
    int32_t y = d->year == AMI_COSEM_YEAR_UNSPEC ? 2000 : (int32_t)d->year;
    if (d->day > ami_days_in_month(y, d->month))
      return AMI_E_BAD_VALUE;
    if (d->year != AMI_COSEM_YEAR_UNSPEC &&
        d->day_of_week != AMI_COSEM_UNSPEC &&
        d->day_of_week !=
            ami_weekday_from_days(ami_days_from_civil(y, d->month, d->day)))
      return AMI_E_BAD_VALUE;
  }
  return AMI_OK;
}

int ami_cosem_time_validate(const ami_cosem_time *t) {
  if (!in_range_or_unspec(t->hour, 0, 23) ||
      !in_range_or_unspec(t->minute, 0, 59) ||
      !in_range_or_unspec(t->second, 0, 59) ||
      !in_range_or_unspec(t->hundredths, 0, 99))
    return AMI_E_BAD_VALUE;
  return AMI_OK;
}

int ami_cosem_datetime_validate(const ami_cosem_datetime *dt) {
  int rc = ami_cosem_date_validate(&dt->date);
  if (rc == AMI_OK)
    rc = ami_cosem_time_validate(&dt->time);
  if (rc == AMI_OK && dt->deviation != AMI_COSEM_DEVIATION_UNSPEC &&
      (dt->deviation < -720 || dt->deviation > 720))
    rc = AMI_E_BAD_VALUE;
  return rc;
}

/* ---- conversion ---------------------------------------------------------- */

/* ISO offset (local - UTC) of a deviation read under `rule`. */
static int iso_offset(int16_t deviation, ami_cosem_dev_rule rule) {
  return rule == AMI_COSEM_DEV_UTC_TO_LOCAL ? deviation : -deviation;
}

int ami_cosem_datetime_to_utc(const ami_cosem_datetime *dt,
                              ami_cosem_dev_rule rule, int64_t *utc_seconds,
                              uint8_t *hundredths) {
  const ami_cosem_date *d = &dt->date;
  const ami_cosem_time *t = &dt->time;
  if (d->year == AMI_COSEM_YEAR_UNSPEC || d->month < 1 || d->month > 12 ||
      d->day < 1 || d->day > ami_days_in_month(d->year, d->month))
    return AMI_E_BAD_VALUE;
  if (t->hour > 23 || t->minute > 59 || t->second > 59 ||
      (t->hundredths > 99 && t->hundredths != AMI_COSEM_UNSPEC))
    return AMI_E_BAD_VALUE;
  if (dt->deviation == AMI_COSEM_DEVIATION_UNSPEC || dt->deviation < -720 ||
      dt->deviation > 720)
    return AMI_E_BAD_VALUE;
  int64_t local = ami_days_from_civil(d->year, d->month, d->day) * 86400 +
                  t->hour * 3600 + t->minute * 60 + t->second;
  *utc_seconds = local - (int64_t)iso_offset(dt->deviation, rule) * 60;
  *hundredths = t->hundredths == AMI_COSEM_UNSPEC ? 0 : t->hundredths;
  return AMI_OK;
}

/* Floor division and modulo for possibly negative seconds. */
static int64_t floor_divmod(int64_t a, int64_t b, int64_t *rem) {
  int64_t q = a / b, r = a % b;
  if (r < 0) {
    r += b;
    q -= 1;
  }
  *rem = r;
  return q;
}

int ami_cosem_datetime_from_utc(int64_t utc_seconds, uint8_t hundredths,
                                int utc_offset_min, ami_cosem_dev_rule rule,
                                uint8_t status, ami_cosem_datetime *out) {
  if (utc_offset_min < -720 || utc_offset_min > 720 || hundredths > 99)
    return AMI_E_RANGE;
  /* Keep the arithmetic far from int64 overflow: +-2^40 s is 34,000 years,
   * well past the representable years anyway. */
  if (utc_seconds > ((int64_t)1 << 40) || utc_seconds < -((int64_t)1 << 40))
    return AMI_E_RANGE;
  int64_t local = utc_seconds + (int64_t)utc_offset_min * 60;
  int64_t sod;
  int64_t days = floor_divmod(local, 86400, &sod);
  int32_t y;
  unsigned m, d;
  ami_civil_from_days(days, &y, &m, &d);
  if (y < 0 || y > 0xFFFE)
    return AMI_E_RANGE;
  out->date.year = (uint16_t)y;
  out->date.month = (uint8_t)m;
  out->date.day = (uint8_t)d;
  out->date.day_of_week = (uint8_t)ami_weekday_from_days(days);
  out->time.hour = (uint8_t)(sod / 3600);
  out->time.minute = (uint8_t)(sod / 60 % 60);
  out->time.second = (uint8_t)(sod % 60);
  out->time.hundredths = hundredths;
  out->deviation =
      (int16_t)(rule == AMI_COSEM_DEV_UTC_TO_LOCAL ? utc_offset_min
                                                   : -utc_offset_min);
  out->status = status;
  return AMI_OK;
}

/* ---- text ---------------------------------------------------------------- */

/* A bounded text builder: counts every character, stores what fits. */
typedef struct txt {
  char *p;
  size_t cap, len;
} txt;

static void txt_c(txt *t, char c) {
  if (t->len + 1 < t->cap)
    t->p[t->len] = c;
  t->len++;
}

static void txt_s(txt *t, const char *s) {
  while (*s)
    txt_c(t, *s++);
}

/* `v` in decimal, zero-padded to `width` digits. */
static void txt_u(txt *t, unsigned v, int width) {
  char buf[12];
  int n = 0;
  do {
    buf[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v && n < (int)sizeof buf);
  while (n < width && n < (int)sizeof buf)
    buf[n++] = '0';
  while (n > 0)
    txt_c(t, buf[--n]);
}

static void txt_hexbyte(txt *t, unsigned v) {
  static const char hex[] = "0123456789ABCDEF";
  txt_s(t, "{0x");
  txt_c(t, hex[(v >> 4) & 15]);
  txt_c(t, hex[v & 15]);
  txt_c(t, '}');
}

/* A one-byte field: '*' x width if unspecified, the number if in [lo, hi],
 * else its raw value in braces. */
static void txt_field(txt *t, uint8_t v, unsigned lo, unsigned hi, int width) {
  if (v == AMI_COSEM_UNSPEC) {
    for (int i = 0; i < width; i++)
      txt_c(t, '*');
  } else if (v >= lo && v <= hi) {
    txt_u(t, v, width);
  } else {
    txt_hexbyte(t, v);
  }
}

size_t ami_cosem_datetime_format(const ami_cosem_datetime *dt,
                                 ami_cosem_dev_rule rule, char *out,
                                 size_t cap) {
  txt t = {out, cap, 0};
  const ami_cosem_date *d = &dt->date;
  const ami_cosem_time *tm = &dt->time;

  if (d->year == AMI_COSEM_YEAR_UNSPEC)
    txt_s(&t, "****");
  else
    txt_u(&t, d->year, 4);
  txt_c(&t, '-');
  if (d->month == AMI_COSEM_MONTH_DST_END)
    txt_s(&t, "{dst-end}");
  else if (d->month == AMI_COSEM_MONTH_DST_BEGIN)
    txt_s(&t, "{dst-begin}");
  else
    txt_field(&t, d->month, 1, 12, 2);
  txt_c(&t, '-');
  if (d->day == AMI_COSEM_DAY_2ND_LAST)
    txt_s(&t, "{2nd-last}");
  else if (d->day == AMI_COSEM_DAY_LAST)
    txt_s(&t, "{last}");
  else
    txt_field(&t, d->day, 1, 31, 2);
  txt_c(&t, 'T');
  txt_field(&t, tm->hour, 0, 23, 2);
  txt_c(&t, ':');
  txt_field(&t, tm->minute, 0, 59, 2);
  txt_c(&t, ':');
  txt_field(&t, tm->second, 0, 59, 2);
  if (tm->hundredths != AMI_COSEM_UNSPEC) {
    txt_c(&t, '.');
    txt_field(&t, tm->hundredths, 0, 99, 2);
  }
  if (dt->deviation != AMI_COSEM_DEVIATION_UNSPEC) {
    int off = iso_offset(dt->deviation, rule);
    if (off == 0) {
      txt_c(&t, 'Z');
    } else {
      txt_c(&t, off < 0 ? '-' : '+');
      unsigned a = (unsigned)(off < 0 ? -off : off);
      txt_u(&t, a / 60, 2);
      txt_c(&t, ':');
      txt_u(&t, a % 60, 2);
    }
  }
  bool date_wild = d->year == AMI_COSEM_YEAR_UNSPEC || d->month > 12 ||
                   d->day < 1 || d->day > 31;
  if (date_wild && d->day_of_week != AMI_COSEM_UNSPEC) {
    txt_s(&t, " dow=");
    txt_u(&t, d->day_of_week, 1);
  }
  if (cap > 0)
    out[t.len < cap ? t.len : cap - 1] = '\0';
  return t.len;
}
