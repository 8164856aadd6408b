/*
 * ami_metrology_out.c -- the metrology engine's outputs: drift-free energy
 * registers, the 10/12-cycle window values, half-cycle RMS power-quality
 * events, the readout struct and the OIML R46 software identification.
 */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "ami/ami_metrology.h"
#include "metro_internal.h"

#define FRAC_BITS 40
#define FRAC_ONE  ((uint64_t)1 << FRAC_BITS)

/* Energy registers never drift: each cycle's increment is rounded ONCE to
 * 2^-40 mWh (about 1e-12 mWh, unbiased round-to-nearest), and from then on
 * everything is exact integer arithmetic; the sub-mWh remainder lives in
 * `frac` and carries into `whole`. A double accumulator would instead lose
 * the low bits of every increment once the register is large. */
void ami__metro_reg_add_units(ami_metro_reg *r, uint64_t units) {
  uint64_t f = r->frac + (units & (FRAC_ONE - 1));
  r->whole += (int64_t)(units >> FRAC_BITS) + (int64_t)(f >> FRAC_BITS);
  r->frac = f & (FRAC_ONE - 1);
}

void ami__metro_reg_add(ami_metro_reg *r, double mwh) {
  if (!(mwh > 0))
    return;
  if (mwh > 4194304.0) /* 2^22 mWh per cycle: not a real meter; clamp */
    mwh = 4194304.0;
  ami__metro_reg_add_units(r, (uint64_t)llround(ldexp(mwh, FRAC_BITS)));
}

static double safe_div(double a, double b) {
  return b > 0 ? a / b : 0;
}

void ami__metro_finish_window(ami_metrology *m) {
  const unsigned P = m->cfg.phases;
  double T = m->win_time;
  for (unsigned p = 0; p < P; p++) {
    ami_metro_window *w = &m->win[p];
    double u2 = 0, i2 = 0, uh = 0, ih = 0;
    for (unsigned h = 0; h <= AMI_METRO_HARMONICS; h++) {
      u2 += m->w_u2[p][h];
      i2 += m->w_i2[p][h];
      if (h >= 2) {
        uh += m->w_u2[p][h];
        ih += m->w_i2[p][h];
      }
    }
    w->urms = sqrt(safe_div(u2, T));
    w->irms = sqrt(safe_div(i2, T));
    w->p = safe_div(m->w_p[p], m->win_ptime);
    w->q = safe_div(m->w_q[p], T);
    w->q_fund = safe_div(m->w_qf[p], T);
    w->s = safe_div(m->w_s[p], T);
    w->pf = w->s > 0 ? w->p / w->s : 0;
    if (w->pf > 1)
      w->pf = 1;
    if (w->pf < -1)
      w->pf = -1;
    const double deg = 180.0 / AMI_METRO_PI;
    w->angle_u_deg = atan2(m->w_uu_im[p], m->w_uu_re[p]) * deg;
    /* arg(I) - arg(U) = -arg(U conj I): a lagging current is negative */
    w->angle_iu_deg = -atan2(m->w_ui_im[p], m->w_ui_re[p]) * deg;
    double u1 = m->w_u2[p][1], i1 = m->w_i2[p][1];
    w->thd_u = sqrt(safe_div(uh, u1));
    w->thd_i = sqrt(safe_div(ih, i1));
    w->harm_u[0] = w->harm_i[0] = 0;
    for (unsigned h = 1; h <= AMI_METRO_HARMONICS; h++) {
      w->harm_u[h] = sqrt(safe_div(m->w_u2[p][h], u1));
      w->harm_i[h] = sqrt(safe_div(m->w_i2[p][h], i1));
    }
  }
  if (m->win_meas_cycles > 0)
    m->frequency = (double)m->win_meas_cycles / m->win_meas_time;
  m->neutral_rms = sqrt(safe_div(m->w_in2, T));
  m->neutral_meas_rms = sqrt(safe_div(m->w_nmeas2 * m->ts, m->win_ptime));
  m->have_window = true;
  /* restart the window */
  m->win_count = m->win_meas_cycles = 0;
  m->win_time = m->win_ptime = m->win_meas_time = 0;
  memset(m->w_p, 0, sizeof m->w_p);
  memset(m->w_q, 0, sizeof m->w_q);
  memset(m->w_qf, 0, sizeof m->w_qf);
  memset(m->w_s, 0, sizeof m->w_s);
  memset(m->w_u2, 0, sizeof m->w_u2);
  memset(m->w_i2, 0, sizeof m->w_i2);
  memset(m->w_ui_re, 0, sizeof m->w_ui_re);
  memset(m->w_ui_im, 0, sizeof m->w_ui_im);
  memset(m->w_uu_re, 0, sizeof m->w_uu_re);
  memset(m->w_uu_im, 0, sizeof m->w_uu_im);
  m->w_in2 = m->w_nmeas2 = 0;
}

