/*
 * The worker's HTTP endpoint on WORKER_HTTP_ADDR:WORKER_HTTP_PORT (libmicrohttpd,
 * one internal thread). GET /healthz returns 200 while the process runs, GET /readyz
 * 200 only when PostgreSQL answers, the consumer is connected to the broker and no
 * drain has begun (else 503 naming what is down), GET /metrics the Prometheus text.
 */
#ifndef WK_HEALTH_H
#define WK_HEALTH_H

#include <stdatomic.h>
#include <stddef.h>

#include "common/config.h"
#include "common/err.h"
#include "worker/consume.h"
#include "worker/metrics.h"

struct wk_health;

/*
 * Starts listening. cfg, consumer, metrics and is_draining are borrowed and must
 * outlive the endpoint. WORKER_HTTP_PORT 0 starts nothing and stores NULL in *out.
 * Returns CV_EUNAVAIL with a reason in errbuf when the address cannot be bound.
 */
enum cv_err wk_health_start(const struct cv_config *cfg, const struct wk_consumer *consumer,
                            struct wk_metrics *metrics, const atomic_int *is_draining,
                            struct wk_health **out, char *errbuf, size_t errbuf_len);

/* Stops listening, waiting for a request in progress, and frees. NULL is a no-op. */
void wk_health_stop(struct wk_health *health);

#endif
