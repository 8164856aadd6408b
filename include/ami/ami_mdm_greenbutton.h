/*
 * ami_mdm_greenbutton.h -- Green Button "Download My Data": one channel's
 * interval data as a NAESB REQ.21 ESPI Atom feed (RFC 4287 feed; the
 * resources in the espi namespace http://naesb.org/espi).
 *
 * The feed holds one entry each for UsagePoint, LocalTimeParameters,
 * MeterReading and ReadingType, then one IntervalBlock entry per block
 * (one local day by default, cut at local midnight), each with its
 * IntervalReadings (value, timePeriod start/duration, ReadingQuality). Every
 * <content> child validates against the ESPI usage schema (espi-usage.xsd).
 *
 * Conventions of the export:
 *  - values are written exactly: milli-units with powerOfTenMultiplier -3
 *    (value 1500 with uom Wh and multiplier -3 is 1.5 Wh);
 *  - timePeriod.start is the interval START in UTC seconds (ESPI), while
 *    our arrays name intervals by their END (ami_mdm.h): value i covers
 *    [start + i*interval_s, start + (i+1)*interval_s);
 *  - quality: ACTUAL -> 0 valid, ESTIMATED and SUBSTITUTED -> 8 estimated,
 *    EDITED -> 7 manually edited, VALIDATION_FAILED -> 10 questionable;
 *    MISSING values are left out (ESPI has no null reading);
 *  - ids are urn:uuid values derived deterministically from the customer,
 *    usage point and channel ids (RFC 9562 version 8 layout), so the same
 *    export twice is byte-identical;
 *  - text (titles) is escaped for XML; it must be valid UTF-8 without
 *    control characters (AMI_E_BAD_VALUE otherwise).
 */
#ifndef AMI_MDM_GREENBUTTON_H
#define AMI_MDM_GREENBUTTON_H

#include <stddef.h>
#include <stdint.h>

#include "ami/ami_buf.h"
#include "ami/ami_mdm.h"
#include "ami/ami_mdm_tz.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ESPI ServiceKind of the usage point. */
typedef enum ami_mdm_gb_service {
  AMI_MDM_GB_ELECTRICITY = 0,
  AMI_MDM_GB_GAS = 1,
  AMI_MDM_GB_WATER = 2
} ami_mdm_gb_service;

typedef struct ami_mdm_gb_export {
  uint64_t customer_id;          /* RetailCustomer id in the links */
  const char *feed_title;        /* borrowed, NUL-terminated, or NULL */
  const char *usage_point_title; /* borrowed, or NULL */
  const char *reading_title;     /* borrowed, or NULL */
  int64_t updated;               /* UTC time for published/updated */
  uint8_t service;               /* ami_mdm_gb_service */
  uint16_t currency;             /* ISO 4217 numeric (840, 978); 0 = none */
  const ami_mdm_channel_info *channel; /* borrowed: ids, unit, direction,
                                          kind, interval_s */
  const ami_mdm_tz *tz;                /* borrowed: LocalTimeParameters */
  int64_t start;                       /* UTC start of value 0 */
  size_t n;
  const ami_mdm_interval *values; /* borrowed, n values */
  uint32_t block_s; /* IntervalBlock length in s; 0 = one per local day */
} ami_mdm_gb_export;

/* Append the feed (an XML document) to *out. Borrows x; out grows within
 * its own maximum. On error *out holds a partial document (reset it).
 * AMI_E_INVAL (bad arguments: interval not dividing the block, start off
 * the grid), AMI_E_BAD_VALUE (text not UTF-8 or with control characters),
 * AMI_E_RANGE (a value outside ESPI's Int48), AMI_E_LIMIT (out's maximum),
 * AMI_E_NOMEM. */
int ami_mdm_greenbutton_write(ami_dynbuf *out, const ami_mdm_gb_export *x);

/* ESPI DstRuleType (a 32-bit word: month, operator, day, hour, seconds) of
 * the start and end of DST under tz; both 0xFFFFFFFF without DST (FIXED)
 * or with a CUSTOM zone (a callback has no ESPI form). */
void ami_mdm_greenbutton_dst_rules(const ami_mdm_tz *tz, uint32_t *start,
                                   uint32_t *end);

#ifdef __cplusplus
}
#endif
#endif /* AMI_MDM_GREENBUTTON_H */
