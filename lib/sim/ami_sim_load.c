/*
 * ami_sim_load.c -- replayed households: a dataset's half hour shaped into
 * one-minute bins whose energies add up exactly to the dataset's value, and
 * the power and energy queries shared with synthetic households.
 *
 * The shape of a half hour is a pure function of (seed, household, slot):
 * a generator is seeded from those three keys (ami_sim_rng_seed3), so any
 * half hour can be produced on its own, in any order, in O(1).
 *
 * Exactness: all energies are integers in microjoules (mW * ms). A half hour
 * of E mWh is E * 3,600,000 uJ; the fridge, the appliance events and the
 * flat base load are carved out of it with integer arithmetic, the base
 * taking what is left, so the 30 bins always sum to the dataset's value.
 */
#include "ami_sim_load_internal.h"

#include <stdbool.h>
#include <string.h>

#include "ami/ami_sim_rng.h"

/* Load classes of a replayed half hour: power factor expressed as Q/P in
 * thousandths (tan phi; negative = capacitive) and the 3rd/5th harmonic of
 * the current relative to the fundamental, per mille. Typical values for
 * the appliance types (resistive heaters are linear; single-phase rectifier
 * loads with a smoothing capacitor draw strong odd harmonics; induction
 * motors are inductive). */
typedef struct load_class {
  int32_t p_min_w, p_max_w; /* power range of one event */
  int16_t tan_milli;
  uint16_t h3, h5;
} load_class;

enum {
  C_BASE,
  C_FRIDGE,
  C_KETTLE,
  C_OVEN,
  C_MICROWAVE,
  C_WASHER,
  C_DISH,
  C_ELECTRONICS,
  C_COUNT
};

static const load_class classes[C_COUNT] = {
    [C_BASE] = {0, 0, 250, 300, 200},           /* standby, lights: pf ~0.97 */
    [C_FRIDGE] = {0, 0, 750, 50, 30},           /* compressor motor: pf 0.8 */
    [C_KETTLE] = {1800, 3000, 0, 0, 0},         /* resistive */
    [C_OVEN] = {1500, 2500, 0, 0, 0},           /* resistive */
    [C_MICROWAVE] = {900, 1400, 330, 250, 150}, /* pf 0.95 */
    [C_WASHER] = {500, 2200, 400, 120, 80},     /* heater + motor */
    [C_DISH] = {1200, 2200, 100, 60, 40},       /* heater + pump */
    [C_ELECTRONICS] = {100, 400, -100, 750, 500}, /* TV/PC: rectifier */
};

/* Appliance event types, drawn by weight for a slot with spare energy. */
static const uint8_t event_pick[] = {
    C_KETTLE,    C_KETTLE, C_KETTLE, C_OVEN,        C_OVEN,
    C_MICROWAVE, C_WASHER, C_DISH,   C_ELECTRONICS, C_ELECTRONICS};

/* Per-bin accumulators while a half hour is assembled. */
typedef struct shaper {
  int64_t p[AMI_SIM_BINS];
  int64_t q[AMI_SIM_BINS];
  int64_t w3[AMI_SIM_BINS]; /* sum of energy * h3 */
  int64_t w5[AMI_SIM_BINS];
} shaper;

static void add(shaper *s, unsigned bin, int64_t e_uj, const load_class *c) {
  s->p[bin] += e_uj;
  s->q[bin] += e_uj * c->tan_milli / 1000;
  s->w3[bin] += e_uj * c->h3;
  s->w5[bin] += e_uj * c->h5;
}

/* Stores a shaper's bins into the household cache, generation given. */
static void store(ami_sim_household *h, const shaper *s, const int64_t *gen) {
  for (unsigned j = 0; j < AMI_SIM_BINS; j++) {
    ami_sim_bin *b = &h->bins[j];
    ami__sim_split(s->p[j], &b->load_mw, &b->load_rem);
    ami__sim_split(gen ? gen[j] : 0, &b->gen_mw, &b->gen_rem);
    ami__sim_split(s->q[j], &b->q_mvar, &b->q_rem);
    b->h3 = (uint16_t)(s->p[j] > 0 ? s->w3[j] / s->p[j] : 0);
    b->h5 = (uint16_t)(s->p[j] > 0 ? s->w5[j] / s->p[j] : 0);
  }
}

/* Household constants drawn once from the seed: fridge power, cycle period
 * (minutes) and duty, phase. */
typedef struct fridge {
  int64_t p_mw;
  uint32_t period_min, on_min, phase_min;
} fridge;

