/*
 * ami_apdu_action.c -- ACTION-Request and ACTION-Response (IEC 62056-5-3 §8,
 * the xDLMS ACTION service), described as tables for the generic codec.
 */
#include "ami_apdu_internal.h"

typedef ami_apdu_action_request ARQ;
typedef ami_apdu_action_response ARS;

/* Action-Request-Normal: iip, cosem-method-descriptor,
 * method-invocation-parameters Data OPTIONAL. */
static const ami__field arq_normal[] = {
    AMI__F(U8, ARQ, iip),
    AMI__F_SEQ(ARQ, method, &ami__desc_schema),
    AMI__F_OPT(DATA, ARQ, params, has_params),
};
/* Action-Request-Next-Pblock: iip, block-number. */
static const ami__field arq_next[] = {
    AMI__F(U8, ARQ, iip),
    AMI__F(U32, ARQ, block_number),
};
/* Action-Request-With-List: iip, cosem-method-descriptor-list,
 * method-invocation-parameters SEQUENCE OF Data. */
static const ami__field arq_list[] = {
    AMI__F(U8, ARQ, iip),
    AMI__F_LIST(ARQ, list, AMI_APDU_ELEM_METHOD_DESC),
    AMI__F_LIST(ARQ, params_list, AMI_APDU_ELEM_DATA),
};
/* Action-Request-With-First-Pblock: iip, method descriptor, pblock. */
static const ami__field arq_first_block[] = {
    AMI__F(U8, ARQ, iip),
    AMI__F_SEQ(ARQ, method, &ami__desc_schema),
    AMI__F_SEQ(ARQ, block, &ami__datablock_schema),
};
/* Action-Request-With-List-And-First-Pblock: iip, descriptor list, pblock. */
static const ami__field arq_list_block[] = {
    AMI__F(U8, ARQ, iip),
    AMI__F_LIST(ARQ, list, AMI_APDU_ELEM_METHOD_DESC),
    AMI__F_SEQ(ARQ, block, &ami__datablock_schema),
};
/* Action-Request-With-Pblock: iip, pblock. */
static const ami__field arq_block[] = {
    AMI__F(U8, ARQ, iip),
    AMI__F_SEQ(ARQ, block, &ami__datablock_schema),
};
static const ami__alt arq_alts[] = {
    AMI__ALT(1, arq_normal),     AMI__ALT(2, arq_next),
    AMI__ALT(3, arq_list),       AMI__ALT(4, arq_first_block),
    AMI__ALT(5, arq_list_block), AMI__ALT(6, arq_block),
};
static const ami__choice arq_choice = AMI__CHOICE_OF(arq_alts);
static const ami__field arq_f[] = {AMI__F_CHOICE(ARQ, choice, &arq_choice)};
const ami__schema ami__action_request_schema = AMI__SCHEMA(arq_f);

/* Action-Response-Normal: iip, single-response. */
static const ami__field ars_normal[] = {
    AMI__F(U8, ARS, iip),
    AMI__F_SEQ(ARS, result, &ami__action_result_schema),
};
/* Action-Response-With-Pblock: iip, pblock. */
static const ami__field ars_block[] = {
    AMI__F(U8, ARS, iip),
    AMI__F_SEQ(ARS, block, &ami__datablock_schema),
};
/* Action-Response-With-List: iip, list-of-responses. */
static const ami__field ars_list[] = {
    AMI__F(U8, ARS, iip),
    AMI__F_LIST(ARS, list, AMI_APDU_ELEM_ACTION_RESULT),
};
/* Action-Response-Next-Pblock: iip, block-number. */
static const ami__field ars_next[] = {
    AMI__F(U8, ARS, iip),
    AMI__F(U32, ARS, block_number),
};
static const ami__alt ars_alts[] = {
    AMI__ALT(1, ars_normal),
    AMI__ALT(2, ars_block),
    AMI__ALT(3, ars_list),
    AMI__ALT(4, ars_next),
};
static const ami__choice ars_choice = AMI__CHOICE_OF(ars_alts);
static const ami__field ars_f[] = {AMI__F_CHOICE(ARS, choice, &ars_choice)};
const ami__schema ami__action_response_schema = AMI__SCHEMA(ars_f);
