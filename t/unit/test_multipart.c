
/*
 * Copyright (C) graph-attach authors
 */


#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ga_multipart.h"
#include "ga_header_params.h"
#include "tap.h"


/*
 * Every body is fed whole, one byte at a time, split in two at every
 * offset and in random pieces; each piece is a fresh malloc() freed right
 * after ga_multipart_execute(), so ASan catches a parser that keeps or
 * reads past its input.  The callbacks write the events as text:
 *
 *     B|            on_part_begin
 *     H:name=value| on_header
 *     C|            on_headers_complete
 *     D:bytes|      on_data, adjacent calls joined
 *     E|            on_part_end
 *     X|            on_done
 *     =RC           what execute (first error) or finish returned
 */


#define S(s)       (const u_char *) (s), sizeof(s) - 1
#define E(s)       s, sizeof(s) - 1
#define REC_SIZE   65536


typedef struct {
    char             buf[REC_SIZE];
    size_t           len;
    int              in_data;
    int              bad;
    const u_char    *chunk;
    size_t           chunk_len;
    ga_multipart_t  *mp;
    u_char           hdr[8][256];
    size_t           hdr_len[8];
    size_t           nhdr;
    u_char           data[4096];
    size_t           data_len;
} rec_t;


typedef struct {
    const char      *name;
    const u_char    *boundary;
    size_t           boundary_len;
    size_t           hbuf_size;
    size_t           max_headers;
    const u_char    *body;
    size_t           body_len;
    const char      *expect;
    size_t           expect_len;
} vec_t;


static void
rec_add(rec_t *r, const void *p, size_t n)
{
    if (r->len + n > REC_SIZE) {
        r->bad = 1;
        return;
    }

    memcpy(r->buf + r->len, p, n);
    r->len += n;
}


static void
rec_event(rec_t *r, const char *s)
{
    if (r->in_data) {
        rec_add(r, "|", 1);
        r->in_data = 0;
    }

    rec_add(r, s, strlen(s));
}


static int
on_part_begin(void *data)
{
    rec_t  *r = data;

    rec_event(r, "B|");
    r->nhdr = 0;
    r->data_len = 0;

    return 0;
}


static int
on_header(void *data, const u_char *name, size_t name_len,
    const u_char *value, size_t value_len)
{
    rec_t  *r = data;

    rec_event(r, "H:");
    rec_add(r, name, name_len);
    rec_add(r, "=", 1);
    rec_add(r, value, value_len);
    rec_add(r, "|", 1);

    /* keep "Name: value" lines for the Content-Disposition checks */

    if (r->nhdr < 8 && name_len + value_len + 1 <= 256) {
        memcpy(r->hdr[r->nhdr], name, name_len);
        r->hdr[r->nhdr][name_len] = ':';
        memcpy(r->hdr[r->nhdr] + name_len + 1, value, value_len);
        r->hdr_len[r->nhdr++] = name_len + 1 + value_len;
    }

    return 0;
}


static int
on_headers_complete(void *data)
{
    rec_event(data, "C|");
    return 0;
}


static int
on_data(void *data, const u_char *p, size_t len)
{
    rec_t  *r = data;

    if (len == 0) {
        rec_event(r, "!empty|");
        return 0;
    }

    /* from the current input, or a re-emitted delimiter prefix */

    if (!((p >= r->chunk && p + len <= r->chunk + r->chunk_len)
          || (p >= r->mp->delim && p + len <= r->mp->delim + r->mp->delim_len)))
    {
        rec_event(r, "!ptr|");
    }

    if (!r->in_data) {
        rec_add(r, "D:", 2);
        r->in_data = 1;
    }

    rec_add(r, p, len);

    if (r->data_len + len <= sizeof(r->data)) {
        memcpy(r->data + r->data_len, p, len);
        r->data_len += len;
    }

    return 0;
}


static int
on_part_end(void *data)
{
    rec_event(data, "E|");
    return 0;
}


static int
on_done(void *data)
{
    rec_event(data, "X|");
    return 0;
}


static const ga_multipart_callbacks_t  rec_cb = {
    on_part_begin, on_header, on_headers_complete, on_data, on_part_end,
    on_done
};


static const char *
rc_name(int rc)
{
    switch (rc) {
    case GA_MP_OK:
        return "OK";
    case GA_MP_ERR_NO_DELIMITER:
        return "NO_DELIMITER";
    case GA_MP_ERR_TRUNCATED:
        return "TRUNCATED";
    case GA_MP_ERR_HEADER_TOO_LARGE:
        return "HEADER_TOO_LARGE";
    case GA_MP_ERR_TOO_MANY_HEADERS:
        return "TOO_MANY_HEADERS";
    case GA_MP_ERR_BAD_HEADER:
        return "BAD_HEADER";
    case GA_MP_ERR_BAD_DELIMITER:
        return "BAD_DELIMITER";
    case GA_MP_ERR_CALLBACK:
        return "CALLBACK";
    case GA_MP_ERR_STATE:
        return "STATE";
    default:
        return "?";
    }
}


static uint32_t  rng_state = 2463534242u;


static uint32_t
rng(void)
{
    /* xorshift32: reproducible, no libc state */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}


/*
 * Feeds body in pieces: cuts[0..ncuts) are increasing offsets where a
 * new piece starts (duplicates give empty pieces).  Returns the event
 * text in r, ending with "=RC".
 */

static int
run_cuts(const u_char *boundary, size_t blen, size_t hbuf_size,
    size_t max_headers, const u_char *body, size_t len, const size_t *cuts,
    size_t ncuts, size_t limit, rec_t *r)
{
    int             rc, rc2;
    size_t          i, from, to;
    u_char         *chunk, *hbuf;
    ga_multipart_t  mp;

    memset(r, 0, offsetof(rec_t, hdr));
    r->mp = &mp;
    r->nhdr = 0;
    r->data_len = 0;

    hbuf = malloc(hbuf_size ? hbuf_size : 1);
    ga_multipart_init(&mp, boundary, blen, hbuf, hbuf_size, max_headers,
                      &rec_cb, r);

    if (limit > len) {
        limit = len;
    }

    rc = GA_MP_OK;
    from = 0;

    for (i = 0; i <= ncuts && rc == GA_MP_OK; i++) {
        to = (i < ncuts) ? cuts[i] : limit;

        if (to > limit) {
            to = limit;
        }

        if (to < from) {
            to = from;
        }

        chunk = malloc(to - from ? to - from : 1);
        memcpy(chunk, body + from, to - from);
        r->chunk = chunk;
        r->chunk_len = to - from;

        rc = ga_multipart_execute(&mp, chunk, to - from);

        free(chunk);
        r->chunk = NULL;
        r->chunk_len = 0;
        from = to;
    }

    if (rc == GA_MP_OK) {
        rc = ga_multipart_finish(&mp);

        /* finish is final */
        if (ga_multipart_execute(&mp, (u_char *) "x", 1) != GA_MP_ERR_STATE
            || ga_multipart_finish(&mp) != rc)
        {
            rec_event(r, "!state|");
        }

    } else {
        /* errors are sticky */
        rc2 = ga_multipart_execute(&mp, (u_char *) "\r\n", 2);

        if (rc2 != rc || ga_multipart_finish(&mp) != rc) {
            rec_event(r, "!sticky|");
        }
    }

    rec_event(r, "=");
    rec_add(r, rc_name(rc), strlen(rc_name(rc)));
    rec_add(r, "", 1);
    r->len--;

    free(hbuf);

    return rc;
}


enum { MODE_WHOLE, MODE_BYTES, MODE_SPLIT, MODE_RANDOM };


static int
run_mode(const u_char *boundary, size_t blen, size_t hbuf_size,
    size_t max_headers, const u_char *body, size_t len, int mode,
    size_t arg, rec_t *r)
{
    int      rc;
    size_t   i, n, *cuts;

    cuts = malloc((len + 2) * sizeof(size_t));
    n = 0;

    switch (mode) {

    case MODE_WHOLE:
        break;

    case MODE_BYTES:
        for (i = 1; i < len; i++) {
            cuts[n++] = i;
        }
        break;

    case MODE_SPLIT:
        cuts[n++] = arg;
        break;

    default:
        rng_state = (uint32_t) arg * 2654435761u + 1;
        i = 0;

        while (n < len + 1) {
            i += rng() % 9;         /* 0: an empty piece */
            if (i > len) {
                break;
            }
            cuts[n++] = i;
        }
        break;
    }

    rc = run_cuts(boundary, blen, hbuf_size, max_headers, body, len, cuts, n,
                  (size_t) -1, r);

    free(cuts);

    return rc;
}


/*
 * Checks one body in all four feeding modes against expect; returns
 * the number of failing modes.
 */

