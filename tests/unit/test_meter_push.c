/*
 * test_meter_push.c -- lib/meter Push Setup (class 40), alarms and the
 * last gasp, end to end: the head-end (ami_client) configures the setup
 * and invokes push over DLMS, the meter's push module builds the body from
 * push_object_list, the server engine sends it as a DATA-NOTIFICATION and
 * the client receives it.
 *
 * Expected bodies are written out by hand from the rules (a structure of
 * the listed values, in list order, each as the model holds it; A-XDR tags
 * of IEC 62056-6-2), and the last gasp's wire bytes from IEC 62056-47
 * (wrapper header) and IEC 62056-5-3 (DATA-NOTIFICATION: tag 0x0F, long-
 * invoke-id-and-priority, date-time absent = 0x00, notification-body), not
 * from our output. The randomisation source is the deterministic test
 * double, so schedules are repeatable; the tests assert the bounds the Blue
 * Book gives (0 .. randomisation_start_interval), not particular draws.
 */
#include "ami_test.h"
#include "ami_test_crypto.h"
#include "ami_test_dlms.h"

#include <string.h>

#include "ami/ami_axdr.h"
#include "ami/ami_crypto_openssl.h"
#include "ami/ami_meter_push.h"

static const ami_obis PUSH_LN = {0, 0, 25, 9, 0, 255};
static const ami_obis ALARM_PUSH_LN = {0, 4, 25, 9, 0, 255};
static const ami_obis REG_LN = {1, 0, 1, 8, 0, 255};
static const ami_obis SERIAL_LN = {0, 0, 96, 1, 0, 255};
static const ami_obis ALARM_LN = {0, 0, 97, 98, 0, 255};
static const ami_obis FILTER_LN = {0, 0, 97, 98, 10, 255};

typedef struct meter {
  ami_cosem_model *m;
  ami_meter_push *p;
  ami_test_crypto rng;
  ami_cosem_object *setup, *alarm_setup, *alarm_reg, *filter;
  uint32_t iip;
} meter;

static void meter_init(meter *mt, uint32_t last_gasp_bits) {
  memset(mt, 0, sizeof *mt);
  ami_test_crypto_init(&mt->rng, ami_crypto_openssl(), 42);
  assert_ami_ok(ami_cosem_model_new(NULL, NULL, &mt->m));
  ami_cosem_assoc *a;
  assert_ami_ok(ami_cosem_add_association(
      mt->m, AMI_TEST_DLMS_CLIENT, 1, ami_obis_make(0, 0, 40, 0, 1, 255), &a));
  ami_cosem_object *reg, *serial;
  assert_ami_ok(ami_cosem_add_object(mt->m, 3, REG_LN, &reg));
  static const uint8_t value[] = {0x06, 0x00, 0x00, 0x23, 0x94};    /* 9108 */
  static const uint8_t su[] = {0x02, 0x02, 0x0F, 0x00, 0x16, 0x1E}; /* Wh */
  assert_ami_ok(ami_cosem_set_attr(reg, 2, ami_span_make(value, 5)));
  assert_ami_ok(ami_cosem_set_attr(reg, 3, ami_span_make(su, 6)));
  assert_ami_ok(ami_cosem_add_object(mt->m, 1, SERIAL_LN, &serial));
  static const uint8_t sn[] = {0x0A, 0x04, 'S', 'N', '0', '1'};
  assert_ami_ok(ami_cosem_set_attr(serial, 2, ami_span_make(sn, 6)));

  ami_meter_push_cfg cfg = {&mt->rng.base, last_gasp_bits};
  assert_ami_ok(ami_meter_push_new(NULL, mt->m, &cfg, &mt->p));
  assert_ami_ok(ami_meter_push_add_setup(mt->p, PUSH_LN, &mt->setup));
  assert_ami_ok(
      ami_meter_push_add_setup(mt->p, ALARM_PUSH_LN, &mt->alarm_setup));
  assert_ami_ok(ami_meter_push_bind_alarms(mt->p, ALARM_LN, FILTER_LN,
                                           mt->alarm_setup, NULL,
                                           &mt->alarm_reg, &mt->filter));
  const ami_meter_push_item alarm_list[] = {{40, ALARM_PUSH_LN, 1, 0},
                                            {1, ALARM_LN, 2, 0}};
  assert_ami_ok(ami_meter_push_set_list(mt->alarm_setup, alarm_list, 2));
  ami_cosem_object *objs[] = {
      reg, serial, mt->setup, mt->alarm_setup, mt->alarm_reg, mt->filter};
  for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
    assert_ami_ok(
        ami_cosem_assoc_add_object_role(a, objs[i], AMI_COSEM_ROLE_MANAGEMENT));
}

