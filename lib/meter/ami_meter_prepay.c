/*
 * ami_meter_prepay.c -- the prepayment state machine (Account, Credits,
 * Charges, Token gateway; IEC 62056-6-2 payment metering classes 111,
 * 112, 113, 115): exact charge collection in minor currency units,
 * credit, emergency credit, low-credit and exhaustion with friendly-period
 * deferral, and authenticated top-up tokens. The COSEM binding is in
 * ami_meter_prepay_bind.c. Semantics: ami_meter_prepay.h.
 */
#include "ami/ami_meter_prepay.h"

#include <string.h>

#include "ami/ami_meter_events.h"
#include "meter_ctl_internal.h"

#define ADD ami__meter_sat_add
#define SUB ami__meter_sat_sub
#define MUL ami__meter_sat_mul

static void report(const ami_meter_prepay *p, uint16_t code, uint64_t now) {
  if (p->on_event)
    p->on_event(p->user, code, now);
}

void ami_meter_prepay_init(ami_meter_prepay *p, ami_meter_ctl_event_fn fn,
                           void *user) {
  memset(p, 0, sizeof *p);
  p->payment_mode = 2;
  p->account_status = AMI_METER_ACCOUNT_NEW;
  memcpy(p->currency, "EUR", 4);
  p->currency_scale = -2;
  p->energy.charge_type = 0;
  p->energy.commodity_scale = 3;
  p->standing.charge_type = 1;
  p->standing.period_s = 86400;
  p->on_event = fn;
  p->user = user;
}

void ami_meter_prepay_activate(ami_meter_prepay *p, uint64_t now_ms) {
  p->account_status = AMI_METER_ACCOUNT_ACTIVE;
  p->standing.last_collection_ms = now_ms;
  p->energy.last_collection_ms = now_ms;
}

void ami_meter_prepay_close(ami_meter_prepay *p, uint64_t now_ms) {
  (void)now_ms;
  p->account_status = AMI_METER_ACCOUNT_CLOSED;
}

void ami_meter_prepay_reset(ami_meter_prepay *p) {
  p->token_credit = 0;
  p->emergency_left = p->emergency_preset;
  p->emergency_in_use = false;
  ami_meter_charge *c[2] = {&p->energy, &p->standing};
  for (int i = 0; i < 2; i++) {
    c[i]->residue = 0;
    c[i]->total_paid = 0;
    c[i]->last_amount = 0;
  }
  p->token_max_seq = 0;
  p->token_window = 0;
  p->last_token_len = 0;
  p->low_warned = p->exhausted = p->disconnected = p->deferred = false;
}

void ami_meter_prepay_set_token_key(ami_meter_prepay *p, const ami_crypto *c,
                                    ami_crypto_key *key,
                                    const uint8_t meter_id[8]) {
  p->crypto = c;
  p->token_key = key;
  memcpy(p->meter_id, meter_id, 8);
}

int64_t ami_meter_prepay_available(const ami_meter_prepay *p) {
  return ADD(p->token_credit, p->emergency_in_use ? p->emergency_left : 0);
}

/* ---- friendly periods ---------------------------------------------------- */

bool ami_meter_friendly_at(const ami_meter_friendly *f,
                           const ami_meter_local_time *t) {
  if (t->day_of_week >= 1 && t->day_of_week <= 7 &&
      (f->weekdays & (1u << (t->day_of_week - 1))))
    return true;
  for (uint8_t i = 0; i < f->nholidays && i < AMI_METER_MAX_HOLIDAYS; i++)
    if ((f->holidays[i].year == 0xFFFF || f->holidays[i].year == t->year) &&
        f->holidays[i].month == t->month && f->holidays[i].day == t->day)
      return true;
  unsigned m = (unsigned)t->hour * 60u + t->minute;
  if (f->start_min == f->end_min)
    return false;
  if (f->start_min < f->end_min)
    return m >= f->start_min && m < f->end_min;
  return m >= f->start_min || m < f->end_min; /* wraps midnight */
}

