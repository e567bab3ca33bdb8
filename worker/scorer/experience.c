/*
 * Years of experience in a CV: stated amounts ("5+ years") and date ranges
 * ("May 2018 - Aug 2018", "2019 - Present", "11/2010 to 05/2013"). Ranges are read
 * in English, Indonesian, German and French month names. Education ranges count like
 * jobs, because the layout of extracted text rarely distinguishes them.
 */
#include <stdlib.h>
#include <string.h>

#include "worker/scorer/evidence.h"
#include "worker/scorer/lexicon.h"

/* Most date marks and ranges read from one CV; later ones are ignored. */
#define MARKS_MAX 256

/* Oldest and newest years read as dates. */
#define YEAR_MIN 1960
#define YEAR_MAX 2100

/* Maximum plausible stated experience and single range, in years. */
#define STATED_YEARS_MAX 40
#define RANGE_YEARS_MAX 50

/* Most bytes between the two ends of a range ("2019 - 2021", "Jan 2019 until Mar 2020"). */
#define RANGE_GAP_MAX 16

/* A point in time, in months since year 0, or the word "present". */
struct mark {
    size_t start;
    size_t end;         /* exclusive */
    int    month;       /* year * 12 + month index, or -1 for present */
    int    has_month;   /* 0: a bare year */
};

struct interval {
    int first;   /* months, inclusive */
    int last;
};

static const struct {
    const char *terms;
    int         month;  /* 0 = January */
} month_names[] = {
    {"january|jan|januari|januar|janvier", 0},
    {"february|feb|februari|februar|fevrier|f\xc3\xa9vrier", 1},
    {"march|mar|maret|m\xc3\xa4rz|maerz|mars", 2},
    {"april|apr|avril", 3},
    {"may|mei|mai", 4},
    {"june|jun|juni|juin", 5},
    {"july|jul|juli|juillet", 6},
    {"august|aug|agustus|agu|agt|ags|ao\xc3\xbbt|aout", 7},
    {"september|sep|sept|septembre", 8},
    {"october|oct|oktober|okt|octobre", 9},
    {"november|nov|novembre", 10},
    {"december|dec|desember|des|dezember|dez|d\xc3\xa9\x63\x65mbre|decembre", 11},
};

/* Words allowed between the ends of a range, besides spaces and dashes. */
static const char range_words[] = "to|until|till|through|thru|s/d|sd|sampai|hingga|bis|au|a|"
                                  "hasta";

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads exactly count digits at pos, not followed by another digit. Returns -1 if not. */
static int
read_digits(const struct wk_text *cv, size_t pos, size_t count)
{
    int    value = 0;
    size_t i;

    if (pos + count > cv->len) {
        return -1;
    }
    for (i = 0; i < count; i++) {
        if (!is_digit(cv->lower[pos + i])) {
            return -1;
        }
        value = value * 10 + (cv->lower[pos + i] - '0');
    }
    if (pos + count < cv->len && is_digit(cv->lower[pos + count])) {
        return -1;
    }
    return value;
}

static int
read_year(const struct wk_text *cv, size_t pos)
{
    int year = read_digits(cv, pos, 4);

    return year >= YEAR_MIN && year <= YEAR_MAX ? year : -1;
}

/* Returns the month index of a month name at pos and its length in *len, or -1. */
static int
read_month_name(const struct wk_text *cv, size_t pos, size_t *len)
{
    size_t i;

    for (i = 0; i < sizeof(month_names) / sizeof(month_names[0]); i++) {
        *len = wk_text_match_at(cv, month_names[i].terms, pos);
        if (*len > 0) {
            return month_names[i].month;
        }
    }
    return -1;
}

/* Skips the spaces, dots, commas and apostrophes between a month name and its year. */
static size_t
skip_month_gap(const struct wk_text *cv, size_t pos)
{
    size_t limit = pos + 3;

    while (pos < cv->len && pos < limit &&
           (cv->lower[pos] == ' ' || cv->lower[pos] == '.' || cv->lower[pos] == ',' ||
            cv->lower[pos] == '\'')) {
        pos++;
    }
    return pos;
}

