/*
 * Feedback texts of the built-in scorer. Sentences are built from table labels,
 * counts and the parameter reasons, so they never contain document text. Numbers are
 * printed with integer arithmetic, so the output does not depend on the locale.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/scorer/feedback.h"

/* Short names of the parameters for the summary, in wk_cv_params, wk_project_params order. */
static const char *const summary_names[WK_CV_PARAM_COUNT + WK_PROJECT_PARAM_COUNT] = {
    "technical skills", "experience",     "achievements",  "collaboration",  "project correctness",
    "code quality",     "resilience",     "documentation", "extra features",
};

/* Labels of the parameters in the feedback texts, in the same order. */
static const char *const feedback_names[WK_CV_PARAM_COUNT + WK_PROJECT_PARAM_COUNT] = {
    "Technical skills", "Experience", "Achievements",  "Collaboration", "Correctness",
    "Code quality",     "Resilience", "Documentation", "Extras",
};

/* Appends item i of n as part of a list "a, b and c". */
static enum cv_err
append_item(struct cv_buf *out, const char *item, size_t i, size_t n)
{
    enum cv_err rc = CV_OK;

    if (i > 0) {
        rc = cv_buf_append_str(out, i + 1 == n ? " and " : ", ");
    }
    return rc == CV_OK ? cv_buf_append_str(out, item) : rc;
}

/* Appends the first max_items of names, then "N more", as one list. */
static enum cv_err
append_list(struct cv_buf *out, const char *const *names, size_t count, size_t max_items)
{
    char        more[32];
    size_t      listed = count > max_items ? max_items : count;
    size_t      total = listed + (count > listed ? 1 : 0);
    size_t      i;
    enum cv_err rc = CV_OK;

    for (i = 0; rc == CV_OK && i < listed; i++) {
        rc = append_item(out, names[i], i, total);
    }
    if (rc == CV_OK && count > listed) {
        (void)snprintf(more, sizeof(more), "%zu more", count - listed);
        rc = append_item(out, more, listed, total);
    }
    return rc;
}

enum cv_err
wk_list_signals(struct cv_buf *out, const struct wk_signal *signals, size_t count,
                unsigned bits, size_t max_items)
{
    const char *names[WK_SIGNAL_MAX];
    size_t      n = 0;
    size_t      i;

    for (i = 0; i < count && i < WK_SIGNAL_MAX; i++) {
        if (bits & (1u << i)) {
            names[n++] = signals[i].label;
        }
    }
    return append_list(out, names, n, max_items);
}

enum cv_err
wk_list_skills(struct cv_buf *out, const unsigned char *skills, size_t max_items)
{
    const char *names[WK_SKILL_MAX];
    size_t      n = 0;
    size_t      i;

    for (i = 0; i < wk_skill_count && i < WK_SKILL_MAX; i++) {
        if (skills[i]) {
            names[n++] = wk_skills[i].name;
        }
    }
    return append_list(out, names, n, max_items);
}

enum cv_err
wk_list_areas(struct cv_buf *out, unsigned areas)
{
    const char *names[WK_AREA_COUNT];
    size_t      n = 0;
    int         i;

    for (i = 0; i < WK_AREA_COUNT; i++) {
        if (areas & (1u << i)) {
            names[n++] = wk_areas[i].label;
        }
    }
    return append_list(out, names, n, WK_AREA_COUNT);
}

/* Appends "Name (s/5): reason" as a sentence of its own. */
static enum cv_err
append_param(struct cv_buf *out, size_t index, const struct wk_param_score *param)
{
    return cv_buf_printf(out, " %s (%d/5): %s", feedback_names[index], param->score,
                         param->reason);
}

