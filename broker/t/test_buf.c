/*
 * Copyright (C) graph-attach authors
 */


#include <string.h>

#include "gab_buf.h"
#include "tap.h"


static void
test_form(void)
{
    gab_buf_t  b;

    memset(&b, 0, sizeof(gab_buf_t));

    gab_form_add(&b, "grant_type", "client_credentials");
    gab_form_add(&b, "scope", "https://graph.microsoft.com/.default");
    gab_form_add(&b, "client_secret", "a+b&c=d e%f~g_h.i-j\xc3\xa9");

    if (!ok(strcmp(b.data, "grant_type=client_credentials"
                      "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
                      "&client_secret=a%2Bb%26c%3Dd%20e%25f~g_h.i-j%C3%A9")
            == 0, "form encoding: only unreserved bytes stay"))
    {
        diag("%s", b.data);
    }

    is_int(b.len, strlen(b.data), "len");

    gab_buf_reset(&b);
    is_int(b.len, 0, "reset");
    ok(b.data[0] == '\0', "reset: empty string");

    gab_form_add(&b, "a", "");
    ok(strcmp(b.data, "a=") == 0, "an empty value");

    gab_buf_free(&b);
    ok(b.data == NULL && b.len == 0 && b.cap == 0, "freed");
}


static void
test_buf(void)
{
    int        i, rc;
    char       chunk[100];
    gab_buf_t  b;

    memset(&b, 0, sizeof(gab_buf_t));
    memset(chunk, 'x', sizeof(chunk));

    for (i = 0, rc = 0; i < 1000 && rc == 0; i++) {
        rc = gab_buf_append(&b, chunk, sizeof(chunk));
    }

    ok(rc == 0 && b.len == 100000, "grows to 100000 bytes");
    ok(b.cap > b.len && b.data[b.len] == '\0', "NUL-terminated");
    gab_buf_free(&b);

    b.max = 250;

    ok(gab_buf_append(&b, chunk, 100) == 0, "max 250: 100 fit");
    ok(gab_buf_append(&b, chunk, 100) == 0, "200 fit");
    ok(gab_buf_append(&b, chunk, 100) == -1 && b.overflow, "300 do not");
    is_int(b.len, 200, "nothing of the refused append");
    ok(gab_buf_append(&b, chunk, 50) == 0, "250 fit");
    ok(gab_buf_append(&b, chunk, (size_t) -1) == -1, "a huge append");

    gab_buf_free(&b);
}


int
main(void)
{
    test_form();
    test_buf();

    return done_testing();
}
