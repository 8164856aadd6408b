/*
 * vee_accuracy.c -- how good are the VEE estimates on REAL data? (its own
 * executable, `make vee-accuracy`; not part of ami_bench.)
 *
 * Reads the London LCL half-hour file (columns LCLid,tstp,energy(kWh/hh))
 * on stdin -- the Makefile pipes it through zcat since zlib is not a
 * dependency -- places every household on a year-long grid, hides runs of
 * 1, 4, 8 and 48 half-hours at seeded random places where the truth is
 * known, estimates them with each method alone and with the default chain
 * (with and without register reads to scale to), and reports per method
 * and gap length: the count, MAE (kWh per half-hour), NMAE (sum |error| /
 * sum truth) and bias (mean error, kWh). With --doc FILE the table
 * replaces the text between the markers
 *   <!-- vee-accuracy:begin --> and <!-- vee-accuracy:end -->
 * of FILE; otherwise it goes to stdout.
 *
 * Usage: zcat lcl.csv.gz | vee_accuracy [--doc FILE] [--seed N] [--gaps N]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_caltime.h"
#include "ami/ami_mdm_import.h"
#include "ami/ami_mdm_vee.h"

#define HALF        1800
#define WINDOW_DAYS 35 /* series handed to the estimator: +-35 days */

typedef struct method {
  const char *name;
  uint32_t methods;
  bool registers; /* give daily register reads (truth) to scale to */
  bool unlimited_linear;
} method;

static const method METHODS[] = {
    {"linear (17)", AMI_MDM_EST_LINEAR, false, true},
    {"average like day (15)", AMI_MDM_EST_AVG_LIKE_DAY, false, false},
    {"prior period (14)", AMI_MDM_EST_PRIOR_PERIOD, false, false},
    {"class profile (57)", AMI_MDM_EST_PROFILE, false, false},
    {"default chain", AMI_MDM_EST_ALL & ~(uint32_t)AMI_MDM_EST_SCALE, false,
     false},
    {"default chain + register scaling (24)", AMI_MDM_EST_ALL, true, false},
};
#define N_METHODS (sizeof METHODS / sizeof METHODS[0])

static const int GAP_LENS[] = {1, 4, 8, 48};
#define N_LENS (sizeof GAP_LENS / sizeof GAP_LENS[0])

typedef struct acc {
  double abs_err, err, truth;
  unsigned long n;
} acc;

static acc g_acc[N_METHODS][N_LENS];
static uint64_t g_rng;

