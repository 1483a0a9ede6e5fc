
/*
 * Copyright (C) graph-attach authors
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ga_base64.h"
#include "tap.h"
#include "unit.h"


#define MAXLEN  300




/*
 * Encodes in pieces cut at cuts[0..ncuts), checking each update against
 * its bound and that nothing is written past what it reports.
 */

static int
enc_pieces(const u_char *in, size_t len, const size_t *cuts, size_t ncuts,
    u_char *out, size_t *out_len)
{
    size_t       i, from, to, n, bound;
    u_char      *p;
    ga_base64_t  b;

    ga_base64_init(&b);

    p = out;
    from = 0;

    for (i = 0; i <= ncuts; i++) {
        to = (i < ncuts) ? cuts[i] : len;
        bound = ga_base64_update_bound(to - from);

        memset(p, '!', bound + 1);

        n = ga_base64_update(&b, in + from, to - from, p);

        if (n > bound || n % 4 || p[n] != '!') {
            return 0;
        }

        if (b.ncarry > 2) {
            return 0;
        }

        p += n;
        from = to;
    }

    memset(p, '!', 5);

    n = ga_base64_final(&b, p);

    if ((n != 0 && n != 4) || p[n] != '!' || b.ncarry != 0) {
        return 0;
    }

    *out_len = p + n - out;

    return 1;
}


static void
fill(u_char *p, size_t len, uint32_t seed)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        seed = seed * 1103515245 + 12345;
        p[i] = (u_char) (seed >> 16);
    }
}


int
main(void)
{
    int          good;
    size_t       len, i, j, n, rn, cuts[MAXLEN];
    u_char       in[MAXLEN], out[2 * MAXLEN], ref[2 * MAXLEN];
    u_char       all[256];
    ga_base64_t  b;

    static const struct {
        const char  *in;
        const char  *out;
    } rfc[] = {
        { "", "" },
        { "f", "Zg==" },
        { "fo", "Zm8=" },
        { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" },
        { "fooba", "Zm9vYmE=" },
        { "foobar", "Zm9vYmFy" },
    };

    /* RFC 4648, section 10 */

    for (i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
        len = strlen(rfc[i].in);
        ok(enc_pieces((const u_char *) rfc[i].in, len, NULL, 0, out, &n),
           "rfc 4648 \"%s\" encodes", rfc[i].in);
        is_mem(out, n, rfc[i].out, strlen(rfc[i].out),
               "rfc 4648 \"%s\"", rfc[i].in);
    }

    /* the reference agrees with the RFC too, so it can be trusted below */

    n = ref_base64_encode((const u_char *) "foobar", 6, ref);
    is_mem(ref, n, "Zm9vYmFy", 8, "reference encoder sane");

    /* the alphabet ends: + and / (not the URL-safe - and _) */

    all[0] = 0xfb;
    all[1] = 0xff;
    all[2] = 0xbf;
    ok(enc_pieces(all, 3, NULL, 0, out, &n), "fbffbf encodes");
    is_mem(out, n, "+/+/", 4, "fbffbf is +/+/");

    /* all 256 byte values, as one buffer and each alone */

    for (i = 0; i < 256; i++) {
        all[i] = (u_char) i;
    }

    {
        u_char  big[400], bigref[400];

        ok(enc_pieces(all, 256, NULL, 0, big, &n), "bytes 0..255 encode");
        rn = ref_base64_encode(all, 256, bigref);
        is_mem(big, n, bigref, rn, "bytes 0..255 match the reference");
    }

    good = 1;

    for (i = 0; i < 256; i++) {
        for (j = 0; j < 3; j++) {
            u_char  tri[3];

            /* the byte in each position of a group */

            memset(tri, 0, sizeof(tri));
            tri[j] = (u_char) i;

            if (!enc_pieces(tri, j + 1, NULL, 0, out, &n)) {
                good = 0;
                continue;
            }

            rn = ref_base64_encode(tri, j + 1, ref);

            if (n != rn || memcmp(out, ref, n) != 0) {
                good = 0;
            }
        }
    }

    ok(good, "each byte value at each position of a group");

    /* every length: whole, every split point, one byte at a time */

    for (i = 0; i < MAXLEN; i++) {
        cuts[i] = i + 1;
    }

    for (len = 0; len <= MAXLEN; len++) {
        fill(in, len, (uint32_t) len);
        rn = ref_base64_encode(in, len, ref);

        good = enc_pieces(in, len, NULL, 0, out, &n)
               && n == rn && memcmp(out, ref, n) == 0
               && n == ga_base64_update_bound(len);

        for (i = 0; good && i <= len; i++) {
            good = enc_pieces(in, len, &i, 1, out, &n)
                   && n == rn && memcmp(out, ref, n) == 0;
        }

        /* three pieces: every first cut, second cut 1 and 2 bytes later */

        for (i = 0; good && i + 2 <= len; i++) {
            size_t  c2[2];

            for (j = 1; good && j <= 2; j++) {
                c2[0] = i;
                c2[1] = i + j;
                good = enc_pieces(in, len, c2, 2, out, &n)
                       && n == rn && memcmp(out, ref, n) == 0;
            }
        }

        if (good && len) {
            good = enc_pieces(in, len, cuts, len - 1, out, &n)
                   && n == rn && memcmp(out, ref, n) == 0;
        }

        ok(good, "length %zu: whole, every split, byte by byte", len);
    }

    /* empty updates leave the carry alone */

    ga_base64_init(&b);
    n = ga_base64_update(&b, (const u_char *) "f", 1, out);
    n += ga_base64_update(&b, (const u_char *) "", 0, out + n);
    n += ga_base64_update(&b, (const u_char *) "o", 1, out + n);
    n += ga_base64_update(&b, NULL, 0, out + n);
    n += ga_base64_final(&b, out + n);
    is_mem(out, n, "Zm8=", 4, "empty updates between bytes");

    /* final twice: the second flushes nothing */

    is_int(ga_base64_final(&b, out), 0, "final after final is empty");

    /* a reused context after init */

    ga_base64_init(&b);
    n = ga_base64_update(&b, (const u_char *) "foob", 4, out);
    n += ga_base64_final(&b, out + n);
    is_mem(out, n, "Zm9vYg==", 8, "context reused after init");

    /*
     * the bound macro is the documented expression, and from a fresh
     * context the whole output: 3 MiB, Graph's limit, is 4 MiB of base64
     */

    is_int(ga_base64_update_bound(0), 0, "update_bound(0)");
    is_int(ga_base64_update_bound(1), 4, "update_bound(1)");
    is_int(ga_base64_update_bound(3), 4, "update_bound(3)");
    is_int(ga_base64_update_bound(4), 8, "update_bound(4)");
    is_int(ga_base64_update_bound(3145728), 4194304, "update_bound(3 MiB)");

    /* a big buffer in one update: the hot path, against the reference */

    {
        size_t   big = 3 * 1024 * 1024 + 1;
        u_char  *src, *dst, *want;

        src = malloc(big);
        dst = malloc(ga_base64_update_bound(big) + 1);
        want = malloc(ga_base64_update_bound(big) + 1);

        if (src == NULL || dst == NULL || want == NULL) {
            ok(0, "malloc");
            return done_testing();
        }

        fill(src, big, 7);

        ga_base64_init(&b);
        n = ga_base64_update(&b, src, big, dst);
        n += ga_base64_final(&b, dst + n);
        rn = ref_base64_encode(src, big, want);

        ok(n == rn && memcmp(dst, want, n) == 0, "3 MiB + 1 in one update");

        free(src);
        free(dst);
        free(want);
    }

    return done_testing();
}
