/*
 * ami_crypto.h -- the crypto plugin interface.
 *
 * The sans-I/O library (lib/) never links a crypto library. Everything that
 * needs a cipher, a hash or random bytes calls through an `ami_crypto` struct
 * of function pointers that the application injects: the production plugin
 * wraps OpenSSL (ami_crypto_openssl.h), tests may wrap that one to count
 * calls, inject faults or make the random source deterministic. This is the
 * open62541 plugin idea: a small versioned struct plus `user_data`.
 *
 * What DLMS needs (DLMS UA 1000-2 "Green Book", security suites 0..2):
 *   - AES-GCM with 128- or 256-bit keys, 96-bit IVs and truncated tags
 *     (DLMS uses 12-byte tags). Keys are turned into a KEY HANDLE once; the
 *     handle keeps the expanded key schedule and cipher contexts, so each
 *     message costs only an IV set-up, not a key expansion. That is what
 *     makes GCM run at memory speed.
 *   - "GCM without tag" for encryption-only ciphering: the GCM keystream is
 *     AES-CTR started at counter block IV || 00000002 (NIST SP 800-38D §7.1),
 *     the same operation in both directions.
 *   - AES key wrap (RFC 3394) for the Security Setup key_transfer method.
 *   - Random bytes from the operating system's CSPRNG (challenges).
 *   - SHA-256 (HLS mechanism 7, later suites).
 *   - ECDSA P-256 with SHA-256 digests (interface version 2): verifying the
 *     signature of a firmware image (lib/meter, Image Transfer) and, for
 *     tools and tests, signing. Keys are raw bytes and signatures raw
 *     r || s, fixed length (as DLMS security suites 1 and 2 carry them),
 *     never DER.
 *
 * Lifecycle rules (every plugin must honour them; callers may rely on them):
 *   1. An `ami_crypto` struct is immutable once handed to the library and must
 *      outlive every object that borrows it and every key handle made with it.
 *      Its functions may be called concurrently from several threads, with
 *      one exception: a key handle carries cipher state, so one handle is used
 *      by one thread at a time (give each session its own, or lock).
 *   2. `key_new` returns an owned handle; release it with `key_free` of the
 *      same plugin. `key_free(NULL)` is a no-op. `key_free` wipes the key
 *      material it holds. The plugin keeps no pointer to the `key` bytes.
 *   3. No function keeps any pointer argument after it returns; inputs are
 *      borrowed for the duration of the call only.
 *   4. Every function is passed the struct's `user_data` as its first
 *      argument. The library never interprets it.
 *   5. Outputs may coincide exactly with inputs (in == out, in-place), but may
 *      not partially overlap them.
 *   6. Errors are negative ami_err codes and nothing else:
 *        AMI_E_INVAL        a length or algorithm the function does not accept
 *        AMI_E_NOMEM        allocation failed (key_new)
 *        AMI_E_CRYPTO       any other backend failure
 *        AMI_E_AUTH_FAILED  gcm_open: the tag does not verify. The plaintext
 *                           buffer is then wiped (zeroed): unauthenticated
 *                           plaintext is never released.
 *        AMI_E_KEY_UNWRAP   key_unwrap: the integrity check failed
 *        AMI_E_RANDOM       random: the OS random source failed
 *        AMI_E_AUTH_FAILED  ecdsa_p256_verify: the signature does not verify
 *                           (also for a malformed signature: r or s zero
 *                           or not below the group order)
 *      On any error the output buffers' contents are unspecified unless said
 *      otherwise above, and no state of a key handle changes in a way that
 *      would affect later calls.
 */
#ifndef AMI_CRYPTO_H
#define AMI_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "ami/ami_buf.h"
#include "ami/ami_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The interface version this header describes. A plugin sets its struct's
 * `version` to the value it was written against; the library refuses a
 * struct whose version it does not know (AMI_E_UNSUPPORTED). Versions only
 * ever APPEND members at the end of the struct, so a struct of version n
 * has every member of versions 1..n and none after; a caller reads a member
 * of version n only after checking version >= n (ami_crypto_check_ecdsa
 * does that for version 2).
 *   1  AES key handles, GCM, CTR, key wrap, random, SHA-256
 *   2  + ecdsa_p256_verify, ecdsa_p256_sign */
