/*
 * ami_meter_events.h -- event codes a meter writes to its event logs
 * (Profile Generic objects 0-0:99.98.x, each row: clock, event code).
 *
 * The numbers follow the IDIS companion specification's event lists (the
 * de-facto numbering read by head-ends in Europe): standard event log
 * 0-0:99.98.0, fraud detection log 0-0:99.98.1, disconnector control log
 * 0-0:99.98.2, power quality log 0-0:99.98.4. Codes 200 and up are
 * OpenAMI's own (IDIS leaves 231..255 to manufacturers; we use 200..209 for
 * prepayment, which IDIS does not cover, and 210..229 for other OpenAMI
 * events). Both lib/meter and lib/mdm use these codes, so an MDM reading a
 * log needs no translation table.
 *
 * VERIFIED (against an independent head-end's table of the IDIS/DSMR
 * numbers, OSGP's smart-metering EventType enum): 1..6, 9, 17..20, 40..47.
 * Corrected there: 20 is "successful self-check after firmware update" (not
 * a verify failure) and 47 is "configuration change" (not a decryption
 * failure): AMI_EV_FIRMWARE_VERIFY_FAILED and AMI_EV_DECRYPT_FAILURE moved
 * to OpenAMI codes 210 and 211, and the IDIS meanings were added. 3 is
 * "daylight saving time enabled or disabled" in IDIS ("clock update" in
 * DSMR); lib/meter logs it at each DST transition. NOT verified: the
 * disconnector (60..69) and power quality (76..) numbers -- DSMR numbers
 * its power quality events differently (77..79 under-voltage L1..L3,
 * 80..82 over-voltage, 86..88 phase outage), so treat these as provisional.
 */
#ifndef AMI_METER_EVENTS_H
#define AMI_METER_EVENTS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ami_meter_event {
  /* standard event log, 0-0:99.98.0 */
  AMI_EV_POWER_DOWN = 1,
  AMI_EV_POWER_UP = 2,
  AMI_EV_DST_CHANGED = 3,
  AMI_EV_CLOCK_ADJUSTED_OLD = 4,
  AMI_EV_CLOCK_ADJUSTED_NEW = 5,
  AMI_EV_CLOCK_INVALID = 6,
  AMI_EV_TOU_ACTIVATED = 9,
  AMI_EV_FIRMWARE_READY = 17,
  AMI_EV_FIRMWARE_ACTIVATED = 18,
  AMI_EV_PASSIVE_TOU_PROGRAMMED = 19,
  AMI_EV_FIRMWARE_SELFCHECK_OK = 20, /* self-check after update passed */
  /* fraud detection log, 0-0:99.98.1 */
  AMI_EV_TERMINAL_COVER_OPENED = 40,
  AMI_EV_TERMINAL_COVER_CLOSED = 41,
  AMI_EV_MAGNETIC_FIELD = 42,
  AMI_EV_MAGNETIC_FIELD_GONE = 43,
  AMI_EV_METER_COVER_OPENED = 44,
  AMI_EV_METER_COVER_CLOSED = 45,
  AMI_EV_AUTH_FAILURE = 46,
  AMI_EV_CONFIGURATION_CHANGED = 47,
  /* disconnector control log, 0-0:99.98.2 */
  AMI_EV_MANUAL_DISCONNECT = 60,
  AMI_EV_MANUAL_CONNECT = 61,
  AMI_EV_REMOTE_DISCONNECT = 62,
  AMI_EV_REMOTE_CONNECT = 63,
  AMI_EV_LOCAL_DISCONNECT = 64,
  AMI_EV_LIMITER_EXCEEDED = 65,
  AMI_EV_LIMITER_OK = 66,
  AMI_EV_LIMITER_CHANGED = 67,
  AMI_EV_DISCONNECT_FAILURE = 68,
  AMI_EV_LOCAL_CONNECT = 69,
  /* power quality log, 0-0:99.98.4 (per phase: +0 L1, +1 L2, +2 L3) */
  AMI_EV_SAG_L1 = 76,
  AMI_EV_SWELL_L1 = 79,
  AMI_EV_INTERRUPTION_L1 = 82,
  /* OpenAMI prepayment events (not in IDIS) */
  AMI_EV_CREDIT_LOW = 200,
  AMI_EV_CREDIT_EXHAUSTED = 201,
  AMI_EV_CREDIT_TOKEN_ACCEPTED = 202,
  AMI_EV_CREDIT_TOKEN_REJECTED = 203,
  AMI_EV_EMERGENCY_CREDIT_USED = 204,
  /* other OpenAMI events (not in IDIS) */
  AMI_EV_FIRMWARE_VERIFY_FAILED = 210, /* was 20, which IDIS gives to the
                                          successful self-check */
  AMI_EV_DECRYPT_FAILURE = 211         /* was 47 (IDIS: configuration
                                          change) */
} ami_meter_event;

#ifdef __cplusplus
}
#endif
#endif /* AMI_METER_EVENTS_H */
