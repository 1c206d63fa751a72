// Exit statuses with a meaning (CONTRACT.md, "States and exit status"), decided here and nowhere
// else: the supervisor records them, `run` and the OCI runtime exit with them, the CLI uses 125 for
// its own failures. The container's first process uses the same numbers (native/src/spawn_status.h)
// when it exits before its command runs.

/** Docker's "the runtime failed": a client-side error, or a start that failed before exec. */
export const EXIT_RUNTIME_FAILED = 125;
/** The shell's "found but not executable". */
export const EXIT_NOT_EXECUTABLE = 126;
/** The shell's "command not found". */
export const EXIT_NOT_FOUND = 127;

/** The command's exit code, or 128 + the signal number (137 for SIGKILL, 143 for SIGTERM). */
export function exitStatus(exitCode: number | null, signal: number | null): number | null {
  if (exitCode !== null) return exitCode;
  if (signal !== null) return 128 + signal;
  return null;
}

/** The status of a container whose start failed at `step` with `errnoName` (e.g. 'exec', 'ENOENT'). */
export function startFailureStatus(step: string, errnoName: string): number {
  if (step !== 'exec') return EXIT_RUNTIME_FAILED;
  return errnoName === 'ENOENT' || errnoName === 'ENOTDIR' ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
}
