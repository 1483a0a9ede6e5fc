
/*
 * Copyright (C) graph-attach authors
 *
 * The request, in the precontent phase: what can be refused before the
 * body is read (method, path, mailbox, Content-Type), then the token
 * lookup and the body read started side by side, and, once both are
 * done, the refusal or the rewritten request handed on to proxy_pass in
 * the content phase.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_token.h"
#include "ngx_http_graph_attach_writer.h"
#include "ga_header_params.h"
#include "ga_multipart.h"
#include "ga_path.h"


static ngx_int_t ngx_http_graph_attach_check(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx, ngx_http_graph_attach_loc_conf_t *alcf,
    u_char *boundary, size_t *boundary_len);
static ngx_int_t ngx_http_graph_attach_parse_path(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx, ngx_http_graph_attach_loc_conf_t *alcf);
static ngx_int_t ngx_http_graph_attach_unresolved(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx, ngx_str_t *me);
static ngx_uint_t ngx_http_graph_attach_encoded(ngx_http_request_t *r);
static ngx_int_t ngx_http_graph_attach_start_token(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx, ngx_http_graph_attach_loc_conf_t *alcf);
static void ngx_http_graph_attach_token_handler(
    ngx_http_graph_attach_token_waiter_t *w);
static void ngx_http_graph_attach_body_handler(ngx_http_request_t *r);
static void ngx_http_graph_attach_continue(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx);
static ngx_int_t ngx_http_graph_attach_simple_from_raw(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx);
static ngx_int_t ngx_http_graph_attach_reject(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx, ga_err_e err);


ngx_int_t
ngx_http_graph_attach_handler(ngx_http_request_t *r)
{
    size_t                             boundary_len;
    ngx_int_t                          rc;
    ngx_http_graph_attach_ctx_t       *ctx;
    ngx_http_graph_attach_loc_conf_t  *alcf;
    u_char                             boundary[GA_MP_MAX_BOUNDARY];

    if (r != r->main) {
        ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

        /*
         * an upload session's own call, made and checked by _session.c,
         * in the graph_attach location or graph_attach_upload's: its
         * length is told now, past the core's client_max_body_size check,
         * which is for clients' bodies, not the module's ranges
         */

        if (ctx && ctx->session_call) {
            r->headers_in.content_length_n = ctx->call_length;
            return NGX_DECLINED;
        }
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);

    if (!alcf->enable) {
        return NGX_DECLINED;
    }

    if (r != r->main) {
        /*
         * any other subrequest (mirror, SSI) has no upload of its own:
         * declining would proxy it to Graph unchecked
         */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "graph_attach: subrequests are not supported");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    if (ctx) {
        return ctx->phase_rc;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "graph_attach: handler");

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_graph_attach_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->phase_rc = NGX_DONE;

    ngx_http_set_ctx(r, ctx, ngx_http_graph_attach_module);

    /* before any refusal: every answer tells the client its id */

    if (ngx_http_graph_attach_request_id(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->request_body || r->discard_body
#if (NGX_HTTP_V2)
        || (r->stream && r->stream->skip_data)
#endif
       )
    {
        /*
         * an internal redirect after the body was read or discarded (an
         * error_page into this location): the body is not the client's
         * upload any more, and must not reach Graph as if checked
         */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "graph_attach: request body was read before "
                      "the graph_attach location");
        return ngx_http_graph_attach_reject(r, ctx, GA_ERR_MISCONFIGURED);
    }

    rc = ngx_http_graph_attach_check(r, ctx, alcf, boundary, &boundary_len);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_graph_attach_start_token(r, ctx, alcf);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_graph_attach_request_body_init(r, ctx, boundary,
                                                boundary_len)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_graph_attach_request_body_read(r, ctx,
                                          ngx_http_graph_attach_body_handler);
    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    ngx_http_finalize_request(r, NGX_DONE);
    return NGX_DONE;
}


/* what can be refused before the body is read */

