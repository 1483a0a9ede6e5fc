
/*
 * Copyright (C) graph-attach authors
 *
 * Errors, Graph-shaped: {"error":{"code":"...","message":"..."}}.
 *
 * The module's own refusals are sent by ngx_http_graph_attach_send_error().
 * The header and body filters here give the same shape to the responses
 * nginx itself makes in a graph_attach location (a 413 from
 * client_max_body_size, a 408 body timeout, a 502 when Graph cannot be
 * reached...), since the clients of this gateway parse JSON, not HTML.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_token.h"
#include "ga_json.h"
#include "ga_utf8.h"


static ngx_int_t ngx_http_graph_attach_error_body(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx, ngx_str_t *json);
static void ngx_http_graph_attach_json_headers(ngx_http_request_t *r,
    size_t len);
static ngx_int_t ngx_http_graph_attach_error_header_filter(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_graph_attach_error_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


void
ngx_http_graph_attach_set_error(ngx_http_graph_attach_ctx_t *ctx,
    ga_err_e err)
{
    /* the first error is the one the client hears about */

    if (ctx->error.status) {
        return;
    }

    ctx->error = *ga_error(err);
}


ngx_int_t
ngx_http_graph_attach_send_error(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx)
{
    ngx_str_t                          json, value;
    ngx_http_graph_attach_loc_conf_t  *alcf;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "graph_attach: %ui %s", ctx->error.status,
                  ctx->error.code);

    if (ngx_http_graph_attach_error_body(r, ctx, &json) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->error.status == NGX_HTTP_NOT_ALLOWED) {
        alcf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);

        /* the metrics are read, attachments written */

        if (alcf->metrics) {
            ngx_str_set(&value, "GET, HEAD");

        } else {
            ngx_str_set(&value, "POST");
        }

        if (ngx_http_graph_attach_push_header(&r->headers_out.headers,
                                              "Allow", NULL, &value)
            == NULL)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (ctx->error.status == NGX_HTTP_SERVICE_UNAVAILABLE) {
        value.data = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
        if (value.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        value.len = ngx_sprintf(value.data, "%T",
                                (ctx->waiter && ctx->waiter->retry_after)
                                ? ctx->waiter->retry_after : 1)
                    - value.data;

        if (ngx_http_graph_attach_push_header(&r->headers_out.headers,
                                              "Retry-After", NULL, &value)
            == NULL)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return ngx_http_graph_attach_send_json(r, ctx, ctx->error.status,
                                           json.data, json.len);
}


/* an answer of the module's own: status, JSON, nothing proxied after it */

ngx_int_t
ngx_http_graph_attach_send_json(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx, ngx_uint_t status, u_char *data,
    size_t len)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    ctx->finalized = 1;
    ctx->filtering = 0;

    r->headers_out.status = status;

    ngx_http_graph_attach_json_headers(r, len);

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = data;
    b->last = data + len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/*
 * {"error":{"code":...,"message":...}}, and in a form of several files
 * "innerError":{"index":n,"name":...} saying which file (the name only
 * when it is UTF-8: a name refused for its bytes is not repeated)
 */

static ngx_int_t
ngx_http_graph_attach_error_body(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx, ngx_str_t *json)
{
    size_t             code_len, message_len;
    u_char            *p;
    ngx_str_t         *name;
    const ga_error_t  *err;

    err = &ctx->error;
    name = &ctx->error_name;

    if (name->len > 1024 || !ga_utf8_valid(name->data, name->len)) {
        name = NULL;
    }

    code_len = ngx_strlen(err->code);
    message_len = ngx_strlen(err->message);

    json->len = sizeof("{\"error\":{\"code\":\"\",\"message\":\"\"}}\n") - 1
                + ga_json_escape_len((u_char *) err->code, code_len)
                + ga_json_escape_len((u_char *) err->message, message_len)
                + sizeof(",\"innerError\":{\"index\":,\"name\":\"\"}") - 1
                + NGX_INT_T_LEN
                + (name ? ga_json_escape_len(name->data, name->len) : 0)
                + ctx->error_inner.len;

    json->data = ngx_pnalloc(r->pool, json->len);
    if (json->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(json->data, "{\"error\":{\"code\":\"",
                   sizeof("{\"error\":{\"code\":\"") - 1);
    p = ga_json_escape(p, (u_char *) err->code, code_len);
    p = ngx_cpymem(p, "\",\"message\":\"", sizeof("\",\"message\":\"") - 1);
    p = ga_json_escape(p, (u_char *) err->message, message_len);
    *p++ = '"';

    if (ctx->error_index) {
        p = ngx_sprintf(p, ",\"innerError\":{\"index\":%ui", ctx->error_index);

        if (name) {
            p = ngx_cpymem(p, ",\"name\":\"", sizeof(",\"name\":\"") - 1);
            p = ga_json_escape(p, name->data, name->len);
            *p++ = '"';
        }

        /* members of the module's own: valid JSON, ",..." */
        p = ngx_cpymem(p, ctx->error_inner.data, ctx->error_inner.len);

        *p++ = '}';
    }

    p = ngx_cpymem(p, "}}\n", sizeof("}}\n") - 1);

    json->len = p - json->data;

    return NGX_OK;
}


static void
ngx_http_graph_attach_json_headers(ngx_http_request_t *r, size_t len)
{
    r->headers_out.content_type_len = sizeof("application/json") - 1;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.charset.len = 0;

    r->headers_out.content_length_n = len;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    ngx_http_clear_accept_ranges(r);
    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);
}


static ngx_int_t
ngx_http_graph_attach_error_header_filter(ngx_http_request_t *r)
{
    ga_error_t                         err;
    ngx_http_graph_attach_ctx_t       *ctx;
    ngx_http_graph_attach_loc_conf_t  *alcf;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);

    if (!alcf->enable && !alcf->metrics) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    /* only a response nginx made itself: the special response handler's */

    if (r->err_status < NGX_HTTP_BAD_REQUEST
        || r->headers_out.status != r->err_status
        || (ctx && ctx->finalized))
    {
        return ngx_http_next_header_filter(r);
    }

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_graph_attach_ctx_t));
        if (ctx == NULL) {
            return NGX_ERROR;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_graph_attach_module);
    }

    ctx->finalized = 1;
    ctx->filtering = 0;

    if (ctx->error.status != r->err_status) {
        err = *ga_error(ga_error_for_status(r->err_status));
        err.status = r->err_status;

        /* what $graph_attach_result reports; no file of the form's */
        ctx->error = err;
        ctx->error_index = 0;
    }

    if (ngx_http_graph_attach_error_body(r, ctx, &ctx->error_json)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->replaced = 1;

    ngx_http_graph_attach_json_headers(r, ctx->error_json.len);

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_graph_attach_error_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_buf_t                    *b;
    ngx_chain_t                  *cl, out;
    ngx_http_graph_attach_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    if (ctx == NULL || !ctx->replaced) {
        return ngx_http_next_body_filter(r, in);
    }

    /* nginx's HTML page is consumed and the JSON sent in its place */

    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    if (ctx->error_json.len == 0) {
        return ngx_http_next_body_filter(r, NULL);
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = ctx->error_json.data;
    b->last = ctx->error_json.data + ctx->error_json.len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    /* sent once */
    ctx->error_json.len = 0;

    out.buf = b;
    out.next = NULL;

    return ngx_http_next_body_filter(r, &out);
}


ngx_int_t
ngx_http_graph_attach_error_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_graph_attach_error_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_graph_attach_error_body_filter;

    return NGX_OK;
}
