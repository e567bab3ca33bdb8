/*
 * CV evidence: skills compared with the ones the job description names, experience,
 * measured achievements and collaboration signals. The job's skills come from its own
 * text, so an inline job description for another role is compared on its own terms.
 */
#include <string.h>

#include "worker/scorer/evidence.h"

static void
match_skills(const struct wk_text *job, const struct wk_text *cv, struct wk_cv_evidence *ev)
{
    unsigned cv_areas = 0;
    size_t   i;
    int      area;

    for (i = 0; i < wk_skill_count && i < WK_SKILL_MAX; i++) {
        area = (int)wk_skills[i].area;
        ev->job_skill[i] = (unsigned char)wk_text_has(job, wk_skills[i].terms);
        ev->cv_skill[i] = (unsigned char)wk_text_has(cv, wk_skills[i].terms);
        if (ev->job_skill[i]) {
            ev->job_skill_count++;
            ev->required_areas |= 1u << area;
        }
        if (ev->cv_skill[i]) {
            cv_areas |= 1u << area;
        }
        if (ev->job_skill[i] && ev->cv_skill[i]) {
            ev->matched_skill_count++;
        }
    }
    ev->covered_areas = ev->required_areas & cv_areas;
    for (area = 0; area < WK_AREA_COUNT; area++) {
        if (ev->required_areas & (1u << area)) {
            ev->required_weight += wk_areas[area].weight;
        }
        if (ev->covered_areas & (1u << area)) {
            ev->covered_weight += wk_areas[area].weight;
        }
    }
}

/* Returns the end of the number starting at pos: digits with inner ',' or '.'. */
static size_t
number_end(const struct wk_text *cv, size_t pos)
{
    while (pos < cv->len) {
        if (cv->lower[pos] >= '0' && cv->lower[pos] <= '9') {
            pos++;
        } else if ((cv->lower[pos] == ',' || cv->lower[pos] == '.') && pos + 1 < cv->len &&
                   cv->lower[pos + 1] >= '0' && cv->lower[pos + 1] <= '9') {
            pos++;
        } else {
            break;
        }
    }
    return pos;
}

/*
 * Returns whether the number [start, end) is a measured quantity: a percentage,
 * a multiple ("3x"), an amount of money, or a count with a unit ("2M users", "40 ms").
 */
static int
is_metric(const struct wk_text *cv, size_t start, size_t end)
{
    const char *s = cv->lower;
    size_t      after = end;

    /* Money: "$120", the euro sign, "Rp 5" or "Rp5" (Indonesian rupiah). */
    if (start >= 1 && s[start - 1] == '$') {
        return 1;
    }
    if (start >= 3 && (memcmp(s + start - 3, "\xe2\x82\xac", 3) == 0 ||
                       memcmp(s + start - 3, "rp ", 3) == 0 ||
                       memcmp(s + start - 2, "rp", 2) == 0)) {
        return 1;
    }
    if (after < cv->len && s[after] == '+') {
        after++;
    }
    if (after < cv->len && s[after] == 'x' &&
        (after + 1 >= cv->len || !wk_is_alnum(s[after + 1]))) {
        return 1;
    }
    if (after < cv->len && s[after] == ' ') {
        after++;
    }
    if (after < cv->len && s[after] == '%') {
        return 1;
    }
    return wk_text_match_at(cv, "percent|persen|usd|idr|eur", after) > 0 ||
           wk_text_match_at(cv, wk_metric_unit_terms, after) > 0;
}

/* Returns whether the line [start, end) contains a measured quantity. */
static int
line_has_metric(const struct wk_text *cv, size_t start, size_t end)
{
    size_t pos = start;
    size_t stop;

    while (pos < end) {
        if (cv->lower[pos] >= '0' && cv->lower[pos] <= '9' &&
            (pos == 0 || !wk_is_alnum(cv->lower[pos - 1]))) {
            stop = number_end(cv, pos);
            if (is_metric(cv, pos, stop)) {
                return 1;
            }
            pos = stop;
        } else {
            pos++;
        }
    }
    return 0;
}

static int
is_blank_line(const struct wk_text *cv, size_t start, size_t end)
{
    for (; start < end; start++) {
        if (!wk_is_space(cv->lower[start])) {
            return 0;
        }
    }
    return 1;
}

/*
 * Counts lines with a measured outcome near an outcome verb, and lines with such a
 * verb. The verb may also sit on the previous non-blank line, because extraction
 * wraps long bullets; blank lines are skipped so that removed passages change nothing.
 */
static void
find_achievements(const struct wk_text *cv, struct wk_cv_evidence *ev)
{
    const char *nl;
    size_t      previous = 0;
    size_t      start = 0;
    size_t      end;

    while (start < cv->len) {
        nl = memchr(cv->lower + start, '\n', cv->len - start);
        end = nl != NULL ? (size_t)(nl - cv->lower) : cv->len;
        if (!is_blank_line(cv, start, end)) {
            if (wk_text_has_in(cv, wk_impact_terms, start, end)) {
                ev->impact_count++;
            }
            if (line_has_metric(cv, start, end) &&
                wk_text_has_in(cv, wk_impact_terms, previous, end)) {
                ev->quantified_count++;
            }
            previous = start;
        }
        start = end + 1;
    }
}

enum cv_err
wk_evidence_cv(const char *job_description, const char *cv_text, struct wk_cv_evidence *ev)
{
    struct wk_text job;
    struct wk_text cv;
    enum cv_err    rc;

    memset(ev, 0, sizeof(*ev));
    memset(&job, 0, sizeof(job));
    memset(&cv, 0, sizeof(cv));
    rc = wk_text_init(&job, job_description);
    if (rc == CV_OK) {
        rc = wk_text_init(&cv, cv_text);
    }
    if (rc != CV_OK) {
        goto out;
    }

    match_skills(&job, &cv, ev);
    if (ev->job_skill_count == 0) {
        rc = wk_keywords_overlap(&job, &cv, &ev->keyword_total, &ev->keyword_hits);
        if (rc != CV_OK) {
            goto out;
        }
    }
    ev->stated_years = wk_experience_stated_years(&cv);
    ev->range_months = wk_experience_range_months(&cv);
    ev->has_senior_title = wk_text_has(&cv, wk_senior_terms);
    ev->is_student = wk_text_has(&cv, wk_student_terms);
    find_achievements(&cv, ev);
    ev->collab_groups = wk_signals_match(&cv, wk_collab_signals, wk_collab_signal_count);
    ev->word_count = cv.word_count;

out:
    wk_text_cleanup(&job);
    wk_text_cleanup(&cv);
    return rc;
}
