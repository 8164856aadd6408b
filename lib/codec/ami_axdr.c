/*
 * ami_axdr.c -- the A-XDR pull decoder (Blue Book / IEC 62056-6-2 §4.1.5 data
 * types, A-XDR rules of IEC 61334-6), including the transparent expansion of
 * compact arrays. The inline fast paths live in ami_axdr.h; everything here
 * is the general path they fall back to.
 *
 * Decoder state, per item:
 *
 *   next() --> [tag: from the input, or from the type description when the
 *              innermost open container holds compact elements]
 *          --> [contents: fixed size, length + bytes, count, or a whole
 *              compact-array header]
 *          --> container with elements?  yes: push a frame (open)
 *                                        no:  complete(): count it in the
 *                                             frames, pop finished ones,
 *                                             depth 0 -> done
 *
 * Hostile-input limits: the nesting stack is fixed (AMI_AXDR_MAX_DEPTH), a
 * container's count must fit the remaining bytes (one byte per element at
 * least), and a compact array's description is checked before its contents
 * are walked, so every step of the walk consumes input.
 */
#include "ami/ami_axdr.h"

/* Internal frame modes. */
enum { MODE_TAGGED = 0, MODE_COMPACT = 1, MODE_COMPACT_STRUCT = 2 };

/* ---- type table ---------------------------------------------------------- */

typedef struct type_info {
  const char *name;
  int8_t size; /* contents size of fixed-size types, -1 otherwise */
} type_info;

/* Indexed by tag 0..33; 255 handled separately. Blue Book §4.1.5. */
static const type_info types[34] = {
    [AMI_AXDR_NULL] = {"null-data", 0},
    [AMI_AXDR_ARRAY] = {"array", -1},
    [AMI_AXDR_STRUCTURE] = {"structure", -1},
    [AMI_AXDR_BOOLEAN] = {"boolean", 1},
    [AMI_AXDR_BIT_STRING] = {"bit-string", -1},
    [AMI_AXDR_DOUBLE_LONG] = {"double-long", 4},
    [AMI_AXDR_DOUBLE_LONG_UNSIGNED] = {"double-long-unsigned", 4},
    [AMI_AXDR_OCTET_STRING] = {"octet-string", -1},
    [AMI_AXDR_VISIBLE_STRING] = {"visible-string", -1},
    [AMI_AXDR_UTF8_STRING] = {"utf8-string", -1},
    [AMI_AXDR_BCD] = {"bcd", 1},
    [AMI_AXDR_INTEGER] = {"integer", 1},
    [AMI_AXDR_LONG] = {"long", 2},
    [AMI_AXDR_UNSIGNED] = {"unsigned", 1},
    [AMI_AXDR_LONG_UNSIGNED] = {"long-unsigned", 2},
    [AMI_AXDR_COMPACT_ARRAY] = {"compact-array", -1},
    [AMI_AXDR_LONG64] = {"long64", 8},
    [AMI_AXDR_LONG64_UNSIGNED] = {"long64-unsigned", 8},
    [AMI_AXDR_ENUM] = {"enum", 1},
    [AMI_AXDR_FLOAT32] = {"float32", 4},
    [AMI_AXDR_FLOAT64] = {"float64", 8},
    [AMI_AXDR_DATE_TIME] = {"date-time", 12},
    [AMI_AXDR_DATE] = {"date", 5},
    [AMI_AXDR_TIME] = {"time", 4},
    [AMI_AXDR_DELTA_INTEGER] = {"delta-integer", 1},
    [AMI_AXDR_DELTA_LONG] = {"delta-long", 2},
    [AMI_AXDR_DELTA_DOUBLE_LONG] = {"delta-double-long", 4},
    [AMI_AXDR_DELTA_UNSIGNED] = {"delta-unsigned", 1},
    [AMI_AXDR_DELTA_LONG_UNSIGNED] = {"delta-long-unsigned", 2},
    [AMI_AXDR_DELTA_DOUBLE_LONG_UNSIGNED] = {"delta-double-long-unsigned", 4},
};

