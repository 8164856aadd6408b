/*
 * cmd_mdm_vee.c -- `ami mdm vee`: RAW -> ami_mdm_vee_validate ->
 * ami_mdm_vee_estimate; every slot whose final value differs from raw (an
 * estimate, or a value left VALIDATION_FAILED) is written as a new version,
 * one write per estimation method so that the audit trail's reason names
 * it (who "ami mdm vee"). Re-running writes nothing new: the store skips
 * slots whose CURRENT value would not change.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ami/ami_err.h"
#include "ami/ami_mdm_vee.h"
#include "ami_cli.h"
#include "mdm_cli.h"

/* ---- vee ---------------------------------------------------------------- */

typedef struct vee_totals {
  ami_mdm_vee_summary val;
  ami_mdm_est_summary est;
  size_t channels, written;
} vee_totals;

typedef struct grow {
  void *p;
  size_t n, cap, size;
} grow;

static void *grow_push(grow *g) {
  if (g->n == g->cap) {
    size_t c = g->cap ? g->cap * 2 : 64;
    void *q = realloc(g->p, c * g->size);
    if (!q)
      return NULL;
    g->p = q, g->cap = c;
  }
  return (char *)g->p + g->size * g->n++;
}

static int reg_cb(void *ud, const ami_mdm_register_read *r) {
  ami_mdm_register_read *d = grow_push(ud);
  if (!d)
    return AMI_E_NOMEM;
  *d = *r;
  return 0;
}

static int ev_cb(void *ud, const ami_mdm_event *e) {
  ami_mdm_event *d = grow_push(ud);
  if (!d)
    return AMI_E_NOMEM;
  *d = *e;
  return 0;
}

static const char *method_name(unsigned m) {
  switch (m) {
  case AMI_MDM_M_LIKE_DAY:
    return "prior period (like day)";
  case AMI_MDM_M_AVG_LIKE_DAY:
    return "average like day";
  case AMI_MDM_M_LINEAR:
    return "linear interpolation";
  case AMI_MDM_M_ZERO:
    return "zero (disconnected)";
  case AMI_MDM_M_DATA_SCALING:
    return "scaled to register reads";
  case AMI_MDM_M_CUSTOMER_CLASS:
    return "class profile";
  default:
    return "none";
  }
}

/* Writes the slots of fin that are estimates or failures and differ from
 * CURRENT (cur), one version per method (method 0 = left
 * VALIDATION_FAILED). Returns the slots written, or -1. */
static long write_versions(ami_mdm_store *st, uint64_t ch, int64_t t0,
                           uint32_t iv, const ami_mdm_interval *cur,
                           const ami_mdm_interval *fin, size_t n,
                           const char *cls) {
  static const unsigned methods[] = {0,
                                     AMI_MDM_M_ZERO,
                                     AMI_MDM_M_LINEAR,
                                     AMI_MDM_M_AVG_LIKE_DAY,
                                     AMI_MDM_M_LIKE_DAY,
                                     AMI_MDM_M_CUSTOMER_CLASS,
                                     AMI_MDM_M_DATA_SCALING};
  ami_mdm_edit_value *v = malloc((n ? n : 1) * sizeof *v);
  if (!v)
    return -1;
  long total = 0;
  for (size_t k = 0; k < sizeof methods / sizeof methods[0]; k++) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
      bool est = fin[i].quality == AMI_MDM_Q_ESTIMATED;
      bool failed = fin[i].quality == AMI_MDM_Q_VALIDATION_FAILED;
      if (!(est && fin[i].method == methods[k]) && !(failed && k == 0))
        continue;
      if (fin[i].quality == cur[i].quality && fin[i].value == cur[i].value &&
          fin[i].method == cur[i].method)
        continue; /* CURRENT already says so (a re-run) */
      v[m++] = (ami_mdm_edit_value){t0 + (int64_t)(i + 1) * iv, fin[i]};
    }
    if (m == 0)
      continue;
    char why[160];
    if (k == 0)
      snprintf(why, sizeof why, "VEE %s: failed validation, not estimated",
               cls);
    else
      snprintf(why, sizeof why, "VEE %s: estimated by %s (AEMO method %u)", cls,
               method_name(methods[k]), methods[k]);
    ami_mdm_edit e = {ch, (int64_t)time(NULL), "ami mdm vee", why};
    int rc = ami_mdm_store_write_version(st, &e, v, m);
    if (rc != AMI_OK) {
      fprintf(stderr, "ami mdm vee: channel %llu: %s\n", (unsigned long long)ch,
              ami_strerror(rc));
      free(v);
      return -1;
    }
    total += (long)m;
  }
  free(v);
  return total;
}

