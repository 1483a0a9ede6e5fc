/*
 * Copyright (C) graph-attach authors
 */


#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "gab_broker.h"
#include "gab_jwt.h"
#include "gab_log.h"
#include "gab_schedule.h"


/*
 * graph-attach-broker: keeps the Graph tokens of the configured tenants
 * in Redis for ngx_http_graph_attach_module.  One process, one thread:
 * the token requests of all tenants run at once on a curl multi handle
 * (a slow endpoint delays only its tenant, for at most "timeout"); Redis
 * calls are blocking, each bounded by "redis_timeout".  Signals only set
 * a flag and write to a pipe that curl_multi_poll() watches, and they
 * are blocked but during that wait: a blocking call is never cut short
 * by one (hiredis takes an interrupted connect for a failed one).
 */


#define GAB_EX_CONFIG  78       /* sysexits.h: EX_CONFIG */


static int gab_main_options(int argc, char **argv, const char **conf_path,
    int *test);
static int gab_main_test(const char *path);
static int gab_main_start(gab_broker_t *b, const char *path);
static void gab_main_loop(gab_broker_t *b);
static void gab_main_finish(gab_broker_t *b);
static int gab_main_tenants(gab_broker_t *b);
static void gab_main_stop_tenants(gab_broker_t *b);
static void gab_main_log_conf(gab_broker_t *b);
static void gab_main_reload(gab_broker_t *b, const char *path);
static int gab_main_signals(void);
static void gab_main_signal(int signo);
static void gab_main_owner(gab_broker_t *b);


static volatile sig_atomic_t  gab_quit;
static volatile sig_atomic_t  gab_reload;
static int                    gab_signal_pipe[2] = { -1, -1 };


static const char  gab_usage[] =
"NAME\n"
"    graph-attach-broker - keep Microsoft Graph tokens in Redis for\n"
"    ngx_http_graph_attach_module\n"
"\n"
"SYNOPSIS\n"
"    graph-attach-broker [-c file] [-t]\n"
"    graph-attach-broker -h | -V\n"
"\n"
"DESCRIPTION\n"
"    For each tenant of its configuration file, the broker asks the\n"
"    Microsoft identity platform for an app-only token (client\n"
"    credentials: a client secret or a certificate's signed assertion)\n"
"    and writes it to Redis, where the nginx module reads it:\n"
"\n"
"        KEY  {\"access_token\":\"...\",\"expires_on\":UNIX-SECONDS}\n"
"\n"
"    with a TTL of expires_in less the skew.  It refreshes a token at\n"
"    about three quarters of its life, backs off after a failure\n"
"    (doubling, with jitter, and never sooner than a 429's or 503's\n"
"    Retry-After), and never deletes or shortens a token: after a failed\n"
"    refresh the old one is served until it expires.\n"
"\n"
"    Several brokers may run against one Redis: for each refresh one\n"
"    takes the tenant's lock (KEY:lock, SET NX PX), the others see the\n"
"    fresh token and wait; a fencing counter (KEY:fence) keeps a broker\n"
"    that lost its lock from overwriting a newer token.  When a broker\n"
"    stops, its locks are released (or expire), and another carries on.\n"
"\n"
"    The broker stays in the foreground and logs to stderr (with syslog\n"
"    priorities for journald under systemd).  No log line holds a\n"
"    secret, an assertion or a token.\n"
"\n"
"OPTIONS\n"
"    -c file   the configuration file (default " GAB_CONF_PATH ")\n"
"    -t        test the configuration and the credential files, then exit\n"
"    -h        this help\n"
"    -V        the version\n"
"\n"
"CONFIGURATION\n"
"    An INI-like file: \"name = value\" lines in sections; \"#\" or \";\"\n"
"    starts a comment line.  Durations: 250ms, 10s, 5m, 1h (a bare\n"
"    number is seconds).\n"
"\n"
"        [broker]\n"
"        redis = unix:/run/redis/redis-server.sock  # or 127.0.0.1:6379\n"
"        # redis_password_file = /etc/graph-attach/redis.password\n"
"        # redis_db = 0, redis_timeout = 2s\n"
"        # authority = https://login.microsoftonline.com\n"
"        # skew = 60s, timeout = 10s, connect_timeout = 5s\n"
"        # lock_ttl = 30s, backoff_min = 1s, backoff_max = 5m\n"
"        # check_interval = 60s (how often a fresh token is looked at)\n"
"        # log_level = info (error, warn, info, debug)\n"
"\n"
"        [tenant contoso]\n"
"        tenant_id = contoso.onmicrosoft.com   # or the directory's GUID\n"
"        client_id = 00000000-0000-0000-0000-000000000000\n"
"        client_secret_file = /etc/graph-attach/contoso.secret\n"
"        # or: certificate = /etc/graph-attach/contoso.crt\n"
"        #     private_key = /etc/graph-attach/contoso.key\n"
"        #     assertion_alg = RS256 (or PS256)\n"
"        # key = graph:token:contoso (the default: graph:token:NAME)\n"
"        # scope = https://graph.microsoft.com/.default\n"
"\n"
"SIGNALS\n"
"    TERM, INT  abort the requests in flight, release the locks, exit 0\n"
"    HUP        reread the configuration; if it is invalid, keep the old\n"
"               one.  Requests in flight are abandoned and every tenant\n"
"               starts over from what Redis holds: fresh tokens stay, so\n"
"               nothing is requested that is not due.\n"
"\n"
"FILES\n"
"    " GAB_CONF_PATH "\n"
"\n"
"EXIT STATUS\n"
"    0 on TERM or INT, or when -t finds no error; 1 when -t finds one\n"
"    or on an internal error; 78 (EX_CONFIG) when the configuration\n"
"    file cannot be used at startup.\n"
"\n"
"SEE ALSO\n"
"    /usr/share/doc/libnginx-mod-http-graph-attach/tokens.md,\n"
"    operations.md (\"Token broker\")\n";


