/*
 * ami_meter_prepay.h -- prepayment for a meter: an Account (COSEM class
 * 111, 0-0:19.0.0.255) with two Credits (class 112: token credit
 * 0-0:19.10.0.255, emergency credit 0-0:19.10.1.255), two Charges (class
 * 113: consumption charge per kWh by tariff rate 0-0:19.20.0.255, standing
 * charge per period 0-0:19.20.1.255) and a Token gateway (class 115,
 * 0-0:19.40.0.255), as one pure state machine plus its COSEM binding
 * (IEC 62056-6-2 §4.6.x "Payment metering").
 *
 * MONEY is int64 minor currency units (cents) everywhere; nothing is
 * floating point. Charges keep the remainder of every division, so the
 * sum collected is exact to the minor unit however the energy arrives.
 *
 * CHARGES. A Charge's unit_charge is { charge_per_unit_scaling
 * { commodity_scale, price_scale }, commodity, charge_table }: the price
 * charge_per_unit x 10^price_scale minor units applies per 10^
 * commodity_scale Wh (commodity_scale 3 = per kWh) of energy in the
 * consumption charge, and per `period` seconds in the standing charge
 * (commodity_scale ignored). A charge_table entry's index is a one-byte
 * octet-string naming the tariff rate it applies to (1 = rate 1, as in
 * 1-0:1.8.1); an empty index applies to every rate without its own entry.
 * The standing charge is collected whole at the end of each period,
 * counted from the account's activation.
 *
 * CREDIT. available credit = token credit + the emergency credit left when
 * emergency credit is in use. Charges draw the token credit down to zero,
 * then the emergency credit in use, then the token credit goes negative
 * (debt accrued while the supply stays on, e.g. in friendly hours). A
 * top-up first repays emergency credit used (which becomes available
 * again, not in use), then adds to the token credit.
 *
 * EVENTS (ami_meter_events.h): 200 low credit (available credit falls to
 * or below low_credit_threshold; re-armed when it rises above), 201
 * credit exhausted (available credit reaches 0), 202 token accepted, 203
 * token rejected (bad format, bad MAC, replayed or too old), 204
 * emergency credit taken into use.
 *
 * SUPPLY. Exhausted credit asks for a local disconnection -- but not in a
 * friendly period (configurable hours of the day, whole weekdays, and
 * holidays, in the meter's local time): there the disconnection waits
 * until the friendly period ends. Credit above
 * next_credit_available_threshold again (a top-up) asks for a local
 * reconnection.
 *
 * TOKENS. A credit token is 26 bytes (AMI_METER_TOKEN_LEN):
 *   0      type 0x01 (credit)
 *   1..4   sequence number, big-endian, >= 1
 *   5..8   amount, minor currency units, big-endian
 *   9      0 (reserved)
 *   10..25 16-byte AES-GMAC tag (GCM with no plaintext) under the meter's
 *          token key, IV = "OATK" 00 00 00 00 || sequence number, additional
 *          data = the meter's 8-byte identifier (its system title) ||
 *          bytes 0..9.
 * A token binds to one meter (its identifier is authenticated) and one
 * sequence number; the meter accepts a sequence number greater than any
 * seen, or one of the 32 below the highest not yet used, once. The vendor
 * never issues one sequence number twice under a key (GMAC IV rule).
 */
#ifndef AMI_METER_PREPAY_H
#define AMI_METER_PREPAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_cosem.h"
#include "ami/ami_crypto.h"
#include "ami/ami_meter_disconnect.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMI_METER_TOKEN_LEN        26
#define AMI_METER_CHARGE_MAX_RATES 8
#define AMI_METER_MAX_HOLIDAYS     16

/* Local civil time, as the meter's clock shows it. */
typedef struct ami_meter_local_time {
  uint16_t year;
  uint8_t month, day;   /* 1..12, 1..31 */
  uint8_t hour, minute; /* 0..23, 0..59 */
  uint8_t day_of_week;  /* 1 = Monday .. 7 = Sunday (COSEM numbering) */
} ami_meter_local_time;

/* Friendly periods, when a credit-exhausted disconnection waits. */
typedef struct ami_meter_friendly {
  uint16_t start_min; /* minute of day the daily period starts, 0..1439 */
  uint16_t end_min;   /* minute it ends (exclusive); < start wraps midnight;
                         == start: no daily period */
  uint8_t weekdays;   /* bit (day_of_week - 1): the whole day is friendly */
  struct {
    uint16_t year; /* 0xFFFF: every year */
    uint8_t month, day;
  } holidays[AMI_METER_MAX_HOLIDAYS];
  uint8_t nholidays;
} ami_meter_friendly;

