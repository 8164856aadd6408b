/*
 * bench_mdm_store.c -- the MDM interval store: ingest rate, bytes on disk
 * per 15-minute reading, and one meter-year read back, for our SQLite store
 * (compressed channel-day blocks) and, in the same run on the same data, the
 * plain SQLite schema of one row per reading (channel, ts, value, quality)
 * as the peer. Optional external peers (pandas, ClickHouse) run from
 * bench/mdm_peers.sh when present; their lines are printed as they come.
 *
 * Workload: METERS meters x DAYS days x 96 quarter hours of synthetic
 * household load in whole Wh (a daily shape, a per-meter level, noise),
 * ingested one day of all meters per batch (96,000 readings per call, one
 * transaction), SYNC FULL (our default) and NORMAL. Size: the database file
 * after a WAL checkpoint, divided by the readings (tables and indexes).
 */
#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ami/ami_mdm_block.h"
#include "ami/ami_store_sqlite.h"
#include "bench.h"

#define METERS 1000
#define DAYS   30
#define SLOTS  96
#define YEAR   365
#define DAY0   (15706 * 86400LL) /* 2013-01-01 */

static uint64_t rng = 0x2545f4914f6cdd1du;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* Energy of meter m in slot k of day d, milli-Wh in whole Wh. */
static int64_t load(uint64_t m, int64_t d, int k) {
  static const int shape[24] = {30, 25,  22,  20,  20,  25,  45, 80,
                                90, 70,  60,  60,  65,  60,  55, 60,
                                75, 110, 140, 150, 130, 100, 70, 45};
  int64_t level = 50 + (int64_t)(m % 7) * 20 + (d % 7 >= 5 ? 20 : 0);
  int64_t wh = shape[k / 4] * level / 60 + (int64_t)(rnd() % 41) - 20;
  return (wh < 0 ? 0 : wh) * 1000;
}

static void fill_day(ami_mdm_raw_reading *r, int64_t d, int meters) {
  for (int m = 0; m < meters; m++)
    for (int k = 0; k < SLOTS; k++)
      r[m * SLOTS + k] = (ami_mdm_raw_reading){
          (uint64_t)m + 1, DAY0 + d * 86400 + (k + 1) * 900,
          load((uint64_t)m, d, k), AMI_MDM_Q_ACTUAL, 0};
}

static long fsize(const char *p) {
  struct stat sb;
  return stat(p, &sb) == 0 ? (long)sb.st_size : 0;
}

static void rm_db(const char *p) {
  char q[512];
  unlink(p);
  snprintf(q, sizeof q, "%s-wal", p);
  unlink(q);
  snprintf(q, sizeof q, "%s-shm", p);
  unlink(q);
}

/* ---- the peer: one SQLite row per reading ---------------------------- */

typedef struct peer {
  sqlite3 *db;
  sqlite3_stmt *ins, *sel;
} peer;

