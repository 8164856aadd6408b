/*
 * test_server_harness.h -- the server-engine test harness shared by
 * test_server.c and test_server_faults.c: an application double, a fixture
 * with one engine and a fixed-random crypto plugin, request/response
 * exchange helpers, AARQ builders and client-side ciphering. Functions are
 * static inline so each test file uses what it needs.
 */
#ifndef TEST_SERVER_HARNESS_H
#define TEST_SERVER_HARNESS_H

#include "ami_test.h"
#include "ami_test_server.h"
#include "ami_test_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_acse.h"
#include "ami/ami_apdu.h"
#include "ami/ami_crypto_openssl.h"
#include "ami/ami_hex.h"
#include "ami/ami_sec.h"
#include "ami/ami_server.h"

/* ---------------------------------------------------------------------- */
/* Application double: a handful of objects. */

typedef struct app_double {
  ami_span object_list; /* 15 / 0-0:40.0.0.255 attr 2 */
  uint8_t clock[14];    /* 8 / 0-0:1.0.0.255 attr 2: 09 0C + 12 */
  uint8_t reg[64];      /* 1 / 0-0:96.1.1.255 attr 2: settable */
  size_t reg_len;
  size_t big; /* 1 / 0-0:96.1.9.255: octet-string of `big` bytes */
  int gets, sets, actions;
  bool fail_get; /* get returns AMI_E_STORE */
} app_double;

static const uint8_t OBIS_AV[6] = {0, 0, 40, 0, 0, 255};
static const uint8_t OBIS_CLOCK[6] = {0, 0, 1, 0, 0, 255};
static const uint8_t OBIS_LDN[6] = {0, 0, 42, 0, 0, 255};
static const uint8_t OBIS_REG[6] = {0, 0, 96, 1, 1, 255};
static const uint8_t OBIS_DENY[6] = {0, 0, 96, 1, 0, 255};
static const uint8_t OBIS_BIG[6] = {0, 0, 96, 1, 9, 255};
static const uint8_t OBIS_SCRIPT[6] = {0, 0, 10, 0, 0, 255};

static inline bool is(const ami_apdu_desc *d, uint16_t cls, const uint8_t ln[6],
                      int8_t id) {
  return d->class_id == cls && memcmp(d->obis, ln, 6) == 0 && d->id == id;
}

static inline int app_get(void *ud, const ami_server_assoc_info *assoc,
                          const ami_apdu_desc *attr,
                          const ami_apdu_selection *sel, ami_wr *out,
                          uint8_t *dar) {
  app_double *a = ud;
  (void)assoc;
  (void)sel;
  a->gets++;
  if (a->fail_get)
    return AMI_E_STORE;
  if (is(attr, 15, OBIS_AV, 2)) {
    ami_wr_bytes(out, a->object_list.p, a->object_list.len);
  } else if (is(attr, 8, OBIS_CLOCK, 2)) {
    ami_wr_bytes(out, a->clock, sizeof a->clock);
  } else if (is(attr, 1, OBIS_LDN, 2)) {
    static const char ldn[] = "GRX0000000123456";
    ami_wr_u8(out, 0x09);
    ami_wr_u8(out, 16);
    ami_wr_bytes(out, ldn, 16);
  } else if (is(attr, 1, OBIS_REG, 2)) {
    ami_wr_bytes(out, a->reg, a->reg_len);
  } else if (is(attr, 1, OBIS_BIG, 2)) {
    if (out->cap - out->len < a->big + 4)
      return AMI_E_BUFFER_FULL;
    ami_wr_u8(out, 0x09);
    ami_wr_u8(out, 0x82);
    ami_wr_u16be(out, (uint16_t)a->big);
    for (size_t i = 0; i < a->big; i++)
      ami_wr_u8(out, (uint8_t)i);
  } else if (is(attr, 1, OBIS_DENY, 2)) {
    *dar = 3; /* read-write-denied */
  } else {
    *dar = 4; /* object-undefined */
  }
  return out->err;
}

static inline int app_set(void *ud, const ami_server_assoc_info *assoc,
                          const ami_apdu_desc *attr,
                          const ami_apdu_selection *sel, ami_span value,
                          uint8_t *dar) {
  app_double *a = ud;
  (void)assoc;
  (void)sel;
  a->sets++;
  if (is(attr, 1, OBIS_REG, 2) && value.len <= sizeof a->reg) {
    memcpy(a->reg, value.p, value.len);
    a->reg_len = value.len;
  } else {
    *dar = 3;
  }
  return AMI_OK;
}

