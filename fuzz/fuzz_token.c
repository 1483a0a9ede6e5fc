
/*
 * Copyright (C) graph-attach authors
 */


/*
 * libFuzzer target for ga_token_parse() and ga_token_expires():
 *
 *     clang -fsanitize=fuzzer,address,undefined -Isrc \
 *         fuzz/fuzz_token.c src/ga_token.c -lcjson
 *
 * The input is the Redis value, parsed in a buffer of the documented
 * size exactly (len + 1), so ASan sees any access past it.  An accepted
 * token must keep every promise of ga_token.h, and give itself back when
 * written again as a raw value and as JSON.  The first and last bytes
 * also pick a key TTL and a skew for ga_token_expires().
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ga_token.h"


#define NOW  1767225600


static void
check_token(const u_char *buf, size_t n, const ga_token_t *tok)
{
    size_t  i;

    if (tok->len == 0 || tok->len > GA_TOKEN_MAX_LEN || n > GA_TOKEN_MAX_VALUE
        || tok->data < buf || tok->data + tok->len > buf + n
        || tok->data[tok->len] != '\0' || tok->expires_on < 0)
    {
        abort();
    }

    for (i = 0; i < tok->len; i++) {
        if (tok->data[i] <= ' ' || tok->data[i] == 0x7f) {
            abort();
        }
    }
}


/* value (len bytes) must parse to exactly token, with expires_on */

static void
reparse(const u_char *value, size_t len, const ga_token_t *token,
    time_t expires_on)
{
    u_char      *buf;
    ga_token_t   tok;

    buf = malloc(len + 1);
    memcpy(buf, value, len);

    if (ga_token_parse(buf, len, &tok) != GA_TOKEN_OK
        || tok.len != token->len
        || memcmp(tok.data, token->data, tok.len) != 0
        || tok.expires_on != expires_on)
    {
        abort();
    }

    free(buf);
}


/* the token as {"access_token":"...","expires_on":N}, escaped */

static void
rewrap(const ga_token_t *tok)
{
    size_t   i, n;
    u_char  *json;

    json = malloc(2 * tok->len + 64);

    n = sprintf((char *) json, "{\"access_token\":\"");

    for (i = 0; i < tok->len; i++) {
        if (tok->data[i] == '"' || tok->data[i] == '\\') {
            json[n++] = '\\';
        }

        json[n++] = tok->data[i];
    }

    n += sprintf((char *) json + n, "\",\"expires_on\":%d}", NOW);

    reparse(json, n, tok, NOW);

    free(json);
}


static void
check_expires(const uint8_t *d, size_t n, time_t expires_on)
{
    int        rc;
    time_t     e, skew;
    long long  ttl;

    /* -12.8 .. 12.7 million ms; negative: the key has no TTL */
    ttl = ((long long) d[0] - 128) * 100000;
    skew = d[n - 1] % 128;

    rc = ga_token_expires(NOW, ttl, expires_on, skew, &e);

    if (rc != GA_TOKEN_OK && rc != GA_TOKEN_ERR_EXPIRED) {
        abort();
    }

    if (e == GA_TOKEN_NEVER) {
        if (rc != GA_TOKEN_OK
            || ttl >= 0
            || (expires_on != 0 && expires_on != GA_TOKEN_NEVER))
        {
            abort();
        }

        return;
    }

    if ((rc == GA_TOKEN_OK) != (e > NOW)) {
        abort();
    }

    if (ttl >= 0 && e > NOW + ttl / 1000) {
        abort();
    }

    if (expires_on > 0 && e > expires_on) {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    int          rc;
    u_char      *buf;
    const char  *msg;
    ga_token_t   tok;

    buf = malloc(n + 1);
    memcpy(buf, d, n);

    rc = ga_token_parse(buf, n, &tok);

    msg = ga_token_strerror(rc);

    if (msg == NULL || strcmp(msg, "unknown error") == 0) {
        abort();
    }

    if (rc != GA_TOKEN_OK) {
        if (tok.len != 0) {
            abort();
        }

        free(buf);
        return 0;
    }

    check_token(buf, n, &tok);

    /* a token that does not read as JSON is its own raw value */

    if (tok.data[0] != '{') {
        reparse(tok.data, tok.len, &tok, 0);
    }

    rewrap(&tok);

    check_expires(d, n, tok.expires_on);

    free(buf);

    return 0;
}
