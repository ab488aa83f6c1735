#!/usr/bin/env node
// `checkpoint-atlas` (npx checkpoint-atlas, npm start): builds the app with electron-vite when the
// build is missing or older than the sources, then runs the headless CLI (out/main/cli.js).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'out', 'main', 'cli.js');

function newestMtime(path) {
  let newest = 0;
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, name)));
  }
  return newest;
}

function buildIsStale() {
  const built = statSync(entry, { throwIfNoEntry: false });
  if (!built || !existsSync(join(root, 'out', 'renderer', 'index.html'))) return true;
  const sources = ['main', 'common', 'preload', 'renderer', 'electron.vite.config.ts', 'package.json'].map((p) => newestMtime(join(root, p)));
  return Math.max(...sources) > built.mtimeMs;
}

if (process.env.ATLAS_SKIP_BUILD !== '1' && buildIsStale()) {
  process.stderr.write('Building Checkpoint Atlas (electron-vite build)...\n');
  const bin = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  const result = spawnSync(process.execPath, [bin, 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) {
    process.stderr.write('checkpoint-atlas: the build failed (see above); run `npm run build` for details.\n');
    process.exit(result.status ?? 1);
  }
}

await import(pathToFileURL(entry).href);
