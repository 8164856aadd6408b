/*
 * test_cosem.c -- lib/cosem: the class descriptions, SET type checking,
 * access rights per association, the Association LN object_list shape
 * (against the object_list of a recorded Gurux server session), Clock,
 * Register reset, Disconnect Control, SAP Assignment, Profile Generic
 * capture and selective access, output-buffer overflow, and a failing
 * allocator at every allocation while building a model.
 */
#include "ami_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ami/ami_apdu.h"
#include "ami/ami_axdr.h"
#include "ami/ami_cosem.h"
#include "ami/ami_selective.h"
#include "ami_test_session.h"

/* 2026-11-22T05:00:00Z, a Sunday (computed with Python's calendar.timegm,
 * independent of this code base). */
#define T0_MS (1795323600ull * 1000u)

static const ami_obis LN_CLOCK = {0, 0, 1, 0, 0, 255};
static const ami_obis LN_REG = {1, 0, 1, 8, 0, 255};
static const ami_obis LN_DATA = {0, 0, 96, 1, 0, 255};
static const ami_obis LN_PROFILE = {1, 0, 99, 1, 0, 255};
static const ami_obis LN_DISC = {0, 0, 96, 3, 10, 255};
static const ami_obis LN_SAP = {0, 0, 41, 0, 0, 255};
static const ami_obis LN_AS_PUBLIC = {0, 0, 40, 0, 1, 255};
static const ami_obis LN_AS_MGMT = {0, 0, 40, 0, 2, 255};

typedef struct fixture {
  ami_cosem_model *m;
  ami_cosem_object *clock, *reg, *data, *profile, *disc, *sap;
  ami_cosem_assoc *pub, *mgmt;
} fixture;

/* Build the test meter: public client 16 (no security) sees the clock,
 * the data object and its association read-only; management client 1
 * (HLS-GMAC) sees everything with the classes' full rights. Returns the
 * first error. */
static int build(fixture *f, const ami_allocator *alloc) {
  memset(f, 0, sizeof *f);
  int rc = ami_cosem_model_new(alloc, NULL, &f->m);
  if (rc)
    return rc;
#define TRY(x)                                                                 \
  do {                                                                         \
    if ((rc = (x)) != AMI_OK)                                                  \
      return rc;                                                               \
  } while (0)
  TRY(ami_cosem_add_object(f->m, 8, LN_CLOCK, &f->clock));
  TRY(ami_cosem_add_object(f->m, 3, LN_REG, &f->reg));
  TRY(ami_cosem_add_object(f->m, 1, LN_DATA, &f->data));
  TRY(ami_cosem_add_object(f->m, 7, LN_PROFILE, &f->profile));
  TRY(ami_cosem_add_object(f->m, 70, LN_DISC, &f->disc));
  TRY(ami_cosem_add_object(f->m, 17, LN_SAP, &f->sap));
  TRY(ami_cosem_add_logical_device(f->m, 1, "MTR", 3));
  static const uint8_t value[] = {0x06, 0, 0, 0x30, 0x39};          /* 12345 */
  static const uint8_t su[] = {0x02, 0x02, 0x0F, 0x00, 0x16, 0x1E}; /* Wh */
  TRY(ami_cosem_set_attr(f->reg, 2, ami_span_make(value, sizeof value)));
  TRY(ami_cosem_set_attr(f->reg, 3, ami_span_make(su, sizeof su)));
  TRY(ami_cosem_profile_add_column(f->profile, f->clock, 2, 0, 0));
  TRY(ami_cosem_profile_add_column(f->profile, f->reg, 2, 0, 0));
  TRY(ami_cosem_profile_set_capacity(f->profile, 5));
  TRY(ami_cosem_add_association(f->m, 16, 0, LN_AS_PUBLIC, &f->pub));
  TRY(ami_cosem_add_association(f->m, 1, 5, LN_AS_MGMT, &f->mgmt));
  ami_cosem_object *objs[] = {f->clock,
                              f->reg,
                              f->data,
                              f->profile,
                              f->disc,
                              f->sap,
                              ami_cosem_assoc_object(f->mgmt)};
  for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
    TRY(ami_cosem_assoc_add_object_role(f->mgmt, objs[i],
                                        AMI_COSEM_ROLE_MANAGEMENT));
  TRY(ami_cosem_assoc_add_object_role(f->pub, f->clock, AMI_COSEM_ROLE_PUBLIC));
  TRY(ami_cosem_assoc_add_object_role(f->pub, f->data, AMI_COSEM_ROLE_PUBLIC));
#undef TRY
  return AMI_OK;
}

static ami_server_assoc_info info_for(uint16_t client, uint64_t now_ms) {
  ami_server_assoc_info i;
  memset(&i, 0, sizeof i);
  i.client_address = client;
  i.logical_device = 1;
  i.mechanism = client == 1 ? 5 : 0;
  i.authenticated = client == 1;
  i.ciphered = client == 1;
  i.now_ms = now_ms;
  return i;
}

static ami_apdu_desc desc(uint16_t cls, ami_obis ln, int8_t id) {
  ami_apdu_desc d;
  d.class_id = cls;
  ami_obis_to_bytes(&ln, d.obis);
  d.id = id;
  return d;
}

/* GET through the server app; returns the DAR and leaves the data in buf. */
static uint8_t get(fixture *f, uint16_t client, uint64_t now, uint16_t cls,
                   ami_obis ln, int8_t id, const ami_apdu_selection *sel,
                   uint8_t *buf, size_t cap, size_t *len) {
  const ami_server_app *app = ami_cosem_server_app(f->m);
  ami_server_assoc_info info = info_for(client, now);
  ami_apdu_desc d = desc(cls, ln, id);
  ami_wr w;
  ami_wr_init(&w, buf, cap);
  uint8_t dar = 0xEE;
  assert_ami_ok(app->get(app->user_data, &info, &d, sel, &w, &dar));
  *len = w.len;
  if (dar != 0)
    assert_int_equal(w.len, 0);
  return dar;
}

static uint8_t set(fixture *f, uint16_t client, uint16_t cls, ami_obis ln,
                   int8_t id, const char *hex) {
  const ami_server_app *app = ami_cosem_server_app(f->m);
  ami_server_assoc_info info = info_for(client, T0_MS);
  ami_apdu_desc d = desc(cls, ln, id);
  size_t n;
  uint8_t *v = ami_test_hex(hex, &n);
  uint8_t dar = 0xEE;
  assert_ami_ok(
      app->set(app->user_data, &info, &d, NULL, ami_span_make(v, n), &dar));
  free(v);
  return dar;
}

static uint8_t act(fixture *f, uint16_t client, uint16_t cls, ami_obis ln,
                   int8_t id, const char *hex) {
  const ami_server_app *app = ami_cosem_server_app(f->m);
  ami_server_assoc_info info = info_for(client, T0_MS);
  ami_apdu_desc d = desc(cls, ln, id);
  size_t n;
  uint8_t *v = ami_test_hex(hex, &n);
  uint8_t ret[64], result = 0xEE;
  bool has = true;
  ami_wr w;
  ami_wr_init(&w, ret, sizeof ret);
  assert_ami_ok(app->action(app->user_data, &info, &d, ami_span_make(v, n), &w,
                            &has, &result));
  free(v);
  assert_false(has);
  return result;
}

/* ---- descriptions ----------------------------------------------------------
 */

/* Every class: attribute 1 is logical_name, octet-string(6), read-only;
 * indices strictly ascending from 1 without gaps; methods likewise; every
 * type description well formed (its default value passes its own check,
 * and a null-data fails it unless the type is ANY); the classes the model
 * must describe are all there. */
