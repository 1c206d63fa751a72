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

/** Writes OUT/calls.md (every call by scenario, paths and ids normalised) and OUT/configs/*.json. */
export function writeCaptureReport(captureDir: string, out: string, laneDir: string): void {
  fs.mkdirSync(path.join(out, 'configs'), { recursive: true });
  const lines: string[] = ['# Runtime calls captured by the OCI lane (test/oci/lane.ts --capture)', '',
    'Paths under the lane directory are shown as `$LANE`; container ids as `$ID`. One block per container, calls in order.', ''];
  for (const rtName of fs.existsSync(path.join(captureDir, 'calls')) ? fs.readdirSync(path.join(captureDir, 'calls')) : []) {
    const records = readRecords(path.join(captureDir, 'calls', rtName));
    // container id -> scenario, from the config of each create
    const scenarioOf = new Map<string, string>();
    for (const r of records) {
      if (r.argv.includes('create') && r.config) scenarioOf.set(r.argv[r.argv.length - 1], r.config.annotations?.['oci-lane.scenario'] ?? '(no scenario annotation)');
    }
    const groups = new Map<string, CallRecord[]>();
    for (const r of records) {
      const id = r.argv.find((a) => scenarioOf.has(a)) ?? '';
      const key = id ? `${scenarioOf.get(id)}\u0000${id}` : '(no container)\u0000';
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key)!.push(r);
    }
    lines.push(`## ${rtName}`, '');
    const savedScenario = new Set<string>();
    for (const [key, recs] of [...groups].sort((a, b) => a[0].localeCompare(b[0]))) {
      const [scenario, id] = key.split('\u0000');
      const norm = (s: string) => {
        let t = s.split(laneDir).join('$LANE');
        if (id) t = t.split(id).join('$ID');
        return t.replace(/\b[0-9a-f]{64}\b/g, '$HEX64');
      };
      lines.push(`### ${scenario}`, '', '```');
      for (const r of recs) {
        lines.push(`[${r.caller || '?'}] ${r.argv.map((a) => norm(a)).map((a) => (/^[\w@%+=:,./$-]+$/.test(a) ? a : `'${a}'`)).join(' ')}    (cwd ${norm(r.cwd)})`);
      }
      lines.push('```', '');
      const withConfig = recs.find((r) => r.config);
      if (withConfig && !savedScenario.has(scenario)) {
        savedScenario.add(scenario);
        const file = `${rtName}--${scenario.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}.json`;
        fs.writeFileSync(path.join(out, 'configs', file), norm(JSON.stringify(withConfig.config, null, 2)) + '\n');
        const withProcess = recs.find((r) => r.process);
        if (withProcess) fs.writeFileSync(path.join(out, 'configs', file.replace(/\.json$/, '.process.json')), norm(JSON.stringify(withProcess.process, null, 2)) + '\n');
      }
    }
  }
  fs.writeFileSync(path.join(out, 'calls.md'), lines.join('\n'));
}
