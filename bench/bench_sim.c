/*
 * bench_sim.c -- the load models of lib/sim: LCL parsing, household power
 * queries (stepping forward, and at random instants) and fleet throughput
 * in household-days per second.
 *
 * No peer implementation exists to compare with, so the peer column is a
 * NAIVE replay written here: the parsed rows kept as a list, the row of the
 * queried half hour found by scanning the list, and the half hour shaped
 * again on every query (no cache). It shows what the slot index and the
 * one-slot cache buy, not how another project fares.
 *
 * The dataset is generated in memory in the LCL format (10 households x one
 * year, a daily profile plus noise), so the benchmark needs no files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_caltime.h"
#include "ami/ami_sim_load.h"
#include "ami/ami_sim_rng.h"
#include "bench.h"

#define HOUSEHOLDS 10
#define SLOTS      17520
#define T2013      1356998400000ull
#define FLEET      1000

typedef struct naive_row {
  uint32_t household;
  uint64_t t_ms;
  int32_t mwh;
} naive_row;

typedef struct sim_job {
  char *text;
  size_t len;
  ami_sim_dataset *ds;
  naive_row *rows;
  size_t nrows;
  ami_sim_household h;
  uint64_t t;
  ami_sim_rng rng;
  int err;
} sim_job;

/* LCL text for HOUSEHOLDS households over 2013: an evening-peaked profile
 * with noise, kWh with three decimals. */
static int make_text(sim_job *j) {
  size_t cap = (size_t)HOUSEHOLDS * SLOTS * 40 + 64;
  j->text = malloc(cap);
  j->rows = malloc((size_t)HOUSEHOLDS * SLOTS * sizeof *j->rows);
  if (!j->text || !j->rows)
    return 1;
  size_t n = (size_t)snprintf(j->text, cap, "LCLid,tstp,energy(kWh/hh)\n");
  ami_sim_rng r;
  ami_sim_rng_seed(&r, 1);
  for (uint32_t h = 0; h < HOUSEHOLDS; h++)
    for (uint32_t k = 0; k < SLOTS; k++) {
      int64_t days = ami_days_from_civil(2013, 1, 1) + k / 48;
      int32_t y;
      unsigned mo, d;
      ami_civil_from_days(days, &y, &mo, &d);
      unsigned hh = k % 48;
      int32_t wh = 80 + (int32_t)ami_sim_rng_below(&r, 120) +
                   (hh >= 34 && hh < 44 ? 300 : 0) +
                   (ami_sim_rng_below(&r, 10) == 0 ? 900 : 0);
      n += (size_t)snprintf(j->text + n, cap - n,
                            "MAC%06u,%04d-%02u-%02u %02u:%02u:00, %d.%03d \n",
                            h, (int)y, mo, d, hh / 2, hh % 2 * 30, wh / 1000,
                            wh % 1000);
      naive_row *row = &j->rows[j->nrows++];
      row->household = h;
      row->t_ms = T2013 + (uint64_t)k * AMI_SIM_SLOT_MS;
      row->mwh = wh * 1000;
    }
  j->len = n;
  return 0;
}

static void run_parse(void *arg) {
  sim_job *j = arg;
  ami_sim_dataset *ds = NULL;
  if (ami_sim_dataset_parse_lcl((const uint8_t *)j->text, j->len, NULL, NULL,
                                &ds, NULL) != AMI_OK)
    j->err = 1;
  bench_consume(ami_sim_dataset_slots(ds));
  ami_sim_dataset_free(ds);
}

/* Ours, stepping one second at a time (the emulator's usual pattern). */
static void run_step(void *arg) {
  sim_job *j = arg;
  ami_sim_power p;
  ami_sim_household_power(&j->h, j->t, &p);
  j->t += 1000;
  if (j->t >= T2013 + 365ull * 86400000)
    j->t = T2013;
  bench_consume((uint64_t)p.p_mw);
}

/* Ours at random instants of the year: every query expands a half hour. */
static void run_random(void *arg) {
  sim_job *j = arg;
  ami_sim_power p;
  uint64_t t = T2013 + ami_sim_rng_next(&j->rng) % (365ull * 86400000);
  ami_sim_household_power(&j->h, t, &p);
  bench_consume((uint64_t)p.p_mw);
}

/* Naive: find the row by scanning, then shape the half hour anew (the
 * household's cache is defeated by resetting its offset). */
static void run_naive(void *arg) {
  sim_job *j = arg;
  uint64_t slot_t = j->t - (j->t - T2013) % AMI_SIM_SLOT_MS;
  int32_t mwh = -1;
  for (size_t i = 0; i < j->nrows; i++)
    if (j->rows[i].household == j->h.index && j->rows[i].t_ms == slot_t) {
      mwh = j->rows[i].mwh;
      break;
    }
  ami_sim_household_set_offset(&j->h, 0);
  ami_sim_power p;
  ami_sim_household_power(&j->h, j->t, &p);
  bench_consume((uint64_t)p.p_mw + (uint64_t)mwh);
  j->t += 1000;
  if (j->t >= T2013 + 365ull * 86400000)
    j->t = T2013;
}

