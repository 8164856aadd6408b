/*
 * cosem_model.c -- the COSEM object model: objects and their bounded
 * attribute storage, associations with access rights, and the generic
 * GET/SET/ACTION dispatch behind ami_cosem_server_app (the seam of
 * include/ami/ami_server_app.h).
 *
 * Dispatch order for one request item (IEC 62056-5-3 §9.3 services, the
 * Data-Access-Result codes of the GET/SET/ACTION responses):
 *   1. the association of the client address (none: object-undefined);
 *   2. the object in that association's object list, by class id and
 *      logical name (0.0.40.0.0.255 of class 15 is the association's own
 *      object); absent: object-undefined (4);
 *   3. the attribute or method in the class description; absent:
 *      object-undefined (4);
 *   4. the access right of the association; denied: read-write-denied (3);
 *   5. for SET and ACTION, the value against the type description;
 *      mismatch: type-unmatched (12);
 *   6. the application callback, then the class hook, then storage.
 */
#include "cosem_internal.h"

#include <string.h>

#include "ami/ami_axdr.h"

static const ami_obis current_assoc_ln = {0, 0, 40, 0, 0, 255};

/* ---- model ------------------------------------------------------------- */

int ami_cosem_model_new(const ami_allocator *alloc,
                        const ami_cosem_limits *limits, ami_cosem_model **out) {
  *out = NULL;
  ami_cosem_model *m = ami_malloc(alloc, sizeof *m);
  if (!m)
    return AMI_E_NOMEM;
  memset(m, 0, sizeof *m);
  m->alloc = alloc;
  if (limits)
    m->lim = *limits;
  if (!m->lim.max_objects)
    m->lim.max_objects = 256;
  if (!m->lim.max_associations)
    m->lim.max_associations = 8;
  if (!m->lim.max_value_len)
    m->lim.max_value_len = 1024;
  if (!m->lim.max_profile_bytes)
    m->lim.max_profile_bytes = 16u << 20;
  if (!m->lim.max_capture_columns)
    m->lim.max_capture_columns = 32;
  m->assocs = ami_malloc(alloc, m->lim.max_associations * sizeof *m->assocs);
  if (!m->assocs) {
    ami_free(alloc, m);
    return AMI_E_NOMEM;
  }
  m->app.version = AMI_SERVER_APP_VERSION;
  m->app.user_data = m;
  *out = m;
  return AMI_OK;
}

static void object_free(ami_cosem_model *m, ami_cosem_object *o) {
  for (uint8_t i = 0; o->vals && i < o->cls->nattrs; i++)
    ami_free(m->alloc, o->vals[i].p);
  ami_free(m->alloc, o->vals);
  ami__cosem_profile_free(m, o->profile);
  ami_free(m->alloc, o);
}

void ami_cosem_model_free(ami_cosem_model *m) {
  if (!m)
    return;
  for (size_t i = 0; i < m->nobjs; i++)
    object_free(m, m->objs[i]);
  for (size_t i = 0; i < m->nassocs; i++) {
    ami_free(m->alloc, m->assocs[i]->entries);
    ami_free(m->alloc, m->assocs[i]);
  }
  ami_free(m->alloc, m->objs);
  ami_free(m->alloc, m->assocs);
  ami_free(m->alloc, m);
}

void ami_cosem_model_set_callbacks(ami_cosem_model *m,
                                   const ami_cosem_callbacks *cb) {
  m->has_cb = cb != NULL;
  if (cb)
    m->cb = *cb;
}

/* ---- objects ------------------------------------------------------------- */

ami_cosem_object *ami_cosem_find(const ami_cosem_model *m, uint16_t class_id,
                                 ami_obis ln) {
  for (size_t i = 0; i < m->nobjs; i++) {
    ami_cosem_object *o = m->objs[i];
    if (o->cls->class_id == class_id && ami_obis_eq(&o->ln, &ln))
      return o;
  }
  return NULL;
}

