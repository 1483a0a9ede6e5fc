
/*
 * Copyright (C) graph-attach authors
 *
 * Prometheus metrics.  Two shared memory zones:
 *
 *   graph_attach_metrics        the counters and the histogram, of a size
 *                               fixed by the build, so that nginx keeps the
 *                               zone, and the counts, across reloads;
 *   graph_attach_metrics_redis  each worker's connection state per Redis
 *                               server, sized by the configuration, its
 *                               slots tagged with the configuration's
 *                               generation, so that the workers of an old
 *                               configuration, still ending their requests
 *                               after a reload, cannot overwrite the new
 *                               ones'.
 *
 * A request adds to the counters with ngx_atomic_fetch_add() and nothing
 * else: no lock.  Client requests are counted once, at their end, by a log
 * phase handler (subrequests never are); token lookups, upload sessions
 * and Graph's answers where they happen.  The location with
 * graph_attach_metrics prints the text format, version 0.0.4.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_metrics.h"
#include "ngx_http_graph_attach_redis.h"
#include "ngx_http_graph_attach_writer.h"


/* the histogram of one set of bounds: counts per bucket, not cumulative */

typedef struct {
    uint64_t                   bounds;      /* digest of them; 0: unused */
    ngx_atomic_t               count[GA_METRICS_BUCKETS_MAX + 1];
    ngx_atomic_t               sum_us;
} ngx_http_graph_attach_metrics_hist_t;


typedef struct {
    uint64_t                   layout;      /* of the label sets */
    time_t                     reset;       /* when the counts began */

    ngx_atomic_t               requests[GA_METRICS_CODES_MAX];
    ngx_atomic_t               refusals[GA_METRICS_RULES];
    ngx_atomic_t               graph[GA_METRICS_STATUSES_MAX];
    ngx_atomic_t               tokens[GA_METRICS_TOKENS];
    ngx_atomic_t               sessions[GA_METRICS_SESSIONS];
    ngx_atomic_t               bytes[GA_METRICS_DIRECTIONS];

    /*
     * two histograms: new bounds take the one the running configuration
     * does not use, so that its workers, still counting with the old
     * bounds after a reload, never count into the new ones
     */
    ngx_http_graph_attach_metrics_hist_t  hist[2];
} ngx_http_graph_attach_metrics_sh_t;


/* a slot per server and worker: generation << 1 | up */

typedef struct {
    ngx_atomic_t               generation;
    ngx_atomic_t               slot[1];
} ngx_http_graph_attach_metrics_redis_sh_t;


/* amcf->metrics, one per configuration */

typedef struct ngx_http_graph_attach_metrics_s {
    ngx_array_t                           *buckets;   /* uint64_t, in us */
    uint64_t                               bounds;    /* their digest */
    ngx_flag_t                             used;      /* a location shows */

    ngx_shm_zone_t                        *zone;
    ngx_shm_zone_t                        *redis_zone;
    ngx_uint_t                             servers;

    /* set by the zones' init, in the master, before the workers fork */
    ngx_http_graph_attach_metrics_sh_t    *sh;
    ngx_http_graph_attach_metrics_hist_t  *hist;
    ngx_http_graph_attach_metrics_redis_sh_t  *redis;
    ngx_atomic_uint_t                      generation;
} ngx_http_graph_attach_metrics_t;


/* one counter family of the exposition */

typedef struct {
    const char                *name;
    const char                *help;
    const char                *label;
    const char              *(*value)(size_t i);
    size_t                   (*count)(void);     /* NULL: n */
    size_t                     n;
    size_t                     first;
    size_t                     offset;      /* of its array in the zone */
} ngx_http_graph_attach_metrics_family_t;


static ngx_http_graph_attach_metrics_t *ngx_http_graph_attach_metrics_conf(
    ngx_conf_t *cf);
static ngx_shm_zone_t *ngx_http_graph_attach_metrics_add_zone(ngx_conf_t *cf,
    ngx_str_t *name, size_t size, ngx_shm_zone_init_pt init,
    ngx_http_graph_attach_metrics_t *m);
static ngx_int_t ngx_http_graph_attach_metrics_init_zone(ngx_shm_zone_t *zone,
    void *data);
static ngx_int_t ngx_http_graph_attach_metrics_init_redis_zone(
    ngx_shm_zone_t *zone, void *data);
