/*
 * metro_table.c -- `ami_metro_table`: the accuracy table of the metrology
 * engine against analytic truth, written as Markdown (docs/metrology.md is
 * this program's output: `make metrology-table`).
 *
 * Grid: current (% of Imax) x power factor x condition. Each cell runs a
 * three-phase meter (230 V, Imax 100 A, 4 kHz) on an ami_sim_wave signal
 * for CELL_SECONDS and compares the energy registers, read with their exact
 * sub-mWh fraction, with the closed-form truth over the span they cover.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ami/ami_metrology.h"
#include "ami/ami_sim_wave.h"

#define CELL_SECONDS 5.0
#define FS           4000.0
#define UNOM         230.0
#define IMAX         100.0

static const double currents[] = {0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 120};
#define N_CUR (sizeof currents / sizeof currents[0])

typedef struct pf_case {
  const char *name;
  double phi; /* degrees, current lag */
} pf_case;
static const pf_case pfs[] = {
    {"1", 0}, {"0.5 ind", 60}, {"0.8 cap", -36.869897645844021}};
#define N_PF 3

enum { C_CLEAN, C_HARM, C_FLOW, C_FHIGH, C_NOISE, N_COND };
static const char *cond_name[N_COND] = {"clean", "harmonics", "f -5 %",
                                        "f +5 %", "noise+quant."};

/* Builds the signal of one cell. */
static void make_wave(ami_sim_wave_config *wc, double cur_pct, double phi,
                      int cond) {
  memset(wc, 0, sizeof *wc);
  wc->phases = 3;
  wc->sample_rate_hz = FS;
  wc->frequency_hz = cond == C_FLOW ? 47.5 : cond == C_FHIGH ? 52.5 : 50.0;
  wc->adc_bits = cond == C_NOISE ? 24 : 32;
  wc->u_full_scale = UNOM * sqrt(2.0) * 1.6;
  wc->i_full_scale = IMAX * sqrt(2.0) * 1.2 * 1.5;
  wc->noise_lsb = cond == C_NOISE ? 16.0 : 0.0;
  wc->seed = 0x5EED0000u + (uint64_t)(cur_pct * 1000) + (uint64_t)phi;
  const double alpha[3] = {0, -120, 120};
  for (unsigned p = 0; p < 3; p++) {
    ami_sim_phase *ph = &wc->phase[p];
    ph->u_rms = UNOM;
    ph->i_rms = IMAX * cur_pct / 100.0;
    ph->alpha = alpha[p];
    ph->phi = phi;
    if (cond == C_HARM) {
      ph->n_harm = 1;
      ph->harm[0] = (ami_sim_harmonic){5, 0.10, 20.0, 0.40, -40.0};
    }
  }
}

static void make_config(ami_metrology_config *mc,
                        const ami_sim_wave_config *wc) {
  memset(mc, 0, sizeof *mc);
  mc->phases = 3;
  mc->sample_rate_hz = (uint32_t)FS;
  mc->nominal_voltage_mv = (uint32_t)(UNOM * 1000);
  mc->nominal_frequency_mhz = 50000;
  mc->start_current_ma = 10; /* 0.01 % of Imax */
  for (unsigned p = 0; p < 3; p++) {
    mc->cal[p].voltage.gain = ami_sim_wave_u_lsb(wc);
    mc->cal[p].current.gain = ami_sim_wave_i_lsb(wc);
  }
}

static ami_metrology engine; /* large: not on the stack */

/* One phase, one harmonic of `order` at 5 % in U and 10 % in I, 1 s:
 * relative error of the measured U harmonic ratio; also the frequency. */
static double harmonic_error(double fs, double f, unsigned order,
                             double *freq_err) {
  ami_sim_wave_config wc;
  memset(&wc, 0, sizeof wc);
  wc.phases = 1;
  wc.sample_rate_hz = fs;
  wc.frequency_hz = f;
  wc.adc_bits = 32;
  wc.u_full_scale = UNOM * sqrt(2.0) * 1.6;
  wc.i_full_scale = IMAX * sqrt(2.0) * 1.8;
  wc.phase[0].u_rms = UNOM;
  wc.phase[0].i_rms = 10;
  wc.phase[0].phi = 30;
  wc.phase[0].n_harm = order > 1 ? 1 : 0;
  wc.phase[0].harm[0] = (ami_sim_harmonic){order, 0.05, 30, 0.10, -60};
  ami_metrology_config mc;
  make_config(&mc, &wc);
  mc.phases = 1;
  mc.sample_rate_hz = (uint32_t)fs;
  ami_sim_metro_result r;
  ami_sim_metro_run(&wc, &mc, 1.0, 200, 0, &engine, &r);
  *freq_err = engine.frequency - f;
  return order > 1 ? engine.win[0].harm_u[order] / 0.05 - 1 : 0;
}

