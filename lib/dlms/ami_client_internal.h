/*
 * ami_client_internal.h -- the client engine's private state, shared by
 * ami_client.c (queue, I/O, xDLMS services) and ami_client_assoc.c (ACSE:
 * AARQ/AARE, HLS-GMAC passes 3 and 4, RLRQ/RLRE).
 */
#ifndef AMI_CLIENT_INTERNAL_H
#define AMI_CLIENT_INTERNAL_H

#include "ami/ami_acse.h"
#include "ami/ami_client.h"

/* Association phases (see the diagram in ami_client.h). */
typedef enum ami__client_phase {
  AMI__CL_IDLE = 0,
  AMI__CL_CONNECTING, /* link connect issued, waiting for EV_CONNECTED */
  AMI__CL_AARQ,       /* connected: the AARQ goes out on the next pump */
  AMI__CL_AARE_WAIT,  /* AARQ sent */
  AMI__CL_HLS_WAIT,   /* HLS pass 3 sent, waiting for f(CtoS) */
  AMI__CL_ASSOCIATED, /* requests flow */
  AMI__CL_RLRE_WAIT   /* RLRQ sent */
} ami__client_phase;

/* One queued request: its plain APDU encoded at queueing time (owned), with
 * the invoke-id-and-priority octet at offset 2 patched when it is sent. */
typedef struct ami__client_req {
  uint32_t id;
  ami_client_op op;
  uint8_t *apdu; /* owned */
  size_t len;
  /* SET/ACTION: where the value / parameters start in apdu (they run to
   * its end), for block transfer; desc and sel (params borrowing apdu). */
  size_t tail;
  ami_apdu_desc desc;
  ami_apdu_selection sel;
  bool has_params;
  size_t nitems; /* GET_LIST */
} ami__client_req;

struct ami_client {
  ami_client_cfg cfg; /* copied; pointer members cleared after use */
  ami_client_callbacks cb;
  void *user_data;
  ami_link *link; /* borrowed */
  const ami_allocator *alloc;
  uint8_t password[AMI_CLIENT_PASSWORD_MAX];
  size_t password_len;
  uint8_t hls_secret[AMI_CLIENT_HLS_SECRET_MAX]; /* mechanism SHA256 */
  size_t hls_secret_len;
  uint8_t ded_key[AMI_SEC_KEY_MAX]; /* sent in the InitiateRequest */
  size_t ded_len;                   /* 0 = no dedicated key */
  bool ciphered;                    /* context LN_CIPHERED */
  bool use_sec; /* ciphered or HLS-GMAC: the security context is set up */
  ami_sec_ctx sec;

  ami__client_phase phase;
  bool release_wanted;
  bool connect_issued; /* CONNECTING: ami_link_connect was called */
  uint64_t deadline;   /* AMI_CLIENT_NO_EXPIRY when nothing is awaited */
  uint8_t invoke_id;

  /* Buffers of buf_cap bytes (owned): plain requests, ciphered requests,
   * deciphered responses. */
  size_t buf_cap;
  uint8_t *txp, *txc, *rxp;

  /* Negotiated (AARE). */
  ami_client_assoc_info info;
  uint8_t server_title[AMI_SEC_TITLE_LEN];
  uint8_t ctos[AMI_SEC_CHALLENGE_MAX];
  size_t ctos_len;
  uint8_t stoc[AMI_SEC_CHALLENGE_MAX]; /* kept for HLS-SHA256 pass 4 */
  size_t stoc_len;

  /* Queue: a ring of queue_max requests (owned array). */
  ami__client_req *queue;
  unsigned qhead, qcount;
  uint32_t next_id;

  /* The request in flight. */
  bool busy;
  ami__client_req cur;
  uint32_t block_next; /* GET: the block number expected next */
  ami_dynbuf join;     /* GET/ACTION: joined blocks */
  size_t tx_off;       /* SET/ACTION blocks: bytes of the tail sent */
  uint32_t tx_block;   /* SET/ACTION blocks: the last block number sent */
  bool tx_blocks;      /* SET/ACTION sent with blocks */
  ami_client_result results[AMI_CLIENT_MAX_LIST];

  /* General-Block-Transfer of the request in flight (IEC 62056-5-3
   * §9.3.10): the whole request as sent (ciphered when it is), the part
   * sent so far, the last block number sent and the server's last block
   * received in order; the server's blocks joined, and the joined
   * response deciphered (both bounded by cfg.max_response). */
  bool gbt_on; /* negotiated and configured: requests go in GBT */
  ami_dynbuf gbt_tx;
  size_t gbt_tx_pos;
  uint16_t gbt_tx_bn, gbt_rx_bn;
  ami_dynbuf gbt_rx, gbt_plain;
};

/* ami_client.c */
void ami__client_log(ami_client *c, int level, const char *msg);
void ami__client_error(ami_client *c, int err, const char *what);
/* Cipher (when the context says so) and hand one xDLMS APDU to the link. */
int ami__client_send_xdlms(ami_client *c, ami_span plain, ami_sec_form form,
                           uint64_t now_ms);
/* Report the next unicast IC through ic_store. */
void ami__client_store_ic(ami_client *c);
/* Fail every queued and in-flight request with `err`. */
void ami__client_fail_all(ami_client *c, int err);
/* Decipher `in` (a ciphered xDLMS APDU) into rxp; *plain spans the result. */
int ami__client_decipher(ami_client *c, ami_span in, ami_span *plain);
/* Called when an association attempt ends. */
void ami__client_assoc_done(ami_client *c, int result);

/* ami_client_assoc.c */
int ami__client_send_aarq(ami_client *c, uint64_t now_ms);
void ami__client_on_aare(ami_client *c, ami_span apdu, uint64_t now_ms);
/* The decoded plain ACTION-Response to HLS pass 3. */
void ami__client_on_hls_reply(ami_client *c, const ami_apdu *apdu);
int ami__client_send_rlrq(ami_client *c, uint64_t now_ms);
void ami__client_on_rlre(ami_client *c, ami_span apdu);

#endif /* AMI_CLIENT_INTERNAL_H */
