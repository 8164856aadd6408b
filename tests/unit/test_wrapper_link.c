/*
 * test_wrapper_link.c -- the wrapper link (lib/dlms/ami_wrapper_link.c,
 * IEC 62056-47 over TCP): connection events, loopback exchanges of every
 * size, the recorded Gurux wrapper session replayed against our server and
 * our client under every chunking and every split offset, wPort filtering,
 * fatal wrapper errors, the bounded send queue, pull() framing and failing
 * allocations.
 *
 * Golden vectors: gurux-sessions/gurux_wrapper_ln_none_clock.txt (read at
 * run time; those tests skip without shared/). The AARQ PDU of that file is
 * copied below so that one exact-bytes check always runs.
 */
#include "ami_test.h"
#include "ami_test_link.h"

#include <stdlib.h>
#include <string.h>

#include "ami/ami_wrapper_link.h"

#define SESSION "vectors/dlms/gurux-sessions/gurux_wrapper_ln_none_clock.txt"
/* The Gurux client's first PDU: wPort 0x10 to 0x01, the AARQ. */
#define AARQ_PDU_HEX                                                           \
  "00 01 00 10 00 01 00 1F 60 1D A1 09 06 07 60 85 74 05 08 01 01 BE 10 04 "   \
  "0E 01 00 00 00 06 5F 1F 04 00 40 1E 1D FF FF"
#define AARQ_HEX                                                               \
  "60 1D A1 09 06 07 60 85 74 05 08 01 01 BE 10 04 0E 01 00 00 00 06 5F 1F "   \
  "04 00 40 1E 1D FF FF"

static ami_wrapper_link_config config(ami_link_role role, uint16_t own,
                                      uint16_t peer) {
  ami_wrapper_link_config c;
  memset(&c, 0, sizeof c);
  c.role = role;
  c.own_wport = own;
  c.peer_wport = peer;
  return c;
}

/* Runs the link's due timers and returns the one event (fails if none). */
static ami_link_event expire(ami_link *l) {
  ami_link_event ev;
  assert_int_equal(ami_link_expiry(l), 0);
  assert_ami_ok(ami_link_handle_expiry(l, 0, &ev));
  return ev;
}

/* Feeds all of (p, n) and collects the events (up to max). */
static size_t feed(ami_link *l, const uint8_t *p, size_t n, ami_link_event *evs,
                   size_t max) {
  size_t off = 0, k = 0;
  for (;;) {
    size_t used;
    ami_link_event ev;
    int rc = ami_link_recv(l, p + off, n - off, &used, 0, &ev);
    assert_true(used <= n - off);
    off += used;
    if (rc == AMI_E_AGAIN)
      break;
    assert_ami_ok(rc);
    assert_true(k < max);
    evs[k++] = ev;
  }
  assert_int_equal(off, n);
  return k;
}

/* ---------------------------------------------------------------------- */

