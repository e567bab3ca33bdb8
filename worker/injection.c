/*
 * Prompt-injection detection. The text is folded into a normalised copy (ASCII lower
 * case, one space per white-space run, no zero-width characters) with a map back to
 * the original bytes. A fixed table of POSIX extended regular expressions runs on it.
 * Obfuscation beyond that folding (spaced-out letters, homoglyphs from other scripts,
 * base64) is not detected.
 */
#include <locale.h>
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "worker/injection.h"

/*
 * A pattern counts only in a CV, because a project report may quote such text.
 * NOTE: a report that quotes injection examples to describe its own defences still has
 * the quoted lines of the other patterns removed and listed as suspicious.
 */
#define PAT_CV_ONLY 0x1
/* The pattern sets its own anchors, so no word boundaries are added around it. */
#define PAT_RAW 0x2
/* Compile with REG_NEWLINE, so ^ and $ match at line breaks. */
#define PAT_LINE 0x4
/* The match ends with punctuation or a tail of its own, so no boundary is added after it. */
#define PAT_OPEN_END 0x8

/* Maximum length in bytes of the block a role marker opens, if its end marker comes later. */
#define BLOCK_MAX_LEN 2000

/* The built-in patterns are compiled into fixed-size buffers of this many bytes. */
#define PATTERN_MAX_LEN 2048

enum reason {
    REASON_IGNORE = 0,
    REASON_ROLE,
    REASON_SYSTEM,
    REASON_SCORE,
    REASON_ADDRESS,
    REASON_CONCEAL,
    REASON_MARKER
};

static const char *const reason_texts[] = {
    "asks the evaluator to ignore its instructions",
    "tries to give the evaluator a new role",
    "targets the evaluator's system prompt",
    "asks for a particular score or outcome",
    "addresses an AI evaluator directly",
    "asks the evaluator to hide or shape its output",
    "contains chat role markers",
};

/* Word lists shared by several patterns. A space stands for one space or line break. */
#define QUAL_ANY                                                                         \
    "(the|all|any|of|my|these|those|such|previous|prior|above|earlier|system|given|"     \
    "other|current|existing|original|initial|your|every)"
#define QUAL_STRONG                                                                      \
    "(previous|prior|above|earlier|preceding|foregoing|former|existing|original|"        \
    "initial|system|your|all|any|every)"
#define RULES                                                                            \
    "(instructions?|prompts?|rules|directions?|guidelines|guidance|context|messages|"    \
    "constraints|commands|orders|programming|criteria|rubrics?)"
#define TARGET                                                                           \
    "(candidate|applicant|cv|resume|r\xc3\xa9sum\xc3\xa9|profile|submission|project|"    \
    "report|application|person|me|him|her|them)"
#define TOP_WORD "(perfect|maximum|max|highest|top|excellent|outstanding|full|best possible|best)"
#define SCORE_NOUN "(scores?|ratings?|marks?|grades?|points|evaluation|match rate|stars|review)"
/* A top number must end the clause or name what it counts: "give them 5 minutes" is fine. */
#define TOP_NUM                                                                          \
    "(5|five|10|ten|100|5/5|10/10|100/100|5 out of 5|10 out of 10|1\\.0)"                \
    "( " SCORE_NOUN "|[.!,;:)\"']|$)"
#define GIVE_TO                                                                          \
    "(me|us|him|her|them|this (candidate|applicant|cv|resume|person|project|report|"     \
    "submission)|the (candidate|applicant|cv|resume|project|report|submission))"

struct pattern {
    const char *core;   /* ERE on normalised text, spaces meaning [ \n] */
    enum reason reason;
    int         flags;  /* PAT_* */
    const char *block_end; /* NULL, "" = up to a blank line, or the closing marker */
};

