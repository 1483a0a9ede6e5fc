
/*
 * Copyright (C) graph-attach authors
 */


/*
 * libFuzzer target for ga_multipart.  Input: byte 0 picks how the body is
 * split, byte 1 the boundary (0: "XyZ", n: the next 1 + n % 8 bytes, so
 * boundaries outside bchars are tried too), the rest is the body.  The
 * body is parsed whole and then split; both event streams, hashed, must
 * be the same, and on_data must point into the current piece or into
 * mp->delim.  Each piece is its own malloc(), freed after execute.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ga_multipart.h"


typedef struct {
    uint64_t         hash;
    int              in_data;
    const u_char    *chunk;
    size_t           chunk_len;
    ga_multipart_t  *mp;
} fz_rec_t;


static void
fz_hash(fz_rec_t *r, const void *p, size_t n)
{
    size_t         i;
    const u_char  *s;

    s = p;

    for (i = 0; i < n; i++) {
        r->hash = (r->hash ^ s[i]) * 1099511628211ULL;
    }
}


static void
fz_event(fz_rec_t *r, const char *tag)
{
    r->in_data = 0;
    fz_hash(r, tag, strlen(tag));
}


static int
fz_begin(void *data)
{
    fz_event(data, "B|");
    return 0;
}


static int
fz_header(void *data, const u_char *name, size_t name_len,
    const u_char *value, size_t value_len)
{
    fz_rec_t  *r = data;

    if (name_len == 0 || memchr(name, ':', name_len) != NULL
        || memchr(value, '\r', value_len) != NULL
        || memchr(value, '\n', value_len) != NULL)
    {
        abort();
    }

    fz_event(r, "H|");
    fz_hash(r, &name_len, sizeof(size_t));
    fz_hash(r, name, name_len);
    fz_hash(r, &value_len, sizeof(size_t));
    fz_hash(r, value, value_len);

    return 0;
}


static int
fz_headers_complete(void *data)
{
    fz_event(data, "C|");
    return 0;
}


static int
fz_data(void *data, const u_char *p, size_t len)
{
    fz_rec_t        *r = data;
    ga_multipart_t  *mp;

    mp = r->mp;

    if (len == 0) {
        abort();
    }

    if (!((p >= r->chunk && p + len <= r->chunk + r->chunk_len)
          || (p >= mp->delim && p + len <= mp->delim + mp->delim_len)))
    {
        abort();
    }

    if (!r->in_data) {
        fz_hash(r, "D|", 2);
        r->in_data = 1;
    }

    fz_hash(r, p, len);

    return 0;
}


static int
fz_part_end(void *data)
{
    fz_event(data, "E|");
    return 0;
}


static int
fz_done(void *data)
{
    fz_event(data, "X|");
    return 0;
}


static const ga_multipart_callbacks_t  fz_cb = {
    fz_begin, fz_header, fz_headers_complete, fz_data, fz_part_end, fz_done
};


static uint64_t
fz_run(const u_char *b, size_t blen, const u_char *body, size_t len,
    int mode, uint32_t seed)
{
    int             rc;
    size_t          off, n;
    u_char          hbuf[64], *chunk;
    fz_rec_t        r;
    ga_multipart_t  mp;

    memset(&r, 0, sizeof(fz_rec_t));
    r.hash = 14695981039346656037ULL;
    r.mp = &mp;

    ga_multipart_init(&mp, b, blen, hbuf, sizeof(hbuf), 8, &fz_cb, &r);

    rc = GA_MP_OK;
    off = 0;

    do {
        switch (mode) {
        case 0:
            n = len - off;
            break;
        case 1:
            n = 1;
            break;
        case 2:
            n = 1 + seed % 97;
            break;
        default:
            seed = seed * 1103515245 + 12345;
            n = (seed >> 16) % 11;      /* 0: an empty call */
            break;
        }

        if (n > len - off) {
            n = len - off;
        }

        chunk = malloc(n ? n : 1);
        memcpy(chunk, body + off, n);
        r.chunk = chunk;
        r.chunk_len = n;

        rc = ga_multipart_execute(&mp, chunk, n);

        free(chunk);
        r.chunk = NULL;
        r.chunk_len = 0;
        off += n;

    } while (off < len && rc == GA_MP_OK);

    if (rc == GA_MP_OK) {
        rc = ga_multipart_finish(&mp);

        if (ga_multipart_execute(&mp, body, len) != GA_MP_ERR_STATE) {
            abort();
        }

    } else if (ga_multipart_finish(&mp) != rc) {
        abort();
    }

    if (rc > 0 || rc < GA_MP_ERR_STATE || rc == GA_MP_ERR_CALLBACK
        || rc == GA_MP_ERR_STATE)
    {
        abort();
    }

    fz_event(&r, "=");
    fz_hash(&r, &rc, sizeof(int));

    return r.hash;
}


int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    int            mode;
    size_t         blen;
    uint32_t       seed;
    const u_char  *b;

    if (n < 2) {
        return 0;
    }

    mode = d[0] & 3;
    seed = d[0] >> 2;

    /* either delimiter search, memchr or AVX2 (when the CPU has it) */
    ga_multipart_select(seed & 1);

    if (d[1] == 0) {
        b = (const u_char *) "XyZ";
        blen = 3;
        d += 2;
        n -= 2;

    } else {
        blen = 1 + d[1] % 8;

        if (n < 2 + blen) {
            return 0;
        }

        b = d + 2;
        d += 2 + blen;
        n -= 2 + blen;
    }

    if (fz_run(b, blen, d, n, 0, 0) != fz_run(b, blen, d, n, mode, seed)) {
        abort();
    }

    return 0;
}
