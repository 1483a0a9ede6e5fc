/*
 * Copyright (C) graph-attach authors
 */


#include <stdint.h>
#include <string.h>

#include "gab_schedule.h"
#include "tap.h"


static void
test_refresh(void)
{
    int64_t  d;
    double   r;

    /* 3599 s less a 60 s skew: 3539 s usable */

    is_int(gab_refresh_delay(3539000, 0.5), 2654250, "3/4 of the TTL");
    is_int(gab_refresh_delay(3539000, 0), 2654250 - 176950,
           "r = 0: 5 %% earlier");
    ok(gab_refresh_delay(3539000, 0.999999) <= 2654250 + 176950
       && gab_refresh_delay(3539000, 0.999999) > 2654250 + 176000,
       "r near 1: 5 %% later");

    for (r = 0; r < 1; r += 0.01) {
        d = gab_refresh_delay(7000, r);

        if (!ok(d >= 7000 * 7 / 10 && d <= 7000 * 8 / 10,
                "7 s TTL, r %.2f: between 70 and 80 %%", r))
        {
            diag("delay %lld", (long long) d);
        }
    }

    is_int(gab_refresh_delay(1000, 0.5), 500, "1 s TTL: 500 ms (floor)");
    is_int(gab_refresh_delay(1200, 0.99), 700, "1.2 s TTL: ttl - 500 cap");
    is_int(gab_refresh_delay(100, 0.5), 500, "tiny TTL: 500 ms");
}


static void
test_backoff(void)
{
    unsigned  n;
    int64_t   d, base;
    double    r;

    is_int(gab_backoff(1, 1000, 300000, 0), 500, "1st failure, r 0: 0.5 s");
    is_int(gab_backoff(1, 1000, 300000, 0.999999), 999,
           "1st failure, r near 1: 1 s");
    is_int(gab_backoff(2, 1000, 300000, 0), 1000, "2nd: 1 s to 2 s");
    is_int(gab_backoff(3, 1000, 300000, 0), 2000, "3rd: 2 s to 4 s");
    is_int(gab_backoff(9, 1000, 300000, 0), 128000, "9th: 128 s to 256 s");
    is_int(gab_backoff(10, 1000, 300000, 0), 150000, "10th: capped, 150 s");
    is_int(gab_backoff(1000, 1000, 300000, 0.5), 225000,
           "1000th: capped, no overflow");
    is_int(gab_backoff(4000000000u, 100, 86400000, 0), 43200000,
           "a huge count: capped");
    is_int(gab_backoff(0, 1000, 300000, 0), 500, "n 0 counts as 1");

    for (n = 1; n < 20; n++) {
        base = (n < 8) ? (1000LL << (n - 1)) : 60000;
        base = (base < 60000) ? base : 60000;

        for (r = 0; r < 1; r += 0.1) {
            d = gab_backoff(n, 1000, 60000, r);

            if (!ok(d >= 500 && d <= 60000 && d >= base / 2 - 1
                    && d <= base, "failure %u, r %.1f: half fixed, half "
                    "random", n, r))
            {
                diag("delay %lld base %lld", (long long) d,
                     (long long) base);
            }
        }
    }
}


static void
test_retry_after(void)
{
    time_t  now;

    now = 1445412480;   /* Wed, 21 Oct 2015 07:28:00 GMT */

    is_int(gab_retry_after("120", now), 120000, "delay-seconds");
    is_int(gab_retry_after(" 2 ", now), 2000, "spaces");
    is_int(gab_retry_after("0", now), 0, "0");
    is_int(gab_retry_after("99999999999999999999999", now),
           GAB_RETRY_AFTER_MAX, "huge: capped at an hour");
    is_int(gab_retry_after("7200", now), GAB_RETRY_AFTER_MAX,
           "two hours: capped");
    is_int(gab_retry_after("1.5", now), -1, "a fraction is not HTTP");
    is_int(gab_retry_after("-1", now), -1, "negative");
    is_int(gab_retry_after("", now), -1, "empty");
    is_int(gab_retry_after("soon", now), -1, "a word");
    is_int(gab_retry_after("12abc", now), -1, "digits and letters");

    is_int(gab_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now), 30000,
           "HTTP-date 30 s ahead");
    is_int(gab_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now), 0,
           "HTTP-date in the past: 0");
    is_int(gab_retry_after("Thu, 22 Oct 2015 07:28:00 GMT", now),
           GAB_RETRY_AFTER_MAX, "HTTP-date a day ahead: capped");
    is_int(gab_retry_after("Wed, 21 Oct 2015 07:28:30 UTC", now), -1,
           "not GMT");
    is_int(gab_retry_after("Wed, 21 Foo 2015 07:28:30 GMT", now), -1,
           "no such month");
    is_int(gab_retry_after("Wed, 41 Oct 2015 07:28:30 GMT", now), -1,
           "day 41");
    is_int(gab_retry_after("Wed, 21 Oct 2015 25:28:30 GMT", now), -1,
           "hour 25");
    is_int(gab_retry_after("Wednesday, 21-Oct-15 07:28:30 GMT", now), -1,
           "RFC 850 dates are not taken");
}


static void
test_random(void)
{
    int     i, spread;
    double  r, lo, hi;

    lo = 1;
    hi = 0;
    spread = 1;

    for (i = 0; i < 1000; i++) {
        r = gab_random();

        if (r < 0 || r >= 1) {
            spread = 0;
        }

        lo = r < lo ? r : lo;
        hi = r > hi ? r : hi;
    }

    ok(spread, "gab_random() in [0, 1)");
    ok(lo < 0.05 && hi > 0.95, "gab_random() spreads");
    ok(gab_now() > 1700000000000LL, "gab_now() is Unix ms");
}


int
main(void)
{
    test_refresh();
    test_backoff();
    test_retry_after();
    test_random();

    return done_testing();
}