static const struct pattern patterns[] = {
    /* Overriding the evaluator's instructions, in English and a few other languages. */
    {"(ignore|disregard|forget|override|overrule|bypass|discard|abandon|do not follow|"
     "don't follow|dont follow|stop following|no longer follow)( " QUAL_ANY ")* " QUAL_STRONG
     "( " QUAL_ANY ")* " RULES,
     REASON_IGNORE, 0, NULL},
    {"abaikan( (semua|seluruh|segala))? (instruksi|perintah|arahan|aturan|petunjuk)",
     REASON_IGNORE, 0, NULL},
    {"(ignoriere|ignorieren sie|vergiss|vergessen sie)( (alle|die|vorherigen|bisherigen|"
     "obigen|vorigen))* (anweisungen|instruktionen|befehle|regeln)",
     REASON_IGNORE, 0, NULL},
    {"(ignore[sz]?|oublie[sz]?)( (toutes|tous))?( (les|vos|tes))? (instructions|consignes)",
     REASON_IGNORE, 0, NULL},
    {"(ignora|olvida)( (todas|todos))?( (las|los))? (instrucciones|reglas)", REASON_IGNORE, 0,
     NULL},

    /* Giving the evaluator another role. */
    {"you are (now|no longer)", REASON_ROLE, 0, NULL},
    {"from now on,? (you|act|respond|answer|reply|rate|score|always|only)", REASON_ROLE, 0,
     NULL},
    {"pretend( that)? (to be|you are|you're)", REASON_ROLE, 0, NULL},
    /* "act as an AI engineer" is fine: the role must end the phrase or start a clause. */
    {"(act|behave|respond) as (an?|the|my|if you were) (ai|llm|gpt|chatbot|language model)"
     "( (evaluator|assistant|grader|recruiter|screener|judge|model))?( (and|that|who|which|"
     "with|to)|[.,:;!]|$)",
     REASON_ROLE, PAT_OPEN_END, NULL},
    {"(role ?play|role-play)( as| that you are)", REASON_ROLE, 0, NULL},
    {"your (new )?(role|task|job|goal|objective|purpose|persona) (is|will be) (now )?to",
     REASON_ROLE, PAT_CV_ONLY, NULL},
    {"new (instructions?|persona) ?:", REASON_ROLE, PAT_OPEN_END, NULL},
    {"(enter|switch to|activate|enable)( the)? (developer|dan|jailbreak|god|admin|debug|"
     "unrestricted) mode",
     REASON_ROLE, 0, NULL},

    /* The system prompt. */
    {"(reveal|print|show|repeat|leak|disclose|tell me|write out|output|display)( me)? your"
     "( [a-z]+)? (system prompt|system message|instructions|prompt|rules|guidelines)",
     REASON_SYSTEM, 0, NULL},
    {"(reveal|leak|disclose|expose)( the)? (system prompt|hidden prompt|system message|"
     "hidden instructions)",
     REASON_SYSTEM, 0, NULL},
    {"(new|updated|override|overriding|real|actual|true|secret|hidden) system (prompt|"
     "message|instructions?)",
     REASON_SYSTEM, PAT_CV_ONLY, NULL},
    {"system (prompt|message) ?:", REASON_SYSTEM, PAT_CV_ONLY | PAT_OPEN_END, NULL},
    {"(begin|end)( of)? (system|hidden|secret) (prompt|instructions?|message)",
     REASON_SYSTEM, 0, NULL},

    /* Asking for a score or an outcome. */
    {"(score|rate|grade|mark|rank|evaluate|assess)( this| the| my)? " TARGET
     "( as| with| at)?( an?| the)?( (score|rating|grade) of)? (" TOP_NUM "|" TOP_WORD
     "( " SCORE_NOUN ")?)",
     REASON_SCORE, PAT_OPEN_END, NULL},
    {"(give|assign|award|grant|provide)( " GIVE_TO ")?( an?| the)? " TOP_WORD
     "( possible)? " SCORE_NOUN,
     REASON_SCORE, 0, NULL},
    {"(give|assign|award|grant) " GIVE_TO "( an?| the)?( (score|rating|grade) of)? " TOP_NUM,
     REASON_SCORE, PAT_OPEN_END, NULL},
    {"(must|should|shall|will|needs? to|deserves? to|has to) (be|get|receive)( (rated|scored|"
     "graded|marked|ranked|given|assigned|awarded|evaluated))?( as)?( an?| the)? (" TOP_NUM
     "|" TOP_WORD "( possible)? " SCORE_NOUN ")",
     REASON_SCORE, PAT_OPEN_END, NULL},
    {"(cv match rate|project score|overall score|final score|match rate)\"?( ?(is|=|:|should "
     "be|must be|equals?|of))+ ?\"?(1|1\\.0+|100 ?%|5|5\\.0+|10|0\\.9[0-9]*)([^-0-9.a-z]|$)",
     REASON_SCORE, PAT_CV_ONLY | PAT_OPEN_END, NULL},
    {"(hire|select|shortlist|recommend|accept|approve) (this|the) (candidate|applicant|person) "
     "(immediately|regardless|without (further|any)|no matter)",
     REASON_SCORE, 0, NULL},
    {"(berikan|beri|kasih)( (saya|kandidat ini|dia))? (nilai|skor|rating|poin) (tertinggi|"
     "maksimal|maksimum|sempurna|5|10|100)",
     REASON_SCORE, 0, NULL},

    /*
     * Talking to the AI that reads the document. A salutation must end in punctuation,
     * because reports often write about "a message to the LLM".
     */
    {"(note|attention|hint|memo|ps|p\\.s\\.) (to|for) (the |any |all )?"
     "(ai|a\\.i\\.|llm|chatgpt|chat gpt|gpt|gemini|claude|language models?|large language "
     "models?|screening (system|tool|software|bot)|ats|applicant tracking system|recruiting "
     "(system|software|bot)|automated (system|evaluator|screener|reviewer|screening)|resume "
     "(parser|screener)|bots?|ai (evaluator|reviewer|screener|system|recruiter|assistant))"
     "( [a-z]+)? ?[:,!.-]",
     REASON_ADDRESS, PAT_OPEN_END, NULL},
    {"(dear|hey|hi|hello|attention|attn) (ai|llm|chatgpt|gpt|claude|gemini|language model|"
     "ai (evaluator|recruiter|screener|assistant|model)|bot|recruiting bot|screening bot)"
     "( [a-z]+)? ?[:,!.-]",
     REASON_ADDRESS, PAT_OPEN_END, NULL},
    {"(if|when) you are an? (ai|llm|language model|large language model|bot|automated "
     "(system|evaluator|screener|reviewer)|ai (evaluator|model|system|assistant|recruiter|"
     "screener))",
     REASON_ADDRESS, 0, NULL},
    {"as an? (ai|large) language model", REASON_ADDRESS, 0, NULL},

    /* Hiding the passage or dictating the output. */
    {"do not (mention|reveal|disclose|report|flag|tell|say|note|repeat|quote) (this|these|"
     "the above|that|the following)( (instruction|instructions|text|message|note|passage|"
     "line|lines|prompt|part))?",
     REASON_CONCEAL, 0, NULL},
    {"(respond|reply|answer|output|return) (only )?with (only )?(the )?(json|yes|the score|"
     "a score|score|rating)",
     REASON_CONCEAL, PAT_CV_ONLY, NULL},
    {"(respond|reply|answer|output) only (with|in|the)", REASON_CONCEAL, PAT_CV_ONLY, NULL},

    /* Chat-format role markers, which open a block up to their end marker. */
    /* Folding has turned the underscores of these markers into spaces. */
    {"<[|]im start[|]>", REASON_MARKER, PAT_RAW, "<|im end|>"},
    {"<[|]start header id[|]>", REASON_MARKER, PAT_RAW, "<|eot id|>"},
    {"<[|](system|user|assistant)[|]>", REASON_MARKER, PAT_RAW, "<|end|>"},
    {"<[|](im end|end|endoftext|eot id|end header id|begin of text)[|]>", REASON_MARKER,
     PAT_RAW, NULL},
    {"\\[inst\\]", REASON_MARKER, PAT_RAW, "[/inst]"},
    {"\\[/inst\\]", REASON_MARKER, PAT_RAW, NULL},
    {"<<sys>>", REASON_MARKER, PAT_RAW, "<</sys>>"},
    {"<</sys>>", REASON_MARKER, PAT_RAW, NULL},
    {"\\[(system|assistant|admin)( message| prompt)?\\]", REASON_MARKER, PAT_RAW, ""},
    /* Reports often show their own prompts under such headings, so these two are CV-only. */
    {"^#{1,6} ?(system|assistant|system prompt|system message)( ?:)?$", REASON_MARKER,
     PAT_RAW | PAT_LINE | PAT_CV_ONLY, ""},
    {"^(system|assistant|developer)( message| prompt)? ?: ?[^\n]*(you|ignore|score|rate "
     "this|instructions?|respond|answer with|output)",
     REASON_MARKER, PAT_RAW | PAT_LINE | PAT_CV_ONLY, NULL},
};

