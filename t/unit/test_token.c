
/*
 * Copyright (C) graph-attach authors
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ga_token.h"
#include "tap.h"


#define NOW  1767225600


/* parses a copy of value[0..len) in an exact-size buffer (len + 1) */

static int
parse(const char *value, size_t len, char *out, size_t out_size,
    time_t *expires_on)
{
    int          rc;
    u_char      *buf;
    ga_token_t   tok;

    buf = malloc(len + 1);
    memcpy(buf, value, len);

    rc = ga_token_parse(buf, len, &tok);

    if (out) {
        out[0] = '\0';

        if (rc == GA_TOKEN_OK && tok.len < out_size) {
            memcpy(out, tok.data, tok.len);
            out[tok.len] = '\0';
        }
    }

    if (expires_on) {
        *expires_on = tok.expires_on;
    }

    if (rc == GA_TOKEN_OK
        && (tok.data < buf || tok.data + tok.len > buf + len
            || tok.data[tok.len] != '\0'))
    {
        rc = 99;
    }

    if (rc != GA_TOKEN_OK && tok.len != 0) {
        rc = 98;
    }

    free(buf);

    return rc;
}


static int
parse_str(const char *value)
{
    return parse(value, strlen(value), NULL, 0, NULL);
}


static void
good(void)
{
    static const struct {
        const char  *in;
        const char  *token;
        time_t       expires_on;
    } cases[] = {
        { "eyJ0eXAi.abc-_~+/=", "eyJ0eXAi.abc-_~+/=", 0 },
        { " \t\r\n eyJ0eXAi.x \r\n", "eyJ0eXAi.x", 0 },
        { "x", "x", 0 },
        { "[\"x\"]", "[\"x\"]", 0 },           /* only "{" starts JSON */
        { "\"x\"", "\"x\"", 0 },
        { "t\xc3\xa9", "t\xc3\xa9", 0 },        /* opaque: not ASCII only */

        { "{\"access_token\":\"tok\"}", "tok", 0 },
        { "{\"access_token\":\"tok\",\"expires_on\":1767229200}",
          "tok", 1767229200 },
        { "  {\"access_token\":\"tok\",\"expires_on\":1767229200}\n",
          "tok", 1767229200 },
        { "{ \"expires_on\" : \"1767229200\" , \"access_token\" : \"tok\" }",
          "tok", 1767229200 },
        { "{\"access_token\":\"tok\",\"expires_on\":\"1767229200.5\"}",
          "tok", 1767229200 },
        { "{\"access_token\":\"tok\",\"expires_on\":\"1767229200.\"}",
          "tok", 1767229200 },
        { "{\"access_token\":\"tok\",\"expires_on\":\"0001767229200\"}",
          "tok", 1767229200 },
        { "{\"access_token\":\"tok\",\"expires_on\":1767229200.9}",
          "tok", 1767229200 },
        { "{\"access_token\":\"tok\",\"expires_on\":1.5e9}",
          "tok", 1500000000 },
        { "{\"access_token\":\"tok\",\"expires_on\":1e11}",
          "tok", 100000000000LL },
        { "{\"access_token\":\"tok\",\"expires_on\":1}", "tok", 1 },
        { "{\"access_token\":\"tok\",\"expires_on\":null}", "tok", 0 },
        { "{\"access_token\":\"tok\",\"token_type\":\"Bearer\","
          "\"expires_in\":3599,\"ext\":{\"a\":[1,{\"b\":null}]}}",
          "tok", 0 },
        { "{\"access_token\":\"a\\/b\\u0041\"}", "a/bA", 0 },
        { "{\"access_token\":\"\\u00e9\"}", "\xc3\xa9", 0 },

        /* an escaped backslash before "u0000" is no NUL */
        { "{\"access_token\":\"a\\\\u0000b\"}", "a\\u0000b", 0 },

        /* a repeated member: the first counts */
        { "{\"access_token\":\"first\",\"access_token\":\"second\"}",
          "first", 0 },
        { "{\"access_token\":\"t\",\"expires_on\":5,\"expires_on\":\"x\"}",
          "t", 5 },

        /* up to time_t as a string; the number form stops at 1e11 */
        { "{\"access_token\":\"t\",\"expires_on\":\"9223372036854775807\"}",
          "t", (time_t) 9223372036854775807LL },
    };

    int     rc;
    char    out[64];
    size_t  i;
    time_t  eo;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rc = parse(cases[i].in, strlen(cases[i].in), out, sizeof(out), &eo);

        is_int(rc, GA_TOKEN_OK, "good %zu: ok", i);
        is_mem(out, strlen(out), cases[i].token, strlen(cases[i].token),
               "good %zu: token", i);
        is_int(eo, cases[i].expires_on, "good %zu: expires_on", i);
    }
}


