/*
 * ami_axdr.h -- A-XDR encoding of COSEM Data: the data types of the DLMS UA
 * Blue Book (DLMS UA 1000-1, published as IEC 62056-6-2) §4.1.5 "Common data
 * types", encoded by the A-XDR rules of IEC 61334-6.
 *
 * Every value is a one-byte tag followed by its contents:
 *   - fixed-size scalars: big-endian, two's complement for signed integers,
 *     IEEE-754 big-endian for floats;
 *   - octet-, visible-, utf8-string: a length, then the bytes; bit-string: a
 *     length counted in BITS, then ceil(bits/8) bytes;
 *   - array and structure: an element count, then the elements, each tagged;
 *   - compact-array: a type description, then an octet-string whose bytes are
 *     the elements WITHOUT tags (see "Compact arrays" below).
 * Lengths and counts: one byte 0..0x7F, or 0x81..0x84 followed by 1..4
 * big-endian bytes. Non-minimal forms ("81 05") are accepted on input (real
 * meters send them) and flagged (ami_axdr_dec.canonical); output is minimal.
 *
 * DECODER. ami_axdr_dec is a pull decoder over borrowed input: it never
 * allocates, never copies (strings come back as spans into the input), and
 * keeps the nesting in a fixed stack. ami_axdr_next() yields one item at a
 * time in document order: a container yields a header item (tag, count) and
 * then its elements; at the end of the top-level value it returns
 * AMI_AXDR_END and ami_axdr_trailing() tells how many input bytes follow it
 * (not an error: one real server sends bytes after the value). For the hot
 * path there are typed getters (ami_axdr_get_u32, ...) that expect one tag
 * and return AMI_E_BAD_TAG without consuming anything otherwise.
 *
 * Errors (sticky in the decoder, except a getter's AMI_E_BAD_TAG):
 *   AMI_E_TRUNCATED    the input ends inside the value (also when a container
 *                      declares more elements than there are bytes left: each
 *                      element needs at least one byte, so a count of 2^32
 *                      fails at once instead of after 2^32 steps)
 *   AMI_E_BAD_TAG      an unknown tag (7, 8, 11, 14, 34..254)
 *   AMI_E_BAD_LENGTH   a length field 0x80 or 0x85..0xFF
 *   AMI_E_DEPTH        containers nested deeper than the decoder's limit
 *   AMI_E_INCONSISTENT a compact array's contents do not split into whole
 *                      elements of its type description
 *   AMI_E_UNSUPPORTED  a compact-array type description with a zero-size type
 *                      (null-data, dont-care, an empty structure or array) or
 *                      a nested compact-array: such descriptions would let a
 *                      few bytes of input stand for unbounded work
 * Booleans: 0 is false and any other byte is read as true (the BOOLEAN rule
 * A-XDR shares with BER); a byte other than 0/1 clears `canonical`, as the
 * re-encoding writes 1.
 *
 * COMPACT ARRAYS (tag 19). TypeDescription grammar:
 *   simple type: its tag alone (e.g. 06 for double-long-unsigned);
 *   array:       01, number-of-elements (2 bytes, big-endian), element type;
 *   structure:   02, count (length-encoded), then each element's type.
 * array-contents is an octet-string holding the element values untagged;
 * strings and bit-strings inside it keep their length prefix. The decoder
 * expands a compact array transparently: a header item (tag 19, count = the
 * number of elements, the description and contents as spans) and then every
 * element, typed by the description and flagged AMI_AXDR_F_COMPACT.
 *
 * ENCODER. ami_axdr_put_* write into an ami_wr (caller memory, sticky error:
 * check w.err once at the end). Container headers are written by
 * ami_axdr_put_array/_struct, then the caller writes exactly that many
 * elements. Compact arrays: build a description with ami_axdr_td_*, then
 * ami_axdr_put_compact_begin, the elements (ami_axdr_put_value with
 * AMI_AXDR_F_COMPACT, or the ami_axdr_raw_* functions),
 * ami_axdr_put_compact_end.
 */
