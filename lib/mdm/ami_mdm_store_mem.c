/*
 * ami_mdm_store_mem.c -- the in-memory store engine (ami_mdm_store_mem.h).
 *
 * State is a handful of sorted arrays: channels and meters by id, day
 * blocks by (channel, day, version) holding the same compressed blocks as
 * the SQLite engine, audit rows by (channel, t, version, arrival), register
 * reads by (channel, t), events by (meter, t, code).
 *
 * Atomicity without a journal: a call first computes everything it will
 * change into "pending" buffers (new blocks, new audit rows) and reserves
 * the array capacity it needs; only then, with nothing left that can fail,
 * it applies the changes. An error at any point frees the pending buffers
 * and leaves the store untouched.
 */
#include "ami/ami_mdm_store_mem.h"

#include <stdlib.h>
#include <string.h>

#include "ami/ami_buf.h"
#include "ami/ami_mdm_block.h"

#define SLOTS AMI_MDM_BLOCK_MAX_SLOTS

typedef struct blk {
  uint64_t ch;
  int64_t day;
  uint32_t ver;
  uint32_t len;
  uint8_t *data; /* owned */
} blk;

typedef struct arow {
  ami_mdm_audit a; /* a.who / a.reason point to the owned copies below */
  char *who;
  char *reason;
} arow;

/* A block a call will write: replacing blocks[idx], or new when idx < 0. */
typedef struct pend {
  blk b;
  long idx;
} pend;

typedef ami_mdm_key item; /* application order of a batch */

typedef struct mem {
  const ami_allocator *alloc;
  ami_mdm_channel_info *chs;
  size_t nch, capch;
  ami_mdm_meter_info *mts;
  size_t nmt, capmt;
  blk *bs;
  size_t nb, capb;
  arow *au;
  size_t nau, capau;
  ami_mdm_register_read *rg;
  size_t nrg, caprg;
  ami_mdm_event *ev;
  size_t nev, capev;
  pend *pd; /* pending blocks of the call in progress */
  size_t npd, cappd;
  arow *pa; /* pending audit rows */
  size_t npa, cappa;
  ami_mdm_interval raw[SLOTS], cur[SLOTS], tmp[SLOTS], over[SLOTS];
  uint8_t covered[SLOTS];
  uint8_t enc[AMI_MDM_BLOCK_MAX_BYTES(SLOTS)];
} mem;

/* Grows *arr to hold `need` elements of `size`; the array is untouched on
 * failure (AMI_E_NOMEM). */
static int reserve(mem *m, void **arr, size_t *cap, size_t need, size_t size) {
  if (need <= *cap)
    return AMI_OK;
  size_t n = *cap ? *cap : 8;
  while (n < need)
    n *= 2;
  if (n > SIZE_MAX / size)
    return AMI_E_NOMEM;
  void *p = ami_realloc(m->alloc, *arr, n * size);
  if (!p)
    return AMI_E_NOMEM;
  *arr = p;
  *cap = n;
  return AMI_OK;
}

static char *dup_str(mem *m, const char *s) {
  size_t n = strlen(s) + 1;
  char *d = ami_malloc(m->alloc, n);
  if (d)
    memcpy(d, s, n);
  return d;
}

/* Drops everything pending (the call failed). */
static void drop_pending(mem *m) {
  for (size_t i = 0; i < m->npd; i++)
    ami_free(m->alloc, m->pd[i].b.data);
  for (size_t i = 0; i < m->npa; i++) {
    ami_free(m->alloc, m->pa[i].who);
    ami_free(m->alloc, m->pa[i].reason);
  }
  m->npd = m->npa = 0;
}

static int cmp_blk_key(uint64_t ch, int64_t day, uint32_t ver, const blk *b) {
  if (ch != b->ch)
    return ch < b->ch ? -1 : 1;
  if (day != b->day)
    return day < b->day ? -1 : 1;
  return ver < b->ver ? -1 : ver > b->ver;
}

