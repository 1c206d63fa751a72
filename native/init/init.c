/*
 * engine-init PLAN_FD STATUS_FD
 *
 * The container's first program (see init.h). Its steps, in order, each reported by name when
 * it fails (plan.h, enum init_step):
 *   signals reset, not dumpable -> the plan -> wait for the parent (user namespace maps) ->
 *   join namespaces -> fork into a joined PID namespace -> new session -> the root (mounts,
 *   devices, createContainer hooks, pivot_root) -> sysctls, masked and read-only paths ->
 *   hostname -> lo up -> oom_score_adj, nice, CPUs, personality, rlimits -> terminal or stdio ->
 *   cwd -> the command looked up -> seccomp (without no_new_privs) -> READY -> the start gate ->
 *   user and capabilities -> no_new_privs -> startContainer hooks -> seccomp (with
 *   no_new_privs) -> exec.
 * Before anything can fail after the command's lookup, the message that explains it is written
 * to the container's stderr BEFORE the step is reported, so the runtime never ends the process
 * between the two and loses the message.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* The kernel's struct sigaction (x86_64 rt_sigaction ABI): glibc's sigaction() refuses its
 * reserved signals 32 and 33, and an ignored disposition of those must not survive either. */
struct kernel_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask;
};

static void set_all_signals(void (*handler)(int))
{
	struct kernel_sigaction act = { handler, 0, NULL, 0 };
	for (int sig = 1; sig < 65; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		syscall(SYS_rt_sigaction, sig, &act, NULL, sizeof act.mask);
	}
}

static void unblock_all(void)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Marks every descriptor from `low` on close-on-exec (close_range, or one by one without it). */
static int cloexec_from(int low)
{
	if (syscall(SYS_close_range, (unsigned)low, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	struct dirent *de;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		if (fd >= low && fd != dirfd(d))
			fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
	}
	closedir(d);
	return 0;
}

static void wait_parent(const struct plan *p)
{
	char c = 0;
	ssize_t n;
	do n = read((int)p->wait_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || c != 'p')
		_exit(EXIT_SETUP_FAILED); /* the runtime went away or cancelled */
	close((int)p->wait_fd);
}

static void join_namespaces(const struct plan *p)
{
	for (size_t i = 0; i < p->njoins; i++) {
		if (setns((int)p->joins[i].fd, (int)p->joins[i].type) < 0) {
			report(STEP_JOIN_NS, errno, 0, (int32_t)i);
			_exit(EXIT_SETUP_FAILED);
		}
		close((int)p->joins[i].fd);
	}
}

/* A joined PID namespace holds the children of who joined it: the process that runs the command
 * is a child, made the runtime's own child (CLONE_PARENT) so the runtime can wait for it. */
static void fork_into_pid_namespace(void)
{
	/* The child's records must follow CHILD_PID on the status pipe: it waits for EOF on this
	 * pipe, which comes when the parent has reported and exited. */
	int order[2];
	if (pipe2(order, O_CLOEXEC) < 0)
		fail(STEP_FORK);
	long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, 0);
	if (pid < 0)
		fail(STEP_FORK);
	if (pid > 0) {
		report(STEP_CHILD_PID, 0, 0, (int32_t)pid);
		_exit(0);
	}
	close(order[1]);
	char c;
	ssize_t n;
	do n = read(order[0], &c, 1);
	while (n < 0 && errno == EINTR);
	close(order[0]);
}

static void process_settings(const struct plan *p)
{
	if (p->has_oom_score_adj) {
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		char buf[16];
		int n = snprintf(buf, sizeof buf, "%d", p->oom_score_adj);
		if (fd < 0 || write_all(fd, buf, (size_t)n) < 0)
			fail(STEP_OOM_SCORE);
		close(fd);
	}
	if (p->has_nice && setpriority(PRIO_PROCESS, 0, p->nice) < 0)
		fail(STEP_NICE);
	if (p->has_cpus && sched_setaffinity(0, sizeof p->cpus, &p->cpus) < 0)
		fail(STEP_AFFINITY);
	if (p->has_personality && personality(p->personality) < 0)
		fail(STEP_PERSONALITY);
	apply_rlimits(p);
}

static void stdio(const struct plan *p)
{
	if (!p->has_stdio)
		return;
	for (int i = 0; i < 3; i++) {
		int fd = p->stdio[i];
		if (fd == i)
			continue;
		if (fd < 0) {
			fd = open("/dev/null", i == 0 ? O_RDONLY : O_WRONLY);
			if (fd < 0)
				fail(STEP_STDIO);
		}
		if (dup2(fd, i) < 0)
			fail(STEP_STDIO);
	}
}

/* The command, as execvp would find it: the first candidate that exists. Returns it, or exits
 * 127 (nothing there) or 126 (there, but not something that can be executed). */
static const char *look_up(const struct plan *p)
{
	int saw_other = 0, other_err = 0;
	for (size_t i = 0; i < p->candidates.n; i++) {
		struct stat st;
		const char *c = p->candidates.v[i];
		if (stat(c, &st) < 0) {
			if (errno != ENOENT && errno != ENOTDIR) {
				saw_other = 1;
				other_err = errno;
			}
			continue;
		}
		if (S_ISREG(st.st_mode) && (st.st_mode & 0111))
			return c;
		saw_other = 1;
		other_err = EACCES;
	}
	if (saw_other) {
		say("exec ", p->argv.v[0], ": permission denied or not an executable");
		report(STEP_EXEC, other_err, 0, 0);
		_exit(EXIT_NOT_EXECUTABLE);
	}
	say("exec ", p->argv.v[0], ": command not found");
	report(STEP_EXEC, ENOENT, 0, 0);
	_exit(EXIT_NOT_FOUND);
}

