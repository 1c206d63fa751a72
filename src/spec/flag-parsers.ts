// One parser per security flag of `engine start/run`, each with Docker's meaning and a one-line
// error that starts with the flag. buildSpec (from-flags.ts) applies what they return.

import { invalid } from '../errors.js';
import { canonicalCapability, DOCKER_DEFAULT_CAPABILITIES, type CapabilityName } from '../security/capabilities.js';
import { deviceAt } from '../security/host-devices.js';
import { namespaceTypeOf } from '../security/namespace-file.js';
import { RLIMIT_TYPES, RLIM_INFINITY, type Device, type DeviceRule, type Rlimit } from './config.js';

function capNames(flag: string, values: string[]): { names: CapabilityName[]; all: boolean } {
  const names: CapabilityName[] = [];
  let all = false;
  for (const v of values) {
    if (v.trim().toUpperCase() === 'ALL') {
      all = true;
      continue;
    }
    const name = canonicalCapability(v);
    if (!name) throw invalid(`${flag}: unknown capability ${JSON.stringify(v)}`);
    names.push(name);
  }
  return { names, all };
}

/**
 * The capability set after --cap-add/--cap-drop, as Docker computes it: `--cap-add ALL` is every
 * capability minus the drops; `--cap-drop ALL` keeps only the adds; otherwise the defaults minus
 * the drops plus the adds (so adding and dropping the same one keeps it). `grantable` is "every
 * capability": those the kernel knows and the runtime holds; naming one outside it is an error
 * here rather than an EPERM from capset in the container's child.
 */
export function tweakCapabilities(add: string[], drop: string[], grantable: readonly CapabilityName[]): CapabilityName[] {
  const adds = capNames('--cap-add', add);
  const drops = capNames('--cap-drop', drop);
  const missing = adds.names.find((c) => !grantable.includes(c));
  if (missing) throw invalid(`--cap-add ${missing.slice(4)}: the runtime does not hold ${missing} (not in its permitted set, or unknown to this kernel), so it cannot give it`);
  let caps: CapabilityName[];
  if (adds.all) caps = grantable.filter((c) => !drops.names.includes(c));
  else if (drops.all) caps = adds.names;
  else caps = [...DOCKER_DEFAULT_CAPABILITIES.filter((c) => !drops.names.includes(c)), ...adds.names];
  return [...new Set(caps)];
}

export type SeccompChoice = { kind: 'default' } | { kind: 'unconfined' } | { kind: 'profile'; file: string };

export interface SecurityOptions {
  noNewPrivileges?: boolean;
  seccomp?: SeccompChoice;
  /** systempaths=unconfined: no masked or read-only /proc and /sys paths. */
  unmaskSystemPaths?: boolean;
}

const KNOWN_OPTIONS = 'no-new-privileges[:true|false], seccomp=unconfined|builtin|PROFILE.json, systempaths=unconfined';

/** --security-opt values; a later one of the same kind wins, as with Docker. */
export function parseSecurityOpts(values: string[]): SecurityOptions {
  const out: SecurityOptions = {};
  for (const raw of values) {
    const m = /^([a-z-]+)(?:[=:](.*))?$/.exec(raw.trim());
    const key = m?.[1];
    const value = m?.[2];
    if (key === 'no-new-privileges') {
      if (value === undefined || value === 'true') out.noNewPrivileges = true;
      else if (value === 'false') out.noNewPrivileges = false;
      else throw invalid(`--security-opt ${raw}: expected no-new-privileges, no-new-privileges:true or no-new-privileges:false`);
    } else if (key === 'seccomp') {
      if (!value) throw invalid(`--security-opt ${raw}: expected seccomp=unconfined, seccomp=builtin or seccomp=PROFILE.json`);
      out.seccomp = value === 'unconfined' ? { kind: 'unconfined' } : value === 'builtin' ? { kind: 'default' } : { kind: 'profile', file: value };
    } else if (key === 'systempaths') {
      if (value !== 'unconfined') throw invalid(`--security-opt ${raw}: expected systempaths=unconfined`);
      out.unmaskSystemPaths = true;
    } else if (key === 'apparmor' || key === 'label') {
      throw invalid(`--security-opt ${raw}: ${key === 'apparmor' ? 'AppArmor profiles' : 'SELinux labels'} are not supported by engine`);
    } else {
      throw invalid(`--security-opt: unknown option ${JSON.stringify(raw)} (expected ${KNOWN_OPTIONS})`);
    }
  }
  return out;
}

export type NetworkChoice = { kind: 'private' } | { kind: 'host' } | { kind: 'join'; path: string };