static inline int app_action(void *ud, const ami_server_assoc_info *assoc,
                             const ami_apdu_desc *m, ami_span params,
                             ami_wr *ret, bool *has_return, uint8_t *result) {
  app_double *a = ud;
  (void)assoc;
  a->actions++;
  if (is(m, 9, OBIS_SCRIPT, 1)) {
    /* Echo the parameters' length as a long-unsigned. */
    ami_wr_u8(ret, 0x12);
    ami_wr_u16be(ret, (uint16_t)params.len);
    *has_return = true;
  } else if (is(m, 9, OBIS_SCRIPT, 3)) {
    /* A long return: octet-string of 1,500 bytes, byte i = i * 7 mod 256
     * (more than one APDU: the server sends it in pblocks). */
    ami_wr_u8(ret, 0x09);
    ami_wr_u8(ret, 0x82);
    ami_wr_u16be(ret, 1500);
    for (unsigned i = 0; i < 1500; i++)
      ami_wr_u8(ret, (uint8_t)(i * 7));
    *has_return = true;
  } else {
    *result = 11; /* object-unavailable */
  }
  return ret->err;
}

/* ---------------------------------------------------------------------- */
/* Fixture */

typedef struct fx {
  ami_test_server_link link;
  app_double appd;
  ami_server_app app;
  ami_server_assoc_cfg ac[5];
  ami_server_cfg cfg;
  ami_server_callbacks cb;
  ami_server *s;
  int associated, released, errors, stores;
  ami_sec_counter stored;
  uint8_t out[70000];
  size_t out_len;
} fx;

static inline void cb_assoc(ami_server *s, const ami_server_assoc_info *i,
                            void *u) {
  (void)s;
  (void)i;
  ((fx *)u)->associated++;
}
static inline void cb_released(ami_server *s, uint16_t c, int r, void *u) {
  (void)s;
  (void)c;
  (void)r;
  ((fx *)u)->released++;
}
static inline void cb_error(ami_server *s, int err, void *u) {
  (void)s;
  (void)err;
  ((fx *)u)->errors++;
}
static inline int cb_ic_store(void *u, uint16_t c, ami_sec_key_kind k,
                              const ami_sec_counter *ctr) {
  (void)c;
  fx *f = u;
  if (k == AMI_SEC_KEY_UNICAST) {
    f->stored = *ctr;
    f->stores++;
  }
  return AMI_OK;
}

static const uint8_t EK[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                               0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F};
static const uint8_t AK[16] = {0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7,
                               0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF};
static const uint8_t CLIENT_TITLE[8] = {0x47, 0x75, 0x72, 0x75,
                                        0x78, 0x31, 0x32, 0x33};
static const uint8_t SERVER_TITLE[8] = {0x41, 0x42, 0x43, 0x44,
                                        0x45, 0x46, 0x47, 0x48};

static const uint8_t SHA_SECRET[] = "HLS-SHA256 secret";

/* A deterministic random source returning `g_rand` (the recorded StoC). */
static uint8_t g_rand[16];
static ami_crypto g_crypto;
static inline int fixed_random(void *ud, uint8_t *buf, size_t len) {
  (void)ud;
  for (size_t i = 0; i < len; i++)
    buf[i] = g_rand[i % sizeof g_rand];
  return AMI_OK;
}
static const ami_crypto *test_crypto(void) {
  g_crypto = *ami_crypto_openssl();
  g_crypto.random = fixed_random;
  return &g_crypto;
}

/* Client 16: LN, no security. Client 17: LN, LLS "12345678". Client 1: LN
 * with ciphering, HLS-GMAC. */
