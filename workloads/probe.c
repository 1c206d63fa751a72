/*
 * probe: inside-container check tool for end-to-end tests (static; in the rootfs as /probe
 * and /usr/bin/probe). Like crun's tests/init.c: it prints facts as seen from inside.
 *
 * Usage: probe SUBCOMMAND [ARG] [SUBCOMMAND [ARG]]...
 * Subcommands run in order, so `probe pid hostname nice` prints three lines.
 *   pid            getpid()                                     e.g. "1"
 *   ppid           getppid()                                    e.g. "0"
 *   hostname       uname() nodename                             e.g. "alpha"
 *   id             "uid=U gid=G"
 *   cwd            getcwd()
 *   fds            open fd numbers, ascending, space-separated  e.g. "0 1 2"
 *                  (from /proc/self/fd, minus the fd used to read it; falls back to fcntl
 *                  probing of 0..1023 when /proc is not mounted)
 *   fdlinks        one line per open fd: "N TARGET" (readlink of /proc/self/fd/N)
 *   stdin          "eof" if read(0) returns 0; "data N" if N bytes were readable;
 *                  "blocked" if nothing arrived within 500 ms; "closed" if fd 0 is not open
 *   mounts         /proc/self/mountinfo verbatim
 *   nice           getpriority(PRIO_PROCESS, 0)                 e.g. "10"
 *   cpus           sched_getaffinity() CPU list, comma-separated e.g. "0,1"
 *   ns             one line per namespace: "NAME TARGET" e.g. "pid pid:[4026532201]"
 *                  for cgroup ipc mnt net pid time user uts
 *   cgroup         /proc/self/cgroup verbatim
 *   sigmask        "SigBlk HEX", "SigIgn HEX", "SigCgt HEX" from /proc/self/status
 *   env            the environment, one VAR=value per line
 *   args ARG...    prints each remaining argument on its own line (consumes the rest)
 *   sleep MS       sleeps MS milliseconds
 *   write BYTES    writes BYTES bytes of the pattern to stdout
 *   write-err BYTES  the same to stderr
 *   trickle BYTES MS the same to stdout, sleeping MS milliseconds after each 64 KiB (a steady,
 *                  slow writer: a fault can then land mid-stream without gigabytes of log)
 *                  BYTES: decimal with optional K, M or G suffix (powers of 1024).
 *                  Pattern: byte i is PATTERN[i % 64] with
 *                  PATTERN = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-\n"
 *                  i.e. 64-byte lines of 63 visible characters and a newline.
 *   exit N         exits at once with status N (0..255)
 *   raise SIG      restores SIG's default action and raises it (number or name:
 *                  TERM KILL INT HUP QUIT USR1 USR2 ABRT SEGV PIPE ALRM)
 *   segv           dereferences a null pointer: a real fault, which kills even the PID 1 of a
 *                  namespace (raise() does not: init ignores signals it has no handler for)
 *   ignore-term    installs a SIGTERM handler that writes "got TERM" and carries on,
 *                  prints "ready", then sleeps forever (needs SIGKILL to end)
 *   hold           prints "ready" and sleeps forever with default signal actions
 * Output goes to stdout and is flushed after each subcommand. An unknown subcommand or bad
 * argument prints a usage line on stderr and exits 2; a failed system call exits 1.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *usage_line =
    "usage: probe pid|ppid|hostname|id|cwd|fds|fdlinks|stdin|mounts|nice|cpus|ns|cgroup|sigmask|env|"
    "hold|ignore-term | args ARG... | sleep MS | write BYTES | write-err BYTES | trickle BYTES MS | exit N | raise SIG | segv "
    "[...]\n";

static const char PATTERN[65] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-\n";

static void usage(void)
{
    fflush(stdout);
    fputs(usage_line, stderr);
    exit(2);
}

static void die(const char *what)
{
    fflush(stdout);
    fprintf(stderr, "probe: %s: %s\n", what, strerror(errno));
    exit(1);
}

static unsigned long long parse_num(const char *s, unsigned long long max, int allow_suffix)
{
    char *end = NULL;
    if (!s || !isdigit((unsigned char)s[0]))
        usage();
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        usage();
    if (allow_suffix && *end) {
        unsigned long long mul = 0;
        switch (*end) {
        case 'k': case 'K': mul = 1ull << 10; break;
        case 'm': case 'M': mul = 1ull << 20; break;
        case 'g': case 'G': mul = 1ull << 30; break;
        default: usage();
        }
        end++;
        if (v > max / mul)
            usage();
        v *= mul;
    }
    if (*end || v > max)
        usage();
    return v;
}

static void cat_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die(path);
    char buf[8192];
    fflush(stdout);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die(path);
        if (n == 0)
            break;
        fwrite(buf, 1, (size_t)n, stdout);
    }
    close(fd);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Collects open fds into out (ascending); returns count. */
