
/*
 * Copyright (C) graph-attach authors
 *
 * Upload sessions: a file past graph_attach_upload_threshold, kept as it
 * is in the request body's temp file, goes to Graph in three kinds of
 * calls, each a subrequest of the client's request so that proxy_pass
 * (its upstream, TLS and timeouts) makes it:
 *
 *   POST {graph path}/attachments/createUploadSession   the graph_attach
 *        location, with the token and the AttachmentItem;
 *   PUT  uploadUrl, range by range                      graph_attach_upload,
 *        straight from the temp file, without Authorization;
 *   DELETE uploadUrl                                    the same, to cancel.
 *
 * One call at a time: each one's end wakes the client's request, whose
 * write event handler (ngx_http_graph_attach_session_step()) reads the
 * answer and makes the next call, or answers the client.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_writer.h"
#include "ga_json.h"
#include "ga_upload.h"


#define NGX_HTTP_GRAPH_ATTACH_SESSION_TRIES    5
#define NGX_HTTP_GRAPH_ATTACH_SESSION_ANSWER   8192


typedef enum {
    NGX_HTTP_GRAPH_ATTACH_SESSION_CREATE = 0,
    NGX_HTTP_GRAPH_ATTACH_SESSION_PUT,
    NGX_HTTP_GRAPH_ATTACH_SESSION_DELETE
} ngx_http_graph_attach_session_call_e;


typedef struct ngx_http_graph_attach_session_s {
    ngx_http_request_t                    *request;
    ngx_http_graph_attach_ctx_t           *ctx;
    ngx_http_graph_attach_loc_conf_t      *conf;

    ngx_http_graph_attach_session_call_e   call;
    ngx_uint_t                             tries;     /* of this range */
    ngx_event_t                            retry;

    ngx_str_t                              upload_url;
    int64_t                                total;
    int64_t                                offset;    /* next range */
    int64_t                                end;       /* sent range's */

    /* the answer to the last call */
    ngx_uint_t                             status;
    ngx_str_t                              answer;
    ngx_str_t                              location;
    time_t                                 retry_after;

    ngx_str_t                              attachment_id;

    /* the error to answer with once a DELETE has cancelled the session */
    ga_err_e                               failed;
    ngx_uint_t                             failed_status;
    ngx_str_t                              failed_answer;
    unsigned                               relay:1;   /* Graph's own */
    unsigned                               nginx:1;   /* no upstream */
    unsigned                               calling:1; /* a call is out */
    unsigned                               client_gone:1;

    ngx_log_handler_pt                     log_handler;  /* the core's */
} ngx_http_graph_attach_session_t;


static ngx_int_t ngx_http_graph_attach_session_call(
    ngx_http_graph_attach_session_t *s, ngx_str_t *uri, ngx_str_t *method,
    ngx_chain_t *body, off_t body_len);
static ngx_int_t ngx_http_graph_attach_session_create(
    ngx_http_graph_attach_session_t *s);
static ngx_int_t ngx_http_graph_attach_session_put(
    ngx_http_graph_attach_session_t *s);
static ngx_int_t ngx_http_graph_attach_session_delete(
    ngx_http_graph_attach_session_t *s);
static ngx_int_t ngx_http_graph_attach_session_headers(
    ngx_http_graph_attach_session_t *s, ngx_http_request_t *sr,
    ngx_http_graph_attach_ctx_t *sctx, ngx_chain_t *body, off_t body_len);
