
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_REQUEST_ID_H_INCLUDED_
#define _GA_REQUEST_ID_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


/*
 * Graph's request ids, client-request-id and request-id: a GUID written
 * 8-4-4-4-12 in hex digits, without braces or spaces
 * ("6f1c2a4e-8b1d-4f57-9a0e-2d6c1b7e3f90").
 */
#define GA_REQUEST_ID_LEN  36


/*
 * 1 if p[0..len) is such a GUID: exactly 36 bytes, hex digits of either
 * case (RFC 9562 reads them case-insensitively; Microsoft's own examples
 * use both), hyphens at 8, 13, 18 and 23, and not the nil GUID (all
 * zeros, .NET's default(Guid): a client that forgot to set one).  The
 * version and variant are not judged: Graph takes any GUID.  Nothing
 * else, so a value that passes is safe in any header or log line.
 */
int ga_request_id_valid(const u_char *p, size_t len);

/*
 * Writes a version 4 UUID made of the 16 random bytes rnd, in lower
 * case, to out (GA_REQUEST_ID_LEN bytes, no NUL); returns out + 36.
 */
u_char *ga_request_id_format(u_char *out, const u_char *rnd);


#endif /* _GA_REQUEST_ID_H_INCLUDED_ */
