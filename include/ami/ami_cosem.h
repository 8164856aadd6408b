/*
 * ami_cosem.h -- the COSEM object model: interface classes described as
 * data, objects with bounded attribute storage, associations with their
 * object lists and access rights, and the ami_server_app a DLMS server
 * engine calls (include/ami/ami_server_app.h).
 *
 * ONE DESCRIPTION PER CLASS (DLMS UA Blue Book = IEC 62056-6-2 §4.5, the
 * interface classes). Each class is a row of a C table (lib/cosem/
 * cosem_classes.c): class id, version, attributes (index, name, a type
 * description, the widest access the class allows) and methods (index,
 * name, parameter type). Generic code walks the description: a SET value
 * is type-checked against it (type-unmatched otherwise), a fresh object's
 * attributes get type-correct default values from it, the object_list's
 * access rights are enumerated from it. Class BEHAVIOUR beyond storage goes
 * through small hooks (Association LN, SAP Assignment, Clock, Register and
 * its relatives, Profile Generic, Disconnect Control, Security Setup).
 *
 * TYPE DESCRIPTIONS are byte strings in the prefix notation of A-XDR
 * compact-array TypeDescriptions (IEC 62056-6-2 §4.1.5): a simple type is
 * its tag; 01 <element> is an array of any length; 02 <n> <n fields> is a
 * structure of exactly n fields. Pseudo-tags add the COSEM conventions:
 * AMI_COSEM_TD_LN (octet-string of 6), AMI_COSEM_TD_DATETIME
 * (octet-string of 12 or date-time), AMI_COSEM_TD_DATE / _TIME (5 / 4
 * bytes), AMI_COSEM_TD_ANY (any Data, for CHOICE attributes such as a
 * register's value).
 *
 * MEMORY. Everything is created through the injected allocator with hard
 * caps fixed in ami_cosem_limits; nothing grows without bound. The model
 * owns its objects and associations; pointers to them are valid until
 * ami_cosem_model_free.
 *
 * THREADS. A model is not thread-safe; one engine thread drives it.
 */
#ifndef AMI_COSEM_H
#define AMI_COSEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_alloc.h"
#include "ami/ami_apdu.h"
#include "ami/ami_buf.h"
#include "ami/ami_obis.h"
#include "ami/ami_server_app.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- class descriptions ------------------------------------------------ */

#define AMI_COSEM_TD_LN       0xF0u /* octet-string(6) logical name */
#define AMI_COSEM_TD_DATETIME 0xF1u /* octet-string(12) or date-time */
#define AMI_COSEM_TD_DATE     0xF2u /* octet-string(5) or date */
#define AMI_COSEM_TD_TIME     0xF3u /* octet-string(4) or time */
#define AMI_COSEM_TD_ANY      0xF4u /* any Data (a CHOICE attribute) */

/* Attribute access modes (Association LN access_rights, Blue Book §4.4.3
 * class 15 version 1+): */
enum {
  AMI_COSEM_ACC_NONE = 0,
  AMI_COSEM_ACC_READ = 1,
  AMI_COSEM_ACC_WRITE = 2,
  AMI_COSEM_ACC_RW = 3,
  AMI_COSEM_ACC_AUTH_READ = 4, /* authenticated_read_only */
  AMI_COSEM_ACC_AUTH_WRITE = 5,
  AMI_COSEM_ACC_AUTH_RW = 6
};
/* Method access modes: 0 no_access, 1 access, 2 authenticated_access. */
enum {
  AMI_COSEM_MACC_NONE = 0,
  AMI_COSEM_MACC_ACCESS = 1,
  AMI_COSEM_MACC_AUTH = 2
};

