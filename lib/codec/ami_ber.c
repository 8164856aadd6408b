/*
 * ami_ber.c -- BER (ITU-T X.690) identifier, length and primitive contents
 * codecs for the ACSE APDUs. See ami_ber.h for the subset supported.
 */
#include "ami/ami_ber.h"

#include <string.h>

/* X.690 §8.1.3: short form (one octet < 0x80) or long form (0x81..0x84 then
 * that many big-endian octets). 0x80 is the indefinite form, which DLMS does
 * not use; 0xFF is reserved (§8.1.3.5 c). */
int ami_ber_read_len(ami_rd *r, size_t *len) {
  size_t save = r->pos;
  uint8_t b;
  int rc = ami_rd_u8(r, &b);
  if (rc != AMI_OK)
    return rc;
  if (b < 0x80) {
    *len = b;
    return AMI_OK;
  }
  if (b == 0x80) {
    r->pos = save;
    return AMI_E_BER_INDEFINITE;
  }
  unsigned n = b & 0x7Fu;
  if (n > 4) {
    r->pos = save;
    return AMI_E_BAD_LENGTH;
  }
  if (ami_rd_left(r) < n) {
    r->pos = save;
    return AMI_E_TRUNCATED;
  }
  uint32_t v = 0;
  for (unsigned i = 0; i < n; i++)
    v = (v << 8) | r->p[r->pos++];
  *len = (size_t)v;
  return AMI_OK;
}

/* X.690 §8.1.2: identifier octets. Tag numbers of 31 and more continue in
 * base-128 octets with the high bit as "more follows" (§8.1.2.4.2). */
static int read_id(ami_rd *r, uint8_t *id, uint32_t *number) {
  uint8_t b;
  int rc = ami_rd_u8(r, &b);
  if (rc != AMI_OK)
    return rc;
  *id = b;
  if ((b & 0x1Fu) != 0x1Fu) {
    *number = b & 0x1Fu;
    return AMI_OK;
  }
  uint32_t v = 0;
  for (int i = 0;; i++) {
    if (i == 4)
      return AMI_E_BAD_TAG;
    if ((rc = ami_rd_u8(r, &b)) != AMI_OK)
      return rc;
    v = (v << 7) | (b & 0x7Fu);
    if ((b & 0x80u) == 0)
      break;
  }
  *number = v;
  return AMI_OK;
}

int ami_ber_read_tlv(ami_rd *r, ami_ber_tlv *out) {
  size_t save = r->pos;
  size_t len;
  int rc = read_id(r, &out->id, &out->number);
  if (rc == AMI_OK)
    rc = ami_ber_read_len(r, &len);
  if (rc == AMI_OK)
    rc = ami_rd_span(r, len, &out->value);
  if (rc != AMI_OK)
    r->pos = save;
  return rc;
}

int ami_ber_expect(ami_span in, uint8_t id, ami_span *contents) {
  ami_rd r;
  ami_ber_tlv t;
  ami_rd_init(&r, in.p, in.len);
  int rc = ami_ber_read_tlv(&r, &t);
  if (rc == AMI_E_TRUNCATED)
    return AMI_E_BAD_LENGTH; /* the container was complete */
  if (rc != AMI_OK)
    return rc;
  if (t.id != id)
    return AMI_E_BAD_TAG;
  if (ami_rd_left(&r) != 0)
    return AMI_E_TRAILING;
  *contents = t.value;
  return AMI_OK;
}

size_t ami_ber_len_size(size_t len) {
  if (len < 0x80)
    return 1;
  size_t n = 0;
  for (size_t v = len; v != 0; v >>= 8)
    n++;
  return 1 + n;
}

void ami_ber_write_len(ami_wr *w, size_t len) {
  size_t sz = ami_ber_len_size(len);
  uint8_t *d = ami_wr_reserve(w, sz);
  if (d == NULL)
    return;
  if (sz == 1) {
    d[0] = (uint8_t)len;
    return;
  }
  d[0] = (uint8_t)(0x80u | (sz - 1));
  for (size_t i = sz - 1; i >= 1; i--, len >>= 8)
    d[i] = (uint8_t)len;
}

void ami_ber_write_tlv(ami_wr *w, uint8_t id, const void *value, size_t n) {
  ami_wr_u8(w, id);
  ami_ber_write_len(w, n);
  ami_wr_bytes(w, value, n);
}

int ami_ber_wrap(ami_wr *w, size_t start, uint8_t id) {
  if (w->err != AMI_OK)
    return w->err;
  size_t n = w->len - start;
  size_t hs = 1 + ami_ber_len_size(n);
  if (ami_wr_reserve(w, hs) == NULL)
    return w->err;
  uint8_t *base = w->p + start;
  memmove(base + hs, base, n);
  /* Write the header into the gap through a writer over just that gap. */
  ami_wr h;
  ami_wr_init(&h, base, hs);
  ami_wr_u8(&h, id);
  ami_ber_write_len(&h, n);
  return h.err;
}

/* X.690 §8.3.3: the contents are a two's-complement big-endian integer. */
int ami_ber_get_int(ami_span c, int32_t *out) {
  if (c.len == 0)
    return AMI_E_BAD_LENGTH;
  if (c.len > 4)
    return AMI_E_RANGE;
  uint32_t v = (c.p[0] & 0x80u) ? 0xFFFFFFFFu : 0u;
  for (size_t i = 0; i < c.len; i++)
    v = (v << 8) | c.p[i];
  /* Two's complement to a signed value without implementation-defined
   * conversions. */
  *out = (v & 0x80000000u) ? -(int32_t)(~v) - 1 : (int32_t)v;
  return AMI_OK;
}

/* X.690 §8.3.2: the shortest encoding, i.e. no leading 0x00 before a byte
 * with the high bit clear and no leading 0xFF before one with it set. */
void ami_ber_write_int(ami_wr *w, uint8_t id, int32_t v) {
  uint8_t b[4];
  uint32_t u = (uint32_t)v;
  for (int i = 3; i >= 0; i--, u >>= 8)
    b[i] = (uint8_t)u;
  size_t s = 0;
  while (s < 3 && ((b[s] == 0x00 && (b[s + 1] & 0x80u) == 0) ||
                   (b[s] == 0xFF && (b[s + 1] & 0x80u) != 0)))
    s++;
  ami_ber_write_tlv(w, id, b + s, 4 - s);
}

bool ami_ber_oid_valid(ami_span c) {
  return c.len > 0 && (c.p[c.len - 1] & 0x80u) == 0;
}
