
/*
 * Copyright (C) graph-attach authors
 *
 * The plan: what a request that proxy_pass alone cannot carry does with
 * Graph, one call at a time (Graph takes 4 concurrent requests a
 * mailbox).  A form of several files becomes one attachment a file, in
 * form order, each through the simple POST or an upload session as its
 * size says; a single file past the threshold is a plan of one session.
 *
 *   all attached       201 {"value":[attachment, ...]}, or the one object
 *   one fails          the DELETE of every attachment made before it,
 *                      then that file's error, innerError naming it
 *   the client leaves  the call out finishes, what was made is deleted
 *
 * A form of one small file never comes here: its JSON is the body that
 * proxy_pass sends.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <cjson/cJSON.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_plan.h"
#include "ga_json.h"
#include "ga_upload.h"


static ngx_int_t ngx_http_graph_attach_plan_next(
    ngx_http_graph_attach_plan_t *p);
static ngx_int_t ngx_http_graph_attach_plan_attach(
    ngx_http_graph_attach_plan_t *p, ngx_http_graph_attach_attachment_t *a);
static ngx_chain_t *ngx_http_graph_attach_plan_json(
    ngx_http_graph_attach_plan_t *p, ngx_http_graph_attach_attachment_t *a);
static void ngx_http_graph_attach_plan_step(ngx_http_request_t *r);
static ngx_int_t ngx_http_graph_attach_plan_attached(
    ngx_http_graph_attach_plan_t *p);
static ngx_int_t ngx_http_graph_attach_plan_read_id(
    ngx_http_graph_attach_plan_t *p, ngx_http_graph_attach_result_t *res);
static ngx_int_t ngx_http_graph_attach_plan_advance(
    ngx_http_graph_attach_plan_t *p);
static ngx_int_t ngx_http_graph_attach_plan_fail(
    ngx_http_graph_attach_plan_t *p);
static void ngx_http_graph_attach_plan_abort(ngx_http_graph_attach_plan_t *p);
static ngx_int_t ngx_http_graph_attach_plan_undo(
    ngx_http_graph_attach_plan_t *p);
static ngx_int_t ngx_http_graph_attach_plan_undone(
    ngx_http_graph_attach_plan_t *p);
static void ngx_http_graph_attach_plan_finish(ngx_http_graph_attach_plan_t *p);
static ngx_int_t ngx_http_graph_attach_plan_answer(
    ngx_http_graph_attach_plan_t *p);
static ngx_int_t ngx_http_graph_attach_plan_not_undone(
    ngx_http_graph_attach_plan_t *p, ngx_http_graph_attach_result_t *res);
static ngx_int_t ngx_http_graph_attach_plan_relay(
    ngx_http_graph_attach_plan_t *p, ngx_http_graph_attach_result_t *res);
static void ngx_http_graph_attach_plan_check_client(ngx_http_request_t *r);
static void ngx_http_graph_attach_plan_retry_handler(ngx_event_t *ev);
static void ngx_http_graph_attach_plan_free_call(
    ngx_http_graph_attach_plan_t *p);
static void ngx_http_graph_attach_plan_cleanup(void *data);


ngx_int_t
ngx_http_graph_attach_plan_start(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx)
{
    ngx_pool_cleanup_t            *cln;
    ngx_http_graph_attach_plan_t  *p;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "graph_attach: calls to Graph without a body");
        return NGX_ERROR;
    }

    p = ngx_pcalloc(r->pool, sizeof(ngx_http_graph_attach_plan_t));
    if (p == NULL) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_graph_attach_plan_cleanup;
    cln->data = p;

    p->request = r;
    p->ctx = ctx;
    p->conf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);
    p->attachments = ctx->attachments->elts;
    p->n = ctx->attachments->nelts;
    p->raw = ctx->writer->raw;

    p->results = ngx_pcalloc(r->pool,
                             p->n * sizeof(ngx_http_graph_attach_result_t));
    if (p->results == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_graph_attach_call_init(&p->call, r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    p->retry.handler = ngx_http_graph_attach_plan_retry_handler;
    p->retry.data = p;
    p->retry.log = r->connection->log;

    ctx->plan = p;

    r->write_event_handler = ngx_http_graph_attach_plan_step;
    r->read_event_handler = ngx_http_graph_attach_plan_check_client;

    if (p->n > 1) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "graph_attach: %ui files, one at a time", p->n);
    }

    /* the body handler's reference is released when the client is answered */

    return ngx_http_graph_attach_plan_next(p);
}


