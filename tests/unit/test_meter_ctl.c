/*
 * test_meter_ctl.c -- the supply-control state machines of lib/meter:
 * Disconnect control (class 70), Limiter (class 71) and prepayment
 * (classes 111/112/113/115), driven directly. The DLMS end-to-end tests
 * are in test_meter_ctl_dlms.c.
 *
 * The class-70 expectations are the Blue Book (IEC 62056-6-2 §4.5.8)
 * state diagram and control_mode list written out as a full matrix here,
 * independently of the implementation's table. Money expectations are
 * computed by hand from the prices in each test.
 */
#include "ami_test.h"

#include <string.h>

#include "ami/ami_crypto_openssl.h"
#include "ami/ami_meter_disconnect.h"
#include "ami/ami_meter_events.h"
#include "ami/ami_meter_limiter.h"
#include "ami/ami_meter_prepay.h"
#include "ami/ami_meter_supply.h"

/* ---- an event recorder --------------------------------------------------- */

typedef struct events {
  uint16_t code[256];
  uint64_t at[256];
  size_t n;
} events;

static void on_event(void *user, uint16_t code, uint64_t now_ms) {
  events *e = user;
  assert_true(e->n < 256);
  e->code[e->n] = code;
  e->at[e->n] = now_ms;
  e->n++;
}

static size_t count(const events *e, uint16_t code) {
  size_t k = 0;
  for (size_t i = 0; i < e->n; i++)
    k += e->code[i] == code;
  return k;
}

/* ---- Disconnect control ---------------------------------------------------
 */

/* Triggers in this order: remote_disconnect, remote_reconnect,
 * manual_disconnect, manual_reconnect, local_disconnect, local_reconnect. */
static const ami_meter_disc_trigger TRIG[6] = {
    AMI_METER_DISC_REMOTE_DISCONNECT, AMI_METER_DISC_REMOTE_RECONNECT,
    AMI_METER_DISC_MANUAL_DISCONNECT, AMI_METER_DISC_MANUAL_RECONNECT,
    AMI_METER_DISC_LOCAL_DISCONNECT,  AMI_METER_DISC_LOCAL_RECONNECT};
/* The event each trigger logs when it moves the state (IDIS disconnector
 * control log numbering, ami_meter_events.h). */
static const uint16_t TRIG_EVENT[6] = {62, 63, 60, 61, 64, 69};

/* EXPECT[mode][state] = for each trigger above, the next control_state
 * ('0' disconnected, '1' connected, '2' ready_for_reconnection) or '-'
 * for "no transition". From the Blue Book: a remote_reconnect 0->1,
 * b remote_disconnect 1->0, c remote_disconnect 2->0, d remote_reconnect
 * 0->2, e manual_reconnect 2->1, f manual_disconnect 1->2, g
 * local_disconnect 1->2, h local_reconnect 2->1; mode 0 none; 1: b c f g
 * / d e; 2: b c f g / a e; 3: b c g / d e; 4: b c g / a e; 5: b c f g /
 * d e h; 6: b c g / d e h. */
static const char *const EXPECT[7][3] = {
    /*        from disconnected, from connected, from ready */
    /* 0 */ {"------", "------", "------"},
    /* 1 */ {"-2----", "0-2-2-", "0--1--"},
    /* 2 */ {"-1----", "0-2-2-", "0--1--"},
    /* 3 */ {"-2----", "0---2-", "0--1--"},
    /* 4 */ {"-1----", "0---2-", "0--1--"},
    /* 5 */ {"-2----", "0-2-2-", "0--1-1"},
    /* 6 */ {"-2----", "0---2-", "0--1-1"},
};

static void test_disconnect_table(void **st) {
  (void)st;
  for (uint8_t mode = 0; mode <= 6; mode++)
    for (uint8_t state = 0; state <= 2; state++)
      for (int t = 0; t < 6; t++) {
        char want = EXPECT[mode][state][t];
        int next = ami_meter_disconnect_next(mode, state, TRIG[t]);
        assert_int_equal(next, want == '-' ? -1 : want - '0');
        /* the same through the state struct: output and event */
        events ev = {0};
        ami_meter_disconnect d;
        ami_meter_disconnect_init(&d, mode, on_event, &ev);
        d.control_state = state;
        d.output_state = state == 1;
        bool moved = ami_meter_disconnect_trigger(&d, TRIG[t], 5000);
        assert_int_equal(moved, want != '-');
        assert_int_equal(d.control_state, want == '-' ? state : want - '0');
        assert_int_equal(d.output_state, d.control_state == 1);
        assert_int_equal(ev.n, moved ? 1 : 0);
        if (moved) {
          assert_int_equal(ev.code[0], TRIG_EVENT[t]);
          assert_int_equal(ev.at[0], 5000);
        }
      }
  /* out-of-range mode enables nothing */
  assert_int_equal(
      ami_meter_disconnect_next(7, 1, AMI_METER_DISC_REMOTE_DISCONNECT), -1);
}

