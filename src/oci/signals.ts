// Signals as runc's kill takes them: a number, or a name with or without SIG, any case.

import os from 'node:os';
import { UsageError } from './args.js';

export function parseSignal(given: string | undefined, fallback = 'SIGTERM'): number {
  const raw = (given ?? fallback).trim();
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n < 1 || n > 64) throw new UsageError(`invalid signal number: ${raw}`);
    return n;
  }
  const name = raw.toUpperCase().startsWith('SIG') ? raw.toUpperCase() : `SIG${raw.toUpperCase()}`;
  const n = (os.constants.signals as Record<string, number>)[name];
  if (n === undefined) throw new UsageError(`unknown signal "${raw}"`);
  return n;
}
