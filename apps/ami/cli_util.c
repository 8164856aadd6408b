/*
 * cli_util.c -- input reading and JSON helpers for the `ami` command.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_hex.h"
#include "ami_cli.h"

#define AMI_CLI_MAX_INPUT (64u << 20) /* refuse inputs over 64 MiB */

char *ami_cli_read_all(const char *path, size_t *len) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "ami: cannot open %s: %s\n", path, strerror(errno));
    return NULL;
  }
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  while (buf != NULL) {
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if (r == 0)
      break;
    if (n == cap) {
      if (cap >= AMI_CLI_MAX_INPUT) {
        fprintf(stderr, "ami: %s is larger than %u bytes\n", path,
                AMI_CLI_MAX_INPUT);
        free(buf);
        buf = NULL;
        break;
      }
      char *nb = realloc(buf, cap * 2 + 1);
      if (nb == NULL) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  if (ferror(f)) {
    fprintf(stderr, "ami: error reading %s\n", path);
    free(buf);
    buf = NULL;
  }
  if (f != stdin)
    fclose(f);
  if (buf == NULL)
    return NULL;
  buf[n] = '\0';
  *len = n;
  return buf;
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
