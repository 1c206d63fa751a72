/* The container's root: private propagation, the rootfs bound onto itself, the plan's mounts and
 * device nodes (every destination resolved inside the root), then pivot_root; after it, masked
 * and read-only paths, sysctls and a read-only root. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "init.h"

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

struct mount_attr_ {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

static void fd_path(char *buf, size_t len, int fd)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

/* The MS_* flags a mount already has, so a remount keeps them (a user namespace refuses to drop
 * nosuid, nodev or noexec from a mount it does not own). */
static unsigned long locked_flags(const char *target)
{
	struct statvfs sv;
	unsigned long f = 0;
	if (statvfs(target, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
	return f;
}

#ifndef MOUNT_ATTR_NOSUID
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#endif

static int remount_bind(const char *target, unsigned long flags, int recursive)
{
	if (recursive) {
		/* every mount below target too, in one call (kernel 5.12+); a later MS_REMOUNT would
		 * undo read-only, so the attributes are all set here */
		struct mount_attr_ attr = { 0 };
		if (flags & MS_RDONLY) attr.attr_set |= MOUNT_ATTR_RDONLY;
		if (flags & MS_NOSUID) attr.attr_set |= MOUNT_ATTR_NOSUID;
		if (flags & MS_NODEV) attr.attr_set |= MOUNT_ATTR_NODEV;
		if (flags & MS_NOEXEC) attr.attr_set |= MOUNT_ATTR_NOEXEC;
		if (!attr.attr_set)
			return 0;
		if (syscall(SYS_mount_setattr, AT_FDCWD, target, AT_RECURSIVE, &attr, sizeof attr) == 0)
			return 0;
		if (errno != ENOSYS)
			return -1;
	}
	unsigned long want = flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME);
	if (!want)
		return 0;
	return mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | want | locked_flags(target), NULL);
}

