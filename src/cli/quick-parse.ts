// The plain command lines of a verb, parsed without loading commander.
//
// Why: loading commander is about a tenth of a bare Node's start-up, and `engine ps` and
// `engine run` are meant to start within 15% and 40% of it (docs/cli.md). A verb still defines
// itself once, with commander's chain (register(program)); here that chain is recorded by a
// stand-in, and a command line made only of known options and the right number of operands runs
// the verb's action directly. Anything else (--help, an unknown option, a missing operand, a bad
// choice, a definition using more of commander than recorded here) returns null, and commander
// parses it, with its own help and messages.

type Action = (...args: unknown[]) => unknown;

interface OptionDef {
  short?: string;
  long: string;
  key: string;
  takesValue: boolean;
  parser?: (value: string, previous: unknown) => unknown;
  defaultValue?: unknown;
  choices?: string[];
}

interface ArgumentDef {
  required: boolean;
  variadic: boolean;
}

class Unsupported extends Error {}

const camel = (long: string) => long.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function optionDef(flags: string): OptionDef {
  const m = /^(?:(-[A-Za-z]),\s*)?(--[a-z][a-z0-9-]*)(?:\s+<[^>]+>)?$/.exec(flags.trim());
  if (!m || m[2].startsWith('--no-')) throw new Unsupported(flags); // optional values, negation: commander's
  return { short: m[1], long: m[2], key: camel(m[2]), takesValue: flags.includes('<') };
}

/** An option made by program.createOption(): records .choices() and .default(). */
class OptionStub {
  constructor(readonly def: OptionDef) {}
  choices(values: string[]): this {
    this.def.choices = [...values];
    return this;
  }
  default(value: unknown): this {
    this.def.defaultValue = value;
    return this;
  }
}

/** Stands in for commander's Command while a verb registers itself. */
class Recorder {
  readonly options: OptionDef[] = [];
  readonly args: ArgumentDef[] = [];
  run: Action | null = null;
  command(): this {
    return this;
  }
  description(): this {
    return this;
  }
  addHelpText(): this {
    return this;
  }
  argument(spec: string): this {
    const m = /^([<[])[^>\]]*?(\.\.\.)?[>\]]$/.exec(spec.trim());
    if (!m) throw new Unsupported(spec);
    this.args.push({ required: m[1] === '<', variadic: m[2] !== undefined });
    return this;
  }
  option(flags: string, _description?: string, parserOrDefault?: unknown, defaultValue?: unknown): this {
    const def = optionDef(flags);
    if (typeof parserOrDefault === 'function') {
      def.parser = parserOrDefault as OptionDef['parser'];
      def.defaultValue = defaultValue;
    } else {
      def.defaultValue = parserOrDefault;
    }
    this.options.push(def);
    return this;
  }
  createOption(flags: string): OptionStub {
    return new OptionStub(optionDef(flags));
  }
  addOption(option: unknown): this {
    if (!(option instanceof OptionStub)) throw new Unsupported('addOption');
    this.options.push(option.def);
    return this;
  }
  action(fn: Action): this {
    this.run = fn;
    return this;
  }
}

function parse(rec: Recorder, argv: string[]): unknown[] | null {
  const opts: Record<string, unknown> = {};
  const operands: string[] = [];
  const set = (o: OptionDef, value: string | true): boolean => {
    if (typeof value === 'string' && o.choices && !o.choices.includes(value)) return false;
    opts[o.key] = o.parser && typeof value === 'string' ? o.parser(value, opts[o.key] ?? o.defaultValue) : value;
    return true;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const o = rec.options.find((d) => d.long === (eq > 0 ? a.slice(0, eq) : a));
      if (!o) return null;
      if (!o.takesValue) {
        if (eq > 0 || !set(o, true)) return null;
        continue;
      }
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined || !set(o, value)) return null;
    } else if (a.startsWith('-') && a.length > 1) {
      const o = rec.options.find((d) => d.short === a.slice(0, 2));
      if (!o) return null;
      if (!o.takesValue) {
        if (a.length > 2 || !set(o, true)) return null;
        continue;
      }
      const value = a.length > 2 ? a.slice(2) : argv[++i];
      if (value === undefined || !set(o, value)) return null;
    } else {
      operands.push(a);
    }
  }
  for (const o of rec.options) if (!(o.key in opts) && o.defaultValue !== undefined) opts[o.key] = o.defaultValue;
  const values: unknown[] = [];
  let next = 0;
  for (const d of rec.args) {
    if (d.variadic) {
      const rest = operands.slice(next);
      if (d.required && rest.length === 0) return null;
      values.push(rest);
      next = operands.length;
    } else {
      if (d.required && next >= operands.length) return null;
      values.push(operands[next++]);
    }
  }
  if (next < operands.length) return null; // too many: commander says so
  return [...values, opts];
}

/**
 * Runs the verb's action for a plain command line (argv after the verb, already preprocessed),
 * or returns null when commander must parse it.
 */
export function quickRun(register: (program: never) => void, argv: string[]): Promise<unknown> | null {
  const rec = new Recorder();
  try {
    register(rec as never);
  } catch {
    return null; // the definition uses more of commander than recorded here
  }
  const parsed = rec.run ? parse(rec, argv) : null;
  return parsed ? Promise.resolve(rec.run!(...parsed, rec)) : null;
}
