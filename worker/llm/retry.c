/*
 * Backoff with full jitter and Retry-After parsing. HTTP-dates are parsed by hand
 * rather than with strptime(3) so that the locale and the time zone cannot change the
 * result.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>

#include "common/clock.h"
#include "worker/llm/retry.h"

/* Saturation point of parsed delays, far beyond any deadline, safe to add to a clock. */
#define DELAY_MAX_MS (INT64_MAX / 2)

void
wk_prng_seed(struct wk_prng *prng)
{
    uint64_t seed = 0;

    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed)) {
        /* Early boot or a seccomp filter: jitter only needs threads to differ. */
        seed = (uint64_t)cv_clock_mono_ms() ^ (uint64_t)(uintptr_t)prng;
    }
    prng->state = seed;
}

uint64_t
wk_prng_next(struct wk_prng *prng)
{
    uint64_t z;

    prng->state += UINT64_C(0x9e3779b97f4a7c15);
    z = prng->state;
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

int64_t
wk_prng_upto(struct wk_prng *prng, int64_t bound)
{
    uint64_t range;
    uint64_t limit;
    uint64_t draw;

    if (bound <= 0) {
        return 0;
    }
    range = (uint64_t)bound + 1;

    /* Reject the top partial range so every value is equally likely. */
    limit = UINT64_MAX - UINT64_MAX % range;
    do {
        draw = wk_prng_next(prng);
    } while (draw >= limit);
    return (int64_t)(draw % range);
}

int64_t
wk_backoff_ms(struct wk_prng *prng, int retry, int64_t base_ms, int64_t max_ms)
{
    int64_t ceiling;
    int     i;

    if (base_ms < 1) {
        base_ms = 1;
    }
    if (max_ms < 1) {
        max_ms = 1;
    }
    ceiling = base_ms;
    for (i = 1; i < retry && ceiling < max_ms; i++) {
        ceiling = ceiling > max_ms / 2 ? max_ms : ceiling * 2;
    }
    if (ceiling > max_ms) {
        ceiling = max_ms;
    }
    return wk_prng_upto(prng, ceiling);
}

/* Days from 1970-01-01 to the given proleptic Gregorian date (Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t year, int month, int day)
{
    int64_t era;
    int64_t yoe;
    int64_t doy;
    int64_t doe;

    year -= month <= 2;
    era = (year >= 0 ? year : year - 399) / 400;
    yoe = year - era * 400;
    doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Reads exactly count digits. Returns the number, or -1. */
static int
read_digits(const char **p, int count)
{
    int value = 0;
    int i;

    for (i = 0; i < count; i++) {
        if (!isdigit((unsigned char)(*p)[i])) {
            return -1;
        }
        value = value * 10 + ((*p)[i] - '0');
    }
    *p += count;
    return value;
}

/* Reads a three-letter month name. Returns 1..12, or -1. */
static int
read_month(const char **p)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    int               i;

    for (i = 0; i < 12; i++) {
        if (strncmp(*p, months + i * 3, 3) == 0) {
            *p += 3;
            return i + 1;
        }
    }
    return -1;
}

/* Skips a day name: three letters for IMF-fixdate and asctime, a whole word for RFC 850. */
static int
skip_day_name(const char **p, int is_long)
{
    static const char *const days[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                       "Friday", "Saturday", "Sunday"};
    size_t                   len;
    int                      i;

    for (i = 0; i < 7; i++) {
        len = is_long ? strlen(days[i]) : 3;
        if (strncmp(*p, days[i], len) == 0) {
            *p += len;
            return 0;
        }
    }
    return -1;
}

static int
expect(const char **p, const char *literal)
{
    size_t len = strlen(literal);

    if (strncmp(*p, literal, len) != 0) {
        return -1;
    }
    *p += len;
    return 0;
}

/* Reads "HH:MM:SS" into seconds of the day. Returns -1 when malformed. */
static int64_t
read_time(const char **p)
{
    int hour;
    int minute;
    int second;

    hour = read_digits(p, 2);
    if (hour < 0 || expect(p, ":") != 0) {
        return -1;
    }
    minute = read_digits(p, 2);
    if (minute < 0 || expect(p, ":") != 0) {
        return -1;
    }
    second = read_digits(p, 2);
    /* 60 allows a leap second, which the epoch arithmetic folds into the next minute. */
    if (second < 0 || hour > 23 || minute > 59 || second > 60) {
        return -1;
    }
    return (int64_t)hour * 3600 + minute * 60 + second;
}

