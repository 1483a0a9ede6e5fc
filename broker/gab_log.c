/*
 * Copyright (C) graph-attach authors
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "gab_log.h"


#define GAB_LOG_LINE  2048


static int  gab_log_level = GAB_LOG_INFO;
static int  gab_log_journal;


/* syslog priorities: err, warning, info, debug */
static const int  gab_log_priority[] = { 3, 4, 6, 7 };


void
gab_log_init(int level)
{
    gab_log_level = level;
    gab_log_journal = (getenv("JOURNAL_STREAM") != NULL);
}


void
gab_log_set_level(int level)
{
    gab_log_level = level;
}


int
gab_log_enabled(int level)
{
    return level <= gab_log_level;
}


void
gab_log(int level, const char *fmt, ...)
{
    int             n, m;
    char            line[GAB_LOG_LINE], *p;
    va_list         ap;
    struct tm       tm;
    struct timeval  tv;

    if (level > gab_log_level) {
        return;
    }

    if (gab_log_journal) {
        n = snprintf(line, sizeof(line), "<%d>", gab_log_priority[level]);

    } else {
        gettimeofday(&tv, NULL);
        gmtime_r(&tv.tv_sec, &tm);

        n = snprintf(line, sizeof(line),
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ [%s] ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (int) (tv.tv_usec / 1000),
                     gab_conf_log_level_name(level));
    }

    va_start(ap, fmt);
    m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    va_end(ap);

    if (m < 0) {
        return;
    }

    n += m;

    if ((size_t) n > sizeof(line) - 2) {
        n = sizeof(line) - 2;
    }

    /* one record a line, whatever a message holds */

    for (p = line; p < line + n; p++) {
        if (*p == '\n' || *p == '\r') {
            *p = ' ';
        }
    }

    line[n++] = '\n';

    (void) !write(STDERR_FILENO, line, n);
}
