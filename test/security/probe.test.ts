// The escape probes themselves, on the host: each prints "ok" or the errno of its one attempt,
// a failed preparatory step as "STEP ERRNO", and the exit status says whether any failed.
// Privileges are taken away with setpriv(1) (util-linux) where a test needs an unprivileged caller.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runToEnd } from '../support/process.js';
import { PROBE, ensureHelpers, isRoot, tempDir } from './helpers.js';
import { when } from '../support/skip.js';

const dir = tempDir('probe');
test.before(() => ensureHelpers());
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const hasSetpriv = (() => {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const asRoot = isRoot && hasSetpriv;
const rootOnly = when(test, asRoot ? null : 'needs root and setpriv');

/** An unused uid, so RLIMIT_NPROC counts only this test's processes. */
const UID = 54321;
const unprivileged = (args: string[], extra: string[] = []) =>
  runToEnd('setpriv', [`--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', ...extra, '--', PROBE, ...args]);

test('security and creds describe the caller', async (t) => {
  const r = await runToEnd(PROBE, ['security', 'creds']);
  t.is(r.code, 0);
  const lines = r.stdout.trimEnd().split('\n');
  t.deepEqual(lines.slice(0, 7).map((l) => l.split(' ')[0]), ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'Seccomp']);
  t.regex(lines[2], /^CapEff [0-9a-f]{16}$/);
  const uid = process.getuid!();
  t.regex(lines[7], new RegExp(`^uid=${uid} euid=${uid} suid=${uid} gid=\\d+ egid=\\d+ sgid=\\d+ groups=[0-9,]*$`));
});

test('a failed attempt prints its errno, later probes still run, and the exit status is 1', async (t) => {
  const r = await runToEnd(PROBE, ['read-file', path.join(dir, 'missing'), 'pid']);
  t.is(r.code, 1);
  t.regex(r.stdout, /^ENOENT\n\d+\n$/);
  t.is((await runToEnd(PROBE, ['read-file', '/proc/self/status'])).stdout, 'ok\n');
  t.is((await runToEnd(PROBE, ['mknod-open'])).code, 2, 'a missing argument is a usage error');
  t.is((await runToEnd(PROBE, ['unshare', 'bogus'])).code, 2);
});

rootOnly(`capset-add: root may raise any capability; an unprivileged process may not`, async (t) => {
  t.is((await runToEnd(PROBE, ['capset-add', 'sys_admin'])).stdout, 'ok\n');
  const r = await unprivileged(['capset-add', 'CAP_SYS_ADMIN', 'capset-add', '21', 'security']);
  t.is(r.code, 1);
  t.true(r.stdout.startsWith('EPERM\nEPERM\n'));
  t.true(r.stdout.includes('CapEff 0000000000000000'));
});

rootOnly(`forkloop stops at RLIMIT_NPROC with EAGAIN and reaps what it made`, async (t) => {
  // Its own uid: RLIMIT_NPROC counts every process of the real uid, and other tests here use UID.
  const uid = UID + 1;
  const r = await runToEnd('prlimit', ['--nproc=5', '--', 'setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', PROBE, 'forkloop', '50']);
  t.is(r.stdout, '4 EAGAIN\n', r.stderr);
  t.is(r.code, 1);
  t.is((await runToEnd(PROBE, ['forkloop', '5'])).stdout, '5 ok\n');
});

rootOnly(`mknod-open: root makes and opens a block node; without CAP_MKNOD the mknod step fails`, async (t) => {
  const node = path.join(dir, 'loop0');
  const r = await runToEnd('unshare', ['--mount', '--propagation', 'private', PROBE, 'mknod-open', node, '7', '0']);
  t.regex(r.stdout, /^(ok|ENXIO)\n$/, 'opening an unattached loop device may say ENXIO');
  const chmodDir = path.join(dir, 'open');
  execFileSync('mkdir', ['-m', '1777', chmodDir]);
  t.is((await unprivileged(['mknod-open', path.join(chmodDir, 'loop0'), '7', '0'])).stdout, 'mknod EPERM\n');
});

rootOnly(`write-file and mount-tmpfs report the kernel's answer`, async (t) => {
  const file = path.join(dir, 'readonly');
  writeFileSync(file, 'x');
  chmodSync(file, 0o444);
  chmodSync(dir, 0o755);
  t.is((await unprivileged(['write-file', file, 'y'])).stdout, 'EACCES\n');
  const mnt = path.join(dir, 'mnt');
  execFileSync('mkdir', [mnt]);
  // In a private mount namespace: the tmpfs vanishes with it.
  t.is((await runToEnd('unshare', ['--mount', '--propagation', 'private', PROBE, 'mount-tmpfs', mnt])).stdout, 'ok\n');
  t.is((await unprivileged(['mount-tmpfs', mnt])).stdout, 'EPERM\n');
});

rootOnly(`time probes never change the clock: EINVAL with the capability, EPERM without`, async (t) => {
  t.is((await runToEnd(PROBE, ['settime', 'settimeofday', 'adjtime'])).stdout, 'EINVAL\nEINVAL\nEINVAL\n');
  t.is((await unprivileged(['adjtime'])).stdout, 'EPERM\n');
});

rootOnly(`the shocker probe: with CAP_DAC_READ_SEARCH a handle opens the filesystem's root; without, EPERM`, async (t) => {
  const fsType = execFileSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).trim();
  const r = await runToEnd(PROBE, ['open-by-handle', dir, 'name-to-handle', dir]);
  if (fsType.startsWith('ext')) t.is(r.stdout, 'ok\nok\n');
  else t.regex(r.stdout, /^(ok|ESTALE|EINVAL|EOPNOTSUPP)\nok\n$/, `${fsType}: inode 2 need not be its root`);
  t.is((await unprivileged(['open-by-handle', dir])).stdout, 'EPERM\n');
});