/* Is `t` in a friendly period? */
bool ami_meter_friendly_at(const ami_meter_friendly *f,
                           const ami_meter_local_time *t);

/* One Charge (class 113). */
typedef struct ami_meter_charge {
  uint8_t charge_type;    /* 0 consumption based, 1 time based */
  int8_t commodity_scale; /* -3..6 */
  int8_t price_scale;     /* -6..6 */
  struct {
    uint8_t rate; /* 0 = any rate (empty index) */
    int16_t per_unit;
  } table[AMI_METER_CHARGE_MAX_RATES];
  uint8_t ntable;
  uint32_t period_s;   /* time based: collection period */
  int64_t residue;     /* numerator not yet a whole minor unit */
  int64_t total_paid;  /* total_amount_paid */
  int64_t last_amount; /* last_collection_amount */
  uint64_t last_collection_ms;
} ami_meter_charge;

/* Account status (account_mode_and_status, second field). */
enum {
  AMI_METER_ACCOUNT_NEW = 1,
  AMI_METER_ACCOUNT_ACTIVE = 2,
  AMI_METER_ACCOUNT_CLOSED = 3
};

/* Token status codes (Token gateway token_status). */
enum {
  AMI_METER_TOKEN_OK = 3,             /* token execution OK */
  AMI_METER_TOKEN_FORMAT_FAIL = 4,    /* token format failure */
  AMI_METER_TOKEN_AUTH_FAIL = 5,      /* authentication failure */
  AMI_METER_TOKEN_VALIDATION_FAIL = 6 /* validation (replay, too old) */
};

/* Bits returned by ami_meter_prepay_step. */
enum {
  AMI_METER_PREPAY_ACT_DISCONNECT = 1u, /* local disconnect now (g) */
  AMI_METER_PREPAY_ACT_RECONNECT = 2u   /* local reconnect now (h) */
};

typedef struct ami_meter_prepay {
  /* ---- account configuration */
  uint8_t payment_mode;   /* 1 credit mode, 2 prepayment mode */
  uint8_t account_status; /* AMI_METER_ACCOUNT_* */
  int64_t low_credit_threshold;
  int64_t next_credit_available_threshold; /* reconnect above this */
  char currency[4];                        /* e.g. "EUR" */
  int8_t currency_scale;                   /* -2: amounts in cents */
  ami_meter_friendly friendly;
  /* ---- credits */
  int64_t token_credit;
  int64_t emergency_preset;    /* emergency credit amount when full */
  int64_t emergency_left;      /* of it, not yet used */
  int64_t emergency_threshold; /* offered when token credit <= this */
  bool emergency_in_use;
  bool emergency_auto; /* take it into use without the customer */
  ami_meter_charge energy, standing;
  /* ---- tokens */
  const ami_crypto *crypto;  /* borrowed */
  ami_crypto_key *token_key; /* borrowed handle of crypto */
  uint8_t meter_id[8];
  uint32_t token_max_seq; /* highest accepted, 0 = none */
  uint32_t token_window;  /* bit i: token_max_seq - 1 - i was accepted */
  uint8_t last_token[AMI_METER_TOKEN_LEN];
  uint8_t last_token_len;
  uint8_t last_token_status;
  uint64_t last_token_ms;
  /* ---- state (read only) */
  bool low_warned;
  bool exhausted;    /* available credit <= 0 was reported */
  bool disconnected; /* this module asked for disconnection */
  bool deferred;     /* exhausted, waiting for the friendly period to end */
  uint8_t pending;   /* actions found between ticks, for the next step */
  ami_meter_ctl_event_fn on_event; /* may be NULL */
  void *user;
  ami_cosem_object *objs[6]; /* bound objects, or NULL */
} ami_meter_prepay;

/* Defaults: prepayment mode, account NEW (activate it), EUR scale -2,
 * thresholds 0, no emergency credit, no charges, no friendly periods,
 * no token key. */
void ami_meter_prepay_init(ami_meter_prepay *p, ami_meter_ctl_event_fn fn,
                           void *user);
/* Account methods (class 111): activate starts charging (standing charge
 * periods count from now), close stops it, reset clears credits, charges'
 * totals and token history. */