static void test_disconnect_step_and_mode(void **st) {
  (void)st;
  events ev = {0};
  ami_meter_disconnect d;
  ami_meter_disconnect_init(&d, 1, on_event, &ev);
  assert_true(ami_meter_disconnect_connected(&d));
  ami_meter_disconnect_inputs in = {true, false, false};
  ami_meter_disconnect_step(&d, 10, &in); /* g */
  assert_int_equal(d.control_state, AMI_METER_DISC_READY);
  assert_false(ami_meter_disconnect_connected(&d));
  in = (ami_meter_disconnect_inputs){false, true, false};
  ami_meter_disconnect_step(&d, 20, &in); /* h not in mode 1 */
  assert_int_equal(d.control_state, AMI_METER_DISC_READY);
  in = (ami_meter_disconnect_inputs){false, false, true};
  ami_meter_disconnect_step(&d, 30, &in); /* button: e */
  assert_int_equal(d.control_state, AMI_METER_DISC_CONNECTED);
  ami_meter_disconnect_step(&d, 40, &in); /* button again: f */
  assert_int_equal(d.control_state, AMI_METER_DISC_READY);
  ami_meter_disconnect_step(&d, 50, NULL);
  assert_int_equal(ev.n, 3);
  assert_int_equal(ev.code[0], AMI_EV_LOCAL_DISCONNECT);
  assert_int_equal(ev.code[1], AMI_EV_MANUAL_CONNECT);
  assert_int_equal(ev.code[2], AMI_EV_MANUAL_DISCONNECT);
  /* mode 0 means "always connected" */
  assert_ami(AMI_E_RANGE, ami_meter_disconnect_set_mode(&d, 7, 60));
  assert_ami_ok(ami_meter_disconnect_set_mode(&d, 0, 60));
  assert_true(ami_meter_disconnect_connected(&d));
  assert_int_equal(d.control_state, AMI_METER_DISC_CONNECTED);
  assert_false(
      ami_meter_disconnect_trigger(&d, AMI_METER_DISC_REMOTE_DISCONNECT, 70));
  assert_true(ami_meter_disconnect_connected(&d));
}

/* ---- Limiter ------------------------------------------------------------- */

static void limiter_setup(ami_meter_limiter *l, events *ev) {
  ami_meter_limiter_init(l, on_event, ev);
  l->min_over_s = 60;
  l->min_under_s = 30;
  ami_meter_limiter_set_thresholds(l, 5000, 2000, 0); /* W */
  ev->n = 0;
}

static void test_limiter_boundaries(void **st) {
  (void)st;
  events ev = {0};
  ami_meter_limiter l;
  limiter_setup(&l, &ev);
  assert_int_equal(l.threshold_active, 5000);
  /* exactly at the threshold is not over */
  assert_int_equal(ami_meter_limiter_step(&l, 1000, 5000000), 0);
  assert_int_equal(ami_meter_limiter_step(&l, 500000, 5000000), 0);
  /* 1 mW over from t = 600000 */
  uint64_t t0 = 600000;
  assert_int_equal(ami_meter_limiter_step(&l, t0, 5000001), 0);
  assert_int_equal(ami_meter_limiter_step(&l, t0 + 59999, 5000001), 0);
  assert_int_equal(ev.n, 0);
  assert_int_equal(ami_meter_limiter_step(&l, t0 + 60000, 5000001),
                   AMI_METER_LIMITER_ACT_OVER);
  assert_int_equal(count(&ev, AMI_EV_LIMITER_EXCEEDED), 1);
  assert_false(ami_meter_limiter_supply_ok(&l));
  /* once per excursion */
  assert_int_equal(ami_meter_limiter_step(&l, t0 + 200000, 9000000), 0);
  /* under: 30 s exactly */
  uint64_t t1 = 1000000;
  assert_int_equal(ami_meter_limiter_step(&l, t1, 5000000), 0);
  assert_int_equal(ami_meter_limiter_step(&l, t1 + 29999, 0), 0);
  assert_int_equal(ami_meter_limiter_step(&l, t1 + 30000, 0),
                   AMI_METER_LIMITER_ACT_UNDER);
  assert_int_equal(count(&ev, AMI_EV_LIMITER_OK), 1);
  assert_true(ami_meter_limiter_supply_ok(&l));
  assert_int_equal(ami_meter_limiter_step(&l, t1 + 90000, 0), 0);
  /* an excursion cut short restarts the timer */
  uint64_t t2 = 2000000;
  assert_int_equal(ami_meter_limiter_step(&l, t2, 6000000), 0);
  assert_int_equal(ami_meter_limiter_step(&l, t2 + 59000, 6000000), 0);
  assert_int_equal(ami_meter_limiter_step(&l, t2 + 59500, 100), 0);
  assert_int_equal(ami_meter_limiter_step(&l, t2 + 60000, 6000000), 0);
  assert_int_equal(ami_meter_limiter_step(&l, t2 + 119999, 6000000), 0);
  assert_int_equal(ami_meter_limiter_step(&l, t2 + 120000, 6000000),
                   AMI_METER_LIMITER_ACT_OVER);
  /* under before any over action does nothing */
  ami_meter_limiter l2;
  limiter_setup(&l2, &ev);
  assert_int_equal(ami_meter_limiter_step(&l2, 0, 0), 0);
  assert_int_equal(ami_meter_limiter_step(&l2, 100000, 0), 0);
  assert_int_equal(ev.n, 0);
}

