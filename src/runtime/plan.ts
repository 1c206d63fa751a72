// The plan engine-init carries out between clone and exec (native/init/plan.h is the other half
// of this format): a typed object here, encoded to the binary records init reads from a memfd.
// Everything in it is already decided: init holds no policy.

export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  SYNCHRONOUS: 0x10,
  REMOUNT: 0x20,
  MANDLOCK: 0x40,
  DIRSYNC: 0x80,
  NOSYMFOLLOW: 0x100,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  MOVE: 0x2000,
  REC: 0x4000,
  SILENT: 0x8000,
  UNBINDABLE: 1 << 17,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
  RELATIME: 1 << 21,
  STRICTATIME: 1 << 24,
  LAZYTIME: 1 << 25,
} as const;

export const CLONE = {
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
} as const;

/** plan.h enum plan_mount_flags */
export const PM = { BIND_RO: 1, RECURSIVE: 2, DEST_FILE: 4, BENEATH: 8, COPYUP: 16 } as const;

export const GATE = { NONE: 0, PIPE: 1, FIFO: 2 } as const;
export const HOOK_PHASE = { createContainer: 1, startContainer: 2 } as const;

export interface PlanMount {
  source: string;
  /** absolute, inside the container */
  destination: string;
  type: string;
  /** MS_* */
  flags: number;
  /** MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE (| MS_REC), or 0 */
  propagation: number;
  /** PM_* */
  pm: number;
  /** filesystem options (the data argument of mount(2)) */
  data: string;
}

export interface PlanDevice {
  path: string;
  type: 'c' | 'b' | 'p';
  major: number;
  minor: number;
  mode: number;
  uid: number;
  gid: number;
  /** bind-mount the host's node instead of mknod (user namespaces) */
  bind: boolean;
}

export interface PlanHook {
  phase: keyof typeof HOOK_PHASE;
  path: string;
  args: string[];
  env: string[];
  timeoutSec: number;
  /** the container's state JSON, for the hook's stdin */
  state: string;
}

export interface Caps {
  bounding: bigint;
  effective: bigint;
  inheritable: bigint;
  permitted: bigint;
  ambient: bigint;
}

export interface InitPlan {
  /** absolute host path; '' keeps the current root (exec into a running container) */
  rootfs: string;
  /** overlayfs options (lowerdir=,upperdir=,workdir=): mounted on rootfs first (engine --overlay) */
  rootOverlay?: string;
  hostname?: string;
  domainname?: string;
  argv: string[];
  env: string[];
  /** absolute paths inside the container to try for argv[0], in order */
  candidates: string[];
  cwd?: string;
  user?: { uid: number; gid: number; umask?: number; groups: number[] };
  caps?: Caps;
  noNewPrivileges?: boolean;
  seccomp?: { flags: number; filter: Buffer };
  rlimits?: Array<{ resource: number; soft: bigint; hard: bigint }>;
  nice?: number;
  cpus?: number[];
  oomScoreAdj?: number;
  mounts?: PlanMount[];
  maskedPaths?: string[];
  readonlyPaths?: string[];
  devices?: PlanDevice[];
  sysctl?: Array<[string, string]>;
  /** setns(fd, type), in order; fd numbers as engine-init sees them */
  joins?: Array<{ type: number; fd: number }>;
  rootReadonly?: boolean;
  rootPropagation?: number;
  noPivot?: boolean;
  setsid?: boolean;
  loopbackUp?: boolean;
  console?: { fd: number; rows: number; cols: number };
  /** fd for 0, 1, 2 as init sees them; -1: /dev/null inside the container */
  stdio?: [number, number, number];
  gate: { kind: number; fd: number };
  /** wait for the parent's part (cgroups, id maps) on this fd before anything else */
  waitParentFd?: number;
  becomeRoot?: boolean;
  forkAfterJoin?: boolean;
  statusFd: number;
  devTmpfs?: boolean;
  hooks?: PlanHook[];
  personality?: number;
  keepFds?: number;
  /** a signal for the container when the runtime that made it dies (the supervisor: SIGKILL) */
  parentDeathSignal?: number;
  /** CLONE_NEW* flags to unshare once the parent's part is done (a cgroup namespace; with a user
   *  namespace, all the new ones: a new PID namespace then forks, as a joined one does) */
  unshare?: number;
  /** unshare a user namespace first and report it, for the parent to write the id maps */
  userns?: boolean;
}

const T = {
  ROOTFS: 1, HOSTNAME: 2, DOMAINNAME: 3, ARGV: 4, ENV: 5, EXEC_CANDIDATES: 6, CWD: 7, USER: 8, CAPS: 9,
  NO_NEW_PRIVS: 10, SECCOMP: 11, RLIMIT: 12, NICE: 13, CPUS: 14, OOM_SCORE_ADJ: 15, MOUNT: 16, MASKED_PATH: 17,
  READONLY_PATH: 18, DEVICE: 19, SYSCTL: 20, JOIN_NS: 21, ROOT_READONLY: 22, ROOT_PROPAGATION: 23, NO_PIVOT: 24,
  SETSID: 25, LOOPBACK_UP: 26, CONSOLE: 27, STDIO: 28, START_GATE: 29, WAIT_PARENT: 30, FORK: 31, STATUS_FD: 32,
  DEV_TMPFS: 33, HOOK: 34, PERSONALITY: 35, KEEP_FDS: 36, BECOME_ROOT: 38, PARENT_DEATH_SIGNAL: 39, UNSHARE: 40, USERNS: 41, ROOT_OVERLAY: 42,
} as const;

class Writer {
  private parts: Buffer[] = [Buffer.from('ENGPLAN1', 'latin1')];

