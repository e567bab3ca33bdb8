/*
 * The retry, repair and fallback loop of one step; see failover.h. Every failed
 * attempt is logged with the job id, provider, attempt number, status and latency.
 * Keys never reach a log line or a message: only provider names do.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "worker/llm/failover.h"
#include "worker/llm/http.h"
#include "worker/llm/reply.h"

/* The previous reply replayed in a repair request is cut to this many bytes. */
#define ANSWER_REPLAY_MAX_LEN 16384

/* Length of the problem list quoted in a repair request and an error message. */
#define PROBLEMS_LEN 768

/* State of one provider's turn at a step. */
struct turn {
    struct wk_llm          *llm;
    struct wk_llm_thread   *thread;
    struct wk_provider     *provider;
    int                     index;        /* of provider in llm->providers */
    enum wk_step            step;
    const struct cv_logctx *lc;
    const atomic_int       *cancel;       /* borrowed, may be NULL */
    int64_t                 deadline_ms;
    struct wk_step_record  *record;
    struct wk_call_record  *call;         /* in record, NULL when the list was full */
    struct wk_chat_message  messages[4];
    size_t                  message_count;
    int                     retries;      /* retries used */
    int                     is_repaired;  /* the one repair request was sent */
    int                     is_final;     /* no later provider can help: out of time */
    char                    message[WK_LLM_MESSAGE_LEN];
};

/* Slice of a wait between two looks at the cancel flag, in milliseconds. */
#define CANCEL_POLL_MS 100

static int
is_cancelled(const struct turn *turn)
{
    return turn->cancel != NULL && atomic_load(turn->cancel) != 0;
}

/* Sleeps ms milliseconds unless the run is cancelled first. Returns 0, or -1 if cancelled. */
static int
sleep_unless_cancelled(const struct turn *turn, int64_t ms)
{
    int64_t until_ms = cv_clock_mono_ms() + ms;
    int64_t left_ms;

    for (;;) {
        if (is_cancelled(turn)) {
            return -1;
        }
        left_ms = until_ms - cv_clock_mono_ms();
        if (left_ms <= 0) {
            return 0;
        }
        cv_clock_sleep_ms(left_ms < CANCEL_POLL_MS ? left_ms : CANCEL_POLL_MS);
    }
}

static void
set_message_slot(struct wk_chat_message *message, const char *role, const struct cv_buf *buf)
{
    message->role = role;
    message->content = buf->data != NULL ? buf->data : "";
    message->content_len = buf->len;
}

/* Counts a call and lists it; returns its entry, or NULL once the list is full. */
static struct wk_call_record *
record_call(struct wk_step_record *record, int index, long status, enum wk_llm_code code,
            int64_t latency_ms, int is_repair)
{
    struct wk_call_record *call;

    record->attempts++;
    if (record->call_count >= WK_STEP_CALLS_MAX) {
        return NULL;
    }
    call = &record->calls[record->call_count++];
    call->provider = index;
    call->status = status;
    call->code = code;
    call->latency_ms = latency_ms;
    call->is_repair = is_repair;
    call->is_valid = 0;
    return call;
}

static void
add_usage(struct wk_chat_usage *sum, const struct wk_chat_usage *usage)
{
    if (usage->prompt_tokens >= 0) {
        sum->prompt_tokens = (sum->prompt_tokens < 0 ? 0 : sum->prompt_tokens) +
                             usage->prompt_tokens;
    }
    if (usage->completion_tokens >= 0) {
        sum->completion_tokens = (sum->completion_tokens < 0 ? 0 : sum->completion_tokens) +
                                 usage->completion_tokens;
    }
    if (usage->total_tokens >= 0) {
        sum->total_tokens = (sum->total_tokens < 0 ? 0 : sum->total_tokens) +
                            usage->total_tokens;
    }
}

/* Builds the request body of the current messages into thread->request. */
static enum cv_err
write_request(struct turn *turn)
{
    const struct cv_config *cfg = turn->llm->cfg;
    struct wk_chat_params   params;

    params.model = turn->provider->cfg->model;
    params.temperature_milli = cfg->llm_temperature_milli;
    params.max_tokens = cfg->llm_max_tokens;
    params.seed = turn->provider->cfg->seed;
    params.is_json_mode = turn->provider->cfg->json_mode != 0;
    cv_buf_reset(&turn->thread->request);
    return wk_chat_write_request(&turn->thread->request, &params, turn->messages,
                                 turn->message_count);
}

