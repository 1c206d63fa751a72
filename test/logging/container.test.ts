// The pipeline fed by real containers (the runtime's ContainerProcess: namespaces + pivot_root), as
// the supervisor feeds it. Needs root and ./rootfs-base (make); skips with the reason otherwise.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { LogPipelineImpl } from '../../src/logging/pipeline.js';
import { LogVerifier } from '../../bench/logs/verify.js';
import { REPO_ROOT } from '../../src/paths.js';
import { e2eSkipReason, when } from '../support/skip.js';
import { WRITER, closeFd, ensureWriter, pipe, tempDir, within } from '../support/log-writer.js';

const MiB = 1024 * 1024;
const BASE = path.join(REPO_ROOT, 'rootfs-base');
const maybe = when(test, e2eSkipReason).serial;

let dir: string;
let rootfs: string;
let verifier: LogVerifier;
let pipeline: LogPipelineImpl;

test.before(async () => {
  if (e2eSkipReason) return;
  ensureWriter();
  dir = tempDir('container');
  rootfs = path.join(dir, 'rootfs');
  fs.cpSync(BASE, rootfs, { recursive: true, verbatimSymlinks: true });
  fs.copyFileSync(WRITER, path.join(rootfs, 'writer'));
  fs.chmodSync(path.join(rootfs, 'writer'), 0o755);
  verifier = new LogVerifier(2);
  pipeline = new LogPipelineImpl({});
  await pipeline.start();
});

test.after.always(async () => {
  await pipeline?.close(0);
  await verifier?.destroy();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function container(id: string, argv: string[]) {
  const { spawnContainer } = await import('../support/container-process.js');
  const [r, w] = pipe();
  const c = await spawnContainer(id, rootfs, argv, w);
  closeFd(w);
  const logPath = path.join(dir, `${id}.log`);
  pipeline.attach(id, r, logPath);
  await c.ready;
  await c.go();
  return { c, logPath };
}

maybe('256 MiB from a container arrive byte-exact before drained() resolves', async (t) => {
  const { c, logPath } = await container('big', ['/writer', String(256 * MiB), '65536', '4']);
  const [exit, res] = await within(60000, Promise.all([c.exited, pipeline.drained('big')]), 'container');
  t.is(exit.exitCode, 0);
  t.is(res.bytes, 256 * MiB);
  t.true((await verifier.pattern(logPath, 256 * MiB, 4)).ok);
});

maybe('stdout and stderr of a container shell interleave whole', async (t) => {
  const script = 'i=0; while [ $i -lt 3000 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done';
  const { c, logPath } = await container('mixed', ['/bin/sh', '-c', script]);
  await within(60000, Promise.all([c.exited, pipeline.drained('mixed')]), 'container');
  const lines = fs.readFileSync(logPath, 'utf8').trimEnd().split('\n');
  t.deepEqual(lines.filter((l) => l.startsWith('out ')), Array.from({ length: 3000 }, (_, i) => `out ${i}`));
  t.deepEqual(lines.filter((l) => l.startsWith('err ')), Array.from({ length: 3000 }, (_, i) => `err ${i}`));
  t.is(lines.length, 6000);
});

maybe('SIGKILL to a container mid-write: an exact prefix, drained promptly', async (t) => {
  const { c, logPath } = await container('killed', ['/writer', String(1e15), '65536', '8']);
  await new Promise((r) => setTimeout(r, 300));
  t.true(c.signal('SIGKILL'));
  const [exit, res] = await within(20000, Promise.all([c.exited, pipeline.drained('killed')]), 'container');
  t.is(exit.signal, 9);
  const size = fs.statSync(logPath).size;
  t.true(size > 0);
  t.is(res.bytes, size);
  t.true((await verifier.pattern(logPath, size, 8)).ok);
});
