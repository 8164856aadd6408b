/*
 * ami_buf.c -- the growable, hard-capped buffer (the inline reader and writer
 * live in ami_buf.h).
 */
#include "ami/ami_buf.h"

void ami_dynbuf_init(ami_dynbuf *b, size_t max, const ami_allocator *alloc) {
  b->p = NULL;
  b->len = 0;
  b->cap = 0;
  b->max = max;
  b->alloc = alloc;
}

int ami_dynbuf_append(ami_dynbuf *b, const void *src, size_t n) {
  if (n == 0)
    return AMI_OK;
  if (n > b->max - b->len)
    return AMI_E_LIMIT;
  size_t need = b->len + n;
  if (need > b->cap) {
    size_t cap = b->cap ? b->cap : (b->max < 256 ? b->max : 256);
    while (cap < need)
      cap = cap > b->max / 2 ? b->max : cap * 2;
    uint8_t *np = ami_realloc(b->alloc, b->p, cap);
    if (np == NULL)
      return AMI_E_NOMEM;
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->len, src, n);
  b->len = need;
  return AMI_OK;
}

void ami_dynbuf_reset(ami_dynbuf *b) {
  b->len = 0;
}

void ami_dynbuf_free(ami_dynbuf *b) {
  ami_free(b->alloc, b->p);
  b->p = NULL;
  b->len = 0;
  b->cap = 0;
}
