/*
 * test_client_faults.c -- the client engine (ami_client.h) when things go
 * wrong or differ: dedicated keys, a peer that stops mid-block, a lost link,
 * pushes (plain and the ciphered Kaifa recording), invoke-id rotation, API
 * misuse, failing allocations and crypto faults, and the recordings replayed
 * frame for frame through the real wrapper and HDLC links.
 */
#include "test_client_harness.h"

/* ---------------------------------------------------------------------- */
/* Ciphering with a dedicated key, against a server made of ami_sec calls */

static const uint8_t DK[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                               0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF};

typedef struct fake_server {
  ami_sec_ctx sec;
} fake_server;

static void fake_server_init(fake_server *s) {
  ami_sec_init(&s->sec, ami_crypto_openssl());
  assert_ami_ok(ami_sec_set_key(&s->sec, AMI_SEC_KEY_UNICAST, EK, 16));
  assert_ami_ok(ami_sec_set_ak(&s->sec, AK, 16));
  ami_sec_set_own_title(&s->sec, SERVER_TITLE);
  ami_sec_set_peer_title(&s->sec, CLIENT_TITLE);
}

/* Decipher a client APDU; returns the plaintext length in out. */
static size_t server_open(fake_server *s, const uint8_t *p, size_t n,
                          uint8_t *out, size_t cap, ami_sec_info *info) {
  ami_wr w;
  ami_wr_init(&w, out, cap);
  assert_ami_ok(ami_sec_decrypt(&s->sec, ami_span_make(p, n), &w, info));
  return w.len;
}

static size_t server_seal(fake_server *s, ami_sec_form form, const char *hex,
                          uint8_t *out, size_t cap) {
  size_t n;
  uint8_t *plain = ami_test_hex(hex, &n);
  ami_wr w;
  ami_wr_init(&w, out, cap);
  assert_ami_ok(ami_sec_encrypt(&s->sec, form, AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC,
                                ami_span_make(plain, n), &w));
  free(plain);
  return w.len;
}

