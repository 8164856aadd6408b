/*
 * meter_config.h -- the configuration file of the `ami meter` emulator
 * (JSON, read with jansson): identity, network, keys, clock, tariff
 * calendar, profiles, demand, billing, firmware signing key, pushes, the
 * simulation (start, speed, load model) and the supply-control functions.
 * docs/meter-config.md describes every key; examples/meter*.json are
 * complete files. Unknown keys are errors naming their JSON path, so a
 * typo never silently falls back to a default.
 */
#ifndef AMI_METER_CONFIG_H
#define AMI_METER_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "ami/ami_meter.h"

#define MCONF_MAX_PATH 256

typedef struct meter_conf {
  /* identity */
  char logical_device_name[17];
  char serial[33];
  char manufacturer[17];
  uint8_t system_title[8];
  /* network */
  char listen[80];
  bool hdlc;
  /* security of the three associations (16 public, 2 LLS, 1 HLS) */
  char lls_password[33];
  uint8_t ek[16], ak[16];
  /* meter application (ami_meter_new) */
  ami_meter_config meter;
  ami_meter_calendar calendar;
  bool have_calendar;
  ami_meter_special_day special[AMI_METER_MAX_SPECIAL];
  /* metrology and load */
  uint8_t phases;
  uint32_t nominal_mv;    /* nominal voltage, mV RMS */
  uint32_t imax_ma;       /* maximum current, mA RMS */
  uint32_t sample_rate;   /* Hz */
  uint32_t frequency_mhz; /* nominal frequency */
  char load_model[16];    /* "appliances", "london", "solar", "constant" */
  char load_dataset[MCONF_MAX_PATH];
  char load_household[32];
  uint32_t load_watts; /* "constant": the load in W */
  uint64_t seed;
  /* simulation */
  int64_t start_utc_ms; /* 0: the wall clock at start */
  double speed;         /* simulated seconds per real second */
  /* firmware */
  bool have_fw_key;
  uint8_t fw_pubkey[65];
  char fw_target[17];
  char fw_identifier[17];
  /* push */
  char push_destination[80]; /* "" none */
  /* supply control (applied by the emulator when the modules exist) */
  uint8_t disconnect_mode;     /* class 70 control_mode, default 2 */
  int64_t limiter_threshold_w; /* 0: no limiter */
  int64_t credit_cents;        /* < 0: no prepayment */
  int64_t price_micro_per_kwh;
  int64_t standing_micro_per_day;
  uint8_t token_key[16];
  bool have_token_key;
} meter_conf;

/* Defaults: the reference meter of the README (Green Book keys, password
 * 12345678, EU clock, one rate, 15-minute profile, 3 phases 230 V / 60 A
 * at 4 kHz, the appliance load model, real time). */
void meter_conf_defaults(meter_conf *c);

/* Read `path` over the defaults. 0, or -1 with a message naming the JSON
 * path of the problem in err. */
int meter_conf_load(meter_conf *c, const char *path, char *err, size_t cap);

#endif /* AMI_METER_CONFIG_H */
