/*
 * test_axdr.c -- lib/codec A-XDR codec (ami_axdr.h) and the Profile Generic
 * selective-access descriptors built on it (ami_selective.h).
 *
 * Golden vectors: ../shared/vectors/dlms/VECTORS.md §2 (GET-response data,
 * DataNotification body) copied in below, and the recorded Gurux sessions
 * (association view, clock) read at run time when shared/ is present.
 * Hand-made vectors follow the encoding rules of Blue Book §4.1.5 and are
 * written out byte by byte from the standard's grammar, not from our output.
 */
#include "ami_test.h"

#include <stdlib.h>
#include <string.h>

#include "ami/ami_axdr.h"
#include "ami/ami_hex.h"
#include "ami/ami_selective.h"

/* ---- helpers ------------------------------------------------------------- */

#define MAX_ITEMS 64

/* Decode every item of the value in (p, n); returns the final code
 * (AMI_AXDR_END on success) and the items. */
static int decode_items(const uint8_t *p, size_t n, ami_axdr_value *items,
                        size_t *count) {
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, p, n);
  size_t k = 0;
  int rc;
  ami_axdr_value v;
  while ((rc = ami_axdr_next(&d, &v)) == AMI_OK) {
    if (k < MAX_ITEMS)
      items[k] = v;
    k++;
  }
  *count = k;
  return rc;
}

/* Every proper prefix of (p, n) -- placed flush against a guard page --
 * must fail validation with AMI_E_TRUNCATED. */
static void assert_every_truncation(const uint8_t *p, size_t n) {
  for (size_t cut = 0; cut < n; cut++) {
    uint8_t *g = ami_test_guarded_copy(p, cut);
    int rc = ami_axdr_validate(ami_span_make(g, cut), NULL);
    if (rc != AMI_E_TRUNCATED)
      fail_msg("prefix of %zu/%zu bytes gave %s", cut, n, ami_err_name(rc));
    ami_test_guarded_free(g, cut);
  }
}

/* Re-encode every item of (p, n) with ami_axdr_put_value (compact arrays
 * rebuilt element by element) and compare with the input. */
static void assert_reencodes(const uint8_t *p, size_t n) {
  uint8_t *out = malloc(n + 64);
  assert_non_null(out);
  ami_wr w;
  ami_wr_init(&w, out, n + 64);
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, p, n);
  ami_axdr_value v;
  ami_axdr_compact c;
  bool in_compact = false;
  int rc;
  while ((rc = ami_axdr_next(&d, &v)) == AMI_OK) {
    if (in_compact && !(v.flags & AMI_AXDR_F_COMPACT)) {
      ami_axdr_put_compact_end(&w, &c);
      in_compact = false;
    }
    if (v.tag == AMI_AXDR_COMPACT_ARRAY) {
      ami_axdr_put_compact_begin(&w, v.v.ca.td, &c);
      in_compact = true;
    } else {
      ami_axdr_put_value(&w, &v);
    }
  }
  if (in_compact)
    ami_axdr_put_compact_end(&w, &c);
  assert_ami(AMI_AXDR_END, rc);
  assert_ami_ok(w.err);
  assert_int_equal(w.len, d.end);
  assert_memory_equal(out, p, w.len);
  free(out);
}

/* ---- golden vectors ------------------------------------------------------ */

/* VECTORS.md §2, GET-response-normal C401C1000600001391: after the header
 * C4 01 C1 00 the data is double-long-unsigned 5009. */
static void test_get_response_data(void **state) {
  (void)state;
  static const uint8_t apdu[] = {0xC4, 0x01, 0xC1, 0x00, 0x06,
                                 0x00, 0x00, 0x13, 0x91};
  const uint8_t *data = apdu + 4;
  size_t n = sizeof apdu - 4;

  ami_axdr_dec d;
  ami_axdr_dec_init(&d, data, n);
  uint32_t x = 0;
  assert_ami_ok(ami_axdr_get_u32(&d, &x));
  assert_int_equal(x, 5009);
  assert_true(ami_axdr_done(&d));
  assert_int_equal(ami_axdr_trailing(&d), 0);

  ami_axdr_value items[MAX_ITEMS];
  size_t count;
  assert_ami(AMI_AXDR_END, decode_items(data, n, items, &count));
  assert_int_equal(count, 1);
  assert_int_equal(items[0].tag, AMI_AXDR_DOUBLE_LONG_UNSIGNED);
  assert_int_equal(items[0].v.u, 5009);
  assert_string_equal(ami_axdr_type_name(items[0].tag), "double-long-unsigned");

  uint8_t out[8];
  ami_wr w;
  ami_wr_init(&w, out, sizeof out);
  ami_axdr_put_u32(&w, 5009);
  ami_test_assert_bytes(out, w.len, "06 00 00 13 91");
  assert_every_truncation(data, n);
}

/* VECTORS.md §2 DataNotification: 0F, long-invoke-id 000001DB, date-time
 * absent (00), then the notification body: one octet-string of 0x22 bytes. */
static void test_data_notification_body(void **state) {
  (void)state;
  size_t n;
  uint8_t *apdu =
      ami_test_hex("0F000001DB000922125A8591360000000049000000110000000A5A851"
                   "3D014800000000D0000000A0100",
                   &n);
  const uint8_t *body = apdu + 6;
  size_t blen = n - 6;
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, body, blen);
  ami_span s;
  assert_ami_ok(ami_axdr_get_octets(&d, &s));
  assert_int_equal(s.len, 0x22);
  assert_ptr_equal(s.p, body + 2); /* zero-copy */
  assert_true(ami_axdr_done(&d));
  assert_int_equal(ami_axdr_trailing(&d), 0);
  assert_reencodes(body, blen);
  assert_every_truncation(body, blen);
  free(apdu);
}

/* The clock value from gurux_wrapper_ln_none_clock.txt (VECTORS.md §4): the
 * GET response C4 01 C1 00, then date-time octet-string(12), then 16 bytes
 * the server appends after the value (a known quirk). */
static const char clock_response_hex[] =
    "C4 01 C1 00 09 0C 07 EA 0B 16 07 04 03 04 00 00 00 00 09 0F 09 0C 07 EA"
    " 0B 16 07 04 03 04 00 00 00 00 09 0F";

static void check_clock_data(const uint8_t *data, size_t n) {
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, data, n);
  ami_cosem_datetime dt;
  assert_ami_ok(ami_axdr_get_datetime(&d, &dt));
  assert_int_equal(dt.date.year, 2026);
  assert_int_equal(dt.date.month, 11);
  assert_int_equal(dt.date.day, 22);
  assert_int_equal(dt.date.day_of_week, 7); /* a Sunday */
  assert_int_equal(dt.time.hour, 4);
  assert_int_equal(dt.time.minute, 3);
  assert_int_equal(dt.time.second, 4);
  assert_int_equal(dt.time.hundredths, 0);
  assert_int_equal(dt.deviation, 0);
  assert_int_equal(dt.status, 0);
  assert_ami_ok(ami_cosem_datetime_validate(&dt));
  assert_true(ami_axdr_done(&d));
  assert_int_equal(ami_axdr_trailing(&d), n - 14); /* reported, not failed */
  uint8_t t;
  assert_ami(AMI_AXDR_END, ami_axdr_peek_tag(&d, &t));
  size_t used = 0;
  assert_ami_ok(ami_axdr_validate(ami_span_make(data, n), &used));
  assert_int_equal(used, 14);
  assert_every_truncation(data, 14);
}

static void test_clock_vector(void **state) {
  (void)state;
  size_t n;
  uint8_t *apdu = ami_test_hex(clock_response_hex, &n);
  check_clock_data(apdu + 4, n - 4);
  free(apdu);
}

/* Parse a recorded session: the bytes of every line starting with `prefix`
 * ("RX:" or "TX:"), in order. Returns the number of frames found. */
typedef struct frame {
  uint8_t *p;
  size_t n;
} frame;