int ami_cosem_add_object(ami_cosem_model *m, uint16_t class_id, ami_obis ln,
                         ami_cosem_object **obj) {
  if (obj)
    *obj = NULL;
  const ami_cosem_class_desc *cls = ami_cosem_class_find(class_id);
  if (!cls)
    return AMI_E_NOT_FOUND;
  if (ami_cosem_find(m, class_id, ln))
    return AMI_E_INCONSISTENT;
  if (m->nobjs >= m->lim.max_objects)
    return AMI_E_LIMIT;
  if (m->nobjs == m->objs_cap) {
    size_t cap = m->objs_cap ? m->objs_cap * 2 : 16;
    if (cap > m->lim.max_objects)
      cap = m->lim.max_objects;
    ami_cosem_object **n = ami_realloc(m->alloc, m->objs, cap * sizeof *n);
    if (!n)
      return AMI_E_NOMEM;
    m->objs = n;
    m->objs_cap = cap;
  }
  ami_cosem_object *o = ami_malloc(m->alloc, sizeof *o);
  if (!o)
    return AMI_E_NOMEM;
  memset(o, 0, sizeof *o);
  o->model = m;
  o->cls = cls;
  o->ln = ln;
  o->vals = ami_malloc(m->alloc, cls->nattrs * sizeof *o->vals);
  if (!o->vals) {
    ami_free(m->alloc, o);
    return AMI_E_NOMEM;
  }
  memset(o->vals, 0, cls->nattrs * sizeof *o->vals);
  if (class_id == 7) {
    o->profile = ami_malloc(m->alloc, sizeof *o->profile);
    if (o->profile) {
      memset(o->profile, 0, sizeof *o->profile);
      o->profile->cols = ami_malloc(m->alloc, m->lim.max_capture_columns *
                                                  sizeof *o->profile->cols);
    }
    if (!o->profile || !o->profile->cols) {
      object_free(m, o);
      return AMI_E_NOMEM;
    }
  }
  m->objs[m->nobjs++] = o;
  if (obj)
    *obj = o;
  return AMI_OK;
}

uint16_t ami_cosem_object_class(const ami_cosem_object *obj) {
  return obj->cls->class_id;
}

ami_obis ami_cosem_object_ln(const ami_cosem_object *obj) {
  return obj->ln;
}

void ami_cosem_object_set_callbacks(ami_cosem_object *obj,
                                    const ami_cosem_callbacks *cb) {
  obj->has_cb = cb != NULL;
  if (cb)
    obj->cb = *cb;
}

/* Index of attribute `attr` in o->vals, or -1. */
static int val_slot(const ami_cosem_object *o, unsigned attr) {
  const ami_cosem_attr_desc *a = ami_cosem_class_attr(o->cls, attr);
  return a ? (int)(a - o->cls->attrs) : -1;
}

int ami__cosem_store(ami_cosem_object *o, unsigned attr, ami_span value) {
  int i = val_slot(o, attr);
  if (i < 0)
    return AMI_E_NOT_FOUND;
  ami_cosem_model *m = o->model;
  if (value.len > m->lim.max_value_len)
    return AMI_E_LIMIT;
  ami__cosem_val *v = &o->vals[i];
  if (value.len > v->len || !v->p) {
    uint8_t *n = ami_realloc(m->alloc, v->p, value.len ? value.len : 1);
    if (!n)
      return AMI_E_NOMEM;
    v->p = n;
  }
  if (value.len)
    memcpy(v->p, value.p, value.len);
  v->len = value.len;
  return AMI_OK;
}

int ami_cosem_set_attr(ami_cosem_object *obj, unsigned attr, ami_span value) {
  const ami_cosem_attr_desc *a = ami_cosem_class_attr(obj->cls, attr);
  if (!a)
    return AMI_E_NOT_FOUND;
  if (attr == 1)
    return AMI_E_INVAL;
  int rc = ami_cosem_type_check(a->td, a->td_len, value);
  if (rc != AMI_OK)
    return rc;
  return ami__cosem_store(obj, attr, value);
}