static int
check_all_splits(const char *name, const u_char *boundary, size_t blen,
    size_t hbuf_size, size_t max_headers, const u_char *body, size_t len,
    const char *expect, size_t expect_len)
{
    int           fails;
    size_t        i, bad_at;
    static rec_t  r;

    fails = 0;

    run_mode(boundary, blen, hbuf_size, max_headers, body, len, MODE_WHOLE,
             0, &r);
    if (!is_mem(r.buf, r.len, expect, expect_len, "%s: whole", name)) {
        fails++;
    }

    run_mode(boundary, blen, hbuf_size, max_headers, body, len, MODE_BYTES,
             0, &r);
    if (!is_mem(r.buf, r.len, expect, expect_len, "%s: byte by byte",
                name))
    {
        fails++;
    }

    bad_at = (size_t) -1;

    for (i = 0; i <= len; i++) {
        run_mode(boundary, blen, hbuf_size, max_headers, body, len,
                 MODE_SPLIT, i, &r);

        if (r.len != expect_len || memcmp(r.buf, expect, r.len) != 0) {
            bad_at = i;
            break;
        }
    }

    if (!ok(bad_at == (size_t) -1, "%s: split in two at every offset",
            name))
    {
        diag("first bad split at %zu", bad_at);
        tap_dump("got", r.buf, r.len);
        fails++;
    }

    bad_at = (size_t) -1;

    for (i = 0; i < 50; i++) {
        run_mode(boundary, blen, hbuf_size, max_headers, body, len,
                 MODE_RANDOM, i, &r);

        if (r.len != expect_len || memcmp(r.buf, expect, r.len) != 0) {
            bad_at = i;
            break;
        }
    }

    if (!ok(bad_at == (size_t) -1, "%s: 50 random splits", name)) {
        diag("first bad seed %zu", bad_at);
        tap_dump("got", r.buf, r.len);
        fails++;
    }

    return fails;
}


#define B70                                                                  \
    "0123456789'()+_,-./:=? abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"

#define CD  "Content-Disposition: form-data; name=\"a\"\r\n"
#define HCD "H:Content-Disposition=form-data; name=\"a\"|"


static const vec_t  vectors[] = {

    /* structure */

    { "one part", S("XyZ"), 256, 0,
      S("--XyZ\r\n" CD "\r\nhello\r\n--XyZ--\r\n"),
      E("B|" HCD "C|D:hello|E|X|=OK") },

    { "two parts, several headers", S("XyZ"), 256, 0,
      S("--XyZ\r\n" CD "Content-Type: text/plain\r\n\r\nv1\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; "
        "filename=\"x.bin\"\r\nContent-Type: application/octet-stream\r\n"
        "\r\n\000\001\377\r\n--XyZ--"),
      E("B|" HCD "H:Content-Type=text/plain|C|D:v1|E|B|"
      "H:Content-Disposition=form-data; name=\"f\"; filename=\"x.bin\"|"
      "H:Content-Type=application/octet-stream|C|D:\000\001\377|E|X|=OK") },

    { "preamble", S("XyZ"), 256, 0,
      S("This is a preamble.\r\n--XyZ\r\n" CD "\r\nv\r\n--XyZ--\r\n"),
      E("B|" HCD "C|D:v|E|X|=OK") },

    { "preamble is a lone CRLF", S("XyZ"), 256, 0,
      S("\r\n--XyZ\r\n\r\nv\r\n--XyZ--"),
      E("B|C|D:v|E|X|=OK") },

    { "preamble with a boundary not at a line start", S("XyZ"), 256, 0,
      S("junk--XyZ\r\n--XyZ\r\n\r\nv\r\n--XyZ--"),
      E("B|C|D:v|E|X|=OK") },

    { "preamble with partial delimiters", S("XyZ"), 256, 0,
      S("\r\n-\r\n--\r\n--X\r\n--Xy\r\r\n--XyZ\r\n\r\nv\r\n--XyZ--"),
      E("B|C|D:v|E|X|=OK") },

    { "epilogue", S("XyZ"), 256, 0,
      S("--XyZ\r\n\r\nv\r\n--XyZ--\r\nepilogue\r\n--XyZ\r\n\001junk"),
      E("B|C|D:v|E|X|=OK") },

    { "no final CRLF (undici)", S("XyZ"), 256, 0,
      S("--XyZ\r\n" CD "\r\nv\r\n--XyZ--"),
      E("B|" HCD "C|D:v|E|X|=OK") },

    { "transport padding", S("XyZ"), 256, 0,
      S("--XyZ \t \r\n\r\nv\r\n--XyZ\t\r\n\r\nw\r\n--XyZ-- \r\n"),
      E("B|C|D:v|E|B|C|D:w|E|X|=OK") },

    { "empty parts, no headers", S("XyZ"), 256, 0,
      S("--XyZ\r\n\r\n\r\n--XyZ\r\n\r\n\r\n--XyZ--"),
      E("B|C|E|B|C|E|X|=OK") },

    { "empty data with headers", S("XyZ"), 256, 0,
      S("--XyZ\r\n" CD "\r\n\r\n--XyZ--"),
      E("B|" HCD "C|E|X|=OK") },

    { "boundary of 70 bchars", S(B70), 256, 0,
      S("--" B70 "\r\n\r\nv\r\n--" B70 "--"),
      E("B|C|D:v|E|X|=OK") },

    { "header value trimming", S("XyZ"), 256, 0,
      S("--XyZ\r\nA: \t b c \t \r\nB:\r\nC:x\r\n\r\n\r\n--XyZ--"),
      E("B|H:A=b c|H:B=|H:C=x|C|E|X|=OK") },

    { "header value with UTF-8", S("XyZ"), 256, 0,
      S("--XyZ\r\nA: \303\251\r\n\r\n\r\n--XyZ--"),
      E("B|H:A=\303\251|C|E|X|=OK") },

    /* delimiter-like data */

    { "data with CRLF-dash prefixes", S("XyZ"), 256, 0,
      S("--XyZ\r\n\r\na\r\nb\r\n-c\r\n--d\r\n--Xe\r\n--Xyf\r\r\n\n"
        "\r\n--Xy\r\n--XyZ--"),
      E("B|C|D:a\r\nb\r\n-c\r\n--d\r\n--Xe\r\n--Xyf\r\r\n\n\r\n--Xy|E|X|=OK") },

    { "data is a delimiter prefix", S("XyZ"), 256, 0,
      S("--XyZ\r\n\r\n\r\n--Xy\r\n--XyZ--"),
      E("B|C|D:\r\n--Xy|E|X|=OK") },

    { "data ending in CR", S("XyZ"), 256, 0,
      S("--XyZ\r\n\r\nab\r\r\n--XyZ--"),
      E("B|C|D:ab\r|E|X|=OK") },

    { "data ending in CRLF", S("XyZ"), 256, 0,
      S("--XyZ\r\n\r\nab\r\n\r\n--XyZ--"),
      E("B|C|D:ab\r\n|E|X|=OK") },

    { "boundary without CRLF in data", S("XyZ"), 256, 0,
      S("--XyZ\r\n\r\na--XyZb\n--XyZ\r--XyZ--\r\n--XyZ--"),
      E("B|C|D:a--XyZb\n--XyZ\r--XyZ--|E|X|=OK") },

    { "data with a dash boundary", S("--"), 256, 0,
      S("----\r\n\r\n\r\n---\r\n---- \r\n\r\n\r\n------"),
      E("B|C|D:\r\n---|E|B|C|E|X|=OK") },

    { "file data of CRLF and dashes", S("-"), 256, 0,
      S("---\r\n\r\n\r\n\r\n-\r\n--\r\n---\r\n\r\n\r\n-----"),
      E("B|C|D:\r\n\r\n-\r\n--|E|B|C|E|X|=OK") },

    /* a boundary outside bchars: the matcher must still be exact */

    { "self-overlapping delimiter", S("\r\nx"), 256, 0,
      S("--\r\nx\r\n\r\ny\r\n--\r\n--\r\nx--"),
      E("B|C|D:y\r\n--|E|X|=OK") },

    /* errors */

    { "empty body", S("XyZ"), 256, 0,
      S(""),
      E("=NO_DELIMITER") },

    { "no delimiter", S("XyZ"), 256, 0,
      S("hello world\r\n--XyY\r\n"),
      E("=NO_DELIMITER") },

    { "partial first delimiter", S("XyZ"), 256, 0,
      S("--Xy"),
      E("=NO_DELIMITER") },

    { "delimiter only", S("XyZ"), 256, 0,
      S("--XyZ"),
      E("=TRUNCATED") },

    { "delimiter and one dash", S("XyZ"), 256, 0,
      S("--XyZ-"),
      E("=TRUNCATED") },

    { "truncated in headers", S("XyZ"), 256, 0,
      S("--XyZ\r\n" CD),
      E("B|" HCD "=TRUNCATED") },

    { "truncated in data", S("XyZ"), 256, 0,
      S("--XyZ\r\n\r\nabc\r\n--Xy"),
      E("B|C|D:abc|=TRUNCATED") },

    { "truncated after a part", S("XyZ"), 256, 0,
      S("--XyZ\r\n\r\nabc\r\n--XyZ\r\n"),
      E("B|C|D:abc|E|B|=TRUNCATED") },

    { "junk after boundary", S("XyZ"), 256, 0,
      S("--XyZx\r\n\r\n\r\n--XyZ--"),
      E("=BAD_DELIMITER") },

    { "boundary continued in data", S("XyZ"), 256, 0,
      S("--XyZ\r\n\r\nabc\r\n--XyZZ\r\n--XyZ--"),
      E("B|C|D:abc|E|=BAD_DELIMITER") },

    { "CR not followed by LF after boundary", S("XyZ"), 256, 0,
      S("--XyZ\rx"),
      E("=BAD_DELIMITER") },

    { "bare LF after boundary", S("XyZ"), 256, 0,
      S("--XyZ\n\r\nv\r\n--XyZ--"),
      E("=BAD_DELIMITER") },

    { "single dash after boundary", S("XyZ"), 256, 0,
      S("--XyZ\r\n\r\n\r\n--XyZ-x"),
      E("B|C|E|=BAD_DELIMITER") },

    { "padding before close", S("XyZ"), 256, 0,
      S("--XyZ\r\n\r\n\r\n--XyZ --"),
      E("B|C|E|=BAD_DELIMITER") },

    { "header too large", S("XyZ"), 16, 0,
      S("--XyZ\r\nA: 0123456789abcd\r\n\r\n\r\n--XyZ--"),
      E("B|=HEADER_TOO_LARGE") },

    { "header line of exactly the buffer size", S("XyZ"), 16, 0,
      S("--XyZ\r\nA: 0123456789abc\r\n\r\n\r\n--XyZ--"),
      E("B|H:A=0123456789abc|C|E|X|=OK") },

    { "zero-size header buffer", S("XyZ"), 0, 0,
      S("--XyZ\r\n\r\nv\r\n--XyZ\r\nA: b\r\n\r\n\r\n--XyZ--"),
      E("B|C|D:v|E|B|=HEADER_TOO_LARGE") },

    { "too many headers", S("XyZ"), 256, 2,
      S("--XyZ\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n\r\n--XyZ--"),
      E("B|H:A=1|H:B=2|=TOO_MANY_HEADERS") },

    { "as many headers as allowed, each part", S("XyZ"), 256, 2,
      S("--XyZ\r\nA: 1\r\nB: 2\r\n\r\n\r\n--XyZ\r\nA: 1\r\nB: 2\r\n\r\n"
        "\r\n--XyZ--"),
      E("B|H:A=1|H:B=2|C|E|B|H:A=1|H:B=2|C|E|X|=OK") },

    { "bare LF ends a header", S("XyZ"), 256, 0,
      S("--XyZ\r\nA: b\nC: d\r\n\r\n\r\n--XyZ--"),
      E("B|=BAD_HEADER") },

    { "bare LF ends the headers", S("XyZ"), 256, 0,
      S("--XyZ\r\nA: b\r\n\n\r\n--XyZ--"),
      E("B|H:A=b|=BAD_HEADER") },

    { "CR inside a header value", S("XyZ"), 256, 0,
      S("--XyZ\r\nA: b\rc\r\n\r\n\r\n--XyZ--"),
      E("B|=BAD_HEADER") },

    { "NUL in a header", S("XyZ"), 256, 0,
      S("--XyZ\r\nA: b\000c\r\n\r\n\r\n--XyZ--"),
      E("B|=BAD_HEADER") },

    { "control char in a header", S("XyZ"), 256, 0,
      S("--XyZ\r\nA: b\033c\r\n\r\n\r\n--XyZ--"),
      E("B|=BAD_HEADER") },

    { "DEL in a header", S("XyZ"), 256, 0,
      S("--XyZ\r\nA: b\177\r\n\r\n\r\n--XyZ--"),
      E("B|=BAD_HEADER") },

    { "header without colon", S("XyZ"), 256, 0,
      S("--XyZ\r\nContent-Disposition form-data\r\n\r\n\r\n--XyZ--"),
      E("B|=BAD_HEADER") },

    { "empty header name", S("XyZ"), 256, 0,
      S("--XyZ\r\n: v\r\n\r\n\r\n--XyZ--"),
      E("B|=BAD_HEADER") },

    { "space before colon", S("XyZ"), 256, 0,
      S("--XyZ\r\nA : v\r\n\r\n\r\n--XyZ--"),
      E("B|=BAD_HEADER") },

    { "obs-fold", S("XyZ"), 256, 0,
      S("--XyZ\r\nA: b\r\n c\r\n\r\n\r\n--XyZ--"),
      E("B|H:A=b|=BAD_HEADER") },

    { "header line starting with a tab", S("XyZ"), 256, 0,
      S("--XyZ\r\n\tA: b\r\n\r\n\r\n--XyZ--"),
      E("B|=BAD_HEADER") },

    { "boundary line inside headers", S("XyZ"), 256, 0,
      S("--XyZ\r\n" CD "--XyZ--\r\n"),
      E("B|" HCD "=BAD_HEADER") },
};


