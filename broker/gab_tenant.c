/*
 * Copyright (C) graph-attach authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ga_token.h"
#include "gab_broker.h"
#include "gab_credential.h"
#include "gab_jwt.h"
#include "gab_log.h"
#include "gab_response.h"
#include "gab_schedule.h"


/*
 * A tenant's cycle: at t->next, read KEY and KEY:broker; while the token
 * is fresh (KEY:broker's refresh_at is ahead), wait for it.  Otherwise
 * take KEY:lock (SET NX PX), read again (another broker may have written
 * in between), send the request, write the token with the lock and fence
 * check, release the lock and wait for refresh_at.  After a failure the
 * broker keeps the lock for its backoff, so that other brokers do not
 * multiply the requests to a failing endpoint; local failures (a missing
 * secret file) release it.
 */


enum {
    GAB_TENANT_DUE = 0,
    GAB_TENANT_FRESH,
    GAB_TENANT_REDIS_ERROR
};


#define GAB_TENANT_ASSERTION_TYPE                                            \
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


static int gab_tenant_fresh(gab_broker_t *b, gab_tenant_t *t, int64_t now,
    int64_t *refresh_at);
static void gab_tenant_request(gab_broker_t *b, gab_tenant_t *t);
static int gab_tenant_form(gab_tenant_t *t, char *err, size_t errlen);
static void gab_tenant_store(gab_broker_t *b, gab_tenant_t *t,
    gab_response_t *r);
static void gab_tenant_describe(gab_tenant_t *t, gab_response_t *r,
    char *buf, size_t size);
static void gab_tenant_withhold(gab_tenant_t *t, char *s);
static void gab_tenant_failed(gab_broker_t *b, gab_tenant_t *t,
    const char *what, int64_t retry_after, int remote);
static void gab_tenant_release(gab_broker_t *b, gab_tenant_t *t);
static void gab_tenant_wait(gab_broker_t *b, gab_tenant_t *t, int64_t now,
    int64_t refresh_at);
static char *gab_tenant_concat(const char *a, const char *b, const char *c,
    const char *d);


int
gab_tenant_init(gab_tenant_t *t, gab_tenant_conf_t *conf)
{
    memset(t, 0, sizeof(gab_tenant_t));

    t->conf = conf;

    t->url = gab_tenant_concat(conf->authority, "/", conf->tenant_id,
                               "/oauth2/v2.0/token");
    t->lock_key = gab_tenant_concat(conf->key, ":lock", "", "");
    t->fence_key = gab_tenant_concat(conf->key, ":fence", "", "");
    t->meta_key = gab_tenant_concat(conf->key, ":broker", "", "");

    if (t->url == NULL || t->lock_key == NULL || t->fence_key == NULL
        || t->meta_key == NULL)
    {
        gab_tenant_free(t);
        return -1;
    }

    return 0;
}


void
gab_tenant_run(gab_broker_t *b, gab_tenant_t *t)
{
    int                rc;
    char               holder[GAB_VALUE_BY_MAX + 40];
    int64_t            now, refresh_at, wait;
    long long          fence, lock_pttl;
    const char        *name;
    const gab_conf_t  *conf;

    conf = &b->conf;
    name = t->conf->name;
    now = gab_now();

    if (gab_redis_ready(&b->redis, conf, now) != 0) {
        t->next = (b->redis.retry_at > now) ? b->redis.retry_at : now + 250;
        return;
    }

    if (t->holding) {

        /* the retry after a failure: the lock was kept for it */

        rc = gab_redis_extend(&b->redis, t->lock_key, b->owner,
                              conf->lock_ttl);

        if (rc == GAB_REDIS_OK) {
            gab_tenant_request(b, t);
            return;
        }

        if (rc == GAB_REDIS_ERROR) {
            t->next = now + 1000;
            return;
        }

        t->holding = 0;

        gab_log_info("tenant \"%s\": the lock expired while backing off",
                     name);
    }

    rc = gab_tenant_fresh(b, t, now, &refresh_at);

    if (rc == GAB_TENANT_REDIS_ERROR) {
        t->next = now + 1000;
        return;
    }

    if (rc == GAB_TENANT_FRESH) {
        t->failures = 0;
        gab_tenant_wait(b, t, now, refresh_at);
        return;
    }

    rc = gab_redis_acquire(&b->redis, t->lock_key, t->fence_key, b->owner,
                           conf->lock_ttl, &fence, holder, sizeof(holder),
                           &lock_pttl);

    if (rc == GAB_REDIS_ERROR) {
        t->next = now + 1000;
        return;
    }

    if (rc == GAB_REDIS_NOT_OURS) {

        /*
         * another broker refreshes the token, or backs off: look again
         * when its lock ends, or within 2 s should it write
         */

        wait = (lock_pttl > 100) ? lock_pttl : 100;
        wait = (wait < 2000) ? wait : 2000;

        t->next = now + wait + (int64_t) (gab_random() * 250);

        gab_log_debug("tenant \"%s\": lock \"%s\" is held by %s for %lld ms",
                      name, t->lock_key, holder, lock_pttl);
        return;
    }

    t->holding = 1;
    t->fence = fence;

    gab_log_debug("tenant \"%s\": took lock \"%s\", fence %lld", name,
                  t->lock_key, fence);

    /* another broker may have written between the read and the lock */

    rc = gab_tenant_fresh(b, t, gab_now(), &refresh_at);

    if (rc != GAB_TENANT_DUE) {
        gab_tenant_release(b, t);

        if (rc == GAB_TENANT_FRESH) {
            gab_tenant_wait(b, t, now, refresh_at);

        } else {
            t->next = now + 1000;
        }

        return;
    }

    gab_tenant_request(b, t);
}


