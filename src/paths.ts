// Where the repository's files are, whether this code runs compiled (dist/src/...) or from
// source through tsx (src/...), as the tests do.

import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root: the directory holding package.json. */
export const REPO_ROOT = here.includes(`${path.sep}dist${path.sep}`) ? path.resolve(here, '../..') : path.resolve(here, '..');
export const ADDON_PATH = path.join(REPO_ROOT, 'native/build/Release/engine_native.node');
/** the container's first program (native/init), built by make */
export const INIT_PATH = path.join(REPO_ROOT, 'native/bin/engine-init');
export const CLI_ENTRY = path.join(REPO_ROOT, 'dist/src/cli/main.js');
export const DEFAULT_SOCKET = '/tmp/mini_runtime.sock';