#define PATTERN_COUNT (sizeof(patterns) / sizeof(patterns[0]))

static regex_t        compiled[PATTERN_COUNT];
static pthread_once_t compile_once = PTHREAD_ONCE_INIT;
static int            compile_failed;
/* The C locale, so that [a-z] and byte matching never depend on the process locale. */
static locale_t       c_locale = (locale_t)0;

/* Normalised text and, for each of its bytes, the offset of its source character. */
struct folded {
    char   *text;  /* owned, NUL-terminated */
    size_t *src;   /* owned, len + 1 entries; src[len] = length of the original */
    size_t  len;
};

/* One matched passage as a byte range of the original text. */
struct span {
    size_t start;
    size_t end;       /* exclusive */
    size_t pattern;   /* index in patterns[], for the reason and a stable order */
};

struct span_list {
    struct span *items;  /* owned */
    size_t       count;
    size_t       cap;
};

/*
 * Expands a core pattern into a full ERE: each space becomes "[ \n]" so that matches
 * cross line breaks, and word boundaries are added unless the flags turn them off. The
 * core is subexpression 2 of the result.
 */
static int
expand_pattern(const struct pattern *pat, char *out, size_t out_len)
{
    const char *p;
    size_t      n = 0;
    int         is_raw = (pat->flags & PAT_RAW) != 0;
    const char *head = is_raw ? "()(" : "(^|[^a-z0-9])(";
    const char *tail = is_raw || (pat->flags & PAT_OPEN_END) ? ")" : ")([^a-z0-9]|$)";

    for (p = head; *p != '\0' && n + 1 < out_len; p++) {
        out[n++] = *p;
    }
    for (p = pat->core; *p != '\0'; p++) {
        if (*p == ' ') {
            if (n + 5 >= out_len) {
                return -1;
            }
            memcpy(out + n, "[ \n]", 4);
            n += 4;
        } else if (n + 1 < out_len) {
            out[n++] = *p;
        } else {
            return -1;
        }
    }
    for (p = tail; *p != '\0'; p++) {
        if (n + 1 >= out_len) {
            return -1;
        }
        out[n++] = *p;
    }
    out[n] = '\0';
    return 0;
}

