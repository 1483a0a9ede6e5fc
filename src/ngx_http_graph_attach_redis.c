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


static ngx_int_t ngx_http_graph_attach_redis_parse_addr(ngx_conf_t *cf,
    ngx_str_t *text, in_port_t default_port,
    ngx_http_graph_attach_redis_addr_t *addr);
static ngx_int_t ngx_http_graph_attach_redis_parse_ip(u_char *p, size_t len,
    u_char *host, size_t *host_len);
static ngx_int_t ngx_http_graph_attach_redis_set_id(ngx_conf_t *cf,
    ngx_http_graph_attach_redis_server_t *s);
static ngx_int_t ngx_http_graph_attach_redis_same(
    ngx_http_graph_attach_redis_server_t *a,
    ngx_http_graph_attach_redis_server_t *b);

static ngx_int_t ngx_http_graph_attach_redis_quiet(
    ngx_http_graph_attach_redis_worker_t *rw);
static ngx_int_t ngx_http_graph_attach_redis_usable(
    ngx_http_graph_attach_redis_worker_t *rw);
static void ngx_http_graph_attach_redis_connect(
    ngx_http_graph_attach_redis_worker_t *rw);
static ngx_int_t ngx_http_graph_attach_redis_attach(
    ngx_http_graph_attach_redis_worker_t *rw, redisAsyncContext *ac,
    const char *what);
static ngx_int_t ngx_http_graph_attach_redis_send(
    ngx_http_graph_attach_redis_worker_t *rw,
    ngx_http_graph_attach_redis_cmd_t *cmd, ngx_msec_t timeout, int argc,
    const char **argv, const size_t *argvlen);
static void ngx_http_graph_attach_redis_send_handshake(
    ngx_http_graph_attach_redis_worker_t *rw);
static void ngx_http_graph_attach_redis_schedule(
    ngx_http_graph_attach_redis_worker_t *rw);
static void ngx_http_graph_attach_redis_fail(
    ngx_http_graph_attach_redis_worker_t *rw, const char *fmt, ...);
static void ngx_http_graph_attach_redis_drop(
    ngx_http_graph_attach_redis_worker_t *rw);
static void ngx_http_graph_attach_redis_drop_later(
    ngx_http_graph_attach_redis_worker_t *rw);
static void ngx_http_graph_attach_redis_error_code(redisReply *reply,
    ngx_str_t *code);

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
static void ngx_http_graph_attach_redis_drop_handler(ngx_event_t *ev);
static void ngx_http_graph_attach_redis_set_timer(
    ngx_http_graph_attach_redis_worker_t *rw);

static void ngx_http_graph_attach_redis_connected(const redisAsyncContext *ac,
    int status);
static void ngx_http_graph_attach_redis_disconnected(
    const redisAsyncContext *ac, int status);