static void test_dedicated_key(void **state) {
  (void)state;
  fake_server srv;
  fake_server_init(&srv);
  ami_client_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.context = AMI_ACSE_CTX_LN_CIPHERED;
  cfg.crypto = ami_crypto_openssl();
  cfg.ek = EK;
  cfg.ek_len = 16;
  cfg.ak = AK;
  cfg.ak_len = 16;
  memcpy(cfg.system_title, CLIENT_TITLE, 8);
  cfg.dedicated_key = DK;
  cfg.dedicated_key_len = 16;
  cfg.cipher_form = AMI_SEC_FORM_DED;
  cfg.conformance = 0x401E1D;
  cfg.max_pdu_size = 1200;
  harness *h = plain_harness(&cfg);
  h->have_ic = true;
  h->ic_load = 100;
  assert_ami_ok(ami_client_associate(h->c));
  uint32_t id;
  assert_ami_ok(ami_client_get(h->c, &CLOCK_TIME, NULL, &id));

  /* The AARQ: calling-AP-title, glo-initiateRequest with IC 100 carrying
   * the dedicated key. */
  uint8_t buf[1024], plain[1024], enc[256];
  size_t n = ami_client_pull(h->c, buf, sizeof buf, 1);
  ami_acse q;
  assert_ami_ok(ami_acse_decode(ami_span_make(buf, n), &q));
  assert_int_equal(q.u.aarq.context.id, AMI_ACSE_CTX_LN_CIPHERED);
  assert_memory_equal(q.u.aarq.calling_ap_title.value.p, CLIENT_TITLE, 8);
  assert_false(q.u.aarq.mechanism.present);
  ami_wr w;
  ami_wr_init(&w, enc, sizeof enc);
  assert_ami_ok(ami_apdu_encode(&w, &q.u.aarq.user_info.apdu));
  ami_sec_info info;
  size_t pn = server_open(&srv, enc, w.len, plain, sizeof plain, &info);
  assert_int_equal(info.ic, 100);
  ami_apdu ir;
  assert_ami_ok(ami_apdu_decode(ami_span_make(plain, pn), &ir));
  assert_true(ir.u.initiate_request.has_dedicated_key);
  assert_memory_equal(ir.u.initiate_request.dedicated_key.p, DK, 16);
  assert_int_equal(ir.u.initiate_request.max_pdu_size, 1200);
  assert_ami_ok(ami_sec_set_key(&srv.sec, AMI_SEC_KEY_DEDICATED, DK, 16));

  /* The AARE with a glo-initiateResponse. */
  size_t en = server_seal(&srv, AMI_SEC_FORM_GLO,
                          "0800065F1F040040181D01F40007", enc, sizeof enc);
  ami_acse e;
  memset(&e, 0, sizeof e);
  e.tag = AMI_ACSE_AARE;
  e.u.aare.context.present = true;
  e.u.aare.context.id = AMI_ACSE_CTX_LN_CIPHERED;
  e.u.aare.result.present = true;
  e.u.aare.diagnostic.present = true;
  e.u.aare.diagnostic.source = AMI_ACSE_DIAG_USER;
  e.u.aare.responding_ap_title.present = true;
  e.u.aare.responding_ap_title.value = ami_span_make(SERVER_TITLE, 8);
  e.u.aare.user_info.present = true;
  assert_ami_ok(
      ami_apdu_decode(ami_span_make(enc, en), &e.u.aare.user_info.apdu));
  ami_wr_init(&w, buf, sizeof buf);
  assert_ami_ok(ami_acse_encode(&w, &e));
  feed(h, buf, w.len, 2);
  assert_ami_ok(h->assoc_rc);
  assert_int_equal(h->info.conformance, 0x40181Du);

  /* The GET goes out ded-ciphered (0xD0) with the dedicated key's own
   * counter, from 0 (a fresh key each association); the global key's
   * counter stays where the AARQ left it. */
  n = ami_client_pull(h->c, buf, sizeof buf, 3);
  assert_int_equal(buf[0], AMI_APDU_DED_GET_REQUEST);
  pn = server_open(&srv, buf, n, plain, sizeof plain, &info);
  assert_int_equal(info.ic, 0);
  ami_test_assert_bytes(plain, pn, "C001C1000800000100 00FF0200");
  assert_int_equal(h->ic_stored, 101);

  /* A response in clear is refused in a ciphered association. */
  feed_hex(h, "C401C1000600001391", 4);
  assert_int_equal(h->errors, 1);
  assert_ami(AMI_E_SECURITY_CONTROL, h->last_error);
  /* The ded-ciphered response is accepted. */
  en = server_seal(&srv, AMI_SEC_FORM_DED, "C401C1000600001391", enc,
                   sizeof enc);
  feed(h, enc, en, 5);
  assert_int_equal(h->nresp, 1);
  ami_test_assert_bytes(h->r[0].data[0], h->r[0].len[0], "0600001391");
  /* ... and once only. */
  feed(h, enc, en, 6);
  assert_int_equal(h->errors, 2);
  assert_ami(AMI_E_REPLAY, h->last_error);
  harness_free(h);

  /* random_dedicated_key: a fresh key from the plugin's RNG in every AARQ;
   * a fixed key and a random one together are refused. */
  cfg.random_dedicated_key = true;
  int rc;
  h = harness_new(&cfg, NULL, &rc);
  assert_ami(AMI_E_INVAL, rc);
  harness_free(h);
  cfg.dedicated_key = NULL;
  cfg.dedicated_key_len = 0;
  fixed_rng rng;
  fixed_rng_init(&rng, (const uint8_t *)"\x5A\xA5", 2);
  cfg.crypto = &rng.tc.base;
  h = plain_harness(&cfg);
  assert_ami_ok(ami_client_associate(h->c));
  n = ami_client_pull(h->c, buf, sizeof buf, 1);
  assert_ami_ok(ami_acse_decode(ami_span_make(buf, n), &q));
  ami_wr_init(&w, enc, sizeof enc);
  assert_ami_ok(ami_apdu_encode(&w, &q.u.aarq.user_info.apdu));
  srv.sec.ic[AMI_SEC_KEY_UNICAST].rx_valid = false;
  pn = server_open(&srv, enc, w.len, plain, sizeof plain, &info);
  assert_ami_ok(ami_apdu_decode(ami_span_make(plain, pn), &ir));
  assert_true(ir.u.initiate_request.has_dedicated_key);
  assert_int_equal(ir.u.initiate_request.dedicated_key.len, 16);
  ami_test_assert_bytes(ir.u.initiate_request.dedicated_key.p, 16,
                        "5AA55AA55AA55AA55AA55AA55AA55AA5");
  harness_free(h);
  ami_sec_free(&srv.sec);
}

