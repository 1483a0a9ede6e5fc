
/*
 * Copyright (C) graph-attach authors
 *
 * The form: what each multipart part means for the attachments.  The
 * multipart parser calls back here as parts stream by: each file part's
 * bytes go to the attachment writer at once, text fields are kept, and
 * once the form is complete every attachment is judged by the policy and
 * (one file alone) its last properties (name, contentType, isInline,
 * contentId) written.
 *
 * Several files: the n-th field of a kind (name, contentType, isInline,
 * contentId) is the n-th file's, in form order wherever it stands, and
 * an empty one stands for the default; more fields of a kind than files
 * is the repeated field it is with one file.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_form.h"
#include "ngx_http_graph_attach_writer.h"
#include "ga_content_id.h"
#include "ga_encoded_word.h"
#include "ga_header_params.h"
#include "ga_item.h"
#include "ga_multipart.h"
#include "ga_type.h"
#include "ga_utf8.h"


/* what the part being parsed is */

typedef enum {
    NGX_HTTP_GRAPH_ATTACH_PART_SKIP = 0,
    NGX_HTTP_GRAPH_ATTACH_PART_FILE,
    NGX_HTTP_GRAPH_ATTACH_PART_MAYBE_FILE,    /* filename="" so far */
    NGX_HTTP_GRAPH_ATTACH_PART_NAME,
    NGX_HTTP_GRAPH_ATTACH_PART_CONTENT_TYPE,
    NGX_HTTP_GRAPH_ATTACH_PART_IS_INLINE,
    NGX_HTTP_GRAPH_ATTACH_PART_CONTENT_ID,
    NGX_HTTP_GRAPH_ATTACH_PART_ITEM
} ngx_http_graph_attach_part_e;


typedef enum {
    NGX_HTTP_GRAPH_ATTACH_FIELD_NAME = 0,
    NGX_HTTP_GRAPH_ATTACH_FIELD_CONTENT_TYPE,
    NGX_HTTP_GRAPH_ATTACH_FIELD_IS_INLINE,
    NGX_HTTP_GRAPH_ATTACH_FIELD_CONTENT_ID,
    NGX_HTTP_GRAPH_ATTACH_FIELDS
} ngx_http_graph_attach_field_e;


struct ngx_http_graph_attach_form_s {
    ga_multipart_t                         mp;

    ngx_http_graph_attach_ctx_t           *ctx;          /* for errors */
    ngx_http_graph_attach_writer_t        *writer;
    ngx_http_graph_attach_attachment_t    *attachment;   /* the last */
    ngx_array_t                            attachments;  /* of pointers */
    ngx_http_graph_attach_loc_conf_t      *conf;

    u_char                                *header_line;  /* parser's */
    size_t                                 header_line_size;
    u_char                                *scratch;      /* decoding */

    /* the part being parsed */
    ngx_http_graph_attach_part_e           part;
    ngx_str_t                              part_type;
    ngx_str_t                              part_filename;
    unsigned                               part_has_disposition:1;
    unsigned                               part_has_type:1;

    /* text fields in form order, by kind; each an ngx_str_t */
    ngx_array_t                            values[NGX_HTTP_GRAPH_ATTACH_FIELDS];

    /* the attachment being completed: its fields, NULL data when absent */
    ngx_str_t                              field_name;
    ngx_str_t                              field_content_type;
    ngx_str_t                              field_is_inline;
    ngx_str_t                              field_content_id;
    ngx_str_t                             *field;        /* being read */

    ngx_uint_t                             parts;
    ngx_uint_t                             fields;     /* parts not files */

    ngx_pool_t                            *pool;
    ngx_log_t                             *log;
};


static int ngx_http_graph_attach_part_begin(void *data);
static int ngx_http_graph_attach_part_header(void *data, const u_char *name,
    size_t name_len, const u_char *value, size_t value_len);
static int ngx_http_graph_attach_part_headers_done(void *data);
static int ngx_http_graph_attach_part_data(void *data, const u_char *p,
    size_t len);
static int ngx_http_graph_attach_part_end(void *data);

static void ngx_http_graph_attach_form_cleanup(void *data);
static void ngx_http_graph_attach_form_error(
    ngx_http_graph_attach_form_t *form, int rc);
static ngx_int_t ngx_http_graph_attach_file_begin(
    ngx_http_graph_attach_form_t *form);
static ngx_http_graph_attach_attachment_t *ngx_http_graph_attach_next(
    ngx_http_graph_attach_form_t *form);
static ngx_int_t ngx_http_graph_attach_item_begin(
    ngx_http_graph_attach_form_t *form);
static ngx_int_t ngx_http_graph_attach_item_data(
    ngx_http_graph_attach_form_t *form, const u_char *p, size_t len);
