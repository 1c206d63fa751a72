// The config.json that create copied into the container's directory. It was validated then, so the
// light verbs (start, delete) read it back as it is: importing the spec validator would cost them
// more start-up time than everything else they do.

import fs from 'node:fs';
import path from 'node:path';
import type { RuntimeSpec } from '../spec/config.js';

/** The saved config, or null when there is none (a create killed before it saved it). */
export function readSavedConfig(containerDir: string): RuntimeSpec | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(containerDir, 'config.json'), 'utf8')) as RuntimeSpec;
  } catch {
    return null;
  }
}
