
/*
 * Copyright (C) graph-attach authors
 */


#include <stdint.h>
#include <string.h>

#include "ga_ascii.h"
#include "ga_multipart.h"


/*
 * Where a delimiter may begin: its CR LF.  In a binary file one byte in
 * 256 is a CR, so a search for the CR alone (memchr) stops, and calls
 * again, every 256 bytes; AVX2 looks at the CR LF pair 32 bytes a step.
 */

#if !defined(GA_MULTIPART_NO_SIMD) && defined(__x86_64__)                     \
    && ((defined(__clang__) && __clang_major__ >= 7)                          \
        || (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 8))
#define GA_MULTIPART_SIMD  1
#include <immintrin.h>
#else
#define GA_MULTIPART_SIMD  0
#endif


typedef const u_char *(*ga_multipart_find_pt)(const u_char *p,
    const u_char *last);

static const u_char *ga_multipart_find_crlf(const u_char *p,
    const u_char *last);
#if (GA_MULTIPART_SIMD)
static const u_char *ga_multipart_find_crlf_avx2(const u_char *p,
    const u_char *last);
#endif

static ga_multipart_find_pt  ga_multipart_find = ga_multipart_find_crlf;


enum {
    ga_mp_st_preamble = 0,
    ga_mp_st_after_boundary,
    ga_mp_st_padding,
    ga_mp_st_after_cr,
    ga_mp_st_after_dash,
    ga_mp_st_header,
    ga_mp_st_header_lf,
    ga_mp_st_data,
    ga_mp_st_epilogue,
    ga_mp_st_finished
};


static int ga_multipart_search(ga_multipart_t *mp, const u_char **pos,
    const u_char *last, int emit);
static int ga_multipart_after_boundary(ga_multipart_t *mp, u_char c);
static int ga_multipart_header_run(ga_multipart_t *mp, const u_char **pos,
    const u_char *last);
static int ga_multipart_header_byte(ga_multipart_t *mp, u_char c);
static int ga_multipart_header_line(ga_multipart_t *mp);


#define ga_multipart_call(mp, name)                                          \
    ((mp)->cb && (mp)->cb->name && (mp)->cb->name((mp)->data) != 0)


void
ga_multipart_init(ga_multipart_t *mp, const u_char *boundary,
    size_t boundary_len, u_char *header_buf, size_t header_buf_size,
    size_t max_headers, const ga_multipart_callbacks_t *cb, void *data)
{
    size_t  i, k;

    if (boundary_len > GA_MP_MAX_BOUNDARY) {
        boundary_len = GA_MP_MAX_BOUNDARY;
    }

    mp->cb = cb;
    mp->data = data;
    mp->hbuf = header_buf;
    mp->hbuf_size = header_buf_size;
    mp->hlen = 0;
    mp->max_headers = max_headers;
    mp->nheaders = 0;
    mp->state = ga_mp_st_preamble;
    mp->error = GA_MP_OK;

    mp->delim[0] = '\r';
    mp->delim[1] = '\n';
    mp->delim[2] = '-';
    mp->delim[3] = '-';
    memcpy(&mp->delim[4], boundary, boundary_len);
    mp->delim_len = 4 + boundary_len;

    /*
     * fail[k] is the longest proper border of delim[0..k): where a match
     * of k bytes continues after a mismatch.  With the usual bchars it is
     * always 0, as CR occurs only first, but the parser must not depend
     * on the boundary having been validated.
     */

    mp->fail[0] = 0;
    mp->fail[1] = 0;
    k = 0;

    for (i = 1; i < mp->delim_len; i++) {
        while (k > 0 && mp->delim[i] != mp->delim[k]) {
            k = mp->fail[k];
        }

        if (mp->delim[i] == mp->delim[k]) {
            k++;
        }

        mp->fail[i + 1] = (u_char) k;
    }

    /* the first delimiter may open the body without the leading CRLF */
    mp->match = 2;
}


