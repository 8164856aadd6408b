/*
 * test_meter_tou.c -- lib/meter time-of-use: tariff switching exactly on
 * local-time boundaries (ordinary days and both EU DST days, 23 and 25
 * hours long), special days (configured and inserted by the Special Days
 * Table's insert method), season changes, and passive calendar activation
 * (by activation time and by the activate_passive_calendar method, with a
 * passive calendar written as hand-encoded A-XDR). Every expected value is
 * computed by hand from the reference calendar in ami_test_meter.h; the
 * dates' weekdays were worked out from 2026-01-01 being a Thursday, and the
 * EU DST days of 2026 are 29 March and 25 October (last Sundays).
 */
#include "ami_test.h"

#include <stdlib.h>
#include <string.h>

#include "ami/ami_axdr.h"
#include "ami/ami_meter.h"
#include "ami/ami_meter_events.h"
#include "ami_test_meter.h"

#define MWH_PER_MIN 10000 /* 600 W */

static ami_meter *make(uint64_t start) {
  ami_meter_config cfg;
  ami_meter_calendar cal;
  ami_test_meter_config(&cfg, &cal);
  ami_meter *m;
  assert_ami_ok(ami_meter_new(&cfg, NULL, start, &m));
  return m;
}

static void step(ami_meter *m, uint64_t t, int64_t import_mwh) {
  ami_metro_readout r;
  ami_test_meter_readout(&r, import_mwh, 0);
  assert_ami_ok(ami_meter_step(m, t, &r));
}

static const ami_obis DAILY = {0, 0, 98, 2, 0, 255};
static const ami_obis LP1 = {1, 0, 99, 1, 0, 255};
static const ami_obis STDLOG = {0, 0, 99, 98, 0, 255};

/* Run a constant 600 W load in one-minute steps from `from` to `to`. */
static void run_minutes(ami_meter *m, uint64_t from, uint64_t to) {
  int64_t e = 0;
  step(m, from, e);
  for (uint64_t t = from + 60000; t <= to; t += 60000) {
    e += MWH_PER_MIN;
    step(m, t, e);
  }
}

/* 14 Jan 2026 is a Wednesday in season 'W': day 1 switches to rate 2 at
 * 07:00 CET = 06:00 UTC. A step from 05:59:30 to 06:00:30 carrying 60 Wh
 * puts 30 Wh on each side; a step ending exactly at 20:00 UTC (21:00 CET)
 * belongs wholly to the rate before the switch. */
static void test_switch_on_boundary(void **state) {
  (void)state;
  ami_meter *m = make(ami_test_utc(2026, 1, 14, 5, 58, 0));
  assert_int_equal(ami_meter_active_rate(m), 1);
  step(m, ami_test_utc(2026, 1, 14, 5, 59, 30), 0);
  step(m, ami_test_utc(2026, 1, 14, 6, 0, 30), 60000);
  assert_int_equal(ami_meter_energy(m, AMI_METER_QTY_IMPORT, 1), 30000);
  assert_int_equal(ami_meter_energy(m, AMI_METER_QTY_IMPORT, 2), 30000);
  assert_int_equal(ami_meter_energy(m, AMI_METER_QTY_IMPORT, 0), 60000);
  assert_int_equal(ami_meter_active_rate(m), 2);
  /* through the model: 1-0:1.8.1 = 30 Wh, 1.8.0 = 60 Wh, 0-0:96.14.0 = 2 */
  assert_int_equal(
      ami_test_meter_get_int(m, 3, ami_obis_make(1, 0, 1, 8, 1, 255), 2), 30);
  assert_int_equal(
      ami_test_meter_get_int(m, 3, ami_obis_make(1, 0, 1, 8, 0, 255), 2), 60);
  assert_int_equal(
      ami_test_meter_get_int(m, 1, ami_obis_make(0, 0, 96, 14, 0, 255), 2), 2);
  step(m, ami_test_utc(2026, 1, 14, 19, 59, 0), 60000);
  step(m, ami_test_utc(2026, 1, 14, 20, 0, 0), 90000);
  assert_int_equal(ami_meter_energy(m, AMI_METER_QTY_IMPORT, 2), 60000);
  assert_int_equal(ami_meter_active_rate(m), 1);
  step(m, ami_test_utc(2026, 1, 14, 20, 1, 0), 120000);
  assert_int_equal(ami_meter_energy(m, AMI_METER_QTY_IMPORT, 1), 60000);
  /* one long irregular step over both switches of 15 Jan (Thursday):
   * 00:00..24:00 UTC = 01:00 CET .. 01:00 CET next day, 24 h of 1 Wh/min:
   * rate 2 from 06:00 to 20:00 UTC = 840 min, rate 1 the other 600 min. */
  step(m, ami_test_utc(2026, 1, 15, 0, 0, 0), 120000);
  step(m, ami_test_utc(2026, 1, 16, 0, 0, 0), 120000 + 1440 * 1000);
  assert_int_equal(ami_meter_energy(m, AMI_METER_QTY_IMPORT, 2),
                   60000 + 840000);
  assert_int_equal(ami_meter_energy(m, AMI_METER_QTY_IMPORT, 1),
                   60000 + 600000);
  ami_meter_free(m);
}

