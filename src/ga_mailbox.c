
/*
 * Copyright (C) graph-attach authors
 */


#include "ga_ascii.h"
#include "ga_mailbox.h"


static int ga_mailbox_guid(const u_char *p, size_t len);
static int ga_mailbox_local(const u_char *p, size_t len);
static int ga_mailbox_domain(const u_char *p, size_t len);


int
ga_mailbox_check(const u_char *p, size_t len)
{
    size_t         n;
    const u_char  *at, *q, *last;

    if (len == 0) {
        return GA_MAILBOX_EMPTY;
    }

    if (len > GA_MAILBOX_MAX) {
        return GA_MAILBOX_INVALID;
    }

    if (ga_mailbox_guid(p, len)) {
        return GA_MAILBOX_OK;
    }

    /* exactly one "@": a second one is not a separator Graph would see */

    at = NULL;
    last = p + len;

    for (q = p; q < last; q++) {
        if (*q == '@') {
            if (at) {
                return GA_MAILBOX_INVALID;
            }

            at = q;
        }
    }

    if (at == NULL) {
        return GA_MAILBOX_INVALID;
    }

    n = (size_t) (at - p);

    if (!ga_mailbox_local(p, n) || !ga_mailbox_domain(at + 1, len - n - 1)) {
        return GA_MAILBOX_INVALID;
    }

    return GA_MAILBOX_OK;
}


static int
ga_mailbox_guid(const u_char *p, size_t len)
{
    size_t  i;

    if (len != 36) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (p[i] != '-') {
                return 0;
            }

            continue;
        }

        if (ga_ascii_hex(p[i]) < 0) {
            return 0;
        }
    }

    return 1;
}


static int
ga_mailbox_local(const u_char *p, size_t len)
{
    size_t  i;
    u_char  c;

    if (len == 0 || len > GA_MAILBOX_LOCAL_MAX
        || p[0] == '.' || p[len - 1] == '.')
    {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = p[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9')
            || c == '\'' || c == '-' || c == '_' || c == '!' || c == '^'
            || c == '~')
        {
            continue;
        }

        if (c == '.' && p[i - 1] != '.') {
            continue;
        }

        return 0;
    }

    return 1;
}


static int
ga_mailbox_domain(const u_char *p, size_t len)
{
    size_t   i, label, labels;
    u_char   c;

    if (len == 0 || len > GA_MAILBOX_DOMAIN_MAX) {
        return 0;
    }

    label = 0;
    labels = 1;

    for (i = 0; i < len; i++) {
        c = p[i];

        if (c == '.') {
            if (label == 0 || p[i - 1] == '-') {
                return 0;
            }

            label = 0;
            labels++;
            continue;
        }

        if (c == '-') {
            if (label == 0) {
                return 0;
            }

        } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                     || (c >= '0' && c <= '9')))
        {
            return 0;
        }

        /* no label can pass 63 bytes in a domain of 48 */
        label++;
    }

    /* "contoso.com", not "localhost" or "contoso." */

    return labels > 1 && label > 0 && p[len - 1] != '-';
}
