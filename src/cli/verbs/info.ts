import type { Command } from 'commander';
import { call, socketPath } from '../client.js';

const fmt = (v: number | null) => (v === null ? '-' : `${v.toFixed(2)} ms`);

export function register(program: Command): void {
  program
    .command('info')
    .description('print the supervisor: pid, version, uptime, memory enforcer, containers, event-loop delay, seccomp compiles')
    .option('--json', 'print the same as one JSON object')
    .option('--reset-loop-delay', 'start a new event-loop delay measurement after this one')
    .option('--socket <path>', 'supervisor socket')
    .action(async (o) => {
      const reply = await call(socketPath(o.socket), { verb: 'info', resetLoopDelay: o.resetLoopDelay === true });
      if (!reply.ok || reply.event !== 'info') return;
      const i = reply.info;
      if (o.json) {
        process.stdout.write(JSON.stringify(i, null, 2) + '\n');
        return;
      }
      const d = i.loopDelay;
      const rows: Array<[string, string]> = [
        ['pid', String(i.pid)],
        ['version', i.version],
        ['started', `${i.startedAt} (up ${Math.round(i.uptimeMs / 1000)} s)`],
        ['socket', i.socket ?? '-'],
        ['state dir', i.stateDir],
        ['memory enforcer', `${i.memoryEnforcer.kind}: ${i.memoryEnforcer.reason}`],
        ['containers', `${i.containers.total} (${i.containers.live} live)`],
        ['loop delay', d ? `p50 ${fmt(d.p50Ms)}, p99 ${fmt(d.p99Ms)}, max ${fmt(d.maxMs)} over ${Math.round(d.sinceMs / 1000)} s (${d.samples} samples)` : '-'],
        ['main thread', d?.mainThread ? `${fmt(d.mainThread.cpuMs)} on a CPU, ${fmt(d.mainThread.waitMs)} waiting for one` : '-'],
        ['worst stall', d?.worstStall ? `${fmt(d.worstStall.lateMs)} late at ${d.worstStall.at}: ran ${fmt(d.worstStall.cpuMs)}, waited for a CPU ${fmt(d.worstStall.waitMs)}, blocked ${fmt(d.worstStall.blockedMs)}` : '-'],
        ['rss', `${(i.rssBytes / 1048576).toFixed(1)} MiB`],
        ['seccomp', `${i.seccompCompilations} filters compiled (each once; containers share them)`],
      ];
      for (const [k, v] of rows) process.stdout.write(`${(k + ':').padEnd(17)}${v}\n`);
    });
}
