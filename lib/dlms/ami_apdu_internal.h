/*
 * ami_apdu_internal.h -- the table-driven A-XDR codec behind ami_apdu.h.
 *
 * Every xDLMS APDU is described once, as data: a schema is a list of fields,
 * each field a kind (an A-XDR building block) and the offset of its C member.
 * One generic walker decodes, encodes and compares any schema, so the three
 * can never disagree about a layout (the open62541 idea). The per-service
 * files (ami_apdu_get.c, ami_apdu_set.c, ...) hold nothing but tables.
 *
 * A-XDR (IEC 61334-6, as profiled by IEC 62056-5-3 §8) encodes a SEQUENCE
 * as its fields in order, an OPTIONAL field as 00 (absent) or 01 + value, a
 * CHOICE as one tag octet + the alternative, a SEQUENCE OF as a length-
 * encoded count + the items, an OCTET STRING as a length + the octets, and
 * fixed-size integers big-endian with no tag.
 */
#ifndef AMI_APDU_INTERNAL_H
#define AMI_APDU_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ami/ami_apdu.h"
#include "ami/ami_buf.h"

/* Field kinds and the C type each one fills. */
enum {
  AMI__K_U8 = 1,      /* uint8_t */
  AMI__K_I8,          /* int8_t */
  AMI__K_U16,         /* uint16_t */
  AMI__K_U32,         /* uint32_t */
  AMI__K_BOOL,        /* bool (any non-zero octet is TRUE) */
  AMI__K_OBIS,        /* uint8_t[6]: OCTET STRING (SIZE(6)), no length */
  AMI__K_DATA,        /* ami_span: one encoded A-XDR Data, kept raw */
  AMI__K_OCTETS,      /* ami_span: length-prefixed OCTET STRING contents */
  AMI__K_CONFORMANCE, /* uint32_t: 5F 1F 04 00 + three octets */
  AMI__K_SECURED,     /* ami_apdu_secured: ciphered-content OCTET STRING */
  AMI__K_LIST,        /* ami_apdu_list: SEQUENCE OF `elem` */
  AMI__K_SEQ,         /* a nested struct described by `seq` */
  AMI__K_CHOICE       /* uint8_t tag + alternative fields (same base) */
};

/* Field flags. */
#define AMI__OPT     0x01u /* OPTIONAL: presence bool at `poff` */
#define AMI__DEFTRUE 0x02u /* with OPT: BOOLEAN DEFAULT TRUE */

typedef struct ami__schema ami__schema;
typedef struct ami__choice ami__choice;

typedef struct ami__field {
  uint8_t kind;
  uint8_t flags;
  uint8_t elem;              /* AMI__K_LIST: ami_apdu_elem of the items */
  uint16_t off;              /* offset of the C member in the base struct */
  uint16_t poff;             /* AMI__OPT: offset of the presence bool */
  const ami__schema *seq;    /* AMI__K_SEQ: layout of the nested struct */
  const ami__choice *choice; /* AMI__K_CHOICE: the alternatives */
} ami__field;

struct ami__schema {
  const ami__field *f;
  uint8_t n;
};

typedef struct ami__alt {
  uint8_t tag;
  ami__schema s; /* offsets relative to the choice's own base */
} ami__alt;

struct ami__choice {
  const ami__alt *alts;
  uint8_t n;
};

