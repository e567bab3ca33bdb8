/*
 * Definitions of the evaluator's process-wide and per-thread state, shared by the
 * files of worker/llm/ and opaque to the rest of the worker (see llm.h).
 */
#ifndef WK_LLM_STATE_H
#define WK_LLM_STATE_H

#include <curl/curl.h>

#include "common/buf.h"
#include "common/config.h"
#include "worker/llm/documents.h"
#include "worker/llm/prompt.h"
#include "worker/llm/provider.h"
#include "worker/llm/retry.h"

/* Largest request body sent to a provider, in bytes: prompts stay far below it. */
#define WK_LLM_REQUEST_MAX_LEN (4u * 1024 * 1024)

/* Largest rendered message, in bytes. */
#define WK_LLM_MESSAGE_MAX_LEN (2u * 1024 * 1024)

/* Reusable message buffers of one thread. */
enum wk_llm_slot {
    WK_SLOT_SYSTEM = 0,     /* system message */
    WK_SLOT_USER,           /* the step's user message */
    WK_SLOT_ANSWER,         /* the previous reply, replayed in a repair request */
    WK_SLOT_REPAIR,         /* the repair request */
    WK_SLOT_CONTEXT_A,      /* retrieved passages, rendered */
    WK_SLOT_CONTEXT_B,      /* retrieved passages, rendered */
    WK_SLOT_DOCUMENT,       /* the candidate's document, delimited */
    WK_SLOT_RESULT_A,       /* a finished step's result, for the summary */
    WK_SLOT_RESULT_B,       /* a finished step's result, for the summary */
    WK_SLOT_COUNT
};

struct wk_llm {
    const struct cv_config *cfg;                              /* borrowed */
    struct wk_prompts       prompts;                          /* read-only after start */
    struct wk_provider      providers[CV_LLM_PROVIDERS_MAX];  /* in fallback order */
    int                     provider_count;
    char                   *embeddings_url;   /* owned, NULL = full-text retrieval only */
};

struct wk_llm_thread {
    struct wk_llm     *llm;                                /* borrowed */
    CURL              *curl;                               /* owned */
    struct wk_prng     prng;
    struct curl_slist *headers[CV_LLM_PROVIDERS_MAX];      /* owned, per provider */
    struct curl_slist *embeddings_headers;                 /* owned, NULL without one */
    struct cv_buf      request;                            /* request body */
    struct cv_buf      reply;                              /* reply body, LLM_MAX_REPLY_BYTES */
    struct cv_buf      slots[WK_SLOT_COUNT];
    struct wk_doc_cache doc_cache;                         /* default documents seen */
};

#endif
