/*
 * ami_mdm_bill.c -- the billing engine: determinants from interval data,
 * line items, taxes and totals; rebilling; prepaid accounting.
 *
 * The rules (interval ownership by local start time, netting windows, tier
 * splitting, demand windows, daily-charge proration, half-even rounding
 * once per line) are written once in ami_mdm_bill.h.
 */
#include "ami/ami_mdm_bill.h"

#include <string.h>

#include "ami/ami_err.h"

/* Micro-units per minor unit (cents) and milli-Wh per kWh: a line amount in
 * cents is quantity[mWh] * price[micro/kWh] / (1e6 * 1e4). The same divisor
 * serves demand (mW and micro/kW). */
#define MICRO_PER_MINOR 10000
#define ENERGY_DIV      ((int64_t)1000000 * MICRO_PER_MINOR)
#define DAYS_DIV        ((int64_t)1000 * MICRO_PER_MINOR)

/* ---------------------------------------------------------------------- */
/* Text of line descriptions without stdio. */

typedef struct text {
  char *p;
  size_t cap, len;
} text;

static void text_str(text *x, const char *s) {
  while (*s != '\0' && x->len + 1 < x->cap)
    x->p[x->len++] = *s++;
  x->p[x->len] = '\0';
}

static void text_int(text *x, int64_t v) {
  char tmp[24];
  size_t n = 0;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0)
    tmp[n++] = '-';
  char out[24];
  for (size_t i = 0; i < n; i++)
    out[i] = tmp[n - 1 - i];
  out[n] = '\0';
  text_str(x, out);
}

/* ---------------------------------------------------------------------- */
/* Determinants */

/* Running state of one bill computation. */
typedef struct acc {
  const ami_mdm_tariff *t;
  ami_mdm_determinants *det;
  int64_t imp[AMI_MDM_TARIFF_MAX_SEASONS][AMI_MDM_TARIFF_MAX_PERIODS];
  int64_t exp[AMI_MDM_TARIFF_MAX_SEASONS][AMI_MDM_TARIFF_MAX_PERIODS];
  bool open;   /* a netting window holds values */
  int64_t cum; /* billed import so far, for tiers */
  /* demand windows, one per demand charge */
  int64_t dwin[AMI_MDM_TARIFF_MAX_DEMAND];
  int64_t denergy[AMI_MDM_TARIFF_MAX_DEMAND];
  bool dopen[AMI_MDM_TARIFF_MAX_DEMAND];
} acc;

/* Feed `mwh` of billed import, ending at time `t_end`, into the tiers:
 * split exactly at each bound it crosses. */
static void tiers_feed(acc *a, int64_t mwh, int64_t t_end) {
  const ami_mdm_tariff *t = a->t;
  for (unsigned i = 0; i < t->n_tiers && mwh > 0; i++) {
    int64_t bound = t->tier[i].up_to_mwh;
    if (a->cum >= bound)
      continue;
    int64_t room = bound - a->cum;
    int64_t take = mwh < room ? mwh : room;
    a->det->tier_mwh[i] += take;
    a->cum += take;
    mwh -= take;
    if (a->cum == bound && a->det->tier_full_t[i] == 0)
      a->det->tier_full_t[i] = t_end;
  }
}

/* Close the netting window that ended at `t_end`: per bucket, positive net
 * is billed import, negative net credited export. */
static int window_flush(acc *a, int64_t t_end) {
  if (!a->open)
    return AMI_OK;
  const ami_mdm_tariff *t = a->t;
  ami_mdm_determinants *det = a->det;
  for (unsigned s = 0; s < t->n_seasons; s++)
    for (unsigned p = 0; p < t->n_periods; p++) {
      int64_t net = a->imp[s][p] - a->exp[s][p];
      a->imp[s][p] = 0;
      a->exp[s][p] = 0;
      if (net > 0) {
        det->billed_mwh[s][p] += net;
        det->billed_total_mwh += net;
        if (t->energy_kind == AMI_MDM_ENERGY_TIERED)
          tiers_feed(a, net, t_end);
      } else if (net < 0) {
        det->credited_mwh[s][p] -= net;
        det->credited_total_mwh -= net;
      }
    }
  a->open = false;
  return AMI_OK;
}

