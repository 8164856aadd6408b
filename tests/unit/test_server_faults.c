/*
 * test_server_faults.c -- the server engine (ami_server.h) under hostile or
 * unusual peers: garbage, two engines side by side, NULL inputs, failing
 * allocations, ciphered associations with dedicated keys and pushes, HLS in
 * a plain context, HLS-SHA256, General-Block-Transfer. Harness in
 * test_server_harness.h.
 */
#include "test_server_harness.h"

/* ---------------------------------------------------------------------- */
/* Exceptions, robustness */

static void test_garbage(void **state) {
  (void)state;
  fx f;
  fx_setup(&f, 16, NULL, AMI_OK);
  /* Before any association: service-not-allowed. */
  ami_span resp = xfer_hex(&f, "C001C100080000010000FF0200");
  assert_int_equal(resp.p[0], AMI_APDU_EXCEPTION_RESPONSE);
  associate_none(&f);
  static const char *const junk[] = {
      "FF",         "C0", "C001",   "C0FF", "C001C100080000010000FF02",
      "0102030405", "E0", "DB0847", "C8",   "6000",
      "6003A10100", "D8", "05",
  };
  for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
    size_t n;
    uint8_t *b = ami_test_hex(junk[i], &n);
    assert_ami(ami_server_recv(f.s, b, n, 1), AMI_OK);
    free(b);
    /* Whatever comes out is a well-formed APDU. */
    while ((f.out_len = ami_server_pull(f.s, f.out, sizeof f.out, 1)) > 0) {
      ami_apdu a;
      ami_acse x;
      ami_span o = ami_span_make(f.out, f.out_len);
      assert_true(ami_apdu_decode(o, &a) == AMI_OK ||
                  ami_acse_decode(o, &x) == AMI_OK);
    }
  }
  /* Still associated and serving. */
  resp = xfer_hex(&f, "C001C1000800000100 00FF0200");
  assert_int_equal(resp.p[0], AMI_APDU_GET_RESPONSE);
  /* Ciphered APDUs in a plain context: refused. */
  resp = xfer_hex(&f, "C8051000000001");
  assert_int_equal(resp.p[0], AMI_APDU_EXCEPTION_RESPONSE);
  fx_teardown(&f);
}

static void test_two_engines_independent(void **state) {
  (void)state;
  fx *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
  fx_setup(a, 16, NULL, AMI_OK);
  fx_setup(b, 16, NULL, AMI_OK);
  associate_none(a);
  associate_none(b);
  xfer_hex(a, "FFFFFF");
  ami_test_server_link_drop(&a->link);
  assert_ami(ami_server_recv(a->s, (const uint8_t *)"x", 1, 0), AMI_OK);
  assert_false(ami_server_is_associated(a->s));
  assert_true(ami_server_is_associated(b->s));
  ami_span resp = xfer_hex(b, "C001C1000800000100 00FF0200");
  assert_int_equal(resp.p[0], AMI_APDU_GET_RESPONSE);
  fx_teardown(a);
  fx_teardown(b);
  free(a);
  free(b);
}

static void test_null_inputs(void **state) {
  (void)state;
  fx f;
  fx_setup(&f, 16, NULL, AMI_OK);
  assert_ami(ami_server_recv(f.s, NULL, 0, 0), AMI_OK);
  assert_ami(ami_server_recv(f.s, NULL, 5, 0), AMI_E_INVAL);
  assert_ami(ami_server_recv(NULL, f.out, 1, 0), AMI_E_INVAL);
  assert_int_equal(ami_server_pull(f.s, NULL, 10, 0), 0);
  assert_int_equal(ami_server_pull(f.s, f.out, 0, 0), 0);
  assert_int_equal(ami_server_pull(NULL, f.out, 10, 0), 0);
  assert_false(ami_server_want_write(NULL));
  assert_false(ami_server_want_write(f.s));
  assert_int_equal(ami_server_expiry(NULL), AMI_LINK_NO_EXPIRY);
  assert_int_equal(ami_server_expiry(f.s), AMI_LINK_NO_EXPIRY);
  assert_ami(ami_server_handle_expiry(NULL, 0), AMI_E_INVAL);
  assert_ami(ami_server_handle_expiry(f.s, 0), AMI_OK);
  assert_false(ami_server_is_associated(NULL));
  assert_null(ami_server_sec(NULL));
  assert_null(ami_server_sec(f.s));
  ami_server_free(NULL);
  /* Bad configurations. */
  ami_server *s = NULL;
  assert_ami(ami_server_new(NULL, &f.cfg, NULL, NULL, NULL), AMI_E_INVAL);
  assert_ami(ami_server_new(&s, NULL, NULL, NULL, NULL), AMI_E_INVAL);
  ami_server_cfg c = f.cfg;
  c.link = NULL;
  assert_ami(ami_server_new(&s, &c, NULL, NULL, NULL), AMI_E_INVAL);
  c = f.cfg;
  c.version = 99;
  assert_ami(ami_server_new(&s, &c, NULL, NULL, NULL), AMI_E_INVAL);
  ami_server_callbacks cb = f.cb;
  cb.version = 99;
  assert_ami(ami_server_new(&s, &f.cfg, &cb, NULL, NULL), AMI_E_INVAL);
  assert_null(s);
  fx_teardown(&f);
}

