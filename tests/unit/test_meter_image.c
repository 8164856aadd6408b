/*
 * test_meter_image.c -- lib/meter Image Transfer (class 18): firmware
 * update end to end through DLMS (ami_client <-> ami_server <-> model),
 * accepting only images signed with ECDSA P-256 by the configured key.
 *
 * Independent values: the signing key pair is the one of RFC 6979 appendix
 * A.2.5 (private x, public (Ux, Uy)), so the meter's configured PUBLIC key
 * is published text, not derived by our code. Images are signed with the
 * plugin's sign function from that fixed private key; a "wrong key" is the
 * same scalar with one bit changed. The expected protocol behaviour (the
 * status values 0..7, block numbering from 0, bit n of the transferred-
 * blocks bit-string = block n, MSB first) follows the Blue Book class 18
 * description, not our output.
 */
#include "ami_test.h"
#include "ami_test_dlms.h"

#include <stdlib.h>
#include <string.h>

#include "ami/ami_axdr.h"
#include "ami/ami_crypto_openssl.h"
#include "ami/ami_meter_image.h"

/* RFC 6979 A.2.5 (P-256). */
static const char KEY_X[] =
    "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721";
static const char KEY_PUB[] =
    "04"
    "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
    "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299";

#define BLOCK   64u
#define PAYLOAD 300u
#define STORE   4096u

static const ami_obis IMG_LN = {0, 0, 44, 0, 0, 255};
static const ami_obis FWID_LN = {1, 0, 0, 2, 0, 255};
static const char TARGET[] = "OPENAMI-METER-1";

/* ---- a RAM sink whose views are short, so the hash gathers many ----- */

typedef struct ram_sink {
  uint8_t mem[STORE];
  int fail_write; /* when not 0, write returns it */
  int resets;
} ram_sink;

static int ram_write(void *ud, uint32_t off, const uint8_t *p, size_t n) {
  ram_sink *r = ud;
  if (r->fail_write)
    return r->fail_write;
  assert_true(off + n <= STORE);
  memcpy(r->mem + off, p, n);
  return AMI_OK;
}

static int ram_view(void *ud, uint32_t off, size_t n, ami_span *out) {
  ram_sink *r = ud;
  assert_true(off < STORE);
  size_t k = n < 50 ? n : 50; /* a "page" of 50 bytes */
  if (off + k > STORE)
    k = STORE - off;
  *out = ami_span_make(r->mem + off, k);
  return AMI_OK;
}

static int ram_reset(void *ud, uint32_t size) {
  ram_sink *r = ud;
  assert_true(size <= STORE);
  memset(r->mem, 0xFF, sizeof r->mem); /* erased flash */
  r->resets++;
  return AMI_OK;
}

/* ---- the meter -------------------------------------------------------- */

typedef struct meter {
  ami_cosem_model *m;
  ami_meter_image *img;
  ram_sink sink;
  int events[16];
  int nevents;
  int activations;
  int refuse_activation;
  uint32_t act_payload_off, act_payload_len;
} meter;

static void on_event(void *ud, ami_meter_event ev) {
  meter *mt = ud;
  if (mt->nevents < 16)
    mt->events[mt->nevents++] = (int)ev;
}

static int on_activate(void *ud, const ami_meter_image_info *info) {
  meter *mt = ud;
  if (mt->refuse_activation)
    return AMI_E_STATE;
  mt->activations++;
  mt->act_payload_off = info->payload_offset;
  mt->act_payload_len = info->payload_len;
  return AMI_OK;
}

