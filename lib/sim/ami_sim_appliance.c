/*
 * ami_sim_appliance.c -- synthetic households built from appliance models,
 * and the sun: where it is and what a clear sky gives a PV array.
 *
 * Every appliance is a pure function of (household seed, time): periodic
 * appliances (fridge, heat-pump cycling) run on the absolute clock with a
 * seed-drawn phase; behavioural ones (waking, meals, washing, EV arrival)
 * follow a per-day plan drawn from (seed, local day). So any minute can be
 * evaluated on its own, in any order, with the same result.
 *
 * Each appliance has a power factor (Q = P * tan phi) and a harmonic
 * signature; a minute's harmonic hint is the power-weighted mean of the
 * appliances running.
 */
#include "ami_sim_load_internal.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "ami/ami_caltime.h"
#include "ami/ami_sim_rng.h"

#define PI     3.14159265358979323846
#define DAY_MS 86400000ll

/* ---------------------------------------------------------------------- */
/* The sun                                                                 */

/* NOAA General Solar Position low-precision formulas: fractional year,
 * equation of time and declination, then the hour angle from UTC and the
 * longitude. */
double ami__sim_sun_sin_elevation(int64_t t_ms, double lat_deg,
                                  double lon_deg) {
  int64_t days = ami__sim_floordiv(t_ms, DAY_MS);
  int32_t y;
  unsigned m, d;
  ami_civil_from_days(days, &y, &m, &d);
  double doy = (double)(days - ami_days_from_civil(y, 1, 1));
  double min_of_day = (double)(t_ms - days * DAY_MS) / 60000.0;
  double year_len = ami_is_leap_year(y) ? 366.0 : 365.0;
  double g = 2 * PI / year_len * (doy + (min_of_day / 60.0 - 12.0) / 24.0);
  double eqtime = 229.18 * (0.000075 + 0.001868 * cos(g) - 0.032077 * sin(g) -
                            0.014615 * cos(2 * g) - 0.040849 * sin(2 * g));
  double decl = 0.006918 - 0.399912 * cos(g) + 0.070257 * sin(g) -
                0.006758 * cos(2 * g) + 0.000907 * sin(2 * g) -
                0.002697 * cos(3 * g) + 0.00148 * sin(3 * g);
  double tst = min_of_day + eqtime + 4.0 * lon_deg; /* true solar minutes */
  double ha = (tst / 4.0 - 180.0) * PI / 180.0;
  double lat = lat_deg * PI / 180.0;
  return sin(lat) * sin(decl) + cos(lat) * cos(decl) * cos(ha);
}

/* Clear-sky global irradiance relative to a zenith sun, from the sine of
 * the sun's elevation: direct beam through the air mass (Meinel:
 * 0.7^(AM^0.678), Kasten-Young air mass) on a horizontal surface. */
double ami__sim_clear_sky_se(double se) {
  if (!(se > 0.0))
    return 0.0;
  double am =
      1.0 / (se + 0.50572 * pow(6.07995 + asin(se) * 180.0 / PI, -1.6364));
  return se * pow(0.7, pow(am, 0.678)) / 0.7;
}

double ami__sim_clear_sky(int64_t t_ms, double lat_deg, double lon_deg) {
  return ami__sim_clear_sky_se(
      ami__sim_sun_sin_elevation(t_ms, lat_deg, lon_deg));
}

/* ---------------------------------------------------------------------- */
/* Daylight saving                                                         */

static int64_t first_sunday(int32_t y, unsigned m) {
  int64_t d = ami_days_from_civil(y, m, 1);
  return d + (7 - (int64_t)ami_weekday_from_days(d)) % 7;
}

static int64_t last_sunday(int32_t y, unsigned m) {
  int64_t d = ami_days_from_civil(y, m, ami_days_in_month(y, m));
  return d - (int64_t)ami_weekday_from_days(d) % 7;
}

int64_t ami_sim_dst_shift_ms(ami_sim_dst rule, int64_t t_ms,
                             int32_t std_offset_min) {
  const int64_t hour = 3600000;
  if (rule != AMI_SIM_DST_AU_SE && rule != AMI_SIM_DST_EU)
    return 0;
  int64_t local = t_ms + (int64_t)std_offset_min * 60000;
  int32_t y;
  unsigned m, d;
  ami_civil_from_days(ami__sim_floordiv(local, DAY_MS), &y, &m, &d);
  if (rule == AMI_SIM_DST_AU_SE) {
    /* In local standard time both transitions happen at 02:00. */
    int64_t start = first_sunday(y, 10) * DAY_MS + 2 * hour;
    int64_t end = first_sunday(y, 4) * DAY_MS + 2 * hour;
    return local >= start || local < end ? hour : 0;
  }
  int64_t start = last_sunday(y, 3) * DAY_MS + hour; /* UTC */
  int64_t end = last_sunday(y, 10) * DAY_MS + hour;
  return t_ms >= start && t_ms < end ? hour : 0;
}

