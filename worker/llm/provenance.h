/*
 * The provenance record of an LLM evaluation: which path ran, the provider and model
 * of each step, prompt version, sampling settings, calls with their status and
 * latency, token usage where the provider reported it, and the retrieved passages.
 * Stored inside the result and shown by GET /v1/result/{id}.
 */
#ifndef WK_LLM_PROVENANCE_H
#define WK_LLM_PROVENANCE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "worker/llm/documents.h"
#include "worker/llm/failover.h"
#include "worker/llm/retrieval.h"
#include "worker/llm/state.h"

/* Everything the record is made from; all borrowed. */
struct wk_provenance_input {
    const struct wk_llm           *llm;
    const struct wk_step_record   *steps;        /* WK_STEP_COUNT records */
    const struct wk_retrieval     *retrieval;
    const struct wk_job_documents *docs;
    int                            is_cv_cut;       /* the CV was cut to fit the prompt */
    int                            is_project_cut;  /* the report was cut likewise */
    int64_t                        latency_ms;      /* whole evaluation */
};

/* Builds the record. Returns a new object the caller frees, or NULL on ENOMEM. */
cJSON *wk_provenance_build(const struct wk_provenance_input *input);

#endif
