/*
 * test_mdm_import.c -- lib/mdm CSV and AEMO NEM12 import parsers: the two
 * real NEM12 files of shared/data parsed completely (counts and values
 * checked by hand against the files), every malformed-line case with its
 * line and field, every truncation of a sample, staging never half applied.
 */
#include "ami_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_caltime.h"
#include "ami/ami_mdm_import.h"
#include "ami/ami_mdm_vee.h"

/* Staging big enough for the real files (the AusNet file: 365 days x 48). */
#define ROWS_CAP 60000
static ami_mdm_import_series g_series[16];
static ami_mdm_import_row g_rows[ROWS_CAP];
static ami_mdm_register_read g_reads[1024];

static ami_mdm_import_out staging(void) {
  ami_mdm_import_out o;
  memset(&o, 0, sizeof o);
  o.series = g_series;
  o.series_cap = 16;
  o.rows = g_rows;
  o.rows_cap = ROWS_CAP;
  o.reads = g_reads;
  o.reads_cap = 1024;
  return o;
}

/* UTC seconds of a civil date-time (independent of the parser). */
static int64_t utc(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  return ami_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static bool span_eq_str(ami_span s, const char *lit) {
  return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

/* Places all staged rows of series 0 on one grid and validates it with
 * the residential defaults (AEST days, no history). */
static ami_mdm_vee_summary validate_all(const ami_mdm_import_out *o) {
  static ami_mdm_reading rd[ROWS_CAP];
  static ami_mdm_interval grid[ROWS_CAP], out[ROWS_CAP];
  int64_t t0 = INT64_MAX, t1 = INT64_MIN;
  for (size_t i = 0; i < o->n_rows; i++) {
    rd[i] = o->rows[i].r;
    t0 = rd[i].t < t0 ? rd[i].t : t0;
    t1 = rd[i].t > t1 ? rd[i].t : t1;
  }
  size_t n = (size_t)((t1 - t0) / 1800 + 1);
  assert_true(n <= ROWS_CAP);
  ami_mdm_vee_params p;
  ami_mdm_vee_params_default(&p, AMI_MDM_CLASS_RESIDENTIAL_IMPORT);
  ami_mdm_align_stats st;
  assert_ami_ok(ami_mdm_vee_align(&p, 1800, rd, o->n_rows, t0, grid, n, &st));
  assert_int_equal(st.placed, o->n_rows);
  static ami_mdm_channel_info ch = {
      1, 1, AMI_MDM_DELTA, AMI_MDM_IMPORT, AMI_MDM_UNIT_WH, 1800, 1000, false};
  static const ami_mdm_tz aest = {.kind = AMI_MDM_TZ_FIXED,
                                  .std_offset_s = 36000};
  ami_mdm_vee_input in;
  memset(&in, 0, sizeof in);
  in.channel = &ch;
  in.t0 = t0;
  in.iv = grid;
  in.n = n;
  in.tz = &aest;
  in.reads = o->reads;
  in.n_reads = o->n_reads;
  ami_mdm_vee_summary sum;
  assert_ami_ok(ami_mdm_vee_validate(&p, &in, out, NULL, 0, &sum));
  return sum;
}

/* ---------------------------------------------------------------------- */
/* Real files */

/* nem12-au-ausnet-example.csv: 100, four identical 200 records (one
 * series split in blocks, not in date order), 365 300 records of 48
 * values, 720 500 records (reads at 00:00 and 12:00), 900.
 * Values checked by reading the file: first value 0.077 kWh of 2014-04-01,
 * first read 5797.496 kWh at 2014-04-01 00:00:02; the 48 values of
 * 2014-04-01 add up to 12.176 kWh = 5809.672 - 5797.496, the advance of
 * the register between the midnight reads (checked with awk). */
static void test_nem12_ausnet_real(void **state) {
  (void)state;
  const char *path = ami_test_shared_path("data/nem12-au-ausnet-example.csv");
  if (!path)
    skip();
  size_t len;
  char *buf = ami_test_read_file(path, &len);
  assert_non_null(buf);
  ami_mdm_import_out o = staging();
  ami_mdm_nem12_opts opt;
  ami_mdm_nem12_opts_default(&opt);
  assert_ami_ok(ami_mdm_import_nem12(&opt, (const uint8_t *)buf, len, &o));
  assert_int_equal(o.n_series, 1);
  assert_int_equal(o.n_rows, 365 * 48);
  assert_int_equal(o.n_reads, 720);
  assert_true(span_eq_str(o.series[0].id, "1111111111"));
  assert_true(span_eq_str(o.series[0].suffix, "E1"));
  assert_true(span_eq_str(o.series[0].serial, "1111111"));
  assert_int_equal(o.series[0].interval_s, 1800);
  assert_int_equal(o.series[0].unit, AMI_MDM_UNIT_WH);
  /* 2014-04-01 00:00-00:30 AEST ends 2014-03-31 14:30 UTC. */
  assert_int_equal(o.rows[0].r.t, utc(2014, 3, 31, 14, 30, 0));
  assert_int_equal(o.rows[0].r.v.value, 77000); /* 0.077 kWh in mWh */
  assert_int_equal(o.rows[0].r.v.quality, AMI_MDM_Q_ACTUAL);
  assert_int_equal(o.rows[14].r.v.value, 538000); /* 15th value 0.538 */
  assert_int_equal(o.reads[0].t, utc(2014, 3, 31, 14, 0, 2));
  assert_int_equal(o.reads[0].value, 5797496000LL);
  int64_t day = 0;
  for (int k = 0; k < 48; k++)
    day += o.rows[k].r.v.value;
  assert_int_equal(day, 12176000);
  /* The same day through VEE: the register-sum rule passes on the real
   * reads (2 s after midnight, within the time tolerance) ... */
  ami_mdm_channel_info ch = {
      1, 1, AMI_MDM_DELTA, AMI_MDM_IMPORT, AMI_MDM_UNIT_WH, 1800, 1000, false};
  ami_mdm_interval iv[48], out[48];
  for (int k = 0; k < 48; k++)
    iv[k] = o.rows[k].r.v;
  ami_mdm_register_read rr[2] = {o.reads[0], o.reads[2]};
  assert_int_equal(rr[1].value, 5809672000LL);
  ami_mdm_vee_input in;
  memset(&in, 0, sizeof in);
  in.channel = &ch;
  in.t0 = o.rows[0].r.t;
  in.iv = iv;
  in.n = 48;
  in.reads = rr;
  in.n_reads = 2;
  ami_mdm_vee_params p;
  ami_mdm_vee_params_default(&p, AMI_MDM_CLASS_RESIDENTIAL_IMPORT);
  ami_mdm_vee_failure f[64];
  ami_mdm_vee_summary sum;
  assert_ami_ok(ami_mdm_vee_validate(&p, &in, out, f, 64, &sum));
  assert_int_equal(sum.by_rule[AMI_MDM_RULE_REGISTER_SUM], 0);
  /* ... and fails when one interval is 0.2 kWh off (tolerance 1 % of
   * 12.176 kWh + 10 Wh = 131.76 Wh). */
  iv[20].value += 200000;
  assert_ami_ok(ami_mdm_vee_validate(&p, &in, out, f, 64, &sum));
  assert_int_equal(sum.by_rule[AMI_MDM_RULE_REGISTER_SUM], 48);
  /* The whole year (blocks out of date order, 720 reads) passes every
   * default rule: the interval sums match all the register advances. */
  sum = validate_all(&o);
  assert_int_equal(sum.n, 365 * 48);
  assert_int_equal(sum.failed + sum.warnings, 0);
  free(buf);
}

/* nem12-au-home-meter01.csv: an export without the 100 and 900 records
 * and with a blank first line; 1 200 (NMI "M1", KWH, 30 min), 1034 300
 * records (31 of quality V), 91 400 records. Values from the file: the
 * V day 2017-11-29 has 400 lines "1,43,A" "44,44,A,89" "45,48,A"; reason
 * 89 covers 27 intervals and reason 79 nine over the file; all values
 * add up to 9756.118 kWh (awk); the last value is 0.069 kWh ending
 * 2020-09-23 00:00 AEST. Strict mode refuses the blank line 1. */
static void test_nem12_home_real(void **state) {
  (void)state;
  const char *path = ami_test_shared_path("data/nem12-au-home-meter01.csv");
  if (!path)
    skip();
  size_t len;
  char *buf = ami_test_read_file(path, &len);
  assert_non_null(buf);
  ami_mdm_import_out o = staging();
  ami_mdm_nem12_opts opt;
  ami_mdm_nem12_opts_default(&opt);
  assert_ami(AMI_E_SYNTAX,
             ami_mdm_import_nem12(&opt, (const uint8_t *)buf, len, &o));
  assert_int_equal(o.err.line, 1);
  assert_int_equal(o.n_rows, 0);
  opt.lenient = true;
  assert_ami_ok(ami_mdm_import_nem12(&opt, (const uint8_t *)buf, len, &o));
  assert_int_equal(o.n_series, 1);
  assert_true(span_eq_str(o.series[0].id, "M1"));
  assert_true(span_eq_str(o.series[0].serial, "CZ226453"));
  assert_int_equal(o.n_rows, 1034 * 48);
  int64_t total = 0;
  unsigned r89 = 0, r79 = 0;
  for (size_t i = 0; i < o.n_rows; i++) {
    total += o.rows[i].r.v.value;
    r89 += o.rows[i].reason == 89;
    r79 += o.rows[i].reason == 79;
    assert_int_equal(o.rows[i].r.v.quality, AMI_MDM_Q_ACTUAL);
  }
  assert_int_equal(total, 9756118000LL);
  assert_int_equal(r89, 27);
  assert_int_equal(r79, 9);
  /* 2017-11-29 is the 6th day (from 2017-11-24): interval 44 has 89. */
  assert_int_equal(o.rows[5 * 48 + 43].reason, 89);
  assert_int_equal(o.rows[5 * 48 + 42].reason, 0);
  assert_int_equal(o.rows[5 * 48 + 44].r.v.value, 181000);
  const ami_mdm_import_row *last = &o.rows[o.n_rows - 1];
  assert_int_equal(last->r.t, utc(2020, 9, 22, 14, 0, 0));
  assert_int_equal(last->r.v.value, 69000);
  /* Default rules over the three years: only the zero rule fires, on the
   * file's first 270 half-hours (24 Nov 2017 to 29 Nov 2017 interval 30,
   * all 0.000 -- counted with awk), the only zero run of a day or more. */
  ami_mdm_vee_summary sum = validate_all(&o);
  assert_int_equal(sum.by_rule[AMI_MDM_RULE_ZERO], 270);
  assert_int_equal(sum.failed, 270);
  assert_int_equal(sum.warnings, 0);
  free(buf);
}

/* ---------------------------------------------------------------------- */
/* A small hand-made NEM12 sample */

static char g_sample[8192];

/* Eight records: 100, 200, 300 (A), 300 (V), 400, 400, 500, 900. Day 1
 * values are 0.001 * k (k = 1..48), day 2 all 0.5. */
static const char *sample(void) {
  char *w = g_sample;
  w += sprintf(w, "100,NEM12,201801011200,MDP1,RETAILER\r\n");
  w += sprintf(w, "200,NMI0000001,E1,E1,E1,N1,MTR1,KWH,30,\r\n");
  w += sprintf(w, "300,20180101");
  for (int k = 1; k <= 48; k++)
    w += sprintf(w, ",0.%03d", k);
  w += sprintf(w, ",A,,,20180102000000,\r\n");
  w += sprintf(w, "300,20180102");
  for (int k = 1; k <= 48; k++)
    w += sprintf(w, ",0.5");
  w += sprintf(w, ",V,,,20180103000000,\r\n");
  w += sprintf(w, "400,1,10,A,,\r\n");
  w += sprintf(w, "400,11,48,E52,79,\r\n");
  w += sprintf(w, "500,N,,20180102000005,100.5\r\n");
  w += sprintf(w, "900\r\n");
  return g_sample;
}

static void test_nem12_sample(void **state) {
  (void)state;
  const char *s = sample();
  ami_mdm_import_out o = staging();
  ami_mdm_nem12_opts opt;
  ami_mdm_nem12_opts_default(&opt);
  assert_ami_ok(ami_mdm_import_nem12(&opt, (const uint8_t *)s, strlen(s), &o));
  assert_int_equal(o.n_rows, 96);
  assert_int_equal(o.rows[0].r.v.value, 1000);
  assert_int_equal(o.rows[47].r.v.value, 48000);
  /* 2018-01-02 00:00 AEST = 2018-01-01 14:00 UTC. */
  assert_int_equal(o.rows[47].r.t, utc(2018, 1, 1, 14, 0, 0));
  assert_int_equal(o.rows[48 + 9].r.v.quality, AMI_MDM_Q_ACTUAL);
  assert_int_equal(o.rows[48 + 10].r.v.quality, AMI_MDM_Q_ESTIMATED);
  assert_int_equal(o.rows[48 + 10].r.v.method, 52);
  assert_int_equal(o.rows[48 + 10].reason, 79);
  assert_int_equal(o.rows[48 + 10].r.v.value, 500000);
  assert_int_equal(o.n_reads, 1);
  assert_int_equal(o.reads[0].value, 100500000);
  assert_int_equal(o.reads[0].t, utc(2018, 1, 1, 14, 0, 5));
  /* A different market offset moves every instant. */
  opt.utc_offset_s = 0;
  assert_ami_ok(ami_mdm_import_nem12(&opt, (const uint8_t *)s, strlen(s), &o));
  assert_int_equal(o.rows[47].r.t, utc(2018, 1, 2, 0, 0, 0));
  /* Capacity: one row short is BUFFER_FULL at the second 300 (line 4),
   * and nothing staged. */
  o.rows_cap = 95;
  assert_ami(AMI_E_BUFFER_FULL,
             ami_mdm_import_nem12(&opt, (const uint8_t *)s, strlen(s), &o));
  assert_int_equal(o.err.line, 4);
  assert_int_equal(o.n_rows, 0);
  assert_int_equal(o.n_series, 0);
  /* Over-read check: the whole sample flush against a guard page. */
  o = staging();
  uint8_t *g = ami_test_guarded_copy((const uint8_t *)s, strlen(s));
  assert_ami_ok(ami_mdm_import_nem12(&opt, g, strlen(s), &o));
  ami_test_guarded_free(g, strlen(s));
}

/* Replace line `no` (1-based) of the sample by `repl` (NULL: delete it). */
static size_t edit_line(const char *src, int no, const char *repl, char *dst) {
  int cur = 1;
  char *w = dst;
  const char *p = src;
  while (*p) {
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p + 1) : strlen(p);
    if (cur == no) {
      if (repl)
        w += sprintf(w, "%s\r\n", repl);
    } else {
      memcpy(w, p, n);
      w += n;
    }
    p += n;
    cur++;
  }
  *w = 0;
  return (size_t)(w - dst);
}

/* A 300 line of day `date` with `nv` values and quality `q`. */
static const char *line300(const char *date, int nv, const char *q,
                           const char *value) {
  static char bufs[16][1024]; /* distinct per call: used in one table */
  static unsigned next;
  char *b = bufs[next++ % 16];
  char *w = b;
  w += sprintf(w, "300,%s", date);
  for (int k = 0; k < nv; k++)
    w += sprintf(w, ",%s", value);
  sprintf(w, ",%s,,,20180102000000,", q);
  return b;
}

typedef struct bad_case {
  int line;         /* sample line replaced */
  const char *repl; /* replacement (NULL: line deleted) */
  int err;
  unsigned err_line, err_field;
} bad_case;

static void test_nem12_malformed(void **state) {
  (void)state;
  const char *s = sample();
  static char big[8192], buf[8192];
  const bad_case cases[] = {
      {1, "100,NEM13,201801011200,MDP1,RETAILER", AMI_E_UNSUPPORTED, 1, 2},
      {1, "100,NEMXX,201801011200,MDP1,RETAILER", AMI_E_SYNTAX, 1, 2},
      {1, "100,NEM12,2018010112,MDP1,RETAILER", AMI_E_SYNTAX, 1, 3},
      {1, "100,NEM12", AMI_E_SYNTAX, 1, 0},
      {1, NULL, AMI_E_INCONSISTENT, 1, 1}, /* starts with 200 */
      {2, "200,NMI0000001,E1,E1,E1,N1,MTR1,FURLONG,30,", AMI_E_UNSUPPORTED, 2,
       8},
      {2, "200,NMI0000001,E1,E1,E1,N1,MTR1,KWH,20,", AMI_E_RANGE, 2, 9},
      {2, "200,NMI0000001,E1,E1,E1,N1,MTR1,KWH,x,", AMI_E_SYNTAX, 2, 9},
      {2, "200,,E1,E1,E1,N1,MTR1,KWH,30,", AMI_E_SYNTAX, 2, 2},
      {2, "200,NMI00000012345,E1,E1,E1,N1,MTR1,KWH,30,", AMI_E_SYNTAX, 2, 2},
      {2, NULL, AMI_E_INCONSISTENT, 2, 1}, /* 300 before 200 */
      {3, "300,20180132,0.1", AMI_E_SYNTAX, 3, 0},
      {3, line300("20180132", 48, "A", "0.1"), AMI_E_SYNTAX, 3, 2},
      {3, line300("2018011", 48, "A", "0.1"), AMI_E_SYNTAX, 3, 2},
      {3, line300("20180101", 47, "A", "0.1"), AMI_E_SYNTAX, 3, 51},
      {3, line300("20180101", 48, "Q", "0.1"), AMI_E_SYNTAX, 3, 51},
      {3, line300("20180101", 48, "A", "0.1x"), AMI_E_SYNTAX, 3, 3},
      {3, line300("20180101", 48, "A", ""), AMI_E_SYNTAX, 3, 3},
      {3, line300("20180101", 48, "A", "1.0000000001"), AMI_E_SYNTAX, 3, 3},
      {3, line300("20180101", 48, "E1", "0.1"), AMI_E_SYNTAX, 3, 51},
      {5, "400,2,10,A,,", AMI_E_INCONSISTENT, 5, 2},
      {5, "400,1,49,A,,", AMI_E_INCONSISTENT, 5, 2},
      {5, "400,1,10,V,,", AMI_E_SYNTAX, 5, 4},
      {5, "400,1,x,A,,", AMI_E_SYNTAX, 5, 3},
      {5, "400,1,10,A,1234,", AMI_E_SYNTAX, 5, 5},
      {6, "400,11,47,A,,", AMI_E_INCONSISTENT, 7, 1}, /* 48 uncovered */
      {6, "500,N,,20180102000005,100.5", AMI_E_INCONSISTENT, 6, 1},
      {7, "400,1,48,A,,", AMI_E_INCONSISTENT, 7, 1}, /* no V pending */
      {7, "500,N,,2018010200000,100.5", AMI_E_SYNTAX, 7, 4},
      {7, "500,N,,20180102250000,100.5", AMI_E_SYNTAX, 7, 4},
      {7, "500,N,,20180102000005,1e3", AMI_E_SYNTAX, 7, 5},
      {7, "500,N,,,100.5", AMI_E_INCONSISTENT, 7, 5},
      {7, "600,N", AMI_E_SYNTAX, 7, 1},
      {8, "900,1", AMI_E_SYNTAX, 8, 2},
      {8, NULL, AMI_E_TRUNCATED, 7, 0}, /* no 900 */
  };
  ami_mdm_nem12_opts opt;
  ami_mdm_nem12_opts_default(&opt);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const bad_case *c = &cases[i];
    size_t n = edit_line(s, c->line, c->repl, buf);
    ami_mdm_import_out o = staging();
    int rc = ami_mdm_import_nem12(&opt, (const uint8_t *)buf, n, &o);
    if (rc != c->err || o.err.line != c->err_line ||
        o.err.field != c->err_field)
      fail_msg("case %zu: got %s line %u field %u (%s), expected %s line %u "
               "field %u",
               i, ami_err_name(rc), o.err.line, o.err.field,
               o.err.what ? o.err.what : "", ami_err_name(c->err), c->err_line,
               c->err_field);
    assert_int_equal(o.n_rows + o.n_series + o.n_reads, 0);
    assert_non_null(o.err.what);
  }
  /* A repeated 200 continues its series; another suffix is a new one. */
  edit_line(s, 7, NULL, buf); /* without the 500 */
  char *end = strstr(buf, "900\r\n");
  sprintf(end,
          "200,NMI0000001,E1,E1,E1,N1,MTR1,KWH,30,\r\n%s\r\n"
          "200,NMI0000001,E1,B1,B1,N1,MTR1,KWH,30,\r\n%s\r\n900\r\n",
          line300("20180103", 48, "A", "0.2"),
          line300("20180103", 48, "A", "0.3"));
  ami_mdm_import_out m = staging();
  assert_ami_ok(
      ami_mdm_import_nem12(&opt, (const uint8_t *)buf, strlen(buf), &m));
  assert_int_equal(m.n_series, 2);
  assert_int_equal(m.n_rows, 4 * 48);
  assert_int_equal(m.rows[2 * 48].series, 0);
  assert_int_equal(m.rows[3 * 48].series, 1);
  assert_true(span_eq_str(m.series[1].suffix, "B1"));
  /* A record after 900, and a second 100. */
  size_t n = strlen(s);
  memcpy(big, s, n);
  strcpy(big + n, "200,X,E1,E1,E1,N1,M,KWH,30,\r\n");
  ami_mdm_import_out o = staging();
  assert_ami(AMI_E_TRAILING,
             ami_mdm_import_nem12(&opt, (const uint8_t *)big, strlen(big), &o));
  assert_int_equal(o.err.line, 9);
  edit_line(s, 3, "100,NEM12,201801011200,MDP1,RETAILER", buf);
  assert_ami(AMI_E_INCONSISTENT,
             ami_mdm_import_nem12(&opt, (const uint8_t *)buf, strlen(buf), &o));
  assert_int_equal(o.err.line, 3);
  /* Column: the 3rd field of "400,1,x,A,," starts at character 7. */
  edit_line(s, 5, "400,1,x,A,,", buf);
  assert_ami(AMI_E_SYNTAX,
             ami_mdm_import_nem12(&opt, (const uint8_t *)buf, strlen(buf), &o));
  assert_int_equal(o.err.column, 7);
}

