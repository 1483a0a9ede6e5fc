/*
 * Copyright (C) graph-attach authors
 */


/*
 * The token cache: a slab zone shared by all workers and kept over
 * reloads, an rbtree keyed by the CRC32 of the cache key (the full key
 * compared) and an LRU list, as in limit_req.  Lookups, stores, stale
 * tokens, and the 401 hook that drops a token Graph refused.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_redis.h"
#include "ngx_http_graph_attach_token.h"
#include "ngx_http_graph_attach_token_cache.h"


static ngx_int_t ngx_http_graph_attach_token_header_filter(
    ngx_http_request_t *r);
static void ngx_http_graph_attach_token_invalidate(ngx_http_request_t *r,
    ngx_str_t *key);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


/*
 * Refresh ahead: in the last fifth of an entry's cache life, one request
 * starts a background lookup; another may start one again this many
 * seconds later if that one brought nothing (Redis down or slow).
 */
#define NGX_HTTP_GRAPH_ATTACH_TOKEN_AHEAD       5
#define NGX_HTTP_GRAPH_ATTACH_TOKEN_RETRY       1


typedef struct {
    ngx_rbtree_t                          rbtree;
    ngx_rbtree_node_t                     sentinel;
    ngx_queue_t                           lru;       /* most recent first */
} ngx_http_graph_attach_token_shctx_t;


typedef struct {
    ngx_http_graph_attach_token_shctx_t  *sh;
    ngx_slab_pool_t                      *shpool;
} ngx_http_graph_attach_token_ctx_t;


/*
 * A cache entry.  The key is the Redis identity, a NUL, then the Redis
 * key, so that two Redis servers holding the same key never share an
 * entry.  Times in seconds:
 *
 *     now < until          fresh: served without asking Redis
 *     refresh_at <= now    one request starts a background lookup
 *     now < stale_until    served when Redis cannot be asked
 *                          (down, timed out, error reply)
 *
 * token_len 0: no usable token (negative entry, or a token Graph refused).
 */

typedef struct {
    ngx_rbtree_node_t                     node;      /* key: crc32 of key */
    ngx_queue_t                           queue;
    time_t                                until;
    time_t                                refresh_at;
    time_t                                stale_until;
    time_t                                refreshing; /* started at */
    uint32_t                              rejected;  /* crc32 of a token */
                                                     /* Graph refused */
    u_short                               key_len;
    u_short                               token_len;
    u_char                                data[1];   /* key, then token */
} ngx_http_graph_attach_token_node_t;


static ngx_int_t ngx_http_graph_attach_token_init_shm(ngx_shm_zone_t *zone,
    void *data);
static void ngx_http_graph_attach_token_rbtree_insert_value(
    ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel);
static ngx_http_graph_attach_token_node_t *ngx_http_graph_attach_token_find(
    ngx_http_graph_attach_token_ctx_t *ctx, ngx_str_t *key, uint32_t hash);
static ngx_int_t ngx_http_graph_attach_token_copy(
    ngx_http_graph_attach_token_node_t *tn, ngx_pool_t *pool,
    ngx_str_t *token);
static void ngx_http_graph_attach_token_delete(
    ngx_http_graph_attach_token_ctx_t *ctx,
    ngx_http_graph_attach_token_node_t *tn);
static ngx_http_graph_attach_token_node_t *ngx_http_graph_attach_token_alloc(
    ngx_http_graph_attach_token_ctx_t *ctx, size_t size, ngx_uint_t negative,
    time_t now, ngx_uint_t *full);
static void ngx_http_graph_attach_token_set_life(
    ngx_http_graph_attach_main_conf_t *amcf,
    ngx_http_graph_attach_token_node_t *tn, ngx_str_t *token, time_t expires,
    uint32_t rejected, time_t now);


static ngx_str_t  ngx_http_graph_attach_token_zone_name =
    ngx_string("graph_attach_tokens");


/* "<redis identity>\0<key>" in r->pool */

