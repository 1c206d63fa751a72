// Container root filesystems: build a busybox rootfs, copy one, or import a tarball.
//
// Every function builds into a temporary sibling directory (DIR.tmp-PID-RANDOM) and renames it
// into place at the end, so a failure never leaves a half-made DIR behind and an existing DIR
// is only replaced (with force) once the new one is complete.
//
// Errors are thrown as Error with a one-line message meant to be shown to the user as is.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants as fsc, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mountsUnder, readMountinfoAsync } from '../proc/proc.js';

/** Name of the marker file written at the root of every rootfs this module makes. */
export const ROOTFS_MARKER = '.engine-rootfs';

/** Workload binaries copied into a rootfs (at / and /usr/bin). probe is optional. */
export const WORKLOAD_NAMES = ['memory_hog', 'cpu_hog', 'io_pulse'] as const;
export const OPTIONAL_WORKLOAD_NAMES = ['probe'] as const;

/** Where a static busybox is looked for, in order. */
export const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

const STANDARD_DIRS = [
  'bin', 'sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'usr/bin', 'usr/sbin', 'var', 'var/tmp', 'run',
];
const TOOL_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const TOOL_TIMEOUT_MS = 120_000;

export interface CreateRootfsOptions {
  /** Directory holding memory_hog, cpu_hog, io_pulse (and optionally probe). When omitted, the
   * repository's workloads/bin is used if it exists; otherwise no workloads are copied. */
  workloadsDir?: string;
  /** Replace DIR if it exists (only an engine rootfs or an empty directory is replaced). */
  force?: boolean;
  /** Copy this existing rootfs directory (cp -a) instead of building a busybox one. */
  from?: string;
  /** Path of the busybox binary to use (default: the first of BUSYBOX_CANDIDATES). */
  busybox?: string;
}

export interface ImportRootfsOptions {
  /** Replace DIR if it exists (only an engine rootfs or an empty directory is replaced). */
  force?: boolean;
}

export interface RootfsResult {
  /** Absolute path of the rootfs made. */
  dir: string;
  /** How it was made. */
  kind: 'busybox' | 'copy' | 'import';
  /** Number of busybox applet links (busybox kind only, else 0). */
  applets: number;
  /** Workload names copied in. */
  workloads: string[];
  /** Source directory or tarball (copy and import kinds). */
  source?: string;
  /** Whether the rootfs has an executable /bin/sh (after resolving links inside it). */
  hasShell: boolean;
  /** DIR existed and was replaced. */
  replaced: boolean;
}

function run(file: string, args: string[], what: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env: { ...process.env, PATH: TOOL_PATH, LC_ALL: 'C' }, timeout: TOOL_TIMEOUT_MS, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout: String(stdout), stderr: String(stderr) });
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT') return reject(new Error(`${what}: ${file} not found`));
        const detail = String(stderr).trim().split('\n').filter(Boolean).pop() ?? e.message.split('\n')[0];
        reject(new Error(`${what} failed: ${e.killed ? 'timed out' : detail}`));
      },
    );
  });
}

