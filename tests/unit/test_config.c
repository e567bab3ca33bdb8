/*
 * Unit tests for the config file reader (common/envfile.c) and the loader
 * (common/config.c): blanks around keys and values, quoting, comments, syntax errors,
 * over-long lines, unknown keys, and the precedence of environment, file and defaults.
 * Files live in a fresh folder under /tmp; the environment is a table, never getenv().
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/config.h"
#include "common/envfile.h"
#include "common/log.h"

#define FILES_MAX 8

struct fixture {
    char   dir[64];
    char   paths[FILES_MAX][128];
    size_t file_count;
};

/* A NULL-terminated table of NAME, value pairs standing in for the environment. */
struct fake_env {
    const char *const *pairs;
};

static int
setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    if (fx == NULL) {
        return -1;
    }
    (void)snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_config.XXXXXX");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;
    size_t          i;

    for (i = 0; i < fx->file_count; i++) {
        (void)unlink(fx->paths[i]);
    }
    (void)rmdir(fx->dir);
    free(fx);
    return 0;
}

/* Returns the path of name in the fixture's folder, registered for teardown. */
static char *
fixture_path(struct fixture *fx, const char *name)
{
    char   path[128];
    size_t i;

    (void)snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
    for (i = 0; i < fx->file_count; i++) {
        if (strcmp(fx->paths[i], path) == 0) {
            return fx->paths[i];
        }
    }
    assert_true(fx->file_count < FILES_MAX);
    memcpy(fx->paths[fx->file_count], path, sizeof(path));
    return fx->paths[fx->file_count++];
}

/* Writes len bytes of content to the file name of the fixture and returns its path. */
static const char *
write_file(struct fixture *fx, const char *name, const char *content, size_t len)
{
    char *path;
    FILE *fp;

    path = fixture_path(fx, name);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(content, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    return path;
}

static const char *
write_text(struct fixture *fx, const char *name, const char *content)
{
    return write_file(fx, name, content, strlen(content));
}

static const char *
fake_lookup(const char *name, void *ctx)
{
    const struct fake_env *env = ctx;
    size_t                 i;

    if (env == NULL) {
        return NULL;
    }
    for (i = 0; env->pairs[i] != NULL; i += 2) {
        if (strcmp(env->pairs[i], name) == 0) {
            return env->pairs[i + 1];
        }
    }
    return NULL;
}

/* Loads path with the environment pairs (NULL = empty). The caller cleans up errors. */
static enum cv_err
load(struct cv_config *cfg, const char *const *pairs, const char *path, struct cv_buf *errors)
{
    struct fake_env env;

    env.pairs = pairs;
    cv_buf_init(errors, 65536);
    return cv_config_load(cfg, fake_lookup, pairs != NULL ? &env : NULL, path, errors);
}

static const char *
text_of(const struct cv_buf *buf)
{
    return buf->data != NULL ? buf->data : "";
}

struct value_case {
    const char *line;
    const char *value;   /* of DB_NAME */
};

static void
test_envfile_blanks_and_quotes(void **state)
{
    static const struct value_case cases[] = {
        {"DB_NAME = spaced\n", "spaced"},
        {"DB_NAME=spaced   \n", "spaced"},
        {"  DB_NAME\t=\tspaced \t\n", "spaced"},
        {"DB_NAME=in ner\n", "in ner"},
        {"DB_NAME = \"  quoted  \"  \n", "  quoted  "},
        {"DB_NAME = '  single '\n", "  single "},
        {"DB_NAME=\"mismatched'\n", "\"mismatched'"},
        {"DB_NAME=\"\"\n", ""},
        {"DB_NAME=\n", ""},
        {"DB_NAME =   \n", ""},
        {"DB_NAME=a=b\n", "a=b"},
        {"DB_NAME=crlf\r\n", "crlf"},
        {"export DB_NAME=exported\n", "exported"},
        {"export\tDB_NAME = exported\n", "exported"},
        {"DB_NAME=no newline", "no newline"},
    };
    struct fixture    *fx = *state;
    struct cv_envfile  file;
    struct cv_buf      errors;
    const char        *path;
    size_t             i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        path = write_text(fx, "case.env", cases[i].line);
        cv_buf_init(&errors, 4096);
        print_message("case %zu: %s\n", i, cases[i].line);
        assert_int_equal(cv_envfile_read(&file, path, &errors), CV_OK);
        assert_string_equal(text_of(&errors), "");
        assert_int_equal(file.count, 1);
        assert_string_equal(file.vars[0].name, "DB_NAME");
        assert_string_equal(file.vars[0].value, cases[i].value);
        assert_int_equal(file.vars[0].line, 1);
        cv_envfile_cleanup(&file);
        cv_buf_cleanup(&errors);
    }
}

