/*
 * ami_acse.c -- AARQ, AARE, RLRQ and RLRE (IEC 62056-5-3 §7.3, ITU-T X.227
 * ACSE abstract syntax, BER per X.690), decoded and encoded from one table
 * per APDU: each row names a field's identifier octet, its BER shape and the
 * C member it fills, and the same rows drive decode, encode and compare.
 */
#include "ami/ami_acse.h"

#include <string.h>

#include "ami/ami_ber.h"

#define TRY(expr)                                                              \
  do {                                                                         \
    int ami__rc = (expr);                                                      \
    if (ami__rc != AMI_OK)                                                     \
      return ami__rc;                                                          \
  } while (0)

/* BER shapes of the ACSE fields. */
enum {
  K_BITS = 1,    /* [n] IMPLICIT BIT STRING -> ami_acse_octets */
  K_NAME_EXPL,   /* [n] { OBJECT IDENTIFIER } -> ami_acse_name */
  K_NAME_IMPL,   /* [n] IMPLICIT OBJECT IDENTIFIER -> ami_acse_name */
  K_OCTETS_EXPL, /* [n] { OCTET STRING } -> ami_acse_octets */
  K_INT_EXPL,    /* [n] { INTEGER } -> ami_acse_int */
  K_INT_IMPL,    /* [n] IMPLICIT INTEGER -> ami_acse_int */
  K_AUTH,        /* [n] { CHOICE charstring [0] | bitstring [1] } */
  K_GRAPHIC,     /* [n] IMPLICIT GraphicString -> ami_acse_octets */
  K_DIAG,        /* [n] { CHOICE user [1] { INTEGER } | provider [2] {...} } */
  K_USER_INFO    /* [30] { OCTET STRING { xDLMS APDU } } */
};

typedef struct acse_field {
  uint8_t id;       /* identifier octet */
  uint8_t kind;     /* K_* */
  uint8_t arc;      /* names: 1 = application context, 2 = mechanism */
  uint8_t required; /* the APDU is malformed without it */
  uint16_t off;     /* member offset; every member starts with `bool present` */
} acse_field;

#define ROW(id, kind, T, m)                                                    \
  { (id), (kind), 0, 0, (uint16_t)offsetof(T, m) }
#define ROW_REQ(id, kind, T, m)                                                \
  { (id), (kind), 0, 1, (uint16_t)offsetof(T, m) }
#define ROW_NAME(id, kind, arc, req, T, m)                                     \
  { (id), (kind), (arc), (req), (uint16_t)offsetof(T, m) }

/* AARQ-apdu ::= [APPLICATION 0] IMPLICIT SEQUENCE (X.227 §7.1, with the
 * IEC 62056-5-3 §7.3.7 restrictions). */
static const acse_field aarq_fields[] = {
    ROW(0x80, K_BITS, ami_acse_aarq, protocol_version),
    ROW_NAME(0xA1, K_NAME_EXPL, 1, 1, ami_acse_aarq, context),
    ROW(0xA2, K_OCTETS_EXPL, ami_acse_aarq, called_ap_title),
    ROW(0xA3, K_OCTETS_EXPL, ami_acse_aarq, called_ae_qualifier),
    ROW(0xA4, K_INT_EXPL, ami_acse_aarq, called_ap_invocation_id),
    ROW(0xA5, K_INT_EXPL, ami_acse_aarq, called_ae_invocation_id),
    ROW(0xA6, K_OCTETS_EXPL, ami_acse_aarq, calling_ap_title),
    ROW(0xA7, K_OCTETS_EXPL, ami_acse_aarq, calling_ae_qualifier),
    ROW(0xA8, K_INT_EXPL, ami_acse_aarq, calling_ap_invocation_id),
    ROW(0xA9, K_INT_EXPL, ami_acse_aarq, calling_ae_invocation_id),
    ROW(0x8A, K_BITS, ami_acse_aarq, acse_requirements),
    ROW_NAME(0x8B, K_NAME_IMPL, 2, 0, ami_acse_aarq, mechanism),
    ROW(0xAC, K_AUTH, ami_acse_aarq, auth_value),
    ROW(0x9D, K_GRAPHIC, ami_acse_aarq, implementation_info),
    ROW(0xBE, K_USER_INFO, ami_acse_aarq, user_info),
};

