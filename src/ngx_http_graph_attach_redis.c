/*
 * Copyright (C) graph-attach authors
 */


/*
 * Per worker and Redis server, the one connection: its life from
 * init_process to exit_process, its state (Sentinel, connecting,
 * handshake, ready), connect timeouts, drops, reconnects with a backoff,
 * one log line per outage; and the API the token code uses.  What is sent
 * over it is in _redis_cmd.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach_redis_int.h"
#include "ngx_http_graph_attach_metrics.h"


static ngx_http_graph_attach_redis_worker_t *
    ngx_http_graph_attach_redis_worker(ngx_cycle_t *cycle,
    ngx_http_graph_attach_redis_server_t *s);
static ngx_int_t ngx_http_graph_attach_redis_usable(
    ngx_http_graph_attach_redis_worker_t *rw);
static void ngx_http_graph_attach_redis_connect(
    ngx_http_graph_attach_redis_worker_t *rw);
static void ngx_http_graph_attach_redis_schedule(
    ngx_http_graph_attach_redis_worker_t *rw);
static const char *ngx_http_graph_attach_redis_peer(
    ngx_http_graph_attach_redis_worker_t *rw);

static void ngx_http_graph_attach_redis_connect_timeout(ngx_event_t *ev);
static void ngx_http_graph_attach_redis_reconnect(ngx_event_t *ev);
static void ngx_http_graph_attach_redis_drop_handler(ngx_event_t *ev);

static void ngx_http_graph_attach_redis_connected(const redisAsyncContext *ac,
    int status);
static void ngx_http_graph_attach_redis_disconnected(
    const redisAsyncContext *ac, int status);


ngx_int_t
ngx_http_graph_attach_redis_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                              i;
    ngx_http_graph_attach_main_conf_t      *amcf;
    ngx_http_graph_attach_redis_worker_t   *rw;
    ngx_http_graph_attach_redis_server_t  **sp;

    /* cache manager and loader processes run init_process too */

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_graph_attach_module);

    if (amcf == NULL || amcf->redis_servers == NULL) {
        return NGX_OK;
    }

    sp = amcf->redis_servers->elts;

    for (i = 0; i < amcf->redis_servers->nelts; i++) {

        if (!sp[i]->used) {
            continue;
        }

        rw = ngx_http_graph_attach_redis_worker(cycle, sp[i]);
        if (rw == NULL) {
            return NGX_ERROR;
        }

        ngx_http_graph_attach_redis_connect(rw);
    }

    return NGX_OK;
}


static ngx_http_graph_attach_redis_worker_t *
ngx_http_graph_attach_redis_worker(ngx_cycle_t *cycle,
    ngx_http_graph_attach_redis_server_t *s)
{
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = ngx_pcalloc(cycle->pool, sizeof(ngx_http_graph_attach_redis_worker_t));
    if (rw == NULL) {
        return NULL;
    }

    s->worker = rw;

    rw->server = s;
    rw->log = cycle->log;
    rw->backoff = NGX_HTTP_GRAPH_ATTACH_REDIS_BACKOFF_MIN;

    /* workers do not all ask the same Sentinel first */
    if (s->sentinels) {
        rw->sentinel = (ngx_uint_t) ngx_worker % s->sentinels->nelts;
    }

    ngx_http_graph_attach_redis_cmd_init(rw);

    rw->connect_timer.handler = ngx_http_graph_attach_redis_connect_timeout;
    rw->connect_timer.data = rw;
    rw->connect_timer.log = cycle->log;
    rw->connect_timer.cancelable = 1;

    rw->reconnect_timer.handler = ngx_http_graph_attach_redis_reconnect;
    rw->reconnect_timer.data = rw;
    rw->reconnect_timer.log = cycle->log;
    rw->reconnect_timer.cancelable = 1;

    rw->drop_event.handler = ngx_http_graph_attach_redis_drop_handler;
    rw->drop_event.data = rw;
    rw->drop_event.log = cycle->log;

    /* not what a worker of this slot said before it died */
    ngx_http_graph_attach_metrics_redis(cycle, s, 0);

    return rw;
}



