/*
 * ami_sim_load.h -- load and generation models that drive emulated meters.
 *
 * A household model answers one question: what does the meter see at a
 * given instant -- active power P (import > 0, export < 0), reactive power
 * Q (inductive > 0) and a hint of the current's harmonic content -- and,
 * consistently, what energy flowed over an interval. The waveform
 * synthesiser (another module) turns these into voltage/current samples; a
 * meter emulator stepping in large simulated steps uses the energy integral.
 *
 * Two kinds of household:
 *
 *  - REPLAYED from a real dataset (ami_sim_dataset: London LCL half-hours,
 *    an Ausgrid solar home, the UCI 1-minute house). For half-hourly data
 *    the half hour is shaped into 30 one-minute bins -- a flat base load, a
 *    periodic fridge, appliance events (kettle, oven, washing machine...)
 *    drawn from a seeded PRNG; PV follows a clear-sky curve with clouds --
 *    built so that the half hour's energy equals the dataset's value EXACTLY
 *    (integer microjoules; the dataset is held in mWh). Missing slots are
 *    filled at parse time and flagged (ami_sim_slot_flag).
 *  - SYNTHETIC from appliance models (standby, fridge, lighting with an
 *    evening peak, cooking, washing, EV charger, heat pump, rooftop PV),
 *    each with its power factor and harmonic signature, reproducible by seed.
 *
 * Everything is a pure function of (model, seed, time): any instant can be
 * asked in any order in O(1). The shape of a half hour is drawn from a
 * xoshiro256** generator seeded from (seed, household, half hour), see
 * ami_sim_rng.h. A household caches the one half hour it last
 * expanded (720 bytes), so stepping forward costs one expansion per half
 * hour (about a microsecond) and a few integer operations per query. Many
 * households share one parsed dataset (read-only, thread-safe to share);
 * each household object belongs to one thread at a time.
 *
 * UNITS are integers, chosen so that energy is exact: power in mW / mvar,
 * time in ms, energy in mW*ms = microjoules (1 mWh = 3,600,000 uJ), reactive
 * energy in mvar*ms (1 mvarh = 3,600,000). Within a one-minute bin the power
 * is constant except that it is 1 mW higher during the first `rem` ms, so
 * the integral of the power the model reports is exactly the bin's energy.
 *
 * Time is Unix time in milliseconds (UTC), below 2^62; nothing here reads
 * a clock.
 *
 * HOW A METER EMULATOR USES IT
 *   1. Once per process: decompress the dataset (zcat/unzip in the app),
 *      ami_sim_dataset_parse_lcl(bytes, len, NULL, NULL, &ds, &line).
 *   2. Per meter: ami_sim_household_init(&h, ds, i % households, seed_i),
 *      optionally ami_sim_household_set_offset(&h, some days) so meters that
 *      share a dataset household do not move in step; or
 *      ami_sim_household_init_synthetic(&h, NULL, seed_i).
 *   3. Waveform path: each cycle (or each few), ami_sim_household_power(&h,
 *      t, &p): P, Q and the harmonic hint set the current's amplitude, phase
 *      and distortion; P < 0 is export (the current reverses).
 *      Register path (large steps): ami_sim_household_energy(&h, t0, t1, &e)
 *      gives +A (import_uj), -A (export_uj) and reactive energy for the
 *      step, exactly the integral of the power the waveform path would use.
 *   The meter's registers then add up, half hour by half hour, to the real
 *   dataset's values.
 */
#ifndef AMI_SIM_LOAD_H
#define AMI_SIM_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "ami/ami_alloc.h"
#include "ami/ami_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMI_SIM_SLOT_MS    1800000u /* the model's slot: half an hour */
#define AMI_SIM_BINS       30u      /* one-minute bins per slot */
#define AMI_SIM_BIN_MS     60000u
#define AMI_SIM_UJ_PER_MWH 3600000 /* microjoules per milliwatt-hour */

/* ---------------------------------------------------------------------- */
/* Datasets                                                                */

/* A parsed dataset: per household, one value per slot (half-hour energy in
 * mWh, or for 1-minute data mean power in W and var), gaps already filled.
 * Opaque; read-only after parsing, so any number of households (and
 * threads) may share it. */
typedef struct ami_sim_dataset ami_sim_dataset;

