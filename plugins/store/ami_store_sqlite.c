/*
 * ami_store_sqlite.c -- the MDM store on SQLite (ami_store_sqlite.h): the
 * schema, the prepared statements, and the read-modify-write of channel-day
 * blocks that makes ingest idempotent and lets late data merge in place.
 *
 * Tables:
 *   meter(meter_id PK, serial, installed_t)
 *   channel(channel_id PK, meter_id, kind, direction, unit, interval_s,
 *           multiplier_milli, net_metered)
 *   block(channel_id, day, version, data) WITHOUT ROWID, PK the triple;
 *         day = floor(interval start / 86400) in UTC, version 0 = raw,
 *         1.. = overlays written by write_version (only the slots changed;
 *         the rest ABSENT)
 *   audit(id PK, channel_id, t, version, at, who, reason, old_*, new_*)
 *         + index (channel_id, t, version)
 *   register_read(channel_id, t, value, quality) WITHOUT ROWID
 *   event(meter_id, t, code) WITHOUT ROWID
 */
#include "ami/ami_store_sqlite.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_mdm_block.h"

#define SLOTS AMI_MDM_BLOCK_MAX_SLOTS

enum {
  ST_CHANNEL_GET,
  ST_CHANNEL_PUT,
  ST_CHANNEL_HAS_DATA,
  ST_METER_PUT,
  ST_DAY_ROWS,
  ST_BLOCK_PUT,
  ST_RANGE_RAW,
  ST_RANGE_ALL,
  ST_AUDIT_PUT,
  ST_AUDIT_DUP,
  ST_AUDIT_LIST,
  ST_REG_PUT,
  ST_REG_LIST,
  ST_EVENT_PUT,
  ST_EVENT_LIST,
  ST_BEGIN,
  ST_COMMIT,
  ST_ROLLBACK,
  ST_COUNT
};

