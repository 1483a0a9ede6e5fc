
/*
 * Copyright (C) graph-attach authors
 */


#include <string.h>

#include "ga_content_id.h"
#include "tap.h"


#define S(s)  (const u_char *) (s), sizeof(s) - 1


typedef struct {
    const char    *name;
    const u_char  *p;
    size_t         len;
    int            valid;
} vec_t;


static const vec_t  vectors[] = {
    { "plain", S("logo"), 1 },
    { "msg-id", S("img1@contoso"), 1 },
    { "Outlook's form", S("image001.png@01DA2B3C.4D5E6F70"), 1 },
    { "in angle brackets", S("<img1@contoso>"), 1 },
    { "atext", S("a!#$%&'*+-/=?^_`{|}~z"), 1 },
    { "one character", S("x"), 1 },

    { "empty", S(""), 0 },
    { "empty brackets", S("<>"), 0 },
    { "space", S("a b"), 0 },
    { "TAB", S("a\tb"), 0 },
    { "CR", S("a\rb"), 0 },
    { "LF", S("a\nb"), 0 },
    { "CRLF header", S("a\r\nBcc: x@evil"), 0 },
    { "NUL", S("a\000b"), 0 },
    { "DEL", S("a\177b"), 0 },
    { "non-ASCII", S("caf\303\251"), 0 },
    { "angle bracket inside", S("a>b"), 0 },
    { "open bracket only", S("<ab"), 0 },
    { "nested brackets", S("<<a>>"), 0 },
    { "quote", S("a\"b"), 0 },
    { "backslash", S("a\\b"), 0 },
    { "comma", S("a,b"), 0 },
    { "semicolon", S("a;b"), 0 },
    { "colon", S("a:b"), 0 },
    { "parenthesis", S("a(b)"), 0 },
    { "square bracket", S("[a]"), 0 },
};


int
main(void)
{
    size_t  i;
    u_char  buf[GA_CONTENT_ID_MAX + 3];

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        is_int(ga_content_id_valid(vectors[i].p, vectors[i].len),
               vectors[i].valid, "%s", vectors[i].name);
    }

    memset(buf, 'a', sizeof(buf));

    ok(ga_content_id_valid(buf, GA_CONTENT_ID_MAX), "longest accepted");
    ok(!ga_content_id_valid(buf, GA_CONTENT_ID_MAX + 1), "one more refused");

    buf[0] = '<';
    buf[GA_CONTENT_ID_MAX + 1] = '>';
    ok(ga_content_id_valid(buf, GA_CONTENT_ID_MAX + 2),
       "longest accepted in brackets");

    /* every single byte alone */

    for (i = 0; i < 256; i++) {
        buf[0] = (u_char) i;

        if (i <= 0x20 || i >= 0x7f || strchr("\"(),:;<>[\\]", (int) i)) {
            ok(!ga_content_id_valid(buf, 1), "byte 0x%02zx refused", i);

        } else {
            ok(ga_content_id_valid(buf, 1), "byte 0x%02zx accepted", i);
        }
    }

    return done_testing();
}
