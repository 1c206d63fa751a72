import { call, socketPath } from '../client.js';
import { SOCKET_OPTION, type VerbSpec } from '../verb-spec.js';

export const spec: VerbSpec = {
  name: 'rm',
  description: 'forget an ended container: frees its id and deletes its log',
  operands: [{ name: 'id', description: 'container id' }],
  options: [SOCKET_OPTION],
  async action(id: string, o) {
    await call(socketPath(o.socket), { verb: 'rm', id });
    process.stdout.write(`${id}\n`);
  },
};
