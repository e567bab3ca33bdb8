/*
 * A thread that calls one function at a fixed interval until stopped, for the
 * heartbeat and the sweeper. Stopping wakes it at once instead of waiting out the
 * interval.
 */
#ifndef WK_TICKER_H
#define WK_TICKER_H

#include <stdint.h>

#include "common/err.h"

struct wk_ticker;

/* Called on the ticker's thread; arg is the one given to wk_ticker_start(). */
typedef void (*wk_ticker_fn)(void *arg);

/*
 * Starts a thread that calls tick(arg) every interval_ms, the first time after one
 * interval. SIGTERM, SIGINT and SIGPIPE are blocked on it. Stores the handle in *out.
 * Returns CV_ENOMEM when the thread cannot be created.
 */
enum cv_err wk_ticker_start(wk_ticker_fn tick, void *arg, int64_t interval_ms,
                            struct wk_ticker **out);

/*
 * Stops the ticker, waits for a tick in progress to return, joins the thread and
 * frees the handle. NULL is a no-op.
 */
void wk_ticker_stop(struct wk_ticker *ticker);

#endif
