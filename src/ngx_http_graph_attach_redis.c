/*
 * Copyright (C) graph-attach authors
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
#define NGX_HTTP_GRAPH_ATTACH_REDIS_TIMEOUT       1000

#define NGX_HTTP_GRAPH_ATTACH_REDIS_BACKOFF_MIN   100
#define NGX_HTTP_GRAPH_ATTACH_REDIS_BACKOFF_MAX   5000

/* a connection that lived this long was not flapping: reset the backoff */
#define NGX_HTTP_GRAPH_ATTACH_REDIS_STABLE        5000


#define NGX_HTTP_GRAPH_ATTACH_REDIS_IDLE          0
#define NGX_HTTP_GRAPH_ATTACH_REDIS_CONNECTING    1
#define NGX_HTTP_GRAPH_ATTACH_REDIS_CONNECTED     2


typedef struct {
    redisAsyncContext                  *ac;
    ngx_connection_t                   *conn;
    ngx_http_graph_attach_main_conf_t  *amcf;
    ngx_log_t                          *log;

    ngx_queue_t                         cmds;       /* sent, no reply yet */
    ngx_http_graph_attach_redis_cmd_t   ping;

    ngx_event_t                         cmd_timer;
    ngx_event_t                         connect_timer;
    ngx_event_t                         reconnect_timer;

    ngx_msec_t                          timeout;
    ngx_msec_t                          connect_timeout;
    ngx_msec_t                          backoff;
    ngx_msec_t                          connected_at;

    ngx_uint_t                          state;
    unsigned                            down:1;     /* until a good reply */
    unsigned                            exiting:1;
} ngx_http_graph_attach_redis_worker_t;


static ngx_int_t ngx_http_graph_attach_redis_parse_addr(ngx_conf_t *cf,
    ngx_http_graph_attach_main_conf_t *amcf, ngx_str_t *addr);
static ngx_int_t ngx_http_graph_attach_redis_quiet(void);
static void ngx_http_graph_attach_redis_connect(void);
static void ngx_http_graph_attach_redis_schedule(void);
static void ngx_http_graph_attach_redis_fail(const char *reason);
static void ngx_http_graph_attach_redis_drop(void);

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
static void ngx_http_graph_attach_redis_cmd_timeout(ngx_event_t *ev);
static void ngx_http_graph_attach_redis_connect_timeout(ngx_event_t *ev);
static void ngx_http_graph_attach_redis_reconnect(ngx_event_t *ev);

static void ngx_http_graph_attach_redis_connected(const redisAsyncContext *ac,
    int status);
static void ngx_http_graph_attach_redis_disconnected(
    const redisAsyncContext *ac, int status);
static void ngx_http_graph_attach_redis_reply(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_graph_attach_redis_pong(
    ngx_http_graph_attach_redis_cmd_t *cmd, struct redisReply *reply);


/* one connection per worker: per-process state, set up in init_process */
static ngx_http_graph_attach_redis_worker_t  ngx_http_graph_attach_redis_w;


char *
ngx_http_graph_attach_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_graph_attach_main_conf_t *amcf = conf;

    ngx_str_t   *value, s;
    ngx_int_t    ms;
    ngx_uint_t   i;

    if (amcf->redis_addr.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_graph_attach_redis_parse_addr(cf, amcf, &value[1])
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "timeout=", 8) == 0) {

            s.len = value[i].len - 8;
            s.data = value[i].data + 8;

            ms = ngx_parse_time(&s, 0);
            if (ms == NGX_ERROR || ms == 0) {
                goto invalid;
            }

            amcf->redis_timeout = (ngx_msec_t) ms;
            continue;
        }

        if (ngx_strncmp(value[i].data, "connect_timeout=", 16) == 0) {

            s.len = value[i].len - 16;
            s.data = value[i].data + 16;

            ms = ngx_parse_time(&s, 0);
            if (ms == NGX_ERROR || ms == 0) {
                goto invalid;
            }

            amcf->redis_connect_timeout = (ngx_msec_t) ms;
            continue;
        }

        goto invalid;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);

    return NGX_CONF_ERROR;
}


