
/*
 * Copyright (C) graph-attach authors
 *
 * Upload sessions: a file past graph_attach_upload_threshold, kept as it
 * is in the request body's temp file, goes to Graph in three kinds of
 * calls (_call.c), each a subrequest of the client's request so that
 * proxy_pass (its upstream, TLS and timeouts) makes it:
 *
 *   POST {graph path}/attachments/createUploadSession   the graph_attach
 *        location, with the token and the AttachmentItem;
 *   PUT  uploadUrl, range by range                      graph_attach_upload,
 *        straight from the temp file, without Authorization;
 *   DELETE uploadUrl                                    the same, to cancel.
 *
 * One call at a time, the plan's (_plan.c): each one's end wakes the
 * client's request, whose write event handler hands the answer here
 * (ngx_http_graph_attach_session_step()) for the next call, until the
 * session tells the plan how it went.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_plan.h"
#include "ngx_http_graph_attach_metrics.h"
#include "ga_json.h"
#include "ga_upload.h"


typedef enum {
    NGX_HTTP_GRAPH_ATTACH_SESSION_CREATE = 0,
    NGX_HTTP_GRAPH_ATTACH_SESSION_PUT,
    NGX_HTTP_GRAPH_ATTACH_SESSION_DELETE
} ngx_http_graph_attach_session_call_e;


struct ngx_http_graph_attach_session_s {
    ngx_http_graph_attach_plan_t          *plan;
    ngx_http_graph_attach_call_t          *call;      /* the plan's */
    ngx_http_request_t                    *request;
    ngx_http_graph_attach_loc_conf_t      *conf;
    ngx_http_graph_attach_attachment_t    *attachment;

    ngx_http_graph_attach_session_call_e   kind;      /* of the call out */
    ngx_uint_t                             tries;     /* of this range */

    ngx_str_t                              upload_url;
    int64_t                                total;
    off_t                                  base;      /* in the body */
    int64_t                                offset;    /* next range */
    int64_t                                end;       /* sent range's */

    /* how it went; a failure stands once a DELETE has cancelled it */
    ngx_http_graph_attach_result_t         result;

    ngx_log_handler_pt                     log_handler;  /* the core's */
};


static ngx_int_t ngx_http_graph_attach_session_create(
    ngx_http_graph_attach_session_t *s);
static ngx_int_t ngx_http_graph_attach_session_put(
    ngx_http_graph_attach_session_t *s);
static ngx_int_t ngx_http_graph_attach_session_delete(
    ngx_http_graph_attach_session_t *s);
static ngx_int_t ngx_http_graph_attach_session_created(
    ngx_http_graph_attach_session_t *s);
static ngx_int_t ngx_http_graph_attach_session_range_done(
    ngx_http_graph_attach_session_t *s);
static ngx_uint_t ngx_http_graph_attach_session_retry(
    ngx_http_graph_attach_session_t *s);
static void ngx_http_graph_attach_session_fail(
    ngx_http_graph_attach_session_t *s, ga_err_e err);
static void ngx_http_graph_attach_session_keep_error(
    ngx_http_graph_attach_session_t *s);
static void ngx_http_graph_attach_session_finish(
    ngx_http_graph_attach_session_t *s);
static void ngx_http_graph_attach_session_cleanup(void *data);
static u_char *ngx_http_graph_attach_session_log(ngx_log_t *log, u_char *buf,
    size_t len);


/* the core's log handler, which ngx_http_graph_attach_session_log() wraps */
static ngx_log_handler_pt  ngx_http_graph_attach_log_handler;


static ngx_str_t  ngx_http_graph_attach_default_hosts[] = {
    ngx_string("https://outlook.office.com"),
    ngx_string("https://outlook.office365.com"),
    ngx_null_string
};


