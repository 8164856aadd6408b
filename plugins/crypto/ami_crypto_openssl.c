/*
 * ami_crypto_openssl.c -- the OpenSSL 3 implementation of the crypto plugin
 * interface (include/ami/ami_crypto.h).
 *
 * Speed comes from keying once: key_new builds the EVP contexts with the key
 * (the AES key schedule and the GHASH table are computed there), and every
 * message afterwards only re-initialises the contexts with a new IV
 * (EVP_CipherInit_ex with cipher and key NULL keeps the expanded key).
 * Creating a context and keying it per message would cost far more than
 * encrypting a DLMS APDU.
 *
 * Every failure path clears the OpenSSL error queue (so a stale error never
 * surfaces in an unrelated call) and wipes outputs that could hold secrets.
 */
#include "ami/ami_crypto_openssl.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/random.h>
#include <sys/types.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

/* A key handle: three contexts keyed once with the same AES key. */
struct ami_crypto_key {
  EVP_CIPHER_CTX *seal; /* AES-GCM, encrypt direction */
  EVP_CIPHER_CTX *open; /* AES-GCM, decrypt direction */
  EVP_CIPHER_CTX *ctr;  /* AES-CTR: GCM without the tag */
};

/* EVP lengths are ints: feed longer inputs in chunks of this many bytes (a
 * multiple of the AES block so CTR/GCM never carry a partial block between
 * chunks, although both would cope). */
#define OSSL_CHUNK ((size_t)INT_MAX & ~(size_t)15)

/* Any OpenSSL failure that is not a verdict about the data. */
static int fail_crypto(void) {
  ERR_clear_error();
  return AMI_E_CRYPTO;
}

/* Run EVP_CipherUpdate over `len` bytes in int-sized chunks. `out` NULL feeds
 * additional authenticated data to a GCM context. Returns 1 on success. */
static int cipher_update(EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in,
                         size_t len) {
  while (len > 0) {
    size_t n = len < OSSL_CHUNK ? len : OSSL_CHUNK;
    int outl = 0;
    if (EVP_CipherUpdate(ctx, out, &outl, in, (int)n) != 1)
      return 0;
    if (out != NULL) {
      /* Stream modes: every input byte comes straight out again. */
      if ((size_t)outl != n)
        return 0;
      out += n;
    }
    in += n;
    len -= n;
  }
  return 1;
}

/* Feed a gather list of AAD spans into a GCM context. */
static int feed_aad(EVP_CIPHER_CTX *ctx, const ami_span *aad, size_t count) {
  for (size_t i = 0; i < count; i++)
    if (aad[i].len > 0 && !cipher_update(ctx, NULL, aad[i].p, aad[i].len))
      return 0;
  return 1;
}

static int tag_len_ok(size_t tag_len) {
  return tag_len >= AMI_CRYPTO_GCM_TAG_MIN && tag_len <= AMI_CRYPTO_GCM_TAG_MAX;
}

/* Key the three contexts of a handle. Returns 1 on success. */
static int key_contexts(struct ami_crypto_key *k, ami_crypto_alg alg,
                        const uint8_t *key) {
  const EVP_CIPHER *gcm =
      alg == AMI_CRYPTO_AES128 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
  const EVP_CIPHER *ctr =
      alg == AMI_CRYPTO_AES128 ? EVP_aes_128_ctr() : EVP_aes_256_ctr();
  if (EVP_EncryptInit_ex(k->seal, gcm, NULL, key, NULL) != 1 ||
      EVP_DecryptInit_ex(k->open, gcm, NULL, key, NULL) != 1 ||
      EVP_EncryptInit_ex(k->ctr, ctr, NULL, key, NULL) != 1)
    return 0;
  /* DLMS IVs are 12 bytes, GCM's default; say so explicitly anyway. */
  if (EVP_CIPHER_CTX_ctrl(k->seal, EVP_CTRL_GCM_SET_IVLEN,
                          (int)AMI_CRYPTO_GCM_IV_LEN, NULL) != 1 ||
      EVP_CIPHER_CTX_ctrl(k->open, EVP_CTRL_GCM_SET_IVLEN,
                          (int)AMI_CRYPTO_GCM_IV_LEN, NULL) != 1)
    return 0;
  return 1;
}

