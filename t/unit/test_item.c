
/*
 * Copyright (C) graph-attach authors
 *
 * The item judge (src/ga_item.c): every entity kind, the type with and
 * without '#', the name the item gives itself, what is re-serialised, the
 * itemAttachment body, and every refusal.  Each text is copied to a
 * buffer of its exact size, so ASan sees a read past its end.
 */


#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ga_item.h"
#include "ga_utf8.h"
#include "tap.h"


#define S(s)  (const u_char *) (s), sizeof(s) - 1


static ga_item_err_e
judge_lim(const char *s, size_t len, const ga_item_limits_t *lim,
    ga_item_t *it)
{
    u_char         *p;
    ga_item_err_e   rc;

    p = malloc(len ? len : 1);
    memcpy(p, s, len);

    rc = ga_item_judge(p, len, lim, it);

    free(p);

    return rc;
}


static ga_item_err_e
judge(const char *s, ga_item_t *it)
{
    return judge_lim(s, strlen(s), NULL, it);
}


/* refused with rc, and nothing left to free */

static void
refused(const char *s, size_t len, ga_item_err_e rc, const char *what)
{
    ga_item_t  it;

    is_int(judge_lim(s, len, NULL, &it), rc, "refused: %s", what);
    ok(it.json == NULL && it.kind == GA_ITEM_NONE, "... nothing kept: %s",
       what);
    ga_item_free(&it);
}


#define REFUSED(s, rc)  refused(s, sizeof(s) - 1, rc, #s)


static void
accepted(const char *s, ga_item_kind_e kind, const char *json,
    const char *name, const char *what)
{
    ga_item_t  it;

    if (!is_int(judge(s, &it), GA_ITEM_OK, "accepted: %s", what)) {
        ga_item_free(&it);
        return;
    }

    is_int(it.kind, kind, "... kind: %s", what);

    if (json) {
        is_mem(it.json, it.json_len, json, strlen(json),
               "... re-serialised: %s", what);
    }

    is_mem(it.name, it.name_len, name, strlen(name), "... name: %s", what);

    ga_item_free(&it);
    ok(it.json == NULL && it.json_len == 0, "... freed: %s", what);
}


static void
kinds(void)
{
    accepted("{\"@odata.type\":\"#microsoft.graph.message\","
             "\"subject\":\"Hello\"}",
             GA_ITEM_MESSAGE,
             "{\"@odata.type\":\"#microsoft.graph.message\","
             "\"subject\":\"Hello\"}",
             "Hello", "a message");

    accepted("{\"@odata.type\":\"microsoft.graph.message\","
             "\"subject\":\"Hello\"}",
             GA_ITEM_MESSAGE,
             "{\"@odata.type\":\"microsoft.graph.message\","
             "\"subject\":\"Hello\"}",
             "Hello", "a message, the type without '#' (kept so)");

    accepted("{\"@odata.type\":\"#microsoft.graph.event\","
             "\"subject\":\"Standup\",\"start\":{\"dateTime\":"
             "\"2024-01-01T09:00:00\",\"timeZone\":\"UTC\"}}",
             GA_ITEM_EVENT, NULL, "Standup", "an event");

    accepted("{\"@odata.type\":\"microsoft.graph.event\"}",
             GA_ITEM_EVENT, NULL, "attachment", "an event without '#'");

    accepted("{\"@odata.type\":\"#microsoft.graph.contact\","
             "\"displayName\":\"Ada Lovelace\",\"emailAddresses\":"
             "[{\"address\":\"ada@example.com\",\"name\":\"Ada\"}]}",
             GA_ITEM_CONTACT, NULL, "Ada Lovelace", "a contact");

    accepted("{\"@odata.type\":\"microsoft.graph.contact\","
             "\"displayName\":\"Ada\"}",
             GA_ITEM_CONTACT, NULL, "Ada", "a contact without '#'");

    /* the type need not come first */

    accepted("{\"subject\":\"late type\",\"body\":{\"contentType\":\"text\","
             "\"content\":\"hi\"},"
             "\"@odata.type\":\"#microsoft.graph.message\"}",
             GA_ITEM_MESSAGE,
             "{\"subject\":\"late type\",\"body\":{\"contentType\":\"text\","
             "\"content\":\"hi\"},"
             "\"@odata.type\":\"#microsoft.graph.message\"}",
             "late type", "the type last, member order kept");

    /* a message that carries attachments of its own */

    accepted("{\"@odata.type\":\"#microsoft.graph.message\",\"subject\":\"s\","
             "\"attachments\":[{\"@odata.type\":"
             "\"#microsoft.graph.fileAttachment\",\"name\":\"a.txt\","
             "\"contentBytes\":\"aGk=\"}]}",
             GA_ITEM_MESSAGE, NULL, "s", "a message with an attachment");
}


