import { call, socketPath } from '../client.js';
import type { ContainerRecord } from '../../protocol/messages.js';
import { formatCpuList } from '../../sched/cpus.js';
import { SOCKET_OPTION, type VerbSpec } from '../verb-spec.js';

const COLUMNS: Array<[string, (r: ContainerRecord) => string]> = [
  ['ID', (r) => r.id],
  ['PID', (r) => (r.pid === null ? '-' : String(r.pid))],
  ['STATE', (r) => r.state],
  ['STARTED', (r) => r.startedAt.replace('T', ' ').slice(0, 19)],
  ['SOFT(MiB)', (r) => String(r.limits.softMib)],
  ['HARD(MiB)', (r) => String(r.limits.hardMib)],
  ['NICE', (r) => String(r.nice)],
  ['CPUS', (r) => (r.cpus ? formatCpuList(r.cpus) : '-')],
  ['EXIT', (r) => (r.exitCode === null ? '-' : String(r.exitCode))],
  ['MEM', (r) => memoryMark(r)],
];

function memoryMark(r: ContainerRecord): string {
  const kinds = new Set(r.memoryEvents.map((e) => e.kind));
  if (kinds.has('hard')) return 'hard-killed';
  if (kinds.has('soft')) return 'soft-crossed';
  return '-';
}

export function table(records: ContainerRecord[]): string {
  const rows = [COLUMNS.map(([h]) => h), ...records.map((r) => COLUMNS.map(([, f]) => f(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n') + '\n';
}

export const spec: VerbSpec = {
  name: 'ps',
  description: 'list every container, live or ended, newest last',
  operands: [],
  options: [
    { flags: '--json', description: 'print the records as a JSON array' },
    SOCKET_OPTION,
  ],
  async action(o) {
    const reply = await call(socketPath(o.socket), { verb: 'ps' });
    if (reply.ok && reply.event === 'list') {
      process.stdout.write(o.json ? JSON.stringify(reply.records, null, 2) + '\n' : table(reply.records));
    }
  },
};
