/*
 * ami_hdlc_link.h -- the HDLC link: ami_link over the DLMS/COSEM HDLC data
 * link layer (IEC 62056-46, normal response mode, frame format type 3),
 * sans-I/O.
 *
 * The client is the primary station: it alone may send without being asked.
 * Every window of frames it sends ends with the poll bit P=1, which hands the
 * right to send to the server; the server answers with frames of which the
 * last has the final bit F=1, which hands it back.
 *
 *   client                                  server
 *   SNRM(P) [its limits] ----------------->  negotiates, resets N(S)/N(R)
 *          <--------------------------------  UA(F) [agreed limits]
 *   I(N(S),N(R)) ... I(P)  --------------->  a window; RR(F) at the end of a
 *          <--------------------------------  window when more segments follow
 *          <--------------------------------  I ... I(F): the answer, one
 *   RR(N(R), P) ---------------------------> window at a time; the client
 *          <--------------------------------  polls with RR(P) for the next
 *   DISC(P) ------------------------------->
 *          <--------------------------------  UA(F), or DM(F) if not connected
 *
 * Recovery (client): when no frame with F=1 arrives within the response
 * timeout, the client polls with RR(N(R), P=1). The server answers as if
 * polled: it retransmits its unacknowledged I frames from the client's
 * N(R), or sends RR(F) with its own N(R), from which the client retransmits
 * any of its I frames the server has not got (go-back-N, ISO/IEC 13239
 * checkpointing). After `max_retries` polls without answer the link reports
 * AMI_LINK_EV_DISCONNECTED with error AMI_E_TIMEOUT. A frame received out of
 * sequence is dropped (AMI_LINK_EV_ERROR, AMI_E_HDLC_SEQUENCE) and, at the
 * end of the window, answered with the last acknowledgement, which makes the
 * peer go back.
 *
 * Sending: send_apdu copies the APDU, with its LLC header, into the send
 * queue. A client sends at once when it holds the turn, else after the
 * current exchange. A server sends only when polled: normally at once,
 * because the request's last frame (P=1) leaves it the turn until it
 * answers; otherwise at the client's next poll. (If the application takes
 * longer than the client's response timeout, the client's re-poll is
 * answered with RR and the answer waits for the client's next frame: the
 * session engine above must then ask again.)
 *
 * Events: `peer_address` is the other station's address (upper part for a
 * server) and `own_address` ours. AMI_LINK_EV_DISCONNECTED carries in
 * `error` why: AMI_OK (orderly DISC/UA, or a local disconnect), AMI_E_CLOSED
 * (the server answered DM; or, at a server, an SNRM arrived while connected:
 * DISCONNECTED is then followed by CONNECTED),
 * AMI_E_TIMEOUT (retries exhausted, or the server's inactivity timeout),
 * AMI_E_HDLC_CONTROL (FRMR received). Frames with bad HCS/FCS/format are
 * AMI_LINK_EV_ERROR events and the link goes on. Frames addressed to another
 * station are ignored silently and counted in `ignored`.
 *
 * Memory: the frame buffers live in the struct (about 19 KiB); the send
 * queue and the reassembly buffer come from the injected allocator, each
 * with a hard maximum.
 */
#ifndef AMI_HDLC_LINK_H
#define AMI_HDLC_LINK_H

#include "ami/ami_hdlc.h"
#include "ami/ami_link.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMI_HDLC_LINK_MAX_WINDOW 7 /* modulo-8 sequence numbers */
/* Room for one window of the largest frames plus a control frame. */
#define AMI_HDLC_LINK_OUT_MAX                                                  \
  ((AMI_HDLC_LINK_MAX_WINDOW + 1) * (AMI_HDLC_MAX_LEN + 2))

