/*
 * bench_metrology.c -- cost of the metrology engine per sample per phase
 * (target <= 50 ns), on one second of a three-phase 4 kHz stream with a 5th
 * harmonic and ADC noise, and on a single-phase 8 kHz stream.
 *
 * Peer: no metrology engine is packaged by Debian, so the comparison is
 * with a naive double-precision reference written here that produces the
 * same quantities the straightforward way: physical values per sample,
 * sums of u*i, u^2, i^2 per nominal cycle, and harmonics 1..31 by a direct
 * DFT of each cycle (cos/sin tables, not frequency-tracked). Same input,
 * same process; the ratio is theirs / ours.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_metrology.h"
#include "ami/ami_sim_wave.h"
#include "bench.h"

#define NAIVE_MAXN 200

/* The naive reference: one phase's state. */
typedef struct naive_phase {
  double p, u2, i2, e;
  double bu[NAIVE_MAXN], bi[NAIVE_MAXN];
  double hu[32], hi[32], qt;
} naive_phase;

typedef struct naive {
  unsigned phases, channels, n_cycle, k;
  double gu, gi, ts;
  double c[32][NAIVE_MAXN], s[32][NAIVE_MAXN];
  naive_phase ph[3];
} naive;

static void naive_init(naive *nv, unsigned phases, double fs, double gu,
                       double gi) {
  memset(nv, 0, sizeof *nv);
  nv->phases = phases;
  nv->channels = 2 * phases;
  nv->n_cycle = (unsigned)lround(fs / 50.0);
  nv->gu = gu;
  nv->gi = gi;
  nv->ts = 1.0 / fs;
  for (unsigned h = 0; h < 32; h++)
    for (unsigned j = 0; j < nv->n_cycle; j++) {
      double a = 2 * 3.14159265358979323846 * h * j / nv->n_cycle;
      nv->c[h][j] = cos(a);
      nv->s[h][j] = -sin(a);
    }
}

static void naive_cycle(naive *nv, naive_phase *ph) {
  unsigned N = nv->n_cycle;
  ph->qt = 0;
  for (unsigned h = 1; h < 32; h++) {
    double ur = 0, ui = 0, ir = 0, ii = 0;
    for (unsigned j = 0; j < N; j++) {
      ur += ph->bu[j] * nv->c[h][j];
      ui += ph->bu[j] * nv->s[h][j];
      ir += ph->bi[j] * nv->c[h][j];
      ii += ph->bi[j] * nv->s[h][j];
    }
    ph->hu[h] = (ur * ur + ui * ui) * 2 / ((double)N * N);
    ph->hi[h] = (ir * ir + ii * ii) * 2 / ((double)N * N);
    ph->qt += (ui * ir - ur * ii) * 2 / ((double)N * N);
  }
  ph->e += ph->p * nv->ts;
  ph->p = ph->u2 = ph->i2 = 0;
}

static void naive_feed(naive *nv, const int32_t *s, size_t frames) {
  for (size_t k = 0; k < frames; k++) {
    const int32_t *f = s + k * nv->channels;
    for (unsigned p = 0; p < nv->phases; p++) {
      naive_phase *ph = &nv->ph[p];
      double u = nv->gu * f[2 * p], i = nv->gi * f[2 * p + 1];
      ph->p += u * i;
      ph->u2 += u * u;
      ph->i2 += i * i;
      ph->bu[nv->k] = u;
      ph->bi[nv->k] = i;
    }
    if (++nv->k == nv->n_cycle) {
      for (unsigned p = 0; p < nv->phases; p++)
        naive_cycle(nv, &nv->ph[p]);
      nv->k = 0;
    }
  }
}

typedef struct metro_job {
  int32_t *buf;
  size_t frames;
  ami_metrology m;
  naive nv;
} metro_job;

static void run_ours(void *arg) {
  metro_job *j = arg;
  ami_metrology_feed(&j->m, j->buf, j->frames);
  bench_consume((uint64_t)j->m.reg[0].p_imp.whole);
}

static void run_naive(void *arg) {
  metro_job *j = arg;
  naive_feed(&j->nv, j->buf, j->frames);
  bench_consume((uint64_t)j->nv.ph[0].e);
}