static void
bad(void)
{
    static const struct {
        const char  *in;
        int          rc;
    } cases[] = {
        { "", GA_TOKEN_ERR_EMPTY },
        { " \t\r\n", GA_TOKEN_ERR_EMPTY },
        { "{\"access_token\":\"\"}", GA_TOKEN_ERR_EMPTY },

        /* not JSON */
        { "{", GA_TOKEN_ERR_JSON },
        { "{\"access_token\":\"tok\"", GA_TOKEN_ERR_JSON },
        { "{\"access_token\":\"tok}", GA_TOKEN_ERR_JSON },
        { "{\"access_token\":tok}", GA_TOKEN_ERR_JSON },
        { "{'access_token':'tok'}", GA_TOKEN_ERR_JSON },
        { "{\"access_token\":\"tok\"}x", GA_TOKEN_ERR_JSON },
        { "{\"access_token\":\"tok\"}{}", GA_TOKEN_ERR_JSON },
        { "{\"access_token\":\"tok\",}", GA_TOKEN_ERR_JSON },
        { "{\"a\":{}", GA_TOKEN_ERR_JSON },
        { "{\"access_token\":\"a\\u0000b\"}", GA_TOKEN_ERR_JSON },
        { "{\"access_token\\u0000x\":\"evil\",\"access_token\":\"t\"}",
          GA_TOKEN_ERR_JSON },
        { "{\"access_token\":\"t\",\"note\":\"\\u0000\"}", GA_TOKEN_ERR_JSON },
        { "{\"access_token\":\"\\ud800\"}", GA_TOKEN_ERR_JSON },

        /* no string access_token */
        { "{}", GA_TOKEN_ERR_ACCESS_TOKEN },
        { "{\"token\":\"x\",\"expires_on\":1767229200}",
          GA_TOKEN_ERR_ACCESS_TOKEN },
        { "{\"Access_Token\":\"x\"}", GA_TOKEN_ERR_ACCESS_TOKEN },
        { "{\"access_token\":1}", GA_TOKEN_ERR_ACCESS_TOKEN },
        { "{\"access_token\":null}", GA_TOKEN_ERR_ACCESS_TOKEN },
        { "{\"access_token\":true}", GA_TOKEN_ERR_ACCESS_TOKEN },
        { "{\"access_token\":[\"x\"]}", GA_TOKEN_ERR_ACCESS_TOKEN },
        { "{\"access_token\":{\"access_token\":\"x\"}}",
          GA_TOKEN_ERR_ACCESS_TOKEN },
        { "{\"x\":{\"access_token\":\"x\"}}", GA_TOKEN_ERR_ACCESS_TOKEN },

        /* expires_on */
        { "{\"access_token\":\"t\",\"expires_on\":0}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":-1767229200}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":0.5}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":100000000001}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":1e400}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":-1e400}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\","
          "\"expires_on\":123456789012345678901234567890}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":true}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":false}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":[1767229200]}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":{}}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":\"\"}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":\"0\"}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":\"-1767229200\"}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":\"+1767229200\"}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":\" 1767229200\"}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":\"1767229200 \"}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":\"1767229200a\"}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":\".5\"}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":\"1.2.3\"}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":\"1.5e3\"}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":\"1e10\"}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":\"0x10\"}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\",\"expires_on\":\"9223372036854775808\"}",
          GA_TOKEN_ERR_EXPIRES_ON },
        { "{\"access_token\":\"t\","
          "\"expires_on\":\"99999999999999999999999999\"}",
          GA_TOKEN_ERR_EXPIRES_ON },

        /* what the token may not hold */
        { "a b", GA_TOKEN_ERR_CHARSET },
        { "a\tb", GA_TOKEN_ERR_CHARSET },
        { "a\r\nb", GA_TOKEN_ERR_CHARSET },
        { "a\x01", GA_TOKEN_ERR_CHARSET },
        { "\x1f" "a", GA_TOKEN_ERR_CHARSET },
        { "a\x7f", GA_TOKEN_ERR_CHARSET },
        { "a\x0b", GA_TOKEN_ERR_CHARSET },
        { "{\"access_token\":\" tok\"}", GA_TOKEN_ERR_CHARSET },
        { "{\"access_token\":\"tok\\n\"}", GA_TOKEN_ERR_CHARSET },
        { "{\"access_token\":\"a b\"}", GA_TOKEN_ERR_CHARSET },
        { "{\"access_token\":\"a\\u0001b\"}", GA_TOKEN_ERR_CHARSET },
        { "{\"access_token\":\"a\\u007f\"}", GA_TOKEN_ERR_CHARSET },
        { "{\"access_token\":\"a\\tb\"}", GA_TOKEN_ERR_CHARSET },
        { "{\"access_token\":\"a\tb\"}", GA_TOKEN_ERR_CHARSET },
    };

    size_t  i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        is_int(parse_str(cases[i].in), cases[i].rc, "bad %zu: %s", i,
               ga_token_strerror(cases[i].rc));
    }
}