static void
test_envfile_comments_and_lines(void **state)
{
    struct fixture    *fx = *state;
    struct cv_envfile  file;
    struct cv_buf      errors;
    const char        *path;

    path = write_text(fx, "c.env",
                      "# comment\n"
                      "   ; another = comment\n"
                      "\n"
                      "   \t\n"
                      "DB_NAME=first\n"
                      "DB_USER=someone\n"
                      "DB_NAME=second\n");
    cv_buf_init(&errors, 4096);
    assert_int_equal(cv_envfile_read(&file, path, &errors), CV_OK);
    assert_int_equal(file.count, 3);
    assert_int_equal(file.vars[0].line, 5);
    assert_int_equal(file.vars[1].line, 6);
    assert_int_equal(file.vars[2].line, 7);
    /* The last assignment wins, as with systemd. */
    assert_string_equal(cv_envfile_get(&file, "DB_NAME"), "second");
    assert_string_equal(cv_envfile_get(&file, "DB_USER"), "someone");
    assert_null(cv_envfile_get(&file, "DB_HOST"));
    cv_envfile_cleanup(&file);
    cv_envfile_cleanup(&file);

    /* A byte order mark before the first key is skipped. */
    path = write_text(fx, "bom.env", "\xEF\xBB\xBF" "DB_NAME=marked\n");
    assert_int_equal(cv_envfile_read(&file, path, &errors), CV_OK);
    assert_string_equal(text_of(&errors), "");
    assert_string_equal(cv_envfile_get(&file, "DB_NAME"), "marked");
    cv_envfile_cleanup(&file);
    cv_buf_cleanup(&errors);
}

static void
test_envfile_syntax_errors(void **state)
{
    struct fixture    *fx = *state;
    struct cv_envfile  file;
    struct cv_buf      errors;
    const char        *path;
    char               expected[1024];

    path = write_text(fx, "bad.env",
                      "NOEQUALS\n"
                      "  = value\n"
                      "DB NAME=x\n"
                      "1DB=x\n"
                      "DB_NAME=kept\n");
    cv_buf_init(&errors, 4096);
    assert_int_equal(cv_envfile_read(&file, path, &errors), CV_EINVAL);
    (void)snprintf(expected, sizeof(expected),
                   "%s:1: expected KEY=value\n"
                   "%s:2: expected KEY=value\n"
                   "%s:3: invalid key: expected KEY=value with letters, digits "
                   "and _ in KEY, not starting with a digit\n"
                   "%s:4: invalid key: expected KEY=value with letters, digits "
                   "and _ in KEY, not starting with a digit\n",
                   path, path, path, path);
    assert_string_equal(text_of(&errors), expected);
    assert_int_equal(file.count, 1);
    assert_string_equal(cv_envfile_get(&file, "DB_NAME"), "kept");
    cv_envfile_cleanup(&file);
    cv_buf_cleanup(&errors);
}

/* Builds "DB_NAME=xxx...\n" of line_len bytes before the newline, then more lines. */
static char *
long_line_file(size_t line_len, const char *after, size_t *len)
{
    size_t  after_len = strlen(after);
    char   *content = malloc(line_len + 1 + after_len);

    assert_non_null(content);
    memcpy(content, "DB_NAME=", 8);
    memset(content + 8, 'x', line_len - 8);
    content[line_len] = '\n';
    memcpy(content + line_len + 1, after, after_len);
    *len = line_len + 1 + after_len;
    return content;
}