static void ossl_key_free(void *user_data, ami_crypto_key *k) {
  (void)user_data;
  if (k == NULL)
    return;
  /* EVP_CIPHER_CTX_free cleanses the key schedule it holds. */
  EVP_CIPHER_CTX_free(k->seal);
  EVP_CIPHER_CTX_free(k->open);
  EVP_CIPHER_CTX_free(k->ctr);
  OPENSSL_clear_free(k, sizeof *k);
}

static int ossl_key_new(void *user_data, ami_crypto_alg alg, const uint8_t *key,
                        size_t key_len, ami_crypto_key **out) {
  if (out == NULL || key == NULL)
    return AMI_E_INVAL;
  *out = NULL;
  if (!((alg == AMI_CRYPTO_AES128 && key_len == 16) ||
        (alg == AMI_CRYPTO_AES256 && key_len == 32)))
    return AMI_E_INVAL;
  struct ami_crypto_key *k = OPENSSL_zalloc(sizeof *k);
  if (k == NULL) {
    ERR_clear_error();
    return AMI_E_NOMEM;
  }
  k->seal = EVP_CIPHER_CTX_new();
  k->open = EVP_CIPHER_CTX_new();
  k->ctr = EVP_CIPHER_CTX_new();
  if (k->seal == NULL || k->open == NULL || k->ctr == NULL) {
    ossl_key_free(user_data, k);
    ERR_clear_error();
    return AMI_E_NOMEM;
  }
  if (!key_contexts(k, alg, key)) {
    ossl_key_free(user_data, k);
    return fail_crypto();
  }
  *out = k;
  return AMI_OK;
}

/* NIST SP 800-38D §7.1: GCM-AE. */
static int ossl_gcm_seal(void *user_data, ami_crypto_key *k,
                         const uint8_t iv[AMI_CRYPTO_GCM_IV_LEN],
                         const ami_span *aad, size_t aad_count,
                         const uint8_t *pt, size_t len, uint8_t *ct,
                         uint8_t *tag, size_t tag_len) {
  (void)user_data;
  if (k == NULL || iv == NULL || tag == NULL || !tag_len_ok(tag_len) ||
      (aad_count > 0 && aad == NULL) || (len > 0 && (pt == NULL || ct == NULL)))
    return AMI_E_INVAL;
  EVP_CIPHER_CTX *c = k->seal;
  uint8_t fin[16]; /* stream modes emit nothing at the end; never NULL */
  int outl = 0;
  if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) != 1 ||
      !feed_aad(c, aad, aad_count) || !cipher_update(c, ct, pt, len) ||
      EVP_EncryptFinal_ex(c, fin, &outl) != 1 || outl != 0 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, (int)tag_len, tag) != 1) {
    if (len > 0)
      OPENSSL_cleanse(ct, len);
    return fail_crypto();
  }
  return AMI_OK;
}

/* NIST SP 800-38D §7.2: GCM-AD. The final step compares the tag in
 * constant time; its failure is the verdict "not authentic". */
static int ossl_gcm_open(void *user_data, ami_crypto_key *k,
                         const uint8_t iv[AMI_CRYPTO_GCM_IV_LEN],
                         const ami_span *aad, size_t aad_count,
                         const uint8_t *ct, size_t len, uint8_t *pt,
                         const uint8_t *tag, size_t tag_len) {
  (void)user_data;
  if (k == NULL || iv == NULL || tag == NULL || !tag_len_ok(tag_len) ||
      (aad_count > 0 && aad == NULL) || (len > 0 && (pt == NULL || ct == NULL)))
    return AMI_E_INVAL;
  EVP_CIPHER_CTX *c = k->open;
  uint8_t tagbuf[AMI_CRYPTO_GCM_TAG_MAX];
  uint8_t fin[16]; /* stream modes emit nothing at the end; never NULL */
  memcpy(tagbuf, tag, tag_len); /* the ctrl wants a non-const pointer */
  int outl = 0;
  if (EVP_DecryptInit_ex(c, NULL, NULL, NULL, iv) != 1 ||
      !feed_aad(c, aad, aad_count) || !cipher_update(c, pt, ct, len) ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, (int)tag_len, tagbuf) != 1) {
    if (len > 0)
      OPENSSL_cleanse(pt, len);
    return fail_crypto();
  }
  if (EVP_DecryptFinal_ex(c, fin, &outl) != 1 || outl != 0) {
    if (len > 0)
      OPENSSL_cleanse(pt, len);
    ERR_clear_error();
    return AMI_E_AUTH_FAILED;
  }
  return AMI_OK;
}

