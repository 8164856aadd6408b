/*
 * fuzz_mdm_analytics.c -- the analytics on hostile series: any values,
 * qualities, outage flags, events, time zones, interval lengths and
 * starting instants around the DST changes.
 *
 * Input: byte 0 chooses the zone (UTC, London, New York, Sydney), the
 * interval (15 min, 30 min, 1 h, 1 day) and the base instant (around the
 * spring or autumn change, or New Year); byte 1 shifts the start by whole
 * intervals; then 3 bytes per interval: a selector (quality, the
 * POWER_OUTAGE flag, an event in the interval) and a signed 16-bit value
 * (x100 milli-units).
 *
 * Oracles: the day, week and month aggregates each add up to the total of
 * the usable values and their count; a peak is never below the mean; a
 * group of the series with itself sums to twice each value; every daily
 * profile has mean 1; every anomaly score is in [0, 1000] and score_max
 * is their maximum; outages are sorted with start <= end; feeder events
 * have at least min_meters meters; a forecast has one value per interval
 * of its local day; k-means assigns every point to one of its k clusters
 * and the sizes add up.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_caltime.h"
#include "ami/ami_err.h"
#include "ami/ami_mdm_analytics.h"

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c))                                                                  \
      __builtin_trap();                                                        \
  } while (0)

#define MAXN 400

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const ami_mdm_tz ZONES[4] = {
    {.kind = AMI_MDM_TZ_FIXED},
    {.kind = AMI_MDM_TZ_EU, .std_offset_s = 0},
    {.kind = AMI_MDM_TZ_US, .std_offset_s = -18000},
    {.kind = AMI_MDM_TZ_AU_SOUTH, .std_offset_s = 36000}};
static const uint32_t INTERVALS[4] = {900, 1800, 3600, 86400};

static ami_mdm_interval g_iv[MAXN], g_sum[MAXN];
static ami_mdm_event g_ev[MAXN];
static uint8_t g_supply[MAXN];

/* Aggregates per period add up to the series' usable total. */
static void check_aggregates(const ami_mdm_series *s, const ami_mdm_tz *tz,
                             int64_t total, uint32_t present) {
  static ami_mdm_agg a[MAXN + 2];
  for (int p = AMI_MDM_PERIOD_DAY; p <= AMI_MDM_PERIOD_MONTH; p++) {
    size_t n = ami_mdm_aggregate(s, tz, (ami_mdm_period)p, a, MAXN + 2);
    CHECK(n <= MAXN + 2);
    int64_t sum = 0;
    uint32_t cnt = 0;
    for (size_t i = 0; i < n; i++) {
      sum += a[i].sum;
      cnt += a[i].present;
      CHECK(a[i].load_factor_milli <= 1000);
      if (a[i].present > 0)
        CHECK(a[i].peak >= a[i].mean);
      if (i > 0)
        CHECK(a[i].first_day > a[i - 1].first_day);
    }
    CHECK(sum == total && cnt == present);
  }
  ami_mdm_series two[2] = {*s, *s};
  CHECK(ami_mdm_group_sum(two, 2, AMI_MDM_GROUP_PARTIAL, s->t0, s->interval_s,
                          g_sum, s->n, NULL) == AMI_OK);
  for (size_t i = 0; i < s->n; i++)
    if (ami_mdm_usable(&s->iv[i]))
      CHECK(g_sum[i].value == 2 * s->iv[i].value);
    else
      CHECK(g_sum[i].quality == AMI_MDM_Q_MISSING);
}

static void check_profiles(const ami_mdm_series *s, const ami_mdm_tz *tz) {
  static double prof[MAXN / 46 * 96 + 96];
  size_t n = ami_mdm_daily_profiles(s, tz, 96, prof, NULL, MAXN / 46 + 1);
  for (size_t d = 0; d < n && d < MAXN / 46 + 1; d++) {
    double m = 0;
    for (int q = 0; q < 96; q++)
      m += prof[d * 96 + (size_t)q];
    CHECK(fabs(m / 96 - 1.0) < 1e-6);
  }
}

static void check_anomaly(const ami_mdm_series *s, const ami_mdm_tz *tz,
                          size_t n_ev) {
  CHECK(ami_mdm_supply_from_events(g_ev, n_ev, s->t0, s->interval_s, g_supply,
                                   s->n) == AMI_OK);
  ami_mdm_anomaly_params p;
  ami_mdm_anomaly_params_default(&p);
  p.recent_days = 2; /* short windows so small inputs reach every score */
  p.baseline_days = 3;
  ami_mdm_anomaly_input in;
  memset(&in, 0, sizeof in);
  in.import = *s;
  in.exported = *s;
  in.supply = g_supply;
  in.events = g_ev;
  in.n_events = n_ev;
  in.tz = tz;
  ami_mdm_anomaly o;
  if (s->n == 0) {
    CHECK(ami_mdm_anomaly_score(&p, &in, &o, NULL) == AMI_E_INVAL);
    return;
  }
  CHECK(ami_mdm_anomaly_score(&p, &in, &o, NULL) == AMI_OK);
  uint16_t sc[4] = {o.score_drop, o.score_zero, o.score_reverse,
                    o.score_tamper};
  uint16_t m = 0;
  for (int i = 0; i < 4; i++) {
    CHECK(sc[i] <= 1000);
    m = sc[i] > m ? sc[i] : m;
  }
  CHECK(o.score_max == m);
}