int
main(int argc, char **argv)
{
    int            test, rc;
    const char    *path;
    gab_broker_t   b;

    path = GAB_CONF_PATH;
    test = 0;

    rc = gab_main_options(argc, argv, &path, &test);
    if (rc != -1) {
        return rc;
    }

    gab_log_init(GAB_LOG_INFO);

    if (test) {
        return gab_main_test(path);
    }

    memset(&b, 0, sizeof(gab_broker_t));

    rc = gab_main_start(&b, path);
    if (rc != 0) {
        gab_main_finish(&b);
        return rc;
    }

    gab_main_loop(&b);

    gab_log_info("exiting");

    gab_main_finish(&b);

    return 0;
}


/* -1 to go on, else the exit status */

static int
gab_main_options(int argc, char **argv, const char **conf_path, int *test)
{
    int  i;

    for (i = 1; i < argc; i++) {

        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(gab_usage, stdout);
            return 0;
        }

        if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0)
        {
            printf("graph-attach-broker %s (%s)\n", GAB_VERSION,
                   curl_version());
            return 0;
        }

        if (strcmp(argv[i], "-t") == 0) {
            *test = 1;
            continue;
        }

        if (strcmp(argv[i], "-c") == 0) {
            if (++i == argc) {
                fprintf(stderr, "graph-attach-broker: -c needs a file\n");
                return 1;
            }

            *conf_path = argv[i];
            continue;
        }

        fprintf(stderr, "graph-attach-broker: unknown option \"%s\" "
                "(-h for help)\n", argv[i]);
        return 1;
    }

    return -1;
}


static int
gab_main_test(const char *path)
{
    int          rc;
    char         err[1024];
    size_t       i;
    gab_conf_t   conf;

    memset(&conf, 0, sizeof(gab_conf_t));

    if (gab_conf_load(path, &conf, err, sizeof(err)) != 0) {
        gab_log_error("%s", err);
        gab_log_error("configuration file %s test failed", path);
        gab_conf_free(&conf);
        return 1;
    }

    rc = 0;

    for (i = 0; i < conf.ntenants; i++) {
        if (gab_tenant_check_credential(&conf.tenants[i], 0) != 0) {
            rc = 1;
        }
    }

    if (rc == 0) {
        gab_log_info("configuration file %s test is successful: %zu "
                     "tenant%s", path, conf.ntenants,
                     conf.ntenants == 1 ? "" : "s");

    } else {
        gab_log_error("configuration file %s test failed", path);
    }

    gab_conf_free(&conf);

    return rc;
}


static int
gab_main_start(gab_broker_t *b, const char *path)
{
    char  err[1024];

    if (gab_conf_load(path, &b->conf, err, sizeof(err)) != 0) {
        gab_log_error("%s", err);
        return GAB_EX_CONFIG;
    }

    gab_log_set_level(b->conf.log_level);

    if (gab_main_signals() != 0) {
        return 1;
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        gab_log_error("curl_global_init() failed");
        return 1;
    }

    b->multi = curl_multi_init();
    if (b->multi == NULL) {
        gab_log_error("curl_multi_init() failed");
        return 1;
    }

    gab_main_owner(b);

    if (gab_main_tenants(b) != 0) {
        return 1;
    }

    gab_log_info("graph-attach-broker %s started: %s, %zu tenant%s, "
                 "redis \"%s\"", GAB_VERSION, path, b->ntenants,
                 b->ntenants == 1 ? "" : "s", b->conf.redis);

    gab_main_log_conf(b);

    return 0;
}


