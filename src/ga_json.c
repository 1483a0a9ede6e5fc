
/*
 * Copyright (C) graph-attach authors
 */


#include "ga_json.h"


/*
 * The escaped length of each byte: 1 raw, 2 for the short escapes,
 * 6 for \u00XX.  0xe2 is 1 here and checked for U+2028/U+2029 apart.
 */

static const u_char  ga_json_len[256] = {
    6, 6, 6, 6, 6, 6, 6, 6, 2, 2, 2, 6, 2, 2, 6, 6,  /* 0x00 \b \t \n \f \r */
    6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
    1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* " */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1,  /* \ */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 6,  /* DEL */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
};


/* U+2028 and U+2029 are e2 80 a8 and e2 80 a9 */

#define ga_json_is_ls_ps(s, last)                                            \
    ((last) - (s) >= 3 && (s)[1] == 0x80 && ((s)[2] & 0xfe) == 0xa8)


size_t
ga_json_escape_len(const u_char *s, size_t len)
{
    size_t         n;
    const u_char  *last;

    n = 0;
    last = s + len;

    while (s < last) {

        if (*s == 0xe2 && ga_json_is_ls_ps(s, last)) {
            n += 6;
            s += 3;
            continue;
        }

        n += ga_json_len[*s++];
    }

    return n;
}


u_char *
ga_json_escape(u_char *dst, const u_char *s, size_t len)
{
    u_char         c;
    const u_char  *last;

    static const u_char  hex[] = "0123456789abcdef";

    last = s + len;

    while (s < last) {
        c = *s;

        if (ga_json_len[c] == 1) {

            if (c == 0xe2 && ga_json_is_ls_ps(s, last)) {
                *dst++ = '\\';
                *dst++ = 'u';
                *dst++ = '2';
                *dst++ = '0';
                *dst++ = '2';
                *dst++ = (s[2] == 0xa8) ? '8' : '9';
                s += 3;
                continue;
            }

            *dst++ = c;
            s++;
            continue;
        }

        *dst++ = '\\';
        s++;

        switch (c) {
        case '"':
        case '\\':
            *dst++ = c;
            break;
        case '\b':
            *dst++ = 'b';
            break;
        case '\f':
            *dst++ = 'f';
            break;
        case '\n':
            *dst++ = 'n';
            break;
        case '\r':
            *dst++ = 'r';
            break;
        case '\t':
            *dst++ = 't';
            break;
        default:
            *dst++ = 'u';
            *dst++ = '0';
            *dst++ = '0';
            *dst++ = hex[c >> 4];
            *dst++ = hex[c & 0x0f];
        }
    }

    return dst;
}
