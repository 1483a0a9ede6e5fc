
/*
 * Copyright (C) graph-attach authors
 */


#include <string.h>

#include "ga_metrics.h"
#include "ga_utf8.h"


/*
 * The text format is UTF-8: a byte that starts no UTF-8 character (a
 * Latin-1 path) would make Prometheus refuse the whole scrape, so it is
 * shown as U+FFFD
 */

#define GA_METRICS_REPLACEMENT      "\xef\xbf\xbd"
#define GA_METRICS_REPLACEMENT_LEN  (sizeof(GA_METRICS_REPLACEMENT) - 1)


/* what a response that is no error of the module's is counted as */
static const char  *ga_metrics_classes[] = {
    "2xx", "3xx", "4xx", "5xx", "ClientClosedRequest", "NoResponse", "other"
};

#define GA_METRICS_CLASSES                                                    \
    (sizeof(ga_metrics_classes) / sizeof(ga_metrics_classes[0]))


static const char  *ga_metrics_rules[GA_METRICS_RULES] = {
    [GA_METRICS_RULE_PATH] = "path",
    [GA_METRICS_RULE_MAILBOX] = "mailbox",
    [GA_METRICS_RULE_USER] = "user",
    [GA_METRICS_RULE_SIZE] = "size",
    [GA_METRICS_RULE_TYPE] = "type",
    [GA_METRICS_RULE_EXTENSION] = "extension",
    [GA_METRICS_RULE_CONTENT] = "content",
    [GA_METRICS_RULE_NAME] = "name",
    [GA_METRICS_RULE_FILES] = "files",
    [GA_METRICS_RULE_LIMITS] = "limits",
    [GA_METRICS_RULE_ENCODING] = "encoding",
    [GA_METRICS_RULE_UPLOAD_HOST] = "upload_host",
    [GA_METRICS_RULE_ACCESS] = "access",
    [GA_METRICS_RULE_RATE] = "rate",
};


/*
 * The statuses Graph documents for its answers (learn.microsoft.com,
 * "Microsoft Graph error responses and resource types", and the success
 * codes of the attachment calls); any other is "other"
 */
static const unsigned  ga_metrics_graph_statuses[] = {
    200, 201, 202, 204,
    400, 401, 403, 404, 405, 406, 409, 410, 411, 412, 413, 415, 416, 422,
    423, 429,
    500, 501, 503, 504, 507, 509
};

#define GA_METRICS_GRAPH_STATUSES                                             \
    (sizeof(ga_metrics_graph_statuses) / sizeof(ga_metrics_graph_statuses[0]))

static const char  *ga_metrics_graph_labels[GA_METRICS_GRAPH_STATUSES + 1] = {
    "200", "201", "202", "204",
    "400", "401", "403", "404", "405", "406", "409", "410", "411", "412",
    "413", "415", "416", "422", "423", "429",
    "500", "501", "503", "504", "507", "509",
    "other"
};


static const char  *ga_metrics_tokens[GA_METRICS_TOKENS] = {
    [GA_METRICS_TOKEN_NONE] = "",
    [GA_METRICS_TOKEN_HIT] = "hit",
    [GA_METRICS_TOKEN_REFRESH] = "refresh",
    [GA_METRICS_TOKEN_MISS] = "miss",
    [GA_METRICS_TOKEN_STALE] = "stale",
    [GA_METRICS_TOKEN_ERROR] = "error",
};

static const char  *ga_metrics_sessions[GA_METRICS_SESSIONS] = {
    [GA_METRICS_SESSION_CREATED] = "created",
    [GA_METRICS_SESSION_COMPLETED] = "completed",
    [GA_METRICS_SESSION_FAILED] = "failed",
    [GA_METRICS_SESSION_CANCELLED] = "cancelled",
    [GA_METRICS_SESSION_UNKNOWN] = "unknown",
};

static const char  *ga_metrics_directions[GA_METRICS_DIRECTIONS] = {
    [GA_METRICS_BYTES_IN] = "in",
    [GA_METRICS_BYTES_OUT] = "out",
};


/* built once, from the error table: each code once, in table order */
static const char     *ga_metrics_code_list[GA_METRICS_CODES_MAX];
static size_t          ga_metrics_ncodes;
static unsigned char   ga_metrics_code_of[GA_ERR_LAST];
static size_t          ga_metrics_first_class;


