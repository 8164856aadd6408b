/*
 * test_client_blocks.c -- the client engine (ami_client.h) with long data:
 * General-Block-Transfer, GET/SET with-datablock, ACTION with-pblock,
 * lists of blocks, truncated responses and the negotiated max PDU, against
 * hand-encoded server answers (IEC 62056-5-3 §9.3). Harness in
 * test_client_harness.h.
 */
#include "test_client_harness.h"

/* ---------------------------------------------------------------------- */
/* General-Block-Transfer (IEC 62056-5-3 §9.3.10), hand-built exchanges.
 * Green Book xDLMS ASN.1:
 *   general-block-transfer [224] IMPLICIT SEQUENCE {
 *     block-control     Unsigned8,   -- last 0x80, streaming 0x40, window
 *     block-number      Unsigned16,
 *     block-number-ack  Unsigned16,
 *     block-data        OCTET STRING }
 * so on the wire: E0, control, number (2), ack (2), A-XDR length, data. */

/* Associate with cfg.gbt and the VECTORS.md §2 accepted AARE, its
 * negotiated conformance given the general-block-transfer bit (0x200000:
 * 0x20501F) and its server-max-receive-pdu-size set to 64 (0x0040). */
static harness *gbt_associated(ami_client_cfg *cfg) {
  cfg->gbt = true;
  harness *h = plain_harness(cfg);
  assert_ami_ok(ami_client_associate(h->c));
  uint8_t buf[512];
  size_t n = ami_client_pull(h->c, buf, sizeof buf, 0);
  /* The AARQ proposes the bit. */
  ami_acse q;
  assert_ami_ok(ami_acse_decode(ami_span_make(buf, n), &q));
  assert_int_equal(q.u.aarq.user_info.apdu.u.initiate_request.conformance,
                   0x001E1Du | 0x200000u);
  feed_hex(h,
           "6129A109060760857405080101A203020100A305A103020100BE10040E080006"
           "5F1F040020501F00400007",
           0);
  assert_ami_ok(h->assoc_rc);
  assert_int_equal(ami_client_conformance(h->c), 0x20501Fu);
  return h;
}

/* A GET in one GBT block, its response in two; a SET in three blocks
 * (the server's max PDU is 64), each acknowledged by the server. */
static void test_gbt_exchange(void **state) {
  (void)state;
  ami_client_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  harness *h = gbt_associated(&cfg);
  uint32_t id;
  size_t n;
  uint8_t *v;

  /* GET clock time: the VECTORS.md §2 GET-Request-Normal (13 bytes) in
   * one block: control 0x81 (last, window 1), number 1, ack 0. */
  ami_apdu_desc d = {1, {0, 0, 43, 1, 0, 255}, 2};
  assert_ami_ok(ami_client_get(h->c, &d, NULL, &id));
  v = ami_test_hex("E0 81 0001 0000 0D C001C1000100002B0100FF0200", &n);
  expect_tx(h, v, n, 10);
  free(v);
  /* The server's response C401C1000600001391 in two blocks: block 1 (not
   * last, window 1, acknowledging our block 1) ... */
  feed_hex(h, "E0 01 0001 0001 04 C401C100", 11);
  assert_int_equal(h->nresp, 0);
  /* ... which we acknowledge: empty block 2, ack 1, window 1 ... */
  v = ami_test_hex("E0 01 0002 0001 00", &n);
  expect_tx(h, v, n, 12);
  free(v);
  /* ... and the last block 2, acknowledging our block 2. */
  feed_hex(h, "E0 81 0002 0002 05 0600001391", 13);
  assert_int_equal(h->nresp, 1);
  assert_ami_ok(h->r[0].error);
  assert_int_equal(h->r[0].id, id);
  ami_test_assert_bytes(h->r[0].data[0], h->r[0].len[0], "0600001391");
  assert_false(ami_client_want_write(h->c));

  /* SET of a 100-byte octet-string: the SET-Request-Normal is 13 + 102 =
   * 115 bytes; blocks of at most 64 - 10 = 54 bytes: 54, 54, 7. */
  uint8_t val[102];
  val[0] = 0x09;
  val[1] = 100;
  for (size_t i = 2; i < sizeof val; i++)
    val[i] = (uint8_t)(0xA0 + i);
  ami_apdu_desc sd = {1, {0, 0, 96, 1, 0, 255}, 2};
  assert_ami_ok(
      ami_client_set(h->c, &sd, NULL, ami_span_make(val, sizeof val), &id));
  uint8_t joined[256];
  size_t jlen = 0;
  for (uint16_t bn = 1; bn <= 3; bn++) {
    uint8_t buf[AMI_TEST_CLIENT_LINK_MAX];
    n = ami_client_pull(h->c, buf, sizeof buf, 20u + bn);
    assert_true(n > 0 && n <= 64);
    /* Field by field, by hand (not with our decoder). */
    assert_int_equal(buf[0], 0xE0);
    assert_int_equal(buf[1], bn == 3 ? 0x81 : 0x01);
    assert_int_equal((buf[2] << 8) | buf[3], bn);
    assert_int_equal((buf[4] << 8) | buf[5], bn - 1u); /* server's acks */
    assert_int_equal(buf[6], bn == 3 ? 7 : 54);
    assert_int_equal(n, 7u + buf[6]);
    memcpy(joined + jlen, buf + 7, buf[6]);
    jlen += buf[6];
    assert_false(ami_client_want_write(h->c));
    char ack[64];
    if (bn < 3) { /* the server's empty acknowledgement */
      snprintf(ack, sizeof ack, "E0 01 %04X %04X 00", bn, bn);
      feed_hex(h, ack, 30u + bn);
      assert_int_equal(h->nresp, 1);
    }
  }
  /* The joined blocks are the SET-Request-Normal. */
  v = ami_test_hex("C101C1 0001 0000600100FF 02 00", &n);
  assert_int_equal(jlen, n + sizeof val);
  assert_memory_equal(joined, v, n);
  assert_memory_equal(joined + n, val, sizeof val);
  free(v);
  /* SET-Response-Normal success in one last block 3 acknowledging ours. */
  feed_hex(h, "E0 81 0003 0003 04 C501C100", 40);
  assert_int_equal(h->nresp, 2);
  assert_ami_ok(h->r[1].error);
  assert_int_equal(h->r[1].dar[0], 0);
  harness_free(h);
}

