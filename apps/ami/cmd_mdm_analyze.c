/*
 * cmd_mdm_analyze.c -- `ami mdm analyze`: the analytics of
 * include/ami/ami_mdm_analytics.h over the store, per channel and across
 * the channels analysed:
 *   - monthly aggregates (energy, peak demand and its time, load factor);
 *   - anomaly scores (sustained drop, zero consumption while supplied --
 *     only when the meter's power events are stored --, reverse flow,
 *     tamper) with their evidence;
 *   - outages from power-down/power-up events and missing reads, and the
 *     feeder-level ones (many meters at once);
 *   - a backtest of the day-ahead forecast methods on the last 7 days
 *     (WAPE, MAPE) and the forecast of the day after the data.
 * Reads the CURRENT version (validated and estimated data).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_err.h"
#include "ami/ami_mdm_analytics.h"
#include "ami_cli.h"
#include "mdm_cli.h"

#define MAX_OUTAGES 4096

typedef struct ev_list {
  ami_mdm_event *p;
  size_t n, cap;
} ev_list;

static int ev_cb(void *ud, const ami_mdm_event *e) {
  ev_list *l = ud;
  if (l->n == l->cap) {
    size_t c = l->cap ? l->cap * 2 : 64;
    ami_mdm_event *q = realloc(l->p, c * sizeof *q);
    if (!q)
      return AMI_E_NOMEM;
    l->p = q, l->cap = c;
  }
  l->p[l->n++] = *e;
  return 0;
}

static void kwh(int64_t milli_wh, char *b, size_t cap) {
  snprintf(b, cap, "%.3f", (double)milli_wh / 1e6);
}

typedef struct all_outages {
  ami_mdm_outage o[MAX_OUTAGES];
  size_t n;
} all_outages;

static int analyze_channel(ami_mdm_store *st, sqlite3 *db,
                           const ami_mdm_cli_opts_t *o, uint64_t ch,
                           const ami_mdm_tz *tz, all_outages *outs) {
  ami_mdm_channel_info c;
  if (ami_mdm_store_get_channel(st, ch, &c) != AMI_OK)
    return -1;
  int64_t t0, t1;
  int r = ami_mdm_cli_range(db, o, &c, &t0, &t1);
  if (r != 0)
    return r < 0 ? -1 : 0;
  size_t n = 0;
  ami_mdm_interval *v =
      ami_mdm_cli_read(st, ch, t0, t1, c.interval_s, AMI_MDM_CURRENT, &n);
  if (!v)
    return -1;
  ev_list ev = {NULL, 0, 0};
  int rc = ami_mdm_store_list_events(st, c.meter_id, t0, t1 + 1, ev_cb, &ev);
  if (rc != AMI_OK) {
    fprintf(stderr, "ami mdm analyze: events: %s\n", ami_strerror(rc));
    free(v);
    free(ev.p);
    return -1;
  }
  ami_mdm_series s = {t0 + (int64_t)c.interval_s, c.interval_s, v, n};
  char a[32], b[32], t[32];
  printf("channel %llu: %zu intervals of %u s, %s .. %s\n",
         (unsigned long long)ch, n, c.interval_s,
         (ami_mdm_cli_iso(t0, a, sizeof a), a),
         (ami_mdm_cli_iso(t1, b, sizeof b), b));

  /* Monthly aggregates. */
  ami_mdm_agg agg[64];
  size_t na = ami_mdm_aggregate(&s, tz, AMI_MDM_PERIOD_MONTH, agg, 64);
  printf("  %-10s %12s %10s %-20s %6s %s\n", "month", "energy kWh", "peak kW",
         "peak at", "LF", "notes");
  for (size_t i = 0; i < na && i < 64; i++) {
    ami_mdm_cli_iso(agg[i].start_t, a, sizeof a);
    a[7] = '\0';
    kwh(agg[i].sum, b, sizeof b);
    ami_mdm_cli_iso(agg[i].peak_t, t, sizeof t);
    double peak_kw = (double)agg[i].peak / 1e6 * 3600.0 / c.interval_s;
    printf("  %-10s %12s %10.3f %-20s %6.3f %s%s\n", a, b, peak_kw, t,
           agg[i].load_factor_milli / 1000.0,
           agg[i].flags & AMI_MDM_AGG_INCOMPLETE ? "incomplete " : "",
           agg[i].flags & AMI_MDM_AGG_ESTIMATED ? "has estimates" : "");
  }

  /* Anomalies. */
  ami_mdm_anomaly_params ap;
  ami_mdm_anomaly_params_default(&ap);
  ami_mdm_anomaly_input in;
  memset(&in, 0, sizeof in);
  in.import = s;
  in.net_metered = c.net_metered;
  in.events = ev.p;
  in.n_events = ev.n;
  in.tz = tz;
  uint8_t *supply = NULL;
  if (ev.n) { /* the supply series from power-down/up events */
    supply = malloc(n ? n : 1);
    if (supply && ami_mdm_supply_from_events(ev.p, ev.n, s.t0, s.interval_s,
                                             supply, n) == AMI_OK)
      in.supply = supply;
  }
  ami_mdm_anomaly an;
  rc = ami_mdm_anomaly_score(&ap, &in, &an, NULL);
  if (rc == AMI_OK) {
    printf("  anomaly scores (0..1): drop %.3f  zero-with-supply %s  "
           "reverse %.3f  tamper %.3f\n",
           an.score_drop / 1000.0,
           an.flags & AMI_MDM_ANOM_NO_SUPPLY
               ? "n/a (no power events)"
               : (snprintf(t, sizeof t, "%.3f", an.score_zero / 1000.0), t),
           an.score_reverse / 1000.0, an.score_tamper / 1000.0);
    if (!(an.flags & AMI_MDM_ANOM_NO_HISTORY))
      printf("    daily median: baseline %.3f kWh, recent %.3f kWh "
             "(ratio %.2f)%s\n",
             an.baseline_median / 1e6, an.recent_median / 1e6,
             an.ratio_milli / 1000.0,
             an.flags & AMI_MDM_ANOM_CUSUM ? ", CUSUM alarm" : "");
  } else {
    printf("  anomaly scores: %s\n", ami_strerror(rc));
  }

  /* Outages. */
  ami_mdm_outage_params op;
  ami_mdm_outage_params_default(&op);
  int err = AMI_OK;
  size_t room = MAX_OUTAGES - outs->n;
  size_t no = ami_mdm_outages_meter(&op, c.meter_id, ev.p, ev.n, &s,
                                    outs->o + outs->n, room, &err);
  size_t kept = no < room ? no : room;
  printf("  outages: %zu\n", no);
  for (size_t i = 0; i < kept && i < 5; i++) {
    const ami_mdm_outage *x = &outs->o[outs->n + i];
    ami_mdm_cli_iso(x->start, a, sizeof a);
    printf("    %s for %lld min (%s)\n", a,
           (long long)((x->end - x->start) / 60),
           x->flags & AMI_MDM_OUT_EVENTS ? "power events" : "missing reads");
  }
  outs->n += kept;

  /* Forecasts: backtest on the last 7 local days, then the next day. */
  int64_t last_day = ami_mdm_tz_local_day(tz, t1 - 1);
  size_t per_day = 86400 / c.interval_s + 4;
  ami_mdm_interval *fc = malloc(per_day * sizeof *fc);
  if (fc && last_day - 7 > ami_mdm_tz_local_day(tz, t0) + 14) {
    printf("  day-ahead forecast, backtest on the last 7 days:\n");
    for (int m = 0; m < AMI_MDM_FC_COUNT; m++) {
      ami_mdm_fc_params fp;
      ami_mdm_fc_params_default(&fp, (ami_mdm_fc_method)m);
      ami_mdm_fc_err e;
      ami_mdm_fc_err_init(&e, 10000); /* MAPE floor: 10 Wh */
      for (int64_t d = last_day - 6; d <= last_day; d++) {
        size_t k = 0;
        if (ami_mdm_forecast_day(&fp, &s, tz, d, fc, per_day, &k) != AMI_OK)
          continue;
        int64_t start = ami_mdm_tz_day_start(tz, d);
        size_t off = (size_t)((start - t0) / c.interval_s);
        if (start < t0 || off + k > n)
          continue;
        ami_mdm_fc_err_add_series(&e, v + off, fc, k);
      }
      printf("    %-32s WAPE %6.1f %%  MAPE %6.1f %%\n",
             ami_mdm_fc_method_name(m), ami_mdm_fc_wape(&e),
             ami_mdm_fc_mape(&e));
    }
    ami_mdm_fc_params fp;
    ami_mdm_fc_params_default(&fp, AMI_MDM_FC_DAYTYPE_AVG);
    size_t k = 0;
    if (ami_mdm_forecast_day(&fp, &s, tz, last_day + 1, fc, per_day, &k) ==
        AMI_OK) {
      int64_t sum = 0;
      for (size_t i = 0; i < k; i++)
        if (ami_mdm_usable(&fc[i]))
          sum += fc[i].value;
      kwh(sum, b, sizeof b);
      ami_mdm_cli_iso(ami_mdm_tz_day_start(tz, last_day + 1), a, sizeof a);
      a[10] = '\0';
      printf("  forecast for %s (%s): %s kWh\n", a,
             ami_mdm_fc_method_name(AMI_MDM_FC_DAYTYPE_AVG), b);
    }
  } else if (fc) {
    printf("  day-ahead forecast: needs at least three weeks of data\n");
  }
  free(fc);
  free(supply);
  free(v);
  free(ev.p);
  return 0;
}

