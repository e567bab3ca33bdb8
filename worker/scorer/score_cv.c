/*
 * CV scores. Experience and achievements are capped at one point above the technical
 * score, because the rubric scores relevant experience: eight years as a nurse do not
 * make a backend engineer's experience.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/scorer/feedback.h"
#include "worker/scorer/score.h"

/* Skill-area coverage in percent where the technical score steps to 2, 3, 4 and 5. */
static const int skill_cuts[4] = {10, 30, 55, 80};

/* Keyword overlap in percent for the same steps, when the job names no known skill. */
static const int keyword_cuts[4] = {5, 12, 20, 30};

/*
 * Experience of a current student without a senior title counts at most this many
 * months, under the rubric's two years: the dates mix studies, projects and jobs, and
 * stated years ("3+ years: Python") describe skills rather than employment.
 */
#define STUDENT_MONTHS_MAX 23

static enum cv_err
score_skills(const struct wk_cv_evidence *ev, struct wk_param_score *param)
{
    struct cv_buf buf;
    unsigned      ai = 1u << WK_AREA_AI;
    int           percent;
    int           score;
    enum cv_err   rc;

    cv_buf_init(&buf, WK_REASON_MAX_LEN);
    if (ev->job_skill_count == 0) {
        percent = ev->keyword_total > 0 ? ev->keyword_hits * 100 / ev->keyword_total : 0;
        score = wk_score_from_percent(percent, keyword_cuts);
        rc = cv_buf_printf(&buf,
                           "The job description names no skills this scorer knows; %d of its "
                           "%d keywords appear in the CV.",
                           ev->keyword_hits, ev->keyword_total);
        return wk_score_set(param, score, &buf, rc);
    }

    percent = ev->covered_weight * 100 / ev->required_weight;
    score = wk_score_from_percent(percent, skill_cuts);
    /* Rubric: 5 needs AI/LLM exposure whenever the job requires it. */
    if (score == 5 && (ev->required_areas & ai) && !(ev->covered_areas & ai)) {
        score = 4;
    }
    rc = cv_buf_printf(&buf, "Mentions %d of the %d skills the job lists and covers %d of its "
                             "%d skill areas",
                       ev->matched_skill_count, ev->job_skill_count,
                       wk_bit_count(ev->covered_areas), wk_bit_count(ev->required_areas));
    if (rc == CV_OK && (ev->required_areas & ai)) {
        rc = cv_buf_append_str(&buf, (ev->covered_areas & ai) ? ", AI/LLM included."
                                                               : ", with no AI/LLM exposure.");
    } else if (rc == CV_OK) {
        rc = cv_buf_append_str(&buf, ".");
    }
    return wk_score_set(param, score, &buf, rc);
}

/* Returns the experience the evidence supports, in months, and describes it in buf. */
static int
experience_months(const struct wk_cv_evidence *ev, struct cv_buf *buf, enum cv_err *rc)
{
    int stated = ev->stated_years > 0 ? ev->stated_years * 12 : 0;
    int months = stated > ev->range_months ? stated : ev->range_months;

    if (ev->stated_years < 0 && ev->range_months == 0) {
        *rc = cv_buf_append_str(buf, "No stated years or dated roles found");
    } else if (ev->stated_years >= 0 && ev->range_months > 0) {
        *rc = cv_buf_printf(buf, "States %d years; dated entries span about %d months",
                            ev->stated_years, ev->range_months);
    } else if (ev->stated_years >= 0) {
        *rc = cv_buf_printf(buf, "States %d years", ev->stated_years);
    } else {
        *rc = cv_buf_printf(buf, "Dated entries span about %d months", ev->range_months);
    }
    if (ev->is_student && !ev->has_senior_title && months > STUDENT_MONTHS_MAX) {
        months = STUDENT_MONTHS_MAX;
        if (*rc == CV_OK) {
            *rc = cv_buf_append_str(buf, ", counted as under 2 years because the author is "
                                         "still a student");
        }
    }
    return months;
}

