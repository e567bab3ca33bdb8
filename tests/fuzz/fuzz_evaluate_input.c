/*
 * libFuzzer target for the body of POST /v1/evaluate (fcgi/evaluate_input.c). Each input
 * is parsed as a body. An accepted body must carry two lower-case UUIDs and hash the same
 * way twice, and a rejected one must come with a message. The input is also checked as
 * an Idempotency-Key, whose rule is simple enough to restate here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/evaluate_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bodies past the 1 MiB that nginx and the responder accept never reach the parser. */
#define FUZZ_MAX_BODY_BYTES (1024 * 1024)

static void
check_uuid(const char *id)
{
    size_t i;

    if (strlen(id) != 36) {
        abort();
    }
    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (id[i] != '-') {
                abort();
            }
        } else if (strchr("0123456789abcdef", id[i]) == NULL || id[i] == '\0') {
            abort();
        }
    }
}

static void
check_key(const uint8_t *data, size_t size)
{
    char   key[API_IDEMPOTENCY_KEY_MAX + 2];
    size_t i;
    bool   expected = size >= 1 && size <= API_IDEMPOTENCY_KEY_MAX;

    /* A header value never contains a NUL, and the check reads a C string. */
    if (size > API_IDEMPOTENCY_KEY_MAX + 1 || memchr(data, '\0', size) != NULL) {
        return;
    }
    memcpy(key, data, size);
    key[size] = '\0';
    for (i = 0; i < size; i++) {
        if (data[i] < 0x21 || data[i] > 0x7e) {
            expected = false;
        }
    }
    if (api_idempotency_key_is_valid(key) != expected) {
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct api_evaluate_input in;
    struct api_input_problem  problem;
    char                     *body;
    char                      first[CV_SHA256_HEX_LEN];
    char                      second[CV_SHA256_HEX_LEN];
    enum cv_err               rc;

    check_key(data, size);
    if (size > FUZZ_MAX_BODY_BYTES) {
        return 0;
    }
    /* The parser reads body[len] as a NUL, as the request's cv_buf provides. */
    body = malloc(size + 1);
    if (body == NULL) {
        return 0;
    }
    memcpy(body, data, size);
    body[size] = '\0';

    memset(&in, 0, sizeof(in));
    memset(&problem, 0, sizeof(problem));
    rc = api_evaluate_parse(body, size, &in, &problem);
    if (rc == CV_OK) {
        check_uuid(in.cv_id);
        check_uuid(in.project_id);
        if (api_evaluate_hash(&in, first) != CV_OK || api_evaluate_hash(&in, second) != CV_OK ||
            strlen(first) != CV_SHA256_HEX_LEN - 1 || strcmp(first, second) != 0) {
            abort();
        }
    } else if (rc == CV_EINVAL) {
        if (problem.message[0] == '\0') {
            abort();
        }
    } else if (rc != CV_ENOMEM) {
        abort();
    }
    api_evaluate_input_cleanup(&in);
    free(body);
    return 0;
}