/* splitmix64: a seeded, portable generator (results reproducible). */
static uint64_t rnd(void) {
  uint64_t z = (g_rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static char *read_all(FILE *f, size_t *len) {
  size_t cap = 1 << 20, n = 0;
  char *b = malloc(cap);
  while (b) {
    n += fread(b + n, 1, cap - n, f);
    if (n < cap)
      break;
    char *nb = realloc(b, cap *= 2);
    if (!nb)
      free(b);
    b = nb;
  }
  *len = n;
  return b;
}

/* A run [at, at + len) whose truth is known, with both anchors and the
 * whole local days around it known too (so daily register reads made
 * from the truth are exact). */
static bool usable(const ami_mdm_interval *g, size_t n, size_t at, int len) {
  size_t d0 = (at / 48) * 48, d1 = ((at + (size_t)len) / 48 + 1) * 48;
  if (d0 == 0 || d1 + 1 > n)
    return false;
  for (size_t i = d0 - 1; i <= d1; i++)
    if (g[i].quality != AMI_MDM_Q_ACTUAL)
      return false;
  return true;
}

static void one_gap(const ami_mdm_interval *grid, size_t n, int64_t t0,
                    size_t at, int li, const uint32_t *profile) {
  static ami_mdm_interval work[2 * WINDOW_DAYS * 48 + 96],
      out[sizeof work / sizeof work[0]];
  int len = GAP_LENS[li];
  size_t w0 = at > WINDOW_DAYS * 48 ? (at - WINDOW_DAYS * 48) / 48 * 48 : 0;
  size_t w1 = at + (size_t)len + WINDOW_DAYS * 48;
  if (w1 > n)
    w1 = n;
  size_t wn = w1 - w0;
  memcpy(work, grid + w0, wn * sizeof *work);
  for (int k = 0; k < len; k++)
    work[at - w0 + (size_t)k].quality = AMI_MDM_Q_MISSING;
  ami_mdm_channel_info ch = {
      1, 1, AMI_MDM_DELTA, AMI_MDM_IMPORT, AMI_MDM_UNIT_WH, HALF, 1000, false};
  /* Register reads at the local (UTC: LCL is GMT) midnights around the
   * gap, from the truth: cumulative from the window start. */
  size_t d0 = (at / 48) * 48, d1 = ((at + (size_t)len) / 48 + 1) * 48;
  ami_mdm_register_read rr[2] = {{1, t0 + (int64_t)(d0 - 1) * HALF, 0, 0},
                                 {1, t0 + (int64_t)(d1 - 1) * HALF, 0, 0}};
  for (size_t i = d0; i < d1; i++)
    rr[1].value += grid[i].value;
  for (size_t mi = 0; mi < N_METHODS; mi++) {
    const method *m = &METHODS[mi];
    if (m->unlimited_linear && len > 8)
      continue; /* a day of straight line is not a method anyone uses */
    ami_mdm_vee_input in;
    memset(&in, 0, sizeof in);
    in.channel = &ch;
    in.t0 = t0 + (int64_t)w0 * HALF;
    in.iv = work;
    in.n = wn;
    if (m->registers) {
      in.reads = rr;
      in.n_reads = 2;
    }
    ami_mdm_est_params p;
    ami_mdm_est_params_default(&p);
    p.methods = m->methods;
    p.profile = profile;
    p.profile_n = 48;
    if (m->unlimited_linear)
      p.max_linear_s = (uint32_t)len * HALF;
    ami_mdm_est_summary s;
    if (ami_mdm_vee_estimate(&p, &in, work, out, &s) != 0)
      continue;
    acc *a = &g_acc[mi][li];
    for (int k = 0; k < len; k++) {
      const ami_mdm_interval *o = &out[at - w0 + (size_t)k];
      if (o->quality != AMI_MDM_Q_ESTIMATED)
        continue; /* counted as not estimated: see coverage */
      double e = (double)(o->value - grid[at + (size_t)k].value) / 1e6;
      a->abs_err += fabs(e);
      a->err += e;
      a->truth += (double)grid[at + (size_t)k].value / 1e6;
      a->n++;
    }
  }
}

static void write_table(FILE *f, size_t households, unsigned gaps,
                        uint64_t seed) {
  fprintf(f,
          "Generated by `make vee-accuracy` (bench/vee_accuracy.c) from "
          "shared/data/lcl-london-100-households-2013.csv.gz: %zu households, "
          "%u hidden runs per household and gap length (seed %llu), only "
          "where the truth and the surrounding days are complete. MAE and "
          "bias in kWh per half-hour; NMAE = sum |error| / sum truth.\n\n",
          households, gaps, (unsigned long long)seed);
  fprintf(f, "| method | gap | estimated | MAE kWh | NMAE %% | bias kWh |\n");
  fprintf(f, "|---|---|---|---|---|---|\n");
  for (size_t mi = 0; mi < N_METHODS; mi++)
    for (size_t li = 0; li < N_LENS; li++) {
      acc *a = &g_acc[mi][li];
      if (a->n == 0)
        continue;
      int len = GAP_LENS[li];
      char gap[32];
      if (len == 48)
        snprintf(gap, sizeof gap, "1 day");
      else
        snprintf(gap, sizeof gap, "%d x 30 min", len);
      fprintf(f, "| %s | %s | %lu | %.4f | %.1f | %+.4f |\n", METHODS[mi].name,
              gap, a->n, a->abs_err / (double)a->n,
              100.0 * a->abs_err / a->truth, a->err / (double)a->n);
    }
}

/* Replaces the marked section of `path` with the table. */
static int update_doc(const char *path, size_t households, unsigned gaps,
                      uint64_t seed) {
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
  doc[len] = 0; /* read_all stops with len < capacity */
  const char *B = "<!-- vee-accuracy:begin -->",
             *E = "<!-- vee-accuracy:end -->";
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
  write_table(f, households, gaps, seed);
  fputs(e, f);
  fclose(f);
  free(doc);
  return 0;
}

int main(int argc, char **argv) {
  const char *doc = NULL;
  uint64_t seed = 2013;
  unsigned gaps = 20;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--doc") && i + 1 < argc)
      doc = argv[++i];
    else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
      seed = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--gaps") && i + 1 < argc)
      gaps = (unsigned)strtoul(argv[++i], NULL, 10);
    else {
      fprintf(stderr,
              "usage: zcat lcl.csv.gz | %s [--doc FILE] [--seed N] "
              "[--gaps N]\n",
              argv[0]);
      return 2;
    }
  }
  g_rng = seed;
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
  int rc = ami_mdm_import_csv(&opt, (const uint8_t *)buf, len, &o);
  if (rc != 0) {
    fprintf(stderr, "line %u field %u: %s\n", o.err.line, o.err.field,
            o.err.what);
    return 1;
  }
  /* Year grid 2013 (UTC), interval ends 00:30 .. next 00:00. */
  const int64_t t0 = ami_days_from_civil(2013, 1, 1) * 86400 + HALF;
  const size_t n = 365 * 48;
  ami_mdm_interval *grids = calloc(o.n_series * n, sizeof *grids);
  ami_mdm_reading *rd = calloc(n + 1, sizeof *rd);
  if (!grids || !rd)
    return 1;
  ami_mdm_vee_params vp;
  ami_mdm_vee_params_default(&vp, AMI_MDM_CLASS_RESIDENTIAL_IMPORT);
  double slot_sum[48] = {0};
  unsigned long slot_n[48] = {0};
  size_t row = 0;
  for (size_t s = 0; s < o.n_series; s++) {
    size_t nr = 0;
    /* Rows of one household are contiguous in the LCL file. */
    while (row < o.n_rows && o.rows[row].series == s && nr < n + 1)
      rd[nr++] = o.rows[row++].r;
    ami_mdm_align_stats st;
    ami_mdm_vee_align(&vp, HALF, rd, nr, t0, grids + s * n, n, &st);
    for (size_t i = 0; i < n; i++)
      if (grids[s * n + i].quality == AMI_MDM_Q_ACTUAL) {
        slot_sum[i % 48] += (double)grids[s * n + i].value;
        slot_n[i % 48]++;
      }
  }
  for (size_t s = 0; s < o.n_series; s++) {
    const ami_mdm_interval *g = grids + s * n;
    /* Class profile without this household (leave one out). */
    uint32_t profile[48];
    for (size_t k = 0; k < 48; k++) {
      double own = 0;
      unsigned long own_n = 0;
      for (size_t i = k; i < n; i += 48)
        if (g[i].quality == AMI_MDM_Q_ACTUAL) {
          own += (double)g[i].value;
          own_n++;
        }
      double m = (slot_sum[k] - own) / (double)(slot_n[k] - own_n + 1);
      profile[k] = (uint32_t)(m > 0 ? m : 0);
    }
    for (size_t li = 0; li < N_LENS; li++)
      for (unsigned gi = 0; gi < gaps; gi++)
        for (int tries = 0; tries < 50; tries++) {
          size_t lo = 30 * 48, span = n - 60 * 48;
          size_t at = lo + (size_t)(rnd() % span);
          if (!usable(g, n, at, GAP_LENS[li]))
            continue;
          one_gap(g, n, t0, at, (int)li, profile);
          break;
        }
  }
  int ret = 0;
  if (doc)
    ret = update_doc(doc, o.n_series, gaps, seed);
  else
    write_table(stdout, o.n_series, gaps, seed);
  free(grids);
  free(rd);
  free(o.rows);
  free(o.series);
  free(buf);
  return ret;
}
