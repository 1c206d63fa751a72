// Every error the supervisor can answer with, in one place. The code travels over the socket;
// the CLI turns any of them into exit status 125 with the message on one line.

import { EXIT_RUNTIME_FAILED } from './exit-status.js';

export type ErrorCode =
  | 'bad_request' // malformed, truncated, oversized or unknown request
  | 'invalid_argument' // a field failed validation
  | 'not_found' // no such container
  | 'conflict' // id taken, rootfs in use
  | 'failed_precondition' // the container is not in a state that allows this
  | 'start_failed' // the container could not be started
  | 'unavailable' // supervisor not reachable (client side)
  | 'busy' // the supervisor is at its connection cap, or its queue is full: nothing was done, try again
  | 'permission_denied' // the peer at the other end of the socket is not one this side serves or trusts
  | 'shutting_down'
  | 'internal';

export class EngineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export const invalid = (message: string) => new EngineError('invalid_argument', message);
export const notFound = (id: string) => new EngineError('not_found', `no such container: ${id}`);
export const conflict = (message: string) => new EngineError('conflict', message);
export const precondition = (message: string) => new EngineError('failed_precondition', message);

/** Exit status of every client-side failure (CONTRACT.md). */
export const CLIENT_ERROR_EXIT = EXIT_RUNTIME_FAILED;
