/* Monotonic and wall-clock time in milliseconds. */
#ifndef CV_CLOCK_H
#define CV_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC, for durations and deadlines. */
int64_t cv_clock_mono_ms(void);

/* Milliseconds since the Unix epoch, for timestamps only. */
int64_t cv_clock_wall_ms(void);

/* Sleeps ms milliseconds, resuming after signals. */
void cv_clock_sleep_ms(int64_t ms);

#endif