int
ga_multipart_execute(ga_multipart_t *mp, const u_char *p, size_t len)
{
    int            rc;
    const u_char  *last;

    if (mp->state == ga_mp_st_finished) {
        return GA_MP_ERR_STATE;
    }

    if (mp->error != GA_MP_OK) {
        return mp->error;
    }

    if (len == 0) {
        return GA_MP_OK;
    }

    last = p + len;
    rc = GA_MP_OK;

    while (p < last && rc == GA_MP_OK) {

        switch (mp->state) {

        case ga_mp_st_preamble:
            rc = ga_multipart_search(mp, &p, last, 0);
            break;

        case ga_mp_st_data:
            rc = ga_multipart_search(mp, &p, last, 1);
            break;

        case ga_mp_st_header:
            rc = ga_multipart_header_run(mp, &p, last);
            break;

        case ga_mp_st_header_lf:
            rc = ga_multipart_header_byte(mp, *p++);
            break;

        case ga_mp_st_epilogue:
            /* RFC 2046: the epilogue is to be ignored */
            p = last;
            break;

        default:
            rc = ga_multipart_after_boundary(mp, *p++);
            break;
        }
    }

    mp->error = rc;

    return rc;
}


/*
 * Looks for the delimiter in [*pos, last).  Bytes that can still be the
 * start of a delimiter are not emitted but kept as mp->match; if the
 * match fails they are emitted from mp->delim, which holds the same bytes.
 *
 * Data is emitted in runs as long as the buffer allows: a CR that turns
 * out not to start the delimiter (one in 256 bytes of a binary file) does
 * not cut the run, as the bytes of a failed match that lie in this buffer
 * are contiguous with the run before them.  Only those of a match begun
 * in an earlier buffer are emitted apart.
 */

static int
ga_multipart_search(ga_multipart_t *mp, const u_char **pos,
    const u_char *last, int emit)
{
    u_char         c;
    size_t         k, k0, carried, d;
    const u_char  *p, *q, *start, *m;

    p = *pos;
    start = p;          /* data of this buffer not emitted yet */
    k = mp->match;      /* delimiter bytes matched */
    carried = k;        /* ... of them in earlier buffers */
    m = p;              /* where the match's bytes in this buffer begin */

    while (p < last) {

        if (k == 0) {
            /* delim[0] and delim[1] are CR LF */

            q = ga_multipart_find(p, last);

            if (q == NULL) {
                p = last;
                break;
            }

            m = q;
            k = 1;
            p = q + 1;
            continue;
        }

        c = *p;

        if (c != mp->delim[k]) {
            k0 = k;

            while (k > 0 && c != mp->delim[k]) {
                k = mp->fail[k];
            }

            /*
             * the first k0 - k bytes of the match are data: those of
             * earlier buffers from mp->delim, which holds them, now; those
             * of this one join the run
             */

            d = (k0 - k < carried) ? k0 - k : carried;

            if (d && emit && mp->cb && mp->cb->on_data
                && mp->cb->on_data(mp->data, mp->delim, d) != 0)
            {
                return GA_MP_ERR_CALLBACK;
            }

            carried -= d;
            m += (k0 - k) - d;

            if (c != mp->delim[k]) {
                /* k == 0: c is data too */
                carried = 0;
                p++;
                continue;
            }

            if (k == 0) {
                m = p;
            }
        }

        k++;
        p++;

        if (k == mp->delim_len) {
            break;
        }
    }

    *pos = p;

    /* the run, less what may still be the delimiter */

    q = (k > 0) ? m : p;

    if (emit && q > start && mp->cb && mp->cb->on_data
        && mp->cb->on_data(mp->data, start, q - start) != 0)
    {
        return GA_MP_ERR_CALLBACK;
    }

    if (k < mp->delim_len) {
        mp->match = k;
        return GA_MP_OK;
    }

    mp->match = 0;
    mp->state = ga_mp_st_after_boundary;

    if (emit && ga_multipart_call(mp, on_part_end)) {
        return GA_MP_ERR_CALLBACK;
    }

    return GA_MP_OK;
}


/* the first CR LF in [p, last), or a CR that ends the buffer; or NULL */

