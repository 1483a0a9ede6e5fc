/*
 * Copyright (C) graph-attach authors
 */


#ifndef _NGX_HTTP_GRAPH_ATTACH_TOKEN_CACHE_H_INCLUDED_
#define _NGX_HTTP_GRAPH_ATTACH_TOKEN_CACHE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"


/*
 * The shared memory cache of tokens, for ngx_http_graph_attach_token.c.
 * Its zone (ngx_http_graph_attach_token_init_zone()) and the header
 * filter that drops a token Graph answered 401 to
 * (ngx_http_graph_attach_token_filter_init()) are declared in
 * ngx_http_graph_attach_token.h.
 *
 * Entries are filed under a cache key, ckey: the Redis identity, a NUL,
 * then the Redis key, so that two Redis servers holding the same key
 * never share an entry; hash is ngx_crc32_short() of it.
 */


/*
 * "no usable token" is remembered this long, so that requests for a
 * missing key do not each cost a Redis round trip; a token that Graph
 * refused and Redis still holds is cached no longer than this either
 */
#define NGX_HTTP_GRAPH_ATTACH_TOKEN_NEGATIVE    1


/* "<redis identity>\0<key>" in r->pool */
ngx_int_t ngx_http_graph_attach_token_cache_key(ngx_http_request_t *r,
    ngx_str_t *key, ngx_str_t *ckey);

/*
 * NGX_OK: a token in its cache life, copied into pool; *refresh is set
 * for the one request, in any worker, that is to refresh it ahead.
 * NGX_DECLINED: "no usable token" is cached.  NGX_AGAIN: nothing in its
 * cache life.  NGX_ERROR: out of memory.
 */
ngx_int_t ngx_http_graph_attach_token_cache_get(ngx_shm_zone_t *zone,
    ngx_str_t *ckey, uint32_t hash, ngx_pool_t *pool, ngx_str_t *token,
    ngx_uint_t *refresh);

/*
 * A token past its cache life but still usable: what is served while
 * Redis cannot be asked.  NGX_OK: copied into pool.
 */
ngx_int_t ngx_http_graph_attach_token_cache_stale(ngx_shm_zone_t *zone,
    ngx_str_t *ckey, uint32_t hash, ngx_pool_t *pool, ngx_str_t *token);

/*
 * Files what a lookup of key (in ckey) brought: token, usable before
 * expires (NGX_MAX_TIME_T_VALUE: unknown), or token->len 0 for no usable
 * token.
 */
void ngx_http_graph_attach_token_cache_store(
    ngx_http_graph_attach_main_conf_t *amcf, ngx_str_t *ckey, uint32_t hash,
    ngx_str_t *key, ngx_log_t *log, ngx_str_t *token, time_t expires);


#endif /* _NGX_HTTP_GRAPH_ATTACH_TOKEN_CACHE_H_INCLUDED_ */