/* Streaming, a duplicate block, a lost block, an out-of-step ack, a
 * response over max_response, a server that stops: each ends cleanly. */
static void test_gbt_errors(void **state) {
  (void)state;
  ami_client_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.gbt_window = 3;
  cfg.max_response = 32;
  harness *h = gbt_associated(&cfg);
  uint32_t id;
  size_t n;
  uint8_t *v;
  ami_apdu_desc d = {1, {0, 0, 43, 1, 0, 255}, 2};

  /* Window 3 advertised in our block (control 0x83). The server streams
   * blocks 1 and 2 (0x40), block 2 again (a duplicate, ignored), then
   * block 3 without streaming: only then do we acknowledge (ack 3). */
  assert_ami_ok(ami_client_get(h->c, &d, NULL, &id));
  v = ami_test_hex("E0 83 0001 0000 0D C001C1000100002B0100FF0200", &n);
  expect_tx(h, v, n, 10);
  free(v);
  feed_hex(h, "E0 43 0001 0001 02 C401", 11);
  assert_false(ami_client_want_write(h->c));
  feed_hex(h, "E0 43 0002 0001 02 C100", 11);
  feed_hex(h, "E0 43 0002 0001 02 C100", 11);
  assert_false(ami_client_want_write(h->c));
  feed_hex(h, "E0 03 0003 0001 02 0600", 12);
  v = ami_test_hex("E0 03 0002 0003 00", &n);
  expect_tx(h, v, n, 12);
  free(v);
  feed_hex(h, "E0 83 0004 0002 03 001391", 13);
  assert_int_equal(h->nresp, 1);
  assert_ami_ok(h->r[0].error);
  ami_test_assert_bytes(h->r[0].data[0], h->r[0].len[0], "0600001391");

  /* A lost block (3 after 1): AMI_E_BLOCK_NUMBER, no recovery. */
  assert_ami_ok(ami_client_get(h->c, &d, NULL, &id));
  assert_true(ami_client_pull(h->c, (uint8_t[64]){0}, 64, 20) > 0);
  feed_hex(h, "E0 01 0001 0001 04 C401C100", 21);
  assert_true(ami_client_pull(h->c, (uint8_t[64]){0}, 64, 21) > 0);
  feed_hex(h, "E0 81 0003 0002 05 0600001391", 22);
  assert_int_equal(h->nresp, 2);
  assert_ami(AMI_E_BLOCK_NUMBER, h->r[1].error);

  /* A block that does not acknowledge our last block. */
  assert_ami_ok(ami_client_get(h->c, &d, NULL, &id));
  assert_true(ami_client_pull(h->c, (uint8_t[64]){0}, 64, 30) > 0);
  feed_hex(h, "E0 81 0001 0000 09 C401C1000600001391", 31);
  assert_int_equal(h->nresp, 3);
  assert_ami(AMI_E_BLOCK_NUMBER, h->r[2].error);

  /* Blocks joining to more than max_response (32): AMI_E_LIMIT. */
  assert_ami_ok(ami_client_get(h->c, &d, NULL, &id));
  assert_true(ami_client_pull(h->c, (uint8_t[64]){0}, 64, 40) > 0);
  feed_hex(h,
           "E0 01 0001 0001 16 C401C100 0910 00000000000000000000000000000000",
           41);
  assert_true(ami_client_pull(h->c, (uint8_t[64]){0}, 64, 41) > 0);
  feed_hex(h, "E0 81 0002 0002 10 00000000000000000000000000000000", 42);
  assert_int_equal(h->nresp, 4);
  assert_ami(AMI_E_LIMIT, h->r[3].error);

  /* The joined APDU is malformed: the request fails with the decoder's
   * error rather than waiting. */
  assert_ami_ok(ami_client_get(h->c, &d, NULL, &id));
  assert_true(ami_client_pull(h->c, (uint8_t[64]){0}, 64, 50) > 0);
  feed_hex(h, "E0 81 0001 0001 05 C401C10006", 51);
  assert_int_equal(h->nresp, 5);
  assert_ami(AMI_E_TRUNCATED, h->r[4].error);

  /* The server stops after its first block: the request times out. */
  assert_ami_ok(ami_client_get(h->c, &d, NULL, &id));
  assert_true(ami_client_pull(h->c, (uint8_t[64]){0}, 64, 60) > 0);
  feed_hex(h, "E0 01 0001 0001 04 C401C100", 61);
  assert_true(ami_client_pull(h->c, (uint8_t[64]){0}, 64, 61) > 0);
  assert_int_equal(ami_client_expiry(h->c), 61u + 10000u);
  assert_ami_ok(ami_client_handle_expiry(h->c, 61u + 10000u));
  assert_int_equal(h->nresp, 6);
  assert_ami(AMI_E_TIMEOUT, h->r[5].error);

  /* A GBT APDU with no request in flight: dropped, reported. */
  int errors = h->errors;
  feed_hex(h, "E0 81 0001 0000 02 0100", 70);
  assert_int_equal(h->errors, errors + 1);
  assert_ami(AMI_E_STATE, h->last_error);
  assert_int_equal(h->nresp, 6);
  harness_free(h);
}