static bool has_event(ami_meter *m, ami_obis log, uint8_t code,
                      uint64_t *when_local_hm) {
  static ami_test_meter_row rows[200];
  size_t n = ami_test_meter_rows(m, log, rows, 200);
  for (size_t i = 0; i < n; i++)
    if (rows[i].v[1] == code) {
      if (when_local_hm)
        *when_local_hm =
            rows[i].t[0].time.hour * 100u + rows[i].t[0].time.minute;
      return true;
    }
  return false;
}

/* 29 March 2026, Sunday (day 2, rate 4 from 07:00 local), the 23-hour day:
 * DST begins at 01:00 UTC, so 07:00 CEST = 05:00 UTC. 600 W from Sat 22:30
 * UTC to Sun 22:30 UTC. Rate 3: 22:30..05:00 (390 min) + 19:00..22:00
 * (180 min) = 5700 Wh; rate 4: 05:00..19:00 (840 min) = 8400 Wh; local
 * Monday (day 1, rate 1) begins at 22:00 UTC: 30 min = 300 Wh. Daily
 * rows at local midnights 28th 23:00 UTC (300 Wh) and 29th 22:00 UTC
 * (300 + 23 h x 600 W = 14100 Wh; rate 3 part 3900 + 1800 = 5700). */
static void test_spring_dst_day(void **state) {
  (void)state;
  ami_meter *m = make(ami_test_utc(2026, 3, 28, 22, 29, 0));
  run_minutes(m, ami_test_utc(2026, 3, 28, 22, 30, 0),
              ami_test_utc(2026, 3, 29, 22, 30, 0));
  assert_int_equal(ami_meter_energy(m, AMI_METER_QTY_IMPORT, 3), 5700000);
  assert_int_equal(ami_meter_energy(m, AMI_METER_QTY_IMPORT, 1), 300000);
  assert_int_equal(ami_meter_energy(m, AMI_METER_QTY_IMPORT, 4), 8400000);
  assert_int_equal(ami_meter_energy(m, AMI_METER_QTY_IMPORT, 0), 14400000);
  static ami_test_meter_row rows[100];
  size_t n = ami_test_meter_rows(m, DAILY, rows, 100);
  assert_int_equal(n, 2);
  /* clock, +A, +A r1..r4, -A */
  assert_int_equal(rows[0].t[0].date.day, 29);
  assert_int_equal(rows[0].t[0].time.hour, 0);
  assert_int_equal(rows[0].t[0].deviation, -60);
  assert_int_equal(rows[0].v[1], 300);
  assert_int_equal(rows[1].t[0].date.day, 30);
  assert_int_equal(rows[1].t[0].time.hour, 0);
  assert_int_equal(rows[1].t[0].deviation, -120);
  assert_int_equal(rows[1].t[0].status, AMI_COSEM_STATUS_DST_ACTIVE);
  assert_int_equal(rows[1].v[1], 14100);
  assert_int_equal(rows[1].v[4], 5700);
  assert_int_equal(rows[1].v[5], 8400);
  assert_int_equal(rows[1].v[1] - rows[0].v[1], 23 * 600);
  /* DST change event at 01:00 UTC = 03:00 CEST */
  uint64_t hm = 0;
  assert_true(has_event(m, STDLOG, AMI_EV_DST_CHANGED, &hm));
  assert_int_equal(hm, 300);
  /* load profile: the meter runs from 22:29, so rows at 22:30 .. 22:30 UTC
   * the next day: 24 h x 4 + 1 = 97 rows; local 01:45 CET is
   * followed by 03:00 CEST; status column has the DST bit (0x08) after. */
  static ami_test_meter_row lp[200];
  n = ami_test_meter_rows(m, LP1, lp, 200);
  assert_int_equal(n, 97);
  size_t i = 0;
  while (i < n && !(lp[i].t[0].time.hour == 1 && lp[i].t[0].time.minute == 45))
    i++;
  assert_true(i + 1 < n);
  assert_int_equal(lp[i].v[1], 0);
  assert_int_equal(lp[i + 1].t[0].time.hour, 3);
  assert_int_equal(lp[i + 1].t[0].time.minute, 0);
  assert_int_equal(lp[i + 1].v[1], 0x08);
  ami_meter_free(m);
}

