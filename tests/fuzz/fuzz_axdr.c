/*
 * fuzz_axdr.c -- libFuzzer target for the A-XDR codec, with oracles:
 *
 *  1. ami_axdr_validate and the ami_axdr_next loop agree on the outcome and
 *     on the length of the value.
 *  2. A second decoder walks the same input with the TYPED GETTERS (the
 *     inline fast paths), each preceded by a getter of the wrong type that
 *     must fail with AMI_E_BAD_TAG and consume nothing; every result must
 *     equal the generic item.
 *  3. A valid value is re-encoded item by item with ami_axdr_put_value
 *     (compact arrays rebuilt through put_compact_begin/_end). If the input
 *     was canonical (minimal lengths, booleans 0/1) the bytes must be
 *     identical; otherwise the re-encoding, decoded again, must yield the
 *     same items (the decoder accepts non-minimal lengths, the encoder
 *     never writes them).
 *  4. ami_axdr_skip consumes exactly the same value.
 * There are no checksums or magic numbers in A-XDR, so nothing needs to be
 * relaxed under AMI_FUZZING.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_axdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      abort();                                                                 \
  } while (0)

static bool span_same(ami_span a, ami_span b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* Two items carry the same value (spans compared by content). */
static bool same_item(const ami_axdr_value *a, const ami_axdr_value *b) {
  if (a->tag != b->tag || a->flags != b->flags || a->depth != b->depth ||
      a->count != b->count)
    return false;
  switch (a->tag) {
  case AMI_AXDR_ARRAY:
  case AMI_AXDR_STRUCTURE:
  case AMI_AXDR_NULL:
  case AMI_AXDR_DONT_CARE:
    return true;
  case AMI_AXDR_COMPACT_ARRAY:
    return span_same(a->v.ca.td, b->v.ca.td); /* contents: by the items */
  case AMI_AXDR_OCTET_STRING:
  case AMI_AXDR_VISIBLE_STRING:
  case AMI_AXDR_UTF8_STRING:
  case AMI_AXDR_BIT_STRING:
    return span_same(a->v.s, b->v.s);
  case AMI_AXDR_BOOLEAN:
    return a->v.b == b->v.b;
  case AMI_AXDR_DATE_TIME:
  case AMI_AXDR_DATE:
  case AMI_AXDR_TIME: {
    uint8_t x[13], y[13];
    ami_wr wx, wy;
    ami_wr_init(&wx, x, sizeof x);
    ami_wr_init(&wy, y, sizeof y);
    ami_axdr_put_value(&wx, a);
    ami_axdr_put_value(&wy, b);
    return wx.len == wy.len && memcmp(x, y, wx.len) == 0;
  }
  default:
    return a->v.u == b->v.u;
  }
}

/* Oracle 2: take the item `a` (just produced by the generic decoder) from
 * decoder `g` with the matching typed getter. */
static void getter_step(ami_axdr_dec *g, const ami_axdr_value *a) {
  size_t before = g->pos;
  uint8_t depth_before = g->depth;
  /* A getter of another type fails without consuming. */
  uint8_t u8 = 0;
  uint16_t u16 = 0;
  int rc = a->tag == AMI_AXDR_UNSIGNED ? ami_axdr_get_u16(g, &u16)
                                       : ami_axdr_get_u8(g, &u8);
  CHECK(rc == AMI_E_BAD_TAG);
  CHECK(g->pos == before && g->depth == depth_before && g->err == AMI_OK);

  ami_axdr_value b;
  memset(&b, 0, sizeof b);
  b.tag = a->tag;
  b.flags = a->flags;
  b.depth = g->depth;
  switch (a->tag) {
  case AMI_AXDR_UNSIGNED:
    rc = ami_axdr_get_u8(g, &u8);
    b.v.u = u8;
    break;
  case AMI_AXDR_LONG_UNSIGNED:
    rc = ami_axdr_get_u16(g, &u16);
    b.v.u = u16;
    break;
  case AMI_AXDR_DOUBLE_LONG_UNSIGNED: {
    uint32_t x = 0;
    rc = ami_axdr_get_u32(g, &x);
    b.v.u = x;
    break;
  }
  case AMI_AXDR_LONG64_UNSIGNED:
    rc = ami_axdr_get_u64(g, &b.v.u);
    break;
  case AMI_AXDR_INTEGER: {
    int8_t x = 0;
    rc = ami_axdr_get_i8(g, &x);
    b.v.i = x;
    break;
  }
  case AMI_AXDR_LONG: {
    int16_t x = 0;
    rc = ami_axdr_get_i16(g, &x);
    b.v.i = x;
    break;
  }
  case AMI_AXDR_DOUBLE_LONG: {
    int32_t x = 0;
    rc = ami_axdr_get_i32(g, &x);
    b.v.i = x;
    break;
  }
  case AMI_AXDR_LONG64:
    rc = ami_axdr_get_i64(g, &b.v.i);
    break;
  case AMI_AXDR_ENUM:
    rc = ami_axdr_get_enum(g, &u8);
    b.v.u = u8;
    break;
  case AMI_AXDR_BCD:
    rc = ami_axdr_get_bcd(g, &u8);
    b.v.u = u8;
    break;
  case AMI_AXDR_FLOAT32: {
    uint32_t x = 0;
    rc = ami_axdr_get_float32_bits(g, &x);
    b.v.u = x;
    break;
  }
  case AMI_AXDR_FLOAT64:
    rc = ami_axdr_get_float64_bits(g, &b.v.u);
    break;
  case AMI_AXDR_BOOLEAN:
    rc = ami_axdr_get_bool(g, &b.v.b);
    break;
  case AMI_AXDR_NULL:
    rc = ami_axdr_get_null(g);
    break;
  case AMI_AXDR_ARRAY:
    rc = ami_axdr_get_array(g, &b.count);
    break;
  case AMI_AXDR_STRUCTURE:
    rc = ami_axdr_get_struct(g, &b.count);
    break;
  case AMI_AXDR_OCTET_STRING:
    if (a->v.s.len == 12 && (before & 1)) {
      /* The date-time getter accepts octet-string(12). */
      rc = ami_axdr_get_datetime(g, &b.v.dt);
      CHECK(rc == AMI_OK);
      uint8_t raw[12];
      ami_cosem_datetime_encode(&b.v.dt, raw);
      CHECK(memcmp(raw, a->v.s.p, 12) == 0);
      return;
    }
    rc = ami_axdr_get_octets(g, &b.v.s);
    b.count = (uint32_t)b.v.s.len;
    break;
  case AMI_AXDR_VISIBLE_STRING:
  case AMI_AXDR_UTF8_STRING:
    rc = ami_axdr_get_string(g, a->tag, &b.v.s);
    b.count = (uint32_t)b.v.s.len;
    break;
  case AMI_AXDR_BIT_STRING:
    rc = ami_axdr_get_bitstring(g, &b.v.s, &b.count);
    break;
  case AMI_AXDR_DATE_TIME:
    rc = ami_axdr_get_datetime(g, &b.v.dt);
    break;
  case AMI_AXDR_DATE:
    rc = ami_axdr_get_date(g, &b.v.date);
    break;
  case AMI_AXDR_TIME:
    rc = ami_axdr_get_time(g, &b.v.time);
    break;
  default: /* compact-array header, deltas, dont-care */
    rc = ami_axdr_next(g, &b);
    break;
  }
  CHECK(rc == AMI_OK);
  CHECK(same_item(a, &b));
}