static fridge fridge_of(uint64_t seed, uint32_t index) {
  ami_sim_rng r;
  ami_sim_rng_seed3(&r, seed, index, 0xF81D6Eull);
  fridge f;
  f.p_mw = 70000 + (int64_t)ami_sim_rng_below(&r, 80000);
  f.period_min = 35 + ami_sim_rng_below(&r, 30);
  f.on_min = f.period_min * (30 + ami_sim_rng_below(&r, 20)) / 100;
  f.phase_min = ami_sim_rng_below(&r, f.period_min);
  return f;
}

/* Shapes a half hour of consumption e_uj (>= 0) into s: periodic fridge
 * (at most half the slot's energy), up to three appliance events (the
 * larger the slot's mean power, the more of it they take), a flat base for
 * the rest, which makes the bins sum to e_uj exactly. `abs_min` is the
 * absolute minute number of bin 0 (the fridge's clock). */
static void shape_consumption(shaper *s, ami_sim_rng *r, int64_t e_uj,
                              const fridge *fr, int64_t abs_min) {
  if (e_uj <= 0)
    return;
  int64_t left = e_uj;
  /* Fridge: on in the minutes its cycle says, scaled down when the whole
   * half hour has less energy than a fridge would use. */
  int64_t on_bins = 0;
  bool on[AMI_SIM_BINS];
  for (unsigned j = 0; j < AMI_SIM_BINS; j++) {
    uint32_t m = (uint32_t)ami__sim_floormod(abs_min + j + fr->phase_min,
                                             fr->period_min);
    on[j] = m < fr->on_min;
    on_bins += on[j];
  }
  if (on_bins > 0) {
    int64_t per_bin = fr->p_mw * AMI_SIM_BIN_MS;
    if (per_bin * on_bins > e_uj / 2)
      per_bin = e_uj / 2 / on_bins;
    for (unsigned j = 0; j < AMI_SIM_BINS; j++)
      if (on[j]) {
        add(s, j, per_bin, &classes[C_FRIDGE]);
        left -= per_bin;
      }
  }
  /* Appliance events take 30-85 % of what is left when the mean power
   * says appliances ran (above 250 W); below, now and then a small
   * electronics event. */
  int64_t mean_mw = e_uj / AMI_SIM_SLOT_MS;
  unsigned n = 0;
  int64_t budget = 0;
  if (mean_mw > 250000) {
    n = 1 + ami_sim_rng_below(r, 3);
    budget = left * (30 + ami_sim_rng_below(r, 56)) / 100;
  } else if (ami_sim_rng_below(r, 4) == 0) {
    n = 1;
    budget = left * (10 + ami_sim_rng_below(r, 30)) / 100;
  }
  for (unsigned k = 0; k < n; k++) {
    int64_t ek = budget / n;
    const load_class *c =
        &classes[n == 1 && mean_mw <= 250000
                     ? C_ELECTRONICS
                     : event_pick[ami_sim_rng_below(r, sizeof event_pick)]];
    int64_t p_mw =
        1000 * (c->p_min_w + (int64_t)ami_sim_rng_below(
                                 r, (uint32_t)(c->p_max_w - c->p_min_w + 1)));
    /* Duration in whole minutes (1..30) at that power. */
    int64_t d = (ek + p_mw * AMI_SIM_BIN_MS / 2) / (p_mw * AMI_SIM_BIN_MS);
    if (d < 1)
      d = 1;
    if (d > (int64_t)AMI_SIM_BINS)
      d = AMI_SIM_BINS;
    unsigned start = ami_sim_rng_below(r, (uint32_t)(AMI_SIM_BINS - d + 1));
    int64_t per = ek / d;
    for (unsigned j = start; j < start + d; j++) {
      add(s, j, per, c);
      left -= per;
    }
  }
  /* Base load: the exact remainder, spread flat, the indivisible rest in
   * the first bins (one microjoule each). */
  int64_t per = left / AMI_SIM_BINS, extra = left % AMI_SIM_BINS;
  for (unsigned j = 0; j < AMI_SIM_BINS; j++)
    add(s, j, per + ((int64_t)j < extra), &classes[C_BASE]);
}

/* Shapes a half hour of PV generation g_uj (>= 0) into gen[]: a clear-sky
 * curve for the site at the data's own time (t_sun_ms = the real UTC start
 * of the slot), dimmed by passing clouds (a smoothed random process whose depth
 * is drawn per slot), scaled so the bins sum to g_uj exactly (cumulative
 * rounding). 5 % is spread flat, all of it when the sun model calls the
 * slot night but the data says it produced (dawn, dusk, sensor offsets). */