/* First block not less than (ch, day, ver). */
static size_t blk_lower(const mem *m, uint64_t ch, int64_t day, uint32_t ver) {
  size_t lo = 0, hi = m->nb;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (cmp_blk_key(ch, day, ver, &m->bs[mid]) > 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static ami_mdm_channel_info *find_channel(mem *m, uint64_t id) {
  size_t lo = 0, hi = m->nch;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (m->chs[mid].channel_id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < m->nch && m->chs[lo].channel_id == id ? &m->chs[lo] : NULL;
}

static int channel_iv(mem *m, uint64_t id, uint32_t *iv) {
  const ami_mdm_channel_info *c = find_channel(m, id);
  if (!c)
    return AMI_E_STORE_NO_CHANNEL;
  *iv = c->interval_s;
  return AMI_OK;
}

static void fill_absent(ami_mdm_interval *v, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    v[i] = (ami_mdm_interval){0, AMI_MDM_BLOCK_ABSENT, 0, 0};
}

static int decode(const blk *b, uint32_t iv, ami_mdm_interval *out) {
  ami_mdm_block_hdr h;
  int rc = ami_mdm_block_decode(ami_span_make(b->data, b->len), &h, out, SLOTS);
  if (rc != AMI_OK || h.interval_s != iv || h.count != 86400 / iv)
    return AMI_E_STORE_CORRUPT;
  return AMI_OK;
}

/* Loads a channel-day as the SQLite engine does: m->raw, m->cur (all
 * versions composed), m->covered; *raw_idx the raw block or -1; *maxv the
 * highest version. */
static int load_day(mem *m, uint64_t ch, int64_t day, uint32_t iv,
                    long *raw_idx, uint32_t *maxv) {
  uint32_t n = 86400 / iv;
  fill_absent(m->raw, n);
  memset(m->covered, 0, n);
  *raw_idx = -1;
  *maxv = 0;
  size_t i = blk_lower(m, ch, day, 0);
  if (i < m->nb && m->bs[i].ch == ch && m->bs[i].day == day &&
      m->bs[i].ver == 0) {
    int rc = decode(&m->bs[i], iv, m->raw);
    if (rc != AMI_OK)
      return rc;
    *raw_idx = (long)i++;
  }
  memcpy(m->cur, m->raw, n * sizeof m->cur[0]);
  for (; i < m->nb && m->bs[i].ch == ch && m->bs[i].day == day; i++) {
    int rc = decode(&m->bs[i], iv, m->tmp);
    if (rc != AMI_OK)
      return rc;
    for (uint32_t k = 0; k < n; k++)
      if (m->tmp[k].quality != AMI_MDM_BLOCK_ABSENT) {
        m->cur[k] = m->tmp[k];
        m->covered[k] = 1;
      }
    *maxv = m->bs[i].ver;
  }
  return AMI_OK;
}

/* Encodes v as a pending block (ch, day, ver) replacing index idx (-1:
 * new). */
static int add_pending_block(mem *m, uint64_t ch, int64_t day, uint32_t ver,
                             uint32_t iv, const ami_mdm_interval *v, long idx) {
  ami_wr w;
  ami_wr_init(&w, m->enc, sizeof m->enc);
  int rc = ami_mdm_block_encode(&w, iv, v, 86400 / iv);
  if (rc != AMI_OK)
    return rc;
  if ((rc = reserve(m, (void **)&m->pd, &m->cappd, m->npd + 1,
                    sizeof *m->pd)) != AMI_OK)
    return rc;
  uint8_t *d = ami_malloc(m->alloc, w.len);
  if (!d)
    return AMI_E_NOMEM;
  memcpy(d, m->enc, w.len);
  m->pd[m->npd++] = (pend){{ch, day, ver, (uint32_t)w.len, d}, idx};
  return AMI_OK;
}

static int add_pending_audit(mem *m, const ami_mdm_audit *a) {
  int rc = reserve(m, (void **)&m->pa, &m->cappa, m->npa + 1, sizeof *m->pa);
  if (rc != AMI_OK)
    return rc;
  char *who = dup_str(m, a->who), *reason = dup_str(m, a->reason);
  if (!who || !reason) {
    ami_free(m->alloc, who);
    ami_free(m->alloc, reason);
    return AMI_E_NOMEM;
  }
  arow *r = &m->pa[m->npa++];
  r->a = *a;
  r->who = who;
  r->reason = reason;
  return AMI_OK;
}

static int cmp_audit(const ami_mdm_audit *x, const ami_mdm_audit *y) {
  if (x->channel_id != y->channel_id)
    return x->channel_id < y->channel_id ? -1 : 1;
  if (x->t != y->t)
    return x->t < y->t ? -1 : 1;
  return x->version < y->version ? -1 : x->version > y->version;
}

/* Reserves room for everything pending, then applies it; nothing here can
 * fail once the reservations succeeded. */
static int commit_pending(mem *m) {
  size_t newb = 0;
  for (size_t i = 0; i < m->npd; i++)
    newb += m->pd[i].idx < 0;
  int rc = reserve(m, (void **)&m->bs, &m->capb, m->nb + newb, sizeof *m->bs);
  if (rc == AMI_OK)
    rc = reserve(m, (void **)&m->au, &m->capau, m->nau + m->npa, sizeof *m->au);
  if (rc != AMI_OK) {
    drop_pending(m);
    return rc;
  }
  /* Replacements first, while the indexes are still valid. */
  for (size_t i = 0; i < m->npd; i++)
    if (m->pd[i].idx >= 0) {
      ami_free(m->alloc, m->bs[m->pd[i].idx].data);
      m->bs[m->pd[i].idx] = m->pd[i].b;
    }
  for (size_t i = 0; i < m->npd; i++) {
    if (m->pd[i].idx >= 0)
      continue;
    const blk *b = &m->pd[i].b;
    size_t at = blk_lower(m, b->ch, b->day, b->ver);
    memmove(&m->bs[at + 1], &m->bs[at], (m->nb - at) * sizeof *m->bs);
    m->bs[at] = *b;
    m->nb++;
  }
  for (size_t i = 0; i < m->npa; i++) {
    size_t at = m->nau; /* after every row of the same key: arrival order */
    while (at > 0 && cmp_audit(&m->au[at - 1].a, &m->pa[i].a) > 0)
      at--;
    memmove(&m->au[at + 1], &m->au[at], (m->nau - at) * sizeof *m->au);
    m->au[at] = m->pa[i];
    m->au[at].a.who = m->au[at].who;
    m->au[at].a.reason = m->au[at].reason;
    m->nau++;
  }
  m->npd = m->npa = 0;
  return AMI_OK;
}

/* Has this differing duplicate been audited (committed or pending)? */
static bool dup_audited(const mem *m, uint64_t ch, int64_t t, int64_t v) {
  for (size_t i = 0; i < m->nau; i++) {
    const ami_mdm_audit *a = &m->au[i].a;
    if (a->channel_id == ch && a->t == t && a->version == 0 &&
        a->new_v.value == v)
      return true;
  }
  for (size_t i = 0; i < m->npa; i++) {
    const ami_mdm_audit *a = &m->pa[i].a;
    if (a->channel_id == ch && a->t == t && a->version == 0 &&
        a->new_v.value == v)
      return true;
  }
  return false;
}

static ami_mdm_interval as_missing(ami_mdm_interval v) {
  if (v.quality == AMI_MDM_BLOCK_ABSENT)
    v = (ami_mdm_interval){0, AMI_MDM_Q_MISSING, 0, 0};
  return v;
}

/* The ingest of one channel-day group it[*i..): merges into m->raw and
 * makes the pending block and audit rows. */
static int ingest_group(mem *m, const ami_mdm_raw_reading *r, const item *it,
                        size_t n, size_t *i, int64_t now,
                        ami_mdm_ingest_result *res) {
  uint64_t ch = it[*i].channel_id;
  uint32_t iv, k, maxv;
  int64_t day, day2;
  long raw_idx;
  int rc = channel_iv(m, ch, &iv);
  if (rc != AMI_OK || (rc = ami_mdm_check_time(it[*i].t, iv)) != AMI_OK)
    return rc;
  ami_mdm_day_slot(it[*i].t, iv, &day, &k);
  if ((rc = load_day(m, ch, day, iv, &raw_idx, &maxv)) != AMI_OK)
    return rc;
  bool dirty = false;
  for (; *i < n && it[*i].channel_id == ch; (*i)++) {
    const ami_mdm_raw_reading *x = &r[it[*i].i];
    if ((rc = ami_mdm_check_time(x->t, iv)) != AMI_OK)
      return rc;
    if (x->quality != AMI_MDM_Q_ACTUAL && x->quality != AMI_MDM_Q_MISSING)
      return AMI_E_INVAL;
    ami_mdm_day_slot(x->t, iv, &day2, &k);
    if (day2 != day)
      break;
    bool changed;
    ami_mdm_merge mg =
        ami_mdm_merge_raw(&m->raw[k], x, m->covered[k], &changed);
    dirty = dirty || changed;
    if (mg == AMI_MDM_MERGE_STORED) {
      res->stored++;
      res->late += m->covered[k];
    } else if (mg == AMI_MDM_MERGE_UNCHANGED) {
      res->unchanged++;
    } else {
      res->duplicates++;
      if (dup_audited(m, ch, x->t, x->value))
        continue;
      ami_mdm_audit a = {ch,        x->t,
                         0,         now,
                         "ingest",  "differing duplicate",
                         m->raw[k], {x->value, x->quality, 0, x->flags}};
      if ((rc = add_pending_audit(m, &a)) != AMI_OK)
        return rc;
    }
  }
  if (dirty)
    return add_pending_block(m, ch, day, 0, iv, m->raw, raw_idx);
  return AMI_OK;
}

static int mem_ingest(void *self, const ami_mdm_raw_reading *r, size_t n,
                      int64_t now, ami_mdm_ingest_result *res) {
  mem *m = self;
  ami_mdm_ingest_result local;
  if (!res)
    res = &local;
  memset(res, 0, sizeof *res);
  if (n == 0)
    return AMI_OK;
  if (!r)
    return AMI_E_INVAL;
  item *it = ami_mdm_keys_new(m->alloc, n);
  if (!it)
    return AMI_E_NOMEM;
  for (size_t i = 0; i < n; i++)
    it[i] = (item){r[i].channel_id, r[i].t, i};
  ami_mdm_keys_sort(it, n);
  int rc = AMI_OK;
  for (size_t i = 0; i < n && rc == AMI_OK;)
    rc = ingest_group(m, r, it, n, &i, now, res);
  ami_free(m->alloc, it);
  if (rc == AMI_OK)
    rc = commit_pending(m);
  else
    drop_pending(m);
  if (rc != AMI_OK)
    memset(res, 0, sizeof *res);
  return rc;
}

static int mem_read(void *self, uint64_t ch, int64_t t0, int64_t t1,
                    ami_mdm_version_sel sel, ami_mdm_interval *out, size_t cap,
                    size_t *nout) {
  mem *m = self;
  uint32_t iv, k;
  *nout = 0;
  if (sel != AMI_MDM_RAW && sel != AMI_MDM_CURRENT)
    return AMI_E_INVAL;
  int rc = channel_iv(m, ch, &iv);
  if (rc != AMI_OK)
    return rc;
  uint64_t count;
  if ((rc = ami_mdm_read_prepare(sel, iv, t0, t1, out, cap, &count)) != AMI_OK)
    return rc;
  if (count == 0)
    return AMI_OK;
  int64_t d0, d1;
  ami_mdm_day_slot(t0 + (int64_t)iv, iv, &d0, &k);
  ami_mdm_day_slot(t1, iv, &d1, &k);
  for (size_t i = blk_lower(m, ch, d0, 0);
       i < m->nb && m->bs[i].ch == ch && m->bs[i].day <= d1; i++) {
    if (sel == AMI_MDM_RAW && m->bs[i].ver != 0)
      continue;
    if ((rc = decode(&m->bs[i], iv, m->tmp)) != AMI_OK)
      return rc;
    ami_mdm_place_day(m->tmp, m->bs[i].day, iv, t0, t1, m->bs[i].ver > 0, out);
  }
  *nout = (size_t)count;
  return AMI_OK;
}

/* One day of an edit: the overlay of the slots that change, with audits. */
static int edit_group(mem *m, const ami_mdm_edit *e,
                      const ami_mdm_edit_value *v, const item *it, size_t n,
                      size_t *i, uint32_t iv) {
  int64_t day, day2;
  uint32_t k, maxv;
  long raw_idx;
  int rc = ami_mdm_check_time(it[*i].t, iv);
  if (rc != AMI_OK)
    return rc;
  ami_mdm_day_slot(it[*i].t, iv, &day, &k);
  if ((rc = load_day(m, e->channel_id, day, iv, &raw_idx, &maxv)) != AMI_OK)
    return rc;
  fill_absent(m->over, 86400 / iv);
  bool changed = false;
  for (; *i < n; (*i)++) {
    const ami_mdm_edit_value *x = &v[it[*i].i];
    if ((rc = ami_mdm_check_time(x->t, iv)) != AMI_OK)
      return rc;
    if (x->v.quality > AMI_MDM_Q_VALIDATION_FAILED)
      return AMI_E_INVAL;
    ami_mdm_day_slot(x->t, iv, &day2, &k);
    if (day2 != day)
      break;
    ami_mdm_interval nv = x->v;
    if (nv.quality == AMI_MDM_Q_MISSING)
      nv.value = 0;
    if (ami_mdm_block_same(&m->cur[k], &nv))
      continue;
    ami_mdm_audit a = {
        e->channel_id,         x->t, maxv + 1, e->at, e->who, e->reason,
        as_missing(m->cur[k]), nv};
    if ((rc = add_pending_audit(m, &a)) != AMI_OK)
      return rc;
    m->over[k] = nv;
    m->cur[k] = nv;
    changed = true;
  }
  if (changed)
    return add_pending_block(m, e->channel_id, day, maxv + 1, iv, m->over, -1);
  return AMI_OK;
}

static int mem_write_version(void *self, const ami_mdm_edit *e,
                             const ami_mdm_edit_value *v, size_t n) {
  mem *m = self;
  if (!e || !e->who || !e->reason || (n && !v))
    return AMI_E_INVAL;
  if (n == 0)
    return AMI_OK;
  uint32_t iv;
  int rc = channel_iv(m, e->channel_id, &iv);
  if (rc != AMI_OK)
    return rc;
  item *it = ami_mdm_keys_new(m->alloc, n);
  if (!it)
    return AMI_E_NOMEM;
  for (size_t i = 0; i < n; i++)
    it[i] = (item){e->channel_id, v[i].t, i};
  ami_mdm_keys_sort(it, n);
  for (size_t i = 0; i < n && rc == AMI_OK;)
    rc = edit_group(m, e, v, it, n, &i, iv);
  ami_free(m->alloc, it);
  if (rc == AMI_OK)
    return commit_pending(m);
  drop_pending(m);
  return rc;
}

static int mem_list_audit(void *self, uint64_t ch, int64_t t0, int64_t t1,
                          ami_mdm_audit_cb cb, void *ud) {
  mem *m = self;
  for (size_t i = 0; i < m->nau; i++) {
    const ami_mdm_audit *a = &m->au[i].a;
    if (a->channel_id != ch || a->t <= t0 || a->t > t1)
      continue;
    int rc = cb(ud, a);
    if (rc != 0)
      return rc;
  }
  return AMI_OK;
}

static int mem_upsert_meter(void *self, const ami_mdm_meter_info *mi) {
  mem *m = self;
  if (!mi || !memchr(mi->serial, 0, sizeof mi->serial))
    return AMI_E_INVAL;
  size_t at = 0;
  while (at < m->nmt && m->mts[at].meter_id < mi->meter_id)
    at++;
  if (at < m->nmt && m->mts[at].meter_id == mi->meter_id) {
    m->mts[at] = *mi;
    return AMI_OK;
  }
  int rc = reserve(m, (void **)&m->mts, &m->capmt, m->nmt + 1, sizeof *m->mts);
  if (rc != AMI_OK)
    return rc;
  memmove(&m->mts[at + 1], &m->mts[at], (m->nmt - at) * sizeof *m->mts);
  m->mts[at] = *mi;
  m->nmt++;
  return AMI_OK;
}

static int mem_upsert_channel(void *self, const ami_mdm_channel_info *c) {
  mem *m = self;
  if (!c || c->interval_s < 60 || c->interval_s > 86400 ||
      86400 % c->interval_s != 0)
    return AMI_E_INVAL;
  ami_mdm_channel_info *old = find_channel(m, c->channel_id);
  if (old) {
    size_t i = blk_lower(m, c->channel_id, INT64_MIN, 0);
    if (old->interval_s != c->interval_s && i < m->nb &&
        m->bs[i].ch == c->channel_id)
      return AMI_E_STORE_CHANNEL_CHANGED;
    *old = *c;
    return AMI_OK;
  }
  int rc = reserve(m, (void **)&m->chs, &m->capch, m->nch + 1, sizeof *m->chs);
  if (rc != AMI_OK)
    return rc;
  size_t at = 0;
  while (at < m->nch && m->chs[at].channel_id < c->channel_id)
    at++;
  memmove(&m->chs[at + 1], &m->chs[at], (m->nch - at) * sizeof *m->chs);
  m->chs[at] = *c;
  m->nch++;
  return AMI_OK;
}

static int mem_get_channel(void *self, uint64_t id, ami_mdm_channel_info *out) {
  const ami_mdm_channel_info *c = find_channel(self, id);
  if (!c)
    return AMI_E_STORE_NO_CHANNEL;
  *out = *c;
  return AMI_OK;
}

static int cmp_reg(const ami_mdm_register_read *a,
                   const ami_mdm_register_read *b) {
  if (a->channel_id != b->channel_id)
    return a->channel_id < b->channel_id ? -1 : 1;
  return a->t < b->t ? -1 : a->t > b->t;
}

static int mem_put_registers(void *self, const ami_mdm_register_read *r,
                             size_t n) {
  mem *m = self;
  uint32_t iv;
  for (size_t i = 0; i < n; i++) {
    int rc = channel_iv(m, r[i].channel_id, &iv);
    if (rc != AMI_OK)
      return rc;
  }
  int rc = reserve(m, (void **)&m->rg, &m->caprg, m->nrg + n, sizeof *m->rg);
  if (rc != AMI_OK)
    return rc;
  for (size_t i = 0; i < n; i++) { /* insertion, first one kept */
    size_t at = m->nrg;
    while (at > 0 && cmp_reg(&m->rg[at - 1], &r[i]) > 0)
      at--;
    if (at > 0 && cmp_reg(&m->rg[at - 1], &r[i]) == 0)
      continue;
    memmove(&m->rg[at + 1], &m->rg[at], (m->nrg - at) * sizeof *m->rg);
    m->rg[at] = r[i];
    m->nrg++;
  }
  return AMI_OK;
}

static int mem_list_registers(void *self, uint64_t ch, int64_t t0, int64_t t1,
                              ami_mdm_register_cb cb, void *ud) {
  mem *m = self;
  for (size_t i = 0; i < m->nrg; i++)
    if (m->rg[i].channel_id == ch && m->rg[i].t >= t0 && m->rg[i].t < t1) {
      int rc = cb(ud, &m->rg[i]);
      if (rc != 0)
        return rc;
    }
  return AMI_OK;
}

static int cmp_ev(const ami_mdm_event *a, const ami_mdm_event *b) {
  if (a->meter_id != b->meter_id)
    return a->meter_id < b->meter_id ? -1 : 1;
  if (a->t != b->t)
    return a->t < b->t ? -1 : 1;
  return a->code < b->code ? -1 : a->code > b->code;
}

static int mem_put_events(void *self, const ami_mdm_event *e, size_t n) {
  mem *m = self;
  int rc = reserve(m, (void **)&m->ev, &m->capev, m->nev + n, sizeof *m->ev);
  if (rc != AMI_OK)
    return rc;
  for (size_t i = 0; i < n; i++) {
    size_t at = m->nev;
    while (at > 0 && cmp_ev(&m->ev[at - 1], &e[i]) > 0)
      at--;
    if (at > 0 && cmp_ev(&m->ev[at - 1], &e[i]) == 0)
      continue;
    memmove(&m->ev[at + 1], &m->ev[at], (m->nev - at) * sizeof *m->ev);
    m->ev[at] = e[i];
    m->nev++;
  }
  return AMI_OK;
}

static int mem_list_events(void *self, uint64_t meter, int64_t t0, int64_t t1,
                           ami_mdm_event_cb cb, void *ud) {
  mem *m = self;
  for (size_t i = 0; i < m->nev; i++)
    if (m->ev[i].meter_id == meter && m->ev[i].t >= t0 && m->ev[i].t < t1) {
      int rc = cb(ud, &m->ev[i]);
      if (rc != 0)
        return rc;
    }
  return AMI_OK;
}

static void mem_close(void *self) {
  mem *m = self;
  if (!m)
    return;
  drop_pending(m);
  for (size_t i = 0; i < m->nb; i++)
    ami_free(m->alloc, m->bs[i].data);
  for (size_t i = 0; i < m->nau; i++) {
    ami_free(m->alloc, m->au[i].who);
    ami_free(m->alloc, m->au[i].reason);
  }
  void *arrays[] = {m->chs, m->mts, m->bs, m->au, m->rg, m->ev, m->pd, m->pa};
  for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
    ami_free(m->alloc, arrays[i]);
  ami_free(m->alloc, m);
}

static const ami_mdm_store_vtbl mem_vtbl = {
    AMI_MDM_STORE_ABI,  mem_close,          mem_upsert_meter,
    mem_upsert_channel, mem_get_channel,    mem_ingest,
    mem_read,           mem_write_version,  mem_list_audit,
    mem_put_registers,  mem_list_registers, mem_put_events,
    mem_list_events,
};

int ami_mdm_store_mem_open(const ami_allocator *alloc, ami_mdm_store *out) {
  if (!out)
    return AMI_E_INVAL;
  out->vt = NULL;
  out->self = NULL;
  mem *m = ami_malloc(alloc, sizeof *m);
  if (!m)
    return AMI_E_NOMEM;
  memset(m, 0, sizeof *m);
  m->alloc = alloc;
  out->vt = &mem_vtbl;
  out->self = m;
  return AMI_OK;
}
