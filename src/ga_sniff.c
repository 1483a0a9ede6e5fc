
/*
 * Copyright (C) graph-attach authors
 */


#include <stdint.h>
#include <string.h>

#include "ga_ascii.h"
#include "ga_sniff.h"
#include "ga_type.h"


#define K(kind)  (1U << (kind))

#define GA_SNIFF_EXEC                                                        \
    (K(GA_SNIFF_PE) | K(GA_SNIFF_ELF) | K(GA_SNIFF_MACHO)                    \
     | K(GA_SNIFF_SCRIPT) | K(GA_SNIFF_CLASS))

/* every kind but the executables */
#define GA_SNIFF_DATA   (~GA_SNIFF_EXEC & (K(GA_SNIFF_LAST) - 1))
#define GA_SNIFF_IMAGE  (K(GA_SNIFF_PNG) | K(GA_SNIFF_JPEG) | K(GA_SNIFF_GIF)  \
                         | K(GA_SNIFF_WEBP) | K(GA_SNIFF_BMP)                  \
                         | K(GA_SNIFF_TIFF))

/* no constraint at all */
#define GA_SNIFF_ANY    0xffffffffU


typedef struct {
    const char  *type;            /* "type/subtype", see below */
    uint32_t     allow;           /* the kinds that may come under it */
} ga_sniff_rule_t;


static int ga_sniff_is(const u_char *p, size_t len, const char *magic,
    size_t n);
static uint32_t ga_sniff_be32(const u_char *p);
static uint32_t ga_sniff_le32(const u_char *p);
static const ga_sniff_rule_t *ga_sniff_rule(const u_char *type,
    size_t type_len);


static const char  *ga_sniff_names[GA_SNIFF_LAST] = {
    "unknown",
    "PE executable",
    "ELF executable",
    "Mach-O executable",
    "script",
    "PDF",
    "PNG",
    "JPEG",
    "GIF",
    "ZIP",
    "OLE compound file",
    "gzip",
    "RTF",
    "WebP",
    "BMP",
    "TIFF",
    "Java class"
};


/*
 * The mismatch table: the declared content type, matched ASCII
 * case-insensitively without its parameters, and the kinds of bytes that
 * may come under it.  The first row that matches decides: the bytes
 * mismatch if their kind is not in the row's allow set.  A subtype
 * ending in '*' matches every subtype that starts with what precedes the
 * '*'.  A type no row matches (application/octet-stream, no type, a
 * malformed one, anything not listed) constrains nothing.
 *
 * Executables (PE, ELF, Mach-O, "#!" scripts, Java classes) are in no
 * allow set but the two rows that name executables themselves, so they
 * mismatch under every listed type.  They also mismatch under the
 * extensions of ga_sniff_doc_exts, whatever the type.
 *
 * The other kinds are checked against the type only: a name is too often
 * wrong in good faith (report.xls that is HTML), and it is the type that
 * says which application opens the file.
 */

static const ga_sniff_rule_t  ga_sniff_rules[] = {

    /* executables declared as such: nothing to contradict */
    { "application/vnd.microsoft.portable-executable", GA_SNIFF_ANY },
    { "application/vnd.appimage", GA_SNIFF_ANY },

    /* documents */
    { "application/pdf", K(GA_SNIFF_PDF) },
    { "application/x-pdf", K(GA_SNIFF_PDF) },
    { "application/rtf", K(GA_SNIFF_RTF) },
    { "text/rtf", K(GA_SNIFF_RTF) },

    /* Word saves RTF under .doc, and browsers type it by that name */
    { "application/msword", K(GA_SNIFF_OLE) | K(GA_SNIFF_RTF) },
    { "application/vnd.ms-excel", K(GA_SNIFF_OLE) },
    { "application/vnd.ms-powerpoint", K(GA_SNIFF_OLE) },
    { "application/vnd.ms-outlook", K(GA_SNIFF_OLE) },
    { "application/vnd.visio", K(GA_SNIFF_OLE) },
    { "application/x-msi", K(GA_SNIFF_OLE) },

    /*
     * OOXML is a ZIP, but a password-protected OOXML file is an OLE
     * container (MS-OFFCRYPTO): both are genuine.  The ms-word/excel/
     * powerpoint rows cover the macro-enabled and binary variants (docm,
     * xlsm, xlsb, pptm), ZIPs too.
     */
    { "application/vnd.openxmlformats-officedocument.*",
      K(GA_SNIFF_ZIP) | K(GA_SNIFF_OLE) },
    { "application/vnd.ms-word.*", K(GA_SNIFF_ZIP) | K(GA_SNIFF_OLE) },
    { "application/vnd.ms-excel.*", K(GA_SNIFF_ZIP) | K(GA_SNIFF_OLE) },
    { "application/vnd.ms-powerpoint.*",
      K(GA_SNIFF_ZIP) | K(GA_SNIFF_OLE) },
    { "application/vnd.oasis.opendocument.*", K(GA_SNIFF_ZIP) },
    { "application/epub+zip", K(GA_SNIFF_ZIP) },

    /* archives */
    { "application/zip", K(GA_SNIFF_ZIP) },
    { "application/x-zip-compressed", K(GA_SNIFF_ZIP) },
    { "application/x-zip", K(GA_SNIFF_ZIP) },
    { "application/java-archive", K(GA_SNIFF_ZIP) },
    { "application/gzip", K(GA_SNIFF_GZIP) },
    { "application/x-gzip", K(GA_SNIFF_GZIP) },

    /*
     * images: a photo saved as .png but made as JPEG is common and
     * harmless, and the browser types it by its name, so any raster image
     * passes under any of these; a PDF or an archive does not
     */
    { "image/png", GA_SNIFF_IMAGE },
    { "image/jpeg", GA_SNIFF_IMAGE },
    { "image/jpg", GA_SNIFF_IMAGE },
    { "image/pjpeg", GA_SNIFF_IMAGE },
    { "image/gif", GA_SNIFF_IMAGE },
    { "image/webp", GA_SNIFF_IMAGE },
    { "image/bmp", GA_SNIFF_IMAGE },
    { "image/x-bmp", GA_SNIFF_IMAGE },
    { "image/x-ms-bmp", GA_SNIFF_IMAGE },
    { "image/tiff", GA_SNIFF_IMAGE },
    { "image/svg+xml", K(GA_SNIFF_GZIP) },           /* svgz */
    { "image/*", GA_SNIFF_DATA },

    /* text carries none of the binary formats above */
    { "text/*", 0 },
    { "application/json", 0 },
    { "application/xml", 0 },
    { "message/*", 0 },

    /* formats not sniffed here: only executables contradict them */
    { "audio/*", GA_SNIFF_DATA },
    { "video/*", GA_SNIFF_DATA },
    { "application/vnd.*", GA_SNIFF_DATA },

    { NULL, 0 }
};


