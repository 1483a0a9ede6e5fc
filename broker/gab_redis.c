/*
 * Copyright (C) graph-attach authors
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "gab_credential.h"
#include "gab_log.h"
#include "gab_redis.h"
#include "gab_schedule.h"


static int gab_redis_connect(gab_redis_t *rd, const gab_conf_t *conf,
    char *err, size_t errlen);
static int gab_redis_handshake(gab_redis_t *rd, const gab_conf_t *conf,
    char *err, size_t errlen);
static redisReply *gab_redis_command(gab_redis_t *rd, const char *what,
    int argc, const char **argv);
static redisReply *gab_redis_eval(gab_redis_t *rd, const char *what,
    const char *script, int nkeys, int nargs, const char **args);
static int gab_redis_status(redisReply *reply);
static void gab_redis_lost(gab_redis_t *rd, const char *what);
static void gab_redis_error_reply(gab_redis_t *rd, const char *what,
    redisReply *reply);
static void gab_redis_down(gab_redis_t *rd, const char *why);
static void gab_redis_io_error(gab_redis_t *rd, char *buf, size_t size);
static const char *gab_redis_code(redisReply *reply, char *buf,
    size_t size);


/*
 * Another writer may have left anything in the lock and fence keys; the
 * broker must not stop refreshing for it.  A fence that INCR refuses (not
 * a number, another type, at its limit) starts over, and so does one
 * past 2^53: Lua holds numbers in doubles, the number returned would not
 * be the one stored, and the write would be refused.  A broker still
 * holding an older number has lost the lock too, and the write checks
 * both.  A lock without a TTL was set by no broker (they all set one):
 * it gets lock_ttl, then ends like any other.
 */

static const char  gab_redis_acquire_lua[] =
    "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then\n"
    "    local n = redis.pcall('INCR', KEYS[2])\n"
    "    if type(n) ~= 'number' or n >= 9007199254740991 then\n"
    "        redis.call('DEL', KEYS[2])\n"
    "        n = redis.call('INCR', KEYS[2])\n"
    "    end\n"
    "    return {1, n}\n"
    "end\n"
    "local pttl = redis.call('PTTL', KEYS[1])\n"
    "if pttl == -1 then\n"
    "    redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
    "    pttl = tonumber(ARGV[2])\n"
    "end\n"
    "local holder = redis.pcall('GET', KEYS[1])\n"
    "if type(holder) ~= 'string' then\n"
    "    holder = '(not a string)'\n"
    "end\n"
    "return {0, holder, pttl}\n";

static const char  gab_redis_write_lua[] =
    "if redis.call('GET', KEYS[1]) ~= ARGV[1] then\n"
    "    return 0\n"
    "end\n"
    "if redis.call('GET', KEYS[2]) ~= ARGV[2] then\n"
    "    return -1\n"
    "end\n"
    "redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[5])\n"
    "redis.call('SET', KEYS[4], ARGV[4], 'PX', ARGV[5])\n"
    "return 1\n";

