/*
 * ami_apdu_sn.c -- the short-name (SN) referencing services of
 * IEC 62056-5-3 §8: ReadRequest/-Response, WriteRequest/-Response,
 * UnconfirmedWriteRequest and InformationReportRequest, as tables for the
 * generic codec. All of them share ami_apdu_sn.
 */
#include "ami_apdu_internal.h"

typedef ami_apdu_sn SN;

/* ReadRequest ::= SEQUENCE OF Variable-Access-Specification. */
static const ami__field read_request_f[] = {
    AMI__F_LIST(SN, list, AMI_APDU_ELEM_VAR_ACCESS),
};
const ami__schema ami__sn_read_request_schema = AMI__SCHEMA(read_request_f);

/* ReadResponse ::= SEQUENCE OF CHOICE { data, data-access-error,
 * data-block-result, block-number }. */
static const ami__field read_response_f[] = {
    AMI__F_LIST(SN, list, AMI_APDU_ELEM_READ_RESULT),
};
const ami__schema ami__sn_read_response_schema = AMI__SCHEMA(read_response_f);

/* WriteRequest and UnconfirmedWriteRequest: variable-access-specification
 * SEQUENCE OF, list-of-data SEQUENCE OF Data. */
static const ami__field write_request_f[] = {
    AMI__F_LIST(SN, list, AMI_APDU_ELEM_VAR_ACCESS),
    AMI__F_LIST(SN, values, AMI_APDU_ELEM_DATA),
};
const ami__schema ami__sn_write_request_schema = AMI__SCHEMA(write_request_f);

/* WriteResponse ::= SEQUENCE OF CHOICE { success, data-access-error,
 * block-number }. */
static const ami__field write_response_f[] = {
    AMI__F_LIST(SN, list, AMI_APDU_ELEM_WRITE_RESULT),
};
const ami__schema ami__sn_write_response_schema = AMI__SCHEMA(write_response_f);

/* InformationReportRequest: current-time GeneralizedTime OPTIONAL (taken as
 * an A-XDR OPTIONAL OCTET STRING), variable-access-specification,
 * list-of-data. */
static const ami__field info_report_f[] = {
    AMI__F_OPT(OCTETS, SN, time, has_time),
    AMI__F_LIST(SN, list, AMI_APDU_ELEM_VAR_ACCESS),
    AMI__F_LIST(SN, values, AMI_APDU_ELEM_DATA),
};
const ami__schema ami__sn_info_report_schema = AMI__SCHEMA(info_report_f);
