/* A terminal for the container, as runc makes it: a pty from the container's own devpts
 * instance, its slave the controlling terminal and stdio of a new session and bound onto
 * /dev/console, its master sent to the runtime over the console socket (SCM_RIGHTS). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "init.h"

static int send_fd(int sock, int fd)
{
	char name[] = "/dev/ptmx";
	struct iovec iov = { name, sizeof name - 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof u);
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	ssize_t n;
	do n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

void setup_console(const struct plan *p)
{
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
		fail(STEP_CONSOLE);
	char slave_path[64];
	if (ptsname_r(master, slave_path, sizeof slave_path) != 0)
		fail(STEP_CONSOLE);
	if (p->console_rows || p->console_cols) {
		struct winsize ws = { .ws_row = p->console_rows, .ws_col = p->console_cols };
		ioctl(master, TIOCSWINSZ, &ws);
	}
	int slave = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		fail(STEP_CONSOLE);
	/* /dev/console is the terminal too (bind mount onto an empty file, as runc does) */
	int f = open("/dev/console", O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (f >= 0) {
		close(f);
		mount(slave_path, "/dev/console", NULL, MS_BIND, NULL); /* best effort: /dev may be read-only */
	}
	if (send_fd((int)p->console_fd, master) < 0)
		fail(STEP_CONSOLE);
	close(master);
	close((int)p->console_fd);
	if (setsid() < 0 && errno != EPERM)
		fail(STEP_SETSID);
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		fail(STEP_CONSOLE);
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			fail(STEP_STDIO);
	if (slave > 2)
		close(slave);
}
