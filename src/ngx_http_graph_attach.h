
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _NGX_HTTP_GRAPH_ATTACH_H_INCLUDED_
#define _NGX_HTTP_GRAPH_ATTACH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ga_errors.h"


/*
 * The multipart body may carry, besides the file, part headers, text
 * fields, a preamble and an epilogue: this much is allowed on top of
 * graph_attach_max_size before the body is refused as too large.
 */
#define NGX_HTTP_GRAPH_ATTACH_FORM_ALLOWANCE    (64 * 1024)

#define NGX_HTTP_GRAPH_ATTACH_FIELD_MAX         4096
#define NGX_HTTP_GRAPH_ATTACH_CONTENT_TYPE_MAX  255

/* the longest name graph_attach_pass_header takes */
#define NGX_HTTP_GRAPH_ATTACH_PASS_NAME_MAX     128


/* http{} level settings: the token cache and the Redis servers in use */

typedef struct {
    ngx_shm_zone_t            *token_zone;
    size_t                     token_zone_size;
    time_t                     token_cache_time;
    time_t                     token_skew;
    time_t                     token_stale;

    /* every distinct graph_attach_redis (redis.c) */
    ngx_array_t               *redis_servers;

    ngx_flag_t                 simd;               /* graph_attach_simd */

    /* graph_attach_metrics and its zones (_metrics.c); NULL: none */
    struct ngx_http_graph_attach_metrics_s  *metrics;

    ngx_flag_t                 used;         /* graph_attach on somewhere */
    ngx_flag_t                 sha256;            /* $graph_attach_sha256 */
} ngx_http_graph_attach_main_conf_t;


/*
 * The client headers that reach Graph, built when the configuration is
 * loaded: a lower-cased name maps to its index, 1 to n
 */

typedef struct {
    ngx_hash_t                 hash;
    size_t                     max_len;           /* the longest name */
    ngx_uint_t                 n;
} ngx_http_graph_attach_pass_t;


typedef struct {
    ngx_flag_t                 enable;
    ngx_http_complex_value_t  *token_key;
    off_t                      max_size;

    /* graph_attach_redis, inherited */
    struct ngx_http_graph_attach_redis_server_s  *redis;

    /* the mailbox /me stands for; NULL: /me is not served */
    ngx_http_complex_value_t  *user;

    /* policy: NULL lists mean any mailbox, any type, default extensions */
    ngx_array_t               *mailboxes;
    ngx_array_t               *allow_types;
    ngx_array_t               *deny_extensions;
    ngx_array_t               *allow_extensions;
    ngx_flag_t                 sniff;

    /* graph_attach_pass_header names, lower-cased; empty for "off" */
    ngx_array_t               *pass_headers;
    ngx_http_graph_attach_pass_t  *pass;          /* shared when inherited */

    /* upload sessions: NULL data for upload when they are off */
    ngx_str_t                  upload;
    size_t                     upload_threshold;
    size_t                     upload_chunk;
    ngx_array_t               *upload_hosts;      /* of ga_upload_url_t */

    /* form limits */
    size_t                     part_header_size;
    ngx_uint_t                 part_headers;
    ngx_uint_t                 max_fields;
    ngx_uint_t                 max_files;
    size_t                     max_item_size;

    ngx_flag_t                 metrics;       /* graph_attach_metrics here */
} ngx_http_graph_attach_loc_conf_t;


/* ngx_http_graph_attach_form.h, ngx_http_graph_attach_writer.h */
typedef struct ngx_http_graph_attach_form_s  ngx_http_graph_attach_form_t;
typedef struct ngx_http_graph_attach_attachment_s
    ngx_http_graph_attach_attachment_t;
typedef struct ngx_http_graph_attach_writer_s
    ngx_http_graph_attach_writer_t;


typedef struct {
    ngx_str_t                              uri;           /* upstream path */
    ngx_str_t                              mailbox;
    ngx_str_t                              token_key;
    ngx_str_t                              request_id;    /* sent upstream */
    ngx_str_t                              graph_request_id;  /* Graph's */

    struct ngx_http_graph_attach_token_waiter_s  *waiter;
    ngx_str_t                              token;

    /* the body: the form, the attachment it holds, the JSON writer */
    ngx_http_graph_attach_form_t          *form;
    ngx_http_graph_attach_attachment_t    *attachment;   /* the first */
    ngx_array_t                           *attachments;  /* all, in order */
    ngx_http_graph_attach_writer_t        *writer;
    off_t                                  received;      /* raw bytes */
    off_t                                  body_limit;

    /* the calls of several files or a session (_plan.c); in a call's
     * subrequest, the call, and the uploadUrl for an upload location */
    struct ngx_http_graph_attach_plan_s   *plan;
    struct ngx_http_graph_attach_call_s   *call;
    ngx_str_t                              upload_url;
    off_t                                  call_length;   /* its body's */

    ga_error_t                             error;     /* the answer */
    ngx_uint_t                             error_index;   /* 1-based file */
    ngx_str_t                              error_name;
    ngx_str_t                              error_inner;   /* more members */
    ngx_str_t                              error_json;    /* replacement */
    ngx_int_t                              phase_rc;

    unsigned                               filtering:1;   /* body filter on */
    unsigned                               hold_output:1; /* JSON in memory */
    unsigned                               token_done:1;
    unsigned                               body_done:1;
    unsigned                               body_ended:1;  /* last_buf */
    unsigned                               finalized:1;   /* we answered */
    unsigned                               replaced:1;    /* JSON error body */
    unsigned                               session_call:1; /* our subrequest */
    unsigned                               plan_started:1;
} ngx_http_graph_attach_ctx_t;


