/*
 * POST /v1/upload: streams the multipart body into two bounded buffers (fields cv and
 * project), extracts the text of each document and stores both in one statement.
 * Other fields are read and dropped.
 */
#include <stdio.h>
#include <string.h>

#include "common/extract.h"
#include "common/sha256.h"
#include "fcgi/handlers.h"
#include "fcgi/multipart.h"
#include "fcgi/respond.h"
#include "fcgi/store_upload.h"

/* Bytes read from the web server per call into the parser. */
#define UPLOAD_CHUNK_LEN 65536

/* Room for multipart framing and small extra fields on top of the two files. */
#define UPLOAD_OVERHEAD_BYTES ((uint64_t)1024 * 1024)

enum { FIELD_CV = 0, FIELD_PROJECT, FIELD_COUNT };

static const char *const field_names[FIELD_COUNT] = {"cv", "project"};

struct upload_field {
    struct cv_buf            data;            /* owned, at most UPLOAD_MAX_BYTES */
    char                     filename[256];   /* sanitised by the parser */
    bool                     is_seen;
    struct cv_extract_result extracted;       /* owned */
    struct api_upload_row    row;
};

/* State shared with the parser callbacks. */
struct upload {
    struct api_request  *req;
    struct upload_field  fields[FIELD_COUNT];
    struct upload_field *current;        /* field receiving data, NULL = dropping */
    long                 max_bytes;      /* UPLOAD_MAX_BYTES */
    bool                 has_error;      /* a callback stopped the parse and set the response */
};

static enum cv_err
on_part_begin(void *ctx, const struct api_multipart_part *part)
{
    struct upload *up = ctx;
    size_t         i;

    up->current = NULL;
    for (i = 0; i < FIELD_COUNT; i++) {
        if (strcmp(part->name, field_names[i]) != 0) {
            continue;
        }
        if (up->fields[i].is_seen) {
            api_respond_error(up->req, API_ERR_DUPLICATE_FIELD, field_names[i],
                              "field \"%s\" appears more than once; send one file per field",
                              field_names[i]);
            up->has_error = true;
            return CV_EINVAL;
        }
        up->fields[i].is_seen = true;
        (void)snprintf(up->fields[i].filename, sizeof(up->fields[i].filename), "%s",
                       part->filename); /* same size as the parser's field */
        up->current = &up->fields[i];
    }
    return CV_OK;
}

static enum cv_err
on_part_data(void *ctx, const char *data, size_t len)
{
    struct upload *up = ctx;
    enum cv_err    rc;

    if (up->current == NULL) {
        return CV_OK;
    }
    rc = cv_buf_append(&up->current->data, data, len);
    if (rc == CV_ETOOLARGE) {
        api_respond_error(up->req, API_ERR_PAYLOAD_TOO_LARGE,
                          field_names[up->current - up->fields],
                          "file in field \"%s\" is larger than the limit of %ld bytes",
                          field_names[up->current - up->fields], up->max_bytes);
        up->has_error = true;
    }
    return rc;
}

static enum cv_err
on_part_end(void *ctx)
{
    struct upload *up = ctx;

    up->current = NULL;
    return CV_OK;
}

/* Limit on the whole body: both files at their maximum plus framing. */
static uint64_t
body_limit(const struct cv_config *cfg)
{
    return 2 * (uint64_t)cfg->upload_max_bytes + UPLOAD_OVERHEAD_BYTES;
}

/*
 * Feeds the body to the parser. Returns true when both fields arrived whole; otherwise
 * the response is already set.
 */
