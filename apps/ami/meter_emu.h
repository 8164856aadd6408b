/*
 * meter_emu.h -- the simulated smart meter behind `ami meter`: a household
 * load model (lib/sim) drives voltage and current WAVEFORMS (ami_sim_wave,
 * 4 kHz by default) into the metrology engine (lib/metrology); its readout
 * drives the meter application (lib/meter: registers per tariff, TOU,
 * demand, profiles, event logs), the supply-control functions (disconnect,
 * limiter, prepayment), firmware update and pushes. Time is simulated:
 * emu_run_until advances it in whole simulated seconds, each one a second
 * of samples through the metrology (no shortcut from the load model to the
 * registers: the registers are what the metrology measured).
 *
 * No I/O here: the caller (cmd_meter.c) owns sockets and the real clock,
 * and sends the pushes this module hands to on_push.
 */
#ifndef AMI_METER_EMU_H
#define AMI_METER_EMU_H

#include <stdbool.h>
#include <stdint.h>

#include "ami/ami_buf.h"
#include "ami/ami_cosem.h"
#include "ami/ami_meter.h"
#include "ami/ami_metro_readout.h"
#include "meter_config.h"

typedef struct emu emu;

/* A push to send now (body: one encoded Data, valid during the call); the
 * caller reports delivery later with emu_push_done. last_gasp: send at
 * once, the meter is losing its supply. */
typedef void (*emu_push_fn)(void *user, ami_span body, bool last_gasp);

/* Create from a loaded configuration (borrowed, must outlive the emulator)
 * at simulated UTC time start_ms. The dataset, when the load model replays
 * one, is given as raw CSV bytes (borrowed for the call; the caller
 * decompressed it). 0, or -1 with a message in err. */
int emu_new(emu **out, const meter_conf *c, uint64_t start_ms,
            const uint8_t *dataset, size_t dataset_len, emu_push_fn on_push,
            void *user, char *err, size_t cap);
void emu_free(emu *e);

/* The COSEM model to serve (valid until emu_free). */
ami_cosem_model *emu_model(emu *e);

/* Simulated UTC now (ms). */
uint64_t emu_now(const emu *e);

/* Advance simulated time to `sim_ms` in whole seconds, at most
 * `max_seconds` of them (so an event loop stays responsive); returns the
 * seconds simulated. */
uint64_t emu_run_until(emu *e, uint64_t sim_ms, uint64_t max_seconds);

/* The supply voltage fails (on = false: voltage 0, last-gasp push) or
 * returns. */
void emu_set_power(emu *e, bool on);

/* Tamper inputs (the meter's switches). */
void emu_tamper(emu *e, ami_meter_tamper_kind kind);

/* What happened to the last push handed out. */
void emu_push_done(emu *e, bool delivered);

/* Stage marks inside one simulated second, for profiling (ami_bench): the
 * hook is called at the start of the second and after each stage, so the
 * caller can read its own clock; the emulator itself reads no clock. */
typedef enum emu_stage {
  EMU_STAGE_BEGIN, /* a simulated second starts */
  EMU_STAGE_LOAD,  /* the load model has been queried */
  EMU_STAGE_SYNTH, /* the second of waveforms is synthesized */
  EMU_STAGE_METRO, /* the metrology has measured it (readout taken) */
  EMU_STAGE_METER  /* meter application, supply control, pushes done */
} emu_stage;
typedef void (*emu_stage_fn)(void *user, emu_stage stage);

/* Install (or with fn NULL remove) the stage hook; user is borrowed. */
void emu_set_stage_hook(emu *e, emu_stage_fn fn, void *user);

/* The last readout (display) and the relay state. */
const ami_metro_readout *emu_readout(const emu *e);
bool emu_supply_on(const emu *e);
const char *emu_firmware_id(const emu *e);

#endif /* AMI_METER_EMU_H */
