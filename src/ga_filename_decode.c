
/*
 * Copyright (C) graph-attach authors
 */


#include <string.h>

#include "ga_ascii.h"
#include "ga_filename_decode.h"
#include "ga_utf8.h"


/*
 * What real clients send for a filename (checked against captures):
 *
 *   WHATWG form encoding: Chromium, Firefox, curl >= 7.81, Node's undici
 *   FormData, urllib3 2 (Python requests): UTF-8 as is, '"' as %22, CR as
 *   %0D, LF as %0A, nothing else escaped, so '%' and '\' are sent raw.
 *
 *   Backslash quoting: Go mime/multipart, Perl HTTP::Request::Common,
 *   Ruby net/http, curl --form-escape: \" and \\ (httpx and urllib3 1.26:
 *   \\ for '\' and %22 for '"').
 *
 *   aiohttp: everything outside [A-Za-z0-9_.~-] as %XX.
 *
 * The rules that recover all of them:
 *
 *   1. in a quoted value a backslash before '"' or '\' is an escape, any
 *      other backslash is literal, so WHATWG "a\b.txt" survives; a value
 *      that ga_header_params.c could only read with backslashes literal
 *      (WHATWG "ends with\") comes with quoted == 0, so nothing in it is
 *      unescaped;
 *
 *   2. a value made only of [A-Za-z0-9_.~-] and %XX triplets, with at
 *      least one triplet, is aiohttp's: percent-decode all of it, if the
 *      result is valid UTF-8;
 *
 *   3. otherwise decode only %22, %0D and %0A (the WHATWG escapes) and
 *      leave any other '%' literal, so "100%.txt" survives.
 *
 * The ambiguity: a WHATWG client uploading a file literally named
 * "a%20b.txt" (only safe characters and a valid triplet) gets "a b.txt"
 * by rule 2.  No byte in the request tells the two apart; names like
 * that are rare, while aiohttp's encoding of any non-ASCII name is not.
 */


static int ga_filename_attr_char(u_char c);


int
ga_filename_decode(const u_char *raw, size_t len, int quoted,
    u_char *out, size_t *out_len)
{
    int            hi, lo, all, triplets;
    u_char         c, *o;
    const u_char  *p, *last;

    last = raw + len;

    /* rule 2: aiohttp */

    all = 1;
    triplets = 0;

    for (p = raw; p < last; p++) {
        c = *p;

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9')
            || c == '_' || c == '.' || c == '~' || c == '-')
        {
            continue;
        }

        if (c == '%' && last - p >= 3
            && ga_ascii_hex(p[1]) >= 0 && ga_ascii_hex(p[2]) >= 0)
        {
            triplets++;
            p += 2;
            continue;
        }

        all = 0;
        break;
    }

    if (all && triplets) {
        o = out;

        for (p = raw; p < last; p++) {
            if (*p == '%') {
                *o++ = (u_char) (ga_ascii_hex(p[1]) * 16
                                 + ga_ascii_hex(p[2]));
                p += 2;

            } else {
                *o++ = *p;
            }
        }

        if (ga_utf8_valid(out, o - out)) {
            *out_len = o - out;
            return 0;
        }

        /* not aiohttp after all: fall back to rule 3 */
    }

    /* rules 1 and 3 */

    o = out;

    for (p = raw; p < last; p++) {
        c = *p;

        if (quoted && c == '\\' && last - p >= 2
            && (p[1] == '"' || p[1] == '\\'))
        {
            *o++ = *++p;
            continue;
        }

        if (c == '%' && last - p >= 3) {
            hi = ga_ascii_hex(p[1]);
            lo = ga_ascii_hex(p[2]);

            if (hi >= 0 && lo >= 0) {
                c = (u_char) (hi * 16 + lo);

                if (c == '"' || c == '\r' || c == '\n') {
                    *o++ = c;
                    p += 2;
                    continue;
                }
            }
        }

        *o++ = *p;
    }

    *out_len = o - out;

    return ga_utf8_valid(out, *out_len) ? 0 : -1;
}


int
ga_filename_decode_ext(const u_char *raw, size_t len, u_char *out,
    size_t *out_len)
{
    int            hi, lo, latin1;
    u_char         c, *o;
    const u_char  *p, *last, *q;

    last = raw + len;

    q = memchr(raw, '\'', len);
    if (q == NULL) {
        return -1;
    }

    if (ga_ascii_caseeq_str(raw, q - raw, "utf-8")) {
        latin1 = 0;

    } else if (ga_ascii_caseeq_str(raw, q - raw, "iso-8859-1")) {
        latin1 = 1;

    } else {
        return -1;
    }

    /* the language tag is not needed: skip it */

    q = memchr(q + 1, '\'', last - (q + 1));
    if (q == NULL) {
        return -1;
    }

    o = out;

    for (p = q + 1; p < last; p++) {
        c = *p;

        if (c == '%') {
            if (last - p < 3) {
                return -1;
            }

            hi = ga_ascii_hex(p[1]);
            lo = ga_ascii_hex(p[2]);

            if (hi < 0 || lo < 0) {
                return -1;
            }

            c = (u_char) (hi * 16 + lo);
            p += 2;

        } else if (!ga_filename_attr_char(c)) {
            return -1;
        }

        if (latin1 && c >= 0x80) {
            *o++ = (u_char) (0xc0 | (c >> 6));
            *o++ = (u_char) (0x80 | (c & 0x3f));

        } else {
            *o++ = c;
        }
    }

    *out_len = o - out;

    return ga_utf8_valid(out, *out_len) ? 0 : -1;
}


/* RFC 8187 attr-char: a token character, but not '*', '\'' or '%' */

static int
ga_filename_attr_char(u_char c)
{
    return ga_ascii_tchar(c) && c != '*' && c != '\'' && c != '%';
}
