
/*
 * Copyright (C) graph-attach authors
 */


#include "ga_ascii.h"
#include "ga_request_id.h"


static const char  ga_request_id_hex[] = "0123456789abcdef";


int
ga_request_id_valid(const u_char *p, size_t len)
{
    size_t  i;
    u_char  zero;

    if (len != GA_REQUEST_ID_LEN) {
        return 0;
    }

    zero = 1;

    for (i = 0; i < GA_REQUEST_ID_LEN; i++) {

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (p[i] != '-') {
                return 0;
            }

            continue;
        }

        if (ga_ascii_hex(p[i]) < 0) {
            return 0;
        }

        if (p[i] != '0') {
            zero = 0;
        }
    }

    return !zero;
}


u_char *
ga_request_id_format(u_char *out, const u_char *rnd)
{
    size_t  i;
    u_char  b;

    for (i = 0; i < 16; i++) {

        b = rnd[i];

        /* RFC 9562, 5.4: version 4 in the high nibble of byte 6, the
         * variant 10 in the high bits of byte 8 */

        if (i == 6) {
            b = (u_char) ((b & 0x0f) | 0x40);

        } else if (i == 8) {
            b = (u_char) ((b & 0x3f) | 0x80);
        }

        if (i == 4 || i == 6 || i == 8 || i == 10) {
            *out++ = '-';
        }

        *out++ = ga_request_id_hex[b >> 4];
        *out++ = ga_request_id_hex[b & 0x0f];
    }

    return out;
}
