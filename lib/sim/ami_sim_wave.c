/*
 * ami_sim_wave.c -- synthetic voltage/current ADC streams with analytic
 * truth (definitions in ami_sim_wave.h). Deterministic: a seeded splitmix64
 * generator and ziggurat gaussian noise, no global state.
 *
 * Cost. Each sinusoid is a phasor z = A e^{j theta} rotated by a complex
 * multiply per sample (its step e^{j 2 pi h f / fs} computed once per call)
 * instead of one cos() per harmonic per sample; every BLOCK samples, at
 * absolute sample indices n = 0 (mod BLOCK), the phasors are set again
 * exactly from cos/sin of the angle (reduced modulo a cycle with the
 * product's rounding error recovered, so it stays exact to ~1e-15 rad a
 * year into the stream, where the direct cos(2 pi h n f / fs) loses ~1e-7
 * rad -- ~0.5 code at 24 bits, the emulator's ADC), so rounding cannot drift
 * (64 rotations: ~1e-14 relative, far below one ADC code). A call starting
 * mid-block sets the phasors at the block's start and rotates forward, so
 * the samples depend only on (configuration, n), never on how the caller
 * splits the stream into calls. The noise is a 256-layer ziggurat
 * (ami_sim_ziggurat.h): one 64-bit draw and a table compare for ~99 % of
 * deviates, exact by construction (tail beyond R by Marsaglia's method).
 */
#include "ami/ami_sim_wave.h"

#include <math.h>
#include <string.h>

#include "ami_sim_ziggurat.h"

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

/* Uniform double in (0, 1), 53 random bits. */
static double uniform_open(ami_sim_wave *w) {
  return ((double)(next_u64(w) >> 11) + 0.5) / 9007199254740992.0;
}

/* A standard normal deviate by the ziggurat (Marsaglia and Tsang 2000;
 * disjoint bits of one draw for the layer, the sign and the abscissa, as
 * Doornik 2005 recommends): a point uniform in a layer of equal area; under
 * the curve at once when inside the layer's core, else tested against
 * exp(-x^2/2), or, in the base layer, drawn from the tail beyond R. */
static double gauss(ami_sim_wave *w) {
  for (;;) {
    uint64_t u = next_u64(w);
    unsigned i = (unsigned)(u & 0xFF);
    double sign = (u >> 8 & 1) ? -1.0 : 1.0;
    double x = (double)(u >> 11) / 9007199254740992.0 * ami__zig_x[i];
    if (x < ami__zig_x[i + 1])
      return sign * x;
    if (i == 0) { /* the tail (Marsaglia 1964) */
      double a, b;
      do {
        a = -log(uniform_open(w)) / AMI__ZIG_R;
        b = -log(uniform_open(w));
      } while (b + b < a * a);
      return sign * (AMI__ZIG_R + a);
    }
    double y =
        ami__zig_f[i] + uniform_open(w) * (ami__zig_f[i + 1] - ami__zig_f[i]);
    if (y < exp(-0.5 * x * x))
      return sign * x;
  }
}

/* Samples between exact phasor settings (a power of two). */
#define BLOCK 64u

/* A rotating phasor: z = A e^{j theta(n)} (A in ADC codes), r = e^{j step}. */
typedef struct osc {
  double re, im, rr, ri, a, c;
  double h;
} osc;

/* One channel's sinusoids. */
typedef struct chan {
  osc o[AMI_SIM_MAX_HARM + 1];
  unsigned n;
} chan;

/* Sets channel `ch` from components `c` (amplitudes divided by `step`, the
 * ADC lsb) at frequency `fr` (cycles per sample); chan_set places it. */
static void chan_init(chan *ch, const comp *c, unsigned n, double step,
                      double fr) {
  ch->n = n;
  for (unsigned k = 0; k < n; k++) {
    osc *o = &ch->o[k];
    o->a = c[k].a / step;
    o->c = c[k].c;
    o->h = (double)c[k].h;
    o->rr = cos(2 * SIM_PI * o->h * fr);
    o->ri = sin(2 * SIM_PI * o->h * fr);
  }
}

/* The exact phasors at sample n, whose position in the fundamental's cycle
 * is q (0 <= q < 1, plus a current channel's skew): angle 2 pi frac(h q) +
 * c, reduced before multiplying by 2 pi so that it stays exact to ~1e-15
 * rad however far into the stream n is. */
