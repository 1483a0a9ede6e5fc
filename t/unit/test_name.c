
/*
 * Copyright (C) graph-attach authors
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ga_name.h"
#include "ga_type.h"
#include "ga_utf8.h"
#include "tap.h"
#include "unit.h"


#define S(s)  (const u_char *) (s), sizeof(s) - 1


/*
 * What every sanitised name must be, whatever the input: valid UTF-8, at
 * most 255 bytes, no separator, control or hiding character, no leading
 * space, no trailing space or dot, not "." or "..".
 */

static int
well_formed(const u_char *p, size_t n)
{
    size_t  i;

    if (n > GA_NAME_MAX || !ga_utf8_valid(p, n)) {
        return 0;
    }

    if (n && (p[0] == ' ' || p[n - 1] == ' ' || p[n - 1] == '.')) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if (p[i] == '/' || p[i] == '\\' || p[i] < 0x20 || p[i] == 0x7f) {
            return 0;
        }

        /* C1: C2 80..C2 9F */

        if (p[i] == 0xc2 && i + 1 < n && p[i + 1] <= 0x9f) {
            return 0;
        }

        /* U+061C */

        if (p[i] == 0xd8 && i + 1 < n && p[i + 1] == 0x9c) {
            return 0;
        }

        /* U+200B..U+200F, U+2028..U+202E, U+2060..U+2064, U+2066..U+2069 */

        if (p[i] == 0xe2 && i + 2 < n) {
            if (p[i + 1] == 0x80
                && ((p[i + 2] >= 0x8b && p[i + 2] <= 0x8f)
                    || (p[i + 2] >= 0xa8 && p[i + 2] <= 0xae)))
            {
                return 0;
            }

            if (p[i + 1] == 0x81
                && p[i + 2] >= 0xa0 && p[i + 2] <= 0xa9
                && p[i + 2] != 0xa5)
            {
                return 0;
            }
        }

        /* U+FEFF */

        if (p[i] == 0xef && i + 2 < n && p[i + 1] == 0xbb
            && p[i + 2] == 0xbf)
        {
            return 0;
        }
    }

    return 1;
}


/*
 * Sanitises in (copied to a buffer of exactly len bytes, and out of
 * exactly len bytes, so ASan sees any overrun), compares with expected,
 * checks the invariants, that sanitising again changes nothing, and that
 * in place gives the same.
 */

static int
san(const u_char *in, size_t len, const u_char *exp, size_t exp_len,
    const char *name)
{
    int      pass;
    size_t   n, n2;
    u_char  *buf, *out, *again;

    buf = malloc(len ? len : 1);
    out = malloc(len ? len : 1);
    again = malloc(len ? len : 1);

    if (buf == NULL || out == NULL || again == NULL) {
        return ok(0, "%s: malloc", name);
    }

    memcpy(buf, in, len);

    n = ga_name_sanitize(buf, len, out);

    pass = is_mem(out, n, exp, exp_len, "%s", name);

    if (!well_formed(out, n)) {
        pass = 0;
        diag("  %s: not well formed", name);
    }

    n2 = ga_name_sanitize(out, n, again);

    if (n2 != n || memcmp(again, out, n) != 0) {
        pass = 0;
        diag("  %s: not idempotent", name);
    }

    n2 = ga_name_sanitize(buf, len, buf);

    if (n2 != n || memcmp(buf, out, n) != 0) {
        pass = 0;
        diag("  %s: in place differs", name);
    }

    free(buf);
    free(out);
    free(again);

    return pass;
}


#define SAN(in, exp, name)  san(S(in), S(exp), name)