/* Volts to saturated millivolts. */
static int32_t mv_of(double v) {
  double x = nearbyint(v * 1000.0);
  return x >= (double)INT32_MAX ? INT32_MAX : x <= 0 ? 0 : (int32_t)x;
}

/* IEC 61000-4-30 §5.4: the dip/swell/interruption state machine on the
 * latest Urms(1/2) of every phase. Polyphase rules: a dip starts when ANY
 * phase falls below the threshold and ends when ALL are back above
 * threshold + hysteresis; a swell likewise above; an interruption starts
 * when ALL phases are below the interruption threshold and ends when ANY is
 * back above it + hysteresis. An interruption also shows as a dip (the
 * voltage passed below the dip threshold on its way). Durations run from
 * the sample where the start was detected to the sample of the end. */
static void pq_events(ami_metrology *m) {
  const ami_metrology_config *c = &m->cfg;
  double lo = 1e300, hi = 0;
  for (unsigned p = 0; p < c->phases; p++) {
    if (!m->have_half[p])
      return;
    lo = fmin(lo, m->urms_half[p]);
    hi = fmax(hi, m->urms_half[p]);
  }
  double sag = c->sag_permille / 1000.0, swell = c->swell_permille / 1000.0;
  double intr = c->interruption_permille / 1000.0;
  double hyst = c->hysteresis_permille / 1000.0;
  if (!m->in_sag && lo < sag) {
    m->in_sag = true;
    m->quality.sags++;
    m->sag_start = m->n;
  } else if (m->in_sag && lo >= sag + hyst) {
    m->in_sag = false;
    m->sag_samples += m->n - m->sag_start;
  }
  if (!m->in_swell && hi > swell) {
    m->in_swell = true;
    m->quality.swells++;
    m->swell_start = m->n;
  } else if (m->in_swell && hi <= swell - hyst) {
    m->in_swell = false;
    m->swell_samples += m->n - m->swell_start;
  }
  if (!m->in_int && hi < intr) {
    m->in_int = true;
    m->quality.interruptions++;
    m->int_start = m->n;
  } else if (m->in_int && hi >= intr + hyst) {
    m->in_int = false;
    m->int_samples += m->n - m->int_start;
  }
  m->voltage_present = hi >= intr;
}

/* Urms(1/2) of phase p (IEC 61000-4-30 §5.4.1): the RMS over the last two
 * half cycles, i.e. one cycle, refreshed every half cycle. */
