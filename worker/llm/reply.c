/*
 * Extraction and strict validation of a model's JSON reply. A reply is accepted only
 * when every required field is present with the right type; anything else becomes a
 * problem text for the repair request. Extra fields, such as a total the model
 * computed itself, are ignored.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "worker/llm/reply.h"

/* Candidate "{" positions tried before giving up, so prose full of braces costs little. */
#define CANDIDATES_MAX 32

/* Problem list being written into a caller buffer. */
struct problems {
    char   *text;
    size_t  size;
    size_t  len;
    int     count;
};

static void
problems_init(struct problems *list, char *text, size_t size)
{
    list->text = text;
    list->size = size;
    list->len = 0;
    list->count = 0;
    if (size > 0) {
        text[0] = '\0';
    }
}

__attribute__((format(printf, 2, 3))) static void
add_problem(struct problems *list, const char *fmt, ...)
{
    va_list ap;
    int     n;

    list->count++;
    if (list->size == 0 || list->len + 1 >= list->size) {
        return;
    }
    if (list->len > 0) {
        n = snprintf(list->text + list->len, list->size - list->len, "; ");
        list->len += (size_t)n < list->size - list->len ? (size_t)n : list->size - list->len - 1;
    }
    va_start(ap, fmt);
    n = vsnprintf(list->text + list->len, list->size - list->len, fmt, ap);
    va_end(ap);
    if (n > 0) {
        list->len += (size_t)n < list->size - list->len ? (size_t)n : list->size - list->len - 1;
    }
}

/* Returns the end of a balanced {...} starting at p[0] == '{', or NULL if it never closes. */
static const char *
match_object(const char *p, const char *end)
{
    int depth = 0;
    int is_in_string = 0;
    int is_escaped = 0;

    for (; p < end; p++) {
        if (is_in_string) {
            if (is_escaped) {
                is_escaped = 0;
            } else if (*p == '\\') {
                is_escaped = 1;
            } else if (*p == '"') {
                is_in_string = 0;
            }
            continue;
        }
        if (*p == '"') {
            is_in_string = 1;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            depth--;
            if (depth == 0) {
                return p + 1;
            }
        }
    }
    return NULL;
}

/* Returns whether p[0..len) parses as one JSON object with nothing after it. */
static int
is_json_object(const char *p, size_t len)
{
    cJSON      *doc;
    const char *parse_end = NULL;
    int         is_object;

    doc = cJSON_ParseWithLengthOpts(p, len, &parse_end, 0);
    is_object = doc != NULL && cJSON_IsObject(doc) && parse_end == p + len;
    cJSON_Delete(doc);
    return is_object;
}

/*
 * Looks inside the first ``` fence for an object. Returns 1 and sets the range when the
 * fence body starts with "{", else 0.
 */
static int
find_in_fence(const char *content, const char *end, const char **start, size_t *len)
{
    const char *open;
    const char *body;
    const char *close;
    const char *obj_end;

    open = memmem(content, (size_t)(end - content), "```", 3);
    if (open == NULL) {
        return 0;
    }
    /* The fence line may carry an info string such as "json". */
    body = memchr(open + 3, '\n', (size_t)(end - open - 3));
    if (body == NULL) {
        return 0;
    }
    body++;
    close = memmem(body, (size_t)(end - body), "```", 3);
    if (close == NULL) {
        close = end;
    }
    while (body < close && (*body == ' ' || *body == '\t' || *body == '\r' || *body == '\n')) {
        body++;
    }
    if (body == close || *body != '{') {
        return 0;
    }
    obj_end = match_object(body, close);
    if (obj_end == NULL) {
        return 0;
    }
    *start = body;
    *len = (size_t)(obj_end - body);
    return 1;
}

enum cv_err
wk_reply_extract(const char *content, size_t content_len, const char **start, size_t *len,
                 char *problems, size_t problems_len)
{
    struct problems  list;
    const char      *end = content + content_len;
    const char      *p;
    const char      *obj_end;
    int              tried = 0;
    int              is_unclosed = 0;

    problems_init(&list, problems, problems_len);

    if (find_in_fence(content, end, start, len) && is_json_object(*start, *len)) {
        return CV_OK;
    }

    p = content;
    while (p < end && tried < CANDIDATES_MAX) {
        p = memchr(p, '{', (size_t)(end - p));
        if (p == NULL) {
            break;
        }
        tried++;
        obj_end = match_object(p, end);
        if (obj_end == NULL) {
            /* Every later "{" lies inside this unclosed one, so none can close either. */
            is_unclosed = 1;
            break;
        }
        if (is_json_object(p, (size_t)(obj_end - p))) {
            *start = p;
            *len = (size_t)(obj_end - p);
            return CV_OK;
        }
        p++;
    }

    if (tried == 0) {
        add_problem(&list, "the reply contains no JSON object");
    } else if (is_unclosed) {
        add_problem(&list, "the JSON object ends before its closing brace");
    } else {
        add_problem(&list, "the reply contains no valid JSON object");
    }
    return CV_EINVAL;
}

