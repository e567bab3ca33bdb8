/*
 * The configuration table and its loader. Adding a setting means one row here and one
 * field in struct cv_config; docs/config.md is generated from this table by
 * `cvctl config-doc`.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/envfile.h"
#include "common/log.h"

enum cfg_type {
    CFG_STR,
    CFG_INT
};

/* Flags of a table row. */
#define CFG_SECRET   0x1u   /* masked when printed; may come from NAME_FILE */
#define CFG_REQUIRED 0x2u   /* must not be empty */

struct cfg_row {
    const char    *name;
    enum cfg_type  type;
    const char    *def;      /* default as text */
    long           min;      /* CFG_INT only */
    long           max;      /* CFG_INT only */
    unsigned       flags;
    size_t         offset;   /* into struct cv_config */
    const char    *used_by;  /* which programs read it */
    const char    *help;
};

#define OFF(field) offsetof(struct cv_config, field)
#define STR(name, def, flags, field, used_by, help) \
    {name, CFG_STR, def, 0, 0, flags, OFF(field), used_by, help}
#define INT(name, def, min, max, field, used_by, help) \
    {name, CFG_INT, def, min, max, 0, OFF(field), used_by, help}
#define LLM_SLOT(n)                                                                      \
    STR("LLM_" #n "_NAME", "", 0, llm[n - 1].name, "worker",                            \
        "label of provider " #n " in results and logs; defaults to its host name"),     \
    STR("LLM_" #n "_BASE_URL", "", 0, llm[n - 1].base_url, "worker",                    \
        "OpenAI-compatible base URL of provider " #n " (ending in /v1); empty = unused"), \
    STR("LLM_" #n "_API_KEY", "", CFG_SECRET, llm[n - 1].api_key, "worker",             \
        "bearer key of provider " #n "; also LLM_" #n "_API_KEY_FILE"),                  \
    STR("LLM_" #n "_MODEL", "", 0, llm[n - 1].model, "worker",                          \
        "model name sent to provider " #n),                                              \
    INT("LLM_" #n "_SEED", "-1", -1, LONG_MAX, llm[n - 1].seed, "worker",               \
        "sampling seed sent to provider " #n ", -1 = none"),                            \
    INT("LLM_" #n "_RATE_PER_S", "0", 0, 100000, llm[n - 1].rate_per_s, "worker",       \
        "requests per second to provider " #n " across all threads, 0 = unlimited"),     \
    INT("LLM_" #n "_JSON_MODE", "0", 0, 1, llm[n - 1].json_mode, "worker",              \
        "1 = ask provider " #n " for a JSON object (response_format json_object); "      \
        "only for providers that accept it")

static const struct cfg_row cfg_rows[] = {
    STR("LOG_LEVEL", "info", CFG_REQUIRED, log_level, "all", "debug, info, warn or error"),

    STR("DB_HOST", "127.0.0.1", CFG_REQUIRED, db_host, "all",
        "PostgreSQL host name, address, or Unix socket folder"),
    INT("DB_PORT", "5432", 1, 65535, db_port, "all", "PostgreSQL port"),
    STR("DB_NAME", "cv_evaluator", CFG_REQUIRED, db_name, "all", "database name"),
    STR("DB_USER", "cv_evaluator", CFG_REQUIRED, db_user, "all", "database role"),
    STR("DB_PASSWORD", "", CFG_SECRET, db_password, "all",
        "database password; also DB_PASSWORD_FILE"),
    STR("DB_SSLMODE", "prefer", CFG_REQUIRED, db_sslmode, "all", "libpq sslmode"),
    INT("DB_CONNECT_TIMEOUT_S", "10", 1, 600, db_connect_timeout_s, "all",
        "seconds to wait for a database connection"),
    INT("DB_STATEMENT_TIMEOUT_MS", "10000", 100, 3600000, db_statement_timeout_ms, "all",
        "milliseconds before the server cancels one statement"),
    INT("DB_PREPARE", "1", 0, 1, db_prepare, "all",
        "1 prepares each statement once per connection; 0 behind a transaction-mode pooler"),

    STR("KAFKA_BROKERS", "127.0.0.1:9092", CFG_REQUIRED, kafka_brokers, "all",
        "bootstrap brokers, host:port separated by commas"),
    STR("KAFKA_TOPIC", "evaluate-jobs", CFG_REQUIRED, kafka_topic, "all",
        "topic that carries evaluation jobs"),
    STR("KAFKA_DLQ_TOPIC", "evaluate-jobs-dlq", CFG_REQUIRED, kafka_dlq_topic, "all",
        "dead-letter topic for messages that cannot be processed"),
    STR("KAFKA_GROUP_ID", "cv-workers", CFG_REQUIRED, kafka_group_id, "worker",
        "consumer group of the workers"),
    STR("KAFKA_SECURITY_PROTOCOL", "plaintext", CFG_REQUIRED, kafka_security_protocol, "all",
        "plaintext, ssl, sasl_plaintext or sasl_ssl"),
    STR("KAFKA_SASL_MECHANISM", "", 0, kafka_sasl_mechanism, "all",
        "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; empty = no SASL"),
    STR("KAFKA_SASL_USERNAME", "", 0, kafka_sasl_username, "all", "SASL user name"),
    STR("KAFKA_SASL_PASSWORD", "", CFG_SECRET, kafka_sasl_password, "all",
        "SASL password; also KAFKA_SASL_PASSWORD_FILE"),
    INT("KAFKA_ENQUEUE_TIMEOUT_MS", "2000", 10, 60000, kafka_enqueue_timeout_ms, "api",
        "milliseconds the API waits for the broker to confirm a job message"),
    INT("KAFKA_SESSION_TIMEOUT_MS", "10000", 1000, 300000, kafka_session_timeout_ms, "worker",
        "consumer group session timeout in milliseconds"),

    INT("UPLOAD_MAX_BYTES", "10485760", 1024, 1073741824, upload_max_bytes, "api",
        "largest accepted file, in bytes, per multipart field"),
    INT("EVALUATE_MAX_BODY_BYTES", "1048576", 1024, 67108864, evaluate_max_body_bytes, "api",
        "largest accepted /v1/evaluate body in bytes"),
    INT("EXTRACT_MAX_PAGES", "100", 1, 100000, extract_max_pages, "api",
        "most PDF pages read from one document"),
    INT("EXTRACT_TIMEOUT_MS", "15000", 100, 600000, extract_timeout_ms, "api",
        "milliseconds one document's text extraction may take"),
    INT("EXTRACT_MAX_TEXT_BYTES", "2097152", 1024, 268435456, extract_max_text_bytes, "api",
        "most bytes of text kept from one document"),
    INT("DOCX_MAX_ENTRIES", "2000", 1, 1000000, docx_max_entries, "api",
        "most entries a DOCX zip archive may list"),
    INT("DOCX_MAX_UNCOMPRESSED_BYTES", "104857600", 1024, 4294967296, docx_max_uncompressed_bytes,
        "api", "most bytes a DOCX part may inflate to"),
    STR("METRICS_PATH", "/tmp/cv-evaluator-metrics", CFG_REQUIRED, metrics_path, "api",
        "file mapped by all responders of a host to sum their /metrics"),

    INT("CONSUMER_MAX_CONCURRENCY", "24", 1, 1024, consumer_max_concurrency, "worker",
        "evaluation threads per worker process"),
    INT("CONSUMER_PREFETCH", "-1", -1, 4096, consumer_prefetch, "worker",
        "job messages held in memory while every thread is busy, about 200 bytes each; "
        "the consumer pauses its partitions when this many wait; "
        "-1 = 4 x CONSUMER_MAX_CONCURRENCY, 0 = none"),
    INT("JOB_MAX_ATTEMPTS", "3", 1, 100, job_max_attempts, "worker",
        "runs of one job before it fails with attempts_exhausted"),
    INT("JOB_DEADLINE_MS", "300000", 1000, 86400000, job_deadline_ms, "worker",
        "milliseconds one run of a job may take"),
    INT("JOB_HEARTBEAT_INTERVAL_MS", "5000", 100, 600000, job_heartbeat_interval_ms, "worker",
        "milliseconds between heartbeats of a running job"),
    INT("JOB_STALE_AFTER_MS", "30000", 500, 3600000, job_stale_after_ms, "worker",
        "milliseconds without a heartbeat before a running job is presumed lost"),
    INT("JOB_REQUEUE_AFTER_MS", "15000", 100, 3600000, job_requeue_after_ms, "worker",
        "milliseconds a job may stay queued before a worker runs it from the database"),
    INT("JOB_SWEEP_INTERVAL_MS", "5000", 100, 3600000, job_sweep_interval_ms, "worker",
        "milliseconds between scans for lost and stranded jobs"),
    INT("WORKER_DRAIN_TIMEOUT_MS", "30000", 0, 3600000, worker_drain_timeout_ms, "worker",
        "milliseconds SIGTERM waits for running jobs before releasing them"),
    STR("WORKER_HTTP_ADDR", "127.0.0.1", CFG_REQUIRED, worker_http_addr, "worker",
        "listen address of the worker's /healthz, /readyz and /metrics"),
    INT("WORKER_HTTP_PORT", "8090", 0, 65535, worker_http_port, "worker",
        "listen port of the worker's HTTP endpoint, 0 = disabled"),
    STR("WORKER_ID", "", 0, worker_id, "worker",
        "name of this worker in job rows and logs; empty = host name and pid"),
    STR("EVALUATOR", "auto", CFG_REQUIRED, evaluator, "worker",
        "auto (llm when LLM_1_BASE_URL is set, else builtin), builtin or llm"),

    LLM_SLOT(1),
    LLM_SLOT(2),
    LLM_SLOT(3),
    LLM_SLOT(4),
    INT("LLM_TEMPERATURE_MILLI", "100", 0, 2000, llm_temperature_milli, "worker",
        "sampling temperature x 1000 (100 = 0.1)"),
    INT("LLM_MAX_TOKENS", "1200", 16, 200000, llm_max_tokens, "worker",
        "most tokens one completion may produce"),
    INT("LLM_CONNECT_TIMEOUT_MS", "5000", 100, 600000, llm_connect_timeout_ms, "worker",
        "milliseconds to connect to a provider"),
    INT("LLM_TIMEOUT_MS", "60000", 100, 3600000, llm_timeout_ms, "worker",
        "milliseconds one provider call may take in all"),
    INT("LLM_MAX_RETRIES", "3", 0, 20, llm_max_retries, "worker",
        "retries of one call after a timeout, 429 or 5xx"),
    INT("LLM_BACKOFF_BASE_MS", "500", 1, 600000, llm_backoff_base_ms, "worker",
        "first retry's backoff ceiling in milliseconds, doubled per retry"),
    INT("LLM_BACKOFF_MAX_MS", "20000", 1, 3600000, llm_backoff_max_ms, "worker",
        "largest backoff in milliseconds"),
    INT("LLM_BREAKER_FAILURES", "5", 1, 1000, llm_breaker_failures, "worker",
        "consecutive failures that open a provider's circuit"),
    INT("LLM_BREAKER_COOLDOWN_MS", "30000", 100, 3600000, llm_breaker_cooldown_ms, "worker",
        "milliseconds an open circuit waits before a trial call"),
    INT("LLM_MAX_REPLY_BYTES", "1048576", 1024, 67108864, llm_max_reply_bytes, "worker",
        "largest provider reply accepted, in bytes"),
    STR("EMBEDDINGS_BASE_URL", "", 0, embeddings_base_url, "all",
        "OpenAI-compatible embeddings base URL; empty = full-text retrieval"),
    STR("EMBEDDINGS_API_KEY", "", CFG_SECRET, embeddings_api_key, "all",
        "bearer key of the embeddings endpoint; also EMBEDDINGS_API_KEY_FILE"),
    STR("EMBEDDINGS_MODEL", "", 0, embeddings_model, "all", "embeddings model name"),
    INT("RETRIEVAL_TOP_K", "6", 1, 100, retrieval_top_k, "worker",
        "passages retrieved per evaluation step"),
    STR("PROMPTS_DIR", "prompts", CFG_REQUIRED, prompts_dir, "worker",
        "folder of the versioned prompt files"),
    STR("KB_DIR", "kb", CFG_REQUIRED, kb_dir, "cvctl",
        "folder of the knowledge-base files loaded by cvctl kb-load"),
};

#define CFG_ROW_COUNT (sizeof(cfg_rows) / sizeof(cfg_rows[0]))

static char **
str_field(struct cv_config *cfg, const struct cfg_row *row)
{
    return (char **)((char *)cfg + row->offset);
}

static long *
int_field(struct cv_config *cfg, const struct cfg_row *row)
{
    return (long *)((char *)cfg + row->offset);
}

/* Reads a secret from a file; one trailing newline is dropped. Caller frees. */
static char *
read_secret_file(const char *path, struct cv_buf *errors, const char *name)
{
    FILE          *fp;
    struct cv_buf  content;
    char           chunk[1024];
    size_t         n;

    cv_buf_init(&content, 65536);
    fp = fopen(path, "r");
    if (fp == NULL) {
        (void)cv_buf_printf(errors, "%s_FILE: could not open \"%s\": %s\n", name, path,
                            strerror(errno));
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        if (cv_buf_append(&content, chunk, n) != CV_OK) {
            (void)cv_buf_printf(errors, "%s_FILE: \"%s\" is larger than 64 KiB\n", name, path);
            fclose(fp);
            cv_buf_cleanup(&content);
            return NULL;
        }
    }
    fclose(fp);
    while (content.len > 0 &&
           (content.data[content.len - 1] == '\n' || content.data[content.len - 1] == '\r')) {
        content.data[--content.len] = '\0';
    }
    return cv_buf_take(&content);
}

static int
parse_long(const char *text, long *out)
{
    char *end;
    long  value;

    errno = 0;
    value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0') {
        return -1;
    }
    *out = value;
    return 0;
}

/* Applies one row; reports a bad value into errors. */
static enum cv_err
load_row(struct cv_config *cfg, const struct cfg_row *row, cv_config_lookup_fn lookup,
         void *ctx, const struct cv_envfile *file, struct cv_buf *errors)
{
    char        file_name[128];
    const char *text;
    const char *secret_path;
    char       *owned = NULL;
    long        value;
    enum cv_err rc = CV_OK;

    text = lookup(row->name, ctx);
    if (text == NULL) {
        text = cv_envfile_get(file, row->name);
    }
    if (text == NULL && (row->flags & CFG_SECRET) != 0) {
        (void)snprintf(file_name, sizeof(file_name), "%s_FILE", row->name);
        secret_path = lookup(file_name, ctx);
        if (secret_path == NULL) {
            secret_path = cv_envfile_get(file, file_name);
        }
        if (secret_path != NULL) {
            owned = read_secret_file(secret_path, errors, row->name);
            if (owned == NULL) {
                return CV_EINVAL;
            }
            text = owned;
        }
    }
    if (text == NULL) {
        text = row->def;
    }

    if (row->type == CFG_STR) {
        if ((row->flags & CFG_REQUIRED) != 0 && text[0] == '\0') {
            (void)cv_buf_printf(errors, "%s: missing value: set it to a non-empty string\n",
                                row->name);
            rc = CV_EINVAL;
            goto out;
        }
        *str_field(cfg, row) = owned != NULL ? owned : strdup(text);
        /* ownership of owned moved into cfg */
        owned = NULL;
        if (*str_field(cfg, row) == NULL) {
            rc = CV_ENOMEM;
        }
        goto out;
    }

    if (parse_long(text, &value) != 0 || value < row->min || value > row->max) {
        (void)cv_buf_printf(errors,
                            "%s: invalid value \"%s\": expected an integer in %ld..%ld\n",
                            row->name, (row->flags & CFG_SECRET) != 0 ? "***" : text,
                            row->min, row->max);
        rc = CV_EINVAL;
        goto out;
    }
    *int_field(cfg, row) = value;
out:
    free(owned);
    return rc;
}

/* Names of settings are short, so a longer key gets no suggestion. */
#define KEY_SUGGEST_MAX_LEN 64

/* Whether a row reads name, as NAME or, for a secret, as NAME_FILE. */
static int
is_known_key(const char *name)
{
    const struct cfg_row *row;
    size_t                row_len;
    size_t                i;

    for (i = 0; i < CFG_ROW_COUNT; i++) {
        row = &cfg_rows[i];
        if (strcmp(name, row->name) == 0) {
            return 1;
        }
        row_len = strlen(row->name);
        if ((row->flags & CFG_SECRET) != 0 && strncmp(name, row->name, row_len) == 0 &&
            strcmp(name + row_len, "_FILE") == 0) {
            return 1;
        }
    }
    return 0;
}

/* Returns the Levenshtein distance of a and b, ignoring case, or SIZE_MAX if too long. */
static size_t
edit_distance(const char *a, const char *b)
{
    size_t prev[KEY_SUGGEST_MAX_LEN + 1];
    size_t cur[KEY_SUGGEST_MAX_LEN + 1];
    size_t a_len = strlen(a);
    size_t b_len = strlen(b);
    size_t cost;
    size_t best;
    size_t i;
    size_t j;

    if (a_len > KEY_SUGGEST_MAX_LEN || b_len > KEY_SUGGEST_MAX_LEN) {
        return SIZE_MAX;
    }
    for (j = 0; j <= b_len; j++) {
        prev[j] = j;
    }
    for (i = 1; i <= a_len; i++) {
        cur[0] = i;
        for (j = 1; j <= b_len; j++) {
            cost = toupper((unsigned char)a[i - 1]) == toupper((unsigned char)b[j - 1]) ? 0 : 1;
            best = prev[j - 1] + cost;
            if (prev[j] + 1 < best) {
                best = prev[j] + 1;
            }
            if (cur[j - 1] + 1 < best) {
                best = cur[j - 1] + 1;
            }
            cur[j] = best;
        }
        memcpy(prev, cur, (b_len + 1) * sizeof(prev[0]));
    }
    return prev[b_len];
}

/* Returns the setting name closest to name within two edits, or NULL. */
static const char *
suggest_key(const char *name)
{
    const char *best = NULL;
    size_t      best_distance = 3;
    size_t      distance;
    size_t      i;

    for (i = 0; i < CFG_ROW_COUNT; i++) {
        distance = edit_distance(name, cfg_rows[i].name);
        if (distance < best_distance) {
            best = cfg_rows[i].name;
            best_distance = distance;
        }
    }
    return best;
}

/* Copies the keys of file that no row reads into cfg->unknown_keys. */
static enum cv_err
collect_unknown_keys(struct cv_config *cfg, const char *path, const struct cv_envfile *file)
{
    struct cv_config_unknown_key *key;
    size_t                        i;

    cfg->file_path = strdup(path);
    if (cfg->file_path == NULL) {
        return CV_ENOMEM;
    }
    for (i = 0; i < file->count; i++) {
        if (is_known_key(file->vars[i].name)) {
            continue;
        }
        if (cfg->unknown_keys == NULL) {
            cfg->unknown_keys = calloc(file->count, sizeof(*cfg->unknown_keys));
            if (cfg->unknown_keys == NULL) {
                return CV_ENOMEM;
            }
        }
        key = &cfg->unknown_keys[cfg->unknown_key_count];
        key->name = strdup(file->vars[i].name);
        if (key->name == NULL) {
            return CV_ENOMEM;
        }
        key->line = file->vars[i].line;
        key->suggestion = suggest_key(key->name);
        cfg->unknown_key_count++;
    }
    return CV_OK;
}

enum cv_err
cv_config_load(struct cv_config *cfg, cv_config_lookup_fn lookup, void *ctx,
               const char *env_file, struct cv_buf *errors)
{
    struct cv_envfile  file;
    enum cv_log_level  level;
    enum cv_err        rc = CV_OK;
    enum cv_err        step_rc;
    size_t             i;

    memset(cfg, 0, sizeof(*cfg));
    memset(&file, 0, sizeof(file));

    if (env_file != NULL && env_file[0] != '\0') {
        rc = cv_envfile_read(&file, env_file, errors);
        if (rc == CV_ENOMEM) {
            goto out;
        }
        step_rc = collect_unknown_keys(cfg, env_file, &file);
        if (step_rc != CV_OK) {
            rc = step_rc;
            goto out;
        }
    }

    for (i = 0; i < CFG_ROW_COUNT; i++) {
        step_rc = load_row(cfg, &cfg_rows[i], lookup, ctx, &file, errors);
        if (step_rc == CV_ENOMEM) {
            rc = CV_ENOMEM;
            goto out;
        }
        if (step_rc != CV_OK) {
            rc = CV_EINVAL;
        }
    }

    if (cfg->log_level != NULL && cv_log_parse_level(cfg->log_level, &level) != CV_OK) {
        (void)cv_buf_printf(errors,
                            "LOG_LEVEL: invalid value \"%s\": expected debug, info, warn or "
                            "error\n",
                            cfg->log_level);
        rc = CV_EINVAL;
    }
    for (i = 0; i < CV_LLM_PROVIDERS_MAX; i++) {
        if (cfg->llm[i].base_url != NULL && cfg->llm[i].base_url[0] != '\0' &&
            (cfg->llm[i].model == NULL || cfg->llm[i].model[0] == '\0')) {
            (void)cv_buf_printf(errors, "LLM_%zu_MODEL: missing value: provider %zu has a "
                                        "base URL but no model\n",
                                i + 1, i + 1);
            rc = CV_EINVAL;
        }
    }
out:
    cv_envfile_cleanup(&file);
    return rc;
}

/*
 * Returns 1 when an unknown key may be shown in messages and logs: it is close to a
 * setting, or written like one (upper-case letters, digits and _). Other keys may be
 * part of a wrapped secret whose padding contains the "=", so only their length is shown.
 */
static int
key_is_showable(const struct cv_config_unknown_key *key)
{
    const char *p;

    if (key->suggestion != NULL) {
        return 1;
    }
    for (p = key->name; *p != '\0'; p++) {
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_')) {
            return 0;
        }
    }
    return p - key->name <= 64;
}

enum cv_err
cv_config_check_unknown(const struct cv_config *cfg, struct cv_buf *errors)
{
    const struct cv_config_unknown_key *key;
    size_t                              i;

    for (i = 0; i < cfg->unknown_key_count; i++) {
        key = &cfg->unknown_keys[i];
        if (key->suggestion != NULL) {
            (void)cv_buf_printf(errors,
                                "%s:%zu: unknown key \"%.64s\", did you mean \"%s\"?\n",
                                cfg->file_path, key->line, key->name, key->suggestion);
        } else if (key_is_showable(key)) {
            (void)cv_buf_printf(errors,
                                "%s:%zu: unknown key \"%s\": no setting has this name "
                                "(docs/config.md lists them)\n",
                                cfg->file_path, key->line, key->name);
        } else {
            (void)cv_buf_printf(errors,
                                "%s:%zu: unknown key of %zu characters, not shown because "
                                "it is not written like a setting name\n",
                                cfg->file_path, key->line, strlen(key->name));
        }
    }
    return cfg->unknown_key_count > 0 ? CV_EINVAL : CV_OK;
}

void
cv_config_log_unknown(const struct cv_config *cfg)
{
    const struct cv_config_unknown_key *key;
    char                                path[512];
    char                                name[96];
    size_t                              i;

    for (i = 0; i < cfg->unknown_key_count; i++) {
        key = &cfg->unknown_keys[i];
        (void)cv_log_quote(path, sizeof(path), cfg->file_path);
        if (key_is_showable(key)) {
            (void)cv_log_quote(name, sizeof(name), key->name);
        } else {
            (void)snprintf(name, sizeof(name), "\"(%zu characters, not shown)\"",
                           strlen(key->name));
        }
        cv_log_warn(NULL, "config.unknown_key", CV_EINVAL,
                    "ignoring a config file key that names no setting",
                    "file=%s line=%zu key=%s suggestion=%s", path, key->line, name,
                    key->suggestion != NULL ? key->suggestion : "\"\"");
    }
}

static const char *
env_lookup(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

enum cv_err
cv_config_load_env(struct cv_config *cfg, const char *env_file, struct cv_buf *errors)
{
    if (env_file == NULL) {
        env_file = getenv("CV_CONFIG_FILE");
    }
    return cv_config_load(cfg, env_lookup, NULL, env_file, errors);
}

void
cv_config_cleanup(struct cv_config *cfg)
{
    size_t i;

    for (i = 0; i < CFG_ROW_COUNT; i++) {
        if (cfg_rows[i].type == CFG_STR) {
            free(*str_field(cfg, &cfg_rows[i]));
            *str_field(cfg, &cfg_rows[i]) = NULL;
        }
    }
    for (i = 0; i < cfg->unknown_key_count; i++) {
        free(cfg->unknown_keys[i].name);
    }
    free(cfg->unknown_keys);
    free(cfg->file_path);
    memset(cfg, 0, sizeof(*cfg));
}

void
cv_config_print(const struct cv_config *cfg, FILE *out)
{
    const struct cfg_row *row;
    const char           *field;
    const char           *text;
    size_t                i;

    for (i = 0; i < CFG_ROW_COUNT; i++) {
        row = &cfg_rows[i];
        field = (const char *)cfg + row->offset;
        if (row->type == CFG_INT) {
            fprintf(out, "%s=%ld\n", row->name, *(const long *)(const void *)field);
            continue;
        }
        text = *(char *const *)(const void *)field;
        if (text == NULL) {
            text = "";
        }
        if ((row->flags & CFG_SECRET) != 0 && text[0] != '\0') {
            text = "***";
        }
        fprintf(out, "%s=%s\n", row->name, text);
    }
}

void
cv_config_print_markdown(FILE *out)
{
    const struct cfg_row *row;
    size_t                i;

    fprintf(out, "# Configuration\n\n"
                 "Generated by `cvctl config-doc` from the table in `common/config.c`; "
                 "do not edit by hand.\n\n"
                 "Every setting is an environment variable. The programs also read the same "
                 "`KEY=value` lines from the file named by `--config FILE` or "
                 "`CV_CONFIG_FILE` (the format of systemd's `EnvironmentFile=`); the "
                 "environment wins over the file. A secret `NAME` may instead be read from "
                 "the file named by `NAME_FILE`. Blanks around keys and unquoted values in "
                 "the file are stripped. A key of the file that is neither listed here nor "
                 "a secret's `NAME_FILE` fails `cvctl check-config` and makes the services "
                 "log a warning, as the README's configuration section explains.\n\n"
                 "| variable | default | range | used by | meaning |\n"
                 "|---|---|---|---|---|\n");
    for (i = 0; i < CFG_ROW_COUNT; i++) {
        row = &cfg_rows[i];
        fprintf(out, "| `%s` | `%s` | ", row->name, row->def[0] != '\0' ? row->def : "\"\"");
        if (row->type == CFG_INT) {
            fprintf(out, "%ld..%ld", row->min, row->max);
        } else {
            fprintf(out, "%s", (row->flags & CFG_REQUIRED) != 0 ? "non-empty" : "text");
        }
        fprintf(out, " | %s | %s%s |\n", row->used_by, row->help,
                (row->flags & CFG_SECRET) != 0 ? " (secret)" : "");
    }
}

int
cv_config_llm_count(const struct cv_config *cfg)
{
    int count = 0;
    int i;

    for (i = 0; i < CV_LLM_PROVIDERS_MAX; i++) {
        if (cfg->llm[i].base_url != NULL && cfg->llm[i].base_url[0] != '\0') {
            count++;
        }
    }
    return count;
}