static inline void fx_setup(fx *f, uint16_t peer, const ami_allocator *alloc,
                            int expect) {
  memset(f, 0, sizeof *f);
  ami_test_server_link_init(&f->link, peer, 1);
  f->app.version = AMI_SERVER_APP_VERSION;
  f->app.user_data = &f->appd;
  f->app.get = app_get;
  f->app.set = app_set;
  f->app.action = app_action;
  static const uint8_t clock[14] = {0x09, 0x0C, 0x07, 0xEA, 0x0B, 0x16, 0x07,
                                    0x04, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00};
  memcpy(f->appd.clock, clock, sizeof clock);
  f->appd.reg[0] = 0x06;
  f->appd.reg_len = 5;
  f->ac[0].client_address = 16;
  f->ac[0].context = AMI_ACSE_CTX_LN;
  f->ac[0].mechanism = AMI_ACSE_MECH_NONE;
  f->ac[0].conformance = 0x000018; /* what the recorded server offered */
  f->ac[0].max_receive_pdu = 0x200;
  f->ac[1] = f->ac[0];
  f->ac[1].client_address = 17;
  f->ac[1].mechanism = AMI_ACSE_MECH_LLS;
  f->ac[1].password = (const uint8_t *)"12345678";
  f->ac[1].password_len = 8;
  f->ac[1].conformance = 0x7E1F1F;
  f->ac[2].client_address = 1;
  f->ac[2].context = AMI_ACSE_CTX_LN_CIPHERED;
  f->ac[2].mechanism = AMI_ACSE_MECH_GMAC;
  f->ac[2].conformance = 0x7E1F1F;
  f->ac[2].max_receive_pdu = 0x200;
  f->ac[2].has_keys = true;
  memcpy(f->ac[2].ek, EK, 16);
  memcpy(f->ac[2].ak, AK, 16);
  f->ac[2].security_policy = AMI_SEC_POLICY_REQUIRE_AUTH;
  f->cfg.version = AMI_SERVER_VERSION;
  f->cfg.assocs = f->ac;
  /* Client 2: LN without ciphering, HLS-GMAC. */
  f->ac[3] = f->ac[2];
  f->ac[3].client_address = 2;
  f->ac[3].context = AMI_ACSE_CTX_LN;
  f->ac[3].security_policy = 0;
  /* Client 3: LN without ciphering, HLS-SHA256. */
  f->ac[4] = f->ac[3];
  f->ac[4].client_address = 3;
  f->ac[4].mechanism = AMI_ACSE_MECH_SHA256;
  f->ac[4].has_keys = false;
  f->ac[4].hls_secret = SHA_SECRET;
  f->ac[4].hls_secret_len = sizeof SHA_SECRET - 1;
  f->cfg.assoc_count = 5;
  memcpy(f->cfg.system_title, SERVER_TITLE, 8);
  f->cfg.crypto = test_crypto();
  f->cfg.app = &f->app;
  f->cfg.link = &f->link.base;
  f->cfg.max_send_apdu = 512;
  f->cb.version = AMI_SERVER_CALLBACKS_VERSION;
  f->cb.on_associated = cb_assoc;
  f->cb.on_released = cb_released;
  f->cb.on_error = cb_error;
  f->cb.ic_store = cb_ic_store;
  assert_ami(ami_server_new(&f->s, &f->cfg, &f->cb, f, alloc), expect);
}

static inline void fx_teardown(fx *f) {
  ami_server_free(f->s);
  ami_link_free(&f->link.base);
}

/* Feed one request; return the one response (asserts there is one). */
static inline ami_span xfer(fx *f, const uint8_t *req, size_t n) {
  assert_ami(ami_server_recv(f->s, req, n, 1000), AMI_OK);
  assert_true(ami_server_want_write(f->s));
  f->out_len = ami_server_pull(f->s, f->out, sizeof f->out, 1000);
  assert_true(f->out_len > 0);
  assert_false(ami_server_want_write(f->s));
  return ami_span_make(f->out, f->out_len);
}

static inline ami_span xfer_hex(fx *f, const char *hex) {
  size_t n;
  uint8_t *b = ami_test_hex(hex, &n);
  ami_span r = xfer(f, b, n);
  free(b);
  return r;
}

/* The recorded none-session AARQ (gurux_wrapper_ln_none_clock.txt, first
 * TX line, wrapper header stripped). */
static const char AARQ_NONE[] = "601DA109060760857405080101BE10040E01000000065F"
                                "1F0400401E1DFFFF";

/* ---------------------------------------------------------------------- */
/* Session replay helpers */

typedef struct rec {
  uint8_t *p[64];
  size_t n[64];
  bool tx[64];
  int count;
} rec;