static const char *const sql_text[ST_COUNT] = {
    [ST_CHANNEL_GET] = "SELECT meter_id, kind, direction, unit, interval_s, "
                       "multiplier_milli, net_metered FROM channel "
                       "WHERE channel_id = ?1",
    [ST_CHANNEL_PUT] = "INSERT OR REPLACE INTO channel VALUES "
                       "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_CHANNEL_HAS_DATA] = "SELECT 1 FROM block WHERE channel_id = ?1 "
                            "LIMIT 1",
    [ST_METER_PUT] = "INSERT OR REPLACE INTO meter VALUES (?1, ?2, ?3)",
    [ST_DAY_ROWS] = "SELECT version, data FROM block WHERE channel_id = ?1 "
                    "AND day = ?2 ORDER BY version",
    [ST_BLOCK_PUT] = "INSERT OR REPLACE INTO block VALUES (?1, ?2, ?3, ?4)",
    [ST_RANGE_RAW] = "SELECT day, version, data FROM block WHERE "
                     "channel_id = ?1 AND day BETWEEN ?2 AND ?3 AND "
                     "version = 0 ORDER BY day",
    [ST_RANGE_ALL] = "SELECT day, version, data FROM block WHERE "
                     "channel_id = ?1 AND day BETWEEN ?2 AND ?3 "
                     "ORDER BY day, version",
    [ST_AUDIT_PUT] = "INSERT INTO audit (channel_id, t, version, at, who, "
                     "reason, old_value, old_quality, old_method, old_flags, "
                     "new_value, new_quality, new_method, new_flags) VALUES "
                     "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                     "?13, ?14)",
    [ST_AUDIT_DUP] = "SELECT 1 FROM audit WHERE channel_id = ?1 AND t = ?2 "
                     "AND version = 0 AND new_value = ?3 LIMIT 1",
    [ST_AUDIT_LIST] = "SELECT channel_id, t, version, at, who, reason, "
                      "old_value, old_quality, old_method, old_flags, "
                      "new_value, new_quality, new_method, new_flags "
                      "FROM audit WHERE channel_id = ?1 AND t > ?2 AND "
                      "t <= ?3 ORDER BY t, version, id",
    [ST_REG_PUT] = "INSERT OR IGNORE INTO register_read VALUES "
                   "(?1, ?2, ?3, ?4)",
    [ST_REG_LIST] = "SELECT t, value, quality FROM register_read WHERE "
                    "channel_id = ?1 AND t >= ?2 AND t < ?3 ORDER BY t",
    [ST_EVENT_PUT] = "INSERT OR IGNORE INTO event VALUES (?1, ?2, ?3)",
    [ST_EVENT_LIST] = "SELECT t, code FROM event WHERE meter_id = ?1 AND "
                      "t >= ?2 AND t < ?3 ORDER BY t, code",
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meter(meter_id INTEGER PRIMARY KEY, "
    "serial TEXT NOT NULL, installed_t INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS channel(channel_id INTEGER PRIMARY KEY, "
    "meter_id INTEGER NOT NULL, kind INTEGER NOT NULL, direction INTEGER NOT "
    "NULL, unit INTEGER NOT NULL, interval_s INTEGER NOT NULL, "
    "multiplier_milli INTEGER NOT NULL, net_metered INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS block(channel_id INTEGER NOT NULL, day "
    "INTEGER NOT NULL, version INTEGER NOT NULL, data BLOB NOT NULL, "
    "PRIMARY KEY(channel_id, day, version)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS audit(id INTEGER PRIMARY KEY, channel_id "
    "INTEGER NOT NULL, t INTEGER NOT NULL, version INTEGER NOT NULL, at "
    "INTEGER NOT NULL, who TEXT NOT NULL, reason TEXT NOT NULL, old_value "
    "INTEGER, old_quality INTEGER, old_method INTEGER, old_flags INTEGER, "
    "new_value INTEGER, new_quality INTEGER, new_method INTEGER, new_flags "
    "INTEGER);"
    "CREATE INDEX IF NOT EXISTS audit_slot ON audit(channel_id, t, version);"
    "CREATE TABLE IF NOT EXISTS register_read(channel_id INTEGER NOT NULL, t "
    "INTEGER NOT NULL, value INTEGER NOT NULL, quality INTEGER NOT NULL, "
    "PRIMARY KEY(channel_id, t)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS event(meter_id INTEGER NOT NULL, t INTEGER "
    "NOT NULL, code INTEGER NOT NULL, PRIMARY KEY(meter_id, t, code)) "
    "WITHOUT ROWID;";

/* One ingest/edit item in application order (ami_mdm_key). */
typedef ami_mdm_key item;

typedef struct sq {
  sqlite3 *db;
  sqlite3_stmt *st[ST_COUNT];
  const ami_allocator *alloc;
  /* the last channel looked up (ingest and reads hit one channel often) */
  uint64_t cache_id;
  uint32_t cache_iv;
  bool cache_ok;
  /* scratch for one channel-day: raw slots, the composed CURRENT, one
   * decoded overlay, the overlay being built, slots a version covers, and
   * the encode buffer */
  ami_mdm_interval raw[SLOTS], cur[SLOTS], tmp[SLOTS], over[SLOTS];
  uint8_t covered[SLOTS];
  uint8_t enc[AMI_MDM_BLOCK_MAX_BYTES(SLOTS)];
} sq;

/* Maps a SQLite result code to an ami_err in the storage range. */
static int map_rc(int rc) {
  switch (rc & 0xff) {
  case SQLITE_OK:
  case SQLITE_DONE:
  case SQLITE_ROW:
    return AMI_OK;
  case SQLITE_NOMEM:
    return AMI_E_NOMEM;
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return AMI_E_STORE_BUSY;
  case SQLITE_FULL:
    return AMI_E_STORE_FULL;
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
    return AMI_E_STORE_CORRUPT;
  case SQLITE_IOERR:
  case SQLITE_CANTOPEN:
  case SQLITE_READONLY:
    return AMI_E_IO;
  default:
    return AMI_E_STORE;
  }
}

/* Runs a statement that returns no rows, then resets it. */
static int run(sq *s, int which) {
  sqlite3_stmt *st = s->st[which];
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? AMI_OK : map_rc(rc);
}

/* The interval of a channel, from the one-entry cache or the table. */
static int channel_iv(sq *s, uint64_t id, uint32_t *iv) {
  if (s->cache_ok && s->cache_id == id) {
    *iv = s->cache_iv;
    return AMI_OK;
  }
  sqlite3_stmt *st = s->st[ST_CHANNEL_GET];
  sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
  int rc = sqlite3_step(st);
  int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 4) : 0;
  sqlite3_reset(st);
  if (rc == SQLITE_DONE)
    return AMI_E_STORE_NO_CHANNEL;
  if (rc != SQLITE_ROW)
    return map_rc(rc);
  if (v < 60 || v > 86400 || 86400 % v != 0)
    return AMI_E_STORE_CORRUPT;
  s->cache_id = id;
  s->cache_iv = (uint32_t)v;
  s->cache_ok = true;
  *iv = (uint32_t)v;
  return AMI_OK;
}

