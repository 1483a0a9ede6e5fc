/*
 * Copyright (C) graph-attach authors
 */


#include <stdlib.h>
#include <string.h>

#include "gab_conf.h"
#include "tap.h"


#define GUID1  "11111111-2222-3333-4444-555555555555"
#define GUID2  "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"

#define TENANT                                                               \
    "[tenant contoso]\n"                                                     \
    "tenant_id = contoso.onmicrosoft.com\n"                                  \
    "client_id = " GUID1 "\n"                                                \
    "client_secret_file = /etc/graph-attach/contoso.secret\n"


static char  err[1024];


static int
parse(const char *text, gab_conf_t *conf)
{
    memset(conf, 0, sizeof(gab_conf_t));
    err[0] = '\0';

    return gab_conf_parse(text, strlen(text), "broker.conf", conf, err,
                          sizeof(err));
}


/* text must be refused with an error containing want */

static void
refused(const char *text, const char *want, const char *name)
{
    int         rc;
    gab_conf_t  conf;

    rc = parse(text, &conf);

    if (!ok(rc == -1 && strstr(err, want) != NULL, "refused: %s", name)) {
        diag("rc %d, error \"%s\", wanted \"%s\"", rc, err, want);
    }

    gab_conf_free(&conf);
}


static void
test_defaults(void)
{
    int                 rc;
    gab_conf_t          conf;
    gab_tenant_conf_t  *t;

    rc = parse(TENANT, &conf);

    if (!is_int(rc, 0, "one tenant, nothing else: parsed")) {
        diag("%s", err);
    }

    is_int(conf.ntenants, 1, "one tenant");
    ok(strcmp(conf.redis, "127.0.0.1:6379") == 0, "redis default");
    ok(strcmp(conf.redis_host, "127.0.0.1") == 0, "redis host");
    is_int(conf.redis_port, 6379, "redis port");
    ok(conf.redis_unix == NULL, "no unix socket");
    is_int(conf.redis_db, 0, "db 0");
    is_int(conf.redis_timeout, 2000, "redis_timeout 2s");
    ok(strcmp(conf.authority, GAB_AUTHORITY) == 0, "authority default");
    is_int(conf.skew, 60000, "skew 60s");
    is_int(conf.timeout, 10000, "timeout 10s");
    is_int(conf.connect_timeout, 5000, "connect_timeout 5s");
    is_int(conf.lock_ttl, 30000, "lock_ttl 30s");
    is_int(conf.backoff_min, 1000, "backoff_min 1s");
    is_int(conf.backoff_max, 300000, "backoff_max 5m");
    is_int(conf.check_interval, 60000, "check_interval 1m");
    is_int(conf.log_level, GAB_LOG_INFO, "log_level info");

    t = &conf.tenants[0];

    ok(strcmp(t->name, "contoso") == 0, "tenant name");
    ok(strcmp(t->tenant_id, "contoso.onmicrosoft.com") == 0, "tenant_id");
    ok(strcmp(t->client_id, GUID1) == 0, "client_id");
    ok(strcmp(t->secret_file, "/etc/graph-attach/contoso.secret") == 0,
       "client_secret_file");
    ok(t->certificate == NULL && t->private_key == NULL, "no certificate");
    ok(strcmp(t->key, "graph:token:contoso") == 0, "key graph:token:NAME");
    ok(strcmp(t->scope, GAB_SCOPE) == 0, "scope default");
    ok(strcmp(t->authority, GAB_AUTHORITY) == 0, "tenant authority default");
    is_int(t->alg, GAB_ALG_RS256, "RS256");
    is_int(t->line, 1, "section line");

    gab_conf_free(&conf);
}


