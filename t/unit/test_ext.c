
/*
 * Copyright (C) graph-attach authors
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ga_ext.h"
#include "ga_name.h"
#include "tap.h"


#define S(s)  (const u_char *) (s), sizeof(s) - 1


static void
folding(void)
{
    static const struct {
        const char  *in;
        const char  *out;
    } cases[] = {
        { "EXE", "exe" },
        { "ExE", "exe" },
        { "p\xc4\xb1" "f", "pif" },                  /* dotless i */
        { "P\xc4\xb0" "F", "pif" },                  /* dotted I */
        { "\xc5\xbf" "cr", "scr" },                  /* long s */
        { "vb\xc5\xbf", "vbs" },
        { "ex\xe2\x84\xaa", "exk" },                 /* Kelvin sign */
        { "\xef\xbd\x85\xef\xbd\x98\xef\xbd\x85", "exe" },   /* fullwidth */
        { "\xef\xbc\xa5\xef\xbc\xb8\xef\xbc\xa5", "exe" },   /* FULLWIDTH */
        { "\xef\xbc\x91", "1" },
        { "\xe2\x85\xb9", "x" },                  /* small roman ten */
        { "e\xe2\x85\xb9" "e", "exe" },
        { "\xe2\x85\xbd\xe2\x85\xbf" "d", "cmd" },     /* roman c, m */
        { "e\xe2\x82\x93" "e", "exe" },              /* subscript x */
        { "\xe2\x84\xaf" "xe", "exe" },              /* script e */
        { "ps\xc2\xb9", "ps1" },                    /* superscript 1 */
        { "p\xef\xac\x86", "pst" },                 /* st ligature */
        { "\xef\xac\x83", "ffi" },                  /* ffi: never grows */
        { "\xf0\x9d\x90\x9e\xf0\x9d\x90\xb1\xf0\x9d\x90\x9e",
          "exe" },                                    /* bold, U+1D41E */
        { "\xf0\x9d\x97\xb2\xf0\x9d\x98\x85\xf0\x9d\x97\xb2",
          "exe" },                                    /* sans-serif bold */
        { "\xe2\x93\x94\xe2\x93\xa7\xe2\x93\x94", "exe" },  /* circled */
        { "\xf0\x9f\x84\xb4\xf0\x9f\x85\x87\xf0\x9f\x84\xb4",
          "exe" },                                    /* squared */
        { "\xf0\x9d\x9f\x8f", "1" },                /* bold digit 1 */
        { "\xef\xbc\x8e", "." },                    /* fullwidth dot */
        { "\xef\xb9\x92", "." },                    /* small dot */
        { "\xe2\x80\xa4", "." },                    /* one dot leader */
        { "\xc3\x85", "\xc3\x85" },                  /* A ring: kept */
        { "\xd0\xb5\xd1\x85\xd0\xb5",
          "\xd0\xb5\xd1\x85\xd0\xb5" },               /* Cyrillic: kept */
        { "\xff\xfe", "\xff\xfe" },                  /* not UTF-8: kept */
        { "\xce\xb1\xce\xb2", "\xce\xb1\xce\xb2" },  /* Greek: kept */
        { "pdf", "pdf" },
        { "", "" },
    };

    u_char  buf[64];
    size_t  i, n;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        n = ga_ext_fold((const u_char *) cases[i].in, strlen(cases[i].in),
                        buf);
        is_mem(buf, n, cases[i].out, strlen(cases[i].out), "fold %zu", i);
    }
}


static int
first_is(const char *name, const char *ext, int count)
{
    int       n;
    ga_ext_t  e[2];

    n = ga_ext_get((const u_char *) name, strlen(name), e);

    if (n != count) {
        return 0;
    }

    return n == 0 || ga_ext_eq(&e[0], (const u_char *) ext, strlen(ext));
}


