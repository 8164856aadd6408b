/*
 * ami_client.h -- the DLMS/COSEM client session engine (IEC 62056-5-3),
 * sans-I/O, above one ami_link (ami_link.h).
 *
 * A head-end or a field tool creates one engine per meter connection. The
 * engine never touches a socket or a clock (the nghttp2/ngtcp2 shape):
 *
 *   recv(bytes, now)      received bytes in (handed on to the link)
 *   pull(buf, cap, now)   bytes to transmit out (the link's frames)
 *   want_write()          pull() has bytes now
 *   expiry()              next deadline; handle_expiry(now) processes it
 *
 * Requests are queued calls that return a request id at once; the engine
 * sends them one after the other (DLMS allows one confirmed request in
 * flight per association) on the next pull(), and reports every outcome
 * through the callbacks. Events are reported only from inside recv(),
 * pull() and handle_expiry(), never from the queueing calls.
 *
 * Association state diagram:
 *
 *   IDLE --associate()--> CONNECTING --link connected--> AARQ sent
 *     AARQ sent --AARE accepted, mechanism != HLS--> ASSOCIATED
 *     AARQ sent --AARE accepted, HLS-GMAC/SHA256--> HLS pass 3 sent
 *     HLS pass 3 sent --f(CtoS) verifies--> ASSOCIATED
 *     (any of them) --rejection, bad f(CtoS), timeout--> IDLE
 *                                   (on_associated with the reason)
 *   ASSOCIATED --release(), after the queued requests--> RLRQ sent
 *     RLRQ sent --RLRE or timeout--> IDLE (on_released)
 *   The engine connects the link when it associates but never disconnects
 *   it: after on_released (or a failed association) the application calls
 *   ami_link_disconnect (HDLC: DISC) or associates again.
 *
 * Per request: queued -> in flight (deadline = now + timeout) -> for block
 * transfer, in flight again per block -> on_response once. A peer that stops
 * answering (mid-block too) makes the request fail with AMI_E_TIMEOUT; the
 * partial blocks are dropped and the next request goes out.
 *
 * Memory: ami_client_new allocates the engine, its buffers (three of
 * about max_pdu_size bytes), and one block per queued request (a copy of the
 * request's encoding), all through the injected allocator. Joined blocks grow
 * a buffer bounded by cfg.max_response; with GBT in use, so do the request
 * as sent (ciphered), the joined response and its deciphered form (a
 * request larger than max_response fails with AMI_E_LIMIT).
 *
 * Security (suite 0 or 2 per cfg, through ami_sec.h and the injected crypto
 * plugin): with the LN-with-ciphering context every xDLMS APDU is ciphered
 * (cfg.cipher_form and cfg.security) and every response must be ciphered
 * (only an EXCEPTION-Response may come in clear), carry at least the
 * protection of cfg.security, and be newer than the last one seen (replay);
 * APDUs failing that are dropped and reported through on_error (the request
 * stays in flight until it is answered or times out).
 *
 * General-Block-Transfer (IEC 62056-5-3 §9.3.10, cfg.gbt): when the AARE's
 * negotiated conformance has AMI_CONFORMANCE_GENERAL_BLOCK_TRANSFER, every
 * request goes out in GBT blocks (ciphered first when the context says
 * so; one block when it fits the server's max PDU, so that the server
 * answers in GBT as well), and the response's blocks are acknowledged
 * (window cfg.gbt_window; streamed blocks are acknowledged when a block
 * with the streaming bit clear ends the window), joined (bounded by
 * cfg.max_response) and then processed as one response APDU, ciphered or
 * not. Block numbers and acknowledgements are checked; a lost or
 * out-of-order block fails the request with AMI_E_BLOCK_NUMBER (no
 * recovery of lost blocks), a duplicate of the last block is ignored.
 *
 * Not implemented: recovery of lost GBT blocks, SN referencing, SET-with-list
 * and ACTION-with-list, general-ciphering and general-signing. An ACTION answer
 * in pblocks (ACTION-Response-With-Pblock) is joined and delivered as the
 * return parameters, assumed to be one Data (unverified against another
 * implementation).
 *
 * Threads: one engine is used by one thread at a time; engines share nothing
 * (no globals), so any number may run in one process.
 */
#ifndef AMI_CLIENT_H
#define AMI_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_alloc.h"
#include "ami/ami_apdu.h"
#include "ami/ami_buf.h"
#include "ami/ami_crypto.h"
#include "ami/ami_link.h"
#include "ami/ami_sec.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMI_CLIENT_CALLBACKS_VERSION 1u
#define AMI_CLIENT_NO_EXPIRY         UINT64_MAX
/* Most attributes in one GET-with-list (and results in one response). */
#define AMI_CLIENT_MAX_LIST 32u
/* Longest LLS password. */
#define AMI_CLIENT_PASSWORD_MAX 64u
/* Longest HLS-SHA256 secret. */
#define AMI_CLIENT_HLS_SECRET_MAX 64u