static const char  gab_redis_extend_lua[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
    "    return redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
    "end\n"
    "return 0\n";

static const char  gab_redis_release_lua[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
    "    return redis.call('DEL', KEYS[1])\n"
    "end\n"
    "return 0\n";


int
gab_redis_ready(gab_redis_t *rd, const gab_conf_t *conf, int64_t now)
{
    char  err[512];

    if (rd->ctx) {
        return 0;
    }

    if (now < rd->retry_at) {
        return -1;
    }

    if (conf->redis_db) {
        snprintf(rd->name, sizeof(rd->name), "%s db=%d", conf->redis,
                 conf->redis_db);

    } else {
        snprintf(rd->name, sizeof(rd->name), "%s", conf->redis);
    }

    if (gab_redis_connect(rd, conf, err, sizeof(err)) != 0
        || gab_redis_handshake(rd, conf, err, sizeof(err)) != 0)
    {
        gab_redis_down(rd, err);
        return -1;
    }

    if (rd->down) {
        gab_log_info("redis \"%s\" is available again", rd->name);
        rd->recoveries++;

    } else if (!rd->connected) {
        gab_log_info("redis \"%s\": connected", rd->name);
    }

    rd->down = 0;
    rd->connected = 1;
    rd->failures = 0;

    return 0;
}


static int
gab_redis_connect(gab_redis_t *rd, const gab_conf_t *conf, char *err,
    size_t errlen)
{
    struct timeval  tv;

    tv.tv_sec = conf->redis_timeout / 1000;
    tv.tv_usec = (conf->redis_timeout % 1000) * 1000;

    if (conf->redis_unix) {
        rd->ctx = redisConnectUnixWithTimeout(conf->redis_unix, tv);

    } else {
        rd->ctx = redisConnectWithTimeout(conf->redis_host, conf->redis_port,
                                          tv);
    }

    if (rd->ctx == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    if (rd->ctx->err) {
        gab_redis_io_error(rd, err, errlen);
        redisFree(rd->ctx);
        rd->ctx = NULL;
        return -1;
    }

    if (redisSetTimeout(rd->ctx, tv) != REDIS_OK) {
        snprintf(err, errlen, "cannot set the timeout");
        redisFree(rd->ctx);
        rd->ctx = NULL;
        return -1;
    }

    return 0;
}


/* AUTH, SELECT, PING */

static int
gab_redis_handshake(gab_redis_t *rd, const gab_conf_t *conf, char *err,
    size_t errlen)
{
    int          flags, ok;
    char        *password, db[16], code[64];
    const char  *argv[2], *step;
    redisReply  *reply;

    step = "AUTH";
    password = NULL;

    if (conf->redis_password_file) {
        flags = 0;

        password = gab_secret_read("redis_password_file",
                                   conf->redis_password_file, &flags, err,
                                   errlen);
        if (password == NULL) {
            goto failed;
        }

        argv[0] = "AUTH";
        argv[1] = password;

        reply = redisCommandArgv(rd->ctx, 2, argv, NULL);

        gab_secret_free(password);

        if (reply == NULL || reply->type != REDIS_REPLY_STATUS) {
            goto reply_failed;
        }

        freeReplyObject(reply);
    }

    if (conf->redis_db) {
        step = "SELECT";
        snprintf(db, sizeof(db), "%d", conf->redis_db);

        argv[0] = "SELECT";
        argv[1] = db;

        reply = redisCommandArgv(rd->ctx, 2, argv, NULL);

        if (reply == NULL || reply->type != REDIS_REPLY_STATUS) {
            goto reply_failed;
        }

        freeReplyObject(reply);
    }

    step = "PING";
    argv[0] = "PING";

    reply = redisCommandArgv(rd->ctx, 1, argv, NULL);

    if (reply == NULL || reply->type != REDIS_REPLY_STATUS) {
        goto reply_failed;
    }

    freeReplyObject(reply);

    return 0;

reply_failed:

    if (reply == NULL) {
        gab_redis_io_error(rd, err, errlen);

    } else {
        ok = (reply->type == REDIS_REPLY_ERROR);

        snprintf(err, errlen, "%s failed: %s", step,
                 ok ? gab_redis_code(reply, code, sizeof(code))
                    : "unexpected reply");
        freeReplyObject(reply);
    }

failed:

    redisFree(rd->ctx);
    rd->ctx = NULL;

    return -1;
}


void
gab_redis_close(gab_redis_t *rd)
{
    if (rd->ctx) {
        redisFree(rd->ctx);
        rd->ctx = NULL;
    }
}


int
gab_redis_read(gab_redis_t *rd, const char *key, const char *meta_key,
    gab_redis_state_t *st)
{
    int          i, rc;
    void        *r;
    const char  *argv[2];
    redisReply  *reply[3];

    memset(st, 0, sizeof(gab_redis_state_t));
    st->pttl = -2;

    if (rd->ctx == NULL) {
        return GAB_REDIS_ERROR;
    }

    argv[0] = "GET";
    argv[1] = key;
    redisAppendCommandArgv(rd->ctx, 2, argv, NULL);

    argv[0] = "PTTL";
    redisAppendCommandArgv(rd->ctx, 2, argv, NULL);

    argv[0] = "GET";
    argv[1] = meta_key;
    redisAppendCommandArgv(rd->ctx, 2, argv, NULL);

    for (i = 0; i < 3; i++) {
        if (redisGetReply(rd->ctx, &r) != REDIS_OK) {
            while (i--) {
                freeReplyObject(reply[i]);
            }

            gab_redis_lost(rd, "GET");
            return GAB_REDIS_ERROR;
        }

        reply[i] = r;
    }

    rc = 0;

    /* a key of another type is no token: the refresh replaces it */

    if (reply[0]->type == REDIS_REPLY_STRING) {
        st->value = malloc(reply[0]->len + 1);

        if (st->value == NULL) {
            rc = GAB_REDIS_ERROR;

        } else {
            memcpy(st->value, reply[0]->str, reply[0]->len);
            st->value[reply[0]->len] = '\0';
            st->len = reply[0]->len;
        }

    } else if (reply[0]->type == REDIS_REPLY_ERROR
               && strncmp(reply[0]->str, "WRONGTYPE", 9) != 0)
    {
        gab_redis_error_reply(rd, "GET", reply[0]);
        rc = GAB_REDIS_ERROR;
    }

    if (reply[1]->type == REDIS_REPLY_INTEGER) {
        st->pttl = reply[1]->integer;

    } else if (rc == 0) {
        gab_redis_error_reply(rd, "PTTL", reply[1]);
        rc = GAB_REDIS_ERROR;
    }

    if (reply[2]->type == REDIS_REPLY_STRING) {
        st->has_meta = (gab_value_meta_parse(reply[2]->str, reply[2]->len,
                                             &st->meta)
                        == 0);
    }

    for (i = 0; i < 3; i++) {
        freeReplyObject(reply[i]);
    }

    if (rc != 0) {
        gab_redis_state_free(st);
    }

    return rc;
}


void
gab_redis_state_free(gab_redis_state_t *st)
{
    if (st->value) {
        memset(st->value, 0, st->len);
        free(st->value);
        st->value = NULL;
    }
}


int
gab_redis_acquire(gab_redis_t *rd, const char *lock, const char *fence,
    const char *owner, int64_t ttl, long long *fence_no, char *holder,
    size_t holder_size, long long *lock_pttl)
{
    int          rc;
    char         ms[32];
    const char  *args[4];
    redisReply  *reply, **e;

    snprintf(ms, sizeof(ms), "%lld", (long long) ttl);

    args[0] = lock;
    args[1] = fence;
    args[2] = owner;
    args[3] = ms;

    reply = gab_redis_eval(rd, "EVAL (acquire)", gab_redis_acquire_lua, 2, 2,
                           args);
    if (reply == NULL) {
        return GAB_REDIS_ERROR;
    }

    rc = GAB_REDIS_ERROR;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) {
        goto done;
    }

    e = reply->element;

    if (e[0]->type != REDIS_REPLY_INTEGER) {
        goto done;
    }

    if (e[0]->integer == 1 && e[1]->type == REDIS_REPLY_INTEGER) {
        *fence_no = e[1]->integer;
        rc = GAB_REDIS_OK;
        goto done;
    }

    if (e[0]->integer == 0 && e[1]->type == REDIS_REPLY_STRING
        && reply->elements == 3 && e[2]->type == REDIS_REPLY_INTEGER)
    {
        snprintf(holder, holder_size, "%.*s", (int) e[1]->len, e[1]->str);
        *lock_pttl = e[2]->integer;
        rc = GAB_REDIS_NOT_OURS;
    }

done:

    if (rc == GAB_REDIS_ERROR) {
        gab_log_error("redis \"%s\": unexpected reply to EVAL (acquire)",
                      rd->name);
    }

    freeReplyObject(reply);

    return rc;
}


int
gab_redis_write(gab_redis_t *rd, const char *lock, const char *fence,
    const char *key, const char *meta_key, const char *owner,
    long long fence_no, const char *value, const char *meta, int64_t ttl)
{
    char         ms[32], no[32];
    const char  *args[9];

    snprintf(ms, sizeof(ms), "%lld", (long long) ttl);
    snprintf(no, sizeof(no), "%lld", fence_no);

    args[0] = lock;
    args[1] = fence;
    args[2] = key;
    args[3] = meta_key;
    args[4] = owner;
    args[5] = no;
    args[6] = value;
    args[7] = meta;
    args[8] = ms;

    return gab_redis_status(gab_redis_eval(rd, "EVAL (write)",
                                           gab_redis_write_lua, 4, 5, args));
}


int
gab_redis_extend(gab_redis_t *rd, const char *lock, const char *owner,
    int64_t ttl)
{
    char         ms[32];
    const char  *args[3];

    snprintf(ms, sizeof(ms), "%lld", (long long) ttl);

    args[0] = lock;
    args[1] = owner;
    args[2] = ms;

    return gab_redis_status(gab_redis_eval(rd, "EVAL (extend)",
                                           gab_redis_extend_lua, 1, 2, args));
}


int
gab_redis_release(gab_redis_t *rd, const char *lock, const char *owner)
{
    const char  *args[2];

    args[0] = lock;
    args[1] = owner;

    return gab_redis_status(gab_redis_eval(rd, "EVAL (release)",
                                           gab_redis_release_lua, 1, 1,
                                           args));
}


long long
gab_redis_pttl(gab_redis_t *rd, const char *key)
{
    long long    pttl;
    const char  *argv[2];
    redisReply  *reply;

    argv[0] = "PTTL";
    argv[1] = key;

    reply = gab_redis_command(rd, "PTTL", 2, argv);
    if (reply == NULL) {
        return GAB_REDIS_PTTL_ERROR;
    }

    pttl = (reply->type == REDIS_REPLY_INTEGER) ? reply->integer
                                                : GAB_REDIS_PTTL_ERROR;

    freeReplyObject(reply);

    return pttl;
}


/* an integer reply: 1 OK, 0 not ours, -1 fenced; anything else an error */

static int
gab_redis_status(redisReply *reply)
{
    int  rc;

    if (reply == NULL) {
        return GAB_REDIS_ERROR;
    }

    rc = GAB_REDIS_ERROR;

    if (reply->type == REDIS_REPLY_INTEGER) {
        if (reply->integer == 1) {
            rc = GAB_REDIS_OK;

        } else if (reply->integer == 0) {
            rc = GAB_REDIS_NOT_OURS;

        } else if (reply->integer == -1) {
            rc = GAB_REDIS_FENCED;
        }
    }

    freeReplyObject(reply);

    return rc;
}


static redisReply *
gab_redis_eval(gab_redis_t *rd, const char *what, const char *script,
    int nkeys, int nargs, const char **args)
{
    int          i;
    char         n[16];
    const char  *argv[16];

    argv[0] = "EVAL";
    argv[1] = script;

    snprintf(n, sizeof(n), "%d", nkeys);
    argv[2] = n;

    for (i = 0; i < nkeys + nargs; i++) {
        argv[3 + i] = args[i];
    }

    return gab_redis_command(rd, what, 3 + nkeys + nargs, argv);
}


/* a reply, or NULL after an error (logged; the connection closed on I/O) */

static redisReply *
gab_redis_command(gab_redis_t *rd, const char *what, int argc,
    const char **argv)
{
    redisReply  *reply;

    if (rd->ctx == NULL) {
        return NULL;
    }

    reply = redisCommandArgv(rd->ctx, argc, argv, NULL);

    if (reply == NULL) {
        gab_redis_lost(rd, what);
        return NULL;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        gab_redis_error_reply(rd, what, reply);
        freeReplyObject(reply);
        return NULL;
    }

    return reply;
}


static void
gab_redis_lost(gab_redis_t *rd, const char *what)
{
    char  err[256], why[320];

    gab_redis_io_error(rd, err, sizeof(err));

    snprintf(why, sizeof(why), "%s: %s", what, err);

    redisFree(rd->ctx);
    rd->ctx = NULL;

    gab_redis_down(rd, why);
}


/*
 * only the code of an error reply is logged (its text may quote what
 * was sent); a reply about the connection itself counts as an outage
 */

static void
gab_redis_error_reply(gab_redis_t *rd, const char *what, redisReply *reply)
{
    char         code[64], why[160];
    const char  *c;

    if (reply->type != REDIS_REPLY_ERROR) {
        gab_log_error("redis \"%s\": unexpected reply to %s", rd->name, what);
        return;
    }

    c = gab_redis_code(reply, code, sizeof(code));

    if (strcmp(c, "LOADING") == 0 || strcmp(c, "NOAUTH") == 0
        || strcmp(c, "WRONGPASS") == 0 || strcmp(c, "MASTERDOWN") == 0
        || strcmp(c, "READONLY") == 0 || strcmp(c, "BUSY") == 0)
    {
        snprintf(why, sizeof(why), "%s: %s error reply", what, c);

        redisFree(rd->ctx);
        rd->ctx = NULL;

        gab_redis_down(rd, why);
        return;
    }

    gab_log_error("redis \"%s\": %s error reply to %s", rd->name, c, what);
}


static void
gab_redis_down(gab_redis_t *rd, const char *why)
{
    int64_t  now;

    now = gab_now();

    rd->failures++;
    rd->retry_at = now + gab_backoff(rd->failures, 250, 5000, gab_random());

    if (!rd->down) {
        gab_log_error("redis \"%s\" is unavailable: %s", rd->name, why);
        rd->down = 1;

    } else {
        gab_log_debug("redis \"%s\" is still unavailable: %s", rd->name,
                      why);
    }
}


static void
gab_redis_io_error(gab_redis_t *rd, char *buf, size_t size)
{
    int  e;

    e = errno;

    if (rd->ctx->err == REDIS_ERR_IO && (e == EAGAIN || e == EWOULDBLOCK)) {
        snprintf(buf, size, "no reply within the redis_timeout");
        return;
    }

    snprintf(buf, size, "%s", rd->ctx->errstr[0] ? rd->ctx->errstr
                                                 : "connection error");
}


/* the first word of an error reply: "WRONGPASS", "ERR" */

static const char *
gab_redis_code(redisReply *reply, char *buf, size_t size)
{
    size_t  n;

    n = 0;

    while (n < reply->len && n < size - 1 && reply->str[n] != ' '
           && (unsigned char) reply->str[n] > 0x20
           && (unsigned char) reply->str[n] < 0x7f)
    {
        buf[n] = reply->str[n];
        n++;
    }

    buf[n] = '\0';

    return n ? buf : "error";
}