const char *ami_axdr_type_name(unsigned tag) {
  if (tag == AMI_AXDR_DONT_CARE)
    return "dont-care";
  if (tag < 34)
    return types[tag].name; /* NULL for the unused tags 7, 8, 11, 14 */
  return NULL;
}

int ami_axdr_fixed_size(unsigned tag) {
  if (tag == AMI_AXDR_DONT_CARE)
    return 0;
  if (tag < 34 && types[tag].name != NULL)
    return types[tag].size;
  return -1;
}

static bool is_signed(unsigned tag) {
  switch (tag) {
  case AMI_AXDR_INTEGER:
  case AMI_AXDR_LONG:
  case AMI_AXDR_DOUBLE_LONG:
  case AMI_AXDR_LONG64:
  case AMI_AXDR_DELTA_INTEGER:
  case AMI_AXDR_DELTA_LONG:
  case AMI_AXDR_DELTA_DOUBLE_LONG:
    return true;
  default:
    return false;
  }
}

static bool is_string(unsigned tag) {
  return tag == AMI_AXDR_OCTET_STRING || tag == AMI_AXDR_VISIBLE_STRING ||
         tag == AMI_AXDR_UTF8_STRING || tag == AMI_AXDR_BIT_STRING;
}

/* Sign-extend an n-byte big-endian two's complement number. */
static int64_t sign_extend(uint64_t x, size_t n) {
  if (n == 8)
    return ami__axdr_s64(x);
  uint64_t sign = (uint64_t)1 << (8 * n - 1);
  return (x & sign) ? (int64_t)x - (int64_t)(sign << 1) : (int64_t)x;
}

double ami_axdr_value_f64(const ami_axdr_value *v) {
  if (v->tag == AMI_AXDR_FLOAT32) {
    uint32_t bits = (uint32_t)v->v.u;
    float f;
    memcpy(&f, &bits, 4);
    return f;
  }
  double f;
  memcpy(&f, &v->v.u, 8);
  return f;
}

/* ---- lengths ------------------------------------------------------------- */

/* Read a length at p[*off] (bounded by `end`): AMI_OK, AMI_E_TRUNCATED,
 * AMI_E_BAD_LENGTH. *minimal tells whether the shortest form was used. */
static int len_at(const uint8_t *p, size_t end, size_t *off, uint32_t *n,
                  bool *minimal) {
  if (*off >= end)
    return AMI_E_TRUNCATED;
  uint8_t b0 = p[*off];
  if (b0 < 0x80) {
    *n = b0;
    *minimal = true;
    *off += 1;
    return AMI_OK;
  }
  unsigned k = b0 & 0x7Fu;
  if (k == 0 || k > 4)
    return AMI_E_BAD_LENGTH;
  if (end - *off - 1 < k)
    return AMI_E_TRUNCATED;
  uint32_t v = (uint32_t)ami__axdr_be(p + *off + 1, k);
  *minimal = k == 1 ? v >= 0x80 : v >= ((uint32_t)1 << (8 * (k - 1)));
  *n = v;
  *off += 1 + k;
  return AMI_OK;
}

/* ---- compact-array type descriptions ------------------------------------- */

/* Check the description at p[*off] (input bounded by `len`): grammar, tags,
 * nesting at most `levels` containers deep, and no zero-size type (see the
 * header). Advances *off past it. Recursion depth <= AMI_AXDR_MAX_DEPTH. */
