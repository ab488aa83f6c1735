// `npm run fuzz`: bundles the TypeScript fuzz harness (test/fuzz/cli.ts and its worker, with the
// readers from main/) into a temporary folder with rolldown (already installed as vite's bundler;
// the electron-vite build does not expose the readers as entries), then runs it. Budget and
// options come from the environment; see test/fuzz/cli.ts and docs/FUZZING.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'rolldown';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Bundle cli.ts and worker.ts (everything but Node's built-ins inlined) into `outDir`. */
export async function bundleFuzzer(outDir) {
  await build({
    input: { cli: join(repoRoot, 'test/fuzz/cli.ts'), worker: join(repoRoot, 'test/fuzz/worker.ts') },
    platform: 'node',
    logLevel: 'warn',
    output: { dir: outDir, format: 'esm', entryFileNames: '[name].mjs', chunkFileNames: '[name]-[hash].mjs', sourcemap: true },
  });
  return { cli: join(outDir, 'cli.mjs'), worker: join(outDir, 'worker.mjs') };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outDir = mkdtempSync(join(tmpdir(), 'atlas-fuzz-bundle-'));
  let code = 1;
  try {
    const files = await bundleFuzzer(outDir);
    process.setSourceMapsEnabled(true);
    const cli = await import(pathToFileURL(files.cli).href);
    code = await cli.main(repoRoot, files.worker, process.env);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  process.exit(code);
}
