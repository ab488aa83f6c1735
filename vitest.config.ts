import { defineConfig } from 'vitest/config';
import { watPlugin } from './tools/wat-plugin.mjs';

export default defineConfig({
  // *.wat imports are assembled WebAssembly kernels, as in the app build.
  plugins: [watPlugin()],
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: run files in parallel processes but not more than the machine has.
    pool: 'forks',
    maxWorkers: 2,
  },
});