/* Table-writing helpers: T is the C struct the offsets refer to. */
#define AMI__F(K, T, m)                                                        \
  { .kind = AMI__K_##K, .off = offsetof(T, m) }
#define AMI__F_OPT(K, T, m, p)                                                 \
  {                                                                            \
    .kind = AMI__K_##K, .flags = AMI__OPT, .off = offsetof(T, m),              \
    .poff = offsetof(T, p)                                                     \
  }
#define AMI__F_SEQ(T, m, S)                                                    \
  { .kind = AMI__K_SEQ, .off = offsetof(T, m), .seq = (S) }
#define AMI__F_OPT_SEQ(T, m, p, S)                                             \
  {                                                                            \
    .kind = AMI__K_SEQ, .flags = AMI__OPT, .off = offsetof(T, m),              \
    .poff = offsetof(T, p), .seq = (S)                                         \
  }
#define AMI__F_LIST(T, m, E)                                                   \
  { .kind = AMI__K_LIST, .elem = (E), .off = offsetof(T, m) }
#define AMI__F_CHOICE(T, m, C)                                                 \
  { .kind = AMI__K_CHOICE, .off = offsetof(T, m), .choice = (C) }
#define AMI__N(a) ((uint8_t)(sizeof(a) / sizeof((a)[0])))
#define AMI__SCHEMA(a)                                                         \
  { (a), AMI__N(a) }
#define AMI__CHOICE_OF(a)                                                      \
  { (a), AMI__N(a) }
#define AMI__ALT(t, a)                                                         \
  { (t), AMI__SCHEMA(a) }
#define AMI__ALT_EMPTY(t)                                                      \
  {                                                                            \
    (t), {                                                                     \
      NULL, 0                                                                  \
    }                                                                          \
  }

/* The generic walker (ami_apdu_codec.c). `base` is the struct the schema's
 * offsets refer to. Decoding starts from a zeroed struct. */
int ami__apdu_decode_schema(ami_rd *r, const ami__schema *s, void *base);
int ami__apdu_encode_schema(ami_wr *w, const ami__schema *s, const void *base);
bool ami__apdu_equal_schema(const ami__schema *s, const void *a, const void *b);

/* A-XDR length octets (IEC 61334-6 / X.690 definite form, at most four
 * length octets): reading refuses 0x80 and more than four octets with
 * AMI_E_BAD_LENGTH. */
int ami__apdu_rd_len(ami_rd *r, size_t *len);
void ami__apdu_wr_len(ami_wr *w, size_t len);

/* Skip exactly one A-XDR Data value (ami_apdu_skip.c, through the A-XDR
 * module), allowing `depth` levels of array/structure nesting. */
int ami__axdr_skip(ami_rd *r, int depth);

/* Shared building-block schemas (ami_apdu_items.c). */
extern const ami__schema ami__desc_schema;          /* ami_apdu_desc */
extern const ami__schema ami__selection_schema;     /* ami_apdu_selection */
extern const ami__schema ami__get_result_schema;    /* ami_apdu_get_result */
extern const ami__schema ami__action_result_schema; /* ami_apdu_action_result */
extern const ami__schema ami__datablock_schema;     /* ami_apdu_datablock */
extern const ami__schema ami__datablock_g_schema;   /* ami_apdu_datablock_g */

/* List item layouts, indexed by ami_apdu_elem (ami_apdu_items.c). */
typedef struct ami__elem_info {
  const ami__schema *schema;
  size_t size;
} ami__elem_info;
extern const ami__elem_info ami__elems[AMI_APDU_ELEM_COUNT];

/* Per-tag APDU schemas, each describing one member of ami_apdu.u. */
extern const ami__schema ami__get_request_schema; /* ami_apdu_get.c */
extern const ami__schema ami__get_response_schema;
extern const ami__schema ami__set_request_schema; /* ami_apdu_set.c */
extern const ami__schema ami__set_response_schema;
extern const ami__schema ami__action_request_schema; /* ami_apdu_action.c */
extern const ami__schema ami__action_response_schema;
extern const ami__schema ami__event_schema; /* ami_apdu_notify.c */
extern const ami__schema ami__data_notification_schema;
extern const ami__schema ami__initiate_request_schema; /* ami_apdu_session.c */
extern const ami__schema ami__initiate_response_schema;
extern const ami__schema ami__cse_schema;
extern const ami__schema ami__exception_schema;
extern const ami__schema ami__gbt_schema;
extern const ami__schema ami__service_ciphered_schema; /* ami_apdu_cipher.c */
extern const ami__schema ami__general_glo_schema;
extern const ami__schema ami__general_ciphering_schema;
extern const ami__schema ami__general_signing_schema;
extern const ami__schema ami__sn_read_request_schema; /* ami_apdu_sn.c */
extern const ami__schema ami__sn_read_response_schema;
extern const ami__schema ami__sn_write_request_schema;
extern const ami__schema ami__sn_write_response_schema;
extern const ami__schema ami__sn_info_report_schema;

#endif /* AMI_APDU_INTERNAL_H */
