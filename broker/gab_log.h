/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GAB_LOG_H_INCLUDED_
#define _GAB_LOG_H_INCLUDED_


#include "gab_conf.h"


/*
 * Log lines go to stderr, one a line: under systemd (JOURNAL_STREAM is
 * set) with a "<N>" syslog priority prefix that journald reads, else with
 * a UTC time stamp and the level.  No line ever holds a client secret, an
 * assertion or a token: callers log names, codes and lengths only.
 */

void gab_log_init(int level);
void gab_log_set_level(int level);
int gab_log_enabled(int level);

void gab_log(int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#define gab_log_error(...)  gab_log(GAB_LOG_ERR, __VA_ARGS__)
#define gab_log_warn(...)   gab_log(GAB_LOG_WARN, __VA_ARGS__)
#define gab_log_info(...)   gab_log(GAB_LOG_INFO, __VA_ARGS__)
#define gab_log_debug(...)                                                   \
    do {                                                                     \
        if (gab_log_enabled(GAB_LOG_DEBUG)) {                                \
            gab_log(GAB_LOG_DEBUG, __VA_ARGS__);                             \
        }                                                                    \
    } while (0)


#endif /* _GAB_LOG_H_INCLUDED_ */