#ifndef AMI_AXDR_H
#define AMI_AXDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ami/ami_buf.h"
#include "ami/ami_cosem_time.h"
#include "ami/ami_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The Data CHOICE tags (Blue Book §4.1.5). */
typedef enum ami_axdr_tag {
  AMI_AXDR_NULL = 0,
  AMI_AXDR_ARRAY = 1,
  AMI_AXDR_STRUCTURE = 2,
  AMI_AXDR_BOOLEAN = 3,
  AMI_AXDR_BIT_STRING = 4,
  AMI_AXDR_DOUBLE_LONG = 5,          /* int32 */
  AMI_AXDR_DOUBLE_LONG_UNSIGNED = 6, /* uint32 */
  AMI_AXDR_OCTET_STRING = 9,
  AMI_AXDR_VISIBLE_STRING = 10,
  AMI_AXDR_UTF8_STRING = 12,
  AMI_AXDR_BCD = 13,           /* one byte */
  AMI_AXDR_INTEGER = 15,       /* int8 */
  AMI_AXDR_LONG = 16,          /* int16 */
  AMI_AXDR_UNSIGNED = 17,      /* uint8 */
  AMI_AXDR_LONG_UNSIGNED = 18, /* uint16 */
  AMI_AXDR_COMPACT_ARRAY = 19,
  AMI_AXDR_LONG64 = 20,          /* int64 */
  AMI_AXDR_LONG64_UNSIGNED = 21, /* uint64 */
  AMI_AXDR_ENUM = 22,            /* uint8 */
  AMI_AXDR_FLOAT32 = 23,
  AMI_AXDR_FLOAT64 = 24,
  AMI_AXDR_DATE_TIME = 25, /* 12 bytes */
  AMI_AXDR_DATE = 26,      /* 5 bytes */
  AMI_AXDR_TIME = 27,      /* 4 bytes */
  AMI_AXDR_DELTA_INTEGER = 28,
  AMI_AXDR_DELTA_LONG = 29,
  AMI_AXDR_DELTA_DOUBLE_LONG = 30,
  AMI_AXDR_DELTA_UNSIGNED = 31,
  AMI_AXDR_DELTA_LONG_UNSIGNED = 32,
  AMI_AXDR_DELTA_DOUBLE_LONG_UNSIGNED = 33,
  AMI_AXDR_DONT_CARE = 255
} ami_axdr_tag;

/* The name the standard gives a tag ("double-long-unsigned"), or NULL for a
 * tag that is not a Data type. Returns a static string. */
const char *ami_axdr_type_name(unsigned tag);

/* Contents size of a fixed-size type (0 for null-data and dont-care), or -1
 * for variable-size types and unknown tags. */
int ami_axdr_fixed_size(unsigned tag);

/* ---------------------------------------------------------------------- */
/* Values */

/* The item flag of compact-array elements: untagged on the wire. */
#define AMI_AXDR_F_COMPACT 0x01u

/* One decoded item, or one item to encode. Which union member is meaningful
 * depends on `tag`:
 *   integer, long, double-long, long64, delta-integer/-long/-double-long: i
 *   unsigned, long-unsigned, double-long-unsigned, long64-unsigned, enum,
 *     bcd, delta-unsigned/-long-unsigned/-double-long-unsigned:        u
 *   float32, float64: u holds the IEEE-754 bit pattern (float32 in the low
 *     32 bits), so NaN payloads survive a round trip; see ami_axdr_value_f64
 *   boolean: b
 *   octet-, visible-, utf8-string: s (borrows the input), count = bytes
 *   bit-string: s = the ceil(count/8) bytes, count = BITS
 *   date-time, date, time: dt, date, time (raw fields, not validated)
 *   array, structure: count = elements (no union member)
 *   compact-array: count = elements; ca.td = the type description and
 *     ca.contents = the array-contents bytes, both borrowing the input
 *   null-data, dont-care: nothing
 * `depth` is the number of containers around the item (0 = top level). */
typedef struct ami_axdr_value {
  uint8_t tag;
  uint8_t flags; /* AMI_AXDR_F_COMPACT */
  uint8_t depth;
  uint32_t count;
  union {
    int64_t i;
    uint64_t u;
    bool b;
    ami_span s;
    ami_cosem_datetime dt;
    ami_cosem_date date;
    ami_cosem_time time;
    struct {
      ami_span td;
      ami_span contents;
    } ca;
  } v;
} ami_axdr_value;

