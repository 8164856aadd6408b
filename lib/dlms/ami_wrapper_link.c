/*
 * ami_wrapper_link.c -- ami_link over the IEC 62056-47 wrapper (TCP): a thin
 * state machine around the streaming wrapper deframer and a bounded send
 * queue. See ami_wrapper_link.h for the behaviour.
 *
 *   init (server) / connect (client)
 *        |
 *        v          disconnect(), or a wrapper error (EV_ERROR first)
 *   CONNECTED ---------------------------------------------> CLOSED
 *   (EV_CONNECTED pending)                      (EV_DISCONNECTED pending)
 */
#include "ami/ami_wrapper_link.h"

#include <string.h>

enum { WL_IDLE, WL_CONNECTED, WL_CLOSED };
enum { PEND_CONNECTED = 1, PEND_DISCONNECTED = 2 };

static ami_wrapper_link *wl(ami_link *l) {
  return (ami_wrapper_link *)(void *)l;
}
static const ami_wrapper_link *cwl(const ami_link *l) {
  return (const ami_wrapper_link *)(const void *)l;
}

static void fill_event(const ami_wrapper_link *w, ami_link_event *ev,
                       ami_link_event_kind kind) {
  memset(ev, 0, sizeof *ev);
  ev->kind = kind;
  ev->peer_address = w->peer;
  ev->own_address = w->cfg.own_wport;
}

/* Reports one pending event (connected before disconnected, so that a link
 * that is opened and closed before anyone asked reports both). */
static int take_pending(ami_wrapper_link *w, ami_link_event *ev) {
  if (w->pending & PEND_CONNECTED) {
    w->pending &= (uint8_t)~PEND_CONNECTED;
    fill_event(w, ev, AMI_LINK_EV_CONNECTED);
    return AMI_OK;
  }
  if (w->pending & PEND_DISCONNECTED) {
    w->pending &= (uint8_t)~PEND_DISCONNECTED;
    fill_event(w, ev, AMI_LINK_EV_DISCONNECTED);
    ev->error = w->error;
    return AMI_OK;
  }
  return AMI_E_AGAIN;
}

/* Moves to CLOSED with EV_DISCONNECTED pending; drops unsent data. */
static void close_link(ami_wrapper_link *w, int error) {
  if (w->state == WL_CLOSED)
    return;
  /* A connection nobody was told about is not reported as closed either. */
  if (w->pending & PEND_CONNECTED)
    w->pending &= (uint8_t)~PEND_CONNECTED;
  else if (w->state == WL_CONNECTED)
    w->pending |= PEND_DISCONNECTED;
  w->state = WL_CLOSED;
  w->error = error;
  ami_dynbuf_reset(&w->txq);
  w->tx_pos = w->tx_end = 0;
}

/* True when a PDU with these wPorts is for us (IEC 62056-47: the source is
 * the peer's wPort, the destination ours). */
static bool addressed_to_us(const ami_wrapper_link *w,
                            const ami_wrapper_pdu *p) {
  if (p->dst_wport != w->cfg.own_wport)
    return false;
  return w->cfg.peer_wport == 0 || p->src_wport == w->cfg.peer_wport;
}

static int wl_recv(ami_link *l, const uint8_t *p, size_t n, size_t *consumed,
                   uint64_t now_ms, ami_link_event *ev) {
  ami_wrapper_link *w = wl(l);
  (void)now_ms;
  *consumed = 0;
  if (take_pending(w, ev) == AMI_OK)
    return AMI_OK;
  if (w->state != WL_CONNECTED) {
    *consumed = n; /* nobody listens: bytes after a close are dropped */
    return AMI_E_AGAIN;
  }
  size_t off = 0;
  for (;;) {
    size_t used = 0;
    ami_wrapper_pdu pdu;
    int rc = ami_wrapper_deframer_feed(&w->df, p ? p + off : NULL, n - off,
                                       &used, &pdu);
    off += used;
    *consumed = off;
    if (rc == AMI_E_AGAIN)
      return AMI_E_AGAIN;
    if (rc == AMI_E_NOMEM)
      return rc; /* a failure of the link itself, not of the peer */
    if (rc != AMI_OK) {
      /* IEC 62056-47 has no resynchronisation on a stream: fatal. */
      fill_event(w, ev, AMI_LINK_EV_ERROR);
      ev->error = rc;
      close_link(w, rc);
      *consumed = n;
      return AMI_OK;
    }
    if (!addressed_to_us(w, &pdu)) {
      w->ignored++;
      continue;
    }
    w->peer = pdu.src_wport;
    fill_event(w, ev, AMI_LINK_EV_APDU);
    ev->apdu = pdu.apdu;
    return AMI_OK;
  }
}

