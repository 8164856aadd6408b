/*
 * ami_server_app.h -- what a DLMS server engine asks of the application
 * behind it (normally the COSEM object model, lib/cosem; in tests, a double).
 *
 * The engine owns the protocol: links, associations (AARQ/AARE, LLS, HLS
 * passes 1-4 including the ACTION reply_to_HLS_authentication, which it
 * answers itself), ciphering, invocation counters, block transfer and GBT,
 * with-list splitting. The application owns the objects: for each GET, SET
 * and ACTION item the engine calls one of the functions below with the
 * association it arrived on, and the application checks access rights and
 * produces the value.
 *
 * Results: the C return value is an ami_err code for failures of the call
 * itself (AMI_E_BUFFER_FULL: `out` was too small -- the engine may retry
 * with a larger buffer up to its configured maximum, then answers with
 * block transfer; any other error: the engine answers other-reason and
 * reports the error). Protocol outcomes are data: *dar / *result receive a
 * Data-Access-Result / Action-Result (0 = success; e.g. 3 read-write-denied,
 * 4 object-undefined, 11 object-unavailable, 12 type-unmatched,
 * 13 scope-of-access-violated), as IEC 62056-5-3 defines them.
 */
#ifndef AMI_SERVER_APP_H
#define AMI_SERVER_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "ami/ami_apdu.h"
#include "ami/ami_buf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMI_SERVER_APP_VERSION 2u

/* Opaque per-request state of get_part (bytes, zeroed before the first
 * call, never interpreted by the engine; 8-byte aligned). */
#define AMI_SERVER_APP_CURSOR_MAX 32u
typedef union ami_server_app_cursor {
  uint8_t bytes[AMI_SERVER_APP_CURSOR_MAX];
  uint64_t align_;
} ami_server_app_cursor;

/* The association a request arrived on, as established by the engine. */
typedef struct ami_server_assoc_info {
  uint16_t client_address; /* client SAP (HDLC client address / wPort) */
  uint16_t logical_device; /* server logical device (HDLC upper / wPort) */
  uint8_t mechanism;       /* 0 none, 1 LLS, 5 HLS-GMAC, 6 HLS-SHA256, ... */
  bool authenticated;      /* LLS password accepted / HLS pass 4 done */
  bool ciphered;           /* application context with ciphering */
  uint8_t security_policy; /* Security Setup policy bits in force */
  uint64_t now_ms;         /* the time the request was processed */
} ami_server_assoc_info;

typedef struct ami_server_app {
  uint32_t version; /* AMI_SERVER_APP_VERSION */
  void *user_data;  /* passed to every function; owned by the application */

  /* GET one attribute (with optional selective access): append its
   * A-XDR-encoded Data to `out`, or set *dar. */
  int (*get)(void *user_data, const ami_server_assoc_info *assoc,
             const ami_apdu_desc *attr, const ami_apdu_selection *sel,
             ami_wr *out, uint8_t *dar);

  /* SET one attribute to the A-XDR Data `value` (borrowed for the call). */
  int (*set)(void *user_data, const ami_server_assoc_info *assoc,
             const ami_apdu_desc *attr, const ami_apdu_selection *sel,
             ami_span value, uint8_t *dar);

  /* ACTION: invoke a method with the A-XDR Data `params` (empty span when
   * the request had none). A method that returns data appends it to `ret`
   * and sets *has_return. */
  int (*action)(void *user_data, const ami_server_assoc_info *assoc,
                const ami_apdu_desc *method, ami_span params, ami_wr *ret,
                bool *has_return, uint8_t *result);

  /* Version 2, optional (NULL: the engine calls get and buffers the whole
   * value): GET one attribute IN PIECES, so a long value (a load profile
   * of 100,000 rows) streams out in GET-Response-With-Datablock blocks
   * without the whole encoding ever being held. The first call has a
   * zeroed *cursor; it checks access as get does (*dar) and writes the
   * start of the Data to `out`. Returns AMI_OK when the value is complete,
   * AMI_E_AGAIN when more follows (call again with the same attr and sel
   * -- equal values, not the same memory -- the same cursor and a fresh
   * `out`; the concatenation of the outputs is the Data), AMI_E_BUFFER_FULL
   * when `out` cannot hold the next indivisible piece (the engine retries
   * larger, up to its max_response), AMI_E_STATE when the value changed
   * underneath so it cannot be continued (the engine aborts the long GET
   * with long-get-aborted). */
  int (*get_part)(void *user_data, const ami_server_assoc_info *assoc,
                  const ami_apdu_desc *attr, const ami_apdu_selection *sel,
                  ami_server_app_cursor *cursor, ami_wr *out, uint8_t *dar);
} ami_server_app;

#ifdef __cplusplus
}
#endif
#endif /* AMI_SERVER_APP_H */
