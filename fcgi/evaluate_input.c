/* Validation of the POST /v1/evaluate body and its canonical hash. */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "fcgi/evaluate_input.h"

/* Version tag of the canonical form. Change it if the form ever changes. */
#define CANONICAL_TAG "cv-evaluate-request/1\n"

struct text_field {
    const char *name;
    size_t      offset;      /* of the const char * in struct api_evaluate_input */
};

static const struct text_field text_fields[] = {
    {"job_title", offsetof(struct api_evaluate_input, job_title)},
    {"job_description", offsetof(struct api_evaluate_input, job_description)},
    {"study_case_brief", offsetof(struct api_evaluate_input, study_case_brief)},
    {"scoring_rubric", offsetof(struct api_evaluate_input, scoring_rubric)},
};

static const char *const known_members[] = {
    "cv_id", "project_id", "report_id", "job_title", "job_description", "study_case_brief",
    "scoring_rubric",
};

static const char **
text_slot(struct api_evaluate_input *in, const struct text_field *field)
{
    return (const char **)(void *)((char *)in + field->offset);
}

/*
 * Returns the length in bytes of the UTF-8 sequence at p (at most left bytes), or 0
 * when it is invalid: overlong forms, surrogates and code points past U+10FFFF included.
 */
static size_t
utf8_sequence_len(const unsigned char *p, size_t left)
{
    size_t   len;
    size_t   i;
    unsigned cp;

    if (p[0] < 0x80) {
        return 1;
    }
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        len = 2;
        cp = p[0] & 0x1fu;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3;
        cp = p[0] & 0x0fu;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4;
        cp = p[0] & 0x07u;
    } else {
        return 0;
    }
    if (len > left) {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[i] & 0x3fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return len;
}

