/*
 * ami_sec_apdu.c -- the byte layout of ciphered xDLMS APDUs: the table that
 * maps plain service tags to their glo-/ded- ciphered tags, the A-XDR length
 * codec, and the zero-copy parser ami_sec_parse (no cryptography here).
 */
#include "ami_sec_internal.h"

/* Green Book xDLMS-APDU ASN.1 (the COSEMpdu CHOICE): every service that has
 * service-specific ciphered forms, with its [tag] numbers. Checked against
 * the Gurux `Command` enum, the jdlms cosem.asn module and the dlms-cosem
 * ASN.1 listing (glo-unconfirmedWriteRequest is [54]). DataNotification,
 * access and exception-response have no service-specific forms: they are
 * protected with general-glo/ded-ciphering only. */
static const struct sec_tag_row {
  uint8_t plain, glo, ded;
} sec_tags[] = {
    {0x01, 0x21, 0x41}, /* initiate-request [1] / [33] / [65] */
    {0x05, 0x25, 0x45}, /* read-request [5] / [37] / [69] */
    {0x06, 0x26, 0x46}, /* write-request [6] / [38] / [70] */
    {0x08, 0x28, 0x48}, /* initiate-response [8] / [40] / [72] */
    {0x0C, 0x2C, 0x4C}, /* read-response [12] / [44] / [76] */
    {0x0D, 0x2D, 0x4D}, /* write-response [13] / [45] / [77] */
    {0x0E, 0x2E, 0x4E}, /* confirmed-service-error [14] / [46] / [78] */
    {0x16, 0x36, 0x56}, /* unconfirmed-write-request [22] / [54] / [86] */
    {0x18, 0x38, 0x58}, /* information-report-request [24] / [56] / [88] */
    {0xC0, 0xC8, 0xD0}, /* get-request [192] / [200] / [208] */
    {0xC1, 0xC9, 0xD1}, /* set-request [193] / [201] / [209] */
    {0xC2, 0xCA, 0xD2}, /* event-notification-request [194] / [202] / [210] */
    {0xC3, 0xCB, 0xD3}, /* action-request [195] / [203] / [211] */
    {0xC4, 0xCC, 0xD4}, /* get-response [196] / [204] / [212] */
    {0xC5, 0xCD, 0xD5}, /* set-response [197] / [205] / [213] */
    {0xC7, 0xCF, 0xD7}, /* action-response [199] / [207] / [215] */
};

#define SEC_TAG_ROWS (sizeof sec_tags / sizeof sec_tags[0])

uint8_t ami_sec_glo_tag(uint8_t plain_tag) {
  for (size_t i = 0; i < SEC_TAG_ROWS; i++)
    if (sec_tags[i].plain == plain_tag)
      return sec_tags[i].glo;
  return 0;
}

uint8_t ami_sec_ded_tag(uint8_t plain_tag) {
  for (size_t i = 0; i < SEC_TAG_ROWS; i++)
    if (sec_tags[i].plain == plain_tag)
      return sec_tags[i].ded;
  return 0;
}

uint8_t ami_sec_plain_tag(uint8_t ciphered_tag, ami_sec_form *form) {
  for (size_t i = 0; i < SEC_TAG_ROWS; i++) {
    if (sec_tags[i].glo == ciphered_tag || sec_tags[i].ded == ciphered_tag) {
      if (form)
        *form = sec_tags[i].glo == ciphered_tag ? AMI_SEC_FORM_GLO
                                                : AMI_SEC_FORM_DED;
      return sec_tags[i].plain;
    }
  }
  return 0;
}

/* A-XDR length. Non-minimal encodings (0x81 0x05) are accepted, since the
 * length is unambiguous either way; 0x80 (BER indefinite form) and more than
 * four length bytes are not. */
