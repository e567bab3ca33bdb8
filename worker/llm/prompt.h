/*
 * Versioned prompt templates, read once at start from PROMPTS_DIR. The file VERSION
 * names the active version V; the templates are system_V.txt, cv_V.txt, project_V.txt,
 * summary_V.txt and repair_V.txt. A template is plain text with {{name}} placeholders;
 * each is checked at load for unknown names, for the placeholders its step needs and
 * for the JSON keys its step must ask for, so a broken edit stops the worker at start
 * instead of failing jobs.
 */
#ifndef WK_LLM_PROMPT_H
#define WK_LLM_PROMPT_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/sha256.h"

/* Largest template file accepted, in bytes. */
#define WK_PROMPT_FILE_MAX_LEN 65536

/* Maximum version name length, in bytes. The name is made of [A-Za-z0-9._-]. */
#define WK_PROMPT_VERSION_MAX_LEN 32

enum wk_prompt_kind {
    WK_PROMPT_SYSTEM = 0,   /* system message of every step */
    WK_PROMPT_CV,           /* user message of the CV step */
    WK_PROMPT_PROJECT,      /* user message of the project step */
    WK_PROMPT_SUMMARY,      /* user message of the summary step */
    WK_PROMPT_REPAIR,       /* follow-up message after a reply that failed the checks */
    WK_PROMPT_COUNT
};

/* Placeholder names, in the order of enum wk_prompt_var; see prompts/README.md. */
enum wk_prompt_var {
    WK_VAR_NONCE = 0,         /* random marker of this job's untrusted-data delimiters */
    WK_VAR_JOB_TITLE,
    WK_VAR_JOB_CONTEXT,       /* retrieved job-description passages */
    WK_VAR_BRIEF_CONTEXT,     /* retrieved case-study-brief passages */
    WK_VAR_RUBRIC,            /* retrieved rubric passages */
    WK_VAR_CV,                /* the candidate's CV, delimited */
    WK_VAR_PROJECT,           /* the candidate's project report, delimited */
    WK_VAR_CV_RESULT,         /* the CV step's validated scores and feedback */
    WK_VAR_PROJECT_RESULT,    /* the project step's validated scores and feedback */
    WK_VAR_PROBLEMS,          /* what was wrong with the previous reply */
    WK_VAR_COUNT
};

/* One piece of a parsed template: literal text, or a placeholder when var >= 0. */
struct wk_prompt_segment {
    const char *text;   /* borrowed from the template's source */
    size_t      len;
    int         var;    /* enum wk_prompt_var, -1 = literal */
};

struct wk_prompt_template {
    char                     *source;      /* owned, file contents */
    struct wk_prompt_segment *segments;    /* owned array */
    size_t                    segment_count;
};

struct wk_prompts {
    char                      version[WK_PROMPT_VERSION_MAX_LEN + 1];
    char                      sha256[CV_SHA256_HEX_LEN];   /* of all templates in order */
    struct wk_prompt_template templates[WK_PROMPT_COUNT];
};

/*
 * Reads VERSION and the five templates from dir into prompts (zeroed by the call).
 * Returns CV_OK; CV_ENOTFOUND or CV_EINVAL with a message naming the file and the
 * problem in errbuf; CV_ENOMEM. On failure prompts contains nothing. Release with
 * wk_prompts_cleanup().
 */
enum cv_err wk_prompts_load(const char *dir, struct wk_prompts *prompts, char *errbuf,
                            size_t errbuf_len);

/* Frees everything prompts owns and zeroes it. A zeroed struct is a no-op. */
void wk_prompts_cleanup(struct wk_prompts *prompts);

/*
 * Appends template kind to out with each placeholder replaced by values[var]; a NULL
 * value counts as "". Returns CV_OK, or the error of cv_buf_append(). Thread-safe:
 * prompts is only read.
 */
enum cv_err wk_prompt_render(const struct wk_prompts *prompts, enum wk_prompt_kind kind,
                             const char *const values[WK_VAR_COUNT], struct cv_buf *out);

/* Returns the placeholder name of var ("job_title"). */
const char *wk_prompt_var_name(enum wk_prompt_var var);

#endif
