/*
 * ami_err.h -- the one list of OpenAMI error codes.
 *
 * Every error any OpenAMI function can return is listed once, below, in
 * AMI_ERR_MAP. The enum, ami_err_name() and ami_strerror() are all generated
 * from it, so they cannot drift apart (the libuv UV_ERRNO_MAP pattern).
 *
 * Conventions:
 *   - 0 (AMI_OK) is success; every error is negative.
 *   - Ranges per layer: -1..-99 general/API, -100.. encoding (A-XDR, BER),
 *     -200.. framing (HDLC, wrapper), -300.. DLMS/APDU, -400.. security,
 *     -500.. storage, -600.. I/O.
 *   - A function propagates a lower layer's code unchanged: an out-of-memory
 *     deep inside a decoder reaches the caller as AMI_E_NOMEM, never as
 *     something more specific-looking.
 *   - Protocol outcomes (a DLMS data-access-result such as read-write-denied,
 *     an AARE rejection) are data in the decoded response, not C errors.
 *   - AMI_E_AGAIN is not a failure: a streaming parser needs more input.
 */
#ifndef AMI_ERR_H
#define AMI_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(NAME, value, "message") */
#define AMI_ERR_MAP(X)                                                         \
  X(OK, 0, "success")                                                          \
  /* general / API */                                                          \
  X(AGAIN, -1, "more input is needed")                                         \
  X(NOMEM, -2, "out of memory")                                                \
  X(INVAL, -3, "invalid argument")                                             \
  X(BUFFER_FULL, -4, "output buffer too small")                                \
  X(LIMIT, -5, "a configured size limit was exceeded")                         \
  X(RANGE, -6, "value out of range")                                           \
  X(NOT_FOUND, -7, "not found")                                                \
  X(UNSUPPORTED, -8, "not supported")                                          \
  X(STATE, -9, "operation not allowed in the current state")                   \
  X(SYNTAX, -10, "malformed text input")                                       \
  X(TIMEOUT, -11, "timed out")                                                 \
  /* encoding: A-XDR and BER */                                                \
  X(TRUNCATED, -100, "input ends inside an encoded element")                   \
  X(BAD_TAG, -101, "unknown or unexpected tag")                                \
  X(BAD_LENGTH, -102, "invalid or oversized length field")                     \
  X(DEPTH, -103, "nesting deeper than the decoder's limit")                    \
  X(INCONSISTENT, -104, "fields contradict each other")                        \
  X(BAD_VALUE, -105, "value not allowed for its type")                         \
  X(TRAILING, -106, "unexpected bytes after a complete element")               \
  X(BER_INDEFINITE, -107, "BER indefinite length is not allowed")              \
  /* framing: HDLC (IEC 62056-46) and wrapper (IEC 62056-47) */                \
  X(HDLC_FCS, -200, "HDLC frame check sequence mismatch")                      \
  X(HDLC_HCS, -201, "HDLC header check sequence mismatch")                     \
  X(HDLC_FORMAT, -202, "HDLC frame format field invalid")                      \
  X(HDLC_ADDRESS, -203, "HDLC address field invalid")                          \
  X(HDLC_CONTROL, -204, "HDLC control field invalid")                          \
  X(HDLC_FLAG, -205, "HDLC closing flag missing")                              \
  X(HDLC_TOO_LONG, -206, "HDLC frame longer than the negotiated maximum")      \
  X(HDLC_PARAM, -207, "HDLC negotiation parameters malformed")                 \
  X(HDLC_LLC, -208, "HDLC LLC header missing or invalid")                      \
  X(HDLC_SEQUENCE, -209, "HDLC send or receive sequence number out of order")  \
  X(WRAPPER_VERSION, -210, "wrapper header version is not 1")                  \
  X(WRAPPER_TOO_LONG, -211, "wrapper APDU longer than the configured maximum") \
  X(REASSEMBLY, -212, "segment or block sequence broken")                      \
  /* DLMS / APDU */                                                            \
  X(APDU_TAG, -300, "unknown APDU tag")                                        \
  X(APDU_CHOICE, -301, "unknown APDU choice or request type")                  \
  X(APDU_MALFORMED, -302, "APDU structure malformed")                          \
  X(ACSE_CONTEXT, -303, "unknown application context name")                    \
  X(ACSE_MECHANISM, -304, "unknown authentication mechanism name")             \
  X(BLOCK_NUMBER, -305, "block number out of sequence")                        \
  X(PDU_TOO_LARGE, -306, "APDU larger than the negotiated maximum PDU size")   \
  /* security */                                                               \
  X(AUTH_FAILED, -400, "authentication tag does not verify")                   \
  X(REPLAY, -401, "invocation counter not greater than the last one seen")     \
  X(SECURITY_CONTROL, -402, "security control byte not acceptable")            \
  X(NO_KEY, -403, "required key or system title not available")                \
  X(CRYPTO, -404, "cryptographic backend failure")                             \
  X(KEY_UNWRAP, -405, "wrapped key failed its integrity check")                \
  X(RANDOM, -406, "operating system random source failed")                     \
  X(IC_EXHAUSTED, -407, "invocation counter exhausted; renew the key")         \
  /* storage */                                                                \
  X(STORE, -500, "storage backend failure")                                    \
  X(STORE_NO_CHANNEL, -501, "channel not registered in the store")             \
  X(STORE_OFF_GRID, -502, "timestamp not on the channel's interval grid")      \
  X(STORE_CORRUPT, -503, "stored data failed its integrity check or decode")   \
  X(STORE_FORMAT, -504, "stored block format version not supported")           \
  X(STORE_BUSY, -505, "store locked by another writer")                        \
  X(STORE_FULL, -506, "storage device or quota full")                          \
  X(STORE_CHANNEL_CHANGED, -507, "channel interval cannot change with data")   \
  /* I/O */                                                                    \
  X(IO, -600, "input/output error")                                            \
  X(CLOSED, -601, "connection closed by peer")

typedef enum ami_err {
#define AMI__ERR_ENUM(name, value, msg) AMI_E_##name = (value),
  AMI_ERR_MAP(AMI__ERR_ENUM)
#undef AMI__ERR_ENUM
} ami_err;

/* Success, spelled as it reads best at call sites. */
#define AMI_OK AMI_E_OK

/* Symbolic name ("AMI_E_TRUNCATED") of an error code; "AMI_E_UNKNOWN" for a
 * value not in the list. Returns a static string. */
const char *ami_err_name(int err);

/* Human-readable message for an error code; a generic message for unknown
 * values. Returns a static string. */
const char *ami_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif /* AMI_ERR_H */