static void test_limiter_scaler_and_actions(void **st) {
  (void)st;
  events ev = {0};
  ami_meter_limiter l;
  limiter_setup(&l, &ev);
  l.min_over_s = 0;
  /* thresholds in kW (scaler 3): 5 kW */
  l.threshold_scaler = 3;
  ami_meter_limiter_set_thresholds(&l, 5, 2, 0);
  assert_int_equal(ami_meter_limiter_step(&l, 1, 5000000), 0);
  assert_int_equal(ami_meter_limiter_step(&l, 2, 5000001),
                   AMI_METER_LIMITER_ACT_OVER);
  /* scaler -4 (units of 0.1 mW): threshold 50 = 5 mW */
  ami_meter_limiter_init(&l, on_event, &ev);
  l.threshold_scaler = -4;
  ami_meter_limiter_set_thresholds(&l, 50, 50, 0);
  assert_int_equal(ami_meter_limiter_step(&l, 1, 5), 0);
  assert_int_equal(ami_meter_limiter_step(&l, 2, 6),
                   AMI_METER_LIMITER_ACT_OVER);
  /* an empty action script: the event still, no action */
  ami_meter_limiter_init(&l, on_event, &ev);
  memset(&l.action_over.ln, 0, sizeof l.action_over.ln);
  ami_meter_limiter_set_thresholds(&l, 1, 1, 0);
  ev.n = 0;
  assert_int_equal(ami_meter_limiter_step(&l, 1, 2000), 0);
  assert_int_equal(count(&ev, AMI_EV_LIMITER_EXCEEDED), 1);
}

static void test_limiter_emergency(void **st) {
  (void)st;
  events ev = {0};
  ami_meter_limiter l;
  limiter_setup(&l, &ev);
  const int64_t start = 1700000000; /* UTC seconds */
  const uint16_t groups[2] = {3, 7};
  assert_ami_ok(
      ami_meter_limiter_set_emergency(&l, 7, start, 3600, groups, 2, 0));
  uint64_t s_ms = (uint64_t)start * 1000u;
  assert_int_equal(ami_meter_limiter_step(&l, s_ms - 1, 3000000), 0);
  assert_false(l.emergency_active);
  assert_int_equal(l.threshold_active, 5000);
  assert_int_equal(ev.n, 0);
  /* activation: 3000 W is now over the 2000 W emergency threshold */
  assert_int_equal(ami_meter_limiter_step(&l, s_ms, 3000000), 0);
  assert_true(l.emergency_active);
  assert_int_equal(l.threshold_active, 2000);
  assert_int_equal(count(&ev, AMI_EV_LIMITER_CHANGED), 1);
  assert_int_equal(ami_meter_limiter_step(&l, s_ms + 60000, 3000000),
                   AMI_METER_LIMITER_ACT_OVER);
  /* expiry after exactly 3600 s */
  uint64_t e_ms = s_ms + 3600000u;
  assert_int_equal(ami_meter_limiter_step(&l, e_ms - 1, 0), 0);
  assert_true(l.emergency_active);
  assert_int_equal(ami_meter_limiter_step(&l, e_ms, 0), 0);
  assert_false(l.emergency_active);
  assert_int_equal(l.threshold_active, 5000);
  assert_int_equal(count(&ev, AMI_EV_LIMITER_CHANGED), 2);
  /* a profile whose id is not in the group list never activates */
  limiter_setup(&l, &ev);
  assert_ami_ok(
      ami_meter_limiter_set_emergency(&l, 9, start, 3600, groups, 2, 0));
  assert_int_equal(ami_meter_limiter_step(&l, s_ms + 10, 3000000), 0);
  assert_false(l.emergency_active);
  assert_int_equal(l.threshold_active, 5000);
  uint16_t many[9] = {0};
  assert_ami(AMI_E_LIMIT,
             ami_meter_limiter_set_emergency(&l, 9, start, 1, many, 9, 0));
  /* a threshold change is an event too */
  ev.n = 0;
  ami_meter_limiter_set_thresholds(&l, 4000, 2000, 10);
  assert_int_equal(count(&ev, AMI_EV_LIMITER_CHANGED), 1);
  assert_int_equal(l.threshold_active, 4000);
}

/* ---- prepayment ---------------------------------------------------------- */

static const uint8_t TOKEN_KEY[16] = {0x54, 0x4F, 0x4B, 0x45, 0x4E, 0x2D,
                                      0x4B, 0x45, 0x59, 0x2D, 0x30, 0x31,
                                      0x32, 0x33, 0x34, 0x35};
static const uint8_t METER_ID[8] = {'O', 'A', 'M', 0, 0, 0, 0x12, 0x34};

typedef struct pp_fixture {
  events ev;
  ami_meter_prepay p;
  ami_crypto_key *key;
} pp_fixture;

