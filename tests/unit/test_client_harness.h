/*
 * test_client_harness.h -- the client-engine test harness shared by
 * test_client.c, test_client_blocks.c and test_client_faults.c: recorded
 * sessions, an engine over the in-memory test link that records every
 * callback, and helpers to associate it. Functions are static inline so
 * each test file uses what it needs.
 */
#ifndef TEST_CLIENT_HARNESS_H
#define TEST_CLIENT_HARNESS_H

#include "ami_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_acse.h"
#include "ami/ami_axdr.h"
#include "ami/ami_client.h"
#include "ami/ami_crypto_openssl.h"
#include "ami/ami_selective.h"
#include "ami_test_client.h"
#include "ami_test_crypto.h"
#include "ami_test_session.h"

/* Once the real links are merged (branch `link`), the recordings are also
 * replayed frame for frame through them: wrapper and HDLC. */
#if defined(__has_include)
#if __has_include("ami/ami_hdlc_link.h") && __has_include("ami_test_link.h")
#define AMI_TEST_HAVE_LINKS 1
#include "ami/ami_hdlc_link.h"
#include "ami/ami_wrapper_link.h"
#include "ami_test_link.h"
#endif
#endif

#define NONE_SESSION                                                           \
  "vectors/dlms/gurux-sessions/gurux_wrapper_ln_none_clock.txt"
#define HLS_SESSION                                                            \
  "vectors/dlms/gurux-sessions/gurux_wrapper_ln_hlsgmac_ae_clock_ldn.txt"

/* Keys of the HLS session (VECTORS.md §4). */
static const uint8_t EK[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                               0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F};
static const uint8_t AK[16] = {0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7,
                               0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF};
static const uint8_t CLIENT_TITLE[8] = {'G', 'u', 'r', 'u', 'x', '1', '2', '3'};
static const uint8_t SERVER_TITLE[8] = {'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'};

static const ami_apdu_desc ASSOC_VIEW = {15, {0, 0, 40, 0, 0, 255}, 2};
static const ami_apdu_desc CLOCK_TIME = {8, {0, 0, 1, 0, 0, 255}, 2};
static const ami_apdu_desc LDN = {1, {0, 0, 42, 0, 0, 255}, 2};
/* ---------------------------------------------------------------------- */
/* Recorded sessions */

#define MAX_APDUS 64
typedef struct rec {
  uint8_t *p;
  size_t n;
  bool tx;
} rec;
typedef struct session {
  rec a[MAX_APDUS];
  int n;
} session;

static inline void collect(const uint8_t *apdu, size_t n, bool tx, void *ud) {
  session *s = ud;
  assert_true(s->n < MAX_APDUS);
  s->a[s->n].p = malloc(n);
  assert_non_null(s->a[s->n].p);
  memcpy(s->a[s->n].p, apdu, n);
  s->a[s->n].n = n;
  s->a[s->n].tx = tx;
  s->n++;
}

/* Load a recording; false (after skip()) when shared/ is absent. */
static inline bool load_session(const char *rel, session *s) {
  memset(s, 0, sizeof *s);
  if (ami_test_session_apdus(rel, collect, s) < 0)
    return false;
  return true;
}

static inline void free_session(session *s) {
  for (int i = 0; i < s->n; i++)
    free(s->a[i].p);
  s->n = 0;
}

/* ---------------------------------------------------------------------- */
/* Harness: an engine over the test link, recording every callback. */

#define MAX_RESP 32
typedef struct resp {
  uint32_t id;
  ami_client_op op;
  int error;
  size_t count;
  uint8_t dar[AMI_CLIENT_MAX_LIST];
  uint8_t *data[AMI_CLIENT_MAX_LIST];
  size_t len[AMI_CLIENT_MAX_LIST];
  bool exception;
  uint8_t state_error, service_error;
} resp;

typedef struct harness {
  ami_test_client_link link;
  ami_client *c;
  int assoc_calls, assoc_rc;
  ami_client_assoc_info info; /* spans cleared */
  uint8_t server_title[8];
  size_t server_title_len;
  int nresp;
  resp r[MAX_RESP];
  int pushes;
  uint8_t push_tag;
  uint32_t push_iip;
  uint8_t *push_body;
  size_t push_len;
  int errors, last_error;
  int released, released_rc;
  bool have_ic;
  uint32_t ic_load, ic_stored;
  int ic_stores;
} harness;

static inline void on_associated(ami_client *c, int result,
                                 const ami_client_assoc_info *info, void *ud) {
  (void)c;
  harness *h = ud;
  h->assoc_calls++;
  h->assoc_rc = result;
  h->info = *info;
  h->server_title_len = info->server_title.len;
  if (info->server_title.len == 8)
    memcpy(h->server_title, info->server_title.p, 8);
  h->info.server_title = ami_span_make(NULL, 0);
}