static void test_connect_events(void **state) {
  (void)state;
  ami_wrapper_link c, s;
  ami_wrapper_link_config cc = config(AMI_LINK_CLIENT, 0x10, 1);
  ami_wrapper_link_config sc = config(AMI_LINK_SERVER, 1, 0);
  ami_link *cl = ami_wrapper_link_init(&c, &cc);
  ami_link *sl = ami_wrapper_link_init(&s, &sc);
  ami_link_event ev;
  /* The client: nothing until connect(); then connected, reported once. */
  assert_false(ami_link_is_connected(cl));
  assert_int_equal(ami_link_expiry(cl), AMI_LINK_NO_EXPIRY);
  assert_ami(AMI_E_STATE, ami_link_send_apdu(cl, ami_span_make("x", 1), 0));
  assert_ami(AMI_E_STATE, ami_link_disconnect(cl, 0));
  assert_ami_ok(ami_link_connect(cl, 0));
  assert_ami(AMI_E_STATE, ami_link_connect(cl, 0));
  assert_true(ami_link_is_connected(cl));
  ev = expire(cl);
  assert_int_equal(ev.kind, AMI_LINK_EV_CONNECTED);
  assert_int_equal(ev.peer_address, 1);
  assert_int_equal(ev.own_address, 0x10);
  assert_int_equal(ami_link_expiry(cl), AMI_LINK_NO_EXPIRY);
  assert_ami(AMI_E_AGAIN, ami_link_handle_expiry(cl, 0, &ev));
  /* The server: connected from init, reported by the first recv. */
  assert_true(ami_link_is_connected(sl));
  assert_ami(AMI_E_STATE, ami_link_connect(sl, 0));
  size_t used = 99;
  assert_ami_ok(ami_link_recv(sl, NULL, 0, &used, 0, &ev));
  assert_int_equal(used, 0);
  assert_int_equal(ev.kind, AMI_LINK_EV_CONNECTED);
  assert_ami(AMI_E_AGAIN, ami_link_recv(sl, NULL, 0, &used, 0, &ev));
  /* The server cannot answer before it knows a client. */
  assert_ami(AMI_E_STATE, ami_link_send_apdu(sl, ami_span_make("x", 1), 0));
  /* Disconnect: reported once; sending is refused afterwards. */
  assert_ami_ok(ami_link_disconnect(cl, 0));
  assert_false(ami_link_is_connected(cl));
  ev = expire(cl);
  assert_int_equal(ev.kind, AMI_LINK_EV_DISCONNECTED);
  assert_ami(AMI_OK, ev.error);
  assert_ami(AMI_E_STATE, ami_link_send_apdu(cl, ami_span_make("x", 1), 0));
  /* And it can connect again. */
  assert_ami_ok(ami_link_connect(cl, 0));
  assert_int_equal(expire(cl).kind, AMI_LINK_EV_CONNECTED);
  ami_link_free(cl);
  ami_link_free(sl);
  ami_link_free(sl); /* accepts a link already freed */
}

/* Both directions, every size up to the wrapper's 65535, in the link
 * pair, whole frames and byte by byte. */
static void echo(void *user, int side, const ami_link_event *ev) {
  ami_link *server = user;
  if (side == AMI_TEST_SERVER && ev->kind == AMI_LINK_EV_APDU) {
    assert_int_equal(ev->peer_address, 0x10);
    assert_int_equal(ev->own_address, 1);
    assert_ami_ok(ami_link_send_apdu(server, ev->apdu, 0));
  }
}

static void test_loopback(void **state) {
  (void)state;
  static const size_t sizes[] = {0, 1, 2, 7, 8, 9, 100, 1000, 65535};
  for (size_t chunk = 0; chunk <= 3; chunk += 3) {
    ami_wrapper_link c, s;
    ami_wrapper_link_config cc = config(AMI_LINK_CLIENT, 0x10, 1);
    ami_wrapper_link_config sc = config(AMI_LINK_SERVER, 1, 0);
    ami_link *cl = ami_wrapper_link_init(&c, &cc);
    ami_link *sl = ami_wrapper_link_init(&s, &sc);
    ami_test_link_pair p;
    ami_test_link_pair_init(&p, cl, sl, AMI_TEST_LINK_WRAPPER);
    p.chunk = chunk;
    p.on_event = echo;
    p.user = sl;
    assert_ami_ok(ami_link_connect(cl, 0));
    ami_test_link_pair_flush(&p);
    assert_int_equal(p.count[0][AMI_LINK_EV_CONNECTED], 1);
    assert_int_equal(p.count[1][AMI_LINK_EV_CONNECTED], 1);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
      size_t n = sizes[i];
      uint8_t *b = malloc(n + 1);
      for (size_t j = 0; j < n; j++)
        b[j] = (uint8_t)(j * 7 + i);
      assert_ami_ok(ami_link_send_apdu(cl, ami_span_make(b, n), 0));
      ami_test_link_pair_flush(&p);
      assert_int_equal(p.count[0][AMI_LINK_EV_APDU], i + 1);
      assert_int_equal(p.apdu_len[0], n);
      assert_int_equal(p.apdu_len[1], n);
      if (n) {
        assert_memory_equal(p.apdu[0], b, n);
        assert_memory_equal(p.apdu[1], b, n);
      }
      free(b);
    }
    assert_int_equal(p.count[0][AMI_LINK_EV_ERROR], 0);
    ami_test_link_pair_free(&p);
    ami_link_free(cl);
    ami_link_free(sl);
  }
}

