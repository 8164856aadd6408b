/*
 * mdm_analytics_eval.c -- the MDM analytics on REAL data (its own
 * executable, `make analytics-report`; not part of ami_bench).
 *
 * Reads the London LCL half-hour file (columns LCLid,tstp,energy(kWh/hh))
 * on stdin -- the Makefile pipes it through zcat since zlib is not a
 * dependency -- and reports, with London local days (EU rule):
 *   - day-ahead forecasts on HELD-OUT weeks: for each of two windows of 4
 *     weeks (June and November 2013), every day is forecast from the data
 *     before it only, with every method of ami_mdm_forecast_day; MAPE and
 *     WAPE per household (median over households) and for the aggregate
 *     (the sum of the households, forecast as one series);
 *   - typical daily shapes: k-means over the normalised daily profiles of
 *     every complete household-day of 2013, k chosen by Calinski-Harabasz;
 *   - the group's monthly aggregates (sum, peak, load and diversity
 *     factors).
 * With --doc FILE the report replaces the text between the markers
 *   <!-- analytics:begin --> and <!-- analytics:end -->
 * of FILE; otherwise it goes to stdout.
 *
 * Usage: zcat lcl.csv.gz | mdm_analytics_eval [--doc FILE] [--seed N]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_caltime.h"
#include "ami/ami_mdm_analytics.h"
#include "ami/ami_mdm_import.h"

#define HALF 1800
#define NY   (365 * 48)
#define HIST 99 /* days of history the regression needs: 56 + 8 + 35 */

static const ami_mdm_tz LONDON = {.kind = AMI_MDM_TZ_EU, .std_offset_s = 0};

typedef struct window {
  const char *name;
  int y;
  unsigned m, d; /* first held-out day (a Monday) */
} window;

static const window WINDOWS[] = {{"June 2013", 2013, 6, 3},
                                 {"November 2013", 2013, 11, 4}};
#define N_WIN 2

typedef struct fc_row {
  size_t meters;
  double med_mape, med_wape, agg_mape, agg_wape;
} fc_row;

static fc_row g_fc[N_WIN][AMI_MDM_FC_COUNT];

static ami_mdm_interval *g_grid; /* households x NY */
static size_t g_n_hh;
static int64_t g_t0;

static char *read_all(FILE *f, size_t *len) {
  size_t cap = 1 << 20, n = 0;
  char *b = malloc(cap + 1);
  while (b) {
    n += fread(b + n, 1, cap - n, f);
    if (n < cap)
      break;
    char *nb = realloc(b, (cap *= 2) + 1);
    if (!nb)
      free(b);
    b = nb;
  }
  *len = n;
  return b;
}

