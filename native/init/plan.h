/*
 * The plan: everything engine-init does between clone and the command's exec, decided in
 * TypeScript (src/runtime/plan.ts writes it) and executed here without any policy of its own.
 *
 * Wire format: the magic "ENGPLAN1", then records until the end of the file:
 *     u16 tag, u16 reserved (0), u32 length, then `length` bytes of payload.
 * Integers are little-endian. Strings are NUL-terminated; a list of strings is a sequence of
 * NUL-terminated strings filling the payload. The plan arrives as a memfd whose number is
 * engine-init's argv[1]; the other descriptors it names (status, start gate, stdio, namespaces,
 * console socket) are already at the numbers the plan gives.
 *
 * The status pipe carries struct init_status records to the runtime: READY once the root is
 * ready and the process waits at its start gate, a failed step with its errno, or the host pid
 * of the process that will run the command when the plan says to fork (a joined PID namespace).
 */
#ifndef ENGINE_INIT_PLAN_H
#define ENGINE_INIT_PLAN_H

#include <stdint.h>

#define PLAN_MAGIC "ENGPLAN1"

enum plan_tag {
	T_ROOTFS = 1,          /* string: the root filesystem, absolute host path ("" = keep /) */
	T_HOSTNAME = 2,        /* string */
	T_DOMAINNAME = 3,      /* string */
	T_ARGV = 4,            /* strings */
	T_ENV = 5,             /* strings */
	T_EXEC_CANDIDATES = 6, /* strings: absolute paths inside the container, tried in order */
	T_CWD = 7,             /* string */
	T_USER = 8,            /* u32 uid, u32 gid, u32 umask (0xffffffff: leave), u32 n, u32 groups[n] */
	T_CAPS = 9,            /* u64 bounding, effective, inheritable, permitted, ambient */
	T_NO_NEW_PRIVS = 10,   /* empty */
	T_SECCOMP = 11,        /* u32 flags (SECCOMP_FILTER_FLAG_*), then struct sock_filter[] */
	T_RLIMIT = 12,         /* u32 resource, u32 pad, u64 soft, u64 hard (repeatable) */
	T_NICE = 13,           /* i32 */
	T_CPUS = 14,           /* cpu_set_t bytes */
	T_OOM_SCORE_ADJ = 15,  /* i32 */
	T_MOUNT = 16,          /* struct plan_mount, then strings source, destination, fstype, data */
	T_MASKED_PATH = 17,    /* string (repeatable) */
	T_READONLY_PATH = 18,  /* string (repeatable) */
	T_DEVICE = 19,         /* struct plan_device, then string path (repeatable) */
	T_SYSCTL = 20,         /* strings key, value (repeatable) */
	T_JOIN_NS = 21,        /* u32 nstype (CLONE_NEW*), u32 fd (repeatable) */
	T_ROOT_READONLY = 22,  /* empty */
	T_ROOT_PROPAGATION = 23, /* u32 MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE */
	T_NO_PIVOT = 24,       /* empty: chroot instead of pivot_root (runc --no-pivot) */
	T_SETSID = 25,         /* empty: a new session (always with a console) */
	T_LOOPBACK_UP = 26,    /* empty: bring lo up in a new network namespace */
	T_CONSOLE = 27,        /* u32 socket fd, u16 rows, u16 cols: make a pty, send its master */
	T_STDIO = 28,          /* i32 fd for 0, 1, 2 (-1: /dev/null inside the container) */
	T_START_GATE = 29,     /* u32 kind (GATE_*), u32 fd */
	T_WAIT_PARENT = 30,    /* u32 fd: read one byte 'p' from it before anything (the parent's part:
	                          cgroups joined, user namespace maps written) */
	T_FORK = 31,           /* empty: after joining, fork; the child runs the command */
	T_STATUS_FD = 32,      /* u32 fd */
	T_DEV_TMPFS = 33,      /* empty: a tmpfs /dev with the fd links and /dev/ptmx -> pts/ptmx */
	T_HOOK = 34,           /* u32 phase (HOOK_*), u32 timeout s, strings: path, then "\x01" args..., "\x02" env..., "\x03" state */
	T_PERSONALITY = 35,    /* u32 */
	T_KEEP_FDS = 36,       /* u32 n: fds 3 .. 3+n-1 are passed to the command (--preserve-fds) */
	T_BECOME_ROOT = 38,    /* empty: setresuid/setresgid(0) first (in a new user namespace, once mapped) */
	T_PARENT_DEATH_SIGNAL = 39, /* u32 signal: sent to the container when the runtime dies (supervisor) */
	T_USERNS = 41,         /* empty: unshare(CLONE_NEWUSER) first and report STEP_USERNS, so the
	                          parent can write the id maps before init waits for it (a user
	                          namespace made by clone would exec engine-init unmapped, and lose
	                          its capabilities at that exec) */
	T_UNSHARE = 40,        /* u32 CLONE_NEW* flags: unshared after the parent's part and the joins
	                          (a cgroup namespace rooted at the container's cgroups, which the
	                          parent has put init in by then) */
	T_ROOT_OVERLAY = 42,   /* string: overlayfs options (lowerdir=,upperdir=,workdir=) mounted on
	                          T_ROOTFS in the container's mount namespace before anything else, so
	                          the container writes to its upper dir and the host sees no mount */
};

