/*
 * ami_sim_wave.h -- a waveform synthesizer with analytic truth, for testing
 * and characterising the metrology engine (ami_metrology.h).
 *
 * Each phase p has a fundamental and up to AMI_SIM_MAX_HARM harmonics:
 *   u_p(t) = sqrt2 U sum_h ru_h cos(h (w t + alpha_p) + thu_h)
 *   i_p(t) = sqrt2 I sum_h ri_h cos(h (w t + alpha_p) - phi [h=1] + thi_h)
 * with ru_1 = ri_1 = 1, thu_1 = thi_1 = 0, and phi the angle by which the
 * fundamental current lags (inductive > 0). Samples are ADC codes:
 * round(x / lsb * (1 + gain_error) + offset + gaussian noise), clamped to
 * the ADC range, with lsb = full_scale / 2^(bits-1); the current channel
 * may be sampled `i_skew` sample periods after the voltage channel.
 *
 * Truth (ami_sim_wave_truth) is computed in closed form, by the same
 * definitions as the engine: active energy = the exact integral of u*i over
 * [t0, t1) (all cross terms included); P = sum_h Uh Ih cos; reactive "true"
 * = Budeanu sum_h Uh Ih sin(phi_h); fundamental Q1 = U1 I1 sin(phi1);
 * S = Urms Irms; THD = sqrt(sum_{h>=2} Uh^2) / U1.
 */
#ifndef AMI_SIM_WAVE_H
#define AMI_SIM_WAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_metro_readout.h"
#include "ami/ami_metrology.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMI_SIM_MAX_HARM 8
#define AMI_SIM_MAX_DIPS 4

typedef struct ami_sim_harmonic {
  unsigned order; /* 2..31 (higher orders are not synthesized) */
  double u_ratio; /* amplitude relative to the fundamental */
  double u_phase; /* degrees, thu_h above */
  double i_ratio;
  double i_phase; /* degrees, thi_h above */
} ami_sim_harmonic;

typedef struct ami_sim_phase {
  double u_rms; /* V, fundamental */
  double i_rms; /* A, fundamental */
  double alpha; /* degrees, phase position (0, -120, +120) */
  double phi;   /* degrees, current lag of the fundamental */
  ami_sim_harmonic harm[AMI_SIM_MAX_HARM];
  unsigned n_harm;
  double u_gain_error, i_gain_error; /* relative, e.g. 0.01 = +1 % */
  int32_t u_offset, i_offset;        /* ADC codes added */
  double i_skew;                     /* samples, current sampled later */
} ami_sim_phase;

/* A voltage event: between t_start and t_end (s) the voltage of the phases
 * in `phase_mask` (bit p) is multiplied by `factor`. */
typedef struct ami_sim_dip {
  double t_start, t_end, factor;
  unsigned phase_mask;
} ami_sim_dip;

typedef struct ami_sim_wave_config {
  unsigned phases;      /* 1 or 3 */
  bool neutral_channel; /* append the sum of the phase currents */
  double sample_rate_hz;
  double frequency_hz;
  ami_sim_phase phase[AMI_METRO_MAX_PHASES];
  unsigned adc_bits;   /* 2..32 */
  double u_full_scale; /* V peak at the largest code */
  double i_full_scale; /* A peak at the largest code */
  double noise_lsb;    /* gaussian sigma, codes, on every channel */
  uint64_t seed;       /* PRNG seed (same seed, same samples) */
  ami_sim_dip dips[AMI_SIM_MAX_DIPS];
  unsigned n_dips;
} ami_sim_wave_config;

typedef struct ami_sim_wave {
  ami_sim_wave_config cfg;
  uint64_t n; /* next sample index */
  uint64_t rng;
} ami_sim_wave;

/* Truth for one phase (or the neutral), SI units. */
typedef struct ami_sim_truth {
  double energy_j; /* exact integral of u*i over [t0, t1) */
  double p, q_true, q_fund, s, urms, irms, thd_u, thd_i;
} ami_sim_truth;

/* Copies `cfg` (borrowed) and rewinds to sample 0. */
void ami_sim_wave_init(ami_sim_wave *w, const ami_sim_wave_config *cfg);

/* Writes `frames` frames in the engine's layout (u1,i1[,u2,i2,u3,i3][,in])
 * into `out` (borrowed, frames * channels int32) and advances. The samples
 * depend only on the configuration and the sample index: splitting a
 * stream into calls of any sizes gives the same codes. */
void ami_sim_wave_generate(ami_sim_wave *w, int32_t *out, size_t frames);

/* Channels per frame for this configuration. */
unsigned ami_sim_wave_channels(const ami_sim_wave_config *cfg);

/* Analytic truth of phase `p` for the steady (dip-free) signal over
 * [t0, t1) seconds (t = n / fs is the instant of sample n). */
void ami_sim_wave_truth(const ami_sim_wave_config *cfg, unsigned p, double t0,
                        double t1, ami_sim_truth *out);

/* RMS of the true neutral current (vector sum of the phase currents). */
double ami_sim_wave_neutral_rms(const ami_sim_wave_config *cfg);

/* ADC gain (physical units per code) of the voltage / current channels:
 * what a perfectly calibrated engine uses. */
double ami_sim_wave_u_lsb(const ami_sim_wave_config *cfg);
double ami_sim_wave_i_lsb(const ami_sim_wave_config *cfg);

/* ---- running the engine against the truth ------------------------------ */

/* Energies (net, summed over the phases) measured by the engine and their
 * truth over exactly the span the registers cover, and relative errors. */
typedef struct ami_sim_metro_result {
  double p_meas_j, p_true_j;          /* active, import - export */
  double q_meas, q_true;              /* "true" reactive, var.s, Q1+Q2-Q3-Q4 */
  double qf_meas, qf_true;            /* fundamental reactive, var.s */
  double s_meas, s_true;              /* apparent, VA.s */
  double err_p, err_q, err_qf, err_s; /* (meas - true) / |true| */
} ami_sim_metro_result;

/* Synthesizes `seconds` of `wc`, feeds it to `m` (caller-provided state,
 * initialised here from `mc`) in blocks of `block` frames (1..256), and
 * compares the registers (read with their exact sub-mWh fraction) with the
 * analytic truth over ami_metrology_span. `s_ref` > 0 makes the reactive
 * errors relative to s_ref (VA) instead of |Q| (for Q near 0). Returns
 * AMI_OK or the error of ami_metrology_init. */
int ami_sim_metro_run(const ami_sim_wave_config *wc,
                      const ami_metrology_config *mc, double seconds,
                      size_t block, double s_ref, ami_metrology *m,
                      ami_sim_metro_result *out);

/* A register's value in mWh including its fraction. */
double ami_sim_metro_reg(const ami_metro_reg *r);

#ifdef __cplusplus
}
#endif
#endif /* AMI_SIM_WAVE_H */
