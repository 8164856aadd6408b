/*
 * test_mdm_bill.c -- the MDM billing engine and the JSON tariff loader.
 *
 * Every expected amount is computed BY HAND in the comment beside it from
 * the tariff and the data written in the test (never copied from the
 * engine's output). Units: energy mWh (1 kWh = 1,000,000), prices micro per
 * kWh (0.30/kWh = 300000), money in cents. Unix times were computed from
 * the civil dates in the comments.
 *
 * Tariffs are written as JSON with single quotes (turned into double
 * quotes before parsing) to keep them readable in C strings.
 */
#include "ami_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ami/ami_caltime.h"
#include "ami/ami_mdm_bill.h"
#include "ami/ami_mdm_tariff.h"
#include "ami/ami_mdm_tariff_json.h"

#define KWH 1000000LL /* mWh */
#define WH  1000LL

/* Parse a single-quoted JSON tariff; returns the loader's code, message in
 * err. */
static int load_q(const char *squoted, ami_mdm_tariff *t, char *err,
                  size_t cap) {
  size_t n = strlen(squoted);
  char *s = malloc(n + 1);
  assert_non_null(s);
  for (size_t i = 0; i <= n; i++)
    s[i] = squoted[i] == '\'' ? '"' : squoted[i];
  /* parse from a copy that ends at a guard page: any over-read faults */
  uint8_t *g = ami_test_guarded_copy((const uint8_t *)s, n);
  int rc = ami_mdm_tariff_json_loads((const char *)g, n, t, err, cap);
  ami_test_guarded_free(g, n);
  free(s);
  return rc;
}

static void load_ok(const char *squoted, ami_mdm_tariff *t) {
  char err[256];
  int rc = load_q(squoted, t, err, sizeof err);
  if (rc != AMI_OK)
    fail_msg("tariff did not load: %s (%s)", err, ami_err_name(rc));
}

static void fill(ami_mdm_interval *v, size_t n, int64_t value) {
  for (size_t i = 0; i < n; i++) {
    v[i].value = value;
    v[i].quality = AMI_MDM_Q_ACTUAL;
    v[i].method = 0;
    v[i].flags = 0;
  }
}

static const ami_mdm_line_item *line(const ami_mdm_bill *b, const char *d) {
  for (unsigned i = 0; i < b->n_lines; i++)
    if (strcmp(b->line[i].desc, d) == 0)
      return &b->line[i];
  fail_msg("no line item \"%s\"", d);
  return NULL;
}

/* ---------------------------------------------------------------------- */
/* Rounding and local time */

static void test_round_half_even(void **state) {
  (void)state;
  int64_t q;
  assert_ami_ok(ami_mdm_muldiv_round(25, 1, 10, &q));
  assert_int_equal(q, 2); /* 2.5 -> 2 (even) */
  assert_ami_ok(ami_mdm_muldiv_round(35, 1, 10, &q));
  assert_int_equal(q, 4); /* 3.5 -> 4 (even) */
  assert_ami_ok(ami_mdm_muldiv_round(26, 1, 10, &q));
  assert_int_equal(q, 3); /* 2.6 -> 3 */
  assert_ami_ok(ami_mdm_muldiv_round(24, 1, 10, &q));
  assert_int_equal(q, 2); /* 2.4 -> 2 */
  assert_ami_ok(ami_mdm_muldiv_round(-25, 1, 10, &q));
  assert_int_equal(q, -2); /* -2.5 -> -2 */
  assert_ami_ok(ami_mdm_muldiv_round(-35, 1, 10, &q));
  assert_int_equal(q, -4);
  /* 1e12 mWh (1 GWh) at 1e6 micro/kWh: product 1e18 needs no overflow:
   * 1,000,000 kWh * 1.00 = 1,000,000.00 = 1e8 cents */
  assert_ami_ok(
      ami_mdm_muldiv_round(1000000000000LL, 1000000, 10000000000LL, &q));
  assert_int_equal(q, 100000000);
  assert_ami(AMI_E_RANGE, ami_mdm_muldiv_round(INT64_MAX, INT64_MAX, 1, &q));
  assert_ami(AMI_E_INVAL, ami_mdm_muldiv_round(1, 1, 0, &q));
}

static void test_tz_rules(void **state) {
  (void)state;
  ami_mdm_tz eu = {
      .kind = AMI_MDM_TZ_EU, .std_offset_s = 3600, .dst_save_s = 3600};
  /* EU 2026: last Sunday of March = 29th, 01:00 UTC = 1774746000 */
  assert_int_equal(ami_mdm_tz_offset(&eu, 1774746000 - 1), 3600);
  assert_int_equal(ami_mdm_tz_offset(&eu, 1774746000), 7200);
  /* last Sunday of October = 25th, 01:00 UTC = 1792890000 */
  assert_int_equal(ami_mdm_tz_offset(&eu, 1792890000 - 1), 7200);
  assert_int_equal(ami_mdm_tz_offset(&eu, 1792890000), 3600);

  ami_mdm_tz us = {.kind = AMI_MDM_TZ_US,
                   .std_offset_s = -18000,
                   .dst_save_s = 3600}; /* US Eastern */
  /* 2026-03-08 (2nd Sunday) 02:00 EST = 07:00 UTC = 1772953200 */
  assert_int_equal(ami_mdm_tz_offset(&us, 1772953200 - 1), -18000);
  assert_int_equal(ami_mdm_tz_offset(&us, 1772953200), -14400);
  /* 2026-11-01 (1st Sunday) 02:00 EDT = 06:00 UTC = 1793512800 */
  assert_int_equal(ami_mdm_tz_offset(&us, 1793512800 - 1), -14400);
  assert_int_equal(ami_mdm_tz_offset(&us, 1793512800), -18000);

  ami_mdm_tz au = {.kind = AMI_MDM_TZ_AU_SOUTH,
                   .std_offset_s = 36000,
                   .dst_save_s = 3600}; /* Sydney */
  /* 2026-04-05 (1st Sunday) 03:00 AEDT = 04-04 16:00 UTC = 1775318400 */
  assert_int_equal(ami_mdm_tz_offset(&au, 1775318400 - 1), 39600);
  assert_int_equal(ami_mdm_tz_offset(&au, 1775318400), 36000);
  /* 2026-10-04 (1st Sunday) 02:00 AEST = 10-03 16:00 UTC = 1791043200 */
  assert_int_equal(ami_mdm_tz_offset(&au, 1791043200 - 1), 36000);
  assert_int_equal(ami_mdm_tz_offset(&au, 1791043200), 39600);
  /* January is summer in Sydney: DST across the new year */
  assert_int_equal(ami_mdm_tz_offset(&au, 1767225600), 39600);

  /* local midnight of 2026-03-29 (CET, before the switch) = 03-28 23:00Z;
   * of 2026-10-26 (CET, after the switch back) = 10-25 23:00Z */
  int64_t d = 1774738800 / 86400 + 1; /* day number of 2026-03-29 */
  assert_int_equal(ami_mdm_tz_day_start(&eu, d), 1774738800);
  assert_int_equal(ami_mdm_tz_local_day(&eu, 1774738800), d);
  assert_int_equal(ami_mdm_tz_day_start(&eu, 1792969200 / 86400 + 1),
                   1792969200);
}

/* The DST rules against the system's IANA time zone database (an
 * independent implementation): every half hour from 2010 to 2036 in
 * six zones of the three rules. Skips when zoneinfo is not installed. */
