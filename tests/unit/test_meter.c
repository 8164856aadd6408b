/*
 * test_meter.c -- lib/meter core: maximum demand (block and sliding window,
 * reset by method), billing-period closure into the monthly and daily
 * billing profiles, load profile capture alignment and contents (with
 * irregular steps spanning capture boundaries), every event the core
 * generates landing in the right log, the Clock (set by DLMS and API,
 * shift_time, adjust_to_quarter) and reading registers, a profile and an
 * event log through a real DLMS session (client engine <-> wrapper links <->
 * server engine <-> the meter's model). Expected values are computed by
 * hand in the comments (power x time); none is copied from our output.
 */
#include "ami_test.h"

#include <stdlib.h>
#include <string.h>

#include "ami/ami_acse.h"
#include "ami/ami_axdr.h"
#include "ami/ami_client.h"
#include "ami/ami_crypto_openssl.h"
#include "ami/ami_meter.h"
#include "ami/ami_meter_events.h"
#include "ami/ami_server.h"
#include "ami/ami_wrapper_link.h"
#include "ami_test_meter.h"

static const ami_obis MONTHLY = {0, 0, 98, 1, 0, 255};
static const ami_obis DAILY = {0, 0, 98, 2, 0, 255};
static const ami_obis LP1 = {1, 0, 99, 1, 0, 255};
static const ami_obis STDLOG = {0, 0, 99, 98, 0, 255};
static const ami_obis FRAUDLOG = {0, 0, 99, 98, 1, 255};
static const ami_obis DISCLOG = {0, 0, 99, 98, 2, 255};
static const ami_obis PQLOG = {0, 0, 99, 98, 4, 255};
static const ami_obis CLOCK = {0, 0, 1, 0, 0, 255};

/* CET without DST and without a calendar: rate 1 always. */
static ami_meter *make_plain(uint64_t start, uint32_t dem_period,
                             uint16_t dem_n, uint32_t lp1) {
  ami_meter_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.tz_offset_min = 60;
  cfg.demand_period_s = dem_period;
  cfg.demand_periods = dem_n;
  cfg.lp1_period_s = lp1;
  ami_meter *m;
  assert_ami_ok(ami_meter_new(&cfg, NULL, start, &m));
  return m;
}

static int64_t get_int(ami_meter *m, uint16_t cls, uint8_t a, uint8_t b,
                       uint8_t c, uint8_t d, uint8_t e, int8_t attr) {
  return ami_test_meter_get_int(m, cls, ami_obis_make(a, b, c, d, e, 255),
                                attr);
}

/* Constant load: `per_min` mWh each minute for `minutes` one-minute steps;
 * returns the new cumulative import. */
static int64_t run(ami_meter *m, uint64_t *t, int64_t e, int64_t per_min,
                   unsigned minutes) {
  ami_metro_readout r;
  for (unsigned i = 0; i < minutes; i++) {
    *t += 60000;
    e += per_min;
    ami_test_meter_readout(&r, e, 0);
    assert_ami_ok(ami_meter_step(m, *t, &r));
  }
  return e;
}

static void base_step(ami_meter *m, uint64_t t) {
  ami_metro_readout r;
  ami_test_meter_readout(&r, 0, 0);
  assert_ami_ok(ami_meter_step(m, t, &r));
}

/* Block demand, 15 min: 1.8 kW for 15 min (450 Wh -> 1800 W), 3.6 kW for
 * 15 min (900 Wh -> 3600 W), then 1.8 kW for 5 min: current average
 * 150 Wh over the 0.25 h period = 600 W. Local time is UTC+1, so 00:00 UTC
 * is aligned. The reset method of 1-0:1.6.0 clears value and time. */