/* VEE of one channel over its range. */
static int vee_channel(ami_mdm_store *st, sqlite3 *db,
                       const ami_mdm_cli_opts_t *o, uint64_t ch,
                       ami_mdm_vee_class cls, const ami_mdm_tz *tz,
                       vee_totals *tot) {
  ami_mdm_channel_info c;
  int rc = ami_mdm_store_get_channel(st, ch, &c);
  if (rc != AMI_OK)
    return -1;
  int64_t t0, t1;
  int r = ami_mdm_cli_range(db, o, &c, &t0, &t1);
  if (r != 0)
    return r < 0 ? -1 : 0;
  uint32_t iv = c.interval_s;
  size_t n = 0, hn = 0;
  int64_t h0 = t0 - 28 * 86400;
  ami_mdm_interval *raw = ami_mdm_cli_read(st, ch, t0, t1, iv, AMI_MDM_RAW, &n);
  ami_mdm_interval *cur =
      ami_mdm_cli_read(st, ch, t0, t1, iv, AMI_MDM_CURRENT, &n);
  ami_mdm_interval *hist =
      ami_mdm_cli_read(st, ch, h0, t0, iv, AMI_MDM_CURRENT, &hn);
  ami_mdm_interval *val = malloc((n ? n : 1) * sizeof *val);
  ami_mdm_interval *fin = malloc((n ? n : 1) * sizeof *fin);
  static ami_mdm_vee_failure fail[4096];
  grow regs = {NULL, 0, 0, sizeof(ami_mdm_register_read)};
  grow evs = {NULL, 0, 0, sizeof(ami_mdm_event)};
  rc = raw && cur && hist && val && fin ? AMI_OK : AMI_E_NOMEM;
  if (rc == AMI_OK)
    rc = ami_mdm_store_list_registers(st, ch, t0, t1 + 1, reg_cb, &regs);
  if (rc == AMI_OK)
    rc = ami_mdm_store_list_events(st, c.meter_id, t0, t1 + 1, ev_cb, &evs);
  ami_mdm_vee_params p;
  ami_mdm_vee_params_default(&p, cls);
  ami_mdm_est_params ep;
  ami_mdm_est_params_default(&ep);
  /* VEE's grid names interval i by its end t0 + i * interval_s */
  ami_mdm_vee_input in = {&c,     t0 + iv, raw,   n,     h0 + iv, hist, hn,
                          regs.p, regs.n,  evs.p, evs.n, tz,      NULL, 0};
  ami_mdm_vee_summary vs;
  ami_mdm_est_summary es;
  if (rc == AMI_OK)
    rc = ami_mdm_vee_validate(&p, &in, val, fail, 4096, &vs);
  if (rc == AMI_OK)
    rc = ami_mdm_vee_estimate(&ep, &in, val, fin, &es);
  long w = -1;
  if (rc == AMI_OK)
    w = write_versions(st, ch, t0, iv, cur, fin, n,
                       cls == AMI_MDM_CLASS_NET_METERED ? "net"
                                                        : "residential");
  else
    fprintf(stderr, "ami mdm vee: channel %llu: %s\n", (unsigned long long)ch,
            ami_strerror(rc));
  if (w >= 0) {
    tot->channels++;
    tot->written += (size_t)w;
    tot->val.n += vs.n;
    tot->val.present += vs.present;
    tot->val.failed += vs.failed;
    tot->val.warnings += vs.warnings;
    for (int k = 0; k < AMI_MDM_RULE_COUNT; k++)
      tot->val.by_rule[k] += vs.by_rule[k];
    tot->est.to_estimate += es.to_estimate;
    tot->est.estimated += es.estimated;
    tot->est.unestimated += es.unestimated;
    tot->est.zero += es.zero;
    tot->est.linear += es.linear;
    tot->est.avg_like_day += es.avg_like_day;
    tot->est.prior_period += es.prior_period;
    tot->est.profile += es.profile;
    tot->est.scaled += es.scaled;
  }
  free(raw);
  free(cur);
  free(hist);
  free(val);
  free(fin);
  free(regs.p);
  free(evs.p);
  return w >= 0 ? 0 : -1;
}