  record(tag: number, payload: Buffer = Buffer.alloc(0)): void {
    const head = Buffer.alloc(8);
    head.writeUInt16LE(tag, 0);
    head.writeUInt32LE(payload.length, 4);
    this.parts.push(head, payload);
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const str = (s: string) => {
  if (s.includes('\0')) throw new Error(`a plan string cannot hold a NUL byte: ${JSON.stringify(s.slice(0, 40))}`);
  return Buffer.from(`${s}\0`, 'utf8');
};
const strs = (list: string[]) => Buffer.concat(list.map(str));
function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32LE(v >>> 0, 4 * i));
  return b;
}
function i32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v, 0);
  return b;
}
function u64s(...values: bigint[]): Buffer {
  const b = Buffer.alloc(8 * values.length);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt.asUintN(64, v), 8 * i));
  return b;
}

export function encodePlan(p: InitPlan): Buffer {
  const w = new Writer();
  w.record(T.STATUS_FD, u32s(p.statusFd));
  w.record(T.ROOTFS, str(p.rootfs));
  if (p.rootOverlay !== undefined) w.record(T.ROOT_OVERLAY, str(p.rootOverlay));
  if (p.hostname !== undefined) w.record(T.HOSTNAME, str(p.hostname));
  if (p.domainname !== undefined) w.record(T.DOMAINNAME, str(p.domainname));
  w.record(T.ARGV, strs(p.argv));
  w.record(T.ENV, strs(p.env));
  w.record(T.EXEC_CANDIDATES, strs(p.candidates));
  if (p.cwd !== undefined) w.record(T.CWD, str(p.cwd));
  if (p.user) w.record(T.USER, u32s(p.user.uid, p.user.gid, p.user.umask ?? 0xffffffff, p.user.groups.length, ...p.user.groups));
  if (p.caps) w.record(T.CAPS, u64s(p.caps.bounding, p.caps.effective, p.caps.inheritable, p.caps.permitted, p.caps.ambient));
  if (p.noNewPrivileges) w.record(T.NO_NEW_PRIVS);
  if (p.seccomp) w.record(T.SECCOMP, Buffer.concat([u32s(p.seccomp.flags), p.seccomp.filter]));
  for (const r of p.rlimits ?? []) w.record(T.RLIMIT, Buffer.concat([u32s(r.resource, 0), u64s(r.soft, r.hard)]));
  if (p.nice !== undefined) w.record(T.NICE, i32(p.nice));
  if (p.cpus && p.cpus.length) {
    const mask = Buffer.alloc(128); // cpu_set_t: 1024 bits
    for (const c of p.cpus) if (c >= 0 && c < 1024) mask[c >> 3] |= 1 << (c & 7);
    w.record(T.CPUS, mask);
  }
  if (p.oomScoreAdj !== undefined) w.record(T.OOM_SCORE_ADJ, i32(p.oomScoreAdj));
  for (const m of p.mounts ?? []) {
    const head = Buffer.alloc(16);
    head.writeBigUInt64LE(BigInt(m.flags), 0);
    head.writeUInt32LE(m.propagation >>> 0, 8);
    head.writeUInt32LE(m.pm >>> 0, 12);
    w.record(T.MOUNT, Buffer.concat([head, strs([m.source, m.destination, m.type, m.data])]));
  }
  for (const path of p.maskedPaths ?? []) w.record(T.MASKED_PATH, str(path));
  for (const path of p.readonlyPaths ?? []) w.record(T.READONLY_PATH, str(path));
  for (const d of p.devices ?? []) {
    w.record(T.DEVICE, Buffer.concat([u32s(d.type.charCodeAt(0), d.major, d.minor, d.mode, d.uid, d.gid, d.bind ? 1 : 0), str(d.path)]));
  }
  for (const [k, v] of p.sysctl ?? []) w.record(T.SYSCTL, strs([k, v]));
  for (const j of p.joins ?? []) w.record(T.JOIN_NS, u32s(j.type, j.fd));
  if (p.rootReadonly) w.record(T.ROOT_READONLY);
  if (p.rootPropagation) w.record(T.ROOT_PROPAGATION, u32s(p.rootPropagation));
  if (p.noPivot) w.record(T.NO_PIVOT);
  if (p.setsid) w.record(T.SETSID);
  if (p.loopbackUp) w.record(T.LOOPBACK_UP);
  if (p.console) {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(p.console.fd, 0);
    b.writeUInt16LE(p.console.rows & 0xffff, 4);
    b.writeUInt16LE(p.console.cols & 0xffff, 6);
    w.record(T.CONSOLE, b);
  }
  if (p.stdio) w.record(T.STDIO, Buffer.concat(p.stdio.map(i32)));
  w.record(T.START_GATE, u32s(p.gate.kind, p.gate.fd));
  if (p.waitParentFd !== undefined) w.record(T.WAIT_PARENT, u32s(p.waitParentFd));
  if (p.becomeRoot) w.record(T.BECOME_ROOT);
  if (p.forkAfterJoin) w.record(T.FORK);
  if (p.devTmpfs) w.record(T.DEV_TMPFS);
  for (const h of p.hooks ?? []) {
    w.record(T.HOOK, Buffer.concat([u32s(HOOK_PHASE[h.phase], h.timeoutSec), strs([h.path, '\x01', ...h.args, '\x02', ...h.env, '\x03', h.state])]));
  }
  if (p.personality !== undefined) w.record(T.PERSONALITY, u32s(p.personality));
  if (p.keepFds) w.record(T.KEEP_FDS, u32s(p.keepFds));
  if (p.parentDeathSignal) w.record(T.PARENT_DEATH_SIGNAL, u32s(p.parentDeathSignal));
  if (p.unshare) w.record(T.UNSHARE, u32s(p.unshare));
  if (p.userns) w.record(T.USERNS);
  return w.done();
}
