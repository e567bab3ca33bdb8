/*
 * libFuzzer target for what a chat-completion provider sends back (worker/llm/chat.c and
 * worker/llm/reply.c). A model's reply can carry text from the candidate's documents, so
 * it is untrusted input. Each input is read as a whole HTTP reply body, and, with its
 * first byte choosing the step, as the message content of that step. An accepted
 * content must have set every score of the step to 1-5 with a reason, and nothing else.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/evaluation.h"
#include "worker/llm/chat.h"
#include "worker/llm/reply.h"
#include "worker/llm/step.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLM_MAX_REPLY_BYTES, the default bound on a reply body the worker reads. */
#define FUZZ_MAX_REPLY_BYTES (1024 * 1024)

static void
check_scores(const struct wk_param_score *scores, size_t count, int is_set)
{
    size_t i;

    for (i = 0; i < count; i++) {
        if (!is_set) {
            if (scores[i].score != 0 || scores[i].reason != NULL) {
                abort();
            }
            continue;
        }
        if (scores[i].score < 1 || scores[i].score > 5 || scores[i].reason == NULL ||
            scores[i].reason[0] == '\0') {
            abort();
        }
    }
}

static void
parse_content(enum wk_step step, const char *content, size_t len)
{
    struct wk_eval_result result;
    char                  problems[2048];
    enum cv_err           rc;

    memset(&result, 0, sizeof(result));
    problems[0] = '\0';
    rc = wk_reply_parse(step, content, len, len % 2, &result, problems, sizeof(problems));
    if (rc == CV_OK) {
        check_scores(result.cv, WK_CV_PARAM_COUNT, step == WK_STEP_CV);
        check_scores(result.project, WK_PROJECT_PARAM_COUNT, step == WK_STEP_PROJECT);
        if ((step == WK_STEP_CV && (result.cv_feedback == NULL || result.cv_feedback[0] == '\0')) ||
            (step == WK_STEP_PROJECT &&
             (result.project_feedback == NULL || result.project_feedback[0] == '\0')) ||
            (step == WK_STEP_SUMMARY &&
             (result.overall_summary == NULL || result.overall_summary[0] == '\0'))) {
            abort();
        }
    } else if (rc == CV_EINVAL) {
        if (problems[0] == '\0') {
            abort();
        }
        check_scores(result.cv, WK_CV_PARAM_COUNT, 0);
        check_scores(result.project, WK_PROJECT_PARAM_COUNT, 0);
    } else if (rc != CV_ENOMEM) {
        abort();
    }
    wk_eval_result_cleanup(&result);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wk_chat_reply reply;
    char                 errbuf[256];
    char                *copy;
    enum cv_err          rc;

    if (size == 0 || size > FUZZ_MAX_REPLY_BYTES) {
        return 0;
    }
    /* Exact-size copies, so that a read past the end is caught. */
    copy = malloc(size);
    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, data, size);

    rc = wk_chat_parse_reply(copy, size, &reply, errbuf, sizeof(errbuf));
    if (rc == CV_OK) {
        if (reply.content == NULL || reply.finish_reason == NULL || reply.model == NULL) {
            abort();
        }
        parse_content(WK_STEP_SUMMARY, reply.content, reply.content_len);
    } else if (rc != CV_EINVAL && rc != CV_ENOMEM) {
        abort();
    }
    wk_chat_reply_cleanup(&reply);

    parse_content((enum wk_step)(data[0] % WK_STEP_COUNT), copy + 1, size - 1);
    free(copy);
    return 0;
}