static size_t session_frames(const char *text, const char *prefix,
                             frame *frames, size_t max) {
  size_t k = 0;
  size_t plen = strlen(prefix);
  for (const char *line = text; line && *line;) {
    const char *eol = strchr(line, '\n');
    size_t llen = eol ? (size_t)(eol - line) : strlen(line);
    if (llen > plen && strncmp(line, prefix, plen) == 0 && k < max) {
      uint8_t *buf = malloc(llen);
      assert_non_null(buf);
      long got = ami_hex_decode(line + plen, llen - plen, buf, llen, NULL);
      assert_true(got > 0);
      frames[k].p = buf;
      frames[k].n = (size_t)got;
      k++;
    }
    line = eol ? eol + 1 : NULL;
  }
  return k;
}

static void free_frames(frame *frames, size_t k) {
  for (size_t i = 0; i < k; i++)
    free(frames[i].p);
}

/* The association view (class 15 attribute 2) of the Gurux wrapper session:
 * GET-response-with-datablock APDUs (C4 02 C1, last-block, block-number(4),
 * raw-data choice 00, octet-string) whose raw data, joined, is an array of
 * object_list_element structures {class_id long-unsigned, version unsigned,
 * logical_name octet-string(6), access_rights structure}. */
static void test_gurux_association_view(void **state) {
  (void)state;
  const char *path = ami_test_shared_path(
      "vectors/dlms/gurux-sessions/gurux_wrapper_ln_none_clock.txt");
  if (path == NULL) {
    print_message("shared/ not found: gurux session not checked\n");
    skip();
    return;
  }
  size_t tlen;
  char *text = ami_test_read_file(path, &tlen);
  assert_non_null(text);
  frame frames[64];
  size_t nf = session_frames(text, "RX:", frames, 64);
  assert_true(nf > 3);

  uint8_t *joined = malloc(tlen);
  assert_non_null(joined);
  size_t jlen = 0;
  uint32_t expect_block = 1;
  bool last = false;
  for (size_t i = 0; i < nf && !last; i++) {
    /* Wrapper header: version(2) source(2) destination(2) length(2). */
    assert_true(frames[i].n >= 8);
    const uint8_t *apdu = frames[i].p + 8;
    size_t alen = frames[i].n - 8;
    assert_int_equal(alen, ((size_t)frames[i].p[6] << 8) | frames[i].p[7]);
    if (alen < 9 || apdu[0] != 0xC4 || apdu[1] != 0x02)
      continue;
    last = apdu[3] != 0;
    uint32_t block = ((uint32_t)apdu[4] << 24) | ((uint32_t)apdu[5] << 16) |
                     ((uint32_t)apdu[6] << 8) | apdu[7];
    assert_int_equal(block, expect_block++);
    assert_int_equal(apdu[8], 0x00); /* raw-data */
    /* The raw data is an octet-string without its tag: length, bytes. */
    size_t off = 9;
    uint32_t rlen = 0;
    if (apdu[off] < 0x80) {
      rlen = apdu[off];
      off += 1;
    } else {
      unsigned k = apdu[off] & 0x7F;
      for (unsigned j = 0; j < k; j++)
        rlen = (rlen << 8) | apdu[off + 1 + j];
      off += 1 + k;
    }
    assert_int_equal(off + rlen, alen);
    memcpy(joined + jlen, apdu + off, rlen);
    jlen += rlen;
  }
  assert_true(last);

  /* Decode the list with the typed getters. */
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, joined, jlen);
  uint32_t n;
  assert_ami_ok(ami_axdr_get_array(&d, &n));
  assert_int_equal(n, 0x34); /* the array header of block 1: 01 34 */
  bool saw_self = false, saw_clock = false;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t fields;
    uint16_t class_id;
    uint8_t version;
    ami_span ln;
    assert_ami_ok(ami_axdr_get_struct(&d, &fields));
    assert_int_equal(fields, 4);
    assert_ami_ok(ami_axdr_get_u16(&d, &class_id));
    assert_ami_ok(ami_axdr_get_u8(&d, &version));
    assert_ami_ok(ami_axdr_get_octets(&d, &ln));
    assert_int_equal(ln.len, 6);
    /* access_rights: structure {attribute_access array, method_access
     * array}; walk it generically. */
    uint8_t t;
    assert_ami_ok(ami_axdr_peek_tag(&d, &t));
    assert_int_equal(t, AMI_AXDR_STRUCTURE);
    assert_ami_ok(ami_axdr_skip(&d));
    static const uint8_t self_ln[6] = {0, 0, 40, 0, 0, 255};
    static const uint8_t clock_ln[6] = {0, 0, 1, 0, 0, 255};
    if (class_id == 15 && memcmp(ln.p, self_ln, 6) == 0) {
      saw_self = true;
      assert_int_equal(version, 2);
    }
    if (class_id == 8 && memcmp(ln.p, clock_ln, 6) == 0)
      saw_clock = true;
  }
  assert_true(saw_self);
  assert_true(saw_clock);
  assert_true(ami_axdr_done(&d));
  assert_int_equal(ami_axdr_trailing(&d), 0);
  assert_true(d.canonical);

  /* The generic path agrees, re-encodes to the same bytes, and every
   * truncation is reported as such. */
  size_t used;
  assert_ami_ok(ami_axdr_validate(ami_span_make(joined, jlen), &used));
  assert_int_equal(used, jlen);
  assert_reencodes(joined, jlen);
  assert_every_truncation(joined, jlen);

  free(joined);
  free_frames(frames, nf);
  free(text);
}

/* The clock value in both unciphered sessions, wherever a GET-response-normal
 * (C4 01) appears: wrapper frames and HDLC frames alike. */
static void test_gurux_clock_in_sessions(void **state) {
  (void)state;
  static const char *files[] = {
      "vectors/dlms/gurux-sessions/gurux_wrapper_ln_none_clock.txt",
      "vectors/dlms/gurux-sessions/gurux_hdlc_ln_none_clock.txt",
  };
  int found = 0;
  for (size_t f = 0; f < 2; f++) {
    const char *path = ami_test_shared_path(files[f]);
    if (path == NULL)
      continue;
    size_t tlen;
    char *text = ami_test_read_file(path, &tlen);
    assert_non_null(text);
    frame frames[64];
    size_t nf = session_frames(text, "RX:", frames, 64);
    for (size_t i = 0; i < nf; i++) {
      /* Find C4 01 C1 00 (GET-response-normal, success) in the frame. */
      for (size_t k = 0; k + 4 <= frames[i].n; k++) {
        const uint8_t *q = frames[i].p + k;
        if (q[0] == 0xC4 && q[1] == 0x01 && q[3] == 0x00 &&
            k + 5 < frames[i].n && q[4] == 0x09 && q[5] == 0x0C) {
          size_t n = frames[i].n - k - 4;
          if (f == 1)
            n -= 3; /* HDLC: FCS and closing flag */
          check_clock_data(q + 4, n);
          found++;
          break;
        }
      }
    }
    free_frames(frames, nf);
    free(text);
  }
  if (found == 0) {
    print_message("shared/ not found: gurux sessions not checked\n");
    skip();
  }
  assert_int_equal(found, 2);
}

/* ---- every type: exact bytes and round trips ----------------------------- */

typedef struct type_case {
  const char *hex; /* written from the Blue Book type list */
  uint8_t tag;
  int64_t i;
  uint64_t u;
} type_case;

