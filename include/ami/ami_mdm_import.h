/*
 * ami_mdm_import.h -- parsers for interval data files: generic CSV (also
 * the London "Low Carbon London" smart-meter format) and AEMO NEM12.
 *
 * Both parse a whole buffer into a STAGING area whose arrays the caller
 * provides (ami_mdm_import_out): no allocation, and nothing is partially
 * applied -- on any error the counts are reset to zero and `err` names the
 * line (1-based), the character column (1-based) and the field (1-based)
 * where parsing stopped, so the caller commits the staged rows only on
 * AMI_OK. Identifiers are spans borrowed from the input buffer (valid as
 * long as the buffer). Input is hostile: any byte sequence gives AMI_OK or
 * one of the errors below, never a read outside [buf, buf + len).
 *
 * Errors:
 *   AMI_E_SYNTAX        a malformed field or record
 *   AMI_E_TRUNCATED     the input ends inside a record (the last line has no
 *                       line end and is incomplete), or a NEM12 file ends
 *                       without its 900 record: a streaming caller may
 *                       retry with more input
 *   AMI_E_INCONSISTENT  records out of order (300 before 200, 400 without
 *                       a 300 of quality V, 400 ranges not covering the
 *                       day, a second 100)
 *   AMI_E_RANGE         a date, time or interval length out of range
 *   AMI_E_UNSUPPORTED   NEM13, or a unit of measure we do not know
 *   AMI_E_TRAILING      records after the NEM12 900 end record
 *   AMI_E_BUFFER_FULL   a staging array is full (err.line says where)
 *   AMI_E_INVAL         bad arguments
 */
#ifndef AMI_MDM_IMPORT_H
#define AMI_MDM_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_buf.h"
#include "ami/ami_mdm.h"
#include "ami/ami_mdm_tz.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where and why a parse stopped. `what` is a static string. */
typedef struct ami_mdm_import_error {
  uint32_t line;   /* 1-based line number */
  uint32_t column; /* 1-based character column of the offending field */
  uint32_t field;  /* 1-based field number within the line */
  const char *what;
} ami_mdm_import_error;

/* One data stream: a CSV id, or a NEM12 200 record (NMI + suffix; a 200
 * repeating an earlier one -- same NMI, suffix, meter serial, UOM and
 * interval -- continues its series). */
typedef struct ami_mdm_import_series {
  ami_span id;     /* CSV id / NEM12 NMI (borrowed from the input) */
  ami_span suffix; /* NEM12 NMISuffix, e.g. "E1" (empty for CSV) */
  ami_span serial; /* NEM12 MeterSerialNumber (empty for CSV) */
  ami_span uom;    /* NEM12 UOM as written (empty for CSV) */
  ami_mdm_unit unit;
  uint32_t interval_s;
} ami_mdm_import_series;

/* One interval value. r.t is the interval END (UTC seconds); r.v.value is
 * in milli-units of the series unit; r.v.quality/method come from the
 * file (NEM12 "E15" -> ESTIMATED, method 15). */
typedef struct ami_mdm_import_row {
  uint32_t series; /* index into ami_mdm_import_out.series */
  uint16_t reason; /* NEM12 reason code (0 when none) */
  ami_mdm_reading r;
} ami_mdm_import_row;

/* The staging area. The caller sets the three arrays and capacities; the
 * parser sets the counts and err. Register reads (NEM12 500 IndexRead)
 * carry the series index in channel_id, in milli-units of the series. */
typedef struct ami_mdm_import_out {
  ami_mdm_import_series *series;
  size_t series_cap, n_series;
  ami_mdm_import_row *rows;
  size_t rows_cap, n_rows;
  ami_mdm_register_read *reads;
  size_t reads_cap, n_reads;
  ami_mdm_import_error err;
} ami_mdm_import_out;

/* ---------------------------------------------------------------------- */
/* CSV: id,timestamp,value[,quality]
 *   timestamp  ISO 8601 "YYYY-MM-DDThh:mm[:ss[.fff]]" ('T' or space), then
 *              "Z", "+hh:mm", "-hhmm" or nothing (= local time of opts.tz;
 *              tz NULL = UTC)
 *   value      decimal (sign, digits, point, up to 9 decimals); empty or
 *              "Null" = MISSING
 *   quality    optional NEM12-style letter + method: A, E15, S14, N, ...
 * Fields may be padded with spaces and wrapped in double quotes. */
typedef enum ami_mdm_csv_header {
  AMI_MDM_CSV_NO_HEADER = 0,
  AMI_MDM_CSV_HEADER = 1,     /* first line is a header: skipped */
  AMI_MDM_CSV_HEADER_AUTO = 2 /* skipped if its 2nd field has no digit */
} ami_mdm_csv_header;

typedef struct ami_mdm_csv_opts {
  const ami_mdm_tz *tz; /* borrowed: zone of offset-less timestamps */
  uint32_t interval_s;  /* interval length of every series */
  bool ts_is_start;     /* timestamps name the interval START */
  int64_t scale;        /* milli-units per unit of the file's values */
  ami_mdm_unit unit;
  ami_mdm_csv_header header;
} ami_mdm_csv_opts;

/* Defaults: UTC, 30 min, timestamps are ends, kWh into Wh (scale
 * 1,000,000), header AUTO. */
void ami_mdm_csv_opts_default(ami_mdm_csv_opts *o);

/* The London LCL files (columns LCLid,tstp,energy(kWh/hh)): half-hour
 * kWh whose timestamps are the interval START in UTC/GMT (the 2013 file
 * has 17,520 = 365 x 48 rows per complete household, 01:00-02:00 present
 * on 31 March: no daylight saving). */
void ami_mdm_csv_opts_lcl(ami_mdm_csv_opts *o);

/* Parses buf[0..len). Borrows o and buf (ids point into buf). */
int ami_mdm_import_csv(const ami_mdm_csv_opts *o, const uint8_t *buf,
                       size_t len, ami_mdm_import_out *out);

/* ---------------------------------------------------------------------- */
/* AEMO NEM12 (MDFF "Meter Data File Format Specification NEM12 & NEM13"
 * §4): 100 header, 200 NMI data details, 300 interval data (288/96/48
 * values for 5/15/30-minute intervals + QualityMethod, ReasonCode,
 * ReasonDescription, UpdateDateTime, MSATSLoadDateTime), 400 interval
 * events (quality per interval range when the 300 quality is V), 500 B2B
 * details (its IndexRead becomes a register read), 900 end. Interval dates
 * are market time (NEM: AEST, UTC+10 all year). */
typedef struct ami_mdm_nem12_opts {
  int32_t utc_offset_s; /* 36000 (AEST) */
  /* Accept files without the 100 header and 900 end record and with
   * blank lines (as exported by some portals); still rejects everything
   * else. Default false. */
  bool lenient;
} ami_mdm_nem12_opts;

void ami_mdm_nem12_opts_default(ami_mdm_nem12_opts *o);

/* Parses buf[0..len). Borrows o and buf (ids point into buf). */
int ami_mdm_import_nem12(const ami_mdm_nem12_opts *o, const uint8_t *buf,
                         size_t len, ami_mdm_import_out *out);

#ifdef __cplusplus
}
#endif
#endif /* AMI_MDM_IMPORT_H */
