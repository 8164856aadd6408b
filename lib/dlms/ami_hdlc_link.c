/*
 * ami_hdlc_link.c -- ami_link over HDLC (IEC 62056-46 data link layer, normal
 * response mode): connection (SNRM/UA, DISC/UA/DM), I-frame windows with
 * N(S)/N(R) modulo 8, segmentation with RR polling, checkpoint recovery.
 * The behaviour and the message flow are described in ami_hdlc_link.h.
 *
 * Station states (the client moves by connect/disconnect and answers; the
 * server by the client's SNRM/DISC and its own inactivity timer):
 *
 *               connect(): SNRM(P)
 *   DISCONNECTED -----------------> CONNECTING ---- UA ----> CONNECTED
 *     ^    ^  ^                        |  DM, retries out       |  |
 *     |    |  +------------------------+                        |  |
 *     |    +-------- DM, FRMR, retries out, inactivity ---------+  |
 *     |                                                            |
 * disconnect():
 *     +---------------- UA/DM, retries out ------ DISCONNECTING <--+ DISC(P)
 *
 * The right to send ("turn") alternates: the client has it until it sends a
 * frame with P=1, the server from that frame until it sends one with F=1.
 */
#include "ami/ami_hdlc_link.h"

#include <string.h>

enum { HL_DISCONNECTED, HL_CONNECTING, HL_CONNECTED, HL_DISCONNECTING };
enum { PEND_CONNECTED = 1, PEND_DISCONNECTED = 2 };

#define REC_HDR 4 /* the length prefix of a send-queue record */

static ami_hdlc_link *hl(ami_link *l) {
  return (ami_hdlc_link *)(void *)l;
}
static const ami_hdlc_link *chl(const ami_link *l) {
  return (const ami_hdlc_link *)(const void *)l;
}
static bool is_client(const ami_hdlc_link *h) {
  return h->cfg.role == AMI_LINK_CLIENT;
}

/* ---------------------------------------------------------------------- */
/* Output: frames are encoded into out[] as soon as they are due.          */

/* Encodes one frame to the peer. When out[] is full (the application does
 * not pull) the frame is dropped and counted, exactly as if the line had
 * lost it: the recovery procedures repair it. */
static void emit(ami_hdlc_link *h, ami_hdlc_kind kind, unsigned ns, bool pf,
                 bool more, ami_span info) {
  ami_hdlc_addr server = h->cfg.server_address;
  ami_hdlc_frame f;
  f.dst = is_client(h) ? server : h->client;
  f.src = is_client(h) ? h->client : server;
  f.control = ami_hdlc_control_make(
      kind, kind == AMI_HDLC_I ? ns : 0,
      kind == AMI_HDLC_I || kind == AMI_HDLC_RR || kind == AMI_HDLC_RNR ? h->vr
                                                                        : 0,
      pf);
  f.segmented = more;
  f.info = info;
  if (h->out_pos == h->out_len) {
    h->out_pos = h->out_len = h->out_end = 0;
  } else if (h->out_pos > 0 && h->out_end == h->out_pos) {
    /* At a frame boundary: move the unpulled frames to the front. */
    memmove(h->out, h->out + h->out_pos, h->out_len - h->out_pos);
    h->out_len -= h->out_pos;
    h->out_pos = h->out_end = 0;
  }
  ami_wr w;
  ami_wr_init(&w, h->out + h->out_len, sizeof h->out - h->out_len);
  if (ami_hdlc_frame_encode(&w, &f) == AMI_OK)
    h->out_len += w.len;
  else
    h->out_dropped++;
}

static void emit_ctl(ami_hdlc_link *h, ami_hdlc_kind kind, bool pf) {
  emit(h, kind, 0, pf, false, ami_span_make(NULL, 0));
}

/* Sends SNRM, stating our limits when configured to (IEC 62056-46 SNRM
 * information field; none = the defaults). */
static void emit_snrm(ami_hdlc_link *h) {
  uint8_t buf[32];
  ami_wr w;
  ami_wr_init(&w, buf, sizeof buf);
  if (h->cfg.propose_limits) {
    ami_hdlc_params p = h->cfg.limits;
    p.present = AMI_HDLC_HAS_ALL;
    (void)ami_hdlc_params_encode(&w, &p);
  }
  emit(h, AMI_HDLC_SNRM, 0, true, false, ami_span_make(buf, w.len));
}

