/*
 * Copyright (C) graph-attach authors
 */


/*
 * Redis Sentinel: before each connection to the master, one of the
 * sentinels is asked where the master is (SENTINEL
 * get-master-addr-by-name), and the master must confirm with ROLE.  After
 * any loss the next sentinel is asked again, so a failover is followed
 * without a reload.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach_redis_int.h"


static void ngx_http_graph_attach_redis_sentinel_master(
    ngx_http_graph_attach_redis_worker_t *rw, u_char *host, size_t len,
    in_port_t port);


void
ngx_http_graph_attach_redis_sentinel_ask(
    ngx_http_graph_attach_redis_worker_t *rw)
{
    size_t                                 argvlen[3];
    const char                            *argv[3];
    redisAsyncContext                     *ac;
    ngx_http_graph_attach_redis_addr_t    *a;
    ngx_http_graph_attach_redis_server_t  *s;

    s = rw->server;

    a = s->sentinels->elts;
    a = &a[rw->sentinel % s->sentinels->nelts];

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, rw->log, 0,
                   "graph_attach: redis ask sentinel %V for \"%V\"",
                   &a->name, &s->master);

    ac = redisAsyncConnect((const char *) a->host, a->port);

    if (ngx_http_graph_attach_redis_attach(rw, ac, "sentinel") != NGX_OK) {
        rw->sentinel++;
        return;
    }

    rw->state = NGX_HTTP_GRAPH_ATTACH_REDIS_SENTINEL;

    argv[0] = "SENTINEL";
    argvlen[0] = sizeof("SENTINEL") - 1;
    argv[1] = "get-master-addr-by-name";
    argvlen[1] = sizeof("get-master-addr-by-name") - 1;
    argv[2] = (const char *) s->master.data;
    argvlen[2] = s->master.len;

    (void) ngx_http_graph_attach_redis_send(rw, &rw->ask,
                                            s->connect_timeout + s->timeout,
                                            3, argv, argvlen);
}


void
ngx_http_graph_attach_redis_sentinel_reply(
    ngx_http_graph_attach_redis_cmd_t *cmd, struct redisReply *reply)
{
    size_t                                 len;
    ngx_int_t                              port;
    ngx_str_t                              code;
    redisReply                            *host, *pr;
    ngx_http_graph_attach_redis_worker_t  *rw;
    u_char                                 canon[NGX_INET6_ADDRSTRLEN + 1];

    rw = cmd->data;

    if (reply == NULL || rw->dropping || cmd->aborted) {
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_http_graph_attach_redis_error_code(reply, &code);
        ngx_http_graph_attach_redis_fail(rw, "sentinel: %V error reply",
                                         &code);
        goto next;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
        || reply->element[0]->type != REDIS_REPLY_STRING
        || reply->element[1]->type != REDIS_REPLY_STRING)
    {
        ngx_http_graph_attach_redis_fail(rw, "sentinel does not know "
                                         "master \"%V\"",
                                         &rw->server->master);
        goto next;
    }

    host = reply->element[0];
    pr = reply->element[1];

    port = ngx_atoi((u_char *) pr->str, pr->len);

    if (port < 1 || port > 65535
        || ngx_http_graph_attach_redis_parse_ip((u_char *) host->str,
                                                host->len, canon, &len)
           != NGX_OK)
    {
        /* hostnames: announce-hostnames is on; never resolved here */
        ngx_http_graph_attach_redis_fail(rw, "sentinel named master \"%V\" "
                                         "by something that is not an IP "
                                         "address and port",
                                         &rw->server->master);
        goto next;
    }

    ngx_http_graph_attach_redis_sentinel_master(rw, canon, len,
                                                (in_port_t) port);

    rw->have_master = 1;
    rw->to_master = 1;

    ngx_http_graph_attach_redis_drop_later(rw);
    return;

next:

    rw->have_master = 0;
    ngx_http_graph_attach_redis_drop_later(rw);
}


/* the master as Sentinel names it now; a change is logged */

static void
ngx_http_graph_attach_redis_sentinel_master(
    ngx_http_graph_attach_redis_worker_t *rw, u_char *host, size_t len,
    in_port_t port)
{
    if (ngx_strcmp(host, rw->master_host) == 0 && port == rw->master_port) {
        return;
    }

    ngx_memcpy(rw->master_host, host, len + 1);
    rw->master_port = port;

    rw->master_name.data = rw->master_buf;
    rw->master_name.len = ngx_http_graph_attach_redis_addr_text(
                                                 rw->master_buf, host, len,
                                                 port)
                          - rw->master_buf;

    if (!ngx_http_graph_attach_redis_quiet(rw)) {
        ngx_log_error(NGX_LOG_NOTICE, rw->log, 0,
                      "graph_attach: redis sentinel: master \"%V\" is %V",
                      &rw->server->master, &rw->master_name);
    }
}


/* Sentinel may name a master that has just been demoted */

void
ngx_http_graph_attach_redis_role_reply(ngx_http_graph_attach_redis_cmd_t *cmd,
    struct redisReply *reply)
{
    redisReply                            *role;
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = cmd->data;

    if (reply == NULL || rw->dropping || cmd->aborted) {
        return;
    }

    role = NULL;

    if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0) {
        role = reply->element[0];
    }

    if (role == NULL
        || role->type != REDIS_REPLY_STRING
        || role->len != 6
        || ngx_strncmp(role->str, "master", 6) != 0)
    {
        ngx_http_graph_attach_redis_fail(rw, "%V is not the master of "
                                         "\"%V\", asking Sentinel again",
                                         &rw->master_name,
                                         &rw->server->master);
        ngx_http_graph_attach_redis_drop_later(rw);
    }
}


ngx_int_t
ngx_http_graph_attach_redis_sentinel_closed(
    ngx_http_graph_attach_redis_worker_t *rw)
{
    if (rw->to_master) {
        /* Sentinel named the master: connect now, from a timer */
        rw->to_master = 0;

        if (!rw->reconnect_timer.timer_set) {
            ngx_add_timer(&rw->reconnect_timer, 1);
        }

        return NGX_OK;
    }

    /* after any loss, ask (the next) Sentinel again */

    if (!rw->have_master) {
        rw->sentinel++;
    }

    rw->have_master = 0;

    return NGX_DECLINED;
}
