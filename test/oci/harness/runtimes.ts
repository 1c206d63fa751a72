// The runtimes every scenario runs against, side by side, so that a difference shows as a
// difference: runc (Debian's, the reference) and the project's own engine-oci once it is built.

import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../../src/paths.js';

export type RuntimeName = 'runc' | 'engine';

export interface Runtime {
  name: RuntimeName;
  /** The executable the callers are given (a capture wrapper of the same basename in capture mode). */
  path: string;
  /** The real binary behind `path`. */
  binary: string;
  /** Why this runtime's scenarios are skipped, or null when they run. */
  skip: string | null;
}

export const RUNC_BINARY = fs.existsSync('/usr/bin/runc') ? '/usr/bin/runc' : '/usr/sbin/runc';
export const ENGINE_OCI_BINARY = path.join(REPO_ROOT, 'engine-oci');

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Every known runtime with its skip reason; `only` narrows the list (the --runtime option). */
export function knownRuntimes(only: RuntimeName[] = []): Runtime[] {
  const all: Runtime[] = [
    { name: 'runc', path: RUNC_BINARY, binary: RUNC_BINARY, skip: isExecutable(RUNC_BINARY) ? null : `${RUNC_BINARY} is not installed` },
    { name: 'engine', path: ENGINE_OCI_BINARY, binary: ENGINE_OCI_BINARY, skip: isExecutable(ENGINE_OCI_BINARY) ? null : 'engine-oci is not built yet' },
  ];
  return only.length ? all.filter((r) => only.includes(r.name)) : all;
}

export function isRuntimeName(s: string): s is RuntimeName {
  return s === 'runc' || s === 'engine';
}
