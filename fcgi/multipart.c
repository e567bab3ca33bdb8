/*
 * Streaming multipart/form-data parser: a byte-level state machine that finds boundary
 * delimiters across chunk edges, collects part headers in a fixed buffer and passes
 * content straight from the caller's chunk to the callbacks. File names are sanitised
 * in multipart_filename.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/mime_param.h"
#include "fcgi/multipart.h"

/*
 * Spaces and tabs accepted between a boundary and its line end (RFC 2046 transport
 * padding). Senders emit none in practice; the limit bounds the bytes held back.
 */
#define PADDING_MAX 64

/* "\r\n--" plus the boundary: the delimiter as it appears before a part. */
#define DELIM_MAX (4 + API_MULTIPART_BOUNDARY_MAX)

/* Content bytes held while they may still be a delimiter line: delimiter, padding, CR. */
#define HOLD_MAX (DELIM_MAX + PADDING_MAX + 1)

/* Start offsets in delim: the CR (CRLF body), the LF (LF body), or the "--" at a line start. */
#define MATCH_AT_CR   0
#define MATCH_AT_LF   1
#define MATCH_AT_DASH 2

enum state {
    ST_PREAMBLE,        /* discarding a preamble line */
    ST_PREAMBLE_DELIM,  /* at the start of a preamble line, matching "--boundary" */
    ST_HEADERS,         /* collecting part header lines */
    ST_CONTENT,         /* passing content through */
    ST_CONTENT_DELIM,   /* holding content bytes that may be a delimiter */
    ST_EPILOGUE,        /* after the closing delimiter: ignoring everything */
    ST_FAILED           /* stopped, with the reason in rc */
};

/* Progress inside a delimiter line once "--boundary" itself has matched. */
enum tail {
    TAIL_NONE,     /* still matching delim */
    TAIL_AFTER,    /* right after the boundary */
    TAIL_DASH,     /* after "--boundary-" */
    TAIL_PADDING,  /* after transport padding */
    TAIL_CR        /* after a CR that must be followed by LF */
};

enum match {
    MATCH_MORE,   /* byte consumed, delimiter not decided yet */
    MATCH_FAIL,   /* byte not consumed, no delimiter here */
    MATCH_PART,   /* byte consumed, a delimiter line before a part ended */
    MATCH_CLOSE   /* byte consumed, the closing delimiter "--boundary--" ended */
};

struct api_multipart {
    struct api_multipart_callbacks cb;
    void                          *ctx;          /* borrowed, passed to the callbacks */
    enum state                     state;
    enum cv_err                    rc;           /* CV_OK until the parse fails */
    bool                           is_finished;
    bool                           is_lf_body;   /* set by the first delimiter line */

    /* Delimiter matcher. */
    char                           delim[DELIM_MAX + 1];  /* "\r\n--" and the boundary */
    size_t                         delim_len;
    size_t                         match_pos;    /* index in delim of the next byte */
    enum tail                      tail;
    size_t                         padding_len;
    bool                           is_crlf_line; /* the delimiter line ended in CRLF */
    char                           hold[HOLD_MAX];
    size_t                         hold_len;

    /* Current part. */
    size_t                         part_count;
    size_t                         headers_len;  /* header bytes of this part so far */
    size_t                         line_len;
    bool                           has_disposition;
    bool                           has_name;
    bool                           has_content_type;
    bool                           has_ext_filename;  /* filename* set part.filename */
    struct api_multipart_part      part;
    char                           line[API_MULTIPART_HEADERS_MAX];
    char                           value[API_MULTIPART_HEADERS_MAX + 1];
    char                           decoded[API_MULTIPART_HEADERS_MAX + 1];

    char                           errmsg[256];
};

static void
set_errbuf(char *errbuf, size_t errbuf_size, const char *msg)
{
    if (errbuf != NULL && errbuf_size > 0) {
        snprintf(errbuf, errbuf_size, "%s", msg);
    }
}

/* RFC 2046 section 5.1.1: bcharsnospace, plus the space that may not come last. */
static bool
is_bchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        return true;
    }
    return c != '\0' && strchr("'()+_,-./:=? ", c) != NULL;
}

