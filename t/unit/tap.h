
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _TAP_H_INCLUDED_
#define _TAP_H_INCLUDED_


/*
 * A minimal TAP producer for the unit tests, run by prove(1):
 *
 *     ok(cond, "name %d", i);
 *     is_mem(got, got_len, expected, expected_len, "name");
 *     is_int(got, expected, "name");
 *     return done_testing();
 *
 * done_testing() prints the plan "1..N" last and returns the exit status:
 * 0 if every test passed.  Each failure prints a diagnostic on stderr.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>


static int  tap_run;
static int  tap_failed;


#if defined(__GNUC__)
#define TAP_PRINTF(f, a)  __attribute__((format(printf, f, a)))
#else
#define TAP_PRINTF(f, a)
#endif


static inline void
tap_vreport(int pass, const char *file, int line, const char *fmt,
    va_list ap)
{
    tap_run++;

    if (!pass) {
        tap_failed++;
        printf("not ");
    }

    printf("ok %d - ", tap_run);
    vprintf(fmt, ap);
    printf("\n");

    if (!pass) {
        fprintf(stderr, "#   Failed test at %s line %d\n", file, line);
    }

    fflush(stdout);
}


static inline int TAP_PRINTF(4, 5)
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    tap_vreport(pass, file, line, fmt, ap);
    va_end(ap);

    return pass;
}


static inline void
tap_dump(const char *what, const void *p, size_t len)
{
    size_t                i;
    const unsigned char  *s;

    s = p;

    fprintf(stderr, "#   %8s (%zu): \"", what, len);

    for (i = 0; i < len; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\') {
            fputc(s[i], stderr);

        } else {
            fprintf(stderr, "\\x%02x", s[i]);
        }
    }

    fprintf(stderr, "\"\n");
}


static inline int TAP_PRINTF(7, 8)
tap_is_mem(const void *got, size_t got_len, const void *exp, size_t exp_len,
    const char *file, int line, const char *fmt, ...)
{
    int      pass;
    va_list  ap;

    pass = (got_len == exp_len
            && (got_len == 0 || memcmp(got, exp, got_len) == 0));

    va_start(ap, fmt);
    tap_vreport(pass, file, line, fmt, ap);
    va_end(ap);

    if (!pass) {
        tap_dump("got", got, got_len);
        tap_dump("expected", exp, exp_len);
    }

    return pass;
}


static inline int TAP_PRINTF(5, 6)
tap_is_int(long long got, long long exp, const char *file, int line,
    const char *fmt, ...)
{
    int      pass;
    va_list  ap;

    pass = (got == exp);

    va_start(ap, fmt);
    tap_vreport(pass, file, line, fmt, ap);
    va_end(ap);

    if (!pass) {
        fprintf(stderr, "#        got: %lld\n#   expected: %lld\n", got, exp);
    }

    return pass;
}


static inline int
done_testing(void)
{
    printf("1..%d\n", tap_run);
    fflush(stdout);

    return tap_failed ? 1 : 0;
}


#define ok(cond, ...)                                                        \
    tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_mem(got, got_len, exp, exp_len, ...)                              \
    tap_is_mem(got, got_len, exp, exp_len, __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, exp, ...)                                                \
    tap_is_int((long long) (got), (long long) (exp), __FILE__, __LINE__,     \
               __VA_ARGS__)

/* a diagnostic line, shown by prove -v */
#define diag(...)                                                            \
    (fprintf(stderr, "# "), fprintf(stderr, __VA_ARGS__),                    \
     fprintf(stderr, "\n"))


#endif /* _TAP_H_INCLUDED_ */