static void row_ns(const char *what, double ours, double peer) {
  char o[32], pe[40], r[16];
  snprintf(o, sizeof o, "%.0f ns", ours * 1e9);
  snprintf(pe, sizeof pe, "%.0f ns (naive)", peer * 1e9);
  snprintf(r, sizeof r, "%.0fx", peer / ours);
  bench_row(what, o, pe, r);
}

/* Household-days per second of a fleet queried once a minute. */
static double fleet_rate(ami_sim_household *fleet, int n, int days) {
  double t0 = bench_now();
  for (int d = 0; d < days; d++)
    for (int m = 0; m < 1440; m++)
      for (int i = 0; i < n; i++) {
        ami_sim_power p;
        ami_sim_household_power(&fleet[i],
                                T2013 + (uint64_t)(d * 1440 + m) * 60000, &p);
        bench_consume((uint64_t)p.p_mw);
      }
  return (double)n * days / (bench_now() - t0);
}

/* Household-days per second when a meter emulator integrates energy in
 * 15-minute steps. */
static double fleet_energy_rate(ami_sim_household *fleet, int n, int days) {
  double t0 = bench_now();
  for (int d = 0; d < days; d++)
    for (int q = 0; q < 96; q++)
      for (int i = 0; i < n; i++) {
        ami_sim_energy e;
        uint64_t t = T2013 + (uint64_t)(d * 96 + q) * 900000;
        ami_sim_household_energy(&fleet[i], t, t + 900000, &e);
        bench_consume((uint64_t)e.import_uj);
      }
  return (double)n * days / (bench_now() - t0);
}

int bench_sim(void) {
  static sim_job j;
  if (make_text(&j))
    return 1;
  run_parse(&j);
  if (j.err) {
    fprintf(stderr, "bench_sim: parse failed\n");
    return 1;
  }
  double t = bench_best(run_parse, &j, 1, 3);
  char o[48];
  snprintf(o, sizeof o, "%.0f MB/s", (double)j.len / t / 1e6);
  bench_row("sim: LCL parse, 10 households x 1 year", o, "-", "-");

  if (ami_sim_dataset_parse_lcl((const uint8_t *)j.text, j.len, NULL, NULL,
                                &j.ds, NULL) != AMI_OK)
    return 1;
  ami_sim_household_init(&j.h, j.ds, 3, 42);
  j.t = T2013;
  double step = bench_best(run_step, &j, bench_calibrate(run_step, &j, 0.1), 5);
  ami_sim_rng_seed(&j.rng, 9);
  double rnd =
      bench_best(run_random, &j, bench_calibrate(run_random, &j, 0.1), 5);
  j.t = T2013;
  double naive = bench_best(run_naive, &j, 2000, 3);
  row_ns("sim: power query, 1 s steps (slot cached)", step, naive);
  row_ns("sim: power query, random instants", rnd, naive);

  ami_sim_household *fleet = malloc(FLEET * sizeof *fleet);
  if (!fleet)
    return 1;
  for (int i = 0; i < FLEET; i++) {
    ami_sim_household_init(&fleet[i], j.ds, (uint32_t)i % HOUSEHOLDS,
                           (uint64_t)i);
    ami_sim_household_set_offset(&fleet[i],
                                 (int64_t)(i / HOUSEHOLDS) * 3600000);
  }
  /* Naive household-days per second: 1,440 naive queries per day. */
  double naive_days = 1.0 / (naive * 1440);
  char pe[40], r[16];
  double rate = fleet_rate(fleet, FLEET, 2);
  snprintf(o, sizeof o, "%.0f hh-days/s", rate);
  snprintf(pe, sizeof pe, "%.1f hh-days/s (naive)", naive_days);
  snprintf(r, sizeof r, "%.0fx", rate / naive_days);
  bench_row("sim: fleet 1000 replayed, P every minute", o, pe, r);
  rate = fleet_energy_rate(fleet, FLEET, 2);
  snprintf(o, sizeof o, "%.0f hh-days/s", rate);
  bench_row("sim: fleet 1000 replayed, energy per 15 min", o, "-", "-");
  for (int i = 0; i < FLEET; i++)
    ami_sim_household_init_synthetic(&fleet[i], NULL, (uint64_t)i);
  rate = fleet_rate(fleet, FLEET, 1);
  snprintf(o, sizeof o, "%.0f hh-days/s", rate);
  bench_row("sim: fleet 1000 synthetic, P every minute", o, "-", "-");
  free(fleet);
  ami_sim_dataset_free(j.ds);
  free(j.rows);
  free(j.text);
  return 0;
}