static void meter_init(meter *mt) {
  memset(mt, 0, sizeof *mt);
  ami_meter_image_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.crypto = ami_crypto_openssl();
  size_t n;
  uint8_t *pub = ami_test_hex(KEY_PUB, &n);
  memcpy(cfg.pubkey, pub, sizeof cfg.pubkey);
  free(pub);
  memcpy(cfg.target, TARGET, strlen(TARGET));
  cfg.block_size = BLOCK;
  cfg.max_image_size = STORE;
  cfg.sink.write = ram_write;
  cfg.sink.view = ram_view;
  cfg.sink.reset = ram_reset;
  cfg.sink.user_data = &mt->sink;
  cfg.on_activate = on_activate;
  cfg.on_event = on_event;
  cfg.user_data = mt;
  assert_ami_ok(ami_meter_image_new(NULL, &cfg, &mt->img));
  assert_ami_ok(ami_cosem_model_new(NULL, NULL, &mt->m));
  ami_cosem_assoc *a;
  assert_ami_ok(ami_cosem_add_association(
      mt->m, AMI_TEST_DLMS_CLIENT, 1, ami_obis_make(0, 0, 40, 0, 1, 255), &a));
  ami_cosem_object *io, *fo;
  assert_ami_ok(ami_meter_image_bind(mt->img, mt->m, IMG_LN, FWID_LN,
                                     ami_span_make("FW-1.0", 6), &io, &fo));
  assert_ami_ok(
      ami_cosem_assoc_add_object_role(a, io, AMI_COSEM_ROLE_MANAGEMENT));
  assert_ami_ok(
      ami_cosem_assoc_add_object_role(a, fo, AMI_COSEM_ROLE_MANAGEMENT));
}

static void meter_free(meter *mt) {
  ami_cosem_model_free(mt->m);
  ami_meter_image_free(mt->img);
}

/* ---- images ------------------------------------------------------------ */

/* Build a signed image (the format of ami_meter_image.h, written out here
 * field by field from that description) into out; returns its size. */
static size_t make_image(uint8_t *out, const char *target, const char *id,
                         size_t plen, const char *key_hex, int key_flip) {
  memset(out, 0, AMI_METER_IMAGE_HEADER_LEN);
  memcpy(out, "OAFW", 4);
  out[4] = 1;
  memcpy(out + 8, target, strlen(target));
  memcpy(out + 24, id, strlen(id));
  out[40] = (uint8_t)(plen >> 24);
  out[41] = (uint8_t)(plen >> 16);
  out[42] = (uint8_t)(plen >> 8);
  out[43] = (uint8_t)plen;
  for (size_t i = 0; i < plen; i++)
    out[48 + i] = (uint8_t)(i * 7 + 3);
  const ami_crypto *c = ami_crypto_openssl();
  uint8_t digest[32];
  ami_span part = ami_span_make(out, 48 + plen);
  assert_ami_ok(c->sha256(NULL, &part, 1, digest));
  size_t n;
  uint8_t *x = ami_test_hex(key_hex, &n);
  x[31] ^= (uint8_t)key_flip;
  assert_ami_ok(c->ecdsa_p256_sign(NULL, x, digest, out + 48 + plen));
  free(x);
  return 48 + plen + 64;
}

static size_t good_image(uint8_t *out, const char *id) {
  return make_image(out, TARGET, id, PAYLOAD, KEY_X, 0);
}

static size_t enc_initiate(uint8_t *buf, const char *id, uint32_t size) {
  ami_wr w;
  ami_wr_init(&w, buf, 64);
  ami_axdr_put_struct(&w, 2);
  ami_axdr_put_octets(&w, id, strlen(id));
  ami_axdr_put_u32(&w, size);
  assert_ami_ok(w.err);
  return w.len;
}

static size_t enc_block(uint8_t *buf, uint32_t num, const uint8_t *p,
                        size_t n) {
  ami_wr w;
  ami_wr_init(&w, buf, 256);
  ami_axdr_put_struct(&w, 2);
  ami_axdr_put_u32(&w, num);
  ami_axdr_put_octets(&w, p, n);
  assert_ami_ok(w.err);
  return w.len;
}

static const uint8_t INT0[] = {AMI_AXDR_INTEGER, 0};

static uint8_t initiate(ami_test_dlms *t, const char *id, uint32_t size) {
  uint8_t b[64];
  size_t n = enc_initiate(b, id, size);
  return ami_test_dlms_action(t, 18, IMG_LN, 1, b, n);
}

static uint8_t send_block(ami_test_dlms *t, const uint8_t *image, size_t size,
                          uint32_t num) {
  uint8_t b[256];
  size_t off = (size_t)num * BLOCK;
  size_t len = size - off < BLOCK ? size - off : BLOCK;
  size_t n = enc_block(b, num, image + off, len);
  return ami_test_dlms_action(t, 18, IMG_LN, 2, b, n);
}

static uint8_t verify(ami_test_dlms *t) {
  return ami_test_dlms_action(t, 18, IMG_LN, 3, INT0, sizeof INT0);
}

