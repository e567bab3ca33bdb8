/*
 * The built-in scorer's vocabulary: known technical skills with their synonyms and
 * skill areas, and the signal phrases it looks for in CVs and project reports. Terms
 * use the language described at wk_text_find() in text.h. The tables are compiled in,
 * so scoring needs no files, and their order fixes the order of every list in feedback.
 */
#ifndef WK_SCORER_LEXICON_H
#define WK_SCORER_LEXICON_H

#include <stddef.h>

/* Skill areas, the columns of the rubric's "backend, databases, APIs, cloud, AI/LLM". */
enum wk_skill_area {
    WK_AREA_BACKEND = 0,
    WK_AREA_DATABASE,
    WK_AREA_API,
    WK_AREA_CLOUD,
    WK_AREA_AI,
    WK_AREA_ASYNC,
    WK_AREA_TESTING,
    WK_AREA_SECURITY,
    WK_AREA_FRONTEND,
    WK_AREA_TOOLING,
    WK_AREA_COUNT
};

struct wk_area_def {
    const char *label;   /* for feedback, e.g. "databases" */
    int         weight;  /* share in skill coverage: 2 for the rubric's core areas, else 1 */
};

struct wk_skill {
    const char        *name;   /* canonical name for feedback, e.g. "PostgreSQL" */
    enum wk_skill_area area;
    const char        *terms;  /* the name and its synonyms */
};

/* A phrase group that counts once however often it occurs. */
struct wk_signal {
    const char *label;   /* for feedback, e.g. "mentoring" */
    const char *terms;
    int         weight;  /* share in coverage where groups are weighted, else 1 */
};

/* Upper bound of every signal table, so a table fits an unsigned bit mask. */
#define WK_SIGNAL_MAX 32

/* Upper bound of the skill table, for per-skill flag arrays. */
#define WK_SKILL_MAX 128

extern const struct wk_area_def wk_areas[WK_AREA_COUNT];
extern const struct wk_skill    wk_skills[];
extern const size_t             wk_skill_count;

/* CV: collaboration and learning (cultural fit). */
extern const struct wk_signal wk_collab_signals[];
extern const size_t           wk_collab_signal_count;

/*
 * Project report: requirements of the case-study brief (correctness). Entries of
 * weight 2 are the rubric's core: prompt design, chaining, retrieval and an LLM.
 */
extern const struct wk_signal wk_brief_concepts[];
extern const size_t           wk_brief_concept_count;

/* Project report: structure, tests, CI and linting (code quality). */
extern const struct wk_signal wk_quality_signals[];
extern const size_t           wk_quality_signal_count;

/* Index of the tests group in wk_quality_signals. */
#define WK_QUALITY_TESTS 1

/* Project report: testing kinds, counted for "strong tests". */
extern const char *const wk_test_kinds[];
extern const size_t      wk_test_kind_count;

/* Project report: retries, timeouts and failure handling (resilience). */
extern const struct wk_signal wk_resilience_signals[];
extern const size_t           wk_resilience_signal_count;

/* Project report: README, setup, architecture and trade-offs (documentation). */
extern const struct wk_signal wk_doc_signals[];
extern const size_t           wk_doc_signal_count;

/* Project report: work beyond the brief (creativity). */
extern const struct wk_signal wk_extra_signals[];
extern const size_t           wk_extra_signal_count;

/*
 * CV: titles that show seniority, and phrases that show the candidate is still a
 * student ("Expected Dec 2019", "graduating", Chinese "enrolled" and "intern").
 */
extern const char wk_senior_terms[];
extern const char wk_student_terms[];

/* CV: verbs that claim an outcome, looked for near a quantity. */
extern const char wk_impact_terms[];

/* CV: units that make a number a measured outcome ("40%" is handled separately). */
extern const char wk_metric_unit_terms[];

/* Words that end a date range: "present", "sekarang", "heute". */
extern const char wk_present_terms[];

/* Words that follow a number of years and mean age, not experience. */
extern const char wk_age_terms[];

#endif
