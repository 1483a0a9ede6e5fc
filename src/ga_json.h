
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_JSON_H_INCLUDED_
#define _GA_JSON_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


/*
 * JSON string escaping (RFC 8259) of UTF-8 input, without the surrounding
 * quotes.  The caller validates UTF-8 first: bytes >= 0x80 pass through raw,
 * except U+2028 and U+2029, escaped as JavaScript cannot hold them raw in
 * string literals.
 */

size_t ga_json_escape_len(const u_char *s, size_t len);
u_char *ga_json_escape(u_char *dst, const u_char *s, size_t len);


#endif /* _GA_JSON_H_INCLUDED_ */