static void test_scalar_encodings(void **state) {
  (void)state;
  static const type_case cases[] = {
      {"00", AMI_AXDR_NULL, 0, 0},
      {"FF", AMI_AXDR_DONT_CARE, 0, 0},
      {"03 00", AMI_AXDR_BOOLEAN, 0, 0},
      {"03 01", AMI_AXDR_BOOLEAN, 0, 1},
      {"05 80 00 00 00", AMI_AXDR_DOUBLE_LONG, INT32_MIN, 0},
      {"05 7F FF FF FF", AMI_AXDR_DOUBLE_LONG, INT32_MAX, 0},
      {"05 FF FF FF FF", AMI_AXDR_DOUBLE_LONG, -1, 0},
      {"06 FF FF FF FF", AMI_AXDR_DOUBLE_LONG_UNSIGNED, 0, UINT32_MAX},
      {"0D 12", AMI_AXDR_BCD, 0, 0x12},
      {"0F 80", AMI_AXDR_INTEGER, INT8_MIN, 0},
      {"0F 7F", AMI_AXDR_INTEGER, INT8_MAX, 0},
      {"10 80 00", AMI_AXDR_LONG, INT16_MIN, 0},
      {"10 FF FE", AMI_AXDR_LONG, -2, 0},
      {"11 FF", AMI_AXDR_UNSIGNED, 0, 255},
      {"12 FF FF", AMI_AXDR_LONG_UNSIGNED, 0, 65535},
      {"14 80 00 00 00 00 00 00 00", AMI_AXDR_LONG64, INT64_MIN, 0},
      {"14 7F FF FF FF FF FF FF FF", AMI_AXDR_LONG64, INT64_MAX, 0},
      {"15 FF FF FF FF FF FF FF FF", AMI_AXDR_LONG64_UNSIGNED, 0, UINT64_MAX},
      {"16 03", AMI_AXDR_ENUM, 0, 3},
      {"17 7F C0 00 01", AMI_AXDR_FLOAT32, 0, 0x7FC00001u}, /* quiet NaN */
      {"17 7F 80 00 01", AMI_AXDR_FLOAT32, 0, 0x7F800001u}, /* signalling */
      {"17 80 00 00 00", AMI_AXDR_FLOAT32, 0, 0x80000000u}, /* -0.0 */
      {"18 7F F0 00 00 00 00 00 01", AMI_AXDR_FLOAT64, 0,
       0x7FF0000000000001ull},
      {"18 FF F8 00 00 00 00 00 00", AMI_AXDR_FLOAT64, 0,
       0xFFF8000000000000ull},
      {"1C 80", AMI_AXDR_DELTA_INTEGER, -128, 0},
      {"1D 80 01", AMI_AXDR_DELTA_LONG, -32767, 0},
      {"1E FF FF FF FE", AMI_AXDR_DELTA_DOUBLE_LONG, -2, 0},
      {"1F FE", AMI_AXDR_DELTA_UNSIGNED, 0, 254},
      {"20 12 34", AMI_AXDR_DELTA_LONG_UNSIGNED, 0, 0x1234},
      {"21 DE AD BE EF", AMI_AXDR_DELTA_DOUBLE_LONG_UNSIGNED, 0, 0xDEADBEEF},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    size_t n;
    uint8_t *p = ami_test_hex(cases[c].hex, &n);
    ami_axdr_value items[MAX_ITEMS];
    size_t count;
    assert_ami(AMI_AXDR_END, decode_items(p, n, items, &count));
    assert_int_equal(count, 1);
    assert_int_equal(items[0].tag, cases[c].tag);
    assert_non_null(ami_axdr_type_name(cases[c].tag));
    switch (cases[c].tag) {
    case AMI_AXDR_NULL:
    case AMI_AXDR_DONT_CARE:
      break;
    case AMI_AXDR_BOOLEAN:
      assert_int_equal(items[0].v.b, cases[c].u != 0);
      break;
    case AMI_AXDR_DOUBLE_LONG:
    case AMI_AXDR_INTEGER:
    case AMI_AXDR_LONG:
    case AMI_AXDR_LONG64:
    case AMI_AXDR_DELTA_INTEGER:
    case AMI_AXDR_DELTA_LONG:
    case AMI_AXDR_DELTA_DOUBLE_LONG:
      assert_true(items[0].v.i == cases[c].i);
      break;
    default:
      assert_true(items[0].v.u == cases[c].u);
      break;
    }
    /* Generic encoder: same bytes. */
    uint8_t out[16];
    ami_wr w;
    ami_wr_init(&w, out, sizeof out);
    ami_axdr_put_value(&w, &items[0]);
    assert_ami_ok(w.err);
    ami_test_assert_bytes(out, w.len, cases[c].hex);
    assert_every_truncation(p, n);
    free(p);
  }
}

/* The typed putters and getters agree with each other and with the bytes. */
static void test_typed_putters_and_getters(void **state) {
  (void)state;
  uint8_t buf[256];
  ami_wr w;
  ami_wr_init(&w, buf, sizeof buf);
  ami_axdr_put_struct(&w, 15);
  ami_axdr_put_u8(&w, 0xAB);
  ami_axdr_put_u16(&w, 0xBEEF);
  ami_axdr_put_u32(&w, 0xDEADBEEF);
  ami_axdr_put_u64(&w, UINT64_MAX);
  ami_axdr_put_i8(&w, INT8_MIN);
  ami_axdr_put_i16(&w, INT16_MIN);
  ami_axdr_put_i32(&w, INT32_MIN);
  ami_axdr_put_i64(&w, INT64_MIN);
  ami_axdr_put_enum(&w, 7);
  ami_axdr_put_bool(&w, true);
  ami_axdr_put_float32(&w, 1.5f);
  ami_axdr_put_float64(&w, -2.25);
  ami_axdr_put_null(&w);
  ami_axdr_put_bcd(&w, 0x99);
  ami_axdr_put_visible(&w, "abc", 3);
  assert_ami_ok(w.err);
  ami_test_assert_bytes(buf, w.len,
                        "02 0F 11 AB 12 BE EF 06 DE AD BE EF"
                        " 15 FF FF FF FF FF FF FF FF 0F 80 10 80 00"
                        " 05 80 00 00 00 14 80 00 00 00 00 00 00 00 16 07"
                        " 03 01 17 3F C0 00 00 18 C0 02 00 00 00 00 00 00"
                        " 00 0D 99 0A 03 61 62 63");

  ami_axdr_dec d;
  ami_axdr_dec_init(&d, buf, w.len);
  uint32_t n;
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  int8_t i8;
  int16_t i16;
  int32_t i32;
  int64_t i64;
  bool b;
  float f32;
  double f64;
  ami_span s;
  assert_ami_ok(ami_axdr_get_struct(&d, &n));
  assert_int_equal(n, 15);
  /* A getter for the wrong type consumes nothing. */
  assert_ami(AMI_E_BAD_TAG, ami_axdr_get_u16(&d, &u16));
  assert_ami(AMI_E_BAD_TAG, ami_axdr_get_struct(&d, &n));
  assert_ami(AMI_E_BAD_TAG, ami_axdr_get_octets(&d, &s));
  assert_ami_ok(ami_axdr_get_u8(&d, &u8));
  assert_int_equal(u8, 0xAB);
  assert_ami_ok(ami_axdr_get_u16(&d, &u16));
  assert_int_equal(u16, 0xBEEF);
  assert_ami_ok(ami_axdr_get_u32(&d, &u32));
  assert_int_equal(u32, 0xDEADBEEF);
  assert_ami_ok(ami_axdr_get_u64(&d, &u64));
  assert_true(u64 == UINT64_MAX);
  assert_ami_ok(ami_axdr_get_i8(&d, &i8));
  assert_int_equal(i8, INT8_MIN);
  assert_ami_ok(ami_axdr_get_i16(&d, &i16));
  assert_int_equal(i16, INT16_MIN);
  assert_ami_ok(ami_axdr_get_i32(&d, &i32));
  assert_int_equal(i32, INT32_MIN);
  assert_ami_ok(ami_axdr_get_i64(&d, &i64));
  assert_true(i64 == INT64_MIN);
  assert_ami_ok(ami_axdr_get_enum(&d, &u8));
  assert_int_equal(u8, 7);
  assert_ami_ok(ami_axdr_get_bool(&d, &b));
  assert_true(b);
  assert_ami_ok(ami_axdr_get_float32(&d, &f32));
  assert_true(f32 == 1.5f);
  assert_ami_ok(ami_axdr_get_float64(&d, &f64));
  assert_true(f64 == -2.25);
  assert_ami_ok(ami_axdr_get_null(&d));
  assert_ami_ok(ami_axdr_get_bcd(&d, &u8));
  assert_int_equal(u8, 0x99);
  assert_ami(AMI_E_BAD_TAG, ami_axdr_get_octets(&d, &s));
  assert_ami_ok(ami_axdr_get_string(&d, AMI_AXDR_VISIBLE_STRING, &s));
  assert_int_equal(s.len, 3);
  assert_memory_equal(s.p, "abc", 3);
  assert_true(ami_axdr_done(&d));
  /* Nothing left to get. */
  assert_ami(AMI_E_STATE, ami_axdr_get_bool(&d, &b));
  assert_every_truncation(buf, w.len);
}