/* Small constructors for values to encode. */
static inline ami_axdr_value ami_axdr_v_int(uint8_t tag, int64_t i) {
  ami_axdr_value v;
  memset(&v, 0, sizeof v);
  v.tag = tag;
  v.v.i = i;
  return v;
}

static inline ami_axdr_value ami_axdr_v_uint(uint8_t tag, uint64_t u) {
  ami_axdr_value v;
  memset(&v, 0, sizeof v);
  v.tag = tag;
  v.v.u = u;
  return v;
}

/* A string value; for bit-string set .count to the number of bits after. */
static inline ami_axdr_value ami_axdr_v_bytes(uint8_t tag, const void *p,
                                              size_t n) {
  ami_axdr_value v;
  memset(&v, 0, sizeof v);
  v.tag = tag;
  v.count = (uint32_t)n;
  v.v.s = ami_span_make(p, n);
  return v;
}

/* An array or structure header with n elements. */
static inline ami_axdr_value ami_axdr_v_container(uint8_t tag, uint32_t n) {
  ami_axdr_value v;
  memset(&v, 0, sizeof v);
  v.tag = tag;
  v.count = n;
  return v;
}

/* A float32/float64 value as a double (float32 widened exactly). */
double ami_axdr_value_f64(const ami_axdr_value *v);

/* ---------------------------------------------------------------------- */
/* Decoder */

#define AMI_AXDR_DEFAULT_DEPTH 16 /* containers, by default */
#define AMI_AXDR_MAX_DEPTH     64 /* hard maximum for set_max_depth */

/* ami_axdr_next's return value at the end of the top-level value. Positive:
 * not an error. */
#define AMI_AXDR_END 1

/* Internal: one open container. mode: 0 = tagged elements; 1 = compact
 * elements all of the description at td; 2 = compact structure fields, td
 * advancing to the next field's description after each one. */
typedef struct ami__axdr_frame {
  uint32_t left; /* elements still to come */
  uint8_t mode;
  size_t td; /* offset of the next element's type description */
} ami__axdr_frame;

/* The decoder. Fields are read-only to callers, except through the
 * functions below; `p` borrows the input, which must outlive the decoder and
 * every span it returned. */
typedef struct ami_axdr_dec {
  const uint8_t *p;
  size_t len;
  size_t pos;        /* next byte to read */
  size_t end;        /* offset just past the top-level value, once done */
  int err;           /* sticky error, 0 while healthy */
  uint8_t depth;     /* open containers */
  uint8_t max_depth; /* limit on depth */
  bool done;         /* the top-level value is complete */
  bool canonical;    /* no non-minimal length and no boolean other than 0/1
                        seen so far: re-encoding gives the same bytes */
  ami__axdr_frame stack[AMI_AXDR_MAX_DEPTH];
} ami_axdr_dec;

/* Start decoding one value at the beginning of (p, len). Cannot fail. `p`
 * is borrowed. Depth limit AMI_AXDR_DEFAULT_DEPTH. */
void ami_axdr_dec_init(ami_axdr_dec *d, const void *p, size_t len);

/* Change the depth limit (1..AMI_AXDR_MAX_DEPTH) before decoding starts;
 * AMI_E_INVAL otherwise. */
int ami_axdr_dec_set_max_depth(ami_axdr_dec *d, unsigned max_depth);

/* Once a value is done, start on a further value that follows it in the
 * same input (lists of Data). AMI_E_STATE if the current value is not done
 * or the decoder has failed. */
int ami_axdr_dec_continue(ami_axdr_dec *d);

/* Yield the next item into *v: AMI_OK, AMI_AXDR_END once the top-level value
 * is complete (again on every further call), or an error (sticky). Strings in
 * *v borrow the input. */
int ami_axdr_next(ami_axdr_dec *d, ami_axdr_value *v);

/* The tag of the next item without consuming it (for a compact-array
 * element, the tag from its type description). AMI_AXDR_END when done. */
int ami_axdr_peek_tag(const ami_axdr_dec *d, uint8_t *tag);

/* Skip one complete value (a whole container with everything inside it),
 * checking it as ami_axdr_next does. */
int ami_axdr_skip(ami_axdr_dec *d);

static inline bool ami_axdr_done(const ami_axdr_dec *d) {
  return d->done;
}
static inline size_t ami_axdr_pos(const ami_axdr_dec *d) {
  return d->pos;
}
/* Bytes after the end of the top-level value (meaningful once done). */
static inline size_t ami_axdr_trailing(const ami_axdr_dec *d) {
  return d->done ? d->len - d->end : 0;
}

