/*
 * fuzz_hdlc.c -- libFuzzer target for the HDLC frame codec and deframer.
 *
 * Input: one option byte, then the byte stream. Oracles, not just crashes:
 *   1. The stream fed in one piece and fed in chunks whose sizes come from
 *      the input itself produce the same events (frames and errors).
 *   2. When the stream starts with a frame, the one-shot decoder's verdict
 *      is the deframer's first event (or no event at all when the frame is
 *      incomplete).
 *   3. Every frame delivered re-encodes, and the encoding decodes back to
 *      the same fields.
 * Fuzzing builds (-DAMI_FUZZING=1) accept any HCS/FCS so the fuzzer reaches
 * the header, address and control parsing behind them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_hdlc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      abort();                                                                 \
  } while (0)

typedef struct event {
  int rc;
  ami_hdlc_frame f; /* info points into the run's arena */
} event;

typedef struct run {
  event *ev;
  size_t n;
  uint8_t *arena; /* copies of the info fields */
  size_t used;
  size_t cap;
} run;

static bool frames_equal(const ami_hdlc_frame *a, const ami_hdlc_frame *b) {
  return ami_hdlc_addr_eq(&a->dst, &b->dst) &&
         ami_hdlc_addr_eq(&a->src, &b->src) &&
         a->control.kind == b->control.kind && a->control.ns == b->control.ns &&
         a->control.nr == b->control.nr && a->control.pf == b->control.pf &&
         a->segmented == b->segmented && ami_span_eq(a->info, b->info);
}

/* Oracle 3: encode, decode, compare. */
static void check_reencode(const ami_hdlc_frame *f) {
  static uint8_t out[AMI_HDLC_MAX_LEN + 2];
  ami_wr w;
  ami_wr_init(&w, out, sizeof out);
  CHECK(ami_hdlc_frame_encode(&w, f) == AMI_OK);
  ami_hdlc_frame g;
  CHECK(ami_hdlc_frame_decode(ami_span_make(out, w.len), &g, NULL) == AMI_OK);
  CHECK(frames_equal(f, &g));
}

static void record(run *r, int rc, const ami_hdlc_frame *f) {
  event *e = &r->ev[r->n++];
  e->rc = rc;
  if (rc != AMI_OK)
    return;
  e->f = *f;
  CHECK(r->used + f->info.len <= r->cap); /* frames never share bytes */
  if (f->info.len)
    memcpy(r->arena + r->used, f->info.p, f->info.len);
  e->f.info = ami_span_make(r->arena + r->used, f->info.len);
  r->used += f->info.len;
  check_reencode(f);
}

/* Feeds one piece and records every event until AMI_E_AGAIN. */
static void feed(ami_hdlc_deframer *d, run *r, const uint8_t *p, size_t n) {
  for (;;) {
    size_t used = 0;
    ami_hdlc_frame f;
    int rc = ami_hdlc_deframer_feed(d, p, n, &used, &f);
    CHECK(used <= n);
    if (used)
      p += used; /* p may be NULL when used is 0 */
    n -= used;
    if (rc == AMI_E_AGAIN) {
      CHECK(n == 0);
      return;
    }
    CHECK(r->n < r->cap + 1);
    record(r, rc, &f);
  }
}

static bool run_init(run *r, size_t size) {
  r->ev = malloc((size + 1) * sizeof *r->ev);
  r->arena = malloc(size + 1);
  r->n = 0;
  r->used = 0;
  r->cap = size;
  return r->ev && r->arena;
}

static void run_free(run *r) {
  free(r->ev);
  free(r->arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t opt = data[0];
  const uint8_t *s = data + 1;
  size_t n = size - 1;
  size_t max_info = (opt & 0x80) ? 128 : 0;

  run whole, pieces;
  if (!run_init(&whole, n) || !run_init(&pieces, n)) {
    run_free(&whole);
    run_free(&pieces);
    return 0;
  }
  ami_hdlc_deframer *d = malloc(sizeof *d);
  if (d == NULL) {
    run_free(&whole);
    run_free(&pieces);
    return 0;
  }

  ami_hdlc_deframer_init(d, max_info);
  if (n)
    feed(d, &whole, s, n);
  feed(d, &whole, NULL, 0);

  /* Oracle 1: chunk sizes taken from the stream's own bytes. */
  size_t span = (opt & 0x40) ? 300 : 16;
  ami_hdlc_deframer_init(d, max_info);
  for (size_t off = 0; off < n;) {
    size_t c = 1 + (size_t)(s[off] ^ opt) % span;
    if (c > n - off)
      c = n - off;
    feed(d, &pieces, s + off, c);
    off += c;
  }
  CHECK(whole.n == pieces.n);
  for (size_t i = 0; i < whole.n; i++) {
    CHECK(whole.ev[i].rc == pieces.ev[i].rc);
    if (whole.ev[i].rc == AMI_OK)
      CHECK(frames_equal(&whole.ev[i].f, &pieces.ev[i].f));
  }

  /* Oracle 2: a stream that opens with a frame candidate. */
  if (max_info == 0 && n >= 2 && s[0] == AMI_HDLC_FLAG && s[1] >> 4 == 0xA) {
    ami_hdlc_frame f;
    size_t used;
    int rc = ami_hdlc_frame_decode(ami_span_make(s, n), &f, &used);
    if (rc == AMI_E_TRUNCATED) {
      CHECK(whole.n == 0);
    } else {
      CHECK(whole.n >= 1 && whole.ev[0].rc == rc);
      if (rc == AMI_OK)
        CHECK(frames_equal(&whole.ev[0].f, &f));
    }
  }

  free(d);
  run_free(&whole);
  run_free(&pieces);
  return 0;
}