static const char *
type_name(const cJSON *item)
{
    if (cJSON_IsString(item)) {
        return "a string";
    }
    if (cJSON_IsNumber(item)) {
        return "a number";
    }
    if (cJSON_IsBool(item)) {
        return "a boolean";
    }
    if (cJSON_IsNull(item)) {
        return "null";
    }
    if (cJSON_IsArray(item)) {
        return "an array";
    }
    return "an object";
}

/* Returns the member named key, or NULL; a key given twice is reported and yields NULL. */
static const cJSON *
get_member(const cJSON *object, const char *path, const char *key, struct problems *list,
           int is_required)
{
    const cJSON *child;
    const cJSON *found = NULL;
    int          count = 0;

    cJSON_ArrayForEach(child, object) {
        if (child->string != NULL && strcmp(child->string, key) == 0) {
            if (found == NULL) {
                found = child;
            }
            count++;
        }
    }
    if (count > 1) {
        add_problem(list, "\"%s%s\" appears %d times; give it once", path, key, count);
        return NULL;
    }
    if (found == NULL && is_required) {
        add_problem(list, "\"%s%s\" is missing", path, key);
    }
    return found;
}

/* Returns whether text has a character other than white space. */
static int
has_text(const char *text)
{
    for (; *text != '\0'; text++) {
        if (*text != ' ' && *text != '\t' && *text != '\n' && *text != '\r') {
            return 1;
        }
    }
    return 0;
}

/* Checks a required non-blank string of at most max_len bytes; returns it or NULL. */
static const char *
get_text(const cJSON *object, const char *path, const char *key, size_t max_len,
         struct problems *list)
{
    const cJSON *item;
    size_t       len;

    item = get_member(object, path, key, list, 1);
    if (item == NULL) {
        return NULL;
    }
    if (!cJSON_IsString(item)) {
        add_problem(list, "\"%s%s\" must be a string, got %s", path, key, type_name(item));
        return NULL;
    }
    if (!has_text(item->valuestring)) {
        add_problem(list, "\"%s%s\" is empty", path, key);
        return NULL;
    }
    len = strlen(item->valuestring);
    if (len > max_len) {
        add_problem(list, "\"%s%s\" is %zu bytes long, at most %zu allowed", path, key, len,
                    max_len);
        return NULL;
    }
    return item->valuestring;
}

/* Checks "score": a JSON number with an integer value from 1 to 5. Returns it, or 0. */
static int
get_score(const cJSON *param, const char *key, struct problems *list)
{
    const cJSON *item;
    char         path[96];
    double       value;

    (void)snprintf(path, sizeof(path), "%s.", key);
    item = get_member(param, path, "score", list, 1);
    if (item == NULL) {
        return 0;
    }
    if (!cJSON_IsNumber(item)) {
        add_problem(list, "\"%s.score\" must be an integer from 1 to 5, got %s", key,
                    type_name(item));
        return 0;
    }
    value = item->valuedouble;
    if (!isfinite(value) || value != floor(value)) {
        add_problem(list, "\"%s.score\" must be an integer from 1 to 5, got %g", key, value);
        return 0;
    }
    if (value < 1.0 || value > 5.0) {
        add_problem(list, "\"%s.score\" is %.0f, outside the range 1 to 5", key, value);
        return 0;
    }
    return (int)value;
}

/* Copies text with line breaks and tabs turned into spaces and the ends trimmed. */
static char *
dup_one_line(const char *text)
{
    char   *copy;
    size_t  len;
    size_t  i;

    while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r') {
        text++;
    }
    len = strlen(text);
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' ||
                       text[len - 1] == '\n' || text[len - 1] == '\r')) {
        len--;
    }
    copy = malloc(len + 1);
    if (copy == NULL) {
        return NULL;
    }
    for (i = 0; i < len; i++) {
        copy[i] = text[i] == '\n' || text[i] == '\r' || text[i] == '\t' ? ' ' : text[i];
    }
    copy[len] = '\0';
    return copy;
}

