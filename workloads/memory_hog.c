/*
 * memory_hog: memory-pressure workload (static; copied into container rootfs as /memory_hog).
 *
 * Usage: memory_hog [--max MIB] [--hold] [--fast] [CHUNK_MIB [STEP_MS]]
 *   CHUNK_MIB  MiB allocated and touched (memset) per step, 1..65536   (default 8)
 *   STEP_MS    pause between steps in milliseconds, 0..86400000         (default 1000)
 *   --max MIB  stop allocating once the total reaches MIB (default: no limit)
 *   --hold     after --max is reached (or malloc fails) keep the memory and sleep until
 *              killed, instead of exiting 0
 *   --fast     no pause between steps (same as STEP_MS 0): for enforcement benchmarks
 *
 * Output (stdout, flushed per line; same format as the seed):
 *   allocation=N chunk=CMB total=TMB            one line per step, after the chunk is touched
 *   memory_hog reached max total=TMB            when --max is reached
 *   malloc failed after N allocations           when malloc fails (exit 1 unless --hold)
 * Bad arguments print a usage line on stderr and exit 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *usage_line =
    "usage: memory_hog [--max MIB] [--hold] [--fast] [CHUNK_MIB [STEP_MS]]\n";

static void usage(void)
{
    fputs(usage_line, stderr);
    exit(2);
}

static unsigned long parse_ulong(const char *s, unsigned long min, unsigned long max)
{
    char *end = NULL;
    if (!s || !*s || *s == '-' || *s == '+')
        usage();
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < min || v > max)
        usage();
    return v;
}

static void sleep_ms(unsigned long ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void hold_forever(void)
{
    for (;;)
        pause();
}

int main(int argc, char *argv[])
{
    unsigned long chunk_mib = 8, step_ms = 1000, max_mib = 0;
    int hold = 0, fast = 0, npos = 0;
    const char *pos[2] = { NULL, NULL };

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--max") == 0) {
            if (++i >= argc)
                usage();
            max_mib = parse_ulong(argv[i], 1, 1UL << 30);
        } else if (strncmp(a, "--max=", 6) == 0) {
            max_mib = parse_ulong(a + 6, 1, 1UL << 30);
        } else if (strcmp(a, "--hold") == 0) {
            hold = 1;
        } else if (strcmp(a, "--fast") == 0) {
            fast = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_line, stdout);
            return 0;
        } else if (a[0] == '-' && a[1] != '\0') {
            usage();
        } else {
            if (npos >= 2)
                usage();
            pos[npos++] = a;
        }
    }
    if (pos[0])
        chunk_mib = parse_ulong(pos[0], 1, 65536);
    if (pos[1])
        step_ms = parse_ulong(pos[1], 0, 86400000UL);
    if (fast)
        step_ms = 0;

    const size_t chunk_bytes = (size_t)chunk_mib * 1024u * 1024u;
    unsigned long count = 0, total_mib = 0;

    for (;;) {
        if (max_mib && total_mib >= max_mib)
            break;
        char *mem = malloc(chunk_bytes);
        if (!mem) {
            printf("malloc failed after %lu allocations\n", count);
            fflush(stdout);
            if (hold)
                hold_forever();
            return 1;
        }
        memset(mem, 'A', chunk_bytes);
        count++;
        total_mib += chunk_mib;
        printf("allocation=%lu chunk=%luMB total=%luMB\n", count, chunk_mib, total_mib);
        fflush(stdout);
        if (step_ms && !(max_mib && total_mib >= max_mib))
            sleep_ms(step_ms);
    }
    printf("memory_hog reached max total=%luMB\n", total_mib);
    fflush(stdout);
    if (hold)
        hold_forever();
    return 0;
}