static void test_demand_block(void **state) {
  (void)state;
  uint64_t t = ami_test_utc(2026, 1, 14, 0, 0, 0);
  ami_meter *m = make_plain(t, 900, 1, 0);
  base_step(m, t);
  int64_t e = run(m, &t, 0, 30000, 15);
  assert_int_equal(get_int(m, 5, 1, 0, 1, 4, 0, 3), 1800);
  assert_int_equal(get_int(m, 4, 1, 0, 1, 6, 0, 2), 1800);
  e = run(m, &t, e, 60000, 15);
  assert_int_equal(get_int(m, 5, 1, 0, 1, 4, 0, 3), 3600);
  e = run(m, &t, e, 30000, 5);
  (void)e;
  assert_int_equal(get_int(m, 5, 1, 0, 1, 4, 0, 2), 600);
  assert_int_equal(get_int(m, 4, 1, 0, 1, 6, 0, 2), 3600);
  assert_int_equal(get_int(m, 4, 1, 0, 1, 6, 1, 2), 3600);
  assert_int_equal(get_int(m, 4, 1, 0, 1, 6, 2, 2), 0);
  assert_int_equal(ami_meter_max_demand(m, AMI_METER_QTY_IMPORT, 0), 3600);
  /* capture_time of the maximum: 00:30 UTC = 01:30 local, deviation -60 */
  uint8_t buf[32];
  size_t n = ami_test_meter_get(m, 4, ami_obis_make(1, 0, 1, 6, 0, 255), 5, buf,
                                sizeof buf);
  ami_test_assert_bytes(buf, n, "090C 07EA010E03 011E0000 FFC4 00");
  /* reset (class 4 method 1) by the management client */
  ami_server_assoc_info info;
  memset(&info, 0, sizeof info);
  info.client_address = 1;
  ami_apdu_desc d = {4, {1, 0, 1, 6, 0, 255}, 1};
  static const uint8_t zero[2] = {0x0F, 0x00};
  uint8_t rb[8];
  ami_wr ret;
  ami_wr_init(&ret, rb, sizeof rb);
  bool has;
  uint8_t result = 0xFF;
  assert_ami_ok(ami_cosem_action(ami_meter_model(m), &info, &d,
                                 ami_span_make(zero, 2), &ret, &has, &result));
  assert_int_equal(result, 0);
  assert_int_equal(get_int(m, 4, 1, 0, 1, 6, 0, 2), 0);
  n = ami_test_meter_get(m, 4, ami_obis_make(1, 0, 1, 6, 0, 255), 5, buf,
                         sizeof buf);
  ami_test_assert_bytes(buf, n, "090C FFFFFFFFFFFFFFFFFF 8000 FF");
  /* the public client may not reset */
  info.client_address = 16;
  assert_ami_ok(ami_cosem_action(ami_meter_model(m), &info, &d,
                                 ami_span_make(zero, 2), &ret, &has, &result));
  assert_int_equal(result, AMI_COSEM_DAR_READ_WRITE_DENIED);
  /* the period is shared: SET 1-0:1.4.0 period 300 s shows in 2.4.0; a
   * period that does not divide a day (420 s) is refused */
  info.client_address = 1;
  ami_apdu_desc per = {5, {1, 0, 1, 4, 0, 255}, 8};
  static const uint8_t p300[5] = {0x06, 0, 0, 0x01, 0x2C};
  static const uint8_t p420[5] = {0x06, 0, 0, 0x01, 0xA4};
  uint8_t dar = 0xFF;
  assert_ami_ok(ami_cosem_set(ami_meter_model(m), &info, &per, NULL,
                              ami_span_make(p300, 5), &dar));
  assert_int_equal(dar, 0);
  assert_int_equal(get_int(m, 5, 1, 0, 2, 4, 0, 8), 300);
  assert_ami_ok(ami_cosem_set(ami_meter_model(m), &info, &per, NULL,
                              ami_span_make(p420, 5), &dar));
  assert_int_equal(dar, AMI_COSEM_DAR_OTHER_REASON);
  assert_int_equal(get_int(m, 5, 1, 0, 1, 4, 0, 8), 300);
  ami_meter_free(m);
}

/* Sliding window: 5-min subperiods, 3 of them (15-min window). Energies per
 * subperiod 30, 60, 90, 0 Wh. last_average after each: 30/0.25 h = 120 W,
 * 90 -> 360 W, 180 -> 720 W, 150 -> 600 W; maximum 720 W. Two minutes into
 * the fifth subperiod at 6 Wh/min: (90 + 0 + 12) Wh / 0.25 h = 408 W. */
static void test_demand_sliding(void **state) {
  (void)state;
  uint64_t t = ami_test_utc(2026, 1, 14, 0, 0, 0);
  ami_meter *m = make_plain(t, 300, 3, 0);
  base_step(m, t);
  assert_int_equal(get_int(m, 5, 1, 0, 1, 4, 0, 8), 300);
  assert_int_equal(get_int(m, 5, 1, 0, 1, 4, 0, 9), 3);
  assert_int_equal(get_int(m, 5, 1, 0, 2, 4, 0, 9), 3);
  static const int64_t per_min[4] = {6000, 12000, 18000, 0};
  static const int64_t last[4] = {120, 360, 720, 600};
  int64_t e = 0;
  for (int i = 0; i < 4; i++) {
    e = run(m, &t, e, per_min[i], 5);
    assert_int_equal(get_int(m, 5, 1, 0, 1, 4, 0, 3), last[i]);
  }
  assert_int_equal(get_int(m, 4, 1, 0, 1, 6, 0, 2), 720);
  e = run(m, &t, e, 6000, 2);
  assert_int_equal(get_int(m, 5, 1, 0, 1, 4, 0, 2), 408);
  ami_meter_free(m);
}