typedef struct ami_client ami_client;

/* Configuration, copied by ami_client_new (the pointers are borrowed only
 * during that call, except `crypto`, which must outlive the engine). A
 * zeroed field takes the default given in its comment. */
typedef struct ami_client_cfg {
  /* AMI_ACSE_CTX_LN (default) or AMI_ACSE_CTX_LN_CIPHERED. */
  uint8_t context;
  /* AMI_ACSE_MECH_NONE (default), _LLS, _GMAC or _SHA256. */
  uint8_t mechanism;
  /* LLS password (mechanism LLS). */
  const uint8_t *password;
  size_t password_len;
  /* HLS secret (mechanism SHA256, 1..AMI_CLIENT_HLS_SECRET_MAX bytes),
   * borrowed during ami_client_new and copied. Mechanism SHA256 also
   * needs `crypto` (sha256, random) and `system_title`, in plain and
   * ciphered contexts alike. */
  const uint8_t *hls_secret;
  size_t hls_secret_len;
  /* Proposed conformance block (default 0x001E1D: GET, SET, ACTION,
   * selective access, block transfer with GET/SET/ACTION, multiple
   * references). Sent as given. */
  uint32_t conformance;
  /* client-max-receive-pdu-size proposed (default 0xFFFF). Incoming APDUs
   * longer than this are refused (AMI_E_PDU_TOO_LARGE). */
  uint16_t max_pdu_size;
  /* Invoke-id (0..15) of every request; with rotate_invoke_id it advances
   * after each request (so a late answer to a timed-out request is told
   * apart). Default 1, not rotating. */
  uint8_t invoke_id;
  bool rotate_invoke_id;
  /* Service class priority bit: false = high (default, as most clients),
   * true = normal. */
  bool normal_priority;
  /* Time allowed for each answer (AARE, each response or block), ms;
   * default 10000. */
  uint32_t timeout_ms;
  /* Bound on a joined block-transfer response, bytes; default 1 MiB. */
  size_t max_response;
  /* Requests that may wait in the queue; default 8. */
  unsigned queue_max;

  /* Security (context LN_CIPHERED and/or mechanism GMAC). */
  const ami_crypto *crypto; /* borrows; must outlive the engine */
  uint8_t suite;            /* 0 (default) or 2 */
  const uint8_t *ek;        /* global unicast encryption key */
  size_t ek_len;
  const uint8_t *ak; /* authentication key */
  size_t ak_len;
  uint8_t system_title[AMI_SEC_TITLE_LEN]; /* our (client) system title */
  /* A dedicated key in the InitiateRequest (ciphering context only); the
   * ded- forms below cipher with it. random_dedicated_key draws a fresh
   * one (16 bytes, 32 for suite 2) from the plugin's CSPRNG at every
   * association: use that. A fixed dedicated_key is for tests and
   * reproductions: its invocation counter lives only as long as the
   * engine, so a fixed key reused by another engine repeats GCM nonces. */
  bool random_dedicated_key;
  const uint8_t *dedicated_key;
  size_t dedicated_key_len;
  /* Protection of requests: AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC (default
   * both). Responses must carry at least the same. The AK may be left out
   * only when this is AMI_SEC_SC_ENC alone and the mechanism is not GMAC. */
  uint8_t security;
  /* Accept a received security suite id that differs from `suite` when its
   * cipher is the same (ids 0 and 1): meters such as the Kaifa MA309 push
   * with suite id 1 (see AMI_SEC_POLICY_LAX_SUITE). Off by default. */
  bool lax_suite;
  /* Envelope of ciphered GET/SET/ACTION requests: AMI_SEC_FORM_GLO (default),
   * _DED, _GENERAL_GLO or _GENERAL_DED. The InitiateRequest in the AARQ/RLRQ
   * and the HLS pass-3 ACTION always use service-specific glo-ciphering. */
  ami_sec_form cipher_form;
  /* HLS: length of the client-to-server challenge (default 16). */
  uint8_t challenge_len;
  /* Invocation counter values to leave unused once HLS pass 4 verified
   * (default 0). The Gurux client leaves one; set 1 to reproduce its
   * ciphertexts exactly. Any increasing IC is valid. */
  uint8_t ic_skip_after_hls;

  /* General-Block-Transfer: propose its conformance bit (added to
   * `conformance`) and, when the server grants it, send every request and
   * receive every response in GBT blocks (see above). Off by default. */
  bool gbt;
  /* The GBT window we advertise in our blocks (1..63, default 1): how many
   * blocks the server may stream before waiting for our acknowledgement. */
  uint8_t gbt_window;
} ami_client_cfg;

