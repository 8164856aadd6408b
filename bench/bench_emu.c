/*
 * bench_emu.c -- the meter emulator of `ami meter` (apps/ami/meter_emu.c,
 * linked as the library ami_emu): emulated meter-days per second at full
 * fidelity (every simulated second is a second of 4 kHz ADC samples through
 * the synthesizer, the metrology engine and the meter application), and
 * what each stage costs per simulated second.
 *
 * There is no external peer. The peer column of the synthesis rows is the
 * PRE-OPTIMISATION synthesizer of lib/sim/ami_sim_wave.c, kept here
 * verbatim as a reference (one cos() per harmonic per sample, Box-Muller
 * noise with log/sqrt/sin/cos per pair); the emulator's "est. old" figures
 * scale the synthesis stage measured inside the emulator by the old/new
 * ratio measured stand-alone on the same configuration (an estimate: the
 * emulator itself always runs the current synthesizer).
 *
 * The split: synthesis and metrology are timed alone on the emulator's own
 * waveform configuration (24-bit ADC, 4 LSB noise, the appliance model's
 * 3rd/5th current harmonics); the load model alone through its public API;
 * the meter application (ami_meter_step, supply control, pushes) is the
 * rest of the measured emulator second.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_metrology.h"
#include "ami/ami_sim_load.h"
#include "ami/ami_sim_wave.h"
#include "bench.h"
#include "meter_emu.h"

#define T2026 1767225600000ull /* 2026-01-01T00:00:00Z */

/* ---- the reference: the synthesizer before phasor rotation ------------- */

#define REF_PI 3.14159265358979323846

typedef struct ref_comp {
  unsigned h;
  double a, c;
} ref_comp;

typedef struct ref_wave {
  ami_sim_wave_config cfg;
  uint64_t n, rng;
  int have_spare;
  double spare;
} ref_wave;

static unsigned ref_components(const ami_sim_phase *ph, int which,
                               ref_comp *out) {
  double base = which ? ph->i_rms : ph->u_rms;
  unsigned n = 0;
  out[n].h = 1;
  out[n].a = sqrt(2.0) * base;
  out[n].c = ph->alpha * REF_PI / 180 - (which ? ph->phi * REF_PI / 180 : 0);
  n++;
  for (unsigned k = 0; k < ph->n_harm && k < AMI_SIM_MAX_HARM; k++) {
    const ami_sim_harmonic *hm = &ph->harm[k];
    out[n].h = hm->order;
    out[n].a = sqrt(2.0) * base * (which ? hm->i_ratio : hm->u_ratio);
    out[n].c = (double)hm->order * ph->alpha * REF_PI / 180 +
               (which ? hm->i_phase : hm->u_phase) * REF_PI / 180;
    n++;
  }
  return n;
}