static void fill_absent(ami_mdm_interval *v, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    v[i] = (ami_mdm_interval){0, AMI_MDM_BLOCK_ABSENT, 0, 0};
}

/* Decodes a stored blob into out[0..n), checking it has the channel's
 * shape. A block that does not decode is AMI_E_STORE_CORRUPT. */
static int decode_blob(sqlite3_stmt *st, int col, uint32_t iv, uint32_t n,
                       ami_mdm_interval *out) {
  const void *p = sqlite3_column_blob(st, col);
  size_t len = (size_t)sqlite3_column_bytes(st, col);
  ami_mdm_block_hdr h;
  int rc = ami_mdm_block_decode(ami_span_make(p, len), &h, out, n);
  if (rc == AMI_E_STORE_FORMAT)
    return rc;
  if (rc != AMI_OK || h.interval_s != iv || h.count != n)
    return AMI_E_STORE_CORRUPT;
  return AMI_OK;
}

/* Loads every version of one channel-day: s->raw gets version 0 (all
 * ABSENT when there is none), s->cur the composition of all versions,
 * s->covered marks slots some later version sets, *max_version the highest
 * version present (0 when none or only raw). */
static int load_day(sq *s, uint64_t ch, int64_t day, uint32_t iv,
                    uint32_t *max_version) {
  uint32_t n = 86400 / iv;
  fill_absent(s->raw, n);
  memset(s->covered, 0, n);
  *max_version = 0;
  sqlite3_stmt *st = s->st[ST_DAY_ROWS];
  sqlite3_bind_int64(st, 1, (sqlite3_int64)ch);
  sqlite3_bind_int64(st, 2, day);
  int rc, err = AMI_OK;
  bool first = true;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t ver = sqlite3_column_int64(st, 0);
    if (ver < 0 || ver > UINT32_MAX) {
      err = AMI_E_STORE_CORRUPT;
      break;
    }
    if (ver == 0) {
      if ((err = decode_blob(st, 1, iv, n, s->raw)) != AMI_OK)
        break;
      continue;
    }
    if (first) {
      memcpy(s->cur, s->raw, n * sizeof s->cur[0]);
      first = false;
    }
    if ((err = decode_blob(st, 1, iv, n, s->tmp)) != AMI_OK)
      break;
    for (uint32_t k = 0; k < n; k++)
      if (s->tmp[k].quality != AMI_MDM_BLOCK_ABSENT) {
        s->cur[k] = s->tmp[k];
        s->covered[k] = 1;
      }
    *max_version = (uint32_t)ver;
  }
  if (err == AMI_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
    err = map_rc(rc);
  sqlite3_reset(st);
  if (err == AMI_OK && first)
    memcpy(s->cur, s->raw, n * sizeof s->cur[0]);
  return err;
}

/* Encodes slots v[0..86400/iv) and writes them as (ch, day, version). */
static int put_block(sq *s, uint64_t ch, int64_t day, uint32_t version,
                     uint32_t iv, const ami_mdm_interval *v) {
  ami_wr w;
  ami_wr_init(&w, s->enc, sizeof s->enc);
  int rc = ami_mdm_block_encode(&w, iv, v, 86400 / iv);
  if (rc != AMI_OK)
    return rc;
  sqlite3_stmt *st = s->st[ST_BLOCK_PUT];
  sqlite3_bind_int64(st, 1, (sqlite3_int64)ch);
  sqlite3_bind_int64(st, 2, day);
  sqlite3_bind_int64(st, 3, version);
  sqlite3_bind_blob(st, 4, s->enc, (int)w.len, SQLITE_STATIC);
  return run(s, ST_BLOCK_PUT);
}

/* Appends one audit row. A MISSING/ABSENT old value is recorded as MISSING
 * with a NULL value. */
