/*
 * bench_axdr.c -- a Profile Generic buffer (class 7, attribute 2) in a
 * GET-response: rows of {date-time as octet-string(12), status unsigned,
 * four double-long-unsigned registers}, encoded into one APDU and decoded
 * back row by row with the typed getters, for 96 rows (a day of 15-minute
 * intervals) and for 10,000 rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_apdu.h"
#include "ami/ami_axdr.h"
#include "bench.h"

typedef struct rows_job {
  size_t rows;
  uint8_t *buf;
  size_t cap, len;
  int err;
  uint64_t sum;
} rows_job;

static void encode(rows_job *j) {
  ami_wr w;
  ami_wr_init(&w, j->buf, j->cap);
  /* GET-response-normal, invoke-id 1 high priority, result = data. */
  ami_wr_u8(&w, 0xC4);
  ami_wr_u8(&w, 0x01);
  ami_wr_u8(&w, 0xC1);
  ami_wr_u8(&w, 0x00);
  ami_axdr_put_array(&w, j->rows);
  ami_cosem_datetime dt = {{2026, 11, 22, 7}, {0, 0, 0, 0}, -60, 0};
  for (size_t r = 0; r < j->rows; r++) {
    dt.time.hour = (uint8_t)(r / 4 % 24);
    dt.time.minute = (uint8_t)(r % 4 * 15);
    ami_axdr_put_struct(&w, 6);
    ami_axdr_put_datetime_octets(&w, &dt);
    ami_axdr_put_u8(&w, 0);
    ami_axdr_put_u32(&w, (uint32_t)(1000000 + r * 250));
    ami_axdr_put_u32(&w, (uint32_t)(r * 3));
    ami_axdr_put_u32(&w, (uint32_t)(20000 + r));
    ami_axdr_put_u32(&w, (uint32_t)(r * 7));
  }
  j->len = w.len;
  if (w.err)
    j->err = w.err;
}

static void decode(rows_job *j) {
  ami_apdu a;
  /* The APDU decoder walks the Data once (it validates everything it
   * accepts), then the rows are read with the typed getters. */
  if (ami_apdu_decode(ami_span_make(j->buf, j->len), &a) != AMI_OK) {
    j->err = AMI_E_APDU_MALFORMED;
    return;
  }
  ami_span data = a.u.get_response.result.data;
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, data.p, data.len);
  uint32_t n, k, v[4];
  uint8_t status;
  ami_cosem_datetime dt;
  uint64_t sum = 0;
  int rc = ami_axdr_get_array(&d, &n);
  for (uint32_t r = 0; rc == AMI_OK && r < n; r++) {
    rc |= ami_axdr_get_struct(&d, &k);
    rc |= ami_axdr_get_datetime(&d, &dt);
    rc |= ami_axdr_get_u8(&d, &status);
    rc |= ami_axdr_get_u32(&d, &v[0]);
    rc |= ami_axdr_get_u32(&d, &v[1]);
    rc |= ami_axdr_get_u32(&d, &v[2]);
    rc |= ami_axdr_get_u32(&d, &v[3]);
    sum += v[0] + v[1] + v[2] + v[3] + status + dt.time.minute;
  }
  if (rc != AMI_OK || n != j->rows)
    j->err = AMI_E_APDU_MALFORMED;
  j->sum += sum;
}

static void run_encode(void *arg) {
  encode(arg);
}
static void run_decode(void *arg) {
  decode(arg);
}
static void run_both(void *arg) {
  encode(arg);
  decode(arg);
}

int bench_axdr_rows(void) {
  static const size_t counts[] = {96, 10000};
  for (int i = 0; i < 2; i++) {
    rows_job j = {counts[i], NULL, counts[i] * 48 + 64, 0, 0, 0};
    j.buf = malloc(j.cap);
    if (!j.buf)
      return 1;
    encode(&j);
    decode(&j);
    if (j.err) {
      fprintf(stderr, "bench_axdr: round trip failed\n");
      free(j.buf);
      return 1;
    }
    double te =
        bench_best(run_encode, &j, bench_calibrate(run_encode, &j, 0.05), 5);
    double td =
        bench_best(run_decode, &j, bench_calibrate(run_decode, &j, 0.05), 5);
    double tb =
        bench_best(run_both, &j, bench_calibrate(run_both, &j, 0.05), 5);
    double per = tb / (double)j.rows * 1e9;
    char what[80], o[48], r[32];
    snprintf(what, sizeof what, "profile row encode+decode, %zu rows", j.rows);
    snprintf(o, sizeof o, "%.1f ns/row", per);
    snprintf(r, sizeof r, "%.0fx", 1700.0 / per);
    bench_row(what, o, "Gurux C ~1700 ns (*)", r);
    snprintf(what, sizeof what, "  of which encode / decode (%zu B APDU)",
             j.len);
    snprintf(o, sizeof o, "%.1f / %.1f ns", te / (double)j.rows * 1e9,
             td / (double)j.rows * 1e9);
    bench_row(what, o, "", "");
    bench_consume(j.sum);
    free(j.buf);
  }
  return 0;
}