/* Copies text with only its ends trimmed; paragraphs of feedback keep their breaks. */
static char *
dup_trimmed(const char *text)
{
    size_t len;

    while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r') {
        text++;
    }
    len = strlen(text);
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' ||
                       text[len - 1] == '\n' || text[len - 1] == '\r')) {
        len--;
    }
    return strndup(text, len);
}

/* Validated values of one reply, before they are moved into the result. */
struct parsed {
    int         scores[WK_PROJECT_PARAM_COUNT];
    const char *reasons[WK_PROJECT_PARAM_COUNT];   /* borrowed from the cJSON tree */
    const char *text;                              /* borrowed from the cJSON tree */
};

static void
check_params(const cJSON *root, const struct wk_step_def *def, struct parsed *parsed,
             struct problems *list)
{
    const cJSON *param;
    const char  *key;
    char         path[96];
    size_t       i;

    for (i = 0; i < def->param_count; i++) {
        key = def->params[i].key;
        param = get_member(root, "", key, list, 1);
        if (param == NULL) {
            continue;
        }
        if (!cJSON_IsObject(param)) {
            add_problem(list, "\"%s\" must be an object with \"score\" and \"reason\", got %s",
                        key, type_name(param));
            continue;
        }
        parsed->scores[i] = get_score(param, key, list);
        (void)snprintf(path, sizeof(path), "%s.", key);
        parsed->reasons[i] = get_text(param, path, "reason", WK_REPLY_REASON_MAX_LEN, list);
    }
}

/* Moves validated values into out. Returns CV_ENOMEM with out unchanged on failure. */
static enum cv_err
store(enum wk_step step, const struct parsed *parsed, struct wk_eval_result *out)
{
    const struct wk_step_def *def = &wk_steps[step];
    struct wk_param_score    *group;
    char                     *reasons[WK_PROJECT_PARAM_COUNT] = {NULL};
    char                     *text;
    size_t                    i;

    text = dup_trimmed(parsed->text);
    if (text == NULL) {
        return CV_ENOMEM;
    }
    for (i = 0; i < def->param_count; i++) {
        reasons[i] = dup_one_line(parsed->reasons[i]);
        if (reasons[i] == NULL) {
            while (i > 0) {
                free(reasons[--i]);
            }
            free(text);
            return CV_ENOMEM;
        }
    }

    group = step == WK_STEP_CV ? out->cv : out->project;
    for (i = 0; i < def->param_count; i++) {
        group[i].score = parsed->scores[i];
        /* ownership of reasons[i] moves to out */
        group[i].reason = reasons[i];
    }
    /* ownership of text moves to out */
    if (step == WK_STEP_CV) {
        out->cv_feedback = text;
    } else if (step == WK_STEP_PROJECT) {
        out->project_feedback = text;
    } else {
        out->overall_summary = text;
    }
    return CV_OK;
}

enum cv_err
wk_reply_parse(enum wk_step step, const char *content, size_t content_len, int is_truncated,
               struct wk_eval_result *out, char *problems, size_t problems_len)
{
    const struct wk_step_def *def = &wk_steps[step];
    struct problems           list;
    struct parsed             parsed;
    const char               *start;
    size_t                    len;
    cJSON                    *root = NULL;
    enum cv_err               rc;

    problems_init(&list, problems, problems_len);
    memset(&parsed, 0, sizeof(parsed));

    rc = wk_reply_extract(content, content_len, &start, &len, problems, problems_len);
    if (rc != CV_OK) {
        if (is_truncated) {
            list.len = strlen(problems);
            list.count = 1;
            add_problem(&list, "the reply was cut off at the max_tokens limit, so keep every "
                               "reason to one short sentence");
        }
        goto out;
    }
    root = cJSON_ParseWithLength(start, len);
    if (root == NULL) {
        /* wk_reply_extract() parsed the same bytes, so only allocation can fail here. */
        rc = CV_ENOMEM;
        goto out;
    }

    check_params(root, def, &parsed, &list);
    parsed.text = get_text(root, "", def->text_key, WK_REPLY_TEXT_MAX_LEN, &list);
    if (list.count > 0) {
        rc = CV_EINVAL;
        goto out;
    }
    rc = store(step, &parsed, out);
out:
    cJSON_Delete(root);
    return rc;
}
