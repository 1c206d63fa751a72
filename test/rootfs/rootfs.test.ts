// createRootfs / importRootfs and the `engine rootfs` verb. Needs root (chroot, mount namespace).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRootfs, importRootfs, isDynamicElf, isEngineRootfs, ROOTFS_MARKER } from '../../src/rootfs/index.js';
import { REPO_ROOT as REPO } from '../../src/paths.js';
import { runToEnd } from '../support/process.js';
import { isRoot, when } from '../support/skip.js';
import { ensureWorkloads, WORKLOADS_BIN } from '../support/workloads.js';

const rtest = when(test, isRoot ? null : 'needs root (chroot, mount namespace)');

const base = mkdtempSync(path.join(os.tmpdir(), 'engine-rootfs-test-'));
test.after.always(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => path.join(base, `${name}-${++n}`);

test.before(() => ensureWorkloads());

// One rootfs shared by the read-only checks.
let shared: Promise<string> | undefined;
function sharedRootfs(): Promise<string> {
  shared ??= createRootfs(fresh('shared'), { workloadsDir: WORKLOADS_BIN }).then((r) => r.dir);
  return shared;
}

const chroot = (dir: string, script: string) => runToEnd('chroot', [dir, '/bin/sh', '-c', script]);

/** Leftover temp siblings (DIR.tmp-*, DIR.old-*) of the given dirs. */
const leftovers = (...dirs: string[]) =>
  readdirSync(base).filter((f) => dirs.some((d) => f.startsWith(path.basename(d) + '.')) && /\.(tmp|old)-\d+-/.test(f));

const harness = path.join(REPO, 'test/rootfs/cli-harness.ts');
const cli = (...args: string[]) => runToEnd(process.execPath, ['--import', 'tsx', harness, 'rootfs', ...args]);

rtest('create: a busybox shell works inside a chroot and has the applets', async (t) => {
  const dir = await sharedRootfs();
  const r = await chroot(dir, 'echo ok; ls /bin | wc -l; echo hi | tr a-z A-Z; env true && echo env-ok; test -x /sbin/init && echo init-ok');
  t.is(r.code, 0, r.stderr);
  const [ok, count, upper, envOk, initOk] = r.stdout.trim().split('\n');
  t.is(ok, 'ok');
  t.true(Number(count) > 100, `only ${count} entries in /bin`);
  t.is(upper, 'HI');
  t.is(envOk, 'env-ok');
  t.is(initOk, 'init-ok');
});

rtest('create: every applet link resolves inside the rootfs, none points at the host', async (t) => {
  const dir = await sharedRootfs();
  let links = 0;
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin']) {
    for (const e of readdirSync(path.join(dir, d))) {
      const p = path.join(dir, d, e);
      if (!lstatSync(p).isSymbolicLink()) continue;
      links++;
      const target = readlinkSync(p);
      t.is(target, '/bin/busybox', `${d}/${e} -> ${target}`);
    }
  }
  t.true(links > 200, `${links} links`);
  t.true(statSync(path.join(dir, 'bin/busybox')).isFile());
  t.false(await isDynamicElf(path.join(dir, 'bin/busybox')));
  t.false(existsSync(path.join(dir, 'linuxrc')));
});

rtest('create: standard dirs, modes, /etc files and the marker', async (t) => {
  const dir = await sharedRootfs();
  for (const d of ['bin', 'sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'usr/bin', 'usr/sbin', 'var']) {
    t.true(lstatSync(path.join(dir, d)).isDirectory(), d);
  }
  t.is(statSync(path.join(dir, 'tmp')).mode & 0o7777, 0o1777);
  t.is(statSync(path.join(dir, 'root')).mode & 0o777, 0o700);
  t.is(statSync(dir).mode & 0o777, 0o755);
  t.regex(readFileSync(path.join(dir, 'etc/passwd'), 'utf8'), /^root:x:0:0:root:\/root:\/bin\/sh$/m);
  t.regex(readFileSync(path.join(dir, 'etc/group'), 'utf8'), /^root:x:0:$/m);
  t.truthy(readFileSync(path.join(dir, 'etc/hostname'), 'utf8').trim());
  t.regex(readFileSync(path.join(dir, 'etc/hosts'), 'utf8'), /^127\.0\.0\.1\s+localhost/m);
  const marker = JSON.parse(readFileSync(path.join(dir, ROOTFS_MARKER), 'utf8'));
  t.is(marker.kind, 'busybox');
  t.deepEqual(marker.workloads, ['memory_hog', 'cpu_hog', 'io_pulse', 'probe']);
  t.true(await isEngineRootfs(dir));
  const who = await chroot(dir, 'id -un; cat /etc/hostname');
  t.is(who.stdout.split('\n')[0], 'root');
});

rtest('create: the workloads are at / and /usr/bin, static, executable and run inside', async (t) => {
  const dir = await sharedRootfs();
  for (const w of ['memory_hog', 'cpu_hog', 'io_pulse', 'probe']) {
    for (const p of [path.join(dir, w), path.join(dir, 'usr/bin', w)]) {
      const st = statSync(p);
      t.true(st.isFile() && (st.mode & 0o111) === 0o111, p);
      t.false(await isDynamicElf(p), p);
    }
  }
  const r = await chroot(dir, '/memory_hog --max 16 8 0 && /io_pulse 2 0 /tmp/p.out && cat /tmp/p.out && probe args inside && /cpu_hog 1 | tail -n 1');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^allocation=2 chunk=8MB total=16MB$/m);
  t.regex(r.stdout, /^io_pulse iteration=2$/m);
  t.regex(r.stdout, /^inside$/m);
  t.regex(r.stdout, /^cpu_hog done duration=1 /m);
});