/* Billing: the Single Action Schedule fires at local 00:00 on the 1st.
 * 3.6 kW (60 Wh/min) from 23:50 local on 31 January: at the closure
 * +A = 600 Wh, all rate 1; the demand period ending at 00:00 held 600 Wh
 * -> 2400 W, captured into the row with its time, then reset; the next
 * period (00:00..00:15, 900 Wh) gives 3600 W. */
static void test_billing_closure(void **state) {
  (void)state;
  uint64_t t = ami_test_utc(2026, 1, 31, 22, 50, 0);
  ami_meter *m = make_plain(t, 900, 1, 0);
  base_step(m, t);
  int64_t e = run(m, &t, 0, 60000, 10);
  static ami_test_meter_row rows[4];
  assert_int_equal(ami_test_meter_rows(m, MONTHLY, rows, 4), 1);
  /* clock, +A, +A r1..r4, -A, -A r1..r4, max +A, its time, max -A, time */
  ami_test_meter_row *r = &rows[0];
  assert_int_equal(r->ncols, 15);
  assert_int_equal(r->t[0].date.month, 2);
  assert_int_equal(r->t[0].date.day, 1);
  assert_int_equal(r->t[0].time.hour, 0);
  assert_int_equal(r->t[0].time.minute, 0);
  assert_int_equal(r->v[1], 600);
  assert_int_equal(r->v[2], 600);
  assert_int_equal(r->v[3] + r->v[4] + r->v[5], 0);
  assert_int_equal(r->v[6], 0);
  assert_int_equal(r->v[11], 2400);
  assert_true(r->is_time[12]);
  assert_int_equal(r->t[12].date.day, 1);
  assert_int_equal(r->t[12].time.hour, 0);
  assert_int_equal(r->v[13], 0);
  assert_int_equal(r->t[14].date.year, 0xFFFF);         /* never */
  assert_int_equal(get_int(m, 4, 1, 0, 1, 6, 0, 2), 0); /* reset */
  assert_int_equal(ami_test_meter_rows(m, DAILY, rows, 4), 1);
  assert_int_equal(rows[0].v[1], 600);
  e = run(m, &t, e, 60000, 15);
  assert_int_equal(get_int(m, 4, 1, 0, 1, 6, 0, 2), 3600);
  /* closing by API adds a second row: 1500 Wh */
  assert_ami_ok(ami_meter_end_billing_period(m, t));
  assert_int_equal(ami_test_meter_rows(m, MONTHLY, rows, 4), 2);
  assert_int_equal(rows[1].v[1], 1500);
  assert_int_equal(rows[1].v[11], 3600);
  /* and the end-of-billing script (0-0:10.0.1 execute(1)) a third, after
   * 5 more minutes: 1800 Wh, maximum demand 0 (reset by the second) */
  e = run(m, &t, e, 60000, 5);
  ami_server_assoc_info info;
  memset(&info, 0, sizeof info);
  info.client_address = 1;
  ami_apdu_desc d = {9, {0, 0, 10, 0, 1, 255}, 1};
  static const uint8_t one[3] = {0x12, 0x00, 0x01};
  uint8_t rb[8];
  ami_wr ret;
  ami_wr_init(&ret, rb, sizeof rb);
  bool has;
  uint8_t result = 0xFF;
  assert_ami_ok(ami_cosem_action(ami_meter_model(m), &info, &d,
                                 ami_span_make(one, 3), &ret, &has, &result));
  assert_int_equal(result, 0);
  assert_int_equal(ami_test_meter_rows(m, MONTHLY, rows, 4), 3);
  assert_int_equal(rows[2].v[1], 1800);
  assert_int_equal(rows[2].v[11], 0);
  (void)e;
  ami_meter_free(m);
}

/* Load profile: 1.8 kW (0.5 Wh/s) and 0.1 varh/s in Q1, irregular 37 s
 * steps from 10:07:20 UTC. Rows on the quarter hours 10:15, 10:30, 10:45
 * UTC (11:15.. local): +A 460 s -> 230 Wh, then +450 Wh each: 680, 1130;
 * Q1 46, 136, 226 varh. Each step crossing a boundary is split in
 * proportion. */
static void run_lp(ami_meter *m, uint64_t from, uint64_t to) {
  ami_metro_readout r;
  for (uint64_t t = from; t <= to; t += 37000) {
    int64_t s = (int64_t)(t - from) / 1000;
    ami_test_meter_readout(&r, s * 500, 0);
    r.total.reactive_q_mvarh[0] = s * 100;
    assert_ami_ok(ami_meter_step(m, t, &r));
  }
}

