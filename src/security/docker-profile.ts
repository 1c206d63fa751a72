// Docker's seccomp profile format, and its conversion to the OCI form for one container.
//
// Why a conversion step: a Docker profile is a template. Its rules carry conditions (includes /
// excludes on capabilities, architectures and kernel version) that Docker resolves per container
// against the capability bounding set, so `--cap-add SYS_ADMIN` also lets mount(2) through. The OCI
// form that comes out is what config.json carries and what the compiler takes. Semantics follow
// moby's profiles/seccomp: all includes.caps must be held, any excludes.caps held drops the rule,
// arches compare with the Go name of the running architecture, archMap picks the native entry.

import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { isCapabilityName, type CapabilityName } from './capabilities.js';
import { nativeSeccompArch, type SeccompAction, type SeccompArch, type SeccompFlag } from './seccomp-names.js';
import type { Seccomp, SeccompArg, SeccompSyscall } from '../spec/config.js';
import { absolutePath, array, at, defined, fail, object, opt, req, shown, string, SpecError, type Reader } from '../spec/check.js';
import { checkErrnoRet, readAction, readArch, readArg, readErrno, readFlag, readSyscallName } from '../spec/validate-seccomp.js';
import { EngineError } from '../errors.js';

export interface KernelVersion {
  major: number;
  minor: number;
}

export interface RuleFilter {
  caps?: CapabilityName[];
  /** Go architecture names as Docker writes them: amd64, arm64, x32, ... */
  arches?: string[];
  /** "major.minor", as in the JSON. */
  minKernel?: string;
}

export interface DockerSyscall {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: SeccompArg[];
  comment?: string;
  includes?: RuleFilter;
  excludes?: RuleFilter;
}

export interface DockerProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: SeccompArch[];
  archMap?: { architecture: SeccompArch; subArchitectures?: SeccompArch[] }[];
  flags?: SeccompFlag[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: DockerSyscall[];
}

/** What a profile's conditions are judged against. */
export interface ProfileTarget {
  /** The container's capability bounding set. */
  capabilities: Iterable<string>;
  /** The native architecture (default: this process's). */
  arch?: SeccompArch;
  /** The running kernel (default: os.release()). */
  kernel?: KernelVersion;
}

/** Architecture names Docker profiles use in includes/excludes (Go's GOARCH, plus x86 and x32). */
const GO_ARCHES = [
  'amd64', '386', 'x86', 'x32', 'arm', 'arm64', 'ppc64', 'ppc64le', 's390', 's390x', 'riscv64', 'mips', 'mipsle',
  'mips64', 'mips64le', 'mips64n32', 'mips64len32', 'loong64',
];

const GO_ARCH_OF: Partial<Record<SeccompArch, string>> = {
  SCMP_ARCH_X86_64: 'amd64', SCMP_ARCH_X86: '386', SCMP_ARCH_AARCH64: 'arm64', SCMP_ARCH_ARM: 'arm',
  SCMP_ARCH_PPC64LE: 'ppc64le', SCMP_ARCH_PPC64: 'ppc64', SCMP_ARCH_S390X: 's390x', SCMP_ARCH_S390: 's390',
  SCMP_ARCH_RISCV64: 'riscv64', SCMP_ARCH_MIPSEL64: 'mips64le', SCMP_ARCH_MIPS64: 'mips64',
  SCMP_ARCH_MIPSEL: 'mipsle', SCMP_ARCH_MIPS: 'mips',
};

