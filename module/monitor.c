// SPDX-License-Identifier: GPL-2.0
/*
 * monitor.c - per-container RSS watchdog behind /dev/container_monitor.
 *
 * User space registers a task (host PID) with a soft and a hard RSS limit.
 * A delayed_work scans every registered task each interval_ms, in process
 * context: above soft it logs one warning per registration and queues an
 * event; above hard it sends SIGKILL, logs, queues an event and drops the
 * entry; a task that has exited is dropped with a "gone" event. Entries pin
 * the task's struct pid, never a raw number, so a recycled PID is never
 * mistaken for the registered task. The ABI is in monitor_ioctl.h.
 *
 * Locking: entries_lock (mutex) guards the entry list and the scan
 * counters; ring_lock (spinlock) guards the event ring. The scan takes
 * entries_lock, then ring_lock inside it; nothing takes them the other way.
 */
#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "monitor_ioctl.h"

#define MON_TAG "[container_monitor] "

static unsigned int interval_ms = 100;
module_param(interval_ms, uint, 0444);
MODULE_PARM_DESC(interval_ms, "RSS scan period in milliseconds (1..60000, default 100)");

static unsigned int event_queue_len = 256;
module_param(event_queue_len, uint, 0444);
MODULE_PARM_DESC(event_queue_len, "event records kept for read() (1..65536, default 256)");

struct monitor_entry {
	struct list_head node;
	struct pid *pid;		/* reference held for the entry's life */
	pid_t nr;			/* the number as registered, for logs */
	u64 soft_limit;
	u64 hard_limit;
	bool soft_warned;
	char id[MONITOR_ID_LEN];
};

static LIST_HEAD(entries);
static DEFINE_MUTEX(entries_lock);
static unsigned int entry_count;
static bool stopping;
static u64 stat_scans, stat_soft, stat_hard, stat_gone;

/*
 * Event ring: ring_head indexes the oldest record, ring_first is its absolute sequence number
 * (so a reader can tell whether the record it copied out was dropped meanwhile).
 */
static struct monitor_event *ring;
static unsigned int ring_head, ring_count;
static u64 ring_first;
static u64 stat_dropped;
static DEFINE_SPINLOCK(ring_lock);
static DECLARE_WAIT_QUEUE_HEAD(ring_wait);

static void monitor_scan(struct work_struct *work);
static DECLARE_DELAYED_WORK(scan_work, monitor_scan);

/* ---- event ring ---------------------------------------------------------- */

static void queue_event(u32 kind, const struct monitor_entry *e, u64 rss, u64 limit)
{
	struct monitor_event *ev;

	spin_lock(&ring_lock);
	if (ring_count == event_queue_len) {
		ring_head = (ring_head + 1) % event_queue_len;
		ring_first++;
		ring_count--;
		stat_dropped++;
	}
	ev = &ring[(ring_head + ring_count) % event_queue_len];
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->pid = e->nr;
	ev->rss_bytes = rss;
	ev->limit_bytes = limit;
	ev->time_ns = ktime_get_real_ns();
	ev->mono_ns = ktime_get_ns();
	memcpy(ev->container_id, e->id, sizeof(ev->container_id));
	ring_count++;
	spin_unlock(&ring_lock);
	wake_up_interruptible(&ring_wait);
}

static bool events_pending(void)
{
	return READ_ONCE(ring_count) != 0;
}

/* Copy the oldest record out without removing it; returns its sequence number. */
static bool peek_event(struct monitor_event *ev, u64 *seq)
{
	bool found = false;

	spin_lock(&ring_lock);
	if (ring_count) {
		*ev = ring[ring_head];
		ev->dropped = stat_dropped;
		*seq = ring_first;
		found = true;
	}
	spin_unlock(&ring_lock);
	return found;
}

