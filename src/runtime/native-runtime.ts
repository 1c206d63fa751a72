// The real ProcessRuntime: containers cloned through the native addon (ContainerProcess).

import fs from 'node:fs';
import { native } from '../native/addon.js';
import { ContainerProcess } from './container-process.js';
import type { ProcessRuntime } from './types.js';

export const nativeRuntime: ProcessRuntime = {
  outputPipe: () => native().pipe(),
  closeFd: (fd) => fs.closeSync(fd),
  spawn: (spec) => new ContainerProcess(spec),
  setAutogroupNice(pid, nice) {
    // With autogroup on, nice only orders tasks of one session. Each container is its own session
    // (its init calls setsid), so its autogroup gets the container's nice: containers then compete
    // by their nice values, as they would without autogroup.
    try {
      fs.writeFileSync(`/proc/${pid}/autogroup`, String(nice));
    } catch {
      /* no autogroup support: plain nice applies */
    }
  },
};