/* Monday 2026-11-23 12:00 local. */
static ami_meter_local_time noon_monday(void) {
  ami_meter_local_time t = {2026, 11, 23, 12, 0, 1};
  return t;
}

static void pp_setup(pp_fixture *f) {
  memset(f, 0, sizeof *f);
  ami_meter_prepay_init(&f->p, on_event, &f->ev);
  const ami_crypto *c = ami_crypto_openssl();
  assert_ami_ok(
      c->key_new(c->user_data, AMI_CRYPTO_AES128, TOKEN_KEY, 16, &f->key));
  ami_meter_prepay_set_token_key(&f->p, c, f->key, METER_ID);
  ami_meter_prepay_activate(&f->p, 0);
}

static void pp_teardown(pp_fixture *f) {
  const ami_crypto *c = ami_crypto_openssl();
  c->key_free(c->user_data, f->key);
}

static unsigned pp_step(pp_fixture *f, uint64_t now, int64_t mwh, uint8_t rate,
                        ami_meter_local_time t) {
  ami_meter_prepay_inputs in = {mwh, rate, t};
  return ami_meter_prepay_step(&f->p, now, &in);
}

static void test_prepay_energy_charge(void **st) {
  (void)st;
  pp_fixture f;
  pp_setup(&f);
  f.p.payment_mode = 1; /* credit mode: charge, never disconnect */
  /* rate 1: 25 cents/kWh; rate 2: 12.34 cents/kWh (1234 x 10^-2) */
  f.p.energy.price_scale = -2;
  f.p.energy.ntable = 2;
  f.p.energy.table[0].rate = 1;
  f.p.energy.table[0].per_unit = 2500;
  f.p.energy.table[1].rate = 2;
  f.p.energy.table[1].per_unit = 1234;
  ami_meter_prepay_add_credit(&f.p, 100000, 0);
  /* 10 kWh at rate 1 in 1000 steps of 10 Wh (each 0.25 cents) */
  for (int i = 0; i < 1000; i++)
    assert_int_equal(pp_step(&f, 1000u + (uint64_t)i, 10000, 1, noon_monday()),
                     0);
  assert_int_equal(f.p.energy.total_paid, 250);
  assert_int_equal(f.p.token_credit, 100000 - 250);
  /* 7 kWh at rate 2: 86.38 cents -> 86 collected, 0.38 carried */
  pp_step(&f, 5000, 2500000, 2, noon_monday());
  pp_step(&f, 5001, 2500000, 2, noon_monday());
  pp_step(&f, 5002, 2000000, 2, noon_monday());
  assert_int_equal(f.p.energy.total_paid, 250 + 86);
  /* +0.05 kWh (0.617 cents): 0.38 + 0.617 = 0.997 -> still 86 */
  pp_step(&f, 5003, 50000, 2, noon_monday());
  assert_int_equal(f.p.energy.total_paid, 250 + 86);
  /* +0.001 kWh (0.01234): 1.00934 -> 87 */
  pp_step(&f, 5004, 1000, 2, noon_monday());
  assert_int_equal(f.p.energy.total_paid, 250 + 87);
  assert_int_equal(f.p.token_credit, 100000 - 337);
  /* a rate without an entry and no any-rate entry costs nothing */
  pp_step(&f, 5005, 1000000, 3, noon_monday());
  assert_int_equal(f.p.energy.total_paid, 337);
  /* an any-rate entry covers it */
  f.p.energy.table[2].rate = 0;
  f.p.energy.table[2].per_unit = 1000; /* 10 cents */
  f.p.energy.ntable = 3;
  pp_step(&f, 5006, 1000000, 3, noon_monday());
  assert_int_equal(f.p.energy.total_paid, 347);
  pp_teardown(&f);
}

static void test_prepay_standing_charge(void **st) {
  (void)st;
  pp_fixture f;
  pp_setup(&f);
  f.p.payment_mode = 1;
  ami_meter_prepay_activate(&f.p, 1000);
  f.p.standing.ntable = 1;
  f.p.standing.table[0].per_unit = 45; /* 45 cents a day */
  const uint64_t day = 86400000u;
  pp_step(&f, 1000 + day - 1, 0, 1, noon_monday());
  assert_int_equal(f.p.standing.total_paid, 0);
  pp_step(&f, 1000 + day, 0, 1, noon_monday());
  assert_int_equal(f.p.standing.total_paid, 45);
  assert_int_equal(f.p.standing.last_amount, 45);
  /* three days later in one step: two more whole days */
  pp_step(&f, 1000 + 3 * day + 5, 0, 1, noon_monday());
  assert_int_equal(f.p.standing.total_paid, 135);
  assert_int_equal(f.p.token_credit, -135);
  assert_int_equal(f.ev.n, 0); /* credit mode: no warnings, no cut-off */
  /* price 12.5 cents a day (125 x 10^-1): 12, 13 (25), 12, 13 ... */
  f.p.standing.price_scale = -1;
  f.p.standing.table[0].per_unit = 125;
  f.p.standing.total_paid = 0;
  pp_step(&f, 1000 + 4 * day, 0, 1, noon_monday());
  assert_int_equal(f.p.standing.total_paid, 12);
  pp_step(&f, 1000 + 5 * day, 0, 1, noon_monday());
  assert_int_equal(f.p.standing.total_paid, 25);
  pp_teardown(&f);
}

