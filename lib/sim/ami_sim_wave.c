/*
 * ami_sim_wave.c -- synthetic voltage/current ADC streams with analytic
 * truth (definitions in ami_sim_wave.h). Deterministic: a seeded splitmix64
 * generator and Box-Muller gaussian noise, no global state.
 */
#include "ami/ami_sim_wave.h"

#include <math.h>
#include <string.h>

#define SIM_PI 3.14159265358979323846
#define DEG    (SIM_PI / 180.0)

/* One sinusoid A cos(h w t + c). */
typedef struct comp {
  unsigned h;
  double a, c;
} comp;

/* The components of phase p's voltage (which = 0) or current (which = 1). */
static unsigned components(const ami_sim_phase *ph, int which, comp *out) {
  double base = which ? ph->i_rms : ph->u_rms;
  unsigned n = 0;
  out[n].h = 1;
  out[n].a = sqrt(2.0) * base;
  out[n].c = ph->alpha * DEG - (which ? ph->phi * DEG : 0);
  n++;
  for (unsigned k = 0; k < ph->n_harm && k < AMI_SIM_MAX_HARM; k++) {
    const ami_sim_harmonic *hm = &ph->harm[k];
    double r = which ? hm->i_ratio : hm->u_ratio;
    double th = which ? hm->i_phase : hm->u_phase;
    out[n].h = hm->order;
    out[n].a = sqrt(2.0) * base * r;
    out[n].c = (double)hm->order * ph->alpha * DEG + th * DEG;
    n++;
  }
  return n;
}

unsigned ami_sim_wave_channels(const ami_sim_wave_config *cfg) {
  return 2 * cfg->phases + (cfg->neutral_channel ? 1 : 0);
}

static double lsb(double fs, unsigned bits) {
  return fs / ldexp(1.0, (int)bits - 1);
}

double ami_sim_wave_u_lsb(const ami_sim_wave_config *cfg) {
  return lsb(cfg->u_full_scale, cfg->adc_bits);
}

double ami_sim_wave_i_lsb(const ami_sim_wave_config *cfg) {
  return lsb(cfg->i_full_scale, cfg->adc_bits);
}

void ami_sim_wave_init(ami_sim_wave *w, const ami_sim_wave_config *cfg) {
  memset(w, 0, sizeof *w);
  w->cfg = *cfg;
  w->rng = cfg->seed;
}

