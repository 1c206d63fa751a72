// A simple LogPipeline used until the worker pipeline is wired in: the main thread reads each
// pipe through a net.Socket and appends to the file. Lossless (stream backpressure), not fast.

import fs from 'node:fs';
import net from 'node:net';
import type { LogAttachOptions, LogDrainResult, LogPipeline, LogStats } from '../logging/types.js';

interface Entry {
  stats: LogStats;
  drained: Promise<LogDrainResult>;
  socket: net.Socket;
}

export class InterimLogPipeline implements LogPipeline {
  private entries = new Map<string, Entry>();

  async start(): Promise<void> {}

  attach(id: string, readFd: number, logPath: string, _options?: LogAttachOptions): void {
    const stats: LogStats = { bytes: 0, dropped: 0 };
    const socket = new net.Socket({ fd: readFd, readable: true, writable: false });
    const file = fs.createWriteStream(logPath, { flags: 'w' });
    socket.on('data', (chunk: Buffer) => {
      stats.bytes += chunk.length;
    });
    socket.on('error', () => socket.destroy());
    socket.pipe(file);
    const drained = new Promise<LogDrainResult>((resolve) => {
      file.on('close', () => resolve({ bytes: stats.bytes, dropped: 0 }));
      file.on('error', () => resolve({ bytes: stats.bytes, dropped: 0 }));
    });
    this.entries.set(id, { stats, drained, socket });
  }

  drained(id: string): Promise<LogDrainResult> {
    return this.entries.get(id)?.drained ?? Promise.resolve({ bytes: 0, dropped: 0 });
  }

  stats(id: string): LogStats | undefined {
    return this.entries.get(id)?.stats;
  }

  forget(id: string): void {
    this.entries.delete(id);
  }

  async close(graceMs = 2000): Promise<void> {
    const timer = setTimeout(() => {
      for (const e of this.entries.values()) e.socket.destroy();
    }, graceMs);
    await Promise.all([...this.entries.values()].map((e) => e.drained));
    clearTimeout(timer);
  }
}
