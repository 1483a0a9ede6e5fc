/*
 * Copyright (C) graph-attach authors
 */


#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gab_http.h"
#include "gab_jwt.h"


#define GAB_HTTP_USER_AGENT  "graph-attach-broker"


static size_t gab_http_write(char *p, size_t size, size_t n, void *data);
static size_t gab_http_header(char *p, size_t size, size_t n, void *data);
static void gab_http_header_value(const char *p, size_t len,
    const char *name, char *dst, size_t size);


int
gab_http_start(CURLM *multi, gab_http_t *h, const char *url,
    const gab_conf_t *conf, void *data, char *err, size_t errlen)
{
    int                 loopback;
    char                crid[64];
    CURLcode            rc;
    struct curl_slist  *l;

    h->status = 0;
    h->retry_after[0] = '\0';
    h->request_id[0] = '\0';
    h->error[0] = '\0';

    gab_buf_reset(&h->body);
    h->body.max = GAB_HTTP_MAX_BODY;

    if (gab_jwt_guid(h->client_request_id) != 0) {
        snprintf(err, errlen, "no random bytes for a client-request-id");
        return -1;
    }

    h->easy = curl_easy_init();
    if (h->easy == NULL) {
        snprintf(err, errlen, "curl_easy_init() failed");
        return -1;
    }

    snprintf(crid, sizeof(crid), "client-request-id: %s",
             h->client_request_id);

    l = NULL;
    l = curl_slist_append(l, "Content-Type: application/x-www-form-urlencoded");
    l = l ? curl_slist_append(l, "Accept: application/json") : NULL;
    l = l ? curl_slist_append(l, crid) : NULL;
    l = l ? curl_slist_append(l, "return-client-request-id: true") : NULL;
    l = l ? curl_slist_append(l, "Expect:") : NULL;

    if (l == NULL) {
        snprintf(err, errlen, "out of memory");
        goto failed;
    }

    h->headers = l;

    /* the authority is checked by the configuration: https, or loopback */

    loopback = (strncmp(url, "http://", 7) == 0);

    rc = CURLE_OK;

#define gab_http_set(opt, value)                                             \
    if (rc == CURLE_OK) {                                                    \
        rc = curl_easy_setopt(h->easy, opt, value);                          \
    }

    gab_http_set(CURLOPT_URL, url);
    gab_http_set(CURLOPT_PROTOCOLS_STR, loopback ? "http" : "https");
    gab_http_set(CURLOPT_FOLLOWLOCATION, 0L);
    gab_http_set(CURLOPT_NOSIGNAL, 1L);
    gab_http_set(CURLOPT_TIMEOUT_MS, (long) conf->timeout);
    gab_http_set(CURLOPT_CONNECTTIMEOUT_MS, (long) conf->connect_timeout);
    gab_http_set(CURLOPT_HTTPHEADER, h->headers);
    gab_http_set(CURLOPT_USERAGENT, GAB_HTTP_USER_AGENT);
    gab_http_set(CURLOPT_POST, 1L);
    gab_http_set(CURLOPT_POSTFIELDS, h->form.data);
    gab_http_set(CURLOPT_POSTFIELDSIZE, (long) h->form.len);
    gab_http_set(CURLOPT_WRITEFUNCTION, gab_http_write);
    gab_http_set(CURLOPT_WRITEDATA, h);
    gab_http_set(CURLOPT_HEADERFUNCTION, gab_http_header);
    gab_http_set(CURLOPT_HEADERDATA, h);
    gab_http_set(CURLOPT_ERRORBUFFER, h->error);
    gab_http_set(CURLOPT_PRIVATE, data);

    if (loopback) {
        /* a stand-in on this machine is never reached through a proxy */
        gab_http_set(CURLOPT_NOPROXY, "*");
    }

    if (conf->ca_file) {
        gab_http_set(CURLOPT_CAINFO, conf->ca_file);
    }

#undef gab_http_set

    if (rc != CURLE_OK) {
        snprintf(err, errlen, "curl: %s", curl_easy_strerror(rc));
        goto failed;
    }

    if (curl_multi_add_handle(multi, h->easy) != CURLM_OK) {
        snprintf(err, errlen, "curl_multi_add_handle() failed");
        goto failed;
    }

    return 0;

failed:

    curl_easy_cleanup(h->easy);
    h->easy = NULL;
    curl_slist_free_all(h->headers);
    h->headers = NULL;

    return -1;
}


void
gab_http_done(gab_http_t *h)
{
    long  status;

    status = 0;
    curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);

    h->status = status;
}


void
gab_http_end(CURLM *multi, gab_http_t *h)
{
    if (h->easy) {
        curl_multi_remove_handle(multi, h->easy);
        curl_easy_cleanup(h->easy);
        h->easy = NULL;
    }

    curl_slist_free_all(h->headers);
    h->headers = NULL;

    gab_buf_free(&h->form);
    gab_buf_free(&h->body);
}


static size_t
gab_http_write(char *p, size_t size, size_t n, void *data)
{
    gab_http_t  *h;

    h = data;

    /* a short count makes curl fail the transfer: CURLE_WRITE_ERROR */

    if (gab_buf_append(&h->body, p, size * n) != 0) {
        return 0;
    }

    return size * n;
}


static size_t
gab_http_header(char *p, size_t size, size_t n, void *data)
{
    gab_http_t  *h;

    h = data;

    if (n > 5 && strncmp(p, "HTTP/", 5) == 0) {
        /* a new response (after 100 Continue): forget the last one's */
        h->retry_after[0] = '\0';
        h->request_id[0] = '\0';
    }

    gab_http_header_value(p, size * n, "retry-after", h->retry_after,
                          sizeof(h->retry_after));
    gab_http_header_value(p, size * n, "x-ms-request-id", h->request_id,
                          sizeof(h->request_id));

    return size * n;
}


/* "Name: value\r\n" into dst if name matches; printable ASCII only */

static void
gab_http_header_value(const char *p, size_t len, const char *name,
    char *dst, size_t size)
{
    size_t       i, nlen;
    const char  *v, *last;

    nlen = strlen(name);

    if (len <= nlen || p[nlen] != ':' || strncasecmp(p, name, nlen) != 0) {
        return;
    }

    v = p + nlen + 1;
    last = p + len;

    while (v < last && (*v == ' ' || *v == '\t')) {
        v++;
    }

    while (last > v && (last[-1] == '\r' || last[-1] == '\n'
                        || last[-1] == ' ' || last[-1] == '\t'))
    {
        last--;
    }

    for (i = 0; v < last && i < size - 1; v++, i++) {
        dst[i] = ((unsigned char) *v >= 0x20 && (unsigned char) *v < 0x7f)
                 ? *v : '?';
    }

    dst[i] = '\0';
}
