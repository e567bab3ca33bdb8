/* SQL for the uploads table: storing the two documents of one upload, reading kinds. */
#ifndef API_STORE_UPLOAD_H
#define API_STORE_UPLOAD_H

#include <stddef.h>

#include "common/db.h"
#include "common/err.h"
#include "common/id.h"
#include "common/sha256.h"

/* Bytes of a timestamp as the stores format it: 2025-06-01T10:00:00.123Z plus NUL. */
#define API_TIMESTAMP_SIZE 32

/* Bytes of an upload kind ("cv", "project") plus NUL. */
#define API_KIND_SIZE 16

/* One document to store. The strings are borrowed for the duration of the call. */
struct api_upload_row {
    const char *kind;                         /* "cv" or "project" */
    const char *filename;                     /* sanitised client name, may be "" */
    const char *media_type;                   /* MIME type from cv_media_mime() */
    size_t      size_bytes;
    int         page_count;                   /* PDF pages, 0 = not a paged format */
    char        sha256[CV_SHA256_HEX_LEN];    /* of the uploaded bytes */
    const char *text;                         /* extracted UTF-8 text, non-empty */
    const char *request_id;
    char        id[CV_UUID_LEN];              /* set by api_store_upload_pair() */
    char        created_at[API_TIMESTAMP_SIZE];   /* set by api_store_upload_pair() */
};

/*
 * Inserts cv and project in one statement, so both rows are stored or neither is, and
 * fills their id and created_at. Returns CV_OK or a cv_db_exec() failure
 * (cv_db_errmsg() has the text).
 */
enum cv_err api_store_upload_pair(struct cv_db *db, struct api_upload_row *cv,
                                  struct api_upload_row *project);

/*
 * Reads the kinds of the uploads cv_id and project_id (lower-case UUIDs, the form
 * PostgreSQL returns them in) into cv_kind and project_kind, leaving "" for an id that does not exist. Returns CV_OK or a
 * cv_db_exec() failure.
 */
enum cv_err api_store_upload_kinds(struct cv_db *db, const char *cv_id, const char *project_id,
                                   char cv_kind[API_KIND_SIZE],
                                   char project_kind[API_KIND_SIZE]);

#endif
