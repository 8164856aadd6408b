/*
 * ami_mdm_bill.h -- the MDM billing engine: interval data + a tariff ->
 * billing determinants, line items, taxes and a total; rebilling with an
 * adjustment; prepaid balance accounting with a ledger.
 *
 * Everything is integer arithmetic on caller memory (no allocation, no
 * I/O). Units are those of ami_mdm_tariff.h: energy milli-Wh, demand
 * milli-W, prices micro-units, money in minor units (cents).
 *
 * RULES (each stated once, here):
 *  - Cycle. A bill covers exactly the span of its usage data,
 *    [usage.start, usage.start + n * interval_s). A partial cycle is simply
 *    a shorter span.
 *  - Intervals. Value i covers [start + i*interval_s, start +
 *    (i+1)*interval_s) and is named by its END (ami_mdm.h). An interval
 *    belongs to the season, day type and TOU period that contain its START
 *    in LOCAL time (ami_mdm_tariff_classify), so the 07:00-07:15 interval is
 *    in the period that begins at 07:00. Across a DST change the local clock
 *    jumps; the interval still goes by the local time of its start.
 *  - Missing values (quality MISSING) count as zero and are reported in
 *    det.n_missing; ESTIMATED and SUBSTITUTED values bill as given and are
 *    counted in det.n_estimated (a later rebill replaces them).
 *  - Netting (net metering). Within each netting window -- one interval,
 *    one local day, or the whole cycle -- import and export are netted per
 *    (season, TOU period) bucket; a positive net is billed import, a
 *    negative net is credited export at tariff.export_price. Without net
 *    metering export is reported but not credited.
 *  - Tiers apply to the cycle's billed import in time order (by netting
 *    window); the window that crosses a bound is split exactly, to the
 *    milli-Wh, between the two tiers, and the bound's crossing time is kept.
 *    Tier bounds are per cycle as written in the tariff, not prorated for a
 *    partial cycle.
 *  - Demand. Import energy is summed over windows of demand.interval_s
 *    aligned on multiples of it in UTC (= local for whole and half-hour
 *    offsets); kW = energy * 3600 / window length. A window belongs to the
 *    TOU period of its start; the charge is on the cycle maximum, not
 *    prorated for partial cycles.
 *  - Fixed daily charge. Each local calendar day fully inside the cycle
 *    counts 1000 milli-days; a partly covered day counts
 *    covered_seconds * 1000 / length_of_that_local_day (23, 24 or 25 h),
 *    rounded half-even. Amount = milli-days * daily_charge / 1000.
 *  - Rounding. Each line item amount (quantity * unit price) and each tax is
 *    rounded ONCE to a whole minor unit, half to even; subtotal, tax total
 *    and total are exact sums of rounded lines (ami_mdm_muldiv_round).
 *  - Taxes are a percentage (ppm) of the sum of the line items in the
 *    categories they select (never of other taxes).
 */
#ifndef AMI_MDM_BILL_H
#define AMI_MDM_BILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_mdm.h"
#include "ami/ami_mdm_tariff.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMI_MDM_BILL_MAX_LINES 56
/* Input limits that keep every sum exact in int64: a value above
 * 2^40 mWh (1.1 GWh in one interval) is AMI_E_RANGE, more than 2^22
 * intervals (8 years of minutes) AMI_E_INVAL. */
#define AMI_MDM_BILL_MAX_VALUE     (INT64_C(1) << 40)
#define AMI_MDM_BILL_MAX_INTERVALS ((size_t)1 << 22)
#define AMI_MDM_LINE_DESC_MAX      64

/* Unit of a line item's quantity. */
typedef enum ami_mdm_qty_unit {
  AMI_MDM_QTY_MWH = 0,   /* milli-Wh; unit price micro per kWh */
  AMI_MDM_QTY_MW = 1,    /* milli-W; unit price micro per kW */
  AMI_MDM_QTY_MDAYS = 2, /* milli-days; unit price micro per day */
  AMI_MDM_QTY_CENTS = 3  /* tax base in minor units; unit price in ppm */
} ami_mdm_qty_unit;

