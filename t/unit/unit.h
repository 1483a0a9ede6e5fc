
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _UNIT_H_INCLUDED_
#define _UNIT_H_INCLUDED_


/* What the unit tests share beyond TAP (tap.h). */

#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "ga_name.h"


/* 1 if ext (lower case, no dot) is on the default deny list */

static inline int
default_denied(const char *ext)
{
    const char  **d;

    for (d = ga_name_default_deny; *d; d++) {
        if (strcmp(*d, ext) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * base64 as a deliberately different reference for the encoders: 6 bits
 * at a time from a bit buffer, then padding to a multiple of 4
 */

static inline size_t
ref_base64_encode(const u_char *in, size_t len, u_char *out)
{
    size_t    i, n, nbits;
    uint32_t  acc;

    static const char  abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    n = 0;
    acc = 0;
    nbits = 0;

    for (i = 0; i < len; i++) {
        acc = (acc << 8) | in[i];
        nbits += 8;

        while (nbits >= 6) {
            out[n++] = abc[(acc >> (nbits - 6)) & 0x3f];
            nbits -= 6;
        }
    }

    if (nbits) {
        out[n++] = abc[(acc << (6 - nbits)) & 0x3f];
    }

    while (n % 4) {
        out[n++] = '=';
    }

    return n;
}


#endif /* _UNIT_H_INCLUDED_ */