/* Every proper prefix of the sample short of "900" is "need more"
 * (AMI_E_TRUNCATED) with nothing staged. Each prefix is parsed from an
 * exact-size guarded copy so an over-read faults. */
static void test_nem12_every_truncation(void **state) {
  (void)state;
  const char *s = sample();
  size_t n = strlen(s);
  ami_mdm_nem12_opts opt;
  ami_mdm_nem12_opts_default(&opt);
  for (size_t cut = 0; cut < n - 2; cut++) {
    uint8_t *g = ami_test_guarded_copy((const uint8_t *)s, cut);
    ami_mdm_import_out o = staging();
    int rc = ami_mdm_import_nem12(&opt, g, cut, &o);
    if (rc != AMI_E_TRUNCATED)
      fail_msg("prefix %zu: %s (%s line %u)", cut, ami_err_name(rc),
               o.err.what ? o.err.what : "", o.err.line);
    assert_int_equal(o.n_rows + o.n_series + o.n_reads, 0);
    ami_test_guarded_free(g, cut);
  }
  /* "900" and "900\r" without the line end are complete. */
  ami_mdm_import_out o = staging();
  assert_ami_ok(ami_mdm_import_nem12(&opt, (const uint8_t *)s, n - 2, &o));
  assert_ami_ok(ami_mdm_import_nem12(&opt, (const uint8_t *)s, n - 1, &o));
}

