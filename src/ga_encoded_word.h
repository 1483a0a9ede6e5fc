
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_ENCODED_WORD_H_INCLUDED_
#define _GA_ENCODED_WORD_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


/*
 * 1 if p[0..len) may hold an RFC 2047 encoded word: "=?" and, after it,
 * "?=" ("=?" charset "?" encoding "?" text "?=" and every loose form a
 * decoder may take).  Such names are refused rather than decoded: a name
 * is judged by its extension, and "=?UTF-8?B?aW52b2ljZS5leGU=?=" has none
 * until a mail client decodes it into "invoice.exe".
 */
int ga_encoded_word_find(const u_char *p, size_t len);


#endif /* _GA_ENCODED_WORD_H_INCLUDED_ */
