/*
 * fuzz_meter_ctl.c -- libFuzzer target for the supply-control objects of
 * lib/meter (Disconnect control, Limiter, Account, Credits, Charges, Token
 * gateway) bound to a COSEM model: arbitrary GET / SET / ACTION requests
 * from the management client interleaved with meter ticks.
 *
 * Input: a sequence of operations, each
 *   op (1 byte: low 2 bits GET / SET / ACTION / tick), object (1: index
 *   0..7), id (1: attribute or method), value length (1), then that many
 *   value bytes (the SET value, the ACTION parameters, or for a tick:
 *   power, energy, rate, hour, weekday, button).
 * Oracles:
 *   - every successful GET is exactly one Data of the attribute's type in
 *     the class description (the bindings encode what the class says);
 *   - a successful SET, in canonical A-XDR, of an attribute with an exact
 *     representation (thresholds, durations, group list, actions, money
 *     thresholds, periods, control_mode, passive unit charge) reads back
 *     unchanged;
 *   - after every operation the disconnector's state is consistent: mode
 *     0..6, state 0..2, output on exactly when connected, and the model's
 *     stored copy (ami_cosem_disconnect_state) agrees.
 * Nothing needs relaxing under AMI_FUZZING (tokens are verified for real:
 * a forged MAC is never found by chance, so accepted tokens come from the
 * seed corpus only).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_axdr.h"
#include "ami/ami_cosem.h"
#include "ami/ami_crypto_openssl.h"
#include "ami/ami_meter_disconnect.h"
#include "ami/ami_meter_limiter.h"
#include "ami/ami_meter_prepay.h"
#include "ami/ami_meter_supply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      abort();                                                                 \
  } while (0)

static const uint8_t KEY[16] = {1, 2,  3,  4,  5,  6,  7,  8,
                                9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t METER_ID[8] = {'O', 'A', 'M', 'F', 'U', 'Z', 'Z', '1'};

static void no_event(void *user, uint16_t code, uint64_t now_ms) {
  (void)user;
  (void)code;
  (void)now_ms;
}

/* Whether `p` is one Data in canonical form (minimal lengths, booleans
 * 0/1): only then can a read-back equal the written bytes -- the model
 * stores the value it decoded, and A-XDR lets a length be written long. */
static bool canonical(const uint8_t *p, size_t n) {
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, p, n);
  ami_axdr_value v;
  int rc;
  while ((rc = ami_axdr_next(&d, &v)) == AMI_OK)
    ;
  return rc == AMI_AXDR_END && d.canonical && d.end == n;
}

/* Attributes whose SET value must read back byte for byte. */
static bool exact(uint16_t cls, int id, size_t obj) {
  switch (cls) {
  case 70:
    return id == 4;
  case 71:
    return id == 2 || (id >= 3 && id <= 7) || id == 9 || id == 11;
  case 111:
    return id == 16 || id == 17;
  case 112:
    return obj == 4 && (id == 9 || id == 10); /* the emergency credit */
  case 113:
    return id == 6 || id == 8;
  default:
    return false;
  }
}

