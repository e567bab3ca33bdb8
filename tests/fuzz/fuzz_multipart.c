/*
 * libFuzzer target for the multipart/form-data parser, the MIME parameter reader and the
 * file name sanitiser. Each input is parsed twice, whole and in chunks whose size comes
 * from the input, and the target aborts when the two parses see different events or when
 * an output breaks a documented guarantee.
 *
 * Input layout: byte 0 picks the chunking, byte 1 the mode and the Content-Type (one of
 * a few fixed boundaries, or the input's first line), the rest is the body. In
 * round-trip mode (byte 1 & 0x40) the rest is part contents that the target frames into
 * a valid body itself, so it can check that each one comes back unchanged.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/mime_param.h"
#include "fcgi/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Longest Content-Type line taken from the input. */
#define CONTENT_TYPE_MAX 200

static const char *const content_types[] = {
    "multipart/form-data; boundary=XyZ",
    "multipart/form-data; boundary=a",
    "multipart/form-data; boundary=\"----WebKitFormBoundary7MA4YWxkTrZu0gW\"",
    ("multipart/form-data; boundary="
     "0123456789012345678901234567890123456789012345678901234567890123456789"),
};

/* What one parse saw, folded into a hash so two parses compare cheaply. */
struct summary {
    uint64_t hash;
    size_t   content_len;
    size_t   begin_count;
    size_t   end_count;
    bool     is_open;
};

static void
mix(struct summary *sum, const void *bytes, size_t len)
{
    const unsigned char *p = bytes;
    size_t               i;

    /* FNV-1a, 64 bits. */
    for (i = 0; i < len; i++) {
        sum->hash ^= p[i];
        sum->hash *= 0x100000001b3ULL;
    }
}

static bool
is_valid_utf8(const unsigned char *s, size_t len)
{
    size_t i = 0;
    size_t n;
    size_t k;

    while (i < len) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        if (s[i] >= 0xc2 && s[i] <= 0xdf) {
            n = 2;
        } else if (s[i] >= 0xe0 && s[i] <= 0xef) {
            n = 3;
        } else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
            n = 4;
        } else {
            return false;
        }
        if (len - i < n) {
            return false;
        }
        for (k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return false;
            }
        }
        if ((s[i] == 0xe0 && s[i + 1] < 0xa0) || (s[i] == 0xed && s[i + 1] > 0x9f) ||
            (s[i] == 0xf0 && s[i + 1] < 0x90) || (s[i] == 0xf4 && s[i + 1] > 0x8f)) {
            return false;
        }
        i += n;
    }
    return true;
}

/* Aborts unless name is what api_multipart_sanitize_filename() promises. */
static void
check_sanitized(const char *name, size_t dst_size)
{
    size_t len = strlen(name);
    size_t i;

    if (len >= dst_size || !is_valid_utf8((const unsigned char *)name, len)) {
        abort();
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];

        if (c < 0x20 || c == 0x7f || c == '/' || c == '\\') {
            abort();
        }
    }
    if (len > 0 && (name[0] == '.' || name[0] == ' ' || name[len - 1] == ' ')) {
        abort();
    }
}

static enum cv_err
on_begin(void *ctx, const struct api_multipart_part *part)
{
    struct summary *sum = ctx;

    if (sum->is_open || part->name[0] == '\0' ||
        memchr(part->name, '\0', sizeof(part->name)) == NULL ||
        memchr(part->content_type, '\0', sizeof(part->content_type)) == NULL) {
        abort();
    }
    check_sanitized(part->filename, sizeof(part->filename));
    if (!part->has_filename && part->filename[0] != '\0') {
        abort();
    }
    sum->is_open = true;
    sum->begin_count++;
    mix(sum, "B", 1);
    mix(sum, part->name, strlen(part->name) + 1);
    mix(sum, part->filename, strlen(part->filename) + 1);
    mix(sum, part->content_type, strlen(part->content_type) + 1);
    mix(sum, &part->has_filename, sizeof(part->has_filename));

    /* A caller that rejects a field: both parses must stop at the same place. */
    if (strcmp(part->name, "stop") == 0) {
        return CV_ECONFLICT;
    }
    return CV_OK;
}

static enum cv_err
on_data(void *ctx, const char *data, size_t len)
{
    struct summary *sum = ctx;

    if (!sum->is_open || len == 0) {
        abort();
    }
    sum->content_len += len;
    mix(sum, data, len);
    return CV_OK;
}

static enum cv_err
on_end(void *ctx)
{
    struct summary *sum = ctx;

    if (!sum->is_open) {
        abort();
    }
    sum->is_open = false;
    sum->end_count++;
    mix(sum, "E", 1);
    return CV_OK;
}