/* Length boundaries: 0x7F is the last one-byte length, 0x80 needs 81 80,
 * 0x100 needs 82 01 00, 0x10000 needs 83 01 00 00. */
static void test_length_boundaries(void **state) {
  (void)state;
  static const struct {
    size_t n;
    const char *hdr;
  } cases[] = {
      {0, "09 00"},
      {1, "09 01"},
      {0x7F, "09 7F"},
      {0x80, "09 81 80"},
      {0x81, "09 81 81"},
      {0xFF, "09 81 FF"},
      {0x100, "09 82 01 00"},
      {0xFFFF, "09 82 FF FF"},
      {0x10000, "09 83 01 00 00"},
  };
  size_t cap = 0x10000 + 16;
  uint8_t *buf = malloc(cap);
  uint8_t *content = malloc(0x10000);
  assert_non_null(buf);
  assert_non_null(content);
  for (size_t i = 0; i < 0x10000; i++)
    content[i] = (uint8_t)(i * 7 + 3);
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    ami_wr w;
    ami_wr_init(&w, buf, cap);
    ami_axdr_put_octets(&w, content, cases[c].n);
    assert_ami_ok(w.err);
    size_t hn;
    uint8_t *hdr = ami_test_hex(cases[c].hdr, &hn);
    assert_int_equal(w.len, hn + cases[c].n);
    assert_memory_equal(buf, hdr, hn);
    free(hdr);
    ami_axdr_dec d;
    ami_axdr_dec_init(&d, buf, w.len);
    ami_span s;
    assert_ami_ok(ami_axdr_get_octets(&d, &s));
    assert_int_equal(s.len, cases[c].n);
    assert_ptr_equal(s.p, buf + hn);
    assert_true(d.canonical);
    if (cases[c].n <= 0x100)
      assert_every_truncation(buf, w.len);
  }
  /* The same boundaries for counts and bit-string lengths (in bits). */
  ami_wr w;
  ami_wr_init(&w, buf, cap);
  ami_axdr_put_array(&w, 0x80);
  ami_test_assert_bytes(buf, w.len, "01 81 80");
  ami_wr_init(&w, buf, cap);
  ami_axdr_put_bitstring(&w, content, 0x100); /* 256 bits = 32 bytes */
  assert_int_equal(w.len, 3 + 1 + 32);
  ami_test_assert_bytes(buf, 4, "04 82 01 00");
  ami_wr_init(&w, buf, cap);
  ami_axdr_put_bitstring(&w, "\xA0", 3);
  ami_test_assert_bytes(buf, w.len, "04 03 A0");
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, buf, w.len);
  ami_span s;
  uint32_t bits;
  assert_ami_ok(ami_axdr_get_bitstring(&d, &s, &bits));
  assert_int_equal(bits, 3);
  assert_int_equal(s.len, 1);
  free(buf);
  free(content);
}

static void test_empty_strings_and_containers(void **state) {
  (void)state;
  size_t n;
  uint8_t *p = ami_test_hex("02 06 09 00 0A 00 0C 00 04 00 01 00 02 00", &n);
  ami_axdr_value items[MAX_ITEMS];
  size_t count;
  assert_ami(AMI_AXDR_END, decode_items(p, n, items, &count));
  assert_int_equal(count, 7);
  static const uint8_t tags[] = {2, 9, 10, 12, 4, 1, 2};
  for (size_t i = 0; i < 7; i++) {
    assert_int_equal(items[i].tag, tags[i]);
    assert_int_equal(items[i].count, i == 0 ? 6 : 0);
    assert_int_equal(items[i].depth, i == 0 ? 0 : 1);
  }
  assert_reencodes(p, n);
  assert_every_truncation(p, n);
  free(p);

  /* A top-level empty array is a complete value by itself. */
  static const uint8_t empty[] = {0x01, 0x00, 0xEE};
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, empty, sizeof empty);
  uint32_t k;
  assert_ami_ok(ami_axdr_get_array(&d, &k));
  assert_int_equal(k, 0);
  assert_true(ami_axdr_done(&d));
  assert_int_equal(ami_axdr_trailing(&d), 1);
}

/* Nested containers report depths; skip() jumps over a whole subtree. */
static void test_nesting_and_skip(void **state) {
  (void)state;
  size_t n;
  /* structure { array [ structure {u8, u8}, structure {u8, u8} ], u16 } */
  uint8_t *p = ami_test_hex(
      "02 02 01 02 02 02 11 01 11 02 02 02 11 03 11 04 12 12 34", &n);
  ami_axdr_value items[MAX_ITEMS];
  size_t count;
  assert_ami(AMI_AXDR_END, decode_items(p, n, items, &count));
  assert_int_equal(count, 9);
  static const uint8_t depth[] = {0, 1, 2, 3, 3, 2, 3, 3, 1};
  for (size_t i = 0; i < 9; i++)
    assert_int_equal(items[i].depth, depth[i]);
  assert_int_equal(items[8].v.u, 0x1234);

  ami_axdr_dec d;
  ami_axdr_dec_init(&d, p, n);
  uint32_t k;
  uint16_t u16;
  assert_ami_ok(ami_axdr_get_struct(&d, &k));
  assert_ami_ok(ami_axdr_skip(&d)); /* the whole array */
  assert_ami_ok(ami_axdr_get_u16(&d, &u16));
  assert_int_equal(u16, 0x1234);
  assert_true(ami_axdr_done(&d));
  assert_ami(AMI_E_STATE, ami_axdr_skip(&d));
  assert_every_truncation(p, n);
  free(p);

  /* dec_continue: two values back to back. */
  static const uint8_t two[] = {0x11, 0x05, 0x11, 0x06};
  ami_axdr_dec_init(&d, two, sizeof two);
  uint8_t u8;
  assert_ami(AMI_E_STATE, ami_axdr_dec_continue(&d));
  assert_ami_ok(ami_axdr_get_u8(&d, &u8));
  assert_int_equal(ami_axdr_trailing(&d), 2);
  assert_ami_ok(ami_axdr_dec_continue(&d));
  assert_ami_ok(ami_axdr_get_u8(&d, &u8));
  assert_int_equal(u8, 6);
  assert_int_equal(ami_axdr_trailing(&d), 0);
}

/* ---- hostile input ------------------------------------------------------- */

