
/*
 * Copyright (C) graph-attach authors
 */


#include <string.h>

#include "ga_ascii.h"
#include "ga_header_params.h"
#include "ga_filename_decode.h"
#include "ga_utf8.h"


typedef struct {
    const u_char  *name;
    size_t         name_len;
    const u_char  *value;
    size_t         value_len;
    int            quoted;
    /* a quoted value read with backslashes literal (see below) */
    int            literal;
} ga_hp_param_t;


static int ga_hp_token_char(u_char c);
static size_t ga_hp_token(const u_char **pos, const u_char *last, int value);
static void ga_hp_ows(const u_char **pos, const u_char *last);
static int ga_hp_next_param(const u_char **pos, const u_char *last,
    int literal, ga_hp_param_t *prm);
static int ga_hp_params_ok(const u_char *p, const u_char *last, int literal);
static int ga_hp_decode(const ga_hp_param_t *prm, u_char *out,
    size_t *out_len);
static int ga_hp_bchars(const u_char *p, size_t len);


/*
 * RFC 2045 token: CHAR except SPACE, CTLs and tspecials
 * ()<>@,;:\"/[]?=, which is RFC 9110 tchar with '{' and '}' (delimiters
 * in HTTP, not in MIME).  Parameter values also take bytes >= 0x80 (see
 * ga_hp_token()).
 */

static int
ga_hp_token_char(u_char c)
{
    return ga_ascii_tchar(c) || c == '{' || c == '}';
}


/*
 * Reads a token at *pos; returns its length (0 if none).  With value set,
 * bytes >= 0x80 are accepted too: a few clients send raw UTF-8 filenames
 * unquoted, and UTF-8 validity is checked after decoding anyway.
 */

static size_t
ga_hp_token(const u_char **pos, const u_char *last, int value)
{
    size_t         n;
    const u_char  *p;

    for (p = *pos; p < last; p++) {
        if (!(ga_hp_token_char(*p) || (value && *p >= 0x80))) {
            break;
        }
    }

    n = p - *pos;
    *pos = p;

    return n;
}


static void
ga_hp_ows(const u_char **pos, const u_char *last)
{
    const u_char  *p;

    for (p = *pos; p < last && (*p == ' ' || *p == '\t'); p++) {
        /* void */
    }

    *pos = p;
}


/*
 * Parses OWS ";" OWS name OWS "=" OWS (token / quoted-string).  Returns 1
 * with a parameter, 0 at the end of the value, or an error.  Empty
 * parameters (";;", a trailing ";") are skipped, as browsers of old sent
 * them.  A quoted value is returned raw, without the quotes: a backslash
 * before '"' or '\' escapes it, and is left for the caller to decode.
 * With literal set, a backslash is an ordinary byte and the first '"'
 * ends the value: the WHATWG reading (see ga_disposition_parse()).
 */

static int
ga_hp_next_param(const u_char **pos, const u_char *last, int literal,
    ga_hp_param_t *prm)
{
    u_char         c;
    size_t         n;
    const u_char  *p;

    p = *pos;

    for ( ;; ) {
        ga_hp_ows(&p, last);

        if (p == last) {
            *pos = p;
            return 0;
        }

        if (*p != ';') {
            return GA_HP_ERR_SYNTAX;
        }

        p++;
        ga_hp_ows(&p, last);

        if (p < last && *p != ';') {
            break;
        }
    }

    prm->name = p;
    prm->name_len = ga_hp_token(&p, last, 0);

    if (prm->name_len == 0) {
        return GA_HP_ERR_SYNTAX;
    }

    ga_hp_ows(&p, last);

    if (p == last || *p != '=') {
        return GA_HP_ERR_SYNTAX;
    }

    p++;
    ga_hp_ows(&p, last);

    if (p < last && *p == '"') {
        p++;
        prm->value = p;
        prm->quoted = 1;
        prm->literal = literal;

        for ( ;; ) {
            if (p == last) {
                return GA_HP_ERR_SYNTAX;
            }

            c = *p;

            if (c == '"') {
                break;
            }

            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return GA_HP_ERR_BAD_VALUE;
            }

            if (!literal && c == '\\' && last - p >= 2
                && (p[1] == '"' || p[1] == '\\'))
            {
                p++;
            }

            p++;
        }

        prm->value_len = p - prm->value;
        p++;

    } else {
        prm->value = p;
        prm->quoted = 0;
        prm->literal = 0;
        n = ga_hp_token(&p, last, 1);

        if (n == 0) {
            return GA_HP_ERR_SYNTAX;
        }

        prm->value_len = n;
    }

    *pos = p;

    return 1;
}


