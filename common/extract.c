/*
 * Media type detection from content, and cv_extract(), which runs the extractor of the
 * detected type under one deadline and one text limit. The extractors live in
 * extract_pdf.c, extract_docx.c and extract_text.c; normalisation in extract_norm.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/extract.h"
#include "common/extract_formats.h"
#include "common/extract_norm.h"

/*
 * The header is looked for this far into the data, as common PDF readers do, so a few
 * bytes of junk before it (a mail header, a byte order mark) do not turn a PDF away.
 */
#define PDF_HEADER_SEARCH_BYTES 1024

/* Control characters a text may hold before it counts as binary data. */
#define TEXT_MAX_STRAY_CONTROLS 4

static const char docx_main_part[] = "word/document.xml";
static const char docx_content_types[] = "[Content_Types].xml";

enum cv_err
cv_extract_fail(enum cv_err rc, char *errbuf, size_t errbuf_len, const char *fmt, ...)
{
    va_list ap;

    if (errbuf != NULL && errbuf_len > 0) {
        va_start(ap, fmt);
        (void)vsnprintf(errbuf, errbuf_len, fmt, ap); /* a cut reason is still a reason */
        va_end(ap);
    }
    return rc;
}

static unsigned
read_le16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static int
has_prefix(const unsigned char *data, size_t len, const char *magic, size_t magic_len)
{
    return len >= magic_len && memcmp(data, magic, magic_len) == 0;
}

/*
 * Returns 1 when "%PDF-<digit>.<digit>" starts within the first 1024 bytes. A header
 * after other bytes counts only when the data is not valid UTF-8 text as a whole: a
 * real PDF nearly always has binary streams, while a text that quotes "%PDF-1.7" in its
 * first lines must stay text.
 */
static int
has_pdf_header(const unsigned char *data, size_t len)
{
    size_t               window = len < PDF_HEADER_SEARCH_BYTES ? len : PDF_HEADER_SEARCH_BYTES;
    const unsigned char *p = data;
    const unsigned char *end = data + window;
    size_t               rest;

    while (p < end) {
        p = memmem(p, (size_t)(end - p), "%PDF-", 5);
        if (p == NULL) {
            return 0;
        }
        rest = len - (size_t)(p - data);
        if (rest >= 8 && p[5] >= '0' && p[5] <= '9' && p[6] == '.' && p[7] >= '0' && p[7] <= '9') {
            return p == data || memchr(data, '\0', len) != NULL ||
                   !cv_utf8_validate(data, len, NULL);
        }
        p++;
    }
    return 0;
}

/*
 * Returns 1 when the zip data has an entry called exactly name. A central directory
 * header has signature PK 1 2, the name length at +28 and the name at +46. A local file
 * header has PK 3 4, the length at +26 and the name at +30. Local headers count too, so
 * a truncated archive whose central directory is gone is still recognised.
 */
static int
zip_names_entry(const unsigned char *data, size_t len, const char *name)
{
    size_t               name_len = strlen(name);
    const unsigned char *p = data;
    const unsigned char *end = data + len;
    size_t               at;

    while (p < end) {
        p = memmem(p, (size_t)(end - p), name, name_len);
        if (p == NULL) {
            return 0;
        }
        at = (size_t)(p - data);
        if (at >= 46 && memcmp(p - 46, "PK\x01\x02", 4) == 0 &&
            read_le16(p - 46 + 28) == name_len) {
            return 1;
        }
        if (at >= 30 && memcmp(p - 30, "PK\x03\x04", 4) == 0 &&
            read_le16(p - 30 + 26) == name_len) {
            return 1;
        }
        p++;
    }
    return 0;
}

/*
 * A Word owner ("~$name.docx") file: 162 bytes, the user name's length in byte 0 and
 * again at byte 54 before its UTF-16 copy. Recognised only to say what it is.
 */
