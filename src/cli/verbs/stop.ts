import { call, socketPath } from '../client.js';
import { SOCKET_OPTION, type VerbSpec } from '../verb-spec.js';
import { EngineError } from '../../errors.js';

export const spec: VerbSpec = {
  name: 'stop',
  description: 'stop a container: SIGTERM to its init, SIGKILL after the grace period; waits until it has ended',
  operands: [{ name: 'id', description: 'container id' }],
  options: [
    { flags: '-t, --time <seconds>', description: "grace period before SIGKILL (default: the supervisor's --grace-ms)" },
    SOCKET_OPTION,
  ],
  async action(id: string, o) {
    let timeoutMs: number | undefined;
    if (o.time !== undefined) {
      const s = Number(o.time);
      if (!/^\d+(\.\d+)?$/.test(String(o.time)) || !Number.isFinite(s)) throw new EngineError('invalid_argument', `--time must be a number of seconds, 0 or more (got ${o.time})`);
      timeoutMs = Math.round(s * 1000);
    }
    const reply = await call(socketPath(o.socket), { verb: 'stop', id, timeoutMs });
    if (reply.ok && reply.event === 'stopped') {
      const r = reply.record;
      process.stdout.write(reply.note ? `${reply.note}\n` : `${r.id} ${r.state} (exit ${r.exitCode})\n`);
    }
  },
};
