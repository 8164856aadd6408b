/*
 * ami_apdu_set.c -- SET-Request and SET-Response (IEC 62056-5-3 §8, the
 * xDLMS SET service), described as tables for the generic codec.
 */
#include "ami_apdu_internal.h"

typedef ami_apdu_set_request SRQ;
typedef ami_apdu_set_response SRS;

/* Set-Request-Normal: iip, cosem-attribute-descriptor, access-selection
 * OPTIONAL, value Data. */
static const ami__field srq_normal[] = {
    AMI__F(U8, SRQ, iip),
    AMI__F_SEQ(SRQ, attr, &ami__desc_schema),
    AMI__F_OPT_SEQ(SRQ, sel, sel.present, &ami__selection_schema),
    AMI__F(DATA, SRQ, value),
};
/* Set-Request-With-First-Datablock: iip, descriptor, access-selection
 * OPTIONAL, datablock DataBlock-SA. */
static const ami__field srq_first_block[] = {
    AMI__F(U8, SRQ, iip),
    AMI__F_SEQ(SRQ, attr, &ami__desc_schema),
    AMI__F_OPT_SEQ(SRQ, sel, sel.present, &ami__selection_schema),
    AMI__F_SEQ(SRQ, block, &ami__datablock_schema),
};
/* Set-Request-With-Datablock: iip, datablock. */
static const ami__field srq_block[] = {
    AMI__F(U8, SRQ, iip),
    AMI__F_SEQ(SRQ, block, &ami__datablock_schema),
};
/* Set-Request-With-List: iip, attribute-descriptor-list, value-list. */
static const ami__field srq_list[] = {
    AMI__F(U8, SRQ, iip),
    AMI__F_LIST(SRQ, list, AMI_APDU_ELEM_ATTR_SEL),
    AMI__F_LIST(SRQ, values, AMI_APDU_ELEM_DATA),
};
/* Set-Request-With-List-And-First-Datablock: iip, attribute-descriptor-list,
 * datablock. */
static const ami__field srq_list_block[] = {
    AMI__F(U8, SRQ, iip),
    AMI__F_LIST(SRQ, list, AMI_APDU_ELEM_ATTR_SEL),
    AMI__F_SEQ(SRQ, block, &ami__datablock_schema),
};
static const ami__alt srq_alts[] = {
    AMI__ALT(1, srq_normal),     AMI__ALT(2, srq_first_block),
    AMI__ALT(3, srq_block),      AMI__ALT(4, srq_list),
    AMI__ALT(5, srq_list_block),
};
static const ami__choice srq_choice = AMI__CHOICE_OF(srq_alts);
static const ami__field srq_f[] = {AMI__F_CHOICE(SRQ, choice, &srq_choice)};
const ami__schema ami__set_request_schema = AMI__SCHEMA(srq_f);

/* Set-Response-Normal: iip, result Data-Access-Result. */
static const ami__field srs_normal[] = {
    AMI__F(U8, SRS, iip),
    AMI__F(U8, SRS, result),
};
/* Set-Response-Datablock: iip, block-number Unsigned32. */
static const ami__field srs_block[] = {
    AMI__F(U8, SRS, iip),
    AMI__F(U32, SRS, block_number),
};
/* Set-Response-Last-Datablock: iip, result, block-number. */
static const ami__field srs_last_block[] = {
    AMI__F(U8, SRS, iip),
    AMI__F(U8, SRS, result),
    AMI__F(U32, SRS, block_number),
};
/* Set-Response-Last-Datablock-With-List: iip, result SEQUENCE OF
 * Data-Access-Result, block-number. */
static const ami__field srs_last_block_list[] = {
    AMI__F(U8, SRS, iip),
    AMI__F_LIST(SRS, list, AMI_APDU_ELEM_DAR),
    AMI__F(U32, SRS, block_number),
};
/* Set-Response-With-List: iip, result SEQUENCE OF Data-Access-Result. */
static const ami__field srs_list[] = {
    AMI__F(U8, SRS, iip),
    AMI__F_LIST(SRS, list, AMI_APDU_ELEM_DAR),
};
static const ami__alt srs_alts[] = {
    AMI__ALT(1, srs_normal),     AMI__ALT(2, srs_block),
    AMI__ALT(3, srs_last_block), AMI__ALT(4, srs_last_block_list),
    AMI__ALT(5, srs_list),
};
static const ami__choice srs_choice = AMI__CHOICE_OF(srs_alts);
static const ami__field srs_f[] = {AMI__F_CHOICE(SRS, choice, &srs_choice)};
const ami__schema ami__set_response_schema = AMI__SCHEMA(srs_f);
