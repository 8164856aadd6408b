/*
 * cli_util.c -- input reading and JSON helpers for the `ami` command.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_hex.h"
#include "ami_cli.h"

#define AMI_CLI_MAX_INPUT (64u << 20) /* refuse inputs over 64 MiB */

/* Read a stream to its end into a malloc'd NUL-terminated buffer of at
 * most `max` bytes; NULL (with a message naming `name`) on failure. */
static char *read_stream(FILE *f, const char *name, size_t max, size_t *len) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  while (buf != NULL) {
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if (r == 0)
      break;
    if (n == cap) {
      if (cap >= max) {
        fprintf(stderr, "ami: %s is larger than %zu bytes\n", name, max);
        free(buf);
        return NULL;
      }
      char *nb = realloc(buf, cap * 2 + 1);
      if (nb == NULL) {
        free(buf);
        fprintf(stderr, "ami: out of memory reading %s\n", name);
        return NULL;
      }
      buf = nb;
      cap *= 2;
    }
  }
  if (buf != NULL && ferror(f)) {
    fprintf(stderr, "ami: error reading %s\n", name);
    free(buf);
    buf = NULL;
  }
  if (buf == NULL)
    return NULL;
  buf[n] = '\0';
  *len = n;
  return buf;
}

char *ami_cli_read_input(const char *path, size_t max, size_t *len) {
  if (strcmp(path, "-") == 0)
    return read_stream(stdin, "standard input", max, len);
  size_t pl = strlen(path);
  if (pl > 3 && strcmp(path + pl - 3, ".gz") == 0) {
    /* gzip is in every Debian; the name goes to the shell quoted, so a
     * quote in it is refused rather than escaped. */
    if (strchr(path, '\'') != NULL || pl > 4000) {
      fprintf(stderr, "ami: %s: unusable file name\n", path);
      return NULL;
    }
    char cmd[4100];
    snprintf(cmd, sizeof cmd, "zcat -- '%s'", path);
    FILE *p = popen(cmd, "r");
    if (p == NULL) {
      fprintf(stderr, "ami: cannot run zcat for %s\n", path);
      return NULL;
    }
    char *buf = read_stream(p, path, max, len);
    if (pclose(p) != 0 && buf != NULL) {
      fprintf(stderr, "ami: zcat failed on %s\n", path);
      free(buf);
      buf = NULL;
    }
    return buf;
  }
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "ami: cannot open %s: %s\n", path, strerror(errno));
    return NULL;
  }
  char *buf = read_stream(f, path, max, len);
  fclose(f);
  return buf;
}

char *ami_cli_read_all(const char *path, size_t *len) {
  return ami_cli_read_input(path, AMI_CLI_MAX_INPUT, len);
}

json_t *ami_cli_hex(const uint8_t *p, size_t n) {
  char stack[256];
  char *s = n * 2 + 1 <= sizeof stack ? stack : malloc(n * 2 + 1);
  if (s == NULL)
    return json_null();
  ami_hex_encode(p, n, 0, s, n * 2 + 1);
  json_t *j = json_string(s);
  if (s != stack)
    free(s);
  return j;
}

void ami_cli_set(json_t *obj, const char *key, json_t *val) {
  if (val != NULL)
    json_object_set_new(obj, key, val);
}

json_t *ami_cli_trailing(const uint8_t *p, size_t n, const char *what) {
  json_t *hex = ami_cli_hex(p, n);
  json_t *j =
      json_sprintf("%zu trailing byte%s after %s: %s", n, n == 1 ? "" : "s",
                   what, json_is_string(hex) ? json_string_value(hex) : "");
  json_decref(hex);
  return j;
}

int ami_cli_parse_long(const char *s, long min, long max, long *out) {
  if (s == NULL || *s == '\0')
    return -1;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

int ami_cli_split_hostport(const char *s, char *host, size_t hcap, long *port) {
  const char *colon = strrchr(s, ':');
  const char *port_text = s;
  if (colon) {
    size_t hl = (size_t)(colon - s);
    if (hl == 0 || hl >= hcap) {
      fprintf(stderr, "ami: bad address '%s'\n", s);
      return -1;
    }
    memcpy(host, s, hl);
    host[hl] = '\0';
    port_text = colon + 1;
  }
  if (ami_cli_parse_long(port_text, 1, 65535, port) != 0) {
    fprintf(stderr, "ami: bad port in '%s'\n", s);
    return -1;
  }
  return 0;
}