static void
names(void)
{
    size_t     i;
    char       buf[2048];
    ga_item_t  it;

    static const struct {
        const char  *json;
        const char  *name;
        const char  *what;
    } cases[] = {
        { "{\"@odata.type\":\"#microsoft.graph.message\"}",
          "attachment", "no subject" },
        { "{\"@odata.type\":\"#microsoft.graph.message\",\"subject\":\"\"}",
          "attachment", "an empty subject" },
        { "{\"@odata.type\":\"#microsoft.graph.message\",\"subject\":null}",
          "attachment", "a null subject" },
        { "{\"@odata.type\":\"#microsoft.graph.message\",\"subject\":42}",
          "attachment", "a number as subject" },
        { "{\"@odata.type\":\"#microsoft.graph.message\",\"subject\":true}",
          "attachment", "a boolean as subject" },
        { "{\"@odata.type\":\"#microsoft.graph.message\","
          "\"subject\":{\"x\":\"y\"}}",
          "attachment", "an object as subject" },
        { "{\"@odata.type\":\"#microsoft.graph.message\","
          "\"subject\":[\"a\"]}",
          "attachment", "an array as subject" },
        { "{\"@odata.type\":\"#microsoft.graph.message\","
          "\"subject\":\"   \"}",
          "attachment", "a subject of spaces" },
        { "{\"@odata.type\":\"#microsoft.graph.message\","
          "\"subject\":\"\\u202e\\u200b\\u00ad\"}",
          "attachment", "a subject of invisible characters" },
        { "{\"@odata.type\":\"#microsoft.graph.message\","
          "\"Subject\":\"other case\"}",
          "attachment", "\"Subject\" is not \"subject\"" },
        { "{\"@odata.type\":\"#microsoft.graph.message\","
          "\"displayName\":\"not a message's\"}",
          "attachment", "a message is not named by displayName" },
        { "{\"@odata.type\":\"#microsoft.graph.contact\","
          "\"subject\":\"not a contact's\"}",
          "attachment", "a contact is not named by subject" },
        { "{\"@odata.type\":\"#microsoft.graph.message\","
          "\"subject\":\"Q3/Q4 report\"}",
          "Q3_Q4 report", "'/' in a subject is no path" },
        { "{\"@odata.type\":\"#microsoft.graph.message\","
          "\"subject\":\"a\\\\b\\/c\"}",
          "a_b_c", "'\\' and an escaped '/'" },
        { "{\"@odata.type\":\"#microsoft.graph.message\","
          "\"subject\":\"  Re: invoice.pdf\\u202e.exe  \"}",
          "Re: invoice.pdf.exe", "spaces and U+202E dropped" },
        { "{\"@odata.type\":\"#microsoft.graph.message\","
          "\"subject\":\"Line\\r\\nbreak\\t.\"}",
          "Linebreak", "controls and a trailing dot dropped" },
        { "{\"@odata.type\":\"#microsoft.graph.event\","
          "\"subject\":\"R\\u00e9union \\ud83d\\ude00\"}",
          "R\xc3\xa9union \xf0\x9f\x98\x80", "escapes decoded to UTF-8" },
        { "{\"@odata.type\":\"#microsoft.graph.contact\","
          "\"displayName\":\"\\u00c5sa\"}",
          "\xc3\x85sa", "a contact's displayName" },
        { "{\"@odata.type\":\"#microsoft.graph.contact\","
          "\"displayName\":\"..\"}",
          "attachment", "a displayName of dots" },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (!is_int(judge(cases[i].json, &it), GA_ITEM_OK, "name: %s",
                    cases[i].what))
        {
            continue;
        }

        is_mem(it.name, it.name_len, cases[i].name, strlen(cases[i].name),
               "... %s", cases[i].what);
        ga_item_free(&it);
    }

    /* a long subject is cut on a character boundary, to GA_NAME_MAX */

    strcpy(buf, "{\"@odata.type\":\"#microsoft.graph.message\","
                "\"subject\":\"");

    for (i = 0; i < 300; i++) {
        strcat(buf, "\xc3\xa9");
    }

    strcat(buf, "\"}");

    if (is_int(judge(buf, &it), GA_ITEM_OK, "a subject of 600 bytes")) {
        ok(it.name_len <= GA_NAME_MAX && it.name_len >= GA_NAME_MAX - 1,
           "... cut to %zu bytes", it.name_len);
        ok(ga_utf8_valid(it.name, it.name_len), "... still UTF-8");
        ok(strstr((char *) it.json, "\xc3\xa9\xc3\xa9\"}") != NULL,
           "... the item keeps its whole subject");
        ga_item_free(&it);
    }
}