static void
test_full(void)
{
    int                 rc;
    gab_conf_t          conf;
    gab_tenant_conf_t  *t;

    static const char  text[] =
        "# the broker\r\n"
        "; another comment\r\n"
        "\r\n"
        "[broker]\r\n"
        "  redis = unix:/run/redis/redis-server.sock  \r\n"
        "redis_password_file=/etc/graph-attach/redis.password\r\n"
        "redis_db = 3\r\n"
        "redis_timeout = 500ms\r\n"
        "authority = https://login.microsoftonline.us/\r\n"
        "ca_file = /etc/ssl/certs/ca-certificates.crt\r\n"
        "skew = 1s\r\n"
        "timeout = 2m\r\n"
        "connect_timeout = 3\r\n"
        "lock_ttl = 1h\r\n"
        "backoff_min = 100ms\r\n"
        "backoff_max = 10s\r\n"
        "check_interval = 5s\r\n"
        "log_level = debug\r\n"
        "\r\n"
        "[ tenant   fabrikam ]\r\n"
        "tenant_id = " GUID2 "\r\n"
        "client_id = " GUID1 "\r\n"
        "certificate = /etc/graph-attach/fabrikam.crt\r\n"
        "private_key = /etc/graph-attach/fabrikam.key\r\n"
        "assertion_alg = PS256\r\n"
        "key = graph:{fabrikam}:token\r\n"
        "scope = https://graph.microsoft.us/.default\r\n"
        "authority = http://127.0.0.1:8081\r\n"
        "\r\n"
        TENANT;

    rc = parse(text, &conf);

    if (!is_int(rc, 0, "every option: parsed")) {
        diag("%s", err);
    }
    ok(strcmp(conf.redis, "unix:/run/redis/redis-server.sock") == 0,
       "redis as written");
    ok(conf.redis_unix
       && strcmp(conf.redis_unix, "/run/redis/redis-server.sock") == 0,
       "unix socket");
    ok(conf.redis_host == NULL, "no host");
    ok(strcmp(conf.redis_password_file,
              "/etc/graph-attach/redis.password") == 0,
       "redis_password_file");
    is_int(conf.redis_db, 3, "redis_db");
    is_int(conf.redis_timeout, 500, "redis_timeout 500ms");
    ok(strcmp(conf.authority, "https://login.microsoftonline.us") == 0,
       "authority, trailing slash dropped");
    ok(strcmp(conf.ca_file, "/etc/ssl/certs/ca-certificates.crt") == 0,
       "ca_file");
    is_int(conf.skew, 1000, "skew");
    is_int(conf.timeout, 120000, "timeout 2m");
    is_int(conf.connect_timeout, 3000, "connect_timeout bare number");
    is_int(conf.lock_ttl, 3600000, "lock_ttl 1h");
    is_int(conf.backoff_min, 100, "backoff_min");
    is_int(conf.backoff_max, 10000, "backoff_max");
    is_int(conf.check_interval, 5000, "check_interval");
    is_int(conf.log_level, GAB_LOG_DEBUG, "log_level debug");
    is_int(conf.ntenants, 2, "two tenants");

    t = &conf.tenants[0];

    ok(strcmp(t->name, "fabrikam") == 0, "spaces in the header");
    ok(strcmp(t->tenant_id, GUID2) == 0, "tenant_id a GUID");
    ok(strcmp(t->certificate, "/etc/graph-attach/fabrikam.crt") == 0,
       "certificate");
    ok(strcmp(t->private_key, "/etc/graph-attach/fabrikam.key") == 0,
       "private_key");
    ok(t->secret_file == NULL, "no secret");
    is_int(t->alg, GAB_ALG_PS256, "PS256");
    ok(strcmp(t->key, "graph:{fabrikam}:token") == 0, "key");
    ok(strcmp(t->scope, "https://graph.microsoft.us/.default") == 0,
       "scope");
    ok(strcmp(t->authority, "http://127.0.0.1:8081") == 0,
       "tenant authority: loopback http");
    is_int(t->line, 20, "section line (CRLF lines)");

    t = &conf.tenants[1];

    ok(strcmp(t->authority, "https://login.microsoftonline.us") == 0,
       "second tenant: the [broker] authority");
    is_int(t->line, 30, "second section line");

    gab_conf_free(&conf);
}