static void test_tz_against_zoneinfo(void **state) {
  (void)state;
  static const struct {
    const char *zone;
    ami_mdm_tz tz;
  } zones[] = {
      {"Europe/Berlin",
       {.kind = AMI_MDM_TZ_EU, .std_offset_s = 3600, .dst_save_s = 3600}},
      {"Europe/London",
       {.kind = AMI_MDM_TZ_EU, .std_offset_s = 0, .dst_save_s = 3600}},
      {"America/New_York",
       {.kind = AMI_MDM_TZ_US, .std_offset_s = -18000, .dst_save_s = 3600}},
      {"America/Los_Angeles",
       {.kind = AMI_MDM_TZ_US, .std_offset_s = -28800, .dst_save_s = 3600}},
      {"Australia/Sydney",
       {.kind = AMI_MDM_TZ_AU_SOUTH,
        .std_offset_s = 36000,
        .dst_save_s = 3600}},
      {"Australia/Adelaide",
       {.kind = AMI_MDM_TZ_AU_SOUTH,
        .std_offset_s = 34200,
        .dst_save_s = 3600}},
  };
  char path[256];
  snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", zones[0].zone);
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    print_message("no /usr/share/zoneinfo: zoneinfo comparison skipped\n");
    skip();
  }
  fclose(f);
  const char *old = getenv("TZ");
  char *saved = old != NULL ? strdup(old) : NULL;
  for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
    setenv("TZ", zones[z].zone, 1);
    tzset();
    /* 2010-01-01 .. 2036-01-01 UTC, every 30 minutes (every switch of
     * these zones falls on a half hour, Adelaide 16:30Z included) */
    for (int64_t t = 1262304000; t < 2082758400; t += 1800) {
      time_t tt = (time_t)t;
      struct tm tm;
      assert_non_null(localtime_r(&tt, &tm));
      int32_t want = (int32_t)tm.tm_gmtoff;
      int32_t got = ami_mdm_tz_offset(&zones[z].tz, t);
      if (got != want)
        fail_msg("%s at %lld: offset %d, zoneinfo says %d", zones[z].zone,
                 (long long)t, got, want);
    }
  }
  if (saved != NULL) {
    setenv("TZ", saved, 1);
    free(saved);
  } else {
    unsetenv("TZ");
  }
  tzset();
}

/* ---------------------------------------------------------------------- */
/* TOU */

/* Winter weekday in CET: offpeak 00-07, peak 07-20, offpeak 20-24. */
static const char *TOU_CET =
    "{'name':'t','currency':'EUR','timezone':{'dst':'EU','std_offset_min':60},"
    "'periods':['peak','offpeak'],"
    "'seasons':[{'name':'all','from':'01-01','to':'12-31','days':{'weekday':["
    "{'from':'00:00','to':'07:00','period':'offpeak'},"
    "{'from':'07:00','to':'20:00','period':'peak'},"
    "{'from':'20:00','to':'24:00','period':'offpeak'}]},"
    "'prices':{'peak':300000,'offpeak':100000}}],"
    "'energy':{'type':'tou'}}";

static void test_tou_boundary(void **state) {
  (void)state;
  ami_mdm_tariff t;
  load_ok(TOU_CET, &t);
  /* Wednesday 2026-01-14, local midnight = 2026-01-13 23:00Z */
  const int64_t t0 = 1768345200;
  unsigned s, dt, p;
  ami_mdm_tariff_classify(&t, t0 + 7 * 3600 - 1, &s, &dt, &p);
  assert_int_equal(dt, AMI_MDM_DAY_WEEKDAY);
  assert_int_equal(p, 1); /* 06:59:59 local: offpeak */
  ami_mdm_tariff_classify(&t, t0 + 7 * 3600, &s, &dt, &p);
  assert_int_equal(p, 0); /* 07:00:00 local: peak */

  ami_mdm_interval v[96];
  fill(v, 96, 0);
  v[27].value = 1 * KWH; /* 06:45-07:00, named 07:00: starts offpeak */
  v[28].value = 2 * KWH; /* 07:00-07:15: peak */
  v[79].value = 4 * KWH; /* 19:45-20:00, named 20:00: peak */
  v[80].value = 8 * KWH; /* 20:00-20:15: offpeak */
  ami_mdm_usage u = {t0, 900, 96, v, NULL};
  ami_mdm_bill b;
  assert_ami_ok(ami_mdm_bill_compute(&t, &u, &b));
  assert_int_equal(b.det.billed_mwh[0][0], 6 * KWH); /* peak 2 + 4 */
  assert_int_equal(b.det.billed_mwh[0][1], 9 * KWH); /* offpeak 1 + 8 */
  /* peak 6 kWh * 0.30 = 1.80 = 180 c; offpeak 9 kWh * 0.10 = 90 c */
  assert_int_equal(line(&b, "Energy all peak")->amount, 180);
  assert_int_equal(line(&b, "Energy all offpeak")->amount, 90);
  assert_int_equal(b.n_lines, 2);
  assert_int_equal(b.total, 270);
  assert_int_equal(b.end, t0 + 86400);
}

/* Every day: night 00:00-03:00 local, day 03:00-24:00; fixed 1.00/day. */
static const char *DST_TARIFF =
    "{'name':'t','currency':'EUR','timezone':{'dst':'EU','std_offset_min':60},"
    "'periods':['night','day'],"
    "'seasons':[{'name':'all','from':'01-01','to':'12-31','days':{'weekday':["
    "{'from':'00:00','to':'03:00','period':'night'},"
    "{'from':'03:00','to':'24:00','period':'day'}]},"
    "'prices':{'night':100000,'day':200000}}],"
    "'energy':{'type':'tou'},'daily_charge':1000000}";

static void test_dst_spring_forward(void **state) {
  (void)state;
  ami_mdm_tariff t;
  load_ok(DST_TARIFF, &t);
  /* Sunday 2026-03-29: local midnight 03-28 23:00Z; clocks jump from 02:00
   * CET to 03:00 CEST at 01:00Z; next midnight 03-29 22:00Z: 23 h = 92
   * quarter hours. */
  const int64_t t0 = 1774738800;
  ami_mdm_interval v[92];
  fill(v, 92, 250 * WH); /* 1 kW constant */
  ami_mdm_usage u = {t0, 900, 92, v, NULL};
  ami_mdm_bill b;
  assert_ami_ok(ami_mdm_bill_compute(&t, &u, &b));
  /* night = local 00:00-02:00 CET only (2 real hours, 8 intervals) = 2 kWh
   * day = the other 21 h (84 intervals) = 21 kWh */
  assert_int_equal(b.det.billed_mwh[0][0], 2 * KWH);
  assert_int_equal(b.det.billed_mwh[0][1], 21 * KWH);
  /* one full (23-hour) local day = 1000 milli-days */
  assert_int_equal(b.det.days_milli, 1000);
  /* 2 * 0.10 = 20 c; 21 * 0.20 = 420 c; fixed 100 c */
  assert_int_equal(line(&b, "Energy all night")->amount, 20);
  assert_int_equal(line(&b, "Energy all day")->amount, 420);
  assert_int_equal(line(&b, "Daily supply charge")->amount, 100);
  assert_int_equal(b.total, 540);
}

static void test_dst_fall_back(void **state) {
  (void)state;
  ami_mdm_tariff t;
  load_ok(DST_TARIFF, &t);
  /* Sunday 2026-10-25: local midnight 10-24 22:00Z (CEST); at 01:00Z
   * clocks go back from 03:00 CEST to 02:00 CET; next midnight 10-25
   * 23:00Z: 25 h = 100 quarter hours. */
  const int64_t t0 = 1792879200;
  ami_mdm_interval v[100];
  fill(v, 100, 250 * WH);
  ami_mdm_usage u = {t0, 900, 100, v, NULL};
  ami_mdm_bill b;
  assert_ami_ok(ami_mdm_bill_compute(&t, &u, &b));
  /* night: 00:00-03:00 CEST (3 h) and again 02:00-03:00 CET (1 h) = 4 kWh;
   * day: 03:00-24:00 CET = 21 kWh */
  assert_int_equal(b.det.billed_mwh[0][0], 4 * KWH);
  assert_int_equal(b.det.billed_mwh[0][1], 21 * KWH);
  assert_int_equal(b.det.days_milli, 1000);
  /* 4 * 0.10 = 40 c; 21 * 0.20 = 420 c; fixed 100 c */
  assert_int_equal(b.total, 40 + 420 + 100);
}

/* ---------------------------------------------------------------------- */
/* Tiers, demand */

