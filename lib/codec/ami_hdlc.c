/*
 * ami_hdlc.c -- HDLC frames of IEC 62056-46: addresses, the control field,
 * the one-shot frame decoder and encoder, and the streaming deframer.
 *
 * The one-shot decoder and the deframer share the same two checks,
 * parse_header() and check_rest(), called in the same order, so a frame fed
 * in pieces gets exactly the verdict it gets in one piece.
 */
#include "ami/ami_hdlc.h"

#include "ami/ami_crc.h"

/* Fuzzing builds accept any HCS/FCS so the fuzzer gets past them (see the
 * header). The CRC is still computed, so its code stays exercised. */
#ifdef AMI_FUZZING
#define CRC_MATCHES(calc, got) ((void)(calc), (void)(got), 1)
#else
#define CRC_MATCHES(calc, got) ((calc) == (got))
#endif

/* A CRC as transmitted: least significant byte first. */
static uint16_t get_crc(const uint8_t *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}

static void put_crc(uint8_t *p, uint16_t crc) {
  p[0] = (uint8_t)crc;
  p[1] = (uint8_t)(crc >> 8);
}

/* ---------------------------------------------------------------------- */
/* Addresses                                                               */

/* IEC 62056-46, address field: each byte carries 7 address bits above an
 * extension bit that is 1 only in the last byte. Upper and lower parts are
 * 7 bits each in the 2-byte form and 14 bits each (two bytes apiece) in the
 * 4-byte form. */
int ami_hdlc_addr_encode(ami_wr *w, const ami_hdlc_addr *a) {
  uint8_t b[4];
  switch (a->size) {
  case 1:
    if (a->upper > 0x7F || a->lower != 0)
      return AMI_E_HDLC_ADDRESS;
    b[0] = (uint8_t)(a->upper << 1 | 1);
    break;
  case 2:
    if (a->upper > 0x7F || a->lower > 0x7F)
      return AMI_E_HDLC_ADDRESS;
    b[0] = (uint8_t)(a->upper << 1);
    b[1] = (uint8_t)(a->lower << 1 | 1);
    break;
  case 4:
    if (a->upper > 0x3FFF || a->lower > 0x3FFF)
      return AMI_E_HDLC_ADDRESS;
    b[0] = (uint8_t)((a->upper >> 7) << 1);
    b[1] = (uint8_t)((a->upper & 0x7F) << 1);
    b[2] = (uint8_t)((a->lower >> 7) << 1);
    b[3] = (uint8_t)((a->lower & 0x7F) << 1 | 1);
    break;
  default:
    return AMI_E_HDLC_ADDRESS;
  }
  ami_wr_bytes(w, b, a->size);
  return w->err;
}

int ami_hdlc_addr_decode(ami_rd *r, ami_hdlc_addr *a) {
  const uint8_t *p = ami_rd_ptr(r);
  size_t left = ami_rd_left(r);
  size_t n = 0;
  /* Find the terminating byte: at most 4 bytes. */
  for (;;) {
    if (n == 4)
      return AMI_E_HDLC_ADDRESS;
    if (n == left)
      return AMI_E_TRUNCATED;
    if (p[n++] & 1)
      break;
  }
  switch (n) {
  case 1:
    a->upper = (uint16_t)(p[0] >> 1);
    a->lower = 0;
    break;
  case 2:
    a->upper = (uint16_t)(p[0] >> 1);
    a->lower = (uint16_t)(p[1] >> 1);
    break;
  case 4:
    a->upper = (uint16_t)((p[0] >> 1) << 7 | p[1] >> 1);
    a->lower = (uint16_t)((p[2] >> 1) << 7 | p[3] >> 1);
    break;
  default: /* 3 bytes: no such form */
    return AMI_E_HDLC_ADDRESS;
  }
  a->size = (uint8_t)n;
  r->pos += n;
  return AMI_OK;
}

/* ---------------------------------------------------------------------- */
/* Control field                                                           */

/* IEC 62056-46, control field. Bit 0 = 0: I frame (N(S) in bits 1-3, P/F in
 * bit 4, N(R) in bits 5-7). Bits 1-0 = 01: supervisory frame, the type in
 * bits 3-2. Bits 1-0 = 11: unnumbered frame, the type in the bits other than
 * P/F. Only the codes DLMS uses are listed; the rest are rejected. */