/* Oracle 3: re-encode every item of the valid value in `data`. */
static size_t reencode(const uint8_t *data, size_t size, uint8_t *out,
                       size_t cap) {
  ami_wr w;
  ami_wr_init(&w, out, cap);
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, data, size);
  ami_axdr_value v;
  ami_axdr_compact c;
  bool in_compact = false;
  int rc;
  while ((rc = ami_axdr_next(&d, &v)) == AMI_OK) {
    if (in_compact && !(v.flags & AMI_AXDR_F_COMPACT)) {
      ami_axdr_put_compact_end(&w, &c);
      in_compact = false;
    }
    if (v.tag == AMI_AXDR_COMPACT_ARRAY) {
      ami_axdr_put_compact_begin(&w, v.v.ca.td, &c);
      in_compact = true;
    } else {
      ami_axdr_put_value(&w, &v);
    }
  }
  if (in_compact)
    ami_axdr_put_compact_end(&w, &c);
  CHECK(rc == AMI_AXDR_END);
  CHECK(w.err == AMI_OK);
  return w.len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t consumed = 0;
  int vrc = ami_axdr_validate(ami_span_make(data, size), &consumed);

  /* Oracles 1 and 2: generic and typed walks in lockstep. */
  ami_axdr_dec a, g;
  ami_axdr_dec_init(&a, data, size);
  ami_axdr_dec_init(&g, data, size);
  ami_axdr_value item;
  int rc;
  while ((rc = ami_axdr_next(&a, &item)) == AMI_OK)
    getter_step(&g, &item);
  if (vrc == AMI_OK) {
    CHECK(rc == AMI_AXDR_END);
    CHECK(a.end == consumed && consumed <= size);
    CHECK(ami_axdr_done(&g) && g.end == consumed);
    CHECK(ami_axdr_trailing(&a) == size - consumed);
  } else {
    CHECK(rc == vrc);
    CHECK(vrc < 0);
  }

  /* Oracle 4: skip. */
  ami_axdr_dec s;
  ami_axdr_dec_init(&s, data, size);
  rc = ami_axdr_skip(&s);
  CHECK(rc == vrc);
  if (vrc != AMI_OK)
    return 0;
  CHECK(ami_axdr_pos(&s) == consumed);

  /* Oracle 3: re-encoding. Canonical output is never longer. */
  uint8_t *out = malloc(consumed ? consumed : 1);
  CHECK(out != NULL);
  size_t n = reencode(data, consumed, out, consumed);
  if (a.canonical) {
    CHECK(n == consumed && memcmp(out, data, n) == 0);
  } else {
    CHECK(n <= consumed);
    ami_axdr_dec x, y;
    ami_axdr_dec_init(&x, data, consumed);
    ami_axdr_dec_init(&y, out, n);
    ami_axdr_value vx, vy;
    int rx, ry;
    do {
      rx = ami_axdr_next(&x, &vx);
      ry = ami_axdr_next(&y, &vy);
      CHECK(rx == ry);
      if (rx == AMI_OK)
        CHECK(same_item(&vx, &vy));
    } while (rx == AMI_OK);
    CHECK(rx == AMI_AXDR_END && y.canonical && y.end == n);
  }
  free(out);
  return 0;
}
