/*
 * ami_server_internal.h -- the server engine's private state, shared by
 * ami_server.c (lifecycle, link, ACSE, ciphering, exceptions) and
 * ami_server_xdlms.c (GET/SET/ACTION and block transfer). Not installed.
 */
#ifndef AMI_SERVER_INTERNAL_H
#define AMI_SERVER_INTERNAL_H

#include "ami/ami_apdu.h"
#include "ami/ami_server.h"

/* Association state (IEC 62056-5-3 §7.3: ASSOCIATION-IDLE,
 * -ASSOCIATED, with the HLS pass-3 wait as its own state). */
enum { AMI__SRV_IDLE = 0, AMI__SRV_HLS_PENDING, AMI__SRV_ASSOCIATED };

/* A growable buffer owned by the engine (memory from its allocator). */
typedef struct ami__srv_buf {
  uint8_t *p;
  size_t cap;
} ami__srv_buf;

#define AMI__SRV_CHALLENGE_LEN 16u

/* Conformance block bits (IEC 62056-5-3 §8, bit n = 1 << (23 - n)). */
#define AMI__CONF_GET    (1u << 4)
#define AMI__CONF_SET    (1u << 3)
#define AMI__CONF_ACTION (1u << 0)
#define AMI__CONF_GBT    (1u << 21)
#define AMI__SRV_SEL_MAX 128u

struct ami_server {
  ami_server_cfg cfg;
  const ami_server_callbacks *cb; /* borrowed, may be NULL */
  void *user_data;
  const ami_allocator *alloc;

  /* Association. */
  int state;
  const ami_server_assoc_cfg *ac; /* the config in force, borrowed */
  uint16_t client_address;
  uint16_t own_address;
  uint32_t conformance;    /* negotiated */
  uint16_t client_max_pdu; /* client-max-receive-pdu-size (0 = none) */
  bool sec_ready;
  ami_sec_ctx sec;
  uint8_t stoc[AMI__SRV_CHALLENGE_LEN];
  uint8_t ctos[AMI_SEC_CHALLENGE_MAX];
  size_t ctos_len;
  uint8_t peer_title[AMI_SEC_TITLE_LEN]; /* calling-AP-title (HLS-SHA256) */

  /* The request being answered: ciphered or not, and how. */
  bool req_ciphered;
  ami_sec_form req_form;
  uint8_t req_security;
  uint64_t now_ms;

  /* Buffers. */
  ami__srv_buf plain; /* deciphered request */
  ami__srv_buf data;  /* one item produced by the application */
  ami__srv_buf list;  /* with-list results / long GET payload */
  ami__srv_buf out;   /* the encoded plaintext response */
  ami__srv_buf enc;   /* the ciphered response */

  /* Long GET (GET-Response-With-Datablock) in progress. */
  bool blk_active;
  uint8_t blk_iip;
  uint32_t blk_num; /* the number of the last block sent */
  size_t blk_off;   /* where the payload starts in `list` */
  size_t blk_len;   /* payload bytes in `list` */
  size_t blk_pos;   /* bytes already sent */
  /* Streamed from the application's get_part (descriptor and selection
   * kept in rs_desc / rs_sel*, which a long GET and a SET reassembly never
   * use at the same time): more Data follows the blk_len bytes held. */
  bool blk_stream;
  bool blk_done;
  bool blk_action; /* the long payload is an ACTION's return (pblocks) */
  ami_server_app_cursor blk_cursor;

  /* SET / ACTION block reassembly in progress (0 = none, else the tag). */
  uint8_t rs_tag;
  uint8_t rs_iip;
  uint32_t rs_num; /* the last block number received */
  ami_apdu_desc rs_desc;
  bool rs_sel_present;
  uint8_t rs_selector;
  uint8_t rs_sel[AMI__SRV_SEL_MAX];
  size_t rs_sel_len;
  ami_dynbuf rs;

  /* General-Block-Transfer (ami_server_gbt.c). */
  bool req_gbt;        /* the request being answered came in GBT */
  ami_dynbuf gbt_rx;   /* the client's blocks being reassembled */
  uint16_t gbt_rx_bn;  /* the last block number received */
  uint16_t gbt_tx_bn;  /* the last block number sent */
  ami__srv_buf gbt_tx; /* the response being sent in blocks */
  size_t gbt_tx_len, gbt_tx_pos;
  bool gbt_tx_active;
  /* The last block sent, for a client that reports it lost (it
   * acknowledges the block before it): resent with its own number. */
  size_t gbt_tx_last_pos, gbt_tx_last_len;
  bool gbt_tx_last_final, gbt_tx_resendable;
  uint8_t gbt_tx_resends; /* consecutive resends of that block */
};

/* Grow `b` to at least `need` bytes; AMI_E_NOMEM. */
int ami__srv_reserve(ami_server *s, ami__srv_buf *b, size_t need);

/* Fill the association description handed to the application. */
void ami__srv_info(const ami_server *s, ami_server_assoc_info *info);

/* The largest plaintext APDU we may send now (client max PDU, our own cap,
 * less the ciphering overhead when the request was ciphered). */
size_t ami__srv_send_limit(const ami_server *s);

/* Send the plaintext response `apdu` (ciphered like the request when it
 * was). Returns AMI_OK or a fatal error (AMI_E_NOMEM); other failures are
 * reported through on_error and swallowed. */
int ami__srv_send(ami_server *s, ami_span apdu);

/* Encode and send `apdu`. */
int ami__srv_send_apdu(ami_server *s, const ami_apdu *apdu);

/* Send an ExceptionResponse (IEC 62056-5-3 §8: state-error, service-error). */
int ami__srv_exception(ami_server *s, uint8_t state_error,
                       uint8_t service_error, uint32_t ic);

/* Report an error through the callbacks. */
void ami__srv_error(ami_server *s, int err, const char *msg);

/* Answer a decoded GET / SET / ACTION request (ami_server_xdlms.c). */
int ami__srv_get(ami_server *s, const ami_apdu_get_request *rq);
int ami__srv_set(ami_server *s, const ami_apdu_set_request *rq);
int ami__srv_action(ami_server *s, const ami_apdu_action_request *rq);

/* One xDLMS APDU (not ACSE); via_gbt when it was carried by GBT. */
int ami__srv_xdlms(ami_server *s, ami_span in, bool via_gbt);

/* General-Block-Transfer (ami_server_gbt.c): a received GBT APDU, and the
 * start of sending `apdu` (final, ciphered if need be) in GBT blocks. */
int ami__srv_gbt_recv(ami_server *s, const ami_apdu_gbt *g);
int ami__srv_gbt_start(ami_server *s, ami_span apdu);

/* Drop any block transfer state (new association, release). */
void ami__srv_blocks_reset(ami_server *s);

/* HLS pass 3 (ami_server.c): the ACTION reply_to_HLS_authentication. */
int ami__srv_hls_reply(ami_server *s, const ami_apdu_action_request *rq);

#endif /* AMI_SERVER_INTERNAL_H */
