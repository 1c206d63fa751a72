// The client-side pieces of -i/-t that need no supervisor: detach keys and exec's argument split.

import test from 'ava';
import { DetachScanner, parseDetachKeys } from '../../src/cli/interactive.js';
import { preprocess } from '../../src/cli/verbs/exec.js';

test('detach keys: Docker\'s notation to bytes', (t) => {
  t.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')!], [16, 17]);
  t.deepEqual([...parseDetachKeys('ctrl-x,x')!], [24, 120]);
  t.deepEqual([...parseDetachKeys('ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')!], [0, 27, 28, 29, 30, 31]);
  t.is(parseDetachKeys(''), null);
  t.throws(() => parseDetachKeys('ctrl-1'), { message: /--detach-keys: unknown key "ctrl-1"/ });
  t.throws(() => parseDetachKeys('alt-x'), { message: /--detach-keys: unknown key "alt-x"/ });
});

test('detach scanner: the sequence across chunks, partial matches passed on, bytes before kept', (t) => {
  const keys = parseDetachKeys('ctrl-p,ctrl-q')!;
  const s = new DetachScanner(keys);
  t.deepEqual(s.push(Buffer.from('abc')), { forward: Buffer.from('abc'), detach: false });
  // Ctrl-P then something else: both go through
  const partial = s.push(Buffer.from([16]));
  t.is(partial.forward.length, 0);
  t.deepEqual(s.push(Buffer.from('x')), { forward: Buffer.from([16, 120]), detach: false });
  // Ctrl-P Ctrl-P Ctrl-Q: the first Ctrl-P is passed on, the rest detaches
  t.deepEqual(s.push(Buffer.from([16, 16])), { forward: Buffer.from([16]), detach: false });
  t.deepEqual(s.push(Buffer.from([17, 65])), { forward: Buffer.from([]), detach: true });
  const s2 = new DetachScanner(keys);
  t.deepEqual(s2.push(Buffer.from([104, 105, 16, 17])), { forward: Buffer.from('hi'), detach: true });
});

test('exec arguments: options before ID, everything after ID to the command', (t) => {
  t.deepEqual(preprocess(['-it', 'c1', 'sh']), ['-it', '--', 'c1', 'sh']);
  t.deepEqual(preprocess(['-e', 'A=1', '-w', '/tmp', '-u', 'nobody', 'c1', 'env', '-i']), ['-e', 'A=1', '-w', '/tmp', '-u', 'nobody', '--', 'c1', 'env', '-i']);
  t.deepEqual(preprocess(['-ie', 'A=1', 'c1', 'ls', '-t']), ['-ie', 'A=1', '--', 'c1', 'ls', '-t']);
  t.deepEqual(preprocess(['--env=A=1', 'c1', 'true']), ['--env=A=1', '--', 'c1', 'true']);
  t.deepEqual(preprocess(['--', '-odd-id', 'true']), ['--', '-odd-id', 'true']);
});
