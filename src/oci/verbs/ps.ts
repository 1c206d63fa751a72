// engine-oci ps [--format table|json] ID: the container's processes (everything in its cgroups),
// host pids; json is a bare array of pids (containerd's shim reads it), table has the command.

import fs from 'node:fs';
import { parseFlags, str, UsageError } from '../args.js';
import { load } from '../common.js';
import type { OciContext } from '../main.js';
import { checkId } from '../state.js';

export async function run(ctx: OciContext, argv: string[]): Promise<number> {
  const p = parseFlags(argv, { values: ['format', 'f'], booleans: [] });
  const id = checkId(p.args[0]);
  const format = str(p, 'format') ?? str(p, 'f') ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError(`invalid format "${format}": table or json`);
  const c = load(ctx.root, id);
  const pids = c.status === 'stopped' ? [] : c.cgroup.procs().sort((a, b) => a - b);
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(pids)}\n`);
    return 0;
  }
  const rows = pids.map((pid) => {
    let cmd = '';
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    } catch {
      /* ended meanwhile */
    }
    return `${String(pid).padEnd(8)}${cmd}`;
  });
  process.stdout.write(['PID     CMD', ...rows].join('\n') + '\n');
  return 0;
}
