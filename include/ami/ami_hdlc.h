/*
 * ami_hdlc.h -- the HDLC framing of DLMS/COSEM (IEC 62056-46, the frame
 * format type 3 profile of ISO/IEC 13239), sans-I/O.
 *
 * What is here:
 *   - addresses (extended addressing: client 1 byte, server 1, 2 or 4 bytes),
 *   - the control field (I, RR, RNR, SNRM, DISC, UA, DM, FRMR, UI),
 *   - a one-shot frame decoder and an encoder (HCS, FCS, segmentation bit),
 *   - a streaming deframer fed arbitrary chunks, resumable at any byte,
 *   - the SNRM/UA parameter negotiation field and the LLC header,
 *   - a segmenter and a reassembler for APDUs longer than one frame.
 * What is not: the link state machine (who sends RR when, retries, timers).
 * That belongs to the session engine; see "Segmented transfer" below.
 *
 * Frame layout (IEC 62056-46, "frame format"; frame format type 3):
 *
 *   7E | format(2) | dest addr | src addr | control | [HCS(2) | info] | FCS(2)
 * | 7E
 *
 *   format = 1010 S LLLLLLLLLLL: type 0xA, segmentation bit S, and the frame
 *   length L = the number of bytes between the two flags (at most 2047).
 *   HCS covers format..control and is present only when an information field
 *   follows; FCS covers everything between the flags except itself. Both are
 *   CRC-16/X.25 sent least significant byte first (ami_crc.h). There is no
 *   byte stuffing: a 0x7E inside a frame is data, found by the length.
 *
 * Fuzzing builds (-DAMI_FUZZING=1) accept any HCS and FCS, so that a fuzzer
 * reaches the code behind the checks. Nothing else changes.
 */
#ifndef AMI_HDLC_H
#define AMI_HDLC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_alloc.h"
#include "ami/ami_buf.h"
#include "ami/ami_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMI_HDLC_FLAG        0x7E
#define AMI_HDLC_FORMAT_TYPE 0xA  /* frame format type 3 */
#define AMI_HDLC_MAX_LEN     2047 /* 11-bit frame length (bytes between flags) */
/* The smallest frame: format(2) + 1-byte addresses + control + FCS(2). */
#define AMI_HDLC_MIN_LEN 7
/* The largest header: format(2) + two 4-byte addresses + control + HCS(2). */
#define AMI_HDLC_MAX_HEADER 13
/* The most information a single frame can carry (1-byte addresses). */
#define AMI_HDLC_MAX_INFO (AMI_HDLC_MAX_LEN - 9)

/* ---------------------------------------------------------------------- */
/* Addresses (IEC 62056-46, "address field") */
/* ---------------------------------------------------------------------- */

/* Special values of a 7-bit address field (client, or server upper/lower in
 * the 1- and 2-byte forms) ... */
#define AMI_HDLC_ADDR_NO_STATION  0x00
#define AMI_HDLC_ADDR_CALLING     0x7E /* calling physical device (lower) */
#define AMI_HDLC_ADDR_ALL_STATION 0x7F /* broadcast */
/* ... and of a 14-bit field (server upper/lower in the 4-byte form). */
#define AMI_HDLC_ADDR_CALLING_14     0x3FFE
#define AMI_HDLC_ADDR_ALL_STATION_14 0x3FFF
/* Well-known client and server addresses (DLMS UA Green Book). */
#define AMI_HDLC_CLIENT_MANAGEMENT 0x01 /* client management process */
#define AMI_HDLC_CLIENT_PUBLIC     0x10 /* public client */
#define AMI_HDLC_SERVER_MANAGEMENT                                             \
  0x01 /* management logical device (upper)                                    \
        */

/* An HDLC address as decoded, with its encoded size kept so that a frame
 * re-encodes to the same bytes. A client address, and a one-byte server
 * address, use `upper` only (`lower` is 0). In the 2-byte form each part has
 * 7 bits; in the 4-byte form 14 bits. 3-byte and longer forms do not exist. */