/* Walk one complete value at the start of `in`: AMI_OK and *consumed = its
 * length (bytes after it are allowed and not looked at), or the first error.
 * `consumed` may be NULL. Default depth limit. */
int ami_axdr_validate(ami_span in, size_t *consumed);

/* ---- typed getters ------------------------------------------------------- */
/* Each expects one type: on another tag it returns AMI_E_BAD_TAG and
 * consumes nothing (the decoder stays usable). Truncation and malformed
 * input fail as in ami_axdr_next. Inside compact arrays they work the same
 * (the type comes from the description). On any failure the output is
 * zeroed (never left unset), so callers need no initialisation. */

/* Internals used by the inline getters. */
int ami__axdr_get_slow(ami_axdr_dec *d, uint8_t tag, ami_axdr_value *v);
int ami__axdr_open(ami_axdr_dec *d, uint32_t count, uint8_t mode, size_t td);
void ami__axdr_td_advance(ami_axdr_dec *d, ami__axdr_frame *f);

/* True when the next item is a tagged one and the decoder is healthy. */
static inline bool ami__axdr_fast(const ami_axdr_dec *d) {
  return d->err == AMI_OK && !d->done &&
         (d->depth == 0 || d->stack[d->depth - 1].mode == 0);
}

/* One element finished: count it in the enclosing containers, closing those
 * that are now complete, and mark the top-level value done at depth 0. */
static inline void ami__axdr_complete(ami_axdr_dec *d) {
  while (d->depth > 0) {
    ami__axdr_frame *f = &d->stack[d->depth - 1];
    if (f->mode == 2)
      ami__axdr_td_advance(d, f);
    if (--f->left > 0)
      return;
    d->depth--;
  }
  d->done = true;
  d->end = d->pos;
}

/* Fast path for a tagged fixed-size scalar: check the tag and the length,
 * consume, and return a pointer to the contents. */
static inline int ami__axdr_take(ami_axdr_dec *d, uint8_t tag, size_t n,
                                 const uint8_t **q) {
  size_t left = d->len - d->pos;
  const uint8_t *b = d->p + d->pos;
  if (left == 0)
    return d->err = AMI_E_TRUNCATED;
  if (b[0] != tag)
    return AMI_E_BAD_TAG;
  if (left - 1 < n)
    return d->err = AMI_E_TRUNCATED;
  *q = b + 1;
  d->pos += 1 + n;
  ami__axdr_complete(d);
  return AMI_OK;
}

static inline uint64_t ami__axdr_be(const uint8_t *b, size_t n) {
  uint64_t x = 0;
  for (size_t i = 0; i < n; i++)
    x = (x << 8) | b[i];
  return x;
}

/* Generates ami_axdr_get_<name>(d, TYPE *out) for a fixed-size integer. */
#define AMI__AXDR_GETTER(name, type, tag, n, member, conv)                     \
  static inline int ami_axdr_get_##name(ami_axdr_dec *d, type *out) {          \
    if (ami__axdr_fast(d)) {                                                   \
      const uint8_t *q;                                                        \
      int rc_ = ami__axdr_take(d, tag, n, &q);                                 \
      *out = rc_ == AMI_OK ? conv(ami__axdr_be(q, n)) : (type)0;               \
      return rc_;                                                              \
    }                                                                          \
    ami_axdr_value v_;                                                         \
    int rc_ = ami__axdr_get_slow(d, tag, &v_);                                 \
    *out = rc_ == AMI_OK ? (type)v_.v.member : (type)0;                        \
    return rc_;                                                                \
  }

/* Two's complement reinterpretation without implementation-defined casts. */
static inline int8_t ami__axdr_s8(uint64_t x) {
  return (int8_t)(x >= 0x80u ? (int)x - 0x100 : (int)x);
}
static inline int16_t ami__axdr_s16(uint64_t x) {
  return (int16_t)(x >= 0x8000u ? (long)x - 0x10000L : (long)x);
}
static inline int32_t ami__axdr_s32(uint64_t x) {
  return (int32_t)(x >= 0x80000000u ? (int64_t)x - 0x100000000LL : (int64_t)x);
}
static inline int64_t ami__axdr_s64(uint64_t x) {
  return x >> 63 ? -(int64_t)(~x) - 1 : (int64_t)x;
}
#define AMI__AXDR_U8(x)  ((uint8_t)(x))
#define AMI__AXDR_U16(x) ((uint16_t)(x))
#define AMI__AXDR_U32(x) ((uint32_t)(x))
#define AMI__AXDR_U64(x) ((uint64_t)(x))

