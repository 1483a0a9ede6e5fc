
/*
 * Copyright (C) graph-attach authors
 */


#include <stdint.h>
#include <string.h>

#include "ga_ext.h"
#include "ga_name.h"
#include "ga_type.h"


typedef struct {
    const char   *type;
    const char   *exts[5];
} ga_ext_map_t;


static void ga_ext_set(ga_ext_t *e, const u_char *p, size_t len);


/* media type -> extensions: docs/security.md has the same table */

static const ga_ext_map_t  ga_ext_map[] = {
    { "application/pdf", { "pdf" } },
    { "text/plain", { "txt", "text", "log" } },
    { "text/csv", { "csv" } },
    { "text/markdown", { "md" } },
    { "text/calendar", { "ics" } },
    { "text/vcard", { "vcf" } },
    { "text/rtf", { "rtf" } },
    { "application/rtf", { "rtf" } },
    { "application/json", { "json" } },
    { "application/xml", { "xml" } },
    { "text/xml", { "xml" } },
    { "image/png", { "png" } },
    { "image/jpeg", { "jpg", "jpeg", "jpe" } },
    { "image/gif", { "gif" } },
    { "image/webp", { "webp" } },
    { "image/bmp", { "bmp" } },
    { "image/tiff", { "tif", "tiff" } },
    { "image/heic", { "heic" } },
    { "image/svg+xml", { "svg" } },
    { "application/zip", { "zip" } },
    { "application/x-zip-compressed", { "zip" } },
    { "application/gzip", { "gz" } },
    { "application/msword", { "doc" } },
    { "application/vnd.ms-excel", { "xls" } },
    { "application/vnd.ms-powerpoint", { "ppt" } },
    { "application/vnd.openxmlformats-officedocument."
      "wordprocessingml.document", { "docx" } },
    { "application/vnd.openxmlformats-officedocument."
      "spreadsheetml.sheet", { "xlsx" } },
    { "application/vnd.openxmlformats-officedocument."
      "presentationml.presentation", { "pptx" } },
    { "application/vnd.oasis.opendocument.text", { "odt" } },
    { "application/vnd.oasis.opendocument.spreadsheet", { "ods" } },
    { "application/vnd.oasis.opendocument.presentation", { "odp" } },
    { "message/rfc822", { "eml" } },
    { "audio/mpeg", { "mp3" } },
    { "video/mp4", { "mp4" } },
    { NULL, { NULL } }
};


size_t
ga_ext_fold(const u_char *ext, size_t len, u_char *out)
{
    size_t    i, n;
    uint32_t  cp;

    n = 0;
    i = 0;

    while (i < len) {

        if (ext[i] < 0x80) {
            out[n++] = (ext[i] >= 'A' && ext[i] <= 'Z') ? ext[i] | 0x20
                                                        : ext[i];
            i++;
            continue;
        }

        if ((ext[i] & 0xe0) == 0xc0 && i + 1 < len
            && (ext[i + 1] & 0xc0) == 0x80)
        {
            cp = ((ext[i] & 0x1f) << 6) | (ext[i + 1] & 0x3f);

            if (cp == 0x130 || cp == 0x131) {
                out[n++] = 'i';
                i += 2;
                continue;
            }

            if (cp == 0x17f) {
                out[n++] = 's';
                i += 2;
                continue;
            }

        } else if ((ext[i] & 0xf0) == 0xe0 && i + 2 < len
                   && (ext[i + 1] & 0xc0) == 0x80
                   && (ext[i + 2] & 0xc0) == 0x80)
        {
            cp = ((ext[i] & 0x0f) << 12) | ((ext[i + 1] & 0x3f) << 6)
                 | (ext[i + 2] & 0x3f);

            if (cp == 0x212a) {
                out[n++] = 'k';
                i += 3;
                continue;
            }

            if (cp >= 0xff01 && cp <= 0xff5e) {
                cp -= 0xff01 - 0x21;
                out[n++] = (cp >= 'A' && cp <= 'Z') ? (u_char) (cp | 0x20)
                                                    : (u_char) cp;
                i += 3;
                continue;
            }
        }

        out[n++] = ext[i++];
    }

    return n;
}


int
ga_ext_get(const u_char *name, size_t len, ga_ext_t ext[2])
{
    int            n;
    size_t         i, el, sl;
    const u_char  *e, *s;

    e = ga_name_extension(name, len, &el);
    s = NULL;
    sl = 0;

    for (i = 0; i < len; i++) {
        if (name[i] == ':') {
            s = ga_name_extension(name, i, &sl);
            break;
        }
    }

    n = 0;

    if (i < len) {
        /* a stream: what Windows opens comes first */

        if (s) {
            ga_ext_set(&ext[n++], s, sl);
        }

        if (e && !(s && el == sl && memcmp(e, s, el) == 0)) {
            ga_ext_set(&ext[n++], e, el);
        }

        return n;
    }

    if (e) {
        ga_ext_set(&ext[n++], e, el);
    }

    return n;
}


int
ga_ext_eq(const ga_ext_t *e, const u_char *s, size_t len)
{
    u_char  buf[GA_EXT_MAX];

    if (e->len > GA_EXT_MAX || len > GA_EXT_MAX || len == 0) {
        return 0;
    }

    len = ga_ext_fold(s, len, buf);

    return e->len == len && memcmp(e->data, buf, len) == 0;
}


const char *const *
ga_ext_for_type(const u_char *type, size_t len)
{
    size_t               n;
    ga_type_t            t;
    const ga_ext_map_t  *m;

    if (!ga_type_parse(type, len, &t)) {
        return NULL;
    }

    /* type, '/' and subtype are contiguous in the input */

    n = t.type_len + 1 + t.subtype_len;

    for (m = ga_ext_map; m->type; m++) {
        if (ga_type_match(t.type, n, (const u_char *) m->type,
                          strlen(m->type)))
        {
            return m->exts;
        }
    }

    return NULL;
}


int
ga_ext_type_maps(const u_char *type, size_t len, const ga_ext_t *e)
{
    const char *const  *x;

    x = ga_ext_for_type(type, len);

    if (x == NULL) {
        return 0;
    }

    for ( /* void */ ; *x; x++) {
        if (ga_ext_eq(e, (const u_char *) *x, strlen(*x))) {
            return 1;
        }
    }

    return 0;
}


static void
ga_ext_set(ga_ext_t *e, const u_char *p, size_t len)
{
    u_char  buf[GA_NAME_MAX];

    if (len > GA_NAME_MAX) {
        e->len = len;
        return;
    }

    e->len = ga_ext_fold(p, len, buf);

    if (e->len <= GA_EXT_MAX) {
        memcpy(e->data, buf, e->len);
    }
}
