/*
 * ami_buf.h -- bounded byte buffers: borrowed spans, a bounds-checked reader,
 * a writer into caller memory, and a growable buffer with a hard maximum.
 *
 * Everything that parses outside input reads through ami_rd, so every access
 * is checked against the end of the input. Encoders write through ami_wr into
 * memory the caller owns; the first overflow makes the writer sticky-failed
 * (AMI_E_BUFFER_FULL), so an encoder can emit a whole structure and check
 * once at the end (the curl dynbuf / mbedTLS writer idea).
 */
#ifndef AMI_BUF_H
#define AMI_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ami/ami_alloc.h"
#include "ami/ami_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A borrowed run of bytes. `p` borrows memory owned elsewhere (typically the
 * input buffer a decoder was given) and is valid as long as that memory. */
typedef struct ami_span {
  const uint8_t *p;
  size_t len;
} ami_span;

static inline ami_span ami_span_make(const void *p, size_t len) {
  ami_span s;
  s.p = (const uint8_t *)p;
  s.len = len;
  return s;
}

static inline bool ami_span_eq(ami_span a, ami_span b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* ---------------------------------------------------------------------- */
/* Reader: a cursor over borrowed input. Getters return AMI_OK, or
 * AMI_E_TRUNCATED without moving the cursor when the input is too short. */

typedef struct ami_rd {
  const uint8_t *p; /* borrows the input */
  size_t len;
  size_t pos;
} ami_rd;

static inline void ami_rd_init(ami_rd *r, const void *p, size_t len) {
  r->p = (const uint8_t *)p;
  r->len = len;
  r->pos = 0;
}

static inline size_t ami_rd_left(const ami_rd *r) {
  return r->len - r->pos;
}

static inline const uint8_t *ami_rd_ptr(const ami_rd *r) {
  return r->p + r->pos;
}

static inline int ami_rd_u8(ami_rd *r, uint8_t *v) {
  if (r->pos >= r->len)
    return AMI_E_TRUNCATED;
  *v = r->p[r->pos++];
  return AMI_OK;
}

static inline int ami_rd_peek(const ami_rd *r, uint8_t *v) {
  if (r->pos >= r->len)
    return AMI_E_TRUNCATED;
  *v = r->p[r->pos];
  return AMI_OK;
}

static inline int ami_rd_u16be(ami_rd *r, uint16_t *v) {
  if (ami_rd_left(r) < 2)
    return AMI_E_TRUNCATED;
  const uint8_t *b = r->p + r->pos;
  *v = (uint16_t)((b[0] << 8) | b[1]);
  r->pos += 2;
  return AMI_OK;
}

static inline int ami_rd_u32be(ami_rd *r, uint32_t *v) {
  if (ami_rd_left(r) < 4)
    return AMI_E_TRUNCATED;
  const uint8_t *b = r->p + r->pos;
  *v = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) |
       b[3];
  r->pos += 4;
  return AMI_OK;
}

static inline int ami_rd_u64be(ami_rd *r, uint64_t *v) {
  if (ami_rd_left(r) < 8)
    return AMI_E_TRUNCATED;
  const uint8_t *b = r->p + r->pos;
  uint64_t x = 0;
  for (int i = 0; i < 8; i++)
    x = (x << 8) | b[i];
  *v = x;
  r->pos += 8;
  return AMI_OK;
}

/* Borrow the next n bytes as a span. */
static inline int ami_rd_span(ami_rd *r, size_t n, ami_span *out) {
  if (ami_rd_left(r) < n)
    return AMI_E_TRUNCATED;
  out->p = r->p + r->pos;
  out->len = n;
  r->pos += n;
  return AMI_OK;
}

static inline int ami_rd_skip(ami_rd *r, size_t n) {
  if (ami_rd_left(r) < n)
    return AMI_E_TRUNCATED;
  r->pos += n;
  return AMI_OK;
}

/* ---------------------------------------------------------------------- */
/* Writer into caller-owned memory. On overflow nothing more is written,
 * `err` becomes AMI_E_BUFFER_FULL and stays so; `len` stops growing. */

typedef struct ami_wr {
  uint8_t *p; /* borrows the caller's output buffer */
  size_t cap;
  size_t len;
  int err;
} ami_wr;

static inline void ami_wr_init(ami_wr *w, void *p, size_t cap) {
  w->p = (uint8_t *)p;
  w->cap = cap;
  w->len = 0;
  w->err = AMI_OK;
}

/* Reserve n bytes and return a pointer to them, or NULL (sticky error). */
static inline uint8_t *ami_wr_reserve(ami_wr *w, size_t n) {
  if (w->err != AMI_OK || w->cap - w->len < n) {
    w->err = AMI_E_BUFFER_FULL;
    return NULL;
  }
  uint8_t *d = w->p + w->len;
  w->len += n;
  return d;
}

static inline void ami_wr_u8(ami_wr *w, uint8_t v) {
  uint8_t *d = ami_wr_reserve(w, 1);
  if (d)
    d[0] = v;
}

static inline void ami_wr_u16be(ami_wr *w, uint16_t v) {
  uint8_t *d = ami_wr_reserve(w, 2);
  if (d) {
    d[0] = (uint8_t)(v >> 8);
    d[1] = (uint8_t)v;
  }
}

static inline void ami_wr_u32be(ami_wr *w, uint32_t v) {
  uint8_t *d = ami_wr_reserve(w, 4);
  if (d) {
    d[0] = (uint8_t)(v >> 24);
    d[1] = (uint8_t)(v >> 16);
    d[2] = (uint8_t)(v >> 8);
    d[3] = (uint8_t)v;
  }
}

static inline void ami_wr_u64be(ami_wr *w, uint64_t v) {
  uint8_t *d = ami_wr_reserve(w, 8);
  if (d)
    for (int i = 7; i >= 0; i--, v >>= 8)
      d[i] = (uint8_t)v;
}

static inline void ami_wr_bytes(ami_wr *w, const void *src, size_t n) {
  uint8_t *d = ami_wr_reserve(w, n);
  if (d && n)
    memcpy(d, src, n);
}

/* ---------------------------------------------------------------------- */
/* Growable buffer with a hard maximum fixed at creation (reassembly of
 * segmented frames and blocks). Memory comes from the injected allocator. */

typedef struct ami_dynbuf {
  uint8_t *p; /* owned */
  size_t len;
  size_t cap;
  size_t max;
  const ami_allocator *alloc;
} ami_dynbuf;

/* Cannot fail; allocates nothing until the first append. */
void ami_dynbuf_init(ami_dynbuf *b, size_t max, const ami_allocator *alloc);
/* Appends; AMI_E_LIMIT past `max` (buffer unchanged), AMI_E_NOMEM. */
int ami_dynbuf_append(ami_dynbuf *b, const void *src, size_t n);
/* Forget the contents, keep the memory. */
void ami_dynbuf_reset(ami_dynbuf *b);
/* Release the memory; accepts a zeroed or already-freed buffer. */
void ami_dynbuf_free(ami_dynbuf *b);

#ifdef __cplusplus
}
#endif
#endif /* AMI_BUF_H */