/* 25 October 2026, Sunday, the 25-hour day: DST ends at 01:00 UTC; 07:00
 * CET = 06:00 UTC, 21:00 CET = 20:00 UTC. 600 W from Sat 21:30 UTC (23:30
 * CEST) to Sun 23:30 UTC. Daily rows at 24th 22:00 UTC (300 Wh) and 25th
 * 23:00 UTC (300 + 25 x 600 = 15300 Wh; rate 3: 510 + 180 min = 6900 Wh,
 * rate 4: 840 min = 8400 Wh). Local 02:15 is captured twice. */
static void test_autumn_dst_day(void **state) {
  (void)state;
  ami_meter *m = make(ami_test_utc(2026, 10, 24, 21, 29, 0));
  run_minutes(m, ami_test_utc(2026, 10, 24, 21, 30, 0),
              ami_test_utc(2026, 10, 25, 23, 30, 0));
  static ami_test_meter_row rows[100];
  size_t n = ami_test_meter_rows(m, DAILY, rows, 100);
  assert_int_equal(n, 2);
  assert_int_equal(rows[0].t[0].date.day, 25);
  assert_int_equal(rows[0].t[0].deviation, -120);
  assert_int_equal(rows[0].v[1], 300);
  assert_int_equal(rows[1].t[0].date.day, 26);
  assert_int_equal(rows[1].t[0].time.hour, 0);
  assert_int_equal(rows[1].t[0].deviation, -60);
  assert_int_equal(rows[1].v[1], 15300);
  assert_int_equal(rows[1].v[4], 6900);
  assert_int_equal(rows[1].v[5], 8400);
  assert_int_equal(rows[1].v[1] - rows[0].v[1], 25 * 600);
  uint64_t hm = 0;
  assert_true(has_event(m, STDLOG, AMI_EV_DST_CHANGED, &hm));
  assert_int_equal(hm, 200);
  static ami_test_meter_row lp[200];
  n = ami_test_meter_rows(m, LP1, lp, 200);
  unsigned twice = 0, oct25 = 0;
  for (size_t i = 0; i < n; i++) {
    if (lp[i].t[0].date.day == 25)
      oct25++;
    if (lp[i].t[0].time.hour == 2 && lp[i].t[0].time.minute == 15) {
      assert_int_equal(lp[i].t[0].deviation, twice == 0 ? -120 : -60);
      assert_int_equal(lp[i].v[1], twice == 0 ? 0x08 : 0);
      twice++;
    }
  }
  assert_int_equal(twice, 2);
  assert_int_equal(oct25, 100);
  ami_meter_free(m);
}

