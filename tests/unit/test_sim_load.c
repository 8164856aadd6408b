/*
 * test_sim_load.c -- lib/sim load models: dataset parsers (LCL, Ausgrid,
 * UCI), gap filling, the exactness of the sub-interval shape (every half
 * hour's energy equals the dataset's value to the microjoule), power/energy
 * consistency, determinism by seed, PV sanity, synthetic households, and a
 * fleet of 1,000 households over a day.
 *
 * Expected values come from the data files themselves (the numbers are
 * copied from the CSV lines quoted next to them) or from the datasets'
 * published row counts (shared/data/README.md), never from our output.
 */
#include "ami_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ami/ami_sim_load.h"
#include "ami/ami_sim_rng.h"

#define UJ AMI_SIM_UJ_PER_MWH
#define HH AMI_SIM_SLOT_MS

/* 2013-01-01T00:00:00Z and other instants used below (date -u +%s). */
#define T2013     1356998400000ull
#define T20130615 1371254400000ull

static char *read_sample(const char *name, size_t *len) {
  const char *src = getenv("AMI_SOURCE_DIR");
  if (!src)
    fail_msg("AMI_SOURCE_DIR is not set (run through ctest)");
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/data/sim/%s", src, name);
  char *t = ami_test_read_file(path, len);
  if (!t)
    fail_msg("cannot read %s", path);
  return t;
}

/* Field by field (the struct has padding). */
static void assert_same_power(const ami_sim_power *a, const ami_sim_power *b) {
  assert_int_equal(a->p_mw, b->p_mw);
  assert_int_equal(a->q_mvar, b->q_mvar);
  assert_int_equal(a->load_mw, b->load_mw);
  assert_int_equal(a->gen_mw, b->gen_mw);
  assert_int_equal(a->h3_permille, b->h3_permille);
  assert_int_equal(a->h5_permille, b->h5_permille);
  assert_int_equal(a->flag, b->flag);
}

static ami_sim_dataset *parse_lcl_text(const char *text) {
  ami_sim_dataset *ds = NULL;
  uint64_t line = 99;
  assert_ami_ok(ami_sim_dataset_parse_lcl((const uint8_t *)text, strlen(text),
                                          NULL, NULL, &ds, &line));
  assert_non_null(ds);
  return ds;
}

/* ---------------------------------------------------------------------- */
/* Parsing                                                                 */

static const char lcl_small[] =
    "LCLid,tstp,energy(kWh/hh)\n"
    "MAC000002,2013-01-01 00:00:00, 0.219 \n"
    "MAC000002,2013-01-01 00:30:00, 0.1 \n"
    /* 01:00 and 01:30 missing: a two-slot gap, interpolated */
    "MAC000002,2013-01-01 02:00:00, 0.4 \n"
    "MAC000002,2013-01-01 02:30:00, 1.0779999 \r\n"
    "MAC000009,2013-01-01 00:00:00,0.48200000000000004\n"
    "MAC000009,2013-01-01 00:30:00, 0 \n"
    "\n"
    "MAC000009,2013-01-01 02:30:00, Null \n"
    "MAC000002,2013-01-01 03:00:00, 2.5e-1\n";

static void test_lcl_parse_values(void **state) {
  (void)state;
  ami_sim_dataset *ds = parse_lcl_text(lcl_small);
  assert_int_equal(ami_sim_dataset_kind_of(ds), AMI_SIM_DS_LCL);
  assert_int_equal(ami_sim_dataset_households(ds), 2);
  assert_int_equal(ami_sim_dataset_slots(ds), 7); /* 00:00 .. 03:00 */
  assert_int_equal(ami_sim_dataset_slot_ms(ds), HH);
  assert_int_equal(ami_sim_dataset_start_ms(ds), (int64_t)T2013);
  assert_string_equal(ami_sim_dataset_id(ds, 0), "MAC000002");
  assert_string_equal(ami_sim_dataset_id(ds, 1), "MAC000009");
  assert_null(ami_sim_dataset_id(ds, 2));
  uint32_t idx = 9;
  assert_ami_ok(ami_sim_dataset_find(ds, "MAC000009", &idx));
  assert_int_equal(idx, 1);
  assert_ami(AMI_E_NOT_FOUND, ami_sim_dataset_find(ds, "MAC000003", &idx));

  int32_t a, b;
  uint8_t f;
  /* " 0.219 " kWh = 219,000 mWh, measured. */
  assert_ami_ok(ami_sim_dataset_value(ds, 0, 0, &a, &b, &f));
  assert_int_equal(a, 219000);
  assert_int_equal(b, 0);
  assert_int_equal(f, AMI_SIM_SLOT_MEASURED);
  /* Gap 01:00, 01:30 between 0.1 and 0.4 kWh: 0.2 and 0.3. */
  assert_ami_ok(ami_sim_dataset_value(ds, 0, 2, &a, NULL, &f));
  assert_int_equal(a, 200000);
  assert_int_equal(f, AMI_SIM_SLOT_INTERPOLATED);
  assert_ami_ok(ami_sim_dataset_value(ds, 0, 3, &a, NULL, &f));
  assert_int_equal(a, 300000);
  assert_int_equal(f, AMI_SIM_SLOT_INTERPOLATED);
  /* 1.0779999 kWh rounds to 1,078,000 mWh (a float32 artefact). */
  assert_ami_ok(ami_sim_dataset_value(ds, 0, 5, &a, NULL, &f));
  assert_int_equal(a, 1078000);
  /* Exponent form: 2.5e-1 kWh. */
  assert_ami_ok(ami_sim_dataset_value(ds, 0, 6, &a, NULL, &f));
  assert_int_equal(a, 250000);
  /* 0.48200000000000004 kWh -> 482,000 mWh. */
  assert_ami_ok(ami_sim_dataset_value(ds, 1, 0, &a, NULL, &f));
  assert_int_equal(a, 482000);
  /* MAC000009 from 01:00: nothing after 00:30 is measured (Null is
   * missing): an open-ended gap, substituted from the household's mean of
   * (482000 + 0) / 2. */
  for (uint32_t k = 2; k < 7; k++) {
    assert_ami_ok(ami_sim_dataset_value(ds, 1, k, &a, NULL, &f));
    assert_int_equal(f, AMI_SIM_SLOT_SUBSTITUTED);
    assert_int_equal(a, 241000);
  }
  assert_ami(AMI_E_RANGE, ami_sim_dataset_value(ds, 2, 0, &a, NULL, &f));
  assert_ami(AMI_E_RANGE, ami_sim_dataset_value(ds, 0, 7, &a, NULL, &f));
  uint64_t counts[4];
  ami_sim_dataset_flag_counts(ds, counts);
  assert_int_equal(counts[AMI_SIM_SLOT_MEASURED], 7);
  assert_int_equal(counts[AMI_SIM_SLOT_INTERPOLATED], 2);
  assert_int_equal(counts[AMI_SIM_SLOT_SUBSTITUTED], 5);
  assert_int_equal(counts[AMI_SIM_SLOT_NO_DATA], 0);
  ami_sim_dataset_free(ds);
  ami_sim_dataset_free(NULL);
}