/* Close demand window k and keep it if it is the new maximum. */
static void demand_close(acc *a, unsigned k) {
  const ami_mdm_demand_charge *dc = &a->t->demand[k];
  if (!a->dopen[k])
    return;
  a->dopen[k] = false;
  int64_t wstart = a->dwin[k] * (int64_t)dc->interval_s;
  if (dc->period >= 0) {
    unsigned p;
    ami_mdm_tariff_classify(a->t, wstart, NULL, NULL, &p);
    if ((int)p != dc->period)
      return;
  }
  /* 3600 / interval_s is 4 or 2: exact */
  int64_t mw = a->denergy[k] * (3600 / (int64_t)dc->interval_s);
  if (mw > a->det->demand[k].max_mw || a->det->demand[k].t == 0) {
    a->det->demand[k].max_mw = mw; /* the first of equal maxima is kept */
    a->det->demand[k].t = wstart + dc->interval_s;
  }
}

/* Value of one interval for billing: zero when missing; counts qualities. */
static int interval_value(const ami_mdm_interval *v, ami_mdm_determinants *d,
                          int64_t *out) {
  if (v->quality == AMI_MDM_Q_MISSING) {
    d->n_missing++;
    *out = 0;
    return AMI_OK;
  }
  if (v->value < 0)
    return AMI_E_BAD_VALUE;
  if (v->value > AMI_MDM_BILL_MAX_VALUE)
    return AMI_E_RANGE;
  if (v->quality == AMI_MDM_Q_ESTIMATED || v->quality == AMI_MDM_Q_SUBSTITUTED)
    d->n_estimated++;
  *out = v->value;
  return AMI_OK;
}

/* Milli-days of the cycle [cs, ce) for the fixed charge (rule in header). */
static int64_t cycle_milli_days(const ami_mdm_tz *tz, int64_t cs, int64_t ce) {
  int64_t total = 0;
  int64_t d1 = ami_mdm_tz_local_day(tz, ce - 1);
  for (int64_t d = ami_mdm_tz_local_day(tz, cs); d <= d1; d++) {
    int64_t ds = ami_mdm_tz_day_start(tz, d),
            de = ami_mdm_tz_day_start(tz, d + 1);
    int64_t lo = ds > cs ? ds : cs, hi = de < ce ? de : ce;
    if (lo == ds && hi == de) {
      total += 1000;
    } else {
      int64_t md = 0;
      (void)ami_mdm_muldiv_round(hi - lo, 1000, de - ds, &md);
      total += md;
    }
  }
  return total;
}

static int check_usage(const ami_mdm_tariff *t, const ami_mdm_usage *u) {
  if (u == NULL || u->import == NULL || u->n == 0 || u->interval_s < 60 ||
      u->interval_s > 86400 || 86400 % u->interval_s != 0 ||
      u->start % (int64_t)u->interval_s != 0 ||
      u->n > AMI_MDM_BILL_MAX_INTERVALS)
    return AMI_E_INVAL;
  int rc = ami_mdm_tariff_check(t);
  if (rc != AMI_OK)
    return rc;
  for (unsigned k = 0; k < t->n_demand; k++)
    if (t->demand[k].interval_s % u->interval_s != 0)
      return AMI_E_INCONSISTENT;
  return AMI_OK;
}

/* Walk the intervals once: netting windows, tiers, demand windows. */
static int determinants(const ami_mdm_tariff *t, const ami_mdm_usage *u,
                        ami_mdm_determinants *det) {
  acc a;
  memset(&a, 0, sizeof a);
  a.t = t;
  a.det = det;
  int64_t key = 0;
  bool use_export = u->export_ != NULL;
  ami_mdm_tariff_cursor cur;
  memset(&cur, 0, sizeof cur);
  cur.t = t;
  for (size_t i = 0; i < u->n; i++) {
    int64_t t0 = u->start + (int64_t)i * u->interval_s;
    int64_t imp, exp = 0;
    int rc = interval_value(&u->import[i], det, &imp);
    if (rc == AMI_OK && use_export)
      rc = interval_value(&u->export_[i], det, &exp);
    if (rc != AMI_OK)
      return rc;
    det->n_intervals++;
    det->import_mwh += imp;
    det->export_mwh += exp;
    if (t->netting == AMI_MDM_NET_NONE)
      exp = 0;
    unsigned s, p;
    int64_t lday;
    ami_mdm_tariff_classify_at(&cur, t0, &s, NULL, &p, &lday);
    int64_t k = t->netting == AMI_MDM_NET_DAY     ? lday
                : t->netting == AMI_MDM_NET_CYCLE ? 0
                                                  : (int64_t)i;
    if (a.open && k != key)
      window_flush(&a, t0);
    key = k;
    a.imp[s][p] += imp;
    a.exp[s][p] += exp;
    a.open = true;
    for (unsigned d = 0; d < t->n_demand; d++) {
      int64_t w = t0 / (int64_t)t->demand[d].interval_s;
      if (a.dopen[d] && w != a.dwin[d])
        demand_close(&a, d);
      if (!a.dopen[d]) {
        a.dopen[d] = true;
        a.dwin[d] = w;
        a.denergy[d] = 0;
      }
      a.denergy[d] += imp;
    }
  }
  int64_t end = u->start + (int64_t)u->n * u->interval_s;
  window_flush(&a, end);
  for (unsigned d = 0; d < t->n_demand; d++)
    demand_close(&a, d);
  det->net_mwh = det->import_mwh - det->export_mwh;
  det->days_milli = cycle_milli_days(&t->tz, u->start, end);
  return AMI_OK;
}

