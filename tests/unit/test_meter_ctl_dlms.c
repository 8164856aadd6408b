/*
 * test_meter_ctl_dlms.c -- the supply-control objects END TO END: a DLMS
 * client engine and a server engine in one process over wrapper links
 * wired back to back, the server answering from an ami_cosem_model with
 * the Disconnect control, Limiter and prepayment objects bound to their
 * state machines (lib/meter). The client drives them with GET / SET /
 * ACTION exactly as a head-end would; the meter's ticks are the step
 * functions called between requests. Expected bytes are A-XDR written by
 * hand from the class definitions (IEC 62056-6-2), not captured output.
 */
#include "ami_test.h"

#include <stdlib.h>
#include <string.h>

#include "ami/ami_acse.h"
#include "ami/ami_axdr.h"
#include "ami/ami_client.h"
#include "ami/ami_cosem.h"
#include "ami/ami_crypto_openssl.h"
#include "ami/ami_meter_disconnect.h"
#include "ami/ami_meter_events.h"
#include "ami/ami_meter_limiter.h"
#include "ami/ami_meter_prepay.h"
#include "ami/ami_server.h"
#include "ami/ami_wrapper_link.h"

static const uint8_t PASSWORD[] = "12345678";
static const uint8_t TOKEN_KEY[16] = {1, 2,  3,  4,  5,  6,  7,  8,
                                      9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t METER_ID[8] = {'O', 'A', 'M', 'T', 'E', 'S', 'T', '1'};

#define OBIS_DISC     ami_obis_make(0, 0, 96, 3, 10, 255)
#define OBIS_LIMITER  ami_obis_make(0, 0, 17, 0, 0, 255)
#define OBIS_ACCOUNT  ami_obis_make(0, 0, 19, 0, 0, 255)
#define OBIS_CREDIT   ami_obis_make(0, 0, 19, 10, 0, 255)
#define OBIS_CHARGE   ami_obis_make(0, 0, 19, 20, 0, 255)
#define OBIS_TOKEN_GW ami_obis_make(0, 0, 19, 40, 0, 255)

/* ---- the meter ------------------------------------------------------------
 */

typedef struct meter {
  ami_cosem_model *m;
  ami_meter_disconnect d;
  ami_meter_limiter l;
  ami_meter_prepay p;
  ami_crypto_key *key;
  ami_cosem_object *disc_obj;
  uint16_t ev[128];
  uint64_t ev_at[128];
  size_t nev;
} meter;

static void on_event(void *user, uint16_t code, uint64_t now_ms) {
  meter *mt = user;
  assert_true(mt->nev < 128);
  mt->ev_at[mt->nev] = now_ms;
  mt->ev[mt->nev++] = code;
}

static size_t count(const meter *mt, uint16_t code) {
  size_t k = 0;
  for (size_t i = 0; i < mt->nev; i++)
    k += mt->ev[i] == code;
  return k;
}

/* Client 1 (LLS) gets the management rights, client 16 (public, no
 * authentication) read-only rights. */
static void meter_build(meter *mt, uint8_t mode) {
  memset(mt, 0, sizeof *mt);
  assert_ami_ok(ami_cosem_model_new(NULL, NULL, &mt->m));
  ami_cosem_assoc *mgmt, *pub;
  assert_ami_ok(ami_cosem_add_association(
      mt->m, 1, AMI_ACSE_MECH_LLS, ami_obis_make(0, 0, 40, 0, 1, 255), &mgmt));
  assert_ami_ok(ami_cosem_add_association(
      mt->m, 16, AMI_ACSE_MECH_NONE, ami_obis_make(0, 0, 40, 0, 2, 255), &pub));
  ami_meter_disconnect_init(&mt->d, mode, on_event, mt);
  ami_meter_limiter_init(&mt->l, on_event, mt);
  ami_meter_prepay_init(&mt->p, on_event, mt);
  const ami_crypto *c = ami_crypto_openssl();
  assert_ami_ok(
      c->key_new(c->user_data, AMI_CRYPTO_AES128, TOKEN_KEY, 16, &mt->key));
  ami_meter_prepay_set_token_key(&mt->p, c, mt->key, METER_ID);
  ami_cosem_object *objs[8];
  assert_ami_ok(ami_meter_disconnect_bind(&mt->d, mt->m, OBIS_DISC, &objs[0]));
  assert_ami_ok(ami_meter_limiter_bind(&mt->l, mt->m, OBIS_LIMITER, &objs[1]));
  assert_ami_ok(ami_meter_prepay_bind(&mt->p, mt->m, NULL, &objs[2]));
  mt->disc_obj = objs[0];
  for (int i = 0; i < 8; i++) {
    assert_ami_ok(ami_cosem_assoc_add_object_role(mgmt, objs[i],
                                                  AMI_COSEM_ROLE_MANAGEMENT));
    assert_ami_ok(
        ami_cosem_assoc_add_object_role(pub, objs[i], AMI_COSEM_ROLE_PUBLIC));
  }
}

static void meter_free(meter *mt) {
  ami_cosem_model_free(mt->m);
  const ami_crypto *c = ami_crypto_openssl();
  c->key_free(c->user_data, mt->key);
}

/* ---- a session ------------------------------------------------------------
 */

typedef struct session {
  ami_wrapper_link cl, sl;
  ami_link *clink, *slink;
  ami_client *c;
  ami_server *s;
  ami_server_assoc_cfg assocs[2];
  uint64_t now;
  int assoc_result;
  int responses;
  int error;
  uint8_t dar;
  uint8_t data[512];
  size_t data_len;
} session;

static void on_associated(ami_client *c, int result,
                          const ami_client_assoc_info *info, void *ud) {
  (void)c;
  (void)info;
  ((session *)ud)->assoc_result = result;
}

static void on_response(ami_client *c, const ami_client_response *r, void *ud) {
  session *s = ud;
  (void)c;
  s->responses++;
  s->error = r->error;
  s->dar = r->count ? r->results[0].dar : 0xFF;
  s->data_len = 0;
  if (r->error == AMI_OK && r->count && r->results[0].data.len &&
      r->results[0].data.len <= sizeof s->data) {
    memcpy(s->data, r->results[0].data.p, r->results[0].data.len);
    s->data_len = r->results[0].data.len;
  }
}

static void pump(session *s) {
  uint8_t buf[2048];
  for (int guard = 0; guard < 10000; guard++) {
    size_t a = ami_client_pull(s->c, buf, sizeof buf, s->now);
    if (a)
      assert_ami_ok(ami_server_recv(s->s, buf, a, s->now));
    size_t b = ami_server_pull(s->s, buf, sizeof buf, s->now);
    if (b)
      assert_ami_ok(ami_client_recv(s->c, buf, b, s->now));
    if (!a && !b)
      return;
    s->now += 1;
  }
  fail_msg("the session did not settle");
}

static void session_open(session *s, meter *mt, uint16_t client, uint64_t now) {
  memset(s, 0, sizeof *s);
  s->now = now;
  ami_wrapper_link_config c = {AMI_LINK_CLIENT, client, 1, 0, 0, NULL};
  ami_wrapper_link_config sc = {AMI_LINK_SERVER, 1, 0, 0, 0, NULL};
  s->clink = ami_wrapper_link_init(&s->cl, &c);
  s->slink = ami_wrapper_link_init(&s->sl, &sc);
  for (int i = 0; i < 2; i++) {
    ami_server_assoc_cfg *a = &s->assocs[i];
    a->client_address = (uint16_t)(i == 0 ? 1 : 16);
    a->context = AMI_ACSE_CTX_LN;
    a->mechanism = (uint8_t)(i == 0 ? AMI_ACSE_MECH_LLS : AMI_ACSE_MECH_NONE);
    a->password = PASSWORD;
    a->password_len = 8;
    a->conformance = 0x00781F;
    a->max_receive_pdu = 512;
  }
  ami_server_cfg scfg;
  memset(&scfg, 0, sizeof scfg);
  scfg.version = AMI_SERVER_VERSION;
  scfg.assocs = s->assocs;
  scfg.assoc_count = 2;
  memcpy(scfg.system_title, METER_ID, 8);
  scfg.crypto = ami_crypto_openssl();
  scfg.app = ami_cosem_server_app(mt->m);
  scfg.link = s->slink;
  scfg.vaa_name = 0x0007;
  assert_ami_ok(ami_server_new(&s->s, &scfg, NULL, NULL, NULL));
  ami_client_cfg cc;
  memset(&cc, 0, sizeof cc);
  cc.context = AMI_ACSE_CTX_LN;
  cc.mechanism =
      (uint8_t)(client == 1 ? AMI_ACSE_MECH_LLS : AMI_ACSE_MECH_NONE);
  if (client == 1) {
    cc.password = PASSWORD;
    cc.password_len = 8;
  }
  cc.conformance = 0x00781F;
  cc.max_pdu_size = 512;
  cc.timeout_ms = 5000;
  cc.max_response = 1u << 16;
  cc.crypto = ami_crypto_openssl();
  static const ami_client_callbacks cb = {.version =
                                              AMI_CLIENT_CALLBACKS_VERSION,
                                          .on_associated = on_associated,
                                          .on_response = on_response};
  assert_ami_ok(ami_client_new(&s->c, &cc, &cb, s, s->clink, NULL));
  assert_ami_ok(ami_client_associate(s->c));
  pump(s);
  assert_int_equal(s->assoc_result, AMI_OK);
}

static void session_close(session *s) {
  ami_client_free(s->c);
  ami_server_free(s->s);
  ami_link_free(s->clink);
  ami_link_free(s->slink);
}

static ami_apdu_desc desc(uint16_t cls, ami_obis ln, int8_t id) {
  ami_apdu_desc d;
  memset(&d, 0, sizeof d);
  d.class_id = cls;
  ami_obis_to_bytes(&ln, d.obis);
  d.id = id;
  return d;
}

static void finish(session *s, int before) {
  pump(s);
  assert_int_equal(s->responses, before + 1);
  assert_ami_ok(s->error);
}

/* GET, asserting success and the exact encoded value (hex). */
static void get_expect(session *s, uint16_t cls, ami_obis ln, int8_t attr,
                       const char *hex) {
  ami_apdu_desc d = desc(cls, ln, attr);
  uint32_t id;
  int before = s->responses;
  assert_ami_ok(ami_client_get(s->c, &d, NULL, &id));
  finish(s, before);
  assert_int_equal(s->dar, 0);
  ami_test_assert_bytes(s->data, s->data_len, hex);
}

/* SET / ACTION with hex parameters; returns the result code. */
static uint8_t set_hex(session *s, uint16_t cls, ami_obis ln, int8_t attr,
                       const char *hex) {
  size_t n;
  uint8_t *v = ami_test_hex(hex, &n);
  ami_apdu_desc d = desc(cls, ln, attr);
  uint32_t id;
  int before = s->responses;
  assert_ami_ok(ami_client_set(s->c, &d, NULL, ami_span_make(v, n), &id));
  finish(s, before);
  free(v);
  return s->dar;
}

static uint8_t action_bytes(session *s, uint16_t cls, ami_obis ln,
                            int8_t method, const uint8_t *p, size_t n) {
  ami_apdu_desc d = desc(cls, ln, method);
  uint32_t id;
  int before = s->responses;
  assert_ami_ok(ami_client_action(s->c, &d, ami_span_make(p, n), &id));
  finish(s, before);
  return s->dar;
}

static uint8_t action_hex(session *s, uint16_t cls, ami_obis ln, int8_t method,
                          const char *hex) {
  size_t n;
  uint8_t *v = ami_test_hex(hex, &n);
  uint8_t r = action_bytes(s, cls, ln, method, v, n);
  free(v);
  return r;
}

/* ---- Disconnect control over DLMS ---------------------------------------- */

static void test_dlms_disconnect(void **st) {
  (void)st;
  meter mt;
  meter_build(&mt, 1);
  session s;
  session_open(&s, &mt, 1, 1000);
  /* output_state boolean true, control_state enum 1, control_mode 1 */
  get_expect(&s, 70, OBIS_DISC, 2, "0301");
  get_expect(&s, 70, OBIS_DISC, 3, "1601");
  get_expect(&s, 70, OBIS_DISC, 4, "1601");
  /* remote_disconnect (b): disconnected */
  uint64_t t = s.now;
  assert_int_equal(action_hex(&s, 70, OBIS_DISC, 1, "0F00"), 0);
  get_expect(&s, 70, OBIS_DISC, 2, "0300");
  get_expect(&s, 70, OBIS_DISC, 3, "1600");
  assert_int_equal(count(&mt, AMI_EV_REMOTE_DISCONNECT), 1);
  assert_true(mt.ev_at[0] >= t && mt.ev_at[0] <= s.now);
  assert_false(ami_meter_disconnect_connected(&mt.d));
  bool out;
  uint8_t ctl;
  assert_ami_ok(ami_cosem_disconnect_state(mt.disc_obj, &out, &ctl));
  assert_false(out);
  assert_int_equal(ctl, 0);
  /* a second remote_disconnect: no transition, still success */
  assert_int_equal(action_hex(&s, 70, OBIS_DISC, 1, "0F00"), 0);
  assert_int_equal(count(&mt, AMI_EV_REMOTE_DISCONNECT), 1);
  /* remote_reconnect in mode 1 (d): ready_for_reconnection */
  assert_int_equal(action_hex(&s, 70, OBIS_DISC, 2, "0F00"), 0);
  get_expect(&s, 70, OBIS_DISC, 3, "1602");
  get_expect(&s, 70, OBIS_DISC, 2, "0300");
  /* the customer presses the button (e) */
  ami_meter_disconnect_inputs button = {false, false, true};
  ami_meter_disconnect_step(&mt.d, s.now, &button);
  get_expect(&s, 70, OBIS_DISC, 3, "1601");
  get_expect(&s, 70, OBIS_DISC, 2, "0301");
  /* mode 2: remote_reconnect goes straight to connected (a) */
  assert_int_equal(set_hex(&s, 70, OBIS_DISC, 4, "1602"), 0);
  get_expect(&s, 70, OBIS_DISC, 4, "1602");
  assert_int_equal(action_hex(&s, 70, OBIS_DISC, 1, "0F00"), 0);
  get_expect(&s, 70, OBIS_DISC, 3, "1600");
  assert_int_equal(action_hex(&s, 70, OBIS_DISC, 2, "0F00"), 0);
  get_expect(&s, 70, OBIS_DISC, 3, "1601");
  get_expect(&s, 70, OBIS_DISC, 2, "0301");
  /* control_mode 7 does not exist; a wrong type is type-unmatched */
  assert_int_equal(set_hex(&s, 70, OBIS_DISC, 4, "1607"), 250);
  assert_int_equal(set_hex(&s, 70, OBIS_DISC, 4, "1102"), 12);
  /* output_state is read-only */
  assert_int_equal(set_hex(&s, 70, OBIS_DISC, 2, "0300"), 3);
  /* mode 0: remote control refused */
  assert_int_equal(set_hex(&s, 70, OBIS_DISC, 4, "1600"), 0);
  assert_int_equal(action_hex(&s, 70, OBIS_DISC, 1, "0F00"), 250);
  get_expect(&s, 70, OBIS_DISC, 3, "1601");
  session_close(&s);
  /* the public client may read but not act */
  assert_ami_ok(ami_meter_disconnect_set_mode(&mt.d, 1, 0));
  session_open(&s, &mt, 16, 50000);
  get_expect(&s, 70, OBIS_DISC, 3, "1601");
  assert_int_equal(action_hex(&s, 70, OBIS_DISC, 1, "0F00"), 3);
  get_expect(&s, 70, OBIS_DISC, 3, "1601");
  session_close(&s);
  meter_free(&mt);
}

/* Field frames: the remote_disconnect / remote_reconnect requests head-ends
 * send to 0-0:96.3.10.255 as they appear in public tools and captures
 * (wrapper 00 01 | src 00 01 | dst 00 01 | len 00 0F, then ACTION-Request
 * normal C3 01, invoke-id-and-priority C1, class 00 46, OBIS 00 00 60 03
 * 0A FF, method 01 / 02, parameters present 01, integer 0F 00). The
 * answer must be ACTION-Response normal with result success and no return
 * parameters (IEC 62056-5-3: C7 01 C1 00 00) in a wrapper frame back. */
static void raw_frame(session *s, const char *req, const char *want) {
  size_t n;
  uint8_t *f = ami_test_hex(req, &n);
  assert_ami_ok(ami_server_recv(s->s, f, n, s->now));
  free(f);
  uint8_t buf[256];
  size_t got = ami_server_pull(s->s, buf, sizeof buf, s->now);
  ami_test_assert_bytes(buf, got, want);
  s->now += 1;
}

static void test_dlms_field_frames(void **st) {
  (void)st;
  meter mt;
  meter_build(&mt, 1);
  session s;
  session_open(&s, &mt, 1, 1000);
  raw_frame(&s, "0001 0001 0001 000F C301C1 0046 000060030AFF 01 01 0F00",
            "0001 0001 0001 0005 C701C10000");
  get_expect(&s, 70, OBIS_DISC, 3, "1600");
  assert_int_equal(count(&mt, AMI_EV_REMOTE_DISCONNECT), 1);
  raw_frame(&s, "0001 0001 0001 000F C301C1 0046 000060030AFF 02 01 0F00",
            "0001 0001 0001 0005 C701C10000");
  get_expect(&s, 70, OBIS_DISC, 3, "1602"); /* mode 1: d */
  session_close(&s);
  meter_free(&mt);
}

/* ---- Limiter over DLMS --------------------------------------------------- */

/* One meter tick: the limiter on a power value, its actions into the
 * disconnector. */
static void tick_limiter(meter *mt, uint64_t now, int64_t mw) {
  unsigned a = ami_meter_limiter_step(&mt->l, now, mw);
  ami_meter_disconnect_inputs in = {(a & AMI_METER_LIMITER_ACT_OVER) != 0,
                                    (a & AMI_METER_LIMITER_ACT_UNDER) != 0,
                                    false};
  ami_meter_disconnect_step(&mt->d, now, &in);
}

static void test_dlms_limiter(void **st) {
  (void)st;
  meter mt;
  meter_build(&mt, 6);
  session s;
  session_open(&s, &mt, 1, 1000);
  /* monitored_value { 3, 1-0:1.7.0.255, 2 } */
  get_expect(&s, 71, OBIS_LIMITER, 2, "020312000309060100010700FF0F02");
  /* threshold_normal := long-unsigned 3000 W; active follows, event 67 */
  assert_int_equal(set_hex(&s, 71, OBIS_LIMITER, 4, "120BB8"), 0);
  get_expect(&s, 71, OBIS_LIMITER, 3, "120BB8");
  get_expect(&s, 71, OBIS_LIMITER, 4, "120BB8");
  assert_int_equal(count(&mt, AMI_EV_LIMITER_CHANGED), 1);
  /* a threshold must be a number */
  assert_int_equal(set_hex(&s, 71, OBIS_LIMITER, 4, "0900"), 12);
  /* durations: over 60 s, under 30 s */
  assert_int_equal(set_hex(&s, 71, OBIS_LIMITER, 6, "060000003C"), 0);
  assert_int_equal(set_hex(&s, 71, OBIS_LIMITER, 7, "060000001E"), 0);
  get_expect(&s, 71, OBIS_LIMITER, 6, "060000003C");
  /* 3.5 kW for 60 s: local disconnection (g) */
  uint64_t t0 = 100000;
  tick_limiter(&mt, t0, 3500000);
  tick_limiter(&mt, t0 + 59999, 3500000);
  s.now = t0 + 60000;
  get_expect(&s, 70, OBIS_DISC, 3, "1601");
  tick_limiter(&mt, t0 + 60000, 3500000);
  get_expect(&s, 70, OBIS_DISC, 3, "1602");
  get_expect(&s, 70, OBIS_DISC, 2, "0300");
  assert_int_equal(count(&mt, AMI_EV_LIMITER_EXCEEDED), 1);
  assert_int_equal(count(&mt, AMI_EV_LOCAL_DISCONNECT), 1);
  /* no load for 30 s: local reconnection (h, mode 6) */
  tick_limiter(&mt, t0 + 70000, 0);
  tick_limiter(&mt, t0 + 100000, 0);
  get_expect(&s, 70, OBIS_DISC, 3, "1601");
  assert_int_equal(count(&mt, AMI_EV_LIMITER_OK), 1);
  assert_int_equal(count(&mt, AMI_EV_LOCAL_CONNECT), 1);
  /* emergency: threshold 2000 W, profile 7 from 1970-01-01 00:03:20 UTC
   * for 3600 s, group list { 7 } */
  assert_int_equal(set_hex(&s, 71, OBIS_LIMITER, 5, "1207D0"), 0);
  assert_int_equal(set_hex(&s, 71, OBIS_LIMITER, 8,
                           "020312000709"
                           "0C07B20101FF00031400000000"
                           "0600000E10"),
                   0);
  s.now = 200000;
  get_expect(&s, 71, OBIS_LIMITER, 10, "0300"); /* 7 not in the group list */
  assert_int_equal(set_hex(&s, 71, OBIS_LIMITER, 9, "0101120007"), 0);
  get_expect(&s, 71, OBIS_LIMITER, 9, "0101120007");
  get_expect(&s, 71, OBIS_LIMITER, 10, "0301");
  get_expect(&s, 71, OBIS_LIMITER, 3, "1207D0");
  s.now = 200000 + 3600000;
  get_expect(&s, 71, OBIS_LIMITER, 10, "0300");
  get_expect(&s, 71, OBIS_LIMITER, 3, "120BB8");
  /* a wildcard time is refused */
  assert_int_equal(set_hex(&s, 71, OBIS_LIMITER, 8,
                           "020312000709"
                           "0C07B2FFFFFF00031400000000"
                           "0600000E10"),
                   250);
  /* the actions: read back and replaced */
  get_expect(&s, 71, OBIS_LIMITER, 11,
             "02020202090600000A006AFF12000102020906"
             "00000A006AFF120002");
  assert_int_equal(set_hex(&s, 71, OBIS_LIMITER, 11,
                           "02020202090600000000000012000002020906"
                           "00000A006AFF120002"),
                   0);
  assert_false(mt.l.action_over.ln.c != 0);
  session_close(&s);
  meter_free(&mt);
}

/* ---- prepayment over DLMS ------------------------------------------------ */

static uint8_t enter_token(session *s, meter *mt, uint32_t seq,
                           uint32_t amount) {
  uint8_t p[2 + AMI_METER_TOKEN_LEN] = {0x09, AMI_METER_TOKEN_LEN};
  assert_ami_ok(ami_meter_prepay_token_make(ami_crypto_openssl(), mt->key,
                                            METER_ID, seq, amount, p + 2));
  return action_bytes(s, 115, OBIS_TOKEN_GW, 1, p, sizeof p);
}

/* One meter tick of prepayment: 1 kWh at rate 1, at Monday noon. */
static void tick_prepay(meter *mt, uint64_t now, int64_t mwh) {
  ami_meter_prepay_inputs in = {mwh, 1, {2026, 11, 23, 12, 0, 1}};
  unsigned a = ami_meter_prepay_step(&mt->p, now, &in);
  ami_meter_disconnect_inputs d = {(a & AMI_METER_PREPAY_ACT_DISCONNECT) != 0,
                                   (a & AMI_METER_PREPAY_ACT_RECONNECT) != 0,
                                   false};
  ami_meter_disconnect_step(&mt->d, now, &d);
}

static void run_prepay(uint8_t mode, const char *state_after_topup) {
  meter mt;
  meter_build(&mt, mode);
  session s;
  session_open(&s, &mt, 1, 1000);
  /* account: new, prepayment mode; activate */
  get_expect(&s, 111, OBIS_ACCOUNT, 2,
             "02021602"
             "1601");
  assert_int_equal(action_hex(&s, 111, OBIS_ACCOUNT, 1, "0F00"), 0);
  get_expect(&s, 111, OBIS_ACCOUNT, 2,
             "02021602"
             "1602");
  /* the energy charge: 100 cents per kWh (scales 3, 0), any rate; set
   * passive, then activate */
  static const char *uc = "0203"
                          "02020F030F00"
                          "020312000309060100010800FF0F02"
                          "0101"
                          "02020900100064";
  assert_int_equal(action_hex(&s, 113, OBIS_CHARGE, 1, uc), 0);
  get_expect(&s, 113, OBIS_CHARGE, 6, uc);
  assert_int_equal(action_hex(&s, 113, OBIS_CHARGE, 2, "0F00"), 0);
  get_expect(&s, 113, OBIS_CHARGE, 5, uc);
  /* low credit warning at 150 cents */
  assert_int_equal(set_hex(&s, 111, OBIS_ACCOUNT, 16, "0500000096"), 0);
  get_expect(&s, 111, OBIS_ACCOUNT, 16, "0500000096");
  /* top-up token of 500 cents through the Token gateway */
  assert_int_equal(enter_token(&s, &mt, 1, 500), 0);
  get_expect(&s, 111, OBIS_ACCOUNT, 5, "05000001F4");
  get_expect(&s, 115, OBIS_TOKEN_GW, 6,
             "0202160304"
             "00");
  assert_int_equal(count(&mt, AMI_EV_CREDIT_TOKEN_ACCEPTED), 1);
  /* replayed: refused, status "validation failure" (6), no credit */
  assert_int_equal(enter_token(&s, &mt, 1, 500), 250);
  get_expect(&s, 115, OBIS_TOKEN_GW, 6,
             "0202160604"
             "00");
  get_expect(&s, 111, OBIS_ACCOUNT, 5, "05000001F4");
  /* forged (tag changed): "authentication failure" (5) */
  uint8_t p[2 + AMI_METER_TOKEN_LEN] = {0x09, AMI_METER_TOKEN_LEN};
  assert_ami_ok(ami_meter_prepay_token_make(ami_crypto_openssl(), mt.key,
                                            METER_ID, 2, 99999, p + 2));
  p[sizeof p - 1] ^= 0x80;
  assert_int_equal(action_bytes(&s, 115, OBIS_TOKEN_GW, 1, p, sizeof p), 250);
  get_expect(&s, 115, OBIS_TOKEN_GW, 6,
             "0202160504"
             "00");
  assert_int_equal(count(&mt, AMI_EV_CREDIT_TOKEN_REJECTED), 2);
  /* a remote top-up: Credit update_amount(100) */
  assert_int_equal(action_hex(&s, 112, OBIS_CREDIT, 1, "0500000064"), 0);
  get_expect(&s, 112, OBIS_CREDIT, 2, "0500000258");
  get_expect(&s, 111, OBIS_ACCOUNT, 5, "0500000258");
  /* consume 1 kWh a tick: 600 -> 0 in 6 ticks */
  uint64_t now = 10000;
  for (int i = 0; i < 6; i++, now += 1000)
    tick_prepay(&mt, now, 1000000);
  assert_int_equal(count(&mt, AMI_EV_CREDIT_LOW), 1);
  assert_int_equal(count(&mt, AMI_EV_CREDIT_EXHAUSTED), 1);
  s.now = now;
  get_expect(&s, 111, OBIS_ACCOUNT, 5, "0500000000");
  get_expect(&s, 113, OBIS_CHARGE, 2, "0500000258"); /* 600 paid */
  get_expect(&s, 70, OBIS_DISC, 3, "1602");
  get_expect(&s, 70, OBIS_DISC, 2, "0300");
  /* a new token: reconnection asked for at the next tick */
  assert_int_equal(enter_token(&s, &mt, 2, 1000), 0);
  tick_prepay(&mt, s.now, 0);
  get_expect(&s, 111, OBIS_ACCOUNT, 5, "05000003E8");
  get_expect(&s, 70, OBIS_DISC, 3, state_after_topup);
  /* emergency credit 0-0:19.10.1: preset 500, offered at or below 100 of
   * token credit -- not now (1000), so invoke_credit is refused */
  const ami_obis em = ami_obis_make(0, 0, 19, 10, 1, 255);
  assert_int_equal(set_hex(&s, 112, em, 9, "05000001F4"), 0);
  assert_int_equal(set_hex(&s, 112, em, 10, "0500000064"), 0);
  get_expect(&s, 112, em, 2, "05000001F4");
  get_expect(&s, 112, em, 3, "1602"); /* credit_type emergency */
  get_expect(&s, 112, em, 8, "1600"); /* enabled, not selectable */
  assert_int_equal(action_hex(&s, 112, em, 3, "1600"), 250);
  /* current_credit_status: in credit (bit 0), next credit enabled (bit 2) */
  get_expect(&s, 111, OBIS_ACCOUNT, 4, "0408A0");
  /* account reset clears credit and token history */
  assert_int_equal(action_hex(&s, 111, OBIS_ACCOUNT, 3, "0F00"), 0);
  get_expect(&s, 111, OBIS_ACCOUNT, 5, "0500000000");
  get_expect(&s, 115, OBIS_TOKEN_GW, 2, "0900");
  session_close(&s);
  meter_free(&mt);
}

static void test_dlms_prepay_mode1(void **st) {
  (void)st;
  run_prepay(1, "1602"); /* stays ready for manual reconnection */
}

static void test_dlms_prepay_mode5(void **st) {
  (void)st;
  run_prepay(5, "1601"); /* local reconnection */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dlms_disconnect),
      cmocka_unit_test(test_dlms_field_frames),
      cmocka_unit_test(test_dlms_limiter),
      cmocka_unit_test(test_dlms_prepay_mode1),
      cmocka_unit_test(test_dlms_prepay_mode5),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