static inline void on_response(ami_client *c, const ami_client_response *r,
                               void *ud) {
  (void)c;
  harness *h = ud;
  assert_true(h->nresp < MAX_RESP);
  resp *o = &h->r[h->nresp++];
  o->id = r->id;
  o->op = r->op;
  o->error = r->error;
  o->count = r->count;
  o->exception = r->exception;
  o->state_error = r->state_error;
  o->service_error = r->service_error;
  assert_true(r->count <= AMI_CLIENT_MAX_LIST);
  for (size_t i = 0; i < r->count; i++) {
    o->dar[i] = r->results[i].dar;
    o->len[i] = r->results[i].data.len;
    o->data[i] = malloc(o->len[i] + 1);
    assert_non_null(o->data[i]);
    if (o->len[i])
      memcpy(o->data[i], r->results[i].data.p, o->len[i]);
  }
}

static inline void on_push(ami_client *c, const ami_client_push *p, void *ud) {
  (void)c;
  harness *h = ud;
  h->pushes++;
  h->push_tag = p->tag;
  h->push_iip = p->long_iip;
  free(h->push_body);
  h->push_body = malloc(p->body.len + 1);
  assert_non_null(h->push_body);
  memcpy(h->push_body, p->body.p, p->body.len);
  h->push_len = p->body.len;
}

static inline void on_released(ami_client *c, int result, void *ud) {
  (void)c;
  harness *h = ud;
  h->released++;
  h->released_rc = result;
}

static inline void on_error(ami_client *c, int err, const char *what,
                            void *ud) {
  (void)c;
  (void)what;
  harness *h = ud;
  h->errors++;
  h->last_error = err;
}

static inline int ic_load(ami_client *c, uint32_t *next, void *ud) {
  (void)c;
  harness *h = ud;
  if (!h->have_ic)
    return AMI_E_NOT_FOUND;
  *next = h->ic_load;
  return AMI_OK;
}

static inline void ic_store(ami_client *c, uint32_t next, void *ud) {
  (void)c;
  harness *h = ud;
  h->ic_stored = next;
  h->ic_stores++;
}

static const ami_client_callbacks CALLBACKS = {AMI_CLIENT_CALLBACKS_VERSION,
                                               on_associated,
                                               on_response,
                                               on_push,
                                               on_released,
                                               on_error,
                                               ic_load,
                                               ic_store,
                                               NULL};

static inline harness *harness_new(const ami_client_cfg *cfg,
                                   const ami_allocator *alloc, int *rc) {
  harness *h = calloc(1, sizeof *h);
  assert_non_null(h);
  ami_test_client_link_init(&h->link);
  *rc = ami_client_new(&h->c, cfg, &CALLBACKS, h, &h->link.base, alloc);
  return h;
}

static inline void harness_free(harness *h) {
  ami_client_free(h->c);
  for (int i = 0; i < h->nresp; i++)
    for (size_t k = 0; k < h->r[i].count; k++)
      free(h->r[i].data[k]);
  free(h->push_body);
  free(h);
}

/* Pull one APDU and compare it with the expected bytes. */
static inline void expect_tx(harness *h, const uint8_t *p, size_t n,
                             uint64_t now) {
  uint8_t buf[AMI_TEST_CLIENT_LINK_MAX];
  assert_true(ami_client_want_write(h->c));
  size_t got = ami_client_pull(h->c, buf, sizeof buf, now);
  if (got != n || memcmp(buf, p, n) != 0) {
    char a[2 * AMI_TEST_CLIENT_LINK_MAX + 1],
        b[2 * AMI_TEST_CLIENT_LINK_MAX + 1];
    for (size_t i = 0; i < got; i++)
      sprintf(a + 2 * i, "%02X", buf[i]);
    a[2 * got] = 0;
    for (size_t i = 0; i < n; i++)
      sprintf(b + 2 * i, "%02X", p[i]);
    b[2 * n] = 0;
    fail_msg("TX differs:\n got      %s\n recorded %s", a, b);
  }
}

static inline void feed(harness *h, const uint8_t *p, size_t n, uint64_t now) {
  assert_ami_ok(ami_client_recv(h->c, p, n, now));
}

static inline void feed_hex(harness *h, const char *hex, uint64_t now) {
  size_t n;
  uint8_t *p = ami_test_hex(hex, &n);
  feed(h, p, n, now);
  free(p);
}

/* Play the recording from APDU `from` on: every TX must come out of the
 * engine as recorded, every RX goes in. */
static inline void replay(harness *h, const session *s, int from, int to) {
  for (int i = from; i < to; i++) {
    if (s->a[i].tx)
      expect_tx(h, s->a[i].p, s->a[i].n, 1000u + (uint64_t)i);
    else
      feed(h, s->a[i].p, s->a[i].n, 1000u + (uint64_t)i);
  }
}