static void test_load_profile(void **state) {
  (void)state;
  uint64_t t0 = ami_test_utc(2026, 1, 14, 10, 7, 20);
  ami_meter *m = make_plain(t0, 0, 0, 0);
  run_lp(m, t0, ami_test_utc(2026, 1, 14, 10, 46, 0));
  assert_int_equal(get_int(m, 7, 1, 0, 99, 1, 0, 4), 900);
  static ami_test_meter_row rows[8];
  size_t n = ami_test_meter_rows(m, LP1, rows, 8);
  assert_int_equal(n, 3);
  static const int64_t a[3] = {230, 680, 1130}, q1[3] = {46, 136, 226};
  for (size_t i = 0; i < 3; i++) {
    /* clock, status, +A, -A, Q1..Q4 */
    assert_int_equal(rows[i].ncols, 8);
    assert_int_equal(rows[i].t[0].time.hour, 11);
    assert_int_equal(rows[i].t[0].time.minute, 15 * (i + 1));
    assert_int_equal(rows[i].t[0].time.second, 0);
    assert_int_equal(rows[i].t[0].deviation, -60);
    assert_int_equal(rows[i].v[1], 0);
    assert_int_equal(rows[i].v[2], a[i]);
    assert_int_equal(rows[i].v[3], 0);
    assert_int_equal(rows[i].v[4], q1[i]);
    assert_int_equal(rows[i].v[5] + rows[i].v[6] + rows[i].v[7], 0);
  }
  /* the first row's clock, byte for byte: 2026-01-14 Wed 11:15:00.00,
   * deviation -60, status 0 */
  uint8_t buf[256];
  size_t len = ami_test_meter_get(m, 7, LP1, 2, buf, sizeof buf);
  assert_true(len > 16);
  ami_test_assert_bytes(buf + 4, 14, "090C 07EA010E03 0B0F0000 FFC4 00");
  ami_meter_free(m);

  /* 60 s capture period: rows at 10:08, 10:09, 10:10 with 20, 50, 80 Wh */
  m = make_plain(t0, 0, 0, 60);
  run_lp(m, t0, ami_test_utc(2026, 1, 14, 10, 10, 30));
  n = ami_test_meter_rows(m, LP1, rows, 8);
  assert_int_equal(n, 3);
  assert_int_equal(rows[0].t[0].time.minute, 8);
  assert_int_equal(rows[0].v[2], 20);
  assert_int_equal(rows[1].v[2], 50);
  assert_int_equal(rows[2].v[2], 80);
  ami_meter_free(m);
}

static size_t find_code(const ami_test_meter_row *rows, size_t n, int64_t c) {
  for (size_t i = 0; i < n; i++)
    if (rows[i].v[1] == c)
      return i;
  return (size_t)-1;
}

/* Each event the core generates lands in its log (IDIS numbering):
 * power down 1 / up 2 (standard), sag 76 / swell 79 / interruption 82
 * (power quality), cover and magnetic tamper 40, 42 (fraud), a hook call
 * with 62 (disconnector), clock adjusted 4 + 5 (standard). The load
 * profile row after a power down carries status bit 0x80, after a clock
 * adjustment 0x20. */
static void test_events(void **state) {
  (void)state;
  uint64_t t = ami_test_utc(2026, 1, 14, 10, 0, 0);
  ami_meter *m = make_plain(t, 0, 0, 0);
  ami_metro_readout r;
  ami_test_meter_readout(&r, 0, 0);
  assert_ami_ok(ami_meter_step(m, t, &r));
  r.voltage_present = false;
  assert_ami_ok(ami_meter_step(m, t + 60000, &r));
  r.voltage_present = true;
  r.quality.sags = 2;
  r.quality.swells = 1;
  r.quality.interruptions = 1;
  assert_ami_ok(ami_meter_step(m, t + 120000, &r));
  memset(&r.quality, 0, sizeof r.quality);
  assert_ami_ok(ami_meter_step(m, t + 900000, &r)); /* 10:15 row */
  assert_ami_ok(
      ami_meter_tamper(m, AMI_METER_TAMPER_TERMINAL_COVER_OPEN, t + 900000));
  assert_ami_ok(ami_meter_tamper(m, AMI_METER_TAMPER_MAGNETIC, t + 900000));
  assert_ami_ok(ami_meter_log_event(m, AMI_EV_REMOTE_DISCONNECT, t + 900000));
  static ami_test_meter_row rows[16];
  size_t n = ami_test_meter_rows(m, STDLOG, rows, 16);
  assert_int_equal(n, 2);
  assert_int_equal(rows[0].v[1], AMI_EV_POWER_DOWN);
  assert_int_equal(rows[0].t[0].time.minute, 1);
  assert_int_equal(rows[1].v[1], AMI_EV_POWER_UP);
  assert_int_equal(rows[1].t[0].time.minute, 2);
  n = ami_test_meter_rows(m, PQLOG, rows, 16);
  assert_int_equal(n, 3);
  assert_int_equal(rows[0].v[1], 76);
  assert_int_equal(rows[1].v[1], 79);
  assert_int_equal(rows[2].v[1], 82);
  n = ami_test_meter_rows(m, FRAUDLOG, rows, 16);
  assert_int_equal(n, 2);
  assert_int_equal(rows[0].v[1], 40);
  assert_int_equal(rows[1].v[1], 42);
  n = ami_test_meter_rows(m, DISCLOG, rows, 16);
  assert_int_equal(n, 1);
  assert_int_equal(rows[0].v[1], 62);
  /* the event-code register holds the last code of its log */
  assert_int_equal(get_int(m, 1, 0, 0, 96, 11, 1, 2), 42);
  n = ami_test_meter_rows(m, LP1, rows, 16);
  assert_int_equal(n, 1);
  assert_int_equal(rows[0].v[1], 0x80);
  /* clock set forward 2 minutes at 10:20 UTC: events 4 (old time 11:20
   * local) and 5 (new time 11:22); next row (10:30 UTC) flags 0x20 */
  assert_ami_ok(ami_meter_set_time(m, t + 22 * 60000, t + 20 * 60000));
  assert_int_equal(ami_meter_device_time(m, t + 20 * 60000), t + 22 * 60000);
  assert_ami_ok(ami_meter_step(m, t + 30 * 60000, &r));
  n = ami_test_meter_rows(m, STDLOG, rows, 16);
  assert_int_equal(n, 4);
  assert_int_equal(rows[2].v[1], AMI_EV_CLOCK_ADJUSTED_OLD);
  assert_int_equal(rows[2].t[0].time.minute, 20);
  assert_int_equal(rows[3].v[1], AMI_EV_CLOCK_ADJUSTED_NEW);
  assert_int_equal(rows[3].t[0].time.minute, 22);
  n = ami_test_meter_rows(m, LP1, rows, 16);
  assert_int_equal(n, 2);
  assert_int_equal(rows[1].t[0].time.minute, 30);
  assert_int_equal(rows[1].v[1], 0x20);
  ami_meter_free(m);
}