static ngx_int_t ngx_http_graph_attach_session_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static void ngx_http_graph_attach_session_step(ngx_http_request_t *r);
static void ngx_http_graph_attach_session_check_client(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_graph_attach_session_created(
    ngx_http_graph_attach_session_t *s);
static ngx_int_t ngx_http_graph_attach_session_range_done(
    ngx_http_graph_attach_session_t *s);
static ngx_uint_t ngx_http_graph_attach_session_retry(
    ngx_http_graph_attach_session_t *s);
static void ngx_http_graph_attach_session_retry_handler(ngx_event_t *ev);
static void ngx_http_graph_attach_session_fail(
    ngx_http_graph_attach_session_t *s, ga_err_e err);
static void ngx_http_graph_attach_session_keep_error(
    ngx_http_graph_attach_session_t *s);
static void ngx_http_graph_attach_session_finish(
    ngx_http_graph_attach_session_t *s);
static ngx_int_t ngx_http_graph_attach_session_answer(
    ngx_http_graph_attach_session_t *s);
static ngx_int_t ngx_http_graph_attach_session_relay(
    ngx_http_graph_attach_session_t *s);
static void ngx_http_graph_attach_session_cleanup(void *data);
static ngx_int_t ngx_http_graph_attach_session_body_filter(
    ngx_http_request_t *r, ngx_chain_t *in);
static u_char *ngx_http_graph_attach_session_log(ngx_log_t *log,
    u_char *buf, size_t len);
static time_t ngx_http_graph_attach_session_retry_after(
    ngx_http_request_t *sr);
static ngx_int_t ngx_http_graph_attach_session_send(ngx_http_request_t *r,
    ngx_uint_t status, ngx_buf_t *b);


static ngx_str_t  ngx_http_graph_attach_post = ngx_string("POST");
static ngx_str_t  ngx_http_graph_attach_put = ngx_string("PUT");
static ngx_str_t  ngx_http_graph_attach_delete = ngx_string("DELETE");

static ngx_http_output_body_filter_pt  ngx_http_next_body_filter;

/* the core's error log handler, which the session's wraps */
static ngx_log_handler_pt  ngx_http_graph_attach_log_handler;

static ngx_str_t  ngx_http_graph_attach_default_hosts[] = {
    ngx_string("https://outlook.office.com"),
    ngx_string("https://outlook.office365.com"),
    ngx_null_string
};


ngx_int_t
ngx_http_graph_attach_session_start(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx)
{
    ngx_pool_cleanup_t               *cln;
    ngx_http_graph_attach_session_t  *s;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "graph_attach: upload session without a body");
        return NGX_ERROR;
    }

    s = ngx_pcalloc(r->pool, sizeof(ngx_http_graph_attach_session_t));
    if (s == NULL) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_graph_attach_session_cleanup;
    cln->data = s;

    s->answer.data = ngx_pnalloc(r->pool,
                                 NGX_HTTP_GRAPH_ATTACH_SESSION_ANSWER);
    if (s->answer.data == NULL) {
        return NGX_ERROR;
    }

    s->request = r;
    s->ctx = ctx;
    s->conf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);
    s->total = ctx->attachment->size;

    s->retry.handler = ngx_http_graph_attach_session_retry_handler;
    s->retry.data = s;
    s->retry.log = r->connection->log;

    ctx->session = s;

    /*
     * the proxy module names its upstream in every error line, and the
     * uploadUrl's query carries a credential: while the session lasts,
     * this connection's log lines have it masked
     */

    if (r->connection->log->handler != ngx_http_graph_attach_session_log) {
        ngx_http_graph_attach_log_handler = r->connection->log->handler;
        s->log_handler = r->connection->log->handler;
        r->connection->log->handler = ngx_http_graph_attach_session_log;
    }

    r->write_event_handler = ngx_http_graph_attach_session_step;
    r->read_event_handler = ngx_http_graph_attach_session_check_client;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "graph_attach: upload session for %O bytes",
                  (off_t) s->total);

    if (ngx_http_graph_attach_session_create(s) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the body handler's reference is released when the client is answered */

    return NGX_OK;
}


/* POST createUploadSession, through the graph_attach location itself */

static ngx_int_t
ngx_http_graph_attach_session_create(ngx_http_graph_attach_session_t *s)
{
    size_t                               len;
    u_char                              *p;
    ngx_buf_t                           *b;
    ngx_chain_t                         *cl;
    ngx_http_graph_attach_attachment_t  *a;

    a = s->ctx->attachment;

    len = ga_upload_item_len(a->name.data, a->name.len,
                             a->content_type.data, a->content_type.len,
                             a->content_id.data, a->content_id.len);

    b = ngx_create_temp_buf(s->request->pool, len);
    cl = ngx_alloc_chain_link(s->request->pool);
    if (b == NULL || cl == NULL) {
        return NGX_ERROR;
    }

    p = ga_upload_item(b->pos, a->name.data, a->name.len,
                       a->content_type.data, a->content_type.len,
                       (int64_t) a->size, a->is_inline, a->content_id.data,
                       a->content_id.len);

    b->last = p;
    b->last_buf = 1;
    cl->buf = b;
    cl->next = NULL;

    s->call = NGX_HTTP_GRAPH_ATTACH_SESSION_CREATE;

    return ngx_http_graph_attach_session_call(s, &s->request->uri,
                                              &ngx_http_graph_attach_post,
                                              cl, b->last - b->pos);
}


/* PUT the next range, from the temp file */