/* AARE-apdu ::= [APPLICATION 1] IMPLICIT SEQUENCE. */
static const acse_field aare_fields[] = {
    ROW(0x80, K_BITS, ami_acse_aare, protocol_version),
    ROW_NAME(0xA1, K_NAME_EXPL, 1, 1, ami_acse_aare, context),
    ROW_REQ(0xA2, K_INT_EXPL, ami_acse_aare, result),
    ROW_REQ(0xA3, K_DIAG, ami_acse_aare, diagnostic),
    ROW(0xA4, K_OCTETS_EXPL, ami_acse_aare, responding_ap_title),
    ROW(0xA5, K_OCTETS_EXPL, ami_acse_aare, responding_ae_qualifier),
    ROW(0xA6, K_INT_EXPL, ami_acse_aare, responding_ap_invocation_id),
    ROW(0xA7, K_INT_EXPL, ami_acse_aare, responding_ae_invocation_id),
    ROW(0x88, K_BITS, ami_acse_aare, acse_requirements),
    ROW_NAME(0x89, K_NAME_IMPL, 2, 0, ami_acse_aare, mechanism),
    ROW(0xAA, K_AUTH, ami_acse_aare, auth_value),
    ROW(0x9D, K_GRAPHIC, ami_acse_aare, implementation_info),
    ROW(0xBE, K_USER_INFO, ami_acse_aare, user_info),
};

/* RLRQ-apdu ::= [APPLICATION 2] and RLRE-apdu ::= [APPLICATION 3]: reason
 * [0] IMPLICIT INTEGER OPTIONAL, user-information [30] OPTIONAL. */
static const acse_field release_fields[] = {
    ROW(0x80, K_INT_IMPL, ami_acse_release, reason),
    ROW(0xBE, K_USER_INFO, ami_acse_release, user_info),
};

typedef struct acse_table {
  const acse_field *f;
  size_t n;
} acse_table;

static const acse_table tables[4] = {
    {aarq_fields, sizeof aarq_fields / sizeof aarq_fields[0]},
    {aare_fields, sizeof aare_fields / sizeof aare_fields[0]},
    {release_fields, sizeof release_fields / sizeof release_fields[0]},
    {release_fields, sizeof release_fields / sizeof release_fields[0]},
};

bool ami_acse_is_tag(uint8_t tag) {
  return tag >= AMI_ACSE_AARQ && tag <= AMI_ACSE_RLRE;
}

static void *at(void *base, uint16_t off) {
  return (char *)base + off;
}
static const void *cat(const void *base, uint16_t off) {
  return (const char *)base + off;
}

/* A length that overruns a complete container is a bad length, not a need
 * for more input. */
static int inner(int rc) {
  return rc == AMI_E_TRUNCATED ? AMI_E_BAD_LENGTH : rc;
}

/* The DLMS UA object identifier arcs {joint-iso-ccitt(2) country(16)
 * country-name(756) identified-organization(5) DLMS-UA(8) arc(1|2) id}. */
static const uint8_t dlms_oid_prefix[5] = {0x60, 0x85, 0x74, 0x05, 0x08};

static uint8_t name_max(uint8_t arc) {
  return arc == 1 ? AMI_ACSE_CTX_SN_CIPHERED : AMI_ACSE_MECH_ECDSA;
}

static uint8_t recognise(ami_span oid, uint8_t arc) {
  if (oid.len != 7 || memcmp(oid.p, dlms_oid_prefix, 5) != 0 || oid.p[5] != arc)
    return AMI_ACSE_UNKNOWN;
  uint8_t id = oid.p[6];
  uint8_t min = arc == 1 ? AMI_ACSE_CTX_LN : AMI_ACSE_MECH_NONE;
  return id >= min && id <= name_max(arc) ? id : AMI_ACSE_UNKNOWN;
}

/* X.690 §8.6.2: the first contents octet counts the unused bits (0..7) of
 * the last octet; an empty bit string has none. */
static bool bits_valid(ami_span c) {
  return c.len >= 1 && c.p[0] <= 7 && (c.len > 1 || c.p[0] == 0);
}

/* ---------------------------------------------------------------------- */
/* Decode */

static int decode_name(ami_span oid, uint8_t arc, ami_acse_name *n) {
  if (!ami_ber_oid_valid(oid))
    return AMI_E_APDU_MALFORMED;
  n->oid = oid;
  n->id = recognise(oid, arc);
  return AMI_OK;
}

static int decode_explicit_int(ami_span v, int32_t *out) {
  ami_span c;
  TRY(ami_ber_expect(v, AMI_BER_INTEGER, &c));
  return ami_ber_get_int(c, out);
}

/* The contents of an explicit tag that holds one CHOICE element: returns
 * the chosen element's identifier and contents. */
