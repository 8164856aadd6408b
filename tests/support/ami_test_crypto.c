/*
 * ami_test_crypto.c -- the counting, fault-injecting, deterministic-RNG
 * crypto plugin double (see ami_test_crypto.h).
 */
#include "ami_test_crypto.h"

#include <stdbool.h>
#include <stddef.h>

/* Count the call; returns the injected error if this is the one to fail. */
static int tick(ami_test_crypto *tc) {
  long i = tc->calls++;
  return i == tc->fail_at ? tc->fail_rc : AMI_OK;
}

static int tc_key_new(void *ud, ami_crypto_alg alg, const uint8_t *key,
                      size_t len, ami_crypto_key **out) {
  ami_test_crypto *tc = ud;
  int rc = tick(tc);
  if (rc != AMI_OK)
    return rc;
  return tc->inner->key_new(tc->inner->user_data, alg, key, len, out);
}

static void tc_key_free(void *ud, ami_crypto_key *key) {
  ami_test_crypto *tc = ud;
  tc->inner->key_free(tc->inner->user_data, key);
}

static int tc_gcm_seal(void *ud, ami_crypto_key *key, const uint8_t *iv,
                       const ami_span *aad, size_t naad, const uint8_t *pt,
                       size_t len, uint8_t *ct, uint8_t *tag, size_t tag_len) {
  ami_test_crypto *tc = ud;
  int rc = tick(tc);
  if (rc != AMI_OK)
    return rc;
  return tc->inner->gcm_seal(tc->inner->user_data, key, iv, aad, naad, pt, len,
                             ct, tag, tag_len);
}

static int tc_gcm_open(void *ud, ami_crypto_key *key, const uint8_t *iv,
                       const ami_span *aad, size_t naad, const uint8_t *ct,
                       size_t len, uint8_t *pt, const uint8_t *tag,
                       size_t tag_len) {
  ami_test_crypto *tc = ud;
  int rc = tick(tc);
  if (rc != AMI_OK)
    return rc;
  return tc->inner->gcm_open(tc->inner->user_data, key, iv, aad, naad, ct, len,
                             pt, tag, tag_len);
}

static int tc_gcm_ctr(void *ud, ami_crypto_key *key, const uint8_t *iv,
                      const uint8_t *in, size_t len, uint8_t *out) {
  ami_test_crypto *tc = ud;
  int rc = tick(tc);
  if (rc != AMI_OK)
    return rc;
  return tc->inner->gcm_ctr(tc->inner->user_data, key, iv, in, len, out);
}

static int tc_key_wrap(void *ud, const uint8_t *kek, size_t kek_len,
                       const uint8_t *in, size_t len, uint8_t *out) {
  ami_test_crypto *tc = ud;
  int rc = tick(tc);
  if (rc != AMI_OK)
    return rc;
  return tc->inner->key_wrap(tc->inner->user_data, kek, kek_len, in, len, out);
}

static int tc_key_unwrap(void *ud, const uint8_t *kek, size_t kek_len,
                         const uint8_t *in, size_t len, uint8_t *out) {
  ami_test_crypto *tc = ud;
  int rc = tick(tc);
  if (rc != AMI_OK)
    return rc;
  return tc->inner->key_unwrap(tc->inner->user_data, kek, kek_len, in, len,
                               out);
}

/* splitmix64: a fixed, seedable sequence -- exactly what production must
 * never use, and what a repeatable test wants. */
static int tc_random(void *ud, uint8_t *buf, size_t len) {
  ami_test_crypto *tc = ud;
  int rc = tick(tc);
  if (rc != AMI_OK)
    return rc;
  for (size_t i = 0; i < len; i++) {
    if (i % 8 == 0)
      tc->rng += 0x9E3779B97F4A7C15ull;
    uint64_t z = tc->rng;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    buf[i] = (uint8_t)(z >> (8 * (i % 8)));
  }
  return AMI_OK;
}

static int tc_sha256(void *ud, const ami_span *parts, size_t count,
                     uint8_t *out) {
  ami_test_crypto *tc = ud;
  int rc = tick(tc);
  if (rc != AMI_OK)
    return rc;
  return tc->inner->sha256(tc->inner->user_data, parts, count, out);
}

/* ECDSA is forwarded when the inner plugin has it (interface version 2);
 * otherwise the double has none either (NULL members, as the interface
 * allows), so callers see AMI_E_UNSUPPORTED from ami_crypto_check_ecdsa. */
static int tc_ecdsa_verify(void *ud, const uint8_t *pub, const uint8_t *digest,
                           const uint8_t *sig) {
  ami_test_crypto *tc = ud;
  int rc = tick(tc);
  if (rc != AMI_OK)
    return rc;
  return tc->inner->ecdsa_p256_verify(tc->inner->user_data, pub, digest, sig);
}

static int tc_ecdsa_sign(void *ud, const uint8_t *priv, const uint8_t *digest,
                         uint8_t *sig) {
  ami_test_crypto *tc = ud;
  int rc = tick(tc);
  if (rc != AMI_OK)
    return rc;
  return tc->inner->ecdsa_p256_sign(tc->inner->user_data, priv, digest, sig);
}

void ami_test_crypto_init(ami_test_crypto *tc, const ami_crypto *inner,
                          uint64_t seed) {
  tc->base.version = AMI_CRYPTO_VERSION;
  tc->base.user_data = tc;
  tc->base.key_new = tc_key_new;
  tc->base.key_free = tc_key_free;
  tc->base.gcm_seal = tc_gcm_seal;
  tc->base.gcm_open = tc_gcm_open;
  tc->base.gcm_ctr = tc_gcm_ctr;
  tc->base.key_wrap = tc_key_wrap;
  tc->base.key_unwrap = tc_key_unwrap;
  tc->base.random = tc_random;
  tc->base.sha256 = tc_sha256;
  bool v2 = inner != NULL && inner->version >= 2u;
  tc->base.ecdsa_p256_verify =
      v2 && inner->ecdsa_p256_verify ? tc_ecdsa_verify : NULL;
  tc->base.ecdsa_p256_sign =
      v2 && inner->ecdsa_p256_sign ? tc_ecdsa_sign : NULL;
  tc->inner = inner;
  tc->calls = 0;
  tc->fail_at = -1;
  tc->fail_rc = AMI_OK;
  tc->rng = seed;
}