static void test_depth_limit(void **state) {
  (void)state;
  /* 1000 nested one-element arrays around a null-data. */
  size_t n = 2 * 1000 + 1;
  uint8_t *p = malloc(n);
  assert_non_null(p);
  for (size_t i = 0; i < 1000; i++) {
    p[2 * i] = 0x01;
    p[2 * i + 1] = 0x01;
  }
  p[n - 1] = 0x00;
  assert_ami(AMI_E_DEPTH, ami_axdr_validate(ami_span_make(p, n), NULL));

  /* Exactly the limit is fine, one more is not. */
  for (unsigned limit = 1; limit <= AMI_AXDR_MAX_DEPTH; limit *= 2) {
    for (unsigned levels = limit; levels <= limit + 1; levels++) {
      const uint8_t *q = p + 2 * (1000 - levels);
      size_t qn = 2 * levels + 1;
      ami_axdr_dec d;
      ami_axdr_value v;
      int rc;
      ami_axdr_dec_init(&d, q, qn);
      assert_ami_ok(ami_axdr_dec_set_max_depth(&d, limit));
      while ((rc = ami_axdr_next(&d, &v)) == AMI_OK) {
      }
      assert_ami(levels <= limit ? AMI_AXDR_END : AMI_E_DEPTH, rc);
    }
  }
  /* The default limit is 16. */
  assert_ami_ok(
      ami_axdr_validate(ami_span_make(p + 2 * (1000 - 16), 33), NULL));
  assert_ami(AMI_E_DEPTH,
             ami_axdr_validate(ami_span_make(p + 2 * (1000 - 17), 35), NULL));
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, p, n);
  assert_ami(AMI_E_INVAL, ami_axdr_dec_set_max_depth(&d, 0));
  assert_ami(AMI_E_INVAL,
             ami_axdr_dec_set_max_depth(&d, AMI_AXDR_MAX_DEPTH + 1));
  free(p);
}

/* Counts that cannot fit the input fail at the header, not after 2^32
 * steps; so do lengths. */
static void test_count_bombs(void **state) {
  (void)state;
  static const char *bombs[] = {
      "01 84 FF FF FF FF 00",             /* array of 2^32-1 */
      "02 84 FF FF FF FF 00",             /* structure */
      "09 84 FF FF FF FF 00",             /* octet-string */
      "04 84 FF FF FF FF 00",             /* bit-string */
      "13 02 84 FF FF FF FF 06 00",       /* compact description */
      "13 06 84 FF FF FF FF 00 00 00 01", /* compact contents */
      "01 03 11 01 11 02",                /* one element short */
  };
  for (size_t i = 0; i < sizeof bombs / sizeof bombs[0]; i++) {
    size_t n;
    uint8_t *p = ami_test_hex(bombs[i], &n);
    ami_axdr_dec d;
    ami_axdr_value v;
    ami_axdr_dec_init(&d, p, n);
    int rc, steps = 0;
    while ((rc = ami_axdr_next(&d, &v)) == AMI_OK)
      steps++;
    assert_ami(AMI_E_TRUNCATED, rc);
    /* The bombs fail at their header; the last case after its two
     * elements. */
    assert_int_equal(steps, i + 1 < sizeof bombs / sizeof bombs[0] ? 0 : 3);
    free(p);
  }
}

static void test_bad_tags_and_lengths(void **state) {
  (void)state;
  static const struct {
    const char *hex;
    int err;
  } cases[] = {
      {"07 00 00 00 00", AMI_E_BAD_TAG}, /* floating-point: not a Data type */
      {"08", AMI_E_BAD_TAG},
      {"0B 00", AMI_E_BAD_TAG},
      {"0E 00", AMI_E_BAD_TAG},
      {"22 00", AMI_E_BAD_TAG},
      {"80", AMI_E_BAD_TAG},
      {"FE", AMI_E_BAD_TAG},
      {"02 01 07", AMI_E_BAD_TAG},
      {"09 80", AMI_E_BAD_LENGTH},
      {"09 85 00 00 00 00 01 00", AMI_E_BAD_LENGTH},
      {"01 FF", AMI_E_BAD_LENGTH},
      {"13 09 80", AMI_E_BAD_LENGTH},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t n;
    uint8_t *p = ami_test_hex(cases[i].hex, &n);
    assert_ami(cases[i].err, ami_axdr_validate(ami_span_make(p, n), NULL));
    /* The error is sticky. */
    ami_axdr_dec d;
    ami_axdr_value v;
    ami_axdr_dec_init(&d, p, n);
    int rc;
    while ((rc = ami_axdr_next(&d, &v)) == AMI_OK) {
    }
    assert_ami(cases[i].err, rc);
    assert_ami(cases[i].err, ami_axdr_next(&d, &v));
    free(p);
  }
  assert_null(ami_axdr_type_name(7));
  assert_null(ami_axdr_type_name(34));
  assert_string_equal(ami_axdr_type_name(255), "dont-care");
  assert_int_equal(ami_axdr_fixed_size(AMI_AXDR_DATE_TIME), 12);
  assert_int_equal(ami_axdr_fixed_size(AMI_AXDR_OCTET_STRING), -1);
  assert_int_equal(ami_axdr_fixed_size(11), -1);
}

/* Non-minimal lengths and booleans other than 0/1 are accepted, flagged,
 * and re-encoded canonically. */
static void test_non_canonical_input(void **state) {
  (void)state;
  size_t n;
  uint8_t *p = ami_test_hex("02 82 00 02 09 81 05 68 65 6C 6C 6F 03 05", &n);
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, p, n);
  uint32_t k;
  ami_span s;
  bool b = false;
  assert_ami_ok(ami_axdr_get_struct(&d, &k));
  assert_int_equal(k, 2);
  assert_false(d.canonical);
  assert_ami_ok(ami_axdr_get_octets(&d, &s));
  assert_memory_equal(s.p, "hello", 5);
  assert_ami_ok(ami_axdr_get_bool(&d, &b));
  assert_true(b);

  ami_axdr_value items[MAX_ITEMS];
  size_t count;
  assert_ami(AMI_AXDR_END, decode_items(p, n, items, &count));
  uint8_t out[32];
  ami_wr w;
  ami_wr_init(&w, out, sizeof out);
  for (size_t i = 0; i < count; i++)
    ami_axdr_put_value(&w, &items[i]);
  ami_test_assert_bytes(out, w.len, "02 02 09 05 68 65 6C 6C 6F 03 01");
  free(p);

  static const uint8_t one_bool[] = {0x03, 0x01};
  ami_axdr_dec_init(&d, one_bool, 2);
  assert_ami_ok(ami_axdr_get_bool(&d, &b));
  assert_true(d.canonical);
}

/* ---- dates --------------------------------------------------------------- */

static void test_date_types(void **state) {
  (void)state;
  size_t n;
  /* date-time 25, date 26, time 27, and the octet-string(12/5/4) forms. */
  uint8_t *p = ami_test_hex("02 06"
                            " 19 07 EA 0B 16 07 04 03 04 0E FF C4 80"
                            " 1A 07 EA 0B 16 07"
                            " 1B 17 3B 3B 63"
                            " 09 0C FF FF 0C 19 FF FF FF FF FF 80 00 FF"
                            " 09 05 FF FF FE FE 07"
                            " 09 04 FF FF FF FF",
                            &n);
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, p, n);
  uint32_t k;
  ami_cosem_datetime dt;
  ami_cosem_date date;
  ami_cosem_time tm;
  assert_ami_ok(ami_axdr_get_struct(&d, &k));
  assert_ami(AMI_E_BAD_TAG, ami_axdr_get_date(&d, &date));
  assert_ami_ok(ami_axdr_get_datetime(&d, &dt));
  assert_int_equal(dt.date.year, 2026);
  assert_int_equal(dt.time.hundredths, 14);
  assert_int_equal(dt.deviation, -60);
  assert_int_equal(dt.status, AMI_COSEM_STATUS_DST_ACTIVE);
  assert_ami_ok(ami_axdr_get_date(&d, &date));
  assert_int_equal(date.day_of_week, 7);
  assert_ami(AMI_E_BAD_TAG, ami_axdr_get_datetime(&d, &dt));
  assert_ami_ok(ami_axdr_get_time(&d, &tm));
  assert_int_equal(tm.hour, 23);
  assert_int_equal(tm.hundredths, 99);
  /* octet-string(12) is a date-time, not a date or a time. */
  assert_ami(AMI_E_BAD_TAG, ami_axdr_get_date(&d, &date));
  assert_ami(AMI_E_BAD_TAG, ami_axdr_get_time(&d, &tm));
  assert_ami_ok(ami_axdr_get_datetime(&d, &dt));
  assert_int_equal(dt.date.year, AMI_COSEM_YEAR_UNSPEC);
  assert_int_equal(dt.date.month, 12);
  assert_int_equal(dt.date.day, 25);
  assert_int_equal(dt.deviation, AMI_COSEM_DEVIATION_UNSPEC);
  assert_ami_ok(ami_axdr_get_date(&d, &date));
  assert_int_equal(date.month, AMI_COSEM_MONTH_DST_BEGIN);
  assert_int_equal(date.day, AMI_COSEM_DAY_LAST);
  assert_ami_ok(ami_axdr_get_time(&d, &tm));
  assert_int_equal(tm.second, AMI_COSEM_UNSPEC);
  assert_true(ami_axdr_done(&d));
  assert_reencodes(p, n);
  assert_every_truncation(p, n);

  /* The encoders write the same bytes. */
  uint8_t out[64];
  ami_wr w;
  ami_wr_init(&w, out, sizeof out);
  ami_cosem_datetime x;
  ami_cosem_datetime_decode(p + 3, &x);
  ami_axdr_put_datetime(&w, &x);
  ami_axdr_put_date(&w, &x.date);
  ami_axdr_put_time(&w, &x.time);
  ami_axdr_put_datetime_octets(&w, &x);
  ami_test_assert_bytes(out, w.len,
                        "19 07 EA 0B 16 07 04 03 04 0E FF C4 80"
                        " 1A 07 EA 0B 16 07 1B 04 03 04 0E"
                        " 09 0C 07 EA 0B 16 07 04 03 04 0E FF C4 80");
  free(p);
}

