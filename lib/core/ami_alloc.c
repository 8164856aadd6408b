/*
 * ami_alloc.c -- the default allocator and the NULL-means-default wrappers.
 *
 * This is the only file in lib/ that calls the C library's allocator.
 */
#include "ami/ami_alloc.h"

#include <stdlib.h>

static void *libc_malloc(size_t size, void *ud) {
  (void)ud;
  return malloc(size);
}
static void *libc_realloc(void *ptr, size_t size, void *ud) {
  (void)ud;
  return realloc(ptr, size);
}
static void libc_free(void *ptr, void *ud) {
  (void)ud;
  free(ptr);
}

static const ami_allocator libc_allocator = {libc_malloc, libc_realloc,
                                             libc_free, NULL};

const ami_allocator *ami_allocator_default(void) {
  return &libc_allocator;
}

void *ami_malloc(const ami_allocator *a, size_t size) {
  if (a == NULL)
    a = &libc_allocator;
  return size == 0 ? NULL : a->malloc(size, a->user_data);
}

void *ami_realloc(const ami_allocator *a, void *ptr, size_t size) {
  if (a == NULL)
    a = &libc_allocator;
  return size == 0 ? NULL : a->realloc(ptr, size, a->user_data);
}

void ami_free(const ami_allocator *a, void *ptr) {
  if (ptr == NULL)
    return;
  if (a == NULL)
    a = &libc_allocator;
  a->free(ptr, a->user_data);
}
