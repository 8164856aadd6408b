/*
 * ami_sec_auth.c -- the authentication-side helpers of DLMS security:
 * HLS-GMAC (authentication mechanism_id 5) pass 3 and 4 values, random
 * challenges for HLS, and AES key wrap for Security Setup key_transfer.
 */
#include "ami_sec_internal.h"

/* GMAC of SC || AK || challenge: GCM with empty plaintext whose tag is the
 * MAC (Green Book HLS-GMAC: f(StoC) = SC || IC || GMAC(SC || AK || StoC)). */
static int gmac(const ami_sec_ctx *s, bool seal,
                const uint8_t title[AMI_SEC_TITLE_LEN], uint8_t sc, uint32_t ic,
                ami_span challenge, uint8_t *tag) {
  const ami_crypto *c = s->crypto;
  uint8_t iv[AMI_CRYPTO_GCM_IV_LEN];
  ami__sec_iv(title, ic, iv);
  ami_span aad[3] = {ami_span_make(&sc, 1), ami_span_make(s->ak, s->ak_len),
                     challenge};
  ami_crypto_key *ek = s->key[AMI_SEC_KEY_UNICAST];
  if (seal)
    return c->gcm_seal(c->user_data, ek, iv, aad, 3, NULL, 0, NULL, tag,
                       AMI_SEC_TAG_LEN);
  return c->gcm_open(c->user_data, ek, iv, aad, 3, NULL, 0, NULL, tag,
                     AMI_SEC_TAG_LEN);
}

/* Common checks: plugin, EK and AK present, challenge sane. */
static int hls_ready(const ami_sec_ctx *s, ami_span challenge) {
  if (s == NULL || (challenge.len > 0 && challenge.p == NULL))
    return AMI_E_INVAL;
  int rc = ami__sec_need_crypto(s);
  if (rc != AMI_OK)
    return rc;
  if (s->key[AMI_SEC_KEY_UNICAST] == NULL || s->ak_len == 0)
    return AMI_E_NO_KEY;
  return AMI_OK;
}

/* HLS pass 3 (client: f(StoC)) or pass 4 (server: f(CtoS)). */
int ami_sec_hls_gmac(ami_sec_ctx *s, ami_span challenge,
                     uint8_t out[AMI_SEC_GMAC_LEN]) {
  int rc = hls_ready(s, challenge);
  if (rc != AMI_OK)
    return rc;
  if (out == NULL)
    return AMI_E_INVAL;
  if (!s->has_own_title)
    return AMI_E_NO_KEY;
  ami_sec_counter *ctr = &s->ic[AMI_SEC_KEY_UNICAST];
  if (ctr->tx_next == AMI_SEC_IC_EXHAUSTED)
    return AMI_E_IC_EXHAUSTED;
  uint32_t ic = ctr->tx_next;
  uint8_t sc = (uint8_t)(AMI_SEC_SC_AUTH | (s->suite & AMI_SEC_SC_SUITE_MASK));
  rc = gmac(s, true, s->own_title, sc, ic, challenge, out + 5);
  if (rc != AMI_OK)
    return rc;
  out[0] = sc;
  out[1] = (uint8_t)(ic >> 24);
  out[2] = (uint8_t)(ic >> 16);
  out[3] = (uint8_t)(ic >> 8);
  out[4] = (uint8_t)ic;
  ctr->tx_next = ic + 1;
  return AMI_OK;
}

int ami_sec_hls_gmac_verify(ami_sec_ctx *s, ami_span challenge,
                            ami_span response) {
  int rc = hls_ready(s, challenge);
  if (rc != AMI_OK)
    return rc;
  if (response.len > 0 && response.p == NULL)
    return AMI_E_INVAL;
  if (response.len < AMI_SEC_GMAC_LEN)
    return AMI_E_TRUNCATED;
  if (response.len > AMI_SEC_GMAC_LEN)
    return AMI_E_TRAILING;
  ami_rd r;
  ami_rd_init(&r, response.p, response.len);
  uint8_t sc = 0;
  uint32_t ic = 0;
  (void)ami_rd_u8(&r, &sc); /* the length was checked above */
  (void)ami_rd_u32be(&r, &ic);
  if ((sc & ~AMI_SEC_SC_SUITE_MASK) != AMI_SEC_SC_AUTH ||
      !ami__sec_suite_ok(s, sc))
    return AMI_E_SECURITY_CONTROL;
  if (!s->has_peer_title)
    return AMI_E_NO_KEY;
  uint8_t tag[AMI_SEC_TAG_LEN];
  memcpy(tag, ami_rd_ptr(&r), AMI_SEC_TAG_LEN);
  return gmac(s, false, s->peer_title, sc, ic, challenge, tag);
}

/* Green Book: the challenges CtoS and StoC are random strings of 8 to 64
 * octets. */
int ami_sec_challenge(const ami_crypto *crypto, uint8_t *buf, size_t len) {
  int rc = ami_crypto_check(crypto);
  if (rc != AMI_OK)
    return rc;
  if (buf == NULL)
    return AMI_E_INVAL;
  if (len < AMI_SEC_CHALLENGE_MIN || len > AMI_SEC_CHALLENGE_MAX)
    return AMI_E_RANGE;
  return crypto->random(crypto->user_data, buf, len);
}

static bool key_len_ok(size_t n) {
  return n == 16 || n == 32;
}

/* Security Setup key_transfer carries keys wrapped with the master key
 * (KEK) per RFC 3394. */
int ami_sec_key_wrap(const ami_crypto *crypto, ami_span kek, ami_span key,
                     uint8_t *out, size_t cap, size_t *out_len) {
  int rc = ami_crypto_check(crypto);
  if (rc != AMI_OK)
    return rc;
  if (out == NULL || out_len == NULL || kek.p == NULL || key.p == NULL ||
      !key_len_ok(kek.len) || !key_len_ok(key.len))
    return AMI_E_INVAL;
  size_t n = key.len + AMI_CRYPTO_WRAP_OVERHEAD;
  if (cap < n)
    return AMI_E_BUFFER_FULL;
  rc = crypto->key_wrap(crypto->user_data, kek.p, kek.len, key.p, key.len, out);
  if (rc != AMI_OK)
    return rc;
  *out_len = n;
  return AMI_OK;
}

int ami_sec_key_unwrap(const ami_crypto *crypto, ami_span kek, ami_span wrapped,
                       uint8_t *out, size_t cap, size_t *out_len) {
  int rc = ami_crypto_check(crypto);
  if (rc != AMI_OK)
    return rc;
  if (out == NULL || out_len == NULL || kek.p == NULL ||
      (wrapped.len > 0 && wrapped.p == NULL) || !key_len_ok(kek.len))
    return AMI_E_INVAL;
  if (wrapped.len != 16 + AMI_CRYPTO_WRAP_OVERHEAD &&
      wrapped.len != 32 + AMI_CRYPTO_WRAP_OVERHEAD)
    return AMI_E_BAD_LENGTH;
  size_t n = wrapped.len - AMI_CRYPTO_WRAP_OVERHEAD;
  if (cap < n)
    return AMI_E_BUFFER_FULL;
  rc = crypto->key_unwrap(crypto->user_data, kek.p, kek.len, wrapped.p,
                          wrapped.len, out);
  if (rc != AMI_OK) {
    ami__sec_wipe(out, n);
    return rc;
  }
  *out_len = n;
  return AMI_OK;
}
