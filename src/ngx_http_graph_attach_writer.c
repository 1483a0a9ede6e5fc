
/*
 * Copyright (C) graph-attach authors
 *
 * The attachment writer: Graph's fileAttachment JSON, in the order the
 * upload allows.  The head and the base64 of the file are written while
 * the file part streams; the other properties at the end, when every form
 * field (even one after the file) is known.
 *
 * Output goes into buffers of about one read each; the request body
 * filter hands them to nginx's save filter, which keeps them in memory up
 * to client_body_buffer_size and writes them to a temporary file past
 * that.  Written buffers come back through the free list, so memory stays
 * bounded whatever the size of the file.  Output held to the end of a
 * body within client_body_buffer_size goes into one buffer of about its
 * whole length instead (_hold).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_writer.h"
#include "ga_json.h"


#define NGX_HTTP_GRAPH_ATTACH_OUT_BUF_MAX  16384
#define NGX_HTTP_GRAPH_ATTACH_OUT_BUF_MIN  1024


static ngx_int_t ngx_http_graph_attach_writer_emit(
    ngx_http_graph_attach_writer_t *w, const u_char *p, size_t len);
static ngx_int_t ngx_http_graph_attach_writer_reserve(
    ngx_http_graph_attach_writer_t *w, size_t size);
static ngx_int_t ngx_http_graph_attach_writer_pass(
    ngx_http_graph_attach_writer_t *w, ngx_buf_t *buf);


#define ngx_http_graph_attach_writer_tag                                      \
    (ngx_buf_tag_t) &ngx_http_graph_attach_module


ngx_http_graph_attach_writer_t *
ngx_http_graph_attach_writer_create(ngx_pool_t *pool, off_t content_length)
{
    off_t                            size;
    ngx_http_graph_attach_writer_t  *w;

    w = ngx_pcalloc(pool, sizeof(ngx_http_graph_attach_writer_t));
    if (w == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     w->buf = NULL;
     *     w->out = NULL;
     *     w->free = NULL;
     *     w->busy = NULL;
     *     w->size = 0;
     *     w->first_size = 0;
     */

    w->last_out = &w->out;
    w->pool = pool;

    /* about one buffer a read: base64 grows the file by a third */

    size = NGX_HTTP_GRAPH_ATTACH_OUT_BUF_MAX;

    if (content_length > 0) {
        size = ngx_min(size, content_length / 3 * 4 + 512);
        size = ngx_max(size, NGX_HTTP_GRAPH_ATTACH_OUT_BUF_MIN);
    }

    w->buf_size = (size_t) size;

    return w;
}


/*
 * Output held in memory to the end of the body (_request_body.c) goes
 * into one buffer of about its whole length, as nginx reads a body it
 * keeps in memory into one buffer of the body's length: the proxy sends
 * it in one vector, and the allocator sees one block a request, which
 * it keeps for the next (eighty-five 16 KB blocks for a 1 MiB file, freed
 * at once, moved the heap's top up and down: two brk() calls and their
 * page faults a request).  The files' base64 is at most 4/3 of the body
 * that carried them, raw bytes at most the body; what the JSON's
 * properties add past that (names escaped, several small files) goes on
 * in buffers of the usual size.  The buffer is taken when the first
 * byte of output is written, and a client that stops sending leaves the
 * rest of its pages untouched; nginx itself takes a body buffer
 * of the declared length before reading a byte.
 */

#define NGX_HTTP_GRAPH_ATTACH_HOLD_SLACK  1024

void
ngx_http_graph_attach_writer_hold(ngx_http_graph_attach_writer_t *w,
    off_t content_length)
{
    /* never less than buf_size: that is at most 4/3 of the body + 512 */

    w->first_size = (size_t) ((w->raw ? content_length
                                      : (content_length + 2) / 3 * 4)
                              + NGX_HTTP_GRAPH_ATTACH_HOLD_SLACK);
}


/* a fileAttachment's JSON before its base64 (_plan.c sends it too) */

ngx_str_t  ngx_http_graph_attach_file_head = ngx_string(
    "{\"@odata.type\":\"#microsoft.graph.fileAttachment\","
    "\"contentBytes\":\"");


ngx_int_t
ngx_http_graph_attach_writer_file_begin(ngx_http_graph_attach_writer_t *w)
{
    if (w->raw) {
        return NGX_OK;
    }

    ga_base64_init(&w->b64);

    return ngx_http_graph_attach_writer_emit(w,
                                        ngx_http_graph_attach_file_head.data,
                                        ngx_http_graph_attach_file_head.len);
}