typedef struct ami_hdlc_addr {
  uint16_t upper; /* client address, or server logical device */
  uint16_t lower; /* server physical device (2- and 4-byte forms) */
  uint8_t size;   /* encoded length in bytes: 1, 2 or 4 */
} ami_hdlc_addr;

/* A one-byte address (a client, or a server given by its upper part). */
static inline ami_hdlc_addr ami_hdlc_addr_client(uint16_t client) {
  ami_hdlc_addr a = {client, 0, 1};
  return a;
}

/* A server address, in the 2-byte form when both parts fit 7 bits, else in
 * the 4-byte form. */
static inline ami_hdlc_addr ami_hdlc_addr_server(uint16_t upper,
                                                 uint16_t lower) {
  ami_hdlc_addr a = {upper, lower, (upper | lower) > 0x7F ? 4 : 2};
  return a;
}

/* Appends the extended-address encoding of `a` (LSB of the last byte = 1).
 * AMI_E_HDLC_ADDRESS when the size is not 1/2/4 or a part does not fit;
 * otherwise the writer's sticky error (AMI_E_BUFFER_FULL) or AMI_OK. */
int ami_hdlc_addr_encode(ami_wr *w, const ami_hdlc_addr *a);

/* Reads one address. AMI_E_TRUNCATED if the input ends before the address
 * does; AMI_E_HDLC_ADDRESS for a 3-byte address or one not terminated
 * within 4 bytes. The reader does not move on error. */
int ami_hdlc_addr_decode(ami_rd *r, ami_hdlc_addr *a);

static inline bool ami_hdlc_addr_eq(const ami_hdlc_addr *a,
                                    const ami_hdlc_addr *b) {
  return a->upper == b->upper && a->lower == b->lower && a->size == b->size;
}

/* ---------------------------------------------------------------------- */
/* Control field (IEC 62056-46, "control field"; modulo 8)          */
/* ---------------------------------------------------------------------- */

typedef enum ami_hdlc_kind {
  AMI_HDLC_I = 1, /* information: N(S), N(R), P/F */
  AMI_HDLC_RR,    /* receive ready: N(R), P/F */
  AMI_HDLC_RNR,   /* receive not ready: N(R), P/F */
  AMI_HDLC_SNRM,  /* set normal response mode (0x83 | P) */
  AMI_HDLC_DISC,  /* disconnect (0x43 | P) */
  AMI_HDLC_UA,    /* unnumbered acknowledge (0x63 | F) */
  AMI_HDLC_DM,    /* disconnected mode (0x0F | F) */
  AMI_HDLC_FRMR,  /* frame reject (0x87 | F) */
  AMI_HDLC_UI     /* unnumbered information (0x03 | P/F) */
} ami_hdlc_kind;

typedef struct ami_hdlc_control {
  ami_hdlc_kind kind;
  uint8_t ns; /* send sequence number, 0..7; I frames only, else 0 */
  uint8_t nr; /* receive sequence number, 0..7; I, RR, RNR only, else 0 */
  bool pf;    /* poll (commands) / final (responses) bit */
} ami_hdlc_control;

/* Decodes one control byte. AMI_E_HDLC_CONTROL for codes DLMS does not use
 * (REJ, SREJ, XID, TEST, ...). */
int ami_hdlc_control_decode(uint8_t byte, ami_hdlc_control *c);
/* Encodes; AMI_E_HDLC_CONTROL for an unknown kind, a sequence number > 7, or
 * a sequence number set on a kind that does not carry it. */
int ami_hdlc_control_encode(const ami_hdlc_control *c, uint8_t *byte);

static inline ami_hdlc_control
ami_hdlc_control_make(ami_hdlc_kind kind, unsigned ns, unsigned nr, bool pf) {
  ami_hdlc_control c = {kind, (uint8_t)ns, (uint8_t)nr, pf};
  return c;
}

