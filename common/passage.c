/*
 * Passage splitting: headings, fenced code and paragraphs are recognised line by line,
 * then whole paragraphs are packed into passages of bounded size. Anything the format
 * in kb/README.md does not name (lists, tables, emphasis) passes through as text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/passage.h"

/* Maximum weight a marker may set, in thousandths. Ten ranks a section first without
 * hiding the others. */
#define WEIGHT_MAX_MILLI 10000

struct splitter {
    const struct cv_passage_opts *opts;    /* borrowed */
    struct cv_passage_doc        *doc;     /* borrowed, receives the passages */
    size_t                        cap;     /* passages allocated in doc */
    char                         *section; /* owned, name of the current section */
    double                        weight;  /* of the current section */
    struct cv_buf                 para;    /* paragraph being read */
    struct cv_buf                 pending; /* passage being packed, at most max_len */
    char                         *errbuf;  /* borrowed */
    size_t                        errbuf_len;
};

static int
is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Returns whether a line contains only white space and NUL bytes. */
static int
is_blank(const char *line, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (line[i] != '\0' && !is_space((unsigned char)line[i])) {
            return 0;
        }
    }
    return 1;
}

/* Narrows [*p, *p + *len) to exclude leading and trailing white space. */
static void
trim(const char **p, size_t *len)
{
    while (*len > 0 && is_space((unsigned char)(*p)[0])) {
        (*p)++;
        (*len)--;
    }
    while (*len > 0 && is_space((unsigned char)(*p)[*len - 1])) {
        (*len)--;
    }
}

/* Returns the largest n <= len that does not fall inside a UTF-8 sequence of p. */
static size_t
char_boundary(const char *p, size_t len)
{
    while (len > 0 && ((unsigned char)p[len] & 0xC0) == 0x80) {
        len--;
    }
    return len;
}

static char *
dup_range(const char *p, size_t len)
{
    char *out;

    out = malloc(len + 1);
    if (out == NULL) {
        return NULL;
    }
    memcpy(out, p, len);
    out[len] = '\0';
    return out;
}

/* Adds one passage with the current section, unless body is blank. */
static enum cv_err
emit(struct splitter *sp, const char *body, size_t len)
{
    struct cv_passage_doc *doc = sp->doc;
    struct cv_passage     *grown;
    struct cv_passage     *item;
    size_t                 new_cap;

    trim(&body, &len);
    if (len == 0) {
        return CV_OK;
    }
    if (doc->count == CV_PASSAGE_COUNT_MAX) {
        (void)snprintf(sp->errbuf, sp->errbuf_len, "document has more than %d passages",
                       CV_PASSAGE_COUNT_MAX);
        return CV_ETOOLARGE;
    }
    if (doc->count == sp->cap) {
        new_cap = sp->cap == 0 ? 16 : sp->cap * 2;
        grown = realloc(doc->passages, new_cap * sizeof(*grown));
        if (grown == NULL) {
            return CV_ENOMEM;
        }
        doc->passages = grown;
        sp->cap = new_cap;
    }

    item = &doc->passages[doc->count];
    item->section = strdup(sp->section);
    item->body = dup_range(body, len);
    if (item->section == NULL || item->body == NULL) {
        free(item->section);
        free(item->body);
        return CV_ENOMEM;
    }
    item->ordinal = (int)doc->count;
    item->weight = sp->weight;
    doc->count++;
    return CV_OK;
}

static enum cv_err
flush_pending(struct splitter *sp)
{
    enum cv_err rc;

    rc = emit(sp, sp->pending.data != NULL ? sp->pending.data : "", sp->pending.len);
    cv_buf_reset(&sp->pending);
    return rc;
}

/*
 * Returns where to cut p, which is longer than max bytes, so that the first part fits.
 * The cut goes at the last line break in the second half of the window, else at the
 * last sentence end there, else at the last space. Without any of these it goes at the
 * last UTF-8 character boundary.
 */
