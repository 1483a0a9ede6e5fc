
/*
 * Copyright (C) graph-attach authors
 */


#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ga_ascii.h"
#include "ga_item.h"
#include "ga_json.h"
#include "ga_utf8.h"


#define GA_ITEM_BODY_HEAD                                                    \
    "{\"@odata.type\":\"#microsoft.graph.itemAttachment\",\"name\":\""
#define GA_ITEM_BODY_ITEM   "\",\"item\":"
#define GA_ITEM_BODY_TAIL   "}"

#define GA_ITEM_DEFAULT_NAME  "attachment"


#define ga_item_space(c)                                                     \
    ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')


typedef struct {
    const char      *type;
    ga_item_kind_e   kind;
    const char      *name;         /* the member that names the item */
} ga_item_type_t;


static ga_item_err_e ga_item_scan(const u_char *p, const u_char *last,
    unsigned max_depth, unsigned max_members, unsigned *members);
static ga_item_err_e ga_item_scan_string(const u_char **pp,
    const u_char *last);
static ga_item_err_e ga_item_scan_number(const u_char **pp,
    const u_char *last);
static int ga_item_hex4(const u_char *p, const u_char *last, unsigned *cp);
static const u_char *ga_item_skip(const u_char *p, const u_char *last);
static ga_item_err_e ga_item_check(const cJSON *node, const char **names);
static int ga_item_name_cmp(const void *a, const void *b);
static void ga_item_name(cJSON *item, const char *member, ga_item_t *out);


/* Graph takes the type with or without its leading '#' */

static const ga_item_type_t  ga_item_types[] = {
    { "#microsoft.graph.message", GA_ITEM_MESSAGE, "subject" },
    { "#microsoft.graph.event", GA_ITEM_EVENT, "subject" },
    { "#microsoft.graph.contact", GA_ITEM_CONTACT, "displayName" },
    { NULL, GA_ITEM_NONE, NULL }
};


ga_item_err_e
ga_item_judge(const u_char *json, size_t len, const ga_item_limits_t *lim,
    ga_item_t *out)
{
    char                  *printed;
    cJSON                 *item, *type;
    size_t                 max_size, n;
    unsigned               max_depth, max_members, members;
    const char           **names;
    ga_item_err_e          rc;
    const ga_item_type_t  *t;

    out->kind = GA_ITEM_NONE;
    out->json = NULL;
    out->json_len = 0;
    out->name_len = 0;

    max_size = lim ? lim->max_size : GA_ITEM_MAX_SIZE;
    max_depth = lim ? lim->max_depth : GA_ITEM_MAX_DEPTH;
    max_members = lim ? lim->max_members : GA_ITEM_MAX_MEMBERS;

    if (max_size > GA_ITEM_SIZE_LIMIT) {
        max_size = GA_ITEM_SIZE_LIMIT;
    }

    if (max_depth > GA_ITEM_DEPTH_LIMIT) {
        max_depth = GA_ITEM_DEPTH_LIMIT;
    }

    if (len > max_size) {
        return GA_ITEM_ERR_TOO_LARGE;
    }

    if (!ga_utf8_valid(json, len)) {
        return GA_ITEM_ERR_NOT_UTF8;
    }

    if (ga_item_skip(json, json + len) == json + len) {
        return GA_ITEM_ERR_EMPTY;
    }

    /*
     * The scan is the judge of the syntax: cJSON takes what RFC 8259
     * does not (bytes below 0x21 as whitespace, a BOM, "01", "1.", raw
     * control characters and invalid UTF-8 in strings) and turns some of
     * it into something else (\u0000 cuts a string, 1e999 prints as
     * null).  It also bounds the depth before cJSON recurses.
     */

    rc = ga_item_scan(json, json + len, max_depth, max_members, &members);
    if (rc != GA_ITEM_OK) {
        return rc;
    }

    if (*ga_item_skip(json, json + len) != '{') {
        return GA_ITEM_ERR_NOT_OBJECT;
    }

    item = cJSON_ParseWithLength((const char *) json, len);
    if (item == NULL) {
        /* the scan took it, so cJSON can only have run out of memory */
        return GA_ITEM_ERR_MEMORY;
    }

    /* room to sort the member names of the largest object */

    names = malloc((members ? members : 1) * sizeof(const char *));
    if (names == NULL) {
        rc = GA_ITEM_ERR_MEMORY;
        goto done;
    }

    rc = ga_item_check(item, names);

    free(names);

    if (rc != GA_ITEM_OK) {
        goto done;
    }

    type = cJSON_GetObjectItemCaseSensitive(item, "@odata.type");

    if (!cJSON_IsString(type) || type->valuestring == NULL) {
        rc = GA_ITEM_ERR_NO_TYPE;
        goto done;
    }

    for (t = ga_item_types; t->type; t++) {
        if (strcmp(type->valuestring, t->type) == 0
            || strcmp(type->valuestring, t->type + 1) == 0)
        {
            break;
        }
    }

    if (t->type == NULL) {
        rc = GA_ITEM_ERR_UNKNOWN_TYPE;
        goto done;
    }

    printed = cJSON_PrintUnformatted(item);
    if (printed == NULL) {
        rc = GA_ITEM_ERR_MEMORY;
        goto done;
    }

    /* numbers may print longer than sent: 1e14 is 100000000000000 */

    n = strlen(printed);

    if (n > max_size) {
        cJSON_free(printed);
        rc = GA_ITEM_ERR_TOO_LARGE;
        goto done;
    }

    /*
     * printed came from cJSON's allocator, malloc() unless a caller
     * changed its hooks; ga_item_free() gives it back the same way
     */

    out->json = (u_char *) printed;
    out->json_len = n;
    out->kind = t->kind;

    /* after printing: the name is sanitised in the tree's own string */

    ga_item_name(item, t->name, out);

done:

    cJSON_Delete(item);

    return rc;
}


