// What a container looks like from inside (and its pod's pause process from the host), reduced to
// values that do not depend on ids or inode numbers, so two runtime handlers can be compared as is.

import fs from 'node:fs';
import type { CriClient } from '../client/cri-client.js';

const STATUS_FIELDS = ['CapBnd', 'CapEff', 'CapPrm', 'NoNewPrivs', 'Seccomp'] as const;
type StatusFields = Record<(typeof STATUS_FIELDS)[number], string>;
/** How a container's namespace relates to the host's and, if not the host's, to its pod's pause process. */
type NsRelation = 'host' | 'pause' | 'own';
const NAMESPACES = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'uts'] as const;

export interface Observables {
  /** /proc/1/status of the container's init, read inside. */
  init: StatusFields;
  /** /proc/self/status of a process started by ExecSync. */
  exec: StatusFields;
  /** /proc/1/cgroup with the pod uid and container id replaced by <uid> and <id>. */
  cgroup: string[];
  namespaces: Record<(typeof NAMESPACES)[number], NsRelation>;
  /** Sizes of two masked paths (0 when masked with /dev/null). */
  maskedSizes: { timerList: string; keys: string };
  /** Mount options of /proc/sys (read-only path). */
  procSysOptions: string;
  /** The pause process seen from the host. */
  pause: { status: StatusFields; cgroup: string[] };
}

// One ExecSync prints everything, section by section; busybox sh, grep, wc and awk are in the image.
const SCRIPT = [
  'echo "## init"; grep -E "^(CapBnd|CapEff|CapPrm|NoNewPrivs|Seccomp):" /proc/1/status',
  'echo "## exec"; grep -E "^(CapBnd|CapEff|CapPrm|NoNewPrivs|Seccomp):" /proc/self/status',
  'echo "## cgroup"; cat /proc/1/cgroup',
  'echo "## ns"; /probe ns',
  'echo "## masked"; wc -c < /proc/timer_list; wc -c < /proc/keys',
  'echo "## procsys"; awk \'$5 == "/proc/sys" { print $6 }\' /proc/1/mountinfo',
].join('; ');

function sections(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] = [];
  for (const line of text.split('\n')) {
    const m = line.match(/^## (\w+)$/);
    if (m) out.set(m[1]!, (current = []));
    else if (line) current.push(line);
  }
  return out;
}

function statusFields(lines: string[]): StatusFields {
  const f = Object.fromEntries(lines.map((l) => l.split(/:\s*/, 2) as [string, string]));
  return Object.fromEntries(STATUS_FIELDS.map((k) => [k, f[k] ?? 'missing'])) as StatusFields;
}

function normalizeCgroup(lines: string[], podUid: string, containerId: string): string[] {
  return lines.map((l) => l.split(podUid).join('<uid>').split(containerId).join('<id>'));
}

const nsLink = (pid: number | 'self', ns: string) => fs.readlinkSync(`/proc/${pid}/ns/${ns}`);

/** Collects a running container's observables (container in pod podUid, pause process pausePid). */
export async function observe(client: CriClient, containerId: string, podUid: string, pausePid: number): Promise<Observables> {
  const r = await client.execSync(containerId, ['/bin/sh', '-c', SCRIPT]);
  if (r.exitCode !== 0) throw new Error(`the observation script failed (${r.exitCode}): ${r.stderr}`);
  const s = sections(r.stdout);
  const inside = new Map((s.get('ns') ?? []).map((l) => l.split(' ') as [string, string]));
  const namespaces = Object.fromEntries(
    NAMESPACES.map((ns) => {
      const v = inside.get(ns);
      const rel: NsRelation = v === nsLink('self', ns) ? 'host' : v === nsLink(pausePid, ns) ? 'pause' : 'own';
      return [ns, rel];
    }),
  ) as Observables['namespaces'];
  const [timerList = '?', keys = '?'] = s.get('masked') ?? [];
  // The pause container's own cgroup leaf is named after the sandbox id.
  const pauseCgroup = fs.readFileSync(`/proc/${pausePid}/cgroup`, 'utf8').trim().split('\n');
  const sandboxLeaf = pauseCgroup[0]!.split('/').pop()!;
  return {
    init: statusFields(s.get('init') ?? []),
    exec: statusFields(s.get('exec') ?? []),
    cgroup: normalizeCgroup(s.get('cgroup') ?? [], podUid, containerId),
    namespaces,
    maskedSizes: { timerList: timerList.trim(), keys: keys.trim() },
    procSysOptions: (s.get('procsys') ?? []).join(' '),
    pause: {
      status: statusFields(fs.readFileSync(`/proc/${pausePid}/status`, 'utf8').split('\n')),
      cgroup: normalizeCgroup(pauseCgroup, podUid, sandboxLeaf),
    },
  };
}
