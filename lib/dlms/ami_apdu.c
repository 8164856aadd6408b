/*
 * ami_apdu.c -- the public entry points of ami_apdu.h: tag dispatch to the
 * per-service schemas, and the glo-/ded- tag arithmetic.
 */
#include "ami_apdu_internal.h"

#include <string.h>

/* Schema of the member of ami_apdu.u for each tag, or NULL when the tag is
 * not decoded here. IEC 62056-5-3 §8 (XDLMS-APDU CHOICE). */
static const ami__schema *const schema_by_tag[256] = {
    [AMI_APDU_INITIATE_REQUEST] = &ami__initiate_request_schema,
    [AMI_APDU_READ_REQUEST] = &ami__sn_read_request_schema,
    [AMI_APDU_WRITE_REQUEST] = &ami__sn_write_request_schema,
    [AMI_APDU_INITIATE_RESPONSE] = &ami__initiate_response_schema,
    [AMI_APDU_READ_RESPONSE] = &ami__sn_read_response_schema,
    [AMI_APDU_WRITE_RESPONSE] = &ami__sn_write_response_schema,
    [AMI_APDU_CONFIRMED_SERVICE_ERROR] = &ami__cse_schema,
    [AMI_APDU_DATA_NOTIFICATION] = &ami__data_notification_schema,
    [AMI_APDU_UNCONFIRMED_WRITE_REQUEST] = &ami__sn_write_request_schema,
    [AMI_APDU_INFORMATION_REPORT_REQUEST] = &ami__sn_info_report_schema,
    [AMI_APDU_GLO_INITIATE_REQUEST] = &ami__service_ciphered_schema,
    [AMI_APDU_GLO_READ_REQUEST] = &ami__service_ciphered_schema,
    [AMI_APDU_GLO_WRITE_REQUEST] = &ami__service_ciphered_schema,
    [AMI_APDU_GLO_INITIATE_RESPONSE] = &ami__service_ciphered_schema,
    [AMI_APDU_GLO_READ_RESPONSE] = &ami__service_ciphered_schema,
    [AMI_APDU_GLO_WRITE_RESPONSE] = &ami__service_ciphered_schema,
    [AMI_APDU_GLO_CONFIRMED_SERVICE_ERROR] = &ami__service_ciphered_schema,
    [AMI_APDU_GLO_UNCONFIRMED_WRITE_REQUEST] = &ami__service_ciphered_schema,
    [AMI_APDU_GLO_INFORMATION_REPORT_REQUEST] = &ami__service_ciphered_schema,
    [AMI_APDU_DED_INITIATE_REQUEST] = &ami__service_ciphered_schema,
    [AMI_APDU_DED_READ_REQUEST] = &ami__service_ciphered_schema,
    [AMI_APDU_DED_WRITE_REQUEST] = &ami__service_ciphered_schema,
    [AMI_APDU_DED_INITIATE_RESPONSE] = &ami__service_ciphered_schema,
    [AMI_APDU_DED_READ_RESPONSE] = &ami__service_ciphered_schema,
    [AMI_APDU_DED_WRITE_RESPONSE] = &ami__service_ciphered_schema,
    [AMI_APDU_DED_CONFIRMED_SERVICE_ERROR] = &ami__service_ciphered_schema,
    [AMI_APDU_DED_UNCONFIRMED_WRITE_REQUEST] = &ami__service_ciphered_schema,
    [AMI_APDU_DED_INFORMATION_REPORT_REQUEST] = &ami__service_ciphered_schema,
    [AMI_APDU_GET_REQUEST] = &ami__get_request_schema,
    [AMI_APDU_SET_REQUEST] = &ami__set_request_schema,
    [AMI_APDU_EVENT_NOTIFICATION_REQUEST] = &ami__event_schema,
    [AMI_APDU_ACTION_REQUEST] = &ami__action_request_schema,
    [AMI_APDU_GET_RESPONSE] = &ami__get_response_schema,
    [AMI_APDU_SET_RESPONSE] = &ami__set_response_schema,
    [AMI_APDU_ACTION_RESPONSE] = &ami__action_response_schema,
    [AMI_APDU_GLO_GET_REQUEST] = &ami__service_ciphered_schema,
    [AMI_APDU_GLO_SET_REQUEST] = &ami__service_ciphered_schema,
    [AMI_APDU_GLO_EVENT_NOTIFICATION_REQUEST] = &ami__service_ciphered_schema,
    [AMI_APDU_GLO_ACTION_REQUEST] = &ami__service_ciphered_schema,
    [AMI_APDU_GLO_GET_RESPONSE] = &ami__service_ciphered_schema,
    [AMI_APDU_GLO_SET_RESPONSE] = &ami__service_ciphered_schema,
    [AMI_APDU_GLO_ACTION_RESPONSE] = &ami__service_ciphered_schema,
    [AMI_APDU_DED_GET_REQUEST] = &ami__service_ciphered_schema,
    [AMI_APDU_DED_SET_REQUEST] = &ami__service_ciphered_schema,
    [AMI_APDU_DED_EVENT_NOTIFICATION_REQUEST] = &ami__service_ciphered_schema,
    [AMI_APDU_DED_ACTION_REQUEST] = &ami__service_ciphered_schema,
    [AMI_APDU_DED_GET_RESPONSE] = &ami__service_ciphered_schema,
    [AMI_APDU_DED_SET_RESPONSE] = &ami__service_ciphered_schema,
    [AMI_APDU_DED_ACTION_RESPONSE] = &ami__service_ciphered_schema,
    [AMI_APDU_EXCEPTION_RESPONSE] = &ami__exception_schema,
    [AMI_APDU_GENERAL_GLO_CIPHERING] = &ami__general_glo_schema,
    [AMI_APDU_GENERAL_DED_CIPHERING] = &ami__general_glo_schema,
    [AMI_APDU_GENERAL_CIPHERING] = &ami__general_ciphering_schema,
    [AMI_APDU_GENERAL_SIGNING] = &ami__general_signing_schema,
    [AMI_APDU_GENERAL_BLOCK_TRANSFER] = &ami__gbt_schema,
};

