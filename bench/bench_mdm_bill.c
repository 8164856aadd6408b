/*
 * bench_mdm_bill.c -- section `mdm-bill`: monthly billing of many meters,
 * end to end (read the month out of the store + compute the bill), with in
 * the same run the same work done by SQLite one-row-per-reading (the TOU
 * energy determinants by one SQL GROUP BY query, then the same money
 * arithmetic) and by python3-pandas (bench/mdm_bill_pandas.py), as ratios.
 *
 * Workload: AMI_BENCH_BILL_METERS meters (default 100,000) x the local
 * month of January 2026 under tariffs/tou_seasonal_us_east.json (US
 * Eastern: 2026-01-01 05:00Z .. 2026-02-01 05:00Z, 1,488 half hours), one
 * delta Wh channel per meter. Values are a deterministic function of
 * (meter, slot) -- a daily shape by UTC hour, a per-meter level and
 * splitmix64 noise, whole Wh -- that the pandas script recomputes exactly,
 * so all three bill the same data; every peer's totals are checked
 * against ours meter by meter (C) or by their sum (pandas).
 *
 * What is timed: ours, for every meter ami_mdm_store_read (CURRENT) of the
 * month from the SQLite block store and ami_mdm_bill_compute; SQLite, the
 * GROUP BY query over the month (period of each row computed in SQL from
 * its timestamp, the tariff's calendar turned into a CASE expression) and
 * the money of each meter with ami_mdm_muldiv_round; pandas, the period of
 * each row, groupby-sum and vectorised money on DataFrames already in
 * memory (no store read: that favours pandas). Loading is not timed; its
 * rate is printed for information.
 *
 * Cost at the default 100,000 meters (148.8 M readings) on the 2-core
 * machine: about 5.5 minutes, 3.3 GB in /tmp while it runs (3.0 GB of it
 * the row-per-reading database, 0.25 GB our store) and 1 GB of memory;
 * AMI_BENCH_BILL_METERS=10000 gives the same per-meter rates in ~35 s.
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ami/ami_caltime.h"
#include "ami/ami_err.h"
#include "ami/ami_mdm_bill.h"
#include "ami/ami_mdm_tariff_json.h"
#include "ami/ami_store_sqlite.h"
#include "bench.h"

#define IV    1800
#define CHUNK 2000 /* meters per ingest batch (a whole month each) */

static int64_t t_start, t_end;
static size_t n_slots;
static char dir[64];

