// engine-oci run [--detach] [create's options] ID: create and start; without --detach, wait for
// the container's exit, delete it, and exit with its status (runc run).
import { native } from '../../native/addon.js';
import { bool, parseFlags } from '../args.js';
import { load } from '../common.js';
import type { OciContext } from '../main.js';
import { checkId } from '../state.js';
import * as create from './create.js';
import * as start from './start.js';
import { destroy } from './delete.js';

export async function run(ctx: OciContext, argv: string[]): Promise<number> {
  const detach = argv.includes('--detach') || argv.includes('-d');
  const rest = argv.filter((a) => a !== '--detach' && a !== '-d');
  const p = parseFlags(rest, { values: ['bundle', 'b', 'pid-file', 'console-socket', 'preserve-fds'], booleans: ['no-pivot', 'no-new-keyring'] });
  const id = checkId(p.args[0]);
  void bool;
  await create.run(ctx, rest);
  await start.run(ctx, [id]);
  if (detach) return 0;
  const c = load(ctx.root, id);
  const addon = native();
  const status = await new Promise<number>((resolve) => {
    const fd = addon.pidfdOpen(c.state.pid); // our own child: create launched it from this process
    addon.watchExit(fd, (info) => resolve(info.exitCode ?? 128 + (info.signal ?? 0)));
  });
  await destroy(ctx.root, load(ctx.root, id));
  return status;
}