static void shape_pv(int64_t *gen, ami_sim_rng *r, int64_t g_uj,
                     int64_t t_sun_ms, double lat, double lon) {
  double w[AMI_SIM_BINS], total = 0, depth = ami_sim_rng_uniform(r);
  double u = ami_sim_rng_uniform(r);
  depth *= depth * 0.8; /* mostly light clouds, now and then deep ones */
  for (unsigned j = 0; j < AMI_SIM_BINS; j++) {
    u = 0.6 * u + 0.4 * ami_sim_rng_uniform(r);
    double cs = ami__sim_clear_sky(
        t_sun_ms + (int64_t)j * AMI_SIM_BIN_MS + AMI_SIM_BIN_MS / 2, lat, lon);
    w[j] = cs * (1.0 - depth * u);
    total += w[j];
  }
  if (g_uj <= 0) {
    memset(gen, 0, AMI_SIM_BINS * sizeof *gen);
    return;
  }
  /* Blend in 5 % flat (twilight, diffuse light, the data's own timing
   * uncertainty) so that a slot the sun model sees as almost dark does not
   * pile the data's energy into a minute or two; all flat when dark. */
  for (unsigned j = 0; j < AMI_SIM_BINS; j++)
    w[j] = total > 0 ? 0.95 * w[j] / total + 0.05 / AMI_SIM_BINS
                     : 1.0 / AMI_SIM_BINS;
  total = 1.0;
  double cum = 0;
  int64_t prev = 0;
  for (unsigned j = 0; j < AMI_SIM_BINS; j++) {
    cum += w[j];
    int64_t c = j + 1 == AMI_SIM_BINS
                    ? g_uj
                    : (int64_t)((double)g_uj * (cum / total) + 0.5);
    if (c < prev)
      c = prev;
    if (c > g_uj)
      c = g_uj;
    gen[j] = c - prev;
    prev = c;
  }
}

/* Expands absolute slot s of a replayed household into its bins. */
static void expand_dataset(ami_sim_household *h, int64_t s) {
  const ami_sim_dataset *ds = h->ds;
  shaper sh;
  memset(&sh, 0, sizeof sh);
  ami_sim_rng r;
  ami_sim_rng_seed3(&r, h->seed, h->index, (uint64_t)s);
  size_t row = (size_t)h->index * ds->slots;
  if (ds->slot_ms == AMI_SIM_BIN_MS) {
    /* One-minute data: each bin is the dataset's minute (P W, Q var). */
    int64_t m0 =
        s * AMI_SIM_BINS - ami__sim_floordiv(ds->start_ms, AMI_SIM_BIN_MS);
    h->cached_flag = 0;
    for (unsigned j = 0; j < AMI_SIM_BINS; j++) {
      size_t k = row + (size_t)ami__sim_floormod(m0 + j, ds->slots);
      sh.p[j] = (int64_t)ds->a[k] * 1000 * AMI_SIM_BIN_MS;
      sh.q[j] = (int64_t)ds->b[k] * 1000 * AMI_SIM_BIN_MS;
      sh.w3[j] = sh.p[j] * classes[C_BASE].h3;
      sh.w5[j] = sh.p[j] * classes[C_BASE].h5;
      if (ds->flags[k] > h->cached_flag)
        h->cached_flag = ds->flags[k];
    }
    store(h, &sh, NULL);
    return;
  }
  int64_t k = ami__sim_floormod(
      s - ami__sim_floordiv(ds->start_ms, AMI_SIM_SLOT_MS), ds->slots);
  int64_t e_uj = (int64_t)ds->a[row + (size_t)k] * AMI_SIM_UJ_PER_MWH;
  h->cached_flag = ds->flags[row + (size_t)k];
  fridge fr = fridge_of(h->seed, h->index);
  shape_consumption(&sh, &r, e_uj, &fr, s * AMI_SIM_BINS);
  if (ds->b) {
    int64_t gen[AMI_SIM_BINS];
    int64_t g_uj = (int64_t)ds->b[row + (size_t)k] * AMI_SIM_UJ_PER_MWH;
    /* The labels are civil time: in daylight saving the sun was an hour
     * earlier than the regular grid says. */
    int64_t t_data = ds->start_ms + k * (int64_t)AMI_SIM_SLOT_MS;
    t_data -= ami_sim_dst_shift_ms(ds->dst, t_data, ds->utc_offset_min);
    shape_pv(gen, &r, g_uj, t_data, ds->latitude_deg, ds->longitude_deg);
    store(h, &sh, gen);
  } else {
    store(h, &sh, NULL);
  }
}

