/*
 * ami_units.h -- the DLMS/COSEM unit enumeration (IEC 62056-6-2, the unit
 * part of a Register's scaler_unit) and exact decimal rendering of scaled
 * values.
 *
 * A COSEM register holds an integer and a scaler_unit {scaler integer,
 * unit enum}: the physical value is value * 10^scaler in that unit.
 * ami_units_apply_scaler renders that product exactly as decimal text (no
 * floating point, so 2308 with scaler -1 is "230.8", never "230.79999").
 */
#ifndef AMI_UNITS_H
#define AMI_UNITS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A few unit codes that code refers to by name. */
enum {
  AMI_UNIT_SECOND = 7,
  AMI_UNIT_DEG_C = 9,
  AMI_UNIT_M3 = 13,
  AMI_UNIT_W = 27,
  AMI_UNIT_VA = 28,
  AMI_UNIT_VAR = 29,
  AMI_UNIT_WH = 30,
  AMI_UNIT_VAH = 31,
  AMI_UNIT_VARH = 32,
  AMI_UNIT_A = 33,
  AMI_UNIT_V = 35,
  AMI_UNIT_HZ = 44,
  AMI_UNIT_PERCENT = 56,
  AMI_UNIT_RESERVED = 253,
  AMI_UNIT_OTHER = 254,
  AMI_UNIT_COUNT = 255 /* count, or no unit */
};

typedef struct ami_unit_info {
  uint8_t code;
  const char *symbol;   /* ASCII, e.g. "m3/h", "degC", "Ohm"; "" if none */
  const char *quantity; /* e.g. "volume flux", "active energy" */
} ami_unit_info;

/* The table entry for a code, or NULL for codes the table does not define.
 * Returns a pointer to static data. */
const ami_unit_info *ami_units_lookup(uint8_t code);

/* The symbol of a code, "" for codes without one or not in the table.
 * Returns a static string. */
const char *ami_units_symbol(uint8_t code);

/* The first code whose symbol equals `symbol` exactly (case-sensitive:
 * "m" is metre, "M" nothing). AMI_E_NOT_FOUND if none; "" never matches. */
int ami_units_from_symbol(const char *symbol, uint8_t *code);

/* The table itself (for listings), and its length. */
const ami_unit_info *ami_units_table(size_t *count);

/* value * 10^scaler as exact decimal text: 2308, -1 -> "230.8";
 * 5, -3 -> "0.005"; -5, -3 -> "-0.005"; 12, 2 -> "1200"; 2300, -1 ->
 * "230.0" (the scaler's precision is kept); 0, 3 -> "0". Writes at most cap-1
 * characters and a NUL (when cap > 0); returns the length the full text needs,
 * like snprintf (at most 150). */
size_t ami_units_apply_scaler(int64_t value, int8_t scaler, char *out,
                              size_t cap);

/* The same for unsigned values (long64-unsigned registers). */
size_t ami_units_apply_scaler_u64(uint64_t value, int8_t scaler, char *out,
                                  size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* AMI_UNITS_H */
