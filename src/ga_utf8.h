
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_UTF8_H_INCLUDED_
#define _GA_UTF8_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


/*
 * 1 if p[0..len) is strict UTF-8 (RFC 3629): no overlong forms,
 * no surrogates (U+D800..U+DFFF), nothing above U+10FFFF; 0 otherwise.
 */
int ga_utf8_valid(const u_char *p, size_t len);


#endif /* _GA_UTF8_H_INCLUDED_ */