/* Every allocation failure during a whole session is survived: the engine
 * either returns AMI_E_NOMEM or goes on, and nothing leaks (ASan). */
static void test_failing_allocator(void **state) {
  (void)state;
  for (long k = 0; k < 64; k++) {
    ami_test_failalloc fa;
    ami_test_failalloc_init(&fa, k);
    fx f;
    memset(&f, 0, sizeof f);
    fx_setup(&f, 16, &fa.base, k == 0 ? AMI_E_NOMEM : AMI_OK);
    if (k == 0) {
      ami_link_free(&f.link.base);
      continue;
    }
    static const char *const reqs[] = {
        AARQ_NONE,
        "C001C100010000600109FF0200",
        "C002C100000001",
        "C003C10200010000600101FF020000010000600100FF0200",
        "C102C5 0001 0000600101FF 02 00 00 00000001 01 11",
        "C103C5 01 00000002 01 22",
        "62038001 00"};
    f.appd.big = 700;
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
      size_t n;
      uint8_t *b = ami_test_hex(reqs[i], &n);
      int rc = ami_server_recv(f.s, b, n, 0);
      assert_true(rc == AMI_OK || rc == AMI_E_NOMEM);
      free(b);
      while (ami_server_pull(f.s, f.out, sizeof f.out, 0) > 0) {
      }
    }
    fx_teardown(&f);
    assert_int_equal(fa.live, 0);
  }
}

/* ---------------------------------------------------------------------- */
/* Ciphered context built by hand: dedicated key, policy, push, counters */

static const uint8_t DK[16] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                               0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F};

/* Associate as client 1 (ciphered context, HLS-GMAC) with the dedicated key
 * DK; `c` becomes the client's security context. */
