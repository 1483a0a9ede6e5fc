
/*
 * Copyright (C) graph-attach authors
 *
 * ngx_http_graph_attach_module: turns a multipart/form-data upload into
 * a Microsoft Graph fileAttachment request that proxy_pass forwards.
 *
 * This file is the glue: directives, configuration, and the registration
 * of the handler and filters.  The request itself is handled in
 * src/ngx_http_graph_attach_handler.c, the body converted by
 * src/ngx_http_graph_attach_request_body.c, errors answered by
 * src/ngx_http_graph_attach_error.c, the token found by
 * src/ngx_http_graph_attach_token.c; docs/design.md has the whole map.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ga_base64.h"
#include "ga_item.h"
#include "ga_multipart.h"
#include "ga_random.h"
#include "ngx_http_graph_attach_token.h"
#include "ngx_http_graph_attach_redis.h"
#include "ngx_http_graph_attach_metrics.h"


static void *ngx_http_graph_attach_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_graph_attach_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_graph_attach_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_graph_attach_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_http_graph_attach_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_graph_attach_init_process(ngx_cycle_t *cycle);
static void ngx_http_graph_attach_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_graph_attach_commands[] = {

    { ngx_string("graph_attach"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_graph_attach_loc_conf_t, enable),
      NULL },

    { ngx_string("graph_attach_token_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_graph_attach_loc_conf_t, token_key),
      NULL },

    { ngx_string("graph_attach_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_off_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_graph_attach_loc_conf_t, max_size),
      NULL },

    { ngx_string("graph_attach_upload"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_graph_attach_loc_conf_t, upload),
      NULL },

    { ngx_string("graph_attach_upload_threshold"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_graph_attach_loc_conf_t, upload_threshold),
      NULL },

    { ngx_string("graph_attach_upload_chunk"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_graph_attach_loc_conf_t, upload_chunk),
      NULL },

    { ngx_string("graph_attach_upload_hosts"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_graph_attach_upload_hosts,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("graph_attach_redis"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_graph_attach_redis,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("graph_attach_token_cache_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_graph_attach_main_conf_t, token_zone_size),
      NULL },

    { ngx_string("graph_attach_token_cache_time"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_graph_attach_main_conf_t, token_cache_time),
      NULL },

    { ngx_string("graph_attach_token_skew"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_graph_attach_main_conf_t, token_skew),
      NULL },

    { ngx_string("graph_attach_token_stale"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_graph_attach_main_conf_t, token_stale),
      NULL },

    { ngx_string("graph_attach_simd"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_graph_attach_main_conf_t, simd),
      NULL },

    { ngx_string("graph_attach_mailboxes"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_graph_attach_mailboxes,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("graph_attach_user"),
      NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_graph_attach_user,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("graph_attach_allow_types"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_graph_attach_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_graph_attach_loc_conf_t, allow_types),
      NULL },

    { ngx_string("graph_attach_deny_extensions"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_graph_attach_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_graph_attach_loc_conf_t, deny_extensions),
      NULL },

    { ngx_string("graph_attach_allow_extensions"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_graph_attach_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_graph_attach_loc_conf_t, allow_extensions),
      NULL },

    { ngx_string("graph_attach_sniff"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_graph_attach_loc_conf_t, sniff),
      NULL },

    { ngx_string("graph_attach_pass_header"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_graph_attach_pass_header,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("graph_attach_part_header_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_graph_attach_loc_conf_t, part_header_size),
      NULL },

    { ngx_string("graph_attach_part_headers"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_graph_attach_loc_conf_t, part_headers),
      NULL },

    { ngx_string("graph_attach_max_fields"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_graph_attach_loc_conf_t, max_fields),
      NULL },

    { ngx_string("graph_attach_max_item_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_graph_attach_loc_conf_t, max_item_size),
      NULL },

    { ngx_string("graph_attach_max_files"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_graph_attach_loc_conf_t, max_files),
      NULL },

    { ngx_string("graph_attach_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_graph_attach_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("graph_attach_metrics_buckets"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_graph_attach_metrics_buckets,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_graph_attach_module_ctx = {
    ngx_http_graph_attach_add_variables,    /* preconfiguration */
    ngx_http_graph_attach_init,             /* postconfiguration */

    ngx_http_graph_attach_create_main_conf, /* create main configuration */
    ngx_http_graph_attach_init_main_conf,   /* init main configuration */

    NULL,                                   /* create server configuration */
    NULL,                                   /* merge server configuration */

    ngx_http_graph_attach_create_loc_conf,  /* create location configuration */
    ngx_http_graph_attach_merge_loc_conf    /* merge location configuration */
};


