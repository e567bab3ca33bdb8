/*
 * Project-report evidence: which requirements of the brief the report covers, and the
 * signals of code quality, resilience, documentation and extra work it mentions.
 */
#include <string.h>

#include "worker/scorer/evidence.h"

/* Fewer known concepts than this in a brief means it is about something else. */
#define CONCEPTS_MIN 3

static void
match_concepts(const struct wk_text *brief, const struct wk_text *report,
               struct wk_project_evidence *ev)
{
    size_t i;

    ev->required_concepts = wk_signals_match(brief, wk_brief_concepts, wk_brief_concept_count);
    ev->covered_concepts =
        ev->required_concepts & wk_signals_match(report, wk_brief_concepts, wk_brief_concept_count);
    for (i = 0; i < wk_brief_concept_count; i++) {
        if (ev->required_concepts & (1u << i)) {
            ev->required_weight += wk_brief_concepts[i].weight;
        }
        if (ev->covered_concepts & (1u << i)) {
            ev->covered_weight += wk_brief_concepts[i].weight;
        }
    }
}

enum cv_err
wk_evidence_project(const char *brief_text, const char *report_text,
                    struct wk_project_evidence *ev)
{
    struct wk_text brief;
    struct wk_text report;
    size_t         i;
    enum cv_err    rc;

    memset(ev, 0, sizeof(*ev));
    memset(&brief, 0, sizeof(brief));
    memset(&report, 0, sizeof(report));
    rc = wk_text_init(&brief, brief_text);
    if (rc == CV_OK) {
        rc = wk_text_init(&report, report_text);
    }
    if (rc != CV_OK) {
        goto out;
    }

    match_concepts(&brief, &report, ev);
    if (wk_bit_count(ev->required_concepts) < CONCEPTS_MIN) {
        rc = wk_keywords_overlap(&brief, &report, &ev->keyword_total, &ev->keyword_hits);
        if (rc != CV_OK) {
            goto out;
        }
    }
    ev->quality_groups = wk_signals_match(&report, wk_quality_signals, wk_quality_signal_count);
    for (i = 0; i < wk_test_kind_count; i++) {
        ev->test_kind_count += wk_text_has(&report, wk_test_kinds[i]);
    }
    ev->resilience_groups =
        wk_signals_match(&report, wk_resilience_signals, wk_resilience_signal_count);
    ev->doc_groups = wk_signals_match(&report, wk_doc_signals, wk_doc_signal_count);
    ev->extra_groups = wk_signals_match(&report, wk_extra_signals, wk_extra_signal_count);
    ev->word_count = report.word_count;

out:
    wk_text_cleanup(&brief);
    wk_text_cleanup(&report);
    return rc;
}
