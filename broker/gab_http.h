/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GAB_HTTP_H_INCLUDED_
#define _GAB_HTTP_H_INCLUDED_


#include <curl/curl.h>

#include "gab_buf.h"
#include "gab_conf.h"


/*
 * One token request: a POST of a form, on the broker's curl multi handle,
 * so that every tenant's request runs at once and a slow endpoint holds
 * up nobody but its own tenant (for at most timeout).  Never a redirect,
 * https only (http to loopback when the authority says so), at most
 * GAB_HTTP_MAX_BODY bytes of answer.
 */


#define GAB_HTTP_MAX_BODY  65536

typedef struct {
    CURL               *easy;
    struct curl_slist  *headers;
    gab_buf_t           form;           /* the request: holds the secret */
    gab_buf_t           body;           /* the answer: holds the token */
    long                status;
    char                retry_after[64];
    char                request_id[64];  /* x-ms-request-id */
    char                client_request_id[37];
    char                error[CURL_ERROR_SIZE];
} gab_http_t;


/* starts the request with h->form as its body; 0, or -1 with err */
int gab_http_start(CURLM *multi, gab_http_t *h, const char *url,
    const gab_conf_t *conf, void *data, char *err, size_t errlen);

/* after curl_multi_info_read() said it is done: fills h->status */
void gab_http_done(gab_http_t *h);

/* removes the request from multi, frees it and wipes its buffers */
void gab_http_end(CURLM *multi, gab_http_t *h);


#endif /* _GAB_HTTP_H_INCLUDED_ */