static int
is_word_lock_file(const unsigned char *data, size_t len)
{
    return len == 162 && data[0] > 0 && data[0] <= 53 && data[54] == data[0] && data[55] == 0;
}

/* Counts the ASCII digits at s, of which len bytes are readable. */
static size_t
count_digits(const char *s, size_t len)
{
    size_t n = 0;

    while (n < len && s[n] >= '0' && s[n] <= '9') {
        n++;
    }
    return n;
}

/* Starts like an indirect object ("1 0 obj"), as a PDF that lost its header does. */
static int
looks_like_pdf_body(const unsigned char *data, size_t len)
{
    const char *s = (const char *)data;
    size_t      i = 0;
    size_t      n;

    /* Skip a first comment line such as the binary marker "%\xE2\xE3\xCF\xD3". */
    if (len > 0 && s[0] == '%') {
        while (i < len && s[i] != '\n' && s[i] != '\r') {
            i++;
        }
    }
    while (i < len && (s[i] == '\n' || s[i] == '\r' || s[i] == ' ')) {
        i++;
    }
    n = count_digits(s + i, len - i);
    if (n == 0 || i + n >= len || s[i + n] != ' ') {
        return 0;
    }
    i += n + 1;
    n = count_digits(s + i, len - i);
    return n > 0 && i + n + 4 <= len && memcmp(s + i + n, " obj", 4) == 0;
}

/* Counts C0 controls other than tab, LF, VT, FF and CR, and DEL. */
static size_t
count_controls(const unsigned char *data, size_t len)
{
    size_t count = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = data[i];

        if ((c < 0x20 && (c < '\t' || c > '\r')) || c == 0x7F) {
            count++;
        }
    }
    return count;
}

/* Markdown evidence gathered line by line; see cv_extract_detect() in extract.h. */
struct md_score {
    int strong;
    int weak;
    int fence_count;
    int in_fence;
    int prev_blank;
    int prev_list;
};

static int
is_list_item(const char *s, size_t n)
{
    size_t d = 0;

    if (n >= 2 && (s[0] == '-' || s[0] == '*' || s[0] == '+') && s[1] == ' ') {
        return 1;
    }
    while (d < n && d < 9 && s[d] >= '0' && s[d] <= '9') {
        d++;
    }
    return d > 0 && d + 1 < n && (s[d] == '.' || s[d] == ')') && s[d + 1] == ' ';
}

/* A line of only '=' or only '-' (three or more), which underlines a setext heading. */
static int
is_setext_underline(const char *s, size_t n)
{
    size_t i = 0;

    if (n < 3 || (s[0] != '=' && s[0] != '-')) {
        return 0;
    }
    while (i < n && s[i] == s[0]) {
        i++;
    }
    while (i < n && (s[i] == ' ' || s[i] == '\t')) {
        i++;
    }
    return i == n;
}

/* A table delimiter row such as "|---|:--:|" or "--- | ---". */
static int
is_table_delimiter(const char *s, size_t n)
{
    size_t i;
    int    pipes = 0;
    int    dashes = 0;

    for (i = 0; i < n; i++) {
        if (s[i] == '|') {
            pipes++;
        } else if (s[i] == '-') {
            dashes++;
        } else if (s[i] != ':' && s[i] != ' ' && s[i] != '\t') {
            return 0;
        }
    }
    return pipes > 0 && dashes >= 3;
}

static int
has_link(const char *s, size_t n)
{
    const char *close = memmem(s, n, "](", 2);
    const char *open;

    if (close != NULL) {
        open = memchr(s, '[', (size_t)(close - s));
        if (open != NULL && memchr(close, ')', n - (size_t)(close - s)) != NULL) {
            return 1;
        }
    }
    return memmem(s, n, "<http://", 8) != NULL || memmem(s, n, "<https://", 9) != NULL;
}

/*
 * Counts the kinds of span on one line: a pair of "**" (strong emphasis), of "__" or
 * of backticks (a code span), each with at least one character inside.
 */
