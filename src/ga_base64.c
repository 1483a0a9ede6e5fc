
/*
 * Copyright (C) graph-attach authors
 */


#include "ga_base64.h"


static const u_char  ga_base64_alphabet[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";


void
ga_base64_init(ga_base64_t *b)
{
    b->ncarry = 0;
}


size_t
ga_base64_update(ga_base64_t *b, const u_char *in, size_t len, u_char *out)
{
    u_char        *p;
    const u_char  *last;

    p = out;

    /* complete a group started by the previous call */

    if (b->ncarry) {
        while (b->ncarry < 2 && len) {
            b->carry[b->ncarry++] = *in++;
            len--;
        }

        if (len == 0) {
            return 0;
        }

        /* two carried bytes and one new one make a group */

        p[0] = ga_base64_alphabet[b->carry[0] >> 2];
        p[1] = ga_base64_alphabet[((b->carry[0] & 0x03) << 4)
                                  | (b->carry[1] >> 4)];
        p[2] = ga_base64_alphabet[((b->carry[1] & 0x0f) << 2) | (in[0] >> 6)];
        p[3] = ga_base64_alphabet[in[0] & 0x3f];
        p += 4;
        in++;
        len--;
        b->ncarry = 0;
    }

    /* the hot loop: whole groups straight from the input */

    last = in + len - len % 3;

    while (in < last) {
        p[0] = ga_base64_alphabet[in[0] >> 2];
        p[1] = ga_base64_alphabet[((in[0] & 0x03) << 4) | (in[1] >> 4)];
        p[2] = ga_base64_alphabet[((in[1] & 0x0f) << 2) | (in[2] >> 6)];
        p[3] = ga_base64_alphabet[in[2] & 0x3f];
        p += 4;
        in += 3;
    }

    len %= 3;

    while (len--) {
        b->carry[b->ncarry++] = *in++;
    }

    return (size_t) (p - out);
}


size_t
ga_base64_final(ga_base64_t *b, u_char *out)
{
    size_t  n;

    n = b->ncarry;
    b->ncarry = 0;

    if (n == 0) {
        return 0;
    }

    out[0] = ga_base64_alphabet[b->carry[0] >> 2];

    if (n == 1) {
        out[1] = ga_base64_alphabet[(b->carry[0] & 0x03) << 4];
        out[2] = '=';

    } else {
        out[1] = ga_base64_alphabet[((b->carry[0] & 0x03) << 4)
                                    | (b->carry[1] >> 4)];
        out[2] = ga_base64_alphabet[(b->carry[1] & 0x0f) << 2];
    }

    out[3] = '=';

    return 4;
}