static void meter_free(meter *mt) {
  ami_cosem_model_free(mt->m);
  ami_meter_push_free(mt->p);
}

/* The meter application's loop, once: whatever push is due goes out
 * through the server engine; returns how many went. */
static int meter_poll(meter *mt, ami_test_dlms *t, bool delivered) {
  int sent = 0;
  for (;;) {
    uint8_t body[1024];
    ami_wr w;
    ami_wr_init(&w, body, sizeof body);
    ami_cosem_object *setup;
    int rc = ami_meter_push_next(mt->p, t->now, &w, &setup);
    if (rc == AMI_E_AGAIN)
      return sent;
    assert_ami_ok(rc);
    assert_ami_ok(
        ami_server_push(t->s, ami_span_make(body, w.len), ++mt->iip, t->now));
    ami_test_dlms_pump(t);
    assert_ami_ok(ami_meter_push_done(mt->p, setup, delivered, t->now));
    sent++;
  }
}

/* Encode a push_object_list the way a head-end SETs it. */
static size_t enc_list(uint8_t *buf, const ami_meter_push_item *it, size_t n) {
  ami_wr w;
  ami_wr_init(&w, buf, 512);
  ami_axdr_put_array(&w, n);
  for (size_t i = 0; i < n; i++) {
    uint8_t b[6];
    ami_obis_to_bytes(&it[i].ln, b);
    ami_axdr_put_struct(&w, 4);
    ami_axdr_put_u16(&w, it[i].class_id);
    ami_axdr_put_octets(&w, b, 6);
    ami_axdr_put_i8(&w, it[i].attr);
    ami_axdr_put_u16(&w, it[i].data_index);
  }
  assert_ami_ok(w.err);
  return w.len;
}

static const uint8_t INT0[] = {AMI_AXDR_INTEGER, 0};

/* The head-end sets the list over DLMS and invokes push; the client gets
 * exactly the listed values -- in a plain association, and in a ciphered
 * one (the engine then pushes general-glo-ciphered; the client deciphers
 * the same body). */
