/*
 * test_mdm_store.c -- the MDM store interface on its SQLite engine: real
 * London data in and out, idempotent ingest (same bytes on disk), late and
 * out-of-order data, differing duplicates, versions with their audit trail,
 * atomic failure, failing allocations, a corrupted block, UTC-only days, and
 * the kill test (SIGKILL during ingest loses nothing acknowledged and leaves
 * no half batch).
 */
#include "ami_test.h"
#include "ami_test_mdm.h"

#include <dirent.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ami/ami_caltime.h"
#include "ami/ami_mdm_block.h"
#include "ami/ami_mdm_store_mem.h"
#include "ami/ami_store_sqlite.h"

/* "Now" for ingest: when readings arrive (the audit's `at`). */
#define T_NOW 1400000000

/* The data-model tests run on every engine (the interface's conformance
 * suite: a future engine adds its setup); SQLite-only checks (file sizes,
 * damaged pages, quota, kill) look at f->sqlite. */
typedef struct fixture {
  char dir[64];
  char path[96];
  bool sqlite;
  ami_mdm_store st;
} fixture;

static int setup_engine(void **state, bool sqlite) {
  fixture *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/ami_mdm_store_XXXXXX");
  if (!mkdtemp(f->dir))
    return -1;
  snprintf(f->path, sizeof f->path, "%s/mdm.db", f->dir);
  f->sqlite = sqlite;
  int rc = sqlite ? ami_store_sqlite_open(f->path, NULL, NULL, &f->st)
                  : ami_mdm_store_mem_open(NULL, &f->st);
  if (rc != AMI_OK)
    return -1;
  *state = f;
  return 0;
}

static int setup(void **state) {
  return setup_engine(state, true);
}

static int setup_mem(void **state) {
  return setup_engine(state, false);
}

static int teardown(void **state) {
  fixture *f = *state;
  ami_mdm_store_close(&f->st);
  DIR *d = opendir(f->dir);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    char p[384];
    if (e->d_name[0] == '.')
      continue;
    snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
    unlink(p);
  }
  if (d)
    closedir(d);
  rmdir(f->dir);
  free(f);
  return 0;
}

static void add_channel(ami_mdm_store *st, uint64_t id, uint32_t iv) {
  ami_mdm_channel_info c = {
      id, id / 10, AMI_MDM_DELTA, AMI_MDM_IMPORT, AMI_MDM_UNIT_WH,
      iv, 1000,    false};
  assert_ami_ok(ami_mdm_store_upsert_channel(st, &c));
}

