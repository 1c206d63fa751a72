// Small output helpers shared by verbs.
import type { ContainerRecord } from '../protocol/messages.js';
import { CLIENT_ERROR_EXIT } from '../errors.js';

/** A container that could not run its command: one line, and the status the supervisor recorded
 *  for it (127 not found, 126 not executable, else 125: src/exit-status.ts). */
export function failedStartExit(r: ContainerRecord): void {
  process.stderr.write(`engine: container ${r.id} failed to start: ${r.reason}\n`);
  process.exitCode = r.exitCode ?? CLIENT_ERROR_EXIT;
}
