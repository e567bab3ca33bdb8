/*
 * Runs cv_extract() over every file of the shared corpus of real documents (folder from
 * CORPUS_DIR, else the shared corpus folder beside the checkout) and checks each file's outcome
 * against the table below, a time bound, and the normalisation rules on every text.
 * Without the corpus it prints a SKIP line and passes, unless REQUIRE_CORPUS=1.
 */
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "common/clock.h"
#include "common/extract.h"
#include "common/extract_norm.h"

/* Extra time a file may take past the extraction time limit: process start, slow CI. */
#define CORPUS_SLACK_MS 5000

static char corpus_dir[PATH_MAX];

/* The configuration defaults of the EXTRACT_* and DOCX_* settings. */
static const struct cv_extract_limits corpus_limits = {
    .max_pages = 100,
    .timeout_ms = 15000,
    .max_text_bytes = 2097152,
    .docx_max_entries = 2000,
    .docx_max_uncompressed_bytes = 104857600,
};

struct expectation {
    const char   *path;       /* inside the corpus folder */
    enum cv_media media;      /* from cv_extract_detect() */
    enum cv_err   rc;
    enum cv_err   alt_rc;     /* also accepted; equal to rc when only rc is right */
};

#define OK(path, media) { path, media, CV_OK, CV_OK }

