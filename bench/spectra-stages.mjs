#!/usr/bin/env node
// Harness, not part of `npm run bench`: the spectra unit's stages on one checkpoint, one
// onnxruntime thread, process CPU per stage (bench/spectra-stages.ts). Usage:
//   node bench/spectra-stages.mjs CHECKPOINT_FOLDER [GRAM_CACHE] [OUT] [REFERENCE]
// The first run computes and caches the Grams (read + Gram timed); later runs with the same
// cache time the eigenvalue stages alone (REPEAT=k repeats them). OUT receives every singular
// value; REFERENCE (an earlier OUT) gives the largest difference relative to each s_max.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = join(root, 'bench', '.tmp');
mkdirSync(tmp, { recursive: true });
const lib = join(tmp, 'spectra-stages-lib.mjs');
const { build } = await import('rolldown');
const { watPlugin } = await import('../tools/wat-plugin.mjs');
await build({
  input: join(root, 'bench', 'spectra-stages.ts'),
  platform: 'node',
  external: [/^node:/, 'onnxruntime-node', /^[a-z@]/],
  output: { file: lib, format: 'esm' },
  logLevel: 'silent',
  plugins: [watPlugin()],
});
const [folder, gramFile = join(tmp, 'spectra-stages.grams.f64'), out = join(tmp, 'spectra-stages.out.f64'), ref] = process.argv.slice(2);
const { main } = await import(pathToFileURL(lib).href);
await main(folder, gramFile, out, ref);