static void ga_metrics_init(void);
static ga_err_e ga_metrics_error_id(const ga_error_t *err);
static uint64_t ga_metrics_fnv_list(uint64_t h, const char *(*label)(size_t),
    size_t n);


static void
ga_metrics_init(void)
{
    size_t       i, k;
    const char  *code;

    if (ga_metrics_ncodes) {
        return;
    }

    for (i = GA_ERR_NONE + 1; i < GA_ERR_LAST; i++) {
        code = ga_error((ga_err_e) i)->code;

        for (k = 0; k < ga_metrics_ncodes; k++) {
            if (strcmp(ga_metrics_code_list[k], code) == 0) {
                break;
            }
        }

        if (k == ga_metrics_ncodes) {
            ga_metrics_code_list[ga_metrics_ncodes++] = code;
        }

        ga_metrics_code_of[i] = (unsigned char) k;
    }

    ga_metrics_first_class = ga_metrics_ncodes;

    for (i = 0; i < GA_METRICS_CLASSES; i++) {
        ga_metrics_code_list[ga_metrics_ncodes++] = ga_metrics_classes[i];
    }

    /* GA_ERR_NONE: never an answer; counted as "other" if asked */
    ga_metrics_code_of[GA_ERR_NONE] =
                      (unsigned char) (ga_metrics_first_class
                                       + GA_METRICS_CLASSES - 1);
}


size_t
ga_metrics_codes(void)
{
    ga_metrics_init();

    return ga_metrics_ncodes;
}


const char *
ga_metrics_code(size_t i)
{
    ga_metrics_init();

    return (i < ga_metrics_ncodes) ? ga_metrics_code_list[i] : NULL;
}


/*
 * The entry an answer was copied from: every error the module sets is a
 * copy of a table entry (its status may be replaced), so its strings are
 * the entry's own.  Entries of the same code and message answer alike.
 */

static ga_err_e
ga_metrics_error_id(const ga_error_t *err)
{
    size_t             i;
    const ga_error_t  *e;

    for (i = GA_ERR_NONE + 1; i < GA_ERR_LAST; i++) {
        e = ga_error((ga_err_e) i);

        if (e->message == err->message && e->code == err->code) {
            return (ga_err_e) i;
        }
    }

    if (err->code == NULL || err->message == NULL) {
        return GA_ERR_NONE;
    }

    for (i = GA_ERR_NONE + 1; i < GA_ERR_LAST; i++) {
        e = ga_error((ga_err_e) i);

        if (strcmp(e->message, err->message) == 0
            && strcmp(e->code, err->code) == 0)
        {
            return (ga_err_e) i;
        }
    }

    return GA_ERR_NONE;
}


size_t
ga_metrics_code_of_error(const ga_error_t *err)
{
    ga_metrics_init();

    return ga_metrics_code_of[ga_metrics_error_id(err)];
}


size_t
ga_metrics_code_of_status(unsigned status)
{
    ga_metrics_init();

    if (status == 499) {
        return ga_metrics_first_class + 4;
    }

    if (status == 0) {
        return ga_metrics_first_class + 5;
    }

    if (status >= 200 && status < 600) {
        return ga_metrics_first_class + status / 100 - 2;
    }

    return ga_metrics_first_class + 6;
}


/*
 * Refusals: the answers a rule of the gateway gives, configured
 * (graph_attach_mailboxes, _max_size, _allow_types, _deny_extensions,
 * _sniff, _upload_hosts, the form limits, nginx's access and rate
 * limits in the location) or fixed (the path grammar, names, encodings),
 * as opposed to malformed requests and failures
 */

