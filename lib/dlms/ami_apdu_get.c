/*
 * ami_apdu_get.c -- GET-Request and GET-Response (IEC 62056-5-3 §8, the
 * xDLMS GET service of logical-name referencing), described as tables for
 * the generic codec of ami_apdu_codec.c.
 */
#include "ami_apdu_internal.h"

typedef ami_apdu_get_request GRQ;
typedef ami_apdu_get_response GRS;

/* Get-Request-Normal: invoke-id-and-priority, cosem-attribute-descriptor,
 * access-selection Selective-Access-Descriptor OPTIONAL. */
static const ami__field grq_normal[] = {
    AMI__F(U8, GRQ, iip),
    AMI__F_SEQ(GRQ, attr, &ami__desc_schema),
    AMI__F_OPT_SEQ(GRQ, sel, sel.present, &ami__selection_schema),
};
/* Get-Request-Next: invoke-id-and-priority, block-number Unsigned32. */
static const ami__field grq_next[] = {
    AMI__F(U8, GRQ, iip),
    AMI__F(U32, GRQ, block_number),
};
/* Get-Request-With-List: invoke-id-and-priority, attribute-descriptor-list
 * SEQUENCE OF Cosem-Attribute-Descriptor-With-Selection. */
static const ami__field grq_list[] = {
    AMI__F(U8, GRQ, iip),
    AMI__F_LIST(GRQ, list, AMI_APDU_ELEM_ATTR_SEL),
};
static const ami__alt grq_alts[] = {
    AMI__ALT(1, grq_normal),
    AMI__ALT(2, grq_next),
    AMI__ALT(3, grq_list),
};
static const ami__choice grq_choice = AMI__CHOICE_OF(grq_alts);
static const ami__field grq_f[] = {AMI__F_CHOICE(GRQ, choice, &grq_choice)};
const ami__schema ami__get_request_schema = AMI__SCHEMA(grq_f);

/* Get-Response-Normal: invoke-id-and-priority, result Get-Data-Result. */
static const ami__field grs_normal[] = {
    AMI__F(U8, GRS, iip),
    AMI__F_SEQ(GRS, result, &ami__get_result_schema),
};
/* Get-Response-With-Datablock: invoke-id-and-priority, result DataBlock-G. */
static const ami__field grs_block[] = {
    AMI__F(U8, GRS, iip),
    AMI__F_SEQ(GRS, block, &ami__datablock_g_schema),
};
/* Get-Response-With-List: invoke-id-and-priority, result SEQUENCE OF
 * Get-Data-Result. */
static const ami__field grs_list[] = {
    AMI__F(U8, GRS, iip),
    AMI__F_LIST(GRS, list, AMI_APDU_ELEM_GET_RESULT),
};
static const ami__alt grs_alts[] = {
    AMI__ALT(1, grs_normal),
    AMI__ALT(2, grs_block),
    AMI__ALT(3, grs_list),
};
static const ami__choice grs_choice = AMI__CHOICE_OF(grs_alts);
static const ami__field grs_f[] = {AMI__F_CHOICE(GRS, choice, &grs_choice)};
const ami__schema ami__get_response_schema = AMI__SCHEMA(grs_f);
