// Log pipeline bench (issue 3, item 6): the same stream of 64 KiB writes from a static C writer,
// captured by
//   (a) a redirect straight to the file (floor)        writer > file
//   (b) cat                                              writer | cat > file
//   (c) the seed's design in C                           writer | seed_ring file   (pthreads, 64 x 4 KiB, mutex + 2 condvars)
//   (d) our pipeline end to end, one stream              writer -> pipe -> LogPipelineImpl -> file
//   (e) our pipeline, 64 and 256 streams at once         the same total bytes split over N writers (aggregate MB/s)
// Variants are alternated run by run (one warm-up round, then --runs counted rounds). Every capture's
// size is checked and the first counted capture of each variant is checked byte for byte (piscina).
//
// (d)/(e) drive LogPipelineImpl in this process, as the supervisor does: with --feed container
// (the default when root and ./rootfs-base exist) the writer runs in a real container created by the
// runtime (src/runtime/native-runtime.ts: PID/UTS/mount/IPC namespaces, pivot_root into a copy of
// rootfs-base holding the writer) whose stdout+stderr is the pipe handed to attach(); with --feed
// process the writer is a plain child process on the same kind of pipe. Containers (or processes)
// are all created and started first, wait at a gate (SIGUSR1 in containers, a byte on stdin for
// processes) and are released together; timing runs from the release to the last byte drained, so
// container creation and exec are not counted as pipeline time (nor as the baselines' time).
//
// Results go to bench/results/logs.{json,md,svg}; a full run (every default variant, writers in
// containers, no --alt, the default --out) also rewrites the table in docs/logging.md between the
// bench:logs markers.
//
// Usage: node dist/bench/logs/run.js [--size-mib 1024] [--runs 5] [--variants a,b,c,d,e64,cat64,e256,cat256]
//                                    [--feed container|process] [--dir /dev/shm/engine-logs-bench]
//                                    [--out bench/results] [--no-write]
//                                    [--pipeline-opts JSON] [--alt JSON  (adds variant x: 1 stream through a
//                                     second pipeline with these LogPipelineImpl options, for tuning)]

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogPipelineImpl } from '../../src/logging/pipeline.js';
import { native } from '../../src/native/addon.js';
import { LogVerifier } from './verify.js';
import { writeDocsSection } from '../report/docs.js';
import type { ContainerHandle } from '../../src/runtime/types.js';
import { REPO_ROOT } from '../../src/paths.js';

const BIN = path.join(REPO_ROOT, 'bench/logs/bin');
const ALL_VARIANTS = ['a', 'b', 'c', 'd', 'e64', 'cat64', 'e256', 'cat256'];
const WRITER = path.join(BIN, 'writer');
const SEED_RING = path.join(BIN, 'seed_ring');
const MB = 1e6;
const GIB = 1024 ** 3;
const CLK_TCK = 100;

interface Args {
  sizeMiB: number;
  runs: number;
  variants: string[];
  dir: string;
  out: string;
  write: boolean;
  feed: 'container' | 'process';
  /** LogPipelineImpl options for the pipeline (JSON) */
  opts: Record<string, number>;
  /** options of a second pipeline, run as variant "x" (1 stream), for tuning experiments */
  alt?: Record<string, number>;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    sizeMiB: 1024, runs: 5, variants: [...ALL_VARIANTS],
    dir: fs.existsSync('/dev/shm') ? '/dev/shm/engine-logs-bench' : path.join(os.tmpdir(), 'engine-logs-bench'),
    out: path.join(REPO_ROOT, 'bench/results'), write: true,
    opts: {},
    feed: process.getuid?.() === 0 && fs.existsSync(path.join(REPO_ROOT, 'rootfs-base/bin')) ? 'container' : 'process',
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--size-mib') a.sizeMiB = Number(v());
    else if (k === '--runs') a.runs = Number(v());
    else if (k === '--variants') a.variants = v().split(',');
    else if (k === '--dir') a.dir = v();
    else if (k === '--out') a.out = v();
    else if (k === '--no-write') a.write = false;
    else if (k === '--pipeline-opts') a.opts = JSON.parse(v());
    else if (k === '--alt') a.alt = JSON.parse(v());
    else if (k === '--feed') {
      const f = v();
      if (f !== 'container' && f !== 'process') throw new Error('--feed is container or process');
      a.feed = f;
    }
    else throw new Error(`unknown option ${k}`);
  }
  if (!(a.sizeMiB > 0) || !(a.runs >= 1)) throw new Error('bad --size-mib or --runs');
  return a;
}

