// engine's default seccomp profile, in Docker's format (resolved per container by docker-profile.ts).
//
// Why an allowlist: a system call the profile has never heard of (a new one, or one of the many
// rarely used ones) is refused with EPERM, so the kernel's attack surface a container can reach is
// what is listed here and nothing added later. It blocks what Docker's default blocks, for the
// same reasons, and is written as groups by purpose so a reader can see why each call is here.
//   - Unconditional: ordinary process work (files, memory, signals, time, IPC, sockets).
//   - Conditional: calls whose only legitimate use needs a capability the default container does
//     not hold; they come back when that capability is added (--cap-add SYS_ADMIN lets mount(2)
//     through, as with Docker). The kernel still checks the capability itself: seccomp is the
//     second wall, for kernel bugs reachable before that check.
//   - Not listed: BLOCKED below, each with its reason (the tests check that every system call of
//     x86_64 and i386 is either allowed somewhere here or named in BLOCKED).
// Deliberate differences from Docker's profile: io_uring is blocked (its share of recent kernel
// exploits; Docker followed in 2023), and name_to_handle_at needs CAP_DAC_READ_SEARCH like its
// partner open_by_handle_at (the "shocker" escape uses both; Docker allows the first).

import type { CapabilityName } from './capabilities.js';
import type { DockerProfile, DockerSyscall } from './docker-profile.js';
import type { SeccompArg } from '../spec/config.js';

const FILES = [
  'access', 'faccessat', 'faccessat2', 'chdir', 'fchdir', 'getcwd', 'chmod', 'fchmod', 'fchmodat', 'fchmodat2',
  'chown', 'fchown', 'lchown', 'fchownat', 'chown32', 'fchown32', 'lchown32', 'umask',
  'open', 'openat', 'openat2', 'creat', 'close', 'close_range', 'dup', 'dup2', 'dup3', 'fcntl', 'fcntl64', 'flock',
  'read', 'readv', 'pread64', 'preadv', 'preadv2', 'write', 'writev', 'pwrite64', 'pwritev', 'pwritev2',
  'lseek', '_llseek', 'sendfile', 'sendfile64', 'splice', 'tee', 'vmsplice', 'copy_file_range',
  'fsync', 'fdatasync', 'sync', 'syncfs', 'sync_file_range', 'truncate', 'truncate64', 'ftruncate', 'ftruncate64',
  'fallocate', 'fadvise64', 'fadvise64_64', 'readahead',
  'link', 'linkat', 'symlink', 'symlinkat', 'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2',
  'mkdir', 'mkdirat', 'rmdir', 'readlink', 'readlinkat', 'getdents', 'getdents64',
  // Which device nodes can be opened is the devices cgroup's decision, not seccomp's.
  'mknod', 'mknodat',
  'stat', 'lstat', 'fstat', 'newfstatat', 'stat64', 'lstat64', 'fstat64', 'fstatat64', 'statx',
  'statfs', 'fstatfs', 'statfs64', 'fstatfs64', 'utime', 'utimes', 'futimesat', 'utimensat', 'utimensat_time64',
  'getxattr', 'lgetxattr', 'fgetxattr', 'getxattrat', 'setxattr', 'lsetxattr', 'fsetxattr', 'setxattrat',
  'listxattr', 'llistxattr', 'flistxattr', 'listxattrat', 'removexattr', 'lremovexattr', 'fremovexattr', 'removexattrat',
  'inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch', 'fanotify_mark', 'ioctl',
];

const MEMORY = [
  'brk', 'mmap', 'mmap2', 'munmap', 'mremap', 'mprotect', 'madvise', 'mincore', 'msync', 'remap_file_pages',
  'mlock', 'mlock2', 'mlockall', 'munlock', 'munlockall', 'membarrier', 'memfd_create', 'memfd_secret',
  'pkey_alloc', 'pkey_free', 'pkey_mprotect', 'process_mrelease', 'cachestat', 'map_shadow_stack', 'mseal',
];

const PROCESSES = [
  'fork', 'vfork', 'execve', 'execveat', 'exit', 'exit_group', 'wait4', 'waitid', 'waitpid',
  'getpid', 'getppid', 'gettid', 'getpgid', 'setpgid', 'getpgrp', 'getsid', 'setsid',
  'set_tid_address', 'set_robust_list', 'get_robust_list', 'rseq', 'restart_syscall', 'prctl',
  'set_thread_area', 'get_thread_area', 'capget', 'capset', 'pidfd_open', 'pidfd_send_signal',
  'getrusage', 'times', 'sysinfo', 'uname', 'getrandom', 'getcpu', 'getpriority', 'setpriority', 'nice',
  'getrlimit', 'setrlimit', 'ugetrlimit', 'prlimit64', 'ioprio_get', 'ioprio_set',
  'sched_yield', 'sched_getaffinity', 'sched_setaffinity', 'sched_getattr', 'sched_setattr', 'sched_getparam',
  'sched_setparam', 'sched_getscheduler', 'sched_setscheduler', 'sched_get_priority_max', 'sched_get_priority_min',
  'sched_rr_get_interval', 'sched_rr_get_interval_time64',
  // Sandboxing a process further is always allowed.
  'seccomp', 'landlock_create_ruleset', 'landlock_add_rule', 'landlock_restrict_self',
  'lsm_get_self_attr', 'lsm_set_self_attr', 'lsm_list_modules',
];

