
/*
 * Copyright (C) graph-attach authors
 */


#include <stdlib.h>
#include <string.h>

#include "ga_upload.h"
#include "tap.h"


#define S(s)  (const u_char *) (s), sizeof(s) - 1


static void
urls(void)
{
    size_t           i;
    ga_upload_url_t  u, o;

    static const struct {
        const char  *url;
        int          origin;
        int          ok;
    } cases[] = {
        { "https://outlook.office.com/api/v2.0/Users('a')/Messages('b')/"
          "AttachmentSessions('c')?authtoken=eyJ0eXAi%2B", 0, 1 },
        { "http://127.0.0.1:8080/_upload/1?authtoken=x", 0, 1 },
        { "HTTPS://Outlook.Office365.com/x", 0, 1 },
        { "https://[::1]:443/x", 0, 1 },
        { "https://outlook.office.com", 1, 1 },
        { "http://127.0.0.1:9", 1, 1 },

        { "https://outlook.office.com", 0, 0 },          /* no path */
        { "https://outlook.office.com/", 1, 0 },         /* a path */
        { "ftp://outlook.office.com/x", 0, 0 },
        { "https:/outlook.office.com/x", 0, 0 },
        { "https://user@evil.example/x", 0, 0 },
        { "https://outlook.office.com@evil.example/x", 0, 0 },
        { "https://outlook.office.com:0/x", 0, 0 },
        { "https://outlook.office.com:65536/x", 0, 0 },
        { "https://outlook.office.com:/x", 0, 0 },
        { "https://outlook.office.com/x#frag", 0, 0 },
        { "https://outlook.office.com/x y", 0, 0 },
        { "https://outlook.office.com/x\r\nHost: a", 0, 0 },
        { "https://outlook.office.com/x%zz", 0, 0 },
        { "https://outlook.office.com/x%2", 0, 0 },
        { "https://outlook.office.com/x\\y", 0, 0 },
        { "https://.evil/x", 0, 0 },
        { "https:///x", 0, 0 },
        { "https://[zz]/x", 0, 0 },
        { "https://[]/x", 0, 0 },
        { "https://outlook.office.com/\xc3\xa9", 0, 0 },
        { "", 0, 0 },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        is_int(ga_upload_url_parse((const u_char *) cases[i].url,
                                   strlen(cases[i].url), cases[i].origin, &u)
               == GA_UPLOAD_OK, cases[i].ok, "url \"%s\"", cases[i].url);
    }

    ga_upload_url_parse(S("https://Outlook.Office.COM/api?authtoken=x"), 0,
                        &u);
    ok(u.https && u.port == 443 && u.path_len == 16 && u.host_len == 18,
       "parts of a URL");

    ga_upload_url_parse(S("https://outlook.office.com"), 1, &o);
    ok(ga_upload_same_origin(&u, &o), "same origin, host case aside");

    ga_upload_url_parse(S("http://outlook.office.com"), 1, &o);
    ok(!ga_upload_same_origin(&u, &o), "another scheme");

    ga_upload_url_parse(S("https://outlook.office.com:8443"), 1, &o);
    ok(!ga_upload_same_origin(&u, &o), "another port");

    ga_upload_url_parse(S("https://outlook.office.com.evil.example"), 1, &o);
    ok(!ga_upload_same_origin(&u, &o), "a longer host");

    ga_upload_url_parse(S("https://office.com"), 1, &o);
    ok(!ga_upload_same_origin(&u, &o), "a shorter host");

    {
        u_char  *big;

        big = malloc(GA_UPLOAD_URL_MAX + 1);
        memcpy(big, "https://a/", 10);
        memset(big + 10, 'x', GA_UPLOAD_URL_MAX + 1 - 10);

        ok(ga_upload_url_parse(big, GA_UPLOAD_URL_MAX, 0, &u) == GA_UPLOAD_OK,
           "a URL of the longest length");
        ok(ga_upload_url_parse(big, GA_UPLOAD_URL_MAX + 1, 0, &u)
           != GA_UPLOAD_OK, "one byte longer");

        free(big);
    }
}