/* ---------------------------------------------------------------------- */
/* CSV */

static void test_csv_generic(void **state) {
  (void)state;
  const char *s = "meter,time,kwh,q\n"
                  "m1,2024-03-31T00:30:00Z,0.250,A\n"
                  "m1,2024-03-31T02:00:00+02:00,1.5\n"
                  "\"m2\", 2024-03-31 01:00:00.000 , 0.125 ,E15\r\n"
                  "m1,2024-03-31T01:30-0030,Null\n"
                  "m2,2024-03-31T01:30,-2\n";
  ami_mdm_csv_opts opt;
  ami_mdm_csv_opts_default(&opt);
  ami_mdm_import_out o = staging();
  assert_ami_ok(ami_mdm_import_csv(&opt, (const uint8_t *)s, strlen(s), &o));
  assert_int_equal(o.n_series, 2);
  assert_int_equal(o.n_rows, 5);
  assert_true(span_eq_str(o.series[1].id, "m2"));
  assert_int_equal(o.rows[0].r.t, utc(2024, 3, 31, 0, 30, 0));
  assert_int_equal(o.rows[0].r.v.value, 250000);
  assert_int_equal(o.rows[1].r.t, utc(2024, 3, 31, 0, 0, 0));
  assert_int_equal(o.rows[1].r.v.value, 1500000);
  assert_int_equal(o.rows[2].series, 1);
  assert_int_equal(o.rows[2].r.t, utc(2024, 3, 31, 1, 0, 0));
  assert_int_equal(o.rows[2].r.v.quality, AMI_MDM_Q_ESTIMATED);
  assert_int_equal(o.rows[2].r.v.method, 15);
  assert_int_equal(o.rows[3].r.t, utc(2024, 3, 31, 2, 0, 0));
  assert_int_equal(o.rows[3].r.v.quality, AMI_MDM_Q_MISSING);
  assert_int_equal(o.rows[4].r.v.value, -2000000);
  /* Offset-less times in the caller's zone: 01:30 Paris (CET, +1) on
   * 2024-03-31 is 00:30 UTC; 03:30 CEST (+2) the same day is 01:30 UTC. */
  ami_mdm_tz paris = {.kind = AMI_MDM_TZ_EU, .std_offset_s = 3600};
  opt.tz = &paris;
  const char *p = "m,2024-03-31 01:30,1\nm,2024-03-31 03:30,1\n";
  assert_ami_ok(ami_mdm_import_csv(&opt, (const uint8_t *)p, strlen(p), &o));
  assert_int_equal(o.rows[0].r.t, utc(2024, 3, 31, 0, 30, 0));
  assert_int_equal(o.rows[1].r.t, utc(2024, 3, 31, 1, 30, 0));
}

