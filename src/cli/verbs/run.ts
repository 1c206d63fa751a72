import type { Command } from 'commander';
import { Client, call, socketPath, writeOut } from '../client.js';
import { defineContainerVerb, toStartRequest } from '../container-args.js';
import { failedStartExit } from '../report.js';
import { CLIENT_ERROR_EXIT } from '../../errors.js';

export { preprocess } from '../container-args.js';

export function register(program: Command): void {
  defineContainerVerb(program, 'run', "start a container, print its output, and exit with its status once it is gone and all its output is logged").action(
    async (id: string, rootfs: string, command: string[], o) => {
      const path = socketPath(o.socket);
      const client = await Client.open(path, toStartRequest('run', id, rootfs, command, o));
      // SIGINT/SIGTERM: ask for a stop, keep waiting for the final status (CONTRACT.md).
      let stopping = false;
      const onSignal = () => {
        if (stopping) return;
        stopping = true;
        call(path, { verb: 'stop', id }).catch(() => {});
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      await client.reply(); // started
      const final = await client.reply(writeOut);
      client.close();
      if (final.ok && final.event === 'exited') {
        const r = final.record;
        if (r.state === 'failed') return failedStartExit(r);
        process.exitCode = r.exitCode ?? CLIENT_ERROR_EXIT;
      }
    },
  );
}
