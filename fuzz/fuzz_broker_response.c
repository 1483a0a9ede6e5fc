/*
 * Copyright (C) graph-attach authors
 */


/*
 * libFuzzer target for the token broker's reading of a token endpoint's
 * answer, gab_response_parse(), and of what it then writes,
 * gab_value_token():
 *
 *     make -C fuzz ../build/fuzz/fuzz_broker_response
 *
 * The first byte picks the status (200 half of the time), the rest is
 * the body, in a buffer of its exact size.  Whatever the body, every
 * string kept for a log line is printable ASCII and NUL-terminated within
 * its field; a token is a non-empty string with 1 s to 366 days of
 * expires_in; and a value the broker would write reads back, with the
 * module's parser, as that token.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ga_token.h"
#include "gab_response.h"
#include "gab_value.h"


static void
check_field(const char *s, size_t size)
{
    size_t  i;

    for (i = 0; i < size && s[i]; i++) {
        if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] >= 0x7f) {
            abort();
        }
    }

    if (i == size) {
        abort();
    }
}


static void
check_value(const gab_response_t *r)
{
    char         *v;
    u_char       *buf;
    size_t        len;
    ga_token_t    tok;
    const char   *why;

    v = gab_value_token(r->access_token, 1767225600, &why);

    if (v == NULL) {
        if (why == NULL) {
            abort();
        }

        return;
    }

    len = strlen(v);
    buf = malloc(len + 1);
    memcpy(buf, v, len);

    if (ga_token_parse(buf, len, &tok) != GA_TOKEN_OK
        || tok.len != strlen(r->access_token)
        || memcmp(tok.data, r->access_token, tok.len) != 0
        || tok.expires_on != 1767225600)
    {
        abort();
    }

    free(buf);
    gab_value_free(v);
}


int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    char            *body;
    long             status;
    unsigned         i;
    gab_response_t   r;

    static const long  statuses[] = { 400, 401, 429, 500, 503, 302, 0 };

    if (n == 0) {
        return 0;
    }

    status = (d[0] & 0x80) ? 200 : statuses[d[0] % 7];

    body = malloc(n - 1 ? n - 1 : 1);
    memcpy(body, d + 1, n - 1);

    if (gab_response_parse(body, n - 1, status, &r) != 0) {
        free(body);
        return 0;
    }

    if (r.status != status || r.ncodes > GAB_RESPONSE_MAX_CODES) {
        abort();
    }

    check_field(r.error, sizeof(r.error));
    check_field(r.trace_id, sizeof(r.trace_id));
    check_field(r.correlation_id, sizeof(r.correlation_id));
    check_field(r.timestamp, sizeof(r.timestamp));
    check_field(r.description, sizeof(r.description));

    for (i = 0; i < r.ncodes; i++) {
        if (r.codes[i] < 0) {
            abort();
        }
    }

    switch (r.kind) {

    case GAB_RESPONSE_TOKEN:
        if (status != 200 || r.access_token == NULL
            || r.access_token[0] == '\0' || r.expires_in < 1
            || r.expires_in > GAB_RESPONSE_MAX_EXPIRES_IN)
        {
            abort();
        }

        check_value(&r);
        break;

    case GAB_RESPONSE_INVALID:
        if (status != 200 || r.invalid == NULL || r.access_token) {
            abort();
        }
        break;

    case GAB_RESPONSE_ERROR:
        if (status == 200 || r.access_token) {
            abort();
        }
        break;

    default:
        abort();
    }

    gab_response_free(&r);
    free(body);

    return 0;
}
