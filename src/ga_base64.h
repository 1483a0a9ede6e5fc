
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_BASE64_H_INCLUDED_
#define _GA_BASE64_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


/*
 * Streaming standard base64 (RFC 4648, "+/" alphabet, "=" padding, no line
 * breaks): Graph's Edm.Binary rejects anything else.  The file arrives in
 * arbitrary pieces, so up to two bytes of an incomplete 3-byte group are
 * carried to the next call.
 */

typedef struct {
    u_char    carry[2];
    size_t    ncarry;
} ga_base64_t;


/* max output of one ga_base64_update() of len input bytes, carry included */
#define ga_base64_update_bound(len)  (((len) + 2) / 3 * 4)


void ga_base64_init(ga_base64_t *b);
size_t ga_base64_update(ga_base64_t *b, const u_char *in, size_t len,
    u_char *out);
size_t ga_base64_final(ga_base64_t *b, u_char *out);


#endif /* _GA_BASE64_H_INCLUDED_ */
