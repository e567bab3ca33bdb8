/*
 * Service configuration: environment variables, optionally preceded by a KEY=value file
 * of the kind systemd's EnvironmentFile= reads. Every key lives in one table in
 * config.c with its type, default, range and whether it is a secret; a secret NAME may
 * also come from the file named by NAME_FILE. Nothing outside config.c calls getenv().
 */
#ifndef CV_CONFIG_H
#define CV_CONFIG_H

#include <stdio.h>

#include "common/buf.h"
#include "common/err.h"

/* The most LLM providers a fallback chain may hold. */
#define CV_LLM_PROVIDERS_MAX 4

struct cv_llm_provider_config {
    char *name;        /* owned, "" = slot unused */
    char *base_url;    /* owned, e.g. https://api.openai.com/v1 */
    char *api_key;     /* owned, secret, may be "" for local servers */
    char *model;       /* owned */
    long  seed;        /* -1 = do not send a seed */
    long  rate_per_s;  /* requests per second shared by all threads, 0 = unlimited */
    long  json_mode;   /* 1 = send response_format {"type": "json_object"} */
};

/* A key of the config file that names no setting, so the loader ignores its value. */
struct cv_config_unknown_key {
    char       *name;         /* owned */
    size_t      line;         /* 1-based line number in the config file */
    const char *suggestion;   /* static setting name one or two edits away, or NULL */
};

struct cv_config {
    /* logging */
    char *log_level;                  /* owned: debug, info, warn, error */

    /* PostgreSQL */
    char *db_host;                    /* owned; a path means a Unix socket folder */
    long  db_port;
    char *db_name;                    /* owned */
    char *db_user;                    /* owned */
    char *db_password;                /* owned, secret */
    char *db_sslmode;                 /* owned */
    long  db_connect_timeout_s;
    long  db_statement_timeout_ms;
    long  db_prepare;                 /* 1: server-side prepared statements */

    /* Kafka */
    char *kafka_brokers;              /* owned, host:port list */
    char *kafka_topic;                /* owned */
    char *kafka_dlq_topic;            /* owned */
    char *kafka_group_id;             /* owned */
    char *kafka_security_protocol;    /* owned: plaintext, ssl, sasl_plaintext, sasl_ssl */
    char *kafka_sasl_mechanism;       /* owned, "" = none */
    char *kafka_sasl_username;        /* owned */
    char *kafka_sasl_password;        /* owned, secret */
    long  kafka_enqueue_timeout_ms;
    long  kafka_session_timeout_ms;

    /* uploads and extraction (cv-api) */
    long  upload_max_bytes;           /* per file */
    long  evaluate_max_body_bytes;
    long  extract_max_pages;
    long  extract_timeout_ms;
    long  extract_max_text_bytes;
    long  docx_max_entries;
    long  docx_max_uncompressed_bytes;
    char *metrics_path;               /* owned, shared-memory file summed by /metrics */

    /* jobs (cv-worker) */
    long  consumer_max_concurrency;
    long  consumer_prefetch;          /* messages, -1 = 4 per thread */
    long  job_max_attempts;
    long  job_deadline_ms;
    long  job_heartbeat_interval_ms;
    long  job_stale_after_ms;         /* heartbeat older than this: worker presumed dead */
    long  job_requeue_after_ms;       /* queued this long without a claim: run from the DB */
    long  job_sweep_interval_ms;
    long  worker_drain_timeout_ms;
    char *worker_http_addr;           /* owned, listen address of /healthz and /metrics */
    long  worker_http_port;
    char *worker_id;                  /* owned, "" = host name and pid */
    char *evaluator;                  /* owned: auto, builtin or llm */

    /* LLM evaluation (cv-worker); no provider configured = built-in scorer */
    struct cv_llm_provider_config llm[CV_LLM_PROVIDERS_MAX];
    long  llm_temperature_milli;      /* temperature x 1000 */
    long  llm_max_tokens;
    long  llm_connect_timeout_ms;
    long  llm_timeout_ms;
    long  llm_max_retries;
    long  llm_backoff_base_ms;
    long  llm_backoff_max_ms;
    long  llm_breaker_failures;
    long  llm_breaker_cooldown_ms;
    long  llm_max_reply_bytes;
    char *embeddings_base_url;        /* owned, "" = full-text retrieval */
    char *embeddings_api_key;         /* owned, secret */
    char *embeddings_model;           /* owned */
    long  retrieval_top_k;
    char *prompts_dir;                /* owned */
    char *kb_dir;                     /* owned */

    /* the config file's unknown keys, in file order, for the two functions below */
    char                         *file_path;          /* owned, NULL = no file read */
    struct cv_config_unknown_key *unknown_keys;       /* owned array */
    size_t                        unknown_key_count;
};

/* Looks a variable up by name; returns NULL when unset. getenv() fits. */
typedef const char *(*cv_config_lookup_fn)(const char *name, void *ctx);

/*
 * Fills cfg from lookup, falling back to the KEY=value file env_file (NULL = none) and
 * then to the table's defaults. Every invalid value is reported as one line in errors
 * ("DB_PORT: invalid value \"x\": expected an integer in 1..65535") and the result is
 * CV_EINVAL; cfg must then still be released with cv_config_cleanup(). So is every bad
 * line of env_file ("cv.env:7: expected KEY=value"), whose syntax common/envfile.h gives.
 * A key of env_file that names no setting is not an error here: it is stored in
 * cfg->unknown_keys. Names that only lookup returns are never checked.
 */
enum cv_err cv_config_load(struct cv_config *cfg, cv_config_lookup_fn lookup, void *ctx,
                           const char *env_file, struct cv_buf *errors);

/* Loads from the process environment; env_file as above. */
enum cv_err cv_config_load_env(struct cv_config *cfg, const char *env_file,
                               struct cv_buf *errors);

/*
 * Adds one line per unknown key of the config file to errors, such as
 * "cv.env:3: unknown key \"DB_NAEM\", did you mean \"DB_NAME\"?", and returns
 * CV_EINVAL when there is any. For check commands, which treat such a key as an error.
 */
enum cv_err cv_config_check_unknown(const struct cv_config *cfg, struct cv_buf *errors);

/*
 * Logs one warning (event=config.unknown_key) per unknown key of the config file. For
 * the services, which start anyway. Call it after cv_log_open().
 */
void cv_config_log_unknown(const struct cv_config *cfg);

/* Frees every string in cfg and zeroes it. A zeroed cfg is a no-op. */
void cv_config_cleanup(struct cv_config *cfg);

/* Prints NAME=value lines of the effective configuration, secrets masked. */
void cv_config_print(const struct cv_config *cfg, FILE *out);

/* Prints the table as Markdown, for docs/config.md. */
void cv_config_print_markdown(FILE *out);

/* Returns the number of LLM providers configured (slots with a base URL). */
int cv_config_llm_count(const struct cv_config *cfg);

#endif
