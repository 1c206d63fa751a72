import { Client, call, socketPath } from '../client.js';
import { containerVerb, toStartRequest } from '../container-args.js';
import { DEFAULT_DETACH_KEYS, InteractiveSession, parseDetachKeys, requireTerminal } from '../interactive.js';
import { failedStartExit } from '../report.js';
import { CLIENT_ERROR_EXIT } from '../../errors.js';

export { preprocess } from '../container-args.js';

export const spec = containerVerb(
  'run',
  'start a container, print its output, and exit with its status once it is gone and all its output is logged',
  async (id: string, rootfs: string, command: string[], o) => {
    const path = socketPath(o.socket);
    const stdin = Boolean(o.interactive);
    const tty = Boolean(o.tty);
    // Checked before anything is asked of the supervisor: a refused run leaves nothing behind.
    if (tty) requireTerminal();
    const detachKeys = parseDetachKeys(o.detachKeys ?? DEFAULT_DETACH_KEYS);
    const client = await Client.open(path, toStartRequest('run', id, rootfs, command, o));
    // SIGINT/SIGTERM: ask for a stop, keep waiting for the final status (CONTRACT.md). With -it
    // the terminal is raw: Ctrl-C is a byte for the container, not a signal for us.
    let stopping = false;
    const onSignal = () => {
      if (stopping) return;
      stopping = true;
      call(path, { verb: 'stop', id }).catch(() => {});
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    await client.reply(); // started
    const final = await new InteractiveSession(client).run({ tty, stdin, detachKeys });
    if (final === null) {
      process.stderr.write(`engine: detached from ${id}; it keeps running (engine attach ${id})\n`);
      return;
    }
    if (final.ok && final.event === 'exited') {
      const r = final.record;
      if (r.state === 'failed') return failedStartExit(r);
      process.exitCode = r.exitCode ?? CLIENT_ERROR_EXIT;
    }
  },
);
