/*
 * Copyright (C) graph-attach authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_redis.h"
#include "ngx_http_graph_attach_token.h"


/* a JSON wrapper around a 16 KB token is still far below this */
#define NGX_HTTP_GRAPH_ATTACH_TOKEN_MAX_VALUE   65536

/*
 * "no usable token" is remembered this long, so that requests for a
 * missing key do not each cost a Redis round trip; a token that Graph
 * refused and Redis still holds is cached no longer than this either
 */
#define NGX_HTTP_GRAPH_ATTACH_TOKEN_NEGATIVE    1

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


/* an in-flight GET + PTTL, per worker, shared by all its waiters */

typedef struct {
    ngx_str_node_t                        sn;        /* cache key, crc32 */
    ngx_queue_t                           waiters;

    /* ngx_rbtree_delete() zeroes sn.node.key */
    uint32_t                              hash;

    ngx_str_t                             key;       /* the Redis key */

    ngx_http_graph_attach_redis_cmd_t     get;
    ngx_http_graph_attach_redis_cmd_t     pttl;

    ngx_http_graph_attach_main_conf_t    *amcf;
    ngx_log_t                            *log;

    u_char                               *value;     /* GET reply, then */
    size_t                                value_len; /* the bare token */
    long long                             pttl_ms;

    ngx_uint_t                            pending;   /* replies to come */

    unsigned                              failed:1;
    unsigned                              missing:1;
    unsigned                              invalid:1;
    unsigned                              has_pttl:1;
    unsigned                              aborted:1;

    u_char                                data[1];   /* the cache key */
} ngx_http_graph_attach_token_lookup_t;


static ngx_int_t ngx_http_graph_attach_token_cache_key(ngx_http_request_t *r,
    ngx_str_t *key, ngx_str_t *ckey);
static ngx_int_t ngx_http_graph_attach_token_stale(
    ngx_http_graph_attach_token_ctx_t *ctx, ngx_str_t *ckey, uint32_t hash,
    ngx_pool_t *pool, ngx_str_t *token);
static ngx_int_t ngx_http_graph_attach_token_init_shm(ngx_shm_zone_t *zone,
    void *data);
static void ngx_http_graph_attach_token_rbtree_insert_value(
    ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel);
static ngx_http_graph_attach_token_node_t *ngx_http_graph_attach_token_find(
    ngx_http_graph_attach_token_ctx_t *ctx, ngx_str_t *key, uint32_t hash);
static void ngx_http_graph_attach_token_delete(
    ngx_http_graph_attach_token_ctx_t *ctx,
    ngx_http_graph_attach_token_node_t *tn);
static void ngx_http_graph_attach_token_store(
    ngx_http_graph_attach_token_lookup_t *lk, ngx_str_t *token,
    time_t expires);

static ngx_http_graph_attach_token_lookup_t *
    ngx_http_graph_attach_token_lookup(ngx_http_graph_attach_main_conf_t *amcf,
    ngx_http_graph_attach_redis_server_t *server, ngx_str_t *ckey,
    size_t key_offset, uint32_t hash);
static void ngx_http_graph_attach_token_get_handler(
    ngx_http_graph_attach_redis_cmd_t *cmd, redisReply *reply);
static void ngx_http_graph_attach_token_pttl_handler(
    ngx_http_graph_attach_redis_cmd_t *cmd, redisReply *reply);
static void ngx_http_graph_attach_token_error_reply(
    ngx_http_graph_attach_token_lookup_t *lk, const char *command,
    ngx_http_graph_attach_redis_cmd_t *cmd, redisReply *reply);
static void ngx_http_graph_attach_token_done(
    ngx_http_graph_attach_token_lookup_t *lk);
static ngx_int_t ngx_http_graph_attach_token_parse(
    ngx_http_graph_attach_token_lookup_t *lk, time_t *expires);
static ngx_int_t ngx_http_graph_attach_token_parse_json(
    ngx_http_graph_attach_token_lookup_t *lk, time_t *expires_on);
static void ngx_http_graph_attach_token_cleanup(void *data);


