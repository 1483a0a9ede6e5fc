
/*
 * Copyright (C) graph-attach authors
 *
 * The request that proxy_pass sends to Graph: headers rewritten for the
 * JSON body, the service token, a fresh client-request-id.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/rand.h>

#include "ngx_http_graph_attach.h"


static ngx_str_t *ngx_http_graph_attach_hop_by_hop(ngx_http_request_t *r);
static ngx_int_t ngx_http_graph_attach_rebuild_headers(ngx_http_request_t *r,
    ngx_str_t *drop);
static ngx_int_t ngx_http_graph_attach_request_id(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx);


static ngx_str_t  ngx_http_graph_attach_json_type =
    ngx_string("application/json");


/*
 * Never forwarded: the client's credentials (Graph gets the service token
 * instead), what describes the multipart body, and hop-by-hop headers.
 * proxy_set_header NAME ""; drops any other.
 */

static ngx_str_t  ngx_http_graph_attach_drop[] = {
    ngx_string("authorization"),
    ngx_string("proxy-authorization"),
    ngx_string("cookie"),
    ngx_string("content-type"),
    ngx_string("content-length"),
    ngx_string("transfer-encoding"),
    ngx_string("content-encoding"),
    ngx_string("expect"),
    ngx_string("client-request-id"),
    ngx_string("connection"),
    ngx_string("keep-alive"),
    ngx_string("proxy-connection"),
    ngx_string("te"),
    ngx_string("trailer"),
    ngx_string("upgrade"),
    ngx_null_string
};


/* the injected Authorization entry is known by the address of its key */

static u_char  ngx_http_graph_attach_auth_key[] = "authorization";


/*
 * The request proxy_pass sends: the client's headers less those Graph must
 * not see, and the JSON body's own.
 */

ngx_int_t
ngx_http_graph_attach_set_headers(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx)
{
    u_char           *p;
    ngx_str_t        *drop;
    ngx_table_elt_t  *h;

    drop = ngx_http_graph_attach_hop_by_hop(r);
    if (drop == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_graph_attach_rebuild_headers(r, drop) != NGX_OK) {
        return NGX_ERROR;
    }

    r->headers_in.authorization = NULL;
    r->headers_in.content_length = NULL;
    r->headers_in.transfer_encoding = NULL;
    r->headers_in.chunked = 0;
    r->headers_in.content_length_n = ctx->body->json_size;

    /* Content-Type */

    h = ngx_list_push(&r->headers_in.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&h->key, "Content-Type");
    h->lowcase_key = (u_char *) "content-type";
    h->value = ngx_http_graph_attach_json_type;
    h->hash = ngx_hash_key(h->lowcase_key, h->key.len);
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    r->headers_in.content_type = h;

    /* client-request-id, fresh for every call, as Graph asks */

    if (ngx_http_graph_attach_request_id(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    h = ngx_list_push(&r->headers_in.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&h->key, "client-request-id");
    h->lowcase_key = (u_char *) "client-request-id";
    h->value = ctx->request_id;
    h->hash = ngx_hash_key(h->lowcase_key, h->key.len);
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    /*
     * Authorization: hash 0 hides the entry from $http_authorization and
     * every other header variable, while proxy_pass still sends it
     */

    h = ngx_list_push(&r->headers_in.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->value.len = sizeof("Bearer ") - 1 + ctx->token.len;
    h->value.data = ngx_pnalloc(r->pool, h->value.len);
    if (h->value.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(h->value.data, "Bearer ", sizeof("Bearer ") - 1);
    ngx_memcpy(p, ctx->token.data, ctx->token.len);

    ngx_str_set(&h->key, "Authorization");
    h->lowcase_key = ngx_http_graph_attach_auth_key;
    h->hash = 0;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return NGX_OK;
}


/*
 * The fixed drop list, plus the headers the client's Connection header
 * names: they are hop-by-hop too (RFC 9110, 7.6.1).
 */

static ngx_str_t *
ngx_http_graph_attach_hop_by_hop(ngx_http_request_t *r)
{
    u_char           *p, *last, *start;
    ngx_str_t        *s, *d;
    ngx_uint_t        i;
    ngx_array_t       names;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    if (ngx_array_init(&names, r->pool, 24, sizeof(ngx_str_t)) != NGX_OK) {
        return NULL;
    }

    for (d = ngx_http_graph_attach_drop; d->len; d++) {
        s = ngx_array_push(&names);
        if (s == NULL) {
            return NULL;
        }

        *s = *d;
    }

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

        if (h[i].key.len != sizeof("connection") - 1
            || ngx_strncmp(h[i].lowcase_key, "connection",
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

            if (p == start) {
                continue;
            }

            s = ngx_array_push(&names);
            if (s == NULL) {
                return NULL;
            }

            s->len = p - start;
            s->data = ngx_pnalloc(r->pool, s->len);
            if (s->data == NULL) {
                return NULL;
            }

            ngx_strlow(s->data, start, s->len);
        }
    }

    s = ngx_array_push(&names);
    if (s == NULL) {
        return NULL;
    }

    ngx_str_null(s);

    return names.elts;
}


static ngx_int_t
ngx_http_graph_attach_request_id(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx)
{
    u_char  *p;
    u_char   rnd[16];

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return NGX_ERROR;
    }

    /* a version 4 UUID */
    rnd[6] = (rnd[6] & 0x0f) | 0x40;
    rnd[8] = (rnd[8] & 0x3f) | 0x80;

    p = ngx_pnalloc(r->pool, 36);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->request_id.data = p;
    ctx->request_id.len = 36;

    p = ngx_hex_dump(p, rnd, 4);
    *p++ = '-';
    p = ngx_hex_dump(p, rnd + 4, 2);
    *p++ = '-';
    p = ngx_hex_dump(p, rnd + 6, 2);
    *p++ = '-';
    p = ngx_hex_dump(p, rnd + 8, 2);
    *p++ = '-';
    (void) ngx_hex_dump(p, rnd + 10, 6);

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
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

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
                   "graph attach: service token removed from the request");

    if (ngx_http_graph_attach_rebuild_headers(r, NULL) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DECLINED;
}


/*
 * Rebuilds the request header list without the headers named in drop (a
 * null-terminated array, or NULL) and without the injected Authorization:
 * nginx lists cannot drop elements.  A new list, so that a subrequest
 * never changes the parts it shares with its parent.
 */

static ngx_int_t
ngx_http_graph_attach_rebuild_headers(ngx_http_request_t *r, ngx_str_t *drop)
{
    ngx_uint_t        i, j;
    ngx_list_t        headers;
    ngx_table_elt_t  *h, *header;
    ngx_list_part_t  *part;

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

        if (drop) {
            for (j = 0; drop[j].len; j++) {
                if (drop[j].len == header[i].key.len
                    && ngx_strncmp(drop[j].data, header[i].lowcase_key,
                                   drop[j].len)
                       == 0)
                {
                    break;
                }
            }

            if (drop[j].len) {
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