typedef enum ami_sim_dataset_kind {
  AMI_SIM_DS_LCL = 1,     /* LCLid,tstp,energy(kWh/hh): consumption only */
  AMI_SIM_DS_AUSGRID = 2, /* ,GC,GG: consumption and PV generation */
  AMI_SIM_DS_UCI = 3      /* 1-minute active and reactive power */
} ami_sim_dataset_kind;

/* How a slot's value came to be (VEE vocabulary). */
typedef enum ami_sim_slot_flag {
  AMI_SIM_SLOT_MEASURED = 0,     /* the dataset's own value */
  AMI_SIM_SLOT_INTERPOLATED = 1, /* short gap (<= 2 h): linear between the
                                    neighbouring measured slots */
  AMI_SIM_SLOT_SUBSTITUTED = 2,  /* long or open-ended gap: the household's
                                    mean for the same time of the week (its
                                    overall mean if never measured then) */
  AMI_SIM_SLOT_NO_DATA = 3       /* the household has no value at all: 0 */
} ami_sim_slot_flag;

/* Daylight-saving rules for local clocks (the datasets' and the synthetic
 * households' behaviour). */
typedef enum ami_sim_dst {
  AMI_SIM_DST_NONE = 0,
  AMI_SIM_DST_AU_SE = 1, /* NSW, Victoria, ACT, Tasmania since 2008: from
                            the first Sunday of October 02:00 standard time
                            to the first Sunday of April 03:00 daylight */
  AMI_SIM_DST_EU = 2     /* EU since 1996: last Sunday of March 01:00 UTC to
                            last Sunday of October 01:00 UTC */
} ami_sim_dst;

/* The daylight-saving shift (0 or 3,600,000 ms) in force at Unix time
 * t_ms for a clock `std_offset_min` minutes east of UTC following `rule`.
 * Local clock time = t_ms + std_offset_min * 60000 + this. */
int64_t ami_sim_dst_shift_ms(ami_sim_dst rule, int64_t t_ms,
                             int32_t std_offset_min);

/* Bounds on what a parser will accept (hostile input must not make it
 * allocate without limit). Zero fields take the defaults given. */
typedef struct ami_sim_parse_limits {
  uint32_t max_households; /* default 100,000 */
  uint32_t max_slots;      /* per household; default 10 years of slots */
  uint64_t max_cells;      /* households x slots; default 2^24 (16.7 M) */
} ami_sim_parse_limits;

/* Parse the London "SmartMeter Energy Consumption Data in London
 * Households" CSV (header `LCLid,tstp,energy(kWh/hh)`, then
 * `MAC000002,2013-01-01 00:00:00, 0.219 `). Timestamps are GMT (the trial's
 * convention; every household has 48 slots a day all year), each row's
 * half hour starting at tstp. kWh values are rounded to the nearest mWh
 * (the data's resolution is 1 Wh; LCL's 7-digit tails are float artefacts);
 * a value must lie in 0..30 kWh (a home's half hour is far below).
 * A household's rows need not be contiguous; a repeated (household, time)
 * is an error. Slots between the first and last timestamp of the file that
 * a household lacks are filled and flagged.
 *
 * `bytes`/`len`: the UNCOMPRESSED text (the caller decompresses: zlib is not
 * a dependency), borrowed for the call only. `alloc` may be NULL (default).
 * `limits` may be NULL (defaults). On success *out receives an owned dataset
 * (free with ami_sim_dataset_free). On failure *out is NULL and, when
 * `err_line` is not NULL, it receives the 1-based line number of the
 * offending line (0 for errors not tied to a line, such as limits or memory).
 * Returns AMI_OK, AMI_E_SYNTAX (malformed line), AMI_E_RANGE (a value or a
 * time out of range), AMI_E_INCONSISTENT (duplicate slot, time not on a slot
 * boundary), AMI_E_LIMIT, AMI_E_NOT_FOUND (no data rows), AMI_E_NOMEM. */
int ami_sim_dataset_parse_lcl(const uint8_t *bytes, size_t len,
                              const ami_allocator *alloc,
                              const ami_sim_parse_limits *limits,
                              ami_sim_dataset **out, uint64_t *err_line);

/* Parse an Ausgrid solar-home half-hourly CSV with header `,GC,GG`
 * (timestamp, general consumption kWh, gross PV generation kWh), one
 * household. Ausgrid's days always have 48 half hours labelled in local
 * CIVIL time (daylight saving included, the transition days regularised):
 * the series is kept on a regular grid at the standard offset
 * `utc_offset_min` (Sydney: +600), and `dst` (Sydney: AMI_SIM_DST_AU_SE)
 * only moves the sun used to shape the PV within each half hour, so the
 * shape follows the real sun (the data's midsummer noon is 13:00 on its
 * labels). Same contract as ami_sim_dataset_parse_lcl. */