ngx_int_t
ngx_http_graph_attach_writer_file_data(ngx_http_graph_attach_writer_t *w,
    const u_char *p, size_t len)
{
    size_t  room, n, written;

    if (w->raw) {
        return ngx_http_graph_attach_writer_emit(w, p, len);
    }

    while (len) {

        /* room for at least one whole group of four */

        if (ngx_http_graph_attach_writer_reserve(w, 4) != NGX_OK) {
            return NGX_ERROR;
        }

        room = w->buf->end - w->buf->last;

        /* input that fills the room: carried bytes count as input */
        n = room / 4 * 3 - w->b64.ncarry;
        n = ngx_min(n, len);

        written = ga_base64_update(&w->b64, p, n, w->buf->last);

        w->buf->last += written;
        w->size += written;

        p += n;
        len -= n;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_graph_attach_writer_file_end(ngx_http_graph_attach_writer_t *w)
{
    size_t  n;
    u_char  tail[4];

    if (w->raw) {
        return NGX_OK;
    }

    n = ga_base64_final(&w->b64, tail);

    return ngx_http_graph_attach_writer_emit(w, tail, n);
}


/* the properties known only at the end of the form */

ngx_int_t
ngx_http_graph_attach_writer_properties(ngx_http_graph_attach_writer_t *w,
    ngx_http_graph_attach_attachment_t *a)
{
    u_char  *p, *last;

    if (w->raw) {
        /* the session's create call carries them (_session.c) */
        return NGX_OK;
    }

    p = ngx_pnalloc(w->pool, ngx_http_graph_attach_file_tail_len(a));
    if (p == NULL) {
        return NGX_ERROR;
    }

    last = ngx_http_graph_attach_file_tail(p, a);

    return ngx_http_graph_attach_writer_emit(w, p, last - p);
}


/* a fileAttachment's JSON after its base64: the closing quote, the rest */

size_t
ngx_http_graph_attach_file_tail_len(ngx_http_graph_attach_attachment_t *a)
{
    return sizeof("\",\"name\":\"\",\"contentType\":\"\",\"isInline\":false"
                  ",\"contentId\":\"\"}") - 1
           + ga_json_escape_len(a->name.data, a->name.len)
           + ga_json_escape_len(a->content_type.data, a->content_type.len)
           + ga_json_escape_len(a->content_id.data, a->content_id.len);
}


u_char *
ngx_http_graph_attach_file_tail(u_char *p,
    ngx_http_graph_attach_attachment_t *a)
{
    p = ngx_cpymem(p, "\",\"name\":\"", sizeof("\",\"name\":\"") - 1);
    p = ga_json_escape(p, a->name.data, a->name.len);
    p = ngx_cpymem(p, "\",\"contentType\":\"",
                   sizeof("\",\"contentType\":\"") - 1);
    p = ga_json_escape(p, a->content_type.data, a->content_type.len);
    if (a->is_inline) {
        p = ngx_cpymem(p, "\",\"isInline\":true",
                       sizeof("\",\"isInline\":true") - 1);

    } else {
        p = ngx_cpymem(p, "\",\"isInline\":false",
                       sizeof("\",\"isInline\":false") - 1);
    }

    if (a->content_id.data) {
        p = ngx_cpymem(p, ",\"contentId\":\"", sizeof(",\"contentId\":\"") - 1);
        p = ga_json_escape(p, a->content_id.data, a->content_id.len);
        *p++ = '"';
    }

    *p++ = '}';

    return p;
}


ngx_int_t
ngx_http_graph_attach_writer_finish(ngx_http_graph_attach_writer_t *w)
{
    /* the last buffer, possibly not full, carries the end of the body */

    if (w->buf == NULL
        && ngx_http_graph_attach_writer_reserve(w, 1) != NGX_OK)
    {
        return NGX_ERROR;
    }

    w->buf->last_buf = 1;

    if (ngx_http_graph_attach_writer_pass(w, w->buf) != NGX_OK) {
        return NGX_ERROR;
    }

    w->buf = NULL;

    return NGX_OK;
}


ngx_chain_t *
ngx_http_graph_attach_writer_json_from_raw(ngx_http_graph_attach_writer_t *w,
    ngx_http_graph_attach_attachment_t *a, ngx_chain_t *raw)
{
    off_t        offset;
    ssize_t      n;
    ngx_buf_t   *b;
    u_char       buf[16384];

    w->raw = 0;
    w->size = 0;
    w->first_size = 0;
    w->buf = NULL;
    w->free = NULL;
    w->busy = NULL;
    w->out = NULL;
    w->last_out = &w->out;

    if (ngx_http_graph_attach_writer_file_begin(w) != NGX_OK) {
        return NULL;
    }

    for ( /* void */ ; raw; raw = raw->next) {
        b = raw->buf;

        if (!b->in_file) {
            if (ngx_http_graph_attach_writer_file_data(w, b->pos,
                                                       b->last - b->pos)
                != NGX_OK)
            {
                return NULL;
            }

            continue;
        }

        /*
         * a blocking read, as nginx reads temp files without aio; the
         * file is under the threshold, about 2 MiB
         */

        for (offset = b->file_pos; offset < b->file_last; offset += n) {
            n = ngx_read_file(b->file, buf,
                              ngx_min((off_t) sizeof(buf),
                                      b->file_last - offset),
                              offset);

            if (n <= 0
                || ngx_http_graph_attach_writer_file_data(w, buf, n)
                   != NGX_OK)
            {
                return NULL;
            }
        }
    }

    if (ngx_http_graph_attach_writer_file_end(w) != NGX_OK
        || ngx_http_graph_attach_writer_properties(w, a) != NGX_OK
        || ngx_http_graph_attach_writer_finish(w) != NGX_OK)
    {
        return NULL;
    }

    return ngx_http_graph_attach_writer_take(w);
}


ngx_chain_t *
ngx_http_graph_attach_writer_take(ngx_http_graph_attach_writer_t *w)
{
    ngx_chain_t  *out;

    out = w->out;

    w->out = NULL;
    w->last_out = &w->out;

    return out;
}


void
ngx_http_graph_attach_writer_discard(ngx_http_graph_attach_writer_t *w)
{
    /* the buffers stay in the pool; none goes out */

    w->out = NULL;
    w->last_out = &w->out;
}


void
ngx_http_graph_attach_writer_update(ngx_http_graph_attach_writer_t *w,
    ngx_chain_t *sent)
{
    ngx_chain_update_chains(w->pool, &w->free, &w->busy, &sent,
                            ngx_http_graph_attach_writer_tag);
}


static ngx_int_t
ngx_http_graph_attach_writer_emit(ngx_http_graph_attach_writer_t *w,
    const u_char *p, size_t len)
{
    size_t  n;

    while (len) {
        if (ngx_http_graph_attach_writer_reserve(w, 1) != NGX_OK) {
            return NGX_ERROR;
        }

        n = ngx_min(len, (size_t) (w->buf->end - w->buf->last));

        w->buf->last = ngx_cpymem(w->buf->last, p, n);
        w->size += n;

        p += n;
        len -= n;
    }

    return NGX_OK;
}


/*
 * Makes room for size bytes in the current buffer; a buffer that has less
 * goes out, and a new one comes from the free list or the pool.
 */

static ngx_int_t
ngx_http_graph_attach_writer_reserve(ngx_http_graph_attach_writer_t *w,
    size_t size)
{
    ngx_buf_t    *buf;
    ngx_chain_t  *cl;

    if (w->buf && (size_t) (w->buf->end - w->buf->last) >= size) {
        return NGX_OK;
    }

    if (w->buf) {
        if (ngx_http_graph_attach_writer_pass(w, w->buf) != NGX_OK) {
            return NGX_ERROR;
        }

        w->buf = NULL;
    }

    if (w->free) {
        cl = w->free;
        w->free = cl->next;
        buf = cl->buf;
        ngx_free_chain(w->pool, cl);

        buf->pos = buf->start;
        buf->last = buf->start;

    } else {
        buf = ngx_create_temp_buf(w->pool,
                                  w->first_size ? w->first_size : w->buf_size);
        if (buf == NULL) {
            return NGX_ERROR;
        }

        w->first_size = 0;

        buf->tag = ngx_http_graph_attach_writer_tag;
    }

    w->buf = buf;

    return NGX_OK;
}


static ngx_int_t
ngx_http_graph_attach_writer_pass(ngx_http_graph_attach_writer_t *w,
    ngx_buf_t *buf)
{
    ngx_chain_t  *cl;

    cl = ngx_alloc_chain_link(w->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = buf;
    cl->next = NULL;

    *w->last_out = cl;
    w->last_out = &cl->next;

    return NGX_OK;
}
