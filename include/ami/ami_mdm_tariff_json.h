/*
 * ami_mdm_tariff_json.h -- load a tariff (ami_mdm_tariff.h) from a JSON
 * data file (tariffs/ at the repo root; the schema is in tariffs/README.md and
 * in the comment at the top of plugins/json/ami_mdm_tariff_json.c).
 *
 * This is a plugin (library ami_mdm_json, on jansson): it reads files and
 * allocates, which lib/ never does. Validation is strict: an unknown key, a
 * wrong type, a negative price, overlapping or gapped TOU periods, seasons
 * that overlap or leave a date uncovered are all errors, reported with the
 * JSON path of the offending element, e.g.
 *   "seasons[1].days.weekday[2]: periods overlap"
 */
#ifndef AMI_MDM_TARIFF_JSON_H
#define AMI_MDM_TARIFF_JSON_H

#include <stddef.h>

#include "ami/ami_mdm_tariff.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parse and validate `len` bytes of JSON text (borrowed) into *out.
 * On failure *out is unspecified and `err` (err_cap bytes, may be NULL)
 * receives a NUL-terminated "path: problem" message.
 * AMI_OK, AMI_E_SYNTAX (not JSON; message has line and column),
 * AMI_E_BAD_VALUE (valid JSON, invalid tariff), AMI_E_LIMIT (more seasons,
 * periods, tiers ... than ami_mdm_tariff.h holds). */
int ami_mdm_tariff_json_loads(const char *text, size_t len, ami_mdm_tariff *out,
                              char *err, size_t err_cap);

/* The same from a file; AMI_E_IO when it cannot be read. */
int ami_mdm_tariff_json_load_file(const char *path, ami_mdm_tariff *out,
                                  char *err, size_t err_cap);

#ifdef __cplusplus
}
#endif
#endif /* AMI_MDM_TARIFF_JSON_H */
