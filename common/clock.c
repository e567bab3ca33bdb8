/* Time helpers over clock_gettime(2). */
#include <errno.h>
#include <time.h>

#include "common/clock.h"

static int64_t
read_ms(clockid_t clock)
{
    struct timespec ts;

    (void)clock_gettime(clock, &ts); /* only fails for an invalid clock id */
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
cv_clock_mono_ms(void)
{
    return read_ms(CLOCK_MONOTONIC);
}

int64_t
cv_clock_wall_ms(void)
{
    return read_ms(CLOCK_REALTIME);
}

void
cv_clock_sleep_ms(int64_t ms)
{
    struct timespec left;

    if (ms <= 0) {
        return;
    }
    left.tv_sec = (time_t)(ms / 1000);
    left.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
        /* resume with the remaining time */
    }
}
