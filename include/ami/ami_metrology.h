/*
 * ami_metrology.h -- the metrology engine: ADC samples in, energies,
 * powers, RMS, frequency, harmonics and power-quality events out.
 *
 * This is the legally relevant part of a meter (OIML R46 / WELMEC 7.2). It
 * is pure arithmetic: no I/O, no clock (time is the sample count), no heap
 * (the caller provides the state struct). Its only output towards the rest
 * of the meter is ami_metro_readout (ami_metro_readout.h).
 *
 * Signal path (lib/metrology/ami_metrology.c explains the maths):
 *
 *   int32 ADC codes --(- offset)--> fractional-delay phase compensation
 *     --> per sample: sum u*i (active energy), sum u*u (half-cycle RMS),
 *         zero-crossing detection on U1 with sub-sample interpolation
 *     --> per fundamental cycle: resampling to 64 points, FFT, harmonics
 *         1..31, fundamental and "true" reactive power, RMS, energies
 *     --> per 10/12-cycle window (IEC 61000-4-7): the readout values.
 *
 * Sample layout of ami_metrology_feed: interleaved frames, one int32 per
 * channel, u1,i1 [,u2,i2,u3,i3] [,in] (the measured neutral current last,
 * only when config.neutral_channel is set).
 */
#ifndef AMI_METROLOGY_H
#define AMI_METROLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_metro_readout.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fixed algorithm constants (part of the software identification). */
#define AMI_METRO_FFT_N     64   /* resampled points per fundamental cycle */
#define AMI_METRO_HARMONICS 31   /* highest harmonic order analysed */
#define AMI_METRO_RING      1024 /* per-channel sample history (power of 2) */
#define AMI_METRO_MIN_FS    2000
#define AMI_METRO_MAX_FS    16000
#define AMI_METRO_MAX_DELAY 1.0 /* |phase_delay| limit, in samples */

/* One ADC channel: physical value = gain * (code - offset). */
typedef struct ami_metrology_channel_cal {
  double gain;    /* volts or amperes per ADC code (> 0) */
  int32_t offset; /* ADC codes subtracted first (DC offset of the front end) */
} ami_metrology_channel_cal;

/* One phase: its two channels and their relative timing. */
typedef struct ami_metrology_phase_cal {
  ami_metrology_channel_cal voltage;
  ami_metrology_channel_cal current;
  /* How many samples LATER the current channel is sampled than its voltage
   * channel (a multiplexed ADC, or a CT phase lead expressed as time), in
   * -1.0..1.0. The engine delays the current (or the voltage, if negative)
   * by this fraction of a sample. 0 switches the compensation off. */
  double phase_delay;
} ami_metrology_phase_cal;

typedef struct ami_metrology_config {
  uint8_t phases;          /* 1 or 3 */
  bool neutral_channel;    /* frames carry a measured neutral current last */
  uint32_t sample_rate_hz; /* AMI_METRO_MIN_FS..AMI_METRO_MAX_FS */
  uint32_t nominal_voltage_mv;    /* e.g. 230000 */
  uint32_t nominal_frequency_mhz; /* 45000..65000, e.g. 50000 */
  ami_metrology_phase_cal cal[AMI_METRO_MAX_PHASES];
  ami_metrology_channel_cal neutral; /* used when neutral_channel */
  /* IEC 62053-22 §8.3.3 starting current: a phase whose cycle RMS current
   * is below it registers no energy (no-load creep, §8.3.2). 0 = off. */
  uint32_t start_current_ma;
  /* IEC 61000-4-30 §5.4 thresholds in per mille of the nominal voltage;
   * 0 selects the default shown. */
  uint16_t sag_permille;          /* 900 */
  uint16_t swell_permille;        /* 1100 */
  uint16_t interruption_permille; /* 50 */
  uint16_t hysteresis_permille;   /* 20 */
} ami_metrology_config;

/* An energy register: whole milli-units plus an exact binary fraction, so
 * that no sub-mWh remainder is ever lost (see ami__metro_reg_add). */
typedef struct ami_metro_reg {
  int64_t whole; /* mWh (mvarh, mVAh) */
  uint64_t frac; /* units of 2^-40 mWh, always < 2^40 */
} ami_metro_reg;