/* ---------------------------------------------------------------------- */
/* Timeouts, link loss, pushes */

/* The server stops after the first block of the association view: the
 * request fails with AMI_E_TIMEOUT at its deadline, and the engine then
 * performs the recorded clock GET cleanly. */
static void test_timeout_mid_block(void **state) {
  (void)state;
  session s;
  if (!load_session(NONE_SESSION, &s)) {
    skip();
    return;
  }
  ami_client_cfg cfg = none_cfg(&s);
  int rc;
  harness *h = harness_new(&cfg, NULL, &rc);
  assert_ami_ok(rc);
  assert_ami_ok(ami_client_associate(h->c));
  uint32_t id;
  assert_ami_ok(ami_client_get(h->c, &ASSOC_VIEW, NULL, &id));
  /* AARQ, AARE, GET, block 1 at t=1003 (the get-next goes to the link at
   * once), get-next pulled. */
  replay(h, &s, 0, 5);
  assert_int_equal(ami_client_expiry(h->c), 1003u + 5000u);
  assert_ami_ok(ami_client_handle_expiry(h->c, 1003u + 4999u));
  assert_int_equal(h->nresp, 0);
  assert_ami_ok(ami_client_handle_expiry(h->c, 1003u + 5000u));
  assert_int_equal(h->nresp, 1);
  assert_ami(AMI_E_TIMEOUT, h->r[0].error);
  assert_int_equal(ami_client_expiry(h->c), AMI_CLIENT_NO_EXPIRY);
  assert_true(ami_client_is_associated(h->c));
  /* The clean engine performs the next request exactly as recorded. */
  int clock_tx = -1;
  for (int i = 0; i < s.n; i++)
    if (s.a[i].tx && s.a[i].n == 13 && s.a[i].p[4] == 8)
      clock_tx = i;
  assert_true(clock_tx > 0);
  assert_ami_ok(ami_client_get(h->c, &CLOCK_TIME, NULL, &id));
  replay(h, &s, clock_tx, clock_tx + 2);
  assert_int_equal(h->nresp, 2);
  check_clock_2026_11_22(&h->r[1]);

  /* No AARE: the association attempt times out too. */
  assert_ami_ok(ami_client_release(h->c));
  uint8_t buf[512];
  assert_true(ami_client_pull(h->c, buf, sizeof buf, 9000) > 0); /* RLRQ */
  assert_ami_ok(ami_client_handle_expiry(h->c, 9000u + 5000u));
  assert_int_equal(h->released, 1);
  assert_ami(AMI_E_TIMEOUT, h->released_rc);
  assert_ami_ok(ami_client_associate(h->c));
  assert_true(ami_client_pull(h->c, buf, sizeof buf, 20000) > 0); /* AARQ */
  assert_ami_ok(ami_client_handle_expiry(h->c, 25000));
  assert_int_equal(h->assoc_calls, 2);
  assert_ami(AMI_E_TIMEOUT, h->assoc_rc);
  harness_free(h);
  free_session(&s);
}

static void test_link_lost(void **state) {
  (void)state;
  ami_client_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  harness *h = associated(&cfg);
  uint32_t id;
  assert_ami_ok(ami_client_get(h->c, &CLOCK_TIME, NULL, &id));
  assert_ami_ok(ami_client_get(h->c, &CLOCK_TIME, NULL, &id));
  uint8_t buf[512];
  assert_true(ami_client_pull(h->c, buf, sizeof buf, 1) > 0);
  ami_test_client_link_drop(&h->link);
  assert_ami_ok(ami_client_handle_expiry(h->c, 2));
  assert_int_equal(h->nresp, 2);
  assert_ami(AMI_E_CLOSED, h->r[0].error);
  assert_ami(AMI_E_CLOSED, h->r[1].error);
  assert_int_equal(h->released, 1);
  assert_ami(AMI_E_CLOSED, h->released_rc);
  assert_ami(AMI_E_STATE, ami_client_get(h->c, &CLOCK_TIME, NULL, &id));
  harness_free(h);
}

