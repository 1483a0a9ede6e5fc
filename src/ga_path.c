
/*
 * Copyright (C) graph-attach authors
 */


#include <stdint.h>
#include <string.h>

#include "ga_ascii.h"
#include "ga_mailbox.h"
#include "ga_path.h"
#include "ga_utf8.h"


/*
 * The longest shape: users/{u}/mailFolders/{f}, 16 x childFolders/{c},
 * messages/{m}/attachments.
 */
#define GA_PATH_MAX_SEGS  (4 + 2 * GA_PATH_MAX_DEPTH + 3)


typedef struct {
    const u_char  *data;
    size_t         len;
} ga_path_seg_t;


/* decoded segments in scratch, separated by '/' (no segment holds one) */

typedef struct {
    const u_char  *pos;
    const u_char  *last;
} ga_path_iter_t;


static int ga_path_decode(const u_char *raw, size_t raw_len, u_char *scratch,
    size_t scratch_size, size_t *len, int *trailing_slash);
static int ga_path_skip_prefix(ga_path_iter_t *it, const u_char *prefix,
    size_t prefix_len, int me);
static void ga_path_write(u_char *out, const char *version,
    const ga_path_seg_t *segs, const char **lit, size_t n);
static int ga_path_check_segment(const u_char *p, size_t len);
static int ga_path_next(ga_path_iter_t *it, ga_path_seg_t *seg);
static int ga_path_match_prefix(ga_path_iter_t *it, const u_char *prefix,
    size_t prefix_len);
static int ga_path_match(const ga_path_seg_t *seg, size_t n,
    const char **lit);
static int ga_path_lit(const ga_path_seg_t *seg, size_t n, size_t i,
    const char **lit, const char *word);
static size_t ga_path_escaped_len(const ga_path_seg_t *seg);


/*
 * Bytes kept raw in a variable segment: RFC 3986 unreserved, plus '@'
 * (UPNs) and '=' (the padding Graph ids end with, which Graph wants raw or
 * as %3D, never double-encoded).  One bit per byte, as ngx_escape_uri().
 */

static const uint32_t  ga_path_keep[8] = {
    0x00000000,  /* 0x00-0x1f */
    0x23ff6000,  /* 0x20-0x3f: - . 0-9 = */
    0x87ffffff,  /* 0x40-0x5f: @ A-Z _ */
    0x47fffffe,  /* 0x60-0x7f: a-z ~ */
    0x00000000,  /* 0x80-0xff: UTF-8, always escaped */
    0x00000000,
    0x00000000,
    0x00000000
};