struct date_parts {
    int64_t year;
    int     month;
    int     day;
    int64_t seconds;   /* of the day */
};

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
static int
parse_imf_fixdate(const char *p, struct date_parts *out)
{
    if (skip_day_name(&p, 0) != 0 || expect(&p, ", ") != 0) {
        return -1;
    }
    out->day = read_digits(&p, 2);
    if (out->day < 0 || expect(&p, " ") != 0) {
        return -1;
    }
    out->month = read_month(&p);
    if (out->month < 0 || expect(&p, " ") != 0) {
        return -1;
    }
    out->year = read_digits(&p, 4);
    if (out->year < 0 || expect(&p, " ") != 0) {
        return -1;
    }
    out->seconds = read_time(&p);
    if (out->seconds < 0 || expect(&p, " GMT") != 0 || *p != '\0') {
        return -1;
    }
    return 0;
}

/*
 * "Sunday, 06-Nov-94 08:49:37 GMT". RFC 9110 requires that a two-digit year more than
 * 50 years in the future be read as the most recent past year with those digits.
 */
static int
parse_rfc850(const char *p, int64_t now_year, struct date_parts *out)
{
    int yy;

    if (skip_day_name(&p, 1) != 0 || expect(&p, ", ") != 0) {
        return -1;
    }
    out->day = read_digits(&p, 2);
    if (out->day < 0 || expect(&p, "-") != 0) {
        return -1;
    }
    out->month = read_month(&p);
    if (out->month < 0 || expect(&p, "-") != 0) {
        return -1;
    }
    yy = read_digits(&p, 2);
    if (yy < 0 || expect(&p, " ") != 0) {
        return -1;
    }
    out->seconds = read_time(&p);
    if (out->seconds < 0 || expect(&p, " GMT") != 0 || *p != '\0') {
        return -1;
    }
    out->year = now_year - now_year % 100 + yy;
    if (out->year > now_year + 50) {
        out->year -= 100;
    }
    return 0;
}

/* "Sun Nov  6 08:49:37 1994": the day of the month is padded with a space. */
static int
parse_asctime(const char *p, struct date_parts *out)
{
    if (skip_day_name(&p, 0) != 0 || expect(&p, " ") != 0) {
        return -1;
    }
    out->month = read_month(&p);
    if (out->month < 0 || expect(&p, " ") != 0) {
        return -1;
    }
    if (*p == ' ') {
        p++;
        out->day = read_digits(&p, 1);
    } else {
        out->day = read_digits(&p, 2);
    }
    if (out->day < 0 || expect(&p, " ") != 0) {
        return -1;
    }
    out->seconds = read_time(&p);
    if (out->seconds < 0 || expect(&p, " ") != 0) {
        return -1;
    }
    out->year = read_digits(&p, 4);
    if (out->year < 0 || *p != '\0') {
        return -1;
    }
    return 0;
}

/* Returns whether day exists in month of year. */
static int
is_valid_day(int64_t year, int month, int day)
{
    static const int lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int              is_leap;

    is_leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return day >= 1 && day <= lengths[month - 1] + (month == 2 && is_leap);
}

static int64_t
parse_http_date(const char *text, int64_t now_wall_ms)
{
    struct date_parts parts;
    int64_t           now_days;
    int64_t           now_year;
    int64_t           at_ms;

    /* The current year, only needed to place a two-digit RFC 850 year. */
    now_days = now_wall_ms / 86400000;
    now_year = 1970 + now_days / 366;
    while (days_from_civil(now_year + 1, 1, 1) <= now_days) {
        now_year++;
    }

    if (parse_imf_fixdate(text, &parts) != 0 && parse_rfc850(text, now_year, &parts) != 0 &&
        parse_asctime(text, &parts) != 0) {
        return -1;
    }
    if (!is_valid_day(parts.year, parts.month, parts.day)) {
        return -1;
    }
    at_ms = (days_from_civil(parts.year, parts.month, parts.day) * 86400 + parts.seconds) *
            1000;
    return at_ms <= now_wall_ms ? 0 : at_ms - now_wall_ms;
}

int64_t
wk_retry_after_parse(const char *value, int64_t now_wall_ms)
{
    char    text[64];
    size_t  len;
    size_t  i;
    int64_t seconds = 0;

    if (value == NULL) {
        return -1;
    }
    while (*value == ' ' || *value == '\t') {
        value++;
    }
    len = strlen(value);
    while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t' ||
                       value[len - 1] == '\r' || value[len - 1] == '\n')) {
        len--;
    }
    if (len == 0 || len >= sizeof(text)) {
        return -1;
    }
    memcpy(text, value, len);
    text[len] = '\0';

    if (!isdigit((unsigned char)text[0])) {
        return parse_http_date(text, now_wall_ms);
    }
    for (i = 0; i < len; i++) {
        if (!isdigit((unsigned char)text[i])) {
            return -1;
        }
        if (seconds < DELAY_MAX_MS / 10000) {
            seconds = seconds * 10 + (text[i] - '0');
        }
    }
    if (seconds >= DELAY_MAX_MS / 10000) {
        return DELAY_MAX_MS;
    }
    return seconds * 1000;
}
