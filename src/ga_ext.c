
/*
 * Copyright (C) graph-attach authors
 */


#include <stdint.h>
#include <string.h>

#include "ga_ascii.h"
#include "ga_ext.h"
#include "ga_name.h"
#include "ga_type_ext.h"
#include "ga_utf8.h"


static void ga_ext_set(ga_ext_t *e, const u_char *p, size_t len);


/*
 * Single code points whose compatibility form (NFKC) is one ASCII letter,
 * digit or dot, and the case folds that give ASCII: a name that shows
 * "a.exe" is judged as a.exe.  Sorted, for a binary search.  The ranges
 * with a pattern (fullwidth, circled, mathematical letters) are in
 * ga_ext_fold_cp().
 */

static const struct {
    uint32_t  cp;
    char      ascii;
} ga_ext_folds[] = {
    { 0x00aa, 'a' }, { 0x00b2, '2' }, { 0x00b3, '3' }, { 0x00b9, '1' },
    { 0x00ba, 'o' }, { 0x0130, 'i' }, { 0x0131, 'i' }, { 0x017f, 's' },
    { 0x02b0, 'h' }, { 0x02b2, 'j' }, { 0x02b3, 'r' }, { 0x02b7, 'w' },
    { 0x02b8, 'y' }, { 0x02e1, 'l' }, { 0x02e2, 's' }, { 0x02e3, 'x' },
    { 0x1d2c, 'a' }, { 0x1d2e, 'b' }, { 0x1d30, 'd' }, { 0x1d31, 'e' },
    { 0x1d33, 'g' }, { 0x1d34, 'h' }, { 0x1d35, 'i' }, { 0x1d36, 'j' },
    { 0x1d37, 'k' }, { 0x1d38, 'l' }, { 0x1d39, 'm' }, { 0x1d3a, 'n' },
    { 0x1d3c, 'o' }, { 0x1d3e, 'p' }, { 0x1d3f, 'r' }, { 0x1d40, 't' },
    { 0x1d41, 'u' }, { 0x1d42, 'w' }, { 0x1d43, 'a' }, { 0x1d47, 'b' },
    { 0x1d48, 'd' }, { 0x1d49, 'e' }, { 0x1d4d, 'g' }, { 0x1d4f, 'k' },
    { 0x1d50, 'm' }, { 0x1d52, 'o' }, { 0x1d56, 'p' }, { 0x1d57, 't' },
    { 0x1d58, 'u' }, { 0x1d5b, 'v' }, { 0x1d62, 'i' }, { 0x1d63, 'r' },
    { 0x1d64, 'u' }, { 0x1d65, 'v' }, { 0x1d9c, 'c' }, { 0x1da0, 'f' },
    { 0x1dbb, 'z' }, { 0x2024, '.' }, { 0x2070, '0' }, { 0x2071, 'i' },
    { 0x2074, '4' }, { 0x2075, '5' }, { 0x2076, '6' }, { 0x2077, '7' },
    { 0x2078, '8' }, { 0x2079, '9' }, { 0x207f, 'n' }, { 0x2080, '0' },
    { 0x2081, '1' }, { 0x2082, '2' }, { 0x2083, '3' }, { 0x2084, '4' },
    { 0x2085, '5' }, { 0x2086, '6' }, { 0x2087, '7' }, { 0x2088, '8' },
    { 0x2089, '9' }, { 0x2090, 'a' }, { 0x2091, 'e' }, { 0x2092, 'o' },
    { 0x2093, 'x' }, { 0x2095, 'h' }, { 0x2096, 'k' }, { 0x2097, 'l' },
    { 0x2098, 'm' }, { 0x2099, 'n' }, { 0x209a, 'p' }, { 0x209b, 's' },
    { 0x209c, 't' }, { 0x2102, 'c' }, { 0x210a, 'g' }, { 0x210b, 'h' },
    { 0x210c, 'h' }, { 0x210d, 'h' }, { 0x210e, 'h' }, { 0x2110, 'i' },
    { 0x2111, 'i' }, { 0x2112, 'l' }, { 0x2113, 'l' }, { 0x2115, 'n' },
    { 0x2119, 'p' }, { 0x211a, 'q' }, { 0x211b, 'r' }, { 0x211c, 'r' },
    { 0x211d, 'r' }, { 0x2124, 'z' }, { 0x2128, 'z' }, { 0x212a, 'k' },
    { 0x212c, 'b' }, { 0x212d, 'c' }, { 0x212f, 'e' }, { 0x2130, 'e' },
    { 0x2131, 'f' }, { 0x2133, 'm' }, { 0x2134, 'o' }, { 0x2139, 'i' },
    { 0x2145, 'd' }, { 0x2146, 'd' }, { 0x2147, 'e' }, { 0x2148, 'i' },
    { 0x2149, 'j' }, { 0x2160, 'i' }, { 0x2164, 'v' }, { 0x2169, 'x' },
    { 0x216c, 'l' }, { 0x216d, 'c' }, { 0x216e, 'd' }, { 0x216f, 'm' },
    { 0x2170, 'i' }, { 0x2174, 'v' }, { 0x2179, 'x' }, { 0x217c, 'l' },
    { 0x217d, 'c' }, { 0x217e, 'd' }, { 0x217f, 'm' }, { 0x2c7c, 'j' },
    { 0x2c7d, 'v' }, { 0xfe52, '.' }, { 0x1d6a4, 'i' }, { 0x1d6a5, 'j' }
};


