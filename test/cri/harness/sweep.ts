// Run after the CRI lane (mk/cri.mk), whatever its outcome: removes every lane directory whose test
// process is gone (a test file killed on timeout cannot run its own teardown), with what it left on
// the host: containerd, shims, containers, mounts, pod cgroups, shim sockets.
// Usage: node --import tsx test/cri/harness/sweep.ts

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CriLane, LANE_DIR_PREFIX } from './lane.js';

function ownerAlive(dir: string): boolean {
  const file = path.join(dir, 'owner.pid');
  // A lane being created this instant has no owner file yet.
  if (!fs.existsSync(file)) return Date.now() - fs.statSync(dir).mtimeMs < 60_000;
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return false;
  }
}

let swept = 0;
for (const name of fs.readdirSync(os.tmpdir())) {
  const dir = path.join(os.tmpdir(), name);
  if (!name.startsWith(LANE_DIR_PREFIX) || !fs.statSync(dir).isDirectory() || ownerAlive(dir)) continue;
  console.log(`# cri sweep: destroying a lane whose test process is gone: ${dir}`);
  await CriLane.adopt(dir).destroy();
  swept++;
}
if (swept) console.log(`# cri sweep: ${swept} lane(s) destroyed`);