static int put_audit(sq *s, uint64_t ch, int64_t t, uint32_t version,
                     int64_t at, const char *who, const char *reason,
                     ami_mdm_interval o, ami_mdm_interval nv) {
  sqlite3_stmt *st = s->st[ST_AUDIT_PUT];
  if (o.quality == AMI_MDM_BLOCK_ABSENT)
    o = (ami_mdm_interval){0, AMI_MDM_Q_MISSING, 0, 0};
  sqlite3_bind_int64(st, 1, (sqlite3_int64)ch);
  sqlite3_bind_int64(st, 2, t);
  sqlite3_bind_int64(st, 3, version);
  sqlite3_bind_int64(st, 4, at);
  sqlite3_bind_text(st, 5, who, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 6, reason, -1, SQLITE_TRANSIENT);
  if (o.quality == AMI_MDM_Q_MISSING)
    sqlite3_bind_null(st, 7);
  else
    sqlite3_bind_int64(st, 7, o.value);
  sqlite3_bind_int(st, 8, o.quality);
  sqlite3_bind_int(st, 9, o.method);
  sqlite3_bind_int(st, 10, o.flags);
  if (nv.quality == AMI_MDM_Q_MISSING)
    sqlite3_bind_null(st, 11);
  else
    sqlite3_bind_int64(st, 11, nv.value);
  sqlite3_bind_int(st, 12, nv.quality);
  sqlite3_bind_int(st, 13, nv.method);
  sqlite3_bind_int(st, 14, nv.flags);
  return run(s, ST_AUDIT_PUT);
}

static int begin(sq *s) {
  return run(s, ST_BEGIN);
}

/* Commits, or rolls back and returns `err` when the work failed. */
static int finish(sq *s, int err) {
  if (err == AMI_OK) {
    err = run(s, ST_COMMIT);
    if (err == AMI_OK)
      return AMI_OK;
  }
  if (!sqlite3_get_autocommit(s->db))
    run(s, ST_ROLLBACK);
  s->cache_ok = false; /* a rolled-back upsert may have been cached */
  return err;
}

/* Merges one received reading into raw slot k (ami_mdm_merge_raw) and
 * audits a differing duplicate once. Returns AMI_OK or a storage error. */
static int merge_one(sq *s, uint64_t ch, int64_t t, uint32_t k,
                     const ami_mdm_raw_reading *r, int64_t now, bool *dirty,
                     ami_mdm_ingest_result *res) {
  ami_mdm_interval *o = &s->raw[k];
  bool changed;
  ami_mdm_merge m = ami_mdm_merge_raw(o, r, s->covered[k], &changed);
  *dirty = *dirty || changed;
  if (m == AMI_MDM_MERGE_STORED) {
    res->stored++;
    res->late += s->covered[k];
    return AMI_OK;
  }
  if (m == AMI_MDM_MERGE_UNCHANGED) {
    res->unchanged++;
    return AMI_OK;
  }
  res->duplicates++;
  sqlite3_stmt *st = s->st[ST_AUDIT_DUP];
  sqlite3_bind_int64(st, 1, (sqlite3_int64)ch);
  sqlite3_bind_int64(st, 2, t);
  sqlite3_bind_int64(st, 3, r->value);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_ROW)
    return AMI_OK; /* this same differing value was audited before */
  if (rc != SQLITE_DONE)
    return map_rc(rc);
  ami_mdm_interval nv = {r->value, r->quality, 0, r->flags};
  return put_audit(s, ch, t, 0, now, "ingest", "differing duplicate", *o, nv);
}

/* The body of an ingest, inside its transaction: one channel-day group at a
 * time, read-modify-write of the raw block. */
static int ingest_sorted(sq *s, const ami_mdm_raw_reading *r, const item *it,
                         size_t n, int64_t now, ami_mdm_ingest_result *res) {
  size_t i = 0;
  while (i < n) {
    uint64_t ch = it[i].channel_id;
    uint32_t iv;
    int rc = channel_iv(s, ch, &iv);
    if (rc != AMI_OK)
      return rc;
    int64_t day, day2;
    uint32_t k, maxv;
    if ((rc = ami_mdm_check_time(it[i].t, iv)) != AMI_OK)
      return rc;
    ami_mdm_day_slot(it[i].t, iv, &day, &k);
    if ((rc = load_day(s, ch, day, iv, &maxv)) != AMI_OK)
      return rc;
    bool dirty = false;
    for (; i < n && it[i].channel_id == ch; i++) {
      const ami_mdm_raw_reading *x = &r[it[i].i];
      if ((rc = ami_mdm_check_time(x->t, iv)) != AMI_OK)
        return rc;
      if (x->quality != AMI_MDM_Q_ACTUAL && x->quality != AMI_MDM_Q_MISSING)
        return AMI_E_INVAL;
      ami_mdm_day_slot(x->t, iv, &day2, &k);
      if (day2 != day)
        break;
      if ((rc = merge_one(s, ch, x->t, k, x, now, &dirty, res)) != AMI_OK)
        return rc;
    }
    if (dirty && (rc = put_block(s, ch, day, 0, iv, s->raw)) != AMI_OK)
      return rc;
  }
  return AMI_OK;
}

