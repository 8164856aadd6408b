/*
 * fuzz_client.c -- fuzz target for the client engine (ami_client.h): an
 * engine in a state chosen by the first input byte is fed the rest as a
 * series of APDUs from the "server" (each one a 2-byte big-endian length and
 * its bytes), with the engine's output pulled and its timers run between
 * them.
 *
 * States (first byte % 8): 0 associated, idle; 1 GET in flight; 2 GET-with-
 * list in flight; 3 SET with datablocks in flight (server max PDU 500);
 * 4 ACTION in flight; 5 waiting for the AARE (plain, LLS); 6 waiting for the
 * AARE of an LN-with-ciphering HLS-GMAC association (Gurux keys and titles);
 * 7 like 1 with three requests queued. Bit 3 of the first byte (states 0-4
 * and 7) makes it a General-Block-Transfer association: cfg.gbt and the
 * AARE granting the GBT conformance bit, so the requests go in GBT blocks
 * and the server's APDUs are read as GBT blocks to join.
 *
 * Oracles, beyond "no crash, no leak, no over-read":
 *   1. Every request queued gets exactly one on_response, with its own id,
 *      once the timers have run out (nothing is lost or answered twice).
 *   2. The data of a GET result is one well-formed A-XDR Data.
 *   3. The engine never emits more than the link can carry, and never asks
 *      to be woken in the past after handle_expiry has run.
 *
 * Under -DAMI_FUZZING=1 the GCM tags are not enforced (ami_sec.h), so state
 * 6 explores what lies behind deciphering.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_acse.h"
#include "ami/ami_axdr.h"
#include "ami/ami_client.h"
#include "ami/ami_crypto_openssl.h"

static void check(bool ok) {
  if (!ok)
    abort();
}

/* ---- a link double: one recv chunk = one APDU, one pull = one APDU ---- */

typedef struct flink {
  ami_link base;
  bool connected, connect_pending;
  uint8_t out[4][4096];
  size_t out_len[4];
  unsigned head, count;
  uint8_t in[65536];
} flink;

static int fl_recv(ami_link *l, const uint8_t *p, size_t n, size_t *consumed,
                   uint64_t now, ami_link_event *ev) {
  (void)now;
  flink *f = (flink *)(void *)l;
  memset(ev, 0, sizeof *ev);
  *consumed = 0;
  if (f->connect_pending) {
    f->connect_pending = false;
    ev->kind = AMI_LINK_EV_CONNECTED;
    return AMI_OK;
  }
  if (n == 0)
    return AMI_E_AGAIN;
  memcpy(f->in, p, n);
  *consumed = n;
  ev->kind = AMI_LINK_EV_APDU;
  ev->apdu = ami_span_make(f->in, n);
  return AMI_OK;
}

static int fl_send(ami_link *l, ami_span apdu, uint64_t now) {
  (void)now;
  flink *f = (flink *)(void *)l;
  if (!f->connected)
    return AMI_E_STATE;
  if (apdu.len > sizeof f->out[0] || f->count == 4)
    return AMI_E_LIMIT;
  unsigned slot = (f->head + f->count) % 4;
  memcpy(f->out[slot], apdu.p, apdu.len);
  f->out_len[slot] = apdu.len;
  f->count++;
  return AMI_OK;
}

static size_t fl_pull(ami_link *l, uint8_t *buf, size_t cap, uint64_t now) {
  (void)now;
  flink *f = (flink *)(void *)l;
  if (f->count == 0 || cap < f->out_len[f->head])
    return 0;
  size_t n = f->out_len[f->head];
  memcpy(buf, f->out[f->head], n);
  f->head = (f->head + 1) % 4;
  f->count--;
  return n;
}

