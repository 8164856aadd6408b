/*
 * ami_apdu_notify.c -- the unsolicited APDUs a server pushes:
 * EVENT-NOTIFICATION-Request and Data-Notification (IEC 62056-5-3 §8),
 * described as tables for the generic codec.
 */
#include "ami_apdu_internal.h"

typedef ami_apdu_event_notification EVN;
typedef ami_apdu_data_notification DN;

/* EVENT-NOTIFICATION-Request: time OCTET STRING OPTIONAL,
 * cosem-attribute-descriptor, attribute-value Data. */
static const ami__field event_f[] = {
    AMI__F_OPT(OCTETS, EVN, time, has_time),
    AMI__F_SEQ(EVN, attr, &ami__desc_schema),
    AMI__F(DATA, EVN, value),
};
const ami__schema ami__event_schema = AMI__SCHEMA(event_f);

/* Data-Notification: long-invoke-id-and-priority Unsigned32, date-time
 * OCTET STRING (empty when absent), notification-body (one Data). */
static const ami__field data_notification_f[] = {
    AMI__F(U32, DN, long_iip),
    AMI__F(OCTETS, DN, date_time),
    AMI__F(DATA, DN, body),
};
const ami__schema ami__data_notification_schema =
    AMI__SCHEMA(data_notification_f);