/*
 * hiredis connects with getaddrinfo(), which blocks on a name: only IP
 * literals and unix sockets are accepted, and the IP is written back in
 * canonical form so that getaddrinfo() cannot read it differently from
 * nginx (inet_aton() takes "010" as octal).
 */

static ngx_int_t
ngx_http_graph_attach_redis_parse_addr(ngx_conf_t *cf,
    ngx_http_graph_attach_main_conf_t *amcf, ngx_str_t *addr)
{
    u_char     *p, *last, *host, *port, *colon;
    size_t      len, plen;
    ngx_int_t   n;
    in_addr_t   in;
#if (NGX_HAVE_INET6)
    u_char      in6[16];
#endif

    amcf->redis_addr = *addr;

    if (addr->len >= 5 && ngx_strncmp(addr->data, "unix:", 5) == 0) {

        len = addr->len - 5;

        if (len == 0 || len >= sizeof(((struct sockaddr_un *) 0)->sun_path))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid unix socket path in \"%V\"", addr);
            return NGX_ERROR;
        }

        p = ngx_pnalloc(cf->pool, len + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(p, addr->data + 5, len);
        p[len] = '\0';

        amcf->redis_unix.len = len;
        amcf->redis_unix.data = p;

        return NGX_OK;
    }

    p = addr->data;
    last = p + addr->len;
    port = NULL;
    plen = 0;

    host = ngx_pnalloc(cf->pool, NGX_INET6_ADDRSTRLEN + 1);
    if (host == NULL) {
        return NGX_ERROR;
    }

    if (p < last && *p == '[') {

#if (NGX_HAVE_INET6)
        p++;

        colon = ngx_strlchr(p, last, ']');
        if (colon == NULL) {
            goto not_ip;
        }

        if (ngx_inet6_addr(p, colon - p, in6) != NGX_OK) {
            goto not_ip;
        }

        p = colon + 1;

        if (p < last) {
            if (*p != ':') {
                goto not_ip;
            }

            port = p + 1;
            plen = last - port;
        }

        len = ngx_inet_ntop(AF_INET6, in6, host, NGX_INET6_ADDRSTRLEN);

#else
        goto not_ip;
#endif

    } else {
        colon = ngx_strlchr(p, last, ':');

        if (colon && ngx_strlchr(colon + 1, last, ':')) {

            /* a bare IPv6 address, no port */

#if (NGX_HAVE_INET6)
            if (ngx_inet6_addr(p, last - p, in6) != NGX_OK) {
                goto not_ip;
            }

            len = ngx_inet_ntop(AF_INET6, in6, host, NGX_INET6_ADDRSTRLEN);
#else
            goto not_ip;
#endif

        } else {
            if (colon) {
                port = colon + 1;
                plen = last - port;

            } else {
                colon = last;
            }

            in = ngx_inet_addr(p, colon - p);
            if (in == INADDR_NONE) {
                goto not_ip;
            }

            len = ngx_inet_ntop(AF_INET, &in, host, NGX_INET6_ADDRSTRLEN);
        }
    }

    host[len] = '\0';

    amcf->redis_host.len = len;
    amcf->redis_host.data = host;
    amcf->redis_port = NGX_HTTP_GRAPH_ATTACH_REDIS_PORT;

    if (port) {
        n = ngx_atoi(port, plen);
        if (n < 1 || n > 65535) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid port in \"%V\"", addr);
            return NGX_ERROR;
        }

        amcf->redis_port = (in_port_t) n;
    }

    return NGX_OK;

not_ip:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"%V\" must be an IP address or unix: socket "
                       "(host names are not resolved)", addr);

    return NGX_ERROR;
}


