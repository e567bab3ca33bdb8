/*
 * One PostgreSQL connection with its configuration and last error. A broken connection
 * is reset before the next statement, never in the middle of one: a statement that
 * fails because the connection dropped is reported as CV_EUNAVAIL and not retried, since
 * it may already have committed. Not thread-safe: each thread owns its own cv_db.
 */
#ifndef CV_DB_H
#define CV_DB_H

#include <libpq-fe.h>

#include "common/config.h"
#include "common/err.h"

struct cv_db;

/*
 * Allocates a handle that connects lazily with cfg's DB_* settings. app_name shows in
 * pg_stat_activity. cfg must outlive the handle. Returns NULL on ENOMEM.
 */
struct cv_db *cv_db_new(const struct cv_config *cfg, const char *app_name);

/* Closes the connection and frees the handle. NULL is a no-op. */
void cv_db_free(struct cv_db *db);

/* Connects, or resets a broken connection. Blocks up to DB_CONNECT_TIMEOUT_S. */
enum cv_err cv_db_connect(struct cv_db *db);

/*
 * Runs sql with text parameters (NULL entries are SQL NULL). On CV_OK *out holds the
 * result, which the caller frees with PQclear(); out may be NULL to discard it.
 * Failures: CV_EUNAVAIL (connection lost or server shutting down), CV_ETIMEOUT
 * (statement timeout), CV_ECONFLICT (unique or exclusion violation), CV_EINVAL (other
 * integrity or data errors), CV_EINTERNAL (anything else). cv_db_errmsg() has the text.
 */
enum cv_err cv_db_exec(struct cv_db *db, const char *sql, int param_count,
                       const char *const *params, PGresult **out);

/*
 * Runs a script of several statements with no parameters (migrations). Same results
 * and error mapping as cv_db_exec(); the script runs in the caller's transaction.
 */
enum cv_err cv_db_exec_script(struct cv_db *db, const char *sql);

/* Transaction helpers; rollback is safe to call after any failure. */
enum cv_err cv_db_begin(struct cv_db *db);
enum cv_err cv_db_commit(struct cv_db *db);
void cv_db_rollback(struct cv_db *db);

/* Runs SELECT 1 on the connection, connecting first if needed. */
enum cv_err cv_db_ping(struct cv_db *db);

/* Returns the last error text; valid until the next call on db. Never NULL. */
const char *cv_db_errmsg(const struct cv_db *db);

/* Returns the SQLSTATE of the last failed statement, "" if none. */
const char *cv_db_sqlstate(const struct cv_db *db);

/* Borrows the connection for libpq calls this module does not wrap; may be NULL. */
PGconn *cv_db_conn(struct cv_db *db);

#endif