static ngx_http_graph_attach_metrics_sh_t *ngx_http_graph_attach_metrics_sh(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_graph_attach_metrics_enter(ngx_http_request_t *r);
static void ngx_http_graph_attach_metrics_entered(void *data);
static ngx_uint_t ngx_http_graph_attach_metrics_was_in(ngx_http_request_t *r);
static ngx_int_t ngx_http_graph_attach_metrics_log(ngx_http_request_t *r);
static ngx_int_t ngx_http_graph_attach_metrics_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_graph_attach_metrics_refuse(ngx_http_request_t *r);
static size_t ngx_http_graph_attach_metrics_size(ngx_http_request_t *r,
    ngx_http_graph_attach_metrics_t *m);
static u_char *ngx_http_graph_attach_metrics_render(ngx_http_request_t *r,
    ngx_http_graph_attach_metrics_t *m, u_char *p);
static u_char *ngx_http_graph_attach_metrics_histogram(
    ngx_http_graph_attach_metrics_t *m, u_char *p);
static u_char *ngx_http_graph_attach_metrics_redis_gauges(
    ngx_http_request_t *r, ngx_http_graph_attach_metrics_t *m, u_char *p);
static ngx_uint_t ngx_http_graph_attach_metrics_workers(void);
static u_char *ngx_http_graph_attach_metrics_head(u_char *p, const char *name,
    const char *type, const char *help);
static ngx_uint_t ngx_http_graph_attach_metrics_redis_workers(
    ngx_http_graph_attach_metrics_t *m,
    ngx_http_graph_attach_main_conf_t *amcf, ngx_uint_t first,
    ngx_str_t *label, ngx_uint_t workers);


static ngx_str_t  ngx_http_graph_attach_metrics_zone_name =
    ngx_string("graph_attach_metrics");
static ngx_str_t  ngx_http_graph_attach_metrics_redis_zone_name =
    ngx_string("graph_attach_metrics_redis");

/* for request times: Graph takes seconds, a 150 MB session minutes */
static uint64_t  ngx_http_graph_attach_metrics_default_buckets[] = {
    50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
    30000000, 60000000, 120000000, 300000000
};


static ngx_http_graph_attach_metrics_family_t
    ngx_http_graph_attach_metrics_families[] = {

    { "graph_attach_requests_total",
      "Client requests in graph_attach locations, by the module's answer: "
      "its error code, or the status class of an answer that is no error "
      "of the module's (Graph's, relayed, or the module's own 201).",
      "code", ga_metrics_code, ga_metrics_codes, 0, 0,
      offsetof(ngx_http_graph_attach_metrics_sh_t, requests) },

    { "graph_attach_refusals_total",
      "Client requests refused by a rule of the gateway, by rule.",
      "rule", ga_metrics_rule, NULL, GA_METRICS_RULES, 0,
      offsetof(ngx_http_graph_attach_metrics_sh_t, refusals) },

    { "graph_attach_graph_responses_total",
      "Answers from Microsoft Graph, by status: proxied uploads and each "
      "call of the module's own (upload sessions, forms of several files).",
      "status", ga_metrics_status, ga_metrics_statuses, 0, 0,
      offsetof(ngx_http_graph_attach_metrics_sh_t, graph) },

    { "graph_attach_token_lookups_total",
      "Service token lookups of client requests, by result.",
      "result", ga_metrics_token, NULL, GA_METRICS_TOKENS,
      GA_METRICS_TOKEN_NONE + 1,
      offsetof(ngx_http_graph_attach_metrics_sh_t, tokens) },

    { "graph_attach_upload_sessions_total",
      "Upload sessions: created by Graph, and how each ended.",
      "result", ga_metrics_session, NULL, GA_METRICS_SESSIONS, 0,
      offsetof(ngx_http_graph_attach_metrics_sh_t, sessions) },

    { "graph_attach_bytes_total",
      "File bytes received from clients (in); request body bytes sent to "
      "Graph and answered (out).",
      "direction", ga_metrics_direction, NULL, GA_METRICS_DIRECTIONS, 0,
      offsetof(ngx_http_graph_attach_metrics_sh_t, bytes) },

    { NULL, NULL, NULL, NULL, NULL, 0, 0, 0 }
};


#define NGX_HTTP_GRAPH_ATTACH_METRICS_TYPE                                    \
    "text/plain; version=0.0.4; charset=utf-8"

/* a line beyond its name, label value and help: braces, quotes, a value */
#define NGX_HTTP_GRAPH_ATTACH_METRICS_LINE  128


char *
ngx_http_graph_attach_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_graph_attach_loc_conf_t *alcf = conf;

    ngx_http_core_loc_conf_t         *clcf;
    ngx_http_graph_attach_metrics_t  *m;

    if (alcf->metrics) {
        return "is duplicate";
    }

    m = ngx_http_graph_attach_metrics_conf(cf);
    if (m == NULL) {
        return NGX_CONF_ERROR;
    }

    m->used = 1;
    alcf->metrics = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_graph_attach_metrics_handler;

    return NGX_CONF_OK;
}


