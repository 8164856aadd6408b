/*
 * ami_test_meter.c -- see ami_test_meter.h. TEST ONLY.
 */
#include "ami_test_meter.h"

#include <string.h>

#include "ami/ami_axdr.h"
#include "ami/ami_caltime.h"
#include "ami_test.h"

uint64_t ami_test_utc(int y, unsigned mo, unsigned d, unsigned h, unsigned mi,
                      unsigned s) {
  int64_t days = ami_days_from_civil(y, mo, d);
  return (uint64_t)((days * 86400 + h * 3600 + mi * 60 + s) * 1000);
}

const ami_meter_special_day ami_test_meter_special[1] = {{1, 0xFFFF, 1, 6, 3}};

static void day(ami_meter_day_profile *p, uint8_t id, const uint8_t (*sw)[3],
                uint8_t n) {
  p->day_id = id;
  p->nswitches = n;
  for (uint8_t i = 0; i < n; i++) {
    p->sw[i].hour = sw[i][0];
    p->sw[i].minute = sw[i][1];
    p->sw[i].rate = sw[i][2];
  }
}

void ami_test_meter_calendar(ami_meter_calendar *c) {
  memset(c, 0, sizeof *c);
  memcpy(c->name, "REF", 3);
  c->name_len = 3;
  c->nseasons = 2;
  c->seasons[0] = (ami_meter_season){ami_meter_pname_make("W"), 10, 1,
                                     ami_meter_pname_make("a")};
  c->seasons[1] = (ami_meter_season){ami_meter_pname_make("S"), 4, 1,
                                     ami_meter_pname_make("b")};
  c->nweeks = 2;
  c->weeks[0] = (ami_meter_week_profile){ami_meter_pname_make("a"),
                                         {1, 1, 1, 1, 1, 2, 2}};
  c->weeks[1] = (ami_meter_week_profile){ami_meter_pname_make("b"),
                                         {4, 4, 4, 4, 4, 2, 2}};
  c->ndays = 4;
  static const uint8_t d1[3][3] = {{0, 0, 1}, {7, 0, 2}, {21, 0, 1}};
  static const uint8_t d2[3][3] = {{0, 0, 3}, {7, 0, 4}, {21, 0, 3}};
  static const uint8_t d3[1][3] = {{0, 0, 1}};
  static const uint8_t d4[3][3] = {{0, 0, 1}, {8, 0, 2}, {20, 0, 1}};
  day(&c->days[0], 1, d1, 3);
  day(&c->days[1], 2, d2, 3);
  day(&c->days[2], 3, d3, 1);
  day(&c->days[3], 4, d4, 3);
}

void ami_test_meter_config(ami_meter_config *cfg, ami_meter_calendar *cal) {
  memset(cfg, 0, sizeof *cfg);
  ami_test_meter_calendar(cal);
  cfg->serial = "12345678";
  cfg->tz_offset_min = 60;
  cfg->dst_enabled = true;
  cfg->calendar = cal;
  cfg->special_days = ami_test_meter_special;
  cfg->nspecial_days = 1;
}

void ami_test_meter_readout(ami_metro_readout *r, int64_t import_mwh,
                            int64_t export_mwh) {
  memset(r, 0, sizeof *r);
  r->phases = 3;
  r->voltage_present = true;
  r->frequency_mhz = 50000;
  r->total.active_import_mwh = import_mwh;
  r->total.active_export_mwh = export_mwh;
}

size_t ami_test_meter_get(ami_meter *m, uint16_t cls, ami_obis ln, int8_t attr,
                          uint8_t *buf, size_t cap) {
  ami_server_assoc_info info;
  memset(&info, 0, sizeof info);
  info.client_address = 16;
  info.logical_device = 1;
  ami_apdu_desc d;
  d.class_id = cls;
  ami_obis_to_bytes(&ln, d.obis);
  d.id = attr;
  ami_wr w;
  ami_wr_init(&w, buf, cap);
  uint8_t dar = 0xFF;
  assert_ami_ok(ami_cosem_get(ami_meter_model(m), &info, &d, NULL, &w, &dar));
  assert_int_equal(dar, 0);
  return w.len;
}

static int64_t value_int(const ami_axdr_value *x) {
  switch (x->tag) {
  case AMI_AXDR_INTEGER:
  case AMI_AXDR_LONG:
  case AMI_AXDR_DOUBLE_LONG:
  case AMI_AXDR_LONG64:
    return x->v.i;
  case AMI_AXDR_BOOLEAN:
    return x->v.b;
  case AMI_AXDR_NULL:
    return -1;
  default:
    return (int64_t)x->v.u;
  }
}

int64_t ami_test_meter_get_int(ami_meter *m, uint16_t cls, ami_obis ln,
                               int8_t attr) {
  uint8_t buf[64];
  size_t n = ami_test_meter_get(m, cls, ln, attr, buf, sizeof buf);
  ami_axdr_dec d;
  ami_axdr_value x;
  ami_axdr_dec_init(&d, buf, n);
  assert_ami_ok(ami_axdr_next(&d, &x));
  return value_int(&x);
}

size_t ami_test_meter_decode_rows(const uint8_t *p, size_t n,
                                  ami_test_meter_row *rows, size_t max) {
  ami_axdr_dec d;
  uint32_t count, k;
  ami_axdr_dec_init(&d, p, n);
  assert_ami_ok(ami_axdr_get_array(&d, &count));
  assert_true(count <= max);
  for (uint32_t i = 0; i < count; i++) {
    ami_test_meter_row *r = &rows[i];
    memset(r, 0, sizeof *r);
    assert_ami_ok(ami_axdr_get_struct(&d, &k));
    assert_true(k <= AMI_TEST_METER_COLS);
    r->ncols = k;
    for (uint32_t c = 0; c < k; c++) {
      ami_axdr_value x;
      assert_ami_ok(ami_axdr_next(&d, &x));
      if (x.tag == AMI_AXDR_OCTET_STRING && x.v.s.len == 12) {
        r->is_time[c] = true;
        ami_cosem_datetime_decode(x.v.s.p, &r->t[c]);
      } else {
        r->v[c] = value_int(&x);
      }
    }
  }
  return count;
}

size_t ami_test_meter_rows(ami_meter *m, ami_obis ln, ami_test_meter_row *rows,
                           size_t max) {
  static uint8_t buf[1 << 18];
  size_t n = ami_test_meter_get(m, 7, ln, 2, buf, sizeof buf);
  return ami_test_meter_decode_rows(buf, n, rows, max);
}
