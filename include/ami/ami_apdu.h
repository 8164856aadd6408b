/*
 * ami_apdu.h -- the xDLMS APDUs of IEC 62056-5-3 (DLMS/COSEM Green Book):
 * decode, encode and compare, without allocation.
 *
 * One tagged union, ami_apdu, holds any xDLMS APDU: `tag` is the first octet
 * on the wire (AMI_APDU_GET_REQUEST, ...) and selects the member of `u`.
 * Services with several forms (GET-Request normal / next / with-list, ...)
 * keep the form in `choice` and use only the members documented for it;
 * members of other forms are left zero by the decoder and ignored by the
 * encoder.
 *
 * Zero-copy: the decoder borrows its input. Every ami_span in a decoded APDU
 * points into the buffer given to ami_apdu_decode and is valid as long as
 * that buffer. Data values (A-XDR `Data`: get results, set values, action
 * parameters, notification bodies, selective-access parameters) are NOT
 * decoded here: they are kept as spans of their encoded bytes, to be read
 * with the A-XDR codec. Sequences (the with-list forms) are kept as a count
 * and the span of their encoded items, read with the ami_apdu_next_*
 * iterators, so there is no fixed cap on list sizes. The decoder still walks
 * every item once, so a decoded APDU is known to be well formed throughout.
 *
 * Ciphered APDUs (glo-/ded- service-specific, general-glo/ded-ciphering,
 * general-ciphering, general-signing) are parsed only as envelopes: security
 * header, system titles, ciphertext and authentication tag spans. Crypto is
 * the security module's job.
 *
 * The ACSE APDUs (AARQ, AARE, RLRQ, RLRE) are BER-encoded and live in
 * ami_acse.h; ami_apdu_decode refuses their tags with AMI_E_APDU_TAG.
 */
#ifndef AMI_APDU_H
#define AMI_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_axdr.h"
#include "ami/ami_buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Nesting limit for arrays and structures inside a Data value: the A-XDR
 * decoder's default, so that every value an APDU is accepted with can be
 * decoded by any consumer using that default (one limit, not two). */
#define AMI_APDU_MAX_DEPTH AMI_AXDR_DEFAULT_DEPTH

/* ---------------------------------------------------------------------- */
/* APDU tags (the COSEMpdu / XDLMS-APDU CHOICE of IEC 62056-5-3 §8; values
 * checked against the Green Book ASN.1 and two independent implementations).
 * X(value, NAME, "standard name") */