int ami_cosem_get_attr(const ami_cosem_object *obj, unsigned attr,
                       ami_span *value) {
  *value = ami_span_make(NULL, 0);
  int i = val_slot(obj, attr);
  if (i < 0 || !obj->vals[i].p)
    return AMI_E_NOT_FOUND;
  *value = ami_span_make(obj->vals[i].p, obj->vals[i].len);
  return AMI_OK;
}

void ami__cosem_read_stored(const ami_cosem_object *o, unsigned attr,
                            ami_wr *out) {
  if (attr == 1) {
    uint8_t b[6];
    ami_obis_to_bytes(&o->ln, b);
    ami_axdr_put_octets(out, b, 6);
    return;
  }
  int i = val_slot(o, attr);
  if (i < 0) {
    ami_axdr_put_null(out);
    return;
  }
  if (o->vals[i].p) {
    ami_wr_bytes(out, o->vals[i].p, o->vals[i].len);
    return;
  }
  ami_cosem_type_default(out, o->cls->attrs[i].td, o->cls->attrs[i].td_len);
}

int ami_cosem_add_logical_device(ami_cosem_model *m, uint16_t sap,
                                 const void *name, size_t name_len) {
  if (m->nldevs >= AMI__COSEM_MAX_LDEVS || name_len > AMI__COSEM_LDEV_NAME)
    return AMI_E_LIMIT;
  ami__cosem_ldev *d = &m->ldevs[m->nldevs++];
  d->sap = sap;
  d->name_len = (uint8_t)name_len;
  if (name_len)
    memcpy(d->name, name, name_len);
  return AMI_OK;
}

/* ---- associations -------------------------------------------------------- */

ami_cosem_assoc *ami_cosem_find_assoc(const ami_cosem_model *m,
                                      uint16_t client_address) {
  for (size_t i = 0; i < m->nassocs; i++)
    if (m->assocs[i]->client == client_address)
      return m->assocs[i];
  return NULL;
}

int ami_cosem_add_association(ami_cosem_model *m, uint16_t client_address,
                              uint8_t mechanism, ami_obis ln,
                              ami_cosem_assoc **out) {
  if (out)
    *out = NULL;
  for (size_t i = 0; i < m->nassocs; i++)
    if (m->assocs[i]->client == client_address)
      return AMI_E_INCONSISTENT;
  if (m->nassocs >= m->lim.max_associations)
    return AMI_E_LIMIT;
  ami_cosem_assoc *a = ami_malloc(m->alloc, sizeof *a);
  if (!a)
    return AMI_E_NOMEM;
  memset(a, 0, sizeof *a);
  ami_cosem_object *o;
  int rc = ami_cosem_add_object(m, 15, ln, &o);
  if (rc != AMI_OK) {
    ami_free(m->alloc, a);
    return rc;
  }
  a->model = m;
  a->client = client_address;
  a->mechanism = mechanism;
  a->obj = o;
  o->assoc = a;
  m->assocs[m->nassocs++] = a;
  if (out)
    *out = a;
  return AMI_OK;
}

ami_cosem_object *ami_cosem_assoc_object(const ami_cosem_assoc *a) {
  return a->obj;
}

static ami__cosem_entry *assoc_entry(const ami_cosem_assoc *a,
                                     const ami_cosem_object *o) {
  for (size_t i = 0; i < a->n; i++)
    if (a->entries[i].obj == o)
      return &a->entries[i];
  return NULL;
}