/* the next file's first call */

static ngx_int_t
ngx_http_graph_attach_plan_next(ngx_http_graph_attach_plan_t *p)
{
    ngx_http_graph_attach_attachment_t  *a;

    p->tries = 0;

    if (p->client_gone) {
        /* nobody waits: what was made is deleted */
        p->failed = p->index + 1;
        p->undo = p->index;
        return ngx_http_graph_attach_plan_undo(p);
    }

    a = p->attachments[p->index];

    if (p->raw && !a->is_item
        && a->size >= (off_t) p->conf->upload_threshold)
    {
        p->state = NGX_HTTP_GRAPH_ATTACH_PLAN_SESSION;
        return ngx_http_graph_attach_session_begin(p, a);
    }

    p->state = NGX_HTTP_GRAPH_ATTACH_PLAN_ATTACH;

    return ngx_http_graph_attach_plan_attach(p, a);
}


/* the simple POST of one file of the form, with the token */

static ngx_int_t
ngx_http_graph_attach_plan_attach(ngx_http_graph_attach_plan_t *p,
    ngx_http_graph_attach_attachment_t *a)
{
    off_t                          len;
    ngx_chain_t                   *body, *cl;
    ngx_http_graph_attach_call_t  *call;

    body = ngx_http_graph_attach_plan_json(p, a);
    if (body == NULL) {
        return NGX_ERROR;
    }

    len = 0;

    for (cl = body; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    call = &p->call;

    ngx_http_graph_attach_call_reset(call, &p->request->uri, NGX_HTTP_POST);
    call->uri = p->ctx->uri;
    ngx_str_set(&call->content_type, "application/json");
    call->token = 1;
    call->strip_bytes = 1;
    call->body = body;
    call->body_len = len;

    return ngx_http_graph_attach_call_send(call);
}


/*
 * A file's fileAttachment JSON.  Its base64 is in the body already (the
 * body of a form too short for a session): the head and the properties
 * around a slice of it, no copy.  Raw bytes kept for a session: encoded
 * from them into memory buffers of a pool of the call's own, freed once
 * the call is over (the file is under the threshold, about 2 MiB).
 */

static ngx_chain_t *
ngx_http_graph_attach_plan_json(ngx_http_graph_attach_plan_t *p,
    ngx_http_graph_attach_attachment_t *a)
{
    ngx_buf_t                       *head, *tail;
    ngx_pool_t                      *pool;
    ngx_chain_t                     *body, *cl, **last;
    ngx_http_graph_attach_writer_t  *w;

    if (a->is_item) {

        /* the itemAttachment body, as the form judged and wrote it */

        head = ngx_calloc_buf(p->request->pool);
        cl = ngx_alloc_chain_link(p->request->pool);
        if (head == NULL || cl == NULL) {
            return NULL;
        }

        head->pos = a->item.data;
        head->last = a->item.data + a->item.len;
        head->memory = 1;
        head->last_buf = 1;

        cl->buf = head;
        cl->next = NULL;

        return cl;
    }

    body = ngx_http_graph_attach_plan_slice(p, a->body_start, a->body_end);
    if (body == NULL) {
        return NULL;
    }

    if (p->raw) {
        p->call_pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE,
                                       p->request->connection->log);
        if (p->call_pool == NULL) {
            return NULL;
        }

        w = p->ctx->writer;
        pool = w->pool;
        w->pool = p->call_pool;

        cl = ngx_http_graph_attach_writer_json_from_raw(w, a, body);

        w->pool = pool;

        return cl;
    }

    head = ngx_calloc_buf(p->request->pool);
    if (head == NULL) {
        return NULL;
    }

    head->pos = ngx_http_graph_attach_file_head.data;
    head->last = head->pos + ngx_http_graph_attach_file_head.len;
    head->memory = 1;

    tail = ngx_create_temp_buf(p->request->pool,
                               ngx_http_graph_attach_file_tail_len(a));
    if (tail == NULL) {
        return NULL;
    }

    tail->last = ngx_http_graph_attach_file_tail(tail->last, a);
    tail->last_buf = 1;

    cl = ngx_alloc_chain_link(p->request->pool);
    if (cl == NULL) {
        return NULL;
    }

    cl->buf = head;
    cl->next = body;
    body = cl;

    for (last = &body; *last; last = &(*last)->next) { /* void */ }

    *last = ngx_alloc_chain_link(p->request->pool);
    if (*last == NULL) {
        return NULL;
    }

    (*last)->buf = tail;
    (*last)->next = NULL;

    return body;
}


