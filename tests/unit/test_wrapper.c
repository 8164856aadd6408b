/*
 * test_wrapper.c -- lib/codec wrapper (IEC 62056-47): one-shot codec and the
 * streaming deframer for TCP.
 *
 * Golden vectors: the recorded Gurux sessions
 * ../shared/vectors/dlms/gurux-sessions/gurux_wrapper_*.txt (read at run
 * time; skipped when shared/ is absent), and a PDU built here around the
 * GET-request-normal APDU of VECTORS.md §2.
 */
#include "ami_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_buf.h"
#include "ami/ami_wrapper.h"

/* VECTORS.md §2, GET-request-normal, wrapped from the public client (wPort
 * 0x10) to the management logical device (0x01): version 0001, source 0010,
 * destination 0001, length 000D. */
#define GET_APDU_HEX "C001C1000100002B0100FF0200"
#define GET_PDU_HEX  "0001 0010 0001 000D" GET_APDU_HEX

static void test_encode_decode(void **state) {
  (void)state;
  size_t an, pn;
  uint8_t *apdu = ami_test_hex(GET_APDU_HEX, &an);
  uint8_t *pdu = ami_test_hex(GET_PDU_HEX, &pn);
  ami_wrapper_pdu p = {AMI_WRAPPER_WPORT_PUBLIC_CLIENT,
                       AMI_WRAPPER_WPORT_MANAGEMENT, ami_span_make(apdu, an)};
  uint8_t out[64];
  ami_wr w;
  ami_wr_init(&w, out, sizeof out);
  assert_ami_ok(ami_wrapper_encode(&w, &p));
  ami_test_assert_bytes(out, w.len, GET_PDU_HEX);

  uint8_t *g = ami_test_guarded_copy(pdu, pn);
  ami_wrapper_pdu d;
  assert_ami_ok(ami_wrapper_decode(ami_span_make(g, pn), &d, NULL));
  assert_int_equal(d.src_wport, 0x10);
  assert_int_equal(d.dst_wport, 0x01);
  assert_ptr_equal(d.apdu.p, g + 8); /* borrowed */
  assert_true(ami_span_eq(d.apdu, ami_span_make(apdu, an)));
  /* Every truncation. */
  for (size_t k = 0; k < pn; k++) {
    uint8_t *t = ami_test_guarded_copy(pdu, k);
    assert_ami(AMI_E_TRUNCATED,
               ami_wrapper_decode(ami_span_make(t, k), &d, NULL));
    ami_test_guarded_free(t, k);
  }
  ami_test_guarded_free(g, pn);

  /* Trailing bytes: an error for a datagram, reported through `used`
   * otherwise. */
  uint8_t two[128];
  memcpy(two, pdu, pn);
  memcpy(two + pn, pdu, pn);
  assert_ami(AMI_E_TRAILING,
             ami_wrapper_decode(ami_span_make(two, pn + 1), &d, NULL));
  size_t used = 0;
  assert_ami_ok(ami_wrapper_decode(ami_span_make(two, 2 * pn), &d, &used));
  assert_int_equal(used, pn);

  /* Version: refused as soon as its two bytes are there. */
  two[1] = 0x02;
  assert_ami(AMI_E_WRAPPER_VERSION,
             ami_wrapper_decode(ami_span_make(two, pn), &d, NULL));
  assert_ami(AMI_E_WRAPPER_VERSION,
             ami_wrapper_decode(ami_span_make(two, 2), &d, NULL));
  assert_ami(AMI_E_TRUNCATED,
             ami_wrapper_decode(ami_span_make(two, 1), &d, NULL));

  /* An empty APDU is a valid PDU. */
  p.apdu = ami_span_make(NULL, 0);
  ami_wr_init(&w, out, sizeof out);
  assert_ami_ok(ami_wrapper_encode(&w, &p));
  ami_test_assert_bytes(out, w.len, "0001 0010 0001 0000");
  assert_ami_ok(ami_wrapper_decode(ami_span_make(out, w.len), &d, NULL));
  assert_int_equal(d.apdu.len, 0);

  /* Encoder limits. */
  p.apdu = ami_span_make(apdu, 0x10000);
  ami_wr_init(&w, out, sizeof out);
  assert_ami(AMI_E_WRAPPER_TOO_LONG, ami_wrapper_encode(&w, &p));
  assert_int_equal(w.len, 0);
  p.apdu = ami_span_make(apdu, an);
  ami_wr_init(&w, out, 10);
  assert_ami(AMI_E_BUFFER_FULL, ami_wrapper_encode(&w, &p));
  free(apdu);
  free(pdu);
}

