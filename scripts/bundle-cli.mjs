#!/usr/bin/env node
// One CommonJS bundle per client verb (dist/cli/<verb>.cjs), loaded by the ./engine launcher.
//
// Why: Node's start-up is the floor of every `engine` command, and resolving and compiling ~15
// ES modules plus commander on top of it cost 40-60 ms (issue 12, item 6). A bundle is one file,
// read and compiled at once; CommonJS loads synchronously, without the ES module loader's work.
// Code that finds the repository from its own place (src/paths.ts: the addon, engine-init,
// workers) reads import.meta.url, which CommonJS has not: each bundle defines it as its own file's
// URL. dist/cli/<verb>.cjs sits two levels under the root, as dist/src/paths.js does, so the
// same arithmetic holds. The long-running supervisor gains nothing from a bundle and stays on
// dist/src/cli/main.js with its workers.

import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const verbsDir = path.join(root, 'src/cli/verbs');
const outDir = path.join(root, 'dist/cli');
const UNBUNDLED = new Set(['supervisor']);
const MODULE_URL = 'engineBundleUrl';

const COMMON = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  metafile: true,
  logLevel: 'silent',
  legalComments: 'none',
  external: ['commander'],
  define: { 'import.meta.url': MODULE_URL },
  banner: { js: `const ${MODULE_URL} = require('node:url').pathToFileURL(__filename).href;` },
};

fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(outDir, { recursive: true });
const bundled = [];
const skipped = [];
for (const file of fs.readdirSync(verbsDir).filter((f) => f.endsWith('.ts')).sort()) {
  const verb = file.slice(0, -3);
  if (UNBUNDLED.has(verb)) {
    skipped.push(`${verb} (long-running)`);
    continue;
  }
  const contents = [
    `import { runVerb } from ${JSON.stringify(path.join(root, 'src/cli/run-verb.ts'))};`,
    `import * as mod from ${JSON.stringify(path.join(verbsDir, file))};`,
    `void runVerb(${JSON.stringify(verb)}, mod, process.argv.slice(3));`,
  ].join('\n');
  const outfile = path.join(outDir, `${verb}.cjs`);
  const result = await build({ ...COMMON, stdin: { contents, resolveDir: root, sourcefile: `engine-${verb}.ts`, loader: 'ts' }, outfile });
  const inputs = Object.keys(result.metafile.inputs);
  const bound = inputs.find((i) => i.endsWith('.node'));
  if (bound || result.warnings.length > 0) {
    fs.rmSync(outfile, { force: true });
    skipped.push(`${verb} (${bound ?? result.warnings[0].text})`);
    continue;
  }
  bundled.push(verb);
}
// engine-oci, which containerd and podman start for every create, start, state, kill and delete:
// one bundle for all its verbs (each still evaluated only when asked for).
{
  const outfile = path.join(root, 'dist/oci/engine-oci.cjs');
  fs.rmSync(path.dirname(outfile), { recursive: true, force: true });
  const result = await build({ ...COMMON, entryPoints: [path.join(root, 'src/oci/main.ts')], outfile });
  if (result.warnings.length > 0) {
    fs.rmSync(outfile, { force: true });
    skipped.push(`engine-oci (${result.warnings[0].text})`);
  } else bundled.push('engine-oci');
}
process.stdout.write(`bundled ${bundled.join(', ')} into dist/cli/ and dist/oci/; run from dist/src/cli/main.js: ${skipped.join(', ') || 'none'}\n`);