/* Makes h->bins hold absolute slot s. */
static void ensure(ami_sim_household *h, int64_t s) {
  if (h->cached_slot == s)
    return;
  if (h->ds)
    expand_dataset(h, s);
  else
    ami__sim_expand_synthetic(h, s);
  h->cached_slot = s;
}

int ami_sim_household_init(ami_sim_household *h, const ami_sim_dataset *ds,
                           uint32_t index, uint64_t seed) {
  memset(h, 0, sizeof *h);
  h->cached_slot = INT64_MIN;
  if (!ds || index >= ds->households)
    return AMI_E_RANGE;
  h->ds = ds;
  h->index = index;
  h->seed = seed;
  return AMI_OK;
}

void ami_sim_household_set_offset(ami_sim_household *h, int64_t offset_ms) {
  h->offset_ms = offset_ms;
  h->cached_slot = INT64_MIN;
}

void ami_sim_household_power(ami_sim_household *h, uint64_t t_ms,
                             ami_sim_power *out) {
  int64_t t = (int64_t)t_ms + h->offset_ms;
  int64_t s = ami__sim_floordiv(t, AMI_SIM_SLOT_MS);
  ensure(h, s);
  int64_t u = t - s * (int64_t)AMI_SIM_SLOT_MS;
  const ami_sim_bin *b = &h->bins[u / AMI_SIM_BIN_MS];
  int64_t v = u % AMI_SIM_BIN_MS;
  out->load_mw = b->load_mw + (v < b->load_rem);
  out->gen_mw = b->gen_mw + (v < b->gen_rem);
  out->q_mvar = b->q_mvar + (v < b->q_rem);
  out->p_mw = out->load_mw - out->gen_mw;
  out->h3_permille = b->h3;
  out->h5_permille = b->h5;
  out->flag = h->cached_flag;
}

/* Integral over [a, b) (ms within a bin) of a level + 1-during-[0, rem)
 * function. */
static int64_t bin_integral(int32_t level, uint16_t rem, int64_t a, int64_t b) {
  int64_t lo = a < rem ? a : rem, hi = b < rem ? b : rem;
  return (int64_t)level * (b - a) + (hi - lo);
}

void ami_sim_household_energy(ami_sim_household *h, uint64_t t0_ms,
                              uint64_t t1_ms, ami_sim_energy *out) {
  memset(out, 0, sizeof *out);
  if (t1_ms <= t0_ms)
    return;
  int64_t t = (int64_t)t0_ms + h->offset_ms;
  int64_t end = (int64_t)t1_ms + h->offset_ms;
  while (t < end) {
    int64_t s = ami__sim_floordiv(t, AMI_SIM_SLOT_MS);
    ensure(h, s);
    int64_t u = t - s * (int64_t)AMI_SIM_SLOT_MS;
    unsigned j = (unsigned)(u / AMI_SIM_BIN_MS);
    int64_t a = u % AMI_SIM_BIN_MS;
    int64_t b = AMI_SIM_BIN_MS;
    if (end - t < b - a)
      b = a + (end - t);
    const ami_sim_bin *bin = &h->bins[j];
    out->load_uj += bin_integral(bin->load_mw, bin->load_rem, a, b);
    out->gen_uj += bin_integral(bin->gen_mw, bin->gen_rem, a, b);
    out->reactive_mvarms += bin_integral(bin->q_mvar, bin->q_rem, a, b);
    /* Net power is constant except where a remainder run ends: split the
     * interval there and integrate max(P, 0) and max(-P, 0) piecewise. */
    int64_t pts[4], rl = bin->load_rem, rg = bin->gen_rem;
    int n = 0;
    pts[n++] = a;
    if (rl > a && rl < b)
      pts[n++] = rl;
    if (rg > a && rg < b && rg != rl)
      pts[n++] = rg;
    if (n == 3 && pts[1] > pts[2]) {
      pts[1] = rg;
      pts[2] = rl;
    }
    pts[n++] = b;
    for (int i = 0; i + 1 < n; i++) {
      int64_t x = pts[i], y = pts[i + 1];
      int64_t net = (int64_t)bin->load_mw + (x < rl) - bin->gen_mw - (x < rg);
      if (net > 0)
        out->import_uj += net * (y - x);
      else
        out->export_uj -= net * (y - x);
    }
    t += b - a;
  }
}