/* VECTORS.md §2 DataNotification, unsolicited, while associated and with a
 * request in flight: delivered through on_push, the request unaffected. */
static void test_push(void **state) {
  (void)state;
  ami_client_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  harness *h = associated(&cfg);
  uint32_t id;
  assert_ami_ok(ami_client_get(h->c, &CLOCK_TIME, NULL, &id));
  uint8_t buf[512];
  assert_true(ami_client_pull(h->c, buf, sizeof buf, 1) > 0);
  feed_hex(h,
           "0F000001DB000922125A8591360000000049000000110000000A5A8513D01480"
           "0000000D0000000A0100",
           2);
  assert_int_equal(h->pushes, 1);
  assert_int_equal(h->push_tag, AMI_APDU_DATA_NOTIFICATION);
  assert_int_equal(h->push_iip, 0x1DBu);
  assert_int_equal(h->push_len, 36);
  assert_int_equal(h->push_body[0], 0x09);
  /* An EventNotificationRequest: no time, clock attr 2, an unsigned. */
  feed_hex(h, "C200 000800000100 00FF02 1107", 3);
  assert_int_equal(h->pushes, 2);
  assert_int_equal(h->push_tag, AMI_APDU_EVENT_NOTIFICATION_REQUEST);
  assert_int_equal(h->nresp, 0);
  feed_hex(h, "C401C1000600001391", 4);
  assert_int_equal(h->nresp, 1);
  harness_free(h);
}

/* VECTORS.md §5: a real meter's ciphered push (Kaifa MA309: general-glo-
 * ciphering, encryption only, suite id 1, IC 00295B9A) reaches a listening
 * engine (no association: push-only) deciphered through on_push; the body
 * holds 1-0:32.7.0 (voltage L1). Without lax_suite the suite id 1 is
 * refused. */
static void test_push_ciphered_kaifa(void **state) {
  (void)state;
  static const char *apdu =
      "DB084B464D10100000238201092100295B9AEFC1546E644A2C9E32EDD42CBD0F"
      "1B945B194D086885C4D8DF86DD52CB5B448854A6D548D5D270739B2A169D05B0"
      "13F9015070089D3C5FA45CA05E92309A645CC83D7DA40FBC8F4CF9C225AFA69A"
      "25FF0B2AC9C2744550ABA53CE9143FD10B0AD85FD30BD6B6DFFEE65F8204DC9C"
      "5067CA73B62E299A39D50AA730B2B9AE3836BC2F3490FB41BE5B6F930D849529"
      "76369DD7DABBB5A4354AECA1D2486CFF2EB0C6206380BA501D122AF75D716D30"
      "92C3960506A15E06FAB0EE5B7DFA3C2CDF0CAFD051B88E44B8B9FB8865F20CB8"
      "9D1143CDC7EFEB07FB4C4898E764E9E3A32DDC3D1FB46961CE962B2C78050C96"
      "598C7E4D26658043F9CBCA78189BD01B139F8AE0F739";
  static const uint8_t kek[16] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
                                  0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B,
                                  0x1C, 0x1D, 0x1E, 0x1F};
  ami_client_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.context = AMI_ACSE_CTX_LN_CIPHERED;
  cfg.crypto = ami_crypto_openssl();
  cfg.ek = kek;
  cfg.ek_len = 16;
  cfg.security = AMI_SEC_SC_ENC; /* no AK needed */
  memcpy(cfg.system_title, CLIENT_TITLE, 8);
  for (int lax = 0; lax < 2; lax++) {
    cfg.lax_suite = lax == 1;
    harness *h = plain_harness(&cfg);
    feed_hex(h, apdu, 1);
    if (!lax) {
      assert_int_equal(h->pushes, 0);
      assert_ami(AMI_E_SECURITY_CONTROL, h->last_error);
      harness_free(h);
      continue;
    }
    assert_int_equal(h->errors, 0);
    assert_int_equal(h->pushes, 1);
    assert_int_equal(h->push_tag, AMI_APDU_DATA_NOTIFICATION);
    ami_span obis = ami_span_make("\x01\x00\x20\x07\x00\xFF", 6);
    bool found = false;
    for (size_t i = 0; i + 6 <= h->push_len; i++)
      if (memcmp(h->push_body + i, obis.p, 6) == 0)
        found = true;
    assert_true(found);
    size_t used = 0;
    assert_ami_ok(
        ami_axdr_validate(ami_span_make(h->push_body, h->push_len), &used));
    assert_int_equal(used, h->push_len);
    harness_free(h);
  }
}