static long file_size(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* 2013-03-25 00:00 UTC, the first day of the London sample. */
static int64_t day0(void) {
  return ami_days_from_civil(2013, 3, 25) * 86400;
}

#define NDAYS 14
#define NSLOT (NDAYS * 48)

/* The London sample as readings of channels 100, 101, 102. */
static ami_mdm_raw_reading *london(size_t *n) {
  ami_test_mdm_reading *r = ami_test_mdm_london(n);
  if (!r)
    return NULL;
  ami_mdm_raw_reading *out = calloc(*n, sizeof *out);
  for (size_t i = 0; i < *n; i++)
    out[i] = (ami_mdm_raw_reading){100 + (uint64_t)r[i].household, r[i].t_end,
                                   r[i].value_mwh, AMI_MDM_Q_ACTUAL, 0};
  free(r);
  return out;
}

/* Reads channel ch over the sample's 14 days and checks each slot against
 * the sample (MISSING where the sample has a gap). */
static void check_london(ami_mdm_store *st, const ami_mdm_raw_reading *r,
                         size_t n, uint64_t ch, ami_mdm_version_sel sel) {
  static ami_mdm_interval got[NSLOT];
  static int64_t want[NSLOT];
  static bool have[NSLOT];
  memset(have, 0, sizeof have);
  for (size_t i = 0; i < n; i++)
    if (r[i].channel_id == ch) {
      size_t k = (size_t)((r[i].t - day0()) / 1800) - 1;
      want[k] = r[i].value;
      have[k] = true;
    }
  size_t got_n;
  assert_ami_ok(ami_mdm_store_read(st, ch, day0(), day0() + NDAYS * 86400, sel,
                                   got, NSLOT, &got_n));
  assert_int_equal(got_n, NSLOT);
  for (size_t k = 0; k < NSLOT; k++) {
    if (!have[k]) {
      assert_int_equal(got[k].quality, AMI_MDM_Q_MISSING);
      continue;
    }
    assert_int_equal(got[k].quality, AMI_MDM_Q_ACTUAL);
    assert_int_equal(got[k].value, want[k]);
  }
}

static void test_london_roundtrip(void **state) {
  fixture *f = *state;
  size_t n;
  ami_mdm_raw_reading *r = london(&n);
  if (!r)
    skip();
  for (uint64_t ch = 100; ch < 103; ch++)
    add_channel(&f->st, ch, 1800);
  ami_mdm_ingest_result res;
  assert_ami_ok(ami_mdm_store_ingest(&f->st, r, n, T_NOW, &res));
  assert_int_equal(res.stored, n);
  for (uint64_t ch = 100; ch < 103; ch++) {
    check_london(&f->st, r, n, ch, AMI_MDM_RAW);
    check_london(&f->st, r, n, ch, AMI_MDM_CURRENT);
  }
  /* One real gap in household 1 (MAC000003): 671 of 672 slots. */
  size_t c101 = 0;
  for (size_t i = 0; i < n; i++)
    c101 += r[i].channel_id == 101;
  assert_int_equal(c101, NSLOT - 1);

  if (!f->sqlite) { /* the same batch again changes nothing */
    assert_ami_ok(ami_mdm_store_ingest(&f->st, r, n, T_NOW, &res));
    assert_int_equal(res.unchanged, n);
    check_london(&f->st, r, n, 101, AMI_MDM_RAW);
    free(r);
    return;
  }
  /* Idempotence: the same batch again changes nothing, not even the file. */
  assert_ami_ok(ami_store_sqlite_checkpoint(&f->st));
  long size1 = file_size(f->path);
  assert_ami_ok(ami_mdm_store_ingest(&f->st, r, n, T_NOW, &res));
  assert_int_equal(res.unchanged, n);
  assert_int_equal(res.stored + res.duplicates + res.late, 0);
  char wal[128];
  snprintf(wal, sizeof wal, "%s-wal", f->path);
  assert_int_equal(file_size(wal), 0); /* nothing was even written */
  assert_ami_ok(ami_store_sqlite_checkpoint(&f->st));
  assert_int_equal(file_size(f->path), size1);
  for (uint64_t ch = 100; ch < 103; ch++)
    check_london(&f->st, r, n, ch, AMI_MDM_RAW);
  free(r);
}

/* The same data shuffled and cut into small batches (late, out of order,
 * crossing days) reads back exactly as the in-order ingest. */
static void test_out_of_order(void **state) {
  fixture *f = *state;
  size_t n;
  ami_mdm_raw_reading *r = london(&n);
  if (!r)
    skip();
  for (uint64_t ch = 100; ch < 103; ch++)
    add_channel(&f->st, ch, 1800);
  srand(7);
  for (size_t i = n - 1; i > 0; i--) {
    size_t j = (size_t)rand() % (i + 1);
    ami_mdm_raw_reading t = r[i];
    r[i] = r[j];
    r[j] = t;
  }
  for (size_t i = 0; i < n;) {
    size_t len = 1 + (size_t)rand() % 97;
    if (len > n - i)
      len = n - i;
    assert_ami_ok(ami_mdm_store_ingest(&f->st, r + i, len, T_NOW, NULL));
    i += len;
  }
  for (uint64_t ch = 100; ch < 103; ch++)
    check_london(&f->st, r, n, ch, AMI_MDM_RAW);
  free(r);
}

static int collect_audit(void *ud, const ami_mdm_audit *a) {
  ami_mdm_audit *rows = ud;
  size_t k = 0;
  while (rows[k].who)
    k++;
  rows[k] = *a;
  /* strings are valid only now: keep copies */
  rows[k].who = strdup(a->who);
  rows[k].reason = strdup(a->reason);
  return 0;
}

static size_t free_audit(ami_mdm_audit *rows) {
  size_t k = 0;
  for (; rows[k].who; k++) {
    free((void *)rows[k].who);
    free((void *)rows[k].reason);
  }
  memset(rows, 0, sizeof rows[0] * (k + 1));
  return k;
}

/* A differing repeat keeps the first value, is flagged and audited once;
 * MISSING then a value fills; a value then MISSING changes nothing. */
static void test_duplicates(void **state) {
  fixture *f = *state;
  add_channel(&f->st, 7, 900);
  int64_t t = day0() + 900;
  ami_mdm_raw_reading a[3] = {{7, t, 5000, AMI_MDM_Q_ACTUAL, 0},
                              {7, t + 900, 0, AMI_MDM_Q_MISSING, 0},
                              {7, t + 1800, 7000, AMI_MDM_Q_ACTUAL, 0}};
  assert_ami_ok(ami_mdm_store_ingest(&f->st, a, 3, T_NOW, NULL));
  ami_mdm_raw_reading b[3] = {{7, t, 6000, AMI_MDM_Q_ACTUAL, 0},
                              {7, t + 900, 4000, AMI_MDM_Q_ACTUAL, 0},
                              {7, t + 1800, 0, AMI_MDM_Q_MISSING, 0}};
  ami_mdm_ingest_result res;
  for (int round = 0; round < 2; round++) {
    assert_ami_ok(ami_mdm_store_ingest(&f->st, b, 3, T_NOW, &res));
    assert_int_equal(res.duplicates, 1);
    assert_int_equal(res.stored, round == 0 ? 1 : 0);
  }
  ami_mdm_interval v[3];
  size_t nv;
  assert_ami_ok(ami_mdm_store_read(&f->st, 7, day0(), day0() + 2700,
                                   AMI_MDM_RAW, v, 3, &nv));
  assert_int_equal(v[0].value, 5000);
  assert_int_equal(v[0].flags, AMI_MDM_F_DUPLICATE);
  assert_int_equal(v[1].value, 4000);
  assert_int_equal(v[1].quality, AMI_MDM_Q_ACTUAL);
  assert_int_equal(v[2].value, 7000);
  assert_int_equal(v[2].flags, 0);
  static ami_mdm_audit rows[8];
  assert_ami_ok(ami_mdm_store_list_audit(&f->st, 7, day0(), day0() + 86400,
                                         collect_audit, rows));
  assert_int_equal(rows[0].t, t);
  assert_int_equal(rows[0].version, 0);
  assert_int_equal(rows[0].at, T_NOW);
  assert_string_equal(rows[0].who, "ingest");
  assert_int_equal(rows[0].old_v.value, 5000);
  assert_int_equal(rows[0].new_v.value, 6000);
  assert_string_equal(rows[0].reason, "differing duplicate");
  assert_int_equal(free_audit(rows), 1); /* the second round added none */
  /* Duplicates within one batch: the first received is kept. */
  ami_mdm_raw_reading c[2] = {{7, t + 2700, 1, AMI_MDM_Q_ACTUAL, 0},
                              {7, t + 2700, 2, AMI_MDM_Q_ACTUAL, 0}};
  assert_ami_ok(ami_mdm_store_ingest(&f->st, c, 2, T_NOW, &res));
  assert_ami_ok(ami_mdm_store_read(&f->st, 7, t + 1800, t + 2700, AMI_MDM_RAW,
                                   v, 3, &nv));
  assert_int_equal(nv, 1);
  assert_int_equal(v[0].value, 1);
  assert_int_equal(v[0].flags, AMI_MDM_F_DUPLICATE);
}

/* Versions: estimates over a gap, then a manual edit over an estimate; raw
 * never changes; each changed slot has its audit row; re-applying is a
 * no-op; late raw under an edited slot flags LATE and leaves CURRENT. */
static void test_versions_and_audit(void **state) {
  fixture *f = *state;
  add_channel(&f->st, 9, 900);
  int64_t d = day0();
  ami_mdm_raw_reading r[96];
  size_t n = 0;
  for (int k = 0; k < 96; k++)
    if (k < 40 || k >= 44)
      r[n++] = (ami_mdm_raw_reading){9, d + (k + 1) * 900, 1000 * k,
                                     AMI_MDM_Q_ACTUAL, 0};
  assert_ami_ok(ami_mdm_store_ingest(&f->st, r, n, T_NOW, NULL));
  ami_mdm_edit vee = {9, d + 86400 + 3600, "vee:linear", "gap fill"};
  ami_mdm_edit_value est[4];
  for (int k = 0; k < 4; k++)
    est[k] = (ami_mdm_edit_value){d + (41 + k) * 900,
                                  {1000 * (40 + k), AMI_MDM_Q_ESTIMATED, 2, 0}};
  assert_ami_ok(ami_mdm_store_write_version(&f->st, &vee, est, 4));
  assert_ami_ok(ami_mdm_store_write_version(&f->st, &vee, est, 4)); /* no-op */
  ami_mdm_edit man = {9, d + 2 * 86400, "user:alice", "customer read"};
  ami_mdm_edit_value ed = {d + 42 * 900, {123456, AMI_MDM_Q_EDITED, 0, 0}};
  assert_ami_ok(ami_mdm_store_write_version(&f->st, &man, &ed, 1));

  ami_mdm_interval raw[96], cur[96];
  size_t nr;
  assert_ami_ok(
      ami_mdm_store_read(&f->st, 9, d, d + 86400, AMI_MDM_RAW, raw, 96, &nr));
  assert_ami_ok(ami_mdm_store_read(&f->st, 9, d, d + 86400, AMI_MDM_CURRENT,
                                   cur, 96, &nr));
  for (int k = 0; k < 96; k++) {
    bool gap = k >= 40 && k < 44;
    assert_int_equal(raw[k].quality,
                     gap ? AMI_MDM_Q_MISSING : AMI_MDM_Q_ACTUAL);
    if (k == 41) {
      assert_int_equal(cur[k].quality, AMI_MDM_Q_EDITED);
      assert_int_equal(cur[k].value, 123456);
    } else if (gap) {
      assert_int_equal(cur[k].quality, AMI_MDM_Q_ESTIMATED);
      assert_int_equal(cur[k].method, 2);
      assert_int_equal(cur[k].value, 1000 * k);
    } else {
      assert_int_equal(cur[k].value, 1000 * k);
    }
  }
  static ami_mdm_audit rows[16];
  assert_ami_ok(
      ami_mdm_store_list_audit(&f->st, 9, d, d + 86400, collect_audit, rows));
  /* Slot order then version: 40, 41 (v1 then v2), 42, 43. */
  assert_int_equal(rows[1].t, d + 42 * 900);
  assert_int_equal(rows[1].version, 1);
  assert_int_equal(rows[1].old_v.quality, AMI_MDM_Q_MISSING);
  assert_int_equal(rows[1].new_v.value, 41000);
  assert_string_equal(rows[1].who, "vee:linear");
  assert_int_equal(rows[1].at, d + 86400 + 3600);
  assert_int_equal(rows[2].version, 2);
  assert_int_equal(rows[2].old_v.quality, AMI_MDM_Q_ESTIMATED);
  assert_int_equal(rows[2].old_v.value, 41000);
  assert_int_equal(rows[2].new_v.value, 123456);
  assert_string_equal(rows[2].who, "user:alice");
  assert_string_equal(rows[2].reason, "customer read");
  assert_int_equal(free_audit(rows), 5);

  /* The real value arrives late under the edit. */
  ami_mdm_raw_reading late = {9, d + 42 * 900, 41500, AMI_MDM_Q_ACTUAL, 0};
  ami_mdm_ingest_result res;
  assert_ami_ok(ami_mdm_store_ingest(&f->st, &late, 1, T_NOW, &res));
  assert_int_equal(res.late, 1);
  assert_ami_ok(
      ami_mdm_store_read(&f->st, 9, d, d + 86400, AMI_MDM_RAW, raw, 96, &nr));
  assert_int_equal(raw[41].value, 41500);
  assert_int_equal(raw[41].flags, AMI_MDM_F_LATE);
  assert_ami_ok(ami_mdm_store_read(&f->st, 9, d, d + 86400, AMI_MDM_CURRENT,
                                   cur, 96, &nr));
  assert_int_equal(cur[41].value, 123456);
}

/* Every failure applies nothing: a good batch with one bad reading leaves
 * the store as it was. Errors are the specific storage ones. */
static void test_errors_atomic(void **state) {
  fixture *f = *state;
  add_channel(&f->st, 1, 900);
  int64_t d = day0();
  ami_mdm_raw_reading r[200];
  for (int k = 0; k < 200; k++)
    r[k] = (ami_mdm_raw_reading){1, d + (k + 1) * 900, k, AMI_MDM_Q_ACTUAL, 0};
  ami_mdm_raw_reading keep = r[199];
  r[199].t += 1;
  assert_ami(AMI_E_STORE_OFF_GRID,
             ami_mdm_store_ingest(&f->st, r, 200, T_NOW, NULL));
  r[199] = keep;
  r[150].channel_id = 2;
  assert_ami(AMI_E_STORE_NO_CHANNEL,
             ami_mdm_store_ingest(&f->st, r, 200, T_NOW, NULL));
  r[150].channel_id = 1;
  r[3].quality = AMI_MDM_Q_ESTIMATED;
  assert_ami(AMI_E_INVAL, ami_mdm_store_ingest(&f->st, r, 200, T_NOW, NULL));
  ami_mdm_interval v[200];
  size_t n;
  assert_ami_ok(ami_mdm_store_read(&f->st, 1, d, d + 200 * 900, AMI_MDM_CURRENT,
                                   v, 200, &n));
  for (int k = 0; k < 200; k++)
    assert_int_equal(v[k].quality, AMI_MDM_Q_MISSING);
  assert_ami(AMI_E_BUFFER_FULL, ami_mdm_store_read(&f->st, 1, d, d + 200 * 900,
                                                   AMI_MDM_RAW, v, 199, &n));
  assert_ami(AMI_E_STORE_OFF_GRID, ami_mdm_store_read(&f->st, 1, d + 1, d + 900,
                                                      AMI_MDM_RAW, v, 2, &n));
  assert_ami(AMI_E_STORE_NO_CHANNEL,
             ami_mdm_store_read(&f->st, 3, d, d + 900, AMI_MDM_RAW, v, 2, &n));
  assert_ami(AMI_E_INVAL,
             ami_mdm_store_read(&f->st, 1, d + 900, d, AMI_MDM_RAW, v, 2, &n));
  assert_ami(AMI_E_RANGE, ami_mdm_store_read(&f->st, 1, INT64_MIN / 900 * 900,
                                             d, AMI_MDM_RAW, v, 2, &n));
  ami_mdm_raw_reading far = {1, INT64_MAX / 900 * 900, 1, AMI_MDM_Q_ACTUAL, 0};
  assert_ami(AMI_E_RANGE, ami_mdm_store_ingest(&f->st, &far, 1, T_NOW, NULL));
  far.t = INT64_MIN / 900 * 900; /* first in sort order: checked before use */
  assert_ami(AMI_E_RANGE, ami_mdm_store_ingest(&f->st, &far, 1, T_NOW, NULL));
  ami_mdm_edit fe = {1, 0, "x", "y"};
  ami_mdm_edit_value fv = {INT64_MIN / 900 * 900, {1, AMI_MDM_Q_EDITED, 0, 0}};
  assert_ami(AMI_E_RANGE, ami_mdm_store_write_version(&f->st, &fe, &fv, 1));
  ami_mdm_channel_info ci;
  assert_ami(AMI_E_STORE_NO_CHANNEL, ami_mdm_store_get_channel(&f->st, 3, &ci));
  if (!f->sqlite)
    return;
  /* Cannot open: no such directory; not a database. */
  ami_mdm_store other;
  assert_ami(AMI_E_IO, ami_store_sqlite_open("/nonexistent/dir/x.db", NULL,
                                             NULL, &other));
  char junk[128];
  snprintf(junk, sizeof junk, "%s/junk.db", f->dir);
  FILE *jf = fopen(junk, "wb");
  assert_non_null(jf);
  fputs("this is not a database file, but long enough to look like one.....",
        jf);
  fclose(jf);
  assert_ami(AMI_E_IO, ami_store_sqlite_open(junk, NULL, NULL, &other));
  /* An edit with one bad slot applies nothing and writes no audit. */
  r[3].quality = AMI_MDM_Q_ACTUAL;
  assert_ami_ok(ami_mdm_store_ingest(&f->st, r, 200, T_NOW, NULL));
  ami_mdm_edit e = {1, d, "user:bob", "typo"};
  ami_mdm_edit_value ev[2] = {{d + 900, {99, AMI_MDM_Q_EDITED, 0, 0}},
                              {d + 1000, {98, AMI_MDM_Q_EDITED, 0, 0}}};
  assert_ami(AMI_E_STORE_OFF_GRID,
             ami_mdm_store_write_version(&f->st, &e, ev, 2));
  static ami_mdm_audit rows[4];
  assert_ami_ok(
      ami_mdm_store_list_audit(&f->st, 1, d, d + 86400, collect_audit, rows));
  assert_int_equal(free_audit(rows), 0);
  /* The interval cannot change under data; other fields can. */
  ami_mdm_channel_info c = {
      1, 0, AMI_MDM_DELTA, AMI_MDM_IMPORT, AMI_MDM_UNIT_WH, 1800, 1000, false};
  assert_ami(AMI_E_STORE_CHANNEL_CHANGED,
             ami_mdm_store_upsert_channel(&f->st, &c));
  c.interval_s = 900;
  c.multiplier_milli = 40000;
  assert_ami_ok(ami_mdm_store_upsert_channel(&f->st, &c));
  assert_ami_ok(ami_mdm_store_get_channel(&f->st, 1, &ci));
  assert_int_equal(ci.multiplier_milli, 40000);
  c.interval_s = 7;
  assert_ami(AMI_E_INVAL, ami_mdm_store_upsert_channel(&f->st, &c));
}

/* The store is UTC only: the 25-hour local day of 2013-10-27 in London
 * (00:00 BST = 2013-10-26 23:00 UTC to 24:00 GMT) is the range of 50 half
 * hours [23:00 UTC, 00:00 UTC + 1 day), spanning two UTC day blocks; the
 * store neither knows nor needs the zone (that is the caller's calendar). */
static void test_utc_days(void **state) {
  fixture *f = *state;
  add_channel(&f->st, 5, 1800);
  int64_t t0 = ami_days_from_civil(2013, 10, 26) * 86400 + 23 * 3600;
  int64_t t1 = ami_days_from_civil(2013, 10, 28) * 86400;
  ami_mdm_raw_reading r[50];
  for (int k = 0; k < 50; k++)
    r[k] = (ami_mdm_raw_reading){5, t0 + (k + 1) * 1800, 100 * k,
                                 AMI_MDM_Q_ACTUAL, 0};
  assert_ami_ok(ami_mdm_store_ingest(&f->st, r, 50, T_NOW, NULL));
  ami_mdm_interval v[50];
  size_t n;
  assert_ami_ok(ami_mdm_store_read(&f->st, 5, t0, t1, AMI_MDM_RAW, v, 50, &n));
  assert_int_equal(n, 50);
  for (int k = 0; k < 50; k++)
    assert_int_equal(v[k].value, 100 * k);
  /* Negative times (before 1970) map to days by floor division. */
  ami_mdm_raw_reading old = {5, -1800, 42, AMI_MDM_Q_ACTUAL, 0};
  assert_ami_ok(ami_mdm_store_ingest(&f->st, &old, 1, T_NOW, NULL));
  assert_ami_ok(
      ami_mdm_store_read(&f->st, 5, -3600, 0, AMI_MDM_RAW, v, 50, &n));
  assert_int_equal(n, 2);
  assert_int_equal(v[0].value, 42);
  assert_int_equal(v[1].quality, AMI_MDM_Q_MISSING);
}

static int count_reg(void *ud, const ami_mdm_register_read *r) {
  (void)r;
  (*(int *)ud)++;
  return 0;
}
static int count_ev(void *ud, const ami_mdm_event *e) {
  (*(int *)ud)++;
  return e->code == 0xffff ? 1 : 0;
}

static void test_registers_events_meters(void **state) {
  fixture *f = *state;
  add_channel(&f->st, 11, 900);
  ami_mdm_meter_info m = {1, "LGZ1030655933512", 1000};
  assert_ami_ok(ami_mdm_store_upsert_meter(&f->st, &m));
  ami_mdm_register_read rr[2] = {{11, 100, 777, 0}, {11, 200, 778, 0}};
  assert_ami_ok(ami_mdm_store_put_registers(&f->st, rr, 2));
  assert_ami_ok(ami_mdm_store_put_registers(&f->st, rr, 2));
  int c = 0;
  assert_ami_ok(
      ami_mdm_store_list_registers(&f->st, 11, 0, 1000, count_reg, &c));
  assert_int_equal(c, 2);
  rr[0].channel_id = 12;
  assert_ami(AMI_E_STORE_NO_CHANNEL,
             ami_mdm_store_put_registers(&f->st, rr, 2));
  ami_mdm_event ev[3] = {{1, 50, 1}, {1, 60, 2}, {1, 60, 0xffff}};
  assert_ami_ok(ami_mdm_store_put_events(&f->st, ev, 3));
  assert_ami_ok(ami_mdm_store_put_events(&f->st, ev, 3));
  c = 0;
  assert_int_equal(ami_mdm_store_list_events(&f->st, 1, 0, 100, count_ev, &c),
                   1);
  assert_int_equal(c, 3); /* the callback's stop is returned */
}

/* A block damaged on disk reads as AMI_E_STORE_CORRUPT, never a crash. */
static void test_corrupt_block(void **state) {
  fixture *f = *state;
  add_channel(&f->st, 3, 900);
  ami_mdm_raw_reading r = {3, day0() + 900, 1, AMI_MDM_Q_ACTUAL, 0};
  assert_ami_ok(ami_mdm_store_ingest(&f->st, &r, 1, T_NOW, NULL));
  sqlite3 *db;
  assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db,
                                "UPDATE block SET data = x'01840760' "
                                "WHERE channel_id = 3",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  ami_mdm_interval v[96];
  size_t n;
  assert_ami(AMI_E_STORE_CORRUPT,
             ami_mdm_store_read(&f->st, 3, day0(), day0() + 86400, AMI_MDM_RAW,
                                v, 96, &n));
  assert_ami(AMI_E_STORE_CORRUPT,
             ami_mdm_store_ingest(&f->st, &r, 1, T_NOW, NULL));
}

/* A full store (a quota here, a full disk in the field) refuses the batch
 * whole with AMI_E_STORE_FULL and stays usable for what still fits. */
static void test_store_full(void **state) {
  fixture *f = *state;
  char path[128];
  snprintf(path, sizeof path, "%s/full.db", f->dir);
  ami_store_sqlite_opts o;
  ami_store_sqlite_opts_init(&o);
  o.max_bytes = 256 * 1024;
  ami_mdm_store st;
  assert_ami_ok(ami_store_sqlite_open(path, &o, NULL, &st));
  for (uint64_t ch = 1; ch <= 10; ch++)
    add_channel(&st, ch, 900);
  static ami_mdm_raw_reading r[10 * 96 * 20];
  uint64_t rng = 1;
  int full_at = -1;
  for (int b = 0; b < 40 && full_at < 0; b++) {
    size_t n = 0;
    for (uint64_t ch = 1; ch <= 10; ch++)
      for (int d = 0; d < 20; d++)
        for (int k = 0; k < 96; k++) {
          rng = rng * 6364136223846793005u + 1442695040888963407u;
          r[n++] = (ami_mdm_raw_reading){
              ch, day0() + (int64_t)(b * 20 + d) * 86400 + (k + 1) * 900,
              (int64_t)(rng >> 20), AMI_MDM_Q_ACTUAL, 0};
        }
    int rc = ami_mdm_store_ingest(&st, r, n, T_NOW, NULL);
    if (rc == AMI_E_STORE_FULL)
      full_at = b;
    else
      assert_ami_ok(rc);
  }
  assert_true(full_at > 0);
  /* Nothing of the refused batch is there; the last accepted one is. */
  ami_mdm_interval v[96];
  size_t nv;
  int64_t first_refused = day0() + (int64_t)full_at * 20 * 86400;
  for (uint64_t ch = 1; ch <= 10; ch++) {
    assert_ami_ok(ami_mdm_store_read(&st, ch, first_refused,
                                     first_refused + 86400, AMI_MDM_RAW, v, 96,
                                     &nv));
    for (int k = 0; k < 96; k++)
      assert_int_equal(v[k].quality, AMI_MDM_Q_MISSING);
    assert_ami_ok(ami_mdm_store_read(&st, ch, first_refused - 86400,
                                     first_refused, AMI_MDM_RAW, v, 96, &nv));
    for (int k = 0; k < 96; k++)
      assert_int_equal(v[k].quality, AMI_MDM_Q_ACTUAL);
  }
  /* An idempotent re-send needs no space and still succeeds. */
  ami_mdm_raw_reading again = {1, first_refused - 900, 0, AMI_MDM_Q_MISSING, 0};
  assert_ami_ok(ami_mdm_store_ingest(&st, &again, 1, T_NOW, NULL));
  ami_mdm_store_close(&st);
}

/* Every allocation of the plugin fails in turn: a clean error, no leak,
 * nothing applied; then the call succeeds. */
static void test_failing_allocator(void **state) {
  fixture *f = *state;
  char path[128];
  snprintf(path, sizeof path, "%s/fa.db", f->dir);
  for (long i = 0;; i++) {
    ami_test_failalloc fa;
    ami_test_failalloc_init(&fa, i);
    ami_mdm_store st;
    int rc = ami_store_sqlite_open(path, NULL, &fa.base, &st);
    if (rc == AMI_E_NOMEM) {
      assert_int_equal(fa.live, 0);
      continue;
    }
    assert_ami_ok(rc);
    add_channel(&st, 1, 900);
    ami_mdm_raw_reading r = {1, day0() + 900, (int64_t)i, AMI_MDM_Q_ACTUAL, 0};
    rc = ami_mdm_store_ingest(&st, &r, 1, T_NOW, NULL);
    ami_mdm_edit e = {1, 0, "t", "t"};
    ami_mdm_edit_value ev = {day0() + 900, {5, AMI_MDM_Q_EDITED, 0, 0}};
    int rc2 = ami_mdm_store_write_version(&st, &e, &ev, 1);
    ami_mdm_interval v[1];
    size_t n;
    assert_ami_ok(ami_mdm_store_read(&st, 1, day0(), day0() + 900, AMI_MDM_RAW,
                                     v, 1, &n));
    if (rc == AMI_E_NOMEM) {
      assert_int_equal(v[0].quality, AMI_MDM_Q_MISSING);
    } else {
      assert_ami_ok(rc);
      assert_int_equal(v[0].value, i);
    }
    assert_true(rc2 == AMI_OK || rc2 == AMI_E_NOMEM);
    ami_mdm_store_close(&st);
    assert_int_equal(fa.live, 0);
    unlink(path);
    char p2[160];
    snprintf(p2, sizeof p2, "%s-wal", path);
    unlink(p2);
    snprintf(p2, sizeof p2, "%s-shm", path);
    unlink(p2);
    if (rc == AMI_OK && rc2 == AMI_OK)
      break;
  }
}

/* A snapshot of everything observable through the interface, to prove a
 * failed call changed nothing. */
typedef struct snap {
  ami_mdm_interval raw[2][192], cur[2][192];
  size_t audits, regs, evs;
} snap;

static int count_audit(void *ud, const ami_mdm_audit *a) {
  (void)a;
  (*(size_t *)ud)++;
  return 0;
}
static int count_reg_sz(void *ud, const ami_mdm_register_read *r) {
  (void)r;
  (*(size_t *)ud)++;
  return 0;
}
static int count_ev_sz(void *ud, const ami_mdm_event *e) {
  (void)e;
  (*(size_t *)ud)++;
  return 0;
}

static void take_snap(ami_mdm_store *st, snap *s) {
  memset(s, 0, sizeof *s);
  size_t n;
  for (int c = 0; c < 2; c++) {
    assert_ami_ok(ami_mdm_store_read(st, (uint64_t)c + 1, day0(),
                                     day0() + 2 * 86400, AMI_MDM_RAW, s->raw[c],
                                     192, &n));
    assert_ami_ok(ami_mdm_store_read(st, (uint64_t)c + 1, day0(),
                                     day0() + 2 * 86400, AMI_MDM_CURRENT,
                                     s->cur[c], 192, &n));
    assert_ami_ok(ami_mdm_store_list_audit(st, (uint64_t)c + 1, INT64_MIN,
                                           INT64_MAX, count_audit, &s->audits));
    assert_ami_ok(ami_mdm_store_list_registers(
        st, (uint64_t)c + 1, INT64_MIN, INT64_MAX, count_reg_sz, &s->regs));
  }
  assert_ami_ok(ami_mdm_store_list_events(st, 1, INT64_MIN, INT64_MAX,
                                          count_ev_sz, &s->evs));
}

/* Field by field (struct padding is not compared). */
static void same_snap(const snap *a, const snap *b) {
  for (int c = 0; c < 2; c++)
    for (int k = 0; k < 192; k++) {
      assert_true(ami_mdm_block_same(&a->raw[c][k], &b->raw[c][k]));
      assert_true(ami_mdm_block_same(&a->cur[c][k], &b->cur[c][k]));
    }
  assert_int_equal(a->audits, b->audits);
  assert_int_equal(a->regs, b->regs);
  assert_int_equal(a->evs, b->evs);
}

/* The in-memory engine under a failing allocator: a script of every kind of
 * call, with the i-th allocation failing for i = 0, 1, ...; each call either
 * succeeds or returns AMI_E_NOMEM with nothing observable changed, and
 * nothing leaks. The run where nothing fails ends the sweep. */
static void test_mem_failing_allocator(void **state) {
  (void)state;
  for (long fail = 0;; fail++) {
    ami_test_failalloc fa;
    ami_test_failalloc_init(&fa, fail);
    ami_mdm_store st;
    int rc = ami_mdm_store_mem_open(&fa.base, &st);
    if (rc == AMI_E_NOMEM) {
      assert_int_equal(fa.live, 0);
      continue;
    }
    bool failed = false;
    for (int step = 0; step < 9; step++) {
      snap before, after;
      if (step >= 2)
        take_snap(&st, &before);
      ami_mdm_raw_reading r[192];
      for (int k = 0; k < 192; k++)
        r[k] = (ami_mdm_raw_reading){(uint64_t)(k % 2) + 1,
                                     day0() + (k / 2 + 1) * 900, 1000 * k,
                                     AMI_MDM_Q_ACTUAL, 0};
      ami_mdm_edit e = {1, 5, "user:x", "fix"};
      ami_mdm_edit_value ev[3] = {
          {day0() + 900, {7, AMI_MDM_Q_EDITED, 1, 0}},
          {day0() + 86400 + 900, {8, AMI_MDM_Q_ESTIMATED, 2, 0}},
          {day0() + 1800, {0, AMI_MDM_Q_MISSING, 0, 0}}};
      ami_mdm_register_read rr[2] = {{1, 10, 5, 0}, {2, 10, 6, 0}};
      ami_mdm_event evs[2] = {{1, 10, 3}, {1, 11, 4}};
      switch (step) {
      case 0:
      case 1: {
        ami_mdm_channel_info c = {
            (uint64_t)step + 1, 1,   AMI_MDM_DELTA, AMI_MDM_IMPORT,
            AMI_MDM_UNIT_WH,    900, 1000,          false};
        rc = ami_mdm_store_upsert_channel(&st, &c);
        break;
      }
      case 2:
        rc = ami_mdm_store_ingest(&st, r, 96, T_NOW, NULL);
        break;
      case 3: /* late, out of order, duplicates, a second day */
        for (int k = 0; k < 192; k++)
          r[k].value += k % 3 == 0 ? 1 : 0;
        rc = ami_mdm_store_ingest(&st, r, 192, T_NOW, NULL);
        break;
      case 4:
        rc = ami_mdm_store_write_version(&st, &e, ev, 3);
        break;
      case 5:
        rc = ami_mdm_store_put_registers(&st, rr, 2);
        break;
      case 6:
        rc = ami_mdm_store_put_events(&st, evs, 2);
        break;
      case 7: {
        ami_mdm_meter_info mi = {1, "X", 0};
        rc = ami_mdm_store_upsert_meter(&st, &mi);
        break;
      }
      default:
        rc = ami_mdm_store_write_version(&st, &e, ev, 2);
      }
      if (rc == AMI_E_NOMEM) {
        failed = true;
        if (step >= 2) {
          take_snap(&st, &after);
          same_snap(&before, &after);
        }
        break;
      }
      assert_ami_ok(rc);
    }
    ami_mdm_store_close(&st);
    assert_int_equal(fa.live, 0);
    if (!failed) {
      print_message("mem engine: %ld allocation failures injected, each "
                    "left the store unchanged\n",
                    fail);
      assert_true(fail > 20);
      break;
    }
  }
}

/* Audit rows copied for comparison (strings dropped, who's first letter
 * kept). */
typedef struct audit_list {
  ami_mdm_audit row[512];
  char who0[512];
  size_t n;
} audit_list;

static int keep_audit(void *ud, const ami_mdm_audit *a) {
  audit_list *l = ud;
  if (l->n < 512) {
    l->who0[l->n] = a->who[0];
    l->row[l->n] = *a;
    l->row[l->n].who = l->row[l->n].reason = NULL;
    l->n++;
  }
  return 0;
}

/* Differential: random ingests (late, out of order, duplicates, MISSING)
 * and edits applied to both engines; after every call the results, RAW,
 * CURRENT and the audit trail agree. */
static void test_engines_agree(void **state) {
  (void)state;
  char dir[] = "/tmp/ami_mdm_diff_XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[64];
  snprintf(path, sizeof path, "%s/d.db", dir);
  ami_mdm_store e[2];
  assert_ami_ok(ami_store_sqlite_open(path, NULL, NULL, &e[0]));
  assert_ami_ok(ami_mdm_store_mem_open(NULL, &e[1]));
  const uint32_t ivs[2] = {60, 1800}; /* the shortest interval, and NEM12's */
  for (int k = 0; k < 2; k++)
    for (uint64_t ch = 1; ch <= 2; ch++)
      add_channel(&e[k], ch, ivs[ch - 1]);
  srand(11);
  static ami_mdm_interval got[2][3 * 1440];
  static audit_list al[2];
  for (int op = 0; op < 150; op++) {
    uint64_t ch = 1 + (uint64_t)(rand() % 2);
    int64_t iv = ivs[ch - 1], slots = 3 * 86400 / iv;
    int rc[2];
    if (rand() % 4) {
      ami_mdm_raw_reading r[40];
      size_t n = 1 + (size_t)(rand() % 40);
      for (size_t i = 0; i < n; i++)
        r[i] = (ami_mdm_raw_reading){
            ch, day0() + (1 + rand() % slots) * iv, (rand() % 4) * 1000,
            rand() % 8 ? AMI_MDM_Q_ACTUAL : AMI_MDM_Q_MISSING, 0};
      if (rand() % 20 == 0) /* now and then a bad reading: refused whole */
        r[n - 1].t += 1;
      ami_mdm_ingest_result res[2];
      for (int k = 0; k < 2; k++)
        rc[k] = ami_mdm_store_ingest(&e[k], r, n, T_NOW + op, &res[k]);
      assert_memory_equal(&res[0], &res[1], sizeof res[0]);
    } else {
      ami_mdm_edit ed = {ch, T_NOW + op, op % 2 ? "vee" : "user", "r"};
      ami_mdm_edit_value v[6];
      size_t n = 1 + (size_t)(rand() % 6);
      for (size_t i = 0; i < n; i++)
        v[i] = (ami_mdm_edit_value){day0() + (1 + rand() % slots) * iv,
                                    {(rand() % 3) * 500, (uint8_t)(rand() % 5),
                                     (uint8_t)(rand() % 2), 0}};
      for (int k = 0; k < 2; k++)
        rc[k] = ami_mdm_store_write_version(&e[k], &ed, v, n);
    }
    assert_int_equal(rc[0], rc[1]);
    for (uint64_t c = 1; c <= 2; c++) {
      size_t cnt = (size_t)(3 * 86400 / ivs[c - 1]), n;
      for (int sel = 0; sel < 2; sel++) {
        for (int k = 0; k < 2; k++)
          assert_ami_ok(ami_mdm_store_read(&e[k], c, day0(), day0() + 3 * 86400,
                                           (ami_mdm_version_sel)sel, got[k],
                                           cnt, &n));
        for (size_t i = 0; i < cnt; i++)
          assert_true(ami_mdm_block_same(&got[0][i], &got[1][i]));
      }
      for (int k = 0; k < 2; k++) {
        al[k].n = 0;
        assert_ami_ok(ami_mdm_store_list_audit(&e[k], c, INT64_MIN, INT64_MAX,
                                               keep_audit, &al[k]));
      }
      assert_int_equal(al[0].n, al[1].n);
      for (size_t i = 0; i < al[0].n; i++) {
        const ami_mdm_audit *a = &al[0].row[i], *b = &al[1].row[i];
        assert_int_equal(a->t, b->t);
        assert_int_equal(a->version, b->version);
        assert_int_equal(a->at, b->at);
        assert_int_equal(al[0].who0[i], al[1].who0[i]);
        assert_true(ami_mdm_block_same(&a->old_v, &b->old_v));
        assert_true(ami_mdm_block_same(&a->new_v, &b->new_v));
      }
    }
  }
  for (int k = 0; k < 2; k++)
    ami_mdm_store_close(&e[k]);
  char p2[96];
  static const char *const sfx[] = {"", "-wal", "-shm"};
  for (int i = 0; i < 3; i++) {
    snprintf(p2, sizeof p2, "%s%s", path, sfx[i]);
    unlink(p2);
  }
  rmdir(dir);
}

/* The kill test. A child ingests batches (4 channels x one day of 96
 * quarter hours; batch b is day b, value b * 1000000 + channel * 1000 +
 * slot) and writes each acknowledged batch number to a pipe; the parent
 * SIGKILLs it at a random moment, reopens the store and finds every
 * acknowledged batch complete and the next one all or nothing. */
#define KILL_CH 4

static void kill_child(const char *path, int fd, ami_store_sqlite_sync sync) {
  ami_store_sqlite_opts o;
  ami_store_sqlite_opts_init(&o);
  o.sync = sync;
  ami_mdm_store st;
  if (ami_store_sqlite_open(path, &o, NULL, &st) != AMI_OK)
    _exit(2);
  static ami_mdm_raw_reading r[KILL_CH * 96];
  for (uint32_t b = 0;; b++) {
    for (int c = 0; c < KILL_CH; c++)
      for (int k = 0; k < 96; k++)
        r[c * 96 + k] = (ami_mdm_raw_reading){
            (uint64_t)c + 1, day0() + (int64_t)b * 86400 + (k + 1) * 900,
            (int64_t)b * 1000000 + c * 1000 + k, AMI_MDM_Q_ACTUAL, 0};
    if (ami_mdm_store_ingest(&st, r, KILL_CH * 96, T_NOW, NULL) != AMI_OK)
      _exit(3);
    if (write(fd, &b, sizeof b) != sizeof b)
      _exit(4);
  }
}

/* Slots of batch b present in the store (0..KILL_CH*96), checking values. */
static int batch_present(ami_mdm_store *st, uint32_t b) {
  int present = 0;
  ami_mdm_interval v[96];
  size_t n;
  int64_t d = day0() + (int64_t)b * 86400;
  for (int c = 0; c < KILL_CH; c++) {
    assert_ami_ok(ami_mdm_store_read(st, (uint64_t)c + 1, d, d + 86400,
                                     AMI_MDM_RAW, v, 96, &n));
    for (int k = 0; k < 96; k++) {
      if (v[k].quality == AMI_MDM_Q_MISSING)
        continue;
      assert_int_equal(v[k].value, (int64_t)b * 1000000 + c * 1000 + k);
      present++;
    }
  }
  return present;
}

static void kill_once(fixture *f, ami_store_sqlite_sync sync, int round) {
  char path[128];
  snprintf(path, sizeof path, "%s/kill%d.db", f->dir, round);
  ami_mdm_store st;
  assert_ami_ok(ami_store_sqlite_open(path, NULL, NULL, &st));
  for (int c = 0; c < KILL_CH; c++)
    add_channel(&st, (uint64_t)c + 1, 900);
  ami_mdm_store_close(&st);
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    kill_child(path, fds[1], sync);
  }
  close(fds[1]);
  struct timespec ts = {0, (long)(20 + rand() % 280) * 1000000L};
  nanosleep(&ts, NULL);
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
  assert_true(WIFSIGNALED(status));
  uint32_t b, acked = 0;
  bool any = false;
  while (read(fds[0], &b, sizeof b) == sizeof b) {
    assert_int_equal(b, any ? acked + 1 : 0);
    acked = b;
    any = true;
  }
  close(fds[0]);
  assert_ami_ok(ami_store_sqlite_open(path, NULL, NULL, &st));
  uint32_t next = any ? acked + 1 : 0;
  for (uint32_t i = 0; i < next; i++)
    assert_int_equal(batch_present(&st, i), KILL_CH * 96);
  int p = batch_present(&st, next);
  assert_true(p == 0 || p == KILL_CH * 96);
  assert_int_equal(batch_present(&st, next + 1), 0);
  print_message("kill %s #%d: %u batches acknowledged, next %s\n",
                sync == AMI_STORE_SQLITE_SYNC_FULL ? "FULL" : "NORMAL", round,
                next, p ? "committed (ack lost with the pipe)" : "absent");
  ami_mdm_store_close(&st);
}

