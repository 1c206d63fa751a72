// The contract between the supervisor and the log pipeline. The supervisor creates one pipe per
// container (the container's stdout and stderr both point at its write end), hands the read end to
// attach(), and waits on drained() before it records the container's final state or answers `run`.

export type LogMode = 'blocking' | 'non-blocking';

export interface LogAttachOptions {
  /** blocking (default): a full ring stops reading, so the container's writes block. */
  mode?: LogMode;
  /** non-blocking mode only: bytes buffered before output is dropped (counted). */
  bufferBytes?: number;
  /** rotate <id>.log to <id>.log.1 when it passes this size; 0/undefined = never. */
  maxBytes?: number;
}

export interface LogDrainResult {
  /** bytes written to the log file for this container */
  bytes: number;
  /** bytes dropped (non-blocking mode only; 0 otherwise) */
  dropped: number;
  /** true if close() stopped reading before the pipe reached EOF (bytes still in the pipe were never read) */
  cut?: boolean;
  /** set if the log file could not be opened or written (the stream was still drained) */
  error?: string;
}

export interface LogStats {
  bytes: number;
  dropped: number;
}

export interface LogPipeline {
  /** Starts the workers. Resolves when they are ready. */
  start(): Promise<void>;
  /**
   * Takes ownership of readFd (the read end of the container's output pipe; the pipeline closes it).
   * Output goes to logPath (created/truncated). Must not throw for a valid fd.
   */
  attach(id: string, readFd: number, logPath: string, options?: LogAttachOptions): void;
  /** Resolves once the pipe reached EOF and every byte read is written to the file. */
  drained(id: string): Promise<LogDrainResult>;
  /** Live counters for inspect; undefined for unknown ids. */
  stats(id: string): LogStats | undefined;
  /** Forgets a drained container (engine rm). */
  forget(id: string): void;
  /**
   * Shutdown: stops reading from pipes that never close (after graceMs), writes every byte already
   * read, closes files and workers. Must finish in bounded time whatever the containers do.
   */
  close(graceMs?: number): Promise<void>;
}