char *
ngx_http_graph_attach_metrics_buckets(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    uint64_t                         *b, us, last;
    ngx_str_t                        *value;
    ngx_uint_t                        i;
    ngx_http_graph_attach_metrics_t  *m;

    m = ngx_http_graph_attach_metrics_conf(cf);
    if (m == NULL) {
        return NGX_CONF_ERROR;
    }

    if (m->buckets) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts - 1 > GA_METRICS_BUCKETS_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" takes at most %d bounds", &cmd->name,
                           GA_METRICS_BUCKETS_MAX);
        return NGX_CONF_ERROR;
    }

    m->buckets = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                  sizeof(uint64_t));
    if (m->buckets == NULL) {
        return NGX_CONF_ERROR;
    }

    last = 0;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ga_metrics_parse_seconds(value[i].data, value[i].len, &us) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid bound \"%V\" in \"%V\": seconds, "
                               "such as 0.25 or 10, more than 0, at most "
                               "86400, at most 6 decimals", &value[i],
                               &cmd->name);
            return NGX_CONF_ERROR;
        }

        if (us <= last) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "bound \"%V\" in \"%V\" is not larger than "
                               "the one before", &value[i], &cmd->name);
            return NGX_CONF_ERROR;
        }

        b = ngx_array_push(m->buckets);
        if (b == NULL) {
            return NGX_CONF_ERROR;
        }

        *b = us;
        last = us;
    }

    return NGX_CONF_OK;
}


static ngx_http_graph_attach_metrics_t *
ngx_http_graph_attach_metrics_conf(ngx_conf_t *cf)
{
    ngx_http_graph_attach_main_conf_t  *amcf;

    amcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_graph_attach_module);

    if (amcf->metrics == NULL) {
        amcf->metrics = ngx_pcalloc(cf->pool,
                                    sizeof(ngx_http_graph_attach_metrics_t));
    }

    return amcf->metrics;
}


ngx_int_t
ngx_http_graph_attach_metrics_merge(ngx_conf_t *cf,
    ngx_http_graph_attach_loc_conf_t *conf)
{
    if (!conf->metrics) {
        return NGX_OK;
    }

    /* an inherited "graph_attach on" would take the GETs for uploads */

    if (conf->enable == 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"graph_attach_metrics\" and \"graph_attach on\" "
                           "in one location");
        return NGX_ERROR;
    }

    conf->enable = 0;

    return NGX_OK;
}


ngx_int_t
ngx_http_graph_attach_metrics_init(ngx_conf_t *cf,
    ngx_http_graph_attach_main_conf_t *amcf)
{
    size_t                            size;
    ngx_array_t                      *a;
    ngx_http_handler_pt              *h;
    ngx_http_core_main_conf_t        *cmcf;
    ngx_http_graph_attach_metrics_t  *m;

    m = amcf->metrics;

    if (m == NULL || !m->used || m->zone) {
        return NGX_OK;
    }

    if (m->buckets == NULL) {
        a = ngx_array_create(cf->pool, 16, sizeof(uint64_t));
        if (a == NULL) {
            return NGX_ERROR;
        }

        a->nelts = sizeof(ngx_http_graph_attach_metrics_default_buckets)
                   / sizeof(uint64_t);
        ngx_memcpy(a->elts, ngx_http_graph_attach_metrics_default_buckets,
                   sizeof(ngx_http_graph_attach_metrics_default_buckets));

        m->buckets = a;
    }

    /* never 0, which marks a histogram no configuration uses */
    m->bounds = ga_metrics_fnv(GA_METRICS_FNV_BASIS, m->buckets->elts,
                               m->buckets->nelts * sizeof(uint64_t)) | 1;

    /* the same size whatever the configuration: nginx keeps the zone */

    size = 8 * ngx_pagesize
           + ngx_align(sizeof(ngx_http_graph_attach_metrics_sh_t),
                       ngx_pagesize);

    m->zone = ngx_http_graph_attach_metrics_add_zone(cf,
                                    &ngx_http_graph_attach_metrics_zone_name,
                                    size,
                                    ngx_http_graph_attach_metrics_init_zone, m);
    if (m->zone == NULL) {
        return NGX_ERROR;
    }

    m->servers = amcf->redis_servers ? amcf->redis_servers->nelts : 0;

    size = 8 * ngx_pagesize
           + ngx_align(sizeof(ngx_http_graph_attach_metrics_redis_sh_t)
                       + (m->servers * NGX_MAX_PROCESSES)
                         * sizeof(ngx_atomic_t), ngx_pagesize);

    m->redis_zone = ngx_http_graph_attach_metrics_add_zone(cf,
                              &ngx_http_graph_attach_metrics_redis_zone_name,
                              size,
                              ngx_http_graph_attach_metrics_init_redis_zone, m);
    if (m->redis_zone == NULL) {
        return NGX_ERROR;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_graph_attach_metrics_enter;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_graph_attach_metrics_log;

    return NGX_OK;
}


/*
 * A zone kept by a reload holds the counts so far.  One written with other
 * label sets (another build of the module, loaded by the reload) is not
 * read as these: it is cleared.  New bounds start a new histogram.
 */

/* a zone of the module's own, for this configuration's metrics */

static ngx_shm_zone_t *
ngx_http_graph_attach_metrics_add_zone(ngx_conf_t *cf, ngx_str_t *name,
    size_t size, ngx_shm_zone_init_pt init, ngx_http_graph_attach_metrics_t *m)
{
    ngx_shm_zone_t  *zone;

    zone = ngx_shared_memory_add(cf, name, size, &ngx_http_graph_attach_module);
    if (zone == NULL) {
        return NULL;
    }

    if (zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "shared memory zone \"%V\" is already used", name);
        return NULL;
    }

    zone->init = init;
    zone->data = m;

    return zone;
}


