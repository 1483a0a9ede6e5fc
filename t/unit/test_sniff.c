
/*
 * Copyright (C) graph-attach authors
 */


#include <stdlib.h>
#include <string.h>

#include "ga_sniff.h"
#include "tap.h"


typedef struct {
    const char  *name;
    const char  *bytes;
    size_t       len;
    size_t       min;             /* the shortest prefix recognised */
    int          kind;
} sample_t;


#define B(s)  s, sizeof(s) - 1


static const sample_t  samples[] = {
    { "PE", B("MZ\220\0\3\0\0\0\4\0\0\0\377\377"), 2, GA_SNIFF_PE },
    { "ELF", B("\177ELF\2\1\1\0"), 4, GA_SNIFF_ELF },
    { "Mach-O 32 BE", B("\376\355\372\316\0\0\0\7"), 4, GA_SNIFF_MACHO },
    { "Mach-O 64 BE", B("\376\355\372\317\0\0\0\7"), 4, GA_SNIFF_MACHO },
    { "Mach-O 32 LE", B("\316\372\355\376\7\0\0\0"), 4, GA_SNIFF_MACHO },
    { "Mach-O 64 LE", B("\317\372\355\376\7\0\0\1"), 4, GA_SNIFF_MACHO },
    { "fat Mach-O", B("\312\376\272\276\0\0\0\2\1\0\0\7"), 4,
      GA_SNIFF_MACHO },
    { "fat Mach-O 64", B("\312\376\272\277\0\0\0\2"), 4, GA_SNIFF_MACHO },
    { "fat Mach-O LE", B("\276\272\376\312\2\0\0\0"), 4, GA_SNIFF_MACHO },
    { "fat Mach-O 64 LE", B("\277\272\376\312\2\0\0\0"), 4,
      GA_SNIFF_MACHO },
    { "Java class 8", B("\312\376\272\276\0\0\0\64\0\42"), 8,
      GA_SNIFF_CLASS },
    { "Java class 1.1", B("\312\376\272\276\0\3\0\55"), 8, GA_SNIFF_CLASS },
    { "Java class preview", B("\312\376\272\276\377\377\0\101"), 8,
      GA_SNIFF_CLASS },
    { "script", B("#!/bin/sh\nrm -rf ~\n"), 2, GA_SNIFF_SCRIPT },
    { "PDF", B("%PDF-1.7\n%\342\343\317\323\n"), 5, GA_SNIFF_PDF },
    { "PNG", B("\211PNG\r\n\032\n\0\0\0\rIHDR"), 8, GA_SNIFF_PNG },
    { "JPEG", B("\377\330\377\340\0\20JFIF\0"), 3, GA_SNIFF_JPEG },
    { "JPEG Exif", B("\377\330\377\341\0\20Exif"), 3, GA_SNIFF_JPEG },
    { "GIF87a", B("GIF87a\1\0\1\0"), 6, GA_SNIFF_GIF },
    { "GIF89a", B("GIF89a\1\0\1\0"), 6, GA_SNIFF_GIF },
    { "ZIP", B("PK\3\4\24\0\6\0"), 4, GA_SNIFF_ZIP },
    { "empty ZIP", B("PK\5\6\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"), 4,
      GA_SNIFF_ZIP },
    { "spanned ZIP", B("PK\7\10PK\3\4"), 4, GA_SNIFF_ZIP },
    { "OLE", B("\320\317\021\340\241\261\032\341\0\0"), 8, GA_SNIFF_OLE },
    { "gzip", B("\037\213\10\0\0\0\0\0"), 2, GA_SNIFF_GZIP },
    { "RTF", B("{\\rtf1\\ansi"), 4, GA_SNIFF_RTF },
    { "RTF as Word reads it", B("{\\rtx1"), 4, GA_SNIFF_RTF },
    { "WebP", B("RIFF\44\0\0\0WEBPVP8 "), 12, GA_SNIFF_WEBP },
    { "BMP", B("BM\66\0\14\0\0\0\0\0\66\0\0\0\50\0\0\0"), 18,
      GA_SNIFF_BMP },
    { "BMP v5", B("BM\0\0\0\0\0\0\0\0\212\0\0\0\174\0\0\0"), 18,
      GA_SNIFF_BMP },
    { "TIFF II", B("II*\0\10\0\0\0"), 4, GA_SNIFF_TIFF },
    { "TIFF MM", B("MM\0*\0\0\0\10"), 4, GA_SNIFF_TIFF },
    { "BigTIFF", B("II+\0\10\0\0\0"), 4, GA_SNIFF_TIFF },

    /* near misses */
    { "text", B("Hello, world\n"), 0, GA_SNIFF_UNKNOWN },
    { "empty", B(""), 0, GA_SNIFF_UNKNOWN },
    { "BMW report", B("BMW Q3 results, draft 2\n"), 0, GA_SNIFF_UNKNOWN },
    { "BM, reserved set", B("BM\66\0\14\0\1\0\0\0\66\0\0\0\50\0\0\0"), 0,
      GA_SNIFF_UNKNOWN },
    { "BM, odd DIB size", B("BM\66\0\14\0\0\0\0\0\66\0\0\0\51\0\0\0"), 0,
      GA_SNIFF_UNKNOWN },
    { "WAV", B("RIFF\44\0\0\0WAVEfmt "), 0, GA_SNIFF_UNKNOWN },
    { "GIF88a", B("GIF88a"), 0, GA_SNIFF_UNKNOWN },
    { "PDF late", B(" %PDF-1.7"), 0, GA_SNIFF_UNKNOWN },
    { "%PDF without dash", B("%PDF1.7"), 0, GA_SNIFF_UNKNOWN },
    { "PK other", B("PK\1\2"), 0, GA_SNIFF_UNKNOWN },
    { "RTF upper", B("{\\RTF1"), 0, GA_SNIFF_UNKNOWN },
    { "lone #", B("# comment\n"), 0, GA_SNIFF_UNKNOWN },
    { "lone M", B("M"), 0, GA_SNIFF_UNKNOWN },
};


