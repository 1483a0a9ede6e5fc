
/*
 * Copyright (C) graph-attach authors
 */


#include "ga_utf8.h"


int
ga_utf8_valid(const u_char *p, size_t len)
{
    u_char        c, lo, hi;
    size_t        n, i;
    const u_char  *last;

    last = p + len;

    while (p < last) {
        c = *p++;

        if (c < 0x80) {
            continue;
        }

        /*
         * The second byte range carries the overlong, surrogate and
         * > U+10FFFF checks (RFC 3629, section 4); the rest are 80..BF.
         */

        lo = 0x80;
        hi = 0xbf;

        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;

        } else if (c == 0xe0) {
            n = 2;
            lo = 0xa0;

        } else if (c == 0xed) {
            n = 2;
            hi = 0x9f;

        } else if (c >= 0xe1 && c <= 0xef) {
            n = 2;

        } else if (c == 0xf0) {
            n = 3;
            lo = 0x90;

        } else if (c == 0xf4) {
            n = 3;
            hi = 0x8f;

        } else if (c >= 0xf1 && c <= 0xf3) {
            n = 3;

        } else {
            /* 80..C1 (continuation or overlong lead) and F5..FF */
            return 0;
        }

        if ((size_t) (last - p) < n) {
            return 0;
        }

        if (p[0] < lo || p[0] > hi) {
            return 0;
        }

        for (i = 1; i < n; i++) {
            if (p[i] < 0x80 || p[i] > 0xbf) {
                return 0;
            }
        }

        p += n;
    }

    return 1;
}