/* The sequence number after n (modulo 8). */
static inline uint8_t ami_hdlc_seq_next(uint8_t n) {
  return (uint8_t)((n + 1) & 7);
}

/* ---------------------------------------------------------------------- */
/* Frames                                                                  */
/* ---------------------------------------------------------------------- */

typedef struct ami_hdlc_frame {
  ami_hdlc_addr dst;
  ami_hdlc_addr src;
  ami_hdlc_control control;
  bool segmented; /* the S bit: more segments of this APDU follow */
  ami_span info;  /* borrows: see the decoder that produced the frame */
} ami_hdlc_frame;

/* Encodes one complete frame, both flags included, computing the format
 * field (with the S bit), the HCS (only when info is not empty) and the FCS.
 * `f->info` is borrowed for the call. Errors: AMI_E_HDLC_ADDRESS,
 * AMI_E_HDLC_CONTROL, AMI_E_HDLC_TOO_LONG (L > 2047), AMI_E_BUFFER_FULL
 * (sticky in `w`; nothing is written then). */
int ami_hdlc_frame_encode(ami_wr *w, const ami_hdlc_frame *f);

/* Decodes one complete frame at the start of `in`: opening flag, frame,
 * closing flag. `f->info` borrows `in`. With `used` non-NULL, *used receives
 * the number of bytes of the frame (both flags included) and bytes after it
 * are allowed; with `used` NULL they give AMI_E_TRAILING.
 * Errors, in the order they are checked (the deframer reports the same ones
 * in the same order): AMI_E_HDLC_FLAG (no opening flag), AMI_E_HDLC_FORMAT
 * (type not 0xA, length too small for its header, 3 or 4 bytes after the
 * control field), AMI_E_HDLC_ADDRESS, AMI_E_TRUNCATED (a prefix of a frame),
 * AMI_E_HDLC_HCS, AMI_E_HDLC_FLAG (closing flag missing), AMI_E_HDLC_FCS,
 * AMI_E_HDLC_CONTROL. */
int ami_hdlc_frame_decode(ami_span in, ami_hdlc_frame *f, size_t *used);

/* ---------------------------------------------------------------------- */
/* Streaming deframer                                                      */
/* ---------------------------------------------------------------------- */

/*
 * The deframer takes bytes as they come from a serial line or a socket, in
 * chunks of any size, and hands back one frame at a time. It can stop and
 * resume at any byte. It keeps at most one frame (2048 bytes) inside the
 * struct: no allocation.
 *
 *   init, reset
 *       |
 *       v         7E              byte 0xA?             2nd byte: L known
 *   +--------+ -------> +--------+ -------> +----------+ -------> +----------+
 *   |  HUNT  |          |  FLAG  |          |  FORMAT  |          |  HEADER  |
 *   +--------+ <------- +--------+          +----------+          +----------+
 *     ^  |   other byte   ^    |                                       |
 *     |  |   (garbage)    |    | 7E: fill flag, stay    addresses, control and
 *     |  +-- other byte:  |    +---+                    (if info follows) HCS,
 *     |      skipped      |                             judged as soon as there
 *     |                   | 7E, FCS and control good:   (at most 13 bytes)
 *     |                   | frame out; this flag may               |
 *     |                   | also open the next frame               v
 *     |                +---------+     L bytes in         +----------+
 *     |                |  CLOSE  | <--------------------- |   BODY   |
 *     |                +---------+   (info, then FCS)     +----------+
 *     |
 *     +-- any error (FORMAT onwards): report it, keep every byte after the
 *         rejected opening flag and rescan them from HUNT before new input.
 *
 * Because there is no byte stuffing, a 0x7E inside a frame looks like a flag
 * and a corrupted length can make a candidate frame claim bytes that belong
 * to the next one. So after an error the deframer does not skip ahead: it
 * re-examines every byte after the rejected opening flag as a possible flag.
 * A garbled frame therefore does not cost the following good frame (unless
 * a false start's HCS matches by chance, 1 in 65536), and since a long
 * candidate must pass its HCS within its first 13 bytes, a false start delays
 * the next frame by a few bytes at most. A garbled frame may yield more than
 * one error. Bytes that cannot start a frame are skipped silently
 * (counted in `discarded`).
 *
 * Frames may share flags (7E..7E7E..7E, or 7E..7E..7E where one flag closes a
 * frame and opens the next, ISO/IEC 13239) and be separated by any
 * number of fill flags.
 */