/* Special days: 6 January (configured, day 3: rate 1 all day) is a Tuesday;
 * at 10:00 CET the rate is 1, where 7 January (Wednesday) would give 2 --
 * until the Special Days Table's insert method adds 2026-01-07 too. */
static void test_special_days(void **state) {
  (void)state;
  ami_meter *m = make(ami_test_utc(2026, 1, 6, 8, 59, 0));
  step(m, ami_test_utc(2026, 1, 6, 9, 0, 0), 0);
  assert_int_equal(ami_meter_active_rate(m), 1);
  step(m, ami_test_utc(2026, 1, 7, 9, 0, 0), 0);
  assert_int_equal(ami_meter_active_rate(m), 2);
  /* insert { index 2, date 2026-01-07, day_id 3 } as a client would */
  ami_server_assoc_info info;
  memset(&info, 0, sizeof info);
  info.client_address = 1;
  ami_apdu_desc d = {11, {0, 0, 11, 0, 0, 255}, 1};
  size_t plen;
  uint8_t *params = ami_test_hex("02031200020905"
                                 "07EA0107FF"
                                 "1103",
                                 &plen);
  uint8_t retb[16];
  ami_wr ret;
  ami_wr_init(&ret, retb, sizeof retb);
  bool has_ret;
  uint8_t result = 0xFF;
  assert_ami_ok(ami_cosem_action(ami_meter_model(m), &info, &d,
                                 ami_span_make(params, plen), &ret, &has_ret,
                                 &result));
  assert_int_equal(result, 0);
  free(params);
  step(m, ami_test_utc(2026, 1, 7, 9, 1, 0), 0);
  assert_int_equal(ami_meter_active_rate(m), 1);
  uint8_t buf[128];
  size_t n = ami_test_meter_get(m, 11, ami_obis_make(0, 0, 11, 0, 0, 255), 2,
                                buf, sizeof buf);
  ami_axdr_dec dec;
  uint32_t cnt;
  ami_axdr_dec_init(&dec, buf, n);
  assert_ami_ok(ami_axdr_get_array(&dec, &cnt));
  assert_int_equal(cnt, 2);
  /* delete index 1: 6 January 2027 (a Wednesday) is an ordinary day */
  d.id = 2;
  params = ami_test_hex("120001", &plen);
  assert_ami_ok(ami_cosem_action(ami_meter_model(m), &info, &d,
                                 ami_span_make(params, plen), &ret, &has_ret,
                                 &result));
  assert_int_equal(result, 0);
  free(params);
  step(m, ami_test_utc(2027, 1, 6, 9, 0, 0), 0);
  assert_int_equal(ami_meter_active_rate(m), 2);
  ami_meter_free(m);
}

/* Season change on 1 April: 31 March (Tuesday, season 'W', day 1) at
 * 07:30 CEST (05:30 UTC) is rate 2; 1 April (Wednesday, season 'S', day 4)
 * at the same time is rate 1 until 08:00 CEST (06:00 UTC). Back on 1
 * October (Thursday): 07:30 CEST gives rate 2 again, 30 September (day 4)
 * rate 1. */
static void test_season_change(void **state) {
  (void)state;
  ami_meter *m = make(ami_test_utc(2026, 3, 31, 5, 0, 0));
  step(m, ami_test_utc(2026, 3, 31, 5, 30, 0), 0);
  assert_int_equal(ami_meter_active_rate(m), 2);
  step(m, ami_test_utc(2026, 4, 1, 5, 30, 0), 0);
  assert_int_equal(ami_meter_active_rate(m), 1);
  step(m, ami_test_utc(2026, 4, 1, 6, 0, 0), 0);
  assert_int_equal(ami_meter_active_rate(m), 2);
  step(m, ami_test_utc(2026, 9, 30, 5, 30, 0), 0);
  assert_int_equal(ami_meter_active_rate(m), 1);
  step(m, ami_test_utc(2026, 10, 1, 5, 30, 0), 0);
  assert_int_equal(ami_meter_active_rate(m), 2);
  ami_meter_free(m);
}

