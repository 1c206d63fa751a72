// Runs the `rootfs` verb module as the CLI would (commander program + register), so tests can
// check its output and exit codes without depending on src/cli/main.ts.
// Usage: node --import tsx test/rootfs/cli-harness.ts rootfs create DIR ...
import { Command } from 'commander';
import { register } from '../../src/cli/verbs/rootfs.js';

const program = new Command('engine');
register(program);
await program.parseAsync(process.argv);