/* Sets up the repair request after a reply that failed the checks with problems. */
static enum cv_err
prepare_repair(struct turn *turn, const struct wk_chat_reply *reply, const char *problems)
{
    struct wk_llm_thread *thread = turn->thread;
    const char           *values[WK_VAR_COUNT] = {NULL};
    size_t                len;
    enum cv_err           rc;

    /* The model's own reply goes back to it, so that it can correct that output. */
    cv_buf_reset(&thread->slots[WK_SLOT_ANSWER]);
    len = reply->content_len < ANSWER_REPLAY_MAX_LEN ? reply->content_len
                                                     : ANSWER_REPLAY_MAX_LEN;
    rc = len > 0 ? cv_buf_append(&thread->slots[WK_SLOT_ANSWER], reply->content, len)
                 : cv_buf_append_str(&thread->slots[WK_SLOT_ANSWER], "(no content)");
    if (rc != CV_OK) {
        return rc;
    }
    cv_buf_reset(&thread->slots[WK_SLOT_REPAIR]);
    values[WK_VAR_PROBLEMS] = problems;
    rc = wk_prompt_render(&turn->llm->prompts, WK_PROMPT_REPAIR, values,
                          &thread->slots[WK_SLOT_REPAIR]);
    if (rc != CV_OK) {
        return rc;
    }
    set_message_slot(&turn->messages[2], "assistant", &thread->slots[WK_SLOT_ANSWER]);
    set_message_slot(&turn->messages[3], "user", &thread->slots[WK_SLOT_REPAIR]);
    turn->message_count = 4;
    turn->is_repaired = 1;
    turn->record->repairs++;
    return CV_OK;
}

/*
 * Reads a 2xx chat completion. Returns WK_LLM_OK when the step's fields of out are set,
 * WK_LLM_UPSTREAM_BAD_RESPONSE when the body is not a chat completion, -1 when a repair
 * request was prepared, or the code of a final failure with turn->message set.
 */
static int
read_reply(struct turn *turn, struct wk_eval_result *out)
{
    struct wk_llm_thread *thread = turn->thread;
    struct wk_chat_reply  reply;
    char                  problems[PROBLEMS_LEN];
    enum cv_err           rc;
    int                   code;

    rc = wk_chat_parse_reply(thread->reply.data, thread->reply.len, &reply, turn->message,
                             sizeof(turn->message));
    if (rc == CV_ENOMEM) {
        (void)snprintf(turn->message, sizeof(turn->message), "out of memory");
        return WK_LLM_INTERNAL;
    }
    if (rc != CV_OK) {
        return WK_LLM_UPSTREAM_BAD_RESPONSE;
    }

    add_usage(&turn->record->usage, &reply.usage);
    (void)snprintf(turn->record->model, sizeof(turn->record->model), "%s",
                   reply.model[0] != '\0' ? reply.model : turn->provider->cfg->model);
    (void)snprintf(turn->record->finish_reason, sizeof(turn->record->finish_reason), "%s",
                   reply.finish_reason);

    if (reply.is_refusal && reply.content_len == 0) {
        (void)snprintf(problems, sizeof(problems), "the reply is a refusal, not the JSON "
                                                   "object the task asks for");
        rc = CV_EINVAL;
    } else {
        rc = wk_reply_parse(turn->step, reply.content, reply.content_len, reply.is_truncated,
                            out, problems, sizeof(problems));
    }
    if (rc == CV_OK) {
        if (turn->call != NULL) {
            turn->call->is_valid = 1;
        }
        code = WK_LLM_OK;
    } else if (rc == CV_ENOMEM) {
        (void)snprintf(turn->message, sizeof(turn->message), "out of memory");
        code = WK_LLM_INTERNAL;
    } else if (!turn->is_repaired) {
        cv_log_warn(turn->lc, "llm.repair", CV_EINVAL, problems,
                    "step=%s provider=%s attempt=%d finish_reason=%s",
                    wk_steps[turn->step].name, turn->provider->name, turn->record->attempts,
                    reply.finish_reason[0] != '\0' ? reply.finish_reason : "none");
        code = prepare_repair(turn, &reply, problems) == CV_OK ? -1 : WK_LLM_INTERNAL;
        if (code == WK_LLM_INTERNAL) {
            (void)snprintf(turn->message, sizeof(turn->message), "out of memory");
        }
    } else {
        /* The precision keeps the message within its buffer; problems come first. */
        (void)snprintf(turn->message, sizeof(turn->message),
                       "reply failed the checks after one repair request: %.440s", problems);
        code = WK_LLM_INVALID_MODEL_OUTPUT;
    }
    wk_chat_reply_cleanup(&reply);
    return code;
}

