
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _NGX_HTTP_GRAPH_ATTACH_PLAN_H_INCLUDED_
#define _NGX_HTTP_GRAPH_ATTACH_PLAN_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_call.h"
#include "ngx_http_graph_attach_writer.h"


typedef struct ngx_http_graph_attach_plan_s     ngx_http_graph_attach_plan_t;
typedef struct ngx_http_graph_attach_session_s  ngx_http_graph_attach_session_t;


/*
 * How one attachment went: attached with its id, or the error the client
 * hears about, Graph's own (a 4xx, relayed) or the module's
 */

typedef struct {
    ga_err_e                               failed;    /* NONE: attached */
    ngx_uint_t                             relay_status;  /* 0: the module's */
    ngx_str_t                              relay_answer;
    ngx_str_t                              id;
    ngx_str_t                              object;    /* for the answer */
    unsigned                               not_deleted:1;  /* undo failed */
} ngx_http_graph_attach_result_t;


typedef enum {
    NGX_HTTP_GRAPH_ATTACH_PLAN_ATTACH = 0,     /* a simple POST is out */
    NGX_HTTP_GRAPH_ATTACH_PLAN_SESSION,        /* a session runs */
    NGX_HTTP_GRAPH_ATTACH_PLAN_UNDO            /* a DELETE is out */
} ngx_http_graph_attach_plan_state_e;


/*
 * The calls one request makes, one at a time: each file in form order
 * (a simple POST, or an upload session past the threshold), and on a
 * failure the DELETE of every attachment already made
 */

struct ngx_http_graph_attach_plan_s {
    ngx_http_request_t                    *request;
    ngx_http_graph_attach_ctx_t           *ctx;
    ngx_http_graph_attach_loc_conf_t      *conf;

    ngx_http_graph_attach_call_t           call;      /* the one out */
    ngx_event_t                            retry;     /* ... again, later */
    ngx_uint_t                             tries;     /* of this call */

    ngx_http_graph_attach_attachment_t   **attachments;
    ngx_http_graph_attach_result_t        *results;
    ngx_uint_t                             n;
    ngx_uint_t                             index;     /* the file at work */
    ngx_uint_t                             undo;      /* files to undo */

    ngx_http_graph_attach_plan_state_e     state;
    ngx_http_graph_attach_session_t       *session;

    ngx_pool_t                            *call_pool; /* a file's JSON */

    ngx_uint_t                             failed;    /* 1-based file */
    ngx_uint_t                             not_deleted;   /* undo failed */

    unsigned                               raw:1;     /* the body's files */
    unsigned                               client_gone:1;
};


/* ngx_http_graph_attach_plan.c */
ngx_int_t ngx_http_graph_attach_plan_start(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx);
void ngx_http_graph_attach_plan_retry(ngx_http_graph_attach_plan_t *p,
    ngx_msec_t delay);
void ngx_http_graph_attach_plan_session_done(ngx_http_graph_attach_plan_t *p,
    ngx_http_graph_attach_result_t *result);
ngx_chain_t *ngx_http_graph_attach_plan_slice(ngx_http_graph_attach_plan_t *p,
    off_t from, off_t to);

/* ngx_http_graph_attach_session.c */
ngx_int_t ngx_http_graph_attach_session_begin(ngx_http_graph_attach_plan_t *p,
    ngx_http_graph_attach_attachment_t *a);
void ngx_http_graph_attach_session_step(ngx_http_graph_attach_session_t *s);
void ngx_http_graph_attach_session_cancel(ngx_http_graph_attach_session_t *s);
ngx_int_t ngx_http_graph_attach_session_object(ngx_http_request_t *r,
    ngx_http_graph_attach_attachment_t *a, ngx_str_t *id, ngx_str_t *object);


#endif /* _NGX_HTTP_GRAPH_ATTACH_PLAN_H_INCLUDED_ */