static ngx_int_t
ngx_http_graph_attach_check(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx, ngx_http_graph_attach_loc_conf_t *alcf,
    u_char *boundary, size_t *boundary_len)
{
    ngx_int_t   rc;
    ngx_str_t  *ct;

    if (r->method != NGX_HTTP_POST) {
        return ngx_http_graph_attach_reject(r, ctx, GA_ERR_METHOD_NOT_ALLOWED);
    }

    rc = ngx_http_graph_attach_parse_path(r, ctx, alcf);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_graph_attach_mailbox_allowed(alcf, &ctx->mailbox)
        != NGX_OK)
    {
        return ngx_http_graph_attach_reject(r, ctx, GA_ERR_MAILBOX_NOT_ALLOWED);
    }

    if (r->headers_in.content_type == NULL) {
        return ngx_http_graph_attach_reject(r, ctx, GA_ERR_NOT_MULTIPART);
    }

    ct = &r->headers_in.content_type->value;

    rc = ga_content_type_boundary(ct->data, ct->len, boundary, boundary_len);

    switch (rc) {

    case GA_HP_OK:
        break;

    case GA_HP_ERR_NOT_MULTIPART:
    case GA_HP_ERR_SYNTAX:
        return ngx_http_graph_attach_reject(r, ctx, GA_ERR_NOT_MULTIPART);

    case GA_HP_ERR_NO_BOUNDARY:
        return ngx_http_graph_attach_reject(r, ctx, GA_ERR_NO_BOUNDARY);

    case GA_HP_ERR_DUPLICATE:
        return ngx_http_graph_attach_reject(r, ctx, GA_ERR_TWO_BOUNDARIES);

    default:
        return ngx_http_graph_attach_reject(r, ctx, GA_ERR_BAD_BOUNDARY);
    }

    if (ngx_http_graph_attach_encoded(r)) {
        return ngx_http_graph_attach_reject(r, ctx, GA_ERR_CONTENT_ENCODING);
    }

    if (r->headers_in.content_length_n <= 0 && !r->headers_in.chunked) {
        return ngx_http_graph_attach_reject(r, ctx, GA_ERR_MISSING_BODY);
    }

    /*
     * Content-Length bounds the file: a body larger than the file limit
     * and the allowance for the form around it is refused at once
     */

    if (r->headers_in.content_length_n
        > alcf->max_size + NGX_HTTP_GRAPH_ATTACH_FORM_ALLOWANCE)
    {
        return ngx_http_graph_attach_reject(r, ctx, GA_ERR_UPLOAD_TOO_LARGE);
    }

    return NGX_OK;
}


/* a Content-Encoding other than identity: the multipart is not readable */

static ngx_uint_t
ngx_http_graph_attach_encoded(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
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

        if (h[i].key.len == sizeof("Content-Encoding") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Content-Encoding",
                               h[i].key.len)
               == 0
            && !(h[i].value.len == sizeof("identity") - 1
                 && ngx_strncasecmp(h[i].value.data, (u_char *) "identity",
                                    h[i].value.len)
                    == 0))
        {
            return 1;
        }
    }
}