const CREDENTIALS = [
  'getuid', 'geteuid', 'getgid', 'getegid', 'getresuid', 'getresgid', 'getgroups',
  'setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setgroups', 'setfsuid', 'setfsgid',
  'getuid32', 'geteuid32', 'getgid32', 'getegid32', 'getresuid32', 'getresgid32', 'getgroups32',
  'setuid32', 'setgid32', 'setreuid32', 'setregid32', 'setresuid32', 'setresgid32', 'setgroups32', 'setfsuid32', 'setfsgid32',
];

const SIGNALS = [
  'kill', 'tkill', 'tgkill', 'rt_sigaction', 'rt_sigprocmask', 'rt_sigpending', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo',
  'rt_sigreturn', 'rt_sigsuspend', 'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'sigaltstack', 'signalfd', 'signalfd4',
  'sigaction', 'signal', 'sigprocmask', 'sigpending', 'sigsuspend', 'sigreturn', 'pause', 'alarm',
];

// Reading clocks is free; adjtimex/clock_adjtime also read (ntp_gettime), and the kernel demands
// CAP_SYS_TIME for any change they make, as Docker relies on. Setting the clock is conditional below.
const TIME = [
  'time', 'gettimeofday', 'clock_gettime', 'clock_gettime64', 'clock_getres', 'clock_getres_time64',
  'clock_nanosleep', 'clock_nanosleep_time64', 'nanosleep', 'adjtimex', 'clock_adjtime', 'clock_adjtime64',
  'getitimer', 'setitimer', 'timer_create', 'timer_delete', 'timer_getoverrun', 'timer_gettime', 'timer_gettime64',
  'timer_settime', 'timer_settime64', 'timerfd_create', 'timerfd_gettime', 'timerfd_gettime64', 'timerfd_settime',
  'timerfd_settime64',
];

const WAITING = [
  'poll', 'ppoll', 'ppoll_time64', 'select', '_newselect', 'pselect6', 'pselect6_time64',
  'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_wait', 'epoll_wait_old', 'epoll_pwait',
  'epoll_pwait2', 'eventfd', 'eventfd2', 'futex', 'futex_time64', 'futex_waitv', 'futex_wake', 'futex_wait',
  'futex_requeue',
  // Linux AIO (not io_uring: see BLOCKED).
  'io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents', 'io_pgetevents', 'io_pgetevents_time64',
];

// System V and POSIX IPC live in the container's IPC namespace.
const IPC = [
  'pipe', 'pipe2', 'ipc', 'msgget', 'msgsnd', 'msgrcv', 'msgctl', 'semget', 'semop', 'semctl', 'semtimedop',
  'semtimedop_time64', 'shmget', 'shmat', 'shmdt', 'shmctl', 'mq_open', 'mq_unlink', 'mq_timedsend',
  'mq_timedsend_time64', 'mq_timedreceive', 'mq_timedreceive_time64', 'mq_notify', 'mq_getsetattr',
];

// Sockets live in the container's network namespace; socket() itself is conditional (AF_VSOCK).
const NETWORK = [
  'socketpair', 'bind', 'connect', 'listen', 'accept', 'accept4', 'getsockname', 'getpeername', 'getsockopt',
  'setsockopt', 'sendto', 'send', 'sendmsg', 'sendmmsg', 'recvfrom', 'recv', 'recvmsg', 'recvmmsg', 'recvmmsg_time64',
  'shutdown', 'socketcall',
];

/** Needs CAP_SYS_ADMIN: mounts, namespaces, the new mount API, host-wide names and logs, and more. */
const NEEDS_SYS_ADMIN = [
  'mount', 'umount', 'umount2', 'pivot_root', 'unshare', 'setns', 'fsopen', 'fsconfig', 'fsmount', 'fspick',
  'move_mount', 'open_tree', 'mount_setattr', 'fanotify_init', 'quotactl', 'quotactl_fd', 'lookup_dcookie',
  'sethostname', 'setdomainname', 'syslog', 'bpf', 'perf_event_open', 'clone', 'clone3', 'listmount', 'statmount',
];

/** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000;
const ENOSYS = 38;
const AF_VSOCK = 40;

const allow = (names: string[], more: Partial<DockerSyscall> = {}): DockerSyscall => ({ names, action: 'SCMP_ACT_ALLOW', ...more });
const withCap = (cap: CapabilityName, names: string[]): DockerSyscall => allow(names, { includes: { caps: [cap] } });
const arg0 = (op: SeccompArg['op'], value: number): SeccompArg[] => [{ index: 0, value, op }];

/** personality(2) values that change nothing dangerous: PER_LINUX, PER_LINUX32, UNAME26 and the query. */
const SAFE_PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