/* ---------------------------------------------------------------------- */
/* Recorded sessions                                                       */

typedef struct rec {
  bool rx;
  uint8_t *p;
  size_t n;
} rec;

typedef struct session {
  rec r[256];
  size_t n;
} session;

static bool load_session(const char *name, session *s) {
  char rel[256];
  snprintf(rel, sizeof rel, "vectors/dlms/gurux-sessions/%s", name);
  const char *path = ami_test_shared_path(rel);
  if (path == NULL)
    return false;
  char *text = ami_test_read_file(path, NULL);
  assert_non_null(text);
  s->n = 0;
  for (char *line = text; line && *line;) {
    char *end = strchr(line, '\n');
    if (end)
      *end = '\0';
    bool tx = strncmp(line, "TX:", 3) == 0, rx = strncmp(line, "RX:", 3) == 0;
    if (tx || rx) {
      assert_true(s->n < 256);
      rec *r = &s->r[s->n++];
      r->rx = rx;
      r->p = ami_test_hex(line + 3, &r->n);
    }
    line = end ? end + 1 : NULL;
  }
  free(text);
  assert_true(s->n > 0);
  return true;
}

static void free_session(session *s) {
  for (size_t i = 0; i < s->n; i++)
    free(s->r[i].p);
}

static const struct {
  const char *file;
  uint16_t client; /* the client's wPort in that session */
} wrapper_sessions[] = {
    {"gurux_wrapper_ln_none_clock.txt", 0x10},
    {"gurux_wrapper_ln_hlsgmac_ae_clock_ldn.txt", 0x01},
};

/* Every line is exactly one PDU (as a UDP datagram would be), between the
 * session's client and the management logical device, and re-encodes to
 * the same bytes. */
static void test_sessions_one_shot(void **state) {
  (void)state;
  for (size_t si = 0; si < 2; si++) {
    session *s = malloc(sizeof *s);
    assert_non_null(s);
    if (!load_session(wrapper_sessions[si].file, s)) {
      free(s);
      skip();
    }
    for (size_t i = 0; i < s->n; i++) {
      const rec *r = &s->r[i];
      uint8_t *g = ami_test_guarded_copy(r->p, r->n);
      ami_wrapper_pdu d;
      assert_ami_ok(ami_wrapper_decode(ami_span_make(g, r->n), &d, NULL));
      uint16_t client = wrapper_sessions[si].client;
      assert_int_equal(d.src_wport, r->rx ? 0x01 : client);
      assert_int_equal(d.dst_wport, r->rx ? client : 0x01);
      assert_int_equal(d.apdu.len, r->n - 8);
      if (i == 0)
        assert_int_equal(d.apdu.p[0], 0x60); /* AARQ */
      if (i == 1)
        assert_int_equal(d.apdu.p[0], 0x61); /* AARE */
      uint8_t out[2048];
      ami_wr w;
      ami_wr_init(&w, out, sizeof out);
      assert_ami_ok(ami_wrapper_encode(&w, &d));
      assert_int_equal(w.len, r->n);
      assert_memory_equal(out, r->p, r->n);
      ami_test_guarded_free(g, r->n);
    }
    free_session(s);
    free(s);
  }
}

/* Feeds `stream` in pieces of `chunk` bytes (0: split once at `cut`) and
 * checks the PDUs against `want`. */
static void check_stream(const uint8_t *stream, size_t n, size_t chunk,
                         size_t cut, const ami_wrapper_pdu *want, size_t nwant,
                         ami_wrapper_deframer *d) {
  size_t k = 0, off = 0;
  ami_wrapper_deframer_reset(d);
  while (off < n) {
    size_t piece = chunk ? chunk : (off < cut ? cut : n - off);
    if (piece > n - off)
      piece = n - off;
    const uint8_t *p = stream + off;
    off += piece;
    for (;;) {
      size_t used;
      ami_wrapper_pdu got;
      int rc = ami_wrapper_deframer_feed(d, p, piece, &used, &got);
      assert_true(used <= piece);
      if (used)
        p += used; /* p may be NULL when used is 0 */
      piece -= used;
      if (rc == AMI_E_AGAIN) {
        assert_int_equal(piece, 0);
        break;
      }
      assert_ami_ok(rc);
      assert_true(k < nwant);
      assert_int_equal(got.src_wport, want[k].src_wport);
      assert_int_equal(got.dst_wport, want[k].dst_wport);
      assert_true(ami_span_eq(got.apdu, want[k].apdu));
      k++;
    }
  }
  assert_int_equal(k, nwant);
}