/* The exact bytes of one PDU, checked against the recorded AARQ. */
static void test_encode_exact(void **state) {
  (void)state;
  ami_wrapper_link c;
  ami_wrapper_link_config cc = config(AMI_LINK_CLIENT, 0x10, 1);
  ami_link *cl = ami_wrapper_link_init(&c, &cc);
  assert_ami_ok(ami_link_connect(cl, 0));
  size_t n;
  uint8_t *aarq = ami_test_hex(AARQ_HEX, &n);
  assert_ami_ok(ami_link_send_apdu(cl, ami_span_make(aarq, n), 0));
  free(aarq); /* the link copied it */
  uint8_t out[128];
  assert_true(ami_link_want_write(cl));
  size_t got = ami_link_pull(cl, out, sizeof out, 0);
  ami_test_assert_bytes(out, got, AARQ_PDU_HEX);
  assert_false(ami_link_want_write(cl));
  assert_int_equal(ami_link_pull(cl, out, sizeof out, 0), 0);
  ami_link_free(cl);
}

/* ---------------------------------------------------------------------- */
/* Replay of the recorded session                                          */

typedef struct stream {
  uint8_t *b;
  size_t n;
} stream;

static void stream_add(stream *s, const uint8_t *p, size_t n) {
  s->b = realloc(s->b, s->n + n + 1);
  assert_non_null(s->b);
  memcpy(s->b + s->n, p, n);
  s->n += n;
}

/* The recorded APDUs of one direction, and the whole byte stream. */
static void split_session(const ami_test_recording *r, bool tx, stream *all) {
  memset(all, 0, sizeof *all);
  for (size_t i = 0; i < r->n; i++)
    if (r->f[i].tx == tx)
      stream_add(all, r->f[i].bytes, r->f[i].len);
}

/* Our server fed the Gurux client's stream in pieces given by `cut` (all
 * chunk boundaries), answering each request with the recorded answer: what
 * it sends must be the Gurux server's stream exactly. */
static void server_replay(const ami_test_recording *r, const stream *txs,
                          const stream *rxs, size_t chunk, size_t split) {
  ami_wrapper_link s;
  ami_wrapper_link_config sc = config(AMI_LINK_SERVER, 1, 0);
  ami_link *sl = ami_wrapper_link_init(&s, &sc);
  stream out = {NULL, 0};
  size_t next_rx = 0, off = 0;
  uint8_t *g = ami_test_guarded_copy(txs->b, txs->n);
  while (off < txs->n) {
    size_t len = chunk ? chunk : txs->n;
    if (split && off < split && off + len > split)
      len = split - off;
    if (len > txs->n - off)
      len = txs->n - off;
    ami_link_event evs[64];
    size_t k = feed(sl, g + off, len, evs, 64);
    off += len;
    for (size_t e = 0; e < k; e++) {
      if (evs[e].kind != AMI_LINK_EV_APDU)
        continue;
      while (r->f[next_rx].tx)
        next_rx++;
      const ami_test_rec_frame *f = &r->f[next_rx++];
      assert_ami_ok(
          ami_link_send_apdu(sl, ami_span_make(f->bytes + 8, f->len - 8), 0));
      uint8_t buf[70000];
      size_t n = ami_link_pull(sl, buf, sizeof buf, 0);
      stream_add(&out, buf, n);
    }
  }
  assert_int_equal(out.n, rxs->n);
  assert_memory_equal(out.b, rxs->b, rxs->n);
  ami_test_guarded_free(g, txs->n);
  free(out.b);
  ami_link_free(sl);
}

