
/*
 * ga_random: the pool hands each byte out once, across refills and
 * requests of any length, and forget() starts a new pool (a forked
 * worker must not repeat its master's bytes).
 */

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ga_random.h"


#define DRAWS  2000


int
main(void)
{
    size_t   i, j, n, total, same;
    u_char  *all, a[16], b[16], big[10000];

    /* 16-byte ids: no two alike in 2000 (8 refills of the pool) */

    all = malloc(DRAWS * 16);

    for (i = 0; i < DRAWS; i++) {
        if (ga_random_bytes(all + i * 16, 16) != 0) {
            break;
        }
    }

    ok(i == DRAWS, "2000 ids of 16 bytes");

    same = 0;

    for (i = 0; i < DRAWS; i++) {
        for (j = i + 1; j < DRAWS; j++) {
            if (memcmp(all + i * 16, all + j * 16, 16) == 0) {
                same++;
            }
        }
    }

    ok(same == 0, "no two ids alike (%zu pairs equal)", same);

    /* lengths that straddle the pool's end, and one larger than it */

    total = 0;

    for (n = 1; n < 700; n += 37) {
        ok(ga_random_bytes(big, n) == 0, "%zu bytes", n);
        total += n;
    }

    ok(ga_random_bytes(big, sizeof(big)) == 0, "10000 bytes at once");

    for (i = 0, n = 0; i + 16 <= sizeof(big); i += 16) {
        n += (memcmp(big + i, all, 16) == 0);
    }

    ok(n == 0, "a long draw repeats no earlier id");

    /* forget(): the next bytes are new ones, not the pool's rest */

    ok(ga_random_bytes(a, sizeof(a)) == 0, "an id before forget");
    ga_random_forget();
    ok(ga_random_bytes(b, sizeof(b)) == 0, "an id after forget");
    ok(memcmp(a, b, sizeof(a)) != 0, "they differ");

    free(all);

    (void) total;

    return done_testing();
}