/* whether the token in Redis is still fresh; its refresh_at if it is */

static int
gab_tenant_fresh(gab_broker_t *b, gab_tenant_t *t, int64_t now,
    int64_t *refresh_at)
{
    int                 rc, trc;
    ga_token_t          tok;
    const char         *why;
    gab_redis_state_t   st;

    if (gab_redis_read(&b->redis, t->conf->key, t->meta_key, &st) != 0) {
        return GAB_TENANT_REDIS_ERROR;
    }

    rc = GAB_TENANT_DUE;
    why = "redis holds no token";

    if (st.value) {

        /* read as the module reads it */

        trc = ga_token_parse((u_char *) st.value, st.len, &tok);

        if (trc != GA_TOKEN_OK) {
            why = ga_token_strerror(trc);

        } else if (st.pttl == 0 || st.pttl < -1
                   || (tok.expires_on
                       && (int64_t) tok.expires_on * 1000 <= now))
        {
            /* to the ms: ga_token_expires() counts whole seconds */
            why = "the token in redis has expired";

        } else if (!st.has_meta) {
            why = "the token in redis was not written by a broker "
                  "(no KEY:broker)";

        } else if (st.meta.expires_on != tok.expires_on) {
            why = "the token in redis was replaced by another writer";

        } else if (st.meta.refresh_at <= now) {
            why = "the token in redis is due for a refresh";

        } else {
            rc = GAB_TENANT_FRESH;
            *refresh_at = st.meta.refresh_at;
        }
    }

    if (rc == GAB_TENANT_FRESH) {
        gab_log_debug("tenant \"%s\": the token in redis (by %s, fence %lld) "
                      "is fresh, refresh in %.1f s", t->conf->name,
                      st.meta.by, st.meta.fence,
                      (double) (*refresh_at - now) / 1000);

    } else {
        gab_log_debug("tenant \"%s\": %s", t->conf->name, why);
    }

    gab_redis_state_free(&st);

    return rc;
}


static void
gab_tenant_request(gab_broker_t *b, gab_tenant_t *t)
{
    char  err[1024];

    if (gab_tenant_form(t, err, sizeof(err)) != 0) {
        gab_buf_free(&t->http.form);
        gab_secret_free(t->secret);
        t->secret = NULL;
        gab_tenant_failed(b, t, err, -1, 0);
        return;
    }

    t->issued = gab_now();

    if (gab_http_start(b->multi, &t->http, t->url, &b->conf, t, err,
                       sizeof(err))
        != 0)
    {
        gab_http_end(b->multi, &t->http);
        gab_secret_free(t->secret);
        t->secret = NULL;
        gab_tenant_failed(b, t, err, -1, 0);
        return;
    }

    t->state = GAB_TENANT_REQUESTING;

    gab_log_debug("tenant \"%s\": POST %s, client-request-id %s",
                  t->conf->name, t->url, t->http.client_request_id);
}


/* the client credentials form, the secret or a fresh assertion in it */