/* The Clock through the model: SET time 2026-01-14 12:00:00 deviation -60
 * (= 11:00 UTC) from the management client, read it back; shift_time +30 s;
 * adjust_to_quarter from 12:07:40 goes to 12:15:00 (nearest). */
static void test_clock_dlms(void **state) {
  (void)state;
  uint64_t t = ami_test_utc(2026, 1, 14, 10, 0, 0);
  ami_meter *m = make_plain(t, 0, 0, 0);
  ami_server_assoc_info info;
  memset(&info, 0, sizeof info);
  info.client_address = 1;
  ami_apdu_desc d = {8, {0, 0, 1, 0, 0, 255}, 2};
  size_t n;
  uint8_t *v = ami_test_hex("090C 07EA010E03 0C000000 FFC4 00", &n);
  uint8_t dar = 0xFF;
  assert_ami_ok(ami_cosem_set(ami_meter_model(m), &info, &d, NULL,
                              ami_span_make(v, n), &dar));
  assert_int_equal(dar, 0);
  free(v);
  assert_int_equal(ami_meter_device_time(m, t),
                   ami_test_utc(2026, 1, 14, 11, 0, 0));
  uint8_t buf[32];
  n = ami_test_meter_get(m, 8, CLOCK, 2, buf, sizeof buf);
  ami_test_assert_bytes(buf, n, "090C 07EA010E03 0C000000 FFC4 00");
  assert_int_equal(get_int(m, 8, 0, 0, 1, 0, 0, 3), -60); /* time_zone */
  /* shift_time +30 s */
  ami_apdu_desc act = {8, {0, 0, 1, 0, 0, 255}, 6};
  static const uint8_t p30[3] = {0x10, 0x00, 0x1E};
  uint8_t rb[8];
  ami_wr ret;
  ami_wr_init(&ret, rb, sizeof rb);
  bool has;
  uint8_t result = 0xFF;
  assert_ami_ok(ami_cosem_action(ami_meter_model(m), &info, &act,
                                 ami_span_make(p30, 3), &ret, &has, &result));
  assert_int_equal(result, 0);
  n = ami_test_meter_get(m, 8, CLOCK, 2, buf, sizeof buf);
  ami_test_assert_bytes(buf, n, "090C 07EA010E03 0C001E00 FFC4 00");
  /* 7 min 10 s later (true time) the clock reads 12:07:40 */
  ami_metro_readout r;
  ami_test_meter_readout(&r, 0, 0);
  assert_ami_ok(ami_meter_step(m, t + 430000, &r));
  act.id = 1;
  static const uint8_t zero[2] = {0x0F, 0x00};
  assert_ami_ok(ami_cosem_action(ami_meter_model(m), &info, &act,
                                 ami_span_make(zero, 2), &ret, &has, &result));
  assert_int_equal(result, 0);
  n = ami_test_meter_get(m, 8, CLOCK, 2, buf, sizeof buf);
  ami_test_assert_bytes(buf, n, "090C 07EA010E03 0C0F0000 FFC4 00");
  /* three adjustments: six events 4/5 */
  static ami_test_meter_row rows[16];
  assert_int_equal(ami_test_meter_rows(m, STDLOG, rows, 16), 6);
  assert_int_equal(find_code(rows, 6, AMI_EV_CLOCK_ADJUSTED_OLD), 0);
  assert_int_equal(find_code(rows, 6, AMI_EV_CLOCK_ADJUSTED_NEW), 1);
  /* a wildcard date-time is refused, the clock unchanged */
  v = ami_test_hex("090C FFFF010EFF 0C000000 8000 FF", &n);
  assert_ami_ok(ami_cosem_set(ami_meter_model(m), &info, &d, NULL,
                              ami_span_make(v, n), &dar));
  assert_int_equal(dar, AMI_COSEM_DAR_OTHER_REASON);
  free(v);
  /* registers are not writable */
  ami_apdu_desc reg = {3, {1, 0, 1, 8, 0, 255}, 2};
  static const uint8_t val[5] = {0x06, 0, 0, 0, 1};
  assert_ami_ok(ami_cosem_set(ami_meter_model(m), &info, &reg, NULL,
                              ami_span_make(val, 5), &dar));
  assert_int_equal(dar, AMI_COSEM_DAR_READ_WRITE_DENIED);
  ami_meter_free(m);
}

