/*
 * test_sim_wave.c -- lib/sim/ami_sim_wave's synthesizer itself (the
 * metrology tests use it as their truth): the codes against the defining
 * formula of ami_sim_wave.h evaluated directly here (one cos() per
 * harmonic per sample, as the synthesizer did before phasor rotation),
 * also a month into the stream; independence of how the stream is split
 * into calls; the gaussian noise's moments and tails; determinism by seed.
 */
#include "ami_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_sim_wave.h"

#define PI 3.14159265358979323846

/* A 3-phase configuration with harmonics in U and I, a current skew and a
 * neutral channel. */
static void config3(ami_sim_wave_config *wc, unsigned bits, double noise) {
  memset(wc, 0, sizeof *wc);
  wc->phases = 3;
  wc->neutral_channel = true;
  wc->sample_rate_hz = 4000;
  wc->frequency_hz = 49.87;
  wc->adc_bits = bits;
  wc->u_full_scale = 230 * sqrt(2.0) * 1.6;
  wc->i_full_scale = 60 * sqrt(2.0) * 1.8;
  wc->noise_lsb = noise;
  wc->seed = 99;
  const double alpha[3] = {0, -120, 120};
  for (unsigned p = 0; p < 3; p++) {
    ami_sim_phase *ph = &wc->phase[p];
    ph->u_rms = 230;
    ph->i_rms = 7 + 5 * p;
    ph->alpha = alpha[p];
    ph->phi = 25 - 20 * (double)p;
    ph->n_harm = 3;
    ph->harm[0] = (ami_sim_harmonic){3, 0.02, 10, 0.3, -30};
    ph->harm[1] = (ami_sim_harmonic){5, 0.04, 20, 0.15, 60};
    ph->harm[2] = (ami_sim_harmonic){31, 0.001, 0, 0.02, 90};
    ph->u_gain_error = 0.001 * p;
    ph->i_gain_error = -0.002;
    ph->u_offset = (int32_t)p - 1;
    ph->i_offset = 3;
  }
  wc->phase[1].i_skew = 0.37;
}

/* The defining formula of ami_sim_wave.h for channel `c` at sample n, in
 * codes before noise and rounding. With f / fs = 1/64 the cycle position
 * is exact in integers however large n is; otherwise n must be small. */
static double cycles(const ami_sim_wave_config *wc, uint64_t n, unsigned h) {
  if (wc->sample_rate_hz == 64 * wc->frequency_hz)
    return (double)(h * n % 64) / 64;
  return fmod((double)(h * n) * wc->frequency_hz / wc->sample_rate_hz, 1.0);
}

static double direct(const ami_sim_wave_config *wc, unsigned c, uint64_t n) {
  double su = wc->u_full_scale / ldexp(1.0, (int)wc->adc_bits - 1);
  double si = wc->i_full_scale / ldexp(1.0, (int)wc->adc_bits - 1);
  if (c == 2 * wc->phases) { /* neutral: the sum of the phase currents */
    double s = 0;
    for (unsigned p = 0; p < wc->phases; p++) {
      const ami_sim_phase *ph = &wc->phase[p];
      s += (direct(wc, 2 * p + 1, n) - ph->i_offset) / (1 + ph->i_gain_error);
    }
    return s;
  }
  const ami_sim_phase *ph = &wc->phase[c / 2];
  bool cur = c & 1;
  double skew = /* cycles */
      cur ? ph->i_skew * wc->frequency_hz / wc->sample_rate_hz : 0;
  double base = cur ? ph->i_rms : ph->u_rms;
  double x = sqrt(2.0) * base *
             cos(2 * PI * (cycles(wc, n, 1) + skew) + ph->alpha * PI / 180 -
                 (cur ? ph->phi * PI / 180 : 0));
  for (unsigned k = 0; k < ph->n_harm; k++) {
    const ami_sim_harmonic *h = &ph->harm[k];
    double r = cur ? h->i_ratio : h->u_ratio;
    double th = cur ? h->i_phase : h->u_phase;
    double q = cycles(wc, n, h->order) + h->order * skew;
    x += sqrt(2.0) * base * r *
         cos(2 * PI * q + (h->order * ph->alpha + th) * PI / 180);
  }
  double gain = cur ? ph->i_gain_error : ph->u_gain_error;
  double off = cur ? ph->i_offset : ph->u_offset;
  return x / (cur ? si : su) * (1 + gain) + off;
}

/* Without noise, every code is the directly evaluated formula rounded (a
 * code off by one only where the exact value is within rounding of a
 * half), at the start (at 49.87 Hz, and at 50 Hz / 3200 Hz), a year (1.3e11
 * samples) and 2^52 samples into the
 * stream: the phase never degrades. */