/*
 * Reads a date mark starting at pos, which starts a word. Returns 1 and fills mark,
 * or 0 when no date starts there.
 */
static int
read_mark(const struct wk_text *cv, size_t pos, struct mark *mark)
{
    size_t len;
    size_t after;
    int    month;
    int    year;

    memset(mark, 0, sizeof(*mark));
    mark->start = pos;

    len = wk_text_match_at(cv, wk_present_terms, pos);
    if (len > 0) {
        mark->end = pos + len;
        mark->month = -1;
        return 1;
    }

    month = read_month_name(cv, pos, &len);
    if (month >= 0) {
        after = skip_month_gap(cv, pos + len);
        year = read_year(cv, after);
        if (year < 0) {
            return 0;
        }
        mark->end = after + 4;
        mark->month = year * 12 + month;
        mark->has_month = 1;
        return 1;
    }

    /* "05/2013", "5.2013", "05-2013" */
    for (len = 1; len <= 2; len++) {
        month = read_digits(cv, pos, len);
        if (month >= 1 && month <= 12 && pos + len < cv->len &&
            (cv->lower[pos + len] == '/' || cv->lower[pos + len] == '.' ||
             cv->lower[pos + len] == '-')) {
            year = read_year(cv, pos + len + 1);
            if (year >= 0) {
                mark->end = pos + len + 5;
                mark->month = year * 12 + month - 1;
                mark->has_month = 1;
                return 1;
            }
        }
    }

    year = read_year(cv, pos);
    if (year < 0) {
        return 0;
    }
    mark->end = pos + 4;
    mark->month = year * 12;
    /* "2019-03" or "2019/03": a year followed by a two-digit month. */
    if (pos + 7 <= cv->len && (cv->lower[pos + 4] == '-' || cv->lower[pos + 4] == '/')) {
        month = read_digits(cv, pos + 5, 2);
        if (month >= 1 && month <= 12) {
            mark->end = pos + 7;
            mark->month = year * 12 + month - 1;
            mark->has_month = 1;
        }
    }
    return 1;
}

/* Collects the date marks of the CV in text order. Returns how many. */
static size_t
collect_marks(const struct wk_text *cv, struct mark *marks, size_t max)
{
    size_t count = 0;
    size_t pos = 0;

    while (pos < cv->len && count < max) {
        if ((pos > 0 && wk_is_alnum(cv->lower[pos - 1])) ||
            !read_mark(cv, pos, &marks[count])) {
            pos++;
            continue;
        }
        pos = marks[count].end;
        count++;
    }
    return count;
}

/* Returns whether only range separators lie between two marks. */
static int
is_range_gap(const struct wk_text *cv, size_t from, size_t to)
{
    size_t pos = from;
    size_t len;
    int    words = 0;

    if (to < from || to - from > RANGE_GAP_MAX) {
        return 0;
    }
    while (pos < to) {
        if (cv->lower[pos] == ' ' || cv->lower[pos] == '-' || cv->lower[pos] == '~' ||
            cv->lower[pos] == '\t' || cv->lower[pos] == '\n') {
            pos++;
        } else if (pos + 3 <= to && (memcmp(cv->lower + pos, "\xe2\x80\x93", 3) == 0 ||
                                     memcmp(cv->lower + pos, "\xe2\x80\x94", 3) == 0)) {
            pos += 3; /* en dash, em dash */
        } else {
            len = wk_text_match_at(cv, range_words, pos);
            if (len == 0 || ++words > 1) {
                return 0;
            }
            pos += len;
        }
    }
    return 1;
}

static int
compare_intervals(const void *a, const void *b)
{
    const struct interval *x = a;
    const struct interval *y = b;

    if (x->first != y->first) {
        return x->first < y->first ? -1 : 1;
    }
    return x->last < y->last ? -1 : (x->last > y->last ? 1 : 0);
}