int ami_cosem_assoc_add_object(ami_cosem_assoc *a, ami_cosem_object *obj,
                               const uint8_t *attr_access, size_t nattr,
                               const uint8_t *method_access, size_t nmethod) {
  ami_cosem_model *m = a->model;
  ami__cosem_entry *e = assoc_entry(a, obj);
  if (!e) {
    if (a->n >= m->lim.max_objects)
      return AMI_E_LIMIT;
    if (a->n == a->cap) {
      size_t cap = a->cap ? a->cap * 2 : 8;
      if (cap > m->lim.max_objects)
        cap = m->lim.max_objects;
      ami__cosem_entry *n = ami_realloc(m->alloc, a->entries, cap * sizeof *n);
      if (!n)
        return AMI_E_NOMEM;
      a->entries = n;
      a->cap = cap;
    }
    e = &a->entries[a->n++];
    e->obj = obj;
  }
  memset(e->attr, 0, sizeof e->attr);
  memset(e->meth, 0, sizeof e->meth);
  /* Clamp to what the class allows: no write bit on a read-only
   * attribute, nothing for attributes or methods the class lacks. */
  for (size_t i = 0; i < nattr && i < AMI__COSEM_MAX_ATTRS; i++) {
    const ami_cosem_attr_desc *d =
        ami_cosem_class_attr(obj->cls, (unsigned)i + 1);
    uint8_t mode = attr_access[i] > AMI_COSEM_ACC_AUTH_RW ? 0 : attr_access[i];
    if (!d)
      mode = 0;
    else if (d->access == AMI_COSEM_ACC_WRITE) { /* no read bits */
      if (mode == AMI_COSEM_ACC_READ || mode == AMI_COSEM_ACC_AUTH_READ)
        mode = 0;
      else if (mode == AMI_COSEM_ACC_RW)
        mode = AMI_COSEM_ACC_WRITE;
      else if (mode == AMI_COSEM_ACC_AUTH_RW)
        mode = AMI_COSEM_ACC_AUTH_WRITE;
    } else if (d->access == AMI_COSEM_ACC_READ) {
      if (mode == AMI_COSEM_ACC_WRITE || mode == AMI_COSEM_ACC_AUTH_WRITE)
        mode = 0;
      else if (mode == AMI_COSEM_ACC_RW)
        mode = AMI_COSEM_ACC_READ;
      else if (mode == AMI_COSEM_ACC_AUTH_RW)
        mode = AMI_COSEM_ACC_AUTH_READ;
    }
    e->attr[i] = mode;
  }
  for (size_t i = 0; i < nmethod && i < AMI__COSEM_MAX_METHODS; i++) {
    uint8_t mode =
        method_access[i] > AMI_COSEM_MACC_AUTH ? 0 : method_access[i];
    e->meth[i] = ami_cosem_class_method(obj->cls, (unsigned)i + 1) ? mode : 0;
  }
  return AMI_OK;
}

int ami_cosem_assoc_add_object_role(ami_cosem_assoc *a, ami_cosem_object *obj,
                                    ami_cosem_role role) {
  uint8_t attr[AMI__COSEM_MAX_ATTRS], meth[AMI__COSEM_MAX_METHODS];
  memset(attr, 0, sizeof attr);
  memset(meth, 0, sizeof meth);
  const ami_cosem_class_desc *c = obj->cls;
  for (uint8_t i = 0; i < c->nattrs; i++) {
    unsigned idx = c->attrs[i].index;
    if (idx >= 1 && idx <= AMI__COSEM_MAX_ATTRS)
      attr[idx - 1] = role == AMI_COSEM_ROLE_MANAGEMENT ? c->attrs[i].access
                                                        : AMI_COSEM_ACC_READ;
  }
  for (uint8_t i = 0; role == AMI_COSEM_ROLE_MANAGEMENT && i < c->nmethods;
       i++) {
    unsigned idx = c->methods[i].index;
    if (idx >= 1 && idx <= AMI__COSEM_MAX_METHODS)
      meth[idx - 1] = AMI_COSEM_MACC_ACCESS;
  }
  return ami_cosem_assoc_add_object(a, obj, attr, sizeof attr, meth,
                                    sizeof meth);
}

/* ---- dispatch ------------------------------------------------------------ */

