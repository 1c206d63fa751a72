/*
 * io_pulse: I/O-bound workload (static; copied into container rootfs as /io_pulse).
 * Each pulse appends a small line to a file, fsyncs it, reports, then sleeps.
 *
 * Usage: io_pulse [ITERATIONS [SLEEP_MS [PATH]]]
 *   ITERATIONS  number of pulses, 1..10000000          (default 20)
 *   SLEEP_MS    pause after each pulse, 0..86400000    (default 200)
 *   PATH        file written (truncated first)         (default /tmp/io_pulse.out)
 *
 * The file gets one line per pulse: "io_pulse iteration=N".
 * Output (stdout, flushed per line; the seed's format plus a final line):
 *   io_pulse wrote iteration=N                         after each write+fsync
 *   io_pulse done iterations=N path=PATH elapsed_ms=E   at the end
 * Bad arguments print a usage line on stderr and exit 2; I/O errors exit 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *usage_line = "usage: io_pulse [ITERATIONS [SLEEP_MS [PATH]]]\n";

static unsigned long parse_or_usage(const char *s, unsigned long min, unsigned long max)
{
    char *end = NULL;
    if (!s || s[0] < '0' || s[0] > '9')
        goto bad;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < min || v > max)
        goto bad;
    return v;
bad:
    fputs(usage_line, stderr);
    exit(2);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000ull + (uint64_t)ts.tv_nsec / 1000000ull;
}

int main(int argc, char *argv[])
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        fputs(usage_line, stdout);
        return 0;
    }
    if (argc > 4) {
        fputs(usage_line, stderr);
        return 2;
    }
    unsigned long iterations = argc > 1 ? parse_or_usage(argv[1], 1, 10000000UL) : 20;
    unsigned long sleep_ms = argc > 2 ? parse_or_usage(argv[2], 0, 86400000UL) : 200;
    const char *path = argc > 3 ? argv[3] : "/tmp/io_pulse.out";
    if (!*path) {
        fputs(usage_line, stderr);
        return 2;
    }

    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "io_pulse: open %s: %s\n", path, strerror(errno));
        return 1;
    }
    uint64_t start = now_ms();
    for (unsigned long i = 1; i <= iterations; i++) {
        char line[64];
        int len = snprintf(line, sizeof(line), "io_pulse iteration=%lu\n", i);
        size_t off = 0;
        while (off < (size_t)len) {
            ssize_t n = write(fd, line + off, (size_t)len - off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                fprintf(stderr, "io_pulse: write %s: %s\n", path, strerror(errno));
                close(fd);
                return 1;
            }
            off += (size_t)n;
        }
        if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
            fprintf(stderr, "io_pulse: fsync %s: %s\n", path, strerror(errno));
            close(fd);
            return 1;
        }
        printf("io_pulse wrote iteration=%lu\n", i);
        fflush(stdout);
        if (sleep_ms && i < iterations) {
            struct timespec ts = { (time_t)(sleep_ms / 1000), (long)(sleep_ms % 1000) * 1000000L };
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
        }
    }
    if (close(fd) != 0) {
        fprintf(stderr, "io_pulse: close %s: %s\n", path, strerror(errno));
        return 1;
    }
    printf("io_pulse done iterations=%lu path=%s elapsed_ms=%llu\n", iterations, path,
           (unsigned long long)(now_ms() - start));
    fflush(stdout);
    return 0;
}