static void
compile_patterns(void)
{
    char     source[PATTERN_MAX_LEN];
    size_t   i;
    int      cflags;
    locale_t previous;

    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (c_locale == (locale_t)0) {
        compile_failed = 1;
        return;
    }
    previous = uselocale(c_locale);
    for (i = 0; i < PATTERN_COUNT; i++) {
        cflags = REG_EXTENDED | ((patterns[i].flags & PAT_LINE) ? REG_NEWLINE : 0);
        if (expand_pattern(&patterns[i], source, sizeof(source)) != 0 ||
            regcomp(&compiled[i], source, cflags) != 0) {
            compile_failed = 1;
            break;
        }
    }
    (void)uselocale(previous); /* previous came from uselocale(), so restoring cannot fail */
}

/*
 * Decodes the UTF-8 character at p into *cp and returns its length. An invalid byte
 * gives length 1 and *cp = -1.
 */
static size_t
decode_utf8(const unsigned char *p, size_t avail, long *cp)
{
    size_t len;
    size_t i;
    long   value;

    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        len = 2, value = p[0] & 0x1F;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        len = 3, value = p[0] & 0x0F;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        len = 4, value = p[0] & 0x07;
    } else {
        *cp = -1;
        return 1;
    }
    if (len > avail) {
        *cp = -1;
        return 1;
    }
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *cp = -1;
            return 1;
        }
        value = (value << 6) | (p[i] & 0x3F);
    }
    *cp = value;
    return len;
}

