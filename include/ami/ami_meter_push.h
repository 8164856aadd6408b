/*
 * ami_meter_push.h -- the meter's pushes: COSEM Push Setup objects
 * (class_id 40, version 0, IEC 62056-6-2 §4.4.8 / DLMS UA Blue Book "Push
 * setup"), alarms through the alarm register and alarm filter, and the
 * last-gasp push on power failure. Sans-I/O: this module decides WHAT to
 * push and WHEN; the application sends the body it produces, normally with
 * ami_server_push (a DATA-NOTIFICATION, IEC 62056-5-3) over the association
 * or link that send_destination_and_method names, and reports the outcome.
 *
 * PUSH SETUP attributes (all stored in the model, SET by the head-end):
 *   2 push_object_list             array of { class_id, logical_name,
 *                                  attribute_index, data_index }
 *   3 send_destination_and_method  { transport_service enum, destination
 *                                  octet-string, message enum }
 *   4 communication_window         array of { start, end } date-times;
 *                                  empty = always allowed
 *   5 randomisation_start_interval long-unsigned, seconds
 *   6 number_of_retries            unsigned
 *   7 repetition_delay             long-unsigned, seconds
 * method 1 push(integer 0): a push is requested (by a client, or by
 * ami_meter_push_trigger for the meter's own reasons).
 *
 * THE BODY of a push is one Data: a structure with one element per
 * push_object_list entry, in order, each read through the model as a GET
 * would answer it (ami_cosem_read: callbacks, hooks, storage) at the time
 * the push goes out. attribute_index 0 = the whole object: a structure of
 * all its attributes (Blue Book). data_index 0 = the whole attribute; n > 0
 * = its n-th element when the value is an array or structure. An object
 * the model lacks, or a value it cannot give, is null-data (the push still
 * goes out: a head-end can tell what is missing).
 *
 * SCHEDULE: a requested push goes out after a random delay drawn uniformly
 * from 0 .. randomisation_start_interval seconds (from the crypto plugin's
 * CSPRNG; none when the plugin is NULL), and only inside a communication
 * window (deferred to the next window start; windows given as fully
 * specified date-times with a deviation are honoured, windows with
 * wildcards count as always open -- a documented simplification). A push
 * the application reports as not delivered is repeated after
 * repetition_delay seconds, at most number_of_retries times. Timers are
 * pulled: ami_meter_push_expiry tells when to call ami_meter_push_next.
 * now_ms is milliseconds since 1970-01-01 UTC (the clock the model's Clock
 * objects use).
 *
 * ALARMS (IDIS / DSMR convention): the alarm register (class 1, e.g.
 * 0-0:97.98.0, a double-long-unsigned bit field) and its alarm filter
 * (class 1, e.g. 0-0:97.98.10, same width). An alarm bit raised with
 * ami_meter_push_alarm is latched into the register and pushed through the
 * alarm Push Setup only when the same filter bit is 1 ("enabled": a 1 in
 * the filter lets the alarm through, as the OSGP protocol adapter's alarm
 * notification tests read a filter of 0b1010 as "alarms 1 and 3
 * enabled"); a filtered alarm is neither latched nor pushed. The head-end
 * clears register bits by SET.
 *
 * LAST GASP: ami_meter_push_last_gasp produces at once (no randomisation,
 * no window, no retry: the supply is failing) the smallest useful push and
 * cancels everything else pending. Its body is the last-gasp Push Setup's
 * list when one is configured, else the alarm register value alone (one
 * double-long-unsigned: 5 bytes, a DATA-NOTIFICATION of 11 bytes), after
 * latching cfg.last_gasp_bits into it (not subject to the filter).
 *
 * MEMORY: one allocation at ami_meter_push_new, none afterwards.
 * THREADS: like the model, one thread at a time.
 */
#ifndef AMI_METER_PUSH_H
#define AMI_METER_PUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_alloc.h"
#include "ami/ami_buf.h"
#include "ami/ami_cosem.h"
#include "ami/ami_crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMI_METER_PUSH_MAX_SETUPS 8u
#define AMI_METER_PUSH_NEVER      UINT64_MAX

typedef struct ami_meter_push_cfg {
  /* borrowed; `random` draws the randomisation delay. NULL = no delay. */
  const ami_crypto *crypto;
  /* Alarm bits latched by ami_meter_push_last_gasp (e.g. the meter's
   * "power down" alarm bit); 0 = none. */
  uint32_t last_gasp_bits;
} ami_meter_push_cfg;

typedef struct ami_meter_push ami_meter_push;

/* Create (cfg copied; its pointer borrowed). `m` (borrowed) is the model
 * the setups live in and values are read from; it must outlive the
 * object. AMI_E_INVAL, AMI_E_NOMEM. *out receives an owned object. */
