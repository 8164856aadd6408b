/*
 * ami_sec_apdu.c -- the byte layout of ciphered xDLMS APDUs: the table that
 * maps plain service tags to their glo-/ded- ciphered tags, the A-XDR length
 * codec, and the zero-copy parser ami_sec_parse (no cryptography here).
 */
#include "ami/ami_apdu.h"
#include "ami/ami_ber.h"
#include "ami_sec_internal.h"

/* The plain <-> glo-/ded- tag arithmetic has one home, the APDU module's tag
 * table (ami_apdu.h); these keep the security layer's vocabulary (the form). */
uint8_t ami_sec_glo_tag(uint8_t plain_tag) {
  return ami_apdu_glo_tag(plain_tag);
}

uint8_t ami_sec_ded_tag(uint8_t plain_tag) {
  return ami_apdu_ded_tag(plain_tag);
}

uint8_t ami_sec_plain_tag(uint8_t ciphered_tag, ami_sec_form *form) {
  uint8_t plain = ami_apdu_plain_tag(ciphered_tag);
  if (plain != 0 && form)
    *form = ami_apdu_glo_tag(plain) == ciphered_tag ? AMI_SEC_FORM_GLO
                                                    : AMI_SEC_FORM_DED;
  return plain;
}

/* A-XDR length. Non-minimal encodings (0x81 0x05) are accepted, since the
 * length is unambiguous either way; 0x80 (BER indefinite form) and more than
 * four length bytes are not. */
int ami__sec_len_read(ami_rd *r, size_t *len) {
  /* The A-XDR length is BER's definite form; 0x80 means nothing here. */
  int rc = ami_ber_read_len(r, len);
  return rc == AMI_E_BER_INDEFINITE ? AMI_E_BAD_LENGTH : rc;
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
