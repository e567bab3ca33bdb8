/*
 * Subcommands of cvctl, the operator's control tool. Each takes the loaded
 * configuration and the arguments after its name, and returns the process exit status:
 * 0 success, 1 failure (already reported on stderr), 2 usage error.
 */
#ifndef CVCTL_CMD_H
#define CVCTL_CMD_H

#include "common/config.h"

/* Applies the numbered sql/NNNN_*.sql files not yet recorded in schema_migrations. */
int ctl_migrate(const struct cv_config *cfg, int argc, char **argv);

/* Loads the knowledge-base files of KB_DIR into kb_documents and kb_passages. */
int ctl_kb_load(const struct cv_config *cfg, int argc, char **argv);

/* Runs the development Kafka broker (librdkafka mock cluster) until SIGTERM. */
int ctl_dev_broker(const struct cv_config *cfg, int argc, char **argv);

/* Puts failed or stranded jobs back to queued and sends their wake-up messages. */
int ctl_requeue(const struct cv_config *cfg, int argc, char **argv);

/* Prints a TCP port on 127.0.0.1 that was free when checked. */
int ctl_free_port(const struct cv_config *cfg, int argc, char **argv);

/* Waits until PostgreSQL and the broker answer, or a timeout passes. */
int ctl_wait_ready(const struct cv_config *cfg, int argc, char **argv);

#endif
