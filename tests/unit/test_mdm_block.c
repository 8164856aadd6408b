/*
 * test_mdm_block.c -- lib/mdm block codec: a hand-derived golden block, round
 * trips of random and real (London) data under every layout, the encoder's
 * choice being the smallest, every truncation, and hostile blocks giving
 * their specific errors.
 */
#include "ami_test.h"
#include "ami_test_mdm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_mdm_block.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void) { /* xorshift64*: deterministic test data */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1du;
}

static size_t enc(const ami_mdm_interval *v, uint32_t n, uint32_t iv, int tr,
                  int pk, uint8_t *out, size_t cap) {
  ami_wr w;
  ami_wr_init(&w, out, cap);
  if (tr < 0)
    assert_ami_ok(ami_mdm_block_encode(&w, iv, v, n));
  else
    assert_ami_ok(ami_mdm_block_encode_with(&w, iv, v, n, tr, pk));
  return w.len;
}

static void check_roundtrip(const ami_mdm_interval *v, uint32_t n, uint32_t iv,
                            int tr, int pk) {
  uint8_t buf[AMI_MDM_BLOCK_MAX_BYTES(AMI_MDM_BLOCK_MAX_SLOTS)];
  size_t len = enc(v, n, iv, tr, pk, buf, sizeof buf);
  assert_true(len <= AMI_MDM_BLOCK_MAX_BYTES(n));
  static ami_mdm_interval back[AMI_MDM_BLOCK_MAX_SLOTS];
  ami_mdm_block_hdr h;
  uint8_t *g = ami_test_guarded_copy(buf, len);
  assert_ami_ok(ami_mdm_block_decode(ami_span_make(g, len), &h, back, n));
  ami_test_guarded_free(g, len);
  assert_int_equal(h.interval_s, iv);
  assert_int_equal(h.count, n);
  for (uint32_t i = 0; i < n; i++) {
    if (!ami_mdm_block_same(&v[i], &back[i]))
      fail_msg("slot %u: %lld q%u -> %lld q%u (layout %d/%d)", i,
               (long long)v[i].value, v[i].quality, (long long)back[i].value,
               back[i].quality, tr, pk);
  }
}

/* Derived by hand from the format in ami_mdm_block.h, not from our output:
 * 15-minute slots 1000, 2000, 3000, 4000 all ACTUAL. Raw values with divisor
 * 1000 are 1, 2, 3, 4 -> zigzag 2, 4, 6, 8 -> 4-bit packed 0x42 0x86; that
 * costs 2 (divisor) + 1 (width) + 2 = 5 bytes, less than delta (head 2000 is
 * 2 bytes, divisor 2, packed 2 = 6) or delta-of-delta (2 + 2 + 1 + 1 = 6). */
static void test_golden(void **state) {
  (void)state;
  ami_mdm_interval v[4] = {
      {1000, 0, 0, 0}, {2000, 0, 0, 0}, {3000, 0, 0, 0}, {4000, 0, 0, 0}};
  uint8_t buf[64];
  size_t len = enc(v, 4, 900, -1, -1, buf, sizeof buf);
  ami_test_assert_bytes(buf, len, "01 8407 04 04000000 10 e807 04 42 86");
  /* Delta + Rice, by hand: 1000, 3000, 2000, 2000 -> head zz(1000) = 2000
   * (d0 0f), residuals 2000, -1000, 0 share divisor 1000 (e8 07) -> 2, -1,
   * 0 -> zigzag 4, 1, 0. Rice k = 0 (8 bits, k = 1 ties at 8, k = 2 is 10):
   * 1111 0 | 1 0 | 0 LSB first = 0x2f. */
  ami_mdm_interval rv[4] = {
      {1000, 0, 0, 0}, {3000, 0, 0, 0}, {2000, 0, 0, 0}, {2000, 0, 0, 0}};
  len = enc(rv, 4, 900, 1, 2, buf, sizeof buf);
  ami_test_assert_bytes(buf, len, "01 8407 04 04000000 21 d00f e807 00 2f");
  check_roundtrip(rv, 4, 900, 1, 2);
  /* All MISSING: no value section at all; 96 slots in one run. */
  ami_mdm_interval m[96];
  for (int i = 0; i < 96; i++)
    m[i] = (ami_mdm_interval){123, AMI_MDM_Q_MISSING, 0, 0};
  len = enc(m, 96, 900, -1, -1, buf, sizeof buf);
  ami_test_assert_bytes(buf, len, "01 8407 60 60040000");
  /* A constant day: delta-of-delta residuals all 0, width 0, no bytes. */
  ami_mdm_interval c[96];
  for (int i = 0; i < 96; i++)
    c[i] = (ami_mdm_interval){5, 0, 0, 0};
  len = enc(c, 96, 900, -1, -1, buf, sizeof buf);
  /* raw: divisor 5, residuals zz(1)=2 width 2 -> 1+1+24 bytes; delta: head
   * zz(5)=10, divisor 1, width 0 -> 10 01 00. */
  ami_test_assert_bytes(buf, len, "01 8407 60 60000000 11 0a 01 00");
}

