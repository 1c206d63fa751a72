// SPDX-License-Identifier: GPL-2.0
/*
 * probe.c - the module lane's checker, run as a child of the guest's init:
 *   probe /lane/monitor.ko
 * It loads and unloads monitor.ko itself (finit_module/delete_module), drives it through
 * /dev/container_monitor with "hog" children whose memory it grows on command, and reads the
 * kernel log with klogctl. Nothing waits a fixed time: children are gated on pipes, deaths are
 * seen through pidfds, the module's progress through MONITOR_STATS and the kernel log, each
 * with a deadline (TCG is slow and jittery). Output: "PASS name" / "FAIL name: why" lines,
 * "info: ..." lines, and a last line "PROBE-SUMMARY passed=N failed=M"; exit 1 on any failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monitor_ioctl.h"

_Static_assert(sizeof(struct monitor_request) == 88, "monitor_request is 88 bytes");
_Static_assert(offsetof(struct monitor_request, soft_limit_bytes) == 8, "soft at 8");
_Static_assert(offsetof(struct monitor_request, hard_limit_bytes) == 16, "hard at 16");
_Static_assert(offsetof(struct monitor_request, container_id) == 24, "id at 24");
_Static_assert(sizeof(struct monitor_event) == 112, "monitor_event is 112 bytes");
_Static_assert(sizeof(struct monitor_stats) == 64, "monitor_stats is 64 bytes");

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#define MiB (1024ULL * 1024ULL)

static const char *ko_path;
static unsigned int interval_ms;
static int passed, failed;

/* ---- reporting ------------------------------------------------------------------ */

static void pass(const char *name)
{
	printf("PASS %s\n", name);
	fflush(stdout);
	passed++;
}

static void fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failed++;
}

