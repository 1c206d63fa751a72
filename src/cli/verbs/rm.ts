import type { Command } from 'commander';
import { call, socketPath } from '../client.js';

export function register(program: Command): void {
  program
    .command('rm')
    .description("forget an ended container: frees its id and deletes its log")
    .argument('<id>', 'container id')
    .option('--socket <path>', 'supervisor socket')
    .action(async (id: string, o) => {
      await call(socketPath(o.socket), { verb: 'rm', id });
      process.stdout.write(`${id}\n`);
    });
}