static void run_push_method(bool ciphered) {
  meter mt;
  meter_init(&mt, 0);
  ami_test_dlms t;
  if (ciphered)
    ami_test_dlms_open_ciphered(&t, mt.m);
  else
    ami_test_dlms_open(&t, mt.m);
  const ami_meter_push_item list[] = {
      {40, PUSH_LN, 1, 0},  /* which push this is */
      {1, SERIAL_LN, 2, 0}, /* the meter's serial */
      {3, REG_LN, 2, 0},    /* the register value */
      {3, REG_LN, 3, 2},    /* its unit: element 2 of scaler_unit */
      {3, REG_LN, 0, 0},    /* the whole register */
      {1, ami_obis_make(9, 9, 9, 9, 9, 9), 2, 0}, /* absent: null */
  };
  uint8_t b[512];
  size_t n = enc_list(b, list, 6);
  assert_int_equal(ami_test_dlms_set(&t, 40, PUSH_LN, 2, b, n), 0);
  assert_int_equal(ami_meter_push_expiry(mt.p), AMI_METER_PUSH_NEVER);
  assert_int_equal(ami_test_dlms_action(&t, 40, PUSH_LN, 1, INT0, 2), 0);
  assert_int_equal(ami_meter_push_expiry(mt.p), 0); /* due at once */
  /* By hand this once, to see the APDU on the wire: a DATA-NOTIFICATION
   * (0x0F) in clear, or general-glo-ciphering (0xDB) when ciphered. */
  uint8_t body[512], wire[1024];
  ami_wr w;
  ami_wr_init(&w, body, sizeof body);
  ami_cosem_object *which;
  assert_ami_ok(ami_meter_push_next(mt.p, t.now, &w, &which));
  assert_ptr_equal(which, mt.setup);
  assert_ami_ok(ami_server_push(t.s, ami_span_make(body, w.len), 1, t.now));
  size_t nw = ami_server_pull(t.s, wire, sizeof wire, t.now);
  assert_true(nw > 9);
  assert_int_equal(wire[8], ciphered ? 0xDB : 0x0F);
  if (!ciphered)
    assert_memory_equal(wire + 8 + 6, body, w.len); /* 0F, iip, 00 */
  assert_ami_ok(ami_client_recv(t.c, wire, nw, t.now));
  assert_ami_ok(ami_meter_push_done(mt.p, which, true, t.now));
  assert_int_equal(t.pushes, 1);
  assert_int_equal(t.push_iip, 1);
  ami_test_assert_bytes(t.push, t.push_len,
                        "0206"
                        "0906 0000190900FF"
                        "0A04 534E3031"
                        "0600002394"
                        "161E"
                        "0203 0906 0100010800FF 0600002394 02020F00161E"
                        "00");
  assert_int_equal(ami_meter_push_expiry(mt.p), AMI_METER_PUSH_NEVER);
  ami_test_dlms_close(&t);
  meter_free(&mt);
}

static void test_push_method(void **st) {
  (void)st;
  run_push_method(false);
  run_push_method(true);
}

/* randomisation_start_interval delays the push by 0..interval seconds;
 * a push not delivered is repeated after repetition_delay, at most
 * number_of_retries times. */
static void test_randomisation_and_retries(void **st) {
  (void)st;
  meter mt;
  meter_init(&mt, 0);
  ami_test_dlms t;
  ami_test_dlms_open(&t, mt.m);
  static const uint8_t rnd[] = {AMI_AXDR_LONG_UNSIGNED, 0x00, 60};
  static const uint8_t retries[] = {AMI_AXDR_UNSIGNED, 2};
  static const uint8_t delay[] = {AMI_AXDR_LONG_UNSIGNED, 0x00, 30};
  assert_int_equal(ami_test_dlms_set(&t, 40, PUSH_LN, 5, rnd, 3), 0);
  assert_int_equal(ami_test_dlms_set(&t, 40, PUSH_LN, 6, retries, 2), 0);
  assert_int_equal(ami_test_dlms_set(&t, 40, PUSH_LN, 7, delay, 3), 0);
  int draws_differ = 0;
  uint64_t first_delay = 0;
  for (int round = 0; round < 8; round++) {
    uint64_t t0 = t.now;
    assert_ami_ok(ami_meter_push_trigger(mt.p, mt.setup, t0));
    uint64_t due = ami_meter_push_expiry(mt.p);
    assert_true(due >= t0 && due <= t0 + 60000);
    if (round == 0)
      first_delay = due - t0;
    else if (due - t0 != first_delay)
      draws_differ = 1;
    if (due > t0) {
      t.now = due - 1;
      assert_int_equal(meter_poll(&mt, &t, false), 0);
    }
    t.now = due;
    int before = t.pushes;
    assert_int_equal(meter_poll(&mt, &t, false), 1); /* not delivered */
    /* retry 1 after 30 s, retry 2 after 30 s more, then given up */
    for (int r = 0; r < 2; r++) {
      uint64_t again = ami_meter_push_expiry(mt.p);
      assert_int_equal(again, t.now + 30000);
      t.now = again;
      assert_int_equal(meter_poll(&mt, &t, false), 1);
    }
    assert_int_equal(ami_meter_push_expiry(mt.p), AMI_METER_PUSH_NEVER);
    assert_int_equal(t.pushes, before + 3);
    t.now += 1000;
  }
  assert_true(draws_differ); /* the delay is drawn, not fixed */
  ami_test_dlms_close(&t);
  meter_free(&mt);
}

