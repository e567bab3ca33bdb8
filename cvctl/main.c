/*
 * cvctl: migrations, knowledge-base loading, re-queueing, and the development broker.
 * Usage: cvctl [--config FILE] COMMAND [ARGS...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "cvctl/cmd.h"

struct ctl_command {
    const char *name;
    int (*run)(const struct cv_config *cfg, int argc, char **argv);
    const char *help;
};

static int cmd_check_config(const struct cv_config *cfg, int argc, char **argv);
static int cmd_config_doc(const struct cv_config *cfg, int argc, char **argv);

static const struct ctl_command commands[] = {
    {"migrate", ctl_migrate, "apply pending sql/ migrations (safe to run twice)"},
    {"kb-load", ctl_kb_load, "load the knowledge base from KB_DIR into PostgreSQL"},
    {"requeue", ctl_requeue, "requeue jobs: --failed, --stranded or JOB_ID..."},
    {"dev-broker", ctl_dev_broker,
     "run a development Kafka broker on loopback: --partitions N --port N --bootstrap-file PATH"},
    {"free-port", ctl_free_port, "print a free TCP port on 127.0.0.1"},
    {"wait-ready", ctl_wait_ready, "wait for the database and broker: --timeout-ms N"},
    {"check-config", cmd_check_config, "validate the configuration and print it, secrets masked"},
    {"config-doc", cmd_config_doc, "print the configuration table as Markdown"},
};

static void
usage(FILE *out)
{
    size_t i;

    fprintf(out, "usage: cvctl [--config FILE] COMMAND [ARGS...]\n\ncommands:\n");
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].help);
    }
}

/* Unlike the services, which only log a warning, fails on an unknown config file key. */
static int
cmd_check_config(const struct cv_config *cfg, int argc, char **argv)
{
    struct cv_buf errors;
    int           status = 0;

    (void)argc;
    (void)argv;
    cv_buf_init(&errors, 65536);
    if (cv_config_check_unknown(cfg, &errors) != CV_OK) {
        fprintf(stderr, "cvctl: invalid configuration:\n%s",
                errors.data != NULL ? errors.data : "");
        status = 1;
        goto out;
    }
    cv_config_print(cfg, stdout);
    fprintf(stderr, "cvctl: configuration is valid\n");
out:
    cv_buf_cleanup(&errors);
    return status;
}

static int
cmd_config_doc(const struct cv_config *cfg, int argc, char **argv)
{
    (void)cfg;
    (void)argc;
    (void)argv;
    cv_config_print_markdown(stdout);
    return 0;
}

int
main(int argc, char **argv)
{
    struct cv_config          cfg;
    struct cv_buf             errors;
    const struct ctl_command *cmd = NULL;
    const char               *config_file = NULL;
    enum cv_log_level         level = CV_LOG_INFO;
    int                       argi = 1;
    int                       status;
    size_t                    i;

    if (argi + 1 < argc && strcmp(argv[argi], "--config") == 0) {
        config_file = argv[argi + 1];
        argi += 2;
    }
    if (argi >= argc || strcmp(argv[argi], "-h") == 0 || strcmp(argv[argi], "--help") == 0) {
        usage(argi >= argc ? stderr : stdout);
        return argi >= argc ? 2 : 0;
    }
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[argi], commands[i].name) == 0) {
            cmd = &commands[i];
        }
    }
    if (cmd == NULL) {
        fprintf(stderr, "cvctl: unknown command \"%s\"\n", argv[argi]);
        usage(stderr);
        return 2;
    }

    cv_buf_init(&errors, 65536);
    if (cv_config_load_env(&cfg, config_file, &errors) != CV_OK) {
        fprintf(stderr, "cvctl: invalid configuration:\n%s", errors.data != NULL ? errors.data : "");
        cv_buf_cleanup(&errors);
        cv_config_cleanup(&cfg);
        return 1;
    }
    cv_buf_cleanup(&errors);
    (void)cv_log_parse_level(cfg.log_level, &level); /* validated by cv_config_load */
    cv_log_open("cvctl", level, 0);
    if (cmd->run != cmd_check_config) {
        cv_config_log_unknown(&cfg);
    }

    status = cmd->run(&cfg, argc - argi - 1, argv + argi + 1);
    cv_config_cleanup(&cfg);
    return status;
}