ngx_int_t
ngx_http_graph_attach_redis_init_process(ngx_cycle_t *cycle)
{
    ngx_http_graph_attach_main_conf_t     *amcf;
    ngx_http_graph_attach_redis_worker_t  *rw;

    /* cache manager and loader processes run init_process too */

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_graph_attach_module);

    if (amcf == NULL || amcf->used != 1 || amcf->redis_addr.len == 0) {
        return NGX_OK;
    }

    rw = &ngx_http_graph_attach_redis_w;

    ngx_memzero(rw, sizeof(ngx_http_graph_attach_redis_worker_t));

    rw->amcf = amcf;
    rw->log = cycle->log;

    rw->timeout = amcf->redis_timeout;
    if (rw->timeout == NGX_CONF_UNSET_MSEC) {
        rw->timeout = NGX_HTTP_GRAPH_ATTACH_REDIS_TIMEOUT;
    }

    rw->connect_timeout = amcf->redis_connect_timeout;
    if (rw->connect_timeout == NGX_CONF_UNSET_MSEC) {
        rw->connect_timeout = NGX_HTTP_GRAPH_ATTACH_REDIS_TIMEOUT;
    }

    rw->backoff = NGX_HTTP_GRAPH_ATTACH_REDIS_BACKOFF_MIN;

    ngx_queue_init(&rw->cmds);

    rw->ping.handler = ngx_http_graph_attach_redis_pong;
    rw->ping.data = rw;

    /*
     * all timers are cancelable: a worker that shuts down does not wait
     * for Redis, exit_process fails whatever is still pending
     */

    rw->cmd_timer.handler = ngx_http_graph_attach_redis_cmd_timeout;
    rw->cmd_timer.data = rw;
    rw->cmd_timer.log = cycle->log;
    rw->cmd_timer.cancelable = 1;

    rw->connect_timer.handler = ngx_http_graph_attach_redis_connect_timeout;
    rw->connect_timer.data = rw;
    rw->connect_timer.log = cycle->log;
    rw->connect_timer.cancelable = 1;

    rw->reconnect_timer.handler = ngx_http_graph_attach_redis_reconnect;
    rw->reconnect_timer.data = rw;
    rw->reconnect_timer.log = cycle->log;
    rw->reconnect_timer.cancelable = 1;

    ngx_http_graph_attach_redis_connect();

    return NGX_OK;
}


void
ngx_http_graph_attach_redis_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = &ngx_http_graph_attach_redis_w;

    if (rw->amcf == NULL) {
        return;
    }

    rw->exiting = 1;

    if (rw->reconnect_timer.timer_set) {
        ngx_del_timer(&rw->reconnect_timer);
    }

    if (rw->ac) {
        /* pending commands get a NULL reply with cmd->aborted set */
        redisAsyncFree(rw->ac);
    }

    if (rw->connect_timer.timer_set) {
        ngx_del_timer(&rw->connect_timer);
    }

    if (rw->cmd_timer.timer_set) {
        ngx_del_timer(&rw->cmd_timer);
    }
}


ngx_int_t
ngx_http_graph_attach_redis_command(ngx_http_graph_attach_redis_cmd_t *cmd,
    int argc, const char **argv, const size_t *argvlen)
{
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = &ngx_http_graph_attach_redis_w;

    if (rw->ac == NULL || rw->exiting) {
        return NGX_ERROR;
    }

    /*
     * fail fast: commands wait for a connection in progress only while
     * Redis is not known to be down, e.g. right after the worker started;
     * once connected they go out (behind the PING) even if no good reply
     * came yet, the command timeout bounds the wait
     */

    if (rw->state != NGX_HTTP_GRAPH_ATTACH_REDIS_CONNECTED
        && (rw->state != NGX_HTTP_GRAPH_ATTACH_REDIS_CONNECTING || rw->down))
    {
        return NGX_ERROR;
    }

    if (redisAsyncCommandArgv(rw->ac, ngx_http_graph_attach_redis_reply, cmd,
                              argc, argv, argvlen)
        != REDIS_OK)
    {
        return NGX_ERROR;
    }

    cmd->aborted = 0;
    cmd->deadline = ngx_current_msec + rw->timeout;

    ngx_queue_insert_tail(&rw->cmds, &cmd->queue);

    if (!rw->cmd_timer.timer_set) {
        ngx_add_timer(&rw->cmd_timer, rw->timeout);
    }

    return NGX_OK;
}


