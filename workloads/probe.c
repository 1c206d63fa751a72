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
 *
 * Escape probes: each tries ONE thing and prints one line, "ok" or the errno name of the attempt
 * (e.g. "EPERM"). A preparatory step that fails prints "STEP ERRNO" (e.g. "mknod EPERM"), so a bare
 * errno always belongs to the attempt itself. They do not stop the run: the exit status is 1 if
 * any probe failed, else 0. Arguments are chosen so that nothing changes even where a probe passes.
 *   mknod-open PATH MAJ MIN   mknod a block device node PATH (removed first if present) and open it
 *                  read-only: "mknod EPERM" (no CAP_MKNOD), "EPERM" (devices cgroup), "ok"
 *   mount-tmpfs DIR      mount a tmpfs on DIR (left mounted)
 *   write-file PATH TEXT open PATH write-only (never created) and write TEXT
 *   read-file PATH       open PATH and read up to 4 KiB from it
 *   netifs               the network interfaces, space-separated, e.g. "lo"
 *   unshare FLAGS        unshare(2); FLAGS is a comma list of user,mnt,pid,net,ipc,uts,cgroup
 *   clone FLAGS          a fork-like clone(2) with FLAGS (as above, or "none"); the child exits at once
 *   clone3               clone3(2) without namespace flags ("ENOSYS" under the default profile)
 *   init-module          init_module(2) with a bogus image: EPERM (refused) vs ENOEXEC/ENOSYS (reached
 *                        the kernel's loader, or a kernel without module support)
 *   finit-module         finit_module(2) on /dev/null: the same reading
 *   settime              clock_settime(CLOCK_REALTIME) with an invalid time: EPERM (refused) vs EINVAL
 *                        (reached the kernel, which rejects the value before changing anything)
 *   settimeofday         settimeofday(2) the same way
 *   adjtime              adjtimex(2) asking for an invalid tick: EPERM without CAP_SYS_TIME (or seccomp),
 *                        EINVAL with it (the kernel checks the capability first, then the value)
 *   capset-add CAP       capset(2) adding CAP (e.g. SYS_ADMIN or 21) to the effective set
 *   keyctl               keyctl(KEYCTL_GET_KEYRING_ID) on the session keyring, creating nothing
 *   name-to-handle PATH  name_to_handle_at(2) on PATH
 *   open-by-handle [DIR] the "shocker" attack: open_by_handle_at(2) with a handle for inode 2 (the
 *                        root directory of an ext4 filesystem) through DIR's mount (default /)
 *   int80 NR [A0 [A1 [A2]]]   system call NR of the i386 ABI (int $0x80) from this 64-bit process: a
 *                  filter must cover that ABI too, or it is a way around it (x86_64 only); "SIGSEGV"
 *                  when the kernel has no i386 ABI
 *   x32 NR [A0 [A1 [A2]]]     system call NR of the x32 ABI (NR | 0x40000000) (x86_64 only)
 *   forkloop N     forks up to N children that wait; prints "COUNT ok" or "COUNT ERRNO" (the errno that
 *                  stopped it), then kills and reaps them
 *   security       CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp from /proc/self/status,
 *                  one "Key value" line each
 *   creds          "uid=R euid=E suid=S gid=R egid=E sgid=S groups=G1,G2" (groups empty when none)
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
#include <setjmp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *usage_line =
    "usage: probe pid|ppid|hostname|id|cwd|fds|fdlinks|stdin|mounts|nice|cpus|ns|cgroup|sigmask|env|"
    "hold|ignore-term | args ARG... | sleep MS | write BYTES | write-err BYTES | trickle BYTES MS | exit N | raise SIG | segv "
    "| mknod-open PATH MAJ MIN | mount-tmpfs DIR | write-file PATH TEXT | read-file PATH | netifs | unshare FLAGS | "
    "clone FLAGS | clone3 | init-module | finit-module | settime | settimeofday | adjtime | capset-add CAP | keyctl | "
    "name-to-handle PATH | open-by-handle [DIR] | int80 NR [A0 [A1 [A2]]] | x32 NR [A0 [A1 [A2]]] | forkloop N | "
    "security | creds [...]\n";

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

/* ---- escape probes ------------------------------------------------------------------------ */

static int probe_failed;

static const char *errno_name(int err)
{
    const char *n = strerrorname_np(err);
    static char buf[16];
    if (n)
        return n;
    snprintf(buf, sizeof(buf), "E%d", err);
    return buf;
}

/* Reports an attempt: rc >= 0 is "ok", else the errno name (errno must still hold the error). */
static void report(long rc)
{
    if (rc >= 0) {
        puts("ok");
    } else {
        puts(errno_name(errno));
        probe_failed = 1;
    }
}

/* Reports a failed preparatory step as "STEP ERRNO". */
static void report_step(const char *step)
{
    printf("%s %s\n", step, errno_name(errno));
    probe_failed = 1;
}

static const char *need(const char *arg)
{
    if (!arg)
        usage();
    return arg;
}

static int parse_ns_flags(const char *s)
{
    static const struct { const char *name; int flag; } tab[] = {
        { "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },  { "ns", CLONE_NEWNS },       { "pid", CLONE_NEWPID },
        { "net", CLONE_NEWNET },   { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },     { "cgroup", CLONE_NEWCGROUP },
    };
    if (!s)
        usage();
    if (strcmp(s, "none") == 0)
        return 0;
    int flags = 0;
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", s);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        size_t i;
        for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
            if (strcmp(tok, tab[i].name) == 0)
                break;
        if (i == sizeof(tab) / sizeof(tab[0]))
            usage();
        flags |= tab[i].flag;
    }
    return flags;
}

static const char *const CAP_NAMES[] = {
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
    "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
    "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
    "CHECKPOINT_RESTORE",
};

static int parse_cap(const char *s)
{
    if (!s)
        usage();
    if (isdigit((unsigned char)s[0]))
        return (int)parse_num(s, 63, 0);
    if (strncasecmp(s, "CAP_", 4) == 0)
        s += 4;
    for (size_t i = 0; i < sizeof(CAP_NAMES) / sizeof(CAP_NAMES[0]); i++)
        if (strcasecmp(s, CAP_NAMES[i]) == 0)
            return (int)i;
    usage();
    return -1;
}

static void do_mknod_open(const char *path, unsigned maj, unsigned min)
{
    if (unlink(path) != 0 && errno != ENOENT) {
        report_step("unlink");
        return;
    }
    if (mknod(path, S_IFBLK | 0600, makedev(maj, min)) != 0) {
        report_step("mknod");
        return;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    report(fd);
    if (fd >= 0)
        close(fd);
}

static void do_write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        report(-1);
        return;
    }
    ssize_t n = write(fd, text, strlen(text));
    int err = errno;
    close(fd);
    errno = err;
    report(n < 0 ? -1 : 0);
}

