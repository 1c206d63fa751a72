import type { Command } from 'commander';
import { call, socketPath } from '../client.js';

export function register(program: Command): void {
  program
    .command('inspect')
    .description("print one container's record as JSON: pid, state, limits, times, exit status, memory events, log path")
    .argument('<id>', 'container id')
    .option('--spec', 'print the effective OCI runtime spec (config.json) the container was started with')
    .option('--socket <path>', 'supervisor socket')
    .action(async (id: string, o) => {
      const reply = await call(socketPath(o.socket), { verb: 'inspect', id, spec: o.spec === true ? true : undefined });
      if (reply.ok && reply.event === 'record') process.stdout.write(JSON.stringify(reply.record, null, 2) + '\n');
      if (reply.ok && reply.event === 'spec') process.stdout.write(JSON.stringify(reply.spec, null, 2) + '\n');
    });
}
