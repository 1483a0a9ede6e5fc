/*
 * Copyright (C) graph-attach authors
 */


#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "gab_schedule.h"


static int gab_http_date(const char *p, time_t *t);


int64_t
gab_refresh_delay(int64_t ttl, double r)
{
    int64_t  delay;

    delay = ttl * 3 / 4 + (int64_t) ((r - 0.5) * 2 * (ttl / 20));

    if (delay > ttl - 500) {
        delay = ttl - 500;
    }

    if (delay < 500) {
        delay = 500;
    }

    return delay;
}


int64_t
gab_backoff(unsigned n, int64_t min, int64_t max, double r)
{
    int64_t  delay;

    delay = min;

    while (n-- > 1 && delay < max) {
        delay *= 2;
    }

    if (delay > max) {
        delay = max;
    }

    return delay / 2 + (int64_t) (r * (delay - delay / 2));
}


int64_t
gab_retry_after(const char *value, time_t now)
{
    time_t       t;
    int64_t      s;
    const char  *p;

    while (*value == ' ' || *value == '\t') {
        value++;
    }

    if (*value >= '0' && *value <= '9') {
        s = 0;

        for (p = value; *p >= '0' && *p <= '9'; p++) {
            if (s < GAB_RETRY_AFTER_MAX) {
                s = s * 10 + (*p - '0');
            }
        }

        while (*p == ' ' || *p == '\t') {
            p++;
        }

        if (*p != '\0') {
            return -1;
        }

        s *= 1000;

        return s < GAB_RETRY_AFTER_MAX ? s : GAB_RETRY_AFTER_MAX;
    }

    if (gab_http_date(value, &t) != 0) {
        return -1;
    }

    if (t <= now) {
        return 0;
    }

    if (t - now >= GAB_RETRY_AFTER_MAX / 1000) {
        return GAB_RETRY_AFTER_MAX;
    }

    return (int64_t) (t - now) * 1000;
}


/* IMF-fixdate (RFC 9110, 5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT" */

static int
gab_http_date(const char *p, time_t *t)
{
    int         i;
    char       *end;
    struct tm   tm;

    static const char  *months[] = { "Jan", "Feb", "Mar", "Apr", "May",
                                     "Jun", "Jul", "Aug", "Sep", "Oct",
                                     "Nov", "Dec" };

    memset(&tm, 0, sizeof(struct tm));

    if (strlen(p) < 29 || p[3] != ',' || p[4] != ' ' || p[7] != ' '
        || p[11] != ' ' || p[16] != ' ' || p[19] != ':' || p[22] != ':'
        || strncmp(p + 25, " GMT", 4) != 0)
    {
        return -1;
    }

    for (i = 0; i < 12; i++) {
        if (strncmp(p + 8, months[i], 3) == 0) {
            break;
        }
    }

    if (i == 12) {
        return -1;
    }

    tm.tm_mon = i;

    tm.tm_mday = (int) strtol(p + 5, &end, 10);
    if (end != p + 7) {
        return -1;
    }

    tm.tm_year = (int) strtol(p + 12, &end, 10) - 1900;
    if (end != p + 16) {
        return -1;
    }

    tm.tm_hour = (int) strtol(p + 17, &end, 10);
    if (end != p + 19) {
        return -1;
    }

    tm.tm_min = (int) strtol(p + 20, &end, 10);
    if (end != p + 22) {
        return -1;
    }

    tm.tm_sec = (int) strtol(p + 23, &end, 10);
    if (end != p + 25) {
        return -1;
    }

    if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23
        || tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_year < 70)
    {
        return -1;
    }

    *t = timegm(&tm);

    return *t == (time_t) -1 ? -1 : 0;
}


double
gab_random(void)
{
    uint64_t  n;

    if (RAND_bytes((unsigned char *) &n, sizeof(n)) != 1) {
        n = (uint64_t) rand() << 32 ^ (uint64_t) rand();
    }

    return (double) (n >> 11) / (double) (1ULL << 53);
}


int64_t
gab_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);

    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
