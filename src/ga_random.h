
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_RANDOM_H_INCLUDED_
#define _GA_RANDOM_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


/*
 * Random bytes for ids (client-request-id): OpenSSL's generator, drawn
 * a few kilobytes at a time into a pool of the process.  Returns 0, or -1
 * if OpenSSL fails.
 */
int ga_random_bytes(u_char *out, size_t n);

/* empties the pool: a forked process must not reuse its parent's bytes */
void ga_random_forget(void);


#endif /* _GA_RANDOM_H_INCLUDED_ */