/* Passive calendar "P2" (one season, every day day 9 = rate 4), programmed
 * with activation at local 2026-01-14 12:00 (11:00 UTC): a step from
 * 10:59:30 to 11:00:30 UTC carrying 60 Wh splits 30/30 between rate 2 and
 * rate 4; events 19 then 9; the activation time is disarmed; the active
 * attributes now read what the passive ones hold. */
static void test_passive_activation_time(void **state) {
  (void)state;
  uint64_t t0 = ami_test_utc(2026, 1, 14, 10, 58, 0);
  ami_meter *m = make(t0);
  ami_meter_calendar p;
  memset(&p, 0, sizeof p);
  memcpy(p.name, "P2", 2);
  p.name_len = 2;
  p.nseasons = 1;
  p.seasons[0] = (ami_meter_season){ami_meter_pname_make("X"), 1, 1,
                                    ami_meter_pname_make("x")};
  p.nweeks = 1;
  p.weeks[0] = (ami_meter_week_profile){ami_meter_pname_make("x"),
                                        {9, 9, 9, 9, 9, 9, 9}};
  p.ndays = 1;
  p.days[0].day_id = 9;
  p.days[0].nswitches = 1;
  p.days[0].sw[0] = (ami_meter_switch){0, 0, 4};
  ami_cosem_datetime at = ami_cosem_datetime_unspecified();
  at.date.year = 2026;
  at.date.month = 1;
  at.date.day = 14;
  at.time.hour = 12;
  at.time.minute = 0;
  at.time.second = 0;
  at.time.hundredths = 0;
  assert_ami_ok(ami_meter_set_passive_calendar(m, &p, &at, t0));
  step(m, ami_test_utc(2026, 1, 14, 10, 59, 30), 0);
  assert_int_equal(ami_meter_active_rate(m), 2);
  step(m, ami_test_utc(2026, 1, 14, 11, 0, 30), 60000);
  assert_int_equal(ami_meter_active_rate(m), 4);
  assert_int_equal(ami_meter_energy(m, AMI_METER_QTY_IMPORT, 2), 30000);
  assert_int_equal(ami_meter_energy(m, AMI_METER_QTY_IMPORT, 4), 30000);
  static ami_test_meter_row rows[10];
  size_t n = ami_test_meter_rows(m, STDLOG, rows, 10);
  assert_int_equal(n, 2);
  assert_int_equal(rows[0].v[1], AMI_EV_PASSIVE_TOU_PROGRAMMED);
  assert_int_equal(rows[1].v[1], AMI_EV_TOU_ACTIVATED);
  assert_int_equal(rows[1].t[0].time.hour, 12);
  assert_int_equal(rows[1].t[0].time.minute, 0);
  uint8_t a[512], b[512];
  ami_obis cal = ami_obis_make(0, 0, 13, 0, 0, 255);
  size_t na = ami_test_meter_get(m, 20, cal, 10, a, sizeof a);
  ami_test_assert_bytes(a, na,
                        "090C"
                        "FFFFFFFFFFFFFFFFFF"
                        "8000"
                        "FF");
  for (int8_t k = 2; k <= 5; k++) {
    na = ami_test_meter_get(m, 20, cal, k, a, sizeof a);
    size_t nb = ami_test_meter_get(m, 20, cal, (int8_t)(k + 4), b, sizeof b);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
  }
  /* the day table in hand-written A-XDR: day 9, 00:00 -> 0-0:10.0.100,
   * selector 4 */
  na = ami_test_meter_get(m, 20, cal, 5, a, sizeof a);
  ami_test_assert_bytes(a, na,
                        "0101"
                        "0202"
                        "1109"
                        "0101"
                        "0203"
                        "090400000000"
                        "0906 00000A0064FF"
                        "120004");
  ami_meter_free(m);
}

