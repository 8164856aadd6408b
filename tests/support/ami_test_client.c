/*
 * ami_test_client.c -- the one-APDU-per-chunk link double of
 * ami_test_client.h, for driving the client engine with recorded APDUs
 * until the real wrapper and HDLC links are used.
 */
#include "ami_test_client.h"

#include <string.h>

#define TL(l) ((ami_test_client_link *)(void *)(l))

/* A pending connect/disconnect is reported before anything else. */
static bool pending_event(ami_test_client_link *t, ami_link_event *ev) {
  memset(ev, 0, sizeof *ev);
  if (t->connect_pending) {
    t->connect_pending = false;
    ev->kind = AMI_LINK_EV_CONNECTED;
    return true;
  }
  if (t->disconnect_pending) {
    t->disconnect_pending = false;
    t->connected = false;
    ev->kind = AMI_LINK_EV_DISCONNECTED;
    return true;
  }
  return false;
}

static int tl_recv(ami_link *l, const uint8_t *p, size_t n, size_t *consumed,
                   uint64_t now_ms, ami_link_event *ev) {
  (void)now_ms;
  ami_test_client_link *t = TL(l);
  *consumed = 0;
  if (pending_event(t, ev))
    return AMI_OK;
  if (n == 0)
    return AMI_E_AGAIN;
  if (n > AMI_TEST_CLIENT_LINK_MAX) {
    *consumed = n;
    ev->kind = AMI_LINK_EV_ERROR;
    ev->error = AMI_E_WRAPPER_TOO_LONG;
    return AMI_OK;
  }
  memcpy(t->in, p, n);
  *consumed = n;
  ev->kind = AMI_LINK_EV_APDU;
  ev->apdu = ami_span_make(t->in, n);
  return AMI_OK;
}

static int tl_send(ami_link *l, ami_span apdu, uint64_t now_ms) {
  (void)now_ms;
  ami_test_client_link *t = TL(l);
  if (t->send_rc)
    return t->send_rc;
  if (!t->connected)
    return AMI_E_STATE;
  if (apdu.len > AMI_TEST_CLIENT_LINK_MAX ||
      t->out_count == AMI_TEST_CLIENT_LINK_QUEUE)
    return AMI_E_LIMIT;
  unsigned slot = (t->out_head + t->out_count) % AMI_TEST_CLIENT_LINK_QUEUE;
  memcpy(t->out[slot], apdu.p, apdu.len);
  t->out_len[slot] = apdu.len;
  t->out_count++;
  return AMI_OK;
}

static size_t tl_pull(ami_link *l, uint8_t *buf, size_t cap, uint64_t now_ms) {
  (void)now_ms;
  ami_test_client_link *t = TL(l);
  if (t->out_count == 0 || cap < t->out_len[t->out_head])
    return 0;
  size_t n = t->out_len[t->out_head];
  memcpy(buf, t->out[t->out_head], n);
  t->out_head = (t->out_head + 1) % AMI_TEST_CLIENT_LINK_QUEUE;
  t->out_count--;
  return n;
}

static bool tl_want_write(const ami_link *l) {
  return ((const ami_test_client_link *)(const void *)l)->out_count > 0;
}

static uint64_t tl_expiry(const ami_link *l) {
  const ami_test_client_link *t = (const ami_test_client_link *)(const void *)l;
  return t->connect_pending || t->disconnect_pending ? 0 : AMI_LINK_NO_EXPIRY;
}

static int tl_handle_expiry(ami_link *l, uint64_t now_ms, ami_link_event *ev) {
  (void)now_ms;
  return pending_event(TL(l), ev) ? AMI_OK : AMI_E_AGAIN;
}

static int tl_connect(ami_link *l, uint64_t now_ms) {
  (void)now_ms;
  ami_test_client_link *t = TL(l);
  t->connects++;
  t->connected = true;
  t->connect_pending = true;
  return AMI_OK;
}

static int tl_disconnect(ami_link *l, uint64_t now_ms) {
  (void)now_ms;
  ami_test_client_link_drop(TL(l));
  return AMI_OK;
}

static bool tl_is_connected(const ami_link *l) {
  return ((const ami_test_client_link *)(const void *)l)->connected;
}

static void tl_free(ami_link *l) {
  (void)l;
}

static const ami_link_vtbl TL_VTBL = {
    tl_recv,          tl_send,    tl_pull,       tl_want_write,   tl_expiry,
    tl_handle_expiry, tl_connect, tl_disconnect, tl_is_connected, tl_free};

void ami_test_client_link_init(ami_test_client_link *l) {
  memset(l, 0, sizeof *l);
  l->base.vt = &TL_VTBL;
}

void ami_test_client_link_drop(ami_test_client_link *l) {
  l->disconnect_pending = true;
}
