// How `start` and `run` split their words between engine and the container (CONTRACT.md).

import test from 'ava';
import { preprocess } from '../../src/cli/container-args.js';

test('flags before COMMAND are engine\'s', (t) => {
  t.deepEqual(preprocess(['--nice', '5', 'a', 'r', '/bin/x']), ['--nice=5', '--', 'a', 'r', '/bin/x']);
});

test('engine flags after COMMAND are still engine\'s; other dashed words go to the container', (t) => {
  t.deepEqual(preprocess(['beta', './r', '/memory_hog', '--nice', '10']), ['--nice=10', '--', 'beta', './r', '/memory_hog']);
  t.deepEqual(preprocess(['b', './r', '/bin/sh', '-c', 'sleep 5']), ['--', 'b', './r', '/bin/sh', '-c', 'sleep 5']);
  t.deepEqual(preprocess(['b', './r', '/probe', 'security', '--privileged', '--read-only']), ['--privileged', '--read-only', '--', 'b', './r', '/probe', 'security']);
  t.deepEqual(preprocess(['b', './r', '--', '/probe', '--read-only']), ['--', 'b', './r', '/probe', '--read-only']);
});

test('a negative value is a value, not a flag', (t) => {
  t.deepEqual(preprocess(['a', 'r', 'x', '--nice', '-10']), ['--nice=-10', '--', 'a', 'r', 'x']);
  t.deepEqual(preprocess(['a', 'r', 'x', '--nice=-3']), ['--nice=-3', '--', 'a', 'r', 'x']);
});

test('everything after -- goes to the container untouched', (t) => {
  t.deepEqual(preprocess(['a', './r', '--', '/bin/prog', '--nice', '3']), ['--', 'a', './r', '/bin/prog', '--nice', '3']);
  t.deepEqual(preprocess(['a', './r', '/bin/prog', '--', '--hard-mib', '1']), ['--', 'a', './r', '/bin/prog', '--hard-mib', '1']);
});

test('unknown dashed words before COMMAND are left for commander to reject', (t) => {
  t.deepEqual(preprocess(['--bogus', 'a', 'r', 'x']), ['--bogus', '--', 'a', 'r', 'x']);
});