void ami_meter_prepay_activate(ami_meter_prepay *p, uint64_t now_ms);
void ami_meter_prepay_close(ami_meter_prepay *p, uint64_t now_ms);
void ami_meter_prepay_reset(ami_meter_prepay *p);

/* Set the token key (a handle made by `crypto`, both borrowed) and the
 * meter identifier that tokens are bound to. */
void ami_meter_prepay_set_token_key(ami_meter_prepay *p, const ami_crypto *c,
                                    ami_crypto_key *key,
                                    const uint8_t meter_id[8]);

/* Available credit, minor units. */
int64_t ami_meter_prepay_available(const ami_meter_prepay *p);

/* Add credit (a verified top-up, or Credit update_amount): repays
 * emergency credit used first. Checks low/exhausted state at now_ms. */
void ami_meter_prepay_add_credit(ami_meter_prepay *p, int64_t amount,
                                 uint64_t now_ms);
/* Take the emergency credit into use (customer's button, or Credit
 * invoke_credit): AMI_E_STATE when it is not offered (token credit above
 * emergency_threshold, already in use, none left). Event 204. */
int ami_meter_prepay_invoke_emergency(ami_meter_prepay *p, uint64_t now_ms);

/* Enter a token (borrowed bytes). AMI_OK: credit added (*amount receives
 * it, may be NULL), event 202. Otherwise event 203 and AMI_E_BAD_LENGTH /
 * AMI_E_BAD_VALUE (format), AMI_E_AUTH_FAILED (MAC), AMI_E_REPLAY (used or
 * too old), AMI_E_NO_KEY (no key set), or the plugin's error. */
int ami_meter_prepay_enter_token(ami_meter_prepay *p, const uint8_t *token,
                                 size_t len, uint64_t now_ms, int64_t *amount);

/* Make a token (the vending side; tests; a head-end). */
int ami_meter_prepay_token_make(const ami_crypto *c, ami_crypto_key *key,
                                const uint8_t meter_id[8], uint32_t seq,
                                uint32_t amount,
                                uint8_t out[AMI_METER_TOKEN_LEN]);

/* What the meter feeds in once per tick. */
typedef struct ami_meter_prepay_inputs {
  int64_t energy_mwh;  /* active import energy since the previous step
                          (ami_metro_readout total.active_import_mwh
                          difference), >= 0 */
  uint8_t tariff_rate; /* the rate in force (1..), from the meter's TOU */
  ami_meter_local_time local; /* the meter's local time now */
} ami_meter_prepay_inputs;

/* One tick: collect the charges, update low/exhausted state and return
 * AMI_METER_PREPAY_ACT_* bits for the disconnector. */
unsigned ami_meter_prepay_step(ami_meter_prepay *p, uint64_t now_ms,
                               const ami_meter_prepay_inputs *in);

/* The prepayment "supply connected" output: false while this module
 * wants the supply off. */
static inline bool ami_meter_prepay_supply_ok(const ami_meter_prepay *p) {
  return !p->disconnected;
}

/* Logical names the binding uses (e.g. 0-0:19.0.0.255). */
typedef struct ami_meter_prepay_names {
  ami_obis account, token_credit, emergency_credit, energy_charge,
      standing_charge, token_gateway;
} ami_meter_prepay_names;
/* The names listed at the top of this header. */
ami_meter_prepay_names ami_meter_prepay_default_names(void);

/* BINDING. Add the six objects to `m` (names NULL = the defaults) and
 * attach `p`: GETs answer from `p`; SETs of the writable attributes the
 * state machine uses (thresholds, credit presets, unit charges passive,
 * charge periods) write into it; methods: Account activate / close /
 * reset; Credit update_amount (adds credit -- a remote top-up) /
 * set_amount_to_value / invoke_credit (emergency); Charge
 * update_unit_charge (passive) / activate_passive_unit_charge; Token
 * gateway enter (a token: refused ones answer other-reason 250 and show
 * in token_status). `p` is borrowed and must outlive the model. objs
 * (may be NULL) receives the six objects in the order of
 * ami_meter_prepay_names. */
int ami_meter_prepay_bind(ami_meter_prepay *p, ami_cosem_model *m,
                          const ami_meter_prepay_names *names,
                          ami_cosem_object *objs[6]);

#ifdef __cplusplus
}
#endif
#endif /* AMI_METER_PREPAY_H */
