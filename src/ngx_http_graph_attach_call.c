
/*
 * Copyright (C) graph-attach authors
 *
 * A call of the module's own, to Graph or to an uploadUrl: a background
 * subrequest of the client's request into a location of the operator's,
 * with its own method, headers (none of the client's) and body, and its
 * answer taken by the call's body filter, bounded.
 *
 * In the background, because a subrequest in the foreground becomes the
 * connection's active request: the proxy module's check of the client
 * connection would then end it, and the client's request with it, the
 * moment the client closed, before the module could cancel what it
 * started (_plan.c watches the client instead).  A background call wakes
 * no parent by itself: its post-subrequest handler posts the client's
 * request.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_call.h"
#include "ngx_http_graph_attach_metrics.h"


static ngx_int_t ngx_http_graph_attach_call_headers(
    ngx_http_graph_attach_call_t *call, ngx_http_request_t *sr,
    ngx_http_graph_attach_ctx_t *sctx);
static ngx_int_t ngx_http_graph_attach_call_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static time_t ngx_http_graph_attach_call_retry_after(ngx_http_request_t *sr);
static void ngx_http_graph_attach_call_free(ngx_http_upstream_t *u);
static void ngx_http_graph_attach_call_free_buf(ngx_pool_t *pool,
    ngx_buf_t *b);
static ngx_int_t ngx_http_graph_attach_call_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


static ngx_http_output_body_filter_pt  ngx_http_next_body_filter;


ngx_int_t
ngx_http_graph_attach_call_init(ngx_http_graph_attach_call_t *call,
    ngx_http_request_t *r, ngx_http_graph_attach_ctx_t *ctx)
{
    ngx_memzero(call, sizeof(ngx_http_graph_attach_call_t));

    call->request = r;
    call->ctx = ctx;

    call->answer.data = ngx_pnalloc(r->pool, NGX_HTTP_GRAPH_ATTACH_CALL_ANSWER);
    if (call->answer.data == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the next call: to location with method, nothing of the last one's */

void
ngx_http_graph_attach_call_reset(ngx_http_graph_attach_call_t *call,
    ngx_str_t *location, ngx_uint_t method)
{
    static ngx_str_t  post = ngx_string("POST");
    static ngx_str_t  put = ngx_string("PUT");
    static ngx_str_t  delete = ngx_string("DELETE");

    call->location = location;
    call->method = method;
    call->method_name = (method == NGX_HTTP_POST) ? post
                        : (method == NGX_HTTP_PUT) ? put : delete;

    ngx_str_null(&call->uri);
    ngx_str_null(&call->upload_url);
    ngx_str_null(&call->content_type);
    ngx_str_null(&call->content_range);
    call->body = NULL;
    call->body_len = 0;
    call->token = 0;
    call->strip_bytes = 0;
}


