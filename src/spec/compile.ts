// A validated spec (config.ts) turned into what engine-init executes (runtime/plan.ts): mount
// flags and data, namespaces to create and to join, devices, the security plan (capability masks,
// compiled seccomp), rlimits, ids. The same function serves `engine start` and `engine-oci create`;
// what only the caller knows (descriptors for stdio and the console, cgroup directories, the
// bundle) comes in as context.

import fs from 'node:fs';
import path from 'node:path';
import { cgroupLayout, UNIFIED } from '../cgroups/hierarchies.js';
import { invalid } from '../errors.js';
import { native } from '../native/addon.js';
import type { FdMap } from '../runtime/init-process.js';
import { CLONE, MS, PM, type InitPlan, type PlanDevice, type PlanHook, type PlanMount } from '../runtime/plan.js';
import { securityPlan } from '../security/plan.js';
import type { Device, Mount, NamespaceType, Propagation, RuntimeSpec } from './config.js';
import { DEFAULT_PATH } from './path-default.js';

const FLAG_OPTIONS: Record<string, [set: number, clear: number]> = {
  ro: [MS.RDONLY, 0], rw: [0, MS.RDONLY],
  nosuid: [MS.NOSUID, 0], suid: [0, MS.NOSUID],
  nodev: [MS.NODEV, 0], dev: [0, MS.NODEV],
  noexec: [MS.NOEXEC, 0], exec: [0, MS.NOEXEC],
  sync: [MS.SYNCHRONOUS, 0], async: [0, MS.SYNCHRONOUS],
  dirsync: [MS.DIRSYNC, 0], remount: [MS.REMOUNT, 0],
  mand: [MS.MANDLOCK, 0], nomand: [0, MS.MANDLOCK],
  noatime: [MS.NOATIME, 0], atime: [0, MS.NOATIME],
  nodiratime: [MS.NODIRATIME, 0], diratime: [0, MS.NODIRATIME],
  relatime: [MS.RELATIME, 0], norelatime: [0, MS.RELATIME],
  strictatime: [MS.STRICTATIME, 0], nostrictatime: [0, MS.STRICTATIME],
  nosymfollow: [MS.NOSYMFOLLOW, 0], silent: [MS.SILENT, 0], loud: [0, MS.SILENT],
  bind: [MS.BIND, 0], rbind: [MS.BIND | MS.REC, 0],
};

const PROPAGATION: Record<Propagation, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

const NS_FLAG: Record<Exclude<NamespaceType, 'time'>, number> = {
  pid: CLONE.NEWPID, network: CLONE.NEWNET, mount: CLONE.NEWNS, ipc: CLONE.NEWIPC, uts: CLONE.NEWUTS, user: CLONE.NEWUSER, cgroup: CLONE.NEWCGROUP,
};
/** setns order: the user namespace first (it grants the rest), the mount namespace last. */
const JOIN_ORDER: NamespaceType[] = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'mount'];

export interface ParsedMountOptions {
  flags: number;
  propagation: number;
  recursiveRo: boolean;
  /** tmpcopyup (runc, crun): a tmpfs that starts with a copy of the directory it covers */
  copyUp: boolean;
  data: string[];
}

export function parseMountOptions(options: string[] = []): ParsedMountOptions {
  let flags = 0;
  let propagation = 0;
  let recursiveRo = false;
  let copyUp = false;
  const data: string[] = [];
  for (const o of options) {
    if (o in FLAG_OPTIONS) {
      const [set, clear] = FLAG_OPTIONS[o];
      flags = (flags | set) & ~clear;
    } else if (o in PROPAGATION) {
      propagation = PROPAGATION[o as Propagation];
    } else if (o === 'rro') {
      flags |= MS.RDONLY;
      recursiveRo = true;
    } else if (o === 'rrw') {
      flags &= ~MS.RDONLY;
    } else if (o === 'tmpcopyup') {
      copyUp = true;
    } else if (o === 'idmap' || o === 'ridmap') {
      throw invalid(`mount option "${o}" is not supported by engine`);
    } else {
      data.push(o);
    }
  }
  return { flags, propagation, recursiveRo, copyUp, data };
}