ngx_int_t
ngx_http_graph_attach_session_begin(ngx_http_graph_attach_plan_t *p,
    ngx_http_graph_attach_attachment_t *a)
{
    ngx_pool_cleanup_t               *cln;
    ngx_http_request_t               *r;
    ngx_http_graph_attach_session_t  *s;

    r = p->request;

    s = ngx_pcalloc(r->pool, sizeof(ngx_http_graph_attach_session_t));
    if (s == NULL) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_graph_attach_session_cleanup;
    cln->data = s;

    s->plan = p;
    s->call = &p->call;
    s->request = r;
    s->conf = p->conf;
    s->attachment = a;
    s->total = a->size;
    s->base = a->body_start;

    p->session = s;

    /*
     * the proxy module names its upstream in every error line, and the
     * uploadUrl's query carries a credential: while the request lasts,
     * its connection's log lines have it masked
     */

    if (r->connection->log->handler != ngx_http_graph_attach_session_log) {
        ngx_http_graph_attach_log_handler = r->connection->log->handler;
        s->log_handler = r->connection->log->handler;
        r->connection->log->handler = ngx_http_graph_attach_session_log;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "graph_attach: upload session for %O bytes",
                  (off_t) s->total);

    return ngx_http_graph_attach_session_create(s);
}


/* POST createUploadSession, through the graph_attach location itself */