static const struct expectation expectations[] = {
    OK("cv/albertchoe_cv_MechanicalEngineer.pdf", CV_MEDIA_PDF),
    OK("cv/albertchoe_cv_ProjectManager.pdf", CV_MEDIA_PDF),
    OK("cv/albertchoe_cv_SoftwareEngineer.pdf", CV_MEDIA_PDF),
    OK("cv/altacv_sample.pdf", CV_MEDIA_PDF),
    OK("cv/awesome-cv_cv.pdf", CV_MEDIA_PDF),
    OK("cv/awesome-cv_resume-zh.pdf", CV_MEDIA_PDF),
    OK("cv/awesome-cv_resume.pdf", CV_MEDIA_PDF),
    OK("cv/bewerbung_max_mustermann_de.pdf", CV_MEDIA_PDF),
    OK("cv/billryan_resume-zh_CN.pdf", CV_MEDIA_PDF),
    OK("cv/devlog_mon-cv_fr.md", CV_MEDIA_MARKDOWN),
    OK("cv/edwinjordan_CV_Sample.pdf", CV_MEDIA_PDF),
    OK("cv/edwinjordan_CV_Sample.txt", CV_MEDIA_MARKDOWN),
    OK("cv/fairyhunter13_cv.txt", CV_MEDIA_TEXT),
    OK("cv/fairyhunter13_cv_01.txt", CV_MEDIA_TEXT),
    OK("cv/fairyhunter13_cv_02.txt", CV_MEDIA_TEXT),
    OK("cv/fairyhunter13_cv_03.txt", CV_MEDIA_TEXT),
    OK("cv/fairyhunter13_cv_04.txt", CV_MEDIA_TEXT),
    OK("cv/fairyhunter13_cv_05.txt", CV_MEDIA_TEXT),
    OK("cv/fairyhunter13_cv_06.txt", CV_MEDIA_TEXT),
    OK("cv/fairyhunter13_cv_07.txt", CV_MEDIA_TEXT),
    OK("cv/fairyhunter13_cv_08.txt", CV_MEDIA_TEXT),
    OK("cv/fairyhunter13_cv_09.txt", CV_MEDIA_TEXT),
    OK("cv/fairyhunter13_cv_10.txt", CV_MEDIA_TEXT),
    OK("cv/fairyhunter13_cv_11.txt", CV_MEDIA_TEXT),
    OK("cv/fairyhunter13_cv_noisy.txt", CV_MEDIA_TEXT),
    OK("cv/froasted_sample_resume.docx", CV_MEDIA_DOCX),
    OK("cv/irwanadw_andi_wijaya_cv_id.pdf", CV_MEDIA_PDF),
    OK("cv/kaggle_accountant_10674770.pdf", CV_MEDIA_PDF),
    OK("cv/kaggle_designer_14014749.pdf", CV_MEDIA_PDF),
    OK("cv/kaggle_healthcare_nurse_14062078.pdf", CV_MEDIA_PDF),
    OK("cv/kzulfazriawan_shortened_cv.pdf", CV_MEDIA_PDF),
    OK("cv/moderncv_classic_green.pdf", CV_MEDIA_PDF),
    OK("cv/pandoc_resume_resume.docx", CV_MEDIA_DOCX),
    OK("cv/pandoc_resume_resume.md", CV_MEDIA_MARKDOWN),
    OK("cv/presume_sample_resume.docx", CV_MEDIA_DOCX),
    OK("cv/sb2nov_sourabh_bajaj_resume.pdf", CV_MEDIA_PDF),
    OK("cv/sudrajad02_ahmad_cv_dummy.txt", CV_MEDIA_TEXT),
    OK("cv/twentyseconds_cv.pdf", CV_MEDIA_PDF),
    OK("cv/yallabanking_sample_cv.docx", CV_MEDIA_DOCX),

    /* YAML counts as Markdown: its "# comment" lines and "- item" lists are both signs. */
    OK("job/fairyhunter13_job_description.yaml", CV_MEDIA_MARKDOWN),
    OK("job/fairyhunter13_scoring_rubric.yaml", CV_MEDIA_MARKDOWN),
    OK("job/fairyhunter13_study_case_brief.yaml", CV_MEDIA_MARKDOWN),
    OK("job/rakamin_case_study_brief.pdf", CV_MEDIA_PDF),
    OK("job/rakamin_job_description.pdf", CV_MEDIA_PDF),
    OK("job/rakamin_scoring_rubric.pdf", CV_MEDIA_PDF),

    OK("report/akmalrafidiara_project_report.pdf", CV_MEDIA_PDF),
    OK("report/edwinjordan_project_report_sample.pdf", CV_MEDIA_PDF),
    OK("report/fairyhunter13_project.txt", CV_MEDIA_TEXT),
    OK("report/fairyhunter13_project_02.txt", CV_MEDIA_TEXT),
    OK("report/fairyhunter13_project_03.txt", CV_MEDIA_TEXT),
    OK("report/fairyhunter13_project_04.txt", CV_MEDIA_TEXT),
    OK("report/fairyhunter13_project_10.txt", CV_MEDIA_TEXT),
    OK("report/fairyhunter13_project_11.txt", CV_MEDIA_TEXT),
    OK("report/fairyhunter13_project_repo_report.txt", CV_MEDIA_TEXT),
    OK("report/gnafhan_laporan_solusi_id.md", CV_MEDIA_MARKDOWN),
    OK("report/harundarat_project_report.pdf", CV_MEDIA_PDF),
    OK("report/ibnuzaman_README.md", CV_MEDIA_MARKDOWN),
    OK("report/irvan0703_backend_solution.pdf", CV_MEDIA_PDF),
    OK("report/irwanadw_project_notes.txt", CV_MEDIA_TEXT),
    OK("report/jccode288_README.md", CV_MEDIA_MARKDOWN),
    OK("report/kzulfazriawan_project_report.pdf", CV_MEDIA_PDF),
    OK("report/lil-id_README_id.md", CV_MEDIA_MARKDOWN),
    OK("report/rchmt_study_case_submission.docx", CV_MEDIA_DOCX),
    OK("report/spacetimist_project_report_id.pdf", CV_MEDIA_PDF),
    OK("report/sudrajad02_ahmad_project_dummy.txt", CV_MEDIA_TEXT),

    /* Plain text after a "%PDF-1.4" line: no objects, no cross-reference table. */
    { "tricky/edwinjordan_fake_pdf_31403b86.pdf", CV_MEDIA_PDF, CV_EUNREADABLE, CV_EUNREADABLE },
    /* Its only text uses a font the page never defines, so poppler shows nothing. */
    { "tricky/edwinjordan_minimal_pdf_026f325a.pdf", CV_MEDIA_PDF, CV_EUNREADABLE, CV_EUNREADABLE },
    { "tricky/fairyhunter13_cv_empty.txt", CV_MEDIA_TEXT, CV_EUNREADABLE, CV_EUNREADABLE },
    OK("tricky/fairyhunter13_project_noisy.txt", CV_MEDIA_TEXT),
    OK("tricky/mammoth_strict-format.docx", CV_MEDIA_DOCX),
    OK("tricky/pdfjs_ArabicCIDTrueType.pdf", CV_MEDIA_PDF),
    { "tricky/pdfjs_autoprint_javascript.pdf", CV_MEDIA_PDF, CV_EUNREADABLE, CV_EUNREADABLE },
    /* Headerless PDFs are rejected on purpose; see cv_extract_detect(). */
    { "tricky/pdfjs_bug1606566_no_header.pdf", CV_MEDIA_UNKNOWN, CV_EMEDIA, CV_EMEDIA },
    { "tricky/pdfjs_freeculture_352pages.pdf", CV_MEDIA_PDF, CV_ETOOLARGE, CV_ETOOLARGE },
    { "tricky/pdfjs_issue6010_1_encrypted_pw_abc.pdf", CV_MEDIA_PDF, CV_EUNREADABLE,
      CV_EUNREADABLE },
    { "tricky/pdfjs_issue7200_image_only.pdf", CV_MEDIA_PDF, CV_EUNREADABLE, CV_EUNREADABLE },
    OK("tricky/pdfjs_issue918_type3_fonts.pdf", CV_MEDIA_PDF),
    OK("tricky/pdfjs_issue9972-1_aes_owner_only.pdf", CV_MEDIA_PDF),
    /* The page tree claims 213,804,087 pages; poppler finds none it can load. */
    { "tricky/pdfjs_poppler-85140-0_bogus_pagecount.pdf", CV_MEDIA_PDF, CV_EUNREADABLE,
      CV_EUNREADABLE },
    OK("tricky/pdfjs_rotation.pdf", CV_MEDIA_PDF),
    /* Needs the Adobe-Japan1 tables of the poppler-data package; without them, no text. */
    { "tricky/pdfjs_vertical_japanese_cid.pdf", CV_MEDIA_PDF, CV_OK, CV_EUNREADABLE },
    OK("tricky/pdfjs_xref_command_missing.pdf", CV_MEDIA_PDF),
    OK("tricky/prakashiiit_sample1_cv_textboxes.docx", CV_MEDIA_DOCX),
    { "tricky/rchmt_word_lockfile.docx", CV_MEDIA_UNKNOWN, CV_EMEDIA, CV_EMEDIA },
    OK("tricky/shevasatrian_report_image_heavy.pdf", CV_MEDIA_PDF),
};