/* Remove record @seq once it reached user space, unless overflow already dropped it. */
static void consume_event(u64 seq)
{
	spin_lock(&ring_lock);
	if (ring_count && ring_first == seq) {
		ring_head = (ring_head + 1) % event_queue_len;
		ring_first++;
		ring_count--;
	}
	spin_unlock(&ring_lock);
}

static ssize_t copy_events(char __user *buf, size_t count)
{
	struct monitor_event ev;
	size_t done = 0;
	u64 seq;

	while (done + sizeof(ev) <= count && peek_event(&ev, &seq)) {
		if (copy_to_user(buf + done, &ev, sizeof(ev)))
			return done ? done : -EFAULT;
		consume_event(seq);
		done += sizeof(ev);
	}
	return done;
}

static ssize_t monitor_read(struct file *file, char __user *buf, size_t count,
			    loff_t *ppos)
{
	ssize_t ret;

	if (count < sizeof(struct monitor_event))
		return -EINVAL;
	for (;;) {
		ret = copy_events(buf, count);
		if (ret)
			return ret;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(ring_wait, events_pending());
		if (ret)
			return ret;
	}
}

static __poll_t monitor_poll(struct file *file, poll_table *wait)
{
	poll_wait(file, &ring_wait, wait);
	return events_pending() ? EPOLLIN | EPOLLRDNORM : 0;
}

/* ---- entries --------------------------------------------------------------- */

static void free_entry(struct monitor_entry *e)
{
	put_pid(e->pid);
	kfree(e);
}

static void unlink_entry_locked(struct monitor_entry *e)
{
	lockdep_assert_held(&entries_lock);
	list_del(&e->node);
	if (!WARN_ON_ONCE(!entry_count))
		entry_count--;
}

static struct monitor_entry *find_by_pid_locked(struct pid *pid)
{
	struct monitor_entry *e;

	list_for_each_entry(e, &entries, node)
		if (e->pid == pid)
			return e;
	return NULL;
}

static struct monitor_entry *find_by_nr_locked(pid_t nr)
{
	struct monitor_entry *e;

	list_for_each_entry(e, &entries, node)
		if (e->nr == nr)
			return e;
	return NULL;
}

static void arm_scan_locked(void)
{
	lockdep_assert_held(&entries_lock);
	if (!stopping && !list_empty(&entries))
		queue_delayed_work(system_wq, &scan_work, msecs_to_jiffies(interval_ms));
}

/* ---- the scan ------------------------------------------------------------- */

static void report_soft(struct monitor_entry *e, u64 rss)
{
	e->soft_warned = true;
	stat_soft++;
	pr_warn(MON_TAG "SOFT LIMIT container=%s pid=%d rss=%llu limit=%llu\n",
		e->id, e->nr, rss, e->soft_limit);
	queue_event(MONITOR_EVENT_SOFT, e, rss, e->soft_limit);
}

static void report_hard(struct monitor_entry *e, u64 rss)
{
#ifndef MONITOR_SELFTEST_BREAK
	/* Deliberately missing in the harness self-test's broken build. */
	kill_pid(e->pid, SIGKILL, 1);
#endif
	stat_hard++;
	pr_warn(MON_TAG "HARD LIMIT container=%s pid=%d rss=%llu limit=%llu\n",
		e->id, e->nr, rss, e->hard_limit);
	queue_event(MONITOR_EVENT_HARD, e, rss, e->hard_limit);
}

static void report_gone(struct monitor_entry *e)
{
	stat_gone++;
	pr_debug(MON_TAG "gone container=%s pid=%d\n", e->id, e->nr);
	queue_event(MONITOR_EVENT_GONE, e, 0, e->hard_limit);
}

/*
 * RSS in bytes of the task behind pid, or -ESRCH when there is no live user task: exited, or a
 * kernel thread (neither has an mm).
 */
static s64 pid_rss(struct pid *pid)
{
	struct task_struct *task;
	struct mm_struct *mm;
	s64 rss;

	task = get_pid_task(pid, PIDTYPE_PID);
	if (!task)
		return -ESRCH;
	mm = get_task_mm(task);
	put_task_struct(task);
	if (!mm)
		return -ESRCH;
	rss = (s64)get_mm_rss(mm) << PAGE_SHIFT;
	mmput(mm);
	return rss;
}