static int wl_send_apdu(ami_link *l, ami_span apdu, uint64_t now_ms) {
  ami_wrapper_link *w = wl(l);
  (void)now_ms;
  if (w->state != WL_CONNECTED || w->peer == 0)
    return AMI_E_STATE;
  if (apdu.len > w->cfg.max_apdu)
    return AMI_E_LIMIT;
  size_t need = AMI_WRAPPER_HEADER_LEN + apdu.len;
  /* Reclaim the part already pulled before judging the room left. */
  if (w->tx_pos > 0) {
    memmove(w->txq.p, w->txq.p + w->tx_pos, w->txq.len - w->tx_pos);
    w->txq.len -= w->tx_pos;
    w->tx_end -= w->tx_pos;
    w->tx_pos = 0;
  }
  if (need > w->txq.max - w->txq.len)
    return AMI_E_LIMIT;
  uint8_t hdr[AMI_WRAPPER_HEADER_LEN];
  ami_wr wr;
  /* IEC 62056-47: version, source (ours), destination (the peer), length;
   * the header is written here and the APDU appended after it, so that the
   * APDU is copied once, straight into the queue. */
  ami_wr_init(&wr, hdr, sizeof hdr);
  ami_wr_u16be(&wr, AMI_WRAPPER_VERSION);
  ami_wr_u16be(&wr, w->cfg.own_wport);
  ami_wr_u16be(&wr, w->peer);
  ami_wr_u16be(&wr, (uint16_t)apdu.len);
  size_t before = w->txq.len;
  int rc = ami_dynbuf_append(&w->txq, hdr, sizeof hdr);
  if (rc == AMI_OK)
    rc = ami_dynbuf_append(&w->txq, apdu.p, apdu.len);
  if (rc != AMI_OK)
    w->txq.len = before; /* all or nothing */
  return rc;
}

/* Length of the whole PDU starting at q (its header is always complete in
 * the queue, which only holds PDUs we encoded). */
static size_t pdu_size(const uint8_t *q) {
  return AMI_WRAPPER_HEADER_LEN + (size_t)((q[6] << 8) | q[7]);
}

static size_t wl_pull(ami_link *l, uint8_t *buf, size_t cap, uint64_t now_ms) {
  ami_wrapper_link *w = wl(l);
  (void)now_ms;
  size_t out = 0;
  while (w->tx_pos < w->txq.len && out < cap) {
    if (w->tx_pos == w->tx_end) /* at a PDU boundary: find its end */
      w->tx_end = w->tx_pos + pdu_size(w->txq.p + w->tx_pos);
    size_t take = w->tx_end - w->tx_pos;
    /* Whole PDUs only, unless the first one does not fit the caller's
     * buffer at all: then as much of it as fits. */
    if (take > cap - out) {
      if (out > 0)
        break;
      take = cap - out;
    }
    memcpy(buf + out, w->txq.p + w->tx_pos, take);
    out += take;
    w->tx_pos += take;
  }
  if (w->tx_pos == w->txq.len) {
    ami_dynbuf_reset(&w->txq);
    w->tx_pos = w->tx_end = 0;
  }
  return out;
}

static bool wl_want_write(const ami_link *l) {
  const ami_wrapper_link *w = cwl(l);
  return w->tx_pos < w->txq.len;
}

static uint64_t wl_expiry(const ami_link *l) {
  /* A pending event is reported by handle_expiry: due at once. */
  return cwl(l)->pending ? 0 : AMI_LINK_NO_EXPIRY;
}

static int wl_handle_expiry(ami_link *l, uint64_t now_ms, ami_link_event *ev) {
  (void)now_ms;
  return take_pending(wl(l), ev);
}

static int wl_connect(ami_link *l, uint64_t now_ms) {
  ami_wrapper_link *w = wl(l);
  (void)now_ms;
  if (w->cfg.role != AMI_LINK_CLIENT || w->state == WL_CONNECTED)
    return AMI_E_STATE;
  ami_wrapper_deframer_reset(&w->df);
  w->peer = w->cfg.peer_wport;
  w->state = WL_CONNECTED;
  w->pending = PEND_CONNECTED;
  w->error = AMI_OK;
  return AMI_OK;
}

static int wl_disconnect(ami_link *l, uint64_t now_ms) {
  ami_wrapper_link *w = wl(l);
  (void)now_ms;
  if (w->state != WL_CONNECTED)
    return AMI_E_STATE;
  close_link(w, AMI_OK);
  return AMI_OK;
}

static bool wl_is_connected(const ami_link *l) {
  return cwl(l)->state == WL_CONNECTED;
}

static void wl_free(ami_link *l) {
  ami_wrapper_link *w = wl(l);
  ami_wrapper_deframer_free(&w->df);
  ami_dynbuf_free(&w->txq);
  w->tx_pos = 0;
}

static const ami_link_vtbl wrapper_link_vtbl = {
    wl_recv,          wl_send_apdu, wl_pull,       wl_want_write,   wl_expiry,
    wl_handle_expiry, wl_connect,   wl_disconnect, wl_is_connected, wl_free};

ami_link *ami_wrapper_link_init(ami_wrapper_link *l,
                                const ami_wrapper_link_config *cfg) {
  memset(l, 0, sizeof *l);
  l->base.vt = &wrapper_link_vtbl;
  l->cfg = *cfg;
  if (l->cfg.max_apdu == 0 || l->cfg.max_apdu > AMI_WRAPPER_MAX_APDU)
    l->cfg.max_apdu = AMI_WRAPPER_MAX_APDU;
  if (l->cfg.send_queue_max == 0)
    l->cfg.send_queue_max = 2 * (l->cfg.max_apdu + AMI_WRAPPER_HEADER_LEN);
  ami_wrapper_deframer_init(&l->df, l->cfg.max_apdu, l->cfg.alloc);
  ami_dynbuf_init(&l->txq, l->cfg.send_queue_max, l->cfg.alloc);
  l->state = WL_IDLE;
  if (l->cfg.role == AMI_LINK_SERVER) {
    l->state = WL_CONNECTED;
    l->pending = PEND_CONNECTED;
    l->peer = l->cfg.peer_wport;
  }
  return &l->base;
}
