import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { watPlugin } from './tools/wat-plugin.mjs';

// One build for all three processes. main/ holds several entries: the Electron app, the headless
// CLI (plain Node) and the worker-thread entries (job pool, unpickler); native modules stay external.
export default defineConfig({
  main: {
    // Hand-written WebAssembly kernels (*.wat) are assembled into the bundle (tools/wat-plugin.ts).
    plugins: [watPlugin()],
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          app: resolve(__dirname, 'main/app.ts'),
          cli: resolve(__dirname, 'main/cli.ts'),
          worker: resolve(__dirname, 'main/jobs/worker.ts'),
          // data.pkl is unpickled in a resource-limited thread (main/formats/unpickle-thread.ts).
          'unpickle-worker': resolve(__dirname, 'main/formats/unpickle-worker.ts'),
        },
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(__dirname, 'preload/index.ts') },
        // A sandboxed preload cannot load ES modules: emit CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    build: {
      outDir: 'out/renderer',
      // electron-vite leaves the renderer unminified by default: 2.1 MB instead of 0.9 MB.
      minify: true,
      rollupOptions: { input: { index: resolve(__dirname, 'renderer/index.html') } },
    },
  },
});
