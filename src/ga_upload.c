
/*
 * Copyright (C) graph-attach authors
 */


#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ga_ascii.h"
#include "ga_json.h"
#include "ga_upload.h"


static int ga_upload_host(const u_char *p, const u_char *last,
    const u_char **end);
static int ga_upload_path_char(u_char c);
static cJSON *ga_upload_json(const u_char *json, size_t len);
static int ga_upload_range_start(const char *s, int64_t total,
    int64_t *start);


int
ga_upload_url_parse(const u_char *url, size_t len, int origin,
    ga_upload_url_t *u)
{
    long           port;
    const u_char  *p, *last, *q;

    memset(u, 0, sizeof(ga_upload_url_t));

    if (len > GA_UPLOAD_URL_MAX) {
        return GA_UPLOAD_ERR_URL;
    }

    p = url;
    last = url + len;

    if (len >= 8 && ga_ascii_caseeq(p, 8, (u_char *) "https://", 8)) {
        u->https = 1;
        u->port = 443;
        p += 8;

    } else if (len >= 7 && ga_ascii_caseeq(p, 7, (u_char *) "http://", 7)) {
        u->port = 80;
        p += 7;

    } else {
        return GA_UPLOAD_ERR_URL;
    }

    if (ga_upload_host(p, last, &q) != GA_UPLOAD_OK) {
        return GA_UPLOAD_ERR_URL;
    }

    u->host = p;
    u->host_len = q - p;
    p = q;

    if (p < last && *p == ':') {
        port = 0;

        for (p++, q = p; p < last && *p >= '0' && *p <= '9'; p++) {
            port = port * 10 + (*p - '0');

            if (port > 65535) {
                return GA_UPLOAD_ERR_URL;
            }
        }

        if (p == q || port == 0) {
            return GA_UPLOAD_ERR_URL;
        }

        u->port = (uint16_t) port;
    }

    if (origin) {
        return (p == last) ? GA_UPLOAD_OK : GA_UPLOAD_ERR_URL;
    }

    if (p == last || *p != '/') {
        return GA_UPLOAD_ERR_URL;
    }

    u->path = p;
    u->path_len = last - p;

    for ( /* void */ ; p < last; p++) {
        if (*p == '%') {
            if (last - p < 3 || ga_ascii_hex(p[1]) < 0
                || ga_ascii_hex(p[2]) < 0)
            {
                return GA_UPLOAD_ERR_URL;
            }

            p += 2;
            continue;
        }

        if (!ga_upload_path_char(*p)) {
            return GA_UPLOAD_ERR_URL;
        }
    }

    return GA_UPLOAD_OK;
}


/* a DNS name, an IPv4 address, or an IPv6 literal in brackets */

static int
ga_upload_host(const u_char *p, const u_char *last, const u_char **end)
{
    const u_char  *start;

    start = p;

    if (p < last && *p == '[') {
        for (p++; p < last && *p != ']'; p++) {
            if (!(ga_ascii_hex(*p) >= 0 || *p == ':' || *p == '.')) {
                return GA_UPLOAD_ERR_URL;
            }
        }

        if (p == last || p - start < 3) {
            return GA_UPLOAD_ERR_URL;
        }

        *end = p + 1;
        return GA_UPLOAD_OK;
    }

    for ( /* void */ ; p < last; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
        {
            break;
        }
    }

    /* "user@host" stops here at '@', and is refused by the caller */

    if (p == start || start[0] == '.' || start[0] == '-' || p - start > 253)
    {
        return GA_UPLOAD_ERR_URL;
    }

    *end = p;

    return GA_UPLOAD_OK;
}


/* RFC 3986 unreserved, sub-delims, ":", "@", "/", "?"; not "#" */

static int
ga_upload_path_char(u_char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9'))
    {
        return 1;
    }

    return c != '\0' && strchr("-._~!$&'()*+,;=:@/?", c) != NULL;
}


int
ga_upload_same_origin(const ga_upload_url_t *u,
    const ga_upload_url_t *origin)
{
    return u->https == origin->https
           && u->port == origin->port
           && ga_ascii_caseeq(u->host, u->host_len, origin->host,
                              origin->host_len);
}