static inline void rec_cb(const uint8_t *apdu, size_t n, bool tx, void *ud) {
  rec *r = ud;
  assert_true(r->count < 64);
  r->p[r->count] = malloc(n);
  memcpy(r->p[r->count], apdu, n);
  r->n[r->count] = n;
  r->tx[r->count] = tx;
  r->count++;
}

static inline void rec_free(rec *r) {
  for (int i = 0; i < r->count; i++)
    free(r->p[i]);
}

static inline void apdu_decode_ok(ami_span in, ami_apdu *a) {
  assert_ami(ami_apdu_decode(in, a), AMI_OK);
}

/* Cipher a request as the client (title 4775...) with IC `ic`. */
static inline size_t client_cipher(ami_sec_ctx *c, uint32_t ic,
                                   const uint8_t *plain, size_t n, uint8_t *out,
                                   size_t cap) {
  ami_wr w;
  ami_wr_init(&w, out, cap);
  c->ic[AMI_SEC_KEY_UNICAST].tx_next = ic;
  assert_ami(ami_sec_encrypt(c, AMI_SEC_FORM_GENERAL_GLO,
                             AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC,
                             ami_span_make(plain, n), &w),
             AMI_OK);
  return w.len;
}

static inline ami_span client_decipher(ami_sec_ctx *c, ami_span in,
                                       uint8_t *out, size_t cap) {
  ami_wr w;
  ami_wr_init(&w, out, cap);
  ami_sec_info info;
  c->ic[AMI_SEC_KEY_UNICAST].rx_valid = false;
  assert_ami(ami_sec_decrypt(c, in, &w, &info), AMI_OK);
  return ami_span_make(w.p, w.len);
}

static uint32_t g_loaded_ic;
static inline int cb_ic_load(void *u, uint16_t client, ami_sec_key_kind k,
                             ami_sec_counter *c) {
  (void)u;
  assert_int_equal(client, 1);
  assert_int_equal(k, AMI_SEC_KEY_UNICAST);
  c->tx_next = g_loaded_ic;
  return AMI_OK;
}

/* Build an AARQ with the given fields into buf. */
static inline size_t make_aarq(uint8_t *buf, size_t cap, uint8_t ctx, int mech,
                               const char *pw, uint8_t version, uint32_t conf,
                               uint16_t max_pdu) {
  ami_acse q;
  memset(&q, 0, sizeof q);
  q.tag = AMI_ACSE_AARQ;
  q.u.aarq.context.present = true;
  q.u.aarq.context.id = ctx;
  if (mech >= 0) {
    static const uint8_t req[2] = {0x07, 0x80};
    q.u.aarq.acse_requirements.present = true;
    q.u.aarq.acse_requirements.value = ami_span_make(req, 2);
    q.u.aarq.mechanism.present = true;
    q.u.aarq.mechanism.id = (uint8_t)mech;
  }
  if (pw) {
    q.u.aarq.auth_value.present = true;
    q.u.aarq.auth_value.value = ami_span_make(pw, strlen(pw));
  }
  q.u.aarq.user_info.present = true;
  q.u.aarq.user_info.apdu.tag = AMI_APDU_INITIATE_REQUEST;
  q.u.aarq.user_info.apdu.u.initiate_request.dlms_version = version;
  q.u.aarq.user_info.apdu.u.initiate_request.conformance = conf;
  q.u.aarq.user_info.apdu.u.initiate_request.max_pdu_size = max_pdu;
  q.u.aarq.user_info.apdu.u.initiate_request.response_allowed = true;
  ami_wr w;
  ami_wr_init(&w, buf, cap);
  assert_ami(ami_acse_encode(&w, &q), AMI_OK);
  return w.len;
}

static inline void expect_aare(ami_span resp, int result, int diag) {
  ami_acse a;
  assert_ami(ami_acse_decode(resp, &a), AMI_OK);
  assert_int_equal(a.tag, AMI_ACSE_AARE);
  assert_int_equal(a.u.aare.result.value, result);
  assert_int_equal(a.u.aare.diagnostic.source, AMI_ACSE_DIAG_USER);
  assert_int_equal(a.u.aare.diagnostic.value, diag);
}

static inline void associate_none(fx *f) {
  ami_span resp = xfer_hex(f, AARQ_NONE);
  expect_aare(resp, 0, 0);
}

#endif /* TEST_SERVER_HARNESS_H */