static bool fl_want(const ami_link *l) {
  return ((const flink *)(const void *)l)->count > 0;
}
static uint64_t fl_expiry(const ami_link *l) {
  return ((const flink *)(const void *)l)->connect_pending ? 0
                                                           : AMI_LINK_NO_EXPIRY;
}
static int fl_expire(ami_link *l, uint64_t now, ami_link_event *ev) {
  (void)now;
  flink *f = (flink *)(void *)l;
  memset(ev, 0, sizeof *ev);
  if (!f->connect_pending)
    return AMI_E_AGAIN;
  f->connect_pending = false;
  ev->kind = AMI_LINK_EV_CONNECTED;
  return AMI_OK;
}
static int fl_connect(ami_link *l, uint64_t now) {
  (void)now;
  flink *f = (flink *)(void *)l;
  f->connected = true;
  f->connect_pending = true;
  return AMI_OK;
}
static int fl_disconnect(ami_link *l, uint64_t now) {
  (void)now;
  ((flink *)(void *)l)->connected = false;
  return AMI_OK;
}
static bool fl_is_connected(const ami_link *l) {
  return ((const flink *)(const void *)l)->connected;
}
static void fl_free(ami_link *l) {
  (void)l;
}

static const ami_link_vtbl FL_VTBL = {
    fl_recv,   fl_send,    fl_pull,       fl_want,         fl_expiry,
    fl_expire, fl_connect, fl_disconnect, fl_is_connected, fl_free};

/* ---- callbacks: the oracle's bookkeeping ---- */

#define MAX_IDS 8
typedef struct track {
  uint32_t ids[MAX_IDS];
  unsigned answered[MAX_IDS];
  unsigned nids;
} track;

static void on_response(ami_client *c, const ami_client_response *r, void *ud) {
  (void)c;
  track *t = ud;
  bool known = false;
  for (unsigned i = 0; i < t->nids; i++)
    if (t->ids[i] == r->id) {
      t->answered[i]++;
      known = true;
    }
  check(known);
  /* (A server may answer data-access-result "success" with no data: the
   * data is then empty.) */
  if (r->error == AMI_OK && r->op == AMI_CLIENT_OP_GET && r->count == 1 &&
      r->results[0].data.len > 0) {
    size_t used = 0;
    check(ami_axdr_validate(r->results[0].data, &used) == AMI_OK &&
          used == r->results[0].data.len);
  }
}

static const uint8_t EK[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                               0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F};
static const uint8_t AK[16] = {0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7,
                               0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF};

/* VECTORS.md §2 "AARE accepted, no security" (server max PDU 500). */
static const uint8_t AARE_OK[] = {
    0x61, 0x29, 0xA1, 0x09, 0x06, 0x07, 0x60, 0x85, 0x74, 0x05, 0x08,
    0x01, 0x01, 0xA2, 0x03, 0x02, 0x01, 0x00, 0xA3, 0x05, 0xA1, 0x03,
    0x02, 0x01, 0x00, 0xBE, 0x10, 0x04, 0x0E, 0x08, 0x00, 0x06, 0x5F,
    0x1F, 0x04, 0x00, 0x00, 0x50, 0x1F, 0x01, 0xF4, 0x00, 0x07};

/* The same AARE granting general-block-transfer as well (0x20501F). */
static const uint8_t AARE_GBT[] = {
    0x61, 0x29, 0xA1, 0x09, 0x06, 0x07, 0x60, 0x85, 0x74, 0x05, 0x08,
    0x01, 0x01, 0xA2, 0x03, 0x02, 0x01, 0x00, 0xA3, 0x05, 0xA1, 0x03,
    0x02, 0x01, 0x00, 0xBE, 0x10, 0x04, 0x0E, 0x08, 0x00, 0x06, 0x5F,
    0x1F, 0x04, 0x00, 0x20, 0x50, 0x1F, 0x01, 0xF4, 0x00, 0x07};

static void drain(ami_client *c, uint64_t now) {
  uint8_t buf[4096];
  for (int i = 0; i < 8; i++) {
    size_t n = ami_client_pull(c, buf, sizeof buf, now);
    check(n <= sizeof buf);
    if (n == 0 && !ami_client_want_write(c))
      break;
  }
}