static ngx_int_t
ngx_http_graph_attach_session_put(ngx_http_graph_attach_session_t *s)
{
    off_t          pos, from, to;
    ngx_buf_t     *b, *in;
    ngx_chain_t   *cl, *out, **last;

    if (s->client_gone) {
        /* nobody waits for the attachment any more */
        return ngx_http_graph_attach_session_delete(s);
    }

    s->end = ngx_min(s->offset + (int64_t) s->conf->upload_chunk, s->total)
             - 1;

    /*
     * the body holds the file's bytes alone, from 0: the range is a slice
     * of its buffers, file buffers of the temp file as a rule (a body
     * within client_body_buffer_size stays in memory)
     */

    out = NULL;
    last = &out;
    pos = 0;

    for (cl = s->request->request_body->bufs; cl; cl = cl->next) {
        in = cl->buf;

        from = ngx_max(pos, (off_t) s->offset);
        to = ngx_min(pos + ngx_buf_size(in), (off_t) s->end + 1);

        if (from < to) {
            b = ngx_calloc_buf(s->request->pool);
            if (b == NULL) {
                return NGX_ERROR;
            }

            if (in->in_file) {
                b->in_file = 1;
                b->file = in->file;
                b->file_pos = in->file_pos + (from - pos);
                b->file_last = in->file_pos + (to - pos);

            } else {
                b->memory = 1;
                b->pos = in->pos + (from - pos);
                b->last = in->pos + (to - pos);
            }

            *last = ngx_alloc_chain_link(s->request->pool);
            if (*last == NULL) {
                return NGX_ERROR;
            }

            (*last)->buf = b;
            (*last)->next = NULL;
            last = &(*last)->next;
        }

        pos += ngx_buf_size(in);
    }

    if (out == NULL || pos != s->total) {
        ngx_log_error(NGX_LOG_ALERT, s->request->connection->log, 0,
                      "graph_attach: the body holds %O bytes, not the "
                      "file's %O", pos, (off_t) s->total);
        return NGX_ERROR;
    }

    for (cl = out; cl->next; cl = cl->next) { /* void */ }
    cl->buf->last_buf = 1;

    s->call = NGX_HTTP_GRAPH_ATTACH_SESSION_PUT;

    return ngx_http_graph_attach_session_call(s, &s->conf->upload,
                                              &ngx_http_graph_attach_put,
                                              out, s->end + 1 - s->offset);
}


static ngx_int_t
ngx_http_graph_attach_session_delete(ngx_http_graph_attach_session_t *s)
{
    s->call = NGX_HTTP_GRAPH_ATTACH_SESSION_DELETE;

    return ngx_http_graph_attach_session_call(s, &s->conf->upload,
                                              &ngx_http_graph_attach_delete,
                                              NULL, 0);
}


/*
 * A subrequest with its own method, headers and body: the client's
 * headers are not Graph's business, and the uploadUrl's PUTs must carry
 * no Authorization
 */