static int td_check(const uint8_t *p, size_t len, size_t *off,
                    unsigned levels) {
  if (*off >= len)
    return AMI_E_TRUNCATED;
  uint8_t t = p[(*off)++];
  if (t == AMI_AXDR_ARRAY || t == AMI_AXDR_STRUCTURE) {
    uint32_t n;
    if (t == AMI_AXDR_ARRAY) {
      if (len - *off < 2)
        return AMI_E_TRUNCATED;
      n = (uint32_t)ami__axdr_be(p + *off, 2);
      *off += 2;
    } else {
      bool minimal;
      int rc = len_at(p, len, off, &n, &minimal);
      if (rc != AMI_OK)
        return rc;
      if (n > len - *off) /* each description takes a byte at least */
        return AMI_E_TRUNCATED;
    }
    if (n == 0)
      return AMI_E_UNSUPPORTED;
    if (levels == 0)
      return AMI_E_DEPTH;
    uint32_t fields = t == AMI_AXDR_ARRAY ? 1 : n;
    for (uint32_t i = 0; i < fields; i++) {
      int rc = td_check(p, len, off, levels - 1);
      if (rc != AMI_OK)
        return rc;
    }
    return AMI_OK;
  }
  if (is_string(t))
    return AMI_OK;
  int size = ami_axdr_fixed_size(t);
  if (size > 0)
    return AMI_OK;
  if (size == 0)
    return AMI_E_UNSUPPORTED; /* null-data, dont-care */
  return t == AMI_AXDR_COMPACT_ARRAY ? AMI_E_UNSUPPORTED : AMI_E_BAD_TAG;
}

/* The offset just past the (already checked) description at `td`. Iterative:
 * `need` counts descriptions still to skip. */
static size_t td_end(const uint8_t *p, size_t len, size_t td) {
  uint64_t need = 1;
  while (need > 0 && td < len) {
    uint8_t t = p[td++];
    need--;
    if (t == AMI_AXDR_ARRAY) {
      td += 2;
      need += 1;
    } else if (t == AMI_AXDR_STRUCTURE) {
      uint32_t n = 0;
      bool minimal;
      if (len_at(p, len, &td, &n, &minimal) != AMI_OK)
        return len; /* cannot happen for a checked description */
      need += n;
    }
  }
  return td;
}

void ami__axdr_td_advance(ami_axdr_dec *d, ami__axdr_frame *f) {
  f->td = td_end(d->p, d->len, f->td);
}

/* Walk one element of type `td` in the contents p[*q..end): used to count
 * the elements of a compact array before yielding them. An element that
 * does not fit in the contents is AMI_E_INCONSISTENT. */
static int ca_walk(const uint8_t *p, size_t len, size_t end, size_t *q,
                   size_t td) {
  uint8_t t = p[td];
  if (t == AMI_AXDR_ARRAY) {
    uint32_t n = (uint32_t)ami__axdr_be(p + td + 1, 2);
    for (uint32_t i = 0; i < n; i++) {
      int rc = ca_walk(p, len, end, q, td + 3);
      if (rc != AMI_OK)
        return rc;
    }
    return AMI_OK;
  }
  if (t == AMI_AXDR_STRUCTURE) {
    size_t f = td + 1;
    uint32_t n;
    bool minimal;
    if (len_at(p, len, &f, &n, &minimal) != AMI_OK)
      return AMI_E_INCONSISTENT; /* cannot happen for a checked description */
    for (uint32_t i = 0; i < n; i++) {
      int rc = ca_walk(p, len, end, q, f);
      if (rc != AMI_OK)
        return rc;
      f = td_end(p, len, f);
    }
    return AMI_OK;
  }
  size_t size;
  if (is_string(t)) {
    uint32_t n;
    bool minimal;
    int rc = len_at(p, end, q, &n, &minimal);
    if (rc == AMI_E_TRUNCATED)
      return AMI_E_INCONSISTENT;
    if (rc != AMI_OK)
      return rc;
    size = t == AMI_AXDR_BIT_STRING ? ((size_t)n + 7) / 8 : n;
  } else {
    size = (size_t)ami_axdr_fixed_size(t);
  }
  if (end - *q < size)
    return AMI_E_INCONSISTENT;
  *q += size;
  return AMI_OK;
}

/* ---- the decoder --------------------------------------------------------- */

void ami_axdr_dec_init(ami_axdr_dec *d, const void *p, size_t len) {
  d->p = (const uint8_t *)p;
  d->len = p ? len : 0;
  d->pos = 0;
  d->end = 0;
  d->err = AMI_OK;
  d->depth = 0;
  d->max_depth = AMI_AXDR_DEFAULT_DEPTH;
  d->done = false;
  d->canonical = true;
}

