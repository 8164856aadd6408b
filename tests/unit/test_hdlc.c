/*
 * test_hdlc.c -- lib/codec HDLC (IEC 62056-46): addresses, control field,
 * frame codec, streaming deframer, SNRM/UA parameters, LLC, segmentation.
 *
 * Golden vectors: ../shared/vectors/dlms/VECTORS.md §3 (copied below), and
 * the recorded Gurux sessions gurux-sessions/gurux_hdlc_*.txt (read at run
 * time; those tests skip when shared/ is absent).
 */
#include "ami_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_buf.h"
#include "ami/ami_crc.h"
#include "ami/ami_hdlc.h"
#include "ami/ami_hex.h"

/* VECTORS.md §3. */
#define SNRM_HEX "7EA00802232193BD647E"
#define UA_HEX                                                                 \
  "7EA01F21022373E6C781801205019A06019A070400000001080400000001CCA27E"
/* The SNRM of the recorded session (client 16 to server 1, one-byte). */
#define SNRM1_HEX "7EA0070321930F017E"

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */

static void assert_addr(const ami_hdlc_addr *a, unsigned upper, unsigned lower,
                        unsigned size) {
  assert_int_equal(a->upper, upper);
  assert_int_equal(a->lower, lower);
  assert_int_equal(a->size, size);
}

static void assert_frame_eq(const ami_hdlc_frame *a, const ami_hdlc_frame *b) {
  assert_true(ami_hdlc_addr_eq(&a->dst, &b->dst));
  assert_true(ami_hdlc_addr_eq(&a->src, &b->src));
  assert_int_equal(a->control.kind, b->control.kind);
  assert_int_equal(a->control.ns, b->control.ns);
  assert_int_equal(a->control.nr, b->control.nr);
  assert_int_equal(a->control.pf, b->control.pf);
  assert_int_equal(a->segmented, b->segmented);
  assert_int_equal(a->info.len, b->info.len);
  assert_true(ami_span_eq(a->info, b->info));
}

/* Decodes `hex` as one frame (from a guarded copy, so any over-read faults),
 * checks it re-encodes to the same bytes, and returns the decoded fields.
 * The frame's info borrows *keep, which the caller frees with
 * ami_test_guarded_free(*keep, *n). */
static ami_hdlc_frame decode_roundtrip(const uint8_t *bytes, size_t n,
                                       uint8_t **keep) {
  uint8_t *g = ami_test_guarded_copy(bytes, n);
  ami_hdlc_frame f;
  size_t used = 0;
  assert_ami_ok(ami_hdlc_frame_decode(ami_span_make(g, n), &f, &used));
  assert_int_equal(used, n);
  assert_ami_ok(ami_hdlc_frame_decode(ami_span_make(g, n), &f, NULL));
  uint8_t out[AMI_HDLC_MAX_LEN + 2];
  ami_wr w;
  ami_wr_init(&w, out, sizeof out);
  assert_ami_ok(ami_hdlc_frame_encode(&w, &f));
  assert_int_equal(w.len, n);
  assert_memory_equal(out, bytes, n);
  *keep = g;
  return f;
}

/* A deframer run checked event by event against an expected list. */
typedef struct expect {
  int rc;
  ami_hdlc_frame f; /* when rc == AMI_OK */
} expect;

typedef struct checker {
  ami_hdlc_deframer d;
  const expect *ex;
  size_t nex;
  size_t k; /* events seen */
} checker;

static void checker_init(checker *c, const expect *ex, size_t nex,
                         size_t max_info) {
  ami_hdlc_deframer_init(&c->d, max_info);
  c->ex = ex;
  c->nex = nex;
  c->k = 0;
}

/* Feeds one piece, draining every event it produces. */
static void checker_feed(checker *c, const uint8_t *p, size_t n) {
  for (;;) {
    size_t used = 0;
    ami_hdlc_frame f;
    int rc = ami_hdlc_deframer_feed(&c->d, p, n, &used, &f);
    assert_true(used <= n);
    if (used)
      p += used; /* p may be NULL when used is 0 */
    n -= used;
    if (rc == AMI_E_AGAIN) {
      assert_int_equal(n, 0);
      return;
    }
    if (c->k >= c->nex)
      fail_msg("unexpected event %zu: %s", c->k, ami_err_name(rc));
    if (rc != c->ex[c->k].rc)
      fail_msg("event %zu: got %s, expected %s", c->k, ami_err_name(rc),
               ami_err_name(c->ex[c->k].rc));
    if (rc == AMI_OK)
      assert_frame_eq(&f, &c->ex[c->k].f);
    c->k++;
  }
}

static void checker_done(checker *c) {
  checker_feed(c, NULL, 0);
  if (c->k != c->nex)
    fail_msg("saw %zu events, expected %zu", c->k, c->nex);
}

/* The stream must give the expected events whole, split in two at every
 * offset, and byte by byte. */
static void check_all_splits(const uint8_t *p, size_t n, const expect *ex,
                             size_t nex, size_t max_info) {
  checker c;
  checker_init(&c, ex, nex, max_info);
  checker_feed(&c, p, n);
  checker_done(&c);
  for (size_t cut = 0; cut <= n; cut++) {
    checker_init(&c, ex, nex, max_info);
    checker_feed(&c, p, cut);
    checker_feed(&c, p + cut, n - cut);
    checker_done(&c);
  }
  checker_init(&c, ex, nex, max_info);
  for (size_t i = 0; i < n; i++)
    checker_feed(&c, p + i, 1);
  checker_done(&c);
}

/* ---------------------------------------------------------------------- */
/* Recorded sessions                                                       */

typedef struct rec {
  bool rx; /* server to client */
  uint8_t *p;
  size_t n;
} rec;

typedef struct session {
  rec *r;
  size_t n;
  uint8_t *all; /* every frame, concatenated in order */
  size_t all_len;
} session;

/* Reads the TX/RX lines of a recorded session. Returns false when shared/
 * is absent. */
