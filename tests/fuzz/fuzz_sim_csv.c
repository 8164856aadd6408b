/*
 * fuzz_sim_csv.c -- libFuzzer target for the load-model dataset parsers
 * (lib/sim/ami_sim_dataset.c). The first byte picks the format (LCL,
 * Ausgrid, UCI); the rest is the CSV text. Small limits keep the grid small.
 *
 * Oracles on every input that parses:
 *  1. No slot is left missing: flag counts add up to households x slots.
 *  2. Ids round-trip through ami_sim_dataset_find.
 *  3. Exactness: a household's energy over a slot equals the stored value
 *     (the sub-interval shape never loses or invents energy), and power
 *     equals the 1 ms energy at a random instant.
 *  4. LCL only: decode -> encode -> decode. The measured slots are written
 *     back as CSV (missing ones as `Null` where needed to keep the span and
 *     the order of the ids) and parsed again: the two datasets must be
 * identical, filled slots included (gap filling is a function of the measured
 * set). No checksums are involved, so nothing is relaxed under AMI_FUZZING.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_caltime.h"
#include "ami/ami_sim_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      abort();                                                                 \
  } while (0)

static const ami_sim_parse_limits limits = {64, 4096, 65536};

/* Appends one LCL line for household h, slot k (value or Null). */
static size_t put_line(char *buf, size_t cap, size_t n,
                       const ami_sim_dataset *ds, uint32_t h, uint32_t k,
                       int32_t mwh, int null) {
  int64_t t = ami_sim_dataset_start_ms(ds) / 1000 + (int64_t)k * 1800;
  int64_t days = t / 86400;
  int32_t y;
  unsigned mo, d;
  ami_civil_from_days(days, &y, &mo, &d);
  int64_t sod = t - days * 86400;
  int w;
  if (null)
    w = snprintf(buf + n, cap - n, "%s,%04d-%02u-%02u %02d:%02d:00,Null\n",
                 ami_sim_dataset_id(ds, h), (int)y, mo, d, (int)(sod / 3600),
                 (int)(sod / 60 % 60));
  else
    w = snprintf(buf + n, cap - n, "%s,%04d-%02u-%02u %02d:%02d:00,%d.%06d\n",
                 ami_sim_dataset_id(ds, h), (int)y, mo, d, (int)(sod / 3600),
                 (int)(sod / 60 % 60), mwh / 1000000, mwh % 1000000);
  CHECK(w > 0 && (size_t)w < cap - n);
  return n + (size_t)w;
}

static void reencode_lcl(const ami_sim_dataset *ds) {
  uint32_t hn = ami_sim_dataset_households(ds), sn = ami_sim_dataset_slots(ds);
  size_t cap = (size_t)hn * sn * 64 + 64, n = 0;
  char *buf = malloc(cap);
  CHECK(buf);
  for (uint32_t h = 0; h < hn; h++)
    for (uint32_t k = 0; k < sn; k++) {
      int32_t a;
      uint8_t f;
      CHECK(ami_sim_dataset_value(ds, h, k, &a, NULL, &f) == AMI_OK);
      if (f == AMI_SIM_SLOT_MEASURED)
        n = put_line(buf, cap, n, ds, h, k, a, 0);
      else if (k == 0 || (h == 0 && k + 1 == sn))
        n = put_line(buf, cap, n, ds, h, k, 0, 1);
    }
  ami_sim_dataset *d2 = NULL;
  CHECK(ami_sim_dataset_parse_lcl((const uint8_t *)buf, n, NULL, &limits, &d2,
                                  NULL) == AMI_OK);
  CHECK(ami_sim_dataset_households(d2) == hn);
  CHECK(ami_sim_dataset_slots(d2) == sn);
  CHECK(ami_sim_dataset_start_ms(d2) == ami_sim_dataset_start_ms(ds));
  for (uint32_t h = 0; h < hn; h++) {
    CHECK(strcmp(ami_sim_dataset_id(ds, h), ami_sim_dataset_id(d2, h)) == 0);
    for (uint32_t k = 0; k < sn; k++) {
      int32_t a1, a2;
      uint8_t f1, f2;
      ami_sim_dataset_value(ds, h, k, &a1, NULL, &f1);
      ami_sim_dataset_value(d2, h, k, &a2, NULL, &f2);
      CHECK(a1 == a2 && f1 == f2);
    }
  }
  ami_sim_dataset_free(d2);
  free(buf);
}

