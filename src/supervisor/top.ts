// engine top: the processes of a running container, found by its PID namespace (exec'd processes
// included), with their pids on the host and inside.

import fs from 'node:fs';
import { precondition } from '../errors.js';
import type { TopProcess } from '../protocol/messages.js';
import type { Container } from './container.js';

function readProc(pid: number, file: string): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null; // it ended while we looked
  }
}

function field(status: string, name: string): string | undefined {
  return new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1];
}

export function topOf(c: Container): TopProcess[] {
  const pid = c.record.pid;
  if (c.record.state !== 'running' || pid === null || c.exitSeen) throw precondition(`container ${c.record.id} is not running (${c.record.state})`);
  let ns: string;
  try {
    ns = fs.readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    throw precondition(`container ${c.record.id} is not running`);
  }
  const out: TopProcess[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = Number(name);
    try {
      if (fs.readlinkSync(`/proc/${p}/ns/pid`) !== ns) continue;
    } catch {
      continue;
    }
    const status = readProc(p, 'status');
    if (!status) continue;
    const nspid = field(status, 'NSpid')?.split(/\s+/);
    const cmdline = readProc(p, 'cmdline');
    const command = cmdline ? cmdline.replace(/\0+$/, '').split('\0').join(' ') : '';
    out.push({
      pid: p,
      containerPid: nspid && nspid.length > 1 ? Number(nspid[nspid.length - 1]) : null,
      ppid: Number(field(status, 'PPid') ?? 0),
      user: Number(field(status, 'Uid')?.split(/\s+/)[0] ?? 0),
      command: command || `[${field(status, 'Name') ?? '?'}]`,
    });
  }
  return out.sort((a, b) => (a.containerPid ?? 0) - (b.containerPid ?? 0));
}