let feedWord = 'container';
let altOpts: Record<string, number> | undefined;
const LABELS: Record<string, string> = {
  a: '(a) redirect to file (floor)',
  b: '(b) writer, cat, file',
  c: '(c) seed design in C (pthread ring 64x4KiB, mutex+condvars)',
};
const label = (v: string): string =>
  v.startsWith('cat') ? `(e') ${v.slice(3)} x (writer, cat, file) at once (aggregate)` :
  v === 'x' ? `(x) engine pipeline, 1 ${feedWord}, options ${JSON.stringify(altOpts)}` :
  LABELS[v] ?? (v === 'd' ? `(d) engine pipeline, 1 ${feedWord}` : `(e) engine pipeline, ${v.slice(1)} ${feedWord === 'process' ? 'processe' : feedWord}s (aggregate)`);

interface Sample {
  variant: string;
  seconds: number;
  bytes: number;
  mbps: number;
  cpuSeconds: number;
  peakRssMiB?: number;
  verified?: boolean;
}

/** CPU time of this process (all threads) plus its reaped children, in seconds. */
function cpuNow(): number {
  const u = process.cpuUsage();
  const f = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): cutime is field 16, cstime field 17
  const children = (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
  return (u.user + u.system) / 1e6 + children;
}

function waitExit(child: ReturnType<typeof spawn>, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, sig) => (code === 0 ? resolve() : reject(new Error(`${what} exited ${code ?? sig}`))));
  });
}

class RssSampler {
  peak = 0;
  private t?: NodeJS.Timeout;
  start(): void {
    this.peak = process.memoryUsage.rss();
    this.t = setInterval(() => (this.peak = Math.max(this.peak, process.memoryUsage.rss())), 20);
  }
  stop(): number {
    clearInterval(this.t);
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
    return this.peak / 1024 / 1024;
  }
}

async function runShell(variant: string, bytes: number, file: string): Promise<void> {
  if (variant === 'a') {
    const fd = fs.openSync(file, 'w');
    const c = spawn(WRITER, [String(bytes)], { stdio: ['ignore', fd, 'inherit'] });
    fs.closeSync(fd);
    await waitExit(c, 'writer');
    return;
  }
  const cmd = variant === 'b' ? `"${WRITER}" ${bytes} | cat > "${file}"` : `"${WRITER}" ${bytes} | "${SEED_RING}" "${file}"`;
  await waitExit(spawn('/bin/sh', ['-c', cmd], { stdio: ['ignore', 'inherit', 'inherit'] }), variant);
}

/**
 * Starts `streams` writers on pipes attached to the pipeline, all held at a gate (a pipe on their
 * stdin), then opens the gate; measures from the gate to the last byte drained, so process spawning
 * (milliseconds per writer in Node) is not counted as pipeline time.
 */
async function runPipeline(
  p: LogPipelineImpl, streams: number, bytes: number, dir: string, tag: string, onGo: () => void, rootfs: string | null,
): Promise<string[]> {
  if (rootfs) return runContainers(p, streams, bytes, dir, tag, onGo, rootfs);
  const io = native();
  const per = Math.floor(bytes / streams);
  const files: string[] = [];
  const done: Promise<unknown>[] = [];
  const [gateR, gateW] = io.pipe();
  for (let i = 0; i < streams; i++) {
    const [r, w] = io.pipe();
    const id = `${tag}-${i}`;
    const file = path.join(dir, `${id}.log`);
    files.push(file);
    const child = spawn(WRITER, [String(per), '65536', String(i), 'gate'], { stdio: [gateR, w, 'inherit'] });
    io.closeFd(w);
    p.attach(id, r, file);
    done.push(waitExit(child, 'writer'), p.drained(id).then(() => p.forget(id)));
  }
  io.closeFd(gateR);
  onGo();
  fs.writeSync(gateW, Buffer.alloc(streams, 0x67));
  io.closeFd(gateW);
  await Promise.all(done);
  return files;
}

