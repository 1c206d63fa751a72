// How an ended container's state and status are decided (CONTRACT.md, States and exit status).

import test from 'ava';
import os from 'node:os';
import { finalState } from '../../src/supervisor/container.js';
import { exitStatus, startFailureStatus } from '../../src/exit-status.js';
import { commandCandidates } from '../../src/spec/compile.js';

const { SIGKILL, SIGTERM, SIGSEGV } = os.constants.signals;

test('exit status: the code, or 128 + the signal', (t) => {
  t.is(exitStatus(0, null), 0);
  t.is(exitStatus(37, null), 37);
  t.is(exitStatus(null, SIGKILL), 137);
  t.is(exitStatus(null, SIGTERM), 143);
});

test('a failed start: 127 not found, 126 not executable (exec only), else 125', (t) => {
  t.is(startFailureStatus('exec', 'ENOENT'), 127);
  t.is(startFailureStatus('exec', 'ENOTDIR'), 127);
  t.is(startFailureStatus('exec', 'EACCES'), 126);
  t.is(startFailureStatus('exec', 'ENOEXEC'), 126);
  t.is(startFailureStatus('mount-proc', 'ENOENT'), 125);
  t.is(startFailureStatus('pivot_root', 'EINVAL'), 125);
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

test('exec candidates: a path as given (relative to /), a name through the container\'s PATH', (t) => {
  t.deepEqual(commandCandidates('/bin/sh'), ['/bin/sh']);
  t.deepEqual(commandCandidates('./x'), ['/x']);
  t.is(commandCandidates('ls')[0], '/usr/local/sbin/ls');
  t.is(commandCandidates('ls').at(-1), '/bin/ls');
  t.deepEqual(commandCandidates('ls', ['PATH=/opt/bin:relative:/usr/bin', 'PATH=/only']), ['/only/ls'], 'the last PATH wins');
  t.deepEqual(commandCandidates('ls', ['PATH=/opt/bin:relative:/usr/bin']), ['/opt/bin/ls', '/usr/bin/ls'], 'relative entries are skipped');
});