static uint8_t activate(ami_test_dlms *t) {
  return ami_test_dlms_action(t, 18, IMG_LN, 4, INT0, sizeof INT0);
}

/* image_transfer_status read over DLMS. */
static int status(ami_test_dlms *t) {
  ami_test_dlms_get(t, 18, IMG_LN, 6);
  assert_int_equal(t->last_dar, 0);
  assert_int_equal(t->data_len, 2);
  assert_int_equal(t->data[0], AMI_AXDR_ENUM);
  return t->data[1];
}

static uint32_t first_missing(ami_test_dlms *t) {
  ami_test_dlms_get(t, 18, IMG_LN, 4);
  assert_int_equal(t->data_len, 5);
  assert_int_equal(t->data[0], AMI_AXDR_DOUBLE_LONG_UNSIGNED);
  return (uint32_t)t->data[1] << 24 | (uint32_t)t->data[2] << 16 |
         (uint32_t)t->data[3] << 8 | t->data[4];
}

/* The active firmware identifier register must hold `id`. */
static void assert_active_id(ami_test_dlms *t, const char *id) {
  ami_test_dlms_get(t, 1, FWID_LN, 2);
  assert_int_equal(t->last_dar, 0);
  assert_int_equal(t->data[0], AMI_AXDR_OCTET_STRING);
  assert_int_equal(t->data[1], strlen(id));
  assert_memory_equal(t->data + 2, id, strlen(id));
}

static void send_all(ami_test_dlms *t, const uint8_t *image, size_t size) {
  uint32_t nb = (uint32_t)((size + BLOCK - 1) / BLOCK);
  for (uint32_t i = 0; i < nb; i++)
    assert_int_equal(send_block(t, image, size, i), 0);
}

/* ---- tests ------------------------------------------------------------- */

/* The whole process with a good image: blocks out of order, one sent
 * twice, progress visible in attributes 3 and 4, verify, activate; the
 * identifier register changes and the events are 17 then 18. */
static void test_good_image(void **st) {
  (void)st;
  meter mt;
  meter_init(&mt);
  ami_test_dlms t;
  ami_test_dlms_open(&t, mt.m);
  static uint8_t image[STORE];
  size_t size = good_image(image, "FW-2.0");
  assert_int_equal(size, 412); /* 48 + 300 + 64: 7 blocks, the last 28 */

  ami_test_dlms_get(&t, 18, IMG_LN, 2);
  ami_test_assert_bytes(t.data, t.data_len, "0600000040");
  ami_test_dlms_get(&t, 18, IMG_LN, 5);
  ami_test_assert_bytes(t.data, t.data_len, "0301");
  assert_int_equal(status(&t), 0);

  assert_int_equal(initiate(&t, "FW-2.0", (uint32_t)size), 0);
  assert_int_equal(status(&t), 1);
  assert_int_equal(first_missing(&t), 0);
  static const uint32_t order[] = {3, 0, 1, 5, 6, 2, 2};
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    assert_int_equal(send_block(&t, image, size, order[i]), 0);
  /* blocks 0,1,2,3,5,6 of 7: bit-string of 7 bits 1111011 */
  ami_test_dlms_get(&t, 18, IMG_LN, 3);
  ami_test_assert_bytes(t.data, t.data_len, "0407F6");
  assert_int_equal(first_missing(&t), 4);
  assert_int_equal(send_block(&t, image, size, 4), 0);
  assert_int_equal(first_missing(&t), 7);
  ami_test_dlms_get(&t, 18, IMG_LN, 3);
  ami_test_assert_bytes(t.data, t.data_len, "0407FE");
  /* nothing to activate yet */
  ami_test_dlms_get(&t, 18, IMG_LN, 7);
  ami_test_assert_bytes(t.data, t.data_len, "0100");

  assert_int_equal(verify(&t), 0);
  assert_int_equal(status(&t), 3);
  ami_test_dlms_get(&t, 18, IMG_LN, 7);
  /* array(1) { structure(3) { size 412, "FW-2.0", signature(64) } } */
  assert_int_equal(t.data_len, 2 + 2 + 5 + 8 + 66);
  ami_test_assert_bytes(t.data, 17,
                        "0101020306"
                        "0000019C"
                        "0906"
                        "46572D322E30");
  assert_int_equal(t.data[17], AMI_AXDR_OCTET_STRING);
  assert_int_equal(t.data[18], 64);
  assert_memory_equal(t.data + 19, image + 348, 64);
  assert_active_id(&t, "FW-1.0");

  assert_int_equal(activate(&t), 0);
  assert_int_equal(status(&t), 6);
  assert_active_id(&t, "FW-2.0");
  assert_int_equal(mt.activations, 1);
  assert_int_equal(mt.act_payload_off, 48);
  assert_int_equal(mt.act_payload_len, PAYLOAD);
  assert_memory_equal(mt.sink.mem, image, size);
  assert_int_equal(mt.nevents, 2);
  assert_int_equal(mt.events[0], AMI_EV_FIRMWARE_READY);
  assert_int_equal(mt.events[1], AMI_EV_FIRMWARE_ACTIVATED);

  ami_test_dlms_close(&t);
  meter_free(&mt);
}