/* FRMR (ISO/IEC 13239 §5.5.3.4.2, modulo 8): the rejected control field,
 * our V(S) and V(R) with the C/R bit, then W X Y Z; here Z = invalid N(R). */
static void emit_frmr_nr(ami_hdlc_link *h, uint8_t rejected) {
  uint8_t info[3];
  info[0] = rejected;
  info[1] = (uint8_t)((h->vs << 1) | (h->vr << 5));
  info[2] = 0x08;
  emit(h, AMI_HDLC_FRMR, 0, true, false, ami_span_make(info, sizeof info));
}

/* ---------------------------------------------------------------------- */
/* The send queue: records [u32 length][LLC + APDU], the first in progress. */

static ami_span cur_msg(const ami_hdlc_link *h) {
  if (h->txq.len < REC_HDR)
    return ami_span_make(NULL, 0);
  const uint8_t *q = h->txq.p;
  size_t n =
      ((size_t)q[0] << 24) | ((size_t)q[1] << 16) | ((size_t)q[2] << 8) | q[3];
  return ami_span_make(q + REC_HDR, n);
}

static bool have_msg(const ami_hdlc_link *h) {
  return h->txq.len >= REC_HDR;
}

/* Drops the first record: it has been sent and acknowledged completely. */
static void pop_msg(ami_hdlc_link *h) {
  size_t n = REC_HDR + cur_msg(h).len;
  memmove(h->txq.p, h->txq.p + n, h->txq.len - n);
  h->txq.len -= n;
  h->tx_pos = 0;
}

static void clear_tx(ami_hdlc_link *h) {
  ami_dynbuf_reset(&h->txq);
  h->tx_pos = 0;
  h->nsent = 0;
}

/* The largest information field we send. */
static size_t seg_size(const ami_hdlc_link *h) {
  size_t n = h->tx_max_info;
  if (h->cfg.segment_max != 0 && h->cfg.segment_max < n)
    n = h->cfg.segment_max;
  return n;
}

/* Sends the next window of I frames of the current message (IEC 62056-46
 * segmentation: S=1 on all but the last segment of the APDU), at most
 * tx_window frames, the last of them with P/F=1, which hands over the turn.
 * Precondition: no frame is outstanding (go_back() first if one is).
 * Returns whether anything was sent. */
static bool send_window(ami_hdlc_link *h) {
  ami_span msg = cur_msg(h);
  if (!have_msg(h) || h->tx_pos >= msg.len)
    return false;
  ami_hdlc_segmenter sg;
  if (ami_hdlc_segmenter_init(&sg, msg, seg_size(h)) != AMI_OK)
    return false;
  sg.pos = h->tx_pos;
  ami_span info;
  bool more;
  while (h->nsent < h->tx_window &&
         ami_hdlc_segmenter_next(&sg, &info, &more)) {
    bool last = !more || h->nsent + 1 == h->tx_window;
    ami_hdlc_link_sent *s = &h->sent[h->nsent++];
    s->off = (uint32_t)(info.p - msg.p);
    s->len = (uint16_t)info.len;
    s->ns = h->vs;
    s->more = more;
    emit(h, AMI_HDLC_I, h->vs, last, more, info);
    h->vs = ami_hdlc_seq_next(h->vs);
    h->tx_pos = sg.pos;
    if (last)
      break;
  }
  return true;
}

/* Go-back-N: the unacknowledged frames will be sent again, from the first
 * the peer has not confirmed. */
static void go_back(ami_hdlc_link *h) {
  if (h->nsent == 0)
    return;
  h->tx_pos = h->sent[0].off;
  h->vs = h->sent[0].ns;
  h->retransmits += h->nsent;
  h->nsent = 0;
}

/* Applies a received N(R): frames before it are acknowledged (IEC 62056-46,
 * ISO/IEC 13239 §5.6.2). A message whose frames are all acknowledged leaves
 * the queue. AMI_E_HDLC_SEQUENCE when N(R) is outside [oldest unacked, V(S)].
 */
static int ack(ami_hdlc_link *h, uint8_t nr) {
  uint8_t base = h->nsent ? h->sent[0].ns : h->vs;
  unsigned k = (unsigned)((nr - base) & 7);
  if (k > h->nsent)
    return AMI_E_HDLC_SEQUENCE;
  memmove(h->sent, h->sent + k, (h->nsent - k) * sizeof h->sent[0]);
  h->nsent -= k;
  if (h->nsent == 0 && have_msg(h) && h->tx_pos >= cur_msg(h).len)
    pop_msg(h);
  return AMI_OK;
}