static void ngx_http_graph_attach_redis_reply(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_graph_attach_redis_handshake_reply(
    ngx_http_graph_attach_redis_cmd_t *cmd, struct redisReply *reply);
static void ngx_http_graph_attach_redis_sentinel_reply(
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


char *
ngx_http_graph_attach_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_graph_attach_loc_conf_t *alcf = conf;

    u_char                                *p, *last, *comma;
    ngx_int_t                              n;
    ngx_str_t                             *value, s, item;
    ngx_uint_t                             i;
    ngx_http_graph_attach_redis_addr_t    *sa;
    ngx_http_graph_attach_main_conf_t     *amcf;
    ngx_http_graph_attach_redis_server_t   srv, *server, **sp;

    if (alcf->redis) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ngx_memzero(&srv, sizeof(ngx_http_graph_attach_redis_server_t));

    srv.timeout = NGX_HTTP_GRAPH_ATTACH_REDIS_TIMEOUT;
    srv.connect_timeout = NGX_HTTP_GRAPH_ATTACH_REDIS_TIMEOUT;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "sentinel=", 9) == 0) {

            if (srv.sentinels) {
                goto invalid;
            }

            srv.sentinels = ngx_array_create(cf->pool, 3,
                                  sizeof(ngx_http_graph_attach_redis_addr_t));
            if (srv.sentinels == NULL) {
                return NGX_CONF_ERROR;
            }

            p = value[i].data + 9;
            last = value[i].data + value[i].len;

            while (p < last) {
                comma = ngx_strlchr(p, last, ',');
                if (comma == NULL) {
                    comma = last;
                }

                item.data = p;
                item.len = comma - p;

                if (item.len == 0
                    || srv.sentinels->nelts
                       == NGX_HTTP_GRAPH_ATTACH_REDIS_MAX_SENTINELS)
                {
                    goto invalid;
                }

                sa = ngx_array_push(srv.sentinels);
                if (sa == NULL) {
                    return NGX_CONF_ERROR;
                }

                if (ngx_http_graph_attach_redis_parse_addr(cf, &item,
                                      NGX_HTTP_GRAPH_ATTACH_SENTINEL_PORT, sa)
                    != NGX_OK)
                {
                    return NGX_CONF_ERROR;
                }

                if (sa->path) {
                    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                       "a sentinel must be an IP address "
                                       "in \"%V\"", &value[i]);
                    return NGX_CONF_ERROR;
                }

                p = comma + 1;
            }

            if (srv.sentinels->nelts == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "master=", 7) == 0) {

            if (srv.master.data || value[i].len == 7) {
                goto invalid;
            }

            /* a Redis name: no spaces, no control characters */

            for (p = value[i].data + 7; p < value[i].data + value[i].len; p++)
            {
                if (*p <= ' ' || *p == 0x7f) {
                    goto invalid;
                }
            }

            srv.master.len = value[i].len - 7;
            srv.master.data = value[i].data + 7;
            continue;
        }

        if (ngx_strncmp(value[i].data, "password=", 9) == 0) {

            if (srv.password.data || value[i].len == 9) {
                goto invalid;
            }

            srv.password.len = value[i].len - 9;
            srv.password.data = value[i].data + 9;
            continue;
        }

        if (ngx_strncmp(value[i].data, "db=", 3) == 0) {

            n = ngx_atoi(value[i].data + 3, value[i].len - 3);
            if (n == NGX_ERROR || n > 1000000) {
                goto invalid;
            }

            srv.db = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "timeout=", 8) == 0) {

            s.len = value[i].len - 8;
            s.data = value[i].data + 8;

            n = ngx_parse_time(&s, 0);
            if (n == NGX_ERROR || n == 0) {
                goto invalid;
            }

            srv.timeout = (ngx_msec_t) n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "connect_timeout=", 16) == 0) {

            s.len = value[i].len - 16;
            s.data = value[i].data + 16;

            n = ngx_parse_time(&s, 0);
            if (n == NGX_ERROR || n == 0) {
                goto invalid;
            }

            srv.connect_timeout = (ngx_msec_t) n;
            continue;
        }

        if (i == 1 && ngx_strlchr(value[i].data,
                                  value[i].data + value[i].len, '=') == NULL)
        {
            if (ngx_http_graph_attach_redis_parse_addr(cf, &value[i],
                                           NGX_HTTP_GRAPH_ATTACH_REDIS_PORT,
                                           &srv.addr)
                != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        goto invalid;
    }

    if (srv.sentinels && srv.addr.name.len) {
        return "takes an address or \"sentinel=\", not both";
    }

    if (srv.sentinels == NULL && srv.addr.name.len == 0) {
        return "needs an address or \"sentinel=\"";
    }

    if ((srv.sentinels == NULL) != (srv.master.data == NULL)) {
        return "needs \"master=\" with \"sentinel=\", and only then";
    }

    if (ngx_http_graph_attach_redis_set_id(cf, &srv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* equal settings share one connection per worker */

    amcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_graph_attach_module);

    if (amcf->redis_servers == NULL) {
        amcf->redis_servers = ngx_array_create(cf->pool, 2,
                                sizeof(ngx_http_graph_attach_redis_server_t *));
        if (amcf->redis_servers == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    sp = amcf->redis_servers->elts;

    for (i = 0; i < amcf->redis_servers->nelts; i++) {
        if (ngx_http_graph_attach_redis_same(sp[i], &srv)) {
            alcf->redis = sp[i];
            return NGX_CONF_OK;
        }
    }

    server = ngx_palloc(cf->pool, sizeof(ngx_http_graph_attach_redis_server_t));
    if (server == NULL) {
        return NGX_CONF_ERROR;
    }

    *server = srv;

    sp = ngx_array_push(amcf->redis_servers);
    if (sp == NULL) {
        return NGX_CONF_ERROR;
    }

    *sp = server;
    alcf->redis = server;

    return NGX_CONF_OK;

invalid:

    /* never echo a password: only the parameter name */

    p = ngx_strlchr(value[i].data, value[i].data + value[i].len, '=');

    if (p && ngx_strncmp(value[i].data, "sentinel=", 9) != 0
        && ngx_strncmp(value[i].data, "master=", 7) != 0
        && ngx_strncmp(value[i].data, "db=", 3) != 0
        && ngx_strncmp(value[i].data, "timeout=", 8) != 0
        && ngx_strncmp(value[i].data, "connect_timeout=", 16) != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%*s...\"",
                           (size_t) (p + 1 - value[i].data), value[i].data);

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
    }

    return NGX_CONF_ERROR;
}


/*
 * hiredis connects with getaddrinfo(), which blocks on a name: only IP
 * literals and unix sockets are accepted, and the IP is written back in
 * canonical form so that getaddrinfo() cannot read it differently from
 * nginx (inet_aton() takes "010" as octal).
 */

static ngx_int_t
ngx_http_graph_attach_redis_parse_addr(ngx_conf_t *cf, ngx_str_t *text,
    in_port_t default_port, ngx_http_graph_attach_redis_addr_t *addr)
{
    u_char     *p, *last, *port, *close, *colon;
    size_t      len, plen;
    ngx_int_t   n;

    ngx_memzero(addr, sizeof(ngx_http_graph_attach_redis_addr_t));

    if (text->len >= 5 && ngx_strncmp(text->data, "unix:", 5) == 0) {

        len = text->len - 5;

        if (len == 0 || len >= sizeof(((struct sockaddr_un *) 0)->sun_path)
            || ngx_strlchr(text->data, text->data + text->len, '\0'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid unix socket path in \"%V\"", text);
            return NGX_ERROR;
        }

        p = ngx_pnalloc(cf->pool, len + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(p, text->data + 5, len);
        p[len] = '\0';

        addr->path = p;
        addr->name = *text;

        return NGX_OK;
    }

    addr->host = ngx_pnalloc(cf->pool, NGX_INET6_ADDRSTRLEN + 1);
    if (addr->host == NULL) {
        return NGX_ERROR;
    }

    p = text->data;
    last = p + text->len;
    port = NULL;
    plen = 0;

    if (p < last && *p == '[') {
        close = ngx_strlchr(p, last, ']');
        if (close == NULL) {
            goto not_ip;
        }

        if (close + 1 < last) {
            if (close[1] != ':') {
                goto not_ip;
            }

            port = close + 2;
            plen = last - port;
        }

        p++;
        last = close;

    } else {
        colon = ngx_strlchr(p, last, ':');

        /* one colon: a port; more: a bare IPv6 address */

        if (colon && ngx_strlchr(colon + 1, last, ':') == NULL) {
            port = colon + 1;
            plen = last - port;
            last = colon;
        }
    }

    if (ngx_http_graph_attach_redis_parse_ip(p, last - p, addr->host, &len)
        != NGX_OK)
    {
        goto not_ip;
    }

    addr->port = default_port;

    if (port) {
        n = ngx_atoi(port, plen);
        if (n < 1 || n > 65535) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid port in \"%V\"", text);
            return NGX_ERROR;
        }

        addr->port = (in_port_t) n;
    }

    addr->name.data = ngx_pnalloc(cf->pool, NGX_SOCKADDR_STRLEN);
    if (addr->name.data == NULL) {
        return NGX_ERROR;
    }

    addr->name.len = ngx_sprintf(addr->name.data,
                                 ngx_strlchr(addr->host, addr->host + len, ':')
                                 ? "[%s]:%d" : "%s:%d",
                                 addr->host, (int) addr->port)
                     - addr->name.data;

    return NGX_OK;

not_ip:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"%V\" must be an IP address or unix: socket "
                       "(host names are not resolved)", text);

    return NGX_ERROR;
}