/** --network none|host|ns:PATH; none (and no flag) is a new network namespace with only lo. */
export function parseNetwork(value: string | undefined, typeOf: (path: string) => string = namespaceTypeOf): NetworkChoice {
  if (value === undefined || value === 'none') return { kind: 'private' };
  if (value === 'host') return { kind: 'host' };
  if (value.startsWith('ns:')) {
    const path = value.slice(3);
    if (!path.startsWith('/')) throw invalid(`--network ${value}: the namespace path must be absolute`);
    let type: string;
    try {
      type = typeOf(path);
    } catch (e) {
      throw invalid(`--network ${value}: ${(e as Error).message}`);
    }
    if (type !== 'net') throw invalid(`--network ${value}: ${path} is a ${type} namespace, not a network namespace`);
    return { kind: 'join', path };
  }
  throw invalid(`--network: unknown mode ${JSON.stringify(value)} (expected none, host or ns:PATH)`);
}

export interface DeviceGrant {
  device: Device;
  rule: DeviceRule;
}

/** --device HOST[:CONTAINER][:PERMS]; PERMS is some of r, w, m (default rwm). */
export function parseDevice(value: string, lookup: (file: string, dest: string) => Device | undefined = deviceAt): DeviceGrant {
  const parts = value.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) throw invalid(`--device ${value}: expected HOST[:CONTAINER][:PERMS]`);
  const isPerms = (s: string) => /^[rwm]{1,3}$/.test(s) && new Set(s).size === s.length;
  const host = parts[0];
  let dest = host;
  let perms = 'rwm';
  if (parts.length === 3) {
    dest = parts[1];
    perms = parts[2];
    if (!isPerms(perms)) throw invalid(`--device ${value}: permissions must be some of r, w and m, got ${JSON.stringify(perms)}`);
  } else if (parts.length === 2) {
    if (isPerms(parts[1])) perms = parts[1];
    else dest = parts[1];
  }
  if (!host.startsWith('/')) throw invalid(`--device ${value}: the host path must be absolute`);
  if (!dest.startsWith('/')) throw invalid(`--device ${value}: the container path must be absolute`);
  let device: Device | undefined;
  try {
    device = lookup(host, dest);
  } catch (e) {
    throw invalid(`--device ${value}: ${host}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!device) throw invalid(`--device ${value}: ${host} is not a character or block device`);
  const rule: DeviceRule = { allow: true, type: device.type as 'c' | 'b', major: device.major, minor: device.minor, access: perms };
  return { device, rule };
}

/** --pids-limit N: N > 0 is the limit; 0 and -1 mean unlimited (Docker's meaning). */
export function parsePidsLimit(value: string | number): number {
  const s = String(value).trim();
  if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(Number(s)) || Number(s) < -1) {
    throw invalid(`--pids-limit: expected a positive integer, or -1 for unlimited, got ${JSON.stringify(String(value))}`);
  }
  const n = Number(s);
  return n <= 0 ? -1 : n;
}

/** Docker's --ulimit names. */
export const ULIMIT_NAMES: Record<string, Rlimit['type']> = Object.fromEntries(
  RLIMIT_TYPES.map((t) => [t.slice('RLIMIT_'.length).toLowerCase(), t]),
);

function ulimitValue(s: string, value: string): number {
  if (!/^-?\d+$/.test(s)) throw invalid(`--ulimit ${value}: ${JSON.stringify(s)} is not a number (use -1 for unlimited)`);
  const n = Number(s);
  if (n === -1) return RLIM_INFINITY;
  if (n < 0 || !Number.isSafeInteger(n)) throw invalid(`--ulimit ${value}: ${s} is out of range (0-${Number.MAX_SAFE_INTEGER}, or -1 for unlimited)`);
  return n;
}

/** --ulimit name=soft[:hard]; without hard, hard = soft. */
export function parseUlimit(value: string): Rlimit {
  const m = /^([A-Za-z_]+)=([^:]+)(?::(.+))?$/.exec(value.trim());
  if (!m) throw invalid(`--ulimit ${value}: expected NAME=SOFT[:HARD], e.g. nofile=1024:2048`);
  const type = ULIMIT_NAMES[m[1].toLowerCase()];
  if (!type) throw invalid(`--ulimit ${value}: unknown limit ${JSON.stringify(m[1])} (expected one of ${Object.keys(ULIMIT_NAMES).join(', ')})`);
  const soft = ulimitValue(m[2], value);
  const hard = m[3] === undefined ? soft : ulimitValue(m[3], value);
  if (soft > hard) throw invalid(`--ulimit ${value}: the soft limit is above the hard limit`);
  return { type, soft, hard };
}