#define AMI_APDU_TAG_MAP(X)                                                    \
  X(0x01, INITIATE_REQUEST, "initiateRequest")                                 \
  X(0x05, READ_REQUEST, "readRequest")                                         \
  X(0x06, WRITE_REQUEST, "writeRequest")                                       \
  X(0x08, INITIATE_RESPONSE, "initiateResponse")                               \
  X(0x0C, READ_RESPONSE, "readResponse")                                       \
  X(0x0D, WRITE_RESPONSE, "writeResponse")                                     \
  X(0x0E, CONFIRMED_SERVICE_ERROR, "confirmedServiceError")                    \
  X(0x0F, DATA_NOTIFICATION, "data-notification")                              \
  X(0x16, UNCONFIRMED_WRITE_REQUEST, "unconfirmedWriteRequest")                \
  X(0x18, INFORMATION_REPORT_REQUEST, "informationReportRequest")              \
  X(0x21, GLO_INITIATE_REQUEST, "glo-initiateRequest")                         \
  X(0x25, GLO_READ_REQUEST, "glo-readRequest")                                 \
  X(0x26, GLO_WRITE_REQUEST, "glo-writeRequest")                               \
  X(0x28, GLO_INITIATE_RESPONSE, "glo-initiateResponse")                       \
  X(0x2C, GLO_READ_RESPONSE, "glo-readResponse")                               \
  X(0x2D, GLO_WRITE_RESPONSE, "glo-writeResponse")                             \
  X(0x2E, GLO_CONFIRMED_SERVICE_ERROR, "glo-confirmedServiceError")            \
  X(0x36, GLO_UNCONFIRMED_WRITE_REQUEST, "glo-unconfirmedWriteRequest")        \
  X(0x38, GLO_INFORMATION_REPORT_REQUEST, "glo-informationReportRequest")      \
  X(0x41, DED_INITIATE_REQUEST, "ded-initiateRequest")                         \
  X(0x45, DED_READ_REQUEST, "ded-readRequest")                                 \
  X(0x46, DED_WRITE_REQUEST, "ded-writeRequest")                               \
  X(0x48, DED_INITIATE_RESPONSE, "ded-initiateResponse")                       \
  X(0x4C, DED_READ_RESPONSE, "ded-readResponse")                               \
  X(0x4D, DED_WRITE_RESPONSE, "ded-writeResponse")                             \
  X(0x4E, DED_CONFIRMED_SERVICE_ERROR, "ded-confirmedServiceError")            \
  X(0x56, DED_UNCONFIRMED_WRITE_REQUEST, "ded-unconfirmedWriteRequest")        \
  X(0x58, DED_INFORMATION_REPORT_REQUEST, "ded-informationReportRequest")      \
  X(0x60, AARQ, "aarq")                                                        \
  X(0x61, AARE, "aare")                                                        \
  X(0x62, RLRQ, "rlrq")                                                        \
  X(0x63, RLRE, "rlre")                                                        \
  X(0xC0, GET_REQUEST, "get-request")                                          \
  X(0xC1, SET_REQUEST, "set-request")                                          \
  X(0xC2, EVENT_NOTIFICATION_REQUEST, "event-notification-request")            \
  X(0xC3, ACTION_REQUEST, "action-request")                                    \
  X(0xC4, GET_RESPONSE, "get-response")                                        \
  X(0xC5, SET_RESPONSE, "set-response")                                        \
  X(0xC7, ACTION_RESPONSE, "action-response")                                  \
  X(0xC8, GLO_GET_REQUEST, "glo-get-request")                                  \
  X(0xC9, GLO_SET_REQUEST, "glo-set-request")                                  \
  X(0xCA, GLO_EVENT_NOTIFICATION_REQUEST, "glo-event-notification-request")    \
  X(0xCB, GLO_ACTION_REQUEST, "glo-action-request")                            \
  X(0xCC, GLO_GET_RESPONSE, "glo-get-response")                                \
  X(0xCD, GLO_SET_RESPONSE, "glo-set-response")                                \
  X(0xCF, GLO_ACTION_RESPONSE, "glo-action-response")                          \
  X(0xD0, DED_GET_REQUEST, "ded-get-request")                                  \
  X(0xD1, DED_SET_REQUEST, "ded-set-request")                                  \
  X(0xD2, DED_EVENT_NOTIFICATION_REQUEST, "ded-event-notification-request")    \
  X(0xD3, DED_ACTION_REQUEST, "ded-action-request")                            \
  X(0xD4, DED_GET_RESPONSE, "ded-get-response")                                \
  X(0xD5, DED_SET_RESPONSE, "ded-set-response")                                \
  X(0xD7, DED_ACTION_RESPONSE, "ded-action-response")                          \
  X(0xD8, EXCEPTION_RESPONSE, "exception-response")                            \
  X(0xD9, ACCESS_REQUEST, "access-request")                                    \
  X(0xDA, ACCESS_RESPONSE, "access-response")                                  \
  X(0xDB, GENERAL_GLO_CIPHERING, "general-glo-ciphering")                      \
  X(0xDC, GENERAL_DED_CIPHERING, "general-ded-ciphering")                      \
  X(0xDD, GENERAL_CIPHERING, "general-ciphering")                              \
  X(0xDF, GENERAL_SIGNING, "general-signing")                                  \
  X(0xE0, GENERAL_BLOCK_TRANSFER, "general-block-transfer")

typedef enum ami_apdu_tag {
#define AMI__APDU_TAG_ENUM(value, name, str) AMI_APDU_##name = (value),
  AMI_APDU_TAG_MAP(AMI__APDU_TAG_ENUM)
#undef AMI__APDU_TAG_ENUM
} ami_apdu_tag;

/* Standard name of an APDU tag ("get-request"); "unknown" if not listed. */
const char *ami_apdu_tag_name(uint8_t tag);

/* True for the tags ami_apdu_decode understands (every tag of the map except
 * the ACSE ones and access-request/-response, which are not implemented). */
bool ami_apdu_tag_supported(uint8_t tag);

