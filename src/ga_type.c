
/*
 * Copyright (C) graph-attach authors
 */


#include <stdint.h>
#include <string.h>

#include "ga_type.h"


typedef struct {
    const char  *type;            /* "type/subtype", lower case */
    const char  *ext;
} ga_type_ext_t;


static int ga_type_tchar(u_char c);
static const u_char *ga_type_charset(const u_char *p, const u_char *last,
    size_t *len);
static const u_char *ga_type_quoted(const u_char *p, const u_char *last);
static int ga_type_eq(const u_char *p, size_t len, const char *lc,
    size_t lc_len);


/*
 * RFC 9110 tchar: "!#$%&'*+-.^_`|~", digits and letters.  One bit per
 * byte, as ngx_escape_uri() keeps its tables.
 */

static const uint32_t  ga_type_tchars[8] = {
    0x00000000,  /* 0x00-0x1f */
    0x03ff6cfa,  /* 0x20-0x3f: ! # $ % & ' * + - . 0-9 */
    0xc7fffffe,  /* 0x40-0x5f: A-Z ^ _ */
    0x57ffffff,  /* 0x60-0x7f: ` a-z | ~ */
    0x00000000,  /* 0x80-0xff */
    0x00000000,
    0x00000000,
    0x00000000
};


/*
 * What Windows and the common browsers' type maps associate with each
 * type, so that an attachment named from its type opens in the usual
 * application.  Nothing here may be on ga_name_default_deny (a unit test
 * checks it).
 */

static const ga_type_ext_t  ga_type_exts[] = {
    { "application/pdf", "pdf" },
    { "application/x-pdf", "pdf" },
    { "application/rtf", "rtf" },
    { "text/rtf", "rtf" },
    { "application/msword", "doc" },
    { "application/vnd.ms-excel", "xls" },
    { "application/vnd.ms-powerpoint", "ppt" },
    { "application/vnd.ms-outlook", "msg" },
    { "application/vnd.openxmlformats-officedocument"
      ".wordprocessingml.document", "docx" },
    { "application/vnd.openxmlformats-officedocument"
      ".spreadsheetml.sheet", "xlsx" },
    { "application/vnd.openxmlformats-officedocument"
      ".presentationml.presentation", "pptx" },
    { "application/vnd.oasis.opendocument.text", "odt" },
    { "application/vnd.oasis.opendocument.spreadsheet", "ods" },
    { "application/vnd.oasis.opendocument.presentation", "odp" },
    { "application/zip", "zip" },
    { "application/x-zip-compressed", "zip" },
    { "application/gzip", "gz" },
    { "application/x-gzip", "gz" },
    { "application/x-7z-compressed", "7z" },
    { "application/json", "json" },
    { "application/xml", "xml" },
    { "text/xml", "xml" },
    { "text/plain", "txt" },
    { "text/csv", "csv" },
    { "text/calendar", "ics" },
    { "text/vcard", "vcf" },
    { "text/markdown", "md" },
    { "message/rfc822", "eml" },
    { "image/png", "png" },
    { "image/jpeg", "jpg" },
    { "image/jpg", "jpg" },
    { "image/pjpeg", "jpg" },
    { "image/gif", "gif" },
    { "image/bmp", "bmp" },
    { "image/x-ms-bmp", "bmp" },
    { "image/tiff", "tif" },
    { "image/webp", "webp" },
    { "image/heic", "heic" },
    { "audio/mpeg", "mp3" },
    { "audio/wav", "wav" },
    { "audio/x-wav", "wav" },
    { "video/mp4", "mp4" },
    { "video/quicktime", "mov" },
    { NULL, NULL }
};


int
ga_type_parse(const u_char *s, size_t len, ga_type_t *t)
{
    size_t         i, slash;
    const u_char  *p, *last;

    p = s;
    last = s + len;

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    /* parameters are not part of the type: "text/plain; charset=utf-8" */

    for (i = 0; p + i < last && p[i] != ';'; i++) { /* void */ }

    last = p + i;

    while (last > p && (last[-1] == ' ' || last[-1] == '\t')) {
        last--;
    }

    slash = 0;

    for (i = 0; p + i < last; i++) {
        if (p[i] == '/') {
            if (slash) {
                return 0;
            }

            slash = i;
            continue;
        }

        if (!ga_type_tchar(p[i])) {
            return 0;
        }
    }

    /* no '/', or one first or last */

    if (slash == 0 || slash == (size_t) (last - p) - 1) {
        return 0;
    }

    t->type = p;
    t->type_len = slash;
    t->subtype = p + slash + 1;
    t->subtype_len = (last - p) - slash - 1;

    return 1;
}