/* rotate_invoke_id: each request takes the next invoke-id, so the late
 * answer to a request that timed out is told apart and dropped. */
static void test_rotate_invoke_id(void **state) {
  (void)state;
  ami_client_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.rotate_invoke_id = true;
  cfg.invoke_id = 15;
  cfg.timeout_ms = 100;
  cfg.normal_priority = true;
  harness *h = associated(&cfg);
  uint32_t id;
  assert_ami_ok(ami_client_get(h->c, &CLOCK_TIME, NULL, &id));
  size_t n;
  uint8_t *v = ami_test_hex("C0014F000800000100 00FF0200", &n);
  expect_tx(h, v, n, 10);
  free(v);
  assert_ami_ok(ami_client_handle_expiry(h->c, 110));
  assert_ami(AMI_E_TIMEOUT, h->r[0].error);
  assert_ami_ok(ami_client_get(h->c, &CLOCK_TIME, NULL, &id));
  v = ami_test_hex("C00140000800000100 00FF0200", &n); /* 15 -> 0 */
  expect_tx(h, v, n, 120);
  free(v);
  feed_hex(h, "C4014F000600001391", 121); /* the late answer to id 15 */
  assert_int_equal(h->nresp, 1);
  assert_int_equal(h->errors, 1);
  feed_hex(h, "C40140000600001392", 122);
  assert_int_equal(h->nresp, 2);
  ami_test_assert_bytes(h->r[1].data[0], h->r[1].len[0], "0600001392");
  harness_free(h);
}

/* Bad configurations and calls in the wrong state. */
static void test_api_misuse(void **state) {
  (void)state;
  ami_test_client_link link;
  ami_test_client_link_init(&link);
  ami_client *c = NULL;
  ami_client_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  assert_ami(AMI_E_INVAL,
             ami_client_new(&c, NULL, NULL, NULL, &link.base, NULL));
  assert_ami(AMI_E_INVAL, ami_client_new(&c, &cfg, NULL, NULL, NULL, NULL));
  cfg.mechanism = AMI_ACSE_MECH_GMAC; /* no crypto, no keys */
  assert_ami(AMI_E_INVAL,
             ami_client_new(&c, &cfg, NULL, NULL, &link.base, NULL));
  cfg.mechanism = AMI_ACSE_MECH_SHA256; /* no secret, no crypto */
  assert_ami(AMI_E_INVAL,
             ami_client_new(&c, &cfg, NULL, NULL, &link.base, NULL));
  cfg.hls_secret = (const uint8_t *)"s";
  cfg.hls_secret_len = 1; /* a secret but still no crypto */
  assert_ami(AMI_E_INVAL,
             ami_client_new(&c, &cfg, NULL, NULL, &link.base, NULL));
  cfg.hls_secret_len = AMI_CLIENT_HLS_SECRET_MAX + 1;
  cfg.crypto = ami_crypto_openssl(); /* crypto, secret too long */
  assert_ami(AMI_E_INVAL,
             ami_client_new(&c, &cfg, NULL, NULL, &link.base, NULL));
  cfg.crypto = NULL;
  cfg.hls_secret = NULL;
  cfg.hls_secret_len = 0;
  cfg.mechanism = 9;
  assert_ami(AMI_E_INVAL,
             ami_client_new(&c, &cfg, NULL, NULL, &link.base, NULL));
  cfg.mechanism = 0;
  cfg.cipher_form = AMI_SEC_FORM_DED; /* ded- form without dedicated key */
  assert_ami(AMI_E_INVAL,
             ami_client_new(&c, &cfg, NULL, NULL, &link.base, NULL));
  cfg.cipher_form = AMI_SEC_FORM_GLO;
  ami_client_callbacks cb = CALLBACKS;
  cb.version = 99;
  assert_ami(AMI_E_INVAL,
             ami_client_new(&c, &cfg, &cb, NULL, &link.base, NULL));
  assert_ami_ok(ami_client_new(&c, &cfg, NULL, NULL, &link.base, NULL));
  uint32_t id = 7;
  assert_ami(AMI_E_STATE, ami_client_get(c, &CLOCK_TIME, NULL, &id));
  assert_int_equal(id, 0);
  assert_ami(AMI_E_STATE, ami_client_release(c));
  assert_ami_ok(ami_client_associate(c));
  for (unsigned i = 0; i < 8; i++)
    assert_ami_ok(ami_client_get(c, &CLOCK_TIME, NULL, &id));
  assert_ami(AMI_E_LIMIT, ami_client_get(c, &CLOCK_TIME, NULL, &id));
  ami_client_free(c);
  ami_client_free(NULL);
}

