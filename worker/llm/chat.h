/*
 * The OpenAI-compatible chat-completion format (POST {base}/chat/completions) that
 * OpenAI, Groq, OpenRouter, vLLM, the llama.cpp server and Ollama accept: writing a
 * request body and reading the reply envelope. No I/O here.
 */
#ifndef WK_LLM_CHAT_H
#define WK_LLM_CHAT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/err.h"

struct wk_chat_message {
    const char *role;          /* "system", "user" or "assistant" */
    const char *content;       /* borrowed */
    size_t      content_len;
};

struct wk_chat_params {
    const char *model;             /* borrowed */
    long        temperature_milli; /* sent as temperature / 1000 */
    long        max_tokens;
    long        seed;              /* -1 = not sent; only some providers accept one */
    int         is_json_mode;      /* send response_format {"type": "json_object"} */
};

/* Token counts a provider reported; -1 where it did not. */
struct wk_chat_usage {
    long prompt_tokens;
    long completion_tokens;
    long total_tokens;
};

struct wk_chat_reply {
    cJSON               *doc;              /* owned parsed body */
    const char          *content;          /* borrowed from doc, "" when none */
    size_t               content_len;
    const char          *finish_reason;    /* borrowed from doc, "" when none */
    const char          *model;            /* borrowed from doc, "" when none */
    int                  is_truncated;     /* finish_reason "length" */
    int                  is_refusal;       /* a refusal field, or finish_reason
                                              "content_filter" */
    struct wk_chat_usage usage;
};

/*
 * Appends the request body for messages to out (which the caller resets). Returns
 * CV_OK or the error of cv_buf_append().
 */
enum cv_err wk_chat_write_request(struct cv_buf *out, const struct wk_chat_params *params,
                                  const struct wk_chat_message *messages, size_t count);

/*
 * Parses a 2xx reply body into reply (zeroed by the call). Returns CV_OK; CV_EINVAL
 * with the reason in errbuf when the body is not a chat completion (not JSON, an
 * "error" object, no choices); CV_ENOMEM. Release with wk_chat_reply_cleanup().
 */
enum cv_err wk_chat_parse_reply(const char *body, size_t len, struct wk_chat_reply *reply,
                                char *errbuf, size_t errbuf_len);

/* Frees the parsed body and zeroes reply. A zeroed reply is a no-op. */
void wk_chat_reply_cleanup(struct wk_chat_reply *reply);

#endif