/* A passive calendar SET attribute by attribute as hand-encoded A-XDR by
 * the management client (Blue Book class 20 attributes 6..9), then the
 * activate_passive_calendar method: rate 4 at once, event 9. A name longer
 * than 8 bytes makes the activation fail (other-reason), nothing changes. */
static void test_passive_by_dlms(void **state) {
  (void)state;
  ami_meter *m = make(ami_test_utc(2026, 1, 14, 10, 0, 0));
  assert_int_equal(ami_meter_active_rate(m), 2);
  ami_server_assoc_info info;
  memset(&info, 0, sizeof info);
  info.client_address = 1;
  /* Two week profiles whose names share their first byte ("WEEK_A" all
   * days day 5 = rate 1, "WEEK_B" all days day 6 = rate 4); the season
   * "S1" uses WEEK_B: names must be compared whole. */
  static const char *vals[4] = {
      "09025033",
      "0101 0203 09025331 090C07E90101FF000000008000FF 09065745454B5F42",
      "0102"
      " 0208 09065745454B5F41 1105 1105 1105 1105 1105 1105 1105"
      " 0208 09065745454B5F42 1106 1106 1106 1106 1106 1106 1106",
      "0102"
      " 0202 1105 0101 0203 090400000000 090600000A0064FF 120001"
      " 0202 1106 0101 0203 090400000000 090600000A0064FF 120004"};
  for (int8_t k = 0; k < 4; k++) {
    ami_apdu_desc d = {20, {0, 0, 13, 0, 0, 255}, (int8_t)(6 + k)};
    size_t n;
    uint8_t *v = ami_test_hex(vals[k], &n);
    uint8_t dar = 0xFF;
    assert_ami_ok(ami_cosem_set(ami_meter_model(m), &info, &d, NULL,
                                ami_span_make(v, n), &dar));
    assert_int_equal(dar, 0);
    free(v);
  }
  ami_apdu_desc act = {20, {0, 0, 13, 0, 0, 255}, 1};
  uint8_t retb[8];
  ami_wr ret;
  ami_wr_init(&ret, retb, sizeof retb);
  bool has;
  uint8_t result = 0xFF;
  static const uint8_t zero[2] = {0x0F, 0x00};
  assert_ami_ok(ami_cosem_action(ami_meter_model(m), &info, &act,
                                 ami_span_make(zero, 2), &ret, &has, &result));
  assert_int_equal(result, 0);
  assert_int_equal(ami_meter_active_rate(m), 4);
  assert_true(has_event(m, STDLOG, AMI_EV_TOU_ACTIVATED, NULL));
  assert_true(has_event(m, STDLOG, AMI_EV_PASSIVE_TOU_PROGRAMMED, NULL));
  uint8_t a[32];
  size_t na = ami_test_meter_get(m, 20, ami_obis_make(0, 0, 13, 0, 0, 255), 2,
                                 a, sizeof a);
  ami_test_assert_bytes(a, na, "09025033");
  /* a 9-byte week name in the passive calendar: activation refused */
  ami_apdu_desc wk = {20, {0, 0, 13, 0, 0, 255}, 8};
  size_t n9;
  uint8_t *v9 = ami_test_hex("0101 0208 0909 313233343536373839"
                             " 1105 1105 1105 1105 1105 1105 1105",
                             &n9);
  uint8_t dar = 0xFF;
  assert_ami_ok(ami_cosem_set(ami_meter_model(m), &info, &wk, NULL,
                              ami_span_make(v9, n9), &dar));
  assert_int_equal(dar, 0);
  free(v9);
  assert_ami_ok(ami_cosem_action(ami_meter_model(m), &info, &act,
                                 ami_span_make(zero, 2), &ret, &has, &result));
  assert_int_equal(result, AMI_COSEM_DAR_OTHER_REASON);
  assert_int_equal(ami_meter_active_rate(m), 4);
  ami_meter_free(m);
}