/* ---------------------------------------------------------------------- */
/* Failing allocator: every allocation failure is handled, nothing leaks. */

static void test_failing_allocator(void **state) {
  (void)state;
  session s;
  if (!load_session(NONE_SESSION, &s)) {
    skip();
    return;
  }
  ami_client_cfg cfg = none_cfg(&s);
  bool completed = false;
  for (long fail_at = 0; fail_at < 200 && !completed; fail_at++) {
    ami_test_failalloc fa;
    ami_test_failalloc_init(&fa, fail_at);
    int rc;
    harness *h = harness_new(&cfg, &fa.base, &rc);
    if (rc != AMI_OK) {
      assert_ami(AMI_E_NOMEM, rc);
      assert_int_equal(fa.live, 0);
      free(h);
      continue;
    }
    assert_ami_ok(ami_client_associate(h->c));
    uint32_t id;
    int g1 = ami_client_get(h->c, &ASSOC_VIEW, NULL, &id);
    int g2 = ami_client_get(h->c, &CLOCK_TIME, NULL, &id);
    assert_true(g1 == AMI_OK || g1 == AMI_E_NOMEM);
    assert_true(g2 == AMI_OK || g2 == AMI_E_NOMEM);
    assert_ami_ok(ami_client_release(h->c));
    uint8_t buf[AMI_TEST_CLIENT_LINK_MAX];
    for (int i = 0; i < s.n; i++) {
      if (s.a[i].tx)
        (void)ami_client_pull(h->c, buf, sizeof buf, (uint64_t)i);
      else
        feed(h, s.a[i].p, s.a[i].n, (uint64_t)i);
    }
    completed = fa.calls <= fail_at; /* nothing failed this time */
    if (completed) {
      assert_int_equal(h->nresp, 2);
      check_object_list(&h->r[0]);
    } else if (g1 == AMI_OK && h->nresp > 0 && h->r[0].error != AMI_OK) {
      assert_ami(AMI_E_NOMEM, h->r[0].error);
    }
    ami_client_free(h->c);
    h->c = NULL;
    assert_int_equal(fa.live, 0);
    harness_free(h);
  }
  assert_true(completed);
  free_session(&s);
}

/* Fault injection at the crypto seam: every crypto call of the HLS session
 * in turn fails with AMI_E_CRYPTO (key set-up, challenge, ciphering,
 * deciphering, GMAC). The engine reports it -- engine creation, the
 * association, a request or an on_error -- never crashes, never leaks, and
 * never reports success for what failed. */