/* A server that does not grant the bit: plain requests as before. */
static void test_gbt_not_granted(void **state) {
  (void)state;
  ami_client_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.gbt = true;
  harness *h = associated(&cfg); /* conformance 0x00501F */
  uint32_t id;
  size_t n;
  ami_apdu_desc d = {1, {0, 0, 43, 1, 0, 255}, 2};
  assert_ami_ok(ami_client_get(h->c, &d, NULL, &id));
  uint8_t *v = ami_test_hex("C001C1000100002B0100FF0200", &n);
  expect_tx(h, v, n, 10);
  free(v);
  harness_free(h);
  cfg.gbt_window = 64; /* beyond the 6-bit window field */
  int rc;
  h = harness_new(&cfg, NULL, &rc);
  assert_ami(AMI_E_INVAL, rc);
  harness_free(h);
}

/* A SET whose value exceeds the server's max PDU (500) goes in datablocks:
 * each APDU within 500 bytes, numbered from 1, the raw blocks joining to
 * the value; the server acknowledges each; a last-datablock result ends
 * it. Checked with the APDU decoder, independent of the engine. */
static void test_set_datablocks(void **state) {
  (void)state;
  ami_client_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  harness *h = associated(&cfg);
  uint8_t big[1204];
  big[0] = 0x09;
  big[1] = 0x82;
  big[2] = 0x04;
  big[3] = 0xB0;
  for (size_t i = 4; i < sizeof big; i++)
    big[i] = (uint8_t)i;
  ami_apdu_desc d = {1, {0, 0, 96, 1, 0, 255}, 2};
  uint32_t id;
  assert_ami_ok(
      ami_client_set(h->c, &d, NULL, ami_span_make(big, sizeof big), &id));
  uint8_t joined[2048];
  size_t jlen = 0;
  uint32_t block = 0;
  for (int round = 0; round < 10; round++) {
    uint8_t buf[AMI_TEST_CLIENT_LINK_MAX];
    size_t n = ami_client_pull(h->c, buf, sizeof buf, 100);
    assert_true(n > 0 && n <= 500);
    ami_apdu a;
    assert_ami_ok(ami_apdu_decode(ami_span_make(buf, n), &a));
    assert_int_equal(a.tag, AMI_APDU_SET_REQUEST);
    const ami_apdu_set_request *s = &a.u.set_request;
    assert_int_equal(s->choice, block == 0 ? 2 : 3);
    if (block == 0) {
      assert_int_equal(s->attr.class_id, 1);
      assert_int_equal(s->attr.id, 2);
    }
    assert_int_equal(s->block.block_number, ++block);
    memcpy(joined + jlen, s->block.raw.p, s->block.raw.len);
    jlen += s->block.raw.len;
    char ack[64];
    if (s->block.last) {
      snprintf(ack, sizeof ack, "C503C100%08X", block);
      feed_hex(h, ack, 101);
      break;
    }
    snprintf(ack, sizeof ack, "C502C1%08X", block);
    feed_hex(h, ack, 101);
    assert_int_equal(h->nresp, 0);
  }
  assert_true(block >= 3);
  assert_int_equal(jlen, sizeof big);
  assert_memory_equal(joined, big, sizeof big);
  assert_int_equal(h->nresp, 1);
  assert_ami_ok(h->r[0].error);
  assert_int_equal(h->r[0].dar[0], 0);

  /* The server refuses after the first block (SET-Response-Normal with
   * read-write-denied): the request ends there with that result. */
  assert_ami_ok(
      ami_client_set(h->c, &d, NULL, ami_span_make(big, sizeof big), &id));
  uint8_t buf[AMI_TEST_CLIENT_LINK_MAX];
  assert_true(ami_client_pull(h->c, buf, sizeof buf, 200) > 0);
  feed_hex(h, "C501C103", 201);
  assert_int_equal(h->nresp, 2);
  assert_ami_ok(h->r[1].error);
  assert_int_equal(h->r[1].dar[0], 3);
  assert_false(ami_client_want_write(h->c));
  harness_free(h);
}

