/* JSON POST with libcurl; see http.h. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "worker/llm/http.h"
#include "worker/llm/retry.h"

/* Destinations of the callbacks of one call. */
struct call_state {
    struct cv_buf           *body;
    struct wk_http_response *resp;
};

static size_t
on_body(char *data, size_t size, size_t count, void *userdata)
{
    struct call_state *state = userdata;
    size_t             len = size * count;

    if (cv_buf_append(state->body, data, len) != CV_OK) {
        /* Returning less than len makes curl stop with CURLE_WRITE_ERROR. */
        state->resp->is_too_large = 1;
        return 0;
    }
    return len;
}

static size_t
on_header(char *data, size_t size, size_t count, void *userdata)
{
    static const char  name[] = "retry-after:";
    struct call_state *state = userdata;
    size_t             len = size * count;
    char               value[64];
    size_t             value_len;

    /* A new status line (after a 100 Continue, say) starts a new header set. */
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        state->resp->retry_after_ms = -1;
        return len;
    }
    if (len <= sizeof(name) - 1 || strncasecmp(data, name, sizeof(name) - 1) != 0) {
        return len;
    }
    value_len = len - (sizeof(name) - 1);
    if (value_len >= sizeof(value)) {
        return len;
    }
    memcpy(value, data + sizeof(name) - 1, value_len);
    value[value_len] = '\0';
    state->resp->retry_after_ms = wk_retry_after_parse(value, cv_clock_wall_ms());
    return len;
}

/* Called by curl about once a second and on progress; non-zero aborts the transfer. */
static int
on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
            curl_off_t ulnow)
{
    const atomic_int *cancel = userdata;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return cancel != NULL && atomic_load(cancel) != 0;
}

enum cv_err
wk_http_post(CURL *curl, const struct wk_http_request *req, struct cv_buf *body,
             struct wk_http_response *resp)
{
    struct call_state state;
    int64_t           started_ms;
    CURLcode          setup = CURLE_OK;

    memset(resp, 0, sizeof(*resp));
    resp->retry_after_ms = -1;
    cv_buf_reset(body);
    state.body = body;
    state.resp = resp;

    /* Every option a call depends on is set again here, so nothing carries over from
     * the previous call. The handle's connection cache survives, and reusing an open
     * connection is the reason the handle lives as long as the thread. */
    setup |= curl_easy_setopt(curl, CURLOPT_URL, req->url);
    setup |= curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    setup |= curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    setup |= curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    setup |= curl_easy_setopt(curl, CURLOPT_HTTPHEADER, req->headers);
    setup |= curl_easy_setopt(curl, CURLOPT_POST, 1L);
    setup |= curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body);
    setup |= curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    setup |= curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
    setup |= curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, req->timeout_ms);
    setup |= curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    setup |= curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state);
    setup |= curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    setup |= curl_easy_setopt(curl, CURLOPT_HEADERDATA, &state);
    setup |= curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, resp->error);
    setup |= curl_easy_setopt(curl, CURLOPT_NOPROGRESS, req->cancel != NULL ? 0L : 1L);
    setup |= curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    setup |= curl_easy_setopt(curl, CURLOPT_XFERINFODATA, (void *)(uintptr_t)req->cancel);
    setup |= curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    setup |= curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    setup |= curl_easy_setopt(curl, CURLOPT_USERAGENT, "cv-evaluator");
    if (setup != CURLE_OK) {
        return CV_EINTERNAL;
    }

    started_ms = cv_clock_mono_ms();
    resp->curl_code = curl_easy_perform(curl);
    resp->latency_ms = cv_clock_mono_ms() - started_ms;
    if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status) != CURLE_OK) {
        resp->status = 0;
    }
    if (resp->error[0] == '\0' && resp->curl_code != CURLE_OK) {
        (void)snprintf(resp->error, sizeof(resp->error), "%s",
                       curl_easy_strerror(resp->curl_code));
    }

    /* The callbacks point at this stack frame, so unhook them before it goes away. A
     * failure would be harmless too: every call sets these options again first. */
    (void)curl_easy_setopt(curl, CURLOPT_WRITEDATA, NULL);
    (void)curl_easy_setopt(curl, CURLOPT_HEADERDATA, NULL);
    (void)curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
    return resp->curl_code == CURLE_OUT_OF_MEMORY ? CV_ENOMEM : CV_OK;
}
