/*
 * ami_mdm_store_mem.h -- an in-memory engine behind ami_mdm_store.h: the
 * same data model and the same compressed day blocks as the SQLite engine,
 * in sorted arrays, nothing on disk. For tests of VEE, billing and analytics
 * (no files, deterministic, every allocation through the injected
 * allocator, so failing-allocator tests reach every path) and as the second
 * implementation that keeps the interface honest.
 *
 * "Acknowledged" here means applied in memory: nothing survives the
 * process. Every call is atomic: all its allocations happen before the
 * first change, so an AMI_E_NOMEM (or any error) leaves the store as it was.
 */
#ifndef AMI_MDM_STORE_MEM_H
#define AMI_MDM_STORE_MEM_H

#include "ami/ami_alloc.h"
#include "ami/ami_mdm_store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Creates an empty store. `alloc` may be NULL (default) and must outlive
 * the store. On AMI_OK *out is a store to be closed with
 * ami_mdm_store_close. Errors: AMI_E_NOMEM, AMI_E_INVAL. */
int ami_mdm_store_mem_open(const ami_allocator *alloc, ami_mdm_store *out);

#ifdef __cplusplus
}
#endif
#endif /* AMI_MDM_STORE_MEM_H */
