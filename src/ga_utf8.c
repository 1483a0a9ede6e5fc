
/*
 * Copyright (C) graph-attach authors
 */


#include "ga_utf8.h"


typedef struct {
    uint32_t  first;
    uint32_t  last;
} ga_utf8_range_t;


/*
 * Controls, separators, Cf and Default_Ignorable_Code_Point (Unicode 15),
 * sorted, for a binary search.
 */

static const ga_utf8_range_t  ga_utf8_invisibles[] = {
    { 0x0000, 0x001f },        /* C0 */
    { 0x007f, 0x009f },        /* DEL, C1 */
    { 0x00ad, 0x00ad },        /* soft hyphen */
    { 0x034f, 0x034f },        /* combining grapheme joiner */
    { 0x0600, 0x0605 },        /* Arabic number signs (Cf) */
    { 0x061c, 0x061c },        /* Arabic letter mark */
    { 0x06dd, 0x06dd },
    { 0x070f, 0x070f },
    { 0x0890, 0x0891 },
    { 0x08e2, 0x08e2 },
    { 0x115f, 0x1160 },        /* Hangul fillers */
    { 0x17b4, 0x17b5 },
    { 0x180b, 0x180f },        /* Mongolian selectors, vowel separator */
    { 0x200b, 0x200f },        /* zero width, LRM, RLM */
    { 0x2028, 0x202e },        /* separators, bidi embeddings */
    { 0x2060, 0x206f },        /* word joiner, invisible operators, bidi */
    { 0x3164, 0x3164 },        /* Hangul filler */
    { 0xfe00, 0xfe0f },        /* variation selectors */
    { 0xfeff, 0xfeff },        /* BOM, zero width no-break space */
    { 0xffa0, 0xffa0 },        /* halfwidth Hangul filler */
    { 0xfff0, 0xfffb },        /* interlinear annotation */
    { 0x110bd, 0x110bd },
    { 0x110cd, 0x110cd },
    { 0x13430, 0x1343f },      /* Egyptian format controls */
    { 0x1bca0, 0x1bca3 },      /* shorthand format controls */
    { 0x1d173, 0x1d17a },      /* musical format controls */
    { 0xe0000, 0xe0fff }       /* tags, variation selectors supplement */
};


int
ga_utf8_valid(const u_char *p, size_t len)
{
    size_t    n;
    uint32_t  cp;

    while (len) {
        n = ga_utf8_decode(p, len, &cp);

        if (n == 0) {
            return 0;
        }

        p += n;
        len -= n;
    }

    return 1;
}


size_t
ga_utf8_decode(const u_char *p, size_t len, uint32_t *cp)
{
    u_char    c, lo, hi;
    size_t    n, i;
    uint32_t  v;

    c = p[0];

    if (c < 0x80) {
        *cp = c;
        return 1;
    }

    /*
     * The second byte range carries the overlong, surrogate and
     * > U+10FFFF checks (RFC 3629, section 4); the rest are 80..BF.
     */

    lo = 0x80;
    hi = 0xbf;

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        v = c & 0x1f;

    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        v = c & 0x0f;
        lo = (c == 0xe0) ? 0xa0 : 0x80;
        hi = (c == 0xed) ? 0x9f : 0xbf;

    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        v = c & 0x07;
        lo = (c == 0xf0) ? 0x90 : 0x80;
        hi = (c == 0xf4) ? 0x8f : 0xbf;

    } else {
        /* 80..C1 (continuation or overlong lead) and F5..FF */
        return 0;
    }

    if (len < n || p[1] < lo || p[1] > hi) {
        return 0;
    }

    for (i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }

        v = (v << 6) | (p[i] & 0x3f);
    }

    *cp = v;

    return n;
}


int
ga_utf8_invisible(uint32_t cp)
{
    size_t  lo, hi, mid;

    /* names and mailboxes are mostly ASCII: the table's first two rows */

    if (cp < 0x80) {
        return cp < 0x20 || cp == 0x7f;
    }

    lo = 0;
    hi = sizeof(ga_utf8_invisibles) / sizeof(ga_utf8_invisibles[0]);

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (cp < ga_utf8_invisibles[mid].first) {
            hi = mid;

        } else if (cp > ga_utf8_invisibles[mid].last) {
            lo = mid + 1;

        } else {
            return 1;
        }
    }

    return 0;
}