AMI__AXDR_GETTER(u8, uint8_t, AMI_AXDR_UNSIGNED, 1, u, AMI__AXDR_U8)
AMI__AXDR_GETTER(u16, uint16_t, AMI_AXDR_LONG_UNSIGNED, 2, u, AMI__AXDR_U16)
AMI__AXDR_GETTER(u32, uint32_t, AMI_AXDR_DOUBLE_LONG_UNSIGNED, 4, u,
                 AMI__AXDR_U32)
AMI__AXDR_GETTER(u64, uint64_t, AMI_AXDR_LONG64_UNSIGNED, 8, u, AMI__AXDR_U64)
AMI__AXDR_GETTER(i8, int8_t, AMI_AXDR_INTEGER, 1, i, ami__axdr_s8)
AMI__AXDR_GETTER(i16, int16_t, AMI_AXDR_LONG, 2, i, ami__axdr_s16)
AMI__AXDR_GETTER(i32, int32_t, AMI_AXDR_DOUBLE_LONG, 4, i, ami__axdr_s32)
AMI__AXDR_GETTER(i64, int64_t, AMI_AXDR_LONG64, 8, i, ami__axdr_s64)
AMI__AXDR_GETTER(enum, uint8_t, AMI_AXDR_ENUM, 1, u, AMI__AXDR_U8)
AMI__AXDR_GETTER(bcd, uint8_t, AMI_AXDR_BCD, 1, u, AMI__AXDR_U8)
AMI__AXDR_GETTER(float32_bits, uint32_t, AMI_AXDR_FLOAT32, 4, u, AMI__AXDR_U32)
AMI__AXDR_GETTER(float64_bits, uint64_t, AMI_AXDR_FLOAT64, 8, u, AMI__AXDR_U64)

/* boolean: any non-zero byte is true. */
static inline int ami_axdr_get_bool(ami_axdr_dec *d, bool *out) {
  ami_axdr_value v;
  int rc = ami__axdr_get_slow(d, AMI_AXDR_BOOLEAN, &v);
  *out = rc == AMI_OK ? v.v.b : false;
  return rc;
}

/* null-data. */
static inline int ami_axdr_get_null(ami_axdr_dec *d) {
  ami_axdr_value v;
  return ami__axdr_get_slow(d, AMI_AXDR_NULL, &v);
}

/* float32 / float64 as numbers (NaN payloads: use the _bits getters). */
int ami_axdr_get_float32(ami_axdr_dec *d, float *out);
int ami_axdr_get_float64(ami_axdr_dec *d, double *out);

/* Container headers: *n receives the element count; the elements follow. */
static inline int ami__axdr_get_container(ami_axdr_dec *d, uint8_t tag,
                                          uint32_t *n) {
  if (ami__axdr_fast(d) && d->len - d->pos >= 2 && d->p[d->pos] == tag &&
      d->p[d->pos + 1] < 0x80) {
    uint32_t c = d->p[d->pos + 1];
    d->pos += 2;
    int rc = ami__axdr_open(d, c, 0, 0);
    *n = rc == AMI_OK ? c : 0;
    return rc;
  }
  ami_axdr_value v;
  int rc = ami__axdr_get_slow(d, tag, &v);
  *n = rc == AMI_OK ? v.count : 0;
  return rc;
}

static inline int ami_axdr_get_struct(ami_axdr_dec *d, uint32_t *n) {
  return ami__axdr_get_container(d, AMI_AXDR_STRUCTURE, n);
}

static inline int ami_axdr_get_array(ami_axdr_dec *d, uint32_t *n) {
  return ami__axdr_get_container(d, AMI_AXDR_ARRAY, n);
}

/* A string of the given tag (octet-, visible-, utf8-string): *s borrows the
 * input. */