int ami_axdr_dec_set_max_depth(ami_axdr_dec *d, unsigned max_depth) {
  if (max_depth < 1 || max_depth > AMI_AXDR_MAX_DEPTH || d->pos != 0)
    return AMI_E_INVAL;
  d->max_depth = (uint8_t)max_depth;
  return AMI_OK;
}

int ami_axdr_dec_continue(ami_axdr_dec *d) {
  if (d->err != AMI_OK || !d->done)
    return AMI_E_STATE;
  d->done = false;
  return AMI_OK;
}

static int fail(ami_axdr_dec *d, int err) {
  d->err = err;
  return err;
}

/* Open a container of `count` elements whose header has just been read.
 * Tagged elements need a byte each, so a count beyond the remaining input
 * is truncation; an empty container is complete at once. */
int ami__axdr_open(ami_axdr_dec *d, uint32_t count, uint8_t mode, size_t td) {
  if (mode == MODE_TAGGED && count > d->len - d->pos)
    return fail(d, AMI_E_TRUNCATED);
  if (count == 0) {
    ami__axdr_complete(d);
    return AMI_OK;
  }
  if (d->depth >= d->max_depth)
    return fail(d, AMI_E_DEPTH);
  ami__axdr_frame *f = &d->stack[d->depth++];
  f->left = count;
  f->mode = mode;
  f->td = td;
  return AMI_OK;
}

int ami_axdr_peek_tag(const ami_axdr_dec *d, uint8_t *tag) {
  if (d->err != AMI_OK)
    return d->err;
  if (d->done)
    return AMI_AXDR_END;
  if (d->depth > 0 && d->stack[d->depth - 1].mode != MODE_TAGGED) {
    *tag = d->p[d->stack[d->depth - 1].td];
    return AMI_OK;
  }
  if (d->pos >= d->len)
    return AMI_E_TRUNCATED;
  *tag = d->p[d->pos];
  return AMI_OK;
}

/* A compact-array header at d->pos (just after the tag): check the
 * description, read the contents length, count the elements, and fill the
 * header item. The caller opens the frame that yields the elements.
 * Blue Book §4.1.5 (compact-array). */
static int read_compact(ami_axdr_dec *d, size_t *pos, ami_axdr_value *v) {
  if (d->depth >= d->max_depth)
    return AMI_E_DEPTH;
  size_t td = *pos;
  size_t off = td; /* advances past the description; td stays */
  /* The compact array is one level; its description may nest the rest. */
  int rc =
      td_check(d->p, d->len, &off, (unsigned)(d->max_depth - d->depth - 1));
  if (rc != AMI_OK)
    return rc;
  size_t td_stop = off;
  uint32_t clen;
  bool minimal;
  rc = len_at(d->p, d->len, &off, &clen, &minimal);
  if (rc != AMI_OK)
    return rc;
  if (!minimal)
    d->canonical = false;
  if (clen > d->len - off)
    return AMI_E_TRUNCATED;
  size_t start = off, end = off + clen, q = start;
  uint32_t count = 0;
  while (q < end) {
    rc = ca_walk(d->p, d->len, end, &q, td);
    if (rc != AMI_OK)
      return rc;
    count++;
  }
  v->count = count;
  v->v.ca.td = ami_span_make(d->p + td, td_stop - td);
  v->v.ca.contents = ami_span_make(d->p + start, clen);
  *pos = start; /* the elements are read from the contents, in place */
  return AMI_OK;
}

/* Read the contents of an item of type `tag` at *pos (the tag itself is
 * already consumed, or implied by a compact description at `td`). Fills *v;
 * containers get their count, and *open_mode and *open_td say how to open them.
 */
