/*
 * Copyright (C) graph-attach authors
 */


#ifndef _NGX_HTTP_GRAPH_ATTACH_REDIS_INT_H_INCLUDED_
#define _NGX_HTTP_GRAPH_ATTACH_REDIS_INT_H_INCLUDED_


/*
 * Private to the redis files, which call each other only through it:
 *
 *     _redis_conf.c      the "graph_attach_redis" directive, addresses
 *     _redis.c           per worker: the connection's life and state,
 *                        reconnects and their backoff, the public API
 *     _redis_cmd.c       what goes over it: the handshake and users'
 *                        commands, their queue, deadlines and replies
 *     _redis_event.c     hiredis on nginx's event loop
 *     _redis_sentinel.c  asking Sentinel for the master, ROLE
 *
 * Users of Redis include ngx_http_graph_attach_redis.h only.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_redis.h"


#define NGX_HTTP_GRAPH_ATTACH_REDIS_PORT          6379
#define NGX_HTTP_GRAPH_ATTACH_SENTINEL_PORT       26379
#define NGX_HTTP_GRAPH_ATTACH_REDIS_TIMEOUT       1000

#define NGX_HTTP_GRAPH_ATTACH_REDIS_BACKOFF_MIN   100
#define NGX_HTTP_GRAPH_ATTACH_REDIS_BACKOFF_MAX   5000

/* a connection that lived this long was not flapping: reset the backoff */
#define NGX_HTTP_GRAPH_ATTACH_REDIS_STABLE        5000

#define NGX_HTTP_GRAPH_ATTACH_REDIS_MAX_SENTINELS 16


/* no connection */
#define NGX_HTTP_GRAPH_ATTACH_REDIS_IDLE          0
/* connected or connecting to a Sentinel, asking for the master */
#define NGX_HTTP_GRAPH_ATTACH_REDIS_SENTINEL      1
/* connecting to Redis; AUTH, SELECT, ROLE, PING are queued */
#define NGX_HTTP_GRAPH_ATTACH_REDIS_CONNECTING    2
/* connected, waiting for the replies to the above */
#define NGX_HTTP_GRAPH_ATTACH_REDIS_HANDSHAKE     3
/* the PING was answered */
#define NGX_HTTP_GRAPH_ATTACH_REDIS_READY         4


typedef struct {
    ngx_str_t                              name;     /* canonical, for logs */
    u_char                                *host;     /* "ip\0", or NULL */
    in_port_t                              port;
    u_char                                *path;     /* "/path\0", or NULL */
} ngx_http_graph_attach_redis_addr_t;


typedef struct ngx_http_graph_attach_redis_worker_s
    ngx_http_graph_attach_redis_worker_t;


struct ngx_http_graph_attach_redis_server_s {
    ngx_str_t                              name;     /* logs: no password */
    ngx_str_t                              id;       /* cache identity */

    ngx_http_graph_attach_redis_addr_t     addr;     /* without Sentinel */
    ngx_array_t                           *sentinels;
    ngx_str_t                              master;
    ngx_str_t                              password;
    ngx_int_t                              db;
    ngx_msec_t                             timeout;
    ngx_msec_t                             connect_timeout;

    ngx_http_graph_attach_redis_worker_t  *worker;   /* per process */
    unsigned                               used:1;
};


/* per process and server: the one connection and its state */

struct ngx_http_graph_attach_redis_worker_s {
    ngx_http_graph_attach_redis_server_t  *server;
    redisAsyncContext                     *ac;
    ngx_connection_t                      *conn;
    ngx_log_t                             *log;

    ngx_queue_t                            cmds;       /* sent, no reply */
    ngx_uint_t                             user_cmds;  /* of those */

    ngx_http_graph_attach_redis_cmd_t      auth;
    ngx_http_graph_attach_redis_cmd_t      select;
    ngx_http_graph_attach_redis_cmd_t      role;
    ngx_http_graph_attach_redis_cmd_t      ping;
    ngx_http_graph_attach_redis_cmd_t      ask;        /* Sentinel */