static void test_crypto_faults(void **state) {
  (void)state;
  session s;
  if (!load_session(HLS_SESSION, &s)) {
    skip();
    return;
  }
  long total = -1;
  for (long fail_at = 0; total < 0 || fail_at < total; fail_at++) {
    fixed_rng rng;
    uint8_t ctos[16];
    uint32_t ic;
    recorded_ctos(&s, ctos);
    fixed_rng_init(&rng, ctos, 16);
    rng.tc.fail_at = total < 0 ? -1 : fail_at;
    rng.tc.fail_rc = AMI_E_CRYPTO;
    ami_client_cfg cfg = hls_cfg(&s, &rng, &ic);
    int rc;
    harness *h = harness_new(&cfg, NULL, &rc);
    if (rc != AMI_OK) {
      assert_ami(AMI_E_CRYPTO, rc);
      harness_free(h);
      continue;
    }
    h->have_ic = true;
    h->ic_load = ic;
    uint32_t id;
    assert_ami_ok(ami_client_associate(h->c));
    assert_ami_ok(ami_client_get(h->c, &ASSOC_VIEW, NULL, &id));
    uint8_t buf[AMI_TEST_CLIENT_LINK_MAX];
    for (int i = 0; i < s.n; i++) {
      if (s.a[i].tx)
        (void)ami_client_pull(h->c, buf, sizeof buf, (uint64_t)i);
      else
        feed(h, s.a[i].p, s.a[i].n, (uint64_t)i);
    }
    assert_ami_ok(ami_client_handle_expiry(h->c, 1000000));
    if (total < 0) { /* the clean run counts the calls */
      total = rng.tc.calls;
      assert_int_equal(h->nresp, 1);
      assert_ami_ok(h->r[0].error);
      fail_at = -1;
    } else {
      bool failed = h->errors > 0 || h->assoc_rc != AMI_OK ||
                    (h->nresp == 1 && h->r[0].error != AMI_OK);
      if (!failed)
        fail_msg("crypto call %ld failed unnoticed", fail_at);
    }
    harness_free(h);
  }
  assert_true(total > 10);
  free_session(&s);
}

/* ---------------------------------------------------------------------- */
/* Over the real links: every client FRAME (wrapper header; HDLC SNRM, I
 * frames, RR polls, DISC) must equal the recorded one. */

#ifdef AMI_TEST_HAVE_LINKS
/* Replay whole frames; the harness's link field is unused here. The
 * application disconnects the link after the release (HDLC DISC). */
static void replay_frames(harness *h, ami_link *l, const char *file) {
  ami_test_recording r;
  if (!ami_test_recording_load(&r, file)) {
    skip();
    return;
  }
  size_t frames = 0;
  bool disconnected = false;
  for (size_t i = 0; i < r.n; i++) {
    uint64_t now = 1000u + 10u * i;
    if (h->released && !disconnected) {
      assert_ami_ok(ami_link_disconnect(l, now));
      disconnected = true;
    }
    if (r.f[i].tx) {
      expect_tx(h, r.f[i].bytes, r.f[i].len, now);
      frames++;
    } else {
      feed(h, r.f[i].bytes, r.f[i].len, now);
    }
  }
  assert_true(frames >= 10);
  ami_test_recording_free(&r);
}

static harness *harness_over(const ami_client_cfg *cfg, ami_link *l) {
  harness *h = calloc(1, sizeof *h);
  assert_non_null(h);
  assert_ami_ok(ami_client_new(&h->c, cfg, &CALLBACKS, h, l, NULL));
  return h;
}

static void queue_clock_session(harness *h) {
  uint32_t id;
  assert_ami_ok(ami_client_associate(h->c));
  assert_ami_ok(ami_client_get(h->c, &ASSOC_VIEW, NULL, &id));
  assert_ami_ok(ami_client_get(h->c, &CLOCK_TIME, NULL, &id));
}

static void test_over_wrapper_link(void **state) {
  (void)state;
  session s;
  if (!load_session(NONE_SESSION, &s)) {
    skip();
    return;
  }
  ami_client_cfg cfg = none_cfg(&s);
  ami_wrapper_link wl;
  ami_wrapper_link_config wc;
  memset(&wc, 0, sizeof wc);
  wc.role = AMI_LINK_CLIENT;
  wc.own_wport = 0x10;
  wc.peer_wport = 1;
  ami_link *l = ami_wrapper_link_init(&wl, &wc);
  harness *h = harness_over(&cfg, l);
  queue_clock_session(h);
  assert_ami_ok(ami_client_release(h->c));
  replay_frames(h, l, NONE_SESSION);
  assert_int_equal(h->nresp, 2);
  check_object_list(&h->r[0]);
  check_clock_2026_11_22(&h->r[1]);
  assert_int_equal(h->released, 1);
  harness_free(h);
  ami_link_free(l);

  /* The HLS-GMAC session, client wPort 1. */
  fixed_rng rng;
  uint32_t ic;
  uint8_t ctos[16];
  session hs;
  if (!load_session(HLS_SESSION, &hs)) {
    free_session(&s);
    skip();
    return;
  }
  recorded_ctos(&hs, ctos);
  fixed_rng_init(&rng, ctos, 16);
  ami_client_cfg hc = hls_cfg(&hs, &rng, &ic);
  wc.own_wport = 1;
  l = ami_wrapper_link_init(&wl, &wc);
  h = harness_over(&hc, l);
  h->have_ic = true;
  h->ic_load = ic;
  queue_clock_session(h);
  uint32_t id;
  assert_ami_ok(ami_client_get(h->c, &LDN, NULL, &id));
  assert_ami_ok(ami_client_release(h->c));
  replay_frames(h, l, HLS_SESSION);
  assert_int_equal(h->nresp, 3);
  check_object_list(&h->r[0]);
  assert_int_equal(h->errors, 0);
  harness_free(h);
  ami_link_free(l);
  free_session(&hs);
  free_session(&s);
}

