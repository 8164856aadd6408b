/*
 * ami_test_session.c -- recorded-session reader for tests (see
 * ami_test_session.h).
 */
#include "ami_test_session.h"

#include "ami_test.h"

#include <stdlib.h>
#include <string.h>

#include "ami/ami_hex.h"

/* Per-direction reassembly of segmented HDLC information fields. */
typedef struct hdlc_rx {
  uint8_t buf[1 << 16];
  size_t len;
} hdlc_rx;

/* IEC 62056-46 frame: 7E, frame format (type 0xA, segmentation bit 0x08,
 * 11-bit length), destination and source addresses (each ends with an
 * octet whose low bit is 1), control, then -- if information follows --
 * HCS, information, FCS, and the closing 7E. */
static int hdlc_frame(hdlc_rx *st, const uint8_t *f, size_t n, bool tx,
                      ami_test_apdu_fn fn, void *ud) {
  assert_true(n >= 9 && f[0] == 0x7E && f[n - 1] == 0x7E);
  assert_int_equal(f[1] >> 4, 0xA);
  size_t flen = ((size_t)(f[1] & 0x07) << 8) | f[2];
  assert_int_equal(flen, n - 2);
  bool segmented = (f[1] & 0x08) != 0;
  size_t i = 3;
  while (i < n && !(f[i] & 1))
    i++;
  i++;
  while (i < n && !(f[i] & 1))
    i++;
  i++;
  uint8_t control = f[i++];
  if (i + 2 + 2 + 1 >= n) /* no information field: only HCS/FCS, flag */
    return 0;
  if (control & 1) /* not an I-frame (UA carries parameters, no APDU) */
    return 0;
  i += 2; /* HCS */
  size_t info = n - 3 - i;
  assert_true(st->len + info <= sizeof st->buf);
  memcpy(st->buf + st->len, f + i, info);
  st->len += info;
  if (segmented)
    return 0;
  /* LLC header: E6 E6 00 (command) or E6 E7 00 (response). */
  assert_true(st->len >= 3 && st->buf[0] == 0xE6);
  fn(st->buf + 3, st->len - 3, tx, ud);
  st->len = 0;
  return 1;
}

int ami_test_session_apdus(const char *relative, ami_test_apdu_fn fn,
                           void *ud) {
  const char *path = ami_test_shared_path(relative);
  if (path == NULL)
    return -1;
  size_t flen;
  char *text = ami_test_read_file(path, &flen);
  assert_non_null(text);
  hdlc_rx *rx[2] = {calloc(1, sizeof(hdlc_rx)), calloc(1, sizeof(hdlc_rx))};
  assert_non_null(rx[0]);
  assert_non_null(rx[1]);
  uint8_t *frame = malloc(flen / 2 + 1);
  assert_non_null(frame);
  int count = 0;
  for (char *line = text; line && *line;) {
    char *end = strchr(line, '\n');
    size_t ll = end ? (size_t)(end - line) : strlen(line);
    bool tx = ll > 3 && strncmp(line, "TX:", 3) == 0;
    bool rxl = ll > 3 && strncmp(line, "RX:", 3) == 0;
    if (tx || rxl) {
      size_t bad = 0;
      long n = ami_hex_decode(line + 3, ll - 3, frame, flen / 2 + 1, &bad);
      if (n < 0)
        fail_msg("%s: bad hex at %zu", relative, bad);
      size_t fn_len = (size_t)n;
      if (fn_len > 0 && frame[0] == 0x7E) {
        count += hdlc_frame(rx[tx ? 0 : 1], frame, fn_len, tx, fn, ud);
      } else {
        /* IEC 62056-47 wrapper: version 0001, source, destination,
         * length, then exactly `length` APDU octets. */
        assert_true(fn_len >= 8 && frame[0] == 0 && frame[1] == 1);
        size_t alen = ((size_t)frame[6] << 8) | frame[7];
        assert_int_equal(alen, fn_len - 8);
        fn(frame + 8, alen, tx, ud);
        count++;
      }
    }
    line = end ? end + 1 : NULL;
  }
  free(frame);
  free(rx[0]);
  free(rx[1]);
  free(text);
  return count;
}
