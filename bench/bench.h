/*
 * bench.h -- a tiny harness: monotonic time, repeat-until-stable timing and
 * a table printer. Benchmarks print; they never pass or fail.
 */
#ifndef AMI_BENCH_H
#define AMI_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* Seconds from a monotonic clock. */
double bench_now(void);

/* Calls fn(arg) `iters` times per sample, takes `samples` samples, returns
 * the best (lowest) seconds per call: the least-disturbed measurement. */
double bench_best(void (*fn)(void *), void *arg, long iters, int samples);

/* Picks an iteration count so one sample lasts about `target` seconds. */
long bench_calibrate(void (*fn)(void *), void *arg, double target);

/* Keep the optimiser from deleting work whose result is otherwise unused. */
void bench_consume(uint64_t v);

void bench_row(const char *what, const char *ours, const char *peer,
               const char *ratio);

/* Sections, each returns 0 on success. */
int bench_axdr_rows(void);
int bench_gcm(void);
int bench_hdlc(void);
int bench_session(void);
int bench_sim(void);
int bench_metrology(void);
int bench_mdm_store(void);
int bench_mdm_bill(void);
int bench_emu(void);

#endif
