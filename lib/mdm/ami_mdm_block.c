/*
 * ami_mdm_block.c -- the channel-day block codec (format in ami_mdm_block.h).
 *
 * Values: a transform (none, delta, delta of delta) turns a load curve into
 * small residuals, a common divisor strips the zeros of whole-Wh data, and
 * zigzag varints or a per-block bit-packing store what is left. The encoder
 * measures all six layouts and keeps the smallest. Metadata (quality,
 * method, flags) is run-length encoded: a normal day is one run.
 */
#include "ami/ami_mdm_block.h"

#include <string.h>

enum {
  TR_RAW = 0,
  TR_DELTA = 1,
  TR_DD = 2,
  PK_VARINT = 0,
  PK_BITS = 1,
  PK_RICE = 2,
  NPACK = 3
};

/* Rice codes: a quotient of RICE_ESC or more is written as RICE_ESC one
 * bits and the 64-bit residual verbatim, so no hostile or extreme value
 * makes a code longer than 88 bits. */
#define RICE_ESC 24u

static uint64_t zigzag(uint64_t x) {
  return (x << 1) ^ (0u - (x >> 63));
}

static uint64_t unzigzag(uint64_t z) {
  return (z >> 1) ^ (0u - (z & 1));
}

static size_t varint_len(uint64_t x) {
  size_t n = 1;
  while (x >= 0x80) {
    x >>= 7;
    n++;
  }
  return n;
}

static void wr_varint(ami_wr *w, uint64_t x) {
  uint8_t tmp[10];
  size_t n = 0;
  while (x >= 0x80) {
    tmp[n++] = (uint8_t)(x | 0x80);
    x >>= 7;
  }
  tmp[n++] = (uint8_t)x;
  ami_wr_bytes(w, tmp, n);
}

/* LEB128, at most 10 bytes and 64 bits: a longer or wider encoding is
 * AMI_E_BAD_LENGTH, an input ending inside one AMI_E_TRUNCATED. */
static int rd_varint(ami_rd *r, uint64_t *out) {
  uint64_t x = 0;
  for (unsigned shift = 0;; shift += 7) {
    uint8_t b;
    if (ami_rd_u8(r, &b) != AMI_OK)
      return AMI_E_TRUNCATED;
    if (shift == 63 && b > 1)
      return AMI_E_BAD_LENGTH;
    x |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      break;
    if (shift == 63)
      return AMI_E_BAD_LENGTH;
  }
  *out = x;
  return AMI_OK;
}

static bool has_value(uint8_t q) {
  return q != AMI_MDM_Q_MISSING && q != AMI_MDM_BLOCK_ABSENT;
}

static bool quality_ok(uint8_t q) {
  return q <= AMI_MDM_Q_VALIDATION_FAILED || q == AMI_MDM_BLOCK_ABSENT;
}

static bool interval_ok(uint64_t interval_s) {
  return interval_s >= 60 && interval_s <= 86400 && 86400 % interval_s == 0;
}

bool ami_mdm_block_same(const ami_mdm_interval *a, const ami_mdm_interval *b) {
  if (a->quality != b->quality || a->method != b->method ||
      a->flags != b->flags)
    return false;
  return !has_value(a->quality) || a->value == b->value;
}

