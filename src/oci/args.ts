// runc's command-line grammar, by hand (no CLI framework: every verb is a process, and `state`,
// `kill`, `start` and `delete` must start fast). Global flags before the verb; a verb's flags
// before its positional arguments; `--flag value` and `--flag=value`; `--` ends the flags.

export interface FlagSpec {
  /** flags that take a value (long names without dashes; single letters for short ones) */
  values: string[];
  /** flags that take none */
  booleans: string[];
  /** flags that may be given several times (values collect into an array) */
  repeatable?: string[];
  /** stop at the first positional argument (exec: the command's own flags follow) */
  stopAtPositional?: boolean;
}

export interface Parsed {
  flags: Map<string, string | true | string[]>;
  args: string[];
}

export class UsageError extends Error {}

export function parseFlags(argv: string[], spec: FlagSpec): Parsed {
  const flags = new Map<string, string | true | string[]>();
  const args: string[] = [];
  const set = (name: string, value: string | true) => {
    if (spec.repeatable?.includes(name)) {
      const prev = flags.get(name);
      flags.set(name, [...(Array.isArray(prev) ? prev : []), value as string]);
    } else flags.set(name, value);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      args.push(a);
      if (spec.stopAtPositional) {
        args.push(...argv.slice(i + 1));
        break;
      }
      continue;
    }
    const eq = a.indexOf('=');
    const raw = (eq > 0 ? a.slice(0, eq) : a).replace(/^--?/, '');
    if (spec.values.includes(raw)) {
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`flag needs an argument: ${a}`);
      set(raw, value);
    } else if (spec.booleans.includes(raw)) {
      if (eq > 0) {
        const v = a.slice(eq + 1);
        if (v === 'false') continue;
        if (v !== 'true') throw new UsageError(`invalid boolean value "${v}" for ${raw}`);
      }
      set(raw, true);
    } else {
      throw new UsageError(`flag provided but not defined: ${a}`);
    }
  }
  return { flags, args };
}

export const str = (p: Parsed, name: string): string | undefined => {
  const v = p.flags.get(name);
  return typeof v === 'string' ? v : undefined;
};
export const bool = (p: Parsed, name: string): boolean => p.flags.get(name) === true;
export const list = (p: Parsed, name: string): string[] => {
  const v = p.flags.get(name);
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
};
