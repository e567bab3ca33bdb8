/* Parsing of KEY=value config files. envfile.h gives the accepted syntax. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/envfile.h"

/* Result of reading one line. */
enum line_status {
    LINE_OK,
    LINE_EOF,         /* no byte left */
    LINE_TOO_LONG,    /* the rest of the line was read and dropped */
    LINE_NUL,         /* the line contains a NUL byte */
    LINE_READ_ERROR   /* errno is set */
};

/* The blanks systemd strips around keys and unquoted values. */
static int
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static int
is_name_char(char c, int is_first)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_') {
        return 1;
    }
    return !is_first && c >= '0' && c <= '9';
}

static int
is_valid_name(const char *name)
{
    size_t i;

    for (i = 0; name[i] != '\0'; i++) {
        if (!is_name_char(name[i], i == 0)) {
            return 0;
        }
    }
    return i > 0;
}

/*
 * Reads one line, without its newline, into line (size bytes, NUL-terminated). A line
 * with more than size - 1 bytes, or one with a NUL byte, is read to its end so the next
 * call starts on the next line.
 */
static enum line_status
read_line(FILE *fp, char *line, size_t size)
{
    enum line_status status = LINE_OK;
    size_t           len = 0;
    size_t           bytes_read = 0;
    int              c;

    for (;;) {
        c = getc(fp);
        if (c == EOF) {
            if (ferror(fp)) {
                return LINE_READ_ERROR;
            }
            if (bytes_read == 0) {
                return LINE_EOF;
            }
            break;
        }
        bytes_read++;
        if (c == '\n') {
            break;
        }
        if (c == '\0') {
            status = LINE_NUL;
        } else if (len + 1 < size) {
            line[len++] = (char)c;
        } else if (status == LINE_OK) {
            status = LINE_TOO_LONG;
        }
    }
    line[len] = '\0';
    return status;
}

/* Strips blanks from the end of text, in place. */
static void
trim_end(char *text)
{
    size_t len = strlen(text);

    while (len > 0 && is_blank(text[len - 1])) {
        text[--len] = '\0';
    }
}

static char *
skip_blanks(char *text)
{
    while (is_blank(*text)) {
        text++;
    }
    return text;
}

/* Strips one pair of matching quotes around the whole value, in place. */
static void
unquote(char *value)
{
    size_t len = strlen(value);

    if (len >= 2 && (value[0] == '"' || value[0] == '\'') && value[len - 1] == value[0]) {
        memmove(value, value + 1, len - 2);
        value[len - 2] = '\0';
    }
}

/* Appends a copy of name and value. The caller reports CV_ETOOLARGE with the line. */
static enum cv_err
add_var(struct cv_envfile *file, const char *name, const char *value, size_t lineno)
{
    struct cv_envfile_var *grown;
    struct cv_envfile_var *var;
    size_t                 cap;

    if (file->count == CV_ENVFILE_VARS_MAX) {
        return CV_ETOOLARGE;
    }
    if (file->count == file->cap) {
        cap = file->cap == 0 ? 64 : file->cap * 2;
        grown = realloc(file->vars, cap * sizeof(*grown));
        if (grown == NULL) {
            return CV_ENOMEM;
        }
        file->vars = grown;
        file->cap = cap;
    }
    var = &file->vars[file->count];
    var->name = strdup(name);
    var->value = strdup(value);
    var->line = lineno;
    if (var->name == NULL || var->value == NULL) {
        free(var->name);
        free(var->value);
        return CV_ENOMEM;
    }
    file->count++;
    return CV_OK;
}

/*
 * Parses one line in place. Returns CV_OK with *name NULL for a blank or comment line,
 * and CV_EINVAL after adding the reason to errors.
 */
static enum cv_err
parse_line(char *line, const char *path, size_t lineno, char **name, char **value,
           struct cv_buf *errors)
{
    char *key;
    char *eq;

    *name = NULL;
    *value = NULL;
    key = skip_blanks(line);
    if (*key == '\0' || *key == '#' || *key == ';') {
        return CV_OK;
    }
    if (strncmp(key, "export", 6) == 0 && (key[6] == ' ' || key[6] == '\t')) {
        key = skip_blanks(key + 6);
    }