/* What on_associated reports. Spans are valid during the callback. */
typedef struct ami_client_assoc_info {
  int result;            /* AMI_ACSE_RESULT_*, or -1 when no AARE came */
  uint8_t diag_source;   /* AMI_ACSE_DIAG_USER / _PROVIDER (0 if none) */
  int32_t diagnostic;    /* AMI_ACSE_DIAG_* */
  uint32_t conformance;  /* negotiated (InitiateResponse), 0 if none */
  uint16_t max_pdu_size; /* server-max-receive-pdu-size */
  uint16_t vaa_name;
  uint8_t dlms_version;
  ami_span server_title; /* responding-AP-title, empty if none */
  /* A ConfirmedServiceError in the AARE's user-information. */
  bool has_cse;
  ami_apdu_cse cse;
} ami_client_assoc_info;

typedef enum ami_client_op {
  AMI_CLIENT_OP_GET = 1,
  AMI_CLIENT_OP_GET_LIST,
  AMI_CLIENT_OP_SET,
  AMI_CLIENT_OP_ACTION
} ami_client_op;

/* One result: `dar` is the Data-Access-Result (GET, SET) or Action-Result
 * (ACTION), 0 = success; `data` one encoded A-XDR Data (GET value, ACTION
 * return parameters), empty when there is none -- also when a server
 * answers a GET with the data-access-result "success" instead of data. */
typedef struct ami_client_result {
  uint8_t dar;
  ami_span data;
} ami_client_result;

/* What on_response reports. Everything borrows the engine and is valid
 * only during the callback (copy what you keep). */
typedef struct ami_client_response {
  uint32_t id; /* the request id the queueing call returned */
  ami_client_op op;
  /* AMI_OK when the server answered (see results / exception), else why
   * no answer is available: AMI_E_TIMEOUT, AMI_E_CLOSED (link lost),
   * AMI_E_STATE (association failed or released first), AMI_E_LIMIT
   * (blocks beyond max_response), AMI_E_BLOCK_NUMBER, AMI_E_PDU_TOO_LARGE,
   * a decoding error of the response, ... */
  int error;
  size_t count; /* results (1, or the list length for GET_LIST) */
  const ami_client_result *results;
  /* The server answered with an EXCEPTION-Response (count is then 0). */
  bool exception;
  uint8_t state_error, service_error;
} ami_client_response;

/* An unsolicited DataNotification or EventNotificationRequest (deciphered
 * when it came ciphered). Spans valid during the callback. */
typedef struct ami_client_push {
  uint8_t tag; /* AMI_APDU_DATA_NOTIFICATION or _EVENT_NOTIFICATION_REQUEST */
  uint32_t long_iip;  /* DataNotification */
  ami_span date_time; /* octets (may be empty) */
  ami_apdu_desc attr; /* EventNotification: the attribute */
  ami_span body;      /* one encoded Data */
} ami_client_push;

/* Log levels for the log hook. */
#define AMI_CLIENT_LOG_DEBUG 0
#define AMI_CLIENT_LOG_INFO  1
#define AMI_CLIENT_LOG_WARN  2

/* Callbacks; every one may be NULL. `user_data` is the pointer given to
 * ami_client_new. Callbacks may queue new requests (ami_client_get, ...)
 * and call ami_client_release, but must not free the engine. */
typedef struct ami_client_callbacks {
  uint32_t version; /* AMI_CLIENT_CALLBACKS_VERSION */
  /* The association attempt ended: result AMI_OK when associated, else
   * why not (AMI_E_STATE: AARE rejected, see info->result/diagnostic;
   * AMI_E_AUTH_FAILED: the server's f(CtoS) did not verify or HLS pass 3
   * was refused; AMI_E_TIMEOUT; AMI_E_CLOSED; a decoding error). */
  void (*on_associated)(ami_client *c, int result,
                        const ami_client_assoc_info *info, void *user_data);
  void (*on_response)(ami_client *c, const ami_client_response *r,
                      void *user_data);
  void (*on_push)(ami_client *c, const ami_client_push *p, void *user_data);
  /* The association ended: AMI_OK after an RLRE (or an RLRE the engine
   * could not parse, which still ends it), AMI_E_TIMEOUT, AMI_E_CLOSED. */
  void (*on_released)(ami_client *c, int result, void *user_data);
  /* Something went wrong outside any request: an APDU dropped because it
   * failed deciphering, authentication or the replay check, a malformed
   * unsolicited APDU, a link error. `what` is a static string. */
  void (*on_error)(ami_client *c, int err, const char *what, void *user_data);
  /* Invocation counter persistence (ciphering). ic_load is called when an
   * association starts: return AMI_OK with *next_ic = the next IC to use,
   * or AMI_E_NOT_FOUND to start at 0 (any other error fails the
   * association). ic_store is called after each ciphered APDU sent with
   * the next IC to use; store it before the next one goes out. */
  int (*ic_load)(ami_client *c, uint32_t *next_ic, void *user_data);
  void (*ic_store)(ami_client *c, uint32_t next_ic, void *user_data);
  void (*log)(ami_client *c, int level, const char *msg, void *user_data);
} ami_client_callbacks;