export interface CompileContext {
  /** the bundle directory (engine-oci): a relative root.path or bind source is taken from it */
  bundle?: string;
  /** where engine-init's descriptors are numbered (stdio already in it) */
  fds: FdMap;
  /** the container's cgroup directories, for a mount of type "cgroup" (in a cgroup namespace,
   *  only their controllers are used: the mounts show the namespace's root) */
  cgroupDirs?: Array<{ controllers: string[]; dir: string }>;
  /** a console: the socket (in fds numbering) the pty's master goes to */
  consoleFd?: number;
  /** the state JSON the createContainer/startContainer hooks read */
  hookState?: string;
  /** runc's --no-pivot */
  noPivot?: boolean;
  /** signal the container gets when the runtime dies (the supervisor: SIGKILL) */
  parentDeathSignal?: number;
  /** refuse a mount destination that leaves the root through a symlink: every one, or those
   *  named (engine -v/--tmpfs) */
  strictDestinations?: boolean | ReadonlySet<string>;
  /** engine --overlay: root.path is the read-only lower layer of an overlayfs that engine-init
   *  mounts on `merged` in the container's mount namespace; upper and work are empty directories
   *  on one filesystem */
  overlay?: { upper: string; work: string; merged: string };
}

export interface Compiled {
  plan: Omit<InitPlan, 'statusFd' | 'gate'>;
  cloneFlags: number;
  /** descriptors opened for joins: close them once engine-init is started */
  openedFds: number[];
  /** names of plan.mounts in order, for error messages */
  mountNames: string[];
  /** a new user namespace: the caller writes these maps, then lets init go on */
  idMaps: { uid: string; gid: string } | null;
}

function rootfsOf(spec: RuntimeSpec, ctx: CompileContext): string {
  const given = spec.root?.path;
  if (!given) throw invalid('root.path is required');
  const abs = path.resolve(ctx.bundle ?? process.cwd(), given);
  let real: string;
  try {
    real = fs.realpathSync(abs);
  } catch (err) {
    throw invalid(`root.path ${abs}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (err as Error).message}`);
  }
  if (!fs.statSync(real).isDirectory()) throw invalid(`root.path ${abs} is not a directory`);
  return real;
}

/** The "cgroup" mount type: the container's own cgroups, as runc shows them (read-only unless asked). */
function cgroupMounts(m: Mount, parsed: ParsedMountOptions, ctx: CompileContext, newCgroupNs: boolean): PlanMount[] {
  const ro = (parsed.flags & MS.RDONLY) !== 0;
  const base = parsed.flags & (MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RELATIME);
  const layout = cgroupLayout();
  const isV2 = layout.version === 2;
  // In a cgroup namespace only the hierarchies matter (each mount shows the namespace's root);
  // outside one, the container's own directories are bound in.
  // A hybrid host's controller-less cgroup2 tree is not shown, as runc does not show it.
  const dirs = (newCgroupNs && layout.version === 1 ? layout.hierarchies.map((h) => ({ controllers: h.controllers, dir: '' })) : (ctx.cgroupDirs ?? [])).filter(
    (d) => layout.version === 2 || !d.controllers.includes(UNIFIED),
  );
  if (isV2 && newCgroupNs) {
    return [{ source: 'cgroup2', destination: m.destination, type: 'cgroup2', flags: base | (ro ? MS.RDONLY : 0), propagation: 0, pm: 0, data: '' }];
  }
  if (dirs.length === 0) return [];
  if (isV2) return [{ source: dirs[0].dir, destination: m.destination, type: 'bind', flags: MS.BIND | base | (ro ? MS.RDONLY : 0), propagation: 0, pm: 0, data: '' }];
  const out: PlanMount[] = [{ source: 'tmpfs', destination: m.destination, type: 'tmpfs', flags: base, propagation: 0, pm: 0, data: 'mode=755' }];
  for (const d of dirs) {
    // a named hierarchy shows under its name, as runc mounts it: name=systemd at .../systemd
    const destination = `${m.destination}/${d.controllers.map((c) => c.replace(/^name=/, '')).join(',')}`;
    // In a cgroup namespace the hierarchy mounts show the namespace's root, which is the container's
    // cgroup; outside one, the container's directory is bound in.
    out.push(
      newCgroupNs
        ? { source: 'cgroup', destination, type: 'cgroup', flags: base | (ro ? MS.RDONLY : 0), propagation: 0, pm: 0, data: d.controllers.join(',') }
        : { source: d.dir, destination, type: 'bind', flags: MS.BIND | base | (ro ? MS.RDONLY : 0), propagation: 0, pm: 0, data: '' },
    );
  }
  if (ro) out.push({ source: 'tmpfs', destination: m.destination, type: 'tmpfs', flags: MS.REMOUNT | MS.RDONLY | base, propagation: 0, pm: 0, data: 'mode=755' });
  return out;
}

