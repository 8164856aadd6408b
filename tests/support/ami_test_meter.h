/*
 * ami_test_meter.h -- helpers shared by the meter core tests
 * (tests/unit/test_meter*.c): a reference tariff calendar, UTC instants from
 * civil fields, synthetic metrology readouts, and reading registers and
 * profile buffers back through the COSEM model as a client would (GET on
 * the public association, client 16). TEST ONLY.
 */
#ifndef AMI_TEST_METER_H
#define AMI_TEST_METER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_cosem_time.h"
#include "ami/ami_meter.h"

/* UTC milliseconds of a civil UTC date-time. */
uint64_t ami_test_utc(int y, unsigned mo, unsigned d, unsigned h, unsigned mi,
                      unsigned s);

/* The reference calendar (hand-written; the tests' expectations are derived
 * from it by hand):
 *   season 'W' from 1 October -> week 'a'; season 'S' from 1 April -> 'b'
 *   week 'a': Mon..Fri day 1, Sat+Sun day 2
 *   week 'b': Mon..Fri day 4, Sat+Sun day 2
 *   day 1: 00:00 r1, 07:00 r2, 21:00 r1
 *   day 2: 00:00 r3, 07:00 r4, 21:00 r3
 *   day 3: 00:00 r1                      (special days)
 *   day 4: 00:00 r1, 08:00 r2, 20:00 r1
 * Special days: index 1, every 6 January -> day 3. */
void ami_test_meter_calendar(ami_meter_calendar *c);
extern const ami_meter_special_day ami_test_meter_special[1];

/* A config: CET (+60) with EU DST, the reference calendar. */
void ami_test_meter_config(ami_meter_config *cfg, ami_meter_calendar *cal);

/* A readout with voltage present and the given cumulative +A / -A. */
void ami_test_meter_readout(ami_metro_readout *r, int64_t import_mwh,
                            int64_t export_mwh);

/* One decoded profile row: integers, and date-times for 12-byte
 * octet-strings (is_time set). */
#define AMI_TEST_METER_COLS 20
typedef struct ami_test_meter_row {
  size_t ncols;
  int64_t v[AMI_TEST_METER_COLS];
  bool is_time[AMI_TEST_METER_COLS];
  ami_cosem_datetime t[AMI_TEST_METER_COLS];
} ami_test_meter_row;

/* GET attribute `attr` of an object through the model as client 16 and
 * return the encoded Data in buf (asserting success); returns its length. */
size_t ami_test_meter_get(ami_meter *m, uint16_t cls, ami_obis ln, int8_t attr,
                          uint8_t *buf, size_t cap);
/* GET an integer attribute (any integer type). */
int64_t ami_test_meter_get_int(ami_meter *m, uint16_t cls, ami_obis ln,
                               int8_t attr);
/* Decode a profile buffer (as encoded Data) into rows; returns the count. */
size_t ami_test_meter_decode_rows(const uint8_t *p, size_t n,
                                  ami_test_meter_row *rows, size_t max);
/* GET a profile's buffer and decode it. */
size_t ami_test_meter_rows(ami_meter *m, ami_obis ln, ami_test_meter_row *rows,
                           size_t max);

#endif /* AMI_TEST_METER_H */
