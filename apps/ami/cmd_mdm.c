/*
 * cmd_mdm.c -- `ami mdm`: meter data management on the embedded SQLite
 * store (plugins/store, ami_store_sqlite.h). This file dispatches the
 * subcommands and holds what they share (store opening, channel ids,
 * dates, money, progress) plus `info` (`analyze` is in cmd_mdm_analyze.c);
 * import is in cmd_mdm_import.c, vee/bill/export in cmd_mdm_vee.c.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ami/ami_caltime.h"
#include "ami/ami_err.h"
#include "ami/ami_mdm_block.h"
#include "ami/ami_store_sqlite.h"
#include "ami_cli.h"
#include "mdm_cli.h"

/* ---- shared helpers --------------------------------------------------- */

uint64_t ami_mdm_cli_key_id(const char *key, size_t len) {
  const uint64_t top = (uint64_t)1 << 62;
  uint64_t v = 0;
  bool digits = len > 0 && len <= 19;
  for (size_t i = 0; digits && i < len; i++) {
    if (key[i] < '0' || key[i] > '9')
      digits = false;
    else
      v = v * 10 + (uint64_t)(key[i] - '0');
  }
  if (digits && v < top)
    return v;
  uint64_t h = 0xcbf29ce484222325u; /* FNV-1a 64 */
  for (size_t i = 0; i < len; i++) {
    h ^= (uint8_t)key[i];
    h *= 0x100000001b3u;
  }
  return top + h % top;
}

int ami_mdm_cli_open(const char *path, bool create, ami_mdm_store *st) {
  if (!create && access(path, F_OK) != 0) {
    fprintf(stderr,
            "ami mdm: %s: no such store (create one with "
            "`ami mdm import`)\n",
            path);
    return -1;
  }
  ami_store_sqlite_opts o;
  ami_store_sqlite_opts_init(&o);
  o.cache_kib = 64 * 1024;
  int rc = ami_store_sqlite_open(path, &o, NULL, st);
  if (rc != AMI_OK) {
    fprintf(stderr, "ami mdm: %s: %s\n", path, ami_strerror(rc));
    return -1;
  }
  return 0;
}

sqlite3 *ami_mdm_cli_db(const char *path) {
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
      sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
      sqlite3_exec(db,
                   "CREATE TABLE IF NOT EXISTS cli_channel_name(channel_id "
                   "INTEGER PRIMARY KEY, name TEXT NOT NULL)",
                   NULL, NULL, NULL) != SQLITE_OK) {
    fprintf(stderr, "ami mdm: %s: %s\n", path,
            db ? sqlite3_errmsg(db) : "cannot open");
    sqlite3_close(db);
    return NULL;
  }
  return db;
}

int ami_mdm_cli_channel(ami_mdm_store *st, const char *arg, uint64_t *id,
                        ami_mdm_channel_info *info) {
  /* a number as `ami mdm info` prints it, else a key (mdm_cli.h) */
  uint64_t v = 0;
  size_t len = strlen(arg), i = 0;
  for (; i < len && i < 20 && arg[i] >= '0' && arg[i] <= '9'; i++)
    v = v * 10 + (uint64_t)(arg[i] - '0');
  int rc = AMI_E_STORE_NO_CHANNEL;
  if (len > 0 && i == len && len < 20) {
    *id = v;
    rc = ami_mdm_store_get_channel(st, *id, info);
  }
  if (rc == AMI_E_STORE_NO_CHANNEL) {
    *id = ami_mdm_cli_key_id(arg, len);
    rc = ami_mdm_store_get_channel(st, *id, info);
  }
  if (rc != AMI_OK) {
    fprintf(stderr, "ami mdm: channel '%s': %s\n", arg,
            rc == AMI_E_STORE_NO_CHANNEL ? "not in the store"
                                         : ami_strerror(rc));
    return -1;
  }
  return 0;
}