static ngx_int_t
ngx_http_graph_attach_metrics_init_zone(ngx_shm_zone_t *zone, void *data)
{
    ngx_http_graph_attach_metrics_t *om = data;

    uint64_t                               layout;
    ngx_slab_pool_t                       *shpool;
    ngx_http_graph_attach_metrics_t       *m;
    ngx_http_graph_attach_metrics_sh_t    *sh;
    ngx_http_graph_attach_metrics_hist_t  *hist;

    m = zone->data;
    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (om) {
        sh = om->sh;

    } else if (zone->shm.exists) {
        sh = shpool->data;

    } else {
        sh = ngx_slab_alloc(shpool,
                            sizeof(ngx_http_graph_attach_metrics_sh_t));
        if (sh == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(sh, sizeof(ngx_http_graph_attach_metrics_sh_t));
        shpool->data = sh;
    }

    layout = ga_metrics_layout();
    layout = ga_metrics_fnv(layout, "sh", 2);

    if (sh->layout != layout) {

        if (sh->layout) {
            ngx_log_error(NGX_LOG_NOTICE, zone->shm.log, 0,
                          "graph_attach: the metrics' label sets changed, "
                          "the counters start again from 0");
        }

        ngx_memzero(sh, sizeof(ngx_http_graph_attach_metrics_sh_t));
        sh->layout = layout;
        sh->reset = ngx_time();
    }

    /*
     * the histogram of the running configuration, the one whose workers
     * count now: not that of a reload that failed after this (its
     * configuration never ran), nor that of one before
     */

    hist = om ? om->hist : &sh->hist[0];

    if (hist->bounds != m->bounds) {

        if (hist->bounds) {
            ngx_log_error(NGX_LOG_NOTICE, zone->shm.log, 0,
                          "graph_attach: graph_attach_metrics_buckets "
                          "changed, graph_attach_request_duration_seconds "
                          "starts again from 0");
        }

        hist = (hist == &sh->hist[0]) ? &sh->hist[1] : &sh->hist[0];

        ngx_memzero(hist, sizeof(ngx_http_graph_attach_metrics_hist_t));
        hist->bounds = m->bounds;
    }

    m->sh = sh;
    m->hist = hist;

    return NGX_OK;
}


static ngx_int_t
ngx_http_graph_attach_metrics_init_redis_zone(ngx_shm_zone_t *zone,
    void *data)
{
    ngx_http_graph_attach_metrics_t *om = data;

    size_t                                     size;
    ngx_slab_pool_t                           *shpool;
    ngx_http_graph_attach_metrics_t           *m;
    ngx_http_graph_attach_metrics_redis_sh_t  *rsh;

    m = zone->data;
    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (om) {
        rsh = om->redis;

    } else if (zone->shm.exists) {
        rsh = shpool->data;

    } else {
        size = sizeof(ngx_http_graph_attach_metrics_redis_sh_t)
               + m->servers * NGX_MAX_PROCESSES * sizeof(ngx_atomic_t);

        rsh = ngx_slab_alloc(shpool, size);
        if (rsh == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(rsh, size);
        shpool->data = rsh;
    }

    /* the master alone writes it, once a configuration */
    rsh->generation++;

    m->redis = rsh;
    m->generation = rsh->generation;

    return NGX_OK;
}


static ngx_http_graph_attach_metrics_sh_t *
ngx_http_graph_attach_metrics_sh(ngx_http_request_t *r)
{
    ngx_http_graph_attach_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_graph_attach_module);

    return amcf->metrics ? amcf->metrics->sh : NULL;
}


void
ngx_http_graph_attach_metrics_token(ngx_http_request_t *r,
    ga_metrics_token_e result)
{
    ngx_http_graph_attach_metrics_sh_t  *sh;

    sh = ngx_http_graph_attach_metrics_sh(r);

    if (sh && result > GA_METRICS_TOKEN_NONE && result < GA_METRICS_TOKENS) {
        (void) ngx_atomic_fetch_add(&sh->tokens[result], 1);
    }
}


void
ngx_http_graph_attach_metrics_session(ngx_http_request_t *r,
    ga_metrics_session_e result)
{
    ngx_http_graph_attach_metrics_sh_t  *sh;

    sh = ngx_http_graph_attach_metrics_sh(r);

    if (sh && result < GA_METRICS_SESSIONS) {
        (void) ngx_atomic_fetch_add(&sh->sessions[result], 1);
    }
}


/*
 * An answer is a try that got a response header from Graph: tries that
 * failed to connect, timed out or got something unreadable have none
 * (nginx then answers 502 or 504 itself, counted as the client's code)
 */

void
ngx_http_graph_attach_metrics_graph(ngx_http_request_t *r, off_t body_len)
{
    ngx_uint_t                           i;
    ngx_http_upstream_state_t           *state;
    ngx_http_graph_attach_metrics_sh_t  *sh;

    sh = ngx_http_graph_attach_metrics_sh(r);

    if (sh == NULL || r->upstream_states == NULL) {
        return;
    }

    state = r->upstream_states->elts;

    for (i = 0; i < r->upstream_states->nelts; i++) {

        if (state[i].peer == NULL || state[i].status == 0
            || state[i].header_time == (ngx_msec_t) -1)
        {
            continue;
        }

        (void) ngx_atomic_fetch_add(
                   &sh->graph[ga_metrics_status_index(state[i].status)], 1);

        if (body_len > 0) {
            (void) ngx_atomic_fetch_add(&sh->bytes[GA_METRICS_BYTES_OUT],
                                        (ngx_atomic_int_t) body_len);
        }
    }
}


/*
 * Written by the worker that owns the slot, compared and set so that a
 * worker of an older configuration never overwrites a newer one's state
 */

void
ngx_http_graph_attach_metrics_redis(ngx_cycle_t *cycle,
    struct ngx_http_graph_attach_redis_server_s *server, ngx_uint_t up)
{
    ngx_uint_t                              i;
    ngx_atomic_t                           *slot;
    ngx_atomic_uint_t                       old, value;
    ngx_http_graph_attach_metrics_t        *m;
    ngx_http_graph_attach_main_conf_t      *amcf;
    ngx_http_graph_attach_redis_server_t  **sp;

    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_graph_attach_module);

    if (amcf == NULL || amcf->metrics == NULL || amcf->metrics->redis == NULL
        || amcf->redis_servers == NULL
        || ngx_worker >= NGX_MAX_PROCESSES)
    {
        return;
    }

    m = amcf->metrics;
    sp = amcf->redis_servers->elts;

    for (i = 0; i < amcf->redis_servers->nelts && i < m->servers; i++) {
        if (sp[i] == server) {
            break;
        }
    }

    if (i == amcf->redis_servers->nelts || i == m->servers) {
        return;
    }

    slot = &m->redis->slot[i * NGX_MAX_PROCESSES + ngx_worker];
    value = (m->generation << 1) | (up ? 1 : 0);

    for ( ;; ) {
        old = *slot;

        if ((old >> 1) > m->generation || old == value
            || ngx_atomic_cmp_set(slot, old, value))
        {
            return;
        }
    }
}


