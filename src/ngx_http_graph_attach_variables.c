
/*
 * Copyright (C) graph-attach authors
 *
 * Variables: $graph_attach_uri for proxy_pass, the others for audit logs
 * (log_format ... escape=json).  None of them can hold the token.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_writer.h"
#include "ga_name.h"
#include "ga_type.h"


static ngx_int_t ngx_http_graph_attach_str_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_graph_attach_name_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_graph_attach_size_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_graph_attach_sha256_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_graph_attach_result_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_graph_attach_id_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_graph_attach_kind_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_graph_attach_files_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static size_t ngx_http_graph_attach_type_sanitize(ngx_str_t *s,
    u_char *out);
static void ngx_http_graph_attach_set_value(ngx_http_variable_value_t *v,
    u_char *data, size_t len);


static ngx_http_variable_t  ngx_http_graph_attach_vars[] = {

    { ngx_string("graph_attach_uri"), NULL,
      ngx_http_graph_attach_str_variable,
      offsetof(ngx_http_graph_attach_ctx_t, uri),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    /* set only in the module's own subrequests into graph_attach_upload */
    { ngx_string("graph_attach_upload_url"), NULL,
      ngx_http_graph_attach_str_variable,
      offsetof(ngx_http_graph_attach_ctx_t, upload_url),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    /* the ids survive an internal redirect (_request_id.c) */
    { ngx_string("graph_attach_request_id"), NULL,
      ngx_http_graph_attach_id_variable,
      offsetof(ngx_http_graph_attach_ctx_t, request_id),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    /* Graph's request-id, judged a GUID (_request_id.c) */
    { ngx_string("graph_attach_graph_request_id"), NULL,
      ngx_http_graph_attach_id_variable,
      offsetof(ngx_http_graph_attach_ctx_t, graph_request_id),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("graph_attach_mailbox"), NULL,
      ngx_http_graph_attach_str_variable,
      offsetof(ngx_http_graph_attach_ctx_t, mailbox),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("graph_attach_name"), NULL,
      ngx_http_graph_attach_name_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("graph_attach_content_type"), NULL,
      ngx_http_graph_attach_name_variable, 1,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("graph_attach_size"), NULL,
      ngx_http_graph_attach_size_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("graph_attach_sha256"), NULL,
      ngx_http_graph_attach_sha256_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("graph_attach_result"), NULL,
      ngx_http_graph_attach_result_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("graph_attach_kind"), NULL,
      ngx_http_graph_attach_kind_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("graph_attach_files"), NULL,
      ngx_http_graph_attach_files_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_graph_attach_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_graph_attach_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_graph_attach_str_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                    *s;
    ngx_http_graph_attach_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (ngx_str_t *) ((char *) ctx + data);

    ngx_http_graph_attach_set_value(v, s->data, s->len);

    return NGX_OK;
}


static ngx_int_t
ngx_http_graph_attach_id_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                    *s;
    ngx_http_graph_attach_ctx_t  *ctx;

    ctx = ngx_http_graph_attach_ids(r);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (ngx_str_t *) ((char *) ctx + data);

    ngx_http_graph_attach_set_value(v, s->data, s->len);

    return NGX_OK;
}


/*
 * The judged name and type; before judging (a refusal), what the form
 * declared.  Either way sanitised here, on every path: an escape=json
 * log line stays valid JSON only if the value is valid UTF-8, and a log
 * reader should see no bidi or control tricks.
 */

static ngx_int_t
ngx_http_graph_attach_name_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                              *p;
    size_t                               len;
    ngx_str_t                           *s;
    ngx_http_graph_attach_ctx_t         *ctx;
    ngx_http_graph_attach_attachment_t  *a;

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    a = ctx->attachment;

    if (a == NULL || !a->started) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = data ? &a->content_type : &a->name;

    if (s->data == NULL) {
        /* refused before the end of the form: what the file part said */
        s = data ? &a->declared_type : &a->filename;
    }

    p = ngx_pnalloc(r->pool, s->len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (data) {
        len = ngx_http_graph_attach_type_sanitize(s, p);

    } else {
        len = ga_name_sanitize(s->data, s->len, p);
    }

    ngx_http_graph_attach_set_value(v, p, len);

    return NGX_OK;
}


/*
 * A type as Graph would get it, or, if it is malformed, its printable
 * ASCII bytes: room for s->len + 1
 */

static size_t
ngx_http_graph_attach_type_sanitize(ngx_str_t *s, u_char *out)
{
    size_t   n, i;

    n = ga_type_normalize(s->data, s->len, out);

    if (n) {
        return n;
    }

    for (i = 0; i < s->len; i++) {
        if (s->data[i] >= 0x20 && s->data[i] < 0x7f) {
            out[n++] = s->data[i];
        }
    }

    return n;
}


static ngx_int_t
ngx_http_graph_attach_size_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                       *p;
    ngx_http_graph_attach_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    if (ctx == NULL || ctx->attachment == NULL || !ctx->attachment->started) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_OFF_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_graph_attach_set_value(v, p,
                             ngx_sprintf(p, "%O", ctx->attachment->size) - p);

    return NGX_OK;
}