static bool
receive(struct upload *up, struct api_multipart *mp)
{
    struct api_request *req = up->req;
    char               *chunk;
    uint64_t            limit = body_limit(req->srv->cfg);
    size_t              got;
    enum cv_err         rc;
    size_t              i;

    chunk = cv_arena_alloc(req->arena, UPLOAD_CHUNK_LEN);
    if (chunk == NULL) {
        api_respond_error(req, API_ERR_SERVICE_UNAVAILABLE, NULL, "out of memory");
        return false;
    }
    do {
        rc = api_request_read(req, chunk, UPLOAD_CHUNK_LEN, &got);
        if (rc != CV_OK) {
            api_respond_error(req, API_ERR_BAD_REQUEST, NULL,
                              "could not read the request body from the web server");
            return false;
        }
        if (req->bytes_in > limit) {
            api_respond_error(req, API_ERR_PAYLOAD_TOO_LARGE, NULL,
                              "request body is larger than the limit of %llu bytes",
                              (unsigned long long)limit);
            return false;
        }
        rc = got > 0 ? api_multipart_feed(mp, chunk, got) : api_multipart_finish(mp);
    } while (rc == CV_OK && got > 0);

    if (up->has_error) {
        api_request_drain(req, limit - req->bytes_in);
        return false;
    }
    if (rc == CV_ENOMEM) {
        api_respond_error(req, API_ERR_SERVICE_UNAVAILABLE, NULL, "out of memory");
        return false;
    }
    if (rc != CV_OK) {
        api_request_drain(req, limit - req->bytes_in);
        api_respond_error(req, API_ERR_MALFORMED_MULTIPART, NULL,
                          "request body is not valid multipart/form-data: %s",
                          api_multipart_errmsg(mp));
        return false;
    }
    for (i = 0; i < FIELD_COUNT; i++) {
        if (!up->fields[i].is_seen) {
            api_respond_error(req, API_ERR_MISSING_FIELD, field_names[i],
                              "field \"%s\" is required: send the %s as a file in it",
                              field_names[i], i == FIELD_CV ? "CV" : "project report");
            return false;
        }
    }
    return true;
}

static enum cv_metrics_extract_failure
extract_failure_of(enum api_error err)
{
    switch (err) {
    case API_ERR_UNSUPPORTED_MEDIA_TYPE:
        return CV_METRICS_EXTRACT_MEDIA;
    case API_ERR_UNREADABLE_DOCUMENT:
        return CV_METRICS_EXTRACT_UNREADABLE;
    case API_ERR_DOCUMENT_LIMITS_EXCEEDED:
        return CV_METRICS_EXTRACT_LIMITS;
    case API_ERR_EXTRACTION_TIMEOUT:
        return CV_METRICS_EXTRACT_TIMEOUT;
    default:
        return CV_METRICS_EXTRACT_OTHER;
    }
}

/* Extracts the text of one field. Returns false with the response set on failure. */
static bool
extract(struct upload *up, size_t index)
{
    const struct cv_config   *cfg = up->req->srv->cfg;
    struct upload_field      *field = &up->fields[index];
    struct cv_extract_limits  limits;
    char                      reason[256];
    enum api_error            err;
    enum cv_err               rc;

    if (field->data.len == 0) {
        cv_metrics_count_extract_failure(up->req->srv->metrics, CV_METRICS_EXTRACT_UNREADABLE);
        api_respond_error(up->req, API_ERR_UNREADABLE_DOCUMENT, field_names[index],
                          "file in field \"%s\" is empty", field_names[index]);
        return false;
    }

    cv_extract_limits_from_config(&limits, cfg);
    reason[0] = '\0';
    rc = cv_extract((const unsigned char *)field->data.data, field->data.len, &limits,
                    &field->extracted, reason, sizeof(reason));
    if (rc == CV_OK) {
        return true;
    }

    err = api_error_of_extract(rc);
    cv_metrics_count_extract_failure(up->req->srv->metrics, extract_failure_of(err));
    if (err == API_ERR_UNSUPPORTED_MEDIA_TYPE) {
        api_respond_error(up->req, err, field_names[index],
                          "file in field \"%s\": %s (accepted: PDF, DOCX, plain text, Markdown)",
                          field_names[index],
                          reason[0] != '\0' ? reason : "unsupported document type");
    } else {
        api_respond_error(up->req, err, field_names[index], "file in field \"%s\": %s",
                          field_names[index],
                          reason[0] != '\0' ? reason : "text extraction failed");
    }
    return false;
}

