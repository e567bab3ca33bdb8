/*
 * Error codes of the LLM path and the classification of one provider attempt. A
 * failure that another attempt may cure (timeouts, 429, 5xx, dropped connections) is
 * retried. A failure caused by our own request or settings (other 4xx, a malformed
 * URL, a certificate problem) is not, because every retry would fail alike.
 */
#include "worker/llm/failure.h"

static const char *const code_names[WK_LLM_CODE_COUNT] = {
    [WK_LLM_OK] = "ok",
    [WK_LLM_UPSTREAM_TIMEOUT] = "upstream_timeout",
    [WK_LLM_UPSTREAM_RATE_LIMITED] = "upstream_rate_limited",
    [WK_LLM_UPSTREAM_UNAVAILABLE] = "upstream_unavailable",
    [WK_LLM_UPSTREAM_BAD_RESPONSE] = "upstream_bad_response",
    [WK_LLM_PROVIDER_MISCONFIGURED] = "provider_misconfigured",
    [WK_LLM_INVALID_MODEL_OUTPUT] = "invalid_model_output",
    [WK_LLM_KNOWLEDGE_BASE_MISSING] = "knowledge_base_missing",
    [WK_LLM_DATABASE_UNAVAILABLE] = "database_unavailable",
    [WK_LLM_CANCELLED] = "cancelled",
    [WK_LLM_INTERNAL] = "internal_error",
};

const char *
wk_llm_code_name(enum wk_llm_code code)
{
    if (code < 0 || code >= WK_LLM_CODE_COUNT) {
        return "internal_error";
    }
    return code_names[code];
}

enum cv_err
wk_llm_code_err(enum wk_llm_code code)
{
    switch (code) {
    case WK_LLM_OK:
        return CV_OK;
    case WK_LLM_UPSTREAM_TIMEOUT:
    case WK_LLM_CANCELLED:
        return CV_ETIMEOUT;
    case WK_LLM_UPSTREAM_RATE_LIMITED:
    case WK_LLM_UPSTREAM_UNAVAILABLE:
    case WK_LLM_UPSTREAM_BAD_RESPONSE:
    case WK_LLM_DATABASE_UNAVAILABLE:
        return CV_EUNAVAIL;
    case WK_LLM_PROVIDER_MISCONFIGURED:
    case WK_LLM_INVALID_MODEL_OUTPUT:
        return CV_EUPSTREAM;
    case WK_LLM_KNOWLEDGE_BASE_MISSING:
        return CV_ENOTFOUND;
    case WK_LLM_INTERNAL:
    case WK_LLM_CODE_COUNT:
        break;
    }
    return CV_EINTERNAL;
}

static struct wk_llm_verdict
verdict(enum wk_llm_code code, int is_retryable)
{
    struct wk_llm_verdict v;

    v.code = code;
    v.is_retryable = is_retryable;
    return v;
}

static struct wk_llm_verdict
classify_transport(CURLcode curl_code)
{
    switch (curl_code) {
    case CURLE_OPERATION_TIMEDOUT:
        return verdict(WK_LLM_UPSTREAM_TIMEOUT, 1);
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_LOGIN_DENIED:
    case CURLE_AUTH_ERROR:
        return verdict(WK_LLM_PROVIDER_MISCONFIGURED, 0);
    case CURLE_OUT_OF_MEMORY:
        return verdict(WK_LLM_INTERNAL, 0);
    default:
        /* Refused or reset connections, DNS failures, empty replies, TLS handshakes
         * cut short: the provider or the path to it is down, maybe only for now. */
        return verdict(WK_LLM_UPSTREAM_UNAVAILABLE, 1);
    }
}

struct wk_llm_verdict
wk_llm_classify(CURLcode curl_code, long status, int is_too_large)
{
    if (is_too_large) {
        /* The reply passed LLM_MAX_REPLY_BYTES; a model that runs away does so again. */
        return verdict(WK_LLM_UPSTREAM_BAD_RESPONSE, 0);
    }
    if (curl_code != CURLE_OK) {
        return classify_transport(curl_code);
    }
    if (status >= 200 && status <= 299) {
        return verdict(WK_LLM_OK, 0);
    }
    if (status < 200) {
        /* curl finished without a final status line: the peer did not speak HTTP. */
        return verdict(WK_LLM_UPSTREAM_BAD_RESPONSE, 1);
    }
    if (status == 408) {
        return verdict(WK_LLM_UPSTREAM_TIMEOUT, 1);
    }
    if (status == 429) {
        return verdict(WK_LLM_UPSTREAM_RATE_LIMITED, 1);
    }
    if (status == 425) {
        /* Too Early (RFC 8470): the same request is expected to work when repeated. */
        return verdict(WK_LLM_UPSTREAM_UNAVAILABLE, 1);
    }
    if (status == 501 || status == 505) {
        /* Not Implemented, HTTP Version Not Supported: no retry changes the result. */
        return verdict(WK_LLM_PROVIDER_MISCONFIGURED, 0);
    }
    if (status >= 500 && status <= 599) {
        return verdict(WK_LLM_UPSTREAM_UNAVAILABLE, 1);
    }
    /* 400, 401, 403, 404 and the other 4xx, and redirects, which are not followed so
     * that a key is never sent elsewhere: the base URL, key or model is wrong. */
    return verdict(WK_LLM_PROVIDER_MISCONFIGURED, 0);
}
