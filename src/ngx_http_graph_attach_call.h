
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _NGX_HTTP_GRAPH_ATTACH_CALL_H_INCLUDED_
#define _NGX_HTTP_GRAPH_ATTACH_CALL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ga_json_strip.h"


#define NGX_HTTP_GRAPH_ATTACH_CALL_ANSWER  8192
#define NGX_HTTP_GRAPH_ATTACH_CALL_TRIES   5


/*
 * One call to Graph or to an uploadUrl: a subrequest of the client's
 * request with its own method, headers and body, made through a location
 * of the operator's (the graph_attach location, or graph_attach_upload's)
 * so that proxy_pass brings the upstream, TLS and timeouts.  Its end
 * posts the client's request, whose write event handler reads the answer.
 */

typedef struct ngx_http_graph_attach_call_s  ngx_http_graph_attach_call_t;

struct ngx_http_graph_attach_call_s {
    ngx_http_request_t            *request;       /* the client's */
    ngx_http_graph_attach_ctx_t   *ctx;

    /* what is sent */
    ngx_str_t                     *location;      /* a location's URI */
    ngx_uint_t                     method;
    ngx_str_t                      method_name;
    ngx_str_t                      uri;           /* $graph_attach_uri */
    ngx_str_t                      upload_url;    /* its own variable */
    ngx_str_t                      content_type;  /* none: no body type */
    ngx_str_t                      content_range;
    ngx_chain_t                   *body;          /* NULL: none */
    off_t                          body_len;

    /* Graph's own calls, not an uploadUrl's: the token */
    unsigned                       token:1;

    /* an answer body that holds this member too is kept without it */
    unsigned                       strip_bytes:1;

    /* sent and not answered yet */
    unsigned                       out:1;

    /* the answer */
    ngx_uint_t                     status;        /* 0: none came */
    unsigned                       nginx:1;       /* nginx's, not Graph's */
    ngx_str_t                      answer;        /* bounded */
    unsigned                       answer_cut:1;  /* ... and cut short */
    ngx_str_t                      location_header;
    time_t                         retry_after;

    ga_json_strip_t                strip;         /* for strip_bytes */
};


ngx_int_t ngx_http_graph_attach_call_init(ngx_http_graph_attach_call_t *call,
    ngx_http_request_t *r, ngx_http_graph_attach_ctx_t *ctx);
void ngx_http_graph_attach_call_reset(ngx_http_graph_attach_call_t *call,
    ngx_str_t *location, ngx_uint_t method);
ngx_int_t ngx_http_graph_attach_call_send(ngx_http_graph_attach_call_t *call);

/*
 * How long to wait before the same call again, 0 for never: 429 and
 * 503 always (Graph did nothing), other 5xx and no answer only when the
 * call may be repeated (a range, not a POST that may have attached)
 */
ngx_msec_t ngx_http_graph_attach_call_retry_delay(
    ngx_http_graph_attach_call_t *call, ngx_uint_t tries,
    ngx_uint_t repeatable);

ngx_int_t ngx_http_graph_attach_call_filter_init(ngx_conf_t *cf);


#endif /* _NGX_HTTP_GRAPH_ATTACH_CALL_H_INCLUDED_ */