/* Registers and instantaneous values with their scalers and units. */
static void test_registers(void **state) {
  (void)state;
  uint64_t t = ami_test_utc(2026, 1, 14, 10, 0, 30);
  ami_meter *m = make_plain(t, 0, 0, 0);
  ami_metro_readout r;
  ami_test_meter_readout(&r, 0, 0);
  assert_ami_ok(ami_meter_step(m, t, &r));
  ami_test_meter_readout(&r, 1234567, 89000);
  r.total.reactive_q_mvarh[3] = 5000;
  r.phase[0].voltage_mv = 230400;
  r.phase[1].voltage_mv = 229900;
  r.phase[2].current_ma = 5430;
  r.active_total_mw = -1500000;
  r.power_factor_total = -987;
  r.frequency_mhz = 49987;
  assert_ami_ok(ami_meter_step(m, t + 10000, &r));
  assert_int_equal(get_int(m, 3, 1, 0, 1, 8, 0, 2), 1234); /* Wh, truncated */
  assert_int_equal(get_int(m, 3, 1, 0, 2, 8, 0, 2), 89);
  assert_int_equal(get_int(m, 3, 1, 0, 8, 8, 0, 2), 5);
  assert_int_equal(get_int(m, 3, 1, 0, 32, 7, 0, 2), 2304); /* 0.1 V */
  assert_int_equal(get_int(m, 3, 1, 0, 52, 7, 0, 2), 2299);
  assert_int_equal(get_int(m, 3, 1, 0, 71, 7, 0, 2), 543); /* 0.01 A */
  assert_int_equal(get_int(m, 3, 1, 0, 1, 7, 0, 2), 0);
  assert_int_equal(get_int(m, 3, 1, 0, 2, 7, 0, 2), 1500); /* W */
  assert_int_equal(get_int(m, 3, 1, 0, 13, 7, 0, 2), -987);
  assert_int_equal(get_int(m, 3, 1, 0, 14, 7, 0, 2), 4998);
  uint8_t buf[16];
  size_t n = ami_test_meter_get(m, 3, ami_obis_make(1, 0, 1, 8, 0, 255), 3, buf,
                                sizeof buf);
  ami_test_assert_bytes(buf, n, "0202 0F00 161E"); /* 10^0 Wh */
  n = ami_test_meter_get(m, 3, ami_obis_make(1, 0, 32, 7, 0, 255), 3, buf,
                         sizeof buf);
  ami_test_assert_bytes(buf, n, "0202 0FFF 1623"); /* 10^-1 V */
  n = ami_test_meter_get(m, 3, ami_obis_make(1, 0, 14, 7, 0, 255), 3, buf,
                         sizeof buf);
  ami_test_assert_bytes(buf, n, "0202 0FFE 162C"); /* 10^-2 Hz */
  /* a metrology restart (accumulators back to 0) adds nothing */
  ami_test_meter_readout(&r, 0, 0);
  assert_ami_ok(ami_meter_step(m, t + 20000, &r));
  ami_test_meter_readout(&r, 1000, 0);
  assert_ami_ok(ami_meter_step(m, t + 30000, &r));
  assert_int_equal(ami_meter_energy(m, AMI_METER_QTY_IMPORT, 0), 1235567);
  /* load profile 2 (10 min, instantaneous values) at 10:10 UTC = 11:10
   * local: clock, U L1..L3, +P, -P from the latest readout */
  r.phase[0].voltage_mv = 231000;
  r.phase[2].voltage_mv = 228800;
  r.active_total_mw = 2500400;
  assert_ami_ok(ami_meter_step(m, ami_test_utc(2026, 1, 14, 10, 10, 0), &r));
  static ami_test_meter_row rows[4];
  assert_int_equal(
      ami_test_meter_rows(m, ami_obis_make(1, 0, 99, 2, 0, 255), rows, 4), 1);
  assert_int_equal(rows[0].ncols, 6);
  assert_int_equal(rows[0].t[0].time.hour, 11);
  assert_int_equal(rows[0].t[0].time.minute, 10);
  assert_int_equal(rows[0].v[1], 2310);
  assert_int_equal(rows[0].v[2], 0);
  assert_int_equal(rows[0].v[3], 2288);
  assert_int_equal(rows[0].v[4], 2500);
  assert_int_equal(rows[0].v[5], 0);
  ami_meter_free(m);
}

