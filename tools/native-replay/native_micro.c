/*
 * native-micro: a fixed malloc/free pattern through CPython 3.11's PyObject_Malloc and
 * PyObject_Free (pymalloc, interpreter not initialised), for bench/micro.
 *
 * usage: native-micro N ROUNDS PASSES
 *   each round mallocs N blocks of 16 + (i % 8) * 16 bytes, then frees them in the order
 *   (i * 7919) % N for i = N-1 .. 0 (N must not be a multiple of 7919). The first round
 *   is untimed (pools carved, caches warm). Prints one JSON line per pass:
 *   {"pass":k,"ns_per_op":X}
 */
#include <Python.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void one_round(void **ptrs, long n) {
    for (long i = 0; i < n; i++) ptrs[i] = PyObject_Malloc((size_t)(16 + (i % 8) * 16));
    for (long i = n - 1; i >= 0; i--) PyObject_Free(ptrs[(i * 7919) % n]);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: native-micro N ROUNDS PASSES\n");
        return 2;
    }
    long n = atol(argv[1]), rounds = atol(argv[2]), passes = atol(argv[3]);
    if (n < 1 || rounds < 1 || passes < 1 || n % 7919 == 0) {
        fprintf(stderr, "native-micro: bad arguments\n");
        return 2;
    }
    void **ptrs = malloc(sizeof(void *) * (size_t)n);
    if (!ptrs) return 1;
    one_round(ptrs, n);
    for (long p = 0; p < passes; p++) {
        double t0 = now_ns();
        for (long r = 0; r < rounds; r++) one_round(ptrs, n);
        printf("{\"pass\":%ld,\"ns_per_op\":%.3f}\n", p, (now_ns() - t0) / (2.0 * (double)n * (double)rounds));
    }
    free(ptrs);
    return 0;
}
