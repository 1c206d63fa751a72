#!/usr/bin/env node
// Runs ava with TAP output, echoes it, and records the counts for the final summary line.
// Usage: node scripts/run-ava.mjs [ava args...]; writes test-results/ava.counts ("passed failed skipped").
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const args = ['ava', '--tap', ...process.argv.slice(2)];
const child = spawn('npx', args, { stdio: ['ignore', 'pipe', 'inherit'] });
let passed = 0, failed = 0, skipped = 0;
const rl = createInterface({ input: child.stdout });
rl.on('line', (line) => {
  process.stdout.write(line + '\n');
  if (/^not ok \d+/.test(line)) { if (/# TODO/i.test(line)) skipped++; else failed++; }
  else if (/^ok \d+/.test(line)) { if (/# (SKIP|TODO)/i.test(line)) skipped++; else passed++; }
});
child.on('close', (code) => {
  mkdirSync('test-results', { recursive: true });
  // A crashed or timed-out run with no failed test still counts as a failure.
  if (code !== 0 && failed === 0) failed = 1;
  writeFileSync('test-results/ava.counts', `${passed} ${failed} ${skipped}\n`);
  process.exitCode = code ?? 1;
});