static uint64_t ref_u64(ref_wave *w) {
  uint64_t z = (w->rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static double ref_gauss(ref_wave *w) {
  if (w->have_spare) {
    w->have_spare = 0;
    return w->spare;
  }
  double u1 = ((double)(ref_u64(w) >> 11) + 0.5) / 9007199254740992.0;
  double u2 = ((double)(ref_u64(w) >> 11) + 0.5) / 9007199254740992.0;
  double r = sqrt(-2.0 * log(u1));
  w->spare = r * sin(2 * REF_PI * u2);
  w->have_spare = 1;
  return r * cos(2 * REF_PI * u2);
}

static double ref_eval(const ref_comp *c, unsigned n, double cycles) {
  double x = 0;
  for (unsigned k = 0; k < n; k++)
    x += c[k].a * cos(2 * REF_PI * (double)c[k].h * cycles + c[k].c);
  return x;
}

static int32_t ref_quantise(ref_wave *w, double x, double step, double gain,
                            int32_t offset) {
  const ami_sim_wave_config *c = &w->cfg;
  double code = x / step * (1.0 + gain) + (double)offset;
  if (c->noise_lsb > 0)
    code += c->noise_lsb * ref_gauss(w);
  double lim =
      c->adc_bits >= 32 ? 2147483647.0 : ldexp(1.0, (int)c->adc_bits - 1) - 1;
  code = nearbyint(code);
  if (code > lim)
    code = lim;
  if (code < -lim)
    code = -lim;
  return (int32_t)code;
}

static void ref_generate(ref_wave *w, int32_t *out, size_t frames) {
  const ami_sim_wave_config *c = &w->cfg;
  unsigned ch = ami_sim_wave_channels(c);
  ref_comp cu[AMI_METRO_MAX_PHASES][AMI_SIM_MAX_HARM + 1];
  ref_comp ci[AMI_METRO_MAX_PHASES][AMI_SIM_MAX_HARM + 1];
  unsigned nu[AMI_METRO_MAX_PHASES], ni[AMI_METRO_MAX_PHASES];
  for (unsigned p = 0; p < c->phases; p++) {
    nu[p] = ref_components(&c->phase[p], 0, cu[p]);
    ni[p] = ref_components(&c->phase[p], 1, ci[p]);
  }
  double su = ami_sim_wave_u_lsb(c), si = ami_sim_wave_i_lsb(c);
  double fr = c->frequency_hz / c->sample_rate_hz;
  for (size_t k = 0; k < frames; k++, w->n++) {
    int32_t *f = out + k * ch;
    double t = (double)w->n / c->sample_rate_hz;
    double isum = 0;
    for (unsigned p = 0; p < c->phases; p++) {
      const ami_sim_phase *ph = &c->phase[p];
      double cyc = fmod((double)w->n * fr, 1e6);
      double u = ref_eval(cu[p], nu[p], cyc);
      for (unsigned d = 0; d < c->n_dips; d++)
        if ((c->dips[d].phase_mask >> p & 1) && t >= c->dips[d].t_start &&
            t < c->dips[d].t_end)
          u *= c->dips[d].factor;
      double i = ref_eval(ci[p], ni[p], cyc + ph->i_skew * fr);
      isum += i;
      f[2 * p] = ref_quantise(w, u, su, ph->u_gain_error, ph->u_offset);
      f[2 * p + 1] = ref_quantise(w, i, si, ph->i_gain_error, ph->i_offset);
    }
    if (c->neutral_channel)
      f[ch - 1] = ref_quantise(w, isum, si, 0, 0);
  }
}

/* ---- the jobs ------------------------------------------------------------ */

typedef struct emu_job {
  ami_sim_wave_config wc;
  uint64_t n;   /* sample index of the next second */
  int32_t *buf; /* one second of frames */
  unsigned fs;
  ami_metrology m;
  meter_conf conf;
  emu *e;
} emu_job;

/* One simulated second of synthesis the way the emulator does it: a fresh
 * generator per second (new seed), continuing the sample index. */
static void run_synth(void *arg) {
  emu_job *j = arg;
  j->wc.seed = j->n;
  ami_sim_wave w;
  ami_sim_wave_init(&w, &j->wc);
  w.n = j->n;
  ami_sim_wave_generate(&w, j->buf, j->fs);
  j->n += j->fs;
  bench_consume((uint64_t)(uint32_t)j->buf[0]);
}

static void run_synth_ref(void *arg) {
  emu_job *j = arg;
  ref_wave w;
  memset(&w, 0, sizeof w);
  w.cfg = j->wc;
  w.rng = j->n;
  w.n = j->n;
  ref_generate(&w, j->buf, j->fs);
  j->n += j->fs;
  bench_consume((uint64_t)(uint32_t)j->buf[0]);
}

static void run_metro(void *arg) {
  emu_job *j = arg;
  ami_metrology_feed(&j->m, j->buf, j->fs);
  bench_consume((uint64_t)j->m.reg[0].p_imp.whole);
}

/* Stage times of the real emulator, from its profiling hook. */
typedef struct stage_clock {
  double last, sum[5];
} stage_clock;

static void on_stage(void *user, emu_stage st) {
  stage_clock *c = user;
  double now = bench_now();
  if (st != EMU_STAGE_BEGIN)
    c->sum[st] += now - c->last;
  c->last = now;
}

/* Runs the emulator for `seconds` simulated seconds; returns the wall time
 * and the per-stage sums in *c. */
static double run_emu(emu *e, uint64_t seconds, stage_clock *c) {
  memset(c, 0, sizeof *c);
  emu_set_stage_hook(e, on_stage, c);
  double t0 = bench_now();
  emu_run_until(e, emu_now(e) + seconds * 1000, seconds);
  double dt = bench_now() - t0;
  emu_set_stage_hook(e, NULL, NULL);
  return dt;
}

static double best(void (*fn)(void *), emu_job *j) {
  return bench_best(fn, j, bench_calibrate(fn, j, 0.05), 7);
}

/* The emulator's waveform configuration (build_metrology, shape_wave in
 * meter_emu.c) at 5 A per phase, PF 0.98, 20 % 3rd and 10 % 5th current
 * harmonic, and the matching metrology configuration. */
static void emu_wave(emu_job *j, unsigned phases) {
  const meter_conf *c = &j->conf;
  double u_fs = 1.6 * c->nominal_mv / 1000.0 * sqrt(2.0);
  double i_fs = 1.8 * c->imax_ma / 1000.0 * sqrt(2.0);
  memset(&j->wc, 0, sizeof j->wc);
  j->wc.phases = phases;
  j->wc.sample_rate_hz = c->sample_rate;
  j->wc.frequency_hz = c->frequency_mhz / 1000.0;
  j->wc.adc_bits = 24;
  j->wc.u_full_scale = u_fs;
  j->wc.i_full_scale = i_fs;
  j->wc.noise_lsb = 4.0;
  for (unsigned p = 0; p < phases; p++) {
    ami_sim_phase *ph = &j->wc.phase[p];
    ph->alpha = p == 0 ? 0.0 : p == 1 ? -120.0 : 120.0;
    ph->u_rms = c->nominal_mv / 1000.0;
    ph->i_rms = 5.0;
    ph->phi = 11.5;
    ph->n_harm = 2;
    ph->harm[0] = (ami_sim_harmonic){3, 0, 0, 0.2, 0};
    ph->harm[1] = (ami_sim_harmonic){5, 0, 0, 0.1, 0};
  }
  ami_metrology_config mc;
  memset(&mc, 0, sizeof mc);
  mc.phases = (uint8_t)phases;
  mc.sample_rate_hz = c->sample_rate;
  mc.nominal_voltage_mv = c->nominal_mv;
  mc.nominal_frequency_mhz = c->frequency_mhz;
  for (unsigned p = 0; p < phases; p++) {
    mc.cal[p].voltage.gain = ami_sim_wave_u_lsb(&j->wc);
    mc.cal[p].current.gain = ami_sim_wave_i_lsb(&j->wc);
  }
  mc.start_current_ma = 12;
  ami_metrology_init(&j->m, &mc);
}

static void us(char *s, size_t n, double sec) {
  snprintf(s, n, sec < 1e-5 ? "%.2f us" : "%.1f us", sec * 1e6);
}

/* The emulator runs EMU_SECONDS simulated seconds per sample from 17:00 UTC
 * on a January day (the appliance model's evening: loads on, harmonics
 * present), best of EMU_SAMPLES samples. */
#define EMU_SECONDS 300u
#define EMU_SAMPLES 5
#define EMU_START   (T2026 + 17 * 3600000ull)

static int one(unsigned phases) {
  emu_job *j = calloc(1, sizeof *j);
  if (!j)
    return 1;
  meter_conf_defaults(&j->conf);
  j->conf.phases = (uint8_t)phases;
  j->conf.meter.phases = (uint8_t)phases;
  j->fs = j->conf.sample_rate;
  j->buf = malloc(sizeof(int32_t) * j->fs * (2 * phases + 1));
  char err[256];
  if (!j->buf || emu_new(&j->e, &j->conf, EMU_START, NULL, 0, NULL, NULL, err,
                         sizeof err)) {
    fprintf(stderr, "bench_emu: %s\n", j->buf ? err : "out of memory");
    free(j->buf);
    free(j);
    return 1;
  }
  emu_wave(j, phases);

  double t_syn = best(run_synth, j);
  double t_ref = best(run_synth_ref, j);
  double t_met = best(run_metro, j);
  stage_clock c, cb;
  double t_emu = 1e30;
  run_emu(j->e, 60, &c); /* warm up */
  for (int s = 0; s < EMU_SAMPLES; s++) {
    double t = run_emu(j->e, EMU_SECONDS, &c) / EMU_SECONDS;
    if (t < t_emu) {
      t_emu = t;
      cb = c;
    }
  }
  for (int k = 0; k < 5; k++)
    cb.sum[k] /= EMU_SECONDS;
  /* The old synthesizer in the emulator, estimated: its synthesis stage
   * scaled by the stand-alone old/new ratio on the same configuration. */
  double t_before = t_emu + cb.sum[EMU_STAGE_SYNTH] * (t_ref / t_syn - 1);

  char what[64], o[32], p[32], r[32];
  const char *ph = phases == 3 ? "3 ph" : "1 ph";
  snprintf(what, sizeof what, "emu %s %u Hz: synthesis alone, 1 s", ph, j->fs);
  us(o, sizeof o, t_syn);
  us(p, sizeof p, t_ref);
  strncat(p, " (old synth)", sizeof p - strlen(p) - 1);
  snprintf(r, sizeof r, "%.2fx", t_ref / t_syn);
  bench_row(what, o, p, r);
  snprintf(what, sizeof what, "emu %s: metrology alone, 1 s", ph);
  us(o, sizeof o, t_met);
  bench_row(what, o, "-", "-");
  static const char *const names[5] = {"", "load model", "synthesis",
                                       "metrology", "meter app+supply+push"};
  for (int k = 1; k < 5; k++) {
    snprintf(what, sizeof what, "emu %s in emulator: %s", ph, names[k]);
    us(o, sizeof o, cb.sum[k]);
    snprintf(p, sizeof p, "%.0f %% of the second", 100 * cb.sum[k] / t_emu);
    bench_row(what, o, p, "-");
  }
  snprintf(what, sizeof what, "emu %s: whole emulator per sim. second", ph);
  us(o, sizeof o, t_emu);
  us(p, sizeof p, t_before);
  strncat(p, " (est. old)", sizeof p - strlen(p) - 1);
  snprintf(r, sizeof r, "%.2fx", t_before / t_emu);
  bench_row(what, o, p, r);
  snprintf(what, sizeof what, "emu %s: emulated meter-days/s, 1 core", ph);
  snprintf(o, sizeof o, "%.4f", 1.0 / (86400.0 * t_emu));
  snprintf(p, sizeof p, "%.4f (est. old)", 1.0 / (86400.0 * t_before));
  bench_row(what, o, p, r);
  emu_free(j->e);
  free(j->buf);
  free(j);
  return 0;
}

int bench_emu(void) {
  int rc = one(3);
  rc |= one(1);
  return rc;
}
