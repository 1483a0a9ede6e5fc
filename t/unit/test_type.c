
/*
 * Copyright (C) graph-attach authors
 */


#include <stdlib.h>
#include <string.h>

#include "ga_name.h"
#include "ga_type.h"
#include "tap.h"
#include "unit.h"


typedef struct {
    const char  *type;
    const char  *pattern;
    int          match;
} match_t;


static const match_t  matches[] = {
    { "image/png", "image/png", 1 },
    { "IMAGE/PNG", "image/png", 1 },
    { "image/png", "Image/PNG", 1 },
    { "image/png", "image/*", 1 },
    { "image/png", "IMAGE/*", 1 },
    { "image/png", "*/*", 1 },
    { "text/plain; charset=utf-8", "text/plain", 1 },
    { "text/plain;charset=utf-8", "text/*", 1 },
    { "  text/plain  ; x=y", "text/plain", 1 },
    { "\ttext/plain\t", "text/plain", 1 },
    { "text/plain", "text/plain; charset=utf-8", 1 },
    { "text/plain", " text/plain ", 1 },
    { "application/vnd.openxmlformats-officedocument.wordprocessingml"
      ".document", "application/*", 1 },
    { "application/vnd.ms-excel", "application/vnd.ms-excel", 1 },
    { "application/x-www-form+json", "application/x-www-form+json", 1 },

    { "image/png", "image/jpeg", 0 },
    { "image/png", "text/*", 0 },
    { "image/pngx", "image/png", 0 },
    { "image/png", "image/pngx", 0 },
    { "image/png", "image/pn", 0 },
    { "imag/png", "image/*", 0 },
    { "images/png", "image/*", 0 },
    { "image/png", "image/png/", 0 },
    { "application/vnd.ms-excelx", "application/vnd.ms-excel", 0 },

    /* a malformed type matches nothing, not even everything */
    { "", "*/*", 0 },
    { " ", "*/*", 0 },
    { "image", "*/*", 0 },
    { "image/", "*/*", 0 },
    { "/png", "*/*", 0 },
    { "/", "*/*", 0 },
    { "image/png/x", "*/*", 0 },
    { "image /png", "*/*", 0 },
    { "image/ png", "*/*", 0 },
    { "image/png x", "*/*", 0 },
    { "image/p\303\251g", "*/*", 0 },
    { "image/p\"g", "*/*", 0 },
    { "image/p,g", "*/*", 0 },
    { "image/p\rg", "*/*", 0 },
    { ";charset=utf-8", "*/*", 0 },
    { "image;/png", "*/*", 0 },

    /* malformed patterns match nothing */
    { "image/png", "*/png", 0 },
    { "image/png", "image", 0 },
    { "image/png", "", 0 },
    { "image/png", "*", 0 },
    { "image/png", "*/", 0 },

    /* '*' is a token character: a literal in a type, never a wildcard */
    { "*/*", "*/*", 1 },
    { "*/*", "image/*", 0 },
    { "*/*", "image/png", 0 },
    { "image/*", "image/png", 0 },
    { "image/*", "image/*", 1 },
};


typedef struct {
    const char  *type;
    const char  *ext;
} ext_t;


