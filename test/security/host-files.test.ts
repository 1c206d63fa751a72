// Reading the host for flags: what a namespace file is, and which device nodes /dev holds.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deviceAt, devMajor, devMinor, hostDevices } from '../../src/security/host-devices.js';
import { namespaceTypeOf } from '../../src/security/namespace-file.js';
import { tempDir } from './helpers.js';
import { firstReason, isRoot, needsTool, when } from '../support/skip.js';

const dir = tempDir('hostfiles');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

test('namespace files name their type; other files are refused without being opened', (t) => {
  t.is(namespaceTypeOf('/proc/self/ns/net'), 'net');
  t.is(namespaceTypeOf('/proc/self/ns/mnt'), 'mnt');
  t.is(namespaceTypeOf(`/proc/${process.pid}/ns/uts`), 'uts');
  const file = path.join(dir, 'plain');
  writeFileSync(file, '');
  t.is(t.throws(() => namespaceTypeOf(file))?.message, `${file} is not a namespace file (not on nsfs)`);
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  t.is(t.throws(() => namespaceTypeOf(fifo))?.message, `${fifo} is not a namespace file (not on nsfs)`);
  t.is(t.throws(() => namespaceTypeOf(path.join(dir, 'none')))?.message, `${dir}/none: ENOENT`);
});

// `ip netns add` bind-mounts a namespace file under /run/netns: read back through /proc/self/fd it
// shows its path, not "net:[INODE]", so the type must come from the kernel (NS_GET_NSTYPE).
when(test, firstReason(isRoot ? null : 'needs root (ip netns add)', needsTool('ip')))('a bind-mounted namespace file (ip netns add) is a net namespace', (t) => {
  const name = `engine-hostfiles-${process.pid}`;
  execFileSync('ip', ['netns', 'add', name]);
  try {
    t.is(namespaceTypeOf(`/run/netns/${name}`), 'net');
  } finally {
    execFileSync('ip', ['netns', 'delete', name]);
  }
});

test('dev_t decoding matches glibc for large numbers', (t) => {
  // makedev(259, 1048575) in glibc's encoding
  const major = 259n;
  const minor = 1048575n;
  const dev = ((major & 0xfffn) << 8n) | ((major & ~0xfffn) << 32n) | (minor & 0xffn) | ((minor & ~0xffn) << 12n);
  t.is(devMajor(dev), 259);
  t.is(devMinor(dev), 1048575);
  t.is(devMajor(((4096n & 0xfffn) << 8n) | ((4096n & ~0xfffn) << 32n)), 4096);
});

test('deviceAt: a char device with its numbers and mode; anything else is undefined', (t) => {
  t.deepEqual(deviceAt('/dev/null', '/dev/n'), { type: 'c', path: '/dev/n', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 });
  t.is(deviceAt(dir), undefined);
});

test("hostDevices: /dev's nodes, without pts, console and ptmx, symlinks not followed", (t) => {
  const all = hostDevices();
  const byPath = new Map(all.map((d) => [d.path, d]));
  t.like(byPath.get('/dev/null'), { type: 'c', major: 1, minor: 3 });
  t.like(byPath.get('/dev/zero'), { type: 'c', major: 1, minor: 5 });
  t.false([...byPath.keys()].some((p) => p.startsWith('/dev/pts/') || p === '/dev/console' || p === '/dev/ptmx'));
  t.false(byPath.has('/dev/stdin'), 'a symlink');
  t.deepEqual(all.map((d) => d.path), [...all.map((d) => d.path)].sort());
});
