
/*
 * Copyright (C) graph-attach authors
 */


/*
 * libFuzzer target for the item judge (src/ga_item.c): the whole input is
 * the "item" field, judged with the default limits and with small ones
 * taken from its first bytes.  The buffer is malloc()ed to its exact size.
 * Invariants, checked with abort():
 *   - never out of memory (libFuzzer's malloc does not fail);
 *   - what cJSON cannot parse is refused: the scan is the stricter;
 *   - an accepted item is re-serialised within max_size, in strict UTF-8,
 *     with a known kind and a name of 1 to GA_NAME_MAX bytes of UTF-8
 *     that ga_name_sanitize() leaves as it is;
 *   - the re-serialised item is accepted again, as the same kind with
 *     the same name, and prints the same: whatever Graph gets passes the
 *     strict judge (no duplicates, comments, NaN, lone surrogates);
 *   - the itemAttachment body fits its length and parses with cJSON to
 *     the itemAttachment type, the name and an object item.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ga_item.h"
#include "ga_name.h"
#include "ga_utf8.h"


static void
fuzz_body(const ga_item_t *it)
{
    u_char  *buf, *end;
    cJSON   *j, *v;
    size_t   len;

    len = ga_item_body_len(it, it->name, it->name_len);

    buf = malloc(len);
    end = ga_item_body(buf, it, it->name, it->name_len);

    if ((size_t) (end - buf) != len || !ga_utf8_valid(buf, len)) {
        abort();
    }

    j = cJSON_ParseWithLength((const char *) buf, len);
    if (j == NULL) {
        abort();
    }

    v = cJSON_GetObjectItemCaseSensitive(j, "@odata.type");
    if (!cJSON_IsString(v)
        || strcmp(v->valuestring, "#microsoft.graph.itemAttachment") != 0)
    {
        abort();
    }

    v = cJSON_GetObjectItemCaseSensitive(j, "name");
    if (!cJSON_IsString(v) || strlen(v->valuestring) != it->name_len
        || memcmp(v->valuestring, it->name, it->name_len) != 0)
    {
        abort();
    }

    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "item"))) {
        abort();
    }

    cJSON_Delete(j);
    free(buf);
}


static void
fuzz_judge(const u_char *p, size_t size, const ga_item_limits_t *lim)
{
    u_char         *again, name[GA_NAME_MAX];
    cJSON          *j;
    size_t          max_size;
    ga_item_t       it, it2;
    ga_item_err_e   rc;

    rc = ga_item_judge(p, size, lim, &it);

    if (rc == GA_ITEM_ERR_MEMORY) {
        abort();
    }

    if (rc != GA_ITEM_OK) {
        if (it.json != NULL || it.kind != GA_ITEM_NONE) {
            abort();
        }

        ga_item_free(&it);
        return;
    }

    j = cJSON_ParseWithLength((const char *) p, size);
    if (j == NULL) {
        abort();
    }

    cJSON_Delete(j);

    max_size = lim ? lim->max_size : GA_ITEM_MAX_SIZE;

    if (it.json == NULL || it.json_len == 0 || it.json_len > max_size
        || it.json[0] != '{' || !ga_utf8_valid(it.json, it.json_len)
        || memchr(it.json, '\0', it.json_len) != NULL
        || it.kind == GA_ITEM_NONE
        || it.name_len == 0 || it.name_len > GA_NAME_MAX
        || !ga_utf8_valid(it.name, it.name_len))
    {
        abort();
    }

    memcpy(name, it.name, it.name_len);

    if (ga_name_sanitize(name, it.name_len, name) != it.name_len
        || memcmp(name, it.name, it.name_len) != 0)
    {
        abort();
    }

    /* what Graph gets, judged again: its own copy, of its exact size */

    again = malloc(it.json_len);
    memcpy(again, it.json, it.json_len);

    if (ga_item_judge(again, it.json_len, lim, &it2) != GA_ITEM_OK
        || it2.kind != it.kind
        || it2.json_len != it.json_len
        || memcmp(it2.json, it.json, it.json_len) != 0
        || it2.name_len != it.name_len
        || memcmp(it2.name, it.name, it.name_len) != 0)
    {
        abort();
    }

    ga_item_free(&it2);
    free(again);

    fuzz_body(&it);

    ga_item_free(&it);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char            *p;
    ga_item_limits_t   lim;

    p = malloc(size ? size : 1);
    memcpy(p, data, size);

    fuzz_judge(p, size, NULL);

    /* small limits, so that each is reached by short inputs */

    if (size >= 2) {
        lim.max_size = 16 + data[0] * 4;
        lim.max_depth = 1 + (data[1] & 0x0f);
        lim.max_members = 1 + (data[1] >> 4) * 2;

        fuzz_judge(p, size, &lim);
    }

    free(p);

    return 0;
}