static size_t
cut_point(const char *p, size_t max)
{
    size_t i;

    for (i = max; i > max / 2; i--) {
        if (p[i] == '\n') {
            return i;
        }
    }
    for (i = max; i > max / 2; i--) {
        if (is_space((unsigned char)p[i]) &&
            (p[i - 1] == '.' || p[i - 1] == '!' || p[i - 1] == '?')) {
            return i;
        }
    }
    for (i = max; i > 0; i--) {
        if (is_space((unsigned char)p[i])) {
            return i;
        }
    }
    i = char_boundary(p, max);
    return i > 0 ? i : max;
}

/* Packs the finished paragraph into the pending passage, cutting it when too long. */
static enum cv_err
add_paragraph(struct splitter *sp)
{
    const char *p = sp->para.data != NULL ? sp->para.data : "";
    size_t      len = sp->para.len;
    size_t      max = sp->opts->max_len;
    size_t      cut;
    enum cv_err rc = CV_OK;

    trim(&p, &len);
    if (len == 0) {
        goto out;
    }
    if (sp->pending.len > 0 && sp->pending.len + 2 + len <= max) {
        rc = cv_buf_append(&sp->pending, "\n\n", 2);
        if (rc == CV_OK) {
            rc = cv_buf_append(&sp->pending, p, len);
        }
        goto out;
    }
    rc = flush_pending(sp);
    while (rc == CV_OK && len > max) {
        cut = cut_point(p, max);
        rc = emit(sp, p, cut);
        p += cut;
        len -= cut;
        trim(&p, &len);
    }
    if (rc == CV_OK) {
        rc = cv_buf_append(&sp->pending, p, len);
    }
out:
    cv_buf_reset(&sp->para);
    return rc;
}

/*
 * Returns the level (1-6) of an ATX heading line and its text in *text, or 0 for any
 * other line. "#tag" is not a heading: the hashes must be followed by a space or the
 * end of the line. A closing run of hashes is dropped.
 */
static int
heading_level(const char *line, size_t len, const char **text, size_t *text_len)
{
    size_t i = 0;
    size_t level;
    size_t end;
    size_t run;

    while (i < 3 && i < len && line[i] == ' ') {
        i++;
    }
    level = 0;
    while (i + level < len && line[i + level] == '#') {
        level++;
    }
    if (level == 0 || level > 6) {
        return 0;
    }
    i += level;
    if (i < len && line[i] != ' ' && line[i] != '\t') {
        return 0;
    }
    end = len;
    while (end > i && is_space((unsigned char)line[end - 1])) {
        end--;
    }
    run = end;
    while (run > i && line[run - 1] == '#') {
        run--;
    }
    /* "## C#" keeps its hash: a closing run must follow a space. */
    if (run < end && (run == i || line[run - 1] == ' ' || line[run - 1] == '\t')) {
        end = run;
    }
    *text = line + i;
    *text_len = end - i;
    trim(text, text_len);
    return (int)level;
}

static int
is_fence(const char *line, size_t len)
{
    size_t i = 0;

    while (i < 3 && i < len && line[i] == ' ') {
        i++;
    }
    return len - i >= 3 && (memcmp(line + i, "```", 3) == 0 || memcmp(line + i, "~~~", 3) == 0);
}

/*
 * Looks for a trailing "{weight=N}" in a heading. Returns 1 and narrows *len to the
 * name before it when N is a valid weight, 0 when there is no marker, -1 when the
 * marker is malformed. N is digits with an optional point and at most three decimals,
 * read exactly (no locale, no floating-point parsing), in (0, 10].
 */