async function lstatOrNull(p: string) {
  try {
    return await fs.lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** True if the file is an ELF executable with a PT_INTERP header (needs a dynamic loader). */
export async function isDynamicElf(file: string): Promise<boolean> {
  const fh = await fs.open(file, 'r');
  try {
    const hdr = Buffer.alloc(64);
    await fh.read(hdr, 0, 64, 0);
    if (hdr.readUInt32BE(0) !== 0x7f454c46) return false; // not ELF (a script, say)
    const is64 = hdr[4] === 2;
    const le = hdr[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(le ? hdr.readBigUInt64LE(32) : hdr.readBigUInt64BE(32)) : u32(hdr, 28);
    const phentsize = u16(hdr, is64 ? 54 : 42);
    const phnum = u16(hdr, is64 ? 56 : 44);
    if (!phnum || !phentsize || phnum > 4096) return false;
    const ph = Buffer.alloc(phentsize * phnum);
    await fh.read(ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (u32(ph, i * phentsize) === 3 /* PT_INTERP */) return true;
    return false;
  } finally {
    await fh.close();
  }
}

/** Finds a usable static busybox or throws with the package to install. */
export async function findBusybox(explicit?: string): Promise<string> {
  const candidates = explicit ? [explicit] : BUSYBOX_CANDIDATES;
  for (const c of candidates) {
    try {
      await fs.access(c, fsc.X_OK);
    } catch {
      continue;
    }
    if (await isDynamicElf(c)) {
      throw new Error(`${c} is dynamically linked and will not run inside a rootfs: apt-get install busybox-static`);
    }
    return c;
  }
  throw new Error(
    explicit
      ? `busybox not found at ${explicit}: apt-get install busybox-static`
      : 'busybox not found (looked in /bin and /usr/bin): apt-get install busybox-static',
  );
}

/** The repository's workloads/bin (from src/rootfs or dist/src/rootfs), if it exists. */
export async function defaultWorkloadsDir(): Promise<string | undefined> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const d = path.resolve(here, up, 'workloads', 'bin');
    if ((await lstatOrNull(path.join(d, WORKLOAD_NAMES[0])))?.isFile()) return d;
  }
  return undefined;
}

function requireRoot(what: string) {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(`${what} must run as root (it uses chroot and a mount namespace)`);
  }
}

/**
 * Checks DIR and decides what to do with an existing one. Returns the absolute path and
 * whether an existing DIR will be replaced.
 */
async function prepareTarget(dir: string, force: boolean | undefined): Promise<{ abs: string; exists: boolean }> {
  if (!dir || !dir.trim()) throw new Error('rootfs directory must not be empty');
  const abs = path.resolve(dir);
  if (abs === '/') throw new Error("refusing to use '/' as a rootfs directory");
  const st = await lstatOrNull(abs);
  if (!st) {
    // A parent that resolves to / is fine (e.g. /rootfs); only DIR itself may not be /.
    return { abs, exists: false };
  }
  if (st.isSymbolicLink()) {
    const real = await fs.realpath(abs).catch(() => abs);
    if (real === '/') throw new Error(`refusing to use ${dir}: it resolves to '/'`);
    throw new Error(`${dir} is a symbolic link (to ${real}): give the real directory`);
  }
  if (!st.isDirectory()) throw new Error(`${dir} exists and is not a directory`);
  if ((await fs.realpath(abs)) === '/') throw new Error(`refusing to use ${dir}: it resolves to '/'`);
  if (!force) throw new Error(`${dir} already exists (use --force to replace it)`);
  const entries = await fs.readdir(abs);
  if (entries.length > 0 && !entries.includes(ROOTFS_MARKER)) {
    throw new Error(`${dir} is not empty and is not an engine rootfs (no ${ROOTFS_MARKER}): refusing to replace it`);
  }
  const mounts = mountsUnder(await readMountinfoAsync().catch(() => []), await fs.realpath(abs));
  if (mounts.length) throw new Error(`${dir} has mounts inside it (${mounts[0]}): unmount them or stop its container first`);
  return { abs, exists: true };
}

function tempSibling(abs: string): string {
  return `${abs}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Moves the finished tmp into place, replacing an existing target if told to. */
async function commit(tmp: string, abs: string, replace: boolean): Promise<void> {
  if (replace) {
    const old = `${abs}.old-${process.pid}-${randomBytes(4).toString('hex')}`;
    await fs.rename(abs, old);
    try {
      await fs.rename(tmp, abs);
    } catch (e) {
      await fs.rename(old, abs).catch(() => {});
      throw e;
    }
    await fs.rm(old, { recursive: true, force: true });
  } else {
    await fs.rename(tmp, abs);
  }
}

async function writeFileMode(p: string, data: string, mode: number) {
  await fs.writeFile(p, data, { mode });
  await fs.chmod(p, mode);
}

async function writeMarker(root: string, info: Record<string, unknown>) {
  const body = JSON.stringify({ engine: 'rootfs', createdAt: new Date().toISOString(), ...info }, null, 2) + '\n';
  await writeFileMode(path.join(root, ROOTFS_MARKER), body, 0o644);
}

/** Resolves a path inside root as the container would see it (absolute links relative to root). */
async function resolveInside(root: string, p: string, depth = 0): Promise<string | null> {
  if (depth > 40) return null;
  const parts = p.split('/').filter(Boolean);
  let cur = '/';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '.') continue;
    if (part === '..') {
      cur = path.posix.dirname(cur);
      continue;
    }
    const next = path.posix.join(cur, part);
    const st = await lstatOrNull(path.join(root, next));
    if (!st) return null;
    if (st.isSymbolicLink()) {
      const target = await fs.readlink(path.join(root, next));
      const base = target.startsWith('/') ? target : path.posix.join(cur, target);
      const rest = parts.slice(i + 1).join('/');
      return resolveInside(root, rest ? `${base}/${rest}` : base, depth + 1);
    }
    cur = next;
  }
  return cur;
}

/** Whether /bin/sh inside root resolves to an executable regular file. */
export async function rootfsHasShell(root: string): Promise<boolean> {
  const inside = await resolveInside(root, '/bin/sh');
  if (!inside) return false;
  try {
    const st = await fs.stat(path.join(root, inside));
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Makes sure the mount points the runtime needs are real directories (not links out of root). */
async function ensureMountPoints(root: string, names: string[]) {
  for (const name of names) {
    const p = path.join(root, name);
    const st = await lstatOrNull(p);
    if (!st) await fs.mkdir(p, { recursive: true, mode: 0o755 });
    else if (!st.isDirectory()) {
      throw new Error(`rootfs /${name} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}: refusing it (mounts would land outside the rootfs)`);
    }
  }
}

/** Copies the workload binaries into root (/ and /usr/bin). Returns the names copied. */
async function installWorkloads(root: string, workloadsDir: string, explicit: boolean): Promise<string[]> {
  const st = await lstatOrNull(workloadsDir);
  if (!st || !(await fs.stat(workloadsDir)).isDirectory()) {
    if (!explicit) return [];
    throw new Error(`workloads directory ${workloadsDir} not found (build it with: make workloads)`);
  }
  const copied: string[] = [];
  const names = [...WORKLOAD_NAMES, ...OPTIONAL_WORKLOAD_NAMES];
  for (const name of names) {
    const src = path.join(workloadsDir, name);
    const sst = await fs.stat(src).catch(() => null);
    if (!sst || !sst.isFile()) {
      if ((WORKLOAD_NAMES as readonly string[]).includes(name)) {
        throw new Error(`workloads directory ${workloadsDir} has no ${name} (build it with: make workloads)`);
      }
      continue;
    }
    if (await isDynamicElf(src)) throw new Error(`${src} is dynamically linked: build workloads with -static`);
    await fs.mkdir(path.join(root, 'usr/bin'), { recursive: true });
    for (const dest of [path.join(root, name), path.join(root, 'usr/bin', name)]) {
      await fs.rm(dest, { force: true });
      await fs.copyFile(src, dest);
      await fs.chmod(dest, 0o755);
    }
    copied.push(name);
  }
  return copied;
}

/** Workload names present as files at the root of a rootfs. */
async function presentWorkloads(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const n of [...WORKLOAD_NAMES, ...OPTIONAL_WORKLOAD_NAMES]) {
    if ((await lstatOrNull(path.join(root, n)))?.isFile()) out.push(n);
  }
  return out;
}

async function countLinks(root: string): Promise<number> {
  let n = 0;
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin']) {
    const entries = await fs.readdir(path.join(root, d), { withFileTypes: true }).catch(() => []);
    n += entries.filter((e) => e.isSymbolicLink()).length;
  }
  return n;
}

const ETC_FILES: Record<string, [string, number]> = {
  'etc/passwd': ['root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n', 0o644],
  'etc/group': ['root:x:0:\nnogroup:x:65534:\n', 0o644],
  'etc/shadow': ['root:*:0:0:99999:7:::\nnobody:*:0:0:99999:7:::\n', 0o600],
  'etc/hostname': ['engine\n', 0o644],
  'etc/hosts': ['127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n', 0o644],
  'etc/profile': ['export PATH=/usr/sbin:/usr/bin:/sbin:/bin\nexport PS1="\\h:\\w\\$ "\n', 0o644],
};

async function buildBusybox(tmp: string, busybox: string) {
  await fs.mkdir(tmp, { mode: 0o755 });
  for (const d of STANDARD_DIRS) await fs.mkdir(path.join(tmp, d), { recursive: true, mode: 0o755 });
  await fs.chmod(path.join(tmp, 'tmp'), 0o1777);
  await fs.chmod(path.join(tmp, 'var/tmp'), 0o1777);
  await fs.chmod(path.join(tmp, 'root'), 0o700);
  await fs.copyFile(busybox, path.join(tmp, 'bin/busybox'));
  await fs.chmod(path.join(tmp, 'bin/busybox'), 0o755);
  for (const [rel, [body, mode]] of Object.entries(ETC_FILES)) await writeFileMode(path.join(tmp, rel), body, mode);

  // The applet links must be made inside the new root: busybox finds its own path through
  // /proc/self/exe, so run outside it would link to the host's busybox. Canonical locations
  // first (/bin/sh, /sbin/init, /usr/bin/env ...), then every applet in /bin as well (existing
  // links are left alone), as the busybox image does.
  const script = [
    'set -e',
    '/bin/busybox mount -t proc proc /proc',
    '/bin/busybox --install -s',
    '/bin/busybox --install -s /bin',
    '/bin/busybox umount /proc',
  ].join('; ');
  await run(
    'unshare',
    ['--mount', '--pid', '--fork', '--propagation', 'private', 'chroot', tmp, '/bin/busybox', 'sh', '-c', script],
    'installing busybox applets (unshare + chroot)',
  );
  // linuxrc (an initrd entry point) lands at / and means nothing in a container.
  if ((await lstatOrNull(path.join(tmp, 'linuxrc')))?.isSymbolicLink()) await fs.rm(path.join(tmp, 'linuxrc'));
  const sh = await lstatOrNull(path.join(tmp, 'bin/sh'));
  if (!sh) throw new Error('busybox --install made no /bin/sh: is this a full busybox build?');
}

/**
 * Makes a rootfs at dir: a busybox one (standard dirs, applet links, /etc basics), or with
 * opts.from a cp -a copy of an existing rootfs; then the workloads and the marker file.
 * Building needs root. Throws Error with a one-line message on any problem.
 */
export async function createRootfs(dir: string, opts: CreateRootfsOptions = {}): Promise<RootfsResult> {
  if (opts.from === undefined) requireRoot('rootfs create');
  const { abs, exists } = await prepareTarget(dir, opts.force);

  let from: string | undefined;
  let busybox: string | undefined;
  if (opts.from !== undefined) {
    if (!opts.from) throw new Error('--from needs a directory');
    const fst = await fs.stat(opts.from).catch(() => null);
    if (!fst) throw new Error(`source rootfs ${opts.from} not found`);
    if (!fst.isDirectory()) throw new Error(`source rootfs ${opts.from} is not a directory`);
    from = await fs.realpath(opts.from);
    if (from === '/') throw new Error("refusing to copy '/' as a rootfs");
    const target = exists ? await fs.realpath(abs) : abs;
    if (from === target || target.startsWith(from + '/') || from.startsWith(target + '/')) {
      throw new Error(`source ${opts.from} and target ${dir} overlap`);
    }
  } else {
    busybox = await findBusybox(opts.busybox);
  }

  let workloadsDir = opts.workloadsDir ? path.resolve(opts.workloadsDir) : undefined;
  const explicitWorkloads = workloadsDir !== undefined;
  if (!workloadsDir && !from) workloadsDir = await defaultWorkloadsDir();

  await fs.mkdir(path.dirname(abs), { recursive: true });
  const tmp = tempSibling(abs);
  try {
    if (from) {
      await run('cp', ['-a', '--', from, tmp], `copying ${opts.from}`);
      await ensureMountPoints(tmp, ['proc', 'sys', 'dev', 'tmp']);
    } else {
      await buildBusybox(tmp, busybox!);
    }
    if (workloadsDir) await installWorkloads(tmp, workloadsDir, explicitWorkloads);
    const workloads = await presentWorkloads(tmp);
    const applets = from ? 0 : await countLinks(tmp);
    await writeMarker(tmp, {
      kind: from ? 'copy' : 'busybox',
      ...(from ? { source: from } : { busybox }),
      workloads,
    });
    const hasShell = await rootfsHasShell(tmp);
    await fs.chmod(tmp, 0o755);
    await commit(tmp, abs, exists);
    return { dir: abs, kind: from ? 'copy' : 'busybox', applets, workloads, source: from, hasShell, replaced: exists };
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => {});
    throw e;
  }
}

/**
 * Unpacks a rootfs tarball (.tar, .tar.gz/.tgz, .tar.xz, .tar.bz2, .tar.zst: tar detects the
 * compression) into dir, makes sure /proc, /dev, /sys and /tmp are real directories, and writes
 * the marker. A tarball whose only entry is one directory holding the rootfs is unwrapped.
 */
export async function importRootfs(tarball: string, dir: string, opts: ImportRootfsOptions = {}): Promise<RootfsResult> {
  if (!tarball) throw new Error('tarball path must not be empty');
  const tst = await fs.stat(tarball).catch(() => null);
  if (!tst) throw new Error(`tarball ${tarball} not found`);
  if (!tst.isFile()) throw new Error(`tarball ${tarball} is not a regular file`);
  const src = path.resolve(tarball);
  const { abs, exists } = await prepareTarget(dir, opts.force);

  await fs.mkdir(path.dirname(abs), { recursive: true });
  const tmp = tempSibling(abs);
  try {
    await fs.mkdir(tmp, { mode: 0o755 });
    const asRoot = typeof process.getuid !== 'function' || process.getuid() === 0;
    await run(
      'tar',
      ['-x', '-f', src, '-C', tmp, '--numeric-owner', ...(asRoot ? ['--same-owner', '-p'] : ['--no-same-owner'])],
      `unpacking ${tarball}`,
    );
    let root = tmp;
    const entries = await fs.readdir(tmp, { withFileTypes: true });
    if (entries.length === 0) throw new Error(`tarball ${tarball} is empty`);
    if (entries.length === 1 && entries[0]!.isDirectory() && !['bin', 'usr', 'etc'].includes(entries[0]!.name)) {
      // A single wrapping directory (tar -cf x.tar rootfs/): use its contents.
      const inner = path.join(tmp, entries[0]!.name);
      const innerEntries = await fs.readdir(inner);
      if (innerEntries.some((n) => ['bin', 'usr', 'etc'].includes(n))) root = inner;
    }
    await ensureMountPoints(root, ['proc', 'sys', 'dev', 'tmp']);
    await writeMarker(root, { kind: 'import', source: src });
    const hasShell = await rootfsHasShell(root);
    await fs.chmod(root, 0o755);
    let final = tmp;
    if (root !== tmp) {
      final = tempSibling(abs);
      await fs.rename(root, final);
      await fs.rm(tmp, { recursive: true, force: true });
    }
    try {
      await commit(final, abs, exists);
    } catch (e) {
      await fs.rm(final, { recursive: true, force: true }).catch(() => {});
      throw e;
    }
    const workloads = await presentWorkloads(abs);
    return { dir: abs, kind: 'import', applets: 0, workloads, source: src, hasShell, replaced: exists };
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => {});
    throw e;
  }
}

/** Whether dir carries this module's marker file. */
export async function isEngineRootfs(dir: string): Promise<boolean> {
  return !!(await lstatOrNull(path.join(dir, ROOTFS_MARKER)))?.isFile();
}