/* Bad configurations are refused; every allocation failure during creation
 * gives AMI_E_NOMEM and leaks nothing. */
static void test_config_and_nomem(void **state) {
  (void)state;
  ami_meter_config cfg;
  memset(&cfg, 0, sizeof cfg);
  ami_meter *m;
  cfg.lp1_period_s = 7 * 60; /* does not divide a day */
  assert_ami(AMI_E_INVAL, ami_meter_new(&cfg, NULL, 0, &m));
  cfg.lp1_period_s = 0;
  cfg.demand_periods = 17;
  assert_ami(AMI_E_INVAL, ami_meter_new(&cfg, NULL, 0, &m));
  cfg.demand_periods = 0;
  cfg.phases = 2;
  assert_ami(AMI_E_INVAL, ami_meter_new(&cfg, NULL, 0, &m));
  cfg.phases = 1;
  cfg.event_rows = 4;
  cfg.lp1_rows = 8;
  long ok_at = -1;
  for (long i = 0; i < 2000; i++) {
    ami_test_failalloc fa;
    ami_test_failalloc_init(&fa, i);
    int rc = ami_meter_new(&cfg, &fa.base, 0, &m);
    if (rc == AMI_OK) {
      ami_meter_free(m);
      assert_int_equal(fa.live, 0);
      ok_at = i;
      break;
    }
    assert_int_equal(rc, AMI_E_NOMEM);
    assert_int_equal(fa.live, 0);
  }
  assert_true(ok_at > 10);
  /* single phase: no L2/L3 objects */
  assert_ami_ok(ami_meter_new(&cfg, NULL, 0, &m));
  assert_null(ami_cosem_find(ami_meter_model(m), 3,
                             ami_obis_make(1, 0, 52, 7, 0, 255)));
  assert_non_null(ami_cosem_find(ami_meter_model(m), 3,
                                 ami_obis_make(1, 0, 32, 7, 0, 255)));
  ami_meter_free(m);
}

/* ---- through a DLMS session ------------------------------------------------
 */

typedef struct session {
  ami_wrapper_link cl, sl;
  ami_link *clink, *slink;
  ami_client *c;
  ami_server *s;
  ami_server_assoc_cfg assoc;
  uint64_t now;
  int assoc_result;
  int responses;
  int last_error;
  uint8_t last_dar;
  uint8_t data[1 << 16];
  size_t data_len;
} session;

static void on_associated(ami_client *c, int result,
                          const ami_client_assoc_info *info, void *ud) {
  (void)c;
  (void)info;
  ((session *)ud)->assoc_result = result;
}

static void on_response(ami_client *c, const ami_client_response *r, void *ud) {
  session *s = ud;
  (void)c;
  s->responses++;
  s->last_error = r->error;
  s->last_dar = r->count ? r->results[0].dar : 0xFF;
  s->data_len = 0;
  if (r->error == AMI_OK && r->count &&
      r->results[0].data.len <= sizeof s->data) {
    memcpy(s->data, r->results[0].data.p, r->results[0].data.len);
    s->data_len = r->results[0].data.len;
  }
}

static void pump(session *s) {
  uint8_t buf[2048];
  for (int guard = 0; guard < 100000; guard++) {
    size_t a = ami_client_pull(s->c, buf, sizeof buf, s->now);
    if (a)
      assert_ami_ok(ami_server_recv(s->s, buf, a, s->now));
    size_t b = ami_server_pull(s->s, buf, sizeof buf, s->now);
    if (b)
      assert_ami_ok(ami_client_recv(s->c, buf, b, s->now));
    if (!a && !b)
      return;
    s->now++;
  }
  fail_msg("the session did not settle");
}