/* the parameters from p to last parse to the end under one reading */

static int
ga_hp_params_ok(const u_char *p, const u_char *last, int literal)
{
    int            rc;
    ga_hp_param_t  prm;

    do {
        rc = ga_hp_next_param(&p, last, literal, &prm);
    } while (rc == 1);

    return rc == 0;
}


int
ga_content_type_boundary(const u_char *value, size_t len,
    u_char *boundary, size_t *boundary_len)
{
    int             rc, found;
    size_t          n;
    const u_char   *p, *last, *type;
    ga_hp_param_t   prm;

    p = value;
    last = value + len;

    ga_hp_ows(&p, last);

    type = p;
    n = ga_hp_token(&p, last, 0);

    if (p < last && *p == '/') {
        p++;
        n += 1 + ga_hp_token(&p, last, 0);
    }

    if (!ga_ascii_caseeq_str(type, n, "multipart/form-data")) {
        return GA_HP_ERR_NOT_MULTIPART;
    }

    found = 0;

    for ( ;; ) {
        rc = ga_hp_next_param(&p, last, 0, &prm);

        if (rc == 0) {
            break;
        }

        if (rc < 0) {
            return rc;
        }

        if (!ga_ascii_caseeq_str(prm.name, prm.name_len, "boundary")) {
            continue;
        }

        if (found) {
            return GA_HP_ERR_DUPLICATE;
        }

        found = 1;

        /* '\' is not a bchar, so a quoted-pair is rejected as it is */

        if (!ga_hp_bchars(prm.value, prm.value_len)) {
            return GA_HP_ERR_BAD_BOUNDARY;
        }

        memcpy(boundary, prm.value, prm.value_len);
        *boundary_len = prm.value_len;
    }

    return found ? GA_HP_OK : GA_HP_ERR_NO_BOUNDARY;
}


/*
 * One pass over the parameters, each one's duplicate check and decoding
 * next to its name; kept whole (longer than the others) because the
 * refusals (a repeated name, filename or filename*) depend on what came
 * before in the same header.
 *
 * Two readings of a quoted value exist in the wild.  RFC 2616 quoted-pairs
 * (Go, LWP, Ruby, httpx, urllib3 1.x, curl --form-escape) send '"' as \"
 * and '\' as \\.  WHATWG encoders (Chromium, Firefox, curl >= 7.81, Node,
 * urllib3 2) send '"' as %22 and never escape a backslash, so a name
 * ending in '\' arrives as "ends with\" and the end of the line, which
 * the quoted-pair reading finds unterminated.  The rule:
 *
 *   the parameters are read with quoted-pairs; only if that reading
 *   fails, they are read again with every backslash literal (a quoted
 *   value is then everything up to the next '"'), and that reading is
 *   taken if it parses to the end of the header.
 *
 * The choice is never between two parses: if both readings reach the end
 * of the value, they split it into the same parameters.  They part at
 * the first \" inside a quoted value (an escaped quote to the one, the
 * end of the value to the other) and cannot meet again: from there one
 * is inside quotes wherever the other is outside, a backslash outside
 * quotes is a syntax error in both (it is no token character), so every
 * later '"' swaps the two, and the header ends inside quotes for one of
 * them.  When both parse, no \" was an escape, they differ only in \\
 * (one backslash or two), and the quoted-pair reading is taken; ga_name.c
 * cuts the name at any backslash anyway.  So the literal reading cannot
 * add, drop or move a name= or filename=: it only turns a refusal into
 * the one parse there is, the duplicate checks below apply to it, and the
 * policy judges the name it gives, sanitised, like any other.
 */

