// Small readers for untrusted JSON that name the JSON path and the rule when they refuse a value.
//
// Why hand-written and not zod: engine-oci pays this module's import on every `create`, and these
// checks cost nothing to load (docs/security.md, "Cost": import times). Every reader returns a fresh
// value, so what parseConfig returns holds no unknown fields and no aliasing with the caller's JSON.
// JSON null counts as absent, as it does for Go's encoding/json that writes most config.json files.

import { EngineError } from '../errors.js';

export class SpecError extends EngineError {
  constructor(
    readonly path: string,
    readonly rule: string,
  ) {
    super('invalid_argument', path ? `${path}: ${rule}` : rule);
    this.name = 'SpecError';
  }
}

export function fail(path: string, rule: string): never {
  throw new SpecError(path, rule);
}

/** A value as the error message shows it: short JSON. */
export function shown(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = typeof v === 'bigint' ? v.toString() : JSON.stringify(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export const at = (path: string, key: string | number) =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;

export type Reader<T> = (v: unknown, path: string) => T;

export function object(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, `must be an object, got ${shown(v)}`);
  return v as Record<string, unknown>;
}

/** obj[key] read with `read`, or undefined when absent or null. */
export function opt<T>(obj: Record<string, unknown>, key: string, path: string, read: Reader<T>): T | undefined {
  const v = obj[key];
  return v === undefined || v === null ? undefined : read(v, at(path, key));
}

export function req<T>(obj: Record<string, unknown>, key: string, path: string, read: Reader<T>): T {
  const v = obj[key];
  if (v === undefined || v === null) fail(at(path, key), 'is required');
  return read(v, at(path, key));
}

/** Copies the defined entries of `fields` (so optional fields stay absent rather than undefined). */
export function defined<T extends object>(fields: T): T {
  const out = {} as T;
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

export const string: Reader<string> = (v, path) => {
  if (typeof v !== 'string') fail(path, `must be a string, got ${shown(v)}`);
  return v;
};

export const nonEmptyString: Reader<string> = (v, path) => {
  const s = string(v, path);
  if (s === '') fail(path, 'must not be empty');
  return s;
};

export const bool: Reader<boolean> = (v, path) => {
  if (typeof v !== 'boolean') fail(path, `must be true or false, got ${shown(v)}`);
  return v;
};

/** An integer in [min, max]; the rule names the range in words for the common cases. */
export function int(min: number, max: number): Reader<number> {
  return (v, path) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      fail(path, `must be ${min >= 0 ? 'a non-negative integer' : 'an integer'}, got ${shown(v)}`);
    }
    if (v < min) fail(path, min === 0 ? `must be a non-negative integer, got ${v}` : `must be at least ${min}, got ${v}`);
    if (v > max) fail(path, `must be at most ${max}, got ${v}`);
    return v;
  };
}

export const uint32 = int(0, 0xffff_ffff);
/** uids and gids: (uid_t)-1 means "no change" to the kernel, so it is not a valid id. */
export const id32 = int(0, 0xffff_fffe);
export const uint64 = int(0, Number.MAX_SAFE_INTEGER);
export const int64 = int(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);

export function array<T>(each: Reader<T>): Reader<T[]> {
  return (v, path) => {
    if (!Array.isArray(v)) fail(path, `must be an array, got ${shown(v)}`);
    return v.map((item, i) => each(item, at(path, i)));
  };
}

/** A JSON object used as a map; keys are checked by `key`, values by `each`. */
export function record<T>(each: Reader<T>, key?: (k: string, path: string) => void): Reader<Record<string, T>> {
  return (v, path) => {
    const obj = object(v, path);
    const out: Record<string, T> = {};
    for (const [k, item] of Object.entries(obj)) {
      key?.(k, at(path, k));
      out[k] = each(item, at(path, k));
    }
    return out;
  };
}

export function oneOf<T extends string>(values: readonly T[], what: string): Reader<T> {
  return (v, path) => {
    const s = string(v, path);
    if (!(values as readonly string[]).includes(s)) fail(path, `unknown ${what} ${shown(s)}`);
    return s as T;
  };
}

export const absolutePath: Reader<string> = (v, path) => {
  const s = string(v, path);
  if (!s.startsWith('/')) fail(path, `must be an absolute path, got ${shown(s)}`);
  if (s.includes('\0')) fail(path, 'must not contain a NUL byte');
  return s;
};

/** Throws when two entries share a key (names the second one). */
export function unique<T>(items: T[] | undefined, path: string, key: (item: T) => string, what: string, field?: string): void {
  const seen = new Set<string>();
  items?.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k)) fail(field ? at(at(path, i), field) : at(path, i), `duplicate ${what} ${shown(k)}`);
    seen.add(k);
  });
}
