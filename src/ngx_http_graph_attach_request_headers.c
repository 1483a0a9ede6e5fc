
/*
 * Copyright (C) graph-attach authors
 *
 * The request that proxy_pass sends to Graph: the client headers on the
 * allow-list, the JSON body's own headers, the service token and the
 * request's client-request-id (_request_id.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_writer.h"


typedef struct {
    ngx_str_t                      name;
    char                          *why;
} ngx_http_graph_attach_owned_t;


static ngx_int_t ngx_http_graph_attach_hop_by_hop(ngx_http_request_t *r,
    ngx_http_graph_attach_pass_t *pass, u_char **hop);
static ngx_int_t ngx_http_graph_attach_rebuild_headers(ngx_http_request_t *r,
    ngx_http_graph_attach_pass_t *pass, u_char *hop);
static ngx_uint_t ngx_http_graph_attach_is_token(ngx_str_t *s);
static ngx_uint_t ngx_http_graph_attach_in(ngx_str_t *list, ngx_uint_t n,
    ngx_str_t *name);


static ngx_str_t  ngx_http_graph_attach_json_type =
    ngx_string("application/json");


/*
 * The client headers that always reach Graph: content negotiation, the
 * client's name, and tracing ids that tie Graph's logs to the client's.
 * Graph's own client-request-id is not one of them: the module sends the
 * client's only once it is judged a GUID (_request_id.c), a fresh one
 * otherwise.  Everything else Graph could act on (X-AnchorMailbox,
 * Prefer, If-Match, X-HTTP-Method-Override, ...) only passes when
 * graph_attach_pass_header names it.
 */

static ngx_str_t  ngx_http_graph_attach_pass_default[] = {
    ngx_string("accept"),
    ngx_string("accept-language"),
    ngx_string("user-agent"),
    ngx_string("x-request-id"),
    ngx_string("traceparent"),
    ngx_string("tracestate")
};


/*
 * What graph_attach_pass_header refuses: the headers that the module or
 * proxy_pass sets, those that describe the client's multipart body, the
 * client's credentials, and the hop-by-hop ones (RFC 9110, 7.6.1)
 */

static ngx_http_graph_attach_owned_t  ngx_http_graph_attach_owned[] = {
    { ngx_string("authorization"), "the module sets it (the service token)" },
    { ngx_string("content-type"), "the module sets it (the JSON body's)" },
    { ngx_string("content-length"), "the module sets it (the JSON body's)" },
    { ngx_string("client-request-id"),
      "the module sets it (the client's when it is a GUID)" },
    { ngx_string("host"), "proxy_pass sets it" },
    { ngx_string("transfer-encoding"),
      "it describes the client's multipart body" },
    { ngx_string("content-encoding"),
      "it describes the client's multipart body" },
    { ngx_string("expect"), "it describes the client's multipart body" },
    { ngx_string("cookie"), "it is the client's credential" },
    { ngx_string("proxy-authorization"), "it is the client's credential" },
    { ngx_string("connection"), "it is hop-by-hop" },
    { ngx_string("keep-alive"), "it is hop-by-hop" },
    { ngx_string("proxy-connection"), "it is hop-by-hop" },
    { ngx_string("te"), "it is hop-by-hop" },
    { ngx_string("trailer"), "it is hop-by-hop" },
    { ngx_string("upgrade"), "it is hop-by-hop" },
    { ngx_string("http2-settings"), "it is hop-by-hop" },
    { ngx_null_string, NULL }
};


/* the injected Authorization entry is known by the address of its key */

static u_char  ngx_http_graph_attach_auth_key[] = "authorization";


/*
 * The request proxy_pass sends: the client's headers that are on the
 * allow-list, and the JSON body's own.
 */

ngx_int_t
ngx_http_graph_attach_set_headers(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx)
{
    u_char                            *hop;
    ngx_str_t                          value;
    ngx_http_graph_attach_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);

    if (alcf->pass == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "graph_attach: no header allow-list");
        return NGX_ERROR;
    }

    if (ngx_http_graph_attach_hop_by_hop(r, alcf->pass, &hop) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_graph_attach_rebuild_headers(r, alcf->pass, hop) != NGX_OK) {
        return NGX_ERROR;
    }

    r->headers_in.authorization = NULL;
    r->headers_in.transfer_encoding = NULL;
    r->headers_in.chunked = 0;
    r->headers_in.content_length_n = ctx->writer->size;

    /*
     * Content-Length of the JSON, for $content_length; proxy_pass sends
     * its own from content_length_n
     */

    value.data = ngx_pnalloc(r->pool, NGX_OFF_T_LEN);
    if (value.data == NULL) {
        return NGX_ERROR;
    }

    value.len = ngx_sprintf(value.data, "%O", ctx->writer->size)
                - value.data;

    r->headers_in.content_length = ngx_http_graph_attach_push_header(
                                       &r->headers_in.headers,
                                       "Content-Length", "content-length",
                                       &value);
    if (r->headers_in.content_length == NULL) {
        return NGX_ERROR;
    }

    r->headers_in.content_type = ngx_http_graph_attach_push_header(
                                       &r->headers_in.headers,
                                       "Content-Type", "content-type",
                                       &ngx_http_graph_attach_json_type);
    if (r->headers_in.content_type == NULL) {
        return NGX_ERROR;
    }

    /* client-request-id: the client's GUID, or a fresh one */

    if (ngx_http_graph_attach_request_id(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_graph_attach_push_header(&r->headers_in.headers,
                                          "client-request-id",
                                          "client-request-id",
                                          &ctx->request_id)
        == NULL)
    {
        return NGX_ERROR;
    }

    return ngx_http_graph_attach_push_token(r, &ctx->token);
}


