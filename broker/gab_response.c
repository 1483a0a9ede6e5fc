/*
 * Copyright (C) graph-attach authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "gab_response.h"


static int gab_response_token(cJSON *json, gab_response_t *r);
static void gab_response_error(cJSON *json, gab_response_t *r);
static int gab_response_expires_in(const cJSON *v, long long *expires_in);
static void gab_response_copy(char *dst, size_t size, const cJSON *v,
    int first_line);
static long long gab_response_aadsts(const char *s, const char **end);
static int gab_response_window(const char *s, size_t len, const char *secret,
    size_t slen);
static int gab_response_hex(int c);
static int gab_response_escaped_nul(const char *p, size_t len);


int
gab_response_parse(const char *body, size_t len, long status,
    gab_response_t *r)
{
    int     rc;
    cJSON  *json;

    memset(r, 0, sizeof(gab_response_t));

    r->status = status;

    json = NULL;

    if (len && memchr(body, '\0', len) == NULL) {
        json = cJSON_ParseWithLengthOpts(body, len, NULL, 0);
    }

    if (status != 200) {
        r->kind = GAB_RESPONSE_ERROR;

        if (cJSON_IsObject(json)) {
            gab_response_error(json, r);
        }

        cJSON_Delete(json);

        return 0;
    }

    if (!cJSON_IsObject(json)) {
        r->kind = GAB_RESPONSE_INVALID;
        r->invalid = "the body is not a JSON object";
        cJSON_Delete(json);
        return 0;
    }

    /*
     * cJSON ends a string at a \u0000: the token would be cut there, and
     * written so, where the module refuses the value it came from
     */

    if (gab_response_escaped_nul(body, len)) {
        r->kind = GAB_RESPONSE_INVALID;
        r->invalid = "the body holds a \\u0000";
        cJSON_Delete(json);
        return 0;
    }

    rc = gab_response_token(json, r);

    /* cJSON's copy of the token is wiped with the tree */

    cJSON_Delete(json);

    return rc;
}


static int
gab_response_token(cJSON *json, gab_response_t *r)
{
    size_t      n;
    cJSON      *at, *tt;
    long long   expires_in;

    r->kind = GAB_RESPONSE_INVALID;

    if (cJSON_GetObjectItemCaseSensitive(json, "error")) {
        gab_response_error(json, r);
        r->invalid = "a 200 answer with an \"error\"";
        goto wipe;
    }

    at = cJSON_GetObjectItemCaseSensitive(json, "access_token");

    if (!cJSON_IsString(at) || at->valuestring == NULL
        || at->valuestring[0] == '\0')
    {
        r->invalid = "no \"access_token\" string";
        goto wipe;
    }

    tt = cJSON_GetObjectItemCaseSensitive(json, "token_type");

    if (tt && !(cJSON_IsString(tt) && tt->valuestring
                && strcasecmp(tt->valuestring, "Bearer") == 0))
    {
        /* the module sends "Authorization: Bearer" */
        r->invalid = "\"token_type\" is not \"Bearer\"";
        goto wipe;
    }

    if (gab_response_expires_in(cJSON_GetObjectItemCaseSensitive(json,
                                                                 "expires_in"),
                                &expires_in)
        != 0)
    {
        r->invalid = "no \"expires_in\" of 1 s to 366 days";
        goto wipe;
    }

    r->access_token = strdup(at->valuestring);
    if (r->access_token == NULL) {
        goto wipe;
    }

    r->expires_in = expires_in;
    r->kind = GAB_RESPONSE_TOKEN;

wipe:

    at = cJSON_GetObjectItemCaseSensitive(json, "access_token");

    if (cJSON_IsString(at) && at->valuestring) {
        n = strlen(at->valuestring);
        OPENSSL_cleanse(at->valuestring, n);
    }

    return (r->kind == GAB_RESPONSE_INVALID && r->invalid == NULL) ? -1 : 0;
}


/* a number or a string of digits, a whole number of seconds */

static int
gab_response_expires_in(const cJSON *v, long long *expires_in)
{
    long long    n;
    const char  *p;

    if (cJSON_IsNumber(v)) {

        if (!(v->valuedouble >= 1
              && v->valuedouble <= GAB_RESPONSE_MAX_EXPIRES_IN))
        {
            return -1;
        }

        *expires_in = (long long) v->valuedouble;

        return 0;
    }

    if (!cJSON_IsString(v) || v->valuestring == NULL) {
        return -1;
    }

    n = 0;

    for (p = v->valuestring; *p >= '0' && *p <= '9'; p++) {
        n = n * 10 + (*p - '0');

        if (n > GAB_RESPONSE_MAX_EXPIRES_IN) {
            return -1;
        }
    }

    if (p == v->valuestring || *p != '\0' || n < 1) {
        return -1;
    }

    *expires_in = n;

    return 0;
}


/* a backslash is an escape wherever it is in valid JSON: in a string */

static int
gab_response_escaped_nul(const char *p, size_t len)
{
    size_t  i;

    for (i = 0; i + 1 < len; i++) {

        if (p[i] != '\\') {
            continue;
        }

        if (p[i + 1] == 'u' && len - i >= 6
            && memcmp(p + i + 2, "0000", 4) == 0)
        {
            return 1;
        }

        i++;
    }

    return 0;
}


