/* libpq connection wrapper: lazy connect, reset on breakage, error classification. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"

/* Max statements prepared per connection. The services run about 30 distinct
 * statements, and any beyond this bound run unprepared. */
#define PREPARED_MAX 64

/* A statement prepared on the current connection. */
struct prepared {
    char *sql;                               /* owned copy of the statement text */
    char  name[24];                          /* "cv<serial>", never reused on a connection */
};

struct cv_db {
    const struct cv_config *cfg;             /* borrowed */
    PGconn                 *conn;            /* owned, NULL until the first connect */
    struct prepared         prepared[PREPARED_MAX];
    size_t                  prepared_count;
    unsigned long           prepared_serial; /* names the next prepared statement */
    char                    app_name[64];
    char                    errmsg[512];
    char                    sqlstate[6];
};

static void
set_error(struct cv_db *db, const char *what, const char *detail)
{
    size_t len;

    (void)snprintf(db->errmsg, sizeof(db->errmsg), "%s: %s", what,
                   detail != NULL && detail[0] != '\0' ? detail : "unknown error");
    /* libpq messages span lines ("...failed: ...\n\tIs the server running"); keep one. */
    for (len = 0; db->errmsg[len] != '\0'; len++) {
        if (db->errmsg[len] == '\n' || db->errmsg[len] == '\t') {
            db->errmsg[len] = ' ';
        }
    }
    while (len > 0 && (db->errmsg[len - 1] == '\n' || db->errmsg[len - 1] == ' ')) {
        db->errmsg[--len] = '\0';
    }
}

struct cv_db *
cv_db_new(const struct cv_config *cfg, const char *app_name)
{
    struct cv_db *db;

    db = calloc(1, sizeof(*db));
    if (db == NULL) {
        return NULL;
    }
    db->cfg = cfg;
    (void)snprintf(db->app_name, sizeof(db->app_name), "%s", app_name);
    return db;
}

/* Forgets the prepared statements, which live only as long as their connection. */
static void
forget_prepared(struct cv_db *db)
{
    size_t i;

    for (i = 0; i < db->prepared_count; i++) {
        free(db->prepared[i].sql);
        db->prepared[i].sql = NULL;
    }
    db->prepared_count = 0;
}

void
cv_db_free(struct cv_db *db)
{
    if (db == NULL) {
        return;
    }
    if (db->conn != NULL) {
        PQfinish(db->conn);
    }
    forget_prepared(db);
    free(db);
}

/*
 * Returns 1 when an idle connection was closed by the server. libpq notices a closed
 * socket only when a statement fails on it, but a server that shuts down or restarts
 * sends an error and closes the socket, which leaves the socket readable. Reading that
 * here lets the next statement run on a fresh connection instead of failing.
 */
static int
closed_while_idle(struct cv_db *db)
{
    struct pollfd pfd;
    int           i;

    if (PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
        return 0; /* inside a transaction a reconnect would lose its work: let it fail */
    }
    pfd.fd = PQsocket(db->conn);
    if (pfd.fd < 0) {
        return 1;
    }

    /*
     * Data on an idle connection is a notice or the server's goodbye. One read may take
     * only the goodbye message, and the EOF behind it needs another, so read while the
     * socket stays readable. A live connection stops being readable at once.
     */
    for (i = 0; i < 4; i++) {
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (poll(&pfd, 1, 0) <= 0) {
            return 0;
        }
        if (PQconsumeInput(db->conn) == 0 || PQstatus(db->conn) != CONNECTION_OK) {
            return 1;
        }
    }
    return 0;
}

enum cv_err
cv_db_connect(struct cv_db *db)
{
    char        port[16];
    char        timeout[16];
    char        options[128];
    const char *keys[10];
    const char *values[10];
    int         n = 0;

    if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK && !closed_while_idle(db)) {
        return CV_OK;
    }
    if (db->conn != NULL) {
        PQfinish(db->conn);
        db->conn = NULL;
    }
    forget_prepared(db);

    (void)snprintf(port, sizeof(port), "%ld", db->cfg->db_port);
    (void)snprintf(timeout, sizeof(timeout), "%ld", db->cfg->db_connect_timeout_s);
    /* The check interval makes the server roll back a dead client's statement, which
     * would otherwise commit once its locks were free, after the job had moved on. */
    (void)snprintf(options, sizeof(options),
                   "-c statement_timeout=%ld -c client_min_messages=warning "
                   "-c client_connection_check_interval=1000",
                   db->cfg->db_statement_timeout_ms);
    keys[n] = "host", values[n++] = db->cfg->db_host;
    keys[n] = "port", values[n++] = port;
    keys[n] = "dbname", values[n++] = db->cfg->db_name;
    keys[n] = "user", values[n++] = db->cfg->db_user;
    keys[n] = "password", values[n++] = db->cfg->db_password;
    keys[n] = "sslmode", values[n++] = db->cfg->db_sslmode;
    keys[n] = "connect_timeout", values[n++] = timeout;
    keys[n] = "application_name", values[n++] = db->app_name;
    keys[n] = "options", values[n++] = options;
    keys[n] = NULL, values[n] = NULL;

    db->conn = PQconnectdbParams(keys, values, 0);
    if (db->conn == NULL) {
        set_error(db, "could not connect to PostgreSQL", "out of memory");
        return CV_ENOMEM;
    }
    if (PQstatus(db->conn) != CONNECTION_OK) {
        set_error(db, "could not connect to PostgreSQL", PQerrorMessage(db->conn));
        PQfinish(db->conn);
        db->conn = NULL;
        return CV_EUNAVAIL;
    }
    db->errmsg[0] = '\0';
    return CV_OK;
}