static uint8_t out[4096];
static uint8_t again[4096];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ami_cosem_model *m;
  CHECK(ami_cosem_model_new(NULL, NULL, &m) == AMI_OK);
  ami_cosem_assoc *a;
  CHECK(ami_cosem_add_association(m, 1, 1, ami_obis_make(0, 0, 40, 0, 1, 255),
                                  &a) == AMI_OK);
  ami_meter_disconnect d;
  ami_meter_limiter l;
  ami_meter_prepay p;
  ami_meter_disconnect_init(&d, 1, no_event, NULL);
  ami_meter_limiter_init(&l, no_event, NULL);
  ami_meter_prepay_init(&p, no_event, NULL);
  const ami_crypto *c = ami_crypto_openssl();
  ami_crypto_key *key;
  CHECK(c->key_new(c->user_data, AMI_CRYPTO_AES128, KEY, 16, &key) == AMI_OK);
  ami_meter_prepay_set_token_key(&p, c, key, METER_ID);
  ami_cosem_object *objs[8];
  CHECK(ami_meter_disconnect_bind(&d, m, ami_obis_make(0, 0, 96, 3, 10, 255),
                                  &objs[0]) == AMI_OK);
  CHECK(ami_meter_limiter_bind(&l, m, ami_obis_make(0, 0, 17, 0, 0, 255),
                               &objs[1]) == AMI_OK);
  CHECK(ami_meter_prepay_bind(&p, m, NULL, &objs[2]) == AMI_OK);
  for (int i = 0; i < 8; i++)
    CHECK(ami_cosem_assoc_add_object_role(a, objs[i],
                                          AMI_COSEM_ROLE_MANAGEMENT) == AMI_OK);
  const ami_server_app *app = ami_cosem_server_app(m);
  uint64_t now = 1700000000000ull;
  size_t pos = 0;
  while (size - pos >= 4) {
    const uint8_t *h = data + pos;
    pos += 4;
    size_t vlen = h[3] <= size - pos ? h[3] : size - pos;
    uint8_t *val = malloc(vlen ? vlen : 1); /* own block: ASan sees reads */
    CHECK(val);
    if (vlen)
      memcpy(val, data + pos, vlen);
    pos += vlen;
    now += 1000u * (1u + (h[0] >> 2));
    size_t oi = h[1] % 8;
    uint16_t cls = ami_cosem_object_class(objs[oi]);
    ami_obis ln = ami_cosem_object_ln(objs[oi]);
    ami_apdu_desc desc;
    desc.class_id = cls;
    ami_obis_to_bytes(&ln, desc.obis);
    desc.id = (int8_t)h[2];
    ami_server_assoc_info info;
    memset(&info, 0, sizeof info);
    info.client_address = 1;
    info.mechanism = 1;
    info.authenticated = true;
    info.now_ms = now;
    uint8_t dar = 0xEE;
    ami_wr w;
    switch (h[0] & 3) {
    case 0: { /* GET: one Data of the class's type */
      ami_wr_init(&w, out, sizeof out);
      int rc = app->get(app->user_data, &info, &desc, NULL, &w, &dar);
      const ami_cosem_attr_desc *ad =
          ami_cosem_class_attr(ami_cosem_class_find(cls), h[2]);
      if (rc == AMI_OK && dar == 0) {
        CHECK(ad != NULL);
        CHECK(ami_cosem_type_check(ad->td, ad->td_len,
                                   ami_span_make(out, w.len)) == AMI_OK);
      }
      break;
    }
    case 1: { /* SET, and the exact read-back */
      int rc = app->set(app->user_data, &info, &desc, NULL,
                        ami_span_make(val, vlen), &dar);
      if (rc == AMI_OK && dar == 0 && exact(cls, h[2], oi) &&
          canonical(val, vlen)) {
        ami_wr_init(&w, again, sizeof again);
        uint8_t dar2 = 0xEE;
        CHECK(app->get(app->user_data, &info, &desc, NULL, &w, &dar2) ==
              AMI_OK);
        CHECK(dar2 == 0 && w.len == vlen && memcmp(again, val, vlen) == 0);
      }
      break;
    }
    case 2: { /* ACTION */
      ami_wr_init(&w, out, sizeof out);
      bool has = false;
      (void)app->action(app->user_data, &info, &desc, ami_span_make(val, vlen),
                        &w, &has, &dar);
      break;
    }
    default: { /* a meter tick */
      uint8_t v[6] = {0};
      memcpy(v, val, vlen < 6 ? vlen : 6);
      ami_meter_supply_inputs in;
      memset(&in, 0, sizeof in);
      in.monitored_milli = (int64_t)v[0] * 100000;
      in.prepay.energy_mwh = (int64_t)v[1] * 10000;
      in.prepay.tariff_rate = v[2] % 4;
      in.prepay.local.year = 2026;
      in.prepay.local.month = 11;
      in.prepay.local.day = 23;
      in.prepay.local.hour = v[3] % 24;
      in.prepay.local.day_of_week = (uint8_t)(1 + v[4] % 7);
      in.button = (v[5] & 1) != 0;
      bool on = ami_meter_supply_tick(&d, &l, &p, now, &in);
      CHECK(on == d.output_state);
      break;
    }
    }
    free(val);
    bool o;
    uint8_t st;
    CHECK(d.control_mode <= 6 && d.control_state <= 2);
    CHECK(d.output_state == (d.control_state == 1));
    CHECK(ami_cosem_disconnect_state(objs[0], &o, &st) == AMI_OK);
    CHECK(o == d.output_state && st == d.control_state);
  }
  ami_cosem_model_free(m);
  c->key_free(c->user_data, key);
  return 0;
}