static void test_prepay_tokens(void **st) {
  (void)st;
  pp_fixture f;
  pp_setup(&f);
  const ami_crypto *c = ami_crypto_openssl();
  uint8_t tok[AMI_METER_TOKEN_LEN];
  assert_ami_ok(ami_meter_prepay_token_make(c, f.key, METER_ID, 10, 2000, tok));
  int64_t amount = 0;
  assert_ami_ok(
      ami_meter_prepay_enter_token(&f.p, tok, sizeof tok, 7, &amount));
  assert_int_equal(amount, 2000);
  assert_int_equal(ami_meter_prepay_available(&f.p), 2000);
  assert_int_equal(count(&f.ev, AMI_EV_CREDIT_TOKEN_ACCEPTED), 1);
  assert_int_equal(f.p.last_token_status, AMI_METER_TOKEN_OK);
  /* replayed */
  assert_ami(AMI_E_REPLAY,
             ami_meter_prepay_enter_token(&f.p, tok, sizeof tok, 8, NULL));
  assert_int_equal(f.p.last_token_status, AMI_METER_TOKEN_VALIDATION_FAIL);
  /* forged: a changed amount, a changed tag, another meter's token */
  uint8_t bad[AMI_METER_TOKEN_LEN];
  assert_ami_ok(ami_meter_prepay_token_make(c, f.key, METER_ID, 11, 100, bad));
  bad[8] = 0xFF;
  assert_ami(AMI_E_AUTH_FAILED,
             ami_meter_prepay_enter_token(&f.p, bad, sizeof bad, 9, NULL));
  assert_int_equal(f.p.last_token_status, AMI_METER_TOKEN_AUTH_FAIL);
  assert_ami_ok(ami_meter_prepay_token_make(c, f.key, METER_ID, 11, 100, bad));
  bad[25] ^= 1;
  assert_ami(AMI_E_AUTH_FAILED,
             ami_meter_prepay_enter_token(&f.p, bad, sizeof bad, 9, NULL));
  static const uint8_t other[8] = {'O', 'A', 'M', 0, 0, 0, 0x12, 0x35};
  assert_ami_ok(ami_meter_prepay_token_make(c, f.key, other, 11, 100, bad));
  assert_ami(AMI_E_AUTH_FAILED,
             ami_meter_prepay_enter_token(&f.p, bad, sizeof bad, 9, NULL));
  /* format */
  assert_ami(AMI_E_BAD_LENGTH,
             ami_meter_prepay_enter_token(&f.p, tok, sizeof tok - 1, 9, NULL));
  memcpy(bad, tok, sizeof tok);
  bad[0] = 2;
  assert_ami(AMI_E_BAD_VALUE,
             ami_meter_prepay_enter_token(&f.p, bad, sizeof bad, 9, NULL));
  assert_int_equal(count(&f.ev, AMI_EV_CREDIT_TOKEN_REJECTED), 6);
  assert_int_equal(ami_meter_prepay_available(&f.p), 2000);
  /* the window: 50 accepted, then 20 (30 below) once, 17 (33 below) never */
  uint8_t t50[AMI_METER_TOKEN_LEN], t20[AMI_METER_TOKEN_LEN],
      t18[AMI_METER_TOKEN_LEN], t17[AMI_METER_TOKEN_LEN];
  assert_ami_ok(ami_meter_prepay_token_make(c, f.key, METER_ID, 50, 1, t50));
  assert_ami_ok(ami_meter_prepay_token_make(c, f.key, METER_ID, 20, 1, t20));
  assert_ami_ok(ami_meter_prepay_token_make(c, f.key, METER_ID, 18, 1, t18));
  assert_ami_ok(ami_meter_prepay_token_make(c, f.key, METER_ID, 17, 1, t17));
  assert_ami_ok(ami_meter_prepay_enter_token(&f.p, t50, 26, 10, NULL));
  assert_ami_ok(ami_meter_prepay_enter_token(&f.p, t20, 26, 11, NULL));
  assert_ami(AMI_E_REPLAY,
             ami_meter_prepay_enter_token(&f.p, t20, 26, 12, NULL));
  assert_ami_ok(ami_meter_prepay_enter_token(&f.p, t18, 26, 13, NULL));
  assert_ami(AMI_E_REPLAY,
             ami_meter_prepay_enter_token(&f.p, t17, 26, 14, NULL));
  /* 10 (accepted first) is 40 below now: too old, still refused */
  assert_ami(AMI_E_REPLAY,
             ami_meter_prepay_enter_token(&f.p, tok, 26, 15, NULL));
  assert_int_equal(ami_meter_prepay_available(&f.p), 2003);
  /* no key */
  f.p.token_key = NULL;
  assert_ami(AMI_E_NO_KEY,
             ami_meter_prepay_enter_token(&f.p, t50, 26, 16, NULL));
  pp_teardown(&f);
}

