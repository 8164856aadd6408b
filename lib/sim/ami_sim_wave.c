/*
 * ami_sim_wave.c -- synthetic voltage/current ADC streams with analytic
 * truth (definitions in ami_sim_wave.h). Deterministic: a seeded splitmix64
 * generator and ziggurat gaussian noise, no global state.
 *
 * Cost. No cos() per harmonic per sample: the samples are made in blocks
 * of BLOCK at absolute indices (n = 0 mod BLOCK). At a block's start the
 * fundamental's phasor e^{j 2 pi q} is set exactly from its cycle
 * position q (n f / fs reduced modulo a cycle with the product's rounding
 * error recovered, so it stays exact to ~1e-15 rad however far into the
 * stream: a direct cos(2 pi n f / fs) is off by up to ~1e-6 rad a year
 * into a 4 kHz stream, ~4 codes of a 24-bit ADC), its powers give every
 * harmonic's, and sample j of the block is Re(A e^{j c} e^{j 2 pi h q} R_h[j])
 * with the rotation table R_h[j] = e^{j 2 pi h j f / fs} made once per call:
 * two multiply-adds per sinusoid per sample, in loops the compiler vectorises,
 * and nothing that can drift (~1e-14 relative, far below one code). The samples
 * depend only on (configuration, n), never on how the caller splits the stream
 * into calls. Stack: ~16 KB per call (the tables).
 *
 * The noise is a 256-layer ziggurat (ami_sim_ziggurat.h): one 64-bit draw
 * and a table compare for ~99 % of the deviates, exact by construction
 * (the tail beyond R by Marsaglia's method).
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
    double sign = (double)(1 - 2 * (int)(u >> 8 & 1)); /* branch-free */
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

/* Samples per block: the phasors are set exactly at its start. */
#define BLOCK 32u
/* The highest harmonic order synthesized. */
#define MAX_ORDER 31u
/* Distinct harmonic orders at most (the fundamental, every phase's). */
#define SLOTS (1u + AMI_METRO_MAX_PHASES * AMI_SIM_MAX_HARM)

/* One sinusoid of a channel: A e^{j c} in ADC codes, its order's slot in
 * the rotation tables, its order. */
typedef struct osc {
  double re, im;
  unsigned slot, h;
} osc;

/* One channel's sinusoids and its samples of the current block (codes,
 * before gain error, offset, noise and rounding). */
typedef struct chan {
  osc o[AMI_SIM_MAX_HARM + 1];
  unsigned n, maxh;
  double v[BLOCK];
} chan;

/* The per-call state: channels and, per distinct order h, the rotations
 * e^{j 2 pi h fr k} for k < BLOCK (by the recurrence: ~1e-14 at most). */
typedef struct synth {
  chan ch[2 * AMI_METRO_MAX_PHASES];
  double nv[BLOCK]; /* the neutral: the sum of the phase currents */
  double rot_re[SLOTS][BLOCK], rot_im[SLOTS][BLOCK];
  unsigned order[SLOTS], n_slots;
} synth;

/* The slot of order h, its rotation table filled on first use. */
static unsigned slot_of(synth *s, unsigned h, double fr) {
  for (unsigned k = 0; k < s->n_slots; k++)
    if (s->order[k] == h)
      return k;
  unsigned k = s->n_slots++;
  s->order[k] = h;
  double rr = cos(2 * SIM_PI * h * fr), ri = sin(2 * SIM_PI * h * fr);
  double *re = s->rot_re[k], *im = s->rot_im[k];
  re[0] = 1;
  im[0] = 0;
  for (unsigned j = 1; j < BLOCK; j++) {
    re[j] = re[j - 1] * rr - im[j - 1] * ri;
    im[j] = re[j - 1] * ri + im[j - 1] * rr;
  }
  return k;
}

/* Sets channel `ch` from components `c` (amplitudes divided by `step`, the
 * ADC lsb). */
