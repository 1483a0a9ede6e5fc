/*
 * Copyright (C) graph-attach authors
 */


#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gab_conf.h"


typedef struct gab_conf_ctx_s  gab_conf_ctx_t;

typedef int (*gab_conf_set_pt)(gab_conf_ctx_t *ctx, void *field,
    const char *value);

typedef struct {
    const char       *name;
    gab_conf_set_pt   set;
    size_t            offset;
} gab_conf_cmd_t;

struct gab_conf_ctx_s {
    gab_conf_t         *conf;
    gab_tenant_conf_t  *tenant;     /* NULL: in [broker] */
    const char         *file;
    unsigned            line;
    unsigned            seen;       /* bits of the commands already set */
    int                 in_section;
    int                 had_broker;
    char               *err;
    size_t              errlen;
};


static int gab_conf_line(gab_conf_ctx_t *ctx, char *p);
static int gab_conf_section(gab_conf_ctx_t *ctx, char *p);
static int gab_conf_finish_tenant(gab_conf_ctx_t *ctx);
static int gab_conf_check_tenant(gab_conf_ctx_t *ctx, gab_tenant_conf_t *t);
static int gab_conf_keys_meet(gab_conf_ctx_t *ctx, gab_tenant_conf_t *t,
    gab_tenant_conf_t *o);
