// Issue 15 #10: a scalar grid says which checkpoints its metric's analysis has finished, so the
// views tell a value that is undefined (the analysis ran there) from one not computed yet. Real
// SQLite cache, real analysis of a subset of the checkpoints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { makeRun } from './make-run';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-grid-computed-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ScalarGrid.computed', () => {
  it('is true exactly at the checkpoints the analysis finished', async () => {
    const made = makeRun(join(dir, 'run'), { checkpoints: 3 });
    const store = new Store(join(dir, 'atlas.sqlite'));
    const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false, defaultThreads: 1 });
    try {
      const run = (await engine.openPaths({ paths: [made.root] })).runs[0];
      const { jobId } = await engine.startAnalysis({ runId: run.id, analyses: ['weights'], subset: { steps: made.steps.slice(0, 2) } });
      await engine.jobs.wait(jobId);
      const g = await engine.scalarGrid({ runId: run.id, metric: 'frobenius_norm' });
      expect(g.steps).toEqual(made.steps);
      expect(g.computed).toEqual([true, true, false]);
      // every value sits in a computed column; the third column holds none
      for (const row of g.values) {
        expect(row[0]).not.toBeNull();
        expect(row[2]).toBeNull();
      }
      // a metric of an analysis that never ran: nothing computed
      expect((await engine.scalarGrid({ runId: run.id, metric: 'student_t_nu' })).computed).toEqual([false, false, false]);
    } finally {
      await engine.close();
      store.close();
    }
  });
});
