
/*
 * Copyright (C) graph-attach authors
 *
 * The metrics' label sets and bounds (ga_metrics.c): every error has a
 * code label, errors that answer alike count alike, no label value needs
 * escaping or repeats, and the histogram bounds parse, print and sort.
 */


#include <stdio.h>
#include <string.h>

#include "ga_errors.h"
#include "ga_metrics.h"
#include "tap.h"


#define S(s)  (const u_char *) (s), sizeof(s) - 1


/* a label value the text format takes as it is, and nothing of a request */

static int
plain_label(const char *s)
{
    const char  *p;

    if (s == NULL || *s == '\0') {
        return 0;
    }

    for (p = s; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '_'))
        {
            return 0;
        }
    }

    return 1;
}


static void
test_codes(void)
{
    size_t             i, k, n, c;
    ga_error_t         copy;
    const ga_error_t  *e, *f;

    n = ga_metrics_codes();

    ok(n > 10 && n <= GA_METRICS_CODES_MAX, "%zu codes, at most %d", n,
       GA_METRICS_CODES_MAX);

    for (i = 0; i < n; i++) {
        ok(plain_label(ga_metrics_code(i)), "code %zu \"%s\" is plain", i,
           ga_metrics_code(i));

        for (k = i + 1; k < n; k++) {
            if (strcmp(ga_metrics_code(i), ga_metrics_code(k)) == 0) {
                ok(0, "code \"%s\" twice", ga_metrics_code(i));
            }
        }
    }

    ok(ga_metrics_code(n) == NULL, "no code past the last");

    for (i = GA_ERR_NONE + 1; i < GA_ERR_LAST; i++) {
        e = ga_error((ga_err_e) i);
        c = ga_metrics_code_of_error(e);

        if (c >= n || strcmp(ga_metrics_code(c), e->code) != 0) {
            ok(0, "error %zu (%s): code label %zu", i, e->code, c);
        }

        /* a copy whose status was replaced, as the error filter makes */

        copy = *e;
        copy.status = 599;

        if (ga_metrics_code_of_error(&copy) != c
            || ga_metrics_rule_of_error(&copy) != ga_metrics_rule_of_error(e))
        {
            ok(0, "error %zu: a copy counts as the entry", i);
        }

        /* entries that read alike must count alike */

        for (k = GA_ERR_NONE + 1; k < GA_ERR_LAST; k++) {
            f = ga_error((ga_err_e) k);

            if (strcmp(e->code, f->code) == 0
                && strcmp(e->message, f->message) == 0
                && ga_metrics_rule_of_error(e) != ga_metrics_rule_of_error(f))
            {
                ok(0, "errors %zu and %zu read alike, count apart", i, k);
            }
        }
    }

    ok(1, "every error has its code label");

    is_mem(ga_metrics_code(ga_metrics_code_of_status(201)), 3, "2xx", 3,
           "201 is 2xx");
    is_mem(ga_metrics_code(ga_metrics_code_of_status(302)), 3, "3xx", 3,
           "302 is 3xx");
    is_mem(ga_metrics_code(ga_metrics_code_of_status(404)), 3, "4xx", 3,
           "404 is 4xx");
    is_mem(ga_metrics_code(ga_metrics_code_of_status(599)), 3, "5xx", 3,
           "599 is 5xx");
    ok(strcmp(ga_metrics_code(ga_metrics_code_of_status(499)),
              "ClientClosedRequest") == 0, "499 is ClientClosedRequest");
    ok(strcmp(ga_metrics_code(ga_metrics_code_of_status(0)),
              "NoResponse") == 0, "0 is NoResponse");
    ok(strcmp(ga_metrics_code(ga_metrics_code_of_status(100)), "other") == 0
       && strcmp(ga_metrics_code(ga_metrics_code_of_status(600)), "other")
          == 0
       && strcmp(ga_metrics_code(ga_metrics_code_of_status(65535)), "other")
          == 0, "1xx and past 599 are other");

    /* an error that is no entry's: "other", never a crash */

    copy.status = 400;
    copy.code = "Hostile\"Code";
    copy.message = "made up";
    ok(strcmp(ga_metrics_code(ga_metrics_code_of_error(&copy)), "other") == 0,
       "an error of no entry counts as other");
    is_int(ga_metrics_rule_of_error(&copy), -1, "  and as no rule");
}