/* Ciphered-tag arithmetic of IEC 62056-5-3 §8: glo-/ded- service-specific
 * ciphering replaces the plain tag by a fixed sibling. ami_apdu_plain_tag
 * gives the plain service tag of a glo-/ded- tag (0xC8 -> 0xC0) and 0 for any
 * other tag; ami_apdu_glo_tag / ami_apdu_ded_tag give the ciphered sibling of
 * a plain tag, or 0 when it has none. */
uint8_t ami_apdu_plain_tag(uint8_t tag);
uint8_t ami_apdu_glo_tag(uint8_t plain);
uint8_t ami_apdu_ded_tag(uint8_t plain);

/* True for every ciphered envelope: glo-/ded- service-specific,
 * general-glo-, general-ded- and general-ciphering, general-signing. */
bool ami_apdu_is_ciphered(uint8_t tag);

/* ---------------------------------------------------------------------- */
/* Small fields */

/* Invoke-Id-And-Priority (one octet): invoke id in bits 0..3, service class
 * in bit 6 (1 = confirmed), priority in bit 7 (1 = high). */
#define AMI_APDU_IIP(invoke_id, confirmed, high)                               \
  ((uint8_t)(((unsigned)(invoke_id)&0x0Fu) | ((confirmed) ? 0x40u : 0u) |      \
             ((high) ? 0x80u : 0u)))
#define AMI_APDU_IIP_INVOKE_ID(iip) ((unsigned)(iip)&0x0Fu)
#define AMI_APDU_IIP_CONFIRMED(iip) (((unsigned)(iip)&0x40u) != 0)
#define AMI_APDU_IIP_HIGH(iip)      (((unsigned)(iip)&0x80u) != 0)

/* Conformance block (IEC 62056-5-3, [APPLICATION 31] BIT STRING (SIZE(24))).
 * Held as a uint32_t whose low 24 bits are the three octets on the wire, so
 * ASN.1 bit n (counted from the first, most significant bit) is
 * AMI_CONFORMANCE_BIT(n). Example: 0x007E1F. */
#define AMI_CONFORMANCE_BIT(n)                 (1u << (23u - (unsigned)(n)))
#define AMI_CONFORMANCE_RESERVED_ZERO          AMI_CONFORMANCE_BIT(0)
#define AMI_CONFORMANCE_GENERAL_PROTECTION     AMI_CONFORMANCE_BIT(1)
#define AMI_CONFORMANCE_GENERAL_BLOCK_TRANSFER AMI_CONFORMANCE_BIT(2)
#define AMI_CONFORMANCE_READ                   AMI_CONFORMANCE_BIT(3)
#define AMI_CONFORMANCE_WRITE                  AMI_CONFORMANCE_BIT(4)
#define AMI_CONFORMANCE_UNCONFIRMED_WRITE      AMI_CONFORMANCE_BIT(5)
#define AMI_CONFORMANCE_RESERVED_SIX           AMI_CONFORMANCE_BIT(6)
#define AMI_CONFORMANCE_RESERVED_SEVEN         AMI_CONFORMANCE_BIT(7)
#define AMI_CONFORMANCE_ATTRIBUTE0_WITH_SET    AMI_CONFORMANCE_BIT(8)
#define AMI_CONFORMANCE_PRIORITY_MGMT          AMI_CONFORMANCE_BIT(9)
#define AMI_CONFORMANCE_ATTRIBUTE0_WITH_GET    AMI_CONFORMANCE_BIT(10)
#define AMI_CONFORMANCE_BLOCK_TRANSFER_GET     AMI_CONFORMANCE_BIT(11)
#define AMI_CONFORMANCE_BLOCK_TRANSFER_SET     AMI_CONFORMANCE_BIT(12)
#define AMI_CONFORMANCE_BLOCK_TRANSFER_ACTION  AMI_CONFORMANCE_BIT(13)
#define AMI_CONFORMANCE_MULTIPLE_REFERENCES    AMI_CONFORMANCE_BIT(14)
#define AMI_CONFORMANCE_INFORMATION_REPORT     AMI_CONFORMANCE_BIT(15)
#define AMI_CONFORMANCE_DATA_NOTIFICATION      AMI_CONFORMANCE_BIT(16)
#define AMI_CONFORMANCE_ACCESS                 AMI_CONFORMANCE_BIT(17)
#define AMI_CONFORMANCE_PARAMETERIZED_ACCESS   AMI_CONFORMANCE_BIT(18)
#define AMI_CONFORMANCE_GET                    AMI_CONFORMANCE_BIT(19)
#define AMI_CONFORMANCE_SET                    AMI_CONFORMANCE_BIT(20)
#define AMI_CONFORMANCE_SELECTIVE_ACCESS       AMI_CONFORMANCE_BIT(21)
#define AMI_CONFORMANCE_EVENT_NOTIFICATION     AMI_CONFORMANCE_BIT(22)
#define AMI_CONFORMANCE_ACTION                 AMI_CONFORMANCE_BIT(23)

