
/*
 * Copyright (C) graph-attach authors
 */


/*
 * libFuzzer target for ga_content_type_boundary, ga_disposition_parse,
 * ga_filename_decode, ga_filename_decode_ext, ga_content_id_valid and
 * ga_encoded_word_find; byte 0 picks the one.
 * Inputs and outputs are exact-size heap buffers so ASan sees overruns;
 * every success must give what the API promises.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ga_content_id.h"
#include "ga_encoded_word.h"
#include "ga_header_params.h"
#include "ga_filename_decode.h"
#include "ga_utf8.h"


int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    int               rc, which;
    size_t            i, len, blen;
    u_char           *in, *out;
    ga_disposition_t  disp;

    if (n < 1) {
        return 0;
    }

    which = d[0] % 7;
    len = n - 1;

    in = malloc(len ? len : 1);
    memcpy(in, d + 1, len);

    switch (which) {

    case 0:
        out = malloc(GA_MP_MAX_BOUNDARY);
        blen = (size_t) -1;
        rc = ga_content_type_boundary(in, len, out, &blen);

        if (rc == GA_HP_OK) {
            if (blen == 0 || blen > GA_MP_MAX_BOUNDARY
                || out[blen - 1] == ' ')
            {
                abort();
            }

            for (i = 0; i < blen; i++) {
                if (out[i] < 0x20 || out[i] > 0x7e || out[i] == '"'
                    || out[i] == '\\')
                {
                    abort();
                }
            }
        }

        break;

    case 1:
        /* the documented need: raw name + max(raw filename, 2 * raw ext) */
        blen = 2 * len;
        out = malloc(blen ? blen : 1);
        rc = ga_disposition_parse(in, len, &disp, out, blen);

        if (rc == GA_HP_OK) {
            if (disp.has_name
                && (disp.name_len > len
                    || !ga_utf8_valid(disp.name, disp.name_len)))
            {
                abort();
            }

            if (disp.has_filename
                && (disp.filename_len > blen
                    || !ga_utf8_valid(disp.filename, disp.filename_len)))
            {
                abort();
            }
        }

        break;

    case 2:
    case 3:
        out = malloc(len ? len : 1);
        blen = 0;

        if (ga_filename_decode(in, len, which == 3, out, &blen) == 0) {
            if (blen > len || !ga_utf8_valid(out, blen)) {
                abort();
            }
        }

        break;

    case 5:
        out = NULL;

        /* an accepted id has no byte a MIME header could be broken by */

        if (ga_content_id_valid(in, len)) {
            if (len == 0 || len > GA_CONTENT_ID_MAX + 2) {
                abort();
            }

            for (i = 0; i < len; i++) {
                if (in[i] <= 0x20 || in[i] >= 0x7f || in[i] == '"'
                    || in[i] == '\\' || in[i] == ',' || in[i] == ';')
                {
                    abort();
                }
            }
        }

        break;

    case 6:
        out = NULL;

        /* a word found holds "=?" and, after it, "?=" */

        if (ga_encoded_word_find(in, len)) {
            for (i = 0; i + 1 < len; i++) {
                if (in[i] == '=' && in[i + 1] == '?') {
                    break;
                }
            }

            for (i += 2; i + 1 < len; i++) {
                if (in[i] == '?' && in[i + 1] == '=') {
                    break;
                }
            }

            if (i + 1 >= len) {
                abort();
            }
        }

        break;

    default:
        out = malloc(len ? 2 * len : 1);
        blen = 0;

        if (ga_filename_decode_ext(in, len, out, &blen) == 0) {
            if (blen > 2 * len || !ga_utf8_valid(out, blen)) {
                abort();
            }
        }

        break;
    }

    free(out);
    free(in);

    return 0;
}