/*
 * A request in a graph_attach location is marked, with a cleanup of its
 * pool: an error_page or a named location may take it to a location of
 * another kind, which clears the module's context, and it must still be
 * counted when it ends.  The rewrite phase runs in each location the
 * request goes to, named ones too, before any access or limit refuses it.
 */

static ngx_int_t
ngx_http_graph_attach_metrics_enter(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t                *cln;
    ngx_http_graph_attach_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);

    if (!alcf->enable || r != r->main
        || ngx_http_graph_attach_metrics_was_in(r))
    {
        return NGX_DECLINED;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_graph_attach_metrics_entered;
    cln->data = NULL;

    return NGX_DECLINED;
}


/* the mark: a cleanup that does nothing */

static void
ngx_http_graph_attach_metrics_entered(void *data)
{
}


static ngx_uint_t
ngx_http_graph_attach_metrics_was_in(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t  *cln;

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_graph_attach_metrics_entered) {
            return 1;
        }
    }

    return 0;
}


/*
 * A client request ends: its answer, refusal, bytes and time.  One that
 * left its graph_attach location counts by the answer it got where it
 * went: its context, with the module's error and the files, is gone.
 */

static ngx_int_t
ngx_http_graph_attach_metrics_log(ngx_http_request_t *r)
{
    off_t                                  in;
    size_t                                 code;
    ngx_int_t                              rule;
    uint64_t                               us;
    ngx_uint_t                             i;
    ngx_msec_int_t                         ms;
    ngx_time_t                            *tp;
    ngx_http_graph_attach_ctx_t           *ctx;
    ngx_http_graph_attach_metrics_t       *m;
    ngx_http_graph_attach_metrics_sh_t    *sh;
    ngx_http_graph_attach_loc_conf_t      *alcf;
    ngx_http_graph_attach_main_conf_t     *amcf;
    ngx_http_graph_attach_attachment_t   **a;

    if (r != r->main) {
        return NGX_OK;
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_graph_attach_module);

    m = amcf->metrics;

    if (m == NULL || m->sh == NULL) {
        return NGX_OK;
    }

    if (alcf->enable) {
        ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    } else if (ngx_http_graph_attach_metrics_was_in(r)) {
        ctx = NULL;

    } else {
        return NGX_OK;
    }

    sh = m->sh;

    if (ctx && ctx->error.status) {
        code = ga_metrics_code_of_error(&ctx->error);
        rule = ga_metrics_rule_of_error(&ctx->error);

    } else {
        code = ga_metrics_code_of_status(r->headers_out.status);
        rule = -1;
    }

    (void) ngx_atomic_fetch_add(&sh->requests[code], 1);

    if (rule >= 0) {
        (void) ngx_atomic_fetch_add(&sh->refusals[rule], 1);
    }

    if (ctx && ctx->attachments) {
        a = ctx->attachments->elts;
        in = 0;

        for (i = 0; i < ctx->attachments->nelts; i++) {
            in += a[i]->size;
        }

        if (in) {
            (void) ngx_atomic_fetch_add(&sh->bytes[GA_METRICS_BYTES_IN],
                                        (ngx_atomic_int_t) in);
        }
    }

    /* handed to proxy_pass: Graph's answers to it */

    ngx_http_graph_attach_metrics_graph(r, r->headers_in.content_length_n);

    /* as $request_time */

    tp = ngx_timeofday();

    ms = (ngx_msec_int_t) ((tp->sec - r->start_sec) * 1000
                           + (tp->msec - r->start_msec));
    us = (uint64_t) ngx_max(ms, 0) * 1000;

    /*
     * after two reloads with other bounds the histogram of this (old)
     * worker's configuration is another's, with other bounds: not ours
     * (a request that ends while the master clears it may still slip in)
     */

    if (m->hist->bounds != m->bounds) {
        return NGX_OK;
    }

    (void) ngx_atomic_fetch_add(&m->hist->count[ga_metrics_bucket(
                                    m->buckets->elts, m->buckets->nelts, us)],
                                1);
    (void) ngx_atomic_fetch_add(&m->hist->sum_us, (ngx_atomic_int_t) us);

    return NGX_OK;
}


