/*
 * ami_meter.h -- the meter application core ("management part" of an
 * electricity meter) over the COSEM object model: energy registers per
 * tariff rate, time-of-use (Activity Calendar, Special Days, Clock with
 * DST), maximum demand, billing periods, load profiles and event logs.
 *
 * INPUT is the metrology readout (ami_metro_readout.h, OIML R46 separation);
 * the meter never computes energy itself, it only distributes the deltas of
 * the cumulative metrology accumulators over tariff rates and intervals.
 *
 * TIME. Every function takes the true UTC time in milliseconds (sans-I/O).
 * The meter keeps a DEVICE time = UTC + an offset that moves when the clock
 * is set (through DLMS or ami_meter_set_time); tariffs, profiles, demand
 * and billing all run on device time, in LOCAL time (standard offset plus
 * daylight saving when active) where the standard says "local".
 *
 * STEPPING RULE. ami_meter_step(now, r) closes the interval from the
 * previous step to `now`. Everything that happens inside it happens on
 * whole device-time minutes (tariff switches, profile captures, demand
 * period ends, billing closures, calendar activation): the interval is cut
 * at each UTC minute boundary where something happens, and the energy delta
 * of the step (readout accumulators minus those of the previous step) is
 * split over the pieces in proportion to their duration (linear
 * interpolation; the remainder of integer division goes to the last piece,
 * so no mWh is ever lost). Steps may be irregular and as long as wanted
 * (cost is one cheap evaluation per minute crossed). A step whose time is
 * not after the previous one adds its energy to the current rate and
 * processes no boundary. When the clock is set, the device time jumps:
 * boundaries skipped by a forward jump are not processed (the next load
 * profile row carries the "clock adjusted" status bit).
 *
 * READS through the model answer as of the last step: the Clock shows the
 * device time of the last step (the request's own time is ignored), so a
 * caller drives ami_meter_step about once a second for a live clock.
 *
 * LOCAL TIME. local = device UTC + time zone + (DST active ? deviation : 0).
 * DST begins/ends at the instants named by the Clock's
 * daylight_savings_begin/_end attributes (begin in local standard time, end
 * in local daylight time); the default is the EU rule (last Sunday of
 * March 01:00 UTC to last Sunday of October 01:00 UTC).
 *
 * UNITS. Internal accumulators are int64 mWh / mvarh (as the readout);
 * registers show Wh / varh (scaler 0) as double-long-unsigned, so a register
 * truncates but never accumulates rounding. Demand is W (scaler 0).
 *
 * OBJECTS (class, OBIS): Clock 8 0-0:1.0.0; identity 1 0-0:42.0.0,
 * 0-0:96.1.0, 0-0:96.1.1; energy 3 1-0:{1,2,5,6,7,8}.8.{0..4};
 * instantaneous 3 1-0:32/52/72.7.0 (V), 31/51/71.7.0 (A; L2/L3 only with 3
 * phases), 1.7.0, 2.7.0 (W), 13.7.0 (PF), 14.7.0 (Hz); demand 5
 * 1-0:1.4.0, 2.4.0; maximum demand 4 1-0:1.6.0..1.6.4, 2.6.0; Activity
 * Calendar 20 0-0:13.0.0; Special Days 11 0-0:11.0.0; Script Tables 9
 * 0-0:10.0.100 (tariffication) and 0-0:10.0.1 (end of billing); Single
 * Action Schedule 22 0-0:15.0.0; active tariff 1 0-0:96.14.0; profile
 * status 1 0-0:96.10.1; event codes 1 0-0:96.11.{0,1,2,4}; event logs 7
 * 0-0:99.98.{0,1,2,4}; load profiles 7 1-0:99.1.0, 1-0:99.2.0; billing
 * profiles 7 0-0:98.1.0 (monthly), 0-0:98.2.0 (daily); Association LN 15
 * 0-0:40.0.{1,2,3}; SAP Assignment 17 0-0:41.0.0.
 *
 * MEMORY. Everything through the injected allocator; all sizes are fixed
 * at creation (profile rows, log rows). THREADS: none; one thread drives a
 * meter and its model.
 */
#ifndef AMI_METER_H
#define AMI_METER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_alloc.h"
#include "ami/ami_cosem.h"
#include "ami/ami_metro_readout.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMI_METER_RATES        4 /* tariff rates 1..4 (OBIS E = 1..4) */
#define AMI_METER_MAX_SEASONS  8
#define AMI_METER_MAX_WEEKS    8
#define AMI_METER_MAX_DAYS     8
#define AMI_METER_MAX_SWITCHES 12 /* per day profile */
#define AMI_METER_MAX_SPECIAL  32
#define AMI_METER_MAX_NAME     16