void
ngx_http_graph_attach_redis_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                              i;
    ngx_http_graph_attach_main_conf_t      *amcf;
    ngx_http_graph_attach_redis_worker_t   *rw;
    ngx_http_graph_attach_redis_server_t  **sp;

    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_graph_attach_module);

    if (amcf == NULL || amcf->redis_servers == NULL) {
        return;
    }

    sp = amcf->redis_servers->elts;

    for (i = 0; i < amcf->redis_servers->nelts; i++) {
        rw = sp[i]->worker;

        if (rw == NULL) {
            continue;
        }

        rw->exiting = 1;

        ngx_http_graph_attach_metrics_redis(cycle, sp[i], 0);

        if (rw->reconnect_timer.timer_set) {
            ngx_del_timer(&rw->reconnect_timer);
        }

        if (rw->ac) {
            /* pending commands get a NULL reply with cmd->aborted set */
            rw->state = NGX_HTTP_GRAPH_ATTACH_REDIS_IDLE;
            redisAsyncFree(rw->ac);
        }

        if (rw->connect_timer.timer_set) {
            ngx_del_timer(&rw->connect_timer);
        }

        if (rw->cmd_timer.timer_set) {
            ngx_del_timer(&rw->cmd_timer);
        }

        if (rw->drop_event.posted) {
            ngx_delete_posted_event(&rw->drop_event);
        }
    }
}


ngx_int_t
ngx_http_graph_attach_redis_command(
    ngx_http_graph_attach_redis_server_t *server,
    ngx_http_graph_attach_redis_cmd_t *cmd, int argc, const char **argv,
    const size_t *argvlen)
{
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = server->worker;

    if (rw == NULL || !ngx_http_graph_attach_redis_usable(rw)) {
        return NGX_ERROR;
    }

    cmd->user = 1;

    return ngx_http_graph_attach_redis_send(rw, cmd, rw->server->timeout,
                                            argc, argv, argvlen);
}


time_t
ngx_http_graph_attach_redis_retry_after(
    ngx_http_graph_attach_redis_server_t *server)
{
    time_t                                 sec;
    ngx_msec_int_t                         left;
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = server->worker;

    if (rw == NULL) {
        return 1;
    }

    if (!rw->reconnect_timer.timer_set) {

        /*
         * waiters failed by a lost connection hear of it before the
         * reconnect is scheduled: the backoff tells when it will be
         */

        if (rw->ac && !rw->dropping) {
            return 1;
        }

        sec = (time_t) (rw->backoff + 999) / 1000;

        return ngx_max(1, ngx_min(sec, 5));
    }

    left = (ngx_msec_int_t) (rw->reconnect_timer.timer.key - ngx_current_msec);

    sec = (left > 0) ? (time_t) (left + 999) / 1000 : 1;

    return ngx_max(1, ngx_min(sec, 5));
}


ngx_int_t
ngx_http_graph_attach_redis_quiet(ngx_http_graph_attach_redis_worker_t *rw)
{
    return ngx_exiting || ngx_quit || ngx_terminate || rw->exiting;
}


/*
 * Fail fast: commands wait for a connection in progress only while Redis
 * is not known to be down, e.g. right after the worker started.  Once it
 * failed, nothing goes out until the PING of a new connection is
 * answered: a stalled Redis costs one timeout, not one per request.
 */

static ngx_int_t
ngx_http_graph_attach_redis_usable(ngx_http_graph_attach_redis_worker_t *rw)
{
    if (rw->ac == NULL || rw->exiting || rw->dropping) {
        return 0;
    }

    switch (rw->state) {

    case NGX_HTTP_GRAPH_ATTACH_REDIS_READY:
        return 1;

    case NGX_HTTP_GRAPH_ATTACH_REDIS_CONNECTING:
    case NGX_HTTP_GRAPH_ATTACH_REDIS_HANDSHAKE:
        return !rw->down;

    default:
        return 0;
    }
}


static void
ngx_http_graph_attach_redis_connect(ngx_http_graph_attach_redis_worker_t *rw)
{
    redisAsyncContext                     *ac;
    ngx_http_graph_attach_redis_server_t  *s;

    s = rw->server;

    if (s->sentinels && !rw->have_master) {
        ngx_http_graph_attach_redis_sentinel_ask(rw);
        return;
    }

    /* non-blocking connect(); the address is a literal, nothing resolves */

    if (s->sentinels) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rw->log, 0,
                       "graph_attach: redis connect to master %V",
                       &rw->master_name);

        ac = redisAsyncConnect((const char *) rw->master_host,
                               rw->master_port);

    } else if (s->addr.path) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rw->log, 0,
                       "graph_attach: redis connect to %V", &s->addr.name);

        ac = redisAsyncConnectUnix((const char *) s->addr.path);

    } else {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rw->log, 0,
                       "graph_attach: redis connect to %V", &s->addr.name);

        ac = redisAsyncConnect((const char *) s->addr.host, s->addr.port);
    }

    if (ngx_http_graph_attach_redis_attach(rw, ac, "redis") != NGX_OK) {
        rw->have_master = 0;
        return;
    }

    rw->state = NGX_HTTP_GRAPH_ATTACH_REDIS_CONNECTING;

    ngx_http_graph_attach_redis_send_handshake(rw);
}


/* puts a new hiredis context on nginx's event loop */