static int
parse_weight(const char *text, size_t *len, double *weight)
{
    static const char prefix[] = "{weight=";
    const char       *open;
    const char       *p;
    long              milli = 0;
    long              scale = 1000;
    int               digits = 0;
    int               decimals = -1;

    if (*len == 0 || text[*len - 1] != '}') {
        return 0;
    }
    open = NULL;
    for (p = text; p + sizeof(prefix) - 1 <= text + *len; p++) {
        if (memcmp(p, prefix, sizeof(prefix) - 1) == 0) {
            open = p;
        }
    }
    if (open == NULL) {
        return 0;
    }
    for (p = open + sizeof(prefix) - 1; p < text + *len - 1; p++) {
        if (*p == '.' && decimals < 0 && digits > 0) {
            decimals = 0;
        } else if (*p >= '0' && *p <= '9' && decimals < 3 && digits < 6) {
            if (decimals >= 0) {
                scale /= 10;
                decimals++;
                milli += (*p - '0') * scale;
            } else {
                milli = milli * 10 + (*p - '0') * 1000;
                digits++;
            }
        } else {
            return -1;
        }
    }
    if (digits == 0 || decimals == 0 || milli <= 0 || milli > WEIGHT_MAX_MILLI) {
        return -1;
    }
    *weight = (double)milli / 1000.0;
    *len = (size_t)(open - text);
    return 1;
}

/* Ends the current section and starts one named by a heading's text. */
static enum cv_err
start_section(struct splitter *sp, const char *text, size_t len, long line_no)
{
    double      weight = 1.0;
    size_t      name_len = len;
    int         marker;
    char       *name;
    enum cv_err rc;

    marker = parse_weight(text, &name_len, &weight);
    if (marker < 0 && sp->opts->is_strict) {
        (void)snprintf(sp->errbuf, sp->errbuf_len,
                       "line %ld: invalid weight marker: expected {weight=N} with N a "
                       "number in (0, 10] and at most 3 decimals",
                       line_no);
        return CV_EINVAL;
    }
    if (marker < 0) {
        name_len = len;
        weight = 1.0;
    }
    trim(&text, &name_len);
    if (name_len > CV_PASSAGE_SECTION_MAX_LEN) {
        name_len = char_boundary(text, CV_PASSAGE_SECTION_MAX_LEN);
    }

    rc = add_paragraph(sp);
    if (rc == CV_OK) {
        rc = flush_pending(sp);
    }
    if (rc != CV_OK) {
        return rc;
    }
    name = dup_range(text, name_len);
    if (name == NULL) {
        return CV_ENOMEM;
    }
    free(sp->section);
    sp->section = name;
    sp->weight = weight;
    return CV_OK;
}

/* Appends one line to the paragraph, NUL bytes turned into spaces. */
static enum cv_err
append_line(struct splitter *sp, const char *line, size_t len)
{
    enum cv_err rc = CV_OK;
    size_t      i;
    size_t      start = 0;

    if (sp->para.len > 0) {
        rc = cv_buf_append(&sp->para, "\n", 1);
    }
    for (i = 0; rc == CV_OK && i <= len; i++) {
        if (i == len || line[i] == '\0') {
            rc = cv_buf_append(&sp->para, line + start, i - start);
            if (rc == CV_OK && i < len) {
                rc = cv_buf_append(&sp->para, " ", 1);
            }
            start = i + 1;
        }
    }
    return rc;
}

/* Handles one line outside a fenced block. Sets *has_content once a non-blank line is read. */
static enum cv_err
read_line(struct splitter *sp, const char *line, size_t len, long line_no, int *has_content)
{
    const char *text;
    size_t      text_len;
    int         level;
    enum cv_err rc;

    level = heading_level(line, len, &text, &text_len);
    if (level == 1 && !*has_content) {
        *has_content = 1;
        /* The title also names the text before the first section. */
        free(sp->doc->title);
        sp->doc->title = NULL;
        if (text_len > CV_PASSAGE_SECTION_MAX_LEN) {
            text_len = char_boundary(text, CV_PASSAGE_SECTION_MAX_LEN);
        }
        sp->doc->title = dup_range(text, text_len);
        return sp->doc->title != NULL ? start_section(sp, text, text_len, line_no) : CV_ENOMEM;
    }
    *has_content = 1;
    if (level == 1 || level == 2) {
        return start_section(sp, text, text_len, line_no);
    }
    if (level > 2) {
        rc = add_paragraph(sp);
        return rc == CV_OK ? append_line(sp, line, len) : rc;
    }
    return append_line(sp, line, len);
}