rtest('create: busybox ps works in its own pid namespace with /proc mounted', async (t) => {
  const dir = await sharedRootfs();
  const r = await runToEnd('unshare', ['--mount', '--pid', '--fork', 'chroot', dir, '/bin/sh', '-c', 'mount -t proc proc /proc && echo $$ && ps -o pid,comm | grep -c sh; umount /proc']);
  t.is(r.code, 0, r.stderr);
  const [pid, shells] = r.stdout.trim().split('\n');
  t.is(pid, '1'); // sh is pid 1 in the new namespace
  t.true(Number(shells) >= 1, r.stdout);
  t.false(existsSync(path.join(dir, 'proc/self')), '/proc of the rootfs is left unmounted');
});

rtest('create: without --force an existing DIR is refused and left alone', async (t) => {
  const dir = fresh('exists');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'keep'), 'x');
  await t.throwsAsync(createRootfs(dir), { message: /already exists \(use --force to replace it\)/ });
  t.deepEqual(readdirSync(dir), ['keep']);
});

rtest('create --force: replaces an engine rootfs, and fills an empty directory', async (t) => {
  const dir = fresh('force');
  await createRootfs(dir, { workloadsDir: WORKLOADS_BIN });
  writeFileSync(path.join(dir, 'old-file'), 'x');
  const r = await createRootfs(dir, { force: true, workloadsDir: WORKLOADS_BIN });
  t.true(r.replaced);
  t.false(existsSync(path.join(dir, 'old-file')));
  t.true(existsSync(path.join(dir, 'bin/sh')));
  const empty = fresh('empty');
  mkdirSync(empty);
  t.true((await createRootfs(empty, { force: true, workloadsDir: WORKLOADS_BIN })).replaced);
  t.true(existsSync(path.join(empty, 'bin/sh')));
  t.deepEqual(leftovers(dir, empty), []);
});

rtest('create --force: refuses a non-empty directory that is not an engine rootfs', async (t) => {
  const dir = fresh('precious');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'data'), 'precious');
  await t.throwsAsync(createRootfs(dir, { force: true }), { message: /not an engine rootfs/ });
  t.is(readFileSync(path.join(dir, 'data'), 'utf8'), 'precious');
});

rtest("create: refuses '/' and a link to it, and a file as DIR", async (t) => {
  await t.throwsAsync(createRootfs('/', { force: true }), { message: /refusing to use '\/'/ });
  await t.throwsAsync(createRootfs('/tmp/../', { force: true }), { message: /refusing to use '\/'/ });
  const link = fresh('rootlink');
  symlinkSync('/', link);
  await t.throwsAsync(createRootfs(link, { force: true }), { message: /resolves to '\/'/ });
  const file = fresh('file');
  writeFileSync(file, '');
  await t.throwsAsync(createRootfs(file, { force: true }), { message: /not a directory/ });
  await t.throwsAsync(createRootfs(''), { message: /must not be empty/ });
});

rtest('create: missing or dynamic busybox names the package to install', async (t) => {
  const dir = fresh('nobb');
  await t.throwsAsync(createRootfs(dir, { busybox: '/nonexistent/busybox' }), { message: /apt-get install busybox-static/ });
  await t.throwsAsync(createRootfs(dir, { busybox: '/bin/ls' }), { message: /dynamically linked.*apt-get install busybox-static/ });
  t.false(existsSync(dir));
});

