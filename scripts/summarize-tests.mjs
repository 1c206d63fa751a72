#!/usr/bin/env node
// Sums test-results/*.counts and prints the one line CI reads, last and exactly
// "N passed, N failed" (the skipped count goes on the line before it).
import { readdirSync, readFileSync } from 'node:fs';
let passed = 0, failed = 0, skipped = 0;
for (const f of readdirSync('test-results').filter((f) => f.endsWith('.counts'))) {
  const [p, fl, s] = readFileSync(`test-results/${f}`, 'utf8').trim().split(/\s+/).map(Number);
  console.log(`  ${f.replace('.counts', '').padEnd(12)} ${p} passed, ${fl} failed, ${s || 0} skipped`);
  passed += p || 0; failed += fl || 0; skipped += s || 0;
}
console.log(`skipped: ${skipped} (each lane names its skips with their reason above)`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
