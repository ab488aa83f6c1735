// The results cache on real SQLite files: migrations, atomic units, resume stamps, grids, frames.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store, defaultDbPath } from '../../main/store/store';
import { MIGRATIONS } from '../../main/store/schema';
import { buildScalarGrid } from '../../main/store/grids';
import { decodeFrame } from '../../common/frames';
import type { RunInfo } from '../../common/domain';

function runInfo(id: string, steps: number[]): RunInfo {
  return {
    id,
    name: `run-${id}`,
    layout: 'step-folders',
    root: `/data/${id}`,
    family: 'gpt_neox',
    config: null,
    tokenizerPath: null,
    trainingLog: [],
    warnings: [],
    checkpoints: steps.map((s) => ({
      id: `step${s}`,
      label: `step ${s}`,
      step: s,
      folder: `/data/${id}/step${s}`,
      weightFiles: ['model.safetensors'],
      format: 'safetensors',
      dtype: 'F16',
      fingerprint: `fp-${s}`,
      missing: false,
      warnings: [],
    })),
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('Store', () => {
  it('creates the schema at the latest version in WAL mode', () => {
    const store = new Store(join(dir, 'a.sqlite'));
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.integrityCheck()).toBe('ok');
    store.close();
  });

  it('refuses a database written by a newer schema, naming the file', () => {
    const path = join(dir, 'newer.sqlite');
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 5}`);
    db.close();
    expect(() => new Store(path)).toThrow(/newer\.sqlite.*newer Checkpoint Atlas/);
  });

  it('refuses a file that is not a database with a clear message', () => {
    const path = join(dir, 'garbage.sqlite');
    writeFileSync(path, Buffer.alloc(8192, 7));
    expect(() => new Store(path)).toThrow(/garbage\.sqlite/);
  });

  it('writes a unit atomically and recognises it only with the same stamp', () => {
    const path = join(dir, 'b.sqlite');
    const store = new Store(path);
    const key = { runId: 'r', checkpointId: 'step0', analysis: 'weights' };
    const stamp = { fingerprint: 'fp-0', version: 1, ctx: 'c' };
    expect(store.isUnitDone(key, stamp)).toBe(false);
    store.writeUnit(key, stamp, { scalars: [{ metric: 'mean', tensor: 'w', value: 0.25 }], arrays: [], info: {} });
    expect(store.isUnitDone(key, stamp)).toBe(true);
    expect(store.isUnitDone(key, { ...stamp, fingerprint: 'fp-x' })).toBe(false);
    expect(store.isUnitDone(key, { ...stamp, version: 2 })).toBe(false);
    expect(store.isUnitDone(key, { ...stamp, ctx: 'other' })).toBe(false);
    store.close();
    // A second connection (a restarted process) sees the committed unit.
    const again = new Store(path);
    expect(again.isUnitDone(key, stamp)).toBe(true);
    expect(again.scalarsOfMetric('r', 'mean')).toEqual([{ tensor: 'w', checkpointId: 'step0', value: 0.25 }]);
    again.close();
  });

  it('rolls back a unit whose write fails half-way: no results, no finished mark', () => {
    const store = new Store(join(dir, 'c.sqlite'));
    const key = { runId: 'r', checkpointId: 'step0', analysis: 'weights' };
    const stamp = { fingerprint: 'fp-0', version: 1, ctx: '' };
    const poisoned = { kind: 'histogram', tensor: 'w', data: {} as Record<string, unknown> };
    poisoned.data.self = poisoned.data; // JSON encoding throws mid-transaction
    expect(() =>
      store.writeUnit(key, stamp, { scalars: [{ metric: 'mean', tensor: 'w', value: 1 }], arrays: [poisoned], info: {} }),
    ).toThrow();
    expect(store.isUnitDone(key, stamp)).toBe(false);
    expect(store.scalarsOfMetric('r', 'mean')).toEqual([]);
    store.close();
  });

  it('replaces a recomputed unit instead of duplicating rows, and stores NaN as empty', () => {
    const store = new Store(join(dir, 'd.sqlite'));
    const key = { runId: 'r', checkpointId: 'step0', analysis: 'weights' };
    store.writeUnit(key, { fingerprint: 'a', version: 1, ctx: '' }, { scalars: [{ metric: 'std', tensor: 'w', value: 1 }, { metric: 'std', tensor: 'v', value: 2 }], arrays: [], info: {} });
    store.writeUnit(key, { fingerprint: 'b', version: 1, ctx: '' }, { scalars: [{ metric: 'std', tensor: 'w', value: Number.NaN }], arrays: [], info: {} });
    expect(store.scalarsOfMetric('r', 'std')).toEqual([{ tensor: 'w', checkpointId: 'step0', value: null }]);
    store.close();
  });

  it('builds the tensor x checkpoint grid in step order with gaps as null', () => {
    const store = new Store(join(dir, 'e.sqlite'));
    const run = runInfo('r', [1000, 0, 10]);
    store.upsertRun(run, 'opened');
    store.registerTensors('r', [
      { tensor: 'layers.0.w', role: { block: 0, component: 'mlp.in', kind: 'weight' }, shape: [4, 2] },
      { tensor: 'layers.1.w', role: { block: 1, component: 'mlp.in', kind: 'weight' }, shape: [4, 2] },
    ]);
    const put = (ck: string, t: string, v: number): void =>
      store.writeUnit({ runId: 'r', checkpointId: ck, analysis: `weights-${t}` }, { fingerprint: ck, version: 1, ctx: '' }, { scalars: [{ metric: 'frobenius_norm', tensor: t, value: v }], arrays: [], info: {} });
    put('step0', 'layers.0.w', 1);
    put('step10', 'layers.0.w', 2);
    put('step1000', 'layers.0.w', 3);
    put('step1000', 'layers.1.w', 4);
    const grid = buildScalarGrid(store, run, 'frobenius_norm');
    expect(grid.steps).toEqual([0, 10, 1000]);
    expect(grid.tensors.map((t) => [t.tensor, t.block])).toEqual([['layers.0.w', 0], ['layers.1.w', 1]]);
    expect(grid.values).toEqual([[1, 2, 3], [null, null, 4]]);
    expect(() => buildScalarGrid(store, run, 'no_such_metric')).toThrow(/unknown metric/);
    store.close();
  });

  it('round-trips typed-array frames exactly', () => {
    const store = new Store(join(dir, 'f.sqlite'));
    const s = Float64Array.from([3.5, 1 / 3, 1e-300, 0]);
    const m = Float32Array.from([1, -0.5, 0.1]);
    store.writeUnit({ runId: 'r', checkpointId: 'step0', analysis: 'spectra' }, { fingerprint: 'f', version: 1, ctx: '' }, {
      scalars: [],
      arrays: [{ kind: 'spectrum', tensor: 'w', data: { singular_values: s, matrix: m, label: 'x' } }],
      info: {},
    });
    const frame = decodeFrame<{ singular_values: Float64Array; matrix: Float32Array; label: string }>(store.frames('r', 'spectrum', 'w').get('step0'));
    expect(Array.from(frame.singular_values)).toEqual(Array.from(s));
    expect(Array.from(frame.matrix)).toEqual(Array.from(m));
    expect(frame.label).toBe('x');
    store.close();
  });

  it('puts the default cache in the XDG data folder, overridable', () => {
    expect(defaultDbPath({ HOME: '/home/u' }, 'linux')).toBe('/home/u/.local/share/checkpoint-atlas/atlas.sqlite');
    expect(defaultDbPath({ HOME: '/home/u', XDG_DATA_HOME: '/x' }, 'linux')).toBe('/x/checkpoint-atlas/atlas.sqlite');
    expect(defaultDbPath({ HOME: '/Users/u' }, 'darwin')).toBe('/Users/u/Library/Application Support/checkpoint-atlas/atlas.sqlite');
    expect(defaultDbPath({ HOME: '/h', ATLAS_DATA_DIR: '/d' }, 'linux')).toBe('/d/atlas.sqlite');
  });
});