static ngx_str_t  ngx_http_graph_attach_token_zone_name =
    ngx_string("graph_attach_tokens");

/* per worker: in-flight lookups by cache key */
static ngx_rbtree_t       ngx_http_graph_attach_token_lookups;
static ngx_rbtree_node_t  ngx_http_graph_attach_token_sentinel;


ngx_int_t
ngx_http_graph_attach_token_get(ngx_http_request_t *r, ngx_str_t *key,
    ngx_http_graph_attach_token_waiter_t *w)
{
    u_char                                *p;
    time_t                                 now;
    uint32_t                               hash;
    ngx_str_t                              ckey;
    ngx_uint_t                             refresh;
    ngx_pool_cleanup_t                    *cln;
    ngx_http_graph_attach_token_ctx_t     *ctx;
    ngx_http_graph_attach_token_node_t    *tn;
    ngx_http_graph_attach_loc_conf_t      *alcf;
    ngx_http_graph_attach_main_conf_t     *amcf;
    ngx_http_graph_attach_token_lookup_t  *lk;

    static time_t                          length_logged;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_graph_attach_module);
    alcf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);

    w->request = r;
    w->lookup = NULL;
    w->token.len = 0;
    w->token.data = NULL;
    w->retry_after = 1;

    if (amcf->token_zone == NULL || alcf->redis == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "graph_attach token zone or redis is not configured");
        w->rc = NGX_ERROR;
        return NGX_ERROR;
    }

    if (key->len == 0 || key->len > NGX_HTTP_GRAPH_ATTACH_TOKEN_MAX_KEY) {

        /* once a second at most: the key may come from the client */

        if (length_logged != ngx_time()) {
            length_logged = ngx_time();

            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "graph_attach token key length %uz is invalid",
                          key->len);
        }

        w->rc = NGX_ERROR;
        return NGX_ERROR;
    }

    if (ngx_http_graph_attach_token_cache_key(r, key, &ckey) != NGX_OK) {
        w->rc = NGX_ERROR;
        return NGX_ERROR;
    }

    ctx = amcf->token_zone->data;
    hash = ngx_crc32_short(ckey.data, ckey.len);
    now = ngx_time();
    refresh = 0;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    tn = ngx_http_graph_attach_token_find(ctx, &ckey, hash);

    if (tn && tn->until > now) {

        if (tn->token_len == 0) {
            ngx_shmtx_unlock(&ctx->shpool->mutex);

            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "graph_attach token \"%V\": cached miss", key);

            w->rc = NGX_DECLINED;
            return NGX_DECLINED;
        }

        p = ngx_pnalloc(r->pool, tn->token_len);
        if (p == NULL) {
            ngx_shmtx_unlock(&ctx->shpool->mutex);
            w->rc = NGX_ERROR;
            return NGX_ERROR;
        }

        ngx_memcpy(p, tn->data + tn->key_len, tn->token_len);

        w->token.len = tn->token_len;
        w->token.data = p;

        ngx_queue_remove(&tn->queue);
        ngx_queue_insert_head(&ctx->sh->lru, &tn->queue);

        /* the first request in the refresh window, in any worker */

        if (tn->refresh_at <= now
            && tn->refreshing + NGX_HTTP_GRAPH_ATTACH_TOKEN_RETRY <= now)
        {
            tn->refreshing = now;
            refresh = 1;
        }

        ngx_shmtx_unlock(&ctx->shpool->mutex);

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "graph_attach token \"%V\": cache hit%s", key,
                       refresh ? ", refreshing ahead" : "");

        if (refresh) {
            if (ngx_http_graph_attach_token_lookups.root == NULL) {
                ngx_rbtree_init(&ngx_http_graph_attach_token_lookups,
                                &ngx_http_graph_attach_token_sentinel,
                                ngx_str_rbtree_insert_value);
            }

            if (ngx_str_rbtree_lookup(&ngx_http_graph_attach_token_lookups,
                                      &ckey, hash)
                == NULL)
            {
                /* no waiter: the reply only fills the cache */
                (void) ngx_http_graph_attach_token_lookup(amcf, alcf->redis,
                                                    &ckey, ckey.len - key->len,
                                                    hash);
            }
        }

        w->rc = NGX_OK;
        return NGX_OK;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    /* added first: nothing to undo if it fails */

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        w->rc = NGX_ERROR;
        return NGX_ERROR;
    }

    cln->handler = ngx_http_graph_attach_token_cleanup;
    cln->data = w;

    if (ngx_http_graph_attach_token_lookups.root == NULL) {
        ngx_rbtree_init(&ngx_http_graph_attach_token_lookups,
                        &ngx_http_graph_attach_token_sentinel,
                        ngx_str_rbtree_insert_value);
    }

    lk = (ngx_http_graph_attach_token_lookup_t *)
             ngx_str_rbtree_lookup(&ngx_http_graph_attach_token_lookups,
                                   &ckey, hash);

    if (lk == NULL) {
        lk = ngx_http_graph_attach_token_lookup(amcf, alcf->redis, &ckey,
                                                ckey.len - key->len, hash);

        if (lk == NULL) {
            /* Redis cannot be asked now: a token still valid will do */

            if (ngx_http_graph_attach_token_stale(ctx, &ckey, hash, r->pool,
                                                  &w->token)
                == NGX_OK)
            {
                ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                               "graph_attach token \"%V\": redis "
                               "unavailable, serving stale", key);

                w->rc = NGX_OK;
                return NGX_OK;
            }

            w->rc = NGX_ERROR;
            w->retry_after = ngx_http_graph_attach_redis_retry_after(
                                                                 alcf->redis);
            return NGX_ERROR;
        }

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "graph_attach token \"%V\": redis lookup", key);

    } else {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "graph_attach token \"%V\": lookup in flight", key);
    }

    w->lookup = lk;
    ngx_queue_insert_tail(&lk->waiters, &w->queue);

    return NGX_AGAIN;
}