static int decode_single(ami_span v, ami_ber_tlv *t) {
  ami_rd r;
  ami_rd_init(&r, v.p, v.len);
  TRY(inner(ami_ber_read_tlv(&r, t)));
  return ami_rd_left(&r) == 0 ? AMI_OK : AMI_E_TRAILING;
}

static int decode_user_info(ami_span v, ami_acse_user_info *u) {
  ami_span octets;
  TRY(ami_ber_expect(v, AMI_BER_OCTET_STRING, &octets));
  return inner(ami_apdu_decode(octets, &u->apdu));
}

static int decode_field(const acse_field *f, ami_span v, void *base) {
  void *m = at(base, f->off);
  ami_acse_octets *o = m;
  ami_acse_int *i = m;
  ami_ber_tlv t;
  switch (f->kind) {
  case K_BITS:
    if (!bits_valid(v))
      return AMI_E_APDU_MALFORMED;
    o->value = v;
    return AMI_OK;
  case K_GRAPHIC:
    o->value = v;
    return AMI_OK;
  case K_OCTETS_EXPL:
    return ami_ber_expect(v, AMI_BER_OCTET_STRING, &o->value);
  case K_NAME_EXPL: {
    ami_span oid;
    TRY(ami_ber_expect(v, AMI_BER_OID, &oid));
    return decode_name(oid, f->arc, m);
  }
  case K_NAME_IMPL:
    return decode_name(v, f->arc, m);
  case K_INT_EXPL:
    return decode_explicit_int(v, &i->value);
  case K_INT_IMPL:
    return ami_ber_get_int(v, &i->value);
  case K_AUTH: {
    ami_acse_auth *a = m;
    TRY(decode_single(v, &t));
    if (t.id != 0x80 && t.id != 0x81)
      return AMI_E_APDU_MALFORMED; /* external [2] / other [3]: unused */
    if (t.id == 0x81 && !bits_valid(t.value))
      return AMI_E_APDU_MALFORMED;
    a->choice = (uint8_t)(t.id & 0x1Fu);
    a->value = t.value;
    return AMI_OK;
  }
  case K_DIAG: {
    ami_acse_diag *d = m;
    TRY(decode_single(v, &t));
    if (t.id != 0xA1 && t.id != 0xA2)
      return AMI_E_APDU_MALFORMED;
    d->source = (uint8_t)(t.id & 0x1Fu);
    return decode_explicit_int(t.value, &d->value);
  }
  case K_USER_INFO:
    return decode_user_info(v, m);
  default:
    return AMI_E_INVAL;
  }
}

static const acse_field *find_field(const acse_table *tab, uint8_t id) {
  for (size_t i = 0; i < tab->n; i++)
    if (tab->f[i].id == id)
      return &tab->f[i];
  return NULL;
}

/* Walk the elements of the SEQUENCE by tag (any order), skipping unknown
 * tags, then check the required fields. */
static int decode_fields(ami_span content, const acse_table *tab, void *base) {
  ami_rd r;
  ami_rd_init(&r, content.p, content.len);
  while (ami_rd_left(&r) > 0) {
    ami_ber_tlv t;
    TRY(inner(ami_ber_read_tlv(&r, &t)));
    const acse_field *f =
        (t.id & 0x1Fu) == 0x1Fu ? NULL : find_field(tab, t.id);
    if (f == NULL)
      continue;
    bool *present = at(base, f->off);
    if (*present)
      return AMI_E_APDU_MALFORMED;
    TRY(decode_field(f, t.value, base));
    *present = true;
  }
  for (size_t i = 0; i < tab->n; i++)
    if (tab->f[i].required && !*(const bool *)cat(base, tab->f[i].off))
      return AMI_E_APDU_MALFORMED;
  return AMI_OK;
}

int ami_acse_decode_prefix(ami_span in, ami_acse *out, size_t *used) {
  memset(out, 0, sizeof *out);
  ami_rd r;
  ami_rd_init(&r, in.p, in.len);
  uint8_t tag;
  TRY(ami_rd_peek(&r, &tag));
  if (!ami_acse_is_tag(tag))
    return AMI_E_APDU_TAG;
  ami_ber_tlv t;
  TRY(ami_ber_read_tlv(&r, &t));
  out->tag = tag;
  TRY(decode_fields(t.value, &tables[tag - AMI_ACSE_AARQ], &out->u));
  if (used)
    *used = r.pos;
  return AMI_OK;
}

int ami_acse_decode(ami_span in, ami_acse *out) {
  size_t used = 0;
  int rc = ami_acse_decode_prefix(in, out, &used);
  if (rc == AMI_OK && used != in.len)
    return AMI_E_TRAILING;
  return rc;
}

