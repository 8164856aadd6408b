/*
 * fuzz_mdm_tariff.c -- the JSON tariff loader on hostile text, and the
 * billing engine on whatever tariff it accepts.
 *
 * Oracles for every accepted tariff: it passes ami_mdm_tariff_check; a
 * fixed two-day usage (import and export, 15-minute values) bills without
 * error; the bill adds up (total = subtotal + taxes = sum of the lines);
 * netting conserves energy (billed - credited = import - export with net
 * metering, billed = import without); and rebilling the same data gives an
 * empty adjustment.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_err.h"
#include "ami/ami_mdm_bill.h"
#include "ami/ami_mdm_tariff_json.h"

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c))                                                                  \
      __builtin_trap();                                                        \
  } while (0)

#define N (2 * 96)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static ami_mdm_tariff t;
  static ami_mdm_bill b, nb, adj;
  static ami_mdm_interval imp[N], exp[N];
  char err[256];
  if (ami_mdm_tariff_json_loads((const char *)data, size, &t, err,
                                sizeof err) != AMI_OK)
    return 0;
  CHECK(ami_mdm_tariff_check(&t) == AMI_OK);
  /* 2026-03-28 00:00Z, two days across the EU spring-forward */
  for (size_t i = 0; i < N; i++) {
    imp[i] = (ami_mdm_interval){
        (int64_t)((i * 7919) % 2000) * 1000,
        (uint8_t)(i % 13 == 0 ? AMI_MDM_Q_MISSING : AMI_MDM_Q_ACTUAL), 0, 0};
    exp[i] = (ami_mdm_interval){(int64_t)((i * 104729) % 1500) * 1000,
                                AMI_MDM_Q_ACTUAL, 0, 0};
  }
  ami_mdm_usage u = {1774656000, 900, N, imp, exp};
  CHECK(ami_mdm_bill_compute(&t, &u, &b) == AMI_OK);
  int64_t sum = 0, tax = 0;
  for (unsigned i = 0; i < b.n_lines; i++) {
    if (b.line[i].category == AMI_MDM_LINE_TAX)
      tax += b.line[i].amount;
    else
      sum += b.line[i].amount;
  }
  CHECK(sum == b.subtotal && tax == b.tax_total);
  CHECK(b.total == b.subtotal + b.tax_total);
  if (t.netting == AMI_MDM_NET_NONE)
    CHECK(b.det.billed_total_mwh == b.det.import_mwh);
  else
    CHECK(b.det.billed_total_mwh - b.det.credited_total_mwh == b.det.net_mwh);
  CHECK(ami_mdm_rebill(&t, &b, &u, &nb, &adj) == AMI_OK);
  CHECK(adj.n_lines == 0 && adj.total == 0 && nb.total == b.total);
  return 0;
}