/* Standard name of conformance bit n (0..23), e.g. "selective-access". */
const char *ami_apdu_conformance_bit_name(unsigned n);

/* VAA name of an InitiateResponse: LN referencing uses the dummy 0x0007, SN
 * referencing the base name of the Association SN object. */
#define AMI_APDU_VAA_NAME_LN 0x0007u
#define AMI_APDU_VAA_NAME_SN 0xFA00u

/* Data-Access-Result enumeration (also Action-Result, which shares the
 * values 0..14 and 250 with other names for 15 and 16). */
#define AMI_APDU_DAR_SUCCESS      0u
#define AMI_APDU_DAR_OTHER_REASON 250u
const char *ami_apdu_dar_name(unsigned dar);
const char *ami_apdu_action_result_name(unsigned result);

/* Security control byte of a ciphered APDU (IEC 62056-5-3 §9.2.7.2.4). */
#define AMI_APDU_SC_SUITE_MASK  0x0Fu
#define AMI_APDU_SC_AUTH        0x10u
#define AMI_APDU_SC_ENC         0x20u
#define AMI_APDU_SC_KEY_SET     0x40u
#define AMI_APDU_SC_COMPRESSION 0x80u
/* Authentication tag length of the GCM suites. */
#define AMI_APDU_AUTH_TAG_LEN 12u

/* General-Block-Transfer block-control octet. */
#define AMI_APDU_GBT_LAST        0x80u
#define AMI_APDU_GBT_STREAMING   0x40u
#define AMI_APDU_GBT_WINDOW_MASK 0x3Fu

/* ---------------------------------------------------------------------- */
/* Building blocks shared by several APDUs. Spans borrow the decoder input. */

/* Cosem-Attribute-Descriptor / Cosem-Method-Descriptor: `id` is the attribute
 * or the method id (Integer8). */
typedef struct ami_apdu_desc {
  uint16_t class_id;
  uint8_t obis[6];
  int8_t id;
} ami_apdu_desc;

/* Selective-Access-Descriptor OPTIONAL: `params` is one encoded Data. */
typedef struct ami_apdu_selection {
  bool present;
  uint8_t selector;
  ami_span params;
} ami_apdu_selection;

/* Cosem-Attribute-Descriptor-With-Selection (items of with-list requests). */
typedef struct ami_apdu_attr_sel {
  ami_apdu_desc attr;
  ami_apdu_selection sel;
} ami_apdu_attr_sel;

/* Get-Data-Result: choice 0 = data (one encoded Data in `data`), choice 1 =
 * data-access-result (`dar`). */
typedef struct ami_apdu_get_result {
  uint8_t choice;
  ami_span data;
  uint8_t dar;
} ami_apdu_get_result;

/* Action-Response-With-Optional-Data. */
typedef struct ami_apdu_action_result {
  uint8_t result; /* Action-Result */
  bool has_return;
  ami_apdu_get_result ret; /* return-parameters, when has_return */
} ami_apdu_action_result;

/* DataBlock-SA (SET and ACTION block transfer): `raw` is the block's octets. */
typedef struct ami_apdu_datablock {
  bool last;
  uint32_t block_number;
  ami_span raw;
} ami_apdu_datablock;

/* DataBlock-G (GET block transfer): choice 0 = raw-data, 1 = dar. */
typedef struct ami_apdu_datablock_g {
  bool last;
  uint32_t block_number;
  uint8_t choice;
  ami_span raw;
  uint8_t dar;
} ami_apdu_datablock_g;

/* SN Variable-Access-Specification. choice 2 = variable-name (`name`),
 * 4 = parameterized-access (`name`, `selector`, `params`: one Data),
 * 5 = block-number-access (`block_number`), 6 = read-data-block-access
 * (`last`, `block_number`, `raw`), 7 = write-data-block-access (`last`,
 * `block_number`). */
