/*
 * Copyright (C) graph-attach authors
 */


#include <string.h>

#include "gab_response.h"
#include "tap.h"


static int
parse(const char *body, long status, gab_response_t *r)
{
    return gab_response_parse(body, strlen(body), status, r);
}


static void
test_token(void)
{
    gab_response_t  r;

    parse("{\"token_type\":\"Bearer\",\"expires_in\":3599,"
          "\"ext_expires_in\":3599,\"access_token\":\"eyJ0.eyJ1.sig\"}",
          200, &r);
    is_int(r.kind, GAB_RESPONSE_TOKEN, "success");
    ok(r.access_token && strcmp(r.access_token, "eyJ0.eyJ1.sig") == 0,
       "access_token");
    is_int(r.expires_in, 3599, "expires_in a number");
    gab_response_free(&r);
    ok(r.access_token == NULL, "freed");

    parse("{\"token_type\":\"bearer\",\"expires_in\":\"3600\","
          "\"access_token\":\"t\"}", 200, &r);
    is_int(r.kind, GAB_RESPONSE_TOKEN, "expires_in a string, bearer");
    is_int(r.expires_in, 3600, "expires_in \"3600\"");
    gab_response_free(&r);

    parse("{\"expires_in\":5,\"access_token\":\"t\"}", 200, &r);
    is_int(r.kind, GAB_RESPONSE_TOKEN, "no token_type, short life");
    is_int(r.expires_in, 5, "expires_in 5");
    gab_response_free(&r);

    parse("{\"expires_in\":86400,\"access_token\":\"t\"}", 200, &r);
    is_int(r.expires_in, 86400, "a day");
    gab_response_free(&r);

    parse("{\"expires_in\":3599.9,\"access_token\":\"t\"}", 200, &r);
    is_int(r.expires_in, 3599, "a fraction is cut");
    gab_response_free(&r);
}


static void
invalid(const char *body, const char *want, const char *name)
{
    gab_response_t  r;

    parse(body, 200, &r);

    if (!ok(r.kind == GAB_RESPONSE_INVALID && r.invalid
            && strstr(r.invalid, want) && r.access_token == NULL,
            "invalid: %s", name))
    {
        diag("kind %d, invalid \"%s\"", r.kind, r.invalid ? r.invalid : "");
    }

    gab_response_free(&r);
}


static void
test_invalid(void)
{
    gab_response_t  r;

    invalid("", "not a JSON object", "empty body");
    invalid("<html>", "not a JSON object", "HTML");
    invalid("[1]", "not a JSON object", "an array");
    invalid("{\"expires_in\":3599}", "access_token", "no token");
    invalid("{\"expires_in\":3599,\"access_token\":\"\"}", "access_token",
            "an empty token");
    invalid("{\"expires_in\":3599,\"access_token\":7}", "access_token",
            "a number token");
    invalid("{\"access_token\":\"t\"}", "expires_in", "no expires_in");
    invalid("{\"access_token\":\"t\",\"expires_in\":0}", "expires_in",
            "expires_in 0");
    invalid("{\"access_token\":\"t\",\"expires_in\":-5}", "expires_in",
            "negative");
    invalid("{\"access_token\":\"t\",\"expires_in\":\"\"}", "expires_in",
            "empty string");
    invalid("{\"access_token\":\"t\",\"expires_in\":\"36x\"}", "expires_in",
            "36x");
    invalid("{\"access_token\":\"t\",\"expires_in\":\"0\"}", "expires_in",
            "\"0\"");
    invalid("{\"access_token\":\"t\",\"expires_in\":1e300}", "expires_in",
            "1e300");
    invalid("{\"access_token\":\"t\",\"expires_in\":\"99999999999999999999\"}",
            "expires_in", "a huge string");
    invalid("{\"access_token\":\"t\",\"expires_in\":true}", "expires_in",
            "a boolean");
    invalid("{\"access_token\":\"t\",\"expires_in\":60,\"token_type\":\"pop\"}",
            "token_type", "token_type pop");
    invalid("{\"access_token\":\"t\",\"expires_in\":60,\"token_type\":1}",
            "token_type", "token_type a number");
    invalid("{\"access_token\":\"t\",\"expires_in\":60,"
            "\"error\":\"invalid_client\"}", "error", "a 200 with error");

    /* cJSON would cut the token there: the module refuses the value */
    invalid("{\"access_token\":\"eyJabc\\u0000def\",\"expires_in\":60}",
            "\\u0000", "a \\u0000 in the token");
    parse("{\"access_token\":\"eyJa\\\\u0000\",\"expires_in\":60}", 200, &r);
    is_int(r.kind, GAB_RESPONSE_TOKEN, "an escaped backslash before u0000");
    gab_response_free(&r);

    {
        gab_response_t  r;
        char            body[] = "{\"access_token\":\"t\0x\",\"expires_in\":1}";

        gab_response_parse(body, sizeof(body) - 1, 200, &r);
        ok(r.kind == GAB_RESPONSE_INVALID, "a NUL in the body: invalid");
        gab_response_free(&r);
    }
}