static inline int ami_axdr_get_string(ami_axdr_dec *d, uint8_t tag,
                                      ami_span *s) {
  if (ami__axdr_fast(d) && d->len - d->pos >= 2 && d->p[d->pos] == tag &&
      d->p[d->pos + 1] < 0x80) {
    size_t n = d->p[d->pos + 1];
    if (d->len - d->pos - 2 < n) {
      *s = ami_span_make(NULL, 0);
      return d->err = AMI_E_TRUNCATED;
    }
    s->p = d->p + d->pos + 2;
    s->len = n;
    d->pos += 2 + n;
    ami__axdr_complete(d);
    return AMI_OK;
  }
  ami_axdr_value v;
  int rc = ami__axdr_get_slow(d, tag, &v);
  *s = rc == AMI_OK ? v.v.s : ami_span_make(NULL, 0);
  return rc;
}

static inline int ami_axdr_get_octets(ami_axdr_dec *d, ami_span *s) {
  return ami_axdr_get_string(d, AMI_AXDR_OCTET_STRING, s);
}

/* bit-string: *s = the bytes, *nbits = the length in bits. */
int ami_axdr_get_bitstring(ami_axdr_dec *d, ami_span *s, uint32_t *nbits);

/* A date-time given either as tag 25 or, as COSEM attributes usually are,
 * as an octet-string of exactly 12 bytes. Anything else (including an
 * octet-string of another length) is AMI_E_BAD_TAG, nothing consumed. The
 * fields are raw: validate with ami_cosem_datetime_validate. */
int ami_axdr_get_datetime(ami_axdr_dec *d, ami_cosem_datetime *dt);
/* Likewise date (tag 26 or octet-string(5)) and time (27 or octet-string(4)).
 */
int ami_axdr_get_date(ami_axdr_dec *d, ami_cosem_date *date);
int ami_axdr_get_time(ami_axdr_dec *d, ami_cosem_time *time);

/* ---------------------------------------------------------------------- */
/* Encoder. All functions write into `w` (caller memory) and leave errors in
 * w->err: AMI_E_BUFFER_FULL, AMI_E_RANGE (a length over 2^32-1),
 * AMI_E_BAD_TAG (ami_axdr_put_value of an unknown tag). */

/* A length or count, minimal form. */
static inline void ami_axdr_put_len(ami_wr *w, size_t n) {
  if (n < 0x80) {
    ami_wr_u8(w, (uint8_t)n);
    return;
  }
  unsigned k = n <= 0xFFu ? 1 : n <= 0xFFFFu ? 2 : n <= 0xFFFFFFu ? 3 : 4;
  if ((uint64_t)n > 0xFFFFFFFFu) {
    if (w->err == AMI_OK)
      w->err = AMI_E_RANGE;
    return;
  }
  uint8_t *d = ami_wr_reserve(w, 1 + k);
  if (d) {
    d[0] = (uint8_t)(0x80u | k);
    for (unsigned i = k; i > 0; i--, n >>= 8)
      d[i] = (uint8_t)n;
  }
}

/* Untagged contents (the compact-array element forms). */
static inline void ami__axdr_raw_be(ami_wr *w, uint64_t x, size_t n) {
  uint8_t *d = ami_wr_reserve(w, n);
  if (d)
    for (size_t i = n; i > 0; i--, x >>= 8)
      d[i - 1] = (uint8_t)x;
}
static inline void ami_axdr_raw_u8(ami_wr *w, uint8_t x) {
  ami_wr_u8(w, x);
}
static inline void ami_axdr_raw_u16(ami_wr *w, uint16_t x) {
  ami_wr_u16be(w, x);
}
static inline void ami_axdr_raw_u32(ami_wr *w, uint32_t x) {
  ami_wr_u32be(w, x);
}
static inline void ami_axdr_raw_u64(ami_wr *w, uint64_t x) {
  ami_wr_u64be(w, x);
}
static inline void ami_axdr_raw_octets(ami_wr *w, const void *p, size_t n) {
  ami_axdr_put_len(w, n);
  ami_wr_bytes(w, p, n);
}

/* Tagged scalars: tag and contents in one reservation. */
static inline void ami__axdr_put_fixed(ami_wr *w, uint8_t tag, uint64_t x,
                                       size_t n) {
  uint8_t *d = ami_wr_reserve(w, 1 + n);
  if (d) {
    d[0] = tag;
    for (size_t i = n; i > 0; i--, x >>= 8)
      d[i] = (uint8_t)x;
  }
}