rtest('create: a bad workloads directory is a clear error and leaves nothing behind', async (t) => {
  const dir = fresh('badwl');
  await t.throwsAsync(createRootfs(dir, { workloadsDir: path.join(base, 'nowhere') }), { message: /workloads directory .* not found/ });
  const partial = fresh('partialwl');
  mkdirSync(partial);
  writeFileSync(path.join(partial, 'memory_hog'), '');
  await t.throwsAsync(createRootfs(dir, { workloadsDir: partial }), { message: /has no cpu_hog/ });
  const dyn = fresh('dynwl');
  mkdirSync(dyn);
  for (const w of ['memory_hog', 'cpu_hog', 'io_pulse']) execFileSync('cp', ['/bin/true', path.join(dyn, w)]);
  await t.throwsAsync(createRootfs(dir, { workloadsDir: dyn }), { message: /dynamically linked: build workloads with -static/ });
  t.false(existsSync(dir));
  t.deepEqual(leftovers(dir), []);
});

rtest('create --from: copies an existing rootfs with cp -a semantics', async (t) => {
  const src = await sharedRootfs();
  const dir = fresh('copy');
  const r = await createRootfs(dir, { from: src });
  t.is(r.kind, 'copy');
  t.deepEqual(r.workloads, ['memory_hog', 'cpu_hog', 'io_pulse', 'probe']);
  t.is(readlinkSync(path.join(dir, 'bin/ls')), '/bin/busybox');
  t.is(statSync(path.join(dir, 'tmp')).mode & 0o7777, 0o1777);
  t.is((await chroot(dir, 'echo copied')).stdout, 'copied\n');
  const marker = JSON.parse(readFileSync(path.join(dir, ROOTFS_MARKER), 'utf8'));
  t.is(marker.kind, 'copy');
  await t.throwsAsync(createRootfs(fresh('c2'), { from: path.join(base, 'missing') }), { message: /source rootfs .* not found/ });
  await t.throwsAsync(createRootfs(fresh('c3'), { from: '/' }), { message: /refusing to copy '\/'/ });
  await t.throwsAsync(createRootfs(path.join(src, 'sub'), { from: src }), { message: /overlap/ });
});

rtest('import: a .tar, .tar.gz and .tar.xz of a rootfs unpack into a working rootfs', async (t) => {
  const src = await sharedRootfs();
  for (const [ext, flag] of [['tar', ''], ['tar.gz', 'z'], ['tar.xz', 'J']] as const) {
    const tarball = path.join(base, `rootfs-${n}.${ext}`);
    execFileSync('tar', [`-c${flag}f`, tarball, '-C', src, '.']);
    const dir = fresh(`import-${ext}`);
    const r = await importRootfs(tarball, dir);
    t.is(r.kind, 'import');
    t.true(r.hasShell, ext);
    t.deepEqual(r.workloads, ['memory_hog', 'cpu_hog', 'io_pulse', 'probe']);
    const out = await chroot(dir, 'echo imported; /probe args x');
    t.is(out.stdout, 'imported\nx\n', ext);
    t.is(JSON.parse(readFileSync(path.join(dir, ROOTFS_MARKER), 'utf8')).kind, 'import');
  }
});

rtest('import: a tarball wrapped in one directory is unwrapped; /proc /dev /sys are made', async (t) => {
  const stage = fresh('stage');
  mkdirSync(path.join(stage, 'myroot/bin'), { recursive: true });
  execFileSync('cp', ['/bin/busybox', path.join(stage, 'myroot/bin/busybox')]);
  symlinkSync('busybox', path.join(stage, 'myroot/bin/sh'));
  const tarball = path.join(base, 'wrapped.tar');
  execFileSync('tar', ['-cf', tarball, '-C', stage, 'myroot']);
  const dir = fresh('unwrapped');
  const r = await importRootfs(tarball, dir);
  t.true(r.hasShell);
  for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp']) t.true(lstatSync(path.join(dir, d)).isDirectory(), d);
  t.is((await chroot(dir, 'echo unwrapped')).stdout, 'unwrapped\n');
});

rtest('import: refuses a rootfs whose /proc is a symbolic link', async (t) => {
  const stage = fresh('evil');
  mkdirSync(path.join(stage, 'bin'), { recursive: true });
  symlinkSync('/proc', path.join(stage, 'proc'));
  const tarball = path.join(base, 'evil.tar');
  execFileSync('tar', ['-cf', tarball, '-C', stage, '.']);
  const dir = fresh('evil-out');
  await t.throwsAsync(importRootfs(tarball, dir), { message: /\/proc is a symbolic link/ });
  t.false(existsSync(dir));
  t.deepEqual(leftovers(dir), []);
});