static void
gab_main_loop(gab_broker_t *b)
{
    int             running, left;
    char            drain[64];
    size_t          i;
    sigset_t        set;
    unsigned        recoveries;
    int64_t         now, next, timeout;
    CURLMsg        *msg;
    CURLcode        result;
    gab_tenant_t   *t;
    struct curl_waitfd  wfd;

    wfd.fd = gab_signal_pipe[0];
    wfd.events = CURL_WAIT_POLLIN;
    wfd.revents = 0;

    recoveries = b->redis.recoveries;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);

    sigprocmask(SIG_BLOCK, &set, NULL);

    while (!gab_quit) {

        if (gab_reload) {
            gab_reload = 0;
            gab_main_reload(b, b->conf.file);
        }

        now = gab_now();

        for (i = 0; i < b->ntenants && !gab_quit; i++) {
            t = &b->tenants[i];

            if (t->state == GAB_TENANT_IDLE && t->next <= now) {
                gab_tenant_run(b, t);
            }
        }

        /* back from an outage: Redis may have come back empty */

        if (b->redis.recoveries != recoveries) {
            recoveries = b->redis.recoveries;

            for (i = 0; i < b->ntenants; i++) {
                t = &b->tenants[i];

                if (t->state == GAB_TENANT_IDLE && !t->holding) {
                    t->next = now;
                }
            }
        }

        curl_multi_perform(b->multi, &running);

        /* the message dies with its handle: copy it first */

        while ((msg = curl_multi_info_read(b->multi, &left)) != NULL) {

            if (msg->msg != CURLMSG_DONE) {
                continue;
            }

            t = NULL;
            result = msg->data.result;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);

            if (t) {
                gab_tenant_done(b, t, result);
            }
        }

        now = gab_now();
        next = now + 60000;

        for (i = 0; i < b->ntenants; i++) {
            t = &b->tenants[i];

            if (t->state == GAB_TENANT_IDLE && t->next < next) {
                next = t->next;
            }
        }

        timeout = next - now;

        if (timeout < 0) {
            timeout = 0;
        }

        /* a signal pending since is delivered here, and wakes the poll */

        sigprocmask(SIG_UNBLOCK, &set, NULL);

        if (!gab_quit && !gab_reload) {
            curl_multi_poll(b->multi, &wfd, 1, (int) timeout, NULL);
        }

        sigprocmask(SIG_BLOCK, &set, NULL);

        while (read(gab_signal_pipe[0], drain, sizeof(drain)) > 0) {
            /* void */
        }
    }
}


static void
gab_main_finish(gab_broker_t *b)
{
    gab_main_stop_tenants(b);

    gab_redis_close(&b->redis);

    if (b->multi) {
        curl_multi_cleanup(b->multi);
        b->multi = NULL;
        curl_global_cleanup();
    }

    gab_conf_free(&b->conf);
}


static int
gab_main_tenants(gab_broker_t *b)
{
    size_t  i;

    b->tenants = calloc(b->conf.ntenants, sizeof(gab_tenant_t));
    if (b->tenants == NULL) {
        gab_log_error("out of memory");
        return -1;
    }

    for (i = 0; i < b->conf.ntenants; i++) {
        if (gab_tenant_init(&b->tenants[i], &b->conf.tenants[i]) != 0) {
            gab_log_error("out of memory");
            b->ntenants = i;
            return -1;
        }
    }

    b->ntenants = b->conf.ntenants;

    return 0;
}


/* releases the locks while Redis still knows them */

static void
gab_main_stop_tenants(gab_broker_t *b)
{
    size_t  i;

    for (i = 0; i < b->ntenants; i++) {
        gab_tenant_stop(b, &b->tenants[i]);
        gab_tenant_free(&b->tenants[i]);
    }

    free(b->tenants);
    b->tenants = NULL;
    b->ntenants = 0;
}


static void
gab_main_log_conf(gab_broker_t *b)
{
    size_t              i;
    gab_conf_t         *conf;
    gab_tenant_conf_t  *t;

    conf = &b->conf;

    for (i = 0; i < conf->ntenants; i++) {
        t = &conf->tenants[i];

        gab_log_info("tenant \"%s\": tenant_id %s, client_id %s, key \"%s\", "
                     "%s %s", t->name, t->tenant_id, t->client_id, t->key,
                     t->secret_file ? "client secret from"
                                    : "certificate",
                     t->secret_file ? t->secret_file : t->certificate);

        (void) gab_tenant_check_credential(t, 1);
    }

    if (conf->lock_ttl <= conf->timeout) {
        gab_log_warn("lock_ttl %lld ms is not longer than timeout %lld ms: "
                     "another broker may take a tenant over during a slow "
                     "request (the fence keeps the newer token)",
                     (long long) conf->lock_ttl, (long long) conf->timeout);
    }
}