/* ---- compact arrays ------------------------------------------------------ */

/* Array of double-long-unsigned: description 06, contents 3 x 4 bytes. */
static void test_compact_simple(void **state) {
  (void)state;
  size_t n;
  uint8_t *p = ami_test_hex("13 06 0C 00 00 00 01 00 00 00 02 FF FF FF FF", &n);
  ami_axdr_value items[MAX_ITEMS];
  size_t count;
  assert_ami(AMI_AXDR_END, decode_items(p, n, items, &count));
  assert_int_equal(count, 4);
  assert_int_equal(items[0].tag, AMI_AXDR_COMPACT_ARRAY);
  assert_int_equal(items[0].count, 3);
  assert_int_equal(items[0].v.ca.td.len, 1);
  assert_int_equal(items[0].v.ca.contents.len, 12);
  assert_int_equal(items[0].flags, 0);
  for (size_t i = 1; i < 4; i++) {
    assert_int_equal(items[i].tag, AMI_AXDR_DOUBLE_LONG_UNSIGNED);
    assert_int_equal(items[i].flags, AMI_AXDR_F_COMPACT);
    assert_int_equal(items[i].depth, 1);
  }
  assert_int_equal(items[1].v.u, 1);
  assert_int_equal(items[3].v.u, 0xFFFFFFFFu);

  /* Typed getters work on compact elements too. */
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, p, n);
  ami_axdr_value hdr;
  uint32_t x;
  uint16_t y;
  assert_ami_ok(ami_axdr_next(&d, &hdr));
  assert_ami(AMI_E_BAD_TAG, ami_axdr_get_u16(&d, &y));
  for (uint32_t i = 0; i < 3; i++)
    assert_ami_ok(ami_axdr_get_u32(&d, &x));
  assert_true(ami_axdr_done(&d));

  /* Built with the encoder: same bytes. */
  uint8_t tdb[4], out[32];
  ami_wr tw, w;
  ami_wr_init(&tw, tdb, sizeof tdb);
  ami_axdr_td_simple(&tw, AMI_AXDR_DOUBLE_LONG_UNSIGNED);
  ami_wr_init(&w, out, sizeof out);
  ami_axdr_compact c;
  ami_axdr_put_compact_begin(&w, ami_span_make(tdb, tw.len), &c);
  ami_axdr_raw_u32(&w, 1);
  ami_axdr_raw_u32(&w, 2);
  ami_axdr_raw_u32(&w, 0xFFFFFFFF);
  ami_axdr_put_compact_end(&w, &c);
  assert_ami_ok(w.err);
  assert_int_equal(w.len, n);
  assert_memory_equal(out, p, n);
  /* put_value of the header item writes the whole compact array. */
  ami_wr_init(&w, out, sizeof out);
  ami_axdr_put_value(&w, &items[0]);
  assert_int_equal(w.len, n);
  assert_memory_equal(out, p, n);

  assert_reencodes(p, n);
  assert_every_truncation(p, n);
  free(p);
}

/* structure {long-unsigned, octet-string, array[2] of unsigned} elements:
 * strings keep their length inside the contents; nested descriptions. */
static void test_compact_structured(void **state) {
  (void)state;
  size_t n;
  uint8_t *p = ami_test_hex("13 02 03 12 09 01 00 02 11"
                            " 0C"
                            " 00 01 02 41 42 07 08"
                            " 00 02 00 09 0A",
                            &n);
  ami_axdr_value items[MAX_ITEMS];
  size_t count;
  assert_ami(AMI_AXDR_END, decode_items(p, n, items, &count));
  /* header + 2 x (structure + u16 + octets + array + 2 x u8) */
  assert_int_equal(count, 13);
  assert_int_equal(items[0].count, 2);
  static const uint8_t tags[] = {19, 2, 18, 9, 1, 17, 17, 2, 18, 9, 1, 17, 17};
  static const uint8_t depths[] = {0, 1, 2, 2, 2, 3, 3, 1, 2, 2, 2, 3, 3};
  for (size_t i = 0; i < count; i++) {
    assert_int_equal(items[i].tag, tags[i]);
    assert_int_equal(items[i].depth, depths[i]);
    assert_int_equal(items[i].flags, i == 0 ? 0 : AMI_AXDR_F_COMPACT);
  }
  assert_int_equal(items[1].count, 3);
  assert_int_equal(items[2].v.u, 1);
  assert_int_equal(items[3].v.s.len, 2);
  assert_memory_equal(items[3].v.s.p, "AB", 2);
  assert_int_equal(items[4].count, 2);
  assert_int_equal(items[6].v.u, 8);
  assert_int_equal(items[9].v.s.len, 0);
  assert_int_equal(items[12].v.u, 0x0A);

  /* Building the description with the td_* helpers gives the same bytes. */
  uint8_t tdb[16];
  ami_wr tw;
  ami_wr_init(&tw, tdb, sizeof tdb);
  ami_axdr_td_struct(&tw, 3);
  ami_axdr_td_simple(&tw, AMI_AXDR_LONG_UNSIGNED);
  ami_axdr_td_simple(&tw, AMI_AXDR_OCTET_STRING);
  ami_axdr_td_array(&tw, 2);
  ami_axdr_td_simple(&tw, AMI_AXDR_UNSIGNED);
  ami_test_assert_bytes(tdb, tw.len, "02 03 12 09 01 00 02 11");

  /* Nested inside a structure, next to ordinary values. */
  size_t m;
  uint8_t *q = ami_test_hex("02 04 11 05 13 11 02 01 02 13 11 00 11 06", &m);
  assert_ami(AMI_AXDR_END, decode_items(q, m, items, &count));
  assert_int_equal(count, 7);
  assert_int_equal(items[2].count, 2);
  assert_int_equal(items[3].flags, AMI_AXDR_F_COMPACT);
  assert_int_equal(items[4].v.u, 2);
  assert_int_equal(items[5].tag, AMI_AXDR_COMPACT_ARRAY);
  assert_int_equal(items[5].count, 0); /* empty compact array */
  assert_int_equal(items[6].tag, AMI_AXDR_UNSIGNED);
  assert_int_equal(items[6].flags, 0);
  assert_int_equal(items[6].depth, 1);
  assert_reencodes(q, m);
  assert_every_truncation(q, m);
  free(q);

  assert_reencodes(p, n);
  assert_every_truncation(p, n);
  free(p);
}

