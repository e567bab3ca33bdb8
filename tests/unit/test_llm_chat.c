/*
 * Unit tests for the wire format of worker/llm/: chat-completion request bodies and
 * reply envelopes (chat.c), JSON string escaping and UTF-8 repair (text.c), the
 * classification of transport errors and HTTP statuses (failure.c), and provider URLs
 * and headers (provider.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "worker/llm/chat.h"
#include "worker/llm/failure.h"
#include "worker/llm/provider.h"
#include "worker/llm/text.h"

static void
test_chat_request_body(void **state)
{
    struct wk_chat_message messages[2] = {
        {"system", "be strict", 9},
        {"user", "CV:\n\"quoted\" \\ tab\there", 24},
    };
    struct wk_chat_params  params = {"gpt-test", 100, 1200, 42, 0};
    struct cv_buf          body;
    cJSON                 *doc;
    const cJSON           *item;

    (void)state;
    cv_buf_init(&body, 65536);
    assert_int_equal(wk_chat_write_request(&body, &params, messages, 2), CV_OK);
    doc = cJSON_Parse(body.data);
    assert_non_null(doc);
    assert_string_equal(cJSON_GetObjectItem(doc, "model")->valuestring, "gpt-test");
    item = cJSON_GetObjectItem(doc, "messages");
    assert_int_equal(cJSON_GetArraySize(item), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(item, 1), "role")->valuestring,
                        "user");
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetArrayItem(item, 1), "content")->valuestring,
        "CV:\n\"quoted\" \\ tab\there");
    assert_true(cJSON_GetObjectItem(doc, "temperature")->valuedouble == 0.1);
    assert_int_equal(cJSON_GetObjectItem(doc, "max_tokens")->valueint, 1200);
    assert_int_equal(cJSON_GetObjectItem(doc, "seed")->valueint, 42);
    assert_null(cJSON_GetObjectItem(doc, "response_format"));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(doc, "stream")));
    cJSON_Delete(doc);

    /* No seed when the provider takes none; JSON mode when asked. */
    params.seed = -1;
    params.is_json_mode = 1;
    params.temperature_milli = 1500;
    cv_buf_reset(&body);
    assert_int_equal(wk_chat_write_request(&body, &params, messages, 1), CV_OK);
    doc = cJSON_Parse(body.data);
    assert_non_null(doc);
    assert_null(cJSON_GetObjectItem(doc, "seed"));
    assert_true(cJSON_GetObjectItem(doc, "temperature")->valuedouble == 1.5);
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "response_format"), "type")->valuestring,
        "json_object");
    cJSON_Delete(doc);

    /* The buffer's maximum bounds the body. */
    cv_buf_cleanup(&body);
    cv_buf_init(&body, 16);
    assert_int_equal(wk_chat_write_request(&body, &params, messages, 2), CV_ETOOLARGE);
    cv_buf_cleanup(&body);
}

struct escape_case {
    const char *name;
    const char *input;
    size_t      len;
    const char *expected;
};

