import { call, socketPath } from '../client.js';
import { SOCKET_OPTION, type VerbSpec } from '../verb-spec.js';

export const spec: VerbSpec = {
  name: 'top',
  description: "list a running container's processes: pid on the host, pid inside, user, command",
  operands: [{ name: 'id', description: 'a running container' }],
  options: [
    { flags: '--json', description: 'print the list as JSON' },
    SOCKET_OPTION,
  ],
  async action(id: string, o) {
    const reply = await call(socketPath(o.socket), { verb: 'top', id });
    if (!reply.ok || reply.event !== 'top') return;
    if (o.json) {
      process.stdout.write(`${JSON.stringify(reply.processes, null, 2)}\n`);
      return;
    }
    const rows = [['PID', 'CONTAINER PID', 'PPID', 'UID', 'COMMAND'], ...reply.processes.map((p) => [String(p.pid), String(p.containerPid ?? '-'), String(p.ppid), String(p.user), p.command])];
    const widths = rows[0].slice(0, -1).map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows) process.stdout.write(`${r.map((v, i) => (i < widths.length ? v.padEnd(widths[i]) : v)).join('  ')}\n`);
  },
};
