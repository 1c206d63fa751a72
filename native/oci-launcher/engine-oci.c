/*
 * engine-oci: the OCI runtime's launcher (./engine-oci is a symlink to its build, native/bin/engine-oci).
 *
 * containerd's shim and podman's conmon run a new runtime process for every verb, and Node's
 * start-up (~100-140 ms) is most of what engine-oci costs per verb. `start` of a plain created
 * container needs almost nothing: open the container's exec.fifo for reading (which releases
 * its init, blocked opening it for writing), read the byte init writes before it execs, remove
 * the fifo. This program does exactly that, and nothing else, when TypeScript said it may: `create`
 * writes <root>/<id>/fast-start ("PID STARTTICKS\n") only when start has nothing more to do (no
 * poststart hooks). It holds no policy: every other case — another verb, a flag it does not
 * know, no marker, an init that is gone, an error, no byte within a short bound — execs Node on
 * bin/engine-oci.cjs with the same arguments, which gives the real behaviour and messages.
 *
 * Nothing irreversible happens before the fallback: the fifo is opened last, and without
 * O_CLOEXEC, so a fallback after the open hands Node a reader that keeps init's write from
 * failing (a FIFO with no reader left gives the writer EPIPE). Once the byte is read the
 * container is started: from there this program finishes, it never falls back.
 *
 * ENGINE_OCI_NODE names the node binary to fall back to (default: `node` on PATH, as the
 * launcher's `#!/usr/bin/env -S node --` finds it); tests point it at nothing to prove which
 * path a start took.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* runc's default is /run/runc; engine-oci's (src/oci/state.ts DEFAULT_ROOT) */
#define DEFAULT_ROOT "/run/engine-oci"
/* init writes its byte as soon as the fifo is opened; a start that takes longer than this is left
 * to Node, which has the full story (and its own, longer, deadline) */
#define BYTE_BOUND_MS 2000

static char **orig_argv;

/* Execs node on bin/engine-oci.cjs with our own arguments; returns only if that fails. */
static void fall_back(void)
{
	char exe[PATH_MAX], launcher[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0) {
		fprintf(stderr, "engine-oci: cannot find its own path (/proc/self/exe): %s\n", strerror(errno));
		exit(127);
	}
	exe[n] = '\0';
	/* <repo>/native/bin/engine-oci -> <repo>/bin/engine-oci.cjs */
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(exe, '/');
		if (!slash || slash == exe) {
			fprintf(stderr, "engine-oci: unexpected location of its binary: %s\n", exe);
			exit(127);
		}
		*slash = '\0';
	}
	snprintf(launcher, sizeof launcher, "%s/bin/engine-oci.cjs", exe);

	int argc = 0;
	while (orig_argv[argc])
		argc++;
	char **args = calloc((size_t)argc + 4, sizeof *args);
	if (!args)
		exit(127);
	const char *node = getenv("ENGINE_OCI_NODE");
	args[0] = (char *)"node";
	args[1] = (char *)"--"; /* ends node's own options: engine-oci's flags are never node's */
	args[2] = launcher;
	for (int i = 1; i < argc; i++)
		args[i + 2] = orig_argv[i];
	if (node && *node)
		execv(node, args);
	else
		execvp("node", args);
	fprintf(stderr, "engine-oci: cannot run node (%s) for %s: %s\n", node && *node ? node : "node on PATH",
		launcher, strerror(errno));
	exit(127);
}

/* The ids checkId (src/oci/state.ts) accepts, minus those starting with '.' (listIds hides them):
 * anything else goes to Node, which explains. */
static int plain_id(const char *id)
{
	size_t len = strlen(id);
	if (len == 0 || len > 1024 || id[0] == '.')
		return 0;
	for (const char *c = id; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("_+-.", *c)))
			return 0;
	return 1;
}

/*
 * `[--root R] [--log F] [--log-format text|json] [--debug] start ID`, in runc's grammar as
 * src/oci/main.ts reads it (`--flag value` or `--flag=value`); the ID of the start, or NULL for
 * anything else. --log is accepted because a successful start logs nothing.
 */
