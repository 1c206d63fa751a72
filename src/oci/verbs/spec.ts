// engine-oci spec [--bundle DIR]: writes a default config.json (engine's contained defaults:
// Docker's capabilities, seccomp profile, masked paths) for a rootfs at DIR/rootfs.
import fs from 'node:fs';
import path from 'node:path';
import { defaultSpec } from '../../spec/defaults.js';
import { parseFlags, str } from '../args.js';
import type { OciContext } from '../main.js';

export async function run(_ctx: OciContext, argv: string[]): Promise<number> {
  const p = parseFlags(argv, { values: ['bundle', 'b'], booleans: ['rootless'] });
  const bundle = path.resolve(str(p, 'bundle') ?? str(p, 'b') ?? '.');
  const file = path.join(bundle, 'config.json');
  if (fs.existsSync(file)) throw new Error(`File ${file} exists. Remove it first`);
  const spec = defaultSpec({ args: ['sh'], hostname: 'engine', rootfs: 'rootfs' });
  spec.process!.env!.push('HOME=/root');
  fs.writeFileSync(file, `${JSON.stringify(spec, null, 2)}\n`);
  return 0;
}
