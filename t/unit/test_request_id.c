
/*
 * Copyright (C) graph-attach authors
 */


#include <string.h>

#include "ga_request_id.h"
#include "tap.h"


#define S(s)  (const u_char *) (s), sizeof(s) - 1


static const char  good[] = "6f1c2a4e-8b1d-4f57-9a0e-2d6c1b7e3f90";


typedef struct {
    const char    *name;
    const u_char  *p;
    size_t         len;
    int            valid;
} vec_t;


static const vec_t  vectors[] = {
    { "lower case", S("6f1c2a4e-8b1d-4f57-9a0e-2d6c1b7e3f90"), 1 },
    { "upper case", S("6F1C2A4E-8B1D-4F57-9A0E-2D6C1B7E3F90"), 1 },
    { "mixed case", S("6f1C2a4E-8B1d-4f57-9A0e-2d6C1b7E3f90"), 1 },
    { "Microsoft's example", S("9C4D50EE-2D56-4CD3-8152-34347DC9F2B0"), 1 },
    { "version 1", S("c232ab00-9414-11ec-b3c8-9f6bdeced846"), 1 },
    { "not RFC variant", S("6f1c2a4e-8b1d-4f57-ca0e-2d6c1b7e3f90"), 1 },
    { "all f", S("ffffffff-ffff-ffff-ffff-ffffffffffff"), 1 },
    { "one bit from nil", S("00000000-0000-0000-0000-000000000001"), 1 },

    { "nil GUID", S("00000000-0000-0000-0000-000000000000"), 0 },
    { "empty", S(""), 0 },
    { "braces", S("{6f1c2a4e-8b1d-4f57-9a0e-2d6c1b7e3f90}"), 0 },
    { "parentheses", S("(6f1c2a4e-8b1d-4f57-9a0e-2d6c1b7e3f90)"), 0 },
    { "urn", S("urn:uuid:6f1c2a4e-8b1d-4f57-9a0e-2d6c1b7e3f90"), 0 },
    { "no hyphens", S("6f1c2a4e8b1d4f579a0e2d6c1b7e3f90"), 0 },
    { "leading space", S(" 6f1c2a4e-8b1d-4f57-9a0e-2d6c1b7e3f90"), 0 },
    { "trailing space", S("6f1c2a4e-8b1d-4f57-9a0e-2d6c1b7e3f90 "), 0 },
    { "trailing TAB", S("6f1c2a4e-8b1d-4f57-9a0e-2d6c1b7e3f9\t"), 0 },
    { "two ids", S("6f1c2a4e-8b1d-4f57-9a0e-2d6c1b7e3f90, "
                   "6f1c2a4e-8b1d-4f57-9a0e-2d6c1b7e3f91"), 0 },
    { "one short", S("6f1c2a4e-8b1d-4f57-9a0e-2d6c1b7e3f9"), 0 },
    { "one long", S("6f1c2a4e-8b1d-4f57-9a0e-2d6c1b7e3f900"), 0 },
    { "groups shifted", S("6f1c2a4-e8b1d-4f57-9a0e-2d6c1b7e3f90"), 0 },
    { "CRLF header", S("6f1c2a4e-8b1d-4f57-9a0e-2d6c1\r\nX: y"), 0 },
    { "g", S("6f1c2a4e-8b1d-4f57-9a0e-2d6c1b7e3f9g"), 0 },
    { "underscores", S("6f1c2a4e_8b1d_4f57_9a0e_2d6c1b7e3f90"), 0 },
    { "UTF-8 hyphen", S("6f1c2a4e\342\200\2208b1d-4f57-9a0e-2d6c1b7e3f"), 0 },
    { "fullwidth digit", S("\357\274\221f1c2a4e-8b1d-4f57-9a0e-2d6c1b7e3f"),
      0 },
};


int
main(void)
{
    int       want;
    size_t    i, pos, n;
    u_char   *end;
    u_char    buf[GA_REQUEST_ID_LEN + 8], rnd[16];
    unsigned  c;

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        is_int(ga_request_id_valid(vectors[i].p, vectors[i].len),
               vectors[i].valid, "%s", vectors[i].name);
    }

    /* every byte at every position: only what the grammar says passes */

    n = 0;

    for (pos = 0; pos < GA_REQUEST_ID_LEN; pos++) {
        for (c = 0; c < 256; c++) {
            memcpy(buf, good, GA_REQUEST_ID_LEN);
            buf[pos] = (u_char) c;

            if (pos == 8 || pos == 13 || pos == 18 || pos == 23) {
                want = (c == '-');

            } else {
                want = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
                       || (c >= 'A' && c <= 'F');
            }

            if (ga_request_id_valid(buf, GA_REQUEST_ID_LEN) != want) {
                ok(0, "byte 0x%02x at %zu: %s", c, pos,
                   want ? "refused" : "accepted");
                n++;
            }
        }
    }

    ok(n == 0, "every byte at each of the 36 positions judged right");

    /* every length around 36, of a valid prefix and of valid bytes */

    memset(buf, 'a', sizeof(buf));

    for (i = 0; i < sizeof(buf); i++) {
        memcpy(buf, good, GA_REQUEST_ID_LEN);
        is_int(ga_request_id_valid(buf, i), i == GA_REQUEST_ID_LEN,
               "length %zu", i);
    }

    /* generated ids: version 4, RFC variant, lower case, valid */

    memset(rnd, 0, sizeof(rnd));
    end = ga_request_id_format(buf, rnd);
    ok(end == buf + GA_REQUEST_ID_LEN, "format writes 36 bytes");
    is_mem(buf, GA_REQUEST_ID_LEN,
           "00000000-0000-4000-8000-000000000000", GA_REQUEST_ID_LEN,
           "zero bytes: version and variant set, not the nil GUID");
    ok(ga_request_id_valid(buf, GA_REQUEST_ID_LEN), "... and valid");

    memset(rnd, 0xff, sizeof(rnd));
    (void) ga_request_id_format(buf, rnd);
    is_mem(buf, GA_REQUEST_ID_LEN,
           "ffffffff-ffff-4fff-bfff-ffffffffffff", GA_REQUEST_ID_LEN,
           "0xff bytes: version 4, variant 10");

    for (i = 0; i < 16; i++) {
        rnd[i] = (u_char) (0x10 * i + i);
    }

    buf[GA_REQUEST_ID_LEN] = 'X';
    (void) ga_request_id_format(buf, rnd);
    is_mem(buf, GA_REQUEST_ID_LEN,
           "00112233-4455-4677-8899-aabbccddeeff", GA_REQUEST_ID_LEN,
           "bytes in order, lower-case hex");
    ok(buf[GA_REQUEST_ID_LEN] == 'X', "nothing written past 36 bytes");

    n = 0;

    for (c = 0; c < 256; c++) {
        memset(rnd, (int) c, sizeof(rnd));
        (void) ga_request_id_format(buf, rnd);

        if (!ga_request_id_valid(buf, GA_REQUEST_ID_LEN)
            || buf[14] != '4'
            || !(buf[19] == '8' || buf[19] == '9' || buf[19] == 'a'
                 || buf[19] == 'b'))
        {
            n++;
        }

        for (i = 0; i < GA_REQUEST_ID_LEN; i++) {
            if (buf[i] >= 'A' && buf[i] <= 'Z') {
                n++;
            }
        }
    }

    ok(n == 0, "every generated id is a valid version 4 UUID in lower case");

    return done_testing();
}