static ngx_int_t
ngx_http_graph_attach_session_create(ngx_http_graph_attach_session_t *s)
{
    size_t                               len;
    u_char                              *p;
    ngx_buf_t                           *b;
    ngx_chain_t                         *cl;
    ngx_http_request_t                  *r;
    ngx_http_graph_attach_call_t        *call;
    ngx_http_graph_attach_attachment_t  *a;

    r = s->request;
    a = s->attachment;
    call = s->call;

    len = ga_upload_item_len(a->name.data, a->name.len,
                             a->content_type.data, a->content_type.len,
                             a->content_id.data, a->content_id.len);

    b = ngx_create_temp_buf(r->pool, len);
    cl = ngx_alloc_chain_link(r->pool);
    if (b == NULL || cl == NULL) {
        return NGX_ERROR;
    }

    p = ga_upload_item(b->pos, a->name.data, a->name.len,
                       a->content_type.data, a->content_type.len,
                       (int64_t) a->size, a->is_inline, a->content_id.data,
                       a->content_id.len);

    b->last = p;
    b->last_buf = 1;
    cl->buf = b;
    cl->next = NULL;

    ngx_http_graph_attach_call_reset(call, &r->uri, NGX_HTTP_POST);

    call->uri.len = s->plan->ctx->uri.len + sizeof("/createUploadSession") - 1;
    call->uri.data = ngx_pnalloc(r->pool, call->uri.len);
    if (call->uri.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(call->uri.data, s->plan->ctx->uri.data,
                   s->plan->ctx->uri.len);
    ngx_memcpy(p, "/createUploadSession", sizeof("/createUploadSession") - 1);

    ngx_str_set(&call->content_type, "application/json");
    call->token = 1;
    call->body = cl;
    call->body_len = b->last - b->pos;

    s->kind = NGX_HTTP_GRAPH_ATTACH_SESSION_CREATE;

    return ngx_http_graph_attach_call_send(call);
}


/* PUT the next range, from the temp file */

static ngx_int_t
ngx_http_graph_attach_session_put(ngx_http_graph_attach_session_t *s)
{
    size_t                         len;
    ngx_chain_t                   *body, *cl;
    ngx_http_graph_attach_call_t  *call;
    u_char                         range[GA_UPLOAD_RANGE_LEN];

    if (s->plan->client_gone) {
        /* nobody waits for the attachment any more */
        return ngx_http_graph_attach_session_delete(s);
    }

    call = s->call;

    s->end = ngx_min(s->offset + (int64_t) s->conf->upload_chunk, s->total)
             - 1;

    /*
     * the file's bytes lie as they are in the body, from its start: the
     * range is a slice of its buffers, file buffers of the temp file as a
     * rule (a body within client_body_buffer_size stays in memory)
     */

    body = ngx_http_graph_attach_plan_slice(s->plan, s->base + s->offset,
                                            s->base + s->end + 1);
    if (body == NULL) {
        return NGX_ERROR;
    }

    for (cl = body; cl->next; cl = cl->next) { /* void */ }
    cl->buf->last_buf = 1;

    ngx_http_graph_attach_call_reset(call, &s->conf->upload, NGX_HTTP_PUT);

    len = ga_upload_content_range(range, s->offset, s->end, s->total);

    call->content_range.data = ngx_pnalloc(s->request->pool, len);
    if (call->content_range.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(call->content_range.data, range, len);
    call->content_range.len = len;

    call->upload_url = s->upload_url;
    ngx_str_set(&call->content_type, "application/octet-stream");
    call->body = body;
    call->body_len = s->end + 1 - s->offset;

    s->kind = NGX_HTTP_GRAPH_ATTACH_SESSION_PUT;

    return ngx_http_graph_attach_call_send(call);
}


static ngx_int_t
ngx_http_graph_attach_session_delete(ngx_http_graph_attach_session_t *s)
{
    ngx_http_graph_attach_call_t  *call;

    call = s->call;

    ngx_http_graph_attach_call_reset(call, &s->conf->upload, NGX_HTTP_DELETE);
    call->upload_url = s->upload_url;

    s->kind = NGX_HTTP_GRAPH_ATTACH_SESSION_DELETE;

    return ngx_http_graph_attach_call_send(call);
}


/* the call out was answered: the next one, or the plan is told */

void
ngx_http_graph_attach_session_step(ngx_http_graph_attach_session_t *s)
{
    ngx_int_t  rc;

    switch (s->kind) {

    case NGX_HTTP_GRAPH_ATTACH_SESSION_CREATE:
        rc = ngx_http_graph_attach_session_created(s);
        break;

    case NGX_HTTP_GRAPH_ATTACH_SESSION_PUT:
        rc = ngx_http_graph_attach_session_range_done(s);
        break;

    default:

        /* cancelled, whatever DELETE answered: the error stands */

        if (s->call->status != NGX_HTTP_NO_CONTENT) {
            ngx_log_error(NGX_LOG_ERR, s->request->connection->log, 0,
                          "graph_attach: upload session not cancelled "
                          "(status %ui)", s->call->status);
        }

        ngx_http_graph_attach_session_finish(s);
        return;
    }

    if (rc == NGX_ERROR) {
        ngx_http_graph_attach_session_fail(s, GA_ERR_OUT_OF_MEMORY);
    }
}


/* the client left while a range waited to be sent again */

void
ngx_http_graph_attach_session_cancel(ngx_http_graph_attach_session_t *s)
{
    ngx_http_graph_attach_session_fail(s, GA_ERR_UPLOAD_FAILED);
}


static ngx_int_t
ngx_http_graph_attach_session_created(ngx_http_graph_attach_session_t *s)
{
    int                            rc;
    size_t                         len;
    ngx_uint_t                     i;
    ga_upload_url_t                u, *origin;
    ngx_http_graph_attach_call_t  *call;
    u_char                         url[GA_UPLOAD_URL_MAX];

    call = s->call;

    if (call->status != NGX_HTTP_CREATED) {

        /* nothing was created: nothing to cancel */

        s->result.failed = GA_ERR_UPLOAD_FAILED;
        ngx_http_graph_attach_session_keep_error(s);

        ngx_log_error(NGX_LOG_ERR, s->request->connection->log, 0,
                      "graph_attach: createUploadSession answered %ui",
                      call->status);

        ngx_http_graph_attach_session_finish(s);
        return NGX_OK;
    }

    ngx_http_graph_attach_metrics_session(s->request,
                                          GA_METRICS_SESSION_CREATED);

    rc = ga_upload_session_parse(call->answer.data, call->answer.len, url,
                                 &len, &s->offset);

    if (rc != GA_UPLOAD_OK
        || ga_upload_url_parse(url, len, 0, &u) != GA_UPLOAD_OK
        || s->offset >= s->total)
    {
        ngx_log_error(NGX_LOG_ERR, s->request->connection->log, 0,
                      "graph_attach: createUploadSession answer not "
                      "understood (%d)", rc);
        s->result.failed = GA_ERR_BAD_UPLOAD_SESSION;
        ngx_http_graph_attach_session_finish(s);
        return NGX_OK;
    }

    origin = s->conf->upload_hosts->elts;

    for (i = 0; i < s->conf->upload_hosts->nelts; i++) {
        if (ga_upload_same_origin(&u, &origin[i])) {
            break;
        }
    }

    if (i == s->conf->upload_hosts->nelts) {

        /* the host is named, never the URL: it carries a credential */

        ngx_log_error(NGX_LOG_ERR, s->request->connection->log, 0,
                      "graph_attach: upload host \"%*s\" is not in "
                      "graph_attach_upload_hosts", u.host_len, u.host);

        s->result.failed = GA_ERR_UPLOAD_HOST;
        ngx_http_graph_attach_session_finish(s);
        return NGX_OK;
    }

    s->upload_url.data = ngx_pnalloc(s->request->pool, len);
    if (s->upload_url.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(s->upload_url.data, url, len);
    s->upload_url.len = len;

    s->tries = 0;

    return ngx_http_graph_attach_session_put(s);
}


static ngx_int_t
ngx_http_graph_attach_session_range_done(ngx_http_graph_attach_session_t *s)
{
    int64_t                        next;
    size_t                         id_len;
    const u_char                  *id;
    ngx_http_graph_attach_call_t  *call;

    call = s->call;

    if (call->status == NGX_HTTP_CREATED) {
        if (s->end + 1 != s->total) {
            ngx_log_error(NGX_LOG_ERR, s->request->connection->log, 0,
                          "graph_attach: the last range's answer is not "
                          "understood");
            s->result.failed = GA_ERR_BAD_UPLOAD_SESSION;
            return ngx_http_graph_attach_session_delete(s);
        }

        /*
         * the last range's 201: the file is attached, whatever its
         * Location says.  Without an id the client is told the outcome
         * is unknown, never a failure it would answer by sending the
         * file again; a complete session has nothing to cancel.
         */

        if (ga_upload_attachment_id(call->location_header.data,
                                    call->location_header.len, &id, &id_len)
            != GA_UPLOAD_OK)
        {
            ngx_log_error(NGX_LOG_ERR, s->request->connection->log, 0,
                          "graph_attach: the last range's 201 has no "
                          "attachment id: the file is attached");
            s->result.failed = GA_ERR_UPLOAD_OUTCOME_UNKNOWN;
            ngx_http_graph_attach_session_finish(s);
            return NGX_OK;
        }

        s->result.id.data = (u_char *) id;
        s->result.id.len = id_len;

        if (ngx_http_graph_attach_session_object(s->request, s->attachment,
                                                 &s->result.id,
                                                 &s->result.object)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        ngx_log_error(NGX_LOG_INFO, s->request->connection->log, 0,
                      "graph_attach: upload session complete, %O bytes",
                      s->attachment->size);

        ngx_http_graph_attach_session_finish(s);
        return NGX_OK;
    }

    if (call->status == NGX_HTTP_OK) {
        if (ga_upload_next_range(call->answer.data, call->answer.len,
                                 s->total, &next)
            != GA_UPLOAD_OK
            || next != s->end + 1)
        {
            ngx_log_error(NGX_LOG_ERR, s->request->connection->log, 0,
                          "graph_attach: Graph asked for another range "
                          "than the next one");
            s->result.failed = GA_ERR_BAD_UPLOAD_SESSION;
            return ngx_http_graph_attach_session_delete(s);
        }

        s->offset = next;
        s->tries = 0;

        return ngx_http_graph_attach_session_put(s);
    }

    /*
     * the last range sent again after its answer was lost, and the
     * session is gone: Graph may well have attached the file.  Not a
     * failure to retry blindly: nothing is cancelled, the client told.
     */

    if (s->tries && s->end + 1 == s->total
        && call->status == NGX_HTTP_NOT_FOUND)
    {
        ngx_log_error(NGX_LOG_ERR, s->request->connection->log, 0,
                      "graph_attach: the last range's answer was lost and "
                      "the session is gone: the file may be attached");

        s->result.failed = GA_ERR_UPLOAD_OUTCOME_UNKNOWN;
        ngx_http_graph_attach_session_finish(s);
        return NGX_OK;
    }

    if (ngx_http_graph_attach_session_retry(s)) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_ERR, s->request->connection->log, 0,
                  "graph_attach: range %L-%L answered %ui, cancelling the "
                  "upload session", s->offset, s->end, call->status);

    s->result.failed = GA_ERR_UPLOAD_FAILED;
    ngx_http_graph_attach_session_keep_error(s);

    return ngx_http_graph_attach_session_delete(s);
}


/*
 * Graph's own 4xx to the last call, kept to be relayed to the client: a
 * copy, as the DELETE's answer takes the buffer's place
 */

static void
ngx_http_graph_attach_session_keep_error(ngx_http_graph_attach_session_t *s)
{
    ngx_http_graph_attach_call_t  *call;

    call = s->call;

    if (call->nginx || call->status < NGX_HTTP_BAD_REQUEST
        || call->status >= 500 || call->answer.len == 0)
    {
        return;
    }

    s->result.relay_answer.data = ngx_pstrdup(s->request->pool,
                                              &call->answer);

    if (s->result.relay_answer.data) {
        s->result.relay_answer.len = call->answer.len;
        s->result.relay_status = call->status;
    }
}


/* 429, 5xx or no answer: the range again, after Retry-After or a backoff */

static ngx_uint_t
ngx_http_graph_attach_session_retry(ngx_http_graph_attach_session_t *s)
{
    ngx_msec_t  delay;

    if (s->plan->client_gone) {
        return 0;
    }

    delay = ngx_http_graph_attach_call_retry_delay(s->call, ++s->tries, 1);

    if (delay == 0) {
        return 0;
    }

    ngx_log_error(NGX_LOG_WARN, s->request->connection->log, 0,
                  "graph_attach: range %L-%L answered %ui, again in %M ms",
                  s->offset, s->end, s->call->status, delay);

    ngx_http_graph_attach_plan_retry(s->plan, delay);

    return 1;
}


static void
ngx_http_graph_attach_session_fail(ngx_http_graph_attach_session_t *s,
    ga_err_e err)
{
    /* the module's own failure: no Graph answer is relayed */

    s->result.failed = err;
    s->result.relay_status = 0;

    if (s->upload_url.len && s->kind == NGX_HTTP_GRAPH_ATTACH_SESSION_PUT
        && ngx_http_graph_attach_session_delete(s) == NGX_OK)
    {
        return;
    }

    ngx_http_graph_attach_session_finish(s);
}


static void
ngx_http_graph_attach_session_finish(ngx_http_graph_attach_session_t *s)
{
    ga_metrics_session_e  result;

    /* attached, even if the client left meanwhile (the plan undoes it) */

    if (s->result.id.len) {
        result = GA_METRICS_SESSION_COMPLETED;

    } else if (s->result.failed == GA_ERR_UPLOAD_OUTCOME_UNKNOWN) {
        result = GA_METRICS_SESSION_UNKNOWN;

    } else if (s->plan->client_gone) {
        result = GA_METRICS_SESSION_CANCELLED;

    } else {
        result = GA_METRICS_SESSION_FAILED;
    }

    ngx_http_graph_attach_metrics_session(s->request, result);

    s->plan->session = NULL;

    ngx_http_graph_attach_plan_session_done(s->plan, &s->result);
}


/*
 * The attachment as a client gets it for a session: the simple POST's
 * answer without contentBytes
 */

ngx_int_t
ngx_http_graph_attach_session_object(ngx_http_request_t *r,
    ngx_http_graph_attach_attachment_t *a, ngx_str_t *id, ngx_str_t *object)
{
    u_char  *p;
    size_t   len;

    len = sizeof("{\"@odata.type\":\"#microsoft.graph.fileAttachment\","
                 "\"id\":\"\",\"name\":\"\",\"contentType\":\"\","
                 "\"size\":,\"isInline\":false,\"contentId\":\"\"}") - 1
          + ga_json_escape_len(id->data, id->len)
          + ga_json_escape_len(a->name.data, a->name.len)
          + ga_json_escape_len(a->content_type.data, a->content_type.len)
          + ga_json_escape_len(a->content_id.data, a->content_id.len)
          + NGX_OFF_T_LEN;

    object->data = ngx_pnalloc(r->pool, len);
    if (object->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(object->data, "{\"@odata.type\":\"#microsoft.graph."
                   "fileAttachment\",\"id\":\"",
                   sizeof("{\"@odata.type\":\"#microsoft.graph."
                          "fileAttachment\",\"id\":\"") - 1);
    p = ga_json_escape(p, id->data, id->len);
    p = ngx_cpymem(p, "\",\"name\":\"", sizeof("\",\"name\":\"") - 1);
    p = ga_json_escape(p, a->name.data, a->name.len);
    p = ngx_cpymem(p, "\",\"contentType\":\"",
                   sizeof("\",\"contentType\":\"") - 1);
    p = ga_json_escape(p, a->content_type.data, a->content_type.len);
    p = ngx_sprintf(p, "\",\"size\":%O,\"isInline\":%s", a->size,
                    a->is_inline ? "true" : "false");

    if (a->content_id.data) {
        p = ngx_cpymem(p, ",\"contentId\":\"", sizeof(",\"contentId\":\"") - 1);
        p = ga_json_escape(p, a->content_id.data, a->content_id.len);
        *p++ = '"';
    }

    *p++ = '}';

    object->len = p - object->data;

    return NGX_OK;
}


static void
ngx_http_graph_attach_session_cleanup(void *data)
{
    ngx_http_graph_attach_session_t  *s = data;

    if (s->log_handler
        && s->request->connection->log->handler
           == ngx_http_graph_attach_session_log)
    {
        s->request->connection->log->handler = s->log_handler;
    }
}


/*
 * The core's handler adds the context ("client: ..., upstream: ...");
 * every "authtoken=" value in it is then masked.  Not at debug level,
 * where nginx writes no context but the proxy module logs the whole
 * request line (docs/security.md).
 */

static u_char *
ngx_http_graph_attach_session_log(ngx_log_t *log, u_char *buf, size_t len)
{
    u_char  *p, *last;

    last = ngx_http_graph_attach_log_handler
           ? ngx_http_graph_attach_log_handler(log, buf, len) : buf;

    for (p = buf; p + sizeof("authtoken=") - 1 <= last; p++) {
        if (ngx_strncasecmp(p, (u_char *) "authtoken=",
                            sizeof("authtoken=") - 1)
            != 0)
        {
            continue;
        }

        for (p += sizeof("authtoken=") - 1;
             p < last && *p != '&' && *p != '"' && *p != ' ' && *p != ',';
             p++)
        {
            *p = '*';
        }
    }

    return last;
}


char *
ngx_http_graph_attach_upload_hosts(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_graph_attach_loc_conf_t *alcf = conf;

    ngx_str_t        *value;
    ngx_uint_t        i;
    ga_upload_url_t  *u;

    if (alcf->upload_hosts != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    alcf->upload_hosts = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                          sizeof(ga_upload_url_t));
    if (alcf->upload_hosts == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        u = ngx_array_push(alcf->upload_hosts);
        if (u == NULL) {
            return NGX_CONF_ERROR;
        }

        if (ga_upload_url_parse(value[i].data, value[i].len, 1, u)
            != GA_UPLOAD_OK)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid upload host \"%V\": an origin, "
                               "scheme://host[:port], is expected",
                               &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_graph_attach_upload_hosts_merge(ngx_conf_t *cf,
    ngx_http_graph_attach_loc_conf_t *prev,
    ngx_http_graph_attach_loc_conf_t *conf)
{
    ngx_str_t        *h;
    ga_upload_url_t  *u;

    ngx_conf_merge_ptr_value(conf->upload_hosts, prev->upload_hosts, NULL);

    if (conf->upload_hosts) {
        return NGX_OK;
    }

    /* the origins Exchange Online hands uploadUrls out on */

    conf->upload_hosts = ngx_array_create(cf->pool, 2,
                                          sizeof(ga_upload_url_t));
    if (conf->upload_hosts == NULL) {
        return NGX_ERROR;
    }

    for (h = ngx_http_graph_attach_default_hosts; h->len; h++) {
        u = ngx_array_push(conf->upload_hosts);
        if (u == NULL
            || ga_upload_url_parse(h->data, h->len, 1, u) != GA_UPLOAD_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}
