// Playwright Test configuration of the end-to-end suite: one spec per surface of the explorer
// (test/e2e/*.spec.ts), sharing fixtures (fixtures.ts), against one `checkpoint-atlas serve` on a
// fresh cache database started by global-setup.ts. The browser is Debian's /usr/bin/chromium
// through `executablePath`: Playwright never downloads one. The specs run in one worker, in file
// order (their numeric prefixes follow the order a new user would take); each spec computes the
// analyses it needs through the API, so a single spec can also run alone:
//   npx playwright test -c test/e2e/playwright.config.ts 07-svd-directions
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export default defineConfig({
  testDir: '.',
  testMatch: /\.spec\.ts$/,
  globalSetup: './global-setup.ts',
  // One worker: the specs share one engine (and this machine's two cores); an analysis of the
  // demo run takes minutes on a loaded machine, hence the long test timeout.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 10 * 60_000,
  expect: { timeout: 30_000 },
  forbidOnly: true,
  reporter: [['list']],
  // Per checkout: several worktrees run their suites on one machine, and each run empties it.
  outputDir: join(tmpdir(), `atlas-e2e-results-${basename(join(dirname(fileURLToPath(import.meta.url)), '..', '..'))}`),
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS },
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    acceptDownloads: true,
    actionTimeout: 30_000,
    screenshot: 'only-on-failure',
  },
});
