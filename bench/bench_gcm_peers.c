/*
 * bench_gcm_peers.c -- AES-128-GCM through two other libraries Debian ships,
 * measured in the same process as ours: mbedTLS 2.28 and libgcrypt. Both are
 * driven the way a DLMS stack would be: key expanded once, then per APDU a
 * fresh 12-byte IV, the 17-byte AAD (SC || AK) and a 12-byte tag.
 */
#include <gcrypt.h>
#include <mbedtls/gcm.h>
#include <string.h>

#include "bench_gcm_peers.h"

struct peer_mbedtls {
  mbedtls_gcm_context ctx;
};

int peer_mbedtls_init(struct peer_mbedtls **out, const uint8_t key[16]) {
  static struct peer_mbedtls p;
  mbedtls_gcm_init(&p.ctx);
  if (mbedtls_gcm_setkey(&p.ctx, MBEDTLS_CIPHER_ID_AES, key, 128) != 0)
    return -1;
  *out = &p;
  return 0;
}

int peer_mbedtls_seal(struct peer_mbedtls *p, const uint8_t iv[12],
                      const uint8_t *aad, size_t aadlen, const uint8_t *in,
                      size_t n, uint8_t *out, uint8_t tag[12]) {
  return mbedtls_gcm_crypt_and_tag(&p->ctx, MBEDTLS_GCM_ENCRYPT, n, iv, 12, aad,
                                   aadlen, in, out, 12, tag);
}

int peer_mbedtls_open(struct peer_mbedtls *p, const uint8_t iv[12],
                      const uint8_t *aad, size_t aadlen, const uint8_t *in,
                      size_t n, uint8_t *out, const uint8_t tag[12]) {
  return mbedtls_gcm_auth_decrypt(&p->ctx, n, iv, 12, aad, aadlen, tag, 12, in,
                                  out);
}

struct peer_gcrypt {
  gcry_cipher_hd_t h;
};

int peer_gcrypt_init(struct peer_gcrypt **out, const uint8_t key[16]) {
  static struct peer_gcrypt p;
  if (!gcry_check_version(NULL))
    return -1;
  gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
  if (gcry_cipher_open(&p.h, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_GCM, 0) ||
      gcry_cipher_setkey(p.h, key, 16))
    return -1;
  *out = &p;
  return 0;
}

int peer_gcrypt_seal(struct peer_gcrypt *p, const uint8_t iv[12],
                     const uint8_t *aad, size_t aadlen, const uint8_t *in,
                     size_t n, uint8_t *out, uint8_t tag[12]) {
  if (gcry_cipher_setiv(p->h, iv, 12) ||
      gcry_cipher_authenticate(p->h, aad, aadlen) || gcry_cipher_final(p->h) ||
      gcry_cipher_encrypt(p->h, out, n, in, n) ||
      gcry_cipher_gettag(p->h, tag, 12))
    return -1;
  return 0;
}

int peer_gcrypt_open(struct peer_gcrypt *p, const uint8_t iv[12],
                     const uint8_t *aad, size_t aadlen, const uint8_t *in,
                     size_t n, uint8_t *out, const uint8_t tag[12]) {
  if (gcry_cipher_setiv(p->h, iv, 12) ||
      gcry_cipher_authenticate(p->h, aad, aadlen) || gcry_cipher_final(p->h) ||
      gcry_cipher_decrypt(p->h, out, n, in, n) ||
      gcry_cipher_checktag(p->h, tag, 12))
    return -1;
  return 0;
}
