/*
 * cmd_mdm_bill.c -- `ami mdm bill` and `ami mdm export`.
 *
 *  bill    CURRENT over [from, to) -> ami_mdm_bill_compute with a tariff
 *          file (plugins/json); money printed from integer minor units.
 *  export  CURRENT as a Green Button ESPI feed or as CSV (the CSV the
 *          importer reads: key,interval end,kWh,quality).
 * (Separate from cmd_mdm_vee.c: ami_mdm_vee.h and ami_mdm_tariff.h both
 * define enum ami_mdm_day_type, so one file cannot include both.)
 */
#include <stdlib.h>
#include <string.h>

#include "ami/ami_err.h"
#include "ami/ami_mdm_bill.h"
#include "ami/ami_mdm_greenbutton.h"
#include "ami/ami_mdm_tariff_json.h"
#include "ami_cli.h"
#include "mdm_cli.h"

/* ---- bill --------------------------------------------------------------- */

/* Quantity of a line in its natural unit. */
static void qty_text(const ami_mdm_line_item *l, char *b, size_t cap) {
  int64_t q = l->quantity;
  uint64_t a = q < 0 ? (uint64_t)0 - (uint64_t)q : (uint64_t)q;
  const char *s = q < 0 ? "-" : "";
  switch (l->qty_unit) {
  case AMI_MDM_QTY_MWH:
  case AMI_MDM_QTY_MW:
    snprintf(b, cap, "%s%llu.%06llu %s", s, (unsigned long long)(a / 1000000),
             (unsigned long long)(a % 1000000),
             l->qty_unit == AMI_MDM_QTY_MWH ? "kWh" : "kW");
    break;
  case AMI_MDM_QTY_MDAYS:
    snprintf(b, cap, "%s%llu.%03llu days", s, (unsigned long long)(a / 1000),
             (unsigned long long)(a % 1000));
    break;
  default:
    ami_mdm_cli_money(q, b, cap);
  }
}

/* Unit price: micro-units per unit, or ppm for a tax. */
static void price_text(const ami_mdm_line_item *l, char *b, size_t cap) {
  int64_t p = l->unit_price;
  if (l->qty_unit == AMI_MDM_QTY_CENTS) {
    snprintf(b, cap, "%lld.%04lld %%", (long long)(p / 10000),
             (long long)(p % 10000));
    return;
  }
  static const char *const per[] = {"/kWh", "/kW", "/day"};
  snprintf(b, cap, "%s%lld.%06lld%s", p < 0 ? "-" : "",
           (long long)(p < 0 ? -p : p) / 1000000,
           (long long)(p < 0 ? -p : p) % 1000000, per[l->qty_unit % 3]);
}

static json_t *money_json(int64_t minor) {
  char b[48];
  ami_mdm_cli_money(minor, b, sizeof b);
  return json_string(b);
}