/* ---- charges --------------------------------------------------------------
 */

static int64_t pow10i(int e) {
  int64_t x = 1;
  while (e-- > 0)
    x *= 10;
  return x;
}

/* charge_per_unit for `rate`: its own entry, else the any-rate entry. */
static int16_t per_unit(const ami_meter_charge *c, uint8_t rate) {
  int any = -1;
  for (uint8_t i = 0; i < c->ntable; i++) {
    if (c->table[i].rate == rate && rate != 0)
      return c->table[i].per_unit;
    if (c->table[i].rate == 0)
      any = i;
  }
  return any >= 0 ? c->table[any].per_unit : 0;
}

/* amount = units x per_unit x 10^exp minor units, exactly: a negative
 * exponent divides, and the remainder waits in c->residue. */
static int64_t accrue(ami_meter_charge *c, int64_t units, int16_t pu, int exp) {
  if (exp >= 0)
    return MUL(MUL(units, pu), pow10i(exp));
  int64_t den = pow10i(-exp);
  int64_t total = ADD(c->residue, MUL(units, pu));
  c->residue = total % den;
  return total / den;
}

/* Take `amount` from the credits: token credit down to 0, then emergency
 * credit in use, then token credit below 0 (debt). */
static void deduct(ami_meter_prepay *p, int64_t amount) {
  if (amount <= 0) {
    p->token_credit = SUB(p->token_credit, amount);
    return;
  }
  int64_t t = p->token_credit > 0 ? p->token_credit : 0;
  t = t < amount ? t : amount;
  p->token_credit -= t;
  amount -= t;
  if (amount && p->emergency_in_use) {
    t = p->emergency_left < amount ? p->emergency_left : amount;
    p->emergency_left -= t;
    amount -= t;
  }
  p->token_credit = SUB(p->token_credit, amount);
}

static void collect(ami_meter_prepay *p, ami_meter_charge *c, int64_t amount,
                    uint64_t now) {
  if (!amount)
    return;
  deduct(p, amount);
  c->total_paid = ADD(c->total_paid, amount);
  c->last_amount = amount;
  c->last_collection_ms = now;
}

/* Consumption charge: energy x price per 10^commodity_scale Wh. */
static void charge_energy(ami_meter_prepay *p, int64_t mwh, uint8_t rate,
                          uint64_t now) {
  ami_meter_charge *c = &p->energy;
  if (mwh <= 0 || !c->ntable)
    return;
  int exp = c->price_scale - (c->commodity_scale + 3); /* per mWh */
  collect(p, c, accrue(c, mwh, per_unit(c, rate), exp), now);
}

/* Standing charge: a whole period's price at the end of each period. */
static void charge_standing(ami_meter_prepay *p, uint64_t now) {
  ami_meter_charge *c = &p->standing;
  if (!c->ntable || !c->period_s)
    return;
  uint64_t period = (uint64_t)c->period_s * 1000u;
  if (now < c->last_collection_ms || now - c->last_collection_ms < period)
    return;
  /* every whole period since the last collection, in one go */
  uint64_t k = (now - c->last_collection_ms) / period;
  int64_t a = accrue(c, k > INT64_MAX ? INT64_MAX : (int64_t)k, per_unit(c, 0),
                     c->price_scale);
  deduct(p, a);
  c->total_paid = ADD(c->total_paid, a);
  c->last_amount = a;
  c->last_collection_ms += k * period;
}

/* ---- credit state -------------------------------------------------------- */

static bool emergency_offered(const ami_meter_prepay *p) {
  return p->emergency_preset > 0 && !p->emergency_in_use &&
         p->emergency_left > 0 && p->token_credit <= p->emergency_threshold;
}

