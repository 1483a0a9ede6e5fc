/*
 * Copyright (C) graph-attach authors
 */


#ifndef _NGX_HTTP_GRAPH_ATTACH_REDIS_H_INCLUDED_
#define _NGX_HTTP_GRAPH_ATTACH_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* hiredis stays out of this header: users only pass reply pointers on */
struct redisReply;

/*
 * One "graph_attach_redis" setting: an address (or a Sentinel master)
 * with its options.  Equal settings anywhere in the configuration share
 * one server, and each worker keeps one connection per server.
 */
typedef struct ngx_http_graph_attach_redis_server_s
    ngx_http_graph_attach_redis_server_t;

typedef struct ngx_http_graph_attach_redis_cmd_s
    ngx_http_graph_attach_redis_cmd_t;

/*
 * Called exactly once per accepted command, always from the event loop and
 * never from inside ngx_http_graph_attach_redis_command().  reply is NULL
 * when the command failed without a reply (connection lost, timed out,
 * worker exiting); an error reply is passed as is.  The reply is freed by
 * hiredis when the handler returns.
 */
typedef void (*ngx_http_graph_attach_redis_reply_pt)(
    ngx_http_graph_attach_redis_cmd_t *cmd, struct redisReply *reply);

struct ngx_http_graph_attach_redis_cmd_s {
    ngx_http_graph_attach_redis_reply_pt   handler;    /* set by caller */
    void                                  *data;       /* set by caller */

    /* set by the redis code */
    ngx_queue_t                            queue;
    ngx_msec_t                             deadline;
    unsigned                               aborted:1;  /* worker exits */
    unsigned                               user:1;     /* not internal */

    /*
     * the error reply says something about the connection (LOADING,
     * NOAUTH, ...): it was logged, and the connection is being reopened
     */
    unsigned                               conn_error:1;
};


/* the "graph_attach_redis" directive, conf is the location conf */
char *ngx_http_graph_attach_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* a location with "graph_attach on" uses this server: connect to it */
void ngx_http_graph_attach_redis_use(
    ngx_http_graph_attach_redis_server_t *server);

ngx_int_t ngx_http_graph_attach_redis_init_process(ngx_cycle_t *cycle);
void ngx_http_graph_attach_redis_exit_process(ngx_cycle_t *cycle);

/*
 * Queues a command on the worker's connection to server.  The cmd memory
 * must stay valid until its handler runs.  Returns NGX_ERROR without
 * calling the handler when Redis is not usable right now (not connected,
 * or known to be down while a reconnect is pending): callers fail fast.
 */
ngx_int_t ngx_http_graph_attach_redis_command(
    ngx_http_graph_attach_redis_server_t *server,
    ngx_http_graph_attach_redis_cmd_t *cmd, int argc, const char **argv,
    const size_t *argvlen);

/* seconds a client should wait before retrying, 1..5 */
time_t ngx_http_graph_attach_redis_retry_after(
    ngx_http_graph_attach_redis_server_t *server);

/*
 * The code of an error reply: "LOADING" of "LOADING Redis is loading...",
 * never more of its text (it may quote a value); "unknown" if it has none.
 */
void ngx_http_graph_attach_redis_error_code(struct redisReply *reply,
    ngx_str_t *code);

/*
 * What the data behind server is: address (or Sentinel master name) and
 * database, plus a digest of the password.  Prefixed to cache keys, so
 * that two Redis instances holding the same key never share an entry.
 * It contains no NUL byte.
 */
ngx_str_t *ngx_http_graph_attach_redis_id(
    ngx_http_graph_attach_redis_server_t *server);

/*
 * What the metrics call the server (graph_attach_redis_up{redis}): its
 * address, or its Sentinel master's name, as configured; NULL when no
 * graph_attach location uses it
 */
ngx_str_t *ngx_http_graph_attach_redis_label(
    ngx_http_graph_attach_redis_server_t *server);


#endif /* _NGX_HTTP_GRAPH_ATTACH_REDIS_H_INCLUDED_ */