static ga_err_e ngx_http_graph_attach_item_complete(
    ngx_http_graph_attach_form_t *form, ngx_http_graph_attach_attachment_t *a,
    ngx_uint_t n);
static ngx_int_t ngx_http_graph_attach_file_data(
    ngx_http_graph_attach_form_t *form, const u_char *p, size_t len);
static ngx_int_t ngx_http_graph_attach_disposition(
    ngx_http_graph_attach_form_t *form, const u_char *value, size_t len);
static ga_err_e ngx_http_graph_attach_form_complete(
    ngx_http_graph_attach_form_t *form, ngx_http_graph_attach_attachment_t *a,
    ngx_uint_t n);
static ngx_str_t ngx_http_graph_attach_field_of(
    ngx_http_graph_attach_form_t *form, ngx_http_graph_attach_field_e kind,
    ngx_uint_t n);
static ga_err_e ngx_http_graph_attach_final_type(
    ngx_http_graph_attach_form_t *form, ngx_http_graph_attach_attachment_t *a);
static ngx_int_t ngx_http_graph_attach_printable(ngx_str_t *s, size_t max);


static const ga_multipart_callbacks_t  ngx_http_graph_attach_form_callbacks =
{
    ngx_http_graph_attach_part_begin,
    ngx_http_graph_attach_part_header,
    ngx_http_graph_attach_part_headers_done,
    ngx_http_graph_attach_part_data,
    ngx_http_graph_attach_part_end,
    NULL                    /* ga_multipart_finish() checks the end */
};


