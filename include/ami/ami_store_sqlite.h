/*
 * ami_store_sqlite.h -- the embedded MDM store: ami_mdm_store.h on SQLite.
 *
 * One file, WAL journal. Interval data is kept one row per (channel, UTC
 * day, version) holding a compressed block (ami_mdm_block.h) in a WITHOUT
 * ROWID table keyed by exactly that triple, so a meter-year is 365 adjacent
 * rows. Each ingest/edit batch is one transaction (BEGIN IMMEDIATE ...
 * COMMIT) over prepared statements; late data is a read-modify-write of its
 * day block inside that transaction.
 *
 * DURABILITY (what "acknowledged" means, i.e. a call returned AMI_OK):
 *  - AMI_STORE_SQLITE_SYNC_FULL (the default): the WAL is fsync'd at every
 *    commit. Nothing acknowledged is lost on process kill, OS crash or power
 *    loss (given a disk that honours fsync).
 *  - AMI_STORE_SQLITE_SYNC_NORMAL: the WAL is written (write(2)) at commit
 *    and fsync'd only at checkpoints. Nothing acknowledged is lost when the
 *    PROCESS is killed (the data is in the kernel's page cache, which
 *    outlives the process); an OS crash or power loss may roll back the
 *    last commits, never corrupt the file. Faster for small batches.
 * Either way a batch is atomic: after any crash it is wholly there or not.
 *
 * SQLite allocates through its own allocator (process-wide); the injected
 * allocator covers this plugin's own state and scratch buffers.
 */
#ifndef AMI_STORE_SQLITE_H
#define AMI_STORE_SQLITE_H

#include "ami/ami_alloc.h"
#include "ami/ami_mdm_store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ami_store_sqlite_sync {
  AMI_STORE_SQLITE_SYNC_FULL = 0,
  AMI_STORE_SQLITE_SYNC_NORMAL = 1
} ami_store_sqlite_sync;

typedef struct ami_store_sqlite_opts {
  ami_store_sqlite_sync sync;
  int cache_kib;     /* SQLite page cache; 0 = 16 MiB */
  int64_t max_bytes; /* size quota of the database file; 0 = none. A batch
                        that would pass it fails whole with
                        AMI_E_STORE_FULL (as does a full disk) */
} ami_store_sqlite_opts;

/* Defaults: SYNC_FULL, 16 MiB cache, no quota. Cannot fail. */
void ami_store_sqlite_opts_init(ami_store_sqlite_opts *o);

/* Opens (creating if needed) the store in the file `path` (borrowed for the
 * call). `opts` may be NULL (defaults); `alloc` may be NULL (default) and
 * must outlive the store. On AMI_OK *out is a store to be closed with
 * ami_mdm_store_close. Errors: AMI_E_NOMEM, AMI_E_IO (cannot open or not a
 * database), AMI_E_STORE_BUSY, AMI_E_STORE. */
int ami_store_sqlite_open(const char *path, const ami_store_sqlite_opts *opts,
                          const ami_allocator *alloc, ami_mdm_store *out);

/* Checkpoints the WAL into the main file and truncates the WAL (for size
 * measurements and backups). AMI_E_INVAL if `s` is not a SQLite store. */
int ami_store_sqlite_checkpoint(ami_mdm_store *s);

#ifdef __cplusplus
}
#endif
#endif /* AMI_STORE_SQLITE_H */
