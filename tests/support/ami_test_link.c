/*
 * ami_test_link.c -- the in-memory link pair with fault injection, and the
 * recorded-session frame reader (see ami_test_link.h).
 */
#include "ami_test_link.h"

#include "ami_test.h"

#include <stdlib.h>
#include <string.h>

#include "ami/ami_hex.h"
#include "ami/ami_wrapper.h"

void ami_test_link_pair_init(ami_test_link_pair *p, ami_link *client,
                             ami_link *server, ami_test_link_framing framing) {
  memset(p, 0, sizeof *p);
  p->link[AMI_TEST_CLIENT] = client;
  p->link[AMI_TEST_SERVER] = server;
  p->framing = framing;
}

void ami_test_link_pair_free(ami_test_link_pair *p) {
  for (int s = 0; s < 2; s++) {
    free(p->apdu[s]);
    p->apdu[s] = NULL;
  }
}

void ami_test_link_pair_fault(ami_test_link_pair *p, int from_side,
                              ami_test_link_fault kind, unsigned long at) {
  p->fault[from_side].kind = kind;
  p->fault[from_side].at = at;
}

static void record(ami_test_link_pair *p, int side, const ami_link_event *ev) {
  assert_true(ev->kind >= AMI_LINK_EV_CONNECTED &&
              ev->kind <= AMI_LINK_EV_ERROR);
  p->count[side][ev->kind]++;
  if (ev->kind == AMI_LINK_EV_ERROR || ev->kind == AMI_LINK_EV_DISCONNECTED)
    p->last_error[side] = ev->error;
  if (ev->kind == AMI_LINK_EV_APDU) {
    free(p->apdu[side]);
    p->apdu[side] = malloc(ev->apdu.len ? ev->apdu.len : 1);
    assert_non_null(p->apdu[side]);
    if (ev->apdu.len)
      memcpy(p->apdu[side], ev->apdu.p, ev->apdu.len);
    p->apdu_len[side] = ev->apdu.len;
  }
  if (p->on_event)
    p->on_event(p->user, side, ev);
}

/* Feeds bytes to one side, in chunks, until all are consumed. */
static void deliver(ami_test_link_pair *p, int side, const uint8_t *b,
                    size_t n) {
  size_t off = 0;
  do {
    size_t len = n - off;
    if (p->chunk && len > p->chunk)
      len = p->chunk;
    size_t part = 0;
    for (int guard = 0;; guard++) {
      assert_true(guard < 100000);
      size_t used = 0;
      ami_link_event ev;
      int rc = ami_link_recv(p->link[side], b + off + part, len - part, &used,
                             p->now_ms, &ev);
      assert_true(used <= len - part);
      part += used;
      if (rc == AMI_E_AGAIN)
        break;
      assert_ami_ok(rc);
      record(p, side, &ev);
    }
    assert_int_equal(part, len);
    off += len;
  } while (off < n);
}

/* The length of the frame at the start of b (n bytes, as pulled). */
static size_t frame_len(const ami_test_link_pair *p, const uint8_t *b,
                        size_t n) {
  size_t len = n;
  if (p->framing == AMI_TEST_LINK_HDLC && n >= 3)
    len = (((size_t)(b[1] & 7) << 8) | b[2]) + 2;
  else if (p->framing == AMI_TEST_LINK_WRAPPER && n >= 8)
    len = AMI_WRAPPER_HEADER_LEN + (size_t)((b[6] << 8) | b[7]);
  return len < n ? len : n;
}

/* Runs the timers of both sides that are due now. */
static void run_timers(ami_test_link_pair *p) {
  for (int s = 0; s < 2; s++) {
    for (int guard = 0; ami_link_expiry(p->link[s]) <= p->now_ms; guard++) {
      assert_true(guard < 1000);
      ami_link_event ev;
      int rc = ami_link_handle_expiry(p->link[s], p->now_ms, &ev);
      if (rc == AMI_E_AGAIN)
        break;
      assert_ami_ok(rc);
      record(p, s, &ev);
    }
  }
}

/* Sends one frame from `side` to the other, applying the armed fault. */
static void carry(ami_test_link_pair *p, int side, uint8_t *f, size_t n) {
  unsigned long k = p->frames[side]++;
  ami_test_link_fault fault = AMI_TEST_FAULT_NONE;
  if (p->fault[side].kind != AMI_TEST_FAULT_NONE && p->fault[side].at == k)
    fault = p->fault[side].kind;
  if (fault == AMI_TEST_FAULT_DROP)
    return;
  if (fault == AMI_TEST_FAULT_CORRUPT)
    f[n / 2] ^= 0x10;
  deliver(p, 1 - side, f, n);
  if (fault == AMI_TEST_FAULT_DUPLICATE)
    deliver(p, 1 - side, f, n);
}

size_t ami_test_link_pair_flush(ami_test_link_pair *p) {
  static uint8_t buf[1 << 17];
  size_t moved = 0;
  for (int guard = 0;; guard++) {
    assert_true(guard < 1000000);
    run_timers(p);
    bool any = false;
    for (int s = 0; s < 2; s++) {
      size_t n = ami_link_pull(p->link[s], buf, sizeof buf, p->now_ms);
      size_t off = 0;
      while (off < n) {
        size_t len = frame_len(p, buf + off, n - off);
        carry(p, s, buf + off, len);
        off += len;
        moved++;
      }
      any = any || n > 0;
    }
    if (!any)
      return moved;
  }
}

bool ami_test_link_pair_advance(ami_test_link_pair *p) {
  uint64_t t0 = ami_link_expiry(p->link[0]);
  uint64_t t1 = ami_link_expiry(p->link[1]);
  uint64_t t = t0 < t1 ? t0 : t1;
  if (t == AMI_LINK_NO_EXPIRY)
    return false;
  if (t > p->now_ms)
    p->now_ms = t;
  ami_test_link_pair_flush(p);
  return true;
}

/* ---------------------------------------------------------------------- */

bool ami_test_recording_load(ami_test_recording *r, const char *relative) {
  memset(r, 0, sizeof *r);
  const char *path = ami_test_shared_path(relative);
  if (path == NULL)
    return false;
  size_t len;
  char *text = ami_test_read_file(path, &len);
  if (text == NULL)
    return false;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line != NULL;
       line = strtok_r(NULL, "\n", &save)) {
    bool tx = strncmp(line, "TX:", 3) == 0;
    if (!tx && strncmp(line, "RX:", 3) != 0)
      continue;
    size_t n;
    uint8_t *b = ami_test_hex(line + 3, &n);
    ami_test_rec_frame *nf = realloc(r->f, (r->n + 1) * sizeof *nf);
    assert_non_null(nf);
    r->f = nf;
    r->f[r->n].tx = tx;
    r->f[r->n].bytes = b;
    r->f[r->n].len = n;
    r->n++;
  }
  free(text);
  return r->n > 0;
}

void ami_test_recording_free(ami_test_recording *r) {
  for (size_t i = 0; i < r->n; i++)
    free(r->f[i].bytes);
  free(r->f);
  r->f = NULL;
  r->n = 0;
}
