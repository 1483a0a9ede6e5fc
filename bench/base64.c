
/*
 * Copyright (C) graph-attach authors
 */


/*
 * Base64 microbenchmark: GB/s of input (10^9 bytes a second) that each
 * encoder the CPU has turns into base64 on one core, through the API the
 * writer uses (init, one update a buffer, final).  Built and run by
 * `make bench-base64`; see docs/performance.md, "Base64".
 *
 *     build/bench/base64 [runs]
 *
 * Buffers of 16 KiB (the writer's output buffer: about 12 KiB of file a
 * call) and 1 MiB, in cache both.  These machines are shared and noisy:
 * each figure is the best and the median of the runs (21 by default),
 * each run about 64 MiB of input.  memcpy of the same buffer is printed
 * as the ceiling.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ga_base64.h"


#define RUN_BYTES  (64 * 1024 * 1024)
#define MAX_RUNS   101


/* the encoders' output feeds this, so no run can be optimised away */
size_t  bench_sink;


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static int
cmp_double(const void *a, const void *b)
{
    double  x, y;

    x = *(const double *) a;
    y = *(const double *) b;

    return (x > y) - (x < y);
}


/* one run: GB/s; impl < 0 is memcpy */

static double
run(int impl, const u_char *in, size_t len, u_char *out)
{
    size_t       i, iters, n, w;
    double       t;
    ga_base64_t  b;

    iters = RUN_BYTES / len;
    n = 0;

    t = now();

    for (i = 0; i < iters; i++) {

        if (impl < 0) {
            memcpy(out, in, len);
            n += out[i % len];
            continue;
        }

        ga_base64_init(&b);
        w = ga_base64_update(&b, in, len, out);
        w += ga_base64_final(&b, out + w);
        n += w;
    }

    t = now() - t;

    bench_sink += n;

    return (double) iters * len / t / 1e9;
}


int
main(int argc, char **argv)
{
    int               impl, runs, r, s;
    u_char           *in, *out;
    size_t            i, len;
    double            gbs[MAX_RUNS];
    ga_base64_impl_e  best;

    static const size_t  sizes[] = { 16 * 1024, 1024 * 1024 };

    runs = (argc > 1) ? atoi(argv[1]) : 21;

    if (runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "usage: %s [runs, 1 to %d]\n", argv[0], MAX_RUNS);
        return 2;
    }

    len = sizes[sizeof(sizes) / sizeof(sizes[0]) - 1];

    in = malloc(len);
    out = malloc(ga_base64_update_bound(len) + 4);

    if (in == NULL || out == NULL) {
        return 1;
    }

    srand(11);

    for (i = 0; i < len; i++) {
        in[i] = (u_char) rand();
    }

    best = ga_base64_select(1);

    printf("base64 encode, GB/s of input (1e9 bytes/s), one core, "
           "%d runs of %d MiB each\n", runs, RUN_BYTES >> 20);
    printf("ga_base64_select(1) takes: %s\n\n", ga_base64_name(best));
    printf("%-12s %8s %8s %8s\n", "encoder", "buffer", "best", "median");

    for (impl = -1; impl < GA_BASE64_NIMPL; impl++) {

        if (impl >= 0 && ga_base64_use((ga_base64_impl_e) impl) != 0) {
            printf("%-12s %8s %8s %8s\n", ga_base64_name(impl), "-",
                   "(not on", "this CPU)");
            continue;
        }

        for (s = 0; s < (int) (sizeof(sizes) / sizeof(sizes[0])); s++) {

            /* a warm-up run: page faults, caches, clocks */
            (void) run(impl, in, sizes[s], out);

            for (r = 0; r < runs; r++) {
                gbs[r] = run(impl, in, sizes[s], out);
            }

            qsort(gbs, runs, sizeof(double), cmp_double);

            printf("%-12s %7zuK %8.2f %8.2f\n",
                   impl < 0 ? "memcpy" : ga_base64_name(impl),
                   sizes[s] / 1024, gbs[runs - 1], gbs[runs / 2]);
        }
    }

    return 0;
}