static int gab_conf_finish(gab_conf_ctx_t *ctx);
static int gab_conf_error(gab_conf_ctx_t *ctx, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static int gab_conf_set_str(gab_conf_ctx_t *ctx, void *field,
    const char *value);
static int gab_conf_set_path(gab_conf_ctx_t *ctx, void *field,
    const char *value);
static int gab_conf_set_msec(gab_conf_ctx_t *ctx, void *field,
    const char *value);
static int gab_conf_set_db(gab_conf_ctx_t *ctx, void *field,
    const char *value);
static int gab_conf_set_level(gab_conf_ctx_t *ctx, void *field,
    const char *value);
static int gab_conf_set_redis(gab_conf_ctx_t *ctx, void *field,
    const char *value);
static int gab_conf_set_authority(gab_conf_ctx_t *ctx, void *field,
    const char *value);
static int gab_conf_set_tenant_id(gab_conf_ctx_t *ctx, void *field,
    const char *value);
static int gab_conf_set_guid(gab_conf_ctx_t *ctx, void *field,
    const char *value);
static int gab_conf_set_key(gab_conf_ctx_t *ctx, void *field,
    const char *value);
static int gab_conf_set_scope(gab_conf_ctx_t *ctx, void *field,
    const char *value);
static int gab_conf_set_alg(gab_conf_ctx_t *ctx, void *field,
    const char *value);

static int gab_conf_is_guid(const char *s);
static int gab_conf_printable(const char *s);
static char *gab_conf_strdup(gab_conf_ctx_t *ctx, const char *s);


#define gab_conf_space(c)  ((c) == ' ' || (c) == '\t')


static gab_conf_cmd_t  gab_conf_broker_cmds[] = {

    { "redis", gab_conf_set_redis, 0 },

    { "redis_password_file", gab_conf_set_path,
      offsetof(gab_conf_t, redis_password_file) },

    { "redis_db", gab_conf_set_db, offsetof(gab_conf_t, redis_db) },

    { "redis_timeout", gab_conf_set_msec,
      offsetof(gab_conf_t, redis_timeout) },

    { "authority", gab_conf_set_authority,
      offsetof(gab_conf_t, authority) },

    { "ca_file", gab_conf_set_path, offsetof(gab_conf_t, ca_file) },

    { "skew", gab_conf_set_msec, offsetof(gab_conf_t, skew) },

    { "timeout", gab_conf_set_msec, offsetof(gab_conf_t, timeout) },

    { "connect_timeout", gab_conf_set_msec,
      offsetof(gab_conf_t, connect_timeout) },

    { "lock_ttl", gab_conf_set_msec, offsetof(gab_conf_t, lock_ttl) },

    { "backoff_min", gab_conf_set_msec, offsetof(gab_conf_t, backoff_min) },

    { "backoff_max", gab_conf_set_msec, offsetof(gab_conf_t, backoff_max) },

    { "check_interval", gab_conf_set_msec,
      offsetof(gab_conf_t, check_interval) },

    { "log_level", gab_conf_set_level, offsetof(gab_conf_t, log_level) },

    { NULL, NULL, 0 }
};


static gab_conf_cmd_t  gab_conf_tenant_cmds[] = {

    { "tenant_id", gab_conf_set_tenant_id,
      offsetof(gab_tenant_conf_t, tenant_id) },

    { "client_id", gab_conf_set_guid,
      offsetof(gab_tenant_conf_t, client_id) },

    { "client_secret_file", gab_conf_set_path,
      offsetof(gab_tenant_conf_t, secret_file) },

    { "certificate", gab_conf_set_path,
      offsetof(gab_tenant_conf_t, certificate) },

    { "private_key", gab_conf_set_path,
      offsetof(gab_tenant_conf_t, private_key) },

    { "assertion_alg", gab_conf_set_alg, offsetof(gab_tenant_conf_t, alg) },

    { "key", gab_conf_set_key, offsetof(gab_tenant_conf_t, key) },

    { "scope", gab_conf_set_scope, offsetof(gab_tenant_conf_t, scope) },

    { "authority", gab_conf_set_authority,
      offsetof(gab_tenant_conf_t, authority) },

    { NULL, NULL, 0 }
};


int
gab_conf_parse(const char *text, size_t len, const char *file,
    gab_conf_t *conf, char *err, size_t errlen)
{
    char            *copy, *p, *nl;
    gab_conf_ctx_t   ctx;

    memset(&ctx, 0, sizeof(gab_conf_ctx_t));

    ctx.conf = conf;
    ctx.file = file;
    ctx.err = err;
    ctx.errlen = errlen;

    conf->redis_port = 6379;
    conf->redis_db = -1;
    conf->redis_timeout = -1;
    conf->skew = -1;
    conf->timeout = -1;
    conf->connect_timeout = -1;
    conf->lock_ttl = -1;
    conf->backoff_min = -1;
    conf->backoff_max = -1;
    conf->check_interval = -1;
    conf->log_level = -1;

    conf->file = strdup(file);
    if (conf->file == NULL) {
        return gab_conf_error(&ctx, "out of memory");
    }

    if (memchr(text, '\0', len)) {
        return gab_conf_error(&ctx, "the file holds a NUL character");
    }

    copy = malloc(len + 1);
    if (copy == NULL) {
        return gab_conf_error(&ctx, "out of memory");
    }

    memcpy(copy, text, len);
    copy[len] = '\0';

    for (p = copy; p && *p; p = nl) {

        ctx.line++;

        nl = strchr(p, '\n');
        if (nl) {
            *nl++ = '\0';
        }

        if (gab_conf_line(&ctx, p) != 0) {
            free(copy);
            return -1;
        }
    }

    free(copy);

    if (gab_conf_finish_tenant(&ctx) != 0) {
        return -1;
    }

    return gab_conf_finish(&ctx);
}


/* one line, without its LF */

static int
gab_conf_line(gab_conf_ctx_t *ctx, char *p)
{
    char            *last, *eq, *name, *value;
    void            *base;
    gab_conf_cmd_t  *cmd;

    last = p + strlen(p);

    while (last > p && (gab_conf_space(last[-1]) || last[-1] == '\r')) {
        last--;
    }

    *last = '\0';

    while (gab_conf_space(*p)) {
        p++;
    }

    if (*p == '\0' || *p == '#' || *p == ';') {
        return 0;
    }

    if (*p == '[') {
        return gab_conf_section(ctx, p);
    }

    eq = strchr(p, '=');
    if (eq == NULL) {
        return gab_conf_error(ctx, "expected \"name = value\" or a section");
    }

    name = p;
    value = eq + 1;

    while (eq > name && gab_conf_space(eq[-1])) {
        eq--;
    }

    *eq = '\0';

    while (gab_conf_space(*value)) {
        value++;
    }

    if (!ctx->in_section) {
        return gab_conf_error(ctx, "\"%.*s\" outside a section: start with "
                              "[broker] or [tenant NAME]", GAB_NAME_MAX, name);
    }

    if (*value == '\0') {
        return gab_conf_error(ctx, "\"%.*s\" has no value",
                              GAB_NAME_MAX, name);
    }

    if (strlen(value) > GAB_VALUE_MAX) {
        return gab_conf_error(ctx, "the value of \"%.*s\" is longer than "
                              "%d bytes", GAB_NAME_MAX, name, GAB_VALUE_MAX);
    }

    if (ctx->tenant) {
        cmd = gab_conf_tenant_cmds;
        base = ctx->tenant;

    } else {
        cmd = gab_conf_broker_cmds;
        base = ctx->conf;
    }

    for ( /* void */ ; cmd->name; cmd++) {

        if (strcmp(cmd->name, name) != 0) {
            continue;
        }

        if (ctx->seen & (1u << (cmd - (ctx->tenant ? gab_conf_tenant_cmds
                                                   : gab_conf_broker_cmds))))
        {
            return gab_conf_error(ctx, "\"%s\" is duplicate", cmd->name);
        }

        ctx->seen |= 1u << (cmd - (ctx->tenant ? gab_conf_tenant_cmds
                                               : gab_conf_broker_cmds));

        return cmd->set(ctx, (char *) base + cmd->offset, value);
    }

    return gab_conf_error(ctx, "unknown name \"%.*s\" in %s", GAB_NAME_MAX,
                          name, ctx->tenant ? "a [tenant] section"
                                            : "[broker]");
}


static int
gab_conf_section(gab_conf_ctx_t *ctx, char *p)
{
    char               *last, *name;
    size_t              n, i;
    gab_conf_t         *conf;
    gab_tenant_conf_t  *t;

    conf = ctx->conf;

    last = p + strlen(p) - 1;

    if (*last != ']') {
        return gab_conf_error(ctx, "a section header ends with \"]\"");
    }

    *last = '\0';

    for (p++; gab_conf_space(*p); p++) { /* void */ }

    while (last > p && gab_conf_space(last[-1])) {
        *--last = '\0';
    }

    if (gab_conf_finish_tenant(ctx) != 0) {
        return -1;
    }

    ctx->seen = 0;
    ctx->in_section = 1;

    if (strcmp(p, "broker") == 0) {

        if (ctx->had_broker) {
            return gab_conf_error(ctx, "[broker] is duplicate");
        }

        ctx->had_broker = 1;
        ctx->tenant = NULL;

        return 0;
    }

    if (strncmp(p, "tenant", 6) != 0
        || (p[6] != '\0' && !gab_conf_space(p[6])))
    {
        return gab_conf_error(ctx, "unknown section [%.*s]: [broker] or "
                              "[tenant NAME]", GAB_NAME_MAX, p);
    }

    for (name = p + 6; gab_conf_space(*name); name++) { /* void */ }

    n = strspn(name, "abcdefghijklmnopqrstuvwxyz"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");

    if (n == 0 || name[n] != '\0' || n > GAB_NAME_MAX) {
        return gab_conf_error(ctx, "a tenant's name is 1 to %d letters, "
                              "digits, \"_\", \".\" or \"-\"", GAB_NAME_MAX);
    }

    for (i = 0; i < conf->ntenants; i++) {
        if (strcmp(conf->tenants[i].name, name) == 0) {
            return gab_conf_error(ctx, "[tenant %s] is duplicate (line %u)",
                                  name, conf->tenants[i].line);
        }
    }

    if (conf->ntenants == GAB_CONF_MAX_TENANTS) {
        return gab_conf_error(ctx, "more than %d tenants",
                              GAB_CONF_MAX_TENANTS);
    }

    t = realloc(conf->tenants,
                (conf->ntenants + 1) * sizeof(gab_tenant_conf_t));
    if (t == NULL) {
        return gab_conf_error(ctx, "out of memory");
    }

    conf->tenants = t;

    t = &conf->tenants[conf->ntenants++];

    memset(t, 0, sizeof(gab_tenant_conf_t));

    t->alg = -1;
    t->line = ctx->line;

    t->name = gab_conf_strdup(ctx, name);
    if (t->name == NULL) {
        return -1;
    }

    ctx->tenant = t;

    return 0;
}


/* what a tenant section must hold, once it is over */

static int
gab_conf_finish_tenant(gab_conf_ctx_t *ctx)
{
    int                 rc;
    unsigned            line;
    gab_tenant_conf_t  *t;

    t = ctx->tenant;

    if (t == NULL) {
        return 0;
    }

    ctx->tenant = NULL;

    /* errors name the section's line */

    line = ctx->line;
    ctx->line = t->line;

    rc = gab_conf_check_tenant(ctx, t);

    ctx->line = line;

    return rc;
}


static int
gab_conf_check_tenant(gab_conf_ctx_t *ctx, gab_tenant_conf_t *t)
{
    size_t              n;
    gab_tenant_conf_t  *o;

    if (t->tenant_id == NULL) {
        return gab_conf_error(ctx, "[tenant %s] has no tenant_id", t->name);
    }

    if (t->client_id == NULL) {
        return gab_conf_error(ctx, "[tenant %s] has no client_id", t->name);
    }

    if (t->secret_file && (t->certificate || t->private_key)) {
        return gab_conf_error(ctx, "[tenant %s] has both client_secret_file "
                              "and a certificate: choose one", t->name);
    }

    if (t->secret_file == NULL
        && (t->certificate == NULL || t->private_key == NULL))
    {
        if (t->certificate || t->private_key) {
            return gab_conf_error(ctx, "[tenant %s] needs both certificate "
                                  "and private_key", t->name);
        }

        return gab_conf_error(ctx, "[tenant %s] has no credential: "
                              "client_secret_file, or certificate and "
                              "private_key", t->name);
    }

    if (t->secret_file && t->alg != -1) {
        return gab_conf_error(ctx, "[tenant %s]: assertion_alg is for a "
                              "certificate", t->name);
    }

    if (t->alg == -1) {
        t->alg = GAB_ALG_RS256;
    }

    if (t->key == NULL) {
        n = sizeof(GAB_KEY_PREFIX) + strlen(t->name);

        t->key = malloc(n);
        if (t->key == NULL) {
            return gab_conf_error(ctx, "out of memory");
        }

        snprintf(t->key, n, GAB_KEY_PREFIX "%s", t->name);
    }

    if (t->scope == NULL) {
        t->scope = gab_conf_strdup(ctx, GAB_SCOPE);
        if (t->scope == NULL) {
            return -1;
        }
    }

    /*
     * two tenants writing one key would overwrite each other's tokens;
     * and each writes KEY:lock, KEY:fence and KEY:broker beside KEY: a
     * key that is another's KEY:lock would make its token a lock (and
     * the lock's holder, a token, would be logged)
     */

    for (o = ctx->conf->tenants; o < t; o++) {
        if (gab_conf_keys_meet(ctx, t, o) != 0) {
            return -1;
        }
    }

    return 0;
}


static int
gab_conf_keys_meet(gab_conf_ctx_t *ctx, gab_tenant_conf_t *t,
    gab_tenant_conf_t *o)
{
    char     tk[GAB_KEY_MAX + 16], ok[GAB_KEY_MAX + 16];
    size_t   i, j;

    static const char  *suffixes[] = { "", ":lock", ":fence", ":broker" };

    for (i = 0; i < 4; i++) {
        snprintf(tk, sizeof(tk), "%s%s", t->key, suffixes[i]);

        for (j = 0; j < 4; j++) {
            snprintf(ok, sizeof(ok), "%s%s", o->key, suffixes[j]);

            if (strcmp(tk, ok) == 0) {
                return gab_conf_error(ctx, "[tenant %s] writes the key "
                                      "\"%s\" of [tenant %s]%s%s%s",
                                      t->name, tk, o->name,
                                      j ? " (its KEY" : "", suffixes[j],
                                      j ? ")" : "");
            }
        }
    }

    return 0;
}


/* defaults and the checks between values */

static int
gab_conf_finish(gab_conf_ctx_t *ctx)
{
    size_t              i;
    gab_conf_t         *conf;
    gab_tenant_conf_t  *t;

    conf = ctx->conf;
    ctx->line = 0;

    if (conf->redis == NULL) {
        if (gab_conf_set_redis(ctx, NULL, "127.0.0.1:6379") != 0) {
            return -1;
        }
    }

    if (conf->redis_db == -1) {
        conf->redis_db = 0;
    }

    if (conf->authority == NULL) {
        conf->authority = gab_conf_strdup(ctx, GAB_AUTHORITY);
        if (conf->authority == NULL) {
            return -1;
        }
    }

#define gab_conf_default(field, value, min, max, what)                        \
    if (conf->field == -1) {                                                 \
        conf->field = value;                                                 \
    }                                                                        \
    if (conf->field < (min) || conf->field > (max)) {                        \
        return gab_conf_error(ctx, #field " must be from " what);            \
    }

    gab_conf_default(redis_timeout, 2000, 100, 60000, "100ms to 1m");
    gab_conf_default(skew, 60000, 0, 3600000, "0 to 1h");
    gab_conf_default(timeout, 10000, 100, 300000, "100ms to 5m");
    gab_conf_default(lock_ttl, 30000, 1000, 3600000, "1s to 1h");
    gab_conf_default(backoff_min, 1000, 100, 3600000, "100ms to 1h");
    gab_conf_default(backoff_max, 300000, 100, 86400000, "100ms to 24h");
    gab_conf_default(check_interval, 60000, 1000, 3600000, "1s to 1h");

#undef gab_conf_default

    if (conf->connect_timeout == -1) {
        conf->connect_timeout = conf->timeout < 5000 ? conf->timeout : 5000;
    }

    if (conf->connect_timeout < 100 || conf->connect_timeout > conf->timeout)
    {
        return gab_conf_error(ctx, "connect_timeout must be from 100ms to "
                              "timeout");
    }

    if (conf->backoff_max < conf->backoff_min) {
        return gab_conf_error(ctx, "backoff_max is less than backoff_min");
    }

    if (conf->log_level == -1) {
        conf->log_level = GAB_LOG_INFO;
    }

    if (conf->ntenants == 0) {
        return gab_conf_error(ctx, "no [tenant NAME] section");
    }

    for (i = 0; i < conf->ntenants; i++) {
        t = &conf->tenants[i];

        if (t->authority == NULL) {
            t->authority = gab_conf_strdup(ctx, conf->authority);
            if (t->authority == NULL) {
                return -1;
            }
        }
    }

    return 0;
}


static int
gab_conf_error(gab_conf_ctx_t *ctx, const char *fmt, ...)
{
    int      n;
    va_list  ap;

    if (ctx->errlen == 0) {
        return -1;
    }

    if (ctx->line) {
        n = snprintf(ctx->err, ctx->errlen, "%s:%u: ", ctx->file, ctx->line);

    } else {
        n = snprintf(ctx->err, ctx->errlen, "%s: ", ctx->file);
    }

    if (n < 0 || (size_t) n >= ctx->errlen) {
        return -1;
    }

    va_start(ap, fmt);
    vsnprintf(ctx->err + n, ctx->errlen - n, fmt, ap);
    va_end(ap);

    return -1;
}


static int
gab_conf_set_str(gab_conf_ctx_t *ctx, void *field, const char *value)
{
    char  **s;

    s = field;

    *s = gab_conf_strdup(ctx, value);

    return *s ? 0 : -1;
}


/* an absolute path: the broker runs from "/" under systemd */

static int
gab_conf_set_path(gab_conf_ctx_t *ctx, void *field, const char *value)
{
    if (value[0] != '/') {
        return gab_conf_error(ctx, "\"%s\" is not an absolute path", value);
    }

    if (!gab_conf_printable(value)) {
        return gab_conf_error(ctx, "a path with control characters");
    }

    return gab_conf_set_str(ctx, field, value);
}


static int
gab_conf_set_msec(gab_conf_ctx_t *ctx, void *field, const char *value)
{
    int64_t  *ms;

    ms = field;

    *ms = gab_conf_duration(value);

    if (*ms < 0) {
        return gab_conf_error(ctx, "\"%s\" is not a duration (examples: "
                              "250ms, 10s, 5m, 1h)", value);
    }

    return 0;
}


static int
gab_conf_set_db(gab_conf_ctx_t *ctx, void *field, const char *value)
{
    int   *db;
    long   n;
    char  *end;

    db = field;

    errno = 0;
    n = strtol(value, &end, 10);

    if (errno || *end != '\0' || value[0] < '0' || value[0] > '9'
        || n > 1000000)
    {
        return gab_conf_error(ctx, "redis_db \"%s\" is not a number from 0",
                              value);
    }

    *db = (int) n;

    return 0;
}


static int
gab_conf_set_level(gab_conf_ctx_t *ctx, void *field, const char *value)
{
    int  *level;

    level = field;

    *level = gab_conf_log_level(value);

    if (*level == -1) {
        return gab_conf_error(ctx, "log_level is error, warn, info or "
                              "debug, not \"%s\"", value);
    }

    return 0;
}


/* "unix:/path", "host:port", "[v6]:port", or a host alone (port 6379) */

static int
gab_conf_set_redis(gab_conf_ctx_t *ctx, void *field, const char *value)
{
    char        *host, *colon, *end;
    long         port;
    gab_conf_t  *conf;

    conf = ctx->conf;

    if (!gab_conf_printable(value) || strchr(value, ' ')) {
        return gab_conf_error(ctx, "redis \"%s\" has spaces or control "
                              "characters", value);
    }

    conf->redis = gab_conf_strdup(ctx, value);
    if (conf->redis == NULL) {
        return -1;
    }

    if (strncmp(value, "unix:", 5) == 0) {

        if (value[5] != '/') {
            return gab_conf_error(ctx, "redis \"%s\": a unix socket is "
                                  "unix:/absolute/path", value);
        }

        conf->redis_unix = gab_conf_strdup(ctx, value + 5);

        return conf->redis_unix ? 0 : -1;
    }

    host = gab_conf_strdup(ctx, value);
    if (host == NULL) {
        return -1;
    }

    conf->redis_host = host;

    if (host[0] == '[') {
        end = strchr(host, ']');

        if (end == NULL || end == host + 1
            || (end[1] != '\0' && end[1] != ':'))
        {
            return gab_conf_error(ctx, "redis \"%s\": an IPv6 address is "
                                  "[address]:port", value);
        }

        memmove(host, host + 1, end - host - 1);
        host[end - host - 1] = '\0';
        colon = (end[1] == ':') ? end + 1 : NULL;

    } else {
        colon = strrchr(host, ':');

        if (colon && strchr(host, ':') != colon) {
            return gab_conf_error(ctx, "redis \"%s\": write an IPv6 address "
                                  "as [address]:port", value);
        }

        if (colon) {
            *colon = '\0';
        }

        if (host[0] == '\0') {
            return gab_conf_error(ctx, "redis \"%s\" has no host", value);
        }
    }

    if (colon == NULL) {
        conf->redis_port = 6379;
        return 0;
    }

    /* colon points into the original string's copy: read from value */

    colon = strrchr(value, ':');

    errno = 0;
    port = strtol(colon + 1, &end, 10);

    if (errno || *end != '\0' || colon[1] < '0' || colon[1] > '9'
        || port < 1 || port > 65535)
    {
        return gab_conf_error(ctx, "redis \"%s\" has no valid port", value);
    }

    conf->redis_port = (int) port;

    return 0;
}


/*
 * https://host[:port][/path], without a trailing slash, query, fragment
 * or user; plain http only to a loopback address, where the stand-in of
 * the tests lives: the secret never travels in clear over a network
 */

static int
gab_conf_set_authority(gab_conf_ctx_t *ctx, void *field, const char *value)
{
    char        **s;
    size_t        len, n;
    const char   *host;

    s = field;

    if (strncmp(value, "https://", 8) == 0) {
        host = value + 8;

    } else if (strncmp(value, "http://", 7) == 0) {
        host = value + 7;

        n = strcspn(host, ":/");

        if (!((n == 9 && strncmp(host, "127.0.0.1", 9) == 0)
              || (n == 9 && strncmp(host, "localhost", 9) == 0)
              || strncmp(host, "[::1]", 5) == 0))
        {
            return gab_conf_error(ctx, "authority \"%s\": plain http only to "
                                  "127.0.0.1, [::1] or localhost", value);
        }

    } else {
        return gab_conf_error(ctx, "authority \"%s\" is not an https:// URL",
                              value);
    }

    n = strspn(host, "abcdefghijklmnopqrstuvwxyz"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/[]%");

    if (host[n] != '\0' || host[0] == '\0' || host[0] == '/'
        || host[0] == ':')
    {
        return gab_conf_error(ctx, "authority \"%s\" is not a plain URL "
                              "(no user, query or fragment)", value);
    }

    *s = gab_conf_strdup(ctx, value);
    if (*s == NULL) {
        return -1;
    }

    len = strlen(*s);

    while (len && (*s)[len - 1] == '/') {
        (*s)[--len] = '\0';
    }

    return 0;
}


/* a GUID, or a domain name (contoso.onmicrosoft.com): it goes in a path */

static int
gab_conf_set_tenant_id(gab_conf_ctx_t *ctx, void *field, const char *value)
{
    size_t  n;

    if (strcmp(value, "common") == 0 || strcmp(value, "organizations") == 0
        || strcmp(value, "consumers") == 0)
    {
        return gab_conf_error(ctx, "tenant_id \"%s\": client credentials "
                              "need the directory's own id or domain", value);
    }

    n = strspn(value, "abcdefghijklmnopqrstuvwxyz"
                      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.");

    if (!gab_conf_is_guid(value)
        && (value[n] != '\0' || n > 253 || value[0] == '.'
            || value[0] == '-' || value[n - 1] == '.' || strstr(value, "..")
            || strchr(value, '.') == NULL))
    {
        return gab_conf_error(ctx, "tenant_id \"%s\" is neither a GUID nor a "
                              "domain name", value);
    }

    return gab_conf_set_str(ctx, field, value);
}


static int
gab_conf_set_guid(gab_conf_ctx_t *ctx, void *field, const char *value)
{
    if (!gab_conf_is_guid(value)) {
        return gab_conf_error(ctx, "client_id \"%s\" is not a GUID "
                              "(the app registration's Application "
                              "(client) ID)", value);
    }

    return gab_conf_set_str(ctx, field, value);
}


/* what the module reads: graph_attach_token_key */

static int
gab_conf_set_key(gab_conf_ctx_t *ctx, void *field, const char *value)
{
    if (!gab_conf_printable(value) || strchr(value, ' ')
        || strlen(value) > GAB_KEY_MAX)
    {
        return gab_conf_error(ctx, "key \"%.64s\": up to 512 bytes, no "
                              "spaces or control characters", value);
    }

    return gab_conf_set_str(ctx, field, value);
}


/* client credentials ask for a resource's ".default" scope, one of them */

static int
gab_conf_set_scope(gab_conf_ctx_t *ctx, void *field, const char *value)
{
    size_t  len;

    len = strlen(value);

    if (!gab_conf_printable(value) || strchr(value, ' ') || len < 9
        || strcmp(value + len - 9, "/.default") != 0)
    {
        return gab_conf_error(ctx, "scope \"%s\": client credentials need "
                              "one RESOURCE/.default scope", value);
    }

    return gab_conf_set_str(ctx, field, value);
}


static int
gab_conf_set_alg(gab_conf_ctx_t *ctx, void *field, const char *value)
{
    int  *alg;

    alg = field;

    if (strcmp(value, "RS256") == 0) {
        *alg = GAB_ALG_RS256;

    } else if (strcmp(value, "PS256") == 0) {
        *alg = GAB_ALG_PS256;

    } else {
        return gab_conf_error(ctx, "assertion_alg is RS256 or PS256, not "
                              "\"%s\"", value);
    }

    return 0;
}


int
gab_conf_load(const char *path, gab_conf_t *conf, char *err, size_t errlen)
{
    int          fd, rc;
    char        *buf;
    size_t       len;
    ssize_t      n;
    struct stat  st;

    /* a FIFO in its place must not block a reload: see gab_secret_read() */

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd == -1) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }

    if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)
        || st.st_size > GAB_CONF_MAX_SIZE)
    {
        snprintf(err, errlen, "%s: not a regular file of at most %d bytes",
                 path, GAB_CONF_MAX_SIZE);
        close(fd);
        return -1;
    }

    buf = malloc(st.st_size + 1);
    if (buf == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        close(fd);
        return -1;
    }

    len = 0;

    while (len < (size_t) st.st_size) {
        n = read(fd, buf + len, st.st_size - len);

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n <= 0) {
            snprintf(err, errlen, "%s: %s", path,
                     n == 0 ? "short read" : strerror(errno));
            free(buf);
            close(fd);
            return -1;
        }

        len += n;
    }

    close(fd);

    rc = gab_conf_parse(buf, len, path, conf, err, errlen);

    free(buf);

    return rc;
}