int
ga_upload_session_parse(const u_char *json, size_t len, u_char *url,
    size_t *url_len, int64_t *next)
{
    int               rc;
    size_t            n;
    cJSON            *root, *item, *ranges, *first;
    ga_upload_url_t   u;

    *url_len = 0;
    *next = 0;

    root = ga_upload_json(json, len);
    if (root == NULL) {
        return GA_UPLOAD_ERR_JSON;
    }

    rc = GA_UPLOAD_ERR_JSON;

    item = cJSON_GetObjectItem(root, "uploadUrl");

    if (!cJSON_IsString(item)) {
        goto done;
    }

    n = strlen(item->valuestring);

    if (ga_upload_url_parse((u_char *) item->valuestring, n, 0, &u)
        != GA_UPLOAD_OK)
    {
        rc = GA_UPLOAD_ERR_URL;
        goto done;
    }

    ranges = cJSON_GetObjectItem(root, "nextExpectedRanges");

    if (ranges) {
        first = cJSON_GetArrayItem(ranges, 0);

        /*
         * a new session expects the file from its first byte: a start
         * past 0 would have the module skip the bytes before it and
         * still answer the whole file attached
         */

        if (!cJSON_IsArray(ranges) || !cJSON_IsString(first)
            || ga_upload_range_start(first->valuestring, INT64_MAX, next)
               != GA_UPLOAD_OK
            || *next != 0)
        {
            *next = 0;
            rc = GA_UPLOAD_ERR_RANGE;
            goto done;
        }
    }

    memcpy(url, item->valuestring, n);
    *url_len = n;

    rc = GA_UPLOAD_OK;

done:

    cJSON_Delete(root);

    return rc;
}


int
ga_upload_next_range(const u_char *json, size_t len, int64_t total,
    int64_t *next)
{
    int     rc;
    cJSON  *root, *ranges, *first;

    root = ga_upload_json(json, len);
    if (root == NULL) {
        return GA_UPLOAD_ERR_JSON;
    }

    ranges = cJSON_GetObjectItem(root, "nextExpectedRanges");
    first = cJSON_GetArrayItem(ranges, 0);

    if (!cJSON_IsArray(ranges) || !cJSON_IsString(first)) {
        rc = GA_UPLOAD_ERR_RANGE;

    } else {
        rc = ga_upload_range_start(first->valuestring, total, next);
    }

    cJSON_Delete(root);

    return rc;
}


/* "N", "N-" or "N-M", N <= M < total; Outlook sends the first alone */

static int
ga_upload_range_start(const char *s, int64_t total, int64_t *start)
{
    int64_t      n, m;
    const char  *p;

    n = 0;

    for (p = s; *p >= '0' && *p <= '9'; p++) {
        if (n > (INT64_MAX - 9) / 10) {
            return GA_UPLOAD_ERR_RANGE;
        }

        n = n * 10 + (*p - '0');
    }

    if (p == s || (s[0] == '0' && p - s > 1) || n >= total) {
        return GA_UPLOAD_ERR_RANGE;
    }

    if (*p == '-') {
        p++;

        if (*p != '\0') {
            m = 0;

            for (s = p; *p >= '0' && *p <= '9'; p++) {
                if (m > (INT64_MAX - 9) / 10) {
                    return GA_UPLOAD_ERR_RANGE;
                }

                m = m * 10 + (*p - '0');
            }

            if (p == s || m < n || m >= total) {
                return GA_UPLOAD_ERR_RANGE;
            }
        }
    }

    if (*p != '\0') {
        return GA_UPLOAD_ERR_RANGE;
    }

    *start = n;

    return GA_UPLOAD_OK;
}


/* one JSON object, no NUL inside (cJSON strings end at one), bounded */

static cJSON *
ga_upload_json(const u_char *json, size_t len)
{
    size_t       i;
    cJSON       *root;
    const char  *end;

    if (len == 0 || len > GA_UPLOAD_RESPONSE_MAX
        || memchr(json, '\0', len) != NULL)
    {
        return NULL;
    }

    /* nor escaped: a string read up to a \u0000 is not what was sent */

    for (i = 0; i + 6 <= len; i++) {
        if (json[i] == '\\' && json[i + 1] == 'u' && json[i + 2] == '0'
            && json[i + 3] == '0' && json[i + 4] == '0' && json[i + 5] == '0')
        {
            return NULL;
        }
    }

    root = cJSON_ParseWithLengthOpts((const char *) json, len, &end, 0);

    if (root == NULL) {
        return NULL;
    }

    while (end < (const char *) json + len
           && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
    {
        end++;
    }

    if (end != (const char *) json + len || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return NULL;
    }

    return root;
}


int
ga_upload_attachment_id(const u_char *location, size_t len,
    const u_char **id, size_t *id_len)
{
    size_t         i, k;
    const u_char  *p, *q, *last;

    static const char  key[] = "attachments('";

    *id = NULL;
    *id_len = 0;

    if (len > GA_UPLOAD_URL_MAX) {
        return GA_UPLOAD_ERR_LOCATION;
    }

    /* the last "Attachments('": an item attachment's own come before */

    p = NULL;
    k = sizeof(key) - 1;

    for (i = 0; i + k <= len; i++) {
        if (ga_ascii_caseeq(location + i, k, (u_char *) key, k)) {
            p = location + i + k;
        }
    }

    if (p == NULL) {
        return GA_UPLOAD_ERR_LOCATION;
    }

    last = location + len;

    for (q = p; q < last && *q != '\''; q++) { /* void */ }

    if (!ga_upload_id_valid(p, q - p) || last - q < 2 || q[1] != ')') {
        return GA_UPLOAD_ERR_LOCATION;
    }

    *id = p;
    *id_len = q - p;

    return GA_UPLOAD_OK;
}


int
ga_upload_id_valid(const u_char *id, size_t len)
{
    size_t  i;
    u_char  c;

    if (len == 0 || len > GA_UPLOAD_ID_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = id[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_'
              || c == '=' || c == '+' || c == '/'))
        {
            return 0;
        }
    }

    return 1;
}


