// A LogPipeline that moves no bytes: it records what is attached and lets the test decide when a
// container's output is "drained", so the supervisor's wait for the drain can be observed.

import type { LogAttachOptions, LogDrainResult, LogPipeline, LogStats } from '../../src/logging/types.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

export class FakeLogs implements LogPipeline {
  readonly attached = new Map<string, { fd: number; logPath: string; options?: LogAttachOptions }>();
  readonly forgotten: string[] = [];
  /** false: drained(id) waits for finishDrain(id) */
  autoDrain = true;
  closed = false;
  private drains = new Map<string, ReturnType<typeof deferred<LogDrainResult>>>();

  async start(): Promise<void> {}

  attach(id: string, readFd: number, logPath: string, options?: LogAttachOptions): void {
    this.attached.set(id, { fd: readFd, logPath, options });
    this.drains.set(id, deferred<LogDrainResult>());
  }

  drained(id: string): Promise<LogDrainResult> {
    const d = this.drains.get(id);
    if (!d) return Promise.resolve({ bytes: 0, dropped: 0 });
    if (this.autoDrain) d.resolve({ bytes: 0, dropped: 0 });
    return d.promise;
  }

  finishDrain(id: string, bytes = 0): void {
    this.drains.get(id)?.resolve({ bytes, dropped: 0 });
  }

  stats(id: string): LogStats | undefined {
    return this.attached.has(id) ? { bytes: 0, dropped: 0 } : undefined;
  }

  forget(id: string): void {
    this.forgotten.push(id);
    this.attached.delete(id);
    this.drains.delete(id);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