int
ga_disposition_parse(const u_char *value, size_t len, ga_disposition_t *d,
    u_char *buf, size_t buf_size)
{
    int             rc, literal;
    size_t          n, need;
    const u_char   *p, *last;
    ga_hp_param_t   prm, name, fname, fext;

    memset(d, 0, sizeof(ga_disposition_t));

    p = value;
    last = value + len;

    ga_hp_ows(&p, last);

    n = ga_hp_token(&p, last, 0);

    if (n == 0) {
        return GA_HP_ERR_SYNTAX;
    }

    if (!ga_ascii_caseeq_str(p - n, n, "form-data")) {
        return GA_HP_ERR_NOT_FORM_DATA;
    }

    name.name = NULL;
    fname.name = NULL;
    fext.name = NULL;

    literal = !ga_hp_params_ok(p, last, 0) && ga_hp_params_ok(p, last, 1);

    for ( ;; ) {
        rc = ga_hp_next_param(&p, last, literal, &prm);

        if (rc == 0) {
            break;
        }

        if (rc < 0) {
            return rc;
        }

        /*
         * Whole parameter names are compared, so "name" never matches
         * inside "filename", and a repeated parameter is an error rather
         * than a choice: a second filename= has been used to slip past
         * extension checks.
         */

        if (ga_ascii_caseeq_str(prm.name, prm.name_len, "name")) {
            if (name.name) {
                return GA_HP_ERR_DUPLICATE;
            }

            name = prm;

        } else if (ga_ascii_caseeq_str(prm.name, prm.name_len, "filename")) {
            if (fname.name) {
                return GA_HP_ERR_DUPLICATE;
            }

            fname = prm;

        } else if (ga_ascii_caseeq_str(prm.name, prm.name_len, "filename*")) {
            if (fext.name) {
                return GA_HP_ERR_DUPLICATE;
            }

            fext = prm;
        }
    }

    /* buf: the decoded name, then the decoded filename */

    need = 0;

    if (name.name) {
        need = name.value_len;
    }

    n = fname.name ? fname.value_len : 0;

    if (fext.name && 2 * fext.value_len > n) {
        n = 2 * fext.value_len;
    }

    if (need + n > buf_size) {
        return GA_HP_ERR_BAD_VALUE;
    }

    if (name.name) {
        if (ga_hp_decode(&name, buf, &d->name_len) != 0) {
            return GA_HP_ERR_BAD_VALUE;
        }

        d->name = buf;
        d->has_name = 1;
        buf += d->name_len;
    }

    /*
     * Both filename and filename* must be valid, even though filename*
     * wins (RFC 6266 section 4.3): another reader of the same request may
     * take the other one.
     */

    if (fname.name) {
        if (ga_hp_decode(&fname, buf, &d->filename_len) != 0) {
            return GA_HP_ERR_BAD_VALUE;
        }

        d->filename = buf;
        d->has_filename = 1;
    }

    if (fext.name) {
        if (ga_filename_decode_ext(fext.value, fext.value_len, buf,
                                   &d->filename_len)
            != 0)
        {
            return GA_HP_ERR_BAD_VALUE;
        }

        d->filename = buf;
        d->has_filename = 1;
    }

    return GA_HP_OK;
}


/* a name= or filename= value, as the client family encoded it */

static int
ga_hp_decode(const ga_hp_param_t *prm, u_char *out, size_t *out_len)
{
    return ga_filename_decode(prm->value, prm->value_len,
                              prm->quoted && !prm->literal, out, out_len);
}


/*
 * RFC 2046: 1*70 of DIGIT / ALPHA / "'()+_,-./:=?" / " ", not ending in
 * a space.
 */

static int
ga_hp_bchars(const u_char *p, size_t len)
{
    size_t  i;
    u_char  c;

    if (len == 0 || len > GA_MP_MAX_BOUNDARY || p[len - 1] == ' ') {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = p[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9'))
        {
            continue;
        }

        if (c == '\0' || strchr("'()+_,-./:=? ", c) == NULL) {
            return 0;
        }
    }

    return 1;
}