/*
 * Authorization: Bearer and the service token, in r's header list: hash
 * 0 hides the entry from $http_authorization and every other header
 * variable, while proxy_pass still sends it; the key's address marks it
 * for the scrub handler.  The simple POST's and an upload session's.
 */

ngx_int_t
ngx_http_graph_attach_push_token(ngx_http_request_t *r, ngx_str_t *token)
{
    u_char           *p;
    ngx_str_t         value;
    ngx_table_elt_t  *h;

    value.len = sizeof("Bearer ") - 1 + token->len;
    value.data = ngx_pnalloc(r->pool, value.len);
    if (value.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(value.data, "Bearer ", sizeof("Bearer ") - 1);
    ngx_memcpy(p, token->data, token->len);

    p = ngx_http_graph_attach_auth_key;

    h = ngx_http_graph_attach_push_header(&r->headers_in.headers,
                                          "Authorization", (char *) p,
                                          &value);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 0;

    return NGX_OK;
}


/*
 * The allowed headers that the client's Connection header names: they are
 * hop-by-hop (RFC 9110, 7.6.1) and not passed.  Each token is looked up
 * once and marked in *hop (NULL when none is allowed), so that the work is
 * linear in the size of the header, not the product of two lists.
 */

static ngx_int_t
ngx_http_graph_attach_hop_by_hop(ngx_http_request_t *r,
    ngx_http_graph_attach_pass_t *pass, u_char **hop)
{
    u_char           *p, *last, *start;
    size_t            len;
    ngx_uint_t        i, key, idx;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;
    u_char            lc[NGX_HTTP_GRAPH_ATTACH_PASS_NAME_MAX];

    *hop = NULL;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0
            || h[i].key.len != sizeof("connection") - 1
            || ngx_strncasecmp(h[i].key.data, (u_char *) "connection",
                               sizeof("connection") - 1)
               != 0)
        {
            continue;
        }

        /* "close, X-Foo , Upgrade": comma-separated tokens */

        p = h[i].value.data;
        last = p + h[i].value.len;

        while (p < last) {
            while (p < last && (*p == ',' || *p == ' ' || *p == '\t')) {
                p++;
            }

            start = p;

            while (p < last && *p != ',' && *p != ' ' && *p != '\t') {
                p++;
            }

            len = p - start;

            /* a longer token names no allowed header */

            if (len == 0 || len > pass->max_len) {
                continue;
            }

            key = ngx_hash_strlow(lc, start, len);
            idx = (ngx_uint_t) ngx_hash_find(&pass->hash, key, lc, len);

            if (idx == 0) {
                continue;
            }

            if (*hop == NULL) {
                *hop = ngx_pcalloc(r->pool, pass->n + 1);
                if (*hop == NULL) {
                    return NGX_ERROR;
                }
            }

            (*hop)[idx] = 1;
        }
    }

    return NGX_OK;
}


/*
 * A REWRITE phase handler.  The injected Authorization must reach Graph
 * and nothing else, but r->headers_in outlives the graph_attach location:
 * an internal redirect (error_page, a named location) keeps it, and a
 * subrequest (mirror) copies it.  Both pass through this phase before any
 * content handler can send it on, so it is removed here.
 */

ngx_int_t
ngx_http_graph_attach_scrub_handler(ngx_http_request_t *r)
{
    ngx_uint_t                         i;
    ngx_list_part_t                   *part;
    ngx_table_elt_t                   *h;
    ngx_http_graph_attach_ctx_t       *ctx;
    ngx_http_graph_attach_loc_conf_t  *alcf;

    /*
     * an upload session's call carries the token on purpose, to Graph
     * only.  It is routed like any subrequest, by its URI and with none
     * of the client's headers, so a configuration that routes on them
     * (an "if" on a header, a rewrite) may send it elsewhere: there the
     * createUploadSession call is refused, the token unsent.  The PUTs
     * and the DELETE carry no token.
     */

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    if (ctx && ctx->session_call) {
        alcf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);

        if (alcf->enable || ctx->upload_url.len) {
            return NGX_DECLINED;
        }

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "graph_attach: the createUploadSession call was "
                      "routed out of the graph_attach location");

        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NGX_DECLINED;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].lowcase_key == ngx_http_graph_attach_auth_key) {
            break;
        }
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "graph_attach: service token removed from the request");

    if (ngx_http_graph_attach_rebuild_headers(r, NULL, NULL) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DECLINED;
}