enum plan_gate { GATE_NONE = 0, GATE_PIPE = 1, GATE_FIFO = 2 };
enum plan_hook_phase { HOOK_CREATE_CONTAINER = 1, HOOK_START_CONTAINER = 2 };

/* T_MOUNT flags */
enum plan_mount_flags {
	PM_BIND_RO = 1 << 0,      /* a bind mount remounted read-only (recursively with PM_RECURSIVE) */
	PM_RECURSIVE = 1 << 1,    /* rbind / recursive read-only */
	PM_DEST_FILE = 1 << 2,    /* the mount point is a file (the source is not a directory) */
	PM_BENEATH = 1 << 3,      /* refuse a destination that leaves the root through a symlink */
	PM_COPYUP = 1 << 4,       /* tmpcopyup: a tmpfs starts with a copy of what it covers */
};

struct plan_mount {
	uint64_t flags;       /* MS_* for mount(2) */
	uint32_t propagation; /* MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE (| MS_REC), or 0 */
	uint32_t pm;          /* PM_* */
};

struct plan_device {
	uint32_t type;  /* 'c', 'b', 'p' (fifo) */
	uint32_t major;
	uint32_t minor;
	uint32_t mode;  /* permission bits */
	uint32_t uid;
	uint32_t gid;
	uint32_t bind;  /* 1: bind-mount the host's node (user namespaces cannot mknod) */
};

/* What engine-init reports on the status pipe. */
struct init_status {
	int32_t step;  /* STEP_READY, STEP_CHILD_PID, or the step that failed */
	int32_t err;   /* errno of the failure */
	int32_t flags; /* STATUS_* with STEP_READY */
	int32_t value; /* the pid with STEP_CHILD_PID */
};

enum init_status_flags { STATUS_CHROOT = 1 };

enum init_step {
	STEP_READY = 0,
	STEP_PLAN = 1,
	STEP_JOIN_NS = 2,
	STEP_SETSID = 3,
	STEP_MOUNT_PRIVATE = 4,
	STEP_ROOTFS = 5,
	STEP_MOUNT = 6,
	STEP_DEV = 7,
	STEP_DEVICE = 8,
	STEP_PIVOT_ROOT = 9,
	STEP_UMOUNT_OLD = 10,
	STEP_MASK = 11,
	STEP_READONLY = 12,
	STEP_HOSTNAME = 13,
	STEP_SYSCTL = 14,
	STEP_NICE = 15,
	STEP_AFFINITY = 16,
	STEP_RLIMIT = 17,
	STEP_CONSOLE = 18,
	STEP_STDIO = 19,
	STEP_CWD = 20,
	STEP_USER = 21,
	STEP_CAPS = 22,
	STEP_NO_NEW_PRIVS = 23,
	STEP_SECCOMP = 24,
	STEP_GATE = 25,
	STEP_EXEC = 26,
	STEP_LOOPBACK = 27,
	STEP_OOM_SCORE = 28,
	STEP_FORK = 29,
	STEP_HOOK = 30,
	STEP_PERSONALITY = 31,
	STEP_CGROUP = 32,
	STEP_UNSHARE = 33,
	STEP_CHILD_PID = 100,
	STEP_USERNS = 101,
};

/* Exit codes of a process that never ran its command (src/exit-status.ts). */
enum init_exit { EXIT_SETUP_FAILED = 125, EXIT_NOT_EXECUTABLE = 126, EXIT_NOT_FOUND = 127 };

#endif