static void print_bill(const ami_mdm_bill *b, const ami_mdm_tariff *t,
                       const char *channel, bool json) {
  char f[32], l[32], q[48], p[48], m[48];
  ami_mdm_cli_iso(b->start, f, sizeof f);
  ami_mdm_cli_iso(b->end, l, sizeof l);
  static const char *const cat[] = {"energy", "demand", "fixed", "export",
                                    "tax"};
  if (json) {
    json_t *o = json_object(), *lines = json_array();
    json_object_set_new(o, "tariff", json_string(t->name));
    json_object_set_new(o, "channel", json_string(channel));
    json_object_set_new(o, "currency", json_string(b->currency));
    json_object_set_new(o, "start", json_string(f));
    json_object_set_new(o, "end", json_string(l));
    json_object_set_new(o, "import_mwh", json_integer(b->det.import_mwh));
    json_object_set_new(o, "intervals", json_integer(b->det.n_intervals));
    json_object_set_new(o, "missing", json_integer(b->det.n_missing));
    json_object_set_new(o, "estimated", json_integer(b->det.n_estimated));
    for (unsigned i = 0; i < b->n_lines; i++) {
      const ami_mdm_line_item *li = &b->line[i];
      json_t *x = json_object();
      json_object_set_new(x, "desc", json_string(li->desc));
      json_object_set_new(x, "category", json_string(cat[li->category % 5]));
      qty_text(li, q, sizeof q);
      json_object_set_new(x, "quantity", json_string(q));
      json_object_set_new(x, "quantity_raw", json_integer(li->quantity));
      json_object_set_new(x, "unit_price_raw", json_integer(li->unit_price));
      json_object_set_new(x, "amount", money_json(li->amount));
      json_object_set_new(x, "amount_minor", json_integer(li->amount));
      json_array_append_new(lines, x);
    }
    json_object_set_new(o, "lines", lines);
    json_object_set_new(o, "subtotal", money_json(b->subtotal));
    json_object_set_new(o, "tax_total", money_json(b->tax_total));
    json_object_set_new(o, "total", money_json(b->total));
    json_object_set_new(o, "total_minor", json_integer(b->total));
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s)
      puts(s);
    free(s);
    json_decref(o);
    return;
  }
  printf("Bill: %s\nChannel: %s\nPeriod: %s .. %s\n", t->name, channel, f, l);
  ami_mdm_cli_money(0, m, sizeof m);
  printf("Intervals: %u (%u missing billed as zero, %u estimated)\n\n",
         b->det.n_intervals, b->det.n_missing, b->det.n_estimated);
  printf("%-40s %20s %20s %14s\n", "item", "quantity", "unit price", "amount");
  for (unsigned i = 0; i < b->n_lines; i++) {
    const ami_mdm_line_item *li = &b->line[i];
    qty_text(li, q, sizeof q);
    price_text(li, p, sizeof p);
    ami_mdm_cli_money(li->amount, m, sizeof m);
    printf("%-40s %20s %20s %10s %s\n", li->desc, q, p, m, b->currency);
  }
  ami_mdm_cli_money(b->subtotal, m, sizeof m);
  printf("%-40s %20s %20s %10s %s\n", "subtotal", "", "", m, b->currency);
  ami_mdm_cli_money(b->tax_total, m, sizeof m);
  printf("%-40s %20s %20s %10s %s\n", "taxes", "", "", m, b->currency);
  ami_mdm_cli_money(b->total, m, sizeof m);
  printf("%-40s %20s %20s %10s %s\n", "TOTAL", "", "", m, b->currency);
}

int ami_mdm_cmd_bill(int argc, char **argv) {
  ami_mdm_cli_opts_t o;
  if (ami_mdm_cli_opts("bill", argc, argv, &o) != 0)
    return 2;
  if (!o.tariff || !o.channel || !o.have_from) {
    fprintf(stderr, "usage: ami mdm bill --db FILE --tariff FILE.json "
                    "--channel ID --from DATE --to DATE [--json]\n");
    return 2;
  }
  static ami_mdm_tariff t;
  char err[256];
  int rc = ami_mdm_tariff_json_load_file(o.tariff, &t, err, sizeof err);
  if (rc != AMI_OK) {
    fprintf(stderr, "ami mdm bill: %s: %s\n", o.tariff,
            rc == AMI_E_IO ? "cannot read" : err);
    return 1;
  }
  ami_mdm_store st;
  if (ami_mdm_cli_open(o.db, false, &st) != 0)
    return 1;
  uint64_t ch;
  ami_mdm_channel_info c;
  int64_t t0, t1;
  ami_mdm_interval *v = NULL;
  size_t n = 0;
  rc = ami_mdm_cli_channel(&st, o.channel, &ch, &c);
  if (rc == 0 && (c.unit != AMI_MDM_UNIT_WH || c.kind != AMI_MDM_DELTA)) {
    fprintf(stderr, "ami mdm bill: channel %s is not Wh interval energy\n",
            o.channel);
    rc = -1;
  }
  if (rc == 0)
    rc = ami_mdm_cli_range(NULL, &o, &c, &t0, &t1);
  if (rc == 0) {
    v = ami_mdm_cli_read(&st, ch, t0, t1, c.interval_s, AMI_MDM_CURRENT, &n);
    rc = v ? 0 : -1;
  }
  if (rc == 0 && c.multiplier_milli != 1000)
    for (size_t i = 0; i < n; i++)
      v[i].value = v[i].value * c.multiplier_milli / 1000;
  static ami_mdm_bill b;
  if (rc == 0) {
    ami_mdm_usage u = {t0, c.interval_s, n, v, NULL};
    int e = ami_mdm_bill_compute(&t, &u, &b);
    if (e != AMI_OK) {
      fprintf(stderr, "ami mdm bill: %s\n", ami_strerror(e));
      rc = -1;
    }
  }
  if (rc == 0)
    print_bill(&b, &t, o.channel, o.json);
  free(v);
  ami_mdm_store_close(&st);
  return rc == 0 ? 0 : 1;
}

/* ---- export ------------------------------------------------------------- */

