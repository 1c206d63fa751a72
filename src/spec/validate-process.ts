// Reading `process`, `root`, `mounts` and `hooks`: the parts of config.json that are not Linux-specific.

import { isCapabilityName, type CapabilityName } from '../security/capabilities.js';
import { RLIMIT_TYPES, RLIM_INFINITY, type Capabilities, type Hook, type Hooks, type IdMapping, type Mount, type Process, type Rlimit, type Root } from './config.js';
import {
  absolutePath, array, at, bool, defined, fail, id32, int, nonEmptyString, object, oneOf, opt, record, req, shown, string,
  uint32, unique, type Reader,
} from './check.js';

const readCapability: Reader<CapabilityName> = (v, path) => {
  const s = string(v, path);
  if (!isCapabilityName(s)) fail(path, `unknown capability ${shown(s)}`);
  return s;
};

const CAP_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;

function readCapabilities(v: unknown, path: string): Capabilities {
  const o = object(v, path);
  const caps: Capabilities = {};
  for (const set of CAP_SETS) {
    const list = opt(o, set, path, array(readCapability));
    if (list) caps[set] = list;
  }
  // capset(2) refuses an effective capability that is not permitted: say so now rather than fail
  // in the child. (An ambient one that is not both permitted and inheritable cannot be raised
  // either, but `runc spec` itself writes such configs and runc only warns: the security plan
  // leaves those out instead.)
  const permitted = new Set(caps.permitted ?? []);
  caps.effective?.forEach((c, i) => {
    if (!permitted.has(c)) fail(at(at(path, 'effective'), i), `${c} is effective but not permitted`);
  });
  return caps;
}

/** "NAME=value", the form execve(2) expects; a name is needed, a value may be empty. */
export const envEntry: Reader<string> = (v, path) => {
  const s = string(v, path);
  if (s.indexOf('=') <= 0) fail(path, `must be NAME=VALUE, got ${shown(s)}`);
  if (s.includes('\0')) fail(path, 'must not contain a NUL byte');
  return s;
};

/** An rlimit value: a uint64; 2^64-1 (which JSON delivers as 2^64) is RLIM_INFINITY. */
const rlimitValue: Reader<number> = (v, path) => {
  if (typeof v === 'number' && v >= RLIM_INFINITY) {
    if (v > RLIM_INFINITY) fail(path, `must be at most 18446744073709551615, got ${v}`);
    return RLIM_INFINITY;
  }
  if (typeof v === 'number' && v > Number.MAX_SAFE_INTEGER && Number.isInteger(v)) {
    fail(path, `${v} cannot be represented exactly; use 18446744073709551615 for unlimited`);
  }
  return int(0, Number.MAX_SAFE_INTEGER)(v, path);
};

function readRlimit(v: unknown, path: string): Rlimit {
  const o = object(v, path);
  const r: Rlimit = {
    type: req(o, 'type', path, oneOf(RLIMIT_TYPES, 'rlimit')),
    hard: req(o, 'hard', path, rlimitValue),
    soft: req(o, 'soft', path, rlimitValue),
  };
  if (r.soft > r.hard) fail(at(path, 'soft'), `${r.soft} is above the hard limit ${r.hard}`);
  return r;
}

function readProcess(v: unknown, path: string): Process {
  const o = object(v, path);
  const userPath = at(path, 'user');
  const u = req(o, 'user', path, object);
  const args = req(o, 'args', path, array(string));
  if (args.length === 0) fail(at(path, 'args'), 'must name a program to run');
  const rlimits = opt(o, 'rlimits', path, array(readRlimit));
  unique(rlimits, at(path, 'rlimits'), (r) => r.type, 'rlimit', 'type');
  return defined({
    terminal: opt(o, 'terminal', path, bool),
    consoleSize: opt(o, 'consoleSize', path, (c, p) => {
      const co = object(c, p);
      return { height: req(co, 'height', p, uint32), width: req(co, 'width', p, uint32) };
    }),
    user: defined({
      uid: req(u, 'uid', userPath, id32),
      gid: req(u, 'gid', userPath, id32),
      umask: opt(u, 'umask', userPath, int(0, 0o777)),
      additionalGids: opt(u, 'additionalGids', userPath, array(id32)),
    }),
    args,
    env: opt(o, 'env', path, array(envEntry)),
    cwd: req(o, 'cwd', path, absolutePath),
    capabilities: opt(o, 'capabilities', path, readCapabilities),
    rlimits,
    noNewPrivileges: opt(o, 'noNewPrivileges', path, bool),
    oomScoreAdj: opt(o, 'oomScoreAdj', path, int(-1000, 1000)),
    apparmorProfile: opt(o, 'apparmorProfile', path, string),
    selinuxLabel: opt(o, 'selinuxLabel', path, string),
  });
}

export function readIdMapping(v: unknown, path: string): IdMapping {
  const o = object(v, path);
  return {
    containerID: req(o, 'containerID', path, uint32),
    hostID: req(o, 'hostID', path, uint32),
    size: req(o, 'size', path, int(1, 0xffff_ffff)),
  };
}

function readMount(v: unknown, path: string): Mount {
  const o = object(v, path);
  return defined({
    destination: req(o, 'destination', path, absolutePath),
    type: opt(o, 'type', path, string),
    source: opt(o, 'source', path, string),
    options: opt(o, 'options', path, array(string)),
    uidMappings: opt(o, 'uidMappings', path, array(readIdMapping)),
    gidMappings: opt(o, 'gidMappings', path, array(readIdMapping)),
  });
}

function readHook(v: unknown, path: string): Hook {
  const o = object(v, path);
  return defined({
    path: req(o, 'path', path, absolutePath),
    args: opt(o, 'args', path, array(string)),
    env: opt(o, 'env', path, array(envEntry)),
    timeout: opt(o, 'timeout', path, int(1, 2 ** 31 - 1)),
  });
}

const HOOK_KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;

function readHooks(v: unknown, path: string): Hooks {
  const o = object(v, path);
  const hooks: Hooks = {};
  for (const kind of HOOK_KINDS) {
    const list = opt(o, kind, path, array(readHook));
    if (list) hooks[kind] = list;
  }
  return hooks;
}

function readRoot(v: unknown, path: string): Root {
  const o = object(v, path);
  return defined({ path: req(o, 'path', path, nonEmptyString), readonly: opt(o, 'readonly', path, bool) });
}

export const readers = {
  process: readProcess,
  root: readRoot,
  mounts: array(readMount),
  hooks: readHooks,
  annotations: record(string),
};
