// Container records on disk, so a supervisor that starts after a crash still knows the containers
// of the one before (CONTRACT.md, Records): <state-dir>/containers/<id>/record.json, rewritten at
// every state change, and spec.json (the effective OCI spec, for inspect --spec), written once.
//
// Every write goes to a temporary file in the same directory and is renamed over the old one, so a
// reader (the next supervisor) sees the previous record or the new one, never half of one. The
// data is not fsync'ed: the page cache survives a killed supervisor; a power cut may lose the last
// change or leave an empty file, which loading reports and skips.
//
// Writes leave the event loop (a FileWriter: the daemon's runs on its own thread,
// record-writer.ts): a container changes state four times, and with 256 containers starting and
// ending together those synchronous writes were a fifth of the supervisor's main-thread time
// (docs/supervisor.md). At most one write per file is in flight; changes made meanwhile are merged
// into the next write, made from the newest state. `written()` says when what was asked so far is
// on disk: a client hears of a start or an end only then, so a crash never loses what a client
// was told.

import fs from 'node:fs';
import path from 'node:path';
import type { ContainerRecord, ContainerState } from '../protocol/messages.js';
import { ID_PATTERN } from '../protocol/schema.js';

export const RECORD_FORMAT = 1;

/** What record.json holds: the public record, and what identifies its process beyond the pid. */
export interface StoredRecord {
  format: typeof RECORD_FORMAT;
  record: ContainerRecord;
  /** start time of the container's init (field 22 of /proc/<pid>/stat): tells it from a reused pid */
  pidStartTicks: string | null;
}

export interface LoadedRecord extends StoredRecord {
  spec: unknown | null;
}

export interface LoadProblem {
  /** the directory's name under containers/ */
  name: string;
  reason: string;
}

const STATES: readonly ContainerState[] = ['starting', 'running', 'exited', 'stopped', 'hard_limit_killed', 'killed', 'failed'];

/** Writes a whole file atomically (temporary file, then rename), making its directory. */
export interface FileWriter {
  write(file: string, text: string): Promise<void>;
}

/** A FileWriter on libuv's threads (tests, and wherever no writer thread is given). */
export const promiseWriter: FileWriter = {
  async write(file, text) {
    await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.tmp`;
    await fs.promises.writeFile(tmp, text, { mode: 0o600 });
    await fs.promises.rename(tmp, file);
  },
};

export class RecordStore {
  /** file -> the newest content not yet written (made when its write starts) */
  private readonly pending = new Map<string, () => string>();
  /** file -> its write loop, while it has something to write */
  private readonly inFlight = new Map<string, Promise<void>>();

  /** onError: a write that failed (never fatal: the container goes on). */
  constructor(
    readonly dir: string,
    private readonly onError: (id: string, file: string, err: Error) => void = () => {},
    private readonly writer: FileWriter = promiseWriter,
  ) {}

  /** Makes the directory; throws with the reason when it cannot be made. */
  init(): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  private dirOf(id: string): string {
    return path.join(this.dir, id);
  }

  /** Queues the record's write; `content` is called when the write starts (the newest state). */
  save(id: string, content: () => StoredRecord): void {
    this.queue(id, 'record.json', () => JSON.stringify(content()));
  }

  saveSpec(id: string, spec: unknown): void {
    this.queue(id, 'spec.json', () => JSON.stringify(spec));
  }

  private queue(id: string, name: string, text: () => string): void {
    const file = path.join(this.dirOf(id), name);
    this.pending.set(file, text);
    if (!this.inFlight.has(file)) this.inFlight.set(file, this.writeLoop(id, file));
  }

  private async writeLoop(id: string, file: string): Promise<void> {
    try {
      for (let next = this.pending.get(file); next; next = this.pending.get(file)) {
        this.pending.delete(file);
        try {
          await this.writer.write(file, next());
        } catch (err) {
          this.onError(id, file, err as Error);
        }
      }
    } finally {
      this.inFlight.delete(file);
    }
  }

  /** Resolves once every write asked so far (of one container, or of all) is done. */
  async written(id?: string): Promise<void> {
    const prefix = (id === undefined ? this.dir : this.dirOf(id)) + path.sep;
    for (;;) {
      const loops = [...this.inFlight].filter(([file]) => file.startsWith(prefix)).map(([, p]) => p);
      if (loops.length === 0) return;
      await Promise.all(loops);
    }
  }

  /** Deletes the container's files, after any write of them still under way. */
  async remove(id: string): Promise<void> {
    await this.written(id);
    await fs.promises.rm(this.dirOf(id), { recursive: true, force: true });
  }

  /** Every readable record; the unreadable ones are listed with the reason, never thrown. */
  load(): { records: LoadedRecord[]; problems: LoadProblem[] } {
    const records: LoadedRecord[] = [];
    const problems: LoadProblem[] = [];
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records, problems };
      return { records, problems: [{ name: '.', reason: `cannot read ${this.dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }] };
    }
    for (const name of names.sort()) {
      try {
        const text = fs.readFileSync(path.join(this.dir, name, 'record.json'), 'utf8');
        const stored = parseStoredRecord(text, name);
        records.push({ ...stored, spec: readSpec(path.join(this.dir, name, 'spec.json')) });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        problems.push({ name, reason: e.code === 'ENOENT' ? 'no record.json' : e.code ? `${e.code}` : e.message });
      }
    }
    // Oldest first, as ps lists them.
    records.sort((a, b) => a.record.startedAt.localeCompare(b.record.startedAt));
    return { records, problems };
  }
}

function readSpec(file: string): unknown | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null; // inspect --spec says it is not kept; the record itself is what matters
  }
}

/** The record in `text`, checked field by field; throws an Error naming the first problem. */
export function parseStoredRecord(text: string, name: string): StoredRecord {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(text.length === 0 ? 'empty record.json' : 'record.json is not valid JSON (partly written?)');
  }
  const s = data as Partial<StoredRecord> | null;
  if (!s || typeof s !== 'object' || s.format !== RECORD_FORMAT) throw new Error(`record.json is not a format-${RECORD_FORMAT} record`);
  const r = s.record as Partial<ContainerRecord> | undefined;
  if (!r || typeof r !== 'object') throw new Error('record.json has no record');
  const need = (ok: boolean, field: string) => {
    if (!ok) throw new Error(`record.json: bad or missing ${field}`);
  };
  need(typeof r.id === 'string' && ID_PATTERN.test(r.id) && r.id === name, 'id (it must be the directory name)');
  need(typeof r.state === 'string' && STATES.includes(r.state as ContainerState), 'state');
  need(r.pid === null || Number.isInteger(r.pid), 'pid');
  need(typeof r.rootfs === 'string', 'rootfs');
  need(Array.isArray(r.command) && r.command.every((w) => typeof w === 'string'), 'command');
  need(typeof r.startedAt === 'string' && !Number.isNaN(Date.parse(r.startedAt)), 'startedAt');
  need(typeof r.logPath === 'string', 'logPath');
  need(!!r.limits && Number.isInteger(r.limits.softMib) && Number.isInteger(r.limits.hardMib), 'limits');
  need(Number.isInteger(r.nice), 'nice');
  need(r.exitCode === null || Number.isInteger(r.exitCode), 'exitCode');
  need(Array.isArray(r.memoryEvents), 'memoryEvents');
  need(!!r.log && typeof r.log === 'object', 'log');
  const pidStartTicks = typeof s.pidStartTicks === 'string' ? s.pidStartTicks : null;
  return { format: RECORD_FORMAT, record: r as ContainerRecord, pidStartTicks };
}
