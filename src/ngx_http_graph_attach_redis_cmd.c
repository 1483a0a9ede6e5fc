/*
 * Copyright (C) graph-attach authors
 */


/*
 * What goes over a worker's Redis connection: the handshake (AUTH,
 * SELECT, PING) queued behind the connect, and users' commands; the queue
 * of commands sent, their deadlines and the command timer; replies, and
 * the error replies that are about the connection.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach_redis_int.h"


static ngx_int_t ngx_http_graph_attach_redis_send_arg(
    ngx_http_graph_attach_redis_worker_t *rw,
    ngx_http_graph_attach_redis_cmd_t *cmd, ngx_msec_t timeout,
    const char *name, u_char *arg, size_t len);
static void ngx_http_graph_attach_redis_set_timer(
    ngx_http_graph_attach_redis_worker_t *rw);
static void ngx_http_graph_attach_redis_cmd_timeout(ngx_event_t *ev);
static void ngx_http_graph_attach_redis_reply(redisAsyncContext *ac,
    void *reply, void *privdata);
static ngx_int_t ngx_http_graph_attach_redis_handshake_error(
    ngx_http_graph_attach_redis_cmd_t *cmd, struct redisReply *reply,
    ngx_str_t *code);
static void ngx_http_graph_attach_redis_auth_reply(
    ngx_http_graph_attach_redis_cmd_t *cmd, struct redisReply *reply);
static void ngx_http_graph_attach_redis_select_reply(
    ngx_http_graph_attach_redis_cmd_t *cmd, struct redisReply *reply);
static void ngx_http_graph_attach_redis_ping_reply(
    ngx_http_graph_attach_redis_cmd_t *cmd, struct redisReply *reply);


/* error replies that are about the connection, not about one command */
static ngx_str_t  ngx_http_graph_attach_redis_conn_errors[] = {
    ngx_string("LOADING"),
    ngx_string("NOAUTH"),
    ngx_string("WRONGPASS"),
    ngx_string("MASTERDOWN"),
    ngx_string("BUSY"),
    ngx_null_string
};


void
ngx_http_graph_attach_redis_cmd_init(ngx_http_graph_attach_redis_worker_t *rw)
{
    ngx_queue_init(&rw->cmds);

    rw->auth.handler = ngx_http_graph_attach_redis_auth_reply;
    rw->auth.data = rw;
    rw->select.handler = ngx_http_graph_attach_redis_select_reply;
    rw->select.data = rw;
    rw->role.handler = ngx_http_graph_attach_redis_role_reply;
    rw->role.data = rw;
    rw->ping.handler = ngx_http_graph_attach_redis_ping_reply;
    rw->ping.data = rw;
    rw->ask.handler = ngx_http_graph_attach_redis_sentinel_reply;
    rw->ask.data = rw;

    /*
     * The command timer holds a worker that shuts down while a request
     * waits on a reply, at most for the command timeout: a cancelable
     * timer would let the worker exit and drop those requests.  It is
     * made cancelable whenever only internal commands (PING, AUTH...) are
     * pending.  Connect and reconnect timers are always cancelable.
     */

    rw->cmd_timer.handler = ngx_http_graph_attach_redis_cmd_timeout;
    rw->cmd_timer.data = rw;
    rw->cmd_timer.log = rw->log;
    rw->cmd_timer.cancelable = 1;
}


/*
 * Queued right behind the connect, so that requests that come while it
 * is in progress go out after them: AUTH and SELECT must come first.
 * A TCP connection says little (a proxy, a stopped Redis with a full
 * backlog, a Redis still loading its data): Redis is available on a PONG.
 */

void
ngx_http_graph_attach_redis_send_handshake(
    ngx_http_graph_attach_redis_worker_t *rw)
{
    u_char                                *p;
    ngx_msec_t                             timeout;
    u_char                                 db[NGX_INT_T_LEN];
    ngx_http_graph_attach_redis_server_t  *s;

    s = rw->server;
    timeout = s->connect_timeout + s->timeout;

    if (s->password.len
        && ngx_http_graph_attach_redis_send_arg(rw, &rw->auth, timeout,
                                                "AUTH", s->password.data,
                                                s->password.len)
           != NGX_OK)
    {
        goto failed;
    }

    if (s->db) {
        p = ngx_sprintf(db, "%i", s->db);

        if (ngx_http_graph_attach_redis_send_arg(rw, &rw->select, timeout,
                                                 "SELECT", db, p - db)
            != NGX_OK)
        {
            goto failed;
        }
    }

    if (s->sentinels
        && ngx_http_graph_attach_redis_send_arg(rw, &rw->role, timeout,
                                                "ROLE", NULL, 0)
           != NGX_OK)
    {
        goto failed;
    }

    if (ngx_http_graph_attach_redis_send_arg(rw, &rw->ping, timeout, "PING",
                                             NULL, 0)
        == NGX_OK)
    {
        return;
    }

failed:

    ngx_http_graph_attach_redis_fail(rw, "cannot queue a command");
    ngx_http_graph_attach_redis_drop_later(rw);
}