static const struct api_multipart_callbacks callbacks = {
    .on_part_begin = on_begin,
    .on_part_data = on_data,
    .on_part_end = on_end,
};

/*
 * Parses body in chunks of chunk bytes, or whole when chunk is 0, and folds the events,
 * the result and the message into sum. With is_varying, the size changes at every feed.
 */
static void
parse(const char *content_type, const char *body, size_t len, size_t chunk, bool is_varying,
      struct summary *sum)
{
    struct api_multipart *mp = NULL;
    const char           *msg;
    size_t                off = 0;
    size_t                n;
    uint32_t              seed = (uint32_t)chunk;
    enum cv_err           rc;

    memset(sum, 0, sizeof(*sum));
    sum->hash = 0xcbf29ce484222325ULL;
    rc = api_multipart_new(content_type, &callbacks, sum, &mp, NULL, 0);
    if (rc != CV_OK) {
        mix(sum, &rc, sizeof(rc));
        return;
    }
    while (off < len) {
        n = chunk == 0 ? len - off : chunk;
        if (is_varying) {
            seed = seed * 1103515245u + 12345u;
            n = 1 + (seed >> 16) % (chunk + 1);
        }
        if (n > len - off) {
            n = len - off;
        }
        rc = api_multipart_feed(mp, body + off, n);
        if (rc != CV_OK) {
            break;
        }
        off += n;
    }
    if (rc == CV_OK) {
        rc = api_multipart_finish(mp);
    } else if (api_multipart_feed(mp, body, len) != rc) {
        abort();  /* a failure must be final */
    }

    /* Content is never longer than the body it came from. */
    if (sum->content_len > len) {
        abort();
    }
    msg = api_multipart_errmsg(mp);
    if ((rc == CV_OK) != (msg[0] == '\0')) {
        abort();
    }
    mix(sum, &rc, sizeof(rc));
    mix(sum, msg, strlen(msg));
    api_multipart_free(mp);
}

/* Runs the file name and extended-value helpers on the raw body. */
static void
check_helpers(const char *body, size_t len, unsigned char selector)
{
    char        name[300];
    char        again[300];
    char       *decoded;
    size_t      dst_size = 1 + selector % sizeof(name);
    size_t      decoded_len;
    const char *reason;
    enum cv_err rc;

    api_multipart_sanitize_filename(body, len, name, dst_size);
    check_sanitized(name, dst_size);

    /* A sanitised name passes through unchanged. */
    api_multipart_sanitize_filename(name, strlen(name), again, dst_size);
    if (strcmp(name, again) != 0) {
        abort();
    }

    /* The header promises src_len + 1 bytes always suffice. */
    decoded = malloc(len + 1);
    if (decoded == NULL) {
        return;
    }
    rc = api_mime_decode_ext_value(body, len, decoded, len + 1, &decoded_len, &reason);
    if (rc == CV_ETOOLARGE || (rc == CV_OK && decoded_len > len)) {
        abort();
    }
    free(decoded);
}

/* Records each part's content for check_round_trip(). */
struct collected {
    char   *content;                               /* all parts, back to back */
    size_t  content_len;
    size_t  content_max;
    size_t  part_len[API_MULTIPART_PARTS_MAX];
    size_t  part_count;
};

static enum cv_err
collect_begin(void *ctx, const struct api_multipart_part *part)
{
    struct collected *col = ctx;
    char              name[16];

    snprintf(name, sizeof(name), "p%zu", col->part_count);
    if (strcmp(part->name, name) != 0 || col->part_count == API_MULTIPART_PARTS_MAX) {
        abort();
    }
    col->part_count++;
    return CV_OK;
}

static enum cv_err
collect_data(void *ctx, const char *data, size_t len)
{
    struct collected *col = ctx;

    if (col->part_count == 0 || len > col->content_max - col->content_len) {
        abort();
    }
    memcpy(col->content + col->content_len, data, len);
    col->content_len += len;
    col->part_len[col->part_count - 1] += len;
    return CV_OK;
}