static const char *parse_start(int argc, char **argv, const char **root)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		const char *eq = strchr(a, '=');
		size_t name_len = eq && eq != a ? (size_t)(eq - a) : strlen(a);
		const char *value = NULL;
		if (name_len == 7 && !strncmp(a, "--debug", 7) && !eq)
			continue;
		if (eq && eq != a)
			value = eq + 1;
		else if (i + 1 < argc)
			value = argv[++i];
		else
			return NULL;
		if (name_len == 6 && !strncmp(a, "--root", 6))
			*root = value;
		else if (name_len == 5 && !strncmp(a, "--log", 5)) {
			if (!*value)
				return NULL;
		} else if (name_len == 12 && !strncmp(a, "--log-format", 12)) {
			if (strcmp(value, "text") && strcmp(value, "json"))
				return NULL;
		} else
			return NULL;
	}
	if (argc - i != 2 || strcmp(argv[i], "start") || !**root || !plain_id(argv[i + 1]))
		return NULL;
	return argv[i + 1];
}

/* "PID STARTTICKS\n", as create writes it: 0 with both filled in, -1 for anything else. */
static int read_marker(const char *file, long *pid, unsigned long long *ticks)
{
	char buf[64];
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *end;
	errno = 0;
	*pid = strtol(buf, &end, 10);
	if (errno || *pid <= 0 || *end != ' ')
		return -1;
	*ticks = strtoull(end + 1, &end, 10);
	if (errno || *end != '\n' || end[1])
		return -1;
	return 0;
}

/* Field 22 of /proc/PID/stat: tells the init from another process that got its pid later. */
static int start_ticks(long pid, unsigned long long *ticks)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	if (!p)
		return -1;
	p++; /* the space before field 3 (the state); each step moves to the space before the next */
	for (int field = 3; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return -1;
	*ticks = strtoull(p + 1, NULL, 10);
	return 0;
}

static long ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Removes a file that must go; a failure here is after the start, so it is reported, not retried. */
static int remove_file(const char *file)
{
	if (unlink(file) == 0 || errno == ENOENT)
		return 0;
	fprintf(stderr, "engine-oci: cannot remove %s: %s\n", file, strerror(errno));
	return -1;
}

int main(int argc, char **argv)
{
	orig_argv = argv;
	const char *root = DEFAULT_ROOT;
	const char *id = parse_start(argc, argv, &root);
	if (!id)
		fall_back();

	char marker[PATH_MAX], fifo[PATH_MAX];
	if (snprintf(marker, sizeof marker, "%s/%s/fast-start", root, id) >= (int)sizeof marker ||
	    snprintf(fifo, sizeof fifo, "%s/%s/exec.fifo", root, id) >= (int)sizeof fifo)
		fall_back();
	long pid;
	unsigned long long want_ticks, ticks;
	if (read_marker(marker, &pid, &want_ticks) < 0)
		fall_back();
	/* The pidfd first, then the identity check: from here the pid cannot be reused under us. */
	int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pidfd < 0 || start_ticks(pid, &ticks) < 0 || ticks != want_ticks)
		fall_back(); /* (a pidfd is close-on-exec) */

	/* Opening releases init; not close-on-exec, so a fallback from here keeps a reader for it. */
	int fd = open(fifo, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		fall_back();
	long deadline = ms_now() + BYTE_BOUND_MS;
	int init_gone = 0;
	for (;;) {
		char c;
		ssize_t n = read(fd, &c, 1);
		if (n == 1)
			break;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			fall_back();
		/* no byte: init exited without writing it, or another start took it and removed the fifo */
		if (init_gone || (n == 0 && access(fifo, F_OK) < 0))
			fall_back();
		long left = deadline - ms_now();
		if (left <= 0)
			fall_back();
		/* The byte or init's end wakes the poll at once. Neither a writer that arrives (init
		 * reports READY just before it opens the fifo) nor one that leaves after another start
		 * read the byte does, so the wait is sliced to look again. */
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
		if (poll(p, 2, left > 10 ? 10 : (int)left) < 0 && errno != EINTR)
			fall_back();
		if (p[1].revents)
			init_gone = 1; /* read once more: it may have written the byte and then ended */
	}
	/* Started. What is left cannot be handed back: the marker, then the gate (what `created` means). */
	close(fd);
	int failed = remove_file(marker) | remove_file(fifo);
	return failed ? 1 : 0;
}