typedef struct ami_apdu_var_access {
  uint8_t choice;
  uint16_t name;
  uint8_t selector;
  ami_span params;
  bool last;
  uint16_t block_number;
  ami_span raw;
} ami_apdu_var_access;

/* SN ReadResponse item. choice 0 = data (`data`), 1 = data-access-error
 * (`dar`), 2 = data-block-result (`last`, `block_number`, `raw`),
 * 3 = block-number (`block_number`). */
typedef struct ami_apdu_read_result {
  uint8_t choice;
  ami_span data;
  uint8_t dar;
  bool last;
  uint16_t block_number;
  ami_span raw;
} ami_apdu_read_result;

/* SN WriteResponse item. choice 0 = success, 1 = data-access-error (`dar`),
 * 2 = block-number (`block_number`). */
typedef struct ami_apdu_write_result {
  uint8_t choice;
  uint8_t dar;
  uint16_t block_number;
} ami_apdu_write_result;

/* What a list holds (set by the decoder; checked by the iterators). */
typedef enum ami_apdu_elem {
  AMI_APDU_ELEM_NONE = 0,
  AMI_APDU_ELEM_ATTR_SEL,      /* ami_apdu_attr_sel */
  AMI_APDU_ELEM_METHOD_DESC,   /* ami_apdu_desc */
  AMI_APDU_ELEM_DATA,          /* ami_span: one encoded Data */
  AMI_APDU_ELEM_DAR,           /* uint8_t Data-Access-Result */
  AMI_APDU_ELEM_GET_RESULT,    /* ami_apdu_get_result */
  AMI_APDU_ELEM_ACTION_RESULT, /* ami_apdu_action_result */
  AMI_APDU_ELEM_VAR_ACCESS,    /* ami_apdu_var_access */
  AMI_APDU_ELEM_READ_RESULT,   /* ami_apdu_read_result */
  AMI_APDU_ELEM_WRITE_RESULT,  /* ami_apdu_write_result */
  AMI_APDU_ELEM_COUNT
} ami_apdu_elem;

/* A SEQUENCE OF: `count` items whose encodings follow each other in `items`
 * (borrowed). To encode a list, write its items with ami_apdu_write_item
 * into a buffer of your own and point `items` at the result. */
typedef struct ami_apdu_list {
  uint32_t count;
  uint8_t elem; /* ami_apdu_elem */
  ami_span items;
} ami_apdu_list;

/* ---------------------------------------------------------------------- */
/* The APDUs. Field comments say which `choice` uses them. */

/* InitiateRequest (0x01). Absent response-allowed means TRUE: the decoder
 * then sets has_response_allowed = false and response_allowed = true, and the
 * encoder writes the DEFAULT (00) whenever has_response_allowed is false. */
typedef struct ami_apdu_initiate_request {
  bool has_dedicated_key;
  ami_span dedicated_key;
  bool has_response_allowed;
  bool response_allowed;
  bool has_qos;
  int8_t qos;
  uint8_t dlms_version;
  uint32_t conformance;
  uint16_t max_pdu_size; /* client-max-receive-pdu-size */
} ami_apdu_initiate_request;

/* InitiateResponse (0x08). */
typedef struct ami_apdu_initiate_response {
  bool has_qos;
  int8_t qos;
  uint8_t dlms_version;
  uint32_t conformance;
  uint16_t max_pdu_size; /* server-max-receive-pdu-size */
  uint16_t vaa_name;
} ami_apdu_initiate_response;

/* ConfirmedServiceError (0x0E): `service` is the ConfirmedServiceError
 * choice (1 initiateError, 5 read, 6 write, ...), `error` the ServiceError
 * choice (0 application-reference ... 6 initiate ... 10 other) and `value`
 * its enumeration value. */
typedef struct ami_apdu_cse {
  uint8_t service;
  uint8_t error;
  uint8_t value;
} ami_apdu_cse;
#define AMI_APDU_CSE_INITIATE_ERROR                1u
#define AMI_APDU_CSE_READ                          5u
#define AMI_APDU_CSE_WRITE                         6u
#define AMI_APDU_SERVICE_ERROR_INITIATE            6u
#define AMI_APDU_INITIATE_DLMS_VERSION_TOO_LOW     1u
#define AMI_APDU_INITIATE_INCOMPATIBLE_CONFORMANCE 2u
#define AMI_APDU_INITIATE_PDU_SIZE_TOO_SHORT       3u
#define AMI_APDU_INITIATE_REFUSED_BY_VDE_HANDLER   4u
const char *ami_apdu_cse_service_name(unsigned service);
const char *ami_apdu_service_error_name(unsigned error);
const char *ami_apdu_service_error_value_name(unsigned error, unsigned value);

