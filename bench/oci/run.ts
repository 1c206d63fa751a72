// bench:oci: what one container lifecycle costs through each OCI runtime, side by side.
//   npm run bench:oci [-- --runs N]        (root; after make; results in bench/results/oci.{md,json})
// Lifecycle = create + start + wait for /bin/true to exit + delete, in a busybox bundle made from
// ./rootfs-base with `runc spec`'s default config. Then each verb alone (create, start, state,
// kill, delete, on a `sleep` container), `node -e 0` (Node's start-up floor: every engine-oci
// verb pays it) and the host's /bin/true. Runtimes alternate run by run, so load hits all alike.
// crun refuses this host's hybrid cgroup layout; it runs here inside a mount namespace of its own
// (kept by a bind mount on a file) with /sys/fs/cgroup/unified unmounted, entered by nsenter for
// every call: its figures include nsenter, whose own cost is measured too (`nsenter floor`).
import { spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, openSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15;

interface Runtime { name: string; argv: string[]; note?: string }

function fail(msg: string): never {
  console.error(`bench:oci: ${msg}`);
  process.exit(1);
}

let errFile = '';
/**
 * Runs argv, returns milliseconds; a non-zero exit is a failed bench, with the runtime's words.
 * stderr goes to a file, not a pipe: the container's init inherits create's stdio, and a pipe
 * would keep spawnSync waiting for an EOF that comes only when the container ends.
 */
function timed(argv: string[], what: string): number {
  const fd = openSync(errFile, 'w');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', fd], timeout: 30_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  closeSync(fd);
  if (r.status !== 0) fail(`${what}: ${argv.join(' ')} exited ${r.status ?? r.signal}: ${readFileSync(errFile, 'utf8').trim()}`);
  return ms;
}

/** Polls /proc/PID until the process is gone or a zombie (its reaper is not us). */
function waitExit(pid: number): void {
  const deadline = Date.now() + 10_000;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (Date.now() < deadline) {
    let stat: string;
    try { stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return; }
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return;
    Atomics.wait(nap, 0, 0, 0.2);
  }
  fail(`container process ${pid} did not exit in 10 s`);
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
  errFile = join(work, 'stderr');
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

  const pidFile = join(work, 'pid');
  for (let i = 0; i < runs; i++) {
    for (const r of runtimes) {
      const id = `bench-${process.pid}-${i}`;
      // The lifecycle of /bin/true, timed as one.
      const t0 = process.hrtime.bigint();
      timed([...r.argv, 'create', '--bundle', trueBundle, '--pid-file', pidFile, id], `${r.name} create`);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      timed([...r.argv, 'start', id], `${r.name} start`);
      waitExit(pid);
      timed([...r.argv, 'delete', id], `${r.name} delete`);
      lifecycle[r.name].push(Number(process.hrtime.bigint() - t0) / 1e6);
      // Each verb alone, on a container that stays running until killed.
      const v = verbs[r.name];
      const sid = `${id}-s`;
      v.create.push(timed([...r.argv, 'create', '--bundle', sleepBundle, '--pid-file', pidFile, sid], `${r.name} create`));
      const spid = Number(readFileSync(pidFile, 'utf8'));
      v.start.push(timed([...r.argv, 'start', sid], `${r.name} start`));
      v.state.push(timed([...r.argv, 'state', sid], `${r.name} state`));
      v.kill.push(timed([...r.argv, 'kill', sid, 'KILL'], `${r.name} kill`));
      waitExit(spid);
      v.delete.push(timed([...r.argv, 'delete', sid], `${r.name} delete`));
    }
    floors['node -e 0'].push(timed([process.execPath, '-e', '0'], 'node'));
    floors['/bin/true (host)'].push(timed(['/bin/true'], 'true'));
    if (crunNs) floors['nsenter floor'].push(timed(['nsenter', `--mount=${mntns}`, '/bin/true'], 'nsenter'));
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
  lines.push('', 'Each figure is one process spawned from Node (spawnSync) and timed around it, so each includes', "Node's spawn cost (about the `/bin/true (host)` row). A lifecycle is 3 runtime processes (create, start,", "delete): a Node-based runtime pays `node -e 0` at least 3 times per lifecycle.");
  if (notes.length) lines.push('', ...notes.map((n) => `- ${n}`));
  const md = lines.join('\n') + '\n';
  console.log(md);
  mkdirSync(join(repo, 'bench/results'), { recursive: true });
  writeFileSync(join(repo, 'bench/results/oci.md'), md);
  writeFileSync(join(repo, 'bench/results/oci.json'), JSON.stringify({ system, runs, notes, lifecycle: Object.fromEntries(Object.entries(lifecycle).map(([k, v]) => [k, { ...stats(v), samples: v }])), verbs: Object.fromEntries(Object.entries(verbs).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([verb, xs]) => [verb, { ...stats(xs), samples: xs }]))])), floors: Object.fromEntries(Object.entries(floors).map(([k, v]) => [k, { ...stats(v), samples: v }])) }, null, 1));
}

main();
