/*
 * ami_apdu_session.c -- the xDLMS APDUs that set up and police an
 * association rather than access objects: InitiateRequest/-Response and
 * ConfirmedServiceError (carried in the AARQ/AARE user-information),
 * EXCEPTION-Response and General-Block-Transfer (IEC 62056-5-3 §8), as
 * tables for the generic codec.
 */
#include "ami_apdu_internal.h"

typedef ami_apdu_initiate_request IRQ;
typedef ami_apdu_initiate_response IRS;

/* InitiateRequest: dedicated-key OCTET STRING OPTIONAL, response-allowed
 * BOOLEAN DEFAULT TRUE, proposed-quality-of-service [0] IMPLICIT Integer8
 * OPTIONAL, proposed-dlms-version-number Unsigned8, proposed-conformance,
 * client-max-receive-pdu-size Unsigned16. */
static const ami__field initiate_request_f[] = {
    AMI__F_OPT(OCTETS, IRQ, dedicated_key, has_dedicated_key),
    {.kind = AMI__K_BOOL,
     .flags = AMI__OPT | AMI__DEFTRUE,
     .off = offsetof(IRQ, response_allowed),
     .poff = offsetof(IRQ, has_response_allowed)},
    AMI__F_OPT(I8, IRQ, qos, has_qos),
    AMI__F(U8, IRQ, dlms_version),
    AMI__F(CONFORMANCE, IRQ, conformance),
    AMI__F(U16, IRQ, max_pdu_size),
};
const ami__schema ami__initiate_request_schema =
    AMI__SCHEMA(initiate_request_f);

/* InitiateResponse: negotiated-quality-of-service [0] IMPLICIT Integer8
 * OPTIONAL, negotiated-dlms-version-number, negotiated-conformance,
 * server-max-receive-pdu-size, vaa-name ObjectName. */
static const ami__field initiate_response_f[] = {
    AMI__F_OPT(I8, IRS, qos, has_qos),
    AMI__F(U8, IRS, dlms_version),
    AMI__F(CONFORMANCE, IRS, conformance),
    AMI__F(U16, IRS, max_pdu_size),
    AMI__F(U16, IRS, vaa_name),
};
const ami__schema ami__initiate_response_schema =
    AMI__SCHEMA(initiate_response_f);

/* ConfirmedServiceError ::= CHOICE { initiateError [1] ServiceError, ... }
 * with ServiceError ::= CHOICE { application-reference [0] ENUMERATED, ... }:
 * every alternative of both is one enumeration octet, so the whole APDU is
 * three octets after its tag. */
static const ami__field cse_f[] = {
    AMI__F(U8, ami_apdu_cse, service),
    AMI__F(U8, ami_apdu_cse, error),
    AMI__F(U8, ami_apdu_cse, value),
};
const ami__schema ami__cse_schema = AMI__SCHEMA(cse_f);

/* EXCEPTION-Response: state-error ENUMERATED, service-error CHOICE whose
 * alternatives are NULL except invocation-counter-error [6] Unsigned32. */
static const ami__field exc_ic_f[] = {
    AMI__F(U32, ami_apdu_exception, invocation_counter),
};
static const ami__alt exc_alts[] = {
    AMI__ALT_EMPTY(1), AMI__ALT_EMPTY(2), AMI__ALT_EMPTY(3),
    AMI__ALT_EMPTY(4), AMI__ALT_EMPTY(5), AMI__ALT(6, exc_ic_f),
};
static const ami__choice exc_choice = AMI__CHOICE_OF(exc_alts);
static const ami__field exception_f[] = {
    AMI__F(U8, ami_apdu_exception, state_error),
    AMI__F_CHOICE(ami_apdu_exception, service_error, &exc_choice),
};
const ami__schema ami__exception_schema = AMI__SCHEMA(exception_f);

/* General-Block-Transfer: block-control Unsigned8 (last-block bit 7,
 * streaming bit 6, window bits 0..5), block-number Unsigned16,
 * block-number-ack Unsigned16, block-data OCTET STRING. */
static const ami__field gbt_f[] = {
    AMI__F(U8, ami_apdu_gbt, block_control),
    AMI__F(U16, ami_apdu_gbt, block_number),
    AMI__F(U16, ami_apdu_gbt, block_number_ack),
    AMI__F(OCTETS, ami_apdu_gbt, data),
};
const ami__schema ami__gbt_schema = AMI__SCHEMA(gbt_f);
