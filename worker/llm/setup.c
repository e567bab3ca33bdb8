/* Creation and release of the evaluator's process-wide and per-thread state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "worker/llm/llm.h"
#include "worker/llm/state.h"

enum cv_err
wk_llm_new(const struct cv_config *cfg, struct wk_llm **out, char *errbuf, size_t errbuf_len)
{
    struct wk_llm *llm;
    char           host[WK_PROVIDER_NAME_LEN];
    int            is_loopback;
    int            slot;
    enum cv_err    rc;

    *out = NULL;
    llm = calloc(1, sizeof(*llm));
    if (llm == NULL) {
        return CV_ENOMEM;
    }
    llm->cfg = cfg;

    rc = wk_prompts_load(cfg->prompts_dir, &llm->prompts, errbuf, errbuf_len);
    if (rc != CV_OK) {
        goto fail;
    }

    /* Slots are used in order of their number; an empty slot is skipped, not an end. */
    for (slot = 1; slot <= CV_LLM_PROVIDERS_MAX; slot++) {
        if (cfg->llm[slot - 1].base_url == NULL || cfg->llm[slot - 1].base_url[0] == '\0') {
            continue;
        }
        rc = wk_provider_init(&llm->providers[llm->provider_count], cfg, slot, errbuf,
                              errbuf_len);
        if (rc != CV_OK) {
            goto fail;
        }
        llm->provider_count++;
    }

    if (cfg->embeddings_base_url[0] != '\0') {
        if (cfg->embeddings_model[0] == '\0') {
            (void)snprintf(errbuf, errbuf_len, "EMBEDDINGS_MODEL: missing value: "
                                               "EMBEDDINGS_BASE_URL is set");
            rc = CV_EINVAL;
            goto fail;
        }
        if (wk_provider_check_url(cfg->embeddings_base_url, host, sizeof(host),
                                  &is_loopback) != CV_OK) {
            (void)snprintf(errbuf, errbuf_len, "EMBEDDINGS_BASE_URL: invalid value: "
                                               "expected an http:// or https:// URL");
            rc = CV_EINVAL;
            goto fail;
        }
        llm->embeddings_url = wk_provider_join_url(cfg->embeddings_base_url, "embeddings");
        if (llm->embeddings_url == NULL) {
            rc = CV_ENOMEM;
            goto fail;
        }
    }
    *out = llm;
    return CV_OK;

fail:
    wk_llm_free(llm);
    return rc;
}

void
wk_llm_free(struct wk_llm *llm)
{
    int i;

    if (llm == NULL) {
        return;
    }
    for (i = 0; i < llm->provider_count; i++) {
        wk_provider_cleanup(&llm->providers[i]);
    }
    wk_prompts_cleanup(&llm->prompts);
    free(llm->embeddings_url);
    free(llm);
}

const char *
wk_llm_prompt_version(const struct wk_llm *llm)
{
    return llm->prompts.version;
}

struct wk_llm_thread *
wk_llm_thread_new(struct wk_llm *llm)
{
    struct wk_llm_thread *thread;
    int                   i;

    thread = calloc(1, sizeof(*thread));
    if (thread == NULL) {
        return NULL;
    }
    thread->llm = llm;
    wk_prng_seed(&thread->prng);
    cv_buf_init(&thread->request, WK_LLM_REQUEST_MAX_LEN);
    cv_buf_init(&thread->reply, (size_t)llm->cfg->llm_max_reply_bytes);
    for (i = 0; i < WK_SLOT_COUNT; i++) {
        cv_buf_init(&thread->slots[i], WK_LLM_MESSAGE_MAX_LEN);
    }

    thread->curl = curl_easy_init();
    if (thread->curl == NULL) {
        goto fail;
    }
    for (i = 0; i < llm->provider_count; i++) {
        thread->headers[i] = wk_provider_headers_new(llm->providers[i].cfg->api_key);
        if (thread->headers[i] == NULL) {
            goto fail;
        }
    }
    if (llm->embeddings_url != NULL) {
        thread->embeddings_headers = wk_provider_headers_new(llm->cfg->embeddings_api_key);
        if (thread->embeddings_headers == NULL) {
            goto fail;
        }
    }
    return thread;

fail:
    wk_llm_thread_free(thread);
    return NULL;
}

void
wk_llm_thread_free(struct wk_llm_thread *thread)
{
    int i;

    if (thread == NULL) {
        return;
    }
    curl_easy_cleanup(thread->curl);
    for (i = 0; i < CV_LLM_PROVIDERS_MAX; i++) {
        curl_slist_free_all(thread->headers[i]);
    }
    curl_slist_free_all(thread->embeddings_headers);
    cv_buf_cleanup(&thread->request);
    cv_buf_cleanup(&thread->reply);
    for (i = 0; i < WK_SLOT_COUNT; i++) {
        cv_buf_cleanup(&thread->slots[i]);
    }
    free(thread);
}
