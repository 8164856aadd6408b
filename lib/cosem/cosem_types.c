/*
 * cosem_types.c -- the one generic walker over COSEM type descriptions
 * (ami_cosem.h): type-check an encoded Data against a description, and
 * write a description's default value. Used for every SET, every ACTION
 * parameter and every fresh object, whatever its class.
 */
#include "ami/ami_cosem.h"

#include "ami/ami_axdr.h"
#include "ami/ami_cosem_time.h"

/* Offset just past the description starting at `pos` (descriptions are
 * static tables, but the walk is bounded anyway); td_len on a malformed
 * description. */
static size_t td_end(const uint8_t *td, size_t td_len, size_t pos,
                     unsigned depth) {
  if (pos >= td_len || depth > 16)
    return td_len;
  switch (td[pos]) {
  case AMI_AXDR_ARRAY:
    return td_end(td, td_len, pos + 1, depth + 1);
  case AMI_AXDR_STRUCTURE: {
    if (pos + 1 >= td_len)
      return td_len;
    size_t n = td[pos + 1], p = pos + 2;
    for (size_t i = 0; i < n && p < td_len; i++)
      p = td_end(td, td_len, p, depth + 1);
    return p;
  }
  default:
    return pos + 1;
  }
}

/* An octet-string of exactly `n` bytes, or the A-XDR tag `alt`. */
static int check_fixed_octets(const ami_axdr_value *v, uint32_t n,
                              uint8_t alt) {
  if (v->tag == alt)
    return AMI_OK;
  if (v->tag != AMI_AXDR_OCTET_STRING)
    return AMI_E_BAD_TAG;
  return v->count == n ? AMI_OK : AMI_E_INCONSISTENT;
}

/* Check the next value of `d` against the description at td[*pos]
 * (advancing *pos past it). */
static int check_one(ami_axdr_dec *d, const uint8_t *td, size_t td_len,
                     size_t *pos) {
  if (*pos >= td_len)
    return AMI_E_INCONSISTENT;
  uint8_t t = td[*pos];
  if (t == AMI_COSEM_TD_ANY) {
    (*pos)++;
    return ami_axdr_skip(d);
  }
  uint8_t next;
  int rc = ami_axdr_peek_tag(d, &next);
  if (rc != AMI_OK)
    return rc == AMI_AXDR_END ? AMI_E_INCONSISTENT : rc;
  if (next == AMI_AXDR_COMPACT_ARRAY)
    return AMI_E_BAD_TAG; /* the model stores plain arrays only */
  ami_axdr_value v;
  rc = ami_axdr_next(d, &v);
  if (rc != AMI_OK)
    return rc == AMI_AXDR_END ? AMI_E_INCONSISTENT : rc;
  switch (t) {
  case AMI_COSEM_TD_LN:
    (*pos)++;
    return v.tag == AMI_AXDR_OCTET_STRING
               ? (v.count == 6 ? AMI_OK : AMI_E_INCONSISTENT)
               : AMI_E_BAD_TAG;
  case AMI_COSEM_TD_DATETIME:
    (*pos)++;
    return check_fixed_octets(&v, 12, AMI_AXDR_DATE_TIME);
  case AMI_COSEM_TD_DATE:
    (*pos)++;
    return check_fixed_octets(&v, 5, AMI_AXDR_DATE);
  case AMI_COSEM_TD_TIME:
    (*pos)++;
    return check_fixed_octets(&v, 4, AMI_AXDR_TIME);
  case AMI_AXDR_ARRAY: {
    if (v.tag != AMI_AXDR_ARRAY)
      return AMI_E_BAD_TAG;
    size_t elem = *pos + 1;
    size_t end = td_end(td, td_len, *pos, 0);
    for (uint32_t i = 0; i < v.count; i++) {
      size_t p = elem;
      rc = check_one(d, td, td_len, &p);
      if (rc != AMI_OK)
        return rc;
    }
    *pos = end;
    return AMI_OK;
  }
  case AMI_AXDR_STRUCTURE: {
    if (v.tag != AMI_AXDR_STRUCTURE)
      return AMI_E_BAD_TAG;
    if (*pos + 1 >= td_len)
      return AMI_E_INCONSISTENT;
    if (v.count != td[*pos + 1])
      return AMI_E_INCONSISTENT;
    *pos += 2;
    for (uint32_t i = 0; i < v.count; i++) {
      rc = check_one(d, td, td_len, pos);
      if (rc != AMI_OK)
        return rc;
    }
    return AMI_OK;
  }
  default:
    (*pos)++;
    return v.tag == t ? AMI_OK : AMI_E_BAD_TAG;
  }
}

int ami_cosem_type_check(const uint8_t *td, size_t td_len, ami_span value) {
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, value.p, value.len);
  size_t pos = 0;
  int rc = check_one(&d, td, td_len, &pos);
  if (rc != AMI_OK)
    return rc;
  if (!ami_axdr_done(&d))
    return AMI_E_INCONSISTENT;
  return ami_axdr_trailing(&d) ? AMI_E_TRAILING : AMI_OK;
}

/* Write the default of the description at td[*pos], advancing *pos. */
static void default_one(ami_wr *w, const uint8_t *td, size_t td_len,
                        size_t *pos) {
  static const uint8_t zeros[8] = {0};
  static const uint8_t unspecified[5] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  if (*pos >= td_len) {
    ami_axdr_put_null(w);
    return;
  }
  uint8_t t = td[*pos];
  switch (t) {
  case AMI_AXDR_ARRAY:
    ami_axdr_put_array(w, 0);
    *pos = td_end(td, td_len, *pos, 0);
    return;
  case AMI_AXDR_STRUCTURE: {
    size_t n = *pos + 1 < td_len ? td[*pos + 1] : 0;
    ami_axdr_put_struct(w, n);
    *pos += 2;
    for (size_t i = 0; i < n; i++)
      default_one(w, td, td_len, pos);
    return;
  }
  case AMI_COSEM_TD_LN:
    ami_axdr_put_octets(w, zeros, 6);
    break;
  case AMI_COSEM_TD_DATETIME: {
    ami_cosem_datetime dt = ami_cosem_datetime_unspecified();
    ami_axdr_put_datetime_octets(w, &dt);
    break;
  }
  case AMI_COSEM_TD_DATE:
    ami_axdr_put_octets(w, unspecified, 5);
    break;
  case AMI_COSEM_TD_TIME:
    ami_axdr_put_octets(w, unspecified, 4);
    break;
  case AMI_COSEM_TD_ANY:
    ami_axdr_put_null(w);
    break;
  case AMI_AXDR_OCTET_STRING:
  case AMI_AXDR_VISIBLE_STRING:
  case AMI_AXDR_UTF8_STRING:
  case AMI_AXDR_BIT_STRING:
    ami_axdr_put_string(w, t, zeros, 0);
    break;
  default: {
    int n = ami_axdr_fixed_size(t);
    ami_wr_u8(w, t);
    if (n > 0)
      ami_wr_bytes(w, zeros, (size_t)n);
    break;
  }
  }
  (*pos)++;
}

void ami_cosem_type_default(ami_wr *w, const uint8_t *td, size_t td_len) {
  size_t pos = 0;
  default_one(w, td, td_len, &pos);
}