static void test_class_descriptions(void **state) {
  (void)state;
  size_t n;
  const ami_cosem_class_desc *cs = ami_cosem_classes(&n);
  static const uint16_t required[] = {1,  3,  4,  5,   7,   8,   9,  11,
                                      15, 17, 18, 20,  21,  22,  23, 40,
                                      64, 70, 71, 111, 112, 113, 115};
  assert_int_equal(n, sizeof required / sizeof required[0]);
  for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
    assert_non_null(ami_cosem_class_find(required[i]));
  assert_null(ami_cosem_class_find(2));
  for (size_t i = 0; i < n; i++) {
    const ami_cosem_class_desc *c = &cs[i];
    assert_true(c->nattrs >= 1);
    assert_int_equal(c->attrs[0].index, 1);
    assert_string_equal(c->attrs[0].name, "logical_name");
    assert_int_equal(c->attrs[0].td_len, 1);
    assert_int_equal(c->attrs[0].td[0], AMI_COSEM_TD_LN);
    assert_int_equal(c->attrs[0].access, AMI_COSEM_ACC_READ);
    for (uint8_t k = 0; k < c->nattrs; k++) {
      const ami_cosem_attr_desc *a = &c->attrs[k];
      assert_int_equal(a->index, k + 1);
      assert_true(a->access == AMI_COSEM_ACC_READ ||
                  a->access == AMI_COSEM_ACC_WRITE ||
                  a->access == AMI_COSEM_ACC_RW);
      uint8_t buf[256];
      ami_wr w;
      ami_wr_init(&w, buf, sizeof buf);
      ami_cosem_type_default(&w, a->td, a->td_len);
      assert_ami_ok(w.err);
      if (ami_cosem_type_check(a->td, a->td_len, ami_span_make(buf, w.len)))
        fail_msg("class %u attr %u: default fails its own type", c->class_id,
                 a->index);
      static const uint8_t null_data[] = {0};
      if (a->td[0] != AMI_COSEM_TD_ANY)
        assert_int_not_equal(
            ami_cosem_type_check(a->td, a->td_len, ami_span_make(null_data, 1)),
            AMI_OK);
    }
    for (uint8_t k = 0; k < c->nmethods; k++) {
      assert_int_equal(c->methods[k].index, k + 1);
      assert_non_null(c->methods[k].name);
    }
    if (i > 0)
      assert_true(cs[i - 1].class_id < c->class_id);
  }
  /* Spot checks against the Blue Book. */
  const ami_cosem_class_desc *pg = ami_cosem_class_find(7);
  assert_int_equal(pg->version, 1);
  assert_int_equal(pg->nattrs, 8);
  assert_string_equal(ami_cosem_class_method(pg, 2)->name, "capture");
  const ami_cosem_class_desc *clk = ami_cosem_class_find(8);
  assert_int_equal(clk->nattrs, 9);
  assert_int_equal(clk->nmethods, 6);
  assert_int_equal(ami_cosem_class_find(15)->version, 2);
}

static void check_type(const uint8_t *td, size_t td_len, const char *hex,
                       int expected) {
  size_t n;
  uint8_t *v = ami_test_hex(hex, &n);
  uint8_t *g = ami_test_guarded_copy(v, n);
  assert_ami(expected, ami_cosem_type_check(td, td_len, ami_span_make(g, n)));
  ami_test_guarded_free(g, n);
  free(v);
}

static void test_type_check(void **state) {
  (void)state;
  const ami_cosem_class_desc *reg = ami_cosem_class_find(3);
  const ami_cosem_attr_desc *su = ami_cosem_class_attr(reg, 3);
  check_type(su->td, su->td_len, "02 02 0F FD 16 1E", AMI_OK);
  check_type(su->td, su->td_len, "02 02 11 FD 16 1E", AMI_E_BAD_TAG);
  check_type(su->td, su->td_len, "02 03 0F FD 16 1E 00", AMI_E_INCONSISTENT);
  check_type(su->td, su->td_len, "02 02 0F FD 16 1E 00", AMI_E_TRAILING);
  check_type(su->td, su->td_len, "02 02 0F FD 16", AMI_E_TRUNCATED);
  const uint8_t ln[] = {AMI_COSEM_TD_LN};
  check_type(ln, 1, "09 06 00 00 01 00 00 FF", AMI_OK);
  check_type(ln, 1, "09 05 00 00 01 00 00", AMI_E_INCONSISTENT);
  const uint8_t dt[] = {AMI_COSEM_TD_DATETIME};
  check_type(dt, 1, "09 0C 07 EA 0B 16 07 05 00 00 00 00 00 00", AMI_OK);
  check_type(dt, 1, "19 07 EA 0B 16 07 05 00 00 00 00 00 00", AMI_OK);
  check_type(dt, 1, "09 04 07 EA 0B 16", AMI_E_INCONSISTENT);
  /* Profile capture_objects: array of {u16, LN, i8, u16}. */
  const ami_cosem_attr_desc *co =
      ami_cosem_class_attr(ami_cosem_class_find(7), 3);
  check_type(co->td, co->td_len,
             "01 01 02 04 12 00 08 09 06 00 00 01 00 00 FF 0F 02 12 00 00",
             AMI_OK);
  check_type(co->td, co->td_len, "01 00", AMI_OK);
  check_type(co->td, co->td_len,
             "01 01 02 04 12 00 08 09 06 00 00 01 00 00 FF 0F 02 11 00",
             AMI_E_BAD_TAG);
  /* A compact array where a plain array is described. */
  check_type(co->td, co->td_len, "13 12 01 00", AMI_E_BAD_TAG);
  const uint8_t any[] = {AMI_COSEM_TD_ANY};
  check_type(any, 1, "01 02 11 01 11 02", AMI_OK);
  check_type(any, 1, "01 02 11 01", AMI_E_TRUNCATED);
  check_type(any, 1, "", AMI_E_TRUNCATED);
}

/* ---- access rights ---------------------------------------------------------
 */

