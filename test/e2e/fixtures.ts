// Fixtures shared by the e2e specs: the engine started by global-setup.ts (`srv`), its API over
// HTTP with the launch token (`api`, `apiOk`), the bundled demo run (`demo`), analyses computed
// through the API (`analyse`), pages that fail their test on any console error (`page`, with
// `consoleErrors.allow(re)` for the expected ones), and screenshots (`shot`).
//
// Screenshots go to a temporary folder, or to ATLAS_E2E_SCREENSHOTS when it is set (`npm run
// screenshots` refreshes docs/screenshots/ on purpose, so a plain `npm test` never rewrites
// tracked files). In that mode every view is taken at 1280x720 and at 1600x1000 (the window
// sizes a reader's laptop and desktop have), named `<view>-<width>x<height>.png`.
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base, expect, type Page } from '@playwright/test';

export { expect };

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHOTS_ENV = process.env.ATLAS_E2E_SCREENSHOTS;
export const shotsDir = SHOTS_ENV ? resolve(root, SHOTS_ENV) : join(tmpdir(), 'atlas-e2e-screenshots');
/** The window sizes of the documentation screenshots. */
export const SHOT_SIZES = SHOTS_ENV ? [{ width: 1280, height: 720 }, { width: 1600, height: 1000 }] : [];
/** A weights analysis of a demo run must finish within this. */
export const ANALYSIS_TIMEOUT_MS = Number(process.env.ATLAS_E2E_ANALYSIS_TIMEOUT_MS ?? 8 * 60_000);

export interface Server {
  /** The launch URL with its token. */
  url: string;
  token: string;
  origin: string;
  /** The suite's temporary folder (removed by the teardown). */
  tmp: string;
  /** Folders given to `serve` besides the demo (ATLAS_E2E_OPEN). */
  extraPaths: string[];
}

export interface ApiResult {
  status: number;
  /** The engine's JSON, read by the specs field by field (its types are in common/api.ts). */
  body: any;
}

export type Api = (method: string, body?: object, token?: string | null) => Promise<ApiResult>;
export type ApiOk = (method: string, body?: object) => Promise<any>;

export interface ConsoleErrors {
  /** Errors so far (console.error and uncaught exceptions), less the allowed ones. */
  list(): string[];
  /** Errors matching `re` do not fail the test (e.g. a refused request the test made on purpose). */
  allow(re: RegExp): void;
  /** Called by the page fixture for every error it sees. */
  push(error: string): void;
}

export interface RunSummary {
  id: string;
  name: string;
  source: string;
  checkpointCount: number;
  analysed: string[];
}

interface WorkerFixtures {
  srv: Server;
  api: Api;
  apiOk: ApiOk;
  /** Runs an analysis through the API and waits for its job; a no-op when it is cached. */
  analyse: (runId: string, analyses: string[]) => Promise<void>;
  /** The first bundled demo run (or the first opened run with ATLAS_E2E_OPEN); skips without one. */
  demo: RunSummary;
}

interface TestFixtures {
  consoleErrors: ConsoleErrors;
  /** Screenshot of the page as `name` (see the header for where and at which sizes). */
  shot: (page: Page, name: string, options?: { around?: import('@playwright/test').Locator; pad?: number }) => Promise<void>;
}

export function serverFromEnv(): Server {
  const launch = process.env.ATLAS_E2E_URL;
  if (!launch) throw new Error('ATLAS_E2E_URL is unset: run the suite through playwright.config.ts (its global setup starts the engine)');
  const url = new URL(launch);
  return {
    url: launch,
    token: url.searchParams.get('token') ?? '',
    origin: url.origin,
    tmp: process.env.ATLAS_E2E_TMP ?? tmpdir(),
    extraPaths: (process.env.ATLAS_E2E_EXTRA ?? '').split('\n').filter(Boolean),
  };
}

/** Heatmap panels mount progressively; wait until every panel in the viewport is drawn. */
export async function panelsInViewDrawn(page: Page): Promise<void> {
  await page.waitForFunction(
    () => ![...document.querySelectorAll('.panelgrid [aria-busy=true]')].some((el) => el.getBoundingClientRect().top < innerHeight),
    null,
    { timeout: 30_000 },
  );
}