/* Data-Access-Result / Action-Result values used here (IEC 62056-5-3). */
enum {
  AMI_COSEM_DAR_SUCCESS = 0,
  AMI_COSEM_DAR_HARDWARE_FAULT = 1,
  AMI_COSEM_DAR_TEMPORARY_FAILURE = 2,
  AMI_COSEM_DAR_READ_WRITE_DENIED = 3,
  AMI_COSEM_DAR_OBJECT_UNDEFINED = 4,
  AMI_COSEM_DAR_OBJECT_CLASS_INCONSISTENT = 9,
  AMI_COSEM_DAR_OBJECT_UNAVAILABLE = 11,
  AMI_COSEM_DAR_TYPE_UNMATCHED = 12,
  AMI_COSEM_DAR_SCOPE_OF_ACCESS_VIOLATED = 13,
  AMI_COSEM_DAR_OTHER_REASON = 250
};

typedef struct ami_cosem_attr_desc {
  uint8_t index;
  const char *name;
  const uint8_t *td; /* type description (see above); static */
  uint8_t td_len;
  uint8_t access; /* widest access the class allows: READ, WRITE or RW */
} ami_cosem_attr_desc;

typedef struct ami_cosem_method_desc {
  uint8_t index;
  const char *name;
  const uint8_t *td; /* parameter type; td_len 0 = no parameter */
  uint8_t td_len;
} ami_cosem_method_desc;

typedef struct ami_cosem_class_desc {
  uint16_t class_id;
  uint8_t version;
  const char *name;
  const ami_cosem_attr_desc *attrs; /* ascending index; attrs[0] = LN */
  uint8_t nattrs;
  const ami_cosem_method_desc *methods; /* ascending index */
  uint8_t nmethods;
} ami_cosem_class_desc;

/* The description of a class, or NULL. Returns a pointer to static data. */
const ami_cosem_class_desc *ami_cosem_class_find(uint16_t class_id);
/* All described classes; *count receives their number. Static data. */
const ami_cosem_class_desc *ami_cosem_classes(size_t *count);
/* The description of one attribute / method of a class, or NULL. */
const ami_cosem_attr_desc *ami_cosem_class_attr(const ami_cosem_class_desc *c,
                                                unsigned index);
const ami_cosem_method_desc *
ami_cosem_class_method(const ami_cosem_class_desc *c, unsigned index);

/* Check that `value` is exactly one Data matching the type description
 * (td, td_len): AMI_OK, AMI_E_BAD_TAG / AMI_E_INCONSISTENT when it does not
 * match (wrong tag, wrong field count, wrong fixed length), AMI_E_TRAILING
 * when bytes follow it, or the decoder's error for malformed Data. */
int ami_cosem_type_check(const uint8_t *td, size_t td_len, ami_span value);

/* Write the default value of a type description: zeros, empty strings and
 * arrays, a date-time with every field "not specified", null-data for ANY.
 * Errors in w->err. */
void ami_cosem_type_default(ami_wr *w, const uint8_t *td, size_t td_len);

/* ---- the model ----------------------------------------------------------- */

typedef struct ami_cosem_model ami_cosem_model;
typedef struct ami_cosem_object ami_cosem_object;
typedef struct ami_cosem_assoc ami_cosem_assoc;

/* Hard caps, fixed when the model is created. Zero fields take defaults. */
typedef struct ami_cosem_limits {
  size_t max_objects;         /* default 256 */
  size_t max_associations;    /* default 8 */
  size_t max_value_len;       /* one stored attribute value; default 1024 */
  size_t max_profile_bytes;   /* one profile's row storage; default 16 MiB */
  size_t max_capture_columns; /* per profile; default 32 */
} ami_cosem_limits;

/* Live values: the application (lib/meter) answers for attributes it owns.
 * Each function may be NULL. `read` appends the attribute's Data to `out`
 * and returns AMI_OK, or returns AMI_E_NOT_FOUND to let the model answer
 * from its storage and hooks; it may set *dar instead of writing. `write`
 * sees a value already type-checked; AMI_E_NOT_FOUND stores it in the model.
 * `invoke` runs a method; AMI_E_NOT_FOUND falls back to the class hook (if
 * any), and a method nobody implements answers object-unavailable (11).
 * Other errors propagate to the engine. Security Setup's key_transfer and
 * certificate methods have no model default: only `invoke` can do them. */