/*
 * Bodies captured from real clients (boundary and all), each uploading
 * "hello\r\n--x\n" under a tricky filename; the file data itself holds
 * "\r\n--".  curl 7.88.1 (-F, over a socket), Node 20.20 undici FormData
 * (new Request().arrayBuffer()), Python requests 2.34 / urllib3 2.7
 * (Request.prepare()), Go 1.19 mime/multipart, Perl HTTP::Request::Common
 * 6.44.  Go 1.19 and LWP send CR and LF in a filename raw, which breaks
 * the header line: those bodies must be refused (BAD_HEADER).  The name
 * "a%20b.txt" sent raw is the documented ambiguity of
 * ga_filename_decode.c.
 *
 * The "backslash" bodies upload the names "ends with\", "q\"\" and
 * "two\\" (0, 1, 2), captured on a socket: headless Chromium 156
 * (fetch with a FormData and a File), curl 7.88.1 (-F ';filename='),
 * Node 20.20 fetch, requests 2.34 / urllib3 2.7, Go 1.19, LWP 6.44, and
 * Debian's httpx 0.23, urllib3 1.26 and aiohttp 3.8 (t/clients/ programs).
 * WHATWG encoders leave '\' raw, so "ends with\" ends in \" and parses
 * only with the backslash literal; their "two\\" parses as a quoted-pair
 * and gives "two\" (both become "two" once sanitised).
 */

typedef struct {
    const char    *name;
    int            rc;
    const u_char  *content_type;
    size_t         content_type_len;
    const u_char  *body;
    size_t         body_len;
    const u_char  *filename;
    size_t         filename_len;
} client_vec_t;