time_t
ngx_http_graph_attach_redis_retry_after(void)
{
    time_t                                 sec;
    ngx_msec_int_t                         left;
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = &ngx_http_graph_attach_redis_w;

    if (!rw->reconnect_timer.timer_set) {
        return 1;
    }

    left = (ngx_msec_int_t) (rw->reconnect_timer.timer.key - ngx_current_msec);

    sec = (left > 0) ? (time_t) (left + 999) / 1000 : 1;

    return ngx_max(1, ngx_min(sec, 5));
}


static ngx_int_t
ngx_http_graph_attach_redis_quiet(void)
{
    return ngx_exiting || ngx_quit || ngx_terminate
           || ngx_http_graph_attach_redis_w.exiting;
}


static void
ngx_http_graph_attach_redis_connect(void)
{
    ngx_connection_t                      *c;
    redisAsyncContext                     *ac;
    ngx_http_graph_attach_main_conf_t     *amcf;
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = &ngx_http_graph_attach_redis_w;
    amcf = rw->amcf;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rw->log, 0,
                   "graph_attach redis connect to \"%V\"", &amcf->redis_addr);

    /* non-blocking connect(); the address is a literal, nothing resolves */

    if (amcf->redis_unix.len) {
        ac = redisAsyncConnectUnix((const char *) amcf->redis_unix.data);

    } else {
        ac = redisAsyncConnect((const char *) amcf->redis_host.data,
                               amcf->redis_port);
    }

    if (ac == NULL) {
        ngx_http_graph_attach_redis_fail("cannot allocate a hiredis context");
        ngx_http_graph_attach_redis_schedule();
        return;
    }

    if (ac->err) {
        ngx_http_graph_attach_redis_fail(ac->errstr);
        redisAsyncFree(ac);
        ngx_http_graph_attach_redis_schedule();
        return;
    }

    c = ngx_get_connection(ac->c.fd, rw->log);
    if (c == NULL) {
        ngx_http_graph_attach_redis_fail("no free connection");
        redisAsyncFree(ac);
        ngx_http_graph_attach_redis_schedule();
        return;
    }

    c->data = ac;
    c->number = ngx_atomic_fetch_add(ngx_connection_counter, 1);

    c->read->handler = ngx_http_graph_attach_redis_read_handler;
    c->write->handler = ngx_http_graph_attach_redis_write_handler;
    c->read->log = rw->log;
    c->write->log = rw->log;

    ac->ev.data = c;
    ac->ev.addRead = ngx_http_graph_attach_redis_add_read;
    ac->ev.delRead = ngx_http_graph_attach_redis_del_read;
    ac->ev.addWrite = ngx_http_graph_attach_redis_add_write;
    ac->ev.delWrite = ngx_http_graph_attach_redis_del_write;
    ac->ev.cleanup = ngx_http_graph_attach_redis_cleanup;

    rw->ac = ac;
    rw->conn = c;
    rw->state = NGX_HTTP_GRAPH_ATTACH_REDIS_CONNECTING;

    /* hiredis waits for writability to see the connect finish: addWrite */

    (void) redisAsyncSetConnectCallback(ac,
                                        ngx_http_graph_attach_redis_connected);
    (void) redisAsyncSetDisconnectCallback(ac,
                                     ngx_http_graph_attach_redis_disconnected);

    /* hiredis 0.14 has no connect timeout of its own */

    ngx_add_timer(&rw->connect_timer, rw->connect_timeout);
}


