/*
 * fuzz_cosem.c -- libFuzzer target for the COSEM object model: arbitrary
 * attribute and method descriptors, selective-access selectors and
 * parameters, SET values and ACTION parameters against a populated model
 * (every class described, a filled profile, two associations).
 *
 * Input: a sequence of operations, each
 *   op (1 byte: low 2 bits GET/SET/ACTION/capture), client (1: bit 0
 *   management or public), object (1: index into the model's objects, or
 *   0xFF: 0.0.40.0.0.255), class override (1: 0 = the object's class),
 *   id (1), selector (1: 0 = none), out capacity (1), value length (1),
 *   then that many value bytes.
 * Oracles:
 *   - nothing is written past `out` (the capacity is checked with canary
 *     bytes right after it);
 *   - a successful GET writes exactly one well-formed Data; a failed one
 *     (DAR or error) leaves `out` empty;
 *   - a GET that fits a small buffer gives the same bytes as with a large
 *     one (no dependence on the capacity but AMI_E_BUFFER_FULL);
 *   - after a successful SET of a Data object's value, GET returns it;
 *   - a resumable GET in pieces of the capacity concatenates to the
 *     one-shot value.
 * Nothing needs relaxing under AMI_FUZZING (no checksums here).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_axdr.h"
#include "ami/ami_cosem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      abort();                                                                 \
  } while (0)

#define MAX_OBJS 32

static ami_cosem_object *objs[MAX_OBJS];
static size_t nobjs;

/* One object of every described class, a Profile Generic over the clock
 * and a register with some rows, and two associations. */
static ami_cosem_model *build(void) {
  ami_cosem_model *m;
  CHECK(ami_cosem_model_new(NULL, NULL, &m) == AMI_OK);
  nobjs = 0;
  size_t n;
  const ami_cosem_class_desc *cs = ami_cosem_classes(&n);
  for (size_t i = 0; i < n && nobjs < MAX_OBJS - 2; i++) {
    ami_obis ln = ami_obis_make(0, 0, 96, (uint8_t)i, 0, 255);
    CHECK(ami_cosem_add_object(m, cs[i].class_id, ln, &objs[nobjs]) == AMI_OK);
    nobjs++;
  }
  ami_cosem_object *pg =
      ami_cosem_find(m, 7, ami_obis_make(0, 0, 96, 4, 0, 255));
  ami_cosem_object *clk =
      ami_cosem_find(m, 8, ami_obis_make(0, 0, 96, 5, 0, 255));
  ami_cosem_object *reg =
      ami_cosem_find(m, 3, ami_obis_make(0, 0, 96, 1, 0, 255));
  CHECK(pg && clk && reg);
  CHECK(ami_cosem_profile_add_column(pg, clk, 2, 0, 0) == AMI_OK);
  CHECK(ami_cosem_profile_add_column(pg, reg, 2, 0, 0) == AMI_OK);
  CHECK(ami_cosem_profile_set_capacity(pg, 8) == AMI_OK);
  for (unsigned i = 0; i < 10; i++) {
    uint8_t v[3] = {0x12, 0, (uint8_t)i};
    CHECK(ami_cosem_set_attr(reg, 2, ami_span_make(v, 3)) == AMI_OK);
    CHECK(ami_cosem_profile_capture(pg, 1700000000000ull + i * 900000u) ==
          AMI_OK);
  }
  CHECK(ami_cosem_add_logical_device(m, 1, "LD", 2) == AMI_OK);
  ami_cosem_assoc *mg, *pub;
  CHECK(ami_cosem_add_association(m, 1, 5, ami_obis_make(0, 0, 40, 0, 2, 255),
                                  &mg) == AMI_OK);
  CHECK(ami_cosem_add_association(m, 16, 0, ami_obis_make(0, 0, 40, 0, 1, 255),
                                  &pub) == AMI_OK);
  objs[nobjs++] = ami_cosem_assoc_object(mg);
  objs[nobjs++] = ami_cosem_assoc_object(pub);
  for (size_t i = 0; i < nobjs; i++) {
    CHECK(ami_cosem_assoc_add_object_role(mg, objs[i],
                                          AMI_COSEM_ROLE_MANAGEMENT) == AMI_OK);
    if (i % 2)
      CHECK(ami_cosem_assoc_add_object_role(pub, objs[i],
                                            AMI_COSEM_ROLE_PUBLIC) == AMI_OK);
  }
  return m;
}

#define CANARY   0xA5
#define BIG      65536
#define CANARIES 16

static uint8_t small_buf[256 + CANARIES];
static uint8_t big_buf[BIG];
static uint8_t big2[BIG];

/* Oracle: reading in pieces of `chunk` bytes with the resumable GET gives
 * the one-shot bytes in big_buf (or stops with AMI_E_BUFFER_FULL when a
 * row is larger than a piece). */