/* ---------------------------------------------------------------------- */
/* Line items */

static int add_line(ami_mdm_bill *b, uint8_t cat, uint8_t unit, int64_t qty,
                    int64_t price, int64_t div, bool credit,
                    ami_mdm_line_item **out) {
  *out = NULL;
  if (b->n_lines >= AMI_MDM_BILL_MAX_LINES)
    return AMI_E_LIMIT;
  ami_mdm_line_item *l = &b->line[b->n_lines++];
  memset(l, 0, sizeof *l);
  l->category = cat;
  l->qty_unit = unit;
  l->quantity = qty;
  l->unit_price = price;
  int rc = ami_mdm_muldiv_round(qty, price, div, &l->amount);
  if (credit)
    l->amount = -l->amount;
  *out = l;
  return rc;
}

static text line_text(ami_mdm_line_item *l) {
  text x = {l->desc, sizeof l->desc, 0};
  l->desc[0] = '\0';
  return x;
}

static int energy_lines(const ami_mdm_tariff *t, ami_mdm_bill *b) {
  const ami_mdm_determinants *det = &b->det;
  ami_mdm_line_item *l;
  int rc;
  if (t->energy_kind == AMI_MDM_ENERGY_FLAT) {
    if ((rc = add_line(b, AMI_MDM_LINE_ENERGY, AMI_MDM_QTY_MWH,
                       det->billed_total_mwh, t->flat_price, ENERGY_DIV, false,
                       &l)) != AMI_OK)
      return rc;
    text x = line_text(l);
    text_str(&x, "Energy");
    return AMI_OK;
  }
  if (t->energy_kind == AMI_MDM_ENERGY_TIERED) {
    for (unsigned i = 0; i < t->n_tiers; i++) {
      if (det->tier_mwh[i] == 0)
        continue;
      if ((rc = add_line(b, AMI_MDM_LINE_ENERGY, AMI_MDM_QTY_MWH,
                         det->tier_mwh[i], t->tier[i].price, ENERGY_DIV, false,
                         &l)) != AMI_OK)
        return rc;
      text x = line_text(l);
      text_str(&x, "Energy tier ");
      text_int(&x, (int64_t)i + 1);
    }
    return AMI_OK;
  }
  for (unsigned s = 0; s < t->n_seasons; s++)
    for (unsigned p = 0; p < t->n_periods; p++) {
      if (det->billed_mwh[s][p] == 0)
        continue;
      if ((rc = add_line(b, AMI_MDM_LINE_ENERGY, AMI_MDM_QTY_MWH,
                         det->billed_mwh[s][p], t->season[s].price[p],
                         ENERGY_DIV, false, &l)) != AMI_OK)
        return rc;
      text x = line_text(l);
      text_str(&x, "Energy ");
      text_str(&x, t->season[s].name);
      text_str(&x, " ");
      text_str(&x, t->period_name[p]);
    }
  return AMI_OK;
}

static int other_lines(const ami_mdm_tariff *t, ami_mdm_bill *b) {
  const ami_mdm_determinants *det = &b->det;
  ami_mdm_line_item *l;
  int rc;
  if (t->netting != AMI_MDM_NET_NONE && det->credited_total_mwh > 0) {
    if ((rc = add_line(b, AMI_MDM_LINE_EXPORT, AMI_MDM_QTY_MWH,
                       det->credited_total_mwh, t->export_price, ENERGY_DIV,
                       true, &l)) != AMI_OK)
      return rc;
    text x = line_text(l);
    text_str(&x, "Export credit");
  }
  for (unsigned k = 0; k < t->n_demand; k++) {
    const ami_mdm_demand_charge *dc = &t->demand[k];
    if ((rc = add_line(b, AMI_MDM_LINE_DEMAND, AMI_MDM_QTY_MW,
                       det->demand[k].max_mw, dc->price, ENERGY_DIV, false,
                       &l)) != AMI_OK)
      return rc;
    text x = line_text(l);
    text_str(&x, "Demand ");
    text_str(&x, dc->period < 0 ? "any time" : t->period_name[dc->period]);
    text_str(&x, " max ");
    text_int(&x, dc->interval_s / 60);
    text_str(&x, "-min");
  }
  if (t->daily_charge > 0) {
    if ((rc =
             add_line(b, AMI_MDM_LINE_FIXED, AMI_MDM_QTY_MDAYS, det->days_milli,
                      t->daily_charge, DAYS_DIV, false, &l)) != AMI_OK)
      return rc;
    text x = line_text(l);
    text_str(&x, "Daily supply charge");
  }
  return AMI_OK;
}