/* Checks a boundary value and returns NULL or the reason it is invalid. */
static const char *
check_boundary(const char *boundary, size_t len)
{
    size_t i;

    if (len == 0) {
        return "boundary parameter is empty";
    }
    if (len > API_MULTIPART_BOUNDARY_MAX) {
        return "boundary is longer than 70 characters";
    }
    for (i = 0; i < len; i++) {
        if (!is_bchar((unsigned char)boundary[i])) {
            return "boundary contains a character RFC 2046 does not allow";
        }
    }
    if (boundary[len - 1] == ' ') {
        return "boundary ends with a space";
    }
    return NULL;
}

/* Finds the boundary parameter of a multipart/form-data Content-Type value. */
static enum cv_err
parse_content_type(const char *content_type, char *boundary, size_t *boundary_len,
                   char *errbuf, size_t errbuf_size)
{
    struct api_mime_reader rd;
    struct api_mime_param  param;
    const char            *type;
    size_t                 type_len;
    char                   value[256];
    char                   msg[160];
    const char            *reason;
    bool                   has_boundary = false;
    enum cv_err            rc;

    if (content_type == NULL) {
        set_errbuf(errbuf, errbuf_size, "request has no Content-Type header");
        return CV_EMEDIA;
    }
    api_mime_reader_init(&rd, content_type, strlen(content_type));
    rc = api_mime_read_type(&rd, &type, &type_len);
    if (rc != CV_OK) {
        set_errbuf(errbuf, errbuf_size, "invalid Content-Type: missing media type");
        return CV_EINVAL;
    }
    if (!api_mime_name_is(type, type_len, "multipart/form-data")) {
        snprintf(msg, sizeof(msg), "media type \"%.*s\" is not multipart/form-data",
                 type_len > 64 ? 64 : (int)type_len, type);
        set_errbuf(errbuf, errbuf_size, msg);
        return CV_EMEDIA;
    }

    for (;;) {
        rc = api_mime_read_param(&rd, &param, value, sizeof(value));
        if (rc == CV_ENOTFOUND) {
            break;
        }
        if (rc == CV_ETOOLARGE) {
            set_errbuf(errbuf, errbuf_size, "invalid Content-Type: parameter value too long");
            return CV_EINVAL;
        }
        if (rc != CV_OK) {
            snprintf(msg, sizeof(msg), "invalid Content-Type: %s", rd.errmsg);
            set_errbuf(errbuf, errbuf_size, msg);
            return CV_EINVAL;
        }
        if (!api_mime_name_is(param.name, param.name_len, "boundary")) {
            continue;  /* charset and the like do not change the parse */
        }
        if (has_boundary) {
            set_errbuf(errbuf, errbuf_size, "Content-Type has two boundary parameters");
            return CV_EINVAL;
        }
        reason = check_boundary(param.value, param.value_len);
        if (reason != NULL) {
            set_errbuf(errbuf, errbuf_size, reason);
            return CV_EINVAL;
        }
        memcpy(boundary, param.value, param.value_len);
        *boundary_len = param.value_len;
        has_boundary = true;
    }
    if (!has_boundary) {
        set_errbuf(errbuf, errbuf_size, "Content-Type has no boundary parameter");
        return CV_EINVAL;
    }
    return CV_OK;
}

enum cv_err
api_multipart_new(const char *content_type, const struct api_multipart_callbacks *callbacks,
                  void *ctx, struct api_multipart **mpp, char *errbuf, size_t errbuf_size)
{
    struct api_multipart *mp;
    char                  boundary[API_MULTIPART_BOUNDARY_MAX];
    size_t                boundary_len = 0;
    enum cv_err           rc;

    *mpp = NULL;
    set_errbuf(errbuf, errbuf_size, "");
    rc = parse_content_type(content_type, boundary, &boundary_len, errbuf, errbuf_size);
    if (rc != CV_OK) {
        return rc;
    }

    mp = calloc(1, sizeof(*mp));
    if (mp == NULL) {
        set_errbuf(errbuf, errbuf_size, "could not allocate the multipart parser");
        return CV_ENOMEM;
    }
    if (callbacks != NULL) {
        mp->cb = *callbacks;
    }
    mp->ctx = ctx;
    memcpy(mp->delim, "\r\n--", 4);
    memcpy(mp->delim + 4, boundary, boundary_len);
    mp->delim_len = 4 + boundary_len;

    /* The first delimiter may open the body: treat the start as the start of a line. */
    mp->state = ST_PREAMBLE_DELIM;
    mp->match_pos = MATCH_AT_DASH;

    /* Ownership of mp moves to the caller. */
    *mpp = mp;
    return CV_OK;
}