/*
 * Extensions under which executable bytes mismatch whatever the declared
 * type: documents, images, text, audio and video, what a user opens
 * expecting to read, view or play it.
 */

static const char  *ga_sniff_doc_exts[] = {
    "pdf", "rtf",
    "doc", "docx", "docm", "dot", "dotx", "xls", "xlsx", "xlsm", "xlsb",
    "xlt", "xltx", "ppt", "pptx", "pptm", "pps", "ppsx", "odt", "ods",
    "odp", "msg", "eml", "ics", "vcf",
    "txt", "csv", "tsv", "log", "md", "json", "xml", "html", "htm",
    "jpg", "jpeg", "jpe", "png", "gif", "bmp", "tif", "tiff", "webp",
    "heic", "svg", "ico",
    "mp3", "wav", "m4a", "mp4", "mov", "avi", "wmv",
    NULL
};


/*
 * One signature after the other, in the order of the sniff table in
 * docs/security.md; kept in one function on purpose (longer than the
 * others), so that the table and the code can be read side by side.
 */

int
ga_sniff(const u_char *head, size_t len)
{
    uint32_t  n;

    /* executables */

    if (ga_sniff_is(head, len, "MZ", 2)) {
        return GA_SNIFF_PE;
    }

    if (ga_sniff_is(head, len, "\177ELF", 4)) {
        return GA_SNIFF_ELF;
    }

    if (ga_sniff_is(head, len, "\376\355\372\316", 4)       /* FEEDFACE */
        || ga_sniff_is(head, len, "\376\355\372\317", 4)    /* FEEDFACF */
        || ga_sniff_is(head, len, "\316\372\355\376", 4)    /* CEFAEDFE */
        || ga_sniff_is(head, len, "\317\372\355\376", 4)    /* CFFAEDFE */
        || ga_sniff_is(head, len, "\312\376\272\277", 4)    /* CAFEBABF */
        || ga_sniff_is(head, len, "\276\272\376\312", 4)    /* BEBAFECA */
        || ga_sniff_is(head, len, "\277\272\376\312", 4))   /* BFBAFECA */
    {
        return GA_SNIFF_MACHO;
    }

    if (ga_sniff_is(head, len, "\312\376\272\276", 4)) {     /* CAFEBABE */

        /*
         * A fat Mach-O counts its architectures next, a handful; a Java
         * class has its minor and major version there, major >= 45.
         * Both are executable: when in doubt, Mach-O.
         */

        if (len >= 8) {
            n = ga_sniff_be32(head + 4);

            if (n >= 45) {
                return GA_SNIFF_CLASS;
            }
        }

        return GA_SNIFF_MACHO;
    }

    if (ga_sniff_is(head, len, "#!", 2)) {
        return GA_SNIFF_SCRIPT;
    }

    /* documents and archives */

    if (ga_sniff_is(head, len, "%PDF-", 5)) {
        return GA_SNIFF_PDF;
    }

    if (ga_sniff_is(head, len, "PK\3\4", 4)
        || ga_sniff_is(head, len, "PK\5\6", 4)             /* empty */
        || ga_sniff_is(head, len, "PK\7\10", 4))           /* spanned */
    {
        return GA_SNIFF_ZIP;
    }

    if (ga_sniff_is(head, len, "\320\317\021\340\241\261\032\341", 8)) {
        return GA_SNIFF_OLE;
    }

    if (ga_sniff_is(head, len, "\037\213", 2)) {
        return GA_SNIFF_GZIP;
    }

    /* Word opens anything that starts {\rt, and so do exploits ({\rtx) */

    if (ga_sniff_is(head, len, "{\\rt", 4)) {
        return GA_SNIFF_RTF;
    }

    /* images */

    if (ga_sniff_is(head, len, "\211PNG\r\n\032\n", 8)) {
        return GA_SNIFF_PNG;
    }

    if (ga_sniff_is(head, len, "\377\330\377", 3)) {
        return GA_SNIFF_JPEG;
    }

    if (ga_sniff_is(head, len, "GIF87a", 6)
        || ga_sniff_is(head, len, "GIF89a", 6))
    {
        return GA_SNIFF_GIF;
    }

    if (len >= 12
        && memcmp(head, "RIFF", 4) == 0
        && memcmp(head + 8, "WEBP", 4) == 0)
    {
        return GA_SNIFF_WEBP;
    }

    if (ga_sniff_is(head, len, "II*\0", 4)
        || ga_sniff_is(head, len, "MM\0*", 4)
        || ga_sniff_is(head, len, "II+\0", 4)              /* BigTIFF */
        || ga_sniff_is(head, len, "MM\0+", 4))
    {
        return GA_SNIFF_TIFF;
    }

    /*
     * "BM" alone starts too much text ("BMW Q3.txt" typed text/plain would
     * mismatch): the reserved words must be zero and the DIB header size
     * one of the known ones (core, OS/2 2, info, v2, v3, OS/2 2 long, v4,
     * v5).
     */

    if (len >= 18
        && head[0] == 'B' && head[1] == 'M'
        && ga_sniff_le32(head + 6) == 0)
    {
        n = ga_sniff_le32(head + 14);

        if (n == 12 || n == 16 || n == 40 || n == 52 || n == 56
            || n == 64 || n == 108 || n == 124)
        {
            return GA_SNIFF_BMP;
        }
    }

    return GA_SNIFF_UNKNOWN;
}