static void
test_rules(void)
{
    size_t  i, k;
    int     seen[GA_METRICS_RULES];

    struct {
        ga_err_e     err;
        const char  *rule;
    } cases[] = {
        { GA_ERR_MAILBOX_NOT_ALLOWED, "mailbox" },
        { GA_ERR_USER_NOT_MAILBOX, "user" },
        { GA_ERR_UNSUPPORTED_PATH, "path" },
        { GA_ERR_UPLOAD_TOO_LARGE, "size" },
        { GA_ERR_FILE_TOO_LARGE, "size" },
        { GA_ERR_ITEM_TOO_LARGE, "size" },
        { GA_ERR_TYPE_NOT_ALLOWED, "type" },
        { GA_ERR_EXTENSION_NOT_ALLOWED, "extension" },
        { GA_ERR_CONTENT_MISMATCH, "content" },
        { GA_ERR_NAME_ENCODED_WORD, "name" },
        { GA_ERR_TOO_MANY_FILES, "files" },
        { GA_ERR_TOO_MANY_FIELDS, "limits" },
        { GA_ERR_CONTENT_ENCODING, "encoding" },
        { GA_ERR_UPLOAD_HOST, "upload_host" },
        { GA_ERR_NGINX_FORBIDDEN, "access" },
        { GA_ERR_NGINX_TOO_MANY_REQUESTS, "rate" },
    };

    memset(seen, 0, sizeof(seen));

    for (i = 0; i < GA_METRICS_RULES; i++) {
        ok(plain_label(ga_metrics_rule(i)), "rule \"%s\" is plain",
           ga_metrics_rule(i));

        for (k = i + 1; k < GA_METRICS_RULES; k++) {
            if (strcmp(ga_metrics_rule(i), ga_metrics_rule(k)) == 0) {
                ok(0, "rule \"%s\" twice", ga_metrics_rule(i));
            }
        }
    }

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        k = (size_t) ga_metrics_rule_of_error(ga_error(cases[i].err));
        ok(k < GA_METRICS_RULES
           && strcmp(ga_metrics_rule(k), cases[i].rule) == 0,
           "%s is the %s rule", ga_error(cases[i].err)->code, cases[i].rule);
    }

    /* malformed requests and failures are no rule's */

    is_int(ga_metrics_rule_of_error(ga_error(GA_ERR_BAD_MULTIPART)), -1,
           "InvalidMultipart is no refusal");
    is_int(ga_metrics_rule_of_error(ga_error(GA_ERR_TOKEN_UNAVAILABLE)), -1,
           "TokenUnavailable is no refusal");
    is_int(ga_metrics_rule_of_error(ga_error(GA_ERR_METHOD_NOT_ALLOWED)), -1,
           "MethodNotAllowed is no refusal");
    is_int(ga_metrics_rule_of_error(ga_error(GA_ERR_UPLOAD_FAILED)), -1,
           "UploadFailed is no refusal");

    /* every rule is some error's */

    for (i = GA_ERR_NONE + 1; i < GA_ERR_LAST; i++) {
        k = (size_t) ga_metrics_rule_of_error(ga_error((ga_err_e) i));

        if (k < GA_METRICS_RULES) {
            seen[k] = 1;
        }
    }

    for (i = 0; i < GA_METRICS_RULES; i++) {
        ok(seen[i], "rule \"%s\" is some error's", ga_metrics_rule(i));
    }
}


static void
test_statuses(void)
{
    size_t  i, n;

    n = ga_metrics_statuses();

    ok(n <= GA_METRICS_STATUSES_MAX, "%zu statuses, at most %d", n,
       GA_METRICS_STATUSES_MAX);

    for (i = 0; i < n; i++) {
        ok(plain_label(ga_metrics_status(i)), "status \"%s\" is plain",
           ga_metrics_status(i));
    }

    ok(strcmp(ga_metrics_status(ga_metrics_status_index(201)), "201") == 0,
       "201 is its own");
    ok(strcmp(ga_metrics_status(ga_metrics_status_index(429)), "429") == 0,
       "429 is its own");
    ok(strcmp(ga_metrics_status(ga_metrics_status_index(503)), "503") == 0,
       "503 is its own");
    ok(strcmp(ga_metrics_status(ga_metrics_status_index(418)), "other") == 0,
       "418 is other");
    ok(strcmp(ga_metrics_status(ga_metrics_status_index(0)), "other") == 0,
       "0 is other");
    ok(strcmp(ga_metrics_status(ga_metrics_status_index(70000)), "other")
       == 0, "70000 is other");
    ok(ga_metrics_status(n) == NULL, "no status past other");

    for (i = GA_METRICS_TOKEN_NONE + 1; i < GA_METRICS_TOKENS; i++) {
        ok(plain_label(ga_metrics_token(i)), "token result \"%s\"",
           ga_metrics_token(i));
    }

    ok(ga_metrics_token(GA_METRICS_TOKEN_NONE) == NULL,
       "no label for an uncounted lookup");

    for (i = 0; i < GA_METRICS_SESSIONS; i++) {
        ok(plain_label(ga_metrics_session(i)), "session result \"%s\"",
           ga_metrics_session(i));
    }

    ok(strcmp(ga_metrics_direction(GA_METRICS_BYTES_IN), "in") == 0
       && strcmp(ga_metrics_direction(GA_METRICS_BYTES_OUT), "out") == 0,
       "directions in and out");

    ok(ga_metrics_layout() == ga_metrics_layout() && ga_metrics_layout() != 0,
       "the layout digest is stable");
}