static inline void ami_axdr_put_null(ami_wr *w) {
  ami_wr_u8(w, AMI_AXDR_NULL);
}
static inline void ami_axdr_put_dont_care(ami_wr *w) {
  ami_wr_u8(w, AMI_AXDR_DONT_CARE);
}
static inline void ami_axdr_put_bool(ami_wr *w, bool b) {
  ami__axdr_put_fixed(w, AMI_AXDR_BOOLEAN, b ? 1 : 0, 1);
}
static inline void ami_axdr_put_u8(ami_wr *w, uint8_t x) {
  ami__axdr_put_fixed(w, AMI_AXDR_UNSIGNED, x, 1);
}
static inline void ami_axdr_put_u16(ami_wr *w, uint16_t x) {
  ami__axdr_put_fixed(w, AMI_AXDR_LONG_UNSIGNED, x, 2);
}
static inline void ami_axdr_put_u32(ami_wr *w, uint32_t x) {
  ami__axdr_put_fixed(w, AMI_AXDR_DOUBLE_LONG_UNSIGNED, x, 4);
}
static inline void ami_axdr_put_u64(ami_wr *w, uint64_t x) {
  ami__axdr_put_fixed(w, AMI_AXDR_LONG64_UNSIGNED, x, 8);
}
static inline void ami_axdr_put_i8(ami_wr *w, int8_t x) {
  ami__axdr_put_fixed(w, AMI_AXDR_INTEGER, (uint64_t)(int64_t)x, 1);
}
static inline void ami_axdr_put_i16(ami_wr *w, int16_t x) {
  ami__axdr_put_fixed(w, AMI_AXDR_LONG, (uint64_t)(int64_t)x, 2);
}
static inline void ami_axdr_put_i32(ami_wr *w, int32_t x) {
  ami__axdr_put_fixed(w, AMI_AXDR_DOUBLE_LONG, (uint64_t)(int64_t)x, 4);
}
static inline void ami_axdr_put_i64(ami_wr *w, int64_t x) {
  ami__axdr_put_fixed(w, AMI_AXDR_LONG64, (uint64_t)x, 8);
}
static inline void ami_axdr_put_enum(ami_wr *w, uint8_t x) {
  ami__axdr_put_fixed(w, AMI_AXDR_ENUM, x, 1);
}
static inline void ami_axdr_put_bcd(ami_wr *w, uint8_t x) {
  ami__axdr_put_fixed(w, AMI_AXDR_BCD, x, 1);
}
/* delta-integer .. delta-double-long-unsigned (tags 28..33). */
static inline void ami_axdr_put_delta_i8(ami_wr *w, int8_t x) {
  ami__axdr_put_fixed(w, AMI_AXDR_DELTA_INTEGER, (uint64_t)(int64_t)x, 1);
}
static inline void ami_axdr_put_delta_i16(ami_wr *w, int16_t x) {
  ami__axdr_put_fixed(w, AMI_AXDR_DELTA_LONG, (uint64_t)(int64_t)x, 2);
}
static inline void ami_axdr_put_delta_i32(ami_wr *w, int32_t x) {
  ami__axdr_put_fixed(w, AMI_AXDR_DELTA_DOUBLE_LONG, (uint64_t)(int64_t)x, 4);
}
static inline void ami_axdr_put_delta_u8(ami_wr *w, uint8_t x) {
  ami__axdr_put_fixed(w, AMI_AXDR_DELTA_UNSIGNED, x, 1);
}
static inline void ami_axdr_put_delta_u16(ami_wr *w, uint16_t x) {
  ami__axdr_put_fixed(w, AMI_AXDR_DELTA_LONG_UNSIGNED, x, 2);
}
static inline void ami_axdr_put_delta_u32(ami_wr *w, uint32_t x) {
  ami__axdr_put_fixed(w, AMI_AXDR_DELTA_DOUBLE_LONG_UNSIGNED, x, 4);
}
/* Floats by bit pattern (exact) or by value. */
static inline void ami_axdr_put_float32_bits(ami_wr *w, uint32_t bits) {
  ami__axdr_put_fixed(w, AMI_AXDR_FLOAT32, bits, 4);
}
static inline void ami_axdr_put_float64_bits(ami_wr *w, uint64_t bits) {
  ami__axdr_put_fixed(w, AMI_AXDR_FLOAT64, bits, 8);
}
static inline void ami_axdr_put_float32(ami_wr *w, float f) {
  uint32_t bits;
  memcpy(&bits, &f, 4);
  ami_axdr_put_float32_bits(w, bits);
}
static inline void ami_axdr_put_float64(ami_wr *w, double f) {
  uint64_t bits;
  memcpy(&bits, &f, 8);
  ami_axdr_put_float64_bits(w, bits);
}