static void
sessions(void)
{
    size_t   i, n;
    int64_t  next;
    u_char   url[GA_UPLOAD_URL_MAX];

    static const struct {
        const char  *json;
        int          rc;
        int64_t      next;
    } cases[] = {
        { "{\"@odata.context\":\"x\",\"uploadUrl\":\"https://outlook.office"
          ".com/api/x?authtoken=a\",\"expirationDateTime\":\"2026-12-03T10:"
          "00:00Z\",\"nextExpectedRanges\":[\"0-\"]}", GA_UPLOAD_OK, 0 },
        { "{\"UploadUrl\":\"https://a/b\",\"NextExpectedRanges\":[\"0\"]}",
          GA_UPLOAD_OK, 0 },
        { "{\"uploadUrl\":\"https://a/b\"}", GA_UPLOAD_OK, 0 },
        { " {\"uploadUrl\":\"https:\\/\\/a\\/b\"}\r\n", GA_UPLOAD_OK, 0 },

        { "{\"uploadUrl\":\"ftp://a/b\"}", GA_UPLOAD_ERR_URL, 0 },
        { "{\"uploadUrl\":\"https://a/b\\u0000x\"}", GA_UPLOAD_ERR_JSON, 0 },
        { "{\"uploadUrl\":\"https://a/b\\r\\nX: y\"}", GA_UPLOAD_ERR_URL, 0 },
        { "{\"uploadUrl\":1}", GA_UPLOAD_ERR_JSON, 0 },
        { "{\"uploadUrl\":null}", GA_UPLOAD_ERR_JSON, 0 },
        { "{}", GA_UPLOAD_ERR_JSON, 0 },
        { "[\"https://a/b\"]", GA_UPLOAD_ERR_JSON, 0 },
        { "{\"uploadUrl\":\"https://a/b\"", GA_UPLOAD_ERR_JSON, 0 },
        { "{\"uploadUrl\":\"https://a/b\"} x", GA_UPLOAD_ERR_JSON, 0 },
        { "{\"uploadUrl\":\"https://a/b\",\"nextExpectedRanges\":\"0-\"}",
          GA_UPLOAD_ERR_RANGE, 0 },
        { "{\"uploadUrl\":\"https://a/b\",\"nextExpectedRanges\":[]}",
          GA_UPLOAD_ERR_RANGE, 0 },
        { "{\"uploadUrl\":\"https://a/b\",\"nextExpectedRanges\":[\"x\"]}",
          GA_UPLOAD_ERR_RANGE, 0 },
        /* a new session starts at 0: anything else would skip bytes */
        { "{\"uploadUrl\":\"https://a/b\",\"nextExpectedRanges\":"
          "[\"2097152-\"]}", GA_UPLOAD_ERR_RANGE, 0 },
        { "{\"uploadUrl\":\"https://a/b\",\"nextExpectedRanges\":[\"1\"]}",
          GA_UPLOAD_ERR_RANGE, 0 },
        { "{\"uploadUrl\":\"https://a/b\",\"nextExpectedRanges\":"
          "[\"0-99\"]}", GA_UPLOAD_OK, 0 },
        { "", GA_UPLOAD_ERR_JSON, 0 },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        n = 99;
        next = 99;

        is_int(ga_upload_session_parse((const u_char *) cases[i].json,
                                       strlen(cases[i].json), url, &n, &next),
               cases[i].rc, "session %zu", i);

        if (cases[i].rc == GA_UPLOAD_OK) {
            is_int(next, cases[i].next, "session %zu: next", i);
            ok(n > 8 && memcmp(url, "https://", 8) == 0,
               "session %zu: the URL", i);

        } else {
            is_int(n, 0, "session %zu: no URL", i);
        }
    }

    ga_upload_session_parse(S("{\"uploadUrl\":\"https:\\/\\/a\\/b?c=d\"}"),
                            url, &n, &next);
    is_mem(url, n, "https://a/b?c=d", (size_t) 15, "escapes read");
}