int
ga_path_parse(const u_char *raw, size_t raw_len, const u_char *prefix,
    size_t prefix_len, const u_char *me, size_t me_len, u_char *scratch,
    size_t scratch_size, u_char *out, size_t out_size, size_t *out_len,
    ga_path_info_t *info)
{
    int             rc, trailing_slash, kind, is_me;
    size_t          i, n, len, need;
    const char     *version, *lit[GA_PATH_MAX_SEGS];
    ga_path_seg_t   seg, segs[GA_PATH_MAX_SEGS];
    ga_path_iter_t  it;

    /*
     * Every segment is decoded and checked before any matching, prefix
     * included, so a bad segment is a 400 wherever it is.
     */

    rc = ga_path_decode(raw, raw_len, scratch, scratch_size, &len,
                        &trailing_slash);
    if (rc != GA_PATH_OK) {
        return rc;
    }

    if (trailing_slash) {
        return GA_PATH_NOT_FOUND;
    }

    it.pos = scratch;
    it.last = scratch + len;

    if (!ga_path_skip_prefix(&it, prefix, prefix_len, me != NULL)) {
        return GA_PATH_NOT_FOUND;
    }

    version = "v1.0";

    if (ga_path_next(&it, &seg)) {

        if (ga_ascii_caseeq_str(seg.data, seg.len, "beta")) {
            version = "beta";

        } else if (!ga_ascii_caseeq_str(seg.data, seg.len, "v1.0")) {
            /* no version: the segment is read again below */
            it.pos = seg.data;
        }
    }

    n = 0;
    is_me = 0;

    while (ga_path_next(&it, &seg)) {
        if (n == GA_PATH_MAX_SEGS) {
            return GA_PATH_NOT_FOUND;
        }

        /*
         * "me" first stands for "users/{me}": the shapes are then those of
         * users/{u}, and me is written as any mailbox is, re-encoded.  The
         * segment was checked like every other, so "me%2F.." never gets
         * here, and "me" anywhere else is an id like any other.
         */

        if (n == 0 && me && ga_ascii_caseeq_str(seg.data, seg.len, "me")) {
            segs[n].data = (const u_char *) "users";
            segs[n++].len = sizeof("users") - 1;

            seg.data = me;
            seg.len = me_len;
            is_me = 1;
        }

        segs[n++] = seg;
    }

    for (i = 0; i < n; i++) {
        lit[i] = NULL;
    }

    kind = ga_path_match(segs, n, lit);
    if (kind < 0) {
        return kind;
    }

    /*
     * a shape we serve, for a mailbox the path does not name: it is the
     * value's to be a mailbox, or there is none to write to
     */

    if (is_me
        && (ga_mailbox_check(me, me_len) != GA_MAILBOX_OK
            || ga_path_check_segment(me, me_len) != GA_PATH_OK))
    {
        /* implied by the mailbox grammar today; kept in case either moves */
        return GA_PATH_UNRESOLVED;
    }

    /* the shape is known: now the limits that make it a 400 or a 414 */

    need = 1 + strlen(version);

    for (i = 0; i < n; i++) {
        if (lit[i]) {
            need += 1 + strlen(lit[i]);
            continue;
        }

        if (segs[i].len > GA_PATH_MAX_SEGMENT) {
            return GA_PATH_INVALID;
        }

        need += 1 + ga_path_escaped_len(&segs[i]);
    }

    if (need > out_size) {
        return GA_PATH_TOO_LONG;
    }

    ga_path_write(out, version, segs, lit, n);

    *out_len = need;

    info->kind = kind;
    info->mailbox = segs[1].data;
    info->mailbox_len = segs[1].len;
    info->version = version;
    info->me = is_me;

    return GA_PATH_OK;
}


/*
 * Splits raw on '/', percent-decodes and checks each segment, and stores
 * the segments in scratch separated by '/'.  The leading '/' is not stored
 * and no segment grows when decoded, so raw_len bytes of scratch suffice.
 */

static int
ga_path_decode(const u_char *raw, size_t raw_len, u_char *scratch,
    size_t scratch_size, size_t *len, int *trailing_slash)
{
    int            hi, lo;
    u_char        *d, *seg, *end;
    const u_char  *p, *last;

    if (raw_len == 0 || raw[0] != '/') {
        return GA_PATH_INVALID;
    }

    p = raw + 1;
    last = raw + raw_len;

    d = scratch;
    end = scratch + scratch_size;

    *trailing_slash = 0;

    for ( ;; ) {
        seg = d;

        while (p < last && *p != '/') {

            if (d == end) {
                return GA_PATH_TOO_LONG;
            }

            if (*p != '%') {
                *d++ = *p++;
                continue;
            }

            if (last - p < 3) {
                return GA_PATH_INVALID;
            }

            hi = ga_ascii_hex(p[1]);
            lo = ga_ascii_hex(p[2]);

            if (hi < 0 || lo < 0) {
                return GA_PATH_INVALID;
            }

            *d++ = (u_char) (hi << 4 | lo);
            p += 3;
        }

        if (d == seg && p == last) {

            /* "/a/b/": not one of our shapes, yet not a bad segment */

            *trailing_slash = 1;
            break;
        }

        if (ga_path_check_segment(seg, (size_t) (d - seg)) != GA_PATH_OK) {
            return GA_PATH_INVALID;
        }

        if (p == last) {
            break;
        }

        /* p is at '/' */

        if (d == end) {
            return GA_PATH_TOO_LONG;
        }

        *d++ = *p++;
    }

    *len = (size_t) (d - scratch);

    return GA_PATH_OK;
}