bool ami_apdu_tag_supported(uint8_t tag) {
  return schema_by_tag[tag] != NULL;
}

/* Error for a tag with no schema: known-but-unimplemented vs unknown. */
static int unsupported_tag(uint8_t tag) {
  if (tag == AMI_APDU_ACCESS_REQUEST || tag == AMI_APDU_ACCESS_RESPONSE)
    return AMI_E_UNSUPPORTED;
  return AMI_E_APDU_TAG;
}

int ami_apdu_decode_prefix(ami_span in, ami_apdu *out, size_t *used) {
  ami_rd r;
  ami_rd_init(&r, in.p, in.len);
  memset(out, 0, sizeof *out);
  uint8_t tag;
  int rc = ami_rd_u8(&r, &tag);
  if (rc != AMI_OK)
    return rc;
  const ami__schema *s = schema_by_tag[tag];
  if (s == NULL)
    return unsupported_tag(tag);
  out->tag = tag;
  rc = ami__apdu_decode_schema(&r, s, &out->u);
  if (rc != AMI_OK)
    return rc;
  if (used)
    *used = r.pos;
  return AMI_OK;
}

int ami_apdu_decode(ami_span in, ami_apdu *out) {
  size_t used = 0;
  int rc = ami_apdu_decode_prefix(in, out, &used);
  if (rc == AMI_OK && used != in.len)
    return AMI_E_TRAILING;
  return rc;
}

int ami_apdu_encode(ami_wr *w, const ami_apdu *apdu) {
  const ami__schema *s = schema_by_tag[apdu->tag];
  if (s == NULL)
    return unsupported_tag(apdu->tag);
  ami_wr_u8(w, apdu->tag);
  int rc = ami__apdu_encode_schema(w, s, &apdu->u);
  return rc != AMI_OK ? rc : w->err;
}

bool ami_apdu_equal(const ami_apdu *a, const ami_apdu *b) {
  if (a->tag != b->tag)
    return false;
  const ami__schema *s = schema_by_tag[a->tag];
  return s != NULL && ami__apdu_equal_schema(s, &a->u, &b->u);
}

/* IEC 62056-5-3 §8: glo- tags are the plain tag + 32 for the initiate and
 * SN services, + 8 for the LN services; ded- tags + 64 and + 16. */
static int plain_offset(uint8_t plain, bool ded) {
  switch (plain) {
  case AMI_APDU_INITIATE_REQUEST:
  case AMI_APDU_READ_REQUEST:
  case AMI_APDU_WRITE_REQUEST:
  case AMI_APDU_INITIATE_RESPONSE:
  case AMI_APDU_READ_RESPONSE:
  case AMI_APDU_WRITE_RESPONSE:
  case AMI_APDU_CONFIRMED_SERVICE_ERROR:
  case AMI_APDU_UNCONFIRMED_WRITE_REQUEST:
  case AMI_APDU_INFORMATION_REPORT_REQUEST:
    return ded ? 64 : 32;
  case AMI_APDU_GET_REQUEST:
  case AMI_APDU_SET_REQUEST:
  case AMI_APDU_EVENT_NOTIFICATION_REQUEST:
  case AMI_APDU_ACTION_REQUEST:
  case AMI_APDU_GET_RESPONSE:
  case AMI_APDU_SET_RESPONSE:
  case AMI_APDU_ACTION_RESPONSE:
    return ded ? 16 : 8;
  default:
    return 0;
  }
}

uint8_t ami_apdu_glo_tag(uint8_t plain) {
  int d = plain_offset(plain, false);
  return d ? (uint8_t)(plain + d) : 0;
}

uint8_t ami_apdu_ded_tag(uint8_t plain) {
  int d = plain_offset(plain, true);
  return d ? (uint8_t)(plain + d) : 0;
}

uint8_t ami_apdu_plain_tag(uint8_t tag) {
  static const int offsets[] = {8, 16, 32, 64};
  for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
    int d = offsets[i];
    if (tag < d)
      continue;
    uint8_t plain = (uint8_t)(tag - d);
    if (ami_apdu_glo_tag(plain) == tag || ami_apdu_ded_tag(plain) == tag)
      return plain;
  }
  return 0;
}

bool ami_apdu_is_ciphered(uint8_t tag) {
  return ami_apdu_plain_tag(tag) != 0 ||
         tag == AMI_APDU_GENERAL_GLO_CIPHERING ||
         tag == AMI_APDU_GENERAL_DED_CIPHERING ||
         tag == AMI_APDU_GENERAL_CIPHERING || tag == AMI_APDU_GENERAL_SIGNING;
}
