
/*
 * Copyright (C) graph-attach authors
 *
 * The form: what each multipart part means for the attachment.  The
 * multipart parser calls these as parts stream by; the file part is
 * encoded at once, text fields are kept, and the properties known only at
 * the end (name, contentType, isInline, contentId) close the JSON.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ga_content_id.h"
#include "ga_encoded_word.h"
#include "ga_header_params.h"
#include "ga_type.h"
#include "ga_utf8.h"


static int ngx_http_graph_attach_part_begin(void *data);
static int ngx_http_graph_attach_part_header(void *data, const u_char *name,
    size_t name_len, const u_char *value, size_t value_len);
static int ngx_http_graph_attach_part_headers_done(void *data);
static int ngx_http_graph_attach_part_data(void *data, const u_char *p,
    size_t len);
static int ngx_http_graph_attach_part_end(void *data);

static ngx_int_t ngx_http_graph_attach_file_begin(
    ngx_http_graph_attach_ctx_t *ctx);
static ngx_int_t ngx_http_graph_attach_disposition(
    ngx_http_graph_attach_ctx_t *ctx, const u_char *value, size_t len);
static ngx_int_t ngx_http_graph_attach_suffix(
    ngx_http_graph_attach_ctx_t *ctx);
static ngx_int_t ngx_http_graph_attach_printable(ngx_str_t *s, size_t max);


const ga_multipart_callbacks_t  ngx_http_graph_attach_form_callbacks = {
    ngx_http_graph_attach_part_begin,
    ngx_http_graph_attach_part_header,
    ngx_http_graph_attach_part_headers_done,
    ngx_http_graph_attach_part_data,
    ngx_http_graph_attach_part_end,
    NULL                    /* ga_multipart_finish() checks the end */
};


/* the end of the body: the form must be whole and hold one file */