/** Baseline for (e): N shells `writer | cat > file` held at the same kind of gate, released together. */
async function runCats(streams: number, bytes: number, dir: string, tag: string, onGo: () => void): Promise<string[]> {
  const io = native();
  const per = Math.floor(bytes / streams);
  const files: string[] = [];
  const done: Promise<void>[] = [];
  const [gateR, gateW] = io.pipe();
  for (let i = 0; i < streams; i++) {
    const file = path.join(dir, `${tag}-${i}.log`);
    files.push(file);
    const cmd = `"${WRITER}" ${per} 65536 ${i} gate | cat > "${file}"`;
    done.push(waitExit(spawn('/bin/sh', ['-c', cmd], { stdio: [gateR, 'inherit', 'inherit'] }), 'writer | cat'));
  }
  io.closeFd(gateR);
  await new Promise((r) => setTimeout(r, 200)); // let every shell reach its gate
  onGo();
  fs.writeSync(gateW, Buffer.alloc(streams, 0x67));
  io.closeFd(gateW);
  await Promise.all(done);
  return files;
}

/** As runPipeline, with each writer in a real container; go() is the gate. */
async function runContainers(
  p: LogPipelineImpl, streams: number, bytes: number, dir: string, tag: string, onGo: () => void, rootfs: string,
): Promise<string[]> {
  const { spawnContainer } = await import('../../test/support/container-process.js');
  const io = native();
  const per = Math.floor(bytes / streams);
  const files: string[] = [];
  const done: Promise<unknown>[] = [];
  const containers: ContainerHandle[] = [];
  for (let i = 0; i < streams; i++) {
    const [r, w] = io.pipe();
    const id = `${tag}-${i}`;
    const file = path.join(dir, `${id}.log`);
    files.push(file);
    const c = await spawnContainer(`b${i}`, rootfs, ['/writer', String(per), '65536', String(i), 'signal'], w);
    io.closeFd(w);
    p.attach(id, r, file);
    containers.push(c);
    done.push(
      c.exited.then((x) => {
        if (x.exitCode !== 0) throw new Error(`container writer ended ${x.exitCode ?? x.signal}`);
      }),
      p.drained(id).then(() => p.forget(id)),
    );
  }
  await Promise.all(containers.map((c) => c.ready));
  await Promise.all(containers.map((c) => c.go())); // exec'd: each writer now waits for SIGUSR1
  await new Promise((r) => setTimeout(r, 100 + streams)); // let every writer reach its gate
  onGo();
  for (const c of containers) c.signal('SIGUSR1');
  await Promise.all(done);
  return files;
}