/* Describes a failed attempt in turn->message. */
static void
describe_failure(struct turn *turn, const struct wk_http_response *resp,
                 enum wk_llm_code code)
{
    int slot = turn->provider->slot;

    if (code == WK_LLM_PROVIDER_MISCONFIGURED && resp->status != 0) {
        (void)snprintf(turn->message, sizeof(turn->message),
                       "rejected the request with HTTP %ld; check LLM_%d_BASE_URL, "
                       "LLM_%d_API_KEY and LLM_%d_MODEL", resp->status, slot, slot, slot);
    } else if (code == WK_LLM_UPSTREAM_BAD_RESPONSE && resp->is_too_large) {
        (void)snprintf(turn->message, sizeof(turn->message),
                       "reply is larger than LLM_MAX_REPLY_BYTES (%ld bytes)",
                       turn->llm->cfg->llm_max_reply_bytes);
    } else if (code == WK_LLM_UPSTREAM_BAD_RESPONSE) {
        /* turn->message already contains what was wrong with the body */
    } else if (resp->curl_code != CURLE_OK) {
        (void)snprintf(turn->message, sizeof(turn->message), "%s", resp->error);
    } else {
        (void)snprintf(turn->message, sizeof(turn->message), "HTTP %ld", resp->status);
    }
}

/*
 * Waits before the next attempt: full-jitter backoff, or longer when the provider sent
 * Retry-After. Returns 0 after sleeping, or -1 when the provider must be given up, with
 * the reason appended to turn->message.
 */
static int
wait_for_retry(struct turn *turn, const struct wk_http_response *resp, enum wk_llm_code code)
{
    const struct cv_config *cfg = turn->llm->cfg;
    int64_t                 delay_ms;
    size_t                  used;

    used = strlen(turn->message);
    if (turn->retries >= cfg->llm_max_retries) {
        (void)snprintf(turn->message + used, sizeof(turn->message) - used,
                       " (gave up after %d attempts)", turn->retries + 1);
        return -1;
    }
    turn->retries++;
    delay_ms = wk_backoff_ms(&turn->thread->prng, turn->retries, cfg->llm_backoff_base_ms,
                             cfg->llm_backoff_max_ms);
    if (resp->retry_after_ms >= 0) {
        if (resp->retry_after_ms > cfg->llm_backoff_max_ms) {
            (void)snprintf(turn->message + used, sizeof(turn->message) - used,
                           " (Retry-After asks for %lld ms, more than LLM_BACKOFF_MAX_MS)",
                           (long long)resp->retry_after_ms);
            return -1;
        }
        if (resp->retry_after_ms > delay_ms) {
            delay_ms = resp->retry_after_ms;
        }
    }
    /* The next provider may still fit a call in the time that this wait would take. */
    if (cv_clock_mono_ms() + delay_ms >= turn->deadline_ms) {
        (void)snprintf(turn->message + used, sizeof(turn->message) - used,
                       " (no time left for a retry before the job deadline)");
        return -1;
    }
    cv_log_warn(turn->lc, "llm.retry", wk_llm_code_err(code), NULL,
                "step=%s provider=%s retry=%d delay_ms=%lld code=%s",
                wk_steps[turn->step].name, turn->provider->name, turn->retries,
                (long long)delay_ms, wk_llm_code_name(code));
    if (sleep_unless_cancelled(turn, delay_ms) != 0) {
        (void)snprintf(turn->message, sizeof(turn->message), "cancelled during backoff");
        turn->is_final = 1;
        return -1;
    }
    return 0;
}

/* Waits for the provider's rate limit. Returns 0, or -1 with turn->message set. */
static int
wait_for_token(struct turn *turn)
{
    int64_t now_ms = cv_clock_mono_ms();
    int64_t wait_ms = 0;

    if (wk_ratelimit_reserve(&turn->provider->limit, now_ms, turn->deadline_ms - now_ms,
                             &wait_ms) != CV_OK) {
        (void)snprintf(turn->message, sizeof(turn->message),
                       "LLM_%d_RATE_PER_S (%ld per second) leaves no slot before the job "
                       "deadline", turn->provider->slot, turn->provider->cfg->rate_per_s);
        return -1;
    }
    if (sleep_unless_cancelled(turn, wait_ms) != 0) {
        (void)snprintf(turn->message, sizeof(turn->message), "cancelled waiting for the "
                                                             "rate limit");
        return -1;
    }
    return 0;
}