static void test_roundtrip_random(void **state) {
  (void)state;
  static ami_mdm_interval v[AMI_MDM_BLOCK_MAX_SLOTS];
  const uint32_t ivs[] = {60, 300, 900, 1800, 3600, 86400};
  for (int round = 0; round < 300; round++) {
    uint32_t iv = ivs[rnd() % 6];
    uint32_t n = 1 + (uint32_t)(rnd() % (86400 / iv));
    int style = (int)(rnd() % 5);
    int64_t level = (int64_t)(rnd() % 1000000);
    for (uint32_t i = 0; i < n; i++) {
      uint64_t r = rnd();
      switch (style) {
      case 0: /* whole Wh random walk */
        level += ((int64_t)(r % 201) - 100) * 1000;
        v[i].value = level;
        break;
      case 1: /* cumulative register */
        level += (int64_t)(r % 500) * 1000;
        v[i].value = level;
        break;
      case 2: /* anything at all, extremes included */
        v[i].value = (int64_t)r;
        if (r % 7 == 0)
          v[i].value = (r & 8) ? INT64_MIN : INT64_MAX;
        break;
      case 3: /* negative net */
        v[i].value = -(int64_t)(r % 5000);
        break;
      default: /* constant */
        v[i].value = level;
      }
      v[i].quality = 0;
      v[i].method = 0;
      v[i].flags = 0;
      if (rnd() % 16 == 0) {
        static const uint8_t qs[] = {0, 1, 2, 3, 4, 5, AMI_MDM_BLOCK_ABSENT};
        v[i].quality = qs[rnd() % 7];
        v[i].method = (uint8_t)rnd();
        v[i].flags = (uint16_t)rnd();
      }
    }
    check_roundtrip(v, n, iv, -1, -1);
    for (int tr = 0; tr < 3; tr++)
      for (int pk = 0; pk < 3; pk++)
        check_roundtrip(v, n, iv, tr, pk);
  }
}

/* Real data: each London household-day is one 48-slot block. The encoder's
 * choice must be as small as the best forced layout, and the whole sample
 * must average under 2 bytes per half-hour value (header included). */
static void test_roundtrip_london(void **state) {
  (void)state;
  size_t n;
  ami_test_mdm_reading *r = ami_test_mdm_london(&n);
  if (!r)
    skip();
  size_t total = 0, values = 0, per_layout[9] = {0};
  for (size_t i = 0; i < n;) {
    ami_mdm_interval day[48];
    for (int k = 0; k < 48; k++)
      day[k] = (ami_mdm_interval){0, AMI_MDM_BLOCK_ABSENT, 0, 0};
    int64_t d0 = (r[i].t_end - 1) / 86400;
    size_t j = i;
    while (j < n && r[j].household == r[i].household &&
           (r[j].t_end - 1) / 86400 == d0) {
      int slot = (int)((r[j].t_end - 1800 - d0 * 86400) / 1800);
      day[slot] = (ami_mdm_interval){r[j].value_mwh, 0, 0, 0};
      j++;
    }
    uint8_t buf[1024];
    size_t best = SIZE_MAX;
    for (int l = 0; l < 9; l++) {
      size_t len = enc(day, 48, 1800, l / 3, l % 3, buf, sizeof buf);
      per_layout[l] += len;
      best = len < best ? len : best;
      check_roundtrip(day, 48, 1800, l / 3, l % 3);
    }
    size_t len = enc(day, 48, 1800, -1, -1, buf, sizeof buf);
    assert_int_equal(len, best);
    check_roundtrip(day, 48, 1800, -1, -1);
    total += len;
    values += j - i;
    i = j;
  }
  print_message("london: %zu values, %zu bytes (%.2f B/value); per layout "
                "(varint, bits, rice): raw %zu %zu %zu, delta %zu %zu %zu, "
                "dd %zu %zu %zu\n",
                values, total, (double)total / (double)values, per_layout[0],
                per_layout[1], per_layout[2], per_layout[3], per_layout[4],
                per_layout[5], per_layout[6], per_layout[7], per_layout[8]);
  assert_true((double)total / (double)values < 2.0);
  free(r);
}

/* Every strict prefix of a valid block is AMI_E_TRUNCATED, read flush
 * against a guard page. */
static void test_truncations(void **state) {
  (void)state;
  static ami_mdm_interval v[96], back[96];
  for (int style = 0; style < 10; style++) {
    for (int i = 0; i < 96; i++) {
      v[i] = (ami_mdm_interval){(int64_t)(rnd() % 100000) * 1000, 0, 0, 0};
      if (i % 17 == 3)
        v[i].quality = AMI_MDM_Q_MISSING;
      if (i % 31 == 5)
        v[i].flags = 0x1234;
    }
    uint8_t buf[AMI_MDM_BLOCK_MAX_BYTES(96)];
    size_t len = style < 9
                     ? enc(v, 96, 900, style / 3, style % 3, buf, sizeof buf)
                     : enc(v, 96, 900, -1, -1, buf, sizeof buf);
    for (size_t cut = 0; cut < len; cut++) {
      uint8_t *g = ami_test_guarded_copy(buf, cut);
      ami_mdm_block_hdr h;
      assert_ami(AMI_E_TRUNCATED,
                 ami_mdm_block_decode(ami_span_make(g, cut), &h, back, 96));
      ami_test_guarded_free(g, cut);
    }
  }
}

