/*
 * cosem_internal.h -- the structures behind ami_cosem.h, shared by the
 * files of lib/cosem (model and dispatch, class hooks, Profile Generic).
 * Not a public header.
 */
#ifndef AMI_COSEM_INTERNAL_H
#define AMI_COSEM_INTERNAL_H

#include "ami/ami_cosem.h"

#define AMI__COSEM_MAX_ATTRS   32 /* rights slots per object list entry */
#define AMI__COSEM_MAX_METHODS 16
#define AMI__COSEM_MAX_LDEVS   16
#define AMI__COSEM_LDEV_NAME   48
#define AMI__COSEM_SCRATCH     256 /* one captured value, before slotting */

/* A stored attribute value: owned encoded Data, or NULL for the default. */
typedef struct ami__cosem_val {
  uint8_t *p;
  size_t len;
} ami__cosem_val;

typedef struct ami__cosem_column {
  ami_cosem_object *src;
  int8_t attr;
  uint16_t data_index;
  uint8_t width;   /* slot payload bytes */
  uint32_t offset; /* of the slot (length byte, then payload) in a row */
} ami__cosem_column;

/* Profile Generic state: a ring of fixed-width rows. */
typedef struct ami__cosem_profile {
  ami__cosem_column *cols; /* owned, max_capture_columns entries */
  size_t ncols;
  size_t row_bytes;
  uint8_t *rows; /* owned, capacity * row_bytes */
  uint32_t capacity;
  uint32_t count;
  uint32_t head;  /* next row to write */
  uint64_t total; /* rows captured since the ring was last cleared: the row
                     captured n-th has sequence number n-1 */
  uint32_t epoch; /* bumped whenever the ring is cleared */
} ami__cosem_profile;

struct ami_cosem_object {
  ami_cosem_model *model;
  const ami_cosem_class_desc *cls;
  ami_obis ln;
  ami__cosem_val *vals; /* owned, cls->nattrs entries */
  ami_cosem_callbacks cb;
  bool has_cb;
  /* Class-specific state. */
  int64_t clock_offset_ms;     /* Clock */
  ami_cosem_assoc *assoc;      /* Association LN */
  ami__cosem_profile *profile; /* Profile Generic, owned */
};

typedef struct ami__cosem_entry {
  ami_cosem_object *obj;
  uint8_t attr[AMI__COSEM_MAX_ATTRS];
  uint8_t meth[AMI__COSEM_MAX_METHODS];
} ami__cosem_entry;

struct ami_cosem_assoc {
  ami_cosem_model *model;
  uint16_t client;
  uint8_t mechanism;
  ami_cosem_object *obj;
  ami__cosem_entry *entries; /* owned */
  size_t n, cap;
};

typedef struct ami__cosem_ldev {
  uint16_t sap;
  uint8_t name_len;
  uint8_t name[AMI__COSEM_LDEV_NAME];
} ami__cosem_ldev;

struct ami_cosem_model {
  const ami_allocator *alloc;
  ami_cosem_limits lim;
  ami_cosem_object **objs; /* owned array of owned objects */
  size_t nobjs, objs_cap;
  ami_cosem_assoc **assocs; /* owned, lim.max_associations entries */
  size_t nassocs;
  ami_cosem_callbacks cb;
  bool has_cb;
  ami__cosem_ldev ldevs[AMI__COSEM_MAX_LDEVS];
  size_t nldevs;
  ami_server_app app;
  uint64_t req_now_ms; /* now_ms of the GET/SET/ACTION being served */
};

/* What a hook knows about the request: the engine's association info
 * (NULL for internal reads such as a profile capture), the association it
 * resolved to (NULL likewise), and the time. */
typedef struct ami__cosem_ctx {
  const ami_server_assoc_info *info;
  ami_cosem_assoc *assoc;
  uint64_t now_ms;
} ami__cosem_ctx;

/* Class behaviour hooks. Each returns AMI_E_NOT_FOUND to let the generic
 * code answer (storage, defaults). */
typedef struct ami__cosem_hooks {
  uint16_t class_id;
  int (*get)(const ami__cosem_ctx *c, ami_cosem_object *o, unsigned attr,
             const ami_apdu_selection *sel, ami_wr *out, uint8_t *dar);
  int (*set)(const ami__cosem_ctx *c, ami_cosem_object *o, unsigned attr,
             ami_span value, uint8_t *dar);
  int (*action)(const ami__cosem_ctx *c, ami_cosem_object *o, unsigned method,
                ami_span params, ami_wr *ret, bool *has_return,
                uint8_t *result);
} ami__cosem_hooks;

const ami__cosem_hooks *ami__cosem_hooks_find(uint16_t class_id);

/* Read an attribute's value as a GET would after access checks: callbacks,
 * hook, storage, default. */
int ami__cosem_read(const ami__cosem_ctx *c, ami_cosem_object *o, unsigned attr,
                    const ami_apdu_selection *sel, ami_wr *out, uint8_t *dar);
/* Write the stored value or the description's default of an attribute. */
void ami__cosem_read_stored(const ami_cosem_object *o, unsigned attr,
                            ami_wr *out);
/* Store a value (copied) without type checking: hooks use it for values
 * they compute. */
int ami__cosem_store(ami_cosem_object *o, unsigned attr, ami_span value);

/* Profile Generic (cosem_profile.c). */
int ami__cosem_profile_get(const ami__cosem_ctx *c, ami_cosem_object *o,
                           unsigned attr, const ami_apdu_selection *sel,
                           ami_wr *out, uint8_t *dar);
int ami__cosem_profile_set(const ami__cosem_ctx *c, ami_cosem_object *o,
                           unsigned attr, ami_span value, uint8_t *dar);
int ami__cosem_profile_action(const ami__cosem_ctx *c, ami_cosem_object *o,
                              unsigned method, ami_span params, ami_wr *ret,
                              bool *has_return, uint8_t *result);
int ami__cosem_profile_read(const ami_cosem_object *o,
                            const ami_apdu_selection *sel,
                            ami_cosem_cursor *cur, ami_wr *out, uint8_t *dar);
int ami__cosem_profile_capture(const ami__cosem_ctx *c, ami_cosem_object *o);
void ami__cosem_profile_free(ami_cosem_model *m, ami__cosem_profile *p);

#endif /* AMI_COSEM_INTERNAL_H */
