/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GAB_BUF_H_INCLUDED_
#define _GAB_BUF_H_INCLUDED_


#include <stddef.h>


/*
 * A growing byte buffer, always NUL-terminated once it holds anything.
 * Secrets pass through these (the form with the client secret or the
 * assertion, the response with the token): growing and freeing wipe the
 * old bytes with OPENSSL_cleanse().
 */

typedef struct {
    char    *data;
    size_t   len;
    size_t   cap;
    size_t   max;       /* 0: no limit */
    int      overflow;  /* something did not fit under max */
} gab_buf_t;


int gab_buf_append(gab_buf_t *b, const void *p, size_t n);
int gab_buf_appends(gab_buf_t *b, const char *s);
void gab_buf_reset(gab_buf_t *b);
void gab_buf_free(gab_buf_t *b);

/* application/x-www-form-urlencoded: "&name=value", the & when not first */
int gab_form_add(gab_buf_t *b, const char *name, const char *value);


#endif /* _GAB_BUF_H_INCLUDED_ */
