/*
 * cmd_mdm_import.c -- `ami mdm import`: interval data files (generic CSV,
 * London LCL CSV, AEMO NEM12) into the store.
 *
 * Each file is parsed WHOLE into staging arrays first (ami_mdm_import.h),
 * so a malformed line stops the file before anything of it is written:
 * the message names file:line:column and the exit status is 1. Then the
 * channels are created (ids: mdm_cli.h), the readings ingested in batches
 * of BATCH (each batch one transaction; ingest is idempotent, so importing
 * the same file again changes nothing and says so), NEM12 register reads
 * stored, and values whose file quality is not A (E, S, F, V) recorded as
 * a version over the raw value (who "ami mdm import"): raw data is always
 * ACTUAL or MISSING (ami_mdm_store.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ami/ami_err.h"
#include "ami/ami_mdm_import.h"
#include "ami_cli.h"
#include "mdm_cli.h"

#define BATCH 100000

typedef enum fmt { FMT_AUTO, FMT_CSV, FMT_LCL, FMT_NEM12 } fmt;

typedef struct import_opts {
  fmt format;
  bool progress;
  bool lenient;
  bool ts_start;
  long interval_min;
  const char *tz;
} import_opts;

/* INPUT "-" = stdin; *.gz through zcat; else the file (up to 4 GiB). */
static char *read_input(const char *path, size_t *len) {
  char *buf = ami_cli_read_input(path, (size_t)4 << 30, len);
  if (!buf)
    fprintf(stderr, "ami mdm import: %s: cannot read\n", path);
  return buf;
}

/* NEM12 when the first non-blank line is a 100 or 200 record, LCL when
 * the header starts with LCLid, else CSV. */
static fmt sniff(const char *p, size_t n) {
  size_t i = 0;
  while (i < n && (p[i] == '\n' || p[i] == '\r' || p[i] == ' '))
    i++;
  if (n - i >= 4 && (!strncmp(p + i, "100,", 4) || !strncmp(p + i, "200,", 4)))
    return FMT_NEM12;
  if (n - i >= 5 && !strncmp(p + i, "LCLid", 5))
    return FMT_LCL;
  return FMT_CSV;
}

/* Parses buf with staging arrays sized from the input, growing the series
 * array when it runs out. */
static int parse(const import_opts *io, fmt f, const char *buf, size_t len,
                 const ami_mdm_tz *tz, ami_mdm_import_out *o) {
  size_t lines = 1;
  for (size_t i = 0; i < len; i++)
    lines += buf[i] == '\n';
  memset(o, 0, sizeof *o);
  /* a NEM12 value takes at least its comma; a CSV line gives one row */
  o->rows_cap = f == FMT_NEM12 ? len + 16 : lines;
  o->reads_cap = f == FMT_NEM12 ? lines : 0;
  o->series_cap = lines < 1024 ? lines : 1024;
  o->rows = malloc(o->rows_cap * sizeof *o->rows);
  o->reads = malloc((o->reads_cap + 1) * sizeof *o->reads);
  for (;;) {
    o->series = malloc(o->series_cap * sizeof *o->series);
    if (!o->rows || !o->reads || !o->series)
      return AMI_E_NOMEM;
    int rc;
    if (f == FMT_NEM12) {
      ami_mdm_nem12_opts no;
      ami_mdm_nem12_opts_default(&no);
      no.lenient = io->lenient;
      rc = ami_mdm_import_nem12(&no, (const uint8_t *)buf, len, o);
    } else {
      ami_mdm_csv_opts co;
      if (f == FMT_LCL) {
        ami_mdm_csv_opts_lcl(&co);
      } else {
        ami_mdm_csv_opts_default(&co);
        co.tz = tz;
        co.ts_is_start = io->ts_start;
        co.interval_s = (uint32_t)io->interval_min * 60;
      }
      rc = ami_mdm_import_csv(&co, (const uint8_t *)buf, len, o);
    }
    if (rc != AMI_E_BUFFER_FULL || o->series_cap >= lines)
      return rc;
    free(o->series);
    o->series_cap *= 4;
    if (o->series_cap > lines)
      o->series_cap = lines;
  }
}

/* The string key of series s into key (mdm_cli.h). */
static void series_key(fmt f, const ami_mdm_import_series *s, char *key,
                       size_t cap) {
  int n = (int)(s->id.len < 200 ? s->id.len : 200);
  if (f == FMT_NEM12)
    snprintf(key, cap, "%.*s/%.*s", n, (const char *)s->id.p,
             (int)(s->suffix.len < 40 ? s->suffix.len : 40),
             (const char *)s->suffix.p);
  else
    snprintf(key, cap, "%.*s", n, (const char *)s->id.p);
}