/* kind, declared type, extension, expected mismatch */

typedef struct {
    int          kind;
    const char  *type;
    const char  *ext;
    int          mismatch;
} decl_t;


#define PE      GA_SNIFF_PE
#define ELF     GA_SNIFF_ELF
#define MACHO   GA_SNIFF_MACHO
#define SCRIPT  GA_SNIFF_SCRIPT
#define CLASS   GA_SNIFF_CLASS
#define PDF     GA_SNIFF_PDF
#define PNG     GA_SNIFF_PNG
#define JPEG    GA_SNIFF_JPEG
#define GIF     GA_SNIFF_GIF
#define ZIP     GA_SNIFF_ZIP
#define OLE     GA_SNIFF_OLE
#define GZIP    GA_SNIFF_GZIP
#define RTF     GA_SNIFF_RTF
#define WEBP    GA_SNIFF_WEBP
#define BMP     GA_SNIFF_BMP
#define TIFF    GA_SNIFF_TIFF

#define OOXML_DOCX                                                           \
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#define OOXML_XLSX                                                           \
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#define OOXML_PPTX                                                           \
    "application/vnd.openxmlformats-officedocument.presentationml"           \
    ".presentation"


static const decl_t  decls[] = {

    /* executables under a document, image, text, audio or video type */
    { PE, "application/pdf", NULL, 1 },
    { PE, "application/msword", NULL, 1 },
    { PE, "application/vnd.ms-excel", NULL, 1 },
    { PE, OOXML_DOCX, NULL, 1 },
    { PE, "application/vnd.foo.bar", NULL, 1 },
    { PE, "image/png", NULL, 1 },
    { PE, "image/x-unknown", NULL, 1 },
    { PE, "text/plain", NULL, 1 },
    { PE, "Text/Plain; charset=utf-8", NULL, 1 },
    { PE, "audio/mpeg", NULL, 1 },
    { PE, "video/mp4", NULL, 1 },
    { PE, "message/rfc822", NULL, 1 },
    { PE, "application/json", NULL, 1 },
    { PE, "application/zip", NULL, 1 },
    { ELF, "text/x-shellscript", NULL, 1 },
    { ELF, "application/pdf", NULL, 1 },
    { MACHO, "image/jpeg", NULL, 1 },
    { SCRIPT, "text/plain", NULL, 1 },
    { SCRIPT, "text/x-python", NULL, 1 },
    { CLASS, "application/pdf", NULL, 1 },

    /* ... or a document, image or text extension, whatever the type */
    { PE, "application/octet-stream", "pdf", 1 },
    { PE, "application/octet-stream", "PDF", 1 },
    { PE, NULL, "docx", 1 },
    { PE, "", "xlsx", 1 },
    { PE, "application/x-msdownload", "jpg", 1 },
    { ELF, "application/octet-stream", "txt", 1 },
    { MACHO, "application/octet-stream", "csv", 1 },
    { SCRIPT, "application/x-sh", "txt", 1 },
    { CLASS, NULL, "png", 1 },
    { PE, "malformed", "rtf", 1 },
    { PE, NULL, "mp4", 1 },

    /* executables declared as what they are, or generically */
    { PE, "application/octet-stream", "exe", 0 },
    { PE, "application/x-msdownload", "exe", 0 },
    { PE, "application/vnd.microsoft.portable-executable", "exe", 0 },
    { PE, NULL, NULL, 0 },
    { PE, "", "", 0 },
    { PE, "malformed", "bin", 0 },
    { PE, "application/octet-stream", "pdfx", 0 },
    { ELF, "application/x-executable", NULL, 0 },
    { ELF, "application/vnd.appimage", "AppImage", 0 },
    { MACHO, "application/x-mach-binary", NULL, 0 },
    { SCRIPT, "application/x-sh", "sh", 0 },
    { CLASS, "application/java-vm", "class", 0 },

    /* a known format under a different specific type */
    { PNG, "application/pdf", NULL, 1 },
    { PDF, "image/png", NULL, 1 },
    { ZIP, "application/pdf", NULL, 1 },
    { PDF, "text/plain", NULL, 1 },
    { PDF, "text/plain; charset=utf-8", NULL, 1 },
    { PDF, "text/html", NULL, 1 },
    { PNG, "image/jpeg", NULL, 0 },   /* images pass as images */
    { JPEG, "image/png", NULL, 0 },   /* images pass as images */
    { GIF, "image/png", NULL, 0 },   /* images pass as images */
    { ZIP, "application/msword", NULL, 1 },
    { ZIP, "application/vnd.ms-excel", NULL, 1 },
    { OLE, "application/zip", NULL, 1 },
    { OLE, "application/vnd.oasis.opendocument.text", NULL, 1 },
    { RTF, "text/plain", NULL, 1 },
    { GZIP, "application/zip", NULL, 1 },
    { PDF, "application/json", NULL, 1 },
    { ZIP, "message/rfc822", NULL, 1 },
    { PNG, "image/svg+xml", NULL, 1 },
    { WEBP, "image/gif", NULL, 0 },   /* images pass as images */
    { BMP, "image/tiff", NULL, 0 },
    { TIFF, "image/bmp", NULL, 0 },

    /* a known format under its own type */
    { PDF, "application/pdf", "pdf", 0 },
    { PDF, "APPLICATION/PDF; name=x.pdf", NULL, 0 },
    { PDF, "application/x-pdf", NULL, 0 },
    { PNG, "image/png", NULL, 0 },
    { JPEG, "image/jpeg", NULL, 0 },
    { JPEG, "image/jpg", NULL, 0 },
    { JPEG, "image/pjpeg", NULL, 0 },
    { GIF, "image/gif", NULL, 0 },
    { WEBP, "image/webp", NULL, 0 },
    { BMP, "image/bmp", NULL, 0 },
    { BMP, "image/x-ms-bmp", NULL, 0 },
    { TIFF, "image/tiff", NULL, 0 },
    { GZIP, "application/gzip", NULL, 0 },
    { GZIP, "application/x-gzip", NULL, 0 },
    { GZIP, "image/svg+xml", "svgz", 0 },
    { RTF, "application/rtf", NULL, 0 },
    { RTF, "text/rtf", NULL, 0 },
    { RTF, "application/msword", "doc", 0 },

    { ZIP, OOXML_DOCX, "docx", 0 },
    { ZIP, OOXML_XLSX, "xlsx", 0 },
    { ZIP, OOXML_PPTX, "pptx", 0 },
    { ZIP, "application/vnd.ms-excel.sheet.macroEnabled.12", "xlsm", 0 },
    { ZIP, "application/vnd.ms-word.document.macroEnabled.12", "docm", 0 },
    { ZIP, "application/zip", NULL, 0 },
    { ZIP, "application/x-zip-compressed", NULL, 0 },
    { ZIP, "application/java-archive", "jar", 0 },
    { ZIP, "application/vnd.oasis.opendocument.text", "odt", 0 },
    { ZIP, "application/vnd.oasis.opendocument.spreadsheet", "ods", 0 },
    { ZIP, "application/epub+zip", NULL, 0 },

    { OLE, "application/msword", "doc", 0 },
    { OLE, "application/vnd.ms-excel", "xls", 0 },
    { OLE, "application/vnd.ms-powerpoint", "ppt", 0 },
    { OLE, "application/vnd.ms-outlook", "msg", 0 },
    { OLE, "application/x-msi", "msi", 0 },
    { OLE, OOXML_DOCX, "docx", 0 },               /* encrypted */

    /* generic or unknown declarations */
    { PNG, "application/octet-stream", NULL, 0 },
    { PDF, NULL, NULL, 0 },
    { ZIP, "", NULL, 0 },
    { PNG, "application/x-unknown", NULL, 0 },
    { PNG, "image/x-icon", NULL, 0 },
    { PDF, "image/x-unknown", NULL, 0 },
    { PNG, "audio/mpeg", NULL, 0 },
    { PDF, "video/mp4", NULL, 0 },
    { ZIP, "application/vnd.android.package-archive", "apk", 0 },
    { PDF, "pdf", NULL, 0 },
    { ZIP, "application/vnd.ms-excelx", NULL, 0 },

    /* the name alone never contradicts a non-executable */
    { PNG, "application/octet-stream", "pdf", 0 },
    { PDF, NULL, "jpg", 0 },

    /* unknown bytes never mismatch */
    { GA_SNIFF_UNKNOWN, "application/pdf", "pdf", 0 },
    { GA_SNIFF_UNKNOWN, "image/png", "exe", 0 },
    { GA_SNIFF_UNKNOWN, "text/plain", NULL, 0 },
    { -1, "application/pdf", "pdf", 0 },
    { GA_SNIFF_LAST, "application/pdf", "pdf", 0 },
};