/* GCM's encryption half alone: GCTR starting at inc32(J0), where J0 =
 * IV || 00000001 for a 96-bit IV (SP 800-38D §7.1 steps 2 and 3), i.e. AES-CTR
 * from the counter block IV || 00000002. */
static int ossl_gcm_ctr(void *user_data, ami_crypto_key *k,
                        const uint8_t iv[AMI_CRYPTO_GCM_IV_LEN],
                        const uint8_t *in, size_t len, uint8_t *out) {
  (void)user_data;
  if (k == NULL || iv == NULL || (len > 0 && (in == NULL || out == NULL)))
    return AMI_E_INVAL;
  uint8_t block[16];
  memcpy(block, iv, AMI_CRYPTO_GCM_IV_LEN);
  block[12] = 0;
  block[13] = 0;
  block[14] = 0;
  block[15] = 2;
  uint8_t fin[16];
  int outl = 0;
  if (EVP_EncryptInit_ex(k->ctr, NULL, NULL, NULL, block) != 1 ||
      !cipher_update(k->ctr, out, in, len) ||
      EVP_EncryptFinal_ex(k->ctr, fin, &outl) != 1 || outl != 0) {
    if (len > 0)
      OPENSSL_cleanse(out, len);
    return fail_crypto();
  }
  return AMI_OK;
}

/* RFC 3394 wrap (enc = 1) or unwrap (enc = 0) through OpenSSL's
 * id-aes*-wrap ciphers, which use the default IV A6A6A6A6A6A6A6A6 when
 * none is given. Key wrap is rare (key transfer), so the context is made per
 * call. */
static int wrap_common(int enc, const uint8_t *kek, size_t kek_len,
                       const uint8_t *in, size_t len, uint8_t *out) {
  const EVP_CIPHER *cipher;
  if (kek == NULL || (len > 0 && (in == NULL || out == NULL)))
    return AMI_E_INVAL;
  if (kek_len == 16)
    cipher = EVP_aes_128_wrap();
  else if (kek_len == 32)
    cipher = EVP_aes_256_wrap();
  else
    return AMI_E_INVAL;
  /* RFC 3394 §2: at least two 64-bit blocks of key data. */
  if (len % 8 != 0 || len < (enc ? 16u : 24u) || len > OSSL_CHUNK - 8)
    return AMI_E_INVAL;
  size_t want = enc ? len + 8 : len - 8;

  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  if (c == NULL) {
    ERR_clear_error();
    return AMI_E_NOMEM;
  }
  /* Needed by OpenSSL before 3.0; harmless since. */
  EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  uint8_t fin[16]; /* the wrap ciphers emit nothing at the end */
  int rc = AMI_OK, outl = 0, finl = 0;
  if (EVP_CipherInit_ex(c, cipher, NULL, kek, NULL, enc) != 1) {
    rc = fail_crypto();
  } else if (EVP_CipherUpdate(c, out, &outl, in, (int)len) != 1 ||
             (size_t)outl != want || EVP_CipherFinal_ex(c, fin, &finl) != 1 ||
             finl != 0) {
    /* For unwrap, a failing update is the integrity check speaking. */
    ERR_clear_error();
    rc = enc ? AMI_E_CRYPTO : AMI_E_KEY_UNWRAP;
  }
  if (rc != AMI_OK)
    OPENSSL_cleanse(out, want);
  EVP_CIPHER_CTX_free(c);
  return rc;
}

static int ossl_key_wrap(void *user_data, const uint8_t *kek, size_t kek_len,
                         const uint8_t *in, size_t len, uint8_t *out) {
  (void)user_data;
  return wrap_common(1, kek, kek_len, in, len, out);
}

static int ossl_key_unwrap(void *user_data, const uint8_t *kek, size_t kek_len,
                           const uint8_t *in, size_t len, uint8_t *out) {
  (void)user_data;
  return wrap_common(0, kek, kek_len, in, len, out);
}

/* Challenges and keys come straight from the operating system's CSPRNG,
 * getrandom(2) (the kernel's ChaCha20 generator, blocking only until it was
 * first seeded at boot), never from a user-space generator. Interrupted or
 * partial reads are resumed; any other failure is AMI_E_RANDOM. */