static enum cv_err
score_experience(const struct wk_cv_evidence *ev, int skills_score, struct wk_param_score *param)
{
    struct cv_buf buf;
    enum cv_err   rc = CV_OK;
    int           months;
    int           score;

    cv_buf_init(&buf, WK_REASON_MAX_LEN);
    months = experience_months(ev, &buf, &rc);

    /* Rubric: under 1 year, 1-2, 2-3, 3-4 (here up to 5), 5 years or more. */
    if (months < 12) {
        score = 1;
    } else if (months < 24) {
        score = 2;
    } else if (months < 36) {
        score = 3;
    } else if (months < 60) {
        score = 4;
    } else {
        score = 5;
    }
    if (ev->has_senior_title && score < 3) {
        score = 3;
        if (rc == CV_OK) {
            rc = cv_buf_append_str(&buf, "; holds a senior or lead title");
        }
    }
    if (score > skills_score + 1) {
        score = skills_score + 1;
        if (rc == CV_OK) {
            rc = cv_buf_append_str(&buf, "; capped because little of it is in the job's "
                                         "skill areas");
        }
    }
    if (rc == CV_OK) {
        rc = cv_buf_append_str(&buf, ".");
    }
    return wk_score_set(param, score, &buf, rc);
}

static enum cv_err
score_achievements(const struct wk_cv_evidence *ev, int skills_score,
                   struct wk_param_score *param)
{
    struct cv_buf buf;
    enum cv_err   rc;
    int           score;

    cv_buf_init(&buf, WK_REASON_MAX_LEN);
    /* Rubric: none, minimal improvements, some measurable, significant, major measured. */
    if (ev->quantified_count == 0) {
        score = ev->impact_count > 0 ? 2 : 1;
    } else if (ev->quantified_count <= 2) {
        score = 3;
    } else {
        score = ev->quantified_count <= 4 ? 4 : 5;
    }
    if (ev->quantified_count > 0) {
        rc = cv_buf_printf(&buf, "%d measured outcome%s (percentages, multiples, money or "
                                 "counts with units) next to outcome verbs",
                           ev->quantified_count, ev->quantified_count == 1 ? "" : "s");
    } else if (ev->impact_count > 0) {
        rc = cv_buf_printf(&buf, "Outcome verbs on %d line%s but no measured results",
                           ev->impact_count, ev->impact_count == 1 ? "" : "s");
    } else {
        rc = cv_buf_append_str(&buf, "No achievements or measured results found");
    }
    if (rc == CV_OK && score > skills_score + 1) {
        score = skills_score + 1;
        rc = cv_buf_append_str(&buf, "; capped because they lie outside the job's skill areas");
    }
    if (rc == CV_OK) {
        rc = cv_buf_append_str(&buf, ".");
    }
    return wk_score_set(param, score, &buf, rc);
}

static enum cv_err
score_collaboration(const struct wk_cv_evidence *ev, struct wk_param_score *param)
{
    struct cv_buf buf;
    int           found = wk_bit_count(ev->collab_groups);
    enum cv_err   rc;

    cv_buf_init(&buf, WK_REASON_MAX_LEN);
    if (found == 0) {
        rc = cv_buf_printf(&buf, "None of the %zu collaboration and learning signals found.",
                           wk_collab_signal_count);
    } else {
        rc = cv_buf_append_str(&buf, "Shows ");
        if (rc == CV_OK) {
            rc = wk_list_signals(&buf, wk_collab_signals, wk_collab_signal_count,
                                 ev->collab_groups, 4);
        }
        if (rc == CV_OK) {
            rc = cv_buf_printf(&buf, " (%d of %zu collaboration and learning signals).", found,
                               wk_collab_signal_count);
        }
    }
    return wk_score_set(param, wk_score_from_count(found), &buf, rc);
}

enum cv_err
wk_score_cv(const struct wk_cv_evidence *ev, struct wk_eval_result *result)
{
    enum cv_err rc;

    rc = score_skills(ev, &result->cv[WK_CV_TECHNICAL_SKILLS]);
    if (rc == CV_OK) {
        rc = score_experience(ev, result->cv[WK_CV_TECHNICAL_SKILLS].score,
                              &result->cv[WK_CV_EXPERIENCE_LEVEL]);
    }
    if (rc == CV_OK) {
        rc = score_achievements(ev, result->cv[WK_CV_TECHNICAL_SKILLS].score,
                                &result->cv[WK_CV_RELEVANT_ACHIEVEMENTS]);
    }
    if (rc == CV_OK) {
        rc = score_collaboration(ev, &result->cv[WK_CV_CULTURAL_FIT]);
    }
    return rc;
}