static enum cv_err
split_lines(struct splitter *sp, const char *text, size_t text_len)
{
    const char *line = text;
    const char *end = text + text_len;
    const char *nl;
    size_t      len;
    long        line_no = 0;
    int         in_fence = 0;
    int         has_content = 0;
    enum cv_err rc = CV_OK;

    while (rc == CV_OK && line < end) {
        nl = memchr(line, '\n', (size_t)(end - line));
        len = nl != NULL ? (size_t)(nl - line) : (size_t)(end - line);
        line_no++;
        while (len > 0 && is_space((unsigned char)line[len - 1])) {
            len--;
        }

        if (is_fence(line, len)) {
            if (!in_fence) {
                rc = add_paragraph(sp);
            }
            if (rc == CV_OK) {
                rc = append_line(sp, line, len);
            }
            if (rc == CV_OK && in_fence) {
                rc = add_paragraph(sp);
            }
            in_fence = !in_fence;
            has_content = 1;
        } else if (in_fence) {
            rc = append_line(sp, line, len);
        } else if (is_blank(line, len)) {
            rc = add_paragraph(sp);
        } else {
            rc = read_line(sp, line, len, line_no, &has_content);
        }
        line = nl != NULL ? nl + 1 : end;
    }
    if (rc == CV_OK) {
        rc = add_paragraph(sp);
    }
    if (rc == CV_OK) {
        rc = flush_pending(sp);
    }
    return rc;
}

enum cv_err
cv_passage_split(const char *text, size_t text_len, const struct cv_passage_opts *opts,
                 struct cv_passage_doc *doc, char *errbuf, size_t errbuf_len)
{
    struct splitter sp;
    enum cv_err     rc;

    if (errbuf_len > 0) {
        errbuf[0] = '\0';
    }
    if (text == NULL || opts == NULL || doc == NULL || opts->max_len < CV_PASSAGE_MAX_LEN_MIN) {
        (void)snprintf(errbuf, errbuf_len, "invalid arguments: text, opts and doc are "
                                           "required and max_len must be at least %d",
                       CV_PASSAGE_MAX_LEN_MIN);
        return CV_EINVAL;
    }

    memset(&sp, 0, sizeof(sp));
    sp.opts = opts;
    sp.doc = doc;
    sp.weight = 1.0;
    sp.errbuf = errbuf;
    sp.errbuf_len = errbuf_len;
    /* A paragraph never contains more than the whole text plus its line breaks. */
    cv_buf_init(&sp.para, text_len + 2);
    cv_buf_init(&sp.pending, opts->max_len);
    memset(doc, 0, sizeof(*doc));

    sp.section = strdup("");
    doc->title = strdup("");
    if (sp.section == NULL || doc->title == NULL) {
        rc = CV_ENOMEM;
        goto out;
    }
    rc = split_lines(&sp, text, text_len);

out:
    if (rc == CV_ENOMEM) {
        (void)snprintf(errbuf, errbuf_len, "could not split document: out of memory");
    }
    if (rc != CV_OK) {
        cv_passage_doc_cleanup(doc);
    }
    free(sp.section);
    cv_buf_cleanup(&sp.para);
    cv_buf_cleanup(&sp.pending);
    return rc;
}

void
cv_passage_doc_cleanup(struct cv_passage_doc *doc)
{
    size_t i;

    if (doc == NULL) {
        return;
    }
    for (i = 0; i < doc->count; i++) {
        free(doc->passages[i].section);
        free(doc->passages[i].body);
    }
    free(doc->passages);
    free(doc->title);
    memset(doc, 0, sizeof(*doc));
}
