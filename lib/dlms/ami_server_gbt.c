/*
 * ami_server_gbt.c -- General-Block-Transfer for the server engine
 * (IEC 62056-5-3 §8, General-Block-Transfer; Green Book Ed. 8 §9.4.6.13),
 * used only when the conformance block negotiated general-block-transfer.
 *
 * What this implements: the client's GBT blocks are reassembled (bounded by
 * cfg.max_reassembly) and each non-last block is acknowledged; the APDU
 * they carry is served like any other, and its response -- ciphered first
 * when the request was -- goes back in GBT blocks no larger than the
 * client's max PDU, one block per acknowledgement (window 1, no streaming;
 * the client's window is honoured by sending less, never more). Lost-block
 * recovery: a client that acknowledges the block before our last one did
 * not get the last one, which is sent again with its own number (three
 * times at most in a row); any other acknowledgement out of step aborts
 * the transfer.
 *
 * Numbering: every GBT APDU we send, data or empty acknowledgement, takes
 * the next block number from 1; block-number-ack names the last block of
 * the client's received in order.
 */
#include <string.h>

#include "ami_server_internal.h"

/* Header of a GBT APDU: tag, control, number (2), ack (2), a 3-byte
 * octet-string length. */
#define GBT_HEADER 10u

#define GBT_MAX_RESENDS 3u

/* Encode and send one GBT block numbered `bn`. */
static int gbt_emit_n(ami_server *s, bool last, ami_span data, uint16_t bn) {
  ami_apdu a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_APDU_GENERAL_BLOCK_TRANSFER;
  a.u.gbt.block_control = (uint8_t)((last ? AMI_APDU_GBT_LAST : 0) | 1u);
  a.u.gbt.block_number = bn;
  a.u.gbt.block_number_ack = s->gbt_rx_bn;
  a.u.gbt.data = data;
  uint8_t *buf = NULL;
  int rc = ami__srv_reserve(s, &s->out, data.len + GBT_HEADER);
  if (rc != AMI_OK)
    return rc;
  buf = s->out.p;
  ami_wr w;
  ami_wr_init(&w, buf, s->out.cap);
  rc = ami_apdu_encode(&w, &a);
  if (rc != AMI_OK) {
    ami__srv_error(s, rc, "encoding a GBT block failed");
    return AMI_OK;
  }
  rc = ami_link_send_apdu(s->cfg.link, ami_span_make(w.p, w.len), s->now_ms);
  if (rc == AMI_E_NOMEM)
    return rc;
  if (rc != AMI_OK)
    ami__srv_error(s, rc, "link refused a GBT block");
  return AMI_OK;
}

static int gbt_emit(ami_server *s, bool last, ami_span data) {
  return gbt_emit_n(s, last, data, ++s->gbt_tx_bn);
}

/* Send the next block of the pending response. */
static int gbt_next(ami_server *s) {
  size_t lim = s->client_max_pdu ? s->client_max_pdu : 0xFFFFu;
  if (s->cfg.max_send_apdu && s->cfg.max_send_apdu < lim)
    lim = s->cfg.max_send_apdu;
  size_t room = lim > GBT_HEADER + 16 ? lim - GBT_HEADER : 16;
  size_t left = s->gbt_tx_len - s->gbt_tx_pos;
  size_t n = left < room ? left : room;
  ami_span d = ami_span_make(s->gbt_tx.p + s->gbt_tx_pos, n);
  s->gbt_tx_last_pos = s->gbt_tx_pos;
  s->gbt_tx_last_len = n;
  s->gbt_tx_last_final = n == left;
  s->gbt_tx_resendable = true;
  s->gbt_tx_resends = 0;
  s->gbt_tx_pos += n;
  if (n == left)
    s->gbt_tx_active = false;
  return gbt_emit(s, n == left, d);
}

/* IEC 62056-5-3 §9.3.10 (GBT recovery): a client that did not receive our
 * last block acknowledges the one before it; we send that block again,
 * with its own number, at most GBT_MAX_RESENDS times in a row. */
static int gbt_resend(ami_server *s) {
  s->gbt_tx_resends++;
  ami_span d =
      ami_span_make(s->gbt_tx.p + s->gbt_tx_last_pos, s->gbt_tx_last_len);
  return gbt_emit_n(s, s->gbt_tx_last_final, d, s->gbt_tx_bn);
}

int ami__srv_gbt_start(ami_server *s, ami_span apdu) {
  int rc = ami__srv_reserve(s, &s->gbt_tx, apdu.len);
  if (rc != AMI_OK)
    return rc;
  memcpy(s->gbt_tx.p, apdu.p, apdu.len);
  s->gbt_tx_len = apdu.len;
  s->gbt_tx_pos = 0;
  s->gbt_tx_active = true;
  s->req_gbt = false;
  return gbt_next(s);
}

int ami__srv_gbt_recv(ami_server *s, const ami_apdu_gbt *g) {
  bool last = (g->block_control & AMI_APDU_GBT_LAST) != 0;
  if (g->data.len == 0 && !last) {
    /* An acknowledgement: the client wants our next block. */
    if (s->gbt_tx_active && g->block_number_ack == s->gbt_tx_bn) {
      s->gbt_rx_bn = g->block_number;
      return gbt_next(s);
    }
    if (s->gbt_tx_resendable && s->gbt_tx_bn > 0 &&
        g->block_number_ack == (uint16_t)(s->gbt_tx_bn - 1) &&
        s->gbt_tx_resends < GBT_MAX_RESENDS) {
      s->gbt_rx_bn = g->block_number;
      return gbt_resend(s);
    }
    ami__srv_error(s, AMI_E_BLOCK_NUMBER, "GBT acknowledgement out of step");
    s->gbt_tx_active = false;
    return ami__srv_exception(s, 1, 1, 0);
  }
  if (g->block_number == 1) { /* a new transfer from the client */
    ami_dynbuf_reset(&s->gbt_rx);
    s->gbt_tx_active = false;
    s->gbt_tx_resendable = false;
    s->gbt_tx_bn = 0;
  } else if (g->block_number != (uint16_t)(s->gbt_rx_bn + 1)) {
    ami__srv_error(s, AMI_E_BLOCK_NUMBER, "GBT block out of sequence");
    ami_dynbuf_reset(&s->gbt_rx);
    return ami__srv_exception(s, 1, 1, 0);
  }
  s->gbt_rx_bn = g->block_number;
  int rc = ami_dynbuf_append(&s->gbt_rx, g->data.p, g->data.len);
  if (rc == AMI_E_NOMEM)
    return rc;
  if (rc != AMI_OK) {
    ami__srv_error(s, rc, "GBT reassembly over its limit");
    ami_dynbuf_reset(&s->gbt_rx);
    return ami__srv_exception(s, 1, 4, 0); /* pdu-too-long */
  }
  if (!last)
    return gbt_emit(s, false, ami_span_make(NULL, 0));
  if (s->gbt_rx.len == 0)
    return ami__srv_exception(s, 2, 3, 0);
  /* Serve the carried APDU. It stays in gbt_rx during the call: nothing
   * below appends to gbt_rx, and the next GBT block resets it. */
  rc = ami__srv_xdlms(s, ami_span_make(s->gbt_rx.p, s->gbt_rx.len), true);
  s->req_gbt = false;
  return rc;
}