/* ---------------------------------------------------------------------- */
/* Turns                                                                    */

static void arm_response_timer(ami_hdlc_link *h) {
  h->deadline = h->now + h->cfg.response_timeout_ms;
}

/* The client holds the turn: decide what to send (IEC 62056-46 NRM, the
 * primary station's duty). In order: re-acknowledge after a sequence error,
 * poll for the next segment of a segmented answer, retransmit what the
 * server did not confirm, send the next window; else stay idle. Anything
 * sent ends with P=1 and starts the response timer. */
static void client_act(ami_hdlc_link *h) {
  if (!h->have_turn || h->state != HL_CONNECTED)
    return;
  bool sent = false;
  if (h->seq_error || h->rx_more) {
    emit_ctl(h, AMI_HDLC_RR, true);
    h->seq_error = false;
    sent = true;
  } else {
    go_back(h);
    sent = send_window(h);
  }
  if (sent) {
    h->have_turn = false;
    arm_response_timer(h);
  }
}

/* The server was polled and answers now, ending with F=1 (IEC 62056-46: the
 * secondary station sends only when polled). While the client is in the
 * middle of a segmented APDU, the answer is RR: "go on". Otherwise
 * unacknowledged frames are sent again, or the next window of the queued
 * answer; with nothing to send, RR with our N(R). */
static void server_act(ami_hdlc_link *h) {
  if (!h->have_turn || h->state != HL_CONNECTED)
    return;
  if (h->rx_more || h->seq_error) {
    emit_ctl(h, AMI_HDLC_RR, true);
    h->seq_error = false;
  } else {
    go_back(h);
    if (!send_window(h))
      emit_ctl(h, AMI_HDLC_RR, true);
  }
  h->have_turn = false;
}

static void reset_session(ami_hdlc_link *h) {
  h->vs = h->vr = 0;
  h->nsent = 0;
  h->rx_more = h->seq_error = false;
  h->retries = 0;
  clear_tx(h);
  ami_hdlc_reasm_reset(&h->reasm);
}

static void set_event(const ami_hdlc_link *h, ami_link_event *ev,
                      ami_link_event_kind kind, int error) {
  memset(ev, 0, sizeof *ev);
  ev->kind = kind;
  ev->error = error;
  /* Role-relative: the other station's address, and ours. */
  uint16_t client = h->client.upper, server = h->cfg.server_address.upper;
  ev->peer_address = is_client(h) ? server : client;
  ev->own_address = is_client(h) ? client : server;
}

/* Enters DISCONNECTED and fills a DISCONNECTED event. */
static int go_down(ami_hdlc_link *h, ami_link_event *ev, int error) {
  h->state = HL_DISCONNECTED;
  h->have_turn = false;
  h->deadline = AMI_LINK_NO_EXPIRY;
  reset_session(h);
  set_event(h, ev, AMI_LINK_EV_DISCONNECTED, error);
  return AMI_OK;
}

static int take_pending(ami_hdlc_link *h, ami_link_event *ev) {
  if (h->pending & PEND_DISCONNECTED) {
    h->pending &= (uint8_t)~PEND_DISCONNECTED;
    set_event(h, ev, AMI_LINK_EV_DISCONNECTED, h->pending_error);
    return AMI_OK;
  }
  if (h->pending & PEND_CONNECTED) {
    h->pending &= (uint8_t)~PEND_CONNECTED;
    set_event(h, ev, AMI_LINK_EV_CONNECTED, AMI_OK);
    return AMI_OK;
  }
  return AMI_E_AGAIN;
}

/* ---------------------------------------------------------------------- */
/* Received frames                                                          */

static uint32_t clamp_window(uint32_t w) {
  return w > AMI_HDLC_LINK_MAX_WINDOW ? AMI_HDLC_LINK_MAX_WINDOW : w;
}
static uint32_t clamp_info(uint32_t n) {
  return n > AMI_HDLC_MAX_INFO ? AMI_HDLC_MAX_INFO : n;
}

