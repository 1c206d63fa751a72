// Small output helpers shared by verbs.
import type { ContainerRecord } from '../protocol/messages.js';
import { CLIENT_ERROR_EXIT } from '../errors.js';

/** A container that could not run its command: one line, and 127/126 for exec, else 125. */
export function failedStartExit(r: ContainerRecord): void {
  process.stderr.write(`engine: container ${r.id} failed to start: ${r.reason}\n`);
  process.exitCode = r.exitCode === 126 || r.exitCode === 127 ? r.exitCode : CLIENT_ERROR_EXIT;
}