static void
reserialised(void)
{
    accepted(" \r\n\t{ \"@odata.type\" : \"#microsoft.graph.message\" ,\n"
             "  \"subject\" : \"s\" , \"toRecipients\" : [ ] ,"
             " \"flag\" : { } } \r\n",
             GA_ITEM_MESSAGE,
             "{\"@odata.type\":\"#microsoft.graph.message\",\"subject\":\"s\","
             "\"toRecipients\":[],\"flag\":{}}",
             "s", "whitespace dropped, empty containers kept");

    accepted("{\"@odata.type\":\"#microsoft.graph.message\","
             "\"body\":{\"content\":\"\\u00e9\\/\\\"\\\\\\b\\f\\n\\r\\t"
             "\\u001f\\u007f\"}}",
             GA_ITEM_MESSAGE,
             "{\"@odata.type\":\"#microsoft.graph.message\","
             "\"body\":{\"content\":\"\xc3\xa9/\\\"\\\\\\b\\f\\n\\r\\t"
             "\\u001f\x7f\"}}",
             "attachment", "escapes as cJSON writes them");

    accepted("{\"@odata.type\":\"#microsoft.graph.message\","
             "\"a\":[0,-0,1,-1,1.5,1e3,2E-2,-0.25e+1,true,false,null]}",
             GA_ITEM_MESSAGE,
             "{\"@odata.type\":\"#microsoft.graph.message\","
             "\"a\":[0,-0,1,-1,1.5,1000,0.02,-2.5,true,false,null]}",
             "attachment", "numbers and literals");

    accepted("{\"@odata.type\":\"#microsoft.graph.message\","
             "\"x\":\"\\ud83d\\ude00\",\"\\u00e9\":1,\"\xc3\xa9\xc3\xa9\":2}",
             GA_ITEM_MESSAGE,
             "{\"@odata.type\":\"#microsoft.graph.message\","
             "\"x\":\"\xf0\x9f\x98\x80\",\"\xc3\xa9\":1,"
             "\"\xc3\xa9\xc3\xa9\":2}",
             "attachment", "a surrogate pair and non-ASCII names");

    accepted("{\"@odata.type\":\"#microsoft.graph.message\","
             "\"\xc3\xa9\":1,\"\xc3\x89\":2}",
             GA_ITEM_MESSAGE, NULL, "attachment",
             "names differing in non-ASCII case are two names");

    accepted("{\"@odata.type\":\"#microsoft.graph.message\","
             "\"a\":12345678901234567890,\"b\":1"
             "000000000000000000000000000000000000000000000000000000000000"
             "000000000000000000000000000000000000000}",
             GA_ITEM_MESSAGE,
             "{\"@odata.type\":\"#microsoft.graph.message\","
             "\"a\":1.2345678901234567e+19,\"b\":1e+99}",
             "attachment", "numbers past 2^64 and past 63 digits, as doubles");

    accepted("{\"@odata.type\":\"#microsoft.graph.message\","
             "\"a\":1e-400}",
             GA_ITEM_MESSAGE,
             "{\"@odata.type\":\"#microsoft.graph.message\",\"a\":0}",
             "attachment", "an underflow is 0");
}