ngx_int_t
ngx_http_graph_attach_form_end(ngx_http_graph_attach_ctx_t *ctx)
{
    int                            rc;
    ngx_http_graph_attach_body_t  *body;

    body = ctx->body;

    rc = ga_multipart_finish(&body->mp);

    if (rc != GA_MP_OK) {
        ngx_http_graph_attach_form_error(ctx, rc);
        return NGX_ERROR;
    }

    if (!body->file_seen) {
        ngx_http_graph_attach_set_error(ctx, GA_ERR_NO_FILE_PART);
        return NGX_ERROR;
    }

    if (body->file_size == 0) {
        ngx_http_graph_attach_set_error(ctx, GA_ERR_EMPTY_FILE);
        return NGX_ERROR;
    }

    if (ngx_http_graph_attach_suffix(ctx) != NGX_OK) {
        ngx_http_graph_attach_set_error(ctx, GA_ERR_OUT_OF_MEMORY);
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_http_graph_attach_form_error(ngx_http_graph_attach_ctx_t *ctx,
    int rc)
{
    ga_err_e  err;

    if (ctx->error.status) {
        /* a callback refused the upload and said why */
        return;
    }

    switch (rc) {

    case GA_MP_ERR_NO_DELIMITER:
        err = GA_ERR_NO_DELIMITER;
        break;

    case GA_MP_ERR_TRUNCATED:
        err = GA_ERR_TRUNCATED;
        break;

    case GA_MP_ERR_HEADER_TOO_LARGE:
        err = GA_ERR_PART_HEADER_TOO_LONG;
        break;

    case GA_MP_ERR_TOO_MANY_HEADERS:
        err = GA_ERR_TOO_MANY_PART_HEADERS;
        break;

    case GA_MP_ERR_BAD_HEADER:
        err = GA_ERR_BAD_PART_HEADER;
        break;

    case GA_MP_ERR_CALLBACK:

        /*
         * a callback that fails without an error of its own ran out of
         * memory, or the digest or an output buffer failed: the
         * gateway's fault, not the client's
         */

        ngx_log_error(NGX_LOG_ERR, ctx->body->log, 0,
                      "graph_attach: converting the upload failed");

        ngx_http_graph_attach_set_error(ctx, GA_ERR_INTERNAL);
        return;

    default:
        err = GA_ERR_BAD_MULTIPART;
        break;
    }

    ngx_log_error(NGX_LOG_INFO, ctx->body->log, 0,
                  "graph_attach: upload refused: %s",
                  ga_multipart_strerror(rc));

    ngx_http_graph_attach_set_error(ctx, err);
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

    /*
     * every part counts, empty file inputs too: a form of many tiny parts
     * costs a callback round each
     */

    if (++body->parts > body->max_fields + 1) {
        ngx_http_graph_attach_set_error(ctx, GA_ERR_TOO_MANY_FIELDS);
        return -1;
    }
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
            ngx_http_graph_attach_set_error(ctx, GA_ERR_TWO_DISPOSITIONS);
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
            ngx_http_graph_attach_set_error(ctx, GA_ERR_TWO_PART_TYPES);
            return -1;
        }

        body->part_has_type = 1;

        v.data = (u_char *) value;
        v.len = value_len;

        if (ngx_http_graph_attach_printable(&v,
                                    NGX_HTTP_GRAPH_ATTACH_CONTENT_TYPE_MAX)
            != NGX_OK)
        {
            ngx_http_graph_attach_set_error(ctx,
                    GA_ERR_PART_TYPE_NOT_PRINTABLE);
            return -1;
        }

        /* one buffer for every part: most parts are not the file */

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

        ngx_http_graph_attach_set_error(ctx, GA_ERR_TRANSFER_ENCODING);
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
                              2 * body->header_line_size);

    switch (rc) {

    case GA_HP_OK:
        break;

    case GA_HP_ERR_DUPLICATE:
        ngx_http_graph_attach_set_error(ctx, GA_ERR_DISPOSITION_PARAM_REPEATED);
        return NGX_ERROR;

    case GA_HP_ERR_NOT_FORM_DATA:
        ngx_http_graph_attach_set_error(ctx, GA_ERR_NOT_FORM_DATA);
        return NGX_ERROR;

    case GA_HP_ERR_BAD_VALUE:
        ngx_http_graph_attach_set_error(ctx, GA_ERR_BAD_FILENAME);
        return NGX_ERROR;

    default:
        ngx_http_graph_attach_set_error(ctx, GA_ERR_BAD_DISPOSITION);
        return NGX_ERROR;
    }

    if (d.has_filename) {
        body->part = d.filename_len ? NGX_HTTP_GRAPH_ATTACH_PART_FILE
                                    : NGX_HTTP_GRAPH_ATTACH_PART_MAYBE_FILE;

        /* in the scratch buffer until this part turns out to be the file */

        body->part_filename.len = d.filename_len;
        body->part_filename.data = d.filename;

        return NGX_OK;
    }

    body->part = NGX_HTTP_GRAPH_ATTACH_PART_SKIP;

    if (!d.has_name) {
        return NGX_OK;
    }

    name.data = (u_char *) d.name;
    name.len = d.name_len;

    /*
     * a text field named "filename" reads as an attempt to name the file
     * through the back door of a careless parser: refused, not guessed
     */

    if ((name.len == sizeof("filename") - 1
         || name.len == sizeof("filename*") - 1)
        && ngx_strncasecmp(name.data, (u_char *) "filename", 8) == 0
        && (name.len == 8 || name.data[8] == '*'))
    {
        ngx_http_graph_attach_set_error(ctx, GA_ERR_FIELD_NAMED_FILENAME);
        return NGX_ERROR;
    }

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
        ngx_http_graph_attach_set_error(ctx, GA_ERR_NO_DISPOSITION);
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
        ngx_http_graph_attach_set_error(ctx, GA_ERR_FIELD_REPEATED);
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
        ngx_http_graph_attach_set_error(ctx, GA_ERR_TOO_MANY_FILES);
        return NGX_ERROR;
    }

    body->file_seen = 1;
    body->part = NGX_HTTP_GRAPH_ATTACH_PART_FILE;

    /* the part's buffers are reused by the parts that follow */

    body->filename.len = body->part_filename.len;
    body->filename.data = ngx_pstrdup(body->pool, &body->part_filename);
    if (body->filename.data == NULL && body->filename.len) {
        return NGX_ERROR;
    }

    if (body->part_type.len) {
        body->content_type.len = body->part_type.len;
        body->content_type.data = ngx_pstrdup(body->pool, &body->part_type);
        if (body->content_type.data == NULL) {
            return NGX_ERROR;
        }

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

    size_t                         n;
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
            ngx_http_graph_attach_set_error(ctx, GA_ERR_FILE_TOO_LARGE);
            return -1;
        }

        if (body->head_len < sizeof(body->head)) {
            n = ngx_min(len, sizeof(body->head) - body->head_len);
            ngx_memcpy(body->head + body->head_len, p, n);
            body->head_len += n;
        }

        if (body->sha256 && EVP_DigestUpdate(body->sha256, p, len) != 1) {
            return -1;
        }

        return ngx_http_graph_attach_emit_base64(body, p, len) == NGX_OK
               ? 0 : -1;

    default:

        if (body->field->len + len > NGX_HTTP_GRAPH_ATTACH_FIELD_MAX) {
            ngx_http_graph_attach_set_error(ctx, GA_ERR_FIELD_TOO_LONG);
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

    if (body->sha256
        && EVP_DigestFinal_ex(body->sha256, body->digest, NULL) != 1)
    {
        return -1;
    }

    return ngx_http_graph_attach_emit(body, tail, n) == NGX_OK ? 0 : -1;
}


