// stdin through the supervisor: run -i (EOF closes the container's stdin; 1 GiB arrives intact),
// start -i with attach (one writer at a time, readers besides), and -t without a terminal.

import anyTest, { type TestFn } from 'ava';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { CLI_ENTRY } from '../../src/paths.js';
import { Supervisor } from '../support/harness.js';
import { exited, until } from '../support/process.js';
import { e2eSkipReason, when } from '../support/skip.js';

const test = anyTest as TestFn<{ sup: Supervisor }>;
const e2e = when(test, e2eSkipReason);

test.before(async (t) => {
  if (!e2eSkipReason) t.context.sup = await Supervisor.start({ graceMs: 1000 });
});
test.after.always(async (t) => {
  await t.context.sup?.stop();
});

function engineProcess(sup: Supervisor, args: string[]) {
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], { env: { ...process.env, ENGINE_SOCKET: sup.socket }, stdio: ['pipe', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (out.stdout += d));
  child.stderr.on('data', (d) => (out.stderr += d));
  child.stdin.on('error', () => {});
  return { child, out };
}

e2e('run -i: stdin reaches the container, EOF closes it, the output is logged', async (t) => {
  const { sup } = t.context;
  const r = await sup.engineWith({ input: 'first\nsecond\n' }, 'run', '-i', 'in-cat', await sup.rootfs(), '/bin/sh', '-c', 'cat; echo after-eof');
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'first\nsecond\nafter-eof\n');
  t.is(sup.logOf('in-cat'), 'first\nsecond\nafter-eof\n');
  // Without -i the container's stdin is empty, whatever the client's is.
  const none = await sup.engineWith({ input: 'ignored\n' }, 'run', 'in-none', await sup.rootfs(), 'cat');
  t.is(none.stdout, '');
});

e2e('run -i: 1 GiB through sha256sum inside equals the host\'s digest', async (t) => {
  const { sup } = t.context;
  const { child, out } = engineProcess(sup, ['run', '-i', 'in-gib', await sup.rootfs(), 'sha256sum']);
  const hash = crypto.createHash('sha256');
  // 1 GiB: a random MiB, each copy stamped with its index (no two MiB alike), with backpressure.
  const base = crypto.randomBytes(1024 * 1024);
  const began = Date.now();
  for (let i = 0; i < 1024; i++) {
    const chunk = Buffer.from(base);
    chunk.writeUInt32LE(i, 0);
    hash.update(chunk);
    if (!child.stdin.write(chunk)) await new Promise((resolve) => child.stdin.once('drain', resolve));
  }
  child.stdin.end();
  const { code } = await exited(child);
  t.is(code, 0, out.stderr);
  t.is(out.stdout, `${hash.digest('hex')}  -\n`);
  t.log(`1 GiB through run -i in ${((Date.now() - began) / 1000).toFixed(1)} s`);
});

e2e('start -i keeps stdin for attach: one writer at a time, readers besides, detach leaves it running', async (t) => {
  const { sup } = t.context;
  const id = 'in-attach';
  const r = await sup.engine('start', '-i', id, await sup.rootfs(), '/bin/sh', '-c', 'while read l; do echo got:$l; done; echo stdin-closed');
  t.is(r.code, 0, r.stderr);

  const writer = engineProcess(sup, ['attach', id]);
  writer.child.stdin.write('hello\n');
  await until('the echo through attach', () => writer.out.stdout.includes('got:hello\n'));

  // A second writer is refused; a reader is welcome and sees what the writer sends.
  const second = await sup.engine('attach', id);
  t.is(second.code, 125);
  t.regex(second.stderr, /already has a client writing to its stdin/);
  const reader = engineProcess(sup, ['attach', '--no-stdin', id]);
  await until('the reader to be attached', async () => {
    writer.child.stdin.write('ping\n');
    return reader.out.stdout.includes('got:ping\n');
  });

  // The writer's EOF does not close the container's stdin; detaching (SIGINT without a terminal) leaves it running.
  writer.child.stdin.end();
  writer.child.kill('SIGINT');
  t.is((await exited(writer.child)).code, 0);
  reader.child.kill('SIGINT');
  await exited(reader.child);
  t.is((await sup.inspect(id)).state, 'running');

  // Another writer may attach now; the container's end ends attach with its status.
  const again = engineProcess(sup, ['attach', id]);
  await until('the second writer', async () => {
    again.child.stdin.write('again\n');
    return again.out.stdout.includes('got:again\n');
  });
  await sup.call({ verb: 'stop', id, timeoutMs: 0 });
  const end = await exited(again.child);
  t.is(end.code, 137);
  t.true(sup.logOf(id).includes('got:hello\n'));
});

e2e('-t without a terminal on stdin: Docker\'s one line, nothing started', async (t) => {
  const { sup } = t.context;
  for (const args of [['run', '-t', 'in-notty', await sup.rootfs(), 'true'], ['run', '-it', 'in-notty', await sup.rootfs(), 'true']]) {
    const r = await sup.engine(...args);
    t.is(r.code, 125);
    t.is(r.stderr, 'engine: the input device is not a TTY (-t needs a terminal on stdin; leave out -t)\n');
  }
  const ps = await sup.call({ verb: 'ps' });
  t.true(ps.ok && ps.event === 'list' && !ps.records.some((rec) => rec.id === 'in-notty'));
  await sup.startContainer({ id: 'in-notty-exec', rootfs: await sup.rootfs(), command: ['sleep', '1000'] });
  const e = await sup.engine('exec', '-it', 'in-notty-exec', 'sh');
  t.is(e.code, 125);
  t.regex(e.stderr, /the input device is not a TTY/);
  const top = JSON.parse((await sup.engine('top', '--json', 'in-notty-exec')).stdout) as unknown[];
  t.is(top.length, 1);
  // attach of an ended container
  await sup.call({ verb: 'stop', id: 'in-notty-exec', timeoutMs: 0 });
  const a = await sup.engine('attach', 'in-notty-exec');
  t.is(a.code, 125);
  t.regex(a.stderr, /is not running \(killed\|stopped\)|is not running/);
});

e2e('start --rm -i, then attach: attach gets every byte and the final status, then the container is removed', async (t) => {
  const { sup } = t.context;
  const id = 'in-rm-attach';
  const started = await sup.engine('start', '--rm', '-i', id, await sup.rootfs(), '/bin/sh', '-c', 'read x; echo "got:$x"; exit 5');
  t.is(started.code, 0, started.stderr);
  const writer = engineProcess(sup, ['attach', id]);
  writer.child.stdin.write('hello\n');
  const end = await exited(writer.child);
  t.is(end.code, 5, writer.out.stderr);
  t.is(writer.out.stdout, 'got:hello\n');
  const gone = await sup.engine('inspect', id);
  t.is(gone.code, 125, 'removed once attach had its status');
  t.regex(gone.stderr, /no such container|unknown|not found/i);
});