static void do_read_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        report(-1);
        return;
    }
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));
    int err = errno;
    close(fd);
    errno = err;
    report(n < 0 ? -1 : 0);
}

static void do_netifs(void)
{
    struct if_nameindex *list = if_nameindex();
    if (!list) {
        report(-1);
        return;
    }
    for (struct if_nameindex *i = list; i->if_index != 0; i++)
        printf(i == list ? "%s" : " %s", i->if_name);
    putchar('\n');
    if_freenameindex(list);
}

static void do_clone(int flags)
{
    /* Fork-like: no new stack, the child runs on its copy of ours and leaves at once. */
    long pid = syscall(SYS_clone, (unsigned long)flags | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0)
        syscall(SYS_exit_group, 0);
    if (pid > 0)
        waitpid((pid_t)pid, NULL, 0);
    report(pid);
}

static void do_clone3(void)
{
    struct clone_args args;
    memset(&args, 0, sizeof(args));
    args.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &args, sizeof(args));
    if (pid == 0)
        syscall(SYS_exit_group, 0);
    if (pid > 0)
        waitpid((pid_t)pid, NULL, 0);
    report(pid);
}

static void do_init_module(void)
{
    static char image[64]; /* zeros: not an ELF file */
    report(syscall(SYS_init_module, image, sizeof(image), ""));
}

static void do_finit_module(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        report_step("open");
        return;
    }
    long rc = syscall(SYS_finit_module, fd, "", 0);
    int err = errno;
    close(fd);
    errno = err;
    report(rc);
}