/* Images that must be refused. Each: every block transferred, verify
 * answers other-reason (250) with status 4 and event 20, activate is
 * refused with other-reason, the identifier stays. */
enum {
  BAD_SIG,
  BAD_PAYLOAD,
  WRONG_KEY,
  UNSIGNED,
  TRUNCATED,
  WRONG_TARGET,
  RELABELLED,
  BAD_MAGIC,
  NBAD
};

static void run_bad(int kind) {
  meter mt;
  meter_init(&mt);
  ami_test_dlms t;
  ami_test_dlms_open(&t, mt.m);
  static uint8_t image[STORE];
  size_t size = good_image(image, "FW-6.6");
  const char *id = "FW-6.6";
  switch (kind) {
  case BAD_SIG:
    image[size - 10] ^= 0x01;
    break;
  case BAD_PAYLOAD:
    image[100] ^= 0x40;
    break;
  case WRONG_KEY:
    size = make_image(image, TARGET, id, PAYLOAD, KEY_X, 0x01);
    break;
  case UNSIGNED: /* header + payload, no signature at all */
    size -= 64;
    break;
  case TRUNCATED: /* the last 100 bytes never sent, size announced so */
    size -= 100;
    break;
  case WRONG_TARGET:
    size = make_image(image, "OTHER-METER", id, PAYLOAD, KEY_X, 0);
    break;
  case RELABELLED: /* announced under another identifier than signed */
    id = "FW-9.9";
    break;
  case BAD_MAGIC: /* signed, but not our format */
    image[0] = 'X';
    break;
  default:
    fail();
  }
  assert_int_equal(initiate(&t, id, (uint32_t)size), 0);
  send_all(&t, image, size);
  assert_int_equal(first_missing(&t), (size + BLOCK - 1) / BLOCK);
  assert_int_equal(verify(&t), 250);
  assert_int_equal(status(&t), 4);
  ami_test_dlms_get(&t, 18, IMG_LN, 7);
  ami_test_assert_bytes(t.data, t.data_len, "0100");
  assert_int_equal(activate(&t), 250);
  assert_int_equal(status(&t), 4);
  assert_active_id(&t, "FW-1.0");
  assert_int_equal(mt.activations, 0);
  assert_int_equal(mt.nevents, 1);
  assert_int_equal(mt.events[0], AMI_EV_FIRMWARE_VERIFY_FAILED);
  ami_test_dlms_close(&t);
  meter_free(&mt);
}

static void test_bad_images(void **st) {
  (void)st;
  for (int k = 0; k < NBAD; k++)
    run_bad(k);
}

/* A missing block fails verification; sending it afterwards and verifying
 * again succeeds (the transfer is resumable after a failed verify). An
 * activation without an explicit verify verifies first. */