/* "<redis identity>\0<key>" in r->pool */

static ngx_int_t
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


/*
 * A token past its cache life but before stale_until: what is served
 * while Redis cannot be asked.  Copied into pool.
 */

static ngx_int_t
ngx_http_graph_attach_token_stale(ngx_http_graph_attach_token_ctx_t *ctx,
    ngx_str_t *ckey, uint32_t hash, ngx_pool_t *pool, ngx_str_t *token)
{
    u_char                              *p;
    ngx_http_graph_attach_token_node_t  *tn;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    tn = ngx_http_graph_attach_token_find(ctx, ckey, hash);

    if (tn == NULL || tn->token_len == 0 || tn->stale_until <= ngx_time()) {
        ngx_shmtx_unlock(&ctx->shpool->mutex);
        return NGX_DECLINED;
    }

    p = ngx_pnalloc(pool, tn->token_len);
    if (p == NULL) {
        ngx_shmtx_unlock(&ctx->shpool->mutex);
        return NGX_ERROR;
    }

    ngx_memcpy(p, tn->data + tn->key_len, tn->token_len);

    token->len = tn->token_len;
    token->data = p;

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return NGX_OK;
}


/*
 * Graph answered 401 with the token of r: it is not served any more, and
 * if Redis still holds the very same token, it is cached for 1 second
 * only, so that the broker's next token is picked up at once.
 */

void
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
                      "graph_attach token \"%V\" dropped from the cache",
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

    if (amcf->token_zone_size < 8 * ngx_pagesize) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "graph_attach token zone is too small, "
                           "at least %uK is needed", 8 * ngx_pagesize / 1024);
        return NGX_ERROR;
    }

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

static void
ngx_http_graph_attach_token_delete(ngx_http_graph_attach_token_ctx_t *ctx,
    ngx_http_graph_attach_token_node_t *tn)
{
    ngx_queue_remove(&tn->queue);
    ngx_rbtree_delete(&ctx->sh->rbtree, &tn->node);
    ngx_slab_free_locked(ctx->shpool, tn);
}


/*
 * Files what a lookup brought.  token->len 0: no usable token; that does
 * not replace a token still in its cache life (a background refresh that
 * found the key gone leaves the entry to end as planned).
 */