/* Adds the information field of an in-sequence I frame to the APDU being
 * reassembled; fills an APDU or ERROR event, or returns AMI_E_AGAIN while
 * segments are still expected. */
static int take_info(ami_hdlc_link *h, const ami_hdlc_frame *f,
                     ami_link_event *ev) {
  ami_span whole, apdu;
  int rc = ami_hdlc_reasm_add(&h->reasm, f->info, f->segmented, &whole);
  if (rc == AMI_E_AGAIN)
    return AMI_E_AGAIN;
  if (rc == AMI_OK)
    rc = ami_hdlc_llc_strip(
        whole, is_client(h) ? AMI_HDLC_LLC_RESPONSE : AMI_HDLC_LLC_COMMAND,
        &apdu);
  if (rc != AMI_OK) {
    set_event(h, ev, AMI_LINK_EV_ERROR, rc);
    return AMI_OK;
  }
  set_event(h, ev, AMI_LINK_EV_APDU, AMI_OK);
  ev->apdu = apdu;
  return AMI_OK;
}

/* A UI frame carries one whole APDU (a push), outside the sequence. */
static int take_ui(ami_hdlc_link *h, const ami_hdlc_frame *f,
                   ami_link_event *ev) {
  ami_span apdu;
  int rc = ami_hdlc_llc_strip(
      f->info, is_client(h) ? AMI_HDLC_LLC_RESPONSE : AMI_HDLC_LLC_COMMAND,
      &apdu);
  if (rc == AMI_OK && f->segmented)
    rc = AMI_E_UNSUPPORTED;
  if (rc != AMI_OK) {
    set_event(h, ev, AMI_LINK_EV_ERROR, rc);
    return AMI_OK;
  }
  set_event(h, ev, AMI_LINK_EV_APDU, AMI_OK);
  ev->apdu = apdu;
  return AMI_OK;
}

/* An I frame in CONNECTED (both roles). Returns AMI_OK with an event, or
 * AMI_E_AGAIN. Sequence check: N(S) must equal V(R) (IEC 62056-46, ISO/IEC
 * 13239 §5.6.2.1); an out-of-sequence frame is dropped and the next turn
 * re-acknowledges with our N(R), so that the peer goes back. */
static int on_iframe(ami_hdlc_link *h, const ami_hdlc_frame *f,
                     uint8_t ctl_byte, ami_link_event *ev, bool *answer_now) {
  *answer_now = f->control.pf;
  if (f->control.ns != h->vr) {
    h->seq_error = true;
    set_event(h, ev, AMI_LINK_EV_ERROR, AMI_E_HDLC_SEQUENCE);
    return AMI_OK;
  }
  if (ack(h, f->control.nr) != AMI_OK) {
    if (!is_client(h)) {
      emit_frmr_nr(h, ctl_byte);
      *answer_now = false;
      h->have_turn = false;
    }
    set_event(h, ev, AMI_LINK_EV_ERROR, AMI_E_HDLC_SEQUENCE);
    return AMI_OK;
  }
  h->vr = ami_hdlc_seq_next(h->vr);
  h->rx_more = f->segmented;
  /* In sequence again (the error was a duplicate): nothing to re-ask. */
  h->seq_error = false;
  int rc = take_info(h, f, ev);
  /* A server holding the poll after a whole request waits for the
   * application's answer (send_apdu), unless it must retransmit first. */
  if (!is_client(h) && rc == AMI_OK && ev->kind == AMI_LINK_EV_APDU &&
      h->nsent == 0)
    *answer_now = false;
  return rc;
}