static int
count_spans(const char *s, size_t n)
{
    static const char *const marks[] = { "**", "__", "`" };
    size_t                   k;
    int                      kinds = 0;

    for (k = 0; k < sizeof(marks) / sizeof(marks[0]); k++) {
        size_t      m = strlen(marks[k]);
        const char *open = memmem(s, n, marks[k], m);
        size_t      rest;

        if (open == NULL || open + m >= s + n) {
            continue;
        }
        rest = n - (size_t)(open - s) - m - 1;
        if (memmem(open + m + 1, rest, marks[k], m) != NULL) {
            kinds++;
        }
    }
    return kinds;
}

static void
score_line(struct md_score *md, const char *line, size_t n)
{
    size_t indent = 0;
    size_t hashes = 0;
    size_t spaces = 0;
    int    blank;

    while (indent < n && indent < 4 && line[indent] == ' ') {
        indent++;
    }
    if (indent < 4 && n - indent >= 3 &&
        (memcmp(line + indent, "```", 3) == 0 || memcmp(line + indent, "~~~", 3) == 0)) {
        md->fence_count++;
        md->in_fence = !md->in_fence;
        if (!md->in_fence) {
            md->strong++;   /* a closed fence pair */
        }
        md->prev_blank = 0;
        return;
    }
    if (md->in_fence) {
        return;
    }
    line += indent;
    n -= indent;
    while (spaces < n && (line[spaces] == ' ' || line[spaces] == '\t')) {
        spaces++;
    }
    blank = spaces == n;

    while (hashes < n && hashes < 7 && line[hashes] == '#') {
        hashes++;
    }
    if (indent < 4 && hashes >= 1 && hashes <= 6 && (hashes == n || line[hashes] == ' ')) {
        md->strong++;
    } else if (indent < 4 && !md->prev_blank && !md->prev_list && is_setext_underline(line, n)) {
        md->strong++;
    } else if (is_table_delimiter(line, n)) {
        md->strong++;
    }
    md->prev_list = is_list_item(line, n);
    if (md->prev_list) {
        md->weak++;
    } else if (n >= 2 && line[0] == '>' && line[1] == ' ') {
        md->weak++;
    }
    if (has_link(line, n)) {
        md->strong++;
    }
    md->weak += count_spans(line, n);
    md->prev_blank = blank;
}

static int
is_markdown(const unsigned char *data, size_t len)
{
    struct md_score md = { .prev_blank = 1 };
    const char     *s = (const char *)data;
    const char     *end = s + len;
    const char     *nl;

    while (s < end) {
        nl = memchr(s, '\n', (size_t)(end - s));
        if (nl == NULL) {
            nl = end;
        }
        score_line(&md, s, (size_t)(nl - s) - (nl > s && nl[-1] == '\r'));
        if (md.strong >= 2 || (md.strong >= 1 && md.weak >= 2)) {
            return 1;
        }
        s = nl + 1;
    }
    return 0;
}

enum cv_media
cv_extract_detect(const unsigned char *data, size_t len)
{
    const unsigned char *text = data;
    size_t               text_len = len;

    if (data == NULL || len == 0) {
        return CV_MEDIA_TEXT;
    }
    if (has_pdf_header(data, len)) {
        return CV_MEDIA_PDF;
    }
    if (has_prefix(data, len, "PK\x03\x04", 4)) {
        if (zip_names_entry(data, len, docx_main_part) &&
            zip_names_entry(data, len, docx_content_types)) {
            return CV_MEDIA_DOCX;
        }
        return CV_MEDIA_UNKNOWN;
    }

    if (has_prefix(data, len, "\xEF\xBB\xBF", 3)) {
        text += 3;
        text_len -= 3;
    }
    if (memchr(text, '\0', text_len) != NULL || !cv_utf8_validate(text, text_len, NULL)) {
        return CV_MEDIA_UNKNOWN;
    }
    if (has_prefix(text, text_len, "{\\rtf", 5) || looks_like_pdf_body(text, text_len)) {
        return CV_MEDIA_UNKNOWN;
    }
    {
        size_t controls = count_controls(text, text_len);

        if (controls > TEXT_MAX_STRAY_CONTROLS && controls * 100 > text_len) {
            return CV_MEDIA_UNKNOWN;
        }
    }
    return is_markdown(text, text_len) ? CV_MEDIA_MARKDOWN : CV_MEDIA_TEXT;
}