static int peer_open(peer *p, const char *path, const char *sync) {
  char sql[256];
  if (sqlite3_open(path, &p->db) != SQLITE_OK)
    return -1;
  snprintf(sql, sizeof sql,
           "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA "
           "cache_size=-16384; CREATE TABLE IF NOT EXISTS reading(channel_id "
           "INTEGER NOT NULL, ts INTEGER NOT NULL, value INTEGER NOT NULL, "
           "quality INTEGER NOT NULL, PRIMARY KEY(channel_id, ts)) WITHOUT "
           "ROWID;",
           sync);
  if (sqlite3_exec(p->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return -1;
  if (sqlite3_prepare_v2(p->db,
                         "INSERT OR IGNORE INTO reading VALUES (?1, ?2, ?3, "
                         "?4)",
                         -1, &p->ins, NULL) != SQLITE_OK)
    return -1;
  return sqlite3_prepare_v2(p->db,
                            "SELECT ts, value, quality FROM reading WHERE "
                            "channel_id = ?1 AND ts > ?2 AND ts <= ?3 "
                            "ORDER BY ts",
                            -1, &p->sel, NULL) == SQLITE_OK
             ? 0
             : -1;
}

static int peer_ingest(peer *p, const ami_mdm_raw_reading *r, size_t n) {
  if (sqlite3_exec(p->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return -1;
  for (size_t i = 0; i < n; i++) {
    sqlite3_bind_int64(p->ins, 1, (sqlite3_int64)r[i].channel_id);
    sqlite3_bind_int64(p->ins, 2, r[i].t);
    sqlite3_bind_int64(p->ins, 3, r[i].value);
    sqlite3_bind_int(p->ins, 4, r[i].quality);
    if (sqlite3_step(p->ins) != SQLITE_DONE)
      return -1;
    sqlite3_reset(p->ins);
  }
  return sqlite3_exec(p->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* Reads one channel over [t0, t1) into out the way the store does: a dense
 * array, MISSING where there is no row. */
static size_t peer_read(peer *p, uint64_t ch, int64_t t0, int64_t t1,
                        ami_mdm_interval *out) {
  size_t n = (size_t)((t1 - t0) / 900);
  for (size_t i = 0; i < n; i++)
    out[i] = (ami_mdm_interval){0, AMI_MDM_Q_MISSING, 0, 0};
  sqlite3_bind_int64(p->sel, 1, (sqlite3_int64)ch);
  sqlite3_bind_int64(p->sel, 2, t0);
  sqlite3_bind_int64(p->sel, 3, t1);
  while (sqlite3_step(p->sel) == SQLITE_ROW) {
    int64_t ts = sqlite3_column_int64(p->sel, 0);
    size_t i = (size_t)((ts - t0) / 900) - 1;
    out[i].value = sqlite3_column_int64(p->sel, 1);
    out[i].quality = (uint8_t)sqlite3_column_int(p->sel, 2);
  }
  sqlite3_reset(p->sel);
  return n;
}

static void peer_close(peer *p) {
  sqlite3_finalize(p->ins);
  sqlite3_finalize(p->sel);
  sqlite3_close(p->db);
}

/* ---- the sections ---------------------------------------------------- */

static char dir[64];
static ami_mdm_raw_reading *batch;

/* Ingests METERS x DAYS into our store and the peer with the given sync
 * mode; prints readings/s and bytes/reading for both. */
static int ingest_and_size(ami_store_sqlite_sync sync) {
  const char *sname = sync == AMI_STORE_SQLITE_SYNC_FULL ? "FULL" : "NORMAL";
  char ours_p[128], peer_p[128];
  snprintf(ours_p, sizeof ours_p, "%s/ours.db", dir);
  snprintf(peer_p, sizeof peer_p, "%s/peer.db", dir);
  rm_db(ours_p);
  rm_db(peer_p);
  ami_store_sqlite_opts o;
  ami_store_sqlite_opts_init(&o);
  o.sync = sync;
  ami_mdm_store st;
  if (ami_store_sqlite_open(ours_p, &o, NULL, &st) != AMI_OK)
    return 1;
  for (int m = 0; m < METERS; m++) {
    ami_mdm_channel_info c = {(uint64_t)m + 1,
                              (uint64_t)m + 1,
                              AMI_MDM_DELTA,
                              AMI_MDM_IMPORT,
                              AMI_MDM_UNIT_WH,
                              900,
                              1000,
                              false};
    if (ami_mdm_store_upsert_channel(&st, &c) != AMI_OK)
      return 1;
  }
  peer p;
  if (peer_open(&p, peer_p, sname) != 0)
    return 1;
  double t_ours = 0, t_peer = 0, t_again = 0;
  size_t n = (size_t)METERS * SLOTS;
  for (int d = 0; d < DAYS; d++) {
    uint64_t seed = rng;
    fill_day(batch, d, METERS);
    double t0 = bench_now();
    if (ami_mdm_store_ingest(&st, batch, n, DAY0, NULL) != AMI_OK)
      return 1;
    double t1 = bench_now();
    if (peer_ingest(&p, batch, n) != 0)
      return 1;
    double t2 = bench_now();
    t_ours += t1 - t0;
    t_peer += t2 - t1;
    if (d == DAYS - 1) { /* the last day re-sent: idempotent ingest */
      rng = seed;
      fill_day(batch, d, METERS);
      double t3 = bench_now();
      if (ami_mdm_store_ingest(&st, batch, n, DAY0, NULL) != AMI_OK)
        return 1;
      t_again = bench_now() - t3;
    }
  }
  double total = (double)n * DAYS;
  char a[64], b[64], r[32], what[80];
  snprintf(what, sizeof what, "ingest, readings/s (sync %s, 96k/batch)", sname);
  snprintf(a, sizeof a, "%.2f M/s", total / t_ours / 1e6);
  snprintf(b, sizeof b, "%.2f M/s (row/reading)", total / t_peer / 1e6);
  snprintf(r, sizeof r, "%.1fx", t_peer / t_ours);
  bench_row(what, a, b, r);
  snprintf(a, sizeof a, "%.2f M/s", (double)n / t_again / 1e6);
  bench_row("  same batch re-sent (idempotent, no write)", a, "", "");
  if (ami_store_sqlite_checkpoint(&st) != AMI_OK)
    return 1;
  sqlite3_wal_checkpoint_v2(p.db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
  if (sync == AMI_STORE_SQLITE_SYNC_FULL) {
    double bo = (double)fsize(ours_p) / total;
    double bp = (double)fsize(peer_p) / total;
    snprintf(a, sizeof a, "%.2f B", bo);
    snprintf(b, sizeof b, "%.2f B (row/reading)", bp);
    snprintf(r, sizeof r, "%.1fx", bp / bo);
    bench_row("on disk per 15-min reading (file/readings)", a, b, r);
  }
  ami_mdm_store_close(&st);
  peer_close(&p);
  rm_db(ours_p);
  rm_db(peer_p);
  return 0;
}

/* Late data as it really comes: each meter's day in 4 deliveries of 6 h
 * (24 quarter hours), 1000 meters per batch, so 3 of 4 batches merge into a
 * day block that already exists (read-modify-write). */
static int ingest_partial(void) {
  char ours_p[128], peer_p[128];
  snprintf(ours_p, sizeof ours_p, "%s/part.db", dir);
  snprintf(peer_p, sizeof peer_p, "%s/part_peer.db", dir);
  ami_mdm_store st;
  if (ami_store_sqlite_open(ours_p, NULL, NULL, &st) != AMI_OK)
    return 1;
  for (int m = 0; m < METERS; m++) {
    ami_mdm_channel_info c = {(uint64_t)m + 1,
                              (uint64_t)m + 1,
                              AMI_MDM_DELTA,
                              AMI_MDM_IMPORT,
                              AMI_MDM_UNIT_WH,
                              900,
                              1000,
                              false};
    if (ami_mdm_store_upsert_channel(&st, &c) != AMI_OK)
      return 1;
  }
  peer p;
  if (peer_open(&p, peer_p, "FULL") != 0)
    return 1;
  static ami_mdm_raw_reading part[METERS * 24];
  double t_ours = 0, t_peer = 0;
  int days = 10;
  for (int d = 0; d < days; d++) {
    fill_day(batch, d, METERS);
    for (int q = 0; q < 4; q++) {
      for (int m = 0; m < METERS; m++)
        memcpy(&part[m * 24], &batch[m * SLOTS + q * 24], 24 * sizeof *part);
      double t0 = bench_now();
      if (ami_mdm_store_ingest(&st, part, METERS * 24, DAY0, NULL) != AMI_OK)
        return 1;
      double t1 = bench_now();
      if (peer_ingest(&p, part, METERS * 24) != 0)
        return 1;
      t_ours += t1 - t0;
      t_peer += bench_now() - t1;
    }
  }
  double total = (double)METERS * SLOTS * days;
  char a[64], b[64], r[32];
  snprintf(a, sizeof a, "%.2f M/s", total / t_ours / 1e6);
  snprintf(b, sizeof b, "%.2f M/s (row/reading)", total / t_peer / 1e6);
  snprintf(r, sizeof r, "%.1fx", t_peer / t_ours);
  bench_row("ingest, day in 4 late parts (FULL, 24k/b)", a, b, r);
  ami_mdm_store_close(&st);
  peer_close(&p);
  rm_db(ours_p);
  rm_db(peer_p);
  return 0;
}

typedef struct year_ctx {
  ami_mdm_store *st;
  peer *p;
  ami_mdm_interval *out;
  int which;
} year_ctx;

static void read_year(void *arg) {
  year_ctx *c = arg;
  size_t n = 0;
  int64_t t0 = DAY0, t1 = DAY0 + YEAR * 86400LL;
  if (c->which == 0)
    ami_mdm_store_read(c->st, 1, t0, t1, AMI_MDM_CURRENT, c->out, YEAR * SLOTS,
                       &n);
  else
    n = peer_read(c->p, 1, t0, t1, c->out);
  bench_consume((uint64_t)c->out[n / 2].value + n);
}

/* One meter-year (35,040 quarter hours) read back, 10 meters stored. */
static int meter_year(void) {
  char ours_p[128], peer_p[128];
  snprintf(ours_p, sizeof ours_p, "%s/year.db", dir);
  snprintf(peer_p, sizeof peer_p, "%s/year_peer.db", dir);
  ami_mdm_store st;
  if (ami_store_sqlite_open(ours_p, NULL, NULL, &st) != AMI_OK)
    return 1;
  peer p;
  if (peer_open(&p, peer_p, "FULL") != 0)
    return 1;
  int meters = 10;
  for (int m = 0; m < meters; m++) {
    ami_mdm_channel_info c = {(uint64_t)m + 1,
                              (uint64_t)m + 1,
                              AMI_MDM_DELTA,
                              AMI_MDM_IMPORT,
                              AMI_MDM_UNIT_WH,
                              900,
                              1000,
                              false};
    if (ami_mdm_store_upsert_channel(&st, &c) != AMI_OK)
      return 1;
  }
  for (int d = 0; d < YEAR; d += 5) {
    size_t n = 0;
    for (int dd = d; dd < d + 5 && dd < YEAR; dd++) {
      fill_day(batch + n, dd, meters);
      n += (size_t)meters * SLOTS;
    }
    if (ami_mdm_store_ingest(&st, batch, n, DAY0, NULL) != AMI_OK ||
        peer_ingest(&p, batch, n) != 0)
      return 1;
  }
  ami_mdm_interval *out = malloc(sizeof *out * YEAR * SLOTS);
  if (!out)
    return 1;
  year_ctx c = {&st, &p, out, 0};
  long it = bench_calibrate(read_year, &c, 0.2);
  double ours = bench_best(read_year, &c, it, 5);
  c.which = 1;
  it = bench_calibrate(read_year, &c, 0.2);
  double theirs = bench_best(read_year, &c, it, 5);
  char a[64], b[64], r[32];
  snprintf(a, sizeof a, "%.3f ms", ours * 1e3);
  snprintf(b, sizeof b, "%.3f ms (row/reading)", theirs * 1e3);
  snprintf(r, sizeof r, "%.1fx", theirs / ours);
  bench_row("one meter-year read (35,040 values, CURRENT)", a, b, r);
  free(out);
  ami_mdm_store_close(&st);
  peer_close(&p);
  rm_db(ours_p);
  rm_db(peer_p);
  return 0;
}

typedef struct codec_ctx {
  ami_mdm_interval v[SLOTS], back[SLOTS];
  uint8_t buf[AMI_MDM_BLOCK_MAX_BYTES(SLOTS)];
  size_t len;
} codec_ctx;

static void enc_once(void *arg) {
  codec_ctx *c = arg;
  ami_wr w;
  ami_wr_init(&w, c->buf, sizeof c->buf);
  ami_mdm_block_encode(&w, 900, c->v, SLOTS);
  c->len = w.len;
  bench_consume(w.len);
}

static void dec_once(void *arg) {
  codec_ctx *c = arg;
  ami_mdm_block_hdr h;
  ami_mdm_block_decode(ami_span_make(c->buf, c->len), &h, c->back, SLOTS);
  bench_consume((uint64_t)c->back[7].value);
}

/* The block codec alone, one day of 96 values. */
static int codec(void) {
  static codec_ctx c;
  for (int k = 0; k < SLOTS; k++)
    c.v[k] = (ami_mdm_interval){load(3, 1, k), 0, 0, 0};
  enc_once(&c);
  long it = bench_calibrate(enc_once, &c, 0.1);
  double te = bench_best(enc_once, &c, it, 5);
  it = bench_calibrate(dec_once, &c, 0.1);
  double td = bench_best(dec_once, &c, it, 5);
  char a[64];
  snprintf(a, sizeof a, "%.2f us / %zu B", te * 1e6, c.len);
  bench_row("block encode, a day of 96 (9 layouts tried)", a, "", "");
  snprintf(a, sizeof a, "%.2f us", td * 1e6);
  bench_row("block decode, one day of 96", a, "", "");
  return 0;
}

/* Runs bench/mdm_peers.sh (pandas, ClickHouse) if present, on a CSV of the
 * same workload; it prints its own rows or says why a peer was skipped. */
static void external_peers(void) {
  const char *src = getenv("AMI_SOURCE_DIR");
  char script[512], csv[128], cmd[1024];
  snprintf(script, sizeof script, "%s/bench/mdm_peers.sh", src ? src : ".");
  if (access(script, R_OK) != 0) {
    printf("  (external peers: set AMI_SOURCE_DIR to run "
           "bench/mdm_peers.sh)\n");
    return;
  }
  snprintf(csv, sizeof csv, "%s/readings.csv", dir);
  FILE *f = fopen(csv, "w");
  if (!f)
    return;
  for (int d = 0; d < DAYS; d++) {
    fill_day(batch, d, METERS);
    for (size_t i = 0; i < (size_t)METERS * SLOTS; i++)
      fprintf(f, "%llu,%lld,%lld,%u\n", (unsigned long long)batch[i].channel_id,
              (long long)batch[i].t, (long long)batch[i].value,
              batch[i].quality);
  }
  fclose(f);
  fflush(stdout);
  snprintf(cmd, sizeof cmd, "bash '%s' '%s' '%s' %d", script, csv, dir,
           METERS * SLOTS * DAYS);
  if (system(cmd) != 0)
    printf("  (external peers script failed)\n");
  unlink(csv);
}

int bench_mdm_store(void) {
  snprintf(dir, sizeof dir, "/tmp/ami_bench_mdm_XXXXXX");
  if (!mkdtemp(dir))
    return 1;
  batch = malloc(sizeof *batch * (size_t)METERS * SLOTS);
  if (!batch)
    return 1;
  int rc = codec();
  rc |= ingest_and_size(AMI_STORE_SQLITE_SYNC_FULL);
  rc |= ingest_and_size(AMI_STORE_SQLITE_SYNC_NORMAL);
  rc |= ingest_partial();
  rc |= meter_year();
  if (!getenv("AMI_BENCH_NO_PEERS"))
    external_peers();
  free(batch);
  rmdir(dir);
  if (rc)
    printf("  (mdm store benchmark failed)\n");
  return rc;
}