int
ga_metrics_rule_of_error(const ga_error_t *err)
{
    switch (ga_metrics_error_id(err)) {

    case GA_ERR_UNSUPPORTED_PATH:
    case GA_ERR_BAD_PATH_SEGMENT:
    case GA_ERR_PATH_TOO_LONG:
        return GA_METRICS_RULE_PATH;

    case GA_ERR_MAILBOX_NOT_ALLOWED:
        return GA_METRICS_RULE_MAILBOX;

    case GA_ERR_USER_EMPTY:
    case GA_ERR_USER_NOT_MAILBOX:
        return GA_METRICS_RULE_USER;

    case GA_ERR_UPLOAD_TOO_LARGE:
    case GA_ERR_FILE_TOO_LARGE:
    case GA_ERR_FILE_NEEDS_SESSION:
    case GA_ERR_ITEM_TOO_LARGE:
        return GA_METRICS_RULE_SIZE;

    case GA_ERR_TYPE_NOT_ALLOWED:
        return GA_METRICS_RULE_TYPE;

    case GA_ERR_EXTENSION_NOT_ALLOWED:
        return GA_METRICS_RULE_EXTENSION;

    case GA_ERR_CONTENT_MISMATCH:
        return GA_METRICS_RULE_CONTENT;

    case GA_ERR_BAD_FILENAME:
    case GA_ERR_NAME_NOT_UTF8:
    case GA_ERR_NAME_ENCODED_WORD:
        return GA_METRICS_RULE_NAME;

    case GA_ERR_TOO_MANY_FILES:
        return GA_METRICS_RULE_FILES;

    case GA_ERR_TOO_MANY_FIELDS:
    case GA_ERR_PART_HEADER_TOO_LONG:
    case GA_ERR_TOO_MANY_PART_HEADERS:
    case GA_ERR_FIELD_TOO_LONG:
    case GA_ERR_ITEM_TOO_DEEP:
    case GA_ERR_ITEM_TOO_MANY_MEMBERS:
        return GA_METRICS_RULE_LIMITS;

    case GA_ERR_CONTENT_ENCODING:
    case GA_ERR_TRANSFER_ENCODING:
        return GA_METRICS_RULE_ENCODING;

    case GA_ERR_UPLOAD_HOST:
        return GA_METRICS_RULE_UPLOAD_HOST;

    case GA_ERR_NGINX_FORBIDDEN:
        return GA_METRICS_RULE_ACCESS;

    case GA_ERR_NGINX_TOO_MANY_REQUESTS:
        return GA_METRICS_RULE_RATE;

    default:
        return -1;
    }
}


const char *
ga_metrics_rule(size_t i)
{
    return (i < GA_METRICS_RULES) ? ga_metrics_rules[i] : NULL;
}


size_t
ga_metrics_statuses(void)
{
    return GA_METRICS_GRAPH_STATUSES + 1;
}


const char *
ga_metrics_status(size_t i)
{
    return (i <= GA_METRICS_GRAPH_STATUSES) ? ga_metrics_graph_labels[i]
                                            : NULL;
}


size_t
ga_metrics_status_index(unsigned status)
{
    size_t  i;

    for (i = 0; i < GA_METRICS_GRAPH_STATUSES; i++) {
        if (ga_metrics_graph_statuses[i] == status) {
            return i;
        }
    }

    return GA_METRICS_GRAPH_STATUSES;
}


const char *
ga_metrics_token(size_t i)
{
    return (i > GA_METRICS_TOKEN_NONE && i < GA_METRICS_TOKENS)
           ? ga_metrics_tokens[i] : NULL;
}


const char *
ga_metrics_session(size_t i)
{
    return (i < GA_METRICS_SESSIONS) ? ga_metrics_sessions[i] : NULL;
}


const char *
ga_metrics_direction(size_t i)
{
    return (i < GA_METRICS_DIRECTIONS) ? ga_metrics_directions[i] : NULL;
}


uint64_t
ga_metrics_fnv(uint64_t h, const void *data, size_t len)
{
    size_t          i;
    const u_char   *p;

    p = data;

    for (i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }

    return h;
}


/* each label value with its terminating NUL, so that no two lists agree */

static uint64_t
ga_metrics_fnv_list(uint64_t h, const char *(*label)(size_t), size_t n)
{
    size_t       i;
    const char  *s;

    for (i = 0; i < n; i++) {
        s = label(i);
        h = ga_metrics_fnv(h, s ? s : "", s ? strlen(s) + 1 : 1);
    }

    return ga_metrics_fnv(h, "|", 1);
}


