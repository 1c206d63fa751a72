/*
 * pid_reuse: does a runtime's `state` notice that its container's init is gone, or that its pid
 * now belongs to another process? The pid is reused on purpose, which the host cannot do
 * safely; so everything runs in a private PID namespace (and a private mount namespace for its
 * /proc), where this program is PID 1, every orphan comes back to it, and ns_last_pid is ours.
 *
 * Usage: pid_reuse RUNTIME ROOT BUNDLE ID
 * Steps (the runtime's stdout and exit code are printed after each "=== STEP" line):
 *   create, start      RUNTIME --root ROOT create --bundle BUNDLE --pid-file BUNDLE/pid.reuse ID; start ID
 *   running            state ID while the init (pid N) runs
 *   zombie             state ID after SIGKILL to N, N a zombie not yet reaped
 *   gone               state ID after N was reaped
 *   reused             state ID while another process (ours, pid N again) runs
 *   delete             delete ID
 * Lines "=== info ..." say what happened (the init's pid, the reuse).
 * Exit: 0 when every step could be carried out (whatever the runtime answered), 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *runtime, *root, *bundle, *id;

static void fail(const char *what)
{
	printf("=== info failed: %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(1);
}

/*
 * Runs the runtime with ARGS (NULL-terminated, after "--root ROOT"); stdin is /dev/null, stdout
 * and stderr are ours so its answer and any refusal are seen. Waits for that one pid only: the
 * container's init must not be reaped by accident.
 */
static int call(const char *step, const char *const *args)
{
	const char *argv[16];
	int n = 0, status;
	pid_t pid;

	argv[n++] = runtime;
	argv[n++] = "--root";
	argv[n++] = root;
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	printf("=== %s\n", step);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fail("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		if (!strcmp(step, "create") || !strcmp(step, "start"))
			dup2(null, 1); /* the container's init inherits these: keep it off our pipe */
		execv(runtime, (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		fail("waitpid runtime");
	printf("\n=== code %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	fflush(stdout);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static pid_t read_pid(const char *file)
{
	FILE *f = fopen(file, "r");
	long pid = 0;

	if (!f)
		fail("open pid file");
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return (pid_t)pid;
}

/* A child with pid TARGET, made by setting ns_last_pid just below it; 0 when the pid came out different. */
static pid_t fork_with_pid(pid_t target)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
		char buf[32];
		int len = snprintf(buf, sizeof(buf), "%d", target - 1);
		pid_t pid;

		if (fd < 0)
			fail("open ns_last_pid");
		if (write(fd, buf, len) != len)
			fail("write ns_last_pid");
		close(fd);
		pid = fork();
		if (pid < 0)
			fail("fork");
		if (pid == 0) {
			pause();
			_exit(0);
		}
		if (pid == target)
			return pid;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return 0;
}

static int pid1(void)
{
	char pidfile[4096];
	siginfo_t si;
	pid_t init, other;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fail("make / private");
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		fail("mount /proc");
	snprintf(pidfile, sizeof(pidfile), "%s/pid.reuse", bundle);

	if (call("create", (const char *[]){ "create", "--bundle", bundle, "--pid-file", pidfile, id, NULL }) != 0)
		return 1;
	if (call("start", (const char *[]){ "start", id, NULL }) != 0)
		return 1;
	init = read_pid(pidfile);
	printf("=== info init pid %d\n", init);
	call("running", (const char *[]){ "state", id, NULL });

	if (kill(init, SIGKILL) < 0)
		fail("kill init");
	/* Wait for it to die but leave it unreaped: a zombie. It is ours, as an orphan of this namespace. */
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, init, &si, WEXITED | WNOWAIT) < 0)
		fail("waitid init");
	call("zombie", (const char *[]){ "state", id, NULL });

	if (waitpid(init, NULL, 0) < 0)
		fail("reap init");
	call("gone", (const char *[]){ "state", id, NULL });

	other = fork_with_pid(init);
	if (!other) {
		printf("=== info could not get pid %d again\n", init);
		return 1;
	}
	printf("=== info pid %d reused by another process\n", other);
	call("reused", (const char *[]){ "state", id, NULL });
	kill(other, SIGKILL);
	waitpid(other, NULL, 0);

	call("delete", (const char *[]){ "delete", id, NULL });
	/* Reap whatever else came back to us (the runtime's own helpers). */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	pid_t child;
	int status;

	if (argc != 5) {
		fputs("usage: pid_reuse RUNTIME ROOT BUNDLE ID\n", stderr);
		return 2;
	}
	runtime = argv[1];
	root = argv[2];
	bundle = argv[3];
	id = argv[4];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (unshare(CLONE_NEWPID | CLONE_NEWNS) < 0)
		fail("unshare");
	child = fork();
	if (child < 0)
		fail("fork");
	if (child == 0)
		_exit(pid1());
	if (waitpid(child, &status, 0) < 0)
		fail("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
