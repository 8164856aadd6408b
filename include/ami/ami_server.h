/*
 * ami_server.h -- the DLMS/COSEM server session engine (a meter's side of
 * IEC 62056-5-3), sans-I/O, in the shape of nghttp2/ngtcp2.
 *
 * The engine sits between ONE link (ami_link.h: wrapper or HDLC framing) and
 * the application (ami_server_app.h: the COSEM object model). It owns the
 * protocol: the association (AARQ/AARE, RLRQ/RLRE, LLS, HLS-GMAC and
 * HLS-SHA256 passes 1-4),
 * xDLMS negotiation, ciphering with security suite 0 (ami_sec.h), invocation
 * counters, GET/SET/ACTION normal, with-list and block transfer, General-
 * Block-Transfer, DATA-NOTIFICATION pushes, and the exception responses.
 * The application only answers item by item.
 *
 * Behaviour worth knowing:
 *   - One association per link connection; an AARQ while associated is
 *     refused (rejected-permanent, no-reason-given) and the association
 *     stays; RLRQ or a link disconnect returns to idle.
 *   - Ciphered requests (glo-, ded-, general-glo-, general-ded-ciphering)
 *     are answered in the same form with the same security bits. A request
 *     that does not decipher gets ExceptionResponse deciphering-error; a
 *     replayed invocation counter gets invocation-counter-error.
 *   - GET, SET and ACTION need their conformance bits; long GET answers go
 *     out as GET-Response-With-Datablock (within the client's max PDU and
 *     cfg.max_send_apdu), or in GBT blocks when the request came in GBT.
 *   - Not supported (answered service-not-supported): SET-Request-With-
 *     List-And-First-Datablock, ACTION-Request-With-List-And-First-Pblock,
 *     ACTION-Request-Next-Pblock (so an ACTION whose return data exceeds
 *     the client's max PDU gets pdu-too-long), short-name referencing.
 *
 * Sans-I/O: bytes received from the transport go in with ami_server_recv,
 * bytes to transmit come out of ami_server_pull, time is an argument, and
 * timers are pulled (ami_server_expiry / ami_server_handle_expiry). No
 * function blocks, reads a clock, touches a socket or uses a global: any
 * number of engines may live in one process (one thread per engine at a
 * time).
 *
 * Ownership: the link is BORROWED (links are initialised in caller memory by
 * their own init functions): it must outlive the engine, and the caller
 * frees it after ami_server_free. The configuration arrays (association
 * configs, passwords), the crypto plugin, the application struct and the
 * callbacks struct are borrowed too and must outlive the engine. The engine
 * allocates its own state and its buffers through the injected allocator.
 */
#ifndef AMI_SERVER_H
#define AMI_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_alloc.h"
#include "ami/ami_buf.h"
#include "ami/ami_crypto.h"
#include "ami/ami_link.h"
#include "ami/ami_sec.h"
#include "ami/ami_server_app.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMI_SERVER_VERSION           1u
#define AMI_SERVER_CALLBACKS_VERSION 1u

/* Defaults used when a cfg field is 0. */
#define AMI_SERVER_DEFAULT_MAX_RESPONSE   65536u  /* app output hard max */
#define AMI_SERVER_DEFAULT_MAX_REASSEMBLY 65536u  /* SET/ACTION blocks */
#define AMI_SERVER_DEFAULT_VAA_NAME       0x0007u /* LN referencing */

/* One association the server accepts: what a client at `client_address`
 * may open (IEC 62056-5-3 §7.3 and the Association LN object). */
typedef struct ami_server_assoc_cfg {
  uint16_t client_address; /* the link peer address (client SAP / wPort) */
  uint8_t context;         /* AMI_ACSE_CTX_LN or AMI_ACSE_CTX_LN_CIPHERED */
  uint8_t mechanism;       /* AMI_ACSE_MECH_NONE, _LLS, _GMAC or _SHA256 */
  const uint8_t *password; /* LLS secret (borrowed), password_len bytes */
  size_t password_len;
  /* HLS-SHA256 secret (borrowed for the server's lifetime, like the array
   * itself), hls_secret_len bytes; mechanism SHA256 also needs the
   * server's `crypto` (sha256, random), in plain and ciphered contexts. */
  const uint8_t *hls_secret;
  size_t hls_secret_len;
  uint32_t conformance;     /* the conformance block offered (24 bits) */
  uint16_t max_receive_pdu; /* server-max-receive-pdu-size we state */
  /* Suite 0 keys (HLS-GMAC and/or ciphered context): copied when an
   * association opens. */
  bool has_keys;
  uint8_t ek[16];
  uint8_t ak[16];
  /* AMI_SEC_POLICY_REQUIRE_AUTH / _REQUIRE_ENC, for ciphered contexts:
   * when any bit is set, plain xDLMS requests (and a plain InitiateRequest)
   * are refused and every ciphered request must carry the A / E bits
   * demanded; 0 accepts plain requests in a ciphered context too. */
  uint8_t security_policy;
} ami_server_assoc_cfg;