/* The registers of one phase or of the total. */
typedef struct ami_metro_regs {
  ami_metro_reg p_imp, p_exp, q[4], q_fund[4], s_imp, s_exp;
} ami_metro_regs;

/* Per-phase results of the last complete 10/12-cycle window (SI units). */
typedef struct ami_metro_window {
  double urms, irms, p, q, q_fund, s, pf;
  double angle_u_deg, angle_iu_deg, thd_u, thd_i; /* THD as a ratio */
  double harm_u[AMI_METRO_HARMONICS + 1];         /* ratio to h=1 */
  double harm_i[AMI_METRO_HARMONICS + 1];
} ami_metro_window;

/* The engine's state. Caller-provided (stack, static or heap); no pointers
 * inside, so it may be copied. Treat the fields as private. Times inside
 * are in sample periods relative to `tbase` (rebased every cycle so that
 * double precision never degrades, however long the meter runs). */
typedef struct ami_metrology {
  ami_metrology_config cfg;
  unsigned channels;   /* int32 values per frame */
  unsigned win_cycles; /* 10 at 50 Hz, 12 at 60 Hz */
  double ts;           /* sample period, s */
  uint64_t n;          /* samples (frames) processed */
  uint64_t tbase;      /* absolute sample number of relative time 0 */
  /* phase compensation (integer delay + first-order Thiran all-pass) */
  bool phase_comp;
  unsigned dly_u[AMI_METRO_MAX_PHASES], dly_i[AMI_METRO_MAX_PHASES];
  double ap_u[AMI_METRO_MAX_PHASES], ap_i[AMI_METRO_MAX_PHASES];
  double apy_u[AMI_METRO_MAX_PHASES], apy_i[AMI_METRO_MAX_PHASES];
  double raw_u[AMI_METRO_MAX_PHASES][8], raw_i[AMI_METRO_MAX_PHASES][8];
  /* compensated history, indexed by sample number & (RING - 1) */
  double ring_u[AMI_METRO_MAX_PHASES][AMI_METRO_RING];
  double ring_i[AMI_METRO_MAX_PHASES][AMI_METRO_RING];
  /* the cycle in progress */
  double acc_p[AMI_METRO_MAX_PHASES]; /* sum u*i since cyc_start_n, codes^2 */
  double acc_n2;                      /* sum in*in, measured neutral */
  uint64_t cyc_start_n;               /* first sample of the active sum */
  double cyc_start_t;                 /* start of the analysis window */
  bool cyc_start_measured;            /* ... was a real zero crossing */
  bool armed;                         /* U1 went below -hysteresis */
  bool synced;                        /* the start-up fragment is over */
  double prev_u1;
  double zc_lp, zc_alpha;   /* low-passed U1 for the crossing detector */
  double zc_hyst;           /* codes */
  double period;            /* last measured period, samples */
  double ts_nominal_period; /* nominal period, samples */
  double min_len;           /* shortest accepted cycle, samples */
  double carry_time;        /* start-up fragment, charged with the next cycle */
  /* a closed cycle waiting for its last interpolation taps */
  bool pend;
  bool pend_measured; /* both ends were real zero crossings */
  uint64_t pend_ready_n;
  double pend_t0, pend_t1;
  uint64_t pend_n0, pend_n1;
  double pend_p[AMI_METRO_MAX_PHASES];
  double pend_n2;
  /* energy registers and what they cover */
  ami_metro_regs reg[AMI_METRO_MAX_PHASES], total;
  uint64_t committed_n; /* active energy covers samples [0, this) */
  double committed_t;   /* reactive/apparent energy cover [0, this) */
  bool creeping;
  /* 10/12-cycle window accumulators (IEC 61000-4-7 grouping interval) */
  unsigned win_count, win_meas_cycles;
  double win_time, win_ptime, win_meas_time;
  double w_p[AMI_METRO_MAX_PHASES], w_q[AMI_METRO_MAX_PHASES];
  double w_qf[AMI_METRO_MAX_PHASES], w_s[AMI_METRO_MAX_PHASES];
  double w_u2[AMI_METRO_MAX_PHASES][AMI_METRO_HARMONICS + 1];
  double w_i2[AMI_METRO_MAX_PHASES][AMI_METRO_HARMONICS + 1];
  double w_ui_re[AMI_METRO_MAX_PHASES], w_ui_im[AMI_METRO_MAX_PHASES];
  double w_uu_re[AMI_METRO_MAX_PHASES], w_uu_im[AMI_METRO_MAX_PHASES];
  double w_in2, w_nmeas2;
  /* last complete window */
  bool have_window;
  ami_metro_window win[AMI_METRO_MAX_PHASES];
  double frequency, neutral_rms, neutral_meas_rms;
  /* half-cycle RMS (IEC 61000-4-30 §5.4.1), per phase, and the events */
  double acc_u2[AMI_METRO_MAX_PHASES], prev_u2[AMI_METRO_MAX_PHASES];
  unsigned half_len; /* samples, from the measured period */
  unsigned half_target[AMI_METRO_MAX_PHASES], half_count[AMI_METRO_MAX_PHASES];
  unsigned prev_half_count[AMI_METRO_MAX_PHASES];
  bool hc_armed[AMI_METRO_MAX_PHASES]; /* raw U went below -hysteresis */
  double hc_prev[AMI_METRO_MAX_PHASES];
  double urms_half[AMI_METRO_MAX_PHASES]; /* latest Urms(1/2), ratio */
  bool have_half[AMI_METRO_MAX_PHASES];
  double u_nom2[AMI_METRO_MAX_PHASES];  /* (nominal RMS in codes)^2 */
  double hc_hyst[AMI_METRO_MAX_PHASES]; /* arming level, codes */
  bool in_sag, in_swell, in_int, voltage_present;
  ami_metro_quality quality;
  uint64_t sag_samples, swell_samples, int_samples; /* ended events */
  uint64_t sag_start, swell_start, int_start;       /* running events */
  /* resampler correction per harmonic (1 / mean response), and the period
   * in samples it was computed for */
  double corr_re[AMI_METRO_HARMONICS + 1], corr_im[AMI_METRO_HARMONICS + 1];
  double corr_len;
  /* FFT tables */
  double tw_re[AMI_METRO_FFT_N / 2], tw_im[AMI_METRO_FFT_N / 2];
  uint8_t bitrev[AMI_METRO_FFT_N];
} ami_metrology;