typedef struct ami_hdlc_deframer {
  /* Configuration: frames with a longer information field are rejected
   * (AMI_E_HDLC_TOO_LONG). Set by init; may be changed between feeds (after
   * the SNRM/UA negotiation). */
  size_t max_info;
  /* Statistics, for diagnostics: frames delivered, errors reported, bytes
   * skipped while hunting for a flag. */
  unsigned long frames;
  unsigned long errors;
  unsigned long discarded;
  /* Private state. */
  int state;
  size_t have;  /* bytes of the current candidate in buf */
  size_t total; /* its length L from the format field */
  size_t rp;    /* buf[rp..re): bytes to rescan after an error */
  size_t re;
  uint8_t buf[AMI_HDLC_MAX_LEN + 1]; /* the candidate and its closing flag */
} ami_hdlc_deframer;

/* Cannot fail. `max_info` 0 means no limit beyond the 11-bit length field. */
void ami_hdlc_deframer_init(ami_hdlc_deframer *d, size_t max_info);
/* Forget any partial frame and pending bytes; back to HUNT. */
void ami_hdlc_deframer_reset(ami_hdlc_deframer *d);

/* Feeds `len` bytes (`data` borrowed for the call; may be NULL if len is 0).
 * Returns
 *   AMI_OK         a complete frame in *frame; *consumed bytes of `data` were
 *                  used (possibly 0: the frame came from bytes kept earlier);
 *   AMI_E_AGAIN    all of `data` was consumed and no frame is complete;
 *   an error       a bad frame was dropped (see ami_hdlc_frame_decode for the
 *                  codes, plus AMI_E_HDLC_TOO_LONG); *consumed bytes were
 *                  used. The deframer has already resynchronised.
 * Call it again with the rest of the data until it returns AMI_E_AGAIN: only
 * AMI_E_AGAIN means there is nothing more to deliver. frame->info borrows
 * either `data` or the deframer; it is valid until the next call to feed or
 * reset, and no longer than `data` itself. */
int ami_hdlc_deframer_feed(ami_hdlc_deframer *d, const uint8_t *data,
                           size_t len, size_t *consumed, ami_hdlc_frame *frame);

/* Bytes of an incomplete frame the deframer holds (0 between frames): lets
 * a caller at the end of its input tell a cut-off frame from a clean end. */
size_t ami_hdlc_deframer_pending(const ami_hdlc_deframer *d);

/* ---------------------------------------------------------------------- */
/* SNRM / UA parameter negotiation (IEC 62056-46, SNRM/UA information field) */
/* ---------------------------------------------------------------------- */

#define AMI_HDLC_PARAM_FORMAT_ID   0x81
#define AMI_HDLC_PARAM_GROUP_ID    0x80
#define AMI_HDLC_PARAM_MAX_INFO_TX 0x05
#define AMI_HDLC_PARAM_MAX_INFO_RX 0x06
#define AMI_HDLC_PARAM_WINDOW_TX   0x07
#define AMI_HDLC_PARAM_WINDOW_RX   0x08
#define AMI_HDLC_DEFAULT_MAX_INFO  128 /* when a parameter is absent */
#define AMI_HDLC_DEFAULT_WINDOW    1