/* Client side, CONNECTING or DISCONNECTING. */
static int client_unnumbered(ami_hdlc_link *h, const ami_hdlc_frame *f,
                             ami_link_event *ev) {
  ami_hdlc_kind k = f->control.kind;
  if (h->state == HL_DISCONNECTING) {
    if (k == AMI_HDLC_UA || k == AMI_HDLC_DM)
      return go_down(h, ev, AMI_OK);
    return AMI_E_AGAIN;
  }
  if (k == AMI_HDLC_DM)
    return go_down(h, ev, AMI_E_CLOSED);
  if (k != AMI_HDLC_UA)
    return AMI_E_AGAIN;
  /* IEC 62056-46: the UA states the server's limits from its own point of
   * view; mirrored, they bound ours. */
  ami_hdlc_params ua, m;
  int rc = ami_hdlc_params_decode(f->info, &ua);
  if (rc != AMI_OK)
    return go_down(h, ev, rc);
  ami_hdlc_params_mirror(&ua, &m);
  const ami_hdlc_params *own = &h->cfg.limits;
  h->tx_max_info = clamp_info(
      m.max_info_tx < own->max_info_tx ? m.max_info_tx : own->max_info_tx);
  h->rx_max_info = clamp_info(m.max_info_rx);
  h->tx_window =
      clamp_window(m.window_tx < own->window_tx ? m.window_tx : own->window_tx);
  h->rx_window = clamp_window(m.window_rx);
  if (h->tx_max_info == 0 || h->rx_max_info == 0 || h->tx_window == 0 ||
      h->rx_window == 0)
    return go_down(h, ev, AMI_E_HDLC_PARAM);
  reset_session(h);
  h->state = HL_CONNECTED;
  h->have_turn = true;
  h->deadline = AMI_LINK_NO_EXPIRY;
  set_event(h, ev, AMI_LINK_EV_CONNECTED, AMI_OK);
  return AMI_OK;
}

/* A frame for the client. */
static int client_frame(ami_hdlc_link *h, const ami_hdlc_frame *f,
                        uint8_t ctl_byte, ami_link_event *ev) {
  if (h->state == HL_DISCONNECTED)
    return AMI_E_AGAIN;
  if (h->state != HL_CONNECTED)
    return client_unnumbered(h, f, ev);
  int rc = AMI_E_AGAIN;
  bool turn = f->control.pf;
  switch (f->control.kind) {
  case AMI_HDLC_I:
    rc = on_iframe(h, f, ctl_byte, ev, &turn);
    turn = f->control.pf;
    break;
  case AMI_HDLC_RR:
  case AMI_HDLC_RNR:
    if (ack(h, f->control.nr) != AMI_OK) {
      set_event(h, ev, AMI_LINK_EV_ERROR, AMI_E_HDLC_SEQUENCE);
      rc = AMI_OK;
    }
    break;
  case AMI_HDLC_UI:
    rc = take_ui(h, f, ev);
    break;
  case AMI_HDLC_DM:
    return go_down(h, ev, AMI_E_CLOSED);
  case AMI_HDLC_FRMR:
    return go_down(h, ev, AMI_E_HDLC_CONTROL);
  default:
    return AMI_E_AGAIN;
  }
  if (turn) {
    /* F=1: the turn is ours again; the exchange succeeded. */
    h->have_turn = true;
    h->retries = 0;
    h->deadline = AMI_LINK_NO_EXPIRY;
    if (f->control.kind == AMI_HDLC_RNR) {
      /* The server is busy: poll again after the response timeout. */
      h->have_turn = false;
      arm_response_timer(h);
    } else {
      client_act(h);
    }
  }
  return rc;
}

/* SNRM at the server (IEC 62056-46 connection establishment): negotiate,
 * answer UA with the agreed limits, reset the sequence numbers. An SNRM
 * while connected restarts the connection (reported as DISCONNECTED, then
 * CONNECTED). */
static int server_snrm(ami_hdlc_link *h, const ami_hdlc_frame *f,
                       ami_link_event *ev) {
  ami_hdlc_params proposed, answer;
  int rc = ami_hdlc_params_decode(f->info, &proposed);
  if (rc == AMI_OK)
    rc = ami_hdlc_params_negotiate(&proposed, &h->cfg.limits, &answer);
  if (rc != AMI_OK) {
    if (f->control.pf)
      emit_ctl(h, AMI_HDLC_DM, true);
    set_event(h, ev, AMI_LINK_EV_ERROR, rc);
    return AMI_OK;
  }
  bool was_connected = h->state == HL_CONNECTED;
  h->client = f->src;
  h->tx_max_info = clamp_info(answer.max_info_tx);
  h->rx_max_info = clamp_info(answer.max_info_rx);
  h->tx_window = clamp_window(answer.window_tx);
  h->rx_window = clamp_window(answer.window_rx);
  reset_session(h);
  h->state = HL_CONNECTED;
  h->have_turn = false;
  if (h->cfg.inactivity_timeout_ms)
    h->deadline = h->now + h->cfg.inactivity_timeout_ms;
  uint8_t buf[32];
  ami_wr w;
  ami_wr_init(&w, buf, sizeof buf);
  (void)ami_hdlc_params_encode(&w, &answer);
  emit(h, AMI_HDLC_UA, 0, true, false, ami_span_make(buf, w.len));
  if (was_connected) {
    h->pending |= PEND_CONNECTED;
    set_event(h, ev, AMI_LINK_EV_DISCONNECTED, AMI_E_CLOSED);
  } else {
    set_event(h, ev, AMI_LINK_EV_CONNECTED, AMI_OK);
  }
  return AMI_OK;
}

