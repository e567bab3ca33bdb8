/*
 * DOCX text through libzip (opened over the caller's memory) and libxml2's streaming
 * reader, so no part is ever inflated whole into memory. Output order: headers, body,
 * footnotes, endnotes, footers. Comments, tracked deletions, field codes and drawing
 * properties are left out. Reads WordprocessingML in both the transitional and the
 * ISO/IEC 29500 Strict namespaces.
 *
 * libxml2 (2.9.14 here) is run without XML_PARSE_NOENT, DTDLOAD, DTDATTR, DTDVALID,
 * XINCLUDE and HUGE, with NONET, and any part carrying a DTD is rejected: DOCX parts
 * never have one, so no entity can be declared, expanded or fetched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlreader.h>
#include <zip.h>

#include "common/clock.h"
#include "common/extract_formats.h"
#include "common/extract_norm.h"

/* Header, footer and note parts read; Word writes at most 3 headers and 3 footers a section. */
#define DOCX_MAX_SIDE_PARTS 32

/* Part names longer than this are ignored; Word's are under 30 bytes. */
#define DOCX_PART_NAME_MAX 128

/* XML nodes read between two deadline checks. */
#define DOCX_NODES_PER_CLOCK_CHECK 4096

/* Nesting of mc:AlternateContent tracked; deeper ones take no branch at all. */
#define DOCX_MAX_ALTERNATE_DEPTH 32

/* Nesting of table cells and text boxes tracked; deeper ones count as the innermost. */
#define DOCX_MAX_CONTAINER_DEPTH 64

static const char main_part[] = "word/document.xml";
static const char rels_part[] = "word/_rels/document.xml.rels";

static const char *const wml_namespaces[] = {
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
};
static const char math_namespace[] = "http://schemas.openxmlformats.org/officeDocument/2006/math";
static const char mc_namespace[] = "http://schemas.openxmlformats.org/markup-compatibility/2006";
static const char rels_namespace[] = "http://schemas.openxmlformats.org/package/2006/relationships";

/* WordprocessingML elements whose whole subtree carries no document text. */
static const char *const skipped_elements[] = {
    "pPr", "rPr", "sectPr", "tblPr", "tblGrid", "trPr", "tcPr", "sdtPr", "del", "delText",
    "instrText", "moveFrom", "commentReference", "footnoteReference", "endnoteReference",
    "fldData", "bookmarkStart", "bookmarkEnd",
};

enum side_kind {
    SIDE_HEADER = 0,
    SIDE_FOOTNOTES,
    SIDE_ENDNOTES,
    SIDE_FOOTER,
};

struct side_part {
    enum side_kind kind;
    char           name[DOCX_PART_NAME_MAX];
};

/* One DOCX being read. */
struct docx {
    zip_t                          *za;          /* owned */
    const struct cv_extract_limits *limits;      /* borrowed */
    int64_t                         deadline_ms;
    struct side_part                sides[DOCX_MAX_SIDE_PARTS];
    size_t                          side_count;
    uint64_t                        side_hashes[DOCX_MAX_SIDE_PARTS]; /* texts already written */
    size_t                          hash_count;
    char                           *errbuf;      /* borrowed */
    size_t                          errbuf_len;
    const char                     *parser_limit; /* first libxml2 limit hit, or NULL */
};

/* Input of one part for libxml2: a zip entry read in pieces, counted against the limit. */
struct part_input {
    zip_file_t *zf;             /* owned by the caller of the reader */
    size_t      inflated_len;   /* bytes handed to libxml2 so far */
    size_t      max_len;
    int64_t     deadline_ms;
    enum cv_err rc;             /* why reading stopped, CV_OK while it goes on */
};

/* A table cell or text box that the walk is inside. */
struct container {
    char kind;       /* 'c' = table cell, 'x' = text box */
    char has_text;   /* text was written in it */
    char gap;        /* a paragraph ended in it and no text followed yet */
};

/* State of the walk over one part's elements. */
struct walk {
    struct cv_extract_norm *norm;                              /* borrowed */
    int              in_text;                                  /* inside w:t or m:t */
    struct container containers[DOCX_MAX_CONTAINER_DEPTH];
    int              container_depth;
    char             alternate_taken[DOCX_MAX_ALTERNATE_DEPTH];
    int              alternate_depth;
    long             node_count;
};