/* An ACTION whose parameters exceed the server's max PDU goes in pblocks
 * (with-first-pblock, then with-pblock), each acknowledged by an
 * ACTION-Response next-pblock; the final answer is a normal response. */
static void test_action_pblocks(void **state) {
  (void)state;
  ami_client_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  harness *h = associated(&cfg);
  uint8_t big[1204];
  big[0] = 0x09;
  big[1] = 0x82;
  big[2] = 0x04;
  big[3] = 0xB0;
  for (size_t i = 4; i < sizeof big; i++)
    big[i] = (uint8_t)(i * 7);
  ami_apdu_desc m = {9, {0, 0, 10, 0, 0, 255}, 1};
  uint32_t id;
  assert_ami_ok(
      ami_client_action(h->c, &m, ami_span_make(big, sizeof big), &id));
  uint8_t joined[2048];
  size_t jlen = 0;
  uint32_t block = 0;
  for (int round = 0; round < 10; round++) {
    uint8_t buf[AMI_TEST_CLIENT_LINK_MAX];
    size_t n = ami_client_pull(h->c, buf, sizeof buf, 100);
    assert_true(n > 0 && n <= 500);
    ami_apdu a;
    assert_ami_ok(ami_apdu_decode(ami_span_make(buf, n), &a));
    assert_int_equal(a.tag, AMI_APDU_ACTION_REQUEST);
    const ami_apdu_action_request *r = &a.u.action_request;
    assert_int_equal(r->choice, block == 0 ? 4 : 6);
    if (block == 0) {
      assert_int_equal(r->method.class_id, 9);
      assert_int_equal(r->method.id, 1);
    }
    assert_int_equal(r->block.block_number, ++block);
    memcpy(joined + jlen, r->block.raw.p, r->block.raw.len);
    jlen += r->block.raw.len;
    char ack[64];
    if (r->block.last) {
      feed_hex(h, "C701C10000", 101);
      break;
    }
    snprintf(ack, sizeof ack, "C704C1%08X", block);
    feed_hex(h, ack, 101);
    assert_int_equal(h->nresp, 0);
  }
  assert_true(block >= 3);
  assert_int_equal(jlen, sizeof big);
  assert_memory_equal(joined, big, sizeof big);
  assert_int_equal(h->nresp, 1);
  assert_ami_ok(h->r[0].error);
  assert_int_equal(h->r[0].dar[0], 0);
  assert_int_equal(h->r[0].len[0], 0);
  harness_free(h);
}