int ami_meter_prepay_invoke_emergency(ami_meter_prepay *p, uint64_t now_ms) {
  if (!emergency_offered(p))
    return AMI_E_STATE;
  p->emergency_in_use = true;
  report(p, AMI_EV_EMERGENCY_CREDIT_USED, now_ms);
  return AMI_OK;
}

/* Low credit, exhaustion and reconnection after every change of credit,
 * enforced only for an active account in prepayment mode (a credit-mode
 * account is charged but never warned or disconnected).
 * `local` NULL (a change from a DLMS request between ticks) never starts a
 * disconnection: the next step decides it with the local time. */
static unsigned evaluate(ami_meter_prepay *p, uint64_t now,
                         const ami_meter_local_time *local) {
  if (p->emergency_auto && p->token_credit <= 0 && emergency_offered(p))
    (void)ami_meter_prepay_invoke_emergency(p, now);
  int64_t avail = ami_meter_prepay_available(p);
  bool enforce =
      p->payment_mode == 2 && p->account_status == AMI_METER_ACCOUNT_ACTIVE;
  if (enforce && avail <= p->low_credit_threshold) {
    if (!p->low_warned)
      report(p, AMI_EV_CREDIT_LOW, now);
    p->low_warned = true;
  } else {
    p->low_warned = false;
  }
  unsigned acts = 0;
  if (avail <= 0 && enforce) {
    if (!p->exhausted)
      report(p, AMI_EV_CREDIT_EXHAUSTED, now);
    p->exhausted = true;
    if (!p->disconnected && local) {
      p->deferred = ami_meter_friendly_at(&p->friendly, local);
      if (!p->deferred) {
        p->disconnected = true;
        acts |= AMI_METER_PREPAY_ACT_DISCONNECT;
      }
    }
    return acts;
  }
  if (avail > 0) {
    p->exhausted = false;
    p->deferred = false;
  }
  if (p->disconnected &&
      (!enforce || avail > p->next_credit_available_threshold)) {
    p->disconnected = false;
    acts |= AMI_METER_PREPAY_ACT_RECONNECT;
  }
  return acts;
}

void ami_meter_prepay_add_credit(ami_meter_prepay *p, int64_t amount,
                                 uint64_t now_ms) {
  if (p->emergency_in_use) {
    p->token_credit = SUB(p->token_credit,
                          p->emergency_preset - p->emergency_left); /* repay */
    p->emergency_left = p->emergency_preset;
    p->emergency_in_use = false;
  }
  p->token_credit = ADD(p->token_credit, amount);
  /* A reconnection found between ticks waits for the next step. */
  p->pending |= (uint8_t)evaluate(p, now_ms, NULL);
}

unsigned ami_meter_prepay_step(ami_meter_prepay *p, uint64_t now_ms,
                               const ami_meter_prepay_inputs *in) {
  if (p->account_status == AMI_METER_ACCOUNT_ACTIVE) {
    charge_energy(p, in->energy_mwh, in->tariff_rate, now_ms);
    charge_standing(p, now_ms);
  }
  unsigned acts = p->pending | evaluate(p, now_ms, &in->local);
  p->pending = 0;
  return acts;
}

/* ---- tokens -------------------------------------------------------------- */