static ngx_int_t
ngx_http_graph_attach_metrics_handler(ngx_http_request_t *r)
{
    size_t                              len;
    ngx_int_t                           rc;
    ngx_buf_t                          *b;
    ngx_chain_t                         out;
    ngx_http_graph_attach_metrics_t    *m;
    ngx_http_graph_attach_main_conf_t  *amcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_graph_attach_metrics_refuse(r);
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_graph_attach_module);
    m = amcf->metrics;

    if (m == NULL || m->sh == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "graph_attach: metrics zone is not configured");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = ngx_http_graph_attach_metrics_size(r, m);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_http_graph_attach_metrics_render(r, m, b->pos);

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;

    r->headers_out.content_type_len = sizeof("text/plain") - 1;
    ngx_str_set(&r->headers_out.content_type,
                NGX_HTTP_GRAPH_ATTACH_METRICS_TYPE);
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* anything but GET and HEAD: 405 in the module's JSON */

static ngx_int_t
ngx_http_graph_attach_metrics_refuse(ngx_http_request_t *r)
{
    ngx_int_t                     rc;
    ngx_http_graph_attach_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_graph_attach_ctx_t));
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_graph_attach_module);
    }

    ngx_http_graph_attach_set_error(ctx, GA_ERR_METRICS_METHOD);

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_graph_attach_send_error(r, ctx);
}