/* GET-with-list answered in two datablocks: the engine asks for the next
 * block (get-request-next, C0 02 iip block-number) and splits the joined
 * SEQUENCE OF Get-Data-Result into results. */
static void test_get_list_datablocks(void **state) {
  (void)state;
  ami_client_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  harness *h = associated(&cfg);
  ami_apdu_attr_sel items[2];
  memset(items, 0, sizeof items);
  items[0].attr = CLOCK_TIME;
  items[1].attr = LDN;
  uint32_t id;
  assert_ami_ok(ami_client_get_list(h->c, items, 2, &id));
  uint8_t buf[512];
  assert_true(ami_client_pull(h->c, buf, sizeof buf, 1) > 0);
  /* raw = 02 | 00 0600000005 | 01 03, split after four bytes. */
  feed_hex(h, "C402C1 00 00000001 00 04 02000600", 2);
  size_t n;
  uint8_t *v = ami_test_hex("C002C100000001", &n);
  expect_tx(h, v, n, 3);
  free(v);
  feed_hex(h, "C402C1 01 00000002 00 05 0000050103", 4);
  assert_int_equal(h->nresp, 1);
  assert_ami_ok(h->r[0].error);
  assert_int_equal(h->r[0].count, 2);
  ami_test_assert_bytes(h->r[0].data[0], h->r[0].len[0], "0600000005");
  assert_int_equal(h->r[0].dar[1], 3);

  /* A block out of sequence fails the request; the engine is then idle. */
  assert_ami_ok(ami_client_get(h->c, &CLOCK_TIME, NULL, &id));
  assert_true(ami_client_pull(h->c, buf, sizeof buf, 5) > 0);
  feed_hex(h, "C402C1 00 00000002 00 02 0100", 6);
  assert_int_equal(h->nresp, 2);
  assert_ami(AMI_E_BLOCK_NUMBER, h->r[1].error);
  assert_false(ami_client_want_write(h->c));
  assert_int_equal(ami_client_expiry(h->c), AMI_CLIENT_NO_EXPIRY);
  harness_free(h);
}

/* Every truncation of the recorded clock response fails the request with
 * AMI_E_TRUNCATED (an empty APDU is ignored), never a crash. */
static void test_truncated_responses(void **state) {
  (void)state;
  static const char *clock_rsp = "C401C100090C07EA0B160704030400000000090F";
  size_t n;
  uint8_t *full = ami_test_hex(clock_rsp, &n);
  ami_client_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  harness *h = associated(&cfg);
  uint8_t buf[512];
  for (size_t cut = 1; cut < 18; cut++) {
    uint32_t id;
    assert_ami_ok(ami_client_get(h->c, &CLOCK_TIME, NULL, &id));
    assert_true(ami_client_pull(h->c, buf, sizeof buf, cut) > 0);
    uint8_t *g = ami_test_guarded_copy(full, cut);
    feed(h, g, cut, cut);
    ami_test_guarded_free(g, cut);
    assert_int_equal(h->nresp, (int)cut);
    assert_ami(AMI_E_TRUNCATED, h->r[cut - 1].error);
  }
  free(full);
  harness_free(h);
}

/* APDUs larger than our client-max-receive-pdu-size are refused. */
static void test_max_pdu_in(void **state) {
  (void)state;
  ami_client_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.max_pdu_size = 64;
  harness *h = associated(&cfg);
  uint32_t id;
  assert_ami_ok(ami_client_get(h->c, &LDN, NULL, &id));
  uint8_t buf[512];
  assert_true(ami_client_pull(h->c, buf, sizeof buf, 1) > 0);
  uint8_t big[70] = {0xC4, 0x01, 0xC1, 0x00, 0x09, 64};
  feed(h, big, sizeof big, 2);
  assert_int_equal(h->errors, 1);
  assert_ami(AMI_E_PDU_TOO_LARGE, h->last_error);
  assert_int_equal(h->nresp, 0);
  harness_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gbt_exchange),
      cmocka_unit_test(test_gbt_errors),
      cmocka_unit_test(test_gbt_not_granted),
      cmocka_unit_test(test_set_datablocks),
      cmocka_unit_test(test_action_pblocks),
      cmocka_unit_test(test_get_list_datablocks),
      cmocka_unit_test(test_truncated_responses),
      cmocka_unit_test(test_max_pdu_in),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