static void check_outages(const ami_mdm_series *s, size_t n_ev) {
  static ami_mdm_outage o[MAXN + 2];
  static ami_mdm_feeder_outage f[MAXN + 2];
  ami_mdm_outage_params p;
  ami_mdm_outage_params_default(&p);
  p.min_meters = 1;
  int err;
  size_t n = ami_mdm_outages_meter(&p, 1, g_ev, n_ev, s, o, MAXN + 2, &err);
  CHECK(err == AMI_OK && n <= MAXN + 2);
  for (size_t i = 0; i < n; i++) {
    CHECK(o[i].start <= o[i].end);
    if (i > 0)
      CHECK(o[i].start >= o[i - 1].start);
  }
  size_t nf = ami_mdm_outages_aggregate(&p, o, n, f, MAXN + 2);
  CHECK(nf <= n);
  for (size_t i = 0; i < nf; i++)
    CHECK(f[i].meters >= 1 && f[i].duration_s == f[i].end - f[i].start &&
          f[i].duration_s >= 0);
}

static void check_forecast(const ami_mdm_series *s, const ami_mdm_tz *tz) {
  if (s->n == 0)
    return;
  int64_t last =
      ami_mdm_tz_local_day(tz, s->t0 + (int64_t)s->n * s->interval_s);
  for (int m = 0; m < AMI_MDM_FC_COUNT; m++) {
    ami_mdm_fc_params p;
    ami_mdm_fc_params_default(&p, (ami_mdm_fc_method)m);
    ami_mdm_interval out[100];
    size_t n = 0;
    int rc = ami_mdm_forecast_day(&p, s, tz, last, out, 100, &n);
    CHECK(rc == AMI_OK || rc == AMI_E_INVAL);
    if (rc == AMI_OK)
      CHECK((int64_t)n * s->interval_s == ami_mdm_tz_day_length(tz, last));
  }
}

static void check_kmeans(const ami_mdm_series *s) {
  enum { DIM = 4 };
  static double x[MAXN], c[8 * DIM];
  static uint32_t a[MAXN / DIM];
  size_t n = s->n / DIM;
  for (size_t i = 0; i < n * DIM; i++)
    x[i] = (double)s->iv[i].value;
  ami_mdm_kmeans_params p;
  ami_mdm_kmeans_params_default(&p);
  p.k_max = 4;
  p.restarts = 2;
  ami_mdm_kmeans_result r;
  int rc = ami_mdm_kmeans(&p, x, n, DIM, c, a, &r, NULL);
  if (n <= 4) {
    CHECK(rc == AMI_E_INVAL);
    return;
  }
  CHECK(rc == AMI_OK && r.k >= 2 && r.k <= 4);
  uint32_t tot = 0;
  for (uint32_t k = 0; k < r.k; k++)
    tot += r.size[k];
  CHECK(tot == n);
  for (size_t i = 0; i < n; i++)
    CHECK(a[i] < r.k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2)
    return 0;
  const ami_mdm_tz *tz = &ZONES[data[0] & 3];
  uint32_t I = INTERVALS[(data[0] >> 2) & 3];
  static const int64_t BASES[4] = {1711670400, 1729900800, 1704067200,
                                   1728000000}; /* 2024-03-29, 10-26, 01-01,
                                                   10-04 (UTC midnights) */
  int64_t start = BASES[(data[0] >> 4) & 3] + (int64_t)data[1] * I;
  size_t n = (size - 2) / 3, n_ev = 0;
  if (n > MAXN)
    n = MAXN;
  int64_t total = 0;
  uint32_t present = 0;
  static const uint16_t CODES[8] = {0, 1, 2, 44, 62, 63, 42, 0};
  for (size_t i = 0; i < n; i++) {
    const uint8_t *b = data + 2 + 3 * i;
    uint8_t q = b[0] & 7;
    ami_mdm_interval *v = &g_iv[i];
    v->value = (int64_t)(int16_t)(uint16_t)(b[1] | b[2] << 8) * 100;
    v->quality = q < 5    ? AMI_MDM_Q_ACTUAL
                 : q == 5 ? AMI_MDM_Q_MISSING
                 : q == 6 ? AMI_MDM_Q_ESTIMATED
                          : AMI_MDM_Q_VALIDATION_FAILED;
    v->method = 0;
    v->flags = (b[0] & 0x80) ? AMI_MDM_F_POWER_OUTAGE : 0;
    if (ami_mdm_usable(v)) {
      total += v->value;
      present++;
    }
    uint16_t code = CODES[(b[0] >> 3) & 7];
    if (code != 0) /* in interval i, so events stay sorted */
      g_ev[n_ev++] =
          (ami_mdm_event){1, start + (int64_t)i * I + b[1] % I, code};
  }
  ami_mdm_series s = {start + I, I, g_iv, n};
  check_aggregates(&s, tz, total, present);
  check_profiles(&s, tz);
  check_anomaly(&s, tz, n_ev);
  check_outages(&s, n_ev);
  check_forecast(&s, tz);
  check_kmeans(&s);
  return 0;
}
