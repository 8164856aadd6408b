/*
 * ami_apdu_codec.c -- the one generic A-XDR walker that decodes, encodes and
 * compares every xDLMS APDU described by the schema tables (see
 * ami_apdu_internal.h for the encoding rules it implements).
 */
#include "ami_apdu_internal.h"

#include <string.h>

#define TRY(expr)                                                              \
  do {                                                                         \
    int ami__rc = (expr);                                                      \
    if (ami__rc != AMI_OK)                                                     \
      return ami__rc;                                                          \
  } while (0)

static void *at(void *base, uint16_t off) {
  return (char *)base + off;
}

static const void *cat(const void *base, uint16_t off) {
  return (const char *)base + off;
}

/* ---------------------------------------------------------------------- */
/* A-XDR lengths */

int ami__apdu_rd_len(ami_rd *r, size_t *len) {
  size_t save = r->pos;
  uint8_t b;
  TRY(ami_rd_u8(r, &b));
  if (b < 0x80) {
    *len = b;
    return AMI_OK;
  }
  unsigned n = b & 0x7Fu;
  if (n == 0 || n > 4) {
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

void ami__apdu_wr_len(ami_wr *w, size_t len) {
  if (len < 0x80) {
    ami_wr_u8(w, (uint8_t)len);
    return;
  }
  unsigned n = 0;
  for (size_t v = len; v != 0; v >>= 8)
    n++;
  ami_wr_u8(w, (uint8_t)(0x80u | n));
  for (unsigned i = n; i > 0; i--)
    ami_wr_u8(w, (uint8_t)(len >> (8 * (i - 1))));
}

/* ---------------------------------------------------------------------- */
/* Special kinds */

/* The conformance block is a BER-encoded [APPLICATION 31] BIT STRING inside
 * the A-XDR InitiateRequest/-Response (IEC 62056-5-3 §8, "Conformance"):
 * identifier 5F 1F, length 04, 00 unused bits, then the 24 bits. */
static const uint8_t conformance_header[4] = {0x5F, 0x1F, 0x04, 0x00};

static int decode_conformance(ami_rd *r, uint32_t *v) {
  ami_span h;
  TRY(ami_rd_span(r, 4, &h));
  if (memcmp(h.p, conformance_header, 4) != 0)
    return AMI_E_APDU_MALFORMED;
  ami_span b;
  TRY(ami_rd_span(r, 3, &b));
  *v = ((uint32_t)b.p[0] << 16) | ((uint32_t)b.p[1] << 8) | b.p[2];
  return AMI_OK;
}

/* Ciphered content (IEC 62056-5-3 §9.2.7.2.4): an OCTET STRING holding the
 * security header SC || IC, then the ciphertext (or plaintext when only
 * authenticated) and, when SC requests authentication, the 12-octet tag. */
static int decode_secured(ami_rd *r, ami_apdu_secured *s) {
  size_t n;
  TRY(ami__apdu_rd_len(r, &n));
  ami_span c;
  TRY(ami_rd_span(r, n, &c));
  if (c.len < 5)
    return AMI_E_APDU_MALFORMED;
  s->content = c;
  s->sc = c.p[0];
  s->ic = ((uint32_t)c.p[1] << 24) | ((uint32_t)c.p[2] << 16) |
          ((uint32_t)c.p[3] << 8) | c.p[4];
  size_t body = c.len - 5;
  size_t tag = (s->sc & AMI_APDU_SC_AUTH) ? AMI_APDU_AUTH_TAG_LEN : 0;
  if (body < tag)
    return AMI_E_APDU_MALFORMED;
  s->ciphertext = ami_span_make(c.p + 5, body - tag);
  s->auth_tag = ami_span_make(c.p + 5 + body - tag, tag);
  return AMI_OK;
}

static bool span_ok(ami_span s) {
  return s.len == 0 || s.p != NULL;
}

static int encode_secured(ami_wr *w, const ami_apdu_secured *s) {
  size_t tag = (s->sc & AMI_APDU_SC_AUTH) ? AMI_APDU_AUTH_TAG_LEN : 0;
  if (s->auth_tag.len != tag || !span_ok(s->auth_tag) ||
      !span_ok(s->ciphertext) || s->ciphertext.len > UINT32_MAX - 5 - tag)
    return AMI_E_INVAL;
  ami__apdu_wr_len(w, 5 + s->ciphertext.len + tag);
  ami_wr_u8(w, s->sc);
  ami_wr_u32be(w, s->ic);
  ami_wr_bytes(w, s->ciphertext.p, s->ciphertext.len);
  ami_wr_bytes(w, s->auth_tag.p, s->auth_tag.len);
  return AMI_OK;
}

/* Scratch big enough for any list item, used to validate items while
 * skipping over them. */
typedef union item_scratch {
  ami_apdu_attr_sel attr_sel;
  ami_apdu_desc desc;
  ami_span data;
  uint8_t dar;
  ami_apdu_get_result get_result;
  ami_apdu_action_result action_result;
  ami_apdu_var_access var_access;
  ami_apdu_read_result read_result;
  ami_apdu_write_result write_result;
} item_scratch;

/* Walk `count` items of kind `elem` from `r`, checking each. */
static int walk_items(ami_rd *r, uint8_t elem, size_t count) {
  if (elem == AMI_APDU_ELEM_NONE || elem >= AMI_APDU_ELEM_COUNT)
    return AMI_E_INVAL;
  const ami__schema *s = ami__elems[elem].schema;
  item_scratch tmp;
  for (size_t i = 0; i < count; i++) {
    memset(&tmp, 0, sizeof tmp);
    TRY(ami__apdu_decode_schema(r, s, &tmp));
  }
  return AMI_OK;
}

/* SEQUENCE OF: a length-encoded count, then the items. Every item takes at
 * least one octet, so a count larger than the input left is refused at once
 * (as TRUNCATED: a longer input could still hold it). */
static int decode_list(ami_rd *r, uint8_t elem, ami_apdu_list *l) {
  size_t n;
  TRY(ami__apdu_rd_len(r, &n));
  if (n > ami_rd_left(r))
    return AMI_E_TRUNCATED;
  size_t start = r->pos;
  TRY(walk_items(r, elem, n));
  l->count = (uint32_t)n;
  l->elem = elem;
  l->items = ami_span_make(r->p + start, r->pos - start);
  return AMI_OK;
}

/* Items are copied verbatim, after checking they are `count` well-formed
 * items of the right kind and nothing else. */
static int encode_list(ami_wr *w, uint8_t elem, const ami_apdu_list *l) {
  if (!span_ok(l->items))
    return AMI_E_INVAL;
  ami_rd r;
  ami_rd_init(&r, l->items.p, l->items.len);
  if (walk_items(&r, elem, l->count) != AMI_OK || ami_rd_left(&r) != 0)
    return AMI_E_INVAL;
  ami__apdu_wr_len(w, l->count);
  ami_wr_bytes(w, l->items.p, l->items.len);
  return AMI_OK;
}

static int decode_data(ami_rd *r, ami_span *out) {
  size_t start = r->pos;
  TRY(ami__axdr_skip(r, AMI_APDU_MAX_DEPTH));
  *out = ami_span_make(r->p + start, r->pos - start);
  return AMI_OK;
}

static int encode_data(ami_wr *w, ami_span d) {
  if (!span_ok(d))
    return AMI_E_INVAL;
  ami_rd r;
  ami_rd_init(&r, d.p, d.len);
  if (ami__axdr_skip(&r, AMI_APDU_MAX_DEPTH) != AMI_OK || ami_rd_left(&r) != 0)
    return AMI_E_INVAL;
  ami_wr_bytes(w, d.p, d.len);
  return AMI_OK;
}

static const ami__alt *find_alt(const ami__choice *c, uint8_t tag) {
  for (uint8_t i = 0; i < c->n; i++)
    if (c->alts[i].tag == tag)
      return &c->alts[i];
  return NULL;
}

/* ---------------------------------------------------------------------- */
/* Decode */

/* Decode the value of one field (its OPTIONAL prefix already handled). */
static int decode_value(ami_rd *r, const ami__field *f, void *base) {
  void *v = at(base, f->off);
  uint8_t b;
  switch (f->kind) {
  case AMI__K_U8:
    return ami_rd_u8(r, v);
  case AMI__K_I8:
    TRY(ami_rd_u8(r, &b));
    *(int8_t *)v = (int8_t)(b < 0x80 ? (int)b : (int)b - 256);
    return AMI_OK;
  case AMI__K_U16:
    return ami_rd_u16be(r, v);
  case AMI__K_U32:
    return ami_rd_u32be(r, v);
  case AMI__K_BOOL:
    TRY(ami_rd_u8(r, &b));
    *(bool *)v = b != 0;
    return AMI_OK;
  case AMI__K_OBIS: {
    ami_span s;
    TRY(ami_rd_span(r, 6, &s));
    memcpy(v, s.p, 6);
    return AMI_OK;
  }
  case AMI__K_DATA:
    return decode_data(r, v);
  case AMI__K_OCTETS: {
    size_t n;
    TRY(ami__apdu_rd_len(r, &n));
    return ami_rd_span(r, n, v);
  }
  case AMI__K_CONFORMANCE:
    return decode_conformance(r, v);
  case AMI__K_SECURED:
    return decode_secured(r, v);
  case AMI__K_LIST:
    return decode_list(r, f->elem, v);
  case AMI__K_SEQ:
    return ami__apdu_decode_schema(r, f->seq, v);
  case AMI__K_CHOICE: {
    TRY(ami_rd_u8(r, &b));
    const ami__alt *a = find_alt(f->choice, b);
    if (a == NULL)
      return AMI_E_APDU_CHOICE;
    *(uint8_t *)v = b;
    return ami__apdu_decode_schema(r, &a->s, base);
  }
  default:
    return AMI_E_INVAL;
  }
}

int ami__apdu_decode_schema(ami_rd *r, const ami__schema *s, void *base) {
  for (uint8_t i = 0; i < s->n; i++) {
    const ami__field *f = &s->f[i];
    if (f->flags & AMI__OPT) {
      uint8_t flag;
      TRY(ami_rd_u8(r, &flag));
      bool *present = at(base, f->poff);
      if (flag > 1)
        return AMI_E_APDU_MALFORMED;
      *present = flag == 1;
      if (flag == 0) {
        if (f->flags & AMI__DEFTRUE)
          *(bool *)at(base, f->off) = true;
        continue;
      }
    }
    TRY(decode_value(r, f, base));
  }
  return AMI_OK;
}

/* ---------------------------------------------------------------------- */
/* Encode */

static int encode_value(ami_wr *w, const ami__field *f, const void *base) {
  const void *v = cat(base, f->off);
  switch (f->kind) {
  case AMI__K_U8:
    ami_wr_u8(w, *(const uint8_t *)v);
    return AMI_OK;
  case AMI__K_I8:
    ami_wr_u8(w, (uint8_t) * (const int8_t *)v);
    return AMI_OK;
  case AMI__K_U16:
    ami_wr_u16be(w, *(const uint16_t *)v);
    return AMI_OK;
  case AMI__K_U32:
    ami_wr_u32be(w, *(const uint32_t *)v);
    return AMI_OK;
  case AMI__K_BOOL:
    ami_wr_u8(w, *(const bool *)v ? 1 : 0);
    return AMI_OK;
  case AMI__K_OBIS:
    ami_wr_bytes(w, v, 6);
    return AMI_OK;
  case AMI__K_DATA:
    return encode_data(w, *(const ami_span *)v);
  case AMI__K_OCTETS: {
    const ami_span *s = v;
    if (!span_ok(*s) || s->len > UINT32_MAX)
      return AMI_E_INVAL;
    ami__apdu_wr_len(w, s->len);
    ami_wr_bytes(w, s->p, s->len);
    return AMI_OK;
  }
  case AMI__K_CONFORMANCE: {
    uint32_t c = *(const uint32_t *)v;
    if (c > 0xFFFFFFu)
      return AMI_E_INVAL;
    ami_wr_bytes(w, conformance_header, 4);
    ami_wr_u8(w, (uint8_t)(c >> 16));
    ami_wr_u8(w, (uint8_t)(c >> 8));
    ami_wr_u8(w, (uint8_t)c);
    return AMI_OK;
  }
  case AMI__K_SECURED:
    return encode_secured(w, v);
  case AMI__K_LIST:
    return encode_list(w, f->elem, v);
  case AMI__K_SEQ:
    return ami__apdu_encode_schema(w, f->seq, v);
  case AMI__K_CHOICE: {
    uint8_t tag = *(const uint8_t *)v;
    const ami__alt *a = find_alt(f->choice, tag);
    if (a == NULL)
      return AMI_E_INVAL;
    ami_wr_u8(w, tag);
    return ami__apdu_encode_schema(w, &a->s, base);
  }
  default:
    return AMI_E_INVAL;
  }
}

int ami__apdu_encode_schema(ami_wr *w, const ami__schema *s, const void *base) {
  for (uint8_t i = 0; i < s->n; i++) {
    const ami__field *f = &s->f[i];
    if (f->flags & AMI__OPT) {
      bool present = *(const bool *)cat(base, f->poff);
      ami_wr_u8(w, present ? 1 : 0);
      if (!present)
        continue;
    }
    TRY(encode_value(w, f, base));
  }
  return w->err;
}

/* ---------------------------------------------------------------------- */
/* Compare */

static bool equal_value(const ami__field *f, const void *a, const void *b) {
  const void *va = cat(a, f->off), *vb = cat(b, f->off);
  switch (f->kind) {
  case AMI__K_U8:
  case AMI__K_I8:
    return *(const uint8_t *)va == *(const uint8_t *)vb;
  case AMI__K_BOOL:
    return *(const bool *)va == *(const bool *)vb;
  case AMI__K_U16:
    return *(const uint16_t *)va == *(const uint16_t *)vb;
  case AMI__K_U32:
  case AMI__K_CONFORMANCE:
    return *(const uint32_t *)va == *(const uint32_t *)vb;
  case AMI__K_OBIS:
    return memcmp(va, vb, 6) == 0;
  case AMI__K_DATA:
  case AMI__K_OCTETS:
    return ami_span_eq(*(const ami_span *)va, *(const ami_span *)vb);
  case AMI__K_SECURED: {
    const ami_apdu_secured *x = va, *y = vb;
    return x->sc == y->sc && x->ic == y->ic &&
           ami_span_eq(x->ciphertext, y->ciphertext) &&
           ami_span_eq(x->auth_tag, y->auth_tag);
  }
  case AMI__K_LIST: {
    const ami_apdu_list *x = va, *y = vb;
    return x->count == y->count && ami_span_eq(x->items, y->items);
  }
  case AMI__K_SEQ:
    return ami__apdu_equal_schema(f->seq, va, vb);
  case AMI__K_CHOICE: {
    uint8_t tag = *(const uint8_t *)va;
    if (tag != *(const uint8_t *)vb)
      return false;
    const ami__alt *alt = find_alt(f->choice, tag);
    return alt != NULL && ami__apdu_equal_schema(&alt->s, a, b);
  }
  default:
    return false;
  }
}

bool ami__apdu_equal_schema(const ami__schema *s, const void *a,
                            const void *b) {
  for (uint8_t i = 0; i < s->n; i++) {
    const ami__field *f = &s->f[i];
    if (f->flags & AMI__OPT) {
      bool pa = *(const bool *)cat(a, f->poff);
      bool pb = *(const bool *)cat(b, f->poff);
      if (pa != pb)
        return false;
      if (!pa)
        continue;
    }
    if (!equal_value(f, a, b))
      return false;
  }
  return true;
}

/* ---------------------------------------------------------------------- */
/* List iteration and item writing (public API of ami_apdu.h) */

void ami_apdu_iter_init(ami_apdu_iter *it, const ami_apdu_list *list) {
  ami_rd_init(&it->rd, list->items.p, list->items.len);
  it->left = list->count;
  it->elem = list->elem;
}

static int iter_next(ami_apdu_iter *it, uint8_t elem, void *out) {
  if (it->elem != elem)
    return AMI_E_INVAL;
  if (it->left == 0)
    return 0;
  const ami__elem_info *e = &ami__elems[elem];
  memset(out, 0, e->size);
  int rc = ami__apdu_decode_schema(&it->rd, e->schema, out);
  if (rc != AMI_OK)
    return rc;
  it->left--;
  return 1;
}

int ami_apdu_next_attr_sel(ami_apdu_iter *it, ami_apdu_attr_sel *out) {
  return iter_next(it, AMI_APDU_ELEM_ATTR_SEL, out);
}
int ami_apdu_next_method_desc(ami_apdu_iter *it, ami_apdu_desc *out) {
  return iter_next(it, AMI_APDU_ELEM_METHOD_DESC, out);
}
int ami_apdu_next_data(ami_apdu_iter *it, ami_span *out) {
  return iter_next(it, AMI_APDU_ELEM_DATA, out);
}
int ami_apdu_next_dar(ami_apdu_iter *it, uint8_t *out) {
  return iter_next(it, AMI_APDU_ELEM_DAR, out);
}
int ami_apdu_next_get_result(ami_apdu_iter *it, ami_apdu_get_result *out) {
  return iter_next(it, AMI_APDU_ELEM_GET_RESULT, out);
}
int ami_apdu_next_action_result(ami_apdu_iter *it,
                                ami_apdu_action_result *out) {
  return iter_next(it, AMI_APDU_ELEM_ACTION_RESULT, out);
}
int ami_apdu_next_var_access(ami_apdu_iter *it, ami_apdu_var_access *out) {
  return iter_next(it, AMI_APDU_ELEM_VAR_ACCESS, out);
}
int ami_apdu_next_read_result(ami_apdu_iter *it, ami_apdu_read_result *out) {
  return iter_next(it, AMI_APDU_ELEM_READ_RESULT, out);
}
int ami_apdu_next_write_result(ami_apdu_iter *it, ami_apdu_write_result *out) {
  return iter_next(it, AMI_APDU_ELEM_WRITE_RESULT, out);
}

int ami_apdu_write_item(ami_wr *w, ami_apdu_elem elem, const void *item) {
  if (elem <= AMI_APDU_ELEM_NONE || elem >= AMI_APDU_ELEM_COUNT || item == NULL)
    return AMI_E_INVAL;
  return ami__apdu_encode_schema(w, ami__elems[elem].schema, item);
}
