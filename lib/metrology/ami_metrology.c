/*
 * ami_metrology.c -- the metrology engine's signal path: calibration, phase
 * compensation, per-sample accumulation, zero-crossing cycle tracking, and
 * the per-cycle spectral analysis that yields reactive and apparent energy.
 * (Registers, readout and identification: ami_metrology_out.c.)
 *
 * THE MATHS, in one place.
 *
 * Active power (IEC 62053-22 §3, "active power = mean of u*i"): the engine
 * sums u[n]*i[n] over the samples of each fundamental cycle. For a signal
 * band-limited below fs/2 the sampled mean of u*i equals the continuous mean
 * exactly (all product terms are sinusoids that are not aliased to DC), so
 * active energy needs no filter at all: E = gu*gi*Ts*sum(u*i). Every sample
 * belongs to exactly one cycle, so nothing is lost or counted twice.
 * Direction (import/export) is decided per cycle on the net energy of the
 * cycle, the integration period of IEC 62053-22 / 62053-24.
 *
 * Cycle tracking: rising zero crossings of U1, seen through a first-order
 * low-pass at 2.5 x nominal frequency (harmonics and noise bend the
 * waveform near zero; the filter's delay is the same every cycle, so the
 * period is unaffected), armed by a hysteresis (the voltage must first fall
 * below -5 % of the nominal peak), located between two samples by linear
 * interpolation (sub-sample resolution). Cycles
 * shorter than 1/70 Hz are ignored; with no crossing for 1.25 periods (an
 * interruption) the engine free-runs at the last measured period.
 *
 * Spectrum per cycle (IEC 61000-4-7 frequency-tracked analysis): the cycle
 * [t0, t1) is resampled at 64 equidistant points with 6-point Lagrange
 * interpolation, and a 64-point FFT gives the harmonics 0..31 exactly
 * synchronous with the measured fundamental (no leakage from a window that
 * does not hold a whole number of cycles). U and I of a phase share one
 * complex FFT (u as real part, i as imaginary part, separated by symmetry).
 *
 * Reactive power, the definitions used (truth in ami_sim_wave uses the same):
 *  - fundamental (IEC 62053-24 §3): Q1 = U1 I1 sin(phi1), from the h = 1
 *    phasors: Q1 = Im(U1 conj(I1)).
 *  - "true", all harmonics: Budeanu's Q = sum over h = 1..31 of
 *    Uh Ih sin(phi_h), i.e. the mean of i times the Hilbert transform
 *    (90 degrees at every frequency) of u. Signs: positive when the current
 *    lags (inductive). Quadrants (IEC 62053-24 §3.2): Q1 P>=0,Q>=0;
 *    Q2 P<0,Q>=0; Q3 P<0,Q<0; Q4 P>=0,Q<0.
 * Apparent power: S = Urms * Irms per cycle (arithmetic; RMS from the
 * spectrum by Parseval, harmonics 0..31).
 * Reactive and apparent energy = power of the cycle * (t1 - t0) * Ts: the
 * cycles tile time exactly, so these are leak-free too.
 *
 * Phase compensation: a channel is delayed by k + d samples (integer k,
 * d in [0.5, 1.5)) with a delay line and the first-order Thiran all-pass
 * y[n] = a x[n] + x[n-1] - a y[n-1], a = (1-d)/(1+d): unit gain at every
 * frequency and a delay of d samples at low frequency (0.0005 sample off at
 * 50 Hz / 4 kHz, i.e. < 0.00004 rad). Voltages are delayed 1.5 samples,
 * currents 1.5 + phase_delay.
 */
#include "ami/ami_metrology.h"

#include <math.h>
#include <string.h>

#include "ami/ami_err.h"
#include "metro_internal.h"

#define RING_MASK (AMI_METRO_RING - 1)

static double clampd(double x, double lo, double hi) {
  return x < lo ? lo : x > hi ? hi : x;
}

/* Splits a delay of `delay` samples (>= 0.5) into an integer part and a
 * Thiran coefficient whose own delay lies in [0.5, 1.5). */
