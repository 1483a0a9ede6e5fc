
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _NGX_HTTP_GRAPH_ATTACH_H_INCLUDED_
#define _NGX_HTTP_GRAPH_ATTACH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/evp.h>

#include "ga_base64.h"
#include "ga_errors.h"
#include "ga_multipart.h"


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

    ngx_flag_t                 used;              /* graph_attach on somewhere */
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

    /* policy: NULL lists mean any mailbox, any type, default extensions */
    ngx_array_t               *mailboxes;
    ngx_array_t               *allow_types;
    ngx_array_t               *deny_extensions;
    ngx_array_t               *allow_extensions;
    ngx_flag_t                 sniff;

    /* graph_attach_pass_header names, lower-cased; empty for "off" */
    ngx_array_t               *pass_headers;
    ngx_http_graph_attach_pass_t  *pass;          /* shared when inherited */

    /* form limits */
    size_t                     part_header_size;
    ngx_uint_t                 part_headers;
    ngx_uint_t                 max_fields;
} ngx_http_graph_attach_loc_conf_t;


/* what the part being parsed is */

typedef enum {
    NGX_HTTP_GRAPH_ATTACH_PART_SKIP = 0,
    NGX_HTTP_GRAPH_ATTACH_PART_FILE,
    NGX_HTTP_GRAPH_ATTACH_PART_MAYBE_FILE,    /* filename="" so far */
    NGX_HTTP_GRAPH_ATTACH_PART_NAME,
    NGX_HTTP_GRAPH_ATTACH_PART_CONTENT_TYPE,
    NGX_HTTP_GRAPH_ATTACH_PART_IS_INLINE,
    NGX_HTTP_GRAPH_ATTACH_PART_CONTENT_ID
} ngx_http_graph_attach_part_e;


/* the multipart-to-JSON conversion state of one request body */

typedef struct {
    ga_multipart_t                         mp;
    ga_base64_t                            b64;

    u_char                                *header_line;   /* parser's */
    u_char                                *scratch;       /* decoding */

    ngx_http_graph_attach_part_e           part;
    unsigned                               part_has_disposition:1;
    unsigned                               part_has_type:1;

    ngx_str_t                              part_type;     /* part's */
    ngx_str_t                              part_filename;
    ngx_str_t                              filename;
    ngx_str_t                              content_type;

    /* text fields, each NULL data when absent */
    ngx_str_t                              field_name;
    ngx_str_t                              field_content_type;
    ngx_str_t                              field_is_inline;
    ngx_str_t                              field_content_id;
    ngx_str_t                             *field;         /* being read */

    off_t                                  file_size;
    off_t                                  received;      /* raw bytes */
    off_t                                  max_size;
    off_t                                  body_limit;
    off_t                                  json_size;     /* emitted */

    ngx_buf_t                             *out_buf;
    ngx_chain_t                           *out;
    ngx_chain_t                          **last_out;
    ngx_chain_t                           *free;
    ngx_chain_t                           *busy;
    size_t                                 out_buf_size;

    ngx_http_graph_attach_loc_conf_t      *conf;
    ngx_uint_t                             parts;
    ngx_uint_t                             max_fields;
    size_t                                 header_line_size;

    /* the start of the file, for sniffing, and its digest */
    u_char                                 head[64];
    size_t                                 head_len;
    EVP_MD_CTX                            *sha256;
    u_char                                 digest[32];

    ngx_pool_t                            *pool;
    ngx_log_t                             *log;

    unsigned                               ended:1;       /* last_buf */
    unsigned                               file_seen:1;
    unsigned                               file_done:1;
} ngx_http_graph_attach_body_t;


typedef struct {
    ngx_str_t                              uri;           /* upstream path */
    ngx_str_t                              mailbox;
    ngx_str_t                              token_key;
    ngx_str_t                              request_id;    /* sent upstream */

    struct ngx_http_graph_attach_token_waiter_s  *waiter;
    ngx_str_t                              token;

    ngx_http_graph_attach_body_t          *body;

    /* the attachment as judged and sent, for the audit variables */
    ngx_str_t                              name;
    ngx_str_t                              content_type;

    ga_error_t                             error;     /* the answer */
    ngx_str_t                              error_json;    /* replacement */
    ngx_int_t                              phase_rc;

    unsigned                               filtering:1;   /* body filter on */
    unsigned                               token_done:1;
    unsigned                               body_done:1;
    unsigned                               finalized:1;   /* we answered */
    unsigned                               replaced:1;    /* JSON error body */
} ngx_http_graph_attach_ctx_t;


extern ngx_module_t  ngx_http_graph_attach_module;


/* ngx_http_graph_attach_body.c */
ngx_int_t ngx_http_graph_attach_body_init(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx, u_char *boundary, size_t boundary_len);
ngx_int_t ngx_http_graph_attach_body_filter_init(ngx_conf_t *cf);
ngx_int_t ngx_http_graph_attach_emit(ngx_http_graph_attach_body_t *b,
    const u_char *p, size_t len);
ngx_int_t ngx_http_graph_attach_emit_string(ngx_http_graph_attach_body_t *b,
    const char *s);
ngx_int_t ngx_http_graph_attach_emit_escaped(ngx_http_graph_attach_body_t *b,
    ngx_str_t *s);
ngx_int_t ngx_http_graph_attach_emit_base64(ngx_http_graph_attach_body_t *b,
    const u_char *p, size_t len);

/* ngx_http_graph_attach_form.c */
extern const ga_multipart_callbacks_t  ngx_http_graph_attach_form_callbacks;
ngx_int_t ngx_http_graph_attach_form_end(ngx_http_graph_attach_ctx_t *ctx);
void ngx_http_graph_attach_form_error(ngx_http_graph_attach_ctx_t *ctx,
    int rc);

/* ngx_http_graph_attach_policy.c */
char *ngx_http_graph_attach_mailboxes(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_graph_attach_list(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_graph_attach_mailbox_allowed(ngx_http_request_t *r,
    ngx_http_graph_attach_loc_conf_t *alcf, ngx_str_t *mailbox);
ngx_int_t ngx_http_graph_attach_judge(ngx_http_graph_attach_ctx_t *ctx,
    ngx_http_graph_attach_loc_conf_t *alcf, ngx_str_t *name,
    ngx_str_t *type);

/* ngx_http_graph_attach_variables.c */
ngx_int_t ngx_http_graph_attach_add_variables(ngx_conf_t *cf);
ngx_uint_t ngx_http_graph_attach_variable_used(ngx_conf_t *cf, char *name);

/* ngx_http_graph_attach_upstream.c */
char *ngx_http_graph_attach_pass_header(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_graph_attach_pass_init(ngx_conf_t *cf,
    ngx_http_graph_attach_loc_conf_t *conf,
    ngx_http_graph_attach_loc_conf_t *prev);
ngx_int_t ngx_http_graph_attach_set_headers(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx);
ngx_int_t ngx_http_graph_attach_scrub_handler(ngx_http_request_t *r);

/* ngx_http_graph_attach_error.c */
void ngx_http_graph_attach_set_error(ngx_http_graph_attach_ctx_t *ctx,
    ga_err_e err);
ngx_int_t ngx_http_graph_attach_send_error(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx);
ngx_int_t ngx_http_graph_attach_error_filter_init(ngx_conf_t *cf);


#endif /* _NGX_HTTP_GRAPH_ATTACH_H_INCLUDED_ */
