/*
 * Copyright (C) graph-attach authors
 */


/*
 * The token of a request: from the cache when it holds one; else one
 * lookup (GET + PTTL, pipelined) per worker and key, shared by all the
 * requests that wait for it (single flight); refresh ahead of the end of
 * a cached token's life; a stale token when Redis cannot be asked.  The
 * value is parsed by ga_token.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_redis.h"
#include "ngx_http_graph_attach_token.h"
#include "ngx_http_graph_attach_token_cache.h"
#include "ngx_http_graph_attach_metrics.h"
#include "ga_token.h"


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

    u_char                               *value;     /* GET reply, parsed */
    size_t                                value_len; /* in place */
    long long                             pttl_ms;

    ngx_uint_t                            pending;   /* replies to come */

    unsigned                              failed:1;
    unsigned                              missing:1;
    unsigned                              invalid:1;
    unsigned                              has_pttl:1;
    unsigned                              aborted:1;

    u_char                                data[1];   /* the cache key */
} ngx_http_graph_attach_token_lookup_t;


static ngx_int_t ngx_http_graph_attach_token_check(ngx_http_request_t *r,
    ngx_str_t *key);
static void ngx_http_graph_attach_token_refresh(
    ngx_http_graph_attach_main_conf_t *amcf,
    ngx_http_graph_attach_redis_server_t *server, ngx_str_t *ckey,
    size_t key_offset, uint32_t hash);
static ngx_int_t ngx_http_graph_attach_token_wait(ngx_http_request_t *r,
    ngx_str_t *key, ngx_str_t *ckey, uint32_t hash,
    ngx_http_graph_attach_token_waiter_t *w);
static ngx_http_graph_attach_token_lookup_t *
    ngx_http_graph_attach_token_in_flight(ngx_str_t *ckey, uint32_t hash);
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
static void ngx_http_graph_attach_token_wake(
    ngx_http_graph_attach_token_lookup_t *lk,
    ngx_http_graph_attach_token_waiter_t *w, ngx_int_t rc, ngx_str_t *token);
static ngx_int_t ngx_http_graph_attach_token_parse(
    ngx_http_graph_attach_token_lookup_t *lk, ngx_str_t *token,
    time_t *expires);
static void ngx_http_graph_attach_token_cleanup(void *data);


/* per worker: in-flight lookups by cache key */
static ngx_rbtree_t       ngx_http_graph_attach_token_lookups;
static ngx_rbtree_node_t  ngx_http_graph_attach_token_sentinel;


ngx_int_t
ngx_http_graph_attach_token_get(ngx_http_request_t *r, ngx_str_t *key,
    ngx_http_graph_attach_token_waiter_t *w)
{
    uint32_t                            hash;
    ngx_int_t                           rc;
    ngx_str_t                           ckey;
    ngx_uint_t                          refresh;
    ngx_http_graph_attach_loc_conf_t   *alcf;
    ngx_http_graph_attach_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_graph_attach_module);
    alcf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);

    w->request = r;
    w->lookup = NULL;
    w->token.len = 0;
    w->token.data = NULL;
    w->retry_after = 1;

    if (ngx_http_graph_attach_token_check(r, key) != NGX_OK
        || ngx_http_graph_attach_token_cache_key(r, key, &ckey) != NGX_OK)
    {
        ngx_http_graph_attach_metrics_token(r, GA_METRICS_TOKEN_ERROR);
        w->rc = NGX_ERROR;
        return NGX_ERROR;
    }

    hash = ngx_crc32_short(ckey.data, ckey.len);

    rc = ngx_http_graph_attach_token_cache_get(amcf->token_zone, &ckey, hash,
                                               r->pool, &w->token, &refresh);

    switch (rc) {

    case NGX_OK:
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "graph_attach: token \"%V\": cache hit%s", key,
                       refresh ? ", refreshing ahead" : "");

        if (refresh) {
            ngx_http_graph_attach_token_refresh(amcf, alcf->redis, &ckey,
                                                ckey.len - key->len, hash);
        }

        ngx_http_graph_attach_metrics_token(r, refresh
                                               ? GA_METRICS_TOKEN_REFRESH
                                               : GA_METRICS_TOKEN_HIT);
        break;

    case NGX_DECLINED:
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "graph_attach: token \"%V\": cached miss", key);
        ngx_http_graph_attach_metrics_token(r, GA_METRICS_TOKEN_ERROR);
        break;

    case NGX_AGAIN:
        return ngx_http_graph_attach_token_wait(r, key, &ckey, hash, w);

    default: /* NGX_ERROR */
        ngx_http_graph_attach_metrics_token(r, GA_METRICS_TOKEN_ERROR);
        break;
    }

    w->rc = rc;

    return rc;
}


