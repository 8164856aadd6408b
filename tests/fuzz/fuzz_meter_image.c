/*
 * fuzz_meter_image.c -- libFuzzer target for lib/meter's Image Transfer and
 * Push Setup behaviour: hostile method parameters, blocks of a genuine signed
 * image mixed with garbage in any order, verify / activate at any time,
 * hostile push_object_lists.
 *
 * Input: a sequence of operations, each one byte `op` (low 3 bits), then:
 *   0 initiate, raw parameters:   len (1) + len bytes
 *   1 initiate the genuine image: nothing (identifier "FW-F", its size)
 *   2 block, raw parameters:      len (1) + len bytes
 *   3 block of the genuine image: block number (1)
 *   4 verify                      5 activate
 *   6 push_object_list:           len (1) + len bytes (SET, then build)
 *   7 read an image attribute:    attribute (1)
 * Oracles:
 *   - the status is always one of 0..7, first-not-transferred never passes
 *     the number of blocks, every attribute read is exactly one
 *     well-formed Data;
 *   - SOUNDNESS: whenever verify or activate succeeds, the stored image is
 *     byte for byte the genuine signed one (nobody can forge the ECDSA
 *     signature, so any other success is a verification bug); after a
 *     successful activate the identifier register says "FW-F";
 *   - a push body that builds is exactly one well-formed Data, a structure
 *     with one element per list entry.
 * Nothing needs relaxing under AMI_FUZZING (the signature is the point).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_axdr.h"
#include "ami/ami_cosem.h"
#include "ami/ami_crypto_openssl.h"
#include "ami/ami_meter_image.h"
#include "ami/ami_meter_push.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      abort();                                                                 \
  } while (0)

#define BLOCK   64u
#define STORE   1024u
#define PAYLOAD 200u

/* RFC 6979 A.2.5 P-256 key pair (test_crypto_openssl.c cites it). */
static const uint8_t KEY_X[32] = {
    0xC9, 0xAF, 0xA9, 0xD8, 0x45, 0xBA, 0x75, 0x16, 0x6B, 0x5C, 0x21,
    0x57, 0x67, 0xB1, 0xD6, 0x93, 0x4E, 0x50, 0xC3, 0xDB, 0x36, 0xE8,
    0x9B, 0x12, 0x7B, 0x8A, 0x62, 0x2B, 0x12, 0x0F, 0x67, 0x21};
static const uint8_t KEY_PUB[65] = {
    0x04, 0x60, 0xFE, 0xD4, 0xBA, 0x25, 0x5A, 0x9D, 0x31, 0xC9, 0x61,
    0xEB, 0x74, 0xC6, 0x35, 0x6D, 0x68, 0xC0, 0x49, 0xB8, 0x92, 0x3B,
    0x61, 0xFA, 0x6C, 0xE6, 0x69, 0x62, 0x2E, 0x60, 0xF2, 0x9F, 0xB6,
    0x79, 0x03, 0xFE, 0x10, 0x08, 0xB8, 0xBC, 0x99, 0xA4, 0x1A, 0xE9,
    0xE9, 0x56, 0x28, 0xBC, 0x64, 0xF2, 0xF1, 0xB2, 0x0C, 0x2D, 0x7E,
    0x9F, 0x51, 0x77, 0xA3, 0xC2, 0x94, 0xD4, 0x46, 0x22, 0x99};
static const char TARGET[] = "FUZZ-METER";

static uint8_t genuine[PAYLOAD + AMI_METER_IMAGE_OVERHEAD];
static bool have_genuine;

