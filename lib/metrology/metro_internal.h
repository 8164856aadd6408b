/*
 * metro_internal.h -- functions shared by the two files of the metrology
 * engine (signal path in ami_metrology.c; windows, events, registers and
 * readout in ami_metrology_out.c). Not a public interface.
 */
#ifndef AMI_METRO_INTERNAL_H
#define AMI_METRO_INTERNAL_H

#include "ami/ami_metrology.h"

#define AMI_METRO_PI 3.14159265358979323846

/* Turns the 10/12-cycle window sums into the readout values and restarts
 * the window (IEC 61000-4-7 §4.4 grouping; IEC 61000-4-30 §5.1 frequency). */
void ami__metro_finish_window(ami_metrology *m);

/* Ends a half cycle of phase p: its 1-cycle RMS refreshed each half cycle,
 * then the sag, swell and interruption state machine (IEC 61000-4-30
 * §5.4). */
void ami__metro_half_cycle(ami_metrology *m, unsigned p);

#endif
