/*
 * ami_selective.h -- selective access parameters for reading a Profile
 * Generic buffer (DLMS UA Blue Book / IEC 62056-6-2, interface class 7
 * "Profile generic", attribute 2 "buffer", selective access):
 *
 *   selector 1, range_descriptor ::= structure {
 *     restricting_object  capture_object_definition,
 *     from_value          Data,   -- usually a date-time octet-string(12)
 *     to_value            Data,
 *     selected_values     array of capture_object_definition -- empty: all
 *   }
 *   selector 2, entry_descriptor ::= structure {
 *     from_entry          double-long-unsigned,  -- 1 = first (oldest) entry
 *     to_entry            double-long-unsigned,  -- 0 = up to the last entry
 *     from_selected_value long-unsigned,         -- 1 = first column
 *     to_selected_value   long-unsigned          -- 0 = up to the last column
 *   }
 *   capture_object_definition ::= structure {
 *     class_id long-unsigned, logical_name octet-string(6),
 *     attribute_index integer, data_index long-unsigned
 *   }
 *
 * These functions encode and decode the access-parameters Data only; the
 * access-selector byte in front of it belongs to the GET/SET/ACTION APDU.
 * Decoding borrows: from_value and to_value are spans of the encoded Data in
 * the input, and the selected columns go into an array the caller provides.
 */
#ifndef AMI_SELECTIVE_H
#define AMI_SELECTIVE_H

#include <stddef.h>
#include <stdint.h>

#include "ami/ami_axdr.h"
#include "ami/ami_buf.h"
#include "ami/ami_obis.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMI_SELECTIVE_RANGE 1 /* access selector of range_descriptor */
#define AMI_SELECTIVE_ENTRY 2 /* access selector of entry_descriptor */

/* One capture object definition (a column of a profile). */
typedef struct ami_selective_column {
  uint16_t class_id;
  ami_obis logical_name;
  int8_t attribute_index;
  uint16_t data_index;
} ami_selective_column;

typedef struct ami_selective_range {
  ami_selective_column restricting_object;
  ami_span from_value; /* one complete encoded Data (tag included); borrows */
  ami_span to_value;   /* likewise */
  /* Selected columns: on encode, `columns` (borrowed) holds ncolumns
   * entries; on decode the caller sets `columns` and `columns_cap` and the
   * decoder fills in up to columns_cap entries and sets ncolumns. */
  ami_selective_column *columns;
  size_t ncolumns;
  size_t columns_cap;
} ami_selective_range;

typedef struct ami_selective_entry {
  uint32_t from_entry;
  uint32_t to_entry;
  uint16_t from_selected_value;
  uint16_t to_selected_value;
} ami_selective_entry;

/* Write a range_descriptor. from_value and to_value must each be one
 * complete encoded Data (they are copied verbatim). Errors land in w->err
 * (AMI_E_BUFFER_FULL...). */
void ami_selective_range_encode(ami_wr *w, const ami_selective_range *r);

/* Decode a range_descriptor at the start of `in`. *consumed (may be NULL)
 * receives its length. Errors: those of the A-XDR decoder (AMI_E_TRUNCATED,
 * ...), AMI_E_BAD_TAG or AMI_E_INCONSISTENT for a structure of the wrong
 * shape (wrong types, field counts, a logical name not 6 bytes long),
 * AMI_E_LIMIT if there are more selected columns than columns_cap. The spans
 * in *r borrow `in`. */
int ami_selective_range_decode(ami_span in, ami_selective_range *r,
                               size_t *consumed);

void ami_selective_entry_encode(ami_wr *w, const ami_selective_entry *e);
int ami_selective_entry_decode(ami_span in, ami_selective_entry *e,
                               size_t *consumed);

/* One capture_object_definition, as used above and in the Profile Generic
 * capture_objects attribute (3). */
void ami_selective_column_encode(ami_wr *w, const ami_selective_column *c);
/* Read one at the decoder's position. */
int ami_selective_column_decode(ami_axdr_dec *d, ami_selective_column *c);

#ifdef __cplusplus
}
#endif
#endif /* AMI_SELECTIVE_H */