static void test_gurux_server_replay(void **state) {
  (void)state;
  ami_test_recording r;
  if (!ami_test_recording_load(&r, SESSION))
    skip();
  stream txs, rxs;
  split_session(&r, true, &txs);
  split_session(&r, false, &rxs);
  assert_true(txs.n > 100);
  for (size_t chunk = 0; chunk <= 64; chunk++)
    server_replay(&r, &txs, &rxs, chunk, 0);
  for (size_t split = 1; split < txs.n; split++)
    server_replay(&r, &txs, &rxs, 0, split);
  free(txs.b);
  free(rxs.b);
  ami_test_recording_free(&r);
}

/* Our client sends the recorded requests (its stream must be the Gurux
 * client's) and is fed the Gurux server's stream in every chunking: it
 * yields the recorded answers. */
static void client_replay(const ami_test_recording *r, const stream *rxs,
                          size_t chunk) {
  ami_wrapper_link c;
  ami_wrapper_link_config cc = config(AMI_LINK_CLIENT, 0x10, 1);
  ami_link *cl = ami_wrapper_link_init(&c, &cc);
  assert_ami_ok(ami_link_connect(cl, 0));
  assert_int_equal(expire(cl).kind, AMI_LINK_EV_CONNECTED);
  /* Requests, each pulled and compared with its recorded PDU. */
  for (size_t i = 0; i < r->n; i++) {
    if (!r->f[i].tx)
      continue;
    const ami_test_rec_frame *f = &r->f[i];
    assert_ami_ok(
        ami_link_send_apdu(cl, ami_span_make(f->bytes + 8, f->len - 8), 0));
    uint8_t buf[1024];
    size_t n = ami_link_pull(cl, buf, sizeof buf, 0);
    assert_int_equal(n, f->len);
    assert_memory_equal(buf, f->bytes, n);
  }
  /* Answers. */
  size_t next_rx = 0, off = 0;
  uint8_t *g = ami_test_guarded_copy(rxs->b, rxs->n);
  while (off < rxs->n) {
    size_t len = chunk && chunk < rxs->n - off ? chunk : rxs->n - off;
    size_t part = 0;
    for (;;) {
      /* Each event checked at once: its APDU is valid until the next call. */
      size_t used;
      ami_link_event ev;
      int rc = ami_link_recv(cl, g + off + part, len - part, &used, 0, &ev);
      part += used;
      if (rc == AMI_E_AGAIN)
        break;
      assert_ami_ok(rc);
      assert_int_equal(ev.kind, AMI_LINK_EV_APDU);
      while (r->f[next_rx].tx)
        next_rx++;
      const ami_test_rec_frame *f = &r->f[next_rx++];
      assert_int_equal(ev.apdu.len, f->len - 8);
      assert_memory_equal(ev.apdu.p, f->bytes + 8, f->len - 8);
      assert_int_equal(ev.peer_address, 1);
    }
    assert_int_equal(part, len);
    off += len;
  }
  while (next_rx < r->n && r->f[next_rx].tx)
    next_rx++;
  assert_int_equal(next_rx, r->n);
  ami_test_guarded_free(g, rxs->n);
  ami_link_free(cl);
}

static void test_gurux_client_replay(void **state) {
  (void)state;
  ami_test_recording r;
  if (!ami_test_recording_load(&r, SESSION))
    skip();
  stream txs, rxs;
  split_session(&r, true, &txs);
  split_session(&r, false, &rxs);
  for (size_t chunk = 0; chunk <= 600; chunk += chunk < 16 ? 1 : 37)
    client_replay(&r, &rxs, chunk);
  free(txs.b);
  free(rxs.b);
  ami_test_recording_free(&r);
}