int ami__sec_len_read(ami_rd *r, size_t *len) {
  uint8_t b;
  int rc = ami_rd_u8(r, &b);
  if (rc != AMI_OK)
    return rc;
  if (b < 0x80) {
    *len = b;
    return AMI_OK;
  }
  size_t n = b & 0x7Fu;
  if (n == 0 || n > 4)
    return AMI_E_BAD_LENGTH;
  if (ami_rd_left(r) < n)
    return AMI_E_TRUNCATED;
  const uint8_t *bytes = ami_rd_ptr(r);
  uint32_t v = 0;
  for (size_t i = 0; i < n; i++)
    v = (v << 8) | bytes[i];
  r->pos += n;
  *len = v;
  return AMI_OK;
}

size_t ami__sec_len_size(size_t len) {
  if (len < 0x80)
    return 1;
  if (len <= 0xFF)
    return 2;
  if (len <= 0xFFFF)
    return 3;
  if (len <= 0xFFFFFF)
    return 4;
  return 5;
}

uint8_t *ami__sec_len_put(uint8_t *p, size_t len) {
  size_t n = ami__sec_len_size(len);
  if (n == 1) {
    *p++ = (uint8_t)len;
    return p;
  }
  *p++ = (uint8_t)(0x80u | (n - 1));
  for (size_t i = n - 1; i > 0; i--)
    *p++ = (uint8_t)(len >> (8 * (i - 1)));
  return p;
}

/* Green Book §9.2.7.2.4 (ciphered APDUs): tag, [system title,] the ciphered
 * content as an A-XDR octet string SC || IC || payload || [T]. The general
 * forms are SEQUENCE { system-title OCTET STRING, ciphered-content OCTET
 * STRING } in A-XDR. */
int ami_sec_parse(ami_span in, ami_sec_info *info) {
  if (info == NULL || (in.len > 0 && in.p == NULL))
    return AMI_E_INVAL;
  memset(info, 0, sizeof *info);
  ami_rd r;
  ami_rd_init(&r, in.p, in.len);
  uint8_t tag;
  int rc = ami_rd_u8(&r, &tag);
  if (rc != AMI_OK)
    return rc;
  info->tag = tag;
  if (tag == AMI_SEC_TAG_GENERAL_GLO || tag == AMI_SEC_TAG_GENERAL_DED) {
    info->form = tag == AMI_SEC_TAG_GENERAL_GLO ? AMI_SEC_FORM_GENERAL_GLO
                                                : AMI_SEC_FORM_GENERAL_DED;
    size_t tlen;
    if ((rc = ami__sec_len_read(&r, &tlen)) != AMI_OK)
      return rc;
    /* An empty title is how a sender says "you know who I am". */
    if (tlen != 0 && tlen != AMI_SEC_TITLE_LEN)
      return AMI_E_BAD_LENGTH;
    if ((rc = ami_rd_span(&r, tlen, &info->title)) != AMI_OK)
      return rc;
  } else {
    info->plain_tag = ami_sec_plain_tag(tag, &info->form);
    if (info->plain_tag == 0)
      return AMI_E_APDU_TAG;
  }

  size_t clen;
  if ((rc = ami__sec_len_read(&r, &clen)) != AMI_OK)
    return rc;
  if (clen < AMI_SEC_HEADER_LEN)
    return AMI_E_BAD_LENGTH;
  if (ami_rd_left(&r) < clen)
    return AMI_E_TRUNCATED;
  if (ami_rd_left(&r) > clen)
    return AMI_E_TRAILING;
  (void)ami_rd_u8(&r, &info->sc); /* the length checks above cover these */
  (void)ami_rd_u32be(&r, &info->ic);
  size_t body = clen - AMI_SEC_HEADER_LEN;
  size_t tag_len = (info->sc & AMI_SEC_SC_AUTH) ? AMI_SEC_TAG_LEN : 0;
  if (body < tag_len)
    return AMI_E_BAD_LENGTH;
  (void)ami_rd_span(&r, body - tag_len, &info->payload);
  (void)ami_rd_span(&r, tag_len, &info->auth_tag);
  return AMI_OK;
}
