// Checkpoint subsets end to end on real SQLite files: a subset run computes only its checkpoints
// (with the run's own init and previous checkpoints as references), a later full run reuses every
// stored unit and computes only the rest, and the final cache exports exactly what a full run
// from scratch exports. Also: a sweep whose estimated peak memory does not fit is refused before
// anything is computed, and runs when forced.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { AtlasError, type AnalysisKind, type CheckpointSubset, type JobState } from '../../common/api';
import { makeRun, type MadeRun } from './make-run';

let dir: string;
let made: MadeRun;
const ANALYSES: AnalysisKind[] = ['weights', 'fits', 'spectra', 'embedding'];
/** Units per checkpoint of ANALYSES: weights, histogram, fits, spectra, embedding. */
const PER_CHECKPOINT = 5;
const EXPORTS = ['scalars.csv', 'histograms.jsonl', 'spectra.jsonl', 'qq.jsonl', 'embedding_correlation.jsonl'];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-subset-'));
  // Steps 0, 10, 20, 40, 80, 160; weights drift linearly from init, so every extreme of the run
  // sits in the first or the last checkpoint.
  made = makeRun(join(dir, 'run'), { checkpoints: 6, d: 8, layers: 1, vocab: 300 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Session {
  store: Store;
  engine: Engine;
  runId: string;
}

async function open(db: string): Promise<Session> {
  const store = new Store(db);
  const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false, defaultThreads: 0, watchRuns: false });
  const opened = await engine.openPaths({ paths: [made.root] });
  expect(opened.errors).toEqual([]);
  return { store, engine, runId: opened.runs[0].id };
}

async function close(s: Session): Promise<void> {
  await s.engine.close();
  s.store.close();
}

async function analyze(s: Session, subset?: CheckpointSubset, extra: { force?: boolean } = {}): Promise<JobState> {
  const { jobId } = await s.engine.startAnalysis({ runId: s.runId, analyses: ANALYSES, ...(subset ? { subset } : {}), ...extra });
  const job = await s.engine.jobs.wait(jobId);
  expect(job.state).toBe('done');
  expect(job.failed).toBe(0);
  return job;
}

/** finished_at of every stored unit, by "checkpoint/analysis". */
function unitRows(s: Session): Map<string, number> {
  const rows = s.store.db.prepare(`SELECT checkpoint_id, analysis, finished_at FROM units WHERE run_id = ?`).all(s.runId) as Array<{ checkpoint_id: string; analysis: string; finished_at: number }>;
  return new Map(rows.map((r) => [`${r.checkpoint_id}/${r.analysis}`, r.finished_at]));
}

async function exported(s: Session, name: string): Promise<Record<string, string>> {
  const out = join(dir, name);
  await s.engine.exportData({ outDir: out, runId: s.runId });
  return Object.fromEntries(EXPORTS.map((f) => [f, readFileSync(join(out, f), 'utf8')]));
}

let scratch: Record<string, string>;