ngx_http_graph_attach_form_t *
ngx_http_graph_attach_form_create(ngx_http_request_t *r,
    ngx_http_graph_attach_ctx_t *ctx, ngx_http_graph_attach_writer_t *writer,
    u_char *boundary, size_t boundary_len)
{
    ngx_uint_t                           i;
    ngx_pool_cleanup_t                  *cln;
    ngx_http_graph_attach_form_t        *form;
    ngx_http_graph_attach_loc_conf_t    *alcf;
    ngx_http_graph_attach_main_conf_t   *amcf;
    ngx_http_graph_attach_attachment_t  *a;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_graph_attach_module);

    form = ngx_pcalloc(r->pool, sizeof(ngx_http_graph_attach_form_t));
    a = ngx_pcalloc(r->pool, sizeof(ngx_http_graph_attach_attachment_t));
    if (form == NULL || a == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     form->part = NGX_HTTP_GRAPH_ATTACH_PART_SKIP;
     *     form->field_* = { 0, NULL };
     *     form->parts = 0;
     *     a->name = { 0, NULL };
     *     a->size = 0;
     */

    form->header_line_size = alcf->part_header_size;
    form->header_line = ngx_pnalloc(r->pool, form->header_line_size);

    /* filename* in ISO-8859-1 may double in size as UTF-8 */
    form->scratch = ngx_pnalloc(r->pool, 2 * form->header_line_size);

    form->part_type.data = ngx_pnalloc(r->pool,
                                       NGX_HTTP_GRAPH_ATTACH_CONTENT_TYPE_MAX);

    if (form->header_line == NULL || form->scratch == NULL
        || form->part_type.data == NULL)
    {
        return NULL;
    }

    if (ngx_array_init(&form->attachments, r->pool, 1,
                       sizeof(ngx_http_graph_attach_attachment_t *))
        != NGX_OK)
    {
        return NULL;
    }

    for (i = 0; i < NGX_HTTP_GRAPH_ATTACH_FIELDS; i++) {
        if (ngx_array_init(&form->values[i], r->pool, 1, sizeof(ngx_str_t))
            != NGX_OK)
        {
            return NULL;
        }
    }

    *(ngx_http_graph_attach_attachment_t **)
                                     ngx_array_push(&form->attachments) = a;

    form->ctx = ctx;
    form->writer = writer;
    form->attachment = a;
    form->conf = alcf;
    form->pool = r->pool;
    form->log = r->connection->log;

    ga_multipart_init(&form->mp, boundary, boundary_len, form->header_line,
                      form->header_line_size, alcf->part_headers,
                      &ngx_http_graph_attach_form_callbacks, form);

    /*
     * the digest of the file bytes costs about as much as base64: only
     * when the configuration uses $graph_attach_sha256
     */

    amcf = ngx_http_get_module_main_conf(r, ngx_http_graph_attach_module);

    if (!amcf->sha256) {
        return form;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    a->sha256 = EVP_MD_CTX_new();
    if (a->sha256 == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_graph_attach_form_cleanup;
    cln->data = a;

    if (EVP_DigestInit_ex(a->sha256, EVP_sha256(), NULL) != 1) {
        return NULL;
    }

    return form;
}


static void
ngx_http_graph_attach_form_cleanup(void *data)
{
    ngx_http_graph_attach_attachment_t  *a = data;

    EVP_MD_CTX_free(a->sha256);
}


ngx_http_graph_attach_attachment_t *
ngx_http_graph_attach_form_attachment(ngx_http_graph_attach_form_t *form)
{
    return *(ngx_http_graph_attach_attachment_t **) form->attachments.elts;
}


ngx_array_t *
ngx_http_graph_attach_form_attachments(ngx_http_graph_attach_form_t *form)
{
    return &form->attachments;
}


/* a part of the body; a refusal is left in the request's context */

void
ngx_http_graph_attach_form_feed(ngx_http_graph_attach_form_t *form,
    const u_char *p, size_t len)
{
    int  rc;

    rc = ga_multipart_execute(&form->mp, p, len);

    if (rc != GA_MP_OK) {
        ngx_http_graph_attach_form_error(form, rc);
    }
}


/*
 * The end of the body: the form must be whole and hold a file; every
 * file is judged before anything is sent, and the first refused one
 * refuses the form
 */

ngx_int_t
ngx_http_graph_attach_form_end(ngx_http_graph_attach_form_t *form)
{
    int                                   rc;
    ga_err_e                              err;
    ngx_uint_t                            i, n;
    ngx_http_graph_attach_attachment_t  **all, *a;

    rc = ga_multipart_finish(&form->mp);

    if (rc != GA_MP_OK) {
        ngx_http_graph_attach_form_error(form, rc);
        return NGX_ERROR;
    }

    all = form->attachments.elts;
    n = form->attachments.nelts;

    if (!all[0]->started) {
        ngx_http_graph_attach_set_error(form->ctx, GA_ERR_NO_FILE_PART);
        return NGX_ERROR;
    }

    for (i = 0; i < NGX_HTTP_GRAPH_ATTACH_FIELDS; i++) {
        if (form->values[i].nelts > n) {
            ngx_http_graph_attach_set_error(form->ctx, GA_ERR_FIELD_REPEATED);
            return NGX_ERROR;
        }
    }

    for (i = 0; i < n; i++) {
        a = all[i];

        if (a->is_item) {
            err = ngx_http_graph_attach_item_complete(form, a, i);

        } else {
            err = (a->size == 0) ? GA_ERR_EMPTY_FILE
                                 : ngx_http_graph_attach_form_complete(form,
                                                                       a, i);
        }

        if (err != GA_ERR_NONE) {
            ngx_http_graph_attach_set_error(form->ctx, err);

            if (n > 1) {
                /* which file, in the error's innerError */
                form->ctx->error_index = i + 1;
                form->ctx->error_name = a->name.data ? a->name : a->filename;
            }

            return NGX_ERROR;
        }
    }

    /* one file: its JSON is the body proxy_pass sends */

    if (n == 1 && !all[0]->is_item
        && ngx_http_graph_attach_writer_properties(form->writer, all[0])
           != NGX_OK)
    {
        ngx_http_graph_attach_set_error(form->ctx, GA_ERR_OUT_OF_MEMORY);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_graph_attach_form_error(ngx_http_graph_attach_form_t *form, int rc)
{
    if (form->ctx->error.status) {
        /* a callback refused the upload and said why */
        return;
    }

    if (rc == GA_MP_ERR_CALLBACK) {
        ngx_log_error(NGX_LOG_ERR, form->log, 0,
                      "graph_attach: converting the upload failed");

    } else {
        ngx_log_error(NGX_LOG_INFO, form->log, 0,
                      "graph_attach: upload refused: %s",
                      ga_multipart_strerror(rc));
    }

    ngx_http_graph_attach_set_error(form->ctx, ga_error_for_multipart(rc));
}


static int
ngx_http_graph_attach_part_begin(void *data)
{
    ngx_http_graph_attach_form_t *form = data;


    form->part = NGX_HTTP_GRAPH_ATTACH_PART_SKIP;
    form->part_has_disposition = 0;
    form->part_has_type = 0;
    form->part_type.len = 0;
    form->part_filename.len = 0;
    form->part_filename.data = NULL;

    /*
     * every part counts, empty file inputs too: a form of many tiny parts
     * costs a callback round each
     */

    if (++form->parts > form->conf->max_fields + form->conf->max_files) {
        ngx_http_graph_attach_set_error(form->ctx, GA_ERR_TOO_MANY_FIELDS);
        return -1;
    }
    form->field = NULL;

    return 0;
}


static int
ngx_http_graph_attach_part_header(void *data, const u_char *name,
    size_t name_len, const u_char *value, size_t value_len)
{
    ngx_http_graph_attach_form_t *form = data;

    ngx_str_t                      v;

    if (name_len == sizeof("Content-Disposition") - 1
        && ngx_strncasecmp((u_char *) name, (u_char *) "Content-Disposition",
                           name_len)
           == 0)
    {
        if (form->part_has_disposition) {
            ngx_http_graph_attach_set_error(form->ctx, GA_ERR_TWO_DISPOSITIONS);
            return -1;
        }

        form->part_has_disposition = 1;

        if (ngx_http_graph_attach_disposition(form, value, value_len)
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
        if (form->part_has_type) {
            ngx_http_graph_attach_set_error(form->ctx, GA_ERR_TWO_PART_TYPES);
            return -1;
        }

        form->part_has_type = 1;

        v.data = (u_char *) value;
        v.len = value_len;

        if (ngx_http_graph_attach_printable(&v,
                                    NGX_HTTP_GRAPH_ATTACH_CONTENT_TYPE_MAX)
            != NGX_OK)
        {
            ngx_http_graph_attach_set_error(form->ctx,
                    GA_ERR_PART_TYPE_NOT_PRINTABLE);
            return -1;
        }

        /* one buffer for every part: most parts are not the file */

        ngx_memcpy(form->part_type.data, value, value_len);
        form->part_type.len = value_len;

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

        ngx_http_graph_attach_set_error(form->ctx, GA_ERR_TRANSFER_ENCODING);
        return -1;
    }

    /* other part headers carry nothing Graph takes */

    return 0;
}


static ngx_int_t
ngx_http_graph_attach_disposition(ngx_http_graph_attach_form_t *form,
    const u_char *value, size_t len)
{
    int                            rc;
    ngx_str_t                      name;
    ngx_uint_t                     i;
    ga_disposition_t               d;

    static struct {
        ngx_str_t                     name;
        ngx_http_graph_attach_part_e  part;
    } fields[] = {
        { ngx_string("name"), NGX_HTTP_GRAPH_ATTACH_PART_NAME },
        { ngx_string("contentType"), NGX_HTTP_GRAPH_ATTACH_PART_CONTENT_TYPE },
        { ngx_string("isInline"), NGX_HTTP_GRAPH_ATTACH_PART_IS_INLINE },
        { ngx_string("contentId"), NGX_HTTP_GRAPH_ATTACH_PART_CONTENT_ID },
        { ngx_string("item"), NGX_HTTP_GRAPH_ATTACH_PART_ITEM },
        { ngx_null_string, NGX_HTTP_GRAPH_ATTACH_PART_SKIP }
    };

    ngx_memzero(&d, sizeof(ga_disposition_t));

    rc = ga_disposition_parse(value, len, &d, form->scratch,
                              2 * form->header_line_size);

    switch (rc) {

    case GA_HP_OK:
        break;

    case GA_HP_ERR_DUPLICATE:
        ngx_http_graph_attach_set_error(form->ctx,
                                        GA_ERR_DISPOSITION_PARAM_REPEATED);
        return NGX_ERROR;

    case GA_HP_ERR_NOT_FORM_DATA:
        ngx_http_graph_attach_set_error(form->ctx, GA_ERR_NOT_FORM_DATA);
        return NGX_ERROR;

    case GA_HP_ERR_BAD_VALUE:
        ngx_http_graph_attach_set_error(form->ctx, GA_ERR_BAD_FILENAME);
        return NGX_ERROR;

    default:
        ngx_http_graph_attach_set_error(form->ctx, GA_ERR_BAD_DISPOSITION);
        return NGX_ERROR;
    }

    if (d.has_filename) {
        form->part = d.filename_len ? NGX_HTTP_GRAPH_ATTACH_PART_FILE
                                    : NGX_HTTP_GRAPH_ATTACH_PART_MAYBE_FILE;

        /* in the scratch buffer until this part turns out to be the file */

        form->part_filename.len = d.filename_len;
        form->part_filename.data = d.filename;

        return NGX_OK;
    }

    form->part = NGX_HTTP_GRAPH_ATTACH_PART_SKIP;

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
        ngx_http_graph_attach_set_error(form->ctx, GA_ERR_FIELD_NAMED_FILENAME);
        return NGX_ERROR;
    }

    for (i = 0; fields[i].name.len; i++) {
        if (fields[i].name.len == name.len
            && ngx_strncmp(fields[i].name.data, name.data, name.len) == 0)
        {
            form->part = fields[i].part;
            break;
        }
    }

    return NGX_OK;
}


static int
ngx_http_graph_attach_part_headers_done(void *data)
{
    ngx_http_graph_attach_form_t *form = data;

    ngx_str_t                     *field;
    ngx_array_t                   *values;

    if (!form->part_has_disposition) {
        ngx_http_graph_attach_set_error(form->ctx, GA_ERR_NO_DISPOSITION);
        return -1;
    }

    /* graph_attach_max_fields counts the parts that are not files */

    if (form->part != NGX_HTTP_GRAPH_ATTACH_PART_FILE
        && form->part != NGX_HTTP_GRAPH_ATTACH_PART_ITEM
        && ++form->fields > form->conf->max_fields)
    {
        ngx_http_graph_attach_set_error(form->ctx, GA_ERR_TOO_MANY_FIELDS);
        return -1;
    }

    switch (form->part) {

    case NGX_HTTP_GRAPH_ATTACH_PART_FILE:
        return ngx_http_graph_attach_file_begin(form) == NGX_OK ? 0 : -1;

    case NGX_HTTP_GRAPH_ATTACH_PART_ITEM:
        return ngx_http_graph_attach_item_begin(form) == NGX_OK ? 0 : -1;

    case NGX_HTTP_GRAPH_ATTACH_PART_NAME:
        values = &form->values[NGX_HTTP_GRAPH_ATTACH_FIELD_NAME];
        break;

    case NGX_HTTP_GRAPH_ATTACH_PART_CONTENT_TYPE:
        values = &form->values[NGX_HTTP_GRAPH_ATTACH_FIELD_CONTENT_TYPE];
        break;

    case NGX_HTTP_GRAPH_ATTACH_PART_IS_INLINE:
        values = &form->values[NGX_HTTP_GRAPH_ATTACH_FIELD_IS_INLINE];
        break;

    case NGX_HTTP_GRAPH_ATTACH_PART_CONTENT_ID:
        values = &form->values[NGX_HTTP_GRAPH_ATTACH_FIELD_CONTENT_ID];
        break;

    default:
        return 0;
    }

    /* one a file at most; more than the files is judged at the end */

    if (values->nelts >= form->conf->max_files) {
        ngx_http_graph_attach_set_error(form->ctx, GA_ERR_FIELD_REPEATED);
        return -1;
    }

    field = ngx_array_push(values);
    if (field == NULL) {
        return -1;
    }

    field->data = ngx_pnalloc(form->pool, NGX_HTTP_GRAPH_ATTACH_FIELD_MAX);
    if (field->data == NULL) {
        return -1;
    }

    field->len = 0;
    form->field = field;

    return 0;
}


static ngx_int_t
ngx_http_graph_attach_file_begin(ngx_http_graph_attach_form_t *form)
{
    ngx_http_graph_attach_attachment_t  *a;

    a = ngx_http_graph_attach_next(form);
    if (a == NULL) {
        return NGX_ERROR;
    }
    form->part = NGX_HTTP_GRAPH_ATTACH_PART_FILE;

    /* the part's buffers are reused by the parts that follow */

    a->filename.len = form->part_filename.len;
    a->filename.data = ngx_pstrdup(form->pool, &form->part_filename);
    if (a->filename.data == NULL && a->filename.len) {
        return NGX_ERROR;
    }

    if (form->part_type.len) {
        a->declared_type.len = form->part_type.len;
        a->declared_type.data = ngx_pstrdup(form->pool, &form->part_type);
        if (a->declared_type.data == NULL) {
            return NGX_ERROR;
        }

    } else {
        ngx_str_set(&a->declared_type, "application/octet-stream");
    }

    if (ngx_http_graph_attach_writer_file_begin(form->writer) != NGX_OK) {
        return NGX_ERROR;
    }

    /* where its bytes (base64 or raw) start in the converted body */

    a->body_start = form->writer->size;

    return NGX_OK;
}


/* the next attachment of the form, in form order: a file or an item */

static ngx_http_graph_attach_attachment_t *
ngx_http_graph_attach_next(ngx_http_graph_attach_form_t *form)
{
    ngx_http_graph_attach_attachment_t  *a, **next;

    a = form->attachment;

    if (a->started) {

        if (form->attachments.nelts >= form->conf->max_files) {
            ngx_http_graph_attach_set_error(form->ctx, GA_ERR_TOO_MANY_FILES);
            return NULL;
        }

        /* $graph_attach_sha256 is the first file's: no digest here */

        a = ngx_pcalloc(form->pool, sizeof(ngx_http_graph_attach_attachment_t));
        next = ngx_array_push(&form->attachments);
        if (a == NULL || next == NULL) {
            return NULL;
        }

        *next = a;
        form->attachment = a;
    }

    a->started = 1;

    return a;
}


/*
 * An "item" part: a Graph entity as JSON, a text field (no Content-Type)
 * or application/json; kept as sent, judged when the form is complete
 */

static ngx_int_t
ngx_http_graph_attach_item_begin(ngx_http_graph_attach_form_t *form)
{
    size_t                               n;
    ngx_http_graph_attach_attachment_t  *a;
    u_char                        type[NGX_HTTP_GRAPH_ATTACH_CONTENT_TYPE_MAX];

    if (form->part_type.len) {
        n = ga_type_normalize(form->part_type.data, form->part_type.len,
                              type);

        if (n != sizeof("application/json") - 1
            || ngx_strncmp(type, "application/json", n) != 0)
        {
            ngx_http_graph_attach_set_error(form->ctx, GA_ERR_ITEM_PART_TYPE);
            return NGX_ERROR;
        }
    }

    a = ngx_http_graph_attach_next(form);
    if (a == NULL) {
        return NGX_ERROR;
    }

    a->is_item = 1;
    a->complete = 1;

    return NGX_OK;
}


/* the item's bytes, in a buffer doubling up to graph_attach_max_item_size */

static ngx_int_t
ngx_http_graph_attach_item_data(ngx_http_graph_attach_form_t *form,
    const u_char *p, size_t len)
{
    size_t                               size;
    u_char                              *data;
    ngx_http_graph_attach_attachment_t  *a;

    a = form->attachment;

    if (a->item.len + len > form->conf->max_item_size) {
        ngx_http_graph_attach_set_error(form->ctx, GA_ERR_ITEM_TOO_LARGE);
        return NGX_ERROR;
    }

    if (a->item.len + len > a->item_size) {
        size = ngx_max(a->item_size * 2, 4096);
        size = ngx_max(size, a->item.len + len);
        size = ngx_min(size, form->conf->max_item_size);

        data = ngx_pnalloc(form->pool, size);
        if (data == NULL) {
            return NGX_ERROR;
        }

        if (a->item.len) {
            ngx_memcpy(data, a->item.data, a->item.len);
        }

        /*
         * the old buffer is freed: ten items of graph_attach_max_item_size
         * would otherwise hold twice their size until the request ends
         */

        if (a->item.data) {
            ngx_pfree(form->pool, a->item.data);
        }

        a->item.data = data;
        a->item_size = size;
    }

    ngx_memcpy(a->item.data + a->item.len, p, len);
    a->item.len += len;

    return NGX_OK;
}


static int
ngx_http_graph_attach_part_data(void *data, const u_char *p, size_t len)
{
    ngx_http_graph_attach_form_t *form = data;

    switch (form->part) {

    case NGX_HTTP_GRAPH_ATTACH_PART_SKIP:
        return 0;

    case NGX_HTTP_GRAPH_ATTACH_PART_ITEM:
        return ngx_http_graph_attach_item_data(form, p, len) == NGX_OK
               ? 0 : -1;

    case NGX_HTTP_GRAPH_ATTACH_PART_MAYBE_FILE:

        /* filename="" with bytes: a file after all, named later */

        if (len == 0) {
            return 0;
        }

        if (ngx_http_graph_attach_file_begin(form) != NGX_OK) {
            return -1;
        }

        /* fall through */

    case NGX_HTTP_GRAPH_ATTACH_PART_FILE:
        return ngx_http_graph_attach_file_data(form, p, len) == NGX_OK
               ? 0 : -1;

    default:

        if (form->field->len + len > NGX_HTTP_GRAPH_ATTACH_FIELD_MAX) {
            ngx_http_graph_attach_set_error(form->ctx, GA_ERR_FIELD_TOO_LONG);
            return -1;
        }

        ngx_memcpy(form->field->data + form->field->len, p, len);
        form->field->len += len;

        return 0;
    }
}


/* the file's bytes: counted, their head kept, digested and written */

static ngx_int_t
ngx_http_graph_attach_file_data(ngx_http_graph_attach_form_t *form,
    const u_char *p, size_t len)
{
    size_t                               n;
    ngx_http_graph_attach_attachment_t  *a;

    a = form->attachment;

    a->size += len;

    if (a->size > form->conf->max_size) {
        ngx_http_graph_attach_set_error(form->ctx, GA_ERR_FILE_TOO_LARGE);
        return NGX_ERROR;
    }

    /*
     * a file for the simple POST: past the threshold it needs a session;
     * with sessions on, a body too short to have gone to one may hold a
     * file up to the allowance longer, which the simple POST still takes
     * (the body's length bounds it)
     */

    if (!form->writer->raw && !form->conf->upload.len
        && a->size >= (off_t) form->conf->upload_threshold)
    {
        ngx_http_graph_attach_set_error(form->ctx, GA_ERR_FILE_NEEDS_SESSION);
        return NGX_ERROR;
    }

    if (a->head_len < sizeof(a->head)) {
        n = ngx_min(len, sizeof(a->head) - a->head_len);
        ngx_memcpy(a->head + a->head_len, p, n);
        a->head_len += n;
    }

    if (a->sha256 && EVP_DigestUpdate(a->sha256, p, len) != 1) {
        return NGX_ERROR;
    }

    return ngx_http_graph_attach_writer_file_data(form->writer, p, len);
}


static int
ngx_http_graph_attach_part_end(void *data)
{
    ngx_http_graph_attach_form_t *form = data;

    ngx_http_graph_attach_attachment_t  *a;

    if (form->part != NGX_HTTP_GRAPH_ATTACH_PART_FILE) {
        return 0;
    }

    a = form->attachment;
    a->complete = 1;

    if (a->sha256 && EVP_DigestFinal_ex(a->sha256, a->digest, NULL) != 1) {
        return -1;
    }

    if (ngx_http_graph_attach_writer_file_end(form->writer) != NGX_OK) {
        return -1;
    }

    a->body_end = form->writer->size;

    return 0;
}


/*
 * The form is complete: the attachment as Graph would get it, checked
 * field by field and then judged by the policy
 */

static ga_err_e
ngx_http_graph_attach_form_complete(ngx_http_graph_attach_form_t *form,
    ngx_http_graph_attach_attachment_t *a, ngx_uint_t n)
{
    ga_err_e    err;
    ngx_str_t  *name, *v;

    form->field_name = ngx_http_graph_attach_field_of(form,
                                    NGX_HTTP_GRAPH_ATTACH_FIELD_NAME, n);
    form->field_content_type = ngx_http_graph_attach_field_of(form,
                                  NGX_HTTP_GRAPH_ATTACH_FIELD_CONTENT_TYPE, n);
    form->field_is_inline = ngx_http_graph_attach_field_of(form,
                                    NGX_HTTP_GRAPH_ATTACH_FIELD_IS_INLINE, n);
    form->field_content_id = ngx_http_graph_attach_field_of(form,
                                    NGX_HTTP_GRAPH_ATTACH_FIELD_CONTENT_ID, n);

    name = &a->name;

    *name = form->field_name.data ? form->field_name : a->filename;

    if (!ga_utf8_valid(name->data, name->len)) {
        return GA_ERR_NAME_NOT_UTF8;
    }

    /*
     * refused, not decoded: mail clients decode RFC 2047 words in a name,
     * so the name they show is not the one the rules would judge
     */

    if (ga_encoded_word_find(name->data, name->len)) {
        return GA_ERR_NAME_ENCODED_WORD;
    }

    err = ngx_http_graph_attach_final_type(form, a);
    if (err != GA_ERR_NONE) {
        return err;
    }

    v = &form->field_is_inline;

    if (v->data) {
        if (v->len == 4 && ngx_strncasecmp(v->data, (u_char *) "true", 4) == 0)
        {
            a->is_inline = 1;

        } else if (!(v->len == 5
                     && ngx_strncasecmp(v->data, (u_char *) "false", 5) == 0))
        {
            return GA_ERR_FIELD_IS_INLINE;
        }
    }

    /* the rules judge what Graph would get: sanitised name, final type */

    err = ngx_http_graph_attach_judge(form->conf, a, form->pool, form->log);
    if (err != GA_ERR_NONE) {
        return err;
    }

    /* Graph writes it into a MIME header: no CR, LF, space or NUL */

    if (form->field_content_id.data
        && !ga_content_id_valid(form->field_content_id.data,
                                form->field_content_id.len))
    {
        return GA_ERR_FIELD_CONTENT_ID;
    }

    a->content_id = form->field_content_id;

    return GA_ERR_NONE;
}


/*
 * Only "type/subtype" (and a text charset) is judged and forwarded: a
 * parameter such as name="x.exe" would be a second name no rule saw
 */

/*
 * An item, judged: what Graph gets is the item as re-serialised here,
 * named by the n-th name field or by the item itself
 */

static ga_err_e
ngx_http_graph_attach_item_complete(ngx_http_graph_attach_form_t *form,
    ngx_http_graph_attach_attachment_t *a, ngx_uint_t n)
{
    size_t            len;
    u_char           *p, *name;
    ga_err_e          err;
    ngx_str_t         field;
    ngx_uint_t        kind;
    ga_item_t         item;
    ga_item_err_e     rc;
    ga_item_limits_t  lim;

    for (kind = NGX_HTTP_GRAPH_ATTACH_FIELD_CONTENT_TYPE;
         kind <= NGX_HTTP_GRAPH_ATTACH_FIELD_CONTENT_ID;
         kind++)
    {
        if (ngx_http_graph_attach_field_of(form, kind, n).data) {
            return GA_ERR_FIELD_NOT_FOR_ITEM;
        }
    }

    lim.max_size = form->conf->max_item_size;
    lim.max_depth = GA_ITEM_MAX_DEPTH;
    lim.max_members = GA_ITEM_MAX_MEMBERS;

    ngx_memzero(&item, sizeof(ga_item_t));

    rc = ga_item_judge(a->item.data, a->item.len, &lim, &item);

    if (rc != GA_ITEM_OK) {
        ga_item_free(&item);
        return ga_item_error(rc);
    }

    field = ngx_http_graph_attach_field_of(form,
                                           NGX_HTTP_GRAPH_ATTACH_FIELD_NAME, n);
    err = GA_ERR_NONE;

    if (field.data) {

        /* the name field is judged as for a file, then sanitised */

        if (!ga_utf8_valid(field.data, field.len)) {
            err = GA_ERR_NAME_NOT_UTF8;

        } else if (ga_encoded_word_find(field.data, field.len)) {
            err = GA_ERR_NAME_ENCODED_WORD;
        }

        name = ngx_pnalloc(form->pool, field.len + 1);
        if (err == GA_ERR_NONE && name == NULL) {
            err = GA_ERR_OUT_OF_MEMORY;
        }

        if (err == GA_ERR_NONE) {
            len = ga_name_sanitize(field.data, field.len, name);

            if (len == 0) {
                name = item.name;
                len = item.name_len;
            }
        }

    } else {
        name = item.name;
        len = item.name_len;
    }

    if (err == GA_ERR_NONE) {
        field.data = name;
        field.len = len;

        if (ngx_http_graph_attach_denied_name(form->conf, &field) != NGX_OK) {
            err = GA_ERR_EXTENSION_NOT_ALLOWED;
        }
    }

    if (err != GA_ERR_NONE) {
        ga_item_free(&item);
        return err;
    }

    a->name.len = len;
    a->name.data = ngx_pnalloc(form->pool, len);
    a->item.len = ga_item_body_len(&item, name, len);
    p = ngx_pnalloc(form->pool, a->item.len);

    if (a->name.data == NULL || p == NULL) {
        ga_item_free(&item);
        return GA_ERR_OUT_OF_MEMORY;
    }

    ngx_memcpy(a->name.data, name, len);
    a->item.len = ga_item_body(p, &item, name, len) - p;

    /* the item as sent is judged and written: only Graph's body is kept */

    ngx_pfree(form->pool, a->item.data);
    a->item.data = p;

    ngx_str_set(&a->content_type, "application/json");
    a->size = 0;

    ga_item_free(&item);

    return GA_ERR_NONE;
}


/*
 * The n-th field of a kind, for the n-th file; NULL data when there is
 * none, or when it is empty in a form of several files
 */

static ngx_str_t
ngx_http_graph_attach_field_of(ngx_http_graph_attach_form_t *form,
    ngx_http_graph_attach_field_e kind, ngx_uint_t n)
{
    ngx_str_t   none = ngx_null_string;
    ngx_str_t  *v;

    if (n >= form->values[kind].nelts) {
        return none;
    }

    v = form->values[kind].elts;

    if (v[n].len == 0 && form->attachments.nelts > 1) {
        return none;
    }

    return v[n];
}


static ga_err_e
ngx_http_graph_attach_final_type(ngx_http_graph_attach_form_t *form,
    ngx_http_graph_attach_attachment_t *a)
{
    u_char      *p;
    size_t       n;
    ngx_str_t   *declared;

    declared = &a->declared_type;

    if (form->field_content_type.data) {
        declared = &form->field_content_type;

        if (ngx_http_graph_attach_printable(declared,
                                    NGX_HTTP_GRAPH_ATTACH_CONTENT_TYPE_MAX)
            != NGX_OK)
        {
            return GA_ERR_FIELD_TYPE_NOT_PRINTABLE;
        }
    }

    p = ngx_pnalloc(form->pool, declared->len + 1);
    if (p == NULL) {
        return GA_ERR_OUT_OF_MEMORY;
    }

    n = ga_type_normalize(declared->data, declared->len, p);

    if (n == 0) {
        return (declared == &form->field_content_type)
               ? GA_ERR_FIELD_TYPE_NOT_MEDIA_TYPE
               : GA_ERR_PART_TYPE_NOT_MEDIA_TYPE;
    }

    a->content_type.data = p;
    a->content_type.len = n;

    return GA_ERR_NONE;
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
