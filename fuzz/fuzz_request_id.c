
/*
 * Copyright (C) graph-attach authors
 */


/*
 * libFuzzer target for ga_request_id_valid() and ga_request_id_format():
 *
 *     clang -fsanitize=fuzzer,address,undefined -Isrc \
 *         fuzz/fuzz_request_id.c src/ga_request_id.c src/ga_ascii.c
 *
 * The input is a header value as a client or Graph may send it.  The
 * validator must agree with a plain reference (sscanf-free, byte by byte)
 * and accept only bytes that are safe in a header and a log line; the
 * input is copied to a buffer of its exact size, so ASan sees any read
 * past it.  Its first 16 bytes, as random bytes, must format to an id the
 * validator accepts.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ga_request_id.h"


static int
reference(const u_char *p, size_t len)
{
    size_t  i;
    int     nonzero;

    if (len != 36) {
        return 0;
    }

    nonzero = 0;

    for (i = 0; i < len; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (p[i] != '-') {
                return 0;
            }

        } else if (strchr("0123456789abcdefABCDEF", p[i]) == NULL
                   || p[i] == '\0')
        {
            return 0;

        } else if (p[i] != '0') {
            nonzero = 1;
        }
    }

    return nonzero;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int      valid;
    size_t   i;
    u_char  *copy, out[GA_REQUEST_ID_LEN + 1];

    copy = malloc(size ? size : 1);
    if (copy == NULL) {
        return 0;
    }

    memcpy(copy, data, size);

    valid = ga_request_id_valid(copy, size);

    if (valid != reference(copy, size)) {
        abort();
    }

    if (valid) {
        for (i = 0; i < size; i++) {
            if (!((copy[i] >= '0' && copy[i] <= '9')
                  || (copy[i] >= 'a' && copy[i] <= 'f')
                  || (copy[i] >= 'A' && copy[i] <= 'F')
                  || copy[i] == '-'))
            {
                abort();
            }
        }
    }

    free(copy);

    if (size >= 16) {
        out[GA_REQUEST_ID_LEN] = 'X';

        if (ga_request_id_format(out, data) != out + GA_REQUEST_ID_LEN
            || out[GA_REQUEST_ID_LEN] != 'X'
            || !ga_request_id_valid(out, GA_REQUEST_ID_LEN)
            || out[14] != '4')
        {
            abort();
        }
    }

    return 0;
}