static int tax_lines(const ami_mdm_tariff *t, ami_mdm_bill *b) {
  unsigned n_base = b->n_lines;
  for (unsigned k = 0; k < t->n_taxes; k++) {
    int64_t base = 0;
    for (unsigned i = 0; i < n_base; i++)
      if ((t->tax[k].applies & (1u << b->line[i].category)) != 0 &&
          __builtin_add_overflow(base, b->line[i].amount, &base))
        return AMI_E_RANGE;
    ami_mdm_line_item *l;
    int rc = add_line(b, AMI_MDM_LINE_TAX, AMI_MDM_QTY_CENTS, base,
                      t->tax[k].rate_ppm, 1000000, false, &l);
    if (rc != AMI_OK)
      return rc;
    text x = line_text(l);
    text_str(&x, t->tax[k].name);
  }
  return AMI_OK;
}

/* Exact sum of line amounts [i0, i1); AMI_E_RANGE on overflow. */
static int sum_lines(const ami_mdm_bill *b, unsigned i0, unsigned i1,
                     int64_t *out) {
  int64_t sum = 0;
  for (unsigned i = i0; i < i1; i++)
    if (__builtin_add_overflow(sum, b->line[i].amount, &sum))
      return AMI_E_RANGE;
  *out = sum;
  return AMI_OK;
}

int ami_mdm_bill_compute(const ami_mdm_tariff *t, const ami_mdm_usage *u,
                         ami_mdm_bill *out) {
  int rc = check_usage(t, u);
  if (rc != AMI_OK)
    return rc;
  memset(out, 0, sizeof *out);
  out->start = u->start;
  out->end = u->start + (int64_t)u->n * u->interval_s;
  memcpy(out->currency, t->currency, sizeof out->currency);
  out->currency[3] = '\0';
  if ((rc = determinants(t, u, &out->det)) != AMI_OK ||
      (rc = energy_lines(t, out)) != AMI_OK ||
      (rc = other_lines(t, out)) != AMI_OK)
    return rc;
  unsigned first_tax = out->n_lines;
  if ((rc = sum_lines(out, 0, first_tax, &out->subtotal)) != AMI_OK ||
      (rc = tax_lines(t, out)) != AMI_OK ||
      (rc = sum_lines(out, first_tax, out->n_lines, &out->tax_total)) != AMI_OK)
    return rc;
  if (__builtin_add_overflow(out->subtotal, out->tax_total, &out->total))
    return AMI_E_RANGE;
  return AMI_OK;
}

/* ---------------------------------------------------------------------- */
/* Rebilling */

static bool same_line(const ami_mdm_line_item *a, const ami_mdm_line_item *b) {
  return a->category == b->category && strcmp(a->desc, b->desc) == 0;
}

/* The line of `b` matching line `idx` of `of`: same category and
 * description, and the same occurrence number among such lines (two demand
 * charges may read alike; both bills list them in tariff order). */
static const ami_mdm_line_item *
find_line(const ami_mdm_bill *b, const ami_mdm_bill *of, unsigned idx) {
  const ami_mdm_line_item *l = &of->line[idx];
  unsigned occ = 0;
  for (unsigned i = 0; i < idx; i++)
    occ += same_line(&of->line[i], l);
  for (unsigned i = 0; i < b->n_lines; i++)
    if (same_line(&b->line[i], l) && occ-- == 0)
      return &b->line[i];
  return NULL;
}

static int adj_line(ami_mdm_bill *adj, const ami_mdm_line_item *like,
                    int64_t dq, int64_t da) {
  if (dq == 0 && da == 0)
    return AMI_OK;
  if (adj->n_lines >= AMI_MDM_BILL_MAX_LINES)
    return AMI_E_LIMIT;
  ami_mdm_line_item *l = &adj->line[adj->n_lines++];
  *l = *like;
  l->quantity = dq;
  l->amount = da;
  return AMI_OK;
}