int ami_mdm_cmd_analyze(int argc, char **argv) {
  ami_mdm_cli_opts_t o;
  if (ami_mdm_cli_opts("analyze", argc, argv, &o) != 0)
    return 2;
  if (!o.channel && !o.all) {
    fprintf(stderr, "ami mdm analyze: give --channel ID or --all\n");
    return 2;
  }
  ami_mdm_tz tz = {.kind = AMI_MDM_TZ_FIXED};
  if (o.tz && ami_mdm_cli_tz(o.tz, &tz) != 0)
    return 2;
  ami_mdm_store st;
  if (ami_mdm_cli_open(o.db, false, &st) != 0)
    return 1;
  sqlite3 *db = ami_mdm_cli_db(o.db);
  uint64_t *ids = NULL, one = 0;
  size_t n = 0;
  int rc = ami_mdm_cli_targets(&st, db, &o, &ids, &one, &n);
  static all_outages outs;
  outs.n = 0;
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = analyze_channel(&st, db, &o, ids ? ids[i] : one, &tz, &outs);
  if (rc == 0 && n > 1) {
    ami_mdm_outage_params op;
    ami_mdm_outage_params_default(&op);
    ami_mdm_feeder_outage fo[64];
    size_t nf = ami_mdm_outages_aggregate(&op, outs.o, outs.n, fo, 64);
    printf("feeder-level outages (>= %u meters within %u s): %zu\n",
           op.min_meters, op.window_s, nf);
  }
  free(ids);
  if (db)
    sqlite3_close(db);
  ami_mdm_store_close(&st);
  return rc == 0 ? 0 : 1;
}
