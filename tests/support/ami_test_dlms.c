/*
 * ami_test_dlms.c -- an in-process client <-> server session over a
 * COSEM model for the meter-layer tests (see ami_test_dlms.h).
 */
#include "ami_test_dlms.h"

#include <string.h>

#include "ami_test.h"

#include "ami/ami_acse.h"
#include "ami/ami_apdu.h"
#include "ami/ami_crypto_openssl.h"

static void on_associated(ami_client *c, int result,
                          const ami_client_assoc_info *info, void *ud) {
  ami_test_dlms *t = ud;
  (void)c;
  (void)info;
  t->assoc_result = result;
}

static void on_response(ami_client *c, const ami_client_response *r, void *ud) {
  ami_test_dlms *t = ud;
  (void)c;
  t->responses++;
  t->last_error = r->error;
  t->last_dar = r->count ? r->results[0].dar : 0xFF;
  t->data_len = 0;
  if (r->error == AMI_OK && r->count && r->results[0].data.len > 0 &&
      r->results[0].data.len <= sizeof t->data) {
    memcpy(t->data, r->results[0].data.p, r->results[0].data.len);
    t->data_len = r->results[0].data.len;
  }
}

static void on_push(ami_client *c, const ami_client_push *p, void *ud) {
  ami_test_dlms *t = ud;
  (void)c;
  if (p->tag != AMI_APDU_DATA_NOTIFICATION || p->body.len > sizeof t->push)
    return;
  t->pushes++;
  t->push_iip = p->long_iip;
  memcpy(t->push, p->body.p, p->body.len);
  t->push_len = p->body.len;
}

void ami_test_dlms_pump(ami_test_dlms *t) {
  uint8_t buf[2048];
  for (int guard = 0; guard < 100000; guard++) {
    size_t a = ami_client_pull(t->c, buf, sizeof buf, t->now);
    if (a)
      assert_ami_ok(ami_server_recv(t->s, buf, a, t->now));
    size_t b = ami_server_pull(t->s, buf, sizeof buf, t->now);
    if (b)
      assert_ami_ok(ami_client_recv(t->c, buf, b, t->now));
    if (!a && !b)
      return;
    t->now += 1;
  }
  fail_msg("the session did not settle");
}