function stats(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median: m, min: s[0], max: s[s.length - 1] };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  for (const b of [WRITER, SEED_RING]) {
    if (!fs.existsSync(b)) {
      const r = spawnSync('make', ['-C', REPO_ROOT, 'bench-tools'], { stdio: 'inherit' });
      if (r.status !== 0) throw new Error('make bench-tools failed');
    }
  }
  fs.rmSync(args.dir, { recursive: true, force: true });
  fs.mkdirSync(args.dir, { recursive: true });
  feedWord = args.feed;
  altOpts = args.alt;
  let rootfs: string | null = null;
  if (args.feed === 'container') {
    // A copy of rootfs-base with the writer at /writer; the containers share it (no supervisor here
    // to enforce one container per rootfs, and they only write to stdout).
    rootfs = `${args.dir}-rootfs`;
    fs.rmSync(rootfs, { recursive: true, force: true });
    fs.cpSync(path.join(REPO_ROOT, 'rootfs-base'), rootfs, { recursive: true, verbatimSymlinks: true });
    fs.copyFileSync(WRITER, path.join(rootfs, 'writer'));
    fs.chmodSync(path.join(rootfs, 'writer'), 0o755);
  }
  const bytes = args.sizeMiB * 1024 * 1024;
  const system = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / GIB)} GiB, Linux ${os.release()}, Node ${process.version}, output on ${args.dir}`;
  console.log(`# log pipeline bench: ${args.sizeMiB} MiB of 64 KiB writes per variant, ${args.runs} counted runs + 1 warm-up, alternated`);
  console.log(`# ${system}`);

  const pipeline = new LogPipelineImpl({ producers: 2, ...args.opts });
  await pipeline.start();
  const alt = args.alt ? new LogPipelineImpl(args.alt) : undefined;
  await alt?.start();
  if (alt && !args.variants.includes('x')) args.variants.push('x');
  const verifier = new LogVerifier(2);
  const samples: Sample[] = [];
  let seq = 0;

  for (let round = 0; round <= args.runs; round++) {
    for (const v of args.variants) {
      const counted = round > 0;
      const tag = `r${round}-${v}-${seq++}`;
      const file = path.join(args.dir, `${tag}.log`);
      const rss = new RssSampler();
      let cpu0 = cpuNow();
      rss.start();
      let t0 = process.hrtime.bigint();
      let files: string[];
      if (v === 'a' || v === 'b' || v === 'c') {
        await runShell(v, bytes, file);
        files = [file];
      } else if (v.startsWith('cat')) {
        files = await runCats(Number(v.slice(3)), bytes, args.dir, tag, () => {
          cpu0 = cpuNow();
          t0 = process.hrtime.bigint();
        });
      } else {
        const n = v === 'd' || v === 'x' ? 1 : Number(v.slice(1));
        files = await runPipeline(v === 'x' && alt ? alt : pipeline, n, bytes, args.dir, tag, () => {
          cpu0 = cpuNow();
          t0 = process.hrtime.bigint();
        }, rootfs);
      }
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const peak = rss.stop();
      const cpuSeconds = cpuNow() - cpu0;
      const nStreams = v === 'a' || v === 'b' || v === 'c' || v === 'd' || v === 'x' ? 1 : Number(v.replace(/^(cat|e)/, ''));
      const per = Math.floor(bytes / nStreams);
      const total = per * files.length;
      let got = 0;
      for (const f of files) got += fs.statSync(f).size;
      if (got !== total) throw new Error(`${label(v)}: captured ${got} bytes, expected ${total}`);
      let verified: boolean | undefined;
      if (round === 1) {
        const res = await Promise.all(files.map((f, i) => verifier.pattern(f, per, nStreams === 1 ? 0 : i)));
        verified = res.every((r) => r.ok);
        if (!verified) throw new Error(`${label(v)}: capture differs from what was written: ${JSON.stringify(res.find((r) => !r.ok))}`);
      }
      for (const f of files) fs.rmSync(f, { force: true });
      const s: Sample = {
        variant: v, seconds, bytes: total, mbps: total / seconds / MB, cpuSeconds: (cpuSeconds * GIB) / total,
        peakRssMiB: v === 'd' || v === 'x' || /^e\d/.test(v) ? peak : undefined, verified,
      };
      console.log(`${counted ? 'run' : 'warm-up'} ${round} ${label(v)}: ${s.mbps.toFixed(0)} MB/s, ${s.cpuSeconds.toFixed(2)} CPU s/GiB${s.peakRssMiB ? `, RSS ${s.peakRssMiB.toFixed(0)} MiB` : ''}${verified ? ', byte-exact' : ''}`);
      if (counted) samples.push(s);
    }
  }
  await pipeline.close(0);
  await alt?.close(0);
  await verifier.destroy();
  fs.rmSync(args.dir, { recursive: true, force: true });
  if (rootfs) fs.rmSync(rootfs, { recursive: true, force: true });

  const rows = args.variants.map((v) => {
    const mine = samples.filter((s) => s.variant === v);
    const mb = stats(mine.map((s) => s.mbps));
    const cpu = stats(mine.map((s) => s.cpuSeconds));
    const rss = mine.some((s) => s.peakRssMiB !== undefined) ? Math.max(...mine.map((s) => s.peakRssMiB ?? 0)) : undefined;
    return { variant: v, label: label(v), runs: mine.length, mbps: mb, cpuSecondsPerGiB: cpu.median, peakRssMiB: rss };
  });
  const floor = rows.find((r) => r.variant === 'a')?.mbps.median;
  const cat = rows.find((r) => r.variant === 'b')?.mbps.median;
  const seed = rows.find((r) => r.variant === 'c')?.mbps.median;
  const ratio = (x: number, base?: number): string => (base ? `${(x / base).toFixed(2)}x` : 'n/a');
  const table = [
    '| variant | median MB/s | min | max | vs (a) | vs (b) | vs (c) | CPU s/GiB | peak RSS MiB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) =>
      `| ${r.label} | ${r.mbps.median.toFixed(0)} | ${r.mbps.min.toFixed(0)} | ${r.mbps.max.toFixed(0)} | ${ratio(r.mbps.median, floor)} | ${ratio(r.mbps.median, cat)} | ${ratio(r.mbps.median, seed)} | ${r.cpuSecondsPerGiB.toFixed(2)} | ${r.peakRssMiB !== undefined ? r.peakRssMiB.toFixed(0) : 'n/a'} |`),
  ].join('\n');
  console.log('');
  console.log(table);
  console.log('');
  console.log(`# ${args.runs} counted runs per variant, ${args.sizeMiB} MiB each (streams in (e) share that total). CPU includes the writer.`);
  console.log('# peak RSS: this process (the pipeline host: main thread + 3 pipeline workers + verifier pool), n/a for external programs.');

  if (!args.write) return;
  fs.mkdirSync(args.out, { recursive: true });
  const when = new Date().toISOString();
  const json = { when, system, sizeMiB: args.sizeMiB, runs: args.runs, rows, samples };
  fs.writeFileSync(path.join(args.out, 'logs.json'), JSON.stringify(json, null, 2) + '\n');
  const md = [
    '# Log pipeline bench',
    '',
    `${when}: ${system}.`,
    `${args.sizeMiB} MiB of 64 KiB writes per variant; ${args.runs} counted runs each after one warm-up round, variants alternated.`,
    args.feed === 'container'
      ? '(d)/(e): the writer runs in real containers (runtime namespaces + pivot_root) whose stdout+stderr pipe goes to LogPipelineImpl (2 producer workers + 1 consumer worker), as in the supervisor; all containers are created first and released together, timing from release to last byte drained.'
      : '(d)/(e): the writer runs as a plain child process on a pipe handed to LogPipelineImpl (2 producer workers + 1 consumer worker), as the supervisor does with a container\'s pipe; timing from release to last byte drained.',
    '(e) splits the same total over N writers (aggregate MB/s). CPU includes the writer.',
    'Every capture is size-checked; the first counted capture of each variant is checked byte for byte.',
    '',
    table,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(args.out, 'logs.md'), md);
  fs.writeFileSync(path.join(args.out, 'logs.svg'), await chart(samples));
  console.log(`# wrote ${path.relative(process.cwd(), path.join(args.out, 'logs.{json,md,svg}'))}`);
  // The docs show the last full run only: a partial or tuning run would replace the figures the
  // text there discusses with a table that lacks its baselines.
  const full = args.feed === 'container' && !args.alt && ALL_VARIANTS.every((v) => args.variants.includes(v));
  const doc = path.join(REPO_ROOT, 'docs/logging.md');
  if (!full || path.resolve(args.out) !== path.join(REPO_ROOT, 'bench/results'))
    console.log('# docs/logging.md not updated: not a full run (every variant, --feed container, no --alt, the default --out)');
  else if (writeDocsSection(doc, 'logs', `${when}: ${system}. ${args.sizeMiB} MiB per variant, ${args.runs} counted runs each. Full report: [bench/results/logs.md](../bench/results/logs.md).\n\n${table}`))
    console.log('# updated the table in docs/logging.md');
  else console.error('# docs/logging.md has no bench:logs markers: not updated');
}

async function chart(samples: Sample[]): Promise<string> {
  const vl = await import('vega-lite');
  const vega = await import('vega');
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Log capture throughput (MB/s; bar = median, ticks = runs)',
    width: 520,
    data: {
      values: samples.map((s) => ({
        variant: label(s.variant), mbps: Math.round(s.mbps), kind: s.variant === 'd' || /^e\d/.test(s.variant) ? 'engine' : 'baseline',
      })),
    },
    config: { axis: { labelLimit: 420 } },
    encoding: { y: { field: 'variant', type: 'nominal', sort: null, title: null } },
    layer: [
      {
        mark: 'bar',
        encoding: {
          x: { aggregate: 'median', field: 'mbps', type: 'quantitative', title: 'MB/s', stack: null },
          color: { field: 'kind', type: 'nominal', title: null, scale: { range: ['#9aa5b1', '#2f6fb0'] } },
        },
      },
      { mark: { type: 'tick', color: 'black' }, encoding: { x: { field: 'mbps', type: 'quantitative' } } },
    ],
  };
  const compiled = vl.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