static int one(const char *what, unsigned phases, double fs) {
  metro_job *j = calloc(1, sizeof *j);
  if (!j)
    return 1;
  ami_sim_wave_config wc;
  memset(&wc, 0, sizeof wc);
  wc.phases = phases;
  wc.sample_rate_hz = fs;
  wc.frequency_hz = 50;
  wc.adc_bits = 24;
  wc.u_full_scale = 230 * 1.414 * 1.6;
  wc.i_full_scale = 100 * 1.414 * 1.8;
  wc.noise_lsb = 16;
  wc.seed = 3;
  for (unsigned p = 0; p < phases; p++) {
    wc.phase[p].u_rms = 230;
    wc.phase[p].i_rms = 40;
    wc.phase[p].alpha = -120.0 * p;
    wc.phase[p].phi = 30;
    wc.phase[p].n_harm = 1;
    wc.phase[p].harm[0] = (ami_sim_harmonic){5, 0.1, 0, 0.4, 0};
  }
  j->frames = (size_t)fs; /* one second = 50 whole cycles: loops seamlessly */
  j->buf = malloc(j->frames * 2 * phases * sizeof(int32_t));
  if (!j->buf) {
    free(j);
    return 1;
  }
  ami_sim_wave w;
  ami_sim_wave_init(&w, &wc);
  ami_sim_wave_generate(&w, j->buf, j->frames);
  ami_metrology_config mc;
  memset(&mc, 0, sizeof mc);
  mc.phases = (uint8_t)phases;
  mc.sample_rate_hz = (uint32_t)fs;
  mc.nominal_voltage_mv = 230000;
  mc.nominal_frequency_mhz = 50000;
  for (unsigned p = 0; p < phases; p++) {
    mc.cal[p].voltage.gain = ami_sim_wave_u_lsb(&wc);
    mc.cal[p].current.gain = ami_sim_wave_i_lsb(&wc);
  }
  int rc = ami_metrology_init(&j->m, &mc);
  naive_init(&j->nv, phases, fs, ami_sim_wave_u_lsb(&wc),
             ami_sim_wave_i_lsb(&wc));
  if (rc != 0)
    return 1;
  /* Same outputs: after one second both agree on the active energy. */
  run_ours(j);
  run_naive(j);
  uint64_t na;
  double nr;
  ami_metrology_span(&j->m, &na, &nr);
  ami_sim_truth to, tn;
  double ts = 1.0 / fs;
  ami_sim_wave_truth(&wc, 0, -0.5 * ts, ((double)na - 0.5) * ts, &to);
  ami_sim_wave_truth(&wc, 0, -0.5 * ts, ((double)j->frames - 0.5) * ts, &tn);
  double ours_j = 3.6 * ami_sim_metro_reg(&j->m.reg[0].p_imp);
  double naive_j = j->nv.ph[0].e;
  if (fabs(ours_j / to.energy_j - 1) > 2e-4 ||
      fabs(naive_j / tn.energy_j - 1) > 2e-4) {
    fprintf(stderr, "bench_metrology: wrong energy (%g / %g, %g / %g J)\n",
            ours_j, to.energy_j, naive_j, tn.energy_j);
    return 1;
  }
  double per = (double)j->frames * phases;
  double t_o = bench_best(run_ours, j, bench_calibrate(run_ours, j, 0.1), 5);
  double t_n = bench_best(run_naive, j, bench_calibrate(run_naive, j, 0.1), 5);
  char o[32], n[32], r[32];
  snprintf(o, sizeof o, "%.1f ns", t_o / per * 1e9);
  snprintf(n, sizeof n, "%.1f ns (naive ref.)", t_n / per * 1e9);
  snprintf(r, sizeof r, "%.2fx", t_n / t_o);
  bench_row(what, o, n, r);
  free(j->buf);
  free(j);
  return 0;
}

int bench_metrology(void) {
  int rc = 0;
  rc |= one("metrology, 3 ph 4 kHz, per sample per phase", 3, 4000);
  rc |= one("metrology, 1 ph 8 kHz, per sample per phase", 1, 8000);
  return rc;
}
