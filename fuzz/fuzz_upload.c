
/*
 * Copyright (C) graph-attach authors
 */


/*
 * libFuzzer target for what upload sessions read from the network and
 * write to Graph (src/ga_upload.c): the uploadUrl and origin parser, the
 * createUploadSession and PUT answers, the final Location, and the
 * AttachmentItem writer.  Every buffer is malloc()ed to its exact size.
 * Invariants, checked with abort():
 *   - a parsed URL's host and path lie inside it, the path starts with
 *     '/', holds no space, control, '#' or byte >= 0x80; an origin has no
 *     path; a URL has the same origin as itself;
 *   - a session's uploadUrl is at most GA_UPLOAD_URL_MAX bytes and parses
 *     again; a next range is below the total;
 *   - an attachment id lies inside the Location, 1 to GA_UPLOAD_ID_MAX
 *     bytes;
 *   - the AttachmentItem fits its length, and when it parses as JSON its
 *     size reads back as written.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ga_upload.h"


static void
fuzz_url(const uint8_t *data, size_t size)
{
    size_t           i;
    u_char          *p;
    ga_upload_url_t  u;

    p = malloc(size ? size : 1);
    memcpy(p, data, size);

    if (ga_upload_url_parse(p, size, 0, &u) == GA_UPLOAD_OK) {
        if (u.host < p || u.host + u.host_len > p + size || u.path == NULL
            || u.path < p || u.path + u.path_len != p + size
            || u.path[0] != '/' || !ga_upload_same_origin(&u, &u))
        {
            abort();
        }

        for (i = 0; i < u.path_len; i++) {
            if (u.path[i] <= 0x20 || u.path[i] >= 0x7f || u.path[i] == '#')
            {
                abort();
            }
        }
    }

    if (ga_upload_url_parse(p, size, 1, &u) == GA_UPLOAD_OK
        && (u.path != NULL || u.host + u.host_len > p + size))
    {
        abort();
    }

    free(p);
}


static void
fuzz_answers(const uint8_t *data, size_t size)
{
    size_t           n;
    u_char          *p, url[GA_UPLOAD_URL_MAX];
    int64_t          next;
    const u_char    *id;
    ga_upload_url_t  u;

    p = malloc(size ? size : 1);
    memcpy(p, data, size);

    if (ga_upload_session_parse(p, size, url, &n, &next) == GA_UPLOAD_OK) {
        if (n > GA_UPLOAD_URL_MAX || next < 0
            || ga_upload_url_parse(url, n, 0, &u) != GA_UPLOAD_OK)
        {
            abort();
        }
    }

    if (ga_upload_next_range(p, size, 10485760, &next) == GA_UPLOAD_OK
        && (next < 0 || next >= 10485760))
    {
        abort();
    }

    if (ga_upload_attachment_id(p, size, &id, &n) == GA_UPLOAD_OK
        && (id < p || id + n > p + size || n == 0 || n > GA_UPLOAD_ID_MAX))
    {
        abort();
    }

    free(p);
}


static void
fuzz_item(const uint8_t *data, size_t size)
{
    size_t          half, len;
    u_char         *out, *end, *name, *type;
    cJSON          *root, *item, *v;
    const uint8_t  *nl;

    nl = memchr(data, '\n', size);
    half = nl ? (size_t) (nl - data) : size;

    name = malloc(half ? half : 1);
    type = malloc(size - half ? size - half : 1);
    memcpy(name, data, half);

    if (size > half) {
        memcpy(type, data + half, size - half);
    }

    len = ga_upload_item_len(name, half, type, size - half, name, half);
    out = malloc(len + 1);

    end = ga_upload_item(out, name, half, type, size - half,
                         (int64_t) size, size & 1, name, half);

    if ((size_t) (end - out) > len) {
        abort();
    }

    *end = '\0';

    /*
     * names reach the writer as valid UTF-8; random bytes may not be, and
     * cJSON may refuse them: the size is checked whenever it parses
     */

    root = cJSON_Parse((char *) out);

    if (root != NULL) {
        item = cJSON_GetObjectItem(root, "AttachmentItem");
        v = cJSON_GetObjectItem(item, "size");

        if (!cJSON_IsNumber(v) || v->valuedouble != (double) size) {
            abort();
        }

        cJSON_Delete(root);
    }

    free(out);
    free(name);
    free(type);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_url(data, size);
    fuzz_answers(data, size);
    fuzz_item(data, size);

    return 0;
}
