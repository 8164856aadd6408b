/*
 * ami_mdm.h -- the common vocabulary of meter data management (lib/mdm):
 * meters, channels, interval values with quality, register reads, events.
 * The store (ami_mdm_store.h), VEE (ami_mdm_vee.h), billing and analytics
 * all speak these types; none of them does I/O.
 *
 * VALUES are int64 in milli-units of the channel's unit (Wh -> value 1000 is
 * 1 Wh) so that sums are exact and never drift. TIME is int64 seconds since
 * the Unix epoch, UTC; an interval is named by its END (the convention of
 * NEM12, ESPI and DLMS load profiles: the 00:15 value covers 00:00-00:15).
 */
#ifndef AMI_MDM_H
#define AMI_MDM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ami_mdm_reading_kind {
  AMI_MDM_DELTA = 0,     /* energy per interval */
  AMI_MDM_CUMULATIVE = 1 /* register snapshot at interval end */
} ami_mdm_reading_kind;

typedef enum ami_mdm_direction {
  AMI_MDM_IMPORT = 0, /* delivered to the customer (+A) */
  AMI_MDM_EXPORT = 1, /* received from the customer (-A) */
  AMI_MDM_NET = 2     /* import minus export, may be negative */
} ami_mdm_direction;

typedef enum ami_mdm_unit {
  AMI_MDM_UNIT_WH = 0,
  AMI_MDM_UNIT_VARH = 1,
  AMI_MDM_UNIT_VAH = 2,
  AMI_MDM_UNIT_W = 3,
  AMI_MDM_UNIT_V = 4,
  AMI_MDM_UNIT_A = 5,
  AMI_MDM_UNIT_M3 = 6 /* gas and water volume (milli = litres) */
} ami_mdm_unit;

/* Quality of one value. The raw version of a value is always ACTUAL or
 * MISSING; ESTIMATED and EDITED values live in later versions beside it. */
typedef enum ami_mdm_quality {
  AMI_MDM_Q_ACTUAL = 0,      /* as read from the meter (NEM12 'A') */
  AMI_MDM_Q_ESTIMATED = 1,   /* computed by VEE estimation (NEM12 'E') */
  AMI_MDM_Q_SUBSTITUTED = 2, /* final substitute (NEM12 'S') */
  AMI_MDM_Q_EDITED = 3,  /* changed by a person, with who and why ('F'/'S') */
  AMI_MDM_Q_MISSING = 4, /* no value ('N' null) */
  AMI_MDM_Q_VALIDATION_FAILED = 5 /* read, but failed a VEE rule ('V') */
} ami_mdm_quality;

/* Per-value flags (bit set), beside the quality. */
enum {
  AMI_MDM_F_CLOCK_ADJUSTED = 1u << 0, /* meter clock adjusted in interval */
  AMI_MDM_F_POWER_OUTAGE = 1u << 1,   /* power failed during the interval */
  AMI_MDM_F_DUPLICATE = 1u << 2,      /* received more than once, differing */
  AMI_MDM_F_TIME_TOLERANCE = 1u << 3, /* timestamp off the interval grid */
  AMI_MDM_F_LATE = 1u << 4,           /* arrived after the window closed */
  AMI_MDM_F_TAMPER = 1u << 5,         /* tamper event in the interval */
  AMI_MDM_F_DISCONNECTED = 1u << 6    /* supply disconnected (VEE, appended) */
};

/* The type of a local day, for tariffs (which schedule applies) and for
 * estimation (which days are alike). */
typedef enum ami_mdm_day_type {
  AMI_MDM_DAY_WEEKDAY = 0, /* Monday..Friday that is not a holiday */
  AMI_MDM_DAY_WEEKEND = 1, /* Saturday, Sunday */
  AMI_MDM_DAY_HOLIDAY = 2, /* a date in the holiday list (wins) */
  AMI_MDM_DAY_TYPES = 3
} ami_mdm_day_type;

typedef struct ami_mdm_interval {
  int64_t value;   /* milli-units; meaningless when quality is MISSING */
  uint8_t quality; /* ami_mdm_quality */
  uint8_t method;  /* estimation/substitution method (ami_mdm_vee.h) */
  uint16_t flags;  /* AMI_MDM_F_* */
} ami_mdm_interval;

typedef struct ami_mdm_channel_info {
  uint64_t channel_id;
  uint64_t meter_id;
  ami_mdm_reading_kind kind;
  ami_mdm_direction direction;
  ami_mdm_unit unit;
  uint32_t interval_s;      /* 60 .. 86400; divides 86400 */
  int32_t multiplier_milli; /* CT/VT multiplier x1000 (1000 = none) */
  bool net_metered;
} ami_mdm_channel_info;

typedef struct ami_mdm_register_read {
  uint64_t channel_id;
  int64_t t;     /* UTC seconds */
  int64_t value; /* milli-units, cumulative register */
  uint8_t quality;
} ami_mdm_register_read;

typedef struct ami_mdm_event {
  uint64_t meter_id;
  int64_t t;     /* UTC seconds */
  uint16_t code; /* ami_meter_events.h codes (DLMS event log) */
} ami_mdm_event;

/* One timestamped value as received, before it is placed on the interval
 * grid (import parsers produce these; ami_mdm_vee_align consumes them).
 * `t` is the interval END in UTC seconds. (Appended by VEE.) */
typedef struct ami_mdm_reading {
  int64_t t;
  ami_mdm_interval v;
} ami_mdm_reading;

/* A meter (the device; its channels reference it by meter_id). */
typedef struct ami_mdm_meter_info {
  uint64_t meter_id;
  char serial[48];     /* NUL-terminated serial number / system title */
  int64_t installed_t; /* UTC seconds; 0 = unknown */
} ami_mdm_meter_info;

/* One interval value as delivered by the head-end, before any VEE: what the
 * store ingests (ami_mdm_store.h). `t` is the interval END (UTC seconds, on the
 * channel's grid); quality is AMI_MDM_Q_ACTUAL or AMI_MDM_Q_MISSING (raw data
 * is never estimated); flags carry the meter's status (AMI_MDM_F_*). */
typedef struct ami_mdm_raw_reading {
  uint64_t channel_id;
  int64_t t;
  int64_t value; /* milli-units */
  uint8_t quality;
  uint16_t flags;
} ami_mdm_raw_reading;

#ifdef __cplusplus
}
#endif
#endif /* AMI_MDM_H */
