
/*
 * Copyright (C) graph-attach authors
 */


/*
 * libFuzzer target for ga_json_strip (src/ga_json_strip.c):
 *
 *     clang -fsanitize=fuzzer,address,undefined -Isrc \
 *         fuzz/fuzz_json_strip.c src/ga_json_strip.c -lcjson
 *
 * The first 4 bytes choose: the key (byte 0, low bits), the piece sizes
 * of a split feed (bytes 1 to 3 seed them, byte 1 bounds them), and a
 * shorter out_size (byte 2); the rest is the input.  Every piece and
 * every output buffer is malloc()ed to its exact size.  Invariants,
 * checked with abort():
 *   - the split feed gives the code and output the whole feed gives;
 *   - an out_size of the input's length is enough: the output is never
 *     longer than the input;
 *   - when accepted: the output fits an out_size of its length and not
 *     one shorter; stripping the output again accepts it unchanged;
 *   - when accepted and cJSON reads the input too: cJSON reads the
 *     output, an object without the key at depth 1, and when the input
 *     has no duplicate names at depth 1, it equals the input read by
 *     cJSON with the key deleted.
 * cJSON is laxer (any byte <= 0x20 is whitespace, raw control characters
 * in strings) and stricter (lone surrogates, numbers past 63 bytes), so
 * neither rejection implies the other.  cJSON ends names at a \u0000:
 * inputs with one are compared only as far as that is sound; and its
 * cJSON_Compare() finds a number that overflows to inf unequal to itself.
 */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ga_json_strip.h"


#define HEAD  4


static const struct {
    const char  *data;
    size_t       len;
} keys[] = {
    { "contentBytes", 12 },
    { "ContentBytes", 12 },
    { "a", 1 },
    { "", 0 },
    { "\xc3\xa9", 2 },
    { "\xf0\x9f\x98\x80", 4 },
    { "a\0b", 3 },
    { "contentBytesX", 13 }
};


static uint32_t  rng_state;


static uint32_t
rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;

    return rng_state;
}


/*
 * Strips in pieces of 1 to max bytes (max 0: whole); *out is malloc()ed
 * and out_size bytes long, the caller frees it.
 */

static int
strip(const u_char *key, size_t key_len, const u_char *in, size_t n,
    size_t max, size_t out_size, u_char **out, size_t *out_len)
{
    int              rc;
    size_t           at, piece;
    u_char          *copy;
    ga_json_strip_t  s;

    *out = malloc(out_size ? out_size : 1);
    *out_len = 0;

    ga_json_strip_init(&s, key, key_len, *out, out_size);

    rc = GA_JSON_STRIP_OK;

    for (at = 0; at < n && rc == GA_JSON_STRIP_OK; at += piece) {
        piece = max ? 1 + rng() % max : n;

        if (piece > n - at) {
            piece = n - at;
        }

        copy = malloc(piece);
        memcpy(copy, in + at, piece);
        rc = ga_json_strip_feed(&s, copy, piece);
        free(copy);
    }

    if (rc == GA_JSON_STRIP_OK) {
        rc = ga_json_strip_finish(&s, out_len);

        if (rc == GA_JSON_STRIP_OK && *out_len > out_size) {
            abort();
        }

    } else if (ga_json_strip_finish(&s, out_len) != rc) {
        abort();
    }

    return rc;
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


/* cJSON_Compare() finds inf unequal to itself (inf - inf is NaN) */

static int
has_infinity(const cJSON *j)
{
    for ( /* void */ ; j; j = j->next) {
        if ((cJSON_IsNumber(j) && !isfinite(j->valuedouble))
            || has_infinity(j->child))
        {
            return 1;
        }
    }

    return 0;
}


static int
has_nul_escape(const u_char *p, size_t n)
{
    size_t  i;

    for (i = 0; i + 6 <= n; i++) {
        if (p[i] == '\\' && (p[i + 1] | 0x20) == 'u' && p[i + 2] == '0'
            && p[i + 3] == '0' && p[i + 4] == '0' && p[i + 5] == '0')
        {
            return 1;
        }
    }

    return 0;
}


static void
compare(const u_char *key, size_t key_len, const u_char *in, size_t n,
    const u_char *out, size_t len)
{
    int           nul;
    char          name[16];
    cJSON        *ji, *jo;
    const cJSON  *i;

    ji = parse(in, n);

    if (ji == NULL) {
        return;
    }

    jo = parse(out, len);

    if (jo == NULL || !cJSON_IsObject(jo) || !cJSON_IsObject(ji)) {
        abort();
    }

    nul = has_nul_escape(in, n) || memchr(key, '\0', key_len) != NULL;

    if (!nul) {
        for (i = jo->child; i; i = i->next) {
            if (strlen(i->string) == key_len
                && memcmp(i->string, key, key_len) == 0)
            {
                abort();
            }
        }

        if (!has_duplicates(ji) && !has_infinity(ji)) {
            memcpy(name, key, key_len);
            name[key_len] = '\0';

            cJSON_DeleteItemFromObjectCaseSensitive(ji, name);

            if (!cJSON_Compare(ji, jo, 1)) {
                abort();
            }
        }
    }

    cJSON_Delete(ji);
    cJSON_Delete(jo);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int            rc, rc2;
    size_t         n, k, max, len, len2, small;
    u_char        *out, *out2;
    const u_char  *in, *key;

    if (size < HEAD) {
        return 0;
    }

    k = data[0] % (sizeof(keys) / sizeof(keys[0]));
    key = (const u_char *) keys[k].data;
    in = data + HEAD;
    n = size - HEAD;

    rc = strip(key, keys[k].len, in, n, 0, n, &out, &len);

    if (rc == GA_JSON_STRIP_ERR_TOO_LONG) {
        abort();
    }

    /* pieces of 1 to 2^(0..7) bytes */

    rng_state = 1 + (data[1] | data[2] << 8 | (uint32_t) data[3] << 16);
    max = (size_t) 1 << (data[1] & 7);

    rc2 = strip(key, keys[k].len, in, n, max, n, &out2, &len2);

    if (rc2 != rc || len2 != len || memcmp(out2, out, len) != 0) {
        abort();
    }

    free(out2);

    if (rc != GA_JSON_STRIP_OK) {
        free(out);
        return 0;
    }

    if (strip(key, keys[k].len, in, n, max, len, &out2, &len2)
        != GA_JSON_STRIP_OK
        || len2 != len || memcmp(out2, out, len) != 0)
    {
        abort();
    }

    free(out2);

    if (len > 0) {
        small = data[2] % len;

        if (strip(key, keys[k].len, in, n, max, small, &out2, &len2)
            != GA_JSON_STRIP_ERR_TOO_LONG)
        {
            abort();
        }

        free(out2);
    }

    /* stripped once is stripped for good */

    if (strip(key, keys[k].len, out, len, 0, len, &out2, &len2)
        != GA_JSON_STRIP_OK
        || len2 != len || memcmp(out2, out, len) != 0)
    {
        abort();
    }

    free(out2);

    compare(key, keys[k].len, in, n, out, len);

    free(out);

    return 0;
}
