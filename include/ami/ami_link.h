/*
 * ami_link.h -- the seam between DLMS session engines and the framing below
 * them: a link carries whole APDUs between one client and one server.
 *
 * Two implementations: the wrapper link (IEC 62056-47, TCP/UDP: connected at
 * once, one wrapper PDU per APDU) and the HDLC link (IEC 62056-46: SNRM/UA,
 * I-frames with N(S)/N(R), windows, segmentation with RR polling, DISC/DM,
 * retransmission on timeout). Session engines (ami_client.h, ami_server.h)
 * use only this interface, so every engine runs over every link.
 *
 * Sans-I/O: received bytes go in through recv(), bytes to transmit come out
 * of pull(), time is an argument in milliseconds of any monotonic clock, and
 * timers are pulled: expiry() says when handle_expiry() must next be called.
 * No function here blocks, reads a clock or touches a socket.
 *
 * Lifecycle: a link is created by its implementation's init (e.g.
 * ami_hdlc_link_init) inside memory the caller owns, used through the
 * functions below, and released with ami_link_free. A link is used by one
 * thread at a time.
 */
#ifndef AMI_LINK_H
#define AMI_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_buf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMI_LINK_NO_EXPIRY UINT64_MAX

typedef enum ami_link_role {
  AMI_LINK_CLIENT = 1, /* initiates: SNRM, polls */
  AMI_LINK_SERVER = 2  /* answers */
} ami_link_role;

typedef enum ami_link_event_kind {
  AMI_LINK_EV_NONE = 0,
  AMI_LINK_EV_CONNECTED,    /* client: UA received; server: SNRM answered */
  AMI_LINK_EV_APDU,         /* a whole APDU arrived: see `apdu` */
  AMI_LINK_EV_DISCONNECTED, /* DISC/DM exchanged, or the peer gave up */
  AMI_LINK_EV_ERROR         /* a frame was dropped: see `error`; the link
                               goes on unless it also disconnects */
} ami_link_event_kind;

typedef struct ami_link_event {
  ami_link_event_kind kind;
  ami_span apdu; /* EV_APDU: borrows the link; valid until its next call */
  int error;     /* EV_ERROR: the ami_err code */
  /* The addresses the unit came with: the peer's (client SAP / wPort or
   * HDLC client address) and ours (server logical device / wPort). */
  uint16_t peer_address;
  uint16_t own_address;
} ami_link_event;

typedef struct ami_link ami_link;

typedef struct ami_link_vtbl {
  /* Feed received bytes (borrowed for the call). Consumes *consumed bytes
   * and returns AMI_OK with one event in *ev, or AMI_E_AGAIN when all bytes
   * were consumed with nothing to report. Call again with the rest until
   * AMI_E_AGAIN. Bad frames are reported as AMI_LINK_EV_ERROR events, not
   * as return codes; a return code other than AMI_OK/AMI_E_AGAIN is a
   * failure of the link itself (AMI_E_NOMEM, AMI_E_STATE). */
  int (*recv)(ami_link *l, const uint8_t *p, size_t n, size_t *consumed,
              uint64_t now_ms, ami_link_event *ev);
  /* Queue one whole APDU for sending (copied; the caller's buffer is free
   * on return). AMI_E_STATE when not connected, AMI_E_LIMIT when it exceeds
   * the link's configured maximum APDU or its send queue is full. */
  int (*send_apdu)(ami_link *l, ami_span apdu, uint64_t now_ms);
  /* Copy bytes due for transmission into buf (capacity cap); returns their
   * number, 0 when there is nothing to send now. A frame is never split
   * across calls unless cap is smaller than one frame. */
  size_t (*pull)(ami_link *l, uint8_t *buf, size_t cap, uint64_t now_ms);
  /* True when pull() would return bytes now. */
  bool (*want_write)(const ami_link *l);
  /* The next deadline (ms), or AMI_LINK_NO_EXPIRY. */
  uint64_t (*expiry)(const ami_link *l);
  /* Process timers due at now_ms (retransmission, inactivity). May yield
   * one event like recv(); AMI_E_AGAIN when nothing to report. */
  int (*handle_expiry)(ami_link *l, uint64_t now_ms, ami_link_event *ev);
  /* Client: start connecting (HDLC: queue SNRM; wrapper: connected at
   * once, reported by the next recv/handle_expiry as EV_CONNECTED).
   * Server: AMI_E_STATE. */
  int (*connect)(ami_link *l, uint64_t now_ms);
  /* Start an orderly disconnect (HDLC: DISC; wrapper: immediate). */
  int (*disconnect)(ami_link *l, uint64_t now_ms);
  /* True between EV_CONNECTED and EV_DISCONNECTED. */
  bool (*is_connected)(const ami_link *l);
  /* Release everything the link owns. Accepts a link already freed. */
  void (*free)(ami_link *l);
} ami_link_vtbl;

/* Every implementation's struct begins with this. */
struct ami_link {
  const ami_link_vtbl *vt;
};

static inline int ami_link_recv(ami_link *l, const uint8_t *p, size_t n,
                                size_t *consumed, uint64_t now_ms,
                                ami_link_event *ev) {
  return l->vt->recv(l, p, n, consumed, now_ms, ev);
}
static inline int ami_link_send_apdu(ami_link *l, ami_span apdu,
                                     uint64_t now_ms) {
  return l->vt->send_apdu(l, apdu, now_ms);
}
static inline size_t ami_link_pull(ami_link *l, uint8_t *buf, size_t cap,
                                   uint64_t now_ms) {
  return l->vt->pull(l, buf, cap, now_ms);
}
static inline bool ami_link_want_write(const ami_link *l) {
  return l->vt->want_write(l);
}
static inline uint64_t ami_link_expiry(const ami_link *l) {
  return l->vt->expiry(l);
}
static inline int ami_link_handle_expiry(ami_link *l, uint64_t now_ms,
                                         ami_link_event *ev) {
  return l->vt->handle_expiry(l, now_ms, ev);
}
static inline int ami_link_connect(ami_link *l, uint64_t now_ms) {
  return l->vt->connect(l, now_ms);
}
static inline int ami_link_disconnect(ami_link *l, uint64_t now_ms) {
  return l->vt->disconnect(l, now_ms);
}
static inline bool ami_link_is_connected(const ami_link *l) {
  return l->vt->is_connected(l);
}
static inline void ami_link_free(ami_link *l) {
  if (l && l->vt)
    l->vt->free(l);
}

#ifdef __cplusplus
}
#endif
#endif /* AMI_LINK_H */