int
ga_sniff_executable(int kind)
{
    return kind > GA_SNIFF_UNKNOWN && kind < GA_SNIFF_LAST
           && (GA_SNIFF_EXEC & K(kind)) != 0;
}


const char *
ga_sniff_name(int kind)
{
    if (kind < 0 || kind >= GA_SNIFF_LAST) {
        return "unknown";
    }

    return ga_sniff_names[kind];
}


int
ga_sniff_mismatch(int kind, const u_char *type, size_t type_len,
    const u_char *ext, size_t ext_len)
{
    const char             **e;
    const ga_sniff_rule_t   *rule;

    if (kind <= GA_SNIFF_UNKNOWN || kind >= GA_SNIFF_LAST) {
        return 0;
    }

    if (type && type_len) {
        rule = ga_sniff_rule(type, type_len);

        if (rule && (rule->allow & K(kind)) == 0) {
            return 1;
        }
    }

    if (ga_sniff_executable(kind) && ext && ext_len) {
        for (e = ga_sniff_doc_exts; *e; e++) {
            if (ga_ascii_caseeq_str(ext, ext_len, *e)) {
                return 1;
            }
        }
    }

    return 0;
}


/* the first row of ga_sniff_rules that the declared type matches */

static const ga_sniff_rule_t *
ga_sniff_rule(const u_char *type, size_t type_len)
{
    size_t                  n, tn;
    ga_type_t               t;
    const char             *sub;
    const ga_sniff_rule_t  *r;

    if (!ga_type_parse(type, type_len, &t)) {
        return NULL;
    }

    for (r = ga_sniff_rules; r->type; r++) {
        sub = strchr(r->type, '/') + 1;
        tn = sub - 1 - r->type;

        if (!ga_ascii_caseeq(t.type, t.type_len, (const u_char *) r->type,
                             tn))
        {
            continue;
        }

        n = strlen(sub);

        if (sub[n - 1] == '*') {
            n--;

            if (t.subtype_len >= n
                && ga_ascii_caseeq(t.subtype, n, (const u_char *) sub, n))
            {
                return r;
            }

            continue;
        }

        if (ga_ascii_caseeq_str(t.subtype, t.subtype_len, sub)) {
            return r;
        }
    }

    return NULL;
}


static int
ga_sniff_is(const u_char *p, size_t len, const char *magic, size_t n)
{
    return len >= n && memcmp(p, magic, n) == 0;
}


static uint32_t
ga_sniff_be32(const u_char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}


static uint32_t
ga_sniff_le32(const u_char *p)
{
    return (uint32_t) p[3] << 24 | (uint32_t) p[2] << 16
           | (uint32_t) p[1] << 8 | p[0];
}