extern ngx_module_t  ngx_http_graph_attach_module;


/*
 * A new header in list: a request header with its lower-case key and the
 * hash header variables find it by, or, with lowcase NULL, a response
 * header.  The one place that knows the nginx_version difference.
 */

static ngx_inline ngx_table_elt_t *
ngx_http_graph_attach_push_header(ngx_list_t *list, char *key, char *lowcase,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(list);
    if (h == NULL) {
        return NULL;
    }

    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value = *value;
    h->lowcase_key = (u_char *) lowcase;
    h->hash = lowcase ? ngx_hash_key(h->lowcase_key, h->key.len) : 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return h;
}


/*
 * 1 at most once a second for each *last: for log lines a client can
 * cause at will (a key, a missing token), so that it cannot flood the log
 */

static ngx_inline ngx_uint_t
ngx_http_graph_attach_log_due(time_t *last)
{
    if (*last == ngx_time()) {
        return 0;
    }

    *last = ngx_time();

    return 1;
}



/* ngx_http_graph_attach_handler.c */
ngx_int_t ngx_http_graph_attach_handler(ngx_http_request_t *r);

/* ngx_http_graph_attach_plan.c (and _session.c, _call.c) */
ngx_int_t ngx_http_graph_attach_plan_start(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx);
ngx_int_t ngx_http_graph_attach_call_filter_init(ngx_conf_t *cf);

/* ngx_http_graph_attach_session.c */
char *ngx_http_graph_attach_upload_hosts(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_graph_attach_upload_hosts_merge(ngx_conf_t *cf,
    ngx_http_graph_attach_loc_conf_t *prev,
    ngx_http_graph_attach_loc_conf_t *conf);

/* ngx_http_graph_attach_request_body.c */
ngx_int_t ngx_http_graph_attach_request_body_init(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx, u_char *boundary, size_t boundary_len);
ngx_int_t ngx_http_graph_attach_request_body_read(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx,
    ngx_http_client_body_handler_pt post_handler);
void ngx_http_graph_attach_request_body_lent_back(void);
ngx_int_t ngx_http_graph_attach_request_body_filter_init(ngx_conf_t *cf);

/* ngx_http_graph_attach_policy.c */
char *ngx_http_graph_attach_mailboxes(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_graph_attach_user(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_graph_attach_list(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_graph_attach_mailbox_allowed(
    ngx_http_graph_attach_loc_conf_t *alcf, ngx_str_t *mailbox);
ga_err_e ngx_http_graph_attach_judge(ngx_http_graph_attach_loc_conf_t *alcf,
    ngx_http_graph_attach_attachment_t *a, ngx_pool_t *pool, ngx_log_t *log);
ngx_int_t ngx_http_graph_attach_denied_name(
    ngx_http_graph_attach_loc_conf_t *alcf, ngx_str_t *name);

/* ngx_http_graph_attach_variables.c */
ngx_int_t ngx_http_graph_attach_add_variables(ngx_conf_t *cf);
ngx_uint_t ngx_http_graph_attach_variable_used(ngx_conf_t *cf, char *name);

/* ngx_http_graph_attach_request_headers.c */
char *ngx_http_graph_attach_pass_header(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_graph_attach_pass_init(ngx_conf_t *cf,
    ngx_http_graph_attach_loc_conf_t *conf,
    ngx_http_graph_attach_loc_conf_t *prev);
ngx_int_t ngx_http_graph_attach_set_headers(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx);
ngx_int_t ngx_http_graph_attach_scrub_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_graph_attach_push_token(ngx_http_request_t *r,
    ngx_str_t *token);

/* ngx_http_graph_attach_request_id.c */
ngx_int_t ngx_http_graph_attach_request_id(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx);
ngx_int_t ngx_http_graph_attach_graph_request_id(ngx_http_request_t *r,
    ngx_list_t *headers, ngx_http_graph_attach_ctx_t *ctx);
ngx_http_graph_attach_ctx_t *ngx_http_graph_attach_ids(ngx_http_request_t *r);
ngx_int_t ngx_http_graph_attach_request_id_filter_init(ngx_conf_t *cf);

/* ngx_http_graph_attach_error.c */
void ngx_http_graph_attach_set_error(ngx_http_graph_attach_ctx_t *ctx,
    ga_err_e err);
ngx_int_t ngx_http_graph_attach_send_error(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx);
ngx_int_t ngx_http_graph_attach_send_json(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx, ngx_uint_t status, u_char *data,
    size_t len);
ngx_int_t ngx_http_graph_attach_error_filter_init(ngx_conf_t *cf);


#endif /* _NGX_HTTP_GRAPH_ATTACH_H_INCLUDED_ */