static const struct escape_case escape_cases[] = {
    {"plain", "abc", 3, "\"abc\""},
    {"quote and backslash", "a\"b\\c", 5, "\"a\\\"b\\\\c\""},
    {"control characters", "\n\r\t\x01\x1f", 5, "\"\\n\\r\\t\\u0001\\u001f\""},
    {"nul byte", "a\0b", 3, "\"a\\u0000b\""},
    {"valid two-byte", "caf\xc3\xa9", 5, "\"caf\xc3\xa9\""},
    {"valid four-byte", "\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\""},
    {"lone continuation", "a\x80z", 3, "\"a\xef\xbf\xbdz\""},
    {"overlong slash", "\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\""},
    {"surrogate", "\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
    {"cut sequence at end", "ab\xe2\x82", 4, "\"ab\xef\xbf\xbd\xef\xbf\xbd\""},
    {"above U+10FFFF", "\xf4\x90\x80\x80", 4,
     "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
    {"latin-1 byte", "na\xefve", 5, "\"na\xef\xbf\xbdve\""},
};

static void
test_json_escape_table(void **state)
{
    const struct escape_case *c;
    struct cv_buf             out;
    cJSON                    *doc;
    size_t                    i;

    (void)state;
    cv_buf_init(&out, 1024);
    for (i = 0; i < sizeof(escape_cases) / sizeof(escape_cases[0]); i++) {
        c = &escape_cases[i];
        cv_buf_reset(&out);
        assert_int_equal(wk_json_append_string(&out, c->input, c->len), CV_OK);
        if (strcmp(out.data, c->expected) != 0) {
            print_error("case \"%s\": got %s\n", c->name, out.data);
            fail();
        }
        /* every output is a JSON string a parser accepts */
        doc = cJSON_Parse(out.data);
        if (doc == NULL || !cJSON_IsString(doc)) {
            print_error("case \"%s\": output is not a JSON string\n", c->name);
            fail();
        }
        cJSON_Delete(doc);
    }
    cv_buf_cleanup(&out);
}

static void
test_text_cut_len(void **state)
{
    static const char text[] = "ab\xc3\xa9\xe2\x82\xac";   /* a b é € */

    (void)state;
    assert_int_equal(wk_text_cut_len(text, 7, 100), 7);
    assert_int_equal(wk_text_cut_len(text, 7, 7), 7);
    assert_int_equal(wk_text_cut_len(text, 7, 6), 4);   /* inside the euro sign */
    assert_int_equal(wk_text_cut_len(text, 7, 5), 4);
    assert_int_equal(wk_text_cut_len(text, 7, 4), 4);
    assert_int_equal(wk_text_cut_len(text, 7, 3), 2);   /* inside the e acute */
    assert_int_equal(wk_text_cut_len(text, 7, 0), 0);
}

struct envelope_case {
    const char *name;
    const char *body;
    int         is_valid;
    const char *content;
    const char *finish_reason;
    int         is_truncated;
    int         is_refusal;
    long        prompt_tokens;
    long        total_tokens;
};

static const struct envelope_case envelope_cases[] = {
    {"complete reply",
     "{\"model\":\"m1\",\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"{}\"},"
     "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,"
     "\"total_tokens\":15}}",
     1, "{}", "stop", 0, 0, 10, 15},
    {"no usage", "{\"choices\":[{\"message\":{\"content\":\"x\"}}]}", 1, "x", "", 0, 0, -1, -1},
    {"truncated", "{\"choices\":[{\"message\":{\"content\":\"{\\\"a\"},"
                  "\"finish_reason\":\"length\"}]}",
     1, "{\"a", "length", 1, 0, -1, -1},
    {"refusal field", "{\"choices\":[{\"message\":{\"content\":null,\"refusal\":\"no\"},"
                      "\"finish_reason\":\"stop\"}]}",
     1, "", "stop", 0, 1, -1, -1},
    {"content filter", "{\"choices\":[{\"message\":{\"content\":\"\"},"
                       "\"finish_reason\":\"content_filter\"}]}",
     1, "", "content_filter", 0, 1, -1, -1},
    {"negative usage ignored", "{\"choices\":[{\"message\":{\"content\":\"x\"}}],"
                               "\"usage\":{\"prompt_tokens\":-3,\"total_tokens\":\"9\"}}",
     1, "x", "", 0, 0, -1, -1},
    {"not json", "<html>bad gateway</html>", 0, NULL, NULL, 0, 0, 0, 0},
    {"error object", "{\"error\":{\"message\":\"overloaded\"}}", 0, NULL, NULL, 0, 0, 0, 0},
    {"no choices", "{\"choices\":[]}", 0, NULL, NULL, 0, 0, 0, 0},
    {"no message", "{\"choices\":[{\"text\":\"x\"}]}", 0, NULL, NULL, 0, 0, 0, 0},
    {"array body", "[]", 0, NULL, NULL, 0, 0, 0, 0},
};

static void
test_chat_reply_table(void **state)
{
    const struct envelope_case *c;
    struct wk_chat_reply        reply;
    char                        errbuf[256];
    enum cv_err                 rc;
    size_t                      i;

    (void)state;
    for (i = 0; i < sizeof(envelope_cases) / sizeof(envelope_cases[0]); i++) {
        c = &envelope_cases[i];
        rc = wk_chat_parse_reply(c->body, strlen(c->body), &reply, errbuf, sizeof(errbuf));
        if ((rc == CV_OK) != c->is_valid) {
            print_error("case \"%s\": rc %d\n", c->name, rc);
            fail();
        }
        if (!c->is_valid) {
            assert_null(reply.doc);
            assert_true(errbuf[0] != '\0');
            continue;
        }
        assert_string_equal(reply.content, c->content);
        assert_int_equal(reply.content_len, strlen(c->content));
        assert_string_equal(reply.finish_reason, c->finish_reason);
        assert_int_equal(reply.is_truncated, c->is_truncated);
        assert_int_equal(reply.is_refusal, c->is_refusal);
        assert_int_equal(reply.usage.prompt_tokens, c->prompt_tokens);
        assert_int_equal(reply.usage.total_tokens, c->total_tokens);
        wk_chat_reply_cleanup(&reply);
    }
}

struct classify_case {
    CURLcode         curl_code;
    long             status;
    int              is_too_large;
    enum wk_llm_code code;
    int              is_retryable;
};

static const struct classify_case classify_cases[] = {
    {CURLE_OK, 200, 0, WK_LLM_OK, 0},
    {CURLE_OK, 201, 0, WK_LLM_OK, 0},
    {CURLE_OK, 400, 0, WK_LLM_PROVIDER_MISCONFIGURED, 0},
    {CURLE_OK, 401, 0, WK_LLM_PROVIDER_MISCONFIGURED, 0},
    {CURLE_OK, 403, 0, WK_LLM_PROVIDER_MISCONFIGURED, 0},
    {CURLE_OK, 404, 0, WK_LLM_PROVIDER_MISCONFIGURED, 0},
    {CURLE_OK, 413, 0, WK_LLM_PROVIDER_MISCONFIGURED, 0},
    {CURLE_OK, 422, 0, WK_LLM_PROVIDER_MISCONFIGURED, 0},
    {CURLE_OK, 408, 0, WK_LLM_UPSTREAM_TIMEOUT, 1},
    {CURLE_OK, 425, 0, WK_LLM_UPSTREAM_UNAVAILABLE, 1},
    {CURLE_OK, 429, 0, WK_LLM_UPSTREAM_RATE_LIMITED, 1},
    {CURLE_OK, 500, 0, WK_LLM_UPSTREAM_UNAVAILABLE, 1},
    {CURLE_OK, 502, 0, WK_LLM_UPSTREAM_UNAVAILABLE, 1},
    {CURLE_OK, 503, 0, WK_LLM_UPSTREAM_UNAVAILABLE, 1},
    {CURLE_OK, 504, 0, WK_LLM_UPSTREAM_UNAVAILABLE, 1},
    {CURLE_OK, 529, 0, WK_LLM_UPSTREAM_UNAVAILABLE, 1},
    {CURLE_OK, 501, 0, WK_LLM_PROVIDER_MISCONFIGURED, 0},
    {CURLE_OK, 301, 0, WK_LLM_PROVIDER_MISCONFIGURED, 0},
    {CURLE_OK, 0, 0, WK_LLM_UPSTREAM_BAD_RESPONSE, 1},
    {CURLE_OPERATION_TIMEDOUT, 0, 0, WK_LLM_UPSTREAM_TIMEOUT, 1},
    {CURLE_COULDNT_CONNECT, 0, 0, WK_LLM_UPSTREAM_UNAVAILABLE, 1},
    {CURLE_COULDNT_RESOLVE_HOST, 0, 0, WK_LLM_UPSTREAM_UNAVAILABLE, 1},
    {CURLE_GOT_NOTHING, 0, 0, WK_LLM_UPSTREAM_UNAVAILABLE, 1},
    {CURLE_RECV_ERROR, 0, 0, WK_LLM_UPSTREAM_UNAVAILABLE, 1},
    {CURLE_PARTIAL_FILE, 200, 0, WK_LLM_UPSTREAM_UNAVAILABLE, 1},
    {CURLE_URL_MALFORMAT, 0, 0, WK_LLM_PROVIDER_MISCONFIGURED, 0},
    {CURLE_UNSUPPORTED_PROTOCOL, 0, 0, WK_LLM_PROVIDER_MISCONFIGURED, 0},
    {CURLE_PEER_FAILED_VERIFICATION, 0, 0, WK_LLM_PROVIDER_MISCONFIGURED, 0},
    {CURLE_OUT_OF_MEMORY, 0, 0, WK_LLM_INTERNAL, 0},
    {CURLE_WRITE_ERROR, 200, 1, WK_LLM_UPSTREAM_BAD_RESPONSE, 0},
};

static void
test_classify_table(void **state)
{
    const struct classify_case *c;
    struct wk_llm_verdict       v;
    size_t                      i;

    (void)state;
    for (i = 0; i < sizeof(classify_cases) / sizeof(classify_cases[0]); i++) {
        c = &classify_cases[i];
        v = wk_llm_classify(c->curl_code, c->status, c->is_too_large);
        if (v.code != c->code || v.is_retryable != c->is_retryable) {
            print_error("curl %d status %ld: got %s retryable %d, expected %s %d\n",
                        c->curl_code, c->status, wk_llm_code_name(v.code), v.is_retryable,
                        wk_llm_code_name(c->code), c->is_retryable);
            fail();
        }
    }
}

static void
test_code_names_and_errors(void **state)
{
    (void)state;
    assert_string_equal(wk_llm_code_name(WK_LLM_UPSTREAM_TIMEOUT), "upstream_timeout");
    assert_string_equal(wk_llm_code_name(WK_LLM_UPSTREAM_RATE_LIMITED), "upstream_rate_limited");
    assert_string_equal(wk_llm_code_name(WK_LLM_UPSTREAM_UNAVAILABLE), "upstream_unavailable");
    assert_string_equal(wk_llm_code_name(WK_LLM_PROVIDER_MISCONFIGURED),
                        "provider_misconfigured");
    assert_string_equal(wk_llm_code_name(WK_LLM_INVALID_MODEL_OUTPUT), "invalid_model_output");
    assert_string_equal(wk_llm_code_name(WK_LLM_CODE_COUNT), "internal_error");
    assert_int_equal(wk_llm_code_err(WK_LLM_UPSTREAM_TIMEOUT), CV_ETIMEOUT);
    assert_int_equal(wk_llm_code_err(WK_LLM_UPSTREAM_RATE_LIMITED), CV_EUNAVAIL);
    assert_int_equal(wk_llm_code_err(WK_LLM_PROVIDER_MISCONFIGURED), CV_EUPSTREAM);
    assert_int_equal(wk_llm_code_err(WK_LLM_INVALID_MODEL_OUTPUT), CV_EUPSTREAM);
    assert_int_equal(wk_llm_code_err(WK_LLM_KNOWLEDGE_BASE_MISSING), CV_ENOTFOUND);
}

static void
test_provider_urls(void **state)
{
    char  host[64];
    int   is_loopback = -1;
    char *url;

    (void)state;
    url = wk_provider_join_url("http://127.0.0.1:8000/v1/", "/chat/completions");
    assert_string_equal(url, "http://127.0.0.1:8000/v1/chat/completions");
    free(url);
    url = wk_provider_join_url("https://api.example.test/v1", "embeddings");
    assert_string_equal(url, "https://api.example.test/v1/embeddings");
    free(url);

    assert_int_equal(wk_provider_check_url("http://127.0.0.1:9/v1", host, sizeof(host),
                                           &is_loopback),
                     CV_OK);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(is_loopback, 1);
    assert_int_equal(wk_provider_check_url("https://llm.example.test/v1", host, sizeof(host),
                                           &is_loopback),
                     CV_OK);
    assert_int_equal(is_loopback, 0);
    assert_int_equal(wk_provider_check_url("ftp://127.0.0.1/v1", host, sizeof(host),
                                           &is_loopback),
                     CV_EINVAL);
    assert_int_equal(wk_provider_check_url("not a url", host, sizeof(host), &is_loopback),
                     CV_EINVAL);
    assert_int_equal(wk_provider_check_url("", host, sizeof(host), &is_loopback), CV_EINVAL);
}

static void
test_provider_headers(void **state)
{
    struct curl_slist *list;
    struct curl_slist *item;
    int                has_auth = 0;
    int                has_expect = 0;

    (void)state;
    list = wk_provider_headers_new("sk-test");
    assert_non_null(list);
    for (item = list; item != NULL; item = item->next) {
        has_auth |= strcmp(item->data, "Authorization: Bearer sk-test") == 0;
        has_expect |= strcmp(item->data, "Expect:") == 0;
    }
    assert_true(has_auth);
    assert_true(has_expect);
    curl_slist_free_all(list);

    /* Local servers without a key get no Authorization header at all. */
    list = wk_provider_headers_new("");
    assert_non_null(list);
    for (item = list; item != NULL; item = item->next) {
        assert_null(strstr(item->data, "Authorization"));
    }
    curl_slist_free_all(list);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chat_request_body),
        cmocka_unit_test(test_json_escape_table),
        cmocka_unit_test(test_text_cut_len),
        cmocka_unit_test(test_chat_reply_table),
        cmocka_unit_test(test_classify_table),
        cmocka_unit_test(test_code_names_and_errors),
        cmocka_unit_test(test_provider_urls),
        cmocka_unit_test(test_provider_headers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
