import type { Command } from 'commander';
import { Client, socketPath, writeOut } from '../client.js';
import { EngineError } from '../../errors.js';

export function register(program: Command): void {
  program
    .command('logs')
    .description("print a container's output (stdout and stderr, as written)")
    .argument('<id>', 'container id')
    .option('-f, --follow', 'keep printing new output; ends when the container has ended and all is printed')
    .option('-n, --tail <lines>', 'only the last N lines')
    .option('--socket <path>', 'supervisor socket')
    .action(async (id: string, o) => {
      let tail: number | undefined;
      if (o.tail !== undefined) {
        if (!/^\d+$/.test(o.tail)) throw new EngineError('invalid_argument', `--tail must be a number of lines, 0 or more (got ${o.tail})`);
        tail = Number(o.tail);
      }
      const client = await Client.open(socketPath(o.socket), { verb: 'logs', id, follow: Boolean(o.follow), tail });
      await client.reply(writeOut);
      client.close();
    });
}