static ami_cosem_assoc *find_assoc(const ami_cosem_model *m,
                                   const ami_server_assoc_info *info) {
  for (size_t i = 0; info && i < m->nassocs; i++)
    if (m->assocs[i]->client == info->client_address)
      return m->assocs[i];
  return NULL;
}

/* The object a descriptor names in association `a`, with its rights entry
 * (NULL for the association's own object reached as the current
 * association: read access to every attribute, no methods -- the engine
 * answers reply_to_HLS_authentication itself). */
static ami_cosem_object *resolve(const ami_cosem_assoc *a,
                                 const ami_apdu_desc *d,
                                 const ami__cosem_entry **entry) {
  *entry = NULL;
  ami_obis ln = ami_obis_from_bytes(d->obis);
  if (d->class_id == 15 && ami_obis_eq(&ln, &current_assoc_ln)) {
    ami__cosem_entry *e = assoc_entry(a, a->obj);
    *entry = e;
    return a->obj;
  }
  for (size_t i = 0; i < a->n; i++) {
    ami_cosem_object *o = a->entries[i].obj;
    if (o->cls->class_id == d->class_id && ami_obis_eq(&o->ln, &ln)) {
      *entry = &a->entries[i];
      return o;
    }
  }
  return NULL;
}

/* Access mode granted for attribute `idx` (1-based) of `o`. Without an
 * entry (the association's own object reached as the current association
 * but not in its list) every attribute the class lets be read is
 * read-only. */
static uint8_t attr_mode(const ami__cosem_entry *e, const ami_cosem_object *o,
                         unsigned idx) {
  if (!e) {
    const ami_cosem_attr_desc *d = ami_cosem_class_attr(o->cls, idx);
    return d && d->access != AMI_COSEM_ACC_WRITE ? AMI_COSEM_ACC_READ
                                                 : AMI_COSEM_ACC_NONE;
  }
  return idx >= 1 && idx <= AMI__COSEM_MAX_ATTRS ? e->attr[idx - 1] : 0;
}

/* Whether `mode` permits reading (want_write false) or writing. The
 * authenticated modes (4..6) need a request that arrived authenticated,
 * i.e. on a ciphered association (Blue Book class 15 access_mode). */
static bool mode_allows(uint8_t mode, bool want_write,
                        const ami_server_assoc_info *info) {
  bool r = mode == AMI_COSEM_ACC_READ || mode == AMI_COSEM_ACC_RW;
  bool w = mode == AMI_COSEM_ACC_WRITE || mode == AMI_COSEM_ACC_RW;
  if (info->ciphered) {
    r = r || mode == AMI_COSEM_ACC_AUTH_READ || mode == AMI_COSEM_ACC_AUTH_RW;
    w = w || mode == AMI_COSEM_ACC_AUTH_WRITE || mode == AMI_COSEM_ACC_AUTH_RW;
  }
  return want_write ? w : r;
}

int ami__cosem_read(const ami__cosem_ctx *c, ami_cosem_object *o, unsigned attr,
                    const ami_apdu_selection *sel, ami_wr *out, uint8_t *dar) {
  *dar = AMI_COSEM_DAR_SUCCESS;
  const ami_cosem_callbacks *cb = o->has_cb          ? &o->cb
                                  : o->model->has_cb ? &o->model->cb
                                                     : NULL;
  size_t mark = out->len;
  if (cb && cb->read && attr != 1) {
    int rc = cb->read(cb->user_data, o, attr, sel, c->now_ms, out, dar);
    if (rc != AMI_E_NOT_FOUND)
      return rc == AMI_OK && out->err ? out->err : rc;
    out->len = mark;
    *dar = AMI_COSEM_DAR_SUCCESS;
  }
  const ami__cosem_hooks *h = ami__cosem_hooks_find(o->cls->class_id);
  if (h && h->get && attr != 1) {
    int rc = h->get(c, o, attr, sel, out, dar);
    if (rc != AMI_E_NOT_FOUND)
      return rc == AMI_OK && out->err ? out->err : rc;
    out->len = mark;
    *dar = AMI_COSEM_DAR_SUCCESS;
  }
  if (sel && sel->present) {
    /* Selective access on an attribute that has none. */
    *dar = AMI_COSEM_DAR_SCOPE_OF_ACCESS_VIOLATED;
    return AMI_OK;
  }
  ami__cosem_read_stored(o, attr, out);
  return out->err;
}

