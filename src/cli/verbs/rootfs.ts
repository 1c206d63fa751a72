// engine rootfs create DIR [--workloads DIR] [--from DIR] [--force]
// engine rootfs import TARBALL DIR [--force]
//
// Local commands (no supervisor involved). Success prints one line on stdout; an error prints
// "engine: <message>" on stderr and exits 125 (a client-side error, as CONTRACT.md says).
import type { Command } from 'commander';
import { CLIENT_ERROR_EXIT } from '../../errors.js';

interface CreateFlags {
  workloads?: string;
  from?: string;
  force?: boolean;
}

interface ImportFlags {
  force?: boolean;
}

// Sets the exit status rather than calling process.exit, so pending output is never cut off.
function fail(err: unknown): void {
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`engine: ${msg.split('\n')[0]}\n`);
  process.exitCode = CLIENT_ERROR_EXIT;
}

function describe(r: import('../../rootfs/index.js').RootfsResult): string {
  const parts: string[] = [];
  if (r.kind === 'busybox') parts.push(`busybox rootfs with ${r.applets} applet links`);
  else if (r.kind === 'copy') parts.push(`copy of ${r.source}`);
  else parts.push(`imported from ${r.source}`);
  parts.push(r.workloads.length ? `workloads: ${r.workloads.join(', ')}` : 'no workloads');
  if (!r.hasShell) parts.push('no /bin/sh');
  if (r.replaced) parts.push('replaced the old one');
  return parts.join('; ');
}

export async function createAction(dir: string, flags: CreateFlags): Promise<void> {
  try {
    const { createRootfs } = await import('../../rootfs/index.js');
    const r = await createRootfs(dir, { workloadsDir: flags.workloads, from: flags.from, force: !!flags.force });
    process.stdout.write(`created rootfs ${r.dir} (${describe(r)})\n`);
  } catch (e) {
    fail(e);
  }
}

export async function importAction(tarball: string, dir: string, flags: ImportFlags): Promise<void> {
  try {
    const { importRootfs } = await import('../../rootfs/index.js');
    const r = await importRootfs(tarball, dir, { force: !!flags.force });
    process.stdout.write(`imported rootfs ${r.dir} (${describe(r)})\n`);
  } catch (e) {
    fail(e);
  }
}

/** Adds `rootfs` with its `create` and `import` subcommands to the program. */
export function register(program: Command): void {
  const rootfs = program
    .command('rootfs')
    .description('make container root filesystems (local, no supervisor needed)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  engine rootfs create ./rootfs-base --workloads workloads/bin\n' +
        '  engine rootfs create ./rootfs-alpha --from ./rootfs-base\n' +
        '  engine rootfs import alpine-minirootfs-3.20.3-x86_64.tar.gz ./rootfs-alpine\n',
    );

  rootfs
    .command('create')
    .description(
      'make a busybox rootfs at DIR (standard dirs, applet links, /etc basics, the workloads at / and /usr/bin); needs root',
    )
    .argument('<DIR>', 'directory to create')
    .option('--workloads <DIR>', 'directory with memory_hog, cpu_hog, io_pulse (and probe) to copy in (default: workloads/bin of this checkout, if built)')
    .option('--from <DIR>', 'copy this existing rootfs (cp -a) instead of building a busybox one')
    .option('--force', 'replace DIR if it exists (only an engine rootfs or an empty directory)')
    .action(createAction);

  rootfs
    .command('import')
    .description('unpack a rootfs tarball (.tar, .tar.gz, .tar.xz, e.g. Alpine minirootfs) into DIR')
    .argument('<TARBALL>', 'tarball to unpack')
    .argument('<DIR>', 'directory to create')
    .option('--force', 'replace DIR if it exists (only an engine rootfs or an empty directory)')
    .action(importAction);
}