static int sq_ingest(void *self, const ami_mdm_raw_reading *r, size_t n,
                     int64_t now, ami_mdm_ingest_result *res) {
  sq *s = self;
  ami_mdm_ingest_result local;
  if (!res)
    res = &local;
  memset(res, 0, sizeof *res);
  if (n == 0)
    return AMI_OK;
  if (!r)
    return AMI_E_INVAL;
  item *it = ami_mdm_keys_new(s->alloc, n);
  if (!it)
    return AMI_E_NOMEM;
  for (size_t i = 0; i < n; i++)
    it[i] = (item){r[i].channel_id, r[i].t, i};
  ami_mdm_keys_sort(it, n);
  int rc = begin(s);
  if (rc == AMI_OK)
    rc = finish(s, ingest_sorted(s, r, it, n, now, res));
  ami_free(s->alloc, it);
  if (rc != AMI_OK)
    memset(res, 0, sizeof *res);
  return rc;
}

static int sq_read(void *self, uint64_t ch, int64_t t0, int64_t t1,
                   ami_mdm_version_sel sel, ami_mdm_interval *out, size_t cap,
                   size_t *nout) {
  sq *s = self;
  uint32_t iv;
  *nout = 0;
  if (sel != AMI_MDM_RAW && sel != AMI_MDM_CURRENT)
    return AMI_E_INVAL;
  int rc = channel_iv(s, ch, &iv);
  if (rc != AMI_OK)
    return rc;
  uint64_t count;
  if ((rc = ami_mdm_read_prepare(sel, iv, t0, t1, out, cap, &count)) != AMI_OK)
    return rc;
  *nout = (size_t)count;
  if (count == 0)
    return AMI_OK;
  int64_t day0, day1; /* the blocks of the first and last interval */
  uint32_t k;
  ami_mdm_day_slot(t0 + (int64_t)iv, iv, &day0, &k);
  ami_mdm_day_slot(t1, iv, &day1, &k);
  sqlite3_stmt *st = s->st[sel == AMI_MDM_RAW ? ST_RANGE_RAW : ST_RANGE_ALL];
  sqlite3_bind_int64(st, 1, (sqlite3_int64)ch);
  sqlite3_bind_int64(st, 2, day0);
  sqlite3_bind_int64(st, 3, day1);
  uint32_t n = 86400 / iv;
  int err = AMI_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t day = sqlite3_column_int64(st, 0);
    int64_t ver = sqlite3_column_int64(st, 1);
    if ((err = decode_blob(st, 2, iv, n, s->tmp)) != AMI_OK)
      break;
    ami_mdm_place_day(s->tmp, day, iv, t0, t1, ver > 0, out);
  }
  if (err == AMI_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
    err = map_rc(rc);
  sqlite3_reset(st);
  if (err != AMI_OK)
    *nout = 0;
  return err;
}

/* The body of write_version, inside its transaction. */
static int edit_sorted(sq *s, const ami_mdm_edit *e,
                       const ami_mdm_edit_value *v, const item *it, size_t n) {
  uint32_t iv;
  int rc = channel_iv(s, e->channel_id, &iv);
  if (rc != AMI_OK)
    return rc;
  size_t i = 0;
  while (i < n) {
    int64_t day, day2;
    uint32_t k, maxv;
    if ((rc = ami_mdm_check_time(it[i].t, iv)) != AMI_OK)
      return rc;
    ami_mdm_day_slot(it[i].t, iv, &day, &k);
    if ((rc = load_day(s, e->channel_id, day, iv, &maxv)) != AMI_OK)
      return rc;
    uint32_t version = maxv + 1, nslots = 86400 / iv;
    fill_absent(s->over, nslots);
    bool changed = false;
    for (; i < n; i++) {
      const ami_mdm_edit_value *x = &v[it[i].i];
      if ((rc = ami_mdm_check_time(x->t, iv)) != AMI_OK)
        return rc;
      if (x->v.quality > AMI_MDM_Q_VALIDATION_FAILED)
        return AMI_E_INVAL;
      ami_mdm_day_slot(x->t, iv, &day2, &k);
      if (day2 != day)
        break;
      ami_mdm_interval nv = x->v;
      if (nv.quality == AMI_MDM_Q_MISSING)
        nv.value = 0;
      ami_mdm_interval old = s->cur[k];
      if (ami_mdm_block_same(&old, &nv))
        continue;
      if ((rc = put_audit(s, e->channel_id, x->t, version, e->at, e->who,
                          e->reason, old, nv)) != AMI_OK)
        return rc;
      s->over[k] = nv;
      s->cur[k] = nv;
      changed = true;
    }
    if (changed &&
        (rc = put_block(s, e->channel_id, day, version, iv, s->over)) != AMI_OK)
      return rc;
  }
  return AMI_OK;
}