static ngx_int_t
ngx_http_graph_attach_token_check(ngx_http_request_t *r, ngx_str_t *key)
{
    ngx_http_graph_attach_loc_conf_t   *alcf;
    ngx_http_graph_attach_main_conf_t  *amcf;

    static time_t                       length_logged;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_graph_attach_module);
    alcf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);

    if (amcf->token_zone == NULL || alcf->redis == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "graph_attach: token zone or redis is not configured");
        return NGX_ERROR;
    }

    if (key->len == 0 || key->len > NGX_HTTP_GRAPH_ATTACH_TOKEN_MAX_KEY) {

        /* once a second at most: the key may come from the client */

        if (ngx_http_graph_attach_log_due(&length_logged)) {

            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "graph_attach: token key length %uz is invalid",
                          key->len);
        }

        return NGX_ERROR;
    }

    return NGX_OK;
}


/* a cache hit in the refresh window: a lookup without a waiter */

static void
ngx_http_graph_attach_token_refresh(ngx_http_graph_attach_main_conf_t *amcf,
    ngx_http_graph_attach_redis_server_t *server, ngx_str_t *ckey,
    size_t key_offset, uint32_t hash)
{
    if (ngx_http_graph_attach_token_in_flight(ckey, hash) == NULL) {
        /* the reply only fills the cache */
        (void) ngx_http_graph_attach_token_lookup(amcf, server, ckey,
                                                  key_offset, hash);
    }
}


/* nothing in the cache: wait on the worker's lookup of the key */

static ngx_int_t
ngx_http_graph_attach_token_wait(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *ckey, uint32_t hash, ngx_http_graph_attach_token_waiter_t *w)
{
    ngx_pool_cleanup_t                    *cln;
    ngx_http_graph_attach_loc_conf_t      *alcf;
    ngx_http_graph_attach_main_conf_t     *amcf;
    ngx_http_graph_attach_token_lookup_t  *lk;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_graph_attach_module);
    alcf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);

    /* added first: nothing to undo if it fails */

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        ngx_http_graph_attach_metrics_token(r, GA_METRICS_TOKEN_ERROR);
        w->rc = NGX_ERROR;
        return NGX_ERROR;
    }

    cln->handler = ngx_http_graph_attach_token_cleanup;
    cln->data = w;

    lk = ngx_http_graph_attach_token_in_flight(ckey, hash);

    if (lk) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "graph_attach: token \"%V\": lookup in flight", key);
        goto wait;
    }

    lk = ngx_http_graph_attach_token_lookup(amcf, alcf->redis, ckey,
                                            ckey->len - key->len, hash);
    if (lk) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "graph_attach: token \"%V\": redis lookup", key);
        goto wait;
    }

    /* Redis cannot be asked now: a token still valid will do */

    if (ngx_http_graph_attach_token_cache_stale(amcf->token_zone, ckey, hash,
                                                r->pool, &w->token)
        == NGX_OK)
    {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "graph_attach: token \"%V\": redis unavailable, "
                       "serving stale", key);

        ngx_http_graph_attach_metrics_token(r, GA_METRICS_TOKEN_STALE);
        w->rc = NGX_OK;
        return NGX_OK;
    }

    ngx_http_graph_attach_metrics_token(r, GA_METRICS_TOKEN_ERROR);
    w->rc = NGX_ERROR;
    w->retry_after = ngx_http_graph_attach_redis_retry_after(alcf->redis);

    return NGX_ERROR;

wait:

    w->lookup = lk;
    ngx_queue_insert_tail(&lk->waiters, &w->queue);

    return NGX_AGAIN;
}