static void
ngx_http_graph_attach_token_store(ngx_http_graph_attach_token_lookup_t *lk,
    ngx_str_t *token, time_t expires)
{
    size_t                               size;
    time_t                               now, until, life, ahead, stale;
    uint32_t                             rejected;
    ngx_str_t                           *key;
    ngx_uint_t                           n;
    ngx_queue_t                         *q;
    ngx_http_graph_attach_token_ctx_t   *ctx;
    ngx_http_graph_attach_token_node_t  *tn;
    ngx_http_graph_attach_main_conf_t   *amcf;

    amcf = lk->amcf;
    ctx = amcf->token_zone->data;
    key = &lk->sn.str;

    now = ngx_time();
    rejected = 0;

    size = offsetof(ngx_http_graph_attach_token_node_t, data)
           + key->len + token->len;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    /* another worker may have stored this key meanwhile: the newest wins */

    tn = ngx_http_graph_attach_token_find(ctx, key, lk->hash);

    if (tn) {
        if (token->len == 0 && tn->token_len && tn->until > now) {
            ngx_shmtx_unlock(&ctx->shpool->mutex);

            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, lk->log, 0,
                           "graph_attach token \"%V\": no token in redis, "
                           "cached one kept until its cache life ends",
                           &lk->key);
            return;
        }

        rejected = tn->rejected;
        ngx_http_graph_attach_token_delete(ctx, tn);
    }

    if (token->len) {
        until = ngx_min(expires, now + amcf->token_cache_time);

        if (rejected
            && rejected != ngx_crc32_long(token->data, token->len))
        {
            rejected = 0;
        }

        if (rejected) {
            /* Redis still holds the token Graph refused */
            until = ngx_min(until, now + NGX_HTTP_GRAPH_ATTACH_TOKEN_NEGATIVE);
        }

        life = until - now;
        ahead = life / NGX_HTTP_GRAPH_ATTACH_TOKEN_AHEAD;

        stale = (expires != NGX_MAX_TIME_T_VALUE)
                ? expires : until + amcf->token_stale;

    } else {
        until = now + NGX_HTTP_GRAPH_ATTACH_TOKEN_NEGATIVE;
        ahead = 0;
        stale = until;
        rejected = 0;
    }

    /* drop up to two dead entries, like limit_req does */

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
            break;
        }

        if (ngx_queue_empty(&ctx->sh->lru)) {
            ngx_shmtx_unlock(&ctx->shpool->mutex);

            ngx_log_error(NGX_LOG_ERR, lk->log, 0,
                          "graph_attach token zone \"%V\" is too small for "
                          "key \"%V\"", &ngx_http_graph_attach_token_zone_name,
                          &lk->key);
            return;
        }

        /* full: the least recently used entry goes */

        q = ngx_queue_last(&ctx->sh->lru);
        tn = ngx_queue_data(q, ngx_http_graph_attach_token_node_t, queue);

        if (token->len == 0
            && tn->token_len
            && (tn->until > now || tn->stale_until > now))
        {
            /*
             * a negative entry only spares Redis a GET; it must not push
             * out a token that would carry a tenant through an outage,
             * or a client choosing keys could flush the cache
             */

            ngx_shmtx_unlock(&ctx->shpool->mutex);
            return;
        }

        ngx_http_graph_attach_token_delete(ctx, tn);
    }

    tn->node.key = lk->hash;
    tn->until = until;
    tn->refresh_at = ahead ? until - ahead : NGX_MAX_TIME_T_VALUE;
    tn->stale_until = stale;
    tn->refreshing = 0;
    tn->rejected = rejected;
    tn->key_len = (u_short) key->len;
    tn->token_len = (u_short) token->len;

    ngx_memcpy(tn->data, key->data, key->len);

    if (token->len) {
        ngx_memcpy(tn->data + key->len, token->data, token->len);
    }

    ngx_rbtree_insert(&ctx->sh->rbtree, &tn->node);
    ngx_queue_insert_head(&ctx->sh->lru, &tn->queue);

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, lk->log, 0,
                   "graph_attach token \"%V\" cached for %T s, %s%s",
                   &lk->key, until - now,
                   token->len ? "usable" : "no token",
                   rejected ? ", refused by graph before" : "");
}


