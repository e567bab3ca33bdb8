/* Building of the provenance JSON; the field list is in docs/llm.md. */
#include <string.h>

#include "worker/llm/provenance.h"
#include "worker/llm/step.h"

/* Retrieval queries whose passages reached each step's prompt. */
static const int step_queries[WK_STEP_COUNT][2] = {
    [WK_STEP_CV] = {WK_REF_CV_JOB, WK_REF_CV_RUBRIC},
    [WK_STEP_PROJECT] = {WK_REF_PROJECT_BRIEF, WK_REF_PROJECT_RUBRIC},
    [WK_STEP_SUMMARY] = {WK_REF_CV_JOB, -1},
};

static cJSON *
usage_json(const struct wk_chat_usage *usage)
{
    cJSON *obj;

    if (usage->prompt_tokens < 0 && usage->completion_tokens < 0 && usage->total_tokens < 0) {
        return cJSON_CreateNull();
    }
    obj = cJSON_CreateObject();
    if (obj == NULL) {
        return NULL;
    }
    if ((usage->prompt_tokens >= 0 &&
         cJSON_AddNumberToObject(obj, "prompt_tokens", (double)usage->prompt_tokens) == NULL) ||
        (usage->completion_tokens >= 0 &&
         cJSON_AddNumberToObject(obj, "completion_tokens", (double)usage->completion_tokens) ==
             NULL) ||
        (usage->total_tokens >= 0 &&
         cJSON_AddNumberToObject(obj, "total_tokens", (double)usage->total_tokens) == NULL)) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

/* Appends the ids of query's hits to list. Returns 0, or -1 on ENOMEM. */
static int
add_passage_ids(cJSON *list, const struct wk_retrieval *retrieval, int query)
{
    cJSON  *id;
    size_t  i;

    for (i = 0; i < retrieval->count[query]; i++) {
        id = cJSON_CreateNumber((double)retrieval->hits[retrieval->first[query] + i].id);
        if (id == NULL) {
            return -1;
        }
        cJSON_AddItemToArray(list, id);
    }
    return 0;
}

static cJSON *
calls_json(const struct wk_llm *llm, const struct wk_step_record *record)
{
    const struct wk_call_record *call;
    cJSON                       *list;
    cJSON                       *item;
    int                          i;

    list = cJSON_CreateArray();
    for (i = 0; list != NULL && i < record->call_count; i++) {
        call = &record->calls[i];
        item = cJSON_CreateObject();
        if (item == NULL) {
            cJSON_Delete(list);
            return NULL;
        }
        /* ownership of item moves to list */
        cJSON_AddItemToArray(list, item);
        if (cJSON_AddStringToObject(item, "provider", llm->providers[call->provider].name) ==
                NULL ||
            cJSON_AddNumberToObject(item, "status", (double)call->status) == NULL ||
            cJSON_AddStringToObject(item, "outcome",
                                    call->code == WK_LLM_OK && !call->is_valid
                                        ? "invalid_reply"
                                        : wk_llm_code_name(call->code)) == NULL ||
            cJSON_AddNumberToObject(item, "latency_ms", (double)call->latency_ms) == NULL ||
            cJSON_AddBoolToObject(item, "is_repair", call->is_repair) == NULL) {
            cJSON_Delete(list);
            return NULL;
        }
    }
    return list;
}

static cJSON *
step_json(const struct wk_provenance_input *input, int step)
{
    const struct wk_step_record *record = &input->steps[step];
    cJSON                       *obj;
    cJSON                       *ids;
    cJSON                       *part;
    int                          q;

    obj = cJSON_CreateObject();
    if (obj == NULL) {
        return NULL;
    }
    if (cJSON_AddStringToObject(obj, "step", wk_steps[step].name) == NULL ||
        cJSON_AddStringToObject(obj, "provider",
                                input->llm->providers[record->provider].name) == NULL ||
        cJSON_AddStringToObject(obj, "model", record->model) == NULL ||
        cJSON_AddNumberToObject(obj, "attempts", record->attempts) == NULL ||
        cJSON_AddNumberToObject(obj, "repairs", record->repairs) == NULL ||
        cJSON_AddNumberToObject(obj, "latency_ms", (double)record->latency_ms) == NULL ||
        cJSON_AddStringToObject(obj, "finish_reason", record->finish_reason) == NULL) {
        goto fail;
    }
    part = usage_json(&record->usage);
    if (part == NULL) {
        goto fail;
    }
    cJSON_AddItemToObject(obj, "usage", part);

    ids = cJSON_AddArrayToObject(obj, "passage_ids");
    if (ids == NULL) {
        goto fail;
    }
    for (q = 0; q < 2; q++) {
        if (step_queries[step][q] >= 0 &&
            add_passage_ids(ids, input->retrieval, step_queries[step][q]) != 0) {
            goto fail;
        }
    }
    part = calls_json(input->llm, record);
    if (part == NULL) {
        goto fail;
    }
    cJSON_AddItemToObject(obj, "calls", part);
    return obj;

fail:
    cJSON_Delete(obj);
    return NULL;
}

static cJSON *
retrieval_json(const struct wk_provenance_input *input)
{
    cJSON *obj;
    cJSON *docs;
    cJSON *ids;
    int    kind;
    int    q;

    obj = cJSON_CreateObject();
    if (obj == NULL) {
        return NULL;
    }
    if (cJSON_AddStringToObject(obj, "method", input->retrieval->method) == NULL ||
        (input->retrieval->note[0] != '\0' &&
         cJSON_AddStringToObject(obj, "fallback_reason", input->retrieval->note) == NULL)) {
        goto fail;
    }
    docs = cJSON_AddObjectToObject(obj, "documents");
    if (docs == NULL) {
        goto fail;
    }
    for (kind = 0; kind < WK_DOC_KIND_COUNT; kind++) {
        if (cJSON_AddStringToObject(docs, wk_doc_kind_name(kind), input->docs->ids[kind]) ==
            NULL) {
            goto fail;
        }
    }
    ids = cJSON_AddArrayToObject(obj, "passage_ids");
    if (ids == NULL) {
        goto fail;
    }
    for (q = 0; q < WK_REF_QUERY_COUNT; q++) {
        if (add_passage_ids(ids, input->retrieval, q) != 0) {
            goto fail;
        }
    }
    return obj;

fail:
    cJSON_Delete(obj);
    return NULL;
}

/* Adds the distinct providers of the steps, in step order, and returns the path name. */
static const char *
add_providers(cJSON *list, const struct wk_provenance_input *input)
{
    int   used[CV_LLM_PROVIDERS_MAX] = {0};
    int   is_fallback = 0;
    int   step;
    int   index;
    cJSON *name;

    for (step = 0; step < WK_STEP_COUNT; step++) {
        index = input->steps[step].provider;
        is_fallback |= index != 0;
        if (used[index]) {
            continue;
        }
        used[index] = 1;
        name = cJSON_CreateString(input->llm->providers[index].name);
        if (name == NULL) {
            return NULL;
        }
        cJSON_AddItemToArray(list, name);
    }
    return is_fallback ? "fallback_provider" : "chain";
}

cJSON *
wk_provenance_build(const struct wk_provenance_input *input)
{
    const struct cv_config      *cfg = input->llm->cfg;
    const struct wk_step_record *last = &input->steps[WK_STEP_SUMMARY];
    cJSON                       *root;
    cJSON                       *list;
    cJSON                       *part;
    const char                  *path;
    int                          attempts = 0;
    int                          step;

    root = cJSON_CreateObject();
    if (root == NULL) {
        return NULL;
    }
    list = cJSON_CreateArray();
    if (list == NULL) {
        goto fail;
    }
    /* ownership of list moves to root */
    cJSON_AddItemToObject(root, "providers", list);
    path = add_providers(list, input);
    for (step = 0; step < WK_STEP_COUNT; step++) {
        attempts += input->steps[step].attempts;
    }
    if (path == NULL || cJSON_AddStringToObject(root, "evaluator", "llm") == NULL ||
        cJSON_AddStringToObject(root, "path", path) == NULL ||
        cJSON_AddStringToObject(root, "provider", input->llm->providers[last->provider].name) ==
            NULL ||
        cJSON_AddStringToObject(root, "model", last->model) == NULL ||
        cJSON_AddStringToObject(root, "prompt_version", input->llm->prompts.version) == NULL ||
        cJSON_AddStringToObject(root, "prompt_sha256", input->llm->prompts.sha256) == NULL ||
        cJSON_AddNumberToObject(root, "temperature",
                                (double)cfg->llm_temperature_milli / 1000.0) == NULL ||
        cJSON_AddNumberToObject(root, "max_tokens", (double)cfg->llm_max_tokens) == NULL ||
        cJSON_AddNumberToObject(root, "attempts", attempts) == NULL ||
        cJSON_AddNumberToObject(root, "latency_ms", (double)input->latency_ms) == NULL ||
        cJSON_AddBoolToObject(root, "cv_truncated", input->is_cv_cut) == NULL ||
        cJSON_AddBoolToObject(root, "project_truncated", input->is_project_cut) == NULL) {
        goto fail;
    }
    part = input->llm->providers[last->provider].cfg->seed >= 0
               ? cJSON_CreateNumber((double)input->llm->providers[last->provider].cfg->seed)
               : cJSON_CreateNull();
    if (part == NULL) {
        goto fail;
    }
    cJSON_AddItemToObject(root, "seed", part);

    part = retrieval_json(input);
    if (part == NULL) {
        goto fail;
    }
    cJSON_AddItemToObject(root, "retrieval", part);

    list = cJSON_AddArrayToObject(root, "steps");
    if (list == NULL) {
        goto fail;
    }
    for (step = 0; step < WK_STEP_COUNT; step++) {
        part = step_json(input, step);
        if (part == NULL) {
            goto fail;
        }
        cJSON_AddItemToArray(list, part);
    }
    return root;

fail:
    cJSON_Delete(root);
    return NULL;
}