/* Records the call's outcome in the breaker and logs a change of state. */
static void
update_breaker(struct turn *turn, enum wk_breaker_verdict verdict, int is_success)
{
    enum wk_breaker_state before;
    enum wk_breaker_state after;

    after = wk_breaker_record(&turn->provider->breaker, verdict, is_success,
                              cv_clock_mono_ms(), &before);
    if (after == before && verdict != WK_BREAKER_TRIAL) {
        return;
    }
    if (after == WK_BREAKER_OPEN) {
        cv_log_warn(turn->lc, "llm.breaker", CV_EUNAVAIL, NULL,
                    "provider=%s state=open was=%s cooldown_ms=%ld", turn->provider->name,
                    wk_breaker_state_name(before), turn->llm->cfg->llm_breaker_cooldown_ms);
    } else if (before != WK_BREAKER_CLOSED || verdict == WK_BREAKER_TRIAL) {
        cv_log_info(turn->lc, "llm.breaker", "provider=%s state=%s was=%s",
                    turn->provider->name, wk_breaker_state_name(after),
                    wk_breaker_state_name(before));
    }
}

/* One provider's attempts at the step. Returns the code; turn->message on failure. */
static enum wk_llm_code
run_turn(struct turn *turn, struct wk_eval_result *out)
{
    struct wk_http_request  req;
    struct wk_http_response resp;
    struct wk_llm_verdict   verdict;
    enum wk_breaker_verdict pass;
    int64_t                 remaining_ms;
    int                     code;

    for (;;) {
        if (write_request(turn) != CV_OK) {
            (void)snprintf(turn->message, sizeof(turn->message),
                           "cannot build a request body of at most %u bytes",
                           WK_LLM_REQUEST_MAX_LEN);
            return WK_LLM_INTERNAL;
        }
        if (wait_for_token(turn) != 0) {
            turn->is_final = 1;
            return is_cancelled(turn) ? WK_LLM_CANCELLED : WK_LLM_UPSTREAM_RATE_LIMITED;
        }
        remaining_ms = turn->deadline_ms - cv_clock_mono_ms();
        if (remaining_ms <= 0) {
            (void)snprintf(turn->message, sizeof(turn->message),
                           "the job deadline passed before the call");
            turn->is_final = 1;
            return WK_LLM_UPSTREAM_TIMEOUT;
        }
        pass = wk_breaker_allow(&turn->provider->breaker, cv_clock_mono_ms());
        if (pass == WK_BREAKER_REFUSE) {
            (void)snprintf(turn->message, sizeof(turn->message),
                           "circuit is open after repeated failures; calls resume after "
                           "LLM_BREAKER_COOLDOWN_MS");
            return WK_LLM_UPSTREAM_UNAVAILABLE;
        }

        memset(&req, 0, sizeof(req));
        req.url = turn->provider->chat_url;
        req.headers = turn->thread->headers[turn->index];
        req.body = turn->thread->request.data;
        req.body_len = turn->thread->request.len;
        req.connect_timeout_ms = turn->llm->cfg->llm_connect_timeout_ms;
        req.timeout_ms = remaining_ms < turn->llm->cfg->llm_timeout_ms
                             ? (long)remaining_ms
                             : turn->llm->cfg->llm_timeout_ms;
        req.cancel = turn->cancel;
        if (wk_http_post(turn->thread->curl, &req, &turn->thread->reply, &resp) != CV_OK) {
            update_breaker(turn, pass, 1);   /* nothing was sent: release a trial */
            (void)snprintf(turn->message, sizeof(turn->message), "cannot set up libcurl");
            return WK_LLM_INTERNAL;
        }
        if (is_cancelled(turn)) {
            update_breaker(turn, pass, 1);   /* a cancellation is no fault of the provider */
            (void)snprintf(turn->message, sizeof(turn->message), "cancelled during the call");
            turn->is_final = 1;
            return WK_LLM_CANCELLED;
        }
        verdict = wk_llm_classify(resp.curl_code, resp.status, resp.is_too_large);
        turn->call = record_call(turn->record, turn->index, resp.status, verdict.code,
                                 resp.latency_ms, turn->is_repaired);

        code = verdict.code;
        if (code == WK_LLM_OK) {
            code = read_reply(turn, out);
            if (code == WK_LLM_UPSTREAM_BAD_RESPONSE) {
                verdict.is_retryable = 1;
                if (turn->call != NULL) {
                    turn->call->code = WK_LLM_UPSTREAM_BAD_RESPONSE;
                }
            }
        }
        update_breaker(turn, pass, code != WK_LLM_UPSTREAM_BAD_RESPONSE &&
                                       (verdict.code == WK_LLM_OK));
        if (code == WK_LLM_OK) {
            return WK_LLM_OK;
        }
        if (code < 0) {
            continue;   /* the repair request goes out at once */
        }
        if (code == WK_LLM_INVALID_MODEL_OUTPUT || code == WK_LLM_INTERNAL) {
            return (enum wk_llm_code)code;
        }

        describe_failure(turn, &resp, (enum wk_llm_code)code);
        cv_log_warn(turn->lc, "llm.attempt_failed", wk_llm_code_err((enum wk_llm_code)code),
                    turn->message,
                    "step=%s provider=%s attempt=%d status=%ld latency_ms=%lld code=%s",
                    wk_steps[turn->step].name, turn->provider->name, turn->record->attempts,
                    resp.status, (long long)resp.latency_ms,
                    wk_llm_code_name((enum wk_llm_code)code));
        if (!verdict.is_retryable || wait_for_retry(turn, &resp, (enum wk_llm_code)code) != 0) {
            if (code == WK_LLM_UPSTREAM_TIMEOUT && cv_clock_mono_ms() >= turn->deadline_ms) {
                turn->is_final = 1;
            }
            return is_cancelled(turn) ? WK_LLM_CANCELLED : (enum wk_llm_code)code;
        }
    }
}

