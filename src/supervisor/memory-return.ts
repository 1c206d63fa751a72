// Giving memory back after a burst of connections (a flood, a fuzzer). V8 collects a burst's
// garbage at its own pace: on an idle supervisor its old space stays as large as the burst made it
// for minutes. Once a burst is over (at most LOW connections open, and none new for QUIET_MS,
// after at least BURST connections), one full collection is asked for: measured after a 20,000-connection flood, RSS
// settles 7-10 MiB lower than without it. It costs the event loop a few milliseconds (the live
// heap is small), once per burst, never during one. What it cannot give back is the young
// generation V8 grew for the burst (up to 32 MiB, shrunk only by V8's own memory reducer).

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Connections since the last collection that make a burst. */
export const BURST = 2000;
/** Quiet time after the last connection closed before collecting. */
export const QUIET_MS = 500;
/** Connections that may stay open (run and logs -f clients) when a burst counts as over. */
export const LOW = 16;

let gc: (() => void) | null | undefined;

/** V8's full collection, exposed without a command-line flag (null where that is not possible). */
function fullGc(): (() => void) | null {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  return gc;
}

export class MemoryReturn {
  private since = 0;
  private timer: NodeJS.Timeout | null = null;
  collections = 0;

  /** A connection was accepted. */
  opened(): void {
    this.since++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** A connection closed; `open` are still open. */
  closed(open: number): void {
    if (open > LOW || this.since < BURST || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.since = 0;
      const collect = fullGc();
      if (!collect) return;
      try {
        collect();
        this.collections++;
      } catch {
        /* nothing to give back this time */
      }
    }, QUIET_MS);
    this.timer.unref();
  }
}
