/*
 * ami_test_mdm.h -- test helpers for the MDM modules: the committed sample of
 * real London half-hourly data (tests/data/lcl-london-sample.csv).
 */
#ifndef AMI_TEST_MDM_H
#define AMI_TEST_MDM_H

#include <stddef.h>
#include <stdint.h>

/* One reading of the sample: household index (0, 1, 2 in file order), the
 * interval END as UTC seconds (the file names intervals by their start and
 * is GMT throughout), and the energy in milli-Wh. */
typedef struct ami_test_mdm_reading {
  int household;
  int64_t t_end;
  int64_t value_mwh;
} ami_test_mdm_reading;

/* Loads the sample from $AMI_SOURCE_DIR/tests/data. Returns owned memory
 * (free with free()) and the count in *n, or NULL when the file cannot be
 * read (the caller skips). Fails the test on a malformed line. */
ami_test_mdm_reading *ami_test_mdm_london(size_t *n);

#endif /* AMI_TEST_MDM_H */