/* an IPv4 or IPv6 literal into canonical text, "\0"-terminated */

static ngx_int_t
ngx_http_graph_attach_redis_parse_ip(u_char *p, size_t len, u_char *host,
    size_t *host_len)
{
    in_addr_t  in;
#if (NGX_HAVE_INET6)
    u_char     in6[16];
#endif

    if (len == 0) {
        return NGX_ERROR;
    }

    if (ngx_strlchr(p, p + len, ':')) {
#if (NGX_HAVE_INET6)
        if (ngx_inet6_addr(p, len, in6) != NGX_OK) {
            return NGX_ERROR;
        }

        *host_len = ngx_inet_ntop(AF_INET6, in6, host, NGX_INET6_ADDRSTRLEN);
        host[*host_len] = '\0';
        return NGX_OK;
#else
        return NGX_ERROR;
#endif
    }

    in = ngx_inet_addr(p, len);
    if (in == INADDR_NONE) {
        return NGX_ERROR;
    }

    *host_len = ngx_inet_ntop(AF_INET, &in, host, NGX_INET6_ADDRSTRLEN);
    host[*host_len] = '\0';

    return NGX_OK;
}


/*
 * name: what logs call the server (never the password).
 * id: what the cached tokens are filed under: the data behind the
 * server, so the timeouts are not part of it, but a digest of the
 * password is (an ACL user may see other keys than the default user).
 */

