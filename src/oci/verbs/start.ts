// engine-oci start ID: lets a created container's init run its command (it is blocked opening
// exec.fifo for writing; opening it for reading releases it), then runs the poststart hooks.
// The C launcher (native/oci-launcher/engine-oci.c) does the same without Node when create left a
// fast-start marker; it comes here for everything else, and may hand over an exec.fifo reader of
// its own (an open it gave up on), which changes nothing here.

import fs from 'node:fs';
import { processAlive } from '../../proc/proc.js';
import { parseFlags, UsageError } from '../args.js';
import { load, sleep } from '../common.js';
import { runHooks } from '../hooks.js';
import { logWarning } from '../log.js';
import type { OciContext } from '../main.js';
import { readSavedConfig } from '../saved-config.js';
import { checkId, containerDir, fastStartPath, fifoPath, stateJson } from '../state.js';
import path from 'node:path';

const O_NONBLOCK = 0o4000;

export async function run(ctx: OciContext, argv: string[]): Promise<number> {
  const p = parseFlags(argv, { values: [], booleans: [] });
  const id = checkId(p.args[0]);
  if (p.args.length > 1) throw new UsageError('start takes one container id');
  const c = load(ctx.root, id);
  if (c.status === 'stopped') throw new Error('cannot start a container that has stopped');
  if (c.status === 'running' || c.status === 'paused') throw new Error('cannot start an already running container');
  if (c.status !== 'created') throw new Error(`cannot start a container that is ${c.status}`);
  const fifo = fifoPath(ctx.root, id);
  let fd: number;
  try {
    fd = fs.openSync(fifo, fs.constants.O_RDONLY | O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('cannot start an already running container');
    throw err;
  }
  try {
    // Opening for reading released init's open for writing; it now writes one byte and execs.
    const byte = Buffer.alloc(1);
    const deadline = Date.now() + 30_000;
    for (;;) {
      let n = 0;
      try {
        n = fs.readSync(fd, byte, 0, 1, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      }
      if (n === 1) break;
      if (!processAlive(c.state.pid, c.state.startTicks ?? undefined)) throw new Error('the container init ended before it could be started');
      if (!fs.existsSync(fifo)) throw new Error('cannot start an already running container');
      if (Date.now() > deadline) throw new Error('the container init did not answer start within 30 s');
      await sleep(1);
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.rmSync(fastStartPath(ctx.root, id), { force: true });
  fs.rmSync(fifo, { force: true });
  const spec = readSavedConfig(containerDir(ctx.root, id));
  runHooks(spec?.hooks?.poststart, stateJson(c.state, 'running'), 'poststart', logWarning);
  return 0;
}