int ami_mdm_cli_targets(ami_mdm_store *st, sqlite3 *db,
                        const ami_mdm_cli_opts_t *o, uint64_t **ids,
                        uint64_t *one, size_t *n) {
  *ids = NULL;
  *n = 0;
  if (!db)
    return -1;
  if (o->channel) {
    ami_mdm_channel_info c;
    *n = 1;
    return ami_mdm_cli_channel(st, o->channel, one, &c);
  }
  return ami_mdm_cli_channels(db, ids, n);
}

int ami_mdm_cli_channels(sqlite3 *db, uint64_t **ids, size_t *n) {
  sqlite3_stmt *q = NULL;
  size_t cap = 64;
  *n = 0;
  *ids = malloc(cap * sizeof **ids);
  if (!*ids || sqlite3_prepare_v2(db,
                                  "SELECT channel_id FROM channel ORDER BY "
                                  "channel_id",
                                  -1, &q, NULL) != SQLITE_OK) {
    free(*ids);
    *ids = NULL;
    return -1;
  }
  while (sqlite3_step(q) == SQLITE_ROW) {
    if (*n == cap) {
      uint64_t *g = realloc(*ids, 2 * cap * sizeof *g);
      if (!g)
        break;
      *ids = g, cap *= 2;
    }
    (*ids)[(*n)++] = (uint64_t)sqlite3_column_int64(q, 0);
  }
  sqlite3_finalize(q);
  return 0;
}

/* Decodes one raw block row and reports its first/last slot with a value
 * and the number of such slots. */
static int block_scan(const void *blob, int len, int64_t day, int64_t *first,
                      int64_t *last, uint64_t *count) {
  static ami_mdm_interval v[AMI_MDM_BLOCK_MAX_SLOTS];
  ami_mdm_block_hdr h;
  if (!blob || len <= 0 ||
      ami_mdm_block_decode(ami_span_make(blob, (size_t)len), &h, v,
                           AMI_MDM_BLOCK_MAX_SLOTS) != AMI_OK)
    return -1;
  for (uint32_t i = 0; i < h.count; i++) {
    if (v[i].quality == AMI_MDM_Q_MISSING ||
        v[i].quality == AMI_MDM_BLOCK_ABSENT)
      continue;
    int64_t t = day * 86400 + (int64_t)(i + 1) * h.interval_s;
    if (*first == 0 || t < *first)
      *first = t;
    if (t > *last)
      *last = t;
    (*count)++;
  }
  return 0;
}

int ami_mdm_cli_span(sqlite3 *db, uint64_t ch, uint32_t interval_s,
                     int64_t *first, int64_t *last) {
  (void)interval_s;
  sqlite3_stmt *q = NULL;
  *first = *last = 0;
  /* the first and last raw day blocks hold the span's ends */
  if (sqlite3_prepare_v2(db,
                         "SELECT day, data FROM block WHERE channel_id = ?1 "
                         "AND version = 0 AND (day = (SELECT min(day) FROM "
                         "block WHERE channel_id = ?1 AND version = 0) OR "
                         "day = (SELECT max(day) FROM block WHERE channel_id "
                         "= ?1 AND version = 0))",
                         -1, &q, NULL) != SQLITE_OK)
    return -1;
  sqlite3_bind_int64(q, 1, (sqlite3_int64)ch);
  uint64_t cnt = 0;
  bool empty_end = false;
  while (sqlite3_step(q) == SQLITE_ROW) {
    uint64_t before = cnt;
    block_scan(sqlite3_column_blob(q, 1), sqlite3_column_bytes(q, 1),
               sqlite3_column_int64(q, 0), first, last, &cnt);
    empty_end |= cnt == before;
  }
  sqlite3_finalize(q);
  if (!empty_end)
    return 0;
  /* an end block holds no value (all MISSING): scan every raw block */
  q = NULL;
  if (sqlite3_prepare_v2(db,
                         "SELECT day, data FROM block WHERE channel_id = ?1 "
                         "AND version = 0",
                         -1, &q, NULL) != SQLITE_OK)
    return -1;
  sqlite3_bind_int64(q, 1, (sqlite3_int64)ch);
  *first = *last = 0;
  while (sqlite3_step(q) == SQLITE_ROW)
    block_scan(sqlite3_column_blob(q, 1), sqlite3_column_bytes(q, 1),
               sqlite3_column_int64(q, 0), first, last, &cnt);
  sqlite3_finalize(q);
  return 0;
}