static uint64_t gcd64(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* Residual i (>= k) of the sequence x[0..m) under a transform, modulo 2^64. */
static uint64_t residual(const uint64_t *x, size_t i, int tr) {
  if (tr == TR_RAW)
    return x[i];
  if (tr == TR_DELTA)
    return x[i] - x[i - 1];
  return x[i] - 2 * x[i - 1] + x[i - 2];
}

/* Magnitude of a two's complement residual, for the common divisor. */
static uint64_t magnitude(uint64_t r) {
  return (r >> 63) ? 0u - r : r;
}

/* The plan for one transform: its divisor and the cost of each packing. */
typedef struct plan {
  uint64_t divisor;
  unsigned width;      /* bits of the widest zigzag residual */
  unsigned rice_k;     /* the best Rice parameter tried */
  size_t bytes[NPACK]; /* residual bytes per packing (with its k/width) */
  size_t head_bytes;
} plan;

static uint64_t scaled_zz(uint64_t r, uint64_t d) {
  /* Exact division of the signed residual; d <= INT64_MAX by construction. */
  int64_t s = (int64_t)r;
  if (d != 1)
    s /= (int64_t)d;
  return zigzag((uint64_t)s);
}

static unsigned bit_length(uint64_t z) {
  unsigned n = 0;
  while (n < 64 && (z >> n) != 0)
    n++;
  return n;
}

/* Bits of the Rice code of z with parameter k. */
static size_t rice_bits(uint64_t z, unsigned k) {
  uint64_t q = z >> k;
  return q < RICE_ESC ? (size_t)q + 1 + k : RICE_ESC + 64;
}

/* Measures one transform: the common divisor, then the exact size of each
 * packing. The Rice parameter is tried around log2 of the mean residual
 * (the optimum of a geometric distribution lies there). `z` (m entries of
 * scratch) receives the zigzag residuals, computed once. */
static void make_plan(const uint64_t *x, size_t m, int tr, plan *p,
                      uint64_t *z) {
  size_t k = (size_t)tr < m ? (size_t)tr : m;
  uint64_t g = 0;
  for (size_t i = k; i < m && g != 1; i++)
    g = gcd64(g, magnitude(residual(x, i, tr)));
  p->divisor = (g == 0 || g > (uint64_t)INT64_MAX) ? 1 : g;
  p->head_bytes = 0;
  for (size_t i = 0; i < k; i++)
    p->head_bytes += varint_len(zigzag(i == 0 ? x[0] : x[1] - x[0]));
  size_t vbytes = 0, n = m - k;
  uint64_t all = 0, sum = 0;
  static const uint64_t cap = UINT64_MAX / AMI_MDM_BLOCK_MAX_SLOTS;
  for (size_t i = 0; i < n; i++) {
    z[i] = scaled_zz(residual(x, k + i, tr), p->divisor);
    vbytes += varint_len(z[i]);
    all |= z[i];
    sum += z[i] < cap ? z[i] : cap;
  }
  p->width = bit_length(all);
  p->bytes[PK_VARINT] = vbytes;
  p->bytes[PK_BITS] = 1 + (n * p->width + 7) / 8;
  unsigned k0 = n ? bit_length(sum / n) : 0;
  unsigned lo = k0 ? k0 - 1 : 0;
  size_t bits[3] = {0, 0, 0};
  for (size_t i = 0; i < n; i++)
    for (unsigned c = 0; c < 3 && lo + c < 64; c++)
      bits[c] += rice_bits(z[i], lo + c);
  size_t best = SIZE_MAX;
  for (unsigned c = 0; c < 3 && lo + c < 64; c++)
    if (bits[c] < best) {
      best = bits[c];
      p->rice_k = lo + c;
    }
  p->bytes[PK_RICE] = 1 + (best + 7) / 8;
}

/* A bit writer over ami_wr, LSB first. */
typedef struct bitw {
  ami_wr *w;
  uint64_t acc;
  unsigned n;
} bitw;

/* Appends the low `nbits` (<= 32) bits of v. */
static void bw_put(bitw *b, uint64_t v, unsigned nbits) {
  if (nbits < 64)
    v &= (UINT64_C(1) << nbits) - 1;
  b->acc |= v << b->n;
  b->n += nbits;
  while (b->n >= 8) {
    ami_wr_u8(b->w, (uint8_t)b->acc);
    b->acc >>= 8;
    b->n -= 8;
  }
}

static void bw_put64(bitw *b, uint64_t v, unsigned nbits) {
  if (nbits > 32) {
    bw_put(b, v, 32);
    bw_put(b, v >> 32, nbits - 32);
  } else {
    bw_put(b, v, nbits);
  }
}

static void bw_flush(bitw *b) {
  if (b->n)
    ami_wr_u8(b->w, (uint8_t)b->acc);
  b->acc = 0;
  b->n = 0;
}

/* Writes the value section for x[0..m) with one layout. */
static void put_values(ami_wr *w, const uint64_t *x, size_t m, int tr, int pk,
                       const plan *p) {
  size_t k = (size_t)tr < m ? (size_t)tr : m;
  ami_wr_u8(w, (uint8_t)(tr | pk << 4));
  for (size_t i = 0; i < k; i++)
    wr_varint(w, zigzag(i == 0 ? x[0] : x[1] - x[0]));
  wr_varint(w, p->divisor);
  if (pk == PK_VARINT) {
    for (size_t i = k; i < m; i++)
      wr_varint(w, scaled_zz(residual(x, i, tr), p->divisor));
    return;
  }
  bitw b = {w, 0, 0};
  ami_wr_u8(w, (uint8_t)(pk == PK_BITS ? p->width : p->rice_k));
  for (size_t i = k; i < m; i++) {
    uint64_t z = scaled_zz(residual(x, i, tr), p->divisor);
    if (pk == PK_BITS) {
      bw_put64(&b, z, p->width);
      continue;
    }
    uint64_t q = z >> p->rice_k;
    if (q >= RICE_ESC) {
      bw_put(&b, (1u << RICE_ESC) - 1, RICE_ESC);
      bw_put64(&b, z, 64);
      continue;
    }
    bw_put(&b, (UINT64_C(1) << q) - 1, (unsigned)q + 1); /* q ones, a zero */
    bw_put64(&b, z, p->rice_k);
  }
  bw_flush(&b);
}

/* The body shared by the two encoders; tr/pk < 0 means "choose". */
static int encode(ami_wr *w, uint32_t interval_s, const ami_mdm_interval *v,
                  uint32_t count, int tr, int pk) {
  if (!interval_ok(interval_s) || count == 0 || count > 86400 / interval_s)
    return AMI_E_INVAL;
  for (uint32_t i = 0; i < count; i++)
    if (!quality_ok(v[i].quality))
      return AMI_E_INVAL;
  ami_wr_u8(w, AMI_MDM_BLOCK_FORMAT);
  wr_varint(w, interval_s);
  wr_varint(w, count);
  /* Metadata runs. */
  size_t m = 0;
  for (uint32_t i = 0; i < count;) {
    uint32_t j = i + 1;
    while (j < count && v[j].quality == v[i].quality &&
           v[j].method == v[i].method && v[j].flags == v[i].flags)
      j++;
    wr_varint(w, j - i);
    ami_wr_u8(w, v[i].quality);
    ami_wr_u8(w, v[i].method);
    wr_varint(w, v[i].flags);
    for (uint32_t t = i; t < j; t++)
      m += has_value(v[t].quality);
    i = j;
  }
  if (m == 0)
    return w->err;
  /* The values that exist, as uint64 (modulo-2^64 arithmetic from here);
   * interval_s >= 60 bounds them to one day of minutes (11.5 KiB). */
  uint64_t local[AMI_MDM_BLOCK_MAX_SLOTS], zbuf[AMI_MDM_BLOCK_MAX_SLOTS];
  size_t n = 0;
  for (uint32_t i = 0; i < count; i++)
    if (has_value(v[i].quality))
      local[n++] = (uint64_t)v[i].value;
  plan plans[3];
  int best_tr = 0, best_pk = 0;
  size_t best = SIZE_MAX;
  for (int t = 0; t < 3; t++) {
    make_plan(local, m, t, &plans[t], zbuf);
    size_t base = plans[t].head_bytes + varint_len(plans[t].divisor);
    for (int q = 0; q < NPACK; q++)
      if (base + plans[t].bytes[q] < best) {
        best = base + plans[t].bytes[q];
        best_tr = t;
        best_pk = q;
      }
  }
  if (tr >= 0) {
    best_tr = tr;
    best_pk = pk;
  }
  put_values(w, local, m, best_tr, best_pk, &plans[best_tr]);
  return w->err;
}

int ami_mdm_block_encode(ami_wr *w, uint32_t interval_s,
                         const ami_mdm_interval *v, uint32_t count) {
  return encode(w, interval_s, v, count, -1, -1);
}

int ami_mdm_block_encode_with(ami_wr *w, uint32_t interval_s,
                              const ami_mdm_interval *v, uint32_t count,
                              int transform, int packing) {
  if (transform < 0 || transform > TR_DD || packing < 0 || packing >= NPACK)
    return AMI_E_INVAL;
  return encode(w, interval_s, v, count, transform, packing);
}

static int read_hdr(ami_rd *r, ami_mdm_block_hdr *hdr) {
  uint8_t fmt;
  uint64_t iv, count;
  int rc;
  if (ami_rd_u8(r, &fmt) != AMI_OK)
    return AMI_E_TRUNCATED;
  if (fmt != AMI_MDM_BLOCK_FORMAT)
    return AMI_E_STORE_FORMAT;
  if ((rc = rd_varint(r, &iv)) != AMI_OK)
    return rc;
  if (!interval_ok(iv))
    return AMI_E_BAD_VALUE;
  if ((rc = rd_varint(r, &count)) != AMI_OK)
    return rc;
  if (count == 0 || count > 86400 / iv)
    return AMI_E_BAD_VALUE;
  hdr->interval_s = (uint32_t)iv;
  hdr->count = (uint32_t)count;
  return AMI_OK;
}

int ami_mdm_block_peek(ami_span in, ami_mdm_block_hdr *hdr) {
  ami_rd r;
  ami_rd_init(&r, in.p, in.len);
  return read_hdr(&r, hdr);
}

/* Reads the metadata runs into out[0..count); *m receives how many slots
 * carry a value. */
static int read_runs(ami_rd *r, ami_mdm_interval *out, uint32_t count,
                     size_t *m) {
  uint32_t at = 0;
  *m = 0;
  while (at < count) {
    uint64_t run, flags;
    uint8_t q, method;
    int rc = rd_varint(r, &run);
    if (rc != AMI_OK)
      return rc;
    if (ami_rd_u8(r, &q) != AMI_OK || ami_rd_u8(r, &method) != AMI_OK)
      return AMI_E_TRUNCATED;
    if ((rc = rd_varint(r, &flags)) != AMI_OK)
      return rc;
    if (run == 0 || run > count - at)
      return AMI_E_INCONSISTENT;
    if (!quality_ok(q) || flags > 0xFFFF)
      return AMI_E_BAD_VALUE;
    for (uint32_t i = 0; i < (uint32_t)run; i++, at++) {
      out[at].value = 0;
      out[at].quality = q;
      out[at].method = method;
      out[at].flags = (uint16_t)flags;
    }
    if (has_value(q))
      *m += (size_t)run;
  }
  return AMI_OK;
}

/* A bounds-checked bit reader, LSB first, over borrowed bytes. */
typedef struct bitr {
  const uint8_t *p;
  size_t nbits; /* bits available */
  size_t pos;
} bitr;

/* Eight bytes little-endian (the compiler makes this one load). */
static uint64_t load_le64(const uint8_t *p) {
  return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
         (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
         (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

/* A window of at least 57 valid bits at the read position, when 8 whole
 * bytes are there to load; false near the end (the slow path then reads
 * bit by bit, with the same result). */
static bool br_window(const bitr *b, uint64_t *w) {
  size_t byte = b->pos >> 3;
  if (b->nbits / 8 < byte + 8)
    return false;
  *w = load_le64(b->p + byte) >> (b->pos & 7);
  return true;
}

/* Reads `width` (<= 64) bits; AMI_E_TRUNCATED past the end. */
static int br_get(bitr *b, unsigned width, uint64_t *out) {
  if (b->nbits - b->pos < width)
    return AMI_E_TRUNCATED;
  uint64_t w;
  if (width <= 57 && br_window(b, &w)) {
    *out = width ? w & (UINT64_MAX >> (64 - width)) : 0;
    b->pos += width;
    return AMI_OK;
  }
  uint64_t z = 0;
  for (unsigned got = 0; got < width;) {
    size_t byte = b->pos >> 3;
    unsigned off = (unsigned)(b->pos & 7);
    unsigned take = 8 - off < width - got ? 8 - off : width - got;
    uint64_t bits = (uint64_t)(b->p[byte] >> off) & ((1u << take) - 1);
    z |= bits << got;
    got += take;
    b->pos += take;
  }
  *out = z;
  return AMI_OK;
}

/* Index of the lowest set bit of a power of two y (de Bruijn multiply: no
 * branch, so a day of varied codes costs no mispredictions). */
static unsigned bit_index(uint64_t y) {
  static const uint8_t tab[64] = {
      0,  1,  56, 2,  57, 49, 28, 3,  61, 58, 42, 50, 38, 29, 17, 4,
      62, 47, 59, 36, 45, 43, 51, 22, 53, 39, 33, 30, 24, 18, 12, 5,
      63, 55, 48, 27, 60, 41, 37, 16, 46, 35, 44, 21, 52, 32, 23, 11,
      54, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9,  13, 8,  7,  6};
  return tab[(y * UINT64_C(0x03f79d71b4ca8b09)) >> 58];
}

/* Reads one Rice code with parameter k (< 64): from one 64-bit window when
 * the code fits in it (the common case), else bit by bit. */
static int br_rice(bitr *b, unsigned k, uint64_t *out) {
  uint64_t w;
  if (br_window(b, &w) && (w & 0xffffffu) != 0xffffffu) {
    unsigned q = bit_index(~w & (w + 1)); /* trailing ones: < 24 here */
    if (q + 1 + k <= 57) {
      uint64_t low = k ? (w >> (q + 1)) & (UINT64_MAX >> (64 - k)) : 0;
      b->pos += q + 1 + k;
      *out = ((uint64_t)q << k) | low;
      return AMI_OK;
    }
  }
  unsigned q = 0;
  for (;;) {
    uint64_t bit;
    int rc = br_get(b, 1, &bit);
    if (rc != AMI_OK)
      return rc;
    if (!bit)
      break;
    if (++q == RICE_ESC)
      return br_get(b, 64, out);
  }
  uint64_t low;
  int rc = br_get(b, k, &low);
  if (rc != AMI_OK)
    return rc;
  *out = ((uint64_t)q << k) | low;
  return AMI_OK;
}

/* Reads the value section and writes the values into the slots that carry
 * one, undoing the transform modulo 2^64. */
static int read_values(ami_rd *r, ami_mdm_interval *out, uint32_t count,
                       size_t m) {
  uint8_t lay;
  if (ami_rd_u8(r, &lay) != AMI_OK)
    return AMI_E_TRUNCATED;
  int tr = lay & 0x0f, pk = lay >> 4;
  if (tr > TR_DD || pk >= NPACK)
    return AMI_E_BAD_VALUE;
  size_t k = (size_t)tr < m ? (size_t)tr : m;
  uint64_t head[2] = {0, 0};
  int rc;
  for (size_t i = 0; i < k; i++) {
    if ((rc = rd_varint(r, &head[i])) != AMI_OK)
      return rc;
    head[i] = unzigzag(head[i]);
  }
  uint64_t d;
  if ((rc = rd_varint(r, &d)) != AMI_OK)
    return rc;
  if (d == 0 || d > (uint64_t)INT64_MAX)
    return AMI_E_BAD_VALUE;
  uint8_t param = 0; /* bit width or Rice parameter */
  bitr b = {NULL, 0, 0};
  if (pk != PK_VARINT) {
    if (ami_rd_u8(r, &param) != AMI_OK)
      return AMI_E_TRUNCATED;
    if (param > (pk == PK_BITS ? 64 : 63))
      return AMI_E_BAD_VALUE;
    /* Bit-packed: exactly the bytes of (m - k) fields (m <= 1440). Rice:
     * whatever is left; the bytes used are consumed at the end. */
    size_t nbytes = pk == PK_BITS ? ((m - k) * param + 7) / 8 : ami_rd_left(r);
    if (ami_rd_left(r) < nbytes)
      return AMI_E_TRUNCATED;
    b.p = ami_rd_ptr(r);
    b.nbits = nbytes * 8;
  }
  uint64_t prev = 0, prev2 = 0; /* x[i-1], x[i-2] */
  size_t i = 0;
  for (uint32_t slot = 0; slot < count; slot++) {
    if (!has_value(out[slot].quality))
      continue;
    uint64_t x;
    if (i < k) {
      x = i == 0 ? head[0] : head[0] + head[1];
    } else {
      uint64_t z;
      rc = pk == PK_VARINT ? rd_varint(r, &z)
           : pk == PK_BITS ? br_get(&b, param, &z)
                           : br_rice(&b, param, &z);
      if (rc != AMI_OK)
        return rc;
      uint64_t res = unzigzag(z) * d;
      x = tr == TR_RAW     ? res
          : tr == TR_DELTA ? prev + res
                           : 2 * prev - prev2 + res;
    }
    out[slot].value = (int64_t)x;
    prev2 = prev;
    prev = x;
    i++;
  }
  if (pk != PK_VARINT)
    return ami_rd_skip(r, (b.pos + 7) / 8);
  return AMI_OK;
}

int ami_mdm_block_decode(ami_span in, ami_mdm_block_hdr *hdr,
                         ami_mdm_interval *out, size_t cap) {
  ami_rd r;
  ami_rd_init(&r, in.p, in.len);
  int rc = read_hdr(&r, hdr);
  if (rc != AMI_OK)
    return rc;
  if (cap < hdr->count)
    return AMI_E_BUFFER_FULL;
  size_t m;
  if ((rc = read_runs(&r, out, hdr->count, &m)) != AMI_OK)
    return rc;
  if (m && (rc = read_values(&r, out, hdr->count, m)) != AMI_OK)
    return rc;
  return ami_rd_left(&r) ? AMI_E_TRAILING : AMI_OK;
}
