#!/usr/bin/env node
// Runs ava with TAP output, echoes it, and records the counts for the final summary line.
// Usage: node scripts/run-ava.mjs [--lane NAME] [ava args...]; writes test-results/NAME.counts
// ("passed failed skipped"; NAME defaults to ava). A lane with its own ava config passes
// `--config test/<lane>/ava.config.mjs` among the ava args.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const argv = process.argv.slice(2);
let lane = 'ava';
if (argv[0] === '--lane') { lane = argv[1]; argv.splice(0, 2); }
const args = ['ava', '--tap', ...argv];
// Every process of this run inherits the marker, so the sweep below stops only this run's leftovers
// (other runs on the same machine have supervisors of their own).
const RUN_MARKER = `ENGINE_TEST_RUN=${process.pid}-${Date.now()}`;
const child = spawn('npx', args, {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, ENGINE_TEST_RUN: RUN_MARKER.split('=')[1] },
});
let passed = 0, failed = 0, skipped = 0;
const rl = createInterface({ input: child.stdout });
rl.on('line', (line) => {
  process.stdout.write(line + '\n');
  if (/^not ok \d+/.test(line)) { if (/# TODO/i.test(line)) skipped++; else failed++; }
  else if (/^ok \d+/.test(line)) { if (/# (SKIP|TODO)/i.test(line)) skipped++; else passed++; }
});
/**
 * Supervisors the tests started that outlived them (a test file that timed out is killed, and its
 * supervisor is reparented, containers and all): stopped here so they cannot load the next lane.
 */
async function stopLeftoverSupervisors() {
  const leftovers = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!argv.includes('supervisor') || !argv.some((a) => a.includes('/engine-test-'))) continue;
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(RUN_MARKER)) leftovers.push(Number(pid));
    } catch { /* gone */ }
  }
  const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
  for (const pid of leftovers) { console.log(`# stopping a supervisor left by the tests: pid ${pid}`); try { process.kill(pid, 'SIGTERM'); } catch {} }
  for (let i = 0; i < 100 && leftovers.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
  for (const pid of leftovers.filter(alive)) try { process.kill(pid, 'SIGKILL'); } catch {}
  return leftovers.length;
}

child.on('close', async (code) => {
  await stopLeftoverSupervisors();
  mkdirSync('test-results', { recursive: true });
  // A crashed or timed-out run with no failed test still counts as a failure.
  if (code !== 0 && failed === 0) failed = 1;
  writeFileSync(`test-results/${lane}.counts`, `${passed} ${failed} ${skipped}\n`);
  process.exitCode = code ?? 1;
});