static void check_resumable(ami_cosem_model *m,
                            const ami_server_assoc_info *info,
                            const ami_apdu_desc *d,
                            const ami_apdu_selection *sel, size_t chunk,
                            size_t whole) {
  ami_cosem_cursor cur;
  memset(&cur, 0, sizeof cur);
  size_t len = 0;
  for (;;) {
    CHECK(len + chunk <= BIG);
    ami_wr w;
    ami_wr_init(&w, big2 + len, chunk);
    uint8_t dar = 0xEE;
    int rc = ami_cosem_get_resumable(m, info, d, sel, &cur, &w, &dar);
    if (rc == AMI_E_BUFFER_FULL)
      return;
    CHECK(dar == 0);
    len += w.len;
    CHECK(len <= whole);
    if (rc == AMI_OK)
      break;
    CHECK(rc == AMI_E_AGAIN);
  }
  CHECK(len == whole && memcmp(big2, big_buf, whole) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ami_cosem_model *m = build();
  const ami_server_app *app = ami_cosem_server_app(m);
  size_t pos = 0;
  while (size - pos >= 8) {
    const uint8_t *h = data + pos;
    pos += 8;
    size_t vlen = h[7] <= size - pos ? h[7] : size - pos;
    /* The value in its own heap block, so ASan sees any over-read. */
    uint8_t *val = malloc(vlen ? vlen : 1);
    CHECK(val);
    if (vlen)
      memcpy(val, data + pos, vlen);
    pos += vlen;
    ami_span value = ami_span_make(val, vlen);

    ami_server_assoc_info info;
    memset(&info, 0, sizeof info);
    info.client_address = (h[1] & 1) ? 1 : 16;
    info.ciphered = (h[1] & 2) != 0;
    info.now_ms = 1700000000000ull + (uint64_t)h[1] * 1000u;
    ami_apdu_desc d;
    if (h[2] == 0xFF || h[2] % 64 >= nobjs) {
      static const uint8_t cur[6] = {0, 0, 40, 0, 0, 255};
      d.class_id = 15;
      memcpy(d.obis, cur, 6);
    } else {
      ami_cosem_object *o = objs[h[2] % 64];
      ami_obis ln = ami_cosem_object_ln(o);
      d.class_id = ami_cosem_object_class(o);
      ami_obis_to_bytes(&ln, d.obis);
    }
    if (h[3])
      d.class_id = h[3];
    d.id = (int8_t)h[4];
    ami_apdu_selection sel = {h[5] != 0, h[5], value};
    size_t cap = h[6];

    switch (h[0] & 3) {
    case 0: { /* GET, small buffer with canaries, then a big one */
      memset(small_buf, CANARY, sizeof small_buf);
      ami_wr w;
      ami_wr_init(&w, small_buf, cap);
      uint8_t dar = 0xEE;
      int rc = app->get(app->user_data, &info, &d, &sel, &w, &dar);
      for (size_t i = cap; i < cap + CANARIES; i++)
        CHECK(small_buf[i] == CANARY);
      ami_wr wb;
      ami_wr_init(&wb, big_buf, BIG);
      uint8_t dar2 = 0xEE;
      int rc2 = app->get(app->user_data, &info, &d, &sel, &wb, &dar2);
      if (rc != AMI_OK || dar != 0)
        CHECK(w.len == 0);
      if (rc2 == AMI_OK && dar2 == 0) {
        size_t used;
        CHECK(ami_axdr_validate(ami_span_make(big_buf, wb.len), &used) ==
              AMI_OK);
        CHECK(used == wb.len);
      }
      if (rc2 == AMI_OK && dar2 == 0)
        check_resumable(m, &info, &d, &sel, cap ? cap : 1, wb.len);
      if (rc == AMI_OK) {
        CHECK(rc2 == AMI_OK && dar == dar2 && w.len == wb.len);
        CHECK(w.len == 0 || memcmp(small_buf, big_buf, w.len) == 0);
      } else {
        CHECK(rc == AMI_E_BUFFER_FULL || rc == rc2);
      }
      break;
    }
    case 1: { /* SET */
      uint8_t dar = 0xEE;
      int rc = app->set(app->user_data, &info, &d, h[5] & 1 ? &sel : NULL,
                        value, &dar);
      if (rc == AMI_OK && dar == 0 && d.class_id == 1 && d.id == 2 &&
          !(h[5] & 1)) {
        ami_wr wb;
        ami_wr_init(&wb, big2, BIG);
        uint8_t dar2;
        CHECK(app->get(app->user_data, &info, &d, NULL, &wb, &dar2) == AMI_OK);
        CHECK(dar2 == 0 && wb.len == vlen && memcmp(big2, val, vlen) == 0);
      }
      break;
    }
    case 2: { /* ACTION */
      memset(small_buf, CANARY, sizeof small_buf);
      ami_wr w;
      ami_wr_init(&w, small_buf, cap);
      bool has = false;
      uint8_t result = 0xEE;
      int rc = app->action(app->user_data, &info, &d, value, &w, &has, &result);
      for (size_t i = cap; i < cap + CANARIES; i++)
        CHECK(small_buf[i] == CANARY);
      if (rc != AMI_OK || result != 0)
        CHECK(w.len == 0 && !has);
      break;
    }
    default: /* capture every profile */
      for (size_t i = 0; i < nobjs; i++)
        if (ami_cosem_object_class(objs[i]) == 7)
          CHECK(ami_cosem_profile_capture(objs[i], info.now_ms) == AMI_OK);
      break;
    }
    free(val);
  }
  ami_cosem_model_free(m);
  return 0;
}