ngx_module_t  ngx_http_graph_attach_module = {
    NGX_MODULE_V1,
    &ngx_http_graph_attach_module_ctx,      /* module context */
    ngx_http_graph_attach_commands,         /* module directives */
    NGX_HTTP_MODULE,                        /* module type */
    NULL,                                   /* init master */
    NULL,                                   /* init module */
    ngx_http_graph_attach_init_process,     /* init process */
    NULL,                                   /* init thread */
    NULL,                                   /* exit thread */
    ngx_http_graph_attach_exit_process,     /* exit process */
    NULL,                                   /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_graph_attach_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_graph_attach_main_conf_t  *amcf;

    amcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_graph_attach_main_conf_t));
    if (amcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     amcf->token_zone = NULL;
     *     amcf->metrics = NULL;
     *     amcf->used = 0;
     */

    amcf->token_zone_size = NGX_CONF_UNSET_SIZE;
    amcf->token_cache_time = NGX_CONF_UNSET;
    amcf->token_skew = NGX_CONF_UNSET;
    amcf->token_stale = NGX_CONF_UNSET;
    amcf->simd = NGX_CONF_UNSET;

    return amcf;
}


static char *
ngx_http_graph_attach_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_graph_attach_main_conf_t  *amcf = conf;

    ngx_conf_init_size_value(amcf->token_zone_size, 1024 * 1024);
    ngx_conf_init_value(amcf->token_cache_time, 60);
    ngx_conf_init_value(amcf->token_skew, 60);
    ngx_conf_init_value(amcf->token_stale, 300);
    ngx_conf_init_value(amcf->simd, 1);

    if (amcf->token_zone_size < 8 * ngx_pagesize) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"graph_attach_token_cache_size\" must be "
                           "at least %uz", 8 * ngx_pagesize);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_graph_attach_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_graph_attach_loc_conf_t  *alcf;

    alcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_graph_attach_loc_conf_t));
    if (alcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     alcf->token_key = NULL;
     *     alcf->pass = NULL;
     *     alcf->metrics = 0;
     */

    alcf->enable = NGX_CONF_UNSET;
    alcf->max_size = NGX_CONF_UNSET;
    alcf->user = NGX_CONF_UNSET_PTR;
    alcf->mailboxes = NGX_CONF_UNSET_PTR;
    alcf->allow_types = NGX_CONF_UNSET_PTR;
    alcf->deny_extensions = NGX_CONF_UNSET_PTR;
    alcf->allow_extensions = NGX_CONF_UNSET_PTR;
    alcf->sniff = NGX_CONF_UNSET;
    alcf->pass_headers = NGX_CONF_UNSET_PTR;
    alcf->part_header_size = NGX_CONF_UNSET_SIZE;
    alcf->part_headers = NGX_CONF_UNSET_UINT;
    alcf->max_fields = NGX_CONF_UNSET_UINT;
    alcf->max_files = NGX_CONF_UNSET_UINT;
    alcf->max_item_size = NGX_CONF_UNSET_SIZE;
    alcf->upload_threshold = NGX_CONF_UNSET_SIZE;
    alcf->upload_chunk = NGX_CONF_UNSET_SIZE;
    alcf->upload_hosts = NGX_CONF_UNSET_PTR;

    return alcf;
}