/* ---------------------------------------------------------------------- */
/* Errors, addressing, limits                                               */

static void test_fatal_errors(void **state) {
  (void)state;
  static const char *const bad[] = {
      "00 02 00 10 00 01 00 01 C0",             /* version 2 */
      "00 01 00 10 00 01 00 C9" /* 201 > 200 */ /* too long */
  };
  static const int err[] = {AMI_E_WRAPPER_VERSION, AMI_E_WRAPPER_TOO_LONG};
  for (size_t i = 0; i < 2; i++) {
    ami_wrapper_link s;
    ami_wrapper_link_config sc = config(AMI_LINK_SERVER, 1, 0);
    sc.max_apdu = 200;
    ami_link *sl = ami_wrapper_link_init(&s, &sc);
    size_t n;
    uint8_t *b = ami_test_hex(bad[i], &n);
    ami_link_event evs[4];
    size_t k = feed(sl, b, n, evs, 4);
    /* ERROR, then DISCONNECTED, once; every later byte is ignored. */
    assert_int_equal(k, 3);
    assert_int_equal(evs[0].kind, AMI_LINK_EV_CONNECTED);
    assert_int_equal(evs[1].kind, AMI_LINK_EV_ERROR);
    assert_ami(err[i], evs[1].error);
    assert_int_equal(evs[2].kind, AMI_LINK_EV_DISCONNECTED);
    assert_ami(err[i], evs[2].error);
    assert_false(ami_link_is_connected(sl));
    k = feed(sl, b, n, evs, 4);
    assert_int_equal(k, 0);
    assert_ami(AMI_E_STATE, ami_link_send_apdu(sl, ami_span_make(b, 1), 0));
    free(b);
    ami_link_free(sl);
  }
}

/* PDUs for another wPort, or from a client other than the configured one,
 * are dropped and counted. */
static void test_wports(void **state) {
  (void)state;
  ami_wrapper_link s;
  ami_wrapper_link_config sc = config(AMI_LINK_SERVER, 1, 0x10);
  ami_link *sl = ami_wrapper_link_init(&s, &sc);
  size_t n;
  uint8_t *b = ami_test_hex("00 01 00 10 00 02 00 01 AA"  /* to wPort 2 */
                            "00 01 00 20 00 01 00 01 BB"  /* from 0x20 */
                            "00 01 00 10 00 01 00 01 CC", /* ours */
                            &n);
  ami_link_event evs[4];
  size_t k = feed(sl, b, n, evs, 4);
  assert_int_equal(k, 2);
  assert_int_equal(evs[1].kind, AMI_LINK_EV_APDU);
  assert_int_equal(evs[1].apdu.len, 1);
  assert_int_equal(evs[1].apdu.p[0], 0xCC);
  assert_int_equal(s.ignored, 2);
  /* The answer goes to the configured client. */
  assert_ami_ok(ami_link_send_apdu(sl, ami_span_make("\x01", 1), 0));
  uint8_t out[16];
  size_t got = ami_link_pull(sl, out, sizeof out, 0);
  ami_test_assert_bytes(out, got, "00 01 00 01 00 10 00 01 01");
  free(b);
  ami_link_free(sl);
}

