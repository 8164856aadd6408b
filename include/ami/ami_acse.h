/*
 * ami_acse.h -- the ACSE APDUs of IEC 62056-5-3 §7 (AARQ, AARE, RLRQ,
 * RLRE), BER-encoded per ITU-T X.227 / X.690: decode, encode, compare.
 *
 * The decoder borrows its input (every span points into it) and allocates
 * nothing. It decodes the fields of a SEQUENCE by their tags, in any order,
 * and skips tags it does not know; a field present twice is malformed. The
 * encoder writes the fields in the order of the standard, in the shortest
 * BER forms, so the Green Book byte strings come out exactly.
 *
 * The xDLMS APDU carried in user-information (InitiateRequest,
 * InitiateResponse, ConfirmedServiceError, or their ciphered envelopes) is
 * decoded into an ami_apdu (ami_apdu.h).
 */
#ifndef AMI_ACSE_H
#define AMI_ACSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_apdu.h"
#include "ami/ami_buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* APDU tags: [APPLICATION n] constructed. */
#define AMI_ACSE_AARQ 0x60u
#define AMI_ACSE_AARE 0x61u
#define AMI_ACSE_RLRQ 0x62u
#define AMI_ACSE_RLRE 0x63u

/* True for the four ACSE APDU tags. */
bool ami_acse_is_tag(uint8_t tag);

/* Application context names {2 16 756 5 8 1 n} (IEC 62056-5-3 §7.3.7.1),
 * and authentication mechanism names {2 16 756 5 8 2 m} (§7.3.7.2). */
#define AMI_ACSE_CTX_LN          1u
#define AMI_ACSE_CTX_SN          2u
#define AMI_ACSE_CTX_LN_CIPHERED 3u
#define AMI_ACSE_CTX_SN_CIPHERED 4u
#define AMI_ACSE_MECH_NONE       0u /* lowest level security */
#define AMI_ACSE_MECH_LLS        1u /* low level security (password) */
#define AMI_ACSE_MECH_HLS        2u /* high level, manufacturer specific */
#define AMI_ACSE_MECH_MD5        3u
#define AMI_ACSE_MECH_SHA1       4u
#define AMI_ACSE_MECH_GMAC       5u
#define AMI_ACSE_MECH_SHA256     6u
#define AMI_ACSE_MECH_ECDSA      7u
/* The id of an OBJECT IDENTIFIER that is not one of the above. */
#define AMI_ACSE_UNKNOWN 0xFFu

/* Association-result ([2] of the AARE). */
#define AMI_ACSE_RESULT_ACCEPTED           0
#define AMI_ACSE_RESULT_REJECTED_PERMANENT 1
#define AMI_ACSE_RESULT_REJECTED_TRANSIENT 2

/* Result-source-diagnostic sources and the acse-service-user values
 * (X.227; the names IEC 62056-5-3 uses). */
#define AMI_ACSE_DIAG_USER                                    1u /* acse-service-user [1] */
#define AMI_ACSE_DIAG_PROVIDER                                2u /* acse-service-provider [2] */
#define AMI_ACSE_DIAG_NULL                                    0
#define AMI_ACSE_DIAG_NO_REASON_GIVEN                         1
#define AMI_ACSE_DIAG_CONTEXT_NOT_SUPPORTED                   2
#define AMI_ACSE_DIAG_CALLING_AP_TITLE_NOT_RECOGNIZED         3
#define AMI_ACSE_DIAG_CALLING_AP_INVOCATION_ID_NOT_RECOGNIZED 4
#define AMI_ACSE_DIAG_CALLING_AE_QUALIFIER_NOT_RECOGNIZED     5
#define AMI_ACSE_DIAG_CALLING_AE_INVOCATION_ID_NOT_RECOGNIZED 6
#define AMI_ACSE_DIAG_CALLED_AP_TITLE_NOT_RECOGNIZED          7
#define AMI_ACSE_DIAG_CALLED_AP_INVOCATION_ID_NOT_RECOGNIZED  8
#define AMI_ACSE_DIAG_CALLED_AE_QUALIFIER_NOT_RECOGNIZED      9
#define AMI_ACSE_DIAG_CALLED_AE_INVOCATION_ID_NOT_RECOGNIZED  10
#define AMI_ACSE_DIAG_MECHANISM_NOT_RECOGNISED                11
#define AMI_ACSE_DIAG_MECHANISM_REQUIRED                      12
#define AMI_ACSE_DIAG_AUTHENTICATION_FAILURE                  13
#define AMI_ACSE_DIAG_AUTHENTICATION_REQUIRED                 14

/* Release-request / release-response reasons. */
#define AMI_ACSE_RELEASE_NORMAL       0
#define AMI_ACSE_RELEASE_URGENT       1 /* RLRQ */
#define AMI_ACSE_RELEASE_NOT_FINISHED 1 /* RLRE */
#define AMI_ACSE_RELEASE_USER_DEFINED 30

/* Field types. Every one starts with `present`; spans borrow the decoder's
 * input. */

/* A BIT STRING (protocol-version, ACSE requirements: value = the contents
 * with their leading unused-bits octet, e.g. 07 80), an OCTET STRING inside
 * an explicit tag (AP titles, AE qualifiers: value = the octets), or the
 * GraphicString implementation-information. */
typedef struct ami_acse_octets {
  bool present;
  ami_span value;
} ami_acse_octets;

/* An OBJECT IDENTIFIER naming a context or a mechanism. The decoder sets
 * `oid` to the contents octets received and `id` to the AMI_ACSE_CTX_* /
 * AMI_ACSE_MECH_* value, or AMI_ACSE_UNKNOWN (the OID is then kept, not
 * refused). The encoder writes the standard OID for a known `id` and `oid`
 * verbatim for AMI_ACSE_UNKNOWN. */
