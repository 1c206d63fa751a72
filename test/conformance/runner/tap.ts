// TAP as the validation programs print it: "ok N - desc", "not ok N - desc", "# SKIP reason"
// directives, YAML diagnostics indented under a point, and the plan "1..N" (first or last).

export interface TapCase {
  n: number;
  ok: boolean;
  skip: boolean;
  description: string;
  /** The YAML block under the point, as printed (for the report). */
  diagnostic: string;
}

export interface TapResult {
  cases: TapCase[];
  /** The plan's N, or null when the stream has none (the program died before printing it). */
  planned: number | null;
}

const pointRe = /^(not ok|ok)\s+(\d+)\s*(?:-\s*)?(.*)$/;

export function parseTap(text: string): TapResult {
  const cases: TapCase[] = [];
  let planned: number | null = null;
  for (const line of text.split('\n')) {
    const plan = /^1\.\.(\d+)/.exec(line);
    if (plan) { planned = Number(plan[1]); continue; }
    const m = pointRe.exec(line);
    if (m) {
      const [, status, n, rest] = m;
      const directive = /\s#\s*(SKIP|TODO)\b.*$/i.exec(rest);
      cases.push({
        n: Number(n),
        ok: status === 'ok',
        skip: directive !== null && directive[1].toUpperCase() === 'SKIP',
        description: (directive ? rest.slice(0, directive.index) : rest).trim(),
        diagnostic: '',
      });
      continue;
    }
    if (cases.length > 0 && /^\s+\S/.test(line)) cases[cases.length - 1].diagnostic += line.trim() + '\n';
  }
  return { cases, planned };
}