/* at least what render() writes, whatever the counters hold then */

static size_t
ngx_http_graph_attach_metrics_size(ngx_http_request_t *r,
    ngx_http_graph_attach_metrics_t *m)
{
    size_t                                   len, n, i;
    ngx_str_t                               *label;
    ngx_http_graph_attach_metrics_family_t  *f;
    ngx_http_graph_attach_main_conf_t       *amcf;
    ngx_http_graph_attach_redis_server_t   **sp;

    len = 0;

    for (f = ngx_http_graph_attach_metrics_families; f->name; f++) {
        n = f->count ? f->count() : f->n;

        len += ngx_strlen(f->help) + NGX_HTTP_GRAPH_ATTACH_METRICS_LINE;

        for (i = f->first; i < n; i++) {
            len += ngx_strlen(f->value(i))
                   + NGX_HTTP_GRAPH_ATTACH_METRICS_LINE;
        }
    }

    /* the histogram, the reset time, the Redis gauges' heads */

    len += (m->buckets->nelts + 8) * NGX_HTTP_GRAPH_ATTACH_METRICS_LINE
           + 1024;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_graph_attach_module);

    if (amcf->redis_servers) {
        sp = amcf->redis_servers->elts;

        for (i = 0; i < amcf->redis_servers->nelts; i++) {
            label = ngx_http_graph_attach_redis_label(sp[i]);

            if (label) {
                len += 2 * (ga_metrics_escape_len(label->data, label->len)
                            + NGX_HTTP_GRAPH_ATTACH_METRICS_LINE);
            }
        }
    }

    return len;
}


static u_char *
ngx_http_graph_attach_metrics_render(ngx_http_request_t *r,
    ngx_http_graph_attach_metrics_t *m, u_char *p)
{
    size_t                                   n, i;
    ngx_atomic_t                            *counter;
    ngx_http_graph_attach_metrics_family_t  *f;

    for (f = ngx_http_graph_attach_metrics_families; f->name; f++) {
        n = f->count ? f->count() : f->n;

        counter = (ngx_atomic_t *) ((u_char *) m->sh + f->offset);

        p = ngx_http_graph_attach_metrics_head(p, f->name, "counter",
                                               f->help);

        for (i = f->first; i < n; i++) {
            p = ngx_sprintf(p, "%s{%s=\"%s\"} %uA\n", f->name, f->label,
                            f->value(i), counter[i]);
        }
    }

    p = ngx_http_graph_attach_metrics_histogram(m, p);
    p = ngx_http_graph_attach_metrics_redis_gauges(r, m, p);

    p = ngx_http_graph_attach_metrics_head(p,
            "graph_attach_metrics_reset_time_seconds", "gauge",
            "When these counters began, in Unix time: the start of nginx, "
            "or a reload that loaded another build of the module.");

    p = ngx_sprintf(p, "graph_attach_metrics_reset_time_seconds %T\n",
                    m->sh->reset);

    return p;
}


/*
 * The counts are read once, then summed: the +Inf bucket and _count are
 * always equal, and the buckets never decrease, even while requests end
 */

static u_char *
ngx_http_graph_attach_metrics_histogram(ngx_http_graph_attach_metrics_t *m,
    u_char *p)
{
    size_t             i, n, len;
    uint64_t          *bounds, sum_us;
    ngx_atomic_uint_t  count[GA_METRICS_BUCKETS_MAX + 1], total;
    u_char             le[GA_METRICS_BOUND_LEN];

    static const char  name[] = "graph_attach_request_duration_seconds";

    n = m->buckets->nelts;
    bounds = m->buckets->elts;

    for (i = 0; i <= n; i++) {
        count[i] = m->hist->count[i];
    }

    sum_us = m->hist->sum_us;

    p = ngx_http_graph_attach_metrics_head(p, name, "histogram",
            "Client requests in graph_attach locations, by the time from "
            "their first byte to the end of the module's answer "
            "(graph_attach_metrics_buckets).");

    total = 0;

    for (i = 0; i < n; i++) {
        total += count[i];
        len = ga_metrics_format_seconds(le, bounds[i]);

        p = ngx_sprintf(p, "%s_bucket{le=\"%*s\"} %uA\n", name, len, le,
                        total);
    }

    total += count[n];

    p = ngx_sprintf(p, "%s_bucket{le=\"+Inf\"} %uA\n", name, total);
    p = ngx_sprintf(p, "%s_sum %uL.%06uL\n", name, sum_us / 1000000,
                    sum_us % 1000000);
    p = ngx_sprintf(p, "%s_count %uA\n", name, total);

    return p;
}


