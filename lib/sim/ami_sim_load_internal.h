/*
 * ami_sim_load_internal.h -- what the load-model files of lib/sim share
 * privately: the dataset's layout and the half-hour expansion entry points.
 */
#ifndef AMI_SIM_INTERNAL_H
#define AMI_SIM_INTERNAL_H

#include <stdint.h>

#include "ami/ami_sim_load.h"

#define AMI__SIM_ID_MAX 15 /* longest household id kept */

/* The parsed dataset. `a`/`b` are [household * slots + slot]: for
 * half-hourly kinds, consumption and generation in mWh (b NULL without
 * generation); for one-minute data, P in W and Q in var. */
struct ami_sim_dataset {
  const ami_allocator *alloc;
  ami_sim_dataset_kind kind;
  uint32_t households;
  uint32_t slots;
  uint32_t slot_ms;
  int64_t start_ms;
  int32_t *a;
  int32_t *b;
  uint8_t *flags;
  char (*ids)[AMI__SIM_ID_MAX + 1];
  int32_t utc_offset_min; /* standard offset of the data's clock */
  ami_sim_dst dst;        /* its daylight saving (moves only the sun) */
  double latitude_deg;    /* where the data was measured (PV shape) */
  double longitude_deg;
};

/* Sine of the sun's elevation at Unix time t_ms for a site (NOAA-style
 * low-precision formulas: declination and equation of time from the day of
 * the year; good to a fraction of a degree, plenty for load shapes). */
double ami__sim_sun_sin_elevation(int64_t t_ms, double lat_deg, double lon_deg);

/* Relative clear-sky PV output at t (0 at night, about 1 at a high noon
 * sun): the shape PV generation is drawn from. */
double ami__sim_clear_sky(int64_t t_ms, double lat_deg, double lon_deg);

/* The same from the sine of the sun's elevation (already computed). */
double ami__sim_clear_sky_se(double sin_elevation);

/* Fills h->bins for absolute slot `slot` of a synthetic household. */
void ami__sim_expand_synthetic(ami_sim_household *h, int64_t slot);

/* Floor division and modulo for signed 64-bit values (d > 0). */
static inline int64_t ami__sim_floordiv(int64_t a, int64_t d) {
  int64_t q = a / d;
  return (a % d != 0 && a < 0) ? q - 1 : q;
}

static inline int64_t ami__sim_floormod(int64_t a, int64_t d) {
  int64_t m = a % d;
  return m < 0 ? m + d : m;
}

/* Stores energy e (uJ over one 60,000 ms bin) as level + remainder. */
static inline void ami__sim_split(int64_t e, int32_t *level, uint16_t *rem) {
  int64_t q = ami__sim_floordiv(e, AMI_SIM_BIN_MS);
  *level = (int32_t)q;
  *rem = (uint16_t)(e - q * (int64_t)AMI_SIM_BIN_MS);
}

#endif /* AMI_SIM_INTERNAL_H */
