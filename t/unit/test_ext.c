
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


/* ext is one of the extensions the rules judge in name */

static int
judged(const u_char *name, size_t len, const char *ext)
{
    int       i, n;
    ga_ext_t  e[2];

    n = ga_ext_get(name, len, e);

    for (i = 0; i < n; i++) {
        if (ga_ext_eq(&e[i], (const u_char *) ext, strlen(ext))) {
            return 1;
        }
    }

    return 0;
}


static int
has(const char *name, const char *ext)
{
    int      rc;
    size_t   len;
    u_char  *p;

    /* an exact-size copy: nothing may be read past the name */

    len = strlen(name);
    p = malloc(len ? len : 1);
    memcpy(p, name, len);

    rc = judged(p, len, ext);

    free(p);

    return rc;
}


/* a sanitised name, then whether ext is judged in it */

static int
san_has(const char *in, size_t len, const char *ext)
{
    size_t  n;
    u_char  out[512];

    n = ga_name_sanitize((const u_char *) in, len, out);

    return judged(out, n, ext);
}


#define SAN_HAS(in, ext)  san_has(in, sizeof(in) - 1, ext)


/*
 * The effective extensions: the last one, trailing dots and spaces
 * ignored, and for an NTFS stream the one before the first ':' too
 */

static void
effective(void)
{
    ok(has("invoice.pdf.exe", "exe"), "invoice.pdf.exe is exe");
    ok(!has("invoice.pdf.exe", "pdf"), "invoice.pdf.exe is not pdf");
    ok(has("a.EXE", "exe"), "a.EXE is exe");
    ok(has("a.exe", "EXE"), "ext compared case-insensitively");
    ok(has("a.eXe", "ExE"), "mixed case");
    ok(has(".exe", "exe"), ".exe is exe");
    ok(!has("exe", "exe"), "exe without a dot is not");
    ok(!has("a.exex", "exe"), "a.exex is not exe");
    ok(!has("a.xexe", "exe"), "a.xexe is not exe");
    ok(!has("aexe", "exe"), "aexe is not exe");
    ok(!has("a.exe", ""), "empty ext never matches");
    ok(!has("", "exe"), "empty name");
    ok(has("a.exe.", "exe"), "unsanitised a.exe. is exe");
    ok(has("a.exe ", "exe"), "unsanitised \"a.exe \" is exe");

    ok(has("a.exe::$DATA", "exe"), "a.exe::$DATA is exe");
    ok(has("a.exe:zone", "exe"), "a.exe:zone is exe");
    ok(has("a.EXE:zone.txt", "exe"), "a.EXE:zone.txt is exe");
    ok(has("a.exe:zone.txt", "txt"), "a.exe:zone.txt is txt too");
    ok(has("a.txt:evil.exe", "exe"), "a.txt:evil.exe is exe (last)");
    ok(!has("a.txt::$DATA", "exe"), "a.txt::$DATA is not exe");
    ok(has("a.exe .:x", "exe"), "stream after \"a.exe .\"");
    ok(has("a.exe:b.c:d", "exe"), "first ':' decides");
    ok(!has("a.txt:b.exe:d", "exe"), "not the part before a later ':'");
    ok(has(":a.exe", "exe"), "leading ':'");

    /* the tricks from issue 3, judged after sanitising as the module does */

    ok(SAN_HAS("invoice.pdf.exe", "exe"), "sanitised invoice.pdf.exe");
    ok(SAN_HAS("a.EXE", "exe"), "sanitised a.EXE");
    ok(SAN_HAS("a.exe.", "exe"), "sanitised a.exe.");
    ok(SAN_HAS("a.exe ", "exe"), "sanitised \"a.exe \"");
    ok(SAN_HAS("a.exe::$DATA", "exe"), "sanitised a.exe::$DATA");
    ok(SAN_HAS("invoice\342\200\256fdp.exe", "exe"),
       "sanitised RTLO invoice<U+202E>fdp.exe is exe");
    ok(!SAN_HAS("invoice\342\200\256fdp.exe", "pdf"),
       "sanitised RTLO invoice<U+202E>fdp.exe is not pdf");
    ok(SAN_HAS("a.e\342\200\213xe", "exe"), "ZWSP inside the extension");
    ok(SAN_HAS("C:\\fakepath\\evil.scr", "scr"), "fakepath .scr");
    ok(SAN_HAS("a.exe\000.pdf", "pdf") && !SAN_HAS("a.exe\000.pdf", "exe"),
       "NUL is dropped, not a terminator: a.exe.pdf is pdf");
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
    effective();
    types();

    return done_testing();
}
