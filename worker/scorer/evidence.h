/*
 * Evidence the built-in scorer finds in a CV and a project report, compared with the
 * job description and the case-study brief. Evidence is counts and table indexes
 * only, never document text, so feedback built from it cannot quote a candidate.
 */
#ifndef WK_SCORER_EVIDENCE_H
#define WK_SCORER_EVIDENCE_H

#include <stddef.h>

#include "common/err.h"
#include "worker/scorer/lexicon.h"
#include "worker/scorer/text.h"

/* Maximum distinct keywords taken from a reference text for the keyword fallback. */
#define WK_KEYWORDS_MAX 300

struct wk_cv_evidence {
    unsigned char job_skill[WK_SKILL_MAX]; /* 1 = the job description names wk_skills[i] */
    unsigned char cv_skill[WK_SKILL_MAX];  /* 1 = the CV mentions wk_skills[i] */
    int      job_skill_count;
    int      matched_skill_count;  /* skills named by both */
    unsigned required_areas;       /* bit per wk_skill_area the job description names */
    unsigned covered_areas;        /* required areas the CV has any skill in */
    int      required_weight;      /* sum of wk_areas[].weight over required_areas */
    int      covered_weight;       /* the same over covered_areas */
    int      keyword_total;        /* job keywords, when it names no known skill */
    int      keyword_hits;         /* of those, found in the CV */
    int      stated_years;         /* largest "N years" in the CV, -1 = none */
    int      range_months;         /* months covered by the CV's date ranges */
    int      has_senior_title;
    int      is_student;           /* the CV states its author is still studying */
    int      quantified_count;     /* lines with a measured outcome near an outcome verb */
    int      impact_count;         /* lines with an outcome verb */
    unsigned collab_groups;        /* bit per wk_collab_signals entry found */
    size_t   word_count;
};

struct wk_project_evidence {
    unsigned required_concepts;   /* bit per wk_brief_concepts entry the brief names */
    unsigned covered_concepts;    /* required concepts the report mentions */
    int      required_weight;
    int      covered_weight;
    int      keyword_total;       /* brief keywords, when it names few known concepts */
    int      keyword_hits;
    unsigned quality_groups;      /* bit per wk_quality_signals entry */
    int      test_kind_count;     /* wk_test_kinds entries found */
    unsigned resilience_groups;   /* bit per wk_resilience_signals entry */
    unsigned doc_groups;          /* bit per wk_doc_signals entry */
    unsigned extra_groups;        /* bit per wk_extra_signals entry */
    size_t   word_count;
};

/* Fills ev from a job description and a CV. Returns CV_OK or CV_ENOMEM. */
enum cv_err wk_evidence_cv(const char *job_description, const char *cv_text,
                           struct wk_cv_evidence *ev);

/* Fills ev from a case-study brief and a project report. Returns CV_OK or CV_ENOMEM. */
enum cv_err wk_evidence_project(const char *brief, const char *report,
                                struct wk_project_evidence *ev);

/* Returns a bit per signal of the table that occurs in text. count <= WK_SIGNAL_MAX. */
unsigned wk_signals_match(const struct wk_text *text, const struct wk_signal *signals,
                          size_t count);

/* Returns the number of bits set. */
int wk_bit_count(unsigned bits);

/*
 * Counts the distinct words of five or more ASCII letters in reference, stop words
 * left out and at most WK_KEYWORDS_MAX in order of first use, into *total, and how
 * many of them occur in doc into *hits. Returns CV_OK or CV_ENOMEM.
 */
enum cv_err wk_keywords_overlap(const struct wk_text *reference, const struct wk_text *doc,
                                int *total, int *hits);

/* Returns the largest "N years" of experience the CV states (0-40), or -1. */
int wk_experience_stated_years(const struct wk_text *cv);

/*
 * Returns the months covered by the CV's date ranges ("May 2018 - Aug 2018",
 * "2019 - Present", "11/2010 to 05/2013"), overlapping ranges counted once. "Present"
 * means the latest date written in the CV, so the result never depends on the clock.
 */
int wk_experience_range_months(const struct wk_text *cv);

#endif
