// parsePlain (the commander-free fast path of the client verbs) against commander itself: on any
// command line, either both read it the same way or parsePlain declines and commander answers.
// Random lines from each verb's own options, operands and the awkward words around them.

import test from 'ava';
import { Command } from 'commander';
import { commandFrom, parsePlain, type VerbSpec } from '../../src/cli/verb-spec.js';
import type { VerbModule } from '../../src/cli/run-verb.js';

const VERBS = ['ps', 'run', 'start', 'exec', 'stop', 'rm', 'logs', 'inspect', 'top', 'attach'];

/** What commander hands the action for `args`, or null when it refuses them (or prints help). */
function commanderReads(spec: VerbSpec, args: string[]): unknown[] | null {
  let got: unknown[] | null = null;
  const program = new Command('engine').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  commandFrom(program, { ...spec, action: async (...a: unknown[]) => void (got = a) });
  try {
    program.parse([spec.name, ...args], { from: 'user' });
  } catch {
    return null;
  }
  return got;
}

function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s % n;
  };
}

/** Words a user might type for this verb, right and wrong. */
function vocabulary(spec: VerbSpec): string[] {
  const words = ['--', '-', '-h', '--help', '--bogus', '-Z', 'x', 'alpha', '/bin/sh', '-c', '', '=', '-10', '--nice=-3', 'a=b', '-it', '-ti', '-ie', 'blocking', 'sometimes'];
  for (const o of spec.options) {
    const m = /^(?:-([A-Za-z]), )?--([a-z0-9-]+)(?: <.+>)?$/.exec(o.flags)!;
    const takesValue = o.flags.endsWith('>');
    words.push(`--${m[2]}`);
    if (m[1]) words.push(`-${m[1]}`);
    if (takesValue) words.push(`--${m[2]}=v`, `--${m[2]}=`, ...(m[1] ? [`-${m[1]}v`] : []));
    else words.push(`--${m[2]}=1`);
  }
  return words;
}

for (const verb of VERBS) {
  test(`${verb}: the fast path reads a line as commander does, or leaves it to commander`, async (t) => {
    const mod = (await import(`../../src/cli/verbs/${verb}.js`)) as VerbModule;
    const spec = mod.spec!;
    t.truthy(spec, `${verb} is described as data`);
    const words = vocabulary(spec);
    const next = rng(verb.length * 7919 + 17);
    let agreed = 0;
    let declined = 0;
    for (let n = 0; n < 1500; n++) {
      const some = (k: number) => Array.from({ length: k }, () => words[next(words.length)]);
      // options, then about as many operands as the verb takes (one fewer to two more), then more
      const operands = Array.from({ length: Math.max(0, spec.operands.length - 1 + next(4)) }, (_, i) => ['x', '/r', 'cmd', 'arg'][i % 4]);
      const line = [...some(next(4)), ...operands, ...some(next(3))];
      const args = mod.preprocess ? mod.preprocess(line) : line;
      const plain = parsePlain(spec, args);
      if (plain === null) {
        declined++;
        continue;
      }
      const reference = commanderReads(spec, args);
      t.deepEqual(JSON.parse(JSON.stringify(plain)), JSON.parse(JSON.stringify(reference)), `engine ${verb} ${line.join(' ')}`);
      agreed++;
    }
    // Both branches were exercised: lines read without commander, and lines left to it.
    t.true(agreed > 50 && declined > 50, `agreed ${agreed}, declined ${declined}`);
  });
}

test('plain lines of the hot verbs take the fast path', (t) => {
  const cases: Array<[string, string[]]> = [
    ['ps', []],
    ['ps', ['--json']],
    ['ps', ['--socket', '/run/engine.sock']],
    ['run', ['--rm', 'x', '/r', '/bin/true']],
    ['run', ['-it', '-e', 'A=1', '-v', '/h:/c:ro', 'x', '/r', '/bin/sh', '-c', 'exit 3']],
    ['exec', ['-i', 'x', 'cat']],
    ['stop', ['-t', '2', 'x']],
  ];
  return Promise.all(
    cases.map(async ([verb, line]) => {
      const mod = (await import(`../../src/cli/verbs/${verb}.js`)) as VerbModule;
      const args = mod.preprocess ? mod.preprocess(line) : line;
      t.not(parsePlain(mod.spec!, args), null, `engine ${verb} ${line.join(' ')}`);
    }),
  );
});

test('help, unknown options and missing operands go to commander', (t) => {
  const spec: VerbSpec = {
    name: 'v',
    description: '',
    operands: [{ name: 'id', description: '' }],
    options: [{ flags: '-n, --tail <lines>', description: '' }],
    action: async () => {},
  };
  for (const line of [['--help'], ['-h', 'x'], ['--bogus', 'x'], [], ['x', 'y'], ['x', '--tail'], ['x', '-n']]) t.is(parsePlain(spec, line), null, line.join(' '));
  t.deepEqual(parsePlain(spec, ['x', '-n5']), ['x', { tail: '5' }]);
});
