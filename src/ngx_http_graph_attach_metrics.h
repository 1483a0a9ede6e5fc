
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _NGX_HTTP_GRAPH_ATTACH_METRICS_H_INCLUDED_
#define _NGX_HTTP_GRAPH_ATTACH_METRICS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ga_metrics.h"


/*
 * Prometheus metrics: counters in shared memory, added to with atomic
 * adds only, and the location that shows them (graph_attach_metrics).
 * Each function below does nothing when no location shows them.
 */

/* graph_attach_metrics, in a location */
char *ngx_http_graph_attach_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* graph_attach_metrics_buckets, in http */
char *ngx_http_graph_attach_metrics_buckets(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

/* before graph_attach is merged: a metrics location is no graph_attach one */
ngx_int_t ngx_http_graph_attach_metrics_merge(ngx_conf_t *cf,
    ngx_http_graph_attach_loc_conf_t *conf);

/* postconfiguration: the zones and the log phase handler that counts */
ngx_int_t ngx_http_graph_attach_metrics_init(ngx_conf_t *cf,
    ngx_http_graph_attach_main_conf_t *amcf);

/* the token lookup of the client's request r: how it went */
void ngx_http_graph_attach_metrics_token(ngx_http_request_t *r,
    ga_metrics_token_e result);

/* an upload session of r was created, or ended as result */
void ngx_http_graph_attach_metrics_session(ngx_http_request_t *r,
    ga_metrics_session_e result);

/*
 * The answers Graph gave to r's upstream tries, each after a request body
 * of body_len bytes: r is the client's request handed to proxy_pass, or a
 * call of the module's own
 */
void ngx_http_graph_attach_metrics_graph(ngx_http_request_t *r,
    off_t body_len);

/* this worker's connection to server is up (READY) or not */
void ngx_http_graph_attach_metrics_redis(ngx_cycle_t *cycle,
    struct ngx_http_graph_attach_redis_server_s *server, ngx_uint_t up);


#endif /* _NGX_HTTP_GRAPH_ATTACH_METRICS_H_INCLUDED_ */