/* ---------------------------------------------------------------------- */
/* Household draw                                                          */

void ami_sim_synth_params_random(ami_sim_synth_params *p, uint64_t seed) {
  ami_sim_rng r;
  ami_sim_rng_seed3(&r, seed, 0x5EED, 0);
  memset(p, 0, sizeof *p);
  p->standby_w = 40 + (int32_t)ami_sim_rng_below(&r, 111);
  p->fridge_w = 70 + (int32_t)ami_sim_rng_below(&r, 81);
  p->lighting_w = 80 + (int32_t)ami_sim_rng_below(&r, 221);
  p->ev_w = 7400;
  p->heat_pump_w = 1500 + (int32_t)ami_sim_rng_below(&r, 2001);
  p->pv_wp = 2000 + 500 * (int32_t)ami_sim_rng_below(&r, 9);
  if (ami_sim_rng_below(&r, 100) < 70)
    p->appliances |= AMI_SIM_HAS_ELECTRIC_COOKING;
  if (ami_sim_rng_below(&r, 100) < 25)
    p->appliances |= AMI_SIM_HAS_EV;
  if (ami_sim_rng_below(&r, 100) < 20)
    p->appliances |= AMI_SIM_HAS_HEAT_PUMP;
  if (ami_sim_rng_below(&r, 100) < 30)
    p->appliances |= AMI_SIM_HAS_PV;
  p->latitude_deg = 51.5074; /* London: GMT, BST in summer */
  p->longitude_deg = -0.1278;
  p->utc_offset_min = 0;
  p->dst = AMI_SIM_DST_EU;
}

void ami_sim_household_init_synthetic(ami_sim_household *h,
                                      const ami_sim_synth_params *p,
                                      uint64_t seed) {
  memset(h, 0, sizeof *h);
  h->cached_slot = INT64_MIN;
  h->seed = seed;
  if (p)
    h->synth = *p;
  else
    ami_sim_synth_params_random(&h->synth, seed);
  /* Keep every sum of appliance powers within int32 milliwatts. */
  int32_t *w[] = {&h->synth.standby_w,   &h->synth.fridge_w,
                  &h->synth.lighting_w,  &h->synth.ev_w,
                  &h->synth.heat_pump_w, &h->synth.pv_wp};
  for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
    if (*w[i] < 0)
      *w[i] = 0;
    if (*w[i] > AMI_SIM_SYNTH_MAX_W)
      *w[i] = AMI_SIM_SYNTH_MAX_W;
  }
  if (h->synth.utc_offset_min < -16 * 60 || h->synth.utc_offset_min > 16 * 60)
    h->synth.utc_offset_min = 0;
}

/* ---------------------------------------------------------------------- */
/* Per-day behaviour                                                       */

typedef struct day_plan {
  int64_t day;         /* local day number */
  int32_t wake, sleep; /* minutes of the local day */
  int32_t kettle[2];
  int32_t dinner, dinner_len;
  int32_t wash;       /* start, or -1 */
  int32_t ev, ev_len; /* start, or -1; length may run past midnight */
  double cloud_depth;
  double light_scale;
  double temp_offset; /* weather: degrees above the seasonal norm */
} day_plan;

/* Draws day `day`'s plan. Every draw is made whatever the appliance set, so
 * changing the set does not change the other appliances' behaviour. */
static void plan_day(day_plan *pl, uint64_t seed, int64_t day, int32_t ev_w) {
  ami_sim_rng r;
  ami_sim_rng_seed3(&r, seed, 0xDA7, (uint64_t)day);
  unsigned wd = ami_weekday_from_days(day);
  int32_t late = wd >= 6 ? 90 : 0; /* weekends start later */
  pl->day = day;
  pl->wake = 330 + late + (int32_t)ami_sim_rng_below(&r, 120);
  pl->sleep = 1320 + (int32_t)ami_sim_rng_below(&r, 100);
  pl->kettle[0] = pl->wake + 10 + (int32_t)ami_sim_rng_below(&r, 30);
  pl->kettle[1] = 900 + (int32_t)ami_sim_rng_below(&r, 180);
  pl->dinner = 1050 + (int32_t)ami_sim_rng_below(&r, 120);
  pl->dinner_len = 20 + (int32_t)ami_sim_rng_below(&r, 50);
  pl->wash = ami_sim_rng_below(&r, 7) < 3
                 ? 540 + (int32_t)ami_sim_rng_below(&r, 660)
                 : -1;
  bool ev = ami_sim_rng_below(&r, 100) < 55;
  int32_t ev_start = 1020 + (int32_t)ami_sim_rng_below(&r, 240);
  int32_t kwh = 5 + (int32_t)ami_sim_rng_below(&r, 26);
  pl->ev = ev ? ev_start : -1;
  pl->ev_len = ev_w > 0 ? (int32_t)(kwh * 60000 / ev_w) + 1 : 0;
  double c = ami_sim_rng_uniform(&r);
  pl->cloud_depth = c * c;
  pl->light_scale = 0.6 + 0.4 * ami_sim_rng_uniform(&r);
  pl->temp_offset = 6.0 * (ami_sim_rng_uniform(&r) - 0.5);
}