static void assoc_ciphered(fx *f, ami_sec_ctx *c) {
  ami_sec_init(c, ami_crypto_openssl());
  assert_ami(ami_sec_set_key(c, AMI_SEC_KEY_UNICAST, EK, 16), AMI_OK);
  assert_ami(ami_sec_set_ak(c, AK, 16), AMI_OK);
  ami_sec_set_own_title(c, CLIENT_TITLE);
  ami_sec_set_peer_title(c, SERVER_TITLE);
  /* glo-InitiateRequest with the dedicated key. */
  ami_apdu ir;
  memset(&ir, 0, sizeof ir);
  ir.tag = AMI_APDU_INITIATE_REQUEST;
  ir.u.initiate_request.has_dedicated_key = true;
  ir.u.initiate_request.dedicated_key = ami_span_make(DK, 16);
  ir.u.initiate_request.dlms_version = 6;
  ir.u.initiate_request.conformance = 0x00101D;
  ir.u.initiate_request.max_pdu_size = 0x400;
  uint8_t plain[64], ciph[128], aarq[256];
  ami_wr w;
  ami_wr_init(&w, plain, sizeof plain);
  assert_ami(ami_apdu_encode(&w, &ir), AMI_OK);
  ami_wr e;
  ami_wr_init(&e, ciph, sizeof ciph);
  assert_ami(ami_sec_encrypt(c, AMI_SEC_FORM_GLO,
                             AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC,
                             ami_span_make(plain, w.len), &e),
             AMI_OK);
  static const uint8_t ctos[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  static const uint8_t req[2] = {0x07, 0x80};
  ami_acse q;
  memset(&q, 0, sizeof q);
  q.tag = AMI_ACSE_AARQ;
  q.u.aarq.context.present = true;
  q.u.aarq.context.id = AMI_ACSE_CTX_LN_CIPHERED;
  q.u.aarq.calling_ap_title.present = true;
  q.u.aarq.calling_ap_title.value = ami_span_make(CLIENT_TITLE, 8);
  q.u.aarq.acse_requirements.present = true;
  q.u.aarq.acse_requirements.value = ami_span_make(req, 2);
  q.u.aarq.mechanism.present = true;
  q.u.aarq.mechanism.id = AMI_ACSE_MECH_GMAC;
  q.u.aarq.auth_value.present = true;
  q.u.aarq.auth_value.value = ami_span_make(ctos, 8);
  q.u.aarq.user_info.present = true;
  assert_ami(
      ami_apdu_decode(ami_span_make(ciph, e.len), &q.u.aarq.user_info.apdu),
      AMI_OK);
  ami_wr_init(&w, aarq, sizeof aarq);
  assert_ami(ami_acse_encode(&w, &q), AMI_OK);
  ami_span resp = xfer(f, aarq, w.len);
  ami_acse a;
  assert_ami(ami_acse_decode(resp, &a), AMI_OK);
  assert_int_equal(a.u.aare.result.value, 0);
  assert_int_equal(a.u.aare.diagnostic.value,
                   AMI_ACSE_DIAG_AUTHENTICATION_REQUIRED);
  assert_int_equal(a.u.aare.user_info.apdu.u.ciphered.sec.ic, g_loaded_ic);
  /* Pass 3: f(StoC), glo-ciphered ACTION. */
  uint8_t fs[AMI_SEC_GMAC_LEN];
  assert_ami(ami_sec_hls_gmac(c, a.u.aare.auth_value.value, fs), AMI_OK);
  uint8_t act[64] = {0xC3, 0x01, 0xC1, 0x00, 0x0F,
                     0,    0,    40,   0,    0,
                     255,  0x01, 0x01, 0x09, AMI_SEC_GMAC_LEN};
  memcpy(act + 15, fs, sizeof fs);
  ami_wr_init(&e, ciph, sizeof ciph);
  assert_ami(ami_sec_encrypt(c, AMI_SEC_FORM_GLO,
                             AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC,
                             ami_span_make(act, 15 + sizeof fs), &e),
             AMI_OK);
  resp = xfer(f, ciph, e.len);
  assert_int_equal(resp.p[0], AMI_APDU_GLO_ACTION_RESPONSE);
  uint8_t pl[128];
  ami_span p = client_decipher(c, resp, pl, sizeof pl);
  ami_apdu r;
  apdu_decode_ok(p, &r);
  assert_int_equal(r.u.action_response.result.result, 0);
  /* f(CtoS) verifies on the client's side. */
  ami_span ret = r.u.action_response.result.ret.data;
  assert_int_equal(ret.len, 2 + AMI_SEC_GMAC_LEN);
  assert_ami(ami_sec_hls_gmac_verify(c, ami_span_make(ctos, 8),
                                     ami_span_make(ret.p + 2, ret.len - 2)),
             AMI_OK);
  assert_int_equal(f->associated, 1);
  assert_ami(ami_sec_set_key(c, AMI_SEC_KEY_DEDICATED, DK, 16), AMI_OK);
}

/* A push with no association: the meter's side of a connection it opened
 * to a push destination. Plain for a plain association config; for a
 * ciphered one general-glo-ciphered with that config's global keys (the
 * client deciphers with EK/AK and the server's title), the invocation
 * counter running on from push to push. */
static void test_push_unassociated(void **state) {
  (void)state;
  static const uint8_t body[] = {0x11, 0x2A};
  fx f;
  fx_setup(&f, 1, NULL, AMI_OK);
  assert_ami(
      ami_server_push_unassociated(f.s, 99, ami_span_make(body, 2), 7, 5),
      AMI_E_NOT_FOUND);
  assert_ami(ami_server_push_unassociated(f.s, 1, ami_span_make(NULL, 0), 7, 5),
             AMI_E_INVAL);
  ami_sec_ctx c;
  ami_sec_init(&c, ami_crypto_openssl());
  assert_ami(ami_sec_set_key(&c, AMI_SEC_KEY_UNICAST, EK, 16), AMI_OK);
  assert_ami(ami_sec_set_ak(&c, AK, 16), AMI_OK);
  ami_sec_set_own_title(&c, CLIENT_TITLE);
  ami_sec_set_peer_title(&c, SERVER_TITLE);
  for (uint32_t k = 0; k < 2; k++) {
    assert_ami(
        ami_server_push_unassociated(f.s, 1, ami_span_make(body, 2), 7, 5),
        AMI_OK);
    f.out_len = ami_server_pull(f.s, f.out, sizeof f.out, 5);
    assert_true(f.out_len > 20);
    assert_int_equal(f.out[0], AMI_SEC_TAG_GENERAL_GLO);
    uint8_t pl[64];
    ami_wr w;
    ami_wr_init(&w, pl, sizeof pl);
    ami_sec_info info;
    c.ic[AMI_SEC_KEY_UNICAST].rx_valid = false;
    assert_ami(ami_sec_decrypt(&c, ami_span_make(f.out, f.out_len), &w, &info),
               AMI_OK);
    assert_int_equal(info.ic, k); /* 0, then 1: never a repeated nonce */
    ami_test_assert_bytes(pl, w.len, "0F 00000007 00 112A");
  }
  ami_sec_free(&c);
  fx_teardown(&f);

  fx g;
  fx_setup(&g, 16, NULL, AMI_OK);
  assert_ami(
      ami_server_push_unassociated(g.s, 16, ami_span_make(body, 2), 9, 5),
      AMI_OK);
  g.out_len = ami_server_pull(g.s, g.out, sizeof g.out, 5);
  ami_test_assert_bytes(g.out, g.out_len, "0F 00000009 00 112A");
  /* With an association open, pushes go through it instead. */
  associate_none(&g);
  assert_ami(
      ami_server_push_unassociated(g.s, 16, ami_span_make(body, 2), 9, 5),
      AMI_E_STATE);
  fx_teardown(&g);
}

/* ACTION return parameters longer than one APDU go out in pblocks
 * (IEC 62056-5-3 §9.3.7 ACTION-Response-With-Pblock), each pulled by the
 * client's ACTION-Request-Next-Pblock naming the block it received; the
 * joined raw data is the return Data. A next-pblock for the wrong block
 * (or none in progress) ends the transfer with other-reason. */
static void test_action_long_return(void **state) {
  (void)state;
  fx f;
  fx_setup(&f, 16, NULL, AMI_OK);
  f.ac[0].conformance = 0x7E1F1F; /* with action */
  associate_none(&f);
  /* ACTION-Request-Normal, class 9 0-0:10.0.0.255 method 3, no params */
  ami_span r = xfer_hex(&f, "C3 01 C1 0009 00000A0000FF 03 00");
  uint8_t joined[2000];
  size_t jn = 0;
  uint32_t expect = 1;
  for (;;) {
    ami_apdu a;
    if (r.p[0] != AMI_APDU_ACTION_RESPONSE) {
      char hx[64] = "";
      for (size_t i = 0; i < r.len && i < 20; i++)
        snprintf(hx + 2 * i, 3, "%02X", r.p[i]);
      fail_msg("block %u: %s", (unsigned)expect, hx);
    }
    apdu_decode_ok(r, &a);
    assert_int_equal(a.tag, AMI_APDU_ACTION_RESPONSE);
    assert_int_equal(a.u.action_response.choice, 2);
    assert_int_equal(a.u.action_response.block.block_number, expect);
    assert_true(r.len <= 512); /* the engine's max_send_apdu */
    assert_true(jn + a.u.action_response.block.raw.len <= sizeof joined);
    memcpy(joined + jn, a.u.action_response.block.raw.p,
           a.u.action_response.block.raw.len);
    jn += a.u.action_response.block.raw.len;
    if (a.u.action_response.block.last)
      break;
    char next[64];
    snprintf(next, sizeof next, "C3 02 C1 %08X", (unsigned)expect);
    r = xfer_hex(&f, next);
    expect++;
  }
  assert_true(expect >= 3);
  assert_int_equal(jn, 4 + 1500);
  assert_int_equal(joined[0], 0x09);
  assert_int_equal(joined[1], 0x82);
  assert_int_equal(joined[2], 0x05);
  assert_int_equal(joined[3], 0xDC);
  for (unsigned i = 0; i < 1500; i++)
    assert_int_equal(joined[4 + i], (uint8_t)(i * 7));
  /* No transfer in progress any more: other-reason (250). */
  r = xfer_hex(&f, "C3 02 C1 00000001");
  ami_test_assert_bytes(r.p, r.len, "C7 01 C1 FA 00");
  fx_teardown(&f);
}

static void test_ciphered_dedicated_push(void **state) {
  (void)state;
  fx f;
  fx_setup(&f, 1, NULL, AMI_OK);
  f.cb.ic_load = cb_ic_load;
  g_loaded_ic = 1000;
  ami_sec_ctx c;
  assoc_ciphered(&f, &c);
  /* A ded-ciphered GET is answered ded-ciphered. */
  static const uint8_t get[] = {0xC0, 0x01, 0xC1, 0x00, 0x01, 0,   0,
                                42,   0,    0,    255,  0x02, 0x00};
  uint8_t ciph[128], pl[128];
  ami_wr e;
  ami_wr_init(&e, ciph, sizeof ciph);
  assert_ami(ami_sec_encrypt(&c, AMI_SEC_FORM_DED,
                             AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC,
                             ami_span_make(get, sizeof get), &e),
             AMI_OK);
  ami_span resp = xfer(&f, ciph, e.len);
  assert_int_equal(resp.p[0], ami_sec_ded_tag(AMI_APDU_GET_RESPONSE));
  ami_wr w;
  ami_wr_init(&w, pl, sizeof pl);
  ami_sec_info info;
  assert_ami(ami_sec_decrypt(&c, resp, &w, &info), AMI_OK);
  assert_int_equal(pl[0], AMI_APDU_GET_RESPONSE);
  assert_int_equal(info.ic, 0); /* the dedicated key's own counter */
  /* The same request again: a replay. */
  resp = xfer(&f, ciph, e.len);
  ami_apdu ex;
  apdu_decode_ok(resp, &ex);
  assert_int_equal(ex.u.exception.service_error,
                   AMI_APDU_EXC_INVOCATION_COUNTER_ERROR);
  /* A tampered one: deciphering-error. */
  ami_wr_init(&e, ciph, sizeof ciph);
  assert_ami(ami_sec_encrypt(&c, AMI_SEC_FORM_GLO,
                             AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC,
                             ami_span_make(get, sizeof get), &e),
             AMI_OK);
  ciph[e.len - 1] ^= 1;
  resp = xfer(&f, ciph, e.len);
  ami_test_assert_bytes(resp.p, resp.len, "D80105");
  /* Plain requests are refused by the policy. */
  resp = xfer(&f, get, sizeof get);
  assert_int_equal(resp.p[0], AMI_APDU_EXCEPTION_RESPONSE);
  /* A push: general-glo-ciphered DataNotification, counter stored. */
  static const uint8_t body[] = {0x11, 0x2A};
  assert_ami(ami_server_push(f.s, ami_span_make(body, 2), 7, 5), AMI_OK);
  f.out_len = ami_server_pull(f.s, f.out, sizeof f.out, 5);
  assert_int_equal(f.out[0], AMI_SEC_TAG_GENERAL_GLO);
  ami_span p =
      client_decipher(&c, ami_span_make(f.out, f.out_len), pl, sizeof pl);
  ami_test_assert_bytes(p.p, p.len, "0F 00000007 00 112A");
  assert_int_equal(f.stored.tx_next, ami_server_sec(f.s)->ic[0].tx_next);
  assert_true(f.stored.tx_next > 1000);
  assert_ami(ami_server_push(f.s, ami_span_make(NULL, 0), 7, 5), AMI_E_INVAL);
  ami_sec_free(&c);
  fx_teardown(&f);
  g_loaded_ic = 0;
  /* No association: no push. */
  fx_setup(&f, 16, NULL, AMI_OK);
  assert_ami(ami_server_push(f.s, ami_span_make(body, 2), 7, 5), AMI_E_STATE);
  associate_none(&f);
  assert_ami(ami_server_push(f.s, ami_span_make(body, 2), 7, 5), AMI_OK);
  f.out_len = ami_server_pull(f.s, f.out, sizeof f.out, 5);
  ami_test_assert_bytes(f.out, f.out_len, "0F 00000007 00 112A");
  fx_teardown(&f);
}

/* HLS-GMAC in a context without ciphering: passes 3 and 4 in plain text. */
static void test_hls_plain_context(void **state) {
  (void)state;
  fx f;
  fx_setup(&f, 2, NULL, AMI_OK);
  ami_sec_ctx c;
  ami_sec_init(&c, ami_crypto_openssl());
  assert_ami(ami_sec_set_key(&c, AMI_SEC_KEY_UNICAST, EK, 16), AMI_OK);
  assert_ami(ami_sec_set_ak(&c, AK, 16), AMI_OK);
  ami_sec_set_own_title(&c, CLIENT_TITLE);
  ami_sec_set_peer_title(&c, SERVER_TITLE);
  static const uint8_t ctos[16] = "0123456789ABCDEF";
  ami_acse q;
  memset(&q, 0, sizeof q);
  uint8_t b[256];
  size_t n = make_aarq(b, sizeof b, AMI_ACSE_CTX_LN, AMI_ACSE_MECH_GMAC,
                       "0123456789ABCDEF", 6, 0x00101D, 0x400);
  /* Without the calling-AP-title the server cannot verify anything. */
  expect_aare(xfer(&f, b, n), 1, AMI_ACSE_DIAG_CALLING_AP_TITLE_NOT_RECOGNIZED);
  assert_ami(ami_acse_decode(ami_span_make(b, n), &q), AMI_OK);
  q.u.aarq.calling_ap_title.present = true;
  q.u.aarq.calling_ap_title.value = ami_span_make(CLIENT_TITLE, 8);
  ami_wr w;
  uint8_t b2[256];
  ami_wr_init(&w, b2, sizeof b2);
  assert_ami(ami_acse_encode(&w, &q), AMI_OK);
  ami_span resp = xfer(&f, b2, w.len);
  ami_acse a;
  assert_ami(ami_acse_decode(resp, &a), AMI_OK);
  assert_int_equal(a.u.aare.diagnostic.value,
                   AMI_ACSE_DIAG_AUTHENTICATION_REQUIRED);
  assert_true(a.u.aare.responding_ap_title.present);
  assert_int_equal(a.u.aare.user_info.apdu.tag, AMI_APDU_INITIATE_RESPONSE);
  uint8_t fs[AMI_SEC_GMAC_LEN];
  assert_ami(ami_sec_hls_gmac(&c, a.u.aare.auth_value.value, fs), AMI_OK);
  uint8_t act[64] = {0xC3, 0x01, 0xC1, 0x00, 0x0F,
                     0,    0,    40,   0,    0,
                     255,  0x01, 0x01, 0x09, AMI_SEC_GMAC_LEN};
  memcpy(act + 15, fs, sizeof fs);
  resp = xfer(&f, act, 15 + sizeof fs);
  ami_apdu r;
  apdu_decode_ok(resp, &r);
  assert_int_equal(r.u.action_response.result.result, 0);
  ami_span ret = r.u.action_response.result.ret.data;
  assert_ami(ami_sec_hls_gmac_verify(&c, ami_span_make(ctos, 16),
                                     ami_span_make(ret.p + 2, ret.len - 2)),
             AMI_OK);
  assert_int_equal(f.associated, 1);
  resp = xfer_hex(&f, "C001C100010000600101FF0200");
  assert_int_equal(resp.p[0], AMI_APDU_GET_RESPONSE);
  ami_sec_free(&c);
  fx_teardown(&f);
}

/* HLS-SHA256 (mechanism 6) in a plain context. No published vector was
 * found, so the digests below were computed independently with Python's
 * hashlib in a scratch script, following the Green Book formula:
 *   secret = "HLS-SHA256 secret", ST-C = "Gurux123", ST-S = "ABCDEFGH",
 *   CtoS = "0123456789ABCDEF", StoC = 50 51 .. 5F
 *   f(StoC) = SHA-256(secret || ST-C || ST-S || StoC || CtoS)
 *   f(CtoS) = SHA-256(secret || ST-S || ST-C || CtoS || StoC) */
static const char SHA_F_STOC[] =
    "E569F7018BEEBD103C9516E199C961A548D66E75579A61E576E5F1547603FCDA";
static const char SHA_F_CTOS[] =
    "8726BF4A1DDC7E3806F7D628FF7B91D7BBDF73487554727F8AF7265E71CB87CE";

/* Open the SHA-256 association of client 3 up to pass 2 and check the
 * AARE: accepted, authentication required, mechanism 6, our title, StoC. */
static void sha_pass1(fx *f, bool with_title) {
  for (size_t i = 0; i < sizeof g_rand; i++)
    g_rand[i] = (uint8_t)(0x50 + i);
  ami_acse q;
  uint8_t b[256];
  size_t n = make_aarq(b, sizeof b, AMI_ACSE_CTX_LN, AMI_ACSE_MECH_SHA256,
                       "0123456789ABCDEF", 6, 0x00101D, 0x400);
  assert_ami(ami_acse_decode(ami_span_make(b, n), &q), AMI_OK);
  q.u.aarq.calling_ap_title.present = with_title;
  q.u.aarq.calling_ap_title.value = ami_span_make(CLIENT_TITLE, 8);
  ami_wr w;
  uint8_t b2[256];
  ami_wr_init(&w, b2, sizeof b2);
  assert_ami(ami_acse_encode(&w, &q), AMI_OK);
  ami_span resp = xfer(f, b2, w.len);
  if (!with_title) {
    expect_aare(resp, 1, AMI_ACSE_DIAG_CALLING_AP_TITLE_NOT_RECOGNIZED);
    return;
  }
  ami_acse a;
  assert_ami(ami_acse_decode(resp, &a), AMI_OK);
  assert_int_equal(a.u.aare.result.value, AMI_ACSE_RESULT_ACCEPTED);
  assert_int_equal(a.u.aare.diagnostic.value,
                   AMI_ACSE_DIAG_AUTHENTICATION_REQUIRED);
  assert_true(a.u.aare.mechanism.present);
  assert_int_equal(a.u.aare.mechanism.id, AMI_ACSE_MECH_SHA256);
  assert_true(a.u.aare.responding_ap_title.present);
  ami_test_assert_bytes(a.u.aare.responding_ap_title.value.p,
                        a.u.aare.responding_ap_title.value.len,
                        "4142434445464748");
  ami_test_assert_bytes(a.u.aare.auth_value.value.p,
                        a.u.aare.auth_value.value.len,
                        "505152535455565758595A5B5C5D5E5F");
  assert_int_equal(a.u.aare.user_info.apdu.tag, AMI_APDU_INITIATE_RESPONSE);
}

/* Send pass 3: ACTION reply_to_HLS_authentication with octet-string `f`. */
static ami_span sha_pass3(fx *f, const uint8_t *digest, size_t n) {
  uint8_t act[64] = {0xC3, 0x01, 0xC1, 0x00, 0x0F, 0,    0,         40,
                     0,    0,    255,  0x01, 0x01, 0x09, (uint8_t)n};
  memcpy(act + 15, digest, n);
  return xfer(f, act, 15 + n);
}

static void test_hls_sha256(void **state) {
  (void)state;
  fx f;
  fx_setup(&f, 3, NULL, AMI_OK);
  sha_pass1(&f, false);
  sha_pass1(&f, true);
  assert_false(ami_server_is_associated(f.s) && f.associated);
  size_t n;
  uint8_t *fs = ami_test_hex(SHA_F_STOC, &n);
  ami_span resp = sha_pass3(&f, fs, n);
  free(fs);
  /* ACTION-Response normal, success, return data = octet-string f(CtoS),
   * the bare digest (no SC || IC as in HLS-GMAC). */
  char want[160];
  snprintf(want, sizeof want, "C701C10001000920%s", SHA_F_CTOS);
  ami_test_assert_bytes(resp.p, resp.len, want);
  assert_int_equal(f.associated, 1);
  assert_true(ami_server_is_associated(f.s));
  resp = xfer_hex(&f, "C001C100010000600101FF0200");
  assert_int_equal(resp.p[0], AMI_APDU_GET_RESPONSE);
  fx_teardown(&f);
}

/* A wrong f(StoC) (a wrong secret, one flipped bit, or a digest of the
 * wrong length): pass 3 answered with result other-reason (250), no
 * association, and the engine is idle again. */
static void test_hls_sha256_wrong(void **state) {
  (void)state;
  for (int k = 0; k < 3; k++) {
    fx f;
    fx_setup(&f, 3, NULL, AMI_OK);
    sha_pass1(&f, true);
    size_t n;
    uint8_t *fs = ami_test_hex(SHA_F_STOC, &n);
    if (k == 0) {
      /* Computed as f(StoC) above with secret "HLS-SHA256 secreT". */
      free(fs);
      fs = ami_test_hex("64A93586D16AF4F966161ABE9B720392"
                        "406086D53218DAE2BC49D041E2296149",
                        &n);
    } else if (k == 1) {
      fs[31] ^= 0x01;
    } else {
      n = 31;
    }
    ami_span resp = sha_pass3(&f, fs, n);
    free(fs);
    ami_test_assert_bytes(resp.p, resp.len, "C701C1FA00");
    assert_int_equal(f.associated, 0);
    assert_false(ami_server_is_associated(f.s));
    fx_teardown(&f);
  }
}

/* ---------------------------------------------------------------------- */
/* General-Block-Transfer */

/* Send a GBT block carrying `data`; returns the server's answer. */
static ami_span gbt_xfer(fx *f, bool last, uint16_t bn, uint16_t bna,
                         const uint8_t *data, size_t n) {
  ami_apdu g;
  memset(&g, 0, sizeof g);
  g.tag = AMI_APDU_GENERAL_BLOCK_TRANSFER;
  g.u.gbt.block_control = (uint8_t)((last ? AMI_APDU_GBT_LAST : 0) | 1u);
  g.u.gbt.block_number = bn;
  g.u.gbt.block_number_ack = bna;
  g.u.gbt.data = ami_span_make(data, n);
  uint8_t buf[256];
  ami_wr w;
  ami_wr_init(&w, buf, sizeof buf);
  assert_ami(ami_apdu_encode(&w, &g), AMI_OK);
  return xfer(f, buf, w.len);
}

static void test_gbt(void **state) {
  (void)state;
  fx f;
  fx_setup(&f, 17, NULL, AMI_OK);
  uint8_t b[128];
  size_t n = make_aarq(b, sizeof b, AMI_ACSE_CTX_LN, AMI_ACSE_MECH_LLS,
                       "12345678", 6, 0x60101D, 64);
  expect_aare(xfer(&f, b, n), 0, 0);
  f.appd.big = 600;
  /* The GET in two GBT blocks; the first is acknowledged empty. */
  static const uint8_t get[] = {0xC0, 0x01, 0xC1, 0x00, 0x01, 0,   0,
                                96,   1,    9,    255,  0x02, 0x00};
  ami_span resp = gbt_xfer(&f, false, 1, 0, get, 5);
  ami_apdu a;
  apdu_decode_ok(resp, &a);
  assert_int_equal(a.tag, AMI_APDU_GENERAL_BLOCK_TRANSFER);
  assert_int_equal(a.u.gbt.data.len, 0);
  assert_int_equal(a.u.gbt.block_number, 1);
  assert_int_equal(a.u.gbt.block_number_ack, 1);
  resp = gbt_xfer(&f, true, 2, 1, get + 5, sizeof get - 5);
  /* The response in blocks of at most 64 bytes, one per acknowledgement. */
  static uint8_t joined[2048];
  size_t jl = 0;
  uint16_t expect_bn = 2, cbn = 2;
  for (;;) {
    assert_true(resp.len <= 64);
    apdu_decode_ok(resp, &a);
    assert_int_equal(a.tag, AMI_APDU_GENERAL_BLOCK_TRANSFER);
    assert_int_equal(a.u.gbt.block_number, expect_bn++);
    assert_int_equal(a.u.gbt.block_number_ack, cbn);
    memcpy(joined + jl, a.u.gbt.data.p, a.u.gbt.data.len);
    jl += a.u.gbt.data.len;
    if (a.u.gbt.block_control & AMI_APDU_GBT_LAST)
      break;
    if (a.u.gbt.block_number == 3) {
      /* Lost-block recovery: "block 3 never came" (the acknowledgement
       * names 2): block 3 again, same number, same bytes. */
      uint8_t first[64];
      size_t fl = resp.len;
      memcpy(first, resp.p, fl);
      resp = gbt_xfer(&f, false, ++cbn, 2, NULL, 0);
      ami_apdu again;
      apdu_decode_ok(resp, &again);
      assert_int_equal(again.u.gbt.block_number, 3);
      assert_int_equal(again.u.gbt.data.len, a.u.gbt.data.len);
      assert_memory_equal(again.u.gbt.data.p, a.u.gbt.data.p, a.u.gbt.data.len);
      assert_true(fl == resp.len);
    }
    resp = gbt_xfer(&f, false, ++cbn, a.u.gbt.block_number, NULL, 0);
  }
  /* Reassembled: one normal GET-Response with the whole value. */
  apdu_decode_ok(ami_span_make(joined, jl), &a);
  assert_int_equal(a.u.get_response.choice, 1);
  assert_int_equal(a.u.get_response.result.data.len, 604);
  /* A client block out of sequence, and a stale acknowledgement. */
  resp = gbt_xfer(&f, true, 9, 0, get, sizeof get);
  assert_int_equal(resp.p[0], AMI_APDU_EXCEPTION_RESPONSE);
  resp = gbt_xfer(&f, false, 3, 77, NULL, 0);
  assert_int_equal(resp.p[0], AMI_APDU_EXCEPTION_RESPONSE);
  /* A small request in one block: the answer in one last block. */
  static const uint8_t get_reg[] = {0xC0, 0x01, 0xC1, 0x00, 0x01, 0,   0,
                                    96,   1,    1,    255,  0x02, 0x00};
  resp = gbt_xfer(&f, true, 1, 0, get_reg, sizeof get_reg);
  apdu_decode_ok(resp, &a);
  assert_int_equal(a.tag, AMI_APDU_GENERAL_BLOCK_TRANSFER);
  assert_true(a.u.gbt.block_control & AMI_APDU_GBT_LAST);
  assert_int_equal(a.u.gbt.block_number, 1);
  assert_int_equal(a.u.gbt.block_number_ack, 1);
  ami_test_assert_bytes(a.u.gbt.data.p, a.u.gbt.data.len,
                        "C401C100 0600000000");
  fx_teardown(&f);
  /* Without GBT in the conformance block, GBT is an unknown service. */
  fx_setup(&f, 16, NULL, AMI_OK);
  associate_none(&f);
  resp = gbt_xfer(&f, true, 1, 0, get, sizeof get);
  assert_int_equal(resp.p[0], AMI_APDU_EXCEPTION_RESPONSE);
  fx_teardown(&f);
}

/* The recorded HLS-GMAC session under a failing allocator: every failure
 * is survived (AMI_E_NOMEM or a refusal), nothing leaks. */
static void test_failing_allocator_hls(void **state) {
  (void)state;
  rec r;
  memset(&r, 0, sizeof r);
  if (ami_test_session_apdus("vectors/dlms/gurux-sessions/"
                             "gurux_wrapper_ln_hlsgmac_ae_clock_ldn.txt",
                             rec_cb, &r) < 0)
    skip();
  ami_acse aare;
  assert_ami(ami_acse_decode(ami_span_make(r.p[1], r.n[1]), &aare), AMI_OK);
  memcpy(g_rand, aare.u.aare.auth_value.value.p, 16);
  for (long k = 1; k < 48; k++) {
    ami_test_failalloc fa;
    ami_test_failalloc_init(&fa, k);
    fx f;
    fx_setup(&f, 1, &fa.base, AMI_OK);
    for (int i = 0; i < r.count; i++) {
      if (!r.tx[i])
        continue;
      if (i == 2 && ami_server_sec(f.s))
        ami_server_sec(f.s)->ic[AMI_SEC_KEY_UNICAST].tx_next = 2;
      int rc = ami_server_recv(f.s, r.p[i], r.n[i], 0);
      assert_true(rc == AMI_OK || rc == AMI_E_NOMEM);
      while (ami_server_pull(f.s, f.out, sizeof f.out, 0) > 0) {
      }
    }
    fx_teardown(&f);
    assert_int_equal(fa.live, 0);
  }
  rec_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_garbage),
      cmocka_unit_test(test_two_engines_independent),
      cmocka_unit_test(test_null_inputs),
      cmocka_unit_test(test_failing_allocator),
      cmocka_unit_test(test_ciphered_dedicated_push),
      cmocka_unit_test(test_push_unassociated),
      cmocka_unit_test(test_action_long_return),
      cmocka_unit_test(test_hls_plain_context),
      cmocka_unit_test(test_hls_sha256),
      cmocka_unit_test(test_hls_sha256_wrong),
      cmocka_unit_test(test_gbt),
      cmocka_unit_test(test_failing_allocator_hls),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