static void
gab_main_reload(gab_broker_t *b, const char *path)
{
    int          same_redis;
    char         err[1024], *file;
    gab_conf_t   conf, old;

    gab_log_info("SIGHUP: rereading %s", path);

    file = strdup(path);
    if (file == NULL) {
        gab_log_error("reload failed: out of memory");
        return;
    }

    memset(&conf, 0, sizeof(gab_conf_t));

    if (gab_conf_load(file, &conf, err, sizeof(err)) != 0) {
        gab_log_error("%s", err);
        gab_log_error("reload failed: the configuration stays as it was");
        gab_conf_free(&conf);
        free(file);
        return;
    }

    free(file);

    same_redis = (strcmp(conf.redis, b->conf.redis) == 0
                  && conf.redis_db == b->conf.redis_db
                  && conf.redis_timeout == b->conf.redis_timeout
                  && ((conf.redis_password_file == NULL
                       && b->conf.redis_password_file == NULL)
                      || (conf.redis_password_file
                          && b->conf.redis_password_file
                          && strcmp(conf.redis_password_file,
                                    b->conf.redis_password_file) == 0)));

    /* the old tenants let go of their requests and locks */

    gab_main_stop_tenants(b);

    if (!same_redis) {
        gab_redis_close(&b->redis);
        b->redis.connected = 0;
        b->redis.down = 0;
        b->redis.retry_at = 0;
    }

    old = b->conf;
    b->conf = conf;
    gab_conf_free(&old);

    gab_log_set_level(b->conf.log_level);

    if (gab_main_tenants(b) != 0) {
        gab_log_error("reload failed: exiting");
        gab_quit = 1;
        return;
    }

    gab_log_info("reloaded: %zu tenant%s, redis \"%s\"", b->ntenants,
                 b->ntenants == 1 ? "" : "s", b->conf.redis);

    gab_main_log_conf(b);
}


static int
gab_main_signals(void)
{
    int               i;
    struct sigaction  sa;

    if (pipe(gab_signal_pipe) == -1) {
        gab_log_error("pipe() failed: %s", strerror(errno));
        return -1;
    }

    for (i = 0; i < 2; i++) {
        if (fcntl(gab_signal_pipe[i], F_SETFL, O_NONBLOCK) == -1
            || fcntl(gab_signal_pipe[i], F_SETFD, FD_CLOEXEC) == -1)
        {
            gab_log_error("fcntl() failed: %s", strerror(errno));
            return -1;
        }
    }

    memset(&sa, 0, sizeof(struct sigaction));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = gab_main_signal;
    sa.sa_flags = SA_RESTART;

    if (sigaction(SIGTERM, &sa, NULL) == -1
        || sigaction(SIGINT, &sa, NULL) == -1
        || sigaction(SIGHUP, &sa, NULL) == -1)
    {
        gab_log_error("sigaction() failed: %s", strerror(errno));
        return -1;
    }

    /* a closed Redis connection must not kill us */

    sa.sa_handler = SIG_IGN;

    if (sigaction(SIGPIPE, &sa, NULL) == -1) {
        gab_log_error("sigaction() failed: %s", strerror(errno));
        return -1;
    }

    return 0;
}


static void
gab_main_signal(int signo)
{
    int  saved;

    saved = errno;

    if (signo == SIGHUP) {
        gab_reload = 1;

    } else {
        gab_quit = 1;
    }

    (void) !write(gab_signal_pipe[1], "", 1);

    errno = saved;
}


/* "host:pid" writes tokens; "host:pid:nonce" holds locks */

static void
gab_main_owner(gab_broker_t *b)
{
    char    host[64], *p;
    char    nonce[37];

    if (gethostname(host, sizeof(host)) != 0) {
        strcpy(host, "localhost");
    }

    host[sizeof(host) - 1] = '\0';

    for (p = host; *p; p++) {
        if ((unsigned char) *p <= 0x20 || *p == 0x7f || *p == '"') {
            *p = '_';
        }
    }

    if (gab_jwt_guid(nonce) != 0) {
        snprintf(nonce, sizeof(nonce), "%lx", (unsigned long) gab_now());
    }

    snprintf(b->by, sizeof(b->by), "%s:%ld", host, (long) getpid());
    snprintf(b->owner, sizeof(b->owner), "%s:%.8s", b->by, nonce);
}