/* Contents of more than 127 bytes: the encoder widens the length. */
static void test_compact_long_contents(void **state) {
  (void)state;
  uint8_t out[1200], tdb[1] = {AMI_AXDR_LONG_UNSIGNED};
  ami_wr w;
  ami_wr_init(&w, out, sizeof out);
  ami_axdr_compact c;
  ami_axdr_put_compact_begin(&w, ami_span_make(tdb, 1), &c);
  for (unsigned i = 0; i < 300; i++)
    ami_axdr_raw_u16(&w, (uint16_t)(i * 3));
  ami_axdr_put_compact_end(&w, &c);
  assert_ami_ok(w.err);
  ami_test_assert_bytes(out, 6, "13 12 82 02 58 00");
  assert_int_equal(w.len, 5 + 600);
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, out, w.len);
  ami_axdr_value v;
  assert_ami_ok(ami_axdr_next(&d, &v));
  assert_int_equal(v.count, 300);
  for (unsigned i = 0; i < 300; i++) {
    uint16_t x;
    assert_ami_ok(ami_axdr_get_u16(&d, &x));
    assert_int_equal(x, i * 3);
  }
  assert_true(ami_axdr_done(&d));
  assert_reencodes(out, w.len);

  /* No room to widen: sticky BUFFER_FULL, nothing corrupted past cap. */
  ami_wr_init(&w, out, 5 + 200);
  ami_axdr_put_compact_begin(&w, ami_span_make(tdb, 1), &c);
  for (unsigned i = 0; i < 101; i++)
    ami_axdr_raw_u16(&w, (uint16_t)i);
  ami_axdr_put_compact_end(&w, &c);
  assert_ami(AMI_E_BUFFER_FULL, w.err);
}

static void test_compact_hostile(void **state) {
  (void)state;
  static const struct {
    const char *hex;
    int err;
  } cases[] = {
      {"13 06 05 00 00 00 01 02", AMI_E_INCONSISTENT}, /* 5 bytes of u32 */
      {"13 09 03 05 41 42", AMI_E_INCONSISTENT},       /* string overruns */
      {"13 02 02 11 09 02 01 05", AMI_E_INCONSISTENT}, /* struct overruns */
      {"13 04 02 09 FF", AMI_E_INCONSISTENT},          /* 9 bits, 1 byte */
      {"13 00 00", AMI_E_UNSUPPORTED},                 /* null-data */
      {"13 FF 00", AMI_E_UNSUPPORTED},                 /* dont-care */
      {"13 02 00 00", AMI_E_UNSUPPORTED},              /* empty structure */
      {"13 01 00 00 11 00", AMI_E_UNSUPPORTED},        /* array of 0 */
      {"13 02 02 11 00 02", AMI_E_UNSUPPORTED},        /* struct with null */
      {"13 13 06 00", AMI_E_UNSUPPORTED},              /* nested compact */
      {"13 07 00", AMI_E_BAD_TAG},
      {"13 02 01 22 00", AMI_E_BAD_TAG},
      {"13 09 01 80", AMI_E_BAD_LENGTH},
      {"13 01 FF FF 01 FF FF 11 00", AMI_OK},          /* no elements: fine */
      {"13 01 FF FF 11 02 01 02", AMI_E_INCONSISTENT}, /* 65535 needed */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t n;
    uint8_t *p = ami_test_hex(cases[i].hex, &n);
    int rc = ami_axdr_validate(ami_span_make(p, n), NULL);
    if (rc != cases[i].err)
      fail_msg("case %zu (%s): %s, expected %s", i, cases[i].hex,
               ami_err_name(rc), ami_err_name(cases[i].err));
    free(p);
  }
  /* A description nested beyond the depth limit. */
  uint8_t deep[2 + 3 * 20 + 4];
  size_t k = 0;
  deep[k++] = 0x13;
  for (int i = 0; i < 20; i++) {
    deep[k++] = 0x01;
    deep[k++] = 0x00;
    deep[k++] = 0x01;
  }
  deep[k++] = 0x11;
  deep[k++] = 0x01;
  deep[k++] = 0x07;
  assert_ami(AMI_E_DEPTH, ami_axdr_validate(ami_span_make(deep, k), NULL));
  ami_axdr_dec d;
  ami_axdr_value v;
  int rc;
  ami_axdr_dec_init(&d, deep, k);
  assert_ami_ok(ami_axdr_dec_set_max_depth(&d, 21));
  while ((rc = ami_axdr_next(&d, &v)) == AMI_OK) {
  }
  assert_ami(AMI_AXDR_END, rc);
  assert_int_equal(d.end, k);
}

/* ---- profile rows: the hot path ------------------------------------------ */

/* array of N x structure {date-time octet-string(12), status unsigned,
 * 4 x double-long-unsigned}: the buffer of a Profile Generic object. */
static void test_profile_rows(void **state) {
  (void)state;
  const uint32_t rows = 10000;
  size_t cap = 8 + (size_t)rows * 40;
  uint8_t *buf = malloc(cap);
  assert_non_null(buf);
  ami_wr w;
  ami_wr_init(&w, buf, cap);
  ami_axdr_put_array(&w, rows);
  ami_cosem_datetime dt;
  assert_ami_ok(ami_cosem_datetime_from_utc(1795000000, 0, 60,
                                            AMI_COSEM_DEV_STANDARD, 0, &dt));
  for (uint32_t r = 0; r < rows; r++) {
    dt.time.minute = (uint8_t)(r % 60);
    ami_axdr_put_struct(&w, 6);
    ami_axdr_put_datetime_octets(&w, &dt);
    ami_axdr_put_u8(&w, (uint8_t)r);
    for (uint32_t k = 0; k < 4; k++)
      ami_axdr_put_u32(&w, r * 4 + k);
  }
  assert_ami_ok(w.err);
  ami_test_assert_bytes(buf, 4, "01 82 27 10");
  assert_int_equal(w.len, 4 + (size_t)rows * 38);

  ami_axdr_dec d;
  ami_axdr_dec_init(&d, buf, w.len);
  uint32_t n, f;
  assert_ami_ok(ami_axdr_get_array(&d, &n));
  assert_int_equal(n, rows);
  for (uint32_t r = 0; r < rows; r++) {
    ami_cosem_datetime t;
    uint8_t status;
    uint32_t x;
    assert_ami_ok(ami_axdr_get_struct(&d, &f));
    assert_int_equal(f, 6);
    assert_ami_ok(ami_axdr_get_datetime(&d, &t));
    assert_int_equal(t.time.minute, r % 60);
    assert_int_equal(t.deviation, -60);
    assert_ami_ok(ami_axdr_get_u8(&d, &status));
    assert_int_equal(status, (uint8_t)r);
    for (uint32_t k = 0; k < 4; k++) {
      assert_ami_ok(ami_axdr_get_u32(&d, &x));
      assert_int_equal(x, r * 4 + k);
    }
  }
  assert_true(ami_axdr_done(&d));
  assert_int_equal(ami_axdr_trailing(&d), 0);
  size_t used;
  assert_ami_ok(ami_axdr_validate(ami_span_make(buf, w.len), &used));
  assert_int_equal(used, w.len);
  free(buf);
}

/* ---- encoder errors ------------------------------------------------------ */

