/*
 * ami_mdm_store.h -- the storage INTERFACE of the meter data management
 * system: a table of functions plus the implementation's state, so that the
 * embedded SQLite store (ami_store_sqlite.h) and, later, a distributed
 * engine are interchangeable behind it (an in-memory engine for tests,
 * ami_mdm_store_mem.h, is the second implementation). Nothing here does I/O;
 * VEE, billing and analytics take an `ami_mdm_store *` and never know which
 * engine runs.
 *
 * Data model (every implementation keeps these promises):
 *
 *  - Time is UTC seconds; an interval is named by its END (ami_mdm.h). The
 *    store has no notion of local time: a 23- or 25-hour local day is just a
 *    range [t0, t1) of 92 or 100 quarter hours, which may span two UTC days.
 *  - RAW is what was received, kept forever. Ingest is idempotent: the same
 *    reading again changes nothing. A reading for a slot that already holds
 *    a DIFFERENT value keeps the FIRST value in raw (the audit trail must
 *    show what a bill was computed from), sets AMI_MDM_F_DUPLICATE on the
 *    slot and adds an audit row (who "ingest", old -> new, reason
 *    "differing duplicate") recording the value that was not taken. A value
 *    for a slot received as MISSING fills it (not a duplicate); a MISSING
 *    for a slot with a value changes nothing. Late and out-of-order data
 *    merges into its place.
 *  - VERSIONS: every write_version (VEE output, a manual edit) adds a new
 *    version of the slots it changes, with one audit row per changed slot
 *    (who, when, old -> new, method, reason). CURRENT is raw overlaid with
 *    all versions in order: the latest word on each slot. Raw data arriving
 *    late under a slot that a version already covers does not change
 *    CURRENT (VEE decides whether to re-estimate); the raw slot gets
 *    AMI_MDM_F_LATE so that VEE can find it.
 *  - ACKNOWLEDGED = an ingest or write call returned AMI_OK: the whole batch
 *    is durably committed (what survives is the implementation's stated
 *    guarantee, e.g. process kill or power loss). A call that fails applies
 *    nothing at all.
 *
 * Threading: one store object is used by one thread at a time.
 */
#ifndef AMI_MDM_STORE_H
#define AMI_MDM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_alloc.h"
#include "ami/ami_mdm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which version a read returns. */
typedef enum ami_mdm_version_sel {
  AMI_MDM_RAW = 0,    /* as received; never-received slots read MISSING */
  AMI_MDM_CURRENT = 1 /* raw overlaid with every later version */
} ami_mdm_version_sel;

/* What an ingest did (all counts in slots). */
typedef struct ami_mdm_ingest_result {
  size_t stored;     /* new values or filled gaps */
  size_t unchanged;  /* exact repeats (idempotent re-sends) */
  size_t duplicates; /* differing repeats: first kept, flagged, audited */
  size_t late;       /* arrived under a slot a version already covers */
} ami_mdm_ingest_result;

/* A new version of some slots of one channel (VEE output or a manual edit).
 * Strings are borrowed for the duration of the call. */
typedef struct ami_mdm_edit {
  uint64_t channel_id;
  int64_t at;         /* when the edit was made, UTC seconds */
  const char *who;    /* "vee:rule-set-7", "user:alice" */
  const char *reason; /* free text, kept in the audit trail */
} ami_mdm_edit;

/* One slot of an edit: t is the interval end; v carries the new value,
 * quality (ESTIMATED, SUBSTITUTED, EDITED, VALIDATION_FAILED, MISSING...),
 * method and flags. */
typedef struct ami_mdm_edit_value {
  int64_t t;
  ami_mdm_interval v;
} ami_mdm_edit_value;

/* One row of the audit trail. Strings borrow the implementation's memory
 * and are valid only during the callback that receives the row. */
typedef struct ami_mdm_audit {
  uint64_t channel_id;
  int64_t t;        /* interval end of the slot changed */
  uint32_t version; /* per channel-day version number; 0 = raw (duplicate) */
  int64_t at;       /* when */
  const char *who;
  const char *reason;
  ami_mdm_interval old_v; /* quality MISSING when the slot had no value */
  ami_mdm_interval new_v;
} ami_mdm_audit;

/* Row callbacks: return 0 to continue, anything else stops the listing and
 * is returned by the listing call. */
typedef int (*ami_mdm_audit_cb)(void *user_data, const ami_mdm_audit *row);
typedef int (*ami_mdm_register_cb)(void *user_data,
                                   const ami_mdm_register_read *r);
typedef int (*ami_mdm_event_cb)(void *user_data, const ami_mdm_event *e);

/* The implementation's table. Every function takes the `self` of the
 * ami_mdm_store it came in. All errors are ami_err codes; engines map their
 * own failures to the storage range (AMI_E_STORE_*), AMI_E_NOMEM and
 * AMI_E_IO. */
