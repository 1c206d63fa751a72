// The default device rules in a real cgroup v1 devices controller: a block device node can be made
// (mknod is allowed) but not opened; the default nodes open.

import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { devicesCgroupLines } from '../../src/security/devices-cgroup.js';
import { DEFAULT_DEVICE_RULES } from '../../src/spec/defaults.js';
import { PROBE, ensureHelpers, isRoot, tempDir } from './helpers.js';
import { when } from '../support/skip.js';

test('the spec rules as v1 lines, in order, wildcards as *', (t) => {
  t.deepEqual(devicesCgroupLines(DEFAULT_DEVICE_RULES).slice(0, 4), [
    { file: 'devices.deny', line: 'a *:* rwm' },
    { file: 'devices.allow', line: 'c *:* m' },
    { file: 'devices.allow', line: 'b *:* m' },
    { file: 'devices.allow', line: 'c 1:3 rwm' },
  ]);
  t.deepEqual(devicesCgroupLines([{ allow: true, type: 'c', major: 136, access: 'rwm' }, { allow: true, type: 'b', major: 7, minor: -1, access: 'r' }]), [
    { file: 'devices.allow', line: 'c 136:* rwm' },
    { file: 'devices.allow', line: 'b 7:* r' },
  ]);
});

/** Our own devices cgroup (v1), or why there is none to use. */
function devicesParent(): string {
  const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => /^\d+:([^:]*,)?devices(,[^:]*)?:/.test(l));
  if (!line) return 'skip: no cgroup v1 devices controller';
  const dir = path.join('/sys/fs/cgroup/devices', line.split(':')[2]);
  return existsSync(path.join(dir, 'devices.allow')) ? dir : `skip: ${dir} has no devices.allow`;
}
const parent = devicesParent();
const skip = !isRoot ? 'needs root' : parent.startsWith('skip: ') ? parent.slice(6) : '';

when(test, skip)('in a devices cgroup with the default rules: mknod works, the block device does not open, /dev/null does', async (t) => {
  ensureHelpers();
  const cg = path.join(parent, `engine-sec-test-${process.pid}`);
  const dir = tempDir('devices');
  mkdirSync(cg);
  try {
    for (const { file, line } of devicesCgroupLines(DEFAULT_DEVICE_RULES)) writeFileSync(path.join(cg, file), line);
    t.true(readFileSync(path.join(cg, 'devices.list'), 'utf8').includes('b *:* m'));
    // The shell joins the cgroup, then becomes the probe (only namespaced changes: a private mount ns).
    const script = `echo $$ > ${cg}/cgroup.procs && exec "$@"`;
    const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', PROBE,
      'mknod-open', path.join(dir, 'loop'), '7', '0', 'read-file', '/dev/null', 'mknod-open', path.join(dir, 'sda'), '8', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    t.is(out, 'EPERM\nok\nEPERM\n');
    t.is(code, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmdirSync(cg);
  }
});
