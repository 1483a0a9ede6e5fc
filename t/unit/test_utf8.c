
/*
 * Copyright (C) graph-attach authors
 */


#include <stdint.h>
#include <string.h>

#include "ga_utf8.h"
#include "tap.h"


#define S(s)  (const u_char *) (s), sizeof(s) - 1


typedef struct {
    const char    *name;
    const u_char  *p;
    size_t         len;
    int            valid;
} vec_t;


static const vec_t  vectors[] = {
    { "empty", S(""), 1 },
    { "ASCII", S("plain.txt"), 1 },
    { "NUL is a valid code point", S("a\000b"), 1 },
    { "2 bytes", S("na\303\257ve r\303\251sum\303\251.pdf"), 1 },
    { "3 bytes", S("\346\227\245\346\234\254\350\252\236.txt"), 1 },
    { "4 bytes", S("\360\237\230\200"), 1 },
    { "U+0080", S("\302\200"), 1 },
    { "U+07FF", S("\337\277"), 1 },
    { "U+0800", S("\340\240\200"), 1 },
    { "U+D7FF", S("\355\237\277"), 1 },
    { "U+E000", S("\356\200\200"), 1 },
    { "U+FFFD", S("\357\277\275"), 1 },
    { "U+FFFF", S("\357\277\277"), 1 },
    { "U+10000", S("\360\220\200\200"), 1 },
    { "U+10FFFF", S("\364\217\277\277"), 1 },

    { "U+110000", S("\364\220\200\200"), 0 },
    { "F5 lead", S("\365\200\200\200"), 0 },
    { "FF", S("\377"), 0 },
    { "FE FF (UTF-16 BOM)", S("\376\377"), 0 },
    { "overlong NUL C0 80", S("\300\200"), 0 },
    { "overlong C1 BF", S("\301\277"), 0 },
    { "overlong E0 80 80", S("\340\200\200"), 0 },
    { "overlong E0 9F BF", S("\340\237\277"), 0 },
    { "overlong F0 80 80 80", S("\360\200\200\200"), 0 },
    { "overlong F0 8F BF BF", S("\360\217\277\277"), 0 },
    { "surrogate U+D800", S("\355\240\200"), 0 },
    { "surrogate U+DFFF", S("\355\277\277"), 0 },
    { "CESU-8 surrogate pair", S("\355\240\275\355\270\200"), 0 },
    { "lone continuation", S("a\200b"), 0 },
    { "2-byte lead at the end", S("abc\303"), 0 },
    { "3-byte sequence cut", S("\346\227"), 0 },
    { "4-byte sequence cut", S("\360\237\230"), 0 },
    { "lead then ASCII", S("\303a"), 0 },
    { "3-byte with bad 3rd byte", S("\346\227A"), 0 },
    { "4-byte with bad 4th byte", S("\360\237\230\300"), 0 },
    { "Latin-1 e acute", S("r\351sum\351"), 0 },
};


/* a reference decoder written differently: arithmetic on code points */

static int
ref_valid(const u_char *p, size_t len)
{
    size_t    i, n, k;
    uint32_t  cp, min;

    for (i = 0; i < len; i += n) {
        if (p[i] < 0x80) {
            n = 1;
            continue;
        }

        if ((p[i] & 0xe0) == 0xc0) {
            n = 2;
            cp = p[i] & 0x1f;
            min = 0x80;

        } else if ((p[i] & 0xf0) == 0xe0) {
            n = 3;
            cp = p[i] & 0x0f;
            min = 0x800;

        } else if ((p[i] & 0xf8) == 0xf0) {
            n = 4;
            cp = p[i] & 0x07;
            min = 0x10000;

        } else {
            return 0;
        }

        if (i + n > len) {
            return 0;
        }

        for (k = 1; k < n; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                return 0;
            }

            cp = (cp << 6) | (p[i + k] & 0x3f);
        }

        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
    }

    return 1;
}


int
main(void)
{
    size_t    i, bad, n;
    u_char    b[4];
    uint32_t  x;

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        is_int(ga_utf8_valid(vectors[i].p, vectors[i].len), vectors[i].valid,
               "%s", vectors[i].name);
    }

    /* every 1-, 2- and 3-byte string against the reference */

    bad = 0;

    for (x = 0; x < 0x1000000; x++) {
        b[0] = (u_char) (x >> 16);
        b[1] = (u_char) (x >> 8);
        b[2] = (u_char) x;

        for (n = 1; n <= 3; n++) {
            if (n < 3 && (x & (n == 1 ? 0xffff : 0xff)) != 0) {
                continue;
            }

            if (ga_utf8_valid(b, n) != ref_valid(b, n)) {
                bad++;
            }
        }
    }

    ok(bad == 0, "all 1-, 2- and 3-byte strings match the reference (%zu)",
       bad);

    /* 4-byte strings: every lead byte F0..F7 with every second byte */

    bad = 0;

    for (x = 0; x < 0x10000; x++) {
        b[0] = (u_char) (0xf0 | (x >> 13));
        b[1] = (u_char) (x >> 5);
        b[2] = (u_char) (0x80 | (x & 0x1f));
        b[3] = (u_char) (0xa0 ^ (x & 0x5f));

        if (ga_utf8_valid(b, 4) != ref_valid(b, 4)) {
            bad++;
        }
    }

    ok(bad == 0, "4-byte strings match the reference (%zu)", bad);

    /* the length is respected: no read of the byte after */

    ok(!ga_utf8_valid((const u_char *) "\303\251", 1),
       "sequence cut by len, not by content");

    /* invisible code points: the edges of every range, and neighbours */

    {
        static const struct {
            uint32_t  cp;
            int       invisible;
        } cps[] = {
            { 0x00, 1 }, { 0x1f, 1 }, { 0x20, 0 }, { 0x7e, 0 }, { 0x7f, 1 },
            { 0x9f, 1 }, { 0xa0, 0 }, { 0xac, 0 }, { 0xad, 1 }, { 0xae, 0 },
            { 0x061b, 0 }, { 0x061c, 1 }, { 0x200a, 0 }, { 0x200b, 1 },
            { 0x200f, 1 }, { 0x2010, 0 }, { 0x2027, 0 }, { 0x2028, 1 },
            { 0x202e, 1 }, { 0x202f, 0 }, { 0x205f, 0 }, { 0x2060, 1 },
            { 0x206f, 1 }, { 0x2070, 0 }, { 0xfeff, 1 }, { 0xfefe, 0 },
            { 0xfffb, 1 }, { 0xfffc, 0 }, { 0xe0000, 1 }, { 0xe0fff, 1 },
            { 0xe1000, 0 }, { 0x1f600, 0 }, { 0x4e00, 0 }, { 0x10ffff, 0 },
        };

        size_t  i;

        for (i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
            is_int(ga_utf8_invisible(cps[i].cp), cps[i].invisible,
                   "invisible U+%04X", (unsigned) cps[i].cp);
        }
    }

    return done_testing();
}