/* Returns true when the entry is finished with: task gone or killed. */
static bool check_entry(struct monitor_entry *e)
{
	s64 ret = pid_rss(e->pid);
	u64 rss;

	if (ret < 0) {
		report_gone(e);
		return true;
	}
	rss = ret;
#ifdef MONITOR_SELFTEST_OOPS
	/* The harness self-test's crashing build: a NULL dereference in the scan. */
	if (rss > e->hard_limit)
		*(volatile int *)NULL = 1;
#endif
	if (rss > e->soft_limit && !e->soft_warned)
		report_soft(e, rss);
	if (rss > e->hard_limit) {
		report_hard(e, rss);
		return true;
	}
	return false;
}

static void monitor_scan(struct work_struct *work)
{
	struct monitor_entry *e, *tmp;
	LIST_HEAD(finished);

	mutex_lock(&entries_lock);
	stat_scans++;
	list_for_each_entry_safe(e, tmp, &entries, node) {
		if (!check_entry(e))
			continue;
		unlink_entry_locked(e);
		list_add(&e->node, &finished);
	}
	arm_scan_locked();
	mutex_unlock(&entries_lock);

	list_for_each_entry_safe(e, tmp, &finished, node)
		free_entry(e);
}

/* ---- ioctls --------------------------------------------------------------- */

static int check_request(const struct monitor_request *req, bool full)
{
	if (req->pid <= 0 || req->reserved)
		return -EINVAL;
	if (!full)
		return 0;
	if (!req->hard_limit_bytes || req->soft_limit_bytes > req->hard_limit_bytes)
		return -EINVAL;
	if (!req->container_id[0] ||
	    !memchr(req->container_id, '\0', sizeof(req->container_id)))
		return -EINVAL;
	return 0;
}

