/*
 * fuzz_server.c -- libFuzzer target for the server session engine
 * (ami_server.h) over the test double link (tests/support/ami_test_server.c,
 * included here: one recv() chunk = one APDU).
 *
 * Input: one option byte, then records of (length byte, APDU bytes). The
 * option byte chooses the client (bits 0-1: no security / LLS / HLS-GMAC
 * with a ciphered context / ciphered context without authentication; bit 7:
 * an unknown address), the engine's own APDU cap (bit 2), the application's
 * maximum response (3), the reassembly cap (4), link drops on empty records
 * (5) and the security policy (6). Each record is fed as one APDU, in sequence,
 * so the fuzzer can walk the association state machine.
 *
 * Oracles: every call returns AMI_OK (no allocator failures here); every
 * response the engine sends decodes as an xDLMS or ACSE APDU; the engine
 * is still usable after any input; no crash, no leak.
 * Fuzzing builds (AMI_FUZZING) skip GCM tag checks in ami_sec, so ciphered
 * APDUs reach the services behind them. The HLS challenge is fixed (a
 * deterministic random source) so that runs are reproducible.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../support/ami_test_server.c"
#include "ami/ami_acse.h"
#include "ami/ami_apdu.h"
#include "ami/ami_crypto_openssl.h"
#include "ami/ami_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      abort();                                                                 \
  } while (0)

static int f_get(void *ud, const ami_server_assoc_info *assoc,
                 const ami_apdu_desc *attr, const ami_apdu_selection *sel,
                 ami_wr *out, uint8_t *dar) {
  (void)ud;
  (void)assoc;
  (void)sel;
  switch (attr->obis[5] % 4) {
  case 0: { /* a long octet-string: block transfer, buffer growth */
    size_t n = (size_t)attr->obis[4] * 16;
    ami_wr_u8(out, 0x09);
    ami_wr_u8(out, 0x82);
    ami_wr_u16be(out, (uint16_t)n);
    for (size_t i = 0; i < n; i++)
      ami_wr_u8(out, (uint8_t)i);
    return out->err;
  }
  case 1:
    ami_wr_u8(out, 0x11);
    ami_wr_u8(out, (uint8_t)attr->id);
    return out->err;
  case 2:
    *dar = 3;
    return AMI_OK;
  default:
    return AMI_E_STORE;
  }
}

/* Streams a value in parts: attribute 5 of any object is an array of
 * (obis[4] + 1) * 40 unsigned elements, written at most 37 per call; the
 * cursor counts elements. obis[5] == 3 denies access on the first call,
 * obis[5] == 4 fails with AMI_E_STATE half-way. */
static int f_get_part(void *ud, const ami_server_assoc_info *assoc,
                      const ami_apdu_desc *attr, const ami_apdu_selection *sel,
                      ami_server_app_cursor *cursor, ami_wr *out,
                      uint8_t *dar) {
  if (attr->id != 5)
    return f_get(ud, assoc, attr, sel, out, dar);
  uint32_t total = ((uint32_t)attr->obis[4] + 1u) * 40u, done;
  memcpy(&done, cursor->bytes, sizeof done);
  if (done == 0) {
    if (attr->obis[5] == 3) {
      *dar = 3;
      return AMI_OK;
    }
    ami_axdr_put_array(out, total);
  }
  if (attr->obis[5] == 4 && done > total / 2)
    return AMI_E_STATE;
  for (int k = 0; k < 37 && done < total; k++, done++)
    ami_axdr_put_u8(out, (uint8_t)done);
  if (out->err)
    return out->err; /* the cursor is not advanced: retried larger */
  memcpy(cursor->bytes, &done, sizeof done);
  return done < total ? AMI_E_AGAIN : AMI_OK;
}

static int f_set(void *ud, const ami_server_assoc_info *assoc,
                 const ami_apdu_desc *attr, const ami_apdu_selection *sel,
                 ami_span value, uint8_t *dar) {
  (void)ud;
  (void)assoc;
  (void)sel;
  (void)value;
  *dar = attr->obis[5] & 1 ? 3 : 0;
  return AMI_OK;
}