static void
ranges(void)
{
    size_t   i;
    int64_t  next;

    static const struct {
        const char  *json;
        int64_t      total;
        int          rc;
        int64_t      next;
    } cases[] = {
        { "{\"expirationDateTime\":\"x\",\"nextExpectedRanges\":[\"2097152\"]}",
          5000000, GA_UPLOAD_OK, 2097152 },
        { "{\"nextExpectedRanges\":[\"2097152-\"]}", 5000000, GA_UPLOAD_OK,
          2097152 },
        { "{\"nextExpectedRanges\":[\"2097152-4999999\"]}", 5000000,
          GA_UPLOAD_OK, 2097152 },
        { "{\"NextExpectedRanges\":[\"4194304\",\"5000000-\"]}", 9000000,
          GA_UPLOAD_OK, 4194304 },
        { "{\"nextExpectedRanges\":[\"0\"]}", 10, GA_UPLOAD_OK, 0 },

        { "{\"nextExpectedRanges\":[\"5000000\"]}", 5000000,
          GA_UPLOAD_ERR_RANGE, 0 },                  /* at the end */
        { "{\"nextExpectedRanges\":[\"2097152-5000000\"]}", 5000000,
          GA_UPLOAD_ERR_RANGE, 0 },
        { "{\"nextExpectedRanges\":[\"3-2\"]}", 10, GA_UPLOAD_ERR_RANGE, 0 },
        { "{\"nextExpectedRanges\":[\"-5\"]}", 10, GA_UPLOAD_ERR_RANGE, 0 },
        { "{\"nextExpectedRanges\":[\"01\"]}", 10, GA_UPLOAD_ERR_RANGE, 0 },
        { "{\"nextExpectedRanges\":[\"1 \"]}", 10, GA_UPLOAD_ERR_RANGE, 0 },
        { "{\"nextExpectedRanges\":[\"+1\"]}", 10, GA_UPLOAD_ERR_RANGE, 0 },
        { "{\"nextExpectedRanges\":[\"1-x\"]}", 10, GA_UPLOAD_ERR_RANGE, 0 },
        { "{\"nextExpectedRanges\":[\"99999999999999999999\"]}", INT64_MAX,
          GA_UPLOAD_ERR_RANGE, 0 },
        { "{\"nextExpectedRanges\":[1]}", 10, GA_UPLOAD_ERR_RANGE, 0 },
        { "{\"nextExpectedRanges\":[]}", 10, GA_UPLOAD_ERR_RANGE, 0 },
        { "{}", 10, GA_UPLOAD_ERR_RANGE, 0 },
        { "not json", 10, GA_UPLOAD_ERR_JSON, 0 },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        next = -1;

        is_int(ga_upload_next_range((const u_char *) cases[i].json,
                                    strlen(cases[i].json), cases[i].total,
                                    &next),
               cases[i].rc, "range \"%s\"", cases[i].json);

        if (cases[i].rc == GA_UPLOAD_OK) {
            is_int(next, cases[i].next, "range \"%s\": next", cases[i].json);
        }
    }
}