static void test_tier_crossing(void **state) {
  (void)state;
  ami_mdm_tariff t;
  load_ok("{'name':'t','currency':'EUR',"
          "'timezone':{'dst':'none','std_offset_min':0},"
          "'energy':{'type':'tiered','tiers':[{'up_to_kwh':10,'price':200000},"
          "{'up_to_kwh':20,'price':300000},{'price':500000}]}}",
          &t);
  /* 2026-02-02 00:00Z, 24 hourly values of 1.5 kWh = 36 kWh */
  const int64_t t0 = 1769990400;
  ami_mdm_interval v[24];
  fill(v, 24, 1500 * WH);
  ami_mdm_usage u = {t0, 3600, 24, v, NULL};
  ami_mdm_bill b;
  assert_ami_ok(ami_mdm_bill_compute(&t, &u, &b));
  /* cumulative 9.0 kWh after hour 6, 10.5 after hour 7: the 06:00-07:00
   * value splits 1.0 kWh into tier 1 and 0.5 into tier 2; tier 1 is full at
   * 07:00. 19.5 after 13 h, 21.0 after 14 h: tier 2 full at 14:00. */
  assert_int_equal(b.det.tier_mwh[0], 10 * KWH);
  assert_int_equal(b.det.tier_mwh[1], 10 * KWH);
  assert_int_equal(b.det.tier_mwh[2], 16 * KWH);
  assert_int_equal(b.det.tier_full_t[0], t0 + 7 * 3600);
  assert_int_equal(b.det.tier_full_t[1], t0 + 14 * 3600);
  assert_int_equal(b.det.tier_full_t[2], 0);
  /* 10 * 0.20 = 200 c; 10 * 0.30 = 300 c; 16 * 0.50 = 800 c */
  assert_int_equal(line(&b, "Energy tier 1")->amount, 200);
  assert_int_equal(line(&b, "Energy tier 2")->amount, 300);
  assert_int_equal(line(&b, "Energy tier 3")->amount, 800);
  assert_int_equal(b.total, 1300);
}

static void test_demand_per_period(void **state) {
  (void)state;
  ami_mdm_tariff t;
  load_ok("{'name':'t','currency':'EUR',"
          "'timezone':{'dst':'none','std_offset_min':0},"
          "'periods':['peak','offpeak'],"
          "'seasons':[{'name':'all','from':'01-01','to':'12-31','days':{"
          "'weekday':[{'from':'00:00','to':'08:00','period':'offpeak'},"
          "{'from':'08:00','to':'20:00','period':'peak'},"
          "{'from':'20:00','to':'24:00','period':'offpeak'}]}}],"
          "'energy':{'type':'flat','price':0},"
          "'demand':[{'interval_min':30,'price_per_kw':5000000},"
          "{'interval_min':15,'period':'peak','price_per_kw':10000000}]}",
          &t);
  /* Tuesday 2026-02-03 00:00Z, quarter hours of 100 Wh (0.4 kW) */
  const int64_t t0 = 1770076800;
  ami_mdm_interval v[96];
  fill(v, 96, 100 * WH);
  v[12].value = 3000 * WH; /* 03:00-03:15: 12 kW, offpeak */
  v[13].value = 2000 * WH; /* 03:15-03:30: 30-min window 5000 Wh = 10 kW */
  v[31].value = 4000 * WH; /* 07:45-08:00: 16 kW but starts offpeak; the
                              07:30 window: 4100 Wh = 8.2 kW */
  v[48].value = 2000 * WH; /* 12:00-12:15: 8 kW peak */
  v[49].value = 2750 * WH; /* 12:15-12:30: 11 kW peak; window 9.5 kW */
  ami_mdm_usage u = {t0, 900, 96, v, NULL};
  ami_mdm_bill b;
  assert_ami_ok(ami_mdm_bill_compute(&t, &u, &b));
  /* any time, 30 min: max 10 kW in the window ending 03:30 */
  assert_int_equal(b.det.demand[0].max_mw, 10000000);
  assert_int_equal(b.det.demand[0].t, t0 + 3 * 3600 + 1800);
  /* peak, 15 min: max 11 kW ending 12:30 (16 and 12 kW were offpeak) */
  assert_int_equal(b.det.demand[1].max_mw, 11000000);
  assert_int_equal(b.det.demand[1].t, t0 + 12 * 3600 + 1800);
  /* 10 kW * 5.00 = 50.00 = 5000 c; 11 kW * 10.00 = 110.00 = 11000 c */
  assert_int_equal(line(&b, "Demand any time max 30-min")->amount, 5000);
  assert_int_equal(line(&b, "Demand peak max 15-min")->amount, 11000);
  assert_int_equal(b.total, 16000);

  /* a 30-min demand window needs data in 15- or 30-minute steps */
  ami_mdm_interval h[24];
  fill(h, 24, 0);
  ami_mdm_usage hu = {t0, 3600, 24, h, NULL};
  assert_ami(AMI_E_INCONSISTENT, ami_mdm_bill_compute(&t, &hu, &b));
}

/* ---------------------------------------------------------------------- */
/* Net metering */

static void net_bill(const char *netting, ami_mdm_bill *b) {
  char json[1024];
  snprintf(json, sizeof json,
           "{'name':'t','currency':'EUR',"
           "'timezone':{'dst':'none','std_offset_min':0},"
           "'periods':['peak','offpeak'],"
           "'seasons':[{'name':'all','from':'01-01','to':'12-31','days':{"
           "'weekday':[{'from':'00:00','to':'08:00','period':'offpeak'},"
           "{'from':'08:00','to':'20:00','period':'peak'},"
           "{'from':'20:00','to':'24:00','period':'offpeak'}]},"
           "'prices':{'peak':300000,'offpeak':100000}}],"
           "'energy':{'type':'tou'},"
           "'net_metering':{'netting':'%s','export_price':50000}}",
           netting);
  ami_mdm_tariff t;
  load_ok(json, &t);
  /* Tue 2026-02-03 and Wed 2026-02-04, hourly from 00:00Z */
  static ami_mdm_interval imp[48], exp[48];
  fill(imp, 48, 0);
  fill(exp, 48, 0);
  imp[2].value = 2 * KWH;  /* D1 02h offpeak */
  imp[12].value = 1 * KWH; /* D1 12h peak: import 1, export 3 */
  exp[12].value = 3 * KWH;
  imp[13].value = 1 * KWH;      /* D1 13h peak */
  imp[24 + 14].value = 3 * KWH; /* D2 14h peak */
  imp[24 + 22].value = 1 * KWH; /* D2 22h offpeak */
  ami_mdm_usage u = {1770076800, 3600, 48, imp, exp};
  assert_ami_ok(ami_mdm_bill_compute(&t, &u, b));
  assert_int_equal(b->det.import_mwh, 8 * KWH);
  assert_int_equal(b->det.export_mwh, 3 * KWH);
  assert_int_equal(b->det.net_mwh, 5 * KWH);
}

static void test_net_interval(void **state) {
  (void)state;
  ami_mdm_bill b;
  net_bill("interval", &b);
  /* D1 12h nets to -2 (credited); every other hour is pure import:
   * peak 1 (D1 13h) + 3 (D2 14h) = 4, offpeak 2 + 1 = 3, credit 2 */
  assert_int_equal(b.det.billed_mwh[0][0], 4 * KWH);
  assert_int_equal(b.det.billed_mwh[0][1], 3 * KWH);
  assert_int_equal(b.det.credited_total_mwh, 2 * KWH);
  /* 4 * 0.30 = 120; 3 * 0.10 = 30; -2 * 0.05 = -10 */
  assert_int_equal(line(&b, "Export credit")->amount, -10);
  assert_int_equal(b.total, 140);
}

static void test_net_day(void **state) {
  (void)state;
  ami_mdm_bill b;
  net_bill("day", &b);
  /* D1 peak: 1 + 1 - 3 = -1 (credit 1); D1 offpeak +2;
   * D2 peak +3; D2 offpeak +1 */
  assert_int_equal(b.det.billed_mwh[0][0], 3 * KWH);
  assert_int_equal(b.det.billed_mwh[0][1], 3 * KWH);
  assert_int_equal(b.det.credited_total_mwh, 1 * KWH);
  /* 3 * 0.30 = 90; 3 * 0.10 = 30; -1 * 0.05 = -5 */
  assert_int_equal(b.total, 115);
}

static void test_net_cycle(void **state) {
  (void)state;
  ami_mdm_bill b;
  net_bill("billing_period", &b);
  /* peak over the cycle: 1 + 1 + 3 - 3 = +2; offpeak +3; nothing credited */
  assert_int_equal(b.det.billed_mwh[0][0], 2 * KWH);
  assert_int_equal(b.det.billed_mwh[0][1], 3 * KWH);
  assert_int_equal(b.det.credited_total_mwh, 0);
  /* 2 * 0.30 = 60; 3 * 0.10 = 30 */
  assert_int_equal(b.n_lines, 2);
  assert_int_equal(b.total, 90);
}

/* ---------------------------------------------------------------------- */
/* Taxes, proration */

