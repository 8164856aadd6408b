/*
 * ami_wrapper.h -- the DLMS/COSEM transport wrapper for TCP and UDP
 * (IEC 62056-47, "wrapper protocol data unit"), sans-I/O.
 *
 * Every APDU is preceded by an 8-byte header, all fields big-endian:
 *
 *   version (2) = 0x0001 | source wPort (2) | destination wPort (2) |
 *   length (2) of the APDU that follows | APDU
 *
 * The wPorts name the client and server application processes (like HDLC
 * addresses). On UDP one datagram carries exactly one wrapper PDU; on TCP the
 * PDUs form a byte stream cut anywhere, which the streaming deframer below
 * reassembles.
 */
#ifndef AMI_WRAPPER_H
#define AMI_WRAPPER_H

#include <stddef.h>
#include <stdint.h>

#include "ami/ami_alloc.h"
#include "ami/ami_buf.h"
#include "ami/ami_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMI_WRAPPER_HEADER_LEN 8
#define AMI_WRAPPER_VERSION    0x0001
#define AMI_WRAPPER_MAX_APDU   0xFFFF /* the length field's limit */
/* IANA port registered for DLMS/COSEM over TCP and UDP. */
#define AMI_WRAPPER_IANA_PORT 4059
/* Well-known wPorts (DLMS UA Green Book). */
#define AMI_WRAPPER_WPORT_NO_STATION        0x0000
#define AMI_WRAPPER_WPORT_CLIENT_MANAGEMENT 0x0001
#define AMI_WRAPPER_WPORT_PUBLIC_CLIENT     0x0010
#define AMI_WRAPPER_WPORT_MANAGEMENT        0x0001 /* server: management LD */
#define AMI_WRAPPER_WPORT_ALL_STATION       0x007F

typedef struct ami_wrapper_pdu {
  uint16_t src_wport;
  uint16_t dst_wport;
  ami_span apdu; /* borrows: see the function that produced it */
} ami_wrapper_pdu;

/* Appends the header and the APDU (borrowed for the call).
 * AMI_E_WRAPPER_TOO_LONG for an APDU over 65535 bytes (nothing written);
 * otherwise the writer's sticky error. */
int ami_wrapper_encode(ami_wr *w, const ami_wrapper_pdu *pdu);

/* Decodes one wrapper PDU at the start of `in`; pdu->apdu borrows `in`.
 * With `used` non-NULL, *used = header + APDU length and bytes after it are
 * left for the caller; with `used` NULL (a UDP datagram, which must hold
 * exactly one PDU) they give AMI_E_TRAILING. AMI_E_TRUNCATED when `in` ends
 * early; AMI_E_WRAPPER_VERSION when the version is not 1. */
int ami_wrapper_decode(ami_span in, ami_wrapper_pdu *pdu, size_t *used);

/*
 * Streaming deframer for TCP. States:
 *
 *           8 header bytes,                 length bytes
 *           version 1, length <= max        (none if length is 0)
 *   HEADER ------------------------> APDU ------------------> PDU out
 *     ^                                                          |
 *     +----------------------------------------------------------+
 *     any error: FAILED (sticky until reset: a byte stream without flags
 *     cannot be resynchronised; the connection should be closed)
 *
 * An APDU wholly inside the fed chunk is borrowed from it (zero-copy); one
 * that spans chunks is gathered in a buffer from the injected allocator,
 * never larger than `max_apdu`.
 */
typedef struct ami_wrapper_deframer {
  size_t max_apdu; /* configuration */
  int state;       /* private from here on */
  int err;         /* the sticky error */
  size_t hlen;     /* header bytes gathered */
  uint8_t hdr[AMI_WRAPPER_HEADER_LEN];
  ami_wrapper_pdu pdu; /* wPorts of the PDU being gathered */
  size_t need;         /* its APDU length */
  ami_dynbuf body;     /* owned: the APDU when it spans chunks */
} ami_wrapper_deframer;

/* Cannot fail; allocates nothing yet. `max_apdu` 0 means 65535. `alloc`
 * NULL = default; it must outlive the deframer. */
void ami_wrapper_deframer_init(ami_wrapper_deframer *d, size_t max_apdu,
                               const ami_allocator *alloc);
/* Back to the start of a PDU, clearing a sticky error; keeps memory. */
void ami_wrapper_deframer_reset(ami_wrapper_deframer *d);
/* Releases the memory; accepts an already-freed deframer. */
void ami_wrapper_deframer_free(ami_wrapper_deframer *d);

/* Feeds `len` bytes (`data` borrowed for the call). Returns
 *   AMI_OK       one PDU in *pdu; *consumed bytes of `data` were used --
 *                call again with the rest;
 *   AMI_E_AGAIN  all of `data` was used, no PDU is complete;
 *   an error     AMI_E_WRAPPER_VERSION, AMI_E_WRAPPER_TOO_LONG (length over
 *                max_apdu), AMI_E_NOMEM; sticky: every later call returns it
 *                until reset.
 * pdu->apdu borrows `data` or the deframer; valid until the next call to
 * feed, reset or free, and no longer than `data`. */
int ami_wrapper_deframer_feed(ami_wrapper_deframer *d, const uint8_t *data,
                              size_t len, size_t *consumed,
                              ami_wrapper_pdu *pdu);

#ifdef __cplusplus
}
#endif
#endif /* AMI_WRAPPER_H */
