// Container records on disk, so a supervisor that starts after a crash still knows the containers
// of the one before (CONTRACT.md, Records): <state-dir>/containers/<id>/record.json, rewritten at
// every state change, and spec.json (the effective OCI spec, for inspect --spec), written once.
//
// Every write goes to a temporary file in the same directory and is renamed over the old one, so a
// reader (the next supervisor) sees the previous record or the new one, never half of one. The
// data is not fsync'ed: a killed supervisor loses nothing (the page cache survives it); a power
// cut may lose the last change or leave an empty file, which loading reports and skips.

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

export class RecordStore {
  constructor(readonly dir: string) {}

  /** Makes the directory; throws with the reason when it cannot be made. */
  init(): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  private dirOf(id: string): string {
    return path.join(this.dir, id);
  }

  save(stored: StoredRecord): void {
    const dir = this.dirOf(stored.record.id);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeAtomically(path.join(dir, 'record.json'), JSON.stringify(stored));
  }

  saveSpec(id: string, spec: unknown): void {
    const dir = this.dirOf(id);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeAtomically(path.join(dir, 'spec.json'), JSON.stringify(spec));
  }

  async remove(id: string): Promise<void> {
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

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
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
