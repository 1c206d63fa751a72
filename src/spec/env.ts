// The container's environment from Docker's flags: -e/--env NAME=VALUE (or NAME alone: the
// client's own value), --env-file FILE (one NAME=VALUE a line, # comments). Shared by the client,
// which reads env files and the client's environment, and the supervisor, which checks again what
// arrives on the socket. No imports: the CLI's start-up loads this file.

/** Why `entry` cannot be an environment entry, or null when it can. */
export function envProblem(entry: string): string | null {
  const eq = entry.indexOf('=');
  const name = eq < 0 ? entry : entry.slice(0, eq);
  if (name === '') return 'the variable name is empty';
  if (/\s/.test(name)) return `the variable name ${JSON.stringify(name)} contains white space`;
  if (entry.includes('\0')) return 'it contains a NUL byte';
  return null;
}

const quoted = (s: string) => JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}...` : s);

/** The one-line refusal of a bad entry, naming where it came from ("-e", "--env-file F line 3:"). */
export function envError(where: string, entry: string, problem: string): Error {
  return new Error(`${where} ${quoted(entry)}: ${problem}`);
}

/** NAME=VALUE as given; NAME alone takes the value from `from` (dropped when it has none). */
export function resolveEnvEntry(entry: string, where: string, from: NodeJS.ProcessEnv): string | null {
  const problem = envProblem(entry);
  if (problem) throw envError(where, entry, problem);
  if (entry.includes('=')) return entry;
  const value = from[entry];
  return value === undefined ? null : `${entry}=${value}`;
}

/** The entries of an env file (Docker's format): blank lines and lines starting with # are skipped. */
export function parseEnvFile(text: string, file: string, from: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    // Leading white space is not part of the name (Docker trims it too).
    const entry = resolveEnvEntry(line.trimStart(), `--env-file ${file} line ${i + 1}:`, from);
    if (entry !== null) out.push(entry);
  });
  return out;
}

/** One entry per name, at the place of its first appearance, with the value of its last. */
export function mergeEnv(entries: readonly string[]): string[] {
  const byName = new Map<string, string>();
  for (const e of entries) byName.set(e.slice(0, Math.max(0, e.indexOf('='))), e);
  return [...byName.values()];
}