int ami_sim_dataset_parse_ausgrid(const uint8_t *bytes, size_t len,
                                  int32_t utc_offset_min, ami_sim_dst dst,
                                  const ami_allocator *alloc,
                                  const ami_sim_parse_limits *limits,
                                  ami_sim_dataset **out, uint64_t *err_line);

/* Parse the UCI "Individual household electric power consumption" CSV as
 * re-cut in shared/data (header `index,Date,Time,Global_active_power,
 * Global_reactive_power,...`, d/m/yy or d/m/yyyy dates, `?` for a missing
 * minute). One household, one-minute slots holding mean P in W and Q in
 * var (from kW with 3 decimals: exact). Times are local clock time at
 * `utc_offset_min` (France: +60; the series ignores daylight saving).
 * Same contract as ami_sim_dataset_parse_lcl. */
int ami_sim_dataset_parse_uci(const uint8_t *bytes, size_t len,
                              int32_t utc_offset_min,
                              const ami_allocator *alloc,
                              const ami_sim_parse_limits *limits,
                              ami_sim_dataset **out, uint64_t *err_line);

/* Frees a dataset; accepts NULL. No household may use it afterwards. */
void ami_sim_dataset_free(ami_sim_dataset *ds);

ami_sim_dataset_kind ami_sim_dataset_kind_of(const ami_sim_dataset *ds);
uint32_t ami_sim_dataset_households(const ami_sim_dataset *ds);
/* Slots per household (all households share one time axis). */
uint32_t ami_sim_dataset_slots(const ami_sim_dataset *ds);
uint32_t ami_sim_dataset_slot_ms(const ami_sim_dataset *ds);
/* Unix time (ms, UTC) at which slot 0 starts. */
int64_t ami_sim_dataset_start_ms(const ami_sim_dataset *ds);
/* The household's id as in the file (NUL-terminated, at most 15 chars);
 * valid until the dataset is freed. NULL for a bad index. */
const char *ami_sim_dataset_id(const ami_sim_dataset *ds, uint32_t household);
/* Index of the household named `id`: AMI_OK or AMI_E_NOT_FOUND. */
int ami_sim_dataset_find(const ami_sim_dataset *ds, const char *id,
                         uint32_t *household);

/* One slot's stored value. For half-hourly data: consumption and generation
 * in mWh over the slot (generation 0 when the dataset has none). For
 * one-minute data: mean active power in W in *a and mean reactive power in
 * var in *b. `flag` receives an ami_sim_slot_flag; any out-pointer may be
 * NULL. Returns AMI_E_RANGE for a bad household or slot. */
int ami_sim_dataset_value(const ami_sim_dataset *ds, uint32_t household,
                          uint32_t slot, int32_t *a, int32_t *b, uint8_t *flag);

/* Counts of slots per ami_sim_slot_flag over the whole dataset (gaps). */
void ami_sim_dataset_flag_counts(const ami_sim_dataset *ds, uint64_t counts[4]);

/* ---------------------------------------------------------------------- */
/* Households                                                              */

/* Appliance set of a synthetic household. ami_sim_synth_params_random
 * draws a plausible one from a seed; callers may then edit it. */
enum {
  AMI_SIM_HAS_EV = 1u << 0,        /* 7.4 kW home charger */
  AMI_SIM_HAS_HEAT_PUMP = 1u << 1, /* air-to-water, modulating */
  AMI_SIM_HAS_PV = 1u << 2,        /* rooftop PV, unity power factor */
  AMI_SIM_HAS_ELECTRIC_COOKING = 1u << 3
};

/* Each appliance power is clamped to 0..AMI_SIM_SYNTH_MAX_W at init. */
#define AMI_SIM_SYNTH_MAX_W 100000

typedef struct ami_sim_synth_params {
  uint32_t appliances; /* AMI_SIM_HAS_* */
  int32_t standby_w;   /* always-on electronics */
  int32_t fridge_w;    /* compressor power when running */
  int32_t lighting_w;  /* lighting at the evening peak */
  int32_t ev_w;        /* EV charger power */
  int32_t heat_pump_w; /* heat pump electrical power at full output */
  int32_t pv_wp;       /* PV peak power (W at 1 kW/m^2) */
  double latitude_deg; /* site: sun position for PV and lighting */
  double longitude_deg;
  int32_t utc_offset_min; /* local clock for behaviour (meals, charging): */
  ami_sim_dst dst;        /* standard offset and daylight-saving rule */
} ami_sim_synth_params;

