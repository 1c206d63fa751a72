// How an ended container's state and status are decided (CONTRACT.md, States and exit status).

import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exitStatus, finalState } from '../../src/supervisor/container.js';
import { tailOffset } from '../../src/supervisor/log-stream.js';
import { execCandidates } from '../../src/runtime/container-process.js';

const { SIGKILL, SIGTERM, SIGSEGV } = os.constants.signals;

test('exit status: the code, or 128 + the signal', (t) => {
  t.is(exitStatus(0, null), 0);
  t.is(exitStatus(37, null), 37);
  t.is(exitStatus(null, SIGKILL), 137);
  t.is(exitStatus(null, SIGTERM), 143);
});

test('attribution: enforcer event first, then a stop request, then SIGKILL, else exited', (t) => {
  t.is(finalState({ signal: SIGKILL, stopRequested: false, enforcerKilled: true }), 'hard_limit_killed');
  t.is(finalState({ signal: SIGKILL, stopRequested: true, enforcerKilled: true }), 'hard_limit_killed');
  t.is(finalState({ signal: SIGKILL, stopRequested: true, enforcerKilled: false }), 'stopped');
  t.is(finalState({ signal: null, stopRequested: true, enforcerKilled: false }), 'stopped');
  t.is(finalState({ signal: SIGKILL, stopRequested: false, enforcerKilled: false }), 'killed');
  t.is(finalState({ signal: SIGSEGV, stopRequested: false, enforcerKilled: false }), 'exited');
  t.is(finalState({ signal: null, stopRequested: false, enforcerKilled: false }), 'exited');
});

test('exec candidates: a path as given (relative to /), a name through PATH', (t) => {
  t.deepEqual(execCandidates('/bin/sh'), ['/bin/sh']);
  t.deepEqual(execCandidates('./x'), ['/x']);
  t.is(execCandidates('ls')[0], '/usr/local/sbin/ls');
  t.is(execCandidates('ls').at(-1), '/bin/ls');
});

test('tail offset: the last N lines, with or without a final newline, across chunk edges', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-tail-'));
  const file = path.join(dir, 'log');
  const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(i % 97)}`);
  for (const ending of ['\n', '']) {
    const text = lines.join('\n') + ending;
    fs.writeFileSync(file, text);
    for (const n of [0, 1, 2, 10, 1234, 4999, 5000, 9999]) {
      const off = await tailOffset(file, n);
      const expected = n === 0 ? '' : lines.slice(-n).join('\n') + ending;
      t.is(text.slice(off), expected, `n=${n} ending=${JSON.stringify(ending)}`);
    }
  }
  fs.writeFileSync(file, '');
  t.is(await tailOffset(file, 3), 0);
  fs.rmSync(dir, { recursive: true });
});
