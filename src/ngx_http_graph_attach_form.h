
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _NGX_HTTP_GRAPH_ATTACH_FORM_H_INCLUDED_
#define _NGX_HTTP_GRAPH_ATTACH_FORM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_graph_attach.h"
#include "ngx_http_graph_attach_writer.h"


/*
 * The multipart form of one request: fed the body as it arrives, it
 * writes the attachment through the writer and, at the end, has the
 * policy judge it.  Its state is its own (ngx_http_graph_attach_form.c);
 * a refusal is set in the request's context.
 */

ngx_http_graph_attach_form_t *ngx_http_graph_attach_form_create(
    ngx_http_request_t *r, ngx_http_graph_attach_ctx_t *ctx,
    ngx_http_graph_attach_writer_t *writer, u_char *boundary,
    size_t boundary_len);
void ngx_http_graph_attach_form_feed(ngx_http_graph_attach_form_t *form,
    const u_char *p, size_t len);
ngx_int_t ngx_http_graph_attach_form_end(ngx_http_graph_attach_form_t *form);
ngx_http_graph_attach_attachment_t *ngx_http_graph_attach_form_attachment(
    ngx_http_graph_attach_form_t *form);
ngx_array_t *ngx_http_graph_attach_form_attachments(
    ngx_http_graph_attach_form_t *form);


#endif /* _NGX_HTTP_GRAPH_ATTACH_FORM_H_INCLUDED_ */