/* Says what an undetected document is, for the client. */
static enum cv_err
fail_unknown(const unsigned char *data, size_t len, char *errbuf, size_t errbuf_len)
{
    static const struct {
        const char *magic;
        size_t      magic_len;
        const char *description;
    } kinds[] = {
        { "PK\x03\x04", 4, "a zip archive without word/document.xml (such as xlsx, pptx, odt, "
                           "epub or jar), not a DOCX" },
        { "PK\x05\x06", 4, "an empty zip archive" },
        { "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8, "an OLE compound file (legacy Word .doc or a "
                                                 "password-protected Office file); save it as "
                                                 "DOCX or PDF" },
        { "\x89PNG\r\n\x1A\n", 8, "a PNG image" },
        { "\xFF\xD8\xFF", 3, "a JPEG image" },
        { "GIF8", 4, "a GIF image" },
        { "II*\0", 4, "a TIFF image" },
        { "MM\0*", 4, "a TIFF image" },
        { "\xFF\xFE\0\0", 4, "UTF-32 text; save it as UTF-8" },
        { "\0\0\xFE\xFF", 4, "UTF-32 text; save it as UTF-8" },
        { "\xFF\xFE", 2, "UTF-16 text; save it as UTF-8" },
        { "\xFE\xFF", 2, "UTF-16 text; save it as UTF-8" },
        { "{\\rtf", 5, "an RTF document; save it as DOCX or PDF" },
    };
    size_t k;
    size_t bad = 0;

    for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        if (has_prefix(data, len, kinds[k].magic, kinds[k].magic_len)) {
            return cv_extract_fail(CV_EMEDIA, errbuf, errbuf_len, "unsupported document type: %s",
                                   kinds[k].description);
        }
    }
    if (is_word_lock_file(data, len)) {
        return cv_extract_fail(CV_EMEDIA, errbuf, errbuf_len,
                               "unsupported document type: a Word lock file (\"~$\" owner "
                               "file), not the document itself");
    }
    if (looks_like_pdf_body(data, len)) {
        return cv_extract_fail(CV_EMEDIA, errbuf, errbuf_len,
                               "unsupported document type: PDF objects without the %%PDF- "
                               "header; export the document to PDF again");
    }
    if (len >= 4 && (data[0] == 0) != (data[1] == 0) && (data[2] == 0) != (data[3] == 0)) {
        return cv_extract_fail(CV_EMEDIA, errbuf, errbuf_len,
                               "unsupported document type: looks like UTF-16 text without a "
                               "byte order mark; save it as UTF-8");
    }
    if (memchr(data, '\0', len) != NULL) {
        return cv_extract_fail(CV_EMEDIA, errbuf, errbuf_len,
                               "unsupported document type: binary data (NUL byte at offset %zu)",
                               (size_t)((const unsigned char *)memchr(data, '\0', len) - data));
    }
    if (!cv_utf8_validate(data, len, &bad)) {
        return cv_extract_fail(CV_EMEDIA, errbuf, errbuf_len,
                               "unsupported document type: text is not valid UTF-8 (invalid "
                               "byte at offset %zu)", bad);
    }
    return cv_extract_fail(CV_EMEDIA, errbuf, errbuf_len,
                           "unsupported document type: binary data (too many control "
                           "characters for text)");
}