static void queue(ami_client *c, track *t, unsigned mode) {
  static const ami_apdu_desc clock = {8, {0, 0, 1, 0, 0, 255}, 2};
  static uint8_t big[1204];
  uint32_t id = 0;
  int rc = AMI_OK;
  switch (mode) {
  case 2: {
    ami_apdu_attr_sel items[3];
    memset(items, 0, sizeof items);
    for (int i = 0; i < 3; i++)
      items[i].attr = clock;
    rc = ami_client_get_list(c, items, 3, &id);
    break;
  }
  case 3:
    big[0] = 0x09;
    big[1] = 0x82;
    big[2] = 0x04;
    big[3] = 0xB0;
    rc = ami_client_set(c, &clock, NULL, ami_span_make(big, sizeof big), &id);
    break;
  case 4: {
    static const uint8_t p[2] = {0x0F, 0x00};
    rc = ami_client_action(c, &clock, ami_span_make(p, 2), &id);
    break;
  }
  default:
    rc = ami_client_get(c, &clock, NULL, &id);
    break;
  }
  check(rc == AMI_OK);
  t->ids[t->nids++] = id;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  unsigned mode = data[0] % 8u;
  bool gbt = (data[0] & 8u) != 0 && mode != 5 && mode != 6;
  data++;
  size--;
  flink *link = calloc(1, sizeof *link);
  check(link != NULL);
  link->base.vt = &FL_VTBL;
  track t;
  memset(&t, 0, sizeof t);
  ami_client_callbacks cb;
  memset(&cb, 0, sizeof cb);
  cb.version = AMI_CLIENT_CALLBACKS_VERSION;
  cb.on_response = on_response;
  ami_client_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.max_pdu_size = 4096;
  cfg.max_response = 16384;
  cfg.timeout_ms = 1000;
  cfg.gbt = gbt;
  if (mode == 5) {
    cfg.mechanism = AMI_ACSE_MECH_LLS;
    cfg.password = (const uint8_t *)"12345678";
    cfg.password_len = 8;
  } else if (mode == 6) {
    cfg.context = AMI_ACSE_CTX_LN_CIPHERED;
    cfg.mechanism = AMI_ACSE_MECH_GMAC;
    cfg.crypto = ami_crypto_openssl();
    cfg.ek = EK;
    cfg.ek_len = 16;
    cfg.ak = AK;
    cfg.ak_len = 16;
    memcpy(cfg.system_title, "Gurux123", 8);
    cfg.cipher_form = AMI_SEC_FORM_GENERAL_GLO;
  }
  ami_client *c = NULL;
  check(ami_client_new(&c, &cfg, &cb, &t, &link->base, NULL) == AMI_OK);
  check(ami_client_associate(c) == AMI_OK);
  uint64_t now = 1;
  drain(c, now); /* connect, AARQ */
  if (mode != 5 && mode != 6) {
    if (gbt)
      check(ami_client_recv(c, AARE_GBT, sizeof AARE_GBT, now) == AMI_OK);
    else
      check(ami_client_recv(c, AARE_OK, sizeof AARE_OK, now) == AMI_OK);
    check(ami_client_is_associated(c));
    if (mode != 0)
      queue(c, &t, mode);
    if (mode == 7) {
      queue(c, &t, 2);
      queue(c, &t, 4);
    }
    drain(c, now);
  } else {
    queue(c, &t, 1);
  }
  /* The server's APDUs. */
  size_t off = 0;
  while (off + 2 <= size) {
    size_t n = ((size_t)data[off] << 8) | data[off + 1];
    off += 2;
    if (n > size - off)
      n = size - off;
    check(ami_client_recv(c, data + off, n, now) == AMI_OK);
    off += n;
    now += 10;
    check(ami_client_handle_expiry(c, now) == AMI_OK);
    drain(c, now);
  }
  /* Run the timers out: every request must be answered exactly once. */
  for (int round = 0; round < 3 * MAX_IDS + 4; round++) {
    now += 100000;
    check(ami_client_handle_expiry(c, now) == AMI_OK);
    check(ami_client_expiry(c) > now);
    drain(c, now);
  }
  for (unsigned i = 0; i < t.nids; i++)
    check(t.answered[i] == 1);
  ami_client_free(c);
  free(link);
  return 0;
}