/* ---------------------------------------------------------------------- */
/* Encode */

static bool span_ok(ami_span s) {
  return s.len == 0 || s.p != NULL;
}

static int encode_name(ami_wr *w, const acse_field *f, const ami_acse_name *n) {
  uint8_t std[7];
  ami_span oid = n->oid;
  if (n->id != AMI_ACSE_UNKNOWN) {
    if (n->id > name_max(f->arc) || (f->arc == 1 && n->id == 0))
      return AMI_E_INVAL;
    memcpy(std, dlms_oid_prefix, 5);
    std[5] = f->arc;
    std[6] = n->id;
    oid = ami_span_make(std, sizeof std);
  } else if (!span_ok(oid) || !ami_ber_oid_valid(oid)) {
    return AMI_E_INVAL;
  }
  if (f->kind == K_NAME_IMPL) {
    ami_ber_write_tlv(w, f->id, oid.p, oid.len);
    return AMI_OK;
  }
  size_t start = w->len;
  ami_ber_write_tlv(w, AMI_BER_OID, oid.p, oid.len);
  return ami_ber_wrap(w, start, f->id);
}

static int encode_field(ami_wr *w, const acse_field *f, const void *base) {
  const void *m = cat(base, f->off);
  const ami_acse_octets *o = m;
  const ami_acse_int *i = m;
  size_t start = w->len;
  switch (f->kind) {
  case K_BITS:
    if (!span_ok(o->value) || !bits_valid(o->value))
      return AMI_E_INVAL;
    ami_ber_write_tlv(w, f->id, o->value.p, o->value.len);
    return AMI_OK;
  case K_GRAPHIC:
    if (!span_ok(o->value))
      return AMI_E_INVAL;
    ami_ber_write_tlv(w, f->id, o->value.p, o->value.len);
    return AMI_OK;
  case K_OCTETS_EXPL:
    if (!span_ok(o->value))
      return AMI_E_INVAL;
    ami_ber_write_tlv(w, AMI_BER_OCTET_STRING, o->value.p, o->value.len);
    return ami_ber_wrap(w, start, f->id);
  case K_NAME_EXPL:
  case K_NAME_IMPL:
    return encode_name(w, f, m);
  case K_INT_EXPL:
    ami_ber_write_int(w, AMI_BER_INTEGER, i->value);
    return ami_ber_wrap(w, start, f->id);
  case K_INT_IMPL:
    ami_ber_write_int(w, f->id, i->value);
    return AMI_OK;
  case K_AUTH: {
    const ami_acse_auth *a = m;
    if (a->choice > 1 || !span_ok(a->value) ||
        (a->choice == 1 && !bits_valid(a->value)))
      return AMI_E_INVAL;
    ami_ber_write_tlv(w, (uint8_t)(0x80u | a->choice), a->value.p,
                      a->value.len);
    return ami_ber_wrap(w, start, f->id);
  }
  case K_DIAG: {
    const ami_acse_diag *d = m;
    if (d->source != AMI_ACSE_DIAG_USER && d->source != AMI_ACSE_DIAG_PROVIDER)
      return AMI_E_INVAL;
    ami_ber_write_int(w, AMI_BER_INTEGER, d->value);
    TRY(ami_ber_wrap(w, start, (uint8_t)(0xA0u | d->source)));
    return ami_ber_wrap(w, start, f->id);
  }
  case K_USER_INFO: {
    const ami_acse_user_info *u = m;
    TRY(ami_apdu_encode(w, &u->apdu));
    TRY(ami_ber_wrap(w, start, AMI_BER_OCTET_STRING));
    return ami_ber_wrap(w, start, f->id);
  }
  default:
    return AMI_E_INVAL;
  }
}

int ami_acse_encode(ami_wr *w, const ami_acse *acse) {
  if (!ami_acse_is_tag(acse->tag))
    return AMI_E_APDU_TAG;
  const acse_table *tab = &tables[acse->tag - AMI_ACSE_AARQ];
  size_t start = w->len;
  for (size_t i = 0; i < tab->n; i++) {
    const acse_field *f = &tab->f[i];
    if (!*(const bool *)cat(&acse->u, f->off)) {
      if (f->required)
        return AMI_E_INVAL;
      continue;
    }
    TRY(encode_field(w, f, &acse->u));
  }
  return ami_ber_wrap(w, start, acse->tag);
}

/* ---------------------------------------------------------------------- */
/* Compare */

