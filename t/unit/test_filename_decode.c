
/*
 * Copyright (C) graph-attach authors
 */


#include <stdlib.h>
#include <string.h>

#include "ga_filename_decode.h"
#include "tap.h"


#define S(s)  (const u_char *) (s), sizeof(s) - 1
#define FAIL  NULL, 0


typedef struct {
    const char    *name;
    const u_char  *raw;
    size_t         raw_len;
    int            quoted;
    const u_char  *expect;     /* NULL: -1 expected */
    size_t         expect_len;
} vec_t;


/* raw is what sits between the quotes (or the token) on the wire */

static const vec_t  plain[] = {
    { "plain", S("plain.txt"), 1, S("plain.txt") },
    { "empty", S(""), 1, S("") },
    { "token", S("plain.txt"), 0, S("plain.txt") },

    /* WHATWG: Chromium, Firefox, curl >= 7.81, undici, urllib3 2 */
    { "WHATWG UTF-8", S("na\303\257ve r\303\251sum\303\251.pdf"), 1,
      S("na\303\257ve r\303\251sum\303\251.pdf") },
    { "WHATWG CJK", S("\346\227\245\346\234\254\350\252\236.txt"), 1,
      S("\346\227\245\346\234\254\350\252\236.txt") },
    { "WHATWG quote", S("quote%22d.txt"), 1, S("quote\"d.txt") },
    { "WHATWG backslash is raw", S("back\\slash.txt"), 1,
      S("back\\slash.txt") },
    { "WHATWG CR LF", S("cr%0Dlf%0A.txt"), 1, S("cr\rlf\n.txt") },
    { "WHATWG lower-case hex", S("cr%0dlf%0a%22.txt"), 1,
      S("cr\rlf\n\".txt") },
    { "WHATWG semicolon and equals", S("semi;colon=eq.txt"), 1,
      S("semi;colon=eq.txt") },
    { "WHATWG percent is raw", S("100%.txt"), 1, S("100%.txt") },
    { "WHATWG %25 is left alone", S("50%25 off.txt"), 1,
      S("50%25 off.txt") },
    { "WHATWG other %XX with unsafe chars left", S("a%41 b.txt"), 1,
      S("a%41 b.txt") },
    { "WHATWG trailing %", S("a%"), 1, S("a%") },
    { "WHATWG trailing %2", S("a%2"), 1, S("a%2") },
    { "WHATWG %2 then quote escape", S("%2%22"), 1, S("%2\"") },
    { "WHATWG backslash before n", S("a\\nb"), 1, S("a\\nb") },
    { "WHATWG Windows path", S("C:\\Users\\x\\a.txt"), 1,
      S("C:\\Users\\x\\a.txt") },

    /* backslash quoting: Go, Perl LWP, Ruby; httpx for backslash */
    { "Go quote", S("quote\\\"d.txt"), 1, S("quote\"d.txt") },
    { "Go backslash", S("back\\\\slash.txt"), 1, S("back\\slash.txt") },
    { "Go double backslash", S("a\\\\\\\\b"), 1, S("a\\\\b") },
    { "backslash escape ignored in a token", S("a\\\\b"), 0,
      S("a\\\\b") },
    { "lone trailing backslash", S("a\\"), 1, S("a\\") },
    { "httpx quote and backslash", S("q%22\\\\b.txt"), 1,
      S("q\"\\b.txt") },

    /* aiohttp: quote(name, safe='') */
    { "aiohttp UTF-8",
      S("na%C3%AFve%20r%C3%A9sum%C3%A9.pdf"), 1,
      S("na\303\257ve r\303\251sum\303\251.pdf") },
    { "aiohttp CJK", S("%E6%97%A5%E6%9C%AC%E8%AA%9E.txt"), 1,
      S("\346\227\245\346\234\254\350\252\236.txt") },
    { "aiohttp quote", S("quote%22d.txt"), 1, S("quote\"d.txt") },
    { "aiohttp backslash", S("back%5Cslash.txt"), 1, S("back\\slash.txt") },
    { "aiohttp semicolon", S("semi%3Bcolon%3Deq.txt"), 1,
      S("semi;colon=eq.txt") },
    { "aiohttp percent", S("100%25.txt"), 1, S("100%.txt") },
    { "aiohttp lower-case hex", S("%c3%a9"), 1, S("\303\251") },
    { "aiohttp CR LF", S("cr%0Dlf%0A.txt"), 1, S("cr\rlf\n.txt") },

    /* the documented ambiguity: safe chars and a valid triplet */
    { "ambiguous a%20b.txt is decoded", S("a%20b.txt"), 1, S("a b.txt") },

    /* all safe with triplets but not UTF-8: rule 3 applies */
    { "Latin-1 triplets stay literal", S("r%E9sum%E9.pdf"), 1,
      S("r%E9sum%E9.pdf") },
    { "overlong via triplets stays literal", S("%C0%AF"), 1, S("%C0%AF") },

    /* the result must be UTF-8 */
    { "raw Latin-1", S("r\351sum\351.pdf"), 1, FAIL },
    { "raw overlong", S("\300\257"), 1, FAIL },
    { "raw surrogate", S("\355\240\200"), 0, FAIL },
};