static ngx_http_graph_attach_token_lookup_t *
ngx_http_graph_attach_token_in_flight(ngx_str_t *ckey, uint32_t hash)
{
    if (ngx_http_graph_attach_token_lookups.root == NULL) {
        ngx_rbtree_init(&ngx_http_graph_attach_token_lookups,
                        &ngx_http_graph_attach_token_sentinel,
                        ngx_str_rbtree_insert_value);
    }

    return (ngx_http_graph_attach_token_lookup_t *)
               ngx_str_rbtree_lookup(&ngx_http_graph_attach_token_lookups,
                                     ckey, hash);
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

            if (reply->len > GA_TOKEN_MAX_VALUE) {
                ngx_log_error(NGX_LOG_ERR, lk->log, 0,
                              "graph_attach: token key \"%V\" holds "
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
                          "graph_attach: redis GET \"%V\": unexpected "
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
                      "graph_attach: redis PTTL \"%V\": unexpected "
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
    ngx_str_t      code;
    static time_t  logged;

    ngx_http_graph_attach_redis_error_code(reply, &code);

    if (code.len == 9 && ngx_strncmp(code.data, "WRONGTYPE", 9) == 0) {
        lk->invalid = 1;

    } else {
        lk->failed = 1;
    }

    if (cmd->conn_error || !ngx_http_graph_attach_log_due(&logged)) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, lk->log, 0,
                  "graph_attach: redis %s \"%V\" failed: %V error reply",
                  command, &lk->key, &code);
}


static void
ngx_http_graph_attach_token_done(ngx_http_graph_attach_token_lookup_t *lk)
{
    time_t                                 expires;
    ngx_int_t                              rc;
    ngx_str_t                              token;
    ngx_queue_t                           *q;
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

    expires = NGX_MAX_TIME_T_VALUE;

    token.len = 0;
    token.data = NULL;

    rc = ngx_http_graph_attach_token_parse(lk, &token, &expires);

    /* the reply fills the cache even if every waiter has gone */

    if (rc != NGX_ERROR && lk->amcf->token_cache_time > 0) {
        ngx_http_graph_attach_token_cache_store(lk->amcf, &lk->sn.str,
                                                lk->hash, &lk->key, lk->log,
                                                &token, expires);
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

        ngx_http_graph_attach_token_wake(lk, w, rc, &token);
    }

free:

    if (lk->value) {
        ngx_free(lk->value);
    }

    ngx_free(lk);
}


static void
ngx_http_graph_attach_token_wake(ngx_http_graph_attach_token_lookup_t *lk,
    ngx_http_graph_attach_token_waiter_t *w, ngx_int_t rc, ngx_str_t *token)
{
    u_char                            *p;
    ngx_str_t                          stale;
    ga_metrics_token_e                 result;
    ngx_http_request_t                *r;
    ngx_http_graph_attach_loc_conf_t  *alcf;

    r = w->request;

    w->rc = rc;
    w->retry_after = NGX_HTTP_GRAPH_ATTACH_TOKEN_NEGATIVE;
    result = GA_METRICS_TOKEN_ERROR;

    if (rc == NGX_OK) {
        p = ngx_pnalloc(r->pool, token->len);

        if (p == NULL) {
            w->rc = NGX_ERROR;

        } else {
            ngx_memcpy(p, token->data, token->len);
            w->token.len = token->len;
            w->token.data = p;
            result = GA_METRICS_TOKEN_MISS;
        }

    } else if (rc == NGX_ERROR) {

        /* Redis failed: a token still valid will do */

        if (ngx_http_graph_attach_token_cache_stale(lk->amcf->token_zone,
                                                    &lk->sn.str, lk->hash,
                                                    r->pool, &stale)
            == NGX_OK)
        {
            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "graph_attach: token \"%V\": redis failed, "
                           "serving stale", &lk->key);

            w->rc = NGX_OK;
            w->token = stale;
            result = GA_METRICS_TOKEN_STALE;

        } else {
            alcf = ngx_http_get_module_loc_conf(r,
                                                ngx_http_graph_attach_module);
            w->retry_after =
                          ngx_http_graph_attach_redis_retry_after(alcf->redis);
        }
    }

    ngx_http_graph_attach_metrics_token(r, result);

    w->handler(w);
}


/*
 * NGX_OK: the bare token is in token (inside lk->value), usable before
 * *expires (token_skew already taken off).  Problems with the value are
 * logged without the value.
 */

static ngx_int_t
ngx_http_graph_attach_token_parse(ngx_http_graph_attach_token_lookup_t *lk,
    ngx_str_t *token, time_t *expires)
{
    int            rc;
    time_t         skew;
    ga_token_t     tok;

    static time_t  missing_logged;

    if (lk->failed) {
        return NGX_ERROR;
    }

    if (lk->invalid) {
        return NGX_DECLINED;
    }

    if (lk->missing || (lk->has_pttl && lk->pttl_ms == -2)) {

        /* once a second at most: a client may be choosing the keys */

        if (ngx_http_graph_attach_log_due(&missing_logged)) {

            ngx_log_error(NGX_LOG_WARN, lk->log, 0,
                          "graph_attach: token key \"%V\" does not exist",
                          &lk->key);
        }

        return NGX_DECLINED;
    }

    skew = lk->amcf->token_skew;

    rc = ga_token_parse(lk->value, lk->value_len, &tok);

    if (rc == GA_TOKEN_OK) {
        rc = ga_token_expires(ngx_time(), lk->has_pttl ? lk->pttl_ms : -1,
                              tok.expires_on, skew, expires);
    }

    switch (rc) {

    case GA_TOKEN_OK:
        if (*expires == GA_TOKEN_NEVER) {
            *expires = NGX_MAX_TIME_T_VALUE;
        }

        token->len = tok.len;
        token->data = tok.data;

        return NGX_OK;

    case GA_TOKEN_ERR_EXPIRED:
        ngx_log_error(NGX_LOG_WARN, lk->log, 0,
                      "graph_attach: token key \"%V\" %s of %T s",
                      &lk->key, ga_token_strerror(rc), ngx_max(skew, 0));
        break;

    case GA_TOKEN_ERR_EMPTY:
        ngx_log_error(NGX_LOG_WARN, lk->log, 0,
                      "graph_attach: token key \"%V\" %s",
                      &lk->key, ga_token_strerror(rc));
        break;

    default:
        ngx_log_error(NGX_LOG_ERR, lk->log, 0,
                      "graph_attach: token key \"%V\" %s",
                      &lk->key, ga_token_strerror(rc));
    }

    return NGX_DECLINED;
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