void
ga_item_free(ga_item_t *item)
{
    if (item->json) {
        cJSON_free(item->json);
        item->json = NULL;
    }

    item->json_len = 0;
}


size_t
ga_item_body_len(const ga_item_t *item, const u_char *name, size_t name_len)
{
    return sizeof(GA_ITEM_BODY_HEAD) - 1
           + ga_json_escape_len(name, name_len)
           + sizeof(GA_ITEM_BODY_ITEM) - 1
           + item->json_len
           + sizeof(GA_ITEM_BODY_TAIL) - 1;
}


u_char *
ga_item_body(u_char *out, const ga_item_t *item, const u_char *name,
    size_t name_len)
{
    u_char  *p;

    p = out;

    memcpy(p, GA_ITEM_BODY_HEAD, sizeof(GA_ITEM_BODY_HEAD) - 1);
    p += sizeof(GA_ITEM_BODY_HEAD) - 1;
    p = ga_json_escape(p, name, name_len);

    memcpy(p, GA_ITEM_BODY_ITEM, sizeof(GA_ITEM_BODY_ITEM) - 1);
    p += sizeof(GA_ITEM_BODY_ITEM) - 1;

    memcpy(p, item->json, item->json_len);
    p += item->json_len;

    memcpy(p, GA_ITEM_BODY_TAIL, sizeof(GA_ITEM_BODY_TAIL) - 1);
    p += sizeof(GA_ITEM_BODY_TAIL) - 1;

    return p;
}