static void
test_envfile_line_at_max(void **state)
{
    struct fixture    *fx = *state;
    struct cv_envfile  file;
    struct cv_buf      errors;
    const char        *path;
    char              *content;
    size_t             len;

    content = long_line_file(CV_ENVFILE_LINE_MAX, "DB_USER=after\n", &len);
    path = write_file(fx, "max.env", content, len);
    cv_buf_init(&errors, 4096);
    assert_int_equal(cv_envfile_read(&file, path, &errors), CV_OK);
    assert_string_equal(text_of(&errors), "");
    assert_int_equal(file.count, 2);
    assert_int_equal(strlen(cv_envfile_get(&file, "DB_NAME")), CV_ENVFILE_LINE_MAX - 8);
    assert_string_equal(cv_envfile_get(&file, "DB_USER"), "after");
    assert_int_equal(file.vars[1].line, 2);
    cv_envfile_cleanup(&file);
    cv_buf_cleanup(&errors);
    free(content);
}

static void
test_envfile_line_too_long(void **state)
{
    struct fixture    *fx = *state;
    struct cv_envfile  file;
    struct cv_buf      errors;
    const char        *path;
    char              *content;
    char               expected[256];
    size_t             len;

    /*
     * An 8192-byte fgets() buffer once cut this line after 8191 bytes, and the rest,
     * starting "DB_HOST=tail", was read as a line of its own.
     */
    content = long_line_file(CV_ENVFILE_LINE_MAX + 1, "DB_USER=after\n", &len);
    memcpy(content + 8191, "DB_HOST=tail", 12);
    path = write_file(fx, "long.env", content, len);
    cv_buf_init(&errors, 4096);
    assert_int_equal(cv_envfile_read(&file, path, &errors), CV_EINVAL);
    (void)snprintf(expected, sizeof(expected), "%s:1: line is longer than 65536 bytes\n", path);
    assert_string_equal(text_of(&errors), expected);
    assert_int_equal(file.count, 1);
    assert_null(cv_envfile_get(&file, "DB_NAME"));
    assert_null(cv_envfile_get(&file, "DB_HOST"));
    assert_string_equal(cv_envfile_get(&file, "DB_USER"), "after");
    assert_int_equal(file.vars[0].line, 2);
    cv_envfile_cleanup(&file);
    cv_buf_cleanup(&errors);
    free(content);
}

static void
test_envfile_nul_byte(void **state)
{
    static const char  content[] = "DB_NAME=a\0b\nDB_USER=after\n";
    struct fixture    *fx = *state;
    struct cv_envfile  file;
    struct cv_buf      errors;
    const char        *path;
    char               expected[256];

    path = write_file(fx, "nul.env", content, sizeof(content) - 1);
    cv_buf_init(&errors, 4096);
    assert_int_equal(cv_envfile_read(&file, path, &errors), CV_EINVAL);
    (void)snprintf(expected, sizeof(expected), "%s:1: line contains a NUL byte\n", path);
    assert_string_equal(text_of(&errors), expected);
    assert_int_equal(file.count, 1);
    assert_string_equal(cv_envfile_get(&file, "DB_USER"), "after");
    cv_envfile_cleanup(&file);
    cv_buf_cleanup(&errors);
}

static void
test_envfile_too_many_assignments(void **state)
{
    struct fixture    *fx = *state;
    struct cv_envfile  file;
    struct cv_buf      content;
    struct cv_buf      errors;
    const char        *path;
    char               expected[256];
    size_t             i;

    cv_buf_init(&content, 1 << 20);
    for (i = 0; i <= CV_ENVFILE_VARS_MAX; i++) {
        assert_int_equal(cv_buf_printf(&content, "KEY_%zu=%zu\n", i, i), CV_OK);
    }
    path = write_file(fx, "many.env", content.data, content.len);
    cv_buf_init(&errors, 4096);
    assert_int_equal(cv_envfile_read(&file, path, &errors), CV_EINVAL);
    (void)snprintf(expected, sizeof(expected), "%s:%d: more than %d assignments in one file\n",
                   path, CV_ENVFILE_VARS_MAX + 1, CV_ENVFILE_VARS_MAX);
    assert_string_equal(text_of(&errors), expected);
    assert_int_equal(file.count, CV_ENVFILE_VARS_MAX);
    cv_envfile_cleanup(&file);
    cv_buf_cleanup(&errors);
    cv_buf_cleanup(&content);
}