ngx_int_t
ngx_http_graph_attach_call_send(ngx_http_graph_attach_call_t *call)
{
    ngx_http_request_t           *r, *sr;
    ngx_http_request_body_t      *rb;
    ngx_http_post_subrequest_t   *ps;
    ngx_http_core_main_conf_t    *cmcf;
    ngx_http_graph_attach_ctx_t  *sctx;

    r = call->request;

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_graph_attach_call_done;
    ps->data = call;

    /*
     * not in memory: the answer is taken by the call's body filter,
     * bounded here rather than by subrequest_output_buffer_size
     */

    if (ngx_http_subrequest(r, call->location, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_BACKGROUND)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    sctx = ngx_pcalloc(r->pool, sizeof(ngx_http_graph_attach_ctx_t));
    if (sctx == NULL) {
        return NGX_ERROR;
    }

    sctx->session_call = 1;
    sctx->finalized = 1;
    sctx->call = call;
    sctx->uri = call->uri;
    sctx->upload_url = call->upload_url;
    sctx->request_id = call->ctx->request_id;

    ngx_http_set_ctx(sr, sctx, ngx_http_graph_attach_module);

    sr->method = call->method;
    sr->method_name = call->method_name;

    /* variables of its own: nothing the client's request cached */

    cmcf = ngx_http_get_module_main_conf(sr, ngx_http_core_module);

    sr->variables = ngx_pcalloc(sr->pool, cmcf->variables.nelts
                                          * sizeof(ngx_http_variable_value_t));
    if (sr->variables == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_graph_attach_call_headers(call, sr, sctx) != NGX_OK) {
        return NGX_ERROR;
    }

    rb = ngx_pcalloc(sr->pool, sizeof(ngx_http_request_body_t));
    if (rb == NULL) {
        return NGX_ERROR;
    }

    rb->bufs = call->body;
    sr->request_body = rb;

    /*
     * Graph's answer to a simple POST holds the file again, as
     * contentBytes: kept without it, so that what the client gets (and
     * the id) fits the answer's bound whatever the file's size
     */

    if (call->strip_bytes) {
        ga_json_strip_init(&call->strip, (u_char *) "contentBytes",
                           sizeof("contentBytes") - 1, call->answer.data,
                           NGX_HTTP_GRAPH_ATTACH_CALL_ANSWER);
    }

    call->out = 1;
    call->status = 0;
    call->nginx = 0;
    call->answer.len = 0;
    call->answer_cut = 0;
    call->location_header.len = 0;
    call->retry_after = 0;

    return NGX_OK;
}


/* the call's own headers: none of the client's */

static ngx_int_t
ngx_http_graph_attach_call_headers(ngx_http_graph_attach_call_t *call,
    ngx_http_request_t *sr, ngx_http_graph_attach_ctx_t *sctx)
{
    ngx_str_t  value;

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    if (ngx_list_init(&sr->headers_in.headers, sr->pool, 8,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    sr->headers_in.server = call->request->headers_in.server;

    /* the length waits in the call's context: see the precontent handler */
    sr->headers_in.content_length_n = -1;
    sctx->call_length = call->body ? call->body_len : 0;

    if (call->body) {
        value.data = ngx_pnalloc(sr->pool, NGX_OFF_T_LEN);
        if (value.data == NULL) {
            return NGX_ERROR;
        }

        value.len = ngx_sprintf(value.data, "%O", call->body_len)
                    - value.data;

        sr->headers_in.content_length = ngx_http_graph_attach_push_header(
                                            &sr->headers_in.headers,
                                            "Content-Length",
                                            "content-length", &value);
        if (sr->headers_in.content_length == NULL) {
            return NGX_ERROR;
        }
    }

    if (call->content_type.len) {
        sr->headers_in.content_type = ngx_http_graph_attach_push_header(
                                          &sr->headers_in.headers,
                                          "Content-Type", "content-type",
                                          &call->content_type);
        if (sr->headers_in.content_type == NULL) {
            return NGX_ERROR;
        }
    }

    if (call->content_range.len
        && ngx_http_graph_attach_push_header(&sr->headers_in.headers,
                                             "Content-Range",
                                             "content-range",
                                             &call->content_range)
           == NULL)
    {
        return NGX_ERROR;
    }

    /*
     * the client request's one client-request-id, on every call, ranges
     * included: Graph's logs tie the calls of one operation together
     */

    if (ngx_http_graph_attach_push_header(&sr->headers_in.headers,
                                          "client-request-id",
                                          "client-request-id",
                                          &call->ctx->request_id)
        == NULL)
    {
        return NGX_ERROR;
    }

    if (!call->token) {
        return NGX_OK;
    }

    return ngx_http_graph_attach_push_token(sr, &call->ctx->token);
}


/* the call is over: its answer is kept, and the client's request woken */

static ngx_int_t
ngx_http_graph_attach_call_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_http_graph_attach_call_t *call = data;

    ngx_uint_t        first;
    ngx_table_elt_t  *h;

    /* a special response ends a subrequest twice: the first one counts */

    first = call->out;

    if (call->out) {
        call->out = 0;

        if (ngx_http_post_request(call->request, NULL) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    /*
     * an answer nginx made itself (a 413 of client_max_body_size, a 502
     * when Graph could not be reached) is told apart from Graph's own
     */

    call->status = sr->headers_out.status;
    call->nginx = (sr->upstream == NULL || sr->upstream->state == NULL
                   || sr->upstream->state->status == 0
                   || (rc >= NGX_HTTP_SPECIAL_RESPONSE
                       && (ngx_uint_t) rc != sr->headers_out.status));

    if (call->status == 0 && rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        call->status = rc;
    }

    if (call->nginx && call->status >= NGX_HTTP_BAD_GATEWAY) {
        /* Graph never answered: told as no answer */
        call->status = 0;
    }

    h = sr->headers_out.location;

    if (h && h->value.len) {
        call->location_header.data = ngx_pstrdup(call->request->pool,
                                                 &h->value);
        call->location_header.len = call->location_header.data
                                    ? h->value.len : 0;
    }

    call->retry_after = ngx_http_graph_attach_call_retry_after(sr);

    /*
     * Graph's request-id, for the client: the last call's but a DELETE's
     * (an undo or a cancel come once the answer is decided).  Without
     * memory for it, none: it is no reason to fail the call.
     */

    if (first && call->method != NGX_HTTP_DELETE) {
        (void) ngx_http_graph_attach_graph_request_id(call->request,
                                                      &sr->headers_out.headers,
                                                      call->ctx);
    }

    if (first) {
        ngx_http_graph_attach_metrics_graph(sr, call->body ? call->body_len
                                                           : 0);
    }

    if (sr->upstream) {
        ngx_http_graph_attach_call_free(sr->upstream);
    }

    if (first && call->strip_bytes && !call->answer_cut) {
        if (ga_json_strip_finish(&call->strip, &call->answer.len)
            != GA_JSON_STRIP_OK)
        {
            /* not one JSON object, or too long without contentBytes */
            call->answer.len = 0;
            call->answer_cut = 1;
        }
    }

    /*
     * an error of the call alone would end the client's request with it;
     * it is the caller's to answer instead.  A client that went away
     * still ends it.
     */

    if (rc == NGX_ERROR && !call->request->connection->error) {
        call->status = 0;
        call->nginx = 1;
        return NGX_OK;
    }

    return rc;
}


/* Retry-After in whole seconds (Graph may send "2.128"), 0 if none */

static time_t
ngx_http_graph_attach_call_retry_after(ngx_http_request_t *sr)
{
    u_char           *p, *last;
    time_t            n;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &sr->headers_out.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return 0;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0
            || h[i].key.len != sizeof("Retry-After") - 1
            || ngx_strncasecmp(h[i].key.data, (u_char *) "Retry-After",
                               h[i].key.len)
               != 0)
        {
            continue;
        }

        n = 0;
        last = h[i].value.data + h[i].value.len;

        for (p = h[i].value.data; p < last && *p >= '0' && *p <= '9'; p++) {
            n = n * 10 + (*p - '0');

            if (n > 3600) {
                return 3600;
            }
        }

        /* a fraction rounds up: "0.5" is one second */

        return (p < last && *p == '.') ? n + 1 : n;
    }
}


/*
 * The proxy module sends a body that lies in a file (a range, the
 * base64 of a file) through an output buffer of the location's
 * client_body_buffer_size, read from the file, and allocated from the
 * client's request pool: with 4m, a session of 150 MB would hold 38 of
 * them until the request ends.  Freed with the call (ngx_pfree() frees a
 * large allocation only, once).
 */

static void
ngx_http_graph_attach_call_free(ngx_http_upstream_t *u)
{
    ngx_chain_t             *cl;
    ngx_output_chain_ctx_t  *ctx;

    ctx = &u->output;

    if (ctx->pool == NULL) {
        return;
    }

    if (ctx->buf) {
        ngx_http_graph_attach_call_free_buf(ctx->pool, ctx->buf);
        ctx->buf = NULL;
    }

    for (cl = ctx->free; cl; cl = cl->next) {
        ngx_http_graph_attach_call_free_buf(ctx->pool, cl->buf);
    }

    for (cl = ctx->busy; cl; cl = cl->next) {
        ngx_http_graph_attach_call_free_buf(ctx->pool, cl->buf);
    }

    ctx->free = NULL;
    ctx->busy = NULL;
}


static void
ngx_http_graph_attach_call_free_buf(ngx_pool_t *pool, ngx_buf_t *b)
{
    /* the output chain's own buffers: read from a file into memory */

    if (b->start == NULL || !b->temporary || b->in_file) {
        return;
    }

    if (ngx_pfree(pool, b->start) == NGX_OK) {
        b->start = NULL;
        b->pos = NULL;
        b->last = NULL;
        b->end = NULL;
    }
}


ngx_msec_t
ngx_http_graph_attach_call_retry_delay(ngx_http_graph_attach_call_t *call,
    ngx_uint_t tries, ngx_uint_t repeatable)
{
    ngx_msec_t  delay;

    if (tries >= NGX_HTTP_GRAPH_ATTACH_CALL_TRIES) {
        return 0;
    }

    if (call->status != NGX_HTTP_TOO_MANY_REQUESTS
        && call->status != NGX_HTTP_SERVICE_UNAVAILABLE
        && !(repeatable
             && (call->status == 0
                 || call->status >= NGX_HTTP_INTERNAL_SERVER_ERROR)))
    {
        return 0;
    }

    if (call->retry_after) {
        return (ngx_msec_t) ngx_min(call->retry_after, 60) * 1000;
    }

    delay = 250 << tries;
    delay += ngx_random() % (delay / 2 + 1);

    return delay;
}


/* a call's answer body: kept, bounded, and never sent to the client */

static ngx_int_t
ngx_http_graph_attach_call_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in)
{
    size_t                         n;
    ngx_buf_t                     *b;
    ngx_chain_t                   *cl;
    ngx_http_graph_attach_ctx_t   *ctx;
    ngx_http_graph_attach_call_t  *call;

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    if (r == r->main || ctx == NULL || ctx->call == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    call = ctx->call;

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (call->strip_bytes && ngx_buf_in_memory(b)) {
            if (ga_json_strip_feed(&call->strip, b->pos, b->last - b->pos)
                != GA_JSON_STRIP_OK)
            {
                call->answer_cut = 1;
            }

            b->pos = b->last;

        } else if (ngx_buf_in_memory(b)) {
            n = ngx_min((size_t) (b->last - b->pos),
                        NGX_HTTP_GRAPH_ATTACH_CALL_ANSWER - call->answer.len);

            if (n < (size_t) (b->last - b->pos)) {
                call->answer_cut = 1;
            }

            ngx_memcpy(call->answer.data + call->answer.len, b->pos, n);
            call->answer.len += n;

            b->pos = b->last;
        }

        if (b->in_file) {
            b->file_pos = b->file_last;
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_graph_attach_call_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_graph_attach_call_body_filter;

    return NGX_OK;
}
