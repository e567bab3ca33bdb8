/*
 * Retry timing for provider calls: exponential backoff with full jitter drawn from a
 * per-thread generator, and the Retry-After header in both of its forms. Pure
 * functions of their arguments; the caller does the sleeping.
 */
#ifndef WK_LLM_RETRY_H
#define WK_LLM_RETRY_H

#include <stdint.h>

/* A small generator (splitmix64). Not for secrets; one per thread, never shared. */
struct wk_prng {
    uint64_t state;
};

/* Seeds prng from getrandom(2), falling back to the clock and the address of prng. */
void wk_prng_seed(struct wk_prng *prng);

/* Returns the next 64 random bits. */
uint64_t wk_prng_next(struct wk_prng *prng);

/* Returns a number in [0, bound]; bound 0 returns 0. */
int64_t wk_prng_upto(struct wk_prng *prng, int64_t bound);

/*
 * Returns the delay before retry number retry (1 = the first retry) with full jitter:
 * a uniform draw from [0, min(max_ms, base_ms * 2^(retry - 1))]. Never negative, never
 * above max_ms; base_ms and max_ms below 1 count as 1.
 */
int64_t wk_backoff_ms(struct wk_prng *prng, int retry, int64_t base_ms, int64_t max_ms);

/*
 * Parses a Retry-After value (RFC 9110 section 10.2.3): delta-seconds, or an HTTP-date
 * in IMF-fixdate, obsolete RFC 850 or asctime form, which is turned into a delay from
 * now_wall_ms (milliseconds since the epoch). Surrounding white space is ignored. A date
 * in the past gives 0. Returns the delay in milliseconds, or -1 when value is not
 * valid; huge delta-seconds values saturate at INT64_MAX / 2.
 */
int64_t wk_retry_after_parse(const char *value, int64_t now_wall_ms);

#endif