/* A communication window in the future defers the push to its start; a
 * window wholly in the past drops it. */
static void test_window(void **st) {
  (void)st;
  meter mt;
  meter_init(&mt, 0);
  ami_test_dlms t;
  ami_test_dlms_open(&t, mt.m);
  /* 2024-01-01 00:00:00 .. 00:10:00 UTC (deviation 0) */
  static const uint8_t win[] = {0x01, 0x01, 0x02, 0x02, 0x09, 0x0C, 0x07, 0xE8,
                                0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
                                0x00, 0x00, 0x09, 0x0C, 0x07, 0xE8, 0x01, 0x01,
                                0x01, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x00};
  assert_int_equal(ami_test_dlms_set(&t, 40, PUSH_LN, 4, win, sizeof win), 0);
  const uint64_t start = 1704067200000ull; /* 2024-01-01T00:00:00Z */
  assert_ami_ok(ami_meter_push_trigger(mt.p, mt.setup, start - 5000));
  assert_int_equal(ami_meter_push_expiry(mt.p), start);
  t.now = start - 1;
  assert_int_equal(meter_poll(&mt, &t, true), 0);
  t.now = start + 100;
  assert_int_equal(meter_poll(&mt, &t, true), 1);
  /* inside the window: at once */
  assert_ami_ok(ami_meter_push_trigger(mt.p, mt.setup, start + 60000));
  assert_int_equal(ami_meter_push_expiry(mt.p), start + 60000);
  t.now = start + 60000;
  assert_int_equal(meter_poll(&mt, &t, true), 1);
  /* after the window: dropped */
  t.now = start + 3600000;
  assert_ami_ok(ami_meter_push_trigger(mt.p, mt.setup, t.now));
  assert_int_equal(ami_meter_push_expiry(mt.p), AMI_METER_PUSH_NEVER);
  assert_int_equal(meter_poll(&mt, &t, true), 0);
  assert_int_equal(t.pushes, 2);
  ami_test_dlms_close(&t);
  meter_free(&mt);
}

/* Alarms: only bits enabled in the filter are latched and pushed. */
static void test_alarm(void **st) {
  (void)st;
  meter mt;
  meter_init(&mt, 0);
  ami_test_dlms t;
  ami_test_dlms_open(&t, mt.m);
  static const uint8_t filt[] = {0x06, 0x00, 0x00, 0x00, 0x0A}; /* bits 1,3 */
  assert_int_equal(ami_test_dlms_set(&t, 1, FILTER_LN, 2, filt, 5), 0);
  bool pushed = true;
  assert_ami_ok(ami_meter_push_alarm(mt.p, 0x01, t.now, &pushed));
  assert_false(pushed);
  assert_int_equal(ami_meter_push_expiry(mt.p), AMI_METER_PUSH_NEVER);
  ami_test_dlms_get(&t, 1, ALARM_LN, 2);
  ami_test_assert_bytes(t.data, t.data_len, "0600000000");
  assert_ami_ok(ami_meter_push_alarm(mt.p, 0x03, t.now, &pushed));
  assert_true(pushed);
  assert_int_equal(meter_poll(&mt, &t, true), 1);
  ami_test_assert_bytes(t.push, t.push_len,
                        "0202 0906 0004190900FF 0600000002");
  /* a second enabled alarm accumulates in the register */
  assert_ami_ok(ami_meter_push_alarm(mt.p, 0x08, t.now, &pushed));
  assert_int_equal(meter_poll(&mt, &t, true), 1);
  ami_test_assert_bytes(t.push, t.push_len,
                        "0202 0906 0004190900FF 060000000A");
  assert_int_equal(t.pushes, 2);
  ami_test_dlms_close(&t);
  meter_free(&mt);
}