/* NUL bytes: never part of a token, never skipped in JSON */

static void
nul(void)
{
    static const char  raw[] = "ab\0cd";
    static const char  json1[] = "{\"access_token\":\"x\"}\0junk";
    static const char  json2[] = "{\"access_token\":\"a\0b\"}";
    static const char  json3[] = "{\"access_token\":\"x\"}\0";

    is_int(parse(raw, sizeof(raw) - 1, NULL, 0, NULL), GA_TOKEN_ERR_CHARSET,
           "raw NUL");
    is_int(parse(json1, sizeof(json1) - 1, NULL, 0, NULL), GA_TOKEN_ERR_JSON,
           "NUL after the JSON");
    is_int(parse(json2, sizeof(json2) - 1, NULL, 0, NULL), GA_TOKEN_ERR_JSON,
           "NUL in the JSON string");
    is_int(parse(json3, sizeof(json3) - 1, NULL, 0, NULL), GA_TOKEN_ERR_JSON,
           "trailing NUL");
}


static void
sizes(void)
{
    char    *v, *out;
    size_t   n;

    v = malloc(GA_TOKEN_MAX_VALUE + 64);
    out = malloc(GA_TOKEN_MAX_LEN + 2);

    memset(v, 'a', GA_TOKEN_MAX_LEN + 1);

    is_int(parse(v, GA_TOKEN_MAX_LEN, out, GA_TOKEN_MAX_LEN + 2, NULL),
           GA_TOKEN_OK, "raw token of the largest size");
    is_int(strlen(out), GA_TOKEN_MAX_LEN, "  whole");
    is_int(parse(v, GA_TOKEN_MAX_LEN + 1, NULL, 0, NULL),
           GA_TOKEN_ERR_TOO_LARGE, "raw token one byte too long");

    n = sprintf(v, "{\"access_token\":\"");
    memset(v + n, 'b', GA_TOKEN_MAX_LEN);
    n += GA_TOKEN_MAX_LEN;
    n += sprintf(v + n, "\"}");

    is_int(parse(v, n, out, GA_TOKEN_MAX_LEN + 2, NULL), GA_TOKEN_OK,
           "JSON token of the largest size");
    is_int(strlen(out), GA_TOKEN_MAX_LEN, "  whole");

    n = sprintf(v, "{\"access_token\":\"");
    memset(v + n, 'b', GA_TOKEN_MAX_LEN + 1);
    n += GA_TOKEN_MAX_LEN + 1;
    n += sprintf(v + n, "\"}");

    is_int(parse(v, n, NULL, 0, NULL), GA_TOKEN_ERR_TOO_LARGE,
           "JSON token one byte too long");

    /* the largest value: a JSON token padded by another member */

    n = sprintf(v, "{\"access_token\":\"tok\",\"pad\":\"");
    memset(v + n, 'p', GA_TOKEN_MAX_VALUE - n - 2);
    memcpy(v + GA_TOKEN_MAX_VALUE - 2, "\"}", 2);

    is_int(parse(v, GA_TOKEN_MAX_VALUE, out, 8, NULL), GA_TOKEN_OK,
           "value of the largest size");
    is_mem(out, strlen(out), "tok", 3, "  its token");

    /* spaces around it count too */

    v[GA_TOKEN_MAX_VALUE] = ' ';

    is_int(parse(v, GA_TOKEN_MAX_VALUE + 1, NULL, 0, NULL),
           GA_TOKEN_ERR_VALUE_TOO_LARGE, "value one byte too long");

    free(out);
    free(v);
}