static void
test_envfile_missing_file(void **state)
{
    struct fixture    *fx = *state;
    struct cv_envfile  file;
    struct cv_buf      errors;
    char               path[160];
    char               expected[256];

    (void)snprintf(path, sizeof(path), "%s/absent.env", fx->dir);
    cv_buf_init(&errors, 4096);
    assert_int_equal(cv_envfile_read(&file, path, &errors), CV_EINVAL);
    (void)snprintf(expected, sizeof(expected),
                   "could not open config file \"%s\": No such file or directory\n", path);
    assert_string_equal(text_of(&errors), expected);
    assert_int_equal(file.count, 0);
    cv_envfile_cleanup(&file);
    cv_buf_cleanup(&errors);
}

static void
test_config_defaults_without_file(void **state)
{
    struct cv_config cfg;
    struct cv_buf    errors;

    (void)state;
    assert_int_equal(load(&cfg, NULL, NULL, &errors), CV_OK);
    assert_string_equal(cfg.db_name, "cv_evaluator");
    assert_int_equal(cfg.db_port, 5432);
    assert_string_equal(cfg.log_level, "info");
    assert_null(cfg.file_path);
    assert_int_equal(cfg.unknown_key_count, 0);
    cv_config_cleanup(&cfg);
    cv_buf_cleanup(&errors);

    /* An empty file name means no file, as an empty CV_CONFIG_FILE does. */
    assert_int_equal(load(&cfg, NULL, "", &errors), CV_OK);
    assert_null(cfg.file_path);
    cv_config_cleanup(&cfg);
    cv_buf_cleanup(&errors);
}

static void
test_config_file_spaced_key(void **state)
{
    struct fixture   *fx = *state;
    struct cv_config  cfg;
    struct cv_buf     errors;
    const char       *path;

    path = write_text(fx, "spaced.env",
                      "DB_NAME = spaced\n"
                      "DB_PORT = 6543 \n"
                      "KB_DIR = \"/srv/kb dir\"\n");
    assert_int_equal(load(&cfg, NULL, path, &errors), CV_OK);
    assert_string_equal(text_of(&errors), "");
    assert_string_equal(cfg.db_name, "spaced");
    assert_int_equal(cfg.db_port, 6543);
    assert_string_equal(cfg.kb_dir, "/srv/kb dir");
    assert_int_equal(cfg.unknown_key_count, 0);
    assert_int_equal(cv_config_check_unknown(&cfg, &errors), CV_OK);
    assert_string_equal(text_of(&errors), "");
    cv_config_cleanup(&cfg);
    cv_buf_cleanup(&errors);
}

static void
test_config_environment_wins(void **state)
{
    static const char *const env[] = {"DB_NAME", "from_env", NULL};
    struct fixture          *fx = *state;
    struct cv_config         cfg;
    struct cv_buf            errors;
    const char              *path;

    path = write_text(fx, "both.env", "DB_NAME=from_file\nDB_USER=file_user\n");
    assert_int_equal(load(&cfg, env, path, &errors), CV_OK);
    assert_string_equal(cfg.db_name, "from_env");
    assert_string_equal(cfg.db_user, "file_user");
    cv_config_cleanup(&cfg);
    cv_buf_cleanup(&errors);
}

static void
test_config_secret_file(void **state)
{
    struct fixture   *fx = *state;
    struct cv_config  cfg;
    struct cv_buf     errors;
    const char       *secret;
    const char       *path;
    char              content[256];

    secret = write_text(fx, "password", "s3cret\n");
    (void)snprintf(content, sizeof(content), "DB_PASSWORD_FILE = %s\n", secret);
    path = write_text(fx, "secret.env", content);
    assert_int_equal(load(&cfg, NULL, path, &errors), CV_OK);
    assert_string_equal(cfg.db_password, "s3cret");
    /* NAME_FILE of a secret is a known key. */
    assert_int_equal(cfg.unknown_key_count, 0);
    cv_config_cleanup(&cfg);
    cv_buf_cleanup(&errors);
}