static const u_char *
ga_multipart_find_crlf(const u_char *p, const u_char *last)
{
    const u_char  *q;

    while ((q = memchr(p, '\r', last - p)) != NULL) {

        if (q + 1 == last || q[1] == '\n') {
            return q;
        }

        p = q + 1;
    }

    return NULL;
}


#if (GA_MULTIPART_SIMD)

__attribute__((target("avx2")))
static const u_char *
ga_multipart_find_crlf_avx2(const u_char *p, const u_char *last)
{
    uint32_t  mask;
    __m256i   cr, lf, a, b;

    cr = _mm256_set1_epi8('\r');
    lf = _mm256_set1_epi8('\n');

    /* 33 bytes: the pair may start at the 32nd */

    while (last - p >= 33) {
        a = _mm256_loadu_si256((const __m256i *) p);
        b = _mm256_loadu_si256((const __m256i *) (p + 1));

        mask = (uint32_t) _mm256_movemask_epi8(
                   _mm256_and_si256(_mm256_cmpeq_epi8(a, cr),
                                    _mm256_cmpeq_epi8(b, lf)));

        if (mask) {
            return p + __builtin_ctz(mask);
        }

        p += 32;
    }

    return ga_multipart_find_crlf(p, last);
}

#endif


int
ga_multipart_select(int use_simd)
{
#if (GA_MULTIPART_SIMD)
    if (use_simd && __builtin_cpu_supports("avx2")) {
        ga_multipart_find = ga_multipart_find_crlf_avx2;
        return 1;
    }
#endif

    ga_multipart_find = ga_multipart_find_crlf;

    return 0;
}


/*
 * RFC 2046: delimiter transport-padding CRLF, or close-delimiter ("--"
 * right after the boundary).  Anything else means the boundary occurred
 * inside a body, which the RFC forbids, or a smuggling attempt: reject.
 */

static int
ga_multipart_after_boundary(ga_multipart_t *mp, u_char c)
{
    switch (mp->state) {

    case ga_mp_st_after_boundary:
        if (c == '-') {
            mp->state = ga_mp_st_after_dash;
            return GA_MP_OK;
        }

        /* fall through */

    case ga_mp_st_padding:
        if (c == ' ' || c == '\t') {
            mp->state = ga_mp_st_padding;
            return GA_MP_OK;
        }

        if (c == '\r') {
            mp->state = ga_mp_st_after_cr;
            return GA_MP_OK;
        }

        return GA_MP_ERR_BAD_DELIMITER;

    case ga_mp_st_after_cr:
        if (c != '\n') {
            return GA_MP_ERR_BAD_DELIMITER;
        }

        mp->state = ga_mp_st_header;
        mp->hlen = 0;
        mp->nheaders = 0;

        if (ga_multipart_call(mp, on_part_begin)) {
            return GA_MP_ERR_CALLBACK;
        }

        return GA_MP_OK;

    default: /* ga_mp_st_after_dash */
        if (c != '-') {
            return GA_MP_ERR_BAD_DELIMITER;
        }

        mp->state = ga_mp_st_epilogue;

        if (ga_multipart_call(mp, on_done)) {
            return GA_MP_ERR_CALLBACK;
        }

        return GA_MP_OK;
    }
}


/*
 * The printable bytes of a header line, in one loop; a line's first byte,
 * CR, HTAB and what is refused go through the byte rules.
 */

static int
ga_multipart_header_run(ga_multipart_t *mp, const u_char **pos,
    const u_char *last)
{
    u_char         c;
    size_t         room;
    const u_char  *p, *end;

    p = *pos;

    if (mp->hlen == 0) {
        *pos = p + 1;
        return ga_multipart_header_byte(mp, *p);
    }

    room = mp->hbuf_size - mp->hlen;
    end = (size_t) (last - p) > room ? p + room : last;

    while (p < end) {
        c = *p;

        if (c < 0x20 || c == 0x7f) {
            break;
        }

        mp->hbuf[mp->hlen++] = c;
        p++;
    }

    if (p == last) {
        *pos = p;
        return GA_MP_OK;
    }

    *pos = p + 1;

    return ga_multipart_header_byte(mp, *p);
}