size_t
ga_upload_content_range(u_char *buf, int64_t start, int64_t end,
    int64_t total)
{
    return (size_t) snprintf((char *) buf, GA_UPLOAD_RANGE_LEN,
                             "bytes %lld-%lld/%lld", (long long) start,
                             (long long) end, (long long) total);
}


#define GA_UPLOAD_ITEM_HEAD                                                  \
    "{\"AttachmentItem\":{\"attachmentType\":\"file\",\"name\":\""
#define GA_UPLOAD_ITEM_SIZE  "\",\"size\":"
#define GA_UPLOAD_ITEM_TYPE  ",\"contentType\":\""
#define GA_UPLOAD_ITEM_INLINE_TRUE   "\",\"isInline\":true"
#define GA_UPLOAD_ITEM_INLINE_FALSE  "\",\"isInline\":false"
#define GA_UPLOAD_ITEM_CID   ",\"contentId\":\""
#define GA_UPLOAD_ITEM_TAIL  "}}"


size_t
ga_upload_item_len(const u_char *name, size_t name_len, const u_char *type,
    size_t type_len, const u_char *cid, size_t cid_len)
{
    size_t  n;

    n = sizeof(GA_UPLOAD_ITEM_HEAD) - 1
        + ga_json_escape_len(name, name_len)
        + sizeof(GA_UPLOAD_ITEM_SIZE) - 1 + 20
        + sizeof(GA_UPLOAD_ITEM_TYPE) - 1
        + ga_json_escape_len(type, type_len)
        + sizeof(GA_UPLOAD_ITEM_INLINE_FALSE) - 1
        + sizeof(GA_UPLOAD_ITEM_TAIL) - 1;

    if (cid) {
        n += sizeof(GA_UPLOAD_ITEM_CID) - 1 + ga_json_escape_len(cid, cid_len)
             + 1;
    }

    return n;
}


u_char *
ga_upload_item(u_char *out, const u_char *name, size_t name_len,
    const u_char *type, size_t type_len, int64_t size, int is_inline,
    const u_char *cid, size_t cid_len)
{
    u_char  *p;

    p = out;

    memcpy(p, GA_UPLOAD_ITEM_HEAD, sizeof(GA_UPLOAD_ITEM_HEAD) - 1);
    p += sizeof(GA_UPLOAD_ITEM_HEAD) - 1;
    p = ga_json_escape(p, name, name_len);

    memcpy(p, GA_UPLOAD_ITEM_SIZE, sizeof(GA_UPLOAD_ITEM_SIZE) - 1);
    p += sizeof(GA_UPLOAD_ITEM_SIZE) - 1;
    p += sprintf((char *) p, "%lld", (long long) size);

    memcpy(p, GA_UPLOAD_ITEM_TYPE, sizeof(GA_UPLOAD_ITEM_TYPE) - 1);
    p += sizeof(GA_UPLOAD_ITEM_TYPE) - 1;
    p = ga_json_escape(p, type, type_len);

    if (is_inline) {
        memcpy(p, GA_UPLOAD_ITEM_INLINE_TRUE,
               sizeof(GA_UPLOAD_ITEM_INLINE_TRUE) - 1);
        p += sizeof(GA_UPLOAD_ITEM_INLINE_TRUE) - 1;

    } else {
        memcpy(p, GA_UPLOAD_ITEM_INLINE_FALSE,
               sizeof(GA_UPLOAD_ITEM_INLINE_FALSE) - 1);
        p += sizeof(GA_UPLOAD_ITEM_INLINE_FALSE) - 1;
    }

    if (cid) {
        memcpy(p, GA_UPLOAD_ITEM_CID, sizeof(GA_UPLOAD_ITEM_CID) - 1);
        p += sizeof(GA_UPLOAD_ITEM_CID) - 1;
        p = ga_json_escape(p, cid, cid_len);
        *p++ = '"';
    }

    memcpy(p, GA_UPLOAD_ITEM_TAIL, sizeof(GA_UPLOAD_ITEM_TAIL) - 1);
    p += sizeof(GA_UPLOAD_ITEM_TAIL) - 1;

    return p;
}
