// Where the project's own files are at run time. The built entries live in out/main/ and the
// sources in main/: both two levels below the project root, so one rule serves the CLI, the
// Electron app, the worker threads and the tests.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

let cached: string | null = null;

export function projectRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(resolve(dir, 'package.json')) && existsSync(resolve(dir, 'resources'))) return (cached = dir);
    dir = dirname(dir);
  }
  return (cached = resolve(dirname(fileURLToPath(import.meta.url)), '..'));
}

/** The built renderer served over HTTP and loaded by the Electron window. */
export function rendererDir(): string {
  return resolve(projectRoot(), 'out', 'renderer');
}

/** The worker-thread entry built by electron-vite. */
export function workerScript(): string {
  return resolve(projectRoot(), 'out', 'main', 'worker.js');
}
