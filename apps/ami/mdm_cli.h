/*
 * mdm_cli.h -- internal declarations shared by the files of `ami mdm` (the
 * meter data management commands on the embedded SQLite store).
 *
 * CHANNEL IDS. Files name their data streams with strings; the store keys
 * channels by a uint64. The string key of a stream is:
 *   CSV    the id column as written ("42", "house-7");
 *   LCL    the LCLid ("MAC000002");
 *   NEM12  NMI "/" NMISuffix ("6123456789/E1").
 * A key of decimal digits below 2^62 IS the channel id ("42" -> 42); any
 * other key maps to 2^62 + (FNV-1a 64 of the key mod 2^62), so the two
 * ranges never meet and the mapping needs no table. The key is also kept in
 * the table cli_channel_name (channel_id, name) of the same file so that
 * `ami mdm info` can print it; --channel accepts either form. The meter of
 * a CSV/LCL stream has the channel's id (serial = the key); the meter of a
 * NEM12 stream is its NMI (same mapping, serial = the NMI).
 */
#ifndef AMI_MDM_CLI_H
#define AMI_MDM_CLI_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ami/ami_mdm_store.h"
#include "ami/ami_mdm_tz.h"

/* Subcommands (argv[0] is the subcommand name). */
int ami_mdm_cmd_import(int argc, char **argv);
int ami_mdm_cmd_vee(int argc, char **argv);
int ami_mdm_cmd_bill(int argc, char **argv);
int ami_mdm_cmd_export(int argc, char **argv);
int ami_mdm_cmd_analyze(int argc, char **argv);

/* The channel id of a string key (rules above). */
uint64_t ami_mdm_cli_key_id(const char *key, size_t len);

/* Opens the store in `path` (created when `create`; otherwise it must
 * exist). Prints a message and returns -1 on failure. */
int ami_mdm_cli_open(const char *path, bool create, ami_mdm_store *st);

/* A second, plain SQLite connection on the same file (names, listings). */
sqlite3 *ami_mdm_cli_db(const char *path);

/* Resolves --channel (a number or a key) to an existing channel: 0 and
 * *info filled, or -1 with a message. */
int ami_mdm_cli_channel(ami_mdm_store *st, const char *arg, uint64_t *id,
                        ami_mdm_channel_info *info);

/* Lists the channel ids of the store (sorted) into a malloc'd array. */
int ami_mdm_cli_channels(sqlite3 *db, uint64_t **ids, size_t *n);

/* The first and last interval END of the raw data of a channel (0, 0 when
 * none). */
int ami_mdm_cli_span(sqlite3 *db, uint64_t ch, uint32_t interval_s,
                     int64_t *first, int64_t *last);

/* "2026-01-31", "2026-01-31T10:30[:00][Z]" (UTC) or Unix seconds -> UTC
 * seconds; -1 on a bad date. */
int ami_mdm_cli_date(const char *s, int64_t *out);

/* "YYYY-MM-DDThh:mm:ssZ" of t into buf (at least 24 bytes). */
void ami_mdm_cli_iso(int64_t t, char *buf, size_t cap);

/* A named zone: utc, london, paris, new-york, sydney, brisbane (AEST, the
 * NEM market time). -1 when unknown. */
int ami_mdm_cli_tz(const char *name, ami_mdm_tz *out);

/* Minor units as money with two decimals ("-12.34"). */
void ami_mdm_cli_money(int64_t minor, char *buf, size_t cap);

/* Thousands separators: 1234567 -> "1,234,567". */
void ami_mdm_cli_count(uint64_t n, char *buf, size_t cap);

/* Progress on stderr (a TTY, or forced). */
typedef struct ami_mdm_progress {
  bool on;
  double t0, last;
  uint64_t done;
  const char *verb; /* "imported" */
} ami_mdm_progress;
void ami_mdm_progress_start(ami_mdm_progress *p, bool force, const char *verb);
void ami_mdm_progress_add(ami_mdm_progress *p, uint64_t n);
void ami_mdm_progress_end(ami_mdm_progress *p);
double ami_mdm_cli_now(void);

/* Options shared by vee, bill and export. */
typedef struct ami_mdm_cli_opts_t {
  const char *db, *channel, *tariff, *out, *format, *tz, *cls;
  bool all, json, have_from, have_to;
  int64_t from, to;
} ami_mdm_cli_opts_t;

/* Parses them; 0, or 2 after a message. */
int ami_mdm_cli_opts(const char *cmd, int argc, char **argv,
                     ami_mdm_cli_opts_t *o);

/* The channels a command runs over: --channel (one, resolved) or --all
 * (every channel of the store, malloc'd into *ids; NULL with --channel,
 * the id then in *one). 0, or -1 after a message. */
int ami_mdm_cli_targets(ami_mdm_store *st, sqlite3 *db,
                        const ami_mdm_cli_opts_t *o, uint64_t **ids,
                        uint64_t *one, size_t *n);

/* [from, to) on the channel's grid: the given range, or the span of its
 * raw data (db needed then). 0; 1 when the channel holds no data; -1 with
 * a message when off the grid or too long. */
int ami_mdm_cli_range(sqlite3 *db, const ami_mdm_cli_opts_t *o,
                      const ami_mdm_channel_info *c, int64_t *t0, int64_t *t1);

/* Reads [t0, t1) of a channel into a malloc'd array of *n values; NULL
 * after a message. */
ami_mdm_interval *ami_mdm_cli_read(ami_mdm_store *st, uint64_t ch, int64_t t0,
                                   int64_t t1, uint32_t iv,
                                   ami_mdm_version_sel sel, size_t *n);

#endif /* AMI_MDM_CLI_H */
