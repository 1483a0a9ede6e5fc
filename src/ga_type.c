
/*
 * Copyright (C) graph-attach authors
 */


#include <string.h>

#include "ga_ascii.h"
#include "ga_type.h"
#include "ga_type_ext.h"


static const u_char *ga_type_charset(const u_char *p, const u_char *last,
    size_t *len);
static const u_char *ga_type_quoted(const u_char *p, const u_char *last);


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

        if (!ga_ascii_tchar(p[i])) {
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
    ga_type_t      t;
    const u_char  *charset;

    if (!ga_type_parse(s, len, &t)) {
        return 0;
    }

    /* type, '/' and subtype are contiguous in the input */

    n = t.type_len + 1 + t.subtype_len;

    for (i = 0; i < n; i++) {
        out[i] = ga_ascii_lower(t.type[i]);
    }

    if (!ga_ascii_caseeq_str(t.type, t.type_len, "text")) {
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
        out[n++] = ga_ascii_lower(charset[i]);
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

        while (p < last && ga_ascii_tchar(*p)) {
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

            while (p < last && ga_ascii_tchar(*p)) {
                p++;
            }

            value_len = p - value;

            if (value_len == 0) {
                return NULL;
            }
        }

        if (!ga_ascii_caseeq_str(name, name_len, "charset")) {
            continue;
        }

        if (found || value_len == 0 || value_len > GA_TYPE_CHARSET_MAX) {
            return NULL;
        }

        /* a quoted value passes only if it needed no quotes */

        for (i = 0; i < value_len; i++) {
            if (!ga_ascii_tchar(value[i])) {
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

    if (!ga_ascii_caseeq(t.type, t.type_len, pt.type, pt.type_len)) {
        return 0;
    }

    if (pt.subtype_len == 1 && pt.subtype[0] == '*') {
        return 1;
    }

    return ga_ascii_caseeq(t.subtype, t.subtype_len, pt.subtype,
                           pt.subtype_len);
}


const char *
ga_type_extension(const u_char *type, size_t type_len)
{
    const char *const  *x;

    x = ga_type_ext_lookup(type, type_len, GA_TYPE_EXT_NAMES);

    return x ? x[0] : "bin";
}
