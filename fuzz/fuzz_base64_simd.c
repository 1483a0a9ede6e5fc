
/*
 * Copyright (C) graph-attach authors
 */


/*
 * Differential libFuzzer target for the base64 encoders: every encoder
 * the CPU has (scalar, AVX2, AVX-512 VBMI) against the scalar one:
 *
 *     clang -fsanitize=fuzzer,address,undefined -Isrc \
 *         fuzz/fuzz_base64_simd.c src/ga_*.c
 *
 * The first 8 bytes of the input seed the cuts, the rest is the file.
 * The scalar encoder takes the file in one update; each encoder then
 * takes it in pieces of random sizes (mostly small, sometimes up to the
 * whole, so the carry is crossed in every state and SIMD blocks start at
 * every offset), each piece malloc()ed to its exact size and written
 * into a buffer of exactly the output it owes, so ASan sees a read or
 * write past either.  Invariants, checked with abort():
 *   - an update writes (carried + len) / 3 * 4 bytes and carries the
 *     rest, 0 to 2 bytes;
 *   - the whole output, final included, is the scalar one, byte for byte.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ga_base64.h"


static size_t
encode_pieces(const uint8_t *data, size_t len, uint64_t seed, u_char *out)
{
    size_t       n, piece, carried, want, got;
    u_char      *src, *dst;
    ga_base64_t  b;

    ga_base64_init(&b);
    n = 0;

    while (len) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;

        piece = (seed >> 60) < 12 ? (seed >> 33) % 8
                                  : (seed >> 33) % (len + 1);
        piece = (piece < len) ? piece : len;

        carried = b.ncarry;
        want = (carried + piece) / 3 * 4;

        src = malloc(piece ? piece : 1);
        dst = malloc(want ? want : 1);

        if (src == NULL || dst == NULL) {
            abort();
        }

        memcpy(src, data, piece);

        got = ga_base64_update(&b, src, piece, dst);

        if (got != want || b.ncarry != (carried + piece) % 3) {
            abort();
        }

        memcpy(out + n, dst, got);
        n += got;

        free(src);
        free(dst);

        data += piece;
        len -= piece;
    }

    n += ga_base64_final(&b, out + n);

    return n;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t            n, sn;
    u_char           *out, *scal;
    uint64_t          seed;
    ga_base64_t       b;
    ga_base64_impl_e  impl;

    seed = 0;

    if (size >= 8) {
        memcpy(&seed, data, 8);
        data += 8;
        size -= 8;
    }

    out = malloc(ga_base64_update_bound(size) + 4);
    scal = malloc(ga_base64_update_bound(size) + 4);

    if (out == NULL || scal == NULL) {
        abort();
    }

    (void) ga_base64_use(GA_BASE64_SCALAR);

    ga_base64_init(&b);
    sn = ga_base64_update(&b, data, size, scal);
    sn += ga_base64_final(&b, scal + sn);

    if (sn != (size + 2) / 3 * 4) {
        abort();
    }

    for (impl = GA_BASE64_SCALAR; impl < GA_BASE64_NIMPL; impl++) {

        if (ga_base64_use(impl) != 0) {
            continue;
        }

        n = encode_pieces(data, size, seed, out);

        if (n != sn || memcmp(out, scal, n) != 0) {
            abort();
        }

        /* one update too: the SIMD encoders' longest run */

        ga_base64_init(&b);
        n = ga_base64_update(&b, data, size, out);
        n += ga_base64_final(&b, out + n);

        if (n != sn || memcmp(out, scal, n) != 0) {
            abort();
        }
    }

    free(out);
    free(scal);

    return 0;
}