ga_err_e
ga_item_error(ga_item_err_e rc)
{
    switch (rc) {

    case GA_ITEM_OK:
        return GA_ERR_NONE;

    case GA_ITEM_ERR_EMPTY:
        return GA_ERR_ITEM_EMPTY;

    case GA_ITEM_ERR_TOO_LARGE:
        return GA_ERR_ITEM_TOO_LARGE;

    case GA_ITEM_ERR_NOT_UTF8:
        return GA_ERR_ITEM_NOT_UTF8;

    case GA_ITEM_ERR_COMMENT:
        return GA_ERR_ITEM_COMMENT;

    case GA_ITEM_ERR_NAN:
        return GA_ERR_ITEM_NAN;

    case GA_ITEM_ERR_NUMBER:
        return GA_ERR_ITEM_NUMBER;

    case GA_ITEM_ERR_CONTROL:
        return GA_ERR_ITEM_CONTROL;

    case GA_ITEM_ERR_SURROGATE:
        return GA_ERR_ITEM_SURROGATE;

    case GA_ITEM_ERR_NUL:
        return GA_ERR_ITEM_NUL;

    case GA_ITEM_ERR_TRAILING:
        return GA_ERR_ITEM_TRAILING;

    case GA_ITEM_ERR_NOT_OBJECT:
        return GA_ERR_ITEM_NOT_OBJECT;

    case GA_ITEM_ERR_TOO_DEEP:
        return GA_ERR_ITEM_TOO_DEEP;

    case GA_ITEM_ERR_TOO_MANY_MEMBERS:
        return GA_ERR_ITEM_TOO_MANY_MEMBERS;

    case GA_ITEM_ERR_DUPLICATE:
        return GA_ERR_ITEM_DUPLICATE;

    case GA_ITEM_ERR_NO_TYPE:
        return GA_ERR_ITEM_NO_TYPE;

    case GA_ITEM_ERR_UNKNOWN_TYPE:
        return GA_ERR_ITEM_UNKNOWN_TYPE;

    case GA_ITEM_ERR_MEMORY:
        return GA_ERR_OUT_OF_MEMORY;

    default:
        return GA_ERR_ITEM_SYNTAX;
    }
}


/*
 * RFC 8259 without recursion: the open containers are a stack of '{' and
 * '[' no deeper than max_depth, so a hostile "[[[[..." costs a byte of
 * stack a level and is refused at max_depth + 1.  The text is valid
 * UTF-8 already.
 */

static ga_item_err_e
ga_item_scan(const u_char *p, const u_char *last, unsigned max_depth,
    unsigned max_members, unsigned *members)
{
    u_char         c, stack[GA_ITEM_DEPTH_LIMIT];
    unsigned       depth, n;
    ga_item_err_e  rc;

    depth = 0;
    n = 0;

value:

    p = ga_item_skip(p, last);

    if (p == last) {
        return GA_ITEM_ERR_SYNTAX;
    }

    switch (*p) {

    case '{':
    case '[':
        if (depth == max_depth) {
            return GA_ITEM_ERR_TOO_DEEP;
        }

        stack[depth++] = *p++;

        p = ga_item_skip(p, last);

        if (p < last && *p == (stack[depth - 1] == '{' ? '}' : ']')) {
            p++;
            depth--;
            goto next;
        }

        if (++n > max_members) {
            return GA_ITEM_ERR_TOO_MANY_MEMBERS;
        }

        if (stack[depth - 1] == '{') {
            goto member;
        }

        goto value;

    case '"':
        rc = ga_item_scan_string(&p, last);
        if (rc != GA_ITEM_OK) {
            return rc;
        }

        goto next;

    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        rc = ga_item_scan_number(&p, last);
        if (rc != GA_ITEM_OK) {
            return rc;
        }

        goto next;

    case 't':
        if (last - p >= 4 && memcmp(p, "true", 4) == 0) {
            p += 4;
            goto next;
        }

        return GA_ITEM_ERR_SYNTAX;

    case 'f':
        if (last - p >= 5 && memcmp(p, "false", 5) == 0) {
            p += 5;
            goto next;
        }

        return GA_ITEM_ERR_SYNTAX;

    case 'n':
        if (last - p >= 4 && memcmp(p, "null", 4) == 0) {
            p += 4;
            goto next;
        }

        return GA_ITEM_ERR_SYNTAX;

    case 'N':
        if (last - p >= 3 && memcmp(p, "NaN", 3) == 0) {
            return GA_ITEM_ERR_NAN;
        }

        return GA_ITEM_ERR_SYNTAX;

    case 'I':
        if (last - p >= 8 && memcmp(p, "Infinity", 8) == 0) {
            return GA_ITEM_ERR_NAN;
        }

        return GA_ITEM_ERR_SYNTAX;

    case '/':
        return GA_ITEM_ERR_COMMENT;

    default:
        return GA_ITEM_ERR_SYNTAX;
    }

member:

    /* p is past the whitespace after '{' or ',' */

    if (p == last) {
        return GA_ITEM_ERR_SYNTAX;
    }

    if (*p == '/') {
        return GA_ITEM_ERR_COMMENT;
    }

    if (*p != '"') {
        return GA_ITEM_ERR_SYNTAX;
    }

    rc = ga_item_scan_string(&p, last);
    if (rc != GA_ITEM_OK) {
        return rc;
    }

    p = ga_item_skip(p, last);

    if (p < last && *p == ':') {
        p++;
        goto value;
    }

    return (p < last && *p == '/') ? GA_ITEM_ERR_COMMENT : GA_ITEM_ERR_SYNTAX;

next:

    p = ga_item_skip(p, last);

    if (depth == 0) {
        if (p == last) {
            *members = n;
            return GA_ITEM_OK;
        }

        return (*p == '/') ? GA_ITEM_ERR_COMMENT : GA_ITEM_ERR_TRAILING;
    }

    if (p == last) {
        return GA_ITEM_ERR_SYNTAX;
    }

    c = *p++;

    if (c == ',') {
        if (++n > max_members) {
            return GA_ITEM_ERR_TOO_MANY_MEMBERS;
        }

        if (stack[depth - 1] == '{') {
            p = ga_item_skip(p, last);
            goto member;
        }

        goto value;
    }

    if (c == (stack[depth - 1] == '{' ? '}' : ']')) {
        depth--;
        goto next;
    }

    return (c == '/') ? GA_ITEM_ERR_COMMENT : GA_ITEM_ERR_SYNTAX;
}