/* The conformance and max PDU the recorded client proposed, read from its
 * AARQ (plain, or the decrypted user-information of a ciphered one). */
static inline void recorded_proposal(const session *s, uint32_t *conformance,
                                     uint16_t *max_pdu, uint32_t *ic) {
  ami_acse a;
  assert_true(s->a[0].tx);
  assert_ami_ok(ami_acse_decode(ami_span_make(s->a[0].p, s->a[0].n), &a));
  assert_int_equal(a.tag, AMI_ACSE_AARQ);
  const ami_apdu *ui = &a.u.aarq.user_info.apdu;
  if (ui->tag == AMI_APDU_INITIATE_REQUEST) {
    *conformance = ui->u.initiate_request.conformance;
    *max_pdu = ui->u.initiate_request.max_pdu_size;
    *ic = 0;
    return;
  }
  /* Ciphered: decrypt with the session keys as the recorded server would. */
  assert_int_equal(ui->tag, AMI_APDU_GLO_INITIATE_REQUEST);
  ami_sec_ctx sec;
  ami_sec_init(&sec, ami_crypto_openssl());
  assert_ami_ok(ami_sec_set_key(&sec, AMI_SEC_KEY_UNICAST, EK, 16));
  assert_ami_ok(ami_sec_set_ak(&sec, AK, 16));
  ami_sec_set_peer_title(&sec, CLIENT_TITLE);
  uint8_t enc[256], plain[256];
  ami_wr w, pw;
  ami_wr_init(&w, enc, sizeof enc);
  assert_ami_ok(ami_apdu_encode(&w, ui));
  ami_wr_init(&pw, plain, sizeof plain);
  ami_sec_info info;
  assert_ami_ok(ami_sec_decrypt(&sec, ami_span_make(enc, w.len), &pw, &info));
  ami_sec_free(&sec);
  ami_apdu ir;
  assert_ami_ok(ami_apdu_decode(ami_span_make(plain, pw.len), &ir));
  *conformance = ir.u.initiate_request.conformance;
  *max_pdu = ir.u.initiate_request.max_pdu_size;
  *ic = info.ic;
}

/* ---------------------------------------------------------------------- */
/* Checks on the delivered values, with the A-XDR decoder */

/* object_list (Association LN attribute 2): array of structure {class_id,
 * version, logical_name, access_rights}. Returns the number of objects and
 * whether (class_id, ln) is among them. */
static inline uint32_t object_list_has(const uint8_t *p, size_t n,
                                       uint16_t class_id, const uint8_t ln[6],
                                       bool *found) {
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, p, n);
  uint32_t count = 0;
  assert_ami_ok(ami_axdr_get_array(&d, &count));
  *found = false;
  for (uint32_t i = 0; i < count; i++) {
    uint32_t fields = 0;
    uint16_t cls = 0;
    uint8_t version = 0;
    ami_span name;
    assert_ami_ok(ami_axdr_get_struct(&d, &fields));
    assert_int_equal(fields, 4);
    assert_ami_ok(ami_axdr_get_u16(&d, &cls));
    assert_ami_ok(ami_axdr_get_u8(&d, &version));
    assert_ami_ok(ami_axdr_get_octets(&d, &name));
    assert_int_equal(name.len, 6);
    assert_ami_ok(ami_axdr_skip(&d)); /* access rights */
    if (cls == class_id && memcmp(name.p, ln, 6) == 0)
      *found = true;
  }
  assert_true(ami_axdr_done(&d));
  assert_int_equal(ami_axdr_pos(&d), n);
  return count;
}

static inline void check_object_list(const resp *r) {
  assert_int_equal(r->error, AMI_OK);
  assert_int_equal(r->count, 1);
  assert_int_equal(r->dar[0], 0);
  bool found = false;
  static const uint8_t clock_ln[6] = {0, 0, 1, 0, 0, 255};
  static const uint8_t assoc_ln[6] = {0, 0, 40, 0, 0, 255};
  uint32_t n = object_list_has(r->data[0], r->len[0], 8, clock_ln, &found);
  assert_true(found);
  assert_true(n > 20);
  object_list_has(r->data[0], r->len[0], 15, assoc_ln, &found);
  assert_true(found);
}

static inline void check_clock_2026_11_22(const resp *r) {
  assert_int_equal(r->error, AMI_OK);
  assert_int_equal(r->count, 1);
  assert_int_equal(r->dar[0], 0);
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, r->data[0], r->len[0]);
  ami_cosem_datetime dt;
  assert_ami_ok(ami_axdr_get_datetime(&d, &dt));
  assert_int_equal(dt.date.year, 2026);
  assert_int_equal(dt.date.month, 11);
  assert_int_equal(dt.date.day, 22);
}

