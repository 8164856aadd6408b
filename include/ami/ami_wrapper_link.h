/*
 * ami_wrapper_link.h -- the wrapper link: ami_link over the IEC 62056-47
 * transport wrapper on a TCP byte stream, sans-I/O.
 *
 * There is no link-level connection: the link is connected at once (a client
 * after ami_link_connect(), a server from init) and reports
 * AMI_LINK_EV_CONNECTED once, from its next recv or handle_expiry call. Each
 * received wrapper PDU addressed to us becomes one AMI_LINK_EV_APDU. A
 * wrapper error (bad version, over-long APDU) cannot be resynchronised on a
 * byte stream, so it is fatal: AMI_LINK_EV_ERROR, then
 * AMI_LINK_EV_DISCONNECTED, and every later byte is ignored. Outgoing APDUs
 * are encoded at once into a bounded send queue which pull() drains, whole
 * PDUs at a time. There are no timers.
 *
 * Memory: the deframer's reassembly buffer and the send queue, both through
 * the injected allocator and both with a hard maximum.
 */
#ifndef AMI_WRAPPER_LINK_H
#define AMI_WRAPPER_LINK_H

#include "ami/ami_link.h"
#include "ami/ami_wrapper.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ami_wrapper_link_config {
  ami_link_role role;
  uint16_t own_wport; /* client: its SAP; server: its logical device */
  /* Client: the server's logical device wPort (required). Server: the only
   * client wPort accepted, or 0 to accept any (the wPort of the last PDU
   * received is where answers go, and is reported in every event). */
  uint16_t peer_wport;
  size_t max_apdu;            /* both directions; 0 = 65535 */
  size_t send_queue_max;      /* bytes of queued PDUs; 0 = 2 * (max_apdu + 8) */
  const ami_allocator *alloc; /* NULL = default; must outlive the link */
} ami_wrapper_link_config;

/* Opaque to callers; allocated by them (e.g. on the stack or in a pool). */
typedef struct ami_wrapper_link {
  ami_link base; /* first: &l->base is the ami_link */
  ami_wrapper_link_config cfg;
  ami_wrapper_deframer df;
  ami_dynbuf txq;  /* owned: encoded PDUs not yet pulled */
  size_t tx_pos;   /* txq[0..tx_pos) was pulled already */
  size_t tx_end;   /* end of the PDU being pulled */
  uint16_t peer;   /* the peer wPort answers go to (0: none known yet) */
  uint8_t state;   /* private */
  uint8_t pending; /* private: events waiting to be reported */
  int error;       /* private: the error behind a pending disconnect */
  /* Statistics: PDUs addressed to someone else, dropped. */
  unsigned long ignored;
} ami_wrapper_link;

/* Initialises `l` with a copy of `cfg` (cfg is borrowed for the call; its
 * allocator must outlive the link). Cannot fail; allocates nothing yet.
 * Returns the link interface, which points into `l`. */
ami_link *ami_wrapper_link_init(ami_wrapper_link *l,
                                const ami_wrapper_link_config *cfg);

#ifdef __cplusplus
}
#endif
#endif /* AMI_WRAPPER_LINK_H */
