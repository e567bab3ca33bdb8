/*
 * Request handlers, one per route. Each one reads what it needs from req and always
 * leaves a complete response in req->res, errors included. main.c sends it and writes
 * the request's log line.
 */
#ifndef API_HANDLERS_H
#define API_HANDLERS_H

#include "fcgi/request.h"

/* Milliseconds /readyz waits for the broker's reply to a metadata request. */
#define API_READY_BROKER_TIMEOUT_MS 1000

/* POST /v1/upload: multipart fields cv and project, extracted and stored together. */
void api_handle_upload(struct api_request *req);

/* POST /v1/evaluate: creates a queued job, honouring Idempotency-Key. */
void api_handle_evaluate(struct api_request *req);

/* GET and HEAD /v1/result/{id}: the job's state, with ETag and If-None-Match. */
void api_handle_result(struct api_request *req);

/* GET and HEAD /healthz: 200 while the process serves requests. */
void api_handle_healthz(struct api_request *req);

/* GET and HEAD /readyz: checks the database and the broker. */
void api_handle_readyz(struct api_request *req);

/* GET /metrics: the shared counters of every responder of the host. */
void api_handle_metrics(struct api_request *req);

#endif