/*
 * Per label (an address, or a Sentinel master's name; servers of one
 * label with another db or password count together): the workers whose
 * connections to it are all up, and 1 if that is every worker
 */

static u_char *
ngx_http_graph_attach_metrics_redis_gauges(ngx_http_request_t *r,
    ngx_http_graph_attach_metrics_t *m, u_char *p)
{
    ngx_str_t                              *label, *other;
    ngx_uint_t                              i, k, w, workers, connected;
    ngx_http_graph_attach_main_conf_t      *amcf;
    ngx_http_graph_attach_redis_server_t  **sp;

    static const char  *names[2] = {
        "graph_attach_redis_up",
        "graph_attach_redis_connected_workers"
    };

    static const char  *helps[2] = {
        "1 if every worker process is connected to this Redis (or Sentinel "
        "master), 0 otherwise.",
        "Worker processes connected to this Redis (or Sentinel master)."
    };

    amcf = ngx_http_get_module_main_conf(r, ngx_http_graph_attach_module);

    workers = ngx_http_graph_attach_metrics_workers();

    for (k = 0; k < 2; k++) {
        p = ngx_http_graph_attach_metrics_head(p, names[k], "gauge",
                                               helps[k]);

        if (amcf->redis_servers == NULL || m->redis == NULL) {
            continue;
        }

        sp = amcf->redis_servers->elts;

        for (i = 0; i < amcf->redis_servers->nelts && i < m->servers; i++) {

            label = ngx_http_graph_attach_redis_label(sp[i]);
            if (label == NULL) {
                continue;
            }

            /* the first server of its label prints it */

            for (w = 0; w < i; w++) {
                other = ngx_http_graph_attach_redis_label(sp[w]);

                if (other && other->len == label->len
                    && ngx_strncmp(other->data, label->data, label->len) == 0)
                {
                    break;
                }
            }

            if (w < i) {
                continue;
            }

            connected = ngx_http_graph_attach_metrics_redis_workers(m, amcf,
                                                        i, label, workers);

            p = ngx_sprintf(p, "%s{redis=\"", names[k]);
            p = ga_metrics_escape(p, label->data, label->len);
            p = ngx_sprintf(p, "\"} %ui\n",
                            k ? connected
                              : (ngx_uint_t) (connected == workers));
        }
    }

    return p;
}


/* the workers whose slots for every server of label, from first on, say
 * up in this configuration's generation */

static ngx_uint_t
ngx_http_graph_attach_metrics_redis_workers(ngx_http_graph_attach_metrics_t *m,
    ngx_http_graph_attach_main_conf_t *amcf, ngx_uint_t first,
    ngx_str_t *label, ngx_uint_t workers)
{
    ngx_str_t                              *other;
    ngx_uint_t                              s, w, n, all;
    ngx_atomic_uint_t                       up;
    ngx_http_graph_attach_redis_server_t  **sp;

    sp = amcf->redis_servers->elts;
    up = (m->generation << 1) | 1;
    n = 0;

    for (w = 0; w < workers; w++) {
        all = 1;

        for (s = first; s < amcf->redis_servers->nelts && s < m->servers; s++)
        {
            other = ngx_http_graph_attach_redis_label(sp[s]);

            if (other == NULL || other->len != label->len
                || ngx_strncmp(other->data, label->data, label->len) != 0)
            {
                continue;
            }

            if (m->redis->slot[s * NGX_MAX_PROCESSES + w] != up) {
                all = 0;
                break;
            }
        }

        n += all;
    }

    return n;
}


/* the worker processes the master keeps: one without a master */

static ngx_uint_t
ngx_http_graph_attach_metrics_workers(void)
{
    ngx_core_conf_t  *ccf;

    if (ngx_process == NGX_PROCESS_SINGLE) {
        return 1;
    }

    ccf = (ngx_core_conf_t *) ngx_get_conf(ngx_cycle->conf_ctx,
                                           ngx_core_module);

    if (ccf->worker_processes <= 0) {
        return 1;
    }

    return ngx_min((ngx_uint_t) ccf->worker_processes, NGX_MAX_PROCESSES);
}


static u_char *
ngx_http_graph_attach_metrics_head(u_char *p, const char *name,
    const char *type, const char *help)
{
    return ngx_sprintf(p, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
                       type);
}