/*
 * Past the location's prefix, or, for a regex location (prefix NULL), to
 * the first segment a Graph path can start with, "me" only when it stands
 * for a mailbox (so that without graph_attach_user nothing changes); 0 if
 * there is none.
 */

static int
ga_path_skip_prefix(ga_path_iter_t *it, const u_char *prefix,
    size_t prefix_len, int me)
{
    ga_path_seg_t  seg;

    if (prefix) {
        return ga_path_match_prefix(it, prefix, prefix_len);
    }

    for ( ;; ) {
        if (!ga_path_next(it, &seg)) {
            return 0;
        }

        if (ga_ascii_caseeq_str(seg.data, seg.len, "v1.0")
            || ga_ascii_caseeq_str(seg.data, seg.len, "beta")
            || ga_ascii_caseeq_str(seg.data, seg.len, "users")
            || (me && ga_ascii_caseeq_str(seg.data, seg.len, "me")))
        {
            it->pos = seg.data;
            return 1;
        }
    }
}


/*
 * The upstream path: the version, the literals in Graph's spelling and
 * the variable segments percent-encoded but for ga_path_keep; out has
 * room, as the caller measured
 */

static void
ga_path_write(u_char *out, const char *version, const ga_path_seg_t *segs,
    const char **lit, size_t n)
{
    size_t         i, len;
    u_char        *p;
    const u_char  *s, *last;

    static const u_char  hex[] = "0123456789ABCDEF";

    p = out;

    *p++ = '/';
    len = strlen(version);
    p = (u_char *) memcpy(p, version, len) + len;

    for (i = 0; i < n; i++) {
        *p++ = '/';

        if (lit[i]) {
            len = strlen(lit[i]);
            p = (u_char *) memcpy(p, lit[i], len) + len;
            continue;
        }

        s = segs[i].data;
        last = s + segs[i].len;

        while (s < last) {
            if (ga_path_keep[*s >> 5] & (1U << (*s & 0x1f))) {
                *p++ = *s++;
                continue;
            }

            *p++ = '%';
            *p++ = hex[*s >> 4];
            *p++ = hex[*s & 0x0f];
            s++;
        }
    }
}


static int
ga_path_check_segment(const u_char *p, size_t len)
{
    size_t         i, n;
    u_char         high;
    uint32_t       cp;
    const u_char  *last;

    /* "//" gives an empty segment, which nginx and Graph may merge */

    if (len == 0) {
        return GA_PATH_INVALID;
    }

    if (p[0] == '.' && (len == 1 || (len == 2 && p[1] == '.'))) {
        return GA_PATH_INVALID;
    }

    high = 0;

    for (i = 0; i < len; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f || p[i] == '/' || p[i] == '\\') {
            return GA_PATH_INVALID;
        }

        high |= p[i];
    }

    if (high < 0x80) {
        /* ASCII, judged above */
        return GA_PATH_OK;
    }

    /*
     * C1 controls, line separators and bidi or format characters would
     * reach Graph and the audit log: "alice\u202E@..." is not a mailbox
     */

    last = p + len;

    while (p < last) {
        n = ga_utf8_decode(p, last - p, &cp);

        if (n == 0 || ga_utf8_invisible(cp)) {
            return GA_PATH_INVALID;
        }

        p += n;
    }

    return GA_PATH_OK;
}


