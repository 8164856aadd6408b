/*
 * cosem_profile.c -- Profile Generic (Blue Book class 7, version 1): a
 * bounded ring of captured rows, and the buffer attribute read in full or
 * with selective access by range (selector 1) and by entry (selector 2),
 * parameters decoded with ami_selective.h.
 *
 * STORAGE. A row is a run of fixed-width slots, one per capture column:
 * a length byte, then the column's value ALREADY ENCODED as A-XDR Data
 * (tag included) padded to the column's width. Reading the buffer is
 * therefore an array header, and per row a structure header and one
 * memcpy per column: no re-encoding, millions of rows per second.
 *
 * OUTPUT CONTRACT. Through ami_server_app the buffer is written whole into
 * `out`; if it does not fit, the GET returns AMI_E_BUFFER_FULL and the
 * engine retries with a larger buffer or answers with block transfer.
 * ami_cosem_get_resumable writes it in pieces instead: as many whole rows
 * as fit, then AMI_E_AGAIN with a cursor to continue into the next block.
 *
 * A read first makes a PLAN from the selective-access parameters (the
 * window of row sequence numbers, the range filter, the columns), then
 * emits rows of the window that pass the filter. Rows are addressed by
 * sequence number (the n-th capture since the ring was cleared is n-1), so
 * a cursor survives captures that do not overwrite the rows it still has
 * to send; a capture that does, or a reset, ends it with AMI_E_STATE.
 */
#include "cosem_internal.h"

#include <string.h>

#include "ami/ami_axdr.h"
#include "ami/ami_cosem_time.h"
#include "ami/ami_selective.h"

#define DEFAULT_WIDTH 16

void ami__cosem_profile_free(ami_cosem_model *m, ami__cosem_profile *p) {
  if (!p)
    return;
  ami_free(m->alloc, p->cols);
  ami_free(m->alloc, p->rows);
  ami_free(m->alloc, p);
}

/* (Re)allocate the ring for the current columns and capacity and clear it.
 * On failure the ring is left empty with no storage, and the error
 * returned. */
static int ring_alloc(ami_cosem_model *m, ami__cosem_profile *p,
                      uint32_t capacity, size_t row_bytes) {
  if (row_bytes && capacity > m->lim.max_profile_bytes / row_bytes)
    return AMI_E_LIMIT;
  size_t bytes = (size_t)capacity * row_bytes;
  uint8_t *rows = NULL;
  if (bytes) {
    rows = ami_malloc(m->alloc, bytes);
    if (!rows)
      return AMI_E_NOMEM;
  }
  ami_free(m->alloc, p->rows);
  p->rows = rows;
  p->capacity = capacity;
  p->row_bytes = row_bytes;
  p->count = 0;
  p->head = 0;
  p->total = 0;
  p->epoch++;
  return AMI_OK;
}

int ami_cosem_profile_add_column(ami_cosem_object *profile,
                                 ami_cosem_object *src, int8_t attr,
                                 uint16_t data_index, uint8_t width) {
  ami__cosem_profile *p = profile->profile;
  ami_cosem_model *m = profile->model;
  if (!p || !src)
    return AMI_E_INVAL;
  if (p->ncols >= m->lim.max_capture_columns)
    return AMI_E_LIMIT;
  if (width == 0)
    width = DEFAULT_WIDTH;
  int rc = ring_alloc(m, p, p->capacity, p->row_bytes + 1u + width);
  if (rc != AMI_OK)
    return rc;
  ami__cosem_column *c = &p->cols[p->ncols++];
  c->src = src;
  c->attr = attr;
  c->data_index = data_index;
  c->width = width;
  c->offset = (uint32_t)(p->row_bytes - 1u - width);
  return AMI_OK;
}

int ami_cosem_profile_set_capacity(ami_cosem_object *profile, uint32_t rows) {
  ami__cosem_profile *p = profile->profile;
  if (!p)
    return AMI_E_INVAL;
  return ring_alloc(profile->model, p, rows, p->row_bytes);
}