static ngx_int_t
ngx_http_graph_attach_parse_path(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx, ngx_http_graph_attach_loc_conf_t *alcf)
{
    int                        rc;
    size_t                     raw_len, out_len, prefix_len, out_size;
    u_char                    *raw, *q, *scratch, *out, *prefix, *me_data;
    ngx_str_t                  me;
    ga_path_info_t             info;
    ngx_http_core_loc_conf_t  *clcf;

    /*
     * The path is parsed from the request line, so that segments are
     * judged as the client encoded them (a "%2F" stays inside its
     * segment).  A rewrite or an internal redirect changes r->uri but not
     * the request line: honouring neither would silently send the
     * client's own mailbox where the operator's rewrite pinned another,
     * so such a request is refused as the configuration error it is.
     */

    if (r->internal) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "graph_attach: the request URI was changed by a "
                      "rewrite or an internal redirect before the "
                      "graph_attach location; the Graph path is taken "
                      "from the request line only");

        return ngx_http_graph_attach_reject(r, ctx, GA_ERR_MISCONFIGURED);
    }


    raw = r->unparsed_uri.data;
    raw_len = r->unparsed_uri.len;

    q = ngx_strlchr(raw, raw + raw_len, '?');
    if (q) {
        raw_len = q - raw;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    /* a regex, named or "if" location has no prefix to strip */

    prefix = clcf->name.data;
    prefix_len = clcf->name.len;

    if (clcf->named || clcf->noname) {
        prefix = NULL;
    }

#if (NGX_PCRE)
    if (clcf->regex) {
        prefix = NULL;
    }
#endif

    if (prefix == NULL) {
        prefix_len = 0;
    }

    /*
     * What /me stands for, this request's: a variable such as $remote_user
     * is the request's own, never an earlier one's on the connection
     */

    me_data = NULL;
    ngx_str_null(&me);

    if (alcf->user) {
        if (ngx_http_complex_value(r, alcf->user, &me) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        me_data = me.len ? me.data : (u_char *) "";
    }

    out_size = 3 * (raw_len + me.len) + 16;

    scratch = ngx_pnalloc(r->pool, raw_len + 1);
    out = ngx_pnalloc(r->pool, out_size);
    if (scratch == NULL || out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ga_path_parse(raw, raw_len, prefix, prefix_len, me_data, me.len,
                       scratch, raw_len + 1, out, out_size, &out_len, &info);

    switch (rc) {

    case GA_PATH_OK:
        ctx->uri.data = out;
        ctx->uri.len = out_len;
        ctx->mailbox.data = (u_char *) info.mailbox;
        ctx->mailbox.len = info.mailbox_len;

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "graph_attach: uri: \"%V\"%s", &ctx->uri,
                       info.me ? " (/me)" : "");

        return NGX_OK;

    case GA_PATH_UNRESOLVED:
        return ngx_http_graph_attach_unresolved(r, ctx, &me);

    case GA_PATH_NOT_FOUND:
        return ngx_http_graph_attach_reject(r, ctx, GA_ERR_UNSUPPORTED_PATH);

    case GA_PATH_TOO_LONG:
        return ngx_http_graph_attach_reject(r, ctx, GA_ERR_PATH_TOO_LONG);

    default:
        return ngx_http_graph_attach_reject(r, ctx, GA_ERR_BAD_PATH_SEGMENT);
    }
}


/*
 * /me with a graph_attach_user that names no mailbox.  The operator's to
 * fix (the authentication layer's names are not UPNs) or a user's who has
 * no mailbox, not the client's path: a 403 with a line that shows the
 * value, percent-encoded so that no byte of it is raw in the log, and once
 * a second at most, for a value a client may choose in a careless setup.
 */

static ngx_int_t
ngx_http_graph_attach_unresolved(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx, ngx_str_t *me)
{
    size_t       len;
    u_char      *p;
    ngx_uint_t   cut;

    static time_t  logged;

    if (me->len == 0) {
        if (ngx_http_graph_attach_log_due(&logged)) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "graph_attach: graph_attach_user is empty, "
                          "/me has no mailbox");
        }

        return ngx_http_graph_attach_reject(r, ctx, GA_ERR_USER_EMPTY);
    }

    if (ngx_http_graph_attach_log_due(&logged)) {
        len = ngx_min(me->len, 128);
        cut = (len < me->len);

        p = ngx_pnalloc(r->pool,
                        len + 2 * ngx_escape_uri(NULL, me->data, len,
                                                 NGX_ESCAPE_URI_COMPONENT));
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        len = (u_char *) ngx_escape_uri(p, me->data, len,
                                        NGX_ESCAPE_URI_COMPONENT) - p;

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "graph_attach: graph_attach_user \"%*s\"%s (%uz bytes) "
                      "is not a mailbox (a user principal name or an "
                      "object id), /me has no mailbox",
                      len, p, cut ? "..." : "", me->len);
    }

    return ngx_http_graph_attach_reject(r, ctx, GA_ERR_USER_NOT_MAILBOX);
}