static int
ga_multipart_header_byte(ga_multipart_t *mp, u_char c)
{
    if (mp->state == ga_mp_st_header_lf) {

        /* a CR not followed by LF */
        if (c != '\n') {
            return GA_MP_ERR_BAD_HEADER;
        }

        mp->state = ga_mp_st_header;

        if (mp->hlen == 0) {
            mp->state = ga_mp_st_data;
            mp->match = 0;

            if (ga_multipart_call(mp, on_headers_complete)) {
                return GA_MP_ERR_CALLBACK;
            }

            return GA_MP_OK;
        }

        return ga_multipart_header_line(mp);
    }

    if (c == '\r') {
        mp->state = ga_mp_st_header_lf;
        return GA_MP_OK;
    }

    /* bare LF, NUL and other controls; HTAB is allowed in values */
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
        return GA_MP_ERR_BAD_HEADER;
    }

    /* obs-fold (RFC 7230 section 3.2.4), or a name starting with space */
    if (mp->hlen == 0 && (c == ' ' || c == '\t')) {
        return GA_MP_ERR_BAD_HEADER;
    }

    if (mp->hlen == mp->hbuf_size) {
        return GA_MP_ERR_HEADER_TOO_LARGE;
    }

    mp->hbuf[mp->hlen++] = c;

    return GA_MP_OK;
}


static int
ga_multipart_header_line(ga_multipart_t *mp)
{
    u_char  *p, *last, *colon, *v;

    mp->nheaders++;

    if (mp->max_headers && mp->nheaders > mp->max_headers) {
        return GA_MP_ERR_TOO_MANY_HEADERS;
    }

    p = mp->hbuf;
    last = p + mp->hlen;
    mp->hlen = 0;

    colon = memchr(p, ':', last - p);

    /*
     * a field name is an RFC 9110 token: no whitespace before the colon
     * either (RFC 7230 section 3.2.4)
     */

    if (colon == NULL || colon == p) {
        return GA_MP_ERR_BAD_HEADER;
    }

    for (v = p; v < colon; v++) {
        if (!ga_ascii_tchar(*v)) {
            return GA_MP_ERR_BAD_HEADER;
        }
    }

    v = colon + 1;

    while (v < last && (*v == ' ' || *v == '\t')) {
        v++;
    }

    while (last > v && (last[-1] == ' ' || last[-1] == '\t')) {
        last--;
    }

    if (mp->cb && mp->cb->on_header
        && mp->cb->on_header(mp->data, p, colon - p, v, last - v) != 0)
    {
        return GA_MP_ERR_CALLBACK;
    }

    return GA_MP_OK;
}


int
ga_multipart_finish(ga_multipart_t *mp)
{
    if (mp->state == ga_mp_st_finished || mp->error != GA_MP_OK) {
        return mp->error;
    }

    if (mp->state == ga_mp_st_epilogue) {
        mp->error = GA_MP_OK;

    } else if (mp->state == ga_mp_st_preamble) {
        mp->error = GA_MP_ERR_NO_DELIMITER;

    } else {
        mp->error = GA_MP_ERR_TRUNCATED;
    }

    mp->state = ga_mp_st_finished;

    return mp->error;
}


const char *
ga_multipart_strerror(int rc)
{
    switch (rc) {
    case GA_MP_OK:
        return "ok";
    case GA_MP_ERR_NO_DELIMITER:
        return "no multipart delimiter";
    case GA_MP_ERR_TRUNCATED:
        return "no closing delimiter";
    case GA_MP_ERR_HEADER_TOO_LARGE:
        return "part header line too large";
    case GA_MP_ERR_TOO_MANY_HEADERS:
        return "too many part header lines";
    case GA_MP_ERR_BAD_HEADER:
        return "invalid part header";
    case GA_MP_ERR_BAD_DELIMITER:
        return "invalid data after boundary";
    case GA_MP_ERR_CALLBACK:
        return "aborted by callback";
    case GA_MP_ERR_STATE:
        return "parser already finished";
    default:
        return "unknown multipart error";
    }
}