typedef struct ami_cosem_callbacks {
  /* now_ms: the time of the request (or of the capture) being served. */
  int (*read)(void *user_data, ami_cosem_object *obj, unsigned attr,
              const ami_apdu_selection *sel, uint64_t now_ms, ami_wr *out,
              uint8_t *dar);
  int (*write)(void *user_data, ami_cosem_object *obj, unsigned attr,
               ami_span value, uint8_t *dar);
  int (*invoke)(void *user_data, ami_cosem_object *obj, unsigned method,
                ami_span params, ami_wr *ret, bool *has_return,
                uint8_t *result);
  void *user_data; /* borrowed; must outlive the model */
} ami_cosem_callbacks;

/* Create an empty model. `alloc` (NULL = default) and `limits` (NULL =
 * defaults; copied) are borrowed; the allocator must outlive the model.
 * Returns AMI_OK, AMI_E_NOMEM. *out receives an owned model. */
int ami_cosem_model_new(const ami_allocator *alloc,
                        const ami_cosem_limits *limits, ami_cosem_model **out);
/* Free a model and everything in it; accepts NULL. */
void ami_cosem_model_free(ami_cosem_model *m);

/* Callbacks for every object without its own (copied). */
void ami_cosem_model_set_callbacks(ami_cosem_model *m,
                                   const ami_cosem_callbacks *cb);

/* Add an object of a described class. Attributes start at their default
 * values. Returns AMI_OK; AMI_E_NOT_FOUND (class not described),
 * AMI_E_INCONSISTENT (an object with this class and OBIS exists),
 * AMI_E_LIMIT (max_objects), AMI_E_NOMEM. *obj (may be NULL) receives a
 * pointer owned by the model. */
int ami_cosem_add_object(ami_cosem_model *m, uint16_t class_id, ami_obis ln,
                         ami_cosem_object **obj);
/* Find an object by class and OBIS; NULL if absent. */
ami_cosem_object *ami_cosem_find(const ami_cosem_model *m, uint16_t class_id,
                                 ami_obis ln);
uint16_t ami_cosem_object_class(const ami_cosem_object *obj);
ami_obis ami_cosem_object_ln(const ami_cosem_object *obj);
/* The now_ms of the GET/SET/ACTION the model is serving (or served last):
 * the `write` and `invoke` callbacks take no time argument, so one that
 * timestamps what it did (an event) reads it here. 0 before any request. */
uint64_t ami_cosem_object_request_now(const ami_cosem_object *obj);
/* Per-object callbacks (copied), overriding the model's. */
void ami_cosem_object_set_callbacks(ami_cosem_object *obj,
                                    const ami_cosem_callbacks *cb);

/* Store an attribute value (one encoded Data, copied), type-checked against
 * the class. AMI_E_NOT_FOUND (no such attribute), AMI_E_INVAL (attribute 1:
 * the logical name is fixed), AMI_E_LIMIT (over max_value_len),
 * the type-check errors of ami_cosem_type_check, AMI_E_NOMEM. */
int ami_cosem_set_attr(ami_cosem_object *obj, unsigned attr, ami_span value);
/* The stored value of an attribute (borrowed: valid until it is set again
 * or the model is freed). Attribute 1 and the values hooks compute (a
 * clock's time, a profile's buffer) are not stored: AMI_E_NOT_FOUND. */
int ami_cosem_get_attr(const ami_cosem_object *obj, unsigned attr,
                       ami_span *value);

/* Read an attribute as a GET would answer it -- the application's read
 * callback, the class hook, the stored value or the type's default -- but
 * with no association and no access check: for the meter application
 * itself (a Push Setup building its DataNotification from push_object_list,
 * as a profile capture reads its columns). Appends exactly one Data to
 * `out` (borrowed) on AMI_OK with *dar success; with another *dar nothing
 * is appended. Attributes the class lacks read as null-data. Errors:
 * AMI_E_BUFFER_FULL (`out` left as it was), a callback's error. */
int ami_cosem_read(ami_cosem_object *obj, unsigned attr, uint64_t now_ms,
                   ami_wr *out, uint8_t *dar);

/* Add a logical device (listed by SAP Assignment). `name` (copied) is the
 * logical device name octet-string. AMI_E_LIMIT past 16 devices or a name
 * over 48 bytes. */