static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, size_t n) {
  if (n == 0)
    return NAN;
  qsort(v, n, sizeof *v, cmp_dbl);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static ami_mdm_series hh_series(size_t h) {
  ami_mdm_series s = {g_t0, HALF, g_grid + h * NY, NY};
  return s;
}

/* Every interval of household h present from local day a to day b. */
static bool complete(size_t h, int64_t a, int64_t b) {
  int64_t i0 = (ami_mdm_tz_day_start(&LONDON, a) - g_t0) / HALF + 1;
  int64_t i1 = (ami_mdm_tz_day_start(&LONDON, b) - g_t0) / HALF + 1;
  if (i0 < 0 || i1 > NY)
    return false;
  for (int64_t i = i0; i < i1; i++)
    if (!ami_mdm_usable(&g_grid[h * NY + (size_t)i]))
      return false;
  return true;
}

/* Forecasts every day of [first, first + 28) of s with method m into e. */
static void forecast_window(const ami_mdm_series *s, int m, int64_t first,
                            ami_mdm_fc_err *e) {
  ami_mdm_fc_params p;
  ami_mdm_fc_params_default(&p, (ami_mdm_fc_method)m);
  for (int64_t d = first; d < first + 28; d++) {
    ami_mdm_interval out[50];
    size_t n;
    if (ami_mdm_forecast_day(&p, s, &LONDON, d, out, 50, &n) != 0)
      continue;
    int64_t i0 = (ami_mdm_tz_day_start(&LONDON, d) - s->t0) / HALF + 1;
    ami_mdm_fc_err_add_series(e, s->iv + i0, out, n);
  }
}

static void eval_window(size_t wi) {
  const window *w = &WINDOWS[wi];
  int64_t first = ami_days_from_civil(w->y, w->m, w->d);
  size_t *sel = malloc(g_n_hh * sizeof *sel), k = 0;
  for (size_t h = 0; h < g_n_hh; h++)
    if (complete(h, first - HIST, first + 28))
      sel[k++] = h;
  ami_mdm_series *mem = malloc((k ? k : 1) * sizeof *mem);
  ami_mdm_interval *sum = malloc(NY * sizeof *sum);
  double *mape = malloc((k ? k : 1) * sizeof *mape);
  double *wape = malloc((k ? k : 1) * sizeof *wape);
  for (size_t j = 0; j < k; j++)
    mem[j] = hh_series(sel[j]);
  ami_mdm_group_sum(mem, k, AMI_MDM_GROUP_STRICT, g_t0, HALF, sum, NY, NULL);
  ami_mdm_series g = {g_t0, HALF, sum, NY};
  for (int m = 0; m < AMI_MDM_FC_COUNT; m++) {
    size_t nm = 0;
    for (size_t j = 0; j < k; j++) {
      ami_mdm_fc_err e;
      ami_mdm_fc_err_init(&e, 0);
      forecast_window(&mem[j], m, first, &e);
      mape[nm] = ami_mdm_fc_mape(&e);
      wape[nm] = ami_mdm_fc_wape(&e);
      if (!isnan(mape[nm]) && !isnan(wape[nm]))
        nm++;
    }
    ami_mdm_fc_err ge;
    ami_mdm_fc_err_init(&ge, 0);
    forecast_window(&g, m, first, &ge);
    fc_row *r = &g_fc[wi][m];
    r->meters = k;
    r->med_mape = median(mape, nm);
    r->med_wape = median(wape, nm);
    r->agg_mape = ami_mdm_fc_mape(&ge);
    r->agg_wape = ami_mdm_fc_wape(&ge);
  }
  free(sel);
  free(mem);
  free(sum);
  free(mape);
  free(wape);
}

/* ---------------------------------------------------------------------- */
/* Clustering */

typedef struct clusters {
  size_t days;
  ami_mdm_kmeans_result r;
  double cent[32 * 48];
  double weekend[32], winter[32];
} clusters;

static clusters g_cl[2]; /* k by Calinski-Harabasz; k = 4 fixed */
#define FIXED_K 4

/* Clusters the profiles with k (0 = chosen) into *cl. */
static void cluster_once(const double *prof, const int64_t *day, size_t n,
                         uint64_t seed, uint32_t k, clusters *cl) {
  uint32_t *assign = malloc((n ? n : 1) * sizeof *assign);
  ami_mdm_kmeans_params p;
  ami_mdm_kmeans_params_default(&p);
  p.seed = seed;
  p.restarts = 3;
  p.k = k;
  cl->days = n;
  if (assign != NULL &&
      ami_mdm_kmeans(&p, prof, n, 48, cl->cent, assign, &cl->r, NULL) == 0) {
    for (size_t i = 0; i < n; i++) {
      int32_t y;
      unsigned m, d;
      ami_civil_from_days(day[i], &y, &m, &d);
      if (ami_weekday_from_days(day[i]) >= 6)
        cl->weekend[assign[i]] += 1;
      if (m <= 2 || m >= 11)
        cl->winter[assign[i]] += 1;
    }
  }
  free(assign);
}

static void run_clustering(uint64_t seed) {
  size_t cap = g_n_hh * 366;
  double *prof = malloc(cap * 48 * sizeof *prof);
  int64_t *day = malloc(cap * sizeof *day);
  size_t n = 0;
  for (size_t h = 0; prof != NULL && day != NULL && h < g_n_hh; h++) {
    ami_mdm_series s = hh_series(h);
    size_t got = ami_mdm_daily_profiles(&s, &LONDON, 48, prof + n * 48, day + n,
                                        cap - n);
    n += got < cap - n ? got : cap - n;
  }
  cluster_once(prof, day, n, seed, 0, &g_cl[0]);
  cluster_once(prof, day, n, seed, FIXED_K, &g_cl[1]);
  free(prof);
  free(day);
}

/* ---------------------------------------------------------------------- */
/* Report */

static void sparkline(FILE *f, const double *c, double top) {
  static const char *BARS[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  for (int hr = 0; hr < 24; hr++) {
    double v = (c[2 * hr] + c[2 * hr + 1]) / 2;
    int b = (int)(v / top * 8.0);
    fputs(BARS[b < 0 ? 0 : b > 7 ? 7 : b], f);
  }
}

static void write_forecasts(FILE *f) {
  fprintf(f, "### Day-ahead forecasts on held-out weeks\n\n");
  fprintf(f,
          "Each day of the 4 held-out weeks is forecast from the data before "
          "its local midnight only. Households: those complete over the "
          "window and the %d days before it. MAPE skips exact-zero actuals; "
          "WAPE = sum |error| / sum actual (= NMAE). Per household: the "
          "median over households of each one's error over the window; "
          "aggregate: the sum of the households forecast as one series.\n\n",
          HIST);
  fprintf(f, "| window | households | method | median MAPE %% | median WAPE "
             "%% | aggregate MAPE %% | aggregate WAPE %% |\n");
  fprintf(f, "|---|---|---|---|---|---|---|\n");
  for (size_t w = 0; w < N_WIN; w++)
    for (int m = 0; m < AMI_MDM_FC_COUNT; m++) {
      const fc_row *r = &g_fc[w][m];
      fprintf(f, "| %s | %zu | %s | %.1f | %.1f | %.1f | %.1f |\n",
              WINDOWS[w].name, r->meters, ami_mdm_fc_method_name(m),
              r->med_mape, r->med_wape, r->agg_mape, r->agg_wape);
    }
  fprintf(f, "\n");
}

static void cluster_table(FILE *f, const clusters *cl) {
  const ami_mdm_kmeans_result *r = &cl->r;
  double top = 0;
  for (uint32_t c = 0; c < r->k; c++)
    for (int q = 0; q < 48; q += 2) {
      double v = (cl->cent[c * 48 + q] + cl->cent[c * 48 + q + 1]) / 2;
      top = v > top ? v : top;
    }
  fprintf(f, "| cluster | days | share %% | weekend %% | Nov-Feb %% | shape "
             "00..23 h | peak (local) | peak / mean | night 00-06 / mean "
             "|\n|---|---|---|---|---|---|---|---|---|\n");
  for (uint32_t c = 0; c < r->k; c++) {
    const double *cc = cl->cent + c * 48;
    int pk = 0;
    double night = 0;
    for (int q = 0; q < 48; q++) {
      if (cc[q] > cc[pk])
        pk = q;
      if (q < 12)
        night += cc[q] / 12;
    }
    double sz = (double)r->size[c];
    fprintf(f, "| %u | %u | %.1f | %.0f | %.0f | `", c + 1, r->size[c],
            100.0 * sz / (double)cl->days, 100.0 * cl->weekend[c] / sz,
            100.0 * cl->winter[c] / sz);
    sparkline(f, cc, top);
    fprintf(f, "` | %02d:%02d | %.2f | %.2f |\n", pk / 2, pk % 2 ? 30 : 0,
            cc[pk], night);
  }
  fprintf(f, "\n");
}

static void write_clusters(FILE *f, uint64_t seed) {
  fprintf(f, "### Typical daily shapes\n\n");
  fprintf(f,
          "k-means (k-means++ seeding, seed %llu, 3 restarts) over %zu "
          "complete household-days of 2013, each a 48-point London-local "
          "profile divided by its own mean. Shapes: one bar per local hour, "
          "scaled to the highest hourly value of the table's centroids; "
          "peak and night values are multiples of the day's mean. Weekend "
          "share of the whole year: 28.5 %% (104 of 365 days); Nov-Feb "
          "share: 32.9 %% (120 of 365).\n\n",
          (unsigned long long)seed, g_cl[0].days);
  fprintf(f,
          "k = %u chosen by the Calinski-Harabasz criterion over k = 2..8 "
          "(CH %.1f):\n\n",
          g_cl[0].r.k, g_cl[0].r.ch);
  cluster_table(f, &g_cl[0]);
  fprintf(f, "k = %d fixed (CH %.1f; W %.0f against %.0f for k = %u):\n\n",
          FIXED_K, g_cl[1].r.ch, g_cl[1].r.within_ss, g_cl[0].r.within_ss,
          g_cl[0].r.k);
  cluster_table(f, &g_cl[1]);
}

static void write_monthly(FILE *f) {
  ami_mdm_series *mem = malloc(g_n_hh * sizeof *mem);
  ami_mdm_interval *sum = malloc(NY * sizeof *sum);
  uint32_t *present = malloc(NY * sizeof *present);
  for (size_t h = 0; h < g_n_hh; h++)
    mem[h] = hh_series(h);
  ami_mdm_group_sum(mem, g_n_hh, AMI_MDM_GROUP_PARTIAL, g_t0, HALF, sum, NY,
                    present);
  ami_mdm_series g = {g_t0, HALF, sum, NY};
  ami_mdm_agg a[14];
  size_t n = ami_mdm_aggregate(&g, &LONDON, AMI_MDM_PERIOD_MONTH, a, 14);
  fprintf(f, "### Monthly aggregates of the group\n\n");
  fprintf(f,
          "The %zu households summed per half-hour (ami_mdm_group_sum, "
          "PARTIAL: a household without a value adds nothing), aggregated per "
          "London-local month. Peak demand in kW (a half-hour's kWh x 2); "
          "load factor = mean / peak; diversity = sum of the households' own "
          "peaks / peak of their sum. The first and last months are cut by "
          "the GMT year boundary of the file.\n\n",
          g_n_hh);
  fprintf(f, "| month | intervals present / expected | energy kWh | mean kW "
             "| peak kW | peak at (UTC) | load factor | diversity |\n");
  fprintf(f, "|---|---|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < n && i < 14; i++) {
    int32_t y;
    unsigned m, d, pm, pd;
    ami_civil_from_days(a[i].first_day, &y, &m, &d);
    int64_t pt = a[i].peak_t - HALF;
    ami_civil_from_days(pt / 86400, &y, &pm, &pd);
    uint32_t div =
        ami_mdm_diversity_milli(mem, g_n_hh, a[i].start_t, a[i].end_t);
    fprintf(f,
            "| %d-%02u | %u / %u | %.0f | %.2f | %.2f | %02u-%02u %02d:%02d "
            "| %.2f | %.2f |\n",
            y, m, a[i].present, a[i].expected, (double)a[i].sum / 1e6,
            (double)a[i].mean * 2 / 1e6, (double)a[i].peak * 2 / 1e6, pm, pd,
            (int)(pt % 86400 / 3600), (int)(pt % 3600 / 60),
            a[i].load_factor_milli / 1000.0, div / 1000.0);
  }
  fprintf(f, "\n");
  free(mem);
  free(sum);
  free(present);
}

/* Drop scores of every household at the end of four months, without and
 * with the peer ratio (the same drop computed on the group's sum). The
 * households are presumed honest: what fires is a false alarm. */
static void write_anomalies(FILE *f) {
  static const unsigned MONTHS[] = {4, 7, 10, 12};
  ami_mdm_series *mem = malloc(g_n_hh * sizeof *mem);
  ami_mdm_interval *sum = malloc(NY * sizeof *sum);
  for (size_t h = 0; h < g_n_hh; h++)
    mem[h] = hh_series(h);
  ami_mdm_group_sum(mem, g_n_hh, AMI_MDM_GROUP_SCALE, g_t0, HALF, sum, NY,
                    NULL);
  ami_mdm_anomaly_params p;
  ami_mdm_anomaly_params_default(&p);
  fprintf(f, "### Drop score on (presumed honest) households\n\n");
  fprintf(f, "Every household scored at the end of a month with the default "
             "drop score (last 28 days against the 56 before); the peer ratio "
             "is the same ratio on the group's sum (SCALE policy). A score >= "
             "0.5 would be a theft alarm: on these households, all false.\n\n");
  fprintf(f, "| evaluated at | households scored | group ratio | alarms >= 0.5 "
             "without peer | with peer | median ratio without peer |\n");
  fprintf(f, "|---|---|---|---|---|---|\n");
  for (size_t k = 0; k < sizeof MONTHS / sizeof MONTHS[0]; k++) {
    unsigned m = MONTHS[k];
    int64_t end = m == 12 ? ami_days_from_civil(2014, 1, 1)
                          : ami_days_from_civil(2013, m + 1, 1);
    size_t n = (size_t)((end * 86400 - g_t0) / HALF + 1);
    ami_mdm_anomaly_input in;
    memset(&in, 0, sizeof in);
    in.tz = &LONDON;
    in.import = (ami_mdm_series){g_t0, HALF, sum, n};
    ami_mdm_anomaly o;
    uint32_t group_ratio = 0;
    if (ami_mdm_anomaly_score(&p, &in, &o, NULL) == 0)
      group_ratio = o.ratio_milli;
    size_t scored = 0, raw = 0, peer = 0;
    double *ratios = malloc(g_n_hh * sizeof *ratios);
    for (size_t h = 0; h < g_n_hh; h++) {
      in.import = (ami_mdm_series){g_t0, HALF, g_grid + h * NY, n};
      in.peer_ratio_milli = 0;
      if (ami_mdm_anomaly_score(&p, &in, &o, NULL) != 0 ||
          (o.flags & AMI_MDM_ANOM_NO_HISTORY))
        continue;
      ratios[scored++] = o.ratio_milli / 1000.0;
      raw += o.score_drop >= 500;
      in.peer_ratio_milli = group_ratio;
      if (ami_mdm_anomaly_score(&p, &in, &o, NULL) == 0)
        peer += o.score_drop >= 500;
    }
    fprintf(f, "| 2013-%02u-%02u | %zu | %.2f | %zu | %zu | %.2f |\n", m,
            ami_days_in_month(2013, m), scored, group_ratio / 1000.0, raw, peer,
            median(ratios, scored));
    free(ratios);
  }
  fprintf(f, "\n");
  free(mem);
  free(sum);
}

/* Outages from missing reads only (the LCL file has no events): per
 * household runs of >= 1 h, then feeder-level groups. */
static void write_outages(FILE *f) {
  ami_mdm_outage_params p;
  ami_mdm_outage_params_default(&p);
  size_t cap = 200000, n = 0;
  ami_mdm_outage *o = malloc(cap * sizeof *o);
  for (size_t h = 0; h < g_n_hh && o != NULL; h++) {
    ami_mdm_series s = hh_series(h);
    int err;
    size_t got =
        ami_mdm_outages_meter(&p, h + 1, NULL, 0, &s, o + n, cap - n, &err);
    n += got < cap - n ? got : cap - n;
  }
  ami_mdm_feeder_outage fo[64];
  size_t nf = o ? ami_mdm_outages_aggregate(&p, o, n, fo, 64) : 0;
  size_t big = 0;
  for (size_t i = 1; i < nf && i < 64; i++)
    if (fo[i].meters > fo[big].meters)
      big = i;
  fprintf(f, "### Outages from missing reads\n\n");
  fprintf(f,
          "The file has no last-gasp events, so only runs of >= 1 h of "
          "missing reads count (ami_mdm_outages_meter without events): %zu "
          "such runs in 2013 over the households, %zu feeder-level groups "
          "(>= 3 households starting within 5 min)",
          n, nf);
  if (nf > 0) {
    int64_t t = fo[big].start;
    int32_t y;
    unsigned m, d;
    ami_civil_from_days(t / 86400, &y, &m, &d);
    fprintf(f,
            "; the largest: %u households from %d-%02u-%02u %02d:%02d UTC for "
            "%.1f h",
            fo[big].meters, y, m, d, (int)(t % 86400 / 3600),
            (int)(t % 3600 / 60), (double)fo[big].duration_s / 3600.0);
  }
  fprintf(f, ". Without events these are as likely data-collection gaps as "
             "power cuts: last gasp and power-up events are the evidence that "
             "tells them apart.\n\n");
  free(o);
}

static void write_report(FILE *f, uint64_t seed) {
  fprintf(f,
          "Generated by `make analytics-report` (bench/mdm_analytics_eval.c) "
          "from shared/data/lcl-london-100-households-2013.csv.gz: %zu "
          "households, half-hourly, timestamps GMT, days London-local.\n\n",
          g_n_hh);
  write_forecasts(f);
  write_clusters(f, seed);
  write_monthly(f);
  write_anomalies(f);
  write_outages(f);
}

/* Replaces the marked section of `path` with the report. */
static int update_doc(const char *path, uint64_t seed) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return 1;
  }
  size_t len;
  char *doc = read_all(f, &len);
  fclose(f);
  if (!doc)
    return 1;
  doc[len] = 0;
  const char *B = "<!-- analytics:begin -->", *E = "<!-- analytics:end -->";
  char *b = strstr(doc, B), *e = b ? strstr(b, E) : NULL;
  if (!b || !e) {
    fprintf(stderr, "%s: markers not found\n", path);
    free(doc);
    return 1;
  }
  f = fopen(path, "wb");
  if (!f) {
    perror(path);
    free(doc);
    return 1;
  }
  fwrite(doc, 1, (size_t)(b - doc) + strlen(B), f);
  fputs("\n", f);
  write_report(f, seed);
  fputs(e, f);
  fclose(f);
  free(doc);
  return 0;
}