typedef struct ami_hdlc_link_config {
  ami_link_role role;
  /* The client's one-byte address (e.g. AMI_HDLC_CLIENT_PUBLIC). A server
   * given 0 accepts any client and answers the one whose SNRM it accepted. */
  uint16_t client_address;
  /* The server's address: upper = logical device, lower = physical device,
   * size 1, 2 or 4 (see ami_hdlc_addr_server). */
  ami_hdlc_addr server_address;
  /* Our own limits (max information field tx/rx, window tx/rx). Zero fields
   * take the defaults (128, 128, 1, 1); windows are capped at 7 and
   * information fields at AMI_HDLC_MAX_INFO. */
  ami_hdlc_params limits;
  /* Client: state our limits in the SNRM (else an SNRM without information
   * field, which means the defaults). */
  bool propose_limits;
  /* Send information fields of at most this many bytes even when more was
   * agreed (0 = the agreed maximum). Some servers (Gurux) keep three bytes
   * spare; the replay tests use it to reproduce them frame for frame. */
  uint32_t segment_max;
  uint32_t response_timeout_ms;   /* client; 0 = 3000 */
  unsigned max_retries;           /* client; 0 = 3 */
  uint32_t inactivity_timeout_ms; /* server; 0 = none */
  size_t max_apdu; /* reassembly cap, and the largest APDU sent; 0 = 65535 */
  size_t send_queue_max; /* bytes of queued APDUs; 0 = 2 * (max_apdu + 8) */
  const ami_allocator *alloc; /* NULL = default; must outlive the link */
} ami_hdlc_link_config;

/* One I frame sent and not yet acknowledged: where its information field
 * lies in the message being sent. */
typedef struct ami_hdlc_link_sent {
  uint32_t off;
  uint16_t len;
  uint8_t ns;
  bool more; /* its S bit */
} ami_hdlc_link_sent;

/* Opaque to callers (fields are private); allocated by them. */
typedef struct ami_hdlc_link {
  ami_link base; /* first: &l->base is the ami_link */
  ami_hdlc_link_config cfg;
  ami_hdlc_addr client; /* the client address in use */
  int state;
  uint8_t vs, vr; /* send and receive state variables, modulo 8 */
  bool have_turn; /* we may send (client: primary between polls;
                     server: a P=1 frame not yet answered) */
  bool rx_more;   /* the peer's last I frame had S=1 */
  bool seq_error; /* answer the next turn with our N(R) */
  uint32_t tx_max_info, rx_max_info, tx_window, rx_window; /* agreed */
  unsigned retries;
  uint64_t deadline; /* AMI_LINK_NO_EXPIRY when no timer runs */
  uint8_t pending;   /* events waiting to be reported */
  int pending_error;
  /* The send queue: records of [u32 length][LLC + APDU], the first being
   * sent; tx_pos = how much of it has been sent at least once. */
  ami_dynbuf txq;
  size_t tx_pos;
  ami_hdlc_link_sent sent[AMI_HDLC_LINK_MAX_WINDOW];
  unsigned nsent;
  ami_hdlc_reasm reasm;
  ami_hdlc_deframer df;
  uint64_t now;            /* the time of the call being served */
  size_t out_len, out_pos; /* frames encoded, not yet pulled */
  size_t out_end;          /* end of the frame being pulled */
  uint8_t out[AMI_HDLC_LINK_OUT_MAX];
  /* Statistics. */
  unsigned long ignored;     /* frames for another address */
  unsigned long out_dropped; /* frames not queued: out[] was full */
  unsigned long retransmits; /* I frames sent again */
} ami_hdlc_link;

/* Initialises `l` with a copy of `cfg` (borrowed for the call). Cannot fail;
 * allocates nothing yet. A server is ready for an SNRM at once; a client
 * starts with ami_link_connect. Returns the link interface (inside `l`). */
ami_link *ami_hdlc_link_init(ami_hdlc_link *l, const ami_hdlc_link_config *cfg);

#ifdef __cplusplus
}
#endif
#endif /* AMI_HDLC_LINK_H */