int ami_cosem_add_logical_device(ami_cosem_model *m, uint16_t sap,
                                 const void *name, size_t name_len);

/* ---- associations -------------------------------------------------------- */

/* Add an association for requests from `client_address`, answered by an
 * Association LN object `ln` (e.g. 0.0.40.0.1.255) that the model creates;
 * a request on this association for 0.0.40.0.0.255 ("current association")
 * reaches the same object. `mechanism` is the authentication mechanism id
 * (0 none, 1 LLS, 5 HLS-GMAC...) reported by authentication_mechanism_name.
 * Errors: AMI_E_INCONSISTENT (client address taken), AMI_E_LIMIT,
 * AMI_E_NOMEM, and those of ami_cosem_add_object. *out (may be NULL)
 * receives a pointer owned by the model. */
int ami_cosem_add_association(ami_cosem_model *m, uint16_t client_address,
                              uint8_t mechanism, ami_obis ln,
                              ami_cosem_assoc **out);
/* The association's own Association LN object. */
ami_cosem_object *ami_cosem_assoc_object(const ami_cosem_assoc *a);

/* The association of `client_address`, or NULL; owned by the model. */
ami_cosem_assoc *ami_cosem_find_assoc(const ami_cosem_model *m,
                                      uint16_t client_address);

/* Put an object in an association with the given rights: attr_access[i]
 * is the access mode of attribute i+1 (nattr entries; attributes past
 * nattr get no access), method_access[i] that of method i+1. Modes are
 * clamped to what the class allows (a write right on a read-only
 * attribute is dropped). Adding an object twice replaces its rights.
 * AMI_E_LIMIT past the model's max_objects per association, AMI_E_NOMEM. */
int ami_cosem_assoc_add_object(ami_cosem_assoc *a, ami_cosem_object *obj,
                               const uint8_t *attr_access, size_t nattr,
                               const uint8_t *method_access, size_t nmethod);

/* Roles for the convenience form below. */
typedef enum ami_cosem_role {
  AMI_COSEM_ROLE_PUBLIC,    /* read-only, no methods */
  AMI_COSEM_ROLE_READER,    /* read-only, no methods */
  AMI_COSEM_ROLE_MANAGEMENT /* the class's widest rights, all methods */
} ami_cosem_role;

/* Add an object with the rights of a role. Errors as above. */
int ami_cosem_assoc_add_object_role(ami_cosem_assoc *a, ami_cosem_object *obj,
                                    ami_cosem_role role);

/* ---- direct access (what the engine reaches through the server app) ------ */

/* GET/SET/ACTION as ami_server_app defines them; user_data is the model.
 * Protocol outcomes go to *dar / *result (object-undefined 4 for an object
 * not in the client's association or an attribute/method the class lacks,
 * read-write-denied 3 for a missing right, type-unmatched 12 for a value
 * that does not match the class description, scope-of-access-violated 13
 * for selective access the attribute does not support or parameters that
 * do not fit the profile, object-unavailable 11 for a method nobody
 * implements, other-reason 250 for values the behaviour refuses). The
 * return value is AMI_OK, AMI_E_BUFFER_FULL when `out`/`ret` is too small
 * (nothing is left in it: retry larger, or use ami_cosem_get_resumable),
 * AMI_E_NOMEM, or an application callback's error. `out` receives exactly
 * one encoded Data on success and nothing otherwise. */
int ami_cosem_get(ami_cosem_model *m, const ami_server_assoc_info *info,
                  const ami_apdu_desc *attr, const ami_apdu_selection *sel,
                  ami_wr *out, uint8_t *dar);
int ami_cosem_set(ami_cosem_model *m, const ami_server_assoc_info *info,
                  const ami_apdu_desc *attr, const ami_apdu_selection *sel,
                  ami_span value, uint8_t *dar);
int ami_cosem_action(ami_cosem_model *m, const ami_server_assoc_info *info,
                     const ami_apdu_desc *method, ami_span params, ami_wr *ret,
                     bool *has_return, uint8_t *result);