static void
test_redis(void)
{
    int         rc;
    gab_conf_t  conf;

    rc = parse("[broker]\nredis = 10.0.0.5\n" TENANT, &conf);
    ok(rc == 0 && strcmp(conf.redis_host, "10.0.0.5") == 0
       && conf.redis_port == 6379, "redis host alone: port 6379");
    gab_conf_free(&conf);

    rc = parse("[broker]\nredis = [::1]:6380\n" TENANT, &conf);
    ok(rc == 0 && strcmp(conf.redis_host, "::1") == 0
       && conf.redis_port == 6380, "redis [::1]:6380");
    gab_conf_free(&conf);

    rc = parse("[broker]\nredis = [::1]\n" TENANT, &conf);
    ok(rc == 0 && strcmp(conf.redis_host, "::1") == 0
       && conf.redis_port == 6379, "redis [::1]");
    gab_conf_free(&conf);

    rc = parse("[broker]\nredis = redis.internal:7000\n" TENANT, &conf);
    ok(rc == 0 && strcmp(conf.redis_host, "redis.internal") == 0
       && conf.redis_port == 7000, "redis name:port");
    gab_conf_free(&conf);

    refused("[broker]\nredis = ::1:6379\n" TENANT, "[address]:port",
            "bare IPv6");
    refused("[broker]\nredis = 127.0.0.1:0\n" TENANT, "no valid port",
            "port 0");
    refused("[broker]\nredis = 127.0.0.1:65536\n" TENANT, "no valid port",
            "port 65536");
    refused("[broker]\nredis = 127.0.0.1:x\n" TENANT, "no valid port",
            "port x");
    refused("[broker]\nredis = :6379\n" TENANT, "no host", "no host");
    refused("[broker]\nredis = unix:relative.sock\n" TENANT,
            "unix:/absolute/path", "relative unix socket");
    refused("[broker]\nredis = [::1\n" TENANT, "[address]:port",
            "unclosed bracket");
    refused("[broker]\nredis_db = -1\n" TENANT, "redis_db", "negative db");
    refused("[broker]\nredis_db = 1x\n" TENANT, "redis_db", "db 1x");
}


