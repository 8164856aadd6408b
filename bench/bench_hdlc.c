/*
 * bench_hdlc.c -- HDLC deframing (IEC 62056-46): 1 MiB of back-to-back
 * frames of the largest size fed to the streaming deframer in 1500-byte
 * chunks (a TCP segment), with HCS and FCS checked; and the same stream fed
 * one byte per call (a serial port). Also the wrapper deframer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_hdlc.h"
#include "ami/ami_wrapper.h"
#include "bench.h"

typedef struct hdlc_job {
  uint8_t *stream;
  size_t len;
  size_t chunk;
  size_t frames_expected;
  ami_hdlc_deframer d;
  ami_wrapper_deframer wd;
  int err;
} hdlc_job;

static void run_hdlc(void *arg) {
  hdlc_job *j = arg;
  ami_hdlc_deframer_reset(&j->d);
  size_t frames = 0, off = 0;
  while (off < j->len) {
    size_t n = j->len - off < j->chunk ? j->len - off : j->chunk;
    size_t c = 0;
    for (;;) {
      ami_hdlc_frame f;
      size_t used = 0;
      int rc =
          ami_hdlc_deframer_feed(&j->d, j->stream + off + c, n - c, &used, &f);
      c += used;
      if (rc == AMI_E_AGAIN)
        break;
      if (rc != AMI_OK)
        j->err = rc;
      frames++;
    }
    off += n;
  }
  if (frames != j->frames_expected)
    j->err = AMI_E_INCONSISTENT;
}

static void run_wrapper(void *arg) {
  hdlc_job *j = arg;
  size_t frames = 0, off = 0;
  while (off < j->len) {
    size_t n = j->len - off < j->chunk ? j->len - off : j->chunk;
    size_t c = 0;
    for (;;) {
      ami_wrapper_pdu p;
      size_t used = 0;
      int rc = ami_wrapper_deframer_feed(&j->wd, j->stream + off + c, n - c,
                                         &used, &p);
      c += used;
      if (rc == AMI_E_AGAIN)
        break;
      if (rc != AMI_OK) {
        j->err = rc;
        return;
      }
      frames++;
    }
    off += n;
  }
  if (frames != j->frames_expected)
    j->err = AMI_E_INCONSISTENT;
}

static int report(const char *what, hdlc_job *j, void (*fn)(void *)) {
  j->err = 0;
  fn(j);
  if (j->err) {
    fprintf(stderr, "bench_hdlc: %s failed: %s\n", what, ami_strerror(j->err));
    return 1;
  }
  double t = bench_best(fn, j, bench_calibrate(fn, j, 0.1), 5);
  char o[32];
  snprintf(o, sizeof o, "%.0f MB/s", (double)j->len / t / 1e6);
  bench_row(what, o, "-", "-");
  return 0;
}

int bench_hdlc(void) {
  static hdlc_job j;
  size_t cap = (1u << 20) + 4096;
  j.stream = malloc(cap);
  uint8_t *info = malloc(AMI_HDLC_MAX_INFO);
  if (!j.stream || !info)
    return 1;
  for (size_t i = 0; i < AMI_HDLC_MAX_INFO; i++)
    info[i] = (uint8_t)(i * 13 + 1);
  ami_wr w;
  ami_wr_init(&w, j.stream, cap);
  ami_hdlc_frame f;
  memset(&f, 0, sizeof f);
  f.dst = ami_hdlc_addr_client(0x10);
  f.src = ami_hdlc_addr_server(1, 17);
  f.info = ami_span_make(info, 2000);
  j.frames_expected = 0;
  while (w.len + 2100 < (1u << 20)) {
    f.control =
        ami_hdlc_control_make(AMI_HDLC_I, j.frames_expected & 7, 0, true);
    f.segmented = true;
    if (ami_hdlc_frame_encode(&w, &f) != AMI_OK)
      return 1;
    j.frames_expected++;
  }
  j.len = w.len;
  ami_hdlc_deframer_init(&j.d, 0);
  int rc = 0;
  j.chunk = 1500;
  rc |= report("HDLC deframing, 2 KB frames, 1500 B chunks", &j, run_hdlc);
  j.chunk = 1;
  rc |= report("HDLC deframing, same, 1 byte per call", &j, run_hdlc);

  /* The same volume as wrapper PDUs of 2000-byte APDUs. */
  ami_wr_init(&w, j.stream, cap);
  ami_wrapper_pdu p = {1, 16, ami_span_make(info, 2000)};
  j.frames_expected = 0;
  while (w.len + 2100 < (1u << 20)) {
    if (ami_wrapper_encode(&w, &p) != AMI_OK)
      return 1;
    j.frames_expected++;
  }
  j.len = w.len;
  j.chunk = 1500;
  ami_wrapper_deframer_init(&j.wd, 65535, NULL);
  rc |= report("wrapper deframing, 2 KB APDUs, 1500 B chunks", &j, run_wrapper);
  ami_wrapper_deframer_free(&j.wd);
  free(info);
  free(j.stream);
  return rc;
}