/* One long step across the spring DST change and the 07:00 switch: from
 * 00:30 to 05:30 UTC on 29 March (300 min, 300 Wh): rate 3 until 05:00 UTC
 * (= 07:00 CEST, 270 min -> 270 Wh), rate 4 after (30 Wh). */
static void test_step_across_dst(void **state) {
  (void)state;
  ami_meter *m = make(ami_test_utc(2026, 3, 29, 0, 30, 0));
  step(m, ami_test_utc(2026, 3, 29, 0, 30, 0), 0);
  step(m, ami_test_utc(2026, 3, 29, 5, 30, 0), 300000);
  assert_int_equal(ami_meter_energy(m, AMI_METER_QTY_IMPORT, 3), 270000);
  assert_int_equal(ami_meter_energy(m, AMI_METER_QTY_IMPORT, 4), 30000);
  assert_true(has_event(m, STDLOG, AMI_EV_DST_CHANGED, NULL));
  ami_meter_free(m);
}

static void set_clock_attr(ami_meter *m, int8_t attr, const char *hex) {
  ami_server_assoc_info info;
  memset(&info, 0, sizeof info);
  info.client_address = 1;
  ami_apdu_desc d = {8, {0, 0, 1, 0, 0, 255}, attr};
  size_t n;
  uint8_t *v = ami_test_hex(hex, &n);
  uint8_t dar = 0xFF;
  assert_ami_ok(ami_cosem_set(ami_meter_model(m), &info, &d, NULL,
                              ami_span_make(v, n), &dar));
  assert_int_equal(dar, 0);
  free(v);
}

/* The DST rule: the EU default switches at 01:00 UTC on the last Sundays
 * (offsets +60 / +120 minutes). Then a North-American rule written through
 * the Clock's attributes: time zone +300 (Blue Book deviation of EST),
 * begin FFFF-03-08 Sunday 02:00 (the first Sunday on or after the 8th =
 * the second Sunday: 8 March 2026, 02:00 EST = 07:00 UTC), end FFFF-11-01
 * Sunday 02:00 (1 November 2026, 02:00 EDT = 06:00 UTC). */
static void test_dst_rules(void **state) {
  (void)state;
  ami_meter *m = make(ami_test_utc(2026, 1, 1, 0, 0, 0));
  bool dst;
  assert_int_equal(ami_meter_local_offset(
                       m, ami_test_utc(2026, 3, 29, 0, 59, 59) + 999, &dst),
                   60);
  assert_false(dst);
  assert_int_equal(
      ami_meter_local_offset(m, ami_test_utc(2026, 3, 29, 1, 0, 0), &dst), 120);
  assert_true(dst);
  assert_int_equal(
      ami_meter_local_offset(m, ami_test_utc(2026, 10, 25, 0, 59, 59), NULL),
      120);
  assert_int_equal(
      ami_meter_local_offset(m, ami_test_utc(2026, 10, 25, 1, 0, 0), NULL), 60);
  /* 2027: last Sundays are 28 March and 31 October */
  assert_int_equal(
      ami_meter_local_offset(m, ami_test_utc(2027, 3, 28, 1, 0, 0), NULL), 120);
  assert_int_equal(
      ami_meter_local_offset(m, ami_test_utc(2027, 3, 27, 1, 0, 0), NULL), 60);
  assert_int_equal(
      ami_meter_local_offset(m, ami_test_utc(2027, 10, 31, 0, 59, 0), NULL),
      120);
  assert_int_equal(
      ami_meter_local_offset(m, ami_test_utc(2027, 10, 31, 1, 0, 0), NULL), 60);
  set_clock_attr(m, 3, "10012C");
  set_clock_attr(m, 5, "090C FFFF0308 07 02000000 8000 FF");
  set_clock_attr(m, 6, "090C FFFF0B01 07 02000000 8000 FF");
  ami_metro_readout r;
  ami_test_meter_readout(&r, 0, 0);
  assert_ami_ok(ami_meter_step(m, ami_test_utc(2026, 1, 1, 0, 1, 0), &r));
  assert_int_equal(
      ami_meter_local_offset(m, ami_test_utc(2026, 3, 8, 6, 59, 0), NULL),
      -300);
  assert_int_equal(
      ami_meter_local_offset(m, ami_test_utc(2026, 3, 8, 7, 0, 0), NULL), -240);
  assert_int_equal(
      ami_meter_local_offset(m, ami_test_utc(2026, 11, 1, 5, 59, 0), NULL),
      -240);
  assert_int_equal(
      ami_meter_local_offset(m, ami_test_utc(2026, 11, 1, 6, 0, 0), NULL),
      -300);
  /* disabled: standard time all year */
  set_clock_attr(m, 8, "0300");
  assert_ami_ok(ami_meter_step(m, ami_test_utc(2026, 1, 1, 0, 2, 0), &r));
  assert_int_equal(
      ami_meter_local_offset(m, ami_test_utc(2026, 7, 1, 0, 0, 0), NULL), -300);
  ami_meter_free(m);
}