#define EXPECTATION_COUNT (sizeof(expectations) / sizeof(expectations[0]))

static const char *const corpus_folders[] = { "cv", "job", "report", "tricky" };

static unsigned char *
read_corpus_file(const char *relative, size_t *len)
{
    char           path[PATH_MAX + 256];
    FILE          *fp;
    unsigned char *data;
    long           size;

    snprintf(path, sizeof(path), "%s/%s", corpus_dir, relative);
    fp = fopen(path, "rb");
    if (fp == NULL) {
        fail_msg("cannot open corpus file %s", relative);
    }
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    size = ftell(fp);
    assert_true(size >= 0);
    assert_int_equal(fseek(fp, 0, SEEK_SET), 0);
    data = malloc((size_t)size + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)size, fp), (size_t)size);
    fclose(fp);
    *len = (size_t)size;
    return data;
}

/* Checks the rules every normalised text keeps; returns a reason or NULL. */
static const char *
check_normalised(const char *text, size_t len)
{
    size_t i;

    if (strlen(text) != len) {
        return "text_len does not match the text";
    }
    if (!cv_utf8_validate((const unsigned char *)text, len, NULL)) {
        return "text is not valid UTF-8";
    }
    if (len == 0 || strchr(" \t\n", text[0]) != NULL || strchr(" \t\n", text[len - 1]) != NULL) {
        return "text is empty or not trimmed";
    }
    if (strstr(text, "\n\n\n") != NULL) {
        return "text has a run of blank lines";
    }
    if (strstr(text, " \n") != NULL || strstr(text, "\t\n") != NULL) {
        return "a line ends in whitespace";
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];

        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) {
            return "text has a control character";
        }
    }
    return NULL;
}