/* the properties known only at the end of the form */

static ngx_int_t
ngx_http_graph_attach_suffix(ngx_http_graph_attach_ctx_t *ctx)
{
    u_char                        *p;
    size_t                         n;
    ngx_int_t                      rc;
    ngx_str_t                     *name, *type, *declared;
    ngx_uint_t                     is_inline;
    ngx_http_graph_attach_body_t  *body;

    body = ctx->body;

    name = &ctx->name;
    type = &ctx->content_type;

    *name = body->field_name.data ? body->field_name : body->filename;

    if (!ga_utf8_valid(name->data, name->len)) {
        ngx_http_graph_attach_set_error(ctx, GA_ERR_NAME_NOT_UTF8);
        return NGX_ERROR;
    }

    /*
     * refused, not decoded: mail clients decode RFC 2047 words in a name,
     * so the name they show is not the one the rules would judge
     */

    if (ga_encoded_word_find(name->data, name->len)) {
        ngx_http_graph_attach_set_error(ctx, GA_ERR_NAME_ENCODED_WORD);
        return NGX_ERROR;
    }

    declared = &body->content_type;

    if (body->field_content_type.data) {
        declared = &body->field_content_type;

        if (ngx_http_graph_attach_printable(declared,
                                    NGX_HTTP_GRAPH_ATTACH_CONTENT_TYPE_MAX)
            != NGX_OK)
        {
            ngx_http_graph_attach_set_error(ctx,
                    GA_ERR_FIELD_TYPE_NOT_PRINTABLE);
            return NGX_ERROR;
        }
    }

    /*
     * only "type/subtype" (and a text charset) is judged and forwarded:
     * a parameter such as name="x.exe" would be a second name no rule saw
     */

    p = ngx_pnalloc(body->pool, declared->len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    n = ga_type_normalize(declared->data, declared->len, p);

    if (n == 0) {
        if (declared == &body->field_content_type) {
            ngx_http_graph_attach_set_error(ctx,
                    GA_ERR_FIELD_TYPE_NOT_MEDIA_TYPE);

        } else {
            ngx_http_graph_attach_set_error(ctx,
                    GA_ERR_PART_TYPE_NOT_MEDIA_TYPE);
        }

        return NGX_ERROR;
    }

    type->data = p;
    type->len = n;

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
            ngx_http_graph_attach_set_error(ctx, GA_ERR_FIELD_IS_INLINE);
            return NGX_ERROR;
        }
    }

    /* the rules judge what Graph would get: sanitised name, final type */

    rc = ngx_http_graph_attach_judge(ctx, body->conf, name, type);
    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    if (body->field_content_id.data
        && !ga_content_id_valid(body->field_content_id.data,
                                body->field_content_id.len))
    {
        /* Graph writes it into a MIME header: no CR, LF, space or NUL */

        ngx_http_graph_attach_set_error(ctx, GA_ERR_FIELD_CONTENT_ID);
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

