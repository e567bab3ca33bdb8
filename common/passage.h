/*
 * Splitting of a reference document (job description, case-study brief, rubric) into
 * passages for retrieval. The input is the Markdown subset described in kb/README.md,
 * or plain text without any headings. The output depends on the input bytes alone.
 */
#ifndef CV_PASSAGE_H
#define CV_PASSAGE_H

#include <stddef.h>

#include "common/err.h"

/* Passage size that kb-load and the worker use, in bytes: about 150-200 English words. */
#define CV_PASSAGE_MAX_LEN_DEFAULT 1200

/* Minimum max_len accepted, so that a cut always has room for whole UTF-8 characters. */
#define CV_PASSAGE_MAX_LEN_MIN 64

/* Maximum number of passages per document; one more fails with CV_ETOOLARGE. */
#define CV_PASSAGE_COUNT_MAX 10000

/* Maximum section name length in bytes. Longer headings are cut at a character boundary. */
#define CV_PASSAGE_SECTION_MAX_LEN 200

struct cv_passage {
    char   *section;   /* owned, heading of the section; "" when none applies */
    char   *body;      /* owned, non-empty, at most max_len bytes */
    int     ordinal;   /* position in the document, from 0 */
    double  weight;    /* retrieval weight of the section, > 0, 1 unless a marker sets it */
};

struct cv_passage_doc {
    char              *title;      /* owned, text of the first "# " line, "" when none */
    struct cv_passage *passages;   /* owned array of count items */
    size_t             count;
};

struct cv_passage_opts {
    size_t max_len;     /* bytes per passage body, at least CV_PASSAGE_MAX_LEN_MIN */
    int    is_strict;   /* nonzero: a malformed {weight=...} marker is an error */
};

/*
 * Splits text_len bytes of text into doc, which must be zeroed. NUL bytes in the text
 * count as spaces. Returns CV_OK (doc filled, possibly with zero passages for blank
 * text), CV_EINVAL (bad opts, or a malformed weight marker when opts->is_strict),
 * CV_ETOOLARGE (more than CV_PASSAGE_COUNT_MAX passages) or CV_ENOMEM. On failure doc
 * contains nothing and errbuf has the reason. The caller releases doc with
 * cv_passage_doc_cleanup(). Thread-safe.
 */
enum cv_err cv_passage_split(const char *text, size_t text_len,
                             const struct cv_passage_opts *opts, struct cv_passage_doc *doc,
                             char *errbuf, size_t errbuf_len);

/* Frees everything doc owns and zeroes it. A zeroed doc is a no-op. */
void cv_passage_doc_cleanup(struct cv_passage_doc *doc);

#endif
