/*
 * fuzz_hdlc_link.c -- libFuzzer target for the HDLC link's server side
 * (lib/dlms/ami_hdlc_link.c): a server link driven by a script of
 * operations taken from the input -- raw bytes in arbitrary chunks, frames
 * built from fuzzed fields (so that deep states are reached even when the
 * CRCs are checked), time advancing with timers run, pulls of any size,
 * send_apdu calls and local disconnects.
 *
 * Input: byte 0 chooses the server's limits (window 1..7, max info 32, 128,
 * 256 or 2030, an inactivity timeout or none); then operations, each one
 * byte `op` (kind = op >> 5, arg = op & 31) followed by its operands:
 *   0  raw bytes: arg + 1 of them        1  raw bytes: 8 * (arg + 1)
 *   2  a frame to the server: control byte, flags (bit 0 S, bit 1 LLC
 *      header, bit 2 from another client), info length byte
 *   3  advance the clock by arg * 250 ms and run the timers
 *   4  pull with capacity arg * 64 + 1   5  send_apdu of arg * 97 bytes
 *   6  disconnect()                      7  pull everything
 *
 * Oracles: consumed never exceeds what was fed and recv/handle_expiry stop
 * with AMI_E_AGAIN within a bound; every APDU event fits max_apdu; the
 * connected state the events describe equals is_connected(); pull() never
 * exceeds its capacity and every whole frame it yields decodes, is
 * addressed from the server to the client, and carries at most the agreed
 * maximum information field; the memory held never exceeds the configured
 * caps; nothing leaks.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_hdlc.h"
#include "ami/ami_hdlc_link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      abort();                                                                 \
  } while (0)

#define MAX_APDU   4096
#define QUEUE_MAX  (2 * (MAX_APDU + 8))
#define MIN_DYNBUF 256 /* ami_dynbuf's first allocation */

/* A counting allocator: live blocks and bytes, and the peak. */
typedef struct counter {
  ami_allocator base;
  long blocks;
  size_t bytes, peak;
} counter;

/* Each block carries its size in a header so that the count is exact. */
static void *c_malloc(size_t n, void *u) {
  counter *c = u;
  size_t *p = malloc(n + sizeof(size_t) * 2);
  if (!p)
    return NULL;
  p[0] = n;
  c->blocks++;
  c->bytes += n;
  if (c->bytes > c->peak)
    c->peak = c->bytes;
  return p + 2;
}
static void c_free(void *ptr, void *u) {
  counter *c = u;
  if (!ptr)
    return;
  size_t *p = (size_t *)ptr - 2;
  c->blocks--;
  c->bytes -= p[0];
  free(p);
}
static void *c_realloc(void *ptr, size_t n, void *u) {
  if (!ptr)
    return c_malloc(n, u);
  counter *c = u;
  size_t *p = (size_t *)ptr - 2;
  size_t old = p[0];
  size_t *q = realloc(p, n + sizeof(size_t) * 2);
  if (!q)
    return NULL;
  q[0] = n;
  c->bytes = c->bytes - old + n;
  if (c->bytes > c->peak)
    c->peak = c->bytes;
  return q + 2;
}

typedef struct run {
  ami_hdlc_link h;
  ami_link *l;
  counter alloc;
  uint64_t now;
  bool connected; /* as the events tell it */
  size_t held;    /* bytes of a frame cut by a small pull */
  ami_hdlc_addr client, server;
} run;

static run R;

static void on_event(run *r, const ami_link_event *ev) {
  switch (ev->kind) {
  case AMI_LINK_EV_CONNECTED:
    r->connected = true;
    break;
  case AMI_LINK_EV_DISCONNECTED:
    r->connected = false;
    break;
  case AMI_LINK_EV_APDU:
    CHECK(ev->apdu.len <= MAX_APDU);
    if (ev->apdu.len)
      CHECK(ev->apdu.p != NULL);
    break;
  case AMI_LINK_EV_ERROR:
    CHECK(ev->error < 0);
    break;
  default:
    abort();
  }
}

static void feed(run *r, const uint8_t *p, size_t n) {
  size_t off = 0;
  for (int guard = 0;; guard++) {
    CHECK(guard < 10000);
    size_t used = 0;
    ami_link_event ev;
    int rc = ami_link_recv(r->l, p + off, n - off, &used, r->now, &ev);
    CHECK(used <= n - off);
    off += used;
    if (rc == AMI_E_AGAIN)
      break;
    CHECK(rc == AMI_OK);
    on_event(r, &ev);
  }
  CHECK(off == n);
  CHECK(r->connected == ami_link_is_connected(r->l));
}

static void timers(run *r) {
  for (int guard = 0; ami_link_expiry(r->l) <= r->now; guard++) {
    CHECK(guard < 100);
    ami_link_event ev;
    int rc = ami_link_handle_expiry(r->l, r->now, &ev);
    if (rc == AMI_E_AGAIN)
      break;
    CHECK(rc == AMI_OK);
    on_event(r, &ev);
  }
  CHECK(r->connected == ami_link_is_connected(r->l));
}

/* Checks what pull() yields: the bytes, joined across calls (a frame is
 * cut only when cap is smaller than it), form whole frames that decode. */