/* Bits of ami_hdlc_params.present. */
#define AMI_HDLC_HAS_MAX_INFO_TX 0x01
#define AMI_HDLC_HAS_MAX_INFO_RX 0x02
#define AMI_HDLC_HAS_WINDOW_TX   0x04
#define AMI_HDLC_HAS_WINDOW_RX   0x08
#define AMI_HDLC_HAS_ALL         0x0F

/* Link parameters from the point of view of the station that states them:
 * in an SNRM the client's, in a UA the server's. "tx" is what that station
 * sends, "rx" what it accepts. */
typedef struct ami_hdlc_params {
  uint32_t max_info_tx; /* bytes of information field per frame */
  uint32_t max_info_rx;
  uint32_t window_tx; /* frames per window */
  uint32_t window_rx;
  uint8_t present; /* AMI_HDLC_HAS_* : which ones the encoding carries */
} ami_hdlc_params;

/* The defaults (128, 128, 1, 1), none marked present. Cannot fail. */
void ami_hdlc_params_default(ami_hdlc_params *p);

/* Decodes the information field of an SNRM or UA. An empty field gives the
 * defaults. Absent parameters keep their default and their bit clear;
 * unknown parameter ids are skipped. Values may be 1, 2 or 4 bytes.
 * Errors: AMI_E_HDLC_PARAM (wrong format or group id, a value of another
 * width, a parameter given twice), AMI_E_TRUNCATED (the group or a value
 * runs past the end), AMI_E_TRAILING (bytes after the group). */
int ami_hdlc_params_decode(ami_span info, ami_hdlc_params *p);

/* Encodes the present parameters as 81 80 <len> ...: the maximum information
 * lengths in the fewest of 1, 2 or 4 bytes, the window sizes in 4 bytes (the
 * usual practice, reproducing the recorded frames byte for byte). */
int ami_hdlc_params_encode(ami_wr *w, const ami_hdlc_params *p);

/* Restates the parameters a peer sent (its tx is our rx) from our own point
 * of view. A client applies this to the UA it received. */
void ami_hdlc_params_mirror(const ami_hdlc_params *peer, ami_hdlc_params *out);

/* The server's answer to an SNRM: every limit is the smaller of what the
 * client proposed (`peer`, as decoded; absent = default) and what the server
 * supports (`own`), stated from the server's point of view with all four
 * parameters present -- ready to encode into the UA. AMI_E_HDLC_PARAM if a
 * resulting limit would be 0. */
int ami_hdlc_params_negotiate(const ami_hdlc_params *peer,
                              const ami_hdlc_params *own,
                              ami_hdlc_params *answer);

/* ---------------------------------------------------------------------- */
/* LLC header (IEC 62056-46, LLC sublayer; ISO/IEC 8802-2)                  */
/* ---------------------------------------------------------------------- */

/* Every APDU carried in I or UI frames starts with three bytes: destination
 * LSAP E6, source LSAP E6 (command, client to server) or E7 (response,
 * server to client), quality 00. In a segmented APDU only the first segment
 * has it. */
#define AMI_HDLC_LLC_LEN 3
typedef enum ami_hdlc_llc_dir {
  AMI_HDLC_LLC_COMMAND = 0xE6,  /* client -> server: E6 E6 00 */
  AMI_HDLC_LLC_RESPONSE = 0xE7, /* server -> client: E6 E7 00 */
} ami_hdlc_llc_dir;

/* Appends the LLC header for `dir`. Returns the writer's sticky error. */
int ami_hdlc_llc_write(ami_wr *w, ami_hdlc_llc_dir dir);

/* Checks that `in` starts with the LLC header for `dir` and returns the rest
 * in *apdu (borrowing `in`). AMI_E_HDLC_LLC when it does not (including when
 * `in` is shorter than 3 bytes: an information field is always complete). */
int ami_hdlc_llc_strip(ami_span in, ami_hdlc_llc_dir dir, ami_span *apdu);

/* ---------------------------------------------------------------------- */
/* Segmented transfer (IEC 62056-46, segmentation)                          */
/* ---------------------------------------------------------------------- */