/* GET-Request (0xC0). choice 1 normal: iip, attr, sel; 2 next: iip,
 * block_number; 3 with-list: iip, list (ATTR_SEL). */
typedef struct ami_apdu_get_request {
  uint8_t choice;
  uint8_t iip;
  ami_apdu_desc attr;
  ami_apdu_selection sel;
  uint32_t block_number;
  ami_apdu_list list;
} ami_apdu_get_request;

/* GET-Response (0xC4). choice 1 normal: iip, result; 2 with-datablock: iip,
 * block; 3 with-list: iip, list (GET_RESULT). */
typedef struct ami_apdu_get_response {
  uint8_t choice;
  uint8_t iip;
  ami_apdu_get_result result;
  ami_apdu_datablock_g block;
  ami_apdu_list list;
} ami_apdu_get_response;

/* SET-Request (0xC1). choice 1 normal: iip, attr, sel, value; 2 with-first-
 * datablock: iip, attr, sel, block; 3 with-datablock: iip, block;
 * 4 with-list: iip, list (ATTR_SEL), values (DATA); 5 with-list-and-first-
 * datablock: iip, list (ATTR_SEL), block. */
typedef struct ami_apdu_set_request {
  uint8_t choice;
  uint8_t iip;
  ami_apdu_desc attr;
  ami_apdu_selection sel;
  ami_span value; /* one encoded Data */
  ami_apdu_datablock block;
  ami_apdu_list list;
  ami_apdu_list values;
} ami_apdu_set_request;

/* SET-Response (0xC5). choice 1 normal: iip, result; 2 datablock: iip,
 * block_number; 3 last-datablock: iip, result, block_number;
 * 4 last-datablock-with-list: iip, list (DAR), block_number; 5 with-list:
 * iip, list (DAR). */
typedef struct ami_apdu_set_response {
  uint8_t choice;
  uint8_t iip;
  uint8_t result;
  uint32_t block_number;
  ami_apdu_list list;
} ami_apdu_set_response;

/* ACTION-Request (0xC3). choice 1 normal: iip, method, has_params/params;
 * 2 next-pblock: iip, block_number; 3 with-list: iip, list (METHOD_DESC),
 * params_list (DATA); 4 with-first-pblock: iip, method, block;
 * 5 with-list-and-first-pblock: iip, list (METHOD_DESC), block;
 * 6 with-pblock: iip, block. */
typedef struct ami_apdu_action_request {
  uint8_t choice;
  uint8_t iip;
  ami_apdu_desc method;
  bool has_params;
  ami_span params; /* one encoded Data */
  uint32_t block_number;
  ami_apdu_datablock block;
  ami_apdu_list list;
  ami_apdu_list params_list;
} ami_apdu_action_request;

/* ACTION-Response (0xC7). choice 1 normal: iip, result; 2 with-pblock: iip,
 * block; 3 with-list: iip, list (ACTION_RESULT); 4 next-pblock: iip,
 * block_number. */
typedef struct ami_apdu_action_response {
  uint8_t choice;
  uint8_t iip;
  ami_apdu_action_result result;
  ami_apdu_datablock block;
  uint32_t block_number;
  ami_apdu_list list;
} ami_apdu_action_response;

/* EVENT-NOTIFICATION-Request (0xC2): time is an OPTIONAL OCTET STRING
 * (normally a 12-octet date-time), value one encoded Data. */
typedef struct ami_apdu_event_notification {
  bool has_time;
  ami_span time;
  ami_apdu_desc attr;
  ami_span value;
} ami_apdu_event_notification;

/* Data-Notification (0x0F): date_time is an OCTET STRING, empty when the
 * sender gives no time (encoded 00) or normally 12 octets (0C ...). */
typedef struct ami_apdu_data_notification {
  uint32_t long_iip;
  ami_span date_time;
  ami_span body; /* one encoded Data */
} ami_apdu_data_notification;