/* Appends "provider \"name\": message" to err->message, separated by "; ". */
static void
append_error(struct wk_llm_error *err, const char *provider, const char *message)
{
    size_t used = strlen(err->message);

    (void)snprintf(err->message + used, sizeof(err->message) - used, "%sprovider \"%s\": %s",
                   used > 0 ? "; " : "", provider, message);
}

enum cv_err
wk_failover_run_step(struct wk_llm *llm, struct wk_llm_thread *thread, enum wk_step step,
                     const struct wk_llm_job *job, int64_t deadline_ms,
                     struct wk_eval_result *out, struct wk_step_record *record,
                     struct wk_llm_error *err)
{
    const struct cv_logctx *lc = job->lc;
    struct turn       turn;
    enum wk_llm_code  code = WK_LLM_UPSTREAM_UNAVAILABLE;
    int64_t           started_ms = cv_clock_mono_ms();
    int               i;

    memset(record, 0, sizeof(*record));
    record->provider = -1;
    record->usage.prompt_tokens = -1;
    record->usage.completion_tokens = -1;
    record->usage.total_tokens = -1;
    memset(err, 0, sizeof(*err));

    for (i = 0; i < llm->provider_count; i++) {
        memset(&turn, 0, sizeof(turn));
        turn.llm = llm;
        turn.thread = thread;
        turn.provider = &llm->providers[i];
        turn.index = i;
        turn.step = step;
        turn.lc = lc;
        turn.cancel = job->cancel;
        turn.deadline_ms = deadline_ms;
        turn.record = record;
        set_message_slot(&turn.messages[0], "system", &thread->slots[WK_SLOT_SYSTEM]);
        set_message_slot(&turn.messages[1], "user", &thread->slots[WK_SLOT_USER]);
        turn.message_count = 2;

        code = run_turn(&turn, out);
        if (code == WK_LLM_OK) {
            record->provider = i;
            record->latency_ms = cv_clock_mono_ms() - started_ms;
            memset(err, 0, sizeof(*err));
            return CV_OK;
        }
        append_error(err, turn.provider->name, turn.message);
        if (turn.is_final || code == WK_LLM_INTERNAL || code == WK_LLM_CANCELLED) {
            break;
        }
        if (i + 1 < llm->provider_count) {
            cv_log_warn(lc, "llm.fallback", wk_llm_code_err(code), NULL,
                        "step=%s from=%s to=%s code=%s", wk_steps[step].name,
                        turn.provider->name, llm->providers[i + 1].name,
                        wk_llm_code_name(code));
        }
    }

    record->latency_ms = cv_clock_mono_ms() - started_ms;
    err->code = llm->provider_count > 0 ? code : WK_LLM_PROVIDER_MISCONFIGURED;
    if (llm->provider_count == 0) {
        (void)snprintf(err->message, sizeof(err->message), "no LLM provider is configured");
    }
    err->is_retryable = err->code == WK_LLM_UPSTREAM_TIMEOUT ||
                        err->code == WK_LLM_UPSTREAM_RATE_LIMITED ||
                        err->code == WK_LLM_UPSTREAM_UNAVAILABLE ||
                        err->code == WK_LLM_UPSTREAM_BAD_RESPONSE;
    return wk_llm_code_err(err->code);
}