static void
test_errors(void)
{
    refused("", "no [tenant NAME] section", "empty file");
    refused("[broker]\n", "no [tenant NAME] section", "no tenant");
    refused("redis = x\n" TENANT, "broker.conf:1: \"redis\" outside a "
            "section", "a value before any section");
    refused("[broker]\nfoo = 1\n" TENANT, "broker.conf:2: unknown name "
            "\"foo\" in [broker]", "unknown broker name");
    refused(TENANT "colour = blue\n", "broker.conf:5: unknown name "
            "\"colour\" in a [tenant] section", "unknown tenant name");
    refused("[broker]\nskew = 1s\nskew = 2s\n" TENANT,
            "broker.conf:3: \"skew\" is duplicate", "duplicate name");
    refused("[broker]\n[broker]\n" TENANT, "[broker] is duplicate",
            "duplicate [broker]");
    refused(TENANT TENANT, "broker.conf:5: [tenant contoso] is duplicate "
            "(line 1)", "duplicate tenant");
    refused("[broker\n" TENANT, "ends with \"]\"", "unclosed section");
    refused("[cluster]\n" TENANT, "unknown section [cluster]",
            "unknown section");
    refused("[tenant]\n", "a tenant's name", "tenant without a name");
    refused("[tenant a/b]\n", "a tenant's name", "tenant name with /");
    refused("[broker]\njust words\n" TENANT, "broker.conf:2: expected",
            "no =");
    refused("[broker]\nskew =\n" TENANT, "\"skew\" has no value", "empty");
    refused("[broker]\nskew = 1 s\n" TENANT, "not a duration", "1 s");
    refused("[broker]\nskew = 1d\n" TENANT, "not a duration", "1d");
    refused("[broker]\nskew = -1\n" TENANT, "not a duration", "-1");
    refused("[broker]\nskew = 2h\n" TENANT, "skew must be from 0 to 1h",
            "skew 2h");
    refused("[broker]\ntimeout = 50ms\n" TENANT, "timeout must be from",
            "timeout 50ms");
    refused("[broker]\ntimeout = 1s\nconnect_timeout = 2s\n" TENANT,
            "connect_timeout must be from 100ms to timeout",
            "connect_timeout > timeout");
    refused("[broker]\nbackoff_min = 10s\nbackoff_max = 5s\n" TENANT,
            "backoff_max is less than backoff_min", "backoff_max < min");
    refused("[broker]\nlock_ttl = 500ms\n" TENANT, "lock_ttl must be",
            "lock_ttl 500ms");
    refused("[broker]\ncheck_interval = 500ms\n" TENANT,
            "check_interval must be from 1s to 1h", "check_interval 500ms");
    refused("[broker]\nlog_level = verbose\n" TENANT, "log_level is",
            "log_level verbose");
    refused("[broker]\nca_file = certs.pem\n" TENANT,
            "\"certs.pem\" is not an absolute path", "relative ca_file");

    refused("[broker]\nauthority = http://login.microsoftonline.com\n"
            TENANT, "plain http only to", "http to a remote authority");
    refused("[broker]\nauthority = http://127.0.0.1.evil.com\n" TENANT,
            "plain http only to", "http to a look-alike of loopback");
    refused("[broker]\nauthority = ftp://x\n" TENANT, "not an https:// URL",
            "ftp");
    refused("[broker]\nauthority = https://user@login.example\n" TENANT,
            "not a plain URL", "user in the authority");
    refused("[broker]\nauthority = https://login.example/?x=1\n" TENANT,
            "not a plain URL", "query in the authority");
    refused("[broker]\nauthority = https://\n" TENANT, "not a plain URL",
            "no host");

    refused("[tenant a]\nclient_id = " GUID1 "\n"
            "client_secret_file = /s\n", "[tenant a] has no tenant_id",
            "no tenant_id");
    refused("[tenant a]\ntenant_id = " GUID2 "\n"
            "client_secret_file = /s\n", "broker.conf:1: [tenant a] has no "
            "client_id", "no client_id (the section's line)");
    refused("[tenant a]\ntenant_id = " GUID2 "\nclient_id = " GUID1 "\n",
            "has no credential", "no credential");
    refused("[tenant a]\ntenant_id = " GUID2 "\nclient_id = " GUID1 "\n"
            "client_secret_file = /s\ncertificate = /c\nprivate_key = /k\n",
            "both client_secret_file and a certificate", "both");
    refused("[tenant a]\ntenant_id = " GUID2 "\nclient_id = " GUID1 "\n"
            "certificate = /c\n", "needs both certificate and private_key",
            "certificate alone");
    refused("[tenant a]\ntenant_id = " GUID2 "\nclient_id = " GUID1 "\n"
            "client_secret_file = /s\nassertion_alg = PS256\n",
            "assertion_alg is for a certificate", "alg with a secret");
    refused("[tenant a]\ntenant_id = " GUID2 "\nclient_id = " GUID1 "\n"
            "certificate = /c\nprivate_key = /k\nassertion_alg = HS256\n",
            "assertion_alg is RS256 or PS256", "HS256");
    refused("[tenant a]\ntenant_id = common\n", "client credentials need "
            "the directory's own id", "tenant common");
    refused("[tenant a]\ntenant_id = organizations\n", "own id",
            "tenant organizations");
    refused("[tenant a]\ntenant_id = ../../evil\n", "neither a GUID nor a "
            "domain", "a path in tenant_id");
    refused("[tenant a]\ntenant_id = contoso\n", "neither a GUID nor a "
            "domain", "a single label");
    refused("[tenant a]\ntenant_id = contoso..com\n", "neither", "..");
    refused("[tenant a]\ntenant_id = a.com?x=1\n", "neither", "query");
    refused("[tenant a]\nclient_id = 1234\n", "is not a GUID", "client_id");
    refused("[tenant a]\nclient_id = " GUID1 "0\n", "is not a GUID",
            "client_id too long");
    refused("[tenant a]\nclient_id = 11111111-2222-3333-4444_555555555555\n",
            "is not a GUID", "client_id with _");
    refused("[tenant a]\nclient_secret_file = secret.txt\n",
            "not an absolute path", "relative secret file");
    refused("[tenant a]\nkey = a b\n", "no spaces", "key with a space");
    refused("[tenant a]\nscope = https://graph.microsoft.com/Mail.Send\n",
            "RESOURCE/.default", "a delegated scope");
    refused("[tenant a]\nscope = a/.default b/.default\n",
            "RESOURCE/.default", "two scopes");
    refused("[tenant a]\ntenant_id = " GUID2 "\nclient_id = " GUID1 "\n"
            "client_secret_file = /s\nkey = graph:token:contoso\n" TENANT,
            "[tenant contoso] writes the key \"graph:token:contoso\" of "
            "[tenant a]", "two tenants, one key");
    refused("[tenant a]\ntenant_id = " GUID2 "\nclient_id = " GUID1 "\n"
            "client_secret_file = /s\nkey = graph:token:contoso:lock\n"
            TENANT,
            "[tenant contoso] writes the key \"graph:token:contoso:lock\" "
            "of [tenant a]", "a key that is another's KEY:lock");
    refused("[tenant a]\ntenant_id = " GUID2 "\nclient_id = " GUID1 "\n"
            "client_secret_file = /s\nkey = x\n"
            "[tenant b]\ntenant_id = " GUID2 "\nclient_id = " GUID1 "\n"
            "client_secret_file = /s\nkey = x:broker\n",
            "[tenant b] writes the key \"x:broker\" of [tenant a] "
            "(its KEY:broker)", "a key on another's KEY:broker");
    refused("[tenant a]\ntenant_id = " GUID2 "\nclient_id = " GUID1 "\n"
            "client_secret_file = /s\nkey = x:fence\n"
            "[tenant b]\ntenant_id = " GUID2 "\nclient_id = " GUID1 "\n"
            "client_secret_file = /s\nkey = x\n",
            "[tenant b] writes the key \"x:fence\" of [tenant a]",
            "its KEY:fence on another's key");

    {
        gab_conf_t  conf;
        int         rc;
        char        text[] = "[broker]\nskew = 1s\n\0" TENANT;

        memset(&conf, 0, sizeof(gab_conf_t));
        rc = gab_conf_parse(text, sizeof(text) - 1, "broker.conf", &conf,
                            err, sizeof(err));
        ok(rc == -1 && strstr(err, "NUL"), "refused: a NUL character");
        gab_conf_free(&conf);
    }

    {
        char  *text;
        size_t n;

        n = 2000;
        text = malloc(n + 64);
        strcpy(text, "[broker]\nredis = ");
        memset(text + strlen(text), 'a', n);
        strcpy(text + 17 + n, "\n");
        refused(text, "longer than 1024 bytes", "a very long value");
        free(text);
    }
}