static void check_dataset(const ami_sim_dataset *ds, uint64_t salt) {
  uint32_t hn = ami_sim_dataset_households(ds), sn = ami_sim_dataset_slots(ds);
  CHECK(hn >= 1 && sn >= 1);
  uint64_t c[4];
  ami_sim_dataset_flag_counts(ds, c);
  CHECK(c[0] + c[1] + c[2] + c[3] == (uint64_t)hn * sn);
  for (uint32_t h = 0; h < hn; h++) {
    uint32_t idx;
    CHECK(ami_sim_dataset_find(ds, ami_sim_dataset_id(ds, h), &idx) == AMI_OK);
    CHECK(idx == h);
  }
  uint32_t h = (uint32_t)(salt % hn);
  ami_sim_household hh;
  CHECK(ami_sim_household_init(&hh, ds, h, salt) == AMI_OK);
  uint32_t slot_ms = ami_sim_dataset_slot_ms(ds);
  for (uint32_t i = 0; i < 4 && i < sn; i++) {
    uint32_t k = (uint32_t)((salt + i * 7919u) % sn);
    int32_t a, b;
    CHECK(ami_sim_dataset_value(ds, h, k, &a, &b, NULL) == AMI_OK);
    CHECK(a >= 0 && b >= 0);
    uint64_t t0 =
        (uint64_t)ami_sim_dataset_start_ms(ds) + (uint64_t)k * slot_ms;
    ami_sim_energy e;
    ami_sim_household_energy(&hh, t0, t0 + slot_ms, &e);
    if (slot_ms == AMI_SIM_SLOT_MS) {
      CHECK(e.load_uj == (int64_t)a * AMI_SIM_UJ_PER_MWH);
      CHECK(e.gen_uj == (int64_t)b * AMI_SIM_UJ_PER_MWH);
    } else {
      CHECK(e.load_uj == (int64_t)a * 1000 * AMI_SIM_BIN_MS);
      CHECK(e.reactive_mvarms == (int64_t)b * 1000 * AMI_SIM_BIN_MS);
    }
    CHECK(e.import_uj - e.export_uj == e.load_uj - e.gen_uj);
    uint64_t t = t0 + (salt >> 8) % slot_ms;
    ami_sim_power p;
    ami_sim_household_power(&hh, t, &p);
    ami_sim_household_energy(&hh, t, t + 1, &e);
    CHECK(e.load_uj == p.load_mw && e.gen_uj == p.gen_mw);
    CHECK(p.load_mw >= 0 && p.gen_mw >= 0);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t sel = data[0];
  ami_sim_dataset *ds = NULL;
  uint64_t line = 0;
  int rc;
  switch (sel % 3) {
  case 0:
    rc = ami_sim_dataset_parse_lcl(data + 1, size - 1, NULL, &limits, &ds,
                                   &line);
    break;
  case 1:
    rc = ami_sim_dataset_parse_ausgrid(
        data + 1, size - 1, 600, AMI_SIM_DST_AU_SE, NULL, &limits, &ds, &line);
    break;
  default:
    rc = ami_sim_dataset_parse_uci(data + 1, size - 1, 60, NULL, &limits, &ds,
                                   &line);
    break;
  }
  if (rc != AMI_OK) {
    CHECK(ds == NULL);
    CHECK(rc < 0);
    return 0;
  }
  uint64_t salt = 0;
  for (size_t i = 0; i < size && i < 16; i++)
    salt = salt * 131 + data[i];
  check_dataset(ds, salt);
  if (sel % 3 == 0)
    reencode_lcl(ds);
  ami_sim_dataset_free(ds);
  return 0;
}
