/*
 * ami_mdm_store.c -- the data model's rules shared by every store engine
 * (ami_mdm_store.h): time checks, day/slot arithmetic, the raw merge rules
 * (idempotence, first value kept, gaps filled, late flagged) and the
 * composition of day blocks into a read. Pure: no I/O, no allocation.
 */
#include "ami/ami_mdm_store.h"

#include <stdlib.h>

#include "ami/ami_err.h"
#include "ami/ami_mdm_block.h"

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int ami_mdm_check_time(int64_t t, uint32_t interval_s) {
  if (t < -AMI_MDM_T_LIMIT || t > AMI_MDM_T_LIMIT)
    return AMI_E_RANGE;
  if (interval_s == 0 || t % (int64_t)interval_s != 0)
    return AMI_E_STORE_OFF_GRID;
  return AMI_OK;
}

/* The interval ending at t covers [t - interval_s, t): its day is the one
 * its start falls in, so the 24:00 value belongs to the day it ends. */
int ami_mdm_read_prepare(int sel, uint32_t interval_s, int64_t t0, int64_t t1,
                         ami_mdm_interval *out, size_t cap, uint64_t *count) {
  *count = 0;
  if (sel != AMI_MDM_RAW && sel != AMI_MDM_CURRENT)
    return AMI_E_INVAL;
  if (t1 < t0)
    return AMI_E_INVAL;
  int rc;
  if ((rc = ami_mdm_check_time(t0, interval_s)) != AMI_OK ||
      (rc = ami_mdm_check_time(t1, interval_s)) != AMI_OK)
    return rc;
  uint64_t n = (uint64_t)(t1 - t0) / interval_s;
  if (n > cap)
    return AMI_E_BUFFER_FULL;
  for (size_t i = 0; i < n; i++)
    out[i] = (ami_mdm_interval){0, AMI_MDM_Q_MISSING, 0, 0};
  *count = n;
  return AMI_OK;
}

ami_mdm_key *ami_mdm_keys_new(const ami_allocator *a, size_t n) {
  if (n == 0 || n > SIZE_MAX / sizeof(ami_mdm_key))
    return NULL;
  return ami_malloc(a, n * sizeof(ami_mdm_key));
}

static int cmp_key(const void *a, const void *b) {
  const ami_mdm_key *x = a, *y = b;
  if (x->channel_id != y->channel_id)
    return x->channel_id < y->channel_id ? -1 : 1;
  if (x->t != y->t)
    return x->t < y->t ? -1 : 1;
  return x->i < y->i ? -1 : x->i > y->i;
}

void ami_mdm_keys_sort(ami_mdm_key *k, size_t n) {
  qsort(k, n, sizeof *k, cmp_key);
}

void ami_mdm_day_slot(int64_t t, uint32_t interval_s, int64_t *day,
                      uint32_t *slot) {
  int64_t start = t - (int64_t)interval_s;
  *day = floor_div(start, 86400);
  *slot = (uint32_t)((start - *day * 86400) / (int64_t)interval_s);
}

ami_mdm_merge ami_mdm_merge_raw(ami_mdm_interval *o,
                                const ami_mdm_raw_reading *r, bool covered,
                                bool *changed) {
  bool old_has = o->quality == AMI_MDM_Q_ACTUAL;
  bool new_has = r->quality == AMI_MDM_Q_ACTUAL;
  *changed = false;
  if (o->quality == AMI_MDM_BLOCK_ABSENT || (!old_has && new_has)) {
    *o = (ami_mdm_interval){new_has ? r->value : 0, r->quality, 0, r->flags};
    if (covered)
      o->flags |= AMI_MDM_F_LATE;
    *changed = true;
    return AMI_MDM_MERGE_STORED;
  }
  if (!new_has || o->value == r->value)
    return AMI_MDM_MERGE_UNCHANGED;
  if (!(o->flags & AMI_MDM_F_DUPLICATE)) {
    o->flags |= AMI_MDM_F_DUPLICATE;
    *changed = true;
  }
  return AMI_MDM_MERGE_DUPLICATE;
}

void ami_mdm_place_day(const ami_mdm_interval *v, int64_t day,
                       uint32_t interval_s, int64_t t0, int64_t t1,
                       bool overlay, ami_mdm_interval *out) {
  int64_t iv = interval_s, base = day * 86400;
  uint32_t k0 = 0, k1 = 86400 / interval_s;
  if (t1 <= base || t0 >= base + 86400)
    return;
  if (t0 > base)
    k0 = (uint32_t)((t0 - base) / iv);
  if (t1 < base + 86400)
    k1 = (uint32_t)((t1 - base) / iv);
  for (uint32_t k = k0; k < k1; k++) {
    size_t o = (size_t)((base + (int64_t)k * iv - t0) / iv);
    if (v[k].quality == AMI_MDM_BLOCK_ABSENT) {
      if (!overlay)
        out[o] = (ami_mdm_interval){0, AMI_MDM_Q_MISSING, 0, 0};
      continue;
    }
    out[o] = v[k];
  }
}