/* Lines copied from the London LCL file (2013): timestamps are interval
 * STARTS in GMT, values kWh with blanks around them. */
static void test_csv_lcl(void **state) {
  (void)state;
  const char *s = "LCLid,tstp,energy(kWh/hh)\n"
                  "MAC000002,2013-01-01 00:00:00, 0.219 \n"
                  "MAC000002,2013-01-01 00:30:00, 0.241 \n"
                  "MAC000002,2013-03-31 01:00:00, 0.135 \n";
  ami_mdm_csv_opts opt;
  ami_mdm_csv_opts_lcl(&opt);
  ami_mdm_import_out o = staging();
  assert_ami_ok(ami_mdm_import_csv(&opt, (const uint8_t *)s, strlen(s), &o));
  assert_int_equal(o.n_rows, 3);
  assert_int_equal(o.rows[0].r.t, utc(2013, 1, 1, 0, 30, 0));
  assert_int_equal(o.rows[0].r.v.value, 219000);
  assert_int_equal(o.rows[2].r.t, utc(2013, 3, 31, 1, 30, 0));
  assert_true(span_eq_str(o.series[0].id, "MAC000002"));
}

static void test_csv_malformed(void **state) {
  (void)state;
  static const struct {
    const char *bad;
    int err;
    unsigned field;
  } cases[] = {
      {"m1,2024-03-31T00:30:00Z", AMI_E_SYNTAX, 0},
      {"m1,2024-03-31T00:30:00Z,1,A,x", AMI_E_SYNTAX, 5},
      {",2024-03-31T00:30:00Z,1", AMI_E_SYNTAX, 1},
      {"m1,2024-02-30T00:30:00Z,1", AMI_E_SYNTAX, 2},
      {"m1,2024-03-31T24:00:00Z,1", AMI_E_SYNTAX, 2},
      {"m1,2024-03-31T00:30:00+15:00,1", AMI_E_SYNTAX, 2},
      {"m1,2024-03-31T00:30:00Y,1", AMI_E_SYNTAX, 2},
      {"m1,2024-03-31,1", AMI_E_SYNTAX, 2},
      {"m1,2024-03-31T00:30:00.,1", AMI_E_SYNTAX, 2},
      {"m1,2024-03-31T00:30:00Z,1.2.3", AMI_E_SYNTAX, 3},
      {"m1,2024-03-31T00:30:00Z,-", AMI_E_SYNTAX, 3},
      {"m1,2024-03-31T00:30:00Z,9999999999999999", AMI_E_SYNTAX, 3},
      {"m1,2024-03-31T00:30:00Z,1,V", AMI_E_SYNTAX, 4},
      {"m1,2024-03-31T00:30:00Z,1,A1", AMI_E_SYNTAX, 4},
  };
  ami_mdm_csv_opts opt;
  ami_mdm_csv_opts_default(&opt);
  char buf[256];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    /* Line 3 is the bad one, after a header and a good line. */
    snprintf(buf, sizeof buf, "id,t,v\nm0,2024-01-01T00:00Z,1\n%s\n",
             cases[i].bad);
    ami_mdm_import_out o = staging();
    int rc = ami_mdm_import_csv(&opt, (const uint8_t *)buf, strlen(buf), &o);
    if (rc != cases[i].err || o.err.line != 3 || o.err.field != cases[i].field)
      fail_msg("case %zu: %s line %u field %u", i, ami_err_name(rc), o.err.line,
               o.err.field);
    assert_int_equal(o.n_rows + o.n_series, 0);
  }
  /* Series capacity and row capacity. */
  const char *s = "a,2024-01-01T00:00Z,1\nb,2024-01-01T00:00Z,1\n";
  ami_mdm_import_out o = staging();
  o.series_cap = 1;
  assert_ami(AMI_E_BUFFER_FULL,
             ami_mdm_import_csv(&opt, (const uint8_t *)s, strlen(s), &o));
  assert_int_equal(o.err.line, 2);
  o = staging();
  o.rows_cap = 1;
  assert_ami(AMI_E_BUFFER_FULL,
             ami_mdm_import_csv(&opt, (const uint8_t *)s, strlen(s), &o));
  /* Every truncation: OK (at a line end or with a complete last line),
   * or TRUNCATED; never a crash or an over-read; never half staged. */
  const char *t = "id,t,v\nm1,2024-03-31T00:30:00+01:00,0.25,A\n"
                  "m2,2024-03-31T01:00:00Z,1\n";
  for (size_t cut = 0; cut <= strlen(t); cut++) {
    uint8_t *g = ami_test_guarded_copy((const uint8_t *)t, cut);
    o = staging();
    int rc = ami_mdm_import_csv(&opt, g, cut, &o);
    assert_true(rc == AMI_OK || rc == AMI_E_TRUNCATED);
    if (rc != AMI_OK)
      assert_int_equal(o.n_rows, 0);
    ami_test_guarded_free(g, cut);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nem12_ausnet_real),
      cmocka_unit_test(test_nem12_home_real),
      cmocka_unit_test(test_nem12_sample),
      cmocka_unit_test(test_nem12_malformed),
      cmocka_unit_test(test_nem12_every_truncation),
      cmocka_unit_test(test_csv_generic),
      cmocka_unit_test(test_csv_lcl),
      cmocka_unit_test(test_csv_malformed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
