/*
 * ami_apdu_skip.c -- find where one encoded A-XDR Data value ends.
 *
 * The APDU codec keeps Data values as raw spans, but it must know where each
 * one ends to parse what follows it. It asks the A-XDR module, which walks
 * the value with every check it applies when decoding (tags, lengths, the
 * depth limit, hostile counts, compact-array descriptions), so that a span
 * the APDU codec accepts is one the A-XDR decoder will accept too.
 */
#include "ami/ami_axdr.h"
#include "ami_apdu_internal.h"

int ami__axdr_skip(ami_rd *r, int depth) {
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, ami_rd_ptr(r), ami_rd_left(r));
  if (depth < 1)
    depth = 1;
  if (depth > AMI_AXDR_MAX_DEPTH)
    depth = AMI_AXDR_MAX_DEPTH;
  ami_axdr_dec_set_max_depth(&d, (unsigned)depth);
  int rc = ami_axdr_skip(&d);
  if (rc != AMI_OK)
    return rc;
  r->pos += ami_axdr_pos(&d);
  return AMI_OK;
}