static enum cv_metrics_media
metrics_media_of(enum cv_media media)
{
    switch (media) {
    case CV_MEDIA_PDF:
        return CV_METRICS_MEDIA_PDF;
    case CV_MEDIA_DOCX:
        return CV_METRICS_MEDIA_DOCX;
    case CV_MEDIA_MARKDOWN:
        return CV_METRICS_MEDIA_MARKDOWN;
    default:
        return CV_METRICS_MEDIA_TEXT;
    }
}

/* Fills the row of one field. The extracted text stays owned by the field. */
static enum cv_err
fill_row(struct upload *up, size_t index)
{
    struct upload_field *field = &up->fields[index];
    struct api_upload_row *row = &field->row;

    row->kind = field_names[index];
    row->filename = field->filename;
    row->media_type = cv_media_mime(field->extracted.media);
    row->size_bytes = field->data.len;
    row->page_count = field->extracted.page_count;
    row->text = field->extracted.text;
    row->request_id = up->req->req_id;
    if (row->media_type == NULL) {
        return CV_EINTERNAL; /* cv_extract() succeeded, so the type is known */
    }
    return cv_sha256_hex(field->data.data, field->data.len, row->sha256);
}

static enum cv_err
write_metadata(struct cv_buf *body, const struct upload_field *field)
{
    const struct api_upload_row *row = &field->row;
    enum cv_err                  rc;

    rc = cv_buf_append(body, "{", 1);
    if (rc == CV_OK) {
        rc = api_json_member_string(body, true, "id", row->id);
    }
    if (rc == CV_OK) {
        rc = api_json_member_string(body, false, "filename", row->filename);
    }
    if (rc == CV_OK) {
        rc = api_json_member_string(body, false, "media_type", row->media_type);
    }
    if (rc == CV_OK) {
        rc = cv_buf_printf(body, ",\"size_bytes\":%zu", row->size_bytes);
    }
    if (rc == CV_OK) {
        rc = row->page_count > 0 ? cv_buf_printf(body, ",\"page_count\":%d", row->page_count)
                                 : cv_buf_append_str(body, ",\"page_count\":null");
    }
    if (rc == CV_OK) {
        rc = api_json_member_string(body, false, "sha256", row->sha256);
    }
    if (rc == CV_OK) {
        rc = cv_buf_printf(body, ",\"text_bytes\":%zu", field->extracted.text_len);
    }
    if (rc == CV_OK) {
        rc = api_json_member_string(body, false, "created_at", row->created_at);
    }
    if (rc == CV_OK) {
        rc = cv_buf_append(body, "}", 1);
    }
    return rc;
}

static enum cv_err
write_response(struct api_request *req, const struct upload *up)
{
    struct cv_buf *body = &req->res.body;
    enum cv_err    rc;

    rc = cv_buf_append(body, "{", 1);
    if (rc == CV_OK) {
        rc = api_json_member_string(body, true, "cv_id", up->fields[FIELD_CV].row.id);
    }
    if (rc == CV_OK) {
        rc = api_json_member_string(body, false, "project_id",
                                    up->fields[FIELD_PROJECT].row.id);
    }
    if (rc == CV_OK) {
        rc = cv_buf_append_str(body, ",\"cv\":");
    }
    if (rc == CV_OK) {
        rc = write_metadata(body, &up->fields[FIELD_CV]);
    }
    if (rc == CV_OK) {
        rc = cv_buf_append_str(body, ",\"project\":");
    }
    if (rc == CV_OK) {
        rc = write_metadata(body, &up->fields[FIELD_PROJECT]);
    }
    if (rc == CV_OK) {
        rc = cv_buf_append(body, "}", 1);
    }
    return rc;
}