/*
 * Rebuilds the request header list with only the headers on the allow-list
 * pass (all of them when NULL) less those marked in hop, and never the
 * injected Authorization: nginx lists cannot drop elements.  A new list,
 * so that a subrequest never changes the parts it shares with its parent.
 * Names are lower-cased here rather than taken from lowcase_key and hash:
 * an entry another module added may not have them right, and what is
 * matched must be what proxy_pass sends, the key itself.
 */

static ngx_int_t
ngx_http_graph_attach_rebuild_headers(ngx_http_request_t *r,
    ngx_http_graph_attach_pass_t *pass, u_char *hop)
{
    ngx_uint_t        i, key, idx;
    ngx_list_t        headers;
    ngx_table_elt_t  *h, *header;
    ngx_list_part_t  *part;
    u_char            lc[NGX_HTTP_GRAPH_ATTACH_PASS_NAME_MAX];

    if (ngx_list_init(&headers, r->pool, 20, sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    part = &r->headers_in.headers.part;
    header = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            header = part->elts;
            i = 0;
        }

        if (header[i].lowcase_key == ngx_http_graph_attach_auth_key) {
            continue;
        }

        if (header[i].hash == 0) {
            continue;
        }

        if (pass) {
            if (header[i].key.len == 0
                || header[i].key.len > pass->max_len)
            {
                idx = 0;

            } else {
                key = ngx_hash_strlow(lc, header[i].key.data,
                                      header[i].key.len);
                idx = (ngx_uint_t) ngx_hash_find(&pass->hash, key, lc,
                                                 header[i].key.len);
            }

            if (idx == 0 || (hop && hop[idx])) {
                ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                               "graph_attach: header \"%V\" not passed",
                               &header[i].key);
                continue;
            }
        }

        h = ngx_list_push(&headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        *h = header[i];
    }

    r->headers_in.headers = headers;

    if (headers.last == &headers.part) {
        /* the copy's own first part, not the local one */
        r->headers_in.headers.last = &r->headers_in.headers.part;
    }

    return NGX_OK;
}


/*
 * graph_attach_pass_header name ... | off;  Repeated at one level, the
 * names add up; a level that sets any replaces the inherited list, as
 * proxy_set_header does.  Names are kept lower-cased, without the ones
 * passed anyway and without repeats, so that each has one index.
 */

char *
ngx_http_graph_attach_pass_header(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_graph_attach_loc_conf_t *alcf = conf;

    u_char                         *p;
    ngx_str_t                      *value, *s, name;
    ngx_uint_t                      i;
    ngx_http_graph_attach_owned_t  *o;

    value = cf->args->elts;

    if (cf->args->nelts == 2
        && value[1].len == 3
        && ngx_strncmp(value[1].data, "off", 3) == 0)
    {
        if (alcf->pass_headers != NGX_CONF_UNSET_PTR) {
            goto combined;
        }

        /* an empty list: only the headers passed anyway */

        alcf->pass_headers = ngx_array_create(cf->pool, 1, sizeof(ngx_str_t));
        if (alcf->pass_headers == NULL) {
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    if (alcf->pass_headers == NGX_CONF_UNSET_PTR) {
        alcf->pass_headers = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                              sizeof(ngx_str_t));
        if (alcf->pass_headers == NULL) {
            return NGX_CONF_ERROR;
        }

    } else if (alcf->pass_headers->nelts == 0) {
        goto combined;
    }

    for (i = 1; i < cf->args->nelts; i++) {

        /* "off" among names is a mistake, not a header named Off */

        if (value[i].len == 3 && ngx_strncmp(value[i].data, "off", 3) == 0) {
            goto combined;
        }

        if (!ngx_http_graph_attach_is_token(&value[i])) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid header name \"%V\" in \"%V\": "
                               "a header name is an RFC 9110 token",
                               &value[i], &cmd->name);
            return NGX_CONF_ERROR;
        }

        if (value[i].len > NGX_HTTP_GRAPH_ATTACH_PASS_NAME_MAX) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "header name \"%V\" in \"%V\" is longer "
                               "than %d bytes", &value[i], &cmd->name,
                               NGX_HTTP_GRAPH_ATTACH_PASS_NAME_MAX);
            return NGX_CONF_ERROR;
        }

        p = ngx_pnalloc(cf->pool, value[i].len);
        if (p == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_strlow(p, value[i].data, value[i].len);

        name.data = p;
        name.len = value[i].len;

        for (o = ngx_http_graph_attach_owned; o->name.len; o++) {
            if (o->name.len == name.len
                && ngx_strncmp(o->name.data, name.data, name.len) == 0)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\" cannot pass \"%V\": %s",
                                   &cmd->name, &value[i], o->why);
                return NGX_CONF_ERROR;
            }
        }

        if (ngx_http_graph_attach_in(ngx_http_graph_attach_pass_default,
                                     sizeof(ngx_http_graph_attach_pass_default)
                                     / sizeof(ngx_str_t), &name)
            || ngx_http_graph_attach_in(alcf->pass_headers->elts,
                                        alcf->pass_headers->nelts, &name))
        {
            continue;
        }

        s = ngx_array_push(alcf->pass_headers);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        *s = name;
    }

    return NGX_CONF_OK;