/* Returns the months covered by the union of the intervals, which it sorts. */
static int
union_months(struct interval *spans, size_t count)
{
    int    total = 0;
    int    first;
    int    last;
    size_t i;

    if (count == 0) {
        return 0;
    }
    qsort(spans, count, sizeof(*spans), compare_intervals);
    first = spans[0].first;
    last = spans[0].last;
    for (i = 1; i < count; i++) {
        if (spans[i].first <= last + 1) {
            if (spans[i].last > last) {
                last = spans[i].last;
            }
        } else {
            total += last - first + 1;
            first = spans[i].first;
            last = spans[i].last;
        }
    }
    return total + last - first + 1;
}

int
wk_experience_range_months(const struct wk_text *cv)
{
    struct mark     *marks;
    struct interval *spans;
    size_t           count;
    size_t           span_count = 0;
    size_t           i;
    int              latest = -1;
    int              first;
    int              last;
    int              months = 0;

    marks = calloc(MARKS_MAX, sizeof(*marks));
    spans = calloc(MARKS_MAX, sizeof(*spans));
    if (marks == NULL || spans == NULL) {
        /* Scoring goes on without ranges rather than failing the whole job. */
        free(marks);
        free(spans);
        return 0;
    }
    count = collect_marks(cv, marks, MARKS_MAX);

    /*
     * "Present" is the latest date the CV mentions; a bare year counts as its June.
     * NOTE: a CV whose only dates start its current role ("Jan 2022 - Present") gets
     * almost no months from that range, and degrees count like jobs.
     */
    for (i = 0; i < count; i++) {
        if (marks[i].month >= 0) {
            first = marks[i].has_month ? marks[i].month : marks[i].month + 5;
            latest = first > latest ? first : latest;
        }
    }

    for (i = 0; i + 1 < count; i++) {
        if (marks[i].month < 0 || !is_range_gap(cv, marks[i].end, marks[i + 1].start)) {
            continue;
        }
        first = marks[i].month;
        last = marks[i + 1].month >= 0 ? marks[i + 1].month : latest;
        if (last < first) {
            last = first;
        }
        if (last - first < RANGE_YEARS_MAX * 12) {
            spans[span_count].first = first;
            spans[span_count].last = last;
            span_count++;
        }
        i++; /* the end of this range does not start another */
    }
    months = union_months(spans, span_count);
    free(marks);
    free(spans);
    return months;
}

int
wk_experience_stated_years(const struct wk_text *cv)
{
    static const char year_words[] = "years|year|yrs|yr|tahun|jahre|jahren|ans|a\xc3\xb1os";
    size_t            pos = 0;
    size_t            len = 0;
    size_t            p;
    size_t            after;
    int               best = -1;
    int               value;
    int               scale;

    while ((pos = wk_text_find(cv, year_words, pos, &len)) != WK_TEXT_NONE) {
        after = pos + len;
        /* Walk back over spaces and a '+' to the number: "5+ years", "8 yrs". */
        p = pos;
        while (p > 0 && (cv->lower[p - 1] == ' ' || cv->lower[p - 1] == '+')) {
            p--;
        }
        value = 0;
        scale = 1;
        while (p > 0 && is_digit(cv->lower[p - 1]) && scale <= 10) {
            value += (cv->lower[p - 1] - '0') * scale;
            scale *= 10;
            p--;
        }
        if (scale > 1 && scale <= 100 && (p == 0 || !is_digit(cv->lower[p - 1])) &&
            value <= STATED_YEARS_MAX && pos - p <= 4) {
            while (after < cv->len && cv->lower[after] == ' ') {
                after++;
            }
            if (wk_text_match_at(cv, wk_age_terms, after) == 0 && value > best) {
                best = value;
            }
        }
        pos += len;
    }
    return best;
}
