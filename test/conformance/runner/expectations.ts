// The known failures file (test/conformance/known-failures.txt) and the verdict built on it.
// A line: `RUNTIME PROGRAM#CASE REASON...`; CASE is the TAP point number, or `run` for the
// program as a whole (crashed, timed out, no plan). `#` starts a comment line.

import type { TapResult } from './tap.js';

export type KnownFailures = Map<string, string>; // "runtime program#case" -> reason

export function parseKnownFailures(text: string): KnownFailures {
  const known: KnownFailures = new Map();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(\S+)\s+([A-Za-z0-9_]+)#(\d+|run)\s+(\S.*)$/.exec(line);
    if (!m) throw new Error(`known failures, line ${i + 1}: want "RUNTIME PROGRAM#CASE REASON", got "${line}"`);
    known.set(`${m[1]} ${m[2]}#${m[3]}`, m[4]);
  });
  return known;
}

export type Outcome = 'passed' | 'failed' | 'known-failure' | 'fixed' | 'skipped';

export interface CaseVerdict {
  key: string; // PROGRAM#CASE
  description: string;
  outcome: Outcome;
  reason?: string; // a known failure's reason, or what went wrong with the program
  diagnostic?: string;
}

export interface ProgramRun {
  program: string;
  runtime: string;
  exitCode: number | null;
  timedOut: boolean;
  tap: TapResult;
  stderr: string;
}

/**
 * Each TAP point becomes passed, failed (not listed), known-failure (listed and failed),
 * fixed (listed but passed: the list is stale) or skipped. A program that crashed, timed out or
 * printed no (or a wrong) plan adds one `PROGRAM#run` verdict, so a broken program never passes.
 */
export function judge(run: ProgramRun, known: KnownFailures): CaseVerdict[] {
  const verdicts: CaseVerdict[] = [];
  const listed = (c: string) => known.get(`${run.runtime} ${run.program}#${c}`);
  for (const c of run.tap.cases) {
    const key = `${run.program}#${c.n}`;
    const reason = listed(String(c.n));
    let outcome: Outcome;
    if (c.skip) outcome = 'skipped';
    else if (c.ok) outcome = reason ? 'fixed' : 'passed';
    else outcome = reason ? 'known-failure' : 'failed';
    verdicts.push({ key, description: c.description, outcome, reason, diagnostic: c.ok ? undefined : c.diagnostic });
  }
  const broken = brokenRun(run);
  if (broken) {
    const reason = listed('run');
    verdicts.push({ key: `${run.program}#run`, description: 'the program ran to the end with a plan that matches its points', outcome: reason ? 'known-failure' : 'failed', reason: reason ?? broken, diagnostic: run.stderr.slice(-2000) });
  } else if (listed('run')) {
    verdicts.push({ key: `${run.program}#run`, description: 'the program ran to the end with a plan that matches its points', outcome: 'fixed', reason: listed('run') });
  }
  return verdicts;
}

function brokenRun(run: ProgramRun): string | null {
  if (run.timedOut) return 'timed out';
  if (run.exitCode !== 0) return `exited with status ${run.exitCode}`;
  if (run.tap.planned === null) return 'printed no TAP plan';
  if (run.tap.planned !== run.tap.cases.length) return `planned ${run.tap.planned} points, printed ${run.tap.cases.length}`;
  return null;
}