static int read_body(ami_axdr_dec *d, size_t *pos, uint8_t tag, size_t td,
                     ami_axdr_value *v, int *open_mode, size_t *open_td) {
  const uint8_t *p = d->p;
  size_t left = d->len - *pos;
  bool compact = (v->flags & AMI_AXDR_F_COMPACT) != 0;
  bool minimal = true;
  uint32_t n;
  int rc;
  *open_mode = -1;
  switch (tag) {
  case AMI_AXDR_ARRAY:
  case AMI_AXDR_STRUCTURE:
    if (!compact) {
      rc = len_at(p, d->len, pos, &n, &minimal);
      if (rc != AMI_OK)
        return rc;
      *open_mode = MODE_TAGGED;
      *open_td = 0;
    } else if (tag == AMI_AXDR_ARRAY) {
      n = (uint32_t)ami__axdr_be(p + td + 1, 2);
      *open_mode = MODE_COMPACT;
      *open_td = td + 3;
    } else {
      size_t f = td + 1;
      rc = len_at(p, d->len, &f, &n, &minimal);
      if (rc != AMI_OK)
        return rc;
      minimal = true; /* descriptions are copied verbatim on re-encoding */
      *open_mode = MODE_COMPACT_STRUCT;
      *open_td = f;
    }
    v->count = n;
    break;
  case AMI_AXDR_OCTET_STRING:
  case AMI_AXDR_VISIBLE_STRING:
  case AMI_AXDR_UTF8_STRING:
  case AMI_AXDR_BIT_STRING: {
    rc = len_at(p, d->len, pos, &n, &minimal);
    if (rc != AMI_OK)
      return rc;
    size_t bytes = tag == AMI_AXDR_BIT_STRING ? ((size_t)n + 7) / 8 : n;
    if (bytes > d->len - *pos)
      return AMI_E_TRUNCATED;
    v->count = n;
    v->v.s = ami_span_make(p + *pos, bytes);
    *pos += bytes;
    break;
  }
  case AMI_AXDR_COMPACT_ARRAY:
    if (compact)
      return AMI_E_UNSUPPORTED; /* refused by td_check; kept for safety */
    rc = read_compact(d, pos, v);
    if (rc != AMI_OK)
      return rc;
    *open_mode = MODE_COMPACT;
    *open_td = (size_t)(v->v.ca.td.p - p);
    break;
  default: {
    int size = ami_axdr_fixed_size(tag);
    if (size < 0)
      return AMI_E_BAD_TAG;
    if ((size_t)size > left)
      return AMI_E_TRUNCATED;
    const uint8_t *b = p + *pos;
    *pos += (size_t)size;
    if (tag == AMI_AXDR_DATE_TIME) {
      ami_cosem_datetime_decode(b, &v->v.dt);
    } else if (tag == AMI_AXDR_DATE) {
      ami_cosem_date_decode(b, &v->v.date);
    } else if (tag == AMI_AXDR_TIME) {
      ami_cosem_time_decode(b, &v->v.time);
    } else if (tag == AMI_AXDR_BOOLEAN) {
      v->v.b = b[0] != 0;
      if (b[0] > 1)
        d->canonical = false;
    } else if (size > 0) {
      uint64_t x = ami__axdr_be(b, (size_t)size);
      if (is_signed(tag))
        v->v.i = sign_extend(x, (size_t)size);
      else
        v->v.u = x;
    }
    break;
  }
  }
  if (!minimal)
    d->canonical = false;
  return AMI_OK;
}

int ami_axdr_next(ami_axdr_dec *d, ami_axdr_value *v) {
  if (d->err != AMI_OK)
    return d->err;
  if (d->done)
    return AMI_AXDR_END;
  size_t pos = d->pos, td = 0;
  uint8_t tag;
  memset(v, 0, sizeof *v);
  v->depth = d->depth;
  if (d->depth > 0 && d->stack[d->depth - 1].mode != MODE_TAGGED) {
    td = d->stack[d->depth - 1].td;
    tag = d->p[td];
    v->flags = AMI_AXDR_F_COMPACT;
  } else {
    if (pos >= d->len)
      return fail(d, AMI_E_TRUNCATED);
    tag = d->p[pos++];
  }
  v->tag = tag;
  int open_mode;
  size_t open_td = 0;
  int rc = read_body(d, &pos, tag, td, v, &open_mode, &open_td);
  if (rc != AMI_OK)
    return fail(d, rc);
  d->pos = pos;
  if (open_mode >= 0)
    return ami__axdr_open(d, v->count, (uint8_t)open_mode, open_td);
  ami__axdr_complete(d);
  return AMI_OK;
}