static ngx_int_t
ngx_http_graph_attach_redis_set_id(ngx_conf_t *cf,
    ngx_http_graph_attach_redis_server_t *s)
{
    u_char                              *p;
    size_t                               len;
    ngx_uint_t                           i;
    ngx_http_graph_attach_redis_addr_t  *sa;

    len = s->addr.name.len + s->master.len + sizeof(" db=") + NGX_INT_T_LEN
          + sizeof("sentinel= master=");

    if (s->sentinels) {
        sa = s->sentinels->elts;
        for (i = 0; i < s->sentinels->nelts; i++) {
            len += sa[i].name.len + 1;
        }
    }

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    s->name.data = p;

    if (s->sentinels) {
        p = ngx_cpymem(p, "sentinel=", 9);

        sa = s->sentinels->elts;
        for (i = 0; i < s->sentinels->nelts; i++) {
            if (i) {
                *p++ = ',';
            }

            p = ngx_cpymem(p, sa[i].name.data, sa[i].name.len);
        }

        p = ngx_sprintf(p, " master=%V", &s->master);

    } else {
        p = ngx_cpymem(p, s->addr.name.data, s->addr.name.len);
    }

    if (s->db) {
        p = ngx_sprintf(p, " db=%i", s->db);
    }

    s->name.len = p - s->name.data;

    s->id.data = ngx_pnalloc(cf->pool, s->name.len + sizeof(" auth=") + 8);
    if (s->id.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(s->id.data, s->name.data, s->name.len);

    if (s->password.len) {
        p = ngx_sprintf(p, " auth=%08xD",
                        ngx_crc32_long(s->password.data, s->password.len));
    }

    s->id.len = p - s->id.data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_graph_attach_redis_same(ngx_http_graph_attach_redis_server_t *a,
    ngx_http_graph_attach_redis_server_t *b)
{
    return a->name.len == b->name.len
           && ngx_strncmp(a->name.data, b->name.data, a->name.len) == 0
           && a->password.len == b->password.len
           && ngx_strncmp(a->password.data, b->password.data,
                          a->password.len) == 0
           && a->timeout == b->timeout
           && a->connect_timeout == b->connect_timeout;
}


void
ngx_http_graph_attach_redis_use(ngx_http_graph_attach_redis_server_t *server)
{
    server->used = 1;
}


ngx_str_t *
ngx_http_graph_attach_redis_id(ngx_http_graph_attach_redis_server_t *server)
{
    return &server->id;
}


ngx_int_t
ngx_http_graph_attach_redis_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                              i;
    ngx_http_graph_attach_main_conf_t      *amcf;
    ngx_http_graph_attach_redis_worker_t   *rw;
    ngx_http_graph_attach_redis_server_t  **sp, *s;

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
        s = sp[i];

        if (!s->used) {
            continue;
        }

        rw = ngx_pcalloc(cycle->pool,
                         sizeof(ngx_http_graph_attach_redis_worker_t));
        if (rw == NULL) {
            return NGX_ERROR;
        }

        s->worker = rw;

        rw->server = s;
        rw->log = cycle->log;
        rw->backoff = NGX_HTTP_GRAPH_ATTACH_REDIS_BACKOFF_MIN;

        /* workers do not all ask the same Sentinel first */
        if (s->sentinels) {
            rw->sentinel = (ngx_uint_t) ngx_worker % s->sentinels->nelts;
        }

        ngx_queue_init(&rw->cmds);

        rw->auth.handler = ngx_http_graph_attach_redis_handshake_reply;
        rw->auth.data = rw;
        rw->select.handler = ngx_http_graph_attach_redis_handshake_reply;
        rw->select.data = rw;
        rw->role.handler = ngx_http_graph_attach_redis_handshake_reply;
        rw->role.data = rw;
        rw->ping.handler = ngx_http_graph_attach_redis_handshake_reply;
        rw->ping.data = rw;
        rw->ask.handler = ngx_http_graph_attach_redis_sentinel_reply;
        rw->ask.data = rw;

        /*
         * The command timer holds a worker that shuts down while a
         * request waits on a reply, at most for the command timeout: a
         * cancelable timer would let the worker exit and drop those
         * requests.  It is made cancelable whenever only internal
         * commands (PING, AUTH...) are pending.  Connect and reconnect
         * timers are always cancelable.
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

        rw->drop_event.handler = ngx_http_graph_attach_redis_drop_handler;
        rw->drop_event.data = rw;
        rw->drop_event.log = cycle->log;

        ngx_http_graph_attach_redis_connect(rw);
    }

    return NGX_OK;
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


static ngx_int_t
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
    size_t                                 argvlen[3];
    const char                            *argv[3];
    redisAsyncContext                     *ac;
    ngx_http_graph_attach_redis_addr_t    *a;
    ngx_http_graph_attach_redis_server_t  *s;

    s = rw->server;

    if (s->sentinels && !rw->have_master) {

        a = s->sentinels->elts;
        a = &a[rw->sentinel % s->sentinels->nelts];

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, rw->log, 0,
                       "graph_attach redis ask sentinel %V for \"%V\"",
                       &a->name, &s->master);

        ac = redisAsyncConnect((const char *) a->host, a->port);

        if (ngx_http_graph_attach_redis_attach(rw, ac, "sentinel") != NGX_OK)
        {
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
        return;
    }

    /* non-blocking connect(); the address is a literal, nothing resolves */

    if (s->sentinels) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rw->log, 0,
                       "graph_attach redis connect to master %V",
                       &rw->master_name);

        ac = redisAsyncConnect((const char *) rw->master_host,
                               rw->master_port);

    } else if (s->addr.path) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rw->log, 0,
                       "graph_attach redis connect to %V", &s->addr.name);

        ac = redisAsyncConnectUnix((const char *) s->addr.path);

    } else {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rw->log, 0,
                       "graph_attach redis connect to %V", &s->addr.name);

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

