/*
 * cmd_fw.c -- firmware image tools for the Image Transfer path
 * (include/ami/ami_meter_image.h):
 *   ami fw-keygen --out KEYFILE          a new ECDSA P-256 signing key
 *   ami fw-sign --key KEYFILE --in PAYLOAD --out IMAGE --target T --id ID
 *   ami fw-verify --pub PUB --in IMAGE   check an image as a meter would
 *
 * Keys: the private key file is PEM (any PEM private key OpenSSL reads, as
 * fw-keygen writes: PKCS#8) or the raw 32-byte scalar as 64 hex digits.
 * The public key is printed and taken as 130 hex digits (the 65-byte SEC1
 * uncompressed point a meter is configured with) or a file holding them.
 * Hashing and signing go through the crypto plugin (the same code the
 * meter's verification uses); OpenSSL is used directly only for key files
 * and key generation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>

#include "ami/ami_crypto_openssl.h"
#include "ami/ami_hex.h"
#include "ami/ami_meter_image.h"
#include "ami_cli.h"

/* The value following option argv[*i], or NULL (message printed). */
static const char *opt_value(int argc, char **argv, int *i) {
  if (*i + 1 >= argc) {
    fprintf(stderr, "ami: %s needs a value\n", argv[*i]);
    return NULL;
  }
  return argv[++*i];
}

/* Decode exactly `n` bytes of hex (whitespace allowed) from text. */
static int hex_exact(const char *text, uint8_t *out, size_t n) {
  size_t pos = 0;
  uint8_t tmp[128];
  long k = ami_hex_decode(text, strlen(text), tmp, sizeof tmp, &pos);
  if (k != (long)n)
    return -1;
  memcpy(out, tmp, n);
  OPENSSL_cleanse(tmp, sizeof tmp);
  return 0;
}

/* The public point of private scalar d: Q = d * G on P-256, uncompressed. */
static int p256_public(const uint8_t d[32], uint8_t pub[65]) {
  EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  EC_POINT *q = g ? EC_POINT_new(g) : NULL;
  BIGNUM *bn = BN_bin2bn(d, 32, NULL);
  int ok = g && q && bn && EC_POINT_mul(g, q, bn, NULL, NULL, NULL) == 1 &&
           EC_POINT_point2oct(g, q, POINT_CONVERSION_UNCOMPRESSED, pub, 65,
                              NULL) == 65;
  BN_clear_free(bn);
  EC_POINT_free(q);
  EC_GROUP_free(g);
  ERR_clear_error();
  return ok ? 0 : -1;
}

/* The private scalar from a key file: PEM (EC P-256 only) or 64 hex
 * digits. */
static int load_private(const char *path, uint8_t d[32]) {
  size_t len = 0;
  char *text = ami_cli_read_all(path, &len);
  if (text == NULL)
    return -1;
  int rc = -1;
  if (strstr(text, "-----BEGIN") != NULL) {
    BIO *bio = BIO_new_mem_buf(text, (int)len);
    EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    char group[32] = "";
    size_t glen = 0;
    BIGNUM *bn = NULL;
    if (k && EVP_PKEY_is_a(k, "EC") &&
        EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                       sizeof group, &glen) == 1 &&
        (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) &&
        EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &bn) == 1 &&
        BN_bn2binpad(bn, d, 32) == 32)
      rc = 0;
    else
      fprintf(stderr, "ami: %s: not an EC P-256 private key\n", path);
    BN_clear_free(bn);
    EVP_PKEY_free(k);
    BIO_free(bio);
  } else if (hex_exact(text, d, 32) == 0) {
    rc = 0;
  } else {
    fprintf(stderr, "ami: %s: neither PEM nor 64 hex digits\n", path);
  }
  OPENSSL_cleanse(text, len);
  free(text);
  ERR_clear_error();
  return rc;
}

/* A public key given as hex text or as a file holding it. */
static int load_public(const char *arg, uint8_t pub[65]) {
  if (hex_exact(arg, pub, 65) == 0)
    return 0;
  size_t len = 0;
  char *text = ami_cli_read_all(arg, &len);
  int rc = text ? hex_exact(text, pub, 65) : -1;
  free(text);
  if (rc != 0)
    fprintf(stderr, "ami: %s: not a 65-byte SEC1 public key in hex\n", arg);
  return rc;
}

static void print_hex(FILE *f, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    fprintf(f, "%02X", p[i]);
  fputc('\n', f);
}

static int write_file(const char *path, const void *p, size_t n, int mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0) {
    fprintf(stderr, "ami: %s: %s\n", path, strerror(errno));
    return -1;
  }
  const uint8_t *b = p;
  while (n > 0) {
    ssize_t k = write(fd, b, n);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0) {
      fprintf(stderr, "ami: %s: %s\n", path, strerror(errno));
      close(fd);
      return -1;
    }
    b += k;
    n -= (size_t)k;
  }
  return close(fd) == 0 ? 0 : -1;
}

