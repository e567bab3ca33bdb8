/*
 * Project-report scores. A short report cannot show much, so each parameter also has
 * a ceiling set by the report's length in words: a few lines that name every
 * requirement do not score like a report that explains them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/scorer/feedback.h"
#include "worker/scorer/score.h"

/* Weighted requirement coverage in percent where correctness steps to 2, 3, 4 and 5. */
static const int concept_cuts[4] = {15, 35, 60, 85};

/* Keyword overlap in percent for the same steps, when the brief is about something else. */
static const int keyword_cuts[4] = {5, 12, 20, 30};

/* Reports shorter than these word counts cannot score above 3, 4 (or 2, 3 for docs). */
#define SHORT_REPORT_WORDS 80
#define BRIEF_REPORT_WORDS 200
#define SHORT_DOCS_WORDS 100
#define BRIEF_DOCS_WORDS 300

/* A report this long counts as one more documentation signal. */
#define LONG_REPORT_WORDS 1500

/* Test kinds (unit, integration, end-to-end, coverage...) that make tests "strong". */
#define STRONG_TEST_KINDS 3

/* Lowers *score to ceiling and explains why, when the report is shorter than words. */
static enum cv_err
cap_by_length(const struct wk_project_evidence *ev, size_t words, int ceiling, int *score,
              struct cv_buf *buf)
{
    if (ev->word_count >= words || *score <= ceiling) {
        return CV_OK;
    }
    *score = ceiling;
    return cv_buf_printf(buf, " Capped at %d: a report of %zu words shows too little detail.",
                         ceiling, ev->word_count);
}

/* Applies the two length ceilings shared by correctness, code quality and resilience. */
static enum cv_err
cap_short_report(const struct wk_project_evidence *ev, int *score, struct cv_buf *buf)
{
    enum cv_err rc;

    rc = cap_by_length(ev, SHORT_REPORT_WORDS, 3, score, buf);
    if (rc == CV_OK) {
        rc = cap_by_length(ev, BRIEF_REPORT_WORDS, 4, score, buf);
    }
    return rc;
}

/* Appends "Mentions a, b and c (n of m <what>)." or "Mentions no <what>." */
static enum cv_err
describe_signals(struct cv_buf *buf, const struct wk_signal *signals, size_t count,
                 unsigned bits, const char *what)
{
    enum cv_err rc;

    if (bits == 0) {
        return cv_buf_printf(buf, "Mentions none of the %zu %s.", count, what);
    }
    rc = cv_buf_append_str(buf, "Mentions ");
    if (rc == CV_OK) {
        rc = wk_list_signals(buf, signals, count, bits, 4);
    }
    if (rc == CV_OK) {
        rc = cv_buf_printf(buf, " (%d of %zu %s).", wk_bit_count(bits), count, what);
    }
    return rc;
}

/* Returns whether the report covers any core requirement (weight 2) the brief names. */
static int
covers_core(const struct wk_project_evidence *ev)
{
    size_t i;

    for (i = 0; i < wk_brief_concept_count; i++) {
        if (wk_brief_concepts[i].weight > 1 && (ev->covered_concepts & (1u << i))) {
            return 1;
        }
    }
    return 0;
}

static enum cv_err
score_correctness(const struct wk_project_evidence *ev, struct wk_param_score *param)
{
    struct cv_buf buf;
    int           percent;
    int           score;
    enum cv_err   rc;

    cv_buf_init(&buf, WK_REASON_MAX_LEN);
    if (ev->keyword_total > 0 || wk_bit_count(ev->required_concepts) == 0) {
        percent = ev->keyword_total > 0 ? ev->keyword_hits * 100 / ev->keyword_total : 0;
        score = wk_score_from_percent(percent, keyword_cuts);
        rc = cv_buf_printf(&buf, "The brief names few requirements this scorer knows; %d of "
                                 "its %d keywords appear in the report.",
                           ev->keyword_hits, ev->keyword_total);
    } else {
        percent = ev->covered_weight * 100 / ev->required_weight;
        score = wk_score_from_percent(percent, concept_cuts);
        rc = cv_buf_printf(&buf, "Covers %d of the %d requirements of the brief (%d%% by weight).",
                           wk_bit_count(ev->covered_concepts),
                           wk_bit_count(ev->required_concepts), percent);
        /* Rubric: correctness is prompt design, chaining and RAG; without any, 2 at most. */
        if (rc == CV_OK && score > 2 && !covers_core(ev)) {
            score = 2;
            rc = cv_buf_append_str(&buf, " Capped at 2: no prompt design, chaining, retrieval "
                                         "or LLM use described.");
        }
    }
    if (rc == CV_OK) {
        rc = cap_short_report(ev, &score, &buf);
    }
    return wk_score_set(param, score, &buf, rc);
}