/* exact-size copies, so ASan sees a read past the declaration */

static int
mismatch(const decl_t *d)
{
    int      rc;
    size_t   tl, el;
    u_char  *t, *e;

    tl = d->type ? strlen(d->type) : 0;
    el = d->ext ? strlen(d->ext) : 0;
    t = d->type ? malloc(tl ? tl : 1) : NULL;
    e = d->ext ? malloc(el ? el : 1) : NULL;

    if (t) {
        memcpy(t, d->type, tl);
    }

    if (e) {
        memcpy(e, d->ext, el);
    }

    rc = ga_sniff_mismatch(d->kind, t, tl, e, el);

    free(t);
    free(e);

    return rc;
}


static void
sniffing(void)
{
    int              kind, bad;
    size_t           i, len;
    u_char          *p;
    const sample_t  *s;

    for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        s = &samples[i];

        /*
         * Every prefix, in a buffer of exactly its size: the full kind
         * from s->min bytes on, nothing recognised below (for a kind
         * that is not UNKNOWN), and no read past the end (ASan).
         */

        bad = 0;

        for (len = 0; len <= s->len; len++) {
            p = malloc(len ? len : 1);
            memcpy(p, s->bytes, len);

            kind = ga_sniff(p, len);

            free(p);

            if (len >= s->min && kind != s->kind) {
                bad++;
                diag("  %s, %zu bytes: %s", s->name, len,
                     ga_sniff_name(kind));
            }

            if (len < s->min && kind == s->kind) {
                bad++;
                diag("  %s, %zu bytes: recognised too early", s->name,
                     len);
            }
        }

        ok(bad == 0, "sniff %s: %s", s->name, ga_sniff_name(s->kind));
    }

    /* a CAFEBABE cut before the version: executable either way */

    is_int(ga_sniff((const u_char *) "\312\376\272\276\0\0", 6),
           GA_SNIFF_MACHO, "CAFEBABE, 6 bytes: Mach-O");

    /* a real head is longer: the magic still decides */

    p = malloc(GA_SNIFF_HEAD);
    memset(p, 0, GA_SNIFF_HEAD);
    memcpy(p, "%PDF-1.4", 8);
    is_int(ga_sniff(p, GA_SNIFF_HEAD), GA_SNIFF_PDF, "PDF in a full head");

    for (i = 0; i < GA_SNIFF_HEAD; i++) {
        p[i] = (u_char) (i * 37 + 11);
    }

    is_int(ga_sniff(p, GA_SNIFF_HEAD), GA_SNIFF_UNKNOWN, "noise: unknown");

    free(p);

    ok(ga_sniff(NULL, 0) == GA_SNIFF_UNKNOWN, "NULL, 0: unknown");
}