/* Keeps libxml2's errors off stderr and records in docx the first limit one hit. */
static void
note_xml_error(void *data, xmlErrorPtr error)
{
    struct docx *docx = data;
    const char  *message;

    /*
     * libxml2 2.9 has no error code of its own for its size limits (active because
     * XML_PARSE_HUGE is off), so they are matched by code and by the start of the
     * message, which quotes nothing from the document. Only the first error counts.
     */
    if (docx->parser_limit != NULL || error == NULL || error->domain != XML_FROM_PARSER ||
        error->message == NULL) {
        return;
    }
    message = error->message;
    if (error->code == XML_ERR_NO_MEMORY &&
        strncmp(message, "xmlSAX2Characters: huge text node",
                strlen("xmlSAX2Characters: huge text node")) == 0) {
        docx->parser_limit = "a text run longer than 10 MB";
    } else if (error->code == XML_ERR_INTERNAL_ERROR &&
               strncmp(message, "Excessive depth in document",
                       strlen("Excessive depth in document")) == 0) {
        docx->parser_limit = "elements nested deeper than 256";
    }
}

static int
read_part(void *context, char *buffer, int len)
{
    struct part_input *in = context;
    zip_int64_t        n;

    if (cv_clock_mono_ms() >= in->deadline_ms) {
        in->rc = CV_ETIMEOUT;
        return -1;
    }
    n = zip_fread(in->zf, buffer, (zip_uint64_t)len);
    if (n < 0) {
        in->rc = CV_EUNREADABLE;
        return -1;
    }
    /* The declared size is never trusted: the count of bytes actually inflated is. */
    if ((size_t)n > in->max_len - in->inflated_len) {
        in->rc = CV_ETOOLARGE;
        return -1;
    }
    in->inflated_len += (size_t)n;
    return (int)n;
}

static int
close_part(void *context)
{
    (void)context;
    return 0;
}