static void
directories(void)
{
    SAN("x.pdf", "x.pdf", "plain name kept");
    SAN("C:\\fakepath\\x.pdf", "x.pdf", "C:\\fakepath\\x.pdf");
    SAN("../../x", "x", "../../x");
    SAN("..\\..\\x", "x", "..\\..\\x");
    SAN("/etc/passwd", "passwd", "absolute Unix path");
    SAN("a/b\\c.txt", "c.txt", "mixed separators: the last one wins");
    SAN("\\\\server\\share\\r.doc", "r.doc", "UNC path");
    SAN("/", "", "a lone slash");
    SAN("\\", "", "a lone backslash");
    SAN("/\\/", "", "only separators");
    SAN("a/..", "", "'..' after a separator");
    SAN("a/.", "", "'.' after a separator");

    /* separators at the end are dropped before the last one is looked for */
    SAN("ends with\\", "ends with", "trailing backslash (a Unix name)");
    SAN("two\\\\", "two", "two trailing backslashes");
    SAN("dir/", "dir", "trailing slash");
    SAN("a\\b\\", "b", "the last component before a trailing backslash");
    SAN("C:\\fakepath\\x.pdf\\", "x.pdf", "a path ending in a backslash");
    SAN("evil.exe\\", "evil.exe", "the extension before it is kept");
    SAN("evil.exe.\\", "evil.exe", "then trailing dots go");
    SAN("a/../", "", "'..' then a separator");
    SAN("..\\", "", "'..' then a backslash");
    SAN("evil.exe\\.", "", "a dot after the separator: nothing left");
    SAN("evil.exe\\ ", "", "a space after the separator: nothing left");

    /* an overlong '/' is not a separator, and not valid: dropped */
    SAN("x\300\257y", "xy", "overlong '/' (C0 AF) dropped, no split");
}


static void
characters(void)
{
    SAN("a\001b\037c\177.txt", "abc.txt", "C0 controls and DEL dropped");
    SAN("a\000b.txt", "ab.txt", "NUL dropped");
    SAN("a\tb\r\nc.txt", "abc.txt", "TAB, CR, LF dropped");
    SAN("a\302\200b\302\237c.txt", "abc.txt", "C1 U+0080, U+009F dropped");
    SAN("na\303\257ve \302\240 r\303\251sum\303\251.pdf",
        "na\303\257ve \302\240 r\303\251sum\303\251.pdf",
        "U+00A0 and letters kept");

    SAN("invoice\342\200\256fdp.exe", "invoicefdp.exe",
        "RTLO U+202E dropped");
    SAN("a\330\234b", "ab", "U+061C dropped");
    SAN("a\330\233b", "a\330\233b", "U+061B kept");
    SAN("a\342\200\213b\342\200\217c", "abc", "U+200B, U+200F dropped");
    SAN("a\342\200\212b\342\200\220c", "a\342\200\212b\342\200\220c",
        "U+200A, U+2010 kept");
    SAN("a\342\200\252b\342\200\255c", "abc", "U+202A, U+202D dropped");
    SAN("a\342\200\250b\342\200\251c", "abc", "U+2028, U+2029 dropped");
    SAN("a\342\200\247b\342\200\257c", "a\342\200\247b\342\200\257c",
        "U+2027, U+202F kept");
    SAN("a\342\201\240b\342\201\244c", "abc", "U+2060, U+2064 dropped");
    SAN("a\342\201\245b", "ab", "U+2065 (default ignorable) dropped");
    SAN("a\342\201\246b\342\201\251c", "abc", "U+2066, U+2069 dropped");
    SAN("a\342\201\252b", "ab", "U+206A (format) dropped");
    SAN("a.ex\302\255e", "a.exe", "soft hyphen dropped");
    SAN("a.exe\363\240\200\201", "a.exe", "tag U+E0001 dropped");
    SAN("a\363\240\201\201.exe", "a.exe", "tag U+E0041 dropped");
    SAN("a.ex\357\270\217e", "a.exe", "variation selector dropped");
    SAN("a.ex\341\240\216e", "a.exe", "U+180E dropped");
    SAN("a.ex\357\277\271e", "a.exe", "U+FFF9 dropped");
    SAN("a\343\205\244.txt", "a.txt", "Hangul filler dropped");
    SAN("\302\255\302\255", "", "only soft hyphens: nothing left");
    SAN("\303\251t\303\251.pdf", "\303\251t\303\251.pdf", "Latin kept");
    SAN("\357\273\277bom.txt", "bom.txt", "U+FEFF dropped");
    SAN("\360\237\230\200.png", "\360\237\230\200.png", "4-byte kept");

    SAN("a\377b", "ab", "invalid byte FF dropped");
    SAN("r\351sum\351.pdf", "rsum.pdf", "Latin-1 bytes dropped");
    SAN("a\355\240\200b", "ab", "surrogate dropped");
    SAN("a.txt\303", "a.txt", "truncated sequence dropped");
    SAN("\302", "", "a lone lead byte");
}