/* Returns the ASCII character a code point folds to, ' ' for space, 0 to drop, -1 to keep. */
static int
fold_char(long cp)
{
    if (cp < 0) {
        return '?';
    }
    if (cp < 0x80) {
        if (cp >= 'A' && cp <= 'Z') {
            return (int)(cp - 'A' + 'a');
        }
        if (cp == '\n') {
            return '\n';
        }
        if (cp == '_' || cp < 0x20 || cp == 0x7F) {
            return ' ';
        }
        return (int)cp;
    }
    if (cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F ||
        cp == 0x205F || cp == 0x3000 || cp == 0x2028 || cp == 0x2029) {
        return ' ';
    }
    if ((cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF || cp == 0xAD) {
        return 0;
    }
    if (cp == 0x2018 || cp == 0x2019 || cp == 0x201B || cp == 0x2032) {
        return '\'';
    }
    if (cp == 0x201C || cp == 0x201D) {
        return '"';
    }
    if ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212) {
        return '-';
    }
    if (cp >= 0xFF01 && cp <= 0xFF5E) {
        return fold_char(cp - 0xFEE0);
    }
    return -1;
}

/* Appends one folded byte. A white-space run becomes one space or at most two line breaks. */
static void
push_folded(struct folded *f, char c, size_t src)
{
    char last = f->len > 0 ? f->text[f->len - 1] : '\n';
    char before = f->len > 1 ? f->text[f->len - 2] : '\n';

    if (c == ' ' || c == '\n') {
        if (last == ' ') {
            if (c == '\n') {
                f->text[f->len - 1] = '\n';
            }
            return;
        }
        if (last == '\n' && (c == ' ' || before == '\n')) {
            return;
        }
    }
    f->text[f->len] = c;
    f->src[f->len] = src;
    f->len++;
}

static enum cv_err
fold_text(const char *text, size_t text_len, struct folded *f)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t               i = 0;
    size_t               n;
    size_t               k;
    long                 cp;
    int                  c;

    /* Folding never makes text longer: each character yields at most its own bytes. */
    f->text = malloc(text_len + 1);
    f->src = malloc((text_len + 1) * sizeof(*f->src));
    f->len = 0;
    if (f->text == NULL || f->src == NULL) {
        return CV_ENOMEM;
    }
    while (i < text_len) {
        n = decode_utf8(p + i, text_len - i, &cp);
        c = fold_char(cp);
        if (c > 0) {
            push_folded(f, (char)c, i);
        } else if (c < 0) {
            for (k = 0; k < n; k++) {
                push_folded(f, (char)p[i + k], i);
            }
        }
        i += n;
    }
    f->text[f->len] = '\0';
    f->src[f->len] = text_len;
    return CV_OK;
}

static int
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Returns whether a sentence ends just before pos: ".!?" then white space, or a CJK stop. */
static int
ends_sentence(const char *text, size_t len, size_t pos)
{
    if (pos >= 1 && (text[pos - 1] == '.' || text[pos - 1] == '!' || text[pos - 1] == '?')) {
        return pos == len || is_space(text[pos]);
    }
    /* U+3002, U+FF01 and U+FF1F: ideographic full stop, full-width ! and ? */
    return pos >= 3 && (memcmp(text + pos - 3, "\xe3\x80\x82", 3) == 0 ||
                        memcmp(text + pos - 3, "\xef\xbc\x81", 3) == 0 ||
                        memcmp(text + pos - 3, "\xef\xbc\x9f", 3) == 0);
}

/* Widens [*start, *end) to the sentence pieces around it, never past a line break. */
static void
widen_to_sentence(const char *text, size_t len, size_t *start, size_t *end)
{
    size_t s = *start;
    size_t e = *end;

    while (s > 0 && text[s - 1] != '\n' && !ends_sentence(text, len, s)) {
        s--;
    }
    while (e < len && text[e] != '\n' && !ends_sentence(text, len, e)) {
        e++;
    }
    *start = s;
    *end = e;
}

/*
 * Returns the end, in the folded text, of the block a role marker opens: the end of
 * its closing marker, or else the next blank line, at most BLOCK_MAX_LEN bytes on.
 */
static size_t
block_end(const struct folded *f, size_t from, const char *closing)
{
    size_t      limit = f->len - from > BLOCK_MAX_LEN ? from + BLOCK_MAX_LEN : f->len;
    const char *hit;
    size_t      i;

    if (closing[0] != '\0') {
        hit = strstr(f->text + from, closing);
        if (hit != NULL && (size_t)(hit - f->text) + strlen(closing) <= limit) {
            return (size_t)(hit - f->text) + strlen(closing);
        }
    }
    for (i = from; i + 1 < limit; i++) {
        if (f->text[i] == '\n' && f->text[i + 1] == '\n') {
            return i;
        }
    }
    return limit;
}