/* The server's side of a session (every RX line) as one TCP byte stream,
 * fed in chunks of every size from 1 to its whole length, and the whole
 * session cut in two at every offset: always the same PDUs. */
static void test_sessions_streaming(void **state) {
  (void)state;
  for (size_t si = 0; si < 2; si++) {
    session *s = malloc(sizeof *s);
    assert_non_null(s);
    if (!load_session(wrapper_sessions[si].file, s)) {
      free(s);
      skip();
    }
    size_t total = 0;
    for (size_t i = 0; i < s->n; i++)
      total += s->r[i].n;
    uint8_t *rx = malloc(total), *all = malloc(total);
    ami_wrapper_pdu *want_rx = calloc(s->n, sizeof *want_rx);
    ami_wrapper_pdu *want_all = calloc(s->n, sizeof *want_all);
    assert_true(rx && all && want_rx && want_all);
    size_t nrx = 0, nall = 0, lrx = 0, lall = 0;
    for (size_t i = 0; i < s->n; i++) {
      const rec *r = &s->r[i];
      memcpy(all + lall, r->p, r->n);
      assert_ami_ok(ami_wrapper_decode(ami_span_make(all + lall, r->n),
                                       &want_all[nall++], NULL));
      lall += r->n;
      if (r->rx) {
        memcpy(rx + lrx, r->p, r->n);
        assert_ami_ok(ami_wrapper_decode(ami_span_make(rx + lrx, r->n),
                                         &want_rx[nrx++], NULL));
        lrx += r->n;
      }
    }
    ami_wrapper_deframer d;
    ami_wrapper_deframer_init(&d, 0, NULL);
    for (size_t chunk = 1; chunk <= lrx; chunk++)
      check_stream(rx, lrx, chunk, 0, want_rx, nrx, &d);
    for (size_t cut = 0; cut <= lall; cut++)
      check_stream(all, lall, 0, cut, want_all, nall, &d);
    /* Several PDUs in one chunk are borrowed from it, not copied. */
    size_t used;
    ami_wrapper_pdu got;
    ami_wrapper_deframer_reset(&d);
    assert_ami_ok(ami_wrapper_deframer_feed(&d, all, lall, &used, &got));
    assert_ptr_equal(got.apdu.p, all + 8);
    assert_int_equal(used, s->r[0].n);
    ami_wrapper_deframer_free(&d);
    ami_wrapper_deframer_free(&d);
    /* Every truncation of every PDU is "need more". */
    ami_wrapper_deframer_init(&d, 0, NULL);
    for (size_t i = 0; i < s->n; i++) {
      for (size_t k = 0; k < s->r[i].n; k++) {
        ami_wrapper_deframer_reset(&d);
        uint8_t *g = ami_test_guarded_copy(s->r[i].p, k);
        assert_ami(AMI_E_AGAIN,
                   ami_wrapper_deframer_feed(&d, g, k, &used, &got));
        assert_int_equal(used, k);
        ami_test_guarded_free(g, k);
      }
    }
    ami_wrapper_deframer_free(&d);
    free(want_rx);
    free(want_all);
    free(rx);
    free(all);
    free_session(s);
    free(s);
  }
}

/* ---------------------------------------------------------------------- */
/* Deframer errors and limits                                              */

