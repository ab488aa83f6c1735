// Issue 15 #7: the run list on a per-user cache that has seen other checkouts of the app. The
// bundled demo is listed once (the demo runs registered from another checkout's folder are not
// this app's demo), and a run whose folder is gone is marked, not listed as if present.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { makeRun } from './make-run';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-runlist-'));
  // Two "checkouts" whose bundled demo is the same run (same name) in different folders.
  makeRun(join(dir, 'checkout-a', 'demo', 'tiny'), { checkpoints: 2 });
  cpSync(join(dir, 'checkout-a'), join(dir, 'checkout-b'), { recursive: true });
  makeRun(join(dir, 'elsewhere', 'my-run'), { checkpoints: 2, seed: 3 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function withEngine<T>(db: string, demoRoot: string, fn: (e: Engine) => Promise<T>): Promise<T> {
  const store = new Store(db);
  const engine = new Engine({ store, carrier: 'http', demoRoots: [demoRoot], scanHubCache: false, defaultThreads: 0 });
  try {
    return await fn(engine);
  } finally {
    await engine.close();
    store.close();
  }
}

describe('run list', () => {
  it('lists this checkout’s demo once, and marks a run whose folder is gone', async () => {
    const db = join(dir, 'atlas.sqlite');
    await withEngine(db, join(dir, 'checkout-a', 'demo'), async (e) => {
      expect((await e.listRuns({})).runs.filter((r) => r.source === 'demo').map((r) => r.root)).toEqual([join(dir, 'checkout-a', 'demo', 'tiny')]);
      await e.openPaths({ paths: [join(dir, 'elsewhere', 'my-run')] });
    });
    rmSync(join(dir, 'elsewhere'), { recursive: true, force: true });
    const runs = await withEngine(db, join(dir, 'checkout-b', 'demo'), async (e) => (await e.listRuns({})).runs);
    const demos = runs.filter((r) => r.source === 'demo');
    expect(demos.map((r) => r.root), 'only checkout-b’s demo').toEqual([join(dir, 'checkout-b', 'demo', 'tiny')]);
    const mine = runs.find((r) => r.name === 'my-run');
    expect(mine?.folderMissing, 'the opened run whose folder was deleted is marked').toBe(true);
    expect(demos[0].folderMissing).toBeUndefined();
  });
});