static int
gab_tenant_form(gab_tenant_t *t, char *err, size_t errlen)
{
    int                 flags, rc;
    char               *jwt;
    X509               *cert;
    EVP_PKEY           *key;
    gab_buf_t          *f;
    gab_jwt_claims_t    claims;
    gab_tenant_conf_t  *conf;

    conf = t->conf;
    f = &t->http.form;
    flags = 0;

    gab_buf_free(f);

    if (gab_form_add(f, "grant_type", "client_credentials") != 0
        || gab_form_add(f, "client_id", conf->client_id) != 0
        || gab_form_add(f, "scope", conf->scope) != 0)
    {
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    if (conf->secret_file) {
        t->secret = gab_secret_read("client_secret_file", conf->secret_file,
                                    &flags, err, errlen);
        if (t->secret == NULL) {
            return -1;
        }

        if (gab_form_add(f, "client_secret", t->secret) != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }

        return 0;
    }

    if (gab_cert_load(conf->private_key, conf->certificate, &key, &cert,
                      &flags, err, errlen)
        != 0)
    {
        return -1;
    }

    memset(&claims, 0, sizeof(gab_jwt_claims_t));

    claims.audience = t->url;
    claims.client_id = conf->client_id;
    claims.now = time(NULL);
    claims.lifetime = GAB_JWT_LIFETIME;
    claims.alg = conf->alg;

    jwt = gab_jwt_assertion(key, cert, &claims, err, errlen);

    EVP_PKEY_free(key);
    X509_free(cert);

    if (jwt == NULL) {
        return -1;
    }

    rc = 0;

    if (gab_form_add(f, "client_assertion_type", GAB_TENANT_ASSERTION_TYPE)
        != 0
        || gab_form_add(f, "client_assertion", jwt) != 0)
    {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }

    gab_jwt_free(jwt);

    return rc;
}


void
gab_tenant_done(gab_broker_t *b, gab_tenant_t *t, CURLcode rc)
{
    char             what[1024];
    int64_t          retry_after;
    gab_response_t   r;

    gab_http_done(&t->http);

    t->state = GAB_TENANT_IDLE;

    if (rc != CURLE_OK) {

        if (rc == CURLE_WRITE_ERROR && t->http.body.overflow) {
            snprintf(what, sizeof(what), "%s: the answer is longer than "
                     "%d bytes", t->url, GAB_HTTP_MAX_BODY);

        } else {
            snprintf(what, sizeof(what), "%s: %s", t->url,
                     t->http.error[0] ? t->http.error
                                      : curl_easy_strerror(rc));
        }

        gab_tenant_failed(b, t, what, -1, 1);
        goto done;
    }

    if (gab_response_parse(t->http.body.data ? t->http.body.data : "",
                           t->http.body.len, t->http.status, &r)
        != 0)
    {
        gab_tenant_failed(b, t, "out of memory", -1, 1);
        goto done;
    }

    if (r.kind == GAB_RESPONSE_TOKEN) {
        gab_tenant_store(b, t, &r);
        gab_response_free(&r);
        goto done;
    }

    gab_tenant_describe(t, &r, what, sizeof(what));

    retry_after = -1;

    if ((r.status == 429 || r.status == 503) && t->http.retry_after[0]) {
        retry_after = gab_retry_after(t->http.retry_after, time(NULL));
    }

    gab_tenant_failed(b, t, what, retry_after, 1);

    gab_response_free(&r);

done:

    gab_http_end(b->multi, &t->http);
    gab_secret_free(t->secret);
    t->secret = NULL;
}


static void
gab_tenant_store(gab_broker_t *b, gab_tenant_t *t, gab_response_t *r)
{
    int                rc;
    char              *value, *meta, what[256];
    time_t             expires_on;
    int64_t            now, ttl, left;
    gab_meta_t         m;
    const char        *why, *name;
    const gab_conf_t  *conf;

    conf = &b->conf;
    name = t->conf->name;
    now = gab_now();

    ttl = r->expires_in * 1000 - conf->skew;

    /* expires_in counts from when the endpoint issued it: the request */

    left = t->issued + ttl - now;

    if (ttl < 1000 || left < 1000) {
        snprintf(what, sizeof(what), "expires_in %lld s leaves less than 1 s "
                 "past the skew of %lld ms", r->expires_in,
                 (long long) conf->skew);
        gab_tenant_failed(b, t, what, -1, 1);
        return;
    }

    expires_on = (time_t) (t->issued / 1000) + (time_t) r->expires_in;

    value = gab_value_token(r->access_token, expires_on, &why);

    if (value == NULL) {
        snprintf(what, sizeof(what), "the module would not use the token "
                 "(it %s)", why);
        gab_tenant_failed(b, t, what, -1, 1);
        return;
    }

    memset(&m, 0, sizeof(gab_meta_t));

    m.issued_at = t->issued;
    m.refresh_at = t->issued + gab_refresh_delay(ttl, gab_random());
    m.expires_on = expires_on;
    m.fence = t->fence;
    snprintf(m.by, sizeof(m.by), "%s", b->by);

    meta = gab_value_meta(&m);

    if (meta == NULL) {
        gab_value_free(value);
        gab_tenant_failed(b, t, "out of memory", -1, 1);
        return;
    }

    rc = gab_redis_write(&b->redis, t->lock_key, t->fence_key, t->conf->key,
                         t->meta_key, b->owner, t->fence, value, meta, left);

    gab_value_free(value);
    free(meta);

    switch (rc) {

    case GAB_REDIS_OK:
        gab_log_info("tenant \"%s\": token written to \"%s\", expires in "
                     "%lld s, refresh in %.1f s (fence %lld)", name,
                     t->conf->key, r->expires_in,
                     (double) (m.refresh_at - now) / 1000, t->fence);

        t->failures = 0;
        gab_tenant_release(b, t);
        gab_tenant_wait(b, t, now, m.refresh_at);
        return;

    case GAB_REDIS_NOT_OURS:
    case GAB_REDIS_FENCED:
        gab_log_warn("tenant \"%s\": the lock was lost during the request "
                     "(%s): the token is not written, another broker's "
                     "stays", name,
                     rc == GAB_REDIS_FENCED ? "a newer holder drew a fence"
                                            : "it expired or was taken");
        t->holding = 0;
        t->next = now + 500;
        return;

    default:
        gab_log_error("tenant \"%s\": the token is not written: redis "
                      "failed", name);
        t->holding = 0;
        t->next = now + 1000;
        return;
    }
}


/*
 * "HTTP 401 invalid_client AADSTS7000215: "Invalid client secret ..."
 * (trace_id ..., correlation_id ..., client-request-id ...)"
 */

static void
gab_tenant_describe(gab_tenant_t *t, gab_response_t *r, char *buf,
    size_t size)
{
    int     n;
    char    codes[GAB_RESPONSE_MAX_CODES * 24];
    size_t  len;

    gab_tenant_withhold(t, r->error);
    gab_tenant_withhold(t, r->description);
    gab_tenant_withhold(t, r->trace_id);
    gab_tenant_withhold(t, r->correlation_id);
    gab_tenant_withhold(t, r->timestamp);

    gab_response_codes(r, codes, sizeof(codes));

    if (r->kind == GAB_RESPONSE_INVALID) {
        n = snprintf(buf, size, "%s: HTTP 200 without a usable token: %s",
                     t->url, r->invalid);

    } else if (r->error[0] || codes[0]) {
        n = snprintf(buf, size, "%s: HTTP %ld %s%s%s%s%s%s", t->url,
                     r->status, r->error[0] ? r->error : "error",
                     codes[0] ? " " : "", codes,
                     r->description[0] ? ": \"" : "", r->description,
                     r->description[0] ? "\"" : "");

    } else {
        n = snprintf(buf, size, "%s: HTTP %ld without a JSON error (%zu "
                     "bytes)", t->url, r->status, t->http.body.len);
    }

    if (n < 0 || (size_t) n >= size) {
        return;
    }

    len = n;

    snprintf(buf + len, size - len, " (%s%s%s%s%s%s%s%sclient-request-id %s)",
             r->trace_id[0] ? "trace_id " : "", r->trace_id,
             r->trace_id[0] ? ", " : "",
             r->correlation_id[0] ? "correlation_id " : "",
             r->correlation_id, r->correlation_id[0] ? ", " : "",
             r->timestamp[0] ? r->timestamp : "",
             r->timestamp[0] ? ", " : "",
             t->http.client_request_id);
}


/*
 * an endpoint that quotes what it was sent must not put the secret (or a
 * piece of it, a field being cut to its size), an assertion or a token
 * (JWTs start with "eyJ") into our log
 */

static void
gab_tenant_withhold(gab_tenant_t *t, char *s)
{
    if ((t->secret && gab_response_quotes(s, t->secret))
        || strstr(s, "eyJ"))
    {
        strcpy(s, "(withheld)");
    }
}


static void
gab_tenant_failed(gab_broker_t *b, gab_tenant_t *t, const char *what,
    int64_t retry_after, int remote)
{
    char               left[96];
    int64_t            now, delay;
    long long          pttl;
    const gab_conf_t  *conf;

    conf = &b->conf;
    now = gab_now();

    t->failures++;

    delay = gab_backoff(t->failures, conf->backoff_min, conf->backoff_max,
                        gab_random());

    if (retry_after > delay) {
        delay = retry_after;
    }

    /* what clients live on meanwhile: the old token stays untouched */

    pttl = gab_redis_pttl(&b->redis, t->conf->key);

    if (pttl >= 0) {
        snprintf(left, sizeof(left), "the token in redis stays for %.1f s",
                 (double) pttl / 1000);

    } else if (pttl == -1) {
        snprintf(left, sizeof(left), "the token in redis has no TTL");

    } else if (pttl == -2) {
        snprintf(left, sizeof(left), "redis holds no token");

    } else {
        left[0] = '\0';
    }

    if (t->holding) {

        if (remote
            && gab_redis_extend(&b->redis, t->lock_key, b->owner,
                                delay + conf->lock_ttl)
               == GAB_REDIS_OK)
        {
            /* keep the lock through the backoff */

        } else {
            gab_tenant_release(b, t);
        }
    }

    gab_log_error("tenant \"%s\": token request failed: %s; attempt %u, "
                  "next in %.1f s%s%s", t->conf->name, what, t->failures,
                  (double) delay / 1000, left[0] ? "; " : "", left);

    t->next = now + delay;
}


/*
 * until the refresh, or check_interval: a Redis that restarted empty, or
 * a token deleted by hand, is written again within that
 */

static void
gab_tenant_wait(gab_broker_t *b, gab_tenant_t *t, int64_t now,
    int64_t refresh_at)
{
    int64_t  check;

    check = now + b->conf.check_interval;

    t->next = (refresh_at < check) ? refresh_at : check;
    t->next += (int64_t) (gab_random() * 250);
}


static void
gab_tenant_release(gab_broker_t *b, gab_tenant_t *t)
{
    if (t->holding && b->redis.ctx) {
        (void) gab_redis_release(&b->redis, t->lock_key, b->owner);
    }

    t->holding = 0;
}


void
gab_tenant_stop(gab_broker_t *b, gab_tenant_t *t)
{
    if (t->state == GAB_TENANT_REQUESTING) {
        gab_http_end(b->multi, &t->http);
        t->state = GAB_TENANT_IDLE;
    }

    gab_buf_free(&t->http.form);
    gab_buf_free(&t->http.body);

    gab_secret_free(t->secret);
    t->secret = NULL;

    if (t->holding) {
        gab_log_debug("tenant \"%s\": releasing lock \"%s\"", t->conf->name,
                      t->lock_key);
    }

    gab_tenant_release(b, t);
}


void
gab_tenant_free(gab_tenant_t *t)
{
    free(t->url);
    free(t->lock_key);
    free(t->fence_key);
    free(t->meta_key);

    t->url = NULL;
    t->lock_key = NULL;
    t->fence_key = NULL;
    t->meta_key = NULL;
}


int
gab_tenant_check_credential(gab_tenant_conf_t *conf, int quiet)
{
    int         flags;
    char       *secret, err[1024];
    X509       *cert;
    EVP_PKEY   *key;
    long long   left;

    flags = 0;

    if (conf->secret_file) {
        secret = gab_secret_read("client_secret_file", conf->secret_file,
                                 &flags, err, sizeof(err));
        if (secret == NULL) {
            gab_log_error("tenant \"%s\": %s", conf->name, err);
            return -1;
        }

        gab_secret_free(secret);

    } else {
        if (gab_cert_load(conf->private_key, conf->certificate, &key, &cert,
                          &flags, err, sizeof(err))
            != 0)
        {
            gab_log_error("tenant \"%s\": %s", conf->name, err);
            return -1;
        }

        left = gab_cert_seconds_left(cert);

        if (left <= 0) {
            gab_log_warn("tenant \"%s\": certificate \"%s\" has expired",
                         conf->name, conf->certificate);

        } else if (left < 30LL * 86400 && !quiet) {
            gab_log_warn("tenant \"%s\": certificate \"%s\" expires in %lld "
                         "days", conf->name, conf->certificate,
                         left / 86400);
        }

        EVP_PKEY_free(key);
        X509_free(cert);
    }

    if (flags & GAB_CREDENTIAL_WORLD_READABLE) {
        gab_log_warn("tenant \"%s\": %s is readable by every user: "
                     "chmod o-r it", conf->name,
                     conf->secret_file ? conf->secret_file
                                       : conf->private_key);
    }

    return 0;
}


static char *
gab_tenant_concat(const char *a, const char *b, const char *c, const char *d)
{
    char    *s;
    size_t   n;

    n = strlen(a) + strlen(b) + strlen(c) + strlen(d) + 1;

    s = malloc(n);
    if (s) {
        snprintf(s, n, "%s%s%s%s", a, b, c, d);
    }

    return s;
}