/*
 * An APDU longer than the negotiated maximum information length travels as
 * several I frames; all but the last have the S bit set, and only the first
 * carries the LLC header. The flow, for the session engine (not done here):
 *
 *   sender                                   receiver
 *   I(S=1, N(S)=k, P=1)  ------------------>  keeps the segment
 *                        <------------------  RR(N(R)=k+1, F=1)
 *   I(S=1, N(S)=k+1, P=1) ----------------->  keeps the segment
 *                        <------------------  RR(N(R)=k+2, F=1)
 *   I(S=0, N(S)=k+2, P=1) ----------------->  APDU complete, handled; the
 *                        <------------------  answer (I frame) acknowledges
 *
 * With window size 1 the sender waits for each RR. A client receiving a
 * segmented response asks for the next segment with RR(N(R), P=1); the
 * server's last segment has S=0. Sequence numbers are checked by the engine
 * (AMI_E_HDLC_SEQUENCE); the reassembler below only joins the pieces.
 */

/* Splits an information stream (the LLC header followed by the APDU, in one
 * buffer) into successive information fields of at most `max_info` bytes.
 * Zero-copy: each segment borrows the stream. */
typedef struct ami_hdlc_segmenter {
  ami_span data; /* borrows the caller's stream */
  size_t pos;
  size_t max_info;
} ami_hdlc_segmenter;

/* AMI_E_INVAL if max_info is 0. `data` must outlive the segmenter. */
int ami_hdlc_segmenter_init(ami_hdlc_segmenter *s, ami_span data,
                            size_t max_info);
/* Yields the next segment: true with *info (borrowing the stream) and *more
 * (set the S bit when true); false when every byte has been yielded. An
 * empty stream yields no segment. */
bool ami_hdlc_segmenter_next(ami_hdlc_segmenter *s, ami_span *info, bool *more);
/* How many frames `len` bytes need at `max_info` per frame (max_info > 0). */
size_t ami_hdlc_segment_count(size_t len, size_t max_info);

/* Joins the information fields of received I frames into one APDU, up to a
 * hard maximum fixed at init. Memory comes from the injected allocator and
 * only when an APDU really is segmented. */
typedef struct ami_hdlc_reasm {
  ami_dynbuf buf;
  int state;   /* private */
  int discard; /* private: the error that is dropping the current APDU */
} ami_hdlc_reasm;

/* Cannot fail; allocates nothing yet. `max` bounds the reassembled APDU
 * (LLC header included); `alloc` NULL = default; it must outlive `r`. */
void ami_hdlc_reasm_init(ami_hdlc_reasm *r, size_t max,
                         const ami_allocator *alloc);
/* Drops a partial APDU; keeps the memory. */
void ami_hdlc_reasm_reset(ami_hdlc_reasm *r);
/* Releases the memory; accepts a zeroed or already-freed reassembler. */
void ami_hdlc_reasm_free(ami_hdlc_reasm *r);

/* Adds the information field of one frame and its S bit. Returns
 *   AMI_OK          *apdu holds the whole APDU: it borrows `info` itself when
 *                   the APDU was not segmented (zero-copy), else the
 *                   reassembler; valid until the next add/reset/free;
 *   AMI_E_AGAIN     a segment was kept; more are expected;
 *   AMI_E_LIMIT     the APDU exceeds `max`;
 *   AMI_E_NOMEM     no memory for it;
 *   AMI_E_REASSEMBLY an empty segment with the S bit set.
 * After an error the partial APDU is dropped, and so is every further
 * segment of it up to and including its last one (S=0), each answered with
 * the same error, so that its tail is not taken for a new APDU. */
int ami_hdlc_reasm_add(ami_hdlc_reasm *r, ami_span info, bool segmented,
                       ami_span *apdu);

#ifdef __cplusplus
}
#endif
#endif /* AMI_HDLC_H */
