
/*
 * Copyright (C) graph-attach authors
 *
 * Request ids: the client-request-id a client request sends Graph, and
 * Graph's request-id the client gets back (docs/operations.md, "Request
 * ids").
 *
 *   client-request-id  the client's own when it sent exactly one and it
 *                      is a GUID (ga_request_id_valid()), as it sent it;
 *                      else a fresh version 4 UUID.  Chosen when the
 *                      module first sees the request, so that a refusal
 *                      carries it too, and sent with every call the
 *                      request makes: Graph's logs then tie the calls of
 *                      one client operation together, and each call is
 *                      told apart by its own request-id.
 *   request-id         Graph's, of the call that decided the answer: the
 *                      simple POST's; of a form or a session, the last
 *                      call before the answer that is not a DELETE (the
 *                      last file's, or the one that failed: the undo and
 *                      the cancel come after the decision).  A value that
 *                      is not one GUID is dropped, never copied.
 *
 * Both are response headers of every answer of a graph_attach location
 * (the header filter here replaces whatever the upstream sent under
 * these names), and $graph_attach_request_id,
 * $graph_attach_graph_request_id for the access log.  They outlive an
 * internal redirect (error_page, a named location), which clears every
 * module's ctx: the answer of the location the request ends in, and its
 * log line, still carry the ids Graph saw (_ids()).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ga_random.h"

#include "ngx_http_graph_attach.h"
#include "ga_request_id.h"


static ngx_int_t ngx_http_graph_attach_ids_keep(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx);
static void ngx_http_graph_attach_ids_cleanup(void *data);
static ngx_table_elt_t *ngx_http_graph_attach_header_once(ngx_list_t *list,
    ngx_str_t *name);
static void ngx_http_graph_attach_hide_headers(ngx_list_t *list,
    ngx_str_t *name);
static ngx_int_t ngx_http_graph_attach_request_id_header_filter(
    ngx_http_request_t *r);


static ngx_str_t  ngx_http_graph_attach_crid_header =
    ngx_string("client-request-id");
static ngx_str_t  ngx_http_graph_attach_rid_header = ngx_string("request-id");


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


/*
 * The request's client-request-id, in ctx->request_id: the client's, or
 * a fresh one.  Once a request: later calls keep it.  The random bytes
 * come from the process's pool (ga_random.c): OpenSSL's DRBG, seeded once
 * a process, no system call a request, drawn 4 KB at a time.
 */

ngx_int_t
ngx_http_graph_attach_request_id(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx)
{
    u_char                       *p;
    ngx_table_elt_t              *h;
    ngx_http_graph_attach_ctx_t  *prev;
    u_char                        rnd[16];

    if (ctx->request_id.len) {
        return NGX_OK;
    }

    prev = ngx_http_graph_attach_ids(r);

    if (prev && prev != ctx && prev->request_id.len) {

        /* after an internal redirect: the ids chosen before it */

        ctx->request_id = prev->request_id;
        ctx->graph_request_id = prev->graph_request_id;

        return ngx_http_graph_attach_ids_keep(r, ctx);
    }

    p = ngx_pnalloc(r->pool, GA_REQUEST_ID_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h = ngx_http_graph_attach_header_once(&r->headers_in.headers,
                                          &ngx_http_graph_attach_crid_header);

    if (h && ga_request_id_valid(h->value.data, h->value.len)) {
        ngx_memcpy(p, h->value.data, GA_REQUEST_ID_LEN);

    } else {
        if (ga_random_bytes(rnd, sizeof(rnd)) != 0) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "graph_attach: RAND_bytes() failed");
            return NGX_ERROR;
        }

        (void) ga_request_id_format(p, rnd);

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "graph_attach: a fresh client-request-id%s",
                       h ? ", the client's is no GUID" : "");
    }

    ctx->request_id.data = p;
    ctx->request_id.len = GA_REQUEST_ID_LEN;

    return ngx_http_graph_attach_ids_keep(r, ctx);
}


/*
 * The ctx that holds the request's ids: the module's own, or, once an
 * internal redirect has cleared it, the last one that had them, found
 * through the pool cleanup that names it (as the realip module finds
 * its ctx again); NULL if the request never had ids.  r->pool is the
 * request's, the same for its subrequests, gone with it.
 */

ngx_http_graph_attach_ctx_t *
ngx_http_graph_attach_ids(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t           *cln;
    ngx_http_graph_attach_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    if (ctx && ctx->request_id.len) {
        return ctx;
    }

    /* the newest first: ngx_pool_cleanup_add() puts it at the head */

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_graph_attach_ids_cleanup) {
            return cln->data;
        }
    }

    return NULL;
}


