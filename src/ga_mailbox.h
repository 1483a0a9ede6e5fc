
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_MAILBOX_H_INCLUDED_
#define _GA_MAILBOX_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


/*
 * The mailbox that "/me" stands for (graph_attach_user): a value that
 * comes from an authentication layer, not from the path, so that no
 * client percent-encoded it and nothing in it may be left to re-encoding.
 * It must be one of the two ways Graph names a user:
 *
 *     mailbox = upn / guid
 *     upn     = local "@" domain
 *     local   = 1*64( ALPHA / DIGIT / "'" / "-" / "_" / "!" / "^" / "~"
 *               / "." ), no "." first, last or twice in a row
 *     domain  = label 1*( "." label ), at most 48 bytes
 *     label   = 1*63( ALPHA / DIGIT / "-" ), no "-" first or last
 *     guid    = 8HEXDIG "-" 4HEXDIG "-" 4HEXDIG "-" 4HEXDIG "-" 12HEXDIG
 *
 * The UPN rules are Entra ID's (113 bytes at most) less "#", which only a
 * guest's "#EXT#" UPN holds, and a guest has no mailbox in the tenant.
 */

#define GA_MAILBOX_MAX        113
#define GA_MAILBOX_LOCAL_MAX  64
#define GA_MAILBOX_DOMAIN_MAX 48


enum {
    GA_MAILBOX_OK = 0,
    GA_MAILBOX_EMPTY = -1,
    GA_MAILBOX_INVALID = -2
};


int ga_mailbox_check(const u_char *p, size_t len);


#endif /* _GA_MAILBOX_H_INCLUDED_ */
