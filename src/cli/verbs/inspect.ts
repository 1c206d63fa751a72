import { call, socketPath } from '../client.js';
import { SOCKET_OPTION, type VerbSpec } from '../verb-spec.js';

export const spec: VerbSpec = {
  name: 'inspect',
  description: "print one container's record as JSON: pid, state, limits, times, exit status, memory events, log path",
  operands: [{ name: 'id', description: 'container id' }],
  options: [
    { flags: '--spec', description: 'print the effective OCI runtime spec (config.json) the container was started with' },
    SOCKET_OPTION,
  ],
  async action(id: string, o) {
    const reply = await call(socketPath(o.socket), { verb: 'inspect', id, spec: o.spec === true ? true : undefined });
    if (reply.ok && reply.event === 'record') process.stdout.write(JSON.stringify(reply.record, null, 2) + '\n');
    if (reply.ok && reply.event === 'spec') process.stdout.write(JSON.stringify(reply.spec, null, 2) + '\n');
  },
};
