/* Reading the plan (plan.h) into struct plan. The plan is trusted (the runtime wrote it) but
 * still checked for shape: a malformed record fails STEP_PLAN rather than reading past the end. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <unistd.h>

#include "init.h"

static uint16_t u16(const unsigned char *b) { return (uint16_t)(b[0] | b[1] << 8); }
static uint32_t u32(const unsigned char *b) { return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24; }
static uint64_t u64(const unsigned char *b) { return (uint64_t)u32(b) | (uint64_t)u32(b + 4) << 32; }

/* Splits a payload of NUL-terminated strings; the payload must end with a NUL. */
static int strings(const unsigned char *b, uint32_t len, struct str_list *out)
{
	size_t n = 0;
	if (len == 0) {
		out->v = calloc(1, sizeof(char *));
		out->n = 0;
		return out->v ? 0 : -1;
	}
	if (b[len - 1] != 0)
		return -1;
	for (uint32_t i = 0; i < len; i++)
		if (b[i] == 0)
			n++;
	if (n > MAX_LIST)
		return -1;
	out->v = calloc(n + 1, sizeof(char *));
	if (!out->v)
		return -1;
	const char *s = (const char *)b;
	for (size_t i = 0; i < n; i++) {
		out->v[i] = (char *)s;
		s += strlen(s) + 1;
	}
	out->n = n;
	return 0;
}

#define GROW(arr, count) \
	do { \
		void *nw = realloc((arr), sizeof(*(arr)) * ((count) + 1)); \
		if (!nw) return -1; \
		(arr) = nw; \
	} while (0)

