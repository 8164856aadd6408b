/*
 * ami_test_crypto.h -- a test double of the crypto plugin: it forwards to a
 * real plugin (normally the OpenSSL one), counts calls, fails a chosen call
 * with a chosen error (fault injection at the crypto seam), and replaces the
 * random source with a deterministic generator so that tests that draw
 * challenges are repeatable. TEST ONLY: its "random" bytes are predictable.
 */
#ifndef AMI_TEST_CRYPTO_H
#define AMI_TEST_CRYPTO_H

#include <stdint.h>

#include "ami/ami_crypto.h"

typedef struct ami_test_crypto {
  ami_crypto base;         /* give &base to the library; user_data = this */
  const ami_crypto *inner; /* borrows the plugin calls are forwarded to */
  long calls;              /* calls so far (every function but key_free) */
  long fail_at;            /* index of the call to fail (from 0); -1 never */
  int fail_rc;             /* what the failed call returns */
  uint64_t rng;            /* state of the deterministic random source */
} ami_test_crypto;

/* Wrap `inner` (borrowed); nothing fails until fail_at is set. */
void ami_test_crypto_init(ami_test_crypto *tc, const ami_crypto *inner,
                          uint64_t seed);

#endif /* AMI_TEST_CRYPTO_H */