/*
 * The lookup lives outside any request: it is allocated with ngx_alloc()
 * and freed when its last reply (or the NULL reply hiredis gives when the
 * connection goes away) has come, whatever happened to the requests.
 */

static ngx_http_graph_attach_token_lookup_t *
ngx_http_graph_attach_token_lookup(ngx_http_graph_attach_main_conf_t *amcf,
    ngx_http_graph_attach_redis_server_t *server, ngx_str_t *ckey,
    size_t key_offset, uint32_t hash)
{
    size_t                                 argvlen[2];
    const char                            *argv[2];
    ngx_http_graph_attach_token_lookup_t  *lk;

    lk = ngx_alloc(sizeof(ngx_http_graph_attach_token_lookup_t) + ckey->len,
                   ngx_cycle->log);
    if (lk == NULL) {
        return NULL;
    }

    ngx_memzero(lk, sizeof(ngx_http_graph_attach_token_lookup_t));

    ngx_memcpy(lk->data, ckey->data, ckey->len);

    lk->hash = hash;
    lk->sn.node.key = hash;
    lk->sn.str.len = ckey->len;
    lk->sn.str.data = lk->data;

    lk->key.len = ckey->len - key_offset;
    lk->key.data = lk->data + key_offset;

    ngx_queue_init(&lk->waiters);

    lk->amcf = amcf;
    lk->log = ngx_cycle->log;

    lk->get.handler = ngx_http_graph_attach_token_get_handler;
    lk->get.data = lk;
    lk->pttl.handler = ngx_http_graph_attach_token_pttl_handler;
    lk->pttl.data = lk;

    argv[1] = (const char *) lk->key.data;
    argvlen[1] = lk->key.len;

    /* pipelined: both go out in one write, the TTL tells how long to cache */

    argv[0] = "GET";
    argvlen[0] = sizeof("GET") - 1;

    if (ngx_http_graph_attach_redis_command(server, &lk->get, 2, argv,
                                            argvlen)
        != NGX_OK)
    {
        ngx_free(lk);
        return NULL;
    }

    lk->pending = 1;

    argv[0] = "PTTL";
    argvlen[0] = sizeof("PTTL") - 1;

    if (ngx_http_graph_attach_redis_command(server, &lk->pttl, 2, argv,
                                            argvlen)
        == NGX_OK)
    {
        lk->pending++;

    } else {
        /* the GET reply completes the lookup, as a failure */
        lk->failed = 1;
    }

    ngx_rbtree_insert(&ngx_http_graph_attach_token_lookups, &lk->sn.node);

    return lk;
}


static void
ngx_http_graph_attach_token_get_handler(ngx_http_graph_attach_redis_cmd_t *cmd,
    redisReply *reply)
{
    ngx_http_graph_attach_token_lookup_t  *lk = cmd->data;

    if (cmd->aborted) {
        lk->aborted = 1;
    }

    if (reply == NULL) {
        lk->failed = 1;

    } else {
        switch (reply->type) {

        case REDIS_REPLY_STRING:

            if (reply->len > NGX_HTTP_GRAPH_ATTACH_TOKEN_MAX_VALUE) {
                ngx_log_error(NGX_LOG_ERR, lk->log, 0,
                              "graph_attach token key \"%V\" holds "
                              "%uz bytes, too large for a token",
                              &lk->key, (size_t) reply->len);
                lk->invalid = 1;
                break;
            }

            lk->value = ngx_alloc(reply->len + 1, lk->log);
            if (lk->value == NULL) {
                lk->failed = 1;
                break;
            }

            ngx_memcpy(lk->value, reply->str, reply->len);
            lk->value[reply->len] = '\0';
            lk->value_len = reply->len;
            break;

        case REDIS_REPLY_NIL:
            lk->missing = 1;
            break;

        case REDIS_REPLY_ERROR:
            ngx_http_graph_attach_token_error_reply(lk, "GET", cmd, reply);
            break;

        default:
            ngx_log_error(NGX_LOG_ERR, lk->log, 0,
                          "graph_attach redis GET \"%V\": unexpected "
                          "reply type %d", &lk->key, reply->type);
            lk->failed = 1;
        }
    }

    if (--lk->pending == 0) {
        ngx_http_graph_attach_token_done(lk);
    }
}