static void
test_config_invalid_values(void **state)
{
    struct fixture   *fx = *state;
    struct cv_config  cfg;
    struct cv_buf     errors;
    const char       *path;

    path = write_text(fx, "invalid.env", "DB_PORT = 70000\nDB_NAME = \"\"\n");
    assert_int_equal(load(&cfg, NULL, path, &errors), CV_EINVAL);
    assert_string_equal(text_of(&errors),
                        "DB_PORT: invalid value \"70000\": expected an integer in 1..65535\n"
                        "DB_NAME: missing value: set it to a non-empty string\n");
    cv_config_cleanup(&cfg);
    cv_buf_cleanup(&errors);
}

static void
test_config_file_syntax_error(void **state)
{
    struct fixture   *fx = *state;
    struct cv_config  cfg;
    struct cv_buf     errors;
    const char       *path;
    char              expected[256];

    path = write_text(fx, "syntax.env", "DB_NAME=ok\nnot an assignment\n");
    assert_int_equal(load(&cfg, NULL, path, &errors), CV_EINVAL);
    (void)snprintf(expected, sizeof(expected), "%s:2: expected KEY=value\n", path);
    assert_string_equal(text_of(&errors), expected);
    assert_string_equal(cfg.db_name, "ok");
    cv_config_cleanup(&cfg);
    cv_buf_cleanup(&errors);
}

static void
test_config_unknown_keys(void **state)
{
    struct fixture   *fx = *state;
    struct cv_config  cfg;
    struct cv_buf     errors;
    const char       *path;
    char              expected[1024];

    path = write_text(fx, "unknown.env",
                      "DB_NAME=real\n"
                      "DB_NAEM=typo\n"
                      "# comment\n"
                      "db_port=5433\n"
                      "SOMETHING_ELSE=1\n"
                      "DB_HOST_FILE=/x\n"
                      "c2VjcmV0dG9rZW5oZXJl=\n");
    assert_int_equal(load(&cfg, NULL, path, &errors), CV_OK);
    assert_string_equal(text_of(&errors), "");
    assert_string_equal(cfg.db_name, "real");
    assert_int_equal(cfg.db_port, 5432);
    assert_string_equal(cfg.file_path, path);

    assert_int_equal(cfg.unknown_key_count, 5);
    assert_string_equal(cfg.unknown_keys[0].name, "DB_NAEM");
    assert_int_equal(cfg.unknown_keys[0].line, 2);
    assert_string_equal(cfg.unknown_keys[0].suggestion, "DB_NAME");
    assert_string_equal(cfg.unknown_keys[1].name, "db_port");
    assert_int_equal(cfg.unknown_keys[1].line, 4);
    assert_string_equal(cfg.unknown_keys[1].suggestion, "DB_PORT");
    assert_string_equal(cfg.unknown_keys[2].name, "SOMETHING_ELSE");
    assert_int_equal(cfg.unknown_keys[2].line, 5);
    assert_null(cfg.unknown_keys[2].suggestion);
    /* DB_HOST is no secret, so DB_HOST_FILE is no setting. */
    assert_string_equal(cfg.unknown_keys[3].name, "DB_HOST_FILE");
    assert_int_equal(cfg.unknown_keys[3].line, 6);
    assert_null(cfg.unknown_keys[3].suggestion);

    assert_int_equal(cv_config_check_unknown(&cfg, &errors), CV_EINVAL);
    (void)snprintf(expected, sizeof(expected),
                   "%s:2: unknown key \"DB_NAEM\", did you mean \"DB_NAME\"?\n"
                   "%s:4: unknown key \"db_port\", did you mean \"DB_PORT\"?\n"
                   "%s:5: unknown key \"SOMETHING_ELSE\": no setting has this name "
                   "(docs/config.md lists them)\n"
                   "%s:6: unknown key \"DB_HOST_FILE\": no setting has this name "
                   "(docs/config.md lists them)\n"
                   "%s:7: unknown key of 20 characters, not shown because it is not "
                   "written like a setting name\n",
                   path, path, path, path, path);
    assert_string_equal(text_of(&errors), expected);
    cv_config_cleanup(&cfg);
    cv_buf_cleanup(&errors);
}