/* Validates `cfg` (borrowed; copied into the state) and resets `m`.
 * Returns AMI_OK, or AMI_E_INVAL for a configuration outside the limits
 * documented above (m is then left zeroed). */
int ami_metrology_init(ami_metrology *m, const ami_metrology_config *cfg);

/* Processes `frames` interleaved frames (layout above). Blocks may have any
 * size, including 0: the results never depend on how the stream is split.
 * `samples` is borrowed for the call. */
void ami_metrology_feed(ami_metrology *m, const int32_t *samples,
                        size_t frames);

/* Fills `out` (borrowed) from the registers and the last complete window.
 * Energies cover whole cycles up to the last analysed one (see
 * ami_metrology_span). Quality counters are cumulative since init or the
 * last ami_metrology_clear_quality (readout does not change the state). */
void ami_metrology_readout(const ami_metrology *m, ami_metro_readout *out);

/* Resets the power-quality counters, durations and min/max voltages. */
void ami_metrology_clear_quality(ami_metrology *m);

/* What the energy registers cover: active energy the samples [0,
 * *active_samples); reactive and apparent energy the time [0,
 * *reactive_samples) in (fractional) sample periods. With phase
 * compensation on, the compensated streams lag the input by 1.5 samples. */
void ami_metrology_span(const ami_metrology *m, uint64_t *active_samples,
                        double *reactive_samples);

/* OIML R46 software identification of this engine (static strings). */
ami_metro_software_id ami_metrology_software_id(void);

/* ---- internal, exposed for tests ------------------------------------- */

/* Adds `mwh` (>= 0, < 2^22) to a register: converted once to 2^-40 mWh
 * units (rounded to nearest), then added exactly in integers. */
void ami__metro_reg_add(ami_metro_reg *r, double mwh);
/* The same, with the increment already in 2^-40 mWh units. */
void ami__metro_reg_add_units(ami_metro_reg *r, uint64_t units);
/* CRC-32 (ISO-HDLC: reflected 0xEDB88320, init and xorout 0xFFFFFFFF). */
uint32_t ami__metro_crc32(const uint8_t *p, size_t n);
/* The bytes the software-id CRC covers; returns their count (<= cap). */
size_t ami__metro_id_bytes(uint8_t *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* AMI_METROLOGY_H */
