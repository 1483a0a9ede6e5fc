
/*
 * Copyright (C) graph-attach authors
 */


/*
 * The SIMD base64 encoders against the scalar one and a trivial
 * reference, byte for byte: every length 0-1024 after every carry state
 * (0, 1 or 2 bytes left by an earlier update), every way of cutting
 * lengths up to 256 into two updates, and a megabyte in random pieces.
 * Each update reads from a buffer of its exact size and writes into one
 * of exactly what it should write, so ASan sees a read or write past
 * either.  An encoder the CPU (or the build) lacks is skipped, saying so.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ga_base64.h"
#include "tap.h"
#include "unit.h"


#define MAXLEN    1024
#define SPLITMAX  256
#define BIGLEN    (1024 * 1024 + 7)




static uint64_t  rng_state = 0x9e3779b97f4a7c15ULL;


static uint32_t
rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;

    return (uint32_t) (rng_state >> 32);
}


static void
fill(u_char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        p[i] = (u_char) rng();
    }
}


/*
 * One update of in[0..len) after ncarry bytes carried, from and into
 * buffers of their exact size: its output must be exactly the whole
 * groups, and the carry what is left.
 */

static int
update_exact(ga_base64_t *b, const u_char *in, size_t len, u_char **out)
{
    size_t   want, n, carried;
    u_char  *src, *dst;

    carried = b->ncarry;
    want = (carried + len) / 3 * 4;

    src = malloc(len ? len : 1);
    dst = malloc(want ? want : 1);

    if (src == NULL || dst == NULL) {
        free(src);
        free(dst);
        return 0;
    }

    if (len) {
        memcpy(src, in, len);
    }

    n = ga_base64_update(b, src, len, dst);

    if (n != want || b->ncarry != (carried + len) % 3) {
        free(src);
        free(dst);
        return 0;
    }

    memcpy(*out, dst, n);
    *out += n;

    free(src);
    free(dst);

    return 1;
}


/*
 * The prefix (to set the carry state), then data cut at cut, then
 * final; 0 if any update broke its contract.
 */

static int
encode_cut(const u_char *prefix, size_t nprefix, const u_char *data,
    size_t len, size_t cut, u_char *out, size_t *out_len)
{
    u_char       *p;
    ga_base64_t   b;

    ga_base64_init(&b);
    p = out;

    if (!update_exact(&b, prefix, nprefix, &p)
        || !update_exact(&b, data, cut, &p)
        || !update_exact(&b, data + cut, len - cut, &p))
    {
        return 0;
    }

    p += ga_base64_final(&b, p);

    if (b.ncarry != 0) {
        return 0;
    }

    *out_len = (size_t) (p - out);

    return 1;
}