#define AMI_CRYPTO_VERSION     2u
#define AMI_CRYPTO_VERSION_MIN 1u /* the oldest version still accepted */

#define AMI_CRYPTO_GCM_IV_LEN    12u /* GCM IV (nonce) length, the only one */
#define AMI_CRYPTO_GCM_TAG_MIN   12u /* shortest tag accepted (DLMS: 12) */
#define AMI_CRYPTO_GCM_TAG_MAX   16u
#define AMI_CRYPTO_SHA256_LEN    32u
#define AMI_CRYPTO_P256_PUB_LEN  65u /* SEC1 uncompressed: 04 || X || Y */
#define AMI_CRYPTO_P256_PRIV_LEN 32u /* the private scalar, big-endian */
#define AMI_CRYPTO_P256_SIG_LEN  64u /* r || s, each 32 bytes big-endian */
#define AMI_CRYPTO_WRAP_OVERHEAD                                               \
  8u /* RFC 3394: the wrapped key is 8 longer                                  \
      */

/* Key algorithms a handle can be made for. The key length must match. */
typedef enum ami_crypto_alg {
  AMI_CRYPTO_AES128 = 1, /* 16-byte key: suites 0 and 1 */
  AMI_CRYPTO_AES256 = 2  /* 32-byte key: suite 2 */
} ami_crypto_alg;

/* An opaque key handle; each plugin defines the struct privately. */
typedef struct ami_crypto_key ami_crypto_key;