static void start_gate(const struct plan *p)
{
	if (p->gate_kind == GATE_PIPE) {
		char c = 0;
		ssize_t n;
		do n = read((int)p->gate_fd, &c, 1);
		while (n < 0 && errno == EINTR);
		if (n != 1 || c != 'g')
			_exit(EXIT_SETUP_FAILED); /* the runtime cancelled the start, or is gone */
	} else if (p->gate_kind == GATE_FIFO) {
		/* runc's exec.fifo: opening it for writing blocks until `start` opens it for reading */
		char path[64];
		snprintf(path, sizeof path, "/proc/self/fd/%u", p->gate_fd);
		int fd;
		do fd = open(path, O_WRONLY | O_CLOEXEC);
		while (fd < 0 && errno == EINTR);
		if (fd < 0 || write_all(fd, "0", 1) < 0)
			fail(STEP_GATE);
		close(fd);
	}
	if (p->gate_kind != GATE_NONE)
		close((int)p->gate_fd);
}

int main(int argc, char **argv)
{
	struct plan p;
	unblock_all();
	set_all_signals(SIG_DFL);
	/* A write to a runtime that has gone must fail, not kill: restored to default before exec. */
	signal(SIGPIPE, SIG_IGN);
	/* Nothing in the container may open this process's /proc/<pid>/exe (CVE-2019-5736) or
	 * ptrace it before it has executed the command. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (argc != 3)
		_exit(EXIT_SETUP_FAILED);
	status_fd = atoi(argv[2]);
	if (plan_read(atoi(argv[1]), &p) < 0)
		fail(STEP_PLAN);
	close(atoi(argv[1]));

	/* A supervisor killed outright must not leave containers behind: killing PID 1 of the
	 * namespace ends every process in it. (engine-oci sets none: its containers outlive it.) */
	if (p.pdeathsig && prctl(PR_SET_PDEATHSIG, p.pdeathsig, 0, 0, 0) < 0)
		fail(STEP_SETSID);
	if (p.userns) {
		if (unshare(CLONE_NEWUSER) < 0)
			fail(STEP_UNSHARE);
		report(STEP_USERNS, 0, 0, 0);
	}
	if (p.wait_parent)
		wait_parent(&p);
	if (p.become_root && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		fail(STEP_USER);
	join_namespaces(&p);
	if (p.unshare_flags && unshare(p.unshare_flags) < 0)
		fail(STEP_UNSHARE);
	/* a joined PID namespace, or one just unshared: it holds the children of who made it */
	if (p.fork_after_join || (p.unshare_flags & CLONE_NEWPID))
		fork_into_pid_namespace();
	if ((p.setsid || p.has_console) && setsid() < 0 && errno != EPERM)
		fail(STEP_SETSID);

	int used_chroot = 0;
	if (p.rootfs && *p.rootfs)
		setup_root(&p, &used_chroot);
	apply_masks(&p);
	if (p.has_hostname && sethostname(p.hostname, strlen(p.hostname)) < 0)
		fail(STEP_HOSTNAME);
	if (p.has_domainname && setdomainname(p.domainname, strlen(p.domainname)) < 0)
		fail(STEP_HOSTNAME);
	if (p.loopback_up && loopback_up() < 0)
		fail(STEP_LOOPBACK);
	process_settings(&p);
	if (p.has_console)
		setup_console(&p);
	else
		stdio(&p);
	if (p.cwd && chdir(p.cwd) < 0) {
		/* a working directory that is not there yet is made, inside the root (runc, Docker -w) */
		int root = errno == ENOENT ? open("/", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
		int made = root >= 0 && mkdir_p_in_root(root, p.cwd, 0755, 0) == 0;
		if (root >= 0)
			close(root);
		if (!made || chdir(p.cwd) < 0)
			fail(STEP_CWD);
	}

	const char *path = look_up(&p);
	/* Every descriptor of the runtime closes at exec (the status pipe too, so EOF on it after
	 * READY means the command is executing). Marked now: a seccomp profile older than
	 * close_range(2) would refuse it later. Everything opened from here on is close-on-exec. */
	if (cloexec_from(3 + (int)p.keep_fds) < 0)
		fail(STEP_EXEC);
	if (!p.no_new_privs)
		install_seccomp(&p); /* needs CAP_SYS_ADMIN without no_new_privs: before the drop */

	report(STEP_READY, 0, used_chroot ? STATUS_CHROOT : 0, 0);
	/* The gate is passed as root: runc's exec.fifo is opened through /proc/self/fd, which a
	 * non-dumpable process may no longer do once it is another user. */
	start_gate(&p);
	switch_user_and_caps(&p);
	if (p.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail(STEP_NO_NEW_PRIVS);
	run_hooks(&p, HOOK_START_CONTAINER);
	if (p.no_new_privs)
		install_seccomp(&p); /* as late as possible */

	signal(SIGPIPE, SIG_DFL);
	execve(path, p.argv.v, p.env.v);
	int err = errno;
	signal(SIGPIPE, SIG_IGN);
	say("exec ", p.argv.v[0], err == ENOENT ? ": no such file or directory (a missing interpreter?)" : ": permission denied or not an executable");
	report(STEP_EXEC, err, 0, 0);
	_exit(err == ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE);
}
