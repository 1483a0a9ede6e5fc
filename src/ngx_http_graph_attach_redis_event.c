/*
 * Copyright (C) graph-attach authors
 */


/*
 * hiredis on nginx's event loop: the context's socket gets an
 * ngx_connection_t, and hiredis's addRead/delRead/addWrite/delWrite
 * hooks become nginx events on it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach_redis_int.h"


static void ngx_http_graph_attach_redis_add_read(void *privdata);
static void ngx_http_graph_attach_redis_del_read(void *privdata);
static void ngx_http_graph_attach_redis_add_write(void *privdata);
static void ngx_http_graph_attach_redis_del_write(void *privdata);
static void ngx_http_graph_attach_redis_add_event(ngx_event_t *ev,
    ngx_int_t event);
static void ngx_http_graph_attach_redis_del_event(ngx_event_t *ev,
    ngx_int_t event);
static void ngx_http_graph_attach_redis_cleanup(void *privdata);
static void ngx_http_graph_attach_redis_read_handler(ngx_event_t *rev);
static void ngx_http_graph_attach_redis_write_handler(ngx_event_t *wev);


ngx_int_t
ngx_http_graph_attach_redis_event_attach(
    ngx_http_graph_attach_redis_worker_t *rw, redisAsyncContext *ac)
{
    ngx_connection_t  *c;

    c = ngx_get_connection(ac->c.fd, rw->log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->data = ac;
    c->number = ngx_atomic_fetch_add(ngx_connection_counter, 1);

    c->read->handler = ngx_http_graph_attach_redis_read_handler;
    c->write->handler = ngx_http_graph_attach_redis_write_handler;
    c->read->log = rw->log;
    c->write->log = rw->log;

    ac->data = rw;

    ac->ev.data = c;
    ac->ev.addRead = ngx_http_graph_attach_redis_add_read;
    ac->ev.delRead = ngx_http_graph_attach_redis_del_read;
    ac->ev.addWrite = ngx_http_graph_attach_redis_add_write;
    ac->ev.delWrite = ngx_http_graph_attach_redis_del_write;
    ac->ev.cleanup = ngx_http_graph_attach_redis_cleanup;

    rw->conn = c;

    return NGX_OK;
}


static void
ngx_http_graph_attach_redis_add_read(void *privdata)
{
    ngx_connection_t  *c = privdata;

    ngx_http_graph_attach_redis_add_event(c->read, NGX_READ_EVENT);
}


static void
ngx_http_graph_attach_redis_del_read(void *privdata)
{
    ngx_connection_t  *c = privdata;

    ngx_http_graph_attach_redis_del_event(c->read, NGX_READ_EVENT);
}


static void
ngx_http_graph_attach_redis_add_write(void *privdata)
{
    ngx_connection_t  *c = privdata;

    ngx_http_graph_attach_redis_add_event(c->write, NGX_WRITE_EVENT);
}


static void
ngx_http_graph_attach_redis_del_write(void *privdata)
{
    ngx_connection_t  *c = privdata;

    ngx_http_graph_attach_redis_del_event(c->write, NGX_WRITE_EVENT);
}


/*
 * hiredis calls these hooks again and again: keep them idempotent.  With
 * edge-triggered events an event already added keeps its pending edge.
 */

static void
ngx_http_graph_attach_redis_add_event(ngx_event_t *ev, ngx_int_t event)
{
    ngx_uint_t  flags;

    if (ev->active) {
        return;
    }

    flags = (ngx_event_flags & NGX_USE_CLEAR_EVENT) ? NGX_CLEAR_EVENT
                                                    : NGX_LEVEL_EVENT;

    if (ngx_add_event(ev, event, flags) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, ev->log, 0,
                      "graph_attach: redis event cannot be added");
    }
}


static void
ngx_http_graph_attach_redis_del_event(ngx_event_t *ev, ngx_int_t event)
{
    if (!ev->active) {
        return;
    }

    if (ngx_del_event(ev, event, 0) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, ev->log, 0,
                      "graph_attach: redis event cannot be deleted");
    }
}


/*
 * hiredis frees the context and closes the socket itself right after
 * this hook (the pending callbacks have run): give the nginx connection
 * back without closing the fd, and let the worker plan what comes next.
 */

static void
ngx_http_graph_attach_redis_cleanup(void *privdata)
{
    ngx_connection_t  *c = privdata;

    redisAsyncContext                     *ac;
    ngx_http_graph_attach_redis_worker_t  *rw;

    if (c == NULL) {
        return;
    }

    ac = c->data;
    rw = ac->data;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, rw->log, 0,
                   "graph_attach: redis connection released");

    ngx_http_graph_attach_redis_del_event(c->read, NGX_READ_EVENT);
    ngx_http_graph_attach_redis_del_event(c->write, NGX_WRITE_EVENT);

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    c->read->closed = 1;
    c->write->closed = 1;

    ngx_free_connection(c);

    /* events still queued in this epoll batch now see a stale connection */
    c->fd = (ngx_socket_t) -1;

    ngx_http_graph_attach_redis_closed(rw, c);
}


static void
ngx_http_graph_attach_redis_read_handler(ngx_event_t *rev)
{
    u_char                                 ch;
    ssize_t                                n;
    ngx_err_t                              err;
    ngx_connection_t                      *c;
    redisAsyncContext                     *ac;
    ngx_http_graph_attach_redis_worker_t  *rw;

    c = rev->data;
    ac = c->data;
    rw = ac->data;

    for ( ;; ) {
        redisAsyncHandleRead(ac);

        if (rw->conn != c) {
            /* hiredis freed the context */
            return;
        }

        if (!(ngx_event_flags & NGX_USE_CLEAR_EVENT)
            || !(ac->c.flags & REDIS_CONNECTED))
        {
            return;
        }

        /*
         * edge-triggered: hiredis reads at most 16 KB per call and the
         * edge will not come again for what is left in the socket
         */

        n = recv(c->fd, &ch, 1, MSG_PEEK);

        if (n == -1) {
            err = ngx_socket_errno;

            if (err == NGX_EAGAIN) {
                return;
            }

            if (err == NGX_EINTR) {
                continue;
            }
        }

        /* more data, end of file or an error: hiredis handles all three */
    }
}


static void
ngx_http_graph_attach_redis_write_handler(ngx_event_t *wev)
{
    ngx_connection_t  *c;

    c = wev->data;

    redisAsyncHandleWrite(c->data);
}