int ami_mdm_cli_date(const char *s, int64_t *out) {
  int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
  long secs;
  if (!ami_cli_parse_long(s, 0, 0x7FFFFFFFFFL, &secs) && strlen(s) > 8) {
    *out = secs;
    return 0;
  }
  if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || mo < 1 || mo > 12 ||
      d < 1 || d > (int)ami_days_in_month(y, (unsigned)mo))
    return -1;
  const char *p = s + n;
  if (*p == 'T' || *p == ' ') {
    int k = 0;
    if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &k) != 2)
      return -1;
    p += 1 + k;
    if (*p == ':') {
      if (sscanf(p + 1, "%2d%n", &se, &k) != 1)
        return -1;
      p += 1 + k;
    }
    if (*p == 'Z')
      p++;
    if (h > 24 || mi > 59 || se > 59)
      return -1;
  }
  if (*p)
    return -1;
  *out = ami_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
         mi * 60 + se;
  return 0;
}

void ami_mdm_cli_iso(int64_t t, char *buf, size_t cap) {
  int64_t day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
  int64_t s = t - day * 86400;
  int32_t y;
  unsigned m, d;
  ami_civil_from_days(day, &y, &m, &d);
  snprintf(buf, cap, "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, m, d,
           (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
}

int ami_mdm_cli_tz(const char *name, ami_mdm_tz *out) {
  static const struct {
    const char *name;
    ami_mdm_tz tz;
  } zones[] = {
      {"utc", {.kind = AMI_MDM_TZ_FIXED}},
      {"london", {.kind = AMI_MDM_TZ_EU}},
      {"paris", {.kind = AMI_MDM_TZ_EU, .std_offset_s = 3600}},
      {"new-york", {.kind = AMI_MDM_TZ_US, .std_offset_s = -18000}},
      {"sydney", {.kind = AMI_MDM_TZ_AU_SOUTH, .std_offset_s = 36000}},
      {"brisbane", {.kind = AMI_MDM_TZ_FIXED, .std_offset_s = 36000}},
  };
  for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
    if (!strcmp(name, zones[i].name)) {
      *out = zones[i].tz;
      return 0;
    }
  fprintf(stderr,
          "ami mdm: unknown zone '%s' (utc, london, paris, "
          "new-york, sydney, brisbane)\n",
          name);
  return -1;
}

void ami_mdm_cli_money(int64_t minor, char *buf, size_t cap) {
  uint64_t a = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
  snprintf(buf, cap, "%s%llu.%02llu", minor < 0 ? "-" : "",
           (unsigned long long)(a / 100), (unsigned long long)(a % 100));
}

void ami_mdm_cli_count(uint64_t n, char *buf, size_t cap) {
  char raw[32];
  int len = snprintf(raw, sizeof raw, "%llu", (unsigned long long)n);
  size_t o = 0;
  for (int i = 0; i < len && o + 2 < cap; i++) {
    if (i > 0 && (len - i) % 3 == 0)
      buf[o++] = ',';
    buf[o++] = raw[i];
  }
  buf[o] = '\0';
}

double ami_mdm_cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress_print(ami_mdm_progress *p, const char *end) {
  char c[40];
  double dt = ami_mdm_cli_now() - p->t0;
  ami_mdm_cli_count(p->done, c, sizeof c);
  double rate = dt > 0 ? (double)p->done / dt : 0;
  if (rate >= 1e6)
    fprintf(stderr, "\r%s %s readings (%.1f M/s)%s", p->verb, c, rate / 1e6,
            end);
  else
    fprintf(stderr, "\r%s %s readings (%.0f k/s)%s", p->verb, c, rate / 1e3,
            end);
  fflush(stderr);
}

void ami_mdm_progress_start(ami_mdm_progress *p, bool force, const char *verb) {
  p->on = force || isatty(2);
  p->t0 = p->last = ami_mdm_cli_now();
  p->done = 0;
  p->verb = verb;
}

void ami_mdm_progress_add(ami_mdm_progress *p, uint64_t n) {
  p->done += n;
  if (!p->on)
    return;
  double now = ami_mdm_cli_now();
  if (now - p->last >= 0.25) {
    p->last = now;
    progress_print(p, "");
  }
}

void ami_mdm_progress_end(ami_mdm_progress *p) {
  if (p->on && p->done > 0)
    progress_print(p, "\n");
}

/* ---- options and ranges shared by vee, bill, export ---- */

/* Options the three commands share. */

/* Parses the shared options; returns 0, or 2 after a message. */
int ami_mdm_cli_opts(const char *cmd, int argc, char **argv,
                     ami_mdm_cli_opts_t *o) {
  memset(o, 0, sizeof *o);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    const char **dst = NULL;
    if (!strcmp(a, "--all")) {
      o->all = true;
      continue;
    }
    if (!strcmp(a, "--json")) {
      o->json = true;
      continue;
    }
    if (v && (!strcmp(a, "--from") || !strcmp(a, "--to"))) {
      bool from = a[2] == 'f';
      if (ami_mdm_cli_date(v, from ? &o->from : &o->to) != 0) {
        fprintf(stderr, "ami mdm %s: bad date '%s'\n", cmd, v);
        return 2;
      }
      *(from ? &o->have_from : &o->have_to) = true;
      i++;
      continue;
    }
    if (!strcmp(a, "--db"))
      dst = &o->db;
    else if (!strcmp(a, "--channel"))
      dst = &o->channel;
    else if (!strcmp(a, "--tariff"))
      dst = &o->tariff;
    else if (!strcmp(a, "--out"))
      dst = &o->out;
    else if (!strcmp(a, "--format"))
      dst = &o->format;
    else if (!strcmp(a, "--tz"))
      dst = &o->tz;
    else if (!strcmp(a, "--class"))
      dst = &o->cls;
    if (!dst || !v) {
      fprintf(stderr,
              "ami mdm %s: bad option or value '%s' (see `ami mdm "
              "--help`)\n",
              cmd, a);
      return 2;
    }
    *dst = v;
    i++;
  }
  if (!o->db) {
    fprintf(stderr, "ami mdm %s: --db FILE is required\n", cmd);
    return 2;
  }
  if (o->have_from != o->have_to || (o->have_from && o->to <= o->from)) {
    fprintf(stderr, "ami mdm %s: give --from and --to, --from before --to\n",
            cmd);
    return 2;
  }
  return 0;
}

/* [from, to) on the channel's grid: the given range, or the span of its
 * raw data. -1 with a message when empty or off the grid. */
int ami_mdm_cli_range(sqlite3 *db, const ami_mdm_cli_opts_t *o,
                      const ami_mdm_channel_info *c, int64_t *t0, int64_t *t1) {
  int64_t iv = c->interval_s;
  if (o->have_from) {
    *t0 = o->from, *t1 = o->to;
  } else {
    int64_t first, last;
    ami_mdm_cli_span(db, c->channel_id, c->interval_s, &first, &last);
    if (first == 0)
      return 1; /* no data: nothing to do */
    *t0 = first - iv, *t1 = last;
  }
  if (*t0 % iv != 0 || *t1 % iv != 0) {
    fprintf(stderr,
            "ami mdm: --from/--to must lie on the channel's %lld s "
            "interval grid\n",
            (long long)iv);
    return -1;
  }
  if ((*t1 - *t0) / iv > ((int64_t)1 << 22) /* AMI_MDM_BILL_MAX_INTERVALS */) {
    fprintf(stderr, "ami mdm: range too long\n");
    return -1;
  }
  return 0;
}

/* Reads [t0, t1) of a channel into a malloc'd array (*n values). */
ami_mdm_interval *ami_mdm_cli_read(ami_mdm_store *st, uint64_t ch, int64_t t0,
                                   int64_t t1, uint32_t iv,
                                   ami_mdm_version_sel sel, size_t *n) {
  size_t cap = (size_t)((t1 - t0) / iv);
  ami_mdm_interval *v = malloc((cap ? cap : 1) * sizeof *v);
  if (!v)
    return NULL;
  int rc = ami_mdm_store_read(st, ch, t0, t1, sel, v, cap, n);
  if (rc != AMI_OK) {
    fprintf(stderr, "ami mdm: reading channel %llu: %s\n",
            (unsigned long long)ch, ami_strerror(rc));
    free(v);
    return NULL;
  }
  return v;
}

/* ---- info ------------------------------------------------------------- */

static long long fsize(const char *path, const char *suffix) {
  char p[1200];
  struct stat sb;
  snprintf(p, sizeof p, "%s%s", path, suffix);
  return stat(p, &sb) == 0 ? (long long)sb.st_size : 0;
}

static long long scalar(sqlite3 *db, const char *sql) {
  sqlite3_stmt *q = NULL;
  long long v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK &&
      sqlite3_step(q) == SQLITE_ROW)
    v = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  return v;
}

