/*
 * Reader for MIME header parameters and the RFC 8187 extended-value decoder. Works on
 * borrowed bytes and caller buffers only.
 */
#include <string.h>

#include "fcgi/mime_param.h"

/* RFC 9110 section 5.6.2: tchar, the characters of a token. */
static bool
is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        return true;
    }
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 8187 section 3.2.1: attr-char, the characters an ext-value carries unencoded. */
static bool
is_attr_char(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        return true;
    }
    return c != '\0' && strchr("!#$&+-.^_`|~", c) != NULL;
}

static bool
is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

static int
hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static void
skip_ows(struct api_mime_reader *rd)
{
    while (rd->pos < rd->end && (*rd->pos == ' ' || *rd->pos == '\t')) {
        rd->pos++;
    }
}

static enum cv_err
fail(struct api_mime_reader *rd, const char *errmsg)
{
    rd->errmsg = errmsg;
    return CV_EINVAL;
}

bool
api_mime_name_is(const char *a, size_t len, const char *b)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char ca = (unsigned char)a[i];
        unsigned char cb = (unsigned char)b[i];

        if (cb == '\0') {
            return false;
        }
        if (ca >= 'A' && ca <= 'Z') {
            ca = (unsigned char)(ca - 'A' + 'a');
        }
        if (cb >= 'A' && cb <= 'Z') {
            cb = (unsigned char)(cb - 'A' + 'a');
        }
        if (ca != cb) {
            return false;
        }
    }
    return b[len] == '\0';
}

void
api_mime_reader_init(struct api_mime_reader *rd, const char *value, size_t len)
{
    rd->pos = value;
    rd->end = value + len;
    rd->errmsg = "";
}

enum cv_err
api_mime_read_type(struct api_mime_reader *rd, const char **type, size_t *type_len)
{
    const char *start;

    skip_ows(rd);
    start = rd->pos;
    while (rd->pos < rd->end && (is_tchar((unsigned char)*rd->pos) || *rd->pos == '/')) {
        rd->pos++;
    }
    if (rd->pos == start) {
        return fail(rd, "missing type");
    }
    *type = start;
    *type_len = (size_t)(rd->pos - start);
    return CV_OK;
}

/* Reads a quoted-string that starts at rd->pos into buf. */
static enum cv_err
read_quoted(struct api_mime_reader *rd, char *buf, size_t buf_size, size_t *out_len)
{
    size_t out = 0;

    rd->pos++;  /* the opening quote */
    for (;;) {
        unsigned char c;

        if (rd->pos >= rd->end) {
            return fail(rd, "unterminated quoted string");
        }
        c = (unsigned char)*rd->pos;
        if (c == '"') {
            rd->pos++;
            break;
        }
        if (is_ctl(c) && c != '\t') {
            return fail(rd, "control character in quoted string");
        }

        /* Only \" and \\ are escapes; see the header for why. */
        if (c == '\\' && rd->end - rd->pos >= 2 && (rd->pos[1] == '"' || rd->pos[1] == '\\')) {
            rd->pos++;
            c = (unsigned char)*rd->pos;
        }
        if (out + 1 >= buf_size) {
            return CV_ETOOLARGE;
        }
        buf[out++] = (char)c;
        rd->pos++;
    }
    buf[out] = '\0';
    *out_len = out;
    return CV_OK;
}

/* Reads an unquoted value: anything up to white space, ';' or a control character. */
static enum cv_err
read_bare(struct api_mime_reader *rd, char *buf, size_t buf_size, size_t *out_len)
{
    size_t out = 0;

    while (rd->pos < rd->end) {
        unsigned char c = (unsigned char)*rd->pos;

        if (c == ';' || c == ' ' || c == '\t' || is_ctl(c)) {
            break;
        }
        if (c == '"') {
            return fail(rd, "quote inside an unquoted parameter value");
        }
        if (out + 1 >= buf_size) {
            return CV_ETOOLARGE;
        }
        buf[out++] = (char)c;
        rd->pos++;
    }
    if (out == 0) {
        return fail(rd, "parameter value is empty");
    }
    buf[out] = '\0';
    *out_len = out;
    return CV_OK;
}