static int f_action(void *ud, const ami_server_assoc_info *assoc,
                    const ami_apdu_desc *m, ami_span params, ami_wr *ret,
                    bool *has_return, uint8_t *result) {
  (void)ud;
  (void)assoc;
  if (m->id & 1) {
    ami_wr_u8(ret, 0x12);
    ami_wr_u16be(ret, (uint16_t)params.len);
    *has_return = true;
  } else {
    *result = 11;
  }
  return ret->err;
}

static int fixed_random(void *ud, uint8_t *buf, size_t len) {
  (void)ud;
  for (size_t i = 0; i < len; i++)
    buf[i] = (uint8_t)(0xA5 ^ i);
  return AMI_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t opt = data[0];
  data++;
  size--;

  static ami_crypto crypto;
  crypto = *ami_crypto_openssl();
  crypto.random = fixed_random;

  ami_server_app app = {
      AMI_SERVER_APP_VERSION, NULL, f_get, f_set, f_action, f_get_part};
  ami_server_assoc_cfg ac[4];
  memset(ac, 0, sizeof ac);
  ac[0].client_address = 16;
  ac[0].context = AMI_ACSE_CTX_LN;
  ac[0].conformance = 0x7E1F1F;
  ac[0].max_receive_pdu = 0x400;
  ac[1] = ac[0];
  ac[1].client_address = 17;
  ac[1].mechanism = AMI_ACSE_MECH_LLS;
  ac[1].password = (const uint8_t *)"12345678";
  ac[1].password_len = 8;
  ac[2] = ac[0];
  ac[2].client_address = 1;
  ac[2].context = AMI_ACSE_CTX_LN_CIPHERED;
  ac[2].mechanism = AMI_ACSE_MECH_GMAC;
  ac[2].has_keys = true;
  for (int i = 0; i < 16; i++) {
    ac[2].ek[i] = (uint8_t)i;
    ac[2].ak[i] = (uint8_t)(0xD0 + i);
  }
  ac[2].security_policy = (opt >> 6) & 1 ? AMI_SEC_POLICY_REQUIRE_AUTH : 0;
  /* Client 2: ciphered context without authentication, so that ciphered
   * services are reachable without passing HLS. */
  ac[3] = ac[2];
  ac[3].client_address = 2;
  ac[3].mechanism = AMI_ACSE_MECH_NONE;
  static const uint16_t clients[4] = {16, 17, 1, 2};

  ami_test_server_link link;
  /* Bit 7: an address no association is configured for. */
  ami_test_server_link_init(
      &link, (uint16_t)(clients[opt & 3] + (opt & 0x80 ? 100 : 0)), 1);
  ami_server_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.version = AMI_SERVER_VERSION;
  cfg.assocs = ac;
  cfg.assoc_count = 4;
  memcpy(cfg.system_title, "ABCDEFGH", 8);
  cfg.crypto = &crypto;
  cfg.app = &app;
  cfg.link = &link.base;
  cfg.max_send_apdu = (opt & 4) ? 64 : 0;
  cfg.max_response = (opt & 8) ? 512 : 0;
  cfg.max_reassembly = (opt & 16) ? 64 : 0;

  ami_server *s = NULL;
  CHECK(ami_server_new(&s, &cfg, NULL, NULL, NULL) == AMI_OK);
  static uint8_t out[1 << 17];
  size_t pos = 0;
  while (pos < size) {
    size_t n = data[pos++];
    if (n > size - pos)
      n = size - pos;
    if (n == 0 && (opt & 32))
      ami_test_server_link_drop(&link);
    CHECK(ami_server_recv(s, n ? data + pos : NULL, n, pos) == AMI_OK);
    pos += n;
    size_t got;
    while ((got = ami_server_pull(s, out, sizeof out, pos)) > 0) {
      ami_span o = ami_span_make(out, got);
      ami_apdu a;
      ami_acse x;
      CHECK(ami_apdu_decode(o, &a) == AMI_OK ||
            ami_acse_decode(o, &x) == AMI_OK);
    }
  }
  ami_server_free(s);
  ami_link_free(&link.base);
  return 0;
}