static void test_taxes(void **state) {
  (void)state;
  ami_mdm_tariff t;
  load_ok("{'name':'t','currency':'EUR',"
          "'timezone':{'dst':'none','std_offset_min':0},"
          "'energy':{'type':'flat','price':234500},'daily_charge':500000,"
          "'taxes':[{'name':'Electricity tax','rate_ppm':50000,"
          "'applies_to':['energy']},"
          "{'name':'VAT','rate_ppm':190000,'applies_to':['energy','fixed']}]}",
          &t);
  ami_mdm_interval v[24];
  fill(v, 24, 0);
  for (int i = 0; i < 20; i++)
    v[i].value = 500 * WH; /* 20 * 0.5 = 10 kWh */
  ami_mdm_usage u = {1770076800, 3600, 24, v, NULL};
  ami_mdm_bill b;
  assert_ami_ok(ami_mdm_bill_compute(&t, &u, &b));
  /* energy 10 kWh * 0.2345 = 2.345 EUR = 234.5 c -> 234 (half to even) */
  assert_int_equal(line(&b, "Energy")->amount, 234);
  /* fixed: one day * 0.50 = 50 c */
  assert_int_equal(line(&b, "Daily supply charge")->amount, 50);
  assert_int_equal(b.subtotal, 284);
  /* electricity tax 5% of energy only: 234 * 0.05 = 11.7 -> 12 */
  assert_int_equal(line(&b, "Electricity tax")->quantity, 234);
  assert_int_equal(line(&b, "Electricity tax")->amount, 12);
  /* VAT 19% of energy + fixed (not of the other tax): 284 * 0.19 = 53.96
   * -> 54 */
  assert_int_equal(line(&b, "VAT")->quantity, 284);
  assert_int_equal(line(&b, "VAT")->amount, 54);
  assert_int_equal(b.tax_total, 66);
  assert_int_equal(b.total, 350);
}

static void test_partial_cycle_proration(void **state) {
  (void)state;
  ami_mdm_tariff t;
  load_ok("{'name':'t','currency':'EUR',"
          "'timezone':{'dst':'EU','std_offset_min':60},"
          "'energy':{'type':'flat','price':0},'daily_charge':1000000}",
          &t);
  /* 2026-01-10 12:00 CET (11:00Z) .. 2026-01-13 00:00 CET (01-12 23:00Z):
   * half of Jan 10, all of Jan 11 and 12 = 500 + 1000 + 1000 */
  static ami_mdm_interval v[240];
  fill(v, 240, 0);
  ami_mdm_usage u = {1768042800, 900, (1768258800 - 1768042800) / 900, v, NULL};
  ami_mdm_bill b;
  assert_ami_ok(ami_mdm_bill_compute(&t, &u, &b));
  assert_int_equal(b.det.days_milli, 2500);
  /* 2.5 days * 1.00 = 250 c */
  assert_int_equal(line(&b, "Daily supply charge")->amount, 250);

  /* 2026-10-25 12:00 CET (11:00Z) .. 2026-10-26 00:00 CET (10-25 23:00Z):
   * 12 h of a 25-hour day = 12/25 = 480 milli-days = 48 c */
  u.start = 1792926000;
  u.n = (1792969200 - 1792926000) / 900;
  assert_ami_ok(ami_mdm_bill_compute(&t, &u, &b));
  assert_int_equal(b.det.days_milli, 480);
  assert_int_equal(b.total, 48);

  /* 7 hours of an ordinary day: 7/24 = 291.67 -> 292 milli-days;
   * 292 * 1.00 / 1000 = 29.2 c -> 29 */
  u.start = 1768042800;
  u.n = 7 * 4;
  assert_ami_ok(ami_mdm_bill_compute(&t, &u, &b));
  assert_int_equal(b.det.days_milli, 292);
  assert_int_equal(b.total, 29);
}

/* ---------------------------------------------------------------------- */
/* Rebill, prepaid */

static const char *FLAT_VAT =
    "{'name':'t','currency':'EUR','timezone':{'dst':'none','std_offset_min':0},"
    "'energy':{'type':'flat','price':300000},"
    "'taxes':[{'name':'VAT','rate_ppm':100000,'applies_to':['energy']}]}";

static void test_rebill_estimate_replaced(void **state) {
  (void)state;
  ami_mdm_tariff t;
  load_ok(FLAT_VAT, &t);
  ami_mdm_interval v[24];
  fill(v, 24, 1 * KWH);
  v[5].quality = AMI_MDM_Q_ESTIMATED; /* 05h estimated at 1 kWh */
  ami_mdm_usage u = {1770076800, 3600, 24, v, NULL};
  ami_mdm_bill old, nb, adj;
  assert_ami_ok(ami_mdm_bill_compute(&t, &u, &old));
  /* 24 kWh * 0.30 = 720 c; VAT 10% = 72 c; total 792 */
  assert_int_equal(old.det.n_estimated, 1);
  assert_int_equal(old.total, 792);

  v[5].value = 3500 * WH; /* the actual read arrives: 3.5 kWh */
  v[5].quality = AMI_MDM_Q_ACTUAL;
  assert_ami_ok(ami_mdm_rebill(&t, &old, &u, &nb, &adj));
  /* 26.5 kWh * 0.30 = 795 c; VAT 79.5 -> 80 (half to even); total 875 */
  assert_int_equal(nb.det.n_estimated, 0);
  assert_int_equal(nb.total, 875);
  /* adjustment: energy +2.5 kWh, +75 c; VAT base +75, +8 c; total +83 */
  assert_int_equal(adj.n_lines, 2);
  assert_int_equal(line(&adj, "Energy")->quantity, 2500 * WH);
  assert_int_equal(line(&adj, "Energy")->amount, 75);
  assert_int_equal(line(&adj, "VAT")->quantity, 75);
  assert_int_equal(line(&adj, "VAT")->amount, 8);
  assert_int_equal(adj.subtotal, 75);
  assert_int_equal(adj.tax_total, 8);
  assert_int_equal(adj.total, 83);

  /* a line that disappears is reversed: an estimated export of 3 kWh at
   * 12h (net -2 kWh, credited) is replaced by an actual 0 */
  ami_mdm_tariff tn;
  load_ok("{'name':'t','currency':'EUR',"
          "'timezone':{'dst':'none','std_offset_min':0},"
          "'energy':{'type':'flat','price':300000},"
          "'net_metering':{'netting':'interval','export_price':50000}}",
          &tn);
  ami_mdm_interval e[24];
  fill(v, 24, 1 * KWH);
  fill(e, 24, 0);
  e[12].value = 3 * KWH;
  e[12].quality = AMI_MDM_Q_ESTIMATED;
  ami_mdm_usage un = {1770076800, 3600, 24, v, e};
  assert_ami_ok(ami_mdm_bill_compute(&tn, &un, &old));
  /* 23 kWh * 0.30 = 690 c; credit 2 kWh * 0.05 = -10 c */
  assert_int_equal(old.total, 680);
  e[12].value = 0;
  e[12].quality = AMI_MDM_Q_ACTUAL;
  assert_ami_ok(ami_mdm_rebill(&tn, &old, &un, &nb, &adj));
  /* 24 kWh = 720 c, no credit; adjustment: energy +1 kWh +30 c, export
   * credit reversed: -2 kWh, +10 c; total +40 */
  assert_int_equal(nb.total, 720);
  assert_int_equal(adj.n_lines, 2);
  assert_int_equal(line(&adj, "Energy")->amount, 30);
  assert_int_equal(line(&adj, "Export credit")->quantity, -2 * KWH);
  assert_int_equal(line(&adj, "Export credit")->amount, 10);
  assert_int_equal(adj.total, 40);

  /* a rebill must cover the same cycle */
  u.n = 23;
  assert_ami(AMI_E_INCONSISTENT, ami_mdm_rebill(&t, &old, &u, &nb, &adj));
}