uint32_t ami_cosem_profile_entries(const ami_cosem_object *profile) {
  return profile->profile ? profile->profile->count : 0;
}

/* The element `index` (1-based) of a structure or array value, as a span
 * of its encoding; the whole value when index is 0 or the value is not a
 * container. */
static ami_span select_element(ami_span v, uint16_t index) {
  if (!index || !v.len ||
      (v.p[0] != AMI_AXDR_STRUCTURE && v.p[0] != AMI_AXDR_ARRAY))
    return v;
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, v.p, v.len);
  ami_axdr_value hdr;
  if (ami_axdr_next(&d, &hdr) != AMI_OK || index > hdr.count)
    return ami_span_make(NULL, 0);
  for (uint16_t i = 1; i < index; i++)
    if (ami_axdr_skip(&d) != AMI_OK)
      return ami_span_make(NULL, 0);
  size_t start = ami_axdr_pos(&d);
  if (ami_axdr_skip(&d) != AMI_OK)
    return ami_span_make(NULL, 0);
  return ami_span_make(v.p + start, ami_axdr_pos(&d) - start);
}

/* The capture method (Blue Book class 7 method 2): read every column's
 * source as a GET would and append the row, overwriting the oldest when
 * the ring is full (sort_method FIFO). A value that cannot be read or does
 * not fit its slot is captured as null-data. */
int ami__cosem_profile_capture(const ami__cosem_ctx *c, ami_cosem_object *o) {
  ami__cosem_profile *p = o->profile;
  if (!p || !p->capacity || !p->ncols)
    return AMI_OK;
  uint8_t *row = p->rows + (size_t)p->head * p->row_bytes;
  for (size_t i = 0; i < p->ncols; i++) {
    const ami__cosem_column *col = &p->cols[i];
    uint8_t tmp[AMI__COSEM_SCRATCH];
    ami_wr w;
    ami_wr_init(&w, tmp, sizeof tmp);
    uint8_t dar = 0;
    ami_span v = ami_span_make(NULL, 0);
    int rc = col->attr >= 1 ? ami__cosem_read(c, col->src, (unsigned)col->attr,
                                              NULL, &w, &dar)
                            : AMI_E_NOT_FOUND;
    if (rc == AMI_E_NOMEM)
      return rc;
    if (rc == AMI_OK && dar == 0 && w.err == AMI_OK)
      v = select_element(ami_span_make(tmp, w.len), col->data_index);
    uint8_t *slot = row + col->offset;
    if (!v.len || v.len > col->width) {
      slot[0] = 1;
      slot[1] = AMI_AXDR_NULL;
    } else {
      slot[0] = (uint8_t)v.len;
      memcpy(slot + 1, v.p, v.len);
    }
  }
  p->head = (p->head + 1) % p->capacity;
  if (p->count < p->capacity)
    p->count++;
  p->total++;
  return AMI_OK;
}

int ami_cosem_profile_capture(ami_cosem_object *profile, uint64_t now_ms) {
  if (!profile->profile)
    return AMI_E_INVAL;
  ami__cosem_ctx c = {NULL, NULL, now_ms};
  return ami__cosem_profile_capture(&c, profile);
}

/* Row `i` in chronological order (0 = oldest). */
static const uint8_t *row_at(const ami__cosem_profile *p, uint32_t i) {
  uint32_t oldest = p->count < p->capacity ? 0 : p->head;
  uint32_t k = oldest + i;
  if (k >= p->capacity)
    k -= p->capacity;
  return p->rows + (size_t)k * p->row_bytes;
}

/* Write one row with the selected columns: a structure header and the
 * stored encodings, in one reservation. */