static int ossl_random(void *user_data, uint8_t *buf, size_t len) {
  (void)user_data;
  if (len > 0 && buf == NULL)
    return AMI_E_INVAL;
  while (len > 0) {
    ssize_t n = getrandom(buf, len, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return AMI_E_RANDOM;
    }
    buf += n;
    len -= (size_t)n;
  }
  return AMI_OK;
}

static int ossl_sha256(void *user_data, const ami_span *parts, size_t count,
                       uint8_t out[AMI_CRYPTO_SHA256_LEN]) {
  (void)user_data;
  if (out == NULL || (count > 0 && parts == NULL))
    return AMI_E_INVAL;
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  if (md == NULL) {
    ERR_clear_error();
    return AMI_E_NOMEM;
  }
  int ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
  for (size_t i = 0; ok && i < count; i++)
    if (parts[i].len > 0)
      ok = EVP_DigestUpdate(md, parts[i].p, parts[i].len) == 1;
  unsigned int outl = 0;
  if (ok)
    ok = EVP_DigestFinal_ex(md, out, &outl) == 1 &&
         outl == AMI_CRYPTO_SHA256_LEN;
  EVP_MD_CTX_free(md);
  return ok ? AMI_OK : fail_crypto();
}

/* ---- ECDSA P-256 (interface version 2) ------------------------------------
 */

/* An EVP_PKEY on P-256 from raw key material through the OpenSSL 3 provider
 * interface (OSSL_PARAM_BLD + EVP_PKEY_fromdata, no deprecated EC_KEY):
 * `pub` an uncompressed SEC1 point, or `priv` a 32-byte scalar. Returns the
 * owned key, or NULL with *rc set (AMI_E_INVAL: not a point on the curve /
 * scalar out of range; AMI_E_NOMEM; AMI_E_CRYPTO). */
static EVP_PKEY *p256_key(const uint8_t *pub, const uint8_t *priv, int *rc) {
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM *params = NULL;
  EVP_PKEY_CTX *ctx = NULL;
  EVP_PKEY *key = NULL;
  BIGNUM *d = NULL;
  *rc = AMI_E_NOMEM;
  if (bld == NULL)
    goto out;
  if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                      "prime256v1", 0) != 1)
    goto out;
  if (pub != NULL &&
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
                                       AMI_CRYPTO_P256_PUB_LEN) != 1)
    goto out;
  if (priv != NULL) {
    d = BN_secure_new();
    if (d == NULL || BN_bin2bn(priv, (int)AMI_CRYPTO_P256_PRIV_LEN, d) == NULL)
      goto out;
    if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1)
      goto out;
  }
  params = OSSL_PARAM_BLD_to_param(bld);
  ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
  if (params == NULL || ctx == NULL)
    goto out;
  *rc = AMI_E_CRYPTO;
  if (EVP_PKEY_fromdata_init(ctx) != 1)
    goto out;
  /* A point not on the curve, or a scalar that does not fit, is refused
   * here: the caller's key, not the backend, is at fault. */
  *rc = AMI_E_INVAL;
  if (EVP_PKEY_fromdata(ctx, &key,
                        priv != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params) != 1)
    key = NULL;
out:
  if (key != NULL)
    *rc = AMI_OK;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_clear_free(d);
  ERR_clear_error();
  return key;
}

/* A private scalar must satisfy 1 <= d < n (FIPS 186-4 §B.4); OpenSSL 3.0
 * imports some out-of-range scalars without complaint, so check here. The
 * group order n of P-256 (SEC 2 v2 §2.4.2). */
static bool p256_scalar_ok(const uint8_t d[AMI_CRYPTO_P256_PRIV_LEN]) {
  static const uint8_t n[32] = {0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00,
                                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84,
                                0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};
  uint8_t any = 0;
  for (size_t i = 0; i < 32; i++)
    any |= d[i];
  return any != 0 && memcmp(d, n, 32) < 0;
}

/* FIPS 186-4 §6.4.2 through EVP_PKEY_verify over the digest. The raw
 * r || s is turned into the DER ECDSA-Sig-Value OpenSSL expects. */