/* an internal command with one argument, or none if arg is NULL */

static ngx_int_t
ngx_http_graph_attach_redis_send_arg(ngx_http_graph_attach_redis_worker_t *rw,
    ngx_http_graph_attach_redis_cmd_t *cmd, ngx_msec_t timeout,
    const char *name, u_char *arg, size_t len)
{
    size_t       argvlen[2];
    const char  *argv[2];

    argv[0] = name;
    argvlen[0] = ngx_strlen(name);
    argv[1] = (const char *) arg;
    argvlen[1] = len;

    return ngx_http_graph_attach_redis_send(rw, cmd, timeout, arg ? 2 : 1,
                                            argv, argvlen);
}


ngx_int_t
ngx_http_graph_attach_redis_send(ngx_http_graph_attach_redis_worker_t *rw,
    ngx_http_graph_attach_redis_cmd_t *cmd, ngx_msec_t timeout, int argc,
    const char **argv, const size_t *argvlen)
{
    if (redisAsyncCommandArgv(rw->ac, ngx_http_graph_attach_redis_reply, cmd,
                              argc, argv, argvlen)
        != REDIS_OK)
    {
        cmd->user = 0;
        return NGX_ERROR;
    }

    cmd->aborted = 0;
    cmd->conn_error = 0;
    cmd->deadline = ngx_current_msec + timeout;

    ngx_queue_insert_tail(&rw->cmds, &cmd->queue);

    if (cmd->user) {
        rw->user_cmds++;
    }

    /*
     * the timer is due at the earliest deadline; a new command can only
     * bring it forward, so no walk of the queue is needed here (a stall
     * queues a command or two per request)
     */

    rw->cmd_timer.cancelable = (rw->user_cmds == 0);

    if (!rw->cmd_timer.timer_set
        || (ngx_msec_int_t) (rw->cmd_timer.timer.key - cmd->deadline) > 0)
    {
        ngx_add_timer(&rw->cmd_timer, timeout);
    }

    return NGX_OK;
}


/* the timer fires at the earliest deadline; see cmd_init() */

static void
ngx_http_graph_attach_redis_set_timer(ngx_http_graph_attach_redis_worker_t *rw)
{
    ngx_msec_int_t                      left, min;
    ngx_queue_t                        *q;
    ngx_http_graph_attach_redis_cmd_t  *cmd;

    if (ngx_queue_empty(&rw->cmds)) {
        if (rw->cmd_timer.timer_set) {
            ngx_del_timer(&rw->cmd_timer);
        }

        return;
    }

    rw->cmd_timer.cancelable = (rw->user_cmds == 0);

    min = NGX_MAX_INT32_VALUE;

    for (q = ngx_queue_head(&rw->cmds);
         q != ngx_queue_sentinel(&rw->cmds);
         q = ngx_queue_next(q))
    {
        cmd = ngx_queue_data(q, ngx_http_graph_attach_redis_cmd_t, queue);

        left = (ngx_msec_int_t) (cmd->deadline - ngx_current_msec);
        min = ngx_min(min, left);
    }

    min = ngx_max(min, 1);

    if (rw->cmd_timer.timer_set
        && (ngx_msec_int_t) (rw->cmd_timer.timer.key - ngx_current_msec)
           <= min)
    {
        return;
    }

    ngx_add_timer(&rw->cmd_timer, (ngx_msec_t) min);
}


static void
ngx_http_graph_attach_redis_cmd_timeout(ngx_event_t *ev)
{
    ngx_queue_t                           *q;
    ngx_http_graph_attach_redis_cmd_t     *cmd;
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = ev->data;

    for (q = ngx_queue_head(&rw->cmds);
         q != ngx_queue_sentinel(&rw->cmds);
         q = ngx_queue_next(q))
    {
        cmd = ngx_queue_data(q, ngx_http_graph_attach_redis_cmd_t, queue);

        if ((ngx_msec_int_t) (cmd->deadline - ngx_current_msec) <= 0) {
            goto timedout;
        }
    }

    ngx_http_graph_attach_redis_set_timer(rw);
    return;

timedout:

    /* replies come in order: everything behind it is late as well */

    ngx_http_graph_attach_redis_fail(rw, "no reply within %M ms",
                                     rw->server->timeout);

    ngx_http_graph_attach_redis_drop(rw);
}