combined:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"%V off\" cannot be combined with header names "
                       "or another \"%V off\" at the same level",
                       &cmd->name, &cmd->name);
    return NGX_CONF_ERROR;
}


/* RFC 9110, 5.6.2: token = 1*tchar */

static ngx_uint_t
ngx_http_graph_attach_is_token(ngx_str_t *s)
{
    u_char      c;
    ngx_uint_t  i;

    if (s->len == 0) {
        return 0;
    }

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9'))
        {
            continue;
        }

        switch (c) {
        case '!': case '#': case '$': case '%': case '&': case '\'':
        case '*': case '+': case '-': case '.': case '^': case '_':
        case '`': case '|': case '~':
            continue;

        default:
            return 0;
        }
    }

    return 1;
}


static ngx_uint_t
ngx_http_graph_attach_in(ngx_str_t *list, ngx_uint_t n, ngx_str_t *name)
{
    ngx_uint_t  i;

    for (i = 0; i < n; i++) {
        if (list[i].len == name->len
            && ngx_strncmp(list[i].data, name->data, name->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * The allow-list of a location with graph_attach on: the default names
 * and the location's graph_attach_pass_header ones, in a hash, so that a
 * request's headers are matched in one pass.  A location that inherits
 * its list shares its parent's hash.
 */

ngx_int_t
ngx_http_graph_attach_pass_init(ngx_conf_t *cf,
    ngx_http_graph_attach_loc_conf_t *conf,
    ngx_http_graph_attach_loc_conf_t *prev)
{
    size_t                         bucket, size;
    ngx_str_t                     *names[2];
    ngx_uint_t                     i, j, n, nnames[2];
    ngx_array_t                    keys;
    ngx_hash_key_t                *k;
    ngx_hash_init_t                hash;
    ngx_http_graph_attach_pass_t  *pass;

    if (conf->pass_headers == prev->pass_headers && prev->pass) {
        conf->pass = prev->pass;
        return NGX_OK;
    }

    names[0] = ngx_http_graph_attach_pass_default;
    nnames[0] = sizeof(ngx_http_graph_attach_pass_default)
                / sizeof(ngx_str_t);

    names[1] = conf->pass_headers ? conf->pass_headers->elts : NULL;
    nnames[1] = conf->pass_headers ? conf->pass_headers->nelts : 0;

    if (ngx_array_init(&keys, cf->temp_pool, nnames[0] + nnames[1],
                       sizeof(ngx_hash_key_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    pass = ngx_pcalloc(cf->pool, sizeof(ngx_http_graph_attach_pass_t));
    if (pass == NULL) {
        return NGX_ERROR;
    }

    n = 0;
    bucket = 64;

    for (i = 0; i < 2; i++) {
        for (j = 0; j < nnames[i]; j++) {

            k = ngx_array_push(&keys);
            if (k == NULL) {
                return NGX_ERROR;
            }

            /* the value is the name's index, never NULL */

            k->key = names[i][j];
            k->key_hash = ngx_hash_key(k->key.data, k->key.len);
            k->value = (void *) ++n;

            pass->max_len = ngx_max(pass->max_len, k->key.len);

            /* a bucket holds an element (value, length, name) and a NULL */

            size = 2 * sizeof(void *)
                   + ngx_align(k->key.len + 2, sizeof(void *));
            bucket = ngx_max(bucket, size);
        }
    }

    pass->n = n;

    hash.hash = &pass->hash;
    hash.key = ngx_hash_key;
    hash.max_size = 1024 + 4 * n;
    hash.bucket_size = ngx_align(bucket, ngx_cacheline_size);
    hash.name = "graph_attach_pass_header_hash";
    hash.pool = cf->pool;
    hash.temp_pool = NULL;

    if (ngx_hash_init(&hash, keys.elts, keys.nelts) != NGX_OK) {
        return NGX_ERROR;
    }

    conf->pass = pass;

    return NGX_OK;
}
