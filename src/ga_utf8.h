
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_UTF8_H_INCLUDED_
#define _GA_UTF8_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>


/*
 * 1 if p[0..len) is strict UTF-8 (RFC 3629): no overlong forms,
 * no surrogates (U+D800..U+DFFF), nothing above U+10FFFF; 0 otherwise.
 */
int ga_utf8_valid(const u_char *p, size_t len);

/*
 * One strict UTF-8 character at p (len > 0): its length, and its code
 * point in *cp; 0 if p does not start a valid character.
 */
size_t ga_utf8_decode(const u_char *p, size_t len, uint32_t *cp);

/*
 * 1 for a code point a reader cannot see, or that moves what they see:
 * C0 and C1 controls, DEL, the line and paragraph separators, and every
 * format character (Unicode category Cf: bidi controls, zero-width
 * characters, the soft hyphen, tag characters, ...) and default-ignorable
 * code point (variation selectors, Hangul fillers, ...).  Names drop
 * them; path segments are refused with them.
 */
int ga_utf8_invisible(uint32_t cp);


#endif /* _GA_UTF8_H_INCLUDED_ */