static int sq_write_version(void *self, const ami_mdm_edit *e,
                            const ami_mdm_edit_value *v, size_t n) {
  sq *s = self;
  if (!e || !e->who || !e->reason || (n && !v))
    return AMI_E_INVAL;
  if (n == 0)
    return AMI_OK;
  /* Items keyed by (channel, t): the channel is the edit's, so key on t. */
  item *it = ami_mdm_keys_new(s->alloc, n);
  if (!it)
    return AMI_E_NOMEM;
  for (size_t i = 0; i < n; i++)
    it[i] = (item){e->channel_id, v[i].t, i};
  ami_mdm_keys_sort(it, n);
  int rc = begin(s);
  if (rc == AMI_OK)
    rc = finish(s, edit_sorted(s, e, v, it, n));
  ami_free(s->alloc, it);
  return rc;
}

static int sq_list_audit(void *self, uint64_t ch, int64_t t0, int64_t t1,
                         ami_mdm_audit_cb cb, void *ud) {
  sq *s = self;
  sqlite3_stmt *st = s->st[ST_AUDIT_LIST];
  sqlite3_bind_int64(st, 1, (sqlite3_int64)ch);
  sqlite3_bind_int64(st, 2, t0);
  sqlite3_bind_int64(st, 3, t1);
  int rc, ret = AMI_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    ami_mdm_audit a;
    a.channel_id = (uint64_t)sqlite3_column_int64(st, 0);
    a.t = sqlite3_column_int64(st, 1);
    a.version = (uint32_t)sqlite3_column_int64(st, 2);
    a.at = sqlite3_column_int64(st, 3);
    a.who = (const char *)sqlite3_column_text(st, 4);
    a.reason = (const char *)sqlite3_column_text(st, 5);
    a.old_v.value = sqlite3_column_int64(st, 6);
    a.old_v.quality = (uint8_t)sqlite3_column_int(st, 7);
    a.old_v.method = (uint8_t)sqlite3_column_int(st, 8);
    a.old_v.flags = (uint16_t)sqlite3_column_int(st, 9);
    a.new_v.value = sqlite3_column_int64(st, 10);
    a.new_v.quality = (uint8_t)sqlite3_column_int(st, 11);
    a.new_v.method = (uint8_t)sqlite3_column_int(st, 12);
    a.new_v.flags = (uint16_t)sqlite3_column_int(st, 13);
    if (!a.who || !a.reason) {
      ret = AMI_E_NOMEM;
      break;
    }
    if ((ret = cb(ud, &a)) != 0)
      break;
  }
  if (ret == AMI_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
    ret = map_rc(rc);
  sqlite3_reset(st);
  return ret;
}

static int sq_upsert_meter(void *self, const ami_mdm_meter_info *m) {
  sq *s = self;
  if (!m || !memchr(m->serial, 0, sizeof m->serial))
    return AMI_E_INVAL;
  sqlite3_stmt *st = s->st[ST_METER_PUT];
  sqlite3_bind_int64(st, 1, (sqlite3_int64)m->meter_id);
  sqlite3_bind_text(st, 2, m->serial, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 3, m->installed_t);
  return run(s, ST_METER_PUT);
}