static void info(const char *fmt, ...)
{
	va_list ap;

	printf("info: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* expect(name, cond, fmt...): PASS or FAIL with the reason; returns cond */
static int expect(const char *name, int cond, const char *fmt, ...)
{
	va_list ap;
	char why[512];

	if (cond) {
		pass(name);
		return 1;
	}
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fail(name, "%s", why);
	return 0;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t mono(void) { return now_ns(CLOCK_MONOTONIC); }

static void nap_ms(int ms)	/* only inside deadline-bounded polling loops */
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- module and device -------------------------------------------------------------- */

static int load_module(const char *params)
{
	int fd, r, err;

	fd = open(ko_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = syscall(SYS_finit_module, fd, params, 0);
	err = errno;
	close(fd);
	return r ? -err : 0;
}

static int unload_module(void)
{
	return syscall(SYS_delete_module, "monitor", O_NONBLOCK) ? -errno : 0;
}

static int dev_exists(void)
{
	struct stat st;

	return stat(MONITOR_DEVICE_PATH, &st) == 0 && S_ISCHR(st.st_mode);
}

static int open_dev(int flags)
{
	uint64_t end = mono() + 5000000000ULL;
	int fd;

	while ((fd = open(MONITOR_DEVICE_PATH, O_RDWR | O_CLOEXEC | flags)) < 0 && mono() < end)
		nap_ms(5);
	return fd < 0 ? -errno : fd;
}

static int mon_req(int fd, unsigned long cmd, const struct monitor_request *r)
{
	return ioctl(fd, cmd, r) ? -errno : 0;
}

static int mon_register(int fd, pid_t pid, uint64_t soft, uint64_t hard, const char *id)
{
	struct monitor_request r;

	memset(&r, 0, sizeof(r));
	r.pid = pid;
	r.soft_limit_bytes = soft;
	r.hard_limit_bytes = hard;
	snprintf(r.container_id, sizeof(r.container_id), "%s", id);
	return mon_req(fd, MONITOR_REGISTER, &r);
}

static int mon_unregister(int fd, pid_t pid)
{
	struct monitor_request r;

	memset(&r, 0, sizeof(r));
	r.pid = pid;
	return mon_req(fd, MONITOR_UNREGISTER, &r);
}

static struct monitor_stats stats(int fd)
{
	struct monitor_stats st;

	memset(&st, 0, sizeof(st));
	if (ioctl(fd, MONITOR_STATS, &st))
		fail("stats", "MONITOR_STATS: %s", strerror(errno));
	return st;
}

/* Wait until @n more scans have run; 0 or -ETIMEDOUT. */
static int wait_scans(int fd, unsigned int n, int timeout_ms)
{
	uint64_t target = stats(fd).scans + n, end = mono() + timeout_ms * 1000000ULL;

	while (stats(fd).scans < target) {
		if (mono() > end)
			return -ETIMEDOUT;
		nap_ms(2);
	}
	return 0;
}

/* ---- kernel log ----------------------------------------------------------------------- */

static char *klog;
static int klog_cap;

static int klog_read(void)
{
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, klog, klog_cap - 1);

	if (n < 0)
		n = 0;
	klog[n] = '\0';
	return n;
}

/* Lines that contain @needle: their number, the first copied to @line if given. */
static int klog_count(const char *needle, char *line, size_t len)
{
	char *p, *nl;
	int count = 0;

	klog_read();
	for (p = klog; (p = strstr(p, needle)); p = nl) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		if (!count && line) {
			char *bol = p;

			while (bol > klog && bol[-1] != '\n')
				bol--;
			snprintf(line, len, "%.*s", (int)(nl - bol), bol);
		}
		count++;
	}
	return count;
}

static int klog_wait(const char *needle, int min, int timeout_ms, char *line, size_t len)
{
	uint64_t end = mono() + timeout_ms * 1000000ULL;
	int n;

	while ((n = klog_count(needle, line, len)) < min && mono() < end)
		nap_ms(5);
	return n;
}

/* "<4>[   12.345678] [container_monitor] ..." -> the part from "[container_monitor]" on */
static const char *klog_msg(const char *line)
{
	const char *p = strstr(line, "[container_monitor]");

	return p ? p : line;
}

/* ---- hogs: children that grow their memory on command ----------------------------------------- */

struct hog {
	pid_t pid;
	int cmd;	/* parent writes an int: MiB to add; close = exit */
	int ack;	/* child writes one byte per completed step */
	int prog;	/* child writes a CLOCK_MONOTONIC stamp after each MiB it touches */
	int pidfd;
};

/* A child keeps only stdio and @keep: an inherited device fd would pin the module. */
static void child_close_fds3(int keep1, int keep2, int keep3)
{
	for (int fd = 3; fd < 1024; fd++)
		if (fd != keep1 && fd != keep2 && fd != keep3)
			close(fd);
}

static void child_close_fds(int keep1, int keep2)
{
	child_close_fds3(keep1, keep2, -1);
}

static void hog_main(int cmd, int ack, int prog)
{
	int mib;

	child_close_fds3(cmd, ack, prog);
	munmap(klog, klog_cap);
	if (write(ack, "r", 1) != 1)	/* ready: no inherited fds left */
		_exit(4);
	while (read(cmd, &mib, sizeof(mib)) == sizeof(mib)) {
		size_t len = (size_t)mib * MiB;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			_exit(3);
		for (int i = 0; i < mib; i++) {
			uint64_t t;

			memset(p + (size_t)i * MiB, 0x5a, MiB);
			t = mono();
			if (write(prog, &t, sizeof(t)) < 0 && errno != EAGAIN)
				_exit(5);
		}
		if (write(ack, "k", 1) != 1)
			_exit(4);
	}
	_exit(0);
}

static int hog_spawn(struct hog *h)
{
	int c[2], a[2], g[2];

	if (pipe2(c, O_CLOEXEC) || pipe2(a, O_CLOEXEC) || pipe2(g, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	h->pid = fork();
	if (h->pid < 0)
		return -errno;
	if (h->pid == 0) {
		close(c[1]);
		close(a[0]);
		close(g[0]);
		hog_main(c[0], a[1], g[1]);
	}
	close(c[0]);
	close(a[1]);
	close(g[1]);
	h->cmd = c[1];
	h->ack = a[0];
	h->prog = g[0];
	h->pidfd = syscall(SYS_pidfd_open, h->pid, 0);
	{
		struct pollfd p = { .fd = h->ack, .events = POLLIN };
		char b;

		if (poll(&p, 1, 10000) != 1 || read(h->ack, &b, 1) != 1)
			info("hog %d did not report ready", h->pid);
	}
	return 0;
}

static void hog_send(struct hog *h, int mib)
{
	if (write(h->cmd, &mib, sizeof(mib)) != sizeof(mib))
		info("hog %d: command write failed: %s", h->pid, strerror(errno));
}

/* Grow by @mib and wait for the child to confirm: 0, -ETIMEDOUT or -EPIPE (it died). */
static int hog_grow(struct hog *h, int mib, int timeout_ms)
{
	struct pollfd p = { .fd = h->ack, .events = POLLIN };
	char b;

	hog_send(h, mib);
	if (poll(&p, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	return read(h->ack, &b, 1) == 1 ? 0 : -EPIPE;
}

/* Wait for death through the pidfd; returns the wait status or -ETIMEDOUT. */
static int hog_wait_dead(struct hog *h, int timeout_ms)
{
	struct pollfd p = { .fd = h->pidfd, .events = POLLIN };
	int status;

	if (h->pidfd >= 0 && poll(&p, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	if (waitpid(h->pid, &status, 0) != h->pid)
		return -errno;
	h->pid = 0;
	return status;
}

/* Stamps the child wrote since the last call (one per MiB touched). */
static int hog_progress(struct hog *h, uint64_t *stamps, int max)
{
	ssize_t n = read(h->prog, stamps, max * sizeof(*stamps));

	return n > 0 ? n / (ssize_t)sizeof(*stamps) : 0;
}

/* Resident bytes as the kernel counts them (what get_mm_rss() returns). */
static uint64_t rss_of(pid_t pid)
{
	char path[64];
	unsigned long size = 0, res = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return (uint64_t)res * sysconf(_SC_PAGESIZE);
}

static int hog_alive(struct hog *h)
{
	struct pollfd p = { .fd = h->pidfd, .events = POLLIN };

	return h->pid > 0 && poll(&p, 1, 0) == 0;
}

static void hog_end(struct hog *h)
{
	if (h->pid > 0) {
		kill(h->pid, SIGKILL);
		waitpid(h->pid, NULL, 0);
	}
	close(h->cmd);
	close(h->ack);
	close(h->prog);
	if (h->pidfd >= 0)
		close(h->pidfd);
	memset(h, 0, sizeof(*h));
}

/* ---- events ------------------------------------------------------------------------------------- */

#define MAX_EVENTS 4096
static struct monitor_event seen[MAX_EVENTS];
static int nseen;

static int drain_events(int fd)
{
	struct monitor_event buf[16];
	ssize_t n;
	int got = 0;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (n % sizeof(buf[0]))
			fail("event_read_whole", "read returned %zd, not a multiple of %zu", n, sizeof(buf[0]));
		for (int i = 0; i < n / (ssize_t)sizeof(buf[0]); i++, got++)
			if (nseen < MAX_EVENTS)
				seen[nseen++] = buf[i];
	}
	return got;
}

static const struct monitor_event *find_event(unsigned int kind, const char *id)
{
	for (int i = nseen - 1; i >= 0; i--)
		if (seen[i].kind == kind && !strcmp(seen[i].container_id, id))
			return &seen[i];
	return NULL;
}

static const struct monitor_event *wait_event(int fd, unsigned int kind, const char *id, int timeout_ms)
{
	uint64_t end = mono() + timeout_ms * 1000000ULL;
	const struct monitor_event *ev;

	for (;;) {
		drain_events(fd);
		ev = find_event(kind, id);
		if (ev || mono() > end)
			return ev;
		nap_ms(5);
	}
}

static int count_events(const char *id)
{
	int n = 0;

	for (int i = 0; i < nseen; i++)
		n += !strcmp(seen[i].container_id, id);
	return n;
}

/* checks one record against what the scan must have produced */
static int event_ok(const char *name, const struct monitor_event *ev, unsigned int kind, pid_t pid,
		    uint64_t limit, int rss_above)
{
	uint64_t real = now_ns(CLOCK_REALTIME), mon = mono(), window = 120000000000ULL;

	if (!ev)
		return expect(name, 0, "no event record of kind %u", kind);
	return expect(name, ev->kind == kind && ev->pid == pid && ev->limit_bytes == limit &&
		      (rss_above ? ev->rss_bytes > limit : ev->rss_bytes == 0) &&
		      ev->mono_ns <= mon && (mon < window || ev->mono_ns > mon - window) &&
		      ev->time_ns <= real && ev->time_ns > real - window,
		      "record kind=%u pid=%d rss=%llu limit=%llu mono=%llu time=%llu (want kind %u pid %d limit %llu)",
		      ev->kind, ev->pid, (unsigned long long)ev->rss_bytes, (unsigned long long)ev->limit_bytes,
		      (unsigned long long)ev->mono_ns, (unsigned long long)ev->time_ns, kind, pid,
		      (unsigned long long)limit);
}

/* ---- tests ----------------------------------------------------------------------------------------- */

static void t_layout(void)
{
	expect("abi_layout", sizeof(struct monitor_request) == 88 &&
	       offsetof(struct monitor_request, pid) == 0 && offsetof(struct monitor_request, reserved) == 4 &&
	       offsetof(struct monitor_request, soft_limit_bytes) == 8 &&
	       offsetof(struct monitor_request, hard_limit_bytes) == 16 &&
	       offsetof(struct monitor_request, container_id) == 24 &&
	       sizeof(struct monitor_event) == 112 && offsetof(struct monitor_event, container_id) == 48 &&
	       MONITOR_REGISTER == 0x40584d01 && MONITOR_UNREGISTER == 0x40584d02,
	       "sizeof(request)=%zu REGISTER=%#lx", sizeof(struct monitor_request),
	       (unsigned long)MONITOR_REGISTER);
}

static void t_errno(int fd)
{
	struct monitor_request r;
	struct hog h;
	pid_t z;
	int st;

	hog_spawn(&h);
	memset(&r, 0, sizeof(r));
	r.pid = h.pid;
	r.soft_limit_bytes = 1 * MiB;
	r.hard_limit_bytes = 2 * MiB;
	strcpy(r.container_id, "errno");

	expect("enotty_unknown_cmd", ioctl(fd, _IO('M', 42)) == -1 && errno == ENOTTY, "errno %d", errno);
	expect("enotty_wrong_size", ioctl(fd, _IOW('M', 1, int), &r) == -1 && errno == ENOTTY, "errno %d", errno);
	expect("efault_null", mon_req(fd, MONITOR_REGISTER, NULL) == -EFAULT, "got other");
	expect("efault_bad_pointer", mon_req(fd, MONITOR_REGISTER, (void *)16) == -EFAULT, "got other");
	expect("efault_unregister", mon_req(fd, MONITOR_UNREGISTER, (void *)16) == -EFAULT, "got other");
	expect("efault_stats", ioctl(fd, MONITOR_STATS, (void *)16) == -1 && errno == EFAULT, "errno %d", errno);

#define EINVAL_CASE(name, field_change) do {					\
		struct monitor_request b = r;					\
		int ret;							\
		field_change;							\
		ret = mon_req(fd, MONITOR_REGISTER, &b);			\
		expect(name, ret == -EINVAL, "got %d", ret);			\
	} while (0)
	EINVAL_CASE("einval_pid_zero", b.pid = 0);
	EINVAL_CASE("einval_pid_negative", b.pid = -5);
	EINVAL_CASE("einval_reserved", b.reserved = 1);
	EINVAL_CASE("einval_hard_zero", (b.hard_limit_bytes = 0, b.soft_limit_bytes = 0));
	EINVAL_CASE("einval_soft_above_hard", b.soft_limit_bytes = b.hard_limit_bytes + 1);
	EINVAL_CASE("einval_id_empty", b.container_id[0] = '\0');
	EINVAL_CASE("einval_id_unterminated", memset(b.container_id, 'x', sizeof(b.container_id)));
	{
		struct monitor_request b = r;

		b.pid = 0;
		expect("einval_unregister_pid_zero", mon_req(fd, MONITOR_UNREGISTER, &b) == -EINVAL, "other");
		b = r;
		b.reserved = 7;
		expect("einval_unregister_reserved", mon_req(fd, MONITOR_UNREGISTER, &b) == -EINVAL, "other");
	}

	z = fork();
	if (z == 0)
		_exit(0);
	waitpid(z, NULL, 0);	/* its pid is not reused soon: allocation is cyclic */
	st = mon_register(fd, z, MiB, 2 * MiB, "reaped");
	expect("esrch_reaped_pid", st == -ESRCH, "got %d", st);
	z = fork();
	if (z == 0)
		_exit(0);
	{
		int pfd = syscall(SYS_pidfd_open, z, 0);
		struct pollfd p = { .fd = pfd, .events = POLLIN };

		poll(&p, 1, 10000);	/* the child is a zombie now, not reaped */
		close(pfd);
	}
	st = mon_register(fd, z, MiB, 2 * MiB, "zombie");
	expect("esrch_zombie", st == -ESRCH, "got %d", st);
	waitpid(z, NULL, 0);
	st = mon_register(fd, 2, MiB, 2 * MiB, "kthreadd");
	expect("esrch_kernel_thread", st == -ESRCH, "got %d", st);

	st = mon_register(fd, h.pid, MiB, 512 * MiB, "dup");
	expect("register_ok", st == 0, "got %d", st);
	st = mon_register(fd, h.pid, MiB, 512 * MiB, "dup");
	expect("eexist_twice", st == -EEXIST, "got %d", st);
	st = mon_unregister(fd, getpid());
	expect("enoent_never_registered", st == -ENOENT, "got %d", st);
	st = mon_unregister(fd, h.pid);
	expect("unregister_ok", st == 0, "got %d", st);
	st = mon_unregister(fd, h.pid);
	expect("enoent_unregister_twice", st == -ENOENT, "got %d", st);
	st = mon_register(fd, h.pid, 3 * MiB, 3 * MiB, "soft-eq-hard");
	expect("soft_equal_hard_allowed", st == 0, "got %d", st);
	mon_unregister(fd, h.pid);

	z = fork();
	if (z == 0) {	/* without CAP_SYS_ADMIN: every command is EPERM */
		struct monitor_stats s;
		int bad = 0;

		if (setresuid(65534, 65534, 65534))
			_exit(10);
		bad |= mon_req(fd, MONITOR_REGISTER, &r) != -EPERM;
		bad |= (mon_unregister(fd, h.pid) != -EPERM) << 1;
		bad |= (ioctl(fd, MONITOR_STATS, &s) != -1 || errno != EPERM) << 2;
		_exit(bad);
	}
	waitpid(z, &st, 0);
	expect("eperm_without_cap_sys_admin", WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "child status %#x (bits: 1 register, 2 unregister, 4 stats)", st);
	hog_end(&h);
}

static void t_soft_once(int fd)
{
	const char *id = "soft-once";
	char line[512], want[128];
	unsigned long long rss = 0, limit = 0;
	struct hog h;
	int pid = 0, n, ret;

	hog_spawn(&h);
	ret = mon_register(fd, h.pid, 8 * MiB, 256 * MiB, id);
	if (!expect("soft_register", ret == 0, "register: %d", ret))
		goto out;
	hog_grow(&h, 16, 10000);
	n = klog_wait("SOFT LIMIT container=soft-once ", 1, 10000, line, sizeof(line));
	if (!expect("soft_logged", n == 1, "%d SOFT lines within 10 s", n))
		goto out;
	info("kernel: %s", klog_msg(line));
	snprintf(want, sizeof(want), "[container_monitor] SOFT LIMIT container=%s pid=%d rss=", id, h.pid);
	ret = sscanf(klog_msg(line), "[container_monitor] SOFT LIMIT container=soft-once pid=%d rss=%llu limit=%llu",
		     &pid, &rss, &limit);
	expect("soft_line_format", !strncmp(klog_msg(line), want, strlen(want)) && ret == 3 &&
	       pid == h.pid && limit == 8 * MiB && rss > limit && rss < 64 * MiB, "line '%s'", klog_msg(line));
	hog_grow(&h, 16, 10000);
	ret = wait_scans(fd, 3, 10000);
	n = klog_count("SOFT LIMIT container=soft-once ", NULL, 0);
	expect("soft_warns_once", ret == 0 && n == 1, "%d SOFT lines after 3 more scans (wait %d)", n, ret);
	expect("soft_task_lives", hog_alive(&h), "the task died");
	event_ok("soft_event_record", wait_event(fd, MONITOR_EVENT_SOFT, id, 5000), MONITOR_EVENT_SOFT,
		 h.pid, 8 * MiB, 1);
	drain_events(fd);
	expect("soft_one_event", count_events(id) == 1, "%d events for %s", count_events(id), id);
	ret = mon_unregister(fd, h.pid);
	expect("soft_entry_kept", ret == 0, "unregister after the warning: %d", ret);
out:
	hog_end(&h);
}

/*
 * Fills the latencies from crossing the hard limit to the kill (the module's HARD event, queued right
 * after kill_pid()) and to death (pidfd readable: after the kernel tore the task's memory down), in ms;
 * returns 0, or -1 on failure. The crossing instant is bounded from below by the child's stamp after
 * the last MiB that kept it under the limit (its RSS is read from /proc just before), so both figures
 * are upper bounds on the real latencies.
 */
static int hard_kill_once(int fd, int round, double *kill_ms, double *death_ms)
{
	char id[32], needle[64], line[512], want[128];
	const struct monitor_event *ev;
	uint64_t stamps[64], t0, t1, tb, base;
	struct hog h;
	double ms = -1, ev_ms = -1, alloc_ms;
	int st, ret, n, under;

	snprintf(id, sizeof(id), "hard-%d", round);
	hog_spawn(&h);
	ret = mon_register(fd, h.pid, 8 * MiB, 32 * MiB, id);
	if (ret) {
		fail("hard_register", "%d", ret);
		goto out;
	}
	/* below hard, above soft: wait for the soft event so the crossing step is the only change */
	hog_grow(&h, 28, 10000);
	if (!wait_event(fd, MONITOR_EVENT_SOFT, id, 10000)) {
		fail("hard_setup", "no soft event before the crossing");
		goto out;
	}
	hog_progress(&h, stamps, 64);	/* discard the set-up's stamps */
	base = rss_of(h.pid);
	under = base < 32 * MiB ? (int)((32 * MiB - base) / MiB) : 0;	/* whole MiB still under the limit */
	t0 = mono();
	hog_send(&h, under + 4);	/* crosses the 32 MiB hard limit during MiB number under+1 */
	st = hog_wait_dead(&h, 10000);
	t1 = mono();
	n = hog_progress(&h, stamps, 64);
	tb = under == 0 ? t0 : n >= under ? stamps[under - 1] : 0;
	if (st == -ETIMEDOUT) {
		fail("hard_kills", "%s still alive 10 s after crossing the hard limit", id);
		goto out;
	}
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) {
		fail("hard_kills", "status %#x, not SIGKILL", st);
		goto out;
	}
	alloc_ms = (t1 - t0) / 1e6;
	if (!tb) {
		fail("hard_kills", "%s: only %d progress stamps for %d MiB under the limit", id, n, under);
		goto out;
	}
	ms = (t1 - tb) / 1e6;
	ev = wait_event(fd, MONITOR_EVENT_HARD, id, 5000);
	ev_ms = ev ? ((double)ev->mono_ns - (double)tb) / 1e6 : -1;
	if (!ev)
		fail("hard_event", "%s was killed but no HARD event was queued", id);
	info("hard kill %s: rss %llu KiB before, crossing in MiB %d; killed %.1f ms and dead %.1f ms after "
	     "the crossing (%.1f ms after the allocation began)", id, (unsigned long long)(base >> 10), under + 1,
	     ev_ms, ms, alloc_ms);
	if (round)
		goto out;
	event_ok("hard_event_record", ev, MONITOR_EVENT_HARD, h.pid ? h.pid : ev ? ev->pid : 0, 32 * MiB, 1);
	snprintf(needle, sizeof(needle), "HARD LIMIT container=%s ", id);
	klog_wait(needle, 1, 5000, line, sizeof(line));
	info("kernel: %s", klog_msg(line));
	snprintf(want, sizeof(want), "[container_monitor] HARD LIMIT container=%s pid=%d rss=", id, ev ? ev->pid : -1);
	expect("hard_line_format", !strncmp(klog_msg(line), want, strlen(want)) && strstr(line, " limit=33554432"),
	       "line '%s'", klog_msg(line));
	ret = mon_unregister(fd, ev ? ev->pid : 0);
	expect("hard_entry_removed", ret == -ENOENT, "unregister after the kill: %d", ret);
out:
	hog_end(&h);
	*kill_ms = ev_ms;
	*death_ms = ms;
	return ms < 0 || ev_ms < 0 ? -1 : 0;
}

static void t_hard_kill(int fd)
{
	double worst_kill = 0, worst_death = 0, kill_ms, death_ms;
	int rounds = 3, ok = 1;

	for (int i = 0; i < rounds; i++) {
		if (hard_kill_once(fd, i, &kill_ms, &death_ms)) {
			ok = 0;
			break;	/* one 10 s wait is enough to say it */
		}
		if (kill_ms > worst_kill)
			worst_kill = kill_ms;
		if (death_ms > worst_death)
			worst_death = death_ms;
	}
	info("hard-kill latency over %d rounds, interval_ms=%u: SIGKILL sent <= %.1f ms after the crossing, "
	     "task dead <= %.1f ms", rounds, interval_ms, worst_kill, worst_death);
	if (!ok)
		return;
	expect("hard_kills_within_two_intervals", worst_kill <= 2.0 * interval_ms,
	       "SIGKILL %.1f ms after the crossing > %u ms", worst_kill, 2 * interval_ms);
	/* the exit itself (tearing down ~36 MiB under TCG) is the kernel's, not the module's: a loose bound */
	expect("hard_killed_task_dies_promptly", worst_death <= 2.0 * interval_ms + 1000,
	       "dead %.1f ms after the crossing", worst_death);
}

static void t_unregister_stops(int fd)
{
	const char *id = "unreg";
	struct hog h;
	int ret, n;

	hog_spawn(&h);
	ret = mon_register(fd, h.pid, 4 * MiB, 16 * MiB, id);
	ret = ret ? ret : mon_unregister(fd, h.pid);
	if (!expect("unregister_then_grow_setup", ret == 0, "register/unregister: %d", ret))
		goto out;
	ret = hog_grow(&h, 32, 10000);
	ret = ret ? ret : wait_scans(fd, 3, 10000);
	drain_events(fd);
	n = klog_count("container=unreg ", NULL, 0);
	expect("unregister_stops_monitoring", ret == 0 && hog_alive(&h) && n == 0 && !count_events(id),
	       "grow/scans %d, alive %d, log lines %d, events %d", ret, hog_alive(&h), n, count_events(id));
out:
	hog_end(&h);
}

static void t_gone(int fd)
{
	struct hog h;
	pid_t pid;
	int ret;

	/* exited and reaped */
	hog_spawn(&h);
	pid = h.pid;
	ret = mon_register(fd, pid, 64 * MiB, 128 * MiB, "gone-reaped");
	close(h.cmd);
	h.cmd = -1;
	hog_wait_dead(&h, 10000);
	event_ok("gone_reaped_event", ret ? NULL : wait_event(fd, MONITOR_EVENT_GONE, "gone-reaped", 10000),
		 MONITOR_EVENT_GONE, pid, 128 * MiB, 0);
	ret = mon_unregister(fd, pid);
	expect("gone_entry_dropped", ret == -ENOENT, "unregister after gone: %d", ret);
	hog_end(&h);

	/* exited, still a zombie: no mm, dropped all the same */
	hog_spawn(&h);
	pid = h.pid;
	ret = mon_register(fd, pid, 64 * MiB, 128 * MiB, "gone-zombie");
	close(h.cmd);
	h.cmd = -1;
	{
		struct pollfd p = { .fd = h.pidfd, .events = POLLIN };

		poll(&p, 1, 10000);
	}
	event_ok("gone_zombie_event", ret ? NULL : wait_event(fd, MONITOR_EVENT_GONE, "gone-zombie", 10000),
		 MONITOR_EVENT_GONE, pid, 128 * MiB, 0);
	hog_end(&h);
}

static void t_events_poll(int fd)
{
	struct monitor_event evs[4];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct hog h, h2;
	char small[100];
	uint64_t t0;
	double waited;
	int r, bfd, res[2];
	pid_t reader;

	drain_events(fd);
	r = read(fd, small, sizeof(small));
	expect("read_short_buffer_einval", r == -1 && errno == EINVAL, "read %d errno %d", r, errno);
	r = read(fd, evs, sizeof(evs));
	expect("read_empty_eagain", r == -1 && errno == EAGAIN, "read %d errno %d", r, errno);
	expect("poll_empty_not_readable", poll(&p, 1, 0) == 0, "poll says readable with an empty queue");

	hog_spawn(&h);
	mon_register(fd, h.pid, 4 * MiB, 512 * MiB, "poll-1");
	hog_send(&h, 8);	/* no wait: the parent must be asleep in poll when the scan queues the event */
	t0 = mono();
	r = poll(&p, 1, 10000);
	waited = (mono() - t0) / 1e6;
	info("poll woke after %.1f ms", waited);
	expect("poll_wakes_on_event", r == 1 && (p.revents & POLLIN), "poll %d revents %#x", r, p.revents);
	r = read(fd, evs, sizeof(evs));
	expect("read_whole_records", r > 0 && r % sizeof(evs[0]) == 0 && evs[0].kind == MONITOR_EVENT_SOFT &&
	       !strcmp(evs[0].container_id, "poll-1") && evs[0].pid == h.pid,
	       "read %d, kind %u id '%.64s'", r, evs[0].kind, evs[0].container_id);
	mon_unregister(fd, h.pid);
	hog_end(&h);

	/* a blocking read() in another process returns when an event arrives */
	bfd = open_dev(0);
	if (pipe(res) || bfd < 0) {
		fail("blocking_read", "setup");
		return;
	}
	reader = fork();
	if (reader == 0) {
		struct monitor_event ev;
		ssize_t n = read(bfd, &ev, sizeof(ev));

		if (write(res[1], &n, sizeof(n)) < 0 || write(res[1], &ev, sizeof(ev)) < 0)
			_exit(1);
		_exit(0);
	}
	close(res[1]);
	hog_spawn(&h2);
	mon_register(fd, h2.pid, 4 * MiB, 512 * MiB, "block-1");
	hog_send(&h2, 8);
	{
		struct pollfd rp = { .fd = res[0], .events = POLLIN };
		struct monitor_event ev;
		ssize_t n = -1;

		r = poll(&rp, 1, 10000);
		if (r == 1 && read(res[0], &n, sizeof(n)) == sizeof(n) && read(res[0], &ev, sizeof(ev)) == sizeof(ev))
			expect("blocking_read_wakes", n == sizeof(ev) && !strcmp(ev.container_id, "block-1"),
			       "read %zd id '%.64s'", n, ev.container_id);
		else
			fail("blocking_read_wakes", "no record from the blocked reader within 10 s");
	}
	kill(reader, SIGKILL);
	waitpid(reader, NULL, 0);
	close(res[0]);
	close(bfd);
	mon_unregister(fd, h2.pid);
	hog_end(&h2);
}

/* Many registrations racing with a fast scan (interval_ms=1): every entry of an exited task is dropped. */
static void t_many(int fd)
{
	enum { N = 300 };
	static pid_t zombies[N];
	struct monitor_stats s0 = stats(fd), s1;
	int nz = 0, bad = 0, exited = 0, unreg = 0, last = 0;
	uint64_t end;

	for (int i = 0; i < N; i++) {
		int gate[2];
		pid_t c;
		char id[32];
		int ret;

		if (pipe2(gate, O_CLOEXEC))
			break;
		c = fork();
		if (c == 0) {
			char b;

			child_close_fds(gate[0], -1);
			if (read(gate[0], &b, 1) < 0)
				_exit(2);
			_exit(0);
		}
		close(gate[0]);
		snprintf(id, sizeof(id), "many-%d", i);
		ret = mon_register(fd, c, 64 * MiB, 128 * MiB, id);
		if (ret) {
			bad++;
			last = ret;
		}
		if (i % 3 == 0) {
			ret = mon_unregister(fd, c);
			if (ret) {
				bad++;
				last = ret;
			}
			unreg++;
		} else {
			exited++;
		}
		close(gate[1]);		/* let it exit */
		if (i % 3 == 1)
			waitpid(c, NULL, 0);
		else
			zombies[nz++] = c;
	}
	expect("many_registrations_accepted", bad == 0, "%d failed ioctls, last %d", bad, last);
	end = mono() + 30000000000ULL;
	while ((s1 = stats(fd)).entries && mono() < end)
		nap_ms(5);
	for (int i = 0; i < nz; i++)
		waitpid(zombies[i], NULL, 0);
	info("many: %d registered, %d unregistered, %d exited; scans %llu, gone %llu, queued %u, dropped %llu",
	     N, unreg, exited, (unsigned long long)(s1.scans - s0.scans),
	     (unsigned long long)(s1.gone_events - s0.gone_events), s1.queued, (unsigned long long)s1.dropped);
	expect("many_exited_dropped", s1.entries == 0 && s1.gone_events - s0.gone_events == (uint64_t)exited,
	       "entries %u, gone %llu of %d", s1.entries, (unsigned long long)(s1.gone_events - s0.gone_events), exited);
	expect("many_queue_bounded", s1.queued <= s1.queue_len && s1.dropped >= s0.dropped,
	       "queued %u of %u", s1.queued, s1.queue_len);
}

/* event_queue_len=8: 12 soft events in a known order leave the newest 8 and count 4 dropped. */
static void t_overflow(int fd)
{
	struct monitor_event evs[16];
	struct monitor_stats s0;
	int r, ok = 1, n;
	char id[32];

	drain_events(fd);
	s0 = stats(fd);
	for (int i = 0; i < 12; i++) {
		struct hog h;
		uint64_t want = stats(fd).soft_events + 1, end = mono() + 10000000000ULL;

		snprintf(id, sizeof(id), "ovf-%d", i);
		hog_spawn(&h);
		mon_register(fd, h.pid, 4 * MiB, 512 * MiB, id);
		hog_grow(&h, 8, 10000);
		while (stats(fd).soft_events < want && mono() < end)
			nap_ms(2);
		mon_unregister(fd, h.pid);
		hog_end(&h);
	}
	r = read(fd, evs, sizeof(evs));
	n = r > 0 ? r / (int)sizeof(evs[0]) : 0;
	ok = n == 8;
	for (int i = 0; ok && i < n; i++) {
		snprintf(id, sizeof(id), "ovf-%d", i + 4);
		ok = !strcmp(evs[i].container_id, id) && evs[i].dropped == s0.dropped + 4;
	}
	expect("overflow_drops_oldest", ok, "read %d records; first '%.64s' dropped=%llu (before %llu)", n,
	       n ? evs[0].container_id : "", n ? (unsigned long long)evs[0].dropped : 0ULL,
	       (unsigned long long)s0.dropped);
	expect("overflow_counted_in_stats", stats(fd).dropped == s0.dropped + 4, "dropped %llu, want %llu",
	       (unsigned long long)stats(fd).dropped, (unsigned long long)s0.dropped + 4);
}

static void t_rmmod_live(int *fdp)
{
	struct hog h[3];
	char needle[] = "unloaded: freed 3 entries";
	int before = klog_count(needle, NULL, 0), ret, alive = 0;

	for (int i = 0; i < 3; i++) {
		char id[16];

		snprintf(id, sizeof(id), "live-%d", i);
		hog_spawn(&h[i]);
		mon_register(*fdp, h[i].pid, 4 * MiB, 8 * MiB, id);
	}
	ret = unload_module();
	expect("rmmod_busy_while_open", ret == -EBUSY || ret == -EAGAIN, "delete_module with the device open: %d", ret);
	expect("stats_counts_live_entries", stats(*fdp).entries == 3, "entries %u", stats(*fdp).entries);
	close(*fdp);
	*fdp = -1;
	ret = unload_module();
	expect("rmmod_with_live_entries", ret == 0 && klog_count(needle, NULL, 0) == before + 1 && !dev_exists(),
	       "delete_module %d, log lines %d, device %s", ret, klog_count(needle, NULL, 0) - before,
	       dev_exists() ? "still there" : "gone");
	for (int i = 0; i < 3; i++) {	/* no monitor any more: growing past the old hard limit is fine */
		ret = hog_grow(&h[i], 16, 10000);
		alive += ret == 0 && hog_alive(&h[i]);
		hog_end(&h[i]);
	}
	expect("tasks_unharmed_after_rmmod", alive == 3, "%d of 3 alive", alive);
}

/*
 * Entries hold the task's struct pid, not its number. With a 2 s scan, the registered task dies and
 * its number is handed to a new task (ns_last_pid) before any scan: the new task can be registered
 * under the same number (no EEXIST), the old entry never acts on it (no kill although the new task
 * is far over the old hard limit) and is reported gone.
 */
static void t_pid_reuse(void)
{
	struct hog a, b;
	struct monitor_stats s0;
	const struct monitor_event *ev;
	pid_t nr;
	FILE *f;
	int fd, ret;

	ret = load_module("interval_ms=2000");
	fd = ret ? ret : open_dev(O_NONBLOCK);
	if (fd < 0) {
		fail("pid_reuse_setup", "load %d, open %d", ret, fd);
		return;
	}
	s0 = stats(fd);
	hog_spawn(&a);
	nr = a.pid;
	ret = mon_register(fd, nr, 1 * MiB, 8 * MiB, "reuse-old");
	kill(a.pid, SIGKILL);
	hog_wait_dead(&a, 10000);
	hog_end(&a);
	f = fopen("/proc/sys/kernel/ns_last_pid", "we");
	if (!f || fprintf(f, "%d", nr - 1) < 0 || fclose(f)) {
		fail("pid_reuse_setup", "cannot write ns_last_pid: %s", strerror(errno));
		goto out;
	}
	hog_spawn(&b);
	if (ret || b.pid != nr || stats(fd).scans != s0.scans) {
		fail("pid_reuse_setup", "register %d, new pid %d (want %d), scans %llu", ret, b.pid, nr,
		     (unsigned long long)(stats(fd).scans - s0.scans));
		goto out_b;
	}
	ret = mon_register(fd, b.pid, 256 * MiB, 512 * MiB, "reuse-new");
	expect("pid_reuse_register_new_task", ret == 0, "register of the recycled number: %d", ret);
	hog_grow(&b, 16, 10000);	/* twice the old entry's hard limit */
	ev = wait_event(fd, MONITOR_EVENT_GONE, "reuse-old", 10000);
	drain_events(fd);
	expect("pid_reuse_old_entry_gone_not_killing", ev && hog_alive(&b) && !find_event(MONITOR_EVENT_HARD, "reuse-old") &&
	       !find_event(MONITOR_EVENT_SOFT, "reuse-old"),
	       "gone event %s, new task %s", ev ? "seen" : "missing", hog_alive(&b) ? "alive" : "dead");
	ret = mon_unregister(fd, b.pid);
	expect("pid_reuse_unregister_new_task", ret == 0, "unregister: %d", ret);
out_b:
	hog_end(&b);
out:
	close(fd);
	ret = unload_module();
	if (ret)
		fail("pid_reuse_rmmod", "delete_module: %d", ret);
}

static void t_reload(void)
{
	for (int round = 1; round <= 3; round++) {
		char name[32], params[64];
		struct hog h;
		int ret, fd, st = -1;

		snprintf(name, sizeof(name), "insmod_rmmod_%d", round);
		snprintf(params, sizeof(params), "interval_ms=%u", 20 * round);
		ret = load_module(params);
		fd = ret ? ret : open_dev(O_NONBLOCK);
		if (fd < 0) {
			fail(name, "load %d, open %d", ret, fd);
			continue;
		}
		hog_spawn(&h);
		ret = mon_register(fd, h.pid, 2 * MiB, 8 * MiB, "reload");
		if (!ret) {
			hog_send(&h, 16);
			st = hog_wait_dead(&h, 10000);
		}
		hog_end(&h);
		close(fd);
		ret = ret ? ret : unload_module();
		if (!expect(name, ret == 0 && st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && !dev_exists(),
			    "register/unload %d, hog status %#x, device %s", ret, st, dev_exists() ? "left" : "gone"))
			break;
	}
}

int main(int argc, char **argv)
{
	int fd, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: probe MONITOR.KO\n");
		return 2;
	}
	ko_path = argv[1];
	klog_cap = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0) + 1;
	if (klog_cap < 65536)
		klog_cap = 1 << 20;
	klog = mmap(NULL, klog_cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (klog == MAP_FAILED)
		return 2;

	t_layout();
	ret = load_module("interval_ms=0");
	expect("load_rejects_bad_interval", ret == -EINVAL, "finit_module interval_ms=0: %d", ret);

	/* phase A: the default 100 ms interval */
	interval_ms = 100;
	ret = load_module("interval_ms=100");
	fd = ret ? ret : open_dev(O_NONBLOCK);
	if (!expect("load_and_open", fd >= 0, "load %d, open %d", ret, fd))
		goto out;
	t_errno(fd);
	t_soft_once(fd);
	t_hard_kill(fd);
	{
		struct hog anchor;	/* keeps the scan running while nothing else is registered */

		hog_spawn(&anchor);
		mon_register(fd, anchor.pid, 1024 * MiB, 1024 * MiB, "anchor");
		t_unregister_stops(fd);
		t_gone(fd);
		mon_unregister(fd, anchor.pid);
		hog_end(&anchor);
	}
	t_events_poll(fd);
	close(fd);
	ret = unload_module();
	expect("rmmod_after_phase_a", ret == 0, "delete_module: %d", ret);

	/* phase B: a 1 ms scan and an 8-record queue */
	interval_ms = 1;
	ret = load_module("interval_ms=1 event_queue_len=8");
	fd = ret ? ret : open_dev(O_NONBLOCK);
	if (!expect("load_fast_small_queue", fd >= 0, "load %d, open %d", ret, fd))
		goto out;
	t_many(fd);
	t_overflow(fd);
	t_rmmod_live(&fd);

	/* insmod / rmmod three times, each round working */
	t_pid_reuse();
	t_reload();
out:
	printf("PROBE-SUMMARY passed=%d failed=%d\n", passed, failed);
	return failed ? 1 : 0;
}
