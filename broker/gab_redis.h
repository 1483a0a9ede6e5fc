/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GAB_REDIS_H_INCLUDED_
#define _GAB_REDIS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "gab_conf.h"
#include "gab_value.h"


/*
 * The broker's one Redis connection: blocking hiredis calls, each with
 * redis_timeout.  An outage is logged once when it starts and once when
 * it ends; reconnects back off from 250 ms to 5 s.
 *
 * Per tenant, beside KEY and KEY:broker (gab_value.h):
 *
 *   KEY:lock    "host:pid:nonce", SET NX PX lock_ttl by the broker that
 *               refreshes the token now (or backs off after a failure)
 *   KEY:fence   a counter, INCR'd by each holder when it takes the lock
 *
 * Every change is a Lua script (EVAL), atomic in Redis: a broker writes
 * the token only while KEY:lock is still its own and KEY:fence is still
 * the number it drew, so one that lost its lock (paused, slow) cannot
 * overwrite the token of the holder after it.
 */


enum {
    GAB_REDIS_ERROR = -2,       /* no answer, or an error reply */
    GAB_REDIS_FENCED = -1,      /* write: a newer holder drew a fence */
    GAB_REDIS_NOT_OURS = 0,     /* the lock is another's, or gone */
    GAB_REDIS_OK = 1
};


typedef struct {
    redisContext  *ctx;
    int            down;        /* an outage was logged */
    int            connected;   /* once: "connected" was logged */
    unsigned       failures;
    unsigned       recoveries;  /* outages that ended */
    int64_t        retry_at;    /* ms: no connect before */
    char           name[GAB_VALUE_MAX + 16];
} gab_redis_t;


typedef struct {
    char        *value;         /* KEY, NULL when it does not exist */
    size_t       len;
    long long    pttl;          /* KEY's: -2 no key, -1 no TTL */
    int          has_meta;      /* KEY:broker parsed */
    gab_meta_t   meta;
} gab_redis_state_t;


/* connects unless connected; 0, or -1 while Redis is unavailable */
int gab_redis_ready(gab_redis_t *rd, const gab_conf_t *conf, int64_t now);

void gab_redis_close(gab_redis_t *rd);

/* GET KEY, PTTL KEY, GET KEY:broker, pipelined; 0 or GAB_REDIS_ERROR */
int gab_redis_read(gab_redis_t *rd, const char *key, const char *meta_key,
    gab_redis_state_t *st);

void gab_redis_state_free(gab_redis_state_t *st);

/*
 * SET lock owner NX PX ttl, and INCR fence if that took: GAB_REDIS_OK
 * with *fence; GAB_REDIS_NOT_OURS with the holder (cut to holder_size)
 * and the lock's *lock_pttl; or GAB_REDIS_ERROR
 */
int gab_redis_acquire(gab_redis_t *rd, const char *lock, const char *fence,
    const char *owner, int64_t ttl, long long *fence_no, char *holder,
    size_t holder_size, long long *lock_pttl);

/* KEY and KEY:broker, PX ttl, if the lock and the fence are still ours */
int gab_redis_write(gab_redis_t *rd, const char *lock, const char *fence,
    const char *key, const char *meta_key, const char *owner,
    long long fence_no, const char *value, const char *meta, int64_t ttl);

/* PEXPIRE lock ttl if it is ours */
int gab_redis_extend(gab_redis_t *rd, const char *lock, const char *owner,
    int64_t ttl);

/* DEL lock if it is ours */
int gab_redis_release(gab_redis_t *rd, const char *lock, const char *owner);

/* PTTL of a key: -2 no key, -1 no TTL, GAB_REDIS_PTTL_ERROR */
#define GAB_REDIS_PTTL_ERROR  -3
long long gab_redis_pttl(gab_redis_t *rd, const char *key);


#endif /* _GAB_REDIS_H_INCLUDED_ */