static int list_fds(int *out, int max)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        int self = dirfd(d);
        struct dirent *e;
        while ((e = readdir(d)) != NULL && n < max) {
            if (!isdigit((unsigned char)e->d_name[0]))
                continue;
            int fd = atoi(e->d_name);
            if (fd != self)
                out[n++] = fd;
        }
        closedir(d);
    } else {
        for (int fd = 0; fd < 1024 && n < max; fd++)
            if (fcntl(fd, F_GETFD) != -1)
                out[n++] = fd;
    }
    qsort(out, (size_t)n, sizeof(int), cmp_int);
    return n;
}

static void do_fds(int links)
{
    int fds[4096];
    int n = list_fds(fds, 4096);
    for (int i = 0; i < n; i++) {
        if (links) {
            char p[64], target[PATH_MAX];
            snprintf(p, sizeof(p), "/proc/self/fd/%d", fds[i]);
            ssize_t len = readlink(p, target, sizeof(target) - 1);
            if (len < 0)
                strcpy(target, "?");
            else
                target[len] = '\0';
            printf("%d %s\n", fds[i], target);
        } else {
            printf(i ? " %d" : "%d", fds[i]);
        }
    }
    if (!links)
        putchar('\n');
}

static void do_stdin(void)
{
    if (fcntl(0, F_GETFD) == -1) {
        puts("closed");
        return;
    }
    struct pollfd p = { .fd = 0, .events = POLLIN };
    int r;
    while ((r = poll(&p, 1, 500)) < 0 && errno == EINTR)
        ;
    if (r < 0)
        die("poll stdin");
    if (r == 0) {
        puts("blocked");
        return;
    }
    char buf[4096];
    ssize_t n;
    while ((n = read(0, buf, sizeof(buf))) < 0 && errno == EINTR)
        ;
    if (n < 0)
        die("read stdin");
    if (n == 0)
        puts("eof");
    else
        printf("data %zd\n", n);
}

static void do_cpus(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        die("sched_getaffinity");
    int first = 1;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (CPU_ISSET(c, &set)) {
            printf(first ? "%d" : ",%d", c);
            first = 0;
        }
    }
    putchar('\n');
}

static void do_ns(void)
{
    static const char *names[] = { "cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char p[64], target[256];
        snprintf(p, sizeof(p), "/proc/self/ns/%s", names[i]);
        ssize_t len = readlink(p, target, sizeof(target) - 1);
        if (len < 0)
            continue;
        target[len] = '\0';
        printf("%s %s\n", names[i], target);
    }
}

static void do_sigmask(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    if (!f)
        die("/proc/self/status");
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        static const char *keys[] = { "SigBlk:", "SigIgn:", "SigCgt:" };
        for (int k = 0; k < 3; k++) {
            size_t kl = strlen(keys[k]);
            if (strncmp(line, keys[k], kl) == 0) {
                char *v = line + kl;
                while (*v == ' ' || *v == '\t')
                    v++;
                printf("%.*s %s", (int)(kl - 1), keys[k], v);
            }
        }
    }
    fclose(f);
}

