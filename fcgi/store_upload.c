/* Statements on the uploads table. */
#include <stdio.h>
#include <string.h>

#include "fcgi/store_upload.h"

/* RFC 3339 in UTC with milliseconds, the form every timestamp of the API uses. */
#define SQL_TIMESTAMP(column) \
    "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

static const char insert_pair_sql[] =
    "INSERT INTO uploads (kind, filename, media_type, size_bytes, page_count, sha256, "
    "text_content, request_id) VALUES "
    "($1, $2, $3, $4::bigint, $5::integer, $6, $7, $8), "
    "($9, $10, $11, $12::bigint, $13::integer, $14, $15, $16) "
    "RETURNING id::text, kind, " SQL_TIMESTAMP("created_at");

static const char select_kinds_sql[] =
    "SELECT id::text, kind FROM uploads WHERE id IN ($1::uuid, $2::uuid)";

#define PAIR_PARAMS 8

/* Text forms of the numbers of one row; params points into it. */
struct row_text {
    char size[24];
    char pages[16];
};

static void
bind_row(const struct api_upload_row *row, struct row_text *text, const char **params)
{
    (void)snprintf(text->size, sizeof(text->size), "%zu", row->size_bytes);
    (void)snprintf(text->pages, sizeof(text->pages), "%d", row->page_count);
    params[0] = row->kind;
    params[1] = row->filename;
    params[2] = row->media_type;
    params[3] = text->size;
    params[4] = row->page_count > 0 ? text->pages : NULL;
    params[5] = row->sha256;
    params[6] = row->text;
    params[7] = row->request_id;
}

enum cv_err
api_store_upload_pair(struct cv_db *db, struct api_upload_row *cv,
                      struct api_upload_row *project)
{
    struct row_text         texts[2];
    const char             *params[2 * PAIR_PARAMS];
    struct api_upload_row  *row;
    PGresult               *res = NULL;
    enum cv_err             rc;
    int                     i;

    bind_row(cv, &texts[0], params);
    bind_row(project, &texts[1], params + PAIR_PARAMS);
    rc = cv_db_exec(db, insert_pair_sql, 2 * PAIR_PARAMS, params, &res);
    if (rc != CV_OK) {
        return rc;
    }
    if (PQntuples(res) != 2) {
        rc = CV_EINTERNAL;
        goto out;
    }
    /* RETURNING order is not promised for a multi-row VALUES, so match rows by kind. */
    for (i = 0; i < 2; i++) {
        row = strcmp(PQgetvalue(res, i, 1), cv->kind) == 0 ? cv : project;
        (void)snprintf(row->id, sizeof(row->id), "%s", PQgetvalue(res, i, 0));
        (void)snprintf(row->created_at, sizeof(row->created_at), "%s", PQgetvalue(res, i, 2));
    }
out:
    PQclear(res);
    return rc;
}

enum cv_err
api_store_upload_kinds(struct cv_db *db, const char *cv_id, const char *project_id,
                       char cv_kind[API_KIND_SIZE], char project_kind[API_KIND_SIZE])
{
    const char *params[2] = {cv_id, project_id};
    PGresult   *res = NULL;
    enum cv_err rc;
    int         i;

    cv_kind[0] = '\0';
    project_kind[0] = '\0';
    rc = cv_db_exec(db, select_kinds_sql, 2, params, &res);
    if (rc != CV_OK) {
        return rc;
    }
    /* Ids come back in PostgreSQL's lower-case form; the caller's are lower case too. */
    for (i = 0; i < PQntuples(res); i++) {
        if (strcmp(PQgetvalue(res, i, 0), cv_id) == 0) {
            (void)snprintf(cv_kind, API_KIND_SIZE, "%s", PQgetvalue(res, i, 1));
        }
        if (strcmp(PQgetvalue(res, i, 0), project_id) == 0) {
            (void)snprintf(project_kind, API_KIND_SIZE, "%s", PQgetvalue(res, i, 1));
        }
    }
    PQclear(res);
    return CV_OK;
}