/* Typed getter fallback: the tag must match (nothing consumed otherwise). */
int ami__axdr_get_slow(ami_axdr_dec *d, uint8_t tag, ami_axdr_value *v) {
  uint8_t t;
  int rc = ami_axdr_peek_tag(d, &t);
  if (rc == AMI_E_TRUNCATED)
    return fail(d, rc);
  if (rc == AMI_AXDR_END)
    return AMI_E_STATE; /* nothing left to get */
  if (rc != AMI_OK)
    return rc;
  if (t != tag)
    return AMI_E_BAD_TAG;
  return ami_axdr_next(d, v);
}

int ami_axdr_get_float32(ami_axdr_dec *d, float *out) {
  uint32_t bits;
  int rc = ami_axdr_get_float32_bits(d, &bits);
  memcpy(out, &bits, 4); /* 0.0f on failure */
  return rc;
}

int ami_axdr_get_float64(ami_axdr_dec *d, double *out) {
  uint64_t bits;
  int rc = ami_axdr_get_float64_bits(d, &bits);
  memcpy(out, &bits, 8); /* 0.0 on failure */
  return rc;
}

int ami_axdr_get_bitstring(ami_axdr_dec *d, ami_span *s, uint32_t *nbits) {
  ami_axdr_value v;
  int rc = ami__axdr_get_slow(d, AMI_AXDR_BIT_STRING, &v);
  *s = rc == AMI_OK ? v.v.s : ami_span_make(NULL, 0);
  *nbits = rc == AMI_OK ? v.count : 0;
  return rc;
}

/* Shared by the date/time getters: accept `tag` itself or an octet-string of
 * exactly `size` bytes; *raw points at the `size` bytes. */
static int get_date_like(ami_axdr_dec *d, uint8_t tag, size_t size,
                         const uint8_t **raw) {
  uint8_t t;
  int rc = ami_axdr_peek_tag(d, &t);
  if (rc == AMI_E_TRUNCATED)
    return fail(d, rc);
  if (rc == AMI_AXDR_END)
    return AMI_E_STATE;
  if (rc != AMI_OK)
    return rc;
  ami_axdr_value v;
  if (t == tag) {
    /* Re-read the raw bytes from the input: the item is fixed-size. */
    size_t at =
        d->pos +
        ((d->depth > 0 && d->stack[d->depth - 1].mode != MODE_TAGGED) ? 0 : 1);
    rc = ami_axdr_next(d, &v);
    if (rc == AMI_OK)
      *raw = d->p + at;
    return rc;
  }
  if (t != AMI_AXDR_OCTET_STRING)
    return AMI_E_BAD_TAG;
  /* Peek at the length without consuming: a different length is another
   * type of value as far as this getter is concerned. */
  size_t off =
      d->pos +
      ((d->depth > 0 && d->stack[d->depth - 1].mode != MODE_TAGGED) ? 0 : 1);
  uint32_t n;
  bool minimal;
  rc = len_at(d->p, d->len, &off, &n, &minimal);
  if (rc != AMI_OK)
    return fail(d, rc);
  if (n != size)
    return AMI_E_BAD_TAG;
  rc = ami_axdr_next(d, &v);
  if (rc == AMI_OK)
    *raw = v.v.s.p;
  return rc;
}

