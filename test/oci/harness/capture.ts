// Capture mode: each runtime is replaced, for the callers, by a shell wrapper of the same basename
// (podman decides on JSON logs by basename) that records argv, cwd, the calling program and the
// config.json / process.json it was given, then execs the real runtime. The report groups the
// calls by scenario (the `oci-lane.scenario` annotation every scenario puts in its config).

import fs from 'node:fs';
import path from 'node:path';
import type { Runtime } from './runtimes.js';

function wrapperScript(real: string, logDir: string): string {
  return `#!/bin/sh
# OCI lane capture wrapper: records this call, then runs ${real} in its place.
rec="${logDir}/$(date +%s%N)-$$"
mkdir -p "$rec"
printf '%s\\n' "$@" > "$rec/argv"
pwd > "$rec/cwd"
cat /proc/$PPID/comm > "$rec/caller" 2>/dev/null
prev=""
for a in "$@"; do
  case "$prev" in
    --bundle|-b) cp "$a/config.json" "$rec/config.json" 2>/dev/null ;;
    --process|-p) cp "$a" "$rec/process.json" 2>/dev/null ;;
  esac
  case "$a" in
    --bundle=*) cp "\${a#--bundle=}/config.json" "$rec/config.json" 2>/dev/null ;;
    --process=*) cp "\${a#--process=}" "$rec/process.json" 2>/dev/null ;;
  esac
  prev="$a"
done
case " $* " in *" create "*) [ -f "$rec/config.json" ] || cp config.json "$rec/config.json" 2>/dev/null ;; esac
exec ${real} "$@"
`;
}

/** Writes one wrapper per runtime; returns the runtimes with `path` pointing at the wrappers. */
export function installCaptureWrappers(dir: string, runtimes: Runtime[]): Runtime[] {
  return runtimes.map((rt) => {
    if (rt.skip) return rt;
    const wrapper = path.join(dir, 'bin', rt.name, path.basename(rt.binary));
    const logDir = path.join(dir, 'calls', rt.name);
    fs.mkdirSync(path.dirname(wrapper), { recursive: true });
    fs.mkdirSync(logDir, { recursive: true });
    fs.writeFileSync(wrapper, wrapperScript(rt.binary, logDir), { mode: 0o755 });
    return { ...rt, path: wrapper };
  });
}

interface CallRecord {
  at: string;
  argv: string[];
  cwd: string;
  caller: string;
  config?: Record<string, any>;
  process?: Record<string, any>;
}

function readRecords(dir: string): CallRecord[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).sort().map((at) => {
    const d = path.join(dir, at);
    const read = (f: string) => (fs.existsSync(path.join(d, f)) ? fs.readFileSync(path.join(d, f), 'utf8') : '');
    const json = (f: string) => { try { return read(f) ? JSON.parse(read(f)) : undefined; } catch { return undefined; } };
    return { at, argv: read('argv').replace(/\n$/, '').split('\n'), cwd: read('cwd').trim(), caller: read('caller').trim(), config: json('config.json'), process: json('process.json') };
  });
}

/** Callers of interest: containerd's shim, conmon and podman. The lane's own direct calls are left out. */
const OWN_CALLERS = new Set(['node', 'pid_reuse']);

/**
 * Writes OUT/calls.md (each caller's calls by scenario, in order, with paths and ids normalised and
 * identical sequences shown once) and OUT/configs/RUNTIME--SCENARIO.json (the config.json, and the
 * exec process.json where there is one, of each scenario's first container).
 */
