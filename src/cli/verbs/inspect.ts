import type { Command } from 'commander';
import { call, socketPath } from '../client.js';

export function register(program: Command): void {
  program
    .command('inspect')
    .description("print one container's record as JSON: pid, state, limits, times, exit status, memory events, log path")
    .argument('<id>', 'container id')
    .option('--socket <path>', 'supervisor socket')
    .action(async (id: string, o) => {
      const reply = await call(socketPath(o.socket), { verb: 'inspect', id });
      if (reply.ok && reply.event === 'record') process.stdout.write(JSON.stringify(reply.record, null, 2) + '\n');
    });
}
