/*
 * seccomp-exec: installs a raw BPF seccomp program from a file, then executes a program under it.
 * A test helper for the seccomp compiler: it does what the container's child does as its last
 * step before execve (no_new_privs, then seccomp(SECCOMP_SET_MODE_FILTER)), nothing more.
 *
 * Usage: seccomp-exec [--private] [--flags N] FILTER.bpf PROGRAM [ARG...]
 *   --private   first move into a new mount and UTS namespace (root only), so that a probe the
 *               filter wrongly lets through cannot mount on or rename the host
 *   --flags N   SECCOMP_FILTER_FLAG_* bits for seccomp(2)
 * Exits 125 with a message when the filter cannot be installed; otherwise becomes PROGRAM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void fail(const char *what)
{
    fprintf(stderr, "seccomp-exec: %s: %s\n", what, strerror(errno));
    exit(125);
}

int main(int argc, char *argv[])
{
    int i = 1, private_ns = 0;
    unsigned long flags = 0;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--private") == 0)
            private_ns = 1;
        else if (strcmp(argv[i], "--flags") == 0 && i + 1 < argc)
            flags = strtoul(argv[++i], NULL, 0);
        else
            break;
    }
    if (argc - i < 2) {
        fputs("usage: seccomp-exec [--private] [--flags N] FILTER.bpf PROGRAM [ARG...]\n", stderr);
        return 125;
    }
    int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail(argv[i]);
    struct stat st;
    if (fstat(fd, &st) != 0)
        fail("fstat");
    if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0 || st.st_size > 65536) {
        fprintf(stderr, "seccomp-exec: %s: not a BPF program (%lld bytes)\n", argv[i], (long long)st.st_size);
        return 125;
    }
    struct sock_filter *insns = malloc((size_t)st.st_size);
    if (!insns || read(fd, insns, (size_t)st.st_size) != st.st_size)
        fail("read");
    close(fd);

    if (private_ns) {
        if (unshare(CLONE_NEWNS | CLONE_NEWUTS) != 0)
            fail("unshare");
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
            fail("mount --make-rprivate /");
    }
    struct sock_fprog prog = { .len = (unsigned short)(st.st_size / sizeof(struct sock_filter)), .filter = insns };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        fail("prctl(PR_SET_NO_NEW_PRIVS)");
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) != 0)
        fail("seccomp(SECCOMP_SET_MODE_FILTER)");
    execv(argv[i + 1], &argv[i + 1]);
    fail(argv[i + 1]);
    return 125;
}