static int record(struct plan *p, uint16_t tag, const unsigned char *b, uint32_t len)
{
	struct str_list l;
	switch (tag) {
	case T_ROOTFS: if (!len || b[len - 1]) return -1; p->rootfs = (const char *)b; return 0;
	case T_HOSTNAME: if (!len || b[len - 1]) return -1; p->hostname = (const char *)b; p->has_hostname = 1; return 0;
	case T_DOMAINNAME: if (!len || b[len - 1]) return -1; p->domainname = (const char *)b; p->has_domainname = 1; return 0;
	case T_CWD: if (!len || b[len - 1]) return -1; p->cwd = (const char *)b; return 0;
	case T_ROOT_OVERLAY: if (!len || b[len - 1]) return -1; p->root_overlay = (const char *)b; return 0;
	case T_ARGV: return strings(b, len, &p->argv);
	case T_ENV: return strings(b, len, &p->env);
	case T_EXEC_CANDIDATES: return strings(b, len, &p->candidates);
	case T_USER:
		if (len < 16 || len != 16 + 4 * u32(b + 12)) return -1;
		p->has_user = 1;
		p->uid = u32(b);
		p->gid = u32(b + 4);
		p->umask_value = u32(b + 8);
		p->ngroups = u32(b + 12);
		p->groups = calloc(p->ngroups + 1, sizeof(uint32_t));
		if (!p->groups) return -1;
		for (uint32_t i = 0; i < p->ngroups; i++) p->groups[i] = u32(b + 16 + 4 * i);
		return 0;
	case T_CAPS:
		if (len != 40) return -1;
		p->has_caps = 1;
		p->cap_bounding = u64(b);
		p->cap_effective = u64(b + 8);
		p->cap_inheritable = u64(b + 16);
		p->cap_permitted = u64(b + 24);
		p->cap_ambient = u64(b + 32);
		return 0;
	case T_NO_NEW_PRIVS: p->no_new_privs = 1; return 0;
	case T_SECCOMP:
		if (len < 4 || (len - 4) % 8) return -1;
		p->seccomp_flags = u32(b);
		p->seccomp_filter = b + 4;
		p->seccomp_len = len - 4;
		return 0;
	case T_RLIMIT:
		if (len != 24 || p->nrlimits >= sizeof p->rlimits / sizeof p->rlimits[0]) return -1;
		p->rlimits[p->nrlimits].resource = u32(b);
		p->rlimits[p->nrlimits].soft = u64(b + 8);
		p->rlimits[p->nrlimits].hard = u64(b + 16);
		p->nrlimits++;
		return 0;
	case T_NICE: if (len != 4) return -1; p->has_nice = 1; p->nice = (int32_t)u32(b); return 0;
	case T_CPUS:
		if (len > sizeof p->cpus) return -1;
		CPU_ZERO(&p->cpus);
		memcpy(&p->cpus, b, len);
		p->has_cpus = 1;
		return 0;
	case T_OOM_SCORE_ADJ: if (len != 4) return -1; p->has_oom_score_adj = 1; p->oom_score_adj = (int32_t)u32(b); return 0;
	case T_MOUNT: {
		if (len < sizeof(struct plan_mount)) return -1;
		if (strings(b + sizeof(struct plan_mount), len - sizeof(struct plan_mount), &l) || l.n != 4) return -1;
		GROW(p->mounts, p->nmounts);
		struct mount_entry *e = &p->mounts[p->nmounts++];
		e->m.flags = u64(b);
		e->m.propagation = u32(b + 8);
		e->m.pm = u32(b + 12);
		e->source = l.v[0];
		e->dest = l.v[1];
		e->fstype = l.v[2];
		e->data = l.v[3];
		return 0;
	}
	case T_MASKED_PATH:
		if (!len || b[len - 1]) return -1;
		GROW(p->masked, p->nmasked);
		p->masked[p->nmasked++] = (const char *)b;
		return 0;
	case T_READONLY_PATH:
		if (!len || b[len - 1]) return -1;
		GROW(p->readonly, p->nreadonly);
		p->readonly[p->nreadonly++] = (const char *)b;
		return 0;
	case T_DEVICE: {
		if (len < sizeof(struct plan_device) + 2 || b[len - 1]) return -1;
		GROW(p->devices, p->ndevices);
		struct device_entry *d = &p->devices[p->ndevices++];
		d->d.type = u32(b);
		d->d.major = u32(b + 4);
		d->d.minor = u32(b + 8);
		d->d.mode = u32(b + 12);
		d->d.uid = u32(b + 16);
		d->d.gid = u32(b + 20);
		d->d.bind = u32(b + 24);
		d->path = (const char *)b + sizeof(struct plan_device);
		return 0;
	}
	case T_SYSCTL:
		if (strings(b, len, &l) || l.n != 2) return -1;
		GROW(p->sysctls, p->nsysctls);
		p->sysctls[p->nsysctls].key = l.v[0];
		p->sysctls[p->nsysctls].value = l.v[1];
		p->nsysctls++;
		return 0;
	case T_JOIN_NS:
		if (len != 8 || p->njoins >= sizeof p->joins / sizeof p->joins[0]) return -1;
		p->joins[p->njoins].type = u32(b);
		p->joins[p->njoins].fd = u32(b + 4);
		p->njoins++;
		return 0;
	case T_ROOT_READONLY: p->root_readonly = 1; return 0;
	case T_ROOT_PROPAGATION: if (len != 4) return -1; p->root_propagation = u32(b); return 0;
	case T_NO_PIVOT: p->no_pivot = 1; return 0;
	case T_SETSID: p->setsid = 1; return 0;
	case T_LOOPBACK_UP: p->loopback_up = 1; return 0;
	case T_CONSOLE:
		if (len != 8) return -1;
		p->has_console = 1;
		p->console_fd = u32(b);
		p->console_rows = u16(b + 4);
		p->console_cols = u16(b + 6);
		return 0;
	case T_STDIO:
		if (len != 12) return -1;
		p->has_stdio = 1;
		for (int i = 0; i < 3; i++) p->stdio[i] = (int32_t)u32(b + 4 * i);
		return 0;
	case T_START_GATE: if (len != 8) return -1; p->gate_kind = u32(b); p->gate_fd = u32(b + 4); return 0;
	case T_WAIT_PARENT: if (len != 4) return -1; p->wait_parent = 1; p->wait_fd = u32(b); return 0;
	case T_FORK: p->fork_after_join = 1; return 0;
	case T_STATUS_FD: if (len != 4) return -1; p->status_fd = (int)u32(b); return 0;
	case T_DEV_TMPFS: p->dev_tmpfs = 1; return 0;
	case T_HOOK: {
		if (len < 8 || strings(b + 8, len - 8, &l) || l.n < 4) return -1;
		GROW(p->hooks, p->nhooks);
		struct hook_entry *h = &p->hooks[p->nhooks++];
		h->phase = u32(b);
		h->timeout = u32(b + 4);
		h->path = l.v[0];
		/* l.v: path, "\x01", args..., "\x02", env..., "\x03", state */
		size_t i = 1, a0, e0;
		if (strcmp(l.v[i], "\x01")) return -1;
		a0 = ++i;
		while (i < l.n && strcmp(l.v[i], "\x02")) i++;
		if (i >= l.n) return -1;
		h->args.v = &l.v[a0];
		h->args.n = i - a0;
		l.v[i] = NULL; /* terminates args */
		e0 = ++i;
		while (i < l.n && strcmp(l.v[i], "\x03")) i++;
		if (i + 1 >= l.n) return -1;
		h->env.v = &l.v[e0];
		h->env.n = i - e0;
		h->state = l.v[i + 1];
		l.v[i] = NULL; /* terminates env */
		return 0;
	}
	case T_PERSONALITY: if (len != 4) return -1; p->has_personality = 1; p->personality = u32(b); return 0;
	case T_KEEP_FDS: if (len != 4) return -1; p->keep_fds = u32(b); return 0;
	case T_BECOME_ROOT: p->become_root = 1; return 0;
	case T_PARENT_DEATH_SIGNAL: if (len != 4) return -1; p->pdeathsig = (int)u32(b); return 0;
	case T_UNSHARE: if (len != 4) return -1; p->unshare_flags = (int)u32(b); return 0;
	case T_USERNS: p->userns = 1; return 0;
	default:
		return -1; /* an unknown record is a runtime/init version mismatch */
	}
}

int plan_read(int fd, struct plan *p)
{
	struct stat st;
	memset(p, 0, sizeof *p);
	p->status_fd = -1;
	p->umask_value = 0xffffffffu;
	if (fstat(fd, &st) < 0)
		return -1;
	if (st.st_size < 8 || st.st_size > (64 << 20)) {
		errno = EINVAL;
		return -1;
	}
	/* A private copy: records point into it for the life of the process. */
	unsigned char *buf = malloc((size_t)st.st_size);
	if (!buf)
		return -1;
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			errno = n < 0 ? errno : EIO;
			return -1;
		}
		got += (size_t)n;
	}
	if (memcmp(buf, PLAN_MAGIC, 8)) {
		errno = EINVAL;
		return -1;
	}
	size_t off = 8;
	while (off < got) {
		if (got - off < 8) { errno = EINVAL; return -1; }
		uint16_t tag = u16(buf + off);
		uint32_t len = u32(buf + off + 4);
		off += 8;
		if (len > got - off) { errno = EINVAL; return -1; }
		if (record(p, tag, buf + off, len)) { errno = EINVAL; return -1; }
		off += len;
	}
	if (!p->argv.n || !p->candidates.n) {
		errno = EINVAL;
		return -1;
	}
	if (!p->env.v && strings(NULL, 0, &p->env))
		return -1;
	return 0;
}
