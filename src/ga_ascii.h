
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_ASCII_H_INCLUDED_
#define _GA_ASCII_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>


/*
 * The character helpers the parsers share.  Protocol words (media types,
 * parameter names, charsets, path literals) compare ASCII
 * case-insensitively: only A-Z fold, so no byte of a UTF-8 sequence ever
 * equals an ASCII letter.
 */


#define ga_ascii_lower(c)                                                    \
    ((u_char) (((c) >= 'A' && (c) <= 'Z') ? ((c) | 0x20) : (c)))

/*
 * RFC 9110 tchar: "!#$%&'*+-.^_`|~", digits and letters.  A macro over a
 * bit table, as ngx_escape_uri() keeps its tables: it runs on every byte
 * of every part header name.
 */
#define ga_ascii_tchar(c)                                                    \
    ((ga_ascii_tchars[(u_char) (c) >> 5] & (1U << ((c) & 0x1f))) != 0)

extern const uint32_t  ga_ascii_tchars[8];


/* 1 if a[0..a_len) equals b[0..b_len), ASCII case-insensitively */
int ga_ascii_caseeq(const u_char *a, size_t a_len, const u_char *b,
    size_t b_len);

/* 1 if p[0..len) equals the string s, ASCII case-insensitively */
int ga_ascii_caseeq_str(const u_char *p, size_t len, const char *s);

/* the value of a hex digit of either case, -1 if c is not one */
int ga_ascii_hex(u_char c);


#endif /* _GA_ASCII_H_INCLUDED_ */