#define PF_BIT 0x10

static const struct {
  ami_hdlc_kind kind;
  uint8_t code; /* with P/F and N(R) zero */
  bool has_nr;
} control_codes[] = {
    {AMI_HDLC_RR, 0x01, true},    {AMI_HDLC_RNR, 0x05, true},
    {AMI_HDLC_SNRM, 0x83, false}, {AMI_HDLC_DISC, 0x43, false},
    {AMI_HDLC_UA, 0x63, false},   {AMI_HDLC_DM, 0x0F, false},
    {AMI_HDLC_FRMR, 0x87, false}, {AMI_HDLC_UI, 0x03, false},
};
#define N_CONTROL_CODES (sizeof control_codes / sizeof control_codes[0])

int ami_hdlc_control_decode(uint8_t byte, ami_hdlc_control *c) {
  c->pf = (byte & PF_BIT) != 0;
  c->ns = 0;
  c->nr = 0;
  if ((byte & 1) == 0) {
    c->kind = AMI_HDLC_I;
    c->ns = (uint8_t)(byte >> 1 & 7);
    c->nr = (uint8_t)(byte >> 5);
    return AMI_OK;
  }
  for (size_t i = 0; i < N_CONTROL_CODES; i++) {
    uint8_t mask = control_codes[i].has_nr ? 0x0F : (uint8_t)~PF_BIT;
    if ((byte & mask) == control_codes[i].code) {
      c->kind = control_codes[i].kind;
      if (control_codes[i].has_nr)
        c->nr = (uint8_t)(byte >> 5);
      return AMI_OK;
    }
  }
  return AMI_E_HDLC_CONTROL;
}

int ami_hdlc_control_encode(const ami_hdlc_control *c, uint8_t *byte) {
  uint8_t pf = c->pf ? PF_BIT : 0;
  if (c->ns > 7 || c->nr > 7)
    return AMI_E_HDLC_CONTROL;
  if (c->kind == AMI_HDLC_I) {
    *byte = (uint8_t)(c->nr << 5 | pf | c->ns << 1);
    return AMI_OK;
  }
  for (size_t i = 0; i < N_CONTROL_CODES; i++) {
    if (control_codes[i].kind != c->kind)
      continue;
    if (c->ns != 0 || (!control_codes[i].has_nr && c->nr != 0))
      return AMI_E_HDLC_CONTROL;
    *byte = (uint8_t)(control_codes[i].code | pf | c->nr << 5);
    return AMI_OK;
  }
  return AMI_E_HDLC_CONTROL;
}

/* ---------------------------------------------------------------------- */
/* Frame decoding, shared by the one-shot decoder and the deframer         */

/* What the header of a frame says. */
typedef struct hdr {
  size_t total;    /* L: bytes between the flags */
  size_t ctl_off;  /* offset of the control byte */
  size_t info_off; /* offset of the information field */
  size_t info_len; /* 0: no HCS, no information */
  bool segmented;
  ami_hdlc_addr dst, src;
} hdr;

/* Parses the head of a frame body `b` (the bytes after the opening flag), of
 * which `have` bytes are present: format, addresses, control, and the HCS
 * when an information field follows. Returns AMI_E_TRUNCATED when more
 * bytes are needed. Each decision rests only on bytes already present (and
 * within L), so any other verdict never changes when more bytes arrive, and
 * min(L, 13) bytes always suffice for one: the one-shot decoder and the
 * deframer, however it was fed, agree. IEC 62056-46: frame format type 3. */
