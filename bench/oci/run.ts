// bench:oci: what one container lifecycle costs through each OCI runtime, side by side.
//   npm run bench:oci [-- --runs N]        (root; after make; results in bench/results/oci.{md,json})
// Lifecycle = create + start + wait for /bin/true to exit + delete, in a busybox bundle made from
// ./rootfs-base with `runc spec`'s default config. Then each verb alone (create, start, state,
// kill, delete, on a `sleep` container), `node -e 0` (Node's start-up floor: every engine-oci
// verb pays it) and the host's /bin/true. Runtimes alternate run by run, so load hits all alike.
// crun refuses this host's hybrid cgroup layout; it runs here inside a mount namespace of its own
// (kept by a bind mount on a file) with /sys/fs/cgroup/unified unmounted, entered by nsenter for
// every call: its figures include nsenter, whose own cost is measured too (`nsenter floor`).
// The timing itself is done by bash scripts beside this file (iteration.sh, floor.sh), not by
// Node: spawning from a Node process costs 10-30 ms here, more than a runtime verb.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDocsSection } from '../report/docs.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15;

interface Runtime { name: string; argv: string[]; note?: string }

function fail(msg: string): never {
  console.error(`bench:oci: ${msg}`);
  process.exit(1);
}

const here = dirname(fileURLToPath(import.meta.url)).replace('/dist/bench/', '/bench/');

