// Reading `linux`: namespaces, id mappings, devices, cgroup resources, sysctls, seccomp, paths.

import {
  NAMESPACE_TYPES, PROPAGATIONS, type BlockIO, type Cpu, type Device, type DeviceRule, type IntelRdt, type Linux,
  type Memory, type Namespace, type Personality, type Resources, type ThrottleDevice, type WeightDevice,
} from './config.js';
import {
  absolutePath, array, at, bool, defined, fail, id32, int, int64, object, oneOf, opt, record, req, shown, string,
  uint32, uint64, unique, type Reader,
} from './check.js';
import { readIdMapping } from './validate-process.js';
import { readSeccomp } from './validate-seccomp.js';

function readNamespace(v: unknown, path: string): Namespace {
  const o = object(v, path);
  return defined({ type: req(o, 'type', path, oneOf(NAMESPACE_TYPES, 'namespace')), path: opt(o, 'path', path, absolutePath) });
}

function readDevice(v: unknown, path: string): Device {
  const o = object(v, path);
  const type = req(o, 'type', path, oneOf(['c', 'b', 'u', 'p'] as const, 'device type'));
  const needsNumbers = type !== 'p';
  const major = opt(o, 'major', path, int64);
  const minor = opt(o, 'minor', path, int64);
  if (needsNumbers && major === undefined) fail(at(path, 'major'), `is required for a device of type ${type}`);
  if (needsNumbers && minor === undefined) fail(at(path, 'minor'), `is required for a device of type ${type}`);
  for (const [k, n] of [['major', major], ['minor', minor]] as const) {
    if (n !== undefined && (n < 0 || n > 0xffff_ffff)) fail(at(path, k), `must be a non-negative integer, got ${n}`);
  }
  return defined({
    type,
    path: req(o, 'path', path, absolutePath),
    major,
    minor,
    fileMode: opt(o, 'fileMode', path, int(0, 0o7777)),
    uid: opt(o, 'uid', path, id32),
    gid: opt(o, 'gid', path, id32),
  });
}

/** A device cgroup number: -1 (or absent) is the wildcard. */
const deviceNumber = int(-1, 0xffff_ffff);

const access: Reader<string> = (v, path) => {
  const s = string(v, path);
  if (!/^[rwm]{1,3}$/.test(s) || new Set(s).size !== s.length) fail(path, `must be some of r, w and m, each once, got ${shown(s)}`);
  return s;
};

function readDeviceRule(v: unknown, path: string): DeviceRule {
  const o = object(v, path);
  return defined({
    allow: req(o, 'allow', path, bool),
    type: opt(o, 'type', path, oneOf(['a', 'c', 'b'] as const, 'device rule type')),
    major: opt(o, 'major', path, deviceNumber),
    minor: opt(o, 'minor', path, deviceNumber),
    access: opt(o, 'access', path, access),
  });
}

/** A memory limit in bytes, or -1 for unlimited. */
const memoryBytes = int(-1, Number.MAX_SAFE_INTEGER);

function readMemory(v: unknown, path: string): Memory {
  const o = object(v, path);
  const m: Memory = defined({
    limit: opt(o, 'limit', path, memoryBytes),
    reservation: opt(o, 'reservation', path, memoryBytes),
    swap: opt(o, 'swap', path, memoryBytes),
    kernel: opt(o, 'kernel', path, memoryBytes),
    kernelTCP: opt(o, 'kernelTCP', path, memoryBytes),
    swappiness: opt(o, 'swappiness', path, int(0, 100)),
    disableOOMKiller: opt(o, 'disableOOMKiller', path, bool),
    useHierarchy: opt(o, 'useHierarchy', path, bool),
  });
  for (const k of ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP'] as const) {
    if (m[k] === 0) fail(at(path, k), 'must be positive, or -1 for unlimited');
  }
  // memory.swap is memory+swap (runc's meaning): it cannot be below the memory limit.
  if (m.swap !== undefined && m.swap !== -1 && m.limit !== undefined && m.limit !== -1 && m.swap < m.limit) {
    fail(at(path, 'swap'), `memory+swap ${m.swap} is below the memory limit ${m.limit}`);
  }
  return m;
}

/** A CPU or memory-node list as cpuset takes it: "0-3,5". */
const cpuList: Reader<string> = (v, path) => {
  const s = string(v, path);
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(s)) fail(path, `must be a list like 0-3,5, got ${shown(s)}`);
  for (const part of s.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (b !== undefined && b < a) fail(path, `range ${part} is backwards`);
  }
  return s;
};

function readCpu(v: unknown, path: string): Cpu {
  const o = object(v, path);
  return defined({
    shares: opt(o, 'shares', path, int(2, 262144)),
    quota: opt(o, 'quota', path, int(-1, Number.MAX_SAFE_INTEGER)),
    period: opt(o, 'period', path, int(1000, 1_000_000)),
    realtimeRuntime: opt(o, 'realtimeRuntime', path, int(-1, Number.MAX_SAFE_INTEGER)),
    realtimePeriod: opt(o, 'realtimePeriod', path, uint64),
    cpus: opt(o, 'cpus', path, cpuList),
    mems: opt(o, 'mems', path, cpuList),
    idle: opt(o, 'idle', path, int(0, 1)),
  });
}