/* *pp at the opening quote; past the closing one on success */

static ga_item_err_e
ga_item_scan_string(const u_char **pp, const u_char *last)
{
    u_char         c;
    unsigned       cp, lo;
    const u_char  *p;

    p = *pp + 1;

    while (p < last) {
        c = *p++;

        if (c == '"') {
            *pp = p;
            return GA_ITEM_OK;
        }

        if (c < 0x20) {
            return GA_ITEM_ERR_CONTROL;
        }

        if (c != '\\') {
            continue;
        }

        if (p == last) {
            break;
        }

        switch (*p++) {

        case '"': case '\\': case '/':
        case 'b': case 'f': case 'n': case 'r': case 't':
            continue;

        case 'u':
            break;

        default:
            return GA_ITEM_ERR_SYNTAX;
        }

        if (!ga_item_hex4(p, last, &cp)) {
            return GA_ITEM_ERR_SYNTAX;
        }

        p += 4;

        if (cp == 0) {
            return GA_ITEM_ERR_NUL;
        }

        if (cp >= 0xdc00 && cp <= 0xdfff) {
            return GA_ITEM_ERR_SURROGATE;
        }

        if (cp < 0xd800 || cp > 0xdbff) {
            continue;
        }

        /* a high surrogate: its low half must be the next escape */

        if (last - p < 6 || p[0] != '\\' || p[1] != 'u'
            || !ga_item_hex4(p + 2, last, &lo)
            || lo < 0xdc00 || lo > 0xdfff)
        {
            return GA_ITEM_ERR_SURROGATE;
        }

        p += 6;
    }

    return GA_ITEM_ERR_SYNTAX;
}


/*
 * -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?; whether its value
 * fits a double is for ga_item_check() to say, on what strtod() made
 */