    eq = strchr(key, '=');
    if (eq == NULL || eq == key) {
        (void)cv_buf_printf(errors, "%s:%zu: expected KEY=value\n", path, lineno);
        return CV_EINVAL;
    }
    *eq = '\0';
    trim_end(key);
    if (!is_valid_name(key)) {
        /* The key is not echoed: a line that is not KEY=value may be part of a wrapped
         * secret, such as a PEM or base64 value whose padding contains the "=". */
        (void)cv_buf_printf(errors,
                            "%s:%zu: invalid key: expected KEY=value with letters, digits "
                            "and _ in KEY, not starting with a digit\n",
                            path, lineno);
        return CV_EINVAL;
    }

    *value = skip_blanks(eq + 1);
    trim_end(*value);
    unquote(*value);
    *name = key;
    return CV_OK;
}

enum cv_err
cv_envfile_read(struct cv_envfile *file, const char *path, struct cv_buf *errors)
{
    FILE             *fp = NULL;
    char             *line = NULL;
    char             *name;
    char             *value;
    enum line_status  status;
    enum cv_err       rc = CV_OK;
    enum cv_err       add_rc;
    size_t            lineno = 0;
    int               saved_errno;

    memset(file, 0, sizeof(*file));
    fp = fopen(path, "r");
    if (fp == NULL) {
        saved_errno = errno;
        (void)cv_buf_printf(errors, "could not open config file \"%s\": %s\n", path,
                            strerror(saved_errno));
        return CV_EINVAL;
    }
    line = malloc(CV_ENVFILE_LINE_MAX + 1);
    if (line == NULL) {
        rc = CV_ENOMEM;
        goto out;
    }

    for (;;) {
        status = read_line(fp, line, CV_ENVFILE_LINE_MAX + 1);
        if (status == LINE_EOF) {
            break;
        }
        lineno++;
        if (status == LINE_READ_ERROR) {
            saved_errno = errno;
            (void)cv_buf_printf(errors, "%s:%zu: could not read config file: %s\n", path,
                                lineno, strerror(saved_errno));
            rc = CV_EINVAL;
            break;
        }
        if (status == LINE_TOO_LONG) {
            (void)cv_buf_printf(errors, "%s:%zu: line is longer than %d bytes\n", path,
                                lineno, CV_ENVFILE_LINE_MAX);
            rc = CV_EINVAL;
            continue;
        }
        if (status == LINE_NUL) {
            (void)cv_buf_printf(errors, "%s:%zu: line contains a NUL byte\n", path, lineno);
            rc = CV_EINVAL;
            continue;
        }

        /* Editors on some systems start a UTF-8 file with a byte order mark. */
        if (lineno == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0) {
            memmove(line, line + 3, strlen(line + 3) + 1);
        }
        if (parse_line(line, path, lineno, &name, &value, errors) != CV_OK) {
            rc = CV_EINVAL;
            continue;
        }
        if (name == NULL) {
            continue;
        }
        add_rc = add_var(file, name, value, lineno);
        if (add_rc == CV_ETOOLARGE) {
            (void)cv_buf_printf(errors, "%s:%zu: more than %d assignments in one file\n",
                                path, lineno, CV_ENVFILE_VARS_MAX);
            rc = CV_EINVAL;
            break;
        }
        if (add_rc != CV_OK) {
            rc = add_rc;
            break;
        }
    }
out:
    free(line);
    fclose(fp);
    return rc;
}

const char *
cv_envfile_get(const struct cv_envfile *file, const char *name)
{
    size_t i;

    for (i = file->count; i > 0; i--) {
        if (strcmp(file->vars[i - 1].name, name) == 0) {
            return file->vars[i - 1].value;
        }
    }
    return NULL;
}

void
cv_envfile_cleanup(struct cv_envfile *file)
{
    size_t i;

    for (i = 0; i < file->count; i++) {
        free(file->vars[i].name);
        free(file->vars[i].value);
    }
    free(file->vars);
    file->vars = NULL;
    file->count = 0;
    file->cap = 0;
}
