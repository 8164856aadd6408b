/*
 * ami_metro_readout.h -- the narrow interface between the legally relevant
 * metrology part of a meter and everything else (the management part).
 *
 * OIML R46 / WELMEC 7.2 ask a meter's legally relevant software to be
 * separated from the rest behind a defined interface, with its own software
 * identification. This header IS that interface: the management part (lib/
 * meter: tariffs, profiles, control, DLMS) sees the metrology only through a
 * readout struct filled by the metrology engine (lib/metrology) and the
 * identification below. Nothing flows the other way except calibration, which
 * the engine takes at creation.
 *
 * UNITS are fixed integers so that registers never drift and the management
 * side never does floating-point arithmetic on billing quantities:
 *   energies   int64 milli-watt-hours (mWh), mvarh, mVAh, cumulative since
 *              the engine was created (they only grow; 2^63 mWh ~ 9.2e12 kWh)
 *   voltage    int32 millivolts RMS      current  int32 milliamps RMS
 *   power      int64 milliwatts / mvar / mVA, signed (export < 0)
 *   pf         int16 thousandths (-1000..1000), sign = direction of P
 *   frequency  int32 millihertz          angle    int16 tenths of a degree
 *   THD        uint16 hundredths of a percent
 */
#ifndef AMI_METRO_READOUT_H
#define AMI_METRO_READOUT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AMI_METRO_MAX_PHASES 3

/* Energy accumulators (IEC 62053-24 quadrant convention: Q1 import active +
 * inductive, Q2 export active + inductive... see lib/metrology). */
typedef struct ami_metro_energy {
  int64_t active_import_mwh;        /* +A  (OBIS x.x.1.8.0) */
  int64_t active_export_mwh;        /* -A  (OBIS x.x.2.8.0) */
  int64_t reactive_q_mvarh[4];      /* Q1..Q4 "true" (all harmonics) 5..8.8.0 */
  int64_t reactive_fund_q_mvarh[4]; /* Q1..Q4 fundamental only (62053-24) */
  int64_t apparent_import_mvah;     /* 9.8.0 */
  int64_t apparent_export_mvah;     /* 10.8.0 */
} ami_metro_energy;

typedef struct ami_metro_phase {
  int32_t voltage_mv;
  int32_t current_ma;
  int64_t active_mw;
  int64_t reactive_mvar;
  int64_t apparent_mva;
  int16_t power_factor; /* thousandths */
  int16_t
      angle_ui_ddeg; /* angle of U relative to U of L1, tenths of a degree */
  int16_t angle_iu_ddeg; /* angle of I relative to its own U */
  uint16_t thd_u_cpct;   /* THD of voltage, hundredths of a percent */
  uint16_t thd_i_cpct;
  ami_metro_energy energy; /* this phase's accumulators */
  /* Appended by lib/metrology: harmonic magnitudes h = 1..31 (index = order,
   * [0] unused) as hundredths of a percent of the fundamental (IEC 61000-4-7
   * harmonic ratios from 10/12-cycle windows; [1] is 10000). */
  uint16_t harm_u_cpct[32];
  uint16_t harm_i_cpct[32];
} ami_metro_phase;

/* Power-quality events since the previous readout (IEC 61000-4-30 style,
 * from half-cycle RMS). Counts, and the worst depth/height seen.
 * lib/metrology: the readout cannot clear them (it takes a const engine);
 * they are cumulative until ami_metrology_clear_quality(). */
typedef struct ami_metro_quality {
  uint32_t sags;
  uint32_t swells;
  uint32_t interruptions;
  int32_t min_voltage_mv; /* lowest half-cycle RMS seen */
  int32_t max_voltage_mv; /* highest half-cycle RMS seen */
  uint32_t sag_ms;        /* total duration in sag */
  uint32_t swell_ms;
  uint32_t interruption_ms;
} ami_metro_quality;

typedef struct ami_metro_readout {
  uint64_t samples;     /* samples processed since creation */
  uint8_t phases;       /* 1 or 3 */
  bool voltage_present; /* any phase above the interruption threshold */
  bool creeping;        /* below the starting current: no energy counted */
  int32_t frequency_mhz;
  int32_t neutral_current_ma;
  ami_metro_phase phase[AMI_METRO_MAX_PHASES];
  ami_metro_energy total; /* sum over phases (of the signed per-phase flows) */
  int64_t active_total_mw;
  int64_t reactive_total_mvar;
  int64_t apparent_total_mva;
  int16_t power_factor_total;
  ami_metro_quality quality;
  /* Appended by lib/metrology: RMS of a measured neutral current channel
   * (0 when the meter has none); neutral_current_ma above is always the
   * RMS of the vector sum of the phase currents. */
  int32_t neutral_measured_ma;
} ami_metro_readout;

/* The metrology part's software identification (OIML R46: name, version and
 * a checksum of the legally relevant code), shown by the meter through COSEM
 * (e.g. 1-0:0.2.0 active firmware identifier of the metrology part). */
typedef struct ami_metro_software_id {
  const char *name;    /* borrows a static string */
  const char *version; /* borrows a static string */
  uint32_t crc32;      /* over the identification-relevant constants */
} ami_metro_software_id;

#ifdef __cplusplus
}
#endif
#endif /* AMI_METRO_READOUT_H */
