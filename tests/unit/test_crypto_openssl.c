/*
 * test_crypto_openssl.c -- plugins/crypto: the OpenSSL implementation of the
 * crypto plugin interface, against published known-answer vectors.
 *
 * Sources of the expected values (none produced by this project):
 *   - AES-GCM: the test cases of McGrew & Viega, "The Galois/Counter Mode of
 *     Operation (GCM)" (the vectors NIST SP 800-38D cites), cases 1, 2, 4
 *     (AES-128) and 13, 16 (AES-256);
 *   - AES key wrap: RFC 3394 §4.1 and §4.6;
 *   - SHA-256: FIPS 180-2 appendix B.1 ("abc") and the empty message;
 *   - ECDSA P-256: RFC 6979 appendix A.2.5 ("ECDSA, 256 Bits (Prime
 *     Field)"): the key pair x / (Ux, Uy) and the SHA-256 signatures of the
 *     messages "sample" and "test" (r, s). RFC 6979 signatures are ordinary
 *     ECDSA signatures, so any verifier must accept them.
 */
#include "ami_test.h"

#include <stdlib.h>
#include <string.h>

#include "ami/ami_crypto_openssl.h"

typedef struct gcm_case {
  const char *name, *key, *iv, *aad, *pt, *ct, *tag;
} gcm_case;

