/* OCI hooks that run inside the container's namespaces: createContainer (before pivot_root) and
 * startContainer (after start, before the command). The container's state JSON goes to the
 * hook's stdin; a hook that fails or outlives its timeout fails the start. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "init.h"

static int run_one(const struct hook_entry *h)
{
	int in[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(in[0], 0);
		char *const *argv = h->args.n ? h->args.v : (char *const[]){ (char *)h->path, NULL };
		execve(h->path, argv, h->env.v);
		_exit(127);
	}
	close(in[0]);
	write_all(in[1], h->state, strlen(h->state));
	close(in[1]);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int status = 0;
	if (h->timeout && pidfd >= 0) {
		struct pollfd pf = { pidfd, POLLIN, 0 };
		int r;
		do r = poll(&pf, 1, (int)h->timeout * 1000);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(pidfd);
			errno = ETIMEDOUT;
			return -1;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = ECHILD;
		return -1;
	}
	return 0;
}

void run_hooks(const struct plan *p, uint32_t phase)
{
	for (size_t i = 0; i < p->nhooks; i++) {
		if (p->hooks[i].phase != phase)
			continue;
		if (run_one(&p->hooks[i]) < 0) {
			report(STEP_HOOK, errno, (int32_t)phase, (int32_t)i);
			_exit(EXIT_SETUP_FAILED);
		}
	}
}