void ami__metro_half_cycle(ami_metrology *m, unsigned p) {
  /* The two half cycles span one period between (near) zero crossings of
   * this phase, so their sum of u^2 is the rectangle rule of the integral
   * over exactly one period whatever the sample count (the edge samples are
   * ~0): normalise by the measured period, not by the 1-sample-coarse
   * count. */
  double cnt = (double)(m->half_count[p] + m->prev_half_count[p]);
  if (fabs(cnt - m->period) <= 1.5)
    cnt = m->period;
  double r2 = (m->acc_u2[p] + m->prev_u2[p]) / cnt;
  m->prev_u2[p] = m->acc_u2[p];
  m->acc_u2[p] = 0;
  m->prev_half_count[p] = m->half_count[p];
  m->half_count[p] = 0;
  /* Warm-up: the first cycles run on the nominal period, before one has
   * been measured; their half-cycle windows are not synchronous. */
  if ((double)m->n < 4.0 * m->ts_nominal_period)
    return;
  m->urms_half[p] = sqrt(r2 / m->u_nom2[p]);
  m->have_half[p] = true;
  int32_t mv = mv_of(sqrt(r2) * m->cfg.cal[p].voltage.gain);
  if (mv < m->quality.min_voltage_mv)
    m->quality.min_voltage_mv = mv;
  if (mv > m->quality.max_voltage_mv)
    m->quality.max_voltage_mv = mv;
  pq_events(m);
}

void ami_metrology_clear_quality(ami_metrology *m) {
  memset(&m->quality, 0, sizeof m->quality);
  m->quality.min_voltage_mv = INT32_MAX;
  m->sag_samples = m->swell_samples = m->int_samples = 0;
  m->sag_start = m->swell_start = m->int_start = m->n;
}

static int64_t to_i64(double x) {
  if (!(x == x))
    return 0;
  if (x > 9.0e18)
    return INT64_MAX;
  if (x < -9.0e18)
    return -INT64_MAX;
  return (int64_t)llround(x);
}

static int32_t to_i32(double x) {
  int64_t v = to_i64(x);
  return v > INT32_MAX ? INT32_MAX : v < -INT32_MAX ? -INT32_MAX : (int32_t)v;
}

static uint16_t to_u16(double x) {
  int64_t v = to_i64(x);
  return v > 65535 ? 65535 : v < 0 ? 0 : (uint16_t)v;
}

static void energy_out(const ami_metro_regs *r, ami_metro_energy *e) {
  e->active_import_mwh = r->p_imp.whole;
  e->active_export_mwh = r->p_exp.whole;
  for (unsigned q = 0; q < 4; q++) {
    e->reactive_q_mvarh[q] = r->q[q].whole;
    e->reactive_fund_q_mvarh[q] = r->q_fund[q].whole;
  }
  e->apparent_import_mvah = r->s_imp.whole;
  e->apparent_export_mvah = r->s_exp.whole;
}