static void split_delay(double delay, unsigned *k, double *a) {
  double fl = floor(delay - 0.5);
  double d = delay - fl;
  *k = (unsigned)fl;
  *a = (1.0 - d) / (1.0 + d);
}

static bool cal_ok(const ami_metrology_channel_cal *c) {
  return isfinite(c->gain) && c->gain > 0;
}

static int check_config(const ami_metrology_config *c) {
  if (c->phases != 1 && c->phases != 3)
    return AMI_E_INVAL;
  if (c->sample_rate_hz < AMI_METRO_MIN_FS ||
      c->sample_rate_hz > AMI_METRO_MAX_FS)
    return AMI_E_INVAL;
  if (c->nominal_frequency_mhz < 45000 || c->nominal_frequency_mhz > 65000)
    return AMI_E_INVAL;
  if (c->nominal_voltage_mv == 0)
    return AMI_E_INVAL;
  for (unsigned p = 0; p < c->phases; p++) {
    if (!cal_ok(&c->cal[p].voltage) || !cal_ok(&c->cal[p].current))
      return AMI_E_INVAL;
    if (!(fabs(c->cal[p].phase_delay) <= AMI_METRO_MAX_DELAY))
      return AMI_E_INVAL;
  }
  if (c->neutral_channel && !cal_ok(&c->neutral))
    return AMI_E_INVAL;
  return AMI_OK;
}

int ami_metrology_init(ami_metrology *m, const ami_metrology_config *cfg) {
  memset(m, 0, sizeof *m);
  int rc = check_config(cfg);
  if (rc != AMI_OK)
    return rc;
  m->cfg = *cfg;
  ami_metrology_config *c = &m->cfg;
  if (!c->sag_permille)
    c->sag_permille = 900;
  if (!c->swell_permille)
    c->swell_permille = 1100;
  if (!c->interruption_permille)
    c->interruption_permille = 50;
  if (!c->hysteresis_permille)
    c->hysteresis_permille = 20;
  m->channels = 2u * c->phases + (c->neutral_channel ? 1u : 0u);
  m->win_cycles = c->nominal_frequency_mhz < 55000 ? 10 : 12;
  double fs = (double)c->sample_rate_hz;
  double fnom = (double)c->nominal_frequency_mhz / 1000.0;
  double unom = (double)c->nominal_voltage_mv / 1000.0;
  m->ts = 1.0 / fs;
  m->period = fs / fnom;
  m->ts_nominal_period = m->period;
  m->min_len = fs / 70.0;
  m->frequency = fnom;
  m->zc_hyst = 0.05 * unom * sqrt(2.0) / c->cal[0].voltage.gain;
  m->zc_alpha = 1.0 - exp(-2.0 * AMI_METRO_PI * 2.5 * fnom / fs);
  m->half_len = (unsigned)lround(m->period / 2);
  for (unsigned p = 0; p < c->phases; p++) {
    double un = unom / c->cal[p].voltage.gain;
    m->u_nom2[p] = un * un;
    m->hc_hyst[p] = 0.05 * un * sqrt(2.0);
    m->half_target[p] = m->half_len;
    if (c->cal[p].phase_delay != 0)
      m->phase_comp = true;
  }
  for (unsigned p = 0; p < c->phases; p++) {
    split_delay(1.5, &m->dly_u[p], &m->ap_u[p]);
    split_delay(1.5 + c->cal[p].phase_delay, &m->dly_i[p], &m->ap_i[p]);
  }
  for (unsigned k = 0; k < AMI_METRO_FFT_N / 2; k++) {
    double w = 2.0 * AMI_METRO_PI * (double)k / AMI_METRO_FFT_N;
    m->tw_re[k] = cos(w);
    m->tw_im[k] = -sin(w);
  }
  for (unsigned i = 0; i < AMI_METRO_FFT_N; i++) {
    unsigned r = 0;
    for (unsigned b = 1, x = i; b < AMI_METRO_FFT_N; b <<= 1, x >>= 1)
      r = (r << 1) | (x & 1);
    m->bitrev[i] = (uint8_t)r;
  }
  ami_metrology_clear_quality(m);
  return AMI_OK;
}

