/*
 * Copyright (C) graph-attach authors
 */


#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gab_buf.h"


static int gab_form_escape(gab_buf_t *b, const char *s);


int
gab_buf_append(gab_buf_t *b, const void *p, size_t n)
{
    char    *data;
    size_t   cap;

    if (b->max && (n > b->max || b->len > b->max - n)) {
        b->overflow = 1;
        return -1;
    }

    if (b->len + n + 1 > b->cap) {
        cap = b->cap ? b->cap : 256;

        while (cap < b->len + n + 1) {
            cap *= 2;
        }

        /* not realloc(): the old copy would stay in freed memory */

        data = malloc(cap);
        if (data == NULL) {
            return -1;
        }

        if (b->data) {
            memcpy(data, b->data, b->len);
            OPENSSL_cleanse(b->data, b->cap);
            free(b->data);
        }

        b->data = data;
        b->cap = cap;
    }

    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';

    return 0;
}


int
gab_buf_appends(gab_buf_t *b, const char *s)
{
    return gab_buf_append(b, s, strlen(s));
}


void
gab_buf_reset(gab_buf_t *b)
{
    if (b->data) {
        OPENSSL_cleanse(b->data, b->cap);
        b->data[0] = '\0';
    }

    b->len = 0;
    b->overflow = 0;
}


void
gab_buf_free(gab_buf_t *b)
{
    if (b->data) {
        OPENSSL_cleanse(b->data, b->cap);
        free(b->data);
    }

    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->overflow = 0;
}


int
gab_form_add(gab_buf_t *b, const char *name, const char *value)
{
    if (b->len && gab_buf_append(b, "&", 1) != 0) {
        return -1;
    }

    if (gab_form_escape(b, name) != 0
        || gab_buf_append(b, "=", 1) != 0
        || gab_form_escape(b, value) != 0)
    {
        return -1;
    }

    return 0;
}


/* every byte but the unreserved ones (RFC 3986) as %XX */

static int
gab_form_escape(gab_buf_t *b, const char *s)
{
    char                  enc[3];
    const unsigned char  *p, *run;

    static const char  hex[] = "0123456789ABCDEF";

    enc[0] = '%';

    for (p = (const unsigned char *) s, run = p; *p; p++) {

        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')
            || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'
            || *p == '_' || *p == '~')
        {
            continue;
        }

        if (gab_buf_append(b, run, p - run) != 0) {
            return -1;
        }

        enc[1] = hex[*p >> 4];
        enc[2] = hex[*p & 0xf];

        if (gab_buf_append(b, enc, 3) != 0) {
            return -1;
        }

        run = p + 1;
    }

    return gab_buf_append(b, run, p - run);
}
