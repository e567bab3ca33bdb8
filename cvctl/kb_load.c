/*
 * cvctl kb-load: stores the knowledge-base files of KB_DIR as the default document of
 * each kind, with their passages, all in one transaction. A document whose SHA-256
 * matches the stored one is left untouched, so a second run changes nothing. The file
 * format is described in kb/README.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/passage.h"
#include "common/sha256.h"
#include "cvctl/cmd.h"

/* A knowledge-base file larger than this is a mistake: the documents are a few pages. */
#define KB_FILE_MAX_BYTES ((size_t)1024 * 1024)
/* Arbitrary constant naming the kb-load lock among advisory locks (migrate uses another). */
#define KB_LOCK_KEY "7402153902"

struct kb_file {
    const char           *kind;      /* static, kb_documents.kind */
    const char           *name;      /* static, file name in the folder */
    char                  id[64];    /* kb_documents.id, "default/<kind>" */
    struct cv_buf         body;      /* file contents */
    char                  digest[CV_SHA256_HEX_LEN];
    struct cv_passage_doc doc;       /* title and passages */
    int                   is_written; /* set once the row is stored in this run */
};

static const struct {
    const char *kind;
    const char *name;
} kb_kinds[] = {
    {"job_description", "job_description.md"},
    {"case_study_brief", "case_study_brief.md"},
    {"scoring_rubric", "scoring_rubric.md"},
};

#define KB_KIND_COUNT (sizeof(kb_kinds) / sizeof(kb_kinds[0]))

static int
read_file(const char *path, struct cv_buf *out)
{
    FILE  *fp;
    char   chunk[8192];
    size_t n;
    int    status = 0;

    fp = fopen(path, "rb");
    if (fp == NULL) {
        fprintf(stderr, "cvctl: could not open \"%s\": %s\n", path, strerror(errno));
        return 1;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        if (cv_buf_append(out, chunk, n) != CV_OK) {
            fprintf(stderr, "cvctl: \"%s\" is larger than %zu bytes\n", path, KB_FILE_MAX_BYTES);
            status = 1;
            break;
        }
    }
    if (status == 0 && ferror(fp)) {
        fprintf(stderr, "cvctl: could not read \"%s\"\n", path);
        status = 1;
    }
    fclose(fp);
    return status;
}

/* Reads, hashes and splits one file. Returns 0 or 1 after reporting the problem. */
static int
prepare_file(const char *dir, struct kb_file *file)
{
    struct cv_passage_opts opts = {CV_PASSAGE_MAX_LEN_DEFAULT, 1};
    char                   path[4096];
    char                   errbuf[256];
    const gchar           *bad = NULL;

    (void)snprintf(path, sizeof(path), "%s/%s", dir, file->name);
    (void)snprintf(file->id, sizeof(file->id), "default/%s", file->kind);
    if (read_file(path, &file->body) != 0) {
        return 1;
    }
    if (file->body.len == 0 || memchr(file->body.data, '\0', file->body.len) != NULL) {
        fprintf(stderr, "cvctl: \"%s\" is empty or contains a NUL byte: expected UTF-8 text\n",
                path);
        return 1;
    }
    if (!g_utf8_validate(file->body.data, (gssize)file->body.len, &bad)) {
        fprintf(stderr, "cvctl: \"%s\" is not valid UTF-8 at byte %zu\n", path,
                (size_t)(bad - file->body.data));
        return 1;
    }
    if (cv_sha256_hex(file->body.data, file->body.len, file->digest) != CV_OK) {
        fprintf(stderr, "cvctl: could not hash \"%s\"\n", path);
        return 1;
    }
    if (cv_passage_split(file->body.data, file->body.len, &opts, &file->doc, errbuf,
                         sizeof(errbuf)) != CV_OK) {
        fprintf(stderr, "cvctl: cannot load \"%s\": %s\n", path, errbuf);
        return 1;
    }
    if (file->doc.title[0] == '\0') {
        fprintf(stderr, "cvctl: cannot load \"%s\": missing title: the first non-blank "
                        "line must be \"# Title\"\n", path);
        return 1;
    }
    if (file->doc.count == 0) {
        fprintf(stderr, "cvctl: cannot load \"%s\": the document has no text\n", path);
        return 1;
    }
    return 0;
}

/* Sets *is_current when the stored default document has the file's digest. */
static enum cv_err
check_current(struct cv_db *db, const struct kb_file *file, int *is_current)
{
    const char *params[2] = {file->id, file->kind};
    PGresult   *res = NULL;
    enum cv_err rc;

    rc = cv_db_exec(db,
                    "SELECT sha256 FROM kb_documents WHERE id = $1 AND kind = $2 AND is_default",
                    2, params, &res);
    if (rc == CV_OK) {
        *is_current = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), file->digest) == 0;
    }
    PQclear(res);
    return rc;
}

