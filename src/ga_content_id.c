
/*
 * Copyright (C) graph-attach authors
 */


#include "ga_content_id.h"


int
ga_content_id_valid(const u_char *p, size_t len)
{
    size_t  i;
    u_char  c;

    if (len >= 2 && p[0] == '<' && p[len - 1] == '>') {
        p++;
        len -= 2;
    }

    if (len == 0 || len > GA_CONTENT_ID_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = p[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9'))
        {
            continue;
        }

        switch (c) {

        /* RFC 5322 atext, and the msg-id's "." and "@" */
        case '!': case '#': case '$': case '%': case '&': case '\'':
        case '*': case '+': case '-': case '/': case '=': case '?':
        case '^': case '_': case '`': case '{': case '|': case '}':
        case '~': case '.': case '@':
            continue;

        default:
            return 0;
        }
    }

    return 1;
}
