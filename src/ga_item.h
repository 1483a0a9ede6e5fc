
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_ITEM_H_INCLUDED_
#define _GA_ITEM_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>

#include "ga_errors.h"
#include "ga_name.h"


/*
 * Item attachments: a form with no file part and an "item" field holding
 * a Graph entity (a message, an event or a contact, as JSON) becomes
 *
 *   {"@odata.type":"#microsoft.graph.itemAttachment","name":"...",
 *    "item":{...}}
 *
 * The item comes from the client and goes to Graph, so it is judged, not
 * trusted: strict RFC 8259 JSON in strict UTF-8, bounded in size, depth
 * and members, every object free of duplicate member names, its
 * @odata.type one Graph takes.  What reaches Graph is the item as cJSON
 * re-serialises it, never the client's bytes: whatever a lenient reader
 * on Graph's side might take differently (comments, duplicates, NaN,
 * escapes of lone surrogates, raw control characters) is refused before.
 */


/*
 * The default of graph_attach_max_item_size, and the depth and member
 * limits, which are fixed: the messages of GA_ERR_ITEM_TOO_DEEP and
 * GA_ERR_ITEM_TOO_MANY_MEMBERS name them.
 */
#define GA_ITEM_MAX_SIZE         (1024 * 1024)
#define GA_ITEM_MAX_DEPTH        32
#define GA_ITEM_MAX_MEMBERS      10000

/*
 * The largest limits a configuration may set.  Graph's simple POST takes
 * a request body under about 3 MB (docs/graph-api: 3,145,611 bytes
 * measured); the item is at most max_size bytes once re-serialised, and
 * the rest of the body at most GA_ITEM_BODY_MAX_EXTRA, so 3,000,000 keeps
 * the whole body under it.  The depth is also the size of the scanner's
 * stack and of the recursion of the checks that follow it.
 */
#define GA_ITEM_SIZE_LIMIT       3000000
#define GA_ITEM_DEPTH_LIMIT      64

/* the body beside the item: the wrapper and a GA_NAME_MAX name escaped */
#define GA_ITEM_BODY_MAX_EXTRA                                               \
    (sizeof("{\"@odata.type\":\"#microsoft.graph.itemAttachment\","          \
            "\"name\":\"\",\"item\":}") - 1 + 6 * GA_NAME_MAX)


typedef enum {
    GA_ITEM_OK = 0,
    GA_ITEM_ERR_EMPTY = -1,
    GA_ITEM_ERR_TOO_LARGE = -2,
    GA_ITEM_ERR_NOT_UTF8 = -3,
    GA_ITEM_ERR_SYNTAX = -4,
    GA_ITEM_ERR_COMMENT = -5,
    GA_ITEM_ERR_NAN = -6,
    GA_ITEM_ERR_NUMBER = -7,
    GA_ITEM_ERR_CONTROL = -8,
    GA_ITEM_ERR_SURROGATE = -9,
    GA_ITEM_ERR_NUL = -10,
    GA_ITEM_ERR_TRAILING = -11,
    GA_ITEM_ERR_NOT_OBJECT = -12,
    GA_ITEM_ERR_TOO_DEEP = -13,
    GA_ITEM_ERR_TOO_MANY_MEMBERS = -14,
    GA_ITEM_ERR_DUPLICATE = -15,
    GA_ITEM_ERR_NO_TYPE = -16,
    GA_ITEM_ERR_UNKNOWN_TYPE = -17,
    GA_ITEM_ERR_MEMORY = -18
} ga_item_err_e;


typedef enum {
    GA_ITEM_NONE = 0,
    GA_ITEM_MESSAGE,
    GA_ITEM_EVENT,
    GA_ITEM_CONTACT
} ga_item_kind_e;


typedef struct {
    size_t          max_size;      /* bytes, as sent and re-serialised */
    unsigned        max_depth;     /* the item object itself is 1 */
    unsigned        max_members;   /* object members and array elements */
} ga_item_limits_t;


typedef struct {
    ga_item_kind_e  kind;

    /* the item re-serialised, malloc()ed, without a terminating NUL */
    u_char         *json;
    size_t          json_len;

    /* the name the item gives itself: valid UTF-8, sanitised, not empty */
    size_t          name_len;
    u_char          name[GA_NAME_MAX];
} ga_item_t;


/*
 * Judges json[0..len) (it needs no terminating NUL).  lim NULL means the
 * defaults above; a limit above its GA_ITEM_*_LIMIT is taken as the
 * limit.  The refusals, in the order they are looked for: the size as
 * sent, the UTF-8, then the scan of the JSON (its first fault wins), then
 * the tree cJSON made (numbers, duplicates, the type), then the size as
 * re-serialised:
 *
 *   TOO_LARGE     more than max_size bytes, as sent or re-serialised
 *   NOT_UTF8      not strict UTF-8 (ga_utf8_valid)
 *   EMPTY         nothing but whitespace
 *   SYNTAX        not RFC 8259 JSON: bad token, unterminated string, bad
 *                 escape, leading zero, "+1", ".5", trailing comma, BOM
 *   COMMENT       a "/" where JSON has whitespace or a token
 *   NAN           NaN, Infinity or -Infinity
 *   NUMBER        a number that overflows a double (1e999)
 *   CONTROL       a raw byte below 0x20 inside a string
 *   SURROGATE     a \uD800-\uDFFF escape that is not a high-low pair
 *   NUL           \u0000 in a string or a member name (cJSON would cut
 *                 the string there)
 *   TRAILING      anything but whitespace after the value
 *   NOT_OBJECT    valid JSON but not an object
 *   TOO_DEEP      more than max_depth nested objects and arrays, found
 *                 while scanning, before anything recurses
 *   TOO_MANY_MEMBERS  more than max_members, counted over all levels
 *   DUPLICATE     an object with two members of the same name, compared
 *                 ASCII case-insensitively: to a reader that folds
 *                 case (Outlook's REST answers use both camelCase and
 *                 PascalCase), "Subject" beside "subject" is two of one
 *   NO_TYPE       no "@odata.type" member (exact case) holding a string
 *   UNKNOWN_TYPE  an "@odata.type" other than "#microsoft.graph.message",
 *                 "#microsoft.graph.event", "#microsoft.graph.contact",
 *                 or the same without "#"
 *   MEMORY        malloc() failed (a 500, not the client's fault)
 *
 * On GA_ITEM_OK, out holds the kind, the item re-serialised and the name
 * the item gives itself: its "subject" (message, event) or "displayName"
 * (contact) when that is a string, with "/" and "\" made "_" (a subject
 * "Q3/Q4" is not a path) and then ga_name_sanitize()d; "attachment" when
 * there is no such string or nothing is left of it.  The caller frees
 * out with ga_item_free(), whatever the result.
 */
ga_item_err_e ga_item_judge(const u_char *json, size_t len,
    const ga_item_limits_t *lim, ga_item_t *out);

void ga_item_free(ga_item_t *item);

/*
 * The itemAttachment body for a judged item, named name[0..name_len)
 * (valid UTF-8: the sanitised "name" field, or item->name): its length,
 * and the body written to out, which returns the end of what it wrote.
 */
size_t ga_item_body_len(const ga_item_t *item, const u_char *name,
    size_t name_len);
u_char *ga_item_body(u_char *out, const ga_item_t *item, const u_char *name,
    size_t name_len);

/* the error answered for a refusal: 400 InvalidItem, 500 for MEMORY */
ga_err_e ga_item_error(ga_item_err_e rc);


#endif /* _GA_ITEM_H_INCLUDED_ */