size_t
ga_type_normalize(const u_char *s, size_t len, u_char *out)
{
    size_t         i, n, charset_len;
    u_char         c;
    ga_type_t      t;
    const u_char  *charset;

    if (!ga_type_parse(s, len, &t)) {
        return 0;
    }

    /* type, '/' and subtype are contiguous in the input */

    n = t.type_len + 1 + t.subtype_len;

    for (i = 0; i < n; i++) {
        c = t.type[i];
        out[i] = (c >= 'A' && c <= 'Z') ? (u_char) (c | 0x20) : c;
    }

    if (!ga_type_eq(t.type, t.type_len, "text", 4)) {
        return n;
    }

    charset = ga_type_charset(t.type + n, s + len, &charset_len);

    if (charset == NULL) {
        return n;
    }

    /*
     * the input had at least ";charset=" and the value: one byte more for
     * the space
     */

    memcpy(out + n, "; charset=", sizeof("; charset=") - 1);
    n += sizeof("; charset=") - 1;

    for (i = 0; i < charset_len; i++) {
        c = charset[i];
        out[n++] = (c >= 'A' && c <= 'Z') ? (u_char) (c | 0x20) : c;
    }

    return n;
}


/*
 * The charset value among the parameters in [p, last), RFC 9110:
 * *( OWS ";" OWS [ token "=" ( token / quoted-string ) ] ).  NULL if the
 * list is malformed, has no charset or has it twice, or if the value is
 * not a token of at most GA_TYPE_CHARSET_MAX bytes (quoted or not): the
 * type is then forwarded without one.
 */

static const u_char *
ga_type_charset(const u_char *p, const u_char *last, size_t *len)
{
    size_t         name_len, value_len, i;
    const u_char  *name, *value, *found, *q;

    found = NULL;
    *len = 0;

    for ( ;; ) {
        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == last) {
            return found;
        }

        if (*p++ != ';') {
            return NULL;
        }

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == last || *p == ';') {
            continue;
        }

        name = p;

        while (p < last && ga_type_tchar(*p)) {
            p++;
        }

        name_len = p - name;

        if (name_len == 0 || p == last || *p++ != '=') {
            return NULL;
        }

        if (p < last && *p == '"') {
            q = ga_type_quoted(p, last);
            if (q == NULL) {
                return NULL;
            }

            value = p + 1;
            value_len = (q - p) - 2;
            p = q;

        } else {
            value = p;

            while (p < last && ga_type_tchar(*p)) {
                p++;
            }

            value_len = p - value;

            if (value_len == 0) {
                return NULL;
            }
        }

        if (!ga_type_eq(name, name_len, "charset", 7)) {
            continue;
        }

        if (found || value_len == 0 || value_len > GA_TYPE_CHARSET_MAX) {
            return NULL;
        }

        /* a quoted value passes only if it needed no quotes */

        for (i = 0; i < value_len; i++) {
            if (!ga_type_tchar(value[i])) {
                return NULL;
            }
        }

        found = value;
        *len = value_len;
    }
}


/* p points to '"'; returns the byte after the closing '"', or NULL */

static const u_char *
ga_type_quoted(const u_char *p, const u_char *last)
{
    for (p++; p < last; p++) {
        if (*p == '"') {
            return p + 1;
        }

        if (*p == '\\') {
            if (++p == last) {
                return NULL;
            }
        }
    }

    return NULL;
}


int
ga_type_match(const u_char *type, size_t type_len, const u_char *pattern,
    size_t pattern_len)
{
    ga_type_t  t, pt;

    if (!ga_type_parse(type, type_len, &t)
        || !ga_type_parse(pattern, pattern_len, &pt))
    {
        return 0;
    }

    if (pt.type_len == 1 && pt.type[0] == '*') {
        return pt.subtype_len == 1 && pt.subtype[0] == '*';
    }

    if (!ga_type_eq(t.type, t.type_len, (const char *) pt.type,
                    pt.type_len))
    {
        return 0;
    }

    if (pt.subtype_len == 1 && pt.subtype[0] == '*') {
        return 1;
    }

    return ga_type_eq(t.subtype, t.subtype_len, (const char *) pt.subtype,
                      pt.subtype_len);
}


const char *
ga_type_extension(const u_char *type, size_t type_len)
{
    size_t                len;
    ga_type_t             t;
    const ga_type_ext_t  *e;

    if (!ga_type_parse(type, type_len, &t)) {
        return "bin";
    }

    /* type, '/' and subtype are contiguous in the input */

    len = t.type_len + 1 + t.subtype_len;

    for (e = ga_type_exts; e->type; e++) {
        if (ga_type_eq(t.type, len, e->type, strlen(e->type))) {
            return e->ext;
        }
    }

    return "bin";
}


static int
ga_type_tchar(u_char c)
{
    return (ga_type_tchars[c >> 5] & (1U << (c & 0x1f))) != 0;
}


/* ASCII case-insensitive equality; lc need not be lower case */

static int
ga_type_eq(const u_char *p, size_t len, const char *lc, size_t lc_len)
{
    u_char  c1, c2;

    if (len != lc_len) {
        return 0;
    }

    while (len--) {
        c1 = *p++;
        c2 = (u_char) *lc++;

        c1 = (c1 >= 'A' && c1 <= 'Z') ? (u_char) (c1 | 0x20) : c1;
        c2 = (c2 >= 'A' && c2 <= 'Z') ? (u_char) (c2 | 0x20) : c2;

        if (c1 != c2) {
            return 0;
        }
    }

    return 1;
}