void
api_multipart_free(struct api_multipart *mp)
{
    free(mp);
}

const char *
api_multipart_errmsg(const struct api_multipart *mp)
{
    return mp->errmsg;
}

/* Stops the parse with rc and a formatted reason. Returns rc. */
static enum cv_err
fail(struct api_multipart *mp, enum cv_err rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum cv_err
fail(struct api_multipart *mp, enum cv_err rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(mp->errmsg, sizeof(mp->errmsg), fmt, ap);
    va_end(ap);
    mp->state = ST_FAILED;
    mp->rc = rc;
    return rc;
}

/* Records a callback's failure, if any. Returns rc. */
static enum cv_err
check_callback(struct api_multipart *mp, enum cv_err rc)
{
    if (rc == CV_OK) {
        return CV_OK;
    }
    return fail(mp, rc, "part callback returned %s", cv_strerror(rc));
}

static enum cv_err
emit_data(struct api_multipart *mp, const char *data, size_t len)
{
    if (len == 0 || mp->cb.on_part_data == NULL) {
        return CV_OK;
    }
    return check_callback(mp, mp->cb.on_part_data(mp->ctx, data, len));
}

/* Starts matching a delimiter at position pos of delim. */
static void
start_match(struct api_multipart *mp, size_t pos)
{
    mp->match_pos = pos;
    mp->tail = TAIL_NONE;
    mp->padding_len = 0;
    mp->hold_len = 0;
}

static void
hold_byte(struct api_multipart *mp, char c)
{
    /* The tail states bound hold_len to HOLD_MAX. */
    mp->hold[mp->hold_len++] = c;
}

/*
 * Advances the delimiter matcher by one byte. After the boundary come "--" (closing
 * delimiter), or transport padding and a line end. The line end may be CRLF or a bare
 * LF in either kind of body. Any other byte means the held bytes were content, such as
 * "--boundaryX" where the boundary is only a prefix of a longer token.
 */
static enum match
match_byte(struct api_multipart *mp, char c)
{
    switch (mp->tail) {
    case TAIL_NONE:
        if (c != mp->delim[mp->match_pos]) {
            return MATCH_FAIL;
        }
        hold_byte(mp, c);
        mp->match_pos++;
        if (mp->match_pos == mp->delim_len) {
            mp->tail = TAIL_AFTER;
        }
        return MATCH_MORE;
    case TAIL_AFTER:
        if (c == '-') {
            hold_byte(mp, c);
            mp->tail = TAIL_DASH;
            return MATCH_MORE;
        }
        break;
    case TAIL_DASH:
        return c == '-' ? MATCH_CLOSE : MATCH_FAIL;
    case TAIL_PADDING:
        break;
    case TAIL_CR:
        if (c != '\n') {
            return MATCH_FAIL;
        }
        mp->is_crlf_line = true;
        return MATCH_PART;
    }

    /* TAIL_AFTER or TAIL_PADDING: padding, then CR LF or LF. */
    if (c == ' ' || c == '\t') {
        if (mp->padding_len == PADDING_MAX) {
            return MATCH_FAIL;
        }
        hold_byte(mp, c);
        mp->padding_len++;
        mp->tail = TAIL_PADDING;
        return MATCH_MORE;
    }
    if (c == '\r') {
        hold_byte(mp, c);
        mp->tail = TAIL_CR;
        return MATCH_MORE;
    }
    if (c == '\n') {
        mp->is_crlf_line = false;
        return MATCH_PART;
    }
    return MATCH_FAIL;
}

/* A delimiter line before a part ended: prepares for that part's headers. */
static enum cv_err
begin_headers(struct api_multipart *mp)
{
    if (mp->part_count == API_MULTIPART_PARTS_MAX) {
        return fail(mp, CV_EINVAL, "body has more than %d parts", API_MULTIPART_PARTS_MAX);
    }
    mp->part_count++;
    mp->headers_len = 0;
    mp->line_len = 0;
    mp->has_disposition = false;
    mp->has_name = false;
    mp->has_content_type = false;
    mp->has_ext_filename = false;
    memset(&mp->part, 0, sizeof(mp->part));
    mp->state = ST_HEADERS;
    return CV_OK;
}

/* Stores a Content-Disposition parameter the parser uses; ignores the others. */
static enum cv_err
use_disposition_param(struct api_multipart *mp, const struct api_mime_param *param,
                      bool *has_plain_filename)
{
    const char  *reason;
    size_t       decoded_len;
    enum cv_err  rc;

    if (api_mime_name_is(param->name, param->name_len, "name")) {
        if (mp->has_name) {
            return fail(mp, CV_EINVAL, "part %zu has two name parameters", mp->part_count);
        }
        if (param->value_len == 0) {
            return fail(mp, CV_EINVAL, "part %zu has an empty name", mp->part_count);
        }
        if (param->value_len >= sizeof(mp->part.name)) {
            return fail(mp, CV_EINVAL, "part %zu has a name longer than %zu bytes",
                        mp->part_count, sizeof(mp->part.name) - 1);
        }
        memcpy(mp->part.name, param->value, param->value_len + 1);
        mp->has_name = true;
    } else if (api_mime_name_is(param->name, param->name_len, "filename")) {
        if (*has_plain_filename) {
            return fail(mp, CV_EINVAL, "part %zu has two filename parameters", mp->part_count);
        }
        *has_plain_filename = true;
        mp->part.has_filename = true;
        if (!mp->has_ext_filename) {
            api_multipart_sanitize_filename(param->value, param->value_len, mp->part.filename,
                                            sizeof(mp->part.filename));
        }
    } else if (api_mime_name_is(param->name, param->name_len, "filename*")) {
        if (mp->has_ext_filename) {
            return fail(mp, CV_EINVAL, "part %zu has two filename* parameters", mp->part_count);
        }
        mp->part.has_filename = true;
        rc = api_mime_decode_ext_value(param->value, param->value_len, mp->decoded,
                                       sizeof(mp->decoded), &decoded_len, &reason);
        if (rc == CV_EMEDIA) {
            return CV_OK;  /* RFC 8187 section 3.2.1: unknown charsets may be ignored */
        }
        if (rc != CV_OK) {
            return fail(mp, CV_EINVAL, "part %zu has an invalid filename* parameter: %s",
                        mp->part_count, reason);
        }
        /* RFC 6266 section 4.3: filename* is preferred over filename. */
        api_multipart_sanitize_filename(mp->decoded, decoded_len, mp->part.filename,
                                        sizeof(mp->part.filename));
        mp->has_ext_filename = true;
    }
    return CV_OK;
}

/* Parses a Content-Disposition value: form-data and its parameters. */
static enum cv_err
parse_disposition(struct api_multipart *mp, const char *value, size_t len)
{
    struct api_mime_reader rd;
    struct api_mime_param  param;
    const char            *type;
    size_t                 type_len;
    bool                   has_plain_filename = false;
    enum cv_err            rc;

    api_mime_reader_init(&rd, value, len);
    rc = api_mime_read_type(&rd, &type, &type_len);
    if (rc != CV_OK) {
        return fail(mp, CV_EINVAL, "part %zu has an invalid Content-Disposition: %s",
                    mp->part_count, rd.errmsg);
    }
    if (!api_mime_name_is(type, type_len, "form-data")) {
        return fail(mp, CV_EINVAL, "part %zu has a Content-Disposition that is not form-data",
                    mp->part_count);
    }

    for (;;) {
        /* value fits every parameter: it is as large as the whole header block. */
        rc = api_mime_read_param(&rd, &param, mp->value, sizeof(mp->value));
        if (rc == CV_ENOTFOUND) {
            break;
        }
        if (rc != CV_OK) {
            return fail(mp, CV_EINVAL, "part %zu has an invalid Content-Disposition: %s",
                        mp->part_count, rc == CV_EINVAL ? rd.errmsg : "value too long");
        }
        rc = use_disposition_param(mp, &param, &has_plain_filename);
        if (rc != CV_OK) {
            return rc;
        }
    }
    return CV_OK;
}

/* Returns whether the byte is allowed in a header line: visible, space, tab or UTF-8. */
static bool
is_header_byte(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Parses one complete header line (without its line end) of the current part. */
static enum cv_err
parse_header_line(struct api_multipart *mp, const char *line, size_t len)
{
    const char *colon;
    const char *value;
    const char *value_end;
    size_t      i;
    size_t      copy_len;

    /* RFC 7578 section 4.8 and RFC 9112 section 5.2: no obsolete line folding. */
    if (line[0] == ' ' || line[0] == '\t') {
        return fail(mp, CV_EINVAL, "part %zu has a folded header line", mp->part_count);
    }
    for (i = 0; i < len; i++) {
        if (!is_header_byte((unsigned char)line[i])) {
            return fail(mp, CV_EINVAL, "part %zu has a control character in a header line",
                        mp->part_count);
        }
    }
    colon = memchr(line, ':', len);
    if (colon == NULL || colon == line || colon[-1] == ' ' || colon[-1] == '\t') {
        return fail(mp, CV_EINVAL, "part %zu has an invalid header line", mp->part_count);
    }

    value = colon + 1;
    value_end = line + len;
    while (value < value_end && (*value == ' ' || *value == '\t')) {
        value++;
    }
    while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t')) {
        value_end--;
    }

    if (api_mime_name_is(line, (size_t)(colon - line), "Content-Disposition")) {
        if (mp->has_disposition) {
            return fail(mp, CV_EINVAL, "part %zu has two Content-Disposition headers",
                        mp->part_count);
        }
        mp->has_disposition = true;
        return parse_disposition(mp, value, (size_t)(value_end - value));
    }
    if (api_mime_name_is(line, (size_t)(colon - line), "Content-Type")) {
        if (mp->has_content_type) {
            return fail(mp, CV_EINVAL, "part %zu has two Content-Type headers", mp->part_count);
        }
        mp->has_content_type = true;
        copy_len = (size_t)(value_end - value);
        if (copy_len >= sizeof(mp->part.content_type)) {
            copy_len = sizeof(mp->part.content_type) - 1;
        }
        memcpy(mp->part.content_type, value, copy_len);
        mp->part.content_type[copy_len] = '\0';
    }
    /* Other headers (Content-Transfer-Encoding, which RFC 7578 section 4.7 deprecates,
     * included) do not change how the content is read. */
    return CV_OK;
}

/* The blank line after a part's headers arrived: checks them and starts the content. */
static enum cv_err
end_headers(struct api_multipart *mp)
{
    enum cv_err rc = CV_OK;

    if (!mp->has_disposition) {
        return fail(mp, CV_EINVAL, "part %zu has no Content-Disposition header",
                    mp->part_count);
    }
    /* Checked here, not per line, so a folded line is reported as such. */
    if (!mp->has_name) {
        return fail(mp, CV_EINVAL, "part %zu has a Content-Disposition without a name",
                    mp->part_count);
    }
    if (mp->cb.on_part_begin != NULL) {
        rc = check_callback(mp, mp->cb.on_part_begin(mp->ctx, &mp->part));
        if (rc != CV_OK) {
            return rc;
        }
    }

    /* Empty content may be followed by the delimiter without a line end of its own:
     * the blank line doubles as the CRLF that opens the delimiter. */
    mp->state = ST_CONTENT_DELIM;
    start_match(mp, MATCH_AT_DASH);
    return CV_OK;
}

/* Consumes header bytes from data; returns how many through *used. */
static enum cv_err
feed_headers(struct api_multipart *mp, const char *data, size_t len, size_t *used)
{
    const char *nl;
    size_t      take;
    size_t      line_len;

    nl = memchr(data, '\n', len);
    take = nl != NULL ? (size_t)(nl - data) + 1 : len;
    if (take > API_MULTIPART_HEADERS_MAX - mp->headers_len) {
        return fail(mp, CV_EINVAL, "part %zu has headers longer than %d bytes",
                    mp->part_count, API_MULTIPART_HEADERS_MAX);
    }
    memcpy(mp->line + mp->line_len, data, take);
    mp->line_len += take;
    mp->headers_len += take;
    *used = take;
    if (nl == NULL) {
        return CV_OK;
    }

    /* A whole line: drop LF or CR LF. A CR anywhere else fails as a control byte. */
    line_len = mp->line_len - 1;
    if (line_len > 0 && mp->line[line_len - 1] == '\r') {
        line_len--;
    }
    mp->line_len = 0;
    if (line_len == 0) {
        return end_headers(mp);
    }
    return parse_header_line(mp, mp->line, line_len);
}

/* The delimiter matcher found a full delimiter line in state ST_*_DELIM. */
static enum cv_err
on_delimiter(struct api_multipart *mp, enum match m)
{
    enum cv_err rc;

    if (mp->state == ST_CONTENT_DELIM) {
        if (mp->cb.on_part_end != NULL) {
            rc = check_callback(mp, mp->cb.on_part_end(mp->ctx));
            if (rc != CV_OK) {
                return rc;
            }
        }
    } else if (m == MATCH_PART) {
        /* The first delimiter line decides how content lines end in this body. */
        mp->is_lf_body = !mp->is_crlf_line;
    }
    mp->hold_len = 0;
    if (m == MATCH_CLOSE) {
        mp->state = ST_EPILOGUE;
        return CV_OK;
    }
    return begin_headers(mp);
}

/* Consumes content bytes up to the next possible delimiter; returns how many through *used. */
static enum cv_err
feed_content(struct api_multipart *mp, const char *data, size_t len, size_t *used)
{
    const char *hit;

    /* Only the body's own line end can open a delimiter: a lone CR or LF is content. */
    hit = memchr(data, mp->is_lf_body ? '\n' : '\r', len);
    if (hit == NULL) {
        *used = len;
        return emit_data(mp, data, len);
    }
    *used = (size_t)(hit - data);
    mp->state = ST_CONTENT_DELIM;
    start_match(mp, mp->is_lf_body ? MATCH_AT_LF : MATCH_AT_CR);
    return emit_data(mp, data, *used);
}

enum cv_err
api_multipart_feed(struct api_multipart *mp, const char *data, size_t len)
{
    const char  *p = data;
    const char  *end = data + len;
    const char  *nl;
    size_t       used = 0;
    enum match   m;
    enum cv_err  rc = CV_OK;

    if (mp->is_finished) {
        return CV_EINTERNAL;
    }
    if (mp->state == ST_FAILED) {
        return mp->rc;
    }

    while (p < end && rc == CV_OK) {
        switch (mp->state) {
        case ST_PREAMBLE:
            nl = memchr(p, '\n', (size_t)(end - p));
            if (nl == NULL) {
                p = end;
                break;
            }
            p = nl + 1;
            mp->state = ST_PREAMBLE_DELIM;
            start_match(mp, MATCH_AT_DASH);
            break;
        case ST_HEADERS:
            rc = feed_headers(mp, p, (size_t)(end - p), &used);
            p += used;
            break;
        case ST_CONTENT:
            rc = feed_content(mp, p, (size_t)(end - p), &used);
            p += used;
            break;
        case ST_PREAMBLE_DELIM:
        case ST_CONTENT_DELIM:
            m = match_byte(mp, *p);
            if (m == MATCH_MORE) {
                p++;
            } else if (m == MATCH_FAIL) {
                /* The byte is looked at again in the plain state: it may open a new
                 * delimiter, so it is not consumed here. */
                if (mp->state == ST_CONTENT_DELIM) {
                    mp->state = ST_CONTENT;
                    rc = emit_data(mp, mp->hold, mp->hold_len);
                } else {
                    mp->state = ST_PREAMBLE;
                }
                mp->hold_len = 0;
            } else {
                p++;
                rc = on_delimiter(mp, m);
            }
            break;
        case ST_EPILOGUE:
            p = end;
            break;
        case ST_FAILED:
            return mp->rc;
        }
    }
    return rc;
}

enum cv_err
api_multipart_finish(struct api_multipart *mp)
{
    if (mp->is_finished) {
        return CV_EINTERNAL;
    }
    mp->is_finished = true;
    switch (mp->state) {
    case ST_EPILOGUE:
        return CV_OK;
    case ST_FAILED:
        return mp->rc;
    case ST_PREAMBLE:
    case ST_PREAMBLE_DELIM:
        return fail(mp, CV_EINVAL, "body ends before the first boundary delimiter");
    case ST_HEADERS:
        return fail(mp, CV_EINVAL, "body ends inside the headers of part %zu",
                    mp->part_count);
    case ST_CONTENT:
    case ST_CONTENT_DELIM:
        break;
    }
    return fail(mp, CV_EINVAL, "body ends before the closing boundary delimiter");
}