static bool equal_field(const acse_field *f, const void *a, const void *b) {
  const void *ma = cat(a, f->off), *mb = cat(b, f->off);
  switch (f->kind) {
  case K_BITS:
  case K_GRAPHIC:
  case K_OCTETS_EXPL: {
    const ami_acse_octets *x = ma, *y = mb;
    return ami_span_eq(x->value, y->value);
  }
  case K_NAME_EXPL:
  case K_NAME_IMPL: {
    const ami_acse_name *x = ma, *y = mb;
    return x->id == y->id &&
           (x->id != AMI_ACSE_UNKNOWN || ami_span_eq(x->oid, y->oid));
  }
  case K_INT_EXPL:
  case K_INT_IMPL: {
    const ami_acse_int *x = ma, *y = mb;
    return x->value == y->value;
  }
  case K_AUTH: {
    const ami_acse_auth *x = ma, *y = mb;
    return x->choice == y->choice && ami_span_eq(x->value, y->value);
  }
  case K_DIAG: {
    const ami_acse_diag *x = ma, *y = mb;
    return x->source == y->source && x->value == y->value;
  }
  case K_USER_INFO: {
    const ami_acse_user_info *x = ma, *y = mb;
    return ami_apdu_equal(&x->apdu, &y->apdu);
  }
  default:
    return false;
  }
}

bool ami_acse_equal(const ami_acse *a, const ami_acse *b) {
  if (a->tag != b->tag || !ami_acse_is_tag(a->tag))
    return false;
  const acse_table *tab = &tables[a->tag - AMI_ACSE_AARQ];
  for (size_t i = 0; i < tab->n; i++) {
    const acse_field *f = &tab->f[i];
    bool pa = *(const bool *)cat(&a->u, f->off);
    bool pb = *(const bool *)cat(&b->u, f->off);
    if (pa != pb)
      return false;
    if (pa && !equal_field(f, &a->u, &b->u))
      return false;
  }
  return true;
}

/* ---------------------------------------------------------------------- */
/* Names */

#define UNKNOWN "unknown"

const char *ami_acse_context_name(unsigned id) {
  static const char *const names[] = {NULL,
                                      "logical-name-referencing-no-ciphering",
                                      "short-name-referencing-no-ciphering",
                                      "logical-name-referencing-with-ciphering",
                                      "short-name-referencing-with-ciphering"};
  return id >= 1 && id <= 4 ? names[id] : UNKNOWN;
}

const char *ami_acse_mechanism_name(unsigned id) {
  static const char *const names[] = {
      "lowest-level-security",      "low-level-security",
      "high-level-security",        "high-level-security-md5",
      "high-level-security-sha1",   "high-level-security-gmac",
      "high-level-security-sha256", "high-level-security-ecdsa"};
  return id < 8 ? names[id] : UNKNOWN;
}

const char *ami_acse_result_name(int result) {
  static const char *const names[] = {"accepted", "rejected-permanent",
                                      "rejected-transient"};
  return result >= 0 && result <= 2 ? names[result] : UNKNOWN;
}

const char *ami_acse_diag_name(unsigned source, int value) {
  static const char *const user[] = {
      "null",
      "no-reason-given",
      "application-context-name-not-supported",
      "calling-AP-title-not-recognized",
      "calling-AP-invocation-identifier-not-recognized",
      "calling-AE-qualifier-not-recognized",
      "calling-AE-invocation-identifier-not-recognized",
      "called-AP-title-not-recognized",
      "called-AP-invocation-identifier-not-recognized",
      "called-AE-qualifier-not-recognized",
      "called-AE-invocation-identifier-not-recognized",
      "authentication-mechanism-name-not-recognised",
      "authentication-mechanism-name-required",
      "authentication-failure",
      "authentication-required"};
  static const char *const provider[] = {"null", "no-reason-given",
                                         "no-common-acse-version"};
  if (source == AMI_ACSE_DIAG_USER && value >= 0 && value <= 14)
    return user[value];
  if (source == AMI_ACSE_DIAG_PROVIDER && value >= 0 && value <= 2)
    return provider[value];
  return UNKNOWN;
}

const char *ami_acse_release_reason_name(uint8_t tag, int reason) {
  if (reason == AMI_ACSE_RELEASE_NORMAL)
    return "normal";
  if (reason == AMI_ACSE_RELEASE_USER_DEFINED)
    return "user-defined";
  if (reason == 1 && tag == AMI_ACSE_RLRQ)
    return "urgent";
  if (reason == 1 && tag == AMI_ACSE_RLRE)
    return "not-finished";
  return UNKNOWN;
}