static void test_missing_block_then_resume(void **st) {
  (void)st;
  meter mt;
  meter_init(&mt);
  ami_test_dlms t;
  ami_test_dlms_open(&t, mt.m);
  static uint8_t image[STORE];
  size_t size = good_image(image, "FW-3");
  assert_int_equal(initiate(&t, "FW-3", (uint32_t)size), 0);
  for (uint32_t i = 0; i < 7; i++)
    if (i != 5)
      assert_int_equal(send_block(&t, image, size, i), 0);
  assert_int_equal(first_missing(&t), 5);
  assert_int_equal(verify(&t), 250);
  assert_int_equal(status(&t), 4);
  assert_int_equal(activate(&t), 250);
  assert_int_equal(send_block(&t, image, size, 5), 0);
  assert_int_equal(status(&t), 1);
  assert_int_equal(activate(&t), 0); /* verifies, then activates */
  assert_int_equal(status(&t), 6);
  assert_active_id(&t, "FW-3");
  ami_test_dlms_close(&t);
  meter_free(&mt);
}

/* A second initiate forgets the first transfer: bitmap cleared, the new
 * size applies, blocks of the old image are not counted. */
static void test_initiate_restarts(void **st) {
  (void)st;
  meter mt;
  meter_init(&mt);
  ami_test_dlms t;
  ami_test_dlms_open(&t, mt.m);
  static uint8_t a[STORE], b[STORE];
  size_t asz = make_image(a, TARGET, "OLD", 1000, KEY_X, 0);
  size_t bsz = good_image(b, "NEW");
  assert_int_equal(initiate(&t, "OLD", (uint32_t)asz), 0);
  for (uint32_t i = 0; i < 10; i++)
    assert_int_equal(send_block(&t, a, asz, i), 0);
  assert_int_equal(first_missing(&t), 10);
  assert_int_equal(initiate(&t, "NEW", (uint32_t)bsz), 0);
  assert_int_equal(mt.sink.resets, 2);
  assert_int_equal(status(&t), 1);
  assert_int_equal(first_missing(&t), 0);
  ami_test_dlms_get(&t, 18, IMG_LN, 3);
  ami_test_assert_bytes(t.data, t.data_len, "040700");
  /* block 16 existed in the old transfer only */
  assert_int_equal(send_block(&t, a, asz, 16), 250);
  send_all(&t, b, bsz);
  assert_int_equal(verify(&t), 0);
  assert_int_equal(activate(&t), 0);
  assert_active_id(&t, "NEW");
  /* after an activation a new transfer starts cleanly again */
  assert_int_equal(initiate(&t, "NEWER", (uint32_t)bsz), 0);
  assert_int_equal(status(&t), 1);
  assert_int_equal(first_missing(&t), 0);
  ami_test_dlms_close(&t);
  meter_free(&mt);
}

/* What is refused: methods out of order, blocks out of range or of the
 * wrong length, sizes over the maximum or below the format's overhead,
 * transfers while image_transfer_enabled is FALSE, parameters of the wrong
 * type (lib/cosem: type-unmatched 12), an application refusing activation
 * (status 7, identifier unchanged). */
static void test_refusals(void **st) {
  (void)st;
  meter mt;
  meter_init(&mt);
  ami_test_dlms t;
  ami_test_dlms_open(&t, mt.m);
  static uint8_t image[STORE];
  size_t size = good_image(image, "FW-4");
  assert_int_equal(send_block(&t, image, size, 0), 250); /* not initiated */
  assert_int_equal(verify(&t), 250);
  assert_int_equal(activate(&t), 250);
  assert_int_equal(status(&t), 0);
  assert_int_equal(initiate(&t, "FW-4", STORE + 1), 250);
  assert_int_equal(initiate(&t, "FW-4", AMI_METER_IMAGE_OVERHEAD - 1), 250);
  assert_int_equal(initiate(&t, "", (uint32_t)size), 250);
  assert_int_equal(status(&t), 0);
  assert_int_equal(initiate(&t, "FW-4", (uint32_t)size), 0);
  uint8_t b[256];
  size_t n = enc_block(b, 7, image, 28); /* 7 blocks: 0..6 */
  assert_int_equal(ami_test_dlms_action(&t, 18, IMG_LN, 2, b, n), 250);
  n = enc_block(b, 0, image, BLOCK - 1); /* short */
  assert_int_equal(ami_test_dlms_action(&t, 18, IMG_LN, 2, b, n), 250);
  n = enc_block(b, 6, image + 384, 29); /* last block is 28 bytes */
  assert_int_equal(ami_test_dlms_action(&t, 18, IMG_LN, 2, b, n), 250);
  static const uint8_t wrong[] = {AMI_AXDR_UNSIGNED, 1};
  assert_int_equal(ami_test_dlms_action(&t, 18, IMG_LN, 2, wrong, sizeof wrong),
                   12);
  assert_int_equal(first_missing(&t), 0);

  /* transfers disabled by the client */
  static const uint8_t off[] = {AMI_AXDR_BOOLEAN, 0};
  static const uint8_t on[] = {AMI_AXDR_BOOLEAN, 1};
  assert_int_equal(ami_test_dlms_set(&t, 18, IMG_LN, 5, off, sizeof off), 0);
  assert_int_equal(initiate(&t, "FW-4", (uint32_t)size), 250);
  assert_int_equal(send_block(&t, image, size, 0), 250);
  assert_int_equal(ami_test_dlms_set(&t, 18, IMG_LN, 5, on, sizeof on), 0);

  /* the application refuses to activate */
  assert_int_equal(initiate(&t, "FW-4", (uint32_t)size), 0);
  send_all(&t, image, size);
  assert_int_equal(verify(&t), 0);
  mt.refuse_activation = 1;
  assert_int_equal(activate(&t), 250);
  assert_int_equal(status(&t), 7);
  assert_active_id(&t, "FW-1.0");
  /* read-only attributes stay read-only */
  static const uint8_t st6[] = {AMI_AXDR_ENUM, 6};
  assert_int_equal(ami_test_dlms_set(&t, 18, IMG_LN, 6, st6, sizeof st6), 3);
  ami_test_dlms_close(&t);
  meter_free(&mt);
}

