// engine-oci list [--format table|json] [-q]: every container under --root.
import { bool, parseFlags, str, UsageError } from '../args.js';
import { load } from '../common.js';
import type { OciContext } from '../main.js';
import { listIds, stateJson } from '../state.js';

export async function run(ctx: OciContext, argv: string[]): Promise<number> {
  const p = parseFlags(argv, { values: ['format', 'f'], booleans: ['quiet', 'q'] });
  const format = str(p, 'format') ?? str(p, 'f') ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError(`invalid format "${format}": table or json`);
  const all = listIds(ctx.root).flatMap((id) => {
    try {
      const c = load(ctx.root, id);
      return [stateJson(c.state, c.status) as { id: string; pid: number; status: string; bundle: string; created: string }];
    } catch {
      return [];
    }
  });
  if (bool(p, 'quiet') || bool(p, 'q')) process.stdout.write(all.map((s) => `${s.id}\n`).join(''));
  else if (format === 'json') process.stdout.write(`${JSON.stringify(all)}\n`);
  else {
    const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...all.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, 'root'])];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)) + 2);
    process.stdout.write(rows.map((r) => r.map((v, i) => (i < r.length - 1 ? v.padEnd(widths[i]) : v)).join('')).join('\n') + '\n');
  }
  return 0;
}