static enum cv_err
add_span(struct span_list *list, size_t start, size_t end, size_t pattern)
{
    struct span *grown;
    size_t       cap;

    if (list->count == list->cap) {
        cap = list->cap == 0 ? 16 : list->cap * 2;
        grown = realloc(list->items, cap * sizeof(*grown));
        if (grown == NULL) {
            return CV_ENOMEM;
        }
        list->items = grown;
        list->cap = cap;
    }
    list->items[list->count].start = start;
    list->items[list->count].end = end;
    list->items[list->count].pattern = pattern;
    list->count++;
    return CV_OK;
}

/* Returns the byte just past the character that starts at text[pos]. */
static size_t
char_end(const char *text, size_t len, size_t pos)
{
    long cp;

    return pos + decode_utf8((const unsigned char *)text + pos, len - pos, &cp);
}

/* Finds every match of one pattern and records the passage around each. */
static enum cv_err
match_pattern(const char *text, size_t len, const struct folded *f, size_t index,
              struct span_list *list)
{
    const struct pattern *pat = &patterns[index];
    regmatch_t            m[3];
    size_t                from = 0;
    size_t                core_start;
    size_t                core_end;
    size_t                start;
    size_t                end;
    enum cv_err           rc = CV_OK;

    while (rc == CV_OK && from < f->len) {
        if (regexec(&compiled[index], f->text + from, 3, m, from > 0 ? REG_NOTBOL : 0) != 0) {
            break;
        }
        core_start = from + (size_t)m[2].rm_so;
        core_end = from + (size_t)m[2].rm_eo;
        if (core_end <= core_start) {
            from = core_start + 1;
            continue;
        }
        if (pat->block_end != NULL) {
            core_end = block_end(f, core_end, pat->block_end);
        }
        start = f->src[core_start];
        end = char_end(text, len, f->src[core_end - 1]);
        widen_to_sentence(text, len, &start, &end);
        rc = add_span(list, start, end, index);
        from = core_end;
    }
    return rc;
}

static int
compare_spans(const void *a, const void *b)
{
    const struct span *x = a;
    const struct span *y = b;

    if (x->start != y->start) {
        return x->start < y->start ? -1 : 1;
    }
    if (x->end != y->end) {
        return x->end < y->end ? -1 : 1;
    }
    return x->pattern < y->pattern ? -1 : (x->pattern > y->pattern ? 1 : 0);
}

/* Sorts spans and merges overlapping ones. A merged span keeps the reason of its first part. */
static void
merge_spans(struct span_list *list)
{
    size_t out = 0;
    size_t i;

    if (list->count == 0) {
        return;
    }
    qsort(list->items, list->count, sizeof(*list->items), compare_spans);
    for (i = 1; i < list->count; i++) {
        if (list->items[i].start <= list->items[out].end) {
            if (list->items[i].end > list->items[out].end) {
                list->items[out].end = list->items[i].end;
            }
        } else {
            list->items[++out] = list->items[i];
        }
    }
    list->count = out + 1;
}

/*
 * Writes a short, single-line excerpt of text[start, end) into out: white space
 * collapsed, control characters and invalid UTF-8 replaced, cut at a character
 * boundary with "..." when longer than WK_INJECTION_EXCERPT_MAX bytes.
 */