export const DEFAULT_SECCOMP_PROFILE: DockerProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1, // EPERM
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
  ],
  syscalls: [
    allow([...FILES, ...MEMORY, ...PROCESSES, ...CREDENTIALS, ...SIGNALS, ...TIME, ...WAITING, ...IPC, ...NETWORK]),
    allow(['socket'], { args: arg0('SCMP_CMP_NE', AF_VSOCK), comment: 'AF_VSOCK reaches the hypervisor, not the container network' }),
    ...SAFE_PERSONALITIES.map((v) => allow(['personality'], { args: arg0('SCMP_CMP_EQ', v) })),
    allow(['arch_prctl'], { includes: { arches: ['amd64', 'x32'] } }),
    allow(['modify_ldt'], { includes: { arches: ['amd64', 'x32', 'x86'] } }),
    // ptrace is contained by the PID namespace; before 4.8 it could bypass seccomp itself.
    allow(['ptrace', 'process_vm_readv', 'process_vm_writev'], { includes: { minKernel: '4.8' } }),
    withCap('CAP_SYS_ADMIN', NEEDS_SYS_ADMIN),
    // Without CAP_SYS_ADMIN: threads and fork yes, new namespaces no. clone3 passes its flags in
    // memory a filter cannot read, so it says "not implemented" and libc falls back to clone.
    allow(['clone'], { args: arg0('SCMP_CMP_MASKED_EQ', CLONE_NAMESPACE_FLAGS), excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] } }),
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    withCap('CAP_DAC_READ_SEARCH', ['open_by_handle_at', 'name_to_handle_at']),
    withCap('CAP_SYS_BOOT', ['reboot']),
    withCap('CAP_SYS_CHROOT', ['chroot']),
    withCap('CAP_SYS_MODULE', ['init_module', 'finit_module', 'delete_module']),
    withCap('CAP_SYS_PACCT', ['acct']),
    withCap('CAP_SYS_PTRACE', ['ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'pidfd_getfd', 'process_madvise']),
    withCap('CAP_SYS_RAWIO', ['iopl', 'ioperm']),
    withCap('CAP_SYS_TIME', ['settimeofday', 'stime', 'clock_settime', 'clock_settime64']),
    withCap('CAP_SYS_TTY_CONFIG', ['vhangup']),
    withCap('CAP_SYS_NICE', ['mbind', 'get_mempolicy', 'set_mempolicy', 'set_mempolicy_home_node', 'migrate_pages', 'move_pages']),
    withCap('CAP_SYSLOG', ['syslog']),
    withCap('CAP_BPF', ['bpf']),
    withCap('CAP_PERFMON', ['perf_event_open']),
  ],
};

/** System calls no container gets under the default profile, whatever its capabilities, and why. */
export const BLOCKED: Record<string, string> = {
  add_key: 'kernel keyrings are not namespaced',
  keyctl: 'kernel keyrings are not namespaced',
  request_key: 'kernel keyrings are not namespaced',
  kexec_load: 'loads a new kernel',
  kexec_file_load: 'loads a new kernel',
  userfaultfd: 'a classic tool for winning kernel races',
  io_uring_setup: 'io_uring: a large, fast-moving kernel surface',
  io_uring_enter: 'io_uring: a large, fast-moving kernel surface',
  io_uring_register: 'io_uring: a large, fast-moving kernel surface',
  swapon: 'host-wide swap',
  swapoff: 'host-wide swap',
  _sysctl: 'obsolete sysctl interface',
  uselib: 'obsolete (a.out libraries)',
  nfsservctl: 'removed from the kernel',
  ustat: 'obsolete; leaks host filesystem information',
  sysfs: 'obsolete',
  vm86: 'virtual 8086 mode',
  vm86old: 'virtual 8086 mode',
  create_module: 'removed from the kernel',
  get_kernel_syms: 'removed from the kernel',
  query_module: 'removed from the kernel',
  afs_syscall: 'not implemented',
  tuxcall: 'not implemented',
  security: 'not implemented',
  vserver: 'not implemented',
  getpmsg: 'not implemented',
  putpmsg: 'not implemented',
  break: 'not implemented',
  ftime: 'not implemented',
  gtty: 'not implemented',
  stty: 'not implemented',
  lock: 'not implemented',
  mpx: 'not implemented',
  prof: 'not implemented',
  profil: 'not implemented',
  idle: 'not implemented',
  bdflush: 'obsolete',
  ulimit: 'not implemented',
  readdir: 'obsolete (getdents replaces it)',
  oldstat: 'obsolete',
  oldfstat: 'obsolete',
  oldlstat: 'obsolete',
  olduname: 'obsolete',
  oldolduname: 'obsolete',
  sgetmask: 'obsolete',
  ssetmask: 'obsolete',
};