typedef struct ami_acse_name {
  bool present;
  uint8_t id;
  ami_span oid;
} ami_acse_name;

/* An INTEGER (invocation identifiers, result, release reason). */
typedef struct ami_acse_int {
  bool present;
  int32_t value;
} ami_acse_int;

/* Authentication-value: choice 0 = charstring (the usual one; value = the
 * octets), 1 = bitstring (value = contents with the unused-bits octet). */
typedef struct ami_acse_auth {
  bool present;
  uint8_t choice;
  ami_span value;
} ami_acse_auth;

/* Result-source-diagnostic: source AMI_ACSE_DIAG_USER or _PROVIDER. */
typedef struct ami_acse_diag {
  bool present;
  uint8_t source;
  int32_t value;
} ami_acse_diag;

/* user-information: one xDLMS APDU inside an OCTET STRING. */
typedef struct ami_acse_user_info {
  bool present;
  ami_apdu apdu;
} ami_acse_user_info;

/* AARQ-apdu ([APPLICATION 0]); the comment gives each field's tag. */
typedef struct ami_acse_aarq {
  ami_acse_octets protocol_version;      /* [0] 80 */
  ami_acse_name context;                 /* [1] A1, required */
  ami_acse_octets called_ap_title;       /* [2] A2 */
  ami_acse_octets called_ae_qualifier;   /* [3] A3 */
  ami_acse_int called_ap_invocation_id;  /* [4] A4 */
  ami_acse_int called_ae_invocation_id;  /* [5] A5 */
  ami_acse_octets calling_ap_title;      /* [6] A6: client system title */
  ami_acse_octets calling_ae_qualifier;  /* [7] A7 */
  ami_acse_int calling_ap_invocation_id; /* [8] A8 */
  ami_acse_int calling_ae_invocation_id; /* [9] A9 */
  ami_acse_octets acse_requirements;     /* [10] 8A */
  ami_acse_name mechanism;               /* [11] 8B */
  ami_acse_auth auth_value;              /* [12] AC */
  ami_acse_octets implementation_info;   /* [29] 9D */
  ami_acse_user_info user_info;          /* [30] BE */
} ami_acse_aarq;

/* AARE-apdu ([APPLICATION 1]). */
typedef struct ami_acse_aare {
  ami_acse_octets protocol_version;         /* [0] 80 */
  ami_acse_name context;                    /* [1] A1, required */
  ami_acse_int result;                      /* [2] A2, required */
  ami_acse_diag diagnostic;                 /* [3] A3, required */
  ami_acse_octets responding_ap_title;      /* [4] A4: server system title */
  ami_acse_octets responding_ae_qualifier;  /* [5] A5 */
  ami_acse_int responding_ap_invocation_id; /* [6] A6 */
  ami_acse_int responding_ae_invocation_id; /* [7] A7 */
  ami_acse_octets acse_requirements;        /* [8] 88 */
  ami_acse_name mechanism;                  /* [9] 89 */
  ami_acse_auth auth_value;                 /* [10] AA */
  ami_acse_octets implementation_info;      /* [29] 9D */
  ami_acse_user_info user_info;             /* [30] BE */
} ami_acse_aare;

/* RLRQ-apdu ([APPLICATION 2]) and RLRE-apdu ([APPLICATION 3]). */
typedef struct ami_acse_release {
  ami_acse_int reason;          /* [0] 80 */
  ami_acse_user_info user_info; /* [30] BE */
} ami_acse_release;

typedef struct ami_acse {
  uint8_t tag; /* AMI_ACSE_AARQ .. AMI_ACSE_RLRE: selects the member of u */
  union {
    ami_acse_aarq aarq;
    ami_acse_aare aare;
    ami_acse_release rlrq;
    ami_acse_release rlre;
  } u;
} ami_acse;

/* Decode exactly one ACSE APDU filling all of `in`; borrows `in`. Returns
 * AMI_OK; AMI_E_TRUNCATED when `in` ends inside the APDU; AMI_E_TRAILING if
 * bytes follow it (*out is then decoded); AMI_E_APDU_TAG for a tag other
 * than 0x60..0x63; AMI_E_BER_INDEFINITE, AMI_E_BAD_LENGTH (an inner length
 * overruns its container), AMI_E_BAD_TAG, AMI_E_RANGE (an INTEGER over 32
 * bits), AMI_E_APDU_MALFORMED (a required field missing, a field twice, a
 * bad BIT STRING or OID), or any error of ami_apdu_decode for the
 * user-information. On other errors *out is unspecified. */
int ami_acse_decode(ami_span in, ami_acse *out);

/* Decode one ACSE APDU from the start of `in`; *used receives its size. */
int ami_acse_decode_prefix(ami_span in, ami_acse *out, size_t *used);

/* Encode into `w`. Returns AMI_OK, AMI_E_BUFFER_FULL (sticky in w),
 * AMI_E_APDU_TAG for an unknown tag, AMI_E_INVAL for a required field left
 * out or a field that cannot be encoded, or an error of ami_apdu_encode. */
int ami_acse_encode(ami_wr *w, const ami_acse *acse);

/* Compare by value (spans by content). */
bool ami_acse_equal(const ami_acse *a, const ami_acse *b);

/* Names for logs; static strings, "unknown" for unlisted values. */
const char *ami_acse_context_name(unsigned id);
const char *ami_acse_mechanism_name(unsigned id);
const char *ami_acse_result_name(int result);
const char *ami_acse_diag_name(unsigned source, int value);
const char *ami_acse_release_reason_name(uint8_t tag, int reason);

#ifdef __cplusplus
}
#endif
#endif /* AMI_ACSE_H */