/* ---------------------------------------------------------------------- */
/* The plain session */

static inline ami_client_cfg none_cfg(const session *s) {
  ami_client_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  uint32_t ic;
  recorded_proposal(s, &cfg.conformance, &cfg.max_pdu_size, &ic);
  cfg.invoke_id = 1;
  cfg.timeout_ms = 5000;
  return cfg;
}

/* ---------------------------------------------------------------------- */
/* The HLS-GMAC session */

/* A crypto plugin whose random source returns a recorded challenge. */
typedef struct fixed_rng {
  ami_test_crypto tc; /* first: the plugin's user_data points here */
  uint8_t bytes[64];
  size_t len;
} fixed_rng;

static inline int fixed_random(void *ud, uint8_t *buf, size_t len) {
  fixed_rng *f = ud;
  for (size_t i = 0; i < len; i++)
    buf[i] = f->bytes[i % f->len];
  return AMI_OK;
}

static inline void fixed_rng_init(fixed_rng *f, const uint8_t *bytes,
                                  size_t len) {
  ami_test_crypto_init(&f->tc, ami_crypto_openssl(), 1);
  f->tc.base.random = fixed_random;
  memcpy(f->bytes, bytes, len);
  f->len = len;
}

static inline ami_client_cfg hls_cfg(const session *s, const fixed_rng *rng,
                                     uint32_t *ic) {
  ami_client_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  recorded_proposal(s, &cfg.conformance, &cfg.max_pdu_size, ic);
  cfg.context = AMI_ACSE_CTX_LN_CIPHERED;
  cfg.mechanism = AMI_ACSE_MECH_GMAC;
  cfg.crypto = &rng->tc.base;
  cfg.ek = EK;
  cfg.ek_len = 16;
  cfg.ak = AK;
  cfg.ak_len = 16;
  memcpy(cfg.system_title, CLIENT_TITLE, 8);
  cfg.security = AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC;
  cfg.cipher_form = AMI_SEC_FORM_GENERAL_GLO;
  cfg.invoke_id = 1;
  cfg.challenge_len = 16;
  /* The recorded Gurux client skips one IC after HLS pass 4 (5000002 ->
   * 5000004 in the HDLC recording too). */
  cfg.ic_skip_after_hls = 1;
  return cfg;
}

/* The recorded CtoS challenge: the AARQ's calling-authentication-value. */
static inline void recorded_ctos(const session *s, uint8_t out[16]) {
  ami_acse a;
  assert_ami_ok(ami_acse_decode(ami_span_make(s->a[0].p, s->a[0].n), &a));
  assert_true(a.u.aarq.auth_value.present);
  assert_int_equal(a.u.aarq.auth_value.value.len, 16);
  memcpy(out, a.u.aarq.auth_value.value.p, 16);
}

/* Start an HLS session harness: queue the recorded operations. */
static inline harness *hls_start(const session *s, fixed_rng *rng,
                                 bool right_ctos, uint32_t ids[3]) {
  uint8_t ctos[16];
  recorded_ctos(s, ctos);
  if (!right_ctos)
    ctos[0] ^= 0x01;
  fixed_rng_init(rng, ctos, 16);
  uint32_t ic;
  ami_client_cfg cfg = hls_cfg(s, rng, &ic);
  int rc;
  harness *h = harness_new(&cfg, NULL, &rc);
  assert_ami_ok(rc);
  h->have_ic = true;
  h->ic_load = ic;
  assert_ami_ok(ami_client_associate(h->c));
  assert_ami_ok(ami_client_get(h->c, &ASSOC_VIEW, NULL, &ids[0]));
  assert_ami_ok(ami_client_get(h->c, &CLOCK_TIME, NULL, &ids[1]));
  assert_ami_ok(ami_client_get(h->c, &LDN, NULL, &ids[2]));
  assert_ami_ok(ami_client_release(h->c));
  return h;
}

static inline harness *plain_harness(ami_client_cfg *cfg) {
  int rc;
  harness *h = harness_new(cfg, NULL, &rc);
  assert_ami_ok(rc);
  return h;
}

/* Associate a plain engine with the VECTORS.md §2 accepted AARE (server
 * max PDU 500). */
static inline harness *associated(ami_client_cfg *cfg) {
  harness *h = plain_harness(cfg);
  assert_ami_ok(ami_client_associate(h->c));
  uint8_t buf[512];
  assert_true(ami_client_pull(h->c, buf, sizeof buf, 0) > 0);
  feed_hex(h,
           "6129A109060760857405080101A203020100A305A103020100BE10040E080006"
           "5F1F040000501F01F40007",
           0);
  assert_ami_ok(h->assoc_rc);
  return h;
}

#endif /* TEST_CLIENT_HARNESS_H */