static void
test_config_environment_not_checked(void **state)
{
    static const char *const env[] = {"DB_NAEM", "typo", "PATH", "/usr/bin", NULL};
    struct cv_config         cfg;
    struct cv_buf            errors;

    (void)state;
    assert_int_equal(load(&cfg, env, NULL, &errors), CV_OK);
    assert_int_equal(cfg.unknown_key_count, 0);
    assert_int_equal(cv_config_check_unknown(&cfg, &errors), CV_OK);
    cv_config_cleanup(&cfg);
    cv_buf_cleanup(&errors);
}

/* Runs cv_config_log_unknown() with stderr sent to a file, and returns what it wrote. */
static char *
capture_log(struct fixture *fx, const struct cv_config *cfg)
{
    char   *path;
    char   *text;
    FILE   *fp;
    long    size;
    int     saved_fd;
    int     fd;

    path = fixture_path(fx, "stderr.log");
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    saved_fd = dup(STDERR_FILENO);
    assert_true(saved_fd >= 0);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    cv_config_log_unknown(cfg);
    assert_true(dup2(saved_fd, STDERR_FILENO) >= 0);
    assert_int_equal(close(saved_fd), 0);
    assert_int_equal(close(fd), 0);

    fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    size = ftell(fp);
    assert_true(size >= 0);
    rewind(fp);
    text = calloc(1, (size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, fp), (size_t)size);
    assert_int_equal(fclose(fp), 0);
    return text;
}

static size_t
count_lines(const char *text)
{
    size_t count = 0;

    for (; *text != '\0'; text++) {
        count += *text == '\n';
    }
    return count;
}

static void
test_config_log_unknown_keys(void **state)
{
    struct fixture   *fx = *state;
    struct cv_config  cfg;
    struct cv_buf     errors;
    const char       *path;
    char             *text;
    char              expected[256];

    path = write_text(fx, "log.env",
                      "DB_NAEM=typo\nSOMETHING_ELSE=1\nDB_NAME=real\nc2VjcmV0dG9rZW4=\n");
    assert_int_equal(load(&cfg, NULL, path, &errors), CV_OK);
    cv_log_open("test_config", CV_LOG_INFO, 0);
    text = capture_log(fx, &cfg);

    assert_int_equal(count_lines(text), 3);
    assert_null(strstr(text, "c2VjcmV0dG9rZW4"));
    (void)snprintf(expected, sizeof(expected),
                   "file=\"%s\" line=4 key=\"(15 characters, not shown)\" suggestion=\"\" ",
                   path);
    assert_non_null(strstr(text, expected));
    assert_non_null(strstr(text, "level=warn prog=test_config"));
    assert_non_null(strstr(text, "event=config.unknown_key"));
    (void)snprintf(expected, sizeof(expected),
                   "file=\"%s\" line=1 key=\"DB_NAEM\" suggestion=DB_NAME ", path);
    assert_non_null(strstr(text, expected));
    (void)snprintf(expected, sizeof(expected),
                   "file=\"%s\" line=2 key=\"SOMETHING_ELSE\" suggestion=\"\" ", path);
    assert_non_null(strstr(text, expected));
    free(text);
    cv_config_cleanup(&cfg);
    cv_buf_cleanup(&errors);
}

static void
test_config_log_nothing_when_known(void **state)
{
    struct fixture   *fx = *state;
    struct cv_config  cfg;
    struct cv_buf     errors;
    const char       *path;
    char             *text;

    path = write_text(fx, "known.env", "DB_NAME=real\n");
    assert_int_equal(load(&cfg, NULL, path, &errors), CV_OK);
    text = capture_log(fx, &cfg);
    assert_string_equal(text, "");
    free(text);
    cv_config_cleanup(&cfg);
    cv_buf_cleanup(&errors);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_envfile_blanks_and_quotes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_envfile_comments_and_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_envfile_syntax_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_envfile_line_at_max, setup, teardown),
        cmocka_unit_test_setup_teardown(test_envfile_line_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_envfile_nul_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_envfile_too_many_assignments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_envfile_missing_file, setup, teardown),
        cmocka_unit_test(test_config_defaults_without_file),
        cmocka_unit_test_setup_teardown(test_config_file_spaced_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_environment_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_secret_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_invalid_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_file_syntax_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_unknown_keys, setup, teardown),
        cmocka_unit_test(test_config_environment_not_checked),
        cmocka_unit_test_setup_teardown(test_config_log_unknown_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_log_nothing_when_known, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
