
/*
 * Copyright (C) graph-attach authors
 */


/*
 * ga_json_strip: every input is fed whole, one byte at a time, split in two
 * at every offset, in three at every pair of offsets (short inputs), and
 * in random pieces; each piece and the output buffer are malloc()ed to
 * their exact size, so ASan sees any access past them.  Every way must
 * give the same code and output.  A valid input's output must be the
 * expected text, parse again with cJSON without the key at depth 1, equal
 * cJSON's reading of the input with the key deleted, fit an out_size of
 * its length exactly and fail with one byte less.  The output is never
 * longer than the input (whitespace goes, a comma is only written for one
 * read), so an out_size of the input's length is enough for every case.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ga_json_strip.h"
#include "tap.h"


#define KEY  "contentBytes"


typedef struct {
    const char  *key;
    size_t       key_len;
    const char  *in;
    size_t       in_len;
    const char  *out;          /* NULL: an error is expected */
    int          rc;
    int          cjson;        /* cJSON reads it (no lone surrogate) */
} case_t;


static uint32_t  rng_state = 2463534242u;


static uint32_t
rng(void)
{
    /* xorshift32: reproducible, no libc state */

    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;

    return rng_state;
}


/* feeds a copy of exactly n bytes, so that ASan sees a read past them */

static int
feed(ga_json_strip_t *s, const u_char *p, size_t n)
{
    int      rc;
    u_char  *copy;

    copy = malloc(n ? n : 1);
    memcpy(copy, p, n);
    rc = ga_json_strip_feed(s, n ? copy : NULL, n);
    free(copy);

    return rc;
}


/*
 * Strips in pieces ending at cuts[0] < cuts[1] < ... (the last is len);
 * the output, if OK, is malloc()ed in *out.
 */

static int
strip(const case_t *c, const size_t *cuts, size_t ncuts, size_t out_size,
    u_char **out, size_t *out_len)
{
    int              rc;
    size_t           i, from;
    u_char          *buf;
    ga_json_strip_t  s;

    buf = malloc(out_size ? out_size : 1);
    ga_json_strip_init(&s, (const u_char *) c->key, c->key_len, buf,
                       out_size);

    rc = GA_JSON_STRIP_OK;
    from = 0;

    for (i = 0; i < ncuts; i++) {
        rc = feed(&s, (const u_char *) c->in + from, cuts[i] - from);
        from = cuts[i];

        if (rc != GA_JSON_STRIP_OK) {
            break;
        }
    }

    if (rc == GA_JSON_STRIP_OK) {
        rc = ga_json_strip_finish(&s, out_len);

    } else if (ga_json_strip_feed(&s, (const u_char *) "}", 1) != rc
               || ga_json_strip_finish(&s, out_len) != rc)
    {
        rc = 99;    /* an error must stick */
    }

    if (rc != GA_JSON_STRIP_OK) {
        free(buf);
        *out = NULL;
        *out_len = 0;
        return rc;
    }

    *out = buf;

    return rc;
}


/* same code and output as the whole input gave */

static int
same(const case_t *c, const size_t *cuts, size_t ncuts, int rc0,
    const u_char *out0, size_t len0)
{
    int      rc, r;
    size_t   len;
    u_char  *out;

    rc = strip(c, cuts, ncuts, c->in_len, &out, &len);

    r = (rc == rc0 && len == len0
         && (len == 0 || memcmp(out, out0, len) == 0));

    free(out);

    return r;
}


/* the output has no member named key at depth 1; cJSON names end at NUL */