/* Checks the headers before any of the body is read. Returns false with the response set. */
static bool
check_headers(struct api_request *req, const char *content_type)
{
    uint64_t limit = body_limit(req->srv->cfg);
    uint64_t content_len;

    if (!api_request_media_type_is(content_type, "multipart/form-data")) {
        api_respond_error(req, API_ERR_UNSUPPORTED_MEDIA_TYPE, NULL,
                          "Content-Type must be multipart/form-data with the files in fields "
                          "\"cv\" and \"project\"");
        return false;
    }
    if (api_request_content_length(req, &content_len) != CV_OK) {
        api_respond_error(req, API_ERR_BAD_REQUEST, NULL,
                          "Content-Length is not a decimal number");
        return false;
    }
    if (content_len > limit) {
        api_respond_error(req, API_ERR_PAYLOAD_TOO_LARGE, NULL,
                          "request body of %llu bytes is larger than the limit of %llu bytes "
                          "(two files of at most %ld bytes each)",
                          (unsigned long long)content_len, (unsigned long long)limit,
                          req->srv->cfg->upload_max_bytes);
        return false;
    }
    return true;
}

static void
store(struct api_request *req, struct upload *up)
{
    enum cv_err rc;
    size_t      i;

    for (i = 0; i < FIELD_COUNT; i++) {
        rc = fill_row(up, i);
        if (rc != CV_OK) {
            api_respond_error(req, API_ERR_INTERNAL, NULL, "could not prepare the uploads");
            return;
        }
    }
    rc = api_store_upload_pair(req->srv->db, &up->fields[FIELD_CV].row,
                               &up->fields[FIELD_PROJECT].row);
    if (rc != CV_OK) {
        api_respond_failure(req, rc, true, "could not store the uploads",
                            cv_db_errmsg(req->srv->db));
        return;
    }
    for (i = 0; i < FIELD_COUNT; i++) {
        cv_metrics_count_upload(req->srv->metrics,
                                i == FIELD_CV ? CV_METRICS_KIND_CV : CV_METRICS_KIND_PROJECT,
                                metrics_media_of(up->fields[i].extracted.media));
    }
    (void)snprintf(req->cv_id, sizeof(req->cv_id), "%s", up->fields[FIELD_CV].row.id);
    (void)snprintf(req->project_id, sizeof(req->project_id), "%s",
                   up->fields[FIELD_PROJECT].row.id);

    if (write_response(req, up) != CV_OK) {
        api_respond_error(req, API_ERR_INTERNAL, NULL,
                          "the uploads were stored as %s and %s, but the response could not "
                          "be built", req->cv_id, req->project_id);
        return;
    }
    api_respond_json(req, 200);
}

void
api_handle_upload(struct api_request *req)
{
    static const struct api_multipart_callbacks callbacks = {
        on_part_begin, on_part_data, on_part_end,
    };
    struct upload         up;
    struct api_multipart *mp = NULL;
    const char           *content_type;
    char                  reason[256];
    enum cv_err           rc;
    size_t                i;

    memset(&up, 0, sizeof(up));
    up.req = req;
    up.max_bytes = req->srv->cfg->upload_max_bytes;
    for (i = 0; i < FIELD_COUNT; i++) {
        cv_buf_init(&up.fields[i].data, (size_t)up.max_bytes);
    }

    content_type = api_request_param(req, "CONTENT_TYPE");
    if (!check_headers(req, content_type)) {
        goto out;
    }
    reason[0] = '\0';
    rc = api_multipart_new(content_type, &callbacks, &up, &mp, reason, sizeof(reason));
    if (rc == CV_EMEDIA) {
        api_respond_error(req, API_ERR_UNSUPPORTED_MEDIA_TYPE, NULL,
                          "Content-Type must be multipart/form-data: %s", reason);
        goto out;
    }
    if (rc == CV_EINVAL) {
        api_respond_error(req, API_ERR_MALFORMED_MULTIPART, NULL,
                          "Content-Type of the multipart body is invalid: %s", reason);
        goto out;
    }
    if (rc != CV_OK) {
        api_respond_error(req, API_ERR_SERVICE_UNAVAILABLE, NULL, "out of memory");
        goto out;
    }

    if (!receive(&up, mp) || !extract(&up, FIELD_CV) || !extract(&up, FIELD_PROJECT)) {
        goto out;
    }
    store(req, &up);

out:
    api_multipart_free(mp);
    for (i = 0; i < FIELD_COUNT; i++) {
        cv_extract_result_cleanup(&up.fields[i].extracted);
        cv_buf_cleanup(&up.fields[i].data);
    }
}