static void do_settime(int tod)
{
    long rc;
    if (tod) {
        struct timeval tv = { .tv_sec = 0, .tv_usec = -1 }; /* invalid: checked before the capability */
        rc = syscall(SYS_settimeofday, &tv, NULL);
    } else {
        struct timespec ts = { .tv_sec = -1, .tv_nsec = 0 }; /* invalid: checked before the capability */
        rc = syscall(SYS_clock_settime, CLOCK_REALTIME, &ts);
    }
    report(rc);
}

static void do_adjtime(void)
{
    struct timex tx;
    memset(&tx, 0, sizeof(tx));
    tx.modes = ADJ_TICK;
    tx.tick = 1; /* far outside the allowed 900000/HZ..1100000/HZ: refused after the capability check */
    report(syscall(SYS_adjtimex, &tx));
}

static void do_capset_add(int cap)
{
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capget, &hdr, data) != 0) {
        report_step("capget");
        return;
    }
    data[cap / 32].effective |= 1u << (cap % 32);
    report(syscall(SYS_capset, &hdr, data));
}

static void do_keyctl(void)
{
    report(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
}

struct probe_handle {
    unsigned int handle_bytes;
    int handle_type;
    unsigned char f_handle[128];
};

static void do_name_to_handle(const char *path)
{
    struct probe_handle h;
    memset(&h, 0, sizeof(h));
    h.handle_bytes = sizeof(h.f_handle);
    int mount_id;
    report(syscall(SYS_name_to_handle_at, AT_FDCWD, path, &h, &mount_id, 0));
}

static void do_open_by_handle(const char *dir)
{
    int mfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (mfd < 0) {
        report_step("open");
        return;
    }
    struct probe_handle h;
    memset(&h, 0, sizeof(h));
    h.handle_bytes = 8;
    h.handle_type = 1;        /* FILEID_INO32_GEN */
    unsigned int ino_gen[2] = { 2, 0 }; /* inode 2, generation 0: an ext4 root directory */
    memcpy(h.f_handle, ino_gen, sizeof(ino_gen));
    long fd = syscall(SYS_open_by_handle_at, mfd, &h, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int err = errno;
    close(mfd);
    if (fd >= 0)
        close((int)fd);
    errno = err;
    report(fd);
}

static sigjmp_buf abi_fault;

static void on_abi_fault(int sig)
{
    siglongjmp(abi_fault, sig);
}

/*
 * A system call through another ABI of this CPU: i386 (int $0x80) or x32 (NR | 0x40000000). A
 * kernel without i386 emulation (or with it disabled at boot) answers int $0x80 with a fault,
 * reported as "SIGSEGV": there is then no such ABI to get around a filter with.
 */
static void do_abi_syscall(int i386, long nr, long a0, long a1, long a2)
{
#if defined(__x86_64__)
    volatile long rc = 0;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_abi_fault;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old);
    if (sigsetjmp(abi_fault, 1)) {
        sigaction(SIGSEGV, &old, NULL);
        puts("SIGSEGV");
        probe_failed = 1;
        return;
    }
    if (i386) {
        __asm__ volatile("int $0x80" : "=a"(rc) : "a"(nr), "b"(a0), "c"(a1), "d"(a2) : "r8", "r9", "r10", "r11", "memory");
    } else {
        __asm__ volatile("syscall" : "=a"(rc) : "a"(nr | 0x40000000L), "D"(a0), "S"(a1), "d"(a2) : "rcx", "r11", "memory");
    }
    sigaction(SIGSEGV, &old, NULL);
    if (rc < 0 && rc > -4096) {
        errno = (int)-rc;
        rc = -1;
    }
    report(rc);
#else
    (void)i386; (void)nr; (void)a0; (void)a1; (void)a2;
    errno = ENOSYS;
    report(-1);
#endif
}

static void do_forkloop(unsigned long long n)
{
    static pid_t kids[65536];
    unsigned long long count = 0;
    int err = 0;
    fflush(stdout);
    while (count < n) {
        pid_t pid = fork();
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            for (;;)
                pause();
        }
        if (pid < 0) {
            err = errno;
            break;
        }
        kids[count++] = pid;
    }
    for (unsigned long long i = 0; i < count; i++)
        kill(kids[i], SIGKILL);
    for (unsigned long long i = 0; i < count; i++)
        while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR)
            ;
    if (err) {
        printf("%llu %s\n", count, errno_name(err));
        probe_failed = 1;
    } else {
        printf("%llu ok\n", count);
    }
}