/* Maps a failed result's SQLSTATE to our codes; see PostgreSQL's Appendix A. */
static enum cv_err
classify(struct cv_db *db, const PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

    (void)snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", state != NULL ? state : "");
    if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
        return CV_EUNAVAIL;
    }
    if (state == NULL) {
        return CV_EUNAVAIL;
    }
    if (strcmp(state, "57014") == 0) {
        return CV_ETIMEOUT; /* query_canceled: statement_timeout fired */
    }
    if (strcmp(state, "23505") == 0 || strcmp(state, "23P01") == 0) {
        return CV_ECONFLICT;
    }
    if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0) {
        return CV_EINVAL;
    }
    /* Class 08 connection exceptions, 57P01-03 shutdown, 53 out of resources. */
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
        strncmp(state, "53", 2) == 0) {
        return CV_EUNAVAIL;
    }
    return CV_EINTERNAL;
}

/*
 * Finds or creates the prepared form of sql on the current connection and sets *found
 * to it, or to NULL when sql is to run unprepared: preparing is off, sql has no
 * parameters (BEGIN, COMMIT), or the table is full. Parsing and planning once per
 * connection instead of once per call nearly doubled the rate of GET /v1/result.
 */
static enum cv_err
find_prepared(struct cv_db *db, const char *sql, int param_count,
              const struct prepared **found)
{
    struct prepared *entry;
    PGresult        *res;
    enum cv_err      rc;
    size_t           i;

    *found = NULL;
    if (db->cfg->db_prepare == 0 || param_count == 0) {
        return CV_OK;
    }
    for (i = 0; i < db->prepared_count; i++) {
        if (strcmp(db->prepared[i].sql, sql) == 0) {
            *found = &db->prepared[i];
            return CV_OK;
        }
    }
    if (db->prepared_count == PREPARED_MAX) {
        return CV_OK;
    }

    entry = &db->prepared[db->prepared_count];
    entry->sql = strdup(sql);
    if (entry->sql == NULL) {
        return CV_OK; /* the statement can still run unprepared */
    }
    (void)snprintf(entry->name, sizeof(entry->name), "cv%lu", db->prepared_serial++);
    res = PQprepare(db->conn, entry->name, sql, param_count, NULL);
    if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
        if (res == NULL) {
            set_error(db, "could not prepare statement", PQerrorMessage(db->conn));
            rc = PQstatus(db->conn) == CONNECTION_OK ? CV_ENOMEM : CV_EUNAVAIL;
        } else {
            set_error(db, "statement failed", PQresultErrorMessage(res));
            rc = classify(db, res);
        }
        PQclear(res);
        free(entry->sql);
        entry->sql = NULL;
        return rc;
    }
    PQclear(res);
    db->prepared_count++;
    *found = entry;
    return CV_OK;
}

/*
 * Removes one prepared statement from the table. When it still exists on the server
 * and no transaction is open, it is deallocated there too. Otherwise it stays until the
 * connection closes, under a name that is never used again.
 */
static void
drop_prepared(struct cv_db *db, const struct prepared *stale, int exists_on_server)
{
    char      sql[64];
    PGresult *res;
    size_t    i = (size_t)(stale - db->prepared);

    if (exists_on_server && PQtransactionStatus(db->conn) == PQTRANS_IDLE) {
        (void)snprintf(sql, sizeof(sql), "DEALLOCATE %s", stale->name);
        res = PQexec(db->conn, sql);
        PQclear(res);
    }
    free(db->prepared[i].sql);
    db->prepared[i] = db->prepared[db->prepared_count - 1];
    db->prepared[db->prepared_count - 1].sql = NULL;
    db->prepared_count--;
}

