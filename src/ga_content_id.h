
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_CONTENT_ID_H_INCLUDED_
#define _GA_CONTENT_ID_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


/*
 * Graph puts a fileAttachment's contentId into the message's MIME as
 * "Content-ID: <id>" (RFC 2392), so it must be a msg-id's inside: RFC
 * 5322 atext, "." and "@", nothing else.  One pair of enclosing angle
 * brackets is accepted, as mail clients write them.
 */
#define GA_CONTENT_ID_MAX  250


/* 1 if p[0..len) is a content id as above, 1..GA_CONTENT_ID_MAX bytes */
int ga_content_id_valid(const u_char *p, size_t len);


#endif /* _GA_CONTENT_ID_H_INCLUDED_ */