typedef struct ami_mdm_line_item {
  char desc[AMI_MDM_LINE_DESC_MAX];
  uint8_t category; /* ami_mdm_line_cat */
  uint8_t qty_unit; /* ami_mdm_qty_unit */
  int64_t quantity;
  int64_t unit_price;
  int64_t amount; /* minor units; negative for credits */
} ami_mdm_line_item;

typedef struct ami_mdm_demand_det {
  int64_t max_mw; /* maximum window demand, milli-W */
  int64_t t;      /* END (UTC) of the window where it occurred; 0 = none */
} ami_mdm_demand_det;

typedef struct ami_mdm_determinants {
  int64_t import_mwh; /* gross import in the cycle */
  int64_t export_mwh; /* gross export */
  int64_t net_mwh;    /* import - export */
  int64_t billed_mwh[AMI_MDM_TARIFF_MAX_SEASONS][AMI_MDM_TARIFF_MAX_PERIODS];
  int64_t credited_mwh[AMI_MDM_TARIFF_MAX_SEASONS][AMI_MDM_TARIFF_MAX_PERIODS];
  int64_t billed_total_mwh;   /* import after netting */
  int64_t credited_total_mwh; /* export after netting */
  int64_t tier_mwh[AMI_MDM_TARIFF_MAX_TIERS];
  int64_t tier_full_t[AMI_MDM_TARIFF_MAX_TIERS]; /* end of the window in
                                                    which the tier filled */
  ami_mdm_demand_det demand[AMI_MDM_TARIFF_MAX_DEMAND];
  int64_t days_milli;
  uint32_t n_intervals, n_missing, n_estimated;
} ami_mdm_determinants;

typedef struct ami_mdm_bill {
  int64_t start, end; /* the cycle, UTC [start, end) */
  char currency[4];
  ami_mdm_determinants det;
  uint8_t n_lines;
  ami_mdm_line_item line[AMI_MDM_BILL_MAX_LINES];
  int64_t subtotal;  /* sum of non-tax lines */
  int64_t tax_total; /* sum of tax lines */
  int64_t total;     /* subtotal + tax_total */
} ami_mdm_bill;

/* The usage of one cycle: import (and optionally export) delta energy per
 * interval, milli-Wh, already multiplied by the channel's CT/VT factor. */
typedef struct ami_mdm_usage {
  int64_t start;       /* UTC start of interval 0, a multiple of interval_s */
  uint32_t interval_s; /* divides 86400 */
  size_t n;
  const ami_mdm_interval *import;  /* borrows n values */
  const ami_mdm_interval *export_; /* borrows n values, or NULL */
} ami_mdm_usage;

/* Bill the usage under the tariff (rules above). Borrows t and u; fills
 * *out. AMI_E_INVAL (bad tariff, interval not dividing a day, start off the
 * grid, n == 0), AMI_E_INCONSISTENT (a demand window not a multiple of the
 * data interval), AMI_E_BAD_VALUE (a negative energy value), AMI_E_LIMIT
 * (more line items than AMI_MDM_BILL_MAX_LINES), AMI_E_RANGE (a value
 * above AMI_MDM_BILL_MAX_VALUE, or an amount overflowing int64). */
int ami_mdm_bill_compute(const ami_mdm_tariff *t, const ami_mdm_usage *u,
                         ami_mdm_bill *out);

/* Rebill a cycle after its data changed (an estimate replaced by an actual
 * value, an edit): computes *new_bill from `u`, which must cover exactly
 * old->start..old->end (else AMI_E_INCONSISTENT), and *adjustment, a bill
 * whose line items are the differences new - old per line (matched by
 * category and description; lines only in the old bill are negated; equal
 * lines are left out) and whose subtotal, tax_total and total are the
 * differences. Borrows all inputs; new_bill and adjustment may not alias
 * old. Errors as ami_mdm_bill_compute. */