static void
names(void)
{
    int          k, j, good;
    const char  *a, *b;

    good = 1;

    for (k = 0; k < GA_SNIFF_LAST; k++) {
        a = ga_sniff_name(k);

        if (a == NULL || *a == '\0') {
            good = 0;
            diag("  kind %d has no name", k);
            continue;
        }

        for (j = 0; j < k; j++) {
            b = ga_sniff_name(j);

            if (b && strcmp(a, b) == 0) {
                good = 0;
                diag("  kinds %d and %d share \"%s\"", j, k, a);
            }
        }
    }

    ok(good, "every kind has its own name");

    ok(strcmp(ga_sniff_name(GA_SNIFF_PE), "PE executable") == 0,
       "name of PE");
    ok(strcmp(ga_sniff_name(GA_SNIFF_PDF), "PDF") == 0, "name of PDF");
    ok(strcmp(ga_sniff_name(-1), "unknown") == 0, "name of -1");
    ok(strcmp(ga_sniff_name(GA_SNIFF_LAST), "unknown") == 0,
       "name of GA_SNIFF_LAST");

    for (k = -1; k <= GA_SNIFF_LAST; k++) {
        is_int(ga_sniff_executable(k),
               k == PE || k == ELF || k == MACHO || k == SCRIPT
               || k == CLASS,
               "executable(%s, %d)", ga_sniff_name(k), k);
    }
}


static void
table(void)
{
    size_t         i;
    const decl_t  *d;

    for (i = 0; i < sizeof(decls) / sizeof(decls[0]); i++) {
        d = &decls[i];

        is_int(mismatch(d), d->mismatch, "%s as \"%s\" .%s: %s",
               ga_sniff_name(d->kind), d->type ? d->type : "(none)",
               d->ext ? d->ext : "(none)",
               d->mismatch ? "mismatch" : "fine");
    }
}


int
main(void)
{
    sniffing();
    names();
    table();

    return done_testing();
}