static void put_row(ami_wr *w, const ami__cosem_profile *p, const uint8_t *row,
                    const uint8_t *sel, size_t nsel) {
  size_t len = 0;
  for (size_t j = 0; j < nsel; j++)
    len += row[p->cols[sel[j]].offset];
  ami_axdr_put_struct(w, nsel);
  uint8_t *d = ami_wr_reserve(w, len);
  if (!d)
    return;
  for (size_t j = 0; j < nsel; j++) {
    const uint8_t *slot = row + p->cols[sel[j]].offset;
    memcpy(d, slot + 1, slot[0]);
    d += slot[0];
  }
}

/* ---- comparing values for range selection -------------------------------- */

typedef enum { K_NONE, K_TIME, K_NUM, K_BYTES } key_kind;

typedef struct key {
  key_kind kind;
  bool neg;     /* K_NUM: sign */
  uint64_t mag; /* K_NUM: magnitude; K_TIME: hundredths since 1970 (biased) */
  ami_span bytes;
} key;

/* An ordering key for one encoded Data: date-times (octet-string(12) or
 * tag 25) by the instant they name (an unspecified deviation read as UTC),
 * integers by value, other strings by their bytes. K_NONE for anything
 * else (null-data from a failed capture, floats, containers). */
static key key_of(ami_span v) {
  key k;
  memset(&k, 0, sizeof k);
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, v.p, v.len);
  ami_cosem_datetime dt;
  if (ami_axdr_get_datetime(&d, &dt) == AMI_OK) {
    if (dt.deviation == INT16_MIN)
      dt.deviation = 0;
    int64_t s;
    uint8_t h;
    if (ami_cosem_datetime_to_utc(&dt, AMI_COSEM_DEV_STANDARD, &s, &h) ==
        AMI_OK) {
      k.kind = K_TIME;
      k.mag = (uint64_t)(s * 100 + h) ^ (1ull << 63); /* order-preserving */
    }
    return k;
  }
  ami_axdr_value x;
  if (ami_axdr_next(&d, &x) != AMI_OK)
    return k;
  switch (x.tag) {
  case AMI_AXDR_INTEGER:
  case AMI_AXDR_LONG:
  case AMI_AXDR_DOUBLE_LONG:
  case AMI_AXDR_LONG64:
    k.kind = K_NUM;
    k.neg = x.v.i < 0;
    k.mag = k.neg ? (uint64_t)(-(x.v.i + 1)) + 1 : (uint64_t)x.v.i;
    break;
  case AMI_AXDR_UNSIGNED:
  case AMI_AXDR_LONG_UNSIGNED:
  case AMI_AXDR_DOUBLE_LONG_UNSIGNED:
  case AMI_AXDR_LONG64_UNSIGNED:
  case AMI_AXDR_ENUM:
    k.kind = K_NUM;
    k.mag = x.v.u;
    break;
  case AMI_AXDR_OCTET_STRING:
  case AMI_AXDR_VISIBLE_STRING:
  case AMI_AXDR_UTF8_STRING:
    k.kind = K_BYTES;
    k.bytes = x.v.s;
    break;
  default:
    break;
  }
  return k;
}

/* -1, 0, 1; *ok false when the two cannot be compared. */
static int key_cmp(const key *a, const key *b, bool *ok) {
  *ok = a->kind != K_NONE && a->kind == b->kind;
  if (!*ok)
    return 0;
  if (a->kind == K_BYTES) {
    size_t n = a->bytes.len < b->bytes.len ? a->bytes.len : b->bytes.len;
    int c = n ? memcmp(a->bytes.p, b->bytes.p, n) : 0;
    if (c)
      return c < 0 ? -1 : 1;
    return a->bytes.len < b->bytes.len ? -1 : a->bytes.len > b->bytes.len;
  }
  if (a->neg != b->neg)
    return a->neg ? -1 : 1;
  int c = a->mag < b->mag ? -1 : a->mag > b->mag;
  return a->neg ? -c : c;
}