static int parse_header(const uint8_t *b, size_t have, hdr *h) {
  if (have < 2)
    return AMI_E_TRUNCATED;
  unsigned format = (unsigned)(b[0] << 8 | b[1]);
  if (format >> 12 != AMI_HDLC_FORMAT_TYPE)
    return AMI_E_HDLC_FORMAT;
  h->total = format & 0x7FF;
  h->segmented = (format & 0x800) != 0;
  if (h->total < AMI_HDLC_MIN_LEN)
    return AMI_E_HDLC_FORMAT;
  size_t lim = have < h->total ? have : h->total;
  ami_rd r;
  ami_rd_init(&r, b, lim);
  r.pos = 2;
  int rc = ami_hdlc_addr_decode(&r, &h->dst);
  if (rc == AMI_OK)
    rc = ami_hdlc_addr_decode(&r, &h->src);
  if (rc == AMI_OK && r.pos == lim)
    rc = AMI_E_TRUNCATED; /* the control byte is missing */
  if (rc == AMI_E_TRUNCATED && lim == h->total)
    return AMI_E_HDLC_FORMAT; /* L too small for the header */
  if (rc != AMI_OK)
    return rc;
  h->ctl_off = r.pos;
  size_t after = h->total - (h->ctl_off + 1); /* HCS + info + FCS, or FCS */
  if (after == 2) {                           /* no information field */
    h->info_off = h->total - 2;
    h->info_len = 0;
    return AMI_OK;
  }
  if (after < 5) /* too short for HCS + information + FCS */
    return AMI_E_HDLC_FORMAT;
  size_t hcs_off = h->ctl_off + 1;
  if (have < hcs_off + 2)
    return AMI_E_TRUNCATED;
  if (!CRC_MATCHES(ami_crc16_x25(b, hcs_off), get_crc(b + hcs_off)))
    return AMI_E_HDLC_HCS;
  h->info_off = hcs_off + 2;
  h->info_len = after - 4;
  return AMI_OK;
}

/* Completes the checks on a whole body `b` (h->total bytes) whose header
 * parse_header() accepted: FCS, then the control field; fills *f. */
static int check_rest(const uint8_t *b, const hdr *h, ami_hdlc_frame *f) {
  size_t n = h->total - 2;
  if (!CRC_MATCHES(ami_crc16_x25(b, n), get_crc(b + n)))
    return AMI_E_HDLC_FCS;
  int rc = ami_hdlc_control_decode(b[h->ctl_off], &f->control);
  if (rc != AMI_OK)
    return rc;
  f->dst = h->dst;
  f->src = h->src;
  f->segmented = h->segmented;
  f->info = ami_span_make(b + h->info_off, h->info_len);
  return AMI_OK;
}

int ami_hdlc_frame_decode(ami_span in, ami_hdlc_frame *f, size_t *used) {
  if (in.len == 0)
    return AMI_E_TRUNCATED;
  if (in.p[0] != AMI_HDLC_FLAG)
    return AMI_E_HDLC_FLAG;
  const uint8_t *b = in.p + 1;
  size_t have = in.len - 1;
  hdr h;
  int rc = parse_header(b, have, &h);
  if (rc != AMI_OK)
    return rc;
  if (have < h.total + 1)
    return AMI_E_TRUNCATED;
  if (b[h.total] != AMI_HDLC_FLAG)
    return AMI_E_HDLC_FLAG;
  rc = check_rest(b, &h, f);
  if (rc != AMI_OK)
    return rc;
  size_t n = h.total + 2;
  if (used != NULL)
    *used = n;
  else if (n != in.len)
    return AMI_E_TRAILING;
  return AMI_OK;
}

/* ---------------------------------------------------------------------- */
/* Frame encoding                                                          */

int ami_hdlc_frame_encode(ami_wr *w, const ami_hdlc_frame *f) {
  /* Build format..control in a scratch buffer first: its length decides L. */
  uint8_t head[AMI_HDLC_MAX_HEADER];
  ami_wr h;
  ami_wr_init(&h, head, sizeof head);
  ami_wr_u16be(&h, 0); /* the format field, filled in below */
  int rc = ami_hdlc_addr_encode(&h, &f->dst);
  if (rc == AMI_OK)
    rc = ami_hdlc_addr_encode(&h, &f->src);
  if (rc != AMI_OK)
    return rc;
  uint8_t ctl;
  rc = ami_hdlc_control_encode(&f->control, &ctl);
  if (rc != AMI_OK)
    return rc;
  ami_wr_u8(&h, ctl);

  size_t info = f->info.len;
  size_t total = h.len + (info ? 2 + info : 0) + 2;
  if (info > AMI_HDLC_MAX_LEN || total > AMI_HDLC_MAX_LEN)
    return AMI_E_HDLC_TOO_LONG;
  unsigned format = AMI_HDLC_FORMAT_TYPE << 12 | (f->segmented ? 0x800u : 0) |
                    (unsigned)total;
  head[0] = (uint8_t)(format >> 8);
  head[1] = (uint8_t)format;

  uint8_t *o = ami_wr_reserve(w, total + 2);
  if (o == NULL)
    return w->err;
  o[0] = AMI_HDLC_FLAG;
  uint8_t *b = o + 1;
  memcpy(b, head, h.len);
  size_t pos = h.len;
  if (info) {
    put_crc(b + pos, ami_crc16_x25(b, pos)); /* HCS */
    pos += 2;
    memcpy(b + pos, f->info.p, info);
    pos += info;
  }
  put_crc(b + pos, ami_crc16_x25(b, pos)); /* FCS */
  b[pos + 2] = AMI_HDLC_FLAG;
  return AMI_OK;
}

