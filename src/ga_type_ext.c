
/*
 * Copyright (C) graph-attach authors
 */


#include "ga_ascii.h"
#include "ga_type.h"
#include "ga_type_ext.h"


#define NAMES  GA_TYPE_EXT_NAMES
#define BINDS  GA_TYPE_EXT_BINDS
#define BOTH   (GA_TYPE_EXT_NAMES | GA_TYPE_EXT_BINDS)


typedef struct {
    const char    *type;          /* "type/subtype", lower case */
    const char    *exts[4];
    unsigned       use;
} ga_type_ext_t;


/*
 * What Windows and the common browsers' type maps associate with each
 * type, so that an attachment named from its type opens in the usual
 * application, and a name bound to its type is one those maps give it.
 *
 * An entry that names (NAMES) has no extension on ga_name_default_deny
 * (a unit test checks it), or the name given would be refused.  The
 * aliases that name only (image/pjpeg, audio/x-wav, ...) are not in the
 * binding that docs/security.md documents: with graph_attach_allow_types
 * set, a file declared under one of them is refused whatever its name.
 * image/svg+xml binds only: .svg is on the default deny list (a scripted
 * image), so it may not name an attachment, but a location that lifts it
 * from the list still gets the binding.
 */

static const ga_type_ext_t  ga_type_exts[] = {
    { "application/pdf", { "pdf" }, BOTH },
    { "application/x-pdf", { "pdf" }, NAMES },
    { "text/plain", { "txt", "text", "log" }, BOTH },
    { "text/csv", { "csv" }, BOTH },
    { "text/markdown", { "md" }, BOTH },
    { "text/calendar", { "ics" }, BOTH },
    { "text/vcard", { "vcf" }, BOTH },
    { "text/rtf", { "rtf" }, BOTH },
    { "application/rtf", { "rtf" }, BOTH },
    { "application/json", { "json" }, BOTH },
    { "application/xml", { "xml" }, BOTH },
    { "text/xml", { "xml" }, BOTH },
    { "image/png", { "png" }, BOTH },
    { "image/jpeg", { "jpg", "jpeg", "jpe" }, BOTH },
    { "image/jpg", { "jpg" }, NAMES },
    { "image/pjpeg", { "jpg" }, NAMES },
    { "image/gif", { "gif" }, BOTH },
    { "image/webp", { "webp" }, BOTH },
    { "image/bmp", { "bmp" }, BOTH },
    { "image/x-ms-bmp", { "bmp" }, NAMES },
    { "image/tiff", { "tif", "tiff" }, BOTH },
    { "image/heic", { "heic" }, BOTH },
    { "image/svg+xml", { "svg" }, BINDS },
    { "application/zip", { "zip" }, BOTH },
    { "application/x-zip-compressed", { "zip" }, BOTH },
    { "application/gzip", { "gz" }, BOTH },
    { "application/x-gzip", { "gz" }, NAMES },
    { "application/x-7z-compressed", { "7z" }, NAMES },
    { "application/msword", { "doc" }, BOTH },
    { "application/vnd.ms-excel", { "xls" }, BOTH },
    { "application/vnd.ms-powerpoint", { "ppt" }, BOTH },
    { "application/vnd.ms-outlook", { "msg" }, NAMES },
    { "application/vnd.openxmlformats-officedocument."
      "wordprocessingml.document", { "docx" }, BOTH },
    { "application/vnd.openxmlformats-officedocument."
      "spreadsheetml.sheet", { "xlsx" }, BOTH },
    { "application/vnd.openxmlformats-officedocument."
      "presentationml.presentation", { "pptx" }, BOTH },
    { "application/vnd.oasis.opendocument.text", { "odt" }, BOTH },
    { "application/vnd.oasis.opendocument.spreadsheet", { "ods" }, BOTH },
    { "application/vnd.oasis.opendocument.presentation", { "odp" }, BOTH },
    { "message/rfc822", { "eml" }, BOTH },
    { "audio/mpeg", { "mp3" }, BOTH },
    { "audio/wav", { "wav" }, NAMES },
    { "audio/x-wav", { "wav" }, NAMES },
    { "video/mp4", { "mp4" }, BOTH },
    { "video/quicktime", { "mov" }, NAMES },
    { NULL, { NULL }, 0 }
};


const char *const *
ga_type_ext_lookup(const u_char *type, size_t len, unsigned use)
{
    size_t                n;
    ga_type_t             t;
    const ga_type_ext_t  *e;

    if (!ga_type_parse(type, len, &t)) {
        return NULL;
    }

    /* type, '/' and subtype are contiguous in the input */

    n = t.type_len + 1 + t.subtype_len;

    for (e = ga_type_exts; e->type; e++) {
        if (ga_ascii_caseeq_str(t.type, n, e->type)) {
            return (e->use & use) ? e->exts : NULL;
        }
    }

    return NULL;
}
