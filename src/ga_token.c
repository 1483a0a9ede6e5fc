
/*
 * Copyright (C) graph-attach authors
 */


#include <string.h>

#include <cjson/cJSON.h>

#include "ga_token.h"


static int ga_token_parse_json(u_char *p, size_t len, ga_token_t *tok);
static int ga_token_expires_on(const cJSON *eo, time_t *expires_on);
static int ga_token_has_nul(const u_char *p, size_t len);
static time_t ga_token_atotm(const u_char *p, size_t len);


#define ga_token_space(c)                                                    \
    ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')


int
ga_token_parse(u_char *value, size_t len, ga_token_t *tok)
{
    int      rc;
    u_char  *p, *last;

    tok->data = value;
    tok->len = 0;
    tok->expires_on = 0;

    if (len > GA_TOKEN_MAX_VALUE) {
        return GA_TOKEN_ERR_VALUE_TOO_LARGE;
    }

    p = value;
    last = value + len;

    while (p < last && ga_token_space(*p)) {
        p++;
    }

    while (last > p && ga_token_space(last[-1])) {
        last--;
    }

    *last = '\0';

    tok->data = p;
    tok->len = last - p;

    if (tok->len && *p == '{') {
        rc = ga_token_parse_json(p, tok->len, tok);
        if (rc != GA_TOKEN_OK) {
            tok->len = 0;
            return rc;
        }
    }

    if (tok->len == 0) {
        return GA_TOKEN_ERR_EMPTY;
    }

    if (tok->len > GA_TOKEN_MAX_LEN) {
        tok->len = 0;
        return GA_TOKEN_ERR_TOO_LARGE;
    }

    /*
     * the token goes into an Authorization header: control characters
     * and spaces would split or corrupt it
     */

    for (p = tok->data, last = p + tok->len; p < last; p++) {
        if (*p <= ' ' || *p == 0x7f) {
            tok->len = 0;
            return GA_TOKEN_ERR_CHARSET;
        }
    }

    return GA_TOKEN_OK;
}


/* p[len] is '\0'; the token replaces the JSON text it came from */

static int
ga_token_parse_json(u_char *p, size_t len, ga_token_t *tok)
{
    int      rc;
    cJSON   *json, *at;
    size_t   n;
    time_t   expires_on;

    if (ga_token_has_nul(p, len)) {
        return GA_TOKEN_ERR_JSON;
    }

    json = cJSON_ParseWithOpts((const char *) p, NULL, 1);
    if (json == NULL) {
        return GA_TOKEN_ERR_JSON;
    }

    at = cJSON_GetObjectItemCaseSensitive(json, "access_token");

    if (!cJSON_IsString(at) || at->valuestring == NULL) {
        rc = GA_TOKEN_ERR_ACCESS_TOKEN;
        goto done;
    }

    rc = ga_token_expires_on(cJSON_GetObjectItemCaseSensitive(json,
                                                              "expires_on"),
                             &expires_on);
    if (rc != GA_TOKEN_OK) {
        goto done;
    }

    /* unescaping never makes a string longer than its JSON text */

    n = strlen(at->valuestring);

    memmove(p, at->valuestring, n);
    p[n] = '\0';

    tok->data = p;
    tok->len = n;
    tok->expires_on = expires_on;

done:

    cJSON_Delete(json);

    return rc;
}


/* absent or null; a number; a string of digits, a fraction ignored */

