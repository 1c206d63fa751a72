/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * monitor_ioctl.h - the user-space ABI of monitor.ko (/dev/container_monitor).
 *
 * The one header shared by the kernel module and the native addon; it must
 * compile in both worlds, so it uses only <linux/types.h> and <linux/ioctl.h>.
 * Every field has a fixed width; padding is explicit and must be zero.
 *
 * ioctl()s (all need CAP_SYS_ADMIN, else EPERM):
 *   MONITOR_REGISTER    start watching request.pid's RSS against the limits.
 *   MONITOR_UNREGISTER  stop watching request.pid (only pid and reserved are read).
 *   MONITOR_STATS       copy out a struct monitor_stats (counters since load).
 * Errors: unknown command ENOTTY; bad pointer EFAULT; invalid field EINVAL
 * (pid <= 0, reserved != 0, hard == 0, soft > hard, container_id empty or not
 * NUL-terminated within its 64 bytes); no such task ESRCH; pid already
 * registered EEXIST; unregister of a pid that is not registered ENOENT.
 *
 * read(): whole struct monitor_event records, oldest first, as many as fit in
 * the buffer (a buffer smaller than one record is EINVAL). With no record
 * queued it blocks, or fails with EAGAIN on an O_NONBLOCK descriptor.
 * poll(): POLLIN | POLLRDNORM while at least one record is queued.
 * The queue is global to the device (one consumer, the supervisor, is
 * expected) and holds event_queue_len records (module parameter, default
 * 256). When it is full the OLDEST record is dropped and counted: every
 * record carries the total number dropped since load (as of the read() that
 * returns it) in .dropped, and MONITOR_STATS reports it too.
 *
 * Kernel log lines (KERN_WARNING), one per event:
 *   [container_monitor] SOFT LIMIT container=<id> pid=<pid> rss=<bytes> limit=<bytes>
 *   [container_monitor] HARD LIMIT container=<id> pid=<pid> rss=<bytes> limit=<bytes>
 */
#ifndef MONITOR_IOCTL_H
#define MONITOR_IOCTL_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define MONITOR_DEVICE_NAME	"container_monitor"
#define MONITOR_DEVICE_PATH	"/dev/container_monitor"
#define MONITOR_ID_LEN		64

/* 88 bytes on x86_64 (and every ABI: no implicit padding). */
struct monitor_request {
	__s32 pid;			/*  0: host PID, > 0 */
	__u32 reserved;			/*  4: must be 0 */
	__aligned_u64 soft_limit_bytes;	/*  8: warn once above this RSS */
	__aligned_u64 hard_limit_bytes;	/* 16: SIGKILL above this; > 0, >= soft */
	char container_id[MONITOR_ID_LEN]; /* 24: NUL-terminated, non-empty */
};

enum monitor_event_kind {
	MONITOR_EVENT_SOFT = 1,	/* RSS crossed the soft limit (once per registration) */
	MONITOR_EVENT_HARD = 2,	/* RSS crossed the hard limit: SIGKILL sent, entry removed */
	MONITOR_EVENT_GONE = 3,	/* the task exited; entry removed (rss 0, limit = hard) */
};

/* 112 bytes, the unit of read(). */
struct monitor_event {
	__u32 kind;			/*   0: enum monitor_event_kind */
	__s32 pid;			/*   4: the pid as registered */
	__aligned_u64 rss_bytes;	/*   8: RSS seen by the scan (0 for GONE) */
	__aligned_u64 limit_bytes;	/*  16: the limit crossed (hard for GONE) */
	__aligned_u64 time_ns;		/*  24: CLOCK_REALTIME when the event was made */
	__aligned_u64 mono_ns;		/*  32: CLOCK_MONOTONIC, same instant */
	__aligned_u64 dropped;		/*  40: records dropped on overflow since load, as of this read() */
	char container_id[MONITOR_ID_LEN]; /* 48: as registered, NUL-terminated */
};

/* 64 bytes: counters since the module was loaded. */
struct monitor_stats {
	__u32 entries;			/*  0: tasks being watched now */
	__u32 queued;			/*  4: event records waiting to be read */
	__u32 queue_len;		/*  8: capacity of the event queue */
	__u32 interval_ms;		/* 12: scan period */
	__aligned_u64 dropped;		/* 16: event records dropped on overflow */
	__aligned_u64 scans;		/* 24: scans run */
	__aligned_u64 soft_events;	/* 32: soft limit crossings */
	__aligned_u64 hard_kills;	/* 40: hard limit kills */
	__aligned_u64 gone_events;	/* 48: entries dropped because the task exited */
	__aligned_u64 reserved;		/* 56: 0 */
};

#define MONITOR_IOC_MAGIC	'M'
#define MONITOR_REGISTER	_IOW(MONITOR_IOC_MAGIC, 1, struct monitor_request)
#define MONITOR_UNREGISTER	_IOW(MONITOR_IOC_MAGIC, 2, struct monitor_request)
#define MONITOR_STATS		_IOR(MONITOR_IOC_MAGIC, 3, struct monitor_stats)

#endif /* MONITOR_IOCTL_H */
