/*
 * test_session.c -- the whole stack in one process: client engine <-> link
 * <-> bytes <-> link <-> server engine <-> COSEM object model, over both
 * framings (wrapper, HDLC) and every security mode (none, LLS, HLS-GMAC
 * ciphered), with a fake clock. What it asserts comes from the standards'
 * rules (association outcomes, diagnostics, access rights, selective access
 * row counts, block transfer joining), not from recorded output. With the
 * gbt flag the same sessions run with General-Block-Transfer negotiated
 * (IEC 62056-5-3 §9.3.10): every request and response then travels in GBT
 * blocks (counted on the wrapper framing).
 */
#include "ami_test.h"

#include <stdlib.h>
#include <string.h>

#include "ami/ami_acse.h"
#include "ami/ami_axdr.h"
#include "ami/ami_client.h"
#include "ami/ami_cosem.h"
#include "ami/ami_crypto_openssl.h"
#include "ami/ami_hdlc_link.h"
#include "ami/ami_obis.h"
#include "ami/ami_selective.h"
#include "ami/ami_server.h"
#include "ami/ami_wrapper_link.h"

static const uint8_t EK[16] = {0, 1, 2,  3,  4,  5,  6,  7,
                               8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t AK[16] = {0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7,
                               0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF};
static const uint8_t PASSWORD[] = "12345678";
static const uint8_t HLS_SECRET[] = "an HLS-SHA256 secret";

/* MODE_HLS: HLS-GMAC, ciphered context. MODE_SHA256 / MODE_SHA256_C: HLS-
 * SHA256 (mechanism 6) in a plain / ciphered context -- the management
 * association (client 1) reconfigured on the server side. */
enum { MODE_NONE, MODE_LLS, MODE_HLS, MODE_SHA256, MODE_SHA256_C };

static bool mode_ciphered(int mode) {
  return mode == MODE_HLS || mode == MODE_SHA256_C;
}

/* ---- the meter side -------------------------------------------------------
 */

static ami_cosem_model *build_model(uint32_t rows) {
  ami_cosem_model *m;
  assert_ami_ok(ami_cosem_model_new(NULL, NULL, &m));
  ami_cosem_assoc *as[3];
  static const uint16_t clients[3] = {16, 2, 1};
  static const uint8_t mech[3] = {AMI_ACSE_MECH_NONE, AMI_ACSE_MECH_LLS,
                                  AMI_ACSE_MECH_GMAC};
  for (int i = 0; i < 3; i++)
    assert_ami_ok(ami_cosem_add_association(
        m, clients[i], mech[i],
        ami_obis_make(0, 0, 40, 0, (uint8_t)(i + 1), 255), &as[i]));
  ami_cosem_object *clock, *reg, *ldn, *prof;
  assert_ami_ok(
      ami_cosem_add_object(m, 8, ami_obis_make(0, 0, 1, 0, 0, 255), &clock));
  assert_ami_ok(
      ami_cosem_add_object(m, 3, ami_obis_make(1, 0, 1, 8, 0, 255), &reg));
  assert_ami_ok(
      ami_cosem_add_object(m, 1, ami_obis_make(0, 0, 42, 0, 0, 255), &ldn));
  assert_ami_ok(
      ami_cosem_add_object(m, 7, ami_obis_make(1, 0, 99, 1, 0, 255), &prof));
  /* register 1-0:1.8.0 = 9108 Wh (scaler 0, unit 30) */
  static const uint8_t value[] = {0x06, 0x00, 0x00, 0x23, 0x94};
  static const uint8_t su[] = {0x02, 0x02, 0x0F, 0x00, 0x16, 0x1E};
  assert_ami_ok(ami_cosem_set_attr(reg, 2, ami_span_make(value, sizeof value)));
  assert_ami_ok(ami_cosem_set_attr(reg, 3, ami_span_make(su, sizeof su)));
  static const uint8_t name[] = {0x09, 0x03, 'O', 'A', 'M'};
  assert_ami_ok(ami_cosem_set_attr(ldn, 2, ami_span_make(name, sizeof name)));
  ami_cosem_object *objs[4] = {clock, reg, ldn, prof};
  for (int a = 0; a < 3; a++)
    for (int o = 0; o < 4; o++)
      assert_ami_ok(ami_cosem_assoc_add_object_role(
          as[a], objs[o],
          a == 2 ? AMI_COSEM_ROLE_MANAGEMENT
                 : (a == 1 ? AMI_COSEM_ROLE_READER : AMI_COSEM_ROLE_PUBLIC)));
  assert_ami_ok(ami_cosem_profile_add_column(prof, clock, 2, 0, 14));
  assert_ami_ok(ami_cosem_profile_add_column(prof, reg, 2, 0, 5));
  assert_ami_ok(ami_cosem_profile_set_capacity(prof, rows));
  for (uint32_t i = 0; i < rows; i++)
    assert_ami_ok(
        ami_cosem_profile_capture(prof, 1000000000ull + i * 900000ull));
  return m;
}

/* ---- one session ----------------------------------------------------------
 */

typedef struct session {
  bool hdlc;
  bool gbt; /* General-Block-Transfer proposed and granted */
  /* Wrapper framing: APDUs seen that were GBT, client->server and back. */
  int gbt_c2s, gbt_s2c;
  union {
    ami_wrapper_link w;
    ami_hdlc_link h;
  } cl, sl;
  ami_link *clink, *slink;
  ami_client *c;
  ami_server *s;
  ami_server_assoc_cfg assocs[3];
  uint64_t now;
  /* what the client engine reported */
  int assoc_result;
  ami_client_assoc_info info;
  int released;
  int responses;
  int last_error;
  uint8_t last_dar;
  uint8_t data[65536];
  size_t data_len;
} session;

static void on_associated(ami_client *c, int result,
                          const ami_client_assoc_info *info, void *ud) {
  session *s = ud;
  (void)c;
  s->assoc_result = result;
  if (info)
    s->info = *info;
}

static void on_response(ami_client *c, const ami_client_response *r, void *ud) {
  session *s = ud;
  (void)c;
  s->responses++;
  s->last_error = r->error;
  s->last_dar = r->count ? r->results[0].dar : 0xFF;
  s->data_len = 0;
  if (r->error == AMI_OK && r->count && r->results[0].data.len > 0 &&
      r->results[0].data.len <= sizeof s->data) {
    memcpy(s->data, r->results[0].data.p, r->results[0].data.len);
    s->data_len = r->results[0].data.len;
  }
}

static void on_released(ami_client *c, int result, void *ud) {
  session *s = ud;
  (void)c;
  s->released = result == AMI_OK ? 1 : -1;
}

/* The wrapper frames (IEC 62056-47: version, source, destination, length,
 * APDU) in p whose APDU is a General-Block-Transfer (tag 0xE0). */
static int count_gbt(const session *s, const uint8_t *p, size_t n) {
  int k = 0;
  while (!s->hdlc && n >= 9) {
    size_t len = ((size_t)p[6] << 8) | p[7];
    if (p[8] == AMI_APDU_GENERAL_BLOCK_TRANSFER)
      k++;
    if (len + 8u > n)
      break;
    p += len + 8u;
    n -= len + 8u;
  }
  return k;
}

/* Shuttle bytes both ways until both sides are quiet. */
static void pump(session *s) {
  uint8_t buf[2048];
  for (int guard = 0; guard < 100000; guard++) {
    size_t a = ami_client_pull(s->c, buf, sizeof buf, s->now);
    s->gbt_c2s += count_gbt(s, buf, a);
    if (a)
      assert_ami_ok(ami_server_recv(s->s, buf, a, s->now));
    size_t b = ami_server_pull(s->s, buf, sizeof buf, s->now);
    s->gbt_s2c += count_gbt(s, buf, b);
    if (b)
      assert_ami_ok(ami_client_recv(s->c, buf, b, s->now));
    if (!a && !b)
      return;
    s->now += 1;
  }
  fail_msg("the session did not settle");
}

/* The server's allocator (NULL = the C library); tests of the streamed
 * long GET measure the engine's peak memory through it. */
static const ami_allocator *g_server_alloc;

static void session_open(session *s, ami_cosem_model *m, bool hdlc, int mode,
                         const uint8_t *password, const uint8_t *ak, bool gbt) {
  memset(s, 0, sizeof *s);
  s->hdlc = hdlc;
  s->gbt = gbt;
  s->now = 1000;
  uint16_t client = mode == MODE_NONE ? 16 : mode == MODE_LLS ? 2 : 1;
  if (hdlc) {
    ami_hdlc_link_config c;
    memset(&c, 0, sizeof c);
    c.role = AMI_LINK_CLIENT;
    c.client_address = client;
    c.server_address = ami_hdlc_addr_server(1, 17);
    c.limits.max_info_tx = c.limits.max_info_rx = 128;
    c.propose_limits = true;
    ami_hdlc_link_config sc = c;
    sc.role = AMI_LINK_SERVER;
    sc.client_address = 0;
    s->clink = ami_hdlc_link_init(&s->cl.h, &c);
    s->slink = ami_hdlc_link_init(&s->sl.h, &sc);
  } else {
    ami_wrapper_link_config c = {AMI_LINK_CLIENT, client, 1, 0, 0, NULL};
    ami_wrapper_link_config sc = {AMI_LINK_SERVER, 1, 0, 0, 0, NULL};
    s->clink = ami_wrapper_link_init(&s->cl.w, &c);
    s->slink = ami_wrapper_link_init(&s->sl.w, &sc);
  }
  for (int i = 0; i < 3; i++) {
    ami_server_assoc_cfg *a = &s->assocs[i];
    a->client_address = (uint16_t)(i == 0 ? 16 : i == 1 ? 2 : 1);
    a->context = i == 2 ? AMI_ACSE_CTX_LN_CIPHERED : AMI_ACSE_CTX_LN;
    a->mechanism = (uint8_t)(i == 0   ? AMI_ACSE_MECH_NONE
                             : i == 1 ? AMI_ACSE_MECH_LLS
                                      : AMI_ACSE_MECH_GMAC);
    a->conformance = 0x00781F | (i == 2 ? 0x400000u : 0) |
                     (gbt ? AMI_CONFORMANCE_GENERAL_BLOCK_TRANSFER : 0);
    a->max_receive_pdu = 512;
    a->password = PASSWORD;
    a->password_len = 8;
    if (i == 2 && (mode == MODE_SHA256 || mode == MODE_SHA256_C)) {
      a->mechanism = AMI_ACSE_MECH_SHA256;
      a->context =
          mode == MODE_SHA256_C ? AMI_ACSE_CTX_LN_CIPHERED : AMI_ACSE_CTX_LN;
      a->hls_secret = HLS_SECRET;
      a->hls_secret_len = sizeof HLS_SECRET - 1;
    }
    if (i == 2) {
      a->has_keys = true;
      memcpy(a->ek, EK, 16);
      memcpy(a->ak, AK, 16);
    }
  }
  ami_server_cfg scfg;
  memset(&scfg, 0, sizeof scfg);
  scfg.version = AMI_SERVER_VERSION;
  scfg.assocs = s->assocs;
  scfg.assoc_count = 3;
  memcpy(scfg.system_title, "OAMTEST1", 8);
  scfg.crypto = ami_crypto_openssl();
  scfg.app = ami_cosem_server_app(m);
  scfg.link = s->slink;
  scfg.max_response = 1u << 20;
  scfg.vaa_name = 0x0007;
  assert_ami_ok(ami_server_new(&s->s, &scfg, NULL, NULL, g_server_alloc));

  ami_client_cfg cc;
  memset(&cc, 0, sizeof cc);
  bool sha = mode == MODE_SHA256 || mode == MODE_SHA256_C;
  cc.context = mode_ciphered(mode) ? AMI_ACSE_CTX_LN_CIPHERED : AMI_ACSE_CTX_LN;
  cc.mechanism = (uint8_t)(mode == MODE_NONE  ? AMI_ACSE_MECH_NONE
                           : mode == MODE_LLS ? AMI_ACSE_MECH_LLS
                           : sha              ? AMI_ACSE_MECH_SHA256
                                              : AMI_ACSE_MECH_GMAC);
  /* `password` is the LLS password, or the HLS secret of the SHA modes. */
  if (password && sha) {
    cc.hls_secret = password;
    cc.hls_secret_len = strlen((const char *)password);
  } else if (password) {
    cc.password = password;
    cc.password_len = strlen((const char *)password);
  }
  cc.conformance = 0x00781F | (mode_ciphered(mode) ? 0x400000u : 0);
  cc.max_pdu_size = 256; /* small: the object list and profile need blocks */
  cc.timeout_ms = 5000;
  cc.max_response = 1u << 20;
  cc.gbt = gbt;
  cc.crypto = ami_crypto_openssl();
  if (sha)
    memcpy(cc.system_title, "OAMCLI01", 8);
  if (mode_ciphered(mode)) {
    cc.ek = EK;
    cc.ek_len = 16;
    cc.ak = ak;
    cc.ak_len = 16;
    memcpy(cc.system_title, "OAMCLI01", 8);
    cc.security = AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC;
  }
  static const ami_client_callbacks cb = {.version =
                                              AMI_CLIENT_CALLBACKS_VERSION,
                                          .on_associated = on_associated,
                                          .on_response = on_response,
                                          .on_released = on_released};
  assert_ami_ok(ami_client_new(&s->c, &cc, &cb, s, s->clink, NULL));
  assert_ami_ok(ami_client_associate(s->c));
  pump(s);
}

static void session_close(session *s) {
  if (ami_client_is_associated(s->c)) {
    assert_ami_ok(ami_client_release(s->c));
    pump(s);
    assert_int_equal(s->released, 1);
  }
  ami_client_free(s->c);
  ami_server_free(s->s);
  ami_link_free(s->clink);
  ami_link_free(s->slink);
}

static void get(session *s, uint16_t cls, ami_obis ln, int8_t attr,
                const ami_apdu_selection *sel) {
  ami_apdu_desc d;
  d.class_id = cls;
  ami_obis_to_bytes(&ln, d.obis);
  d.id = attr;
  uint32_t id;
  int before = s->responses;
  assert_ami_ok(ami_client_get(s->c, &d, sel, &id));
  pump(s);
  assert_int_equal(s->responses, before + 1);
}

/* Count the elements of the top-level array in s->data. */
static uint32_t array_count(const session *s) {
  ami_axdr_dec d;
  uint32_t n = 0;
  ami_axdr_dec_init(&d, s->data, s->data_len);
  assert_ami_ok(ami_axdr_get_array(&d, &n));
  return n;
}

static void run_mode(bool hdlc, int mode, bool gbt) {
  ami_cosem_model *m = build_model(200);
  session s;
  session_open(&s, m, hdlc, mode,
               mode == MODE_LLS                               ? PASSWORD
               : mode == MODE_SHA256 || mode == MODE_SHA256_C ? HLS_SECRET
                                                              : NULL,
               AK, gbt);
  assert_int_equal(s.assoc_result, AMI_OK);
  assert_true(ami_client_is_associated(s.c));
  assert_int_equal((ami_client_conformance(s.c) &
                    AMI_CONFORMANCE_GENERAL_BLOCK_TRANSFER) != 0,
                   gbt);

  /* The register: exactly the value the model holds. */
  get(&s, 3, ami_obis_make(1, 0, 1, 8, 0, 255), 2, NULL);
  assert_int_equal(s.last_error, AMI_OK);
  ami_test_assert_bytes(s.data, s.data_len, "0600002394");

  /* The clock: a 12-byte date-time octet-string. */
  get(&s, 8, ami_obis_make(0, 0, 1, 0, 0, 255), 2, NULL);
  assert_int_equal(s.data_len, 14);
  assert_int_equal(s.data[0], 0x09);
  assert_int_equal(s.data[1], 12);

  /* The object list (4 objects + the association itself) arrives in GET
   * data blocks: the client accepts APDUs of at most 256 bytes. */
  get(&s, 15, ami_obis_make(0, 0, 40, 0, 0, 255), 2, NULL);
  assert_int_equal(s.last_error, AMI_OK);
  assert_int_equal(array_count(&s), 5);

  /* Profile by entry: rows 11..20 -> 10 rows. */
  uint8_t selbuf[32];
  ami_wr w;
  ami_wr_init(&w, selbuf, sizeof selbuf);
  ami_selective_entry e = {11, 20, 1, 0};
  ami_selective_entry_encode(&w, &e);
  ami_apdu_selection sel = {true, 2, ami_span_make(selbuf, w.len)};
  get(&s, 7, ami_obis_make(1, 0, 99, 1, 0, 255), 2, &sel);
  assert_int_equal(s.last_error, AMI_OK);
  assert_int_equal(array_count(&s), 10);

  /* The whole profile: 200 rows, many blocks (GET datablocks, or GBT
   * blocks of at most 256 bytes, acknowledged one by one). */
  int c2s = s.gbt_c2s, s2c = s.gbt_s2c;
  get(&s, 7, ami_obis_make(1, 0, 99, 1, 0, 255), 2, NULL);
  assert_int_equal(s.last_error, AMI_OK);
  assert_int_equal(array_count(&s), 200);
  if (gbt && !hdlc) {
    /* One request block, then each response block but the last acked. */
    assert_true(s.gbt_s2c - s2c > 10);
    assert_int_equal(s.gbt_c2s - c2s, s.gbt_s2c - s2c);
  } else {
    assert_int_equal(s.gbt_c2s + s.gbt_s2c, 0);
  }

  /* Writing: only the management association may. */
  ami_apdu_desc ldn = {1, {0, 0, 42, 0, 0, 255}, 2};
  static const uint8_t v[] = {0x09, 0x02, 'O', 'K'};
  uint32_t id;
  int before = s.responses;
  assert_ami_ok(
      ami_client_set(s.c, &ldn, NULL, ami_span_make(v, sizeof v), &id));
  pump(&s);
  assert_int_equal(s.responses, before + 1);
  assert_int_equal(s.last_dar, mode == MODE_HLS || mode == MODE_SHA256 ||
                                       mode == MODE_SHA256_C
                                   ? 0
                                   : 3 /* read-write-denied */);

  if (gbt) {
    /* A SET larger than the server's max PDU (512): the request itself
     * goes in several GBT blocks, each acknowledged by the server. */
    static uint8_t big[4 + 700];
    big[0] = 0x09;
    big[1] = 0x82;
    big[2] = 0x02;
    big[3] = 0xBC;
    for (size_t i = 4; i < sizeof big; i++)
      big[i] = (uint8_t)i;
    c2s = s.gbt_c2s;
    before = s.responses;
    assert_ami_ok(
        ami_client_set(s.c, &ldn, NULL, ami_span_make(big, sizeof big), &id));
    pump(&s);
    assert_int_equal(s.responses, before + 1);
    assert_int_equal(s.last_error, AMI_OK);
    bool mgmt =
        mode == MODE_HLS || mode == MODE_SHA256 || mode == MODE_SHA256_C;
    assert_int_equal(s.last_dar, mgmt ? 0 : 3);
    if (!hdlc)
      assert_true(s.gbt_c2s - c2s >= 2);
    if (mgmt) { /* read back: the value written, in GBT too */
      get(&s, 1, ami_obis_make(0, 0, 42, 0, 0, 255), 2, NULL);
      assert_int_equal(s.last_error, AMI_OK);
      assert_int_equal(s.data_len, sizeof big);
      assert_memory_equal(s.data, big, sizeof big);
    }
  }

  session_close(&s);
  ami_cosem_model_free(m);
}

static void test_wrapper_none(void **st) {
  (void)st;
  run_mode(false, MODE_NONE, false);
}
static void test_wrapper_none_gbt(void **st) {
  (void)st;
  run_mode(false, MODE_NONE, true);
}
static void test_wrapper_lls(void **st) {
  (void)st;
  run_mode(false, MODE_LLS, false);
}
static void test_wrapper_lls_gbt(void **st) {
  (void)st;
  run_mode(false, MODE_LLS, true);
}
static void test_wrapper_hls(void **st) {
  (void)st;
  run_mode(false, MODE_HLS, false);
}
static void test_wrapper_hls_gbt(void **st) {
  (void)st;
  run_mode(false, MODE_HLS, true);
}
static void test_hdlc_none(void **st) {
  (void)st;
  run_mode(true, MODE_NONE, false);
}
static void test_hdlc_none_gbt(void **st) {
  (void)st;
  run_mode(true, MODE_NONE, true);
}
static void test_hdlc_lls(void **st) {
  (void)st;
  run_mode(true, MODE_LLS, false);
}
static void test_hdlc_lls_gbt(void **st) {
  (void)st;
  run_mode(true, MODE_LLS, true);
}
static void test_hdlc_hls(void **st) {
  (void)st;
  run_mode(true, MODE_HLS, false);
}
static void test_hdlc_hls_gbt(void **st) {
  (void)st;
  run_mode(true, MODE_HLS, true);
}

/* HLS-SHA256 (mechanism 6), plain and ciphered context, both links. */
static void test_sha256(void **st) {
  (void)st;
  for (int hdlc = 0; hdlc < 2; hdlc++)
    for (int gbt = 0; gbt < 2; gbt++) {
      run_mode(hdlc, MODE_SHA256, gbt);
      run_mode(hdlc, MODE_SHA256_C, gbt);
    }
}

/* A wrong HLS secret: the server answers pass 3 with a failed result and
 * the association is not established (plain and ciphered, both links). */
static void test_sha256_wrong_secret(void **st) {
  (void)st;
  for (int hdlc = 0; hdlc < 2; hdlc++)
    for (int mode = MODE_SHA256; mode <= MODE_SHA256_C; mode++) {
      ami_cosem_model *m = build_model(4);
      session s;
      session_open(&s, m, hdlc, mode, (const uint8_t *)"not the secret", AK,
                   false);
      assert_int_equal(s.assoc_result, AMI_E_AUTH_FAILED);
      assert_false(ami_client_is_associated(s.c));
      assert_false(ami_server_is_associated(s.s));
      session_close(&s);
      ami_cosem_model_free(m);
    }
}

/* A wrong password: rejected with authentication-failure (IEC 62056-5-3
 * acse-service-user diagnostic 13). */
static void test_wrong_password(void **st) {
  (void)st;
  for (int hdlc = 0; hdlc < 2; hdlc++) {
    ami_cosem_model *m = build_model(4);
    session s;
    session_open(&s, m, hdlc, MODE_LLS, (const uint8_t *)"wrong", AK, false);
    assert_int_not_equal(s.assoc_result, AMI_OK);
    assert_int_equal(s.info.result, AMI_ACSE_RESULT_REJECTED_PERMANENT);
    assert_int_equal(s.info.diagnostic, 13);
    assert_false(ami_client_is_associated(s.c));
    session_close(&s);
    ami_cosem_model_free(m);
  }
}

/* A wrong authentication key: the association must not be established. */
static void test_wrong_key(void **st) {
  (void)st;
  uint8_t bad[16];
  memcpy(bad, AK, 16);
  bad[15] ^= 1;
  for (int hdlc = 0; hdlc < 2; hdlc++) {
    ami_cosem_model *m = build_model(4);
    session s;
    session_open(&s, m, hdlc, MODE_HLS, NULL, bad, false);
    assert_int_not_equal(s.assoc_result, AMI_OK);
    assert_false(ami_client_is_associated(s.c));
    session_close(&s);
    ami_cosem_model_free(m);
  }
}

/* ---- streamed long GET ----------------------------------------------------
 */

/* An allocator that tracks live and peak bytes (a size header per block). */
typedef struct peak_alloc {
  ami_allocator base;
  size_t live, peak;
} peak_alloc;

static void *pa_malloc(size_t n, void *ud) {
  peak_alloc *pa = ud;
  size_t *p = malloc(n + sizeof(size_t) * 2);
  if (!p)
    return NULL;
  p[0] = n;
  pa->live += n;
  if (pa->live > pa->peak)
    pa->peak = pa->live;
  return p + 2;
}

static void pa_free(void *ptr, void *ud) {
  peak_alloc *pa = ud;
  if (!ptr)
    return;
  size_t *p = (size_t *)ptr - 2;
  pa->live -= p[0];
  free(p);
}

static void *pa_realloc(void *ptr, size_t n, void *ud) {
  peak_alloc *pa = ud;
  if (!ptr)
    return pa_malloc(n, ud);
  size_t *p = (size_t *)ptr - 2;
  size_t old = p[0];
  size_t *q = realloc(p, n + sizeof(size_t) * 2);
  if (!q)
    return NULL;
  q[0] = n;
  pa->live = pa->live - old + n;
  if (pa->live > pa->peak)
    pa->peak = pa->live;
  return q + 2;
}

/* A 2,500-row profile (about 52 KB of A-XDR) read whole over a 512-byte
 * PDU: the server streams it from the model's ring block by block, so the
 * engine's memory stays near one block -- it never holds the value. */
static void test_streamed_long_get(void **st) {
  (void)st;
  ami_cosem_model *m = build_model(2500);
  peak_alloc pa = {{pa_malloc, pa_realloc, pa_free, NULL}, 0, 0};
  pa.base.user_data = &pa;
  g_server_alloc = &pa.base;
  session s;
  session_open(&s, m, false, MODE_NONE, NULL, AK, false);
  g_server_alloc = NULL;
  assert_int_equal(s.assoc_result, AMI_OK);
  size_t before = pa.peak;
  get(&s, 7, ami_obis_make(1, 0, 99, 1, 0, 255), 2, NULL);
  assert_int_equal(s.last_error, AMI_OK);
  assert_int_equal(s.last_dar, 0);
  assert_true(s.data_len > 50000);
  assert_int_equal(array_count(&s), 2500);
  /* Rows in order: the register column of row i holds 9108 (constant), the
   * clock column 1e9 ms + i * 15 min -- check the first and the last. */
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, s.data, s.data_len);
  uint32_t n = 0, f = 0;
  assert_ami_ok(ami_axdr_get_array(&d, &n));
  for (uint32_t i = 0; i < n; i++) {
    assert_ami_ok(ami_axdr_get_struct(&d, &f));
    assert_int_equal(f, 2);
    assert_ami_ok(ami_axdr_skip(&d));
    uint32_t v = 0;
    assert_ami_ok(ami_axdr_get_u32(&d, &v));
    assert_int_equal(v, 9108);
  }
  assert_true(ami_axdr_done(&d));
  print_message("server peak memory: %zu B before the GET, %zu B after "
                "(value %zu B)\n",
                before, pa.peak, s.data_len);
  assert_true(pa.peak - before < 8192);
  session_close(&s);
  assert_int_equal(pa.live, 0);
  ami_cosem_model_free(m);
}