ngx_int_t
ngx_http_graph_attach_token_cache_key(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *ckey)
{
    u_char                            *p;
    ngx_str_t                         *id;
    ngx_http_graph_attach_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);

    id = ngx_http_graph_attach_redis_id(alcf->redis);

    p = ngx_pnalloc(r->pool, id->len + 1 + key->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ckey->data = p;

    p = ngx_cpymem(p, id->data, id->len);
    *p++ = '\0';
    p = ngx_cpymem(p, key->data, key->len);

    ckey->len = p - ckey->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_graph_attach_token_cache_get(ngx_shm_zone_t *zone, ngx_str_t *ckey,
    uint32_t hash, ngx_pool_t *pool, ngx_str_t *token, ngx_uint_t *refresh)
{
    time_t                               now;
    ngx_http_graph_attach_token_ctx_t   *ctx;
    ngx_http_graph_attach_token_node_t  *tn;

    ctx = zone->data;
    now = ngx_time();

    *refresh = 0;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    tn = ngx_http_graph_attach_token_find(ctx, ckey, hash);

    if (tn == NULL || tn->until <= now) {
        ngx_shmtx_unlock(&ctx->shpool->mutex);
        return NGX_AGAIN;
    }

    if (tn->token_len == 0) {
        ngx_shmtx_unlock(&ctx->shpool->mutex);
        return NGX_DECLINED;
    }

    if (ngx_http_graph_attach_token_copy(tn, pool, token) != NGX_OK) {
        ngx_shmtx_unlock(&ctx->shpool->mutex);
        return NGX_ERROR;
    }

    ngx_queue_remove(&tn->queue);
    ngx_queue_insert_head(&ctx->sh->lru, &tn->queue);

    /* the first request in the refresh window, in any worker */

    if (tn->refresh_at <= now
        && tn->refreshing + NGX_HTTP_GRAPH_ATTACH_TOKEN_RETRY <= now)
    {
        tn->refreshing = now;
        *refresh = 1;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return NGX_OK;
}


ngx_int_t
ngx_http_graph_attach_token_cache_stale(ngx_shm_zone_t *zone, ngx_str_t *ckey,
    uint32_t hash, ngx_pool_t *pool, ngx_str_t *token)
{
    ngx_int_t                            rc;
    ngx_http_graph_attach_token_ctx_t   *ctx;
    ngx_http_graph_attach_token_node_t  *tn;

    ctx = zone->data;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    tn = ngx_http_graph_attach_token_find(ctx, ckey, hash);

    if (tn == NULL || tn->token_len == 0 || tn->stale_until <= ngx_time()) {
        ngx_shmtx_unlock(&ctx->shpool->mutex);
        return NGX_DECLINED;
    }

    rc = ngx_http_graph_attach_token_copy(tn, pool, token);

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return rc;
}


/*
 * Graph answered 401 with the token of r: it is not served any more, and
 * if Redis still holds the very same token, it is cached for 1 second
 * only, so that the broker's next token is picked up at once.
 */

static void
ngx_http_graph_attach_token_invalidate(ngx_http_request_t *r, ngx_str_t *key)
{
    time_t                                 now;
    uint32_t                               hash, crc;
    ngx_str_t                              ckey;
    ngx_http_graph_attach_ctx_t           *gctx;
    ngx_http_graph_attach_token_ctx_t     *ctx;
    ngx_http_graph_attach_token_node_t    *tn;
    ngx_http_graph_attach_loc_conf_t      *alcf;
    ngx_http_graph_attach_main_conf_t     *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_graph_attach_module);
    alcf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);
    gctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    if (amcf->token_zone == NULL
        || alcf->redis == NULL
        || key->len == 0
        || key->len > NGX_HTTP_GRAPH_ATTACH_TOKEN_MAX_KEY)
    {
        return;
    }

    if (ngx_http_graph_attach_token_cache_key(r, key, &ckey) != NGX_OK) {
        return;
    }

    crc = 0;

    if (gctx && gctx->token.len) {
        crc = ngx_crc32_long(gctx->token.data, gctx->token.len);
    }

    ctx = amcf->token_zone->data;
    hash = ngx_crc32_short(ckey.data, ckey.len);
    now = ngx_time();

    ngx_shmtx_lock(&ctx->shpool->mutex);

    tn = ngx_http_graph_attach_token_find(ctx, &ckey, hash);

    if (tn && tn->token_len) {
        if (crc == 0
            || crc == ngx_crc32_long(tn->data + tn->key_len, tn->token_len))
        {
            /* kept as a marker until the next store */
            tn->until = now;
            tn->stale_until = now;
            tn->refresh_at = NGX_MAX_TIME_T_VALUE;
            tn->token_len = 0;
            tn->rejected = crc;

        } else {
            /* another request has brought a new token meanwhile */
            tn = NULL;
        }
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    if (tn) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "graph_attach: token \"%V\" dropped from the cache",
                      key);
    }
}