static void test_prepaid_ledger(void **state) {
  (void)state;
  ami_mdm_tariff t;
  load_ok("{'name':'t','currency':'EUR',"
          "'timezone':{'dst':'none','std_offset_min':0},"
          "'energy':{'type':'flat','price':250000},'daily_charge':400000}",
          &t);
  ami_mdm_ledger_entry led[7];
  ami_mdm_prepaid p;
  const int64_t d0 = 1770076800;
  /* opening 5.00, warn below 3.00, 2.00 emergency credit */
  assert_ami_ok(ami_mdm_prepaid_init(&p, led, 7, d0, 500, 300, 200));
  ami_mdm_interval v[24];
  ami_mdm_usage u = {d0, 3600, 24, v, NULL};
  ami_mdm_bill b;

  fill(v, 24, 0);
  v[18].value = 10 * KWH;
  /* day 1: 10 kWh * 0.25 = 250 + fixed 40 = 290 -> 500 - 290 = 210 */
  assert_ami_ok(ami_mdm_prepaid_charge(&p, &t, &u, &b));
  assert_int_equal(b.total, 290);
  assert_int_equal(p.balance, 210);
  assert_int_equal(ami_mdm_prepaid_status(&p), AMI_MDM_PREPAID_LOW);

  assert_ami(AMI_E_INVAL, ami_mdm_prepaid_topup(&p, d0 + 86400, 0, "x"));
  assert_ami_ok(ami_mdm_prepaid_topup(&p, d0 + 86400, 1000, "PAY-0001"));
  assert_int_equal(p.balance, 1210);
  assert_int_equal(ami_mdm_prepaid_status(&p), AMI_MDM_PREPAID_CREDIT);

  /* day 2: 20 kWh -> 500 + 40 = 540; 1210 - 540 = 670 */
  fill(v, 24, 0);
  for (int i = 0; i < 20; i++)
    v[i].value = 1 * KWH;
  u.start = d0 + 86400;
  assert_ami_ok(ami_mdm_prepaid_charge(&p, &t, &u, NULL));
  assert_int_equal(p.balance, 670);
  /* day 3: 30 kWh -> 750 + 40 = 790; 670 - 790 = -120: emergency credit */
  fill(v, 24, 1250 * WH);
  u.start = d0 + 2 * 86400;
  assert_ami_ok(ami_mdm_prepaid_charge(&p, &t, &u, NULL));
  assert_int_equal(p.balance, -120);
  assert_int_equal(ami_mdm_prepaid_status(&p), AMI_MDM_PREPAID_EMERGENCY);
  /* a correction of +10 (e.g. a rebill) -> -110 */
  assert_ami_ok(ami_mdm_prepaid_adjust(&p, d0 + 3 * 86400, 10, "rebill"));
  assert_int_equal(p.balance, -110);
  /* day 4: 10 kWh -> 290; -110 - 290 = -400 < -200: exhausted */
  fill(v, 24, 0);
  v[0].value = 10 * KWH;
  u.start = d0 + 3 * 86400;
  assert_ami_ok(ami_mdm_prepaid_charge(&p, &t, &u, NULL));
  assert_int_equal(p.balance, -400);
  assert_int_equal(ami_mdm_prepaid_status(&p), AMI_MDM_PREPAID_EXHAUSTED);

  /* the ledger: every change, with the balance after it */
  static const struct {
    uint8_t kind;
    int64_t amount, balance;
  } want[7] = {
      {AMI_MDM_LEDGER_OPEN, 500, 500},     {AMI_MDM_LEDGER_CHARGE, -290, 210},
      {AMI_MDM_LEDGER_TOPUP, 1000, 1210},  {AMI_MDM_LEDGER_CHARGE, -540, 670},
      {AMI_MDM_LEDGER_CHARGE, -790, -120}, {AMI_MDM_LEDGER_ADJUST, 10, -110},
      {AMI_MDM_LEDGER_CHARGE, -290, -400}};
  assert_int_equal(p.n, 7);
  for (int i = 0; i < 7; i++) {
    assert_int_equal(led[i].kind, want[i].kind);
    assert_int_equal(led[i].amount, want[i].amount);
    assert_int_equal(led[i].balance, want[i].balance);
  }
  assert_string_equal(led[2].ref, "PAY-0001");
  assert_int_equal(led[1].t, d0 + 86400); /* charge dated at the day end */

  /* a full ledger refuses further entries and leaves the balance alone */
  assert_ami(AMI_E_BUFFER_FULL,
             ami_mdm_prepaid_topup(&p, d0 + 4 * 86400, 5000, "PAY-0002"));
  assert_ami(AMI_E_BUFFER_FULL, ami_mdm_prepaid_charge(&p, &t, &u, NULL));
  assert_int_equal(p.balance, -400);
  assert_int_equal(p.n, 7);
}

/* ---------------------------------------------------------------------- */
/* The loader */

/* The billing cursor (ami_mdm_tariff_classify_at), walked forward and
 * reusing its cached day, answers exactly as a fresh evaluation
 * (ami_mdm_tariff_classify) at every 15-minute instant of 2025-2027 for
 * every shipped tariff (EU, US, AU rules: both DST changes of each year),
 * with the local day of ami_mdm_tz_local_day, and when walked backwards. */
static void test_cursor_matches_classify(void **state) {
  (void)state;
  static const char *const files[] = {
      "demand_commercial_eu.json", "flat_residential_de.json",
      "net_metering_au_nsw.json", "tiered_blocks_us_pacific.json",
      "tou_seasonal_us_east.json"};
  const char *src = getenv("AMI_SOURCE_DIR");
  if (src == NULL)
    skip();
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char path[1024], err[256];
    ami_mdm_tariff t;
    snprintf(path, sizeof path, "%s/tariffs/%s", src, files[i]);
    assert_ami_ok(ami_mdm_tariff_json_load_file(path, &t, err, sizeof err));
    ami_mdm_tariff_cursor c;
    memset(&c, 0, sizeof c);
    c.t = &t;
    const int64_t from = 1735689600, to = 1830297600; /* 2025 .. 2028 */
    for (int64_t u = from; u < to; u += 900) {
      unsigned s1, d1, p1, s2, d2, p2;
      int64_t day;
      ami_mdm_tariff_classify(&t, u, &s1, &d1, &p1);
      ami_mdm_tariff_classify_at(&c, u, &s2, &d2, &p2, &day);
      if (s1 != s2 || d1 != d2 || p1 != p2 ||
          day != ami_mdm_tz_local_day(&t.tz, u))
        fail_msg("%s at %lld: %u/%u/%u vs cursor %u/%u/%u", files[i],
                 (long long)u, s1, d1, p1, s2, d2, p2);
    }
    for (int64_t u = to; u > from; u -= 86400 + 900) {
      unsigned p1, p2;
      ami_mdm_tariff_classify(&t, u, NULL, NULL, &p1);
      ami_mdm_tariff_classify_at(&c, u, NULL, NULL, &p2, NULL);
      assert_int_equal(p1, p2);
    }
  }
}

static void test_load_tariff_files(void **state) {
  (void)state;
  static const char *const files[] = {
      "demand_commercial_eu.json", "flat_residential_de.json",
      "net_metering_au_nsw.json", "tiered_blocks_us_pacific.json",
      "tou_seasonal_us_east.json"};
  const char *src = getenv("AMI_SOURCE_DIR");
  if (src == NULL)
    skip();
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char path[1024], err[256];
    ami_mdm_tariff t;
    snprintf(path, sizeof path, "%s/tariffs/%s", src, files[i]);
    int rc = ami_mdm_tariff_json_load_file(path, &t, err, sizeof err);
    if (rc != AMI_OK)
      fail_msg("%s: %s", files[i], err);
  }
  /* spot checks against the file text */
  char path[1024], err[256];
  ami_mdm_tariff t;
  snprintf(path, sizeof path, "%s/tariffs/tou_seasonal_us_east.json", src);
  assert_ami_ok(ami_mdm_tariff_json_load_file(path, &t, err, sizeof err));
  assert_int_equal(t.n_seasons, 2);
  assert_int_equal(t.n_periods, 3);
  assert_int_equal(t.tz.std_offset_s, -5 * 3600);
  assert_int_equal(t.tz.kind, AMI_MDM_TZ_US);
  assert_int_equal(t.season[1].price[0], 213000); /* winter on_peak */
  assert_int_equal(t.n_holidays, 7);
  /* 2026-07-03 (Friday, a holiday) 15:00 EDT = 19:00Z = 1783105200: the
   * holiday schedule defaults to the weekend one: off_peak */
  unsigned s, dt, p;
  ami_mdm_tariff_classify(&t, 1783105200, &s, &dt, &p);
  assert_int_equal(s, 0);
  assert_int_equal(dt, AMI_MDM_DAY_HOLIDAY);
  assert_int_equal(p, 2);
  /* Thursday 2026-07-02 15:00 EDT = 1783018800: summer on_peak */
  ami_mdm_tariff_classify(&t, 1783018800, &s, &dt, &p);
  assert_int_equal(dt, AMI_MDM_DAY_WEEKDAY);
  assert_int_equal(p, 0);
  assert_ami(AMI_E_IO, ami_mdm_tariff_json_load_file("/nonexistent/x.json", &t,
                                                     err, sizeof err));
}

