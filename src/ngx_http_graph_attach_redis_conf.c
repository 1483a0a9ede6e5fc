/*
 * Copyright (C) graph-attach authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach_redis_int.h"


/*
 * One parameter of "graph_attach_redis", "name=value".  set() returns
 * NGX_OK, NGX_DECLINED (the caller says "invalid parameter") or
 * NGX_ERROR (logged, or out of memory).  A parameter without echo is
 * never shown whole in an error: it may be a password.
 */

typedef ngx_int_t (*ngx_http_graph_attach_redis_param_pt)(ngx_conf_t *cf,
    ngx_str_t *value, ngx_str_t *arg, ngx_http_graph_attach_redis_server_t *s,
    size_t offset);

typedef struct {
    ngx_str_t                               name;
    ngx_http_graph_attach_redis_param_pt    set;
    size_t                                  offset;
    ngx_uint_t                              echo;
} ngx_http_graph_attach_redis_param_t;


static ngx_http_graph_attach_redis_param_t *
    ngx_http_graph_attach_redis_find_param(ngx_str_t *value);
static ngx_int_t ngx_http_graph_attach_redis_set_sentinels(ngx_conf_t *cf,
    ngx_str_t *value, ngx_str_t *arg, ngx_http_graph_attach_redis_server_t *s,
    size_t offset);
static ngx_int_t ngx_http_graph_attach_redis_set_master(ngx_conf_t *cf,
    ngx_str_t *value, ngx_str_t *arg, ngx_http_graph_attach_redis_server_t *s,
    size_t offset);
static ngx_int_t ngx_http_graph_attach_redis_set_str(ngx_conf_t *cf,
    ngx_str_t *value, ngx_str_t *arg, ngx_http_graph_attach_redis_server_t *s,
    size_t offset);
static ngx_int_t ngx_http_graph_attach_redis_set_db(ngx_conf_t *cf,
    ngx_str_t *value, ngx_str_t *arg, ngx_http_graph_attach_redis_server_t *s,
    size_t offset);
static ngx_int_t ngx_http_graph_attach_redis_set_msec(ngx_conf_t *cf,
    ngx_str_t *value, ngx_str_t *arg, ngx_http_graph_attach_redis_server_t *s,
    size_t offset);
static void ngx_http_graph_attach_redis_invalid(ngx_conf_t *cf,
    ngx_str_t *value);
static char *ngx_http_graph_attach_redis_check(
    ngx_http_graph_attach_redis_server_t *s);
static char *ngx_http_graph_attach_redis_add(ngx_conf_t *cf,
    ngx_http_graph_attach_loc_conf_t *alcf,
    ngx_http_graph_attach_redis_server_t *srv);
static ngx_int_t ngx_http_graph_attach_redis_parse_addr(ngx_conf_t *cf,
    ngx_str_t *text, in_port_t default_port,
    ngx_http_graph_attach_redis_addr_t *addr);
static ngx_int_t ngx_http_graph_attach_redis_split_port(ngx_str_t *text,
    ngx_str_t *ip, ngx_str_t *port);
static ngx_int_t ngx_http_graph_attach_redis_parse_unix(ngx_conf_t *cf,
    ngx_str_t *text, ngx_http_graph_attach_redis_addr_t *addr);
static ngx_int_t ngx_http_graph_attach_redis_set_id(ngx_conf_t *cf,
    ngx_http_graph_attach_redis_server_t *s);
static ngx_int_t ngx_http_graph_attach_redis_same(
    ngx_http_graph_attach_redis_server_t *a,
    ngx_http_graph_attach_redis_server_t *b);