static const uint8_t EK[16] = {0, 1, 2,  3,  4,  5,  6,  7,
                               8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t AK[16] = {0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7,
                               0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF};

static void open_mode(ami_test_dlms *t, ami_cosem_model *m, bool ciphered) {
  memset(t, 0, sizeof *t);
  t->now = 1000;
  ami_wrapper_link_config c = {
      AMI_LINK_CLIENT, AMI_TEST_DLMS_CLIENT, 1, 0, 0, NULL};
  ami_wrapper_link_config sc = {AMI_LINK_SERVER, 1, 0, 0, 0, NULL};
  t->clink = ami_wrapper_link_init(&t->cl, &c);
  t->slink = ami_wrapper_link_init(&t->sl, &sc);
  ami_server_assoc_cfg *a = &t->assoc;
  a->client_address = AMI_TEST_DLMS_CLIENT;
  a->context = AMI_ACSE_CTX_LN;
  a->mechanism = AMI_ACSE_MECH_LLS;
  a->password = (const uint8_t *)AMI_TEST_DLMS_PASSWORD;
  a->password_len = strlen(AMI_TEST_DLMS_PASSWORD);
  a->conformance = 0x00781F;
  a->max_receive_pdu = 1024;
  if (ciphered) {
    a->context = AMI_ACSE_CTX_LN_CIPHERED;
    a->mechanism = AMI_ACSE_MECH_GMAC;
    a->conformance |= 0x400000u;
    a->has_keys = true;
    memcpy(a->ek, EK, 16);
    memcpy(a->ak, AK, 16);
  }
  ami_server_cfg scfg;
  memset(&scfg, 0, sizeof scfg);
  scfg.version = AMI_SERVER_VERSION;
  scfg.assocs = a;
  scfg.assoc_count = 1;
  memcpy(scfg.system_title, "OAMTEST1", 8);
  scfg.crypto = ami_crypto_openssl();
  scfg.app = ami_cosem_server_app(m);
  scfg.link = t->slink;
  scfg.max_response = 1u << 16;
  scfg.vaa_name = 0x0007;
  assert_ami_ok(ami_server_new(&t->s, &scfg, NULL, NULL, NULL));

  ami_client_cfg cc;
  memset(&cc, 0, sizeof cc);
  cc.context = AMI_ACSE_CTX_LN;
  cc.mechanism = AMI_ACSE_MECH_LLS;
  cc.password = (const uint8_t *)AMI_TEST_DLMS_PASSWORD;
  cc.password_len = strlen(AMI_TEST_DLMS_PASSWORD);
  cc.conformance = 0x00781F;
  cc.max_pdu_size = 1024;
  cc.timeout_ms = 5000;
  cc.max_response = 1u << 16;
  cc.crypto = ami_crypto_openssl();
  if (ciphered) {
    cc.context = AMI_ACSE_CTX_LN_CIPHERED;
    cc.mechanism = AMI_ACSE_MECH_GMAC;
    cc.password = NULL;
    cc.password_len = 0;
    cc.conformance |= 0x400000u;
    cc.ek = EK;
    cc.ek_len = 16;
    cc.ak = AK;
    cc.ak_len = 16;
    memcpy(cc.system_title, "OAMCLI01", 8);
    cc.security = AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC;
  }
  static const ami_client_callbacks cb = {.version =
                                              AMI_CLIENT_CALLBACKS_VERSION,
                                          .on_associated = on_associated,
                                          .on_response = on_response,
                                          .on_push = on_push};
  assert_ami_ok(ami_client_new(&t->c, &cc, &cb, t, t->clink, NULL));
  assert_ami_ok(ami_client_associate(t->c));
  ami_test_dlms_pump(t);
  assert_int_equal(t->assoc_result, AMI_OK);
}

void ami_test_dlms_open(ami_test_dlms *t, ami_cosem_model *m) {
  open_mode(t, m, false);
}

void ami_test_dlms_open_ciphered(ami_test_dlms *t, ami_cosem_model *m) {
  open_mode(t, m, true);
}

void ami_test_dlms_close(ami_test_dlms *t) {
  if (ami_client_is_associated(t->c)) {
    assert_ami_ok(ami_client_release(t->c));
    ami_test_dlms_pump(t);
  }
  ami_client_free(t->c);
  ami_server_free(t->s);
  ami_link_free(t->clink);
  ami_link_free(t->slink);
}

static ami_apdu_desc desc(uint16_t cls, ami_obis ln, int8_t id) {
  ami_apdu_desc d;
  d.class_id = cls;
  ami_obis_to_bytes(&ln, d.obis);
  d.id = id;
  return d;
}

void ami_test_dlms_get(ami_test_dlms *t, uint16_t cls, ami_obis ln,
                       int8_t attr) {
  ami_apdu_desc d = desc(cls, ln, attr);
  uint32_t id;
  int before = t->responses;
  assert_ami_ok(ami_client_get(t->c, &d, NULL, &id));
  ami_test_dlms_pump(t);
  assert_int_equal(t->responses, before + 1);
}

uint8_t ami_test_dlms_set(ami_test_dlms *t, uint16_t cls, ami_obis ln,
                          int8_t attr, const uint8_t *value, size_t len) {
  ami_apdu_desc d = desc(cls, ln, attr);
  uint32_t id;
  int before = t->responses;
  assert_ami_ok(ami_client_set(t->c, &d, NULL, ami_span_make(value, len), &id));
  ami_test_dlms_pump(t);
  assert_int_equal(t->responses, before + 1);
  assert_int_equal(t->last_error, AMI_OK);
  return t->last_dar;
}

uint8_t ami_test_dlms_action(ami_test_dlms *t, uint16_t cls, ami_obis ln,
                             int8_t method, const uint8_t *params, size_t len) {
  ami_apdu_desc d = desc(cls, ln, method);
  uint32_t id;
  int before = t->responses;
  assert_ami_ok(ami_client_action(t->c, &d, ami_span_make(params, len), &id));
  ami_test_dlms_pump(t);
  assert_int_equal(t->responses, before + 1);
  assert_int_equal(t->last_error, AMI_OK);
  return t->last_dar;
}