/* Container headers; the caller then writes exactly n elements. */
static inline void ami_axdr_put_array(ami_wr *w, size_t n) {
  ami_wr_u8(w, AMI_AXDR_ARRAY);
  ami_axdr_put_len(w, n);
}
static inline void ami_axdr_put_struct(ami_wr *w, size_t n) {
  ami_wr_u8(w, AMI_AXDR_STRUCTURE);
  ami_axdr_put_len(w, n);
}

/* Strings. `p` is copied. */
static inline void ami_axdr_put_string(ami_wr *w, uint8_t tag, const void *p,
                                       size_t n) {
  ami_wr_u8(w, tag);
  ami_axdr_raw_octets(w, p, n);
}
static inline void ami_axdr_put_octets(ami_wr *w, const void *p, size_t n) {
  ami_axdr_put_string(w, AMI_AXDR_OCTET_STRING, p, n);
}
static inline void ami_axdr_put_visible(ami_wr *w, const void *p, size_t n) {
  ami_axdr_put_string(w, AMI_AXDR_VISIBLE_STRING, p, n);
}
static inline void ami_axdr_put_utf8(ami_wr *w, const void *p, size_t n) {
  ami_axdr_put_string(w, AMI_AXDR_UTF8_STRING, p, n);
}
/* bit-string of nbits bits taken from ceil(nbits/8) bytes at p. */
void ami_axdr_put_bitstring(ami_wr *w, const void *p, size_t nbits);

/* date-time (tag 25), date (26), time (27). */
void ami_axdr_put_datetime(ami_wr *w, const ami_cosem_datetime *dt);
void ami_axdr_put_date(ami_wr *w, const ami_cosem_date *date);
void ami_axdr_put_time(ami_wr *w, const ami_cosem_time *time);
/* The form most COSEM attributes use: octet-string(12). */
void ami_axdr_put_datetime_octets(ami_wr *w, const ami_cosem_datetime *dt);

/* Type descriptions (for compact arrays): prefix notation written straight
 * into a writer. td_array is followed by one description (the element's),
 * td_struct by n descriptions. */
static inline void ami_axdr_td_simple(ami_wr *w, uint8_t tag) {
  ami_wr_u8(w, tag);
}
static inline void ami_axdr_td_array(ami_wr *w, uint16_t n) {
  ami_wr_u8(w, AMI_AXDR_ARRAY);
  ami_wr_u16be(w, n);
}
static inline void ami_axdr_td_struct(ami_wr *w, size_t n) {
  ami_wr_u8(w, AMI_AXDR_STRUCTURE);
  ami_axdr_put_len(w, n);
}

/* Compact array: begin writes tag 19 and the description (copied); the
 * caller then writes the untagged elements; end writes the contents length
 * in front of them (moving them if the length needs more than one byte).
 * `c` is the caller's bookkeeping between the two calls. */
typedef struct ami_axdr_compact {
  size_t start; /* offset in the writer of the contents */
} ami_axdr_compact;

void ami_axdr_put_compact_begin(ami_wr *w, ami_span type_desc,
                                ami_axdr_compact *c);
void ami_axdr_put_compact_end(ami_wr *w, const ami_axdr_compact *c);

/* Write one item as the decoder yields it: tag and contents; for array and
 * structure only the header; for a compact-array header the whole compact
 * array (tag, ca.td, ca.contents verbatim). With AMI_AXDR_F_COMPACT set the
 * item is written untagged (and container headers write nothing), as
 * elements inside ami_axdr_put_compact_begin/_end must be. */
void ami_axdr_put_value(ami_wr *w, const ami_axdr_value *v);

#ifdef __cplusplus
}
#endif
#endif /* AMI_AXDR_H */