static const char keygen_help[] =
    "usage: ami fw-keygen --out KEYFILE\n"
    "\n"
    "Generate an ECDSA P-256 firmware signing key. The private key is\n"
    "written to KEYFILE as PEM (PKCS#8, mode 0600, never overwritten); the\n"
    "public key the meters are configured with is printed as 130 hex digits\n"
    "(SEC1 uncompressed point).\n";

int ami_cmd_fw_keygen(int argc, char **argv) {
  const char *out = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--out") == 0) {
      if (!(out = opt_value(argc, argv, &i)))
        return 2;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(keygen_help, stdout);
      return 0;
    } else {
      fprintf(stderr, "ami fw-keygen: unknown option '%s'\n\n%s", argv[i],
              keygen_help);
      return 2;
    }
  }
  if (out == NULL) {
    fputs(keygen_help, stderr);
    return 2;
  }
  EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  BIO *mem = BIO_new(BIO_s_mem());
  uint8_t pub[65];
  size_t plen = 0;
  int rc = 1;
  if (k && mem &&
      PEM_write_bio_PrivateKey(mem, k, NULL, NULL, 0, NULL, NULL) == 1 &&
      EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pub,
                                      sizeof pub, &plen) == 1 &&
      plen == 65) {
    char *pem = NULL;
    long n = BIO_get_mem_data(mem, &pem);
    int fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
      fprintf(stderr, "ami: %s: %s\n", out, strerror(errno));
    } else {
      close(fd);
      if (write_file(out, pem, (size_t)n, 0600) == 0) {
        print_hex(stdout, pub, 65);
        rc = 0;
      }
    }
  } else {
    fprintf(stderr, "ami: key generation failed\n");
  }
  BIO_free(mem);
  EVP_PKEY_free(k);
  ERR_clear_error();
  return rc;
}

static const char sign_help[] =
    "usage: ami fw-sign --key KEYFILE --in PAYLOAD --out IMAGE\n"
    "                   --target TARGET --id IDENTIFIER\n"
    "\n"
    "Wrap PAYLOAD into a signed OpenAMI firmware image for Image Transfer:\n"
    "header (magic OAFW, format 1, TARGET and IDENTIFIER, each 1..16\n"
    "bytes, payload length), payload, then the ECDSA P-256 signature r||s\n"
    "over SHA-256 of header and payload. KEYFILE is PEM or 64 hex digits.\n"
    "Prints the signer's public key. The meter accepts the image only if\n"
    "TARGET is its device type and IDENTIFIER is the one the head-end gives\n"
    "to image_transfer_initiate.\n";

int ami_cmd_fw_sign(int argc, char **argv) {
  const char *key = NULL, *in = NULL, *out = NULL, *target = NULL, *id = NULL;
  for (int i = 1; i < argc; i++) {
    const char **dst = strcmp(argv[i], "--key") == 0      ? &key
                       : strcmp(argv[i], "--in") == 0     ? &in
                       : strcmp(argv[i], "--out") == 0    ? &out
                       : strcmp(argv[i], "--target") == 0 ? &target
                       : strcmp(argv[i], "--id") == 0     ? &id
                                                          : NULL;
    if (dst) {
      if (!(*dst = opt_value(argc, argv, &i)))
        return 2;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(sign_help, stdout);
      return 0;
    } else {
      fprintf(stderr, "ami fw-sign: unknown option '%s'\n\n%s", argv[i],
              sign_help);
      return 2;
    }
  }
  if (!key || !in || !out || !target || !id) {
    fputs(sign_help, stderr);
    return 2;
  }
  uint8_t d[32], pub[65];
  if (load_private(key, d) != 0)
    return 1;
  int rc = 1;
  size_t plen = 0;
  char *payload = ami_cli_read_all(in, &plen);
  uint8_t *image = NULL;
  if (payload == NULL)
    goto out;
  if (plen > UINT32_MAX - AMI_METER_IMAGE_OVERHEAD) {
    fprintf(stderr, "ami: %s: payload too large\n", in);
    goto out;
  }
  size_t total = plen + AMI_METER_IMAGE_OVERHEAD;
  image = malloc(total);
  if (image == NULL) {
    fprintf(stderr, "ami: out of memory\n");
    goto out;
  }
  if (ami_meter_image_header_encode(
          image, ami_span_make(target, strlen(target)),
          ami_span_make(id, strlen(id)), (uint32_t)plen) != AMI_OK) {
    fprintf(stderr, "ami: --target and --id must be 1..16 bytes\n");
    goto out;
  }
  memcpy(image + AMI_METER_IMAGE_HEADER_LEN, payload, plen);
  const ami_crypto *c = ami_crypto_openssl();
  uint8_t digest[32];
  ami_span part = ami_span_make(image, AMI_METER_IMAGE_HEADER_LEN + plen);
  uint8_t *sig = image + AMI_METER_IMAGE_HEADER_LEN + plen;
  int err = c->sha256(c->user_data, &part, 1, digest);
  if (err == AMI_OK)
    err = c->ecdsa_p256_sign(c->user_data, d, digest, sig);
  /* Check the signature before anyone ships it. */
  if (err == AMI_OK)
    err = p256_public(d, pub) == 0 ? AMI_OK : AMI_E_CRYPTO;
  if (err == AMI_OK)
    err = c->ecdsa_p256_verify(c->user_data, pub, digest, sig);
  if (err != AMI_OK) {
    fprintf(stderr, "ami: signing failed: %s\n", ami_strerror(err));
    goto out;
  }
  if (write_file(out, image, total, 0644) != 0)
    goto out;
  print_hex(stdout, pub, 65);
  rc = 0;
out:
  OPENSSL_cleanse(d, sizeof d);
  free(payload);
  free(image);
  return rc;
}