static void test_over_hdlc_link(void **state) {
  (void)state;
  static const char *file =
      "vectors/dlms/gurux-sessions/gurux_hdlc_ln_none_clock.txt";
  session s;
  if (!load_session(file, &s)) {
    skip();
    return;
  }
  ami_client_cfg cfg = none_cfg(&s);
  ami_hdlc_link *hl = calloc(1, sizeof *hl);
  assert_non_null(hl);
  ami_hdlc_link_config hc;
  memset(&hc, 0, sizeof hc);
  hc.role = AMI_LINK_CLIENT;
  hc.client_address = AMI_HDLC_CLIENT_PUBLIC;
  hc.server_address = ami_hdlc_addr_client(1);
  hc.max_apdu = 65535;
  ami_link *l = ami_hdlc_link_init(hl, &hc);
  harness *h = harness_over(&cfg, l);
  queue_clock_session(h);
  assert_ami_ok(ami_client_release(h->c));
  replay_frames(h, l, file); /* SNRM .. segmented I frames, RR .. DISC */
  assert_int_equal(h->nresp, 2);
  check_object_list(&h->r[0]);
  check_clock_2026_11_22(&h->r[1]);
  assert_int_equal(h->released, 1);
  assert_false(ami_link_is_connected(l));
  harness_free(h);
  ami_link_free(l);

  /* The HLS-GMAC session over HDLC, client SAP 1 (IC from 5000000). */
  static const char *hfile =
      "vectors/dlms/gurux-sessions/gurux_hdlc_ln_hlsgmac_ae_clock.txt";
  session hs;
  if (!load_session(hfile, &hs)) {
    free(hl);
    free_session(&s);
    skip();
    return;
  }
  fixed_rng rng;
  uint8_t ctos[16];
  uint32_t ic;
  recorded_ctos(&hs, ctos);
  fixed_rng_init(&rng, ctos, 16);
  ami_client_cfg hcfg = hls_cfg(&hs, &rng, &ic);
  assert_int_equal(ic, 5000000u);
  memset(hl, 0, sizeof *hl);
  hc.client_address = 1;
  l = ami_hdlc_link_init(hl, &hc);
  h = harness_over(&hcfg, l);
  h->have_ic = true;
  h->ic_load = ic;
  queue_clock_session(h);
  assert_ami_ok(ami_client_release(h->c));
  replay_frames(h, l, hfile);
  assert_int_equal(h->nresp, 2);
  check_object_list(&h->r[0]);
  check_clock_2026_11_22(&h->r[1]);
  assert_int_equal(h->errors, 0);
  assert_int_equal(h->released, 1);
  harness_free(h);
  ami_link_free(l);
  free(hl);
  free_session(&hs);
  free_session(&s);
}
#else
static void test_over_wrapper_link(void **state) {
  (void)state;
  skip(); /* the link branch is not merged yet */
}
static void test_over_hdlc_link(void **state) {
  (void)state;
  skip();
}
#endif

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dedicated_key),
      cmocka_unit_test(test_timeout_mid_block),
      cmocka_unit_test(test_link_lost),
      cmocka_unit_test(test_push),
      cmocka_unit_test(test_push_ciphered_kaifa),
      cmocka_unit_test(test_rotate_invoke_id),
      cmocka_unit_test(test_api_misuse),
      cmocka_unit_test(test_failing_allocator),
      cmocka_unit_test(test_crypto_faults),
      cmocka_unit_test(test_over_wrapper_link),
      cmocka_unit_test(test_over_hdlc_link),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