static void
test_duration(void)
{
    is_int(gab_conf_duration("0"), 0, "0");
    is_int(gab_conf_duration("15"), 15000, "15");
    is_int(gab_conf_duration("15s"), 15000, "15s");
    is_int(gab_conf_duration("250ms"), 250, "250ms");
    is_int(gab_conf_duration("5m"), 300000, "5m");
    is_int(gab_conf_duration("2h"), 7200000, "2h");
    is_int(gab_conf_duration("720h"), 2592000000LL, "720h (30 days)");
    is_int(gab_conf_duration("721h"), -1, "721h");
    is_int(gab_conf_duration("99999999999999999999"), -1, "overflow");
    is_int(gab_conf_duration("s"), -1, "s");
    is_int(gab_conf_duration(""), -1, "empty");
    is_int(gab_conf_duration("1.5s"), -1, "1.5s");
    is_int(gab_conf_duration("1S"), -1, "1S");
    is_int(gab_conf_duration("1sec"), -1, "1sec");

    is_int(gab_conf_log_level("error"), GAB_LOG_ERR, "error");
    is_int(gab_conf_log_level("warn"), GAB_LOG_WARN, "warn");
    is_int(gab_conf_log_level("info"), GAB_LOG_INFO, "info");
    is_int(gab_conf_log_level("debug"), GAB_LOG_DEBUG, "debug");
    is_int(gab_conf_log_level("Info"), -1, "Info");
    ok(strcmp(gab_conf_log_level_name(GAB_LOG_WARN), "warn") == 0,
       "level name");
}


static void
test_load(void)
{
    int         rc;
    gab_conf_t  conf;

    memset(&conf, 0, sizeof(gab_conf_t));
    rc = gab_conf_load("/nonexistent/broker.conf", &conf, err, sizeof(err));
    if (!ok(rc == -1
            && strstr(err, "/nonexistent/broker.conf: No such file"),
            "load: a missing file"))
    {
        diag("%s", err);
    }
    gab_conf_free(&conf);

    memset(&conf, 0, sizeof(gab_conf_t));
    rc = gab_conf_load("/", &conf, err, sizeof(err));
    if (!ok(rc == -1 && strstr(err, "not a regular file"),
            "load: a directory"))
    {
        diag("%s", err);
    }
    gab_conf_free(&conf);
}


int
main(void)
{
    test_defaults();
    test_full();
    test_redis();
    test_errors();
    test_duration();
    test_load();

    return done_testing();
}