/* The direct API on hostile parameters: every truncation of valid
 * parameters is an error, never a crash or a state change; a sink failure
 * is passed up unchanged. */
static void test_direct_api(void **st) {
  (void)st;
  meter mt;
  meter_init(&mt);
  uint8_t p[64], r = 0xEE;
  size_t n = enc_initiate(p, "FW-5", 412);
  for (size_t k = 0; k < n; k++) {
    uint8_t *g = ami_test_guarded_copy(p, k);
    assert_int_not_equal(
        ami_meter_image_initiate(mt.img, ami_span_make(g, k), &r), AMI_OK);
    ami_test_guarded_free(g, k);
  }
  assert_int_equal(ami_meter_image_get_status(mt.img), 0);
  assert_ami_ok(ami_meter_image_initiate(mt.img, ami_span_make(p, n), &r));
  assert_int_equal(r, 0);
  uint8_t blk[256], data[BLOCK];
  memset(data, 0, sizeof data);
  n = enc_block(blk, 0, data, BLOCK);
  for (size_t k = 0; k < n; k++) {
    uint8_t *g = ami_test_guarded_copy(blk, k);
    assert_int_not_equal(ami_meter_image_block(mt.img, ami_span_make(g, k), &r),
                         AMI_OK);
    ami_test_guarded_free(g, k);
  }
  mt.sink.fail_write = AMI_E_STORE;
  assert_ami(AMI_E_STORE,
             ami_meter_image_block(mt.img, ami_span_make(blk, n), &r));
  mt.sink.fail_write = 0;
  assert_ami_ok(ami_meter_image_block(mt.img, ami_span_make(blk, n), &r));
  assert_int_equal(r, 0);
  meter_free(&mt);
}

/* Out of memory at every allocation in turn (creation, the hash's gather
 * list, its growth past 16 views): AMI_E_NOMEM passed up unchanged, never
 * a verdict, no leak; with memory back, the same object verifies. */
