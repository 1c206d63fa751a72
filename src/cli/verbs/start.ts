import { call, socketPath } from '../client.js';
import { containerVerb, toStartRequest } from '../container-args.js';
import { failedStartExit } from '../report.js';

export { preprocess } from '../container-args.js';

export const spec = containerVerb('start', 'start a container in the background', async (id: string, rootfs: string, command: string[], o) => {
  const reply = await call(socketPath(o.socket), toStartRequest('start', id, rootfs, command, o));
  if (reply.ok && reply.event === 'started') {
    const r = reply.record;
    if (r.reason) return failedStartExit(r);
    process.stdout.write(`started ${r.id} (pid ${r.pid})\n`);
  }
});