static void
trimming(void)
{
    SAN("a.exe.", "a.exe", "a.exe.");
    SAN("a.exe ", "a.exe", "\"a.exe \"");
    SAN("a.exe. . ..", "a.exe", "dots and spaces mixed");
    SAN("   lead.txt", "lead.txt", "leading spaces");
    SAN(" a b .txt", "a b .txt", "inner spaces kept");
    SAN(".bashrc", ".bashrc", "leading dot kept");
    SAN("a.exe\342\200\213.", "a.exe", "ZWSP then dot");
    SAN("a.exe.\342\200\256", "a.exe", "dot then RTLO");

    SAN("", "", "empty");
    SAN(".", "", "'.'");
    SAN("..", "", "'..'");
    SAN("...", "", "'...'");
    SAN(" . ", "", "' . '");
    SAN(".\001.", "", "'.' control '.'");
    SAN("\001\002\342\200\256", "", "only controls and RTLO");
    SAN("C:\\fakepath\\", "fakepath", "a directory: its last component");

    /* NTFS streams are left for ga_ext_get() to judge */
    SAN("a.exe::$DATA", "a.exe::$DATA", "colons kept");
}


static void
lengths(void)
{
    size_t   i, n;
    u_char   in[1024], exp[1024];

    /* 148 x U+00E9 (296 bytes) + ".pdf": the stem is cut to 125 chars */

    for (n = 0, i = 0; i < 148; i++) {
        in[n++] = 0xc3;
        in[n++] = 0xa9;
    }

    memcpy(in + n, ".pdf", 4);
    n += 4;

    memcpy(exp, in, 250);
    memcpy(exp + 250, ".pdf", 4);
    san(in, n, exp, 254, "300 bytes of 2-byte chars: 254, keeps .pdf");

    /* 100 x U+65E5 (300 bytes) + ".pdf": 83 chars (249 bytes) + .pdf */

    for (n = 0, i = 0; i < 100; i++) {
        in[n++] = 0xe6;
        in[n++] = 0x97;
        in[n++] = 0xa5;
    }

    memcpy(in + n, ".pdf", 4);
    n += 4;

    memcpy(exp, in, 249);
    memcpy(exp + 249, ".pdf", 4);
    san(in, n, exp, 253, "3-byte chars: cut at 249, keeps .pdf");

    /* 80 x U+1F600 (320 bytes) + ".docx": 62 chars (248) + .docx */

    for (n = 0, i = 0; i < 80; i++) {
        in[n++] = 0xf0;
        in[n++] = 0x9f;
        in[n++] = 0x98;
        in[n++] = 0x80;
    }

    memcpy(in + n, ".docx", 5);
    n += 5;

    memcpy(exp, in, 248);
    memcpy(exp + 248, ".docx", 5);
    san(in, n, exp, 253, "4-byte chars: cut at 248, keeps .docx");

    /* 255 bytes: kept whole; 256: one byte of stem less */

    memset(in, 'a', 251);
    memcpy(in + 251, ".pdf", 4);
    san(in, 255, in, 255, "255 bytes kept");

    memset(in, 'a', 252);
    memcpy(in + 252, ".pdf", 4);
    memset(exp, 'a', 251);
    memcpy(exp + 251, ".pdf", 4);
    san(in, 256, exp, 255, "256 bytes: 255, keeps .pdf");

    /* a 32-byte extension is kept, a 33-byte one is not */

    memset(in, 'a', 300);
    in[300] = '.';
    memset(in + 301, 'b', 32);
    memset(exp, 'a', 222);
    exp[222] = '.';
    memset(exp + 223, 'b', 32);
    san(in, 333, exp, 255, "32-byte extension kept");

    memset(in + 301, 'b', 33);
    memset(exp, 'a', 255);
    san(in, 334, exp, 255, "33-byte extension not kept");

    /* no extension: cut at 255, on a boundary */

    for (n = 0, i = 0; i < 300; i++) {
        in[n++] = 0xc3;
        in[n++] = 0xa9;
    }

    san(in, n, in, 254, "600 bytes, no dot: 254");

    /* a cut that ends in ". " is trimmed again */

    memset(in, 'a', 253);
    in[253] = '.';
    in[254] = ' ';
    memset(in + 255, 'x', 100);
    san(in, 355, in, 253, "cut ending in \". \" trimmed");

    /* the limit applies after dropping: 264 in, 254 left, not cut */

    memset(in, 'a', 250);
    memset(in + 250, '\001', 10);
    memcpy(in + 260, ".pdf", 4);
    memset(exp, 'a', 250);
    memcpy(exp + 250, ".pdf", 4);
    san(in, 264, exp, 254, "length counted after dropping");

    /* the directory part does not count either */

    memset(in, 'd', 300);
    in[300] = '/';
    memcpy(in + 301, "x.pdf", 5);
    san(in, 306, (const u_char *) "x.pdf", 5, "long directory dropped");

    memset(in, '.', 300);
    san(in, 300, NULL, 0, "300 dots: empty");
}


