/*
 * test_mdm_vee.c -- lib/mdm VEE: local days with DST (EU and NSW rules),
 * grid alignment, every validation rule with a passing and a failing case,
 * every estimation method on hand-made series with hand-computed values,
 * and estimation accuracy on a sample of real London households.
 */
#include "ami_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_caltime.h"
#include "ami/ami_mdm_import.h"
#include "ami/ami_mdm_vee.h"
#include "ami/ami_meter_events.h"

static int64_t utc(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  return ami_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static int64_t day_of(int y, unsigned m, unsigned d) {
  return ami_days_from_civil(y, m, d);
}

static const ami_mdm_tz LONDON = {.kind = AMI_MDM_TZ_EU, .std_offset_s = 0};
static const ami_mdm_tz SYDNEY = {.kind = AMI_MDM_TZ_AU_SOUTH,
                                  .std_offset_s = 36000};

/* ---------------------------------------------------------------------- */
/* Time zones and local days */

/* Transition instants from the rules, worked by hand: EU 2024 summer time
 * 31 March 01:00 UTC to 27 October 01:00 UTC (last Sundays); NSW daylight
 * time ends 7 April 2024 03:00 AEDT (= 6 April 16:00 UTC) and starts 6
 * October 2024 02:00 AEST (= 5 October 16:00 UTC). */
static void test_tz_offsets(void **state) {
  (void)state;
  assert_int_equal(ami_mdm_tz_offset(&LONDON, utc(2024, 3, 31, 0, 59, 59)), 0);
  assert_int_equal(ami_mdm_tz_offset(&LONDON, utc(2024, 3, 31, 1, 0, 0)), 3600);
  assert_int_equal(ami_mdm_tz_offset(&LONDON, utc(2024, 10, 27, 0, 59, 59)),
                   3600);
  assert_int_equal(ami_mdm_tz_offset(&LONDON, utc(2024, 10, 27, 1, 0, 0)), 0);
  assert_int_equal(ami_mdm_tz_offset(&SYDNEY, utc(2024, 1, 15, 0, 0, 0)),
                   39600);
  assert_int_equal(ami_mdm_tz_offset(&SYDNEY, utc(2024, 4, 6, 15, 59, 59)),
                   39600);
  assert_int_equal(ami_mdm_tz_offset(&SYDNEY, utc(2024, 4, 6, 16, 0, 0)),
                   36000);
  assert_int_equal(ami_mdm_tz_offset(&SYDNEY, utc(2024, 10, 5, 15, 59, 59)),
                   36000);
  assert_int_equal(ami_mdm_tz_offset(&SYDNEY, utc(2024, 10, 5, 16, 0, 0)),
                   39600);
  assert_int_equal(ami_mdm_tz_offset(NULL, 12345), 0);
  /* The repeated hour: 01:30 on 27 Oct 2024 in London is first 00:30 UTC
   * (BST), then 01:30 UTC (GMT); the earlier is returned. */
  assert_int_equal(ami_mdm_tz_to_utc(&LONDON, utc(2024, 10, 27, 1, 30, 0)),
                   utc(2024, 10, 27, 0, 30, 0));
  /* Sydney local midnight of 1 Jan 2024 (AEDT) is 13:00 UTC the day before. */
  assert_int_equal(ami_mdm_tz_day_start(&SYDNEY, day_of(2024, 1, 1)),
                   utc(2023, 12, 31, 13, 0, 0));
  assert_int_equal(ami_mdm_tz_local_day(&SYDNEY, utc(2023, 12, 31, 13, 0, 0)),
                   day_of(2024, 1, 1));
}

static void test_tz_day_intervals(void **state) {
  (void)state;
  assert_int_equal(
      ami_mdm_vee_day_intervals(&LONDON, day_of(2024, 3, 31), 1800), 46);
  assert_int_equal(
      ami_mdm_vee_day_intervals(&LONDON, day_of(2024, 10, 27), 1800), 50);
  assert_int_equal(ami_mdm_vee_day_intervals(&LONDON, day_of(2024, 6, 1), 1800),
                   48);
  assert_int_equal(ami_mdm_vee_day_intervals(&SYDNEY, day_of(2024, 4, 7), 900),
                   100);
  assert_int_equal(ami_mdm_vee_day_intervals(&SYDNEY, day_of(2024, 10, 6), 900),
                   92);
  assert_int_equal(ami_mdm_vee_day_intervals(&SYDNEY, day_of(2024, 10, 7), 300),
                   288);
  assert_int_equal(ami_mdm_vee_day_intervals(NULL, day_of(2024, 3, 31), 1800),
                   48);
  assert_int_equal(ami_mdm_vee_day_intervals(NULL, 0, 7), 0);
}

static ami_mdm_channel_info channel(uint32_t interval_s) {
  ami_mdm_channel_info c = {
      7,          70,   AMI_MDM_DELTA, AMI_MDM_IMPORT, AMI_MDM_UNIT_WH,
      interval_s, 1000, false};
  return c;
}

static void fill(ami_mdm_interval *iv, size_t n, int64_t v) {
  for (size_t i = 0; i < n; i++) {
    iv[i].value = v;
    iv[i].quality = AMI_MDM_Q_ACTUAL;
    iv[i].method = 0;
    iv[i].flags = 0;
  }
}

static ami_mdm_vee_input input(const ami_mdm_channel_info *ch, int64_t t0,
                               const ami_mdm_interval *iv, size_t n) {
  ami_mdm_vee_input in;
  memset(&in, 0, sizeof in);
  in.channel = ch;
  in.t0 = t0;
  in.iv = iv;
  in.n = n;
  return in;
}

/* Completeness counts the 23- and 25-hour local days. */
static void test_completeness_dst(void **state) {
  (void)state;
  ami_mdm_channel_info ch = channel(1800);
  static ami_mdm_interval iv[200];
  fill(iv, 200, 100);
  /* London, 30 March .. 1 April 2024 local days: 48 + 46 + 48. */
  int64_t t0 = ami_mdm_tz_day_start(&LONDON, day_of(2024, 3, 30)) + 1800;
  ami_mdm_vee_input in = input(&ch, t0, iv, 48 + 46 + 48);
  in.tz = &LONDON;
  iv[60].quality = AMI_MDM_Q_MISSING;
  ami_mdm_vee_day d[4];
  assert_int_equal(ami_mdm_vee_completeness(&in, d, 4), 3);
  assert_int_equal(d[1].day, day_of(2024, 3, 31));
  assert_int_equal(d[1].expected, 46);
  assert_int_equal(d[1].in_series, 46);
  assert_int_equal(d[1].present, 45);
  assert_int_equal(d[0].present, 48);
  assert_int_equal(d[2].expected, 48);
  /* Autumn: 26 .. 27 October, 48 + 50, all present. */
  in.t0 = ami_mdm_tz_day_start(&LONDON, day_of(2024, 10, 26)) + 1800;
  in.n = 98;
  iv[60].quality = AMI_MDM_Q_ACTUAL;
  assert_int_equal(ami_mdm_vee_completeness(&in, d, 4), 2);
  assert_int_equal(d[1].expected, 50);
  assert_int_equal(d[1].in_series, 50);
  ami_mdm_vee_params p;
  ami_mdm_vee_params_default(&p, AMI_MDM_CLASS_RESIDENTIAL_IMPORT);
  static ami_mdm_interval out[200];
  ami_mdm_vee_summary sum;
  assert_ami_ok(ami_mdm_vee_validate(&p, &in, out, NULL, 0, &sum));
  assert_int_equal(sum.expected, 98);
  assert_int_equal(sum.present, 98);
  /* A series one interval short of the day: expected stays 50 + 48. */
  in.n = 97;
  assert_ami_ok(ami_mdm_vee_validate(&p, &in, out, NULL, 0, &sum));
  assert_int_equal(sum.expected, 98);
  assert_int_equal(sum.present, 97);
  /* Sydney's 23-hour day at 15 minutes: 92 intervals. */
  in.tz = &SYDNEY;
  in.t0 = ami_mdm_tz_day_start(&SYDNEY, day_of(2024, 10, 6)) + 900;
  in.n = 92;
  ch.interval_s = 900;
  assert_int_equal(ami_mdm_vee_completeness(&in, d, 4), 1);
  assert_int_equal(d[0].expected, 92);
  assert_int_equal(d[0].present, 92);
}

/* ---------------------------------------------------------------------- */
/* Alignment */

static void test_align(void **state) {
  (void)state;
  ami_mdm_vee_params p;
  ami_mdm_vee_params_default(&p, AMI_MDM_CLASS_RESIDENTIAL_IMPORT);
  const int64_t t0 = utc(2024, 5, 1, 0, 30, 0);
  ami_mdm_reading r[] = {
      {t0, {10, AMI_MDM_Q_ACTUAL, 0, 0}},
      {t0 + 1800 + 30, {20, AMI_MDM_Q_ACTUAL, 0, 0}},  /* 30 s late: snap */
      {t0 + 3600 - 120, {30, AMI_MDM_Q_ACTUAL, 0, 0}}, /* 2 min: reject */
      {t0 + 5400, {40, AMI_MDM_Q_ACTUAL, 0, 0}},
      {t0 + 5400, {40, AMI_MDM_Q_ACTUAL, 0, 0}}, /* repeat: harmless */
      {t0 + 7200, {50, AMI_MDM_Q_ACTUAL, 0, 0}},
      {t0 + 7200, {55, AMI_MDM_Q_ACTUAL, 0, 0}}, /* differs: duplicate */
      {t0 - 1800, {1, AMI_MDM_Q_ACTUAL, 0, 0}},  /* before the grid */
      {t0 + 9000, {1, AMI_MDM_Q_ACTUAL, 0, 0}},  /* after the grid */
      {t0, {0, AMI_MDM_Q_MISSING, 0, 0}},        /* null re-send */
  };
  ami_mdm_interval g[5];
  ami_mdm_align_stats st;
  assert_ami_ok(ami_mdm_vee_align(&p, 1800, r, 10, t0, g, 5, &st));
  assert_int_equal(st.placed, 6);
  assert_int_equal(st.snapped, 1);
  assert_int_equal(st.rejected, 1);
  assert_int_equal(st.repeats, 2);
  assert_int_equal(st.duplicates, 1);
  assert_int_equal(st.outside, 2);
  assert_int_equal(g[0].value, 10);
  assert_int_equal(g[1].value, 20);
  assert_int_equal(g[1].flags, AMI_MDM_F_TIME_TOLERANCE);
  assert_int_equal(g[2].quality, AMI_MDM_Q_MISSING);
  assert_int_equal(g[3].flags, 0);
  assert_int_equal(g[4].value, 55);
  assert_int_equal(g[4].flags, AMI_MDM_F_DUPLICATE);
  assert_ami(AMI_E_INVAL, ami_mdm_vee_align(&p, 7, r, 9, t0, g, 5, &st));
}

/* ---------------------------------------------------------------------- */
/* Rules, each alone (other rules off), passing then failing */

static ami_mdm_vee_params only(int rule) {
  ami_mdm_vee_params p;
  ami_mdm_vee_params_default(&p, AMI_MDM_CLASS_RESIDENTIAL_IMPORT);
  uint8_t keep = p.action[rule];
  memset(p.action, 0, sizeof p.action);
  p.action[rule] = keep ? keep : AMI_MDM_ACT_FAIL;
  return p;
}

#define N24 24
static ami_mdm_interval g_iv[40 * N24], g_out[40 * N24];
static ami_mdm_vee_failure g_fail[2000];

/* Runs `p` over g_iv[0..n) (hourly, UTC days from 2024-01-01 00:00). */
static ami_mdm_vee_summary run(const ami_mdm_vee_params *p,
                               ami_mdm_vee_input *in) {
  ami_mdm_vee_summary sum;
  assert_ami_ok(ami_mdm_vee_validate(p, in, g_out, g_fail, 2000, &sum));
  return sum;
}

static ami_mdm_channel_info g_ch;

static ami_mdm_vee_input day_input(size_t n, int64_t v) {
  g_ch = channel(3600);
  fill(g_iv, n, v);
  return input(&g_ch, utc(2024, 1, 1, 1, 0, 0), g_iv, n);
}

/* 100 Wh + i Wh: varied, so that no run rule (frozen) fires. */
static void vary(size_t n) {
  for (size_t i = 0; i < n; i++)
    g_iv[i].value = 100000 + 1000 * (int64_t)i;
}

static void test_rule_gap_flags(void **state) {
  (void)state;
  ami_mdm_vee_input in = day_input(N24, 0);
  vary(N24);
  ami_mdm_vee_params p;
  ami_mdm_vee_params_default(&p, AMI_MDM_CLASS_RESIDENTIAL_IMPORT);
  ami_mdm_vee_summary s = run(&p, &in);
  assert_int_equal(s.n_failures, 0);
  assert_int_equal(s.failed, 0);
  g_iv[3].quality = AMI_MDM_Q_MISSING;
  g_iv[5].flags = AMI_MDM_F_DUPLICATE;
  g_iv[6].flags = AMI_MDM_F_TIME_TOLERANCE;
  s = run(&p, &in);
  assert_int_equal(s.by_rule[AMI_MDM_RULE_GAP], 1);
  assert_int_equal(s.by_rule[AMI_MDM_RULE_DUPLICATE], 1);
  assert_int_equal(s.by_rule[AMI_MDM_RULE_TIME_TOLERANCE], 1);
  assert_int_equal(g_out[3].quality, AMI_MDM_Q_MISSING);
  assert_int_equal(g_out[5].quality, AMI_MDM_Q_VALIDATION_FAILED);
  assert_int_equal(g_out[6].quality, AMI_MDM_Q_ACTUAL); /* WARN */
  assert_int_equal(s.failed, 1);
  assert_int_equal(s.warnings, 1);
  assert_int_equal(s.present, 23);
  assert_int_equal(g_fail[0].index, 3);
  assert_int_equal(g_fail[0].rule, AMI_MDM_RULE_GAP);
  /* Raw input untouched. */
  assert_int_equal(g_iv[5].quality, AMI_MDM_Q_ACTUAL);
  /* Capacity: failures beyond it are counted, not written. */
  ami_mdm_vee_summary s2;
  assert_ami_ok(ami_mdm_vee_validate(&p, &in, g_out, g_fail, 1, &s2));
  assert_int_equal(s2.n_failures, 1);
  assert_int_equal(s2.failures_dropped, 2);
}

static void test_rule_clock_adjusted_and_outage_events(void **state) {
  (void)state;
  ami_mdm_vee_input in = day_input(N24, 100000);
  ami_mdm_vee_params p = only(AMI_MDM_RULE_CLOCK_ADJUSTED);
  assert_int_equal(run(&p, &in).n_failures, 0);
  /* Clock adjusted at 02:10 -> interval 02:00-03:00 (index 2). */
  ami_mdm_event ev[3] = {
      {70, utc(2024, 1, 1, 2, 10, 0), AMI_EV_CLOCK_ADJUSTED_NEW},
      {70, utc(2024, 1, 1, 5, 30, 0), AMI_EV_POWER_DOWN},
      {70, utc(2024, 1, 1, 7, 15, 0), AMI_EV_POWER_UP},
  };
  in.events = ev;
  in.n_events = 3;
  ami_mdm_vee_summary s = run(&p, &in);
  assert_int_equal(s.n_failures, 1);
  assert_int_equal(g_fail[0].index, 2);
  assert_int_equal(g_fail[0].action, AMI_MDM_ACT_WARN);
  assert_true(g_out[2].flags & AMI_MDM_F_CLOCK_ADJUSTED);
  /* Outage 05:30-07:15 touches intervals 05-06, 06-07, 07-08. */
  for (int i = 0; i < N24; i++)
    assert_int_equal((g_out[i].flags & AMI_MDM_F_POWER_OUTAGE) != 0,
                     i >= 5 && i <= 7);
  /* Tamper: meter cover opened at 20:00 flags the interval ending then. */
  ev[1].code = AMI_EV_METER_COVER_OPENED;
  ev[1].t = utc(2024, 1, 1, 20, 0, 0);
  run(&p, &in);
  assert_true(g_out[19].flags & AMI_MDM_F_TAMPER);
  assert_false(g_out[20].flags & AMI_MDM_F_TAMPER);
  /* Events of another meter are ignored. */
  ev[0].meter_id = 71;
  assert_int_equal(run(&p, &in).n_failures, 0);
}

/* Same-weekday history: four Mondays of 24 x 200 Wh = 4.8 kWh. High
 * limit 2 x P95 = 9.6 kWh, low limit 0.25 x P5 = 1.2 kWh. */
static void test_rule_high_low(void **state) {
  (void)state;
  static ami_mdm_interval hist[28 * N24];
  fill(hist, 28 * N24, 200000);
  ami_mdm_vee_input in = day_input(N24, 395000); /* 9.48 kWh: passes */
  in.t0 = utc(2024, 1, 29, 1, 0, 0);             /* a Monday */
  in.history = hist;
  in.history_n = 28 * N24;
  in.history_t0 = utc(2024, 1, 1, 1, 0, 0);
  ami_mdm_vee_params p;
  ami_mdm_vee_params_default(&p, AMI_MDM_CLASS_RESIDENTIAL_IMPORT);
  memset(p.action, 0, sizeof p.action);
  p.action[AMI_MDM_RULE_HIGH] = AMI_MDM_ACT_WARN;
  p.action[AMI_MDM_RULE_LOW] = AMI_MDM_ACT_WARN;
  assert_int_equal(run(&p, &in).n_failures, 0);
  fill(g_iv, N24, 401000); /* 9.624 kWh > 9.6 */
  ami_mdm_vee_summary s = run(&p, &in);
  assert_int_equal(s.by_rule[AMI_MDM_RULE_HIGH], N24);
  assert_int_equal(g_fail[0].observed, 9624000);
  assert_int_equal(g_fail[0].limit, 9600000);
  assert_int_equal(g_out[0].quality, AMI_MDM_Q_ACTUAL); /* warning only */
  fill(g_iv, N24, 50000);                               /* 1.2 kWh: not below */
  assert_int_equal(run(&p, &in).n_failures, 0);
  fill(g_iv, N24, 49000); /* 1.176 kWh */
  s = run(&p, &in);
  assert_int_equal(s.by_rule[AMI_MDM_RULE_LOW], N24);
  /* A partial day is never "low" (missing data is the gap rule's). */
  g_iv[4].quality = AMI_MDM_Q_MISSING;
  assert_int_equal(run(&p, &in).by_rule[AMI_MDM_RULE_LOW], 0);
  /* Too little history (2 of the 3 days required): skipped. */
  fill(g_iv, N24, 401000);
  in.history_t0 = utc(2024, 1, 15, 1, 0, 0);
  in.history_n = 14 * N24;
  assert_int_equal(run(&p, &in).n_failures, 0);
}

static void test_rule_spike(void **state) {
  (void)state;
  ami_mdm_vee_input in = day_input(N24, 100000);
  ami_mdm_vee_params p = only(AMI_MDM_RULE_SPIKE);
  g_iv[9].value = 900000; /* 9x and under 1 kWh: no spike */
  assert_int_equal(run(&p, &in).n_failures, 0);
  g_iv[9].value = 1500000; /* 15 x the third-highest (0.1 kWh) */
  g_iv[3].value = 200000;
  g_iv[4].value = 200000; /* third-highest 0.2 -> 7.5 x: passes */
  assert_int_equal(run(&p, &in).n_failures, 0);
  g_iv[4].value = 100000; /* third-highest 0.1 -> 15 x: spike */
  ami_mdm_vee_summary s = run(&p, &in);
  assert_int_equal(s.n_failures, 1);
  assert_int_equal(g_fail[0].index, 9);
  assert_int_equal(g_fail[0].observed, 1500000);
  assert_int_equal(g_fail[0].limit, 100000);
  assert_int_equal(g_out[9].quality, AMI_MDM_Q_VALIDATION_FAILED);
}

static void test_rule_jump(void **state) {
  (void)state;
  ami_mdm_vee_input in = day_input(N24, 100000);
  ami_mdm_vee_params p = only(AMI_MDM_RULE_JUMP);
  g_iv[5].value = 7100000; /* +7.0 kWh: at the limit, passes */
  assert_int_equal(run(&p, &in).n_failures, 0);
  g_iv[5].value = 7100001; /* up by more than 7 kWh and back down */
  ami_mdm_vee_summary s = run(&p, &in);
  assert_int_equal(s.n_failures, 2);
  assert_int_equal(g_fail[0].index, 5);
  assert_int_equal(g_fail[1].index, 6);
  assert_int_equal(g_fail[1].observed, -7000001);
}

static void test_rule_zero(void **state) {
  (void)state;
  ami_mdm_vee_input in = day_input(N24, 0);
  ami_mdm_vee_params p = only(AMI_MDM_RULE_ZERO);
  g_iv[0].value = 1; /* 23 h of zeros: under a day, passes */
  assert_int_equal(run(&p, &in).n_failures, 0);
  g_iv[0].value = 0; /* 24 h of zeros on an energised meter */
  ami_mdm_vee_summary s = run(&p, &in);
  assert_int_equal(s.by_rule[AMI_MDM_RULE_ZERO], 24);
  assert_int_equal(g_fail[0].observed, 86400);
  /* An outage in the middle explains it (runs of 10 and 11 h). */
  ami_mdm_event ev[2] = {{70, utc(2024, 1, 1, 10, 30, 0), AMI_EV_POWER_DOWN},
                         {70, utc(2024, 1, 1, 12, 30, 0), AMI_EV_POWER_UP}};
  in.events = ev;
  in.n_events = 2;
  assert_int_equal(run(&p, &in).n_failures, 0);
  /* So does a voltage profile showing no supply for hours 3..5 (and
   * 230 V elsewhere); with 230 V throughout the zeros fail. */
  in.n_events = 0;
  ami_mdm_interval volt[N24];
  for (int i = 0; i < N24; i++) {
    volt[i].value = (i >= 3 && i <= 5) ? 0 : 230000;
    volt[i].quality = AMI_MDM_Q_ACTUAL;
    volt[i].method = 0;
    volt[i].flags = 0;
  }
  in.voltage = volt;
  in.voltage_n = N24;
  assert_int_equal(run(&p, &in).n_failures, 0);
  assert_true(g_out[4].flags & AMI_MDM_F_POWER_OUTAGE);
  for (int i = 3; i <= 5; i++)
    volt[i].value = 230000;
  assert_int_equal(run(&p, &in).by_rule[AMI_MDM_RULE_ZERO], 24);
  in.voltage = NULL;
  in.n_events = 2;
  /* So does a remote disconnection (never reconnected). */
  ev[0].code = AMI_EV_REMOTE_DISCONNECT;
  ev[0].t = utc(2024, 1, 1, 0, 0, 0);
  assert_int_equal(run(&p, &in).n_failures, 0);
  assert_true(g_out[23].flags & AMI_MDM_F_DISCONNECTED);
  /* Net-metered class: the rule is off by default. */
  in.n_events = 0;
  ami_mdm_vee_params_default(&p, AMI_MDM_CLASS_NET_METERED);
  assert_int_equal(run(&p, &in).by_rule[AMI_MDM_RULE_ZERO], 0);
}

static void test_rule_negative(void **state) {
  (void)state;
  ami_mdm_vee_input in = day_input(N24, 100000);
  ami_mdm_vee_params p = only(AMI_MDM_RULE_NEGATIVE);
  g_iv[2].value = 0;
  assert_int_equal(run(&p, &in).n_failures, 0);
  g_iv[2].value = -5;
  ami_mdm_vee_summary s = run(&p, &in);
  assert_int_equal(s.n_failures, 1);
  assert_int_equal(g_fail[0].index, 2);
  g_ch.net_metered = true;
  assert_int_equal(run(&p, &in).n_failures, 0);
  g_ch.net_metered = false;
  g_ch.direction = AMI_MDM_NET;
  assert_int_equal(run(&p, &in).n_failures, 0);
}

static void test_rule_frozen(void **state) {
  (void)state;
  ami_mdm_vee_input in = day_input(N24 + 2, 0);
  ami_mdm_vee_params p = only(AMI_MDM_RULE_FROZEN);
  for (int i = 1; i < 24; i++)
    g_iv[i].value = 250000; /* 23 identical: passes */
  assert_int_equal(run(&p, &in).n_failures, 0);
  g_iv[24].value = 250000; /* 24 identical non-zero (12 h): frozen */
  ami_mdm_vee_summary s = run(&p, &in);
  assert_int_equal(s.n_failures, 24);
  assert_int_equal(g_fail[0].index, 1);
  assert_int_equal(g_fail[23].index, 24);
  assert_int_equal(g_fail[0].observed, 24);
  fill(g_iv, N24, 0);
  /* Zeros are never "frozen" (that is the zero rule). */
  fill(g_iv, N24, 0);
  assert_int_equal(run(&p, &in).n_failures, 0);
}

/* Register reads at the start and end of 4 hourly intervals; raw values
 * 1000 each; multiplier x2 applies to values, not to the check. */
static void test_rule_register_sum_and_multiplier(void **state) {
  (void)state;
  ami_mdm_vee_input in = day_input(4, 1000000);
  g_ch.multiplier_milli = 2000;
  ami_mdm_register_read rr[2] = {
      {7, utc(2024, 1, 1, 0, 0, 0), 50000000, AMI_MDM_Q_ACTUAL},
      {7, utc(2024, 1, 1, 4, 0, 30), 54040000, AMI_MDM_Q_ACTUAL}};
  in.reads = rr;
  in.n_reads = 2;
  ami_mdm_vee_params p = only(AMI_MDM_RULE_REGISTER_SUM);
  /* Advance 4.04 kWh vs sum 4 kWh: |diff| 40 Wh <= 1 % + 10 Wh = 50.4. */
  ami_mdm_vee_summary s = run(&p, &in);
  assert_int_equal(s.n_failures, 0);
  assert_int_equal(g_out[0].value, 2000000);
  rr[1].value = 54060000; /* 60 Wh off > 50.6 Wh */
  s = run(&p, &in);
  assert_int_equal(s.n_failures, 4);
  assert_int_equal(g_fail[0].observed, 4000000);
  assert_int_equal(g_fail[0].limit, 4060000);
  /* A read 2 minutes off the boundary is not checked. */
  rr[1].t += 90;
  assert_int_equal(run(&p, &in).n_failures, 0);
  /* Multiplier rounding: 1.5 x raw, half away from zero. */
  g_ch.multiplier_milli = 1500;
  g_iv[0].value = 1;
  g_iv[1].value = -1;
  g_iv[2].value = 1234;
  g_iv[3].value = 3;
  run(&p, &in);
  assert_int_equal(g_out[0].value, 2);
  assert_int_equal(g_out[1].value, -2);
  assert_int_equal(g_out[2].value, 1851);
  assert_int_equal(g_out[3].value, 5); /* 4.5 -> 5 */
}

static void test_validate_inval(void **state) {
  (void)state;
  ami_mdm_vee_input in = day_input(N24, 1);
  ami_mdm_vee_params p;
  ami_mdm_vee_summary s;
  ami_mdm_vee_params_default(&p, AMI_MDM_CLASS_NET_METERED);
  g_ch.interval_s = 7;
  assert_ami(AMI_E_INVAL, ami_mdm_vee_validate(&p, &in, g_out, NULL, 0, &s));
  g_ch.interval_s = 3600;
  assert_ami(AMI_E_INVAL, ami_mdm_vee_validate(&p, &in, NULL, NULL, 0, &s));
  assert_ami(AMI_E_INVAL, ami_mdm_vee_validate(NULL, &in, g_out, NULL, 0, &s));
  assert_string_equal(ami_mdm_rule_name(AMI_MDM_RULE_SPIKE), "spike");
  assert_string_equal(ami_mdm_rule_name(99), "?");
}

/* ---------------------------------------------------------------------- */
/* Estimation */

static ami_mdm_est_params est_only(uint32_t methods) {
  ami_mdm_est_params p;
  ami_mdm_est_params_default(&p);
  p.methods = methods;
  return p;
}

static void test_est_linear(void **state) {
  (void)state;
  ami_mdm_channel_info ch = channel(1800);
  ami_mdm_interval v[12], out[12];
  fill(v, 12, 0);
  v[0].value = 100;
  v[1].quality = AMI_MDM_Q_MISSING;
  v[2].quality = AMI_MDM_Q_VALIDATION_FAILED;
  v[3].value = 400;
  /* 100, _, _, 400 -> 200, 300 (100 + 300 k / 3). */
  ami_mdm_vee_input in = input(&ch, utc(2024, 1, 1, 0, 30, 0), v, 12);
  ami_mdm_est_params p = est_only(AMI_MDM_EST_LINEAR);
  ami_mdm_est_summary s;
  assert_ami_ok(ami_mdm_vee_estimate(&p, &in, v, out, &s));
  assert_int_equal(out[1].value, 200);
  assert_int_equal(out[2].value, 300);
  assert_int_equal(out[1].quality, AMI_MDM_Q_ESTIMATED);
  assert_int_equal(out[1].method, AMI_MDM_M_LINEAR);
  assert_int_equal(s.linear, 2);
  assert_int_equal(s.unestimated, 0);
  /* 4 missing = 2 h: still linear; anchors 400 and 0 -> 320 240 160 80. */
  for (int i = 4; i < 8; i++)
    v[i].quality = AMI_MDM_Q_MISSING;
  assert_ami_ok(ami_mdm_vee_estimate(&p, &in, v, out, &s));
  assert_int_equal(out[4].value, 320);
  assert_int_equal(out[7].value, 80);
  /* 5 missing = 2.5 h: not interpolated. */
  v[8].quality = AMI_MDM_Q_MISSING;
  assert_ami_ok(ami_mdm_vee_estimate(&p, &in, v, out, &s));
  assert_int_equal(out[4].quality, AMI_MDM_Q_MISSING);
  assert_int_equal(s.unestimated, 5);
  /* Never anchored on an outage interval. */
  v[8].quality = AMI_MDM_Q_ACTUAL;
  v[3].flags = AMI_MDM_F_POWER_OUTAGE;
  assert_ami_ok(ami_mdm_vee_estimate(&p, &in, v, out, &s));
  assert_int_equal(out[1].quality, AMI_MDM_Q_MISSING); /* right anchor */
  assert_int_equal(out[4].quality, AMI_MDM_Q_MISSING); /* left anchor */
  assert_int_equal(out[3].value, 400);                 /* copied as is */
  /* No left anchor at the series start: history supplies it. */
  v[3].flags = 0;
  ami_mdm_interval h[1];
  fill(h, 1, 1000);
  v[0].quality = AMI_MDM_Q_MISSING; /* run 0..2, right anchor 400 */
  in.history = h;
  in.history_n = 1;
  in.history_t0 = in.t0 - 1800;
  assert_ami_ok(ami_mdm_vee_estimate(&p, &in, v, out, &s));
  assert_int_equal(out[0].value, 850); /* 1000 - 600 / 4 */
  assert_int_equal(out[2].value, 550);
}

/* 28 days of hourly data from Monday 2024-01-01 (UTC): value(d, h) =
 * 1000 (d + 1) + h, so every estimate can be computed by hand. */
static void like_day_series(ami_mdm_interval *v) {
  for (int d = 0; d < 28; d++)
    for (int h = 0; h < 24; h++) {
      ami_mdm_interval *x = &v[d * 24 + h];
      x->value = 1000 * (d + 1) + h;
      x->quality = AMI_MDM_Q_ACTUAL;
      x->method = 0;
      x->flags = 0;
    }
}

static void test_est_like_days(void **state) {
  (void)state;
  ami_mdm_channel_info ch = channel(3600);
  static ami_mdm_interval v[28 * 24], out[28 * 24];
  like_day_series(v);
  /* Day 9 (Wed 10 Jan) and day 13 (Sun 14 Jan) missing entirely. */
  for (int h = 0; h < 24; h++) {
    v[9 * 24 + h].quality = AMI_MDM_Q_MISSING;
    v[13 * 24 + h].quality = AMI_MDM_Q_MISSING;
  }
  ami_mdm_vee_input in = input(&ch, utc(2024, 1, 1, 1, 0, 0), v, 28 * 24);
  ami_mdm_est_params p;
  ami_mdm_est_params_default(&p);
  ami_mdm_est_summary s;
  assert_ami_ok(ami_mdm_vee_estimate(&p, &in, v, out, &s));
  assert_int_equal(s.avg_like_day, 48);
  assert_int_equal(s.linear, 0); /* 24 h gaps: too long */
  /* Weekday 9: nearest weekdays 8 (Tue), 10 (Thu), then 7 (Mon):
   * (9000 + 11000 + 8000 + 3h) / 3 = 9333.3 + h -> 9333 + h. */
  for (int h = 0; h < 24; h++) {
    assert_int_equal(out[9 * 24 + h].value, 9333 + h);
    assert_int_equal(out[9 * 24 + h].method, AMI_MDM_M_AVG_LIKE_DAY);
  }
  /* Sunday 13: weekend days 12 (Sat), 19 (Sat), 6 (Sun):
   * (13000 + 20000 + 7000 + 3h) / 3 -> 13333 + h. */
  assert_int_equal(out[13 * 24 + 0].value, 13333);
  assert_int_equal(out[13 * 24 + 23].value, 13356);
  /* Day 9 a holiday with no other holiday around: prior period, day 8
   * (any type, nearest earlier): 9000 + h, method 14. */
  int64_t hol[1] = {day_of(2024, 1, 10)};
  p.holidays = hol;
  p.n_holidays = 1;
  assert_int_equal(ami_mdm_est_day_type(&p, hol[0]), AMI_MDM_DAY_HOLIDAY);
  assert_int_equal(ami_mdm_est_day_type(&p, day_of(2024, 1, 13)),
                   AMI_MDM_DAY_WEEKEND);
  assert_ami_ok(ami_mdm_vee_estimate(&p, &in, v, out, &s));
  assert_int_equal(out[9 * 24 + 5].value, 9005);
  assert_int_equal(out[9 * 24 + 5].method, AMI_MDM_M_LIKE_DAY);
  assert_int_equal(s.prior_period, 24);
  /* Like days are taken from history as well (series = day 9 only). */
  in.t0 = utc(2024, 1, 10, 1, 0, 0);
  in.iv = &v[9 * 24];
  in.n = 24;
  in.history = v;
  in.history_n = 9 * 24; /* days 0..8 */
  in.history_t0 = utc(2024, 1, 1, 1, 0, 0);
  p.holidays = NULL;
  p.n_holidays = 0;
  assert_ami_ok(ami_mdm_vee_estimate(&p, &in, &v[9 * 24], out, &s));
  /* Weekdays before day 9 only: 8, 7, 4 -> (9000 + 8000 + 5000) / 3. */
  assert_int_equal(out[0].value, 7333);
}

/* Like days across daylight saving, London, hourly: every day has the
 * same wall-clock shape, value = 1000 x the local hour the interval
 * starts in. The 25-hour Sunday 27 Oct 2024 and the 23-hour Sunday
 * 31 Mar 2024, missing whole, come back with that shape: both 01:00
 * hours of October get 1000, and March has no 01:00 at all. */
static void test_est_like_days_dst(void **state) {
  (void)state;
  ami_mdm_channel_info ch = channel(3600);
  static ami_mdm_interval v[48 * 24], out[48 * 24];
  const int64_t days[2] = {day_of(2024, 10, 27), day_of(2024, 3, 31)};
  const unsigned lens[2] = {25, 23};
  for (int k = 0; k < 2; k++) {
    int64_t first = days[k] - 21;
    int64_t t0 = ami_mdm_tz_day_start(&LONDON, first) + 3600;
    int64_t tn = ami_mdm_tz_day_start(&LONDON, days[k] + 22);
    size_t n = (size_t)((tn - t0) / 3600 + 1);
    assert_true(n <= 48 * 24);
    for (size_t i = 0; i < n; i++) {
      int64_t s = t0 + (int64_t)i * 3600 - 3600;
      int64_t local = s + ami_mdm_tz_offset(&LONDON, s);
      fill(&v[i], 1, 1000 * ((local % 86400) / 3600));
    }
    int64_t i0 = (ami_mdm_tz_day_start(&LONDON, days[k]) - t0) / 3600 + 1;
    for (unsigned h = 0; h < lens[k]; h++)
      v[i0 + h].quality = AMI_MDM_Q_MISSING;
    ami_mdm_vee_input in = input(&ch, t0, v, n);
    in.tz = &LONDON;
    ami_mdm_est_params p = est_only(AMI_MDM_EST_AVG_LIKE_DAY);
    ami_mdm_est_summary s;
    assert_ami_ok(ami_mdm_vee_estimate(&p, &in, v, out, &s));
    assert_int_equal(s.avg_like_day, lens[k]);
    if (k == 0) {
      /* Local hours 0, 1, 1, 2, 3, ... 23. */
      assert_int_equal(out[i0 + 0].value, 0);
      assert_int_equal(out[i0 + 1].value, 1000);
      assert_int_equal(out[i0 + 2].value, 1000);
      assert_int_equal(out[i0 + 3].value, 2000);
      assert_int_equal(out[i0 + 24].value, 23000);
    } else {
      /* Local hours 0, 2, 3, ... 23. */
      assert_int_equal(out[i0 + 0].value, 0);
      assert_int_equal(out[i0 + 1].value, 2000);
      assert_int_equal(out[i0 + 22].value, 23000);
    }
  }
}

/* Profile fallback: weights 1..24 by hour; the meter's good data is
 * exactly 10 x the weights, so the fitted factor is 10. */
static void test_est_profile_zero(void **state) {
  (void)state;
  ami_mdm_channel_info ch = channel(3600);
  uint32_t prof[24];
  ami_mdm_interval v[48], out[48];
  for (int i = 0; i < 48; i++) {
    prof[i % 24] = (uint32_t)(i % 24 + 1);
    v[i].value = 10 * (i % 24 + 1);
    v[i].quality = AMI_MDM_Q_ACTUAL;
    v[i].method = 0;
    v[i].flags = 0;
  }
  v[29].quality = AMI_MDM_Q_MISSING; /* hour 5 of day 2 */
  ami_mdm_vee_input in = input(&ch, utc(2024, 1, 1, 1, 0, 0), v, 48);
  ami_mdm_est_params p = est_only(AMI_MDM_EST_PROFILE);
  p.profile = prof;
  p.profile_n = 24;
  ami_mdm_est_summary s;
  assert_ami_ok(ami_mdm_vee_estimate(&p, &in, v, out, &s));
  assert_int_equal(out[29].value, 60);
  assert_int_equal(out[29].method, AMI_MDM_M_CUSTOMER_CLASS);
  /* A profile of the wrong length is ignored. */
  p.profile_n = 48;
  assert_ami_ok(ami_mdm_vee_estimate(&p, &in, v, out, &s));
  assert_int_equal(s.unestimated, 1);
  /* Zero while disconnected (validate sets the flag from the event). */
  ami_mdm_event ev = {70, utc(2024, 1, 2, 5, 0, 0), AMI_EV_REMOTE_DISCONNECT};
  in.events = &ev;
  in.n_events = 1;
  ami_mdm_vee_params vp;
  ami_mdm_vee_params_default(&vp, AMI_MDM_CLASS_RESIDENTIAL_IMPORT);
  ami_mdm_interval val[48];
  ami_mdm_vee_summary vs;
  assert_ami_ok(ami_mdm_vee_validate(&vp, &in, val, NULL, 0, &vs));
  ami_mdm_est_params all;
  ami_mdm_est_params_default(&all);
  assert_ami_ok(ami_mdm_vee_estimate(&all, &in, val, out, &s));
  assert_int_equal(out[29].value, 0);
  assert_int_equal(out[29].method, AMI_MDM_M_ZERO);
}

/* Scaling to registers: 50, _, _, 350 interpolates to 150, 250 (sum
 * 400); the registers say the four intervals used 900, so the two
 * estimates must share 500: cumulative rounding gives 150 x 500 / 400 =
 * 187.5 -> 188, then 500 - 188 = 312. */
static void test_est_scaling(void **state) {
  (void)state;
  ami_mdm_channel_info ch = channel(1800);
  ami_mdm_interval v[4], out[4];
  fill(v, 4, 0);
  v[0].value = 50;
  v[1].quality = AMI_MDM_Q_MISSING;
  v[2].quality = AMI_MDM_Q_MISSING;
  v[3].value = 350;
  ami_mdm_vee_input in = input(&ch, utc(2024, 1, 1, 0, 30, 0), v, 4);
  ami_mdm_register_read rr[2] = {
      {7, utc(2024, 1, 1, 0, 0, 0), 10000, AMI_MDM_Q_ACTUAL},
      {7, utc(2024, 1, 1, 2, 0, 5), 10900, AMI_MDM_Q_ACTUAL}};
  in.reads = rr;
  in.n_reads = 2;
  ami_mdm_est_params p = est_only(AMI_MDM_EST_LINEAR | AMI_MDM_EST_SCALE);
  ami_mdm_est_summary s;
  assert_ami_ok(ami_mdm_vee_estimate(&p, &in, v, out, &s));
  assert_int_equal(out[1].value, 188);
  assert_int_equal(out[2].value, 312);
  assert_int_equal(out[1].method, AMI_MDM_M_DATA_SCALING);
  assert_int_equal(s.scaled, 2);
  /* With multiplier x2 the validated values are doubled (100, 700) and
   * the register advance too (1800): estimates 300, 500 -> share 1000:
   * 300 x 1000 / 800 = 375, then 625. */
  ch.multiplier_milli = 2000;
  v[0].value = 100;
  v[3].value = 700;
  assert_ami_ok(ami_mdm_vee_estimate(&p, &in, v, out, &s));
  assert_int_equal(out[1].value, 375);
  assert_int_equal(out[2].value, 625);
  /* Registers below the actual values: no scaling (left linear). */
  rr[1].value = 10300;
  assert_ami_ok(ami_mdm_vee_estimate(&p, &in, v, out, &s));
  assert_int_equal(out[1].value, 300);
  assert_int_equal(out[1].method, AMI_MDM_M_LINEAR);
  assert_int_equal(s.scaled, 0);
}

/* validate -> estimate: a spike is failed, then interpolated. */
static void test_validate_then_estimate(void **state) {
  (void)state;
  ami_mdm_vee_input in = day_input(N24, 0);
  vary(N24);
  g_iv[9].value = 5000000;
  ami_mdm_vee_params p;
  ami_mdm_vee_params_default(&p, AMI_MDM_CLASS_RESIDENTIAL_IMPORT);
  ami_mdm_vee_summary vs = run(&p, &in);
  assert_int_equal(vs.by_rule[AMI_MDM_RULE_SPIKE], 1);
  ami_mdm_est_params e;
  ami_mdm_est_params_default(&e);
  static ami_mdm_interval fin[N24];
  ami_mdm_est_summary es;
  assert_ami_ok(ami_mdm_vee_estimate(&e, &in, g_out, fin, &es));
  assert_int_equal(fin[9].value, 109000); /* between 108 and 110 Wh */
  assert_int_equal(fin[9].method, AMI_MDM_M_LINEAR);
  assert_int_equal(g_iv[9].value, 5000000); /* raw kept */
}

/* ---------------------------------------------------------------------- */
/* Accuracy on real data: tests/data/lcl-sample.csv (see its README) */

typedef struct acc {
  double abs_err, truth;
  unsigned n;
} acc;

/* Hides `gaps` runs of `len` half-hours at seeded random places of the
 * household series `v` (n values, all present), estimates with `methods`
 * and accumulates |error| and |truth| over the hidden values. */
static void hide_and_estimate(const ami_mdm_channel_info *ch, int64_t t0,
                              const ami_mdm_interval *v, size_t n, int len,
                              int gaps, uint32_t methods, uint32_t *seed,
                              acc *a) {
  static ami_mdm_interval work[4000], out[4000];
  assert_true(n <= 4000);
  for (int g = 0; g < gaps; g++) {
    memcpy(work, v, n * sizeof *v);
    *seed = *seed * 1103515245u + 12345u;
    size_t at = 7 * 48 + (*seed >> 8) % (n - 14 * 48); /* away from edges */
    for (int k = 0; k < len; k++)
      work[at + (size_t)k].quality = AMI_MDM_Q_MISSING;
    ami_mdm_vee_input in = input(ch, t0, work, n);
    ami_mdm_est_params p = est_only(methods);
    ami_mdm_est_summary s;
    assert_ami_ok(ami_mdm_vee_estimate(&p, &in, work, out, &s));
    assert_int_equal(s.unestimated, 0);
    for (int k = 0; k < len; k++) {
      int64_t e = out[at + (size_t)k].value - v[at + (size_t)k].value;
      a->abs_err += (double)(e < 0 ? -e : e) / 1e6;
      a->truth += (double)v[at + (size_t)k].value / 1e6;
      a->n++;
    }
  }
}

/* The bounds. Interpolating ONE half-hour between its neighbours must
 * beat the average of three like days: neighbours share the current
 * appliance state, like days do not -- a property, not a tuned number
 * (the full-year, 100-household table in docs/mdm-vee.md has 33.5 % vs
 * 48.8 %). The NMAE (sum |err| / sum truth) bounds are this sample's
 * measured values (29.7 % and 34.7 % with seed 42, 600 gaps each) plus
 * about a third: room for a harmless change of tie-breaking, none for a
 * broken method -- the naive "zero" estimate scores 100 %, and the full
 * table's weakest methods (prior period, class profile) score 57-58 %. */
static void test_accuracy_lcl_sample(void **state) {
  (void)state;
  char path[512];
  const char *src = getenv("AMI_SOURCE_DIR");
  snprintf(path, sizeof path, "%s/tests/data/lcl-sample.csv", src ? src : ".");
  size_t len;
  char *buf = ami_test_read_file(path, &len);
  if (!buf)
    fail_msg("cannot read %s", path);
  static ami_mdm_import_series series[8];
  static ami_mdm_import_row rows[20000];
  static ami_mdm_register_read reads[1];
  ami_mdm_import_out o = {series, 8, 0, rows, 20000, 0, reads, 1, 0, {0}};
  ami_mdm_csv_opts opt;
  ami_mdm_csv_opts_lcl(&opt);
  assert_ami_ok(ami_mdm_import_csv(&opt, (const uint8_t *)buf, len, &o));
  assert_true(o.n_series >= 2);
  ami_mdm_vee_params vp;
  ami_mdm_vee_params_default(&vp, AMI_MDM_CLASS_RESIDENTIAL_IMPORT);
  ami_mdm_channel_info ch = channel(1800);
  static ami_mdm_reading rd[4000];
  static ami_mdm_interval grid[4000];
  acc lin = {0, 0, 0}, like = {0, 0, 0};
  uint32_t seed = 42;
  for (size_t s = 0; s < o.n_series; s++) {
    size_t nr = 0;
    for (size_t i = 0; i < o.n_rows && nr < 4000; i++)
      if (o.rows[i].series == s)
        rd[nr++] = o.rows[i].r;
    int64_t t0 = rd[0].t;
    size_t n = (size_t)((rd[nr - 1].t - t0) / 1800 + 1);
    assert_true(n <= 4000);
    ami_mdm_align_stats st;
    assert_ami_ok(ami_mdm_vee_align(&vp, 1800, rd, nr, t0, grid, n, &st));
    assert_int_equal(st.placed, nr); /* the sample has no real gaps */
    hide_and_estimate(&ch, t0, grid, n, 1, 200, AMI_MDM_EST_LINEAR, &seed,
                      &lin);
    hide_and_estimate(&ch, t0, grid, n, 1, 200, AMI_MDM_EST_AVG_LIKE_DAY, &seed,
                      &like);
  }
  double nmae_lin = lin.abs_err / lin.truth,
         nmae_like = like.abs_err / like.truth;
  print_message("LCL sample, 1-interval gaps: linear NMAE %.1f %%, average "
                "like day NMAE %.1f %% (%u gaps each)\n",
                100 * nmae_lin, 100 * nmae_like, lin.n);
  assert_true(nmae_lin < nmae_like);
  assert_true(nmae_lin < 0.40);
  assert_true(nmae_like < 0.47);
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tz_offsets),
      cmocka_unit_test(test_tz_day_intervals),
      cmocka_unit_test(test_completeness_dst),
      cmocka_unit_test(test_align),
      cmocka_unit_test(test_rule_gap_flags),
      cmocka_unit_test(test_rule_clock_adjusted_and_outage_events),
      cmocka_unit_test(test_rule_high_low),
      cmocka_unit_test(test_rule_spike),
      cmocka_unit_test(test_rule_jump),
      cmocka_unit_test(test_rule_zero),
      cmocka_unit_test(test_rule_negative),
      cmocka_unit_test(test_rule_frozen),
      cmocka_unit_test(test_rule_register_sum_and_multiplier),
      cmocka_unit_test(test_validate_inval),
      cmocka_unit_test(test_est_linear),
      cmocka_unit_test(test_est_like_days),
      cmocka_unit_test(test_est_like_days_dst),
      cmocka_unit_test(test_est_profile_zero),
      cmocka_unit_test(test_est_scaling),
      cmocka_unit_test(test_validate_then_estimate),
      cmocka_unit_test(test_accuracy_lcl_sample),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