static ngx_int_t
ngx_http_graph_attach_redis_attach(ngx_http_graph_attach_redis_worker_t *rw,
    redisAsyncContext *ac, const char *what)
{
    ngx_connection_t  *c;

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

    c = ngx_get_connection(ac->c.fd, rw->log);
    if (c == NULL) {
        ngx_http_graph_attach_redis_fail(rw, "no free connection");
        redisAsyncFree(ac);
        ngx_http_graph_attach_redis_schedule(rw);
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

    rw->ac = ac;
    rw->conn = c;
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


/*
 * Queued right behind the connect, so that requests that come while it
 * is in progress go out after them: AUTH and SELECT must come first.
 */

static void
ngx_http_graph_attach_redis_send_handshake(
    ngx_http_graph_attach_redis_worker_t *rw)
{
    u_char                                *p;
    size_t                                 argvlen[2];
    ngx_msec_t                             timeout;
    const char                            *argv[2];
    u_char                                 db[NGX_INT_T_LEN];
    ngx_http_graph_attach_redis_server_t  *s;

    s = rw->server;
    timeout = s->connect_timeout + s->timeout;

    if (s->password.len) {
        argv[0] = "AUTH";
        argvlen[0] = sizeof("AUTH") - 1;
        argv[1] = (const char *) s->password.data;
        argvlen[1] = s->password.len;

        if (ngx_http_graph_attach_redis_send(rw, &rw->auth, timeout, 2, argv,
                                             argvlen)
            != NGX_OK)
        {
            goto failed;
        }
    }

    if (s->db) {
        p = ngx_sprintf(db, "%i", s->db);

        argv[0] = "SELECT";
        argvlen[0] = sizeof("SELECT") - 1;
        argv[1] = (const char *) db;
        argvlen[1] = p - db;

        if (ngx_http_graph_attach_redis_send(rw, &rw->select, timeout, 2,
                                             argv, argvlen)
            != NGX_OK)
        {
            goto failed;
        }
    }

    /* Sentinel may name a master that has just been demoted */

    if (s->sentinels) {
        argv[0] = "ROLE";
        argvlen[0] = sizeof("ROLE") - 1;

        if (ngx_http_graph_attach_redis_send(rw, &rw->role, timeout, 1, argv,
                                             argvlen)
            != NGX_OK)
        {
            goto failed;
        }
    }

    /*
     * a TCP connection says little (a proxy, a stopped Redis with a full
     * backlog, a Redis still loading its data): Redis is available on a
     * PONG
     */

    argv[0] = "PING";
    argvlen[0] = sizeof("PING") - 1;

    if (ngx_http_graph_attach_redis_send(rw, &rw->ping, timeout, 1, argv,
                                         argvlen)
        == NGX_OK)
    {
        return;
    }

failed:

    ngx_http_graph_attach_redis_fail(rw, "cannot queue a command");
    ngx_http_graph_attach_redis_drop_later(rw);
}


static ngx_int_t
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


/* the timer fires at the earliest deadline; see init_process */

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
                   "graph_attach redis reconnect in %M ms", delay);

    ngx_add_timer(&rw->reconnect_timer, delay);
}