/* The application's own read: the same path as a GET after its access
 * checks, with no association (hooks see info == NULL, as in a capture). */
int ami_cosem_read(ami_cosem_object *obj, unsigned attr, uint64_t now_ms,
                   ami_wr *out, uint8_t *dar) {
  ami__cosem_ctx c = {NULL, NULL, now_ms};
  size_t mark = out->len;
  int err0 = out->err;
  int rc = ami__cosem_read(&c, obj, attr, NULL, out, dar);
  if (rc != AMI_OK || *dar != AMI_COSEM_DAR_SUCCESS) {
    out->len = mark;
    out->err = err0; /* nothing was left in it: the caller may retry */
  }
  return rc;
}

/* Resolve a GET: the association, the object and the read right. NULL
 * with *dar set when the request is to be refused. */
static ami_cosem_object *resolve_get(ami_cosem_model *m,
                                     const ami_server_assoc_info *info,
                                     const ami_apdu_desc *attr,
                                     ami_cosem_assoc **assoc, uint8_t *dar) {
  *dar = AMI_COSEM_DAR_OBJECT_UNDEFINED;
  m->req_now_ms = info->now_ms;
  ami_cosem_assoc *a = find_assoc(m, info);
  *assoc = a;
  if (!a)
    return NULL;
  const ami__cosem_entry *e;
  ami_cosem_object *o = resolve(a, attr, &e);
  if (!o || attr->id < 1 || !ami_cosem_class_attr(o->cls, (unsigned)attr->id))
    return NULL;
  if (!mode_allows(attr_mode(e, o, (unsigned)attr->id), false, info)) {
    *dar = AMI_COSEM_DAR_READ_WRITE_DENIED;
    return NULL;
  }
  *dar = AMI_COSEM_DAR_SUCCESS;
  return o;
}

int ami_cosem_get(ami_cosem_model *m, const ami_server_assoc_info *info,
                  const ami_apdu_desc *attr, const ami_apdu_selection *sel,
                  ami_wr *out, uint8_t *dar) {
  ami_cosem_assoc *a;
  ami_cosem_object *o = resolve_get(m, info, attr, &a, dar);
  if (!o)
    return AMI_OK;
  ami__cosem_ctx c = {info, a, info->now_ms};
  size_t mark = out->len;
  int rc = ami__cosem_read(&c, o, (unsigned)attr->id, sel, out, dar);
  if (rc != AMI_OK || *dar != AMI_COSEM_DAR_SUCCESS)
    out->len = mark; /* nothing half-written stays behind */
  return rc;
}

int ami_cosem_get_resumable(ami_cosem_model *m,
                            const ami_server_assoc_info *info,
                            const ami_apdu_desc *attr,
                            const ami_apdu_selection *sel,
                            ami_cosem_cursor *cursor, ami_wr *out,
                            uint8_t *dar) {
  ami_cosem_assoc *a;
  ami_cosem_object *o = resolve_get(m, info, attr, &a, dar);
  if (!o)
    return AMI_OK;
  if (o->cls->class_id != 7 || attr->id != 2)
    return ami_cosem_get(m, info, attr, sel, out, dar);
  size_t mark = out->len;
  int rc = ami__cosem_profile_read(o, sel, cursor, out, dar);
  if ((rc != AMI_OK && rc != AMI_E_AGAIN) || *dar != AMI_COSEM_DAR_SUCCESS)
    out->len = mark;
  return rc;
}