static void
test_error(void)
{
    char            codes[128];
    gab_response_t  r;

    parse("{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215"
          ": Invalid client secret provided. Ensure the secret being sent in"
          " the request is the client secret value.\\r\\nTrace ID: 6f6c4645"
          "-0202-4486-b625-fa957dfc4700\\r\\nCorrelation ID: 5fc87507-4086-"
          "4e77-b415-cee677eb232e\\r\\nTimestamp: 2023-05-06 06:03:00Z\","
          "\"error_codes\":[7000215],\"timestamp\":\"2023-05-06 06:03:00Z\","
          "\"trace_id\":\"6f6c4645-0202-4486-b625-fa957dfc4700\","
          "\"correlation_id\":\"5fc87507-4086-4e77-b415-cee677eb232e\","
          "\"error_uri\":\"https://login.microsoftonline.com/error?code="
          "7000215\"}", 401, &r);

    is_int(r.kind, GAB_RESPONSE_ERROR, "401: an error");
    is_int(r.status, 401, "status");
    ok(strcmp(r.error, "invalid_client") == 0, "error");
    is_int(r.ncodes, 1, "one code");
    is_int(r.codes[0], 7000215, "AADSTS7000215");
    ok(strcmp(r.trace_id, "6f6c4645-0202-4486-b625-fa957dfc4700") == 0,
       "trace_id");
    ok(strcmp(r.correlation_id, "5fc87507-4086-4e77-b415-cee677eb232e") == 0,
       "correlation_id");
    ok(strcmp(r.timestamp, "2023-05-06 06:03:00Z") == 0, "timestamp");

    if (!ok(strncmp(r.description, "Invalid client secret provided.", 31)
            == 0 && strstr(r.description, "Trace") == NULL,
            "description: its first line, without the code"))
    {
        diag("\"%s\"", r.description);
    }

    ok(r.access_token == NULL, "no token");

    gab_response_codes(&r, codes, sizeof(codes));
    ok(strcmp(codes, "AADSTS7000215") == 0, "codes: AADSTS7000215");

    parse("{\"error\":\"invalid_request\",\"error_description\":\"AADSTS90002:"
          " Tenant 'x' not found.\"}", 400, &r);
    is_int(r.ncodes, 1, "a code from the description alone");
    is_int(r.codes[0], 90002, "AADSTS90002");
    ok(strcmp(r.description, "Tenant 'x' not found.") == 0, "description");

    parse("{\"error\":\"temporarily_unavailable\",\"error_codes\":"
          "[1,2,3,4,5,6],\"error_description\":\"AADSTS9: x\"}", 503, &r);
    is_int(r.ncodes, GAB_RESPONSE_MAX_CODES, "at most 4 codes");
    is_int(r.codes[3], 4, "in order");
    gab_response_codes(&r, codes, sizeof(codes));
    ok(strcmp(codes, "AADSTS1 AADSTS2 AADSTS3 AADSTS4") == 0,
       "codes listed");

    parse("{\"error_codes\":[\"x\",-1,5]}", 400, &r);
    is_int(r.ncodes, 1, "strings and negatives in error_codes skipped");
    is_int(r.codes[0], 5, "the number kept");
    ok(r.error[0] == '\0', "no error");

    parse("Service Unavailable", 503, &r);
    ok(r.kind == GAB_RESPONSE_ERROR && r.error[0] == '\0' && r.ncodes == 0,
       "503 without JSON: an error, no fields");

    parse("", 429, &r);
    ok(r.kind == GAB_RESPONSE_ERROR, "429 without body");

    parse("{\"error\":\"a\\u0001b\\u00e9c\\nd\"}", 400, &r);
    if (!ok(strcmp(r.error, "a?b??c?d") == 0,
            "control and non-ASCII bytes become ?"))
    {
        diag("\"%s\"", r.error);
    }

    parse("{\"error\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
          "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}", 400, &r);
    is_int(strlen(r.error), sizeof(r.error) - 1, "a long error is cut");

    parse("{\"error\":{\"code\":\"nested\"}}", 400, &r);
    ok(r.error[0] == '\0', "a non-string error is left out");

    parse("{\"error\":\"invalid_client\",\"error_description\":\"AADSTS12"
          "34567890123456: long\"}", 401, &r);
    ok(r.ncodes == 0 && strncmp(r.description, "AADSTS1234", 10) == 0,
       "a code number too long for one is no code");
}


static void
test_quotes(void)
{
    const char  *secret = "Abc8Q~x.y_zK+/=9mNoPqRsTuVwXyZ0123456789";

#define quotes(s, want, name)                                                \
    is_int(gab_response_quotes(s, secret), want, "%s", name)

    quotes("Invalid client secret provided.", 0, "no quote");
    quotes(secret, 1, "the secret");
    quotes("trace Abc8Q~x.y_zK+/=9mNo", 1, "its start, cut");
    quotes("...NoPqRsTu", 1, "8 bytes of its middle");
    quotes("...NoPqRsT", 0, "7 bytes are no quote");
    quotes("client_secret=Abc8Q%7Ex.y_zK%2B%2F%3D9mNoPq&x=1", 1,
           "%-encoded, the form quoted back");
    quotes("client_secret=Abc8Q~x.y_zK%2b%2f%3d", 1, "lower-case hex");
    quotes("K%2B%2F%3D9mNo", 1, "%-encoded, 8 bytes");
    quotes("%2B%2F%3D9mNo", 0, "%-encoded, 7 bytes");
    quotes("%", 0, "a lone %");
    quotes("%4", 0, "a cut escape");

    is_int(gab_response_quotes("a pwd! here", "pwd!"), 1,
           "a short secret: all of it");
    is_int(gab_response_quotes("a pw here", "pwd!"), 0,
           "a short secret: a piece of it is no quote");
    is_int(gab_response_quotes("s\xc3\xa9" "cretXY", "s\xc3\xa9" "cretXY"), 1,
           "bytes past ASCII");
    is_int(gab_response_quotes("s??cretXY", "s\xc3\xa9" "cretXY"), 1,
           "bytes past ASCII, as the \"?\" they became");

#undef quotes
}


int
main(void)
{
    test_token();
    test_invalid();
    test_error();
    test_quotes();

    return done_testing();
}
