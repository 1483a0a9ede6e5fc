
/*
 * Copyright (C) graph-attach authors
 */


#include <string.h>

#include "ga_ascii.h"


const uint32_t  ga_ascii_tchars[8] = {
    0x00000000,  /* 0x00-0x1f */
    0x03ff6cfa,  /* 0x20-0x3f: ! # $ % & ' * + - . 0-9 */
    0xc7fffffe,  /* 0x40-0x5f: A-Z ^ _ */
    0x57ffffff,  /* 0x60-0x7f: ` a-z | ~ */
    0x00000000,  /* 0x80-0xff */
    0x00000000,
    0x00000000,
    0x00000000
};


int
ga_ascii_caseeq(const u_char *a, size_t a_len, const u_char *b,
    size_t b_len)
{
    size_t  i;

    if (a_len != b_len) {
        return 0;
    }

    for (i = 0; i < a_len; i++) {
        if (ga_ascii_lower(a[i]) != ga_ascii_lower(b[i])) {
            return 0;
        }
    }

    return 1;
}


int
ga_ascii_caseeq_str(const u_char *p, size_t len, const char *s)
{
    return ga_ascii_caseeq(p, len, (const u_char *) s, strlen(s));
}


int
ga_ascii_hex(u_char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c = ga_ascii_lower(c);

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}