static ngx_int_t
ngx_http_graph_attach_start_token(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx, ngx_http_graph_attach_loc_conf_t *alcf)
{
    ngx_int_t                              rc;
    ngx_http_graph_attach_token_waiter_t  *w;

    if (ngx_http_complex_value(r, alcf->token_key, &ctx->token_key)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    w = ngx_pcalloc(r->pool, sizeof(ngx_http_graph_attach_token_waiter_t));
    if (w == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    w->handler = ngx_http_graph_attach_token_handler;
    w->data = r;

    ctx->waiter = w;

    /* an empty or overlong key is refused there, with a rate-limited log */

    rc = ngx_http_graph_attach_token_get(r, &ctx->token_key, w);

    switch (rc) {

    case NGX_OK:
        ctx->token = w->token;
        ctx->token_done = 1;
        return NGX_OK;

    case NGX_AGAIN:
        return NGX_OK;

    default:
        /* nothing would come of reading the body: answer now */
        return ngx_http_graph_attach_reject(r, ctx, GA_ERR_TOKEN_UNAVAILABLE);
    }
}


static void
ngx_http_graph_attach_token_handler(ngx_http_graph_attach_token_waiter_t *w)
{
    ngx_connection_t             *c;
    ngx_http_request_t           *r;
    ngx_http_graph_attach_ctx_t  *ctx;

    r = w->data;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    if (ctx == NULL || ctx->finalized || r->header_sent) {
        /* answered already, e.g. the body was refused */
        return;
    }

    ctx->token_done = 1;

    if (w->rc == NGX_OK) {
        ctx->token = w->token;

    } else if (ctx->error.status == 0) {
        /* the body filter stops converting once an error is set */
        ngx_http_graph_attach_set_error(ctx, GA_ERR_TOKEN_UNAVAILABLE);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "graph_attach: token done, rc:%i", w->rc);

    if (ctx->body_done) {
        ngx_http_graph_attach_continue(r, ctx);
        ngx_http_run_posted_requests(c);
    }
}


static void
ngx_http_graph_attach_body_handler(ngx_http_request_t *r)
{
    ngx_http_graph_attach_ctx_t  *ctx;

    /* within _request_body_read(), if the body was read at once */
    ngx_http_graph_attach_request_body_lent_back();

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "graph_attach: body done");

    ctx->body_done = 1;
    ctx->filtering = 0;

    if (!ctx->body_ended && ctx->error.status == 0) {
        /* the filter never saw the end: the body was not read here */
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "graph_attach: request body bypassed the filter");
        ngx_http_graph_attach_set_error(ctx, GA_ERR_BODY_NOT_READ);
    }

    if (ctx->token_done || ctx->error.status) {
        ngx_http_graph_attach_continue(r, ctx);
    }
}


/* both the body and the token are known: answer or go on to proxy_pass */

static void
ngx_http_graph_attach_continue(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx)
{
    ngx_int_t                          rc;
    ngx_http_graph_attach_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);

    if (ctx->error.status == 0
        && (ctx->attachments->nelts > 1
            || ctx->attachment->is_item
            || (ctx->writer->raw
                && ctx->attachment->size >= (off_t) alcf->upload_threshold)))
    {
        /*
         * several files, an item, or a file that went to the temp file
         * as it is for a session: the module's own calls, not proxy_pass
         */

        if (ngx_http_graph_attach_plan_start(r, ctx) == NGX_OK) {
            /* handed on, as to proxy_pass: $graph_attach_result */
            ctx->plan_started = 1;
            return;
        }

        ctx->plan = NULL;
        ngx_http_graph_attach_set_error(ctx, GA_ERR_OUT_OF_MEMORY);

    } else if (ctx->error.status == 0 && ctx->writer->raw
               && ngx_http_graph_attach_simple_from_raw(r, ctx) != NGX_OK)
    {
        ngx_http_graph_attach_set_error(ctx, GA_ERR_OUT_OF_MEMORY);
    }

    if (ctx->error.status == 0
        && ngx_http_graph_attach_set_headers(r, ctx) != NGX_OK)
    {
        ngx_http_graph_attach_set_error(ctx, GA_ERR_OUT_OF_MEMORY);
    }

    if (ctx->error.status) {
        rc = ngx_http_graph_attach_send_error(r, ctx);
        ngx_http_finalize_request(r, rc);
        return;
    }

    ctx->phase_rc = NGX_DECLINED;

    r->preserve_body = 1;

    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);
}


/*
 * A file kept raw for a session that turned out under the threshold (a
 * chunked or HTTP/2 body told no length): the simple POST after all, its
 * JSON in place of the body
 */

static ngx_int_t
ngx_http_graph_attach_simple_from_raw(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx)
{
    ngx_chain_t  *cl;

    if (r->request_body == NULL) {
        return NGX_ERROR;
    }

    cl = ngx_http_graph_attach_writer_json_from_raw(ctx->writer,
                                                    ctx->attachment,
                                                    r->request_body->bufs);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    r->request_body->bufs = cl;

    return NGX_OK;
}


/* an answer before the body is read: the body is discarded, like core's */

static ngx_int_t
ngx_http_graph_attach_reject(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx, ga_err_e err)
{
    ngx_int_t  rc;

    ngx_http_graph_attach_set_error(ctx, err);

    /* no "100 Continue" for a body that will not be used */
    r->expect_tested = 1;

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_graph_attach_send_error(r, ctx);

    ngx_http_finalize_request(r, rc);

    return NGX_DONE;
}