static int
is_wml(const xmlChar *ns)
{
    size_t i;

    if (ns == NULL) {
        return 0;
    }
    for (i = 0; i < sizeof(wml_namespaces) / sizeof(wml_namespaces[0]); i++) {
        if (strcmp((const char *)ns, wml_namespaces[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int
is_ns(const xmlChar *ns, const char *uri)
{
    return ns != NULL && strcmp((const char *)ns, uri) == 0;
}

static int
is_skipped(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(skipped_elements) / sizeof(skipped_elements[0]); i++) {
        if (strcmp(name, skipped_elements[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/*
 * Returns the innermost container, or NULL outside any. Past the tracked depth it
 * returns the deepest tracked one.
 */
static struct container *
innermost(struct walk *walk)
{
    if (walk->container_depth == 0) {
        return NULL;
    }
    if (walk->container_depth > DOCX_MAX_CONTAINER_DEPTH) {
        return &walk->containers[DOCX_MAX_CONTAINER_DEPTH - 1];
    }
    return &walk->containers[walk->container_depth - 1];
}

static int
in_cell(struct walk *walk)
{
    struct container *top = innermost(walk);

    return top != NULL && top->kind == 'c';
}

/* Feeds text, first writing the space that stands for a paragraph break inside a cell. */
static enum cv_err
emit(struct walk *walk, const char *text, size_t len)
{
    struct container *top = innermost(walk);
    enum cv_err       rc;

    if (top != NULL && top->kind == 'c') {
        if (top->gap && top->has_text) {
            rc = cv_extract_norm_feed(walk->norm, " ", 1);
            if (rc != CV_OK) {
                return rc;
            }
        }
        top->gap = 0;
        top->has_text = 1;
    }
    return cv_extract_norm_feed(walk->norm, text, len);
}

/* Enters a cell or text box; content nested in a cell is set off from the cell's text. */
static enum cv_err
push_container(struct walk *walk, char kind)
{
    struct container *top = innermost(walk);
    enum cv_err       rc = CV_OK;

    if (top != NULL && top->kind == 'c' && top->has_text) {
        rc = emit(walk, " ", 1);
    }
    if (walk->container_depth < DOCX_MAX_CONTAINER_DEPTH) {
        struct container *fresh = &walk->containers[walk->container_depth];

        fresh->kind = kind;
        fresh->has_text = 0;
        fresh->gap = 0;
    }
    walk->container_depth++;
    return rc;
}

static void
pop_container(struct walk *walk)
{
    if (walk->container_depth > 0) {
        walk->container_depth--;
    }
}

/* A paragraph ends a line, except in a table cell, where the row must stay on one line. */
static enum cv_err
end_paragraph(struct walk *walk)
{
    if (in_cell(walk)) {
        innermost(walk)->gap = 1;
        return CV_OK;
    }
    return cv_extract_norm_newline(walk->norm);
}

/*
 * Chooses the branch of mc:AlternateContent to read: the first mc:Choice, or the
 * mc:Fallback when there is no Choice. Returns 1 to read the element, 0 to skip it.
 */
static int
take_alternate(struct walk *walk, const char *name)
{
    int top = walk->alternate_depth - 1;

    if (top < 0 || top >= DOCX_MAX_ALTERNATE_DEPTH || walk->alternate_taken[top]) {
        return 0;
    }
    if (strcmp(name, "Choice") == 0 || strcmp(name, "Fallback") == 0) {
        walk->alternate_taken[top] = 1;
        return 1;
    }
    return 0;
}

/*
 * Handles the start of an element. Sets *skip when its subtree must be passed over.
 * is_empty elements (<w:tab/>) get their end handling here too, as no end node follows.
 */
static enum cv_err
start_element(struct walk *walk, const xmlChar *ns, const char *name, int is_empty, int *skip)
{
    enum cv_err rc = CV_OK;

    *skip = 0;
    if (is_ns(ns, mc_namespace)) {
        if (strcmp(name, "AlternateContent") == 0) {
            if (!is_empty) {
                if (walk->alternate_depth < DOCX_MAX_ALTERNATE_DEPTH) {
                    walk->alternate_taken[walk->alternate_depth] = 0;
                }
                walk->alternate_depth++;
            }
        } else {
            *skip = !take_alternate(walk, name);
        }
        return CV_OK;
    }
    if (is_ns(ns, math_namespace)) {
        walk->in_text = strcmp(name, "t") == 0 && !is_empty;
        return CV_OK;
    }
    if (!is_wml(ns)) {
        return CV_OK;
    }

    if (is_skipped(name)) {
        *skip = !is_empty;
    } else if (strcmp(name, "t") == 0) {
        walk->in_text = !is_empty;
    } else if (strcmp(name, "tab") == 0 || strcmp(name, "ptab") == 0) {
        rc = emit(walk, "\t", 1);
    } else if (strcmp(name, "br") == 0 || strcmp(name, "cr") == 0) {
        rc = in_cell(walk) ? emit(walk, " ", 1) : cv_extract_norm_newline(walk->norm);
    } else if (strcmp(name, "noBreakHyphen") == 0) {
        rc = emit(walk, "-", 1);
    } else if (strcmp(name, "p") == 0 && is_empty) {
        rc = end_paragraph(walk);
    } else if (strcmp(name, "tc") == 0 && !is_empty) {
        rc = push_container(walk, 'c');
    } else if (strcmp(name, "txbxContent") == 0 && !is_empty) {
        rc = push_container(walk, 'x');
    } else if (strcmp(name, "tc") == 0) {
        rc = cv_extract_norm_feed(walk->norm, "\t", 1);
    }
    return rc;
}

static enum cv_err
end_element(struct walk *walk, const xmlChar *ns, const char *name)
{
    if (is_ns(ns, mc_namespace)) {
        if (strcmp(name, "AlternateContent") == 0 && walk->alternate_depth > 0) {
            walk->alternate_depth--;
        }
        return CV_OK;
    }
    if (is_ns(ns, math_namespace)) {
        walk->in_text = 0;
        return CV_OK;
    }
    if (!is_wml(ns)) {
        return CV_OK;
    }
    if (strcmp(name, "t") == 0) {
        walk->in_text = 0;
    } else if (strcmp(name, "p") == 0) {
        return end_paragraph(walk);
    } else if (strcmp(name, "tc") == 0) {
        pop_container(walk);
        /* Cells are separated by a tab; the one after the last cell ends with the row. */
        return cv_extract_norm_feed(walk->norm, "\t", 1);
    } else if (strcmp(name, "txbxContent") == 0) {
        pop_container(walk);
        return cv_extract_norm_newline(walk->norm);
    } else if (strcmp(name, "tr") == 0) {
        /* NOTE: rows of a table nested in a cell end lines too, splitting the outer row. */
        return cv_extract_norm_newline(walk->norm);
    }
    return CV_OK;
}

/*
 * Returns the error for a part that libxml2 stopped reading: CV_ETOOLARGE when it
 * stopped at a text node over 10 MB or nesting deeper than 256 (see note_xml_error()),
 * and CV_EUNREADABLE otherwise, other libxml2 limits included.
 */
static enum cv_err
parse_failure(struct docx *docx, const char *part)
{
    if (docx->parser_limit != NULL) {
        return cv_extract_fail(CV_ETOOLARGE, docx->errbuf, docx->errbuf_len,
                               "DOCX part %s exceeds the XML parser's limits: %s", part,
                               docx->parser_limit);
    }
    return cv_extract_fail(CV_EUNREADABLE, docx->errbuf, docx->errbuf_len,
                           "DOCX part %s is not well-formed XML", part);
}

/*
 * Walks the elements of one part and feeds its text to norm. Returns CV_OK, the
 * normaliser's CV_ETOOLARGE or CV_ENOMEM, CV_ETIMEOUT, or CV_EUNREADABLE for XML that
 * is not well-formed or carries a DTD (with the reason in errbuf).
 */
static enum cv_err
walk_part(struct docx *docx, xmlTextReaderPtr reader, const char *part,
          struct cv_extract_norm *norm)
{
    struct walk walk;
    int         ret;
    int         type;
    int         skip;
    enum cv_err rc = CV_OK;

    memset(&walk, 0, sizeof(walk));
    walk.norm = norm;
    ret = xmlTextReaderRead(reader);
    while (ret == 1 && rc == CV_OK) {
        const xmlChar *ns = xmlTextReaderConstNamespaceUri(reader);
        const xmlChar *local = xmlTextReaderConstLocalName(reader);
        const char    *name = local != NULL ? (const char *)local : "";

        if (++walk.node_count % DOCX_NODES_PER_CLOCK_CHECK == 0 &&
            cv_clock_mono_ms() >= docx->deadline_ms) {
            return CV_ETIMEOUT;
        }
        type = xmlTextReaderNodeType(reader);
        skip = 0;
        switch (type) {
        case XML_READER_TYPE_DOCUMENT_TYPE:
            return cv_extract_fail(CV_EUNREADABLE, docx->errbuf, docx->errbuf_len,
                                   "DOCX part %s has a document type declaration, which DOCX "
                                   "never uses", part);
        case XML_READER_TYPE_ELEMENT:
            rc = start_element(&walk, ns, name, xmlTextReaderIsEmptyElement(reader) == 1, &skip);
            break;
        case XML_READER_TYPE_END_ELEMENT:
            rc = end_element(&walk, ns, name);
            break;
        case XML_READER_TYPE_TEXT:
        case XML_READER_TYPE_CDATA:
        case XML_READER_TYPE_WHITESPACE:
        case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
            if (walk.in_text) {
                const xmlChar *value = xmlTextReaderConstValue(reader);

                if (value != NULL) {
                    rc = emit(&walk, (const char *)value, strlen((const char *)value));
                }
            }
            break;
        default:
            break;
        }
        ret = skip ? xmlTextReaderNext(reader) : xmlTextReaderRead(reader);
    }
    if (rc != CV_OK) {
        return rc;
    }
    if (ret < 0) {
        return parse_failure(docx, part);
    }
    return CV_OK;
}

/*
 * Opens the named part and runs fn over it with libxml2's streaming reader. Returns
 * CV_ENOTFOUND when the archive has no such part; other codes as walk_part().
 */
static enum cv_err
with_part(struct docx *docx, const char *part,
          enum cv_err (*fn)(struct docx *, xmlTextReaderPtr, const char *, void *), void *arg)
{
    struct part_input in;
    xmlTextReaderPtr  reader = NULL;
    zip_int64_t       index;
    enum cv_err       rc;

    memset(&in, 0, sizeof(in));
    in.max_len = docx->limits->docx_max_uncompressed_bytes;
    in.deadline_ms = docx->deadline_ms;

    index = zip_name_locate(docx->za, part, ZIP_FL_NOCASE);
    if (index < 0) {
        return CV_ENOTFOUND;
    }
    in.zf = zip_fopen_index(docx->za, (zip_uint64_t)index, 0);
    if (in.zf == NULL) {
        return cv_extract_fail(CV_EUNREADABLE, docx->errbuf, docx->errbuf_len,
                               "cannot read DOCX part %s: %s", part,
                               zip_error_strerror(zip_get_error(docx->za)));
    }

    /*
     * NONET: never fetch anything. NOERROR and NOWARNING keep libxml2 off stderr. No
     * NOENT, DTDLOAD or HUGE: entities stay unexpanded and the default size limits hold.
     */
    docx->parser_limit = NULL;
    reader = xmlReaderForIO(read_part, close_part, &in, part, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (reader == NULL) {
        rc = in.rc != CV_OK ? in.rc : CV_ENOMEM;
        goto out;
    }
    xmlTextReaderSetStructuredErrorHandler(reader, note_xml_error, docx);

    rc = fn(docx, reader, part, arg);

    /* A failed read shows up as bad XML; the real cause is the one the input recorded. */
    if (in.rc != CV_OK) {
        rc = in.rc;
    }
out:
    xmlFreeTextReader(reader);
    zip_fclose(in.zf);
    if (rc == CV_ETOOLARGE && in.rc == CV_ETOOLARGE) {
        rc = cv_extract_fail(rc, docx->errbuf, docx->errbuf_len,
                             "DOCX part %s inflates to more than the limit of %zu bytes", part,
                             in.max_len);
    } else if (rc == CV_EUNREADABLE && in.rc == CV_EUNREADABLE) {
        rc = cv_extract_fail(rc, docx->errbuf, docx->errbuf_len,
                             "cannot inflate DOCX part %s: the zip data is damaged", part);
    }
    return rc;
}

static enum cv_err
walk_into(struct docx *docx, xmlTextReaderPtr reader, const char *part, void *arg)
{
    return walk_part(docx, reader, part, arg);
}

/* Turns a relationship target into a part name: "header1.xml" -> "word/header1.xml". */
static int
resolve_target(const char *target, char *name, size_t name_len)
{
    int n;

    if (strstr(target, "..") != NULL || strchr(target, ':') != NULL) {
        return 0;   /* outside word/ or a URI: never a header Word itself writes */
    }
    if (target[0] == '/') {
        n = snprintf(name, name_len, "%s", target + 1);
    } else {
        n = snprintf(name, name_len, "word/%s", target);
    }
    return n > 0 && (size_t)n < name_len;
}

static int
side_kind_of(const char *type, enum side_kind *kind)
{
    static const struct {
        const char    *suffix;
        enum side_kind kind;
    } kinds[] = {
        { "/header", SIDE_HEADER },
        { "/footnotes", SIDE_FOOTNOTES },
        { "/endnotes", SIDE_ENDNOTES },
        { "/footer", SIDE_FOOTER },
    };
    size_t type_len = strlen(type);
    size_t i;

    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        size_t n = strlen(kinds[i].suffix);

        if (type_len > n && strcmp(type + type_len - n, kinds[i].suffix) == 0) {
            *kind = kinds[i].kind;
            return 1;
        }
    }
    return 0;
}

/* Records the header, footer and note parts that the main part's relationships name. */
static enum cv_err
collect_sides(struct docx *docx, xmlTextReaderPtr reader, const char *part, void *arg)
{
    int ret;

    (void)arg;
    while ((ret = xmlTextReaderRead(reader)) == 1) {
        xmlChar         *type;
        xmlChar         *target;
        xmlChar         *mode;
        enum side_kind   kind;
        struct side_part *side;

        if (xmlTextReaderNodeType(reader) == XML_READER_TYPE_DOCUMENT_TYPE) {
            return cv_extract_fail(CV_EUNREADABLE, docx->errbuf, docx->errbuf_len,
                                   "DOCX part %s has a document type declaration, which DOCX "
                                   "never uses", part);
        }
        if (xmlTextReaderNodeType(reader) != XML_READER_TYPE_ELEMENT ||
            !is_ns(xmlTextReaderConstNamespaceUri(reader), rels_namespace) ||
            strcmp((const char *)xmlTextReaderConstLocalName(reader), "Relationship") != 0 ||
            docx->side_count == DOCX_MAX_SIDE_PARTS) {
            continue;
        }
        type = xmlTextReaderGetAttribute(reader, (const xmlChar *)"Type");
        target = xmlTextReaderGetAttribute(reader, (const xmlChar *)"Target");
        mode = xmlTextReaderGetAttribute(reader, (const xmlChar *)"TargetMode");
        side = &docx->sides[docx->side_count];
        if (type != NULL && target != NULL && mode == NULL &&
            side_kind_of((const char *)type, &kind) &&
            resolve_target((const char *)target, side->name, sizeof(side->name))) {
            side->kind = kind;
            docx->side_count++;
        }
        xmlFree(type);
        xmlFree(target);
        xmlFree(mode);
    }
    if (ret < 0) {
        return cv_extract_fail(CV_EUNREADABLE, docx->errbuf, docx->errbuf_len,
                               "DOCX part %s is not well-formed XML", part);
    }
    return CV_OK;
}

/* Sorts by kind, then by name, so header1 comes before header2 whatever the rels order. */
static int
compare_sides(const void *a, const void *b)
{
    const struct side_part *x = a;
    const struct side_part *y = b;

    if (x->kind != y->kind) {
        return (int)x->kind - (int)y->kind;
    }
    return strcmp(x->name, y->name);
}

static uint64_t
hash_text(const char *text, size_t len)
{
    uint64_t hash = 1469598103934665603ULL;   /* FNV-1a, 64 bit */
    size_t   i;

    for (i = 0; i < len; i++) {
        hash ^= (unsigned char)text[i];
        hash *= 1099511628211ULL;
    }
    return hash;
}

/*
 * Writes the text of one header, footer or notes part, unless an earlier part had the
 * same text: a section's first-page, even and default headers are often identical.
 */
static enum cv_err
write_side(struct docx *docx, const char *part, struct cv_extract_norm *norm)
{
    struct cv_buf          text;
    struct cv_extract_norm side_norm;
    uint64_t               hash;
    size_t                 i;
    enum cv_err            rc;

    cv_buf_init(&text, norm->out->max_len);
    cv_extract_norm_init(&side_norm, &text);
    rc = with_part(docx, part, walk_into, &side_norm);
    if (rc == CV_ENOTFOUND) {
        rc = CV_OK;     /* a dangling relationship loses nothing that exists */
        goto out;
    }
    if (rc == CV_OK) {
        rc = cv_extract_norm_finish(&side_norm);
    }
    if (rc != CV_OK || text.len == 0) {
        goto out;
    }

    hash = hash_text(text.data, text.len);
    for (i = 0; i < docx->hash_count; i++) {
        if (docx->side_hashes[i] == hash) {
            goto out;
        }
    }
    if (docx->hash_count < DOCX_MAX_SIDE_PARTS) {
        docx->side_hashes[docx->hash_count++] = hash;
    }
    rc = cv_extract_norm_feed(norm, "\n\n", 2);
    if (rc == CV_OK) {
        rc = cv_extract_norm_feed(norm, text.data, text.len);
    }
    if (rc == CV_OK) {
        rc = cv_extract_norm_feed(norm, "\n\n", 2);
    }
out:
    cv_buf_cleanup(&text);
    return rc;
}

/* Writes every side part of the given kinds, in name order. */
static enum cv_err
write_sides(struct docx *docx, enum side_kind first, enum side_kind last,
            struct cv_extract_norm *norm)
{
    size_t      i;
    enum cv_err rc = CV_OK;

    for (i = 0; i < docx->side_count && rc == CV_OK; i++) {
        if (docx->sides[i].kind >= first && docx->sides[i].kind <= last) {
            rc = write_side(docx, docx->sides[i].name, norm);
        }
    }
    return rc;
}

/* Opens the archive over data without copying it. */
static enum cv_err
open_archive(struct docx *docx, const unsigned char *data, size_t len)
{
    zip_error_t   error;
    zip_source_t *src;
    zip_int64_t   entry_count;
    enum cv_err   rc;

    zip_error_init(&error);
    src = zip_source_buffer_create(data, len, 0, &error);
    if (src == NULL) {
        zip_error_fini(&error);
        return CV_ENOMEM;
    }
    docx->za = zip_open_from_source(src, ZIP_RDONLY, &error);
    if (docx->za == NULL) {
        zip_source_free(src);
        rc = cv_extract_fail(CV_EUNREADABLE, docx->errbuf, docx->errbuf_len,
                             "DOCX is not a readable zip archive: %s", zip_error_strerror(&error));
        zip_error_fini(&error);
        return rc;
    }
    zip_error_fini(&error);

    entry_count = zip_get_num_entries(docx->za, 0);
    if (entry_count > docx->limits->docx_max_entries) {
        return cv_extract_fail(CV_ETOOLARGE, docx->errbuf, docx->errbuf_len,
                               "DOCX zip archive has %lld entries, more than the limit of %ld",
                               (long long)entry_count, docx->limits->docx_max_entries);
    }
    return CV_OK;
}

enum cv_err
cv_extract_docx(const unsigned char *data, size_t len, const struct cv_extract_limits *limits,
                int64_t deadline_ms, struct cv_buf *out, char *errbuf, size_t errbuf_len)
{
    struct docx            docx;
    struct cv_extract_norm norm;
    enum cv_err            rc;

    if (errbuf != NULL && errbuf_len > 0) {
        errbuf[0] = '\0';
    }
    memset(&docx, 0, sizeof(docx));
    docx.limits = limits;
    docx.deadline_ms = deadline_ms;
    docx.errbuf = errbuf;
    docx.errbuf_len = errbuf_len;
    cv_extract_norm_init(&norm, out);
    xmlInitParser();

    rc = open_archive(&docx, data, len);
    if (rc != CV_OK) {
        goto out;
    }
    if (zip_name_locate(docx.za, main_part, ZIP_FL_NOCASE) < 0) {
        rc = cv_extract_fail(CV_EUNREADABLE, errbuf, errbuf_len,
                             "DOCX has no %s part, so it holds no document", main_part);
        goto out;
    }

    rc = with_part(&docx, rels_part, collect_sides, NULL);
    if (rc == CV_ENOTFOUND) {
        rc = CV_OK;     /* no relationships: no headers, footers or notes */
    }
    if (rc != CV_OK) {
        goto out;
    }
    qsort(docx.sides, docx.side_count, sizeof(docx.sides[0]), compare_sides);

    rc = write_sides(&docx, SIDE_HEADER, SIDE_HEADER, &norm);
    if (rc == CV_OK) {
        rc = with_part(&docx, main_part, walk_into, &norm);
    }
    if (rc == CV_OK) {
        rc = write_sides(&docx, SIDE_FOOTNOTES, SIDE_FOOTER, &norm);
    }
    if (rc == CV_OK) {
        rc = cv_extract_norm_finish(&norm);
    }
out:
    if (docx.za != NULL) {
        zip_discard(docx.za);
    }
    if (rc == CV_ETIMEOUT) {
        rc = cv_extract_fail(rc, errbuf, errbuf_len, "text extraction passed the limit of %ld ms",
                             limits->timeout_ms);
    } else if (rc == CV_ETOOLARGE && errbuf != NULL && errbuf_len > 0 && errbuf[0] == '\0') {
        rc = cv_extract_fail(rc, errbuf, errbuf_len,
                             "DOCX text is longer than the limit of %zu bytes", out->max_len);
    } else if (rc == CV_ENOTFOUND) {
        rc = cv_extract_fail(CV_EINTERNAL, errbuf, errbuf_len, "DOCX part vanished while reading");
    }
    return rc;
}