static ngx_int_t
ngx_http_graph_attach_session_call(ngx_http_graph_attach_session_t *s,
    ngx_str_t *uri, ngx_str_t *method, ngx_chain_t *body, off_t body_len)
{
    u_char                       *p;
    size_t                        len;
    ngx_http_request_t           *r, *sr;
    ngx_http_request_body_t      *rb;
    ngx_http_post_subrequest_t   *ps;
    ngx_http_core_main_conf_t    *cmcf;
    ngx_http_graph_attach_ctx_t  *sctx;

    r = s->request;

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_graph_attach_session_done;
    ps->data = s;

    /*
     * not in memory: the answer is taken by the session's body filter,
     * bounded here rather than by subrequest_output_buffer_size.  In the
     * background: the client's connection stays the client's request's,
     * whose read handler sees the client leave while a call is out (the
     * call's own check would end the request with it, leaving the
     * session open).
     */

    if (ngx_http_subrequest(r, uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_BACKGROUND)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    s->calling = 1;

    sctx = ngx_pcalloc(r->pool, sizeof(ngx_http_graph_attach_ctx_t));
    if (sctx == NULL) {
        return NGX_ERROR;
    }

    sctx->session_call = 1;
    sctx->finalized = 1;
    sctx->session = s;

    if (s->call == NGX_HTTP_GRAPH_ATTACH_SESSION_CREATE) {
        len = s->ctx->uri.len + sizeof("/createUploadSession") - 1;

        sctx->uri.data = ngx_pnalloc(r->pool, len);
        if (sctx->uri.data == NULL) {
            return NGX_ERROR;
        }

        p = ngx_cpymem(sctx->uri.data, s->ctx->uri.data, s->ctx->uri.len);
        ngx_memcpy(p, "/createUploadSession",
                   sizeof("/createUploadSession") - 1);
        sctx->uri.len = len;

    } else {
        sctx->upload_url = s->upload_url;
    }

    ngx_http_set_ctx(sr, sctx, ngx_http_graph_attach_module);

    sr->method = (method == &ngx_http_graph_attach_put) ? NGX_HTTP_PUT
                 : (method == &ngx_http_graph_attach_post) ? NGX_HTTP_POST
                 : NGX_HTTP_DELETE;
    sr->method_name = *method;

    /* variables of its own: nothing the client's request cached */

    cmcf = ngx_http_get_module_main_conf(sr, ngx_http_core_module);

    sr->variables = ngx_pcalloc(sr->pool, cmcf->variables.nelts
                                          * sizeof(ngx_http_variable_value_t));
    if (sr->variables == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_graph_attach_session_headers(s, sr, sctx, body, body_len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    rb = ngx_pcalloc(sr->pool, sizeof(ngx_http_request_body_t));
    if (rb == NULL) {
        return NGX_ERROR;
    }

    rb->bufs = body;
    sr->request_body = rb;

    s->status = 0;
    s->answer.len = 0;
    s->location.len = 0;
    s->retry_after = 0;

    return NGX_OK;
}


/* a call's answer body: kept, bounded, and never sent to the client */

static ngx_int_t
ngx_http_graph_attach_session_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in)
{
    size_t                            n;
    ngx_buf_t                        *b;
    ngx_chain_t                      *cl;
    ngx_http_graph_attach_ctx_t      *ctx;
    ngx_http_graph_attach_session_t  *s;

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    if (r == r->main || ctx == NULL || !ctx->session_call) {
        return ngx_http_next_body_filter(r, in);
    }

    s = ctx->session;

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_in_memory(b)) {
            n = ngx_min((size_t) (b->last - b->pos),
                        NGX_HTTP_GRAPH_ATTACH_SESSION_ANSWER - s->answer.len);

            ngx_memcpy(s->answer.data + s->answer.len, b->pos, n);
            s->answer.len += n;

            b->pos = b->last;
        }

        if (b->in_file) {
            b->file_pos = b->file_last;
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_graph_attach_session_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_graph_attach_session_body_filter;

    return NGX_OK;
}


/* the call's own headers: none of the client's */

static ngx_int_t
ngx_http_graph_attach_session_headers(ngx_http_graph_attach_session_t *s,
    ngx_http_request_t *sr, ngx_http_graph_attach_ctx_t *sctx,
    ngx_chain_t *body, off_t body_len)
{
    ngx_str_t  value;
    u_char     range[GA_UPLOAD_RANGE_LEN];

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    if (ngx_list_init(&sr->headers_in.headers, sr->pool, 8,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    sr->headers_in.server = s->request->headers_in.server;

    /* the length waits in the call's context: see the precontent handler */
    sr->headers_in.content_length_n = -1;
    sctx->call_length = body_len;

    if (body) {
        value.data = ngx_pnalloc(sr->pool, NGX_OFF_T_LEN);
        if (value.data == NULL) {
            return NGX_ERROR;
        }

        value.len = ngx_sprintf(value.data, "%O", body_len) - value.data;

        sr->headers_in.content_length = ngx_http_graph_attach_push_header(
                                            &sr->headers_in.headers,
                                            "Content-Length",
                                            "content-length", &value);
        if (sr->headers_in.content_length == NULL) {
            return NGX_ERROR;
        }
    }

    if (s->call == NGX_HTTP_GRAPH_ATTACH_SESSION_CREATE) {
        ngx_str_set(&value, "application/json");

        sr->headers_in.content_type = ngx_http_graph_attach_push_header(
                                          &sr->headers_in.headers,
                                          "Content-Type", "content-type",
                                          &value);
        if (sr->headers_in.content_type == NULL
            || ngx_http_graph_attach_push_token(sr, &s->ctx->token) != NGX_OK)
        {
            return NGX_ERROR;
        }

        /* a fresh client-request-id, also $graph_attach_request_id */

        if (ngx_http_graph_attach_request_id(s->request, s->ctx) != NGX_OK
            || ngx_http_graph_attach_push_header(&sr->headers_in.headers,
                                                 "client-request-id",
                                                 "client-request-id",
                                                 &s->ctx->request_id)
               == NULL)
        {
            return NGX_ERROR;
        }

    } else if (s->call == NGX_HTTP_GRAPH_ATTACH_SESSION_PUT) {
        ngx_str_set(&value, "application/octet-stream");

        sr->headers_in.content_type = ngx_http_graph_attach_push_header(
                                          &sr->headers_in.headers,
                                          "Content-Type", "content-type",
                                          &value);

        value.len = ga_upload_content_range(range, s->offset, s->end,
                                            s->total);
        value.data = ngx_pnalloc(sr->pool, value.len);
        if (sr->headers_in.content_type == NULL || value.data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(value.data, range, value.len);

        if (ngx_http_graph_attach_push_header(&sr->headers_in.headers,
                                              "Content-Range",
                                              "content-range", &value)
            == NULL)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* the call is over: its answer is kept, and the client's request woken */

static ngx_int_t
ngx_http_graph_attach_session_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_http_graph_attach_session_t *s = data;

    ngx_table_elt_t  *h;

    /* a call in the background does not wake its parent by itself */

    if (s->calling) {
        s->calling = 0;

        if (ngx_http_post_request(s->request, NULL) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    /*
     * an answer nginx made itself (a 413 of client_max_body_size, a 502
     * when Graph could not be reached) is told apart from Graph's own
     */

    s->status = sr->headers_out.status;
    s->nginx = (sr->upstream == NULL || sr->upstream->state == NULL
                || sr->upstream->state->status == 0
                || (rc >= NGX_HTTP_SPECIAL_RESPONSE
                    && (ngx_uint_t) rc != sr->headers_out.status));

    if (s->status == 0 && rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        s->status = rc;
    }

    if (s->nginx && s->status >= NGX_HTTP_BAD_GATEWAY) {
        /* Graph never answered: retried like Graph's own 5xx */
        s->status = 0;
    }

    h = sr->headers_out.location;

    if (h && h->value.len) {
        s->location.data = ngx_pstrdup(s->request->pool, &h->value);
        s->location.len = s->location.data ? h->value.len : 0;
    }

    s->retry_after = ngx_http_graph_attach_session_retry_after(sr);

    /*
     * an error of the call alone would end the client's request with it;
     * it is the session's to answer instead.  A client that went away
     * still ends it.
     */

    if (rc == NGX_ERROR && !s->request->connection->error) {
        s->status = 0;
        s->nginx = 1;
        return NGX_OK;
    }

    return rc;
}


/* Retry-After in whole seconds (Graph may send "2.128"), 0 if none */

static time_t
ngx_http_graph_attach_session_retry_after(ngx_http_request_t *sr)
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


/* the client's request, woken when a call is over or a retry is due */

static void
ngx_http_graph_attach_session_step(ngx_http_request_t *r)
{
    ngx_int_t                         rc;
    ngx_http_graph_attach_ctx_t      *ctx;
    ngx_http_graph_attach_session_t  *s;

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);
    s = ctx->session;

    if (s == NULL || s->retry.timer_set || s->calling) {
        /* a call or a retry is still on its way */
        return;
    }

    switch (s->call) {

    case NGX_HTTP_GRAPH_ATTACH_SESSION_CREATE:
        rc = ngx_http_graph_attach_session_created(s);
        break;

    case NGX_HTTP_GRAPH_ATTACH_SESSION_PUT:
        rc = ngx_http_graph_attach_session_range_done(s);
        break;

    default:

        /* cancelled, whatever DELETE answered: the error stands */

        if (s->status != NGX_HTTP_NO_CONTENT) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "graph_attach: upload session not cancelled "
                          "(status %ui)", s->status);
        }

        ngx_http_graph_attach_session_finish(s);
        return;
    }

    if (rc == NGX_ERROR) {
        ngx_http_graph_attach_session_fail(s, GA_ERR_OUT_OF_MEMORY);
    }
}


/*
 * The client's connection while the session lasts: nothing more is read
 * from it, but a client that closes it gets no attachment.  The call out
 * is let finish (a range cut off halfway is a lost connection to Graph,
 * which would be retried), and the session is then cancelled instead of
 * going on.
 */

static void
ngx_http_graph_attach_session_check_client(ngx_http_request_t *r)
{
    int                               n;
    char                              buf[1];
    ngx_err_t                         err;
    ngx_event_t                      *rev;
    ngx_connection_t                 *c;
    ngx_http_graph_attach_ctx_t      *ctx;
    ngx_http_graph_attach_session_t  *s;

    c = r->connection;
    rev = c->read;

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);
    s = ctx->session;

    if (s == NULL || s->client_gone) {
        return;
    }

    err = 0;

#if (NGX_HTTP_V2)

    if (r->stream) {

        /*
         * a stream reset, or the connection lost: HTTP/2 marks the
         * stream's connection and calls here.  The mark would end the
         * request with the next call's end, before the DELETE; it is
         * taken back until the session is over, and nothing is written
         * to the stream meanwhile.
         */

        if (!c->error) {
            return;
        }

        c->error = 0;
        goto gone;
    }

#endif

#if (NGX_HAVE_EPOLLRDHUP)

    if ((ngx_event_flags & NGX_USE_EPOLL_EVENT) && ngx_use_epoll_rdhup) {

        if (!rev->pending_eof) {
            return;
        }

        goto gone;
    }

#endif

    n = recv(c->fd, buf, 1, MSG_PEEK);
    err = ngx_socket_errno;

    if (n > 0 || (n == -1 && err == NGX_EAGAIN)) {

        /* a pipelined request waits; level events would repeat */

        if ((ngx_event_flags & NGX_USE_LEVEL_EVENT) && rev->active) {
            (void) ngx_del_event(rev, NGX_READ_EVENT, 0);
        }

        return;
    }

    if (n == 0) {
        err = 0;
    }

gone:

    if ((ngx_event_flags & NGX_USE_LEVEL_EVENT) && rev->active) {
        (void) ngx_del_event(rev, NGX_READ_EVENT, 0);
    }

    rev->eof = 1;
    s->client_gone = 1;

    ngx_log_error(NGX_LOG_INFO, c->log, err,
                  "graph_attach: client closed the connection during the "
                  "upload session, which is cancelled");

    if (s->retry.timer_set) {
        /* a range waits to be sent again: cancelled now */
        ngx_del_timer(&s->retry);
        ngx_http_graph_attach_session_fail(s, GA_ERR_UPLOAD_FAILED);
    }

    /* else the call out ends, and ngx_http_graph_attach_session_put() */
}


static ngx_int_t
ngx_http_graph_attach_session_created(ngx_http_graph_attach_session_t *s)
{
    int               rc;
    size_t            len;
    ngx_uint_t        i;
    ga_upload_url_t   u, *origin;
    u_char            url[GA_UPLOAD_URL_MAX];

    if (s->status != NGX_HTTP_CREATED) {

        /* nothing was created: nothing to cancel */

        s->failed = GA_ERR_UPLOAD_FAILED;
        ngx_http_graph_attach_session_keep_error(s);

        ngx_log_error(NGX_LOG_ERR, s->request->connection->log, 0,
                      "graph_attach: createUploadSession answered %ui",
                      s->status);

        ngx_http_graph_attach_session_finish(s);
        return NGX_OK;
    }

    rc = ga_upload_session_parse(s->answer.data, s->answer.len, url, &len,
                                 &s->offset);

    if (rc != GA_UPLOAD_OK
        || ga_upload_url_parse(url, len, 0, &u) != GA_UPLOAD_OK
        || s->offset >= s->total)
    {
        ngx_log_error(NGX_LOG_ERR, s->request->connection->log, 0,
                      "graph_attach: createUploadSession answer not "
                      "understood (%d)", rc);
        s->failed = GA_ERR_BAD_UPLOAD_SESSION;
        ngx_http_graph_attach_session_finish(s);
        return NGX_OK;
    }

    origin = s->conf->upload_hosts->elts;

    for (i = 0; i < s->conf->upload_hosts->nelts; i++) {
        if (ga_upload_same_origin(&u, &origin[i])) {
            break;
        }
    }

    if (i == s->conf->upload_hosts->nelts) {

        /* the host is named, never the URL: it carries a credential */

        ngx_log_error(NGX_LOG_ERR, s->request->connection->log, 0,
                      "graph_attach: upload host \"%*s\" is not in "
                      "graph_attach_upload_hosts", u.host_len, u.host);

        s->failed = GA_ERR_UPLOAD_HOST;
        ngx_http_graph_attach_session_finish(s);
        return NGX_OK;
    }

    s->upload_url.data = ngx_pnalloc(s->request->pool, len);
    if (s->upload_url.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(s->upload_url.data, url, len);
    s->upload_url.len = len;

    s->tries = 0;

    return ngx_http_graph_attach_session_put(s);
}


static ngx_int_t
ngx_http_graph_attach_session_range_done(ngx_http_graph_attach_session_t *s)
{
    int64_t         next;
    const u_char   *id;
    size_t          id_len;

    if (s->status == NGX_HTTP_CREATED) {
        if (s->end + 1 != s->total) {
            ngx_log_error(NGX_LOG_ERR, s->request->connection->log, 0,
                          "graph_attach: the last range's answer is not "
                          "understood");
            s->failed = GA_ERR_BAD_UPLOAD_SESSION;
            return ngx_http_graph_attach_session_delete(s);
        }

        /*
         * the last range's 201: the file is attached, whatever its
         * Location says.  Without an id the client is told the outcome
         * is unknown, never a failure it would answer by sending the
         * file again; a complete session has nothing to cancel.
         */

        if (ga_upload_attachment_id(s->location.data, s->location.len,
                                    &id, &id_len)
            != GA_UPLOAD_OK)
        {
            ngx_log_error(NGX_LOG_ERR, s->request->connection->log, 0,
                          "graph_attach: the last range's 201 has no "
                          "attachment id: the file is attached");
            s->failed = GA_ERR_UPLOAD_OUTCOME_UNKNOWN;
            ngx_http_graph_attach_session_finish(s);
            return NGX_OK;
        }

        s->attachment_id.data = (u_char *) id;
        s->attachment_id.len = id_len;

        ngx_http_graph_attach_session_finish(s);
        return NGX_OK;
    }

    if (s->status == NGX_HTTP_OK) {
        if (ga_upload_next_range(s->answer.data, s->answer.len, s->total,
                                 &next)
            != GA_UPLOAD_OK
            || next != s->end + 1)
        {
            ngx_log_error(NGX_LOG_ERR, s->request->connection->log, 0,
                          "graph_attach: Graph asked for another range "
                          "than the next one");
            s->failed = GA_ERR_BAD_UPLOAD_SESSION;
            return ngx_http_graph_attach_session_delete(s);
        }

        s->offset = next;
        s->tries = 0;

        return ngx_http_graph_attach_session_put(s);
    }

    /*
     * the last range sent again after its answer was lost, and the
     * session is gone: Graph may well have attached the file.  Not a
     * failure to retry blindly: nothing is cancelled, the client told.
     */

    if (s->tries && s->end + 1 == s->total
        && s->status == NGX_HTTP_NOT_FOUND)
    {
        ngx_log_error(NGX_LOG_ERR, s->request->connection->log, 0,
                      "graph_attach: the last range's answer was lost and "
                      "the session is gone: the file may be attached");

        s->failed = GA_ERR_UPLOAD_OUTCOME_UNKNOWN;
        ngx_http_graph_attach_session_finish(s);
        return NGX_OK;
    }

    if (ngx_http_graph_attach_session_retry(s)) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_ERR, s->request->connection->log, 0,
                  "graph_attach: range %L-%L answered %ui, cancelling the "
                  "upload session", s->offset, s->end, s->status);

    s->failed = GA_ERR_UPLOAD_FAILED;
    ngx_http_graph_attach_session_keep_error(s);

    return ngx_http_graph_attach_session_delete(s);
}


/*
 * Graph's own 4xx to the last call, kept to be relayed to the client: a
 * copy, as the DELETE's answer takes the buffer's place
 */

static void
ngx_http_graph_attach_session_keep_error(ngx_http_graph_attach_session_t *s)
{
    if (s->nginx || s->status < NGX_HTTP_BAD_REQUEST || s->status >= 500
        || s->answer.len == 0)
    {
        return;
    }

    s->failed_answer.data = ngx_pstrdup(s->request->pool, &s->answer);

    if (s->failed_answer.data) {
        s->failed_answer.len = s->answer.len;
        s->failed_status = s->status;
        s->relay = 1;
    }
}


/* 429, 5xx or no answer: the range again, after Retry-After or a backoff */

static ngx_uint_t
ngx_http_graph_attach_session_retry(ngx_http_graph_attach_session_t *s)
{
    ngx_msec_t  delay;

    if (s->client_gone
        || !(s->status == 0 || s->status == NGX_HTTP_TOO_MANY_REQUESTS
          || s->status >= NGX_HTTP_INTERNAL_SERVER_ERROR)
        || ++s->tries >= NGX_HTTP_GRAPH_ATTACH_SESSION_TRIES)
    {
        return 0;
    }

    if (s->retry_after) {
        delay = (ngx_msec_t) ngx_min(s->retry_after, 60) * 1000;

    } else {
        delay = 250 << s->tries;
        delay += ngx_random() % (delay / 2 + 1);
    }

    ngx_log_error(NGX_LOG_WARN, s->request->connection->log, 0,
                  "graph_attach: range %L-%L answered %ui, again in %M ms",
                  s->offset, s->end, s->status, delay);

    ngx_add_timer(&s->retry, delay);

    return 1;
}


static void
ngx_http_graph_attach_session_retry_handler(ngx_event_t *ev)
{
    ngx_connection_t                 *c;
    ngx_http_request_t               *r;
    ngx_http_graph_attach_session_t  *s;

    s = ev->data;
    r = s->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    if (ngx_http_graph_attach_session_put(s) != NGX_OK) {
        ngx_http_graph_attach_session_fail(s, GA_ERR_OUT_OF_MEMORY);
    }

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_graph_attach_session_fail(ngx_http_graph_attach_session_t *s,
    ga_err_e err)
{
    /* the module's own failure: no Graph answer is relayed */

    s->failed = err;
    s->relay = 0;

    if (s->upload_url.len && s->call == NGX_HTTP_GRAPH_ATTACH_SESSION_PUT
        && ngx_http_graph_attach_session_delete(s) == NGX_OK)
    {
        return;
    }

    ngx_http_graph_attach_session_finish(s);
}


/* the client's answer: the attachment, Graph's error, or the module's */

static void
ngx_http_graph_attach_session_finish(ngx_http_graph_attach_session_t *s)
{
    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = s->request;
    s->ctx->session = NULL;

    if (s->client_gone) {

        /* nobody to answer; the access log says 499 */

        if (s->failed == GA_ERR_NONE) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "graph_attach: the client left after the last "
                          "range: the file is attached");
        }

        r->connection->error = 1;
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    if (s->failed == GA_ERR_NONE) {
        rc = ngx_http_graph_attach_session_answer(s);

    } else if (s->relay) {
        rc = ngx_http_graph_attach_session_relay(s);

    } else {
        ngx_http_graph_attach_set_error(s->ctx, s->failed);
        rc = ngx_http_graph_attach_send_error(r, s->ctx);
    }

    ngx_http_finalize_request(r, rc);
}


static ngx_int_t
ngx_http_graph_attach_session_answer(ngx_http_graph_attach_session_t *s)
{
    u_char                              *p;
    size_t                               len;
    ngx_str_t                            location;
    ngx_buf_t                           *b;
    ngx_http_request_t                  *r;
    ngx_http_graph_attach_attachment_t  *a;

    r = s->request;
    a = s->ctx->attachment;

    len = sizeof("{\"@odata.type\":\"#microsoft.graph.fileAttachment\","
                 "\"id\":\"\",\"name\":\"\",\"contentType\":\"\","
                 "\"size\":,\"isInline\":false}\n") - 1
          + ga_json_escape_len(s->attachment_id.data, s->attachment_id.len)
          + ga_json_escape_len(a->name.data, a->name.len)
          + ga_json_escape_len(a->content_type.data, a->content_type.len)
          + NGX_OFF_T_LEN;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(b->last, "{\"@odata.type\":\"#microsoft.graph."
                   "fileAttachment\",\"id\":\"",
                   sizeof("{\"@odata.type\":\"#microsoft.graph."
                          "fileAttachment\",\"id\":\"") - 1);
    p = ga_json_escape(p, s->attachment_id.data, s->attachment_id.len);
    p = ngx_cpymem(p, "\",\"name\":\"", sizeof("\",\"name\":\"") - 1);
    p = ga_json_escape(p, a->name.data, a->name.len);
    p = ngx_cpymem(p, "\",\"contentType\":\"",
                   sizeof("\",\"contentType\":\"") - 1);
    p = ga_json_escape(p, a->content_type.data, a->content_type.len);
    p = ngx_sprintf(p, "\",\"size\":%O,\"isInline\":%s}\n", a->size,
                    a->is_inline ? "true" : "false");
    b->last = p;
    b->last_buf = 1;
    b->last_in_chain = 1;

    /* where Graph keeps it, under Graph's own path: never the uploadUrl */

    location.len = s->ctx->uri.len + 1 + s->attachment_id.len;
    location.data = ngx_pnalloc(r->pool, location.len);
    if (location.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(location.data, s->ctx->uri.data, s->ctx->uri.len);
    *p++ = '/';
    ngx_memcpy(p, s->attachment_id.data, s->attachment_id.len);

    if (ngx_http_graph_attach_push_header(&r->headers_out.headers,
                                          "Location", NULL, &location)
        == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    s->ctx->finalized = 1;
    s->ctx->filtering = 0;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "graph_attach: upload session complete, %O bytes",
                  a->size);

    return ngx_http_graph_attach_session_send(r, NGX_HTTP_CREATED, b);
}


/* Graph's own error to a call, as Graph sent it, with its status */

static ngx_int_t
ngx_http_graph_attach_session_relay(ngx_http_graph_attach_session_t *s)
{
    ngx_buf_t           *b;
    ngx_http_request_t  *r;

    r = s->request;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = s->failed_answer.data;
    b->last = s->failed_answer.data + s->failed_answer.len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    s->ctx->finalized = 1;
    s->ctx->filtering = 0;
    /* $graph_attach_result says what the module made of it */
    s->ctx->error = *ga_error(GA_ERR_UPLOAD_FAILED);
    s->ctx->error.status = s->failed_status;

    return ngx_http_graph_attach_session_send(r, s->failed_status, b);
}


/* a JSON answer of the module's to the client */

static ngx_int_t
ngx_http_graph_attach_session_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_buf_t *b)
{
    ngx_int_t    rc;
    ngx_chain_t  out;

    r->headers_out.status = status;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = sizeof("application/json") - 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static void
ngx_http_graph_attach_session_cleanup(void *data)
{
    ngx_http_graph_attach_session_t  *s = data;

    if (s->retry.timer_set) {
        ngx_del_timer(&s->retry);
    }

    if (s->log_handler
        && s->request->connection->log->handler
           == ngx_http_graph_attach_session_log)
    {
        s->request->connection->log->handler = s->log_handler;
    }
}


/*
 * The core's handler adds the context ("client: ..., upstream: ...");
 * every "authtoken=" value in it is then masked.  Not at debug level,
 * where nginx writes no context but the proxy module logs the whole
 * request line (docs/security.md).
 */

static u_char *
ngx_http_graph_attach_session_log(ngx_log_t *log, u_char *buf, size_t len)
{
    u_char  *p, *last;

    last = ngx_http_graph_attach_log_handler
           ? ngx_http_graph_attach_log_handler(log, buf, len) : buf;

    for (p = buf; p + sizeof("authtoken=") - 1 <= last; p++) {
        if (ngx_strncasecmp(p, (u_char *) "authtoken=",
                            sizeof("authtoken=") - 1)
            != 0)
        {
            continue;
        }

        for (p += sizeof("authtoken=") - 1;
             p < last && *p != '&' && *p != '"' && *p != ' ' && *p != ',';
             p++)
        {
            *p = '*';
        }
    }

    return last;
}


char *
ngx_http_graph_attach_upload_hosts(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_graph_attach_loc_conf_t *alcf = conf;

    ngx_str_t        *value;
    ngx_uint_t        i;
    ga_upload_url_t  *u;

    if (alcf->upload_hosts != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    alcf->upload_hosts = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                          sizeof(ga_upload_url_t));
    if (alcf->upload_hosts == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        u = ngx_array_push(alcf->upload_hosts);
        if (u == NULL) {
            return NGX_CONF_ERROR;
        }

        if (ga_upload_url_parse(value[i].data, value[i].len, 1, u)
            != GA_UPLOAD_OK)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid upload host \"%V\": an origin, "
                               "scheme://host[:port], is expected",
                               &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_graph_attach_upload_hosts_merge(ngx_conf_t *cf,
    ngx_http_graph_attach_loc_conf_t *prev,
    ngx_http_graph_attach_loc_conf_t *conf)
{
    ngx_str_t        *h;
    ga_upload_url_t  *u;

    ngx_conf_merge_ptr_value(conf->upload_hosts, prev->upload_hosts, NULL);

    if (conf->upload_hosts) {
        return NGX_OK;
    }

    /* the origins Exchange Online hands uploadUrls out on */

    conf->upload_hosts = ngx_array_create(cf->pool, 2,
                                          sizeof(ga_upload_url_t));
    if (conf->upload_hosts == NULL) {
        return NGX_ERROR;
    }

    for (h = ngx_http_graph_attach_default_hosts; h->len; h++) {
        u = ngx_array_push(conf->upload_hosts);
        if (u == NULL
            || ga_upload_url_parse(h->data, h->len, 1, u) != GA_UPLOAD_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}