static void
test_corpus_outcomes(void **state)
{
    size_t i;
    int    failures = 0;

    (void)state;
    for (i = 0; i < EXPECTATION_COUNT; i++) {
        const struct expectation *e = &expectations[i];
        struct cv_extract_result  result;
        char                      reason[256];
        size_t                    len;
        unsigned char            *data = read_corpus_file(e->path, &len);
        enum cv_media             media = cv_extract_detect(data, len);
        int64_t                   start_ms = cv_clock_mono_ms();
        enum cv_err               rc = cv_extract(data, len, &corpus_limits, &result, reason,
                                                  sizeof(reason));
        int64_t                   took_ms = cv_clock_mono_ms() - start_ms;
        const char               *problem = NULL;

        free(data);
        printf("corpus %-48s %-8s %-14s %5lld ms %2d pages %7zu bytes %s\n", e->path,
               cv_media_name(media), cv_strerror(rc), (long long)took_ms, result.page_count,
               result.text_len, rc == CV_OK ? "" : reason);

        if (media != e->media) {
            problem = "detected media type differs";
        } else if (rc != e->rc && rc != e->alt_rc) {
            problem = "outcome differs";
        } else if (took_ms > corpus_limits.timeout_ms + CORPUS_SLACK_MS) {
            problem = "took longer than the time limit allows";
        } else if (rc == CV_OK) {
            problem = check_normalised(result.text, result.text_len);
            if (problem == NULL && media == CV_MEDIA_PDF && result.page_count < 1) {
                problem = "PDF without a page count";
            }
        } else if (reason[0] == '\0') {
            problem = "failure without a reason";
        }
        if (problem != NULL) {
            printf("FAIL %s: %s (expected %s, %s)\n", e->path, problem, cv_media_name(e->media),
                   cv_strerror(e->rc));
            failures++;
        }
        cv_extract_result_cleanup(&result);
    }
    assert_int_equal(failures, 0);
}

static int
has_expectation(const char *relative)
{
    size_t i;

    for (i = 0; i < EXPECTATION_COUNT; i++) {
        if (strcmp(expectations[i].path, relative) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A file added to the corpus fails here until its row is written. */
static void
test_corpus_files_all_listed(void **state)
{
    size_t i;
    int    missing = 0;

    (void)state;
    for (i = 0; i < sizeof(corpus_folders) / sizeof(corpus_folders[0]); i++) {
        char           path[PATH_MAX + 64];
        DIR           *dir;
        struct dirent *entry;

        snprintf(path, sizeof(path), "%s/%s", corpus_dir, corpus_folders[i]);
        dir = opendir(path);
        if (dir == NULL) {
            fail_msg("cannot open corpus folder %s", corpus_folders[i]);
        }
        while ((entry = readdir(dir)) != NULL) {
            char relative[512];

            if (entry->d_name[0] == '.') {
                continue;
            }
            snprintf(relative, sizeof(relative), "%s/%s", corpus_folders[i], entry->d_name);
            if (!has_expectation(relative)) {
                printf("FAIL %s: no expected outcome in test_extract_corpus.c\n", relative);
                missing++;
            }
        }
        closedir(dir);
    }
    assert_int_equal(missing, 0);
}

/* Finds the corpus folder; returns 0 when there is none. */
static int
find_corpus(const char *argv0)
{
    const char *from_env = getenv("CORPUS_DIR");
    char        resolved[PATH_MAX];
    struct stat st;
    char       *slash;
    int         up;

    if (from_env != NULL && from_env[0] != '\0') {
        snprintf(corpus_dir, sizeof(corpus_dir), "%s", from_env);
    } else if (realpath(argv0, resolved) != NULL) {
        /* $(BUILD)/tests/test_extract_corpus: three levels up is the checkout. */
        for (up = 0; up < 3 && (slash = strrchr(resolved, '/')) != NULL; up++) {
            *slash = '\0';
        }
        snprintf(corpus_dir, sizeof(corpus_dir), "%.*s/../shared/corpus", PATH_MAX - 32, resolved);
    }
    return corpus_dir[0] != '\0' && stat(corpus_dir, &st) == 0 && S_ISDIR(st.st_mode);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_outcomes),
        cmocka_unit_test(test_corpus_files_all_listed),
    };
    const char *require = getenv("REQUIRE_CORPUS");

    (void)argc;
    if (!find_corpus(argv[0])) {
        if (require != NULL && strcmp(require, "1") == 0) {
            fprintf(stderr, "test_extract_corpus: corpus folder not found and REQUIRE_CORPUS=1; "
                            "set CORPUS_DIR to the corpus path\n");
            return 1;
        }
        printf("SKIP: test_extract_corpus: corpus folder not found (set CORPUS_DIR to its path, "
               "or REQUIRE_CORPUS=1 to fail instead)\n");
        return 0;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
