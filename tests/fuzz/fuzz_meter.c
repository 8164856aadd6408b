/*
 * fuzz_meter.c -- libFuzzer target for the meter core (ami_meter.h): the
 * values a client can SET or pass to methods, which the meter decodes
 * (passive Activity Calendar, Special Days Table and its insert/delete,
 * Single Action Schedule execution times, the Clock's time, time zone and
 * DST rule, demand period), interleaved with steps of time.
 *
 * Input: records of (op byte, length byte, bytes). op % 16:
 *   0..3  SET calendar attribute 6+op (passive name/seasons/weeks/days)
 *   4     SET special days entries      5  SET schedule execution_time
 *   6     SET clock time (attr 2)       7  SET clock attr 3/5/6/7/8 by len
 *   8     ACTION activate_passive_calendar
 *   9     ACTION special days insert   10  ACTION special days delete
 *  11     ACTION clock method 1/3/6 (by the first byte)
 *  12     step forward by (first byte + 1) minutes with some energy
 *  13     SET demand period (attr 8) / number_of_periods (attr 9)
 * Every SET goes through ami_cosem_set (the model's type check first, as
 * real traffic does).
 *
 * Oracles: no crash, no leak; every call returns AMI_OK; energy registers
 * keep total = sum of rates; after a successful activation, re-programming
 * the passive calendar with the active attributes as read and activating
 * again leaves the active attributes byte-identical (decode/encode is
 * idempotent).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_axdr.h"
#include "ami/ami_meter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      abort();                                                                 \
  } while (0)

static const ami_server_assoc_info MGMT = {1, 1, 5, true, true, 0, 0};

static uint8_t set(ami_meter *m, uint16_t cls, ami_obis ln, int8_t attr,
                   const uint8_t *p, size_t n) {
  ami_apdu_desc d;
  d.class_id = cls;
  ami_obis_to_bytes(&ln, d.obis);
  d.id = attr;
  uint8_t dar = 0xFF;
  CHECK(ami_cosem_set(ami_meter_model(m), &MGMT, &d, NULL, ami_span_make(p, n),
                      &dar) == AMI_OK);
  return dar;
}

static uint8_t action(ami_meter *m, uint16_t cls, ami_obis ln, int8_t method,
                      const uint8_t *p, size_t n) {
  ami_apdu_desc d;
  d.class_id = cls;
  ami_obis_to_bytes(&ln, d.obis);
  d.id = method;
  uint8_t rb[64], result = 0xFF;
  ami_wr ret;
  ami_wr_init(&ret, rb, sizeof rb);
  bool has;
  CHECK(ami_cosem_action(ami_meter_model(m), &MGMT, &d, ami_span_make(p, n),
                         &ret, &has, &result) == AMI_OK);
  return result;
}

static size_t get(ami_meter *m, uint16_t cls, ami_obis ln, int8_t attr,
                  uint8_t *buf, size_t cap) {
  ami_apdu_desc d;
  d.class_id = cls;
  ami_obis_to_bytes(&ln, d.obis);
  d.id = attr;
  ami_wr w;
  ami_wr_init(&w, buf, cap);
  uint8_t dar = 0xFF;
  CHECK(ami_cosem_get(ami_meter_model(m), &MGMT, &d, NULL, &w, &dar) == AMI_OK);
  CHECK(dar == 0);
  return w.len;
}

static const ami_obis CAL = {0, 0, 13, 0, 0, 255};

/* Activation idempotence: active -> passive -> activate -> same active. */
static void check_idempotent(ami_meter *m) {
  static uint8_t a[4][8192], b[8192];
  size_t na[4];
  for (int k = 0; k < 4; k++)
    na[k] = get(m, 20, CAL, (int8_t)(2 + k), a[k], sizeof a[k]);
  for (int k = 0; k < 4; k++)
    CHECK(set(m, 20, CAL, (int8_t)(6 + k), a[k], na[k]) == 0);
  CHECK(action(m, 20, CAL, 1, NULL, 0) == 0);
  for (int k = 0; k < 4; k++) {
    size_t nb = get(m, 20, CAL, (int8_t)(2 + k), b, sizeof b);
    CHECK(nb == na[k] && memcmp(a[k], b, nb) == 0);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ami_meter_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.tz_offset_min = 60;
  cfg.dst_enabled = true;
  cfg.lp1_rows = cfg.lp2_rows = 16;
  cfg.event_rows = 8;
  cfg.billing_rows = cfg.daily_rows = 4;
  uint64_t now = 1774738800000ull; /* 2026-03-28 23:00 UTC */
  ami_meter *m;
  CHECK(ami_meter_new(&cfg, NULL, now, &m) == AMI_OK);
  int64_t energy = 0;
  ami_metro_readout r;
  memset(&r, 0, sizeof r);
  r.voltage_present = true;
  size_t i = 0;
  bool activated = false;
  while (i + 2 <= size) {
    uint8_t op = data[i] % 16, len = data[i + 1];
    i += 2;
    if (len > size - i)
      len = (uint8_t)(size - i);
    const uint8_t *p = data + i;
    i += len;
    switch (op) {
    case 0:
    case 1:
    case 2:
    case 3:
      set(m, 20, CAL, (int8_t)(6 + op), p, len);
      break;
    case 4:
      set(m, 11, ami_obis_make(0, 0, 11, 0, 0, 255), 2, p, len);
      break;
    case 5:
      set(m, 22, ami_obis_make(0, 0, 15, 0, 0, 255), 4, p, len);
      break;
    case 6:
      set(m, 8, ami_obis_make(0, 0, 1, 0, 0, 255), 2, p, len);
      break;
    case 7: {
      static const int8_t attrs[5] = {3, 5, 6, 7, 8};
      set(m, 8, ami_obis_make(0, 0, 1, 0, 0, 255), attrs[len % 5], p, len);
      break;
    }
    case 8:
      activated |= action(m, 20, CAL, 1, NULL, 0) == 0;
      break;
    case 9:
    case 10:
      action(m, 11, ami_obis_make(0, 0, 11, 0, 0, 255), op == 9 ? 1 : 2, p,
             len);
      break;
    case 11: {
      static const int8_t meth[3] = {1, 3, 6};
      action(m, 8, ami_obis_make(0, 0, 1, 0, 0, 255), meth[len ? p[0] % 3 : 0],
             len > 1 ? p + 1 : NULL, len > 1 ? len - 1u : 0);
      break;
    }
    case 12:
      now += (uint64_t)((len ? p[0] : 0) + 1) * 60000u + 1234u;
      energy += (len > 1 ? p[1] : 7) * 1000;
      r.total.active_import_mwh = energy;
      r.voltage_present = !(len > 2 && (p[2] & 1));
      r.quality.sags = len > 2 ? (p[2] >> 1) & 1 : 0;
      CHECK(ami_meter_step(m, now, &r) == AMI_OK);
      break;
    case 13:
      set(m, 5, ami_obis_make(1, 0, 1, 4, 0, 255), len & 1 ? 8 : 9, p, len);
      break;
    default:
      break;
    }
    int64_t sum = 0;
    for (unsigned k = 1; k <= AMI_METER_RATES; k++)
      sum += ami_meter_energy(m, AMI_METER_QTY_IMPORT, k);
    CHECK(sum == ami_meter_energy(m, AMI_METER_QTY_IMPORT, 0));
  }
  if (activated)
    check_idempotent(m);
  ami_meter_free(m);
  return 0;
}