static const char verify_help[] =
    "usage: ami fw-verify --pub PUBKEY --in IMAGE [--target TARGET]\n"
    "\n"
    "Check a signed firmware image as a meter does: format, length, (the\n"
    "target), and the ECDSA P-256 signature under PUBKEY (130 hex digits or\n"
    "a file holding them). Exit status 0 and 'valid' when it would be\n"
    "accepted, 1 and the reason otherwise.\n";

int ami_cmd_fw_verify(int argc, char **argv) {
  const char *pubarg = NULL, *in = NULL, *target = NULL;
  for (int i = 1; i < argc; i++) {
    const char **dst = strcmp(argv[i], "--pub") == 0      ? &pubarg
                       : strcmp(argv[i], "--in") == 0     ? &in
                       : strcmp(argv[i], "--target") == 0 ? &target
                                                          : NULL;
    if (dst) {
      if (!(*dst = opt_value(argc, argv, &i)))
        return 2;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(verify_help, stdout);
      return 0;
    } else {
      fprintf(stderr, "ami fw-verify: unknown option '%s'\n\n%s", argv[i],
              verify_help);
      return 2;
    }
  }
  if (!pubarg || !in) {
    fputs(verify_help, stderr);
    return 2;
  }
  uint8_t pub[65];
  if (load_public(pubarg, pub) != 0)
    return 2;
  size_t n = 0;
  char *text = ami_cli_read_all(in, &n);
  if (text == NULL)
    return 2;
  const uint8_t *img = (const uint8_t *)text;
  const char *why = NULL;
  uint32_t plen = 0;
  if (n < AMI_METER_IMAGE_OVERHEAD || memcmp(img, AMI_METER_IMAGE_MAGIC, 4) ||
      img[4] != AMI_METER_IMAGE_FORMAT) {
    why = "not an OpenAMI firmware image (format 1)";
  } else {
    plen = (uint32_t)img[40] << 24 | (uint32_t)img[41] << 16 |
           (uint32_t)img[42] << 8 | img[43];
    if ((size_t)plen + AMI_METER_IMAGE_OVERHEAD != n)
      why = "length does not match the header";
  }
  if (!why && target) {
    uint8_t t[AMI_METER_IMAGE_TARGET_LEN] = {0};
    size_t tl = strlen(target);
    if (tl > sizeof t)
      tl = sizeof t + 1; /* cannot match */
    else
      memcpy(t, target, tl);
    if (tl > sizeof t || memcmp(t, img + 8, sizeof t) != 0)
      why = "built for another target";
  }
  if (!why) {
    const ami_crypto *c = ami_crypto_openssl();
    uint8_t digest[32];
    ami_span part = ami_span_make(img, AMI_METER_IMAGE_HEADER_LEN + plen);
    int err = c->sha256(c->user_data, &part, 1, digest);
    if (err == AMI_OK)
      err = c->ecdsa_p256_verify(c->user_data, pub, digest,
                                 img + AMI_METER_IMAGE_HEADER_LEN + plen);
    if (err == AMI_E_AUTH_FAILED)
      why = "signature does not verify";
    else if (err != AMI_OK)
      why = ami_strerror(err);
  }
  if (why) {
    printf("invalid: %s\n", why);
  } else {
    char id[AMI_METER_IMAGE_ID_LEN + 1] = {0};
    memcpy(id, img + 24, AMI_METER_IMAGE_ID_LEN);
    printf("valid: id '%s', payload %u bytes\n", id, plen);
  }
  free(text);
  return why ? 1 : 0;
}