/* Does row `row` fall in [from, to] on column `col`? */
static bool row_in_range(const ami__cosem_profile *p, const uint8_t *row,
                         size_t col, const key *from, const key *to) {
  const uint8_t *slot = row + p->cols[col].offset;
  key k = key_of(ami_span_make(slot + 1, slot[0]));
  bool ok1, ok2;
  int c1 = key_cmp(&k, from, &ok1);
  int c2 = key_cmp(&k, to, &ok2);
  return ok1 && ok2 && c1 >= 0 && c2 <= 0;
}

/* The column matching a capture object definition, or -1. */
static int find_column(const ami__cosem_profile *p,
                       const ami_selective_column *s) {
  for (size_t i = 0; i < p->ncols; i++) {
    const ami__cosem_column *c = &p->cols[i];
    if (c->src->cls->class_id == s->class_id &&
        ami_obis_eq(&c->src->ln, &s->logical_name) &&
        c->attr == s->attribute_index && c->data_index == s->data_index)
      return (int)i;
  }
  return -1;
}

/* What one read of the buffer sends. */
typedef struct plan {
  uint64_t first, end; /* window of row sequence numbers [first, end) */
  int rcol;            /* range filter column, -1 for none */
  key from, to;
  uint8_t sel[AMI__COSEM_MAX_ATTRS]; /* columns, in order */
  size_t nsel;
} plan;

static uint64_t oldest_seq(const ami__cosem_profile *p) {
  return p->total - p->count;
}

static const uint8_t *row_seq(const ami__cosem_profile *p, uint64_t seq) {
  return row_at(p, (uint32_t)(seq - oldest_seq(p)));
}

static bool plan_takes(const ami__cosem_profile *p, const plan *pl,
                       const uint8_t *row) {
  return pl->rcol < 0 ||
         row_in_range(p, row, (size_t)pl->rcol, &pl->from, &pl->to);
}

/* Selector 1, range_descriptor (Blue Book class 7 attribute 2): the rows
 * whose restricting column lies in [from_value, to_value] (both
 * inclusive), with the selected columns (all when the list is empty). The
 * keys borrow `params`. */
static bool plan_range(const ami__cosem_profile *p, ami_span params, plan *pl) {
  ami_selective_column want[AMI__COSEM_MAX_ATTRS];
  ami_selective_range r;
  memset(&r, 0, sizeof r);
  r.columns = want;
  r.columns_cap = sizeof want / sizeof want[0];
  size_t used;
  if (ami_selective_range_decode(params, &r, &used) != AMI_OK ||
      used != params.len)
    return false;
  pl->rcol = find_column(p, &r.restricting_object);
  pl->from = key_of(r.from_value);
  pl->to = key_of(r.to_value);
  bool ok;
  (void)key_cmp(&pl->from, &pl->to, &ok);
  if (pl->rcol < 0 || !ok)
    return false;
  pl->nsel = r.ncolumns ? r.ncolumns : p->ncols;
  for (size_t j = 0; j < pl->nsel; j++) {
    int k = r.ncolumns ? find_column(p, &want[j]) : (int)j;
    if (k < 0)
      return false;
    pl->sel[j] = (uint8_t)k;
  }
  return true;
}

/* Selector 2, entry_descriptor: rows from_entry..to_entry (1-based over the
 * rows kept, 0 = the last) and columns from_selected_value..
 * to_selected_value (likewise). Rows beyond entries_in_use are simply
 * absent (an empty array when none is left); a column range outside the
 * capture objects is a scope-of-access violation. */
static bool plan_entries(const ami__cosem_profile *p, ami_span params,
                         plan *pl) {
  ami_selective_entry e;
  size_t used;
  if (ami_selective_entry_decode(params, &e, &used) != AMI_OK ||
      used != params.len)
    return false;
  uint32_t from = e.from_entry ? e.from_entry : 1;
  uint32_t to = e.to_entry && e.to_entry < p->count ? e.to_entry : p->count;
  size_t cfrom = e.from_selected_value ? e.from_selected_value : 1;
  size_t cto = e.to_selected_value ? e.to_selected_value : p->ncols;
  if (cfrom > cto || cto > p->ncols)
    return false;
  pl->nsel = cto - cfrom + 1;
  for (size_t j = 0; j < pl->nsel; j++)
    pl->sel[j] = (uint8_t)(cfrom - 1 + j);
  pl->first = oldest_seq(p) + from - 1;
  pl->end = from <= to ? oldest_seq(p) + to : pl->first;
  return true;
}