/* Captures during a long GET that overwrite rows not yet sent: the server
 * cannot continue the snapshot and aborts with long-get-aborted (15). */
static void test_long_get_overrun_aborts(void **st) {
  (void)st;
  ami_cosem_model *m = build_model(2000);
  session s;
  session_open(&s, m, false, MODE_NONE, NULL, AK, false);
  ami_apdu_desc dsc = {7, {1, 0, 99, 1, 0, 255}, 2};
  uint32_t id;
  assert_ami_ok(ami_client_get(s.c, &dsc, NULL, &id));
  /* Let the first two blocks through, then overwrite the whole ring. */
  uint8_t buf[2048];
  for (int k = 0; k < 2; k++) {
    size_t a = ami_client_pull(s.c, buf, sizeof buf, s.now);
    assert_true(a > 0);
    assert_ami_ok(ami_server_recv(s.s, buf, a, s.now));
    size_t b = ami_server_pull(s.s, buf, sizeof buf, s.now);
    assert_true(b > 0);
    assert_ami_ok(ami_client_recv(s.c, buf, b, s.now));
  }
  ami_cosem_object *prof =
      ami_cosem_find(m, 7, ami_obis_make(1, 0, 99, 1, 0, 255));
  assert_non_null(prof);
  for (uint32_t i = 0; i < 2000; i++)
    assert_ami_ok(
        ami_cosem_profile_capture(prof, 3000000000ull + i * 900000ull));
  pump(&s);
  assert_int_equal(s.responses, 1);
  assert_true(s.last_error != AMI_OK || s.last_dar == 15);
  print_message("overrun: error %s, dar %u\n", ami_err_name(s.last_error),
                s.last_dar);
  session_close(&s);
  ami_cosem_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wrapper_none),
      cmocka_unit_test(test_streamed_long_get),
      cmocka_unit_test(test_long_get_overrun_aborts),
      cmocka_unit_test(test_wrapper_lls),
      cmocka_unit_test(test_wrapper_hls),
      cmocka_unit_test(test_hdlc_none),
      cmocka_unit_test(test_hdlc_lls),
      cmocka_unit_test(test_hdlc_hls),
      cmocka_unit_test(test_wrong_password),
      cmocka_unit_test(test_wrong_key),
      cmocka_unit_test(test_sha256),
      cmocka_unit_test(test_sha256_wrong_secret),
      cmocka_unit_test(test_wrapper_none_gbt),
      cmocka_unit_test(test_wrapper_lls_gbt),
      cmocka_unit_test(test_wrapper_hls_gbt),
      cmocka_unit_test(test_hdlc_none_gbt),
      cmocka_unit_test(test_hdlc_lls_gbt),
      cmocka_unit_test(test_hdlc_hls_gbt),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