static void
write_excerpt(const char *text, size_t start, size_t end, char *out)
{
    const size_t keep = WK_INJECTION_EXCERPT_MAX - 3;
    size_t       n = 0;
    size_t       i = start;
    size_t       step;
    long         cp;
    int          is_cut = 0;

    while (i < end && is_space(text[i])) {
        i++;
    }
    while (i < end) {
        step = decode_utf8((const unsigned char *)text + i, end - i, &cp);
        if (cp <= 0x20 || cp == 0x7F) {
            if (n > 0 && out[n - 1] != ' ' && n < keep) {
                out[n++] = ' ';
            }
        } else if (n + step > keep) {
            is_cut = 1;
            break;
        } else {
            memcpy(out + n, text + i, step);
            n += step;
        }
        i += step;
    }
    while (n > 0 && out[n - 1] == ' ') {
        n--;
    }
    if (is_cut) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

/* Builds the report entries for the merged spans, at most WK_INJECTION_REPORT_MAX. */
static cJSON *
build_report(const char *text, const struct span_list *list, const char *document)
{
    char   excerpt[WK_INJECTION_EXCERPT_MAX + 1];
    cJSON *entries;
    cJSON *entry;
    size_t i;

    entries = cJSON_CreateArray();
    for (i = 0; entries != NULL && i < list->count && i < WK_INJECTION_REPORT_MAX; i++) {
        write_excerpt(text, list->items[i].start, list->items[i].end, excerpt);
        entry = cJSON_CreateObject();
        if (entry == NULL || cJSON_AddStringToObject(entry, "document", document) == NULL ||
            cJSON_AddStringToObject(entry, "excerpt", excerpt) == NULL ||
            cJSON_AddStringToObject(entry, "reason",
                                    reason_texts[patterns[list->items[i].pattern].reason]) ==
                NULL) {
            cJSON_Delete(entry);
            cJSON_Delete(entries);
            return NULL;
        }
        cJSON_AddItemToArray(entries, entry);
    }
    return entries;
}

/*
 * Copies text without the spans. A span that filled whole lines goes with its final
 * line break. A span between two non-space characters is replaced by a line break if
 * it contained one, else by a space, so that words never merge.
 */
static char *
build_cleaned(const char *text, size_t len, const struct span_list *list)
{
    const struct span *span;
    char              *out;
    size_t             n = 0;
    size_t             pos = 0;
    size_t             i;

    out = malloc(len + 1);
    if (out == NULL) {
        return NULL;
    }
    for (i = 0; i < list->count; i++) {
        span = &list->items[i];
        memcpy(out + n, text + pos, span->start - pos);
        n += span->start - pos;
        if (n > 0 && !is_space(out[n - 1]) && span->end < len && !is_space(text[span->end])) {
            out[n++] = memchr(text + span->start, '\n', span->end - span->start) != NULL ? '\n'
                                                                                        : ' ';
        }
        pos = span->end;
        if ((n == 0 || out[n - 1] == '\n') && pos < len && text[pos] == '\n') {
            pos++;
        }
    }
    memcpy(out + n, text + pos, len - pos);
    n += len - pos;
    out[n] = '\0';
    return out;
}

enum cv_err
wk_injection_scan(const char *text, const char *document, cJSON *found, char **cleaned)
{
    struct folded    f = {NULL, NULL, 0};
    struct span_list list = {NULL, 0, 0};
    cJSON           *entries = NULL;
    cJSON           *entry;
    size_t           len;
    size_t           i;
    int              is_cv;
    locale_t         previous;
    enum cv_err      rc = CV_OK;

    if (cleaned != NULL) {
        *cleaned = NULL;
    }
    if (text == NULL || document == NULL || found == NULL || cleaned == NULL ||
        (strcmp(document, "cv") != 0 && strcmp(document, "project") != 0)) {
        return CV_EINVAL;
    }
    if (pthread_once(&compile_once, compile_patterns) != 0 || compile_failed) {
        return CV_EINTERNAL;
    }
    is_cv = strcmp(document, "cv") == 0;
    len = strlen(text);

    rc = fold_text(text, len, &f);
    previous = uselocale(c_locale);
    for (i = 0; rc == CV_OK && i < PATTERN_COUNT; i++) {
        if ((patterns[i].flags & PAT_CV_ONLY) == 0 || is_cv) {
            rc = match_pattern(text, len, &f, i, &list);
        }
    }
    (void)uselocale(previous); /* restores the caller's locale, which cannot fail */
    if (rc != CV_OK) {
        goto out;
    }
    merge_spans(&list);

    entries = build_report(text, &list, document);
    *cleaned = build_cleaned(text, len, &list);
    if (entries == NULL || *cleaned == NULL) {
        free(*cleaned);
        *cleaned = NULL;
        rc = CV_ENOMEM;
        goto out;
    }
    /* Moves the entries into found only now, so that a failure leaves found unchanged. */
    while (cJSON_GetArraySize(entries) > 0) {
        entry = cJSON_DetachItemFromArray(entries, 0);
        cJSON_AddItemToArray(found, entry);
    }
out:
    cJSON_Delete(entries);
    free(list.items);
    free(f.text);
    free(f.src);
    return rc;
}
