/*
 * One configured chat-completion provider (an LLM_<n>_* slot): its display name, the
 * chat-completions URL, and the circuit breaker and rate limiter that all worker
 * threads share for it. Headers carrying the key are built per thread.
 */
#ifndef WK_LLM_PROVIDER_H
#define WK_LLM_PROVIDER_H

#include <curl/curl.h>

#include "common/config.h"
#include "common/err.h"
#include "worker/llm/breaker.h"
#include "worker/llm/ratelimit.h"

/* Maximum provider name length, NUL included. The name appears in results and logs. */
#define WK_PROVIDER_NAME_LEN 64

struct wk_provider {
    int                                  slot;       /* n of LLM_<n>_*, from 1 */
    char                                 name[WK_PROVIDER_NAME_LEN];
    char                                *chat_url;   /* owned, base URL + /chat/completions */
    const struct cv_llm_provider_config *cfg;        /* borrowed, outlives the provider */
    struct wk_breaker                    breaker;
    struct wk_ratelimit                  limit;
};

/*
 * Sets provider up from slot (1-based) of cfg: checks that the base URL is http or
 * https with a host, derives the name from the host when LLM_<n>_NAME is empty, and
 * initialises the breaker and rate limiter. Returns CV_OK, CV_EINVAL with a message
 * naming the variable in errbuf, or CV_ENOMEM. On failure nothing needs releasing.
 */
enum cv_err wk_provider_init(struct wk_provider *provider, const struct cv_config *cfg,
                             int slot, char *errbuf, size_t errbuf_len);

/* Frees what provider owns. A zeroed provider is a no-op. */
void wk_provider_cleanup(struct wk_provider *provider);

/*
 * Builds the request headers for a JSON POST to a provider: Content-Type, Accept, an
 * empty Expect (no 100-continue round trip) and, when api_key is not empty,
 * "Authorization: Bearer <key>". The caller frees the list with curl_slist_free_all().
 * Returns NULL on ENOMEM.
 */
struct curl_slist *wk_provider_headers_new(const char *api_key);

/*
 * Joins a base URL and a path ("/chat/completions") with exactly one slash between
 * them. Returns a heap string the caller frees, or NULL on ENOMEM.
 */
char *wk_provider_join_url(const char *base_url, const char *path);

/*
 * Checks that url is an http or https URL with a host. Stores the host in host (cut
 * to host_len) and whether it is a loopback address or "localhost" in *is_loopback.
 * Returns CV_OK or CV_EINVAL.
 */
enum cv_err wk_provider_check_url(const char *url, char *host, size_t host_len,
                                  int *is_loopback);

#endif