function planMounts(spec: RuntimeSpec, ctx: CompileContext, newCgroupNs: boolean): PlanMount[] {
  const out: PlanMount[] = [];
  for (const m of spec.mounts ?? []) {
    const parsed = parseMountOptions(m.options);
    const type = m.type ?? (parsed.flags & MS.BIND ? 'bind' : '');
    if (type === 'cgroup') {
      out.push(...cgroupMounts(m, parsed, ctx, newCgroupNs));
      continue;
    }
    let flags = parsed.flags;
    const strict = typeof ctx.strictDestinations === 'object' ? ctx.strictDestinations.has(m.destination) : ctx.strictDestinations;
    let pm = (strict ? PM.BENEATH : 0) | (parsed.copyUp && type === 'tmpfs' ? PM.COPYUP : 0);
    let source = m.source ?? type;
    if (type === 'bind' || type === 'rbind' || flags & MS.BIND) {
      flags |= MS.BIND;
      if (type === 'rbind') flags |= MS.REC;
      source = path.resolve(ctx.bundle ?? '/', m.source ?? '');
      let st: fs.Stats;
      try {
        st = fs.statSync(source);
      } catch (err) {
        throw invalid(`mount ${m.destination}: source ${source}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (err as Error).message}`);
      }
      if (!st.isDirectory()) pm |= PM.DEST_FILE;
      if (parsed.recursiveRo || (flags & MS.RDONLY && flags & MS.REC)) pm |= PM.RECURSIVE;
    }
    out.push({ source, destination: m.destination, type: type === 'rbind' ? 'bind' : type, flags, propagation: parsed.propagation, pm, data: parsed.data.join(',') });
  }
  return out;
}

