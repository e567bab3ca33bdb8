/*
 * Loading, checking and rendering of the prompt templates. Templates are parsed into
 * segments once, so rendering one for a job is a run of appends with no searching.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/llm/prompt.h"
#include "worker/llm/step.h"

#define VAR_BIT(var) (1u << (var))

static const char *const var_names[WK_VAR_COUNT] = {
    "nonce", "job_title", "job_context", "brief_context", "rubric",
    "cv", "project", "cv_result", "project_result", "problems",
};

/* Rules of one template: its file name, its placeholders and its reply keys. */
struct template_rule {
    const char *file_prefix;    /* "cv" for cv_V.txt */
    unsigned    required_vars;  /* VAR_BIT set that must appear */
    unsigned    allowed_vars;   /* VAR_BIT set that may appear */
    int         step;           /* whose reply keys it must name, -1 = none */
};

static const struct template_rule rules[WK_PROMPT_COUNT] = {
    [WK_PROMPT_SYSTEM] = {"system", 0, VAR_BIT(WK_VAR_NONCE), -1},
    [WK_PROMPT_CV] = {"cv",
                      VAR_BIT(WK_VAR_CV) | VAR_BIT(WK_VAR_JOB_CONTEXT) | VAR_BIT(WK_VAR_RUBRIC),
                      VAR_BIT(WK_VAR_CV) | VAR_BIT(WK_VAR_JOB_CONTEXT) | VAR_BIT(WK_VAR_RUBRIC) |
                          VAR_BIT(WK_VAR_JOB_TITLE) | VAR_BIT(WK_VAR_NONCE),
                      WK_STEP_CV},
    [WK_PROMPT_PROJECT] = {"project",
                           VAR_BIT(WK_VAR_PROJECT) | VAR_BIT(WK_VAR_BRIEF_CONTEXT) |
                               VAR_BIT(WK_VAR_RUBRIC),
                           VAR_BIT(WK_VAR_PROJECT) | VAR_BIT(WK_VAR_BRIEF_CONTEXT) |
                               VAR_BIT(WK_VAR_RUBRIC) | VAR_BIT(WK_VAR_JOB_TITLE) |
                               VAR_BIT(WK_VAR_NONCE),
                           WK_STEP_PROJECT},
    [WK_PROMPT_SUMMARY] = {"summary",
                           VAR_BIT(WK_VAR_CV_RESULT) | VAR_BIT(WK_VAR_PROJECT_RESULT),
                           VAR_BIT(WK_VAR_CV_RESULT) | VAR_BIT(WK_VAR_PROJECT_RESULT) |
                               VAR_BIT(WK_VAR_JOB_CONTEXT) | VAR_BIT(WK_VAR_JOB_TITLE) |
                               VAR_BIT(WK_VAR_NONCE),
                           WK_STEP_SUMMARY},
    [WK_PROMPT_REPAIR] = {"repair", VAR_BIT(WK_VAR_PROBLEMS), VAR_BIT(WK_VAR_PROBLEMS), -1},
};

const char *
wk_prompt_var_name(enum wk_prompt_var var)
{
    return var >= 0 && var < WK_VAR_COUNT ? var_names[var] : "unknown";
}

/* Reads a whole file of at most WK_PROMPT_FILE_MAX_LEN bytes. */
static enum cv_err
read_file(const char *path, char **out, size_t *out_len, char *errbuf, size_t errbuf_len)
{
    FILE          *fp;
    struct cv_buf  content;
    char           chunk[4096];
    size_t         n;
    int            saved_errno;
    enum cv_err    rc = CV_OK;

    cv_buf_init(&content, WK_PROMPT_FILE_MAX_LEN);
    fp = fopen(path, "r");
    if (fp == NULL) {
        saved_errno = errno;
        (void)snprintf(errbuf, errbuf_len, "cannot open prompt file \"%s\": %s", path,
                       strerror(saved_errno));
        return saved_errno == ENOENT ? CV_ENOTFOUND : CV_EINVAL;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        rc = cv_buf_append(&content, chunk, n);
        if (rc == CV_ETOOLARGE) {
            (void)snprintf(errbuf, errbuf_len, "prompt file \"%s\" is larger than %d bytes",
                           path, WK_PROMPT_FILE_MAX_LEN);
            rc = CV_EINVAL;
        }
        if (rc != CV_OK) {
            goto out;
        }
    }
    if (ferror(fp)) {
        (void)snprintf(errbuf, errbuf_len, "cannot read prompt file \"%s\"", path);
        rc = CV_EINVAL;
        goto out;
    }
    if (memchr(content.data == NULL ? "" : content.data, '\0', content.len) != NULL) {
        (void)snprintf(errbuf, errbuf_len, "prompt file \"%s\" contains a NUL byte", path);
        rc = CV_EINVAL;
        goto out;
    }
    *out_len = content.len;
    *out = cv_buf_take(&content);
    if (*out == NULL) {
        rc = CV_ENOMEM;
    }
out:
    fclose(fp);
    cv_buf_cleanup(&content);
    return rc;
}

