/*
 * fuzz_wrapper.c -- libFuzzer target for the IEC 62056-47 wrapper codec and
 * its streaming deframer.
 *
 * Input: one option byte, then a TCP byte stream. Oracles:
 *   1. The one-shot decoder walked along the stream, the deframer fed the
 *      whole stream, and the deframer fed chunks whose sizes come from the
 *      input itself all give the same PDUs and the same final verdict.
 *   2. Every PDU re-encodes to exactly the bytes it came from.
 *   3. With a smaller maximum APDU (from the option byte), the PDUs
 *      delivered are the prefix of the unlimited run up to the first one
 *      over the limit, which gives AMI_E_WRAPPER_TOO_LONG.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_wrapper.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      abort();                                                                 \
  } while (0)

#define MAX_PDUS 4096

typedef struct result {
  size_t n;                      /* PDUs */
  size_t off[MAX_PDUS];          /* where each starts in the stream */
  ami_wrapper_pdu pdu[MAX_PDUS]; /* apdu fields compared by content */
  int end;                       /* AMI_E_AGAIN or the sticky error */
} result;

static bool same_pdu(const ami_wrapper_pdu *a, const ami_wrapper_pdu *b) {
  return a->src_wport == b->src_wport && a->dst_wport == b->dst_wport &&
         ami_span_eq(a->apdu, b->apdu);
}

/* The one-shot decoder, PDU after PDU. APDUs borrow the stream. */
static void one_shot(const uint8_t *s, size_t n, result *r) {
  size_t off = 0;
  r->n = 0;
  r->end = AMI_E_AGAIN;
  while (off < n && r->n < MAX_PDUS) {
    size_t used;
    ami_wrapper_pdu p;
    int rc = ami_wrapper_decode(ami_span_make(s + off, n - off), &p, &used);
    if (rc == AMI_E_TRUNCATED)
      break;
    if (rc != AMI_OK) {
      r->end = rc;
      break;
    }
    /* Oracle 2. */
    static uint8_t out[AMI_WRAPPER_HEADER_LEN + AMI_WRAPPER_MAX_APDU];
    ami_wr w;
    ami_wr_init(&w, out, sizeof out);
    CHECK(ami_wrapper_encode(&w, &p) == AMI_OK);
    CHECK(w.len == used && memcmp(out, s + off, used) == 0);
    r->off[r->n] = off;
    r->pdu[r->n++] = p;
    off += used;
  }
}

/* The deframer; chunk sizes from the stream when `chunked`. Compares each
 * PDU with `ref` as it comes (its APDU is only valid until the next feed). */
static void streamed(const uint8_t *s, size_t n, uint8_t opt, bool chunked,
                     size_t max_apdu, const result *ref, result *r) {
  ami_wrapper_deframer d;
  ami_wrapper_deframer_init(&d, max_apdu, NULL);
  r->n = 0;
  r->end = AMI_E_AGAIN;
  for (size_t off = 0; off < n && r->end == AMI_E_AGAIN;) {
    size_t c =
        chunked ? 1 + (size_t)(s[off] ^ opt) % ((opt & 0x40) ? 600 : 9) : n;
    if (c > n - off)
      c = n - off;
    const uint8_t *p = s + off;
    off += c;
    while (r->n < MAX_PDUS) {
      size_t used;
      ami_wrapper_pdu pdu;
      int rc = ami_wrapper_deframer_feed(&d, p, c, &used, &pdu);
      CHECK(used <= c);
      if (used)
        p += used; /* p may be NULL when used is 0 */
      c -= used;
      if (rc == AMI_E_AGAIN) {
        CHECK(c == 0);
        break;
      }
      if (rc != AMI_OK) {
        r->end = rc;
        /* Sticky. */
        CHECK(ami_wrapper_deframer_feed(&d, p, c, &used, &pdu) == rc);
        break;
      }
      CHECK(r->n < ref->n && same_pdu(&pdu, &ref->pdu[r->n]));
      r->n++;
    }
    if (r->n == MAX_PDUS)
      break;
  }
  ami_wrapper_deframer_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t opt = data[0];
  const uint8_t *s = data + 1;
  size_t n = size - 1;
  static result ref, whole, pieces;

  one_shot(s, n, &ref);
  if (ref.n == MAX_PDUS)
    return 0;
  /* Oracle 1. */
  streamed(s, n, opt, false, 0, &ref, &whole);
  streamed(s, n, opt, true, 0, &ref, &pieces);
  CHECK(whole.n == ref.n && whole.end == ref.end);
  CHECK(pieces.n == ref.n && pieces.end == ref.end);

  /* Oracle 3. */
  size_t max = (size_t)(opt & 0x3F) + 1;
  streamed(s, n, opt, true, max, &ref, &pieces);
  size_t k = 0;
  while (k < ref.n && ref.pdu[k].apdu.len <= max)
    k++;
  CHECK(pieces.n == k);
  int end = ref.end;
  if (k < ref.n) {
    end = AMI_E_WRAPPER_TOO_LONG;
  } else if (ref.end == AMI_E_AGAIN) {
    /* An incomplete last PDU whose header is in already says too long. */
    size_t off =
        ref.n ? ref.off[ref.n - 1] + 8 + ref.pdu[ref.n - 1].apdu.len : 0;
    if (n - off >= 8 && (size_t)(s[off + 6] << 8 | s[off + 7]) > max)
      end = AMI_E_WRAPPER_TOO_LONG;
  }
  CHECK(pieces.end == end);
  return 0;
}