uint64_t
ga_metrics_layout(void)
{
    uint64_t  h;

    h = GA_METRICS_FNV_BASIS;

    h = ga_metrics_fnv_list(h, ga_metrics_code, ga_metrics_codes());
    h = ga_metrics_fnv_list(h, ga_metrics_rule, GA_METRICS_RULES);
    h = ga_metrics_fnv_list(h, ga_metrics_status, ga_metrics_statuses());
    h = ga_metrics_fnv_list(h, ga_metrics_token, GA_METRICS_TOKENS);
    h = ga_metrics_fnv_list(h, ga_metrics_session, GA_METRICS_SESSIONS);
    h = ga_metrics_fnv_list(h, ga_metrics_direction, GA_METRICS_DIRECTIONS);

    return h;
}


int
ga_metrics_parse_seconds(const u_char *p, size_t len, uint64_t *us)
{
    size_t     i, frac;
    uint64_t   n, scale;
    int        dot, digits;

    n = 0;
    dot = 0;
    digits = 0;
    frac = 0;

    for (i = 0; i < len; i++) {

        if (p[i] == '.') {
            if (dot || digits == 0) {
                return -1;
            }

            dot = 1;
            continue;
        }

        if (p[i] < '0' || p[i] > '9') {
            return -1;
        }

        if (dot && ++frac > 6) {
            return -1;
        }

        n = n * 10 + (p[i] - '0');
        digits++;

        if (n > GA_METRICS_BOUND_MAX) {
            return -1;
        }
    }

    /* "1." has no fraction digit */

    if (digits == 0 || (dot && frac == 0)) {
        return -1;
    }

    for (scale = 1; frac < 6; frac++) {
        scale *= 10;
    }

    n *= scale;

    if (n == 0 || n > GA_METRICS_BOUND_MAX) {
        return -1;
    }

    *us = n;

    return 0;
}


size_t
ga_metrics_format_seconds(u_char *buf, uint64_t us)
{
    int       i;
    size_t    n;
    u_char    tmp[24];
    uint64_t  sec, frac;

    sec = us / 1000000;
    frac = us % 1000000;

    n = 0;

    do {
        tmp[n++] = (u_char) ('0' + sec % 10);
        sec /= 10;
    } while (sec);

    for (i = 0; i < (int) n; i++) {
        buf[i] = tmp[n - 1 - i];
    }

    if (frac == 0) {
        return n;
    }

    buf[n++] = '.';

    for (i = 100000; i > 0 && frac; i /= 10) {
        buf[n++] = (u_char) ('0' + frac / i);
        frac %= i;
    }

    return n;
}


size_t
ga_metrics_bucket(const uint64_t *bounds, size_t n, uint64_t us)
{
    size_t  lo, hi, mid;

    lo = 0;
    hi = n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (bounds[mid] < us) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return lo;
}


size_t
ga_metrics_escape_len(const u_char *p, size_t len)
{
    size_t    i, n, k;
    uint32_t  cp;

    n = 0;

    for (i = 0; i < len; /* void */) {

        if (p[i] < 0x80) {
            n += (p[i] == '\\' || p[i] == '"' || p[i] == '\n') ? 2 : 1;
            i++;
            continue;
        }

        k = ga_utf8_decode(p + i, len - i, &cp);

        if (k == 0) {
            n += GA_METRICS_REPLACEMENT_LEN;
            i++;
            continue;
        }

        n += k;
        i += k;
    }

    return n;
}


u_char *
ga_metrics_escape(u_char *dst, const u_char *p, size_t len)
{
    size_t    i, k;
    uint32_t  cp;

    for (i = 0; i < len; /* void */) {

        switch (p[i]) {

        case '\\':
            *dst++ = '\\';
            *dst++ = '\\';
            i++;
            continue;

        case '"':
            *dst++ = '\\';
            *dst++ = '"';
            i++;
            continue;

        case '\n':
            *dst++ = '\\';
            *dst++ = 'n';
            i++;
            continue;
        }

        if (p[i] < 0x80) {
            *dst++ = p[i++];
            continue;
        }

        k = ga_utf8_decode(p + i, len - i, &cp);

        if (k == 0) {
            memcpy(dst, GA_METRICS_REPLACEMENT, GA_METRICS_REPLACEMENT_LEN);
            dst += GA_METRICS_REPLACEMENT_LEN;
            i++;
            continue;
        }

        memcpy(dst, p + i, k);
        dst += k;
        i += k;
    }

    return dst;
}
