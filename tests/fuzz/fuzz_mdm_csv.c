/*
 * fuzz_mdm_csv.c -- libFuzzer target for the MDM CSV interval importer
 * (ami_mdm_import.h).
 *
 * Oracles:
 *   1. On error nothing is staged and the error line lies within the input.
 *   2. On success every row names a staged series, and writing the rows
 *      back as canonical CSV (quoted ids, UTC "Z" times, six decimals,
 *      quality letter and method) parses to the same rows (skipped for ids
 * holding a double quote and for years outside 0000..9999, which the canonical
 *      form cannot carry).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_caltime.h"
#include "ami/ami_err.h"
#include "ami/ami_mdm_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      abort();                                                                 \
  } while (0)

#define CAP 4096

static ami_mdm_import_series s1[64], s2[64];
static ami_mdm_import_row r1[CAP], r2[CAP];
static char text[CAP * 96];

static ami_mdm_import_out staging(ami_mdm_import_series *s,
                                  ami_mdm_import_row *r) {
  ami_mdm_import_out o;
  memset(&o, 0, sizeof o);
  o.series = s;
  o.series_cap = 64;
  o.rows = r;
  o.rows_cap = CAP;
  return o;
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Canonical text of the staged rows; false when not representable. */
static bool write_back(const ami_mdm_import_out *o, size_t *len) {
  char *w = text;
  for (size_t i = 0; i < o->n_rows; i++) {
    const ami_mdm_import_row *r = &o->rows[i];
    ami_span id = o->series[r->series].id;
    if (memchr(id.p, '"', id.len))
      return false;
    /* id, quotes, a timestamp, a value and a quality: id.len + 64 bytes */
    if ((size_t)(w - text) + id.len + 64 > sizeof text)
      return false;
    int64_t days = floor_div(r->r.t, 86400), sod = r->r.t - days * 86400;
    int32_t y;
    unsigned m, d;
    ami_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999)
      return false;
    /* Quoted: an id may keep blanks inside its quotes; it may hold NUL
     * bytes too, hence memcpy rather than %s. */
    *w++ = '"';
    memcpy(w, id.p, id.len);
    w += id.len;
    w += sprintf(w, "\",%04d-%02u-%02uT%02d:%02d:%02dZ,", (int)y, m, d,
                 (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
    const ami_mdm_interval *v = &r->r.v;
    if (v->quality != 4 /* MISSING */) {
      int64_t a = v->value < 0 ? -v->value : v->value;
      w += sprintf(w, "%s%lld.%06lld", v->value < 0 ? "-" : "",
                   (long long)(a / 1000000), (long long)(a % 1000000));
    }
    static const char letter[] = {'A', 'E', 'S', 'S', 'N', 'A'};
    w += sprintf(w, ",%c", letter[v->quality < 6 ? v->quality : 0]);
    if (v->method)
      w += sprintf(w, "%02u", (unsigned)v->method);
    *w++ = '\n';
  }
  *len = (size_t)(w - text);
  return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 64 * 1024)
    return 0;
  ami_mdm_csv_opts opt;
  ami_mdm_csv_opts_default(&opt);
  ami_mdm_import_out a = staging(s1, r1);
  int rc = ami_mdm_import_csv(&opt, data, size, &a);
  if (rc != AMI_OK) {
    CHECK(a.n_rows == 0 && a.n_series == 0 && a.err.what != NULL);
    CHECK(a.err.line >= 1 && a.err.line <= size + 1);
    return 0;
  }
  for (size_t i = 0; i < a.n_rows; i++)
    CHECK(a.rows[i].series < a.n_series);
  size_t len;
  if (!write_back(&a, &len))
    return 0;
  opt.header = AMI_MDM_CSV_NO_HEADER;
  ami_mdm_import_out b = staging(s2, r2);
  CHECK(ami_mdm_import_csv(&opt, (const uint8_t *)text, len, &b) == AMI_OK);
  CHECK(b.n_rows == a.n_rows && b.n_series == a.n_series);
  for (size_t i = 0; i < a.n_rows; i++) {
    const ami_mdm_import_row *x = &a.rows[i], *y = &b.rows[i];
    CHECK(x->series == y->series && x->r.t == y->r.t);
    CHECK(x->r.v.method == y->r.v.method);
    CHECK(x->r.v.quality == y->r.v.quality ||
          (x->r.v.quality == 5 && y->r.v.quality == 0));
    if (x->r.v.quality != 4)
      CHECK(x->r.v.value == y->r.v.value);
  }
  return 0;
}
