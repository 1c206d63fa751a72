// The host's processes as the records need them: a pid together with its start time names one
// process for good (a pid alone may have been reused since the record was written).

import { native } from '../native/addon.js';
import { processAlive, processStartTicks } from '../proc/proc.js';

export interface HostProcesses {
  /** field 22 of /proc/<pid>/stat, or null when there is no such process */
  startTicks(pid: number): string | null;
  /** SIGKILL to pid if it is still the process that started at startTicks; whether it was */
  killIfSame(pid: number, startTicks: string): boolean;
}

export const hostProcesses: HostProcesses = {
  startTicks: (pid) => processStartTicks(pid),
  killIfSame(pid, startTicks) {
    let pidfd: number;
    try {
      pidfd = native().pidfdOpen(pid); // from here on the signal can only reach this process
    } catch {
      return false; // gone
    }
    try {
      if (!processAlive(pid, startTicks)) return false;
      return native().pidfdSignal(pidfd, 9);
    } finally {
      native().closeFd(pidfd);
    }
  },
};