static void test_access_rights(void **state) {
  (void)state;
  fixture f;
  assert_ami_ok(build(&f, NULL));
  uint8_t buf[512];
  size_t n;
  /* Public client: reads the clock, may not set it. */
  assert_int_equal(
      get(&f, 16, T0_MS, 8, LN_CLOCK, 2, NULL, buf, sizeof buf, &n), 0);
  assert_int_equal(set(&f, 16, 8, LN_CLOCK, 3, "10 00 3C"), 3);
  /* Objects outside its association are undefined for it. */
  assert_int_equal(get(&f, 16, T0_MS, 3, LN_REG, 2, NULL, buf, sizeof buf, &n),
                   4);
  assert_int_equal(act(&f, 16, 70, LN_DISC, 1, "0F 00"), 4);
  /* The wrong class for a known logical name, an unknown attribute, an
   * unknown client: undefined. */
  assert_int_equal(get(&f, 1, T0_MS, 1, LN_CLOCK, 2, NULL, buf, sizeof buf, &n),
                   4);
  assert_int_equal(
      get(&f, 1, T0_MS, 8, LN_CLOCK, 10, NULL, buf, sizeof buf, &n), 4);
  assert_int_equal(get(&f, 1, T0_MS, 8, LN_CLOCK, 0, NULL, buf, sizeof buf, &n),
                   4);
  assert_int_equal(
      get(&f, 99, T0_MS, 8, LN_CLOCK, 2, NULL, buf, sizeof buf, &n), 4);
  assert_int_equal(act(&f, 1, 70, LN_DISC, 3, "0F 00"), 4);
  /* Management: sets the time zone; logical names are never writable;
   * read-only attributes stay read-only. */
  assert_int_equal(set(&f, 1, 8, LN_CLOCK, 3, "10 FF C4"), 0);
  assert_int_equal(get(&f, 1, T0_MS, 8, LN_CLOCK, 3, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n, "10 FF C4");
  assert_int_equal(set(&f, 1, 8, LN_CLOCK, 1, "09 06 00 00 01 00 00 FF"), 3);
  assert_int_equal(set(&f, 1, 3, LN_REG, 3, "02 02 0F 00 16 1E"), 3);
  /* Public can read the logical name of what it sees. */
  assert_int_equal(get(&f, 16, T0_MS, 1, LN_DATA, 1, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n, "09 06 00 00 60 01 00 FF");
  /* The authenticated modes need a ciphered association. */
  const uint8_t auth_rw[] = {AMI_COSEM_ACC_AUTH_READ, AMI_COSEM_ACC_AUTH_RW};
  assert_ami_ok(ami_cosem_assoc_add_object(f.pub, f.data, auth_rw, 2, NULL, 0));
  assert_int_equal(get(&f, 16, T0_MS, 1, LN_DATA, 2, NULL, buf, sizeof buf, &n),
                   3);
  assert_int_equal(set(&f, 16, 1, LN_DATA, 2, "11 05"), 3);
  const uint8_t rw[] = {1, 3};
  assert_ami_ok(
      ami_cosem_assoc_add_object(f.mgmt, f.data, auth_rw, 2, NULL, 0));
  assert_int_equal(set(&f, 1, 1, LN_DATA, 2, "11 05"), 0);
  assert_ami_ok(ami_cosem_assoc_add_object(f.pub, f.data, rw, 2, NULL, 0));
  assert_int_equal(get(&f, 16, T0_MS, 1, LN_DATA, 2, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n, "11 05");
  ami_cosem_model_free(f.m);
}

static void test_set_type_checking(void **state) {
  (void)state;
  fixture f;
  assert_ami_ok(build(&f, NULL));
  /* time_zone is long: long-unsigned is type-unmatched. */
  assert_int_equal(set(&f, 1, 8, LN_CLOCK, 3, "12 00 3C"), 12);
  /* Malformed Data and trailing bytes are type-unmatched too. */
  assert_int_equal(set(&f, 1, 8, LN_CLOCK, 3, "10 00"), 12);
  assert_int_equal(set(&f, 1, 8, LN_CLOCK, 3, "10 00 3C 00"), 12);
  /* The register value is a CHOICE: any one Data. */
  assert_int_equal(set(&f, 1, 3, LN_REG, 2, "05 FF FF FF FE"), 0);
  assert_int_equal(set(&f, 1, 3, LN_REG, 2, ""), 12);
  /* The direct API checks types as well. */
  static const uint8_t bad[] = {0x11, 0x01};
  assert_ami(AMI_E_BAD_TAG,
             ami_cosem_set_attr(f.clock, 3, ami_span_make(bad, 2)));
  assert_ami(AMI_E_INVAL,
             ami_cosem_set_attr(f.clock, 1, ami_span_make(bad, 2)));
  assert_ami(AMI_E_NOT_FOUND,
             ami_cosem_set_attr(f.clock, 12, ami_span_make(bad, 2)));
  /* Method parameters are checked against the description. */
  assert_int_equal(act(&f, 1, 70, LN_DISC, 1, "11 00"), 12);
  ami_cosem_model_free(f.m);
}

/* ---- Clock -----------------------------------------------------------------
 */

static void test_clock(void **state) {
  (void)state;
  fixture f;
  assert_ami_ok(build(&f, NULL));
  uint8_t buf[64];
  size_t n;
  /* Attribute 2 is a 12-byte date-time octet-string: 2026-11-22 (Sunday,
   * 7) 05:00:00.00, deviation 0, status 0. */
  assert_int_equal(
      get(&f, 16, T0_MS, 8, LN_CLOCK, 2, NULL, buf, sizeof buf, &n), 0);
  ami_test_assert_bytes(buf, n, "09 0C 07 EA 0B 16 07 05 00 00 00 00 00 00");
  /* CET: time_zone -60 (UTC - local), so local time reads 06:00. */
  assert_int_equal(set(&f, 1, 8, LN_CLOCK, 3, "10 FF C4"), 0);
  assert_int_equal(
      get(&f, 16, T0_MS + 1230, 8, LN_CLOCK, 2, NULL, buf, sizeof buf, &n), 0);
  ami_test_assert_bytes(buf, n, "09 0C 07 EA 0B 16 07 06 00 01 17 FF C4 00");
  /* Setting the time moves the offset: set 2026-11-22 07:30:00 CET
   * (06:30 UTC) at T0; an hour later it reads 08:30. */
  assert_int_equal(
      set(&f, 1, 8, LN_CLOCK, 2, "09 0C 07 EA 0B 16 07 07 1E 00 00 FF C4 00"),
      0);
  assert_int_equal(ami_cosem_clock_offset(f.clock), 90 * 60 * 1000);
  assert_int_equal(
      get(&f, 1, T0_MS + 3600000u, 8, LN_CLOCK, 2, NULL, buf, sizeof buf, &n),
      0);
  ami_test_assert_bytes(buf, n, "09 0C 07 EA 0B 16 07 08 1E 00 00 FF C4 00");
  /* A wildcard time cannot be set. */
  assert_int_equal(
      set(&f, 1, 8, LN_CLOCK, 2, "09 0C FF FF 0B 16 07 07 1E 00 00 FF C4 00"),
      250);
  /* shift_time by +30 s. */
  assert_int_equal(act(&f, 1, 8, LN_CLOCK, 6, "10 00 1E"), 0);
  assert_int_equal(ami_cosem_clock_offset(f.clock), 90 * 60 * 1000 + 30000);
  assert_int_equal(act(&f, 1, 8, LN_CLOCK, 6, "10 03 E9"), 250);
  /* adjust_to_minute rounds 06:30:30 UTC to 06:31. */
  assert_int_equal(act(&f, 1, 8, LN_CLOCK, 3, "0F 00"), 0);
  assert_int_equal(ami_cosem_clock_offset(f.clock), 91 * 60 * 1000);
  /* Not implemented by the model, no app callback: object-unavailable. */
  assert_int_equal(act(&f, 1, 8, LN_CLOCK, 4, "0F 00"), 11);
  ami_cosem_model_free(f.m);
}

/* ---- Register, Disconnect Control, SAP Assignment ----------------------- */

static void test_register_disconnect_sap(void **state) {
  (void)state;
  fixture f;
  assert_ami_ok(build(&f, NULL));
  uint8_t buf[64];
  size_t n;
  assert_int_equal(get(&f, 1, T0_MS, 3, LN_REG, 2, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n, "06 00 00 30 39");
  assert_int_equal(get(&f, 1, T0_MS, 3, LN_REG, 3, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n, "02 02 0F 00 16 1E");
  assert_int_equal(act(&f, 1, 3, LN_REG, 1, "0F 00"), 0);
  assert_int_equal(get(&f, 1, T0_MS, 3, LN_REG, 2, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n, "06 00 00 00 00");

  bool out;
  uint8_t ctl;
  assert_int_equal(act(&f, 1, 70, LN_DISC, 2, "0F 00"), 0);
  assert_ami_ok(ami_cosem_disconnect_state(f.disc, &out, &ctl));
  assert_true(out);
  assert_int_equal(ctl, 1);
  assert_int_equal(act(&f, 1, 70, LN_DISC, 1, "0F 00"), 0);
  assert_ami_ok(ami_cosem_disconnect_state(f.disc, &out, &ctl));
  assert_false(out);
  assert_int_equal(ctl, 0);
  assert_int_equal(get(&f, 1, T0_MS, 70, LN_DISC, 2, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n, "03 00");
  /* output_state is read-only, even for management. */
  assert_int_equal(set(&f, 1, 70, LN_DISC, 2, "03 01"), 3);

  /* SAP_assignment_list: array of {SAP long-unsigned, name octet-string}. */
  assert_int_equal(get(&f, 1, T0_MS, 17, LN_SAP, 2, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n, "01 01 02 02 12 00 01 09 03 4D 54 52");
  /* Selective access on an attribute without it. */
  ami_apdu_selection sel = {true, 1, ami_span_make(NULL, 0)};
  assert_int_equal(get(&f, 1, T0_MS, 17, LN_SAP, 2, &sel, buf, sizeof buf, &n),
                   13);
  ami_cosem_model_free(f.m);
}

/* Extended register reset stamps capture_time; demand register
 * next_period moves the current average to the last one. */
static void test_register_relatives(void **state) {
  (void)state;
  fixture f;
  assert_ami_ok(build(&f, NULL));
  static const ami_obis ln_ext = {1, 0, 1, 6, 0, 255};
  static const ami_obis ln_dem = {1, 0, 1, 4, 0, 255};
  ami_cosem_object *ext, *dem;
  assert_ami_ok(ami_cosem_add_object(f.m, 4, ln_ext, &ext));
  assert_ami_ok(ami_cosem_add_object(f.m, 5, ln_dem, &dem));
  assert_ami_ok(
      ami_cosem_assoc_add_object_role(f.mgmt, ext, AMI_COSEM_ROLE_MANAGEMENT));
  assert_ami_ok(
      ami_cosem_assoc_add_object_role(f.mgmt, dem, AMI_COSEM_ROLE_MANAGEMENT));
  uint8_t buf[64];
  size_t n;
  /* Defaults from the description: capture_time all "not specified". */
  assert_int_equal(get(&f, 1, T0_MS, 4, ln_ext, 5, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n, "09 0C FF FF FF FF FF FF FF FF FF 80 00 FF");
  assert_int_equal(set(&f, 1, 4, ln_ext, 2, "12 01 F4"), 0);
  assert_int_equal(act(&f, 1, 4, ln_ext, 1, "0F 00"), 0);
  assert_int_equal(get(&f, 1, T0_MS, 4, ln_ext, 2, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n, "12 00 00");
  assert_int_equal(get(&f, 1, T0_MS, 4, ln_ext, 5, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n, "09 0C 07 EA 0B 16 07 05 00 00 00 00 00 00");
  /* current_average_value is read-only over the wire: the meter sets it. */
  assert_int_equal(set(&f, 1, 5, ln_dem, 2, "06 00 00 00 2A"), 3);
  static const uint8_t avg[] = {0x06, 0, 0, 0, 0x2A};
  assert_ami_ok(ami_cosem_set_attr(dem, 2, ami_span_make(avg, 5)));
  assert_int_equal(act(&f, 1, 5, ln_dem, 2, "0F 00"), 0);
  assert_int_equal(get(&f, 1, T0_MS, 5, ln_dem, 3, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n, "06 00 00 00 2A");
  assert_int_equal(get(&f, 1, T0_MS, 5, ln_dem, 2, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n, "06 00 00 00 00");
  ami_cosem_model_free(f.m);
}

/* ---- Association LN -------------------------------------------------------
 */

/* The structural signature of an encoded Data: every item's tag, and for
 * containers and strings their count, in document order. */
static size_t shape(const uint8_t *p, size_t len, uint32_t *sig, size_t cap) {
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, p, len);
  ami_axdr_value v;
  size_t k = 0;
  int rc;
  while ((rc = ami_axdr_next(&d, &v)) == AMI_OK) {
    uint32_t s = (uint32_t)v.tag << 24;
    if (v.tag == AMI_AXDR_ARRAY || v.tag == AMI_AXDR_STRUCTURE ||
        v.tag == AMI_AXDR_OCTET_STRING)
      s |= v.count & 0xFFFFFFu;
    assert_true(k < cap);
    sig[k++] = s;
  }
  assert_int_equal(rc, AMI_AXDR_END);
  return k;
}

/* Find the object_list element of class `cls` in an encoded object_list;
 * *len receives its length. NULL if absent. */
static const uint8_t *find_element(const uint8_t *p, size_t len, uint16_t cls,
                                   size_t *elen) {
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, p, len);
  uint32_t n;
  assert_ami_ok(ami_axdr_get_array(&d, &n));
  for (uint32_t i = 0; i < n; i++) {
    size_t start = ami_axdr_pos(&d);
    assert_ami_ok(ami_axdr_skip(&d));
    const uint8_t *e = p + start;
    if (e[0] == 0x02 && e[1] == 0x04 && e[2] == 0x12 &&
        ((e[3] << 8) | e[4]) == cls) {
      *elen = ami_axdr_pos(&d) - start;
      return e;
    }
  }
  return NULL;
}

typedef struct joined {
  uint8_t buf[8192];
  size_t len;
  bool in_view; /* inside the GET of 0.0.40.0.0.255 attribute 2 */
  bool done;
} joined;

/* Join the GET-Response-With-Datablock raw data of the association view. */
static void on_apdu(const uint8_t *apdu, size_t n, bool tx, void *ud) {
  joined *j = ud;
  ami_apdu a;
  if (j->done || ami_apdu_decode(ami_span_make(apdu, n), &a) != AMI_OK)
    return;
  if (tx && a.tag == 0xC0 && a.u.get_request.choice == 1) {
    const ami_apdu_desc *d = &a.u.get_request.attr;
    j->in_view = d->class_id == 15 && d->id == 2;
    return;
  }
  if (!tx && j->in_view && a.tag == 0xC4 && a.u.get_response.choice == 2) {
    const ami_apdu_datablock_g *b = &a.u.get_response.block;
    assert_true(j->len + b->raw.len <= sizeof j->buf);
    memcpy(j->buf + j->len, b->raw.p, b->raw.len);
    j->len += b->raw.len;
    j->done = b->last;
  }
}

/* Our object_list follows the Blue Book structure Gurux serves, type for
 * type: the recorded server's clock element (class 8, 9 attributes, 6
 * methods) and ours have the same signature, and so have the Association
 * LN elements. */
static void test_object_list_vs_gurux(void **state) {
  (void)state;
  static joined j;
  memset(&j, 0, sizeof j);
  int napdu = ami_test_session_apdus(
      "vectors/dlms/gurux-sessions/gurux_wrapper_ln_none_clock.txt", on_apdu,
      &j);
  if (napdu < 0)
    skip();
  assert_true(j.done);
  assert_ami_ok(ami_axdr_validate(ami_span_make(j.buf, j.len), NULL));

  /* Every class the recorded server lists at the version we describe has
   * our attribute and method counts. */
  {
    ami_axdr_dec d;
    ami_axdr_dec_init(&d, j.buf, j.len);
    uint32_t n_el, k;
    size_t compared = 0;
    assert_ami_ok(ami_axdr_get_array(&d, &n_el));
    for (uint32_t i = 0; i < n_el; i++) {
      uint16_t cls;
      uint8_t ver;
      ami_span ln;
      uint32_t na, nm;
      assert_ami_ok(ami_axdr_get_struct(&d, &k));
      assert_ami_ok(ami_axdr_get_u16(&d, &cls));
      assert_ami_ok(ami_axdr_get_u8(&d, &ver));
      assert_ami_ok(ami_axdr_get_octets(&d, &ln));
      assert_ami_ok(ami_axdr_get_struct(&d, &k));
      assert_ami_ok(ami_axdr_get_array(&d, &na));
      for (uint32_t a = 0; a < na; a++)
        assert_ami_ok(ami_axdr_skip(&d));
      assert_ami_ok(ami_axdr_get_array(&d, &nm));
      for (uint32_t a = 0; a < nm; a++)
        assert_ami_ok(ami_axdr_skip(&d));
      const ami_cosem_class_desc *c = ami_cosem_class_find(cls);
      if (!c || c->version != ver)
        continue;
      if (c->nattrs != na || c->nmethods != nm)
        fail_msg("class %u v%u: Gurux %u/%u attributes/methods, ours %u/%u",
                 cls, ver, na, nm, c->nattrs, c->nmethods);
      compared++;
    }
    print_message("compared %zu object_list elements with the recording\n",
                  compared);
    assert_true(compared >= 20);
  }

  fixture f;
  assert_ami_ok(build(&f, NULL));
  uint8_t ours[4096];
  size_t n;
  static const ami_obis current = {0, 0, 40, 0, 0, 255};
  assert_int_equal(
      get(&f, 1, T0_MS, 15, current, 2, NULL, ours, sizeof ours, &n), 0);
  uint16_t classes[] = {8, 15};
  for (size_t c = 0; c < 2; c++) {
    size_t gl, ol;
    const uint8_t *g = find_element(j.buf, j.len, classes[c], &gl);
    const uint8_t *o = find_element(ours, n, classes[c], &ol);
    assert_non_null(g);
    assert_non_null(o);
    uint32_t gs[512], os[512];
    size_t gn = shape(g, gl, gs, 512), on = shape(o, ol, os, 512);
    assert_int_equal(gn, on);
    for (size_t i = 0; i < gn; i++)
      if (gs[i] != os[i])
        fail_msg("class %u item %zu: Gurux %08x, ours %08x", classes[c], i,
                 gs[i], os[i]);
  }
  /* Our clock element with management rights, byte for byte: version 0,
   * read-only logical_name, status, clock_base; read-write the rest; all
   * six methods accessible. */
  size_t ol;
  const uint8_t *o = find_element(ours, n, 8, &ol);
  ami_test_assert_bytes(
      o, ol,
      "02 04 12 00 08 11 00 09 06 00 00 01 00 00 FF 02 02 01 09"
      " 02 03 0F 01 16 01 00 02 03 0F 02 16 03 00 02 03 0F 03 16 03 00"
      " 02 03 0F 04 16 01 00 02 03 0F 05 16 03 00 02 03 0F 06 16 03 00"
      " 02 03 0F 07 16 03 00 02 03 0F 08 16 03 00 02 03 0F 09 16 01 00"
      " 01 06 02 02 0F 01 16 01 02 02 0F 02 16 01 02 02 0F 03 16 01"
      " 02 02 0F 04 16 01 02 02 0F 05 16 01 02 02 0F 06 16 01");
  /* The public association lists only what it sees: itself as current
   * association, the clock and the data object. */
  assert_int_equal(
      get(&f, 16, T0_MS, 15, current, 2, NULL, ours, sizeof ours, &n), 0);
  assert_int_equal(ours[0], 0x01);
  assert_int_equal(ours[1], 3);
  assert_null(find_element(ours, n, 3, &ol));
  ami_cosem_model_free(f.m);
}

static void test_association_attributes(void **state) {
  (void)state;
  fixture f;
  assert_ami_ok(build(&f, NULL));
  static const ami_obis current = {0, 0, 40, 0, 0, 255};
  uint8_t buf[128];
  size_t n;
  /* application_context_name: 2.16.756.5.8.1.3 (LN with ciphering) for
   * the ciphered management association, .1.1 for the public one. */
  assert_int_equal(get(&f, 1, T0_MS, 15, current, 4, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n,
                        "02 07 11 02 11 10 12 02 F4 11 05 11 08 11 01 11 03");
  assert_int_equal(
      get(&f, 16, T0_MS, 15, current, 4, NULL, buf, sizeof buf, &n), 0);
  ami_test_assert_bytes(buf, n,
                        "02 07 11 02 11 10 12 02 F4 11 05 11 08 11 01 11 01");
  /* authentication_mechanism_name 2.16.756.5.8.2.5 (HLS-GMAC). */
  assert_int_equal(get(&f, 1, T0_MS, 15, current, 6, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n,
                        "02 07 11 02 11 10 12 02 F4 11 05 11 08 11 02 11 05");
  /* association_status: associated for the requester's own association,
   * non-associated for another one. */
  assert_int_equal(get(&f, 1, T0_MS, 15, current, 8, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n, "16 02");
  assert_int_equal(
      get(&f, 1, T0_MS, 15, LN_AS_MGMT, 8, NULL, buf, sizeof buf, &n), 0);
  ami_test_assert_bytes(buf, n, "16 02");
  assert_int_equal(
      get(&f, 16, T0_MS, 15, LN_AS_MGMT, 8, NULL, buf, sizeof buf, &n), 4);
  /* The secret (LLS password) can be written, never read back. */
  assert_int_equal(set(&f, 1, 15, current, 7, "09 03 61 62 63"), 0);
  assert_int_equal(set(&f, 1, 15, LN_AS_MGMT, 7, "09 03 61 62 63"), 0);
  assert_int_equal(
      get(&f, 1, T0_MS, 15, LN_AS_MGMT, 7, NULL, buf, sizeof buf, &n), 3);
  assert_int_equal(
      get(&f, 16, T0_MS, 15, current, 7, NULL, buf, sizeof buf, &n), 3);
  /* associated_partners_id {client SAP, server SAP}. */
  assert_int_equal(
      get(&f, 16, T0_MS, 15, current, 3, NULL, buf, sizeof buf, &n), 0);
  ami_test_assert_bytes(buf, n, "02 02 0F 10 12 00 01");
  ami_cosem_model_free(f.m);
}

/* ---- Profile Generic ----------------------------------------------------- */

/* Capture `k` rows 15 minutes apart from T0 with register values 1..k. */
static void capture_rows(fixture *f, unsigned k) {
  for (unsigned i = 1; i <= k; i++) {
    uint8_t v[5] = {0x06, 0, 0, 0, (uint8_t)i};
    assert_ami_ok(ami_cosem_set_attr(f->reg, 2, ami_span_make(v, 5)));
    assert_ami_ok(
        ami_cosem_profile_capture(f->profile, T0_MS + (i - 1) * 900000u));
  }
}

/* The row captured at T0 + (i-1)*15 min with value i, hex. */
static void row_hex(char *out, size_t cap, unsigned i, bool time_col,
                    bool value_col) {
  unsigned min = (i - 1) * 15;
  size_t k = (size_t)snprintf(out, cap, "02 %02X", (time_col + value_col));
  if (time_col)
    k += (size_t)snprintf(out + k, cap - k,
                          " 09 0C 07 EA 0B 16 07 %02X %02X 00 00 00 00 00",
                          5 + min / 60, min % 60);
  if (value_col)
    k += (size_t)snprintf(out + k, cap - k, " 06 00 00 00 %02X", i);
}

/* Expected buffer: rows first..last (inclusive) with the given columns. */
static void buffer_hex(char *out, size_t cap, unsigned first, unsigned last,
                       bool t, bool v) {
  unsigned n = last >= first ? last - first + 1 : 0;
  size_t k = (size_t)snprintf(out, cap, "01 %02X", n);
  for (unsigned i = first; n && i <= last; i++) {
    out[k++] = ' ';
    row_hex(out + k, cap - k, i, t, v);
    k += strlen(out + k);
  }
}

static void expect_buffer(fixture *f, const ami_apdu_selection *sel,
                          unsigned first, unsigned last, bool t, bool v) {
  static uint8_t buf[4096];
  static char hex[16384];
  size_t n;
  assert_int_equal(get(f, 1, T0_MS, 7, LN_PROFILE, 2, sel, buf, sizeof buf, &n),
                   0);
  buffer_hex(hex, sizeof hex, first, last, t, v);
  ami_test_assert_bytes(buf, n, hex);
}

static ami_apdu_selection entry_sel(uint8_t *buf, size_t cap, uint32_t from,
                                    uint32_t to, uint16_t cfrom, uint16_t cto) {
  ami_selective_entry e = {from, to, cfrom, cto};
  ami_wr w;
  ami_wr_init(&w, buf, cap);
  ami_selective_entry_encode(&w, &e);
  assert_ami_ok(w.err);
  ami_apdu_selection s = {true, AMI_SELECTIVE_ENTRY, ami_span_make(buf, w.len)};
  return s;
}

static ami_apdu_selection range_sel(uint8_t *buf, size_t cap, unsigned from_i,
                                    unsigned to_i, ami_selective_column *cols,
                                    size_t ncols) {
  /* from/to are the capture times of rows from_i and to_i. */
  char hex[64];
  uint8_t fv[14], tv[14];
  unsigned m1 = (from_i - 1) * 15, m2 = (to_i - 1) * 15;
  snprintf(hex, sizeof hex, "09 0C 07 EA 0B 16 07 %02X %02X 00 00 00 00 00",
           5 + m1 / 60, m1 % 60);
  size_t n;
  uint8_t *h = ami_test_hex(hex, &n);
  memcpy(fv, h, 14);
  free(h);
  snprintf(hex, sizeof hex, "09 0C 07 EA 0B 16 07 %02X %02X 00 00 00 00 00",
           5 + m2 / 60, m2 % 60);
  h = ami_test_hex(hex, &n);
  memcpy(tv, h, 14);
  free(h);
  ami_selective_range r;
  memset(&r, 0, sizeof r);
  r.restricting_object.class_id = 8;
  r.restricting_object.logical_name = LN_CLOCK;
  r.restricting_object.attribute_index = 2;
  r.from_value = ami_span_make(fv, 14);
  r.to_value = ami_span_make(tv, 14);
  r.columns = cols;
  r.ncolumns = ncols;
  ami_wr w;
  ami_wr_init(&w, buf, cap);
  ami_selective_range_encode(&w, &r);
  assert_ami_ok(w.err);
  ami_apdu_selection s = {true, AMI_SELECTIVE_RANGE, ami_span_make(buf, w.len)};
  return s;
}

static void test_profile(void **state) {
  (void)state;
  fixture f;
  assert_ami_ok(build(&f, NULL));
  uint8_t buf[512], sb[128];
  size_t n;
  /* Empty profile. */
  assert_int_equal(
      get(&f, 1, T0_MS, 7, LN_PROFILE, 2, NULL, buf, sizeof buf, &n), 0);
  ami_test_assert_bytes(buf, n, "01 00");
  /* capture_objects as the Blue Book capture_object_definition array. */
  assert_int_equal(
      get(&f, 1, T0_MS, 7, LN_PROFILE, 3, NULL, buf, sizeof buf, &n), 0);
  ami_test_assert_bytes(buf, n,
                        "01 02 02 04 12 00 08 09 06 00 00 01 00 00 FF 0F 02 "
                        "12 00 00 02 04 12 00 03 09 06 01 00 01 08 00 FF 0F "
                        "02 12 00 00");
  /* Seven captures into a ring of five: rows 3..7 remain, oldest first. */
  capture_rows(&f, 7);
  assert_int_equal(ami_cosem_profile_entries(f.profile), 5);
  assert_int_equal(
      get(&f, 1, T0_MS, 7, LN_PROFILE, 7, NULL, buf, sizeof buf, &n), 0);
  ami_test_assert_bytes(buf, n, "06 00 00 00 05");
  expect_buffer(&f, NULL, 3, 7, true, true);

  /* By entry (1-based over the rows kept): entries 2..3 = rows 4..5. */
  ami_apdu_selection s = entry_sel(sb, sizeof sb, 2, 3, 0, 0);
  expect_buffer(&f, &s, 4, 5, true, true);
  s = entry_sel(sb, sizeof sb, 4, 0, 0, 0); /* to the last */
  expect_buffer(&f, &s, 6, 7, true, true);
  s = entry_sel(sb, sizeof sb, 1, 99, 2, 2); /* past the end; column 2 */
  expect_buffer(&f, &s, 3, 7, false, true);
  s = entry_sel(sb, sizeof sb, 5, 5, 1, 1); /* the last row, column 1 */
  expect_buffer(&f, &s, 7, 7, true, false);
  s = entry_sel(sb, sizeof sb, 6, 0, 0, 0); /* beyond the rows: empty */
  expect_buffer(&f, &s, 1, 0, true, true);
  s = entry_sel(sb, sizeof sb, 3, 2, 0, 0); /* from > to: empty */
  expect_buffer(&f, &s, 1, 0, true, true);
  s = entry_sel(sb, sizeof sb, 1, 0, 1, 3); /* column 3 does not exist */
  assert_int_equal(get(&f, 1, T0_MS, 7, LN_PROFILE, 2, &s, buf, sizeof buf, &n),
                   13);
  s = entry_sel(sb, sizeof sb, 1, 0, 2, 1);
  assert_int_equal(get(&f, 1, T0_MS, 7, LN_PROFILE, 2, &s, buf, sizeof buf, &n),
                   13);

  /* By range on the clock column, inclusive at both ends. */
  s = range_sel(sb, sizeof sb, 4, 6, NULL, 0);
  expect_buffer(&f, &s, 4, 6, true, true);
  s = range_sel(sb, sizeof sb, 1, 3, NULL, 0); /* rows 1-2 were overwritten */
  expect_buffer(&f, &s, 3, 3, true, true);
  s = range_sel(sb, sizeof sb, 8, 9, NULL, 0); /* after the last: empty */
  expect_buffer(&f, &s, 1, 0, true, true);
  s = range_sel(sb, sizeof sb, 6, 4, NULL, 0); /* from > to: empty */
  expect_buffer(&f, &s, 1, 0, true, true);
  ami_selective_column col_value = {3, LN_REG, 2, 0};
  s = range_sel(sb, sizeof sb, 3, 7, &col_value, 1); /* value column only */
  expect_buffer(&f, &s, 3, 7, false, true);
  ami_selective_column col_other = {3, LN_REG, 3, 0};
  s = range_sel(sb, sizeof sb, 3, 7, &col_other, 1); /* not a column */
  assert_int_equal(get(&f, 1, T0_MS, 7, LN_PROFILE, 2, &s, buf, sizeof buf, &n),
                   13);
  /* Range on the value column with numbers. */
  {
    ami_selective_range r;
    memset(&r, 0, sizeof r);
    r.restricting_object = col_value;
    static const uint8_t from[] = {0x06, 0, 0, 0, 5}, to[] = {0x12, 0, 6};
    r.from_value = ami_span_make(from, 5);
    r.to_value = ami_span_make(to, 3);
    ami_wr w;
    ami_wr_init(&w, sb, sizeof sb);
    ami_selective_range_encode(&w, &r);
    ami_apdu_selection rs = {true, 1, ami_span_make(sb, w.len)};
    expect_buffer(&f, &rs, 5, 6, true, true);
  }
  /* Unknown selector, malformed parameters. */
  ami_apdu_selection bad = {true, 3, ami_span_make(sb, 2)};
  assert_int_equal(
      get(&f, 1, T0_MS, 7, LN_PROFILE, 2, &bad, buf, sizeof buf, &n), 13);
  bad.selector = 2;
  bad.params = ami_span_make("\x02\x04\x06", 3);
  assert_int_equal(
      get(&f, 1, T0_MS, 7, LN_PROFILE, 2, &bad, buf, sizeof buf, &n), 13);

  /* A buffer that does not fit: AMI_E_BUFFER_FULL, nothing left in out. */
  {
    const ami_server_app *app = ami_cosem_server_app(f.m);
    ami_server_assoc_info info = info_for(1, T0_MS);
    ami_apdu_desc d = desc(7, LN_PROFILE, 2);
    ami_wr w;
    ami_wr_init(&w, buf, 40);
    uint8_t dar;
    assert_ami(AMI_E_BUFFER_FULL,
               app->get(app->user_data, &info, &d, NULL, &w, &dar));
    assert_int_equal(w.len, 0);
  }
  /* The capture and reset methods over the wire. */
  assert_int_equal(act(&f, 1, 7, LN_PROFILE, 1, "0F 00"), 0);
  assert_int_equal(ami_cosem_profile_entries(f.profile), 0);
  assert_int_equal(act(&f, 1, 7, LN_PROFILE, 2, "0F 00"), 0);
  assert_int_equal(ami_cosem_profile_entries(f.profile), 1);
  /* profile_entries and capture_objects by SET. */
  assert_int_equal(set(&f, 1, 7, LN_PROFILE, 8, "06 00 00 00 0A"), 0);
  assert_int_equal(
      get(&f, 1, T0_MS, 7, LN_PROFILE, 8, NULL, buf, sizeof buf, &n), 0);
  ami_test_assert_bytes(buf, n, "06 00 00 00 0A");
  assert_int_equal(
      set(&f, 1, 7, LN_PROFILE, 3,
          "01 01 02 04 12 00 03 09 06 01 00 01 08 00 FF 0F 02 12 00 00"),
      0);
  assert_int_equal(
      set(&f, 1, 7, LN_PROFILE, 3,
          "01 01 02 04 12 00 03 09 06 01 00 02 08 00 FF 0F 02 12 00 00"),
      250); /* no such object */
  capture_rows(&f, 2);
  expect_buffer(&f, NULL, 1, 2, false, true);
  ami_cosem_model_free(f.m);
}

/* Read the profile buffer through ami_cosem_get_resumable in pieces of
 * `chunk` bytes into `dst`; returns the final return code. */
static int read_in_pieces(fixture *f, const ami_apdu_selection *sel,
                          size_t chunk, uint8_t *dst, size_t cap, size_t *len,
                          int captures_after_first) {
  ami_server_assoc_info info = info_for(1, T0_MS);
  ami_apdu_desc d = desc(7, LN_PROFILE, 2);
  ami_cosem_cursor cur;
  memset(&cur, 0, sizeof cur);
  *len = 0;
  for (int calls = 0;; calls++) {
    assert_true(*len + chunk <= cap);
    ami_wr w;
    ami_wr_init(&w, dst + *len, chunk);
    uint8_t dar = 0xEE;
    int rc = ami_cosem_get_resumable(f->m, &info, &d, sel, &cur, &w, &dar);
    assert_int_equal(dar, 0);
    *len += w.len;
    if (rc != AMI_E_AGAIN)
      return rc;
    if (calls == 0)
      for (int i = 0; i < captures_after_first; i++)
        assert_ami_ok(ami_cosem_profile_capture(f->profile, T0_MS));
  }
}

static void test_profile_resumable(void **state) {
  (void)state;
  fixture f;
  assert_ami_ok(build(&f, NULL));
  assert_ami_ok(ami_cosem_profile_set_capacity(f.profile, 100));
  capture_rows(&f, 100);
  static uint8_t whole[8192], pieces[8192];
  size_t wn, pn;
  uint8_t sb[192];
  ami_apdu_selection sels[4];
  sels[0].present = false;
  sels[1] = entry_sel(sb, 64, 10, 70, 2, 2);
  sels[2] = range_sel(sb + 64, 64, 30, 60, NULL, 0); /* same day */
  sels[3] = entry_sel(sb + 128, 64, 101, 0, 0, 0);   /* empty */
  for (size_t k = 0; k < 4; k++) {
    assert_int_equal(
        get(&f, 1, T0_MS, 7, LN_PROFILE, 2, &sels[k], whole, sizeof whole, &wn),
        0);
    if (k == 1 || k == 2) /* 61 rows of one column, 31 rows of two */
      assert_int_equal(wn, k == 1 ? 2 + 61 * 7 : 2 + 31 * 21);
    static const size_t chunks[] = {30, 64, 200, 4096};
    for (size_t c = 0; c < 4; c++) {
      assert_ami_ok(read_in_pieces(&f, &sels[k], chunks[c], pieces,
                                   sizeof pieces, &pn, 0));
      assert_int_equal(pn, wn);
      assert_memory_equal(pieces, whole, wn);
    }
  }
  /* Too small for one row. */
  assert_ami(AMI_E_BUFFER_FULL,
             read_in_pieces(&f, NULL, 10, pieces, sizeof pieces, &pn, 0));
  /* Captures that overwrite only rows already sent: the snapshot is sent
   * unchanged. */
  assert_int_equal(
      get(&f, 1, T0_MS, 7, LN_PROFILE, 2, NULL, whole, sizeof whole, &wn), 0);
  assert_ami_ok(read_in_pieces(&f, NULL, 200, pieces, sizeof pieces, &pn, 2));
  assert_int_equal(pn, wn);
  assert_memory_equal(pieces, whole, wn);
  /* Captures that overwrite rows not yet sent end the read. */
  assert_ami(AMI_E_STATE,
             read_in_pieces(&f, NULL, 200, pieces, sizeof pieces, &pn, 50));
  /* Other attributes: one piece, as a plain GET. */
  {
    ami_server_assoc_info info = info_for(1, T0_MS);
    ami_apdu_desc d = desc(7, LN_PROFILE, 7);
    ami_cosem_cursor cur;
    memset(&cur, 0, sizeof cur);
    ami_wr w;
    ami_wr_init(&w, pieces, sizeof pieces);
    uint8_t dar;
    assert_ami_ok(
        ami_cosem_get_resumable(f.m, &info, &d, NULL, &cur, &w, &dar));
    ami_test_assert_bytes(pieces, w.len, "06 00 00 00 64");
    /* Access is checked as for GET. */
    info = info_for(16, T0_MS);
    d = desc(7, LN_PROFILE, 2);
    memset(&cur, 0, sizeof cur);
    ami_wr_init(&w, pieces, sizeof pieces);
    assert_ami_ok(
        ami_cosem_get_resumable(f.m, &info, &d, NULL, &cur, &w, &dar));
    assert_int_equal(dar, 4);
    assert_int_equal(w.len, 0);
  }
  ami_cosem_model_free(f.m);
}

/* 100,000 rows: captured, then read in one GET; prints the speed. */
static void test_profile_100k(void **state) {
  (void)state;
  fixture f;
  assert_ami_ok(build(&f, NULL));
  assert_ami_ok(ami_cosem_profile_set_capacity(f.profile, 100000));
  for (unsigned i = 0; i < 100000; i++) {
    uint8_t v[5] = {0x06, (uint8_t)(i >> 24), (uint8_t)(i >> 16),
                    (uint8_t)(i >> 8), (uint8_t)i};
    assert_ami_ok(ami_cosem_set_attr(f.reg, 2, ami_span_make(v, 5)));
    assert_ami_ok(ami_cosem_profile_capture(f.profile, T0_MS + i * 60000ull));
  }
  size_t cap = 100000u * 24u + 8u;
  uint8_t *buf = malloc(cap);
  assert_non_null(buf);
  struct timespec t0, t1;
  size_t n = 0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int k = 0; k < 5; k++)
    assert_int_equal(get(&f, 1, T0_MS, 7, LN_PROFILE, 2, NULL, buf, cap, &n),
                     0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double s =
      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  print_message("profile read: %.1f M rows/s (%zu bytes per read)\n",
                5 * 100000 / s / 1e6, n);
  /* 1 array header (84 01 86 A0 = 5 bytes), then 100,000 rows of 2 + 14 +
   * 5 bytes. */
  assert_int_equal(n, 5 + 100000u * 21u);
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, buf, n);
  uint32_t rows;
  assert_ami_ok(ami_axdr_get_array(&d, &rows));
  assert_int_equal(rows, 100000);
  assert_ami_ok(ami_axdr_validate(ami_span_make(buf, n), NULL));
  free(buf);
  ami_cosem_model_free(f.m);
}

/* ---- application callbacks -------------------------------------------------
 */

typedef struct app_double {
  uint32_t live;   /* the register's live value */
  uint8_t key[32]; /* last key_transfer parameters */
  size_t key_len;
  int writes;
} app_double;

static int cb_read(void *ud, ami_cosem_object *obj, unsigned attr,
                   const ami_apdu_selection *sel, uint64_t now_ms, ami_wr *out,
                   uint8_t *dar) {
  (void)sel;
  (void)now_ms;
  (void)dar;
  app_double *a = ud;
  if (ami_cosem_object_class(obj) != 3 || attr != 2)
    return AMI_E_NOT_FOUND;
  ami_axdr_put_u32(out, a->live);
  return AMI_OK;
}

static int cb_write(void *ud, ami_cosem_object *obj, unsigned attr,
                    ami_span value, uint8_t *dar) {
  (void)obj;
  (void)attr;
  (void)value;
  (void)dar;
  app_double *a = ud;
  a->writes++;
  return AMI_E_NOT_FOUND; /* and let the model store it */
}

static int cb_invoke(void *ud, ami_cosem_object *obj, unsigned method,
                     ami_span params, ami_wr *ret, bool *has_return,
                     uint8_t *result) {
  (void)ret;
  (void)has_return;
  (void)result;
  app_double *a = ud;
  if (ami_cosem_object_class(obj) != 64 || method != 2)
    return AMI_E_NOT_FOUND;
  a->key_len = params.len < sizeof a->key ? params.len : sizeof a->key;
  memcpy(a->key, params.p, a->key_len);
  return AMI_OK;
}

static void test_callbacks(void **state) {
  (void)state;
  fixture f;
  assert_ami_ok(build(&f, NULL));
  ami_cosem_object *sec;
  static const ami_obis ln_sec = {0, 0, 43, 0, 1, 255};
  assert_ami_ok(ami_cosem_add_object(f.m, 64, ln_sec, &sec));
  assert_ami_ok(
      ami_cosem_assoc_add_object_role(f.mgmt, sec, AMI_COSEM_ROLE_MANAGEMENT));
  static const char *key_params =
      "01 01 02 02 16 00 09 18 00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE "
      "FF 00 11 22 33 44 55 66 77";
  /* Without the application, keys cannot be transferred. */
  assert_int_equal(act(&f, 1, 64, ln_sec, 2, key_params), 11);
  /* security_activate raises the stored policy, never lowers it. */
  assert_int_equal(act(&f, 1, 64, ln_sec, 1, "16 03"), 0);
  assert_int_equal(act(&f, 1, 64, ln_sec, 1, "16 01"), 250);
  uint8_t buf[64];
  size_t n;
  assert_int_equal(get(&f, 1, T0_MS, 64, ln_sec, 2, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n, "16 03");

  app_double a;
  memset(&a, 0, sizeof a);
  a.live = 777;
  ami_cosem_callbacks cb = {cb_read, cb_write, cb_invoke, &a};
  ami_cosem_model_set_callbacks(f.m, &cb);
  assert_int_equal(act(&f, 1, 64, ln_sec, 2, key_params), 0);
  assert_int_equal(a.key_len, 32); /* 8 header bytes + a 24-byte wrapped key */
  assert_int_equal(a.key[0], 0x01);
  /* Live values come from the application, also into profile rows. */
  assert_int_equal(get(&f, 1, T0_MS, 3, LN_REG, 2, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n, "06 00 00 03 09");
  assert_ami_ok(ami_cosem_profile_capture(f.profile, T0_MS));
  assert_int_equal(
      get(&f, 1, T0_MS, 7, LN_PROFILE, 2, NULL, buf, sizeof buf, &n), 0);
  ami_test_assert_bytes(
      buf, n,
      "01 01 02 02 09 0C 07 EA 0B 16 07 05 00 00 00 00 00 00 06 00 00 03 09");
  /* The scaler_unit is still the model's. */
  assert_int_equal(get(&f, 1, T0_MS, 3, LN_REG, 3, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n, "02 02 0F 00 16 1E");
  /* Writes reach the application first. */
  assert_int_equal(set(&f, 1, 1, LN_DATA, 2, "11 07"), 0);
  assert_int_equal(a.writes, 1);
  assert_int_equal(get(&f, 1, T0_MS, 1, LN_DATA, 2, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n, "11 07");
  /* Per-object callbacks override the model's. */
  a.live = 5;
  ami_cosem_callbacks none = {NULL, NULL, NULL, NULL};
  ami_cosem_object_set_callbacks(f.reg, &none);
  assert_int_equal(get(&f, 1, T0_MS, 3, LN_REG, 2, NULL, buf, sizeof buf, &n),
                   0);
  ami_test_assert_bytes(buf, n, "06 00 00 30 39");
  ami_cosem_model_free(f.m);
}

/* ---- allocation failures ----------------------------------------------------
 */

static void test_failing_allocator(void **state) {
  (void)state;
  long ok_at = -1;
  for (long i = 0; i < 1000 && ok_at < 0; i++) {
    ami_test_failalloc fa;
    ami_test_failalloc_init(&fa, i);
    fixture f;
    int rc = build(&f, &fa.base);
    if (rc == AMI_OK) {
      ok_at = i;
    } else {
      assert_ami(AMI_E_NOMEM, rc);
    }
    /* A capture after a failed build must not crash either. */
    if (f.profile)
      (void)ami_cosem_profile_capture(f.profile, T0_MS);
    ami_cosem_model_free(f.m);
    assert_int_equal(fa.live, 0);
  }
  assert_true(ok_at > 10); /* every allocation point was failed once */
}

static void test_limits(void **state) {
  (void)state;
  ami_cosem_limits lim = {2, 1, 8, 100, 1};
  ami_cosem_model *m;
  assert_ami_ok(ami_cosem_model_new(NULL, &lim, &m));
  ami_cosem_object *a, *b;
  assert_ami_ok(ami_cosem_add_object(m, 7, LN_PROFILE, &a));
  assert_ami(AMI_E_INCONSISTENT, ami_cosem_add_object(m, 7, LN_PROFILE, &b));
  assert_ami(AMI_E_NOT_FOUND, ami_cosem_add_object(m, 2, LN_DATA, &b));
  assert_ami_ok(ami_cosem_add_object(m, 1, LN_DATA, &b));
  assert_ami(AMI_E_LIMIT, ami_cosem_add_object(m, 1, LN_CLOCK, NULL));
  static const uint8_t big[] = {0x09, 0x08, 1, 2, 3, 4, 5, 6, 7, 8};
  assert_ami(AMI_E_LIMIT, ami_cosem_set_attr(b, 2, ami_span_make(big, 10)));
  assert_ami_ok(ami_cosem_profile_add_column(a, b, 2, 0, 9));
  assert_ami(AMI_E_LIMIT, ami_cosem_profile_add_column(a, b, 2, 0, 9));
  assert_ami_ok(ami_cosem_profile_set_capacity(a, 10)); /* 10 x 10 bytes */
  assert_ami(AMI_E_LIMIT, ami_cosem_profile_set_capacity(a, 11));
  assert_ami(AMI_E_INVAL, ami_cosem_profile_add_column(b, a, 2, 0, 0));
  ami_cosem_model_free(m);
  ami_cosem_model_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_class_descriptions),
      cmocka_unit_test(test_type_check),
      cmocka_unit_test(test_access_rights),
      cmocka_unit_test(test_set_type_checking),
      cmocka_unit_test(test_clock),
      cmocka_unit_test(test_register_disconnect_sap),
      cmocka_unit_test(test_register_relatives),
      cmocka_unit_test(test_object_list_vs_gurux),
      cmocka_unit_test(test_association_attributes),
      cmocka_unit_test(test_profile),
      cmocka_unit_test(test_profile_resumable),
      cmocka_unit_test(test_profile_100k),
      cmocka_unit_test(test_callbacks),
      cmocka_unit_test(test_failing_allocator),
      cmocka_unit_test(test_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
