
/*
 * Copyright (C) graph-attach authors
 *
 * The request body filter: multipart/form-data in, Graph's JSON out, as
 * the bytes arrive.  It only accounts for the body and feeds it to the
 * form; the form writes the attachment through the writer, and what the
 * writer has filled goes on to nginx's save filter.  Every input buffer
 * is consumed at once.
 *
 * A body that nginx would keep in memory (its length within
 * client_body_buffer_size) keeps its JSON in memory, and so is read
 * through a small input buffer rather than one of the body's length:
 * the raw body need not sit beside its JSON, 4/3 of it.  The JSON is
 * then held until the end of the body, since nginx's save filter writes
 * what it holds to a temporary file each time the input buffer is full.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_form.h"
#include "ngx_http_graph_attach_writer.h"


static ngx_int_t ngx_http_graph_attach_request_body_filter(
    ngx_http_request_t *r, ngx_chain_t *in);
static void ngx_http_graph_attach_request_body_end(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx);


/* large enough for a read to fill 64 iovecs of loopback TCP */
#define NGX_HTTP_GRAPH_ATTACH_READ_BUF  65536


static ngx_http_request_body_filter_pt   ngx_http_next_request_body_filter;

/* client_body_buffer_size, while lent to the core (_request_body_read) */
static ngx_http_core_loc_conf_t         *ngx_http_graph_attach_lent_clcf;
static size_t                            ngx_http_graph_attach_lent_size;


ngx_int_t
ngx_http_graph_attach_request_body_init(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx, u_char *boundary, size_t boundary_len)
{
    ngx_http_core_loc_conf_t          *clcf;
    ngx_http_graph_attach_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);

    ctx->writer = ngx_http_graph_attach_writer_create(r->pool,
                                        r->headers_in.content_length_n);
    if (ctx->writer == NULL) {
        return NGX_ERROR;
    }

    /*
     * a body this long, or of a length not told (chunked, HTTP/2), may
     * hold a file for an upload session: the file's bytes are kept as
     * they are, and turned into JSON afterwards if the file is small
     */

    if (alcf->upload.len
        && (r->headers_in.content_length_n < 0
            || r->headers_in.content_length_n
               >= (off_t) alcf->upload_threshold
                  + NGX_HTTP_GRAPH_ATTACH_FORM_ALLOWANCE))
    {
        ctx->writer->raw = 1;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (r->headers_in.content_length_n >= 0
        && r->headers_in.content_length_n
           <= (off_t) clcf->client_body_buffer_size)
    {
        ctx->hold_output = 1;
        ngx_http_graph_attach_writer_hold(ctx->writer,
                                          r->headers_in.content_length_n);
    }

    ctx->form = ngx_http_graph_attach_form_create(r, ctx, ctx->writer,
                                                  boundary, boundary_len);
    if (ctx->form == NULL) {
        return NGX_ERROR;
    }

    ctx->attachment = ngx_http_graph_attach_form_attachment(ctx->form);
    ctx->attachments = ngx_http_graph_attach_form_attachments(ctx->form);
    ctx->body_limit = alcf->max_size + NGX_HTTP_GRAPH_ATTACH_FORM_ALLOWANCE;
    ctx->filtering = 1;

    return NGX_OK;
}


/*
 * Reads the body.  The core allocates its input buffer, of the body's
 * length up to client_body_buffer_size, within the call, so for a body
 * whose JSON is held the size is lent to the core for the call: nothing
 * else reads it meanwhile, and the post handler, which may run within
 * the call, takes it back first (_lent_back).
 */

ngx_int_t
ngx_http_graph_attach_request_body_read(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx,
    ngx_http_client_body_handler_pt post_handler)
{
    ngx_int_t                  rc;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (!ctx->hold_output
        || clcf->client_body_buffer_size <= NGX_HTTP_GRAPH_ATTACH_READ_BUF)
    {
        return ngx_http_read_client_request_body(r, post_handler);
    }

    ngx_http_graph_attach_lent_clcf = clcf;
    ngx_http_graph_attach_lent_size = clcf->client_body_buffer_size;

    clcf->client_body_buffer_size = NGX_HTTP_GRAPH_ATTACH_READ_BUF;

    rc = ngx_http_read_client_request_body(r, post_handler);

    ngx_http_graph_attach_request_body_lent_back();

    return rc;
}


void
ngx_http_graph_attach_request_body_lent_back(void)
{
    if (ngx_http_graph_attach_lent_clcf) {
        ngx_http_graph_attach_lent_clcf->client_body_buffer_size =
                                              ngx_http_graph_attach_lent_size;
        ngx_http_graph_attach_lent_clcf = NULL;
    }
}


static ngx_int_t
ngx_http_graph_attach_request_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in)
{
    size_t                        size;
    ngx_int_t                     rc, last;
    ngx_buf_t                    *b;
    ngx_chain_t                  *cl, *out, end;
    ngx_http_graph_attach_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    if (ctx == NULL || !ctx->filtering) {
        return ngx_http_next_request_body_filter(r, in);
    }

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

        ctx->received += size;

        if (ctx->received > ctx->body_limit) {

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
            ngx_http_graph_attach_form_feed(ctx->form, b->pos, size);
        }

        b->pos = b->last;
    }

    if (last) {
        ngx_http_graph_attach_request_body_end(r, ctx);
    }

    out = (ctx->hold_output && !last)
          ? NULL : ngx_http_graph_attach_writer_take(ctx->writer);

    if (ctx->error.status) {

        /* what was converted is of no use; only the end is passed on */

        out = NULL;

        if (last) {
            b = ngx_calloc_buf(r->pool);
            if (b == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            b->last_buf = 1;

            end.buf = b;
            end.next = NULL;
            out = &end;
        }
    }

    rc = ngx_http_next_request_body_filter(r, out);

    if (ctx->error.status == 0) {
        ngx_http_graph_attach_writer_update(ctx->writer, out);
    }

    return rc;
}


/* the whole body was read: the form is judged, the JSON closed */

static void
ngx_http_graph_attach_request_body_end(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx)
{
    ctx->body_ended = 1;

    if (ctx->error.status
        || ngx_http_graph_attach_form_end(ctx->form) != NGX_OK)
    {
        return;
    }

    if (ngx_http_graph_attach_writer_finish(ctx->writer) != NGX_OK) {
        ngx_http_graph_attach_set_error(ctx, GA_ERR_OUT_OF_MEMORY);
        return;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "graph_attach: body: file %O bytes, json %O bytes",
                   ctx->attachment->size, ctx->writer->size);
}


ngx_int_t
ngx_http_graph_attach_request_body_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_request_body_filter = ngx_http_top_request_body_filter;
    ngx_http_top_request_body_filter =
                                     ngx_http_graph_attach_request_body_filter;

    return NGX_OK;
}
