/*
 * fuzz_metrology.c -- libFuzzer target for the metrology engine.
 *
 * There is no byte decoder here; the hostile input is the configuration and
 * the sample stream. Input: 8 header bytes (phases, neutral channel, sample
 * rate, phase delays, gain scale, starting current, block pattern, sample
 * width), then samples (int16 scaled by 2^8, or raw int32 for the extremes)
 * repeated cyclically to 400 frames so that even short inputs make cycles.
 * Oracles: registers never decrease, readout values stay in range, and the
 * stream fed in fuzzer-chosen blocks leaves exactly the state of the stream
 * fed in one call.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_metrology.h"

#define FRAMES 400

static ami_metrology a, b;
static int32_t samples[FRAMES * 7];

static void check_monotonic(const ami_metro_energy *o,
                            const ami_metro_energy *n) {
  const int64_t *x = (const int64_t *)(const void *)o;
  const int64_t *y = (const int64_t *)(const void *)n;
  for (size_t k = 0; k < sizeof *o / sizeof(int64_t); k++)
    if (y[k] < x[k] || y[k] < 0)
      abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 9)
    return 0;
  ami_metrology_config c;
  memset(&c, 0, sizeof c);
  c.phases = (data[0] & 1) ? 3 : 1;
  c.neutral_channel = (data[0] & 2) != 0;
  c.sample_rate_hz = 2000u + 56u * data[1];
  if (c.sample_rate_hz > AMI_METRO_MAX_FS)
    c.sample_rate_hz = AMI_METRO_MAX_FS;
  c.nominal_voltage_mv = 230000;
  c.nominal_frequency_mhz = (data[0] & 4) ? 60000 : 50000;
  double gain = 1e-4 * (double)(1 + (data[4] & 63));
  for (unsigned p = 0; p < 3; p++) {
    c.cal[p].voltage.gain = gain;
    c.cal[p].current.gain = gain / 50;
    c.cal[p].voltage.offset = (data[0] & 8) ? (int32_t)data[5] - 128 : 0;
  }
  c.cal[0].phase_delay = (double)(int8_t)data[2] / 128.0;
  c.cal[c.phases - 1].phase_delay = (double)(int8_t)data[3] / 128.0;
  c.neutral.gain = gain / 50;
  c.start_current_ma = data[5];
  bool wide = (data[7] & 1) != 0;
  if (ami_metrology_init(&a, &c) != 0 || ami_metrology_init(&b, &c) != 0)
    abort();
  const uint8_t *s = data + 8;
  size_t n = size - 8, width = wide ? 4 : 2;
  size_t avail = n / width;
  if (avail == 0)
    return 0;
  size_t ch = a.channels, total = FRAMES * ch;
  for (size_t k = 0; k < total; k++) {
    const uint8_t *q = s + (k % avail) * width;
    if (wide)
      samples[k] = (int32_t)((uint32_t)q[0] | (uint32_t)q[1] << 8 |
                             (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24);
    else
      samples[k] = (int32_t)(int16_t)(q[0] | q[1] << 8) * 256;
  }
  ami_metro_readout prev, now;
  ami_metrology_readout(&a, &prev);
  size_t at = 0;
  unsigned pat = data[6];
  while (at < FRAMES) {
    size_t blk = 1 + (pat * 37u + at) % 97u;
    if (blk > FRAMES - at)
      blk = FRAMES - at;
    ami_metrology_feed(&a, samples + at * ch, blk);
    at += blk;
    ami_metrology_readout(&a, &now);
    check_monotonic(&prev.total, &now.total);
    for (unsigned p = 0; p < c.phases; p++) {
      check_monotonic(&prev.phase[p].energy, &now.phase[p].energy);
      if (now.phase[p].voltage_mv < 0 || now.phase[p].current_ma < 0 ||
          now.phase[p].power_factor > 1000 || now.phase[p].power_factor < -1000)
        abort();
    }
    prev = now;
  }
  ami_metrology_feed(&b, samples, FRAMES);
  if (memcmp(&a, &b, sizeof a) != 0)
    abort();
  return 0;
}