/* "file", "item", or "mixed" for a form holding both */

static ngx_int_t
ngx_http_graph_attach_kind_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_uint_t                            i, files, items;
    ngx_http_graph_attach_ctx_t          *ctx;
    ngx_http_graph_attach_attachment_t  **a;

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    if (ctx == NULL || ctx->attachments == NULL
        || !ctx->attachment->started)
    {
        v->not_found = 1;
        return NGX_OK;
    }

    a = ctx->attachments->elts;
    files = 0;
    items = 0;

    for (i = 0; i < ctx->attachments->nelts; i++) {
        if (a[i]->is_item) {
            items++;

        } else {
            files++;
        }
    }

    if (files && items) {
        ngx_http_graph_attach_set_value(v, (u_char *) "mixed", 5);

    } else if (items) {
        ngx_http_graph_attach_set_value(v, (u_char *) "item", 4);

    } else {
        ngx_http_graph_attach_set_value(v, (u_char *) "file", 4);
    }

    return NGX_OK;
}


/* how many attachments the form holds, files and items */

static ngx_int_t
ngx_http_graph_attach_files_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                       *p;
    ngx_http_graph_attach_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    if (ctx == NULL || ctx->attachments == NULL
        || !ctx->attachment->started)
    {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_graph_attach_set_value(v, p,
                    ngx_sprintf(p, "%ui", ctx->attachments->nelts) - p);

    return NGX_OK;
}


static ngx_int_t
ngx_http_graph_attach_sha256_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                              *p;
    ngx_http_graph_attach_ctx_t         *ctx;
    ngx_http_graph_attach_attachment_t  *a;

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    /* the digest exists once the whole file part was read */

    a = ctx ? ctx->attachment : NULL;

    if (a == NULL || a->sha256 == NULL || !a->complete) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, 2 * sizeof(a->digest));
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_graph_attach_set_value(v, p,
                     ngx_hex_dump(p, a->digest, sizeof(a->digest)) - p);

    return NGX_OK;
}


static ngx_int_t
ngx_http_graph_attach_result_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_graph_attach_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (ctx->error.status) {
        ngx_http_graph_attach_set_value(v, (u_char *) ctx->error.code,
                                        ngx_strlen(ctx->error.code));
        return NGX_OK;
    }

    /* handed to proxy_pass, or to an upload session that no error ended */

    if (ctx->phase_rc == NGX_DECLINED || ctx->plan_started) {
        ngx_http_graph_attach_set_value(v, (u_char *) "accepted",
                                        sizeof("accepted") - 1);
        return NGX_OK;
    }

    /* undecided: the client went away first */

    v->not_found = 1;

    return NGX_OK;
}


/*
 * Whether the configuration refers to a variable: every reference made
 * while parsing it (log_format, add_header, map, if...) indexed it.
 */

ngx_uint_t
ngx_http_graph_attach_variable_used(ngx_conf_t *cf, char *name)
{
    size_t                      len;
    ngx_uint_t                  i;
    ngx_http_variable_t        *v;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    len = ngx_strlen(name);
    v = cmcf->variables.elts;

    for (i = 0; i < cmcf->variables.nelts; i++) {
        if (v[i].name.len == len
            && ngx_strncmp(v[i].name.data, name, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static void
ngx_http_graph_attach_set_value(ngx_http_variable_value_t *v, u_char *data,
    size_t len)
{
    if (data == NULL) {
        v->not_found = 1;
        return;
    }

    v->len = len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = data;
}