/* Before a day's first switch the previous day's last selection holds:
 * Monday (day 10) 06:00 r2, 22:00 r3; Tuesday..Sunday (day 11) 06:00 r4.
 * 13 January 2026 is a Tuesday: 03:00 CET (02:00 UTC) -> 3 (Monday's
 * 22:00), 07:00 -> 4; Wednesday 03:00 -> 4 (Tuesday's 06:00). */
static void test_previous_day_carries(void **state) {
  (void)state;
  ami_meter_calendar c;
  memset(&c, 0, sizeof c);
  c.nseasons = 1;
  c.seasons[0] = (ami_meter_season){ami_meter_pname_make("ALL"), 1, 1,
                                    ami_meter_pname_make("WK")};
  c.nweeks = 1;
  c.weeks[0] = (ami_meter_week_profile){ami_meter_pname_make("WK"),
                                        {10, 11, 11, 11, 11, 11, 11}};
  c.ndays = 2;
  c.days[0].day_id = 10;
  c.days[0].nswitches = 2;
  c.days[0].sw[0] = (ami_meter_switch){22, 0, 3}; /* listed out of order */
  c.days[0].sw[1] = (ami_meter_switch){6, 0, 2};
  c.days[1].day_id = 11;
  c.days[1].nswitches = 1;
  c.days[1].sw[0] = (ami_meter_switch){6, 0, 4};
  ami_meter_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.tz_offset_min = 60;
  cfg.calendar = &c;
  ami_meter *m;
  assert_ami_ok(
      ami_meter_new(&cfg, NULL, ami_test_utc(2026, 1, 12, 12, 0, 0), &m));
  assert_int_equal(ami_meter_active_rate(m), 2);
  step(m, ami_test_utc(2026, 1, 13, 2, 0, 0), 0);
  assert_int_equal(ami_meter_active_rate(m), 3);
  step(m, ami_test_utc(2026, 1, 13, 6, 0, 0), 0);
  assert_int_equal(ami_meter_active_rate(m), 4);
  step(m, ami_test_utc(2026, 1, 14, 2, 0, 0), 0);
  assert_int_equal(ami_meter_active_rate(m), 4);
  ami_meter_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_switch_on_boundary),
      cmocka_unit_test(test_spring_dst_day),
      cmocka_unit_test(test_autumn_dst_day),
      cmocka_unit_test(test_special_days),
      cmocka_unit_test(test_season_change),
      cmocka_unit_test(test_passive_activation_time),
      cmocka_unit_test(test_passive_by_dlms),
      cmocka_unit_test(test_step_across_dst),
      cmocka_unit_test(test_dst_rules),
      cmocka_unit_test(test_previous_day_carries),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
