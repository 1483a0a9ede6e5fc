
/*
 * Copyright (C) graph-attach authors
 */


/*
 * libFuzzer target for the attachment policy: ga_name_sanitize(),
 * ga_name_extension(), ga_ext_get(), ga_type_match(),
 * ga_type_extension(), ga_sniff() and ga_sniff_mismatch():
 *
 *     clang -fsanitize=fuzzer,address,undefined -Isrc \
 *         fuzz/fuzz_name.c src/ga_*.c
 *
 * The whole input is a file name and the head of a file; split at the
 * first '\n' it is also a content type and an allow pattern.  Every
 * buffer is malloc()ed to its exact size, so ASan sees any read or write
 * past it.  Invariants, checked with abort():
 *   - the sanitised name is valid UTF-8 (always: invalid bytes are
 *     dropped), at most GA_NAME_MAX bytes and no longer than the input,
 *     holds no '/', '\', C0, DEL, C1 or hiding character, has no
 *     leading space, no trailing space or dot, is not "." or "..";
 *   - sanitising is idempotent, and the same in place;
 *   - a sanitised name has its own last extension, and ga_ext_get()
 *     judges the last extension of the folded name;
 *   - ga_sniff() returns a kind in range, the same from an exact-size
 *     copy of any prefix up to GA_SNIFF_HEAD; UNKNOWN never mismatches;
 *   - ga_type_extension() never names a default-denied extension;
 *     ga_type_match() is 0 for a type ga_type_parse() rejects;
 *   - ga_type_normalize() writes at most len + 1 bytes, fails exactly
 *     when ga_type_parse() does, gives printable ASCII without upper
 *     case, is idempotent, and matches every pattern the input matches;
 *   - ga_ext_fold() never grows, has no ASCII upper case left and is
 *     idempotent; ga_ext_get() gives 0 to 2 different extensions without
 *     '.', each equal to itself; the extensions ga_ext_for_type() lists
 *     are mapped by ga_ext_type_maps(), and never default-denied when
 *     the type also names attachments (image/svg+xml binds svg only).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ga_ext.h"
#include "ga_name.h"
#include "ga_sniff.h"
#include "ga_type.h"
#include "ga_utf8.h"


/* f changes nothing in its own output; room: what f may write */

static void
check_idempotent(size_t (*f)(const u_char *, size_t, u_char *),
    const u_char *out, size_t n, size_t room)
{
    size_t   n2;
    u_char  *again;

    again = malloc(room ? room : 1);
    n2 = f(out, n, again);

    if (n2 != n || memcmp(again, out, n) != 0) {
        abort();
    }

    free(again);
}


static void
check_name(const u_char *p, size_t n, size_t in_len)
{
    size_t    i, k;
    uint32_t  cp;

    /* no character a reader cannot see: the predicate itself */

    for (i = 0; i < n; i += k) {
        k = ga_utf8_decode(p + i, n - i, &cp);

        if (k == 0 || ga_utf8_invisible(cp)) {
            abort();
        }
    }

    if (n > GA_NAME_MAX || n > in_len || !ga_utf8_valid(p, n)) {
        abort();
    }

    if (n && (p[0] == ' ' || p[n - 1] == ' ' || p[n - 1] == '.')) {
        abort();
    }

    if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
        abort();
    }

    for (i = 0; i < n; i++) {
        if (p[i] == '/' || p[i] == '\\' || p[i] < 0x20 || p[i] == 0x7f) {
            abort();
        }

        /* valid UTF-8 was checked: the trail bytes are there */

        if (p[i] == 0xc2 && p[i + 1] <= 0x9f) {
            abort();                                   /* C1 */
        }

        if (p[i] == 0xd8 && p[i + 1] == 0x9c) {
            abort();                                   /* U+061C */
        }

        if (p[i] == 0xe2 && p[i + 1] == 0x80
            && ((p[i + 2] >= 0x8b && p[i + 2] <= 0x8f)
                || (p[i + 2] >= 0xa8 && p[i + 2] <= 0xae)))
        {
            abort();                    /* U+200B..F, U+2028..U+202E */
        }

        if (p[i] == 0xe2 && p[i + 1] == 0x81
            && p[i + 2] >= 0xa0 && p[i + 2] <= 0xa9 && p[i + 2] != 0xa5)
        {
            abort();                    /* U+2060..4, U+2066..U+2069 */
        }

        if (p[i] == 0xef && p[i + 1] == 0xbb && p[i + 2] == 0xbf) {
            abort();                                   /* U+FEFF */
        }
    }
}


