/* Helpers shared by CV and project evidence: signal tables and keyword overlap. */
#include <stdlib.h>
#include <string.h>

#include "worker/scorer/evidence.h"

/* Keywords shorter than this are mostly function words in the languages we see. */
#define KEYWORD_MIN_LEN 5
#define KEYWORD_MAX_LEN 31

/*
 * Frequent words that carry no meaning for a role or a brief, in English and
 * Indonesian. Only words of KEYWORD_MIN_LEN or more letters need to be here.
 */
static const char *const stop_words[] = {
    "about",    "above",     "after",     "again",     "against",  "among",    "because",
    "before",   "being",     "below",     "between",   "could",    "during",   "every",
    "other",    "their",     "there",     "these",     "those",    "through",  "under",
    "until",    "where",     "which",     "while",     "would",    "should",   "shall",
    "within",   "without",   "looking",   "including", "using",    "candidate", "candidates",
    "experience", "skills",  "ability",   "strong",    "years",    "company",  "based",
    "ensure",   "really",    "things",    "great",     "dengan",   "untuk",    "dalam",
    "adalah",   "sebagai",   "tidak",     "sudah",     "lebih",    "serta",    "harus",
    "dapat",    "tersebut",  "bahwa",     "secara",    "karena",   "namun",    "seperti",
    "yaitu",
};

unsigned
wk_signals_match(const struct wk_text *text, const struct wk_signal *signals, size_t count)
{
    unsigned bits = 0;
    size_t   i;

    for (i = 0; i < count && i < WK_SIGNAL_MAX; i++) {
        if (wk_text_has(text, signals[i].terms)) {
            bits |= 1u << i;
        }
    }
    return bits;
}

int
wk_bit_count(unsigned bits)
{
    int n = 0;

    for (; bits != 0; bits &= bits - 1) {
        n++;
    }
    return n;
}

static int
is_stop_word(const char *word)
{
    size_t i;

    for (i = 0; i < sizeof(stop_words) / sizeof(stop_words[0]); i++) {
        if (strcmp(word, stop_words[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Returns whether words[0..count) already contains word. */
static int
is_listed(char (*words)[KEYWORD_MAX_LEN + 1], int count, const char *word)
{
    int i;

    for (i = 0; i < count; i++) {
        if (strcmp(words[i], word) == 0) {
            return 1;
        }
    }
    return 0;
}

enum cv_err
wk_keywords_overlap(const struct wk_text *reference, const struct wk_text *doc, int *total,
                    int *hits)
{
    char (*words)[KEYWORD_MAX_LEN + 1];
    char   word[KEYWORD_MAX_LEN + 1];
    int    count = 0;
    size_t i = 0;
    size_t start;
    size_t n;
    int    k;

    *total = 0;
    *hits = 0;
    words = calloc(WK_KEYWORDS_MAX, sizeof(*words));
    if (words == NULL) {
        return CV_ENOMEM;
    }

    /* Collect runs of ASCII letters; runs next to digits or other bytes still count. */
    while (i < reference->len && count < WK_KEYWORDS_MAX) {
        while (i < reference->len && !(reference->lower[i] >= 'a' && reference->lower[i] <= 'z')) {
            i++;
        }
        start = i;
        while (i < reference->len && reference->lower[i] >= 'a' && reference->lower[i] <= 'z') {
            i++;
        }
        n = i - start;
        if (n < KEYWORD_MIN_LEN || n > KEYWORD_MAX_LEN) {
            continue;
        }
        memcpy(word, reference->lower + start, n);
        word[n] = '\0';
        if (!is_stop_word(word) && !is_listed(words, count, word)) {
            memcpy(words[count++], word, n + 1);
        }
    }

    for (k = 0; k < count; k++) {
        if (wk_text_has(doc, words[k])) {
            (*hits)++;
        }
    }
    *total = count;
    free(words);
    return CV_OK;
}