/* one line per outage, not one per request or per attempt */

static void
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
                       "graph_attach redis still unavailable: %*s",
                       p - reason, reason);
        return;
    }

    rw->down = 1;

    if (ngx_http_graph_attach_redis_quiet(rw)) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, rw->log, 0,
                  "graph_attach redis \"%V\" is unavailable: %*s",
                  &rw->server->name, p - reason, reason);
}


/*
 * Frees the context: hiredis runs the pending callbacks with a NULL reply,
 * then our cleanup, which releases the connection and schedules a
 * reconnect.  Never called from inside a hiredis callback: those use
 * drop_later().
 */

static void
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


static void
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
 * this hook (the pending callbacks have run): give the nginx connection
 * back without closing the fd, and plan what comes next.
 */

static void
ngx_http_graph_attach_redis_cleanup(void *privdata)
{
    ngx_connection_t  *c = privdata;

    ngx_uint_t                             state;
    redisAsyncContext                     *ac;
    ngx_http_graph_attach_redis_worker_t  *rw;

    if (c == NULL) {
        return;
    }

    ac = c->data;
    rw = ac->data;

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

    if (rw->conn != c) {
        return;
    }

    state = rw->state;

    if (state == NGX_HTTP_GRAPH_ATTACH_REDIS_READY
        && ngx_current_msec - rw->connected_at
           >= NGX_HTTP_GRAPH_ATTACH_REDIS_STABLE)
    {
        rw->backoff = NGX_HTTP_GRAPH_ATTACH_REDIS_BACKOFF_MIN;
    }

    rw->ac = NULL;
    rw->conn = NULL;
    rw->state = NGX_HTTP_GRAPH_ATTACH_REDIS_IDLE;
    rw->dropping = 0;

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

    if (rw->to_master) {
        /* Sentinel named the master: connect now, from a timer */
        rw->to_master = 0;

        if (!rw->reconnect_timer.timer_set) {
            ngx_add_timer(&rw->reconnect_timer, 1);
        }

        return;
    }

    if (rw->server->sentinels) {
        /* after any loss, ask (the next) Sentinel again */
        if (!rw->have_master) {
            rw->sentinel++;
        }

        rw->have_master = 0;
    }

    /* from a timer, never from here: the fd is not closed yet */
    ngx_http_graph_attach_redis_schedule(rw);
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
ngx_http_graph_attach_redis_connect_timeout(ngx_event_t *ev)
{
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = ev->data;

    if (rw->ac == NULL || (rw->ac->c.flags & REDIS_CONNECTED)) {
        return;
    }

    ngx_http_graph_attach_redis_fail(rw, "connect to %s timed out",
                                     rw->state
                                     == NGX_HTTP_GRAPH_ATTACH_REDIS_SENTINEL
                                     ? "sentinel" : "redis");

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
                                         rw->state
                                         == NGX_HTTP_GRAPH_ATTACH_REDIS_SENTINEL
                                         ? "sentinel" : "redis",
                                         ac->errstr);
        return;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, rw->log, 0,
                   "graph_attach redis connected");

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