/* EXCEPTION-Response (0xD8). state_error: 1 service-not-allowed,
 * 2 service-unknown. service_error: 1 operation-not-possible, 2 service-not-
 * supported, 3 other-reason, 4 pdu-too-long, 5 deciphering-error,
 * 6 invocation-counter-error (then `invocation_counter` is encoded). */
typedef struct ami_apdu_exception {
  uint8_t state_error;
  uint8_t service_error;
  uint32_t invocation_counter;
} ami_apdu_exception;
#define AMI_APDU_EXC_INVOCATION_COUNTER_ERROR 6u
const char *ami_apdu_state_error_name(unsigned state_error);
const char *ami_apdu_exception_service_name(unsigned service_error);

/* General-Block-Transfer (0xE0). */
typedef struct ami_apdu_gbt {
  uint8_t block_control;
  uint16_t block_number;
  uint16_t block_number_ack;
  ami_span data;
} ami_apdu_gbt;

/* The security header and payload of a ciphered-content octet string:
 * SC, invocation counter, ciphertext (or, authentication-only, plaintext)
 * and, when SC has AMI_APDU_SC_AUTH, the 12-octet authentication tag (empty
 * otherwise). `content` (decoder only) spans the whole octet string
 * SC .. tag. */
typedef struct ami_apdu_secured {
  uint8_t sc;
  uint32_t ic;
  ami_span ciphertext;
  ami_span auth_tag;
  ami_span content;
} ami_apdu_secured;

/* Key-Info of general-ciphering: choice 0 identified-key (key_id),
 * 1 wrapped-key (key_id = kek-id, key_ciphered), 2 agreed-key (key_params,
 * key_ciphered). */
typedef struct ami_apdu_key_info {
  uint8_t choice;
  uint8_t key_id;
  ami_span key_params;
  ami_span key_ciphered;
} ami_apdu_key_info;

/* Every ciphered envelope. glo-/ded- service-specific tags use only `sec`;
 * general-glo-/general-ded-ciphering add `system_title`; general-ciphering
 * uses the transaction id, the two system titles, date_time,
 * other_information and the optional key_info. */
typedef struct ami_apdu_ciphered {
  ami_span system_title;
  ami_span transaction_id;
  ami_span originator_system_title;
  ami_span recipient_system_title;
  ami_span date_time;
  ami_span other_information;
  bool has_key_info;
  ami_apdu_key_info key_info;
  ami_apdu_secured sec;
} ami_apdu_ciphered;

/* General-Signing (0xDF). */
typedef struct ami_apdu_signing {
  ami_span transaction_id;
  ami_span originator_system_title;
  ami_span recipient_system_title;
  ami_span date_time;
  ami_span other_information;
  ami_span content;
  ami_span signature;
} ami_apdu_signing;

/* The short-name services. ReadRequest: list (VAR_ACCESS). ReadResponse:
 * list (READ_RESULT). WriteRequest, UnconfirmedWriteRequest: list
 * (VAR_ACCESS), values (DATA). WriteResponse: list (WRITE_RESULT).
 * InformationReportRequest: has_time/time, list (VAR_ACCESS), values (DATA).
 * The optional current-time is encoded as an A-XDR OPTIONAL OCTET STRING. */
typedef struct ami_apdu_sn {
  bool has_time;
  ami_span time;
  ami_apdu_list list;
  ami_apdu_list values;
} ami_apdu_sn;

/* Any xDLMS APDU. */
typedef struct ami_apdu {
  uint8_t tag; /* ami_apdu_tag: selects the member of u */
  union {
    ami_apdu_initiate_request initiate_request;   /* 0x01 */
    ami_apdu_initiate_response initiate_response; /* 0x08 */
    ami_apdu_cse cse;                             /* 0x0E */
    ami_apdu_data_notification notification;      /* 0x0F */
    ami_apdu_sn sn;                               /* 0x05 0x06 0x0C 0x0D
                                                     0x16 0x18 */
    ami_apdu_get_request get_request;             /* 0xC0 */
    ami_apdu_set_request set_request;             /* 0xC1 */
    ami_apdu_event_notification event;            /* 0xC2 */
    ami_apdu_action_request action_request;       /* 0xC3 */
    ami_apdu_get_response get_response;           /* 0xC4 */
    ami_apdu_set_response set_response;           /* 0xC5 */
    ami_apdu_action_response action_response;     /* 0xC7 */
    ami_apdu_exception exception;                 /* 0xD8 */
    ami_apdu_ciphered ciphered; /* glo-/ded-, 0xDB, 0xDC, 0xDD */
    ami_apdu_signing signing;   /* 0xDF */
    ami_apdu_gbt gbt;           /* 0xE0 */
  } u;
} ami_apdu;