/* Creates the channels of the file that the store lacks; refuses a series
 * whose interval differs from its existing channel. ids[i] receives the
 * channel of series i. */
static int make_channels(ami_mdm_store *st, sqlite3 *db, fmt f,
                         const ami_mdm_import_out *o, uint64_t *ids,
                         size_t *created, const char *path) {
  sqlite3_stmt *q = NULL;
  if (sqlite3_prepare_v2(db,
                         "INSERT OR IGNORE INTO cli_channel_name VALUES "
                         "(?1, ?2)",
                         -1, &q, NULL) != SQLITE_OK)
    return -1;
  int rc = 0;
  /* check first, create after: a refused file creates nothing */
  for (int pass = 0; pass < 2 && rc == 0; pass++) {
    for (size_t i = 0; i < o->n_series && rc == 0; i++) {
      const ami_mdm_import_series *s = &o->series[i];
      char key[256];
      series_key(f, s, key, sizeof key);
      ids[i] = ami_mdm_cli_key_id(key, strlen(key));
      ami_mdm_channel_info c;
      int g = ami_mdm_store_get_channel(st, ids[i], &c);
      if (pass == 0) {
        if (g == AMI_OK && c.interval_s != s->interval_s) {
          fprintf(stderr,
                  "ami mdm import: %s: channel %s has %u s intervals in the "
                  "store, %u s in the file: nothing imported\n",
                  path, key, c.interval_s, s->interval_s);
          rc = -1;
        }
        continue;
      }
      if (g == AMI_OK)
        continue;
      uint64_t meter = ids[i];
      ami_mdm_meter_info m = {0};
      if (f == FMT_NEM12) {
        meter = ami_mdm_cli_key_id((const char *)s->id.p, s->id.len);
        snprintf(m.serial, sizeof m.serial, "%.*s",
                 (int)(s->id.len < 47 ? s->id.len : 47), (const char *)s->id.p);
      } else {
        snprintf(m.serial, sizeof m.serial, "%.47s", key);
      }
      m.meter_id = meter;
      bool export_ =
          f == FMT_NEM12 && s->suffix.len > 0 && s->suffix.p[0] == 'B';
      ami_mdm_channel_info nc = {
          ids[i],        meter,
          AMI_MDM_DELTA, export_ ? AMI_MDM_EXPORT : AMI_MDM_IMPORT,
          s->unit,       s->interval_s,
          1000,          false};
      int e = ami_mdm_store_upsert_meter(st, &m);
      if (e == AMI_OK)
        e = ami_mdm_store_upsert_channel(st, &nc);
      if (e != AMI_OK) {
        fprintf(stderr, "ami mdm import: %s: channel %s: %s\n", path, key,
                ami_strerror(e));
        rc = -1;
        break;
      }
      sqlite3_bind_int64(q, 1, (sqlite3_int64)ids[i]);
      sqlite3_bind_text(q, 2, key, -1, SQLITE_TRANSIENT);
      sqlite3_step(q);
      sqlite3_reset(q);
      (*created)++;
    }
  }
  sqlite3_finalize(q);
  return rc;
}

/* Non-A file qualities as versions over raw, one call per run of a
 * channel. Returns the number of values offered, or -1. */
static long write_file_quality(ami_mdm_store *st, const ami_mdm_import_out *o,
                               const uint64_t *ids, const char *path) {
  ami_mdm_edit_value *v = malloc(BATCH * sizeof *v);
  char why[300];
  snprintf(why, sizeof why, "quality as delivered in %s", path);
  long offered = 0;
  size_t n = 0;
  uint32_t series = 0;
  int rc = v ? AMI_OK : AMI_E_NOMEM;
  for (size_t i = 0; rc == AMI_OK && i <= o->n_rows; i++) {
    const ami_mdm_import_row *r = i < o->n_rows ? &o->rows[i] : NULL;
    bool flush = n > 0 && (!r || r->series != series || n == BATCH);
    if (flush) {
      ami_mdm_edit e = {ids[series], (int64_t)time(NULL), "ami mdm import",
                        why};
      rc = ami_mdm_store_write_version(st, &e, v, n);
      offered += (long)n;
      n = 0;
    }
    if (!r)
      break;
    uint8_t q = r->r.v.quality;
    if (q == AMI_MDM_Q_ACTUAL || q == AMI_MDM_Q_MISSING)
      continue;
    series = r->series;
    v[n++] = (ami_mdm_edit_value){r->r.t, r->r.v};
  }
  free(v);
  if (rc != AMI_OK) {
    fprintf(stderr, "ami mdm import: %s: recording file qualities: %s\n", path,
            ami_strerror(rc));
    return -1;
  }
  return offered;
}