/* The CSV the importer reads back: key,interval end,kWh,quality. */
static int write_csv(FILE *f, const char *key, int64_t t0, uint32_t iv,
                     const ami_mdm_interval *v, size_t n) {
  static const char q[] = {'A', 'E', 'S', 'F', 'N', 'V'};
  fputs("id,timestamp,kwh,quality\n", f);
  for (size_t i = 0; i < n; i++) {
    char ts[32];
    ami_mdm_cli_iso(t0 + (int64_t)(i + 1) * iv, ts, sizeof ts);
    if (v[i].quality == AMI_MDM_Q_MISSING) {
      fprintf(f, "%s,%s,,N\n", key, ts);
      continue;
    }
    int64_t x = v[i].value;
    uint64_t a = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
    fprintf(f, "%s,%s,%s%llu.%06llu,%c", key, ts, x < 0 ? "-" : "",
            (unsigned long long)(a / 1000000),
            (unsigned long long)(a % 1000000), q[v[i].quality % 6]);
    if (v[i].method && v[i].quality != AMI_MDM_Q_ACTUAL)
      fprintf(f, "%u", v[i].method);
    fputc('\n', f);
  }
  return ferror(f) ? -1 : 0;
}

int ami_mdm_cmd_export(int argc, char **argv) {
  ami_mdm_cli_opts_t o;
  if (ami_mdm_cli_opts("export", argc, argv, &o) != 0)
    return 2;
  bool gb = o.format && !strcmp(o.format, "greenbutton");
  if (!o.channel || !o.format || (!gb && strcmp(o.format, "csv"))) {
    fprintf(stderr, "usage: ami mdm export --db FILE --channel ID [--from "
                    "DATE --to DATE] --format greenbutton|csv [--out FILE] "
                    "[--tz ZONE]\n");
    return 2;
  }
  ami_mdm_tz tz = {.kind = AMI_MDM_TZ_FIXED};
  if (o.tz && ami_mdm_cli_tz(o.tz, &tz) != 0)
    return 2;
  ami_mdm_store st;
  if (ami_mdm_cli_open(o.db, false, &st) != 0)
    return 1;
  sqlite3 *db = ami_mdm_cli_db(o.db);
  uint64_t ch;
  ami_mdm_channel_info c;
  int64_t t0 = 0, t1 = 0;
  ami_mdm_interval *v = NULL;
  size_t n = 0;
  int rc = db ? ami_mdm_cli_channel(&st, o.channel, &ch, &c) : -1;
  if (rc == 0 && (rc = ami_mdm_cli_range(db, &o, &c, &t0, &t1)) > 0) {
    fprintf(stderr, "ami mdm export: channel %s holds no data\n", o.channel);
    rc = -1;
  }
  if (rc == 0) {
    v = ami_mdm_cli_read(&st, ch, t0, t1, c.interval_s, AMI_MDM_CURRENT, &n);
    rc = v ? 0 : -1;
  }
  FILE *f = stdout;
  if (rc == 0 && o.out && !(f = fopen(o.out, "wb"))) {
    fprintf(stderr, "ami mdm export: %s: cannot write\n", o.out);
    rc = -1;
  }
  if (rc == 0 && !gb) {
    rc = write_csv(f, o.channel, t0, c.interval_s, v, n);
  } else if (rc == 0) {
    ami_dynbuf out;
    ami_dynbuf_init(&out, (size_t)1 << 31, NULL);
    char title[300];
    snprintf(title, sizeof title, "Channel %s", o.channel);
    ami_mdm_gb_export x = {0};
    x.customer_id = c.meter_id;
    x.feed_title = "OpenAMI Green Button export";
    x.usage_point_title = title;
    x.reading_title = "Interval energy";
    x.updated = t1; /* deterministic: the end of the data */
    x.service = AMI_MDM_GB_ELECTRICITY;
    x.channel = &c;
    x.tz = &tz;
    x.start = t0;
    x.n = n;
    x.values = v;
    int e = ami_mdm_greenbutton_write(&out, &x);
    if (e != AMI_OK) {
      fprintf(stderr, "ami mdm export: %s\n", ami_strerror(e));
      rc = -1;
    } else if (fwrite(out.p, 1, out.len, f) != out.len) {
      rc = -1;
    }
    ami_dynbuf_free(&out);
  }
  if (f != stdout && f && fclose(f) != 0)
    rc = -1;
  free(v);
  sqlite3_close(db);
  ami_mdm_store_close(&st);
  return rc == 0 ? 0 : 1;
}
