/*
 * ami_apdu_skip.c -- find where one encoded A-XDR Data value ends, without
 * decoding it.
 *
 * The APDU codec keeps Data values as raw spans (the A-XDR module decodes
 * them), but it must know where each one ends to parse what follows it.
 * This file is deliberately self-contained so that it can later be replaced
 * by the A-XDR module's own skip.
 *
 * Data ::= CHOICE (IEC 62056-6-2 §4.1.5 / IEC 62056-5-3 §8): one tag octet,
 * then the value. Lengths and counts use the A-XDR length encoding.
 */
#include "ami_apdu_internal.h"

/* Fixed value sizes by Data tag; 0 means "not a fixed-size type" (the
 * variable-size and invalid tags are handled explicitly below). */
static uint8_t fixed_size(uint8_t tag) {
  switch (tag) {
  case 3:  /* boolean */
  case 13: /* bcd */
  case 15: /* integer */
  case 17: /* unsigned */
  case 22: /* enum */
  case 28: /* delta-integer */
  case 31: /* delta-unsigned */
    return 1;
  case 16: /* long */
  case 18: /* long-unsigned */
  case 29: /* delta-long */
  case 32: /* delta-long-unsigned */
    return 2;
  case 5:  /* double-long */
  case 6:  /* double-long-unsigned */
  case 23: /* float32 */
  case 27: /* time */
  case 30: /* delta-double-long */
  case 33: /* delta-double-long-unsigned */
    return 4;
  case 26: /* date */
    return 5;
  case 20: /* long64 */
  case 21: /* long64-unsigned */
  case 24: /* float64 */
    return 8;
  case 25: /* date-time */
    return 12;
  default:
    return 0;
  }
}

/* TypeDescription of a compact-array (IEC 62056-6-2 §4.1.5): a Data tag
 * with no value, except array (element count Unsigned16 + one description)
 * and structure (length-encoded count + that many descriptions). */
static int skip_type_description(ami_rd *r, int depth) {
  uint8_t tag;
  int rc = ami_rd_u8(r, &tag);
  if (rc != AMI_OK)
    return rc;
  if (tag == 0 || tag == 4 || tag == 9 || tag == 10 || tag == 12 ||
      tag == 255 || fixed_size(tag) != 0)
    return AMI_OK;
  if (tag != 1 && tag != 2)
    return AMI_E_BAD_TAG;
  if (depth <= 0)
    return AMI_E_DEPTH;
  if (tag == 1) {
    uint16_t count;
    if ((rc = ami_rd_u16be(r, &count)) != AMI_OK)
      return rc;
    return skip_type_description(r, depth - 1);
  }
  size_t n;
  if ((rc = ami__apdu_rd_len(r, &n)) != AMI_OK)
    return rc;
  if (n > ami_rd_left(r))
    return AMI_E_TRUNCATED; /* each description takes an octet at least */
  for (size_t i = 0; i < n; i++)
    if ((rc = skip_type_description(r, depth - 1)) != AMI_OK)
      return rc;
  return AMI_OK;
}

int ami__axdr_skip(ami_rd *r, int depth) {
  uint8_t tag;
  int rc = ami_rd_u8(r, &tag);
  if (rc != AMI_OK)
    return rc;
  uint8_t fs = fixed_size(tag);
  if (fs != 0)
    return ami_rd_skip(r, fs);
  size_t n;
  switch (tag) {
  case 0:   /* null-data */
  case 255: /* dont-care */
    return AMI_OK;
  case 1: /* array */
  case 2: /* structure */
    if (depth <= 0)
      return AMI_E_DEPTH;
    if ((rc = ami__apdu_rd_len(r, &n)) != AMI_OK)
      return rc;
    if (n > ami_rd_left(r))
      return AMI_E_TRUNCATED; /* each element takes an octet at least */
    for (size_t i = 0; i < n; i++)
      if ((rc = ami__axdr_skip(r, depth - 1)) != AMI_OK)
        return rc;
    return AMI_OK;
  case 4: /* bit-string: the length counts bits */
    if ((rc = ami__apdu_rd_len(r, &n)) != AMI_OK)
      return rc;
    return ami_rd_skip(r, n / 8 + (n % 8 != 0));
  case 9:  /* octet-string */
  case 10: /* visible-string */
  case 12: /* utf8-string */
    if ((rc = ami__apdu_rd_len(r, &n)) != AMI_OK)
      return rc;
    return ami_rd_skip(r, n);
  case 19: /* compact-array: description, then length-prefixed contents */
    if (depth <= 0)
      return AMI_E_DEPTH;
    if ((rc = skip_type_description(r, depth - 1)) != AMI_OK)
      return rc;
    if ((rc = ami__apdu_rd_len(r, &n)) != AMI_OK)
      return rc;
    return ami_rd_skip(r, n);
  default:
    return AMI_E_BAD_TAG;
  }
}
