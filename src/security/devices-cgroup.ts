// linux.resources.devices as the lines a cgroup v1 devices controller takes.
//
// Why order matters: the v1 controller keeps a default (allow or deny everything) plus a list of
// exceptions; writing "a" to devices.deny resets it to deny-all with no exceptions, and each allow
// line then adds one. So the spec's rules are written in order, each to devices.allow or
// devices.deny, exactly as runc does on v1; the usual spec starts with a deny-all rule.
// (cgroup v2 has no such files: there the same rules become an eBPF device program.)

import type { DeviceRule } from '../spec/config.js';

export interface DevicesLine {
  file: 'devices.allow' | 'devices.deny';
  line: string;
}

const num = (n: number | undefined) => (n === undefined || n < 0 ? '*' : String(n));

export function devicesCgroupLines(rules: readonly DeviceRule[]): DevicesLine[] {
  return rules.map((r) => ({
    file: r.allow ? 'devices.allow' : 'devices.deny',
    line: `${r.type ?? 'a'} ${num(r.major)}:${num(r.minor)} ${r.access ?? 'rwm'}`,
  }));
}