static void
refusals(void)
{
    char       buf[64];
    size_t     i;

    REFUSED("", GA_ITEM_ERR_EMPTY);
    REFUSED(" \r\n\t ", GA_ITEM_ERR_EMPTY);

    REFUSED("{\"@odata.type\":\"#microsoft.graph.message\",\"s\":\"\xff\"}",
            GA_ITEM_ERR_NOT_UTF8);
    REFUSED("{\"@odata.type\":\"#microsoft.graph.message\","
            "\"s\":\"\xc0\xaf\"}",
            GA_ITEM_ERR_NOT_UTF8);
    REFUSED("{\"@odata.type\":\"#microsoft.graph.message\","
            "\"s\":\"\xed\xa0\x80\"}", GA_ITEM_ERR_NOT_UTF8);
    REFUSED("{\"@odata.type\":\"#microsoft.graph.message\","
            "\"\xe9\":1}", GA_ITEM_ERR_NOT_UTF8);
    REFUSED("\xff{}", GA_ITEM_ERR_NOT_UTF8);

    REFUSED("{", GA_ITEM_ERR_SYNTAX);
    REFUSED("}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\"}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\" 1}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{a:1}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{'a':1}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":1,}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":[1,]}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":[,1]}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":1 \"b\":2}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":[1}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":{]}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":\"unterminated}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":\"\\", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":\"\\x41\"}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":\"\\u12\"}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":\"\\u12g4\"}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":\"\\'\"}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":01}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":-01}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":+1}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":.5}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":1.}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":1e}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":1e+}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":-}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":0x10}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":tru}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":True}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":nul}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":fals}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":undefined}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":Nope}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":Inf}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":-Inf}", GA_ITEM_ERR_SYNTAX);
    REFUSED("\xef\xbb\xbf{\"@odata.type\":\"#microsoft.graph.message\"}",
            GA_ITEM_ERR_SYNTAX);
    REFUSED("{\x0b\"a\":1}", GA_ITEM_ERR_SYNTAX);
    REFUSED("{\"a\":1}\x01", GA_ITEM_ERR_TRAILING);
    refused("{\"a\":\0}", 7, GA_ITEM_ERR_SYNTAX, "a raw NUL as a value");

    REFUSED("{/* c */\"a\":1}", GA_ITEM_ERR_COMMENT);
    REFUSED("// c\n{\"a\":1}", GA_ITEM_ERR_COMMENT);
    REFUSED("{\"a\":1 // c\n}", GA_ITEM_ERR_COMMENT);
    REFUSED("{\"a\"/**/:1}", GA_ITEM_ERR_COMMENT);
    REFUSED("{\"a\":/**/1}", GA_ITEM_ERR_COMMENT);
    REFUSED("{\"a\":[1,/**/2]}", GA_ITEM_ERR_COMMENT);
    REFUSED("{\"a\":1,/**/\"b\":2}", GA_ITEM_ERR_COMMENT);
    REFUSED("{\"@odata.type\":\"#microsoft.graph.message\"} // c",
            GA_ITEM_ERR_COMMENT);

    REFUSED("{\"a\":NaN}", GA_ITEM_ERR_NAN);
    REFUSED("{\"a\":Infinity}", GA_ITEM_ERR_NAN);
    REFUSED("{\"a\":-Infinity}", GA_ITEM_ERR_NAN);
    REFUSED("{\"a\":[1,NaN]}", GA_ITEM_ERR_NAN);

    REFUSED("{\"@odata.type\":\"#microsoft.graph.message\",\"a\":1e999}",
            GA_ITEM_ERR_NUMBER);
    REFUSED("{\"@odata.type\":\"#microsoft.graph.message\","
            "\"a\":[{\"b\":-1E400}]}", GA_ITEM_ERR_NUMBER);

    REFUSED("{\"a\":\"tab\there\"}", GA_ITEM_ERR_CONTROL);
    REFUSED("{\"a\":\"line\nbreak\"}", GA_ITEM_ERR_CONTROL);
    REFUSED("{\"a\x01\":1}", GA_ITEM_ERR_CONTROL);
    refused("{\"a\":\"\0\"}", 8, GA_ITEM_ERR_CONTROL, "a raw NUL in a string");

    REFUSED("{\"a\":\"\\ud800\"}", GA_ITEM_ERR_SURROGATE);
    REFUSED("{\"a\":\"\\uDBFF\"}", GA_ITEM_ERR_SURROGATE);
    REFUSED("{\"a\":\"\\udc00\"}", GA_ITEM_ERR_SURROGATE);
    REFUSED("{\"a\":\"\\uDFFFx\"}", GA_ITEM_ERR_SURROGATE);
    REFUSED("{\"a\":\"\\ud800\\u0041\"}", GA_ITEM_ERR_SURROGATE);
    REFUSED("{\"a\":\"\\ud800\\ud800\"}", GA_ITEM_ERR_SURROGATE);
    REFUSED("{\"a\":\"\\ud800x\\udc00\"}", GA_ITEM_ERR_SURROGATE);
    REFUSED("{\"a\":\"\\ud800\\n\"}", GA_ITEM_ERR_SURROGATE);
    REFUSED("{\"a\":\"\\ud800\"", GA_ITEM_ERR_SURROGATE);
    REFUSED("{\"\\udc00\":1}", GA_ITEM_ERR_SURROGATE);

    REFUSED("{\"a\":\"x\\u0000y\"}", GA_ITEM_ERR_NUL);
    REFUSED("{\"a\\u0000b\":1}", GA_ITEM_ERR_NUL);

    REFUSED("{\"@odata.type\":\"#microsoft.graph.message\"} x",
            GA_ITEM_ERR_TRAILING);
    REFUSED("{\"@odata.type\":\"#microsoft.graph.message\"}"
            "{\"@odata.type\":\"#microsoft.graph.message\"}",
            GA_ITEM_ERR_TRAILING);
    REFUSED("{\"@odata.type\":\"#microsoft.graph.message\"},",
            GA_ITEM_ERR_TRAILING);
    REFUSED("{}}", GA_ITEM_ERR_TRAILING);

    REFUSED("[]", GA_ITEM_ERR_NOT_OBJECT);
    REFUSED("[{\"@odata.type\":\"#microsoft.graph.message\"}]",
            GA_ITEM_ERR_NOT_OBJECT);
    REFUSED("\"#microsoft.graph.message\"", GA_ITEM_ERR_NOT_OBJECT);
    REFUSED("42", GA_ITEM_ERR_NOT_OBJECT);
    REFUSED(" null ", GA_ITEM_ERR_NOT_OBJECT);
    REFUSED("true", GA_ITEM_ERR_NOT_OBJECT);

    REFUSED("{\"@odata.type\":\"#microsoft.graph.message\",\"subject\":\"a\","
            "\"subject\":\"b\"}", GA_ITEM_ERR_DUPLICATE);
    REFUSED("{\"@odata.type\":\"#microsoft.graph.message\",\"subject\":\"a\","
            "\"Subject\":\"b\"}", GA_ITEM_ERR_DUPLICATE);
    REFUSED("{\"@odata.type\":\"#microsoft.graph.message\","
            "\"@odata.type\":\"#microsoft.graph.event\"}",
            GA_ITEM_ERR_DUPLICATE);
    REFUSED("{\"@odata.type\":\"#microsoft.graph.message\","
            "\"body\":{\"content\":\"a\",\"x\":1,\"content\":\"b\"}}",
            GA_ITEM_ERR_DUPLICATE);
    REFUSED("{\"@odata.type\":\"#microsoft.graph.message\","
            "\"to\":[{\"a\":1},{\"b\":{\"c\":1,\"C\":2}}]}",
            GA_ITEM_ERR_DUPLICATE);
    REFUSED("{\"@odata.type\":\"#microsoft.graph.message\","
            "\"a\":1,\"\\u0061\":2}", GA_ITEM_ERR_DUPLICATE);
    REFUSED("{\"@odata.type\":\"#microsoft.graph.message\","
            "\"\":1,\"\":2}", GA_ITEM_ERR_DUPLICATE);

    REFUSED("{}", GA_ITEM_ERR_NO_TYPE);
    REFUSED("{\"subject\":\"x\"}", GA_ITEM_ERR_NO_TYPE);
    REFUSED("{\"@odata.type\":null}", GA_ITEM_ERR_NO_TYPE);
    REFUSED("{\"@odata.type\":1}", GA_ITEM_ERR_NO_TYPE);
    REFUSED("{\"@odata.type\":[\"#microsoft.graph.message\"]}",
            GA_ITEM_ERR_NO_TYPE);
    REFUSED("{\"@OData.Type\":\"#microsoft.graph.message\"}",
            GA_ITEM_ERR_NO_TYPE);
    REFUSED("{\"body\":{\"@odata.type\":\"#microsoft.graph.message\"}}",
            GA_ITEM_ERR_NO_TYPE);

    REFUSED("{\"@odata.type\":\"\"}", GA_ITEM_ERR_UNKNOWN_TYPE);
    REFUSED("{\"@odata.type\":\"#\"}", GA_ITEM_ERR_UNKNOWN_TYPE);
    REFUSED("{\"@odata.type\":\"#microsoft.graph.itemAttachment\"}",
            GA_ITEM_ERR_UNKNOWN_TYPE);
    REFUSED("{\"@odata.type\":\"#microsoft.graph.fileAttachment\"}",
            GA_ITEM_ERR_UNKNOWN_TYPE);
    REFUSED("{\"@odata.type\":\"#microsoft.graph.eventMessage\"}",
            GA_ITEM_ERR_UNKNOWN_TYPE);
    REFUSED("{\"@odata.type\":\"#microsoft.graph.Message\"}",
            GA_ITEM_ERR_UNKNOWN_TYPE);
    REFUSED("{\"@odata.type\":\"##microsoft.graph.message\"}",
            GA_ITEM_ERR_UNKNOWN_TYPE);
    REFUSED("{\"@odata.type\":\"#microsoft.graph.message \"}",
            GA_ITEM_ERR_UNKNOWN_TYPE);
    REFUSED("{\"@odata.type\":\"#Microsoft.OutlookServices.Message\"}",
            GA_ITEM_ERR_UNKNOWN_TYPE);
    REFUSED("{\"@odata.type\":\"microsoft.graph.messagex\"}",
            GA_ITEM_ERR_UNKNOWN_TYPE);

    /* a truncated text fails at every length, never past its end */

    strcpy(buf, "{\"@odata.type\":\"#microsoft.graph.message\","
                "\"a\":[1.5e3]}");

    for (i = 0; i < strlen(buf); i++) {
        ga_item_t      it;
        ga_item_err_e  rc;

        rc = judge_lim(buf, i, NULL, &it);
        ok(rc != GA_ITEM_OK && it.json == NULL, "cut at %zu: refused (%d)",
           i, rc);
        ga_item_free(&it);
    }
}