/* ---------------------------------------------------------------------- */
/* Streaming deframer (the states are drawn in ami_hdlc.h)                 */

enum { S_HUNT, S_FLAG, S_FORMAT, S_HEADER, S_BODY, S_CLOSE };

size_t ami_hdlc_deframer_pending(const ami_hdlc_deframer *d) {
  return d->state >= S_FORMAT ? d->have : 0;
}

void ami_hdlc_deframer_init(ami_hdlc_deframer *d, size_t max_info) {
  d->max_info = max_info;
  d->frames = 0;
  d->errors = 0;
  d->discarded = 0;
  ami_hdlc_deframer_reset(d);
}

void ami_hdlc_deframer_reset(ami_hdlc_deframer *d) {
  d->state = S_HUNT;
  d->have = 0;
  d->total = 0;
  d->rp = 0;
  d->re = 0;
}

static bool info_too_long(const ami_hdlc_deframer *d, const hdr *h) {
  return d->max_info != 0 && h->info_len > d->max_info;
}

/* The zero-copy path: in state FLAG, when the whole next frame and its
 * closing flag lie in `p`, check it in place and let the frame borrow the
 * caller's bytes. Any doubt (incomplete, or any error) returns false and the
 * ordinary byte-wise path takes over from the same position, so errors are
 * always reported by one path only. */
static bool try_in_place(ami_hdlc_deframer *d, const uint8_t *p, size_t n,
                         size_t *used, ami_hdlc_frame *f) {
  if (n < 2 || p[0] >> 4 != AMI_HDLC_FORMAT_TYPE)
    return false;
  size_t total = (size_t)((p[0] & 7) << 8 | p[1]);
  if (n < total + 1 || p[total] != AMI_HDLC_FLAG)
    return false;
  hdr h;
  if (parse_header(p, total, &h) != AMI_OK || info_too_long(d, &h) ||
      check_rest(p, &h, f) != AMI_OK)
    return false;
  *used = total + 1;
  return true;
}

/* Appends up to `want - have` bytes from src to the candidate. When
 * rescanning, src lies inside buf at or after buf + have: memmove. */
static size_t take(ami_hdlc_deframer *d, const uint8_t *src, size_t n,
                   size_t want) {
  size_t k = want - d->have;
  if (k > n)
    k = n;
  memmove(d->buf + d->have, src, k);
  d->have += k;
  return k;
}

/* After an error: keep every byte after the rejected opening flag for a
 * rescan. The candidate's bytes are buf[0..have); buf[0] (its first format
 * byte, never a flag) is dropped. When the error came while rescanning,
 * the unscanned rest (src, n, inside buf at or after buf + have) follows. */
static void rescan_after_error(ami_hdlc_deframer *d, const uint8_t *rest,
                               size_t n) {
  if (n > 0)
    memmove(d->buf + d->have, rest, n);
  d->rp = d->have ? 1 : 0;
  d->re = d->have + n;
  if (d->rp > d->re)
    d->rp = d->re;
  d->have = 0;
  d->state = S_HUNT;
  d->errors++;
}

/* Runs the state machine over src[0..n). `rescan` says src is the kept
 * region inside buf (then no in-place path, and an error folds the unread
 * rest into the new region). Returns AMI_OK with a frame, AMI_E_AGAIN with
 * all of src used, or an error; *used = bytes of src used. */
