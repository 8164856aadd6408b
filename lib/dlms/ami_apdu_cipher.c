/*
 * ami_apdu_cipher.c -- the outer structure of the protected APDUs of
 * IEC 62056-5-3 §9.2.7: glo-/ded- service-specific ciphering,
 * general-glo-/general-ded-ciphering, general-ciphering and general-signing.
 * Only the envelope is parsed (security header, titles, spans of ciphertext,
 * tag and signature); cryptography belongs to the security module.
 */
#include "ami_apdu_internal.h"

typedef ami_apdu_ciphered CIP;
typedef ami_apdu_signing SIG;

/* glo-xxx / ded-xxx [n] IMPLICIT OCTET STRING: the octet string holds
 * SC || IC || ciphertext || tag. */
static const ami__field service_f[] = {
    {.kind = AMI__K_SECURED, .off = offsetof(CIP, sec)},
};
const ami__schema ami__service_ciphered_schema = AMI__SCHEMA(service_f);

/* General-Glo-Ciphering / General-Ded-Ciphering: system-title OCTET STRING,
 * ciphered-content OCTET STRING. */
static const ami__field general_glo_f[] = {
    AMI__F(OCTETS, CIP, system_title),
    {.kind = AMI__K_SECURED, .off = offsetof(CIP, sec)},
};
const ami__schema ami__general_glo_schema = AMI__SCHEMA(general_glo_f);

/* Key-Info ::= CHOICE { identified-key [0] { key-id ENUMERATED },
 * wrapped-key [1] { kek-id ENUMERATED, key-ciphered-data OCTET STRING },
 * agreed-key [2] { key-parameters OCTET STRING, key-ciphered-data OCTET
 * STRING } }. */
static const ami__field key_identified_f[] = {
    AMI__F(U8, ami_apdu_key_info, key_id),
};
static const ami__field key_wrapped_f[] = {
    AMI__F(U8, ami_apdu_key_info, key_id),
    AMI__F(OCTETS, ami_apdu_key_info, key_ciphered),
};
static const ami__field key_agreed_f[] = {
    AMI__F(OCTETS, ami_apdu_key_info, key_params),
    AMI__F(OCTETS, ami_apdu_key_info, key_ciphered),
};
static const ami__alt key_info_alts[] = {
    AMI__ALT(0, key_identified_f),
    AMI__ALT(1, key_wrapped_f),
    AMI__ALT(2, key_agreed_f),
};
static const ami__choice key_info_choice = AMI__CHOICE_OF(key_info_alts);
static const ami__field key_info_f[] = {
    AMI__F_CHOICE(ami_apdu_key_info, choice, &key_info_choice),
};
static const ami__schema key_info_schema = AMI__SCHEMA(key_info_f);

/* General-Ciphering: transaction-id, originator-system-title,
 * recipient-system-title, date-time, other-information (OCTET STRINGs),
 * key-info Key-Info OPTIONAL, ciphered-content OCTET STRING. */
static const ami__field general_ciphering_f[] = {
    AMI__F(OCTETS, CIP, transaction_id),
    AMI__F(OCTETS, CIP, originator_system_title),
    AMI__F(OCTETS, CIP, recipient_system_title),
    AMI__F(OCTETS, CIP, date_time),
    AMI__F(OCTETS, CIP, other_information),
    AMI__F_OPT_SEQ(CIP, key_info, has_key_info, &key_info_schema),
    {.kind = AMI__K_SECURED, .off = offsetof(CIP, sec)},
};
const ami__schema ami__general_ciphering_schema =
    AMI__SCHEMA(general_ciphering_f);

/* General-Signing: transaction-id, originator-system-title,
 * recipient-system-title, date-time, other-information, content, signature
 * (all OCTET STRINGs). */
static const ami__field general_signing_f[] = {
    AMI__F(OCTETS, SIG, transaction_id),
    AMI__F(OCTETS, SIG, originator_system_title),
    AMI__F(OCTETS, SIG, recipient_system_title),
    AMI__F(OCTETS, SIG, date_time),
    AMI__F(OCTETS, SIG, other_information),
    AMI__F(OCTETS, SIG, content),
    AMI__F(OCTETS, SIG, signature),
};
const ami__schema ami__general_signing_schema = AMI__SCHEMA(general_signing_f);