static void
ngx_http_graph_attach_redis_schedule(void)
{
    ngx_msec_t                             delay;
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = &ngx_http_graph_attach_redis_w;

    if (ngx_http_graph_attach_redis_quiet() || rw->reconnect_timer.timer_set) {
        return;
    }

    /* +-25% jitter: workers that lost Redis together do not come back
     * together */

    delay = rw->backoff - rw->backoff / 4
            + (ngx_msec_t) ngx_random() % (rw->backoff / 2 + 1);

    rw->backoff = ngx_min(rw->backoff * 2,
                          NGX_HTTP_GRAPH_ATTACH_REDIS_BACKOFF_MAX);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rw->log, 0,
                   "graph_attach redis reconnect in %M ms", delay);

    ngx_add_timer(&rw->reconnect_timer, delay);
}


/* one line per outage, not one per request or per attempt */

static void
ngx_http_graph_attach_redis_fail(const char *reason)
{
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = &ngx_http_graph_attach_redis_w;

    if (rw->down) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rw->log, 0,
                       "graph_attach redis still unavailable: %s", reason);
        return;
    }

    rw->down = 1;

    if (ngx_http_graph_attach_redis_quiet()) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, rw->log, 0,
                  "graph_attach redis \"%V\" is unavailable: %s",
                  &rw->amcf->redis_addr, reason);
}


/*
 * Frees the context: hiredis runs the pending callbacks with a NULL reply,
 * then our cleanup, which releases the connection and schedules a
 * reconnect.  Never called from inside a hiredis callback.
 */

static void
ngx_http_graph_attach_redis_drop(void)
{
    redisAsyncContext                     *ac;
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = &ngx_http_graph_attach_redis_w;

    ac = rw->ac;
    if (ac == NULL) {
        return;
    }

    rw->state = NGX_HTTP_GRAPH_ATTACH_REDIS_IDLE;

    redisAsyncFree(ac);
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
                      "graph_attach redis: cannot add event");
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
                      "graph_attach redis: cannot delete event");
    }
}


/*
 * hiredis frees the context and closes the socket itself right after
 * this hook: give the nginx connection back without closing the fd.
 */

static void
ngx_http_graph_attach_redis_cleanup(void *privdata)
{
    ngx_connection_t  *c = privdata;

    ngx_http_graph_attach_redis_worker_t  *rw;

    if (c == NULL) {
        return;
    }

    rw = &ngx_http_graph_attach_redis_w;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, rw->log, 0,
                   "graph_attach redis connection released");

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

    if (rw->conn == c) {
        if (rw->state == NGX_HTTP_GRAPH_ATTACH_REDIS_CONNECTED
            && ngx_current_msec - rw->connected_at
               >= NGX_HTTP_GRAPH_ATTACH_REDIS_STABLE)
        {
            rw->backoff = NGX_HTTP_GRAPH_ATTACH_REDIS_BACKOFF_MIN;
        }

        rw->ac = NULL;
        rw->conn = NULL;
        rw->state = NGX_HTTP_GRAPH_ATTACH_REDIS_IDLE;
    }

    if (rw->connect_timer.timer_set) {
        ngx_del_timer(&rw->connect_timer);
    }

    if (rw->cmd_timer.timer_set) {
        ngx_del_timer(&rw->cmd_timer);
    }

    /* from a timer, never from here: the fd is not closed yet */
    ngx_http_graph_attach_redis_schedule();
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
    rw = &ngx_http_graph_attach_redis_w;

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