/* Energy quantities kept per rate (OBIS C of x.8.y). */
typedef enum ami_meter_qty {
  AMI_METER_QTY_IMPORT = 0, /* +A, 1.8.x */
  AMI_METER_QTY_EXPORT,     /* -A, 2.8.x */
  AMI_METER_QTY_Q1,         /* reactive quadrant I, 5.8.x */
  AMI_METER_QTY_Q2,         /* 6.8.x */
  AMI_METER_QTY_Q3,         /* 7.8.x */
  AMI_METER_QTY_Q4,         /* 8.8.x */
  AMI_METER_QTY_COUNT
} ami_meter_qty;

/* ---- time-of-use calendar (the data of Activity Calendar, class 20) ----- */

/* One switch of a day profile: from local hh:mm on, script selector
 * `rate` (1..4) of the Tariffication Script Table 0-0:10.0.100. */
typedef struct ami_meter_switch {
  uint8_t hour, minute;
  uint8_t rate;
} ami_meter_switch;

typedef struct ami_meter_day_profile {
  uint8_t day_id;
  uint8_t nswitches;
  ami_meter_switch sw[AMI_METER_MAX_SWITCHES]; /* ascending time */
} ami_meter_day_profile;

/* A season or week profile name (an octet-string of up to 8 bytes). */
#define AMI_METER_MAX_PNAME 8
typedef struct ami_meter_pname {
  uint8_t len;
  uint8_t b[AMI_METER_MAX_PNAME];
} ami_meter_pname;

/* A name from a C string (the first 8 bytes). */
ami_meter_pname ami_meter_pname_make(const char *s);

/* A week profile: its name and the day_id of Monday..Sunday. */
typedef struct ami_meter_week_profile {
  ami_meter_pname name;
  uint8_t day_id[7];
} ami_meter_week_profile;

/* A season: starts every year on local month/day 00:00 and uses the week
 * profile named `week_name`. */
typedef struct ami_meter_season {
  ami_meter_pname name;
  uint8_t month, day;
  ami_meter_pname week_name;
} ami_meter_season;

typedef struct ami_meter_calendar {
  uint8_t name[AMI_METER_MAX_NAME];
  uint8_t name_len;
  uint8_t nseasons, nweeks, ndays;
  ami_meter_season seasons[AMI_METER_MAX_SEASONS];
  ami_meter_week_profile weeks[AMI_METER_MAX_WEEKS];
  ami_meter_day_profile days[AMI_METER_MAX_DAYS];
} ami_meter_calendar;

/* A Special Days Table entry (class 11): on local date year-month-day
 * (year 0xFFFF = every year) use day profile day_id. */
typedef struct ami_meter_special_day {
  uint16_t index;
  uint16_t year;
  uint8_t month, day;
  uint8_t day_id;
} ami_meter_special_day;

/* ---- configuration --------------------------------------------------------
 */

typedef struct ami_meter_config {
  /* Identity (borrowed strings, copied into the model). */
  const char *logical_device_name; /* 0-0:42.0.0 and SAP 1; default
                                      "OAM0000000000001" */
  const char *serial;              /* 0-0:96.1.0 */
  const char *manufacturer;        /* 0-0:96.1.1 */
  uint8_t phases;                  /* 1 or 3; default 3 */
  /* Clock: ISO offset of local standard time (CET = +60), DST. */
  int16_t tz_offset_min;
  bool dst_enabled;
  int8_t dst_deviation_min; /* default 60 */
  /* Tariff: the active calendar (NULL: one day profile, rate 1 always) and
   * special days (borrowed, copied). */
  const ami_meter_calendar *calendar;
  const ami_meter_special_day *special_days;
  size_t nspecial_days;
  /* Load profile 1 (1-0:99.1.0) and 2 (1-0:99.2.0) capture periods in
   * seconds: multiples of 60 dividing 86400 (0: 900 s and 600 s). */
  uint32_t lp1_period_s, lp2_period_s;
  uint32_t lp1_rows, lp2_rows;       /* default 2880, 1440 */
  uint32_t event_rows;               /* per event log; default 100 */
  uint32_t billing_rows, daily_rows; /* default 15, 62 */
  /* Demand (class 5): subperiod length (a multiple of 60 dividing 86400;
   * default 900) and number of subperiods in the sliding window (1 =
   * block demand; default 1). */
  uint32_t demand_period_s;
  uint16_t demand_periods;
  /* Monthly billing: day of month (1..28, default 1) and local hour. */
  uint8_t billing_day, billing_hour;
  /* Model limits (NULL: defaults). */
  const ami_cosem_limits *limits;
  /* The metrology part's software identification (borrowed for the call
   * to ami_meter_new): shown as 1-1:0.2.0 (name and version) and
   * 1-1:0.2.8 (CRC-32). NULL: not shown. */
  const ami_metro_software_id *metrology_id;
} ami_meter_config;

typedef struct ami_meter ami_meter;

