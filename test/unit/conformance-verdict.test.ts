// The conformance lane's TAP reading and its verdict against known-failures.txt.

import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../src/paths.js';
import { parseTap } from '../conformance/runner/tap.js';
import { judge, parseKnownFailures, type ProgramRun } from '../conformance/runner/expectations.js';

const tap = `TAP version 13
ok 1 - create works
not ok 2 - delete of a created container MUST error
  ---
  error: |
    succeeded
  ...
ok 3 - hugetlb # SKIP not mounted here
not ok 4 - a new failure
1..4
`;

const run = (text: string, extra: Partial<ProgramRun> = {}): ProgramRun => ({ program: 'delete', runtime: 'runc', exitCode: 0, timedOut: false, tap: parseTap(text), stderr: '', ...extra });

test('TAP points, skips, diagnostics and the trailing plan are read', (t) => {
  const r = parseTap(tap);
  t.is(r.planned, 4);
  t.deepEqual(r.cases.map((c) => [c.n, c.ok, c.skip]), [[1, true, false], [2, false, false], [3, true, true], [4, false, false]]);
  t.is(r.cases[1].description, 'delete of a created container MUST error');
  t.regex(r.cases[1].diagnostic, /succeeded/);
  t.is(r.cases[2].description, 'hugetlb');
});

test('a listed failure is known, an unlisted one fails, a listed pass is reported as fixed', (t) => {
  const known = parseKnownFailures('# comment\nrunc delete#2 runc deletes created containers\nrunc delete#1 stale entry\n');
  const outcomes = judge(run(tap), known).map((v) => `${v.key}:${v.outcome}`);
  t.deepEqual(outcomes, ['delete#1:fixed', 'delete#2:known-failure', 'delete#3:skipped', 'delete#4:failed']);
});

test('another runtime does not inherit runc\'s known failures', (t) => {
  const known = parseKnownFailures('runc delete#2 runc deletes created containers\n');
  t.is(judge(run(tap, { runtime: 'engine' }), known)[1].outcome, 'failed');
});

test('a program that timed out, crashed or printed no plan fails as PROGRAM#run', (t) => {
  const none = parseKnownFailures('');
  const noPlan = judge(run('ok 1 - a\n'), none);
  t.is(noPlan.at(-1)?.key, 'delete#run');
  t.is(noPlan.at(-1)?.outcome, 'failed');
  t.regex(judge(run('ok 1 - a\n1..1\n', { timedOut: true, exitCode: null }), none).at(-1)?.reason ?? '', /timed out/);
  t.regex(judge(run('ok 1 - a\n1..2\n'), none).at(-1)?.reason ?? '', /planned 2 points, printed 1/);
  t.is(judge(run('ok 1 - a\n1..1\n'), none).length, 1);
});

test('a malformed known-failures line is refused with its line number', (t) => {
  t.throws(() => parseKnownFailures('runc delete 3 no hash\n'), { message: /line 1/ });
});

test('the checked-in known-failures file parses', (t) => {
  const known = parseKnownFailures(readFileSync(path.join(REPO_ROOT, 'test/conformance/known-failures.txt'), 'utf8'));
  t.true(known.size > 0);
  for (const reason of known.values()) t.true(reason.length > 10);
});
