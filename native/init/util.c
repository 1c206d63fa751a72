/* Reporting to the runtime, and resolving paths inside the container's root. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

int status_fd = -1;

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void report(int32_t step, int32_t err, int32_t flags, int32_t value)
{
	struct init_status s = { step, err, flags, value };
	if (status_fd >= 0)
		write_all(status_fd, &s, sizeof s); /* the runtime may be gone (engine-oci create): ignore */
}

_Noreturn void fail_err(int32_t step, int err)
{
	report(step, err, 0, 0);
	_exit(EXIT_SETUP_FAILED);
}

_Noreturn void fail(int32_t step)
{
	fail_err(step, errno);
}

void say(const char *a, const char *b, const char *c)
{
	char line[8192];
	size_t n = 0;
	const char *parts[] = { "engine: ", a, b, c, "\n" };
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if (!parts[i])
			continue;
		size_t l = strlen(parts[i]);
		if (n + l >= sizeof line)
			l = sizeof line - n - 1;
		memcpy(line + n, parts[i], l);
		n += l;
	}
	write_all(2, line, n);
}

static int openat2_(int dirfd, const char *path, int flags, int resolve)
{
	struct open_how how = { .flags = (uint64_t)flags, .mode = 0, .resolve = (uint64_t)resolve };
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/*
 * Opens `path` (absolute, inside the container) relative to rootfd, with every symlink resolved
 * inside the root: RESOLVE_IN_ROOT clamps an escaping link to the root, as runc's securejoin does;
 * with `beneath`, RESOLVE_BENEATH refuses it instead (EXDEV). With `create`, missing parent
 * directories are made and the last component is made as a directory, or as an empty file when
 * want_file. Returns an O_PATH descriptor of the result.
 */
int open_in_root(int rootfd, const char *path, int beneath, int create, int want_file, mode_t mode)
{
	int resolve = (beneath ? RESOLVE_BENEATH : RESOLVE_IN_ROOT) | RESOLVE_NO_MAGICLINKS;
	while (*path == '/')
		path++;
	if (!*path)
		return openat2_(rootfd, ".", O_PATH | O_CLOEXEC, resolve);
	int fd = openat2_(rootfd, path, O_PATH | O_CLOEXEC, resolve);
	if (fd >= 0 || errno != ENOENT || !create)
		return fd;
	/* Make what is missing, one component at a time, each resolved inside the root. */
	char *copy = strdup(path);
	if (!copy)
		return -1;
	char *slash = strrchr(copy, '/');
	int parent;
	const char *name;
	if (slash) {
		*slash = 0;
		if (mkdir_p_in_root(rootfd, copy, 0755, beneath) < 0) {
			free(copy);
			return -1;
		}
		parent = openat2_(rootfd, copy, O_PATH | O_DIRECTORY | O_CLOEXEC, resolve);
		name = slash + 1;
	} else {
		parent = dup(rootfd);
		name = copy;
	}
	if (parent < 0) {
		free(copy);
		return -1;
	}
	if (want_file) {
		int f = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, mode);
		if (f >= 0)
			close(f);
		else if (errno != EEXIST)
			goto out_err;
	} else if (mkdirat(parent, name, mode) < 0 && errno != EEXIST) {
		goto out_err;
	}
	close(parent);
	fd = openat2_(rootfd, path, O_PATH | O_CLOEXEC, resolve);
	free(copy);
	return fd;
out_err:;
	int err = errno;
	close(parent);
	free(copy);
	errno = err;
	return -1;
}

int mkdir_p_in_root(int rootfd, const char *path, mode_t mode, int beneath)
{
	int resolve = (beneath ? RESOLVE_BENEATH : RESOLVE_IN_ROOT) | RESOLVE_NO_MAGICLINKS;
	char *copy = strdup(path), *p = copy;
	if (!copy)
		return -1;
	while (*p == '/')
		p++;
	for (;;) {
		char *slash = strchr(p, '/');
		if (slash)
			*slash = 0;
		if (*copy) {
			int fd = openat2_(rootfd, copy, O_PATH | O_CLOEXEC, resolve);
			if (fd >= 0) {
				close(fd);
			} else if (errno == ENOENT) {
				/* the parent (already resolved inside the root) gets the new directory */
				char *last = strrchr(copy, '/');
				int parent;
				const char *name;
				if (last && last != copy) {
					*last = 0;
					parent = openat2_(rootfd, copy, O_PATH | O_DIRECTORY | O_CLOEXEC, resolve);
					*last = '/';
					name = last + 1;
				} else {
					parent = dup(rootfd);
					name = last ? last + 1 : copy;
				}
				if (parent < 0 || (mkdirat(parent, name, mode) < 0 && errno != EEXIST)) {
					int err = errno;
					if (parent >= 0)
						close(parent);
					free(copy);
					errno = err;
					return -1;
				}
				close(parent);
			} else {
				int err = errno;
				free(copy);
				errno = err;
				return -1;
			}
		}
		if (!slash)
			break;
		*slash = '/';
		p = slash + 1;
	}
	free(copy);
	return 0;
}
