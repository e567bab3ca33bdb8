/*
 * The ways an LLM evaluation fails, their job error codes, and the one table that maps
 * a provider call's transport error and HTTP status to them. The worker stores the
 * code in jobs.error_code and the mapping to a retry or a final failure stays in
 * worker/job.c.
 */
#ifndef WK_LLM_FAILURE_H
#define WK_LLM_FAILURE_H

#include <curl/curl.h>

#include "common/err.h"

enum wk_llm_code {
    WK_LLM_OK = 0,
    WK_LLM_UPSTREAM_TIMEOUT,        /* a call or the job deadline timed out */
    WK_LLM_UPSTREAM_RATE_LIMITED,   /* 429 past the retries, or no time left to wait */
    WK_LLM_UPSTREAM_UNAVAILABLE,    /* 5xx, connection failure, or every circuit open */
    WK_LLM_UPSTREAM_BAD_RESPONSE,   /* 2xx that is not a chat completion, or too large */
    WK_LLM_PROVIDER_MISCONFIGURED,  /* 4xx such as 400, 401, 403, 404; bad URL or TLS */
    WK_LLM_INVALID_MODEL_OUTPUT,    /* the reply failed the checks after one repair */
    WK_LLM_KNOWLEDGE_BASE_MISSING,  /* no reference passages: run cvctl kb-load */
    WK_LLM_DATABASE_UNAVAILABLE,    /* retrieval could not reach PostgreSQL */
    WK_LLM_CANCELLED,               /* the worker asked the run to stop (shutdown) */
    WK_LLM_INTERNAL,                /* out of memory or a bug */
    WK_LLM_CODE_COUNT
};

/* How one HTTP attempt against a provider ended. */
struct wk_llm_verdict {
    enum wk_llm_code code;          /* WK_LLM_OK for a 2xx reply read in full */
    int              is_retryable;  /* another attempt at the same provider may work */
};

/* Returns the job error code of code ("upstream_timeout"); never NULL. */
const char *wk_llm_code_name(enum wk_llm_code code);

/* Returns the enum cv_err a failure with code is reported as. */
enum cv_err wk_llm_code_err(enum wk_llm_code code);

/*
 * Classifies one attempt from curl's result, the HTTP status (0 = none) and whether the
 * body passed its maximum. Pure; see the table in failure.c and docs/llm.md.
 */
struct wk_llm_verdict wk_llm_classify(CURLcode curl_code, long status, int is_too_large);

#endif
