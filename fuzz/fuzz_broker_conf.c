/*
 * Copyright (C) graph-attach authors
 */


/*
 * libFuzzer target for the token broker's configuration file,
 * gab_conf_parse():
 *
 *     make -C fuzz ../build/fuzz/fuzz_broker_conf
 *
 * Any text either fails with a "file:..." message, or gives a
 * configuration that keeps the promises the daemon relies on: every
 * tenant with its ids, one credential, a key no other tenant has, a scope
 * and an authority; every duration in its range.  Nothing leaks either
 * way (ASan's leak check).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gab_conf.h"


int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    char                err[1024];
    size_t              i, j;
    gab_conf_t          conf;
    gab_tenant_conf_t  *t;

    memset(&conf, 0, sizeof(gab_conf_t));
    err[0] = '\0';

    if (gab_conf_parse((const char *) d, n, "fuzz.conf", &conf, err,
                       sizeof(err))
        != 0)
    {
        if (strncmp(err, "fuzz.conf", 9) != 0 || strlen(err) >= sizeof(err))
        {
            abort();
        }

        gab_conf_free(&conf);
        return 0;
    }

    if (conf.ntenants == 0 || conf.redis == NULL
        || (conf.redis_host == NULL) == (conf.redis_unix == NULL)
        || conf.redis_port < 1 || conf.redis_port > 65535
        || conf.redis_db < 0 || conf.authority == NULL
        || conf.skew < 0 || conf.skew > 3600000
        || conf.timeout < 100 || conf.connect_timeout < 100
        || conf.connect_timeout > conf.timeout
        || conf.lock_ttl < 1000 || conf.backoff_min < 100
        || conf.backoff_max < conf.backoff_min
        || conf.check_interval < 1000
        || conf.log_level < GAB_LOG_ERR || conf.log_level > GAB_LOG_DEBUG)
    {
        abort();
    }

    for (i = 0; i < conf.ntenants; i++) {
        t = &conf.tenants[i];

        if (t->name == NULL || t->tenant_id == NULL || t->client_id == NULL
            || t->key == NULL || t->scope == NULL || t->authority == NULL
            || (t->secret_file != NULL) == (t->certificate != NULL)
            || (t->certificate != NULL) != (t->private_key != NULL)
            || strchr(t->tenant_id, '/') || strchr(t->key, ' ')
            || (t->alg != GAB_ALG_RS256 && t->alg != GAB_ALG_PS256))
        {
            abort();
        }

        for (j = 0; j < i; j++) {
            if (strcmp(conf.tenants[j].key, t->key) == 0
                || strcmp(conf.tenants[j].name, t->name) == 0)
            {
                abort();
            }
        }
    }

    gab_conf_free(&conf);

    return 0;
}
