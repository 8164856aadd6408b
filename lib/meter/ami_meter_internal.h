/*
 * ami_meter_internal.h -- the state behind ami_meter.h, shared by the files
 * of lib/meter that make up the meter core (ami_meter.c: lifecycle, stepping,
 * registers, demand, profiles, events; ami_meter_model.c: building the COSEM
 * objects and answering for them; ami_meter_tou.c: local time, DST and the
 * time-of-use calendar). Not a public header.
 */
#ifndef AMI_METER_INTERNAL_H
#define AMI_METER_INTERNAL_H

#include "ami/ami_cosem_time.h"
#include "ami/ami_meter.h"
#include "ami/ami_meter_events.h"

#define AMI__METER_MAX_BINDS  128
#define AMI__METER_MAX_WINDOW 16 /* demand subperiods in a sliding window */
#define AMI__METER_MAX_EXEC   8  /* Single Action Schedule execution times */
#define AMI__METER_LOGS       4

/* AMI profile status byte (the "AMR profile status" of the load profile
 * column 0-0:96.10.1, as IDIS/DSMR define it). */
#define AMI__METER_ST_CRITICAL   0x01u
#define AMI__METER_ST_CLOCK_INV  0x02u
#define AMI__METER_ST_NOT_VALID  0x04u
#define AMI__METER_ST_DST        0x08u
#define AMI__METER_ST_CLOCK_ADJ  0x20u
#define AMI__METER_ST_POWER_DOWN 0x80u

/* What an object of the model means to the meter (per-object callbacks
 * carry a pointer to one of these). */
typedef enum ami__meter_kind {
  AMI__MK_ENERGY, /* a = qty, b = rate (0 total) */
  AMI__MK_INST,   /* a = which instantaneous value */
  AMI__MK_DEMAND, /* a = qty (import/export) */
  AMI__MK_MAXDEM, /* a = qty, b = rate */
  AMI__MK_CLOCK,
  AMI__MK_CALENDAR,
  AMI__MK_SPECIAL,
  AMI__MK_SCHEDULE,
  AMI__MK_TARIFF,        /* 0-0:96.14.0 */
  AMI__MK_STATUS,        /* 0-0:96.10.1 */
  AMI__MK_PROFILE,       /* a = 1 LP1, 2 LP2 */
  AMI__MK_BILLING_SCRIPT /* 0-0:10.0.1 */
} ami__meter_kind;

enum { /* instantaneous values */
       AMI__INST_U1,
       AMI__INST_U2,
       AMI__INST_U3,
       AMI__INST_I1,
       AMI__INST_I2,
       AMI__INST_I3,
       AMI__INST_P_IMPORT,
       AMI__INST_P_EXPORT,
       AMI__INST_PF,
       AMI__INST_FREQ,
       AMI__INST_COUNT
};

typedef struct ami__meter_bind {
  ami_meter *m;
  uint8_t kind, a, b;
} ami__meter_bind;

typedef struct ami__meter_exec {
  ami_cosem_time time;
  ami_cosem_date date;
} ami__meter_exec;

struct ami_meter {
  const ami_allocator *alloc;
  ami_meter_config cfg; /* borrowed pointers cleared */
  ami_cosem_model *model;
  ami__meter_bind binds[AMI__METER_MAX_BINDS];
  size_t nbinds;

  /* objects */
  ami_cosem_object *clock, *calendar, *special_obj, *schedule;
  ami_cosem_object *energy_obj[AMI_METER_QTY_COUNT][AMI_METER_RATES + 1];
  ami_cosem_object *demand_obj[2], *maxdem_obj[2][AMI_METER_RATES + 1];
  ami_cosem_object *ev_code[AMI__METER_LOGS], *ev_log[AMI__METER_LOGS];
  ami_cosem_object *lp1, *lp2, *bill_month, *bill_day;

  /* time */
  int64_t offset_ms;    /* device = UTC + offset */
  uint64_t last_dev;    /* device time processed up to */
  uint64_t capture_dev; /* the time a capture reads as "now" */
  bool capturing;
  int16_t tz_min; /* ISO offset of standard time */
  int8_t dst_dev_min;
  bool dst_enabled;
  ami_cosem_datetime dst_begin, dst_end;
  bool clock_dirty; /* clock attributes written: parse again */
  bool dst_last;    /* DST state at last_dev */

  /* energy */
  int64_t base[AMI_METER_QTY_COUNT]; /* readout accumulators at last step */
  bool have_base;
  int64_t acc[AMI_METER_QTY_COUNT][AMI_METER_RATES + 1];
  unsigned rate;

