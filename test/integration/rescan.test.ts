// Starting an analysis rescans the run's folder first: checkpoints written since the run was
// opened (a run still training) are analysed too, and what was already stored is not redone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { makeRun, type MadeRun } from './make-run';

let dir: string;
let made: MadeRun;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-rescan-'));
  made = makeRun(join(dir, 'run'), { checkpoints: 4, d: 8, layers: 1, vocab: 300 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('analysis of a run that grew since it was opened', () => {
  it('analyses the new checkpoint and reuses the stored ones', async () => {
    const last = made.steps[made.steps.length - 1];
    const lastFolder = join(made.root, `step_${last}`);
    const parked = join(dir, 'parked');
    renameSync(lastFolder, parked);
    const store = new Store(join(dir, 'cache.sqlite'));
    const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false, defaultThreads: 0 });
    try {
      const opened = await engine.openPaths({ paths: [made.root] });
      expect(opened.errors).toEqual([]);
      const runId = opened.runs[0].id;
      expect(opened.runs[0].checkpointCount).toBe(3);
      const first = await engine.jobs.wait((await engine.startAnalysis({ runId, analyses: ['weights'] })).jobId);
      expect(first.state).toBe('done');
      expect(first.total).toBe(6); // weights + histogram units of 3 checkpoints

      // The training run writes its next checkpoint.
      renameSync(parked, lastFolder);
      const events: string[] = [];
      const unsubscribe = engine.subscribe((e) => events.push(e.type));
      const second = await engine.jobs.wait((await engine.startAnalysis({ runId, analyses: ['weights'] })).jobId);
      unsubscribe();
      expect(second.state).toBe('done');
      expect(second.total).toBe(8);
      // The 3 stored statistics units are reused; the histograms are redone because the run-wide
      // bins now include the new checkpoint's range.
      expect(second.skipped).toBe(3);
      expect(events).toContain('runs-changed');
      const run = (await engine.getRun({ runId })).run as { checkpoints: Array<{ step: number | null }> };
      expect(run.checkpoints.map((c) => c.step)).toEqual(made.steps);
      const grid = await engine.scalarGrid({ runId, metric: 'frobenius_norm' });
      expect(grid.steps).toEqual(made.steps);
      // Every tensor has a value at the new checkpoint too.
      for (const row of grid.values) expect(row[row.length - 1]).not.toBeNull();
    } finally {
      await engine.close();
      store.close();
    }
  });
});