/* In-place radix-2 decimation-in-time FFT of AMI_METRO_FFT_N points:
 * X[k] = sum_j x[j] exp(-2 pi i j k / N). */
static void fft(const ami_metrology *m, double *re, double *im) {
  const unsigned N = AMI_METRO_FFT_N;
  for (unsigned i = 0; i < N; i++) {
    unsigned j = m->bitrev[i];
    if (j > i) {
      double t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  for (unsigned len = 2; len <= N; len <<= 1) {
    unsigned half = len / 2, step = N / len;
    for (unsigned i = 0; i < N; i += len) {
      for (unsigned k = 0; k < half; k++) {
        double wr = m->tw_re[k * step], wi = m->tw_im[k * step];
        unsigned a = i + k, b = a + half;
        double tr = re[b] * wr - im[b] * wi;
        double ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}

/* 6-point Lagrange interpolation weights at fraction d of the interval
 * between nodes 0 and 1 (nodes -2..3): w_k = prod_{j != k} (d-j)/(k-j). */
static void lagrange6(double d, double w[6]) {
  static const double inv_den[6] = {-1.0 / 120, 1.0 / 24,  -1.0 / 12,
                                    1.0 / 12,   -1.0 / 24, 1.0 / 120};
  double x[6], pre[7], suf[7];
  for (int k = 0; k < 6; k++)
    x[k] = d - (double)(k - 2);
  pre[0] = 1;
  for (int k = 0; k < 6; k++)
    pre[k + 1] = pre[k] * x[k];
  suf[6] = 1;
  for (int k = 5; k >= 0; k--)
    suf[k] = suf[k + 1] * x[k];
  for (int k = 0; k < 6; k++)
    w[k] = pre[k] * suf[k + 1] * inv_den[k];
}

/* The resampler's mean response to a harmonic (IEC 61000-4-7 asks for
 * magnitudes, so it is corrected): interpolating e^{i w t} at a fraction d
 * between samples returns H_d(w) e^{i w d} with H_d(w) = sum_k w_k(d)
 * e^{i w (k - d)}; over a cycle the fractions d are spread over [0, 1), so a
 * harmonic comes out of the FFT scaled by G(w) = mean over d of H_d(w)
 * (G = 1 - 1e-9 at the fundamental, but 0.77 at the 31st harmonic at 4 kHz).
 * The engine multiplies every harmonic phasor by 1/G(h w1), evaluated by a
 * 32-point midpoint rule in d, for the window's measured frequency; it is
 * recomputed only when the period moves by more than 0.01 sample. The same
 * factor applies to U and I, so reactive power keeps its sign and phase. */
static void update_correction(ami_metrology *m, double len) {
  enum { Q = 32 };
  m->corr_len = len;
  m->corr_re[0] = 1;
  m->corr_im[0] = 0;
  double w6[Q][6];
  for (unsigned q = 0; q < Q; q++)
    lagrange6(((double)q + 0.5) / Q, w6[q]);
  for (unsigned h = 1; h <= AMI_METRO_HARMONICS; h++) {
    double w = 2.0 * AMI_METRO_PI * (double)h / len;
    double ck[6], sk[6], gr = 0, gi = 0;
    for (int k = 0; k < 6; k++) {
      ck[k] = cos(w * (double)(k - 2));
      sk[k] = sin(w * (double)(k - 2));
    }
    for (unsigned q = 0; q < Q; q++) {
      double d = ((double)q + 0.5) / Q, hr = 0, hi = 0;
      for (int k = 0; k < 6; k++) {
        hr += w6[q][k] * ck[k];
        hi += w6[q][k] * sk[k];
      }
      /* times e^{-i w d} */
      double cd = cos(w * d), sd = sin(w * d);
      gr += hr * cd + hi * sd;
      gi += hi * cd - hr * sd;
    }
    gr /= Q;
    gi /= Q;
    double g2 = gr * gr + gi * gi;
    m->corr_re[h] = g2 > 1e-6 ? gr / g2 : 0; /* 1 / G */
    m->corr_im[h] = g2 > 1e-6 ? -gi / g2 : 0;
  }
}

/* Per-cycle results of one phase, in SI units. */
typedef struct cycle_phase {
  double u_re[AMI_METRO_HARMONICS + 1], u_im[AMI_METRO_HARMONICS + 1];
  double i_re[AMI_METRO_HARMONICS + 1], i_im[AMI_METRO_HARMONICS + 1];
  double urms, irms, p1, q1, qt;
} cycle_phase;

/* Resamples the pending cycle of every phase at AMI_METRO_FFT_N points and
 * turns the FFT into peak-amplitude phasors per harmonic (h >= 1; h = 0 is
 * the DC value), scaled by the channel gains. */
static void cycle_spectrum(const ami_metrology *m, cycle_phase *cp) {
  const unsigned N = AMI_METRO_FFT_N, P = m->cfg.phases;
  double re[AMI_METRO_MAX_PHASES][AMI_METRO_FFT_N];
  double im[AMI_METRO_MAX_PHASES][AMI_METRO_FFT_N];
  double len = m->pend_t1 - m->pend_t0;
  for (unsigned j = 0; j < N; j++) {
    double t = m->pend_t0 + len * (double)j / N;
    double fl = floor(t);
    double w[6];
    lagrange6(t - fl, w);
    uint64_t base = m->tbase + (uint64_t)(int64_t)fl - 2;
    for (unsigned p = 0; p < P; p++) {
      double su = 0, si = 0;
      for (unsigned k = 0; k < 6; k++) {
        unsigned r = (unsigned)((base + k) & RING_MASK);
        su += w[k] * m->ring_u[p][r];
        si += w[k] * m->ring_i[p][r];
      }
      re[p][j] = su;
      im[p][j] = si;
    }
  }
  for (unsigned p = 0; p < P; p++) {
    fft(m, re[p], im[p]);
    double gu = m->cfg.cal[p].voltage.gain, gi = m->cfg.cal[p].current.gain;
    cycle_phase *c = &cp[p];
    double u2 = 0, i2 = 0;
    c->qt = 0;
    for (unsigned h = 0; h <= AMI_METRO_HARMONICS; h++) {
      unsigned h2 = (N - h) & (N - 1);
      double zr = re[p][h], zi = im[p][h], cr = re[p][h2], ci = im[p][h2];
      /* U = (Z_h + conj Z_{N-h}) / 2, I = (Z_h - conj Z_{N-h}) / 2i */
      double s = (h == 0 ? 1.0 : 2.0) / N / 2.0;
      c->u_re[h] = (zr + cr) * s * gu;
      c->u_im[h] = (zi - ci) * s * gu;
      c->i_re[h] = (zi + ci) * s * gi;
      c->i_im[h] = -(zr - cr) * s * gi;
      double kr = m->corr_re[h], ki = m->corr_im[h], t;
      t = c->u_re[h] * kr - c->u_im[h] * ki;
      c->u_im[h] = c->u_re[h] * ki + c->u_im[h] * kr;
      c->u_re[h] = t;
      t = c->i_re[h] * kr - c->i_im[h] * ki;
      c->i_im[h] = c->i_re[h] * ki + c->i_im[h] * kr;
      c->i_re[h] = t;
      double a2 = c->u_re[h] * c->u_re[h] + c->u_im[h] * c->u_im[h];
      double b2 = c->i_re[h] * c->i_re[h] + c->i_im[h] * c->i_im[h];
      if (h == 0) {
        u2 += a2;
        i2 += b2;
        continue;
      }
      u2 += a2 / 2;
      i2 += b2 / 2;
      /* S_h = U_h conj(I_h) / 2 (peak phasors) */
      double q = (c->u_im[h] * c->i_re[h] - c->u_re[h] * c->i_im[h]) / 2;
      c->qt += q;
      if (h == 1) {
        c->q1 = q;
        c->p1 = (c->u_re[1] * c->i_re[1] + c->u_im[1] * c->i_im[1]) / 2;
      }
    }
    c->urms = sqrt(u2);
    c->irms = sqrt(i2);
  }
}

/* IEC 62053-24 §3.2 quadrant index 0..3 from the signs of P and Q. */
static unsigned quadrant(double p, double q) {
  if (p >= 0)
    return q >= 0 ? 0 : 3;
  return q >= 0 ? 1 : 2;
}

/* Books one cycle's energies (J and var.s / VA.s) into a register set. */
static void book(ami_metro_regs *r, double ep, double eq, double pf_sign,
                 double eqf, double es) {
  const double to_mwh = 1.0 / 3.6; /* 1 J = 1/3.6 mWh */
  if (ep >= 0)
    ami__metro_reg_add(&r->p_imp, ep * to_mwh);
  else
    ami__metro_reg_add(&r->p_exp, -ep * to_mwh);
  ami__metro_reg_add(&r->q[quadrant(ep, eq)], fabs(eq) * to_mwh);
  ami__metro_reg_add(&r->q_fund[quadrant(pf_sign, eqf)], fabs(eqf) * to_mwh);
  ami__metro_reg_add(ep >= 0 ? &r->s_imp : &r->s_exp, es * to_mwh);
}

/* The analysis of one complete cycle: spectrum, energies, window sums. */
static void analyse_cycle(ami_metrology *m) {
  const unsigned P = m->cfg.phases;
  cycle_phase cp[AMI_METRO_MAX_PHASES];
  double lref = 1.0 / (m->frequency * m->ts);
  if (fabs(lref - m->corr_len) > 0.01)
    update_correction(m, lref);
  cycle_spectrum(m, cp);
  double len = m->pend_t1 - m->pend_t0;
  double dt = len * m->ts;                     /* spectral window, s */
  double dt_e = (len + m->carry_time) * m->ts; /* time charged, s */
  m->carry_time = 0;
  double start_a = (double)m->cfg.start_current_ma / 1000.0;
  double tp = 0, tq = 0, tqf = 0, tp1 = 0, ts_ = 0;
  bool all_creep = true;
  for (unsigned p = 0; p < P; p++) {
    cycle_phase *c = &cp[p];
    double gui = m->cfg.cal[p].voltage.gain * m->cfg.cal[p].current.gain;
    double ep = m->pend_p[p] * gui * m->ts; /* J over [pend_n0, pend_n1) */
    double s = c->urms * c->irms;
    if (c->irms >= start_a) { /* IEC 62053-22 §8.3.2/8.3.3 */
      all_creep = false;
      book(&m->reg[p], ep, c->qt * dt_e, c->p1, c->q1 * dt_e, s * dt_e);
      tp += ep;
      tq += c->qt * dt_e;
      tqf += c->q1 * dt_e;
      tp1 += c->p1;
      ts_ += s * dt_e;
    }
    m->w_p[p] += ep;
    m->w_q[p] += c->qt * dt;
    m->w_qf[p] += c->q1 * dt;
    m->w_s[p] += s * dt;
    for (unsigned h = 0; h <= AMI_METRO_HARMONICS; h++) {
      double a2 = c->u_re[h] * c->u_re[h] + c->u_im[h] * c->u_im[h];
      double b2 = c->i_re[h] * c->i_re[h] + c->i_im[h] * c->i_im[h];
      m->w_u2[p][h] += (h ? a2 / 2 : a2) * dt;
      m->w_i2[p][h] += (h ? b2 / 2 : b2) * dt;
    }
    /* U1 conj(I1) and U1 conj(U1 of L1), for the angles */
    m->w_ui_re[p] += c->p1 * dt;
    m->w_ui_im[p] += c->q1 * dt;
    m->w_uu_re[p] +=
        (c->u_re[1] * cp[0].u_re[1] + c->u_im[1] * cp[0].u_im[1]) * dt;
    m->w_uu_im[p] +=
        (c->u_im[1] * cp[0].u_re[1] - c->u_re[1] * cp[0].u_im[1]) * dt;
  }
  /* Neutral current = vector sum of the phase currents, per harmonic. */
  double in2 = 0;
  for (unsigned h = 0; h <= AMI_METRO_HARMONICS && P > 1; h++) {
    double r = 0, i = 0;
    for (unsigned p = 0; p < P; p++) {
      r += cp[p].i_re[h];
      i += cp[p].i_im[h];
    }
    in2 += (h ? 0.5 : 1.0) * (r * r + i * i);
  }
  if (P == 1)
    in2 = cp[0].irms * cp[0].irms;
  m->w_in2 += in2 * dt;
  m->w_nmeas2 += m->pend_n2 * m->cfg.neutral.gain * m->cfg.neutral.gain;
  m->creeping = all_creep;
  if (!all_creep)
    book(&m->total, tp, tq, tp1, tqf, ts_);
  m->committed_n = m->pend_n1;
  m->committed_t = (double)m->tbase + m->pend_t1;
  m->win_time += dt;
  m->win_ptime += (double)(m->pend_n1 - m->pend_n0) * m->ts;
  if (m->pend_measured) {
    m->win_meas_time += dt;
    m->win_meas_cycles++;
  }
  if (++m->win_count >= m->win_cycles)
    ami__metro_finish_window(m);
  m->pend = false;
  /* Rebase relative times so that they stay small. */
  double fl = floor(m->cyc_start_t) - 8;
  if (fl > 0) {
    m->tbase += (uint64_t)fl;
    m->cyc_start_t -= fl;
  }
}

/* Ends the cycle in progress at time t1 (relative samples); sample n (not
 * yet accumulated) starts the next one. The start-up fragment before the
 * first boundary is not analysed: its samples stay in the active sum and its
 * time is charged with the first complete cycle. */
static void close_cycle(ami_metrology *m, double t1, uint64_t n,
                        bool measured) {
  if (!m->synced) {
    m->synced = true;
    m->carry_time = t1 + (double)m->tbase;
    m->cyc_start_t = t1;
    m->cyc_start_measured = measured;
    return;
  }
  if (m->pend) /* cannot happen (cycles are >= fs/70 long); never lose one */
    analyse_cycle(m);
  if (measured && m->cyc_start_measured)
    m->period = clampd(t1 - m->cyc_start_t, m->min_len,
                       (double)m->cfg.sample_rate_hz / 40.0);
  m->half_len = (unsigned)lround(m->period / 2);
  m->pend = true;
  m->pend_measured = measured && m->cyc_start_measured;
  m->pend_t0 = m->cyc_start_t;
  m->pend_t1 = t1;
  m->pend_n0 = m->cyc_start_n;
  m->pend_n1 = n;
  m->pend_ready_n = m->tbase + (uint64_t)(int64_t)floor(t1) + 3;
  for (unsigned p = 0; p < m->cfg.phases; p++) {
    m->pend_p[p] = m->acc_p[p];
    m->acc_p[p] = 0;
  }
  m->pend_n2 = m->acc_n2;
  m->acc_n2 = 0;
  m->cyc_start_n = n;
  m->cyc_start_t = t1;
  m->cyc_start_measured = measured;
}

/* IEC 61000-4-30 §5.4.1: each channel's half-cycle RMS windows start at
 * its own zero crossing of the fundamental. Called with the raw (not
 * low-passed) sample u of phase p before it is accumulated: at a rising
 * crossing, a half cycle that has run most of its length ends here; a
 * sliver (the counted boundary fell just before the crossing) is merged
 * into the next half cycle instead. */
static void sync_half_cycle(ami_metrology *m, unsigned p, double u) {
  if (!m->hc_armed[p]) {
    if (u < -m->hc_hyst[p])
      m->hc_armed[p] = true;
  } else if (u >= 0 && m->hc_prev[p] < 0) {
    m->hc_armed[p] = false;
    if (m->half_count[p] >= m->half_len / 2) {
      ami__metro_half_cycle(m, p);
      m->half_target[p] = m->half_len;
    } else {
      m->half_target[p] = m->half_count[p] + m->half_len;
    }
  }
  m->hc_prev[p] = u;
}

/* Zero-crossing detection on the low-passed U1 sample u of sample n. */
static void track_cycle(ami_metrology *m, double u, uint64_t n) {
  double rel = (double)(n - m->tbase);
  if (!m->armed) {
    if (u < -m->zc_hyst)
      m->armed = true;
  } else if (u >= 0 && m->prev_u1 < 0) {
    double t1 = rel - 1.0 + m->prev_u1 / (m->prev_u1 - u);
    m->armed = false;
    if (!m->synced || t1 - m->cyc_start_t >= m->min_len) {
      close_cycle(m, t1, n, true);
      return;
    }
  }
  if (rel - m->cyc_start_t >= 1.25 * m->period) /* free-run */
    close_cycle(m, m->cyc_start_t + m->period, n, false);
}

void ami_metrology_feed(ami_metrology *m, const int32_t *samples,
                        size_t frames) {
  const unsigned P = m->cfg.phases, C = m->channels;
  for (size_t k = 0; k < frames; k++) {
    const int32_t *f = samples + k * C;
    const uint64_t n = m->n;
    double u[AMI_METRO_MAX_PHASES], i[AMI_METRO_MAX_PHASES];
    for (unsigned p = 0; p < P; p++) {
      u[p] = (double)((int64_t)f[2 * p] - m->cfg.cal[p].voltage.offset);
      i[p] = (double)((int64_t)f[2 * p + 1] - m->cfg.cal[p].current.offset);
    }
    if (m->phase_comp) {
      for (unsigned p = 0; p < P; p++) {
        unsigned w = (unsigned)(n & 7);
        m->raw_u[p][w] = u[p];
        m->raw_i[p][w] = i[p];
        unsigned a = (unsigned)((n - m->dly_u[p]) & 7);
        unsigned b = (unsigned)((n - m->dly_u[p] - 1) & 7);
        u[p] = m->apy_u[p] =
            m->ap_u[p] * (m->raw_u[p][a] - m->apy_u[p]) + m->raw_u[p][b];
        a = (unsigned)((n - m->dly_i[p]) & 7);
        b = (unsigned)((n - m->dly_i[p] - 1) & 7);
        i[p] = m->apy_i[p] =
            m->ap_i[p] * (m->raw_i[p][a] - m->apy_i[p]) + m->raw_i[p][b];
      }
    }
    /* the crossing detector sees U1 through a first-order low-pass */
    m->zc_lp += m->zc_alpha * (u[0] - m->zc_lp);
    track_cycle(m, m->zc_lp, n);
    unsigned r = (unsigned)(n & RING_MASK);
    for (unsigned p = 0; p < P; p++) {
      sync_half_cycle(m, p, u[p]);
      m->ring_u[p][r] = u[p];
      m->ring_i[p][r] = i[p];
      m->acc_p[p] += u[p] * i[p];
      m->acc_u2[p] += u[p] * u[p];
    }
    if (m->cfg.neutral_channel) {
      double in = (double)((int64_t)f[C - 1] - m->cfg.neutral.offset);
      m->acc_n2 += in * in;
    }
    m->prev_u1 = m->zc_lp;
    m->n = n + 1;
    for (unsigned p = 0; p < P; p++)
      if (++m->half_count[p] >= m->half_target[p]) {
        ami__metro_half_cycle(m, p);
        m->half_target[p] = m->half_len;
      }
    if (m->pend && n >= m->pend_ready_n)
      analyse_cycle(m);
  }
}