rtest('import: missing tarball, not a tarball, existing DIR without --force', async (t) => {
  await t.throwsAsync(importRootfs(path.join(base, 'nope.tar.gz'), fresh('x')), { message: /tarball .*nope\.tar\.gz not found/ });
  const junk = path.join(base, 'junk.tar.gz');
  writeFileSync(junk, 'this is not a tarball');
  const dir = fresh('junk');
  await t.throwsAsync(importRootfs(junk, dir), { message: /^unpacking .* failed: / });
  t.false(existsSync(dir));
  await t.throwsAsync(importRootfs(base, fresh('y')), { message: /not a regular file/ });
  const src = await sharedRootfs();
  const tarball = path.join(base, 'exists.tar');
  execFileSync('tar', ['-cf', tarball, '-C', src, '.']);
  const existing = fresh('existing');
  await importRootfs(tarball, existing);
  await t.throwsAsync(importRootfs(tarball, existing), { message: /already exists \(use --force/ });
  t.true((await importRootfs(tarball, existing, { force: true })).replaced);
  await t.throwsAsync(importRootfs(tarball, '/', { force: true }), { message: /refusing to use '\/'/ });
  t.deepEqual(leftovers(dir, existing), []);
});

rtest('cli: rootfs create and import print one line and exit 0', async (t) => {
  const dir = fresh('cli');
  const r = await cli('create', dir, '--workloads', WORKLOADS_BIN);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`^created rootfs ${dir} \\(busybox rootfs with \\d+ applet links; workloads: memory_hog, cpu_hog, io_pulse, probe\\)\\n$`));
  const copy = fresh('cli-copy');
  const c = await cli('create', copy, '--from', dir);
  t.is(c.code, 0, c.stderr);
  t.regex(c.stdout, /^created rootfs .* \(copy of .*\)\n$/);
  const tarball = path.join(base, 'cli.tar.gz');
  execFileSync('tar', ['-czf', tarball, '-C', dir, '.']);
  const imp = fresh('cli-import');
  const i = await cli('import', tarball, imp);
  t.is(i.code, 0, i.stderr);
  t.regex(i.stdout, /^imported rootfs .* \(imported from .*cli\.tar\.gz; workloads: .*\)\n$/);
  const f = await cli('create', dir, '--force');
  t.is(f.code, 0, f.stderr);
  t.regex(f.stdout, /replaced the old one\)\n$/);
});

rtest('cli: errors print one "engine: ..." line on stderr and exit 125', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['create', '/'], /^engine: refusing to use '\/' as a rootfs directory\n$/],
    [['create', base], /^engine: .* already exists \(use --force to replace it\)\n$/],
    [['import', path.join(base, 'none.tar'), fresh('z')], /^engine: tarball .*none\.tar not found\n$/],
    [['create', fresh('w'), '--workloads', path.join(base, 'nowl')], /^engine: workloads directory .* not found/],
  ];
  for (const [args, re] of cases) {
    const r = await cli(...args);
    t.is(r.code, 125, args.join(' '));
    t.regex(r.stderr, re);
    t.is(r.stdout, '');
  }
});

rtest('cli: --help describes both subcommands', async (t) => {
  const r = await cli('--help');
  t.is(r.code, 0);
  t.regex(r.stdout, /create \[options\] <DIR>/);
  t.regex(r.stdout, /import \[options\] <TARBALL> <DIR>/);
  const c = await cli('create', '--help');
  for (const o of ['--workloads <DIR>', '--from <DIR>', '--force']) t.true(c.stdout.includes(o), o);
  t.true((await cli('import', '--help')).stdout.includes('--force'));
});

rtest('create as a non-root user fails with a clear one-line error', async (t) => {
  const dir = path.join(os.tmpdir(), `engine-nonroot-${process.pid}`); // base is 0700: use /tmp
  const r = await runToEnd('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', harness, 'rootfs', 'create', dir]);
  t.is(r.code, 125, r.stderr);
  t.is(r.stderr, 'engine: rootfs create must run as root (it uses chroot and a mount namespace)\n');
  t.false(existsSync(dir));
});

const mainTs = path.join(REPO, 'src/cli/main.ts');
rtest('engine CLI entry (src/cli/main.ts) runs the rootfs verb', async (t) => {
  const dir = fresh('main');
  const tsx = path.join(REPO, 'node_modules/.bin/tsx');
  const ok = await runToEnd(tsx, [mainTs, 'rootfs', 'create', dir, '--workloads', WORKLOADS_BIN]);
  t.is(ok.code, 0, ok.stderr);
  t.regex(ok.stdout, /^created rootfs /);
  const again = await runToEnd(tsx, [mainTs, 'rootfs', 'create', dir]);
  t.is(again.code, 125);
  t.regex(again.stderr, /^engine: .* already exists/);
  const usage = await runToEnd(tsx, [mainTs, 'rootfs', 'import', 'only-one-arg']);
  t.is(usage.code, 125);
});

