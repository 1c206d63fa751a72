// Messages between the pipeline's main-thread side and its workers, shared by both sides.
// Bulk data never travels here: it goes through the rings (ring.ts). These carry set-up and
// per-stream bookkeeping only.

import type { MessagePort } from 'node:worker_threads';

export interface ProducerInit {
  index: number;
  ring: SharedArrayBuffer;
  control: SharedArrayBuffer;
  streams: SharedArrayBuffer;
  /** F_SETPIPE_SZ asked for each attached pipe */
  pipeBytes: number;
  /** upper bound of one read */
  maxRead: number;
  /** wake-up batching: after a round that read less than coalesceBytes, nap this long (µs; 0 = never) */
  coalesceUs: number;
  coalesceBytes: number;
  /** the port the producer drains with receiveMessageOnPort */
  port: MessagePort;
}

export interface ConsumerInit {
  rings: SharedArrayBuffer[];
  control: SharedArrayBuffer;
  streams: SharedArrayBuffer;
  port: MessagePort;
}

/** main -> producer */
export type ToProducer =
  | { type: 'add'; slot: number; fd: number; nonBlocking: boolean; bufferBytes: number };

/** main -> consumer */
export type ToConsumer =
  | { type: 'open'; slot: number; fileFd: number; path: string; maxBytes: number };

/** producer -> main (parentPort) */
export type FromProducer =
  | { type: 'ready'; index: number; wakeFd: number }
  | { type: 'warn'; msg: string; slot?: number }
  | { type: 'stopped'; index: number; cut: number[] };

/** consumer -> main (parentPort) */
export type FromConsumer =
  | { type: 'ready' }
  | { type: 'drained'; slot: number; bytes: number; dropped: number; cut: boolean; error?: string }
  | { type: 'warn'; msg: string; slot?: number }
  | { type: 'stopped' };
