/*
 * ami_wrapper.c -- the IEC 62056-47 wrapper: one-shot codec (UDP, tests) and
 * the streaming deframer (TCP).
 */
#include "ami/ami_wrapper.h"

int ami_wrapper_encode(ami_wr *w, const ami_wrapper_pdu *pdu) {
  if (pdu->apdu.len > AMI_WRAPPER_MAX_APDU)
    return AMI_E_WRAPPER_TOO_LONG;
  ami_wr_u16be(w, AMI_WRAPPER_VERSION);
  ami_wr_u16be(w, pdu->src_wport);
  ami_wr_u16be(w, pdu->dst_wport);
  ami_wr_u16be(w, (uint16_t)pdu->apdu.len);
  ami_wr_bytes(w, pdu->apdu.p, pdu->apdu.len);
  return w->err;
}

/* Parses the 8-byte header (all of it present). */
static int parse_header(const uint8_t *h, ami_wrapper_pdu *pdu, size_t *len) {
  ami_rd r;
  uint16_t version, n;
  ami_rd_init(&r, h, AMI_WRAPPER_HEADER_LEN);
  (void)ami_rd_u16be(&r, &version);
  (void)ami_rd_u16be(&r, &pdu->src_wport);
  (void)ami_rd_u16be(&r, &pdu->dst_wport);
  (void)ami_rd_u16be(&r, &n);
  if (version != AMI_WRAPPER_VERSION)
    return AMI_E_WRAPPER_VERSION;
  *len = n;
  return AMI_OK;
}

int ami_wrapper_decode(ami_span in, ami_wrapper_pdu *pdu, size_t *used) {
  /* The version is checked as soon as it is there, so that a stream of
   * something else is told apart from a short read. */
  if (in.len >= 2 && (in.p[0] << 8 | in.p[1]) != AMI_WRAPPER_VERSION)
    return AMI_E_WRAPPER_VERSION;
  if (in.len < AMI_WRAPPER_HEADER_LEN)
    return AMI_E_TRUNCATED;
  size_t n;
  ami_wrapper_pdu p;
  int rc = parse_header(in.p, &p, &n);
  if (rc != AMI_OK)
    return rc;
  if (in.len - AMI_WRAPPER_HEADER_LEN < n)
    return AMI_E_TRUNCATED;
  size_t total = AMI_WRAPPER_HEADER_LEN + n;
  if (used != NULL)
    *used = total;
  else if (total != in.len)
    return AMI_E_TRAILING;
  p.apdu = ami_span_make(in.p + AMI_WRAPPER_HEADER_LEN, n);
  *pdu = p;
  return AMI_OK;
}

/* ---------------------------------------------------------------------- */
/* Streaming deframer (states drawn in ami_wrapper.h)                      */

enum { W_HEADER, W_APDU, W_FAILED };

void ami_wrapper_deframer_init(ami_wrapper_deframer *d, size_t max_apdu,
                               const ami_allocator *alloc) {
  if (max_apdu == 0 || max_apdu > AMI_WRAPPER_MAX_APDU)
    max_apdu = AMI_WRAPPER_MAX_APDU;
  d->max_apdu = max_apdu;
  ami_dynbuf_init(&d->body, AMI_WRAPPER_MAX_APDU, alloc);
  ami_wrapper_deframer_reset(d);
}

void ami_wrapper_deframer_reset(ami_wrapper_deframer *d) {
  d->state = W_HEADER;
  d->err = AMI_OK;
  d->hlen = 0;
  d->need = 0;
  ami_dynbuf_reset(&d->body);
}

void ami_wrapper_deframer_free(ami_wrapper_deframer *d) {
  ami_dynbuf_free(&d->body);
}

static int fail(ami_wrapper_deframer *d, int err) {
  d->state = W_FAILED;
  d->err = err;
  return err;
}

/* The header is complete in d->hdr: check it and move to W_APDU. */
static int header_done(ami_wrapper_deframer *d) {
  int rc = parse_header(d->hdr, &d->pdu, &d->need);
  if (rc != AMI_OK)
    return fail(d, rc);
  if (d->need > d->max_apdu)
    return fail(d, AMI_E_WRAPPER_TOO_LONG);
  d->hlen = 0;
  d->state = W_APDU;
  ami_dynbuf_reset(&d->body);
  return AMI_OK;
}

int ami_wrapper_deframer_feed(ami_wrapper_deframer *d, const uint8_t *data,
                              size_t len, size_t *consumed,
                              ami_wrapper_pdu *pdu) {
  size_t i = 0;
  int rc;
  *consumed = 0;
  if (d->state == W_FAILED)
    return d->err;
  if (len == 0) /* nothing can complete (`data` may be NULL) */
    return AMI_E_AGAIN;
  for (;;) {
    if (d->state == W_HEADER) {
      if (d->hlen == 0 && len - i >= AMI_WRAPPER_HEADER_LEN) {
        memcpy(d->hdr, data + i, AMI_WRAPPER_HEADER_LEN); /* whole header */
        d->hlen = AMI_WRAPPER_HEADER_LEN;
        i += AMI_WRAPPER_HEADER_LEN;
      } else {
        while (i < len && d->hlen < AMI_WRAPPER_HEADER_LEN) {
          d->hdr[d->hlen++] = data[i++];
          /* Reject a wrong version as soon as its two bytes are in. */
          if (d->hlen == 2 &&
              (d->hdr[0] << 8 | d->hdr[1]) != AMI_WRAPPER_VERSION) {
            *consumed = i;
            return fail(d, AMI_E_WRAPPER_VERSION);
          }
        }
        if (d->hlen < AMI_WRAPPER_HEADER_LEN)
          break;
      }
      rc = header_done(d);
      if (rc != AMI_OK) {
        *consumed = i;
        return rc;
      }
    }
    /* W_APDU */
    size_t have = d->body.len, left = len - i;
    if (have == 0 && left >= d->need) { /* all here: borrow it */
      *pdu = d->pdu;
      pdu->apdu = ami_span_make(data + i, d->need);
      i += d->need;
    } else {
      size_t k = d->need - have < left ? d->need - have : left;
      rc = ami_dynbuf_append(&d->body, data + i, k);
      if (rc != AMI_OK) {
        *consumed = i;
        return fail(d, rc);
      }
      i += k;
      if (d->body.len < d->need)
        break;
      *pdu = d->pdu;
      pdu->apdu = ami_span_make(d->body.p, d->body.len);
      ami_dynbuf_reset(&d->body); /* memory stays valid until next feed */
    }
    d->state = W_HEADER;
    *consumed = i;
    return AMI_OK;
  }
  *consumed = len;
  return AMI_E_AGAIN;
}