/* Power fails: the last gasp goes out at once as the smallest push (the
 * alarm register alone), whatever was pending is cancelled. The exact
 * bytes on the wire: wrapper header (version 1, source wPort 1, destination
 * wPort 1, length 11), DATA-NOTIFICATION 0F, long-invoke-id 00000007,
 * no date-time (00), body double-long-unsigned 0x80000002. */
static void test_last_gasp(void **st) {
  (void)st;
  meter mt;
  meter_init(&mt, 0x80000000u);
  ami_test_dlms t;
  ami_test_dlms_open(&t, mt.m);
  static const uint8_t filt[] = {0x06, 0xFF, 0xFF, 0xFF, 0xFF};
  assert_int_equal(ami_test_dlms_set(&t, 1, FILTER_LN, 2, filt, 5), 0);
  static const uint8_t rnd[] = {AMI_AXDR_LONG_UNSIGNED, 0x0E, 0x10};
  assert_int_equal(ami_test_dlms_set(&t, 40, ALARM_PUSH_LN, 5, rnd, 3), 0);
  assert_ami_ok(ami_meter_push_alarm(mt.p, 0x02, t.now, NULL));
  assert_ami_ok(ami_meter_push_trigger(mt.p, mt.setup, t.now));
  assert_int_not_equal(ami_meter_push_expiry(mt.p), AMI_METER_PUSH_NEVER);

  uint8_t body[64];
  ami_wr w;
  ami_wr_init(&w, body, sizeof body);
  assert_ami_ok(ami_meter_push_last_gasp(mt.p, t.now, &w));
  ami_test_assert_bytes(body, w.len, "0680000002");
  assert_int_equal(ami_meter_push_expiry(mt.p), AMI_METER_PUSH_NEVER);
  assert_ami_ok(ami_server_push(t.s, ami_span_make(body, w.len), 7, t.now));
  uint8_t wire[64];
  size_t n = ami_server_pull(t.s, wire, sizeof wire, t.now);
  ami_test_assert_bytes(wire, n,
                        "0001 0001 0001 000B 0F 00000007 00 0680000002");
  assert_ami_ok(ami_client_recv(t.c, wire, n, t.now));
  assert_int_equal(t.pushes, 1);
  assert_int_equal(t.push_iip, 7);
  ami_test_assert_bytes(t.push, t.push_len, "0680000002");
  /* nothing else follows */
  assert_int_equal(meter_poll(&mt, &t, true), 0);
  /* too small a buffer: an error, nothing half-written */
  ami_wr_init(&w, body, 3);
  assert_ami(AMI_E_BUFFER_FULL, ami_meter_push_last_gasp(mt.p, t.now, &w));
  assert_int_equal(w.len, 0);
  ami_test_dlms_close(&t);
  meter_free(&mt);
}

/* A last-gasp setup with its own list replaces the default body. */
static void test_last_gasp_setup(void **st) {
  (void)st;
  meter mt;
  meter_init(&mt, 0x1);
  ami_cosem_object *lg;
  assert_ami_ok(
      ami_meter_push_add_setup(mt.p, ami_obis_make(0, 5, 25, 9, 0, 255), &lg));
  assert_ami_ok(ami_meter_push_bind_alarms(mt.p, ALARM_LN, FILTER_LN,
                                           mt.alarm_setup, lg, NULL, NULL));
  const ami_meter_push_item list[] = {{1, SERIAL_LN, 2, 0},
                                      {1, ALARM_LN, 2, 0}};
  assert_ami_ok(ami_meter_push_set_list(lg, list, 2));
  uint8_t body[64];
  ami_wr w;
  ami_wr_init(&w, body, sizeof body);
  assert_ami_ok(ami_meter_push_last_gasp(mt.p, 0, &w));
  ami_test_assert_bytes(body, w.len, "0202 0A04534E3031 0600000001");
  meter_free(&mt);
}