static enum cv_err
score_quality(const struct wk_project_evidence *ev, struct wk_param_score *param)
{
    struct cv_buf buf;
    int           found = wk_bit_count(ev->quality_groups);
    int           has_tests = (ev->quality_groups & (1u << WK_QUALITY_TESTS)) != 0;
    int           score;
    enum cv_err   rc;

    cv_buf_init(&buf, WK_REASON_MAX_LEN);
    /* Rubric: poor, some structure, decent modularity, good + some tests, strong tests. */
    if (found <= 2) {
        score = found + 1;
    } else if (!has_tests) {
        score = 3;
    } else {
        score = found >= 4 && ev->test_kind_count >= STRONG_TEST_KINDS ? 5 : 4;
    }
    rc = describe_signals(&buf, wk_quality_signals, wk_quality_signal_count, ev->quality_groups,
                          "code-quality signals");
    if (rc == CV_OK && !has_tests) {
        rc = cv_buf_append_str(&buf, " No tests mentioned.");
    } else if (rc == CV_OK && ev->test_kind_count == 0) {
        rc = cv_buf_append_str(&buf, " Tests are mentioned without saying what kind.");
    } else if (rc == CV_OK) {
        rc = cv_buf_printf(&buf, " %d kind%s of tests named (unit, integration, end-to-end, "
                                 "coverage, frameworks, fakes, load).",
                           ev->test_kind_count, ev->test_kind_count == 1 ? "" : "s");
    }
    if (rc == CV_OK) {
        rc = cap_short_report(ev, &score, &buf);
    }
    return wk_score_set(param, score, &buf, rc);
}

static enum cv_err
score_resilience(const struct wk_project_evidence *ev, struct wk_param_score *param)
{
    struct cv_buf buf;
    int           score = wk_score_from_count(wk_bit_count(ev->resilience_groups));
    enum cv_err   rc;

    cv_buf_init(&buf, WK_REASON_MAX_LEN);
    rc = describe_signals(&buf, wk_resilience_signals, wk_resilience_signal_count,
                          ev->resilience_groups, "resilience signals");
    if (rc == CV_OK) {
        rc = cap_short_report(ev, &score, &buf);
    }
    return wk_score_set(param, score, &buf, rc);
}

static enum cv_err
score_documentation(const struct wk_project_evidence *ev, struct wk_param_score *param)
{
    struct cv_buf buf;
    int           found = wk_bit_count(ev->doc_groups);
    int           score;
    enum cv_err   rc;

    cv_buf_init(&buf, WK_REASON_MAX_LEN);
    if (ev->word_count >= LONG_REPORT_WORDS) {
        found++;
    }
    /* Rubric: missing, minimal, adequate, clear, excellent. */
    if (found <= 2) {
        score = found + 1;
    } else {
        score = found <= 4 ? 4 : 5;
    }
    rc = describe_signals(&buf, wk_doc_signals, wk_doc_signal_count, ev->doc_groups,
                          "documentation signals");
    if (rc == CV_OK) {
        rc = cv_buf_printf(&buf, " About %zu words.", ev->word_count);
    }
    if (rc == CV_OK) {
        rc = cap_by_length(ev, SHORT_DOCS_WORDS, 2, &score, &buf);
    }
    if (rc == CV_OK) {
        rc = cap_by_length(ev, BRIEF_DOCS_WORDS, 3, &score, &buf);
    }
    return wk_score_set(param, score, &buf, rc);
}

static enum cv_err
score_creativity(const struct wk_project_evidence *ev, struct wk_param_score *param)
{
    struct cv_buf buf;
    int           score = wk_score_from_count(wk_bit_count(ev->extra_groups));
    enum cv_err   rc;

    cv_buf_init(&buf, WK_REASON_MAX_LEN);
    rc = describe_signals(&buf, wk_extra_signals, wk_extra_signal_count, ev->extra_groups,
                          "kinds of work beyond the brief");
    if (rc == CV_OK) {
        rc = cap_by_length(ev, SHORT_REPORT_WORDS, 3, &score, &buf);
    }
    return wk_score_set(param, score, &buf, rc);
}

enum cv_err
wk_score_project(const struct wk_project_evidence *ev, struct wk_eval_result *result)
{
    enum cv_err rc;

    rc = score_correctness(ev, &result->project[WK_PROJECT_CORRECTNESS]);
    if (rc == CV_OK) {
        rc = score_quality(ev, &result->project[WK_PROJECT_CODE_QUALITY]);
    }
    if (rc == CV_OK) {
        rc = score_resilience(ev, &result->project[WK_PROJECT_RESILIENCE]);
    }
    if (rc == CV_OK) {
        rc = score_documentation(ev, &result->project[WK_PROJECT_DOCUMENTATION]);
    }
    if (rc == CV_OK) {
        rc = score_creativity(ev, &result->project[WK_PROJECT_CREATIVITY]);
    }
    return rc;
}