/*
 * Bytes [from, to) of the converted body, as new buffers over its own:
 * file buffers of the temp file as a rule (a body within
 * client_body_buffer_size stays in memory).  The caller marks the end of
 * the body it makes of them.
 */

ngx_chain_t *
ngx_http_graph_attach_plan_slice(ngx_http_graph_attach_plan_t *p,
    off_t from, off_t to)
{
    off_t         pos, start, end;
    ngx_buf_t    *b, *in;
    ngx_chain_t  *cl, *out, **last;

    out = NULL;
    last = &out;
    pos = 0;

    for (cl = p->request->request_body->bufs; cl; cl = cl->next) {
        in = cl->buf;

        start = ngx_max(pos, from);
        end = ngx_min(pos + ngx_buf_size(in), to);

        if (start < end) {
            b = ngx_calloc_buf(p->request->pool);
            if (b == NULL) {
                return NULL;
            }

            if (in->in_file) {
                b->in_file = 1;
                b->file = in->file;
                b->file_pos = in->file_pos + (start - pos);
                b->file_last = in->file_pos + (end - pos);

            } else {
                b->memory = 1;
                b->pos = in->pos + (start - pos);
                b->last = in->pos + (end - pos);
            }

            *last = ngx_alloc_chain_link(p->request->pool);
            if (*last == NULL) {
                return NULL;
            }

            (*last)->buf = b;
            (*last)->next = NULL;
            last = &(*last)->next;
        }

        pos += ngx_buf_size(in);
    }

    if (out == NULL || pos < to) {
        ngx_log_error(NGX_LOG_ALERT, p->request->connection->log, 0,
                      "graph_attach: the body holds %O bytes, not %O",
                      pos, to);
        return NULL;
    }

    return out;
}


/* the client's request, woken when a call is over or a retry is due */

static void
ngx_http_graph_attach_plan_step(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_http_graph_attach_ctx_t   *ctx;
    ngx_http_graph_attach_plan_t  *p;

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);
    p = ctx->plan;

    if (p == NULL || p->call.out || p->retry.timer_set) {
        /* a call or a retry is still on its way */
        return;
    }

    switch (p->state) {

    case NGX_HTTP_GRAPH_ATTACH_PLAN_SESSION:
        ngx_http_graph_attach_session_step(p->session);
        return;

    case NGX_HTTP_GRAPH_ATTACH_PLAN_ATTACH:
        rc = ngx_http_graph_attach_plan_attached(p);
        break;

    default:
        rc = ngx_http_graph_attach_plan_undone(p);
        break;
    }

    if (rc == NGX_ERROR) {
        ngx_http_graph_attach_plan_abort(p);
    }
}


/* a simple POST was answered */

