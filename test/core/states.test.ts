// Every state and exit status of CONTRACT.md, from real containers.

import anyTest, { type TestFn } from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI_ENTRY } from '../../src/paths.js';
import { Supervisor } from '../support/harness.js';
import { pidAlive, until } from '../support/process.js';
import { e2eSkipReason, when } from '../support/skip.js';

const test = anyTest as TestFn<{ sup: Supervisor }>;
const e2e = when(test, e2eSkipReason);

test.before(async (t) => {
  if (!e2eSkipReason) t.context.sup = await Supervisor.start({ graceMs: 5000 });
});
test.after.always(async (t) => {
  await t.context.sup?.stop();
});

e2e('exit 0: exited, 0; the output is in the log', async (t) => {
  const sup = t.context.sup;
  const r = await sup.engine('run', 'st-ok', await sup.rootfs(), '/bin/echo', 'hello', 'world');
  t.is(r.code, 0);
  t.is(r.stdout, 'hello world\n');
  const info = await sup.inspect('st-ok');
  t.is(info.state, 'exited');
  t.is(info.exitCode, 0);
  t.is(fs.readFileSync(info.logPath, 'utf8'), 'hello world\n');
});

e2e('run of exit 37 returns 37, fifty times in a row', async (t) => {
  const sup = t.context.sup;
  const rootfs = await sup.rootfs();
  for (let i = 0; i < 50; i++) {
    const r = await sup.engine('run', `st-37-${i}`, rootfs, '/probe', 'exit', '37');
    t.is(r.code, 37, `run ${i}: ${r.stderr}`);
  }
  const ps = JSON.parse((await sup.engine('ps', '--json')).stdout) as Array<{ id: string; state: string; exitCode: number }>;
  const mine = ps.filter((r) => r.id.startsWith('st-37-'));
  t.is(mine.length, 50);
  t.true(mine.every((r) => r.state === 'exited' && r.exitCode === 37));
});

e2e('a command with spaces runs through /bin/sh -c', async (t) => {
  const sup = t.context.sup;
  const r = await sup.engine('run', 'st-sh', await sup.rootfs(), 'echo one two; echo $((6*7))');
  t.is(r.code, 0);
  t.is(r.stdout, 'one two\n42\n');
  t.deepEqual((await sup.inspect('st-sh')).command, ['/bin/sh', '-c', 'echo one two; echo $((6*7))']);
});

e2e('the words after COMMAND go to the container, dashes and all; after -- even engine flags', async (t) => {
  const sup = t.context.sup;
  const r1 = await sup.engine('run', 'st-args1', await sup.rootfs(), '/probe', 'args', '-x', '--weird', '--nice', '5');
  t.is(r1.code, 0, r1.stderr);
  t.is(r1.stdout, '-x\n--weird\n', '--nice 5 is engine\'s flag, the rest the container\'s');
  t.is((await sup.inspect('st-args1')).nice, 5);
  const r2 = await sup.engine('run', 'st-args2', await sup.rootfs(), '--', '/probe', 'args', '--nice', '3');
  t.is(r2.stdout, '--nice\n3\n');
  t.is((await sup.inspect('st-args2')).nice, 0);
});

e2e('command not found: failed, 127, the reason in the log', async (t) => {
  const sup = t.context.sup;
  const r = await sup.engine('run', 'st-127', await sup.rootfs(), '/no/such/program');
  t.is(r.code, 127);
  const info = await sup.inspect('st-127');
  t.is(info.state, 'failed');
  t.is(info.exitCode, 127);
  t.regex(info.reason, /exec: ENOENT/);
  t.regex(fs.readFileSync(info.logPath, 'utf8'), /\/no\/such\/program: command not found/);
  const s = await sup.engine('start', 'st-127b', await sup.rootfs(), 'nosuchcommand');
  t.is(s.code, 127);
  t.regex(s.stderr, /^engine: container st-127b failed to start: exec: ENOENT\n$/);
});

e2e('found but not executable: failed, 126', async (t) => {
  const sup = t.context.sup;
  const rootfs = await sup.rootfs();
  fs.writeFileSync(path.join(rootfs, 'notexec'), '#!/bin/sh\necho hi\n', { mode: 0o644 });
  const r = await sup.engine('run', 'st-126', rootfs, '/notexec');
  t.is(r.code, 126);
  const info = await sup.inspect('st-126');
  t.is(info.state, 'failed');
  t.regex(info.reason, /exec: EACCES/);
});

e2e('a step before exec fails: failed, with the step and errno', async (t) => {
  const sup = t.context.sup;
  // A device node asked for beneath another device: init's mknod fails inside the container's own
  // /dev (a tmpfs), after the checks the supervisor can make from outside.
  const r = await sup.engine('run', 'st-setup', await sup.rootfs(), '--device', '/dev/null:/dev/null/x', '/bin/true');
  t.is(r.code, 125);
  t.regex(r.stderr, /failed to start: mknod: ENOTDIR/);
  const info = await sup.inspect('st-setup');
  t.is(info.state, 'failed');
  t.is(info.reason, 'mknod: ENOTDIR');
});