/* nested junk: cJSON stops at 1000 levels */

static void
nesting(void)
{
    char    *v;
    size_t   n, i, depth;

    v = malloc(16384);

    for (depth = 10; depth <= 2000; depth += 1990) {
        n = sprintf(v, "{\"junk\":");

        for (i = 0; i < depth; i++) {
            v[n++] = (i & 1) ? '{' : '[';

            if (i & 1) {
                n += sprintf(v + n, "\"k\":");
            }
        }

        v[n++] = '0';

        for (i = depth; i-- > 0; ) {
            v[n++] = (i & 1) ? '}' : ']';
        }

        n += sprintf(v + n, ",\"access_token\":\"tok\"}");

        is_int(parse(v, n, NULL, 0, NULL),
               depth < 1000 ? GA_TOKEN_OK : GA_TOKEN_ERR_JSON,
               "nested %zu deep", depth);
    }

    free(v);
}


/* every prefix of a good value, each in an exact-size buffer */

static void
truncated(void)
{
    static const char  json[] =
        "{\"access_token\":\"eyJ0eXAi.tok\",\"expires_on\":\"1767229200\","
        "\"token_type\":\"Bearer\"}";
    static const char  raw[] = "eyJ0eXAi.tok";

    int     rc, fails;
    char    out[64];
    size_t  n;

    fails = 0;

    for (n = 0; n < sizeof(json) - 1; n++) {
        rc = parse(json, n, NULL, 0, NULL);

        if (rc != (n == 0 ? GA_TOKEN_ERR_EMPTY : GA_TOKEN_ERR_JSON)) {
            diag("prefix %zu: %d", n, rc);
            fails++;
        }
    }

    is_int(fails, 0, "every prefix of a JSON value is refused");
    is_int(parse(json, sizeof(json) - 1, out, sizeof(out), NULL),
           GA_TOKEN_OK, "the whole JSON value is not");

    fails = 0;

    for (n = 1; n <= sizeof(raw) - 1; n++) {
        rc = parse(raw, n, out, sizeof(out), NULL);

        if (rc != GA_TOKEN_OK || strlen(out) != n || memcmp(out, raw, n)) {
            fails++;
        }
    }

    is_int(fails, 0, "every prefix of a raw token is that token");
}


