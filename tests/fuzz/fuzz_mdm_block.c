/*
 * fuzz_mdm_block.c -- libFuzzer target for the MDM channel-day block codec
 * (ami_mdm_block.h).
 *
 * Input: a candidate block. Oracles, whenever it decodes:
 *   1. decode -> encode (the encoder's own choice) -> decode gives the same
 *      slots (ami_mdm_block_same) and the same header;
 *   2. the same under every forced layout (3 transforms x 3 packings), so
 *      every encoder path meets every value sequence the fuzzer finds;
 *   3. every re-encoding fits AMI_MDM_BLOCK_MAX_BYTES(count);
 *   4. the header from ami_mdm_block_peek agrees with the full decode.
 * There is no checksum to disable: the block has none (the store relies on
 * SQLite's page integrity).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_mdm_block.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      abort();                                                                 \
  } while (0)

static ami_mdm_interval first[AMI_MDM_BLOCK_MAX_SLOTS];
static ami_mdm_interval again[AMI_MDM_BLOCK_MAX_SLOTS];
static uint8_t out[AMI_MDM_BLOCK_MAX_BYTES(AMI_MDM_BLOCK_MAX_SLOTS)];

/* Re-encodes `first` (layout tr/pk, or the encoder's choice when tr < 0)
 * and checks the result decodes to the same slots. */
static void reencode(const ami_mdm_block_hdr *h, int tr, int pk) {
  ami_wr w;
  ami_wr_init(&w, out, sizeof out);
  int rc = tr < 0 ? ami_mdm_block_encode(&w, h->interval_s, first, h->count)
                  : ami_mdm_block_encode_with(&w, h->interval_s, first,
                                              h->count, tr, pk);
  CHECK(rc == AMI_OK);
  CHECK(w.len <= AMI_MDM_BLOCK_MAX_BYTES(h->count));
  ami_mdm_block_hdr h2;
  CHECK(ami_mdm_block_decode(ami_span_make(out, w.len), &h2, again,
                             AMI_MDM_BLOCK_MAX_SLOTS) == AMI_OK);
  CHECK(h2.interval_s == h->interval_s && h2.count == h->count);
  for (uint32_t i = 0; i < h->count; i++)
    CHECK(ami_mdm_block_same(&first[i], &again[i]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ami_mdm_block_hdr h, hp;
  int rc = ami_mdm_block_decode(ami_span_make(data, size), &h, first,
                                AMI_MDM_BLOCK_MAX_SLOTS);
  if (rc != AMI_OK)
    return 0;
  CHECK(ami_mdm_block_peek(ami_span_make(data, size), &hp) == AMI_OK);
  CHECK(hp.interval_s == h.interval_s && hp.count == h.count);
  reencode(&h, -1, -1);
  for (int tr = 0; tr < 3; tr++)
    for (int pk = 0; pk < 3; pk++)
      reencode(&h, tr, pk);
  return 0;
}