static bool load_session(const char *name, session *s) {
  char rel[256];
  snprintf(rel, sizeof rel, "vectors/dlms/gurux-sessions/%s", name);
  const char *path = ami_test_shared_path(rel);
  if (path == NULL)
    return false;
  size_t len;
  char *text = ami_test_read_file(path, &len);
  assert_non_null(text);
  s->r = calloc(1024, sizeof *s->r);
  s->n = 0;
  s->all = malloc(len / 2 + 1);
  s->all_len = 0;
  assert_non_null(s->r);
  assert_non_null(s->all);
  for (char *line = text; line && *line;) {
    char *end = strchr(line, '\n');
    if (end)
      *end = '\0';
    bool tx = strncmp(line, "TX:", 3) == 0, rx = strncmp(line, "RX:", 3) == 0;
    if (tx || rx) {
      assert_true(s->n < 1024);
      rec *r = &s->r[s->n++];
      r->rx = rx;
      r->p = ami_test_hex(line + 3, &r->n);
      memcpy(s->all + s->all_len, r->p, r->n);
      s->all_len += r->n;
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
  free(s->r);
  free(s->all);
}

static const char *const hdlc_sessions[] = {
    "gurux_hdlc_ln_none_clock.txt",
    "gurux_hdlc_ln_hlsgmac_ae_clock.txt",
};

/* Reads an A-XDR length (X.690-style: < 0x80 one byte, else 0x8N and N
 * bytes). Returns the bytes used, 0 on error. */
static size_t axdr_len(const uint8_t *p, size_t n, size_t *len) {
  if (n == 0)
    return 0;
  if (p[0] < 0x80) {
    *len = p[0];
    return 1;
  }
  size_t k = p[0] & 0x7F;
  if (k == 0 || k > 4 || n < 1 + k)
    return 0;
  size_t v = 0;
  for (size_t i = 0; i < k; i++)
    v = v << 8 | p[1 + i];
  *len = v;
  return 1 + k;
}

/* The length a reassembled server response must have according to its own
 * inner structure: the LLC header plus either a GET-response-with-datablock
 * (C4 02 invoke last-block block-number(4) choice(00 = raw-data) length data)
 * or a general-glo-ciphering APDU (DB system-title(len+8) length ciphered). */
static size_t expected_apdu_len(const uint8_t *p, size_t n) {
  size_t v = 0, k;
  assert_true(n > 12);
  if (p[3] == 0xC4 && p[4] == 0x02) {
    assert_int_equal(p[11], 0x00); /* raw-data */
    k = axdr_len(p + 12, n - 12, &v);
    assert_true(k > 0);
    return 12 + k + v;
  }
  if (p[3] == 0xDB) {
    assert_int_equal(p[4], 8); /* system title length */
    k = axdr_len(p + 13, n - 13, &v);
    assert_true(k > 0);
    return 13 + k + v;
  }
  fail_msg("unexpected reassembled APDU tag %02X", p[3]);
  return 0;
}

/* Every frame decodes and re-encodes byte for byte; sequence numbers advance
 * as IEC 62056-46 says; segmented responses reassemble into APDUs whose
 * length is what their inner structure announces. */
static void test_sessions_frames(void **state) {
  (void)state;
  for (size_t si = 0; si < 2; si++) {
    session s;
    if (!load_session(hdlc_sessions[si], &s))
      skip();
    uint8_t cvs = 0, svs = 0; /* V(S) of client and of server */
    ami_hdlc_reasm ra;
    ami_hdlc_reasm_init(&ra, 4096, NULL);
    size_t reassembled = 0, segments = 0;
    for (size_t i = 0; i < s.n; i++) {
      uint8_t *g;
      ami_hdlc_frame f = decode_roundtrip(s.r[i].p, s.r[i].n, &g);
      const ami_hdlc_control *c = &f.control;
      /* The client is 0x21 (16) or 0x03 (1); the server one-byte 1. */
      const ami_hdlc_addr *client = s.r[i].rx ? &f.dst : &f.src;
      const ami_hdlc_addr *server = s.r[i].rx ? &f.src : &f.dst;
      assert_int_equal(client->size, 1);
      assert_addr(server, 1, 0, 1);
      assert_int_equal(c->pf, true); /* every frame polls or is final */
      if (c->kind == AMI_HDLC_SNRM || c->kind == AMI_HDLC_UA) {
        cvs = svs = 0; /* (re)set by the mode setting */
        ami_hdlc_params p;
        assert_ami_ok(ami_hdlc_params_decode(f.info, &p));
        if (f.info.len) { /* the recorded UA: 128 bytes, window 1 */
          assert_int_equal(p.max_info_tx, 128);
          assert_int_equal(p.max_info_rx, 128);
          assert_int_equal(p.window_tx, 1);
          assert_int_equal(p.window_rx, 1);
          assert_int_equal(p.present, AMI_HDLC_HAS_ALL);
        }
      } else if (c->kind == AMI_HDLC_I || c->kind == AMI_HDLC_RR) {
        uint8_t *vs = s.r[i].rx ? &svs : &cvs;
        uint8_t peer_vs = s.r[i].rx ? cvs : svs;
        if (c->kind == AMI_HDLC_I) {
          assert_int_equal(c->ns, *vs);
          *vs = ami_hdlc_seq_next(*vs);
        }
        /* N(R) acknowledges every I frame the peer has sent so far. */
        assert_int_equal(c->nr, peer_vs);
      } else {
        assert_true(c->kind == AMI_HDLC_DISC);
      }
      if (c->kind == AMI_HDLC_I) {
        ami_span apdu;
        ami_hdlc_llc_dir dir =
            s.r[i].rx ? AMI_HDLC_LLC_RESPONSE : AMI_HDLC_LLC_COMMAND;
        if (s.r[i].rx) {
          if (f.segmented)
            segments++;
          int rc = ami_hdlc_reasm_add(&ra, f.info, f.segmented, &apdu);
          if (rc == AMI_E_AGAIN) {
            /* The client answers a segment with RR. */
            assert_true(i + 1 < s.n && !s.r[i + 1].rx);
            ami_test_guarded_free(g, s.r[i].n);
            continue;
          }
          assert_ami_ok(rc);
        } else {
          apdu = f.info;
        }
        ami_span inner;
        assert_ami_ok(ami_hdlc_llc_strip(apdu, dir, &inner));
        if (apdu.len > 128) { /* it was segmented */
          assert_int_equal(apdu.len, expected_apdu_len(apdu.p, apdu.len));
          reassembled++;
        }
      }
      ami_test_guarded_free(g, s.r[i].n);
    }
    /* Both sessions read the association view in several long blocks. */
    assert_true(reassembled >= 9);
    assert_true(segments >= 2 * reassembled);
    ami_hdlc_reasm_free(&ra);
    free_session(&s);
  }
}

/* The first segmented response of the clock session starts E6 E7 00 C4 02,
 * block 1, raw-data of 0x1DA bytes (the recorded bytes; see expected_apdu_len
 * for the structure). */
static void test_session_first_block(void **state) {
  (void)state;
  session s;
  if (!load_session(hdlc_sessions[0], &s))
    skip();
  ami_hdlc_deframer d;
  ami_hdlc_deframer_init(&d, 128);
  ami_hdlc_reasm ra;
  ami_hdlc_reasm_init(&ra, 2048, NULL);
  size_t i = 0, rx_seen = 0;
  ami_span apdu = {NULL, 0};
  for (; i < s.n; i++) {
    if (!s.r[i].rx)
      continue;
    size_t used;
    ami_hdlc_frame f;
    assert_ami_ok(ami_hdlc_deframer_feed(&d, s.r[i].p, s.r[i].n, &used, &f));
    assert_int_equal(used, s.r[i].n);
    rx_seen++;
    if (f.control.kind != AMI_HDLC_I)
      continue;
    int rc = ami_hdlc_reasm_add(&ra, f.info, f.segmented, &apdu);
    if (rc == AMI_OK && apdu.len > 128)
      break;
  }
  assert_true(i < s.n);
  ami_test_assert_bytes(apdu.p, 15, "E6E700 C402 C1 00 00000001 00 8201DA");
  assert_int_equal(apdu.len, 3 + 12 + 0x1DA);
  ami_hdlc_reasm_free(&ra);
  free_session(&s);
}

/* Streaming equals one-shot over the whole session, cut anywhere. */
static void test_sessions_streaming(void **state) {
  (void)state;
  for (size_t si = 0; si < 2; si++) {
    session s;
    if (!load_session(hdlc_sessions[si], &s))
      skip();
    expect *ex = calloc(s.n, sizeof *ex);
    assert_non_null(ex);
    size_t off = 0;
    for (size_t i = 0; i < s.n; i++) {
      ex[i].rc = AMI_OK;
      size_t used;
      assert_ami_ok(ami_hdlc_frame_decode(
          ami_span_make(s.all + off, s.all_len - off), &ex[i].f, &used));
      assert_int_equal(used, s.r[i].n);
      off += used;
    }
    check_all_splits(s.all, s.all_len, ex, s.n, 0);
    /* Each frame alone: every split, every truncation. */
    for (size_t i = 0; i < s.n; i++) {
      check_all_splits(s.r[i].p, s.r[i].n, &ex[i], 1, 0);
      for (size_t k = 0; k < s.r[i].n; k++) {
        ami_hdlc_deframer d;
        ami_hdlc_deframer_init(&d, 0);
        size_t used;
        ami_hdlc_frame f;
        uint8_t *g = ami_test_guarded_copy(s.r[i].p, k);
        assert_ami(AMI_E_AGAIN, ami_hdlc_deframer_feed(&d, g, k, &used, &f));
        assert_int_equal(used, k);
        assert_ami(AMI_E_TRUNCATED,
                   ami_hdlc_frame_decode(ami_span_make(g, k), &f, &used));
        ami_test_guarded_free(g, k);
      }
    }
    free(ex);
    free_session(&s);
  }
}

/* Damage one frame of the session in several ways: that frame is lost with
 * at least one error, every other frame still comes through, in order. */
static void test_sessions_damage(void **state) {
  (void)state;
  session s;
  if (!load_session(hdlc_sessions[0], &s))
    skip();
  uint8_t *buf = malloc(s.all_len + 16);
  expect *ex = calloc(s.n, sizeof *ex);
  assert_non_null(buf);
  assert_non_null(ex);
  for (size_t victim = 0; victim < s.n; victim++) {
    for (int how = 0; how < 5; how++) {
      size_t n = 0, m = 0;
      ami_hdlc_deframer d;
      ami_hdlc_deframer_init(&d, 0);
      for (size_t i = 0; i < s.n; i++) {
        const rec *r = &s.r[i];
        memcpy(buf + n, r->p, r->n);
        if (i == victim) {
          switch (how) {
          case 0:
            buf[n + r->n - 2] ^= 0x01;
            break; /* FCS */
          case 1:
            buf[n + 2] ^= 0x04;
            break; /* length */
          case 2:
            buf[n + 3] ^= 0x01;
            break; /* address ext bit */
          case 3:
            buf[n + r->n / 2] ^= 0x80;
            break; /* somewhere inside */
          default: /* a byte lost in the middle */
            memmove(buf + n + r->n / 2, buf + n + r->n / 2 + 1,
                    r->n - r->n / 2 - 1);
            n--;
            break;
          }
        } else {
          ex[m].rc = AMI_OK;
          assert_ami_ok(
              ami_hdlc_frame_decode(ami_span_make(r->p, r->n), &ex[m].f, NULL));
          m++;
        }
        n += r->n;
      }
      /* Feed in 7-byte pieces; collect frames, count errors. */
      size_t k = 0, errors = 0;
      for (size_t off = 0; off <= n; off += 7) {
        size_t piece = n - off < 7 ? n - off : 7;
        const uint8_t *p = buf + off;
        for (;;) {
          size_t used;
          ami_hdlc_frame f;
          int rc = ami_hdlc_deframer_feed(&d, p, piece, &used, &f);
          if (used)
            p += used; /* p may be NULL when used is 0 */
          piece -= used;
          if (rc == AMI_E_AGAIN)
            break;
          if (rc != AMI_OK) {
            errors++;
            continue;
          }
          if (k >= m)
            fail_msg("victim %zu how %d: extra frame", victim, how);
          assert_frame_eq(&f, &ex[k].f);
          k++;
        }
      }
      /* A byte lost from the last frame leaves it incomplete: the
       * deframer is still waiting for it, which is not an error yet. */
      bool waiting = victim == s.n - 1 && how == 4;
      if (k != m || (errors == 0) != waiting)
        fail_msg("victim %zu how %d: %zu of %zu frames, %zu errors", victim,
                 how, k, m, errors);
      assert_int_equal(d.errors, errors);
    }
  }
  free(ex);
  free(buf);
  free_session(&s);
}

/* With a maximum information length, longer frames are refused and the
 * rest still delivered. */
static void test_sessions_max_info(void **state) {
  (void)state;
  session s;
  if (!load_session(hdlc_sessions[0], &s))
    skip();
  expect *ex = calloc(s.n, sizeof *ex);
  assert_non_null(ex);
  size_t m = 0, refused = 0;
  for (size_t i = 0; i < s.n; i++) {
    ami_hdlc_frame f;
    assert_ami_ok(
        ami_hdlc_frame_decode(ami_span_make(s.r[i].p, s.r[i].n), &f, NULL));
    ex[m].rc = f.info.len > 100 ? AMI_E_HDLC_TOO_LONG : AMI_OK;
    ex[m].f = f;
    refused += ex[m].rc != AMI_OK;
    m++;
  }
  assert_true(refused > 10);
  checker c;
  checker_init(&c, ex, m, 100);
  checker_feed(&c, s.all, s.all_len);
  checker_done(&c);
  free(ex);
  free_session(&s);
}

/* ---------------------------------------------------------------------- */
/* VECTORS.md §3                                                           */

static void test_vector_snrm(void **state) {
  (void)state;
  size_t n;
  uint8_t *b = ami_test_hex(SNRM_HEX, &n), *g;
  ami_hdlc_frame f = decode_roundtrip(b, n, &g);
  assert_addr(&f.dst, 1, 17, 2); /* 02 23 */
  assert_addr(&f.src, 16, 0, 1); /* 21 */
  assert_int_equal(f.control.kind, AMI_HDLC_SNRM);
  assert_true(f.control.pf);       /* 0x93 = SNRM | P */
  assert_false(f.segmented);       /* format A0 */
  assert_int_equal(f.info.len, 0); /* no info: FCS only, BD 64 */
  /* Rebuilt from fields. */
  ami_hdlc_frame e = {ami_hdlc_addr_server(1, 17),
                      ami_hdlc_addr_client(16),
                      ami_hdlc_control_make(AMI_HDLC_SNRM, 0, 0, true),
                      false,
                      {NULL, 0}};
  uint8_t out[32];
  ami_wr w;
  ami_wr_init(&w, out, sizeof out);
  assert_ami_ok(ami_hdlc_frame_encode(&w, &e));
  ami_test_assert_bytes(out, w.len, SNRM_HEX);
  ami_test_guarded_free(g, n);
  free(b);
}

static void test_vector_ua(void **state) {
  (void)state;
  size_t n;
  uint8_t *b = ami_test_hex(UA_HEX, &n), *g;
  ami_hdlc_frame f = decode_roundtrip(b, n, &g);
  assert_addr(&f.dst, 16, 0, 1);
  assert_addr(&f.src, 1, 17, 2);
  assert_int_equal(f.control.kind, AMI_HDLC_UA);
  assert_true(f.control.pf); /* 0x73 = UA | F */
  ami_hdlc_params p;
  assert_ami_ok(ami_hdlc_params_decode(f.info, &p));
  /* VECTORS.md says "max info tx 410, rx 410", but the bytes are
   * 05 01 9A and 06 01 9A: parameter id, length 1, value 0x9A = 154. */
  assert_int_equal(p.max_info_tx, 154);
  assert_int_equal(p.max_info_rx, 154);
  assert_int_equal(p.window_tx, 1);
  assert_int_equal(p.window_rx, 1);
  assert_int_equal(p.present, AMI_HDLC_HAS_ALL);
  uint8_t out[64];
  ami_wr w;
  ami_wr_init(&w, out, sizeof out);
  assert_ami_ok(ami_hdlc_params_encode(&w, &p));
  assert_int_equal(w.len, f.info.len);
  assert_memory_equal(out, f.info.p, w.len);
  ami_test_guarded_free(g, n);
  free(b);
}

static void test_vector_crc(void **state) {
  (void)state;
  /* CRC of A0 07 03 21 93 transmitted as 0F 01; it is the FCS of the
   * recorded SNRM 7E A0 07 03 21 93 0F 01 7E. */
  const uint8_t h[] = {0xA0, 0x07, 0x03, 0x21, 0x93};
  uint16_t crc = ami_crc16_x25(h, sizeof h);
  assert_int_equal(crc & 0xFF, 0x0F);
  assert_int_equal(crc >> 8, 0x01);
  size_t n;
  uint8_t *b = ami_test_hex(SNRM1_HEX, &n), *g;
  ami_hdlc_frame f = decode_roundtrip(b, n, &g);
  assert_addr(&f.dst, 1, 0, 1);
  assert_addr(&f.src, 16, 0, 1);
  ami_test_guarded_free(g, n);
  free(b);
}

static void test_addresses(void **state) {
  (void)state;
  uint8_t out[8];
  ami_wr w;
  /* VECTORS.md §3, then the 4-byte form and the special addresses. */
  static const struct {
    ami_hdlc_addr a;
    const char *hex;
  } cases[] = {
      {{1, 0, 1}, "03"},
      {{16, 0, 1}, "21"},
      {{0x4A, 0, 1}, "95"},
      {{1, 17, 2}, "0223"},
      {{0x3FFF, 0x3FFE, 4}, "FEFEFEFD"},
      {{0x0081, 0x0100, 4}, "0202 0401"},
      {{AMI_HDLC_ADDR_ALL_STATION, 0, 1}, "FF"},
      {{AMI_HDLC_ADDR_NO_STATION, 0, 1}, "01"},
      {{1, AMI_HDLC_ADDR_CALLING, 2}, "02FD"},
      {{AMI_HDLC_ADDR_ALL_STATION_14, AMI_HDLC_ADDR_ALL_STATION_14, 4},
       "FEFEFEFF"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ami_wr_init(&w, out, sizeof out);
    assert_ami_ok(ami_hdlc_addr_encode(&w, &cases[i].a));
    ami_test_assert_bytes(out, w.len, cases[i].hex);
    ami_rd r;
    ami_rd_init(&r, out, w.len);
    ami_hdlc_addr a;
    assert_ami_ok(ami_hdlc_addr_decode(&r, &a));
    assert_true(ami_hdlc_addr_eq(&a, &cases[i].a));
    assert_int_equal(r.pos, w.len);
    /* Every truncation. */
    for (size_t k = 0; k < w.len; k++) {
      ami_rd_init(&r, out, k);
      assert_ami(AMI_E_TRUNCATED, ami_hdlc_addr_decode(&r, &a));
      assert_int_equal(r.pos, 0);
    }
  }
  ami_hdlc_addr a = ami_hdlc_addr_server(1, 17);
  assert_addr(&a, 1, 17, 2);
  a = ami_hdlc_addr_server(0x80, 1);
  assert_addr(&a, 0x80, 1, 4);

  /* Malformed: 3 bytes, unterminated after 4, out-of-range parts. */
  static const uint8_t three[] = {0x02, 0x02, 0x03}, five[] = {2, 2, 2, 2, 3};
  ami_rd r;
  ami_rd_init(&r, three, sizeof three);
  assert_ami(AMI_E_HDLC_ADDRESS, ami_hdlc_addr_decode(&r, &a));
  ami_rd_init(&r, five, sizeof five);
  assert_ami(AMI_E_HDLC_ADDRESS, ami_hdlc_addr_decode(&r, &a));
  assert_int_equal(r.pos, 0);
  static const ami_hdlc_addr bad[] = {
      {0x80, 0, 1}, {1, 1, 1},      {0x80, 1, 2},
      {1, 0x80, 2}, {0x4000, 0, 4}, {1, 1, 3},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ami_wr_init(&w, out, sizeof out);
    assert_ami(AMI_E_HDLC_ADDRESS, ami_hdlc_addr_encode(&w, &bad[i]));
    assert_int_equal(w.len, 0);
  }
  ami_wr_init(&w, out, 1);
  a = ami_hdlc_addr_server(1, 17);
  assert_ami(AMI_E_BUFFER_FULL, ami_hdlc_addr_encode(&w, &a));
}

static void test_control(void **state) {
  (void)state;
  static const struct {
    uint8_t byte;
    ami_hdlc_kind kind;
    unsigned ns, nr;
    bool pf;
  } cases[] = {
      {0x93, AMI_HDLC_SNRM, 0, 0, true}, {0x83, AMI_HDLC_SNRM, 0, 0, false},
      {0x73, AMI_HDLC_UA, 0, 0, true},   {0x53, AMI_HDLC_DISC, 0, 0, true},
      {0x1F, AMI_HDLC_DM, 0, 0, true},   {0x97, AMI_HDLC_FRMR, 0, 0, true},
      {0x13, AMI_HDLC_UI, 0, 0, true},   {0x03, AMI_HDLC_UI, 0, 0, false},
      {0x10, AMI_HDLC_I, 0, 0, true},    {0x32, AMI_HDLC_I, 1, 1, true},
      {0xFE, AMI_HDLC_I, 7, 7, true},    {0x0E, AMI_HDLC_I, 7, 0, false},
      {0x51, AMI_HDLC_RR, 0, 2, true},   {0xE1, AMI_HDLC_RR, 0, 7, false},
      {0x15, AMI_HDLC_RNR, 0, 0, true},  {0xB5, AMI_HDLC_RNR, 0, 5, true},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ami_hdlc_control c;
    assert_ami_ok(ami_hdlc_control_decode(cases[i].byte, &c));
    assert_int_equal(c.kind, cases[i].kind);
    assert_int_equal(c.ns, cases[i].ns);
    assert_int_equal(c.nr, cases[i].nr);
    assert_int_equal(c.pf, cases[i].pf);
    uint8_t b;
    ami_hdlc_control e = ami_hdlc_control_make(cases[i].kind, cases[i].ns,
                                               cases[i].nr, cases[i].pf);
    assert_ami_ok(ami_hdlc_control_encode(&e, &b));
    assert_int_equal(b, cases[i].byte);
  }
  /* Codes DLMS does not use: REJ, SREJ, XID, TEST, SABM. */
  static const uint8_t unused[] = {0x09, 0x0D, 0xAF, 0xE3, 0x2F};
  for (size_t i = 0; i < sizeof unused; i++) {
    ami_hdlc_control c;
    assert_ami(AMI_E_HDLC_CONTROL, ami_hdlc_control_decode(unused[i], &c));
  }
  /* Every byte: accepted ones re-encode to themselves; 128 I codes,
   * 16 RR, 16 RNR and 6 unnumbered kinds with P/F 0 or 1. */
  unsigned accepted = 0;
  for (unsigned v = 0; v < 256; v++) {
    ami_hdlc_control c;
    if (ami_hdlc_control_decode((uint8_t)v, &c) != AMI_OK)
      continue;
    accepted++;
    uint8_t b;
    assert_ami_ok(ami_hdlc_control_encode(&c, &b));
    assert_int_equal(b, v);
  }
  assert_int_equal(accepted, 128 + 16 + 16 + 12);
  /* Encoding errors. */
  static const ami_hdlc_control bad[] = {
      {AMI_HDLC_I, 8, 0, false},        {AMI_HDLC_I, 0, 8, false},
      {AMI_HDLC_RR, 1, 0, false},       {AMI_HDLC_SNRM, 0, 1, true},
      {AMI_HDLC_UA, 2, 0, true},        {(ami_hdlc_kind)0, 0, 0, false},
      {(ami_hdlc_kind)99, 0, 0, false},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint8_t b;
    assert_ami(AMI_E_HDLC_CONTROL, ami_hdlc_control_encode(&bad[i], &b));
  }
  assert_int_equal(ami_hdlc_seq_next(6), 7);
  assert_int_equal(ami_hdlc_seq_next(7), 0);
}

/* ---------------------------------------------------------------------- */
/* Frame codec edge cases                                                  */

/* Encodes a frame into a malloc'd buffer. */
static uint8_t *encode_frame(const ami_hdlc_frame *f, size_t *n) {
  uint8_t *out = malloc(AMI_HDLC_MAX_LEN + 2);
  assert_non_null(out);
  ami_wr w;
  ami_wr_init(&w, out, AMI_HDLC_MAX_LEN + 2);
  assert_ami_ok(ami_hdlc_frame_encode(&w, f));
  *n = w.len;
  return out;
}

static void test_frame_encode_limits(void **state) {
  (void)state;
  static uint8_t info[AMI_HDLC_MAX_LEN];
  for (size_t i = 0; i < sizeof info; i++)
    info[i] = (uint8_t)(i * 7 + 0x7E); /* plenty of 7E inside */
  ami_hdlc_frame f = {ami_hdlc_addr_client(16), ami_hdlc_addr_server(1, 17),
                      ami_hdlc_control_make(AMI_HDLC_I, 3, 5, false), true,
                      ami_span_make(info, 0)};
  /* The largest frame: L = 2047 with these addresses (2+1+2+1+2+2 = 10). */
  f.info.len = AMI_HDLC_MAX_LEN - 10;
  size_t n;
  uint8_t *b = encode_frame(&f, &n);
  assert_int_equal(n, AMI_HDLC_MAX_LEN + 2);
  assert_int_equal(b[1], 0xA8 | 0x07); /* type A, S, L high bits 7 */
  assert_int_equal(b[2], 0xFF);
  ami_hdlc_frame d;
  assert_ami_ok(ami_hdlc_frame_decode(ami_span_make(b, n), &d, NULL));
  assert_frame_eq(&d, &f);
  free(b);
  /* One more byte does not fit the 11-bit length. */
  f.info.len++;
  uint8_t out[8];
  ami_wr w;
  ami_wr_init(&w, out, sizeof out);
  assert_ami(AMI_E_HDLC_TOO_LONG, ami_hdlc_frame_encode(&w, &f));
  f.info.len = 100000;
  assert_ami(AMI_E_HDLC_TOO_LONG, ami_hdlc_frame_encode(&w, &f));
  /* Too small an output buffer: nothing written, sticky error. */
  f.info.len = 10;
  ami_wr_init(&w, out, sizeof out);
  assert_ami(AMI_E_BUFFER_FULL, ami_hdlc_frame_encode(&w, &f));
  assert_int_equal(w.len, 0);
  /* Bad fields. */
  f.dst.size = 3;
  assert_ami(AMI_E_HDLC_ADDRESS, ami_hdlc_frame_encode(&w, &f));
  f.dst = ami_hdlc_addr_client(16);
  f.src.lower = 0x4000;
  assert_ami(AMI_E_HDLC_ADDRESS, ami_hdlc_frame_encode(&w, &f));
  f.src = ami_hdlc_addr_server(1, 17);
  f.control.ns = 9;
  assert_ami(AMI_E_HDLC_CONTROL, ami_hdlc_frame_encode(&w, &f));
}

/* Malformed frames, each with the error the one-shot decoder and the
 * deframer must both give. */
static void test_frame_decode_errors(void **state) {
  (void)state;
  static const struct {
    const char *hex;
    int rc;
    bool silent; /* the deframer takes it for garbage and says nothing */
  } cases[] = {
      /* the SNRM with its FCS (no HCS: no information) flipped */
      {"7EA00802232193BD657E", AMI_E_HDLC_FCS, false},
      /* format type 0xB: not a type-3 frame */
      {"7EB00802232193BD647E", AMI_E_HDLC_FORMAT, true},
      /* length 6: below the minimum */
      {"7EA006022321937E", AMI_E_HDLC_FORMAT, false},
      /* length 7 but a 4-byte destination leaves no room for the control */
      {"7EA007020202232193", AMI_E_HDLC_FORMAT, false},
      /* a 3-byte destination address */
      {"7EA009020203219300007E", AMI_E_HDLC_ADDRESS, false},
      /* an unterminated destination address */
      {"7EA0090202020202930000", AMI_E_HDLC_ADDRESS, false},
      /* 3 bytes after the control field (neither FCS nor HCS+info+FCS) */
      {"7EA0080321930000007E", AMI_E_HDLC_FORMAT, false},
      /* 4 bytes after it: HCS + empty information + FCS is not allowed */
      {"7EA009032193000000007E", AMI_E_HDLC_FORMAT, false},
      /* the UA with a damaged HCS */
      {"7EA01F21022373E6C881801205019A06019A070400000001080400000001CCA27E",
       AMI_E_HDLC_HCS, false},
      /* the UA with its closing flag replaced */
      {"7EA01F21022373E6C781801205019A06019A070400000001080400000001CCA27F",
       AMI_E_HDLC_FLAG, false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t n;
    uint8_t *b = ami_test_hex(cases[i].hex, &n);
    uint8_t *g = ami_test_guarded_copy(b, n);
    ami_hdlc_frame f;
    assert_ami(cases[i].rc,
               ami_hdlc_frame_decode(ami_span_make(g, n), &f, NULL));
    expect ex;
    memset(&ex, 0, sizeof ex);
    ex.rc = cases[i].rc;
    check_all_splits(g, n, &ex, cases[i].silent ? 0 : 1, 0);
    ami_test_guarded_free(g, n);
    free(b);
  }
  /* An unknown control code, with correct checks around it (built here:
   * the encoder refuses it, so patch a DISC into a TEST and fix the FCS). */
  size_t n;
  uint8_t *b = ami_test_hex("7EA00703215300007E", &n);
  b[5] = 0xF3; /* TEST | P */
  uint16_t fcs = ami_crc16_x25(b + 1, 5);
  b[6] = (uint8_t)fcs;
  b[7] = (uint8_t)(fcs >> 8);
  ami_hdlc_frame f;
  assert_ami(AMI_E_HDLC_CONTROL,
             ami_hdlc_frame_decode(ami_span_make(b, n), &f, NULL));
  expect ex;
  memset(&ex, 0, sizeof ex);
  ex.rc = AMI_E_HDLC_CONTROL;
  check_all_splits(b, n, &ex, 1, 0);
  free(b);
  /* No opening flag; empty input; bytes after the frame. */
  b = ami_test_hex("A00802232193BD647E", &n);
  assert_ami(AMI_E_HDLC_FLAG,
             ami_hdlc_frame_decode(ami_span_make(b, n), &f, NULL));
  assert_ami(AMI_E_TRUNCATED,
             ami_hdlc_frame_decode(ami_span_make(b, 0), &f, NULL));
  free(b);
  b = ami_test_hex(SNRM_HEX "7E", &n);
  assert_ami(AMI_E_TRAILING,
             ami_hdlc_frame_decode(ami_span_make(b, n), &f, NULL));
  size_t used;
  assert_ami_ok(ami_hdlc_frame_decode(ami_span_make(b, n), &f, &used));
  assert_int_equal(used, n - 1);
  free(b);
}

/* ---------------------------------------------------------------------- */
/* Deframer behaviour                                                      */

/* Builds a stream from pieces of hex, and the expected events. */
static void test_deframer_flags_and_garbage(void **state) {
  (void)state;
  size_t ns, nu;
  uint8_t *snrm = ami_test_hex(SNRM_HEX, &ns);
  uint8_t *ua = ami_test_hex(UA_HEX, &nu);
  ami_hdlc_frame fs, fu;
  assert_ami_ok(ami_hdlc_frame_decode(ami_span_make(snrm, ns), &fs, NULL));
  assert_ami_ok(ami_hdlc_frame_decode(ami_span_make(ua, nu), &fu, NULL));
  /* Shared flag: UA's closing flag opens the SNRM, whose closing flag
   * opens the next UA; fill flags; garbage (not starting with 0xA) before,
   * between and after. */
  uint8_t stream[512];
  size_t n = 0;
  const char *garbage = "00 FF 12 34";
#define ADD(p, len)                                                            \
  do {                                                                         \
    memcpy(stream + n, (p), (len));                                            \
    n += (len);                                                                \
  } while (0)
  size_t gn;
  uint8_t *gb = ami_test_hex(garbage, &gn);
  ADD(gb, gn);
  ADD(ua, nu);
  ADD(snrm + 1, ns - 1);  /* shares the UA's closing flag */
  ADD(ua + 1, nu - 1);    /* shares the SNRM's closing flag */
  ADD("\x7E\x7E\x7E", 3); /* fill flags */
  ADD(snrm, ns);
  ADD(gb, gn); /* garbage right after a closing flag */
  ADD("\x7E", 1);
  ADD(ua, nu);
  ADD(gb, gn);
  expect ex[] = {
      {AMI_OK, fu}, {AMI_OK, fs}, {AMI_OK, fu}, {AMI_OK, fs}, {AMI_OK, fu}};
  check_all_splits(stream, n, ex, 5, 0);
  ami_hdlc_deframer d;
  ami_hdlc_deframer_init(&d, 0);
  size_t used;
  ami_hdlc_frame f;
  for (size_t off = 0; off < n; off += used) {
    int rc = ami_hdlc_deframer_feed(&d, stream + off, n - off, &used, &f);
    if (rc == AMI_E_AGAIN)
      break;
    assert_ami_ok(rc);
  }
  assert_int_equal(d.frames, 5);
  assert_int_equal(d.errors, 0);
  assert_int_equal(d.discarded, 3 * gn);
  /* reset drops a partial frame. */
  ami_hdlc_deframer_reset(&d);
  assert_ami(AMI_E_AGAIN, ami_hdlc_deframer_feed(&d, ua, 10, &used, &f));
  ami_hdlc_deframer_reset(&d);
  assert_ami(AMI_E_AGAIN,
             ami_hdlc_deframer_feed(&d, ua + 10, nu - 10, &used, &f));
  assert_ami_ok(ami_hdlc_deframer_feed(&d, ua, nu, &used, &f));
  assert_frame_eq(&f, &fu);
  free(gb);
  free(snrm);
  free(ua);
#undef ADD
}

/* A garbled frame must not cost the next good one, even when the next one
 * begins inside the bytes the garbled one claimed. */
static void test_deframer_resync(void **state) {
  (void)state;
  size_t ns, nu;
  uint8_t *snrm = ami_test_hex(SNRM_HEX, &ns);
  uint8_t *ua = ami_test_hex(UA_HEX, &nu);
  ami_hdlc_frame fs, fu;
  assert_ami_ok(ami_hdlc_frame_decode(ami_span_make(snrm, ns), &fs, NULL));
  assert_ami_ok(ami_hdlc_frame_decode(ami_span_make(ua, nu), &fu, NULL));
  static const struct {
    const char *prefix; /* the garbled part */
    int rc;             /* its error */
  } cases[] = {
      /* a corrupted FCS, sharing its closing flag with the good frame */
      {"7EA00802232193BD65", AMI_E_HDLC_FCS},
      /* a false start claiming 0x50 bytes; its "destination address"
       * 7E 7E A0 08 (the good frame's flags and format) is unterminated */
      {"7EA0507E", AMI_E_HDLC_ADDRESS},
      /* a frame claiming 2047 bytes whose HCS (AA AA) fails */
      {"7EA7FF032110AAAA", AMI_E_HDLC_HCS},
      /* a UA cut short after a valid header: it swallows the whole SNRM
       * and the start of the next UA, and fails on its closing flag; the
       * rescan finds the SNRM entirely among the kept bytes */
      {"7EA01F21022373E6C7818012", AMI_E_HDLC_FLAG},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t pn;
    uint8_t *pre = ami_test_hex(cases[i].prefix, &pn);
    uint8_t stream[256];
    memcpy(stream, pre, pn);
    memcpy(stream + pn, snrm, ns);
    memcpy(stream + pn + ns, ua, nu);
    size_t n = pn + ns + nu;
    ami_hdlc_deframer d;
    ami_hdlc_deframer_init(&d, 0);
    size_t used, frames = 0, errors = 0;
    ami_hdlc_frame f;
    for (size_t off = 0;; off += used) {
      int rc = ami_hdlc_deframer_feed(&d, stream + off, n - off, &used, &f);
      if (rc == AMI_E_AGAIN)
        break;
      if (rc != AMI_OK) {
        if (errors == 0)
          assert_ami(cases[i].rc, rc);
        errors++;
        continue;
      }
      assert_frame_eq(&f, frames == 0 ? &fs : &fu);
      frames++;
    }
    if (frames != 2 || errors == 0)
      fail_msg("case %zu: %zu frames, %zu errors", i, frames, errors);
    free(pre);
  }
  free(snrm);
  free(ua);
}

static void test_deframer_too_long(void **state) {
  (void)state;
  size_t ns, nu;
  uint8_t *snrm = ami_test_hex(SNRM_HEX, &ns);
  uint8_t *ua = ami_test_hex(UA_HEX, &nu);
  ami_hdlc_frame fs, fu;
  assert_ami_ok(ami_hdlc_frame_decode(ami_span_make(snrm, ns), &fs, NULL));
  assert_ami_ok(ami_hdlc_frame_decode(ami_span_make(ua, nu), &fu, NULL));
  uint8_t stream[128];
  memcpy(stream, ua, nu);
  memcpy(stream + nu, snrm, ns);
  /* The UA carries 21 bytes of information. */
  expect ex1[] = {{AMI_E_HDLC_TOO_LONG, fu}, {AMI_OK, fs}};
  check_all_splits(stream, nu + ns, ex1, 2, 20);
  expect ex2[] = {{AMI_OK, fu}, {AMI_OK, fs}};
  check_all_splits(stream, nu + ns, ex2, 2, 21);
  /* max_info may change between feeds. */
  ami_hdlc_deframer d;
  ami_hdlc_deframer_init(&d, 21);
  size_t used;
  ami_hdlc_frame f;
  assert_ami_ok(ami_hdlc_deframer_feed(&d, ua, nu, &used, &f));
  d.max_info = 8;
  assert_ami(AMI_E_HDLC_TOO_LONG,
             ami_hdlc_deframer_feed(&d, ua, nu, &used, &f));
  free(snrm);
  free(ua);
}

/* ---------------------------------------------------------------------- */
/* SNRM / UA parameters, LLC                                               */

static void test_params(void **state) {
  (void)state;
  ami_hdlc_params p;
  /* Empty: the defaults. */
  assert_ami_ok(ami_hdlc_params_decode(ami_span_make(NULL, 0), &p));
  assert_int_equal(p.max_info_tx, 128);
  assert_int_equal(p.max_info_rx, 128);
  assert_int_equal(p.window_tx, 1);
  assert_int_equal(p.window_rx, 1);
  assert_int_equal(p.present, 0);
  /* A client proposal with 2-byte lengths and 7-frame windows. */
  const char *hex = "81 80 14 05 02 03E8 06 02 01F4 07 04 00000007 "
                    "08 04 00000007";
  size_t n;
  uint8_t *b = ami_test_hex(hex, &n);
  assert_ami_ok(ami_hdlc_params_decode(ami_span_make(b, n), &p));
  assert_int_equal(p.max_info_tx, 1000);
  assert_int_equal(p.max_info_rx, 500);
  assert_int_equal(p.window_tx, 7);
  assert_int_equal(p.window_rx, 7);
  uint8_t out[64];
  ami_wr w;
  ami_wr_init(&w, out, sizeof out);
  assert_ami_ok(ami_hdlc_params_encode(&w, &p));
  ami_test_assert_bytes(out, w.len, hex);
  for (size_t k = 1; k < n; k++)
    assert_ami(AMI_E_TRUNCATED,
               ami_hdlc_params_decode(ami_span_make(b, k), &p));
  free(b);
  /* Only some present; an unknown parameter skipped; 4-byte length. */
  b = ami_test_hex("81 80 0B 06 04 00010000 03 03 AABBCC", &n);
  assert_ami_ok(ami_hdlc_params_decode(ami_span_make(b, n), &p));
  assert_int_equal(p.present, AMI_HDLC_HAS_MAX_INFO_RX);
  assert_int_equal(p.max_info_rx, 0x10000);
  assert_int_equal(p.max_info_tx, 128);
  ami_wr_init(&w, out, sizeof out);
  assert_ami_ok(ami_hdlc_params_encode(&w, &p));
  ami_test_assert_bytes(out, w.len, "81 80 06 06 04 00010000");
  free(b);
  /* Malformed. */
  static const struct {
    const char *hex;
    int rc;
  } bad[] = {
      {"82 80 00", AMI_E_HDLC_PARAM},                   /* format id */
      {"81 81 00", AMI_E_HDLC_PARAM},                   /* group id */
      {"81 80 05 05 03 000080", AMI_E_HDLC_PARAM},      /* 3-byte value */
      {"81 80 06 05 01 80 05 01 80", AMI_E_HDLC_PARAM}, /* twice */
      {"81 80 03 05 02 01", AMI_E_TRUNCATED},           /* value runs out */
      {"81 80 00 00", AMI_E_TRAILING},
      {"81 80 03 09 05 00", AMI_E_TRUNCATED}, /* unknown, too long */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    b = ami_test_hex(bad[i].hex, &n);
    assert_ami(bad[i].rc, ami_hdlc_params_decode(ami_span_make(b, n), &p));
    free(b);
  }
  /* Writer too small. */
  ami_hdlc_params_default(&p);
  p.present = AMI_HDLC_HAS_ALL;
  ami_wr_init(&w, out, 5);
  assert_ami(AMI_E_BUFFER_FULL, ami_hdlc_params_encode(&w, &p));
}

static void test_params_negotiate(void **state) {
  (void)state;
  /* The client proposes tx 1000, rx 500, windows 7; the server supports
   * tx 300, rx 2030, window 1. From the server's point of view: it sends at
   * most min(300, client rx 500) = 300 and accepts min(2030, client tx
   * 1000) = 1000; windows 1. */
  ami_hdlc_params client = {1000, 500, 7, 7, AMI_HDLC_HAS_ALL};
  ami_hdlc_params server = {300, 2030, 1, 1, AMI_HDLC_HAS_ALL};
  ami_hdlc_params ans;
  assert_ami_ok(ami_hdlc_params_negotiate(&client, &server, &ans));
  assert_int_equal(ans.max_info_tx, 300);
  assert_int_equal(ans.max_info_rx, 1000);
  assert_int_equal(ans.window_tx, 1);
  assert_int_equal(ans.window_rx, 1);
  assert_int_equal(ans.present, AMI_HDLC_HAS_ALL);
  /* The client reads the UA from its own side. */
  ami_hdlc_params mine;
  ami_hdlc_params_mirror(&ans, &mine);
  assert_int_equal(mine.max_info_tx, 1000);
  assert_int_equal(mine.max_info_rx, 300);
  /* An SNRM without information: the defaults bound everything. */
  ami_hdlc_params none;
  ami_hdlc_params_default(&none);
  assert_ami_ok(ami_hdlc_params_negotiate(&none, &server, &ans));
  assert_int_equal(ans.max_info_tx, 128);
  assert_int_equal(ans.max_info_rx, 128);
  /* Asymmetric proposal and presence bits swap in the mirror. */
  ami_hdlc_params part = {128, 64, 1, 3, AMI_HDLC_HAS_MAX_INFO_RX};
  ami_hdlc_params_mirror(&part, &mine);
  assert_int_equal(mine.present, AMI_HDLC_HAS_MAX_INFO_TX);
  assert_int_equal(mine.max_info_tx, 64);
  assert_int_equal(mine.window_tx, 3);
  assert_int_equal(mine.window_rx, 1);
  /* A zero limit cannot be agreed. */
  client.window_rx = 0;
  assert_ami(AMI_E_HDLC_PARAM,
             ami_hdlc_params_negotiate(&client, &server, &ans));
}

static void test_llc(void **state) {
  (void)state;
  uint8_t out[8];
  ami_wr w;
  ami_wr_init(&w, out, sizeof out);
  assert_ami_ok(ami_hdlc_llc_write(&w, AMI_HDLC_LLC_COMMAND));
  assert_ami_ok(ami_hdlc_llc_write(&w, AMI_HDLC_LLC_RESPONSE));
  ami_test_assert_bytes(out, w.len, "E6E600 E6E700");
  ami_span apdu;
  assert_ami_ok(
      ami_hdlc_llc_strip(ami_span_make(out, 6), AMI_HDLC_LLC_COMMAND, &apdu));
  assert_ptr_equal(apdu.p, out + 3);
  assert_int_equal(apdu.len, 3);
  assert_ami(AMI_E_HDLC_LLC, ami_hdlc_llc_strip(ami_span_make(out, 6),
                                                AMI_HDLC_LLC_RESPONSE, &apdu));
  assert_ami_ok(ami_hdlc_llc_strip(ami_span_make(out + 3, 3),
                                   AMI_HDLC_LLC_RESPONSE, &apdu));
  assert_int_equal(apdu.len, 0);
  for (size_t k = 0; k < 3; k++)
    assert_ami(AMI_E_HDLC_LLC, ami_hdlc_llc_strip(ami_span_make(out, k),
                                                  AMI_HDLC_LLC_COMMAND, &apdu));
  static const uint8_t bad1[] = {0xE7, 0xE6, 0x00}, bad2[] = {0xE6, 0xE6, 1};
  assert_ami(AMI_E_HDLC_LLC, ami_hdlc_llc_strip(ami_span_make(bad1, 3),
                                                AMI_HDLC_LLC_COMMAND, &apdu));
  assert_ami(AMI_E_HDLC_LLC, ami_hdlc_llc_strip(ami_span_make(bad2, 3),
                                                AMI_HDLC_LLC_COMMAND, &apdu));
  ami_wr_init(&w, out, 2);
  assert_ami(AMI_E_BUFFER_FULL, ami_hdlc_llc_write(&w, AMI_HDLC_LLC_COMMAND));
}

/* ---------------------------------------------------------------------- */
/* Segmentation and reassembly                                             */

static void test_segment_roundtrip(void **state) {
  (void)state;
  /* A 1000-byte APDU behind its LLC header, at 128 bytes per frame: 8
   * frames, S set on the first 7, sent as frames and deframed again. */
  uint8_t stream[1003];
  ami_wr w;
  ami_wr_init(&w, stream, sizeof stream);
  ami_hdlc_llc_write(&w, AMI_HDLC_LLC_RESPONSE);
  for (size_t i = 0; i < 1000; i++)
    ami_wr_u8(&w, (uint8_t)(i ^ (i >> 3)));
  assert_ami_ok(w.err);
  assert_int_equal(ami_hdlc_segment_count(sizeof stream, 128), 8);
  assert_int_equal(ami_hdlc_segment_count(1024, 128), 8);
  assert_int_equal(ami_hdlc_segment_count(1025, 128), 9);
  assert_int_equal(ami_hdlc_segment_count(0, 128), 0);
  ami_hdlc_segmenter seg;
  assert_ami(AMI_E_INVAL,
             ami_hdlc_segmenter_init(&seg, ami_span_make(stream, 10), 0));
  assert_ami_ok(
      ami_hdlc_segmenter_init(&seg, ami_span_make(stream, sizeof stream), 128));
  static uint8_t wire[8 * (128 + 16)];
  ami_wr_init(&w, wire, sizeof wire);
  ami_span info;
  bool more;
  size_t count = 0, sent = 0;
  uint8_t ns = 0;
  while (ami_hdlc_segmenter_next(&seg, &info, &more)) {
    assert_ptr_equal(info.p, stream + sent); /* zero-copy */
    sent += info.len;
    assert_int_equal(info.len, more ? 128 : sizeof stream - 7 * 128);
    ami_hdlc_frame f = {ami_hdlc_addr_client(16), ami_hdlc_addr_client(1),
                        ami_hdlc_control_make(AMI_HDLC_I, ns, 0, true), more,
                        info};
    assert_ami_ok(ami_hdlc_frame_encode(&w, &f));
    ns = ami_hdlc_seq_next(ns);
    count++;
  }
  assert_int_equal(count, 8);
  assert_int_equal(sent, sizeof stream);
  assert_false(ami_hdlc_segmenter_next(&seg, &info, &more));
  /* Deframe and reassemble; the header is only in the first segment. */
  ami_hdlc_deframer d;
  ami_hdlc_deframer_init(&d, 128);
  ami_hdlc_reasm ra;
  ami_hdlc_reasm_init(&ra, 2048, NULL);
  size_t off = 0, used, frames = 0;
  ami_hdlc_frame f;
  ami_span apdu = {NULL, 0};
  int rc = AMI_E_AGAIN;
  while (off < w.len) {
    assert_ami_ok(
        ami_hdlc_deframer_feed(&d, wire + off, w.len - off, &used, &f));
    off += used;
    assert_int_equal(f.control.ns, frames % 8);
    frames++;
    rc = ami_hdlc_reasm_add(&ra, f.info, f.segmented, &apdu);
    assert_ami(off < w.len ? AMI_E_AGAIN : AMI_OK, rc);
  }
  assert_int_equal(apdu.len, sizeof stream);
  assert_memory_equal(apdu.p, stream, sizeof stream);
  ami_span inner;
  assert_ami_ok(ami_hdlc_llc_strip(apdu, AMI_HDLC_LLC_RESPONSE, &inner));
  assert_int_equal(inner.len, 1000);
  ami_hdlc_reasm_free(&ra);
  /* An empty stream yields nothing. */
  assert_ami_ok(ami_hdlc_segmenter_init(&seg, ami_span_make(NULL, 0), 128));
  assert_false(ami_hdlc_segmenter_next(&seg, &info, &more));
}

static void test_reasm_limits(void **state) {
  (void)state;
  uint8_t data[300];
  memset(data, 0xA5, sizeof data);
  ami_span apdu;
  ami_hdlc_reasm ra;
  ami_hdlc_reasm_init(&ra, 250, NULL);
  /* Unsegmented: zero-copy, but still bounded. */
  assert_ami_ok(
      ami_hdlc_reasm_add(&ra, ami_span_make(data, 250), false, &apdu));
  assert_ptr_equal(apdu.p, data);
  assert_ami(AMI_E_LIMIT,
             ami_hdlc_reasm_add(&ra, ami_span_make(data, 251), false, &apdu));
  /* Over the limit in the middle: that APDU's remaining segments are
   * dropped with the same error, then the next APDU is fine. */
  assert_ami(AMI_E_AGAIN,
             ami_hdlc_reasm_add(&ra, ami_span_make(data, 200), true, &apdu));
  assert_ami(AMI_E_LIMIT,
             ami_hdlc_reasm_add(&ra, ami_span_make(data, 100), true, &apdu));
  assert_ami(AMI_E_LIMIT,
             ami_hdlc_reasm_add(&ra, ami_span_make(data, 10), true, &apdu));
  assert_ami(AMI_E_LIMIT,
             ami_hdlc_reasm_add(&ra, ami_span_make(data, 10), false, &apdu));
  assert_ami(AMI_E_AGAIN,
             ami_hdlc_reasm_add(&ra, ami_span_make(data, 200), true, &apdu));
  assert_ami_ok(ami_hdlc_reasm_add(&ra, ami_span_make(data, 50), false, &apdu));
  assert_int_equal(apdu.len, 250);
  /* An empty segment with S set. */
  assert_ami(AMI_E_REASSEMBLY,
             ami_hdlc_reasm_add(&ra, ami_span_make(data, 0), true, &apdu));
  assert_ami(AMI_E_REASSEMBLY,
             ami_hdlc_reasm_add(&ra, ami_span_make(data, 5), false, &apdu));
  /* reset drops a partial APDU. */
  assert_ami(AMI_E_AGAIN,
             ami_hdlc_reasm_add(&ra, ami_span_make(data, 20), true, &apdu));
  ami_hdlc_reasm_reset(&ra);
  assert_ami_ok(ami_hdlc_reasm_add(&ra, ami_span_make(data, 5), false, &apdu));
  assert_ptr_equal(apdu.p, data);
  ami_hdlc_reasm_free(&ra);
  ami_hdlc_reasm_free(&ra);

  /* Out of memory at the first append, then recovery. */
  ami_test_failalloc fa;
  ami_test_failalloc_init(&fa, 0);
  ami_hdlc_reasm_init(&ra, 1000, &fa.base);
  assert_ami(AMI_E_NOMEM,
             ami_hdlc_reasm_add(&ra, ami_span_make(data, 10), true, &apdu));
  assert_ami(AMI_E_NOMEM,
             ami_hdlc_reasm_add(&ra, ami_span_make(data, 10), false, &apdu));
  assert_ami(AMI_E_AGAIN,
             ami_hdlc_reasm_add(&ra, ami_span_make(data, 10), true, &apdu));
  assert_ami_ok(ami_hdlc_reasm_add(&ra, ami_span_make(data, 10), false, &apdu));
  assert_int_equal(apdu.len, 20);
  ami_hdlc_reasm_free(&ra);
  assert_int_equal(fa.live, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vector_snrm),
      cmocka_unit_test(test_vector_ua),
      cmocka_unit_test(test_vector_crc),
      cmocka_unit_test(test_addresses),
      cmocka_unit_test(test_control),
      cmocka_unit_test(test_frame_encode_limits),
      cmocka_unit_test(test_frame_decode_errors),
      cmocka_unit_test(test_deframer_flags_and_garbage),
      cmocka_unit_test(test_deframer_resync),
      cmocka_unit_test(test_deframer_too_long),
      cmocka_unit_test(test_params),
      cmocka_unit_test(test_params_negotiate),
      cmocka_unit_test(test_llc),
      cmocka_unit_test(test_segment_roundtrip),
      cmocka_unit_test(test_reasm_limits),
      cmocka_unit_test(test_sessions_frames),
      cmocka_unit_test(test_session_first_block),
      cmocka_unit_test(test_sessions_streaming),
      cmocka_unit_test(test_sessions_damage),
      cmocka_unit_test(test_sessions_max_info),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