/* Draws a household: standby 40-150 W, fridge 70-150 W, lighting, and with
 * seed-dependent probability electric cooking (70 %), EV (25 %), heat pump
 * (20 %), PV (30 %); site London unless changed. */
void ami_sim_synth_params_random(ami_sim_synth_params *p, uint64_t seed);

/* What a meter sees at one instant. */
typedef struct ami_sim_power {
  int32_t p_mw;         /* net active power, mW: import > 0, export < 0 */
  int32_t q_mvar;       /* reactive power, mvar: inductive > 0 */
  int32_t load_mw;      /* consumption part of p_mw (>= 0) */
  int32_t gen_mw;       /* generation part (>= 0): p_mw = load - gen */
  uint16_t h3_permille; /* 3rd / 5th harmonic of the load current relative */
  uint16_t h5_permille; /* to its fundamental (a hint for the synthesiser) */
  uint8_t flag;         /* ami_sim_slot_flag of the slot (replayed data) */
} ami_sim_power;

/* Energy over an interval: exact integrals of what ami_sim_household_power
 * reports. Units: microjoules (mW*ms) and mvar*ms. */
typedef struct ami_sim_energy {
  int64_t import_uj;       /* integral of max(P, 0) */
  int64_t export_uj;       /* integral of max(-P, 0) */
  int64_t load_uj;         /* consumption */
  int64_t gen_uj;          /* generation */
  int64_t reactive_mvarms; /* integral of Q (signed) */
} ami_sim_energy;

/* One expanded minute (private to the model; public only for sizeof). */
typedef struct ami_sim_bin {
  int32_t load_mw, gen_mw, q_mvar;   /* floor(energy / 60000 ms) */
  uint16_t load_rem, gen_rem, q_rem; /* energy mod 60000: +1 mW first */
  uint16_t h3, h5;                   /* per mille */
} ami_sim_bin;

/* A household. Caller-allocated (an array of thousands is fine: about
 * 900 bytes each); fields are private. Borrows the dataset, which must
 * outlive it. init cannot fail except for a bad index; no free needed. */
typedef struct ami_sim_household {
  const ami_sim_dataset *ds; /* borrowed; NULL for a synthetic household */
  uint32_t index;
  uint64_t seed;
  int64_t offset_ms; /* dataset time = simulated time + offset */
  ami_sim_synth_params synth;
  int64_t cached_slot; /* absolute slot held in `bins`, or INT64_MIN */
  uint8_t cached_flag;
  ami_sim_bin bins[AMI_SIM_BINS];
} ami_sim_household;

/* A household replaying household `index` of `ds` with sub-interval shape
 * drawn from `seed`. Simulated time maps to dataset time unchanged, and the
 * dataset repeats cyclically outside its span (so a 2013 dataset drives a
 * meter in any year). Returns AMI_E_RANGE for a bad index. */
int ami_sim_household_init(ami_sim_household *h, const ami_sim_dataset *ds,
                           uint32_t index, uint64_t seed);

/* A synthetic household from appliance models; `p` is copied (NULL: drawn
 * by ami_sim_synth_params_random(seed)). */
void ami_sim_household_init_synthetic(ami_sim_household *h,
                                      const ami_sim_synth_params *p,
                                      uint64_t seed);

/* Shift: the household at simulated time t shows dataset time t + offset
 * (a fleet sharing one dataset household looks less alike). */
void ami_sim_household_set_offset(ami_sim_household *h, int64_t offset_ms);

/* What the meter sees at t (Unix ms, UTC). O(1): expands the half hour
 * containing t unless it is the cached one. */
void ami_sim_household_power(ami_sim_household *h, uint64_t t_ms,
                             ami_sim_power *out);

/* Energy over [t0_ms, t1_ms) (empty when t1 <= t0): the exact integral of
 * ami_sim_household_power over the interval. O(minutes touched), plus one
 * half-hour expansion per half hour not cached. */
void ami_sim_household_energy(ami_sim_household *h, uint64_t t0_ms,
                              uint64_t t1_ms, ami_sim_energy *out);

#ifdef __cplusplus
}
#endif
#endif /* AMI_SIM_LOAD_H */
