import type { Command } from 'commander';
import { call, socketPath } from '../client.js';
import { defineContainerVerb, toStartRequest } from '../container-args.js';
import { failedStartExit } from '../report.js';

export { preprocess } from '../container-args.js';

export function register(program: Command): void {
  defineContainerVerb(program, 'start', 'start a container in the background').action(async (id: string, rootfs: string, command: string[], o) => {
    const reply = await call(socketPath(o.socket), toStartRequest('start', id, rootfs, command, o));
    if (reply.ok && reply.event === 'started') {
      const r = reply.record;
      if (r.reason) return failedStartExit(r);
      process.stdout.write(`started ${r.id} (pid ${r.pid})\n`);
    }
  });
}