/* the ligatures whose compatibility form is ASCII, U+FB00..U+FB06 */

static const char  *ga_ext_ligatures[] = {
    "ff", "fi", "fl", "ffi", "ffl", "st", "st"
};


static int
ga_ext_fold_cp(uint32_t cp)
{
    size_t  lo, hi, mid;

    if (cp >= 0xff01 && cp <= 0xff5e) {
        cp -= 0xff01 - 0x21;                       /* fullwidth forms */
        return ga_ascii_lower(cp);
    }

    if (cp >= 0x24b6 && cp <= 0x24cf) {
        return 'a' + (cp - 0x24b6);                /* circled capitals */
    }

    if (cp >= 0x24d0 && cp <= 0x24e9) {
        return 'a' + (cp - 0x24d0);                /* circled small */
    }

    if (cp >= 0x1f130 && cp <= 0x1f149) {
        return 'a' + (cp - 0x1f130);               /* squared capitals */
    }

    if (cp >= 0x1d400 && cp <= 0x1d6a3) {

        /*
         * mathematical alphabets, 52 letters each: the holes in them are
         * unassigned (their letters are in the letterlike block)
         */

        cp = (cp - 0x1d400) % 52;
        return 'a' + (cp < 26 ? cp : cp - 26);
    }

    if (cp >= 0x1d7ce && cp <= 0x1d7ff) {
        return '0' + (cp - 0x1d7ce) % 10;          /* mathematical digits */
    }

    lo = 0;
    hi = sizeof(ga_ext_folds) / sizeof(ga_ext_folds[0]);

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (cp < ga_ext_folds[mid].cp) {
            hi = mid;

        } else if (cp > ga_ext_folds[mid].cp) {
            lo = mid + 1;

        } else {
            return ga_ext_folds[mid].ascii;
        }
    }

    return 0;
}


