// One supervisor per state directory: its records and logs are that supervisor's alone. A second
// one would take the first's live containers for a crashed supervisor's (records.ts) and kill
// them. <state-dir>/supervisor.pid holds "<pid> <start time>"; it is created exclusively, and a
// file naming a process that is gone (or a pid reused since) is a killed supervisor's: replaced.

import fs from 'node:fs';
import path from 'node:path';
import { processAlive, processStartTicks } from '../proc/proc.js';
import { DaemonError } from './socket-claim.js';

export interface StateLock {
  file: string;
  release(): void;
}

export function lockStateDir(stateDir: string): StateLock {
  const file = path.join(stateDir, 'supervisor.pid');
  const mine = `${process.pid} ${processStartTicks(process.pid) ?? '0'}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      fs.writeFileSync(file, mine, { flag: 'wx', mode: 0o644 });
      return {
        file,
        release() {
          try {
            if (fs.readFileSync(file, 'utf8') === mine) fs.unlinkSync(file);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new DaemonError(`state directory ${stateDir}: ${(err as Error).message}`);
    }
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue; // removed meanwhile: try again
    }
    const [pid, ticks] = text.trim().split(/\s+/);
    if (/^\d+$/.test(pid ?? '') && processAlive(Number(pid), ticks)) {
      throw new DaemonError(`another supervisor (pid ${pid}) uses the state directory ${stateDir}; give this one its own --state-dir`);
    }
    fs.rmSync(file, { force: true }); // a supervisor that was killed
  }
  throw new DaemonError(`state directory ${stateDir}: cannot take ${file}`);
}
