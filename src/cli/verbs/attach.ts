// engine attach [--no-stdin] [--detach-keys K] ID: a running container's output from now on, and
// its stdin or terminal when it was started with -i (one writer at a time). The detach keys
// leave it running; its end ends attach with its status, as run does.

import type { Command } from 'commander';
import { Client, socketPath, writeOut } from '../client.js';
import { DEFAULT_DETACH_KEYS, forwardStdin, forwardWindowSize, parseDetachKeys, RawTerminal, releaseStdin } from '../interactive.js';
import { failedStartExit } from '../report.js';
import { CLIENT_ERROR_EXIT } from '../../errors.js';

export function register(program: Command): void {
  program
    .command('attach')
    .description("connect to a running container's terminal or stdin/stdout; the detach keys leave it running")
    .argument('<id>', 'a running container')
    .option('--no-stdin', 'only read its output (another client may be writing)')
    .option('--detach-keys <keys>', 'the keys that detach (default ctrl-p,ctrl-q)')
    .option('--socket <path>', 'supervisor socket')
    .action(async (id: string, o) => {
      const detachKeys = parseDetachKeys(o.detachKeys ?? DEFAULT_DETACH_KEYS);
      const client = await Client.open(socketPath(o.socket), { verb: 'attach', id, stdin: o.stdin !== false });
      const raw = new RawTerminal();
      let stopResize = () => {};
      let detached = false;
      let writes = false;
      // Without a terminal to detach from, SIGINT detaches (the container keeps running).
      const onSignal = () => ((detached = true), client.close());
      process.on('SIGINT', onSignal);
      try {
        const first = await client.reply();
        if (!first.ok || first.event !== 'attached') return;
        writes = first.stdin;
        if (first.tty && process.stdin.isTTY) {
          if (writes) raw.enable(); // a reader keeps Ctrl-C for itself (it detaches)
          stopResize = forwardWindowSize(client);
        }
        if (writes) forwardStdin(client, { detachKeys, onDetach: () => ((detached = true), client.close()) });
        let final;
        try {
          final = await client.reply(writeOut);
        } catch (err) {
          if (detached) return;
          throw err;
        }
        client.close();
        if (final.ok && final.event === 'exited') {
          if (final.record.state === 'failed') return failedStartExit(final.record);
          process.exitCode = final.record.exitCode ?? CLIENT_ERROR_EXIT;
        }
      } finally {
        process.off('SIGINT', onSignal);
        stopResize();
        raw.restore();
        if (writes) releaseStdin();
      }
    });
}
