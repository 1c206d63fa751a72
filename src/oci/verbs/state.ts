// engine-oci state ID: the container's state (runtime.md), computed live.
import { parseFlags, UsageError } from '../args.js';
import { load } from '../common.js';
import type { OciContext } from '../main.js';
import { checkId, stateJson } from '../state.js';

export async function run(ctx: OciContext, argv: string[]): Promise<number> {
  const p = parseFlags(argv, { values: [], booleans: [] });
  const id = checkId(p.args[0]);
  if (p.args.length > 1) throw new UsageError('state takes one container id');
  const c = load(ctx.root, id);
  process.stdout.write(`${JSON.stringify(stateJson(c.state, c.status), null, 2)}\n`);
  return 0;
}