static void test_limits(void **state) {
  (void)state;
  ami_wrapper_link c;
  ami_wrapper_link_config cc = config(AMI_LINK_CLIENT, 0x10, 1);
  cc.max_apdu = 30;
  cc.send_queue_max = 60;
  ami_link *cl = ami_wrapper_link_init(&c, &cc);
  assert_ami_ok(ami_link_connect(cl, 0));
  uint8_t apdu[31] = {0};
  assert_ami(AMI_E_LIMIT, ami_link_send_apdu(cl, ami_span_make(apdu, 31), 0));
  assert_ami_ok(ami_link_send_apdu(cl, ami_span_make(apdu, 20), 0));
  assert_ami_ok(ami_link_send_apdu(cl, ami_span_make(apdu, 22), 0));
  /* 28 + 30 = 58 queued: 3 more bytes would pass the cap. */
  assert_ami(AMI_E_LIMIT, ami_link_send_apdu(cl, ami_span_make(apdu, 0), 0));
  assert_true(c.txq.len <= 60);
  /* pull: whole PDUs when they fit, a cut PDU only when one does not. */
  uint8_t out[64];
  assert_int_equal(ami_link_pull(cl, out, 40, 0), 28);
  assert_int_equal(ami_link_pull(cl, out, 10, 0), 10);
  /* The pulled part is reclaimed: room for another PDU. */
  assert_ami_ok(ami_link_send_apdu(cl, ami_span_make(apdu, 20), 0));
  assert_int_equal(ami_link_pull(cl, out, 64, 0), 20 + 28);
  assert_false(ami_link_want_write(cl));
  /* A disconnect drops what was not pulled. */
  assert_ami_ok(ami_link_send_apdu(cl, ami_span_make(apdu, 20), 0));
  assert_ami_ok(ami_link_disconnect(cl, 0));
  assert_false(ami_link_want_write(cl));
  ami_link_free(cl);
}

/* Every allocation failing in turn: AMI_E_NOMEM from send_apdu (nothing
 * queued) or from recv (a failure of the link), never a leak. */
static void test_failing_allocator(void **state) {
  (void)state;
  for (long at = 0; at < 6; at++) {
    ami_test_failalloc fa;
    ami_test_failalloc_init(&fa, at);
    ami_wrapper_link c, s;
    ami_wrapper_link_config cc = config(AMI_LINK_CLIENT, 0x10, 1);
    ami_wrapper_link_config sc = config(AMI_LINK_SERVER, 1, 0);
    cc.alloc = sc.alloc = &fa.base;
    ami_link *cl = ami_wrapper_link_init(&c, &cc);
    ami_link *sl = ami_wrapper_link_init(&s, &sc);
    assert_ami_ok(ami_link_connect(cl, 0));
    uint8_t apdu[300];
    memset(apdu, 0x5A, sizeof apdu);
    int rc = ami_link_send_apdu(cl, ami_span_make(apdu, sizeof apdu), 0);
    if (rc != AMI_OK) {
      assert_ami(AMI_E_NOMEM, rc);
      assert_false(ami_link_want_write(cl));
    } else {
      uint8_t out[400];
      size_t n = ami_link_pull(cl, out, sizeof out, 0);
      assert_int_equal(n, 308);
      /* Fed in two pieces, the server must gather the APDU. */
      size_t used, got = 0;
      ami_link_event ev;
      size_t off = 0;
      int last = AMI_OK;
      for (size_t piece = 0; piece < 2; piece++) {
        size_t end = piece ? n : 100;
        for (;;) {
          last = ami_link_recv(sl, out + off, end - off, &used, 0, &ev);
          off += used;
          if (last != AMI_OK)
            break;
          if (ev.kind == AMI_LINK_EV_APDU) {
            assert_int_equal(ev.apdu.len, 300);
            got++;
          }
        }
        if (last != AMI_E_AGAIN)
          break;
      }
      assert_true(got == 1 || last == AMI_E_NOMEM);
    }
    ami_link_free(cl);
    ami_link_free(sl);
    assert_int_equal(fa.live, 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_connect_events),
      cmocka_unit_test(test_loopback),
      cmocka_unit_test(test_encode_exact),
      cmocka_unit_test(test_gurux_server_replay),
      cmocka_unit_test(test_gurux_client_replay),
      cmocka_unit_test(test_fatal_errors),
      cmocka_unit_test(test_wports),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_failing_allocator),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