/* Returns whether content could end a part early inside a body framed with eol. */
static bool
has_delimiter(const char *content, size_t len, const char *eol)
{
    char   delim[16];
    size_t delim_len;
    size_t i;

    if (len >= 5 && memcmp(content, "--XyZ", 5) == 0) {
        return true;  /* content starts at a line start */
    }
    delim_len = (size_t)snprintf(delim, sizeof(delim), "%s--XyZ", eol);
    for (i = 0; i + delim_len <= len; i++) {
        if (memcmp(content + i, delim, delim_len) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * Frames the pieces of src (split at every 0xfe byte) as parts p0, p1, ... of a
 * well-formed body, parses it in chunks of chunk bytes, and aborts unless every part
 * comes back byte for byte. Pieces that contain a delimiter make the input uninteresting.
 */
static void
check_round_trip(const char *src, size_t len, size_t chunk, bool is_lf)
{
    static const struct api_multipart_callbacks cb = {
        .on_part_begin = collect_begin,
        .on_part_data = collect_data,
    };
    const char           *eol = is_lf ? "\n" : "\r\n";
    const char           *piece = src;
    const char           *end = src + len;
    const char           *sep;
    struct collected      col;
    struct api_multipart *mp = NULL;
    char                 *body = NULL;
    size_t                body_len = 0;
    size_t                body_max = len + 100 * API_MULTIPART_PARTS_MAX;
    size_t                piece_len[API_MULTIPART_PARTS_MAX];
    size_t                count = 0;
    size_t                off;
    size_t                i;
    enum cv_err           rc;

    memset(&col, 0, sizeof(col));
    body = malloc(body_max);
    col.content = malloc(len + 1);
    col.content_max = len + 1;
    if (body == NULL || col.content == NULL) {
        goto out;
    }

    /* Step 1: frame the pieces. */
    for (;;) {
        sep = memchr(piece, 0xfe, (size_t)(end - piece));
        piece_len[count] = (size_t)((sep != NULL ? sep : end) - piece);
        if (has_delimiter(piece, piece_len[count], eol)) {
            goto out;
        }
        body_len += (size_t)snprintf(body + body_len, body_max - body_len,
                                     "--XyZ%sContent-Disposition: form-data; name=\"p%zu\"%s%s",
                                     eol, count, eol, eol);
        memcpy(body + body_len, piece, piece_len[count]);
        body_len += piece_len[count];
        body_len += (size_t)snprintf(body + body_len, body_max - body_len, "%s", eol);
        count++;
        if (sep == NULL || count == API_MULTIPART_PARTS_MAX) {
            break;
        }
        piece = sep + 1;
    }
    body_len += (size_t)snprintf(body + body_len, body_max - body_len, "--XyZ--%s", eol);

    /* Step 2: parse in chunks and compare. */
    if (api_multipart_new(content_types[0], &cb, &col, &mp, NULL, 0) != CV_OK) {
        abort();
    }
    rc = CV_OK;
    for (off = 0; off < body_len && rc == CV_OK; off += chunk) {
        rc = api_multipart_feed(mp, body + off, chunk < body_len - off ? chunk : body_len - off);
    }
    if (rc != CV_OK || api_multipart_finish(mp) != CV_OK || col.part_count != count) {
        abort();
    }
    off = 0;
    piece = src;
    for (i = 0; i < count; i++) {
        if (col.part_len[i] != piece_len[i] ||
            memcmp(col.content + off, piece, piece_len[i]) != 0) {
            abort();
        }
        off += piece_len[i];
        piece += piece_len[i] + 1;
    }

out:
    api_multipart_free(mp);
    free(col.content);
    free(body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char            content_type[CONTENT_TYPE_MAX + 1];
    const char     *body;
    const char     *nl;
    size_t          body_len;
    size_t          chunk;
    size_t          ct_len;
    bool            is_varying;
    struct summary  whole;
    struct summary  chunked;

    if (size < 2) {
        return 0;
    }
    chunk = (size_t)(data[0] & 0x7f) + 1;
    is_varying = (data[0] & 0x80) != 0;
    body = (const char *)data + 2;
    body_len = size - 2;

    if ((data[1] & 0x40) != 0) {
        check_round_trip(body, body_len, chunk, (data[1] & 0x20) != 0);
        return 0;
    }

    if ((data[1] & 0x80) != 0) {
        /* The Content-Type is the body's first line. */
        nl = memchr(body, '\n', body_len);
        if (nl == NULL) {
            return 0;
        }
        ct_len = (size_t)(nl - body);
        if (ct_len > CONTENT_TYPE_MAX || memchr(body, '\0', ct_len) != NULL) {
            return 0;
        }
        memcpy(content_type, body, ct_len);
        content_type[ct_len] = '\0';
        body_len -= ct_len + 1;
        body = nl + 1;
    } else {
        snprintf(content_type, sizeof(content_type), "%s",
                 content_types[data[1] % (sizeof(content_types) / sizeof(content_types[0]))]);
    }

    parse(content_type, body, body_len, 0, false, &whole);
    parse(content_type, body, body_len, chunk, is_varying, &chunked);
    if (whole.hash != chunked.hash || whole.content_len != chunked.content_len ||
        whole.begin_count != chunked.begin_count || whole.end_count != chunked.end_count ||
        whole.is_open != chunked.is_open) {
        abort();
    }
    check_helpers(body, body_len, data[0]);
    return 0;
}
