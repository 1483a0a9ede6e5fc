
/*
 * Copyright (C) graph-attach authors
 */


#include <stdlib.h>
#include <string.h>

#include "ga_ext.h"
#include "ga_name.h"
#include "ga_type.h"
#include "tap.h"
#include "unit.h"


/*
 * The type to extension table as its two readers see it: the extension
 * ga_type_extension() names an unnamed attachment with, and the
 * extensions ga_ext_for_type() binds an allowed type to ("" for none:
 * the type binds no name, so graph_attach_allow_types refuses it).
 * Every type either reader knows is here, with what it gives today.
 */

typedef struct {
    const char  *type;
    const char  *name;
    const char  *bind;            /* the list, comma-separated */
} pin_t;


static const pin_t  pins[] = {
    { "application/pdf", "pdf", "pdf" },
    { "application/x-pdf", "pdf", "" },
    { "application/rtf", "rtf", "rtf" },
    { "text/rtf", "rtf", "rtf" },
    { "application/msword", "doc", "doc" },
    { "application/vnd.ms-excel", "xls", "xls" },
    { "application/vnd.ms-powerpoint", "ppt", "ppt" },
    { "application/vnd.ms-outlook", "msg", "" },
    { "application/vnd.openxmlformats-officedocument"
      ".wordprocessingml.document", "docx", "docx" },
    { "application/vnd.openxmlformats-officedocument"
      ".spreadsheetml.sheet", "xlsx", "xlsx" },
    { "application/vnd.openxmlformats-officedocument"
      ".presentationml.presentation", "pptx", "pptx" },
    { "application/vnd.oasis.opendocument.text", "odt", "odt" },
    { "application/vnd.oasis.opendocument.spreadsheet", "ods", "ods" },
    { "application/vnd.oasis.opendocument.presentation", "odp", "odp" },
    { "application/zip", "zip", "zip" },
    { "application/x-zip-compressed", "zip", "zip" },
    { "application/gzip", "gz", "gz" },
    { "application/x-gzip", "gz", "" },
    { "application/x-7z-compressed", "7z", "" },
    { "application/json", "json", "json" },
    { "application/xml", "xml", "xml" },
    { "text/xml", "xml", "xml" },
    { "text/plain", "txt", "txt,text,log" },
    { "text/csv", "csv", "csv" },
    { "text/calendar", "ics", "ics" },
    { "text/vcard", "vcf", "vcf" },
    { "text/markdown", "md", "md" },
    { "message/rfc822", "eml", "eml" },
    { "image/png", "png", "png" },
    { "image/jpeg", "jpg", "jpg,jpeg,jpe" },
    { "image/jpg", "jpg", "" },
    { "image/pjpeg", "jpg", "" },
    { "image/gif", "gif", "gif" },
    { "image/bmp", "bmp", "bmp" },
    { "image/x-ms-bmp", "bmp", "" },
    { "image/tiff", "tif", "tif,tiff" },
    { "image/webp", "webp", "webp" },
    { "image/heic", "heic", "heic" },
    { "image/svg+xml", "bin", "svg" },
    { "audio/mpeg", "mp3", "mp3" },
    { "audio/wav", "wav", "" },
    { "audio/x-wav", "wav", "" },
    { "video/mp4", "mp4", "mp4" },
    { "video/quicktime", "mov", "" },

    /* neither reader knows these */
    { "text/html", "bin", "" },
    { "application/octet-stream", "bin", "" },
    { "application/x-msdownload", "bin", "" },
    { "image/x-bmp", "bin", "" },
    { "image/*", "bin", "" },
    { "*/*", "bin", "" },
    { "garbage", "bin", "" },
    { "", "bin", "" },

    /* case, spaces and parameters do not count */
    { "IMAGE/JPEG", "jpg", "jpg,jpeg,jpe" },
    { " Text/Plain ; charset=utf-8", "txt", "txt,text,log" },
    { "Image/SVG+XML; x=y", "bin", "svg" },
    { "Image/PJPEG", "jpg", "" },
};


/* the list as "a,b,c", "" for NULL */

static void
joined(const char *const *x, char *buf, size_t size)
{
    size_t  n, len;

    n = 0;
    buf[0] = '\0';

    for ( /* void */ ; x && *x; x++) {
        len = strlen(*x);

        if (n + len + 2 > size) {
            break;
        }

        if (n) {
            buf[n++] = ',';
        }

        memcpy(buf + n, *x, len + 1);
        n += len;
    }
}


int
main(void)
{
    int                  bound, denied;
    char                 buf[64];
    size_t               i, len;
    u_char              *t;
    ga_ext_t             e;
    const char          *name;
    const char *const   *x;

    for (i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {

        /* an exact-size copy: nothing may be read past the type */

        len = strlen(pins[i].type);
        t = malloc(len ? len : 1);
        memcpy(t, pins[i].type, len);

        name = ga_type_extension(t, len);
        ok(strcmp(name, pins[i].name) == 0, "\"%s\" names .%s",
           pins[i].type, pins[i].name);

        x = ga_ext_for_type(t, len);
        joined(x, buf, sizeof(buf));
        ok(strcmp(buf, pins[i].bind) == 0 && (x == NULL) == (buf[0] == 0),
           "\"%s\" binds \"%s\"", pins[i].type, pins[i].bind);

        /*
         * the name given to an unnamed attachment is bound to its type
         * where the type binds any: the first extension of the list
         */

        e.len = strlen(name);
        memcpy(e.data, name, e.len);
        bound = (strncmp(pins[i].bind, name, e.len) == 0
                 && (pins[i].bind[e.len] == ',' || pins[i].bind[e.len] == 0));

        ok(ga_ext_type_maps(t, len, &e) == bound, "\"%s\": attachment.%s %s",
           pins[i].type, name, bound ? "bound" : "not bound");

        /*
         * a type that names an attachment binds no denied extension;
         * one that binds only may: image/svg+xml binds the denied svg
         */

        for (denied = 0; x && *x; x++) {
            denied += default_denied(*x);
        }

        ok(denied == 0 || strcmp(name, "bin") == 0,
           "\"%s\": %d denied extensions bound", pins[i].type, denied);

        free(t);
    }

    ok(default_denied("svg"), "svg, which image/svg+xml binds, is denied");

    return done_testing();
}