/* Prepayment, limiter-free: low credit, exhaustion, disconnection, and a
 * top-up that asks for reconnection, wired into a disconnector in `mode`. */
static void run_exhaust(uint8_t mode, uint8_t state_after_topup) {
  pp_fixture f;
  pp_setup(&f);
  ami_meter_disconnect d;
  ami_meter_disconnect_init(&d, mode, on_event, &f.ev);
  f.p.low_credit_threshold = 100;
  f.p.energy.ntable = 1;
  f.p.energy.table[0].per_unit = 100; /* 1 EUR per kWh, 1 cent per 10 Wh */
  ami_meter_prepay_add_credit(&f.p, 300, 0);
  assert_int_equal(f.ev.n, 0);
  uint64_t now = 1000;
  int low_at = -1, off_at = -1;
  for (int i = 0; i < 40; i++, now += 1000) {
    /* 10 cents a step while the supply is on */
    int64_t e = ami_meter_disconnect_connected(&d) ? 100000 : 0;
    unsigned a = pp_step(&f, now, e, 1, noon_monday());
    ami_meter_disconnect_inputs in = {
        (a & AMI_METER_PREPAY_ACT_DISCONNECT) != 0,
        (a & AMI_METER_PREPAY_ACT_RECONNECT) != 0, false};
    ami_meter_disconnect_step(&d, now, &in);
    if (low_at < 0 && count(&f.ev, AMI_EV_CREDIT_LOW))
      low_at = i;
    if (off_at < 0 && !ami_meter_disconnect_connected(&d))
      off_at = i;
  }
  assert_int_equal(low_at, 19); /* 300 - 20 x 10 = 100 */
  assert_int_equal(off_at, 29); /* 300 - 30 x 10 = 0 */
  assert_int_equal(f.p.token_credit, 0);
  assert_int_equal(count(&f.ev, AMI_EV_CREDIT_LOW), 1);
  assert_int_equal(count(&f.ev, AMI_EV_CREDIT_EXHAUSTED), 1);
  assert_int_equal(count(&f.ev, AMI_EV_LOCAL_DISCONNECT), 1);
  assert_int_equal(d.control_state, AMI_METER_DISC_READY);
  /* top-up: the next step asks for reconnection */
  ami_meter_prepay_add_credit(&f.p, 500, now);
  unsigned a = pp_step(&f, now + 1, 0, 1, noon_monday());
  assert_int_equal(a, AMI_METER_PREPAY_ACT_RECONNECT);
  ami_meter_disconnect_inputs in = {false, true, false};
  ami_meter_disconnect_step(&d, now + 1, &in);
  assert_int_equal(d.control_state, state_after_topup);
  assert_true(ami_meter_prepay_supply_ok(&f.p));
  pp_teardown(&f);
}

static void test_prepay_exhaust_mode1(void **st) {
  (void)st;
  run_exhaust(1, AMI_METER_DISC_READY); /* manual reconnection needed */
}

static void test_prepay_exhaust_mode5(void **st) {
  (void)st;
  run_exhaust(5, AMI_METER_DISC_CONNECTED); /* local reconnection (h) */
}

static void test_prepay_low_and_exhaust_counts(void **st) {
  (void)st;
  pp_fixture f;
  pp_setup(&f);
  f.p.low_credit_threshold = 100;
  f.p.energy.ntable = 1;
  f.p.energy.table[0].per_unit = 100;
  ami_meter_prepay_add_credit(&f.p, 150, 0);
  /* 49 cents: 101 left, no warning; 1 more: exactly 100 -> warning */
  pp_step(&f, 1, 490000, 1, noon_monday());
  assert_int_equal(count(&f.ev, AMI_EV_CREDIT_LOW), 0);
  pp_step(&f, 2, 10000, 1, noon_monday());
  assert_int_equal(count(&f.ev, AMI_EV_CREDIT_LOW), 1);
  pp_step(&f, 3, 10000, 1, noon_monday());
  assert_int_equal(count(&f.ev, AMI_EV_CREDIT_LOW), 1);
  /* back above and down again: warned again */
  ami_meter_prepay_add_credit(&f.p, 100, 4);
  pp_step(&f, 5, 990000, 1, noon_monday()); /* 199 - 99 = 100 */
  assert_int_equal(count(&f.ev, AMI_EV_CREDIT_LOW), 2);
  pp_teardown(&f);
}