/* A day billed under a shipped tariff file, by hand from the file's text. */
static void test_bill_with_tariff_file(void **state) {
  (void)state;
  const char *src = getenv("AMI_SOURCE_DIR");
  if (src == NULL)
    skip();
  char path[1024], err[256];
  ami_mdm_tariff t;
  snprintf(path, sizeof path, "%s/tariffs/tou_seasonal_us_east.json", src);
  assert_ami_ok(ami_mdm_tariff_json_load_file(path, &t, err, sizeof err));
  /* Thursday 2026-07-02 in EDT (UTC-4): local midnight 04:00Z =
   * 1782964800; 24 hourly values of 1 kWh. Summer weekday: off_peak
   * 00-07 + 23-24 = 8 h, mid_peak 07-14 + 19-23 = 11 h, on_peak 14-19 =
   * 5 h. */
  ami_mdm_interval v[24];
  fill(v, 24, 1 * KWH);
  ami_mdm_usage u = {1782964800, 3600, 24, v, NULL};
  ami_mdm_bill b;
  assert_ami_ok(ami_mdm_bill_compute(&t, &u, &b));
  assert_string_equal(b.currency, "USD");
  /* on_peak 5 * 0.284 = 1.42 -> 142 c */
  assert_int_equal(line(&b, "Energy summer on_peak")->amount, 142);
  /* mid_peak 11 * 0.161 = 1.771 -> 177 c */
  assert_int_equal(line(&b, "Energy summer mid_peak")->amount, 177);
  /* off_peak 8 * 0.092 = 0.736 -> 74 c */
  assert_int_equal(line(&b, "Energy summer off_peak")->amount, 74);
  /* one day at 0.328767 = 32.8767 -> 33 c */
  assert_int_equal(line(&b, "Daily supply charge")->amount, 33);
  assert_int_equal(b.subtotal, 426);
  /* sales tax 4% of energy + fixed: 17.04 -> 17 */
  assert_int_equal(line(&b, "State sales tax")->amount, 17);
  assert_int_equal(b.total, 443);

  /* a value above the engine's input limit */
  v[3].value = AMI_MDM_BILL_MAX_VALUE + 1;
  assert_ami(AMI_E_RANGE, ami_mdm_bill_compute(&t, &u, &b));
}

/* kWh text ("0.48200000000000004") -> mWh, rounded half up at the 6th
 * decimal; -1 on anything else. */
static int64_t parse_kwh(const char *s, const char **end) {
  int64_t whole = 0, frac = 0;
  int digits = 0;
  const char *p = s;
  *end = s;
  if (*p < '0' || *p > '9')
    return -1;
  while (*p >= '0' && *p <= '9')
    whole = whole * 10 + (*p++ - '0');
  if (*p == '.') {
    p++;
    while (*p >= '0' && *p <= '9') {
      if (digits < 6)
        frac = frac * 10 + (*p - '0');
      else if (digits == 6 && *p >= '5')
        frac++; /* half up on the 7th decimal */
      digits++;
      p++;
    }
  }
  for (; digits < 6; digits++)
    frac *= 10;
  *end = p;
  return whole * KWH + frac;
}

/* A month of REAL data: Ausgrid solar home customer 12 (shared/data,
 * half-hourly general consumption GC and PV generation GG, kWh; stamps are
 * interval starts in AEST, UTC+10, without DST: every day has 48 rows),
 * January 2012, billed under tariffs/net_metering_au_nsw.json with
 * import = GC and export = GG netted per interval; TOU periods in AEDT.
 *
 * The expected numbers were computed independently of OpenAMI by a short
 * Python program, tests/unit/mdm_bill_reference.py (zoneinfo "Australia/Sydney"
 * for local time, decimal for exact arithmetic, ROUND_HALF_EVEN per line): for
 * each row in [2012-01-01 00:00, 2012-02-01 00:00) AEST: gc, gg = round(kWh *
 * 1e6); net = gc - gg p = period(start converted to Sydney time)  -- the file's
 * schedule net > 0: billed[p] += net  else: credited -= net line =
 * round_half_even(qty * price / 1e10); fixed: milli-days of the cycle 01:00
 * AEDT Jan 1 .. 01:00 AEDT Feb 1 = 958 + 30*1000 + 42; GST 10% of energy +
 * fixed. Results: 1488 intervals; import 1,154,098,000 mWh; export 268,262,000;
 * billed peak 160,912,000 / shoulder 400,714,000 / offpeak 331,316,000;
 * credited 7,106,000; lines 8239 + 11901 + 7090 c, export -36 c, fixed
 * 31000 mdays * 1.10 = 3410 c; subtotal 30604; GST 3064; total 33668. */
static void test_bill_real_ausgrid_month(void **state) {
  (void)state;
  const char *src = getenv("AMI_SOURCE_DIR");
  const char *csv =
      ami_test_shared_path("data/ausgrid-solar-home-customer12-2011-2012.csv");
  if (src == NULL || csv == NULL) {
    print_message("shared/ or AMI_SOURCE_DIR absent: skipped\n");
    skip();
  }
  char *text = ami_test_read_file(csv, NULL);
  assert_non_null(text);
  /* 2012-01-01 00:00 AEST = 2011-12-31 14:00Z */
  const int64_t t0 = ami_days_from_civil(2012, 1, 1) * 86400 - 36000;
  enum { NJAN = 31 * 48 };
  static ami_mdm_interval imp[NJAN], exp[NJAN];
  size_t got = 0;
  for (char *line_p = strchr(text, '\n'); line_p != NULL && line_p[1];
       line_p = strchr(line_p + 1, '\n')) {
    int y, mo, d, h, mi, sec;
    const char *p = line_p + 1;
    if (sscanf(p, "%4d-%2d-%2d %2d:%2d:%2d,", &y, &mo, &d, &h, &mi, &sec) != 6)
      continue;
    int64_t t = ami_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
                h * 3600 + mi * 60 + sec - 36000;
    if (t < t0 || t >= t0 + NJAN * 1800)
      continue;
    size_t i = (size_t)((t - t0) / 1800);
    p = strchr(p, ',') + 1;
    const char *e;
    int64_t gc = parse_kwh(p, &e);
    assert_true(gc >= 0 && *e == ',');
    int64_t gg = parse_kwh(e + 1, &e);
    assert_true(gg >= 0);
    imp[i] = (ami_mdm_interval){gc, AMI_MDM_Q_ACTUAL, 0, 0};
    exp[i] = (ami_mdm_interval){gg, AMI_MDM_Q_ACTUAL, 0, 0};
    got++;
  }
  free(text);
  assert_int_equal(got, NJAN);

  char path[1024], err[256];
  ami_mdm_tariff t;
  snprintf(path, sizeof path, "%s/tariffs/net_metering_au_nsw.json", src);
  assert_ami_ok(ami_mdm_tariff_json_load_file(path, &t, err, sizeof err));
  ami_mdm_usage u = {t0, 1800, NJAN, imp, exp};
  ami_mdm_bill b;
  assert_ami_ok(ami_mdm_bill_compute(&t, &u, &b));
  assert_int_equal(b.det.import_mwh, 1154098000);
  assert_int_equal(b.det.export_mwh, 268262000);
  assert_int_equal(b.det.billed_mwh[0][0], 160912000); /* peak */
  assert_int_equal(b.det.billed_mwh[0][1], 400714000); /* shoulder */
  assert_int_equal(b.det.billed_mwh[0][2], 331316000); /* offpeak */
  assert_int_equal(b.det.credited_total_mwh, 7106000);
  assert_int_equal(line(&b, "Energy all-year peak")->amount, 8239);
  assert_int_equal(line(&b, "Energy all-year shoulder")->amount, 11901);
  assert_int_equal(line(&b, "Energy all-year offpeak")->amount, 7090);
  assert_int_equal(line(&b, "Export credit")->amount, -36);
  assert_int_equal(b.det.days_milli, 31000);
  assert_int_equal(line(&b, "Daily supply charge")->amount, 3410);
  assert_int_equal(b.subtotal, 30604);
  assert_int_equal(line(&b, "GST 10%")->amount, 3064);
  assert_int_equal(b.total, 33668);
}

/* A valid TOU tariff with two seasons, in pieces, so each invalid case
 * changes one thing. */
#define HEAD                                                                   \
  "{'name':'t','currency':'EUR','timezone':{'dst':'EU','std_offset_min':60},"  \
  "'periods':['peak','offpeak'],"
