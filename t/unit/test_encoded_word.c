
/*
 * Copyright (C) graph-attach authors
 */


#include <stdlib.h>
#include <string.h>

#include "ga_encoded_word.h"
#include "tap.h"


#define S(s)  (const u_char *) (s), sizeof(s) - 1


typedef struct {
    const char    *name;
    const u_char  *p;
    size_t         len;
    int            found;
} vec_t;


static const vec_t  vectors[] = {
    { "B, UTF-8", S("=?UTF-8?B?aW52b2ljZS5leGU=?="), 1 },
    { "b lower case", S("=?utf-8?b?aW52b2ljZS5leGU=?="), 1 },
    { "Q, ISO-8859-1", S("=?ISO-8859-1?Q?invoice=2Eexe?="), 1 },
    { "q lower case", S("=?iso-8859-1?q?a=2Eexe?="), 1 },
    { "with a language", S("=?UTF-8*en?B?YS5leGU=?="), 1 },
    { "empty text", S("=?UTF-8?B?" "?="), 1 },
    { "after a prefix", S("report =?UTF-8?B?LmV4ZQ==?="), 1 },
    { "two words", S("=?UTF-8?Q?a?= =?UTF-8?Q?=2Eexe?="), 1 },
    { "before an extension", S("=?UTF-8?Q?x=2Eexe=00?=.pdf"), 1 },
    { "after a false start", S("=?=?UTF-8?B?YQ==?="), 1 },

    { "plain name", S("invoice.pdf"), 0 },
    { "empty", S(""), 0 },
    { "=? alone", S("a=?b.pdf"), 0 },
    { "no encoding", S("=?UTF-8??x?="), 1 },
    { "unknown encoding", S("=?UTF-8?X?x?="), 1 },
    { "no charset", S("=??B?x?="), 1 },
    { "unterminated", S("=?UTF-8?B?aW52b2ljZS5leGU="), 0 },
    { "space in text", S("=?UTF-8?Q?a b?="), 1 },
    { "space in B text", S("=?UTF-8?B?aW52 b2ljZS5leGU=?="), 1 },
    { "bare", S("=?" "?="), 1 },
    { "overlapping", S("a=?=b.pdf"), 0 },
    { "closing first", S("a?=b=?c.pdf"), 0 },
    { "cut before ?=", S("=?UTF-8?B?x?"), 0 },
    { "cut after =?", S("=?"), 0 },
    { "math", S("a=?b?c.txt"), 0 },
};


int
main(void)
{
    size_t   i, n;
    u_char  *copy;

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        is_int(ga_encoded_word_find(vectors[i].p, vectors[i].len),
               vectors[i].found, "%s", vectors[i].name);
    }

    /* every prefix of a word is none: exact-size copies for ASan */

    n = sizeof("=?UTF-8?B?aW52b2ljZS5leGU=?=") - 1;

    for (i = 0; i < n; i++) {
        copy = malloc(i + 1);
        memcpy(copy, "=?UTF-8?B?aW52b2ljZS5leGU=?=", i);
        ok(!ga_encoded_word_find(copy, i), "prefix of %zu bytes: none", i);
        free(copy);
    }

    return done_testing();
}