static const vec_t  ext[] = {
    { "UTF-8", S("UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.pdf"), 0,
      S("na\303\257ve r\303\251sum\303\251.pdf") },
    { "utf-8 lower case", S("utf-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.txt"), 0,
      S("\346\227\245\346\234\254\350\252\236.txt") },
    { "language tag", S("UTF-8'en-us'a%20b.txt"), 0, S("a b.txt") },
    { "ISO-8859-1", S("ISO-8859-1''r%E9sum%E9.pdf"), 0,
      S("r\303\251sum\303\251.pdf") },
    { "iso-8859-1 lower case, byte FF", S("iso-8859-1'de'%FF"), 0,
      S("\303\277") },
    { "attr-chars kept", S("UTF-8''a!#$&+-.^_`|~z"), 0,
      S("a!#$&+-.^_`|~z") },
    { "empty value", S("UTF-8''"), 0, S("") },
    { "quote and CR LF", S("UTF-8''q%22%0D%0A"), 0, S("q\"\r\n") },

    { "unknown charset", S("UTF-16''a"), 0, FAIL },
    { "no charset", S("''a"), 0, FAIL },
    { "no quotes at all", S("a.txt"), 0, FAIL },
    { "one quote", S("UTF-8'a.txt"), 0, FAIL },
    { "charset prefix only", S("UTF-8x''a"), 0, FAIL },
    { "bad hex", S("UTF-8''%G1"), 0, FAIL },
    { "cut triplet", S("UTF-8''a%4"), 0, FAIL },
    { "cut triplet %", S("UTF-8''a%"), 0, FAIL },
    { "raw space", S("UTF-8''a b"), 0, FAIL },
    { "raw quote", S("UTF-8''a\"b"), 0, FAIL },
    { "raw NUL", S("UTF-8''a\000b"), 0, FAIL },
    { "raw non-ASCII", S("UTF-8''\303\251"), 0, FAIL },
    { "invalid UTF-8", S("UTF-8''%E9t%E9"), 0, FAIL },
    { "surrogate", S("UTF-8''%ED%A0%80"), 0, FAIL },
    { "overlong slash", S("UTF-8''%C0%AF"), 0, FAIL },
};


static void
check(const vec_t *v, int is_ext)
{
    int      rc;
    size_t   out_len;
    u_char  *out;

    /* exactly the documented room, so ASan sees any overflow */

    out = malloc(v->raw_len * (is_ext ? 2 : 1) + 1);
    out_len = (size_t) -1;

    if (is_ext) {
        rc = ga_filename_decode_ext(v->raw, v->raw_len, out, &out_len);

    } else {
        rc = ga_filename_decode(v->raw, v->raw_len, v->quoted, out,
                                &out_len);
    }

    if (v->expect == NULL) {
        is_int(rc, -1, "%s%s: rejected", is_ext ? "filename*: " : "",
               v->name);

    } else if (is_int(rc, 0, "%s%s: accepted", is_ext ? "filename*: " : "",
                      v->name))
    {
        is_mem(out, out_len, v->expect, v->expect_len, "%s%s: decoded",
               is_ext ? "filename*: " : "", v->name);
    }

    free(out);
}


int
main(void)
{
    int      rc;
    size_t   i, out_len;
    u_char  *raw, *out;

    for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        check(&plain[i], 0);
    }

    for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
        check(&ext[i], 1);
    }

    /* exact-size heap copies of the input: no read past raw + len */

    raw = malloc(3);
    memcpy(raw, "a%2", 3);
    out = malloc(3);
    rc = ga_filename_decode(raw, 3, 1, out, &out_len);
    ok(rc == 0 && out_len == 3, "cut triplet at the end of the buffer");
    rc = ga_filename_decode_ext(raw, 3, out, &out_len);
    ok(rc == -1, "filename* without quotes at the end of the buffer");
    free(raw);
    free(out);

    raw = malloc(1);
    raw[0] = '\\';
    out = malloc(1);
    rc = ga_filename_decode(raw, 1, 1, out, &out_len);
    ok(rc == 0 && out_len == 1 && out[0] == '\\', "backslash at the end");
    free(raw);
    free(out);

    return done_testing();
}