static void sleep_ms(unsigned long long ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void do_write(int fd, unsigned long long bytes, unsigned long long pause_ms)
{
    static char buf[65536];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = PATTERN[i % 64];
    fflush(stdout);
    while (bytes > 0) {
        size_t chunk = bytes < sizeof(buf) ? (size_t)bytes : sizeof(buf);
        size_t off = 0;
        while (off < chunk) {
            ssize_t n = write(fd, buf + off, chunk - off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                die("write");
            off += (size_t)n;
        }
        bytes -= chunk;
        if (pause_ms && bytes > 0)
            sleep_ms(pause_ms);
    }
    /* every chunk but the last is a multiple of 64, so the pattern stays continuous */
}

static void on_term(int sig)
{
    (void)sig;
    static const char msg[] = "got TERM\n";
    ssize_t r = write(1, msg, sizeof(msg) - 1);
    (void)r;
}

static void sleep_forever(void)
{
    for (;;)
        pause();
}

static int parse_signal(const char *s)
{
    static const struct { const char *name; int sig; } tab[] = {
        { "TERM", SIGTERM }, { "KILL", SIGKILL }, { "INT", SIGINT },   { "HUP", SIGHUP },
        { "QUIT", SIGQUIT }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "ABRT", SIGABRT },
        { "SEGV", SIGSEGV }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },
    };
    if (!s)
        usage();
    if (isdigit((unsigned char)s[0]))
        return (int)parse_num(s, 64, 0);
    if (strncmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
        if (strcmp(s, tab[i].name) == 0)
            return tab[i].sig;
    usage();
    return 0;
}

int main(int argc, char *argv[])
{
    if (argc < 2)
        usage();
    for (int i = 1; i < argc; i++) {
        const char *c = argv[i];
        const char *arg = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(c, "pid") == 0) {
            printf("%d\n", (int)getpid());
        } else if (strcmp(c, "ppid") == 0) {
            printf("%d\n", (int)getppid());
        } else if (strcmp(c, "hostname") == 0) {
            struct utsname u;
            if (uname(&u) != 0)
                die("uname");
            printf("%s\n", u.nodename);
        } else if (strcmp(c, "id") == 0) {
            printf("uid=%d gid=%d\n", (int)getuid(), (int)getgid());
        } else if (strcmp(c, "cwd") == 0) {
            char buf[PATH_MAX];
            if (!getcwd(buf, sizeof(buf)))
                die("getcwd");
            printf("%s\n", buf);
        } else if (strcmp(c, "fds") == 0) {
            do_fds(0);
        } else if (strcmp(c, "fdlinks") == 0) {
            do_fds(1);
        } else if (strcmp(c, "stdin") == 0) {
            do_stdin();
        } else if (strcmp(c, "mounts") == 0) {
            cat_file("/proc/self/mountinfo");
        } else if (strcmp(c, "nice") == 0) {
            errno = 0;
            int p = getpriority(PRIO_PROCESS, 0);
            if (p == -1 && errno)
                die("getpriority");
            printf("%d\n", p);
        } else if (strcmp(c, "cpus") == 0) {
            do_cpus();
        } else if (strcmp(c, "ns") == 0) {
            do_ns();
        } else if (strcmp(c, "cgroup") == 0) {
            cat_file("/proc/self/cgroup");
        } else if (strcmp(c, "sigmask") == 0) {
            do_sigmask();
        } else if (strcmp(c, "env") == 0) {
            for (char **e = environ; *e; e++)
                printf("%s\n", *e);
        } else if (strcmp(c, "args") == 0) {
            for (i++; i < argc; i++)
                printf("%s\n", argv[i]);
        } else if (strcmp(c, "sleep") == 0) {
            unsigned long long ms = parse_num(arg, 86400000ull, 0);
            i++;
            fflush(stdout);
            sleep_ms(ms);
        } else if (strcmp(c, "write") == 0 || strcmp(c, "write-err") == 0) {
            unsigned long long n = parse_num(arg, 1ull << 40, 1);
            i++;
            do_write(c[5] ? 2 : 1, n, 0);
        } else if (strcmp(c, "trickle") == 0) {
            unsigned long long n = parse_num(arg, 1ull << 40, 1);
            unsigned long long ms = parse_num(i + 2 < argc ? argv[i + 2] : NULL, 60000, 0);
            i += 2;
            do_write(1, n, ms);
        } else if (strcmp(c, "exit") == 0) {
            int code = (int)parse_num(arg, 255, 0);
            fflush(stdout);
            _exit(code);
        } else if (strcmp(c, "raise") == 0) {
            int sig = parse_signal(arg);
            i++;
            fflush(stdout);
            signal(sig, SIG_DFL);
            sigset_t s;
            sigemptyset(&s);
            sigaddset(&s, sig);
            sigprocmask(SIG_UNBLOCK, &s, NULL);
            raise(sig);
            die("raise returned");
        } else if (strcmp(c, "segv") == 0) {
            fflush(stdout);
            signal(SIGSEGV, SIG_DFL);
            *(volatile int *)0 = 1;
            die("segv survived");
        } else if (strcmp(c, "ignore-term") == 0) {
            struct sigaction sa;
            memset(&sa, 0, sizeof(sa));
            sa.sa_handler = on_term;
            sa.sa_flags = SA_RESTART;
            sigemptyset(&sa.sa_mask);
            if (sigaction(SIGTERM, &sa, NULL) != 0)
                die("sigaction");
            puts("ready");
            fflush(stdout);
            sleep_forever();
        } else if (strcmp(c, "hold") == 0) {
            puts("ready");
            fflush(stdout);
            sleep_forever();
        } else if (strcmp(c, "-h") == 0 || strcmp(c, "--help") == 0) {
            fputs(usage_line, stdout);
        } else {
            usage();
        }
        fflush(stdout);
    }
    return 0;
}
