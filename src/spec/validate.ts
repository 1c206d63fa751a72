// parseConfig: config.json (or what buildSpec made) in, a checked RuntimeSpec out, or one error
// that names the JSON path and the rule: `linux.namespaces[1].type: unknown namespace "foo"`.
//
// Why once, up front: the spawn path runs in a forked child where an error can only be an errno and
// a step number; every mistake a config can carry is caught here, before anything is created.
// Three layers: the shape of each field (validate-*.ts), rules between fields (below), and what
// this host or runtime cannot honour (unsupported.ts, the list to edit).

import type { NamespaceType, RuntimeSpec } from './config.js';
import { at, defined, fail, object, opt, req, shown, string, type Reader } from './check.js';
import { hostFeatures, type HostFeatures } from './host.js';
import { UNSUPPORTED } from './unsupported.js';
import { readers } from './validate-process.js';
import { readLinux } from './validate-linux.js';

export { SpecError } from './check.js';

const ociVersion: Reader<string> = (v, path) => {
  const s = string(v, path);
  if (!/^1\.\d+\.\d+(-[0-9A-Za-z.+-]+)?$/.test(s)) fail(path, `unsupported version ${shown(s)} (engine reads runtime-spec 1.x)`);
  return s;
};

/** sysctls that belong to a namespace, and which one; everything else would change the host. */
function sysctlNamespace(key: string): NamespaceType | 'hostname' | undefined {
  if (/^kernel\.(msgmax|msgmnb|msgmni|sem|shmall|shmmax|shmmni|shm_rmid_forced)$/.test(key) || key.startsWith('fs.mqueue.')) return 'ipc';
  if (key.startsWith('net.')) return 'network';
  if (key === 'kernel.domainname') return 'uts';
  if (key === 'kernel.hostname') return 'hostname';
  return undefined;
}

function checkRelations(spec: RuntimeSpec): void {
  const namespaces = new Map((spec.linux?.namespaces ?? []).map((n) => [n.type, n]));
  const has = (t: NamespaceType) => namespaces.has(t);

  if (!has('mount')) fail('linux.namespaces', 'must include a mount namespace: engine sets up the root filesystem inside one');
  if (spec.hostname && !has('uts')) fail('hostname', 'needs a uts namespace (setting it would rename the host)');
  if (spec.domainname && !has('uts')) fail('domainname', 'needs a uts namespace (setting it would rename the host)');

  const user = namespaces.get('user');
  const mapped = !!(spec.linux?.uidMappings?.length || spec.linux?.gidMappings?.length);
  if (user && !user.path && (!spec.linux?.uidMappings?.length || !spec.linux?.gidMappings?.length)) {
    fail('linux.uidMappings', 'a new user namespace needs both uidMappings and gidMappings');
  }
  if (mapped && (!user || user.path)) fail('linux.uidMappings', 'id mappings need a new user namespace');

  for (const key of Object.keys(spec.linux?.sysctl ?? {})) {
    const path = at('linux.sysctl', key);
    const ns = sysctlNamespace(key.replaceAll('/', '.'));
    if (ns === undefined) fail(path, 'not a namespaced sysctl: setting it would change the host');
    if (ns === 'hostname') fail(path, 'set the hostname field instead');
    if (!has(ns)) fail(path, `needs a${ns === 'ipc' || ns === 'uts' ? 'n' : ''} ${ns} namespace (setting it would change the host)`);
  }
}

/** Probes the host only if an unsupported-field check asks. */
function lazyHost(): HostFeatures {
  return {
    get selinux() { return hostFeatures().selinux; },
    get apparmor() { return hostFeatures().apparmor; },
    get cgroup2() { return hostFeatures().cgroup2; },
    get cpuRealtime() { return hostFeatures().cpuRealtime; },
    get cpuIdle() { return hostFeatures().cpuIdle; },
  };
}

function rejectUnsupported(spec: RuntimeSpec, host: HostFeatures): void {
  for (const entry of UNSUPPORTED) {
    const path = entry.find(spec, host);
    if (path) fail(path, `cannot be honoured: ${entry.reason(host)}`);
  }
}

/**
 * Validates a parsed config.json. Unknown fields are dropped, as the runtime-spec asks; a field this
 * host or runtime cannot honour is an error. Throws SpecError (an EngineError, code invalid_argument).
 */
export function parseConfig(json: unknown, host: HostFeatures = lazyHost()): RuntimeSpec {
  const o = object(json, '');
  const spec: RuntimeSpec = defined({
    ociVersion: req(o, 'ociVersion', '', ociVersion),
    process: req(o, 'process', '', readers.process),
    root: req(o, 'root', '', readers.root),
    hostname: opt(o, 'hostname', '', string),
    domainname: opt(o, 'domainname', '', string),
    mounts: opt(o, 'mounts', '', readers.mounts),
    hooks: opt(o, 'hooks', '', readers.hooks),
    annotations: opt(o, 'annotations', '', readers.annotations),
    linux: opt(o, 'linux', '', readLinux),
  });
  checkRelations(spec);
  rejectUnsupported(spec, host);
  return spec;
}

/** Validates an OCI Process object alone (runc's exec --process FILE). */
export function parseProcess(json: unknown): NonNullable<RuntimeSpec['process']> {
  return readers.process(json, 'process');
}
