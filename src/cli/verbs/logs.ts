import { Client, socketPath, writeOut } from '../client.js';
import { SOCKET_OPTION, type VerbSpec } from '../verb-spec.js';
import { EngineError } from '../../errors.js';

export const spec: VerbSpec = {
  name: 'logs',
  description: "print a container's output (stdout and stderr, as written)",
  operands: [{ name: 'id', description: 'container id' }],
  options: [
    { flags: '-f, --follow', description: 'keep printing new output; ends when the container has ended and all is printed' },
    { flags: '-n, --tail <lines>', description: 'only the last N lines' },
    SOCKET_OPTION,
  ],
  async action(id: string, o) {
    let tail: number | undefined;
    if (o.tail !== undefined) {
      if (!/^\d+$/.test(o.tail)) throw new EngineError('invalid_argument', `--tail must be a number of lines, 0 or more (got ${o.tail})`);
      tail = Number(o.tail);
    }
    const client = await Client.open(socketPath(o.socket), { verb: 'logs', id, follow: Boolean(o.follow), tail });
    await client.reply(writeOut);
    client.close();
  },
};
