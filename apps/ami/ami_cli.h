/*
 * ami_cli.h -- internal declarations shared by the `ami` command's files.
 */
#ifndef AMI_CLI_H
#define AMI_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define AMI_CLI_VERSION "0.1.0"

/* Subcommands: each returns the process exit status. */
int ami_cmd_decode(int argc, char **argv);
int ami_cmd_meter(int argc, char **argv);
int ami_cmd_read(int argc, char **argv);
int ami_cmd_push_listen(int argc, char **argv);
int ami_cmd_token(int argc, char **argv);
int ami_cmd_fw_keygen(int argc, char **argv);
int ami_cmd_fw_sign(int argc, char **argv);
int ami_cmd_fw_verify(int argc, char **argv);
int ami_cmd_mdm(int argc, char **argv);

/* Read all of `path` ("-" = stdin) into a malloc'd NUL-terminated buffer.
 * Returns NULL (with a message on stderr) on failure. */
char *ami_cli_read_all(const char *path, size_t *len);

/* The same for data files of up to `max` bytes: "-" is stdin, a name
 * ending in .gz is decompressed through zcat. */
char *ami_cli_read_input(const char *path, size_t max, size_t *len);

/* Render a decoded JSON tree as indented readable text. */
void ami_cli_render_text(FILE *out, json_t *root);

/* Parse a whole decimal integer in [min, max]; 0 on success, -1 otherwise
 * (empty, trailing characters, out of range). */
int ami_cli_parse_long(const char *s, long min, long max, long *out);

/* "[HOST:]PORT" -> host (unchanged when absent) and port 1..65535; 0 or
 * -1 (message printed). */
int ami_cli_split_hostport(const char *s, char *host, size_t hcap, long *port);

/* Small JSON helpers. */
json_t *ami_cli_hex(const uint8_t *p, size_t n);             /* "0A1B..." */
void ami_cli_set(json_t *obj, const char *key, json_t *val); /* steals val */
/* "N trailing bytes after <what>: HEX" */
json_t *ami_cli_trailing(const uint8_t *p, size_t n, const char *what);

#endif /* AMI_CLI_H */