/* A frame for the server. */
static int server_frame(ami_hdlc_link *h, const ami_hdlc_frame *f,
                        uint8_t ctl_byte, ami_link_event *ev) {
  ami_hdlc_kind k = f->control.kind;
  if (k == AMI_HDLC_SNRM)
    return server_snrm(h, f, ev);
  if (h->state != HL_CONNECTED) {
    /* IEC 62056-46: a disconnected secondary answers DM when polled. */
    if (h->cfg.client_address == 0)
      h->client = f->src;
    if (f->control.pf)
      emit_ctl(h, AMI_HDLC_DM, true);
    return AMI_E_AGAIN;
  }
  if (h->cfg.inactivity_timeout_ms)
    h->deadline = h->now + h->cfg.inactivity_timeout_ms;
  if (k == AMI_HDLC_DISC) {
    emit_ctl(h, AMI_HDLC_UA, true);
    return go_down(h, ev, AMI_OK);
  }
  if (f->control.pf)
    h->have_turn = true;
  int rc = AMI_E_AGAIN;
  bool answer = f->control.pf;
  switch (k) {
  case AMI_HDLC_I:
    rc = on_iframe(h, f, ctl_byte, ev, &answer);
    break;
  case AMI_HDLC_RR:
  case AMI_HDLC_RNR:
    if (ack(h, f->control.nr) != AMI_OK) {
      emit_frmr_nr(h, ctl_byte);
      h->have_turn = answer = false;
      set_event(h, ev, AMI_LINK_EV_ERROR, AMI_E_HDLC_SEQUENCE);
      rc = AMI_OK;
    }
    break;
  case AMI_HDLC_UI:
    rc = take_ui(h, f, ev);
    if (rc == AMI_OK && ev->kind == AMI_LINK_EV_APDU)
      answer = false; /* the application may answer within the poll */
    break;
  default:
    break; /* UA, DM, FRMR from a client: not meaningful; ignored */
  }
  if (answer)
    server_act(h);
  return rc;
}

/* True when a frame is addressed to us by our peer. A server configured
 * with client address 0 takes SNRM from any client, and then only frames
 * from that one. */
static bool addressed_to_us(const ami_hdlc_link *h, const ami_hdlc_frame *f) {
  const ami_hdlc_addr *server = &h->cfg.server_address;
  if (is_client(h))
    return ami_hdlc_addr_eq(&f->dst, &h->client) &&
           ami_hdlc_addr_eq(&f->src, server);
  if (!ami_hdlc_addr_eq(&f->dst, server) || f->src.size != 1)
    return false;
  if (h->cfg.client_address != 0 || h->state == HL_CONNECTED)
    return f->src.upper == h->client.upper;
  return true;
}

/* The control byte as sent, for FRMR. */
static uint8_t control_byte(const ami_hdlc_frame *f) {
  uint8_t b = 0;
  (void)ami_hdlc_control_encode(&f->control, &b);
  return b;
}

/* ---------------------------------------------------------------------- */
/* The ami_link interface                                                   */

static int hl_recv(ami_link *l, const uint8_t *p, size_t n, size_t *consumed,
                   uint64_t now_ms, ami_link_event *ev) {
  ami_hdlc_link *h = hl(l);
  h->now = now_ms;
  *consumed = 0;
  memset(ev, 0, sizeof *ev);
  if (take_pending(h, ev) == AMI_OK)
    return AMI_OK;
  size_t off = 0;
  for (;;) {
    size_t used = 0;
    ami_hdlc_frame f;
    int rc =
        ami_hdlc_deframer_feed(&h->df, p ? p + off : NULL, n - off, &used, &f);
    off += used;
    *consumed = off;
    if (rc == AMI_E_AGAIN)
      return AMI_E_AGAIN;
    if (rc != AMI_OK) {
      /* A bad frame: reported; the deframer has resynchronised. */
      set_event(h, ev, AMI_LINK_EV_ERROR, rc);
      return AMI_OK;
    }
    if (!addressed_to_us(h, &f)) {
      h->ignored++;
      continue;
    }
    rc = is_client(h) ? client_frame(h, &f, control_byte(&f), ev)
                      : server_frame(h, &f, control_byte(&f), ev);
    if (rc != AMI_E_AGAIN)
      return rc;
  }
}