static void
limits(void)
{
    char              *s, *p;
    size_t             i, n;
    ga_item_t          it;
    ga_item_limits_t   lim;

    static const char  head[] =
        "{\"@odata.type\":\"#microsoft.graph.message\",\"a\":";

    s = malloc(GA_ITEM_MAX_SIZE + 1);

    /* the depth: the item itself is 1, 32 deep passes, 33 is refused */

    for (n = 31; n <= 33; n++) {
        p = s;
        p += sprintf(p, "%s", head);

        for (i = 0; i < n - 1; i++) {
            *p++ = (i & 1) ? '{' : '[';

            /* the innermost is empty, the others hold the next */

            if ((i & 1) && i < n - 2) {
                p += sprintf(p, "\"k\":");
            }
        }

        for (i = n - 1; i > 0; i--) {
            *p++ = ((i - 1) & 1) ? '}' : ']';
        }

        *p++ = '}';

        is_int(judge_lim(s, p - s, NULL, &it),
               n <= GA_ITEM_MAX_DEPTH ? GA_ITEM_OK : GA_ITEM_ERR_TOO_DEEP,
               "depth %zu", n);
        ga_item_free(&it);
    }

    /* deep enough to overflow a recursive parser's stack: no recursion */

    n = 500000;
    memset(s, '[', n);
    is_int(judge_lim(s, n, NULL, &it), GA_ITEM_ERR_TOO_DEEP,
           "500000 '[': too deep, at once");
    ga_item_free(&it);

    /* a configured depth, and one beyond GA_ITEM_DEPTH_LIMIT */

    lim.max_size = GA_ITEM_MAX_SIZE;
    lim.max_depth = 2;
    lim.max_members = GA_ITEM_MAX_MEMBERS;

    is_int(judge_lim("{\"@odata.type\":\"#microsoft.graph.message\","
                     "\"a\":{}}", 49, &lim, &it), GA_ITEM_OK, "depth 2 of 2");
    ga_item_free(&it);
    is_int(judge_lim("{\"@odata.type\":\"#microsoft.graph.message\","
                     "\"a\":{\"b\":[]}}", 55, &lim, &it),
           GA_ITEM_ERR_TOO_DEEP, "depth 3 of 2");
    ga_item_free(&it);

    lim.max_depth = 100000;
    memset(s, '[', 65);
    memset(s + 65, ']', 65);
    is_int(judge_lim(s, 130, &lim, &it), GA_ITEM_ERR_TOO_DEEP,
           "a depth past GA_ITEM_DEPTH_LIMIT is the limit");
    ga_item_free(&it);

    /* members: object members and array elements, all levels */

    for (n = GA_ITEM_MAX_MEMBERS; n <= GA_ITEM_MAX_MEMBERS + 1; n++) {
        p = s;
        p += sprintf(p, "%s[", head);

        /* the type and "a" are 2, the array's elements n - 2 */

        for (i = 0; i < n - 2; i++) {
            p += sprintf(p, i ? ",%zu" : "%zu", i % 10);
        }

        p += sprintf(p, "]}");

        is_int(judge_lim(s, p - s, NULL, &it),
               n <= GA_ITEM_MAX_MEMBERS ? GA_ITEM_OK
                                        : GA_ITEM_ERR_TOO_MANY_MEMBERS,
               "%zu members", n);
        ga_item_free(&it);
    }

    p = s;
    p += sprintf(p, "%s[0", head);

    for (i = 0; i < GA_ITEM_MAX_MEMBERS; i++) {
        p += sprintf(p, ",[]");
    }

    p += sprintf(p, "]}");

    is_int(judge_lim(s, p - s, NULL, &it), GA_ITEM_ERR_TOO_MANY_MEMBERS,
           "10003 members");
    ga_item_free(&it);

    /* one object of many members: sorted, not compared pairwise */

    p = s;
    p += sprintf(p, "%s{", head);

    for (i = 0; i < GA_ITEM_MAX_MEMBERS - 1; i++) {
        p += sprintf(p, i ? ",\"k%zu\":%zu" : "\"k%zu\":%zu", i, i);
    }

    p += sprintf(p, "}}");

    is_int(judge_lim(s, p - s, NULL, &it), GA_ITEM_ERR_TOO_MANY_MEMBERS,
           "an object of 9999 members: 10001 in all");
    ga_item_free(&it);

    p = s;
    p += sprintf(p, "%s{", head);

    for (i = 0; i < GA_ITEM_MAX_MEMBERS - 3; i++) {
        p += sprintf(p, i ? ",\"k%zu\":%zu" : "\"k%zu\":%zu", i, i);
    }

    p += sprintf(p, ",\"K4321\":0}}");

    is_int(judge_lim(s, p - s, NULL, &it), GA_ITEM_ERR_DUPLICATE,
           "a duplicate among 9998 members");
    ga_item_free(&it);

    lim.max_depth = GA_ITEM_MAX_DEPTH;
    lim.max_members = 3;

    is_int(judge_lim("{\"@odata.type\":\"#microsoft.graph.message\","
                     "\"a\":[1,2]}", 52, &lim, &it),
           GA_ITEM_ERR_TOO_MANY_MEMBERS, "4 members of 3");
    ga_item_free(&it);
    is_int(judge_lim("{\"@odata.type\":\"#microsoft.graph.message\","
                     "\"a\":[1]}", 50, &lim, &it),
           GA_ITEM_OK, "3 members of 3");
    ga_item_free(&it);

    /* the size, as sent */

    lim.max_members = GA_ITEM_MAX_MEMBERS;
    lim.max_size = 100;

    p = s;
    p += sprintf(p, "%s\"", head);
    n = 100 - (p - s) - 2;
    memset(p, 'x', n);
    p += n;
    p += sprintf(p, "\"}");

    is_int(judge_lim(s, p - s, &lim, &it), GA_ITEM_OK, "100 bytes of 100");
    ga_item_free(&it);
    is_int(judge_lim(s, p - s + 1, &lim, &it), GA_ITEM_ERR_TOO_LARGE,
           "101 bytes of 100 (even if the last is not JSON)");
    ga_item_free(&it);

    /* ... and re-serialised: 1e14 prints as 15 digits */

    p = s;
    p += sprintf(p, "%s[1e14,1e14,1e14,1e14]}", head);

    is_int(judge_lim(s, p - s, &lim, &it), GA_ITEM_ERR_TOO_LARGE,
           "%zu bytes sent, more than 100 printed", (size_t) (p - s));
    ga_item_free(&it);

    /* the default size and what passes it */

    n = GA_ITEM_MAX_SIZE;
    p = s;
    p += sprintf(p, "%s\"", head);
    memset(p, 'y', n - (p - s) - 2);
    p = s + n - 2;
    p += sprintf(p, "\"}");

    is_int(judge_lim(s, n, NULL, &it), GA_ITEM_OK, "1m of 1m, by default");
    is_int(it.json_len, n, "... printed as long");
    ga_item_free(&it);

    s[n] = ' ';
    is_int(judge_lim(s, n + 1, NULL, &it), GA_ITEM_ERR_TOO_LARGE,
           "1m + 1 byte");
    ga_item_free(&it);

    free(s);
}


