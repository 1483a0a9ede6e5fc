/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GAB_BROKER_H_INCLUDED_
#define _GAB_BROKER_H_INCLUDED_


#include <stdint.h>

#include <curl/curl.h>

#include "gab_conf.h"
#include "gab_http.h"
#include "gab_redis.h"
#include "gab_value.h"


#ifndef GAB_VERSION
#define GAB_VERSION  "0.1.0"
#endif


typedef struct gab_broker_s  gab_broker_t;


enum {
    GAB_TENANT_IDLE = 0,
    GAB_TENANT_REQUESTING
};


typedef struct {
    gab_tenant_conf_t  *conf;
    char               *url;        /* the token endpoint, the aud too */
    char               *lock_key;   /* KEY:lock */
    char               *fence_key;  /* KEY:fence */
    char               *meta_key;   /* KEY:broker */

    int                 state;
    int                 holding;    /* KEY:lock is ours */
    long long           fence;      /* drawn when it was taken */
    unsigned            failures;   /* in a row */
    int64_t             next;       /* ms: when to look again */
    int64_t             issued;     /* ms: when the request was sent */

    char               *secret;     /* during a request: for redaction */
    gab_http_t          http;
} gab_tenant_t;


struct gab_broker_s {
    gab_conf_t          conf;
    gab_redis_t         redis;
    CURLM              *multi;
    gab_tenant_t       *tenants;
    size_t              ntenants;

    /* the lock's value, unique to this process; "by" in KEY:broker */
    char                owner[GAB_VALUE_BY_MAX + 40];
    char                by[GAB_VALUE_BY_MAX];
};


int gab_tenant_init(gab_tenant_t *t, gab_tenant_conf_t *conf);

/* when t->next has come: read Redis, take the lock, send the request */
void gab_tenant_run(gab_broker_t *b, gab_tenant_t *t);

/* the request is over (curl's result) */
void gab_tenant_done(gab_broker_t *b, gab_tenant_t *t, CURLcode rc);

/* aborts a request and releases the lock: on exit and on reload */
void gab_tenant_stop(gab_broker_t *b, gab_tenant_t *t);

void gab_tenant_free(gab_tenant_t *t);

/* the credential's files, as -t checks them; 0 or -1 (logged) */
int gab_tenant_check_credential(gab_tenant_conf_t *conf, int quiet);


#endif /* _GAB_BROKER_H_INCLUDED_ */