#define DAY_OK                                                                 \
  "[{'from':'00:00','to':'07:00','period':'offpeak'},"                         \
  "{'from':'07:00','to':'20:00','period':'peak'},"                             \
  "{'from':'20:00','to':'24:00','period':'offpeak'}]"
#define PRICES "'prices':{'peak':300000,'offpeak':100000}"
#define SUMMER(day)                                                            \
  "{'name':'summer','from':'04-01','to':'09-30','days':{'weekday':" day        \
  "}," PRICES "}"
#define WINTER(day)                                                            \
  "{'name':'winter','from':'10-01','to':'03-31','days':{'weekday':" day        \
  "}," PRICES "}"
#define TAIL "'energy':{'type':'tou'}}"

static void test_load_valid_base(void **state) {
  (void)state;
  ami_mdm_tariff t;
  load_ok(HEAD "'seasons':[" SUMMER(DAY_OK) "," WINTER(DAY_OK) "]," TAIL, &t);
  assert_int_equal(t.n_seasons, 2);
  assert_int_equal(t.season[1].from_md, 1001);
  assert_int_equal(t.season[1].to_md, 331);
  assert_int_equal(ami_mdm_tariff_season_of(&t, 1, 15), 1);
  assert_int_equal(ami_mdm_tariff_season_of(&t, 7, 15), 0);
}