e2e('a rootfs whose mount point is a file is refused before anything is made (no record, no log)', async (t) => {
  const sup = t.context.sup;
  const rootfs = await sup.rootfs();
  fs.rmSync(path.join(rootfs, 'proc'), { recursive: true });
  fs.writeFileSync(path.join(rootfs, 'proc'), 'not a directory');
  const r = await sup.engine('run', 'st-notdir', rootfs, '/bin/true');
  t.is(r.code, 125);
  t.regex(r.stderr, /^engine: rootfs .*: \/proc is not a directory; a mount point must be a directory\n$/);
  t.is((await sup.engine('inspect', 'st-notdir')).code, 125, 'no container was made');
  t.is(fs.readFileSync(path.join(rootfs, 'proc'), 'utf8'), 'not a directory');
});

e2e('killed by a signal nobody here sent (a real fault): exited, 128 + signal', async (t) => {
  // PID 1 of a namespace ignores signals it has no handler for, even raise(); a real fault kills it.
  const sup = t.context.sup;
  const r = await sup.engine('run', 'st-segv', await sup.rootfs(), '/probe', 'segv');
  t.is(r.code, 139);
  const info = await sup.inspect('st-segv');
  t.is(info.state, 'exited');
  t.is(info.signal, 'SIGSEGV');
});

e2e('SIGKILL from outside, no stop request: killed, 137', async (t) => {
  const sup = t.context.sup;
  const s = await sup.engine('start', 'st-killed', await sup.rootfs(), '/probe', 'hold');
  t.is(s.code, 0, s.stderr);
  const { pid } = await sup.inspect('st-killed');
  process.kill(pid, 'SIGKILL');
  const info = await until('killed state', async () => {
    const i = await sup.inspect('st-killed');
    return i.state !== 'running' && i;
  });
  t.is(info.state, 'killed');
  t.is(info.exitCode, 137);
});

e2e('stop of an init that ignores SIGTERM: SIGTERM first, SIGKILL after the grace; stopped, 137', async (t) => {
  const sup = t.context.sup;
  const s = await sup.engine('start', 'st-stubborn', await sup.rootfs(), '/probe', 'ignore-term');
  t.is(s.code, 0, s.stderr);
  await until('the container to be ready', () => sup.logOf('st-stubborn').includes('ready'));
  const began = Date.now();
  const ended = await sup.engine('stop', 'st-stubborn', '-t', '1');
  t.is(ended.code, 0, ended.stderr);
  t.regex(ended.stdout, /st-stubborn stopped \(exit 137\)/);
  t.true(Date.now() - began >= 1000, 'SIGKILL came after the grace period');
  const info = await sup.inspect('st-stubborn');
  t.is(info.state, 'stopped');
  t.is(info.exitCode, 137);
  t.regex(sup.logOf('st-stubborn'), /got TERM/);
});

e2e('ps and info answer while a stop waits out its grace', async (t) => {
  // A grace far longer than any CLI round trip: the check does not depend on how fast the machine
  // is. The container is then ended from outside, and the stop is what it is attributed to.
  const sup = t.context.sup;
  t.is((await sup.engine('start', 'st-grace', await sup.rootfs(), '/probe', 'ignore-term')).code, 0);
  await until('the container to be ready', () => sup.logOf('st-grace').includes('ready'));
  const stopping = sup.engine('stop', 'st-grace', '-t', '600');
  await until('SIGTERM to arrive', () => sup.logOf('st-grace').includes('got TERM'), 30_000);
  const ps = await sup.engine('ps');
  t.is(ps.code, 0, ps.stderr);
  t.regex(ps.stdout, /st-grace\s+\d+\s+running/);
  const info = await sup.engine('info', '--json');
  t.is(info.code, 0, info.stderr);
  t.is(JSON.parse(info.stdout).pid, sup.pid);
  process.kill((await sup.inspect('st-grace')).pid, 'SIGKILL');
  const ended = await stopping;
  t.is(ended.code, 0, ended.stderr);
  const rec = await sup.inspect('st-grace');
  t.is(rec.state, 'stopped');
  t.is(rec.exitCode, 137);
});

/** `engine run ...` as a child we can signal; resolves its exit code and output. */
function runClient(sup: Supervisor, args: string[]) {
  const child = spawn(process.execPath, [CLI_ENTRY, 'run', ...args], { env: { ...process.env, ENGINE_SOCKET: sup.socket } });
  const out = { stdout: '' };
  child.stdout.on('data', (d) => (out.stdout += d));
  const code = new Promise<number | null>((r) => child.on('close', r));
  return { child, out, code };
}