static int hl_send_apdu(ami_link *l, ami_span apdu, uint64_t now_ms) {
  ami_hdlc_link *h = hl(l);
  h->now = now_ms;
  if (h->state != HL_CONNECTED)
    return AMI_E_STATE;
  if (apdu.len > h->cfg.max_apdu)
    return AMI_E_LIMIT;
  size_t need = REC_HDR + AMI_HDLC_LLC_LEN + apdu.len;
  if (need > h->txq.max - h->txq.len)
    return AMI_E_LIMIT;
  uint8_t hdr[REC_HDR + AMI_HDLC_LLC_LEN];
  ami_wr w;
  ami_wr_init(&w, hdr, sizeof hdr);
  ami_wr_u32be(&w, (uint32_t)(AMI_HDLC_LLC_LEN + apdu.len));
  (void)ami_hdlc_llc_write(&w, is_client(h) ? AMI_HDLC_LLC_COMMAND
                                            : AMI_HDLC_LLC_RESPONSE);
  size_t before = h->txq.len;
  int rc = ami_dynbuf_append(&h->txq, hdr, sizeof hdr);
  if (rc == AMI_OK)
    rc = ami_dynbuf_append(&h->txq, apdu.p, apdu.len);
  if (rc != AMI_OK) {
    h->txq.len = before;
    return rc;
  }
  if (is_client(h))
    client_act(h);
  else
    server_act(h);
  return AMI_OK;
}

static size_t hl_pull(ami_link *l, uint8_t *buf, size_t cap, uint64_t now_ms) {
  ami_hdlc_link *h = hl(l);
  h->now = now_ms;
  size_t out = 0;
  while (h->out_pos < h->out_len && out < cap) {
    if (h->out_pos == h->out_end) {
      /* At a frame boundary: the format field gives its length. */
      const uint8_t *q = h->out + h->out_pos;
      h->out_end = h->out_pos + (((size_t)(q[1] & 7) << 8) | q[2]) + 2;
    }
    size_t take = h->out_end - h->out_pos;
    if (take > cap - out) {
      if (out > 0)
        break;
      take = cap - out;
    }
    memcpy(buf + out, h->out + h->out_pos, take);
    out += take;
    h->out_pos += take;
  }
  if (h->out_pos == h->out_len)
    h->out_pos = h->out_len = h->out_end = 0;
  return out;
}

static bool hl_want_write(const ami_link *l) {
  const ami_hdlc_link *h = chl(l);
  return h->out_pos < h->out_len;
}

static uint64_t hl_expiry(const ami_link *l) {
  const ami_hdlc_link *h = chl(l);
  return h->pending ? 0 : h->deadline;
}

/* Timers: the client's response timer (IEC 62056-46: on no answer, poll
 * again with RR(P) -- or resend SNRM/DISC -- up to max_retries times), the
 * server's inactivity timer. */
static int hl_handle_expiry(ami_link *l, uint64_t now_ms, ami_link_event *ev) {
  ami_hdlc_link *h = hl(l);
  h->now = now_ms;
  memset(ev, 0, sizeof *ev);
  if (take_pending(h, ev) == AMI_OK)
    return AMI_OK;
  if (h->deadline == AMI_LINK_NO_EXPIRY || now_ms < h->deadline)
    return AMI_E_AGAIN;
  if (!is_client(h))
    return go_down(h, ev, AMI_E_TIMEOUT);
  if (++h->retries > h->cfg.max_retries)
    return go_down(h, ev, AMI_E_TIMEOUT);
  if (h->state == HL_CONNECTING)
    emit_snrm(h);
  else if (h->state == HL_DISCONNECTING)
    emit_ctl(h, AMI_HDLC_DISC, true);
  else
    emit_ctl(h, AMI_HDLC_RR, true);
  arm_response_timer(h);
  return AMI_E_AGAIN;
}