static const client_vec_t  clients[] = {
    { "curl 0", GA_MP_OK,
      S(
        "multipart/form-data; boundary=------------------------563bda765"
        "020a045"),
      S(
        "--------------------------563bda765020a045\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"plain"
        ".txt\"\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--------------------------563bda765020a045--\r\n"),
      S(
        "plain.txt") },
    { "curl 1", GA_MP_OK,
      S(
        "multipart/form-data; boundary=------------------------a4dc9211a"
        "c36db6b"),
      S(
        "--------------------------a4dc9211ac36db6b\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"na\303"
        "\257ve r\303\251sum\303\251.pdf\"\r\n"
        "Content-Type: application/pdf\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--------------------------a4dc9211ac36db6b--\r\n"),
      S(
        "na\303\257ve r\303\251sum\303\251.pdf") },
    { "curl 2", GA_MP_OK,
      S(
        "multipart/form-data; boundary=------------------------432dc5f53"
        "babeea8"),
      S(
        "--------------------------432dc5f53babeea8\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"quote"
        "%22d.txt\"\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--------------------------432dc5f53babeea8--\r\n"),
      S(
        "quote\"d.txt") },
    { "curl 3", GA_MP_OK,
      S(
        "multipart/form-data; boundary=------------------------6da7e0332"
        "822720b"),
      S(
        "--------------------------6da7e0332822720b\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"back\\"
        "slash.txt\"\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--------------------------6da7e0332822720b--\r\n"),
      S(
        "back\\slash.txt") },
    { "curl 4", GA_MP_OK,
      S(
        "multipart/form-data; boundary=------------------------f20379d99"
        "7327e0a"),
      S(
        "--------------------------f20379d997327e0a\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"semi;"
        "colon=eq.txt\"\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--------------------------f20379d997327e0a--\r\n"),
      S(
        "semi;colon=eq.txt") },
    { "curl 5", GA_MP_OK,
      S(
        "multipart/form-data; boundary=------------------------3b37ccda7"
        "7a6dd66"),
      S(
        "--------------------------3b37ccda77a6dd66\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"\346\227"
        "\245\346\234\254\350\252\236.txt\"\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--------------------------3b37ccda77a6dd66--\r\n"),
      S(
        "\346\227\245\346\234\254\350\252\236.txt") },
    { "curl 6", GA_MP_OK,
      S(
        "multipart/form-data; boundary=------------------------b1671c3df"
        "85e348d"),
      S(
        "--------------------------b1671c3df85e348d\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"cr%0D"
        "lf%0A.txt\"\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--------------------------b1671c3df85e348d--\r\n"),
      S(
        "cr\rlf\n"
        ".txt") },
    { "curl 7", GA_MP_OK,
      S(
        "multipart/form-data; boundary=------------------------df7469520"
        "a66fe40"),
      S(
        "--------------------------df7469520a66fe40\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"100%."
        "txt\"\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--------------------------df7469520a66fe40--\r\n"),
      S(
        "100%.txt") },
    { "curl 8", GA_MP_OK,
      S(
        "multipart/form-data; boundary=------------------------3c1550aad"
        "9c5c369"),
      S(
        "--------------------------3c1550aad9c5c369\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"a%20b"
        ".txt\"\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--------------------------3c1550aad9c5c369--\r\n"),
      S(
        "a b.txt") },
    { "node 0", GA_MP_OK,
      S(
        "multipart/form-data; boundary=----formdata-undici-069565195182"),
      S(
        "------formdata-undici-069565195182\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "------formdata-undici-069565195182\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"plain"
        ".txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "------formdata-undici-069565195182--\r\n"),
      S(
        "plain.txt") },
    { "node 1", GA_MP_OK,
      S(
        "multipart/form-data; boundary=----formdata-undici-034095771392"),
      S(
        "------formdata-undici-034095771392\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "------formdata-undici-034095771392\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"na\303"
        "\257ve r\303\251sum\303\251.pdf\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "------formdata-undici-034095771392--\r\n"),
      S(
        "na\303\257ve r\303\251sum\303\251.pdf") },
    { "node 2", GA_MP_OK,
      S(
        "multipart/form-data; boundary=----formdata-undici-016194179136"),
      S(
        "------formdata-undici-016194179136\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "------formdata-undici-016194179136\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"quote"
        "%22d.txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "------formdata-undici-016194179136--\r\n"),
      S(
        "quote\"d.txt") },
    { "node 3", GA_MP_OK,
      S(
        "multipart/form-data; boundary=----formdata-undici-023577450362"),
      S(
        "------formdata-undici-023577450362\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "------formdata-undici-023577450362\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"back\\"
        "slash.txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "------formdata-undici-023577450362--\r\n"),
      S(
        "back\\slash.txt") },
    { "node 4", GA_MP_OK,
      S(
        "multipart/form-data; boundary=----formdata-undici-064508064065"),
      S(
        "------formdata-undici-064508064065\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "------formdata-undici-064508064065\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"semi;"
        "colon=eq.txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "------formdata-undici-064508064065--\r\n"),
      S(
        "semi;colon=eq.txt") },
    { "node 5", GA_MP_OK,
      S(
        "multipart/form-data; boundary=----formdata-undici-072131347787"),
      S(
        "------formdata-undici-072131347787\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "------formdata-undici-072131347787\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"\346\227"
        "\245\346\234\254\350\252\236.txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "------formdata-undici-072131347787--\r\n"),
      S(
        "\346\227\245\346\234\254\350\252\236.txt") },
    { "node 6", GA_MP_OK,
      S(
        "multipart/form-data; boundary=----formdata-undici-090368429845"),
      S(
        "------formdata-undici-090368429845\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "------formdata-undici-090368429845\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"cr%0D"
        "lf%0A.txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "------formdata-undici-090368429845--\r\n"),
      S(
        "cr\rlf\n"
        ".txt") },
    { "node 7", GA_MP_OK,
      S(
        "multipart/form-data; boundary=----formdata-undici-006296292906"),
      S(
        "------formdata-undici-006296292906\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "------formdata-undici-006296292906\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"100%."
        "txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "------formdata-undici-006296292906--\r\n"),
      S(
        "100%.txt") },
    { "node 8", GA_MP_OK,
      S(
        "multipart/form-data; boundary=----formdata-undici-089797774645"),
      S(
        "------formdata-undici-089797774645\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "------formdata-undici-089797774645\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"a%20b"
        ".txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "------formdata-undici-089797774645--\r\n"),
      S(
        "a b.txt") },
    { "py 0", GA_MP_OK,
      S(
        "multipart/form-data; boundary=8d8e20c6e3b5407738f0ed2fdf1b2840"),
      S(
        "--8d8e20c6e3b5407738f0ed2fdf1b2840\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--8d8e20c6e3b5407738f0ed2fdf1b2840\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"plain"
        ".txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--8d8e20c6e3b5407738f0ed2fdf1b2840--\r\n"),
      S(
        "plain.txt") },
    { "py 1", GA_MP_OK,
      S(
        "multipart/form-data; boundary=c8de359e7ae99beea6280c97b3692404"),
      S(
        "--c8de359e7ae99beea6280c97b3692404\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--c8de359e7ae99beea6280c97b3692404\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"na\303"
        "\257ve r\303\251sum\303\251.pdf\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--c8de359e7ae99beea6280c97b3692404--\r\n"),
      S(
        "na\303\257ve r\303\251sum\303\251.pdf") },
    { "py 2", GA_MP_OK,
      S(
        "multipart/form-data; boundary=7f518bf6eff65cbe92de8b8b8c4f558d"),
      S(
        "--7f518bf6eff65cbe92de8b8b8c4f558d\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--7f518bf6eff65cbe92de8b8b8c4f558d\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"quote"
        "%22d.txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--7f518bf6eff65cbe92de8b8b8c4f558d--\r\n"),
      S(
        "quote\"d.txt") },
    { "py 3", GA_MP_OK,
      S(
        "multipart/form-data; boundary=111782622e94dbfa969c3684597c6527"),
      S(
        "--111782622e94dbfa969c3684597c6527\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--111782622e94dbfa969c3684597c6527\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"back\\"
        "slash.txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--111782622e94dbfa969c3684597c6527--\r\n"),
      S(
        "back\\slash.txt") },
    { "py 4", GA_MP_OK,
      S(
        "multipart/form-data; boundary=65e76d9f41abde02832d455c96406d6a"),
      S(
        "--65e76d9f41abde02832d455c96406d6a\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--65e76d9f41abde02832d455c96406d6a\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"semi;"
        "colon=eq.txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--65e76d9f41abde02832d455c96406d6a--\r\n"),
      S(
        "semi;colon=eq.txt") },
    { "py 5", GA_MP_OK,
      S(
        "multipart/form-data; boundary=ad197e8da0fbad462146e309edb7db62"),
      S(
        "--ad197e8da0fbad462146e309edb7db62\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--ad197e8da0fbad462146e309edb7db62\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"\346\227"
        "\245\346\234\254\350\252\236.txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--ad197e8da0fbad462146e309edb7db62--\r\n"),
      S(
        "\346\227\245\346\234\254\350\252\236.txt") },
    { "py 6", GA_MP_OK,
      S(
        "multipart/form-data; boundary=f71e80d861319929f2c55df8b9e04368"),
      S(
        "--f71e80d861319929f2c55df8b9e04368\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--f71e80d861319929f2c55df8b9e04368\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"cr%0D"
        "lf%0A.txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--f71e80d861319929f2c55df8b9e04368--\r\n"),
      S(
        "cr\rlf\n"
        ".txt") },
    { "py 7", GA_MP_OK,
      S(
        "multipart/form-data; boundary=51e6fcea6f153f304f36d819eb5dbf83"),
      S(
        "--51e6fcea6f153f304f36d819eb5dbf83\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--51e6fcea6f153f304f36d819eb5dbf83\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"100%."
        "txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--51e6fcea6f153f304f36d819eb5dbf83--\r\n"),
      S(
        "100%.txt") },
    { "py 8", GA_MP_OK,
      S(
        "multipart/form-data; boundary=517ef1516ddd870f7fc76bddfcc25c1b"),
      S(
        "--517ef1516ddd870f7fc76bddfcc25c1b\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--517ef1516ddd870f7fc76bddfcc25c1b\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"a%20b"
        ".txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--517ef1516ddd870f7fc76bddfcc25c1b--\r\n"),
      S(
        "a b.txt") },
    { "go 0", GA_MP_OK,
      S(
        "multipart/form-data; boundary=95f9db6e28b5e4aad78e13991da9d7323"
        "626eabeaf06e1d3fb12f5f92020"),
      S(
        "--95f9db6e28b5e4aad78e13991da9d7323626eabeaf06e1d3fb12f5f92020\r"
        "\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--95f9db6e28b5e4aad78e13991da9d7323626eabeaf06e1d3fb12f5f92020\r"
        "\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"plain"
        ".txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--95f9db6e28b5e4aad78e13991da9d7323626eabeaf06e1d3fb12f5f92020-"
        "-\r\n"),
      S(
        "plain.txt") },
    { "go 1", GA_MP_OK,
      S(
        "multipart/form-data; boundary=818c970daecc7913fd01b58bf55ff6041"
        "91297c27eacf2a0f8b8e1c747f2"),
      S(
        "--818c970daecc7913fd01b58bf55ff604191297c27eacf2a0f8b8e1c747f2\r"
        "\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--818c970daecc7913fd01b58bf55ff604191297c27eacf2a0f8b8e1c747f2\r"
        "\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"na\303"
        "\257ve r\303\251sum\303\251.pdf\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--818c970daecc7913fd01b58bf55ff604191297c27eacf2a0f8b8e1c747f2-"
        "-\r\n"),
      S(
        "na\303\257ve r\303\251sum\303\251.pdf") },
    { "go 2", GA_MP_OK,
      S(
        "multipart/form-data; boundary=d1ddd49cb3fb434ac95302b14dcdaa92e"
        "575387f1a5a37eac9c1cf486ec7"),
      S(
        "--d1ddd49cb3fb434ac95302b14dcdaa92e575387f1a5a37eac9c1cf486ec7\r"
        "\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--d1ddd49cb3fb434ac95302b14dcdaa92e575387f1a5a37eac9c1cf486ec7\r"
        "\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"quote"
        "\\\"d.txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--d1ddd49cb3fb434ac95302b14dcdaa92e575387f1a5a37eac9c1cf486ec7-"
        "-\r\n"),
      S(
        "quote\"d.txt") },
    { "go 3", GA_MP_OK,
      S(
        "multipart/form-data; boundary=1c710a5e8a047cd2f1f3c492a5a37e345"
        "0548f1d02c1d504a29ba41098d0"),
      S(
        "--1c710a5e8a047cd2f1f3c492a5a37e3450548f1d02c1d504a29ba41098d0\r"
        "\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--1c710a5e8a047cd2f1f3c492a5a37e3450548f1d02c1d504a29ba41098d0\r"
        "\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"back\\"
        "\\slash.txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--1c710a5e8a047cd2f1f3c492a5a37e3450548f1d02c1d504a29ba41098d0-"
        "-\r\n"),
      S(
        "back\\slash.txt") },
    { "go 4", GA_MP_OK,
      S(
        "multipart/form-data; boundary=05885735d95b55f7c381e6134cdbc21ec"
        "80a5a8a3e9e273e3278f8e6b553"),
      S(
        "--05885735d95b55f7c381e6134cdbc21ec80a5a8a3e9e273e3278f8e6b553\r"
        "\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--05885735d95b55f7c381e6134cdbc21ec80a5a8a3e9e273e3278f8e6b553\r"
        "\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"semi;"
        "colon=eq.txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--05885735d95b55f7c381e6134cdbc21ec80a5a8a3e9e273e3278f8e6b553-"
        "-\r\n"),
      S(
        "semi;colon=eq.txt") },
    { "go 5", GA_MP_OK,
      S(
        "multipart/form-data; boundary=b9c6590a5126d2d3e7249254a3a11c064"
        "15f48ae1915ce02db37ecc4dd8d"),
      S(
        "--b9c6590a5126d2d3e7249254a3a11c06415f48ae1915ce02db37ecc4dd8d\r"
        "\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--b9c6590a5126d2d3e7249254a3a11c06415f48ae1915ce02db37ecc4dd8d\r"
        "\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"\346\227"
        "\245\346\234\254\350\252\236.txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--b9c6590a5126d2d3e7249254a3a11c06415f48ae1915ce02db37ecc4dd8d-"
        "-\r\n"),
      S(
        "\346\227\245\346\234\254\350\252\236.txt") },
    { "go 6", GA_MP_ERR_BAD_HEADER,
      S(
        "multipart/form-data; boundary=9327d8f373a8b92afc57ca62b45707df1"
        "2800304f17cf8d0da5b1e4f1fe4"),
      S(
        "--9327d8f373a8b92afc57ca62b45707df12800304f17cf8d0da5b1e4f1fe4\r"
        "\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--9327d8f373a8b92afc57ca62b45707df12800304f17cf8d0da5b1e4f1fe4\r"
        "\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"cr\rl"
        "f\n"
        ".txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--9327d8f373a8b92afc57ca62b45707df12800304f17cf8d0da5b1e4f1fe4-"
        "-\r\n"),
      S(
        "cr\rlf\n"
        ".txt") },
    { "go 7", GA_MP_OK,
      S(
        "multipart/form-data; boundary=46e819241d842c3a738c7bea1fe709c75"
        "22e9559cc8e3d498f2c8e39e8b1"),
      S(
        "--46e819241d842c3a738c7bea1fe709c7522e9559cc8e3d498f2c8e39e8b1\r"
        "\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--46e819241d842c3a738c7bea1fe709c7522e9559cc8e3d498f2c8e39e8b1\r"
        "\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"100%."
        "txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--46e819241d842c3a738c7bea1fe709c7522e9559cc8e3d498f2c8e39e8b1-"
        "-\r\n"),
      S(
        "100%.txt") },
    { "go 8", GA_MP_OK,
      S(
        "multipart/form-data; boundary=10b376ebbca9d8ac5c2c859823e0f9393"
        "b72a9f04398e281e8d3f62ba063"),
      S(
        "--10b376ebbca9d8ac5c2c859823e0f9393b72a9f04398e281e8d3f62ba063\r"
        "\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--10b376ebbca9d8ac5c2c859823e0f9393b72a9f04398e281e8d3f62ba063\r"
        "\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"a%20b"
        ".txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--10b376ebbca9d8ac5c2c859823e0f9393b72a9f04398e281e8d3f62ba063-"
        "-\r\n"),
      S(
        "a b.txt") },
    { "lwp 0", GA_MP_OK,
      S(
        "multipart/form-data; boundary=xYzZY"),
      S(
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"plain"
        ".txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--xYzZY--\r\n"),
      S(
        "plain.txt") },
    { "lwp 1", GA_MP_OK,
      S(
        "multipart/form-data; boundary=xYzZY"),
      S(
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"na\303"
        "\257ve r\303\251sum\303\251.pdf\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--xYzZY--\r\n"),
      S(
        "na\303\257ve r\303\251sum\303\251.pdf") },
    { "lwp 2", GA_MP_OK,
      S(
        "multipart/form-data; boundary=xYzZY"),
      S(
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"quote"
        "\\\"d.txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--xYzZY--\r\n"),
      S(
        "quote\"d.txt") },
    { "lwp 3", GA_MP_OK,
      S(
        "multipart/form-data; boundary=xYzZY"),
      S(
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"back\\"
        "\\slash.txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--xYzZY--\r\n"),
      S(
        "back\\slash.txt") },
    { "lwp 4", GA_MP_OK,
      S(
        "multipart/form-data; boundary=xYzZY"),
      S(
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"semi;"
        "colon=eq.txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--xYzZY--\r\n"),
      S(
        "semi;colon=eq.txt") },
    { "lwp 5", GA_MP_OK,
      S(
        "multipart/form-data; boundary=xYzZY"),
      S(
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"\346\227"
        "\245\346\234\254\350\252\236.txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--xYzZY--\r\n"),
      S(
        "\346\227\245\346\234\254\350\252\236.txt") },
    { "lwp 6", GA_MP_ERR_BAD_HEADER,
      S(
        "multipart/form-data; boundary=xYzZY"),
      S(
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"cr\rl"
        "f\n"
        ".txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--xYzZY--\r\n"),
      S(
        "cr\rlf\n"
        ".txt") },
    { "lwp 7", GA_MP_OK,
      S(
        "multipart/form-data; boundary=xYzZY"),
      S(
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"100%."
        "txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--xYzZY--\r\n"),
      S(
        "100%.txt") },
    { "lwp 8", GA_MP_OK,
      S(
        "multipart/form-data; boundary=xYzZY"),
      S(
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"a%20b"
        ".txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--xYzZY--\r\n"),
      S(
        "a b.txt") },

    /* names ending in a backslash, captured as in the comment above */
    { "chromium backslash 0", GA_MP_OK,
      S(
        "multipart/form-data; boundary=----WebKitFormBoundarybjiBYkdgUfnV2I"
        "3L"),
      S(
        "------WebKitFormBoundarybjiBYkdgUfnV2I3L\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "------WebKitFormBoundarybjiBYkdgUfnV2I3L\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"ends wit"
        "h\\\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "------WebKitFormBoundarybjiBYkdgUfnV2I3L--\r\n"),
      S(
        "ends with\\") },
    { "chromium backslash 1", GA_MP_OK,
      S(
        "multipart/form-data; boundary=----WebKitFormBoundaryN5X7Z20IKk0AAB"
        "5b"),
      S(
        "------WebKitFormBoundaryN5X7Z20IKk0AAB5b\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "------WebKitFormBoundaryN5X7Z20IKk0AAB5b\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"q%22\\\""
        "\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "------WebKitFormBoundaryN5X7Z20IKk0AAB5b--\r\n"),
      S(
        "q\"\\") },
    { "chromium backslash 2", GA_MP_OK,
      S(
        "multipart/form-data; boundary=----WebKitFormBoundaryjBwxLB1BhHNyaA"
        "VS"),
      S(
        "------WebKitFormBoundaryjBwxLB1BhHNyaAVS\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "------WebKitFormBoundaryjBwxLB1BhHNyaAVS\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"two\\\\"
        "\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "------WebKitFormBoundaryjBwxLB1BhHNyaAVS--\r\n"),
      S(
        "two\\") },
    { "curl backslash 0", GA_MP_OK,
      S(
        "multipart/form-data; boundary=------------------------c9e68c7f0b17"
        "b27a"),
      S(
        "--------------------------c9e68c7f0b17b27a\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--------------------------c9e68c7f0b17b27a\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"ends wit"
        "h\\\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--------------------------c9e68c7f0b17b27a--\r\n"),
      S(
        "ends with\\") },
    { "curl backslash 1", GA_MP_OK,
      S(
        "multipart/form-data; boundary=------------------------06eefb9fde51"
        "78d0"),
      S(
        "--------------------------06eefb9fde5178d0\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--------------------------06eefb9fde5178d0\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"q%22\\\""
        "\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--------------------------06eefb9fde5178d0--\r\n"),
      S(
        "q\"\\") },
    { "curl backslash 2", GA_MP_OK,
      S(
        "multipart/form-data; boundary=------------------------004f6808ea71"
        "91c8"),
      S(
        "--------------------------004f6808ea7191c8\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--------------------------004f6808ea7191c8\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"two\\\\"
        "\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--------------------------004f6808ea7191c8--\r\n"),
      S(
        "two\\") },
    { "node backslash 0", GA_MP_OK,
      S(
        "multipart/form-data; boundary=----formdata-undici-018102425378"),
      S(
        "------formdata-undici-018102425378\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "------formdata-undici-018102425378\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"ends wit"
        "h\\\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "------formdata-undici-018102425378--\r\n"),
      S(
        "ends with\\") },
    { "node backslash 1", GA_MP_OK,
      S(
        "multipart/form-data; boundary=----formdata-undici-047825035834"),
      S(
        "------formdata-undici-047825035834\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "------formdata-undici-047825035834\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"q%22\\\""
        "\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "------formdata-undici-047825035834--\r\n"),
      S(
        "q\"\\") },
    { "node backslash 2", GA_MP_OK,
      S(
        "multipart/form-data; boundary=----formdata-undici-004683779104"),
      S(
        "------formdata-undici-004683779104\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "------formdata-undici-004683779104\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"two\\\\"
        "\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "------formdata-undici-004683779104--\r\n"),
      S(
        "two\\") },
    { "py backslash 0", GA_MP_OK,
      S(
        "multipart/form-data; boundary=ce6ff5de13e094eaf69fad35b2b1f723"),
      S(
        "--ce6ff5de13e094eaf69fad35b2b1f723\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--ce6ff5de13e094eaf69fad35b2b1f723\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"ends wit"
        "h\\\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--ce6ff5de13e094eaf69fad35b2b1f723--\r\n"),
      S(
        "ends with\\") },
    { "py backslash 1", GA_MP_OK,
      S(
        "multipart/form-data; boundary=e1ef676b44aee2e98fca0b103e3b5669"),
      S(
        "--e1ef676b44aee2e98fca0b103e3b5669\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--e1ef676b44aee2e98fca0b103e3b5669\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"q%22\\\""
        "\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--e1ef676b44aee2e98fca0b103e3b5669--\r\n"),
      S(
        "q\"\\") },
    { "py backslash 2", GA_MP_OK,
      S(
        "multipart/form-data; boundary=1b4417c55a0bcb4eb17b667b5e4925c6"),
      S(
        "--1b4417c55a0bcb4eb17b667b5e4925c6\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--1b4417c55a0bcb4eb17b667b5e4925c6\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"two\\\\"
        "\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--1b4417c55a0bcb4eb17b667b5e4925c6--\r\n"),
      S(
        "two\\") },
    { "go backslash 0", GA_MP_OK,
      S(
        "multipart/form-data; boundary=35eb4a071011eae15cba539dcdeb5ef18cbd"
        "cadbc11a2eba64cc125305a2"),
      S(
        "--35eb4a071011eae15cba539dcdeb5ef18cbdcadbc11a2eba64cc125305a2\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--35eb4a071011eae15cba539dcdeb5ef18cbdcadbc11a2eba64cc125305a2\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"ends wit"
        "h\\\\\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--35eb4a071011eae15cba539dcdeb5ef18cbdcadbc11a2eba64cc125305a2--\r"
        "\n"),
      S(
        "ends with\\") },
    { "go backslash 1", GA_MP_OK,
      S(
        "multipart/form-data; boundary=5718b0f10885fbaa5e16abb3f371bed7d731"
        "1eff41c29fe4939ad37142cb"),
      S(
        "--5718b0f10885fbaa5e16abb3f371bed7d7311eff41c29fe4939ad37142cb\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--5718b0f10885fbaa5e16abb3f371bed7d7311eff41c29fe4939ad37142cb\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"q\\\"\\"
        "\\\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--5718b0f10885fbaa5e16abb3f371bed7d7311eff41c29fe4939ad37142cb--\r"
        "\n"),
      S(
        "q\"\\") },
    { "go backslash 2", GA_MP_OK,
      S(
        "multipart/form-data; boundary=c86df3cbc027408a3ef75c9ac2a18bdbbad1"
        "29b0f884afc0fa4f65c6ab3f"),
      S(
        "--c86df3cbc027408a3ef75c9ac2a18bdbbad129b0f884afc0fa4f65c6ab3f\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--c86df3cbc027408a3ef75c9ac2a18bdbbad129b0f884afc0fa4f65c6ab3f\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"two\\\\"
        "\\\\\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--c86df3cbc027408a3ef75c9ac2a18bdbbad129b0f884afc0fa4f65c6ab3f--\r"
        "\n"),
      S(
        "two\\\\") },
    { "lwp backslash 0", GA_MP_OK,
      S(
        "multipart/form-data; boundary=xYzZY"),
      S(
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"ends wit"
        "h\\\\\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--xYzZY--\r\n"),
      S(
        "ends with\\") },
    { "lwp backslash 1", GA_MP_OK,
      S(
        "multipart/form-data; boundary=xYzZY"),
      S(
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"q\\\"\\"
        "\\\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--xYzZY--\r\n"),
      S(
        "q\"\\") },
    { "lwp backslash 2", GA_MP_OK,
      S(
        "multipart/form-data; boundary=xYzZY"),
      S(
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--xYzZY\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"two\\\\"
        "\\\\\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--xYzZY--\r\n"),
      S(
        "two\\\\") },
    { "httpx backslash 0", GA_MP_OK,
      S(
        "multipart/form-data; boundary=dc1b34bae2d89fd182243fdd42a07a4e"),
      S(
        "--dc1b34bae2d89fd182243fdd42a07a4e\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--dc1b34bae2d89fd182243fdd42a07a4e\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"ends wit"
        "h\\\\\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--dc1b34bae2d89fd182243fdd42a07a4e--\r\n"),
      S(
        "ends with\\") },
    { "httpx backslash 1", GA_MP_OK,
      S(
        "multipart/form-data; boundary=aa712ff47204dc65b9d74e50ded31bca"),
      S(
        "--aa712ff47204dc65b9d74e50ded31bca\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--aa712ff47204dc65b9d74e50ded31bca\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"q%22\\\\"
        "\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--aa712ff47204dc65b9d74e50ded31bca--\r\n"),
      S(
        "q\"\\") },
    { "httpx backslash 2", GA_MP_OK,
      S(
        "multipart/form-data; boundary=349b2801036ef058a57c9c6fd4a89687"),
      S(
        "--349b2801036ef058a57c9c6fd4a89687\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--349b2801036ef058a57c9c6fd4a89687\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"two\\\\"
        "\\\\\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--349b2801036ef058a57c9c6fd4a89687--\r\n"),
      S(
        "two\\\\") },
    { "urllib3 1.26 backslash 0", GA_MP_OK,
      S(
        "multipart/form-data; boundary=beee053d64e58a983266ca60473d488e"),
      S(
        "--beee053d64e58a983266ca60473d488e\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--beee053d64e58a983266ca60473d488e\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"ends wit"
        "h\\\\\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--beee053d64e58a983266ca60473d488e--\r\n"),
      S(
        "ends with\\") },
    { "urllib3 1.26 backslash 1", GA_MP_OK,
      S(
        "multipart/form-data; boundary=4d8411b3266566e49a7b55264535113d"),
      S(
        "--4d8411b3266566e49a7b55264535113d\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--4d8411b3266566e49a7b55264535113d\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"q%22\\\\"
        "\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--4d8411b3266566e49a7b55264535113d--\r\n"),
      S(
        "q\"\\") },
    { "urllib3 1.26 backslash 2", GA_MP_OK,
      S(
        "multipart/form-data; boundary=75bb708ce2db34140047d4dcc07f0bd3"),
      S(
        "--75bb708ce2db34140047d4dcc07f0bd3\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--75bb708ce2db34140047d4dcc07f0bd3\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"two\\\\"
        "\\\\\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--75bb708ce2db34140047d4dcc07f0bd3--\r\n"),
      S(
        "two\\\\") },
    { "aiohttp backslash 0", GA_MP_OK,
      S(
        "multipart/form-data; boundary=5aeee3b880ae4fcdaccfc1f66c3e410a"),
      S(
        "--5aeee3b880ae4fcdaccfc1f66c3e410a\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--5aeee3b880ae4fcdaccfc1f66c3e410a\r\n"
        "Content-Type: application/octet-stream\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"ends%20w"
        "ith%5C\"\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--5aeee3b880ae4fcdaccfc1f66c3e410a--\r\n"),
      S(
        "ends with\\") },
    { "aiohttp backslash 1", GA_MP_OK,
      S(
        "multipart/form-data; boundary=0bd1c937f5464ba6947ac8dc280a5e7d"),
      S(
        "--0bd1c937f5464ba6947ac8dc280a5e7d\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--0bd1c937f5464ba6947ac8dc280a5e7d\r\n"
        "Content-Type: application/octet-stream\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"q%22%5C"
        "\"\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--0bd1c937f5464ba6947ac8dc280a5e7d--\r\n"),
      S(
        "q\"\\") },
    { "aiohttp backslash 2", GA_MP_OK,
      S(
        "multipart/form-data; boundary=11e25746922c4b85bff9bb3768dd497d"),
      S(
        "--11e25746922c4b85bff9bb3768dd497d\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Disposition: form-data; name=\"field\"\r\n"
        "\r\n"
        "value\r\n"
        "--11e25746922c4b85bff9bb3768dd497d\r\n"
        "Content-Type: application/octet-stream\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"two%5C%5"
        "C\"\r\n"
        "\r\n"
        "hello\r\n"
        "--x\n"
        "\r\n"
        "--11e25746922c4b85bff9bb3768dd497d--\r\n"),
      S(
        "two\\\\") },

};


static void
test_clients(void)
{
    int                  rc, fails, dfails;
    size_t               i, j, blen, nvec, len;
    u_char               boundary[GA_MP_MAX_BOUNDARY], buf[512];
    static rec_t         whole, r;
    ga_disposition_t     d;
    const client_vec_t  *c;

    nvec = sizeof(clients) / sizeof(clients[0]);
    fails = 0;
    dfails = 0;

    for (i = 0; i < nvec; i++) {
        c = &clients[i];

        rc = ga_content_type_boundary(c->content_type, c->content_type_len,
                                      boundary, &blen);
        if (!is_int(rc, GA_HP_OK, "%s: boundary from Content-Type",
                    c->name))
        {
            continue;
        }

        rc = run_mode(boundary, blen, 1024, 16, c->body, c->body_len,
                      MODE_WHOLE, 0, &whole);
        is_int(rc, c->rc, "%s: parser result %s", c->name, rc_name(c->rc));

        /* every split gives the same events */

        for (j = 0; j <= c->body_len; j++) {
            run_mode(boundary, blen, 1024, 16, c->body, c->body_len,
                     MODE_SPLIT, j, &r);

            if (r.len != whole.len || memcmp(r.buf, whole.buf, r.len) != 0) {
                fails++;
                diag("%s: split at %zu differs", c->name, j);
                break;
            }
        }

        if (c->rc != GA_MP_OK) {
            continue;
        }

        /* the last part is the file: check its data and its filename */

        is_mem(whole.data, whole.data_len, "hello\r\n--x\n", 11,
               "%s: file data", c->name);

        for (j = 0; j < whole.nhdr; j++) {
            if (whole.hdr_len[j] > 20
                && memcmp(whole.hdr[j], "Content-Disposition:", 20) == 0)
            {
                break;
            }
        }

        if (j == whole.nhdr) {
            dfails++;
            diag("%s: no Content-Disposition", c->name);
            continue;
        }

        len = whole.hdr_len[j] - 20;
        rc = ga_disposition_parse(whole.hdr[j] + 20, len, &d, buf,
                                  sizeof(buf));

        if (!(rc == GA_HP_OK && d.has_name && d.has_filename
              && d.name_len == 4 && memcmp(d.name, "file", 4) == 0))
        {
            dfails++;
            diag("%s: disposition rc %d", c->name, rc);
            continue;
        }

        is_mem(d.filename, d.filename_len, c->filename, c->filename_len,
               "%s: filename", c->name);
    }

    ok(fails == 0, "client bodies: identical events at every split");
    ok(dfails == 0, "client bodies: Content-Disposition parsed");
}


/*
 * Cut every valid body at every length: finish must say TRUNCATED or
 * NO_DELIMITER until the closing "--" has arrived, and OK from then on.
 */

static size_t
close_end(const u_char *b, size_t blen, const u_char *body, size_t len)
{
    size_t  i, n;

    n = 2 + blen + 2;

    for (i = 0; i + n <= len; i++) {
        if ((i == 0 || (i >= 2 && body[i - 2] == '\r' && body[i - 1] == '\n'))
            && body[i] == '-' && body[i + 1] == '-'
            && memcmp(body + i + 2, b, blen) == 0
            && body[i + 2 + blen] == '-' && body[i + 3 + blen] == '-')
        {
            return i + n;
        }
    }

    return (size_t) -1;
}


static int
truncations(const u_char *b, size_t blen, size_t hbuf_size,
    size_t max_headers, const u_char *body, size_t len)
{
    int           rc, bad;
    size_t        k, end;
    static rec_t  r;

    end = close_end(b, blen, body, len);
    bad = 0;

    for (k = 0; k <= len; k++) {
        rc = run_cuts(b, blen, hbuf_size, max_headers, body, len, NULL, 0, k,
                      &r);

        if (k < end) {
            if (rc != GA_MP_ERR_TRUNCATED && rc != GA_MP_ERR_NO_DELIMITER) {
                bad++;
            }

        } else if (rc != GA_MP_OK) {
            bad++;
        }
    }

    return bad;
}


static void
test_truncations(void)
{
    size_t         i, nvec, bad, n, blen;
    u_char         boundary[GA_MP_MAX_BOUNDARY];
    const vec_t   *v;

    nvec = sizeof(vectors) / sizeof(vectors[0]);
    bad = 0;
    n = 0;

    for (i = 0; i < nvec; i++) {
        v = &vectors[i];

        if (v->expect_len < 3
            || memcmp(v->expect + v->expect_len - 3, "=OK", 3) != 0)
        {
            continue;
        }

        n++;
        bad += truncations(v->boundary, v->boundary_len, v->hbuf_size,
                           v->max_headers, v->body, v->body_len);
    }

    for (i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
        if (clients[i].rc != GA_MP_OK) {
            continue;
        }

        ga_content_type_boundary(clients[i].content_type,
                                 clients[i].content_type_len, boundary,
                                 &blen);
        n++;
        bad += truncations(boundary, blen, 1024, 16, clients[i].body,
                           clients[i].body_len);
    }

    ok(bad == 0 && n > 40, "%zu valid bodies cut at every length: never OK "
       "before the closing delimiter (%zu bad)", n, bad);
}


/*
 * Random bodies from a tiny alphabet, so that partial delimiters are
 * everywhere, built part by part so the expected events are known.
 * Boundaries include CR, LF and '-' (not bchars, but the matcher must not
 * depend on that).
 */

static void
test_random_bodies(void)
{
    int           bad_split, bad_byte, bad_whole;
    size_t        iter, i, j, blen, len, elen, plen, dlen, nparts;
    u_char        b[4], body[512], data[24], pre[8];
    char          expect[1024];
    static rec_t  r;

    static const u_char  balpha[] = "a-\r\n";
    static const u_char  dalpha[] = "\r\n-a";

    bad_split = 0;
    bad_byte = 0;
    bad_whole = 0;

    for (iter = 0; iter < 3000; iter++) {
        blen = 1 + rng() % 4;

        for (i = 0; i < blen; i++) {
            b[i] = balpha[rng() % 4];
        }

        /* "\r\n" preamble, "--" delimiter: first match must be at the end */

        for ( ;; ) {
            plen = rng() % 3 == 0 ? 1 + rng() % 6 : 0;

            for (i = 0; i < plen; i++) {
                pre[i] = dalpha[rng() % 4];
            }

            len = 0;
            memcpy(body, "\r\n", 2);
            memcpy(body + 2, pre, plen);
            memcpy(body + 2 + plen, "\r\n--", 4);
            memcpy(body + 6 + plen, b, blen);

            for (i = 0; i + 4 + blen <= plen + 4 + blen; i++) {
                if (memcmp(body + i, "\r\n--", 4) == 0
                    && memcmp(body + i + 4, b, blen) == 0)
                {
                    break;
                }
            }

            if (plen == 0 || i == plen + 2) {
                break;
            }
        }

        if (plen) {
            memcpy(body, pre, plen);
            memcpy(body + plen, "\r\n", 2);
            len = plen + 2;
        }

        memcpy(body + len, "--", 2);
        memcpy(body + len + 2, b, blen);
        len += 2 + blen;
        elen = 0;

        nparts = 1 + rng() % 3;

        for (j = 0; j < nparts; j++) {
            memcpy(body + len, "\r\nA: v\r\n\r\n", 10);
            len += 10;
            memcpy(expect + elen, "B|H:A=v|C|", 10);
            elen += 10;

            /* data must not contain the delimiter, even across its end */

            for ( ;; ) {
                dlen = rng() % 16;

                for (i = 0; i < dlen; i++) {
                    data[i] = dalpha[rng() % 4];
                }

                memcpy(body + len, data, dlen);
                memcpy(body + len + dlen, "\r\n--", 4);
                memcpy(body + len + dlen + 4, b, blen);

                for (i = 0; i < dlen; i++) {
                    if (memcmp(body + len + i, "\r\n--", 4) == 0
                        && memcmp(body + len + i + 4, b, blen) == 0)
                    {
                        break;
                    }
                }

                if (i == dlen) {
                    break;
                }
            }

            len += dlen + 4 + blen;

            if (dlen) {
                memcpy(expect + elen, "D:", 2);
                memcpy(expect + elen + 2, data, dlen);
                expect[elen + 2 + dlen] = '|';
                elen += dlen + 3;
            }

            memcpy(expect + elen, "E|", 2);
            elen += 2;
        }

        memcpy(body + len, "--", 2);
        len += 2;
        memcpy(expect + elen, "X|=OK", 5);
        elen += 5;

        run_mode(b, blen, 64, 0, body, len, MODE_WHOLE, 0, &r);
        if (r.len != elen || memcmp(r.buf, expect, elen) != 0) {
            if (bad_whole++ == 0) {
                tap_dump("body", body, len);
                tap_dump("got", r.buf, r.len);
                tap_dump("expected", expect, elen);
            }
        }

        run_mode(b, blen, 64, 0, body, len, MODE_BYTES, 0, &r);
        if (r.len != elen || memcmp(r.buf, expect, elen) != 0) {
            bad_byte++;
        }

        run_mode(b, blen, 64, 0, body, len, MODE_RANDOM, iter, &r);
        if (r.len != elen || memcmp(r.buf, expect, elen) != 0) {
            bad_split++;
        }
    }

    ok(bad_whole == 0, "3000 random bodies, whole (%d bad)", bad_whole);
    ok(bad_byte == 0, "3000 random bodies, byte by byte (%d bad)", bad_byte);
    ok(bad_split == 0, "3000 random bodies, random splits (%d bad)",
       bad_split);
}


static int  abort_at;
static int  abort_count;


static int
abort_cb(void *data)
{
    return ++abort_count == abort_at;
}


static int
abort_data(void *data, const u_char *p, size_t len)
{
    return ++abort_count == abort_at;
}


static int
abort_header(void *data, const u_char *name, size_t name_len,
    const u_char *value, size_t value_len)
{
    return ++abort_count == abort_at;
}


/*
 * A CR, CR LF, CR CR LF or a delimiter's start at every offset of a
 * part's data, the whole body in one piece and cut at every offset: the
 * data comes back whole, once, whichever delimiter search runs (the AVX2
 * one looks 32 bytes a step, and its last 32 bytes with memchr).
 */

static void
test_crlf_positions(void)
{
    int           bad;
    size_t        k, pos, len, dlen, plen, cut, nrun;
    u_char        body[512], data[200];
    static rec_t  r;

    static const char  head[] =
        "--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n";
    static const char  tail[] = "\r\n--b--\r\n";
    static const char *pats[] = {
        "\r", "\r\n", "\r\r\n", "\r\n-", "\r\n--", "\r\n--x", "\n\r", "\r\r"
    };

    bad = 0;
    nrun = 0;

    for (k = 0; k < sizeof(pats) / sizeof(pats[0]); k++) {
        plen = strlen(pats[k]);

        for (dlen = 1; dlen <= 140; dlen += 23) {
            for (pos = 0; pos + plen <= dlen + plen && pos <= dlen; pos++) {

                memset(data, 'x', sizeof(data));
                memcpy(data + pos, pats[k], plen);
                len = (dlen > pos + plen) ? dlen : pos + plen;

                memcpy(body, head, sizeof(head) - 1);
                memcpy(body + sizeof(head) - 1, data, len);
                memcpy(body + sizeof(head) - 1 + len, tail, sizeof(tail) - 1);

                for (cut = 0; cut <= sizeof(head) - 1 + len + 3; cut++) {
                    run_cuts(S("b"), 256, 0, body,
                             sizeof(head) - 1 + len + sizeof(tail) - 1,
                             &cut, 1, (size_t) -1, &r);
                    nrun++;

                    if (r.data_len != len || memcmp(r.data, data, len) != 0
                        || strstr(r.buf, "=OK") == NULL)
                    {
                        if (bad++ < 5) {
                            diag("pattern %zu at %zu of %zu, cut %zu: %s",
                                 k, pos, len, cut, r.buf);
                        }
                    }
                }
            }
        }
    }

    ok(bad == 0, "CR, CR LF and delimiter starts at every offset: data "
       "whole (%zu parses, %d wrong)", nrun, bad);
}



static void
test_callbacks(void)
{
    int                       rc, bad;
    u_char                    hbuf[64];
    ga_multipart_t            mp;
    ga_multipart_callbacks_t  cb;

    static const u_char  body[] =
        "--b\r\nA: 1\r\n\r\ndata\r\n--b\r\n\r\n\r\n--b--";

    /* each callback in turn stops the parser */

    cb.on_part_begin = abort_cb;
    cb.on_header = abort_header;
    cb.on_headers_complete = abort_cb;
    cb.on_data = abort_data;
    cb.on_part_end = abort_cb;
    cb.on_done = abort_cb;

    bad = 0;

    for (abort_at = 1; abort_at <= 9; abort_at++) {
        abort_count = 0;
        ga_multipart_init(&mp, (u_char *) "b", 1, hbuf, sizeof(hbuf), 0, &cb,
                          NULL);
        rc = ga_multipart_execute(&mp, body, sizeof(body) - 1);

        if (rc != GA_MP_ERR_CALLBACK
            || ga_multipart_execute(&mp, body, 1) != GA_MP_ERR_CALLBACK
            || ga_multipart_finish(&mp) != GA_MP_ERR_CALLBACK)
        {
            bad++;
        }
    }

    ok(bad == 0, "a callback returning non-zero stops every callback kind");

    abort_count = 0;
    abort_at = 10;
    ga_multipart_init(&mp, (u_char *) "b", 1, hbuf, sizeof(hbuf), 0, &cb,
                      NULL);
    rc = ga_multipart_execute(&mp, body, sizeof(body) - 1);
    is_int(rc, GA_MP_OK, "9 callbacks for the body, none aborting");
    is_int(abort_count, 9, "exactly 9 callback calls");

    /* NULL callbacks and a NULL table */

    memset(&cb, 0, sizeof(cb));
    ga_multipart_init(&mp, (u_char *) "b", 1, hbuf, sizeof(hbuf), 0, &cb,
                      NULL);
    rc = ga_multipart_execute(&mp, body, sizeof(body) - 1);
    is_int(rc + ga_multipart_finish(&mp), GA_MP_OK, "all callbacks NULL");

    ga_multipart_init(&mp, (u_char *) "b", 1, hbuf, sizeof(hbuf), 0, NULL,
                      NULL);
    rc = ga_multipart_execute(&mp, body, sizeof(body) - 1);
    is_int(rc + ga_multipart_finish(&mp), GA_MP_OK, "NULL callback table");

    /* a boundary longer than GA_MP_MAX_BOUNDARY is cut, never overflows */

    ga_multipart_init(&mp, (u_char *) B70 "XYZ", 73, hbuf, sizeof(hbuf), 0,
                      NULL, NULL);
    is_int(mp.delim_len, 4 + GA_MP_MAX_BOUNDARY, "boundary cut at 70");
}


static void
test_strerror(void)
{
    int  rc, bad;

    bad = 0;

    for (rc = GA_MP_OK; rc >= GA_MP_ERR_STATE; rc--) {
        if (strcmp(ga_multipart_strerror(rc), "unknown multipart error")
            == 0)
        {
            bad++;
        }
    }

    ok(bad == 0, "every code has a message");
    ok(strcmp(ga_multipart_strerror(GA_MP_ERR_TRUNCATED),
              "no closing delimiter") == 0, "truncated message");
    ok(strcmp(ga_multipart_strerror(42), "unknown multipart error") == 0,
       "unknown code");
}


int
main(void)
{
    int           simd;
    size_t        i, nvec;
    const vec_t  *v;

    nvec = sizeof(vectors) / sizeof(vectors[0]);

    /* everything with each delimiter search: memchr, then AVX2 */

    for (simd = 0; simd < 2; simd++) {
        if (ga_multipart_select(simd) != simd) {
            diag("no AVX2 delimiter search on this CPU: memchr only");
            continue;
        }

        for (i = 0; i < nvec; i++) {
            v = &vectors[i];
            check_all_splits(v->name, v->boundary, v->boundary_len,
                             v->hbuf_size, v->max_headers, v->body,
                             v->body_len, v->expect, v->expect_len);
        }

        test_clients();
        test_truncations();
        test_random_bodies();
        test_crlf_positions();
        test_callbacks();
    }

    ga_multipart_select(0);
    test_strerror();

    return done_testing();
}