export function parseKernelVersion(release: string): KernelVersion {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) throw new Error(`cannot read a kernel version from ${shown(release)}`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

const atLeast = (k: KernelVersion, min: KernelVersion) => k.major > min.major || (k.major === min.major && k.minor >= min.minor);

const readCap: Reader<CapabilityName> = (v, path) => {
  const s = string(v, path);
  if (!isCapabilityName(s)) fail(path, `unknown capability ${shown(s)}`);
  return s;
};

const readGoArch: Reader<string> = (v, path) => {
  const s = string(v, path);
  if (!GO_ARCHES.includes(s)) fail(path, `unknown architecture ${shown(s)}`);
  return s;
};

const readKernel: Reader<string> = (v, path) => {
  const s = string(v, path);
  if (!/^\d+\.\d+$/.test(s)) fail(path, `must be a kernel version like "4.8", got ${shown(s)}`);
  return s;
};

function readFilter(v: unknown, path: string): RuleFilter {
  const o = object(v, path);
  return defined({
    caps: opt(o, 'caps', path, array(readCap)),
    arches: opt(o, 'arches', path, array(readGoArch)),
    minKernel: opt(o, 'minKernel', path, readKernel),
  });
}

function readDockerSyscall(v: unknown, path: string): DockerSyscall {
  const o = object(v, path);
  const names = opt(o, 'names', path, array(readSyscallName));
  const name = opt(o, 'name', path, readSyscallName); // the format's older, single-name spelling
  if (names?.length && name !== undefined) fail(path, 'has both "name" and "names": use one');
  const all = names?.length ? names : name !== undefined ? [name] : [];
  if (all.length === 0) fail(at(path, 'names'), 'must name at least one system call');
  const action = req(o, 'action', path, readAction);
  const errnoRet = opt(o, 'errnoRet', path, readErrno);
  checkErrnoRet(action, errnoRet, at(path, 'errnoRet'));
  return defined({
    names: all,
    action,
    errnoRet,
    args: opt(o, 'args', path, array(readArg)),
    comment: opt(o, 'comment', path, string),
    includes: opt(o, 'includes', path, readFilter),
    excludes: opt(o, 'excludes', path, readFilter),
  });
}

/** Validates a parsed Docker-format profile; errors name the JSON path inside the profile. */
export function readDockerProfile(json: unknown): DockerProfile {
  const o = object(json, '');
  const defaultAction = req(o, 'defaultAction', '', readAction);
  const defaultErrnoRet = opt(o, 'defaultErrnoRet', '', readErrno);
  checkErrnoRet(defaultAction, defaultErrnoRet, 'defaultErrnoRet');
  const architectures = opt(o, 'architectures', '', array(readArch));
  const archMap = opt(o, 'archMap', '', array((e, p) => {
    const eo = object(e, p);
    return defined({ architecture: req(eo, 'architecture', p, readArch), subArchitectures: opt(eo, 'subArchitectures', p, array(readArch)) });
  }));
  if (architectures?.length && archMap?.length) fail('archMap', 'cannot be used together with "architectures"');
  return defined({
    defaultAction,
    defaultErrnoRet,
    architectures,
    archMap,
    flags: opt(o, 'flags', '', array(readFlag)),
    listenerPath: opt(o, 'listenerPath', '', absolutePath),
    listenerMetadata: opt(o, 'listenerMetadata', '', string),
    syscalls: opt(o, 'syscalls', '', array(readDockerSyscall)),
  });
}

/**
 * Where JSON.parse stopped, as " at line L column C". Never the parser's own message: on Node 20 it
 * quotes the input, and the supervisor (root) must not echo a file it was pointed at to a client.
 */
function jsonErrorPlace(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return /end of JSON/.test(message) ? ' (it ends too early)' : '';
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  return ` at line ${line} column ${before.length - before.lastIndexOf('\n')}`;
}

const MAX_PROFILE_BYTES = 4 << 20; // Docker's default profile is ~20 KiB

/**
 * A profile file's text. The supervisor reads it on a client's word: a FIFO there would block its
 * event loop in open() and /dev/zero would never end, so it is opened non-blocking and only a
 * regular file of bounded size is read.
 */
function readProfileFile(file: string): string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_PROFILE_BYTES) throw new Error(`larger than ${MAX_PROFILE_BYTES} bytes`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads and validates a profile file. Every failure is one line that starts with `label` (by
 * default "seccomp profile FILE"; the CLI's flag as the user wrote it): unreadable, not JSON, or
 * which field breaks which rule.
 */
export function loadDockerProfile(file: string, label = `seccomp profile ${file}`): DockerProfile {
  let text: string;
  try {
    text = readProfileFile(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new EngineError('invalid_argument', `${label}: cannot read it: ${err.code ?? err.message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new EngineError('invalid_argument', `${label}: not valid JSON${jsonErrorPlace(text, (e as Error).message)}`);
  }
  try {
    return readDockerProfile(json);
  } catch (e) {
    if (e instanceof SpecError) throw new EngineError('invalid_argument', `${label}: ${e.message}`);
    throw e;
  }
}

function applies(rule: DockerSyscall, caps: Set<string>, goArch: string, kernel: KernelVersion): boolean {
  const ex = rule.excludes;
  if (ex) {
    if (ex.arches?.includes(goArch)) return false;
    if (ex.caps?.some((c) => caps.has(c))) return false;
    if (ex.minKernel && atLeast(kernel, parseKernelVersion(ex.minKernel))) return false;
  }
  const inc = rule.includes;
  if (inc) {
    if (inc.arches?.length && !inc.arches.includes(goArch)) return false;
    if (inc.caps?.length && !inc.caps.every((c) => caps.has(c))) return false;
    if (inc.minKernel && !atLeast(kernel, parseKernelVersion(inc.minKernel))) return false;
  }
  return true;
}

/** The OCI linux.seccomp for one container: the profile's rules resolved against its target. */
export function dockerProfileToOci(profile: DockerProfile, target: ProfileTarget): Seccomp {
  const arch = target.arch ?? nativeSeccompArch();
  const goArch = GO_ARCH_OF[arch] ?? arch;
  const kernel = target.kernel ?? parseKernelVersion(os.release());
  const caps = new Set(target.capabilities);

  let architectures = profile.architectures;
  if (profile.archMap?.length) {
    const entry = profile.archMap.find((e) => e.architecture === arch);
    architectures = entry ? [entry.architecture, ...(entry.subArchitectures ?? [])] : undefined;
  }
  const syscalls: SeccompSyscall[] = [];
  for (const rule of profile.syscalls ?? []) {
    if (!applies(rule, caps, goArch, kernel)) continue;
    syscalls.push(defined({ names: [...rule.names], action: rule.action, errnoRet: rule.errnoRet, args: rule.args?.map((a) => ({ ...a })) }));
  }
  return defined({
    defaultAction: profile.defaultAction,
    defaultErrnoRet: profile.defaultErrnoRet,
    architectures: architectures ? [...architectures] : undefined,
    flags: profile.flags ? [...profile.flags] : undefined,
    listenerPath: profile.listenerPath,
    listenerMetadata: profile.listenerMetadata,
    syscalls,
  });
}