/* Upserts the document row and replaces its passages, inside the caller's transaction. */
static enum cv_err
write_file(struct cv_db *db, const struct kb_file *file)
{
    const struct cv_passage *item;
    const char              *params[5];
    char                     ordinal[16];
    char                     weight[32];
    size_t                   i;
    enum cv_err              rc;

    /* The unique index allows one default per kind, so demote any other holder first. */
    params[0] = file->kind;
    params[1] = file->id;
    rc = cv_db_exec(db,
                    "UPDATE kb_documents SET is_default = false"
                    " WHERE kind = $1 AND is_default AND id <> $2",
                    2, params, NULL);
    if (rc != CV_OK) {
        return rc;
    }

    params[0] = file->id;
    params[1] = file->kind;
    params[2] = file->doc.title;
    params[3] = file->body.data;
    params[4] = file->digest;
    rc = cv_db_exec(db,
                    "INSERT INTO kb_documents (id, kind, title, body, sha256, is_default)"
                    " VALUES ($1, $2, $3, $4, $5, true)"
                    " ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind,"
                    " title = EXCLUDED.title, body = EXCLUDED.body, sha256 = EXCLUDED.sha256,"
                    " is_default = true, job_id = NULL, loaded_at = now()",
                    5, params, NULL);
    if (rc != CV_OK) {
        return rc;
    }
    rc = cv_db_exec(db, "DELETE FROM kb_passages WHERE document_id = $1", 1, params, NULL);

    for (i = 0; rc == CV_OK && i < file->doc.count; i++) {
        item = &file->doc.passages[i];
        (void)snprintf(ordinal, sizeof(ordinal), "%d", item->ordinal);
        /* Weights have at most three decimals (see parse_weight in common/passage.c). */
        (void)snprintf(weight, sizeof(weight), "%.3f", item->weight);
        params[0] = file->id;
        params[1] = ordinal;
        params[2] = item->section;
        params[3] = weight;
        params[4] = item->body;
        rc = cv_db_exec(db,
                        "INSERT INTO kb_passages (document_id, ordinal, section, weight, body)"
                        " VALUES ($1, $2, $3, $4, $5)",
                        5, params, NULL);
    }
    return rc;
}

/* Writes every changed file in one transaction. Returns 0 or 1 after reporting. */
static int
store_files(struct cv_db *db, struct kb_file *files, size_t count, int is_forced)
{
    int         is_current = 0;
    size_t      i;
    enum cv_err rc;

    rc = cv_db_begin(db);
    if (rc == CV_OK) {
        /* Serialises concurrent runs. The lock is released at commit or rollback. */
        rc = cv_db_exec(db, "SELECT pg_advisory_xact_lock(" KB_LOCK_KEY ")", 0, NULL, NULL);
    }
    for (i = 0; rc == CV_OK && i < count; i++) {
        rc = check_current(db, &files[i], &is_current);
        if (rc == CV_OK && (is_forced || !is_current)) {
            rc = write_file(db, &files[i]);
            files[i].is_written = rc == CV_OK;
        }
    }
    if (rc == CV_OK) {
        rc = cv_db_commit(db);
    }
    if (rc != CV_OK) {
        fprintf(stderr, "cvctl: could not store the knowledge base (%s): %s\n", cv_strerror(rc),
                cv_db_errmsg(db));
        cv_db_rollback(db);
        return 1;
    }
    return 0;
}

static void
print_summary(const struct kb_file *files, size_t count)
{
    size_t written = 0;
    size_t i;

    for (i = 0; i < count; i++) {
        if (files[i].is_written) {
            written++;
            printf("kb-load: %s written: \"%s\", %zu passages, sha256 %.12s\n", files[i].id,
                   files[i].doc.title, files[i].doc.count, files[i].digest);
        } else {
            printf("kb-load: %s unchanged (sha256 %.12s)\n", files[i].id, files[i].digest);
        }
    }
    printf("kb-load: %zu written, %zu unchanged\n", written, count - written);
}

static void
print_check(const struct kb_file *files, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        printf("kb-load: %s is valid: \"%s\", %zu passages, sha256 %.12s\n", files[i].id,
               files[i].doc.title, files[i].doc.count, files[i].digest);
    }
}

int
ctl_kb_load(const struct cv_config *cfg, int argc, char **argv)
{
    struct kb_file files[KB_KIND_COUNT];
    struct cv_db  *db = NULL;
    const char    *dir = cfg->kb_dir;
    int            is_check = 0;
    int            is_forced = 0;
    int            status = 1;
    int            i;
    size_t         k;

    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "--check") == 0) {
            is_check = 1;
        } else if (strcmp(argv[i], "--force") == 0) {
            is_forced = 1;
        } else {
            fprintf(stderr, "usage: cvctl kb-load [--dir FOLDER] [--check] [--force]\n"
                            "  --dir FOLDER  read the files from FOLDER instead of KB_DIR\n"
                            "  --check       validate the files without connecting to the "
                            "database\n"
                            "  --force       rewrite every document and its passages, even "
                            "unchanged ones\n");
            return 2;
        }
    }

    memset(files, 0, sizeof(files));
    for (k = 0; k < KB_KIND_COUNT; k++) {
        files[k].kind = kb_kinds[k].kind;
        files[k].name = kb_kinds[k].name;
        cv_buf_init(&files[k].body, KB_FILE_MAX_BYTES);
    }
    for (k = 0; k < KB_KIND_COUNT; k++) {
        if (prepare_file(dir, &files[k]) != 0) {
            goto out;
        }
    }
    if (is_check) {
        print_check(files, KB_KIND_COUNT);
        status = 0;
        goto out;
    }

    db = cv_db_new(cfg, "cvctl-kb-load");
    if (db == NULL) {
        fprintf(stderr, "cvctl: could not allocate a database handle: out of memory\n");
        goto out;
    }
    status = store_files(db, files, KB_KIND_COUNT, is_forced);
    if (status == 0) {
        print_summary(files, KB_KIND_COUNT);
    }
out:
    cv_db_free(db);
    for (k = 0; k < KB_KIND_COUNT; k++) {
        cv_buf_cleanup(&files[k].body);
        cv_passage_doc_cleanup(&files[k].doc);
    }
    return status;
}