static enum cv_err
skills_sentence(const struct wk_cv_evidence *ev, struct cv_buf *out)
{
    unsigned char matched[WK_SKILL_MAX];
    unsigned char other[WK_SKILL_MAX];
    unsigned      missing = ev->required_areas & ~ev->covered_areas;
    size_t        other_count = 0;
    size_t        i;
    enum cv_err   rc;

    if (ev->job_skill_count == 0) {
        return cv_buf_printf(out, "The job description names no skills this scorer knows, so "
                                  "the CV was compared by keywords: %d of %d found.",
                             ev->keyword_hits, ev->keyword_total);
    }
    for (i = 0; i < WK_SKILL_MAX; i++) {
        matched[i] = (unsigned char)(i < wk_skill_count && ev->job_skill[i] && ev->cv_skill[i]);
        other[i] = (unsigned char)(i < wk_skill_count && !ev->job_skill[i] && ev->cv_skill[i]);
        other_count += other[i];
    }

    if (ev->matched_skill_count > 0) {
        rc = cv_buf_append_str(out, "Mentions ");
        if (rc == CV_OK) {
            rc = wk_list_skills(out, matched, 6);
        }
        if (rc == CV_OK) {
            rc = cv_buf_printf(out, ": %d of the %d skills the job lists",
                               ev->matched_skill_count, ev->job_skill_count);
        }
    } else {
        rc = cv_buf_printf(out, "Mentions none of the %d skills the job lists",
                           ev->job_skill_count);
    }
    if (rc == CV_OK && missing != 0) {
        rc = cv_buf_append_str(out, ", and nothing on ");
        if (rc == CV_OK) {
            rc = wk_list_areas(out, missing);
        }
    }
    if (rc == CV_OK) {
        rc = cv_buf_append_str(out, ".");
    }
    if (rc == CV_OK && other_count > 0) {
        rc = cv_buf_append_str(out, " Other technical skills: ");
        if (rc == CV_OK) {
            rc = wk_list_skills(out, other, 4);
        }
        if (rc == CV_OK) {
            rc = cv_buf_append_str(out, ".");
        }
    }
    return rc;
}

/* Stores the text of buf in *out when rc is CV_OK, else frees it. */
static enum cv_err
finish(struct cv_buf *buf, enum cv_err rc, char **out)
{
    if (rc != CV_OK) {
        cv_buf_cleanup(buf);
        return rc;
    }
    *out = cv_buf_take(buf);
    return *out != NULL ? CV_OK : CV_ENOMEM;
}

enum cv_err
wk_feedback_cv(const struct wk_cv_evidence *ev, const struct wk_eval_result *result, char **out)
{
    struct cv_buf buf;
    size_t        i;
    enum cv_err   rc;

    cv_buf_init(&buf, WK_FEEDBACK_MAX_LEN);
    rc = skills_sentence(ev, &buf);
    for (i = WK_CV_EXPERIENCE_LEVEL; rc == CV_OK && i < WK_CV_PARAM_COUNT; i++) {
        rc = append_param(&buf, i, &result->cv[i]);
    }
    return finish(&buf, rc, out);
}

static enum cv_err
coverage_sentence(const struct wk_project_evidence *ev, struct cv_buf *out)
{
    unsigned    missing = ev->required_concepts & ~ev->covered_concepts;
    enum cv_err rc;

    if (ev->keyword_total > 0 || ev->required_concepts == 0) {
        return cv_buf_printf(out, "The brief names few requirements this scorer knows, so the "
                                  "report was compared by keywords: %d of %d found.",
                             ev->keyword_hits, ev->keyword_total);
    }
    if (ev->covered_concepts == 0) {
        rc = cv_buf_printf(out, "Covers none of the %d requirements of the brief",
                           wk_bit_count(ev->required_concepts));
    } else {
        rc = cv_buf_append_str(out, "Covers ");
        if (rc == CV_OK) {
            rc = wk_list_signals(out, wk_brief_concepts, wk_brief_concept_count,
                                 ev->covered_concepts, 5);
        }
        if (rc == CV_OK) {
            rc = cv_buf_printf(out, " (%d of %d requirements of the brief)",
                               wk_bit_count(ev->covered_concepts),
                               wk_bit_count(ev->required_concepts));
        }
    }
    if (rc == CV_OK && missing != 0) {
        rc = cv_buf_append_str(out, "; missing: ");
        if (rc == CV_OK) {
            rc = wk_list_signals(out, wk_brief_concepts, wk_brief_concept_count, missing, 4);
        }
    }
    return rc == CV_OK ? cv_buf_append_str(out, ".") : rc;
}

enum cv_err
wk_feedback_project(const struct wk_project_evidence *ev, const struct wk_eval_result *result,
                    char **out)
{
    struct cv_buf buf;
    size_t        i;
    enum cv_err   rc;

    cv_buf_init(&buf, WK_FEEDBACK_MAX_LEN);
    rc = coverage_sentence(ev, &buf);
    for (i = WK_PROJECT_CODE_QUALITY; rc == CV_OK && i < WK_PROJECT_PARAM_COUNT; i++) {
        rc = append_param(&buf, WK_CV_PARAM_COUNT + i, &result->project[i]);
    }
    return finish(&buf, rc, out);
}

