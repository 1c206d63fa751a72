// CPU lists (`--cpus 0-2,5`): parsing, validation against the CPUs this machine has, formatting.
//
// parseCpuList throws EngineError('invalid_argument') with a one-line message meant for the user,
// so request validation can pass it on as is (the CLI prints it and exits 125).
import fs from 'node:fs';
import os from 'node:os';
import { invalid } from '../errors.js';
import { readCgroupLines, type CgroupLine } from '../proc/proc.js';

/** Highest CPU number accepted at all (the kernel's NR_CPUS is at most 8192). */
const MAX_CPU = 8191;
const EXAMPLES = 'use CPU numbers and ranges like 0, 0-1 or 0,2-3';

/**
 * Parses a kernel-style CPU list ("0", "0-1", "0,2", "0-2,5"; no strides, no blanks inside) into
 * the CPU numbers it names, ascending. `onlineCpus` is the set of CPUs that exist and are online
 * here (default: onlineCpus()). Throws for bad syntax, empty items, reversed ranges, CPUs named
 * twice and CPUs that are not online.
 */
export function parseCpuList(text: string, online: readonly number[] = onlineCpus()): number[] {
  const shown = JSON.stringify(text);
  if (typeof text !== 'string' || text.trim() === '') throw invalid(`--cpus list is empty: ${EXAMPLES}`);
  const onlineSet = new Set(online);
  const seen = new Set<number>();
  for (const raw of text.trim().split(',')) {
    if (raw === '') throw invalid(`--cpus ${shown} has an empty item (a stray comma): ${EXAMPLES}`);
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(raw);
    if (!m) throw invalid(`--cpus ${shown}: ${JSON.stringify(raw)} is not a CPU number or range; ${EXAMPLES}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw invalid(`--cpus ${shown}: range ${raw} is reversed; write ${hi}-${lo}`);
    if (hi > MAX_CPU) throw invalid(`--cpus ${shown}: CPU ${hi} does not exist on this machine (online CPUs: ${formatCpuList(online)})`);
    for (let cpu = lo; cpu <= hi; cpu++) {
      if (seen.has(cpu)) throw invalid(`--cpus ${shown} names CPU ${cpu} twice`);
      if (!onlineSet.has(cpu)) throw invalid(`--cpus ${shown}: CPU ${cpu} does not exist on this machine (online CPUs: ${formatCpuList(online)})`);
      seen.add(cpu);
    }
  }
  return [...seen].sort((a, b) => a - b);
}

/** "0-2,5" for [0,1,2,5]; the shortest kernel-style list. */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j;
  }
  return parts.join(',');
}

/** Lenient parse of a list the kernel wrote (sysfs, /proc/self/status); [] if unreadable. */
export function parseKernelCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let c = lo; c <= hi && c <= MAX_CPU; c++) out.push(c);
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

/**
 * CPUs of this process's cpuset (cgroup v1 cpuset.effective_cpus, or v2 cpuset.cpus.effective),
 * or null when there is no cpuset to read. The cpuset, not this process's own affinity mask, is
 * what bounds a child's sched_setaffinity: a supervisor started under `taskset -c 0` can still
 * give a container CPU 1.
 */
export function cpusetCpus(): number[] | null {
  let lines: CgroupLine[];
  try {
    lines = readCgroupLines();
  } catch {
    return null;
  }
  const candidates: string[] = [];
  for (const { controllers, path: cgPath } of lines) {
    if (controllers.includes('cpuset')) candidates.push(`/sys/fs/cgroup/cpuset${cgPath}/cpuset.effective_cpus`);
    else if (controllers.length === 0) candidates.push(`/sys/fs/cgroup${cgPath}/cpuset.cpus.effective`, `/sys/fs/cgroup/unified${cgPath}/cpuset.cpus.effective`);
  }
  for (const file of candidates) {
    try {
      const cpus = parseKernelCpuList(fs.readFileSync(file, 'utf8'));
      if (cpus.length) return cpus;
    } catch {
      /* not this one */
    }
  }
  return null;
}

/**
 * The CPUs a container can be given here: the online CPUs (/sys/devices/system/cpu/online),
 * narrowed to this process's cpuset when there is one. Not narrowed to this process's own
 * affinity: a pinned supervisor may still place containers on other CPUs. Falls back to
 * 0..availableParallelism-1 without sysfs.
 */
export function onlineCpus(): number[] {
  let online: number[] = [];
  try {
    online = parseKernelCpuList(fs.readFileSync('/sys/devices/system/cpu/online', 'utf8'));
  } catch {
    /* no sysfs */
  }
  if (!online.length) return Array.from({ length: os.availableParallelism() }, (_, i) => i);
  const cpuset = cpusetCpus();
  if (cpuset) {
    const both = online.filter((c) => cpuset.includes(c));
    if (both.length) return both;
  }
  return online;
}