int ami_mdm_cmd_vee(int argc, char **argv) {
  ami_mdm_cli_opts_t o;
  if (ami_mdm_cli_opts("vee", argc, argv, &o) != 0)
    return 2;
  if (!o.channel && !o.all) {
    fprintf(stderr, "ami mdm vee: give --channel ID or --all\n");
    return 2;
  }
  ami_mdm_vee_class cls = AMI_MDM_CLASS_RESIDENTIAL_IMPORT;
  if (o.cls && !strcmp(o.cls, "net"))
    cls = AMI_MDM_CLASS_NET_METERED;
  else if (o.cls && strcmp(o.cls, "residential")) {
    fprintf(stderr, "ami mdm vee: --class residential|net\n");
    return 2;
  }
  ami_mdm_tz tz = {.kind = AMI_MDM_TZ_FIXED};
  if (o.tz && ami_mdm_cli_tz(o.tz, &tz) != 0)
    return 2;
  ami_mdm_store st;
  if (ami_mdm_cli_open(o.db, false, &st) != 0)
    return 1;
  sqlite3 *db = ami_mdm_cli_db(o.db);
  uint64_t *ids = NULL, one;
  size_t n = 0;
  int rc = ami_mdm_cli_targets(&st, db, &o, &ids, &one, &n);
  vee_totals tot;
  memset(&tot, 0, sizeof tot);
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = vee_channel(&st, db, &o, ids ? ids[i] : one, cls, &tz, &tot);
  if (rc == 0) {
    printf("VEE (%s rules) over %zu channel(s): %u intervals judged, %u "
           "present, %u failed, %u warnings\n",
           cls == AMI_MDM_CLASS_NET_METERED ? "net-metered" : "residential",
           tot.channels, tot.val.n, tot.val.present, tot.val.failed,
           tot.val.warnings);
    printf("per rule:\n");
    for (int k = 1; k < AMI_MDM_RULE_COUNT; k++)
      if (tot.val.by_rule[k])
        printf("  %-16s %u\n", ami_mdm_rule_name(k), tot.val.by_rule[k]);
    printf("per method (AEMO flag): to estimate %u, estimated %u, left "
           "unestimated %u\n",
           tot.est.to_estimate, tot.est.estimated, tot.est.unestimated);
    const struct {
      unsigned m;
      uint32_t c;
    } ms[] = {{AMI_MDM_M_ZERO, tot.est.zero},
              {AMI_MDM_M_LINEAR, tot.est.linear},
              {AMI_MDM_M_AVG_LIKE_DAY, tot.est.avg_like_day},
              {AMI_MDM_M_LIKE_DAY, tot.est.prior_period},
              {AMI_MDM_M_CUSTOMER_CLASS, tot.est.profile},
              {AMI_MDM_M_DATA_SCALING, tot.est.scaled}};
    for (size_t k = 0; k < sizeof ms / sizeof ms[0]; k++)
      if (ms[k].c)
        printf("  %-26s (%2u) %u\n", method_name(ms[k].m), ms[k].m, ms[k].c);
    printf("written: %zu slot(s) as a new version (who \"ami mdm vee\")%s\n",
           tot.written, tot.written ? "" : "; nothing changed");
  }
  free(ids);
  sqlite3_close(db);
  ami_mdm_store_close(&st);
  return rc == 0 ? 0 : 1;
}