static int sq_upsert_channel(void *self, const ami_mdm_channel_info *c) {
  sq *s = self;
  if (!c || c->interval_s < 60 || c->interval_s > 86400 ||
      86400 % c->interval_s != 0)
    return AMI_E_INVAL;
  int rc = begin(s);
  if (rc != AMI_OK)
    return rc;
  uint32_t iv;
  rc = channel_iv(s, c->channel_id, &iv);
  if (rc == AMI_OK && iv != c->interval_s) {
    sqlite3_stmt *st = s->st[ST_CHANNEL_HAS_DATA];
    sqlite3_bind_int64(st, 1, (sqlite3_int64)c->channel_id);
    int r2 = sqlite3_step(st);
    sqlite3_reset(st);
    rc = r2 == SQLITE_ROW    ? AMI_E_STORE_CHANNEL_CHANGED
         : r2 == SQLITE_DONE ? AMI_OK
                             : map_rc(r2);
  } else if (rc == AMI_E_STORE_NO_CHANNEL) {
    rc = AMI_OK;
  }
  if (rc == AMI_OK) {
    sqlite3_stmt *st = s->st[ST_CHANNEL_PUT];
    sqlite3_bind_int64(st, 1, (sqlite3_int64)c->channel_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)c->meter_id);
    sqlite3_bind_int(st, 3, (int)c->kind);
    sqlite3_bind_int(st, 4, (int)c->direction);
    sqlite3_bind_int(st, 5, (int)c->unit);
    sqlite3_bind_int64(st, 6, c->interval_s);
    sqlite3_bind_int(st, 7, c->multiplier_milli);
    sqlite3_bind_int(st, 8, c->net_metered);
    rc = run(s, ST_CHANNEL_PUT);
  }
  s->cache_ok = false;
  return finish(s, rc);
}

static int sq_get_channel(void *self, uint64_t id, ami_mdm_channel_info *out) {
  sq *s = self;
  sqlite3_stmt *st = s->st[ST_CHANNEL_GET];
  sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    out->channel_id = id;
    out->meter_id = (uint64_t)sqlite3_column_int64(st, 0);
    out->kind = (ami_mdm_reading_kind)sqlite3_column_int(st, 1);
    out->direction = (ami_mdm_direction)sqlite3_column_int(st, 2);
    out->unit = (ami_mdm_unit)sqlite3_column_int(st, 3);
    out->interval_s = (uint32_t)sqlite3_column_int64(st, 4);
    out->multiplier_milli = sqlite3_column_int(st, 5);
    out->net_metered = sqlite3_column_int(st, 6) != 0;
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW    ? AMI_OK
         : rc == SQLITE_DONE ? AMI_E_STORE_NO_CHANNEL
                             : map_rc(rc);
}

static int sq_put_registers(void *self, const ami_mdm_register_read *r,
                            size_t n) {
  sq *s = self;
  int rc = begin(s);
  if (rc != AMI_OK)
    return rc;
  sqlite3_stmt *st = s->st[ST_REG_PUT];
  for (size_t i = 0; i < n && rc == AMI_OK; i++) {
    uint32_t iv;
    if ((rc = channel_iv(s, r[i].channel_id, &iv)) != AMI_OK)
      break;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)r[i].channel_id);
    sqlite3_bind_int64(st, 2, r[i].t);
    sqlite3_bind_int64(st, 3, r[i].value);
    sqlite3_bind_int(st, 4, r[i].quality);
    rc = run(s, ST_REG_PUT);
  }
  return finish(s, rc);
}

static int sq_list_registers(void *self, uint64_t ch, int64_t t0, int64_t t1,
                             ami_mdm_register_cb cb, void *ud) {
  sq *s = self;
  sqlite3_stmt *st = s->st[ST_REG_LIST];
  sqlite3_bind_int64(st, 1, (sqlite3_int64)ch);
  sqlite3_bind_int64(st, 2, t0);
  sqlite3_bind_int64(st, 3, t1);
  int rc, ret = AMI_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    ami_mdm_register_read r = {ch, sqlite3_column_int64(st, 0),
                               sqlite3_column_int64(st, 1),
                               (uint8_t)sqlite3_column_int(st, 2)};
    if ((ret = cb(ud, &r)) != 0)
      break;
  }
  if (ret == AMI_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
    ret = map_rc(rc);
  sqlite3_reset(st);
  return ret;
}

static int sq_put_events(void *self, const ami_mdm_event *e, size_t n) {
  sq *s = self;
  int rc = begin(s);
  if (rc != AMI_OK)
    return rc;
  sqlite3_stmt *st = s->st[ST_EVENT_PUT];
  for (size_t i = 0; i < n && rc == AMI_OK; i++) {
    sqlite3_bind_int64(st, 1, (sqlite3_int64)e[i].meter_id);
    sqlite3_bind_int64(st, 2, e[i].t);
    sqlite3_bind_int(st, 3, e[i].code);
    rc = run(s, ST_EVENT_PUT);
  }
  return finish(s, rc);
}