const char *
cv_media_mime(enum cv_media media)
{
    switch (media) {
    case CV_MEDIA_PDF:
        return "application/pdf";
    case CV_MEDIA_DOCX:
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    case CV_MEDIA_TEXT:
        return "text/plain";
    case CV_MEDIA_MARKDOWN:
        return "text/markdown";
    case CV_MEDIA_UNKNOWN:
        break;
    }
    return NULL;
}

const char *
cv_media_name(enum cv_media media)
{
    switch (media) {
    case CV_MEDIA_PDF:
        return "pdf";
    case CV_MEDIA_DOCX:
        return "docx";
    case CV_MEDIA_TEXT:
        return "text";
    case CV_MEDIA_MARKDOWN:
        return "markdown";
    case CV_MEDIA_UNKNOWN:
        break;
    }
    return "unknown";
}

void
cv_extract_limits_from_config(struct cv_extract_limits *limits, const struct cv_config *cfg)
{
    limits->max_pages = cfg->extract_max_pages;
    limits->timeout_ms = cfg->extract_timeout_ms;
    limits->max_text_bytes = (size_t)cfg->extract_max_text_bytes;
    limits->docx_max_entries = cfg->docx_max_entries;
    limits->docx_max_uncompressed_bytes = (size_t)cfg->docx_max_uncompressed_bytes;
}

/* The reason given when a detected document yields only whitespace. */
static const char *
empty_reason(enum cv_media media)
{
    switch (media) {
    case CV_MEDIA_PDF:
        return "PDF has no extractable text (scanned or image-only pages would need OCR, "
               "which this service does not do)";
    case CV_MEDIA_DOCX:
        return "DOCX has no text in its body, tables, text boxes, headers, footers or notes";
    default:
        return "document is empty or contains only whitespace";
    }
}

enum cv_err
cv_extract(const unsigned char *data, size_t len, const struct cv_extract_limits *limits,
           struct cv_extract_result *result, char *errbuf, size_t errbuf_len)
{
    struct cv_buf out;
    enum cv_media media;
    int64_t       deadline_ms;
    int           page_count = 0;
    enum cv_err   rc;

    if (errbuf != NULL && errbuf_len > 0) {
        errbuf[0] = '\0';
    }
    if (limits == NULL || result == NULL || (data == NULL && len > 0)) {
        return cv_extract_fail(CV_EINVAL, errbuf, errbuf_len, "invalid arguments to cv_extract");
    }
    memset(result, 0, sizeof(*result));

    media = cv_extract_detect(data, len);
    if (media == CV_MEDIA_UNKNOWN) {
        return fail_unknown(data, len, errbuf, errbuf_len);
    }

    cv_buf_init(&out, limits->max_text_bytes);
    deadline_ms = cv_clock_mono_ms() + limits->timeout_ms;
    switch (media) {
    case CV_MEDIA_PDF:
        rc = cv_extract_pdf(data, len, limits, deadline_ms, &out, &page_count, errbuf, errbuf_len);
        break;
    case CV_MEDIA_DOCX:
        rc = cv_extract_docx(data, len, limits, deadline_ms, &out, errbuf, errbuf_len);
        break;
    default:
        rc = cv_extract_text(data, len, &out, errbuf, errbuf_len);
        break;
    }
    if (rc != CV_OK) {
        goto out;
    }
    if (out.len == 0) {
        rc = cv_extract_fail(CV_EUNREADABLE, errbuf, errbuf_len, "%s", empty_reason(media));
        goto out;
    }

    result->text_len = out.len;
    /* Ownership of the text moves to result. */
    result->text = cv_buf_take(&out);
    if (result->text == NULL) {
        result->text_len = 0;
        rc = CV_ENOMEM;
        goto out;
    }
    result->media = media;
    result->page_count = page_count;
out:
    cv_buf_cleanup(&out);
    return rc;
}

void
cv_extract_result_cleanup(struct cv_extract_result *result)
{
    if (result == NULL) {
        return;
    }
    free(result->text);
    memset(result, 0, sizeof(*result));
}
