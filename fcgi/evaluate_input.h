/*
 * The body and Idempotency-Key of POST /v1/evaluate: parsing and validating the JSON
 * object, and the canonical form whose SHA-256 distinguishes a replay from a key reused
 * for another request. Pure functions that touch no database and no FastCGI stream.
 */
#ifndef API_EVALUATE_INPUT_H
#define API_EVALUATE_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "common/id.h"
#include "common/sha256.h"
#include "fcgi/respond.h"

/* Characters (code points) of job_title. */
#define API_JOB_TITLE_MAX_CHARS 200

/* Bytes of each of job_description, study_case_brief and scoring_rubric. */
#define API_TEXT_FIELD_MAX_BYTES 65536

/* Bytes of an Idempotency-Key. */
#define API_IDEMPOTENCY_KEY_MAX 255

struct api_evaluate_input {
    char        cv_id[CV_UUID_LEN];        /* lower case */
    char        project_id[CV_UUID_LEN];   /* lower case, from project_id or report_id */
    const char *job_title;                 /* borrowed from doc, NULL when absent */
    const char *job_description;           /* borrowed from doc, NULL when absent */
    const char *study_case_brief;          /* borrowed from doc, NULL when absent */
    const char *scoring_rubric;            /* borrowed from doc, NULL when absent */
    cJSON      *doc;                       /* owned parsed body */
};

/* Why a body was rejected: the error, the field it concerns ("" for none), a message. */
struct api_input_problem {
    enum api_error err;
    char           field[128];
    char           message[384];
};

/*
 * Parses and validates len bytes of body into in; body[len] must be a NUL, as a
 * cv_buf provides. Returns CV_OK, CV_EINVAL with problem filled, or CV_ENOMEM. cv_id and project_id (or its alias report_id) are
 * required UUID strings. job_title (at most 200 characters, one line),
 * job_description, study_case_brief and scoring_rubric (at most 64 KiB each) are
 * optional non-blank strings, and null counts as absent. Any other member is rejected.
 * The caller frees in with api_evaluate_input_cleanup() whatever the result.
 */
enum cv_err api_evaluate_parse(const char *body, size_t len, struct api_evaluate_input *in,
                               struct api_input_problem *problem);

/* Frees in->doc and clears in. A zeroed input is a no-op. */
void api_evaluate_input_cleanup(struct api_evaluate_input *in);

/*
 * Writes the hex SHA-256 of the canonical form of in: the fields in a fixed order, each
 * as a length-prefixed value or an absent marker, ids in lower case. Two bodies that
 * differ only in member order, white space, escapes, report_id for project_id, or null
 * for an absent member get the same hash. Returns CV_ENOMEM when memory runs out.
 */
enum cv_err api_evaluate_hash(const struct api_evaluate_input *in,
                              char out[CV_SHA256_HEX_LEN]);

/* Returns true when key is 1..255 visible ASCII characters (0x21..0x7e). */
bool api_idempotency_key_is_valid(const char *key);

#endif
