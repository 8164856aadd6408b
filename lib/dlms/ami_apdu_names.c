/*
 * ami_apdu_names.c -- the standard names of xDLMS tags and enumerations
 * (IEC 62056-5-3 §8), for logs, the command line and test messages.
 * Every function returns a static string and never NULL.
 */
#include "ami/ami_apdu.h"

#include <stddef.h>

#define UNKNOWN "unknown"

static const char *pick(const char *const *names, size_t n, unsigned v) {
  return v < n && names[v] != NULL ? names[v] : UNKNOWN;
}
#define PICK(names, v) pick((names), sizeof(names) / sizeof((names)[0]), (v))

const char *ami_apdu_tag_name(uint8_t tag) {
  switch (tag) {
#define AMI__APDU_TAG_CASE(value, name, str)                                   \
  case value:                                                                  \
    return str;
    AMI_APDU_TAG_MAP(AMI__APDU_TAG_CASE)
#undef AMI__APDU_TAG_CASE
  default:
    return UNKNOWN;
  }
}

static const char *const conformance_names[24] = {
    "reserved-zero",
    "general-protection",
    "general-block-transfer",
    "read",
    "write",
    "unconfirmed-write",
    "reserved-six",
    "reserved-seven",
    "attribute0-supported-with-set",
    "priority-mgmt-supported",
    "attribute0-supported-with-get",
    "block-transfer-with-get-or-read",
    "block-transfer-with-set-or-write",
    "block-transfer-with-action",
    "multiple-references",
    "information-report",
    "data-notification",
    "access",
    "parameterized-access",
    "get",
    "set",
    "selective-access",
    "event-notification",
    "action",
};

const char *ami_apdu_conformance_bit_name(unsigned n) {
  return PICK(conformance_names, n);
}

/* Data-Access-Result and Action-Result share 0..14 and 250. */
static const char *const dar_names[20] = {
    [0] = "success",
    [1] = "hardware-fault",
    [2] = "temporary-failure",
    [3] = "read-write-denied",
    [4] = "object-undefined",
    [9] = "object-class-inconsistent",
    [11] = "object-unavailable",
    [12] = "type-unmatched",
    [13] = "scope-of-access-violated",
    [14] = "data-block-unavailable",
    [15] = "long-get-aborted",
    [16] = "no-long-get-in-progress",
    [17] = "long-set-aborted",
    [18] = "no-long-set-in-progress",
    [19] = "data-block-number-invalid",
};

const char *ami_apdu_dar_name(unsigned dar) {
  return dar == AMI_APDU_DAR_OTHER_REASON ? "other-reason"
                                          : PICK(dar_names, dar);
}

const char *ami_apdu_action_result_name(unsigned result) {
  if (result == 15)
    return "long-action-aborted";
  if (result == 16)
    return "no-long-action-in-progress";
  if (result > 16 && result != AMI_APDU_DAR_OTHER_REASON)
    return UNKNOWN;
  return ami_apdu_dar_name(result);
}

static const char *const cse_service_names[20] = {
    [1] = "initiateError",
    [2] = "getStatus",
    [3] = "getNameList",
    [4] = "getVariableAttribute",
    [5] = "read",
    [6] = "write",
    [7] = "getDataSetAttribute",
    [8] = "getTIAttribute",
    [9] = "changeScope",
    [10] = "start",
    [11] = "stop",
    [12] = "resume",
    [13] = "makeUsable",
    [14] = "initiateLoad",
    [15] = "loadSegment",
    [16] = "terminateLoad",
    [17] = "initiateUpLoad",
    [18] = "upLoadSegment",
    [19] = "terminateUpLoad",
};

const char *ami_apdu_cse_service_name(unsigned service) {
  return PICK(cse_service_names, service);
}

/* ServiceError alternatives. Tag 8 (change-scope) is reserved and tag 10
 * (other) has no defined values in the Green Book ASN.1; task is [9]. */
static const char *const service_error_names[11] = {
    "application-reference",
    "hardware-resource",
    "vde-state-error",
    "service",
    "definition",
    "access",
    "initiate",
    "load-data-set",
    "change-scope",
    "task",
    "other",
};

const char *ami_apdu_service_error_name(unsigned error) {
  return PICK(service_error_names, error);
}

static const char *const app_ref_values[] = {
    "other",
    "time-elapsed",
    "application-unreachable",
    "application-reference-invalid",
    "application-context-unsupported",
    "provider-communication-error",
    "deciphering-error",
};
static const char *const hw_values[] = {
    "other",
    "memory-unavailable",
    "processor-resource-unavailable",
    "mass-storage-unavailable",
    "other-resource-unavailable",
};
static const char *const vde_values[] = {
    "other",           "no-dlms-context",   "loading-data-set",
    "status-nochange", "status-inoperable",
};
static const char *const service_values[] = {
    "other",
    "pdu-size",
    "service-unsupported",
};
static const char *const definition_values[] = {
    "other",
    "object-undefined",
    "object-class-inconsistent",
    "object-attribute-inconsistent",
};
static const char *const access_values[] = {
    "other",          "scope-of-access-violated", "object-access-violated",
    "hardware-fault", "object-unavailable",
};
static const char *const initiate_values[] = {
    "other",
    "dlms-version-too-low",
    "incompatible-conformance",
    "pdu-size-too-short",
    "refused-by-the-VDE-Handler",
};
static const char *const load_values[] = {
    "other",
    "primitive-out-of-sequence",
    "not-loadable",
    "dataset-size-too-large",
    "not-awaited-segment",
    "interpretation-failure",
    "storage-failure",
    "data-set-not-ready",
};
static const char *const task_values[] = {
    "other", "no-remote-control", "ti-stopped", "ti-running", "ti-unusable",
};

const char *ami_apdu_service_error_value_name(unsigned error, unsigned value) {
  switch (error) {
  case 0:
    return PICK(app_ref_values, value);
  case 1:
    return PICK(hw_values, value);
  case 2:
    return PICK(vde_values, value);
  case 3:
    return PICK(service_values, value);
  case 4:
    return PICK(definition_values, value);
  case 5:
    return PICK(access_values, value);
  case 6:
    return PICK(initiate_values, value);
  case 7:
    return PICK(load_values, value);
  case 9:
    return PICK(task_values, value);
  default:
    return UNKNOWN;
  }
}

static const char *const state_error_names[] = {
    [1] = "service-not-allowed",
    [2] = "service-unknown",
};

const char *ami_apdu_state_error_name(unsigned state_error) {
  return PICK(state_error_names, state_error);
}

static const char *const exception_service_names[] = {
    [1] = "operation-not-possible", [2] = "service-not-supported",
    [3] = "other-reason",           [4] = "pdu-too-long",
    [5] = "deciphering-error",      [6] = "invocation-counter-error",
};

const char *ami_apdu_exception_service_name(unsigned service_error) {
  return PICK(exception_service_names, service_error);
}