/* Per channel: id, name, interval, readings with a value, span; then the
 * totals and the bytes on disk (database + WAL). */
static int cmd_info(int argc, char **argv) {
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--db") && i + 1 < argc)
      path = argv[++i];
    else {
      fprintf(stderr, "usage: ami mdm info --db FILE\n");
      return 2;
    }
  }
  if (!path) {
    fprintf(stderr, "usage: ami mdm info --db FILE\n");
    return 2;
  }
  ami_mdm_store st;
  if (ami_mdm_cli_open(path, false, &st) != 0)
    return 1;
  sqlite3 *db = ami_mdm_cli_db(path);
  if (!db) {
    ami_mdm_store_close(&st);
    return 1;
  }
  sqlite3_stmt *q = NULL;
  sqlite3_prepare_v2(db,
                     "SELECT c.channel_id, c.meter_id, c.interval_s, "
                     "coalesce(n.name, ''), (SELECT count(*) FROM block b "
                     "WHERE b.channel_id = c.channel_id AND b.version > 0) "
                     "FROM channel c LEFT JOIN cli_channel_name n ON "
                     "n.channel_id = c.channel_id ORDER BY c.channel_id",
                     -1, &q, NULL);
  sqlite3_stmt *b = NULL;
  sqlite3_prepare_v2(db,
                     "SELECT day, data FROM block WHERE channel_id = ?1 AND "
                     "version = 0 ORDER BY day",
                     -1, &b, NULL);
  uint64_t total = 0;
  int64_t all_first = 0, all_last = 0;
  printf("meters:   %lld\nchannels: %lld\n",
         scalar(db, "SELECT count(*) FROM meter"),
         scalar(db, "SELECT count(*) FROM channel"));
  printf("%-20s %-20s %-24s %6s %10s %-20s %-20s %s\n", "channel", "meter",
         "name", "int_s", "readings", "first (end, UTC)", "last (end, UTC)",
         "versions");
  while (q && b && sqlite3_step(q) == SQLITE_ROW) {
    uint64_t ch = (uint64_t)sqlite3_column_int64(q, 0);
    int64_t first = 0, last = 0;
    uint64_t cnt = 0;
    sqlite3_bind_int64(b, 1, (sqlite3_int64)ch);
    while (sqlite3_step(b) == SQLITE_ROW)
      block_scan(sqlite3_column_blob(b, 1), sqlite3_column_bytes(b, 1),
                 sqlite3_column_int64(b, 0), &first, &last, &cnt);
    sqlite3_reset(b);
    char f[32] = "-", l[32] = "-";
    if (cnt) {
      ami_mdm_cli_iso(first, f, sizeof f);
      ami_mdm_cli_iso(last, l, sizeof l);
      if (all_first == 0 || first < all_first)
        all_first = first;
      if (last > all_last)
        all_last = last;
    }
    printf(
        "%-20llu %-20llu %-24s %6d %10llu %-20s %-20s %lld\n",
        (unsigned long long)ch, (unsigned long long)sqlite3_column_int64(q, 1),
        (const char *)sqlite3_column_text(q, 3), sqlite3_column_int(q, 2),
        (unsigned long long)cnt, f, l, (long long)sqlite3_column_int64(q, 4));
    total += cnt;
  }
  sqlite3_finalize(q);
  sqlite3_finalize(b);
  char c[40], f[32] = "-", l[32] = "-";
  ami_mdm_cli_count(total, c, sizeof c);
  if (total) {
    ami_mdm_cli_iso(all_first, f, sizeof f);
    ami_mdm_cli_iso(all_last, l, sizeof l);
  }
  printf("readings: %s (raw, with a value)\nspan:     %s .. %s (interval "
         "ends)\n",
         c, f, l);
  printf("register reads: %lld\naudit rows: %lld\n",
         scalar(db, "SELECT count(*) FROM register_read"),
         scalar(db, "SELECT count(*) FROM audit"));
  sqlite3_close(db);
  ami_mdm_store_close(&st); /* the last close checkpoints the WAL */
  ami_mdm_cli_count((uint64_t)(fsize(path, "") + fsize(path, "-wal")), c,
                    sizeof c);
  printf("bytes on disk: %s\n", c);
  return 0;
}