  /* tariff */
  ami_meter_calendar active;
  ami_meter_special_day special[AMI_METER_MAX_SPECIAL];
  size_t nspecial;
  bool special_dirty;
  ami__meter_exec exec[AMI__METER_MAX_EXEC];
  size_t nexec;
  bool sched_dirty;

  /* demand (index 0 import, 1 export) */
  uint32_t dem_period_s;
  uint16_t dem_n;
  int64_t dem_sub[2][AMI__METER_MAX_WINDOW]; /* completed subperiods */
  uint16_t dem_head, dem_count;
  int64_t dem_cur[2];       /* energy of the running subperiod, mWh */
  int64_t dem_last[2];      /* last_average_value, W */
  uint64_t dem_capture_dev; /* end of the last subperiod */
  uint64_t dem_start_dev;   /* start of the running subperiod */
  int64_t maxd[2][AMI_METER_RATES + 1];
  uint64_t maxd_time[2][AMI_METER_RATES + 1]; /* 0 = never */

  /* instantaneous / state */
  ami_metro_readout last_r;
  bool have_r;
  bool voltage_present;
  uint8_t status; /* accumulated profile status bits */
};

/* ---- ami_meter_tou.c ------------------------------------------------------
 */

/* Parse the Clock's time zone and DST attributes from the model. */
void ami__meter_clock_sync(ami_meter *m);
/* DST active at device time dev_ms (UTC ms)? */
bool ami__meter_dst_active(const ami_meter *m, uint64_t dev_ms);
/* Local seconds since 1970 (a "local epoch") at device time dev_ms. */
int64_t ami__meter_local_s(const ami_meter *m, uint64_t dev_ms);
/* Write a device time as a COSEM date-time octet-string in local time with
 * the Blue Book deviation and the DST status bit. */
void ami__meter_put_datetime(const ami_meter *m, ami_wr *w, uint64_t dev_ms);
/* The rate (1..4) the active calendar and special days give at local
 * seconds loc. */
unsigned ami__meter_rate_at(const ami_meter *m, int64_t loc);
/* Encode a calendar as the Activity Calendar attributes 2/6 (name),
 * 3/7 (seasons), 4/8 (weeks), 5/9 (days). `which` 0..3. */
void ami__meter_put_calendar(ami_wr *w, const ami_meter_calendar *c,
                             unsigned which);
/* Decode attributes 6..9 (passive) of the calendar object. */
int ami__meter_get_passive(const ami_meter *m, ami_meter_calendar *out);
/* Special days: encode the table, decode it from the model. */
void ami__meter_put_special(ami_wr *w, const ami_meter_special_day *s,
                            size_t n);
void ami__meter_special_sync(ami_meter *m);
/* Single Action Schedule: decode, and does local time loc match? */
void ami__meter_schedule_sync(ami_meter *m);
bool ami__meter_schedule_due(const ami_meter *m, int64_t loc);
/* Is the passive calendar's activation time reached at device time dev? */
bool ami__meter_activation_due(const ami_meter *m, uint64_t dev_ms);
/* A date-time with wildcards for a given year (DST rule resolution):
 * local seconds of the instant it names in `year`. */
int64_t ami__meter_resolve_local(const ami_cosem_datetime *dt, int32_t year);
/* Check a calendar's shape (rates 1..4, referenced ids exist). */
int ami__meter_calendar_check(const ami_meter_calendar *c);

/* ---- ami_meter_model.c ----------------------------------------------------
 */

int ami__meter_build_model(ami_meter *m);
int ami__meter_store(ami_cosem_object *o, unsigned attr, const uint8_t *p,
                     size_t n);

/* ---- ami_meter.c ----------------------------------------------------------
 */

int ami__meter_capture(ami_meter *m, ami_cosem_object *prof, uint64_t dev_ms);
int ami__meter_adjust_clock(ami_meter *m, int64_t new_dev_ms);
int ami__meter_log_dev(ami_meter *m, uint16_t code, uint64_t dev_ms);
int ami__meter_activate(ami_meter *m, uint64_t dev_ms);
void ami__meter_demand_clear(ami_meter *m);
int64_t ami__meter_demand_current(const ami_meter *m, unsigned q);
void ami__meter_maxdem_reset(ami_meter *m, unsigned q, unsigned rate);
int ami__meter_demand_end(ami_meter *m, uint64_t dev_ms);
int ami__meter_end_billing(ami_meter *m, uint64_t dev_ms);

#endif /* AMI_METER_INTERNAL_H */
