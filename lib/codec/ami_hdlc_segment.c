/*
 * ami_hdlc_segment.c -- segmentation of long APDUs into several I frames and
 * their reassembly (IEC 62056-46: the S bit of the format field). The link
 * procedure around it (RR after each segment) is the session engine's; see
 * ami_hdlc.h.
 */
#include "ami/ami_hdlc.h"

int ami_hdlc_segmenter_init(ami_hdlc_segmenter *s, ami_span data,
                            size_t max_info) {
  if (max_info == 0)
    return AMI_E_INVAL;
  s->data = data;
  s->pos = 0;
  s->max_info = max_info;
  return AMI_OK;
}

bool ami_hdlc_segmenter_next(ami_hdlc_segmenter *s, ami_span *info,
                             bool *more) {
  size_t left = s->data.len - s->pos;
  if (left == 0)
    return false;
  size_t n = left < s->max_info ? left : s->max_info;
  *info = ami_span_make(s->data.p + s->pos, n);
  s->pos += n;
  *more = s->pos < s->data.len;
  return true;
}

size_t ami_hdlc_segment_count(size_t len, size_t max_info) {
  return len / max_info + (len % max_info != 0);
}

/* Reassembler states. */
enum {
  R_IDLE,    /* no partial APDU */
  R_PARTIAL, /* segments kept in buf, more expected */
  R_DISCARD  /* an oversized APDU: drop segments up to its last one */
};

void ami_hdlc_reasm_init(ami_hdlc_reasm *r, size_t max,
                         const ami_allocator *alloc) {
  ami_dynbuf_init(&r->buf, max, alloc);
  r->state = R_IDLE;
  r->discard = AMI_OK;
}

void ami_hdlc_reasm_reset(ami_hdlc_reasm *r) {
  ami_dynbuf_reset(&r->buf);
  r->state = R_IDLE;
}

void ami_hdlc_reasm_free(ami_hdlc_reasm *r) {
  ami_dynbuf_free(&r->buf);
  r->state = R_IDLE;
}

/* Drops the partial APDU after an error; if more segments of it are still
 * to come (S set), they will be swallowed with the same error. */
static int drop(ami_hdlc_reasm *r, bool segmented, int err) {
  ami_dynbuf_reset(&r->buf);
  r->state = segmented ? R_DISCARD : R_IDLE;
  r->discard = err;
  return err;
}

int ami_hdlc_reasm_add(ami_hdlc_reasm *r, ami_span info, bool segmented,
                       ami_span *apdu) {
  if (r->state == R_DISCARD) {
    if (!segmented)
      r->state = R_IDLE;
    return r->discard;
  }
  if (r->state == R_IDLE && !segmented) {
    /* The common case: one frame, one APDU, nothing copied. */
    if (info.len > r->buf.max)
      return AMI_E_LIMIT;
    *apdu = info;
    return AMI_OK;
  }
  if (segmented && info.len == 0)
    return drop(r, segmented, AMI_E_REASSEMBLY);
  int rc = ami_dynbuf_append(&r->buf, info.p, info.len);
  if (rc != AMI_OK)
    return drop(r, segmented, rc);
  if (segmented) {
    r->state = R_PARTIAL;
    return AMI_E_AGAIN;
  }
  *apdu = ami_span_make(r->buf.p, r->buf.len);
  ami_dynbuf_reset(&r->buf); /* the memory (and *apdu) stays until next add */
  r->state = R_IDLE;
  return AMI_OK;
}