static void
extensions(void)
{
    size_t         n;
    const u_char  *e;

    e = ga_name_extension(S("a.tar.gz"), &n);
    ok(e && n == 2 && memcmp(e, "gz", 2) == 0, "extension of a.tar.gz");

    e = ga_name_extension(S(".bashrc"), &n);
    ok(e && n == 6 && memcmp(e, "bashrc", 6) == 0, "extension of .bashrc");

    e = ga_name_extension(S("a.exe. "), &n);
    ok(e && n == 3 && memcmp(e, "exe", 3) == 0, "trailing \". \" ignored");

    ok(ga_name_extension(S("a"), &n) == NULL, "no dot: no extension");
    ok(ga_name_extension(S("a."), &n) == NULL, "\"a.\": no extension");
    ok(ga_name_extension(S(""), &n) == NULL, "empty: no extension");
}


static void
deny_list(void)
{
    int           good;
    size_t        i, j, n;
    const char  **d, **e;

    static const char  *must[] = {
        "exe", "dll", "scr", "com", "bat", "cmd", "ps1", "ps1xml", "psm1",
        "vbs", "vbe", "js", "jse", "wsf", "wsh", "wsc", "hta", "msi",
        "msp", "mst", "lnk", "pif", "cpl", "reg", "inf", "scf",
        "application", "gadget", "jar", "msc", "url", NULL
    };

    static const char  *types[] = {
        "application/pdf", "image/png", "image/jpeg", "text/plain",
        "text/html", "application/zip", "message/rfc822",
        "application/x-msdownload", "application/octet-stream", "", NULL
    };

    for (e = must; *e; e++) {
        ok(default_denied(*e), "default deny has %s", *e);
    }

    /* lower case, no dots, no duplicates: the glue compares as is */

    good = 1;
    n = 0;

    for (d = ga_name_default_deny; *d; d++) {
        n++;

        if (**d == '\0') {
            good = 0;
        }

        for (i = 0; (*d)[i]; i++) {
            if ((*d)[i] == '.' || ((*d)[i] >= 'A' && (*d)[i] <= 'Z')) {
                good = 0;
            }
        }
    }

    ok(good, "deny list: lower case, no dots, not empty");

    good = 1;

    for (i = 0; i < n; i++) {
        for (j = i + 1; j < n; j++) {
            if (strcmp(ga_name_default_deny[i], ga_name_default_deny[j])
                == 0)
            {
                good = 0;
                diag("  duplicate %s", ga_name_default_deny[i]);
            }
        }
    }

    ok(good, "deny list: no duplicates (%zu entries)", n);

    /* the name given to an unnamed attachment is never refused */

    for (e = types; *e; e++) {
        ok(!default_denied(ga_type_extension((const u_char *) *e,
                                             strlen(*e))),
           "extension for \"%s\" not denied", *e);
    }
}


int
main(void)
{
    directories();
    characters();
    trimming();
    lengths();
    extensions();
    deny_list();

    return done_testing();
}