/* The public association (client 16, no security) over the wrapper. */
static void session_open(session *s, ami_cosem_model *model) {
  memset(s, 0, sizeof *s);
  s->now = 1000;
  ami_wrapper_link_config c = {AMI_LINK_CLIENT, 16, 1, 0, 0, NULL};
  ami_wrapper_link_config sc = {AMI_LINK_SERVER, 1, 0, 0, 0, NULL};
  s->clink = ami_wrapper_link_init(&s->cl, &c);
  s->slink = ami_wrapper_link_init(&s->sl, &sc);
  s->assoc.client_address = 16;
  s->assoc.context = AMI_ACSE_CTX_LN;
  s->assoc.mechanism = AMI_ACSE_MECH_NONE;
  s->assoc.conformance = 0x00781F;
  s->assoc.max_receive_pdu = 512;
  ami_server_cfg scfg;
  memset(&scfg, 0, sizeof scfg);
  scfg.version = AMI_SERVER_VERSION;
  scfg.assocs = &s->assoc;
  scfg.assoc_count = 1;
  memcpy(scfg.system_title, "OAMTEST1", 8);
  scfg.crypto = ami_crypto_openssl();
  scfg.app = ami_cosem_server_app(model);
  scfg.link = s->slink;
  scfg.max_response = 1u << 20;
  scfg.vaa_name = 0x0007;
  assert_ami_ok(ami_server_new(&s->s, &scfg, NULL, NULL, NULL));
  ami_client_cfg cc;
  memset(&cc, 0, sizeof cc);
  cc.context = AMI_ACSE_CTX_LN;
  cc.mechanism = AMI_ACSE_MECH_NONE;
  cc.conformance = 0x00781F;
  cc.max_pdu_size = 256; /* small: the profile needs blocks */
  cc.timeout_ms = 5000;
  cc.max_response = 1u << 20;
  cc.crypto = ami_crypto_openssl();
  static const ami_client_callbacks cb = {.version =
                                              AMI_CLIENT_CALLBACKS_VERSION,
                                          .on_associated = on_associated,
                                          .on_response = on_response};
  assert_ami_ok(ami_client_new(&s->c, &cc, &cb, s, s->clink, NULL));
  assert_ami_ok(ami_client_associate(s->c));
  pump(s);
  assert_int_equal(s->assoc_result, AMI_OK);
}

static void session_get(session *s, uint16_t cls, ami_obis ln, int8_t attr) {
  ami_apdu_desc d;
  d.class_id = cls;
  ami_obis_to_bytes(&ln, d.obis);
  d.id = attr;
  uint32_t id;
  int before = s->responses;
  assert_ami_ok(ami_client_get(s->c, &d, NULL, &id));
  pump(s);
  assert_int_equal(s->responses, before + 1);
  assert_int_equal(s->last_error, AMI_OK);
  assert_int_equal(s->last_dar, 0);
}

static void session_close(session *s) {
  ami_client_free(s->c);
  ami_server_free(s->s);
  ami_link_free(s->clink);
  ami_link_free(s->slink);
}

/* Two hours of 1.8 kW read over DLMS: 1-0:1.8.0 = 3600 Wh (double-long-
 * unsigned 0x00000E10), the load profile's 8 rows (block transfer), and a
 * fraud log entry. */
static void test_dlms_session(void **state) {
  (void)state;
  uint64_t t = ami_test_utc(2026, 1, 14, 10, 0, 0);
  ami_meter *m = make_plain(t, 0, 0, 0);
  base_step(m, t);
  run(m, &t, 0, 30000, 120);
  assert_ami_ok(ami_meter_tamper(m, AMI_METER_TAMPER_METER_COVER_OPEN, t));
  static session s;
  session_open(&s, ami_meter_model(m));
  session_get(&s, 3, ami_obis_make(1, 0, 1, 8, 0, 255), 2);
  ami_test_assert_bytes(s.data, s.data_len, "0600000E10");
  session_get(&s, 7, LP1, 2);
  static ami_test_meter_row rows[16];
  size_t n = ami_test_meter_decode_rows(s.data, s.data_len, rows, 16);
  assert_int_equal(n, 8);
  assert_int_equal(rows[7].v[2], 3600);
  assert_int_equal(rows[0].v[2], 450);
  session_get(&s, 7, FRAUDLOG, 2);
  n = ami_test_meter_decode_rows(s.data, s.data_len, rows, 16);
  assert_int_equal(n, 1);
  assert_int_equal(rows[0].v[1], AMI_EV_METER_COVER_OPENED);
  assert_int_equal(rows[0].t[0].time.hour, 13); /* 12:00 UTC = 13:00 CET */
  session_close(&s);
  ami_meter_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_demand_block),
      cmocka_unit_test(test_demand_sliding),
      cmocka_unit_test(test_billing_closure),
      cmocka_unit_test(test_load_profile),
      cmocka_unit_test(test_events),
      cmocka_unit_test(test_clock_dlms),
      cmocka_unit_test(test_registers),
      cmocka_unit_test(test_config_and_nomem),
      cmocka_unit_test(test_dlms_session),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
