/*
 * cvctl migrate: applies sql/NNNN_<what>.sql files in order, each in its own
 * transaction together with its row in schema_migrations. Forward only: a file that
 * changed after it was applied is an error, never re-run. An advisory lock serialises
 * concurrent runs, so starting several services at once is safe.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/log.h"
#include "common/sha256.h"
#include "cvctl/cmd.h"

/* The most migration files one run considers. */
#define MIGRATIONS_MAX 1000
/* A migration file larger than this is a mistake, not a schema change. */
#define MIGRATION_MAX_BYTES ((size_t)4 * 1024 * 1024)
/* Arbitrary constant naming the migration lock among advisory locks. */
#define MIGRATION_LOCK_KEY "7402153901"

static const char create_table_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " sha256 text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

/* Returns the version of a name of the form NNNN_<lower-case words>.sql, else -1. */
static int
migration_version(const char *name)
{
    size_t len = strlen(name);
    size_t i;

    if (len < 10 || strcmp(name + len - 4, ".sql") != 0 || name[4] != '_') {
        return -1;
    }
    for (i = 0; i < 4; i++) {
        if (name[i] < '0' || name[i] > '9') {
            return -1;
        }
    }
    for (i = 5; i < len - 4; i++) {
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
              name[i] == '_')) {
            return -1;
        }
    }
    return (name[0] - '0') * 1000 + (name[1] - '0') * 100 + (name[2] - '0') * 10 +
           (name[3] - '0');
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static enum cv_err
read_file(const char *path, struct cv_buf *out)
{
    FILE  *fp;
    char   chunk[8192];
    size_t n;
    enum cv_err rc = CV_OK;

    fp = fopen(path, "r");
    if (fp == NULL) {
        fprintf(stderr, "cvctl: could not open \"%s\": %s\n", path, strerror(errno));
        return CV_ENOTFOUND;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        rc = cv_buf_append(out, chunk, n);
        if (rc != CV_OK) {
            fprintf(stderr, "cvctl: \"%s\" is larger than %zu bytes\n", path,
                    MIGRATION_MAX_BYTES);
            break;
        }
    }
    fclose(fp);
    return rc;
}

/* Applies one file unless already applied. Returns 0 applied or skipped, 1 failure. */
static int
apply_one(struct cv_db *db, const char *dir, const char *name, int version)
{
    char          path[4096];
    char          version_text[16];
    char          digest[CV_SHA256_HEX_LEN];
    const char   *params[3];
    struct cv_buf sql;
    PGresult     *res = NULL;
    int           status = 1;

    cv_buf_init(&sql, MIGRATION_MAX_BYTES);
    (void)snprintf(path, sizeof(path), "%s/%s", dir, name);
    (void)snprintf(version_text, sizeof(version_text), "%d", version);
    if (read_file(path, &sql) != CV_OK || cv_sha256_hex(sql.data, sql.len, digest) != CV_OK) {
        goto out;
    }

    params[0] = version_text;
    if (cv_db_exec(db, "SELECT sha256 FROM schema_migrations WHERE version = $1", 1, params,
                   &res) != CV_OK) {
        fprintf(stderr, "cvctl: could not read schema_migrations: %s\n", cv_db_errmsg(db));
        goto out;
    }
    if (PQntuples(res) == 1) {
        if (strcmp(PQgetvalue(res, 0, 0), digest) != 0) {
            fprintf(stderr,
                    "cvctl: migration \"%s\" changed after it was applied; add a new "
                    "migration instead of editing it\n",
                    name);
            goto out;
        }
        printf("migrate: %s already applied\n", name);
        status = 0;
        goto out;
    }

    params[1] = name;
    params[2] = digest;
    if (cv_db_begin(db) != CV_OK || cv_db_exec_script(db, sql.data) != CV_OK ||
        cv_db_exec(db, "INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)",
                   3, params, NULL) != CV_OK ||
        cv_db_commit(db) != CV_OK) {
        fprintf(stderr, "cvctl: could not apply migration \"%s\": %s\n", name,
                cv_db_errmsg(db));
        cv_db_rollback(db);
        goto out;
    }
    printf("migrate: applied %s\n", name);
    status = 0;
out:
    PQclear(res);
    cv_buf_cleanup(&sql);
    return status;
}

/* Lists the migration file names of dir, sorted. Caller frees each name and the array. */
static int
list_migrations(const char *dir, char ***names_out, size_t *count_out)
{
    DIR           *dp;
    struct dirent *ent;
    char         **names;
    size_t         count = 0;

    names = calloc(MIGRATIONS_MAX, sizeof(*names));
    if (names == NULL) {
        return -1;
    }
    dp = opendir(dir);
    if (dp == NULL) {
        fprintf(stderr, "cvctl: could not open migrations folder \"%s\": %s\n", dir,
                strerror(errno));
        free(names);
        return -1;
    }
    while ((ent = readdir(dp)) != NULL) {
        if (migration_version(ent->d_name) < 0) {
            continue;
        }
        if (count == MIGRATIONS_MAX) {
            fprintf(stderr, "cvctl: more than %d migrations in \"%s\"\n", MIGRATIONS_MAX, dir);
            break;
        }
        names[count] = strdup(ent->d_name);
        if (names[count] == NULL) {
            break;
        }
        count++;
    }
    closedir(dp);
    qsort(names, count, sizeof(*names), compare_names);
    *names_out = names;
    *count_out = count;
    return 0;
}

int
ctl_migrate(const struct cv_config *cfg, int argc, char **argv)
{
    struct cv_db *db = NULL;
    const char   *dir = "sql";
    char        **names = NULL;
    size_t        count = 0;
    size_t        i;
    int           status = 1;

    if (argc == 2 && strcmp(argv[0], "--dir") == 0) {
        dir = argv[1];
    } else if (argc != 0) {
        fprintf(stderr, "usage: cvctl migrate [--dir FOLDER]\n");
        return 2;
    }

    db = cv_db_new(cfg, "cvctl-migrate");
    if (db == NULL || list_migrations(dir, &names, &count) != 0) {
        goto out;
    }
    if (cv_db_exec(db, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")", 0, NULL, NULL) != CV_OK ||
        cv_db_exec(db, create_table_sql, 0, NULL, NULL) != CV_OK) {
        fprintf(stderr, "cvctl: could not prepare migrations: %s\n", cv_db_errmsg(db));
        goto out;
    }
    for (i = 0; i < count; i++) {
        if (apply_one(db, dir, names[i], migration_version(names[i])) != 0) {
            goto out;
        }
    }
    status = 0;
out:
    for (i = 0; i < count; i++) {
        free(names[i]);
    }
    free(names);
    /* Closing the connection releases the advisory lock. */
    cv_db_free(db);
    return status;
}