static void
fuzz_name(const uint8_t *data, size_t size)
{
    int            j, k;
    size_t         n, n2, el, fl, i;
    u_char        *in, *out, *again, *folded;
    ga_ext_t       ext[2];
    const u_char  *e;

    in = malloc(size ? size : 1);
    out = malloc(size ? size : 1);
    memcpy(in, data, size);

    n = ga_name_sanitize(in, size, out);

    check_name(out, n, size);

    check_idempotent(ga_name_sanitize, out, n, n);

    n2 = ga_name_sanitize(in, size, in);

    if (n2 != n || memcmp(in, out, n) != 0) {
        abort();
    }

    /* extensions, on an exact-size copy of the result */

    again = malloc(n ? n : 1);
    memcpy(again, out, n);

    e = ga_name_extension(again, n, &el);

    if (e) {
        if (e <= again || e + el > again + n || e[-1] != '.' || el == 0) {
            abort();
        }

        for (i = 0; i < el; i++) {
            if (e[i] == '.') {
                abort();
            }
        }
    }

    /*
     * what the rules judge: the name is folded before it is split, so
     * the last extension is that of the folded name
     */

    folded = malloc(n ? n : 1);
    fl = ga_ext_fold(again, n, folded);
    e = ga_name_extension(folded, fl, &el);

    k = ga_ext_get(again, n, ext);

    if (e && el <= GA_EXT_MAX) {
        for (j = 0; j < k; j++) {
            if (ga_ext_eq(&ext[j], e, el)) {
                break;
            }
        }

        if (j == k) {
            abort();
        }
    }

    free(folded);
    free(again);
    free(in);
    free(out);
}


static void
fuzz_sniff(const uint8_t *data, size_t size)
{
    int      kind, k;
    size_t   len, head;
    u_char  *p;

    head = size < GA_SNIFF_HEAD ? size : GA_SNIFF_HEAD;

    p = malloc(size ? size : 1);
    memcpy(p, data, size);
    kind = ga_sniff(p, size);
    free(p);

    if (kind < GA_SNIFF_UNKNOWN || kind >= GA_SNIFF_LAST
        || ga_sniff_name(kind) == NULL)
    {
        abort();
    }

    /* magic numbers sit in the head: a longer file says no more */

    p = malloc(head ? head : 1);
    memcpy(p, data, head);

    if (ga_sniff(p, head) != kind) {
        abort();
    }

    free(p);

    /* a few exact-size prefixes, ASan catching any over-read */

    for (len = 0; len < head && len < 20; len++) {
        p = malloc(len ? len : 1);
        memcpy(p, data, len);

        k = ga_sniff(p, len);

        if (k < GA_SNIFF_UNKNOWN || k >= GA_SNIFF_LAST) {
            abort();
        }

        free(p);
    }
}


/*
 * The input split at its first '\n' into a type and a pattern (or an
 * extension), each an exact-size copy so that ASan sees a read past it.
 */

static void
split(const uint8_t *data, size_t size, u_char **t, size_t *tl,
    u_char **pat, size_t *pl)
{
    const uint8_t  *nl;

    nl = memchr(data, '\n', size);
    *tl = nl ? (size_t) (nl - data) : size;
    *pl = nl ? size - *tl - 1 : 0;

    *t = malloc(*tl ? *tl : 1);
    *pat = malloc(*pl ? *pl : 1);
    memcpy(*t, data, *tl);

    if (*pl) {
        memcpy(*pat, nl + 1, *pl);
    }
}