ngx_int_t
ngx_http_graph_attach_token_init_zone(ngx_conf_t *cf,
    ngx_http_graph_attach_main_conf_t *amcf)
{
    ngx_shm_zone_t                     *zone;
    ngx_http_graph_attach_token_ctx_t  *ctx;

    if (amcf->token_zone) {
        return NGX_OK;
    }

    /* its size was checked by init_main_conf */

    ctx = ngx_pcalloc(cf->pool, sizeof(ngx_http_graph_attach_token_ctx_t));
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    zone = ngx_shared_memory_add(cf, &ngx_http_graph_attach_token_zone_name,
                                 amcf->token_zone_size,
                                 &ngx_http_graph_attach_module);
    if (zone == NULL) {
        return NGX_ERROR;
    }

    if (zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "shared memory zone \"%V\" is already used",
                           &ngx_http_graph_attach_token_zone_name);
        return NGX_ERROR;
    }

    zone->init = ngx_http_graph_attach_token_init_shm;
    zone->data = ctx;

    amcf->token_zone = zone;

    return NGX_OK;
}


static ngx_int_t
ngx_http_graph_attach_token_init_shm(ngx_shm_zone_t *zone, void *data)
{
    ngx_http_graph_attach_token_ctx_t  *octx = data;

    size_t                              len;
    ngx_http_graph_attach_token_ctx_t  *ctx;

    ctx = zone->data;

    if (octx) {
        /* reload: the tokens cached by the old workers stay valid */
        ctx->sh = octx->sh;
        ctx->shpool = octx->shpool;
        return NGX_OK;
    }

    ctx->shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (zone->shm.exists) {
        ctx->sh = ctx->shpool->data;
        return NGX_OK;
    }

    ctx->sh = ngx_slab_alloc(ctx->shpool,
                             sizeof(ngx_http_graph_attach_token_shctx_t));
    if (ctx->sh == NULL) {
        return NGX_ERROR;
    }

    ctx->shpool->data = ctx->sh;

    ngx_rbtree_init(&ctx->sh->rbtree, &ctx->sh->sentinel,
                    ngx_http_graph_attach_token_rbtree_insert_value);

    ngx_queue_init(&ctx->sh->lru);

    len = sizeof(" in graph_attach zone \"\"") + zone->shm.name.len;

    ctx->shpool->log_ctx = ngx_slab_alloc(ctx->shpool, len);
    if (ctx->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(ctx->shpool->log_ctx, " in graph_attach zone \"%V\"%Z",
                &zone->shm.name);

    /* a full zone is expected: the least recently used entry goes */
    ctx->shpool->log_nomem = 0;

    return NGX_OK;
}


static void
ngx_http_graph_attach_token_rbtree_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t                  **p;
    ngx_http_graph_attach_token_node_t  *tn, *tnt;

    for ( ;; ) {

        if (node->key < temp->key) {

            p = &temp->left;

        } else if (node->key > temp->key) {

            p = &temp->right;

        } else { /* node->key == temp->key */

            tn = (ngx_http_graph_attach_token_node_t *) node;
            tnt = (ngx_http_graph_attach_token_node_t *) temp;

            p = (ngx_memn2cmp(tn->data, tnt->data, tn->key_len, tnt->key_len)
                 < 0) ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/* the zone mutex is held */

static ngx_http_graph_attach_token_node_t *
ngx_http_graph_attach_token_find(ngx_http_graph_attach_token_ctx_t *ctx,
    ngx_str_t *key, uint32_t hash)
{
    ngx_int_t                            rc;
    ngx_rbtree_node_t                   *node, *sentinel;
    ngx_http_graph_attach_token_node_t  *tn;

    node = ctx->sh->rbtree.root;
    sentinel = ctx->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash < node->key) {
            node = node->left;
            continue;
        }

        if (hash > node->key) {
            node = node->right;
            continue;
        }

        /* hash == node->key */

        tn = (ngx_http_graph_attach_token_node_t *) node;

        rc = ngx_memn2cmp(key->data, tn->data, key->len, tn->key_len);

        if (rc == 0) {
            return tn;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


/* the zone mutex is held */

static ngx_int_t
ngx_http_graph_attach_token_copy(ngx_http_graph_attach_token_node_t *tn,
    ngx_pool_t *pool, ngx_str_t *token)
{
    u_char  *p;

    p = ngx_pnalloc(pool, tn->token_len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, tn->data + tn->key_len, tn->token_len);

    token->len = tn->token_len;
    token->data = p;

    return NGX_OK;
}


/* the zone mutex is held */

static void
ngx_http_graph_attach_token_delete(ngx_http_graph_attach_token_ctx_t *ctx,
    ngx_http_graph_attach_token_node_t *tn)
{
    ngx_queue_remove(&tn->queue);
    ngx_rbtree_delete(&ctx->sh->rbtree, &tn->node);
    ngx_slab_free_locked(ctx->shpool, tn);
}


/*
 * token->len 0: no usable token; that does not replace a token still in
 * its cache life (a background refresh that found the key gone leaves the
 * entry to end as planned).
 */

void
ngx_http_graph_attach_token_cache_store(
    ngx_http_graph_attach_main_conf_t *amcf, ngx_str_t *ckey, uint32_t hash,
    ngx_str_t *key, ngx_log_t *log, ngx_str_t *token, time_t expires)
{
    size_t                               size;
    time_t                               now, until;
    uint32_t                             rejected;
    ngx_uint_t                           full;
    ngx_http_graph_attach_token_ctx_t   *ctx;
    ngx_http_graph_attach_token_node_t  *tn;

    ctx = amcf->token_zone->data;

    now = ngx_time();
    rejected = 0;

    size = offsetof(ngx_http_graph_attach_token_node_t, data)
           + ckey->len + token->len;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    /* another worker may have stored this key meanwhile: the newest wins */

    tn = ngx_http_graph_attach_token_find(ctx, ckey, hash);

    if (tn) {
        if (token->len == 0 && tn->token_len && tn->until > now) {
            ngx_shmtx_unlock(&ctx->shpool->mutex);

            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, log, 0,
                           "graph_attach: token \"%V\": no token in redis, "
                           "cached one kept until its cache life ends", key);
            return;
        }

        rejected = tn->rejected;
        ngx_http_graph_attach_token_delete(ctx, tn);
    }

    tn = ngx_http_graph_attach_token_alloc(ctx, size, token->len == 0, now,
                                           &full);
    if (tn == NULL) {
        ngx_shmtx_unlock(&ctx->shpool->mutex);

        if (full) {
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "graph_attach: token zone \"%V\" is too small for "
                          "key \"%V\"", &ngx_http_graph_attach_token_zone_name,
                          key);
        }

        return;
    }

    ngx_http_graph_attach_token_set_life(amcf, tn, token, expires, rejected,
                                         now);

    tn->node.key = hash;
    tn->refreshing = 0;
    tn->key_len = (u_short) ckey->len;
    tn->token_len = (u_short) token->len;

    ngx_memcpy(tn->data, ckey->data, ckey->len);

    if (token->len) {
        ngx_memcpy(tn->data + ckey->len, token->data, token->len);
    }

    ngx_rbtree_insert(&ctx->sh->rbtree, &tn->node);
    ngx_queue_insert_head(&ctx->sh->lru, &tn->queue);

    until = tn->until;
    rejected = tn->rejected;

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, log, 0,
                   "graph_attach: token \"%V\" cached for %T s, %s%s",
                   key, until - now, token->len ? "usable" : "no token",
                   rejected ? ", refused by graph before" : "");
}


/*
 * The zone mutex is held.  Up to two dead entries go first, like
 * limit_req does; then, while the zone is full, the least recently used.
 * NULL with *full set: the zone cannot hold the entry at all.
 */

static ngx_http_graph_attach_token_node_t *
ngx_http_graph_attach_token_alloc(ngx_http_graph_attach_token_ctx_t *ctx,
    size_t size, ngx_uint_t negative, time_t now, ngx_uint_t *full)
{
    ngx_uint_t                           n;
    ngx_queue_t                         *q;
    ngx_http_graph_attach_token_node_t  *tn;

    *full = 0;

    for (n = 0; n < 2 && !ngx_queue_empty(&ctx->sh->lru); n++) {
        q = ngx_queue_last(&ctx->sh->lru);
        tn = ngx_queue_data(q, ngx_http_graph_attach_token_node_t, queue);

        if (tn->until > now || tn->stale_until > now) {
            break;
        }

        ngx_http_graph_attach_token_delete(ctx, tn);
    }

    for ( ;; ) {
        tn = ngx_slab_alloc_locked(ctx->shpool, size);
        if (tn) {
            return tn;
        }

        if (ngx_queue_empty(&ctx->sh->lru)) {
            *full = 1;
            return NULL;
        }

        q = ngx_queue_last(&ctx->sh->lru);
        tn = ngx_queue_data(q, ngx_http_graph_attach_token_node_t, queue);

        if (negative
            && tn->token_len
            && (tn->until > now || tn->stale_until > now))
        {
            /*
             * a negative entry only spares Redis a GET; it must not push
             * out a token that would carry a tenant through an outage,
             * or a client choosing keys could flush the cache
             */

            return NULL;
        }

        ngx_http_graph_attach_token_delete(ctx, tn);
    }
}


/* the cache life of an entry: see ngx_http_graph_attach_token_node_t */

static void
ngx_http_graph_attach_token_set_life(ngx_http_graph_attach_main_conf_t *amcf,
    ngx_http_graph_attach_token_node_t *tn, ngx_str_t *token, time_t expires,
    uint32_t rejected, time_t now)
{
    time_t  until, ahead;

    if (token->len == 0) {
        tn->until = now + NGX_HTTP_GRAPH_ATTACH_TOKEN_NEGATIVE;
        tn->refresh_at = NGX_MAX_TIME_T_VALUE;
        tn->stale_until = tn->until;
        tn->rejected = 0;
        return;
    }

    until = ngx_min(expires, now + amcf->token_cache_time);

    if (rejected && rejected != ngx_crc32_long(token->data, token->len)) {
        rejected = 0;
    }

    if (rejected) {
        /* Redis still holds the token Graph refused */
        until = ngx_min(until, now + NGX_HTTP_GRAPH_ATTACH_TOKEN_NEGATIVE);
    }

    ahead = (until - now) / NGX_HTTP_GRAPH_ATTACH_TOKEN_AHEAD;

    tn->until = until;
    tn->refresh_at = ahead ? until - ahead : NGX_MAX_TIME_T_VALUE;
    tn->stale_until = (expires != NGX_MAX_TIME_T_VALUE)
                      ? expires : until + amcf->token_stale;
    tn->rejected = rejected;
}


/*
 * Graph's 401 to a request of ours: the token it refused is not served
 * again, whatever its expiry said
 */

static ngx_int_t
ngx_http_graph_attach_token_header_filter(ngx_http_request_t *r)
{
    ngx_http_graph_attach_ctx_t       *ctx;
    ngx_http_graph_attach_loc_conf_t  *alcf;

    if (r != r->main || r->upstream == NULL
        || r->headers_out.status != NGX_HTTP_UNAUTHORIZED)
    {
        return ngx_http_next_header_filter(r);
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    if (alcf->enable && ctx && ctx->token_key.len) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "graph_attach: graph answered 401, dropping the "
                      "cached token of \"%V\"", &ctx->token_key);

        ngx_http_graph_attach_token_invalidate(r, &ctx->token_key);
    }

    return ngx_http_next_header_filter(r);
}


ngx_int_t
ngx_http_graph_attach_token_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_graph_attach_token_header_filter;

    return NGX_OK;
}