static void chan_set(chan *ch, double q) {
  for (unsigned k = 0; k < ch->n; k++) {
    osc *o = &ch->o[k];
    double hq = o->h * q;
    double th = 2 * SIM_PI * (hq - floor(hq)) + o->c;
    o->re = o->a * cos(th);
    o->im = o->a * sin(th);
  }
}

/* frac(n fr), n < 2^53: the product's rounding error recovered exactly by
 * fma (n fr = p + e), the integer part dropped from p exactly. */
static double cycle_pos(uint64_t n, double fr) {
  double nd = (double)n;
  double p = nd * fr;
  double e = fma(nd, fr, -p);
  double q = (p - floor(p)) + e;
  return q - floor(q);
}

/* The channel's value now (codes), then one sample forward. */
static double chan_next(chan *ch) {
  double x = 0;
  for (unsigned k = 0; k < ch->n; k++) {
    osc *o = &ch->o[k];
    x += o->re;
    double re = o->re * o->rr - o->im * o->ri;
    o->im = o->re * o->ri + o->im * o->rr;
    o->re = re;
  }
  return x;
}

/* A code: value (codes) with gain error, offset and noise, rounded to the
 * nearest integer (ties to even, as nearbyint in the default mode) and
 * clamped to +-lim. Clamping first is the same as clamping after: lim is
 * an integer and rounding is monotone; it keeps |v| < 2^51 so adding and
 * subtracting 1.5 * 2^52 rounds exactly. */
static int32_t quantise(ami_sim_wave *w, double v, double gain, double offset,
                        double lim) {
  double code = v * (1.0 + gain) + offset;
  if (w->cfg.noise_lsb > 0)
    code += w->cfg.noise_lsb * gauss(w);
  if (code > lim)
    code = lim;
  if (code < -lim)
    code = -lim;
  code = (code + 6755399441055744.0) - 6755399441055744.0;
  return (int32_t)code;
}

/* The dip factor of phase p at time t (1 outside every dip). */
static double dip_factor(const ami_sim_wave_config *c, unsigned p, double t) {
  double f = 1.0;
  for (unsigned d = 0; d < c->n_dips; d++)
    if ((c->dips[d].phase_mask >> p & 1) && t >= c->dips[d].t_start &&
        t < c->dips[d].t_end)
      f *= c->dips[d].factor;
  return f;
}

void ami_sim_wave_generate(ami_sim_wave *w, int32_t *out, size_t frames) {
  const ami_sim_wave_config *c = &w->cfg;
  unsigned ch = ami_sim_wave_channels(c);
  chan cu[AMI_METRO_MAX_PHASES], ci[AMI_METRO_MAX_PHASES];
  double su = ami_sim_wave_u_lsb(c), si = ami_sim_wave_i_lsb(c);
  double fr = c->frequency_hz / c->sample_rate_hz; /* cycles per sample */
  for (unsigned p = 0; p < c->phases; p++) {
    comp k[AMI_SIM_MAX_HARM + 1];
    unsigned n = components(&c->phase[p], 0, k);
    chan_init(&cu[p], k, n, su, fr);
    n = components(&c->phase[p], 1, k);
    chan_init(&ci[p], k, n, si, fr);
  }
  double lim =
      c->adc_bits >= 32 ? 2147483647.0 : ldexp(1.0, (int)c->adc_bits - 1) - 1;
  for (size_t k = 0; k < frames; k++, w->n++) {
    if (k == 0 || w->n % BLOCK == 0) {
      /* exact phasors at the block's start, then forward to n */
      uint64_t m = w->n - w->n % BLOCK;
      double q = cycle_pos(m, fr);
      for (unsigned p = 0; p < c->phases; p++) {
        chan_set(&cu[p], q);
        chan_set(&ci[p], q + c->phase[p].i_skew * fr);
        for (uint64_t j = m; j < w->n; j++) {
          chan_next(&cu[p]);
          chan_next(&ci[p]);
        }
      }
    }
    int32_t *f = out + k * ch;
    double isum = 0;
    for (unsigned p = 0; p < c->phases; p++) {
      const ami_sim_phase *ph = &c->phase[p];
      double u = chan_next(&cu[p]);
      if (c->n_dips)
        u *= dip_factor(c, p, (double)w->n / c->sample_rate_hz);
      double i = chan_next(&ci[p]);
      isum += i;
      f[2 * p] = quantise(w, u, ph->u_gain_error, (double)ph->u_offset, lim);
      f[2 * p + 1] =
          quantise(w, i, ph->i_gain_error, (double)ph->i_offset, lim);
    }
    if (c->neutral_channel)
      f[ch - 1] = quantise(w, isum, 0, 0, lim);
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
