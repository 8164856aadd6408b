/*
 * fuzz_mdm_nem12.c -- libFuzzer target for the AEMO NEM12 importer
 * (ami_mdm_import.h).
 *
 * Input: one option byte (bit 0: lenient; bits 1..: row capacity scale),
 * then the file. Oracles:
 *   1. On error nothing is staged, the error names a line of the input.
 *   2. On success every row and register read names a staged series, row
 *      times increase by the series interval within each 300 record, and
 *      a strictly accepted file is accepted leniently with the same counts.
 *   3. With a smaller row capacity the result is the same or
 *      AMI_E_BUFFER_FULL -- never another error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_err.h"
#include "ami/ami_mdm_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      abort();                                                                 \
  } while (0)

#define CAP 8192

static ami_mdm_import_series series[64];
static ami_mdm_import_row rows[CAP];
static ami_mdm_register_read reads[256];

static int parse(bool lenient, size_t rows_cap, const uint8_t *p, size_t n,
                 ami_mdm_import_out *o) {
  memset(o, 0, sizeof *o);
  o->series = series;
  o->series_cap = 64;
  o->rows = rows;
  o->rows_cap = rows_cap;
  o->reads = reads;
  o->reads_cap = 256;
  ami_mdm_nem12_opts opt;
  ami_mdm_nem12_opts_default(&opt);
  opt.lenient = lenient;
  return ami_mdm_import_nem12(&opt, p, n, o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 64 * 1024)
    return 0;
  bool lenient = data[0] & 1;
  size_t small = (size_t)(data[0] >> 1) * 8;
  data++;
  size--;
  ami_mdm_import_out o;
  int rc = parse(lenient, CAP, data, size, &o);
  if (rc != AMI_OK) {
    CHECK(o.n_rows == 0 && o.n_series == 0 && o.n_reads == 0);
    CHECK(o.err.what != NULL && o.err.line <= size + 1);
  } else {
    size_t pos = 0; /* row number within its series (its 200 block) */
    for (size_t i = 0; i < o.n_rows; i++, pos++) {
      CHECK(o.rows[i].series < o.n_series);
      if (i > 0 && o.rows[i].series != o.rows[i - 1].series)
        pos = 0;
      uint32_t iv = o.series[o.rows[i].series].interval_s;
      CHECK(iv == 300 || iv == 900 || iv == 1800);
      if (pos % (86400 / iv) != 0)
        CHECK(o.rows[i].r.t - o.rows[i - 1].r.t == (int64_t)iv);
    }
    for (size_t i = 0; i < o.n_reads; i++)
      CHECK(o.reads[i].channel_id < o.n_series);
    if (!lenient) {
      size_t nr = o.n_rows, ns = o.n_series, nd = o.n_reads;
      CHECK(parse(true, CAP, data, size, &o) == AMI_OK);
      CHECK(o.n_rows == nr && o.n_series == ns && o.n_reads == nd);
    }
  }
  if (small < CAP) {
    size_t nr = o.n_rows;
    int rc2 = parse(lenient, small, data, size, &o);
    CHECK(rc2 == rc || rc2 == AMI_E_BUFFER_FULL);
    if (rc2 == AMI_OK && rc == AMI_OK)
      CHECK(o.n_rows == nr);
  }
  return 0;
}