static int decode_hex(const char *hex) {
  size_t len;
  uint8_t *b = ami_test_hex(hex, &len);
  ami_mdm_interval out[96];
  ami_mdm_block_hdr h;
  int rc = ami_mdm_block_decode(ami_span_make(b, len), &h, out, 96);
  free(b);
  return rc;
}

static void test_hostile(void **state) {
  (void)state;
  /* The golden block decodes; then each field broken in turn. */
  assert_ami_ok(decode_hex("01 8407 04 04000000 10 e807 04 42 86"));
  assert_ami(AMI_E_STORE_FORMAT, decode_hex("02 8407 04 04000000"));
  assert_ami(AMI_E_BAD_VALUE, decode_hex("01 07 01 01000000"));   /* 7 s */
  assert_ami(AMI_E_BAD_VALUE, decode_hex("01 8407 00"));          /* count 0 */
  assert_ami(AMI_E_BAD_VALUE, decode_hex("01 8407 61 61040000")); /* 97 */
  assert_ami(AMI_E_INCONSISTENT, decode_hex("01 8407 04 05040000"));
  assert_ami(AMI_E_INCONSISTENT, decode_hex("01 8407 04 00040000"));
  assert_ami(AMI_E_BAD_VALUE, decode_hex("01 8407 04 04060000")); /* q 6 */
  assert_ami(AMI_E_BAD_VALUE, decode_hex("01 8407 04 04040080 8004"));
  assert_ami(AMI_E_BAD_VALUE, decode_hex("01 8407 04 04000000 03"));
  assert_ami(AMI_E_BAD_VALUE, decode_hex("01 8407 04 04000000 30"));
  assert_ami(AMI_E_BAD_VALUE, decode_hex("01 8407 04 04000000 20 01 40"));
  assert_ami(AMI_E_BAD_VALUE, decode_hex("01 8407 04 04000000 10 00"));
  assert_ami(AMI_E_BAD_VALUE, decode_hex("01 8407 04 04000000 10 01 41"));
  assert_ami(AMI_E_BAD_VALUE, /* divisor 2^63 */
             decode_hex("01 8407 04 04000000 10 8080808080808080 8001"));
  assert_ami(AMI_E_BAD_LENGTH, /* 11-byte varint */
             decode_hex("01 8407 04 04000000 00 ffffffffffffffffffff01"));
  assert_ami(AMI_E_BAD_LENGTH, /* 10th byte > 1: past 64 bits */
             decode_hex("01 8407 04 04000000 00 ffffffffffffffffff02"));
  assert_ami(AMI_E_TRAILING, decode_hex("01 8407 04 04000000 10 e807 04 42 86 "
                                        "00"));
  assert_ami(AMI_E_TRAILING, decode_hex("01 8407 60 60040000 00"));
  /* Too small a destination. */
  size_t len;
  uint8_t *b = ami_test_hex("01 8407 04 04000000 10 e807 04 42 86", &len);
  ami_mdm_interval out[3];
  ami_mdm_block_hdr h;
  assert_ami(AMI_E_BUFFER_FULL,
             ami_mdm_block_decode(ami_span_make(b, len), &h, out, 3));
  assert_ami_ok(ami_mdm_block_peek(ami_span_make(b, 4), &h));
  assert_int_equal(h.interval_s, 900);
  free(b);
  /* The encoder refuses what the decoder would refuse. */
  uint8_t buf[64];
  ami_wr w;
  ami_mdm_interval bad = {1, 9, 0, 0};
  ami_wr_init(&w, buf, sizeof buf);
  assert_ami(AMI_E_INVAL, ami_mdm_block_encode(&w, 900, &bad, 1));
  bad.quality = 0;
  assert_ami(AMI_E_INVAL, ami_mdm_block_encode(&w, 7, &bad, 1));
  assert_ami(AMI_E_INVAL, ami_mdm_block_encode(&w, 900, &bad, 0));
  assert_ami(AMI_E_INVAL, ami_mdm_block_encode_with(&w, 900, &bad, 1, 3, 0));
  ami_wr_init(&w, buf, 4);
  assert_ami(AMI_E_BUFFER_FULL, ami_mdm_block_encode(&w, 900, &bad, 1));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden),
      cmocka_unit_test(test_roundtrip_random),
      cmocka_unit_test(test_roundtrip_london),
      cmocka_unit_test(test_truncations),
      cmocka_unit_test(test_hostile),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