/* Ingests the staged rows in batches with progress. */
static int ingest_rows(ami_mdm_store *st, const ami_mdm_import_out *o,
                       const uint64_t *ids, ami_mdm_progress *pg,
                       ami_mdm_ingest_result *tot, const char *path) {
  ami_mdm_raw_reading *b = malloc(BATCH * sizeof *b);
  if (!b)
    return AMI_E_NOMEM;
  int rc = AMI_OK;
  int64_t now = (int64_t)time(NULL);
  for (size_t i = 0; i < o->n_rows && rc == AMI_OK; i += BATCH) {
    size_t n = o->n_rows - i < BATCH ? o->n_rows - i : BATCH;
    for (size_t k = 0; k < n; k++) {
      const ami_mdm_import_row *r = &o->rows[i + k];
      bool missing = r->r.v.quality == AMI_MDM_Q_MISSING;
      b[k] = (ami_mdm_raw_reading){
          ids[r->series], r->r.t, missing ? 0 : r->r.v.value,
          missing ? AMI_MDM_Q_MISSING : AMI_MDM_Q_ACTUAL, r->r.v.flags};
    }
    ami_mdm_ingest_result res;
    rc = ami_mdm_store_ingest(st, b, n, now, &res);
    if (rc == AMI_OK) {
      tot->stored += res.stored;
      tot->unchanged += res.unchanged;
      tot->duplicates += res.duplicates;
      tot->late += res.late;
      ami_mdm_progress_add(pg, n);
    }
  }
  free(b);
  if (rc != AMI_OK)
    fprintf(stderr,
            "ami mdm import: %s: %s (batches before this one are stored; "
            "importing the file again completes it)\n",
            path, ami_strerror(rc));
  return rc;
}

static void free_out(ami_mdm_import_out *o) {
  free(o->series);
  free(o->rows);
  free(o->reads);
}

/* One file: parse, then apply. 0, or 1 with a message. */
static int import_file(ami_mdm_store *st, sqlite3 *db, const import_opts *io,
                       const ami_mdm_tz *tz, const char *path,
                       ami_mdm_progress *pg) {
  size_t len = 0;
  char *buf = read_input(path, &len);
  if (!buf)
    return 1;
  fmt f = io->format == FMT_AUTO ? sniff(buf, len) : io->format;
  import_opts fo = *io;
  size_t s0 = 0;
  while (s0 < len && (buf[s0] == '\n' || buf[s0] == '\r'))
    s0++;
  if (f == FMT_NEM12 && !io->lenient &&
      (len - s0 < 4 || strncmp(buf + s0, "100,", 4) != 0)) {
    /* portal exports without the 100 header: read leniently, and say so */
    fo.lenient = true;
    fprintf(stderr,
            "%s: NEM12 without a 100 header record: read "
            "leniently\n",
            path);
  }
  ami_mdm_import_out o;
  int rc = parse(&fo, f, buf, len, tz, &o);
  if (rc != AMI_OK) {
    if (rc == AMI_E_NOMEM)
      fprintf(stderr, "ami mdm import: %s: out of memory\n", path);
    else
      fprintf(stderr,
              "%s:%u:%u: %s (field %u): %s; nothing of this file imported\n",
              path, o.err.line, o.err.column, o.err.what ? o.err.what : "?",
              o.err.field, ami_strerror(rc));
    free_out(&o);
    free(buf);
    return 1;
  }
  uint64_t *ids = malloc((o.n_series + 1) * sizeof *ids);
  size_t created = 0;
  ami_mdm_ingest_result tot = {0};
  long versions = 0;
  rc = ids ? make_channels(st, db, f, &o, ids, &created, path) : -1;
  if (rc == 0)
    rc = ingest_rows(st, &o, ids, pg, &tot, path) == AMI_OK ? 0 : -1;
  if (rc == 0 && o.n_reads > 0) {
    for (size_t i = 0; i < o.n_reads; i++)
      o.reads[i].channel_id = ids[o.reads[i].channel_id];
    int e = ami_mdm_store_put_registers(st, o.reads, o.n_reads);
    if (e != AMI_OK) {
      fprintf(stderr, "ami mdm import: %s: register reads: %s\n", path,
              ami_strerror(e));
      rc = -1;
    }
  }
  if (rc == 0)
    versions = write_file_quality(st, &o, ids, path);
  if (rc == 0 && versions >= 0) {
    static const char *const names[] = {"?", "csv", "lcl", "nem12"};
    char a[40], u[40];
    ami_mdm_cli_count(tot.stored, a, sizeof a);
    ami_mdm_cli_count(tot.unchanged, u, sizeof u);
    printf("%s (%s): %zu series (%zu new channels), %zu readings: stored %s, "
           "unchanged %s, differing duplicates %zu, late %zu; %zu register "
           "reads; %ld values with a non-A file quality\n",
           path, names[f], o.n_series, created, o.n_rows, a, u, tot.duplicates,
           tot.late, o.n_reads, versions);
    if (tot.stored == 0 && tot.duplicates == 0 && created == 0)
      printf("%s: nothing changed (already imported)\n", path);
  }
  free(ids);
  free_out(&o);
  free(buf);
  return rc == 0 && versions >= 0 ? 0 : 1;
}

