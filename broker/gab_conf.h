/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GAB_CONF_H_INCLUDED_
#define _GAB_CONF_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/*
 * The broker's configuration file (docs/tokens.md, "Configuration"): an
 * INI-like text, one "name = value" a line, in a [broker] section and one
 * [tenant NAME] section per tenant.  Lines starting with "#" or ";" are
 * comments.  Durations are a number with an optional unit: ms, s, m, h
 * (no unit: seconds).
 */


#define GAB_CONF_PATH          "/etc/graph-attach/broker.conf"
#define GAB_AUTHORITY          "https://login.microsoftonline.com"
#define GAB_SCOPE              "https://graph.microsoft.com/.default"
#define GAB_KEY_PREFIX         "graph:token:"
#define GAB_KEY_MAX            512

#define GAB_CONF_MAX_SIZE      (1024 * 1024)
#define GAB_CONF_MAX_TENANTS   1000
#define GAB_NAME_MAX           64
#define GAB_VALUE_MAX          1024

enum {
    GAB_LOG_ERR = 0,
    GAB_LOG_WARN,
    GAB_LOG_INFO,
    GAB_LOG_DEBUG
};

enum {
    GAB_ALG_RS256 = 0,
    GAB_ALG_PS256
};


typedef struct {
    char       *name;           /* of the section: [tenant NAME] */
    char       *tenant_id;      /* a GUID or a domain name */
    char       *client_id;      /* the application (client) id, a GUID */
    char       *secret_file;    /* client_secret_file */
    char       *certificate;    /* PEM, the first certificate counts */
    char       *private_key;    /* PEM */
    char       *key;            /* the Redis key the module reads */
    char       *scope;
    char       *authority;      /* the [broker] one unless set */
    int         alg;            /* GAB_ALG_* of the client assertion */
    unsigned    line;           /* of the section header */
} gab_tenant_conf_t;


typedef struct {
    char               *file;           /* where it was read from */

    char               *redis;          /* as written, for log lines */
    char               *redis_host;     /* NULL for a unix socket */
    int                 redis_port;
    char               *redis_unix;
    char               *redis_password_file;
    int                 redis_db;
    int64_t             redis_timeout;  /* ms, like every duration */

    char               *authority;
    char               *ca_file;
    int64_t             skew;
    int64_t             timeout;
    int64_t             connect_timeout;
    int64_t             lock_ttl;
    int64_t             backoff_min;
    int64_t             backoff_max;
    int64_t             check_interval;
    int                 log_level;

    gab_tenant_conf_t  *tenants;
    size_t              ntenants;
} gab_conf_t;


/*
 * Parses text (len bytes, NUL characters refused) into conf, which must
 * be zeroed.  file names the text in error messages.  Returns 0, or -1
 * with a message "file:line: what" in err; conf is then to be freed.
 * Files named by the configuration are not opened here.
 */
int gab_conf_parse(const char *text, size_t len, const char *file,
    gab_conf_t *conf, char *err, size_t errlen);

/* reads and parses a file */
int gab_conf_load(const char *path, gab_conf_t *conf, char *err,
    size_t errlen);

void gab_conf_free(gab_conf_t *conf);

/*
 * "250ms", "10s", "5m", "1h", "30" (seconds) into milliseconds; -1 if the
 * value is not one, or is over 30 days
 */
int64_t gab_conf_duration(const char *value);

/* "error", "warn", "info", "debug"; -1 for another value */
int gab_conf_log_level(const char *value);

/* the name of a level, for log lines */
const char *gab_conf_log_level_name(int level);


#endif /* _GAB_CONF_H_INCLUDED_ */
