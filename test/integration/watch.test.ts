// A shown run's folder is watched: when a training run writes its next checkpoint, the engine
// rescans the run by itself and says runs-changed, and the run then lists the new checkpoint.
// RunWatcher's own rules: one callback per burst of changes, files written into a new folder are
// seen, nothing after close().
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { RunWatcher } from '../../main/api/watch';
import { makeRun, type MadeRun } from './make-run';

let dir: string;
let made: MadeRun;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for the watcher');
    await sleep(50);
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-watch-'));
  made = makeRun(join(dir, 'run'), { checkpoints: 4, d: 8, layers: 1, vocab: 300 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('watching shown runs', () => {
  it('a checkpoint written while the run is shown appears without reopening it', async () => {
    const last = made.steps[made.steps.length - 1];
    const lastFolder = join(made.root, `step_${last}`);
    const parked = join(dir, 'parked');
    renameSync(lastFolder, parked);
    const store = new Store(join(dir, 'cache.sqlite'));
    const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false, defaultThreads: 0, watchSettleMs: 200 });
    try {
      const opened = await engine.openPaths({ paths: [made.root] });
      const runId = opened.runs[0].id;
      const steps = async (): Promise<Array<number | null>> => ((await engine.getRun({ runId })).run as { checkpoints: Array<{ step: number | null }> }).checkpoints.map((c) => c.step);
      expect(await steps()).toEqual(made.steps.slice(0, -1)); // getRun starts the watch
      let changed = 0;
      engine.subscribe((e) => {
        if (e.type === 'runs-changed') changed++;
      });
      renameSync(parked, lastFolder);
      await until(() => changed > 0);
      expect(await steps()).toEqual(made.steps);
      expect((await engine.listRuns({})).runs.find((r) => r.id === runId)!.checkpointCount).toBe(made.steps.length);
    } finally {
      await engine.close();
      store.close();
    }
  });

  it('calls back once per burst, sees files written into a new folder, and stops on close', async () => {
    const root = join(dir, 'raw');
    mkdirSync(root);
    const calls: string[] = [];
    const watcher = new RunWatcher((id) => calls.push(id), 1000);
    watcher.watch('r', root);
    expect(watcher.isWatching('r')).toBe(true);
    mkdirSync(join(root, 'step_1'));
    for (let i = 0; i < 5; i++) {
      writeFileSync(join(root, 'step_1', `part${i}`), 'x');
      await sleep(10);
    }
    await until(() => calls.length > 0);
    await sleep(400);
    expect(calls).toEqual(['r']);
    // A file written later inside the new folder (depth 1) is seen too.
    writeFileSync(join(root, 'step_1', 'model.safetensors'), 'y');
    await until(() => calls.length > 1);
    watcher.close();
    expect(watcher.isWatching('r')).toBe(false);
    writeFileSync(join(root, 'step_1', 'late'), 'z');
    await sleep(500);
    expect(calls).toEqual(['r', 'r']);
  });

  it('a folder that does not exist is not watched and does not throw', () => {
    const watcher = new RunWatcher(() => undefined, 50);
    watcher.watch('gone', join(dir, 'no-such-folder'));
    expect(watcher.isWatching('gone')).toBe(false);
    watcher.close();
  });
});