/* A resumable read of a Profile Generic buffer (the engine's block
 * transfer without re-encoding or a buffer for the whole attribute).
 * Zero it before the first call; it holds no pointers. */
typedef struct ami_cosem_cursor {
  uint64_t next; /* sequence number of the next row to consider */
  uint64_t end;  /* one past the last row of the snapshot */
  uint32_t epoch;
  bool started;
} ami_cosem_cursor;

/* GET in pieces. The first call (cursor zeroed) checks access as
 * ami_cosem_get does and writes the start of the value; for a Profile
 * Generic buffer (attribute 2, with or without selective access) it
 * writes the array header and as many whole rows as fit in `out`, then
 * returns AMI_E_AGAIN: call again with the SAME association, descriptor
 * and selection (the parameters are parsed again; they need not be the
 * same memory) and a fresh `out`; the concatenation of every call's output
 * is the encoded Data. AMI_OK: complete. AMI_E_BUFFER_FULL: `out` cannot
 * hold even one row (or the array header). AMI_E_STATE: the profile was
 * reset, or rows not yet sent were overwritten by captures since the first
 * call (the engine then aborts the long GET). The rows sent are those of
 * the buffer at the first call; later captures are not included. Any
 * other attribute is answered in one piece exactly as ami_cosem_get. The
 * resumable path reads the model's own ring: an application `read`
 * callback is not consulted for a profile buffer here. */
int ami_cosem_get_resumable(ami_cosem_model *m,
                            const ami_server_assoc_info *info,
                            const ami_apdu_desc *attr,
                            const ami_apdu_selection *sel,
                            ami_cosem_cursor *cursor, ami_wr *out,
                            uint8_t *dar);

/* The server application of the model: a pointer into the model, valid
 * until ami_cosem_model_free. */
const ami_server_app *ami_cosem_server_app(ami_cosem_model *m);

/* ---- Clock ----------------------------------------------------------------
 */

/* Clock (class 8) time = the request's now_ms + an offset. A SET of
 * attribute 2 or adjustments move the offset; the app may set it too. */
void ami_cosem_clock_set_offset(ami_cosem_object *clock, int64_t offset_ms);
int64_t ami_cosem_clock_offset(const ami_cosem_object *clock);

/* ---- Profile Generic ------------------------------------------------------
 */

/* Add a column to a profile (class 7): the attribute `attr` of `src`
 * (data_index 0 = the whole value). Each captured value is stored encoded
 * in a fixed-width slot of `width` bytes (1..255; 0 = 16, enough for any
 * number and a date-time octet-string): a value that does not fit is stored
 * as null-data. Changing the columns clears the buffer. Errors: AMI_E_LIMIT
 * (max_capture_columns), AMI_E_INVAL (not a profile, bad width),
 * AMI_E_NOMEM. */
int ami_cosem_profile_add_column(ami_cosem_object *profile,
                                 ami_cosem_object *src, int8_t attr,
                                 uint16_t data_index, uint8_t width);
/* Set profile_entries (the ring capacity in rows); clears the buffer.
 * AMI_E_LIMIT past max_profile_bytes, AMI_E_NOMEM. */
int ami_cosem_profile_set_capacity(ami_cosem_object *profile, uint32_t rows);
/* Capture one row now (the capture method): each column's value is read
 * from its object as a GET would (callbacks, hooks, storage) at time
 * now_ms. When full, the oldest row is overwritten (FIFO). */
int ami_cosem_profile_capture(ami_cosem_object *profile, uint64_t now_ms);
/* Rows currently stored (entries_in_use). */
uint32_t ami_cosem_profile_entries(const ami_cosem_object *profile);

/* ---- Disconnect Control / Security Setup state ----------------------------
 */

/* Disconnect Control (class 70) states as stored: output_state (true =
 * connected) and control_state (0 disconnected, 1 connected, 2 ready). */
int ami_cosem_disconnect_state(const ami_cosem_object *obj, bool *output,
                               uint8_t *control);

#ifdef __cplusplus
}
#endif
#endif /* AMI_COSEM_H */