static void
ngx_http_graph_attach_token_pttl_handler(
    ngx_http_graph_attach_redis_cmd_t *cmd, redisReply *reply)
{
    ngx_http_graph_attach_token_lookup_t  *lk = cmd->data;

    if (cmd->aborted) {
        lk->aborted = 1;
    }

    if (reply == NULL) {
        lk->failed = 1;

    } else if (reply->type == REDIS_REPLY_INTEGER) {
        lk->pttl_ms = reply->integer;
        lk->has_pttl = 1;

    } else if (reply->type == REDIS_REPLY_ERROR) {
        ngx_http_graph_attach_token_error_reply(lk, "PTTL", cmd, reply);

    } else {
        ngx_log_error(NGX_LOG_ERR, lk->log, 0,
                      "graph_attach redis PTTL \"%V\": unexpected "
                      "reply type %d", &lk->key, reply->type);
        lk->failed = 1;
    }

    if (--lk->pending == 0) {
        ngx_http_graph_attach_token_done(lk);
    }
}


/*
 * Errors about the connection (LOADING, NOAUTH...) were logged by the
 * redis code, once per outage.  WRONGTYPE: the key holds no string, which
 * is a bad value.  Others ("ERR", "NOPERM"...) are logged by their code
 * only, and at most once a second.
 */

static void
ngx_http_graph_attach_token_error_reply(
    ngx_http_graph_attach_token_lookup_t *lk, const char *command,
    ngx_http_graph_attach_redis_cmd_t *cmd, redisReply *reply)
{
    size_t         len;
    static time_t  logged;

    for (len = 0; len < (size_t) reply->len && len < 32; len++) {
        if (reply->str[len] < 'A' || reply->str[len] > 'Z') {
            break;
        }
    }

    if (len == 9 && ngx_strncmp(reply->str, "WRONGTYPE", 9) == 0) {
        lk->invalid = 1;

    } else {
        lk->failed = 1;
    }

    if (cmd->conn_error || logged == ngx_time()) {
        return;
    }

    logged = ngx_time();

    ngx_log_error(NGX_LOG_ERR, lk->log, 0,
                  "graph_attach redis %s \"%V\" failed: %*s error reply",
                  command, &lk->key, len, reply->str);
}


static void
ngx_http_graph_attach_token_done(ngx_http_graph_attach_token_lookup_t *lk)
{
    u_char                                *p;
    time_t                                 expires;
    ngx_int_t                              rc;
    ngx_str_t                              token, stale;
    ngx_queue_t                           *q;
    ngx_http_request_t                    *r;
    ngx_http_graph_attach_loc_conf_t      *alcf;
    ngx_http_graph_attach_main_conf_t     *amcf;
    ngx_http_graph_attach_token_waiter_t  *w;

    ngx_rbtree_delete(&ngx_http_graph_attach_token_lookups, &lk->sn.node);

    if (lk->aborted) {
        /* the worker exits: requests are not woken from exit_process */

        while (!ngx_queue_empty(&lk->waiters)) {
            q = ngx_queue_head(&lk->waiters);
            ngx_queue_remove(q);

            w = ngx_queue_data(q, ngx_http_graph_attach_token_waiter_t, queue);
            w->lookup = NULL;
        }

        goto free;
    }

    amcf = lk->amcf;
    expires = NGX_MAX_TIME_T_VALUE;

    rc = ngx_http_graph_attach_token_parse(lk, &expires);

    token.len = (rc == NGX_OK) ? lk->value_len : 0;
    token.data = lk->value;

    /* the reply fills the cache even if every waiter has gone */

    if (rc != NGX_ERROR && amcf->token_cache_time > 0) {
        ngx_http_graph_attach_token_store(lk, &token, expires);
    }

    /*
     * a handler may finalize requests and so detach other waiters of
     * this lookup: take them one at a time from the head
     */

    while (!ngx_queue_empty(&lk->waiters)) {
        q = ngx_queue_head(&lk->waiters);
        ngx_queue_remove(q);

        w = ngx_queue_data(q, ngx_http_graph_attach_token_waiter_t, queue);
        w->lookup = NULL;
        r = w->request;

        w->rc = rc;
        w->retry_after = NGX_HTTP_GRAPH_ATTACH_TOKEN_NEGATIVE;

        if (rc == NGX_OK) {
            p = ngx_pnalloc(r->pool, token.len);

            if (p == NULL) {
                w->rc = NGX_ERROR;

            } else {
                ngx_memcpy(p, token.data, token.len);
                w->token.len = token.len;
                w->token.data = p;
            }

        } else if (rc == NGX_ERROR) {

            /* Redis failed: a token still valid will do */

            if (ngx_http_graph_attach_token_stale(amcf->token_zone->data,
                                                  &lk->sn.str, lk->hash,
                                                  r->pool, &stale)
                == NGX_OK)
            {
                ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                               "graph_attach token \"%V\": redis failed, "
                               "serving stale", &lk->key);

                w->rc = NGX_OK;
                w->token = stale;

            } else {
                alcf = ngx_http_get_module_loc_conf(r,
                                                ngx_http_graph_attach_module);
                w->retry_after =
                          ngx_http_graph_attach_redis_retry_after(alcf->redis);
            }
        }

        w->handler(w);
    }

