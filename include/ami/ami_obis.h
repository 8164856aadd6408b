/*
 * ami_obis.h -- OBIS codes (IEC 62056-6-1): the six-byte logical names of
 * COSEM objects, as bytes and as text.
 *
 * Text forms accepted by ami_obis_parse:
 *   "1-0:1.8.0*255"   the standard form, A-B:C.D.E*F
 *   "1-0:1.8.0.255"   the same with '.' before F (common in tools)
 *   "1-0:1.8.0"       F omitted: 255
 *   "1.0.1.8.0.255"   dotted, all six groups required
 * Each group is a decimal number 0..255 (1 to 3 digits). Letter forms
 * ("C" = 96, "F" = 97, ...) are not accepted.
 */
#ifndef AMI_OBIS_H
#define AMI_OBIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ami_obis {
  uint8_t a, b, c, d, e, f;
} ami_obis;

/* Longest text either format function writes: "255-255:255.255.255*255". */
#define AMI_OBIS_TEXT_MAX 24 /* including the NUL */

static inline ami_obis ami_obis_make(uint8_t a, uint8_t b, uint8_t c, uint8_t d,
                                     uint8_t e, uint8_t f) {
  ami_obis o;
  o.a = a;
  o.b = b;
  o.c = c;
  o.d = d;
  o.e = e;
  o.f = f;
  return o;
}

static inline ami_obis ami_obis_from_bytes(const uint8_t b[6]) {
  return ami_obis_make(b[0], b[1], b[2], b[3], b[4], b[5]);
}

static inline void ami_obis_to_bytes(const ami_obis *o, uint8_t b[6]) {
  b[0] = o->a;
  b[1] = o->b;
  b[2] = o->c;
  b[3] = o->d;
  b[4] = o->e;
  b[5] = o->f;
}

static inline bool ami_obis_eq(const ami_obis *x, const ami_obis *y) {
  return x->a == y->a && x->b == y->b && x->c == y->c && x->d == y->d &&
         x->e == y->e && x->f == y->f;
}

/* Parse `len` characters of `s` (no NUL needed) in one of the forms above;
 * the whole text must be consumed. AMI_E_SYNTAX for anything else (empty
 * groups, values over 255, signs, spaces, trailing characters). */
int ami_obis_parse(const char *s, size_t len, ami_obis *out);

/* "A-B:C.D.E*F", always with F. Writes at most cap-1 characters and a NUL
 * (when cap > 0); returns the length the full text needs, like snprintf. */
size_t ami_obis_format(const ami_obis *o, char *out, size_t cap);

/* "A.B.C.D.E.F", same conventions. */
size_t ami_obis_format_dotted(const ami_obis *o, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* AMI_OBIS_H */