size_t
ga_ext_fold(const u_char *ext, size_t len, u_char *out)
{
    int          c;
    size_t       i, n, k, l;
    uint32_t     cp;
    const char  *lig;

    n = 0;
    i = 0;

    while (i < len) {

        if (ext[i] < 0x80) {
            out[n++] = ga_ascii_lower(ext[i]);
            i++;
            continue;
        }

        k = ga_utf8_decode(ext + i, len - i, &cp);

        if (k == 0) {
            out[n++] = ext[i++];
            continue;
        }

        /* never grows: a ligature is 3 bytes, and folds to at most 3 */

        if (cp >= 0xfb00 && cp <= 0xfb06) {
            lig = ga_ext_ligatures[cp - 0xfb00];

            for (l = 0; lig[l]; l++) {
                out[n++] = (u_char) lig[l];
            }

            i += k;
            continue;
        }

        c = ga_ext_fold_cp(cp);

        if (c) {
            out[n++] = (u_char) c;

        } else {
            memmove(out + n, ext + i, k);
            n += k;
        }

        i += k;
    }

    return n;
}


int
ga_ext_get(const u_char *name, size_t len, ga_ext_t ext[2])
{
    int            n;
    size_t         i, el, sl;
    u_char         folded[GA_EXT_NAME_MAX];
    const u_char  *e, *s;

    /*
     * the whole name is folded first, so that a look-alike dot (U+FF0E,
     * U+FE52, U+2024) splits it as the dot it shows; a longer name than
     * any sanitised one is taken as it is
     */

    if (len <= GA_EXT_NAME_MAX) {
        len = ga_ext_fold(name, len, folded);
        name = folded;
    }

    e = ga_name_extension(name, len, &el);
    s = NULL;
    sl = 0;

    for (i = 0; i < len; i++) {
        if (name[i] == ':') {
            s = ga_name_extension(name, i, &sl);
            break;
        }
    }

    n = 0;

    if (i < len) {
        /* a stream: what Windows opens comes first */

        if (s) {
            ga_ext_set(&ext[n++], s, sl);
        }

        if (e && !(s && el == sl && memcmp(e, s, el) == 0)) {
            ga_ext_set(&ext[n++], e, el);
        }

        return n;
    }

    if (e) {
        ga_ext_set(&ext[n++], e, el);
    }

    return n;
}


int
ga_ext_eq(const ga_ext_t *e, const u_char *s, size_t len)
{
    size_t  i;
    u_char  buf[GA_EXT_MAX];

    if (e->len > GA_EXT_MAX || len > GA_EXT_MAX || len == 0) {
        return 0;
    }

    /*
     * an ASCII s (every list entry, as a rule) folds to itself in lower
     * case: compared as it is, without folding it again for each of the
     * dozens of entries a rule walks; an ASCII first byte alone tells
     * most entries apart
     */

    if (s[0] < 0x80 && (e->len == 0 || ga_ascii_lower(s[0]) != e->data[0])) {
        return 0;
    }

    for (i = 0; i < len && s[i] < 0x80; i++) { /* void */ }

    if (i == len) {
        if (e->len != len) {
            return 0;
        }

        for (i = 0; i < len; i++) {
            if (ga_ascii_lower(s[i]) != e->data[i]) {
                return 0;
            }
        }

        return 1;
    }

    len = ga_ext_fold(s, len, buf);

    return e->len == len && memcmp(e->data, buf, len) == 0;
}


const char *const *
ga_ext_for_type(const u_char *type, size_t len)
{
    return ga_type_ext_lookup(type, len, GA_TYPE_EXT_BINDS);
}


int
ga_ext_type_maps(const u_char *type, size_t len, const ga_ext_t *e)
{
    const char *const  *x;

    x = ga_ext_for_type(type, len);

    if (x == NULL) {
        return 0;
    }

    for ( /* void */ ; *x; x++) {
        if (ga_ext_eq(e, (const u_char *) *x, strlen(*x))) {
            return 1;
        }
    }

    return 0;
}


static void
ga_ext_set(ga_ext_t *e, const u_char *p, size_t len)
{
    u_char  buf[GA_NAME_MAX];

    if (len > GA_NAME_MAX) {
        e->len = len;
        return;
    }

    e->len = ga_ext_fold(p, len, buf);

    if (e->len <= GA_EXT_MAX) {
        memcpy(e->data, buf, e->len);
    }
}