typedef struct ami_server_cfg {
  uint32_t version;                   /* AMI_SERVER_VERSION */
  const ami_server_assoc_cfg *assocs; /* borrowed array */
  size_t assoc_count;
  uint8_t system_title[8];   /* the server's own system title */
  const ami_crypto *crypto;  /* borrowed; NULL when no association
                                uses LLS-free security */
  const ami_server_app *app; /* borrowed, required */
  ami_link *link;            /* borrowed, required */
  size_t max_response;       /* the largest Data the app may
                                produce for one GET; 0 = default */
  size_t max_send_apdu;      /* our own cap on one outgoing APDU
                                (before ciphering); 0 = the
                                client's negotiated max only */
  size_t max_reassembly;     /* SET/ACTION block reassembly cap */
  uint16_t vaa_name;         /* InitiateResponse vaa-name */
} ami_server_cfg;

typedef struct ami_server ami_server;

/* Log levels for the log hook. */
#define AMI_SERVER_LOG_ERROR 1
#define AMI_SERVER_LOG_INFO  2
#define AMI_SERVER_LOG_DEBUG 3

/* Events from the engine. Every member may be NULL. `user_data` is the
 * pointer given to ami_server_new / _init. */
typedef struct ami_server_callbacks {
  uint32_t version; /* AMI_SERVER_CALLBACKS_VERSION */
  /* An association was established (after HLS pass 4 for HLS). */
  void (*on_associated)(ami_server *s, const ami_server_assoc_info *info,
                        void *user_data);
  /* The association ended: RLRQ (`reason` = the RLRQ reason, or 0), link
   * disconnect (-1). */
  void (*on_released)(ami_server *s, uint16_t client_address, int reason,
                      void *user_data);
  /* Invocation counter persistence for the given client and key:
   * ic_load sets *tx_next / *rx_last (rx_last 0 with *rx_valid false when
   * nothing is stored) and returns AMI_OK, or an error (the association is
   * then refused); ic_store is called after each change. */
  int (*ic_load)(void *user_data, uint16_t client_address, ami_sec_key_kind key,
                 ami_sec_counter *counter);
  int (*ic_store)(void *user_data, uint16_t client_address,
                  ami_sec_key_kind key, const ami_sec_counter *counter);
  /* A request was refused or failed: `err` is the ami_err code. */
  void (*on_error)(ami_server *s, int err, void *user_data);
  /* Free text for logs (a static or short-lived string). */
  void (*log)(void *user_data, int level, const char *msg);
} ami_server_callbacks;

/* Create an engine (memory from `alloc`, NULL = default). `cfg` is copied
 * (its pointers are borrowed), `cb` is borrowed (may be NULL). AMI_E_INVAL
 * for a missing link/app or a bad version, AMI_E_NOMEM. */
int ami_server_new(ami_server **out, const ami_server_cfg *cfg,
                   const ami_server_callbacks *cb, void *user_data,
                   const ami_allocator *alloc);

/* Release the engine (not the link). Accepts NULL. */
void ami_server_free(ami_server *s);

/* Feed bytes received from the transport (borrowed for the call). All of
 * them are consumed; requests are answered into the link's send queue.
 * Returns AMI_OK, or a failure of the link or the allocator (AMI_E_NOMEM,
 * AMI_E_STATE): protocol errors of the peer are answered, not returned.
 * n == 0 is a no-op. */
int ami_server_recv(ami_server *s, const uint8_t *p, size_t n, uint64_t now_ms);

/* Copy bytes due for transmission into buf (capacity cap); returns their
 * number, 0 when nothing is due. */
size_t ami_server_pull(ami_server *s, uint8_t *buf, size_t cap,
                       uint64_t now_ms);

bool ami_server_want_write(const ami_server *s);
uint64_t ami_server_expiry(const ami_server *s);
int ami_server_handle_expiry(ami_server *s, uint64_t now_ms);

/* Push a DATA-NOTIFICATION (IEC 62056-5-3 §8) carrying `data` (one encoded
 * A-XDR Data, borrowed for the call) with the given long-invoke-id and no
 * date-time, to the client of the current association; general-glo-ciphered
 * (authenticated and encrypted) in a ciphered context. AMI_E_STATE when no
 * association is established, AMI_E_INVAL for empty or malformed data,
 * AMI_E_NOMEM. */
int ami_server_push(ami_server *s, ami_span data, uint32_t long_iip,
                    uint64_t now_ms);

/* Push a DATA-NOTIFICATION with no association open: the meter's side of
 * a connection it opened itself to a push destination (IEC 62056-6-2 Push
 * Setup, class 40). The association config of `client_address` (the
 * destination's client SAP, e.g. a pre-established push client) gives the
 * protection: general-glo-ciphered with its keys when its context is
 * ciphered, plain otherwise. The invocation counter continues across
 * pushes of this engine (and through ic_load / ic_store). AMI_E_STATE when
 * an association is open (use ami_server_push), AMI_E_NOT_FOUND for an
 * unknown client, AMI_E_NO_KEY, AMI_E_INVAL, AMI_E_NOMEM. */
int ami_server_push_unassociated(ami_server *s, uint16_t client_address,
                                 ami_span data, uint32_t long_iip,
                                 uint64_t now_ms);

/* True while an association is open (HLS: also while pass 3 is pending). */
bool ami_server_is_associated(const ami_server *s);

/* The current association's security context (NULL when none): tests and
 * the application may restore or inspect counters here. Borrowed. */
ami_sec_ctx *ami_server_sec(ami_server *s);

#ifdef __cplusplus
}
#endif
#endif /* AMI_SERVER_H */