/** Runs a bench script and returns its stdout's numbers; a failure stops the bench with its words. */
function script(name: string, args: string[]): number[] {
  const r = spawnSync(join(here, name), args, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) fail(`${name} ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim().split(/\s+/).map(Number);
}

function makeBundle(dir: string, args: string[]) {
  mkdirSync(dir, { recursive: true });
  cpSync(join(repo, 'rootfs-base'), join(dir, 'rootfs'), { recursive: true, verbatimSymlinks: true });
  const spec = spawnSync('runc', ['spec', '--bundle', dir]);
  if (spec.status !== 0) fail(`runc spec: ${spec.stderr}`);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  config.process.args = args;
  config.process.terminal = false;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 1));
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
}

function main() {
  if (process.getuid?.() !== 0) fail('needs root (containers)');
  if (!existsSync(join(repo, 'rootfs-base/.engine-rootfs'))) fail('./rootfs-base is missing: run make first');
  const work = mkdtempSync(join(tmpdir(), 'engine-bench-oci-'));
  const trueBundle = join(work, 'true'), sleepBundle = join(work, 'sleep');
  makeBundle(trueBundle, ['/bin/true']);
  makeBundle(sleepBundle, ['/bin/sleep', '1000']);

  const runtimes: Runtime[] = [{ name: 'runc', argv: ['/usr/bin/runc', '--root', join(work, 'root-runc')] }];
  const notes: string[] = [];
  const mntns = join(work, 'crun-mntns');
  let crunNs = false;
  if (existsSync('/usr/bin/crun')) {
    const direct = spawnSync('/usr/bin/crun', ['--root', join(work, 'root-crun-direct'), 'run', '--bundle', trueBundle, 'probe'], { encoding: 'utf8', timeout: 10_000 });
    spawnSync('/usr/bin/crun', ['--root', join(work, 'root-crun-direct'), 'delete', '--force', 'probe'], { stdio: 'ignore' });
    if (direct.status === 0) runtimes.push({ name: 'crun', argv: ['/usr/bin/crun', '--root', join(work, 'root-crun')] });
    else {
      notes.push(`crun as installed: exit ${direct.status}: ${direct.stderr.trim().split('\n').pop()}`);
      writeFileSync(mntns, '');
      const ns = spawnSync('unshare', [`--mount=${mntns}`, '--propagation', 'private', 'umount', '/sys/fs/cgroup/unified'], { encoding: 'utf8' });
      if (ns.status === 0) {
        crunNs = true;
        runtimes.push({ name: 'crun', argv: ['nsenter', `--mount=${mntns}`, '/usr/bin/crun', '--root', join(work, 'root-crun')], note: 'via nsenter into a mount namespace without /sys/fs/cgroup/unified' });
        notes.push('crun runs in a private mount namespace with /sys/fs/cgroup/unified unmounted (unshare -m), entered with nsenter for each call: its figures include nsenter (see "nsenter floor")');
      } else notes.push(`crun skipped: unshare -m + umount /sys/fs/cgroup/unified failed: ${ns.stderr.trim()}`);
    }
  }
  const engineOci = join(repo, 'engine-oci');
  if (existsSync(engineOci)) runtimes.push({ name: 'engine-oci', argv: [engineOci, '--root', join(work, 'root-engine')] });
  else notes.push('engine-oci: not built yet (./engine-oci does not exist)');

  const lifecycle: Record<string, number[]> = {};
  const verbs: Record<string, Record<string, number[]>> = {};
  const floors: Record<string, number[]> = { 'node -e 0': [], '/bin/true (host)': [] };
  if (crunNs) floors['nsenter floor'] = [];
  for (const r of runtimes) { lifecycle[r.name] = []; verbs[r.name] = { create: [], start: [], state: [], kill: [], delete: [] }; }

  for (let i = 0; i < runs; i++) {
    for (const r of runtimes) {
      const [life, ...perVerb] = script('iteration.sh', [trueBundle, sleepBundle, `bench-${process.pid}-${i}`, ...r.argv]);
      lifecycle[r.name].push(life);
      Object.values(verbs[r.name]).forEach((xs, k) => xs.push(perVerb[k]));
    }
    floors['node -e 0'].push(script('floor.sh', [process.execPath, '-e', '0'])[0]);
    floors['/bin/true (host)'].push(script('floor.sh', ['/bin/true'])[0]);
    if (crunNs) floors['nsenter floor'].push(script('floor.sh', ['nsenter', `--mount=${mntns}`, '/bin/true'])[0]);
  }
  if (crunNs) spawnSync('umount', [mntns]);
  rmSync(work, { recursive: true, force: true });

  const f = (x: number) => x.toFixed(1);
  const runcMedian = stats(lifecycle.runc).median;
  const lines: string[] = [];
  const system = `${cpus().length} CPUs (${cpus()[0]?.model.trim()}), load ${loadavg().map((l) => l.toFixed(2)).join(' ')}, node ${process.version}, ${runs} runs each, runtimes alternating`;
  lines.push('# bench:oci', '', system, '');
  lines.push('## Lifecycle of /bin/true: create + start + wait for exit + delete (ms)', '');
  lines.push('| runtime | median | min | max | x runc (median) |', '|---|---:|---:|---:|---:|');
  for (const r of runtimes) {
    const s = stats(lifecycle[r.name]);
    lines.push(`| ${r.name}${r.note ? ` (${r.note})` : ''} | ${f(s.median)} | ${f(s.min)} | ${f(s.max)} | ${(s.median / runcMedian).toFixed(2)} |`);
  }
  lines.push('', '## One verb at a time, on a running `sleep` container (median ms; min-max)', '');
  lines.push(`| runtime | ${Object.keys(verbs.runc).join(' | ')} |`, `|---|${Object.keys(verbs.runc).map(() => '---:').join('|')}|`);
  for (const r of runtimes) lines.push(`| ${r.name} | ${Object.values(verbs[r.name]).map((xs) => { const s = stats(xs); return `${f(s.median)} (${f(s.min)}-${f(s.max)})`; }).join(' | ')} |`);
  lines.push('', '## Floors (ms)', '', '| command | median | min | max |', '|---|---:|---:|---:|');
  for (const [name, xs] of Object.entries(floors)) { const s = stats(xs); lines.push(`| ${name} | ${f(s.median)} | ${f(s.min)} | ${f(s.max)} |`); }
  lines.push('', "Each figure is timed by bash with $EPOCHREALTIME around the command (bench/oci/iteration.sh), so it", "includes one fork+exec from bash: about the `/bin/true (host)` row. A lifecycle is 3 runtime processes", '(create, start, delete) plus the wait: a runtime in Node pays `node -e 0` for each one that runs Node.');
  const engine = lifecycle['engine-oci'];
  if (engine) {
    // How much of engine-oci's lifecycle is Node's start-up, and what native light verbs would give.
    const node = stats(floors['node -e 0']).median;
    const e = stats(engine).median;
    const ev = (verb: string) => stats(verbs['engine-oci'][verb]).median;
    const rv = (verb: string) => stats(verbs.runc[verb]).median;
    // Which of the lifecycle's verbs ran Node: start goes through the C launcher when create
    // allowed it (docs/oci.md, Start without Node); told from the timings, not assumed.
    const inNode = ['create', 'start', 'delete'].filter((v) => ev(v) > node / 2);
    const own = e - inNode.length * node;
    const nativeDelete = e - ev('delete') + rv('delete');
    lines.push('', '## Where engine-oci\'s time goes', '',
      `- Lifecycle ${f(e)} ms = ${(e / runcMedian).toFixed(2)}x runc; ${inNode.length} of its runtime processes ran Node (${inNode.join(', ')}: \`start\` ${f(ev('start'))} ms ${inNode.includes('start') ? 'also ran Node' : 'ran without it, through the launcher'}); their start-ups are ${f(inNode.length * node)} ms of it (\`node -e 0\` ${f(node)} ms each), engine's own work the other ${f(own)} ms (${(own / runcMedian).toFixed(2)}x runc).`,
      `- delete at runc's cost too would give about ${f(nativeDelete)} ms: ${(nativeDelete / runcMedian).toFixed(2)}x runc.`);
  }
  if (notes.length) lines.push('', ...notes.map((n) => `- ${n}`));
  const md = lines.join('\n') + '\n';
  console.log(md);
  mkdirSync(join(repo, 'bench/results'), { recursive: true });
  writeFileSync(join(repo, 'bench/results/oci.md'), md);
  if (!writeDocsSection(join(repo, 'docs/oci.md'), 'oci', md.replace(/^# bench:oci\n+/, ''))) console.error('bench:oci: docs/oci.md has no bench:oci markers: not updated');
  writeFileSync(join(repo, 'bench/results/oci.json'), JSON.stringify({ system, runs, notes, lifecycle: Object.fromEntries(Object.entries(lifecycle).map(([k, v]) => [k, { ...stats(v), samples: v }])), verbs: Object.fromEntries(Object.entries(verbs).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([verb, xs]) => [verb, { ...stats(xs), samples: xs }]))])), floors: Object.fromEntries(Object.entries(floors).map(([k, v]) => [k, { ...stats(v), samples: v }])) }, null, 1));
}

main();
