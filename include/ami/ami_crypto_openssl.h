/*
 * ami_crypto_openssl.h -- the production crypto plugin, backed by OpenSSL 3.
 *
 * Only plugins/ includes OpenSSL; this header does not, so applications can
 * pick the plugin without seeing OpenSSL types.
 *
 * Implementation notes (see plugins/crypto/ami_crypto_openssl.c):
 *   - a key handle owns two AES-GCM EVP contexts (seal, open) and one AES-CTR
 *     context, each keyed once in key_new; a message only sets the IV, so
 *     the key schedule is never recomputed (AES-NI/PCLMUL paths run at
 *     several GB/s);
 *   - random bytes come from the operating system's CSPRNG, getrandom(2);
 *   - OpenSSL failures map to AMI_E_CRYPTO, tag mismatch to
 *     AMI_E_AUTH_FAILED, unwrap integrity failure to AMI_E_KEY_UNWRAP; the
 *     OpenSSL error queue is cleared on every failure path so it never leaks
 *     into an unrelated later call.
 */
#ifndef AMI_CRYPTO_OPENSSL_H
#define AMI_CRYPTO_OPENSSL_H

#include "ami/ami_crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The OpenSSL plugin. Returns a pointer to a const static struct (valid for
 * the life of the program) with user_data NULL. Thread-safe per the rules in
 * ami_crypto.h. */
const ami_crypto *ami_crypto_openssl(void);

#ifdef __cplusplus
}
#endif
#endif /* AMI_CRYPTO_OPENSSL_H */
