/* Provider slots: URL checks, names, shared breaker and rate limiter, key headers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/log.h"
#include "worker/llm/provider.h"

char *
wk_provider_join_url(const char *base_url, const char *path)
{
    size_t  base_len = strlen(base_url);
    char   *url;

    while (base_len > 0 && base_url[base_len - 1] == '/') {
        base_len--;
    }
    while (*path == '/') {
        path++;
    }
    url = malloc(base_len + 1 + strlen(path) + 1);
    if (url == NULL) {
        return NULL;
    }
    memcpy(url, base_url, base_len);
    url[base_len] = '/';
    memcpy(url + base_len + 1, path, strlen(path) + 1);
    return url;
}

enum cv_err
wk_provider_check_url(const char *url, char *host, size_t host_len, int *is_loopback)
{
    CURLU      *parsed;
    char       *scheme = NULL;
    char       *name = NULL;
    enum cv_err rc = CV_EINVAL;

    parsed = curl_url();
    if (parsed == NULL) {
        return CV_ENOMEM;
    }
    if (curl_url_set(parsed, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(parsed, CURLUPART_HOST, &name, 0) != CURLUE_OK) {
        goto out;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        goto out;
    }
    (void)snprintf(host, host_len, "%s", name);
    *is_loopback = strcasecmp(name, "localhost") == 0 || strncmp(name, "127.", 4) == 0 ||
                   strcmp(name, "[::1]") == 0;
    rc = CV_OK;
out:
    curl_free(scheme);
    curl_free(name);
    curl_url_cleanup(parsed);
    return rc;
}

enum cv_err
wk_provider_init(struct wk_provider *provider, const struct cv_config *cfg, int slot,
                 char *errbuf, size_t errbuf_len)
{
    const struct cv_llm_provider_config *pc = &cfg->llm[slot - 1];
    char                                 host[WK_PROVIDER_NAME_LEN];
    int                                  is_loopback = 0;
    enum cv_err                          rc;

    memset(provider, 0, sizeof(*provider));
    provider->slot = slot;
    provider->cfg = pc;

    rc = wk_provider_check_url(pc->base_url, host, sizeof(host), &is_loopback);
    if (rc != CV_OK) {
        (void)snprintf(errbuf, errbuf_len,
                       "LLM_%d_BASE_URL: invalid value: expected an http:// or https:// URL "
                       "with a host, such as https://api.openai.com/v1", slot);
        return rc;
    }
    (void)snprintf(provider->name, sizeof(provider->name), "%s",
                   pc->name[0] != '\0' ? pc->name : host);
    if (!is_loopback && pc->api_key[0] != '\0' && strncmp(pc->base_url, "http:", 5) == 0) {
        cv_log_warn(NULL, "llm.config", CV_OK, "provider key would cross the network "
                    "unencrypted; use an https:// base URL", "provider=%s slot=%d",
                    provider->name, slot);
    }

    provider->chat_url = wk_provider_join_url(pc->base_url, "chat/completions");
    if (provider->chat_url == NULL) {
        return CV_ENOMEM;
    }
    rc = wk_breaker_init(&provider->breaker, (int)cfg->llm_breaker_failures,
                         cfg->llm_breaker_cooldown_ms);
    if (rc != CV_OK) {
        free(provider->chat_url);
        return rc;
    }
    rc = wk_ratelimit_init(&provider->limit, pc->rate_per_s, cv_clock_mono_ms());
    if (rc != CV_OK) {
        wk_breaker_cleanup(&provider->breaker);
        free(provider->chat_url);
        return rc;
    }
    return CV_OK;
}

void
wk_provider_cleanup(struct wk_provider *provider)
{
    if (provider->chat_url == NULL) {
        return;
    }
    free(provider->chat_url);
    wk_breaker_cleanup(&provider->breaker);
    wk_ratelimit_cleanup(&provider->limit);
    memset(provider, 0, sizeof(*provider));
}

struct curl_slist *
wk_provider_headers_new(const char *api_key)
{
    static const char *const fixed[] = {"Content-Type: application/json",
                                        "Accept: application/json", "Expect:"};
    struct curl_slist       *list = NULL;
    static const char        prefix[] = "Authorization: Bearer ";
    struct curl_slist       *grown;
    char                    *auth;
    size_t                   auth_len;
    size_t                   i;

    for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        grown = curl_slist_append(list, fixed[i]);
        if (grown == NULL) {
            curl_slist_free_all(list);
            return NULL;
        }
        list = grown;
    }
    if (api_key == NULL || api_key[0] == '\0') {
        return list;
    }

    auth_len = sizeof(prefix) + strlen(api_key);
    auth = malloc(auth_len);
    if (auth == NULL) {
        curl_slist_free_all(list);
        return NULL;
    }
    (void)snprintf(auth, auth_len, "%s%s", prefix, api_key);
    grown = curl_slist_append(list, auth);
    /* curl copied the header; wipe ours so the key lives in one place only */
    explicit_bzero(auth, auth_len);
    free(auth);
    if (grown == NULL) {
        curl_slist_free_all(list);
        return NULL;
    }
    return grown;
}