static int sq_list_events(void *self, uint64_t meter, int64_t t0, int64_t t1,
                          ami_mdm_event_cb cb, void *ud) {
  sq *s = self;
  sqlite3_stmt *st = s->st[ST_EVENT_LIST];
  sqlite3_bind_int64(st, 1, (sqlite3_int64)meter);
  sqlite3_bind_int64(st, 2, t0);
  sqlite3_bind_int64(st, 3, t1);
  int rc, ret = AMI_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    ami_mdm_event e = {meter, sqlite3_column_int64(st, 0),
                       (uint16_t)sqlite3_column_int(st, 1)};
    if ((ret = cb(ud, &e)) != 0)
      break;
  }
  if (ret == AMI_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
    ret = map_rc(rc);
  sqlite3_reset(st);
  return ret;
}

static void sq_close(void *self) {
  sq *s = self;
  if (!s)
    return;
  for (int i = 0; i < ST_COUNT; i++)
    sqlite3_finalize(s->st[i]);
  sqlite3_close(s->db);
  ami_free(s->alloc, s);
}

static const ami_mdm_store_vtbl sqlite_vtbl = {
    AMI_MDM_STORE_ABI, sq_close,         sq_upsert_meter,   sq_upsert_channel,
    sq_get_channel,    sq_ingest,        sq_read,           sq_write_version,
    sq_list_audit,     sq_put_registers, sq_list_registers, sq_put_events,
    sq_list_events,
};

void ami_store_sqlite_opts_init(ami_store_sqlite_opts *o) {
  o->sync = AMI_STORE_SQLITE_SYNC_FULL;
  o->cache_kib = 0;
  o->max_bytes = 0;
}

/* Opens the database, sets the journal and sync mode, creates the schema
 * and prepares every statement. */
static int sq_setup(sq *s, const char *path, const ami_store_sqlite_opts *o) {
  int rc = sqlite3_open_v2(
      path, &s->db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    return rc == SQLITE_NOMEM ? AMI_E_NOMEM : AMI_E_IO;
  sqlite3_extended_result_codes(s->db, 1);
  sqlite3_busy_timeout(s->db, 5000);
  char pragmas[256];
  int kib = o->cache_kib > 0 ? o->cache_kib : 16384;
  /* A quota in pages of the default 4 KiB (at least the schema's pages). */
  long long pages = o->max_bytes > 0 ? o->max_bytes / 4096 : 1073741823;
  if (pages < 16)
    pages = 16;
  /* Built from integers and constants only: no outside text in the SQL. */
  snprintf(pragmas, sizeof pragmas,
           "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; "
           "PRAGMA cache_size=-%d; PRAGMA max_page_count=%lld;",
           o->sync == AMI_STORE_SQLITE_SYNC_NORMAL ? "NORMAL" : "FULL", kib,
           pages);
  if ((rc = sqlite3_exec(s->db, pragmas, NULL, NULL, NULL)) != SQLITE_OK)
    return map_rc(rc) == AMI_E_STORE_CORRUPT ? AMI_E_IO : map_rc(rc);
  if ((rc = sqlite3_exec(s->db, schema, NULL, NULL, NULL)) != SQLITE_OK)
    return map_rc(rc);
  for (int i = 0; i < ST_COUNT; i++) {
    rc = sqlite3_prepare_v3(s->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT,
                            &s->st[i], NULL);
    if (rc != SQLITE_OK)
      return map_rc(rc);
  }
  return AMI_OK;
}

int ami_store_sqlite_open(const char *path, const ami_store_sqlite_opts *opts,
                          const ami_allocator *alloc, ami_mdm_store *out) {
  ami_store_sqlite_opts def;
  if (!path || !out)
    return AMI_E_INVAL;
  out->vt = NULL;
  out->self = NULL;
  if (!opts) {
    ami_store_sqlite_opts_init(&def);
    opts = &def;
  }
  sq *s = ami_malloc(alloc, sizeof *s);
  if (!s)
    return AMI_E_NOMEM;
  memset(s, 0, sizeof *s);
  s->alloc = alloc;
  int rc = sq_setup(s, path, opts);
  if (rc != AMI_OK) {
    sq_close(s);
    return rc;
  }
  out->vt = &sqlite_vtbl;
  out->self = s;
  return AMI_OK;
}

int ami_store_sqlite_checkpoint(ami_mdm_store *st) {
  if (!st || st->vt != &sqlite_vtbl)
    return AMI_E_INVAL;
  sq *s = st->self;
  int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
                                     NULL, NULL);
  return map_rc(rc);
}