static bool
is_valid_utf8(const char *text, size_t len)
{
    size_t i = 0;
    size_t n;

    while (i < len) {
        n = utf8_sequence_len((const unsigned char *)text + i, len - i);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

/* Counts the code points of valid UTF-8. */
static size_t
count_chars(const char *text)
{
    size_t count = 0;

    for (; *text != '\0'; text++) {
        if (((unsigned char)*text & 0xc0) != 0x80) {
            count++;
        }
    }
    return count;
}

/* Returns true when the body has a \u0000 escape, which cJSON would cut the string at. */
static bool
has_nul_escape(const char *body, size_t len)
{
    size_t backslashes = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        if (body[i] != '\\') {
            backslashes = 0;
            continue;
        }
        backslashes++;
        /* An odd run of backslashes makes the next character an escape. */
        if (backslashes % 2 == 1 && i + 5 < len && strncmp(body + i + 1, "u0000", 5) == 0) {
            return true;
        }
    }
    return false;
}

static bool
is_blank(const char *text)
{
    for (; *text != '\0'; text++) {
        if (!isspace((unsigned char)*text)) {
            return false;
        }
    }
    return true;
}

static bool
has_control(const char *text)
{
    for (; *text != '\0'; text++) {
        if ((unsigned char)*text < 0x20 || *text == 0x7f) {
            return true;
        }
    }
    return false;
}

static enum cv_err
reject(struct api_input_problem *problem, enum api_error err, const char *field,
       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Fills problem and returns CV_EINVAL. A long field name is cut at a character boundary. */
static enum cv_err
reject(struct api_input_problem *problem, enum api_error err, const char *field,
       const char *fmt, ...)
{
    size_t  len;
    va_list ap;

    problem->err = err;
    len = field != NULL ? strlen(field) : 0;
    if (len >= sizeof(problem->field)) {
        len = sizeof(problem->field) - 1;
        while (len > 0 && ((unsigned char)field[len] & 0xc0) == 0x80) {
            len--;
        }
    }
    memcpy(problem->field, field != NULL ? field : "", len);
    problem->field[len] = '\0';

    va_start(ap, fmt);
    (void)vsnprintf(problem->message, sizeof(problem->message), fmt, ap); /* cut is fine */
    va_end(ap);
    return CV_EINVAL;
}

static void
lower_copy(char out[CV_UUID_LEN], const char *uuid)
{
    size_t i;

    for (i = 0; i < CV_UUID_LEN - 1; i++) {
        out[i] = (char)tolower((unsigned char)uuid[i]);
    }
    out[CV_UUID_LEN - 1] = '\0';
}

/* Checks an id member that is present and stores the lower-case id in out. */
static enum cv_err
check_id(const cJSON *item, const char *name, char out[CV_UUID_LEN],
         struct api_input_problem *problem)
{
    if (!cJSON_IsString(item)) {
        return reject(problem, API_ERR_INVALID_FIELD, name, "%s must be a string", name);
    }
    if (!cv_id_is_uuid(item->valuestring)) {
        return reject(problem, API_ERR_INVALID_ID, name,
                      "%s must be a UUID such as 123e4567-e89b-12d3-a456-426614174000", name);
    }
    lower_copy(out, item->valuestring);
    return CV_OK;
}

static enum cv_err
check_text(const cJSON *item, const char *name, const char **out,
           struct api_input_problem *problem)
{
    if (item == NULL || cJSON_IsNull(item)) {
        *out = NULL;
        return CV_OK;
    }
    if (!cJSON_IsString(item)) {
        return reject(problem, API_ERR_INVALID_FIELD, name, "%s must be a string or null",
                      name);
    }
    if (is_blank(item->valuestring)) {
        return reject(problem, API_ERR_INVALID_FIELD, name,
                      "%s must not be empty; leave it out to use the default", name);
    }
    if (strcmp(name, "job_title") == 0) {
        if (count_chars(item->valuestring) > API_JOB_TITLE_MAX_CHARS) {
            return reject(problem, API_ERR_INVALID_FIELD, name,
                          "job_title must be at most %d characters", API_JOB_TITLE_MAX_CHARS);
        }
        if (has_control(item->valuestring)) {
            return reject(problem, API_ERR_INVALID_FIELD, name,
                          "job_title must be one line without control characters");
        }
    } else if (strlen(item->valuestring) > API_TEXT_FIELD_MAX_BYTES) {
        return reject(problem, API_ERR_INVALID_FIELD, name, "%s must be at most %d bytes",
                      name, API_TEXT_FIELD_MAX_BYTES);
    }
    *out = item->valuestring;
    return CV_OK;
}

/* Rejects unknown and repeated members. cJSON keeps both copies of a repeated name. */
static enum cv_err
check_members(const cJSON *doc, struct api_input_problem *problem)
{
    const cJSON *item;
    const cJSON *other;
    size_t       i;
    bool         is_known;

    for (item = doc->child; item != NULL; item = item->next) {
        is_known = false;
        for (i = 0; i < sizeof(known_members) / sizeof(known_members[0]); i++) {
            if (strcmp(item->string, known_members[i]) == 0) {
                is_known = true;
            }
        }
        if (!is_known) {
            return reject(problem, API_ERR_UNKNOWN_FIELD, item->string,
                          "unknown member \"%.64s\"; expected cv_id, project_id, job_title, "
                          "job_description, study_case_brief or scoring_rubric",
                          item->string);
        }
        for (other = item->next; other != NULL; other = other->next) {
            if (strcmp(item->string, other->string) == 0) {
                return reject(problem, API_ERR_DUPLICATE_FIELD, item->string,
                              "member \"%s\" appears more than once", item->string);
            }
        }
    }
    return CV_OK;
}

static enum cv_err
parse_document(const char *body, size_t len, cJSON **doc, struct api_input_problem *problem)
{
    const char *end = NULL;

    *doc = NULL;
    if (len == 0) {
        return reject(problem, API_ERR_INVALID_JSON, NULL,
                      "request body is empty; expected a JSON object");
    }
    if (memchr(body, '\0', len) != NULL || !is_valid_utf8(body, len)) {
        return reject(problem, API_ERR_INVALID_JSON, NULL,
                      "request body is not valid UTF-8 text");
    }
    if (has_nul_escape(body, len)) {
        return reject(problem, API_ERR_INVALID_JSON, NULL,
                      "request body contains \\u0000, which no field accepts");
    }
    /* body is NUL-terminated, so len + 1 lets cJSON reject trailing garbage. */
    *doc = cJSON_ParseWithLengthOpts(body, len + 1, &end, 1);
    if (*doc == NULL) {
        return reject(problem, API_ERR_INVALID_JSON, NULL,
                      "request body is not valid JSON (error near byte %zu)",
                      end != NULL && end >= body ? (size_t)(end - body) : (size_t)0);
    }
    if (!cJSON_IsObject(*doc)) {
        return reject(problem, API_ERR_INVALID_JSON, NULL,
                      "request body must be a JSON object");
    }
    return CV_OK;
}

enum cv_err
api_evaluate_parse(const char *body, size_t len, struct api_evaluate_input *in,
                   struct api_input_problem *problem)
{
    const cJSON *project;
    const cJSON *report;
    char         report_id[CV_UUID_LEN];
    enum cv_err  rc;
    size_t       i;

    memset(in, 0, sizeof(*in));
    memset(problem, 0, sizeof(*problem));

    rc = parse_document(body, len, &in->doc, problem);
    if (rc != CV_OK) {
        return rc;
    }
    rc = check_members(in->doc, problem);
    if (rc != CV_OK) {
        return rc;
    }

    if (cJSON_GetObjectItemCaseSensitive(in->doc, "cv_id") == NULL) {
        return reject(problem, API_ERR_MISSING_FIELD, "cv_id", "cv_id is required");
    }
    rc = check_id(cJSON_GetObjectItemCaseSensitive(in->doc, "cv_id"), "cv_id", in->cv_id,
                  problem);
    if (rc != CV_OK) {
        return rc;
    }

    project = cJSON_GetObjectItemCaseSensitive(in->doc, "project_id");
    report = cJSON_GetObjectItemCaseSensitive(in->doc, "report_id");
    if (project == NULL && report == NULL) {
        return reject(problem, API_ERR_MISSING_FIELD, "project_id",
                      "project_id (or its alias report_id) is required");
    }
    if (project != NULL) {
        rc = check_id(project, "project_id", in->project_id, problem);
        if (rc != CV_OK) {
            return rc;
        }
    }
    if (report != NULL) {
        rc = check_id(report, "report_id", report_id, problem);
        if (rc != CV_OK) {
            return rc;
        }
        if (project != NULL && strcmp(report_id, in->project_id) != 0) {
            return reject(problem, API_ERR_CONFLICTING_FIELDS, "report_id",
                          "report_id is an alias of project_id and names another upload; "
                          "send only project_id");
        }
        memcpy(in->project_id, report_id, sizeof(report_id));
    }

    for (i = 0; i < sizeof(text_fields) / sizeof(text_fields[0]); i++) {
        rc = check_text(cJSON_GetObjectItemCaseSensitive(in->doc, text_fields[i].name),
                        text_fields[i].name, text_slot(in, &text_fields[i]), problem);
        if (rc != CV_OK) {
            return rc;
        }
    }
    return CV_OK;
}

void
api_evaluate_input_cleanup(struct api_evaluate_input *in)
{
    cJSON_Delete(in->doc);
    memset(in, 0, sizeof(*in));
}

static enum cv_err
append_field(struct cv_buf *out, const char *name, const char *value)
{
    if (value == NULL) {
        return cv_buf_printf(out, "%s=-\n", name);
    }
    return cv_buf_printf(out, "%s=%zu:%s\n", name, strlen(value), value);
}

enum cv_err
api_evaluate_hash(const struct api_evaluate_input *in, char out[CV_SHA256_HEX_LEN])
{
    struct cv_buf canonical;
    enum cv_err   rc;

    /* The tag, two ids and four bounded texts with their names and lengths. */
    cv_buf_init(&canonical, 4 * (API_TEXT_FIELD_MAX_BYTES + 64) + 256);
    rc = cv_buf_append_str(&canonical, CANONICAL_TAG);
    if (rc == CV_OK) {
        rc = append_field(&canonical, "cv_id", in->cv_id);
    }
    if (rc == CV_OK) {
        rc = append_field(&canonical, "project_id", in->project_id);
    }
    if (rc == CV_OK) {
        rc = append_field(&canonical, "job_title", in->job_title);
    }
    if (rc == CV_OK) {
        rc = append_field(&canonical, "job_description", in->job_description);
    }
    if (rc == CV_OK) {
        rc = append_field(&canonical, "study_case_brief", in->study_case_brief);
    }
    if (rc == CV_OK) {
        rc = append_field(&canonical, "scoring_rubric", in->scoring_rubric);
    }
    if (rc == CV_OK) {
        rc = cv_sha256_hex(canonical.data, canonical.len, out);
    }
    cv_buf_cleanup(&canonical);
    return rc == CV_ETOOLARGE ? CV_EINTERNAL : rc;
}

bool
api_idempotency_key_is_valid(const char *key)
{
    size_t i;

    if (key == NULL) {
        return false;
    }
    for (i = 0; key[i] != '\0'; i++) {
        if (i == API_IDEMPOTENCY_KEY_MAX || key[i] < 0x21 || key[i] > 0x7e) {
            return false;
        }
    }
    return i > 0;
}