static ngx_int_t
ngx_http_graph_attach_ids_keep(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_graph_attach_ids_cleanup;
    cln->data = ctx;

    return NGX_OK;
}


static void
ngx_http_graph_attach_ids_cleanup(void *data)
{
    /* nothing to free: the cleanup only marks the ctx that has the ids */
}


/*
 * Graph's request-id among the response headers of one of its answers,
 * into ctx->graph_request_id: empty when there is none, several, or one
 * that is not a GUID (an upstream that sends junk is not relayed)
 */

ngx_int_t
ngx_http_graph_attach_graph_request_id(ngx_http_request_t *r,
    ngx_list_t *headers, ngx_http_graph_attach_ctx_t *ctx)
{
    ngx_table_elt_t  *h;

    ctx->graph_request_id.len = 0;

    h = ngx_http_graph_attach_header_once(headers,
                                          &ngx_http_graph_attach_rid_header);

    if (h == NULL || !ga_request_id_valid(h->value.data, h->value.len)) {
        return NGX_OK;
    }

    if (ctx->graph_request_id.data == NULL) {
        ctx->graph_request_id.data = ngx_pnalloc(r->pool, GA_REQUEST_ID_LEN);
        if (ctx->graph_request_id.data == NULL) {
            return NGX_ERROR;
        }
    }

    ngx_memcpy(ctx->graph_request_id.data, h->value.data, GA_REQUEST_ID_LEN);
    ctx->graph_request_id.len = GA_REQUEST_ID_LEN;

    return NGX_OK;
}


/* the one header of that name (any case), NULL if none or several */

static ngx_table_elt_t *
ngx_http_graph_attach_header_once(ngx_list_t *list, ngx_str_t *name)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *found;

    found = NULL;

    part = &list->part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return found;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0
            || h[i].key.len != name->len
            || ngx_strncasecmp(h[i].key.data, name->data, name->len) != 0)
        {
            continue;
        }

        if (found) {
            return NULL;
        }

        found = &h[i];
    }
}


static void
ngx_http_graph_attach_hide_headers(ngx_list_t *list, ngx_str_t *name)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &list->part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == name->len
            && ngx_strncasecmp(h[i].key.data, name->data, name->len) == 0)
        {
            h[i].hash = 0;
        }
    }
}


/*
 * Every answer of a graph_attach location, whoever made it (Graph through
 * proxy_pass, the module, nginx itself before the module ran), and every
 * answer of a request that left such a location by an internal redirect
 * (error_page to a static answer or another backend), tells the client
 * the client-request-id used and, when Graph answered, Graph's
 * request-id; the upstream's own headers of these names never pass as
 * they came.
 */

static ngx_int_t
ngx_http_graph_attach_request_id_header_filter(ngx_http_request_t *r)
{
    ngx_http_graph_attach_ctx_t       *ctx;
    ngx_http_graph_attach_loc_conf_t  *alcf;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);

    if (!alcf->enable) {

        /* no request-id of whatever answers here: it is not Graph */

        ctx = ngx_http_graph_attach_ids(r);

        if (ctx == NULL) {
            return ngx_http_next_header_filter(r);
        }

    } else {
        ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

        if (ctx == NULL) {
            /* refused before the module ran: deny, limit_req, a 413 */

            ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_graph_attach_ctx_t));
            if (ctx == NULL) {
                return NGX_ERROR;
            }

            ngx_http_set_ctx(r, ctx, ngx_http_graph_attach_module);
        }

        if (ngx_http_graph_attach_request_id(r, ctx) != NGX_OK) {
            return NGX_ERROR;
        }

        if (r->upstream
            && ngx_http_graph_attach_graph_request_id(r,
                                                      &r->headers_out.headers,
                                                      ctx)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    ngx_http_graph_attach_hide_headers(&r->headers_out.headers,
                                       &ngx_http_graph_attach_rid_header);
    ngx_http_graph_attach_hide_headers(&r->headers_out.headers,
                                       &ngx_http_graph_attach_crid_header);

    if (ctx->graph_request_id.len
        && ngx_http_graph_attach_push_header(&r->headers_out.headers,
                                             "request-id", NULL,
                                             &ctx->graph_request_id)
           == NULL)
    {
        return NGX_ERROR;
    }

    if (ngx_http_graph_attach_push_header(&r->headers_out.headers,
                                          "client-request-id", NULL,
                                          &ctx->request_id)
        == NULL)
    {
        return NGX_ERROR;
    }

    return ngx_http_next_header_filter(r);
}


ngx_int_t
ngx_http_graph_attach_request_id_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter =
        ngx_http_graph_attach_request_id_header_filter;

    return NGX_OK;
}
