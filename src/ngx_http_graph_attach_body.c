
/*
 * Copyright (C) graph-attach authors
 *
 * The request body filter: multipart/form-data in, Graph fileAttachment
 * JSON out, as the bytes arrive.
 *
 * The JSON is written in the order the upload allows: the head and the
 * base64 of the file while the file part streams, the other properties
 * at the end, when every form field (even one after the file) is known.
 * Every input buffer is consumed at once; output buffers go to nginx's
 * save filter, which keeps them in memory up to client_body_buffer_size
 * and writes them to a temporary file past that.  Written buffers come
 * back through the free list, so memory stays bounded whatever the size
 * of the file.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_token.h"
#include "ga_header_params.h"
#include "ga_json.h"
#include "ga_utf8.h"


#define NGX_HTTP_GRAPH_ATTACH_OUT_BUF_MAX  16384
#define NGX_HTTP_GRAPH_ATTACH_OUT_BUF_MIN  1024


static ngx_int_t ngx_http_graph_attach_request_body_filter(
    ngx_http_request_t *r, ngx_chain_t *in);
static void ngx_http_graph_attach_body_end(ngx_http_graph_attach_ctx_t *ctx);
static void ngx_http_graph_attach_multipart_error(
    ngx_http_graph_attach_ctx_t *ctx, int rc);

static int ngx_http_graph_attach_part_begin(void *data);
static int ngx_http_graph_attach_part_header(void *data, const u_char *name,
    size_t name_len, const u_char *value, size_t value_len);
static int ngx_http_graph_attach_part_headers_done(void *data);
static int ngx_http_graph_attach_part_data(void *data, const u_char *p,
    size_t len);
static int ngx_http_graph_attach_part_end(void *data);
static int ngx_http_graph_attach_multipart_done(void *data);

static ngx_int_t ngx_http_graph_attach_file_begin(
    ngx_http_graph_attach_ctx_t *ctx);
static ngx_int_t ngx_http_graph_attach_disposition(
    ngx_http_graph_attach_ctx_t *ctx, const u_char *value, size_t len);
static ngx_int_t ngx_http_graph_attach_suffix(
    ngx_http_graph_attach_ctx_t *ctx);
static ngx_int_t ngx_http_graph_attach_printable(ngx_str_t *s, size_t max);

static ngx_int_t ngx_http_graph_attach_emit(ngx_http_graph_attach_body_t *b,
    const u_char *p, size_t len);
static ngx_int_t ngx_http_graph_attach_emit_string(
    ngx_http_graph_attach_body_t *b, const char *s);
static ngx_int_t ngx_http_graph_attach_emit_escaped(
    ngx_http_graph_attach_body_t *b, ngx_str_t *s);
static ngx_int_t ngx_http_graph_attach_emit_base64(
    ngx_http_graph_attach_body_t *b, const u_char *p, size_t len);
static ngx_int_t ngx_http_graph_attach_reserve(
    ngx_http_graph_attach_body_t *b, size_t size);
static ngx_int_t ngx_http_graph_attach_pass(ngx_http_graph_attach_body_t *b,
    ngx_buf_t *buf);


static ngx_http_request_body_filter_pt   ngx_http_next_request_body_filter;


static const ga_multipart_callbacks_t  ngx_http_graph_attach_callbacks = {
    ngx_http_graph_attach_part_begin,
    ngx_http_graph_attach_part_header,
    ngx_http_graph_attach_part_headers_done,
    ngx_http_graph_attach_part_data,
    ngx_http_graph_attach_part_end,
    ngx_http_graph_attach_multipart_done
};


#define ngx_http_graph_attach_tag  (ngx_buf_tag_t) &ngx_http_graph_attach_module


ngx_int_t
ngx_http_graph_attach_body_init(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx, u_char *boundary, size_t boundary_len)
{
    off_t                              size;
    ngx_http_graph_attach_body_t      *body;
    ngx_http_graph_attach_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);

    body = ngx_pcalloc(r->pool, sizeof(ngx_http_graph_attach_body_t));
    if (body == NULL) {
        return NGX_ERROR;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     body->part = NGX_HTTP_GRAPH_ATTACH_PART_SKIP;
     *     body->filename = { 0, NULL };
     *     body->field_* = { 0, NULL };
     *     body->file_size = 0;
     *     body->received = 0;
     *     body->json_size = 0;
     *     body->out_buf = NULL;
     *     body->free = NULL;
     *     body->busy = NULL;
     */

    body->header_line = ngx_pnalloc(r->pool,
                                    NGX_HTTP_GRAPH_ATTACH_HEADER_LINE_MAX);

    /* filename* in ISO-8859-1 may double in size as UTF-8 */
    body->scratch = ngx_pnalloc(r->pool,
                                2 * NGX_HTTP_GRAPH_ATTACH_HEADER_LINE_MAX);

    if (body->header_line == NULL || body->scratch == NULL) {
        return NGX_ERROR;
    }

    body->pool = r->pool;
    body->log = r->connection->log;
    body->max_size = alcf->max_size;
    body->body_limit = alcf->max_size + NGX_HTTP_GRAPH_ATTACH_FORM_ALLOWANCE;

    /* about one buffer a read: base64 grows the file by a third */

    size = NGX_HTTP_GRAPH_ATTACH_OUT_BUF_MAX;

    if (r->headers_in.content_length_n > 0) {
        size = ngx_min(size, r->headers_in.content_length_n / 3 * 4 + 512);
        size = ngx_max(size, NGX_HTTP_GRAPH_ATTACH_OUT_BUF_MIN);
    }

    body->out_buf_size = (size_t) size;

    ga_multipart_init(&body->mp, boundary, boundary_len, body->header_line,
                      NGX_HTTP_GRAPH_ATTACH_HEADER_LINE_MAX,
                      NGX_HTTP_GRAPH_ATTACH_PART_HEADERS_MAX,
                      &ngx_http_graph_attach_callbacks, ctx);

    ctx->body = body;
    ctx->filtering = 1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_graph_attach_request_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in)
{
    int                            rc;
    size_t                         size;
    ngx_int_t                      last;
    ngx_buf_t                     *b;
    ngx_chain_t                   *cl;
    ngx_http_graph_attach_ctx_t   *ctx;
    ngx_http_graph_attach_body_t  *body;

    ctx = ngx_http_get_module_ctx(r, ngx_http_graph_attach_module);

    if (ctx == NULL || !ctx->filtering) {
        return ngx_http_next_request_body_filter(r, in);
    }

    body = ctx->body;
    body->out = NULL;
    body->last_out = &body->out;

    last = 0;

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (b->last_buf) {
            last = 1;
        }

        if (b->in_file) {
            /* length and chunked filters pass memory buffers only */
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "graph_attach: request body buffer in file");
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        size = b->last - b->pos;

        if (size == 0) {
            continue;
        }

        body->received += size;

        if (body->received > body->body_limit) {

            /*
             * only a body without Content-Length gets here; stop reading
             * it: the special response is answered in JSON by the
             * error filter
             */

            for ( /* void */ ; cl; cl = cl->next) {
                cl->buf->pos = cl->buf->last;
            }

            ngx_http_graph_attach_set_error(ctx,
                                NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                "AttachmentTooLarge",
                                "The upload is larger than this gateway "
                                "accepts (graph_attach_max_size).");

            r->lingering_close = 1;

            return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
        }

        if (ctx->error.status == 0) {
            rc = ga_multipart_execute(&body->mp, b->pos, size);

            if (rc != GA_MP_OK) {
                ngx_http_graph_attach_multipart_error(ctx, rc);
            }
        }

        b->pos = b->last;
    }

    if (last) {
        ngx_http_graph_attach_body_end(ctx);
    }

    if (ctx->error.status) {

        /* what was converted is of no use; only the end is passed on */

        body->out = NULL;
        body->last_out = &body->out;

        if (last) {
            b = ngx_calloc_buf(r->pool);
            if (b == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            b->last_buf = 1;

            if (ngx_http_graph_attach_pass(body, b) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }

    rc = ngx_http_next_request_body_filter(r, body->out);

    ngx_chain_update_chains(r->pool, &body->free, &body->busy, &body->out,
                            ngx_http_graph_attach_tag);

    return rc;
}


static void
ngx_http_graph_attach_body_end(ngx_http_graph_attach_ctx_t *ctx)
{
    int                            rc;
    ngx_http_graph_attach_body_t  *body;

    body = ctx->body;

    if (ctx->error.status) {
        return;
    }

    rc = ga_multipart_finish(&body->mp);

    if (rc != GA_MP_OK) {
        ngx_http_graph_attach_multipart_error(ctx, rc);
        return;
    }

    if (!body->file_seen) {
        ngx_http_graph_attach_set_error(ctx, NGX_HTTP_BAD_REQUEST,
                                "NoFilePart",
                                "The form has no file part (a part with "
                                "a filename).");
        return;
    }

    if (body->file_size == 0) {
        ngx_http_graph_attach_set_error(ctx, NGX_HTTP_BAD_REQUEST,
                                "EmptyFile",
                                "The file is empty.");
        return;
    }

    if (ngx_http_graph_attach_suffix(ctx) != NGX_OK) {
        if (ctx->error.status == 0) {
            ngx_http_graph_attach_set_error(ctx,
                                NGX_HTTP_INTERNAL_SERVER_ERROR,
                                "InternalError", "Out of memory.");
        }

        return;
    }

    /* the last buffer, possibly not full, carries the end of the body */

    if (body->out_buf == NULL
        && ngx_http_graph_attach_reserve(body, 1) != NGX_OK)
    {
        ngx_http_graph_attach_set_error(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        "InternalError", "Out of memory.");
        return;
    }

    body->out_buf->last_buf = 1;

    if (ngx_http_graph_attach_pass(body, body->out_buf) != NGX_OK) {
        ngx_http_graph_attach_set_error(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        "InternalError", "Out of memory.");
        return;
    }

    body->out_buf = NULL;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, body->log, 0,
                   "graph attach body: file %O bytes, json %O bytes",
                   body->file_size, body->json_size);
}


static void
ngx_http_graph_attach_multipart_error(ngx_http_graph_attach_ctx_t *ctx,
    int rc)
{
    const char  *code, *message;

    if (ctx->error.status) {
        /* a callback refused the upload and said why */
        return;
    }

    switch (rc) {

    case GA_MP_ERR_NO_DELIMITER:
        code = "InvalidMultipart";
        message = "The body has no delimiter with the declared boundary.";
        break;

    case GA_MP_ERR_TRUNCATED:
        code = "TruncatedBody";
        message = "The body ends before the closing multipart delimiter.";
        break;

    case GA_MP_ERR_HEADER_TOO_LARGE:
        code = "PartHeaderTooLarge";
        message = "A part header line is too long.";
        break;

    case GA_MP_ERR_TOO_MANY_HEADERS:
        code = "PartHeaderTooLarge";
        message = "A part has too many header lines.";
        break;

    case GA_MP_ERR_BAD_HEADER:
        code = "InvalidPartHeader";
        message = "A part header is malformed.";
        break;

    default:
        code = "InvalidMultipart";
        message = "The multipart body is malformed.";
        break;
    }

    ngx_log_error(NGX_LOG_INFO, ctx->body->log, 0,
                  "graph_attach: upload refused: %s", ga_multipart_strerror(rc));

    ngx_http_graph_attach_set_error(ctx, NGX_HTTP_BAD_REQUEST, code, message);
}


static int
ngx_http_graph_attach_part_begin(void *data)
{
    ngx_http_graph_attach_ctx_t *ctx = data;

    ngx_http_graph_attach_body_t  *body;

    body = ctx->body;

    body->part = NGX_HTTP_GRAPH_ATTACH_PART_SKIP;
    body->part_has_disposition = 0;
    body->part_has_type = 0;
    body->part_type.len = 0;
    body->part_filename.len = 0;
    body->part_filename.data = NULL;
    body->field = NULL;

    return 0;
}


static int
ngx_http_graph_attach_part_header(void *data, const u_char *name,
    size_t name_len, const u_char *value, size_t value_len)
{
    ngx_http_graph_attach_ctx_t *ctx = data;

    ngx_str_t                      v;
    ngx_http_graph_attach_body_t  *body;

    body = ctx->body;

    if (name_len == sizeof("Content-Disposition") - 1
        && ngx_strncasecmp((u_char *) name, (u_char *) "Content-Disposition",
                           name_len)
           == 0)
    {
        if (body->part_has_disposition) {
            ngx_http_graph_attach_set_error(ctx, NGX_HTTP_BAD_REQUEST,
                                "InvalidPartHeader",
                                "A part has two Content-Disposition "
                                "headers.");
            return -1;
        }

        body->part_has_disposition = 1;

        if (ngx_http_graph_attach_disposition(ctx, value, value_len)
            != NGX_OK)
        {
            return -1;
        }

        return 0;
    }

    if (name_len == sizeof("Content-Type") - 1
        && ngx_strncasecmp((u_char *) name, (u_char *) "Content-Type",
                           name_len)
           == 0)
    {
        if (body->part_has_type) {
            ngx_http_graph_attach_set_error(ctx, NGX_HTTP_BAD_REQUEST,
                                "InvalidPartHeader",
                                "A part has two Content-Type headers.");
            return -1;
        }

        body->part_has_type = 1;

        v.data = (u_char *) value;
        v.len = value_len;

        if (ngx_http_graph_attach_printable(&v,
                                    NGX_HTTP_GRAPH_ATTACH_CONTENT_TYPE_MAX)
            != NGX_OK)
        {
            ngx_http_graph_attach_set_error(ctx, NGX_HTTP_BAD_REQUEST,
                                "InvalidContentType",
                                "The file part's Content-Type is empty, "
                                "too long or not printable ASCII.");
            return -1;
        }

        body->part_type.data = ngx_pnalloc(body->pool, value_len);
        if (body->part_type.data == NULL) {
            return -1;
        }

        ngx_memcpy(body->part_type.data, value, value_len);
        body->part_type.len = value_len;

        return 0;
    }

    if (name_len == sizeof("Content-Transfer-Encoding") - 1
        && ngx_strncasecmp((u_char *) name,
                           (u_char *) "Content-Transfer-Encoding", name_len)
           == 0)
    {
        /*
         * RFC 7578 deprecates it; a decoder here would be a way to send
         * Graph bytes that no upstream check saw, so only the identity
         * encodings pass
         */

        if ((value_len == 6
             && ngx_strncasecmp((u_char *) value, (u_char *) "binary", 6)
                == 0)
            || (value_len == 4
                && (ngx_strncasecmp((u_char *) value, (u_char *) "8bit", 4)
                    == 0
                    || ngx_strncasecmp((u_char *) value, (u_char *) "7bit",
                                       4)
                       == 0)))
        {
            return 0;
        }

        ngx_http_graph_attach_set_error(ctx, NGX_HTTP_BAD_REQUEST,
                                "UnsupportedTransferEncoding",
                                "Content-Transfer-Encoding other than "
                                "binary, 8bit or 7bit is not accepted.");
        return -1;
    }

    /* other part headers carry nothing Graph takes */

    return 0;
}


static ngx_int_t
ngx_http_graph_attach_disposition(ngx_http_graph_attach_ctx_t *ctx,
    const u_char *value, size_t len)
{
    int                            rc;
    ngx_str_t                      name;
    ngx_uint_t                     i;
    ga_disposition_t               d;
    ngx_http_graph_attach_body_t  *body;

    static struct {
        ngx_str_t                     name;
        ngx_http_graph_attach_part_e  part;
    } fields[] = {
        { ngx_string("name"), NGX_HTTP_GRAPH_ATTACH_PART_NAME },
        { ngx_string("contentType"), NGX_HTTP_GRAPH_ATTACH_PART_CONTENT_TYPE },
        { ngx_string("isInline"), NGX_HTTP_GRAPH_ATTACH_PART_IS_INLINE },
        { ngx_string("contentId"), NGX_HTTP_GRAPH_ATTACH_PART_CONTENT_ID },
        { ngx_null_string, NGX_HTTP_GRAPH_ATTACH_PART_SKIP }
    };

    body = ctx->body;

    ngx_memzero(&d, sizeof(ga_disposition_t));

    rc = ga_disposition_parse(value, len, &d, body->scratch,
                              2 * NGX_HTTP_GRAPH_ATTACH_HEADER_LINE_MAX);

    switch (rc) {

    case GA_HP_OK:
        break;

    case GA_HP_ERR_DUPLICATE:
        ngx_http_graph_attach_set_error(ctx, NGX_HTTP_BAD_REQUEST,
                                "InvalidPartHeader",
                                "A Content-Disposition parameter is "
                                "repeated.");
        return NGX_ERROR;

    case GA_HP_ERR_NOT_FORM_DATA:
        ngx_http_graph_attach_set_error(ctx, NGX_HTTP_BAD_REQUEST,
                                "InvalidPartHeader",
                                "A part's Content-Disposition is not "
                                "form-data.");
        return NGX_ERROR;

    case GA_HP_ERR_BAD_VALUE:
        ngx_http_graph_attach_set_error(ctx, NGX_HTTP_BAD_REQUEST,
                                "InvalidFileName",
                                "A field name or filename is not valid "
                                "(bad encoding, not UTF-8, or a raw control "
                                "character).");
        return NGX_ERROR;

    default:
        ngx_http_graph_attach_set_error(ctx, NGX_HTTP_BAD_REQUEST,
                                "InvalidPartHeader",
                                "A part's Content-Disposition is "
                                "malformed.");
        return NGX_ERROR;
    }

    if (d.has_filename) {
        body->part = d.filename_len ? NGX_HTTP_GRAPH_ATTACH_PART_FILE
                                    : NGX_HTTP_GRAPH_ATTACH_PART_MAYBE_FILE;

        body->part_filename.len = d.filename_len;
        body->part_filename.data = ngx_pnalloc(body->pool,
                                               d.filename_len + 1);
        if (body->part_filename.data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(body->part_filename.data, d.filename, d.filename_len);

        return NGX_OK;
    }

    body->part = NGX_HTTP_GRAPH_ATTACH_PART_SKIP;

    if (!d.has_name) {
        return NGX_OK;
    }

    name.data = (u_char *) d.name;
    name.len = d.name_len;

    for (i = 0; fields[i].name.len; i++) {
        if (fields[i].name.len == name.len
            && ngx_strncmp(fields[i].name.data, name.data, name.len) == 0)
        {
            body->part = fields[i].part;
            break;
        }
    }

    return NGX_OK;
}


static int
ngx_http_graph_attach_part_headers_done(void *data)
{
    ngx_http_graph_attach_ctx_t *ctx = data;

    ngx_str_t                     *field;
    ngx_http_graph_attach_body_t  *body;

    body = ctx->body;

    if (!body->part_has_disposition) {
        ngx_http_graph_attach_set_error(ctx, NGX_HTTP_BAD_REQUEST,
                                "InvalidPartHeader",
                                "A part has no Content-Disposition.");
        return -1;
    }

    switch (body->part) {

    case NGX_HTTP_GRAPH_ATTACH_PART_FILE:
        return ngx_http_graph_attach_file_begin(ctx) == NGX_OK ? 0 : -1;

    case NGX_HTTP_GRAPH_ATTACH_PART_NAME:
        field = &body->field_name;
        break;

    case NGX_HTTP_GRAPH_ATTACH_PART_CONTENT_TYPE:
        field = &body->field_content_type;
        break;

    case NGX_HTTP_GRAPH_ATTACH_PART_IS_INLINE:
        field = &body->field_is_inline;
        break;

    case NGX_HTTP_GRAPH_ATTACH_PART_CONTENT_ID:
        field = &body->field_content_id;
        break;

    default:
        return 0;
    }

    if (field->data) {
        ngx_http_graph_attach_set_error(ctx, NGX_HTTP_BAD_REQUEST,
                                "InvalidField",
                                "A form field (name, contentType, isInline "
                                "or contentId) is repeated.");
        return -1;
    }

    field->data = ngx_pnalloc(body->pool, NGX_HTTP_GRAPH_ATTACH_FIELD_MAX);
    if (field->data == NULL) {
        return -1;
    }

    field->len = 0;
    body->field = field;

    return 0;
}


static ngx_int_t
ngx_http_graph_attach_file_begin(ngx_http_graph_attach_ctx_t *ctx)
{
    ngx_http_graph_attach_body_t  *body;

    static u_char  head[] =
        "{\"@odata.type\":\"#microsoft.graph.fileAttachment\","
        "\"contentBytes\":\"";

    body = ctx->body;

    if (body->file_seen) {
        ngx_http_graph_attach_set_error(ctx, NGX_HTTP_BAD_REQUEST,
                                "TooManyFiles",
                                "The form has more than one file part; "
                                "send one file per request.");
        return NGX_ERROR;
    }

    body->file_seen = 1;
    body->part = NGX_HTTP_GRAPH_ATTACH_PART_FILE;
    body->filename = body->part_filename;

    if (body->part_type.len) {
        body->content_type = body->part_type;

    } else {
        ngx_str_set(&body->content_type, "application/octet-stream");
    }

    ga_base64_init(&body->b64);

    return ngx_http_graph_attach_emit(body, head, sizeof(head) - 1);
}


static int
ngx_http_graph_attach_part_data(void *data, const u_char *p, size_t len)
{
    ngx_http_graph_attach_ctx_t *ctx = data;

    ngx_http_graph_attach_body_t  *body;

    body = ctx->body;

    switch (body->part) {

    case NGX_HTTP_GRAPH_ATTACH_PART_SKIP:
        return 0;

    case NGX_HTTP_GRAPH_ATTACH_PART_MAYBE_FILE:

        /* filename="" with bytes: a file after all, named later */

        if (len == 0) {
            return 0;
        }

        if (ngx_http_graph_attach_file_begin(ctx) != NGX_OK) {
            return -1;
        }

        /* fall through */

    case NGX_HTTP_GRAPH_ATTACH_PART_FILE:

        body->file_size += len;

        if (body->file_size > body->max_size) {
            ngx_http_graph_attach_set_error(ctx,
                                NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                "AttachmentTooLarge",
                                "The file is larger than this gateway "
                                "accepts (graph_attach_max_size).");
            return -1;
        }

        return ngx_http_graph_attach_emit_base64(body, p, len) == NGX_OK
               ? 0 : -1;

    default:

        if (body->field->len + len > NGX_HTTP_GRAPH_ATTACH_FIELD_MAX) {
            ngx_http_graph_attach_set_error(ctx, NGX_HTTP_BAD_REQUEST,
                                "InvalidField",
                                "A form field is too long.");
            return -1;
        }

        ngx_memcpy(body->field->data + body->field->len, p, len);
        body->field->len += len;

        return 0;
    }
}


static int
ngx_http_graph_attach_part_end(void *data)
{
    ngx_http_graph_attach_ctx_t *ctx = data;

    size_t                         n;
    ngx_http_graph_attach_body_t  *body;
    u_char                         tail[4];

    body = ctx->body;

    if (body->part != NGX_HTTP_GRAPH_ATTACH_PART_FILE) {
        return 0;
    }

    n = ga_base64_final(&body->b64, tail);
    body->file_done = 1;

    return ngx_http_graph_attach_emit(body, tail, n) == NGX_OK ? 0 : -1;
}


static int
ngx_http_graph_attach_multipart_done(void *data)
{
    ngx_http_graph_attach_ctx_t *ctx = data;

    ctx->body->done = 1;

    return 0;
}


/* the properties known only at the end of the form */

static ngx_int_t
ngx_http_graph_attach_suffix(ngx_http_graph_attach_ctx_t *ctx)
{
    ngx_str_t                     *name, *type, def;
    ngx_uint_t                     is_inline;
    ngx_http_graph_attach_body_t  *body;

    body = ctx->body;

    name = body->field_name.data ? &body->field_name : &body->filename;

    if (!ga_utf8_valid(name->data, name->len)) {
        ngx_http_graph_attach_set_error(ctx, NGX_HTTP_BAD_REQUEST,
                                "InvalidFileName",
                                "The attachment name is not valid UTF-8.");
        return NGX_ERROR;
    }

    if (name->len == 0) {
        ngx_str_set(&def, "attachment");
        name = &def;
    }

    type = &body->content_type;

    if (body->field_content_type.data) {
        type = &body->field_content_type;

        if (ngx_http_graph_attach_printable(type,
                                    NGX_HTTP_GRAPH_ATTACH_CONTENT_TYPE_MAX)
            != NGX_OK)
        {
            ngx_http_graph_attach_set_error(ctx, NGX_HTTP_BAD_REQUEST,
                                "InvalidField",
                                "The contentType field is empty, too long "
                                "or not printable ASCII.");
            return NGX_ERROR;
        }
    }

    is_inline = 0;

    if (body->field_is_inline.data) {
        if (body->field_is_inline.len == 4
            && ngx_strncasecmp(body->field_is_inline.data,
                               (u_char *) "true", 4)
               == 0)
        {
            is_inline = 1;

        } else if (!(body->field_is_inline.len == 5
                     && ngx_strncasecmp(body->field_is_inline.data,
                                        (u_char *) "false", 5)
                        == 0))
        {
            ngx_http_graph_attach_set_error(ctx, NGX_HTTP_BAD_REQUEST,
                                "InvalidField",
                                "The isInline field must be true or false.");
            return NGX_ERROR;
        }
    }

    if (body->field_content_id.data
        && !ga_utf8_valid(body->field_content_id.data,
                          body->field_content_id.len))
    {
        ngx_http_graph_attach_set_error(ctx, NGX_HTTP_BAD_REQUEST,
                                "InvalidField",
                                "The contentId field is not valid UTF-8.");
        return NGX_ERROR;
    }

    if (ngx_http_graph_attach_emit_string(body, "\",\"name\":\"") != NGX_OK
        || ngx_http_graph_attach_emit_escaped(body, name) != NGX_OK
        || ngx_http_graph_attach_emit_string(body, "\",\"contentType\":\"")
           != NGX_OK
        || ngx_http_graph_attach_emit_escaped(body, type) != NGX_OK
        || ngx_http_graph_attach_emit_string(body, is_inline
                                             ? "\",\"isInline\":true"
                                             : "\",\"isInline\":false")
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (body->field_content_id.data) {
        if (ngx_http_graph_attach_emit_string(body, ",\"contentId\":\"")
            != NGX_OK
            || ngx_http_graph_attach_emit_escaped(body,
                                                  &body->field_content_id)
               != NGX_OK
            || ngx_http_graph_attach_emit_string(body, "\"") != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return ngx_http_graph_attach_emit_string(body, "}");
}


static ngx_int_t
ngx_http_graph_attach_printable(ngx_str_t *s, size_t max)
{
    u_char  *p, *last;

    if (s->len == 0 || s->len > max) {
        return NGX_ERROR;
    }

    last = s->data + s->len;

    for (p = s->data; p < last; p++) {
        if (*p < 0x20 || *p >= 0x7f) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_graph_attach_emit(ngx_http_graph_attach_body_t *b, const u_char *p,
    size_t len)
{
    size_t  n;

    while (len) {
        if (ngx_http_graph_attach_reserve(b, 1) != NGX_OK) {
            return NGX_ERROR;
        }

        n = ngx_min(len, (size_t) (b->out_buf->end - b->out_buf->last));

        b->out_buf->last = ngx_cpymem(b->out_buf->last, p, n);
        b->json_size += n;

        p += n;
        len -= n;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_graph_attach_emit_string(ngx_http_graph_attach_body_t *b,
    const char *s)
{
    return ngx_http_graph_attach_emit(b, (u_char *) s, ngx_strlen(s));
}


static ngx_int_t
ngx_http_graph_attach_emit_escaped(ngx_http_graph_attach_body_t *b,
    ngx_str_t *s)
{
    size_t   len;
    u_char  *p;

    len = ga_json_escape_len(s->data, s->len);

    p = ngx_pnalloc(b->pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    (void) ga_json_escape(p, s->data, s->len);

    return ngx_http_graph_attach_emit(b, p, len);
}


static ngx_int_t
ngx_http_graph_attach_emit_base64(ngx_http_graph_attach_body_t *b,
    const u_char *p, size_t len)
{
    size_t  room, n, written;

    while (len) {

        /* room for at least one whole group of four */

        if (ngx_http_graph_attach_reserve(b, 4) != NGX_OK) {
            return NGX_ERROR;
        }

        room = b->out_buf->end - b->out_buf->last;

        /* input that fills the room: carried bytes count as input */
        n = room / 4 * 3 - b->b64.ncarry;
        n = ngx_min(n, len);

        written = ga_base64_update(&b->b64, p, n, b->out_buf->last);

        b->out_buf->last += written;
        b->json_size += written;

        p += n;
        len -= n;
    }

    return NGX_OK;
}


/*
 * Makes room for size bytes in the current output buffer; a buffer that
 * has less goes on to the save filter, and a new one comes from the free
 * list or the pool.
 */

static ngx_int_t
ngx_http_graph_attach_reserve(ngx_http_graph_attach_body_t *b, size_t size)
{
    ngx_buf_t    *buf;
    ngx_chain_t  *cl;

    if (b->out_buf && (size_t) (b->out_buf->end - b->out_buf->last) >= size)
    {
        return NGX_OK;
    }

    if (b->out_buf) {
        if (ngx_http_graph_attach_pass(b, b->out_buf) != NGX_OK) {
            return NGX_ERROR;
        }

        b->out_buf = NULL;
    }

    if (b->free) {
        cl = b->free;
        b->free = cl->next;
        buf = cl->buf;
        ngx_free_chain(b->pool, cl);

        buf->pos = buf->start;
        buf->last = buf->start;

    } else {
        buf = ngx_create_temp_buf(b->pool, b->out_buf_size);
        if (buf == NULL) {
            return NGX_ERROR;
        }

        buf->tag = ngx_http_graph_attach_tag;
    }

    b->out_buf = buf;

    return NGX_OK;
}


static ngx_int_t
ngx_http_graph_attach_pass(ngx_http_graph_attach_body_t *b, ngx_buf_t *buf)
{
    ngx_chain_t  *cl;

    cl = ngx_alloc_chain_link(b->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = buf;
    cl->next = NULL;

    *b->last_out = cl;
    b->last_out = &cl->next;

    return NGX_OK;
}


ngx_int_t
ngx_http_graph_attach_body_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_request_body_filter = ngx_http_top_request_body_filter;
    ngx_http_top_request_body_filter =
                                     ngx_http_graph_attach_request_body_filter;

    return NGX_OK;
}