const DEFAULT_OCI_DEVICES: Device[] = [
  { type: 'c', path: '/dev/null', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { type: 'c', path: '/dev/zero', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { type: 'c', path: '/dev/full', major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { type: 'c', path: '/dev/random', major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
  { type: 'c', path: '/dev/urandom', major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
  { type: 'c', path: '/dev/tty', major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
];

/** The runtime-spec's default devices, then linux.devices (a later path replaces an earlier one). */
function planDevices(spec: RuntimeSpec, userns: boolean): PlanDevice[] {
  const byPath = new Map<string, Device>();
  for (const d of [...DEFAULT_OCI_DEVICES, ...(spec.linux?.devices ?? [])]) byPath.set(d.path, d);
  return [...byPath.values()].map((d) => ({
    path: d.path,
    type: d.type === 'u' ? 'c' : d.type,
    major: d.major ?? 0,
    minor: d.minor ?? 0,
    mode: d.fileMode ?? 0o666,
    uid: d.uid ?? 0,
    gid: d.gid ?? 0,
    bind: userns,
  }));
}

const mapLines = (maps: Array<{ containerID: number; hostID: number; size: number }> | undefined) =>
  (maps ?? []).map((m) => `${m.containerID} ${m.hostID} ${m.size}`).join('\n') + '\n';

function hooksFor(spec: RuntimeSpec, state: string | undefined): PlanHook[] {
  const out: PlanHook[] = [];
  for (const phase of ['createContainer', 'startContainer'] as const) {
    for (const h of spec.hooks?.[phase] ?? []) {
      out.push({ phase, path: h.path, args: h.args ?? [h.path], env: h.env ?? [], timeoutSec: h.timeout ?? 0, state: state ?? '{}' });
    }
  }
  return out;
}

/** The paths to try for argv[0] inside the container, as execvp would with the container's PATH. */
export function commandCandidates(command: string, env: string[] = []): string[] {
  if (command.includes('/')) return [path.posix.resolve('/', command)];
  const pathVar = [...env].reverse().find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  const dirs = pathVar.split(':').filter((d) => d.startsWith('/'));
  return (dirs.length ? dirs : DEFAULT_PATH.split(':')).map((d) => `${d}/${command}`);
}

/** The overlayfs mount options; its option syntax has no quoting we rely on, so paths that would
 *  need it are refused. */
export function overlayOptions(lower: string, o: NonNullable<CompileContext['overlay']>): string {
  for (const p of [lower, o.upper, o.work]) {
    if (/[,:\\\s]/.test(p)) throw invalid(`--overlay: the path ${p} contains a comma, colon, backslash or white space, which overlayfs options cannot carry`);
  }
  return `lowerdir=${lower},upperdir=${o.upper},workdir=${o.work}`;
}

export function compileSpec(spec: RuntimeSpec, ctx: CompileContext): Compiled {
  const proc = spec.process;
  if (!proc || proc.args.length === 0) throw invalid('process.args must name a command');
  const linux = spec.linux ?? {};
  const namespaces = linux.namespaces ?? [];
  const isNew = (t: NamespaceType) => namespaces.some((n) => n.type === t && !n.path);
  let cloneFlags = 0;
  const joins: Array<{ type: number; fd: number; nsType: NamespaceType }> = [];
  const openedFds: number[] = [];
  let forkAfterJoin = false;
  try {
    for (const [i, n] of namespaces.entries()) {
      if (n.type === 'time') throw invalid(`linux.namespaces[${i}]: time namespaces are not supported`);
      const flag = NS_FLAG[n.type];
      if (!n.path) {
        // A cgroup namespace is made once init is in the container's cgroups (its root is the
        // cgroup it is in): init unshares it after the parent's part.
        if (n.type !== 'cgroup') cloneFlags |= flag;
        continue;
      }
      let fd: number;
      try {
        fd = fs.openSync(n.path, 'r');
      } catch (err) {
        throw invalid(`linux.namespaces[${i}].path ${n.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      openedFds.push(fd);
      let actual: number;
      try {
        actual = native().nsType(fd);
      } catch {
        throw invalid(`linux.namespaces[${i}].path ${n.path} is not a namespace`);
      }
      if (actual !== flag) throw invalid(`linux.namespaces[${i}].path ${n.path} is not a ${n.type} namespace`);
      if (n.type === 'pid') forkAfterJoin = true;
      joins.push({ type: flag, fd: ctx.fds.add(fd), nsType: n.type });
    }
    joins.sort((a, b) => JOIN_ORDER.indexOf(a.nsType) - JOIN_ORDER.indexOf(b.nsType));
    const userns = isNew('user');
    // With a new user namespace init makes every namespace itself, the user namespace first
    // (runc's order): the others are then owned by it, and init keeps its capabilities.
    let unshare = isNew('cgroup') ? CLONE.NEWCGROUP : 0;
    if (userns) {
      unshare |= cloneFlags & ~CLONE.NEWUSER;
      cloneFlags = 0;
    }
    const security = securityPlan(spec);
    const mounts = planMounts(spec, ctx, isNew('cgroup'));
    const env = proc.env ?? [];
    const rootfs = rootfsOf(spec, ctx);
    const plan: Omit<InitPlan, 'statusFd' | 'gate'> = {
      rootfs: ctx.overlay ? ctx.overlay.merged : rootfs,
      rootOverlay: ctx.overlay ? overlayOptions(rootfs, ctx.overlay) : undefined,
      hostname: isNew('uts') && spec.hostname !== undefined ? spec.hostname : undefined,
      domainname: isNew('uts') && spec.domainname !== undefined ? spec.domainname : undefined,
      argv: proc.args,
      env,
      candidates: commandCandidates(proc.args[0], env),
      cwd: proc.cwd,
      user: { uid: security.uid, gid: security.gid, umask: security.umask, groups: security.additionalGids },
      caps: proc.capabilities ? security.capabilities : undefined,
      noNewPrivileges: security.noNewPrivileges,
      seccomp: security.seccomp ? { flags: security.seccomp.flags, filter: security.seccomp.program } : undefined,
      rlimits: security.rlimits,
      oomScoreAdj: security.oomScoreAdj,
      mounts,
      maskedPaths: linux.maskedPaths ?? [],
      readonlyPaths: linux.readonlyPaths ?? [],
      devices: planDevices(spec, userns),
      devTmpfs: mounts.some((m) => m.destination === '/dev' && m.type === 'tmpfs'),
      sysctl: Object.entries(linux.sysctl ?? {}),
      joins: joins.map(({ type, fd }) => ({ type, fd })),
      forkAfterJoin,
      rootReadonly: spec.root?.readonly ?? false,
      rootPropagation: linux.rootfsPropagation ? PROPAGATION[linux.rootfsPropagation] : 0,
      noPivot: ctx.noPivot,
      setsid: true,
      loopbackUp: isNew('network'),
      console: proc.terminal && ctx.consoleFd !== undefined ? { fd: ctx.consoleFd, rows: proc.consoleSize?.height ?? 0, cols: proc.consoleSize?.width ?? 0 } : undefined,
      becomeRoot: userns,
      userns,
      unshare,
      hooks: hooksFor(spec, ctx.hookState),
      personality: linux.personality ? 0 : undefined,
      parentDeathSignal: ctx.parentDeathSignal,
    };
    return {
      plan,
      cloneFlags,
      openedFds,
      mountNames: mounts.map((m) => m.destination),
      idMaps: userns ? { uid: mapLines(linux.uidMappings), gid: mapLines(linux.gidMappings) } : null,
    };
  } catch (err) {
    for (const fd of openedFds) fs.closeSync(fd);
    throw err;
  }
}

export interface ExecContext {
  fds: FdMap;
  /** a pidfd (in fds numbering) of the container's init: its namespaces are joined */
  initPidfd: number;
  /** CLONE_NEW* flags of the namespaces to join (the user namespace only when it is not ours) */
  joinFlags: number;
  consoleFd?: number;
}

/**
 * A process to run inside a running container (engine exec, engine-oci exec): no root to set up,
 * every namespace of the container's init joined at once through its pidfd, then a fork into its
 * PID namespace; the container's security (capabilities, seccomp, no_new_privs) as the process
 * spec says (by default the container's own).
 */
export function compileExec(spec: RuntimeSpec, ctx: ExecContext): Compiled {
  const proc = spec.process;
  if (!proc || proc.args.length === 0) throw invalid('the process needs args');
  const security = securityPlan(spec);
  const env = proc.env ?? [];
  const plan: Omit<InitPlan, 'statusFd' | 'gate'> = {
    rootfs: '',
    argv: proc.args,
    env,
    candidates: commandCandidates(proc.args[0], env),
    cwd: proc.cwd || '/',
    user: { uid: security.uid, gid: security.gid, umask: security.umask, groups: security.additionalGids },
    caps: proc.capabilities ? security.capabilities : undefined,
    noNewPrivileges: security.noNewPrivileges,
    seccomp: security.seccomp ? { flags: security.seccomp.flags, filter: security.seccomp.program } : undefined,
    rlimits: security.rlimits,
    oomScoreAdj: security.oomScoreAdj,
    joins: [{ type: ctx.joinFlags, fd: ctx.initPidfd }],
    forkAfterJoin: true,
    setsid: true,
    console: proc.terminal && ctx.consoleFd !== undefined ? { fd: ctx.consoleFd, rows: proc.consoleSize?.height ?? 0, cols: proc.consoleSize?.width ?? 0 } : undefined,
  };
  return { plan, cloneFlags: 0, openedFds: [], mountNames: [], idMaps: null };
}

/** The CLONE_NEW* flags of every namespace of `pid` that differs from this process's own. */
export function namespacesToJoin(pid: number): number {
  let flags = 0;
  const types: Array<[string, number]> = [
    ['mnt', CLONE.NEWNS], ['pid', CLONE.NEWPID], ['net', CLONE.NEWNET], ['ipc', CLONE.NEWIPC],
    ['uts', CLONE.NEWUTS], ['cgroup', CLONE.NEWCGROUP], ['user', CLONE.NEWUSER],
  ];
  for (const [name, flag] of types) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/ns/${name}`) !== fs.readlinkSync(`/proc/self/ns/${name}`)) flags |= flag;
    } catch {
      /* a kernel without that namespace type */
    }
  }
  return flags;
}