/* Copies the tree under sfd into dfd (files, directories, links, nodes; modes and owners). */
static int copy_tree(int sfd, int dfd)
{
	int dup_fd = dup(sfd);
	if (dup_fd < 0)
		return -1;
	DIR *d = fdopendir(dup_fd);
	if (!d) {
		close(dup_fd);
		return -1;
	}
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(sfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = -1;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int s2 = -1, d2 = -1;
			rc = mkdirat(dfd, de->d_name, st.st_mode & 07777);
			if (rc == 0 && (s2 = openat(sfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
				rc = -1;
			if (rc == 0 && (d2 = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
				rc = -1;
			if (rc == 0)
				rc = copy_tree(s2, d2);
			if (s2 >= 0) close(s2);
			if (d2 >= 0) close(d2);
		} else if (S_ISREG(st.st_mode)) {
			int in = openat(sfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			int out = in < 0 ? -1 : openat(dfd, de->d_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
			char buf[65536];
			ssize_t n = 0;
			while (out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
				if (write_all(out, buf, (size_t)n) < 0) {
					n = -1;
					break;
				}
			if (in < 0 || out < 0 || n < 0)
				rc = -1;
			if (in >= 0) close(in);
			if (out >= 0) close(out);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(sfd, de->d_name, target, sizeof target - 1);
			if (n < 0)
				rc = -1;
			else {
				target[n] = 0;
				rc = symlinkat(target, dfd, de->d_name);
			}
		} else {
			rc = mknodat(dfd, de->d_name, st.st_mode, st.st_rdev);
		}
		if (rc == 0)
			rc = fchownat(dfd, de->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
	}
	int err = errno;
	closedir(d);
	errno = err;
	return rc;
}

static int do_mount(int rootfd, const struct mount_entry *e)
{
	char target[64];
	int is_bind = (e->m.flags & MS_BIND) != 0;
	int dfd = open_in_root(rootfd, e->dest, (e->m.pm & PM_BENEATH) != 0, 1, (e->m.pm & PM_DEST_FILE) != 0,
			       (e->m.pm & PM_DEST_FILE) ? 0644 : 0755);
	if (dfd < 0)
		return -1;
	fd_path(target, sizeof target, dfd);
	int rc;
	int below = -1; /* tmpcopyup: the directory the tmpfs covers, still readable through this */
	if (e->m.pm & PM_COPYUP) {
		below = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (below < 0) {
			close(dfd);
			return -1;
		}
	}
	if (is_bind)
		rc = mount(e->source, target, NULL, MS_BIND | (e->m.flags & MS_REC), NULL);
	else
		rc = mount(e->source, target, e->fstype, e->m.flags, *e->data ? e->data : NULL);
	int err = errno;
	close(dfd);
	if (rc == 0 && below >= 0) {
		int top = open_in_root(rootfd, e->dest, (e->m.pm & PM_BENEATH) != 0, 0, 0, 0);
		char path[64];
		fd_path(path, sizeof path, top);
		int topdir = top < 0 ? -1 : open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct stat st;
		rc = topdir < 0 || fstat(below, &st) < 0 || fchmod(topdir, st.st_mode & 07777) < 0 || fchown(topdir, st.st_uid, st.st_gid) < 0 ? -1 : copy_tree(below, topdir);
		err = errno;
		if (topdir >= 0) close(topdir);
		if (top >= 0) close(top);
	}
	if (below >= 0)
		close(below);
	if (rc < 0 || (!is_bind && !e->m.propagation)) {
		errno = err;
		return rc;
	}
	/* The descriptor named the directory under the new mount: what follows (a read-only remount,
	 * propagation) is for the mount itself, reached by resolving the path again. */
	dfd = open_in_root(rootfd, e->dest, (e->m.pm & PM_BENEATH) != 0, 0, 0, 0);
	if (dfd < 0)
		return -1;
	fd_path(target, sizeof target, dfd);
	if (is_bind)
		rc = remount_bind(target, e->m.flags & ~(unsigned long)(MS_BIND | MS_REC), (e->m.pm & PM_RECURSIVE) != 0);
	if (rc == 0 && e->m.propagation)
		rc = mount(NULL, target, NULL, e->m.propagation, NULL);
	err = errno;
	close(dfd);
	errno = err;
	return rc;
}

static int make_device(int rootfd, const struct device_entry *d)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s", d->path);
	char *slash = strrchr(path, '/');
	if (!slash || !slash[1]) {
		errno = EINVAL;
		return -1;
	}
	*slash = 0;
	int parent = open_in_root(rootfd, *path ? path : "/", 0, 1, 0, 0755);
	if (parent < 0)
		return -1;
	/* O_PATH cannot be used with mknodat: reopen the directory for real. */
	char dir[64];
	fd_path(dir, sizeof dir, parent);
	int dirfd = open(dir, O_DIRECTORY | O_CLOEXEC);
	close(parent);
	if (dirfd < 0)
		return -1;
	const char *name = slash + 1;
	int rc;
	if (d->d.bind) {
		int f = openat(dirfd, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (f >= 0)
			close(f);
		char host[PATH_MAX], target[PATH_MAX];
		snprintf(host, sizeof host, "%s", d->path);
		snprintf(target, sizeof target, "/proc/self/fd/%d/%s", dirfd, name);
		rc = f < 0 && errno != EEXIST ? -1 : mount(host, target, NULL, MS_BIND, NULL);
	} else {
		mode_t type = d->d.type == 'b' ? S_IFBLK : d->d.type == 'p' ? S_IFIFO : S_IFCHR;
		rc = mknodat(dirfd, name, type | (d->d.mode & 07777), makedev(d->d.major, d->d.minor));
		if (rc < 0 && errno == EEXIST) {
			unlinkat(dirfd, name, 0);
			rc = mknodat(dirfd, name, type | (d->d.mode & 07777), makedev(d->d.major, d->d.minor));
		}
		if (rc == 0)
			rc = fchownat(dirfd, name, d->d.uid, d->d.gid, AT_SYMLINK_NOFOLLOW);
		/* mknod applies the umask: set the mode the plan asked for */
		if (rc == 0)
			rc = fchmodat(dirfd, name, d->d.mode & 07777, 0);
	}
	int err = errno;
	close(dirfd);
	errno = err;
	return rc;
}

/* The links runc and Docker put in a tmpfs /dev. */
static int dev_links(int rootfd)
{
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" },     { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
		{ "pts/ptmx", "ptmx" },
	};
	int dev = open_in_root(rootfd, "/dev", 0, 0, 0, 0);
	if (dev < 0)
		return -1;
	char dir[64];
	fd_path(dir, sizeof dir, dev);
	int dirfd = open(dir, O_DIRECTORY | O_CLOEXEC);
	close(dev);
	if (dirfd < 0)
		return -1;
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
		unlinkat(dirfd, links[i][1], 0); /* a ptmx node made earlier gives way to the link */
		if (symlinkat(links[i][0], dirfd, links[i][1]) < 0 && errno != EEXIST) {
			int err = errno;
			close(dirfd);
			errno = err;
			return -1;
		}
	}
	close(dirfd);
	return 0;
}

/* Makes the current directory the root. Returns 1 when chroot had to be used. */
static int enter_root(const struct plan *p)
{
	if (!p->no_pivot) {
		/* pivot_root(".", ".") stacks the old root on the new one; unmounting it leaves the new
		 * root alone, with no put_old directory (runc's trick). */
		if (syscall(SYS_pivot_root, ".", ".") == 0) {
			if (umount2(".", MNT_DETACH) < 0)
				fail(STEP_UMOUNT_OLD);
			if (chdir("/") < 0)
				fail(STEP_PIVOT_ROOT);
			return 0;
		}
		/* not possible when the current root is not a mount point (an initramfs) */
		if (errno != EINVAL)
			fail(STEP_PIVOT_ROOT);
	}
	if (chroot(".") < 0 || chdir("/") < 0)
		fail(STEP_PIVOT_ROOT);
	return 1;
}

int setup_root(const struct plan *p, int *used_chroot)
{
	unsigned long prop = p->root_propagation ? p->root_propagation : MS_PRIVATE;
	/* Nothing mounted from here on reaches the host: */
	if (mount(NULL, "/", NULL, MS_REC | (prop & (MS_SLAVE | MS_PRIVATE) ? prop : MS_PRIVATE), NULL) < 0)
		fail(STEP_MOUNT_PRIVATE);
	/* --overlay: the rootfs is a read-only lower layer; the container's root is an overlay of it
	 * mounted here, inside the container's own mount namespace, so it goes when the container does */
	if (p->root_overlay && mount("overlay", p->rootfs, "overlay", 0, p->root_overlay) < 0)
		fail(STEP_ROOTFS);
	if (mount(p->rootfs, p->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		fail(STEP_ROOTFS);
	int rootfd = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		fail(STEP_ROOTFS);
	for (size_t i = 0; i < p->nmounts; i++) {
		if (do_mount(rootfd, &p->mounts[i]) < 0) {
			report(STEP_MOUNT, errno, 0, (int32_t)i);
			_exit(EXIT_SETUP_FAILED);
		}
	}
	for (size_t i = 0; i < p->ndevices; i++) {
		if (make_device(rootfd, &p->devices[i]) < 0) {
			report(STEP_DEVICE, errno, 0, (int32_t)i);
			_exit(EXIT_SETUP_FAILED);
		}
	}
	if (p->dev_tmpfs && dev_links(rootfd) < 0)
		fail(STEP_DEV);
	run_hooks(p, HOOK_CREATE_CONTAINER);
	if (chdir(p->rootfs) < 0)
		fail(STEP_ROOTFS);
	close(rootfd);
	*used_chroot = enter_root(p);
	return 0;
}

/* After the root is entered: masked and read-only paths, sysctls, a read-only root. */
int apply_masks(const struct plan *p)
{
	for (size_t i = 0; i < p->nsysctls; i++) {
		char path[PATH_MAX];
		int n = snprintf(path, sizeof path, "/proc/sys/%s", p->sysctls[i].key);
		for (char *c = path + 10; c < path + n; c++)
			if (*c == '.')
				*c = '/';
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write_all(fd, p->sysctls[i].value, strlen(p->sysctls[i].value)) < 0) {
			report(STEP_SYSCTL, errno, 0, (int32_t)i);
			_exit(EXIT_SETUP_FAILED);
		}
		close(fd);
	}
	for (size_t i = 0; i < p->nmasked; i++) {
		struct stat st;
		const char *path = p->masked[i];
		if (stat(path, &st) < 0) {
			if (errno == ENOENT)
				continue; /* nothing to hide */
			fail(STEP_MASK);
		}
		int rc = S_ISDIR(st.st_mode) ? mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0,mode=0555")
					     : mount("/dev/null", path, NULL, MS_BIND, NULL);
		if (rc < 0)
			fail(STEP_MASK);
	}
	for (size_t i = 0; i < p->nreadonly; i++) {
		const char *path = p->readonly[i];
		if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue;
			fail(STEP_READONLY);
		}
		if (remount_bind(path, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 1) < 0)
			fail(STEP_READONLY);
	}
	if (p->root_readonly && remount_bind("/", MS_RDONLY, 0) < 0)
		fail(STEP_READONLY);
	if (p->root_propagation & (MS_SHARED | MS_UNBINDABLE)) {
		if (mount(NULL, "/", NULL, p->root_propagation, NULL) < 0)
			fail(STEP_MOUNT_PRIVATE);
	}
	return 0;
}