free:

    if (lk->value) {
        ngx_free(lk->value);
    }

    ngx_free(lk);
}


/*
 * NGX_OK: the bare token is at lk->value, lk->value_len bytes, usable
 * before *expires (token_skew already taken off).  Problems with the
 * value are logged without the value.
 */

static ngx_int_t
ngx_http_graph_attach_token_parse(ngx_http_graph_attach_token_lookup_t *lk,
    time_t *expires)
{
    u_char     *p, *last;
    time_t      now, expires_on, skew;
    ngx_int_t   rc;

    static time_t  missing_logged;

    if (lk->failed) {
        return NGX_ERROR;
    }

    if (lk->invalid) {
        return NGX_DECLINED;
    }

    if (lk->missing || (lk->has_pttl && lk->pttl_ms == -2)) {

        /* once a second at most: a client may be choosing the keys */

        if (missing_logged != ngx_time()) {
            missing_logged = ngx_time();

            ngx_log_error(NGX_LOG_WARN, lk->log, 0,
                          "graph_attach token key \"%V\" does not exist",
                          &lk->key);
        }

        return NGX_DECLINED;
    }

    p = lk->value;
    last = p + lk->value_len;

    while (p < last && (*p == ' ' || *p == '\t' || *p == CR || *p == LF)) {
        p++;
    }

    while (last > p
           && (last[-1] == ' ' || last[-1] == '\t'
               || last[-1] == CR || last[-1] == LF))
    {
        last--;
    }

    lk->value_len = last - p;
    ngx_memmove(lk->value, p, lk->value_len);
    lk->value[lk->value_len] = '\0';

    expires_on = 0;

    if (lk->value_len && lk->value[0] == '{') {
        rc = ngx_http_graph_attach_token_parse_json(lk, &expires_on);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (lk->value_len == 0) {
        ngx_log_error(NGX_LOG_WARN, lk->log, 0,
                      "graph_attach token key \"%V\" is empty", &lk->key);
        return NGX_DECLINED;
    }

    if (lk->value_len > NGX_HTTP_GRAPH_ATTACH_TOKEN_MAX_LEN) {
        ngx_log_error(NGX_LOG_ERR, lk->log, 0,
                      "graph_attach token in key \"%V\" is too large "
                      "(%uz bytes, at most %d)", &lk->key,
                      lk->value_len, NGX_HTTP_GRAPH_ATTACH_TOKEN_MAX_LEN);
        return NGX_DECLINED;
    }

    /*
     * the token is opaque, but it goes into an Authorization header:
     * control characters and spaces would split or corrupt it
     */

    for (p = lk->value, last = p + lk->value_len; p < last; p++) {
        if (*p <= ' ' || *p == 0x7f) {
            ngx_log_error(NGX_LOG_ERR, lk->log, 0,
                          "graph_attach token in key \"%V\" contains "
                          "invalid characters", &lk->key);
            return NGX_DECLINED;
        }
    }

    now = ngx_time();

    /* the earlier of the key TTL and expires_on; PTTL -1: no TTL */

    *expires = NGX_MAX_TIME_T_VALUE;

    if (lk->has_pttl && lk->pttl_ms >= 0) {
        *expires = now + (time_t) (lk->pttl_ms / 1000);
    }

    if (expires_on) {
        *expires = ngx_min(*expires, expires_on);
    }

    if (*expires != NGX_MAX_TIME_T_VALUE) {
        skew = lk->amcf->token_skew;

        if (skew > 0) {
            *expires -= skew;
        }

        if (*expires <= now) {
            ngx_log_error(NGX_LOG_WARN, lk->log, 0,
                          "graph_attach token in key \"%V\" is expired "
                          "or expires within %T s", &lk->key,
                          ngx_max(skew, 0));
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/* {"access_token":"...","expires_on":<unix seconds, number or string>} */

static ngx_int_t
ngx_http_graph_attach_token_parse_json(
    ngx_http_graph_attach_token_lookup_t *lk, time_t *expires_on)
{
    u_char     *p, *last, *dot;
    size_t      len;
    cJSON      *json, *at, *eo;
    ngx_int_t   rc;

    json = cJSON_ParseWithOpts((const char *) lk->value, NULL, 1);

    if (json == NULL) {
        ngx_log_error(NGX_LOG_ERR, lk->log, 0,
                      "graph_attach token key \"%V\" holds invalid JSON",
                      &lk->key);
        return NGX_DECLINED;
    }

    rc = NGX_DECLINED;

    at = cJSON_GetObjectItemCaseSensitive(json, "access_token");

    if (!cJSON_IsString(at) || at->valuestring == NULL) {
        ngx_log_error(NGX_LOG_ERR, lk->log, 0,
                      "graph_attach token key \"%V\" holds JSON without "
                      "a string \"access_token\"", &lk->key);
        goto done;
    }

    eo = cJSON_GetObjectItemCaseSensitive(json, "expires_on");

    if (eo == NULL || cJSON_IsNull(eo)) {
        *expires_on = 0;

    } else if (cJSON_IsNumber(eo)) {

        if (eo->valuedouble < 1 || eo->valuedouble > 1e11) {
            goto invalid;
        }

        *expires_on = (time_t) eo->valuedouble;

    } else if (cJSON_IsString(eo) && eo->valuestring) {

        /* "1700000000" or "1700000000.5" */

        p = (u_char *) eo->valuestring;
        len = ngx_strlen(p);
        last = p + len;

        dot = ngx_strlchr(p, last, '.');
        if (dot) {
            for (last = dot + 1; *last; last++) {
                if (*last < '0' || *last > '9') {
                    goto invalid;
                }
            }

            last = dot;
        }

        *expires_on = ngx_atotm(p, last - p);

        if (*expires_on == NGX_ERROR || *expires_on == 0) {
            goto invalid;
        }

    } else {
        goto invalid;
    }

    /* the token replaces the JSON text it came from; it is never longer */

    len = ngx_strlen(at->valuestring);

    ngx_memmove(lk->value, at->valuestring, len);
    lk->value[len] = '\0';
    lk->value_len = len;

    rc = NGX_OK;

    goto done;

invalid:

    ngx_log_error(NGX_LOG_ERR, lk->log, 0,
                  "graph_attach token key \"%V\" holds an invalid "
                  "\"expires_on\"", &lk->key);

done:

    cJSON_Delete(json);

    return rc;
}


static void
ngx_http_graph_attach_token_cleanup(void *data)
{
    ngx_http_graph_attach_token_waiter_t  *w = data;

    if (w->lookup) {
        ngx_queue_remove(&w->queue);
        w->lookup = NULL;
    }
}