async function waitForPanels(page: Page): Promise<void> {
  // Panels below the fold are drawn when scrolled near: scroll through once.
  const height = await page.evaluate(() => document.body.scrollHeight);
  for (let y = 0; y < height; y += 600) {
    await page.evaluate((top) => window.scrollTo(0, top), y);
    await page.waitForTimeout(60);
  }
  await page.waitForFunction(() => !document.querySelector('.panelgrid [aria-busy=true]'), null, { timeout: 20_000 }).catch(() => undefined);
  await page.evaluate(() => window.scrollTo(0, 0));
}

export async function takeShot(page: Page, name: string, around?: import('@playwright/test').Locator, pad = 24): Promise<void> {
  mkdirSync(shotsDir, { recursive: true });
  /** The element's box with a margin, inside the viewport (measured again at each size). */
  const clip = async () => {
    const box = (await around!.boundingBox())!;
    const size = page.viewportSize()!;
    const x = Math.max(0, box.x - pad);
    const y = Math.max(0, box.y - pad);
    return { x, y, width: Math.min(box.width + 2 * pad, size.width - x), height: Math.min(box.height + 2 * pad, size.height - y) };
  };
  if (SHOT_SIZES.length === 0) {
    if (around) await page.screenshot({ path: join(shotsDir, `${name}.png`), clip: await clip() });
    else {
      await waitForPanels(page);
      await page.screenshot({ path: join(shotsDir, `${name}.png`), fullPage: true });
    }
    return;
  }
  const original = page.viewportSize();
  for (const size of SHOT_SIZES) {
    await page.setViewportSize(size);
    // Charts resize on a ResizeObserver; give them a frame or two, then draw what is in view.
    await page.waitForTimeout(400);
    if (!around) await page.waitForFunction(() => !document.querySelector('.panelgrid [aria-busy=true]'), null, { timeout: 5_000 }).catch(() => undefined);
    await page.screenshot({ path: join(shotsDir, `${name}-${size.width}x${size.height}.png`), ...(around ? { clip: await clip() } : {}) });
  }
  if (original) {
    await page.setViewportSize(original);
    await page.waitForTimeout(200);
  }
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  srv: [async ({}, use) => use(serverFromEnv()), { scope: 'worker' }],
  api: [
    async ({ srv }, use) => {
      await use(async (method, body = {}, token = srv.token) => {
        const headers: Record<string, string> = { 'Content-Type': 'application/json' };
        if (token !== null) headers.Authorization = `Bearer ${token}`;
        const send = () => fetch(`${srv.origin}/api/${method}`, { method: 'POST', headers, body: JSON.stringify(body) });
        // A spec that blocks this process (spawnSync of the CLI for longer than the server's 5 s
        // keep-alive) finds its pooled connection closed by the server before the request went
        // out ("other side closed", 13-merged-sweep in the full suite): sent again on a new one.
        const res = await send().catch((e: unknown) => {
          const cause = (e as { cause?: { code?: string; message?: string } }).cause;
          if (cause?.code === 'UND_ERR_SOCKET' && cause.message === 'other side closed') return send();
          throw e;
        });
        const json = await res.json().catch(() => null);
        return { status: res.status, body: json };
      });
    },
    { scope: 'worker' },
  ],
  apiOk: [
    async ({ api }, use) => {
      await use(async (method, body = {}) => {
        const r = await api(method, body);
        if (r.status !== 200) throw new Error(`${method} -> ${r.status} ${JSON.stringify(r.body)}`);
        return r.body;
      });
    },
    { scope: 'worker' },
  ],
  analyse: [
    async ({ api, apiOk }, use) => {
      await use(async (runId, analyses) => {
        // A job of this run still running (started from the UI by an earlier test): wait for it.
        let started = await api('startAnalysis', { runId, analyses });
        for (let i = 0; started.status === 409 && started.body?.code === 'busy' && i < ANALYSIS_TIMEOUT_MS / 500; i++) {
          await new Promise((r) => setTimeout(r, 500));
          started = await api('startAnalysis', { runId, analyses });
        }
        if (started.status === 501) base.skip(true, `${analyses.join('+')}: ${started.body?.message}`);
        expect(started.status, `startAnalysis ${analyses} -> ${JSON.stringify(started.body)}`).toBe(200);
        const deadline = Date.now() + ANALYSIS_TIMEOUT_MS;
        for (;;) {
          const { jobs } = await apiOk('listJobs');
          const j = jobs.find((x: { jobId: string }) => x.jobId === started.body.jobId);
          if (j && j.state === 'done') return;
          if (j && (j.state === 'failed' || j.state === 'cancelled')) throw new Error(`${analyses.join('+')} job ${j.state}: ${j.error}`);
          if (Date.now() > deadline) throw new Error(`${analyses.join('+')} did not finish within ${ANALYSIS_TIMEOUT_MS} ms`);
          await new Promise((r) => setTimeout(r, 500));
        }
      });
    },
    { scope: 'worker' },
  ],
  demo: [
    async ({ apiOk, srv }, use) => {
      const { runs } = (await apiOk('listRuns')) as { runs: RunSummary[] };
      const demo = runs.find((r) => r.source === 'demo') ?? (srv.extraPaths.length ? runs[0] : undefined);
      base.skip(!demo, 'no bundled demo run (resources/demo) and nothing opened with ATLAS_E2E_OPEN');
      await use(demo!);
    },
    { scope: 'worker' },
  ],
  consoleErrors: async ({}, use) => {
    const errors: string[] = [];
    const allowed: RegExp[] = [];
    await use({
      list: () => errors.filter((e) => !allowed.some((re) => re.test(e))),
      allow: (re) => void allowed.push(re),
      push: (e) => void errors.push(e),
    });
  },
  page: async ({ page, consoleErrors }, use) => {
    const listen = (p: Page) => {
      p.on('console', (msg) => {
        if (msg.type() === 'error') consoleErrors.push(msg.text());
      });
      p.on('pageerror', (err) => consoleErrors.push(String(err)));
    };
    listen(page);
    page.context().on('page', listen);
    await use(page);
    await page.waitForTimeout(100);
    expect(consoleErrors.list(), 'console errors').toEqual([]);
  },
  shot: async ({}, use) => {
    await use((page, name, options) => takeShot(page, name, options?.around, options?.pad));
  },
});

