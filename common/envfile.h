/*
 * Reader of KEY=value files in the format of systemd's EnvironmentFile=, the optional
 * config file of every program. It only parses: which keys are settings is decided by
 * common/config.c. Backslash escapes and line continuations are not supported.
 */
#ifndef CV_ENVFILE_H
#define CV_ENVFILE_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

/* Max bytes of one line, newline excluded. A longer line is an error and is never split. */
#define CV_ENVFILE_LINE_MAX 65536

/*
 * Max assignments in one file. The table has about a hundred settings, so a file past
 * this is most likely not a config file, and reading it whole would only waste memory.
 */
#define CV_ENVFILE_VARS_MAX 1024

/* One KEY=value line. */
struct cv_envfile_var {
    char   *name;    /* owned */
    char   *value;   /* owned */
    size_t  line;    /* 1-based line number in the file */
};

struct cv_envfile {
    struct cv_envfile_var *vars;    /* owned array of count, in file order */
    size_t                 count;
    size_t                 cap;     /* elements allocated */
};

/*
 * Reads path into file, which the call initialises. Blank lines and lines whose first
 * non-blank character is # or ; are skipped, and a leading "export " is dropped.
 * Blanks around the key and around the value are stripped. Then one pair of matching
 * single or double quotes around the whole value is removed, and blanks inside them
 * are kept. A key must match [A-Za-z_][A-Za-z0-9_]*.
 *
 * Every bad line adds one line "PATH:LINE: reason" to errors and the result is then
 * CV_EINVAL, but the valid lines are still read. An unreadable file gives CV_EINVAL,
 * and a failed allocation gives CV_ENOMEM. In every case the caller releases file with
 * cv_envfile_cleanup().
 */
enum cv_err cv_envfile_read(struct cv_envfile *file, const char *path, struct cv_buf *errors);

/*
 * Returns the value of the last line that assigns name, as systemd does, or NULL when
 * none does. The string is borrowed and stays valid until cv_envfile_cleanup().
 */
const char *cv_envfile_get(const struct cv_envfile *file, const char *name);

/* Frees every variable and leaves an empty file. A zeroed file is a no-op. */
void cv_envfile_cleanup(struct cv_envfile *file);

#endif