static int monitor_register(const struct monitor_request *req)
{
	struct monitor_entry *e;
	int ret;

	ret = check_request(req, true);
	if (ret)
		return ret;
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->pid = find_get_pid(req->pid);
	if (!e->pid) {
		ret = -ESRCH;
		goto out_free;
	}
	if (pid_rss(e->pid) < 0) {	/* only live user tasks can be monitored */
		ret = -ESRCH;
		goto out_put_pid;
	}
	e->nr = req->pid;
	e->soft_limit = req->soft_limit_bytes;
	e->hard_limit = req->hard_limit_bytes;
	strscpy(e->id, req->container_id, sizeof(e->id));

	mutex_lock(&entries_lock);
	if (find_by_pid_locked(e->pid)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	list_add_tail(&e->node, &entries);
	entry_count++;
	arm_scan_locked();
	mutex_unlock(&entries_lock);
	return 0;

out_unlock:
	mutex_unlock(&entries_lock);
out_put_pid:
	put_pid(e->pid);
out_free:
	kfree(e);
	return ret;
}

static int monitor_unregister(const struct monitor_request *req)
{
	struct monitor_entry *e;
	struct pid *pid;
	int ret;

	ret = check_request(req, false);
	if (ret)
		return ret;
	pid = find_get_pid(req->pid);

	mutex_lock(&entries_lock);
	e = pid ? find_by_pid_locked(pid) : NULL;
	if (!e)		/* the task may be gone, its entry not yet scanned */
		e = find_by_nr_locked(req->pid);
	if (e)
		unlink_entry_locked(e);
	mutex_unlock(&entries_lock);

	put_pid(pid);
	if (!e)
		return -ENOENT;
	free_entry(e);
	return 0;
}

static int monitor_get_stats(void __user *uarg)
{
	struct monitor_stats st = { 0 };

	mutex_lock(&entries_lock);
	st.entries = entry_count;
	st.scans = stat_scans;
	st.soft_events = stat_soft;
	st.hard_kills = stat_hard;
	st.gone_events = stat_gone;
	mutex_unlock(&entries_lock);

	spin_lock(&ring_lock);
	st.queued = ring_count;
	st.dropped = stat_dropped;
	spin_unlock(&ring_lock);

	st.queue_len = event_queue_len;
	st.interval_ms = interval_ms;
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long monitor_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct monitor_request req;

	switch (cmd) {
	case MONITOR_REGISTER:
	case MONITOR_UNREGISTER:
	case MONITOR_STATS:
		break;
	default:
		return -ENOTTY;
	}
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (cmd == MONITOR_STATS)
		return monitor_get_stats(uarg);
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (cmd == MONITOR_REGISTER)
		return monitor_register(&req);
	return monitor_unregister(&req);
}

static const struct file_operations monitor_fops = {
	.owner		= THIS_MODULE,
	.read		= monitor_read,
	.poll		= monitor_poll,
	.unlocked_ioctl	= monitor_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice monitor_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= MONITOR_DEVICE_NAME,
	.fops	= &monitor_fops,
	.mode	= 0600,
};

/* ---- load and unload --------------------------------------------------------- */

static void check_abi(void)
{
	BUILD_BUG_ON(sizeof(struct monitor_request) != 88);
	BUILD_BUG_ON(offsetof(struct monitor_request, reserved) != 4);
	BUILD_BUG_ON(offsetof(struct monitor_request, soft_limit_bytes) != 8);
	BUILD_BUG_ON(offsetof(struct monitor_request, hard_limit_bytes) != 16);
	BUILD_BUG_ON(offsetof(struct monitor_request, container_id) != 24);
	BUILD_BUG_ON(sizeof(struct monitor_event) != 112);
	BUILD_BUG_ON(offsetof(struct monitor_event, rss_bytes) != 8);
	BUILD_BUG_ON(offsetof(struct monitor_event, dropped) != 40);
	BUILD_BUG_ON(offsetof(struct monitor_event, container_id) != 48);
	BUILD_BUG_ON(sizeof(struct monitor_stats) != 64);
}

static int __init monitor_init(void)
{
	int ret;

	check_abi();
	if (!interval_ms || interval_ms > 60000 ||
	    !event_queue_len || event_queue_len > 65536) {
		pr_err(MON_TAG "bad parameter: interval_ms=%u event_queue_len=%u\n",
		       interval_ms, event_queue_len);
		return -EINVAL;
	}
	ring = kvcalloc(event_queue_len, sizeof(*ring), GFP_KERNEL);
	if (!ring)
		return -ENOMEM;
	ret = misc_register(&monitor_dev);
	if (ret)
		goto out_free_ring;
	pr_info(MON_TAG "loaded: /dev/%s interval_ms=%u event_queue_len=%u\n",
		MONITOR_DEVICE_NAME, interval_ms, event_queue_len);
	return 0;

out_free_ring:
	kvfree(ring);
	return ret;
}

static unsigned int free_all_entries(void)
{
	struct monitor_entry *e, *tmp;
	unsigned int freed = 0;

	mutex_lock(&entries_lock);
	list_for_each_entry_safe(e, tmp, &entries, node) {
		unlink_entry_locked(e);
		free_entry(e);
		freed++;
	}
	mutex_unlock(&entries_lock);
	return freed;
}

static void __exit monitor_exit(void)
{
	unsigned int freed;

	misc_deregister(&monitor_dev);
	mutex_lock(&entries_lock);
	stopping = true;
	mutex_unlock(&entries_lock);
	cancel_delayed_work_sync(&scan_work);
	freed = free_all_entries();
	kvfree(ring);
	pr_info(MON_TAG "unloaded: freed %u entries\n", freed);
}

module_init(monitor_init);
module_exit(monitor_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("engine");
MODULE_DESCRIPTION("Container RSS monitor: soft warnings and hard kills via /dev/container_monitor");