static ngx_int_t
ngx_http_graph_attach_plan_attached(ngx_http_graph_attach_plan_t *p)
{
    ngx_msec_t                       delay;
    ngx_http_graph_attach_call_t    *call;
    ngx_http_graph_attach_result_t  *res;

    call = &p->call;
    res = &p->results[p->index];

    if (call->status == NGX_HTTP_CREATED) {
        ngx_http_graph_attach_plan_free_call(p);

        if (ngx_http_graph_attach_plan_read_id(p, res) != NGX_OK) {
            ngx_log_error(NGX_LOG_ERR, p->request->connection->log, 0,
                          "graph_attach: file %ui attached, but its id "
                          "could not be read", p->index + 1);
            res->failed = GA_ERR_ATTACH_OUTCOME_UNKNOWN;
            return ngx_http_graph_attach_plan_fail(p);
        }

        return ngx_http_graph_attach_plan_advance(p);
    }

    /*
     * 429 and 503 attached nothing: again, after Retry-After.  Another
     * 5xx or no answer may have attached the file: not sent twice.
     */

    delay = p->client_gone
            ? 0 : ngx_http_graph_attach_call_retry_delay(call, ++p->tries, 0);

    if (delay) {
        ngx_log_error(NGX_LOG_WARN, p->request->connection->log, 0,
                      "graph_attach: file %ui answered %ui, again in %M ms",
                      p->index + 1, call->status, delay);

        ngx_http_graph_attach_plan_retry(p, delay);
        return NGX_OK;
    }

    ngx_http_graph_attach_plan_free_call(p);

    ngx_log_error(NGX_LOG_ERR, p->request->connection->log, 0,
                  "graph_attach: file %ui answered %ui", p->index + 1,
                  call->status);

    if (call->status == 0) {
        res->failed = GA_ERR_ATTACH_OUTCOME_UNKNOWN;

    } else if (!call->nginx && call->status >= NGX_HTTP_BAD_REQUEST
               && call->status < NGX_HTTP_INTERNAL_SERVER_ERROR
               && call->answer.len && !call->answer_cut)
    {
        /* Graph's own 4xx, relayed */

        res->failed = GA_ERR_ATTACH_FAILED;
        res->relay_answer.data = ngx_pstrdup(p->request->pool, &call->answer);
        if (res->relay_answer.data == NULL) {
            return NGX_ERROR;
        }

        res->relay_answer.len = call->answer.len;
        res->relay_status = call->status;

    } else {
        res->failed = GA_ERR_ATTACH_FAILED;
    }

    return ngx_http_graph_attach_plan_fail(p);
}


/*
 * The attachment Graph made: its id, to delete it again should a later
 * file fail, and the object for the client's answer
 */

static ngx_int_t
ngx_http_graph_attach_plan_read_id(ngx_http_graph_attach_plan_t *p,
    ngx_http_graph_attach_result_t *res)
{
    char                          *s;
    cJSON                         *json, *id;
    ngx_str_t                      v;
    ngx_http_graph_attach_call_t  *call;

    call = &p->call;

    if (call->answer_cut) {
        return NGX_ERROR;
    }

    json = cJSON_ParseWithLength((const char *) call->answer.data,
                                 call->answer.len);
    if (json == NULL) {
        return NGX_ERROR;
    }

    id = cJSON_GetObjectItemCaseSensitive(json, "id");

    /*
     * the id becomes a path segment of the undo DELETE and, for one
     * attachment, the client's Location: held to the ids Graph hands
     * out, never "..", a CR LF or another mailbox's path
     */

    if (!cJSON_IsString(id)
        || !ga_upload_id_valid((u_char *) id->valuestring,
                               ngx_strlen(id->valuestring)))
    {
        ngx_log_error(NGX_LOG_ERR, p->request->connection->log, 0,
                      "graph_attach: the attachment id in Graph's answer "
                      "is not one Graph hands out");
        cJSON_Delete(json);
        return NGX_ERROR;
    }

    v.data = (u_char *) id->valuestring;
    v.len = ngx_strlen(id->valuestring);

    res->id.data = ngx_pstrdup(p->request->pool, &v);
    res->id.len = v.len;

    /* the answer's object, re-serialised, without contentBytes */

    cJSON_DeleteItemFromObjectCaseSensitive(json, "contentBytes");

    s = cJSON_PrintUnformatted(json);
    cJSON_Delete(json);

    if (s == NULL || res->id.data == NULL) {
        cJSON_free(s);
        return NGX_ERROR;
    }

    v.data = (u_char *) s;
    v.len = ngx_strlen(s);

    res->object.data = ngx_pstrdup(p->request->pool, &v);
    res->object.len = v.len;

    cJSON_free(s);

    return res->object.data ? NGX_OK : NGX_ERROR;
}


/*
 * The file at work is attached: the next one, or the answer; a client
 * that left gets none, and all of them deleted
 */

static ngx_int_t
ngx_http_graph_attach_plan_advance(ngx_http_graph_attach_plan_t *p)
{
    if (++p->index < p->n) {
        return ngx_http_graph_attach_plan_next(p);
    }

    if (p->client_gone) {
        p->failed = p->n;
        p->undo = p->n;
        return ngx_http_graph_attach_plan_undo(p);
    }

    ngx_http_graph_attach_plan_finish(p);

    return NGX_OK;
}