void
gab_conf_free(gab_conf_t *conf)
{
    size_t              i;
    gab_tenant_conf_t  *t;

    for (i = 0; i < conf->ntenants; i++) {
        t = &conf->tenants[i];

        free(t->name);
        free(t->tenant_id);
        free(t->client_id);
        free(t->secret_file);
        free(t->certificate);
        free(t->private_key);
        free(t->key);
        free(t->scope);
        free(t->authority);
    }

    free(conf->tenants);
    free(conf->file);
    free(conf->redis);
    free(conf->redis_host);
    free(conf->redis_unix);
    free(conf->redis_password_file);
    free(conf->authority);
    free(conf->ca_file);

    memset(conf, 0, sizeof(gab_conf_t));
}


int64_t
gab_conf_duration(const char *value)
{
    int64_t      n, unit;
    const char  *p;

    if (*value < '0' || *value > '9') {
        return -1;
    }

    n = 0;

    for (p = value; *p >= '0' && *p <= '9'; p++) {
        n = n * 10 + (*p - '0');

        if (n > 30LL * 86400 * 1000) {
            return -1;
        }
    }

    if (strcmp(p, "ms") == 0) {
        unit = 1;

    } else if (*p == '\0' || strcmp(p, "s") == 0) {
        unit = 1000;

    } else if (strcmp(p, "m") == 0) {
        unit = 60 * 1000;

    } else if (strcmp(p, "h") == 0) {
        unit = 3600 * 1000;

    } else {
        return -1;
    }

    if (n > 30LL * 86400 * 1000 / unit) {
        return -1;
    }

    return n * unit;
}


static const char  *gab_conf_levels[] = { "error", "warn", "info", "debug" };


int
gab_conf_log_level(const char *value)
{
    int  i;

    for (i = 0; i < 4; i++) {
        if (strcmp(value, gab_conf_levels[i]) == 0) {
            return i;
        }
    }

    return -1;
}


const char *
gab_conf_log_level_name(int level)
{
    return (level >= 0 && level < 4) ? gab_conf_levels[level] : "?";
}


static int
gab_conf_is_guid(const char *s)
{
    int  i;

    for (i = 0; i < 36; i++) {

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return 0;
            }

            continue;
        }

        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')
              || (s[i] >= 'A' && s[i] <= 'F')))
        {
            return 0;
        }
    }

    return s[36] == '\0';
}


static int
gab_conf_printable(const char *s)
{
    for ( /* void */ ; *s; s++) {
        if ((unsigned char) *s < 0x20 || *s == 0x7f) {
            return 0;
        }
    }

    return 1;
}


static char *
gab_conf_strdup(gab_conf_ctx_t *ctx, const char *s)
{
    char  *p;

    p = strdup(s);
    if (p == NULL) {
        gab_conf_error(ctx, "out of memory");
    }

    return p;
}
