#!/usr/bin/env node
// Transpiles the unit lane's test files (test/unit) to plain JavaScript under dist/, so the lane runs
// without tsx: tsx costs each test file ~0.5 s of CPU to start, most of the lane's time on 2 CPUs.
// The compiled tests import dist/src, dist/bench and dist/test/support, which tsc builds (make ts):
// only test modules tsc does not emit are transpiled here (test/unit and the test-only modules it
// imports, e.g. test/conformance/runner), each file on its own, as tsx does (esbuild, types dropped;
// `make typecheck` checks the types). Run through make (mk/unit.mk), which rebuilds dist first.
import { build } from 'esbuild';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const rel = (p) => path.relative(root, p);

/** Emitted by tsc (tsconfig.json's include): left to it, so one compiler owns each output file. */
const builtByTsc = (file) => rel(file).startsWith(`test${path.sep}support${path.sep}`) || file.endsWith('.worker.ts');

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}

/** Relative imports of a module that land in test/ (as .ts sources) and that tsc does not build. */
function testImports(file) {
  const text = readFileSync(file, 'utf8');
  const found = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'(\.\.?\/[^']+)\.js'/g)) {
    const source = path.resolve(path.dirname(file), `${m[1]}.ts`);
    if (rel(source).startsWith(`test${path.sep}`) && existsSync(source) && !builtByTsc(source)) found.push(source);
  }
  return found;
}

const entries = new Set();
const pending = walk(path.join(root, 'test/unit')).filter((f) => !builtByTsc(f));
while (pending.length > 0) {
  const file = pending.pop();
  if (entries.has(file)) continue;
  entries.add(file);
  pending.push(...testImports(file));
}

// A test file removed from test/unit must not keep running from an old build.
const out = path.join(root, 'dist/test/unit');
if (existsSync(out)) {
  for (const f of readdirSync(out, { recursive: true })) {
    if (/\.test\.js(\.map)?$/.test(f)) rmSync(path.join(out, f));
  }
}

await build({
  absWorkingDir: root,
  entryPoints: [...entries].map(rel),
  outdir: 'dist',
  outbase: '.',
  bundle: false,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