int ami_mdm_rebill(const ami_mdm_tariff *t, const ami_mdm_bill *old,
                   const ami_mdm_usage *u, ami_mdm_bill *new_bill,
                   ami_mdm_bill *adjustment);

/* ---------------------------------------------------------------------- */
/* Prepaid accounting. The balance is in minor units; every change is one
 * ledger entry in a caller-provided array. */

typedef enum ami_mdm_ledger_kind {
  AMI_MDM_LEDGER_OPEN = 0,   /* opening balance */
  AMI_MDM_LEDGER_TOPUP = 1,  /* customer payment (+) */
  AMI_MDM_LEDGER_CHARGE = 2, /* a day's charges (-) */
  AMI_MDM_LEDGER_ADJUST = 3  /* correction (+/-), e.g. from a rebill */
} ami_mdm_ledger_kind;

typedef struct ami_mdm_ledger_entry {
  int64_t t;       /* UTC time of the entry */
  uint8_t kind;    /* ami_mdm_ledger_kind */
  int64_t amount;  /* signed change of the balance */
  int64_t balance; /* balance after this entry */
  char ref[32];    /* payment reference or description, NUL-terminated */
} ami_mdm_ledger_entry;

typedef enum ami_mdm_prepaid_state {
  AMI_MDM_PREPAID_CREDIT = 0,    /* balance >= low threshold */
  AMI_MDM_PREPAID_LOW = 1,       /* 0 <= balance < low threshold: warn */
  AMI_MDM_PREPAID_EMERGENCY = 2, /* in emergency credit: balance < 0 */
  AMI_MDM_PREPAID_EXHAUSTED = 3  /* below -emergency credit: disconnect */
} ami_mdm_prepaid_state;

typedef struct ami_mdm_prepaid {
  int64_t balance;
  int64_t low_threshold;        /* warn below this */
  int64_t emergency_credit;     /* allowed below zero before disconnection */
  ami_mdm_ledger_entry *ledger; /* borrowed array of `cap` entries */
  size_t cap, n;
} ami_mdm_prepaid;

/* Start an account with an opening balance (one OPEN entry). Borrows the
 * ledger array for the life of *p. AMI_E_BUFFER_FULL when cap == 0. */
int ami_mdm_prepaid_init(ami_mdm_prepaid *p, ami_mdm_ledger_entry *ledger,
                         size_t cap, int64_t t, int64_t opening,
                         int64_t low_threshold, int64_t emergency_credit);

/* Credit a payment (amount > 0, else AMI_E_INVAL). `ref` (may be NULL) is
 * copied, truncated to 31 bytes. AMI_E_BUFFER_FULL leaves *p unchanged. */
int ami_mdm_prepaid_topup(ami_mdm_prepaid *p, int64_t t, int64_t amount,
                          const char *ref);

/* A signed correction (e.g. the total of a rebill adjustment, negated:
 * a lower bill gives money back). */
int ami_mdm_prepaid_adjust(ami_mdm_prepaid *p, int64_t t, int64_t amount,
                           const char *ref);

/* Bill one day's usage (normally one local day: the daily charge, energy
 * and taxes of that day; tiers and demand then reset daily) and debit its
 * total as one CHARGE entry dated at the end of the usage. *day_bill (may
 * be NULL) receives the day's bill. Errors as ami_mdm_bill_compute, or
 * AMI_E_BUFFER_FULL (nothing changed). */
int ami_mdm_prepaid_charge(ami_mdm_prepaid *p, const ami_mdm_tariff *t,
                           const ami_mdm_usage *day, ami_mdm_bill *day_bill);

/* The account's state from its balance and thresholds. */
ami_mdm_prepaid_state ami_mdm_prepaid_status(const ami_mdm_prepaid *p);

#ifdef __cplusplus
}
#endif
#endif /* AMI_MDM_BILL_H */
