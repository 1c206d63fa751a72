// runc's --log and --log-format: every error goes to stderr and, with --log FILE, is appended to
// FILE as one line ({"level":"error","msg":...,"time":...} with --log-format json, logrus's text
// form otherwise). Callers show the last line (containerd's shim) or parse the file as one JSON
// object (podman, through conmon): the root cause is the last line written.

import fs from 'node:fs';

export interface LogOptions {
  file?: string;
  format: 'text' | 'json';
  debug: boolean;
}

let options: LogOptions = { format: 'text', debug: false };

export function configureLog(o: LogOptions): void {
  options = o;
}

function line(level: string, msg: string): string {
  const time = new Date().toISOString();
  if (options.format === 'json') return `${JSON.stringify({ level, msg, time })}\n`;
  return `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
}

function append(level: string, msg: string): void {
  if (!options.file) return;
  try {
    fs.appendFileSync(options.file, line(level, msg));
  } catch {
    /* the log is the caller's: an unwritable one must not hide the error on stderr */
  }
}

/** The error that ends the command: stderr and the log. */
export function logError(msg: string): void {
  process.stderr.write(`engine-oci: ${msg}\n`);
  append('error', msg);
}

export function logWarning(msg: string): void {
  process.stderr.write(`engine-oci: warning: ${msg}\n`);
  append('warning', msg);
}

export function logDebug(msg: string): void {
  if (!options.debug) return;
  append('debug', msg);
}
