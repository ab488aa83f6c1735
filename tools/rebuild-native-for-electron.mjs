#!/usr/bin/env node
// `npm run electron:rebuild-native`: builds a second copy of better-sqlite3's native addon for
// the installed Electron's ABI into native/electron-<abi>/better_sqlite3.node, leaving the copy
// in node_modules (built for Node by `npm install`) untouched, so the CLI and the tests keep
// working. The Electron app loads the copy through better-sqlite3's `nativeBinding` option
// (main/native.ts). Needs Electron's headers: internet access once, or a populated node-gyp cache.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
const abi = readFileSync(join(dirname(require.resolve('electron/package.json')), 'abi_version'), 'utf8').trim();
const src = dirname(require.resolve('better-sqlite3/package.json'));
const work = mkdtempSync(join(tmpdir(), 'atlas-sqlite-electron-'));
console.log(`Building better-sqlite3 for Electron ${electronVersion} (ABI ${abi}) in ${work}`);
cpSync(src, work, { recursive: true, filter: (p) => !p.includes(`${src}/build`) });
const gyp = require.resolve('node-gyp/bin/node-gyp.js');
const result = spawnSync(process.execPath, [gyp, 'rebuild', '--release', `--target=${electronVersion}`, '--arch=' + process.arch, '--dist-url=https://electronjs.org/headers', '--runtime=electron'], { cwd: work, stdio: 'inherit' });
if (result.status !== 0) {
  console.error('The build failed: Electron headers need internet access once (or set npm_config_nodedir to local Electron headers).');
  process.exit(result.status ?? 1);
}
const out = join(root, 'native', `electron-${abi}`);
mkdirSync(out, { recursive: true });
cpSync(join(work, 'build', 'Release', 'better_sqlite3.node'), join(out, 'better_sqlite3.node'));
rmSync(work, { recursive: true, force: true });
console.log(`Wrote ${join(out, 'better_sqlite3.node')}`);