/* Make the plan of a read; false when the selection is not acceptable
 * (scope-of-access-violated). */
static bool make_plan(const ami__cosem_profile *p,
                      const ami_apdu_selection *sel, plan *pl) {
  memset(pl, 0, sizeof *pl);
  pl->rcol = -1;
  pl->first = oldest_seq(p);
  pl->end = p->total;
  pl->nsel = p->ncols;
  for (size_t j = 0; j < pl->nsel; j++)
    pl->sel[j] = (uint8_t)j;
  if (!sel || !sel->present)
    return true;
  if (sel->selector == AMI_SELECTIVE_RANGE)
    return plan_range(p, sel->params, pl);
  if (sel->selector == AMI_SELECTIVE_ENTRY)
    return plan_entries(p, sel->params, pl);
  return false;
}

/* Encoded size of one row with the plan's columns. */
static size_t row_size(const ami__cosem_profile *p, const plan *pl,
                       const uint8_t *row) {
  size_t len = pl->nsel < 0x80 ? 2 : 3;
  for (size_t j = 0; j < pl->nsel; j++)
    len += row[p->cols[pl->sel[j]].offset];
  return len;
}

/* Read the buffer (attribute 2). Without a cursor: the whole array into
 * `out` or AMI_E_BUFFER_FULL. With one: see ami_cosem_get_resumable. */
int ami__cosem_profile_read(const ami_cosem_object *o,
                            const ami_apdu_selection *sel,
                            ami_cosem_cursor *cur, ami_wr *out, uint8_t *dar) {
  const ami__cosem_profile *p = o->profile;
  if (cur && cur->started &&
      (cur->epoch != p->epoch || cur->next < oldest_seq(p)))
    return AMI_E_STATE; /* reset, new columns, or unsent rows overwritten */
  plan pl;
  if (!make_plan(p, sel, &pl)) {
    *dar = AMI_COSEM_DAR_SCOPE_OF_ACCESS_VIOLATED;
    return AMI_OK;
  }
  uint64_t next = pl.first, end = pl.end;
  size_t start_len = out->len;
  if (cur && cur->started) {
    /* Continue the snapshot taken by the first call. */
    next = cur->next;
    end = cur->end;
  } else {
    uint64_t n = pl.end - pl.first;
    if (pl.rcol >= 0) { /* count the rows the filter takes */
      n = 0;
      for (uint64_t i = pl.first; i < pl.end; i++)
        n += plan_takes(p, &pl, row_seq(p, i));
    }
    ami_axdr_put_array(out, n);
    if (out->err)
      return out->err;
    if (cur) {
      cur->started = true;
      cur->epoch = p->epoch;
      cur->end = end;
    }
  }
  for (uint64_t s = next; s < end; s++) {
    const uint8_t *row = row_seq(p, s);
    if (pl.rcol >= 0 && !plan_takes(p, &pl, row))
      continue;
    if (cur && out->cap - out->len < row_size(p, &pl, row)) {
      cur->next = s;
      /* Not even one row fits a fresh buffer: it must grow. */
      return out->len == start_len ? AMI_E_BUFFER_FULL : AMI_E_AGAIN;
    }
    put_row(out, p, row, pl.sel, pl.nsel);
    if (out->err)
      return out->err;
  }
  if (cur)
    cur->next = end;
  return AMI_OK;
}