/* API edges: unmanaged setups, alarms unbound, done without a push in
 * flight, the setup limit. */
static void test_api_errors(void **st) {
  (void)st;
  ami_cosem_model *m;
  assert_ami_ok(ami_cosem_model_new(NULL, NULL, &m));
  ami_meter_push *p;
  assert_ami(AMI_E_INVAL, ami_meter_push_new(NULL, NULL, NULL, &p));
  ami_test_failalloc fa;
  ami_test_failalloc_init(&fa, 0);
  assert_ami(AMI_E_NOMEM, ami_meter_push_new(&fa.base, m, NULL, &p));
  assert_null(p);
  fa.fail_at = -1;
  assert_ami_ok(ami_meter_push_new(&fa.base, m, NULL, &p));
  ami_meter_push_free(p);
  assert_int_equal(fa.live, 0);
  assert_ami_ok(ami_meter_push_new(NULL, m, NULL, &p));
  ami_cosem_object *other;
  assert_ami_ok(ami_cosem_add_object(m, 40, PUSH_LN, &other));
  assert_ami(AMI_E_INVAL, ami_meter_push_trigger(p, other, 0));
  assert_ami(AMI_E_STATE, ami_meter_push_alarm(p, 1, 0, NULL));
  uint8_t b[16];
  ami_wr w;
  ami_wr_init(&w, b, sizeof b);
  assert_ami(AMI_E_STATE, ami_meter_push_last_gasp(p, 0, &w));
  assert_ami(AMI_E_INVAL, ami_meter_push_bind_alarms(p, ALARM_LN, FILTER_LN,
                                                     other, NULL, NULL, NULL));
  ami_cosem_object *s;
  assert_ami_ok(ami_meter_push_add_setup(p, PUSH_LN, &s));
  assert_ptr_equal(s, other); /* found, not duplicated */
  assert_ami(AMI_E_INVAL, ami_meter_push_done(p, s, true, 0));
  for (uint8_t i = 1; i < AMI_METER_PUSH_MAX_SETUPS; i++)
    assert_ami_ok(
        ami_meter_push_add_setup(p, ami_obis_make(0, i, 25, 9, 0, 255), NULL));
  assert_ami(AMI_E_LIMIT, ami_meter_push_add_setup(
                              p, ami_obis_make(0, 99, 25, 9, 0, 255), NULL));
  /* an empty list pushes an empty structure */
  ami_cosem_object *dummy;
  assert_ami_ok(ami_meter_push_trigger(p, s, 5));
  /* no room: the push stays due, nothing half-written */
  ami_wr_init(&w, b, 1);
  assert_ami(AMI_E_BUFFER_FULL, ami_meter_push_next(p, 5, &w, &dummy));
  assert_int_equal(w.len, 0);
  assert_int_equal(ami_meter_push_expiry(p), 5);
  ami_wr_init(&w, b, sizeof b);
  assert_ami_ok(ami_meter_push_next(p, 5, &w, &dummy));
  assert_ptr_equal(dummy, s);
  ami_test_assert_bytes(b, w.len, "0200");
  ami_cosem_model_free(m);
  ami_meter_push_free(p);
  ami_meter_push_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_push_method),
      cmocka_unit_test(test_randomisation_and_retries),
      cmocka_unit_test(test_window),
      cmocka_unit_test(test_alarm),
      cmocka_unit_test(test_last_gasp),
      cmocka_unit_test(test_last_gasp_setup),
      cmocka_unit_test(test_api_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