static int
has_key(const cJSON *o, const case_t *c)
{
    const cJSON  *i;

    for (i = o->child; i; i = i->next) {
        if (strlen(i->string) == c->key_len
            && memcmp(i->string, c->key, c->key_len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * Duplicate names in any object: cJSON_Compare() looks each name up in
 * the other object and finds the first, so it finds {"a":1,"a":2} unequal
 * to itself; and cJSON_DeleteItemFromObjectCaseSensitive() deletes the
 * first only.
 */

static int
has_duplicates(const cJSON *o)
{
    const cJSON  *i, *j;

    for (i = o->child; i; i = i->next) {

        if (cJSON_IsObject(o)) {
            for (j = i->next; j; j = j->next) {
                if (strcmp(i->string, j->string) == 0) {
                    return 1;
                }
            }
        }

        if (has_duplicates(i)) {
            return 1;
        }
    }

    return 0;
}


static cJSON *
parse(const u_char *p, size_t len)
{
    char   *z;
    cJSON  *j;

    z = malloc(len + 1);
    memcpy(z, p, len);
    z[len] = '\0';

    /* the NUL counted in: cJSON then checks nothing follows the value */

    j = cJSON_ParseWithLengthOpts(z, len + 1, NULL, 1);
    free(z);

    return j;
}


/* the output, read by cJSON, is the input without the key at depth 1 */

static int
cjson_agrees(const case_t *c, const u_char *out, size_t len)
{
    int     r;
    char   *k;
    cJSON  *in, *o;

    o = parse(out, len);

    if (o == NULL || !cJSON_IsObject(o) || has_key(o, c)) {
        cJSON_Delete(o);
        return 0;
    }

    in = parse((const u_char *) c->in, c->in_len);

    if (in == NULL) {
        cJSON_Delete(o);
        return 0;
    }

    r = 1;

    if (!has_duplicates(in) && memchr(c->key, '\0', c->key_len) == NULL) {
        k = malloc(c->key_len + 1);
        memcpy(k, c->key, c->key_len);
        k[c->key_len] = '\0';

        cJSON_DeleteItemFromObjectCaseSensitive(in, k);
        r = cJSON_Compare(in, o, 1);

        free(k);
    }

    cJSON_Delete(in);
    cJSON_Delete(o);

    return r;
}


static void
check(const case_t *c, const char *name)
{
    int      rc0, rc, bad;
    size_t   i, j, n, len0, len, cuts[64];
    u_char  *out0, *out;

    n = c->in_len;

    cuts[0] = n;
    rc0 = strip(c, cuts, 1, n, &out0, &len0);

    if (c->out) {
        if (!is_int(rc0, GA_JSON_STRIP_OK, "%s: whole", name)
            || !is_mem(out0, len0, c->out, strlen(c->out), "%s: output", name))
        {
            free(out0);
            return;
        }

    } else if (!is_int(rc0, c->rc, "%s: whole fails", name)) {
        free(out0);
        return;
    }

    /* one byte at a time */

    bad = 0;

    {
        ga_json_strip_t  s;
        u_char          *buf;

        buf = malloc(n ? n : 1);
        ga_json_strip_init(&s, (const u_char *) c->key, c->key_len, buf, n);
        rc = GA_JSON_STRIP_OK;

        for (i = 0; i < n && rc == GA_JSON_STRIP_OK; i++) {
            rc = feed(&s, (const u_char *) c->in + i, 1);
        }

        if (rc == GA_JSON_STRIP_OK) {
            rc = ga_json_strip_finish(&s, &len);

        } else {
            len = 0;
        }

        if (rc != rc0 || (rc == GA_JSON_STRIP_OK
                          && (len != len0 || memcmp(buf, out0, len) != 0)))
        {
            bad = 1;
        }

        free(buf);
    }

    ok(!bad, "%s: 1-byte pieces", name);

    /* in two at every offset, empty pieces included */

    bad = 0;

    for (i = 0; i <= n; i++) {
        cuts[0] = i;
        cuts[1] = n;

        if (!same(c, cuts, 2, rc0, out0, len0)) {
            diag("%s: split at %zu differs", name, i);
            bad++;
        }
    }

    ok(bad == 0, "%s: split in two at every offset", name);

    if (n <= 160) {
        bad = 0;

        for (i = 0; i <= n; i++) {
            for (j = i; j <= n; j++) {
                cuts[0] = i;
                cuts[1] = j;
                cuts[2] = n;

                if (!same(c, cuts, 3, rc0, out0, len0)) {
                    bad++;
                }
            }
        }

        ok(bad == 0, "%s: split in three at every pair of offsets", name);
    }

    bad = 0;

    for (j = 0; j < 50; j++) {
        size_t  k, at;

        k = 0;
        at = 0;

        while (at < n && k < 63) {
            at += rng() % 8;
            cuts[k++] = at < n ? at : n;
        }

        cuts[k++] = n;

        if (!same(c, cuts, k, rc0, out0, len0)) {
            bad++;
        }
    }

    ok(bad == 0, "%s: 50 random splits", name);

    if (c->out == NULL) {
        return;
    }

    if (c->cjson) {
        ok(cjson_agrees(c, out0, len0), "%s: cJSON reads it, key gone",
           name);
    }

    /* out_size: the output's length fits, one byte less does not */

    cuts[0] = n;
    rc = strip(c, cuts, 1, len0, &out, &len);
    ok(rc == GA_JSON_STRIP_OK && len == len0
       && memcmp(out, out0, len) == 0, "%s: out_size %zu fits", name, len0);
    free(out);

    /* every shorter out_size, so that the last byte written is anywhere */

    bad = 0;

    for (i = 0; i < len0; i++) {
        if (strip(c, cuts, 1, i, &out, &len) != GA_JSON_STRIP_ERR_TOO_LONG) {
            diag("%s: out_size %zu", name, i);
            bad++;
        }

        free(out);
    }

    ok(bad == 0, "%s: every out_size below %zu is too long", name, len0);

    free(out0);
}


#define OK(in, out)                                                          \
    { KEY, sizeof(KEY) - 1, in, sizeof(in) - 1, out, 0, 1 }
#define OK_KEY(key, in, out, cjson)                                          \
    { key, sizeof(key) - 1, in, sizeof(in) - 1, out, 0, cjson }
#define BAD(in)                                                              \
    { KEY, sizeof(KEY) - 1, in, sizeof(in) - 1, NULL,                        \
      GA_JSON_STRIP_ERR_SYNTAX, 0 }


static const case_t  valid[] = {

    /* Graph's answer, contentBytes last, first, in the middle */

    OK("{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#"
       "users('a')/messages('b')/attachments/$entity\",\"@odata.type\":"
       "\"#microsoft.graph.fileAttachment\",\"@odata.mediaContentType\":"
       "\"application/pdf\",\"id\":\"AAMkAGI2TG93AAA=\","
       "\"lastModifiedDateTime\":\"2026-01-02T03:04:05Z\",\"name\":\"a.pdf\","
       "\"contentType\":\"application/pdf\",\"size\":123,\"isInline\":false,"
       "\"contentId\":null,\"contentLocation\":null,\"contentBytes\":"
       "\"JVBERi0xLjQK\"}",
       "{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#"
       "users('a')/messages('b')/attachments/$entity\",\"@odata.type\":"
       "\"#microsoft.graph.fileAttachment\",\"@odata.mediaContentType\":"
       "\"application/pdf\",\"id\":\"AAMkAGI2TG93AAA=\","
       "\"lastModifiedDateTime\":\"2026-01-02T03:04:05Z\",\"name\":\"a.pdf\","
       "\"contentType\":\"application/pdf\",\"size\":123,\"isInline\":false,"
       "\"contentId\":null,\"contentLocation\":null}"),
    OK("{\"contentBytes\":\"JVBERi0x\",\"id\":\"AAMk=\",\"size\":12}",
       "{\"id\":\"AAMk=\",\"size\":12}"),
    OK("{\"a\":1,\"contentBytes\":\"x\",\"b\":2}", "{\"a\":1,\"b\":2}"),
    OK("{\"contentBytes\":\"x\",\"b\":2}", "{\"b\":2}"),
    OK("{\"a\":1,\"contentBytes\":\"x\"}", "{\"a\":1}"),
    OK("{\"contentBytes\":\"x\"}", "{}"),
    OK("{}", "{}"),
    OK("{\"a\":1}", "{\"a\":1}"),

    /* several such members */

    OK("{\"contentBytes\":\"x\",\"a\":1,\"contentBytes\":\"y\"}",
       "{\"a\":1}"),
    OK("{\"a\":1,\"contentBytes\":\"x\",\"contentBytes\":\"y\",\"b\":2}",
       "{\"a\":1,\"b\":2}"),
    OK("{\"contentBytes\":1,\"contentBytes\":2,\"contentBytes\":3}", "{}"),
    OK("{\"a\":1,\"contentBytes\":2,\"b\":3,\"contentBytes\":4,\"c\":5}",
       "{\"a\":1,\"b\":3,\"c\":5}"),
    OK("{\"a\":1,\"a\":2,\"contentBytes\":3}", "{\"a\":1,\"a\":2}"),

    /* the same name deeper down is kept */

    OK("{\"a\":{\"contentBytes\":\"x\"},\"b\":[{\"contentBytes\":1}],"
       "\"contentBytes\":\"z\",\"c\":{\"d\":{\"contentBytes\":[]}}}",
       "{\"a\":{\"contentBytes\":\"x\"},\"b\":[{\"contentBytes\":1}],"
       "\"c\":{\"d\":{\"contentBytes\":[]}}}"),
    OK("{\"a\":[\"contentBytes\",{\"contentBytes\":\"contentBytes\"}]}",
       "{\"a\":[\"contentBytes\",{\"contentBytes\":\"contentBytes\"}]}"),
    OK("{\"a\":\"contentBytes\",\"b\":\"\\\"contentBytes\\\":1\"}",
       "{\"a\":\"contentBytes\",\"b\":\"\\\"contentBytes\\\":1\"}"),
    OK("{\"contentBytes\":{\"contentBytes\":{\"contentBytes\":1}},\"a\":2}",
       "{\"a\":2}"),

    /* keys written with escapes */

    OK("{\"content\\u0042ytes\":\"x\",\"b\":1}", "{\"b\":1}"),
    OK("{\"\\u0063ontentBytes\":\"x\",\"b\":1}", "{\"b\":1}"),
    OK("{\"b\":1,\"\\u0063\\u006f\\u006E\\u0074\\u0065\\u006e\\u0074\\u0042"
       "\\u0079\\u0074\\u0065\\u0073\":\"x\"}", "{\"b\":1}"),
    OK("{\"contentByte\\u0073\":1,\"content\\/Bytes\":2}",
       "{\"content\\/Bytes\":2}"),
    OK("{\"content\\u0062ytes\":1}", "{\"content\\u0062ytes\":1}"),
    OK("{\"contentbytes\":1,\"ContentBytes\":2,\"contentBytesX\":3,"
       "\"contentByte\":4,\"\":5,\" contentBytes\":6,\"contentBytes \":7}",
       "{\"contentbytes\":1,\"ContentBytes\":2,\"contentBytesX\":3,"
       "\"contentByte\":4,\"\":5,\" contentBytes\":6,\"contentBytes \":7}"),
    /* cJSON ends its names at a NUL: it takes the first for the key */

    OK_KEY(KEY, "{\"contentBytes\\u0000\":1,\"contentBytes\\n\":2}",
           "{\"contentBytes\\u0000\":1,\"contentBytes\\n\":2}", 0),
    OK("{\"a\\\"b\":1,\"contentBytes\":2,\"c\\\\\":3}",
       "{\"a\\\"b\":1,\"c\\\\\":3}"),

    /* escapes inside the value */

    OK("{\"contentBytes\":\"a\\\"b\\\\\",\"b\":\"\\\\\"}",
       "{\"b\":\"\\\\\"}"),
    OK("{\"contentBytes\":\"\\\\\\\"}\\\"\",\"b\":1}", "{\"b\":1}"),
    OK("{\"contentBytes\":\"\\\\\",\"b\":\"\\\"\"}", "{\"b\":\"\\\"\"}"),
    OK("{\"contentBytes\":\"\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\\"\","
       "\"b\":\"\\u00E9\\uD83D\\uDE00\\/\\b\\f\\n\\r\\t\"}",
       "{\"b\":\"\\u00E9\\uD83D\\uDE00\\/\\b\\f\\n\\r\\t\"}"),
    OK("{\"contentBytes\":\"JVBE\\/Ri0x\\/\",\"a\":\"\xc3\xa9\xe2\x80\xa8\"}",
       "{\"a\":\"\xc3\xa9\xe2\x80\xa8\"}"),
    OK("{\"a\":\"\x7f\xff\x80 ~\",\"contentBytes\":\"\x7f\xff\"}",
       "{\"a\":\"\x7f\xff\x80 ~\"}"),
    OK("{\"contentBytes\":\"}]{[,:\",\"a\":\"}]{[,:\"}",
       "{\"a\":\"}]{[,:\"}"),

    /* values of every type, removed and kept */

    OK("{\"contentBytes\":123,\"a\":-0.5e+10}", "{\"a\":-0.5e+10}"),
    OK("{\"contentBytes\":0,\"a\":0}", "{\"a\":0}"),
    OK("{\"contentBytes\":-0,\"a\":-0.0}", "{\"a\":-0.0}"),
    OK("{\"contentBytes\":1E5,\"a\":1e-5,\"b\":12.50E+03,\"c\":10}",
       "{\"a\":1e-5,\"b\":12.50E+03,\"c\":10}"),
    OK("{\"contentBytes\":true,\"a\":true}", "{\"a\":true}"),
    OK("{\"contentBytes\":false,\"a\":false}", "{\"a\":false}"),
    OK("{\"contentBytes\":null,\"a\":null}", "{\"a\":null}"),
    OK("{\"contentBytes\":{},\"a\":{}}", "{\"a\":{}}"),
    OK("{\"contentBytes\":[],\"a\":[]}", "{\"a\":[]}"),
    OK("{\"contentBytes\":\"\",\"a\":\"\"}", "{\"a\":\"\"}"),
    OK("{\"contentBytes\":[[[]],{\"x\":[1,{\"y\":null}]},\"s\",-1.5,true],"
       "\"a\":[[[]],{\"x\":[1,{\"y\":null}]},\"s\",-1.5,true]}",
       "{\"a\":[[[]],{\"x\":[1,{\"y\":null}]},\"s\",-1.5,true]}"),
    OK("{\"a\":123,\"contentBytes\":456}", "{\"a\":123}"),
    OK("{\"a\":[1,2],\"contentBytes\":[3,4]}", "{\"a\":[1,2]}"),

    /* whitespace everywhere: dropped outside strings */

    OK(" \t\r\n{ \"a\" : 1 , \"contentBytes\" : [ 1 , 2 ] , \"b\" : { } ,"
       " \"c\" : [ ] , \"d\" : \" x y \" , \"e\" : { \"f\" : null } } \n\t",
       "{\"a\":1,\"b\":{},\"c\":[],\"d\":\" x y \",\"e\":{\"f\":null}}"),
    OK("{\n  \"contentBytes\"\n:\n\"x\"\n,\n\"a\"\n:\ntrue\n}\r\n",
       "{\"a\":true}"),
    OK("{ }", "{}"),
    OK("{\"a\":[ ],\"b\":[ 1 ]}", "{\"a\":[],\"b\":[1]}"),

    /* other keys: non-ASCII, surrogate pairs, NUL, empty, long */

    OK_KEY("\xc3\xa9", "{\"\\u00e9\":1,\"\\u00E9\":2,\"\xc3\xa9\":3,"
           "\"e\":4,\"\\u00e8\":5}", "{\"e\":4,\"\\u00e8\":5}", 1),
    OK_KEY("\xf0\x9f\x98\x80", "{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2,"
           "\"\\ud83d\\ude01\":3}", "{\"\\ud83d\\ude01\":3}", 1),
    OK_KEY("\xf0\x9f\x98\x80", "{\"\\ud83d\":2,\"\\ude00\":3,"
           "\"\\ud83d\\u0041\":4,\"\\ud83dA\":5,\"\\ude00\\ud83d\":6,"
           "\"\\ud83d\\n\":7,\"\\ud83d\\ude00\":8}",
           "{\"\\ud83d\":2,\"\\ude00\":3,\"\\ud83d\\u0041\":4,\"\\ud83dA\":5,"
           "\"\\ude00\\ud83d\":6,\"\\ud83d\\n\":7}", 0),
    OK_KEY("A\xf0\x9f\x98\x80",
           "{\"\\ud83dA\\ude00\":1,\"A\\ud83d\\ude00\":2}",
           "{\"\\ud83dA\\ude00\":1}", 0),
    OK_KEY("A", "{\"A\\ud83d\":1,\"A\":2}", "{\"A\\ud83d\":1}", 0),
    OK_KEY("\xe2\x82\xac", "{\"\\u20ac\":1,\"\\u20AC\":2,\"\\u20ad\":3}",
           "{\"\\u20ad\":3}", 1),
    OK_KEY("a\0b", "{\"a\\u0000b\":1,\"a\":2,\"ab\":3}", "{\"a\":2,\"ab\":3}",
           1),
    OK_KEY("", "{\"\":1,\"a\":2,\"\":3}", "{\"a\":2}", 1),
    OK_KEY("\"\\/\b\f\n\r\t", "{\"\\\"\\\\\\/\\b\\f\\n\\r\\t\":1,\"x\":2}",
           "{\"x\":2}", 1),
    OK_KEY("\"\\/\b\f\n\r\t", "{\"\\u0022\\u005c/\\u0008\\u000c\\u000a"
           "\\u000d\\u0009\":1}", "{}", 1),
};


static const case_t  invalid[] = {
    BAD(""),
    BAD("   \r\n"),
    BAD("[]"),
    BAD("[{\"contentBytes\":1}]"),
    BAD("\"contentBytes\""),
    BAD("1"),
    BAD("null"),
    BAD("{"),
    BAD("{\"a\""),
    BAD("{\"a\":"),
    BAD("{\"a\":1"),
    BAD("{\"a\":1,"),
    BAD("{\"a\":1,}"),
    BAD("{,}"),
    BAD("{,\"a\":1}"),
    BAD("{\"a\":1,,\"b\":2}"),
    BAD("{\"a\" 1}"),
    BAD("{\"a\"::1}"),
    BAD("{\"a\":1 \"b\":2}"),
    BAD("{\"a\":1}x"),
    BAD("{\"a\":1}{}"),
    BAD("{\"a\":1} ,"),
    BAD("{\"a\":1}}"),
    BAD("{\"a\":1}\0"),
    BAD("{}[]"),
    BAD("{1:2}"),
    BAD("{'a':1}"),
    BAD("{a:1}"),
    BAD("{\"a\":'x'}"),
    BAD("\xef\xbb\xbf{}"),

    /* strings */

    BAD("{\"a\":\"x}"),
    BAD("{\"contentBytes\":\"JVBERi0x"),
    BAD("{\"contentBytes\":\"JVBERi0x\\\"}"),
    BAD("{\"contentBytes\":\"JVBERi0x\\"),
    BAD("{\"contentBytes"),
    BAD("{\"contentBytes\\\":1}"),
    BAD("{\"a\":\"\\x\"}"),
    BAD("{\"a\":\"\\U0041\"}"),
    BAD("{\"a\":\"\\u12G4\"}"),
    BAD("{\"a\":\"\\u123\"}"),
    BAD("{\"a\":\"\\u\"}"),
    BAD("{\"a\":\"\\'\"}"),
    BAD("{\"a\":\"\x01\"}"),
    BAD("{\"a\":\"\t\"}"),
    BAD("{\"a\":\"\n\"}"),
    BAD("{\"a\":\"\0\"}"),
    BAD("{\"a\x1f\":1}"),
    BAD("{\"a\":\"x\x1f\"}"),
    BAD("{\"a\":{\"b\x1f\":1}}"),
    BAD("{\"contentBytes\":\"JVBE\x1fRi0x\"}"),
    BAD("{\"contentBytes\":\"\x01\"}"),
    BAD("{\"content\\u004\":1}"),
    BAD("{\"contentBytes\":\"\\uZZZZ\"}"),

    /* numbers */

    BAD("{\"a\":01}"),
    BAD("{\"a\":-01}"),
    BAD("{\"a\":00}"),
    BAD("{\"a\":-}"),
    BAD("{\"a\":- 1}"),
    BAD("{\"a\":1.}"),
    BAD("{\"a\":.5}"),
    BAD("{\"a\":1.e5}"),
    BAD("{\"a\":1e}"),
    BAD("{\"a\":1e+}"),
    BAD("{\"a\":1e-}"),
    BAD("{\"a\":1e+-1}"),
    BAD("{\"a\":+1}"),
    BAD("{\"a\":1x}"),
    BAD("{\"a\":0x10}"),
    BAD("{\"a\":1.5.5}"),
    BAD("{\"a\":NaN}"),
    BAD("{\"a\":Infinity}"),
    BAD("{\"a\":-Infinity}"),
    BAD("{\"contentBytes\":01}"),
    BAD("{\"contentBytes\":1.}"),

    /* literals */

    BAD("{\"a\":tru}"),
    BAD("{\"a\":truex}"),
    BAD("{\"a\":True}"),
    BAD("{\"a\":nul}"),
    BAD("{\"a\":nulll}"),
    BAD("{\"a\":fals}"),
    BAD("{\"a\":undefined}"),
    BAD("{\"contentBytes\":t}"),

    /* nesting */

    BAD("{\"a\":[1,]}"),
    BAD("{\"a\":[,1]}"),
    BAD("{\"a\":[1 2]}"),
    BAD("{\"a\":[1:2]}"),
    BAD("{\"a\":{\"b\"}}"),
    BAD("{\"a\":{\"b\":}}"),
    BAD("{\"a\":1]"),
    BAD("{\"a\":[1}}"),
    BAD("{\"a\":{]}"),
    BAD("{\"a\":[}"),
    BAD("{\"a\":[[]]]}"),
    BAD("{\"a\":{}}}"),
    BAD("{\"contentBytes\":[1,]}"),
    BAD("{\"contentBytes\":{\"a\"}}"),
    BAD("{\"contentBytes\":[1}"),
    BAD("{\"contentBytes\":[[[1]]"),
};


static void
cases(void)
{
    size_t  i;
    char    name[64];

    for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        snprintf(name, sizeof(name), "valid %zu", i);
        check(&valid[i], name);
    }

    for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        snprintf(name, sizeof(name), "invalid %zu", i);
        check(&invalid[i], name);
    }
}


/*
 * Nesting: the object is depth 1, so 63 arrays inside it are the deepest
 * allowed, 64 too deep; inside a removed member as well.
 */

static void
depth(void)
{
    size_t  i, n, k;
    char    in[512], exp[512], name[64];
    case_t  c;

    c.key = KEY;
    c.key_len = sizeof(KEY) - 1;
    c.cjson = 1;

    for (k = 0; k < 4; k++) {
        n = GA_JSON_STRIP_DEPTH_MAX - 1 + (k & 1);

        if (k < 2) {
            i = (size_t) snprintf(in, sizeof(in), "{\"a\":");

        } else {
            i = (size_t) snprintf(in, sizeof(in), "{\"a\":0,\"%s\":", KEY);
            n--;    /* and an object at the bottom */
        }

        memset(in + i, '[', n);
        i += n;

        if (k >= 2) {
            memcpy(in + i, "{}", 2);
            i += 2;
        }

        memset(in + i, ']', n);
        i += n;
        memcpy(in + i, "}", 2);

        if (k < 2) {
            memcpy(exp, in, i + 2);

        } else {
            snprintf(exp, sizeof(exp), "{\"a\":0}");
        }

        c.in = in;
        c.in_len = strlen(in);
        c.out = (k & 1) ? NULL : exp;
        c.rc = (k & 1) ? GA_JSON_STRIP_ERR_SYNTAX : GA_JSON_STRIP_OK;

        snprintf(name, sizeof(name), "%s, %s",
                 (k & 1) ? "65 deep" : "64 deep",
                 (k < 2) ? "kept" : "in contentBytes");
        check(&c, name);
    }
}


/*
 * A key kept of any length; a matching key of any length goes, and takes
 * no room in out even when out cannot hold it.
 */

static void
long_keys(void)
{
    size_t   n, len;
    char    *key, *in, *exp;
    u_char  *out;
    case_t   c;

    n = 3000;
    key = malloc(n + 1);
    memset(key, 'k', n);
    key[n] = '\0';

    in = malloc(2 * n + 64);
    exp = malloc(2 * n + 64);

    snprintf(in, 2 * n + 64, "{\"a\":1,\"%s\":2,\"%sk\":3}", key, key);
    snprintf(exp, 2 * n + 64, "{\"a\":1,\"%sk\":3}", key);

    c.key = key;
    c.key_len = n;
    c.in = in;
    c.in_len = strlen(in);
    c.out = exp;
    c.rc = 0;
    c.cjson = 1;

    check(&c, "a 3000-byte key");

    /* the 3000-byte key does not fit out, but goes: no error */

    c.out = "{\"a\":1}";
    snprintf(in, 2 * n + 64, "{\"a\":1,\"%s\":2}", key);
    c.in_len = strlen(in);

    check(&c, "a 3000-byte key removed, out_size 7");

    {
        size_t  cuts[1];

        cuts[0] = c.in_len;
        is_int(strip(&c, cuts, 1, 7, &out, &len), GA_JSON_STRIP_OK,
               "a removed key needs no room");
        free(out);
    }

    free(key);
    free(in);
    free(exp);
}


/* a Graph answer with megabytes of contentBytes, in random pieces */

static void
huge(void)
{
    int              rc;
    size_t           i, n, at, len, piece, total;
    u_char          *in, out[1024];
    ga_json_strip_t  s;

    static const char  head[] =
        "{\"@odata.type\":\"#microsoft.graph.fileAttachment\",\"id\":"
        "\"AAMkAGI2=\",\"name\":\"a.pdf\",\"contentBytes\":\"";
    static const char  tail[] = "\",\"size\":3932160,\"isInline\":false}";
    static const char  exp[] =
        "{\"@odata.type\":\"#microsoft.graph.fileAttachment\",\"id\":"
        "\"AAMkAGI2=\",\"name\":\"a.pdf\",\"size\":3932160,"
        "\"isInline\":false}";
    static const char  b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    n = 5 * 1024 * 1024;
    total = sizeof(head) - 1 + n + sizeof(tail) - 1;
    in = malloc(total);

    memcpy(in, head, sizeof(head) - 1);

    for (i = 0; i < n; i++) {

        /* some escapes too: \/ as some encoders write it, and \\ \" */

        if (i % 4099 == 0 && i + 2 < n) {
            in[sizeof(head) - 1 + i++] = '\\';
            in[sizeof(head) - 1 + i] = (i % 3 == 0) ? '/'
                                       : (i % 3 == 1) ? '\\' : '"';
            continue;
        }

        in[sizeof(head) - 1 + i] = b64[rng() % 64];
    }

    memcpy(in + sizeof(head) - 1 + n, tail, sizeof(tail) - 1);

    for (i = 0; i < 4; i++) {
        ga_json_strip_init(&s, (const u_char *) KEY, sizeof(KEY) - 1, out,
                           sizeof(exp) - 1);
        rc = GA_JSON_STRIP_OK;

        for (at = 0; at < total && rc == GA_JSON_STRIP_OK; at += piece) {
            piece = (i == 0) ? total : 1 + rng() % (i == 1 ? 16 : 65536);

            if (piece > total - at) {
                piece = total - at;
            }

            rc = feed(&s, in + at, piece);
        }

        if (rc == GA_JSON_STRIP_OK) {
            rc = ga_json_strip_finish(&s, &len);
        }

        if (is_int(rc, GA_JSON_STRIP_OK, "5 MB contentBytes, pass %zu", i)) {
            is_mem(out, len, exp, sizeof(exp) - 1,
                   "5 MB contentBytes gone, out_size of the rest exactly");
        }
    }

    /* another key: the value is kept, and cannot fit */

    ga_json_strip_init(&s, (const u_char *) "name", 4, out, sizeof(out));
    is_int(ga_json_strip_feed(&s, in, total), GA_JSON_STRIP_ERR_TOO_LONG,
           "5 MB kept: too long for 1024 bytes");
    is_int(ga_json_strip_finish(&s, &len), GA_JSON_STRIP_ERR_TOO_LONG,
           "finish says it again");

    /* unterminated: the last quote and brace cut */

    ga_json_strip_init(&s, (const u_char *) KEY, sizeof(KEY) - 1, out,
                       sizeof(out));
    is_int(ga_json_strip_feed(&s, in, sizeof(head) - 1 + n),
           GA_JSON_STRIP_OK, "5 MB cut in its value: feed is fine");
    is_int(ga_json_strip_finish(&s, &len), GA_JSON_STRIP_ERR_SYNTAX,
           "finish sees it unterminated");

    free(in);
}


static void
api(void)
{
    size_t           len;
    u_char           out[16];
    ga_json_strip_t  s;

    ga_json_strip_init(&s, (const u_char *) KEY, sizeof(KEY) - 1, out,
                       sizeof(out));
    is_int(ga_json_strip_feed(&s, NULL, 0), GA_JSON_STRIP_OK,
           "an empty piece");
    is_int(ga_json_strip_finish(&s, &len), GA_JSON_STRIP_ERR_SYNTAX,
           "nothing at all is no object");

    ga_json_strip_init(&s, (const u_char *) KEY, sizeof(KEY) - 1, out,
                       sizeof(out));
    is_int(ga_json_strip_feed(&s, (const u_char *) "{\"a\":", 5),
           GA_JSON_STRIP_OK, "a piece");
    is_int(ga_json_strip_finish(&s, &len), GA_JSON_STRIP_ERR_SYNTAX,
           "finish in the middle");
    is_int(ga_json_strip_feed(&s, (const u_char *) "1}", 2),
           GA_JSON_STRIP_ERR_SYNTAX, "feed after a failed finish");

    ga_json_strip_init(&s, (const u_char *) KEY, sizeof(KEY) - 1, out, 0);
    is_int(ga_json_strip_feed(&s, (const u_char *) " ", 1), GA_JSON_STRIP_OK,
           "out_size 0: whitespace needs no room");
    is_int(ga_json_strip_feed(&s, (const u_char *) "{", 1),
           GA_JSON_STRIP_ERR_TOO_LONG, "out_size 0: '{' does not fit");

    ga_json_strip_init(&s, (const u_char *) KEY, sizeof(KEY) - 1, out,
                       sizeof(out));
    is_int(ga_json_strip_feed(&s, (const u_char *) "{}  ", 4),
           GA_JSON_STRIP_OK, "an object");
    is_int(ga_json_strip_finish(&s, &len), GA_JSON_STRIP_OK, "finish");
    is_mem(out, len, "{}", 2, "its output");
    is_int(ga_json_strip_finish(&s, &len), GA_JSON_STRIP_OK,
           "finish again");
}


int
main(void)
{
    cases();
    depth();
    long_keys();
    huge();
    api();

    return done_testing();
}
