/*
 * cpu_hog: CPU-bound workload (static; copied into container rootfs as /cpu_hog).
 * A busy integer loop that never blocks, for scheduler (nice / affinity) experiments.
 *
 * Usage: cpu_hog [SECONDS]
 *   SECONDS  wall-clock run time, 1..86400 (default 10)
 *
 * Output (stdout, flushed per line; the seed's lines with extra fields appended):
 *   cpu_hog alive elapsed=S accumulator=A iterations=I rate=R/s
 *       once per elapsed second; R = iterations done during that second
 *   cpu_hog done duration=S accumulator=A iterations=I elapsed_ms=E cpu_ms=C iters_per_sec=R
 *       final line; E = wall-clock ms, C = CPU time the process got (ms),
 *       R = iterations / wall-clock seconds (compare between containers for CPU share)
 * Bad arguments print a usage line on stderr and exit 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *usage_line = "usage: cpu_hog [SECONDS]\n";

static uint64_t now_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char *argv[])
{
    unsigned long seconds = 10;

    if (argc > 2) {
        fputs(usage_line, stderr);
        return 2;
    }
    if (argc == 2) {
        if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
            fputs(usage_line, stdout);
            return 0;
        }
        char *end = NULL;
        errno = 0;
        if (argv[1][0] < '0' || argv[1][0] > '9') {
            fputs(usage_line, stderr);
            return 2;
        }
        seconds = strtoul(argv[1], &end, 10);
        if (errno || *end || seconds < 1 || seconds > 86400) {
            fputs(usage_line, stderr);
            return 2;
        }
    }

    const uint64_t start = now_ns(CLOCK_MONOTONIC);
    const uint64_t cpu_start = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    const uint64_t end_ns = start + (uint64_t)seconds * 1000000000ull;
    uint64_t next_report = start + 1000000000ull;
    volatile uint64_t accumulator = 0x9e3779b97f4a7c15ull;
    uint64_t iterations = 0, last_iterations = 0;
    unsigned long elapsed = 0;

    for (;;) {
        /* a chunk of pure computation (xorshift + multiply), then a clock check */
        uint64_t acc = accumulator;
        for (int k = 0; k < 65536; k++) {
            acc ^= acc << 13;
            acc ^= acc >> 7;
            acc ^= acc << 17;
            acc += (uint64_t)k * 0x2545f4914f6cdd1dull;
        }
        accumulator = acc;
        iterations += 65536;

        uint64_t t = now_ns(CLOCK_MONOTONIC);
        if (t >= end_ns)
            break;
        if (t >= next_report) {
            elapsed++;
            printf("cpu_hog alive elapsed=%lu accumulator=%llu iterations=%llu rate=%llu/s\n",
                   elapsed, (unsigned long long)accumulator, (unsigned long long)iterations,
                   (unsigned long long)(iterations - last_iterations));
            fflush(stdout);
            last_iterations = iterations;
            next_report += 1000000000ull;
        }
    }

    uint64_t wall_ns = now_ns(CLOCK_MONOTONIC) - start;
    uint64_t cpu_ns = now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
    double rate = wall_ns ? (double)iterations * 1e9 / (double)wall_ns : 0.0;
    printf("cpu_hog done duration=%lu accumulator=%llu iterations=%llu elapsed_ms=%llu cpu_ms=%llu "
           "iters_per_sec=%.0f\n",
           seconds, (unsigned long long)accumulator, (unsigned long long)iterations,
           (unsigned long long)(wall_ns / 1000000ull), (unsigned long long)(cpu_ns / 1000000ull), rate);
    fflush(stdout);
    return 0;
}