static void test_encoder_errors(void **state) {
  (void)state;
  uint8_t out[4];
  ami_wr w;
  ami_wr_init(&w, out, sizeof out);
  ami_axdr_put_u32(&w, 1); /* 5 bytes into 4 */
  assert_ami(AMI_E_BUFFER_FULL, w.err);
  assert_int_equal(w.len, 0);

  ami_wr_init(&w, out, sizeof out);
  ami_axdr_value v = ami_axdr_v_uint(7, 0);
  ami_axdr_put_value(&w, &v);
  assert_ami(AMI_E_BAD_TAG, w.err);

  ami_wr_init(&w, out, sizeof out);
  v = ami_axdr_v_bytes(AMI_AXDR_BIT_STRING, "\x01", 1);
  v.count = 9; /* claims more bits than the span holds */
  ami_axdr_put_value(&w, &v);
  assert_ami(AMI_E_INVAL, w.err);

  if (sizeof(size_t) > 4) {
    ami_wr_init(&w, out, sizeof out);
    ami_axdr_put_len(&w, (size_t)0xFFFFFFFFu + 1);
    assert_ami(AMI_E_RANGE, w.err);
  }

  /* Constructors and value helpers. */
  v = ami_axdr_v_int(AMI_AXDR_LONG, -5);
  uint8_t o2[8];
  ami_wr_init(&w, o2, sizeof o2);
  ami_axdr_put_value(&w, &v);
  ami_test_assert_bytes(o2, w.len, "10 FF FB");
  v = ami_axdr_v_container(AMI_AXDR_STRUCTURE, 2);
  ami_wr_init(&w, o2, sizeof o2);
  ami_axdr_put_value(&w, &v);
  ami_test_assert_bytes(o2, w.len, "02 02");
  v = ami_axdr_v_uint(AMI_AXDR_FLOAT32, 0x40490FDBu);
  assert_true(ami_axdr_value_f64(&v) == (double)3.14159274101257324f);
  v = ami_axdr_v_uint(AMI_AXDR_FLOAT64, 0x400921FB54442D18ull);
  assert_true(ami_axdr_value_f64(&v) == 3.141592653589793);
}

/* ---- selective access ---------------------------------------------------- */

/* range_descriptor on the clock column, from/to as date-time octet-strings,
 * all columns; written from the Blue Book grammar (ami_selective.h). */
static const char range_hex[] =
    "02 04"
    " 02 04 12 00 08 09 06 00 00 01 00 00 FF 0F 02 12 00 00"
    " 09 0C 07 EA 0B 16 07 00 00 00 00 FF C4 00"
    " 09 0C 07 EA 0B 17 01 00 00 00 00 FF C4 00"
    " 01 00";

static void test_selective_range(void **state) {
  (void)state;
  size_t n;
  uint8_t *p = ami_test_hex(range_hex, &n);
  ami_selective_column cols[4];
  ami_selective_range r;
  memset(&r, 0, sizeof r);
  r.columns = cols;
  r.columns_cap = 4;
  size_t used;
  assert_ami_ok(ami_selective_range_decode(ami_span_make(p, n), &r, &used));
  assert_int_equal(used, n);
  assert_int_equal(r.restricting_object.class_id, 8);
  ami_obis clock = ami_obis_make(0, 0, 1, 0, 0, 255);
  assert_true(ami_obis_eq(&r.restricting_object.logical_name, &clock));
  assert_int_equal(r.restricting_object.attribute_index, 2);
  assert_int_equal(r.restricting_object.data_index, 0);
  assert_int_equal(r.from_value.len, 14);
  assert_ptr_equal(r.from_value.p, p + 20); /* borrowed */
  assert_int_equal(r.to_value.len, 14);
  assert_int_equal(r.ncolumns, 0);

  uint8_t out[128];
  ami_wr w;
  ami_wr_init(&w, out, sizeof out);
  ami_selective_range_encode(&w, &r);
  assert_ami_ok(w.err);
  ami_test_assert_bytes(out, w.len, range_hex);
  assert_every_truncation(p, n);

  /* With two selected columns. */
  cols[0] = r.restricting_object;
  cols[1].class_id = 3;
  cols[1].logical_name = ami_obis_make(1, 0, 1, 8, 0, 255);
  cols[1].attribute_index = 2;
  cols[1].data_index = 0;
  r.ncolumns = 2;
  ami_wr_init(&w, out, sizeof out);
  ami_selective_range_encode(&w, &r);
  assert_ami_ok(w.err);
  ami_test_assert_bytes(
      out + w.len - 38, 38,
      "01 02"
      " 02 04 12 00 08 09 06 00 00 01 00 00 FF 0F 02 12 00 00"
      " 02 04 12 00 03 09 06 01 00 01 08 00 FF 0F 02 12 00 00");
  ami_selective_range r2;
  ami_selective_column cols2[2];
  memset(&r2, 0, sizeof r2);
  r2.columns = cols2;
  r2.columns_cap = 2;
  assert_ami_ok(
      ami_selective_range_decode(ami_span_make(out, w.len), &r2, NULL));
  assert_int_equal(r2.ncolumns, 2);
  assert_int_equal(r2.columns[1].class_id, 3);
  r2.columns_cap = 1;
  assert_ami(AMI_E_LIMIT,
             ami_selective_range_decode(ami_span_make(out, w.len), &r2, NULL));

  /* Wrong shapes. */
  static const char *bad[] = {
      "02 03 02 04 12 00 08 09 06 00 00 01 00 00 FF 0F 02 12 00 00 00 00",
      "02 04 02 04 12 00 08 09 05 00 00 01 00 00 0F 02 12 00 00 00 00 01 00",
      "02 04 02 04 11 08 09 06 00 00 01 00 00 FF 0F 02 12 00 00 00 00 01 00",
  };
  static const int bad_err[] = {AMI_E_INCONSISTENT, AMI_E_INCONSISTENT,
                                AMI_E_BAD_TAG};
  for (size_t i = 0; i < 3; i++) {
    size_t bn;
    uint8_t *b = ami_test_hex(bad[i], &bn);
    r2.columns_cap = 2;
    assert_ami(bad_err[i],
               ami_selective_range_decode(ami_span_make(b, bn), &r2, NULL));
    free(b);
  }
  free(p);
}

static void test_selective_entry(void **state) {
  (void)state;
  static const char hex[] =
      "02 04 06 00 00 00 01 06 00 00 00 00 12 00 01 12 00 00";
  size_t n;
  uint8_t *p = ami_test_hex(hex, &n);
  ami_selective_entry e;
  size_t used;
  assert_ami_ok(ami_selective_entry_decode(ami_span_make(p, n), &e, &used));
  assert_int_equal(used, n);
  assert_int_equal(e.from_entry, 1);
  assert_int_equal(e.to_entry, 0);
  assert_int_equal(e.from_selected_value, 1);
  assert_int_equal(e.to_selected_value, 0);
  uint8_t out[32];
  ami_wr w;
  ami_wr_init(&w, out, sizeof out);
  ami_selective_entry_encode(&w, &e);
  ami_test_assert_bytes(out, w.len, hex);
  assert_every_truncation(p, n);
  p[1] = 0x03;
  assert_ami(AMI_E_INCONSISTENT,
             ami_selective_entry_decode(ami_span_make(p, n), &e, NULL));
  free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_get_response_data),
      cmocka_unit_test(test_data_notification_body),
      cmocka_unit_test(test_clock_vector),
      cmocka_unit_test(test_gurux_association_view),
      cmocka_unit_test(test_gurux_clock_in_sessions),
      cmocka_unit_test(test_scalar_encodings),
      cmocka_unit_test(test_typed_putters_and_getters),
      cmocka_unit_test(test_length_boundaries),
      cmocka_unit_test(test_empty_strings_and_containers),
      cmocka_unit_test(test_nesting_and_skip),
      cmocka_unit_test(test_depth_limit),
      cmocka_unit_test(test_count_bombs),
      cmocka_unit_test(test_bad_tags_and_lengths),
      cmocka_unit_test(test_non_canonical_input),
      cmocka_unit_test(test_date_types),
      cmocka_unit_test(test_compact_simple),
      cmocka_unit_test(test_compact_structured),
      cmocka_unit_test(test_compact_long_contents),
      cmocka_unit_test(test_compact_hostile),
      cmocka_unit_test(test_profile_rows),
      cmocka_unit_test(test_encoder_errors),
      cmocka_unit_test(test_selective_range),
      cmocka_unit_test(test_selective_entry),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
