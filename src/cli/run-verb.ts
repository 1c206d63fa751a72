// Runs one verb's module: its definition, its argv rewrite, and the CLI's error and exit-status
// rules. Shared by main.ts (which finds the module by name) and the per-verb bundles the launcher
// loads (scripts/bundle-cli.mjs), so both behave alike.

import type { Command } from 'commander';
import { CLIENT_ERROR_EXIT } from '../errors.js';
import { commandFrom, parsePlain, type VerbSpec } from './verb-spec.js';

/** A verb described as data (spec: read without commander when the line is plain), or by hand. */
export type VerbModule = ({ spec: VerbSpec; register?: undefined } | { register(program: Command): void; spec?: undefined }) & {
  preprocess?(args: string[]): string[];
};

/** Parses `args` (the words after the verb) and runs the verb; sets process.exitCode, never throws. */
export async function runVerb(verb: string, mod: VerbModule, args: string[]): Promise<void> {
  // `engine logs x | head`: a reader that goes away is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  try {
    const rest = mod.preprocess ? mod.preprocess(args) : args;
    const plain = mod.spec ? parsePlain(mod.spec, rest) : null;
    if (plain) {
      await mod.spec!.action(...plain);
      return;
    }
    const { Command } = await import('commander');
    const program = new Command('engine')
      .exitOverride()
      .configureOutput({ outputError: (str, write) => write(`engine: ${str.replace(/^error: /, '').trim()}\n`) });
    if (mod.spec) commandFrom(program, mod.spec);
    else mod.register(program);
    await program.parseAsync([verb, ...rest], { from: 'user' });
  } catch (err) {
    if (typeof (err as { code?: unknown })?.code === 'string' && (err as { code: string }).code.startsWith('commander.')) {
      // --help and --version exit 0; argument errors are client-side errors (CONTRACT.md: 125).
      process.exitCode = (err as { exitCode?: number }).exitCode === 0 ? 0 : CLIENT_ERROR_EXIT;
      return;
    }
    process.stderr.write(`engine: ${(err as Error)?.message ?? String(err)}\n`);
    process.exitCode = CLIENT_ERROR_EXIT;
  }
}