static void test_matches_direct_formula(void **state) {
  (void)state;
  enum { FRAMES = 2000, CH = 7 };
  static int32_t s[FRAMES * CH];
  ami_sim_wave_config wc;
  const uint64_t starts[4] = {0, 0, 4096ull * 86400 * 365 + 37,
                              (1ull << 52) - 1000};
  for (int k = 0; k < 4; k++) {
    config3(&wc, 32, 0); /* 49.87 Hz at 4 kHz */
    if (k > 0) {
      wc.sample_rate_hz = 3200;
      wc.frequency_hz = 50; /* f / fs = 1/64 */
    }
    ami_sim_wave w;
    ami_sim_wave_init(&w, &wc);
    w.n = starts[k];
    ami_sim_wave_generate(&w, s, FRAMES);
    assert_true(w.n == starts[k] + FRAMES);
    unsigned off = 0;
    double worst = 0;
    for (unsigned f = 0; f < FRAMES; f++)
      for (unsigned c = 0; c < CH; c++) {
        double x = direct(&wc, c, starts[k] + f);
        double d = fabs((double)s[f * CH + c] - x);
        if (d > worst)
          worst = d;
        if ((double)s[f * CH + c] != nearbyint(x))
          off++;
      }
    /* 32-bit codes, amplitudes near 2^30: rounding stays below 1e-3. */
    assert_true(worst <= 0.5 + 1e-3);
    assert_true(off <= 2);
  }
}

/* The same codes whatever the calls' sizes (including calls that start in
 * the middle of the synthesizer's phasor blocks), with noise and dips. */
static void test_split_independent(void **state) {
  (void)state;
  enum { FRAMES = 1500, CH = 7 };
  static int32_t a[FRAMES * CH], b[FRAMES * CH];
  ami_sim_wave_config wc;
  config3(&wc, 24, 12);
  wc.n_dips = 1;
  wc.dips[0] = (ami_sim_dip){0.1, 0.2, 0.5, 0x5};
  ami_sim_wave w;
  ami_sim_wave_init(&w, &wc);
  ami_sim_wave_generate(&w, a, FRAMES);
  srand(11);
  for (int trial = 0; trial < 30; trial++) {
    ami_sim_wave_init(&w, &wc);
    size_t at = 0;
    while (at < FRAMES) {
      size_t k = trial == 0 ? 1 : (size_t)rand() % 150;
      if (k > FRAMES - at)
        k = FRAMES - at;
      ami_sim_wave_generate(&w, b + at * CH, k);
      at += k;
    }
    assert_memory_equal(a, b, sizeof a);
  }
  /* the dip is there: phase 1 voltage halved, phase 2 not */
  double pk0 = 0, pk1 = 0, pk2 = 0;
  for (unsigned f = 440; f < 760; f++) {
    pk0 = fmax(pk0, fabs((double)a[f * CH]));
    pk1 = fmax(pk1, fabs((double)a[f * CH + 2]));
    pk2 = fmax(pk2, fabs((double)a[f * CH + 4]));
  }
  assert_true(fabs(pk0 / pk1 - 0.5) < 0.01);
  assert_true(fabs(pk2 / pk1 - 0.5) < 0.01);
}

/* The noise on a zero signal: mean, variance and the tails of a normal
 * distribution (including beyond the ziggurat's base layer, R = 3.654),
 * reproducible by seed, different between seeds. */
static void test_noise_gaussian(void **state) {
  (void)state;
  enum { FRAMES = 100000 };
  static int32_t s[FRAMES * 2], t[FRAMES * 2];
  const double sigma = 100;
  ami_sim_wave_config wc;
  memset(&wc, 0, sizeof wc);
  wc.phases = 1;
  wc.sample_rate_hz = 4000;
  wc.frequency_hz = 50;
  wc.adc_bits = 24;
  wc.u_full_scale = wc.i_full_scale = 1;
  wc.noise_lsb = sigma;
  wc.seed = 2026;
  ami_sim_wave w;
  ami_sim_wave_init(&w, &wc);
  ami_sim_wave_generate(&w, s, FRAMES);
  const size_t n = 2 * FRAMES;
  double sum = 0, sum2 = 0, sum4 = 0;
  size_t over1 = 0, over2 = 0, over3 = 0, over_r = 0;
  for (size_t k = 0; k < n; k++) {
    double z = (double)s[k] / sigma;
    sum += z;
    sum2 += z * z;
    sum4 += z * z * z * z;
    over1 += fabs(z) > 1;
    over2 += fabs(z) > 2;
    over3 += fabs(z) > 3;
    over_r += fabs(z) > 3.7;
  }
  double mean = sum / (double)n, var = sum2 / (double)n - mean * mean;
  assert_true(fabs(mean) < 4 / sqrt((double)n));
  assert_true(fabs(var - 1) < 0.015);                          /* ~5 sigma */
  assert_true(fabs(sum4 / (double)n / (var * var) - 3) < 0.1); /* kurtosis */
  /* P(|z| > 1, 2, 3, 3.7) = 0.31731, 0.045500, 0.0026998, 0.00021564 */
  assert_true(fabs((double)over1 / (double)n - 0.31731) < 0.005);
  assert_true(fabs((double)over2 / (double)n - 0.045500) < 0.0025);
  assert_true(fabs((double)over3 / (double)n - 0.0026998) < 0.0006);
  assert_true(over_r > 15 && over_r < 80); /* expected 43 */
  /* same seed, same codes; another seed, other codes */
  ami_sim_wave_init(&w, &wc);
  ami_sim_wave_generate(&w, t, FRAMES);
  assert_memory_equal(s, t, sizeof s);
  wc.seed = 2027;
  ami_sim_wave_init(&w, &wc);
  ami_sim_wave_generate(&w, t, 1000);
  assert_true(memcmp(s, t, 1000 * 2 * sizeof(int32_t)) != 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_matches_direct_formula),
      cmocka_unit_test(test_split_independent),
      cmocka_unit_test(test_noise_gaussian),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