static void
locations(void)
{
    size_t         i, n;
    const u_char  *id;

    static const struct {
        const char  *location;
        const char  *id;
    } cases[] = {
        { "https://outlook.office.com/api/v2.0/Users('a@b')/Messages('AAMk=')"
          "/Attachments('AAMkAGI1AAABEgAQ=')", "AAMkAGI1AAABEgAQ=" },
        { "HTTPS://OUTLOOK.OFFICE.COM/API/V2.0/USERS('A')/MESSAGES('B')"
          "/ATTACHMENTS('Id_1-2+3/4=')", "Id_1-2+3/4=" },
        { "/attachments('x')", "x" },
        { "a/Attachments('outer')/Item/Attachments('inner')", "inner" },

        { "https://outlook.office.com/api/v2.0/Attachments('')", NULL },
        { "https://outlook.office.com/api/v2.0/Attachments('a b')", NULL },
        { "https://outlook.office.com/api/v2.0/Attachments('a\"b')", NULL },
        { "https://outlook.office.com/api/v2.0/Attachments('ab'", NULL },
        { "https://outlook.office.com/api/v2.0/Attachments('ab", NULL },
        { "https://outlook.office.com/api/v2.0/Attachments(ab)", NULL },
        { "https://outlook.office.com/api/v2.0/Messages('a')", NULL },
        { "", NULL },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (cases[i].id) {
            ok(ga_upload_attachment_id((const u_char *) cases[i].location,
                                       strlen(cases[i].location), &id, &n)
               == GA_UPLOAD_OK
               && n == strlen(cases[i].id)
               && memcmp(id, cases[i].id, n) == 0,
               "location %zu: id %s", i, cases[i].id);

        } else {
            ok(ga_upload_attachment_id((const u_char *) cases[i].location,
                                       strlen(cases[i].location), &id, &n)
               == GA_UPLOAD_ERR_LOCATION && id == NULL && n == 0,
               "location %zu refused", i);
        }
    }
}


static void
ids(void)
{
    size_t       i;
    u_char       big[GA_UPLOAD_ID_MAX + 1];
    const char  *good[] = { "AAMkAGI1AAA=", "a-b_c+d/e=", "x" };
    const char  *bad[] = { "", ".", "..", "a.b", "a b", "a\r\nX: y", "a%2F",
                           "a?b", "a#b", "\xc3\xa9", "a'b", "a\"b" };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ok(ga_upload_id_valid((const u_char *) good[i], strlen(good[i])),
           "id %s", good[i]);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ok(!ga_upload_id_valid((const u_char *) bad[i], strlen(bad[i])),
           "id %zu refused", i);
    }

    memset(big, 'A', sizeof(big));
    ok(ga_upload_id_valid(big, GA_UPLOAD_ID_MAX), "id of the longest");
    ok(!ga_upload_id_valid(big, GA_UPLOAD_ID_MAX + 1), "id too long");
}


static void
writing(void)
{
    u_char      *p, *end, buf[GA_UPLOAD_RANGE_LEN];
    size_t       n, len;
    const char  *want;

    n = ga_upload_content_range(buf, 0, 4194303, 10485760);
    is_mem(buf, n, "bytes 0-4194303/10485760", 24, "Content-Range");

    n = ga_upload_content_range(buf, INT64_MAX - 1, INT64_MAX - 1, INT64_MAX);
    ok(n < GA_UPLOAD_RANGE_LEN, "the longest Content-Range fits (%zu)", n);

    len = ga_upload_item_len(S("a \"b\".pdf"), S("application/pdf"), NULL, 0);
    p = malloc(len);
    end = ga_upload_item(p, S("a \"b\".pdf"), S("application/pdf"),
                         3145728, 0, NULL, 0);
    want = "{\"AttachmentItem\":{\"attachmentType\":\"file\",\"name\":"
           "\"a \\\"b\\\".pdf\",\"size\":3145728,\"contentType\":"
           "\"application/pdf\",\"isInline\":false}}";
    is_mem(p, end - p, want, strlen(want), "AttachmentItem");
    ok((size_t) (end - p) <= len, "within its length");
    free(p);

    len = ga_upload_item_len(S("i.png"), S("image/png"), S("img1"));
    p = malloc(len);
    end = ga_upload_item(p, S("i.png"), S("image/png"), INT64_MAX, 1,
                         S("img1"));
    want = "{\"AttachmentItem\":{\"attachmentType\":\"file\",\"name\":"
           "\"i.png\",\"size\":9223372036854775807,\"contentType\":"
           "\"image/png\",\"isInline\":true,\"contentId\":\"img1\"}}";
    is_mem(p, end - p, want, strlen(want),
           "AttachmentItem, inline, contentId, the largest size");
    ok((size_t) (end - p) <= len, "within its length");
    free(p);
}


int
main(void)
{
    urls();
    sessions();
    ranges();
    locations();
    ids();
    writing();

    return done_testing();
}