static void
fuzz_type(const uint8_t *data, size_t size)
{
    int          kind;
    size_t       tl, pl;
    u_char      *t, *pat;
    ga_type_t    parsed;
    const char  *ext, **d;

    split(data, size, &t, &tl, &pat, &pl);

    if (ga_type_match(t, tl, pat, pl) && !ga_type_parse(t, tl, &parsed)) {
        abort();
    }

    if (ga_type_parse(t, tl, &parsed)
        && !ga_type_match(t, tl, (const u_char *) "*/*", 3))
    {
        abort();
    }

    ext = ga_type_extension(t, tl);

    if (ext == NULL || *ext == '\0') {
        abort();
    }

    for (d = ga_name_default_deny; *d; d++) {
        if (strcmp(*d, ext) == 0) {
            abort();
        }
    }

    /* the second line as an extension: any kind, any declaration */

    for (kind = -1; kind <= GA_SNIFF_LAST; kind++) {
        if (ga_sniff_mismatch(kind, t, tl, pat, pl)
            && (kind <= GA_SNIFF_UNKNOWN || kind >= GA_SNIFF_LAST))
        {
            abort();
        }
    }

    free(t);
    free(pat);
}


static void
fuzz_normalize(const uint8_t *data, size_t size)
{
    size_t      tl, pl, n, i;
    u_char     *t, *out, *pat;
    ga_type_t   parsed;

    split(data, size, &t, &tl, &pat, &pl);
    out = malloc(tl + 1);

    n = ga_type_normalize(t, tl, out);

    if (n > tl + 1 || (n == 0) != (ga_type_parse(t, tl, &parsed) == 0)) {
        abort();
    }

    for (i = 0; i < n; i++) {
        if (out[i] < 0x20 || out[i] > 0x7e
            || (out[i] >= 'A' && out[i] <= 'Z'))
        {
            abort();
        }
    }

    if (n) {
        check_idempotent(ga_type_normalize, out, n, n + 1);

        if (ga_type_match(t, tl, pat, pl) != ga_type_match(out, n, pat, pl))
        {
            abort();
        }
    }

    free(t);
    free(pat);
    free(out);
}


static void
fuzz_ext(const uint8_t *data, size_t size)
{
    int                 n, i, named;
    size_t              fl, k, tl;
    u_char             *in, *out;
    ga_ext_t            ext[2];
    const char         *const *list, **d;
    const uint8_t      *nl;

    in = malloc(size ? size : 1);
    out = malloc(size ? size : 1);
    memcpy(in, data, size);

    fl = ga_ext_fold(in, size, out);

    if (fl > size) {
        abort();
    }

    for (k = 0; k < fl; k++) {
        if (out[k] >= 'A' && out[k] <= 'Z') {
            abort();
        }
    }

    check_idempotent(ga_ext_fold, out, fl, fl);

    n = ga_ext_get(in, size, ext);

    if (n < 0 || n > 2) {
        abort();
    }

    for (i = 0; i < n; i++) {
        if (ext[i].len > size) {
            abort();
        }

        if (ext[i].len <= GA_EXT_MAX) {
            if (memchr(ext[i].data, '.', ext[i].len) != NULL
                || !ga_ext_eq(&ext[i], ext[i].data, ext[i].len))
            {
                abort();
            }
        }
    }

    if (n == 2 && ext[0].len == ext[1].len && ext[0].len <= GA_EXT_MAX
        && memcmp(ext[0].data, ext[1].data, ext[0].len) == 0)
    {
        abort();
    }

    /* the first line as a type: the extensions it maps to */

    nl = memchr(data, '\n', size);
    tl = nl ? (size_t) (nl - data) : size;
    list = ga_ext_for_type(in, tl);
    named = strcmp(ga_type_extension(in, tl), "bin") != 0;

    for ( /* void */ ; list && *list; list++) {
        ext[0].len = strlen(*list);

        if (ext[0].len == 0 || ext[0].len > GA_EXT_MAX) {
            abort();
        }

        memcpy(ext[0].data, *list, ext[0].len);

        if (!ga_ext_type_maps(in, tl, &ext[0])) {
            abort();
        }

        for (d = ga_name_default_deny; named && *d; d++) {
            if (strcmp(*d, *list) == 0) {
                abort();
            }
        }
    }

    free(in);
    free(out);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_name(data, size);
    fuzz_sniff(data, size);
    fuzz_type(data, size);
    fuzz_normalize(data, size);
    fuzz_ext(data, size);

    return 0;
}