enum cv_err
api_mime_read_param(struct api_mime_reader *rd, struct api_mime_param *param, char *buf,
                    size_t buf_size)
{
    const char  *name;
    enum cv_err  rc;

    /* Step 1: the ';' separator, skipping empty parameters. */
    skip_ows(rd);
    if (rd->pos >= rd->end) {
        return CV_ENOTFOUND;
    }
    if (*rd->pos != ';') {
        return fail(rd, "expected ';' before a parameter");
    }
    while (rd->pos < rd->end && (*rd->pos == ';' || *rd->pos == ' ' || *rd->pos == '\t')) {
        rd->pos++;
    }
    if (rd->pos >= rd->end) {
        return CV_ENOTFOUND;
    }

    /* Step 2: name, '=' with optional white space around it. */
    name = rd->pos;
    while (rd->pos < rd->end && is_tchar((unsigned char)*rd->pos)) {
        rd->pos++;
    }
    if (rd->pos == name) {
        return fail(rd, "invalid parameter name");
    }
    param->name = name;
    param->name_len = (size_t)(rd->pos - name);
    skip_ows(rd);
    if (rd->pos >= rd->end || *rd->pos != '=') {
        return fail(rd, "parameter has no value");
    }
    rd->pos++;
    skip_ows(rd);

    /* Step 3: the value. */
    if (buf_size == 0) {
        return CV_ETOOLARGE;
    }
    param->is_quoted = rd->pos < rd->end && *rd->pos == '"';
    if (param->is_quoted) {
        rc = read_quoted(rd, buf, buf_size, &param->value_len);
    } else {
        rc = read_bare(rd, buf, buf_size, &param->value_len);
    }
    if (rc != CV_OK) {
        return rc;
    }
    param->value = buf;
    return CV_OK;
}

/* Appends the byte b of the given charset to dst as UTF-8. */
static enum cv_err
put_decoded(unsigned char b, bool is_latin1, char *dst, size_t dst_size, size_t *out)
{
    if (is_latin1 && b >= 0x80) {
        if (*out + 2 >= dst_size) {
            return CV_ETOOLARGE;
        }
        dst[(*out)++] = (char)(0xc0 | (b >> 6));
        dst[(*out)++] = (char)(0x80 | (b & 0x3f));
        return CV_OK;
    }
    if (*out + 1 >= dst_size) {
        return CV_ETOOLARGE;
    }
    dst[(*out)++] = (char)b;
    return CV_OK;
}

enum cv_err
api_mime_decode_ext_value(const char *src, size_t src_len, char *dst, size_t dst_size,
                          size_t *dst_len, const char **errmsg)
{
    const char  *end = src + src_len;
    const char  *charset_end;
    const char  *language_end;
    const char  *p;
    size_t       out = 0;
    bool         is_latin1;
    enum cv_err  rc;

    *errmsg = "";
    if (dst_size == 0) {
        return CV_ETOOLARGE;
    }

    /* Step 1: charset "'" [language] "'"; the language tag is not used. */
    charset_end = memchr(src, '\'', src_len);
    if (charset_end == NULL || charset_end == src) {
        *errmsg = "extended value has no charset";
        return CV_EINVAL;
    }
    language_end = memchr(charset_end + 1, '\'', (size_t)(end - charset_end - 1));
    if (language_end == NULL) {
        *errmsg = "extended value has no second quote after the language";
        return CV_EINVAL;
    }
    if (api_mime_name_is(src, (size_t)(charset_end - src), "UTF-8")) {
        is_latin1 = false;
    } else if (api_mime_name_is(src, (size_t)(charset_end - src), "ISO-8859-1")) {
        is_latin1 = true;
    } else {
        *errmsg = "extended value has an unsupported charset";
        return CV_EMEDIA;
    }

    /* Step 2: attr-chars and %XX escapes, nothing else. */
    for (p = language_end + 1; p < end; p++) {
        unsigned char b = (unsigned char)*p;

        if (b == '%') {
            int hi = end - p >= 3 ? hex_value((unsigned char)p[1]) : -1;
            int lo = end - p >= 3 ? hex_value((unsigned char)p[2]) : -1;

            if (hi < 0 || lo < 0) {
                *errmsg = "invalid percent-encoding in extended value";
                return CV_EINVAL;
            }
            b = (unsigned char)(hi << 4 | lo);
            p += 2;
        } else if (!is_attr_char(b)) {
            *errmsg = "invalid character in extended value";
            return CV_EINVAL;
        }
        rc = put_decoded(b, is_latin1, dst, dst_size, &out);
        if (rc != CV_OK) {
            return rc;
        }
    }
    dst[out] = '\0';
    *dst_len = out;
    return CV_OK;
}
