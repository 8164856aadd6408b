/*
 * ami_test_mdm.c -- loads the committed London sample for the MDM tests.
 */
#include "ami_test_mdm.h"

#include "ami_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_caltime.h"

/* "0.351" kWh (up to 3 decimals, leading blanks) -> 351000 milli-Wh. */
static int parse_kwh(const char *s, int64_t *out) {
  while (*s == ' ')
    s++;
  int64_t whole = 0, frac = 0;
  int nd = 0;
  if (*s < '0' || *s > '9')
    return -1;
  while (*s >= '0' && *s <= '9')
    whole = whole * 10 + (*s++ - '0');
  if (*s == '.') {
    s++;
    while (*s >= '0' && *s <= '9' && nd < 3) {
      frac = frac * 10 + (*s++ - '0');
      nd++;
    }
  }
  while (nd++ < 3)
    frac *= 10;
  *out = (whole * 1000 + frac) * 1000;
  return 0;
}

ami_test_mdm_reading *ami_test_mdm_london(size_t *n) {
  const char *dir = getenv("AMI_SOURCE_DIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/tests/data/lcl-london-sample.csv",
           dir ? dir : ".");
  size_t len;
  char *text = ami_test_read_file(path, &len);
  if (!text)
    return NULL;
  ami_test_mdm_reading *r = calloc(len / 20 + 1, sizeof *r);
  assert_non_null(r);
  size_t k = 0;
  char last_id[32] = "";
  int household = -1;
  char *save = NULL;
  strtok_r(text, "\n", &save); /* header */
  for (char *line = strtok_r(NULL, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char id[32];
    int y, mo, d, h, mi, s;
    char kwh[32];
    if (sscanf(line, "%31[^,],%d-%d-%d %d:%d:%d,%31[^\n]", id, &y, &mo, &d, &h,
               &mi, &s, kwh) != 8)
      fail_msg("bad sample line: %s", line);
    if (strcmp(id, last_id) != 0) {
      household++;
      snprintf(last_id, sizeof last_id, "%s", id);
    }
    int64_t days = ami_days_from_civil(y, (unsigned)mo, (unsigned)d);
    r[k].household = household;
    r[k].t_end = days * 86400 + h * 3600 + mi * 60 + s + 1800;
    if (parse_kwh(kwh, &r[k].value_mwh) != 0)
      fail_msg("bad energy: %s", line);
    k++;
  }
  free(text);
  *n = k;
  return r;
}
