// engine-oci pause ID: freezes every process of a running container (the freezer cgroup).
import { parseFlags } from '../args.js';
import { load } from '../common.js';
import type { OciContext } from '../main.js';
import { checkId } from '../state.js';

export async function run(ctx: OciContext, argv: string[]): Promise<number> {
  const p = parseFlags(argv, { values: [], booleans: [] });
  const c = load(ctx.root, checkId(p.args[0]));
  if (c.status !== 'running') throw new Error(`container not running (${c.status})`);
  await c.cgroup.freeze();
  return 0;
}