static int ossl_ecdsa_p256_verify(void *user_data,
                                  const uint8_t pubkey[AMI_CRYPTO_P256_PUB_LEN],
                                  const uint8_t digest[AMI_CRYPTO_SHA256_LEN],
                                  const uint8_t sig[AMI_CRYPTO_P256_SIG_LEN]) {
  (void)user_data;
  if (pubkey == NULL || digest == NULL || sig == NULL)
    return AMI_E_INVAL;
  if (pubkey[0] != 0x04) /* only the uncompressed form is accepted */
    return AMI_E_INVAL;
  int rc;
  EVP_PKEY *key = p256_key(pubkey, NULL, &rc);
  if (key == NULL)
    return rc;
  ECDSA_SIG *es = ECDSA_SIG_new();
  BIGNUM *r = BN_bin2bn(sig, 32, NULL);
  BIGNUM *s = BN_bin2bn(sig + 32, 32, NULL);
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
  unsigned char *der = NULL;
  int der_len = -1;
  rc = AMI_E_NOMEM;
  if (es == NULL || r == NULL || s == NULL || ctx == NULL)
    goto out;
  if (ECDSA_SIG_set0(es, r, s) != 1)
    goto out;
  r = s = NULL; /* owned by es now */
  der_len = i2d_ECDSA_SIG(es, &der);
  if (der_len <= 0)
    goto out;
  rc = AMI_E_CRYPTO;
  if (EVP_PKEY_verify_init(ctx) != 1)
    goto out;
  /* 1 valid, 0 invalid; a negative value is an error of the call, which
   * with well-formed arguments means the signature could not be parsed or
   * was out of range: a verdict about the data too. */
  rc = EVP_PKEY_verify(ctx, der, (size_t)der_len, digest,
                       AMI_CRYPTO_SHA256_LEN) == 1
           ? AMI_OK
           : AMI_E_AUTH_FAILED;
out:
  OPENSSL_free(der);
  EVP_PKEY_CTX_free(ctx);
  ECDSA_SIG_free(es);
  BN_free(r);
  BN_free(s);
  EVP_PKEY_free(key);
  ERR_clear_error();
  return rc;
}

/* FIPS 186-4 §6.4.1 through EVP_PKEY_sign (random nonce from OpenSSL's
 * DRBG, seeded from the OS); the DER result is split back into r || s. */
static int ossl_ecdsa_p256_sign(void *user_data,
                                const uint8_t privkey[AMI_CRYPTO_P256_PRIV_LEN],
                                const uint8_t digest[AMI_CRYPTO_SHA256_LEN],
                                uint8_t sig_out[AMI_CRYPTO_P256_SIG_LEN]) {
  (void)user_data;
  if (privkey == NULL || digest == NULL || sig_out == NULL ||
      !p256_scalar_ok(privkey))
    return AMI_E_INVAL;
  int rc;
  EVP_PKEY *key = p256_key(NULL, privkey, &rc);
  if (key == NULL)
    return rc;
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
  unsigned char der[80]; /* DER of two 33-byte INTEGERs is at most 72 */
  size_t der_len = sizeof der;
  ECDSA_SIG *es = NULL;
  rc = AMI_E_NOMEM;
  if (ctx == NULL)
    goto out;
  rc = AMI_E_CRYPTO;
  if (EVP_PKEY_sign_init(ctx) != 1 ||
      EVP_PKEY_sign(ctx, der, &der_len, digest, AMI_CRYPTO_SHA256_LEN) != 1)
    goto out;
  const unsigned char *p = der;
  es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
  if (es == NULL)
    goto out;
  if (BN_bn2binpad(ECDSA_SIG_get0_r(es), sig_out, 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(es), sig_out + 32, 32) != 32)
    goto out;
  rc = AMI_OK;
out:
  if (rc != AMI_OK)
    OPENSSL_cleanse(sig_out, AMI_CRYPTO_P256_SIG_LEN);
  ECDSA_SIG_free(es);
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(key);
  ERR_clear_error();
  return rc;
}

static const ami_crypto ossl_plugin = {
    .version = AMI_CRYPTO_VERSION,
    .user_data = NULL,
    .key_new = ossl_key_new,
    .key_free = ossl_key_free,
    .gcm_seal = ossl_gcm_seal,
    .gcm_open = ossl_gcm_open,
    .gcm_ctr = ossl_gcm_ctr,
    .key_wrap = ossl_key_wrap,
    .key_unwrap = ossl_key_unwrap,
    .random = ossl_random,
    .sha256 = ossl_sha256,
    .ecdsa_p256_verify = ossl_ecdsa_p256_verify,
    .ecdsa_p256_sign = ossl_ecdsa_p256_sign,
};

const ami_crypto *ami_crypto_openssl(void) {
  return &ossl_plugin;
}