int ami_mdm_rebill(const ami_mdm_tariff *t, const ami_mdm_bill *old,
                   const ami_mdm_usage *u, ami_mdm_bill *new_bill,
                   ami_mdm_bill *adjustment) {
  if (old == NULL || u == NULL || new_bill == NULL || adjustment == NULL)
    return AMI_E_INVAL;
  if (u->start != old->start ||
      u->start + (int64_t)u->n * u->interval_s != old->end)
    return AMI_E_INCONSISTENT;
  int rc = ami_mdm_bill_compute(t, u, new_bill);
  if (rc != AMI_OK)
    return rc;
  memset(adjustment, 0, sizeof *adjustment);
  adjustment->start = old->start;
  adjustment->end = old->end;
  memcpy(adjustment->currency, new_bill->currency, sizeof adjustment->currency);
  for (unsigned i = 0; i < new_bill->n_lines && rc == AMI_OK; i++) {
    const ami_mdm_line_item *nl = &new_bill->line[i];
    const ami_mdm_line_item *ol = find_line(old, new_bill, i);
    rc = adj_line(adjustment, nl, nl->quantity - (ol ? ol->quantity : 0),
                  nl->amount - (ol ? ol->amount : 0));
  }
  for (unsigned i = 0; i < old->n_lines && rc == AMI_OK; i++)
    if (find_line(new_bill, old, i) == NULL)
      rc = adj_line(adjustment, &old->line[i], -old->line[i].quantity,
                    -old->line[i].amount);
  adjustment->subtotal = new_bill->subtotal - old->subtotal;
  adjustment->tax_total = new_bill->tax_total - old->tax_total;
  adjustment->total = new_bill->total - old->total;
  return rc;
}

/* ---------------------------------------------------------------------- */
/* Prepaid */

static int ledger_add(ami_mdm_prepaid *p, int64_t t, uint8_t kind,
                      int64_t amount, const char *ref) {
  if (p->n >= p->cap)
    return AMI_E_BUFFER_FULL;
  int64_t bal;
  if (__builtin_add_overflow(p->balance, amount, &bal))
    return AMI_E_RANGE;
  ami_mdm_ledger_entry *e = &p->ledger[p->n++];
  memset(e, 0, sizeof *e);
  e->t = t;
  e->kind = kind;
  e->amount = amount;
  e->balance = bal;
  if (ref != NULL) {
    size_t n = strlen(ref);
    if (n > sizeof e->ref - 1)
      n = sizeof e->ref - 1;
    memcpy(e->ref, ref, n);
  }
  p->balance = bal;
  return AMI_OK;
}

int ami_mdm_prepaid_init(ami_mdm_prepaid *p, ami_mdm_ledger_entry *ledger,
                         size_t cap, int64_t t, int64_t opening,
                         int64_t low_threshold, int64_t emergency_credit) {
  memset(p, 0, sizeof *p);
  p->ledger = ledger;
  p->cap = cap;
  p->low_threshold = low_threshold;
  p->emergency_credit = emergency_credit;
  return ledger_add(p, t, AMI_MDM_LEDGER_OPEN, opening, "opening balance");
}

int ami_mdm_prepaid_topup(ami_mdm_prepaid *p, int64_t t, int64_t amount,
                          const char *ref) {
  if (amount <= 0)
    return AMI_E_INVAL;
  return ledger_add(p, t, AMI_MDM_LEDGER_TOPUP, amount, ref);
}

int ami_mdm_prepaid_adjust(ami_mdm_prepaid *p, int64_t t, int64_t amount,
                           const char *ref) {
  return ledger_add(p, t, AMI_MDM_LEDGER_ADJUST, amount, ref);
}

int ami_mdm_prepaid_charge(ami_mdm_prepaid *p, const ami_mdm_tariff *t,
                           const ami_mdm_usage *day, ami_mdm_bill *day_bill) {
  ami_mdm_bill local;
  memset(&local, 0, sizeof local);
  ami_mdm_bill *b = day_bill != NULL ? day_bill : &local;
  if (p->n >= p->cap)
    return AMI_E_BUFFER_FULL;
  int rc = ami_mdm_bill_compute(t, day, b);
  if (rc != AMI_OK)
    return rc;
  return ledger_add(p, b->end, AMI_MDM_LEDGER_CHARGE, -b->total,
                    "daily charges");
}

ami_mdm_prepaid_state ami_mdm_prepaid_status(const ami_mdm_prepaid *p) {
  if (p->balance < -p->emergency_credit)
    return AMI_MDM_PREPAID_EXHAUSTED;
  if (p->balance < 0)
    return AMI_MDM_PREPAID_EMERGENCY;
  if (p->balance < p->low_threshold)
    return AMI_MDM_PREPAID_LOW;
  return AMI_MDM_PREPAID_CREDIT;
}