static void test_kill(void **state) {
  fixture *f = *state;
  srand((unsigned)time(NULL));
  for (int round = 0; round < 6; round++)
    kill_once(f,
              round % 2 ? AMI_STORE_SQLITE_SYNC_FULL
                        : AMI_STORE_SQLITE_SYNC_NORMAL,
              round);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_london_roundtrip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_out_of_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
      cmocka_unit_test_setup_teardown(test_versions_and_audit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_errors_atomic, setup, teardown),
      cmocka_unit_test_setup_teardown(test_utc_days, setup, teardown),
      cmocka_unit_test_setup_teardown(test_registers_events_meters, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_corrupt_block, setup, teardown),
      cmocka_unit_test_setup_teardown(test_store_full, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failing_allocator, setup, teardown),
      cmocka_unit_test_setup_teardown(test_kill, setup, teardown),
      /* the same data-model tests on the in-memory engine */
      cmocka_unit_test_setup_teardown(test_london_roundtrip, setup_mem,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_out_of_order, setup_mem, teardown),
      cmocka_unit_test_setup_teardown(test_duplicates, setup_mem, teardown),
      cmocka_unit_test_setup_teardown(test_versions_and_audit, setup_mem,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_errors_atomic, setup_mem, teardown),
      cmocka_unit_test_setup_teardown(test_utc_days, setup_mem, teardown),
      cmocka_unit_test_setup_teardown(test_registers_events_meters, setup_mem,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_mem_failing_allocator, setup_mem,
                                      teardown),
      cmocka_unit_test(test_engines_agree),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