/* Returns the score of parameter i of the nine, CV parameters first. */
static int
score_of(const struct wk_eval_result *result, size_t i)
{
    if (i < WK_CV_PARAM_COUNT) {
        return result->cv[i].score;
    }
    return result->project[i - WK_CV_PARAM_COUNT].score;
}

/*
 * Picks up to two parameters with the highest (is_best) or lowest scores, earlier
 * parameters first among equals, and only those at least (or at most) limit.
 */
static size_t
pick_params(const struct wk_eval_result *result, int is_best, int limit, size_t picked[2])
{
    const size_t total = WK_CV_PARAM_COUNT + WK_PROJECT_PARAM_COUNT;
    size_t       count = 0;
    size_t       i;
    int          target;
    int          score;

    for (target = is_best ? 5 : 1; count < 2 && (is_best ? target >= limit : target <= limit);
         target += is_best ? -1 : 1) {
        for (i = 0; i < total && count < 2; i++) {
            score = score_of(result, i);
            if (score == target) {
                picked[count++] = i;
            }
        }
    }
    return count;
}

static enum cv_err
append_picked(struct cv_buf *out, const struct wk_eval_result *result, const size_t *picked,
              size_t count)
{
    char        item[64];
    size_t      i;
    enum cv_err rc = CV_OK;

    for (i = 0; rc == CV_OK && i < count; i++) {
        (void)snprintf(item, sizeof(item), "%s (%d/5)", summary_names[picked[i]],
                       score_of(result, picked[i]));
        rc = append_item(out, item, i, count);
    }
    return rc;
}

/* Formats a value with two decimals using integer arithmetic, e.g. 0.785 -> "0.79". */
static void
format_hundredths(double value, char *out, size_t out_len)
{
    long hundredths = (long)(value * 100.0 + 0.5);

    (void)snprintf(out, out_len, "%ld.%02ld", hundredths / 100, hundredths % 100);
}

enum cv_err
wk_feedback_summary(const struct wk_eval_result *result, int suspicious_count, char **out)
{
    struct cv_buf buf;
    size_t        picked[2];
    size_t        count;
    double        match_rate = wk_eval_cv_match_rate(result);
    double        project = wk_eval_project_score(result);
    char          match_text[48];
    char          project_text[48];
    const char   *advice;
    enum cv_err   rc;

    cv_buf_init(&buf, WK_FEEDBACK_MAX_LEN);
    count = pick_params(result, 1, 4, picked);
    if (count > 0) {
        rc = cv_buf_append_str(&buf, "Strengths: ");
        if (rc == CV_OK) {
            rc = append_picked(&buf, result, picked, count);
        }
    } else {
        count = pick_params(result, 1, 1, picked);
        rc = cv_buf_append_str(&buf, "No parameter scores above 3; the strongest are ");
        if (rc == CV_OK) {
            rc = append_picked(&buf, result, picked, count);
        }
    }
    if (rc == CV_OK) {
        rc = cv_buf_append_str(&buf, ".");
    }

    count = pick_params(result, 0, 3, picked);
    if (rc == CV_OK && count > 0) {
        rc = cv_buf_append_str(&buf, " Gaps: ");
        if (rc == CV_OK) {
            rc = append_picked(&buf, result, picked, count);
        }
        if (rc == CV_OK) {
            rc = cv_buf_append_str(&buf, ".");
        }
    } else if (rc == CV_OK) {
        rc = cv_buf_append_str(&buf, " No clear gaps: every parameter scores 4 or 5.");
    }

    format_hundredths(match_rate, match_text, sizeof(match_text));
    format_hundredths(project, project_text, sizeof(project_text));
    if (match_rate >= 0.7 && project >= 3.5) {
        advice = "proceed to a technical interview";
    } else if (match_rate >= 0.5 && project >= 2.5) {
        advice = "consider an interview that probes the gaps";
    } else {
        advice = "not a match for this role at present";
    }
    if (rc == CV_OK) {
        rc = cv_buf_printf(&buf, " Recommendation: %s (CV match %s, project score %s of 5).",
                           advice, match_text, project_text);
    }
    if (rc == CV_OK && suspicious_count > 0) {
        rc = cv_buf_printf(&buf, " %d passage%s addressing the evaluator %s removed before "
                                 "scoring.",
                           suspicious_count, suspicious_count == 1 ? "" : "s",
                           suspicious_count == 1 ? "was" : "were");
    }
    return finish(&buf, rc, out);
}