/* Reads stdin into one year grid per household (rows of a household are
 * contiguous in the LCL file; values outside 2013 are dropped). */
static int load(void) {
  size_t len;
  char *buf = read_all(stdin, &len);
  if (!buf || len == 0) {
    fprintf(stderr, "no input on stdin\n");
    return 1;
  }
  ami_mdm_import_out o;
  memset(&o, 0, sizeof o);
  o.series_cap = 256;
  o.series = calloc(o.series_cap, sizeof *o.series);
  o.rows_cap = len / 30 + 16; /* a row is at least ~35 bytes */
  o.rows = calloc(o.rows_cap, sizeof *o.rows);
  if (!o.series || !o.rows)
    return 1;
  ami_mdm_csv_opts opt;
  ami_mdm_csv_opts_lcl(&opt);
  if (ami_mdm_import_csv(&opt, (const uint8_t *)buf, len, &o) != 0) {
    fprintf(stderr, "line %u field %u: %s\n", o.err.line, o.err.field,
            o.err.what);
    return 1;
  }
  g_t0 = ami_days_from_civil(2013, 1, 1) * 86400 + HALF;
  g_n_hh = o.n_series;
  g_grid = malloc(g_n_hh * NY * sizeof *g_grid);
  if (!g_grid)
    return 1;
  for (size_t i = 0; i < g_n_hh * NY; i++)
    g_grid[i] = (ami_mdm_interval){0, AMI_MDM_Q_MISSING, 0, 0};
  for (size_t r = 0; r < o.n_rows; r++) {
    int64_t i = (o.rows[r].r.t - g_t0) / HALF;
    if (o.rows[r].r.t < g_t0 || i >= NY || (o.rows[r].r.t - g_t0) % HALF)
      continue;
    g_grid[o.rows[r].series * NY + (size_t)i] = o.rows[r].r.v;
  }
  free(o.rows);
  free(o.series);
  free(buf);
  return 0;
}

int main(int argc, char **argv) {
  const char *doc = NULL;
  uint64_t seed = 2013;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--doc") && i + 1 < argc)
      doc = argv[++i];
    else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
      seed = strtoull(argv[++i], NULL, 10);
    else {
      fprintf(stderr, "usage: zcat lcl.csv.gz | %s [--doc FILE] [--seed N]\n",
              argv[0]);
      return 2;
    }
  }
  if (load() != 0)
    return 1;
  for (size_t w = 0; w < N_WIN; w++)
    eval_window(w);
  run_clustering(seed);
  int ret = 0;
  if (doc)
    ret = update_doc(doc, seed);
  else
    write_report(stdout, seed);
  free(g_grid);
  return ret;
}
