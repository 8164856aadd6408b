/*
 * ami_alloc.h -- the injected allocator.
 *
 * No OpenAMI library code calls malloc/free directly. Anything that needs
 * heap memory takes an `const ami_allocator *` (NULL means the default, which
 * wraps the C library). Tests pass an allocator that fails the i-th call to
 * prove that every allocation failure is handled (see tests/support).
 *
 * Lifecycle: an allocator must outlive every object created with it.
 */
#ifndef AMI_ALLOC_H
#define AMI_ALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ami_allocator {
  /* Returns owned memory of `size` bytes, or NULL. size is never 0. */
  void *(*malloc)(size_t size, void *user_data);
  /* Like realloc(3): `ptr` may be NULL; on failure `ptr` is untouched. */
  void *(*realloc)(void *ptr, size_t size, void *user_data);
  /* Releases memory from malloc/realloc; accepts NULL. */
  void (*free)(void *ptr, void *user_data);
  void *user_data;
} ami_allocator;

/* The default allocator (C library). Returns a pointer to a static object. */
const ami_allocator *ami_allocator_default(void);

/* Convenience wrappers: `a` may be NULL (default allocator). */
void *ami_malloc(const ami_allocator *a, size_t size);
void *ami_realloc(const ami_allocator *a, void *ptr, size_t size);
void ami_free(const ami_allocator *a, void *ptr);

#ifdef __cplusplus
}
#endif
#endif /* AMI_ALLOC_H */
