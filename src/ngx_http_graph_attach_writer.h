
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _NGX_HTTP_GRAPH_ATTACH_WRITER_H_INCLUDED_
#define _NGX_HTTP_GRAPH_ATTACH_WRITER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/evp.h>

#include "ngx_http_graph_attach.h"
#include "ga_base64.h"
#include "ga_sniff.h"


/*
 * One attachment, as the form collects it and the policy judges it: what
 * the client declared, what Graph gets, and what was seen of its bytes.
 */

struct ngx_http_graph_attach_attachment_s {
    ngx_str_t                   filename;       /* the part's, decoded */
    ngx_str_t                   declared_type;  /* the part's, or octet */

    /* as judged and sent; data NULL until the form is complete */
    ngx_str_t                   name;
    ngx_str_t                   content_type;
    ngx_str_t                   content_id;     /* data NULL: none */

    off_t                       size;           /* file bytes so far */

    /* its bytes in the converted body: base64, or raw for a session */
    off_t                       body_start;
    off_t                       body_end;

    /* the start of the file, for sniffing, and its digest */
    u_char                      head[GA_SNIFF_HEAD];
    size_t                      head_len;
    EVP_MD_CTX                 *sha256;         /* NULL: not wanted */
    u_char                      digest[32];

    /* an item attachment: the "item" part as sent, then Graph's body */
    ngx_str_t                   item;
    size_t                      item_size;      /* room in item.data */

    unsigned                    is_inline:1;
    unsigned                    is_item:1;
    unsigned                    started:1;      /* the file part began */
    unsigned                    complete:1;     /* ... and ended */
};


/*
 * The attachment writer: the JSON Graph gets, written into output buffers
 * as the file streams in.  It owns the buffers; the request body filter
 * takes what was written each round and gives the written buffers back.
 */

struct ngx_http_graph_attach_writer_s {
    ngx_buf_t                  *buf;            /* being filled */
    ngx_chain_t                *out;            /* filled this round */
    ngx_chain_t               **last_out;
    ngx_chain_t                *free;
    ngx_chain_t                *busy;
    size_t                      buf_size;
    size_t                      first_size;     /* 0: buf_size */

    off_t                       size;           /* bytes written in all */

    ga_base64_t                 b64;
    ngx_pool_t                 *pool;

    /*
     * the file's own bytes, not JSON: for an upload session, which sends
     * them from the request body's temp file as they are
     */
    unsigned                    raw:1;
};


ngx_http_graph_attach_writer_t *ngx_http_graph_attach_writer_create(
    ngx_pool_t *pool, off_t content_length);
void ngx_http_graph_attach_writer_hold(ngx_http_graph_attach_writer_t *w,
    off_t content_length);

/* one fileAttachment: the head, the bytes as they come, the end */
ngx_int_t ngx_http_graph_attach_writer_file_begin(
    ngx_http_graph_attach_writer_t *w);
ngx_int_t ngx_http_graph_attach_writer_file_data(
    ngx_http_graph_attach_writer_t *w, const u_char *p, size_t len);
ngx_int_t ngx_http_graph_attach_writer_file_end(
    ngx_http_graph_attach_writer_t *w);
ngx_int_t ngx_http_graph_attach_writer_properties(
    ngx_http_graph_attach_writer_t *w, ngx_http_graph_attach_attachment_t *a);

/* the same JSON around a file's base64, for a body built elsewhere */
extern ngx_str_t  ngx_http_graph_attach_file_head;
size_t ngx_http_graph_attach_file_tail_len(
    ngx_http_graph_attach_attachment_t *a);
u_char *ngx_http_graph_attach_file_tail(u_char *p,
    ngx_http_graph_attach_attachment_t *a);

/*
 * A file kept raw that turned out too small for a session: its JSON for
 * the simple POST, from the raw body (memory or temp file buffers) into
 * memory buffers
 */
ngx_chain_t *ngx_http_graph_attach_writer_json_from_raw(
    ngx_http_graph_attach_writer_t *w, ngx_http_graph_attach_attachment_t *a,
    ngx_chain_t *raw);

/* the body is complete: the last buffer goes out with last_buf set */
ngx_int_t ngx_http_graph_attach_writer_finish(
    ngx_http_graph_attach_writer_t *w);

/* what was written since the last call, and what is of no use */
ngx_chain_t *ngx_http_graph_attach_writer_take(
    ngx_http_graph_attach_writer_t *w);
void ngx_http_graph_attach_writer_discard(ngx_http_graph_attach_writer_t *w);
void ngx_http_graph_attach_writer_update(ngx_http_graph_attach_writer_t *w,
    ngx_chain_t *sent);


#endif /* _NGX_HTTP_GRAPH_ATTACH_WRITER_H_INCLUDED_ */
