/*
 * ami_selective.c -- Profile Generic selective access parameters
 * (range_descriptor, entry_descriptor; DLMS UA Blue Book, interface class 7,
 * attribute 2 selective access), on top of the A-XDR codec.
 */
#include "ami/ami_selective.h"

void ami_selective_column_encode(ami_wr *w, const ami_selective_column *c) {
  uint8_t ln[6];
  ami_obis_to_bytes(&c->logical_name, ln);
  ami_axdr_put_struct(w, 4);
  ami_axdr_put_u16(w, c->class_id);
  ami_axdr_put_octets(w, ln, 6);
  ami_axdr_put_i8(w, c->attribute_index);
  ami_axdr_put_u16(w, c->data_index);
}

/* Expect a structure of exactly n fields. */
static int expect_struct(ami_axdr_dec *d, uint32_t n) {
  uint32_t got;
  int rc = ami_axdr_get_struct(d, &got);
  if (rc != AMI_OK)
    return rc;
  return got == n ? AMI_OK : AMI_E_INCONSISTENT;
}

int ami_selective_column_decode(ami_axdr_dec *d, ami_selective_column *c) {
  ami_span ln;
  int rc = expect_struct(d, 4);
  if (rc == AMI_OK)
    rc = ami_axdr_get_u16(d, &c->class_id);
  if (rc == AMI_OK)
    rc = ami_axdr_get_octets(d, &ln);
  if (rc == AMI_OK && ln.len != 6)
    rc = AMI_E_INCONSISTENT;
  if (rc == AMI_OK) {
    c->logical_name = ami_obis_from_bytes(ln.p);
    rc = ami_axdr_get_i8(d, &c->attribute_index);
  }
  if (rc == AMI_OK)
    rc = ami_axdr_get_u16(d, &c->data_index);
  return rc;
}

void ami_selective_range_encode(ami_wr *w, const ami_selective_range *r) {
  ami_axdr_put_struct(w, 4);
  ami_selective_column_encode(w, &r->restricting_object);
  ami_wr_bytes(w, r->from_value.p, r->from_value.len);
  ami_wr_bytes(w, r->to_value.p, r->to_value.len);
  ami_axdr_put_array(w, r->ncolumns);
  for (size_t i = 0; i < r->ncolumns; i++)
    ami_selective_column_encode(w, &r->columns[i]);
}

/* Skip one Data value and return its encoded bytes as a span. */
static int take_value(ami_axdr_dec *d, ami_span *out) {
  size_t start = ami_axdr_pos(d);
  int rc = ami_axdr_skip(d);
  if (rc == AMI_OK)
    *out = ami_span_make(d->p + start, ami_axdr_pos(d) - start);
  return rc;
}

int ami_selective_range_decode(ami_span in, ami_selective_range *r,
                               size_t *consumed) {
  ami_axdr_dec d;
  uint32_t n = 0;
  ami_axdr_dec_init(&d, in.p, in.len);
  int rc = expect_struct(&d, 4);
  if (rc == AMI_OK)
    rc = ami_selective_column_decode(&d, &r->restricting_object);
  if (rc == AMI_OK)
    rc = take_value(&d, &r->from_value);
  if (rc == AMI_OK)
    rc = take_value(&d, &r->to_value);
  if (rc == AMI_OK)
    rc = ami_axdr_get_array(&d, &n);
  if (rc == AMI_OK && n > r->columns_cap)
    rc = AMI_E_LIMIT;
  for (uint32_t i = 0; rc == AMI_OK && i < n; i++)
    rc = ami_selective_column_decode(&d, &r->columns[i]);
  if (rc != AMI_OK)
    return rc;
  r->ncolumns = n;
  if (consumed)
    *consumed = d.end;
  return AMI_OK;
}

void ami_selective_entry_encode(ami_wr *w, const ami_selective_entry *e) {
  ami_axdr_put_struct(w, 4);
  ami_axdr_put_u32(w, e->from_entry);
  ami_axdr_put_u32(w, e->to_entry);
  ami_axdr_put_u16(w, e->from_selected_value);
  ami_axdr_put_u16(w, e->to_selected_value);
}

int ami_selective_entry_decode(ami_span in, ami_selective_entry *e,
                               size_t *consumed) {
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, in.p, in.len);
  int rc = expect_struct(&d, 4);
  if (rc == AMI_OK)
    rc = ami_axdr_get_u32(&d, &e->from_entry);
  if (rc == AMI_OK)
    rc = ami_axdr_get_u32(&d, &e->to_entry);
  if (rc == AMI_OK)
    rc = ami_axdr_get_u16(&d, &e->from_selected_value);
  if (rc == AMI_OK)
    rc = ami_axdr_get_u16(&d, &e->to_selected_value);
  if (rc != AMI_OK)
    return rc;
  if (consumed)
    *consumed = d.end;
  return AMI_OK;
}