static void test_failing_allocator(void **st) {
  (void)st;
  static uint8_t image[STORE];
  /* 1048 signed bytes in views of 50: 21 views, the list grows once */
  size_t size = make_image(image, TARGET, "FW-8", 1000, KEY_X, 0);
  uint32_t nb = (uint32_t)((size + BLOCK - 1) / BLOCK);
  long failures = 0;
  for (long k = 0; k < 8; k++) {
    ami_test_failalloc fa;
    ami_test_failalloc_init(&fa, k);
    meter mt;
    meter_init(&mt); /* for the sink and the config only */
    ami_meter_image_free(mt.img);
    ami_meter_image_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.crypto = ami_crypto_openssl();
    size_t n;
    uint8_t *pub = ami_test_hex(KEY_PUB, &n);
    memcpy(cfg.pubkey, pub, 65);
    free(pub);
    memcpy(cfg.target, TARGET, strlen(TARGET));
    cfg.block_size = BLOCK;
    cfg.max_image_size = STORE;
    cfg.sink.write = ram_write;
    cfg.sink.view = ram_view;
    cfg.sink.user_data = &mt.sink;
    ami_meter_image *img = NULL;
    int rc = ami_meter_image_new(&fa.base, &cfg, &img);
    if (rc != AMI_OK) {
      assert_ami(AMI_E_NOMEM, rc);
      assert_null(img);
      mt.img = NULL;
      meter_free(&mt);
      assert_int_equal(fa.live, 0);
      continue;
    }
    uint8_t p[256], r;
    n = enc_initiate(p, "FW-8", (uint32_t)size);
    assert_ami_ok(ami_meter_image_initiate(img, ami_span_make(p, n), &r));
    for (uint32_t b = 0; b < nb; b++) {
      size_t off = (size_t)b * BLOCK;
      n = enc_block(p, b, image + off, size - off < BLOCK ? size - off : BLOCK);
      assert_ami_ok(ami_meter_image_block(img, ami_span_make(p, n), &r));
    }
    r = 0xEE;
    rc = ami_meter_image_verify(img, &r);
    if (rc != AMI_OK) {
      failures++;
      assert_ami(AMI_E_NOMEM, rc);
      assert_int_equal(r, 250); /* no success claimed */
      fa.fail_at = -1;
      assert_ami_ok(ami_meter_image_verify(img, &r));
    }
    assert_int_equal(r, 0);
    assert_int_equal(ami_meter_image_get_status(img), 3);
    ami_meter_image_free(img);
    assert_int_equal(fa.live, 0);
    mt.img = NULL;
    meter_free(&mt);
  }
  assert_int_equal(failures, 2); /* the list, then its growth */
}

/* The signing tools' header writer agrees with the format as written out
 * by hand in make_image, and refuses fields that do not fit. */
static void test_header_encode(void **st) {
  (void)st;
  uint8_t a[STORE], h[AMI_METER_IMAGE_HEADER_LEN];
  make_image(a, TARGET, "FW-7", 1234, KEY_X, 0);
  assert_ami_ok(
      ami_meter_image_header_encode(h, ami_span_make(TARGET, strlen(TARGET)),
                                    ami_span_make("FW-7", 4), 1234));
  assert_memory_equal(h, a, sizeof h);
  assert_ami(AMI_E_INVAL,
             ami_meter_image_header_encode(h, ami_span_make("", 0),
                                           ami_span_make("X", 1), 1));
  assert_ami(AMI_E_INVAL, ami_meter_image_header_encode(
                              h, ami_span_make(TARGET, 15),
                              ami_span_make("0123456789abcdefg", 17), 1));
}

/* Construction errors: no sink, a crypto plugin without ECDSA. */
static void test_new_errors(void **st) {
  (void)st;
  ami_meter_image_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  ami_meter_image *img = (ami_meter_image *)&cfg;
  cfg.crypto = ami_crypto_openssl();
  assert_ami(AMI_E_INVAL, ami_meter_image_new(NULL, &cfg, &img));
  assert_null(img);
  ram_sink rs;
  cfg.sink.write = ram_write;
  cfg.sink.view = ram_view;
  cfg.sink.user_data = &rs;
  ami_crypto v1 = *ami_crypto_openssl();
  v1.version = 1;
  cfg.crypto = &v1;
  assert_ami(AMI_E_UNSUPPORTED, ami_meter_image_new(NULL, &cfg, &img));
  cfg.crypto = ami_crypto_openssl();
  cfg.max_image_size = 10;
  assert_ami(AMI_E_INVAL, ami_meter_image_new(NULL, &cfg, &img));
  cfg.max_image_size = 0;
  assert_ami_ok(ami_meter_image_new(NULL, &cfg, &img));
  ami_meter_image_free(img);
  ami_meter_image_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_image),
      cmocka_unit_test(test_bad_images),
      cmocka_unit_test(test_missing_block_then_resume),
      cmocka_unit_test(test_initiate_restarts),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_direct_api),
      cmocka_unit_test(test_failing_allocator),
      cmocka_unit_test(test_header_encode),
      cmocka_unit_test(test_new_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
