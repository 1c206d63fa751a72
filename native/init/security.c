/* Resource limits, the user and its capabilities, and the seccomp filter. The order is runc's:
 * the bounding set is cut while CAP_SETPCAP is still held, the ids change with KEEPCAPS so the
 * permitted set survives, then capset and the ambient set. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

void apply_rlimits(const struct plan *p)
{
	for (size_t i = 0; i < p->nrlimits; i++) {
		struct rlimit rl = { (rlim_t)p->rlimits[i].soft, (rlim_t)p->rlimits[i].hard };
		if (setrlimit((int)p->rlimits[i].resource, &rl) < 0) {
			report(STEP_RLIMIT, errno, 0, (int32_t)i);
			_exit(EXIT_SETUP_FAILED);
		}
	}
}

void install_seccomp(const struct plan *p)
{
	if (!p->seccomp_filter)
		return;
	struct sock_fprog prog = {
		.len = (unsigned short)(p->seccomp_len / sizeof(struct sock_filter)),
		.filter = (struct sock_filter *)p->seccomp_filter,
	};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->seccomp_flags, &prog) < 0)
		fail(STEP_SECCOMP);
}

static int last_cap(void)
{
	char buf[16] = { 0 };
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int n = 40;
	if (f) {
		if (fgets(buf, sizeof buf, f))
			n = atoi(buf);
		fclose(f);
	}
	return n;
}

void switch_user_and_caps(const struct plan *p)
{
	int top = p->has_caps ? last_cap() : 0;
	if (p->has_caps) {
		for (int c = 0; c <= top; c++) {
			if (p->cap_bounding & (1ULL << c))
				continue;
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
				fail(STEP_CAPS);
		}
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			fail(STEP_CAPS);
	}
	if (p->has_user) {
		gid_t groups[p->ngroups + 1];
		for (uint32_t i = 0; i < p->ngroups; i++)
			groups[i] = p->groups[i];
		/* In a user namespace whose setgroups is denied only clearing is refused, and then
		 * there were none to clear. */
		if (setgroups(p->ngroups, groups) < 0 && !(errno == EPERM && p->ngroups == 0))
			fail(STEP_USER);
		if (setresgid(p->gid, p->gid, p->gid) < 0)
			fail(STEP_USER);
		if (setresuid(p->uid, p->uid, p->uid) < 0)
			fail(STEP_USER);
	}
	if (p->has_caps) {
		struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct data[2] = { { 0 } };
		data[0].effective = (uint32_t)p->cap_effective;
		data[1].effective = (uint32_t)(p->cap_effective >> 32);
		data[0].permitted = (uint32_t)p->cap_permitted;
		data[1].permitted = (uint32_t)(p->cap_permitted >> 32);
		data[0].inheritable = (uint32_t)p->cap_inheritable;
		data[1].inheritable = (uint32_t)(p->cap_inheritable >> 32);
		if (syscall(SYS_capset, &hdr, data) < 0)
			fail(STEP_CAPS);
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
			fail(STEP_CAPS);
		for (int c = 0; c <= top; c++) {
			if (!(p->cap_ambient & (1ULL << c)))
				continue;
			if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
				fail(STEP_CAPS);
		}
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	}
	if (p->umask_value != 0xffffffffu)
		umask((mode_t)p->umask_value);
}