/* the file at work failed: what was attached before it is deleted */

static ngx_int_t
ngx_http_graph_attach_plan_fail(ngx_http_graph_attach_plan_t *p)
{
    p->failed = p->index + 1;
    p->undo = p->index;

    return ngx_http_graph_attach_plan_undo(p);
}


/* DELETE {graph path}/{id} of the last attachment not undone yet */

static ngx_int_t
ngx_http_graph_attach_plan_undo(ngx_http_graph_attach_plan_t *p)
{
    u_char                          *q;
    size_t                           len;
    ngx_http_graph_attach_call_t    *call;
    ngx_http_graph_attach_result_t  *res;

    while (p->undo) {
        res = &p->results[--p->undo];

        if (res->id.len == 0) {
            continue;
        }

        call = &p->call;

        ngx_http_graph_attach_call_reset(call, &p->request->uri,
                                         NGX_HTTP_DELETE);

        len = p->ctx->uri.len + 1
              + res->id.len
              + 2 * ngx_escape_uri(NULL, res->id.data, res->id.len,
                                   NGX_ESCAPE_URI_COMPONENT);

        call->uri.data = ngx_pnalloc(p->request->pool, len);
        if (call->uri.data == NULL) {
            return NGX_ERROR;
        }

        q = ngx_cpymem(call->uri.data, p->ctx->uri.data, p->ctx->uri.len);
        *q++ = '/';
        q = (u_char *) ngx_escape_uri(q, res->id.data, res->id.len,
                                      NGX_ESCAPE_URI_COMPONENT);
        call->uri.len = q - call->uri.data;

        call->token = 1;

        p->state = NGX_HTTP_GRAPH_ATTACH_PLAN_UNDO;
        p->tries = 0;

        return ngx_http_graph_attach_call_send(call);
    }

    ngx_http_graph_attach_plan_finish(p);

    return NGX_OK;
}


static ngx_int_t
ngx_http_graph_attach_plan_undone(ngx_http_graph_attach_plan_t *p)
{
    ngx_msec_t                       delay;
    ngx_http_graph_attach_call_t    *call;
    ngx_http_graph_attach_result_t  *res;

    call = &p->call;
    res = &p->results[p->undo];

    if (call->status == NGX_HTTP_NO_CONTENT
        || call->status == NGX_HTTP_NOT_FOUND)
    {
        /* gone: a 404 is an attachment somebody removed already */
        res->id.len = 0;
        return ngx_http_graph_attach_plan_undo(p);
    }

    /* a DELETE may be repeated */

    delay = ngx_http_graph_attach_call_retry_delay(call, ++p->tries, 1);

    if (delay) {
        ngx_http_graph_attach_plan_retry(p, delay);
        return NGX_OK;
    }

    /* the id is no secret: the operator can delete it by hand */

    res->not_deleted = 1;
    p->not_deleted++;

    ngx_log_error(NGX_LOG_ERR, p->request->connection->log, 0,
                  "graph_attach: attachment \"%V\" of file %ui not deleted "
                  "(status %ui)", &res->id, p->undo + 1, call->status);

    return ngx_http_graph_attach_plan_undo(p);
}


void
ngx_http_graph_attach_plan_session_done(ngx_http_graph_attach_plan_t *p,
    ngx_http_graph_attach_result_t *result)
{
    ngx_int_t  rc;

    p->results[p->index] = *result;

    rc = (result->failed != GA_ERR_NONE)
         ? ngx_http_graph_attach_plan_fail(p)
         : ngx_http_graph_attach_plan_advance(p);

    if (rc == NGX_ERROR) {
        ngx_http_graph_attach_plan_abort(p);
    }
}


/*
 * Out of memory on the way: the client is told so at once, with the file
 * at work (the last one once all were attached); what was made stays
 */

static void
ngx_http_graph_attach_plan_abort(ngx_http_graph_attach_plan_t *p)
{
    p->index = ngx_min(p->index, p->n - 1);
    p->results[p->index].failed = GA_ERR_OUT_OF_MEMORY;
    p->results[p->index].relay_status = 0;
    p->failed = p->index + 1;

    ngx_http_graph_attach_plan_finish(p);
}


void
ngx_http_graph_attach_plan_retry(ngx_http_graph_attach_plan_t *p,
    ngx_msec_t delay)
{
    ngx_add_timer(&p->retry, delay);
}