/* Sign the genuine image once per process. */
static void make_genuine(void) {
  if (have_genuine)
    return;
  CHECK(ami_meter_image_header_encode(
            genuine, ami_span_make(TARGET, strlen(TARGET)),
            ami_span_make("FW-F", 4), PAYLOAD) == AMI_OK);
  for (unsigned i = 0; i < PAYLOAD; i++)
    genuine[48 + i] = (uint8_t)(i * 13 + 1);
  const ami_crypto *c = ami_crypto_openssl();
  uint8_t d[32];
  ami_span part = ami_span_make(genuine, 48 + PAYLOAD);
  CHECK(c->sha256(NULL, &part, 1, d) == AMI_OK);
  CHECK(c->ecdsa_p256_sign(NULL, KEY_X, d, genuine + 48 + PAYLOAD) == AMI_OK);
  have_genuine = true;
}

static uint8_t store[STORE];
static uint32_t announced; /* size of the current transfer, for the oracle */

static int s_write(void *ud, uint32_t off, const uint8_t *p, size_t n) {
  (void)ud;
  CHECK(off + n <= STORE);
  memcpy(store + off, p, n);
  return AMI_OK;
}

static int s_view(void *ud, uint32_t off, size_t n, ami_span *out) {
  (void)ud;
  CHECK(off < STORE);
  size_t k = n < 40 ? n : 40;
  if (off + k > STORE)
    k = STORE - off;
  *out = ami_span_make(store + off, k);
  return AMI_OK;
}

static int s_reset(void *ud, uint32_t sz) {
  (void)ud;
  CHECK(sz <= STORE);
  announced = sz;
  memset(store, 0xFF, sizeof store);
  return AMI_OK;
}

/* Exactly one well-formed Data in p[0..n). */
static void check_one_data(const uint8_t *p, size_t n) {
  size_t used = 0;
  CHECK(ami_axdr_validate(ami_span_make(p, n), &used) == AMI_OK);
  CHECK(used == n);
}

/* The soundness oracle after a successful verify or activate. */
static void check_genuine(void) {
  CHECK(announced == sizeof genuine);
  CHECK(memcmp(store, genuine, sizeof genuine) == 0);
}