/* ---------------------------------------------------------------------- */
/* One minute                                                              */

typedef struct mix {
  int64_t p_mw, q_mvar, w3, w5, gen_mw;
} mix;

/* Adds an appliance drawing p_mw with Q/P = tan_milli / 1000. */
static void on(mix *x, int64_t p_mw, int32_t tan_milli, int32_t h3,
               int32_t h5) {
  x->p_mw += p_mw;
  x->q_mvar += p_mw * tan_milli / 1000;
  x->w3 += p_mw * h3;
  x->w5 += p_mw * h5;
}

/* Outdoor temperature (deg C) at a mid-latitude site: a seasonal cosine
 * (coldest late January, or late July south of the equator), a daily swing
 * (coldest near 05:00, warmest near 15:00) and the day's weather. */
static double outdoor_temp(double doy, double hour, double lat,
                           const day_plan *pl) {
  double season = lat >= 0 ? doy - 25.0 : doy - 207.0;
  return 10.5 - 7.5 * cos(2 * PI * season / 365.25) -
         3.5 * cos(2 * PI * (hour - 15.0) / 24.0) + pl->temp_offset;
}

/* The household's draw during the minute starting at t_min (UTC ms):
 * appliances evaluated at the minute's middle. */
static void minute(const ami_sim_household *h, int64_t t_min,
                   const day_plan *today, const day_plan *yesterday, mix *x) {
  const ami_sim_synth_params *p = &h->synth;
  int64_t mid = t_min + AMI_SIM_BIN_MS / 2;
  int64_t local = t_min + (int64_t)p->utc_offset_min * 60000 +
                  ami_sim_dst_shift_ms(p->dst, t_min, p->utc_offset_min);
  int32_t m = (int32_t)(ami__sim_floormod(local, DAY_MS) / 60000);
  int64_t abs_min = ami__sim_floordiv(t_min, AMI_SIM_BIN_MS);
  uint64_t hseed = h->seed;
  uint64_t hk = hseed;
  hk = ami_sim_splitmix64(&hk); /* household constants, well mixed */
  bool awake = m >= today->wake && m < today->sleep;
  memset(x, 0, sizeof *x);

  /* Standby electronics: rectifier loads, slightly capacitive. */
  on(x, (int64_t)p->standby_w * 1000, -100, 750, 500);
  /* Fridge: compressor cycle on the absolute clock, pf 0.8. */
  uint32_t period = 35 + (uint32_t)(hk % 25);
  uint32_t phase = (uint32_t)((hk >> 8) % period);
  if ((uint64_t)(abs_min + phase) % period < period * 2 / 5)
    on(x, (int64_t)p->fridge_w * 1000, 750, 50, 30);
  /* Lighting (LED drivers: capacitive, strong harmonics) while awake and
   * the sun is low; the evening is the peak. */
  double se =
      ami__sim_sun_sin_elevation(mid, p->latitude_deg, p->longitude_deg);
  if (awake && se < 0.09) {
    double level = (m >= 17 * 60 ? 1.0 : 0.5) * today->light_scale;
    on(x, (int64_t)(p->lighting_w * level * 1000.0), -300, 700, 450);
  }
  /* Evening television/computer. */
  if (awake && m >= 19 * 60)
    on(x, 150000, -100, 750, 500);
  /* Kettles (everyone), resistive. */
  for (int k = 0; k < 2; k++)
    if (m >= today->kettle[k] && m < today->kettle[k] + 3)
      on(x, 2800000, 0, 0, 0);
  /* Electric cooking: hob and oven thermostats cycling during dinner. */
  if ((p->appliances & AMI_SIM_HAS_ELECTRIC_COOKING) && m >= today->dinner &&
      m < today->dinner + today->dinner_len) {
    uint64_t c = (uint64_t)abs_min * 0x9E3779B97F4A7C15ull ^ hseed;
    if ((c >> 33) % 10 < 7)
      on(x, 2000000, 0, 0, 0);
  }
  /* Washing machine: heating, then the drum motor (pf 0.7), then spin. */
  if (today->wash >= 0 && m >= today->wash) {
    int32_t w = m - today->wash;
    if (w < 15)
      on(x, 2000000, 50, 20, 10);
    else if (w < 75)
      on(x, 250000, 1000, 150, 100);
    else if (w < 85)
      on(x, 500000, 700, 150, 100);
  }
  /* EV charger: the session that started today or yesterday evening; an
   * active-PFC charger, nearly unity power factor. */
  if (p->appliances & AMI_SIM_HAS_EV) {
    bool ev =
        (today->ev >= 0 && m >= today->ev && m < today->ev + today->ev_len) ||
        (yesterday->ev >= 0 && m + 1440 < yesterday->ev + yesterday->ev_len);
    if (ev)
      on(x, (int64_t)p->ev_w * 1000, 50, 30, 30);
  }
  /* Heat pump: output follows the heating demand; below 30 % it cycles
   * (20-minute period) at its minimum output; night set-back. */
  if (p->appliances & AMI_SIM_HAS_HEAT_PUMP) {
    int32_t y;
    unsigned mo, d;
    ami_civil_from_days(today->day, &y, &mo, &d);
    double doy = (double)(today->day - ami_days_from_civil(y, 1, 1));
    double temp = outdoor_temp(doy, m / 60.0, p->latitude_deg, today);
    double demand = (15.5 - temp) / 18.0;
    if (m >= 23 * 60 || m < 5 * 60)
      demand *= 0.7;
    if (demand > 1.0)
      demand = 1.0;
    if (demand > 0.3)
      on(x, (int64_t)(p->heat_pump_w * demand * 1000.0), 300, 100, 80);
    else if (demand > 0.0 &&
             (uint64_t)(abs_min + phase) % 20 < (uint64_t)(demand / 0.3 * 20))
      on(x, (int64_t)(p->heat_pump_w * 0.3 * 1000.0), 300, 100, 80);
  }
  /* Rooftop PV: clear sky dimmed by clouds in 5-minute blocks. */
  if (p->appliances & AMI_SIM_HAS_PV) {
    double cs = ami__sim_clear_sky_se(se);
    if (cs > 0) {
      ami_sim_rng r;
      ami_sim_rng_seed3(&r, hseed, 0xC10D, (uint64_t)(abs_min / 5));
      double dim = 1.0 - today->cloud_depth * ami_sim_rng_uniform(&r);
      x->gen_mw = (int64_t)(p->pv_wp * 1000.0 * cs * dim);
    }
  }
}