/* Worst relative error over eight simultaneous 5 % harmonics. */
static double stress_error(double fs, double f) {
  static const unsigned ords[8] = {3, 7, 11, 15, 19, 23, 27, 31};
  ami_sim_wave_config wc;
  memset(&wc, 0, sizeof wc);
  wc.phases = 1;
  wc.sample_rate_hz = fs;
  wc.frequency_hz = f;
  wc.adc_bits = 32;
  wc.u_full_scale = UNOM * sqrt(2.0) * 2.0;
  wc.i_full_scale = IMAX * sqrt(2.0) * 1.8;
  wc.phase[0].u_rms = UNOM;
  wc.phase[0].i_rms = 10;
  wc.phase[0].n_harm = 8;
  for (unsigned k = 0; k < 8; k++)
    wc.phase[0].harm[k] = (ami_sim_harmonic){ords[k], 0.05, 10.0 * k, 0.05, 0};
  ami_metrology_config mc;
  make_config(&mc, &wc);
  mc.phases = 1;
  mc.sample_rate_hz = (uint32_t)fs;
  ami_sim_metro_result r;
  ami_sim_metro_run(&wc, &mc, 1.0, 200, 0, &engine, &r);
  double worst = 0;
  for (unsigned k = 0; k < 8; k++) {
    double e = engine.win[0].harm_u[ords[k]] / 0.05 - 1;
    if (fabs(e) > fabs(worst))
      worst = e;
  }
  return worst;
}

static void harmonics_table(void) {
  static const unsigned orders[] = {2,  3,  5,  7,  11, 13, 15,
                                    17, 19, 23, 25, 29, 31};
  static const double fs[4] = {4000, 4000, 8000, 8000};
  static const double fr[4] = {50, 47.5, 50, 52.5};
  printf("## Harmonic magnitudes and frequency\n\n");
  printf("One phase, the fundamental plus ONE harmonic at 5 %% in U (and 10 "
         "%% in I), 1 s, clean\n32-bit codes. Error of the measured U "
         "harmonic ratio (10/12-cycle window), %% of reading.\nIEC "
         "61000-4-7 class I allows 5 %% of reading. Each cycle is resampled "
         "with 6-point Lagrange\ninterpolation (exact to 1e-9 at the "
         "fundamental, lossy towards fs/2); the engine divides\neach "
         "harmonic by the interpolator's mean response at its frequency, "
         "which leaves these errors.\n\n");
  printf("| order |");
  for (int k = 0; k < 4; k++)
    printf(" %g Hz @ %g kHz |", fr[k], fs[k] / 1000);
  printf("\n|---:|---:|---:|---:|---:|\n");
  double fe[4] = {0};
  for (size_t o = 0; o < sizeof orders / sizeof orders[0]; o++) {
    printf("| %u |", orders[o]);
    for (int k = 0; k < 4; k++) {
      double e = 100 * harmonic_error(fs[k], fr[k], orders[o], &fe[k]);
      printf(" %+.3f |", e);
    }
    printf("\n");
  }
  /* Stress: eight strong harmonics at once. */
  printf("| 8 at once, worst |");
  for (int k = 0; k < 4; k++)
    printf(" %+.3f |", 100 * stress_error(fs[k], fr[k]));
  printf("\n\nThe last row has 5 %% at each of the orders 3, 7, 11, 15, 19, "
         "23, 27, 31 together. The\ninterpolation error varies with the "
         "sampling fraction, which at 50 Hz / 4 kHz repeats every\n4 of the "
         "64 points (80 samples per cycle): a strong harmonic above fs/4 then "
         "folds a spur of\nabout a fifth of its amplitude onto the order 16 "
         "below it (31 -> 15, 27 -> 11, ...). With\nsuch content, sample at "
         ">= 6.4 kHz for class I harmonics (active energy is unaffected).\n");
  printf("\nFrequency error (low-passed U1 zero crossings, sub-sample linear "
         "interpolation, over the window):\n\n| signal |");
  for (int k = 0; k < 4; k++)
    printf(" %g Hz @ %g kHz |", fr[k], fs[k] / 1000);
  printf("\n|---|---:|---:|---:|---:|\n| clean | ");
  for (int k = 0; k < 4; k++) {
    harmonic_error(fs[k], fr[k], 1, &fe[k]);
    printf(" %+.4f mHz |", fe[k] * 1000);
  }
  printf("\n| 5 %% 31st harmonic |");
  for (int k = 0; k < 4; k++) {
    harmonic_error(fs[k], fr[k], 31, &fe[k]);
    printf(" %+.4f mHz |", fe[k] * 1000);
  }
  printf("\n\n");
}

