import type { Command } from 'commander';
import { Client, call, socketPath, writeOut } from '../client.js';
import { defineContainerVerb, toStartRequest } from '../container-args.js';
import { DEFAULT_DETACH_KEYS, forwardStdin, forwardWindowSize, parseDetachKeys, RawTerminal, releaseStdin, requireTerminal } from '../interactive.js';
import { failedStartExit } from '../report.js';
import { CLIENT_ERROR_EXIT } from '../../errors.js';

export { preprocess } from '../container-args.js';

export function register(program: Command): void {
  defineContainerVerb(program, 'run', "start a container, print its output, and exit with its status once it is gone and all its output is logged").action(
    async (id: string, rootfs: string, command: string[], o) => {
      const path = socketPath(o.socket);
      const interactive = Boolean(o.interactive);
      const tty = Boolean(o.tty);
      // Checked before anything is asked of the supervisor: a refused run leaves nothing behind.
      if (tty) requireTerminal();
      const detachKeys = parseDetachKeys(o.detachKeys ?? DEFAULT_DETACH_KEYS);
      const client = await Client.open(path, toStartRequest('run', id, rootfs, command, o));
      // SIGINT/SIGTERM: ask for a stop, keep waiting for the final status (CONTRACT.md). With -t
      // the terminal is raw: Ctrl-C is a byte for the container, not a signal for us.
      let stopping = false;
      const onSignal = () => {
        if (stopping) return;
        stopping = true;
        call(path, { verb: 'stop', id }).catch(() => {});
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const raw = new RawTerminal();
      let stopResize = () => {};
      let detached = false;
      try {
        await client.reply(); // started
        if (tty) {
          // Raw only when the keys go to the container (Docker's rule): with -t alone Ctrl-C stops it.
          if (interactive) raw.enable();
          stopResize = forwardWindowSize(client);
        }
        if (interactive) {
          forwardStdin(client, {
            detachKeys,
            onDetach: () => {
              detached = true;
              client.close();
            },
          });
        }
        let final;
        try {
          final = await client.reply(writeOut);
        } catch (err) {
          if (detached) return;
          throw err;
        }
        client.close();
        if (final.ok && final.event === 'exited') {
          const r = final.record;
          if (r.state === 'failed') return failedStartExit(r);
          process.exitCode = r.exitCode ?? CLIENT_ERROR_EXIT;
        }
      } finally {
        stopResize();
        raw.restore();
        if (interactive) releaseStdin();
        if (detached) process.stderr.write(`engine: detached from ${id}; it keeps running (engine attach ${id})\n`);
      }
    },
  );
}