/* the same call again */

static void
ngx_http_graph_attach_plan_retry_handler(ngx_event_t *ev)
{
    ngx_connection_t              *c;
    ngx_http_request_t            *r;
    ngx_http_graph_attach_plan_t  *p;

    p = ev->data;
    r = p->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    if (ngx_http_graph_attach_call_send(&p->call) != NGX_OK) {
        ngx_http_graph_attach_plan_abort(p);
    }

    ngx_http_run_posted_requests(c);
}


/* the client's answer: the attachments, or the error of the file failed */

static void
ngx_http_graph_attach_plan_finish(ngx_http_graph_attach_plan_t *p)
{
    ngx_int_t                        rc;
    ngx_http_request_t              *r;
    ngx_http_graph_attach_result_t  *res;

    r = p->request;
    p->ctx->plan = NULL;

    ngx_http_graph_attach_plan_free_call(p);

    if (p->client_gone) {

        /* nobody to answer; the access log says 499 */

        r->connection->error = 1;
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    if (p->failed == 0) {
        rc = ngx_http_graph_attach_plan_answer(p);
        ngx_http_finalize_request(r, rc);
        return;
    }

    res = &p->results[p->failed - 1];

    if (p->not_deleted) {
        rc = ngx_http_graph_attach_plan_not_undone(p, res);
        ngx_http_finalize_request(r, rc);
        return;
    }

    if (res->relay_status) {
        rc = ngx_http_graph_attach_plan_relay(p, res);

    } else {
        ngx_http_graph_attach_set_error(p->ctx, res->failed);

        if (p->n > 1) {
            p->ctx->error_index = p->failed;
            p->ctx->error_name = p->attachments[p->failed - 1]->name;
        }

        rc = ngx_http_graph_attach_send_error(r, p->ctx);
    }

    ngx_http_finalize_request(r, rc);
}


/*
 * 201: one file, the attachment with a Location under Graph's own path
 * (never the uploadUrl); several, {"value":[...]} in form order
 */

static ngx_int_t
ngx_http_graph_attach_plan_answer(ngx_http_graph_attach_plan_t *p)
{
    u_char                          *q, *data;
    size_t                           len;
    ngx_str_t                        location;
    ngx_uint_t                       i;
    ngx_http_request_t              *r;
    ngx_http_graph_attach_result_t  *res;

    r = p->request;

    len = sizeof("{\"value\":[]}\n") - 1;

    for (i = 0; i < p->n; i++) {
        len += p->results[i].object.len + 1;
    }

    data = ngx_pnalloc(r->pool, len);
    if (data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (p->n == 1) {
        res = &p->results[0];

        q = ngx_cpymem(data, res->object.data, res->object.len);

        location.len = p->ctx->uri.len + 1 + res->id.len;
        location.data = ngx_pnalloc(r->pool, location.len);
        if (location.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        q = ngx_cpymem(location.data, p->ctx->uri.data, p->ctx->uri.len);
        *q++ = '/';
        ngx_memcpy(q, res->id.data, res->id.len);

        if (ngx_http_graph_attach_push_header(&r->headers_out.headers,
                                              "Location", NULL, &location)
            == NULL)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        q = data + res->object.len;

    } else {
        q = ngx_cpymem(data, "{\"value\":[", sizeof("{\"value\":[") - 1);

        for (i = 0; i < p->n; i++) {
            if (i) {
                *q++ = ',';
            }

            q = ngx_cpymem(q, p->results[i].object.data,
                           p->results[i].object.len);
        }

        *q++ = ']';
        *q++ = '}';

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "graph_attach: %ui files attached", p->n);
    }

    *q++ = '\n';

    return ngx_http_graph_attach_send_json(r, p->ctx, NGX_HTTP_CREATED, data,
                                           q - data);
}


/*
 * A file failed and what was made before it could not all be deleted:
 * the client must not take the form for unattached.  innerError says
 * what failed ("cause": Graph's code or the module's) and which files
 * are still attached.
 */

static ngx_int_t
ngx_http_graph_attach_plan_not_undone(ngx_http_graph_attach_plan_t *p,
    ngx_http_graph_attach_result_t *res)
{
    u_char      *q;
    size_t       len;
    cJSON       *json, *error, *code;
    ngx_str_t    cause;
    ngx_uint_t   i;

    cause.data = (u_char *) ga_error(res->failed)->code;
    cause.len = ngx_strlen(cause.data);

    json = NULL;

    if (res->relay_status) {
        json = cJSON_ParseWithLength((const char *) res->relay_answer.data,
                                     res->relay_answer.len);
        error = json ? cJSON_GetObjectItemCaseSensitive(json, "error") : NULL;
        code = error ? cJSON_GetObjectItemCaseSensitive(error, "code") : NULL;

        if (cJSON_IsString(code) && ngx_strlen(code->valuestring) <= 128) {
            cause.data = (u_char *) code->valuestring;
            cause.len = ngx_strlen(code->valuestring);
        }
    }

    len = sizeof(",\"cause\":\"\",\"notDeleted\":[]") - 1
          + ga_json_escape_len(cause.data, cause.len)
          + p->not_deleted * (NGX_INT_T_LEN + 1);

    q = ngx_pnalloc(p->request->pool, len);
    if (q == NULL) {
        cJSON_Delete(json);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p->ctx->error_inner.data = q;

    q = ngx_cpymem(q, ",\"cause\":\"", sizeof(",\"cause\":\"") - 1);
    q = ga_json_escape(q, cause.data, cause.len);
    q = ngx_cpymem(q, "\",\"notDeleted\":[", sizeof("\",\"notDeleted\":[") - 1);

    cJSON_Delete(json);

    for (i = 0; i < p->n; i++) {
        if (p->results[i].not_deleted) {
            if (q[-1] != '[') {
                *q++ = ',';
            }

            q = ngx_sprintf(q, "%ui", i + 1);
        }
    }

    *q++ = ']';

    p->ctx->error_inner.len = q - p->ctx->error_inner.data;

    ngx_http_graph_attach_set_error(p->ctx, GA_ERR_ATTACH_UNDO_FAILED);
    p->ctx->error = *ga_error(GA_ERR_ATTACH_UNDO_FAILED);
    p->ctx->error_index = p->failed;
    p->ctx->error_name = p->attachments[p->failed - 1]->name;

    return ngx_http_graph_attach_send_error(p->request, p->ctx);
}


/*
 * Graph's own error to the file that failed, with Graph's status; in a
 * form of several files its innerError says which one
 */

static ngx_int_t
ngx_http_graph_attach_plan_relay(ngx_http_graph_attach_plan_t *p,
    ngx_http_graph_attach_result_t *res)
{
    char                                *s, *name;
    cJSON                               *json, *error, *inner;
    ngx_str_t                            body, v;
    ngx_http_graph_attach_attachment_t  *a;

    body = res->relay_answer;

    /* $graph_attach_result says what the module made of it */
    p->ctx->error = *ga_error(res->failed);
    p->ctx->error.status = res->relay_status;

    if (p->n == 1) {
        goto send;
    }

    a = p->attachments[p->failed - 1];

    name = ngx_pnalloc(p->request->pool, a->name.len + 1);
    if (name == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    *ngx_cpymem(name, a->name.data, a->name.len) = '\0';

    json = cJSON_ParseWithLength((const char *) body.data, body.len);
    error = json ? cJSON_GetObjectItemCaseSensitive(json, "error") : NULL;

    if (!cJSON_IsObject(error)) {
        cJSON_Delete(json);
        goto send;
    }

    inner = cJSON_GetObjectItemCaseSensitive(error, "innerError");

    if (!cJSON_IsObject(inner)) {
        cJSON_DeleteItemFromObjectCaseSensitive(error, "innerError");
        inner = cJSON_AddObjectToObject(error, "innerError");
    }

    cJSON_DeleteItemFromObjectCaseSensitive(inner, "index");
    cJSON_DeleteItemFromObjectCaseSensitive(inner, "name");

    if (inner == NULL
        || cJSON_AddNumberToObject(inner, "index", (double) p->failed) == NULL
        || (a->name.len
            && cJSON_AddStringToObject(inner, "name", name) == NULL))
    {
        cJSON_Delete(json);
        goto send;
    }

    s = cJSON_PrintUnformatted(json);
    cJSON_Delete(json);

    if (s) {
        v.data = (u_char *) s;
        v.len = ngx_strlen(s);

        body.data = ngx_pstrdup(p->request->pool, &v);
        body.len = body.data ? v.len : 0;

        cJSON_free(s);

        if (body.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

send:

    return ngx_http_graph_attach_send_json(p->request, p->ctx,
                                           res->relay_status, body.data,
                                           body.len);
}


/*
 * The client's connection while the calls go on: nothing more is read
 * from it, but a client that closes it gets nothing attached.  The call
 * out is let finish (a range cut off halfway is a lost connection to
 * Graph, which would be retried), then what was made is deleted.
 */

static void
ngx_http_graph_attach_plan_check_client(ngx_http_request_t *r)
{
    int                            n;
    char                           buf[1];
    ngx_err_t                      err;
    ngx_event_t                   *rev;
    ngx_connection_t              *c;
    ngx_http_graph_attach_ctx_t   *ctx;
    ngx_http_graph_attach_plan_t  *p;

    c = r->connection;
    rev = c->read;

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);
    p = ctx->plan;

    if (p == NULL || p->client_gone) {
        return;
    }

    err = 0;

#if (NGX_HTTP_V2)

    if (r->stream) {

        /*
         * a stream reset, or the connection lost: HTTP/2 marks the
         * stream's connection and calls here.  The mark would end the
         * request with the next call's end, before the DELETEs; it is
         * taken back until they are answered, and nothing is written to
         * the stream meanwhile.
         */

        if (!c->error) {
            return;
        }

        c->error = 0;
        goto gone;
    }

#endif

#if (NGX_HAVE_EPOLLRDHUP)

    if ((ngx_event_flags & NGX_USE_EPOLL_EVENT) && ngx_use_epoll_rdhup) {

        if (!rev->pending_eof) {
            return;
        }

        goto gone;
    }

#endif

    n = recv(c->fd, buf, 1, MSG_PEEK);
    err = ngx_socket_errno;

    if (n > 0 || (n == -1 && err == NGX_EAGAIN)) {

        /* a pipelined request waits; level events would repeat */

        if ((ngx_event_flags & NGX_USE_LEVEL_EVENT) && rev->active) {
            (void) ngx_del_event(rev, NGX_READ_EVENT, 0);
        }

        return;
    }

    if (n == 0) {
        err = 0;
    }

gone:

    if ((ngx_event_flags & NGX_USE_LEVEL_EVENT) && rev->active) {
        (void) ngx_del_event(rev, NGX_READ_EVENT, 0);
    }

    rev->eof = 1;
    p->client_gone = 1;

    ngx_log_error(NGX_LOG_INFO, c->log, err,
                  "graph_attach: client closed the connection while "
                  "attaching, which is undone");

    if (!p->retry.timer_set || p->state == NGX_HTTP_GRAPH_ATTACH_PLAN_UNDO) {
        /*
         * the call out ends first; a DELETE waiting to be sent again is
         * the undo the client's leaving asks for: it is still sent
         */
        return;
    }

    /* a call waits to be sent again: given up now */

    ngx_del_timer(&p->retry);

    switch (p->state) {

    case NGX_HTTP_GRAPH_ATTACH_PLAN_SESSION:
        ngx_http_graph_attach_session_cancel(p->session);
        return;

    case NGX_HTTP_GRAPH_ATTACH_PLAN_ATTACH:
        ngx_http_graph_attach_plan_free_call(p);
        p->results[p->index].failed = GA_ERR_ATTACH_FAILED;

        if (ngx_http_graph_attach_plan_fail(p) == NGX_OK) {
            return;
        }

        break;

    default: /* NGX_HTTP_GRAPH_ATTACH_PLAN_UNDO waits for its timer */
        return;
    }

    ngx_http_graph_attach_plan_finish(p);
}


static void
ngx_http_graph_attach_plan_free_call(ngx_http_graph_attach_plan_t *p)
{
    if (p->call_pool) {
        ngx_destroy_pool(p->call_pool);
        p->call_pool = NULL;
    }
}


static void
ngx_http_graph_attach_plan_cleanup(void *data)
{
    ngx_http_graph_attach_plan_t  *p = data;

    if (p->retry.timer_set) {
        ngx_del_timer(&p->retry);
    }

    ngx_http_graph_attach_plan_free_call(p);
}