/* splitmix64 (Steele, Lea, Flood 2014). */
static uint64_t next_u64(ami_sim_wave *w) {
  uint64_t z = (w->rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* A standard normal deviate (Box-Muller, both outputs used). */
static double gauss(ami_sim_wave *w) {
  if (w->have_spare) {
    w->have_spare = false;
    return w->spare;
  }
  double u1 = ((double)(next_u64(w) >> 11) + 0.5) / 9007199254740992.0;
  double u2 = ((double)(next_u64(w) >> 11) + 0.5) / 9007199254740992.0;
  double r = sqrt(-2.0 * log(u1));
  w->spare = r * sin(2 * SIM_PI * u2);
  w->have_spare = true;
  return r * cos(2 * SIM_PI * u2);
}

static double eval(const comp *c, unsigned n, double cycles) {
  double x = 0;
  for (unsigned k = 0; k < n; k++)
    x += c[k].a * cos(2 * SIM_PI * (double)c[k].h * cycles + c[k].c);
  return x;
}

static int32_t quantise(ami_sim_wave *w, double x, double step, double gain,
                        int32_t offset) {
  const ami_sim_wave_config *c = &w->cfg;
  double code = x / step * (1.0 + gain) + (double)offset;
  if (c->noise_lsb > 0)
    code += c->noise_lsb * gauss(w);
  double lim =
      c->adc_bits >= 32 ? 2147483647.0 : ldexp(1.0, (int)c->adc_bits - 1) - 1;
  code = nearbyint(code);
  if (code > lim)
    code = lim;
  if (code < -lim)
    code = -lim;
  return (int32_t)code;
}

void ami_sim_wave_generate(ami_sim_wave *w, int32_t *out, size_t frames) {
  const ami_sim_wave_config *c = &w->cfg;
  unsigned ch = ami_sim_wave_channels(c);
  comp cu[AMI_METRO_MAX_PHASES][AMI_SIM_MAX_HARM + 1];
  comp ci[AMI_METRO_MAX_PHASES][AMI_SIM_MAX_HARM + 1];
  unsigned nu[AMI_METRO_MAX_PHASES], ni[AMI_METRO_MAX_PHASES];
  for (unsigned p = 0; p < c->phases; p++) {
    nu[p] = components(&c->phase[p], 0, cu[p]);
    ni[p] = components(&c->phase[p], 1, ci[p]);
  }
  double su = ami_sim_wave_u_lsb(c), si = ami_sim_wave_i_lsb(c);
  double fr = c->frequency_hz / c->sample_rate_hz; /* cycles per sample */
  for (size_t k = 0; k < frames; k++, w->n++) {
    int32_t *f = out + k * ch;
    double t = (double)w->n / c->sample_rate_hz;
    double isum = 0;
    for (unsigned p = 0; p < c->phases; p++) {
      const ami_sim_phase *ph = &c->phase[p];
      double cyc = fmod((double)w->n * fr, 1e6);
      double u = eval(cu[p], nu[p], cyc);
      for (unsigned d = 0; d < c->n_dips; d++)
        if ((c->dips[d].phase_mask >> p & 1) && t >= c->dips[d].t_start &&
            t < c->dips[d].t_end)
          u *= c->dips[d].factor;
      double i = eval(ci[p], ni[p], cyc + ph->i_skew * fr);
      isum += i;
      f[2 * p] = quantise(w, u, su, ph->u_gain_error, ph->u_offset);
      f[2 * p + 1] = quantise(w, i, si, ph->i_gain_error, ph->i_offset);
    }
    if (c->neutral_channel)
      f[ch - 1] = quantise(w, isum, si, 0, 0);
  }
}

/* Integral of cos(W t + c) over [t0, t1). */
static double icos(double W, double c, double t0, double t1) {
  if (W == 0)
    return (t1 - t0) * cos(c);
  return (sin(W * t1 + c) - sin(W * t0 + c)) / W;
}

void ami_sim_wave_truth(const ami_sim_wave_config *cfg, unsigned p, double t0,
                        double t1, ami_sim_truth *out) {
  memset(out, 0, sizeof *out);
  const ami_sim_phase *ph = &cfg->phase[p];
  comp cu[AMI_SIM_MAX_HARM + 1], ci[AMI_SIM_MAX_HARM + 1];
  unsigned nu = components(ph, 0, cu), ni = components(ph, 1, ci);
  double w = 2 * SIM_PI * cfg->frequency_hz;
  double u2 = 0, i2 = 0, uh2 = 0, ih2 = 0;
  for (unsigned a = 0; a < nu; a++) {
    u2 += cu[a].a * cu[a].a / 2;
    if (cu[a].h > 1)
      uh2 += cu[a].a * cu[a].a / 2;
    for (unsigned b = 0; b < ni; b++) {
      /* cos x cos y = (cos(x - y) + cos(x + y)) / 2 */
      double k = cu[a].a * ci[b].a / 2;
      double hd = (double)cu[a].h - (double)ci[b].h;
      double hs = (double)cu[a].h + (double)ci[b].h;
      out->energy_j += k * (icos(hd * w, cu[a].c - ci[b].c, t0, t1) +
                            icos(hs * w, cu[a].c + ci[b].c, t0, t1));
      if (cu[a].h == ci[b].h) {
        out->p += k * cos(cu[a].c - ci[b].c);
        out->q_true += k * sin(cu[a].c - ci[b].c);
        if (cu[a].h == 1)
          out->q_fund += k * sin(cu[a].c - ci[b].c);
      }
    }
  }
  for (unsigned b = 0; b < ni; b++) {
    i2 += ci[b].a * ci[b].a / 2;
    if (ci[b].h > 1)
      ih2 += ci[b].a * ci[b].a / 2;
  }
  out->urms = sqrt(u2);
  out->irms = sqrt(i2);
  out->s = out->urms * out->irms;
  double u1 = cu[0].a * cu[0].a / 2, i1 = ci[0].a * ci[0].a / 2;
  out->thd_u = u1 > 0 ? sqrt(uh2 / u1) : 0;
  out->thd_i = i1 > 0 ? sqrt(ih2 / i1) : 0;
}

double ami_sim_wave_neutral_rms(const ami_sim_wave_config *cfg) {
  double sum2 = 0;
  for (unsigned h = 1; h <= 31; h++) {
    double re = 0, im = 0;
    for (unsigned p = 0; p < cfg->phases; p++) {
      comp ci[AMI_SIM_MAX_HARM + 1];
      unsigned n = components(&cfg->phase[p], 1, ci);
      for (unsigned k = 0; k < n; k++)
        if (ci[k].h == h) {
          re += ci[k].a * cos(ci[k].c);
          im += ci[k].a * sin(ci[k].c);
        }
    }
    sum2 += (re * re + im * im) / 2;
  }
  return sqrt(sum2);
}