static void
ngx_http_graph_attach_redis_cmd_timeout(ngx_event_t *ev)
{
    ngx_msec_int_t                         left;
    ngx_http_graph_attach_redis_cmd_t     *cmd;
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = ev->data;

    if (ngx_queue_empty(&rw->cmds)) {
        return;
    }

    /*
     * one timer for all commands: replies come in order, so only the
     * oldest command can be late
     */

    cmd = ngx_queue_data(ngx_queue_head(&rw->cmds),
                         ngx_http_graph_attach_redis_cmd_t, queue);

    left = (ngx_msec_int_t) (cmd->deadline - ngx_current_msec);

    if (left > 0) {
        ngx_add_timer(ev, (ngx_msec_t) left);
        return;
    }

    ngx_http_graph_attach_redis_fail("no reply in time, reconnecting");

    ngx_http_graph_attach_redis_drop();
}


static void
ngx_http_graph_attach_redis_connect_timeout(ngx_event_t *ev)
{
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = ev->data;

    if (rw->state != NGX_HTTP_GRAPH_ATTACH_REDIS_CONNECTING) {
        return;
    }

    ngx_http_graph_attach_redis_fail("connect timed out");

    ngx_http_graph_attach_redis_drop();
}


static void
ngx_http_graph_attach_redis_reconnect(ngx_event_t *ev)
{
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = ev->data;

    if (rw->ac || ngx_http_graph_attach_redis_quiet()) {
        return;
    }

    ngx_http_graph_attach_redis_connect();
}


static void
ngx_http_graph_attach_redis_connected(const redisAsyncContext *ac,
    int status)
{
    size_t                                 argvlen[1];
    const char                            *argv[1];
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = &ngx_http_graph_attach_redis_w;

    if (rw->connect_timer.timer_set) {
        ngx_del_timer(&rw->connect_timer);
    }

    if (status != REDIS_OK) {
        /* hiredis frees the context when this returns: cleanup follows */
        ngx_http_graph_attach_redis_fail(ac->errstr);
        return;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, rw->log, 0,
                   "graph_attach redis connected");

    rw->state = NGX_HTTP_GRAPH_ATTACH_REDIS_CONNECTED;
    rw->connected_at = ngx_current_msec;

    /*
     * a TCP connection says little (a proxy, a stopped Redis with a full
     * backlog): Redis is "available again" on its first good reply, and
     * the PING gives one soon, under the command timeout
     */

    argv[0] = "PING";
    argvlen[0] = sizeof("PING") - 1;

    (void) ngx_http_graph_attach_redis_command(&rw->ping, 1, argv, argvlen);
}


static void
ngx_http_graph_attach_redis_pong(ngx_http_graph_attach_redis_cmd_t *cmd,
    struct redisReply *reply)
{
    /* the reply callback did the work */
}


static void
ngx_http_graph_attach_redis_disconnected(const redisAsyncContext *ac,
    int status)
{
    /*
     * REDIS_OK: we freed the context ourselves and said why;
     * the cleanup hook already ran and scheduled the reconnect
     */

    if (status != REDIS_OK) {
        ngx_http_graph_attach_redis_fail(ac->errstr);
    }
}


static void
ngx_http_graph_attach_redis_reply(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply                            *rr = reply;
    ngx_http_graph_attach_redis_cmd_t     *cmd = privdata;
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = &ngx_http_graph_attach_redis_w;

    ngx_queue_remove(&cmd->queue);

    if (ngx_queue_empty(&rw->cmds) && rw->cmd_timer.timer_set) {
        ngx_del_timer(&rw->cmd_timer);
    }

    if (rr && rr->type != REDIS_REPLY_ERROR) {
        rw->backoff = NGX_HTTP_GRAPH_ATTACH_REDIS_BACKOFF_MIN;

        if (rw->down) {
            rw->down = 0;

            if (!ngx_http_graph_attach_redis_quiet()) {
                ngx_log_error(NGX_LOG_NOTICE, rw->log, 0,
                              "graph_attach redis \"%V\" is available again",
                              &rw->amcf->redis_addr);
            }
        }
    }

    cmd->aborted = rw->exiting;

    cmd->handler(cmd, rr);
}