describe('checkpoint subsets', { timeout: 300_000 }, () => {
  beforeAll(async () => {
    const s = await open(join(dir, 'scratch.sqlite'));
    const job = await analyze(s);
    expect(job.done - job.skipped).toBe(made.steps.length * PER_CHECKPOINT);
    scratch = await exported(s, 'scratch');
    await close(s);
  });

  it('steps 0,160 then the full run: the stored 10 units are reused, 20 computed, the export equals a full run from scratch', async () => {
    const s = await open(join(dir, 'first-last.sqlite'));
    const sub = await analyze(s, { steps: [0, 160] });
    expect(sub.subset).toBe('steps 0,160');
    expect([sub.total, sub.done - sub.skipped]).toEqual([2 * PER_CHECKPOINT, 2 * PER_CHECKPOINT]);
    const before = unitRows(s);
    expect([...before.keys()].map((k) => k.split('/')[0]).filter((v, i, a) => a.indexOf(v) === i).sort()).toEqual(['step_0', 'step_160'].sort());
    await new Promise((r) => setTimeout(r, 5));
    const full = await analyze(s);
    expect(full.skipped).toBe(2 * PER_CHECKPOINT);
    expect(full.done - full.skipped).toBe(4 * PER_CHECKPOINT);
    const after = unitRows(s);
    for (const [key, finishedAt] of before) expect(after.get(key), key).toBe(finishedAt);
    expect(await exported(s, 'first-last')).toEqual(scratch);
    await close(s);
  });

  it('every 2nd checkpoint then the full run: only the histograms, whose run-wide bins widened, are recounted', async () => {
    const s = await open(join(dir, 'every2.sqlite'));
    const sub = await analyze(s, { every: 2 });
    expect(sub.subset).toBe('every 2nd checkpoint');
    const before = unitRows(s);
    // Indices 0, 2, 4 of the step order: steps 0, 20, 80.
    expect(new Set([...before.keys()].map((k) => k.split('/')[0]))).toEqual(new Set(['step_0', 'step_20', 'step_80']));
    const rangesBefore = JSON.stringify(s.store.getParam(s.runId, 'histogram_ranges'));
    const full = await analyze(s);
    const rangesAfter = JSON.stringify(s.store.getParam(s.runId, 'histogram_ranges'));
    // Step 160 holds the extremes, so the ranges grow and the three stored histograms are recounted.
    expect(rangesAfter).not.toBe(rangesBefore);
    expect(full.skipped).toBe(3 * (PER_CHECKPOINT - 1));
    const after = unitRows(s);
    for (const [key, finishedAt] of before) {
      if (key.endsWith('/histogram')) expect(after.get(key)!, key).toBeGreaterThanOrEqual(finishedAt);
      else expect(after.get(key), key).toBe(finishedAt);
    }
    expect(await exported(s, 'every2')).toEqual(scratch);
    await close(s);
  });

  it('a step range keeps the run\'s own previous checkpoint: dist_to_prev at step 10 is the distance to step 0', async () => {
    const s = await open(join(dir, 'range.sqlite'));
    const sub = await analyze(s, { from: 10, to: 40 });
    expect(sub.subset).toBe('steps 10:40');
    expect(new Set([...unitRows(s).keys()].map((k) => k.split('/')[0]))).toEqual(new Set(['step_10', 'step_20', 'step_40']));
    const name = 'gpt_neox.layers.0.mlp.dense_h_to_4h.weight';
    const row = s.store.db.prepare(`SELECT value FROM scalars WHERE run_id = ? AND metric = 'dist_to_prev' AND tensor = ? AND checkpoint_id = 'step_10'`).get(s.runId, name) as { value: number };
    const a = made.tensors[1][name].values;
    const b = made.tensors[0][name].values;
    const naive = Math.sqrt(a.reduce((acc, v, i) => acc + (v - b[i]) ** 2, 0));
    expect(Math.abs(row.value - naive)).toBeLessThan(1e-9);
    await close(s);
  });

  it('a listed step the run lacks is refused before anything runs, naming the nearest steps', async () => {
    const s = await open(join(dir, 'missing.sqlite'));
    const err = await s.engine.startAnalysis({ runId: s.runId, analyses: ANALYSES, subset: { steps: [0, 30] } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AtlasError);
    expect((err as AtlasError).code).toBe('bad-request');
    expect((err as AtlasError).message).toContain('no checkpoint at step 30 (nearest: 20 or 40)');
    expect(unitRows(s).size).toBe(0);
    await close(s);
  });
});

describe('a sweep too large for memory', { timeout: 300_000 }, () => {
  it('is refused with a clear message before it starts, and runs when forced', async () => {
    const s = await open(join(dir, 'memory.sqlite'));
    const saved = process.env.ATLAS_MAX_MEMORY;
    process.env.ATLAS_MAX_MEMORY = '1M';
    try {
      const est = await s.engine.estimateAnalysis({ runId: s.runId, analyses: ANALYSES });
      expect(est.fits).toBe(false);
      expect(est.availableBytes).toBe(2 ** 20);
      expect(est.units).toBe(made.steps.length * PER_CHECKPOINT);
      const err = await s.engine.startAnalysis({ runId: s.runId, analyses: ANALYSES }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AtlasError);
      expect((err as AtlasError).code).toBe('too-large');
      expect((err as AtlasError).message).toMatch(/This does not fit: \S+ needs ~\d+ MB more/);
      expect(unitRows(s).size).toBe(0);
      expect(s.engine.jobs.list()).toHaveLength(0);
      const forced = await analyze(s, undefined, { force: true });
      expect(forced.done).toBe(made.steps.length * PER_CHECKPOINT);
      expect(forced.estimate?.fits).toBe(false);
      expect(forced.measured?.seconds).toBeGreaterThan(0);
    } finally {
      if (saved === undefined) delete process.env.ATLAS_MAX_MEMORY;
      else process.env.ATLAS_MAX_MEMORY = saved;
      await close(s);
    }
  });
});
