/*
 * cvctl wait-ready: polls PostgreSQL and the broker until both answer, so scripts can
 * start dependants only when their dependencies serve. Prints which one is missing when
 * the timeout passes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/db.h"
#include "common/queue.h"
#include "cvctl/cmd.h"

int
ctl_wait_ready(const struct cv_config *cfg, int argc, char **argv)
{
    struct cv_db    *db = NULL;
    struct cv_queue *queue = NULL;
    char             errbuf[512];
    char            *end;
    long             timeout_ms = 60000;
    int64_t          deadline;
    int              db_ok = 0;
    int              broker_ok = 0;
    int              status = 1;

    if (argc == 2 && strcmp(argv[0], "--timeout-ms") == 0) {
        errno = 0;
        timeout_ms = strtol(argv[1], &end, 10);
        if (errno != 0 || *end != '\0' || timeout_ms < 0) {
            fprintf(stderr, "cvctl: invalid --timeout-ms \"%s\"\n", argv[1]);
            return 2;
        }
    } else if (argc != 0) {
        fprintf(stderr, "usage: cvctl wait-ready [--timeout-ms N]\n");
        return 2;
    }

    db = cv_db_new(cfg, "cvctl-wait-ready");
    queue = cv_queue_new(cfg, errbuf, sizeof(errbuf));
    if (db == NULL || queue == NULL) {
        fprintf(stderr, "cvctl: could not create clients: %s\n", queue == NULL ? errbuf : "out of memory");
        goto out;
    }

    deadline = cv_clock_mono_ms() + timeout_ms;
    for (;;) {
        if (!db_ok) {
            db_ok = cv_db_ping(db) == CV_OK;
        }
        if (!broker_ok) {
            broker_ok = cv_queue_ping(queue, 1000) == CV_OK;
        }
        if (db_ok && broker_ok) {
            status = 0;
            break;
        }
        if (cv_clock_mono_ms() >= deadline) {
            if (!db_ok) {
                fprintf(stderr, "cvctl: database not ready: %s\n", cv_db_errmsg(db));
            }
            if (!broker_ok) {
                fprintf(stderr, "cvctl: broker not ready: %s\n", cv_queue_errmsg(queue));
            }
            break;
        }
        cv_clock_sleep_ms(200);
    }
out:
    cv_queue_free(queue);
    cv_db_free(db);
    return status;
}