static void
gab_response_error(cJSON *json, gab_response_t *r)
{
    char         desc[sizeof(r->description)];
    cJSON       *codes, *c, *d;
    long long    code;
    const char  *p, *end;

    gab_response_copy(r->error, sizeof(r->error),
                      cJSON_GetObjectItemCaseSensitive(json, "error"), 0);
    gab_response_copy(r->trace_id, sizeof(r->trace_id),
                      cJSON_GetObjectItemCaseSensitive(json, "trace_id"), 0);
    gab_response_copy(r->correlation_id, sizeof(r->correlation_id),
                      cJSON_GetObjectItemCaseSensitive(json,
                                                       "correlation_id"),
                      0);
    gab_response_copy(r->timestamp, sizeof(r->timestamp),
                      cJSON_GetObjectItemCaseSensitive(json, "timestamp"), 0);

    codes = cJSON_GetObjectItemCaseSensitive(json, "error_codes");

    if (!cJSON_IsArray(codes)) {
        codes = NULL;
    }

    cJSON_ArrayForEach(c, codes) {

        if (r->ncodes == GAB_RESPONSE_MAX_CODES) {
            break;
        }

        if (cJSON_IsNumber(c) && c->valuedouble >= 0
            && c->valuedouble < 1e12)
        {
            r->codes[r->ncodes++] = (long long) c->valuedouble;
        }
    }

    d = cJSON_GetObjectItemCaseSensitive(json, "error_description");

    gab_response_copy(desc, sizeof(desc), d, 1);

    /* "AADSTS7000215: Invalid client secret provided. ..." */

    p = desc;
    code = gab_response_aadsts(p, &end);

    if (code >= 0 && end[0] == ':') {

        if (r->ncodes == 0) {
            r->codes[r->ncodes++] = code;
        }

        for (p = end + 1; *p == ' '; p++) { /* void */ }
    }

    snprintf(r->description, sizeof(r->description), "%s", p);
}


/* "AADSTS" and digits at s: the number, and end after it; else -1 */

static long long
gab_response_aadsts(const char *s, const char **end)
{
    long long  n;

    if (strncmp(s, "AADSTS", 6) != 0 || s[6] < '0' || s[6] > '9') {
        return -1;
    }

    n = 0;

    for (s += 6; *s >= '0' && *s <= '9'; s++) {
        if (n >= 1000000000000LL) {
            return -1;
        }

        n = n * 10 + (*s - '0');
    }

    *end = s;

    return n;
}


static void
gab_response_copy(char *dst, size_t size, const cJSON *v, int first_line)
{
    size_t        i;
    const char   *s;

    dst[0] = '\0';

    if (!cJSON_IsString(v) || v->valuestring == NULL) {
        return;
    }

    s = v->valuestring;

    for (i = 0; s[i] && i < size - 1; i++) {

        if (first_line && (s[i] == '\r' || s[i] == '\n')) {
            break;
        }

        dst[i] = ((unsigned char) s[i] >= 0x20 && (unsigned char) s[i] < 0x7f)
                 ? s[i] : '?';
    }

    dst[i] = '\0';
}


void
gab_response_free(gab_response_t *r)
{
    if (r->access_token) {
        OPENSSL_cleanse(r->access_token, strlen(r->access_token));
        free(r->access_token);
        r->access_token = NULL;
    }
}


void
gab_response_codes(const gab_response_t *r, char *buf, size_t size)
{
    int       n;
    size_t    len;
    unsigned  i;

    buf[0] = '\0';
    len = 0;

    for (i = 0; i < r->ncodes && len < size; i++) {
        n = snprintf(buf + len, size - len, "%sAADSTS%lld",
                     i ? " " : "", r->codes[i]);
        if (n < 0) {
            return;
        }

        len += n;
    }
}


/*
 * An endpoint (or a proxy before it) may quote what it was sent: the
 * secret at the end of a field cut to its size, or the form, %-encoded.
 * Whether s holds GAB_RESPONSE_QUOTE_MIN bytes in a row of the secret
 * (all of it, if shorter), as they are or %-encoded; bytes outside
 * printable ASCII compare as the "?" they became in s.
 */

int
gab_response_quotes(const char *s, const char *secret)
{
    int      hi, lo, rc;
    char    *plain;
    size_t   len, slen, i, n;

    len = strlen(s);
    slen = strlen(secret);

    if (slen == 0) {
        return 0;
    }

    if (gab_response_window(s, len, secret, slen)) {
        return 1;
    }

    if (memchr(s, '%', len) == NULL) {
        return 0;
    }

    plain = malloc(len + 1);
    if (plain == NULL) {
        /* no memory to look: withheld */
        return 1;
    }

    for (i = 0, n = 0; i < len; i++) {

        if (s[i] == '%' && i + 2 < len
            && (hi = gab_response_hex(s[i + 1])) >= 0
            && (lo = gab_response_hex(s[i + 2])) >= 0)
        {
            plain[n++] = (char) (hi << 4 | lo);
            i += 2;
            continue;
        }

        plain[n++] = s[i];
    }

    rc = gab_response_window(plain, n, secret, slen);

    OPENSSL_cleanse(plain, len + 1);
    free(plain);

    return rc;
}


static int
gab_response_window(const char *s, size_t len, const char *secret,
    size_t slen)
{
    size_t         w, i, k, j;
    unsigned char  c, p;

    w = (slen < GAB_RESPONSE_QUOTE_MIN) ? slen : GAB_RESPONSE_QUOTE_MIN;

    if (len < w) {
        return 0;
    }

    for (i = 0; i + w <= slen; i++) {
        for (k = 0; k + w <= len; k++) {
            for (j = 0; j < w; j++) {
                c = secret[i + j];
                p = s[k + j];

                if (c < 0x20 || c >= 0x7f) {
                    c = '?';
                }

                if (p < 0x20 || p >= 0x7f) {
                    p = '?';
                }

                if (c != p) {
                    break;
                }
            }

            if (j == w) {
                return 1;
            }
        }
    }

    return 0;
}


static int
gab_response_hex(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}