static uint64_t splitmix(uint64_t x) {
  uint64_t z = x + 0x9E3779B97F4A7C15u;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

/* Energy of meter m (0-based) in slot k of the month, milli-Wh (whole Wh):
 * mdm_bill_pandas.py computes the same. */
static int64_t load(uint64_t m, size_t k) {
  static const int shape[24] = {30, 25,  22,  20,  20,  25,  45, 80,
                                90, 70,  60,  60,  65,  60,  55, 60,
                                75, 110, 140, 150, 130, 100, 70, 45};
  int64_t hour = ((t_start + (int64_t)k * IV) / 3600) % 24;
  int64_t level = 50 + (int64_t)(m % 7) * 20;
  int64_t wh = shape[hour] * level / 60 +
               (int64_t)(splitmix(m * 1000003u + k) % 41) - 20;
  return (wh < 0 ? 0 : wh) * 1000;
}

static void rm_db(const char *p) {
  char q[256];
  unlink(p);
  snprintf(q, sizeof q, "%s-wal", p);
  unlink(q);
  snprintf(q, sizeof q, "%s-shm", p);
  unlink(q);
}

/* ---- the SQL peer ------------------------------------------------------- */

/* The tariff's period of a row as SQL, from ts (interval END, UTC): local
 * start = ts - IV + off (the zone's offset, constant over the month). */
static int period_sql(const ami_mdm_tariff *t, unsigned season, int32_t off,
                      char *b, size_t cap) {
  size_t o = 0;
#define PUT(...)                                                               \
  do {                                                                         \
    int k_ = snprintf(b + o, cap - o, __VA_ARGS__);                            \
    if (k_ < 0 || (size_t)k_ >= cap - o)                                       \
      return -1;                                                               \
    o += (size_t)k_;                                                           \
  } while (0)
  char ls[64];
  snprintf(ls, sizeof ls, "(ts - %d + %d)", IV, (int)off);
  PUT("CASE WHEN %s / 86400 IN (", ls);
  for (unsigned i = 0; i < t->n_holidays; i++)
    PUT("%s%lld", i ? "," : "", (long long)t->holiday[i]);
  PUT(") THEN 2 WHEN (%s / 86400 + 4) %% 7 BETWEEN 1 AND 5 THEN 0 ELSE 1 END",
      ls);
  char dt[2048];
  if (o >= sizeof dt)
    return -1;
  memcpy(dt, b, o + 1);
  o = 0;
  PUT("CASE");
  for (unsigned d = 0; d < AMI_MDM_DAY_TYPES; d++) {
    const ami_mdm_day_schedule *s = &t->season[season].day[d];
    PUT(" WHEN (%s) = %u THEN CASE", dt, d);
    for (unsigned g = 0; g < s->n; g++) {
      unsigned end = g + 1 < s->n ? s->seg[g + 1].start_min : 1440;
      PUT(" WHEN %s %% 86400 < %u THEN %u", ls, end * 60, s->seg[g].period);
    }
    PUT(" END");
  }
  PUT(" END");
#undef PUT
  return 0;
}

/* The money of one meter from its per-period energy: the same line rules
 * as ami_mdm_bill.h (each line rounded once, half even; taxes on the sum
 * of the rounded lines of their categories). */
static int64_t peer_money(const ami_mdm_tariff *t, unsigned season,
                          const int64_t *mwh, int64_t days_milli) {
  int64_t cat[5] = {0}, a, total = 0;
  for (unsigned p = 0; p < t->n_periods; p++) {
    if (mwh[p] == 0)
      continue;
    ami_mdm_muldiv_round(mwh[p], t->season[season].price[p], 10000000000LL, &a);
    cat[AMI_MDM_LINE_ENERGY] += a;
  }
  if (t->daily_charge > 0) {
    ami_mdm_muldiv_round(days_milli, t->daily_charge, 10000000LL, &a);
    cat[AMI_MDM_LINE_FIXED] += a;
  }
  for (int c = 0; c < 4; c++)
    total += cat[c];
  for (unsigned k = 0; k < t->n_taxes; k++) {
    int64_t base = 0;
    for (int c = 0; c < 4; c++)
      if (t->tax[k].applies & (1u << c))
        base += cat[c];
    ami_mdm_muldiv_round(base, t->tax[k].rate_ppm, 1000000, &a);
    total += a;
  }
  return total;
}

/* ---- the run ------------------------------------------------------------ */

static void row_rate(const char *what, double ours, double peer,
                     const char *peer_name) {
  char a[64], b[64], r[32];
  snprintf(a, sizeof a, "%.0f bills/s", ours);
  snprintf(b, sizeof b, "%.0f bills/s (%s)", peer, peer_name);
  snprintf(r, sizeof r, "%.1fx", ours / peer);
  bench_row(what, a, b, r);
}

/* The state of one run. */
typedef struct ctx {
  const ami_mdm_tariff *t;
  long meters;
  char ours_p[128], peer_p[128];
  ami_mdm_store st;
  bool st_open;
  sqlite3 *db;
  int64_t *totals, sum;
  double ours, ours_compute, t_read_us, t_comp_us;
  unsigned season;
  int32_t off;
  int64_t days_milli;
} ctx;

/* Opens our store and the row-per-reading database. */
static int open_both(ctx *c) {
  snprintf(c->ours_p, sizeof c->ours_p, "%s/ours.db", dir);
  snprintf(c->peer_p, sizeof c->peer_p, "%s/rows.db", dir);
  ami_store_sqlite_opts o;
  ami_store_sqlite_opts_init(&o);
  o.sync = AMI_STORE_SQLITE_SYNC_NORMAL;
  o.cache_kib = 64 * 1024;
  if (ami_store_sqlite_open(c->ours_p, &o, NULL, &c->st) != AMI_OK)
    return 1;
  c->st_open = true;
  return sqlite3_open(c->peer_p, &c->db) != SQLITE_OK ||
                 sqlite3_exec(c->db,
                              "PRAGMA journal_mode=WAL; PRAGMA "
                              "synchronous=NORMAL; PRAGMA cache_size=-65536; "
                              "CREATE TABLE reading(channel_id INTEGER NOT "
                              "NULL, ts INTEGER NOT NULL, value INTEGER NOT "
                              "NULL, quality INTEGER NOT NULL, PRIMARY "
                              "KEY(channel_id, ts)) WITHOUT ROWID;",
                              NULL, NULL, NULL) != SQLITE_OK
             ? 1
             : 0;
}

/* Inserts b[0..n) one row per reading in one transaction. */
static int rows_insert(sqlite3 *db, const ami_mdm_raw_reading *b, size_t n) {
  sqlite3_stmt *ins = NULL;
  if (sqlite3_prepare_v2(db, "INSERT INTO reading VALUES (?1, ?2, ?3, 0)", -1,
                         &ins, NULL) != SQLITE_OK ||
      sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
    return 1;
  for (size_t i = 0; i < n; i++) {
    sqlite3_bind_int64(ins, 1, (sqlite3_int64)b[i].channel_id);
    sqlite3_bind_int64(ins, 2, b[i].t);
    sqlite3_bind_int64(ins, 3, b[i].value);
    if (sqlite3_step(ins) != SQLITE_DONE)
      return 1;
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  return sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : 1;
}

/* Loads both stores, CHUNK meters x the whole month per batch (not timed
 * in the ratios; the rates are printed for information). */
static int load_both(ctx *c) {
  ami_mdm_raw_reading *b = malloc((size_t)CHUNK * n_slots * sizeof *b);
  if (!b)
    return 1;
  double l_ours = 0, l_peer = 0;
  int rc = 0;
  for (long m0 = 0; m0 < c->meters && rc == 0; m0 += CHUNK) {
    long m1 = m0 + CHUNK < c->meters ? m0 + CHUNK : c->meters;
    size_t n = 0;
    for (long m = m0; m < m1 && rc == 0; m++) {
      ami_mdm_channel_info ch = {(uint64_t)m + 1,
                                 (uint64_t)m + 1,
                                 AMI_MDM_DELTA,
                                 AMI_MDM_IMPORT,
                                 AMI_MDM_UNIT_WH,
                                 IV,
                                 1000,
                                 false};
      rc = ami_mdm_store_upsert_channel(&c->st, &ch) != AMI_OK;
      for (size_t k = 0; k < n_slots; k++)
        b[n++] = (ami_mdm_raw_reading){
            (uint64_t)m + 1, t_start + (int64_t)(k + 1) * IV,
            load((uint64_t)m, k), AMI_MDM_Q_ACTUAL, 0};
    }
    double a0 = bench_now();
    if (rc == 0)
      rc = ami_mdm_store_ingest(&c->st, b, n, 0, NULL) != AMI_OK;
    double a1 = bench_now();
    if (rc == 0)
      rc = rows_insert(c->db, b, n);
    l_ours += a1 - a0;
    l_peer += bench_now() - a1;
  }
  free(b);
  double readings = (double)c->meters * (double)n_slots;
  char what[96], a[64], p[64];
  snprintf(what, sizeof what, "  load %ld meters x %zu half hours (not timed)",
           c->meters, n_slots);
  snprintf(a, sizeof a, "%.2f M/s", readings / l_ours / 1e6);
  snprintf(p, sizeof p, "%.2f M/s (row/reading)", readings / l_peer / 1e6);
  if (rc == 0)
    bench_row(what, a, p, "");
  return rc;
}

/* Ours: read + bill, meter by meter (the two parts also timed apart). */
static int bill_ours(ctx *c) {
  ami_mdm_interval *v = malloc(n_slots * sizeof *v);
  if (!v)
    return 1;
  static ami_mdm_bill bill;
  double t0 = bench_now(), t_read = 0;
  for (long m = 0; m < c->meters; m++) {
    size_t n = 0;
    double r0 = bench_now();
    if (ami_mdm_store_read(&c->st, (uint64_t)m + 1, t_start, t_end,
                           AMI_MDM_CURRENT, v, n_slots, &n) != AMI_OK) {
      free(v);
      return 1;
    }
    t_read += bench_now() - r0;
    ami_mdm_usage u = {t_start, IV, n, v, NULL};
    if (ami_mdm_bill_compute(c->t, &u, &bill) != AMI_OK) {
      free(v);
      return 1;
    }
    c->totals[m] = bill.total;
  }
  double t_all = bench_now() - t0;
  free(v);
  c->ours = (double)c->meters / t_all;
  c->ours_compute = (double)c->meters / (t_all - t_read);
  c->sum = 0;
  for (long m = 0; m < c->meters; m++)
    c->sum += c->totals[m];
  c->t_read_us = t_read / (double)c->meters * 1e6;
  c->t_comp_us = (t_all - t_read) / (double)c->meters * 1e6;
  return 0;
}

/* SQLite: one GROUP BY over the month, then the money per meter; every
 * total compared with ours. */
static int sql_peer(ctx *c) {
  const ami_mdm_tariff *t = c->t;
  static char per[16384], sql[20000];
  if (period_sql(t, c->season, c->off, per, sizeof per) != 0)
    return 1;
  size_t so = (size_t)snprintf(sql, sizeof sql, "SELECT channel_id");
  for (unsigned q = 0; q < t->n_periods; q++)
    so +=
        (size_t)snprintf(sql + so, sizeof sql - so,
                         ", sum(CASE WHEN per = %u THEN value ELSE 0 END)", q);
  snprintf(sql + so, sizeof sql - so,
           " FROM (SELECT channel_id, value, %s AS per FROM reading WHERE ts "
           "> %lld AND ts <= %lld) GROUP BY channel_id ORDER BY channel_id",
           per, (long long)t_start, (long long)t_end);
  sqlite3_stmt *q = NULL;
  if (sqlite3_prepare_v2(c->db, sql, -1, &q, NULL) != SQLITE_OK) {
    printf("  (SQL peer: %s)\n", sqlite3_errmsg(c->db));
    return 1;
  }
  long bad = 0, rows = 0;
  double t0 = bench_now();
  while (sqlite3_step(q) == SQLITE_ROW) {
    int64_t mwh[AMI_MDM_TARIFF_MAX_PERIODS] = {0};
    long m = (long)sqlite3_column_int64(q, 0) - 1;
    for (unsigned k = 0; k < t->n_periods; k++)
      mwh[k] = sqlite3_column_int64(q, (int)k + 1);
    int64_t tot = peer_money(t, c->season, mwh, c->days_milli);
    bad += m < 0 || m >= c->meters || tot != c->totals[m];
    rows++;
  }
  double peer = (double)c->meters / (bench_now() - t0);
  sqlite3_finalize(q);
  row_rate("monthly TOU bill, read + compute, per meter", c->ours, peer,
           "SQLite GROUP BY");
  char a[64];
  snprintf(a, sizeof a, "%.1f + %.1f us", c->t_read_us, c->t_comp_us);
  bench_row("  ours per bill: store read + bill compute", a, "", "");
  if (bad || rows != c->meters)
    printf("  (SQL peer: %ld of %ld totals differ from ours!)\n", bad, rows);
  else
    printf("  (SQL peer totals equal ours for all %ld meters; sum of totals "
           "%lld.%02lld %s)\n",
           c->meters, (long long)(c->sum / 100), (long long)(c->sum % 100),
           t->currency);
  return 0;
}

/* pandas: bench/mdm_bill_pandas.py with the calendar and prices in a
 * small text spec; it prints its own row and checks the sum of totals. */
static int pandas_peer(const ctx *c) {
  const ami_mdm_tariff *t = c->t;
  const char *src = getenv("AMI_SOURCE_DIR");
  char script[512], spec[128], cmd[1400];
  snprintf(script, sizeof script, "%s/bench/mdm_bill_pandas.py",
           src ? src : ".");
  snprintf(spec, sizeof spec, "%s/spec.txt", dir);
  if (access(script, R_OK) != 0) {
    printf("  (pandas peer: set AMI_SOURCE_DIR to run "
           "bench/mdm_bill_pandas.py)\n");
    return 0;
  }
  FILE *f = fopen(spec, "w");
  if (!f)
    return 1;
  fprintf(f, "meters %ld\nt_start %lld\nslots %zu\niv %d\noff %d\n", c->meters,
          (long long)t_start, n_slots, IV, (int)c->off);
  fprintf(f, "days_milli %lld\ndaily %lld\nours_rate %.3f\nsum %lld\n",
          (long long)c->days_milli, (long long)t->daily_charge, c->ours_compute,
          (long long)c->sum);
  fprintf(f, "prices");
  for (unsigned k = 0; k < t->n_periods; k++)
    fprintf(f, " %lld", (long long)t->season[c->season].price[k]);
  fprintf(f, "\nholidays");
  for (unsigned k = 0; k < t->n_holidays; k++)
    fprintf(f, " %lld", (long long)t->holiday[k]);
  for (unsigned k = 0; k < t->n_taxes; k++)
    fprintf(f, "\ntax %u %u", t->tax[k].rate_ppm, t->tax[k].applies);
  for (unsigned d = 0; d < AMI_MDM_DAY_TYPES; d++) {
    const ami_mdm_day_schedule *s = &t->season[c->season].day[d];
    fprintf(f, "\nday %u", d);
    for (unsigned g = 0; g < s->n; g++)
      fprintf(f, " %u:%u", s->seg[g].start_min, s->seg[g].period);
  }
  fprintf(f, "\n");
  fclose(f);
  fflush(stdout);
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s'", script, spec);
  if (system(cmd) != 0)
    printf("  (pandas peer failed or is not installed: scripts/deps.sh "
           "--bench)\n");
  unlink(spec);
  return 0;
}

static int run(const ami_mdm_tariff *t, long meters) {
  static ctx c;
  memset(&c, 0, sizeof c);
  c.t = t;
  c.meters = meters;
  c.days_milli = (t_end - t_start) / 86400 * 1000;
  unsigned s_end;
  ami_mdm_tariff_classify(t, t_start, &c.season, NULL, NULL);
  ami_mdm_tariff_classify(t, t_end - 1, &s_end, NULL, NULL);
  c.off = ami_mdm_tz_offset(&t->tz, t_start);
  if (c.off != ami_mdm_tz_offset(&t->tz, t_end - 1) || s_end != c.season) {
    printf("  (mdm-bill: the month changes offset or season)\n");
    return 1;
  }
  c.totals = malloc((size_t)meters * sizeof *c.totals);
  int rc = c.totals ? open_both(&c) : 1;
  if (rc == 0)
    rc = load_both(&c);
  if (rc == 0)
    rc = bill_ours(&c);
  if (rc == 0)
    rc = sql_peer(&c);
  if (rc == 0 && !getenv("AMI_BENCH_NO_PEERS"))
    rc = pandas_peer(&c);
  sqlite3_close(c.db);
  if (c.st_open)
    ami_mdm_store_close(&c.st);
  free(c.totals);
  rm_db(c.ours_p);
  rm_db(c.peer_p);
  return rc;
}

int bench_mdm_bill(void) {
  const char *src = getenv("AMI_SOURCE_DIR");
  const char *env = getenv("AMI_BENCH_BILL_METERS");
  long meters = env ? atol(env) : 100000;
  if (meters < 1)
    meters = 1;
  char path[512], err[256];
  snprintf(path, sizeof path, "%s/tariffs/tou_seasonal_us_east.json",
           src ? src : ".");
  static ami_mdm_tariff t;
  if (ami_mdm_tariff_json_load_file(path, &t, err, sizeof err) != AMI_OK) {
    printf("  (mdm-bill: cannot load %s: set AMI_SOURCE_DIR)\n", path);
    return 1;
  }
  t_start = ami_mdm_tz_day_start(&t.tz, ami_days_from_civil(2026, 1, 1));
  t_end = ami_mdm_tz_day_start(&t.tz, ami_days_from_civil(2026, 2, 1));
  n_slots = (size_t)((t_end - t_start) / IV);
  snprintf(dir, sizeof dir, "/tmp/ami_bench_bill_XXXXXX");
  if (!mkdtemp(dir))
    return 1;
  int rc = run(&t, meters);
  rmdir(dir);
  if (rc)
    printf("  (mdm-bill benchmark failed)\n");
  return rc;
}
