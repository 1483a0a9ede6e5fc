
/*
 * Copyright (C) graph-attach authors
 */


#include "ga_encoded_word.h"


/* RFC 2047 "token": printable ASCII but space and especials */

static int
ga_encoded_word_token_char(u_char c)
{
    if (c <= 0x20 || c >= 0x7f) {
        return 0;
    }

    switch (c) {
    case '(': case ')': case '<': case '>': case '@': case ',': case ';':
    case ':': case '"': case '/': case '[': case ']': case '?': case '.':
    case '=':
        return 0;
    }

    return 1;
}


/* the length of an encoded word at p, 0 if there is none there */

static size_t
ga_encoded_word_at(const u_char *p, const u_char *last)
{
    const u_char  *q;

    if (last - p < 2 || p[0] != '=' || p[1] != '?') {
        return 0;
    }

    q = p + 2;

    /* charset, with RFC 2231's "*language" as part of the token */

    while (q < last && (ga_encoded_word_token_char(*q) || *q == '.')) {
        q++;
    }

    if (q == p + 2 || q == last || *q++ != '?') {
        return 0;
    }

    if (q == last || (*q != 'B' && *q != 'b' && *q != 'Q' && *q != 'q')) {
        return 0;
    }

    if (++q == last || *q++ != '?') {
        return 0;
    }

    /* encoded text: printable ASCII but "?" and space; may be empty */

    while (q < last && *q > 0x20 && *q < 0x7f && *q != '?') {
        q++;
    }

    if (last - q < 2 || q[0] != '?' || q[1] != '=') {
        return 0;
    }

    return q + 2 - p;
}


int
ga_encoded_word_find(const u_char *p, size_t len)
{
    const u_char  *last;

    last = p + len;

    for ( /* void */ ; p < last; p++) {
        if (*p == '=' && ga_encoded_word_at(p, last)) {
            return 1;
        }
    }

    return 0;
}