int
main(void)
{
    int               good, ran;
    size_t            len, cut, c, n, rn, sn, from, piece;
    u_char           *big, *bigout, *bigref;
    ga_base64_t       b;
    ga_base64_impl_e  impl, best;

    static u_char  buf[2 + MAXLEN], out[2 * MAXLEN + 16],
                   ref[2 * MAXLEN + 16], scal[2 * MAXLEN + 16];

    /* which encoders there are, and what select() takes */

    ok(ga_base64_current() == GA_BASE64_SCALAR, "scalar until selected");
    ok(ga_base64_supported(GA_BASE64_SCALAR), "scalar always supported");
    ok(ga_base64_use(GA_BASE64_NIMPL) == -1, "no such encoder refused");
    ok(ga_base64_select(0) == GA_BASE64_SCALAR
       && ga_base64_current() == GA_BASE64_SCALAR, "select(0) is scalar");

    best = ga_base64_select(1);
    ok(best == ga_base64_current() && ga_base64_supported(best),
       "select(1) takes %s", ga_base64_name(best));
    ok(best == (ga_base64_supported(GA_BASE64_AVX512VBMI)
                ? GA_BASE64_AVX512VBMI
                : ga_base64_supported(GA_BASE64_AVX2) ? GA_BASE64_AVX2
                                                      : GA_BASE64_SCALAR),
       "select(1) takes the best supported");

    for (impl = GA_BASE64_SCALAR; impl < GA_BASE64_NIMPL; impl++) {
        printf("# %s: %s\n", ga_base64_name(impl),
               ga_base64_supported(impl) ? "supported, tested"
                                         : "not on this CPU or build, "
                                           "skipped");
    }

    ran = 0;

    for (impl = GA_BASE64_SCALAR; impl < GA_BASE64_NIMPL; impl++) {

        if (ga_base64_use(impl) != 0) {
            ok(1, "# skip %s: not on this CPU or build",
               ga_base64_name(impl));
            continue;
        }

        ran++;

        /* every length after every carry state, one update */

        for (c = 0; c < 3; c++) {
            for (len = 0; len <= MAXLEN; len++) {
                fill(buf, c + len);
                rn = ref_base64_encode(buf, c + len, ref);

                good = encode_cut(buf, c, buf + c, len, len, out, &n);

                /* the scalar encoder on the same bytes */

                (void) ga_base64_use(GA_BASE64_SCALAR);
                good = good && encode_cut(buf, c, buf + c, len, len, scal,
                                          &sn);
                (void) ga_base64_use(impl);

                ok(good && n == rn && memcmp(out, ref, n) == 0
                   && sn == n && memcmp(out, scal, n) == 0,
                   "%s: carry %zu, length %zu", ga_base64_name(impl), c,
                   len);
            }
        }

        /* every cut into two updates, up to SPLITMAX */

        for (c = 0; c < 3; c++) {
            for (len = 0; len <= SPLITMAX; len++) {
                fill(buf, c + len);
                rn = ref_base64_encode(buf, c + len, ref);

                good = 1;

                for (cut = 0; cut <= len && good; cut++) {
                    good = encode_cut(buf, c, buf + c, len, cut, out, &n)
                           && n == rn && memcmp(out, ref, n) == 0;
                }

                ok(good, "%s: carry %zu, length %zu, every cut%s",
                   ga_base64_name(impl), c, len,
                   good ? "" : " (a cut failed)");
            }
        }

        /* every byte value at every position of a 48-byte step */

        good = 1;

        for (len = 0; len < 256 && good; len++) {
            for (cut = 0; cut < 96 && good; cut++) {
                memset(buf, (int) (255 - len), 96);
                buf[cut] = (u_char) len;
                rn = ref_base64_encode(buf, 96, ref);

                good = encode_cut(buf, 0, buf, 96, 96, out, &n)
                       && n == rn && memcmp(out, ref, n) == 0;
            }
        }

        ok(good, "%s: every byte value at every position",
           ga_base64_name(impl));
    }

    ok(ran >= 1, "%d encoders ran", ran);

    /* a megabyte in random pieces, as the writer feeds it, every encoder */

    big = malloc(BIGLEN);
    bigout = malloc(BIGLEN / 3 * 4 + 8);
    bigref = malloc(BIGLEN / 3 * 4 + 8);

    if (big == NULL || bigout == NULL || bigref == NULL) {
        ok(0, "malloc");
        return done_testing();
    }

    fill(big, BIGLEN);
    rn = ref_base64_encode(big, BIGLEN, bigref);

    for (impl = GA_BASE64_SCALAR; impl < GA_BASE64_NIMPL; impl++) {

        if (ga_base64_use(impl) != 0) {
            continue;
        }

        ga_base64_init(&b);
        n = 0;
        from = 0;
        good = 1;

        while (from < BIGLEN) {
            piece = (rng() % 4 == 0) ? rng() % 70000 : rng() % 300;
            piece = (piece < BIGLEN - from) ? piece : BIGLEN - from;

            n += ga_base64_update(&b, big + from, piece, bigout + n);
            from += piece;
        }

        n += ga_base64_final(&b, bigout + n);

        ok(n == rn && memcmp(bigout, bigref, n) == 0,
           "%s: %d bytes in random pieces", ga_base64_name(impl), BIGLEN);
    }

    free(big);
    free(bigout);
    free(bigref);

    (void) ga_base64_select(1);

    return done_testing();
}