int ami_meter_push_new(const ami_allocator *alloc, ami_cosem_model *m,
                       const ami_meter_push_cfg *cfg, ami_meter_push **out);
/* Free (accepts NULL). Free it after the model, or never serve the model's
 * Push Setup objects again afterwards (their callbacks point here). */
void ami_meter_push_free(ami_meter_push *p);

/* Manage the Push Setup `ln` (found, or created as class 40): its push
 * method now schedules a push here. AMI_E_LIMIT past
 * AMI_METER_PUSH_MAX_SETUPS, errors of ami_cosem_add_object. *obj (may be
 * NULL) receives the object, owned by the model. */
int ami_meter_push_add_setup(ami_meter_push *p, ami_obis ln,
                             ami_cosem_object **obj);

/* Set a setup's push_object_list from `n` entries (a convenience for the
 * meter's configuration; a client may SET attribute 2 as well). Errors of
 * ami_cosem_set_attr. */
typedef struct ami_meter_push_item {
  uint16_t class_id;
  ami_obis ln;
  int8_t attr;
  uint16_t data_index;
} ami_meter_push_item;
int ami_meter_push_set_list(ami_cosem_object *setup,
                            const ami_meter_push_item *items, size_t n);

/* Alarms: the alarm register and filter (found, or created as class 1 with
 * value 0 as double-long-unsigned), and which managed setup pushes alarms.
 * `last_gasp` (may be NULL: use the alarm register alone) is the setup
 * whose list a last gasp sends. AMI_E_INVAL when a setup is not managed
 * here. *reg / *filter (may be NULL) receive the objects. */
int ami_meter_push_bind_alarms(ami_meter_push *p, ami_obis reg_ln,
                               ami_obis filter_ln, ami_cosem_object *alarm,
                               ami_cosem_object *last_gasp,
                               ami_cosem_object **reg,
                               ami_cosem_object **filter);

/* Request a push of a managed setup at now_ms (randomised, windowed).
 * A push already pending for it is kept (one push reports the latest
 * values anyway). AMI_E_INVAL when the setup is not managed here, or the
 * plugin's random error. */
int ami_meter_push_trigger(ami_meter_push *p, ami_cosem_object *setup,
                           uint64_t now_ms);

/* Raise alarm bits: the enabled ones (bits & filter) are latched into the
 * alarm register and, when there are any, an alarm push is triggered.
 * *pushed (may be NULL) tells whether one was. AMI_E_STATE when alarms
 * were not bound. */
int ami_meter_push_alarm(ami_meter_push *p, uint32_t bits, uint64_t now_ms,
                         bool *pushed);

/* The earliest time ami_meter_push_next has something to do
 * (AMI_METER_PUSH_NEVER when nothing is pending; a time <= now when due). */
uint64_t ami_meter_push_expiry(const ami_meter_push *p);

/* If a push is due at now_ms: write its body (one Data) to `out` and set
 * *setup to its Push Setup object; the push is then in flight until
 * ami_meter_push_done. AMI_E_AGAIN when nothing is due (*setup NULL).
 * AMI_E_BUFFER_FULL when `out` cannot hold the body (the push stays due:
 * retry with more room). Errors of the model's callbacks. */
int ami_meter_push_next(ami_meter_push *p, uint64_t now_ms, ami_wr *out,
                        ami_cosem_object **setup);

/* The outcome of the push ami_meter_push_next last returned for `setup`:
 * not delivered -> repeated after repetition_delay while retries remain.
 * AMI_E_INVAL when the setup is not managed or has nothing in flight. */
int ami_meter_push_done(ami_meter_push *p, ami_cosem_object *setup,
                        bool delivered, uint64_t now_ms);

/* Power is failing: write the last-gasp body to `out` now (see the file
 * comment) and cancel every pending push and retry. AMI_E_STATE when
 * neither alarms nor a last-gasp setup were bound; AMI_E_BUFFER_FULL. */
int ami_meter_push_last_gasp(ami_meter_push *p, uint64_t now_ms, ami_wr *out);

/* Build the body of any Push Setup object (no scheduling). */
int ami_meter_push_build(ami_cosem_model *m, ami_cosem_object *setup,
                         uint64_t now_ms, ami_wr *out);

/* Attribute 3 of a setup: transport service, destination (borrowed from
 * the model: valid until the attribute is set again), message type.
 * AMI_E_NOT_FOUND when never set; decoding errors. */
int ami_meter_push_destination(const ami_cosem_object *setup,
                               uint8_t *transport, ami_span *destination,
                               uint8_t *message);

#ifdef __cplusplus
}
#endif
#endif /* AMI_METER_PUSH_H */