typedef struct ami_crypto {
  /* AMI_CRYPTO_VERSION of the interface the plugin implements. */
  uint32_t version;
  /* Passed to every function below; owned by whoever built the struct. */
  void *user_data;

  /* Make a key handle for `alg` from `key_len` bytes at `key` (borrowed).
   * On success *out receives an owned handle. AMI_E_INVAL when key_len does
   * not fit alg, AMI_E_NOMEM, AMI_E_CRYPTO. */
  int (*key_new)(void *user_data, ami_crypto_alg alg, const uint8_t *key,
                 size_t key_len, ami_crypto_key **out);

  /* Release a handle from key_new (takes ownership); NULL is a no-op. */
  void (*key_free)(void *user_data, ami_crypto_key *key);

  /* AES-GCM authenticated encryption (NIST SP 800-38D). The additional
   * authenticated data is the concatenation of `aad_count` spans (a gather
   * list, so callers never copy SC || AK || text into one buffer). Encrypts
   * `len` bytes from `pt` into `ct` and writes a `tag_len`-byte tag
   * (AMI_CRYPTO_GCM_TAG_MIN..MAX) to `tag`. `len` may be 0 (GMAC). */
  int (*gcm_seal)(void *user_data, ami_crypto_key *key,
                  const uint8_t iv[AMI_CRYPTO_GCM_IV_LEN], const ami_span *aad,
                  size_t aad_count, const uint8_t *pt, size_t len, uint8_t *ct,
                  uint8_t *tag, size_t tag_len);

  /* AES-GCM authenticated decryption: the inverse of gcm_seal. Returns
   * AMI_E_AUTH_FAILED (and zeroes `pt`) when `tag` does not verify; the
   * comparison is constant-time. */
  int (*gcm_open)(void *user_data, ami_crypto_key *key,
                  const uint8_t iv[AMI_CRYPTO_GCM_IV_LEN], const ami_span *aad,
                  size_t aad_count, const uint8_t *ct, size_t len, uint8_t *pt,
                  const uint8_t *tag, size_t tag_len);

  /* The GCM keystream without authentication: AES-CTR over `len` bytes with
   * the initial counter block iv || 00000002, exactly the ciphertext gcm_seal
   * would produce. Used for DLMS encryption-only ciphering (no tag); the same
   * call encrypts and decrypts. */
  int (*gcm_ctr)(void *user_data, ami_crypto_key *key,
                 const uint8_t iv[AMI_CRYPTO_GCM_IV_LEN], const uint8_t *in,
                 size_t len, uint8_t *out);

  /* RFC 3394 AES key wrap with the default IV A6A6A6A6A6A6A6A6. `kek_len`
   * is 16 or 32; `len` is a multiple of 8, at least 16. Writes len + 8
   * bytes to `out`. */
  int (*key_wrap)(void *user_data, const uint8_t *kek, size_t kek_len,
                  const uint8_t *in, size_t len, uint8_t *out);

  /* RFC 3394 unwrap: `len` (a multiple of 8, at least 24) bytes in, len - 8
   * out. AMI_E_KEY_UNWRAP when the integrity check fails (out is zeroed). */
  int (*key_unwrap)(void *user_data, const uint8_t *kek, size_t kek_len,
                    const uint8_t *in, size_t len, uint8_t *out);

  /* Fill `buf` with `len` bytes from the operating system's CSPRNG (never a
   * seeded PRNG in production). AMI_E_RANDOM on failure. */
  int (*random)(void *user_data, uint8_t *buf, size_t len);

  /* SHA-256 of the concatenation of `count` spans, into `out`. */
  int (*sha256)(void *user_data, const ami_span *parts, size_t count,
                uint8_t out[AMI_CRYPTO_SHA256_LEN]);

  /* ---- version 2 (read only when version >= 2) ---- */

  /* ECDSA verification on NIST P-256 (FIPS 186-4 §6.4.2) of a 32-byte
   * digest (the caller hashes; SHA-256 for firmware images). `pubkey` is an
   * uncompressed SEC1 point (SEC 1 v2 §2.3.3: 04 || X || Y, 65 bytes), `sig`
   * is r || s (64 bytes). AMI_OK when valid; AMI_E_AUTH_FAILED when not
   * (including r or s out of range); AMI_E_INVAL for a key that is not a
   * point on the curve; AMI_E_NOMEM, AMI_E_CRYPTO. May be NULL in a plugin
   * without ECDSA (ami_crypto_check_ecdsa then says AMI_E_UNSUPPORTED). */
  int (*ecdsa_p256_verify)(void *user_data,
                           const uint8_t pubkey[AMI_CRYPTO_P256_PUB_LEN],
                           const uint8_t digest[AMI_CRYPTO_SHA256_LEN],
                           const uint8_t sig[AMI_CRYPTO_P256_SIG_LEN]);

  /* ECDSA signing on P-256 of a 32-byte digest with the private scalar
   * `privkey` (1 <= d < n, else AMI_E_INVAL); writes r || s to `sig_out`.
   * The nonce comes from the plugin's CSPRNG. For tools (ami fw-sign) and
   * tests; a meter never signs, so a meter's plugin may leave it NULL. */
  int (*ecdsa_p256_sign)(void *user_data,
                         const uint8_t privkey[AMI_CRYPTO_P256_PRIV_LEN],
                         const uint8_t digest[AMI_CRYPTO_SHA256_LEN],
                         uint8_t sig_out[AMI_CRYPTO_P256_SIG_LEN]);
} ami_crypto;

/* Check that `c` can be used: not NULL (AMI_E_INVAL), a known version with
 * every function present (AMI_E_UNSUPPORTED otherwise). */
static inline int ami_crypto_check(const ami_crypto *c) {
  if (c == NULL)
    return AMI_E_INVAL;
  if (c->version < AMI_CRYPTO_VERSION_MIN || c->version > AMI_CRYPTO_VERSION ||
      !c->key_new || !c->key_free || !c->gcm_seal || !c->gcm_open ||
      !c->gcm_ctr || !c->key_wrap || !c->key_unwrap || !c->random || !c->sha256)
    return AMI_E_UNSUPPORTED;
  return AMI_OK;
}

/* ami_crypto_check, and also ECDSA P-256 verification present (version 2
 * or later with ecdsa_p256_verify set); AMI_E_UNSUPPORTED otherwise.
 * Signing is optional: callers that sign test ecdsa_p256_sign themselves. */
static inline int ami_crypto_check_ecdsa(const ami_crypto *c) {
  int rc = ami_crypto_check(c);
  if (rc != AMI_OK)
    return rc;
  if (c->version < 2u || !c->ecdsa_p256_verify)
    return AMI_E_UNSUPPORTED;
  return AMI_OK;
}

#ifdef __cplusplus
}
#endif
#endif /* AMI_CRYPTO_H */