/* Map a model error from a write to a Data-Access-Result where it is a
 * protocol outcome rather than a failure of the call. */
static int write_outcome(int rc, uint8_t *dar) {
  if (rc == AMI_E_LIMIT) {
    *dar = AMI_COSEM_DAR_OTHER_REASON;
    return AMI_OK;
  }
  return rc;
}

int ami_cosem_set(ami_cosem_model *m, const ami_server_assoc_info *info,
                  const ami_apdu_desc *attr, const ami_apdu_selection *sel,
                  ami_span value, uint8_t *dar) {
  *dar = AMI_COSEM_DAR_OBJECT_UNDEFINED;
  m->req_now_ms = info->now_ms;
  ami_cosem_assoc *a = find_assoc(m, info);
  if (!a)
    return AMI_OK;
  const ami__cosem_entry *e;
  ami_cosem_object *o = resolve(a, attr, &e);
  const ami_cosem_attr_desc *d =
      o && attr->id >= 1 ? ami_cosem_class_attr(o->cls, (unsigned)attr->id)
                         : NULL;
  if (!d)
    return AMI_OK;
  if (attr->id == 1 ||
      !mode_allows(attr_mode(e, o, (unsigned)attr->id), true, info)) {
    *dar = AMI_COSEM_DAR_READ_WRITE_DENIED;
    return AMI_OK;
  }
  if (sel && sel->present) {
    *dar = AMI_COSEM_DAR_SCOPE_OF_ACCESS_VIOLATED;
    return AMI_OK;
  }
  if (ami_cosem_type_check(d->td, d->td_len, value) != AMI_OK) {
    *dar = AMI_COSEM_DAR_TYPE_UNMATCHED;
    return AMI_OK;
  }
  *dar = AMI_COSEM_DAR_SUCCESS;
  ami__cosem_ctx c = {info, a, info->now_ms};
  const ami_cosem_callbacks *cb = o->has_cb   ? &o->cb
                                  : m->has_cb ? &m->cb
                                              : NULL;
  if (cb && cb->write) {
    int rc = cb->write(cb->user_data, o, (unsigned)attr->id, value, dar);
    if (rc != AMI_E_NOT_FOUND)
      return rc;
    *dar = AMI_COSEM_DAR_SUCCESS;
  }
  const ami__cosem_hooks *h = ami__cosem_hooks_find(o->cls->class_id);
  if (h && h->set) {
    int rc = h->set(&c, o, (unsigned)attr->id, value, dar);
    if (rc != AMI_E_NOT_FOUND)
      return write_outcome(rc, dar);
    *dar = AMI_COSEM_DAR_SUCCESS;
  }
  return write_outcome(ami__cosem_store(o, (unsigned)attr->id, value), dar);
}