typedef struct bad_case {
  const char *text;
  int err;
  uint64_t line;
} bad_case;

static void test_lcl_parse_errors(void **state) {
  (void)state;
  static const bad_case cases[] = {
      {"LCLid,tstp,energy\nA,2013-01-01 00:00:00,0.1\nA,2013-01-01 0:30:00,1\n",
       AMI_E_SYNTAX, 3},
      {"A,2013-01-01 00:00:00,0.1\nA,2013-01-01 00:15:00,0.1\n",
       AMI_E_INCONSISTENT, 2}, /* not on a half-hour boundary */
      {"A,2013-01-01 00:00:00,0.1\nB,2013-01-01 00:00:00,0.1\n"
       "A,2013-01-01 00:00:00,0.2\n",
       AMI_E_INCONSISTENT, 3}, /* duplicate (household, slot) */
      {"A,2013-01-01 00:00:00,-0.1\n", AMI_E_RANGE, 1},
      {"A,2013-13-01 00:00:00,0.1\n", AMI_E_RANGE, 1},
      {"A,2013-02-29 00:00:00,0.1\n", AMI_E_RANGE, 1}, /* not a leap year */
      {"A,1969-12-31 23:30:00,0.1\n", AMI_E_RANGE, 1},
      {"A,2013-01-01 00:00:00,100000.0001\n", AMI_E_RANGE, 1},
      {"A,2013-01-01 00:00:00,0.1\n\nA,2013-01-01 00:30:00,0.1x\n",
       AMI_E_SYNTAX, 3},
      {"A,2013-01-01 00:00:00,.\n", AMI_E_SYNTAX, 1},
      {"A,2013-01-01 00:00:00,1e\n", AMI_E_SYNTAX, 1},
      {"A,2013-01-01 00:00:00\n", AMI_E_SYNTAX, 1},
      {"A,2013-01-01 00:00:00,0.1,5\n", AMI_E_SYNTAX, 1},
      {",2013-01-01 00:00:00,0.1\n", AMI_E_SYNTAX, 1},
      {"MAC0000000000002X,2013-01-01 00:00:00,0.1\n", AMI_E_SYNTAX, 1},
      {"A B,2013-01-01 00:00:00,0.1\n", AMI_E_SYNTAX, 1},
      {"LCLid,tstp\nLCLid,tstp\n", AMI_E_SYNTAX, 2}, /* header only once */
      {"", AMI_E_NOT_FOUND, 0},
      {"LCLid,tstp,energy(kWh/hh)\n\n", AMI_E_NOT_FOUND, 0},
      /* 9000 years apart: more slots than the limit, before allocating. */
      {"A,1970-01-01 00:00:00,0.1\nA,9999-01-01 00:00:00,0.1\n", AMI_E_LIMIT,
       0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ami_sim_dataset *ds = (ami_sim_dataset *)&ds; /* must become NULL */
    uint64_t line = 12345;
    int rc = ami_sim_dataset_parse_lcl((const uint8_t *)cases[i].text,
                                       strlen(cases[i].text), NULL, NULL, &ds,
                                       &line);
    if (rc != cases[i].err || line != cases[i].line)
      fail_msg("case %zu: got %s line %llu, expected %s line %llu", i,
               ami_err_name(rc), (unsigned long long)line,
               ami_err_name(cases[i].err), (unsigned long long)cases[i].line);
    assert_null(ds);
  }
  /* The household limit names the line of the first household too many. */
  ami_sim_parse_limits lim = {2, 0, 0};
  const char *t = "A,2013-01-01 00:00:00,0.1\nB,2013-01-01 00:00:00,0.1\n"
                  "A,2013-01-01 00:30:00,0.1\nC,2013-01-01 00:00:00,0.1\n";
  ami_sim_dataset *ds;
  uint64_t line = 0;
  assert_ami(AMI_E_LIMIT,
             ami_sim_dataset_parse_lcl((const uint8_t *)t, strlen(t), NULL,
                                       &lim, &ds, &line));
  assert_int_equal(line, 4);
  /* Cells limit. */
  ami_sim_parse_limits lim2 = {0, 0, 5};
  assert_ami(AMI_E_LIMIT,
             ami_sim_dataset_parse_lcl((const uint8_t *)t, strlen(t), NULL,
                                       &lim2, &ds, &line));
  assert_ami(AMI_E_INVAL,
             ami_sim_dataset_parse_lcl(NULL, 1, NULL, NULL, &ds, NULL));
}

/* Every prefix of a valid file parses or fails cleanly, reading nothing past
 * its end (guarded copy), and a prefix ending at a line end parses. */
static void test_lcl_prefixes(void **state) {
  (void)state;
  size_t n = strlen(lcl_small);
  for (size_t k = 0; k <= n; k++) {
    uint8_t *g = ami_test_guarded_copy((const uint8_t *)lcl_small, k);
    ami_sim_dataset *ds = NULL;
    uint64_t line;
    int rc = ami_sim_dataset_parse_lcl(g, k, NULL, NULL, &ds, &line);
    if (rc == AMI_OK)
      ami_sim_dataset_free(ds);
    else
      assert_null(ds);
    if (k > 30 && lcl_small[k - 1] == '\n')
      assert_ami_ok(rc);
    ami_test_guarded_free(g, k);
  }
}

/* Every allocation failure is reported as AMI_E_NOMEM and leaks nothing. */
static void test_lcl_failing_allocator(void **state) {
  (void)state;
  bool succeeded = false;
  for (long i = 0; i < 64 && !succeeded; i++) {
    ami_test_failalloc fa;
    ami_test_failalloc_init(&fa, i);
    ami_sim_dataset *ds = NULL;
    int rc =
        ami_sim_dataset_parse_lcl((const uint8_t *)lcl_small, strlen(lcl_small),
                                  &fa.base, NULL, &ds, NULL);
    if (rc == AMI_OK) {
      succeeded = true;
      ami_sim_dataset_free(ds);
    } else {
      assert_ami(AMI_E_NOMEM, rc);
      assert_null(ds);
    }
    assert_int_equal(fa.live, 0);
  }
  assert_true(succeeded);
}

/* ---------------------------------------------------------------------- */
/* Exactness and consistency                                               */

/* The household's energy over dataset slot k equals the dataset's value;
 * also checks that import - export = load - gen. */
static void check_slot_exact(ami_sim_household *h, const ami_sim_dataset *ds,
                             uint32_t hh, uint32_t k) {
  int32_t a, b;
  assert_ami_ok(ami_sim_dataset_value(ds, hh, k, &a, &b, NULL));
  uint64_t t0 = (uint64_t)ami_sim_dataset_start_ms(ds) + (uint64_t)k * HH;
  ami_sim_energy e;
  ami_sim_household_energy(h, t0, t0 + HH, &e);
  if (e.load_uj != (int64_t)a * UJ || e.gen_uj != (int64_t)b * UJ)
    fail_msg("household %u slot %u: load %lld uJ gen %lld uJ, dataset %d "
             "mWh / %d mWh",
             hh, k, (long long)e.load_uj, (long long)e.gen_uj, a, b);
  assert_true(e.import_uj - e.export_uj == e.load_uj - e.gen_uj);
  assert_true(e.import_uj >= 0 && e.export_uj >= 0);
}

/* Power and energy agree at every instant: the energy over one millisecond
 * is the power then (mW * 1 ms = 1 uJ per mW); and energy is additive over
 * an arbitrary split of a slot. */
static void check_consistency(ami_sim_household *h, uint64_t t0,
                              ami_sim_rng *r) {
  for (int i = 0; i < 20; i++) {
    uint64_t t = t0 + ami_sim_rng_below(r, HH);
    ami_sim_power p;
    ami_sim_energy e;
    ami_sim_household_power(h, t, &p);
    ami_sim_household_energy(h, t, t + 1, &e);
    assert_int_equal(e.load_uj, p.load_mw);
    assert_int_equal(e.gen_uj, p.gen_mw);
    assert_int_equal(e.reactive_mvarms, p.q_mvar);
    assert_int_equal(e.import_uj, p.p_mw > 0 ? p.p_mw : 0);
    assert_int_equal(e.export_uj, p.p_mw < 0 ? -p.p_mw : 0);
    assert_int_equal(p.p_mw, p.load_mw - p.gen_mw);
    assert_true(p.load_mw >= 0 && p.gen_mw >= 0);
  }
  uint64_t cut = t0 + ami_sim_rng_below(r, HH);
  ami_sim_energy whole, x, y;
  ami_sim_household_energy(h, t0, t0 + HH, &whole);
  ami_sim_household_energy(h, t0, cut, &x);
  ami_sim_household_energy(h, cut, t0 + HH, &y);
  assert_true(x.load_uj + y.load_uj == whole.load_uj);
  assert_true(x.gen_uj + y.gen_uj == whole.gen_uj);
  assert_true(x.import_uj + y.import_uj == whole.import_uj);
  assert_true(x.export_uj + y.export_uj == whole.export_uj);
  assert_true(x.reactive_mvarms + y.reactive_mvarms == whole.reactive_mvarms);
}

static void test_lcl_sample_exact(void **state) {
  (void)state;
  size_t len;
  char *text = read_sample("lcl-sample.csv", &len);
  ami_sim_dataset *ds = NULL;
  assert_ami_ok(
      ami_sim_dataset_parse_lcl((uint8_t *)text, len, NULL, NULL, &ds, NULL));
  free(text); /* the dataset does not borrow the text */
  assert_int_equal(ami_sim_dataset_households(ds), 3);
  assert_int_equal(ami_sim_dataset_slots(ds), 144);
  assert_int_equal(ami_sim_dataset_start_ms(ds), (int64_t)T20130615);
  /* The real gap: MAC000009 lacks 2013-06-16 17:00 .. 21:00 (9 slots). */
  uint32_t m9;
  assert_ami_ok(ami_sim_dataset_find(ds, "MAC000009", &m9));
  uint64_t counts[4];
  ami_sim_dataset_flag_counts(ds, counts);
  assert_int_equal(counts[AMI_SIM_SLOT_MEASURED], 3 * 144 - 9);
  assert_int_equal(counts[AMI_SIM_SLOT_SUBSTITUTED], 9);
  uint8_t f;
  assert_ami_ok(ami_sim_dataset_value(ds, m9, 48 + 34, NULL, NULL, &f));
  assert_int_equal(f, AMI_SIM_SLOT_SUBSTITUTED);
  ami_sim_rng r;
  ami_sim_rng_seed(&r, 7);
  for (uint32_t hh = 0; hh < 3; hh++)
    for (uint64_t seed = 1; seed <= 20; seed++) {
      ami_sim_household h;
      assert_ami_ok(ami_sim_household_init(&h, ds, hh, seed));
      for (uint32_t k = 0; k < 144; k++)
        check_slot_exact(&h, ds, hh, k);
      check_consistency(&h, T20130615 + 40 * (uint64_t)HH, &r);
    }
  ami_sim_dataset_free(ds);
}

/* The literal values of the sample's lines, checked through the dataset. */
static void test_lcl_sample_literal(void **state) {
  (void)state;
  size_t len;
  char *text = read_sample("lcl-sample.csv", &len);
  ami_sim_dataset *ds = NULL;
  assert_ami_ok(
      ami_sim_dataset_parse_lcl((uint8_t *)text, len, NULL, NULL, &ds, NULL));
  /* Every data line of the sample: parse it here with sscanf (an
   * independent reader) and compare with the dataset. */
  char *save = NULL;
  unsigned checked = 0;
  for (char *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char id[32];
    int y, mo, d, hh, mi, ss;
    double kwh;
    if (sscanf(line, "%31[^,],%d-%d-%d %d:%d:%d,%lf", id, &y, &mo, &d, &hh, &mi,
               &ss, &kwh) != 8)
      continue;
    uint32_t idx;
    assert_ami_ok(ami_sim_dataset_find(ds, id, &idx));
    uint32_t slot = (uint32_t)((d - 15) * 48 + hh * 2 + mi / 30);
    int32_t a;
    uint8_t f;
    assert_ami_ok(ami_sim_dataset_value(ds, idx, slot, &a, NULL, &f));
    assert_int_equal(f, AMI_SIM_SLOT_MEASURED);
    assert_int_equal(a, (int32_t)(kwh * 1e6 + 0.5));
    checked++;
  }
  assert_int_equal(checked, 3 * 144 - 9);
  free(text);
  ami_sim_dataset_free(ds);
}

static void test_determinism(void **state) {
  (void)state;
  size_t len;
  char *text = read_sample("lcl-sample.csv", &len);
  ami_sim_dataset *ds = NULL;
  assert_ami_ok(
      ami_sim_dataset_parse_lcl((uint8_t *)text, len, NULL, NULL, &ds, NULL));
  free(text);
  ami_sim_household a, b, c;
  assert_ami_ok(ami_sim_household_init(&a, ds, 0, 42));
  assert_ami_ok(ami_sim_household_init(&b, ds, 0, 42));
  assert_ami_ok(ami_sim_household_init(&c, ds, 0, 43));
  unsigned differ = 0;
  /* b is asked backwards in time: the cache must not matter. */
  for (int i = 0; i < 2 * 1440; i++) {
    uint64_t ta = T20130615 + (uint64_t)i * 60000 + 1234;
    uint64_t tb = T20130615 + (uint64_t)(2 * 1440 - 1 - i) * 60000 + 1234;
    ami_sim_power pa, pb, pc;
    ami_sim_household_power(&a, ta, &pa);
    ami_sim_household_power(&b, tb, &pb);
    ami_sim_household_power(&c, ta, &pc);
    ami_sim_household_power(&b, ta, &pb);
    assert_same_power(&pa, &pb);
    differ += pa.p_mw != pc.p_mw;
  }
  /* Different seeds give different minute shapes (same half-hour sums). */
  assert_true(differ > 1000);
  /* The offset moves the replay: household at t + 1 day with offset -1 day
   * equals the household at t. */
  ami_sim_household_set_offset(&b, -86400000);
  for (int i = 0; i < 100; i++) {
    uint64_t t = T20130615 + (uint64_t)i * 777777;
    ami_sim_power pa, pb;
    ami_sim_household_power(&a, t, &pa);
    ami_sim_household_power(&b, t + 86400000, &pb);
    assert_int_equal(pa.load_mw, pb.load_mw);
  }
  /* Outside the data span the dataset repeats: 3 days later is the same
   * half-hour energy (the sample spans exactly 3 days). */
  ami_sim_energy e1, e2;
  ami_sim_household_energy(&a, T20130615, T20130615 + HH, &e1);
  ami_sim_household_energy(&a, T20130615 + 3 * 86400000ull,
                           T20130615 + 3 * 86400000ull + HH, &e2);
  assert_true(e1.load_uj == e2.load_uj);
  ami_sim_household h;
  assert_ami(AMI_E_RANGE, ami_sim_household_init(&h, ds, 3, 1));
  ami_sim_dataset_free(ds);
}

/* The shape is not flat: events make the minute powers vary inside busy
 * half hours, and the reactive power follows the appliance mix. */
static void test_shape_is_realistic(void **state) {
  (void)state;
  size_t len;
  char *text = read_sample("lcl-sample.csv", &len);
  ami_sim_dataset *ds = NULL;
  assert_ami_ok(
      ami_sim_dataset_parse_lcl((uint8_t *)text, len, NULL, NULL, &ds, NULL));
  free(text);
  ami_sim_household h;
  assert_ami_ok(ami_sim_household_init(&h, ds, 0, 5));
  int32_t pmax = 0, pmin = INT32_MAX;
  int64_t p_sum = 0, q_sum = 0;
  for (int i = 0; i < 3 * 1440; i++) {
    ami_sim_power p;
    ami_sim_household_power(&h, T20130615 + (uint64_t)i * 60000, &p);
    if (p.p_mw > pmax)
      pmax = p.p_mw;
    if (p.p_mw < pmin)
      pmin = p.p_mw;
    p_sum += p.p_mw;
    q_sum += p.q_mvar;
    assert_true(p.h3_permille <= 1000 && p.h5_permille <= 1000);
  }
  assert_true(pmax > 1500000); /* some kettle or oven, > 1.5 kW */
  assert_true(pmin < 200000);  /* a quiet night minute */
  /* Household power factor between 0.85 and 0.999 on average. */
  double tanphi = (double)q_sum / (double)p_sum;
  assert_true(tanphi > 0.045 && tanphi < 0.62);
  ami_sim_dataset_free(ds);
}

/* ---------------------------------------------------------------------- */
/* PV                                                                      */

static void test_ausgrid_pv(void **state) {
  (void)state;
  size_t len;
  char *text = read_sample("ausgrid-sample.csv", &len);
  ami_sim_dataset *ds = NULL;
  assert_ami_ok(ami_sim_dataset_parse_ausgrid(
      (uint8_t *)text, len, 600, AMI_SIM_DST_AU_SE, NULL, NULL, &ds, NULL));
  free(text);
  assert_int_equal(ami_sim_dataset_kind_of(ds), AMI_SIM_DS_AUSGRID);
  assert_int_equal(ami_sim_dataset_households(ds), 1);
  assert_int_equal(ami_sim_dataset_slots(ds), 96);
  /* 2012-01-10 00:00 AEST = 2012-01-09T14:00:00Z. */
  assert_int_equal(ami_sim_dataset_start_ms(ds), 1326117600000ll);
  int32_t a, b;
  /* "2012-01-10 00:00:00,0.584,0.0" */
  assert_ami_ok(ami_sim_dataset_value(ds, 0, 0, &a, &b, NULL));
  assert_int_equal(a, 584000);
  assert_int_equal(b, 0);
  uint64_t t0 = 1326117600000ull;
  ami_sim_rng r;
  ami_sim_rng_seed(&r, 3);
  bool exported = false;
  for (uint64_t seed = 1; seed <= 10; seed++) {
    ami_sim_household h;
    assert_ami_ok(ami_sim_household_init(&h, ds, 0, seed));
    for (uint32_t k = 0; k < 96; k++) {
      check_slot_exact(&h, ds, 0, k);
      assert_ami_ok(ami_sim_dataset_value(ds, 0, k, NULL, &b, NULL));
      uint64_t ts = t0 + (uint64_t)k * HH;
      for (int i = 0; i < 60; i++) {
        ami_sim_power p;
        ami_sim_household_power(&h, ts + (uint64_t)i * 30000 + 17, &p);
        assert_true(p.gen_mw >= 0);
        if (b == 0)
          assert_int_equal(p.gen_mw, 0); /* no generation in the data */
        exported |= p.p_mw < 0;
      }
    }
    check_consistency(&h, t0 + 24 * (uint64_t)HH, &r); /* noon */
  }
  assert_true(exported); /* a sunny Sydney summer day exports */
  /* At the sample's midnights (local) the PV is zero. */
  ami_sim_household h;
  assert_ami_ok(ami_sim_household_init(&h, ds, 0, 1));
  ami_sim_power p;
  ami_sim_household_power(&h, t0 + 60000, &p);
  assert_int_equal(p.gen_mw, 0);
  ami_sim_dataset_free(ds);
}

/* ---------------------------------------------------------------------- */
/* UCI one-minute data                                                     */

static void test_uci_minutes(void **state) {
  (void)state;
  size_t len;
  char *text = read_sample("uci-sample.csv", &len);
  ami_sim_dataset *ds = NULL;
  /* Local clock at UTC+1 (winter in France). */
  assert_ami_ok(ami_sim_dataset_parse_uci((uint8_t *)text, len, 60, NULL, NULL,
                                          &ds, NULL));
  free(text);
  assert_int_equal(ami_sim_dataset_slot_ms(ds), 60000);
  assert_int_equal(ami_sim_dataset_slots(ds), 120);
  /* 14/1/2007 18:00 CET = 17:00Z = 1168794000 s. */
  assert_int_equal(ami_sim_dataset_start_ms(ds), 1168794000000ll);
  int32_t a, b;
  uint8_t f;
  /* "19800,14/1/2007,18:00:00,4.878,0.22,..." */
  assert_ami_ok(ami_sim_dataset_value(ds, 0, 0, &a, &b, &f));
  assert_int_equal(a, 4878);
  assert_int_equal(b, 220);
  /* 18:36 is "?": interpolated between 18:35 (3.222, 0.312) and 18:37
   * (3.204, 0.202). */
  assert_ami_ok(ami_sim_dataset_value(ds, 0, 36, &a, &b, &f));
  assert_int_equal(f, AMI_SIM_SLOT_INTERPOLATED);
  assert_int_equal(a, 3213);
  assert_int_equal(b, 257);
  /* The household shows the minute's power exactly. */
  ami_sim_household h;
  assert_ami_ok(ami_sim_household_init(&h, ds, 0, 1));
  ami_sim_power p;
  ami_sim_household_power(&h, 1168794000000ull + 59999, &p);
  assert_int_equal(p.p_mw, 4878000);
  assert_int_equal(p.q_mvar, 220000);
  ami_sim_household_power(&h, 1168794000000ull + 36 * 60000, &p);
  assert_int_equal(p.flag, AMI_SIM_SLOT_INTERPOLATED);
  ami_sim_energy e;
  ami_sim_household_energy(&h, 1168794000000ull, 1168794000000ull + 60000, &e);
  assert_true(e.load_uj == 4878000ll * 60000);
  ami_sim_dataset_free(ds);
}

/* ---------------------------------------------------------------------- */
/* Synthetic households                                                    */

static void test_synthetic(void **state) {
  (void)state;
  ami_sim_synth_params sp;
  ami_sim_synth_params_random(&sp, 1);
  sp.appliances = AMI_SIM_HAS_EV | AMI_SIM_HAS_PV | AMI_SIM_HAS_HEAT_PUMP |
                  AMI_SIM_HAS_ELECTRIC_COOKING;
  ami_sim_household a, b;
  ami_sim_household_init_synthetic(&a, &sp, 99);
  ami_sim_household_init_synthetic(&b, &sp, 99);
  /* A June week and a January week in London. */
  const uint64_t starts[2] = {T20130615, T2013 + 7 * 86400000ull};
  for (int w = 0; w < 2; w++) {
    int64_t load = 0, gen = 0;
    int32_t pmax = 0;
    ami_sim_rng r;
    ami_sim_rng_seed(&r, 11);
    for (int i = 0; i < 7 * 1440; i++) {
      uint64_t t = starts[w] + (uint64_t)i * 60000 + 30000;
      ami_sim_power pa, pb;
      ami_sim_household_power(&a, t, &pa);
      ami_sim_household_power(&b, t, &pb);
      assert_same_power(&pa, &pb);
      assert_true(pa.gen_mw >= 0 && pa.load_mw > 0);
      load += pa.load_mw;
      gen += pa.gen_mw;
      if (pa.load_mw > pmax)
        pmax = pa.load_mw;
      /* 00:00-02:00 UTC in London: night all year, no PV. */
      if ((t / 60000) % 1440 < 120)
        assert_int_equal(pa.gen_mw, 0);
    }
    check_consistency(&a, starts[w] + 25 * (uint64_t)HH, &r);
    double kwh_day = (double)load / 60.0 / 1e6 / 7.0;
    double gen_day = (double)gen / 60.0 / 1e6 / 7.0;
    /* A household with EV and heat pump: 8..80 kWh a day. */
    assert_true(kwh_day > 8 && kwh_day < 80);
    assert_true(pmax >= sp.ev_w * 1000); /* the EV charged at some point */
    if (w == 0)
      assert_true(gen_day > 0.5 * sp.pv_wp / 1000.0); /* June sun */
    else
      assert_true(gen_day < 1.5 * sp.pv_wp / 1000.0); /* January */
  }
  /* Per-appliance power factor and harmonics: while the EV charges (an
   * active-PFC charger, tan phi 0.05, low distortion) the household's Q/P
   * and 3rd harmonic are small; with only standby electronics on, the
   * current is rich in harmonics. */
  ami_sim_synth_params ev = sp;
  ev.appliances = AMI_SIM_HAS_EV;
  ami_sim_household e;
  ami_sim_household_init_synthetic(&e, &ev, 7);
  unsigned charging = 0, standby_only = 0;
  for (int i = 0; i < 7 * 1440; i++) {
    ami_sim_power p;
    ami_sim_household_power(&e, T20130615 + (uint64_t)i * 60000, &p);
    if (p.load_mw >= ev.ev_w * 1000) {
      charging++;
      assert_true(p.q_mvar * 10 < p.load_mw);
      assert_true(p.h3_permille < 150);
    } else if (p.load_mw == ev.standby_w * 1000) {
      standby_only++;
      assert_true(p.h3_permille > 500);
      assert_true(p.q_mvar < 0); /* rectifier front ends: capacitive */
    }
  }
  assert_true(charging > 60 && standby_only > 60);
  /* A different seed gives a different household day. */
  ami_sim_household c;
  ami_sim_household_init_synthetic(&c, &sp, 100);
  ami_sim_energy ea, ec;
  ami_sim_household_energy(&a, T20130615, T20130615 + 86400000ull, &ea);
  ami_sim_household_energy(&c, T20130615, T20130615 + 86400000ull, &ec);
  assert_true(ea.load_uj != ec.load_uj);
  /* NULL parameters: drawn from the seed, reproducibly. */
  ami_sim_household d1, d2;
  ami_sim_household_init_synthetic(&d1, NULL, 5);
  ami_sim_household_init_synthetic(&d2, NULL, 5);
  ami_sim_household_energy(&d1, T2013, T2013 + 86400000ull, &ea);
  ami_sim_household_energy(&d2, T2013, T2013 + 86400000ull, &ec);
  assert_memory_equal(&ea, &ec, sizeof ea);
}

/* The PRNG: xoshiro256** seeded by splitmix64. Expected values: splitmix64
 * from state 0 and xoshiro256** from state {1, 2, 3, 4}, as given by the
 * reference algorithms (prng.di.unimi.it) and re-derived with an independent
 * Python transcription of them (the first is rotl(2 * 5, 7) * 9 = 11520). */
static void test_rng(void **state) {
  (void)state;
  uint64_t x = 0;
  assert_true(ami_sim_splitmix64(&x) == 0xE220A8397B1DCDAFull);
  assert_true(ami_sim_splitmix64(&x) == 0x6E789E6AA1B965F4ull);
  ami_sim_rng r = {{1, 2, 3, 4}};
  assert_true(ami_sim_rng_next(&r) == 11520ull);
  assert_true(ami_sim_rng_next(&r) == 0ull);
  assert_true(ami_sim_rng_next(&r) == 1509978240ull);
  assert_true(ami_sim_rng_next(&r) == 1215971899390074240ull);
  ami_sim_rng_seed(&r, 1);
  for (int i = 0; i < 1000; i++) {
    double u = ami_sim_rng_uniform(&r);
    assert_true(u >= 0.0 && u < 1.0);
    assert_true(ami_sim_rng_below(&r, 7) < 7);
  }
}

/* Daylight-saving transitions, instants taken from the system's tz
 * database (TZ=Australia/Sydney and TZ=Europe/London `date -d @...`). */
static void test_dst(void **state) {
  (void)state;
  const int64_t h = 3600000, s = 1000;
  /* Sydney: AEDT from 2011-10-02 02:00 AEST (1317484800), AEST again from
   * 2012-04-01 03:00 AEDT (1333209600). */
  assert_int_equal(ami_sim_dst_shift_ms(AMI_SIM_DST_AU_SE, 1317484799 * s, 600),
                   0);
  assert_int_equal(ami_sim_dst_shift_ms(AMI_SIM_DST_AU_SE, 1317484800 * s, 600),
                   h);
  assert_int_equal(ami_sim_dst_shift_ms(AMI_SIM_DST_AU_SE, 1326117600 * s, 600),
                   h); /* Jan */
  assert_int_equal(ami_sim_dst_shift_ms(AMI_SIM_DST_AU_SE, 1333209599 * s, 600),
                   h);
  assert_int_equal(ami_sim_dst_shift_ms(AMI_SIM_DST_AU_SE, 1333209600 * s, 600),
                   0);
  /* London: BST from 2013-03-31 01:00Z to 2013-10-27 01:00Z. */
  assert_int_equal(ami_sim_dst_shift_ms(AMI_SIM_DST_EU, 1364691599 * s, 0), 0);
  assert_int_equal(ami_sim_dst_shift_ms(AMI_SIM_DST_EU, 1364691600 * s, 0), h);
  assert_int_equal(ami_sim_dst_shift_ms(AMI_SIM_DST_EU, 1382835599 * s, 0), h);
  assert_int_equal(ami_sim_dst_shift_ms(AMI_SIM_DST_EU, 1382835600 * s, 0), 0);
  assert_int_equal(ami_sim_dst_shift_ms(AMI_SIM_DST_NONE, 1371254400 * s, 0),
                   0);
  ami_sim_dataset *ds;
  assert_ami(AMI_E_RANGE, ami_sim_dataset_parse_ausgrid((const uint8_t *)"", 0,
                                                        600, (ami_sim_dst)7,
                                                        NULL, NULL, &ds, NULL));
}

/* ---------------------------------------------------------------------- */
/* A fleet                                                                 */

/* 1,000 households (the sample's three households, different seeds and
 * offsets) over one day at one-minute steps, then each day's energy
 * through the integral: quick, and the daily energy is the data's. */
static void test_fleet(void **state) {
  (void)state;
  size_t len;
  char *text = read_sample("lcl-sample.csv", &len);
  ami_sim_dataset *ds = NULL;
  assert_ami_ok(
      ami_sim_dataset_parse_lcl((uint8_t *)text, len, NULL, NULL, &ds, NULL));
  free(text);
  enum { N = 1000 };
  ami_sim_household *fleet = calloc(N, sizeof *fleet);
  assert_non_null(fleet);
  for (uint32_t i = 0; i < N; i++) {
    assert_ami_ok(ami_sim_household_init(&fleet[i], ds, i % 3, 1000 + i));
    ami_sim_household_set_offset(&fleet[i], (int64_t)(i / 3 % 2) * 86400000);
  }
  clock_t c0 = clock();
  int64_t total = 0;
  for (int m = 0; m < 1440; m++)
    for (uint32_t i = 0; i < N; i++) {
      ami_sim_power p;
      ami_sim_household_power(&fleet[i], T20130615 + (uint64_t)m * 60000, &p);
      total += p.p_mw;
    }
  double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
  print_message("fleet: %d households x 1440 minutes in %.2f s CPU "
                "(%zu bytes per household)\n",
                N, secs, sizeof(ami_sim_household));
  assert_true(sizeof(ami_sim_household) <= 1024);
  assert_true(secs < 20.0); /* generous: sanitizers, shared machine */
  assert_true(total > 0);
  /* Day energy of each household = the dataset's 48 slots. */
  for (uint32_t i = 0; i < N; i += 37) {
    ami_sim_energy e;
    ami_sim_household_energy(&fleet[i], T20130615, T20130615 + 86400000ull, &e);
    int64_t want = 0;
    for (uint32_t k = 0; k < 48; k++) {
      int32_t a;
      assert_ami_ok(ami_sim_dataset_value(ds, i % 3, k + (i / 3 % 2) * 48, &a,
                                          NULL, NULL));
      want += a;
    }
    assert_true(e.load_uj == want * UJ);
  }
  free(fleet);
  ami_sim_dataset_free(ds);
}

/* ---------------------------------------------------------------------- */
/* The full datasets in shared/ (skipped when absent)                      */

static char *slurp_cmd(const char *cmd, size_t *len) {
  FILE *f = popen(cmd, "r");
  if (!f)
    return NULL;
  size_t cap = 1 << 20, n = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (n == cap) {
      cap *= 2;
      buf = realloc(buf, cap);
      assert_non_null(buf);
    }
    size_t k = fread(buf + n, 1, cap - n, f);
    if (k == 0)
      break;
    n += k;
  }
  int st = pclose(f);
  if (st != 0) {
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

static void test_full_lcl(void **state) {
  (void)state;
  const char *path =
      ami_test_shared_path("data/lcl-london-100-households-2013.csv.gz");
  if (!path)
    skip();
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "zcat '%s'", path);
  size_t len = 0;
  char *text = slurp_cmd(cmd, &len);
  if (!text) {
    print_message("zcat not available: skipping the full LCL file\n");
    skip();
  }
  ami_sim_dataset *ds = NULL;
  assert_ami_ok(
      ami_sim_dataset_parse_lcl((uint8_t *)text, len, NULL, NULL, &ds, NULL));
  free(text);
  /* shared/data/README.md: 100 households, calendar 2013, 1,674,718
   * readings: so 100 x 17,520 - 1,674,718 = 77,282 slots (4.4 %) are
   * missing and must be exactly the ones filled. */
  assert_int_equal(ami_sim_dataset_households(ds), 100);
  assert_int_equal(ami_sim_dataset_slots(ds), 17520);
  assert_int_equal(ami_sim_dataset_start_ms(ds), (int64_t)T2013);
  uint64_t c[4];
  ami_sim_dataset_flag_counts(ds, c);
  assert_int_equal(c[AMI_SIM_SLOT_MEASURED], 1674718);
  assert_int_equal(c[1] + c[2] + c[3], 77282);
  /* Exactness on random slots of random households. */
  ami_sim_rng r;
  ami_sim_rng_seed(&r, 2013);
  for (int i = 0; i < 2000; i++) {
    uint32_t hh = ami_sim_rng_below(&r, 100), k = ami_sim_rng_below(&r, 17520);
    ami_sim_household h;
    assert_ami_ok(ami_sim_household_init(&h, ds, hh, ami_sim_rng_next(&r)));
    check_slot_exact(&h, ds, hh, k);
  }
  ami_sim_dataset_free(ds);
}

static void test_full_ausgrid(void **state) {
  (void)state;
  const char *path =
      ami_test_shared_path("data/ausgrid-solar-home-customer12-2011-2012.csv");
  if (!path)
    skip();
  size_t len;
  char *text = ami_test_read_file(path, &len);
  assert_non_null(text);
  ami_sim_dataset *ds = NULL;
  assert_ami_ok(ami_sim_dataset_parse_ausgrid(
      (uint8_t *)text, len, 600, AMI_SIM_DST_AU_SE, NULL, NULL, &ds, NULL));
  free(text);
  /* 2011-07-01 .. 2012-06-30: 366 days of 48 slots, none missing. */
  assert_int_equal(ami_sim_dataset_slots(ds), 366 * 48);
  uint64_t c[4];
  ami_sim_dataset_flag_counts(ds, c);
  assert_int_equal(c[AMI_SIM_SLOT_MEASURED], 366 * 48);
  ami_sim_household h;
  assert_ami_ok(ami_sim_household_init(&h, ds, 0, 77));
  for (uint32_t k = 0; k < 366 * 48; k += 7)
    check_slot_exact(&h, ds, 0, k);
  ami_sim_dataset_free(ds);
}

static void test_full_uci(void **state) {
  (void)state;
  const char *path =
      ami_test_shared_path("data/uci-household-sceaux-2007H1.zip");
  if (!path)
    skip();
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "unzip -p '%s' 2>/dev/null", path);
  size_t len = 0;
  char *text = slurp_cmd(cmd, &len);
  if (!text) {
    print_message("unzip not available: skipping the UCI file\n");
    skip();
  }
  ami_sim_dataset *ds = NULL;
  uint64_t line = 0;
  int rc = ami_sim_dataset_parse_uci((uint8_t *)text, len, 60, NULL, NULL, &ds,
                                     &line);
  free(text);
  if (rc)
    fail_msg("UCI: %s at line %llu", ami_err_name(rc),
             (unsigned long long)line);
  /* shared/data/README.md: 260,640 rows, Jan-Jun 2007 (181 days). */
  assert_int_equal(ami_sim_dataset_slots(ds), 260640);
  uint64_t c[4];
  ami_sim_dataset_flag_counts(ds, c);
  assert_true(c[1] + c[2] > 0); /* the file's `?` minutes */
  ami_sim_dataset_free(ds);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rng),
      cmocka_unit_test(test_lcl_parse_values),
      cmocka_unit_test(test_lcl_parse_errors),
      cmocka_unit_test(test_lcl_prefixes),
      cmocka_unit_test(test_lcl_failing_allocator),
      cmocka_unit_test(test_lcl_sample_exact),
      cmocka_unit_test(test_lcl_sample_literal),
      cmocka_unit_test(test_determinism),
      cmocka_unit_test(test_shape_is_realistic),
      cmocka_unit_test(test_ausgrid_pv),
      cmocka_unit_test(test_uci_minutes),
      cmocka_unit_test(test_synthetic),
      cmocka_unit_test(test_dst),
      cmocka_unit_test(test_fleet),
      cmocka_unit_test(test_full_lcl),
      cmocka_unit_test(test_full_ausgrid),
      cmocka_unit_test(test_full_uci),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