int main(void) {
  static ami_sim_metro_result res[N_CUR][N_PF][N_COND];
  double worst_p[N_COND] = {0}, worst_q[N_COND] = {0}, worst_qf[N_COND] = {0};
  int fails = 0;
  for (size_t c = 0; c < N_CUR; c++)
    for (int f = 0; f < N_PF; f++)
      for (int k = 0; k < N_COND; k++) {
        ami_sim_wave_config wc;
        ami_metrology_config mc;
        make_wave(&wc, currents[c], pfs[f].phi, k);
        make_config(&mc, &wc);
        /* At PF 1 the reactive truth is ~0: errors relative to S. */
        double sref = f == 0 ? 3 * UNOM * IMAX * currents[c] / 100.0 : 0;
        ami_sim_metro_run(&wc, &mc, CELL_SECONDS, 200, sref, &engine,
                          &res[c][f][k]);
      }

  printf("# Metrology accuracy against analytic truth\n\n");
  printf("Generated by `make metrology-table` (bench/metro_table.c); do not "
         "edit.\n\n");
  printf("Meter: three phases, 230 V, Imax = %.0f A, 4 kHz sampling, 50 Hz "
         "nominal.\nEach cell: %.0f s of ami_sim_wave signal fed in blocks of "
         "200 frames; the engine's\nregisters (with their exact sub-mWh "
         "fraction) against the closed-form truth over\nthe span the "
         "registers cover (ami_metrology_span). Error = (measured - true) / "
         "|true|, in %%.\n\n",
         IMAX, CELL_SECONDS);
  printf("Conditions: *clean* = 32-bit codes, no noise; *harmonics* = 5th "
         "harmonic at 10 %% in U (20 deg)\nand 40 %% in I (-40 deg); *f -5 "
         "%%* / *f +5 %%* = 47.5 / 52.5 Hz; *noise+quant.* = 24-bit ADC\n"
         "(full scale 1.6 x Unom peak, 1.8 x Imax peak) with gaussian noise "
         "sigma = 16 LSB on every channel.\n\n");
  printf("Reactive \"true\" = Budeanu, sum_h Uh Ih sin(phi_h) (the mean of i "
         "times the Hilbert transform of u);\nfundamental = U1 I1 sin(phi1) "
         "(IEC 62053-24). At PF 1 the reactive truth is ~0, so those rows "
         "give\nthe reactive error relative to the apparent power S "
         "instead.\n\n");
  printf("Targets: active +/-0.02 %% from 1 %% to 120 %% of Imax, +/-0.05 %% "
         "below; reactive +/-0.1 %%.\n\n");
  printf("Duration: with independent noise (sigma, in A) on the current, "
         "the relative error of the\nmeasured energy has a standard "
         "deviation of about sigma / (I cos(phi) sqrt(N)) for N samples.\n"
         "At 0.1 %% of Imax (0.1 A), PF 0.5 and sigma = 16 LSB (0.49 mA "
         "here) that is about 0.007 %%\nfor N = 20,000 (5 s at 4 kHz): the "
         "0.05 %% target is 7 sigma away; the unit test's 2 s cells\n"
         "keep 4.5 sigma.\n\n");
  printf("How the engine gets there (details in "
         "lib/metrology/ami_metrology.c): active energy is\nthe plain sum of "
         "u*i over the samples of each cycle (exact for band-limited "
         "signals, no\nfilter in the path); reactive, apparent, RMS and "
         "harmonics come from a 64-point FFT of each\nfundamental cycle, "
         "resampled synchronously to the measured zero crossings, so "
         "off-nominal\nfrequency causes no leakage; registers are integers "
         "in 2^-40 mWh, so nothing is lost.\n\n");

  printf(
      "## The engine in brief\n\n"
      "- API (include/ami/ami_metrology.h): `ami_metrology_init(state, "
      "config)`, `ami_metrology_feed(state,\n  samples, frames)` with "
      "interleaved int32 frames u1,i1[,u2,i2,u3,i3][,in], "
      "`ami_metrology_readout(state,\n  ami_metro_readout *)`, "
      "`ami_metrology_software_id()`. The state is caller-provided; no "
      "heap, no I/O.\n"
      "- Calibration per channel: gain (V or A per code) and offset "
      "(codes); per phase: the current's\n  sampling delay in -1..1 "
      "sample, compensated by an integer delay and a Thiran all-pass.\n"
      "- Active energy: sum of u*i per fundamental cycle, import/export by "
      "the cycle's net sign. Reactive:\n  fundamental Q1 = U1 I1 "
      "sin(phi1) and Budeanu Q over harmonics 1..31, booked by quadrant "
      "(IEC\n  62053-24: Q1 P>=0 Q>=0, Q2 P<0 Q>=0, Q3 P<0 Q<0, Q4 P>=0 "
      "Q<0). Apparent: Urms * Irms per cycle.\n"
      "- Registers: int64 mWh plus an exact 40-bit binary fraction; the only "
      "rounding is once per cycle\n  (<= 2^-41 mWh), so ten years of a 74 "
      "kW meter stay within 1 mWh of exact arithmetic.\n"
      "- Creep (IEC 62053-22 §8.3.2/8.3.3): a phase whose cycle RMS current "
      "is below the configured\n  starting current books no energy.\n"
      "- Power quality (IEC 61000-4-30 §5.4): Urms(1/2) per phase over one "
      "cycle from its own zero\n  crossing, refreshed every half cycle; "
      "dips < 90 %%, swells > 110 %%, interruptions < 5 %% of\n  nominal, "
      "2 %% hysteresis, polyphase rules; counts, durations, min/max.\n"
      "- Readout values (RMS, P, Q, S, PF, angles, THD, harmonics, "
      "frequency, neutral) come from\n  10-cycle (50 Hz) or 12-cycle (60 Hz) "
      "windows (IEC 61000-4-7 grouping).\n\n");
  const char *title[3] = {"Active energy",
                          "Reactive energy, true (all harmonics)",
                          "Reactive energy, fundamental only"};
  for (int t = 0; t < 3; t++) {
    printf("## %s\n\n| I (%% Imax) | PF |", title[t]);
    for (int k = 0; k < N_COND; k++)
      printf(" %s |", cond_name[k]);
    printf(" target |\n|---:|---|");
    for (int k = 0; k < N_COND; k++)
      printf("---:|");
    printf("---:|\n");
    for (size_t c = 0; c < N_CUR; c++)
      for (int f = 0; f < N_PF; f++) {
        double target = t > 0 ? 0.1 : currents[c] >= 1 ? 0.02 : 0.05;
        printf("| %g | %s |", currents[c], pfs[f].name);
        for (int k = 0; k < N_COND; k++) {
          const ami_sim_metro_result *r = &res[c][f][k];
          double e = 100 * (t == 0 ? r->err_p : t == 1 ? r->err_q : r->err_qf);
          bool ok = fabs(e) <= target;
          fails += !ok;
          double *worst = t == 0 ? worst_p : t == 1 ? worst_q : worst_qf;
          if (fabs(e) > fabs(worst[k]))
            worst[k] = e;
          printf(" %+.5f %s |", e, ok ? "PASS" : "**FAIL**");
        }
        printf(" +/-%.2f |\n", target);
      }
    printf("\n");
  }
  printf("## Worst error per column (%%)\n\n| quantity |");
  for (int k = 0; k < N_COND; k++)
    printf(" %s |", cond_name[k]);
  printf("\n|---|");
  for (int k = 0; k < N_COND; k++)
    printf("---:|");
  printf("\n");
  const char *qn[3] = {"active", "reactive true", "reactive fundamental"};
  for (int t = 0; t < 3; t++) {
    double *worst = t == 0 ? worst_p : t == 1 ? worst_q : worst_qf;
    printf("| %s |", qn[t]);
    for (int k = 0; k < N_COND; k++)
      printf(" %+.5f |", worst[k]);
    printf("\n");
  }
  printf("\n");
  harmonics_table();
  printf("%s: %d of %d cells outside their target.\n", fails ? "FAIL" : "PASS",
         fails, (int)(3 * N_CUR * N_PF * N_COND));
  return fails ? 1 : 0;
}