static ga_item_err_e
ga_item_scan_number(const u_char **pp, const u_char *last)
{
    const u_char  *p;

    p = *pp;

    if (*p == '-') {
        p++;

        if (p < last && *p == 'I') {
            return (last - p >= 8 && memcmp(p, "Infinity", 8) == 0)
                   ? GA_ITEM_ERR_NAN : GA_ITEM_ERR_SYNTAX;
        }
    }

    if (p == last || *p < '0' || *p > '9') {
        return GA_ITEM_ERR_SYNTAX;
    }

    if (*p++ != '0') {
        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (p < last && *p == '.') {
        p++;

        if (p == last || *p < '0' || *p > '9') {
            return GA_ITEM_ERR_SYNTAX;
        }

        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (p < last && (*p == 'e' || *p == 'E')) {
        p++;

        if (p < last && (*p == '+' || *p == '-')) {
            p++;
        }

        if (p == last || *p < '0' || *p > '9') {
            return GA_ITEM_ERR_SYNTAX;
        }

        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    *pp = p;

    return GA_ITEM_OK;
}


static int
ga_item_hex4(const u_char *p, const u_char *last, unsigned *cp)
{
    int       d;
    unsigned  i, v;

    if (last - p < 4) {
        return 0;
    }

    v = 0;

    for (i = 0; i < 4; i++) {
        d = ga_ascii_hex(p[i]);
        if (d < 0) {
            return 0;
        }

        v = (v << 4) | (unsigned) d;
    }

    *cp = v;

    return 1;
}


static const u_char *
ga_item_skip(const u_char *p, const u_char *last)
{
    while (p < last && ga_item_space(*p)) {
        p++;
    }

    return p;
}


/*
 * The tree as cJSON read it: no number beyond a double, no object with a
 * member name twice.  Each object's names are sorted in names (room for
 * the largest object) before its members are visited, so the children
 * reuse it.  The depth is the scan's, at most GA_ITEM_DEPTH_LIMIT.
 */

static ga_item_err_e
ga_item_check(const cJSON *node, const char **names)
{
    size_t          i, n;
    const cJSON    *child;
    ga_item_err_e   rc;

    if (cJSON_IsNumber(node)) {
        return isfinite(node->valuedouble) ? GA_ITEM_OK : GA_ITEM_ERR_NUMBER;
    }

    if (cJSON_IsObject(node)) {
        n = 0;

        for (child = node->child; child; child = child->next) {
            names[n++] = child->string;
        }

        if (n > 1) {
            qsort(names, n, sizeof(const char *), ga_item_name_cmp);

            for (i = 1; i < n; i++) {
                if (ga_item_name_cmp(&names[i - 1], &names[i]) == 0) {
                    return GA_ITEM_ERR_DUPLICATE;
                }
            }
        }

    } else if (!cJSON_IsArray(node)) {
        return GA_ITEM_OK;
    }

    for (child = node->child; child; child = child->next) {
        rc = ga_item_check(child, names);
        if (rc != GA_ITEM_OK) {
            return rc;
        }
    }

    return GA_ITEM_OK;
}


/* member names: ASCII case-insensitively, UTF-8 bytes as they are */

static int
ga_item_name_cmp(const void *a, const void *b)
{
    u_char        ca, cb;
    const u_char  *p, *q;

    p = *(const u_char * const *) a;
    q = *(const u_char * const *) b;

    for ( ;; ) {
        ca = ga_ascii_lower(*p);
        cb = ga_ascii_lower(*q);

        if (ca != cb || ca == '\0') {
            return (int) ca - (int) cb;
        }

        p++;
        q++;
    }
}


static void
ga_item_name(cJSON *item, const char *member, ga_item_t *out)
{
    u_char  *p, *s;
    size_t   len, n;
    cJSON   *v;

    v = cJSON_GetObjectItemCaseSensitive(item, member);

    n = 0;

    if (cJSON_IsString(v) && v->valuestring) {
        s = (u_char *) v->valuestring;
        len = strlen(v->valuestring);

        /*
         * ga_name_sanitize() keeps what follows the last '/' or '\' of a
         * file name; in a subject they separate words ("Q3/Q4 report")
         */

        for (p = s; p < s + len; p++) {
            if (*p == '/' || *p == '\\') {
                *p = '_';
            }
        }

        n = ga_name_sanitize(s, len, s);

        memcpy(out->name, s, n);
    }

    if (n == 0) {
        n = sizeof(GA_ITEM_DEFAULT_NAME) - 1;
        memcpy(out->name, GA_ITEM_DEFAULT_NAME, n);
    }

    out->name_len = n;
}