static void do_security(void)
{
    static const char *keys[] = { "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:" };
    FILE *f = fopen("/proc/self/status", "re");
    if (!f)
        die("/proc/self/status");
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
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

static void do_creds(void)
{
    uid_t r, e, s;
    gid_t gr, ge, gs;
    if (getresuid(&r, &e, &s) != 0 || getresgid(&gr, &ge, &gs) != 0)
        die("getresuid");
    gid_t groups[256];
    int n = getgroups(256, groups);
    if (n < 0)
        die("getgroups");
    printf("uid=%u euid=%u suid=%u gid=%u egid=%u sgid=%u groups=", r, e, s, gr, ge, gs);
    for (int i = 0; i < n; i++)
        printf(i ? ",%u" : "%u", groups[i]);
    putchar('\n');
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
        } else if (strcmp(c, "mknod-open") == 0) {
            const char *path = need(arg);
            unsigned maj = (unsigned)parse_num(i + 2 < argc ? argv[i + 2] : NULL, 4095, 0);
            unsigned min = (unsigned)parse_num(i + 3 < argc ? argv[i + 3] : NULL, 1048575, 0);
            i += 3;
            do_mknod_open(path, maj, min);
        } else if (strcmp(c, "mount-tmpfs") == 0) {
            report(mount("tmpfs", need(arg), "tmpfs", 0, "size=64k"));
            i++;
        } else if (strcmp(c, "write-file") == 0) {
            const char *path = need(arg);
            const char *text = need(i + 2 < argc ? argv[i + 2] : NULL);
            i += 2;
            do_write_file(path, text);
        } else if (strcmp(c, "read-file") == 0) {
            do_read_file(need(arg));
            i++;
        } else if (strcmp(c, "netifs") == 0) {
            do_netifs();
        } else if (strcmp(c, "unshare") == 0) {
            report(unshare(parse_ns_flags(arg)));
            i++;
        } else if (strcmp(c, "clone") == 0) {
            do_clone(parse_ns_flags(arg));
            i++;
        } else if (strcmp(c, "clone3") == 0) {
            do_clone3();
        } else if (strcmp(c, "init-module") == 0) {
            do_init_module();
        } else if (strcmp(c, "finit-module") == 0) {
            do_finit_module();
        } else if (strcmp(c, "settime") == 0) {
            do_settime(0);
        } else if (strcmp(c, "settimeofday") == 0) {
            do_settime(1);
        } else if (strcmp(c, "adjtime") == 0) {
            do_adjtime();
        } else if (strcmp(c, "capset-add") == 0) {
            do_capset_add(parse_cap(arg));
            i++;
        } else if (strcmp(c, "keyctl") == 0) {
            do_keyctl();
        } else if (strcmp(c, "name-to-handle") == 0) {
            do_name_to_handle(need(arg));
            i++;
        } else if (strcmp(c, "open-by-handle") == 0) {
            int has_dir = arg && arg[0] == '/';
            do_open_by_handle(has_dir ? arg : "/");
            i += has_dir;
        } else if (strcmp(c, "int80") == 0 || strcmp(c, "x32") == 0) {
            long nr = (long)parse_num(arg, 4095, 0);
            long a[3] = { 0, 0, 0 };
            int n = 0;
            i++;
            while (n < 3 && i + 1 < argc && isdigit((unsigned char)argv[i + 1][0]))
                a[n++] = (long)parse_num(argv[++i], 0xffffffffull, 0);
            do_abi_syscall(c[0] == 'i', nr, a[0], a[1], a[2]);
        } else if (strcmp(c, "forkloop") == 0) {
            do_forkloop(parse_num(arg, 65536, 0));
            i++;
        } else if (strcmp(c, "security") == 0) {
            do_security();
        } else if (strcmp(c, "creds") == 0) {
            do_creds();
        } else if (strcmp(c, "-h") == 0 || strcmp(c, "--help") == 0) {
            fputs(usage_line, stdout);
        } else {
            usage();
        }
        fflush(stdout);
    }
    return probe_failed ? 1 : 0;
}