static int run(ami_hdlc_deframer *d, const uint8_t *src, size_t n, bool rescan,
               size_t *used, ami_hdlc_frame *f) {
  size_t i = 0;
  int rc = AMI_OK;
  hdr h;
  while (i < n) {
    switch (d->state) {
    case S_HUNT: {
      const uint8_t *flag = memchr(src + i, AMI_HDLC_FLAG, n - i);
      size_t skip = flag ? (size_t)(flag - (src + i)) : n - i;
      d->discarded += skip;
      i += skip;
      if (flag) {
        i++;
        d->state = S_FLAG;
      }
      break;
    }
    case S_FLAG: {
      /* Fill flags; also a flag that closed one frame and opens the next
       * followed by the next frame's own opening flag. */
      while (i < n && src[i] == AMI_HDLC_FLAG)
        i++;
      if (i == n)
        break;
      size_t k;
      if (!rescan && try_in_place(d, src + i, n - i, &k, f)) {
        *used = i + k;
        d->frames++;
        return AMI_OK;
      }
      uint8_t c = src[i++];
      if (c >> 4 != AMI_HDLC_FORMAT_TYPE) {
        d->discarded++; /* cannot start a frame: garbage */
        d->state = S_HUNT;
        break;
      }
      d->buf[0] = c;
      d->have = 1;
      d->state = S_FORMAT;
      break;
    }
    case S_FORMAT:
      d->buf[d->have++] = src[i++];
      d->total = (size_t)((d->buf[0] & 7) << 8 | d->buf[1]);
      if (d->total < AMI_HDLC_MIN_LEN) {
        rc = AMI_E_HDLC_FORMAT;
        goto fail;
      }
      d->state = S_HEADER;
      break;
    case S_HEADER: {
      size_t want =
          d->total < AMI_HDLC_MAX_HEADER ? d->total : AMI_HDLC_MAX_HEADER;
      i += take(d, src + i, n - i, want);
      /* Decide as soon as the bytes so far suffice (as the one-shot decoder
       * does): a verdict on a prefix never changes with more bytes, and
       * with `want` bytes there always is one. */
      rc = parse_header(d->buf, d->have, &h);
      if (rc == AMI_E_TRUNCATED && d->have < want)
        break;
      if (rc == AMI_OK && info_too_long(d, &h))
        rc = AMI_E_HDLC_TOO_LONG;
      if (rc != AMI_OK)
        goto fail;
      d->state = d->have == d->total ? S_CLOSE : S_BODY;
      break;
    }
    case S_BODY:
      i += take(d, src + i, n - i, d->total);
      if (d->have == d->total)
        d->state = S_CLOSE;
      break;
    case S_CLOSE: {
      uint8_t c = src[i++];
      d->buf[d->have++] = c; /* kept: if 7E, a rescan must see it */
      if (c != AMI_HDLC_FLAG) {
        rc = AMI_E_HDLC_FLAG;
        goto fail;
      }
      rc = parse_header(d->buf, d->total, &h);
      if (rc == AMI_OK)
        rc = check_rest(d->buf, &h, f);
      if (rc != AMI_OK)
        goto fail;
      d->have = 0;
      d->state = S_FLAG; /* the closing flag may open the next frame */
      d->frames++;
      *used = i;
      return AMI_OK;
    }
    default:
      rc = AMI_E_STATE;
      goto fail;
    }
  }
  *used = n;
  return AMI_E_AGAIN;

fail:
  *used = i;
  if (rescan)
    rescan_after_error(d, src + i, n - i);
  else
    rescan_after_error(d, NULL, 0);
  return rc;
}

int ami_hdlc_deframer_feed(ami_hdlc_deframer *d, const uint8_t *data,
                           size_t len, size_t *consumed,
                           ami_hdlc_frame *frame) {
  *consumed = 0;
  /* Bytes kept after an error come before anything new. */
  if (d->rp < d->re) {
    size_t used;
    int rc = run(d, d->buf + d->rp, d->re - d->rp, true, &used, frame);
    if (rc == AMI_E_AGAIN) {
      d->rp = d->re = 0;
    } else {
      if (rc == AMI_OK) {
        d->rp += used;
        if (d->rp == d->re)
          d->rp = d->re = 0;
      }
      /* on error, run() has already rebuilt the rescan region */
      return rc;
    }
  }
  if (len == 0)
    return AMI_E_AGAIN;
  return run(d, data, len, false, consumed, frame);
}
