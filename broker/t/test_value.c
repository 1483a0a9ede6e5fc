/*
 * Copyright (C) graph-attach authors
 */


#include <stdlib.h>
#include <string.h>

#include "ga_token.h"
#include "gab_value.h"
#include "tap.h"


static void
test_token(void)
{
    char        *v, buf[512];
    size_t       len;
    ga_token_t   tok;
    const char  *why;

    v = gab_value_token("eyJ0eXAi.eyJhdWQi.c2ln-_", 1767225600, &why);

    ok(v != NULL && why == NULL, "a token value");
    ok(v && strcmp(v, "{\"access_token\":\"eyJ0eXAi.eyJhdWQi.c2ln-_\","
                      "\"expires_on\":1767225600}") == 0,
       "the documented form");

    if (v) {
        len = strlen(v);
        memcpy(buf, v, len + 1);

        is_int(ga_token_parse((u_char *) buf, len, &tok), GA_TOKEN_OK,
               "the module reads it");
        is_mem(tok.data, tok.len, "eyJ0eXAi.eyJhdWQi.c2ln-_", 24,
               "the module's token");
        is_int(tok.expires_on, 1767225600, "the module's expires_on");
    }

    gab_value_free(v);

    v = gab_value_token("t/with\"quote\\", 2000000000, &why);
    ok(v && strstr(v, "t/with\\\"quote\\\\"), "JSON escaping, the module "
       "reads it back the same");
    gab_value_free(v);

    v = gab_value_token("two words", 1767225600, &why);
    ok(v == NULL && why && strstr(why, "spaces"),
       "a token with a space is refused, as the module would");

    v = gab_value_token("a\tb", 1767225600, &why);
    ok(v == NULL && why, "a tab is refused");

    v = gab_value_token("caf\xc3\xa9", 1767225600, &why);
    ok(v != NULL, "UTF-8 is no control character: taken");
    gab_value_free(v);

    {
        char  *big;

        big = malloc(20000);
        memset(big, 'a', 19999);
        big[19999] = '\0';

        v = gab_value_token(big, 1767225600, &why);
        ok(v == NULL && why && strstr(why, "16384"),
           "a token over 16384 bytes is refused");
        free(big);
    }
}


static void
test_meta(void)
{
    char        *v;
    gab_meta_t   m, p;

    memset(&m, 0, sizeof(gab_meta_t));

    m.refresh_at = 1767223800123LL;
    m.issued_at = 1767222000456LL;
    m.expires_on = 1767225600;
    m.fence = 42;
    strcpy(m.by, "gw1:1234");

    v = gab_value_meta(&m);

    if (!ok(v && strcmp(v, "{\"refresh_at\":1767223800123,\"issued_at\":"
                           "1767222000456,\"expires_on\":1767225600,"
                           "\"fence\":42,\"by\":\"gw1:1234\"}") == 0,
            "meta value"))
    {
        diag("%s", v ? v : "NULL");
    }

    is_int(gab_value_meta_parse(v, strlen(v), &p), 0, "parsed back");
    is_int(p.refresh_at, m.refresh_at, "refresh_at");
    is_int(p.issued_at, m.issued_at, "issued_at");
    is_int(p.expires_on, m.expires_on, "expires_on");
    is_int(p.fence, 42, "fence");
    ok(strcmp(p.by, "gw1:1234") == 0, "by");

    free(v);

#define bad(s, name)                                                         \
    is_int(gab_value_meta_parse(s, strlen(s), &p), -1, "meta refused: " name)

    bad("", "empty");
    bad("x", "not JSON");
    bad("[]", "an array");
    bad("{\"refresh_at\":1,\"issued_at\":1,\"expires_on\":1}", "no fence");
    bad("{\"refresh_at\":\"1\",\"issued_at\":1,\"expires_on\":1,\"fence\":1}",
        "a string refresh_at");
    bad("{\"refresh_at\":-1,\"issued_at\":1,\"expires_on\":1,\"fence\":1}",
        "negative");
    bad("{\"refresh_at\":1e300,\"issued_at\":1,\"expires_on\":1,\"fence\":1}",
        "huge");

#undef bad

    v = "{\"refresh_at\":1,\"issued_at\":2,\"expires_on\":3,\"fence\":4}";
    is_int(gab_value_meta_parse(v, strlen(v), &p), 0, "no by: taken");
    ok(p.by[0] == '\0', "by empty");
}


int
main(void)
{
    test_token();
    test_meta();

    return done_testing();
}