/* Reads VERSION: one name of [A-Za-z0-9._-], optionally followed by a newline. */
static enum cv_err
read_version(const char *dir, struct wk_prompts *prompts, char *errbuf, size_t errbuf_len)
{
    char        path[4096];
    char       *text = NULL;
    size_t      len = 0;
    size_t      i;
    enum cv_err rc;

    (void)snprintf(path, sizeof(path), "%s/VERSION", dir);
    rc = read_file(path, &text, &len, errbuf, errbuf_len);
    if (rc != CV_OK) {
        return rc;
    }
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r')) {
        len--;
    }
    rc = CV_EINVAL;
    if (len == 0 || len > WK_PROMPT_VERSION_MAX_LEN) {
        (void)snprintf(errbuf, errbuf_len, "\"%s\" must hold one version name of 1 to %d "
                                           "characters", path, WK_PROMPT_VERSION_MAX_LEN);
        goto out;
    }
    for (i = 0; i < len; i++) {
        if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
                   text[i]) == NULL) {
            (void)snprintf(errbuf, errbuf_len, "\"%s\": invalid character in version name; "
                                               "use letters, digits, \".\", \"_\" and \"-\"",
                           path);
            goto out;
        }
    }
    memcpy(prompts->version, text, len);
    prompts->version[len] = '\0';
    rc = CV_OK;
out:
    free(text);
    return rc;
}

static int
lookup_var(const char *name, size_t len)
{
    int var;

    for (var = 0; var < WK_VAR_COUNT; var++) {
        if (strlen(var_names[var]) == len && memcmp(var_names[var], name, len) == 0) {
            return var;
        }
    }
    return -1;
}

static enum cv_err
push_segment(struct wk_prompt_template *tpl, size_t *cap, const char *text, size_t len,
             int var)
{
    struct wk_prompt_segment *grown;

    if (var < 0 && len == 0) {
        return CV_OK;
    }
    if (tpl->segment_count == *cap) {
        *cap = *cap == 0 ? 16 : *cap * 2;
        grown = realloc(tpl->segments, *cap * sizeof(*grown));
        if (grown == NULL) {
            return CV_ENOMEM;
        }
        tpl->segments = grown;
    }
    tpl->segments[tpl->segment_count].text = text;
    tpl->segments[tpl->segment_count].len = len;
    tpl->segments[tpl->segment_count].var = var;
    tpl->segment_count++;
    return CV_OK;
}

/* Cuts tpl->source into segments and checks its placeholders against rule. */
static enum cv_err
parse_template(struct wk_prompt_template *tpl, const struct template_rule *rule,
               const char *path, char *errbuf, size_t errbuf_len)
{
    const char *p = tpl->source;
    const char *open;
    const char *close;
    size_t      cap = 0;
    unsigned    seen = 0;
    int         var;
    enum cv_err rc;

    for (;;) {
        open = strstr(p, "{{");
        if (open == NULL) {
            rc = push_segment(tpl, &cap, p, strlen(p), -1);
            break;
        }
        close = strstr(open + 2, "}}");
        if (close == NULL) {
            (void)snprintf(errbuf, errbuf_len, "\"%s\": \"{{\" without a closing \"}}\"",
                           path);
            return CV_EINVAL;
        }
        var = lookup_var(open + 2, (size_t)(close - open - 2));
        if (var < 0 || (rule->allowed_vars & VAR_BIT(var)) == 0) {
            (void)snprintf(errbuf, errbuf_len, "\"%s\": placeholder \"%.*s\" is %s", path,
                           (int)(close - open + 2), open,
                           var < 0 ? "unknown" : "not available in this template");
            return CV_EINVAL;
        }
        seen |= VAR_BIT(var);
        rc = push_segment(tpl, &cap, p, (size_t)(open - p), -1);
        if (rc == CV_OK) {
            rc = push_segment(tpl, &cap, open, 0, var);
        }
        if (rc != CV_OK) {
            return rc;
        }
        p = close + 2;
    }
    if (rc != CV_OK) {
        return rc;
    }

    for (var = 0; var < WK_VAR_COUNT; var++) {
        if ((rule->required_vars & VAR_BIT(var)) != 0 && (seen & VAR_BIT(var)) == 0) {
            (void)snprintf(errbuf, errbuf_len, "\"%s\": placeholder {{%s}} is missing", path,
                           var_names[var]);
            return CV_EINVAL;
        }
    }
    return CV_OK;
}