static void chan_init(synth *s, chan *ch, const comp *c, unsigned n,
                      double step, double fr) {
  ch->n = 0;
  ch->maxh = 1;
  for (unsigned k = 0; k < n; k++) {
    if (c[k].h > MAX_ORDER)
      continue; /* outside the documented 2..31: not synthesized */
    osc *o = &ch->o[ch->n++];
    o->re = c[k].a / step * cos(c[k].c);
    o->im = c[k].a / step * sin(c[k].c);
    o->h = c[k].h;
    o->slot = slot_of(s, c[k].h, fr);
    if (c[k].h > ch->maxh)
      ch->maxh = c[k].h;
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

/* e^{j 2 pi q h} for 0 <= h <= maxh (<= MAX_ORDER), the powers by
 * repeated multiplication (error ~h ulp). */
static void powers(double q, unsigned maxh, double *pre, double *pim) {
  pre[0] = 1;
  pim[0] = 0;
  pre[1] = cos(2 * SIM_PI * q);
  pim[1] = sin(2 * SIM_PI * q);
  for (unsigned h = 2; h <= maxh; h++) {
    pre[h] = pre[h - 1] * pre[1] - pim[h - 1] * pim[1];
    pim[h] = pre[h - 1] * pim[1] + pim[h - 1] * pre[1];
  }
}

/* Channel samples j0 <= j < j1 of a block: each sinusoid A e^{j c} times
 * the block start's phasor power (pre, pim: e^{j 2 pi q h}) times the
 * rotation e^{j 2 pi h fr j}. */
static void chan_block(const synth *s, chan *ch, const double *pre,
                       const double *pim, unsigned j0, unsigned j1) {
  for (unsigned j = j0; j < j1; j++)
    ch->v[j] = 0;
  for (unsigned k = 0; k < ch->n; k++) {
    const osc *o = &ch->o[k];
    double zr = o->re * pre[o->h] - o->im * pim[o->h];
    double zi = o->re * pim[o->h] + o->im * pre[o->h];
    const double *rr = s->rot_re[o->slot], *ri = s->rot_im[o->slot];
    for (unsigned j = j0; j < j1; j++)
      ch->v[j] += zr * rr[j] - zi * ri[j];
  }
}

/* Channel `c`'s codes for samples j0 <= j < j1 into out (frame stride
 * nch): value v[j] with gain error and offset, plus the noise nz (frame-
 * major, stride nch), rounded to the nearest integer (ties to even, as
 * nearbyint in the default mode) and clamped to +-lim. Clamping first is
 * the same as clamping after (lim is an integer, rounding is monotone) and
 * keeps |code| < 2^51, where adding and subtracting 1.5 * 2^52 rounds
 * exactly. */
static void quantise(const double *v, double gain, double offset,
                     const double *nz, double lim, unsigned j0, unsigned j1,
                     unsigned nch, int32_t *out) {
  for (unsigned j = j0; j < j1; j++) {
    size_t k = (size_t)(j - j0) * nch;
    double code = v[j] * (1.0 + gain) + offset + nz[k];
    code = code > lim ? lim : code < -lim ? -lim : code;
    code = (code + 6755399441055744.0) - 6755399441055744.0;
    out[k] = (int32_t)code;
  }
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
  unsigned nch = ami_sim_wave_channels(c);
  synth s;
  s.n_slots = 0;
  double nz[BLOCK * (2 * AMI_METRO_MAX_PHASES + 1)];
  double su = ami_sim_wave_u_lsb(c), si = ami_sim_wave_i_lsb(c);
  double fr = c->frequency_hz / c->sample_rate_hz; /* cycles per sample */
  for (unsigned p = 0; p < c->phases; p++) {
    comp k[AMI_SIM_MAX_HARM + 1];
    unsigned n = components(&c->phase[p], 0, k);
    chan_init(&s, &s.ch[2 * p], k, n, su, fr);
    n = components(&c->phase[p], 1, k);
    chan_init(&s, &s.ch[2 * p + 1], k, n, si, fr);
  }
  unsigned maxh = 1;
  for (unsigned k = 0; k < 2 * c->phases; k++)
    if (s.ch[k].maxh > maxh)
      maxh = s.ch[k].maxh;
  double lim =
      c->adc_bits >= 32 ? 2147483647.0 : ldexp(1.0, (int)c->adc_bits - 1) - 1;
  while (frames > 0) {
    /* the part [j0, j1) of the block starting at sample m */
    uint64_t m = w->n - w->n % BLOCK;
    unsigned j0 = (unsigned)(w->n - m);
    unsigned j1 = frames < BLOCK - j0 ? j0 + (unsigned)frames : BLOCK;
    double q = cycle_pos(m, fr);
    double pre[MAX_ORDER + 1], pim[MAX_ORDER + 1];
    double sre[MAX_ORDER + 1], sim[MAX_ORDER + 1];
    powers(q, maxh, pre, pim);
    for (unsigned p = 0; p < c->phases; p++) {
      chan_block(&s, &s.ch[2 * p], pre, pim, j0, j1);
      double skew = c->phase[p].i_skew * fr;
      if (skew != 0) { /* the current channel's own phasors */
        powers(q + skew - floor(q + skew), maxh, sre, sim);
        chan_block(&s, &s.ch[2 * p + 1], sre, sim, j0, j1);
      } else {
        chan_block(&s, &s.ch[2 * p + 1], pre, pim, j0, j1);
      }
      for (unsigned j = j0; c->n_dips && j < j1; j++)
        s.ch[2 * p].v[j] *=
            dip_factor(c, p, (double)(m + j) / c->sample_rate_hz);
    }
    /* the noise, drawn frame by frame in channel order */
    unsigned cnt = (j1 - j0) * nch;
    for (unsigned k = 0; k < cnt; k++)
      nz[k] = c->noise_lsb > 0 ? c->noise_lsb * gauss(w) : 0.0;
    for (unsigned p = 0; p < c->phases; p++) {
      const ami_sim_phase *ph = &c->phase[p];
      quantise(s.ch[2 * p].v, ph->u_gain_error, (double)ph->u_offset,
               nz + 2 * p, lim, j0, j1, nch, out + 2 * p);
      quantise(s.ch[2 * p + 1].v, ph->i_gain_error, (double)ph->i_offset,
               nz + 2 * p + 1, lim, j0, j1, nch, out + 2 * p + 1);
    }
    if (c->neutral_channel) {
      for (unsigned j = j0; j < j1; j++) {
        double isum = 0;
        for (unsigned p = 0; p < c->phases; p++)
          isum += s.ch[2 * p + 1].v[j];
        s.nv[j] = isum;
      }
      quantise(s.nv, 0, 0, nz + nch - 1, lim, j0, j1, nch, out + nch - 1);
    }
    out += cnt;
    w->n += j1 - j0;
    frames -= j1 - j0;
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
