// When the cache cannot be written (disk full, database locked by another process, read-only),
// the error says so and names the file, and nothing stored before is lost or damaged.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../../main/store/store';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-store-fail-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const unit = (i: number) => ({ runId: 'r', checkpointId: `step${i}`, analysis: 'weights' });
const stamp = (i: number) => ({ fingerprint: `fp${i}`, version: 1, ctx: '' });
const results = (i: number, size: number) => ({
  scalars: Array.from({ length: size }, (_, k) => ({ metric: 'mean', tensor: `t${k}`, value: i + k / 1000 })),
  arrays: [],
  info: {},
});

describe('cache write failures', () => {
  it('a full disk: clear message, earlier units intact, integrity ok', () => {
    const path = join(dir, 'full.sqlite');
    const store = new Store(path);
    store.writeUnit(unit(0), stamp(0), results(0, 50));
    // SQLite's page limit stands in for a full disk: the same SQLITE_FULL error.
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages + 2}`);
    let error: Error | null = null;
    for (let i = 1; i < 50 && !error; i++) {
      try {
        store.writeUnit(unit(i), stamp(i), results(i, 2000));
      } catch (e) {
        error = e as Error;
      }
    }
    expect(error?.message).toMatch(/cannot store results of step\d+ \(weights\) in .*full\.sqlite: the disk .* is full; everything stored before is kept/);
    expect(store.isUnitDone(unit(0), stamp(0))).toBe(true);
    expect(store.scalarsOfMetric('r', 'mean').filter((r) => r.checkpointId === 'step0')).toHaveLength(50);
    expect(store.integrityCheck()).toBe('ok');
    store.close();
  });

  it('a database locked by another process: clear message after the busy timeout, then writes resume', () => {
    const path = join(dir, 'locked.sqlite');
    const store = new Store(path);
    store.writeUnit(unit(0), stamp(0), results(0, 10));
    store.db.pragma('busy_timeout = 200');
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    expect(() => store.writeUnit(unit(1), stamp(1), results(1, 10))).toThrow(/locked\.sqlite: the database is locked by another process/);
    other.exec('ROLLBACK');
    other.close();
    store.writeUnit(unit(1), stamp(1), results(1, 10));
    expect(store.isUnitDone(unit(0), stamp(0)) && store.isUnitDone(unit(1), stamp(1))).toBe(true);
    store.close();
  });

  it('a read-only database: clear message, nothing changed', () => {
    const path = join(dir, 'ro.sqlite');
    const writer = new Store(path);
    writer.writeUnit(unit(0), stamp(0), results(0, 10));
    writer.close();
    const store = new Store(path, { readonly: true });
    expect(() => store.writeUnit(unit(1), stamp(1), results(1, 10))).toThrow(/ro\.sqlite: the database is read-only/);
    expect(store.isUnitDone(unit(0), stamp(0))).toBe(true);
    expect(store.isUnitDone(unit(1), stamp(1))).toBe(false);
    store.close();
  });
});

describe('a job whose cache fills up', () => {
  it('fails with the cache message, keeps the stored units, and a rerun resumes', async () => {
    const { Engine } = await import('../../main/api/engine');
    const { makeRun } = await import('./make-run');
    const made = makeRun(join(dir, 'run'), { checkpoints: 6, d: 16, layers: 1, vocab: 300 });
    const path = join(dir, 'job.sqlite');
    const store = new Store(path);
    const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false, defaultThreads: 0 });
    const runId = (await engine.openPaths({ paths: [made.root] })).runs[0].id;
    store.db.pragma(`max_page_count = ${(store.db.pragma('page_count', { simple: true }) as number) + 30}`);
    const job = await engine.jobs.wait((await engine.startAnalysis({ runId, analyses: ['weights', 'fits'] })).jobId);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/job\.sqlite: the disk .* is full; everything stored before is kept/);
    const stored = store.unitsOfRun(runId).length;
    expect(store.integrityCheck()).toBe('ok');
    store.db.pragma('max_page_count = 1073741823');
    const again = await engine.jobs.wait((await engine.startAnalysis({ runId, analyses: ['weights', 'fits'] })).jobId);
    expect(again.state).toBe('done');
    expect(again.skipped).toBe(stored);
    await engine.close();
    store.close();
  });
});