static void enc_block(uint8_t *b, size_t cap, size_t *len, uint32_t num) {
  ami_wr w;
  ami_wr_init(&w, b, cap);
  size_t off = (size_t)num * BLOCK;
  size_t n = off < sizeof genuine
                 ? (sizeof genuine - off < BLOCK ? sizeof genuine - off : BLOCK)
                 : 0;
  ami_axdr_put_struct(&w, 2);
  ami_axdr_put_u32(&w, num);
  ami_axdr_put_octets(&w, n ? genuine + off : genuine, n ? n : 3);
  CHECK(w.err == AMI_OK);
  *len = w.len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  make_genuine();
  announced = 0;
  ami_cosem_model *m;
  CHECK(ami_cosem_model_new(NULL, NULL, &m) == AMI_OK);
  ami_meter_image_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.crypto = ami_crypto_openssl();
  memcpy(cfg.pubkey, KEY_PUB, sizeof KEY_PUB);
  memcpy(cfg.target, TARGET, strlen(TARGET));
  cfg.block_size = BLOCK;
  cfg.max_image_size = STORE;
  cfg.sink.write = s_write;
  cfg.sink.view = s_view;
  cfg.sink.reset = s_reset;
  ami_meter_image *img;
  CHECK(ami_meter_image_new(NULL, &cfg, &img) == AMI_OK);
  ami_cosem_object *io, *fw;
  CHECK(ami_meter_image_bind(img, m, ami_obis_make(0, 0, 44, 0, 0, 255),
                             ami_obis_make(1, 0, 0, 2, 0, 255),
                             ami_span_make("FW-0", 4), &io, &fw) == AMI_OK);
  ami_meter_push *push;
  CHECK(ami_meter_push_new(NULL, m, NULL, &push) == AMI_OK);
  ami_cosem_object *setup;
  CHECK(ami_meter_push_add_setup(push, ami_obis_make(0, 0, 25, 9, 0, 255),
                                 &setup) == AMI_OK);

  size_t i = 0;
  uint8_t buf[512], r;
  while (i < size) {
    uint8_t op = data[i++] & 7u;
    size_t len = 0;
    const uint8_t *arg = NULL;
    if (op == 0 || op == 2 || op == 6) {
      if (i >= size)
        break;
      len = data[i++];
      if (len > size - i)
        len = size - i;
      arg = data + i;
      i += len;
    }
    int rc = AMI_OK;
    r = 0xEE;
    switch (op) {
    case 0:
      rc = ami_meter_image_initiate(img, ami_span_make(arg, len), &r);
      break;
    case 1: {
      ami_wr w;
      ami_wr_init(&w, buf, sizeof buf);
      ami_axdr_put_struct(&w, 2);
      ami_axdr_put_octets(&w, "FW-F", 4);
      ami_axdr_put_u32(&w, sizeof genuine);
      rc = ami_meter_image_initiate(img, ami_span_make(buf, w.len), &r);
      CHECK(rc == AMI_OK && r == 0);
      break;
    }
    case 2:
      rc = ami_meter_image_block(img, ami_span_make(arg, len), &r);
      break;
    case 3: {
      if (i >= size)
        break;
      size_t n = 0;
      enc_block(buf, sizeof buf, &n, data[i++] % 8u);
      rc = ami_meter_image_block(img, ami_span_make(buf, n), &r);
      break;
    }
    case 4:
      rc = ami_meter_image_verify(img, &r);
      if (rc == AMI_OK && r == 0)
        check_genuine();
      break;
    case 5:
      rc = ami_meter_image_activate(img, &r);
      if (rc == AMI_OK && r == 0) {
        check_genuine();
        ami_span v;
        CHECK(ami_cosem_get_attr(fw, 2, &v) == AMI_OK);
        CHECK(v.len == 6 && memcmp(v.p + 2, "FW-F", 4) == 0);
      }
      break;
    case 6:
      if (ami_cosem_set_attr(setup, 2, ami_span_make(arg, len)) == AMI_OK) {
        ami_wr w;
        ami_wr_init(&w, buf, sizeof buf);
        rc = ami_meter_push_build(m, setup, 0, &w);
        if (rc == AMI_OK) {
          check_one_data(buf, w.len);
          ami_axdr_dec d, l;
          uint32_t a = 0, b = 0;
          ami_axdr_dec_init(&d, buf, w.len);
          ami_axdr_dec_init(&l, arg, len);
          CHECK(ami_axdr_get_struct(&d, &a) == AMI_OK);
          CHECK(ami_axdr_get_array(&l, &b) == AMI_OK && a == b);
        } else {
          CHECK(w.len == 0);
        }
        rc = AMI_OK;
      }
      break;
    case 7: {
      if (i >= size)
        break;
      ami_wr w;
      uint8_t dar = 0;
      ami_wr_init(&w, buf, sizeof buf);
      rc = ami_cosem_read(io, data[i++] % 9u, 0, &w, &dar);
      if (rc == AMI_OK && dar == 0)
        check_one_data(buf, w.len);
      rc = AMI_OK;
      break;
    }
    default:
      break;
    }
    /* Hostile parameters are decoding errors, nothing else. */
    CHECK(rc == AMI_OK || rc == AMI_E_TRUNCATED || rc == AMI_E_BAD_TAG ||
          rc == AMI_E_INCONSISTENT || rc == AMI_E_BAD_LENGTH ||
          rc == AMI_E_BAD_VALUE || rc == AMI_E_DEPTH);
    CHECK(ami_meter_image_get_status(img) <= 7);
    {
      ami_wr w;
      uint8_t dar = 0, nb[8];
      ami_wr_init(&w, nb, sizeof nb);
      CHECK(ami_cosem_read(io, 4, 0, &w, &dar) == AMI_OK && w.len == 5);
      uint32_t first =
          (uint32_t)nb[1] << 24 | (uint32_t)nb[2] << 16 | nb[3] << 8 | nb[4];
      CHECK(first <= (announced + BLOCK - 1) / BLOCK);
    }
  }
  ami_cosem_model_free(m);
  ami_meter_image_free(img);
  ami_meter_push_free(push);
  return 0;
}