static void test_deframer_errors(void **state) {
  (void)state;
  size_t pn;
  uint8_t *pdu = ami_test_hex(GET_PDU_HEX, &pn);
  ami_wrapper_deframer d;
  ami_wrapper_deframer_init(&d, 12, NULL); /* the APDU has 13 bytes */
  assert_int_equal(d.max_apdu, 12);
  size_t used;
  ami_wrapper_pdu got;
  assert_ami(AMI_E_WRAPPER_TOO_LONG,
             ami_wrapper_deframer_feed(&d, pdu, pn, &used, &got));
  assert_int_equal(used, 8);
  /* Sticky until reset. */
  assert_ami(AMI_E_WRAPPER_TOO_LONG,
             ami_wrapper_deframer_feed(&d, pdu + 8, pn - 8, &used, &got));
  assert_int_equal(used, 0);
  d.max_apdu = 13;
  ami_wrapper_deframer_reset(&d);
  assert_ami_ok(ami_wrapper_deframer_feed(&d, pdu, pn, &used, &got));
  assert_int_equal(got.apdu.len, 13);

  /* A wrong version, whole or byte by byte: refused at its second byte. */
  pdu[1] = 0x02;
  ami_wrapper_deframer_reset(&d);
  assert_ami(AMI_E_WRAPPER_VERSION,
             ami_wrapper_deframer_feed(&d, pdu, pn, &used, &got));
  ami_wrapper_deframer_reset(&d);
  assert_ami(AMI_E_AGAIN, ami_wrapper_deframer_feed(&d, pdu, 1, &used, &got));
  assert_ami(AMI_E_WRAPPER_VERSION,
             ami_wrapper_deframer_feed(&d, pdu + 1, 1, &used, &got));
  assert_int_equal(used, 1);
  assert_ami(AMI_E_WRAPPER_VERSION,
             ami_wrapper_deframer_feed(&d, pdu + 2, 1, &used, &got));
  assert_ami(AMI_E_WRAPPER_VERSION,
             ami_wrapper_deframer_feed(&d, NULL, 0, &used, &got));
  pdu[1] = 0x01;
  ami_wrapper_deframer_reset(&d);
  assert_ami(AMI_E_AGAIN, ami_wrapper_deframer_feed(&d, NULL, 0, &used, &got));
  ami_wrapper_deframer_free(&d);

  /* 0 and oversized maxima mean the length field's own limit. */
  ami_wrapper_deframer_init(&d, 0, NULL);
  assert_int_equal(d.max_apdu, 65535);
  ami_wrapper_deframer_init(&d, 100000, NULL);
  assert_int_equal(d.max_apdu, 65535);

  /* An empty APDU, alone and between two others, in one chunk. */
  uint8_t stream[64];
  static const uint8_t empty[] = {0, 1, 0, 0x10, 0, 1, 0, 0};
  memcpy(stream, pdu, pn);
  memcpy(stream + pn, empty, 8);
  memcpy(stream + pn + 8, pdu, pn);
  size_t off = 0;
  size_t lens[3];
  for (int i = 0; i < 3; i++) {
    assert_ami_ok(ami_wrapper_deframer_feed(&d, stream + off, 2 * pn + 8 - off,
                                            &used, &got));
    lens[i] = got.apdu.len;
    off += used;
  }
  assert_int_equal(off, 2 * pn + 8);
  assert_int_equal(lens[0], 13);
  assert_int_equal(lens[1], 0);
  assert_int_equal(lens[2], 13);
  ami_wrapper_deframer_free(&d);
  free(pdu);
}

/* An APDU that spans chunks needs memory; a failed allocation is reported
 * (sticky), nothing leaks, and a reset recovers. */
static void test_deframer_nomem(void **state) {
  (void)state;
  size_t pn;
  uint8_t *pdu = ami_test_hex(GET_PDU_HEX, &pn);
  ami_test_failalloc fa;
  ami_test_failalloc_init(&fa, 0);
  ami_wrapper_deframer d;
  ami_wrapper_deframer_init(&d, 0, &fa.base);
  size_t used;
  ami_wrapper_pdu got;
  assert_ami(AMI_E_NOMEM, ami_wrapper_deframer_feed(&d, pdu, 10, &used, &got));
  assert_ami(AMI_E_NOMEM,
             ami_wrapper_deframer_feed(&d, pdu + 10, pn - 10, &used, &got));
  ami_wrapper_deframer_reset(&d);
  assert_ami(AMI_E_AGAIN, ami_wrapper_deframer_feed(&d, pdu, 10, &used, &got));
  assert_ami_ok(ami_wrapper_deframer_feed(&d, pdu + 10, pn - 10, &used, &got));
  assert_int_equal(used, pn - 10);
  assert_memory_equal(got.apdu.p, pdu + 8, pn - 8);
  /* Whole in one chunk: no allocation at all. */
  long calls = fa.calls;
  assert_ami_ok(ami_wrapper_deframer_feed(&d, pdu, pn, &used, &got));
  assert_int_equal(fa.calls, calls);
  ami_wrapper_deframer_free(&d);
  assert_int_equal(fa.live, 0);
  free(pdu);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_encode_decode),
      cmocka_unit_test(test_sessions_one_shot),
      cmocka_unit_test(test_sessions_streaming),
      cmocka_unit_test(test_deframer_errors),
      cmocka_unit_test(test_deframer_nomem),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