/* ---------------------------------------------------------------------- */
/* Decode, encode, compare */

/* Decode exactly one APDU filling all of `in`. Borrows `in`: spans in *out
 * point into it. Returns AMI_OK; AMI_E_TRUNCATED if `in` ends inside the
 * APDU (more bytes may complete it); AMI_E_TRAILING if bytes follow a
 * complete APDU (*out is then fully decoded: see ami_apdu_decode_prefix);
 * AMI_E_APDU_TAG for an unknown tag (and the ACSE tags), AMI_E_UNSUPPORTED
 * for access-request/-response, AMI_E_APDU_CHOICE for an unknown form,
 * AMI_E_APDU_MALFORMED, AMI_E_BAD_LENGTH, AMI_E_BAD_TAG (a Data type),
 * AMI_E_DEPTH. On other errors *out is unspecified. */
int ami_apdu_decode(ami_span in, ami_apdu *out);

/* Decode one APDU from the start of `in` and report in *used how many bytes
 * it took; the rest is left to the caller (e.g. to report a peer's trailing
 * garbage). Same errors as ami_apdu_decode except AMI_E_TRAILING. */
int ami_apdu_decode_prefix(ami_span in, ami_apdu *out, size_t *used);

/* Encode `apdu` into `w` (the writer's memory is the caller's). Data spans
 * and list items are copied verbatim after a check that they are well formed.
 * Returns AMI_OK, AMI_E_BUFFER_FULL (sticky in w), AMI_E_APDU_TAG /
 * AMI_E_UNSUPPORTED for tags ami_apdu_decode refuses, AMI_E_INVAL for fields
 * that cannot be encoded (unknown choice, malformed Data span, a list whose
 * items do not match its count, an authentication tag that does not match
 * the security control byte). */
int ami_apdu_encode(ami_wr *w, const ami_apdu *apdu);

/* Compare two APDUs by value: the same tag and the same fields for that tag
 * and form (spans are compared by content, not by address). */
bool ami_apdu_equal(const ami_apdu *a, const ami_apdu *b);

/* ---------------------------------------------------------------------- */
/* Lists */

typedef struct ami_apdu_iter {
  ami_rd rd;
  uint32_t left;
  uint8_t elem;
} ami_apdu_iter;

/* Start iterating `list` (borrowed; the iterator borrows its items). */
void ami_apdu_iter_init(ami_apdu_iter *it, const ami_apdu_list *list);

/* Each ami_apdu_next_* returns 1 and fills *out with the next item, 0 at the
 * end of the list, AMI_E_INVAL if the list holds another item type, or a
 * decoding error for a list that was built by hand and is malformed. */
int ami_apdu_next_attr_sel(ami_apdu_iter *it, ami_apdu_attr_sel *out);
int ami_apdu_next_method_desc(ami_apdu_iter *it, ami_apdu_desc *out);
int ami_apdu_next_data(ami_apdu_iter *it, ami_span *out);
int ami_apdu_next_dar(ami_apdu_iter *it, uint8_t *out);
int ami_apdu_next_get_result(ami_apdu_iter *it, ami_apdu_get_result *out);
int ami_apdu_next_action_result(ami_apdu_iter *it, ami_apdu_action_result *out);
int ami_apdu_next_var_access(ami_apdu_iter *it, ami_apdu_var_access *out);
int ami_apdu_next_read_result(ami_apdu_iter *it, ami_apdu_read_result *out);
int ami_apdu_next_write_result(ami_apdu_iter *it, ami_apdu_write_result *out);

/* Append the encoding of one list item to `w`. `item` points to the C type
 * named for `elem` in ami_apdu_elem. Returns AMI_OK, AMI_E_BUFFER_FULL or
 * AMI_E_INVAL (unknown elem or an item that cannot be encoded). */
int ami_apdu_write_item(ami_wr *w, ami_apdu_elem elem, const void *item);

#ifdef __cplusplus
}
#endif
#endif /* AMI_APDU_H */