static ngx_http_graph_attach_redis_param_t
    ngx_http_graph_attach_redis_params[] =
{
    { ngx_string("sentinel="),
      ngx_http_graph_attach_redis_set_sentinels,
      0,
      1 },

    { ngx_string("master="),
      ngx_http_graph_attach_redis_set_master,
      offsetof(ngx_http_graph_attach_redis_server_t, master),
      1 },

    { ngx_string("password="),
      ngx_http_graph_attach_redis_set_str,
      offsetof(ngx_http_graph_attach_redis_server_t, password),
      0 },

    { ngx_string("db="),
      ngx_http_graph_attach_redis_set_db,
      0,
      1 },

    { ngx_string("timeout="),
      ngx_http_graph_attach_redis_set_msec,
      offsetof(ngx_http_graph_attach_redis_server_t, timeout),
      1 },

    { ngx_string("connect_timeout="),
      ngx_http_graph_attach_redis_set_msec,
      offsetof(ngx_http_graph_attach_redis_server_t, connect_timeout),
      1 },

    { ngx_null_string, NULL, 0, 0 }
};


char *
ngx_http_graph_attach_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_graph_attach_loc_conf_t *alcf = conf;

    char                                  *rv;
    u_char                                *eq;
    ngx_int_t                              rc;
    ngx_str_t                             *value, arg;
    ngx_uint_t                             i;
    ngx_http_graph_attach_redis_param_t   *param;
    ngx_http_graph_attach_redis_server_t   srv;

    if (alcf->redis) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ngx_memzero(&srv, sizeof(ngx_http_graph_attach_redis_server_t));

    srv.timeout = NGX_HTTP_GRAPH_ATTACH_REDIS_TIMEOUT;
    srv.connect_timeout = NGX_HTTP_GRAPH_ATTACH_REDIS_TIMEOUT;

    for (i = 1; i < cf->args->nelts; i++) {

        param = ngx_http_graph_attach_redis_find_param(&value[i]);
        eq = ngx_strlchr(value[i].data, value[i].data + value[i].len, '=');

        if (param) {
            arg.len = value[i].len - param->name.len;
            arg.data = value[i].data + param->name.len;

            rc = param->set(cf, &value[i], &arg, &srv, param->offset);

        } else if (i == 1 && eq == NULL) {
            rc = ngx_http_graph_attach_redis_parse_addr(cf, &value[i],
                                           NGX_HTTP_GRAPH_ATTACH_REDIS_PORT,
                                           &srv.addr);
        } else {
            rc = NGX_DECLINED;
        }

        if (rc == NGX_DECLINED) {
            ngx_http_graph_attach_redis_invalid(cf, &value[i]);
            return NGX_CONF_ERROR;
        }

        if (rc != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    rv = ngx_http_graph_attach_redis_check(&srv);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (ngx_http_graph_attach_redis_set_id(cf, &srv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_graph_attach_redis_add(cf, alcf, &srv);
}


static ngx_http_graph_attach_redis_param_t *
ngx_http_graph_attach_redis_find_param(ngx_str_t *value)
{
    ngx_http_graph_attach_redis_param_t  *param;

    param = ngx_http_graph_attach_redis_params;

    for ( /* void */ ; param->name.len; param++) {
        if (ngx_strncmp(value->data, param->name.data, param->name.len) == 0) {
            return param;
        }
    }

    return NULL;
}


/* "sentinel=ip[:port],ip[:port],..." */

static ngx_int_t
ngx_http_graph_attach_redis_set_sentinels(ngx_conf_t *cf, ngx_str_t *value,
    ngx_str_t *arg, ngx_http_graph_attach_redis_server_t *s, size_t offset)
{
    u_char                              *p, *last, *comma;
    ngx_str_t                            item;
    ngx_http_graph_attach_redis_addr_t  *sa;

    if (s->sentinels) {
        return NGX_DECLINED;
    }

    s->sentinels = ngx_array_create(cf->pool, 3,
                                  sizeof(ngx_http_graph_attach_redis_addr_t));
    if (s->sentinels == NULL) {
        return NGX_ERROR;
    }

    p = arg->data;
    last = arg->data + arg->len;

    while (p < last) {
        comma = ngx_strlchr(p, last, ',');
        if (comma == NULL) {
            comma = last;
        }

        item.data = p;
        item.len = comma - p;

        if (item.len == 0
            || s->sentinels->nelts == NGX_HTTP_GRAPH_ATTACH_REDIS_MAX_SENTINELS)
        {
            return NGX_DECLINED;
        }

        sa = ngx_array_push(s->sentinels);
        if (sa == NULL) {
            return NGX_ERROR;
        }

        if (ngx_http_graph_attach_redis_parse_addr(cf, &item,
                                      NGX_HTTP_GRAPH_ATTACH_SENTINEL_PORT, sa)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (sa->path) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "a sentinel must be an IP address in \"%V\"",
                               value);
            return NGX_ERROR;
        }

        p = comma + 1;
    }

    return (s->sentinels->nelts == 0) ? NGX_DECLINED : NGX_OK;
}


/* "master=name": a Redis name, no spaces, no control characters */

static ngx_int_t
ngx_http_graph_attach_redis_set_master(ngx_conf_t *cf, ngx_str_t *value,
    ngx_str_t *arg, ngx_http_graph_attach_redis_server_t *s, size_t offset)
{
    u_char  *p;

    for (p = arg->data; p < arg->data + arg->len; p++) {
        if (*p <= ' ' || *p == 0x7f) {
            return NGX_DECLINED;
        }
    }

    return ngx_http_graph_attach_redis_set_str(cf, value, arg, s, offset);
}


/* "master=", "password=": not empty, once */

static ngx_int_t
ngx_http_graph_attach_redis_set_str(ngx_conf_t *cf, ngx_str_t *value,
    ngx_str_t *arg, ngx_http_graph_attach_redis_server_t *s, size_t offset)
{
    ngx_str_t  *field;

    field = (ngx_str_t *) ((char *) s + offset);

    if (field->data || arg->len == 0) {
        return NGX_DECLINED;
    }

    *field = *arg;

    return NGX_OK;
}


static ngx_int_t
ngx_http_graph_attach_redis_set_db(ngx_conf_t *cf, ngx_str_t *value,
    ngx_str_t *arg, ngx_http_graph_attach_redis_server_t *s, size_t offset)
{
    ngx_int_t  n;

    n = ngx_atoi(arg->data, arg->len);
    if (n == NGX_ERROR || n > 1000000) {
        return NGX_DECLINED;
    }

    s->db = n;

    return NGX_OK;
}


/* "timeout=", "connect_timeout=": a time, not 0 */

static ngx_int_t
ngx_http_graph_attach_redis_set_msec(ngx_conf_t *cf, ngx_str_t *value,
    ngx_str_t *arg, ngx_http_graph_attach_redis_server_t *s, size_t offset)
{
    ngx_int_t  n;

    n = ngx_parse_time(arg, 0);
    if (n == NGX_ERROR || n == 0) {
        return NGX_DECLINED;
    }

    *(ngx_msec_t *) ((char *) s + offset) = (ngx_msec_t) n;

    return NGX_OK;
}


/* never echo a password: only the parameter name */

static void
ngx_http_graph_attach_redis_invalid(ngx_conf_t *cf, ngx_str_t *value)
{
    u_char                               *p;
    ngx_http_graph_attach_redis_param_t  *param;

    p = ngx_strlchr(value->data, value->data + value->len, '=');
    param = ngx_http_graph_attach_redis_find_param(value);

    if (p && (param == NULL || !param->echo)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%*s...\"",
                           (size_t) (p + 1 - value->data), value->data);
        return;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", value);
}


static char *
ngx_http_graph_attach_redis_check(ngx_http_graph_attach_redis_server_t *s)
{
    if (s->sentinels && s->addr.name.len) {
        return "takes an address or \"sentinel=\", not both";
    }

    if (s->sentinels == NULL && s->addr.name.len == 0) {
        return "needs an address or \"sentinel=\"";
    }

    if ((s->sentinels == NULL) != (s->master.data == NULL)) {
        return "needs \"master=\" with \"sentinel=\", and only then";
    }

    return NGX_CONF_OK;
}


/* equal settings share one connection per worker */

static char *
ngx_http_graph_attach_redis_add(ngx_conf_t *cf,
    ngx_http_graph_attach_loc_conf_t *alcf,
    ngx_http_graph_attach_redis_server_t *srv)
{
    ngx_uint_t                              i;
    ngx_http_graph_attach_main_conf_t      *amcf;
    ngx_http_graph_attach_redis_server_t   *server, **sp;

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
        if (ngx_http_graph_attach_redis_same(sp[i], srv)) {
            alcf->redis = sp[i];
            return NGX_CONF_OK;
        }
    }

    server = ngx_palloc(cf->pool, sizeof(ngx_http_graph_attach_redis_server_t));
    if (server == NULL) {
        return NGX_CONF_ERROR;
    }

    *server = *srv;

    sp = ngx_array_push(amcf->redis_servers);
    if (sp == NULL) {
        return NGX_CONF_ERROR;
    }

    *sp = server;
    alcf->redis = server;

    return NGX_CONF_OK;
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
    size_t     len;
    ngx_int_t  n;
    ngx_str_t  ip, port;

    ngx_memzero(addr, sizeof(ngx_http_graph_attach_redis_addr_t));

    if (text->len >= 5 && ngx_strncmp(text->data, "unix:", 5) == 0) {
        return ngx_http_graph_attach_redis_parse_unix(cf, text, addr);
    }

    addr->host = ngx_pnalloc(cf->pool, NGX_INET6_ADDRSTRLEN + 1);
    if (addr->host == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_graph_attach_redis_split_port(text, &ip, &port) != NGX_OK
        || ngx_http_graph_attach_redis_parse_ip(ip.data, ip.len, addr->host,
                                                &len)
           != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be an IP address or unix: socket "
                           "(host names are not resolved)", text);
        return NGX_ERROR;
    }

    addr->port = default_port;

    if (port.data) {
        n = ngx_atoi(port.data, port.len);
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

    addr->name.len = ngx_http_graph_attach_redis_addr_text(addr->name.data,
                                                           addr->host, len,
                                                           addr->port)
                     - addr->name.data;

    return NGX_OK;
}


/*
 * "ip", "ip:port", "[ip6]", "[ip6]:port" or a bare "ip6": the address in
 * ip, the port in port (port->data is NULL without one)
 */

static ngx_int_t
ngx_http_graph_attach_redis_split_port(ngx_str_t *text, ngx_str_t *ip,
    ngx_str_t *port)
{
    u_char  *p, *last, *close, *colon;

    p = text->data;
    last = p + text->len;

    port->len = 0;
    port->data = NULL;

    if (p < last && *p == '[') {
        close = ngx_strlchr(p, last, ']');
        if (close == NULL) {
            return NGX_ERROR;
        }

        if (close + 1 < last) {
            if (close[1] != ':') {
                return NGX_ERROR;
            }

            port->data = close + 2;
            port->len = last - port->data;
        }

        p++;
        last = close;

    } else {
        colon = ngx_strlchr(p, last, ':');

        /* one colon: a port; more: a bare IPv6 address */

        if (colon && ngx_strlchr(colon + 1, last, ':') == NULL) {
            port->data = colon + 1;
            port->len = last - port->data;
            last = colon;
        }
    }

    ip->data = p;
    ip->len = last - p;

    return NGX_OK;
}


static ngx_int_t
ngx_http_graph_attach_redis_parse_unix(ngx_conf_t *cf, ngx_str_t *text,
    ngx_http_graph_attach_redis_addr_t *addr)
{
    u_char  *p;
    size_t   len;

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


/* an IPv4 or IPv6 literal into canonical text, "\0"-terminated */

ngx_int_t
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


/* "ip:port" or "[ip6]:port" into buf, NGX_SOCKADDR_STRLEN bytes */

u_char *
ngx_http_graph_attach_redis_addr_text(u_char *buf, u_char *host,
    size_t host_len, in_port_t port)
{
    return ngx_sprintf(buf, ngx_strlchr(host, host + host_len, ':')
                            ? "[%s]:%d" : "%s:%d",
                       host, (int) port);
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


ngx_str_t *
ngx_http_graph_attach_redis_label(ngx_http_graph_attach_redis_server_t *server)
{
    if (!server->used) {
        return NULL;
    }

    return server->sentinels ? &server->master : &server->addr.name;
}