static const ext_t  exts[] = {
    { "application/pdf", "pdf" },
    { "image/png", "png" },
    { "image/jpeg", "jpg" },
    { "image/jpg", "jpg" },
    { "image/pjpeg", "jpg" },
    { "image/gif", "gif" },
    { "image/bmp", "bmp" },
    { "image/tiff", "tif" },
    { "image/webp", "webp" },
    { "text/plain", "txt" },
    { "text/html", "bin" },
    { "image/svg+xml", "bin" },
    { "text/csv", "csv" },
    { "text/calendar", "ics" },
    { "application/json", "json" },
    { "application/xml", "xml" },
    { "application/zip", "zip" },
    { "application/x-zip-compressed", "zip" },
    { "application/gzip", "gz" },
    { "application/msword", "doc" },
    { "application/vnd.ms-excel", "xls" },
    { "application/vnd.ms-powerpoint", "ppt" },
    { "application/vnd.ms-outlook", "msg" },
    { "application/vnd.openxmlformats-officedocument.wordprocessingml"
      ".document", "docx" },
    { "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "xlsx" },
    { "application/vnd.openxmlformats-officedocument.presentationml"
      ".presentation", "pptx" },
    { "application/vnd.oasis.opendocument.text", "odt" },
    { "application/rtf", "rtf" },
    { "message/rfc822", "eml" },
    { "audio/mpeg", "mp3" },
    { "video/mp4", "mp4" },

    { "TEXT/PLAIN; charset=utf-8", "txt" },
    { " Application/PDF ;name=x", "pdf" },

    { "application/octet-stream", "bin" },
    { "application/x-msdownload", "bin" },
    { "application/x-unknown", "bin" },
    { "image/x-unknown", "bin" },
    { "", "bin" },
    { "pdf", "bin" },
    { "application/pdfx", "bin" },
    { "application/pd", "bin" },
    { "text/plain/x", "bin" },
};


/* exact-size copies, so ASan sees a read past either string */

static int
match(const char *type, const char *pattern)
{
    int      rc;
    size_t   tl, pl;
    u_char  *t, *p;

    tl = strlen(type);
    pl = strlen(pattern);
    t = malloc(tl ? tl : 1);
    p = malloc(pl ? pl : 1);
    memcpy(t, type, tl);
    memcpy(p, pattern, pl);

    rc = ga_type_match(t, tl, p, pl);

    free(t);
    free(p);

    return rc;
}


static const char *
extension(const char *type)
{
    size_t       len;
    u_char      *t;
    const char  *e;

    len = strlen(type);
    t = malloc(len ? len : 1);
    memcpy(t, type, len);

    e = ga_type_extension(t, len);

    free(t);

    return e;
}


typedef struct {
    const char  *type;
    const char  *normal;          /* "" if malformed */
} normal_t;


static const normal_t  normals[] = {
    { "image/png", "image/png" },
    { "Image/PNG", "image/png" },
    { "  IMAGE/Png \t", "image/png" },
    { "application/vnd.MS-Excel", "application/vnd.ms-excel" },

    /* parameters other than a text charset never reach Graph */
    { "text/csv; name=\"payload.exe\"", "text/csv" },
    { "text/csv; name=payload.exe", "text/csv" },
    { "application/pdf; name=a.exe; charset=utf-8", "application/pdf" },
    { "image/png;charset=utf-8", "image/png" },
    { "application/octet-stream; filename=x.exe", "application/octet-stream" },

    /* the charset of a text type, lower case */
    { "text/plain; charset=UTF-8", "text/plain; charset=utf-8" },
    { "text/plain;charset=utf-8", "text/plain; charset=utf-8" },
    { "TEXT/Plain ; CharSet = utf-8", "text/plain" },
    { "Text/CSV; charset=\"ISO-8859-1\"", "text/csv; charset=iso-8859-1" },
    { "text/csv; name=\"a;charset=x.exe\"; charset=utf-8",
      "text/csv; charset=utf-8" },
    { "text/csv; name=\"a\\\";charset=x\"; charset=utf-8",
      "text/csv; charset=utf-8" },
    { "text/plain;; ;charset=us-ascii;", "text/plain; charset=us-ascii" },

    /* an unclear charset is dropped, the type kept */
    { "text/plain; charset=utf-8; charset=latin1", "text/plain" },
    { "text/plain; charset=\"a b\"", "text/plain" },
    { "text/plain; charset=\"x.exe\\\"\"", "text/plain" },
    { "text/plain; charset=", "text/plain" },
    { "text/plain; charset=\"\"", "text/plain" },
    { "text/plain; charset=\"utf-8", "text/plain" },
    { "text/plain; charset", "text/plain" },
    { "text/plain; =utf-8", "text/plain" },
    { "text/plain; charset=utf-8 x", "text/plain" },
    { "text/plain x; charset=utf-8", "" },
    { "text/plain; charset=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "text/plain" },
    { "text/plain; charset=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "text/plain; charset=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },

    /* malformed */
    { "", "" },
    { "; charset=utf-8", "" },
    { "text", "" },
    { "text/", "" },
    { "text/plain/x", "" },
    { "text/pl\"ain", "" },
    { "text/pl ain", "" },
};


static void
normalize(void)
{
    u_char  *out;
    size_t   i, len, n, cut, bad;

    for (i = 0; i < sizeof(normals) / sizeof(normals[0]); i++) {
        len = strlen(normals[i].type);

        /* exactly the promised room, so that ASan sees an overrun */

        out = malloc(len + 1);
        if (out == NULL) {
            abort();
        }

        n = ga_type_normalize((const u_char *) normals[i].type, len, out);

        is_mem(out, n, normals[i].normal, strlen(normals[i].normal),
               "normalize \"%s\"", normals[i].type);

        free(out);

        /* every prefix: never more than the room, never a crash */

        bad = 0;

        for (cut = 0; cut < len; cut++) {
            out = malloc(cut + 1);
            if (out == NULL) {
                abort();
            }

            n = ga_type_normalize((const u_char *) normals[i].type, cut, out);
            if (n > cut + 1) {
                bad++;
            }

            free(out);
        }

        ok(bad == 0, "normalize every prefix of \"%s\"", normals[i].type);
    }
}


static void
parse(void)
{
    int        c, expect, bad;
    u_char     buf[3];
    ga_type_t  t;

    static const char  *tchars = "!#$%&'*+-.^_`|~";

    ok(ga_type_parse((const u_char *) " Image/PNG ; q=1", 16, &t)
       && t.type_len == 5 && memcmp(t.type, "Image", 5) == 0
       && t.subtype_len == 3 && memcmp(t.subtype, "PNG", 3) == 0,
       "parse: parts point into the input, case kept");

    /* every byte as the subtype: valid exactly when it is a tchar */

    bad = 0;

    for (c = 0; c < 256; c++) {
        buf[0] = 'a';
        buf[1] = '/';
        buf[2] = (u_char) c;

        expect = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
                 || (c >= 'A' && c <= 'Z')
                 || (c != 0 && strchr(tchars, c) != NULL);

        if (ga_type_parse(buf, 3, &t) != expect) {
            bad++;
            diag("  byte 0x%02x: %d, expected %d", c, !expect, expect);
        }
    }

    ok(bad == 0, "parse: the token characters are RFC 9110 tchar");
}


int
main(void)
{
    size_t  i;

    for (i = 0; i < sizeof(matches) / sizeof(matches[0]); i++) {
        is_int(match(matches[i].type, matches[i].pattern), matches[i].match,
               "match \"%s\" against \"%s\"", matches[i].type,
               matches[i].pattern);
    }

    for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        ok(strcmp(extension(exts[i].type), exts[i].ext) == 0,
           "extension of \"%s\" is %s", exts[i].type, exts[i].ext);

        ok(!default_denied(exts[i].ext), "%s is not on the default deny list",
           exts[i].ext);
    }

    parse();
    normalize();

    return done_testing();
}