int ami__cosem_profile_get(const ami__cosem_ctx *c, ami_cosem_object *o,
                           unsigned attr, const ami_apdu_selection *sel,
                           ami_wr *out, uint8_t *dar) {
  (void)c;
  const ami__cosem_profile *p = o->profile;
  bool selective = sel && sel->present;
  if (attr != 2 && selective)
    return AMI_E_NOT_FOUND; /* generic: scope-of-access-violated */
  switch (attr) {
  case 2:
    return ami__cosem_profile_read(o, sel, NULL, out, dar);
  case 3:
    ami_axdr_put_array(out, p->ncols);
    for (size_t i = 0; i < p->ncols; i++) {
      ami_selective_column sc;
      sc.class_id = p->cols[i].src->cls->class_id;
      sc.logical_name = p->cols[i].src->ln;
      sc.attribute_index = p->cols[i].attr;
      sc.data_index = p->cols[i].data_index;
      ami_selective_column_encode(out, &sc);
    }
    return out->err;
  case 7:
    ami_axdr_put_u32(out, p->count);
    return out->err;
  case 8:
    ami_axdr_put_u32(out, p->capacity);
    return out->err;
  default:
    return AMI_E_NOT_FOUND;
  }
}

/* SET capture_objects (3): rebuild the columns from objects of the model
 * (an unknown object: other-reason, columns unchanged); SET
 * profile_entries (8): resize the ring. Both clear the buffer. */
int ami__cosem_profile_set(const ami__cosem_ctx *c, ami_cosem_object *o,
                           unsigned attr, ami_span value, uint8_t *dar) {
  (void)c;
  ami__cosem_profile *p = o->profile;
  if (attr == 8) {
    ami_axdr_dec d;
    ami_axdr_dec_init(&d, value.p, value.len);
    uint32_t rows;
    int rc = ami_axdr_get_u32(&d, &rows);
    return rc == AMI_OK ? ami_cosem_profile_set_capacity(o, rows) : rc;
  }
  if (attr != 3)
    return AMI_E_NOT_FOUND;
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, value.p, value.len);
  uint32_t n;
  int rc = ami_axdr_get_array(&d, &n);
  if (rc != AMI_OK)
    return rc;
  if (n > o->model->lim.max_capture_columns) {
    *dar = AMI_COSEM_DAR_OTHER_REASON;
    return AMI_OK;
  }
  /* Resolve every column first so a bad list changes nothing. */
  ami_selective_column cols[AMI__COSEM_MAX_ATTRS];
  ami_cosem_object *srcs[AMI__COSEM_MAX_ATTRS];
  if (n > AMI__COSEM_MAX_ATTRS) {
    *dar = AMI_COSEM_DAR_OTHER_REASON;
    return AMI_OK;
  }
  for (uint32_t i = 0; i < n; i++) {
    rc = ami_selective_column_decode(&d, &cols[i]);
    if (rc != AMI_OK)
      return rc;
    srcs[i] = ami_cosem_find(o->model, cols[i].class_id, cols[i].logical_name);
    if (!srcs[i]) {
      *dar = AMI_COSEM_DAR_OTHER_REASON;
      return AMI_OK;
    }
  }
  uint32_t capacity = p->capacity;
  rc = ring_alloc(o->model, p, 0, 0);
  if (rc != AMI_OK)
    return rc;
  p->ncols = 0;
  for (uint32_t i = 0; i < n && rc == AMI_OK; i++)
    rc = ami_cosem_profile_add_column(o, srcs[i], cols[i].attribute_index,
                                      cols[i].data_index, 0);
  if (rc == AMI_OK)
    rc = ami_cosem_profile_set_capacity(o, capacity);
  return rc;
}

int ami__cosem_profile_action(const ami__cosem_ctx *c, ami_cosem_object *o,
                              unsigned method, ami_span params, ami_wr *ret,
                              bool *has_return, uint8_t *result) {
  (void)params;
  (void)ret;
  (void)has_return;
  (void)result;
  if (method == 1) { /* reset */
    o->profile->count = 0;
    o->profile->head = 0;
    o->profile->total = 0;
    o->profile->epoch++;
    return AMI_OK;
  }
  if (method == 2) /* capture */
    return ami__cosem_profile_capture(c, o);
  return AMI_E_NOT_FOUND;
}
