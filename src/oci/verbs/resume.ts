// engine-oci resume ID: thaws a paused container.
import { parseFlags } from '../args.js';
import { load } from '../common.js';
import type { OciContext } from '../main.js';
import { checkId } from '../state.js';

export async function run(ctx: OciContext, argv: string[]): Promise<number> {
  const p = parseFlags(argv, { values: [], booleans: [] });
  const c = load(ctx.root, checkId(p.args[0]));
  if (c.status !== 'paused') throw new Error(`container not paused (${c.status})`);
  await c.cgroup.thaw();
  return 0;
}