/* Create a meter and its COSEM model (objects listed in docs and below),
 * with three associations: client 16 public (no security, read-only),
 * client 2 reader (LLS, read-only), client 1 management (HLS-GMAC, full
 * rights). `cfg` is borrowed (copied); `alloc` (NULL = default) is
 * borrowed and must outlive the meter. `now_utc_ms` starts the meter's
 * time. Returns AMI_OK, AMI_E_INVAL (bad periods or calendar),
 * AMI_E_NOMEM or a model error. *out receives an owned meter. */
int ami_meter_new(const ami_meter_config *cfg, const ami_allocator *alloc,
                  uint64_t now_utc_ms, ami_meter **out);
/* Free a meter and its model; accepts NULL. */
void ami_meter_free(ami_meter *m);

/* The COSEM model the meter owns and keeps up to date (valid until
 * ami_meter_free). Give ami_cosem_server_app(model) to a server engine. */
ami_cosem_model *ami_meter_model(ami_meter *m);

/* Advance to `now_utc_ms` with the readout taken then (borrowed for the
 * call; NULL = no metrology news: no energy, no instantaneous values).
 * See the stepping rule above. Returns AMI_OK or a model error
 * (AMI_E_NOMEM). */
int ami_meter_step(ami_meter *m, uint64_t now_utc_ms,
                   const ami_metro_readout *r);

/* ---- hooks for the other meter modules ------------------------------------
 */

/* Write event `code` (ami_meter_events.h) at `now_utc_ms` into the log the
 * code belongs to: 1..39 and 200..255 standard 0-0:99.98.0, 40..59 fraud
 * 0-0:99.98.1, 60..75 disconnector 0-0:99.98.2, 76..99 power quality
 * 0-0:99.98.4 (others: standard). Returns AMI_OK or a model error. */
int ami_meter_log_event(ami_meter *m, uint16_t code, uint64_t now_utc_ms);

typedef enum ami_meter_tamper_kind {
  AMI_METER_TAMPER_TERMINAL_COVER_OPEN,
  AMI_METER_TAMPER_TERMINAL_COVER_CLOSE,
  AMI_METER_TAMPER_METER_COVER_OPEN,
  AMI_METER_TAMPER_METER_COVER_CLOSE,
  AMI_METER_TAMPER_MAGNETIC,
  AMI_METER_TAMPER_MAGNETIC_GONE
} ami_meter_tamper_kind;

/* A tamper input changed (the emulator's switches): fraud log event. */
int ami_meter_tamper(ami_meter *m, ami_meter_tamper_kind kind,
                     uint64_t now_utc_ms);

/* Set the clock so that device time now reads `device_utc_ms` (events 4
 * with the old time and 5 with the new, clock-adjusted status). */
int ami_meter_set_time(ami_meter *m, uint64_t device_utc_ms,
                       uint64_t now_utc_ms);

/* Reset maximum demand (the registers 1-0:1.6.x, 2-0:2.6.0). */
int ami_meter_demand_reset(ami_meter *m, uint64_t now_utc_ms);
/* Close the billing period now: snapshot into 0-0:98.1.0, reset demand. */
int ami_meter_end_billing_period(ami_meter *m, uint64_t now_utc_ms);

/* Program the passive calendar (written to the Activity Calendar's passive
 * attributes exactly as a DLMS SET would) and, when activation_local is
 * not NULL, its activation time as a local date-time (wildcards allowed:
 * none = "not specified"). Logs event 19 (passive TOU programmed). */
int ami_meter_set_passive_calendar(ami_meter *m, const ami_meter_calendar *cal,
                                   const ami_cosem_datetime *activation_local,
                                   uint64_t now_utc_ms);
/* The activate_passive_calendar method: passive -> active, event 9.
 * AMI_E_INVAL if the passive attributes do not decode. */
int ami_meter_activate_passive_calendar(ami_meter *m, uint64_t now_utc_ms);

/* ---- read-back (tests, emulator display, other modules) ------------------ */

/* An energy accumulator in mWh (mvarh): rate 0 = total, 1..4 = per rate. */
int64_t ami_meter_energy(const ami_meter *m, ami_meter_qty q, unsigned rate);
/* The rate in force (1..4) after the last step. */
unsigned ami_meter_active_rate(const ami_meter *m);
/* Device time (UTC ms) at true UTC `now_utc_ms`. */
uint64_t ami_meter_device_time(const ami_meter *m, uint64_t now_utc_ms);
/* Local-time offset in minutes (standard + DST) at device time `dev_ms`,
 * and whether DST is active then. */
int ami_meter_local_offset(const ami_meter *m, uint64_t dev_ms, bool *dst);
/* Maximum demand in W of quantity +A (q = IMPORT) or -A, rate 0..4. */
int64_t ami_meter_max_demand(const ami_meter *m, ami_meter_qty q,
                             unsigned rate);

#ifdef __cplusplus
}
#endif
#endif /* AMI_METER_H */
