/* Chat-completion request bodies and reply envelopes; see chat.h. */
#include <stdio.h>
#include <string.h>

#include "worker/llm/chat.h"
#include "worker/llm/text.h"

enum cv_err
wk_chat_write_request(struct cv_buf *out, const struct wk_chat_params *params,
                      const struct wk_chat_message *messages, size_t count)
{
    size_t      i;
    enum cv_err rc;

    rc = cv_buf_append_str(out, "{\"model\":");
    if (rc == CV_OK) {
        rc = wk_json_append_string(out, params->model, strlen(params->model));
    }
    if (rc == CV_OK) {
        rc = cv_buf_append_str(out, ",\"messages\":[");
    }
    for (i = 0; i < count && rc == CV_OK; i++) {
        rc = cv_buf_printf(out, "%s{\"role\":\"%s\",\"content\":", i > 0 ? "," : "",
                           messages[i].role);
        if (rc == CV_OK) {
            rc = wk_json_append_string(out, messages[i].content, messages[i].content_len);
        }
        if (rc == CV_OK) {
            rc = cv_buf_append_str(out, "}");
        }
    }
    if (rc == CV_OK) {
        /* Integer arithmetic keeps the temperature exact: 100 is written as 0.100. */
        rc = cv_buf_printf(out, "],\"temperature\":%ld.%03ld,\"max_tokens\":%ld",
                           params->temperature_milli / 1000, params->temperature_milli % 1000,
                           params->max_tokens);
    }
    if (rc == CV_OK && params->seed >= 0) {
        rc = cv_buf_printf(out, ",\"seed\":%ld", params->seed);
    }
    if (rc == CV_OK && params->is_json_mode) {
        rc = cv_buf_append_str(out, ",\"response_format\":{\"type\":\"json_object\"}");
    }
    if (rc == CV_OK) {
        rc = cv_buf_append_str(out, ",\"stream\":false}");
    }
    return rc;
}

static long
get_count(const cJSON *usage, const char *key)
{
    const cJSON *item;

    item = cJSON_GetObjectItemCaseSensitive(usage, key);
    if (!cJSON_IsNumber(item) || item->valuedouble < 0 || item->valuedouble > 1e12) {
        return -1;
    }
    return (long)item->valuedouble;
}

static const char *
get_string(const cJSON *object, const char *key)
{
    const cJSON *item;

    item = cJSON_GetObjectItemCaseSensitive(object, key);
    return cJSON_IsString(item) ? item->valuestring : "";
}

enum cv_err
wk_chat_parse_reply(const char *body, size_t len, struct wk_chat_reply *reply, char *errbuf,
                    size_t errbuf_len)
{
    const cJSON *choices;
    const cJSON *choice;
    const cJSON *message;
    const cJSON *content;
    const cJSON *refusal;
    const cJSON *usage;

    memset(reply, 0, sizeof(*reply));
    reply->content = "";
    reply->finish_reason = "";
    reply->model = "";
    reply->usage.prompt_tokens = -1;
    reply->usage.completion_tokens = -1;
    reply->usage.total_tokens = -1;

    reply->doc = cJSON_ParseWithLength(body, len);
    if (reply->doc == NULL || !cJSON_IsObject(reply->doc)) {
        (void)snprintf(errbuf, errbuf_len, "reply body is not a JSON object (%zu bytes)", len);
        wk_chat_reply_cleanup(reply);
        return CV_EINVAL;
    }
    if (cJSON_GetObjectItemCaseSensitive(reply->doc, "error") != NULL) {
        (void)snprintf(errbuf, errbuf_len, "reply carries an \"error\" object");
        wk_chat_reply_cleanup(reply);
        return CV_EINVAL;
    }
    choices = cJSON_GetObjectItemCaseSensitive(reply->doc, "choices");
    choice = cJSON_IsArray(choices) ? cJSON_GetArrayItem(choices, 0) : NULL;
    message = cJSON_GetObjectItemCaseSensitive(choice, "message");
    if (!cJSON_IsObject(choice) || !cJSON_IsObject(message)) {
        (void)snprintf(errbuf, errbuf_len, "reply has no choices[0].message");
        wk_chat_reply_cleanup(reply);
        return CV_EINVAL;
    }

    content = cJSON_GetObjectItemCaseSensitive(message, "content");
    if (cJSON_IsString(content)) {
        reply->content = content->valuestring;
        reply->content_len = strlen(content->valuestring);
    }
    reply->finish_reason = get_string(choice, "finish_reason");
    reply->model = get_string(reply->doc, "model");
    reply->is_truncated = strcmp(reply->finish_reason, "length") == 0;
    refusal = cJSON_GetObjectItemCaseSensitive(message, "refusal");
    reply->is_refusal = (cJSON_IsString(refusal) && refusal->valuestring[0] != '\0') ||
                        strcmp(reply->finish_reason, "content_filter") == 0;

    usage = cJSON_GetObjectItemCaseSensitive(reply->doc, "usage");
    if (cJSON_IsObject(usage)) {
        reply->usage.prompt_tokens = get_count(usage, "prompt_tokens");
        reply->usage.completion_tokens = get_count(usage, "completion_tokens");
        reply->usage.total_tokens = get_count(usage, "total_tokens");
    }
    return CV_OK;
}

void
wk_chat_reply_cleanup(struct wk_chat_reply *reply)
{
    cJSON_Delete(reply->doc);
    memset(reply, 0, sizeof(*reply));
}
