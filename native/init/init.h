/*
 * engine-init: the first program a container runs. The runtime (the supervisor or engine-oci)
 * clones a process into the container's new namespaces and execs this static binary in it; it
 * reads the plan (plan.h), sets the container up step by step, reports READY, waits at its start
 * gate, and execs the command. It decides nothing: every choice is in the plan.
 */
#ifndef ENGINE_INIT_H
#define ENGINE_INIT_H

#include <stddef.h>
#include <stdint.h>
#include <sched.h>
#include <sys/types.h>

#include "plan.h"

#define MAX_LIST 4096

struct str_list {
	char **v; /* NULL-terminated */
	size_t n;
};

struct mount_entry {
	struct plan_mount m;
	const char *source, *dest, *fstype, *data;
};

struct device_entry {
	struct plan_device d;
	const char *path;
};

struct hook_entry {
	uint32_t phase, timeout;
	const char *path;
	struct str_list args, env;
	const char *state;
};

struct plan {
	const char *rootfs, *hostname, *domainname, *cwd, *root_overlay;
	int has_hostname, has_domainname;
	struct str_list argv, env, candidates;
	int has_user;
	uint32_t uid, gid, umask_value;
	uint32_t ngroups;
	uint32_t *groups;
	int has_caps;
	uint64_t cap_bounding, cap_effective, cap_inheritable, cap_permitted, cap_ambient;
	int no_new_privs;
	uint32_t seccomp_flags;
	const void *seccomp_filter;
	size_t seccomp_len; /* bytes */
	struct { uint32_t resource; uint64_t soft, hard; } rlimits[64];
	size_t nrlimits;
	int has_nice;
	int32_t nice;
	int has_cpus;
	cpu_set_t cpus;
	int has_oom_score_adj;
	int32_t oom_score_adj;
	struct mount_entry *mounts;
	size_t nmounts;
	const char **masked, **readonly;
	size_t nmasked, nreadonly;
	struct device_entry *devices;
	size_t ndevices;
	struct { const char *key, *value; } *sysctls;
	size_t nsysctls;
	struct { uint32_t type, fd; } joins[16];
	size_t njoins;
	int root_readonly;
	uint32_t root_propagation;
	int no_pivot, setsid, loopback_up, dev_tmpfs, fork_after_join, wait_parent;
	int has_console;
	uint32_t console_fd;
	uint16_t console_rows, console_cols;
	int has_stdio;
	int32_t stdio[3];
	uint32_t gate_kind, gate_fd;
	int status_fd;
	struct hook_entry *hooks;
	size_t nhooks;
	int has_personality;
	uint32_t personality;
	uint32_t keep_fds;
	int become_root;
	int pdeathsig;
	int unshare_flags;
	uint32_t wait_fd;
	int userns;
};

/* plan.c */
int plan_read(int fd, struct plan *p);

/* util.c */
extern int status_fd;
void report(int32_t step, int32_t err, int32_t flags, int32_t value);
_Noreturn void fail(int32_t step);        /* report errno for step, exit 125 */
_Noreturn void fail_err(int32_t step, int err);
int write_all(int fd, const void *buf, size_t len);
void say(const char *a, const char *b, const char *c); /* one line on stderr: "engine: a b c" */
int open_in_root(int rootfd, const char *path, int beneath, int create, int want_file, mode_t mode);
int mkdir_p_in_root(int rootfd, const char *path, mode_t mode, int beneath);

/* mounts.c */
int setup_root(const struct plan *p, int *used_chroot);
int apply_masks(const struct plan *p);

/* security.c */
void apply_rlimits(const struct plan *p);
void install_seccomp(const struct plan *p);
void switch_user_and_caps(const struct plan *p);

/* console.c */
void setup_console(const struct plan *p);

/* hooks.c */
void run_hooks(const struct plan *p, uint32_t phase);

/* net.c */
int loopback_up(void);

#endif