/* Create an engine. `cfg` and `cb` are copied; `link` is BORROWED: the
 * caller creates it (e.g. a wrapper or HDLC link, role client), must keep
 * it alive until ami_client_free, and frees it afterwards; the engine is its
 * only user meanwhile. `alloc` (NULL = default) must outlive the engine.
 * Returns AMI_OK with an owned engine in *out, AMI_E_INVAL (bad cfg: unknown
 * context/mechanism, HLS or ciphering without crypto/keys/title, bad key
 * lengths), AMI_E_NOMEM, or the crypto plugin's errors. */
int ami_client_new(ami_client **out, const ami_client_cfg *cfg,
                   const ami_client_callbacks *cb, void *user_data,
                   ami_link *link, const ami_allocator *alloc);

/* Release the engine (takes ownership) and everything it owns; pending
 * requests are dropped silently. Accepts NULL. Does not free the link. */
void ami_client_free(ami_client *c);

/* Start associating: link connect, AARQ, (HLS pass 3). Returns AMI_OK or
 * AMI_E_STATE when not idle. The outcome comes through on_associated. */
int ami_client_associate(ami_client *c);

/* Release the association with RLRQ once the queued requests are done.
 * AMI_E_STATE when not associated (or associating). */
int ami_client_release(ami_client *c);

/* True between a successful on_associated and the release. */
bool ami_client_is_associated(const ami_client *c);

/* The negotiated parameters (valid once associated). */
uint32_t ami_client_conformance(const ami_client *c);
uint16_t ami_client_server_max_pdu(const ami_client *c);

/* Queue a GET of attribute desc (borrowed) with optional selective access
 * `sel` (NULL or !present = none; params borrowed, copied). *id receives
 * the request id. AMI_E_STATE when no association is under way,
 * AMI_E_LIMIT when the queue is full, AMI_E_NOMEM, AMI_E_INVAL. */
int ami_client_get(ami_client *c, const ami_apdu_desc *desc,
                   const ami_apdu_selection *sel, uint32_t *id);

/* Queue a GET-with-list of n attributes (1..AMI_CLIENT_MAX_LIST). */
int ami_client_get_list(ami_client *c, const ami_apdu_attr_sel *items, size_t n,
                        uint32_t *id);

/* Queue a SET of attribute desc to `value` (one encoded Data, borrowed,
 * copied). Sent with datablocks when it exceeds the server's max PDU. */
int ami_client_set(ami_client *c, const ami_apdu_desc *desc,
                   const ami_apdu_selection *sel, ami_span value, uint32_t *id);

/* Queue an ACTION of method desc with `params` (one encoded Data; empty
 * span = no parameters). Sent with pblocks when too large. */
int ami_client_action(ami_client *c, const ami_apdu_desc *desc, ami_span params,
                      uint32_t *id);

/* Feed received bytes (borrowed for the call). Returns AMI_OK when all were
 * consumed, or a failure of the link itself (AMI_E_NOMEM...). Protocol
 * problems are reported through the callbacks, not here. */
int ami_client_recv(ami_client *c, const uint8_t *p, size_t n, uint64_t now_ms);

/* Bytes to transmit into buf (capacity cap): sends the next queued APDU
 * when the engine may, then returns what the link has. 0 = nothing now. */
size_t ami_client_pull(ami_client *c, uint8_t *buf, size_t cap,
                       uint64_t now_ms);

/* True when pull() would return bytes now. */
bool ami_client_want_write(const ami_client *c);

/* The next deadline (ms), or AMI_CLIENT_NO_EXPIRY. */
uint64_t ami_client_expiry(const ami_client *c);

/* Process timers due at now_ms (link timers, answer timeouts). */
int ami_client_handle_expiry(ami_client *c, uint64_t now_ms);

#ifdef __cplusplus
}
#endif
#endif /* AMI_CLIENT_H */