static void
bodies(void)
{
    u_char     *buf, *end;
    size_t      len;
    cJSON      *j, *v;
    ga_item_t   it;

    static const char  item[] =
        "{\"@odata.type\":\"#microsoft.graph.message\",\"subject\":\"Hi\"}";

    static const char  body[] =
        "{\"@odata.type\":\"#microsoft.graph.itemAttachment\","
        "\"name\":\"Hi\",\"item\":"
        "{\"@odata.type\":\"#microsoft.graph.message\",\"subject\":\"Hi\"}}";

    if (!is_int(judge(item, &it), GA_ITEM_OK, "body: judged")) {
        return;
    }

    len = ga_item_body_len(&it, it.name, it.name_len);
    buf = malloc(len);
    end = ga_item_body(buf, &it, it.name, it.name_len);

    is_int(end - buf, len, "body: the length it said");
    is_mem(buf, len, body, sizeof(body) - 1, "body: as Graph takes it");
    free(buf);

    /* the "name" field's name, escaped */

    len = ga_item_body_len(&it, S("a \"q\" \\ \xe2\x80\xa8 \x01"));
    buf = malloc(len);
    end = ga_item_body(buf, &it, S("a \"q\" \\ \xe2\x80\xa8 \x01"));

    is_int(end - buf, len, "body with a name to escape: its length");

    j = cJSON_ParseWithLength((const char *) buf, len);
    ok(j != NULL, "... parses");

    v = cJSON_GetObjectItemCaseSensitive(j, "name");
    ok(cJSON_IsString(v)
       && strcmp(v->valuestring, "a \"q\" \\ \xe2\x80\xa8 \x01") == 0,
       "... the name reads back");

    v = cJSON_GetObjectItemCaseSensitive(j, "@odata.type");
    ok(cJSON_IsString(v)
       && strcmp(v->valuestring, "#microsoft.graph.itemAttachment") == 0,
       "... an itemAttachment");

    v = cJSON_GetObjectItemCaseSensitive(j, "item");
    v = cJSON_GetObjectItemCaseSensitive(v, "subject");
    ok(cJSON_IsString(v) && strcmp(v->valuestring, "Hi") == 0,
       "... its item");

    cJSON_Delete(j);
    free(buf);

    ga_item_free(&it);
    ga_item_free(&it);
    ok(it.json == NULL, "freed twice: harmless");
}


static void
errors(void)
{
    int                rc;
    const ga_error_t  *e;

    for (rc = GA_ITEM_ERR_EMPTY; rc >= GA_ITEM_ERR_UNKNOWN_TYPE; rc--) {
        e = ga_error(ga_item_error(rc));

        ok(e->status == 400 && strcmp(e->code, "InvalidItem") == 0,
           "refusal %d: 400 InvalidItem (%s)", rc, e->message);
    }

    is_int(ga_item_error(GA_ITEM_ERR_MEMORY), GA_ERR_OUT_OF_MEMORY,
           "out of memory: the gateway's 500");
    is_int(ga_item_error(GA_ITEM_OK), GA_ERR_NONE, "ok: no error");

    ok(ga_item_error(GA_ITEM_ERR_SYNTAX) != ga_item_error(GA_ITEM_ERR_COMMENT)
       && ga_item_error(GA_ITEM_ERR_DUPLICATE)
          != ga_item_error(GA_ITEM_ERR_NO_TYPE),
       "each refusal says what");
}


int
main(void)
{
    kinds();
    names();
    reserialised();
    refusals();
    limits();
    bodies();
    errors();

    return done_testing();
}