static uint32_t samples_to_ms(const ami_metrology *m, uint64_t s) {
  uint64_t ms = s * 1000u / m->cfg.sample_rate_hz;
  return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

void ami_metrology_readout(const ami_metrology *m, ami_metro_readout *out) {
  memset(out, 0, sizeof *out);
  out->samples = m->n;
  out->phases = m->cfg.phases;
  out->voltage_present = m->voltage_present;
  out->creeping = m->creeping;
  out->frequency_mhz = to_i32(m->frequency * 1000.0);
  out->neutral_current_ma = to_i32(m->neutral_rms * 1000.0);
  out->neutral_measured_ma =
      m->cfg.neutral_channel ? to_i32(m->neutral_meas_rms * 1000.0) : 0;
  double pt = 0, qt = 0, st = 0;
  for (unsigned p = 0; p < m->cfg.phases; p++) {
    const ami_metro_window *w = &m->win[p];
    ami_metro_phase *o = &out->phase[p];
    energy_out(&m->reg[p], &o->energy);
    if (!m->have_window)
      continue;
    o->voltage_mv = to_i32(w->urms * 1000.0);
    o->current_ma = to_i32(w->irms * 1000.0);
    o->active_mw = to_i64(w->p * 1000.0);
    o->reactive_mvar = to_i64(w->q * 1000.0);
    o->apparent_mva = to_i64(w->s * 1000.0);
    o->power_factor = (int16_t)to_i32(w->pf * 1000.0);
    o->angle_ui_ddeg = (int16_t)to_i32(w->angle_u_deg * 10.0);
    o->angle_iu_ddeg = (int16_t)to_i32(w->angle_iu_deg * 10.0);
    o->thd_u_cpct = to_u16(w->thd_u * 10000.0);
    o->thd_i_cpct = to_u16(w->thd_i * 10000.0);
    for (unsigned h = 1; h <= AMI_METRO_HARMONICS; h++) {
      o->harm_u_cpct[h] = to_u16(w->harm_u[h] * 10000.0);
      o->harm_i_cpct[h] = to_u16(w->harm_i[h] * 10000.0);
    }
    pt += w->p;
    qt += w->q;
    st += w->s;
  }
  energy_out(&m->total, &out->total);
  out->active_total_mw = to_i64(pt * 1000.0);
  out->reactive_total_mvar = to_i64(qt * 1000.0);
  out->apparent_total_mva = to_i64(st * 1000.0);
  out->power_factor_total = (int16_t)(st > 0 ? to_i32(pt / st * 1000.0) : 0);
  out->quality = m->quality;
  if (out->quality.min_voltage_mv == INT32_MAX)
    out->quality.min_voltage_mv = 0;
  out->quality.sag_ms =
      samples_to_ms(m, m->sag_samples + (m->in_sag ? m->n - m->sag_start : 0));
  out->quality.swell_ms = samples_to_ms(
      m, m->swell_samples + (m->in_swell ? m->n - m->swell_start : 0));
  out->quality.interruption_ms =
      samples_to_ms(m, m->int_samples + (m->in_int ? m->n - m->int_start : 0));
}

void ami_metrology_span(const ami_metrology *m, uint64_t *active_samples,
                        double *reactive_samples) {
  *active_samples = m->committed_n;
  *reactive_samples = m->committed_t;
}

/* ---- OIML R46 software identification ---------------------------------- */

#define METRO_NAME    "OpenAMI metrology"
#define METRO_VERSION "1.0.0"

uint32_t ami__metro_crc32(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++)
      c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
  }
  return ~c;
}

static size_t put32(uint8_t *b, size_t cap, size_t at, uint32_t v) {
  for (unsigned k = 0; k < 4; k++)
    if (at + k < cap)
      b[at + k] = (uint8_t)(v >> (8 * k));
  return at + 4;
}

/* The identification covers what decides the legally relevant results: the
 * version, the algorithm constants, the default thresholds, and the layout
 * of the calibration data and of the readout (a changed layout is a changed
 * legally relevant interface). All little-endian uint32. */
size_t ami__metro_id_bytes(uint8_t *buf, size_t cap) {
  static const char ver[] = METRO_NAME " " METRO_VERSION;
  size_t at = 0;
  for (size_t i = 0; i < sizeof ver - 1; i++, at++)
    if (at < cap)
      buf[at] = (uint8_t)ver[i];
  const uint32_t v[] = {
      AMI_METRO_FFT_N,
      AMI_METRO_HARMONICS,
      AMI_METRO_RING,
      AMI_METRO_MIN_FS,
      AMI_METRO_MAX_FS,
      900,
      1100,
      50,
      20, /* default thresholds */
      6,  /* Lagrange taps */
      FRAC_BITS,
      (uint32_t)sizeof(ami_metrology_config),
      (uint32_t)offsetof(ami_metrology_config, cal),
      (uint32_t)sizeof(ami_metrology_phase_cal),
      (uint32_t)offsetof(ami_metrology_phase_cal, current),
      (uint32_t)offsetof(ami_metrology_phase_cal, phase_delay),
      (uint32_t)sizeof(ami_metrology_channel_cal),
      (uint32_t)offsetof(ami_metrology_config, start_current_ma),
      (uint32_t)sizeof(ami_metro_readout),
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
    at = put32(buf, cap, at, v[i]);
  return at <= cap ? at : cap;
}

ami_metro_software_id ami_metrology_software_id(void) {
  uint8_t b[256];
  size_t n = ami__metro_id_bytes(b, sizeof b);
  ami_metro_software_id id = {METRO_NAME, METRO_VERSION,
                              ami__metro_crc32(b, n)};
  return id;
}
