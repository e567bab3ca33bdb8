/* Term search over a lower-cased copy of a document, with the term language of text.h. */
#include <stdlib.h>
#include <string.h>

#include "worker/scorer/text.h"

/* Maximum length of one alternative in a term string, in bytes; the tables stay far below. */
#define TERM_MAX_LEN 96

int
wk_is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int
wk_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int
is_gap(char c)
{
    return wk_is_space(c) || c == '-' || c == '_';
}

enum cv_err
wk_text_init(struct wk_text *text, const char *s)
{
    size_t i;
    int    in_word = 0;

    memset(text, 0, sizeof(*text));
    text->orig = s;
    text->len = strlen(s);
    text->lower = malloc(text->len + 1);
    if (text->lower == NULL) {
        return CV_ENOMEM;
    }
    for (i = 0; i < text->len; i++) {
        text->lower[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
        if (wk_is_space(s[i])) {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            text->word_count++;
        }
    }
    text->lower[text->len] = '\0';
    return CV_OK;
}

void
wk_text_cleanup(struct wk_text *text)
{
    free(text->lower);
    memset(text, 0, sizeof(*text));
}

/* One parsed alternative of a term string. */
struct term {
    char   body[TERM_MAX_LEN + 1];  /* lower case unless is_exact, gaps as ' ' */
    char   exact[TERM_MAX_LEN + 1]; /* as written, for is_exact */
    size_t len;
    size_t head_len;                /* bytes before the first gap, searched with memmem */
    int    is_exact;
    int    is_prefix;
};

/* Parses alternative [p, p + n) into term. Returns 0, or -1 if it is empty or too long. */
static int
parse_term(const char *p, size_t n, struct term *term)
{
    size_t i;
    char   c;

    memset(term, 0, sizeof(*term));
    if (n > 0 && p[0] == '=') {
        term->is_exact = 1;
        p++;
        n--;
    }
    if (n > 0 && p[n - 1] == '*') {
        term->is_prefix = 1;
        n--;
    }
    if (n == 0 || n > TERM_MAX_LEN) {
        return -1;
    }
    term->head_len = n;
    for (i = 0; i < n; i++) {
        c = p[i];
        term->exact[i] = c;
        if (c == ' ' || c == '-' || c == '_') {
            c = ' ';
            if (term->head_len == n) {
                term->head_len = i;
            }
        } else if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        term->body[i] = c;
    }
    term->len = n;
    return term->head_len > 0 ? 0 : -1;
}

/*
 * Checks whether term matches at pos; returns the match length or 0. Gaps in the term
 * take one or more gap bytes of the text.
 */
static size_t
match_at(const struct wk_text *text, const struct term *term, size_t pos)
{
    size_t i = pos;
    size_t k;
    char   upper;

    for (k = 0; k < term->len; k++) {
        if (term->body[k] == ' ') {
            if (i >= text->len || !is_gap(text->lower[i])) {
                return 0;
            }
            while (i < text->len && is_gap(text->lower[i])) {
                i++;
            }
            continue;
        }
        if (i >= text->len || text->lower[i] != term->body[k]) {
            return 0;
        }
        if (term->is_exact) {
            upper = term->exact[k] >= 'a' && term->exact[k] <= 'z'
                        ? (char)(term->exact[k] - 'a' + 'A')
                        : term->exact[k];
            if (text->orig[i] != term->exact[k] && text->orig[i] != upper) {
                return 0;
            }
        }
        i++;
    }
    return i - pos;
}

/* Returns whether the match [pos, pos + len) sits on word boundaries, as text.h defines. */
static int
is_on_boundaries(const struct wk_text *text, const struct term *term, size_t pos, size_t len)
{
    if (wk_is_alnum(term->body[0]) && pos > 0 && wk_is_alnum(text->lower[pos - 1])) {
        return 0;
    }
    if (!term->is_prefix && wk_is_alnum(term->body[term->len - 1]) && pos + len < text->len &&
        wk_is_alnum(text->lower[pos + len])) {
        return 0;
    }
    return 1;
}

/* Returns the first match of one alternative in [from, end), or WK_TEXT_NONE. */
static size_t
find_term(const struct wk_text *text, const struct term *term, size_t from, size_t end,
          size_t *match_len)
{
    const char *hit;
    size_t      pos = from;
    size_t      len;

    while (pos < end) {
        hit = memmem(text->lower + pos, end - pos, term->body, term->head_len);
        if (hit == NULL) {
            return WK_TEXT_NONE;
        }
        pos = (size_t)(hit - text->lower);
        len = match_at(text, term, pos);
        if (len > 0 && pos + len <= end && is_on_boundaries(text, term, pos, len)) {
            *match_len = len;
            return pos;
        }
        pos++;
    }
    return WK_TEXT_NONE;
}

static size_t
find_in(const struct wk_text *text, const char *terms, size_t from, size_t end,
        size_t *match_len)
{
    struct term term;
    const char *p = terms;
    const char *bar;
    size_t      best = WK_TEXT_NONE;
    size_t      best_len = 0;
    size_t      pos;
    size_t      len = 0;
    size_t      n;

    if (end > text->len) {
        end = text->len;
    }
    while (*p != '\0') {
        bar = strchr(p, '|');
        n = bar != NULL ? (size_t)(bar - p) : strlen(p);
        if (parse_term(p, n, &term) == 0) {
            pos = find_term(text, &term, from, end, &len);
            if (pos != WK_TEXT_NONE && (best == WK_TEXT_NONE || pos < best)) {
                best = pos;
                best_len = len;
            }
        }
        p += n;
        if (*p == '|') {
            p++;
        }
    }
    if (match_len != NULL) {
        *match_len = best_len;
    }
    return best;
}

size_t
wk_text_find(const struct wk_text *text, const char *terms, size_t from, size_t *match_len)
{
    return find_in(text, terms, from, text->len, match_len);
}

int
wk_text_has(const struct wk_text *text, const char *terms)
{
    return find_in(text, terms, 0, text->len, NULL) != WK_TEXT_NONE;
}

int
wk_text_has_in(const struct wk_text *text, const char *terms, size_t start, size_t end)
{
    return find_in(text, terms, start, end, NULL) != WK_TEXT_NONE;
}

size_t
wk_text_match_at(const struct wk_text *text, const char *terms, size_t pos)
{
    struct term term;
    const char *p = terms;
    const char *bar;
    size_t      len;
    size_t      n;

    while (pos < text->len && *p != '\0') {
        bar = strchr(p, '|');
        n = bar != NULL ? (size_t)(bar - p) : strlen(p);
        if (parse_term(p, n, &term) == 0) {
            len = match_at(text, &term, pos);
            if (len > 0 && is_on_boundaries(text, &term, pos, len)) {
                return len;
            }
        }
        p += n;
        if (*p == '|') {
            p++;
        }
    }
    return 0;
}