static void
getting(void)
{
    int       n;
    ga_ext_t  e[2];

    ok(first_is("a.pdf", "pdf", 1), "a.pdf");
    ok(first_is("a.PDF", "pdf", 1), "a.PDF");
    ok(first_is("a.pdf.", "pdf", 1), "a.pdf.");
    ok(first_is("a.pdf . ", "pdf", 1), "a.pdf . ");
    ok(first_is("a.pdf:x", "pdf", 2), "a.pdf:x stream: pdf first");
    ok(first_is("a.exe::$DATA", "exe", 2), "a.exe::$DATA");
    ok(first_is("a.exe:zone.txt", "exe", 2), "a.exe:zone.txt");
    ok(first_is("a.exe. :x", "exe", 2), "a.exe. :x");
    ok(first_is("a", "", 0), "no extension");
    ok(first_is("a.", "", 0), "a.");
    ok(first_is(".exe", "exe", 1), ".exe");
    ok(first_is("a.p\xc4\xb1" "f", "pif", 1), "a.pif with dotless i");
    ok(first_is("a.\xef\xbd\x85\xef\xbd\x98\xef\xbd\x85", "EXE", 1),
       "fullwidth exe");

    ok(first_is("a\xef\xbc\x8e" "exe", "exe", 1), "a, fullwidth dot, exe");
    ok(first_is("a\xef\xbc\x8e\xef\xbd\x85\xef\xbd\x98\xef\xbd\x85",
                "exe", 1), "all fullwidth");
    ok(first_is("a\xef\xb9\x92" "exe", "exe", 1), "a, small dot, exe");
    ok(first_is("a\xe2\x80\xa4" "exe", "exe", 1), "a, one dot leader, exe");
    ok(first_is("\xe5\xa0\xb1\xe5\x91\x8a.pdf", "pdf", 1), "CJK name");
    ok(first_is("\xce\xb1\xce\xbd\xce\xb1\xcf\x86\xce\xbf\xcf\x81\xce\xac.pdf",
                "pdf", 1), "Greek name");

    n = ga_ext_get(S("a.exe:zone.txt"), e);
    ok(n == 2 && ga_ext_eq(&e[1], S("txt")), "second is the last one");

    n = ga_ext_get(S("a.pdf"), e);
    ok(n == 1 && !ga_ext_eq(&e[0], S("pd")), "no prefix match");
    ok(!ga_ext_eq(&e[0], S("")), "empty never matches");
}


static void
types(void)
{
    ga_ext_t  e[2];

    ga_ext_get(S("invoice.csv"), e);
    ok(ga_ext_type_maps(S("text/csv"), &e[0]), "csv is text/csv");
    ok(ga_ext_type_maps(S("Text/CSV; charset=utf-8"), &e[0]),
       "type case and parameters");
    ok(!ga_ext_type_maps(S("application/pdf"), &e[0]), "csv is not pdf");

    ga_ext_get(S("invoice.html"), e);
    ok(!ga_ext_type_maps(S("text/csv"), &e[0]), "html is not csv");
    ok(!ga_ext_type_maps(S("application/pdf"), &e[0]), "html is not pdf");

    ga_ext_get(S("x.JPEG"), e);
    ok(ga_ext_type_maps(S("image/jpeg"), &e[0]), "JPEG is image/jpeg");
    ga_ext_get(S("x.jpg"), e);
    ok(ga_ext_type_maps(S("image/jpeg"), &e[0]), "jpg is image/jpeg");

    ga_ext_get(S("x.docx"), e);
    ok(ga_ext_type_maps(S("application/vnd.openxmlformats-officedocument."
                          "wordprocessingml.document"), &e[0]), "docx");

    ok(ga_ext_for_type(S("application/x-whatever")) == NULL, "unknown type");
    ok(ga_ext_for_type(S("image/*")) == NULL, "a pattern is no type");
    ok(ga_ext_for_type(S("garbage")) == NULL, "malformed type");

    ga_ext_get(S("a.sh"), e);
    ok(!ga_ext_type_maps(S("text/csv"), &e[0]), "sh is not csv");
    ga_ext_get(S("a.7z"), e);
    ok(!ga_ext_type_maps(S("text/csv"), &e[0]), "7z is not csv");
}


int
main(void)
{
    folding();
    getting();
    types();

    return done_testing();
}
