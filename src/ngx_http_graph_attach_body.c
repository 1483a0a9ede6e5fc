
/*
 * Copyright (C) graph-attach authors
 *
 * The request body filter: multipart/form-data in, Graph fileAttachment
 * JSON out, as the bytes arrive.
 *
 * The JSON is written in the order the upload allows: the head and the
 * base64 of the file while the file part streams, the other properties
 * at the end, when every form field (even one after the file) is known.
 * Every input buffer is consumed at once; output buffers go to nginx's
 * save filter, which keeps them in memory up to client_body_buffer_size
 * and writes them to a temporary file past that.  Written buffers come
 * back through the free list, so memory stays bounded whatever the size
 * of the file.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_token.h"
#include "ga_json.h"


#define NGX_HTTP_GRAPH_ATTACH_OUT_BUF_MAX  16384
#define NGX_HTTP_GRAPH_ATTACH_OUT_BUF_MIN  1024


static void ngx_http_graph_attach_body_cleanup(void *data);
static ngx_int_t ngx_http_graph_attach_request_body_filter(
    ngx_http_request_t *r, ngx_chain_t *in);
static void ngx_http_graph_attach_body_end(ngx_http_graph_attach_ctx_t *ctx);
static ngx_int_t ngx_http_graph_attach_reserve(
    ngx_http_graph_attach_body_t *b, size_t size);
static ngx_int_t ngx_http_graph_attach_pass(ngx_http_graph_attach_body_t *b,
    ngx_buf_t *buf);


static ngx_http_request_body_filter_pt   ngx_http_next_request_body_filter;


#define ngx_http_graph_attach_tag  (ngx_buf_tag_t) &ngx_http_graph_attach_module


ngx_int_t
ngx_http_graph_attach_body_init(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx, u_char *boundary, size_t boundary_len)
{
    off_t                              size;
    ngx_pool_cleanup_t                 *cln;
    ngx_http_graph_attach_body_t       *body;
    ngx_http_graph_attach_loc_conf_t   *alcf;
    ngx_http_graph_attach_main_conf_t  *amcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);

    body = ngx_pcalloc(r->pool, sizeof(ngx_http_graph_attach_body_t));
    if (body == NULL) {
        return NGX_ERROR;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     body->part = NGX_HTTP_GRAPH_ATTACH_PART_SKIP;
     *     body->filename = { 0, NULL };
     *     body->field_* = { 0, NULL };
     *     body->file_size = 0;
     *     body->received = 0;
     *     body->json_size = 0;
     *     body->out_buf = NULL;
     *     body->free = NULL;
     *     body->busy = NULL;
     */

    body->header_line_size = alcf->part_header_size;

    body->header_line = ngx_pnalloc(r->pool, body->header_line_size);

    /* filename* in ISO-8859-1 may double in size as UTF-8 */
    body->scratch = ngx_pnalloc(r->pool, 2 * body->header_line_size);

    body->part_type.data = ngx_pnalloc(r->pool,
                                       NGX_HTTP_GRAPH_ATTACH_CONTENT_TYPE_MAX);

    if (body->header_line == NULL || body->scratch == NULL
        || body->part_type.data == NULL)
    {
        return NGX_ERROR;
    }

    body->pool = r->pool;
    body->log = r->connection->log;
    body->conf = alcf;
    body->max_size = alcf->max_size;
    body->max_fields = alcf->max_fields;
    body->body_limit = alcf->max_size + NGX_HTTP_GRAPH_ATTACH_FORM_ALLOWANCE;

    /* about one buffer a read: base64 grows the file by a third */

    size = NGX_HTTP_GRAPH_ATTACH_OUT_BUF_MAX;

    if (r->headers_in.content_length_n > 0) {
        size = ngx_min(size, r->headers_in.content_length_n / 3 * 4 + 512);
        size = ngx_max(size, NGX_HTTP_GRAPH_ATTACH_OUT_BUF_MIN);
    }

    body->out_buf_size = (size_t) size;

    ga_multipart_init(&body->mp, boundary, boundary_len, body->header_line,
                      body->header_line_size, alcf->part_headers,
                      &ngx_http_graph_attach_form_callbacks, ctx);

    ctx->body = body;
    ctx->filtering = 1;

    /*
     * the digest of the file bytes costs about as much as base64: only
     * when the configuration uses $graph_attach_sha256
     */

    amcf = ngx_http_get_module_main_conf(r, ngx_http_graph_attach_module);

    if (!amcf->sha256) {
        return NGX_OK;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    body->sha256 = EVP_MD_CTX_new();
    if (body->sha256 == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_graph_attach_body_cleanup;
    cln->data = body;

    if (EVP_DigestInit_ex(body->sha256, EVP_sha256(), NULL) != 1) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_graph_attach_body_cleanup(void *data)
{
    ngx_http_graph_attach_body_t  *body = data;

    EVP_MD_CTX_free(body->sha256);
}


static ngx_int_t
ngx_http_graph_attach_request_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in)
{
    int                            rc;
    size_t                         size;
    ngx_int_t                      last;
    ngx_buf_t                     *b;
    ngx_chain_t                   *cl;
    ngx_http_graph_attach_ctx_t   *ctx;
    ngx_http_graph_attach_body_t  *body;

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    if (ctx == NULL || !ctx->filtering) {
        return ngx_http_next_request_body_filter(r, in);
    }

    body = ctx->body;
    body->out = NULL;
    body->last_out = &body->out;

    last = 0;

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (b->last_buf) {
            last = 1;
        }

        if (b->in_file) {
            /* length and chunked filters pass memory buffers only */
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "graph_attach: request body buffer in file");
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        size = b->last - b->pos;

        if (size == 0) {
            continue;
        }

        body->received += size;

        if (body->received > body->body_limit) {

            /*
             * only a body without Content-Length gets here; stop reading
             * it: the special response is answered in JSON by the
             * error filter
             */

            for ( /* void */ ; cl; cl = cl->next) {
                cl->buf->pos = cl->buf->last;
            }

            ngx_http_graph_attach_set_error(ctx, GA_ERR_UPLOAD_TOO_LARGE);

            r->lingering_close = 1;

            return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
        }

        if (ctx->error.status == 0) {
            rc = ga_multipart_execute(&body->mp, b->pos, size);

            if (rc != GA_MP_OK) {
                ngx_http_graph_attach_form_error(ctx, rc);
            }
        }

        b->pos = b->last;
    }

    if (last) {
        ngx_http_graph_attach_body_end(ctx);
    }

    if (ctx->error.status) {

        /* what was converted is of no use; only the end is passed on */

        body->out = NULL;
        body->last_out = &body->out;

        if (last) {
            b = ngx_calloc_buf(r->pool);
            if (b == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            b->last_buf = 1;

            if (ngx_http_graph_attach_pass(body, b) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }

    rc = ngx_http_next_request_body_filter(r, body->out);

    ngx_chain_update_chains(r->pool, &body->free, &body->busy, &body->out,
                            ngx_http_graph_attach_tag);

    return rc;
}


static void
ngx_http_graph_attach_body_end(ngx_http_graph_attach_ctx_t *ctx)
{
    ngx_http_graph_attach_body_t  *body;

    body = ctx->body;
    body->ended = 1;

    if (ctx->error.status) {
        return;
    }

    if (ngx_http_graph_attach_form_end(ctx) != NGX_OK) {
        return;
    }

    /* the last buffer, possibly not full, carries the end of the body */

    if (body->out_buf == NULL
        && ngx_http_graph_attach_reserve(body, 1) != NGX_OK)
    {
        ngx_http_graph_attach_set_error(ctx, GA_ERR_OUT_OF_MEMORY);
        return;
    }

    body->out_buf->last_buf = 1;

    if (ngx_http_graph_attach_pass(body, body->out_buf) != NGX_OK) {
        ngx_http_graph_attach_set_error(ctx, GA_ERR_OUT_OF_MEMORY);
        return;
    }

    body->out_buf = NULL;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, body->log, 0,
                   "graph attach body: file %O bytes, json %O bytes",
                   body->file_size, body->json_size);
}


ngx_int_t
ngx_http_graph_attach_emit(ngx_http_graph_attach_body_t *b, const u_char *p,
    size_t len)
{
    size_t  n;

    while (len) {
        if (ngx_http_graph_attach_reserve(b, 1) != NGX_OK) {
            return NGX_ERROR;
        }

        n = ngx_min(len, (size_t) (b->out_buf->end - b->out_buf->last));

        b->out_buf->last = ngx_cpymem(b->out_buf->last, p, n);
        b->json_size += n;

        p += n;
        len -= n;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_graph_attach_emit_string(ngx_http_graph_attach_body_t *b,
    const char *s)
{
    return ngx_http_graph_attach_emit(b, (u_char *) s, ngx_strlen(s));
}


ngx_int_t
ngx_http_graph_attach_emit_escaped(ngx_http_graph_attach_body_t *b,
    ngx_str_t *s)
{
    size_t   len;
    u_char  *p;

    len = ga_json_escape_len(s->data, s->len);

    p = ngx_pnalloc(b->pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    (void) ga_json_escape(p, s->data, s->len);

    return ngx_http_graph_attach_emit(b, p, len);
}


ngx_int_t
ngx_http_graph_attach_emit_base64(ngx_http_graph_attach_body_t *b,
    const u_char *p, size_t len)
{
    size_t  room, n, written;

    while (len) {

        /* room for at least one whole group of four */

        if (ngx_http_graph_attach_reserve(b, 4) != NGX_OK) {
            return NGX_ERROR;
        }

        room = b->out_buf->end - b->out_buf->last;

        /* input that fills the room: carried bytes count as input */
        n = room / 4 * 3 - b->b64.ncarry;
        n = ngx_min(n, len);

        written = ga_base64_update(&b->b64, p, n, b->out_buf->last);

        b->out_buf->last += written;
        b->json_size += written;

        p += n;
        len -= n;
    }

    return NGX_OK;
}


/*
 * Makes room for size bytes in the current output buffer; a buffer that
 * has less goes on to the save filter, and a new one comes from the free
 * list or the pool.
 */

static ngx_int_t
ngx_http_graph_attach_reserve(ngx_http_graph_attach_body_t *b, size_t size)
{
    ngx_buf_t    *buf;
    ngx_chain_t  *cl;

    if (b->out_buf && (size_t) (b->out_buf->end - b->out_buf->last) >= size)
    {
        return NGX_OK;
    }

    if (b->out_buf) {
        if (ngx_http_graph_attach_pass(b, b->out_buf) != NGX_OK) {
            return NGX_ERROR;
        }

        b->out_buf = NULL;
    }

    if (b->free) {
        cl = b->free;
        b->free = cl->next;
        buf = cl->buf;
        ngx_free_chain(b->pool, cl);

        buf->pos = buf->start;
        buf->last = buf->start;

    } else {
        buf = ngx_create_temp_buf(b->pool, b->out_buf_size);
        if (buf == NULL) {
            return NGX_ERROR;
        }

        buf->tag = ngx_http_graph_attach_tag;
    }

    b->out_buf = buf;

    return NGX_OK;
}


static ngx_int_t
ngx_http_graph_attach_pass(ngx_http_graph_attach_body_t *b, ngx_buf_t *buf)
{
    ngx_chain_t  *cl;

    cl = ngx_alloc_chain_link(b->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = buf;
    cl->next = NULL;

    *b->last_out = cl;
    b->last_out = &cl->next;

    return NGX_OK;
}


ngx_int_t
ngx_http_graph_attach_body_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_request_body_filter = ngx_http_top_request_body_filter;
    ngx_http_top_request_body_filter =
                                     ngx_http_graph_attach_request_body_filter;

    return NGX_OK;
}