static char *
ngx_http_graph_attach_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_graph_attach_loc_conf_t *prev = parent;
    ngx_http_graph_attach_loc_conf_t *conf = child;

    off_t                               body_max;
    ngx_http_core_loc_conf_t           *clcf;
    ngx_http_graph_attach_main_conf_t  *amcf;

    if (ngx_http_graph_attach_metrics_merge(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    /* Exchange's default message size; files over the threshold need
     * graph_attach_upload */
    ngx_conf_merge_off_value(conf->max_size, prev->max_size,
                             35 * 1024 * 1024);

    ngx_conf_merge_str_value(conf->upload, prev->upload, "");
    ngx_conf_merge_size_value(conf->upload_threshold, prev->upload_threshold,
                              2 * 1024 * 1024);
    ngx_conf_merge_size_value(conf->upload_chunk, prev->upload_chunk,
                              4 * 1024 * 1024);

    /*
     * Graph's sessions start at 2 MiB, and its simple POST must still take
     * a file of the threshold and the form allowance: about 3,145,611
     * bytes of JSON, a file of 2.25 MiB
     */

    if (conf->upload_threshold < 2 * 1024 * 1024
        || conf->upload_threshold > 2176 * 1024)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"graph_attach_upload_threshold\" must be "
                           "between 2m and 2176k");
        return NGX_CONF_ERROR;
    }

    if (conf->upload_chunk < 65536 || conf->upload_chunk > 4 * 1024 * 1024) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"graph_attach_upload_chunk\" must be between "
                           "64k and 4m (Graph's largest range)");
        return NGX_CONF_ERROR;
    }

    if (ngx_http_graph_attach_upload_hosts_merge(cf, prev, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_ptr_value(conf->user, prev->user, NULL);

    /* a list set at one level replaces the inherited one */
    ngx_conf_merge_ptr_value(conf->mailboxes, prev->mailboxes, NULL);
    ngx_conf_merge_ptr_value(conf->allow_types, prev->allow_types, NULL);
    ngx_conf_merge_ptr_value(conf->deny_extensions, prev->deny_extensions,
                             NULL);
    ngx_conf_merge_ptr_value(conf->allow_extensions, prev->allow_extensions,
                             NULL);
    ngx_conf_merge_ptr_value(conf->pass_headers, prev->pass_headers, NULL);

    ngx_conf_merge_value(conf->sniff, prev->sniff, 1);
    ngx_conf_merge_size_value(conf->part_header_size,
                              prev->part_header_size, 8192);
    ngx_conf_merge_uint_value(conf->part_headers, prev->part_headers, 16);
    ngx_conf_merge_uint_value(conf->max_fields, prev->max_fields, 32);
    ngx_conf_merge_uint_value(conf->max_files, prev->max_files, 10);
    ngx_conf_merge_size_value(conf->max_item_size, prev->max_item_size,
                              GA_ITEM_MAX_SIZE);

    /* the item and its envelope go in one simple POST, under Graph's cap */

    if (conf->max_item_size < 1024
        || conf->max_item_size > GA_ITEM_SIZE_LIMIT)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"graph_attach_max_item_size\" must be "
                           "between 1k and %uz", (size_t) GA_ITEM_SIZE_LIMIT);
        return NGX_CONF_ERROR;
    }

    /* Graph takes 4 concurrent requests a mailbox; one at a time here */

    if (conf->max_files < 1 || conf->max_files > 100) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"graph_attach_max_files\" must be "
                           "between 1 and 100");
        return NGX_CONF_ERROR;
    }

    if (conf->part_header_size < 256 || conf->part_header_size > 65536) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"graph_attach_part_header_size\" must be "
                           "between 256 and 64k");
        return NGX_CONF_ERROR;
    }

    if (conf->token_key == NULL) {
        conf->token_key = prev->token_key;
    }

    if (conf->redis == NULL) {
        conf->redis = prev->redis;
    }

    if (!conf->enable) {
        return NGX_CONF_OK;
    }

    if (conf->token_key == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"graph_attach\" needs \"graph_attach_token_key\"");
        return NGX_CONF_ERROR;
    }

    amcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_graph_attach_module);
    amcf->used = 1;

    if (conf->redis == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"graph_attach\" needs \"graph_attach_redis\"");
        return NGX_CONF_ERROR;
    }

    ngx_http_graph_attach_redis_use(conf->redis);

    if (ngx_http_graph_attach_pass_init(cf, conf, prev) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /*
     * graph_attach_max_size is the one limit to set: core's
     * client_max_body_size would otherwise refuse a legitimate upload
     * (1m by default) before this module could judge it
     */

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    body_max = conf->max_size + NGX_HTTP_GRAPH_ATTACH_FORM_ALLOWANCE;

    if (clcf->client_max_body_size && clcf->client_max_body_size < body_max)
    {
        clcf->client_max_body_size = body_max;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_graph_attach_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt                *h;
    ngx_http_core_main_conf_t          *cmcf;
    ngx_http_graph_attach_main_conf_t  *amcf;

    amcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_graph_attach_module);

    if (ngx_http_graph_attach_request_body_filter_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_graph_attach_error_filter_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_graph_attach_token_filter_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_graph_attach_call_filter_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_graph_attach_request_id_filter_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_graph_attach_metrics_init(cf, amcf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (!amcf->used) {
        return NGX_OK;
    }

    if (ngx_http_graph_attach_token_init_zone(cf, amcf) != NGX_OK) {
        return NGX_ERROR;
    }

    amcf->sha256 = ngx_http_graph_attach_variable_used(cf,
                                                       "graph_attach_sha256");

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_graph_attach_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_graph_attach_scrub_handler;

    return NGX_OK;
}


static ngx_int_t
ngx_http_graph_attach_init_process(ngx_cycle_t *cycle)
{
    ngx_int_t                           search;
    ngx_flag_t                          simd;
    ga_base64_impl_e                    impl;
    ngx_http_graph_attach_main_conf_t  *amcf;

    /*
     * the base64 encoder and the multipart delimiter search, chosen once
     * in each process before its first
     * request and logged there, so each worker's log says what it runs;
     * without an http{} block nothing encodes, but the choice is the same
     */

    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_graph_attach_module);

    simd = (amcf == NULL || amcf->simd);
    impl = ga_base64_select((int) simd);

    search = ga_multipart_select((int) simd);

    /* the ids' random bytes: a worker's own, none of its master's */
    ga_random_forget();

    if (amcf != NULL && amcf->used) {
        ngx_log_error(NGX_LOG_INFO, cycle->log, 0,
                      "graph_attach: base64 encoder %s%s",
                      ga_base64_name(impl),
                      simd ? "" : " (graph_attach_simd off)");

        ngx_log_error(NGX_LOG_INFO, cycle->log, 0,
                      "graph_attach: multipart delimiter search %s%s",
                      search ? "avx2" : "memchr",
                      simd ? "" : " (graph_attach_simd off)");
    }

    return ngx_http_graph_attach_redis_init_process(cycle);
}


static void
ngx_http_graph_attach_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_graph_attach_redis_exit_process(cycle);
}