static void
ngx_http_graph_attach_redis_reply(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply                            *rr = reply;
    ngx_str_t                             *e, code;
    ngx_http_graph_attach_redis_cmd_t     *cmd = privdata;
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = ac->data;

    ngx_queue_remove(&cmd->queue);

    if (cmd->user) {
        rw->user_cmds--;
    }

    /* while the context is torn down every command fails: no timer */

    if (rw->ac == ac && !rw->dropping) {
        ngx_http_graph_attach_redis_set_timer(rw);
    }

    cmd->aborted = rw->exiting;
    cmd->conn_error = 0;

    if (cmd->user && rr && rr->type == REDIS_REPLY_ERROR) {

        ngx_http_graph_attach_redis_error_code(rr, &code);

        for (e = ngx_http_graph_attach_redis_conn_errors; e->len; e++) {
            if (code.len == e->len
                && ngx_strncmp(code.data, e->data, e->len) == 0)
            {
                cmd->conn_error = 1;

                ngx_http_graph_attach_redis_fail(rw, "%V error reply", &code);
                ngx_http_graph_attach_redis_drop_later(rw);
                break;
            }
        }
    }

    cmd->handler(cmd, rr);
}


/*
 * NGX_OK: an error reply, its code in code; NGX_DECLINED: another reply;
 * NGX_DONE: nothing to judge (no reply, or the connection is going away)
 */

static ngx_int_t
ngx_http_graph_attach_redis_handshake_error(
    ngx_http_graph_attach_redis_cmd_t *cmd, struct redisReply *reply,
    ngx_str_t *code)
{
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = cmd->data;

    if (reply == NULL || rw->dropping || cmd->aborted) {
        return NGX_DONE;
    }

    if (reply->type != REDIS_REPLY_ERROR) {
        return NGX_DECLINED;
    }

    ngx_http_graph_attach_redis_error_code(reply, code);

    return NGX_OK;
}


static void
ngx_http_graph_attach_redis_auth_reply(ngx_http_graph_attach_redis_cmd_t *cmd,
    struct redisReply *reply)
{
    ngx_str_t  code;

    if (ngx_http_graph_attach_redis_handshake_error(cmd, reply, &code)
        != NGX_OK)
    {
        return;
    }

    ngx_http_graph_attach_redis_fail(cmd->data, "AUTH failed: %V (%s)", &code,
                                     code.len == 9
                                     && ngx_strncmp(code.data, "WRONGPASS", 9)
                                        == 0
                                     ? "wrong password"
                                     : "does the server require a password?");

    ngx_http_graph_attach_redis_drop_later(cmd->data);
}


static void
ngx_http_graph_attach_redis_select_reply(
    ngx_http_graph_attach_redis_cmd_t *cmd, struct redisReply *reply)
{
    ngx_str_t                              code;
    ngx_http_graph_attach_redis_worker_t  *rw;

    if (ngx_http_graph_attach_redis_handshake_error(cmd, reply, &code)
        != NGX_OK)
    {
        return;
    }

    rw = cmd->data;

    ngx_http_graph_attach_redis_fail(rw, "SELECT %i failed: %V",
                                     rw->server->db, &code);

    ngx_http_graph_attach_redis_drop_later(rw);
}


static void
ngx_http_graph_attach_redis_ping_reply(ngx_http_graph_attach_redis_cmd_t *cmd,
    struct redisReply *reply)
{
    ngx_int_t  rc;
    ngx_str_t  code;

    rc = ngx_http_graph_attach_redis_handshake_error(cmd, reply, &code);

    if (rc == NGX_DONE) {
        return;
    }

    if (rc == NGX_OK) {
        ngx_http_graph_attach_redis_fail(cmd->data, "PING: %V error reply",
                                         &code);
        ngx_http_graph_attach_redis_drop_later(cmd->data);
        return;
    }

    ngx_http_graph_attach_redis_ready(cmd->data);
}


/* "LOADING Redis is loading..." -> "LOADING": never more of the text */

void
ngx_http_graph_attach_redis_error_code(struct redisReply *reply,
    ngx_str_t *code)
{
    size_t  len;

    for (len = 0; len < (size_t) reply->len && len < 32; len++) {
        if (reply->str[len] < 'A' || reply->str[len] > 'Z') {
            break;
        }
    }

    code->data = (u_char *) reply->str;
    code->len = len;

    if (len == 0) {
        ngx_str_set(code, "unknown");
    }
}
