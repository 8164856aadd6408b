/*
 * ami_test_server.c -- the test double link of ami_test_server.h: one recv()
 * chunk = one APDU, one sent APDU = one pull() chunk. Test code: uses the C
 * library allocator directly.
 */
#include "ami_test_server.h"

#include <stdlib.h>
#include <string.h>

static int tl_recv(ami_link *base, const uint8_t *p, size_t n, size_t *consumed,
                   uint64_t now_ms, ami_link_event *ev) {
  ami_test_server_link *l = (ami_test_server_link *)base;
  (void)now_ms;
  *consumed = 0;
  memset(ev, 0, sizeof *ev);
  ev->peer_address = l->peer;
  ev->own_address = l->own;
  if (l->drop_pending) {
    l->drop_pending = false;
    l->connected = false;
    ev->kind = AMI_LINK_EV_DISCONNECTED;
    return AMI_OK;
  }
  if (n == 0)
    return AMI_E_AGAIN;
  uint8_t *c = realloc(l->rx, n);
  if (!c)
    return AMI_E_NOMEM;
  memcpy(c, p, n);
  l->rx = c;
  l->connected = true;
  ev->kind = AMI_LINK_EV_APDU;
  ev->apdu = ami_span_make(c, n);
  *consumed = n;
  return AMI_OK;
}

static int tl_send(ami_link *base, ami_span apdu, uint64_t now_ms) {
  ami_test_server_link *l = (ami_test_server_link *)base;
  (void)now_ms;
  if (l->max_apdu && apdu.len > l->max_apdu)
    return AMI_E_LIMIT;
  if (l->count == AMI_TEST_SERVER_QUEUE)
    return AMI_E_LIMIT;
  uint8_t *c = malloc(apdu.len ? apdu.len : 1);
  if (!c)
    return AMI_E_NOMEM;
  if (apdu.len)
    memcpy(c, apdu.p, apdu.len);
  size_t i = (l->head + l->count) % AMI_TEST_SERVER_QUEUE;
  l->q[i] = c;
  l->qn[i] = apdu.len;
  l->count++;
  return AMI_OK;
}

static size_t tl_pull(ami_link *base, uint8_t *buf, size_t cap,
                      uint64_t now_ms) {
  ami_test_server_link *l = (ami_test_server_link *)base;
  (void)now_ms;
  if (l->count == 0)
    return 0;
  size_t i = l->head;
  size_t n = l->qn[i] < cap ? l->qn[i] : cap; /* a short buffer truncates */
  memcpy(buf, l->q[i], n);
  free(l->q[i]);
  l->q[i] = NULL;
  l->head = (l->head + 1) % AMI_TEST_SERVER_QUEUE;
  l->count--;
  return n;
}

static bool tl_want_write(const ami_link *base) {
  return ((const ami_test_server_link *)base)->count > 0;
}

static uint64_t tl_expiry(const ami_link *base) {
  (void)base;
  return AMI_LINK_NO_EXPIRY;
}

static int tl_handle_expiry(ami_link *base, uint64_t now_ms,
                            ami_link_event *ev) {
  (void)base;
  (void)now_ms;
  memset(ev, 0, sizeof *ev);
  return AMI_E_AGAIN;
}

static int tl_connect(ami_link *base, uint64_t now_ms) {
  (void)base;
  (void)now_ms;
  return AMI_E_STATE;
}

static int tl_disconnect(ami_link *base, uint64_t now_ms) {
  (void)now_ms;
  ((ami_test_server_link *)base)->connected = false;
  return AMI_OK;
}

static bool tl_is_connected(const ami_link *base) {
  return ((const ami_test_server_link *)base)->connected;
}

static void tl_free(ami_link *base) {
  ami_test_server_link *l = (ami_test_server_link *)base;
  free(l->rx);
  l->rx = NULL;
  while (l->count) {
    free(l->q[l->head]);
    l->q[l->head] = NULL;
    l->head = (l->head + 1) % AMI_TEST_SERVER_QUEUE;
    l->count--;
  }
}

static const ami_link_vtbl tl_vtbl = {
    tl_recv,          tl_send,    tl_pull,       tl_want_write,   tl_expiry,
    tl_handle_expiry, tl_connect, tl_disconnect, tl_is_connected, tl_free};

void ami_test_server_link_init(ami_test_server_link *l, uint16_t peer,
                               uint16_t own) {
  memset(l, 0, sizeof *l);
  l->base.vt = &tl_vtbl;
  l->peer = peer;
  l->own = own;
  l->connected = true;
}

void ami_test_server_link_drop(ami_test_server_link *l) {
  l->drop_pending = true;
}
