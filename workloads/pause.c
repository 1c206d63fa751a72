/*
 * pause: the sandbox ("pause") container's process for the CRI lane's pod image (static; the
 * only file of localhost/engine-pause:1, at /pause). It holds the pod's namespaces open while
 * the pod's app containers join them.
 *
 * Usage: pause            (arguments are refused: usage line on stderr, exit 2)
 *   Sleeps until SIGINT or SIGTERM, then exits 0. As PID 1 of a PID namespace it inherits every
 *   orphan there, so it reaps any child that ends (SIGCHLD), leaving no zombie behind.
 *
 * Signals are taken synchronously with sigwaitinfo on a blocked set, so there is no handler
 * and no window where a signal arriving between checks could be lost.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static void reap_all(void)
{
    /* One SIGCHLD can stand for several children (signals do not queue): reap until none. */
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fputs("usage: pause (no arguments; exits 0 on SIGINT or SIGTERM)\n", stderr);
        return 2;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
        perror("pause: sigprocmask");
        return 1;
    }
    reap_all(); /* children that ended before the mask was set */
    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&set, &info);
        if (sig < 0) {
            if (errno == EINTR)
                continue;
            perror("pause: sigwaitinfo");
            return 1;
        }
        if (sig == SIGCHLD)
            reap_all();
        else
            return 0;
    }
}
