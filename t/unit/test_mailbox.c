
/*
 * Copyright (C) graph-attach authors
 *
 * ga_mailbox_check(): what graph_attach_user may make /me stand for.
 * Every value is copied to a buffer of its exact length, so ASan sees a
 * read past it.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ga_mailbox.h"
#include "tap.h"


#define OK       GA_MAILBOX_OK
#define EMPTY    GA_MAILBOX_EMPTY
#define INVALID  GA_MAILBOX_INVALID


static int
check(const char *v, size_t len, int expect, const char *name)
{
    int      rc;
    u_char  *p;

    p = malloc(len ? len : 1);
    if (p == NULL) {
        return ok(0, "%s: malloc", name);
    }

    memcpy(p, v, len);
    rc = ga_mailbox_check(p, len);
    free(p);

    if (rc != expect) {
        diag("  \"%.*s\": %d, expected %d", (int) len, v, rc, expect);
    }

    return ok(rc == expect, "%s", name);
}


#define C(v, expect, name)  check(v, strlen(v), expect, name)


static void
upns(void)
{
    C("alice@contoso.com", OK, "a UPN");
    C("Alice.Smith@Contoso.COM", OK, "dots, any case");
    C("o'neil@contoso.com", OK, "apostrophe");
    C("a-b_c!d^e~f@contoso.com", OK, "the other characters Entra allows");
    C("alice@contoso.onmicrosoft.com", OK, "onmicrosoft.com");
    C("alice@sub-domain.contoso.co.uk", OK, "hyphen in a label");
    C("1@2.3", OK, "digits");
    C("a@b.c", OK, "short");

    C("alice", INVALID, "no @ (a bare user name)");
    C("@contoso.com", INVALID, "empty local part");
    C("alice@", INVALID, "empty domain");
    C("alice@@contoso.com", INVALID, "two @");
    C("alice@bob@contoso.com", INVALID, "two @ apart");
    C("alice@localhost", INVALID, "a one-label domain");
    C("alice@contoso.", INVALID, "domain ending in a dot");
    C("alice@.contoso.com", INVALID, "domain starting with a dot");
    C("alice@contoso..com", INVALID, "empty label");
    C("alice@-contoso.com", INVALID, "label starting with -");
    C("alice@contoso-.com", INVALID, "label ending with -");
    C("alice@contoso.com-", INVALID, "domain ending with -");
    C("alice@contoso_x.com", INVALID, "_ in the domain");
    C(".alice@contoso.com", INVALID, "local part starting with a dot");
    C("alice.@contoso.com", INVALID, "dot before @");
    C("al..ice@contoso.com", INVALID, "two dots");
    C("x_y.com#EXT#@contoso.onmicrosoft.com", INVALID,
      "a guest's #EXT# UPN");
    C("\"alice\"@contoso.com", INVALID, "quoted local part");
    C("alice+tag@contoso.com", INVALID, "+ (not in a UPN)");
    C("alice@[127.0.0.1]", INVALID, "address literal");
    C("alice@xn--bcher-kva.example", OK, "punycode domain");
    C("b\xc3\xbc" "cher@contoso.com", INVALID, "non-ASCII local part");
    C("alice@b\xc3\xbc" "cher.de", INVALID, "non-ASCII domain");
}


static void
hostile(void)
{
    C("", EMPTY, "empty");
    check("\0", 1, INVALID, "NUL");
    check("alice\0@contoso.com", 18, INVALID, "NUL inside");
    C("alice@contoso.com/../bob@contoso.com", INVALID, "/ and ..");
    C("..", INVALID, "..");
    C(".", INVALID, ".");
    C("alice%2F@contoso.com", INVALID, "%2F (never decoded)");
    C("alice%40contoso.com", INVALID, "%40 (never decoded)");
    C("alice@contoso.com?x", INVALID, "?");
    C("alice@contoso.com#x", INVALID, "#");
    C("alice@contoso.com&x=1", INVALID, "&");
    C("alice smith@contoso.com", INVALID, "space");
    C(" alice@contoso.com", INVALID, "leading space");
    C("alice@contoso.com ", INVALID, "trailing space");
    C("alice@contoso.com\r\nX-Evil: 1", INVALID, "CRLF");
    C("alice\t@contoso.com", INVALID, "tab");
    C("alice\x7f@contoso.com", INVALID, "DEL");
    C("alice\xe2\x80\xae@contoso.com", INVALID, "U+202E");
    C("alice\xe2\x80\x8b@contoso.com", INVALID, "U+200B");
    C("alice\xc2\xad@contoso.com", INVALID, "soft hyphen");
    C("CONTOSO\\alice", INVALID, "down-level logon name");
    C("CN=alice,OU=x,O=contoso", INVALID, "a certificate subject");
    C("alice@contoso.com;bob@contoso.com", INVALID, "two mailboxes");
    C("alice@contoso.com,bob@contoso.com", INVALID, "a header list");
    C("me", INVALID, "me");
    C("users", INVALID, "users");
}


static void
guids(void)
{
    C("0b3a5c1e-6f1d-4c1a-9c1b-1234567890ab", OK, "object id");
    C("0B3A5C1E-6F1D-4C1A-9C1B-1234567890AB", OK, "object id, upper case");
    C("0b3a5c1e6f1d4c1a9c1b1234567890ab", INVALID, "no dashes");
    C("{0b3a5c1e-6f1d-4c1a-9c1b-1234567890ab}", INVALID, "braces");
    C("0b3a5c1e-6f1d-4c1a-9c1b-1234567890a", INVALID, "one short");
    C("0b3a5c1e-6f1d-4c1a-9c1b-1234567890abc", INVALID, "one long");
    C("0b3a5c1g-6f1d-4c1a-9c1b-1234567890ab", INVALID, "not hex");
    C("0b3a5c1e-6f1d-4c1a-9c1b_1234567890ab", INVALID, "a dash moved");
    C("0b3a5c1e-6f1d-4c1a-9c1b-12345678/.ab", INVALID, "/ in a GUID");
}


static void
lengths(void)
{
    char  v[512];

    /* 64 before @, 48 after: 113 in all, Entra's limits */

    memset(v, 'a', 64);
    memcpy(v + 64, "@", 1);
    memset(v + 65, 'b', 44);
    memcpy(v + 109, ".com", 4);
    check(v, 113, OK, "113 bytes: 64 @ 48");

    memset(v, 'a', 65);
    memcpy(v + 65, "@c.io", 5);
    check(v, 70, INVALID, "65 before @");

    memset(v, 'a', 10);
    v[10] = '@';
    memset(v + 11, 'b', 45);
    memcpy(v + 56, ".com", 4);
    check(v, 60, INVALID, "49 after @");

    memset(v, 'a', 64);
    v[64] = '@';
    memset(v + 65, 'b', 45);
    memcpy(v + 110, ".com", 4);
    check(v, 114, INVALID, "114 bytes");

    memset(v, 'a', sizeof(v));
    check(v, sizeof(v), INVALID, "512 bytes");
}


int
main(void)
{
    upns();
    hostile();
    guids();
    lengths();

    return done_testing();
}