ngx_int_t
ngx_http_graph_attach_redis_attach(ngx_http_graph_attach_redis_worker_t *rw,
    redisAsyncContext *ac, const char *what)
{
    if (ac == NULL) {
        ngx_http_graph_attach_redis_fail(rw,
                                         "cannot allocate a hiredis context");
        ngx_http_graph_attach_redis_schedule(rw);
        return NGX_ERROR;
    }

    if (ac->err) {
        ngx_http_graph_attach_redis_fail(rw, "%s: %s", what, ac->errstr);
        redisAsyncFree(ac);
        ngx_http_graph_attach_redis_schedule(rw);
        return NGX_ERROR;
    }

    if (ngx_http_graph_attach_redis_event_attach(rw, ac) != NGX_OK) {
        ngx_http_graph_attach_redis_fail(rw, "no free connection");
        redisAsyncFree(ac);
        ngx_http_graph_attach_redis_schedule(rw);
        return NGX_ERROR;
    }

    rw->ac = ac;
    rw->dropping = 0;

    /* hiredis waits for writability to see the connect finish: addWrite */

    (void) redisAsyncSetConnectCallback(ac,
                                        ngx_http_graph_attach_redis_connected);
    (void) redisAsyncSetDisconnectCallback(ac,
                                     ngx_http_graph_attach_redis_disconnected);

    /* hiredis 0.14 has no connect timeout of its own */

    ngx_add_timer(&rw->connect_timer, rw->server->connect_timeout);

    return NGX_OK;
}


static void
ngx_http_graph_attach_redis_schedule(ngx_http_graph_attach_redis_worker_t *rw)
{
    ngx_msec_t  delay;

    if (ngx_http_graph_attach_redis_quiet(rw) || rw->reconnect_timer.timer_set)
    {
        return;
    }

    /* +-25% jitter: workers that lost Redis together do not come back
     * together */

    delay = rw->backoff - rw->backoff / 4
            + (ngx_msec_t) ngx_random() % (rw->backoff / 2 + 1);

    rw->backoff = ngx_min(rw->backoff * 2,
                          NGX_HTTP_GRAPH_ATTACH_REDIS_BACKOFF_MAX);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rw->log, 0,
                   "graph_attach: redis reconnect in %M ms", delay);

    ngx_add_timer(&rw->reconnect_timer, delay);
}


/* one line per outage, not one per request or per attempt */

void
ngx_http_graph_attach_redis_fail(ngx_http_graph_attach_redis_worker_t *rw,
    const char *fmt, ...)
{
    u_char   *p;
    va_list   args;
    u_char    reason[NGX_MAX_ERROR_STR];

    va_start(args, fmt);
    p = ngx_vslprintf(reason, reason + sizeof(reason), fmt, args);
    va_end(args);

    if (rw->down) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, rw->log, 0,
                       "graph_attach: redis still unavailable: %*s",
                       p - reason, reason);
        return;
    }

    rw->down = 1;

    if (ngx_http_graph_attach_redis_quiet(rw)) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, rw->log, 0,
                  "graph_attach: redis \"%V\" is unavailable: %*s",
                  &rw->server->name, p - reason, reason);
}


/*
 * Frees the context: hiredis runs the pending callbacks with a NULL reply,
 * then the event cleanup, which releases the connection and calls
 * closed() below.  Never called from inside a hiredis callback: those use
 * drop_later().
 */

void
ngx_http_graph_attach_redis_drop(ngx_http_graph_attach_redis_worker_t *rw)
{
    redisAsyncContext  *ac;

    ac = rw->ac;
    if (ac == NULL) {
        return;
    }

    rw->state = NGX_HTTP_GRAPH_ATTACH_REDIS_IDLE;
    rw->dropping = 1;

    redisAsyncFree(ac);
}


void
ngx_http_graph_attach_redis_drop_later(ngx_http_graph_attach_redis_worker_t *rw)
{
    if (rw->ac == NULL) {
        return;
    }

    rw->dropping = 1;

    if (!rw->drop_event.posted) {
        ngx_post_event(&rw->drop_event, &ngx_posted_events);
    }
}


static void
ngx_http_graph_attach_redis_drop_handler(ngx_event_t *ev)
{
    ngx_http_graph_attach_redis_drop(ev->data);
}


/* the connection is released and the context about to be freed */

