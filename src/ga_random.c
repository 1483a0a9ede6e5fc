
/*
 * Copyright (C) graph-attach authors
 *
 * RAND_bytes() costs about 6,600 instructions a call, whatever the
 * length (its DRBG locks, looks up parameters and reseeds on schedule),
 * which was an eighth of the module's fixed cost per request.  A pool
 * of 4 KB takes it once every 256 ids.  The bytes are not secrets (an id
 * goes to Graph and back to the client); each is handed out once, and
 * wiped from the pool when it is.
 */


#include <string.h>

#include <openssl/rand.h>

#include "ga_random.h"


#define GA_RANDOM_POOL  4096


static u_char  ga_random_pool[GA_RANDOM_POOL];
static size_t  ga_random_left;      /* unused bytes, at the pool's end */


int
ga_random_bytes(u_char *out, size_t n)
{
    size_t   k;
    u_char  *p;

    while (n) {

        if (ga_random_left == 0) {
            if (RAND_bytes(ga_random_pool, GA_RANDOM_POOL) != 1) {
                return -1;
            }

            ga_random_left = GA_RANDOM_POOL;
        }

        k = (n < ga_random_left) ? n : ga_random_left;
        p = ga_random_pool + GA_RANDOM_POOL - ga_random_left;

        memcpy(out, p, k);
        memset(p, 0, k);

        ga_random_left -= k;
        out += k;
        n -= k;
    }

    return 0;
}


void
ga_random_forget(void)
{
    memset(ga_random_pool, 0, sizeof(ga_random_pool));
    ga_random_left = 0;
}
