/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GAB_SCHEDULE_H_INCLUDED_
#define _GAB_SCHEDULE_H_INCLUDED_


#include <stdint.h>
#include <time.h>


/*
 * When to do things, in milliseconds.  Each function that jitters takes
 * its random number r, 0 <= r < 1, from the caller (gab_random() in the
 * daemon, fixed values in the unit tests).
 */


/* Retry-After is honoured up to this (a broken answer cannot park us) */
#define GAB_RETRY_AFTER_MAX  (3600 * 1000)


/*
 * A token usable for ttl ms (expires_in less the skew) is refreshed at
 * three quarters of that, give or take 5 % of it, and at least 500 ms
 * and at most ttl - 500 ms after it was requested.
 */
int64_t gab_refresh_delay(int64_t ttl, double r);

/*
 * The wait after the n-th failure in a row (n >= 1): min doubled n - 1
 * times, at most max, then "equal jitter": half of it fixed, the other
 * half random, so that brokers that failed together do not retry
 * together.
 */
int64_t gab_backoff(unsigned n, int64_t min, int64_t max, double r);

/*
 * A Retry-After header value: delay-seconds ("120") or an HTTP-date
 * ("Wed, 21 Oct 2015 07:28:00 GMT", now the current Unix time).  The
 * delay in ms, capped at GAB_RETRY_AFTER_MAX, 0 for a date in the past;
 * -1 if the value is neither.
 */
int64_t gab_retry_after(const char *value, time_t now);

/* a random number 0 <= r < 1 from OpenSSL's generator */
double gab_random(void);

/* the wall clock in ms */
int64_t gab_now(void);


#endif /* _GAB_SCHEDULE_H_INCLUDED_ */