typedef struct ami_mdm_store_vtbl {
  uint32_t abi_version; /* AMI_MDM_STORE_ABI */
  /* Closes the store and frees `self`; uncommitted work is discarded. */
  void (*close)(void *self);
  /* Inserts or replaces a meter / a channel. A channel's interval_s cannot
   * change once it holds data (AMI_E_STORE_CHANNEL_CHANGED). */
  int (*upsert_meter)(void *self, const ami_mdm_meter_info *m);
  int (*upsert_channel)(void *self, const ami_mdm_channel_info *c);
  /* AMI_E_STORE_NO_CHANNEL when unknown. */
  int (*get_channel)(void *self, uint64_t channel_id,
                     ami_mdm_channel_info *out);
  /* Ingests r[0..n) atomically (borrowed; any order, any channels); `now`
   * (UTC seconds, the time of arrival) dates the audit rows of differing
   * duplicates. A batch holding any invalid reading is refused whole: an
   * unknown channel AMI_E_STORE_NO_CHANNEL, a time off the channel's grid
   * AMI_E_STORE_OFF_GRID, a quality other than ACTUAL/MISSING AMI_E_INVAL.
   * `res` may be NULL; it is zeroed on error. */
  int (*ingest)(void *self, const ami_mdm_raw_reading *r, size_t n, int64_t now,
                ami_mdm_ingest_result *res);
  /* Reads the intervals of one channel that lie in [t0, t1): those ending
   * in (t0, t1], t0 and t1 on the channel's grid. out[i] (caller-owned,
   * `cap` entries) is the interval ending t0 + (i + 1) * interval_s; *n
   * receives (t1 - t0) / interval_s. AMI_E_BUFFER_FULL when cap is short,
   * AMI_E_STORE_OFF_GRID, AMI_E_STORE_NO_CHANNEL, AMI_E_STORE_CORRUPT. */
  int (*read)(void *self, uint64_t channel_id, int64_t t0, int64_t t1,
              ami_mdm_version_sel sel, ami_mdm_interval *out, size_t cap,
              size_t *n);
  /* Writes a new version of v[0..n) (borrowed) atomically, with one audit
   * row per slot whose CURRENT value changes; slots that would not change
   * are skipped (so re-applying an edit is a no-op). */
  int (*write_version)(void *self, const ami_mdm_edit *edit,
                       const ami_mdm_edit_value *v, size_t n);
  /* Lists audit rows of a channel for slots ending in (t0, t1], in slot
   * then version order. */
  int (*list_audit)(void *self, uint64_t channel_id, int64_t t0, int64_t t1,
                    ami_mdm_audit_cb cb, void *user_data);
  /* Register reads and events: atomic batches, idempotent (a repeat of the
   * same (channel, t) or (meter, t, code) keeps the first). Listing covers
   * t0 <= t < t1 in time order. */
  int (*put_registers)(void *self, const ami_mdm_register_read *r, size_t n);
  int (*list_registers)(void *self, uint64_t channel_id, int64_t t0, int64_t t1,
                        ami_mdm_register_cb cb, void *user_data);
  int (*put_events)(void *self, const ami_mdm_event *e, size_t n);
  int (*list_events)(void *self, uint64_t meter_id, int64_t t0, int64_t t1,
                     ami_mdm_event_cb cb, void *user_data);
} ami_mdm_store_vtbl;

#define AMI_MDM_STORE_ABI 1

/* A store: the table and its implementation's state. Opened by an engine's
 * own function (ami_store_sqlite_open), closed by ami_mdm_store_close. */
typedef struct ami_mdm_store {
  const ami_mdm_store_vtbl *vt; /* borrows a static table */
  void *self;                   /* owned by the store, freed by close */
} ami_mdm_store;