/* ---- dispatch ----------------------------------------------------------- */

static void mdm_usage(FILE *f) {
  fputs(
      "usage: ami mdm <command> --db FILE [options]\n"
      "\n"
      "Meter data management on an embedded SQLite store (one file).\n"
      "  import  --db FILE [--format csv|lcl|nem12] [--progress] INPUT...\n"
      "          interval data files (\"-\" = stdin, .gz read through zcat)\n"
      "  vee     --db FILE [--channel ID | --all] [--from DATE --to DATE]\n"
      "          [--class residential|net] [--tz ZONE]\n"
      "          validate and estimate; writes a new version\n"
      "  bill    --db FILE --tariff FILE.json --channel ID --from DATE\n"
      "          --to DATE [--json]   a bill from the CURRENT version\n"
      "  export  --db FILE --channel ID --from DATE --to DATE\n"
      "          --format greenbutton|csv [--out FILE] [--tz ZONE]\n"
      "  analyze --db FILE (--channel ID | --all) [--from D --to D] [--tz Z]\n"
      "          monthly aggregates, anomaly scores, outages, day-ahead\n"
      "          forecast with a 7-day backtest\n"
      "  info    --db FILE   meters, channels, readings, span, size\n"
      "\n"
      "Channel ids: a NEM12 stream is NMI/SUFFIX (\"6123456789/E1\"), an LCL\n"
      "stream its LCLid, a CSV stream its id column; ids of digits only are\n"
      "the channel number itself, others are hashed (see `ami mdm info`).\n"
      "DATE: YYYY-MM-DD[Thh:mm[:ss]] in UTC, or Unix seconds; --to is\n"
      "exclusive. ZONE: utc, london, paris, new-york, sydney, brisbane.\n",
      f);
}

int ami_cmd_mdm(int argc, char **argv) {
  if (argc < 2) {
    mdm_usage(stderr);
    return 2;
  }
  const char *c = argv[1];
  if (!strcmp(c, "import"))
    return ami_mdm_cmd_import(argc - 1, argv + 1);
  if (!strcmp(c, "vee"))
    return ami_mdm_cmd_vee(argc - 1, argv + 1);
  if (!strcmp(c, "bill"))
    return ami_mdm_cmd_bill(argc - 1, argv + 1);
  if (!strcmp(c, "export"))
    return ami_mdm_cmd_export(argc - 1, argv + 1);
  if (!strcmp(c, "info"))
    return cmd_info(argc - 1, argv + 1);
  if (!strcmp(c, "analyze"))
    return ami_mdm_cmd_analyze(argc - 1, argv + 1);
  if (!strcmp(c, "-h") || !strcmp(c, "--help") || !strcmp(c, "help")) {
    mdm_usage(stdout);
    return 0;
  }
  fprintf(stderr, "ami mdm: unknown command '%s'\n\n", c);
  mdm_usage(stderr);
  return 2;
}