static void import_usage(FILE *f) {
  fputs("usage: ami mdm import --db FILE [--format csv|lcl|nem12] "
        "[--progress]\n"
        "       [--interval MIN] [--ts-start] [--tz ZONE] [--lenient] "
        "INPUT...\n"
        "\n"
        "Imports interval data into the store (created when absent).\n"
        "  --format      default: NEM12 if the file starts with a 100/200\n"
        "                record, LCL if its header starts with LCLid, else "
        "CSV\n"
        "  CSV           id,timestamp,value[,quality]; value in kWh\n"
        "  --interval    CSV interval length in minutes (default 30)\n"
        "  --ts-start    CSV timestamps name the interval START (default "
        "END)\n"
        "  --tz ZONE     zone of CSV timestamps without an offset (default "
        "utc)\n"
        "  --lenient     NEM12 without 100/900 records or with blank lines\n"
        "  --progress    progress on stderr even when it is not a terminal\n"
        "INPUT \"-\" is stdin; a .gz file is read through zcat. A malformed "
        "line\nstops its file before anything of it is stored (exit 1).\n",
        f);
}

int ami_mdm_cmd_import(int argc, char **argv) {
  import_opts io = {FMT_AUTO, false, false, false, 30, NULL};
  const char *db_path = NULL;
  int first_input = argc;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      import_usage(stdout);
      return 0;
    } else if (!strcmp(a, "--progress")) {
      io.progress = true;
    } else if (!strcmp(a, "--lenient")) {
      io.lenient = true;
    } else if (!strcmp(a, "--ts-start")) {
      io.ts_start = true;
    } else if (v && !strcmp(a, "--db")) {
      db_path = v, i++;
    } else if (v && !strcmp(a, "--tz")) {
      io.tz = v, i++;
    } else if (v && !strcmp(a, "--interval") &&
               !ami_cli_parse_long(v, 1, 1440, &io.interval_min)) {
      i++;
    } else if (v && !strcmp(a, "--format")) {
      io.format = !strcmp(v, "csv")     ? FMT_CSV
                  : !strcmp(v, "lcl")   ? FMT_LCL
                  : !strcmp(v, "nem12") ? FMT_NEM12
                                        : FMT_AUTO;
      if (io.format == FMT_AUTO) {
        fprintf(stderr, "ami mdm import: unknown format '%s'\n", v);
        return 2;
      }
      i++;
    } else if (a[0] != '-' || !strcmp(a, "-")) {
      first_input = i;
      break;
    } else {
      fprintf(stderr, "ami mdm import: bad option or value '%s'\n\n", a);
      import_usage(stderr);
      return 2;
    }
  }
  if (!db_path || first_input >= argc) {
    import_usage(stderr);
    return 2;
  }
  ami_mdm_tz tz = {.kind = AMI_MDM_TZ_FIXED};
  if (io.tz && ami_mdm_cli_tz(io.tz, &tz) != 0)
    return 2;
  ami_mdm_store st;
  if (ami_mdm_cli_open(db_path, true, &st) != 0)
    return 1;
  sqlite3 *db = ami_mdm_cli_db(db_path);
  if (!db) {
    ami_mdm_store_close(&st);
    return 1;
  }
  ami_mdm_progress pg;
  ami_mdm_progress_start(&pg, io.progress, "imported");
  int rc = 0;
  for (int i = first_input; i < argc && rc == 0; i++)
    rc = import_file(&st, db, &io, &tz, argv[i], &pg);
  ami_mdm_progress_end(&pg);
  sqlite3_close(db);
  ami_mdm_store_close(&st);
  return rc;
}