static int
ga_token_expires_on(const cJSON *eo, time_t *expires_on)
{
    const u_char  *p, *q, *last, *dot;

    *expires_on = 0;

    if (eo == NULL || cJSON_IsNull(eo)) {
        return GA_TOKEN_OK;
    }

    if (cJSON_IsNumber(eo)) {

        if (!(eo->valuedouble >= 1
              && eo->valuedouble <= GA_TOKEN_MAX_EXPIRES_ON))
        {
            return GA_TOKEN_ERR_EXPIRES_ON;
        }

        *expires_on = (time_t) eo->valuedouble;

        return GA_TOKEN_OK;
    }

    if (!cJSON_IsString(eo) || eo->valuestring == NULL) {
        return GA_TOKEN_ERR_EXPIRES_ON;
    }

    /* "1700000000" or "1700000000.5" */

    p = (const u_char *) eo->valuestring;
    last = p + strlen(eo->valuestring);

    dot = memchr(p, '.', last - p);

    if (dot) {
        for (q = dot + 1; q < last; q++) {
            if (*q < '0' || *q > '9') {
                return GA_TOKEN_ERR_EXPIRES_ON;
            }
        }

        last = dot;
    }

    *expires_on = ga_token_atotm(p, last - p);

    if (*expires_on == -1 || *expires_on == 0) {
        *expires_on = 0;
        return GA_TOKEN_ERR_EXPIRES_ON;
    }

    return GA_TOKEN_OK;
}


/* a raw NUL, or a \u0000 escape inside a string */

static int
ga_token_has_nul(const u_char *p, size_t len)
{
    int            in_string;
    const u_char  *last;

    if (memchr(p, '\0', len)) {
        return 1;
    }

    in_string = 0;

    for (last = p + len; p < last; p++) {

        if (*p == '"') {
            in_string = !in_string;
            continue;
        }

        if (!in_string || *p != '\\') {
            continue;
        }

        if (last - p >= 6 && memcmp(p + 1, "u0000", 5) == 0) {
            return 1;
        }

        /* an escaped character is not a quote */

        if (p + 1 < last) {
            p++;
        }
    }

    return 0;
}


/* decimal digits into a time_t, -1 if there are none or it overflows */

static time_t
ga_token_atotm(const u_char *p, size_t len)
{
    time_t  value, cutoff, cutlim;

    if (len == 0) {
        return -1;
    }

    cutoff = GA_TOKEN_NEVER / 10;
    cutlim = GA_TOKEN_NEVER % 10;

    for (value = 0; len--; p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }

        if (value >= cutoff && (value > cutoff || *p - '0' > cutlim)) {
            return -1;
        }

        value = value * 10 + (*p - '0');
    }

    return value;
}


int
ga_token_expires(time_t now, long long ttl_ms, time_t expires_on,
    time_t skew, time_t *expires)
{
    long long  ttl;

    *expires = GA_TOKEN_NEVER;

    if (ttl_ms >= 0) {
        ttl = ttl_ms / 1000;

        /* a TTL beyond time_t is no TTL in practice, but still a TTL */

        *expires = (ttl < GA_TOKEN_NEVER - now) ? now + (time_t) ttl
                                                : GA_TOKEN_NEVER - 1;
    }

    if (expires_on > 0 && expires_on < *expires) {
        *expires = expires_on;
    }

    if (*expires == GA_TOKEN_NEVER) {
        return GA_TOKEN_OK;
    }

    if (skew > 0) {
        *expires -= skew;
    }

    return (*expires <= now) ? GA_TOKEN_ERR_EXPIRED : GA_TOKEN_OK;
}


const char *
ga_token_strerror(int rc)
{
    switch (rc) {
    case GA_TOKEN_OK:
        return "holds a usable token";
    case GA_TOKEN_ERR_VALUE_TOO_LARGE:
        return "holds more than 65536 bytes, too many for a token";
    case GA_TOKEN_ERR_JSON:
        return "holds invalid JSON";
    case GA_TOKEN_ERR_ACCESS_TOKEN:
        return "holds JSON without a string \"access_token\"";
    case GA_TOKEN_ERR_EXPIRES_ON:
        return "holds an invalid \"expires_on\"";
    case GA_TOKEN_ERR_EMPTY:
        return "is empty";
    case GA_TOKEN_ERR_TOO_LARGE:
        return "holds a token of more than 16384 bytes";
    case GA_TOKEN_ERR_CHARSET:
        return "holds a token with spaces or control characters";
    case GA_TOKEN_ERR_EXPIRED:
        return "holds a token that is expired or expires within the skew";
    default:
        return "unknown error";
    }
}