static void test_prepay_friendly_deferral(void **st) {
  (void)st;
  pp_fixture f;
  pp_setup(&f);
  /* friendly 18:00-08:00 and Saturdays, Sundays; 25 Dec every year */
  f.p.friendly.start_min = 18 * 60;
  f.p.friendly.end_min = 8 * 60;
  f.p.friendly.weekdays = (1u << 5) | (1u << 6);
  f.p.friendly.holidays[0].year = 0xFFFF;
  f.p.friendly.holidays[0].month = 12;
  f.p.friendly.holidays[0].day = 25;
  f.p.friendly.nholidays = 1;
  f.p.energy.ntable = 1;
  f.p.energy.table[0].per_unit = 100;
  ami_meter_prepay_add_credit(&f.p, 10, 0);
  /* Friday 2026-11-27 19:00: credit runs out -> deferred */
  ami_meter_local_time fri = {2026, 11, 27, 19, 0, 5};
  assert_int_equal(pp_step(&f, 1000, 100000, 1, fri), 0);
  assert_true(f.p.exhausted);
  assert_true(f.p.deferred);
  assert_int_equal(count(&f.ev, AMI_EV_CREDIT_EXHAUSTED), 1);
  /* consumption continues into debt over the weekend */
  ami_meter_local_time sat = {2026, 11, 28, 12, 0, 6};
  ami_meter_local_time sun = {2026, 11, 29, 23, 0, 7};
  ami_meter_local_time mon_early = {2026, 11, 30, 7, 59, 1};
  ami_meter_local_time mon_eight = {2026, 11, 30, 8, 0, 1};
  assert_int_equal(pp_step(&f, 2000, 100000, 1, sat), 0);
  assert_int_equal(pp_step(&f, 3000, 100000, 1, sun), 0);
  assert_int_equal(pp_step(&f, 4000, 0, 1, mon_early), 0);
  assert_int_equal(f.p.token_credit, 10 - 30);
  assert_int_equal(pp_step(&f, 5000, 0, 1, mon_eight),
                   AMI_METER_PREPAY_ACT_DISCONNECT);
  assert_false(ami_meter_prepay_supply_ok(&f.p));
  assert_int_equal(count(&f.ev, AMI_EV_CREDIT_EXHAUSTED), 1);
  /* a top-up that only clears the debt is not enough */
  ami_meter_prepay_add_credit(&f.p, 20, 6000);
  assert_int_equal(pp_step(&f, 6001, 0, 1, mon_eight), 0);
  ami_meter_prepay_add_credit(&f.p, 1, 6002);
  assert_int_equal(pp_step(&f, 6003, 0, 1, mon_eight),
                   AMI_METER_PREPAY_ACT_RECONNECT);
  /* holidays and the daily window */
  ami_meter_local_time xmas = {2030, 12, 25, 12, 0, 3};
  ami_meter_local_time noon = {2030, 12, 24, 12, 0, 2};
  ami_meter_local_time late = {2030, 12, 24, 18, 0, 2};
  assert_true(ami_meter_friendly_at(&f.p.friendly, &xmas));
  assert_false(ami_meter_friendly_at(&f.p.friendly, &noon));
  assert_true(ami_meter_friendly_at(&f.p.friendly, &late));
  assert_true(ami_meter_friendly_at(&f.p.friendly, &mon_early));
  assert_false(ami_meter_friendly_at(&f.p.friendly, &mon_eight));
  pp_teardown(&f);
}

static void test_prepay_emergency_credit(void **st) {
  (void)st;
  pp_fixture f;
  pp_setup(&f);
  f.p.emergency_preset = f.p.emergency_left = 500;
  f.p.emergency_threshold = 100;
  f.p.energy.ntable = 1;
  f.p.energy.table[0].per_unit = 100;
  ami_meter_prepay_add_credit(&f.p, 300, 0);
  /* not offered above the threshold */
  assert_ami(AMI_E_STATE, ami_meter_prepay_invoke_emergency(&f.p, 1));
  pp_step(&f, 2, 2500000, 1, noon_monday()); /* 250 cents: 50 left */
  assert_ami_ok(ami_meter_prepay_invoke_emergency(&f.p, 3));
  assert_int_equal(count(&f.ev, AMI_EV_EMERGENCY_CREDIT_USED), 1);
  assert_ami(AMI_E_STATE, ami_meter_prepay_invoke_emergency(&f.p, 4));
  assert_int_equal(ami_meter_prepay_available(&f.p), 550);
  /* 200 cents: 50 from the token credit, 150 from the emergency credit */
  assert_int_equal(pp_step(&f, 5, 2000000, 1, noon_monday()), 0);
  assert_int_equal(f.p.token_credit, 0);
  assert_int_equal(f.p.emergency_left, 350);
  assert_int_equal(count(&f.ev, AMI_EV_CREDIT_EXHAUSTED), 0);
  /* a 1000 top-up repays the 150 first */
  ami_meter_prepay_add_credit(&f.p, 1000, 6);
  assert_false(f.p.emergency_in_use);
  assert_int_equal(f.p.emergency_left, 500);
  assert_int_equal(f.p.token_credit, 850);
  /* automatic emergency credit when the token credit runs out */
  f.p.emergency_auto = true;
  pp_step(&f, 7, 8500000, 1, noon_monday());
  assert_true(f.p.emergency_in_use);
  assert_int_equal(count(&f.ev, AMI_EV_EMERGENCY_CREDIT_USED), 2);
  assert_int_equal(count(&f.ev, AMI_EV_CREDIT_EXHAUSTED), 0);
  pp_teardown(&f);
}