static void test_load_errors(void **state) {
  (void)state;
  static const struct {
    const char *json;
    int rc;
    const char *msg;
  } cases[] = {
      /* unknown keys, at the root and deep inside */
      {HEAD
       "'seasons':[" SUMMER(DAY_OK) "," WINTER(DAY_OK) "],'colour':1," TAIL,
       AMI_E_BAD_VALUE, "(root): unknown key 'colour'"},
      {HEAD "'seasons':[" SUMMER(DAY_OK) "," WINTER(
           "[{'from':'00:00','to':'07:00','period':'offpeak'},"
           "{'from':'07:00','to':'24:00','period':'peak','prize':1}]") "]"
                                                                       "," TAIL,
       AMI_E_BAD_VALUE, "seasons[1].days.weekday[1]: unknown key 'prize'"},
      /* overlapping TOU periods: the third slot starts inside the second */
      {HEAD "'seasons':[" SUMMER(DAY_OK) "," WINTER(
           "[{'from':'00:00','to':'07:00','period':'offpeak'},"
           "{'from':'07:00','to':'20:00','period':'peak'},"
           "{'from':'19:00','to':'24:00','period':'offpeak'}]") "]," TAIL,
       AMI_E_BAD_VALUE, "seasons[1].days.weekday[2]: periods overlap"},
      /* a gap in the day, and a day that stops before midnight */
      {HEAD "'seasons':[" SUMMER("[{'from':'00:00','to':'07:00','period':'"
                                 "offpeak'},"
                                 "{'from':'08:00','to':'24:00','period':'peak'}"
                                 "]") "," WINTER(DAY_OK) "]," TAIL,
       AMI_E_BAD_VALUE, "seasons[0].days.weekday: gap from 07:00 to 08:00"},
      {HEAD "'seasons':[" SUMMER("[{'from':'00:00','to':'22:00','period':'"
                                 "offpeak'}]") "," WINTER(DAY_OK) "]," TAIL,
       AMI_E_BAD_VALUE, "seasons[0].days.weekday: gap from 22:00 to 24:00"},
      {HEAD "'seasons':[" SUMMER("[{'from':'00:00','to':'25:00','period':'"
                                 "offpeak'}]") "," WINTER(DAY_OK) "]," TAIL,
       AMI_E_BAD_VALUE,
       "seasons[0].days.weekday[0].to: must be a time 'HH:MM'"},
      {HEAD "'seasons':[" SUMMER("[{'from':'00:00','to':'24:00','period':'pk'}"
                                 "]") "," WINTER(DAY_OK) "]," TAIL,
       AMI_E_BAD_VALUE,
       "seasons[0].days.weekday[0].period: unknown period 'pk'"},
      /* negative and fractional prices */
      {HEAD "'seasons':[" SUMMER(
           DAY_OK) ",{'name':'winter','from':'10-01',"
                   "'to':'03-31','days':{'weekday':" DAY_OK "},"
                   "'prices':{'peak':-1,'offpeak':100000}}]," TAIL,
       AMI_E_BAD_VALUE, "seasons[1].prices.peak: must not be negative"},
      {"{'name':'t','currency':'EUR','timezone':{'dst':'none',"
       "'std_offset_min':0},'energy':{'type':'flat','price':0.25}}",
       AMI_E_BAD_VALUE,
       "energy.price: must be an integer (prices in micro-units)"},
      {"{'name':'t','currency':'EUR','timezone':{'dst':'none',"
       "'std_offset_min':0},'energy':{'type':'tiered','tiers':["
       "{'up_to_kwh':100,'price':1},{'price':-5}]}}",
       AMI_E_BAD_VALUE, "energy.tiers[1].price: must not be negative"},
      {"{'name':'t','currency':'EUR','timezone':{'dst':'none',"
       "'std_offset_min':0},'energy':{'type':'tiered','tiers':["
       "{'up_to_kwh':100,'price':1},{'up_to_kwh':50,'price':2},"
       "{'price':3}]}}",
       AMI_E_BAD_VALUE, "energy.tiers[1]: tier bounds must increase"},
      /* seasons that overlap or leave dates out */
      {HEAD
       "'seasons':[" SUMMER(DAY_OK) ",{'name':'w','from':'09-30',"
                                    "'to':'03-31','days':{'weekday':" DAY_OK
                                    "}," PRICES "}]," TAIL,
       AMI_E_BAD_VALUE, "seasons[1]: overlaps seasons[0] on 09-30"},
      {HEAD
       "'seasons':[" SUMMER(DAY_OK) ",{'name':'w','from':'10-02',"
                                    "'to':'03-31','days':{'weekday':" DAY_OK
                                    "}," PRICES "}]," TAIL,
       AMI_E_BAD_VALUE, "seasons: 10-01 is in no season"},
      {HEAD
       "'seasons':[" SUMMER(DAY_OK) ",{'name':'summer','from':'10-01',"
                                    "'to':'03-31','days':{'weekday':" DAY_OK
                                    "}," PRICES "}]," TAIL,
       AMI_E_BAD_VALUE, "seasons[1]: duplicate season name"},
      /* other sections */
      {HEAD "'seasons':[" SUMMER(DAY_OK) "," WINTER(
           DAY_OK) "],'holidays':['2026-12-25','2026-02-30']," TAIL,
       AMI_E_BAD_VALUE, "holidays[1]: must be a date 'YYYY-MM-DD'"},
      {HEAD "'seasons':[" SUMMER(DAY_OK) "," WINTER(
           DAY_OK) "],'demand':[{'interval_min':20,'price_per_kw':1}]," TAIL,
       AMI_E_BAD_VALUE, "demand[0].interval_min: must be 15 or 30"},
      {HEAD "'seasons':[" SUMMER(DAY_OK) "," WINTER(
           DAY_OK) "],'net_metering':{'netting':'weekly','export_price':1}"
                   "," TAIL,
       AMI_E_BAD_VALUE,
       "net_metering.netting: must be 'interval', 'day' or 'billing_period'"},
      {HEAD "'seasons':[" SUMMER(DAY_OK) "," WINTER(
           DAY_OK) "],'taxes':[{'name':'VAT','rate_ppm':190000,"
                   "'applies_to':['energy','vat']}]," TAIL,
       AMI_E_BAD_VALUE,
       "taxes[0].applies_to[1]: must be 'energy', 'demand', 'fixed' or "
       "'export'"},
      {"{'name':'t','currency':'eur','timezone':{'dst':'none',"
       "'std_offset_min':0},'energy':{'type':'flat','price':1}}",
       AMI_E_BAD_VALUE, "currency: must be an ISO 4217 code like 'EUR'"},
      {"{'name':'t','currency':'EUR','energy':{'type':'flat','price':1}}",
       AMI_E_BAD_VALUE, "timezone: required"},
      {HEAD "'seasons':[" SUMMER(DAY_OK) "," WINTER(DAY_OK) "]}",
       AMI_E_BAD_VALUE, "energy: required"},
      /* limits and plain JSON errors */
      {"{'name':'t','currency':'EUR','timezone':{'dst':'none',"
       "'std_offset_min':0},'periods':['a','b','c','d','e','f','g','h','i'],"
       "'energy':{'type':'flat','price':1}}",
       AMI_E_LIMIT, "periods: must have 1..8 names"},
      {"{'name':'t','name':'u'}", AMI_E_SYNTAX, NULL},
      {"{'name':'t',", AMI_E_SYNTAX, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ami_mdm_tariff t;
    char err[256], want[256];
    int rc = load_q(cases[i].json, &t, err, sizeof err);
    if (rc != cases[i].rc)
      fail_msg("case %zu: %s, expected %s (%s)", i, ami_err_name(rc),
               ami_err_name(cases[i].rc), err);
    if (cases[i].msg == NULL) {
      assert_true(strncmp(err, "json: line 1", 12) == 0);
      continue;
    }
    size_t n = strlen(cases[i].msg);
    for (size_t k = 0; k <= n; k++)
      want[k] = cases[i].msg[k] == '\'' ? '"' : cases[i].msg[k];
    if (strcmp(err, want) != 0)
      fail_msg("case %zu: message\n  got:      %s\n  expected: %s", i, err,
               want);
  }
}

/* Every proper prefix of a valid tariff is incomplete JSON: AMI_E_SYNTAX
 * (the loader's documented "truncated" result), never a crash or a read
 * past the end (guard page). */
static void test_load_truncations(void **state) {
  (void)state;
  size_t n = strlen(TOU_CET);
  char *s = malloc(n + 1);
  assert_non_null(s);
  for (size_t i = 0; i <= n; i++)
    s[i] = TOU_CET[i] == '\'' ? '"' : TOU_CET[i];
  for (size_t cut = 0; cut < n; cut++) {
    ami_mdm_tariff t;
    char err[256];
    uint8_t *g = ami_test_guarded_copy((const uint8_t *)s, cut);
    assert_ami(AMI_E_SYNTAX, ami_mdm_tariff_json_loads((const char *)g, cut, &t,
                                                       err, sizeof err));
    ami_test_guarded_free(g, cut);
  }
  free(s);
}

/* The JSON "dst" values name the unified zone kinds; a rule with no saving
 * (dst_save_min 0) is a fixed zone, and the default saving is an hour. */
static void test_load_timezone_kinds(void **state) {
  (void)state;
  static const struct {
    const char *tz;
    ami_mdm_tz_kind kind;
    int32_t std, save;
  } cases[] = {
      {"{'dst':'none','std_offset_min':330}", AMI_MDM_TZ_FIXED, 19800, 0},
      {"{'dst':'EU','std_offset_min':60}", AMI_MDM_TZ_EU, 3600, 3600},
      {"{'dst':'US','std_offset_min':-300,'dst_save_min':60}", AMI_MDM_TZ_US,
       -18000, 3600},
      {"{'dst':'AU','std_offset_min':570,'dst_save_min':30}",
       AMI_MDM_TZ_AU_SOUTH, 34200, 1800},
      {"{'dst':'EU','std_offset_min':0,'dst_save_min':0}", AMI_MDM_TZ_FIXED, 0,
       0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char js[512];
    snprintf(js, sizeof js,
             "{'name':'t','currency':'EUR','timezone':%s,"
             "'energy':{'type':'flat','price':1}}",
             cases[i].tz);
    ami_mdm_tariff t;
    load_ok(js, &t);
    assert_int_equal(t.tz.kind, cases[i].kind);
    assert_int_equal(t.tz.std_offset_s, cases[i].std);
    assert_int_equal(ami_mdm_tz_dst_save(&t.tz), cases[i].save);
    assert_null(t.tz.fn);
  }
  /* EU with no saving keeps its standard offset in summer */
  ami_mdm_tariff t;
  load_ok("{'name':'t','currency':'EUR','timezone':{'dst':'EU',"
          "'std_offset_min':60,'dst_save_min':0},"
          "'energy':{'type':'flat','price':1}}",
          &t);
  assert_int_equal(ami_mdm_tz_offset(&t.tz, 1783105200), 3600);
}

/* A CUSTOM zone: its callback's offset. */
static int32_t plus_3h(const void *user, int64_t t) {
  (void)user;
  (void)t;
  return 10800;
}

static void test_tariff_check_rejects(void **state) {
  (void)state;
  ami_mdm_tariff t;
  ami_mdm_tz tz = {
      .kind = AMI_MDM_TZ_FIXED, .std_offset_s = 0, .dst_save_s = 0};
  ami_mdm_tariff_init_flat(&t, &tz, 100000);
  assert_ami_ok(ami_mdm_tariff_check(&t));
  t.season[0].to_md = 1230; /* Dec 31 in no season */
  assert_ami(AMI_E_INVAL, ami_mdm_tariff_check(&t));
  ami_mdm_tariff_init_flat(&t, &tz, -1);
  assert_ami(AMI_E_INVAL, ami_mdm_tariff_check(&t));
  ami_mdm_tariff_init_flat(&t, &tz, 1);
  t.energy_kind = AMI_MDM_ENERGY_TIERED; /* no tiers */
  assert_ami(AMI_E_INVAL, ami_mdm_tariff_check(&t));
  /* the engine refuses the same */
  ami_mdm_interval v[4];
  fill(v, 4, 0);
  ami_mdm_usage u = {0, 900, 4, v, NULL};
  ami_mdm_bill b;
  assert_ami(AMI_E_INVAL, ami_mdm_bill_compute(&t, &u, &b));
  ami_mdm_tariff_init_flat(&t, &tz, 1);
  u.start = 10; /* off the interval grid */
  assert_ami(AMI_E_INVAL, ami_mdm_bill_compute(&t, &u, &b));
  u.start = 0;
  v[2].value = -5;
  assert_ami(AMI_E_BAD_VALUE, ami_mdm_bill_compute(&t, &u, &b));
  v[2].value = 0;
  v[2].quality = AMI_MDM_Q_MISSING;
  v[2].value = -5; /* meaningless when missing */
  assert_ami_ok(ami_mdm_bill_compute(&t, &u, &b));
  assert_int_equal(b.det.n_missing, 1);
  /* zone kinds: CUSTOM needs its callback; unknown kinds are refused */
  ami_mdm_tz custom = {.kind = AMI_MDM_TZ_CUSTOM, .std_offset_s = 0};
  ami_mdm_tariff_init_flat(&t, &custom, 1);
  assert_ami(AMI_E_INVAL, ami_mdm_tariff_check(&t));
  custom.fn = plus_3h;
  ami_mdm_tariff_init_flat(&t, &custom, 1);
  assert_ami_ok(ami_mdm_tariff_check(&t));
  unsigned season, dt, period;
  ami_mdm_tariff_classify(&t, 1783105200, &season, &dt, &period);
  assert_int_equal(dt, AMI_MDM_DAY_WEEKDAY); /* Friday 22:00 +03 */
  ami_mdm_tariff_classify(&t, 1783105200 + 2 * 3600, &season, &dt, &period);
  assert_int_equal(dt, AMI_MDM_DAY_WEEKEND); /* Saturday 00:00 +03 */
  t.tz.kind = (ami_mdm_tz_kind)5;
  assert_ami(AMI_E_INVAL, ami_mdm_tariff_check(&t));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_half_even),
      cmocka_unit_test(test_tz_rules),
      cmocka_unit_test(test_tz_against_zoneinfo),
      cmocka_unit_test(test_tou_boundary),
      cmocka_unit_test(test_dst_spring_forward),
      cmocka_unit_test(test_dst_fall_back),
      cmocka_unit_test(test_tier_crossing),
      cmocka_unit_test(test_demand_per_period),
      cmocka_unit_test(test_net_interval),
      cmocka_unit_test(test_net_day),
      cmocka_unit_test(test_net_cycle),
      cmocka_unit_test(test_taxes),
      cmocka_unit_test(test_partial_cycle_proration),
      cmocka_unit_test(test_rebill_estimate_replaced),
      cmocka_unit_test(test_prepaid_ledger),
      cmocka_unit_test(test_load_tariff_files),
      cmocka_unit_test(test_cursor_matches_classify),
      cmocka_unit_test(test_bill_with_tariff_file),
      cmocka_unit_test(test_bill_real_ausgrid_month),
      cmocka_unit_test(test_load_valid_base),
      cmocka_unit_test(test_load_errors),
      cmocka_unit_test(test_load_truncations),
      cmocka_unit_test(test_load_timezone_kinds),
      cmocka_unit_test(test_tariff_check_rejects),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
