// cgroup v2's device control: the BPF program made from linux.resources.devices, attached to a real
// cgroup2 directory, decides what a process in that cgroup may open. On this hybrid host the
// controller-less cgroup2 tree (/sys/fs/cgroup/unified) runs device programs like any v2 host; the
// QEMU guest lane runs the same check with cgroup2 alone, through whole containers.

import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { deviceFilterProgram } from '../../src/cgroups/device-filter.js';
import { native } from '../../src/native/addon.js';
import type { DeviceRule } from '../../src/spec/config.js';
import { firstReason, isRoot, when } from '../support/skip.js';

function cgroup2Mount(): string | null {
  const line = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' - ')[1]?.startsWith('cgroup2 '));
  return line ? line.split(' ')[4]! : null;
}
const mount = cgroup2Mount();
const skip = firstReason(isRoot ? null : 'needs root (bpf, cgroups)', mount ? null : 'needs a cgroup2 mount');

test('the program is whole instructions, one block per rule, and checks only what a rule names', (t) => {
  const denyAll: DeviceRule = { allow: false, access: 'rwm' };
  const base = deviceFilterProgram([]).length / 8;
  t.is(base, 6 + 2, 'prologue and the final denial');
  t.is(deviceFilterProgram([denyAll]).length / 8, base, 'a rule on everything: its verdict ends the program');
  t.is(deviceFilterProgram([denyAll, { allow: true, type: 'c' }]).length / 8, 6 + 3 + 2, 'a type check, then the catch-all decides');
  t.is(deviceFilterProgram([{ allow: true, type: 'c' }, denyAll]).length / 8, base, 'a rule before a later catch-all can never decide: left out');
  t.is(deviceFilterProgram([{ allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }]).length / 8, base + 1 + 3 + 1 + 1 + 2);
  t.throws(() => deviceFilterProgram([{ allow: true, access: 'rx' }]), { message: /only r, w and m/ });
});

/** Opens each path from a process placed in the cgroup first: "ok" or the error, one per line. */
function opensFrom(dir: string, paths: string[], flag: 'r' | 'w'): string[] {
  const script = `echo $$ > ${dir}/cgroup.procs || exit 9\nfor p in ${paths.join(' ')}; do if ${flag === 'r' ? 'head -c 1 "$p" >/dev/null' : 'printf x > "$p"'} 2>/dev/null; then echo ok; else echo denied; fi; done`;
  const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
  return r.stdout.trim().split('\n');
}

when(test, skip)('attached to a cgroup2 directory: allowed nodes open, others are refused, the last matching rule wins', (t) => {
  const dir = path.join(mount!, `engine-devfilter-${process.pid}`);
  fs.mkdirSync(dir);
  t.teardown(() => fs.rmdirSync(dir));
  native().attachDeviceFilter(
    dir,
    deviceFilterProgram([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
      { allow: true, type: 'c', major: 1, minor: 5, access: 'r' }, // /dev/zero, read only
      { allow: true, type: 'c', major: 1, minor: 7, access: 'rw' }, // /dev/full ...
      { allow: false, type: 'c', major: 1, minor: 7 }, // ... then denied again: the last rule wins
    ]),
  );
  t.deepEqual(opensFrom(dir, ['/dev/null', '/dev/zero', '/dev/full', '/dev/urandom'], 'r'), ['ok', 'ok', 'denied', 'denied']);
  t.deepEqual(opensFrom(dir, ['/dev/null', '/dev/zero'], 'w'), ['ok', 'denied'], 'read-only means no write');
  t.deepEqual(opensFrom(path.dirname(dir), ['/dev/urandom'], 'r'), ['ok'], 'outside the cgroup nothing changes');
});

when(test, skip)('a program the kernel refuses is an error with its errno, nothing attached', (t) => {
  const dir = path.join(mount!, `engine-devfilter-bad-${process.pid}`);
  fs.mkdirSync(dir);
  t.teardown(() => fs.rmdirSync(dir));
  const err = t.throws(() => native().attachDeviceFilter(dir, Buffer.from([0x95, 0, 0, 0, 0, 0, 0, 0]))); // exit without r0
  t.is((err as NodeJS.ErrnoException).code, 'EACCES');
  t.deepEqual(opensFrom(dir, ['/dev/urandom'], 'r'), ['ok']);
});