static void pull(run *r, size_t cap) {
  static uint8_t buf[AMI_HDLC_LINK_OUT_MAX];
  if (cap > sizeof buf - r->held)
    cap = sizeof buf - r->held;
  bool before = ami_link_want_write(r->l);
  size_t n = ami_link_pull(r->l, buf + r->held, cap, r->now);
  CHECK(n <= cap);
  CHECK(before == (n > 0));
  n += r->held;
  size_t off = 0;
  while (off < n) {
    ami_hdlc_frame f;
    size_t used;
    int rc =
        ami_hdlc_frame_decode(ami_span_make(buf + off, n - off), &f, &used);
    if (rc == AMI_E_TRUNCATED)
      break; /* the rest comes with the next pull */
    CHECK(rc == AMI_OK);
    CHECK(ami_hdlc_addr_eq(&f.src, &r->server));
    CHECK(f.dst.size == 1);
    if (f.control.kind == AMI_HDLC_I)
      CHECK(f.info.len <= r->h.tx_max_info);
    off += used;
  }
  memmove(buf, buf + off, n - off);
  r->held = n - off;
  CHECK(r->held <= AMI_HDLC_MAX_LEN + 2);
}

/* Encodes a frame to the server from the fuzzed fields. */
static void frame(run *r, uint8_t ctl, uint8_t flags, uint8_t len) {
  static uint8_t info[256 + 3], out[AMI_HDLC_MAX_LEN + 2];
  ami_hdlc_frame f;
  memset(&f, 0, sizeof f);
  f.dst = r->server;
  f.src = (flags & 4) ? ami_hdlc_addr_client(0x20) : r->client;
  if (ami_hdlc_control_decode(ctl, &f.control) != AMI_OK)
    return;
  f.segmented = flags & 1;
  size_t n = 0;
  if (flags & 2) {
    info[n++] = 0xE6;
    info[n++] = 0xE6;
    info[n++] = 0x00;
  }
  for (size_t i = 0; i < len; i++)
    info[n++] = (uint8_t)(i * 13 + ctl);
  f.info = ami_span_make(info, n);
  ami_wr w;
  ami_wr_init(&w, out, sizeof out);
  if (ami_hdlc_frame_encode(&w, &f) == AMI_OK)
    feed(r, out, w.len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint32_t infos[] = {32, 128, 256, 2030};
  static uint8_t apdu[31 * 97];
  if (size < 1)
    return 0;
  run *r = &R;
  memset(r, 0, sizeof *r);
  r->alloc.base.malloc = c_malloc;
  r->alloc.base.realloc = c_realloc;
  r->alloc.base.free = c_free;
  r->alloc.base.user_data = &r->alloc;
  r->client = ami_hdlc_addr_client(AMI_HDLC_CLIENT_PUBLIC);
  r->server = ami_hdlc_addr_client(1);
  ami_hdlc_link_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.role = AMI_LINK_SERVER;
  cfg.client_address = AMI_HDLC_CLIENT_PUBLIC;
  cfg.server_address = r->server;
  cfg.limits.window_tx = cfg.limits.window_rx = (uint32_t)(data[0] % 7) + 1;
  cfg.limits.max_info_tx = cfg.limits.max_info_rx = infos[(data[0] >> 3) & 3];
  cfg.inactivity_timeout_ms = (data[0] & 0x20) ? 5000 : 0;
  cfg.max_apdu = MAX_APDU;
  cfg.alloc = &r->alloc.base;
  r->l = ami_hdlc_link_init(&r->h, &cfg);
  for (size_t i = 0; i < sizeof apdu; i++)
    apdu[i] = (uint8_t)i;

  size_t pos = 1;
  while (pos < size) {
    uint8_t op = data[pos++];
    unsigned arg = op & 31;
    size_t left = size - pos, n;
    switch (op >> 5) {
    case 0:
    case 1:
      n = (op >> 5) ? 8 * (arg + 1) : arg + 1;
      if (n > left)
        n = left;
      feed(r, data + pos, n);
      pos += n;
      break;
    case 2:
      if (left < 3) {
        pos = size;
        break;
      }
      frame(r, data[pos], data[pos + 1], data[pos + 2]);
      pos += 3;
      break;
    case 3:
      r->now += (uint64_t)arg * 250;
      timers(r);
      break;
    case 4:
      pull(r, (size_t)arg * 64 + 1);
      break;
    case 5: {
      int rc = ami_link_send_apdu(r->l, ami_span_make(apdu, arg * 97u), r->now);
      CHECK(rc == AMI_OK || rc == AMI_E_STATE || rc == AMI_E_LIMIT);
      CHECK(rc != AMI_E_STATE || !ami_link_is_connected(r->l));
      break;
    }
    case 6: {
      bool was = ami_link_is_connected(r->l);
      int rc = ami_link_disconnect(r->l, r->now);
      CHECK((rc == AMI_OK) == was);
      timers(r); /* the DISCONNECTED event is due at once */
      break;
    }
    default:
      pull(r, AMI_HDLC_LINK_OUT_MAX);
      break;
    }
    /* Memory stays within the caps: the send queue and the reassembly
     * buffer, each at most its maximum (or the dynbuf's first block). */
    size_t q = QUEUE_MAX > MIN_DYNBUF ? QUEUE_MAX : MIN_DYNBUF;
    size_t a = MAX_APDU + 3 > MIN_DYNBUF ? MAX_APDU + 3 : MIN_DYNBUF;
    CHECK(r->alloc.bytes <= q + a);
    CHECK(r->alloc.blocks <= 2);
  }
  pull(r, AMI_HDLC_LINK_OUT_MAX);
  ami_link_free(r->l);
  CHECK(r->alloc.blocks == 0 && r->alloc.bytes == 0);
  return 0;
}