/*
 * Runs sql once, prepared when find_prepared() returns a statement. Sets *is_stale when
 * the prepared statement failed because it no longer fits the server: 0A000 "cached plan
 * must not change result type" after a migration changed a table under it, or 26000
 * when the server lost it (DISCARD ALL, a pooler in transaction mode). Both fail before
 * the statement has any effect, and the statement is then dropped from the table.
 */
static enum cv_err
run_statement(struct cv_db *db, const char *sql, int param_count, const char *const *params,
              PGresult **out, int *is_stale)
{
    const struct prepared *prepared;
    PGresult              *res;
    ExecStatusType         status;
    enum cv_err            rc;

    *is_stale = 0;
    rc = find_prepared(db, sql, param_count, &prepared);
    if (rc != CV_OK) {
        return rc;
    }
    if (prepared != NULL) {
        res = PQexecPrepared(db->conn, prepared->name, param_count, params, NULL, NULL, 0);
    } else {
        res = PQexecParams(db->conn, sql, param_count, NULL, params, NULL, NULL, 0);
    }
    if (res == NULL) {
        set_error(db, "could not run statement", PQerrorMessage(db->conn));
        return PQstatus(db->conn) == CONNECTION_OK ? CV_ENOMEM : CV_EUNAVAIL;
    }
    status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        set_error(db, "statement failed", PQresultErrorMessage(res));
        rc = classify(db, res);
        PQclear(res);
        if (prepared != NULL && (strcmp(db->sqlstate, "0A000") == 0 ||
                                 strcmp(db->sqlstate, "26000") == 0)) {
            *is_stale = 1;
            drop_prepared(db, prepared, strcmp(db->sqlstate, "0A000") == 0);
        }
        return rc;
    }
    if (out != NULL) {
        /* ownership of res moves to the caller */
        *out = res;
        res = NULL;
    }
    PQclear(res);
    return CV_OK;
}

enum cv_err
cv_db_exec(struct cv_db *db, const char *sql, int param_count, const char *const *params,
           PGresult **out)
{
    enum cv_err rc;
    int         is_stale;

    if (out != NULL) {
        *out = NULL;
    }
    db->sqlstate[0] = '\0';
    rc = cv_db_connect(db);
    if (rc != CV_OK) {
        return rc;
    }
    rc = run_statement(db, sql, param_count, params, out, &is_stale);
    /* A stale statement had no effect, so outside a transaction it runs once more,
     * prepared afresh. Inside one, the failure has aborted the transaction. */
    if (rc != CV_OK && is_stale && PQtransactionStatus(db->conn) == PQTRANS_IDLE) {
        db->sqlstate[0] = '\0';
        rc = run_statement(db, sql, param_count, params, out, &is_stale);
    }
    return rc;
}

enum cv_err
cv_db_exec_script(struct cv_db *db, const char *sql)
{
    PGresult      *res;
    ExecStatusType status;
    enum cv_err    rc;

    db->sqlstate[0] = '\0';
    rc = cv_db_connect(db);
    if (rc != CV_OK) {
        return rc;
    }

    /* PQexec, unlike PQexecParams, accepts several statements in one string. */
    res = PQexec(db->conn, sql);
    if (res == NULL) {
        set_error(db, "could not run script", PQerrorMessage(db->conn));
        return PQstatus(db->conn) == CONNECTION_OK ? CV_ENOMEM : CV_EUNAVAIL;
    }
    status = PQresultStatus(res);
    rc = CV_OK;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK &&
        status != PGRES_EMPTY_QUERY) {
        set_error(db, "script failed", PQresultErrorMessage(res));
        rc = classify(db, res);
    }
    PQclear(res);
    return rc;
}

enum cv_err
cv_db_begin(struct cv_db *db)
{
    return cv_db_exec(db, "BEGIN", 0, NULL, NULL);
}

enum cv_err
cv_db_commit(struct cv_db *db)
{
    return cv_db_exec(db, "COMMIT", 0, NULL, NULL);
}

void
cv_db_rollback(struct cv_db *db)
{
    PGresult *res;

    if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK ||
        PQtransactionStatus(db->conn) == PQTRANS_IDLE) {
        return;
    }
    res = PQexec(db->conn, "ROLLBACK");
    PQclear(res);
}

enum cv_err
cv_db_ping(struct cv_db *db)
{
    return cv_db_exec(db, "SELECT 1", 0, NULL, NULL);
}

const char *
cv_db_errmsg(const struct cv_db *db)
{
    return db->errmsg;
}

const char *
cv_db_sqlstate(const struct cv_db *db)
{
    return db->sqlstate;
}

PGconn *
cv_db_conn(struct cv_db *db)
{
    return db->conn;
}
