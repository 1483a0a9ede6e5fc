/*
 * Copyright (C) graph-attach authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "ga_token.h"
#include "gab_value.h"


static int gab_value_number(cJSON *json, const char *name, double min,
    double max, double *n);


char *
gab_value_token(const char *token, time_t expires_on, const char **why)
{
    int          rc;
    char        *value;
    cJSON       *json;
    u_char      *copy;
    size_t       len;
    ga_token_t   tok;

    *why = "out of memory";

    json = cJSON_CreateObject();
    if (json == NULL) {
        return NULL;
    }

    if (cJSON_AddStringToObject(json, "access_token", token) == NULL
        || cJSON_AddNumberToObject(json, "expires_on", (double) expires_on)
           == NULL)
    {
        cJSON_Delete(json);
        return NULL;
    }

    value = cJSON_PrintUnformatted(json);

    OPENSSL_cleanse(cJSON_GetObjectItem(json, "access_token")->valuestring,
                    strlen(token));
    cJSON_Delete(json);

    if (value == NULL) {
        return NULL;
    }

    /* as the module will read it: it parses in place */

    len = strlen(value);

    copy = malloc(len + 1);
    if (copy == NULL) {
        gab_value_free(value);
        return NULL;
    }

    memcpy(copy, value, len);

    rc = ga_token_parse(copy, len, &tok);

    if (rc == GA_TOKEN_OK
        && (tok.len != strlen(token) || memcmp(tok.data, token, tok.len) != 0
            || tok.expires_on != expires_on))
    {
        *why = "the module would read another token from it";
        rc = -100;

    } else if (rc != GA_TOKEN_OK) {
        *why = ga_token_strerror(rc);
    }

    OPENSSL_cleanse(copy, len);
    free(copy);

    if (rc != GA_TOKEN_OK) {
        gab_value_free(value);
        return NULL;
    }

    *why = NULL;

    return value;
}


void
gab_value_free(char *value)
{
    if (value) {
        OPENSSL_cleanse(value, strlen(value));
        cJSON_free(value);
    }
}


char *
gab_value_meta(const gab_meta_t *m)
{
    char   *value;
    cJSON  *json;

    json = cJSON_CreateObject();
    if (json == NULL) {
        return NULL;
    }

    if (cJSON_AddNumberToObject(json, "refresh_at", (double) m->refresh_at)
           == NULL
        || cJSON_AddNumberToObject(json, "issued_at", (double) m->issued_at)
           == NULL
        || cJSON_AddNumberToObject(json, "expires_on",
                                   (double) m->expires_on)
           == NULL
        || cJSON_AddNumberToObject(json, "fence", (double) m->fence) == NULL
        || cJSON_AddStringToObject(json, "by", m->by) == NULL)
    {
        cJSON_Delete(json);
        return NULL;
    }

    value = cJSON_PrintUnformatted(json);

    cJSON_Delete(json);

    return value;
}


int
gab_value_meta_parse(const char *s, size_t len, gab_meta_t *m)
{
    int      rc;
    cJSON   *json, *by;
    double   refresh_at, issued_at, expires_on, fence;

    memset(m, 0, sizeof(gab_meta_t));

    if (memchr(s, '\0', len)) {
        return -1;
    }

    json = cJSON_ParseWithLength(s, len);
    if (!cJSON_IsObject(json)) {
        cJSON_Delete(json);
        return -1;
    }

    rc = -1;

    /* integers that a double holds exactly */

    if (gab_value_number(json, "refresh_at", 0, 9007199254740991.0,
                         &refresh_at) != 0
        || gab_value_number(json, "issued_at", 0, 9007199254740991.0,
                            &issued_at) != 0
        || gab_value_number(json, "expires_on", 0, 1e11, &expires_on) != 0
        || gab_value_number(json, "fence", 0, 9007199254740991.0, &fence)
           != 0)
    {
        goto done;
    }

    m->refresh_at = (int64_t) refresh_at;
    m->issued_at = (int64_t) issued_at;
    m->expires_on = (time_t) expires_on;
    m->fence = (long long) fence;

    by = cJSON_GetObjectItemCaseSensitive(json, "by");

    if (cJSON_IsString(by) && by->valuestring) {
        snprintf(m->by, sizeof(m->by), "%s", by->valuestring);
    }

    rc = 0;

done:

    cJSON_Delete(json);

    return rc;
}


static int
gab_value_number(cJSON *json, const char *name, double min, double max,
    double *n)
{
    cJSON  *v;

    v = cJSON_GetObjectItemCaseSensitive(json, name);

    if (!cJSON_IsNumber(v) || !(v->valuedouble >= min)
        || !(v->valuedouble <= max))
    {
        return -1;
    }

    *n = v->valuedouble;

    return 0;
}