static void
test_seconds(void)
{
    size_t    i, len;
    uint64_t  us;
    u_char    buf[GA_METRICS_BOUND_LEN];

    struct {
        const u_char  *p;
        size_t         len;
        uint64_t       us;
        const char    *printed;
    } good[] = {
        { S("0.05"), 50000, "0.05" },
        { S("1"), 1000000, "1" },
        { S("1.0"), 1000000, "1" },
        { S("2.5"), 2500000, "2.5" },
        { S("0.000001"), 1, "0.000001" },
        { S("300"), 300000000, "300" },
        { S("007"), 7000000, "7" },
        { S("86400"), 86400000000ULL, "86400" },
        { S("0.123456"), 123456, "0.123456" },
    };

    struct {
        const u_char  *p;
        size_t         len;
    } bad[] = {
        { S("") }, { S("0") }, { S("0.0") }, { S("0.0000001") },
        { S(".5") }, { S("1.") }, { S("1..2") }, { S("-1") }, { S("+1") },
        { S("1e3") }, { S("inf") }, { S("+Inf") }, { S("NaN") },
        { S("86400.000001") }, { S("99999999999999999999999") },
        { S("1 ") }, { S("1s") }, { S("500ms") }, { S("1\0002") },
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        us = 0;

        ok(ga_metrics_parse_seconds(good[i].p, good[i].len, &us) == 0
           && us == good[i].us, "\"%.*s\" is %llu us", (int) good[i].len,
           good[i].p, (unsigned long long) good[i].us);

        len = ga_metrics_format_seconds(buf, good[i].us);
        is_mem(buf, len, good[i].printed, strlen(good[i].printed),
               "  printed \"%s\"", good[i].printed);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ok(ga_metrics_parse_seconds(bad[i].p, bad[i].len, &us) == -1,
           "bound %zu refused", i);
    }

    len = ga_metrics_format_seconds(buf, GA_METRICS_BOUND_MAX - 1);
    ok(len <= GA_METRICS_BOUND_LEN, "the longest bound fits (%zu)", len);
}


static void
test_buckets(void)
{
    static const uint64_t  b[] = { 50000, 100000, 1000000 };

    is_int(ga_metrics_bucket(b, 3, 0), 0, "0 us: first bucket");
    is_int(ga_metrics_bucket(b, 3, 50000), 0, "on the bound: that bucket");
    is_int(ga_metrics_bucket(b, 3, 50001), 1, "past it: the next");
    is_int(ga_metrics_bucket(b, 3, 1000000), 2, "on the last bound");
    is_int(ga_metrics_bucket(b, 3, 1000001), 3, "past the last: +Inf");
    is_int(ga_metrics_bucket(b, 0, 5), 0, "no bounds: +Inf");
}


static void
test_escape(void)
{
    u_char  buf[64];
    size_t  len;

    len = ga_metrics_escape(buf, S("a\\b\"c\nd}e")) - buf;
    is_mem(buf, len, "a\\\\b\\\"c\\nd}e", sizeof("a\\\\b\\\"c\\nd}e") - 1,
           "backslash, quote and newline escaped");
    is_int(ga_metrics_escape_len(S("a\\b\"c\nd}e")), len, "  length told");

    /* UTF-8 kept; a byte that starts no character (Latin-1, a cut
     * sequence, an overlong form) becomes U+FFFD */
    len = ga_metrics_escape(buf, S("\xc3\xa9-\xe9-\xe2\x82-\xc0\xaf\"")) - buf;
    is_mem(buf, len,
           "\xc3\xa9-\xef\xbf\xbd-\xef\xbf\xbd\xef\xbf\xbd-"
           "\xef\xbf\xbd\xef\xbf\xbd\\\"",
           sizeof("\xc3\xa9-\xef\xbf\xbd-\xef\xbf\xbd\xef\xbf\xbd-"
                  "\xef\xbf\xbd\xef\xbf\xbd\\\"") - 1,
           "no UTF-8: U+FFFD for each byte");
    is_int(ga_metrics_escape_len(S("\xc3\xa9-\xe9-\xe2\x82-\xc0\xaf\"")),
           len, "  length told");
}


int
main(void)
{
    test_codes();
    test_rules();
    test_statuses();
    test_seconds();
    test_buckets();
    test_escape();

    return done_testing();
}
