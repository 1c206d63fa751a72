// LogPipelineImpl end to end with real pipes and real writer processes: byte-exact captures
// (checked off-thread by the piscina verifier), interleaving, 256 streams, faults and shutdown.
// Workers load compiled JS from dist/: run `npx tsc` first (make test does).
import test from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { LogPipelineImpl } from '../../src/logging/pipeline.js';
import { LogVerifier } from '../../bench/logs/verify.js';
import { exited as exitOf } from '../support/process.js';
import { closeFd, ensureWriter, pipe, startWriter, tempDir, within } from '../support/log-writer.js';
import { isRoot, when } from '../support/skip.js';

const MiB = 1024 * 1024;
const BIG = Number(process.env.ENGINE_LOG_TEST_BIG_MIB ?? 1024) * MiB;
let verifier: LogVerifier;
let dir: string;

test.before(() => {
  ensureWriter();
  verifier = new LogVerifier(2);
  dir = tempDir('pipeline');
});

test.after.always(async () => {
  await verifier?.destroy();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function withPipeline<T>(opts: ConstructorParameters<typeof LogPipelineImpl>[0], fn: (p: LogPipelineImpl) => Promise<T>): Promise<T> {
  const p = new LogPipelineImpl(opts);
  await p.start();
  try {
    return await fn(p);
  } finally {
    await within(10000, p.close(500), 'close');
  }
}

test.serial(`a ${BIG / MiB} MiB stream arrives byte-exact`, async (t) => {
  await withPipeline({}, async (p) => {
    const file = path.join(dir, 'big.log');
    const [r, w] = pipe();
    const child = startWriter(w, BIG, 11);
    p.attach('big', r, file);
    const res = await within(120000, p.drained('big'), 'drained');
    t.deepEqual(await exitOf(child), { code: 0, signal: null });
    t.is(res.bytes, BIG);
    t.is(res.dropped, 0);
    t.false(res.cut);
    const v = await verifier.pattern(file, BIG, 11);
    t.true(v.ok, JSON.stringify(v));
    t.is(p.stats('big')?.bytes, BIG);
    fs.rmSync(file);
  });
});

test.serial('a 4 KiB ring (always full) still loses nothing: the writer is slowed down', async (t) => {
  await withPipeline({ ringBytes: 4096, producers: 1 }, async (p) => {
    const file = path.join(dir, 'tiny.log');
    const total = 32 * MiB + 5;
    const [r, w] = pipe();
    const child = startWriter(w, total, 21);
    p.attach('tiny', r, file);
    const res = await within(60000, p.drained('tiny'), 'drained');
    t.is((await exitOf(child)).code, 0);
    t.is(res.bytes, total);
    t.true((await verifier.pattern(file, total, 21)).ok);
  });
});

test.serial('stdout and stderr of one process interleave with every line whole and in order', async (t) => {
  await withPipeline({}, async (p) => {
    const file = path.join(dir, 'mixed.log');
    const [r, w] = pipe();
    const N = 20000;
    const script = `const fs=require('fs');for(let i=0;i<${N};i++){fs.writeSync(1,'out '+i+'\\n');fs.writeSync(2,'err '+i+' '+'x'.repeat(i%200)+'\\n');}`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', w, w] });
    closeFd(w);
    p.attach('mixed', r, file);
    await within(60000, p.drained('mixed'), 'drained');
    t.is((await exitOf(child)).code, 0);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    t.is(lines.pop(), '');
    const out = lines.filter((l) => l.startsWith('out '));
    const err = lines.filter((l) => l.startsWith('err '));
    t.is(out.length + err.length, lines.length, 'no torn lines');
    t.deepEqual(out, Array.from({ length: N }, (_, i) => `out ${i}`));
    t.deepEqual(err, Array.from({ length: N }, (_, i) => `err ${i} ${'x'.repeat(i % 200)}`));
  });
});

test.serial('256 concurrent pipes each arrive byte-exact, served by 3 threads', async (t) => {
  await withPipeline({ producers: 2 }, async (p) => {
    t.is(p.threadCount, 3);
    const threads = (): number => fs.readdirSync('/proc/self/task').length;
    const before = threads();
    const per = 512 * 1024 + 123; // not a multiple of the write size
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 256; i++) {
      const [r, w] = pipe();
      const child = startWriter(w, per, i, 65536);
      p.attach(`c${i}`, r, path.join(dir, `c${i}.log`));
      jobs.push(exitOf(child), p.drained(`c${i}`));
    }
    t.is(threads(), before, 'attaching 256 pipes starts no thread');
    await within(120000, Promise.all(jobs), '256 streams');
    const checks = await Promise.all(Array.from({ length: 256 }, (_, i) => verifier.pattern(path.join(dir, `c${i}.log`), per, i)));
    t.deepEqual(checks.filter((c) => !c.ok), []);
    for (let i = 0; i < 256; i++) t.is(p.stats(`c${i}`)?.bytes, per);
  });
});

test.serial('a writer killed mid-write leaves an exact prefix and the stream drains', async (t) => {
  await withPipeline({}, async (p) => {
    const file = path.join(dir, 'killed.log');
    const [r, w] = pipe();
    const child = startWriter(w, 64 * 1024 * MiB, 5, 65536 + 17);
    p.attach('killed', r, file);
    await new Promise((res) => setTimeout(res, 300));
    child.kill('SIGKILL');
    const res = await within(30000, p.drained('killed'), 'drained');
    t.is((await exitOf(child)).signal, 'SIGKILL');
    const size = fs.statSync(file).size;
    t.true(size > 0);
    t.is(res.bytes, size);
    t.false(res.cut);
    t.true((await verifier.pattern(file, size, 5)).ok);
    fs.rmSync(file);
  });
});

test.serial('close() with a full ring and a writer that never stops ends in bounded time, keeping an exact prefix', async (t) => {
  const p = new LogPipelineImpl({ ringBytes: 64 * 1024, producers: 1 });
  await p.start();
  const file = path.join(dir, 'endless.log');
  const [r, w] = pipe();
  const child = startWriter(w, 1e15, 3); // never ends by itself
  p.attach('endless', r, file);
  const [r2, w2] = pipe(); // an idle pipe whose write end stays open here
  fs.writeSync(w2, 'hello\n');
  p.attach('idle', r2, path.join(dir, 'idle.log'));
  await new Promise((res) => setTimeout(res, 500));
  const t0 = Date.now();
  await within(30_000, p.close(300), 'close');
  t.log(`close(300) took ${Date.now() - t0} ms`);
  const res = await p.drained('endless');
  t.true(res.cut);
  const size = fs.statSync(file).size;
  t.is(res.bytes, size);
  t.true(size > 0);
  t.true((await verifier.pattern(file, size, 3)).ok);
  const idle = await p.drained('idle');
  t.true(idle.cut);
  t.is(fs.readFileSync(path.join(dir, 'idle.log'), 'utf8'), 'hello\n');
  // the pipeline closed its read ends: the writer now dies of SIGPIPE
  t.is((await within(5000, exitOf(child), 'writer exit')).signal, 'SIGPIPE');
  closeFd(w2);
  fs.rmSync(file);
});

test.serial('non-blocking mode never blocks the writer and accounts for every byte', async (t) => {
  await withPipeline({ ringBytes: 64 * 1024 }, async (p) => {
    const file = path.join(dir, 'nb.log');
    const total = 256 * MiB;
    const [r, w] = pipe();
    const child = startWriter(w, total, 9);
    p.attach('nb', r, file, { mode: 'non-blocking', bufferBytes: 16 * 1024 });
    const res = await within(60000, p.drained('nb'), 'drained');
    t.is((await exitOf(child)).code, 0);
    t.is(res.bytes + res.dropped, total);
    t.is(fs.statSync(file).size, res.bytes);
    t.log(`kept ${res.bytes}, dropped ${res.dropped}`);
  });
});

test.serial('rotation keeps <id>.log and <id>.log.1 under the limit', async (t) => {
  await withPipeline({ maxReadBytes: 64 * 1024 }, async (p) => {
    const file = path.join(dir, 'rot.log');
    const [r, w] = pipe();
    const child = startWriter(w, 10 * MiB, 1);
    p.attach('rot', r, file, { maxBytes: 2 * MiB });
    const res = await within(30000, p.drained('rot'), 'drained');
    t.is((await exitOf(child)).code, 0);
    t.is(res.bytes, 10 * MiB);
    const a = fs.statSync(file).size;
    const b = fs.statSync(`${file}.1`).size;
    t.true(a <= 2 * MiB && b <= 2 * MiB && a > 0 && b > 0, `${a} ${b}`);
    // the current file is the stream's tail: the writer's last `a` bytes
    const v = await verifier.pattern(file, a, (10 * MiB - a + 1) % 65521);
    t.true(v.ok);
  });
});

test.serial('bookkeeping: stats, drained for unknown ids, forget, attach after close', async (t) => {
  const p = new LogPipelineImpl({});
  await p.start();
  const [r, w] = pipe();
  p.attach('x', r, path.join(dir, 'sub', 'x.log')); // creates logs/ directories
  fs.writeSync(w, 'abc');
  closeFd(w);
  t.deepEqual(await p.drained('x'), { bytes: 3, dropped: 0, cut: false, error: undefined });
  t.is(p.stats('x')?.bytes, 3);
  t.is(p.stats('nope'), undefined);
  await t.throwsAsync(p.drained('nope'));
  p.forget('x');
  t.is(p.stats('x'), undefined);
  await p.close(100);
  const [r2, w2] = pipe();
  p.attach('late', r2, path.join(dir, 'late.log'));
  t.true((await p.drained('late')).cut);
  closeFd(w2);
  t.throws(() => new LogPipelineImpl({ ringBytes: 5000 }), { instanceOf: RangeError });
  t.throws(() => new LogPipelineImpl({ producers: 0 }), { instanceOf: RangeError });
});

when(test, isRoot ? null : 'needs root to mount a tiny tmpfs').serial('a full disk does not hang the stream: the error is reported and the pipe keeps draining', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const mnt = path.join(dir, 'tiny');
  fs.mkdirSync(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tiny', mnt]);
  try {
    await withPipeline({}, async (p) => {
      const [r, w] = pipe();
      const child = startWriter(w, 16 * MiB, 2);
      p.attach('full', r, path.join(mnt, 'full.log'));
      const res = await within(30000, p.drained('full'), 'drained');
      t.is((await exitOf(child)).code, 0, 'the writer was never blocked for good');
      t.truthy(res.error);
      t.true(res.bytes < 16 * MiB);
      t.true((await verifier.pattern(path.join(mnt, 'full.log'), res.bytes, 2)).ok, 'what fit is exact');
    });
  } finally {
    execFileSync('umount', [mnt]);
  }
});