void
ngx_http_graph_attach_redis_closed(ngx_http_graph_attach_redis_worker_t *rw,
    ngx_connection_t *c)
{
    if (rw->conn != c) {
        return;
    }

    if (rw->state == NGX_HTTP_GRAPH_ATTACH_REDIS_READY
        && ngx_current_msec - rw->connected_at
           >= NGX_HTTP_GRAPH_ATTACH_REDIS_STABLE)
    {
        rw->backoff = NGX_HTTP_GRAPH_ATTACH_REDIS_BACKOFF_MIN;
    }

    rw->ac = NULL;
    rw->conn = NULL;
    rw->state = NGX_HTTP_GRAPH_ATTACH_REDIS_IDLE;
    rw->dropping = 0;

    ngx_http_graph_attach_metrics_redis((ngx_cycle_t *) ngx_cycle, rw->server,
                                        0);

    /* every command has had its (NULL) reply by now */
    ngx_queue_init(&rw->cmds);
    rw->user_cmds = 0;

    if (rw->connect_timer.timer_set) {
        ngx_del_timer(&rw->connect_timer);
    }

    if (rw->cmd_timer.timer_set) {
        ngx_del_timer(&rw->cmd_timer);
    }

    if (rw->drop_event.posted) {
        ngx_delete_posted_event(&rw->drop_event);
    }

    if (ngx_http_graph_attach_redis_quiet(rw)) {
        return;
    }

    if (rw->server->sentinels
        && ngx_http_graph_attach_redis_sentinel_closed(rw) == NGX_OK)
    {
        return;
    }

    /* from a timer, never from here: the fd is not closed yet */
    ngx_http_graph_attach_redis_schedule(rw);
}


static void
ngx_http_graph_attach_redis_connect_timeout(ngx_event_t *ev)
{
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = ev->data;

    if (rw->ac == NULL || (rw->ac->c.flags & REDIS_CONNECTED)) {
        return;
    }

    ngx_http_graph_attach_redis_fail(rw, "connect to %s timed out",
                                     ngx_http_graph_attach_redis_peer(rw));

    ngx_http_graph_attach_redis_drop(rw);
}


static void
ngx_http_graph_attach_redis_reconnect(ngx_event_t *ev)
{
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = ev->data;

    if (rw->ac || ngx_http_graph_attach_redis_quiet(rw)) {
        return;
    }

    ngx_http_graph_attach_redis_connect(rw);
}


/* what the context is connected or connecting to, for logs */

static const char *
ngx_http_graph_attach_redis_peer(ngx_http_graph_attach_redis_worker_t *rw)
{
    return (rw->state == NGX_HTTP_GRAPH_ATTACH_REDIS_SENTINEL) ? "sentinel"
                                                              : "redis";
}


static void
ngx_http_graph_attach_redis_connected(const redisAsyncContext *ac,
    int status)
{
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = ac->data;

    if (rw->connect_timer.timer_set) {
        ngx_del_timer(&rw->connect_timer);
    }

    if (status != REDIS_OK) {
        /* hiredis frees the context when this returns: cleanup follows */
        ngx_http_graph_attach_redis_fail(rw, "%s: %s",
                                         ngx_http_graph_attach_redis_peer(rw),
                                         ac->errstr);
        return;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, rw->log, 0,
                   "graph_attach: redis connected");

    if (rw->state == NGX_HTTP_GRAPH_ATTACH_REDIS_CONNECTING) {
        rw->state = NGX_HTTP_GRAPH_ATTACH_REDIS_HANDSHAKE;
    }

    rw->connected_at = ngx_current_msec;
}


static void
ngx_http_graph_attach_redis_disconnected(const redisAsyncContext *ac,
    int status)
{
    ngx_http_graph_attach_redis_worker_t  *rw;

    /*
     * REDIS_OK: we freed the context ourselves and said why;
     * the cleanup hook already ran and scheduled the reconnect
     */

    if (status != REDIS_OK) {
        rw = ac->data;
        ngx_http_graph_attach_redis_fail(rw, "%s", ac->errstr);
    }
}


/* the PING of a new connection was answered */

void
ngx_http_graph_attach_redis_ready(ngx_http_graph_attach_redis_worker_t *rw)
{
    rw->state = NGX_HTTP_GRAPH_ATTACH_REDIS_READY;
    rw->backoff = NGX_HTTP_GRAPH_ATTACH_REDIS_BACKOFF_MIN;

    ngx_http_graph_attach_metrics_redis((ngx_cycle_t *) ngx_cycle, rw->server,
                                        1);

    if (!rw->down) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, rw->log, 0,
                       "graph_attach: redis ready");
        return;
    }

    rw->down = 0;

    if (ngx_http_graph_attach_redis_quiet(rw)) {
        return;
    }

    if (rw->server->sentinels) {
        ngx_log_error(NGX_LOG_NOTICE, rw->log, 0,
                      "graph_attach: redis \"%V\" is available again at %V",
                      &rw->server->name, &rw->master_name);

    } else {
        ngx_log_error(NGX_LOG_NOTICE, rw->log, 0,
                      "graph_attach: redis \"%V\" is available again",
                      &rw->server->name);
    }
}