int ami_axdr_get_datetime(ami_axdr_dec *d, ami_cosem_datetime *dt) {
  if (ami__axdr_fast(d) && d->len - d->pos >= 14 && d->p[d->pos] == 9 &&
      d->p[d->pos + 1] == 12) {
    ami_cosem_datetime_decode(d->p + d->pos + 2, dt);
    d->pos += 14;
    ami__axdr_complete(d);
    return AMI_OK;
  }
  static const uint8_t zero[12];
  const uint8_t *raw = zero;
  int rc = get_date_like(d, AMI_AXDR_DATE_TIME, 12, &raw);
  ami_cosem_datetime_decode(rc == AMI_OK ? raw : zero, dt);
  return rc;
}

int ami_axdr_get_date(ami_axdr_dec *d, ami_cosem_date *date) {
  static const uint8_t zero[5];
  const uint8_t *raw = zero;
  int rc = get_date_like(d, AMI_AXDR_DATE, 5, &raw);
  ami_cosem_date_decode(rc == AMI_OK ? raw : zero, date);
  return rc;
}

int ami_axdr_get_time(ami_axdr_dec *d, ami_cosem_time *time) {
  static const uint8_t zero[4];
  const uint8_t *raw = zero;
  int rc = get_date_like(d, AMI_AXDR_TIME, 4, &raw);
  ami_cosem_time_decode(rc == AMI_OK ? raw : zero, time);
  return rc;
}

/* Skip one complete value: take its first item, then keep taking items until
 * the container it opened (if any) has closed. */
/* Step over one tagged item that needs no more than its tag and a one-byte
 * length to be known whole: a fixed-size scalar, a string shorter than 0x80
 * bytes, or the header of a container of fewer than 0x80 elements. Applies
 * exactly the checks ami_axdr_next would (known tag, enough input) and the same
 * bookkeeping (ami__axdr_complete); anything else
 * -- containers, long lengths, compact-array elements, truncation -- is left
 * to the general path, so errors are reported by one piece of code only. */
static bool skip_simple(ami_axdr_dec *d) {
  if (!ami__axdr_fast(d) || d->len - d->pos < 2)
    return false;
  const uint8_t *b = d->p + d->pos;
  size_t n;
  int fs = ami_axdr_fixed_size(b[0]);
  if (fs > 0)
    n = 1 + (size_t)fs;
  else if ((b[0] == AMI_AXDR_ARRAY || b[0] == AMI_AXDR_STRUCTURE) &&
           b[1] < 0x80) {
    /* The typed getters' container path: count plausibility and depth are
     * checked by ami__axdr_open, whose failure is sticky and so surfaces
     * at the next ami_axdr_next. */
    d->pos += 2;
    ami__axdr_open(d, b[1], 0, 0);
    return true;
  } else if ((b[0] == AMI_AXDR_OCTET_STRING ||
              b[0] == AMI_AXDR_VISIBLE_STRING ||
              b[0] == AMI_AXDR_UTF8_STRING) &&
             b[1] < 0x80)
    n = 2 + (size_t)b[1];
  else
    return false;
  if (n > d->len - d->pos)
    return false;
  d->pos += n;
  ami__axdr_complete(d);
  return true;
}

int ami_axdr_skip(ami_axdr_dec *d) {
  ami_axdr_value v;
  unsigned base = d->depth;
  int rc = ami_axdr_next(d, &v);
  if (rc == AMI_AXDR_END)
    return AMI_E_STATE;
  while (rc == AMI_OK && d->depth > base && !d->done)
    if (!skip_simple(d))
      rc = ami_axdr_next(d, &v);
  if (rc == AMI_OK && d->err != AMI_OK)
    rc = d->err; /* a failed container open in skip_simple */
  return rc == AMI_AXDR_END ? AMI_OK : rc;
}

int ami_axdr_validate(ami_span in, size_t *consumed) {
  ami_axdr_dec d;
  ami_axdr_value v;
  int rc;
  ami_axdr_dec_init(&d, in.p, in.len);
  while ((rc = ami_axdr_next(&d, &v)) == AMI_OK) {
  }
  if (rc != AMI_AXDR_END)
    return rc;
  if (consumed)
    *consumed = d.end;
  return AMI_OK;
}
