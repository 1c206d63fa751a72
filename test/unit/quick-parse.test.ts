// The commander-free parse of plain command lines (src/cli/quick-parse.ts) gives the verb's action
// exactly what commander gives it, and hands everything else back to commander.

import test from 'ava';
import { Command } from 'commander';
import { defineContainerVerb, preprocess } from '../../src/cli/container-args.js';
import { quickRun } from '../../src/cli/quick-parse.js';
import { register as registerLogs } from '../../src/cli/verbs/logs.js';

type Register = (program: Command, action: (...args: unknown[]) => void) => void;

const runVerb: Register = (program, action) => void defineContainerVerb(program, 'run', 'run').action(action);
/** logs' own definition, with its action replaced by the recorder. */
const logsVerb: Register = (program, action) => {
  registerLogs(program);
  const cmd = (program.commands?.[0] ?? program) as Command;
  if (typeof cmd.action === 'function') cmd.action(action);
};

async function viaCommander(register: Register, verb: string, argv: string[]): Promise<unknown[] | string> {
  let got: unknown[] = [];
  const program = new Command('engine').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  register(program, (...args) => (got = args.slice(0, -1)));
  try {
    await program.parseAsync([verb, ...argv], { from: 'user' });
  } catch (err) {
    return (err as { code: string }).code;
  }
  return got;
}

async function viaQuick(register: Register, argv: string[]): Promise<unknown[] | null> {
  let got: unknown[] = [];
  const p = quickRun((program: never) => register(program, (...args) => (got = args.slice(0, -1))), argv);
  if (!p) return null;
  await p;
  return got;
}

const plain: string[][] = [
  ['id', 'rootfs', '/bin/true'],
  ['id', '--rm', '-e', 'A=1', '-e', 'B', '--env-file', 'f', 'rootfs', '/bin/sh', '-c', 'echo $A', '--nice', '-5'],
  ['--hard-mib', '80', '-u', '1000:1000', '-w', '/srv', '-v', '/a:/b:ro', '-v', '/c:/d', '--tmpfs', '/t:size=1m', 'id', 'rootfs', 'prog', '--', '--x'],
  ['--log-mode', 'non-blocking', '--log-buffer-mib=4', '--overlay', '--hostname', 'h', 'id', 'r', 'cmd'],
  ['id', 'rootfs', '--', '--soft-mib', '3'],
];

test('plain run command lines: the same operands and options as commander', async (t) => {
  for (const argv of plain) {
    const rewritten = preprocess(argv);
    const quick = await viaQuick(runVerb, rewritten);
    t.not(quick, null, argv.join(' '));
    t.deepEqual(quick, await viaCommander(runVerb, 'run', rewritten), argv.join(' '));
  }
});

test('anything else goes to commander: help, unknown options, bad choices, missing or extra operands', async (t) => {
  for (const argv of [['--help'], ['id', 'rootfs'], ['--bogus', 'id', 'r', 'c'], ['--log-mode', 'sometimes', 'id', 'r', 'c'], ['-e'], ['--rm=yes', 'id', 'r', 'c']]) {
    const rewritten = preprocess(argv);
    t.is(await viaQuick(runVerb, rewritten), null, argv.join(' '));
    t.is(typeof (await viaCommander(runVerb, 'run', rewritten)), 'string', `commander refuses ${argv.join(' ')}`);
  }
});

test('a verb with -f and -n: short and long forms alike', async (t) => {
  for (const argv of [['x', '-f'], ['x', '-n', '5'], ['--tail=3', 'x', '--follow'], ['x', '-n5']]) {
    t.deepEqual(await viaQuick(logsVerb, argv), await viaCommander(logsVerb, 'logs', argv), argv.join(' '));
  }
  t.is(await viaQuick(logsVerb, ['x', 'y']), null);
});