/* Fills h->bins for absolute slot s, one appliance evaluation per minute;
 * day plans are drawn once per local day touched. */
void ami__sim_expand_synthetic(ami_sim_household *h, int64_t s) {
  day_plan today, yest;
  memset(&today, 0, sizeof today);
  memset(&yest, 0, sizeof yest);
  today.day = INT64_MIN; /* no day planned yet */
  h->cached_flag = AMI_SIM_SLOT_MEASURED;
  for (unsigned j = 0; j < AMI_SIM_BINS; j++) {
    int64_t t = s * (int64_t)AMI_SIM_SLOT_MS + (int64_t)j * AMI_SIM_BIN_MS;
    int64_t local =
        t + (int64_t)h->synth.utc_offset_min * 60000 +
        ami_sim_dst_shift_ms(h->synth.dst, t, h->synth.utc_offset_min);
    int64_t day = ami__sim_floordiv(local, DAY_MS);
    if (today.day != day) {
      if (today.day == day - 1)
        yest = today;
      else
        plan_day(&yest, h->seed, day - 1, h->synth.ev_w);
      plan_day(&today, h->seed, day, h->synth.ev_w);
    }
    mix x;
    minute(h, t, &today, &yest, &x);
    ami_sim_bin *bin = &h->bins[j];
    bin->load_mw = (int32_t)x.p_mw;
    bin->gen_mw = (int32_t)x.gen_mw;
    bin->q_mvar = (int32_t)x.q_mvar;
    bin->load_rem = bin->gen_rem = bin->q_rem = 0;
    bin->h3 = (uint16_t)(x.p_mw > 0 ? x.w3 / x.p_mw : 0);
    bin->h5 = (uint16_t)(x.p_mw > 0 ? x.w5 / x.p_mw : 0);
  }
}