int ami_cosem_action(ami_cosem_model *m, const ami_server_assoc_info *info,
                     const ami_apdu_desc *method, ami_span params, ami_wr *ret,
                     bool *has_return, uint8_t *result) {
  *has_return = false;
  *result = AMI_COSEM_DAR_OBJECT_UNDEFINED;
  m->req_now_ms = info->now_ms;
  ami_cosem_assoc *a = find_assoc(m, info);
  if (!a)
    return AMI_OK;
  const ami__cosem_entry *e;
  ami_cosem_object *o = resolve(a, method, &e);
  const ami_cosem_method_desc *d =
      o && method->id >= 1
          ? ami_cosem_class_method(o->cls, (unsigned)method->id)
          : NULL;
  if (!d)
    return AMI_OK;
  uint8_t mode = e && method->id <= AMI__COSEM_MAX_METHODS
                     ? e->meth[method->id - 1]
                     : AMI_COSEM_MACC_NONE;
  if (!(mode == AMI_COSEM_MACC_ACCESS ||
        (mode == AMI_COSEM_MACC_AUTH && info->ciphered))) {
    *result = AMI_COSEM_DAR_READ_WRITE_DENIED;
    return AMI_OK;
  }
  /* An absent parameter is accepted for every method (the engine passes
   * an empty span); a present one must match the description. */
  if (params.len && (!d->td_len || ami_cosem_type_check(d->td, d->td_len,
                                                        params) != AMI_OK)) {
    *result = AMI_COSEM_DAR_TYPE_UNMATCHED;
    return AMI_OK;
  }
  *result = AMI_COSEM_DAR_SUCCESS;
  ami__cosem_ctx c = {info, a, info->now_ms};
  size_t mark = ret->len;
  const ami_cosem_callbacks *cb = o->has_cb   ? &o->cb
                                  : m->has_cb ? &m->cb
                                              : NULL;
  int rc = AMI_E_NOT_FOUND;
  if (cb && cb->invoke)
    rc = cb->invoke(cb->user_data, o, (unsigned)method->id, params, ret,
                    has_return, result);
  if (rc == AMI_E_NOT_FOUND) {
    ret->len = mark;
    *has_return = false;
    *result = AMI_COSEM_DAR_SUCCESS;
    const ami__cosem_hooks *h = ami__cosem_hooks_find(o->cls->class_id);
    if (h && h->action)
      rc = h->action(&c, o, (unsigned)method->id, params, ret, has_return,
                     result);
  }
  if (rc == AMI_E_NOT_FOUND) {
    /* Nobody implements this method in this meter. */
    *result = AMI_COSEM_DAR_OBJECT_UNAVAILABLE;
    rc = AMI_OK;
  }
  rc = write_outcome(rc, result);
  if (rc == AMI_OK && ret->err)
    rc = ret->err;
  if (rc != AMI_OK || *result != AMI_COSEM_DAR_SUCCESS) {
    ret->len = mark;
    *has_return = false;
  }
  return rc;
}

/* ---- the ami_server_app seam ----------------------------------------------
 */

static int app_get(void *ud, const ami_server_assoc_info *info,
                   const ami_apdu_desc *attr, const ami_apdu_selection *sel,
                   ami_wr *out, uint8_t *dar) {
  return ami_cosem_get(ud, info, attr, sel, out, dar);
}

static int app_set(void *ud, const ami_server_assoc_info *info,
                   const ami_apdu_desc *attr, const ami_apdu_selection *sel,
                   ami_span value, uint8_t *dar) {
  return ami_cosem_set(ud, info, attr, sel, value, dar);
}

static int app_action(void *ud, const ami_server_assoc_info *info,
                      const ami_apdu_desc *method, ami_span params, ami_wr *ret,
                      bool *has_return, uint8_t *result) {
  return ami_cosem_action(ud, info, method, params, ret, has_return, result);
}

/* The engine's opaque cursor holds the model's. */
_Static_assert(sizeof(ami_cosem_cursor) <= sizeof(ami_server_app_cursor),
               "ami_cosem_cursor must fit the engine's cursor");

static int app_get_part(void *ud, const ami_server_assoc_info *info,
                        const ami_apdu_desc *attr,
                        const ami_apdu_selection *sel,
                        ami_server_app_cursor *cursor, ami_wr *out,
                        uint8_t *dar) {
  ami_cosem_cursor c;
  memcpy(&c, cursor->bytes, sizeof c);
  int rc = ami_cosem_get_resumable(ud, info, attr, sel, &c, out, dar);
  memcpy(cursor->bytes, &c, sizeof c);
  return rc;
}

const ami_server_app *ami_cosem_server_app(ami_cosem_model *m) {
  m->app.get_part = app_get_part;
  m->app.get = app_get;
  m->app.set = app_set;
  m->app.action = app_action;
  return &m->app;
}

/* The callbacks' write and invoke carry no time; an application that
 * timestamps what a request did (an event log entry) asks here. */
uint64_t ami_cosem_object_request_now(const ami_cosem_object *obj) {
  return obj->model->req_now_ms;
}