static int
ga_path_next(ga_path_iter_t *it, ga_path_seg_t *seg)
{
    const u_char  *p;

    if (it->pos == NULL || it->pos == it->last) {
        return 0;
    }

    p = memchr(it->pos, '/', it->last - it->pos);

    seg->data = it->pos;

    if (p == NULL) {
        seg->len = it->last - it->pos;
        it->pos = NULL;

    } else {
        seg->len = p - it->pos;
        it->pos = p + 1;
    }

    return 1;
}


/*
 * The location name is matched segment by segment against the decoded
 * request, so "/graph" does not match "/graphs/..." as nginx's string
 * prefix match would.  Empty segments of the name are ignored.
 */

static int
ga_path_match_prefix(ga_path_iter_t *it, const u_char *prefix,
    size_t prefix_len)
{
    size_t          len;
    const u_char   *p, *last, *slash;
    ga_path_seg_t   seg;

    p = prefix;
    last = prefix + prefix_len;

    while (p < last) {
        slash = memchr(p, '/', last - p);
        if (slash == NULL) {
            slash = last;
        }

        len = slash - p;

        if (len) {
            if (!ga_path_next(it, &seg)
                || seg.len != len
                || memcmp(seg.data, p, len) != 0)
            {
                return 0;
            }
        }

        p = slash + 1;
    }

    return 1;
}


/*
 * Matches the segments after the version against the supported shapes.
 * Sets lit[i] to the canonical spelling of each literal segment (variable
 * ones stay NULL) and returns the kind, or GA_PATH_NOT_FOUND.  Literals sit
 * at fixed positions, so an id that reads "messages" is still an id.
 */

static int
ga_path_match(const ga_path_seg_t *seg, size_t n, const char **lit)
{
    int          kind;
    size_t       i, depth;
    const char  *item;

    if (!ga_path_lit(seg, n, 0, lit, "users")) {
        return GA_PATH_NOT_FOUND;
    }

    /* seg[1] is the mailbox */

    kind = GA_PATH_EVENT;
    item = "events";

    if (ga_path_lit(seg, n, 2, lit, "mailFolders")) {
        i = 4;

        for (depth = 0; ga_path_lit(seg, n, i, lit, "childFolders"); depth++)
        {
            if (depth == GA_PATH_MAX_DEPTH) {
                return GA_PATH_NOT_FOUND;
            }

            i += 2;
        }

        kind = GA_PATH_MESSAGE;
        item = "messages";

    } else if (ga_path_lit(seg, n, 2, lit, "calendarGroups")) {
        if (!ga_path_lit(seg, n, 4, lit, "calendars")) {
            return GA_PATH_NOT_FOUND;
        }

        i = 6;

    } else if (ga_path_lit(seg, n, 2, lit, "calendars")) {
        i = 4;

    } else if (ga_path_lit(seg, n, 2, lit, "calendar")) {
        i = 3;

    } else if (n > 2
               && ga_ascii_caseeq_str(seg[2].data, seg[2].len, "messages"))
    {
        i = 2;
        kind = GA_PATH_MESSAGE;
        item = "messages";

    } else {
        i = 2;
    }

    /* {item}/{id}/attachments and nothing after */

    if (n != i + 3
        || !ga_path_lit(seg, n, i, lit, item)
        || !ga_path_lit(seg, n, i + 2, lit, "attachments"))
    {
        return GA_PATH_NOT_FOUND;
    }

    return kind;
}


static int
ga_path_lit(const ga_path_seg_t *seg, size_t n, size_t i, const char **lit,
    const char *word)
{
    if (i >= n || !ga_ascii_caseeq_str(seg[i].data, seg[i].len, word)) {
        return 0;
    }

    lit[i] = word;

    return 1;
}


static size_t
ga_path_escaped_len(const ga_path_seg_t *seg)
{
    size_t         n;
    const u_char  *p, *last;

    n = 0;
    p = seg->data;
    last = p + seg->len;

    while (p < last) {
        n += (ga_path_keep[*p >> 5] & (1U << (*p & 0x1f))) ? 1 : 3;
        p++;
    }

    return n;
}