static void put_be32(uint8_t *b, uint32_t v) {
  b[0] = (uint8_t)(v >> 24);
  b[1] = (uint8_t)(v >> 16);
  b[2] = (uint8_t)(v >> 8);
  b[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *b) {
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
         b[3];
}

/* IV = "OATK" 00 00 00 00 || sequence number (unique per token and key). */
static void token_iv(uint32_t seq, uint8_t iv[AMI_CRYPTO_GCM_IV_LEN]) {
  memcpy(iv, "OATK\0\0\0\0", 8);
  put_be32(iv + 8, seq);
}

int ami_meter_prepay_token_make(const ami_crypto *c, ami_crypto_key *key,
                                const uint8_t meter_id[8], uint32_t seq,
                                uint32_t amount,
                                uint8_t out[AMI_METER_TOKEN_LEN]) {
  if (!c || !key || !seq)
    return AMI_E_INVAL;
  out[0] = 0x01;
  put_be32(out + 1, seq);
  put_be32(out + 5, amount);
  out[9] = 0;
  uint8_t iv[AMI_CRYPTO_GCM_IV_LEN];
  token_iv(seq, iv);
  ami_span aad[2] = {ami_span_make(meter_id, 8), ami_span_make(out, 10)};
  uint8_t none[1] = {0};
  return c->gcm_seal(c->user_data, key, iv, aad, 2, none, 0, none, out + 10,
                     16);
}

/* Replay window: a sequence number above the highest seen, or one of the
 * 32 below it not used yet. */
static bool seq_fresh(const ami_meter_prepay *p, uint32_t seq) {
  if (seq > p->token_max_seq)
    return true;
  uint32_t d = p->token_max_seq - seq;
  return d >= 1 && d <= 32 && !(p->token_window & (1u << (d - 1)));
}

static void seq_accept(ami_meter_prepay *p, uint32_t seq) {
  if (seq > p->token_max_seq) {
    uint64_t shift = seq - p->token_max_seq;
    uint64_t w = shift >= 33 ? 0 : (uint64_t)p->token_window << shift;
    if (p->token_max_seq && shift <= 32)
      w |= 1ull << (shift - 1); /* the old highest */
    p->token_window = (uint32_t)w;
    p->token_max_seq = seq;
  } else {
    p->token_window |= 1u << (p->token_max_seq - seq - 1);
  }
}

static int token_check(ami_meter_prepay *p, const uint8_t *t, size_t len) {
  if (len != AMI_METER_TOKEN_LEN)
    return AMI_E_BAD_LENGTH;
  uint32_t seq = get_be32(t + 1);
  if (t[0] != 0x01 || t[9] != 0 || seq == 0)
    return AMI_E_BAD_VALUE;
  if (!p->crypto || !p->token_key)
    return AMI_E_NO_KEY;
  uint8_t iv[AMI_CRYPTO_GCM_IV_LEN];
  token_iv(seq, iv);
  ami_span aad[2] = {ami_span_make(p->meter_id, 8), ami_span_make(t, 10)};
  uint8_t none[1] = {0};
  int rc = p->crypto->gcm_open(p->crypto->user_data, p->token_key, iv, aad, 2,
                               none, 0, none, t + 10, 16);
  if (rc != AMI_OK)
    return rc;
  return seq_fresh(p, seq) ? AMI_OK : AMI_E_REPLAY;
}

int ami_meter_prepay_enter_token(ami_meter_prepay *p, const uint8_t *token,
                                 size_t len, uint64_t now_ms, int64_t *amount) {
  int rc = token_check(p, token, len);
  size_t keep = len < AMI_METER_TOKEN_LEN ? len : AMI_METER_TOKEN_LEN;
  if (keep)
    memcpy(p->last_token, token, keep);
  p->last_token_len = (uint8_t)keep;
  p->last_token_ms = now_ms;
  if (rc != AMI_OK) {
    p->last_token_status = rc == AMI_E_AUTH_FAILED ? AMI_METER_TOKEN_AUTH_FAIL
                           : rc == AMI_E_REPLAY
                               ? AMI_METER_TOKEN_VALIDATION_FAIL
                               : AMI_METER_TOKEN_FORMAT_FAIL;
    report(p, AMI_EV_CREDIT_TOKEN_REJECTED, now_ms);
    return rc;
  }
  seq_accept(p, get_be32(token + 1));
  int64_t a = get_be32(token + 5);
  p->last_token_status = AMI_METER_TOKEN_OK;
  report(p, AMI_EV_CREDIT_TOKEN_ACCEPTED, now_ms);
  ami_meter_prepay_add_credit(p, a, now_ms);
  if (amount)
    *amount = a;
  return AMI_OK;
}