/** A condition the test needs, with the facts in the message (for checks that are not one equality). */
export function check(cond: unknown, message: string): asserts cond {
  expect(Boolean(cond), message).toBe(true);
}

/** The demo's Animations tab with its weight histogram drawn, and that histogram's Export menu. */
export async function openHistogramExport(page: Page, srv: Server, demo: RunSummary) {
  await page.goto(`${srv.url}#/run/${encodeURIComponent(demo.id)}/animations`);
  await page.locator('[data-testid=anim-histogram] [data-drawn]').waitFor({ timeout: 30_000 });
  const tensor = await page.locator('#an-tensor').inputValue();
  const exportBox = page.locator('[data-testid=export-histogram]');
  return { tensor, exportBox, button: exportBox.locator('[data-testid=export-button]') };
}

/** The API's scalarGrid answer, as the specs read it. */
export interface Grid {
  tensors: Array<{ tensor: string; component: string; kind: string; block: number | null }>;
  checkpointIds: string[];
  steps: Array<number | null>;
  values: Array<Array<number | null>>;
}

/** A checkpoint of getRun's answer, as the specs read it. */
export interface Checkpoint {
  id: string;
  step: number | null;
  missing: boolean;
}

/** The API's frames answer (frames are analysis-specific JSON). */
export interface Series {
  checkpointIds: string[];
  frames: Array<any | null>;
}

/** The bytes of a finished download. */
export async function downloaded(download: import('@playwright/test').Download): Promise<Buffer> {
  const path = await download.path();
  if (!path) throw new Error(`download ${download.suggestedFilename()} has no file`);
  return readFileSync(path);
}

/** Records "text|disabled" of a button at each of its changes, under window[key]. */
export async function recordButtonTexts(button: import('@playwright/test').Locator, key: string): Promise<void> {
  await button.evaluate((el, k) => {
    const w = window as unknown as Record<string, string[]>;
    w[k] = [];
    new MutationObserver(() => w[k].push(`${el.textContent}|${(el as HTMLButtonElement).disabled}`)).observe(el, { childList: true, characterData: true, subtree: true, attributes: true });
  }, key);
}

export async function recordedButtonTexts(page: Page, key: string): Promise<string[]> {
  return page.evaluate((k) => (window as unknown as Record<string, string[]>)[k] ?? [], key);
}

/** Tick exactly these runs in a view's run chooser (the Scaling and Embedding correlation tabs). */
export async function chooseRuns(page: Page, ids: string[]): Promise<void> {
  for (const box of await page.locator('[data-testid=run-choice]').all()) {
    const want = ids.includes((await box.getAttribute('value')) ?? '');
    if ((await box.isChecked()) !== want) await box.setChecked(want);
  }
}
