// A checkpoint scanned and analysed while the trainer is still writing it (a run in training:
// the header and part of the tensor bytes are on disk). On a real SQLite cache through the
// engine: the half-written checkpoint is reported by name and skipped, nothing of it is cached,
// the other checkpoints are analysed; once the file is complete, the next analysis computes
// only that checkpoint, and its numbers equal a naive float64 norm of the tensors written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { makeRun, type MadeRun } from './make-run';

let dir: string;
let db: string;
let store: Store;
let engine: Engine;
let made: MadeRun;
let file: string;
let full: Buffer;
let runId: string;

function unitRows(): Array<{ checkpoint_id: string; analysis: string; finished_at: number }> {
  const c = new Database(db, { readonly: true });
  try {
    return c.prepare('SELECT checkpoint_id, analysis, finished_at FROM units ORDER BY 1, 2').all() as Array<{ checkpoint_id: string; analysis: string; finished_at: number }>;
  } finally {
    c.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-being-written-'));
  made = makeRun(join(dir, 'run'), { checkpoints: 4, d: 8, seed: 3 });
  file = join(made.root, `step_${made.steps[3]}`, 'model.safetensors');
  full = readFileSync(file);
  // Mid-write: the header and 60% of the bytes.
  writeFileSync(file, full.subarray(0, Math.floor(full.length * 0.6)));
  db = join(dir, 'atlas.sqlite');
  store = new Store(db);
  engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false, defaultThreads: 1, watchRuns: false });
  const opened = await engine.openPaths({ paths: [made.root] });
  expect(opened.errors).toEqual([]);
  runId = opened.runs[0].id;
}, 60_000);
afterAll(async () => {
  await engine.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a checkpoint still being written', () => {
  let firstRows: ReturnType<typeof unitRows>;

  it('is named in the warnings and skipped; the other checkpoints are analysed and nothing of it is cached', async () => {
    const { jobId } = await engine.startAnalysis({ runId, analyses: ['weights'] });
    const job = await engine.jobs.wait(jobId);
    expect(job.state, JSON.stringify(job)).toBe('done');
    const label = `step_${made.steps[3]}`;
    expect(job.warnings.some((w) => w.includes(label) && /past the end of the data/.test(w)), JSON.stringify(job.warnings)).toBe(true);
    firstRows = unitRows().filter((r) => r.analysis === 'weights');
    const ids = new Set(firstRows.map((r) => r.checkpoint_id));
    expect(ids.size).toBe(3);
    const grid = await engine.scalarGrid({ runId, metric: 'frobenius_norm' });
    expect(grid.steps.slice(0, 3)).toEqual(made.steps.slice(0, 3));
    for (const row of grid.values) {
      expect(row.slice(0, 3).every((v) => typeof v === 'number' && v > 0)).toBe(true);
      if (row.length > 3) expect(row[3]).toBeNull();
    }
  });

  it('once complete, the next analysis computes that checkpoint alone, with the naive norms', async () => {
    writeFileSync(file, full);
    const { jobId } = await engine.startAnalysis({ runId, analyses: ['weights'] });
    const job = await engine.jobs.wait(jobId);
    expect(job.state, JSON.stringify(job)).toBe('done');
    expect(job.warnings).toEqual([]);
    const rows = unitRows().filter((r) => r.analysis === 'weights');
    expect(rows).toHaveLength(4);
    // The three done before are kept as they were (same finish times): not recomputed.
    for (const before of firstRows) expect(rows.find((r) => r.checkpoint_id === before.checkpoint_id)?.finished_at).toBe(before.finished_at);
    const grid = await engine.scalarGrid({ runId, metric: 'frobenius_norm' });
    expect(grid.steps).toEqual(made.steps);
    const last = made.tensors[3];
    let checked = 0;
    grid.tensors.forEach((t, i) => {
      const w = last[t.tensor];
      if (!w) return;
      let s = 0;
      for (const v of w.values) s += v * v;
      expect(Math.abs(grid.values[i][3]! - Math.sqrt(s))).toBeLessThan(1e-6 * Math.sqrt(s));
      checked++;
    });
    expect(checked).toBeGreaterThan(3);
  });
});