const majorMinor = (o: Record<string, unknown>, path: string) => ({
  major: req(o, 'major', path, int64),
  minor: req(o, 'minor', path, int64),
});

const weight = int(10, 1000);
const readWeightDevice: Reader<WeightDevice> = (v, path) => {
  const o = object(v, path);
  return defined({ ...majorMinor(o, path), weight: opt(o, 'weight', path, weight), leafWeight: opt(o, 'leafWeight', path, weight) });
};
const readThrottle: Reader<ThrottleDevice> = (v, path) => {
  const o = object(v, path);
  return { ...majorMinor(o, path), rate: req(o, 'rate', path, uint64) };
};

function readBlockIO(v: unknown, path: string): BlockIO {
  const o = object(v, path);
  return defined({
    weight: opt(o, 'weight', path, weight),
    leafWeight: opt(o, 'leafWeight', path, weight),
    weightDevice: opt(o, 'weightDevice', path, array(readWeightDevice)),
    throttleReadBpsDevice: opt(o, 'throttleReadBpsDevice', path, array(readThrottle)),
    throttleWriteBpsDevice: opt(o, 'throttleWriteBpsDevice', path, array(readThrottle)),
    throttleReadIOPSDevice: opt(o, 'throttleReadIOPSDevice', path, array(readThrottle)),
    throttleWriteIOPSDevice: opt(o, 'throttleWriteIOPSDevice', path, array(readThrottle)),
  });
}

function readResources(v: unknown, path: string): Resources {
  const o = object(v, path);
  return defined({
    devices: opt(o, 'devices', path, array(readDeviceRule)),
    memory: opt(o, 'memory', path, readMemory),
    cpu: opt(o, 'cpu', path, readCpu),
    pids: opt(o, 'pids', path, (p, pp) => ({ limit: req(object(p, pp), 'limit', pp, int(-1, Number.MAX_SAFE_INTEGER)) })),
    blockIO: opt(o, 'blockIO', path, readBlockIO),
    hugepageLimits: opt(o, 'hugepageLimits', path, array((h, hp) => {
      const ho = object(h, hp);
      return { pageSize: req(ho, 'pageSize', hp, string), limit: req(ho, 'limit', hp, uint64) };
    })),
    network: opt(o, 'network', path, (n, np) => {
      const no = object(n, np);
      return defined({
        classID: opt(no, 'classID', np, uint32),
        priorities: opt(no, 'priorities', np, array((p, pp) => {
          const po = object(p, pp);
          return { name: req(po, 'name', pp, string), priority: req(po, 'priority', pp, uint32) };
        })),
      });
    }),
    rdma: opt(o, 'rdma', path, record((r, rp) => {
      const ro = object(r, rp);
      return defined({ hcaHandles: opt(ro, 'hcaHandles', rp, uint32), hcaObjects: opt(ro, 'hcaObjects', rp, uint32) });
    })),
    unified: opt(o, 'unified', path, record(string)),
  });
}

function readIntelRdt(v: unknown, path: string): IntelRdt {
  const o = object(v, path);
  return defined({
    closID: opt(o, 'closID', path, string),
    l3CacheSchema: opt(o, 'l3CacheSchema', path, string),
    memBwSchema: opt(o, 'memBwSchema', path, string),
    enableCMT: opt(o, 'enableCMT', path, bool),
    enableMBM: opt(o, 'enableMBM', path, bool),
  });
}

function readPersonality(v: unknown, path: string): Personality {
  const o = object(v, path);
  return defined({
    domain: req(o, 'domain', path, oneOf(['LINUX', 'LINUX32'] as const, 'personality domain')),
    flags: opt(o, 'flags', path, array(string)),
  });
}

export function readLinux(v: unknown, path: string): Linux {
  const o = object(v, path);
  const namespaces = opt(o, 'namespaces', path, array(readNamespace));
  unique(namespaces, at(path, 'namespaces'), (n) => n.type, 'namespace', 'type');
  const devices = opt(o, 'devices', path, array(readDevice));
  unique(devices, at(path, 'devices'), (d) => d.path, 'device path', 'path');
  return defined({
    namespaces,
    uidMappings: opt(o, 'uidMappings', path, array(readIdMapping)),
    gidMappings: opt(o, 'gidMappings', path, array(readIdMapping)),
    timeOffsets: opt(o, 'timeOffsets', path, record((t, tp) => {
      const to = object(t, tp);
      return defined({ secs: opt(to, 'secs', tp, int64), nanosecs: opt(to, 'nanosecs', tp, int(0, 999_999_999)) });
    })),
    devices,
    cgroupsPath: opt(o, 'cgroupsPath', path, string),
    resources: opt(o, 'resources', path, readResources),
    sysctl: opt(o, 'sysctl', path, record(string)),
    seccomp: opt(o, 'seccomp', path, readSeccomp),
    rootfsPropagation: opt(o, 'rootfsPropagation', path, oneOf(PROPAGATIONS, 'propagation')),
    maskedPaths: opt(o, 'maskedPaths', path, array(absolutePath)),
    readonlyPaths: opt(o, 'readonlyPaths', path, array(absolutePath)),
    mountLabel: opt(o, 'mountLabel', path, string),
    intelRdt: opt(o, 'intelRdt', path, readIntelRdt),
    personality: opt(o, 'personality', path, readPersonality),
  });
}