/* Absurd prices and energies saturate at the int64 limits instead of
 * wrapping (signed overflow would be undefined behaviour). */
static void test_prepay_saturation(void **st) {
  (void)st;
  pp_fixture f;
  pp_setup(&f);
  f.p.energy.commodity_scale = -3; /* per mWh */
  f.p.energy.price_scale = 6;
  f.p.energy.ntable = 1;
  f.p.energy.table[0].per_unit = 32767;
  pp_step(&f, 1, INT64_MAX / 2, 1, noon_monday());
  assert_true(f.p.token_credit == -INT64_MAX); /* 0 - the saturated charge */
  assert_true(f.p.energy.total_paid == INT64_MAX);
  pp_step(&f, 2, INT64_MAX / 2, 1, noon_monday());
  assert_true(f.p.token_credit == INT64_MIN);
  assert_true(ami_meter_prepay_available(&f.p) == INT64_MIN);
  ami_meter_prepay_add_credit(&f.p, INT64_MAX, 3);
  assert_int_equal(f.p.token_credit, -1);
  pp_teardown(&f);
}

/* The tick glue: a limiter trip and an exhausted account together; the
 * supply comes back (mode 6, local reconnection) only when both allow. */
static void test_supply_tick_both(void **st) {
  (void)st;
  pp_fixture f;
  pp_setup(&f);
  f.p.energy.ntable = 1;
  f.p.energy.table[0].per_unit = 100; /* 1 cent per 10 Wh */
  ami_meter_prepay_add_credit(&f.p, 5, 0);
  ami_meter_limiter l;
  ami_meter_limiter_init(&l, on_event, &f.ev);
  ami_meter_limiter_set_thresholds(&l, 1000, 1000, 0); /* 1 kW */
  l.min_under_s = 10;
  ami_meter_disconnect d;
  ami_meter_disconnect_init(&d, 6, on_event, &f.ev);
  ami_meter_supply_inputs in;
  memset(&in, 0, sizeof in);
  in.prepay.tariff_rate = 1;
  in.prepay.local = noon_monday();
  /* 2 kW and 50 Wh at once: the limiter trips, the credit runs out */
  in.monitored_milli = 2000000;
  in.prepay.energy_mwh = 50000;
  assert_false(ami_meter_supply_tick(&d, &l, &f.p, 1000, &in));
  assert_false(ami_meter_limiter_supply_ok(&l));
  assert_false(ami_meter_prepay_supply_ok(&f.p));
  /* the load is gone: the limiter allows after 10 s, the account not */
  in.monitored_milli = 0;
  in.prepay.energy_mwh = 0;
  assert_false(ami_meter_supply_tick(&d, &l, &f.p, 2000, &in));
  assert_false(ami_meter_supply_tick(&d, &l, &f.p, 12000, &in));
  assert_true(ami_meter_limiter_supply_ok(&l));
  assert_int_equal(d.control_state, AMI_METER_DISC_READY);
  /* a top-up: now both allow, local reconnection */
  ami_meter_prepay_add_credit(&f.p, 100, 13000);
  assert_true(ami_meter_supply_tick(&d, &l, &f.p, 14000, &in));
  assert_int_equal(count(&f.ev, AMI_EV_LOCAL_CONNECT), 1);
  /* and the other way round: limiter still tripped blocks a top-up's
   * reconnection */
  in.monitored_milli = 2000000;
  in.prepay.energy_mwh = 1000000; /* 100 cents: exhausted again */
  assert_false(ami_meter_supply_tick(&d, &l, &f.p, 15000, &in));
  ami_meter_prepay_add_credit(&f.p, 1000, 16000);
  in.prepay.energy_mwh = 0;
  assert_false(ami_meter_supply_tick(&d, &l, &f.p, 17000, &in));
  assert_int_equal(d.control_state, AMI_METER_DISC_READY);
  /* a meter without limiter and prepayment: only the button matters */
  ami_meter_disconnect d2;
  ami_meter_disconnect_init(&d2, 1, NULL, NULL);
  in.button = true;
  assert_false(ami_meter_supply_tick(&d2, NULL, NULL, 1, &in));
  assert_true(ami_meter_supply_tick(&d2, NULL, NULL, 2, &in));
  pp_teardown(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_disconnect_table),
      cmocka_unit_test(test_disconnect_step_and_mode),
      cmocka_unit_test(test_limiter_boundaries),
      cmocka_unit_test(test_limiter_scaler_and_actions),
      cmocka_unit_test(test_limiter_emergency),
      cmocka_unit_test(test_prepay_energy_charge),
      cmocka_unit_test(test_prepay_standing_charge),
      cmocka_unit_test(test_prepay_tokens),
      cmocka_unit_test(test_prepay_exhaust_mode1),
      cmocka_unit_test(test_prepay_exhaust_mode5),
      cmocka_unit_test(test_prepay_low_and_exhaust_counts),
      cmocka_unit_test(test_prepay_friendly_deferral),
      cmocka_unit_test(test_prepay_emergency_credit),
      cmocka_unit_test(test_prepay_saturation),
      cmocka_unit_test(test_supply_tick_both),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
