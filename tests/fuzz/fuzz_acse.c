/*
 * fuzz_acse.c -- libFuzzer target for the ACSE codec (ami_acse.h).
 *
 * Oracle: what decodes must agree between the strict and the prefix
 * decoder, encode again no longer than it came (fields are re-ordered,
 * lengths and INTEGERs shortened, unknown fields dropped, never grown),
 * decode from that encoding to an equal struct, and encode to the same
 * bytes a second time. Seeds: tests/fuzz/corpus/acse/ (VECTORS.md §2 and
 * the Gurux sessions' AARQ/AARE/RLRQ/RLRE).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_acse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool ok) {
  if (!ok)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ami_acse a, b;
  size_t used = 0;
  if (ami_acse_decode_prefix(ami_span_make(data, size), &a, &used) != AMI_OK)
    return 0;
  require(used >= 2 && used <= size);
  int strict = ami_acse_decode(ami_span_make(data, size), &b);
  require(strict == (used == size ? AMI_OK : AMI_E_TRAILING));

  size_t cap = used + 16;
  uint8_t *one = malloc(cap), *two = malloc(cap);
  if (one == NULL || two == NULL) {
    free(one);
    free(two);
    return 0;
  }
  ami_wr w1, w2;
  ami_wr_init(&w1, one, cap);
  require(ami_acse_encode(&w1, &a) == AMI_OK);
  require(w1.len <= used);
  require(ami_acse_decode(ami_span_make(one, w1.len), &b) == AMI_OK);
  require(ami_acse_equal(&a, &b));
  ami_wr_init(&w2, two, cap);
  require(ami_acse_encode(&w2, &b) == AMI_OK);
  require(w2.len == w1.len && memcmp(one, two, w1.len) == 0);
  free(one);
  free(two);
  return 0;
}