/* Checks that a step template names every key its reply must contain, in quotes. */
static enum cv_err
check_reply_keys(const struct wk_prompt_template *tpl, int step, const char *path,
                 char *errbuf, size_t errbuf_len)
{
    const struct wk_step_def *def;
    char                      quoted[96];
    size_t                    i;

    if (step < 0) {
        return CV_OK;
    }
    def = &wk_steps[step];
    for (i = 0; i <= def->param_count; i++) {
        (void)snprintf(quoted, sizeof(quoted), "\"%s\"",
                       i < def->param_count ? def->params[i].key : def->text_key);
        if (strstr(tpl->source, quoted) == NULL) {
            (void)snprintf(errbuf, errbuf_len, "\"%s\" does not ask for the reply key %s",
                           path, quoted);
            return CV_EINVAL;
        }
    }
    return CV_OK;
}

enum cv_err
wk_prompts_load(const char *dir, struct wk_prompts *prompts, char *errbuf, size_t errbuf_len)
{
    struct cv_buf  all;
    char           path[4096];
    size_t         len;
    int            kind;
    enum cv_err    rc;

    memset(prompts, 0, sizeof(*prompts));
    cv_buf_init(&all, (size_t)WK_PROMPT_FILE_MAX_LEN * WK_PROMPT_COUNT);

    rc = read_version(dir, prompts, errbuf, errbuf_len);
    if (rc != CV_OK) {
        goto out;
    }
    for (kind = 0; kind < WK_PROMPT_COUNT; kind++) {
        (void)snprintf(path, sizeof(path), "%s/%s_%s.txt", dir, rules[kind].file_prefix,
                       prompts->version);
        rc = read_file(path, &prompts->templates[kind].source, &len, errbuf, errbuf_len);
        if (rc != CV_OK) {
            goto out;
        }
        rc = parse_template(&prompts->templates[kind], &rules[kind], path, errbuf,
                            errbuf_len);
        if (rc != CV_OK) {
            goto out;
        }
        rc = check_reply_keys(&prompts->templates[kind], rules[kind].step, path, errbuf,
                              errbuf_len);
        if (rc != CV_OK) {
            goto out;
        }
        /* A NUL between files keeps "ab"+"c" and "a"+"bc" apart in the digest. */
        rc = cv_buf_append(&all, prompts->templates[kind].source, len + 1);
        if (rc != CV_OK) {
            goto out;
        }
    }
    rc = cv_sha256_hex(all.data, all.len, prompts->sha256);
out:
    cv_buf_cleanup(&all);
    if (rc != CV_OK) {
        wk_prompts_cleanup(prompts);
    }
    return rc;
}

void
wk_prompts_cleanup(struct wk_prompts *prompts)
{
    int kind;

    for (kind = 0; kind < WK_PROMPT_COUNT; kind++) {
        free(prompts->templates[kind].source);
        free(prompts->templates[kind].segments);
    }
    memset(prompts, 0, sizeof(*prompts));
}

enum cv_err
wk_prompt_render(const struct wk_prompts *prompts, enum wk_prompt_kind kind,
                 const char *const values[WK_VAR_COUNT], struct cv_buf *out)
{
    const struct wk_prompt_template *tpl = &prompts->templates[kind];
    const struct wk_prompt_segment  *seg;
    size_t                           i;
    enum cv_err                      rc = CV_OK;

    for (i = 0; i < tpl->segment_count && rc == CV_OK; i++) {
        seg = &tpl->segments[i];
        if (seg->var < 0) {
            rc = cv_buf_append(out, seg->text, seg->len);
        } else if (values[seg->var] != NULL) {
            rc = cv_buf_append_str(out, values[seg->var]);
        }
    }
    return rc;
}
