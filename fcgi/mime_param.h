/*
 * Reader for MIME header values of the form `type; name=value; name="quoted"` (the
 * Content-Type and Content-Disposition syntax of RFC 9110 section 5.6.6 and RFC 6266),
 * and a decoder for RFC 8187 extended values such as `UTF-8''%e2%82%ac.pdf`.
 * It only splits and decodes; which names and values are valid is the caller's concern.
 */
#ifndef API_MIME_PARAM_H
#define API_MIME_PARAM_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

/* Position in one header value. All pointers borrow the caller's value. */
struct api_mime_reader {
    const char *pos;     /* next byte to read */
    const char *end;     /* one past the last byte of the value */
    const char *errmsg;  /* static text of the last CV_EINVAL, "" if none */
};

/* One parameter. name borrows the header value; value points into the caller's buffer. */
struct api_mime_param {
    const char *name;
    size_t      name_len;
    const char *value;      /* decoded: quotes and escapes removed, NUL-terminated */
    size_t      value_len;
    bool        is_quoted;  /* the value was a quoted-string */
};

/* Starts reading the len bytes at value. Allocates nothing. */
void api_mime_reader_init(struct api_mime_reader *rd, const char *value, size_t len);

/*
 * Reads the leading type ("multipart/form-data", "form-data") after optional white
 * space, and stores where it starts and how long it is. Returns CV_OK or CV_EINVAL when
 * the value does not start with a token.
 */
enum cv_err api_mime_read_type(struct api_mime_reader *rd, const char **type,
                               size_t *type_len);

/*
 * Reads the next `; name=value` into param, writing the decoded value into buf
 * (buf_size bytes, NUL included). Empty parameters (";;", a trailing ';') are skipped.
 * A quoted-string loses its quotes, and a backslash escapes only '"' and '\\': any other
 * backslash is kept, so an unescaped Windows path "C:\dir\a.pdf" stays readable.
 * Returns CV_OK, CV_ENOTFOUND after the last parameter, CV_EINVAL on a syntax error
 * (reason in rd->errmsg), or CV_ETOOLARGE when the value does not fit buf.
 */
enum cv_err api_mime_read_param(struct api_mime_reader *rd, struct api_mime_param *param,
                                char *buf, size_t buf_size);

/*
 * Decodes an RFC 8187 ext-value (charset "'" [language] "'" percent-encoded value) of
 * src_len bytes into dst as UTF-8, NUL-terminated, and stores its length in *dst_len.
 * ISO-8859-1 is converted to UTF-8; UTF-8 is copied as decoded, valid or not.
 * Returns CV_OK, CV_EMEDIA when the charset is neither UTF-8 nor ISO-8859-1 (RFC 8187
 * lets a recipient ignore the parameter then), CV_EINVAL when the value is malformed
 * (reason in *errmsg, static text), or CV_ETOOLARGE when dst is too small. The output is
 * never longer than the input, so dst_size = src_len + 1 always suffices.
 */
enum cv_err api_mime_decode_ext_value(const char *src, size_t src_len, char *dst,
                                      size_t dst_size, size_t *dst_len,
                                      const char **errmsg);

/* Returns whether the len bytes at a equal the string b, ignoring ASCII case. */
bool api_mime_name_is(const char *a, size_t len, const char *b);

#endif