/* Thin wrappers so that callers read naturally. */
static inline void ami_mdm_store_close(ami_mdm_store *s) {
  if (s && s->vt) {
    s->vt->close(s->self);
    s->vt = NULL;
    s->self = NULL;
  }
}
static inline int ami_mdm_store_upsert_meter(ami_mdm_store *s,
                                             const ami_mdm_meter_info *m) {
  return s->vt->upsert_meter(s->self, m);
}
static inline int ami_mdm_store_upsert_channel(ami_mdm_store *s,
                                               const ami_mdm_channel_info *c) {
  return s->vt->upsert_channel(s->self, c);
}
static inline int ami_mdm_store_get_channel(ami_mdm_store *s, uint64_t id,
                                            ami_mdm_channel_info *out) {
  return s->vt->get_channel(s->self, id, out);
}
static inline int ami_mdm_store_ingest(ami_mdm_store *s,
                                       const ami_mdm_raw_reading *r, size_t n,
                                       int64_t now,
                                       ami_mdm_ingest_result *res) {
  return s->vt->ingest(s->self, r, n, now, res);
}
static inline int ami_mdm_store_read(ami_mdm_store *s, uint64_t channel_id,
                                     int64_t t0, int64_t t1,
                                     ami_mdm_version_sel sel,
                                     ami_mdm_interval *out, size_t cap,
                                     size_t *n) {
  return s->vt->read(s->self, channel_id, t0, t1, sel, out, cap, n);
}
static inline int ami_mdm_store_write_version(ami_mdm_store *s,
                                              const ami_mdm_edit *e,
                                              const ami_mdm_edit_value *v,
                                              size_t n) {
  return s->vt->write_version(s->self, e, v, n);
}
static inline int ami_mdm_store_list_audit(ami_mdm_store *s, uint64_t ch,
                                           int64_t t0, int64_t t1,
                                           ami_mdm_audit_cb cb, void *ud) {
  return s->vt->list_audit(s->self, ch, t0, t1, cb, ud);
}
static inline int ami_mdm_store_put_registers(ami_mdm_store *s,
                                              const ami_mdm_register_read *r,
                                              size_t n) {
  return s->vt->put_registers(s->self, r, n);
}
static inline int ami_mdm_store_list_registers(ami_mdm_store *s, uint64_t ch,
                                               int64_t t0, int64_t t1,
                                               ami_mdm_register_cb cb,
                                               void *ud) {
  return s->vt->list_registers(s->self, ch, t0, t1, cb, ud);
}
static inline int ami_mdm_store_put_events(ami_mdm_store *s,
                                           const ami_mdm_event *e, size_t n) {
  return s->vt->put_events(s->self, e, n);
}
static inline int ami_mdm_store_list_events(ami_mdm_store *s, uint64_t meter,
                                            int64_t t0, int64_t t1,
                                            ami_mdm_event_cb cb, void *ud) {
  return s->vt->list_events(s->self, meter, t0, t1, cb, ud);
}

/* ---- helpers for engines: the data model's rules, written once ---------- */

/* Times beyond +-2^50 s (35 million years) are refused with AMI_E_RANGE so
 * that no day or slot arithmetic can overflow. */
#define AMI_MDM_T_LIMIT ((int64_t)1 << 50)

/* Checks an interval end t against a channel's grid: AMI_OK, AMI_E_RANGE,
 * AMI_E_STORE_OFF_GRID. */
int ami_mdm_check_time(int64_t t, uint32_t interval_s);

/* The argument checks every engine's read makes, once: `sel` is RAW or
 * CURRENT, [t0, t1) lies on the channel's grid (interval_s), its *count
 * intervals fit `cap`; out[0..*count) is then set to MISSING for the
 * engine to fill. AMI_E_INVAL, a time error of ami_mdm_check_time, or
 * AMI_E_BUFFER_FULL. */
int ami_mdm_read_prepare(int sel, uint32_t interval_s, int64_t t0, int64_t t1,
                         ami_mdm_interval *out, size_t cap, uint64_t *count);

/* The order engines apply a batch in: by (channel, time, arrival), so that
 * of two readings with equal keys the one received first wins. */
typedef struct ami_mdm_key {
  uint64_t channel_id;
  int64_t t;
  size_t i; /* index in the batch */
} ami_mdm_key;

/* n keys (returns owned memory from `a`; NULL when n keys overflow or
 * memory runs out), and their sort. */
ami_mdm_key *ami_mdm_keys_new(const ami_allocator *a, size_t n);
void ami_mdm_keys_sort(ami_mdm_key *k, size_t n);

/* The UTC day block of the interval ending at t (checked) and its slot. */
void ami_mdm_day_slot(int64_t t, uint32_t interval_s, int64_t *day,
                      uint32_t *slot);

/* What ami_mdm_merge_raw did to a slot. */
typedef enum ami_mdm_merge {
  AMI_MDM_MERGE_UNCHANGED = 0, /* exact repeat, or MISSING over a value */
  AMI_MDM_MERGE_STORED = 1,    /* new value, or a value over MISSING */
  AMI_MDM_MERGE_DUPLICATE = 2  /* differing value: first kept, flagged */
} ami_mdm_merge;

/* Merges a received reading into its raw slot (quality ACTUAL/MISSING, or
 * AMI_MDM_BLOCK_ABSENT when empty) by the rules above; `covered` says a
 * version already covers the slot (then a stored value gets
 * AMI_MDM_F_LATE). *changed tells whether the slot was modified. */
ami_mdm_merge ami_mdm_merge_raw(ami_mdm_interval *slot,
                                const ami_mdm_raw_reading *r, bool covered,
                                bool *changed);

/* Copies the slots of one decoded day block v (86400 / interval_s slots of
 * day `day`) that end in (t0, t1] into out (out[0] ends at t0 +
 * interval_s). Raw (overlay false): ABSENT reads as MISSING; overlay: ABSENT
 * slots leave out unchanged. */
void ami_mdm_place_day(const ami_mdm_interval *v, int64_t day,
                       uint32_t interval_s, int64_t t0, int64_t t1,
                       bool overlay, ami_mdm_interval *out);

#ifdef __cplusplus
}
#endif
#endif /* AMI_MDM_STORE_H */
