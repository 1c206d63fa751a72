// --cpus LIST for the supervisor: parsed and checked against the CPUs this machine has.
// (Interim: replaced by src/sched's parser when the scheduler work lands.)
import os from 'node:os';
import { invalid } from '../errors.js';

export function parseCpus(text: string): number[] {
  const online = os.availableParallelism();
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw invalid(`invalid --cpus list ${JSON.stringify(text)}: use numbers and ranges like 0,2-3`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw invalid(`invalid --cpus range ${part}: the end is below the start`);
    for (let cpu = lo; cpu <= hi; cpu++) {
      if (cpu >= online) throw invalid(`--cpus names CPU ${cpu}, but this machine has CPUs 0-${online - 1}`);
      out.add(cpu);
    }
  }
  return [...out].sort((a, b) => a - b);
}