static void
ngx_http_graph_attach_redis_handshake_reply(
    ngx_http_graph_attach_redis_cmd_t *cmd, struct redisReply *reply)
{
    ngx_str_t                              code;
    redisReply                            *role;
    ngx_http_graph_attach_redis_worker_t  *rw;

    rw = cmd->data;

    if (reply == NULL || rw->dropping || cmd->aborted) {
        return;
    }

    if (cmd == &rw->auth) {
        if (reply->type == REDIS_REPLY_ERROR) {
            ngx_http_graph_attach_redis_error_code(reply, &code);
            ngx_http_graph_attach_redis_fail(rw,
                                    "AUTH failed: %V (%s)", &code,
                                    code.len == 9
                                    && ngx_strncmp(code.data, "WRONGPASS", 9)
                                       == 0
                                    ? "wrong password"
                                    : "does the server require a password?");
            ngx_http_graph_attach_redis_drop_later(rw);
        }

        return;
    }

    if (cmd == &rw->select) {
        if (reply->type == REDIS_REPLY_ERROR) {
            ngx_http_graph_attach_redis_error_code(reply, &code);
            ngx_http_graph_attach_redis_fail(rw, "SELECT %i failed: %V",
                                             rw->server->db, &code);
            ngx_http_graph_attach_redis_drop_later(rw);
        }

        return;
    }

    if (cmd == &rw->role) {
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

        return;
    }

    /* PING */

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_http_graph_attach_redis_error_code(reply, &code);
        ngx_http_graph_attach_redis_fail(rw, "PING: %V error reply", &code);
        ngx_http_graph_attach_redis_drop_later(rw);
        return;
    }

    rw->state = NGX_HTTP_GRAPH_ATTACH_REDIS_READY;
    rw->backoff = NGX_HTTP_GRAPH_ATTACH_REDIS_BACKOFF_MIN;

    if (!rw->down) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, rw->log, 0,
                       "graph_attach redis ready");
        return;
    }

    rw->down = 0;

    if (ngx_http_graph_attach_redis_quiet(rw)) {
        return;
    }

    if (rw->server->sentinels) {
        ngx_log_error(NGX_LOG_NOTICE, rw->log, 0,
                      "graph_attach redis \"%V\" is available again at %V",
                      &rw->server->name, &rw->master_name);

    } else {
        ngx_log_error(NGX_LOG_NOTICE, rw->log, 0,
                      "graph_attach redis \"%V\" is available again",
                      &rw->server->name);
    }
}


static void
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

    if (ngx_strcmp(canon, rw->master_host) != 0
        || (in_port_t) port != rw->master_port)
    {
        ngx_memcpy(rw->master_host, canon, len + 1);
        rw->master_port = (in_port_t) port;

        rw->master_name.data = rw->master_buf;
        rw->master_name.len = ngx_sprintf(rw->master_buf,
                                          ngx_strlchr(canon, canon + len, ':')
                                          ? "[%s]:%d" : "%s:%d",
                                          canon, (int) port)
                              - rw->master_buf;

        if (!ngx_http_graph_attach_redis_quiet(rw)) {
            ngx_log_error(NGX_LOG_NOTICE, rw->log, 0,
                          "graph_attach redis sentinel: master \"%V\" is %V",
                          &rw->server->master, &rw->master_name);
        }
    }

    rw->have_master = 1;
    rw->to_master = 1;

    ngx_http_graph_attach_redis_drop_later(rw);
    return;

next:

    rw->have_master = 0;
    ngx_http_graph_attach_redis_drop_later(rw);
}


/* "LOADING Redis is loading..." -> "LOADING": never more of the text */

static void
ngx_http_graph_attach_redis_error_code(redisReply *reply, ngx_str_t *code)
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