static int hl_connect(ami_link *l, uint64_t now_ms) {
  ami_hdlc_link *h = hl(l);
  h->now = now_ms;
  if (!is_client(h) || h->state != HL_DISCONNECTED)
    return AMI_E_STATE;
  reset_session(h);
  ami_hdlc_deframer_reset(&h->df);
  h->state = HL_CONNECTING;
  emit_snrm(h);
  h->have_turn = false;
  arm_response_timer(h);
  return AMI_OK;
}

static int hl_disconnect(ami_link *l, uint64_t now_ms) {
  ami_hdlc_link *h = hl(l);
  h->now = now_ms;
  if (h->state == HL_DISCONNECTED || h->state == HL_DISCONNECTING)
    return AMI_E_STATE;
  if (!is_client(h)) {
    /* A secondary cannot send unasked: it forgets the connection and
     * answers DM to the next poll. */
    h->state = HL_DISCONNECTED;
    h->deadline = AMI_LINK_NO_EXPIRY;
    reset_session(h);
    h->pending |= PEND_DISCONNECTED;
    h->pending_error = AMI_OK;
    return AMI_OK;
  }
  reset_session(h);
  h->state = HL_DISCONNECTING;
  emit_ctl(h, AMI_HDLC_DISC, true);
  h->have_turn = false;
  arm_response_timer(h);
  return AMI_OK;
}

static bool hl_is_connected(const ami_link *l) {
  return chl(l)->state == HL_CONNECTED;
}

static void hl_free(ami_link *l) {
  ami_hdlc_link *h = hl(l);
  ami_hdlc_reasm_free(&h->reasm);
  ami_dynbuf_free(&h->txq);
  h->nsent = 0;
  h->tx_pos = 0;
}

static const ami_link_vtbl hdlc_link_vtbl = {
    hl_recv,          hl_send_apdu, hl_pull,       hl_want_write,   hl_expiry,
    hl_handle_expiry, hl_connect,   hl_disconnect, hl_is_connected, hl_free};

/* Fills zero limits with the defaults and caps the rest. */
static void fix_limits(ami_hdlc_params *p) {
  if (p->max_info_tx == 0)
    p->max_info_tx = AMI_HDLC_DEFAULT_MAX_INFO;
  if (p->max_info_rx == 0)
    p->max_info_rx = AMI_HDLC_DEFAULT_MAX_INFO;
  if (p->window_tx == 0)
    p->window_tx = AMI_HDLC_DEFAULT_WINDOW;
  if (p->window_rx == 0)
    p->window_rx = AMI_HDLC_DEFAULT_WINDOW;
  p->max_info_tx = clamp_info(p->max_info_tx);
  p->max_info_rx = clamp_info(p->max_info_rx);
  p->window_tx = clamp_window(p->window_tx);
  p->window_rx = clamp_window(p->window_rx);
  p->present = AMI_HDLC_HAS_ALL;
}

ami_link *ami_hdlc_link_init(ami_hdlc_link *l,
                             const ami_hdlc_link_config *cfg) {
  memset(l, 0, sizeof *l);
  l->base.vt = &hdlc_link_vtbl;
  l->cfg = *cfg;
  fix_limits(&l->cfg.limits);
  if (l->cfg.response_timeout_ms == 0)
    l->cfg.response_timeout_ms = 3000;
  if (l->cfg.max_retries == 0)
    l->cfg.max_retries = 3;
  if (l->cfg.max_apdu == 0)
    l->cfg.max_apdu = 65535;
  if (l->cfg.send_queue_max == 0)
    l->cfg.send_queue_max = 2 * (l->cfg.max_apdu + 8);
  l->client = ami_hdlc_addr_client(l->cfg.client_address);
  l->state = HL_DISCONNECTED;
  l->deadline = AMI_LINK_NO_EXPIRY;
  l->tx_max_info = l->rx_max_info = AMI_HDLC_DEFAULT_MAX_INFO;
  l->tx_window = l->rx_window = AMI_HDLC_DEFAULT_WINDOW;
  ami_dynbuf_init(&l->txq, l->cfg.send_queue_max, l->cfg.alloc);
  ami_hdlc_reasm_init(&l->reasm, l->cfg.max_apdu + AMI_HDLC_LLC_LEN,
                      l->cfg.alloc);
  ami_hdlc_deframer_init(&l->df, l->cfg.limits.max_info_rx);
  return &l->base;
}