    ngx_event_t                            cmd_timer;
    ngx_event_t                            connect_timer;
    ngx_event_t                            reconnect_timer;
    ngx_event_t                            drop_event;

    ngx_msec_t                             backoff;
    ngx_msec_t                             connected_at;
    ngx_uint_t                             state;
    ngx_uint_t                             sentinel;   /* next to ask */

    /* the master as Sentinel last named it */
    ngx_str_t                              master_name;
    u_char                                 master_host[NGX_INET6_ADDRSTRLEN
                                                       + 1];
    in_port_t                              master_port;
    u_char                                 master_buf[NGX_SOCKADDR_STRLEN];

    unsigned                               down:1;     /* until READY */
    unsigned                               exiting:1;
    unsigned                               dropping:1;
    unsigned                               have_master:1;
    unsigned                               to_master:1;
};


/* ngx_http_graph_attach_redis_conf.c */

ngx_int_t ngx_http_graph_attach_redis_parse_ip(u_char *p, size_t len,
    u_char *host, size_t *host_len);
u_char *ngx_http_graph_attach_redis_addr_text(u_char *buf, u_char *host,
    size_t host_len, in_port_t port);


/* ngx_http_graph_attach_redis.c */

ngx_int_t ngx_http_graph_attach_redis_quiet(
    ngx_http_graph_attach_redis_worker_t *rw);
ngx_int_t ngx_http_graph_attach_redis_attach(
    ngx_http_graph_attach_redis_worker_t *rw, redisAsyncContext *ac,
    const char *what);
void ngx_http_graph_attach_redis_fail(ngx_http_graph_attach_redis_worker_t *rw,
    const char *fmt, ...);
void ngx_http_graph_attach_redis_drop(ngx_http_graph_attach_redis_worker_t *rw);
void ngx_http_graph_attach_redis_drop_later(
    ngx_http_graph_attach_redis_worker_t *rw);
void ngx_http_graph_attach_redis_ready(
    ngx_http_graph_attach_redis_worker_t *rw);

/* from the event cleanup: the connection c of rw is gone */
void ngx_http_graph_attach_redis_closed(
    ngx_http_graph_attach_redis_worker_t *rw, ngx_connection_t *c);


/* ngx_http_graph_attach_redis_cmd.c */

void ngx_http_graph_attach_redis_cmd_init(
    ngx_http_graph_attach_redis_worker_t *rw);
void ngx_http_graph_attach_redis_send_handshake(
    ngx_http_graph_attach_redis_worker_t *rw);
ngx_int_t ngx_http_graph_attach_redis_send(
    ngx_http_graph_attach_redis_worker_t *rw,
    ngx_http_graph_attach_redis_cmd_t *cmd, ngx_msec_t timeout, int argc,
    const char **argv, const size_t *argvlen);


/* ngx_http_graph_attach_redis_event.c */

/* puts ac on nginx's event loop, sets rw->conn */
ngx_int_t ngx_http_graph_attach_redis_event_attach(
    ngx_http_graph_attach_redis_worker_t *rw, redisAsyncContext *ac);


/* ngx_http_graph_attach_redis_sentinel.c */

void ngx_http_graph_attach_redis_sentinel_ask(
    ngx_http_graph_attach_redis_worker_t *rw);
void ngx_http_graph_attach_redis_sentinel_reply(
    ngx_http_graph_attach_redis_cmd_t *cmd, struct redisReply *reply);
void ngx_http_graph_attach_redis_role_reply(
    ngx_http_graph_attach_redis_cmd_t *cmd, struct redisReply *reply);

/* after a loss: NGX_OK if the master Sentinel named is connected next */
ngx_int_t ngx_http_graph_attach_redis_sentinel_closed(
    ngx_http_graph_attach_redis_worker_t *rw);


#endif /* _NGX_HTTP_GRAPH_ATTACH_REDIS_INT_H_INCLUDED_ */