static void
expiry(void)
{
    time_t  e;

    /* neither a TTL nor expires_on */
    is_int(ga_token_expires(NOW, -1, 0, 60, &e), GA_TOKEN_OK, "no expiry");
    ok(e == GA_TOKEN_NEVER, "  never");

    /* the key TTL, in ms: whole seconds */
    is_int(ga_token_expires(NOW, 3599999, 0, 60, &e), GA_TOKEN_OK, "TTL");
    is_int(e, NOW + 3599 - 60, "  less the skew");

    /* expires_on */
    is_int(ga_token_expires(NOW, -1, NOW + 3600, 60, &e), GA_TOKEN_OK,
           "expires_on");
    is_int(e, NOW + 3540, "  less the skew");

    /* the earlier of the two */
    is_int(ga_token_expires(NOW, 1000000, NOW + 3600, 0, &e), GA_TOKEN_OK,
           "TTL first");
    is_int(e, NOW + 1000, "  the TTL");
    is_int(ga_token_expires(NOW, 9000000, NOW + 3600, 0, &e), GA_TOKEN_OK,
           "expires_on first");
    is_int(e, NOW + 3600, "  expires_on");

    /* in the past, now, within the skew */
    is_int(ga_token_expires(NOW, -1, NOW - 10, 60, &e), GA_TOKEN_ERR_EXPIRED,
           "expired");
    is_int(ga_token_expires(NOW, -1, NOW - 10, 0, &e), GA_TOKEN_ERR_EXPIRED,
           "expired without a skew");
    is_int(ga_token_expires(NOW, -1, NOW, 0, &e), GA_TOKEN_ERR_EXPIRED,
           "expires now");
    is_int(ga_token_expires(NOW, -1, NOW + 1, 0, &e), GA_TOKEN_OK,
           "expires in a second");
    is_int(ga_token_expires(NOW, -1, NOW + 60, 60, &e), GA_TOKEN_ERR_EXPIRED,
           "expires within the skew");
    is_int(ga_token_expires(NOW, -1, NOW + 61, 60, &e), GA_TOKEN_OK,
           "expires just after the skew");
    is_int(ga_token_expires(NOW, 0, 0, 0, &e), GA_TOKEN_ERR_EXPIRED,
           "TTL 0");
    is_int(ga_token_expires(NOW, 999, 0, 0, &e), GA_TOKEN_ERR_EXPIRED,
           "TTL under a second");
    is_int(ga_token_expires(NOW, 30000, 0, 60, &e), GA_TOKEN_ERR_EXPIRED,
           "TTL within the skew");
    is_int(ga_token_expires(NOW, -1, 1, 0, &e), GA_TOKEN_ERR_EXPIRED,
           "expires_on 1");

    /* a negative skew is none */
    is_int(ga_token_expires(NOW, -1, NOW + 10, -100, &e), GA_TOKEN_OK,
           "negative skew");
    is_int(e, NOW + 10, "  ignored");

    /* huge values */
    is_int(ga_token_expires(NOW, 9223372036854775807LL, 0, 60, &e),
           GA_TOKEN_OK, "largest TTL");
    ok(e > NOW && e < GA_TOKEN_NEVER, "  known, and in the future");
    is_int(ga_token_expires(NOW, -1, GA_TOKEN_NEVER, 60, &e), GA_TOKEN_OK,
           "largest expires_on");
    ok(e == GA_TOKEN_NEVER, "  is no expiry");
    is_int(ga_token_expires(NOW, -1, GA_TOKEN_NEVER - 1, 60, &e),
           GA_TOKEN_OK, "expires_on one below");
    is_int(e, GA_TOKEN_NEVER - 61, "  less the skew");
}


static void
messages(void)
{
    int          rc;
    const char  *m;

    for (rc = GA_TOKEN_ERR_EXPIRED; rc <= GA_TOKEN_OK; rc++) {
        m = ga_token_strerror(rc);
        ok(m && *m && strcmp(m, "unknown error") != 0, "message %d: %s",
           rc, m);
    }

    ok(strcmp(ga_token_strerror(1), "unknown error") == 0, "unknown code");
}


int
main(void)
{
    good();
    bad();
    nul();
    sizes();
    nesting();
    truncated();
    expiry();
    messages();

    return done_testing();
}
