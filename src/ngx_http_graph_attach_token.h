/*
 * Copyright (C) graph-attach authors
 */


#ifndef _NGX_HTTP_GRAPH_ATTACH_TOKEN_H_INCLUDED_
#define _NGX_HTTP_GRAPH_ATTACH_TOKEN_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"


/* the longest Redis key; the token's format and limits are in ga_token.h */
#define NGX_HTTP_GRAPH_ATTACH_TOKEN_MAX_KEY   1024


typedef struct ngx_http_graph_attach_token_waiter_s
    ngx_http_graph_attach_token_waiter_t;

typedef void (*ngx_http_graph_attach_token_handler_pt)(
    ngx_http_graph_attach_token_waiter_t *w);

struct ngx_http_graph_attach_token_waiter_s {
    ngx_http_graph_attach_token_handler_pt   handler;     /* set by caller */
    void                                    *data;        /* set by caller */

    /*
     * NGX_OK, NGX_DECLINED (no usable token: key missing, empty, expired,
     * malformed, too large) or NGX_ERROR (Redis unreachable, timeout,
     * error reply, out of memory)
     */
    ngx_int_t                                rc;
    ngx_str_t                                token;       /* in r->pool */
    time_t                                   retry_after; /* 1..5 s */

    /* private */
    ngx_http_request_t                      *request;
    void                                    *lookup;
    ngx_queue_t                              queue;
};


/*
 * NGX_OK: cache hit, w->token is set.  NGX_AGAIN: w->handler(w) runs once
 * later from a Redis event, unless r->pool is destroyed first.
 * NGX_DECLINED, NGX_ERROR: w->rc is set, the handler is not called.
 */
ngx_int_t ngx_http_graph_attach_token_get(ngx_http_request_t *r,
    ngx_str_t *key, ngx_http_graph_attach_token_waiter_t *w);

/* from postconfiguration: the header filter that sees Graph's 401 */
ngx_int_t ngx_http_graph_attach_token_filter_init(ngx_conf_t *cf);

/* from postconfiguration: the "graph_attach_tokens" shared memory zone */
ngx_int_t ngx_http_graph_attach_token_init_zone(ngx_conf_t *cf,
    ngx_http_graph_attach_main_conf_t *amcf);


#endif /* _NGX_HTTP_GRAPH_ATTACH_TOKEN_H_INCLUDED_ */
