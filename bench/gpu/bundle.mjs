#!/usr/bin/env node
// Bundles bench/gpu/check.ts into one ES module for the GPU machine (which has no npm): every
// dependency inlined except onnxruntime-node (a native binding, carried beside the bundle).
// Usage: node bench/gpu/bundle.mjs OUT_FILE
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { watPlugin } from '../../tools/wat-plugin.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = resolve(process.argv[2] ?? join(root, '.gpu', 'b', 'pkg', 'check.mjs'));
await build({
  configFile: false,
  logLevel: 'warn',
  plugins: [watPlugin()], // the eigensolver's WebAssembly kernels (*.wat)
  ssr: { noExternal: true, external: ['onnxruntime-node'] },
  build: {
    ssr: join(root, 'bench', 'gpu', 'check.ts'),
    outDir: dirname(out),
    emptyOutDir: false,
    minify: false,
    rollupOptions: { external: ['onnxruntime-node'], output: { format: 'es', entryFileNames: basename(out) } },
  },
});