/* McGrew & Viega test cases (see the file comment). */
static const gcm_case gcm_cases[] = {
    {"TC1", "00000000000000000000000000000000", "000000000000000000000000", "",
     "", "", "58e2fccefa7e3061367f1d57a4e7455a"},
    {"TC2", "00000000000000000000000000000000", "000000000000000000000000", "",
     "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
     "ab6e47d42cec13bdf53a67b21257bddf"},
    {"TC4", "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
     "5bc94fbc3221a5db94fae95ae7121a47"},
    {"TC13", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "",
     "530f8afbc74536b9a963b4f1c4cb738b"},
    {"TC16", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

/* The decoded bytes of one case. */
typedef struct gcm_bytes {
  uint8_t *key, *iv, *aad, *pt, *ct, *tag;
  size_t key_len, iv_len, aad_len, pt_len, ct_len, tag_len;
} gcm_bytes;

static void gcm_load(const gcm_case *c, gcm_bytes *b) {
  b->key = ami_test_hex(c->key, &b->key_len);
  b->iv = ami_test_hex(c->iv, &b->iv_len);
  b->aad = ami_test_hex(c->aad, &b->aad_len);
  b->pt = ami_test_hex(c->pt, &b->pt_len);
  b->ct = ami_test_hex(c->ct, &b->ct_len);
  b->tag = ami_test_hex(c->tag, &b->tag_len);
  assert_int_equal(b->iv_len, 12);
  assert_int_equal(b->pt_len, b->ct_len);
}

static void gcm_unload(gcm_bytes *b) {
  free(b->key);
  free(b->iv);
  free(b->aad);
  free(b->pt);
  free(b->ct);
  free(b->tag);
}

static ami_crypto_key *new_key(const ami_crypto *c, const uint8_t *k,
                               size_t n) {
  ami_crypto_key *h = NULL;
  assert_ami_ok(c->key_new(
      c->user_data, n == 16 ? AMI_CRYPTO_AES128 : AMI_CRYPTO_AES256, k, n, &h));
  assert_non_null(h);
  return h;
}

static void test_plugin_shape(void **state) {
  (void)state;
  const ami_crypto *c = ami_crypto_openssl();
  assert_ptr_equal(c, ami_crypto_openssl()); /* one static struct */
  assert_int_equal(c->version, AMI_CRYPTO_VERSION);
  assert_null(c->user_data);
  assert_ami_ok(ami_crypto_check(c));
  assert_ami(AMI_E_INVAL, ami_crypto_check(NULL));
  ami_crypto copy = *c;
  copy.version = AMI_CRYPTO_VERSION + 1;
  assert_ami(AMI_E_UNSUPPORTED, ami_crypto_check(&copy));
  copy = *c;
  copy.sha256 = NULL;
  assert_ami(AMI_E_UNSUPPORTED, ami_crypto_check(&copy));
  /* Version 2 adds ECDSA; a version 1 struct is still accepted as such,
   * but has no ECDSA (its members past sha256 are never read). */
  assert_ami_ok(ami_crypto_check_ecdsa(c));
  copy = *c;
  copy.version = 1;
  assert_ami_ok(ami_crypto_check(&copy));
  assert_ami(AMI_E_UNSUPPORTED, ami_crypto_check_ecdsa(&copy));
  copy = *c;
  copy.ecdsa_p256_verify = NULL;
  assert_ami(AMI_E_UNSUPPORTED, ami_crypto_check_ecdsa(&copy));
  copy.version = 0;
  assert_ami(AMI_E_UNSUPPORTED, ami_crypto_check(&copy));
}

/* Every case: seal gives the published ciphertext and tag (full and
 * truncated to 12 bytes), open gives the plaintext back, and the same handle
 * keeps working across calls, including after a failed open. */
static void test_gcm_known_answers(void **state) {
  (void)state;
  const ami_crypto *c = ami_crypto_openssl();
  for (size_t i = 0; i < sizeof gcm_cases / sizeof gcm_cases[0]; i++) {
    gcm_bytes b;
    gcm_load(&gcm_cases[i], &b);
    ami_crypto_key *k = new_key(c, b.key, b.key_len);
    uint8_t out[128], tag[16], back[128];
    ami_span aad = ami_span_make(b.aad, b.aad_len);
    for (int round = 0; round < 3; round++) {
      memset(out, 0xEE, sizeof out);
      assert_ami_ok(
          c->gcm_seal(NULL, k, b.iv, &aad, 1, b.pt, b.pt_len, out, tag, 16));
      assert_memory_equal(out, b.ct, b.ct_len);
      assert_memory_equal(tag, b.tag, 16);
      /* DLMS tags: the first 12 bytes of the full tag. */
      uint8_t tag12[12];
      assert_ami_ok(
          c->gcm_seal(NULL, k, b.iv, &aad, 1, b.pt, b.pt_len, out, tag12, 12));
      assert_memory_equal(tag12, b.tag, 12);
      assert_ami_ok(
          c->gcm_open(NULL, k, b.iv, &aad, 1, b.ct, b.ct_len, back, b.tag, 16));
      assert_memory_equal(back, b.pt, b.pt_len);
      assert_ami_ok(
          c->gcm_open(NULL, k, b.iv, &aad, 1, b.ct, b.ct_len, back, tag12, 12));
      /* A flipped tag bit fails, and the plaintext is not released. */
      uint8_t bad[16];
      memcpy(bad, b.tag, 16);
      bad[15] ^= 0x01;
      memset(back, 0xAA, sizeof back);
      assert_ami(AMI_E_AUTH_FAILED, c->gcm_open(NULL, k, b.iv, &aad, 1, b.ct,
                                                b.ct_len, back, bad, 16));
      for (size_t j = 0; j < b.pt_len; j++)
        assert_int_equal(back[j], 0);
    }
    c->key_free(NULL, k);
    gcm_unload(&b);
  }
}

/* The AAD gather list is the concatenation of its spans, however split;
 * in-place operation works; tampering with ciphertext or AAD fails. */
static void test_gcm_gather_and_inplace(void **state) {
  (void)state;
  const ami_crypto *c = ami_crypto_openssl();
  gcm_bytes b;
  gcm_load(&gcm_cases[2], &b); /* TC4: has AAD and a partial last block */
  ami_crypto_key *k = new_key(c, b.key, b.key_len);
  uint8_t buf[64], tag[16];
  for (size_t cut = 0; cut <= b.aad_len; cut++) {
    ami_span parts[3] = {ami_span_make(b.aad, cut), ami_span_make(NULL, 0),
                         ami_span_make(b.aad + cut, b.aad_len - cut)};
    memcpy(buf, b.pt, b.pt_len);
    assert_ami_ok(
        c->gcm_seal(NULL, k, b.iv, parts, 3, buf, b.pt_len, buf, tag, 16));
    assert_memory_equal(buf, b.ct, b.ct_len);
    assert_memory_equal(tag, b.tag, 16);
    assert_ami_ok(
        c->gcm_open(NULL, k, b.iv, parts, 3, buf, b.ct_len, buf, tag, 16));
    assert_memory_equal(buf, b.pt, b.pt_len);
  }
  ami_span aad = ami_span_make(b.aad, b.aad_len);
  memcpy(buf, b.ct, b.ct_len);
  buf[7] ^= 0x80;
  assert_ami(AMI_E_AUTH_FAILED, c->gcm_open(NULL, k, b.iv, &aad, 1, buf,
                                            b.ct_len, buf, b.tag, 16));
  ami_span short_aad = ami_span_make(b.aad, b.aad_len - 1);
  assert_ami(AMI_E_AUTH_FAILED, c->gcm_open(NULL, k, b.iv, &short_aad, 1, b.ct,
                                            b.ct_len, buf, b.tag, 16));
  c->key_free(NULL, k);
  gcm_unload(&b);
}

/* GCM without its tag is AES-CTR from IV || 00000002: gcm_ctr must produce
 * exactly the published GCM ciphertext, and undo itself. */
static void test_gcm_ctr_is_gcm_keystream(void **state) {
  (void)state;
  const ami_crypto *c = ami_crypto_openssl();
  for (size_t i = 0; i < sizeof gcm_cases / sizeof gcm_cases[0]; i++) {
    gcm_bytes b;
    gcm_load(&gcm_cases[i], &b);
    ami_crypto_key *k = new_key(c, b.key, b.key_len);
    uint8_t out[128], back[128];
    assert_ami_ok(c->gcm_ctr(NULL, k, b.iv, b.pt, b.pt_len, out));
    assert_memory_equal(out, b.ct, b.ct_len);
    assert_ami_ok(c->gcm_ctr(NULL, k, b.iv, out, b.ct_len, back));
    assert_memory_equal(back, b.pt, b.pt_len);
    c->key_free(NULL, k);
    gcm_unload(&b);
  }
}

static void test_argument_errors(void **state) {
  (void)state;
  const ami_crypto *c = ami_crypto_openssl();
  uint8_t key[32] = {0}, iv[12] = {0}, tag[16] = {0}, buf[16] = {0};
  ami_crypto_key *k = (ami_crypto_key *)buf; /* reset to NULL on failure */
  assert_ami(AMI_E_INVAL, c->key_new(NULL, AMI_CRYPTO_AES128, key, 32, &k));
  assert_null(k);
  assert_ami(AMI_E_INVAL, c->key_new(NULL, AMI_CRYPTO_AES256, key, 16, &k));
  assert_ami(AMI_E_INVAL, c->key_new(NULL, (ami_crypto_alg)7, key, 16, &k));
  c->key_free(NULL, NULL); /* a no-op */
  k = new_key(c, key, 16);
  /* Tag lengths outside 12..16 are refused in both directions. */
  assert_ami(AMI_E_INVAL,
             c->gcm_seal(NULL, k, iv, NULL, 0, buf, 16, buf, tag, 11));
  assert_ami(AMI_E_INVAL,
             c->gcm_seal(NULL, k, iv, NULL, 0, buf, 16, buf, tag, 17));
  assert_ami(AMI_E_INVAL,
             c->gcm_open(NULL, k, iv, NULL, 0, buf, 16, buf, tag, 8));
  assert_ami(AMI_E_INVAL,
             c->gcm_seal(NULL, NULL, iv, NULL, 0, buf, 16, buf, tag, 12));
  c->key_free(NULL, k);
}

/* RFC 3394 §4.1 (128-bit KEK, 128-bit key) and §4.6 (256-bit KEK, 256-bit
 * key). */
static void test_key_wrap_rfc3394(void **state) {
  (void)state;
  const ami_crypto *c = ami_crypto_openssl();
  static const struct {
    const char *kek, *key, *wrapped;
  } cases[] = {
      {"000102030405060708090A0B0C0D0E0F", "00112233445566778899AABBCCDDEEFF",
       "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"},
      {"000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
       "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
       "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B"
       "9B7A02DD21"},
  };
  for (size_t i = 0; i < 2; i++) {
    size_t kek_len, key_len, w_len;
    uint8_t *kek = ami_test_hex(cases[i].kek, &kek_len);
    uint8_t *key = ami_test_hex(cases[i].key, &key_len);
    uint8_t *w = ami_test_hex(cases[i].wrapped, &w_len);
    uint8_t out[48], back[40];
    assert_ami_ok(c->key_wrap(NULL, kek, kek_len, key, key_len, out));
    ami_test_assert_bytes(out, key_len + 8, cases[i].wrapped);
    assert_ami_ok(c->key_unwrap(NULL, kek, kek_len, w, w_len, back));
    assert_memory_equal(back, key, key_len);
    /* Any flipped bit fails the integrity check and zeroes the output. */
    for (size_t bit = 0; bit < w_len * 8; bit += 13) {
      w[bit / 8] ^= (uint8_t)(1u << (bit % 8));
      memset(back, 0x55, sizeof back);
      assert_ami(AMI_E_KEY_UNWRAP,
                 c->key_unwrap(NULL, kek, kek_len, w, w_len, back));
      for (size_t j = 0; j < key_len; j++)
        assert_int_equal(back[j], 0);
      w[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    /* Lengths RFC 3394 does not allow. */
    assert_ami(AMI_E_INVAL, c->key_wrap(NULL, kek, kek_len, key, 12, out));
    assert_ami(AMI_E_INVAL, c->key_wrap(NULL, kek, kek_len, key, 8, out));
    assert_ami(AMI_E_INVAL, c->key_unwrap(NULL, kek, kek_len, w, 16, back));
    assert_ami(AMI_E_INVAL, c->key_wrap(NULL, kek, 24, key, key_len, out));
    free(kek);
    free(key);
    free(w);
  }
}

static void test_random(void **state) {
  (void)state;
  const ami_crypto *c = ami_crypto_openssl();
  uint8_t a[32], b[32], zero[32] = {0};
  assert_ami_ok(c->random(NULL, a, 0));
  assert_ami_ok(c->random(NULL, a, sizeof a));
  assert_ami_ok(c->random(NULL, b, sizeof b));
  /* 2^-256 chance of a false failure. */
  assert_memory_not_equal(a, b, sizeof a);
  assert_memory_not_equal(a, zero, sizeof a);
}

static void test_sha256(void **state) {
  (void)state;
  const ami_crypto *c = ami_crypto_openssl();
  uint8_t d[32];
  ami_span abc[3] = {ami_span_make("a", 1), ami_span_make(NULL, 0),
                     ami_span_make("bc", 2)};
  assert_ami_ok(c->sha256(NULL, abc, 3, d));
  ami_test_assert_bytes(
      d, 32,
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert_ami_ok(c->sha256(NULL, NULL, 0, d));
  ami_test_assert_bytes(
      d, 32,
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* RFC 6979 A.2.5, P-256 (see the file comment). */
static const char RFC6979_X[] =
    "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721";
static const char RFC6979_PUB[] =
    "04"
    "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
    "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299";
static const char RFC6979_SIG_SAMPLE[] = /* SHA-256, "sample": r || s */
    "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
    "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8";
static const char RFC6979_SIG_TEST[] = /* SHA-256, "test": r || s */
    "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367"
    "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083";

static void digest_of(const char *msg, uint8_t d[32]) {
  ami_span part = ami_span_make(msg, strlen(msg));
  assert_ami_ok(ami_crypto_openssl()->sha256(NULL, &part, 1, d));
}

/* The published signatures verify; any one-bit change of the digest, r, s
 * or the key makes them fail; swapped messages fail. */
static void test_ecdsa_rfc6979_verify(void **state) {
  (void)state;
  const ami_crypto *c = ami_crypto_openssl();
  size_t n;
  uint8_t *pub = ami_test_hex(RFC6979_PUB, &n);
  assert_int_equal(n, 65);
  uint8_t *sig1 = ami_test_hex(RFC6979_SIG_SAMPLE, &n);
  assert_int_equal(n, 64);
  uint8_t *sig2 = ami_test_hex(RFC6979_SIG_TEST, &n);
  assert_int_equal(n, 64);
  uint8_t d1[32], d2[32];
  digest_of("sample", d1);
  digest_of("test", d2);
  /* RFC 6979 A.2.5 gives the messages, not the digests: check the one
   * a verifier must recompute (FIPS 180-4 SHA-256 of "sample"). */
  ami_test_assert_bytes(
      d1, 32,
      "af2bdbe1aa9b6ec1e2ade1d694f41fc71a831d0268e9891562113d8a62add1bf");
  assert_ami_ok(c->ecdsa_p256_verify(NULL, pub, d1, sig1));
  assert_ami_ok(c->ecdsa_p256_verify(NULL, pub, d2, sig2));
  assert_ami(AMI_E_AUTH_FAILED, c->ecdsa_p256_verify(NULL, pub, d1, sig2));
  assert_ami(AMI_E_AUTH_FAILED, c->ecdsa_p256_verify(NULL, pub, d2, sig1));
  for (size_t bit = 0; bit < 64 * 8; bit += 37) {
    sig1[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    assert_ami(AMI_E_AUTH_FAILED, c->ecdsa_p256_verify(NULL, pub, d1, sig1));
    sig1[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  d1[31] ^= 1;
  assert_ami(AMI_E_AUTH_FAILED, c->ecdsa_p256_verify(NULL, pub, d1, sig1));
  d1[31] ^= 1;
  /* r = 0 and s = n are out of range: a verdict, not a crash. */
  uint8_t bad[64];
  memset(bad, 0, sizeof bad);
  memcpy(bad + 32, sig1 + 32, 32);
  assert_ami(AMI_E_AUTH_FAILED, c->ecdsa_p256_verify(NULL, pub, d1, bad));
  memset(bad, 0xFF, sizeof bad);
  assert_ami(AMI_E_AUTH_FAILED, c->ecdsa_p256_verify(NULL, pub, d1, bad));
  /* A point off the curve, or not uncompressed, is a bad argument. */
  pub[64] ^= 1;
  assert_ami(AMI_E_INVAL, c->ecdsa_p256_verify(NULL, pub, d1, sig1));
  pub[64] ^= 1;
  pub[0] = 0x02;
  assert_ami(AMI_E_INVAL, c->ecdsa_p256_verify(NULL, pub, d1, sig1));
  pub[0] = 0x04;
  assert_ami_ok(c->ecdsa_p256_verify(NULL, pub, d1, sig1));
  free(pub);
  free(sig1);
  free(sig2);
}

/* Signing with the RFC 6979 private key gives signatures the published
 * public key accepts (the nonce is random, so r and s differ per call and
 * cannot be compared with the RFC's deterministic ones). */
static void test_ecdsa_sign_roundtrip(void **state) {
  (void)state;
  const ami_crypto *c = ami_crypto_openssl();
  size_t n;
  uint8_t *x = ami_test_hex(RFC6979_X, &n);
  uint8_t *pub = ami_test_hex(RFC6979_PUB, &n);
  uint8_t d[32], s1[64], s2[64];
  digest_of("sample", d);
  assert_ami_ok(c->ecdsa_p256_sign(NULL, x, d, s1));
  assert_ami_ok(c->ecdsa_p256_sign(NULL, x, d, s2));
  assert_memory_not_equal(s1, s2, 64); /* fresh nonces */
  assert_ami_ok(c->ecdsa_p256_verify(NULL, pub, d, s1));
  assert_ami_ok(c->ecdsa_p256_verify(NULL, pub, d, s2));
  d[0] ^= 0x80;
  assert_ami(AMI_E_AUTH_FAILED, c->ecdsa_p256_verify(NULL, pub, d, s1));
  /* Another private key: its signature does not verify under pub. */
  x[5] ^= 0x10;
  d[0] ^= 0x80;
  assert_ami_ok(c->ecdsa_p256_sign(NULL, x, d, s1));
  assert_ami(AMI_E_AUTH_FAILED, c->ecdsa_p256_verify(NULL, pub, d, s1));
  /* Scalars 0 and >= n are refused. */
  uint8_t zero[32] = {0}, ff[32];
  memset(ff, 0xFF, sizeof ff);
  assert_ami(AMI_E_INVAL, c->ecdsa_p256_sign(NULL, zero, d, s1));
  assert_ami(AMI_E_INVAL, c->ecdsa_p256_sign(NULL, ff, d, s1));
  free(x);
  free(pub);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plugin_shape),
      cmocka_unit_test(test_gcm_known_answers),
      cmocka_unit_test(test_gcm_gather_and_inplace),
      cmocka_unit_test(test_gcm_ctr_is_gcm_keystream),
      cmocka_unit_test(test_argument_errors),
      cmocka_unit_test(test_key_wrap_rfc3394),
      cmocka_unit_test(test_random),
      cmocka_unit_test(test_sha256),
      cmocka_unit_test(test_ecdsa_rfc6979_verify),
      cmocka_unit_test(test_ecdsa_sign_roundtrip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