export function writeCaptureReport(captureDir: string, out: string, laneDir: string): void {
  fs.mkdirSync(path.join(out, 'configs'), { recursive: true });
  const lines: string[] = ['# Runtime calls captured by the OCI lane (test/oci/lane.ts --capture)', '',
    'Each line: [calling program] the runtime\'s argv; calls in order, one block per scenario (identical',
    'sequences of several containers shown once). `$LANE` is the lane\'s temp dir, `$ID` the container id,',
    '`$BUNDLE` the bundle given to create, `$TAG` the lane run\'s tag (in containerd namespaces and cgroup',
    'parents), `$HEX64` another 64-hex id (podman\'s exec session, an overlay layer); random parts are N.', ''];
  for (const rtName of fs.existsSync(path.join(captureDir, 'calls')) ? fs.readdirSync(path.join(captureDir, 'calls')) : []) {
    const records = readRecords(path.join(captureDir, 'calls', rtName)).filter((r) => !OWN_CALLERS.has(r.caller));
    const scenarioOf = new Map<string, string>();
    const bundleOf = new Map<string, string>();
    for (const r of records) {
      const i = r.argv.indexOf('create');
      if (i < 0 || !r.config) continue;
      const id = r.argv[r.argv.length - 1];
      scenarioOf.set(id, r.config.annotations?.['oci-lane.scenario'] ?? '(no scenario annotation)');
      const b = r.argv.indexOf('--bundle');
      bundleOf.set(id, b >= 0 ? r.argv[b + 1] : r.cwd);
    }
    const byContainer = new Map<string, CallRecord[]>();
    for (const r of records) {
      const id = r.argv.find((a) => scenarioOf.has(a)) ?? '';
      if (!byContainer.has(id)) byContainer.set(id, []);
      byContainer.get(id)!.push(r);
    }
    // scenario -> distinct normalised call sequences, with how many containers made each
    const byScenario = new Map<string, Map<string, number>>();
    const savedScenario = new Set<string>();
    for (const [id, recs] of byContainer) {
      const scenario = id ? scenarioOf.get(id)! : '(calls naming no container)';
      const norm = (s: string) => {
        let t = s;
        if (id && bundleOf.get(id)) t = t.split(bundleOf.get(id)!).join('$BUNDLE');
        t = t.split(laneDir).join('$LANE');
        if (id) t = t.split(id).join('$ID');
        return t.replace(/\b[0-9a-f]{64}\b/g, '$HEX64').replace(/ocilane[A-Za-z0-9]{6}/g, '$TAG')
          .replace(/(runc-process|pty|conmon-term\.|exec-process-)[A-Za-z0-9]+/g, '$1N');
      };
      const block = recs.map((r) => `[${r.caller || '?'}] ${rtName === 'runc' ? 'runc' : 'engine-oci'} ${r.argv.map(norm).map((a) => (/^[\w@%+=:,./$-]+$/.test(a) ? a : `'${a}'`)).join(' ')}    (cwd ${norm(r.cwd)})`).join('\n');
      if (!byScenario.has(scenario)) byScenario.set(scenario, new Map());
      const seqs = byScenario.get(scenario)!;
      seqs.set(block, (seqs.get(block) ?? 0) + 1);
      const withConfig = recs.find((r) => r.config);
      if (withConfig && !savedScenario.has(scenario)) {
        savedScenario.add(scenario);
        const file = `${rtName}--${scenario.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}.json`;
        fs.writeFileSync(path.join(out, 'configs', file), norm(JSON.stringify(withConfig.config, null, 2)) + '\n');
        const withProcess = recs.find((r) => r.process);
        if (withProcess) fs.writeFileSync(path.join(out, 'configs', file.replace(/\.json$/, '.process.json')), norm(JSON.stringify(withProcess.process, null, 2)) + '\n');
      }
    }
    lines.push(`## ${rtName}`, '');
    for (const [scenario, seqs] of [...byScenario].sort((a, b) => a[0].localeCompare(b[0]))) {
      lines.push(`### ${scenario}`, '');
      for (const [block, n] of seqs) {
        if (seqs.size > 1 || n > 1) lines.push(`${n} container(s):`);
        lines.push('```', block, '```', '');
      }
    }
  }
  fs.writeFileSync(path.join(out, 'calls.md'), lines.join('\n'));
}
