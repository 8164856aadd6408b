/*
 * ami_axdr_enc.c -- the A-XDR encoder's out-of-line parts (IEC 62056-6-2
 * §4.1.5): bit-strings, dates, compact arrays and the generic
 * ami_axdr_put_value. The scalar putters are inline in ami_axdr.h. All output
 * uses minimal length encodings.
 */
#include "ami/ami_axdr.h"

void ami_axdr_put_bitstring(ami_wr *w, const void *p, size_t nbits) {
  ami_wr_u8(w, AMI_AXDR_BIT_STRING);
  ami_axdr_put_len(w, nbits);
  if (w->err == AMI_OK)
    ami_wr_bytes(w, p, (nbits + 7) / 8);
}

void ami_axdr_put_datetime(ami_wr *w, const ami_cosem_datetime *dt) {
  uint8_t *d = ami_wr_reserve(w, 13);
  if (d) {
    d[0] = AMI_AXDR_DATE_TIME;
    ami_cosem_datetime_encode(dt, d + 1);
  }
}

void ami_axdr_put_date(ami_wr *w, const ami_cosem_date *date) {
  uint8_t *d = ami_wr_reserve(w, 6);
  if (d) {
    d[0] = AMI_AXDR_DATE;
    ami_cosem_date_encode(date, d + 1);
  }
}

void ami_axdr_put_time(ami_wr *w, const ami_cosem_time *time) {
  uint8_t *d = ami_wr_reserve(w, 5);
  if (d) {
    d[0] = AMI_AXDR_TIME;
    ami_cosem_time_encode(time, d + 1);
  }
}

void ami_axdr_put_datetime_octets(ami_wr *w, const ami_cosem_datetime *dt) {
  uint8_t *d = ami_wr_reserve(w, 14);
  if (d) {
    d[0] = AMI_AXDR_OCTET_STRING;
    d[1] = 12;
    ami_cosem_datetime_encode(dt, d + 2);
  }
}

/* Blue Book §4.1.5 compact-array: tag, contents-description, then the
 * array-contents octet-string. The length goes in front of contents whose
 * size is known only at the end: reserve the one-byte form and widen it if
 * needed by moving the contents up. */
void ami_axdr_put_compact_begin(ami_wr *w, ami_span type_desc,
                                ami_axdr_compact *c) {
  ami_wr_u8(w, AMI_AXDR_COMPACT_ARRAY);
  ami_wr_bytes(w, type_desc.p, type_desc.len);
  ami_wr_u8(w, 0); /* length placeholder */
  c->start = w->len;
}

void ami_axdr_put_compact_end(ami_wr *w, const ami_axdr_compact *c) {
  if (w->err != AMI_OK)
    return;
  size_t n = w->len - c->start;
  if (n < 0x80) {
    w->p[c->start - 1] = (uint8_t)n;
    return;
  }
  unsigned k = n <= 0xFFu ? 1 : n <= 0xFFFFu ? 2 : n <= 0xFFFFFFu ? 3 : 4;
  if ((uint64_t)n > 0xFFFFFFFFu) {
    w->err = AMI_E_RANGE;
    return;
  }
  if (ami_wr_reserve(w, k) == NULL)
    return;
  memmove(w->p + c->start + k, w->p + c->start, n);
  uint8_t *d = w->p + c->start - 1;
  d[0] = (uint8_t)(0x80u | k);
  for (unsigned i = k; i > 0; i--, n >>= 8)
    d[i] = (uint8_t)n;
}

void ami_axdr_put_value(ami_wr *w, const ami_axdr_value *v) {
  bool tagged = (v->flags & AMI_AXDR_F_COMPACT) == 0;
  uint8_t tag = v->tag;
  int size = ami_axdr_fixed_size(tag);
  if (size < 0 && tag != AMI_AXDR_ARRAY && tag != AMI_AXDR_STRUCTURE &&
      tag != AMI_AXDR_COMPACT_ARRAY && tag != AMI_AXDR_OCTET_STRING &&
      tag != AMI_AXDR_VISIBLE_STRING && tag != AMI_AXDR_UTF8_STRING &&
      tag != AMI_AXDR_BIT_STRING) {
    if (w->err == AMI_OK)
      w->err = AMI_E_BAD_TAG;
    return;
  }
  if (tagged)
    ami_wr_u8(w, tag);
  switch (tag) {
  case AMI_AXDR_ARRAY:
  case AMI_AXDR_STRUCTURE:
    if (tagged)
      ami_axdr_put_len(w, v->count);
    return; /* inside a compact array the description holds the shape */
  case AMI_AXDR_COMPACT_ARRAY:
    ami_wr_bytes(w, v->v.ca.td.p, v->v.ca.td.len);
    ami_axdr_raw_octets(w, v->v.ca.contents.p, v->v.ca.contents.len);
    return;
  case AMI_AXDR_OCTET_STRING:
  case AMI_AXDR_VISIBLE_STRING:
  case AMI_AXDR_UTF8_STRING:
    ami_axdr_raw_octets(w, v->v.s.p, v->v.s.len);
    return;
  case AMI_AXDR_BIT_STRING: {
    ami_axdr_put_len(w, v->count);
    size_t bytes = ((size_t)v->count + 7) / 8;
    if (bytes > v->v.s.len) { /* the span must hold every bit */
      if (w->err == AMI_OK)
        w->err = AMI_E_INVAL;
      return;
    }
    ami_wr_bytes(w, v->v.s.p, bytes);
    return;
  }
  case AMI_AXDR_DATE_TIME: {
    uint8_t *d = ami_wr_reserve(w, 12);
    if (d)
      ami_cosem_datetime_encode(&v->v.dt, d);
    return;
  }
  case AMI_AXDR_DATE: {
    uint8_t *d = ami_wr_reserve(w, 5);
    if (d)
      ami_cosem_date_encode(&v->v.date, d);
    return;
  }
  case AMI_AXDR_TIME: {
    uint8_t *d = ami_wr_reserve(w, 4);
    if (d)
      ami_cosem_time_encode(&v->v.time, d);
    return;
  }
  case AMI_AXDR_BOOLEAN:
    ami_wr_u8(w, v->v.b ? 1 : 0);
    return;
  default:
    /* Integers, enum, bcd, floats (bit patterns), deltas; null-data and
     * dont-care have size 0. Signed values are written as their two's
     * complement low bytes, which is what v.u holds for them too. */
    ami__axdr_raw_be(w, v->v.u, (size_t)size);
    return;
  }
}
