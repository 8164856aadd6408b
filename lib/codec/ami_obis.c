/*
 * ami_obis.c -- OBIS code text parsing and formatting (IEC 62056-6-1 §4:
 * value groups A to F). The byte form needs no code beyond ami_obis.h.
 */
#include "ami/ami_obis.h"

#include "ami/ami_err.h"

/* Read one decimal group 0..255 of 1..3 digits at s[*i]. */
static int parse_group(const char *s, size_t len, size_t *i, uint8_t *out) {
  unsigned v = 0;
  size_t start = *i;
  while (*i < len && s[*i] >= '0' && s[*i] <= '9' && *i - start < 3) {
    v = v * 10 + (unsigned)(s[*i] - '0');
    (*i)++;
  }
  if (*i == start || v > 255)
    return AMI_E_SYNTAX;
  if (*i < len && s[*i] >= '0' && s[*i] <= '9')
    return AMI_E_SYNTAX; /* a fourth digit */
  *out = (uint8_t)v;
  return AMI_OK;
}

/* Accept separator `c` at s[*i]. */
static bool take(const char *s, size_t len, size_t *i, char c) {
  if (*i < len && s[*i] == c) {
    (*i)++;
    return true;
  }
  return false;
}

int ami_obis_parse(const char *s, size_t len, ami_obis *out) {
  uint8_t g[6];
  size_t i = 0;
  if (s == NULL || parse_group(s, len, &i, &g[0]) != AMI_OK)
    return AMI_E_SYNTAX;
  if (take(s, len, &i, '-')) {
    /* A-B:C.D.E[*F | .F] */
    if (parse_group(s, len, &i, &g[1]) || !take(s, len, &i, ':') ||
        parse_group(s, len, &i, &g[2]) || !take(s, len, &i, '.') ||
        parse_group(s, len, &i, &g[3]) || !take(s, len, &i, '.') ||
        parse_group(s, len, &i, &g[4]))
      return AMI_E_SYNTAX;
    if (i == len) {
      g[5] = 255;
    } else if (!(take(s, len, &i, '*') || take(s, len, &i, '.')) ||
               parse_group(s, len, &i, &g[5])) {
      return AMI_E_SYNTAX;
    }
  } else {
    /* A.B.C.D.E.F */
    for (int k = 1; k < 6; k++)
      if (!take(s, len, &i, '.') || parse_group(s, len, &i, &g[k]))
        return AMI_E_SYNTAX;
  }
  if (i != len)
    return AMI_E_SYNTAX;
  *out = ami_obis_from_bytes(g);
  return AMI_OK;
}

/* Append the decimal digits of v (0..255). */
static size_t put_u8(char *buf, size_t n, unsigned v) {
  if (v >= 100)
    buf[n++] = (char)('0' + v / 100);
  if (v >= 10)
    buf[n++] = (char)('0' + v / 10 % 10);
  buf[n++] = (char)('0' + v % 10);
  return n;
}

/* Format six groups separated by seps[0..4]; copy into out like snprintf. */
static size_t format6(const ami_obis *o, const char seps[5], char *out,
                      size_t cap) {
  char buf[AMI_OBIS_TEXT_MAX];
  const uint8_t g[6] = {o->a, o->b, o->c, o->d, o->e, o->f};
  size_t n = 0;
  for (int k = 0; k < 6; k++) {
    if (k > 0)
      buf[n++] = seps[k - 1];
    n = put_u8(buf, n, g[k]);
  }
  if (cap > 0) {
    size_t c = n < cap ? n : cap - 1;
    for (size_t k = 0; k < c; k++)
      out[k] = buf[k];
    out[c] = '\0';
  }
  return n;
}

size_t ami_obis_format(const ami_obis *o, char *out, size_t cap) {
  return format6(o, "-:..*", out, cap);
}

size_t ami_obis_format_dotted(const ami_obis *o, char *out, size_t cap) {
  return format6(o, ".....", out, cap);
}