for (const [signal, command, status] of [
  ['SIGINT', ['/probe', 'hold'], 137], // PID 1 without a handler ignores SIGTERM: killed after the grace
  ['SIGTERM', ['sh -c "trap \\"echo bye; exit 0\\" TERM; echo ready; while true; do sleep 0.05; done"'], 0],
] as const) {
  e2e(`a run client that gets ${signal} asks for a stop, keeps waiting, and exits with the final status (${status})`, async (t) => {
    const sup = t.context.sup;
    const id = `st-run-${signal.toLowerCase()}`;
    const run = runClient(sup, [id, await sup.rootfs(), ...command]);
    await until('the container to be ready', () => run.out.stdout.includes('ready'));
    run.child.kill(signal);
    t.is(await run.code, status);
    const info = await sup.inspect(id);
    t.is(info.state, 'stopped', 'the signal became a stop request');
    t.is(info.exitCode, status);
    t.is(run.out.stdout, fs.readFileSync(info.logPath, 'utf8'), 'the client printed everything until the end');
  });
}

e2e('stop of a shell that exits on SIGTERM: stopped, 143', async (t) => {
  const sup = t.context.sup;
  await sup.engine('start', 'st-term', await sup.rootfs(), 'sh -c "trap \\"exit 143\\" TERM; echo ready; while true; do sleep 0.1; done"');
  await until('ready', async () => fs.readFileSync((await sup.inspect('st-term')).logPath, 'utf8').includes('ready'));
  // A grace far longer than the trap needs: the shell runs it once its sleep ends, whenever the
  // machine lets it.
  const r = await sup.engine('stop', 'st-term', '-t', '60');
  t.regex(r.stdout, /stopped \(exit 143\)/);
});

e2e('an id stays taken after exit until rm; rm frees it and deletes the log', async (t) => {
  const sup = t.context.sup;
  const rootfs = await sup.rootfs();
  t.is((await sup.engine('run', 'st-reuse', rootfs, '/bin/true')).code, 0);
  const again = await sup.engine('start', 'st-reuse', rootfs, '/bin/true');
  t.is(again.code, 125);
  t.regex(again.stderr, /engine rm st-reuse/);
  const { logPath } = await sup.inspect('st-reuse');
  t.is((await sup.engine('rm', 'st-reuse')).code, 0);
  t.false(fs.existsSync(logPath));
  t.is((await sup.engine('inspect', 'st-reuse')).code, 125);
  t.is((await sup.engine('run', 'st-reuse', rootfs, '/bin/true')).code, 0);
});

e2e('rm of a running container is refused; stop of an ended one says so', async (t) => {
  const sup = t.context.sup;
  await sup.engine('start', 'st-rmlive', await sup.rootfs(), '/probe', 'hold');
  const rm = await sup.engine('rm', 'st-rmlive');
  t.is(rm.code, 125);
  t.regex(rm.stderr, /is running; stop it first/);
  await sup.engine('stop', 'st-rmlive', '-t', '0');
  const again = await sup.engine('stop', 'st-rmlive');
  t.is(again.code, 0);
  t.regex(again.stdout, /not running \(stopped\)/);
});

e2e('20 containers at once, each with its own output', async (t) => {
  const sup = t.context.sup;
  const ids = Array.from({ length: 20 }, (_, i) => `st-many-${i}`);
  const rootfss = await Promise.all(ids.map(() => sup.rootfs()));
  const results = await Promise.all(ids.map((id, i) => sup.engine('run', id, rootfss[i], `echo I am ${id}; hostname; exit ${i}`)));
  results.forEach((r, i) => {
    t.is(r.code, i);
    t.is(r.stdout, `I am ${ids[i]}\n${ids[i]}\n`);
  });
  for (const id of ids) t.false(pidAlive((await sup.inspect(id)).pid));
});

e2e('ps lists every record newest last with the contract columns', async (t) => {
  const sup = t.context.sup;
  await sup.engine('run', 'st-ps-a', await sup.rootfs(), '/bin/true');
  await sup.engine('run', 'st-ps-b', await sup.rootfs(), '/bin/true', '--soft-mib', '10', '--hard-mib', '20', '--nice', '3');
  const ps = await sup.engine('ps');
  const lines = ps.stdout.trim().split('\n');
  t.regex(lines[0], /^ID\s+PID\s+STATE\s+STARTED\s+SOFT\(MiB\)\s+HARD\(MiB\)\s+NICE\s+CPUS\s+EXIT/);
  const ia = lines.findIndex((l) => l.startsWith('st-ps-a '));
  const ib = lines.findIndex((l) => l.startsWith('st-ps-b '));
  t.true(ia > 0 && ib > ia);
  t.regex(lines[ib], /st-ps-b\s+\d+\s+exited\s+\S+ \S+\s+10\s+20\s+3\s+-\s+0/);
});
